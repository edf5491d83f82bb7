"""NHS Talking Therapies (IAPT) episode outcomes derived from scored PHQ-9 and GAD-7.

Thresholds come from the PHQ-9 and GAD-7 definitions (caseness PHQ-9 >= 10 or GAD-7 >= 8;
reliable change 6 and 4 points), so there is one source for each number. The definitions, each
with its source, are in ``docs/definitions.md`` (reference/measures.md §3.2).

Every outcome flag is a nullable boolean that is NA exactly when the episode is outside that
outcome's published denominator, and True or False inside it, so ``flag.notna()`` is the
denominator, ``flag.sum()`` the numerator and ``flag.mean()`` (pandas skips NA) the published
rate (NHS Digital):

- recovery and reliable recovery: ``Count_Recovery / (Count_FinishedCourseTreatment -
  Count_NotAtCaseness)``: everyone who finished a course of treatment except those known not to
  have been a clinical case at the start;
- reliable improvement and reliable deterioration: everyone who finished a course of treatment.

Inside a denominator, an outcome the scores do not show (end scores missing, say) is False, as
the national counts count only the referrals shown to have the outcome;
``iapt_paired_scores`` says who has complete start and end scores.

Examples
--------
>>> import pandas as pd
>>> phq = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
...                     "phq9_total": [16.0, 7.0]})
>>> gad = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
...                     "gad7_total": [12.0, 6.0]})
>>> treatment = pd.DataFrame({"client_id": ["a"], "treatment_sessions": [6], "ended": [True]})
>>> iapt_outcomes(phq, gad, treatment).iloc[0].to_dict()["iapt_reliable_recovery"]
True
"""

from __future__ import annotations

import pandas as pd

from evalkit.errors import ScoringError
from evalkit.instruments.definitions import GAD7, PHQ9
from evalkit.instruments.scoring import change

__all__ = ["IAPT_OUTCOME_COLUMNS", "MIN_TREATMENT_SESSIONS", "iapt_outcomes"]

#: "Finished a course of treatment": a referral that has ended, having had at least two attended
#: treatment appointments (NHS England Fingertips glossary; Health Foundation IAPT technical
#: appendix: "at least two treatment appointments (excluding follow up)").
MIN_TREATMENT_SESSIONS = 2

#: Columns of :func:`iapt_outcomes`, after ``client_id``.
IAPT_OUTCOME_COLUMNS = (
    "iapt_case_baseline",
    "iapt_finished_treatment",
    "iapt_paired_scores",
    "iapt_recovery",
    "iapt_reliable_improvement",
    "iapt_reliable_deterioration",
    "iapt_reliable_recovery",
)


def _case(phq9: pd.Series, gad7: pd.Series) -> pd.Series:
    """Caseness with Kleene logic: a case on either measure is a case even if the other is
    missing; not a case only when both are known and below their cut-offs."""
    on_phq = (phq9 >= PHQ9.case_threshold).astype("boolean").mask(phq9.isna())
    on_gad = (gad7 >= GAD7.case_threshold).astype("boolean").mask(gad7.isna())
    return on_phq | on_gad


def _check_treatment(treatment: pd.DataFrame) -> None:
    missing = {"client_id", "treatment_sessions", "ended"} - set(treatment.columns)
    if missing:
        raise ScoringError(
            f"The treatment table lacks column(s) {', '.join(sorted(missing))}. It needs "
            "client_id, treatment_sessions (attended treatment appointments) and ended (whether "
            "the episode has ended; see evalkit.data.episodes.episode_ended): a course of "
            "treatment is finished only when the episode has ended."
        )
    if treatment["client_id"].duplicated().any():
        dup = treatment.loc[treatment["client_id"].duplicated(), "client_id"]
        raise ScoringError(
            f"The treatment table lists client {dup.iloc[0]} more than once; give one row per "
            "client (attended treatment appointments over the episode, and whether it ended)."
        )


