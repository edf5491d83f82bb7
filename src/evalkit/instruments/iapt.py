"""NHS Talking Therapies (IAPT) episode outcomes derived from scored PHQ-9 and GAD-7.

Thresholds come from the PHQ-9 and GAD-7 definitions (caseness PHQ-9 >= 10 or GAD-7 >= 8;
reliable change 6 and 4 points), so there is one source for each number.

Every flag is a nullable boolean that is NA exactly when the episode is outside that outcome's
published denominator, so ``flag.mean()`` (pandas skips NA) is the published rate:

- recovery and reliable recovery: finished a course of treatment and a case at baseline
  (NHS Digital: ``Count_Recovery / (Count_FinishedCourseTreatment - Count_NotAtCaseness)``);
- reliable improvement and reliable deterioration: finished a course of treatment.

Examples
--------
>>> import pandas as pd
>>> phq = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
...                     "phq9_total": [16.0, 7.0]})
>>> gad = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
...                     "gad7_total": [12.0, 6.0]})
>>> sessions = pd.DataFrame({"client_id": ["a"], "treatment_sessions": [6]})
>>> iapt_outcomes(phq, gad, sessions).iloc[0].to_dict()["iapt_reliable_recovery"]
True
"""

from __future__ import annotations

import pandas as pd

from evalkit.errors import ScoringError
from evalkit.instruments.definitions import GAD7, PHQ9
from evalkit.instruments.scoring import change

__all__ = ["MIN_TREATMENT_SESSIONS", "iapt_outcomes"]

#: "Finished a course of treatment": at least two attended treatment appointments (NHS England
#: Fingertips glossary; Health Foundation IAPT technical appendix).
MIN_TREATMENT_SESSIONS = 2


def _case(phq9: pd.Series, gad7: pd.Series) -> pd.Series:
    """Caseness with Kleene logic: a case on either measure is a case even if the other is
    missing; not a case only when both are known and below their cut-offs."""
    on_phq = (phq9 >= PHQ9.case_threshold).astype("boolean").mask(phq9.isna())
    on_gad = (gad7 >= GAD7.case_threshold).astype("boolean").mask(gad7.isna())
    return on_phq | on_gad


def iapt_outcomes(
    phq9: pd.DataFrame,
    gad7: pd.DataFrame,
    treatment_sessions: pd.DataFrame,
    baseline: str = "baseline",
    followup: str = "exit",
) -> pd.DataFrame:
    """NHS Talking Therapies outcomes per episode.

    Parameters
    ----------
    phq9, gad7 : DataFrame
        Scored tables from :func:`evalkit.instruments.score` (``client_id``, ``timepoint``,
        ``phq9_total`` / ``gad7_total``).
    treatment_sessions : DataFrame
        ``client_id`` and ``treatment_sessions`` (attended treatment appointments), one row per
        client; a client not listed has an unknown number of sessions.
    baseline, followup : str
        First and last timepoints compared.

    Returns
    -------
    DataFrame
        One row per client found in any input, sorted by ``client_id``, with nullable booleans:

        - ``iapt_case_baseline``: PHQ-9 >= 10 or GAD-7 >= 8 at baseline;
        - ``iapt_finished_treatment``: ``treatment_sessions`` >= 2;
        - ``iapt_recovery``: a case at baseline and not a case at follow-up (NA unless finished
          and a case at baseline);
        - ``iapt_reliable_improvement``: PHQ-9 fell by >= 6 or GAD-7 by >= 4, with no reliable
          deterioration on either (NA unless finished);
        - ``iapt_reliable_deterioration``: PHQ-9 rose by >= 6 or GAD-7 by >= 4 (NA unless
          finished);
        - ``iapt_reliable_recovery``: both recovery and reliable improvement (NA unless finished
          and a case at baseline).

    Notes
    -----
    Where one measure is missing the other decides when it can (a reliable deterioration on
    PHQ-9 is a deterioration whatever GAD-7 shows); otherwise the flag is NA, never a guess.
    "No reliable deterioration on the other measure" in reliable improvement is the commonly
    applied NHS rule, stated from practice (reference/measures.md §3.2).

    Examples
    --------
    >>> import pandas as pd
    >>> phq = pd.DataFrame({"client_id": ["b", "b"], "timepoint": ["baseline", "exit"],
    ...                     "phq9_total": [6.0, 5.0]})
    >>> gad = pd.DataFrame({"client_id": ["b", "b"], "timepoint": ["baseline", "exit"],
    ...                     "gad7_total": [5.0, 4.0]})
    >>> out = iapt_outcomes(phq, gad, pd.DataFrame({"client_id": ["b"],
    ...                                              "treatment_sessions": [4]}))
    >>> out[["iapt_case_baseline", "iapt_recovery", "iapt_reliable_improvement"]]
       iapt_case_baseline  iapt_recovery  iapt_reliable_improvement
    0               False           <NA>                      False
    """
    missing = {"client_id", "treatment_sessions"} - set(treatment_sessions.columns)
    if missing:
        raise ScoringError(
            f"The treatment_sessions table lacks column(s) {', '.join(sorted(missing))}."
        )
    if treatment_sessions["client_id"].duplicated().any():
        dup = treatment_sessions.loc[treatment_sessions["client_id"].duplicated(), "client_id"]
        raise ScoringError(
            f"treatment_sessions lists client {dup.iloc[0]} more than once; give one count per "
            "client (attended treatment appointments over the episode)."
        )
    p = change(phq9, PHQ9, baseline, followup)
    g = change(gad7, GAD7, baseline, followup)
    sessions = treatment_sessions[["client_id", "treatment_sessions"]]
    out = p.merge(g, on="client_id", how="outer").merge(sessions, on="client_id", how="outer")
    out = out.sort_values("client_id", ignore_index=True)

    case_start = _case(out[f"phq9_{baseline}"], out[f"gad7_{baseline}"])
    case_end = _case(out[f"phq9_{followup}"], out[f"gad7_{followup}"])
    n_sessions = pd.to_numeric(out["treatment_sessions"])
    finished = (n_sessions >= MIN_TREATMENT_SESSIONS).astype("boolean").mask(n_sessions.isna())
    deteriorated = out["phq9_reliable_deterioration"] | out["gad7_reliable_deterioration"]
    improved = (out["phq9_reliable_improvement"] | out["gad7_reliable_improvement"]) & ~deteriorated
    recovered = case_start & ~case_end

    in_finished = finished.fillna(False).to_numpy(dtype=bool)
    in_recovery = in_finished & case_start.fillna(False).to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "client_id": out["client_id"],
            "iapt_case_baseline": case_start,
            "iapt_finished_treatment": finished,
            "iapt_recovery": recovered.where(in_recovery, pd.NA),
            "iapt_reliable_improvement": improved.where(in_finished, pd.NA),
            "iapt_reliable_deterioration": deteriorated.where(in_finished, pd.NA),
            "iapt_reliable_recovery": (recovered & improved).where(in_recovery, pd.NA),
        }
    )
