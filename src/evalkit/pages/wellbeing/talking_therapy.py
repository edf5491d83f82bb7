"""NHS Talking Therapies outcome rates of a service: recovery, reliable improvement and more.

The episode flags come from :func:`evalkit.instruments.iapt_outcomes`, NA exactly outside each
outcome's published denominator. :func:`talking_therapy_rates` is the one function that turns
them into the published rates (numerator over denominator, with Wilson confidence intervals);
the KPI ``iapt_recovery`` (``kpis_default.yml``) takes its numerator and denominator from the
same flag, so the KPI page and the wellbeing page report one recovery rate. The definitions and
their sources are in ``docs/definitions.md``.

Examples
--------
>>> import pandas as pd
>>> episodes = pd.DataFrame({
...     "iapt_recovery": pd.array([True, False, False, pd.NA], dtype="boolean"),
...     "iapt_reliable_improvement": pd.array([True, True, False, False], dtype="boolean"),
...     "iapt_reliable_recovery": pd.array([True, False, False, pd.NA], dtype="boolean"),
...     "iapt_reliable_deterioration": pd.array([False, False, False, False], dtype="boolean"),
...     "iapt_paired_scores": pd.array([True, True, False, True], dtype="boolean")})
>>> talking_therapy_rates(episodes)[["outcome", "denominator", "numerator", "rate"]]
                       outcome  denominator  numerator      rate
0                iapt_recovery            3          1  0.333333
1    iapt_reliable_improvement            4          2  0.500000
2       iapt_reliable_recovery            3          1  0.333333
3  iapt_reliable_deterioration            4          0  0.000000
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
    "still_in_treatment",
    "talking_therapy_rates",
]


@dataclass(frozen=True)
class TalkingTherapyOutcome:
    """One NHS Talking Therapies outcome.

    Parameters
    ----------
    outcome : str
        Episode-table flag (``iapt_recovery`` ...), NA outside its denominator.
    label : str
        Plain-English name.
    definition : str
        What the flag means, in a sentence fragment a report can use.
    denominator_rule : str
        Who is in the published denominator, in a sentence fragment.
    higher_is_better : bool
        Direction (reliable deterioration is better lower).
    target : float or None
        National standard as a proportion, when there is one.
    """

    outcome: str
    label: str
    definition: str
    denominator_rule: str
    higher_is_better: bool = True
    target: float | None = None


_PHQ, _GAD = f"PHQ-9 {PHQ9.case_threshold:g}", f"GAD-7 {GAD7.case_threshold:g}"
_FALL = (
    f"PHQ-9 fell by {PHQ9.reliable_change_index:g}+ or GAD-7 by "
    f"{GAD7.reliable_change_index:g}+ points"
)
_RISE = (
    f"PHQ-9 rose by {PHQ9.reliable_change_index:g}+ or GAD-7 by "
    f"{GAD7.reliable_change_index:g}+ points"
)
#: Finished treatment (:func:`evalkit.instruments.iapt_outcomes`): the episode ended after two
#: or more attended treatment sessions; the page states that rule once, beside these.
_FINISHED = "everyone who finished treatment"
_FINISHED_LESS_NOT_CASES = f"{_FINISHED}, less those who were not a clinical case at the start"

#: The outcomes reported, with their NHS Digital denominators (reference/measures.md §3.2):
#: recovery and reliable recovery over everyone who finished treatment less those not at
#: caseness at the start; reliable improvement and deterioration over everyone who finished.
#: Thresholds in the wording come from the PHQ-9 and GAD-7 definitions.
TALKING_THERAPY_OUTCOMES: tuple[TalkingTherapyOutcome, ...] = (
    TalkingTherapyOutcome(
        "iapt_recovery",
        "Moved to recovery",
        f"a clinical case at the start ({_PHQ}+ or {_GAD}+) and not at the end",
        _FINISHED_LESS_NOT_CASES,
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
        "both moved to recovery and reliably improved, on complete PHQ-9 and GAD-7 scores",
        _FINISHED_LESS_NOT_CASES,
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
    "denominator_rule",
    "denominator",
    "numerator",
    "rate",
    "ci_lower",
    "ci_upper",
    "without_paired_scores",
    "higher_is_better",
    "target",
    "note",
)
_PAIRED = "iapt_paired_scores"


def talking_therapy_rates(
    episodes: pd.DataFrame,
    outcomes: tuple[TalkingTherapyOutcome, ...] = TALKING_THERAPY_OUTCOMES,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Rate of each NHS Talking Therapies outcome, with a Wilson confidence interval.

    Parameters
    ----------
    episodes : DataFrame
        The episode table: each outcome's ``iapt_*`` flag (docs/data-model.md) and, when
        present, ``iapt_paired_scores``.
    outcomes : tuple of TalkingTherapyOutcome
        Default :data:`TALKING_THERAPY_OUTCOMES`.
    confidence : float
        Confidence level.

    Returns
    -------
    DataFrame
        :data:`TALKING_THERAPY_RATE_COLUMNS`, one row per outcome:

        - ``denominator``: episodes in the published denominator (flag not NA);
        - ``numerator``: those with the outcome (flag True);
        - ``rate`` = numerator / denominator, the published rate, with its Wilson
          ``ci_lower`` / ``ci_upper`` (NaN when the denominator is empty);
        - ``without_paired_scores``: episodes in the denominator without complete start and end
          PHQ-9 and GAD-7 scores (NA without ``iapt_paired_scores``); they stay in the
          denominator, as in the national formula, and count only if their scores show the
          outcome;
        - ``target``: national standard as a proportion (recovery 50%), else NaN;
        - ``note``: how many in the denominator lack complete scores, or why a rate is missing.

    Raises
    ------
    StatisticsError
        If a flag column is missing.

    Notes
    -----
    NHS Digital: recovery rate = ``Count_Recovery / (Count_FinishedCourseTreatment -
    Count_NotAtCaseness)``; e.g. December 2020, 23,291 / (48,111 - 2,957) = 51.6%. Reliable
    improvement rate = improved / finished; e.g. June 2020, 39,417 / 57,060 = 69.1%.

    Examples
    --------
    >>> import pandas as pd
    >>> improved = pd.array([True, True, False, pd.NA], dtype="boolean")  # NA: not finished
    >>> episodes = pd.DataFrame({"iapt_reliable_improvement": improved})
    >>> improvement = [o for o in TALKING_THERAPY_OUTCOMES if o.outcome.endswith("improvement")]
    >>> talking_therapy_rates(episodes, tuple(improvement))[["denominator", "numerator", "rate"]]
       denominator  numerator      rate
    0            3          2  0.666667
    """
    require_columns(episodes, sorted({o.outcome for o in outcomes}), "episodes")
    paired = (
        episodes[_PAIRED].astype("boolean").fillna(False).to_numpy(dtype=bool)
        if _PAIRED in episodes.columns
        else None
    )
    rows = []
    for spec in outcomes:
        flag = episodes[spec.outcome].astype("boolean")
        in_denominator = flag.notna().to_numpy(dtype=bool)
        denominator = int(in_denominator.sum())
        numerator = int(flag.fillna(False).sum())
        unpaired = None if paired is None else int((in_denominator & ~paired).sum())
        lower, upper = wilson_ci(numerator, denominator, confidence)
        if denominator == 0:
            note = "nobody is in this outcome's denominator yet"
        elif unpaired:
            note = (
                f"{unpaired} of the {denominator} in the denominator have no complete start and "
                "end scores; as in the national formula they stay in it"
            )
        else:
            note = ""
        rows.append(
            {
                "outcome": spec.outcome,
                "label": spec.label,
                "definition": spec.definition,
                "denominator_rule": spec.denominator_rule,
                "denominator": denominator,
                "numerator": numerator,
                "rate": numerator / denominator if denominator else np.nan,
                "ci_lower": lower,
                "ci_upper": upper,
                "without_paired_scores": pd.NA if unpaired is None else unpaired,
                "higher_is_better": spec.higher_is_better,
                "target": np.nan if spec.target is None else spec.target,
                "note": note,
            }
        )
    table = pd.DataFrame(rows, columns=list(TALKING_THERAPY_RATE_COLUMNS))
    return table.astype({"without_paired_scores": "Int64"})


def still_in_treatment(episodes: pd.DataFrame) -> int:
    """Talking-therapy clients who started and whose episode has not ended.

    They have not finished a course of treatment, whatever their sessions so far, so they are
    in no outcome's denominator until their episode ends.

    Examples
    --------
    >>> import pandas as pd
    >>> episodes = pd.DataFrame({"strands": ["wellbeing;talking_therapy", "talking_therapy",
    ...                                      "smoking"],
    ...                          "started": [True, True, True],
    ...                          "ended": pd.array([False, True, False], dtype="boolean")})
    >>> still_in_treatment(episodes)
    1
    """
    require_columns(episodes, ["strands", "started", "ended"], "episodes")
    strands = episodes["strands"].astype("string")
    in_strand = strands.str.contains(r"(?:^|;)\s*talking_therapy\s*(?:;|$)").fillna(False)
    open_episode = ~episodes["ended"].astype("boolean").fillna(True)
    started = episodes["started"].astype("boolean").fillna(False)
    return int((in_strand & open_episode & started).sum())