def iapt_outcomes(
    phq9: pd.DataFrame,
    gad7: pd.DataFrame,
    treatment: pd.DataFrame,
    baseline: str = "baseline",
    followup: str = "exit",
) -> pd.DataFrame:
    """NHS Talking Therapies outcomes per episode.

    Parameters
    ----------
    phq9, gad7 : DataFrame
        Scored tables from :func:`evalkit.instruments.score` (``client_id``, ``timepoint``,
        ``phq9_total`` / ``gad7_total``).
    treatment : DataFrame
        One row per client: ``client_id``, ``treatment_sessions`` (attended treatment
        appointments so far) and ``ended`` (nullable boolean: the episode has ended; see
        :func:`evalkit.data.episodes.episode_ended`). A client not listed, or with a blank,
        has that fact unknown.
    baseline, followup : str
        First and last timepoints compared.

    Returns
    -------
    DataFrame
        One row per client found in any input, sorted by ``client_id``: ``client_id`` and
        :data:`IAPT_OUTCOME_COLUMNS`, all nullable booleans:

        - ``iapt_case_baseline``: PHQ-9 >= 10 or GAD-7 >= 8 at baseline (NA when unscored);
        - ``iapt_finished_treatment``: the episode has ended and ``treatment_sessions`` >= 2
          (False when either is known to fail; NA when it turns on an unknown);
        - ``iapt_paired_scores``: PHQ-9 and GAD-7 both scored at baseline and follow-up;
        - ``iapt_recovery``: a case at baseline and not a case at follow-up;
          denominator: finished, less those not a case at baseline;
        - ``iapt_reliable_improvement``: PHQ-9 fell by >= 6 or GAD-7 by >= 4, with no reliable
          deterioration on either; denominator: finished;
        - ``iapt_reliable_deterioration``: PHQ-9 rose by >= 6 or GAD-7 by >= 4; denominator:
          finished;
        - ``iapt_reliable_recovery``: recovery and reliable improvement, on complete PHQ-9 and
          GAD-7 pairs; denominator: that of recovery.

        The four outcomes are NA outside their denominator and True or False inside it.

    Notes
    -----
    Recovery rate = ``Count_Recovery / (Count_FinishedCourseTreatment - Count_NotAtCaseness)``
    (NHS Digital). A finished episode with no baseline scores is not "not at caseness", so it
    stays in the denominator and, not shown to have been a case, is not recovered. A finished
    episode without end scores stays in every denominator and is not shown to have any outcome.
    Where one measure is missing the other decides when it can (a reliable deterioration on
    PHQ-9 is a deterioration whatever GAD-7 shows). "No reliable deterioration on the other
    measure" in reliable improvement is the commonly applied NHS rule, stated from practice
    (reference/measures.md §3.2).

    Examples
    --------
    >>> import pandas as pd
    >>> phq = pd.DataFrame({"client_id": ["b", "b"], "timepoint": ["baseline", "exit"],
    ...                     "phq9_total": [6.0, 5.0]})
    >>> gad = pd.DataFrame({"client_id": ["b", "b"], "timepoint": ["baseline", "exit"],
    ...                     "gad7_total": [5.0, 4.0]})
    >>> out = iapt_outcomes(phq, gad, pd.DataFrame({"client_id": ["b"],
    ...                     "treatment_sessions": [4], "ended": [True]}))
    >>> out[["iapt_case_baseline", "iapt_recovery", "iapt_reliable_improvement"]]
       iapt_case_baseline  iapt_recovery  iapt_reliable_improvement
    0               False           <NA>                      False

    Still in treatment after four sessions: not finished, in no denominator.

    >>> iapt_outcomes(phq, gad, pd.DataFrame({"client_id": ["b"], "treatment_sessions": [4],
    ...               "ended": [False]}))["iapt_finished_treatment"].tolist()
    [False]
    """
    _check_treatment(treatment)
    p = change(phq9, PHQ9, baseline, followup)
    g = change(gad7, GAD7, baseline, followup)
    facts = treatment[["client_id", "treatment_sessions", "ended"]]
    out = p.merge(g, on="client_id", how="outer").merge(facts, on="client_id", how="outer")
    out = out.sort_values("client_id", ignore_index=True)

    case_start = _case(out[f"phq9_{baseline}"], out[f"gad7_{baseline}"])
    case_end = _case(out[f"phq9_{followup}"], out[f"gad7_{followup}"])
    n_sessions = pd.to_numeric(out["treatment_sessions"])
    enough = (n_sessions >= MIN_TREATMENT_SESSIONS).astype("boolean").mask(n_sessions.isna())
    finished = enough & out["ended"].astype("boolean")
    scores = [f"{name}_{tp}" for name in ("phq9", "gad7") for tp in (baseline, followup)]
    paired = out[scores].notna().all(axis=1).astype("boolean")
    deteriorated = out["phq9_reliable_deterioration"] | out["gad7_reliable_deterioration"]
    improved = (out["phq9_reliable_improvement"] | out["gad7_reliable_improvement"]) & ~deteriorated
    recovered = case_start & ~case_end

    in_finished = finished.fillna(False).to_numpy(dtype=bool)
    not_at_caseness = (~case_start).fillna(False).to_numpy(dtype=bool)
    in_recovery = in_finished & ~not_at_caseness

    def shown(flag: pd.Series, denominator) -> pd.Series:
        """True where the scores show the outcome, False elsewhere in the denominator."""
        return flag.fillna(False).where(denominator, pd.NA)

    return pd.DataFrame(
        {
            "client_id": out["client_id"],
            "iapt_case_baseline": case_start,
            "iapt_finished_treatment": finished,
            "iapt_paired_scores": paired,
            "iapt_recovery": shown(recovered, in_recovery),
            "iapt_reliable_improvement": shown(improved, in_finished),
            "iapt_reliable_deterioration": shown(deteriorated, in_finished),
            "iapt_reliable_recovery": shown(recovered & improved & paired, in_recovery),
        }
    )
