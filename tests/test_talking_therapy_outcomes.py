"""NHS Talking Therapies rates against NHS Digital's published counts and PHE's Wilson cases."""

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import StatisticsError
from evalkit.instruments import iapt_outcomes
from evalkit.pages.wellbeing.talking_therapy import (
    TALKING_THERAPY_OUTCOMES,
    still_in_treatment,
    talking_therapy_rates,
)


def _flags(values) -> pd.array:
    return pd.array(values, dtype="boolean")


def _episodes(n_finished_case, n_finished_not_case, n_recovered, n_not_finished=0):
    """Flags as iapt_outcomes gives them: NA outside each denominator, True/False inside."""
    n_finished = n_finished_case + n_finished_not_case
    recovery = (
        [True] * n_recovered
        + [False] * (n_finished_case - n_recovered)
        + [None] * (n_finished_not_case + n_not_finished)
    )
    return pd.DataFrame(
        {
            "iapt_recovery": _flags(recovery),
            "iapt_reliable_recovery": _flags(recovery),
            "iapt_reliable_improvement": _flags([True] * n_finished + [None] * n_not_finished),
            "iapt_reliable_deterioration": _flags([False] * n_finished + [None] * n_not_finished),
            "iapt_paired_scores": _flags([True] * (n_finished + n_not_finished)),
        }
    )


def test_recovery_rate_reproduces_nhs_digital_december_2020():
    # NHS Digital IAPT monthly report, December 2020 (reference/measures.md §3.2):
    # 23,291 / (48,111 - 2,957) x 100 = 51.6%.
    episodes = _episodes(48_111 - 2_957, 2_957, 23_291, n_not_finished=500)
    row = talking_therapy_rates(episodes).set_index("outcome").loc["iapt_recovery"]
    assert (row["denominator"], row["numerator"]) == (45_154, 23_291)
    assert round(100 * row["rate"], 1) == 51.6
    assert row["target"] == 0.50 and row["note"] == ""


def test_reliable_improvement_denominator_is_everyone_who_finished():
    # June 2020: 39,417 / 57,060 x 100 = 69.1% of everyone who finished treatment.
    improved = _flags([True] * 39_417 + [False] * (57_060 - 39_417) + [None] * 100)
    episodes = pd.DataFrame({"iapt_reliable_improvement": improved})
    outcomes = tuple(
        o for o in TALKING_THERAPY_OUTCOMES if o.outcome == "iapt_reliable_improvement"
    )
    row = talking_therapy_rates(episodes, outcomes).iloc[0]
    assert row["denominator"] == 57_060
    assert round(100 * row["rate"], 1) == 69.1
    assert pd.isna(row["without_paired_scores"])  # no iapt_paired_scores column given


def test_interval_matches_phe_wilson_reference_case():
    # PHEindicatormethods: 65 / 100 -> 0.5525 to 0.7364 (reference/measures.md §11).
    row = talking_therapy_rates(_episodes(100, 0, 65)).iloc[0]
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((0.5525, 0.7364), abs=5e-5)


def test_people_without_end_scores_stay_in_the_denominator():
    # 10 finished as cases: 4 recovered, 6 not shown to have recovered, 3 of them without end
    # scores: the national formula keeps them in the denominator -> 4 / 10.
    episodes = _episodes(10, 0, 4)
    episodes.loc[7:9, "iapt_paired_scores"] = False
    row = talking_therapy_rates(episodes).set_index("outcome").loc["iapt_recovery"]
    assert (row["denominator"], row["numerator"], row["without_paired_scores"]) == (10, 4, 3)
    assert row["rate"] == pytest.approx(4 / 10)
    assert row["note"] == (
        "3 of the 10 in the denominator have no complete start and end scores; as in the "
        "national formula they stay in it"
    )


def test_nobody_in_the_denominator_gives_nan_with_a_reason():
    episodes = _episodes(0, 0, 0, n_not_finished=3)
    rates = talking_therapy_rates(episodes).set_index("outcome")
    assert rates["denominator"].eq(0).all() and rates["rate"].isna().all()
    assert np.isnan(rates.loc["iapt_recovery", "ci_lower"])
    assert rates.loc["iapt_recovery", "note"] == "nobody is in this outcome's denominator yet"


def test_rates_from_scored_questionnaires_by_hand():
    # a: PHQ-9 16 -> 7 (case -> not; fall 9 >= 6): recovered and reliably improved.
    # b: PHQ-9 12 -> 11, GAD-7 9 -> 9 (still a case, no reliable change): neither.
    # c: PHQ-9 6 -> 3, GAD-7 5 -> 4 (not a case at the start): outside the recovery
    #    denominator, in the improvement one (no reliable fall): not improved.
    # d: only 1 treatment session: did not finish treatment, in no denominator.
    # e: 5 sessions so far but still in treatment: not finished, in no denominator.
    phq = pd.DataFrame(
        {
            "client_id": ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e"],
            "timepoint": ["baseline", "exit"] * 5,
            "phq9_total": [16.0, 7.0, 12.0, 11.0, 6.0, 3.0, 20.0, 5.0, 20.0, 5.0],
        }
    )
    gad = phq.rename(columns={"phq9_total": "gad7_total"}).assign(
        gad7_total=[7.0, 5.0, 9.0, 9.0, 5.0, 4.0, 15.0, 3.0, 15.0, 3.0]
    )
    treatment = pd.DataFrame(
        {
            "client_id": list("abcde"),
            "treatment_sessions": [6, 8, 3, 1, 5],
            "ended": [True, True, True, True, False],
        }
    )
    rates = talking_therapy_rates(iapt_outcomes(phq, gad, treatment)).set_index("outcome")
    assert rates.loc["iapt_recovery", ["denominator", "numerator"]].tolist() == [2, 1]
    assert rates.loc["iapt_reliable_improvement", ["denominator", "numerator"]].tolist() == [3, 1]
    assert rates.loc["iapt_reliable_recovery", "rate"] == pytest.approx(0.5)
    assert rates.loc["iapt_reliable_deterioration", "numerator"] == 0
    assert not rates.loc["iapt_reliable_deterioration", "higher_is_better"]
    assert rates["without_paired_scores"].eq(0).all()


def test_still_in_treatment_counts_open_talking_therapy_episodes():
    episodes = pd.DataFrame(
        {
            "strands": ["talking_therapy", "wellbeing;talking_therapy", "talking_therapy",
                        "wellbeing", "talking_therapy"],
            "started": [True, True, True, True, False],
            "ended": _flags([False, True, None, False, False]),
        }
    )  # fmt: skip
    # only the first: the second ended, the third's end is unknown, the fourth is not talking
    # therapy and the fifth never started
    assert still_in_treatment(episodes) == 1


def test_missing_flag_columns_are_named():
    with pytest.raises(StatisticsError, match="iapt_reliable_improvement"):
        talking_therapy_rates(pd.DataFrame({"iapt_recovery": _flags([True])}))
