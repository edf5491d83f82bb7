"""NHS Talking Therapies outcome rates of a service: recovery, reliable improvement and more.

The episode flags come from :func:`evalkit.instruments.iapt_outcomes` (NA outside each
outcome's published denominator). :func:`talking_therapy_rates` turns them into rates with
Wilson confidence intervals, keeping apart the people in the denominator who have no end scores
(whose outcome is unknown) rather than counting them silently either way.

Examples
--------
>>> import pandas as pd
>>> episodes = pd.DataFrame({
...     "iapt_finished_treatment": pd.array([True, True, True, False], dtype="boolean"),
...     "iapt_case_baseline": pd.array([True, True, True, True], dtype="boolean"),
...     "iapt_recovery": pd.array([True, False, pd.NA, pd.NA], dtype="boolean"),
...     "iapt_reliable_improvement": pd.array([True, True, pd.NA, pd.NA], dtype="boolean"),
...     "iapt_reliable_recovery": pd.array([True, False, pd.NA, pd.NA], dtype="boolean"),
...     "iapt_reliable_deterioration": pd.array([False, False, pd.NA, pd.NA], dtype="boolean")})
>>> talking_therapy_rates(episodes)[["outcome", "eligible", "assessed", "met", "rate"]]
                       outcome  eligible  assessed  met  rate
0                iapt_recovery         3         2    1   0.5
1    iapt_reliable_improvement         3         2    2   1.0
2       iapt_reliable_recovery         3         2    1   0.5
3  iapt_reliable_deterioration         3         2    0   0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.instruments.definitions import GAD7, PHQ9
from evalkit.outcomes.pairing import require_columns
from evalkit.stats import wilson_ci

__all__ = [
    "TALKING_THERAPY_OUTCOMES",
    "TALKING_THERAPY_RATE_COLUMNS",
    "TalkingTherapyOutcome",
    "talking_therapy_rates",
]


@dataclass(frozen=True)
class TalkingTherapyOutcome:
    """One NHS Talking Therapies outcome.

    Parameters
    ----------
    outcome : str
        Episode-table flag (``iapt_recovery`` ...).
    label : str
        Plain-English name.
    definition : str
        What the flag means, in a sentence fragment a report can use.
    eligible_if : tuple of str
        Episode flags that must all be true for an episode to be in the published denominator.
    higher_is_better : bool
        Direction (reliable deterioration is better lower).
    target : float or None
        National standard as a proportion, when there is one.
    """

    outcome: str
    label: str
    definition: str
    eligible_if: tuple[str, ...]
    higher_is_better: bool = True
    target: float | None = None


_FINISHED = ("iapt_finished_treatment",)
_FINISHED_CASE = ("iapt_finished_treatment", "iapt_case_baseline")
_PHQ, _GAD = f"PHQ-9 {PHQ9.case_threshold:g}", f"GAD-7 {GAD7.case_threshold:g}"
_FALL = (
    f"PHQ-9 fell by {PHQ9.reliable_change_index:g}+ or GAD-7 by "
    f"{GAD7.reliable_change_index:g}+ points"
)
_RISE = (
    f"PHQ-9 rose by {PHQ9.reliable_change_index:g}+ or GAD-7 by "
    f"{GAD7.reliable_change_index:g}+ points"
)

#: The outcomes reported, with their NHS denominators (reference/measures.md §3.2): recovery and
#: reliable recovery among people who finished treatment (at least
#: :data:`~evalkit.instruments.iapt.MIN_TREATMENT_SESSIONS` attended treatment sessions) and
#: were a clinical case at the start; reliable improvement and
#: deterioration among all who finished. Thresholds in the wording come from the PHQ-9 and
#: GAD-7 definitions.
TALKING_THERAPY_OUTCOMES: tuple[TalkingTherapyOutcome, ...] = (
    TalkingTherapyOutcome(
        "iapt_recovery",
        "Moved to recovery",
        f"a clinical case at the start ({_PHQ}+ or {_GAD}+) and not at the end",
        _FINISHED_CASE,
        target=0.50,
    ),
    TalkingTherapyOutcome(
        "iapt_reliable_improvement",
        "Reliable improvement",
        f"{_FALL}, with no reliable worsening on either",
        _FINISHED,
    ),
    TalkingTherapyOutcome(
        "iapt_reliable_recovery",
        "Reliable recovery",
        "both moved to recovery and reliably improved",
        _FINISHED_CASE,
    ),
    TalkingTherapyOutcome(
        "iapt_reliable_deterioration",
        "Reliable deterioration",
        _RISE,
        _FINISHED,
        higher_is_better=False,
    ),
)

#: Columns of :func:`talking_therapy_rates`.
TALKING_THERAPY_RATE_COLUMNS = (
    "outcome",
    "label",
    "definition",
    "eligible",
    "assessed",
    "met",
    "rate",
    "ci_lower",
    "ci_upper",
    "rate_if_missing_not_met",
    "higher_is_better",
    "target",
    "note",
)


def talking_therapy_rates(
    episodes: pd.DataFrame,
    outcomes: tuple[TalkingTherapyOutcome, ...] = TALKING_THERAPY_OUTCOMES,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Rate of each NHS Talking Therapies outcome, with a Wilson confidence interval.

    Parameters
    ----------
    episodes : DataFrame
        The episode table (``iapt_*`` flags, docs/data-model.md).
    outcomes : tuple of TalkingTherapyOutcome
        Default :data:`TALKING_THERAPY_OUTCOMES`.
    confidence : float
        Confidence level.

    Returns
    -------
    DataFrame
        :data:`TALKING_THERAPY_RATE_COLUMNS`, one row per outcome:

        - ``eligible``: episodes in the published denominator (every ``eligible_if`` flag
          true);
        - ``assessed``: those of them whose outcome is known (start and end scores present);
        - ``met``: those with the outcome;
        - ``rate`` = met / assessed, as NHS Digital reports it for people with paired scores,
          with its Wilson ``ci_lower`` / ``ci_upper`` (NaN when nobody was assessed);
        - ``rate_if_missing_not_met`` = met / eligible: the rate if nobody without end scores
          had the outcome (the intention-to-treat convention of :mod:`evalkit.kpi`);
        - ``target``: national standard as a proportion (recovery 50%), else NaN;
        - ``note``: how many eligible episodes lack end scores, or why a rate is missing.

    Raises
    ------
    StatisticsError
        If a flag column is missing.

    Notes
    -----
    NHS Digital: recovery rate = ``Count_Recovery / (Count_FinishedCourseTreatment -
    Count_NotAtCaseness)``; e.g. December 2020, 23,291 / (48,111 - 2,957) = 51.6%.

    Examples
    --------
    >>> import pandas as pd
    >>> flags = pd.array([True, True, False], dtype="boolean")
    >>> episodes = pd.DataFrame({"iapt_finished_treatment": flags,
    ...                          "iapt_reliable_improvement": flags})
    >>> improvement = [o for o in TALKING_THERAPY_OUTCOMES if o.outcome.endswith("improvement")]
    >>> talking_therapy_rates(episodes, tuple(improvement))[["eligible", "met", "rate"]]
       eligible  met  rate
    0         2    2   1.0
    """
    needed = {o.outcome for o in outcomes} | {f for o in outcomes for f in o.eligible_if}
    require_columns(episodes, sorted(needed), "episodes")
    rows = []
    for spec in outcomes:
        eligible_mask = np.ones(len(episodes), dtype=bool)
        for flag in spec.eligible_if:
            eligible_mask &= episodes[flag].astype("boolean").fillna(False).to_numpy(dtype=bool)
        flag = episodes.loc[eligible_mask, spec.outcome].astype("boolean")
        eligible = int(eligible_mask.sum())
        assessed = int(flag.notna().sum())
        met = int(flag.fillna(False).sum())
        lower, upper = wilson_ci(met, assessed, confidence)
        if eligible == 0:
            note = "nobody is in this outcome's denominator yet"
        elif assessed == 0:
            note = f"none of the {eligible} eligible people has start and end scores"
        elif assessed < eligible:
            note = (
                f"{eligible - assessed} of {eligible} eligible people have no end scores: "
                "their outcome is unknown"
            )
        else:
            note = ""
        rows.append(
            {
                "outcome": spec.outcome,
                "label": spec.label,
                "definition": spec.definition,
                "eligible": eligible,
                "assessed": assessed,
                "met": met,
                "rate": met / assessed if assessed else np.nan,
                "ci_lower": lower,
                "ci_upper": upper,
                "rate_if_missing_not_met": met / eligible if eligible else np.nan,
                "higher_is_better": spec.higher_is_better,
                "target": np.nan if spec.target is None else spec.target,
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=list(TALKING_THERAPY_RATE_COLUMNS))
