"""Wellbeing change summaries against hand-scored answers, scipy, and the published thresholds."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evalkit.config import EvaluationConfig
from evalkit.errors import StatisticsError
from evalkit.pages.wellbeing.change import (
    SENSITIVITY_METHODS,
    SYMPTOM_SCORES,
    WELLBEING_SCORES,
    change_categories,
    change_summary,
    change_thresholds,
    effect_size_label,
    imputation_covariates,
    sensitivity_range,
)

FIXTURES = Path(__file__).parent / "fixtures" / "wellbeing_outcomes"


@pytest.fixture
def items() -> pd.DataFrame:
    # Hand-designed answers (every client answers items 1-7 alike and items 8-14 alike):
    #   client  baseline (1-7, 8-14)  exit (1-7, 8-14)
    #   c1      3, 3 -> 42            4, 4 -> 56        change +14
    #   c2      2, 3 -> 35            3, 3 -> 42        change  +7
    #   c3      3, 3 -> 42            3, 2 -> 35        change  -7
    #   c4      2, 2 -> 28            2, 2 -> 28        change   0
    #   c5      3, 3 -> 42            4, 4 but item 14 blank at exit
    return pd.read_csv(FIXTURES / "wemwbs_items.csv")


def _by_score(summary: pd.DataFrame) -> dict[str, pd.Series]:
    return {row["score"]: row for _, row in summary.iterrows()}


def test_wemwbs_change_by_hand_and_against_scipy(items):
    row = _by_score(change_summary(items))["wemwbs"]
    # Complete case: c5 has no exit total (item 14 blank), so 4 pairs.
    assert (row["n_baseline"], row["n_followup"], row["n_paired"]) == (5, 4, 4)
    # Means: baseline (42 + 35 + 42 + 28) / 4 = 36.75; exit (56 + 42 + 35 + 28) / 4 = 40.25.
    assert row["baseline_mean"] == pytest.approx(36.75)
    assert row["followup_mean"] == pytest.approx(40.25)
    # Changes 14, 7, -7, 0: mean 3.5; deviations 10.5, 3.5, -10.5, -3.5, squares sum 245,
    # SD = sqrt(245 / 3) = 9.0370; d_z = 3.5 / 9.0370 = 0.3873 ("small", Cohen 1988).
    assert row["mean_change"] == pytest.approx(3.5)
    assert row["d_z"] == pytest.approx(3.5 / np.sqrt(245 / 3))
    assert row["effect_size"] == "small"
    ci = stats.ttest_rel([56, 42, 35, 28], [42, 35, 42, 28]).confidence_interval()
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((ci.low, ci.high))
    # Fewer than the 30 pairs Warwick advise.
    assert not row["meets_warwick_minimum"]


def test_swemwbs_uses_the_published_metric_conversion(items):
    row = _by_score(change_summary(items))["swemwbs"]
    # SWEMWBS items 1, 2, 3, 6, 7 (answered like 1-7) and 9, 11 (answered like 8-14).
    # c1: raw 21 -> 28, metric 19.25 -> 25.03 (+5.78); c2: raw 5*2 + 2*3 = 16 -> 21,
    # 16.36 -> 19.25 (+2.89); c3: 21 -> 5*3 + 2*2 = 19, 19.25 -> 17.98 (-1.27);
    # c4: 14 -> 14 (0); c5: item 14 is not a SWEMWBS item, so 19.25 -> 25.03 (+5.78).
    # Metric values from reference/measures.md §1.3.
    assert row["n_paired"] == 5
    assert row["mean_change"] == pytest.approx((5.78 + 2.89 - 1.27 + 0 + 5.78) / 5)


def test_the_configured_missing_item_rule_is_applied(items):
    config = EvaluationConfig(
        name="t", data_dir=Path("."), instruments={"wemwbs": {"missing_rule": "prorate"}}
    )
    row = _by_score(change_summary(items, config=config))["wemwbs"]
    # Prorated c5 exit: 13 answers of 4 = 52, times 14 / 13 = 56, so change +14 and 5 pairs:
    # mean (14 + 7 - 7 + 0 + 14) / 5 = 5.6.
    assert row["n_paired"] == 5
    assert row["mean_change"] == pytest.approx(5.6)


def test_every_requested_score_gets_a_row_even_when_nobody_answered_it(items):
    summary = change_summary(items)
    assert summary["score"].tolist() == [s.key for s in WELLBEING_SCORES]
    ons4 = summary.loc[summary["score"].str.startswith("ons4")]
    assert (ons4["n_baseline"] == 0).all() and ons4["mean_change"].isna().all()
    assert ons4["note"].str.contains("no client has both").all()


def test_lower_is_better_scores_classify_falls_as_improvement():
    # PHQ-9: 9 items 0-3. Client a: 2 on every item (18) -> 1 on every item (9), change -9,
    # a reliable improvement (a fall of 6 or more, NHS Talking Therapies).
    measures = pd.DataFrame(
        [
            ("a", tp, f"phq9_{i}", value)
            for tp, value in (("baseline", 2), ("exit", 1))
            for i in range(1, 10)
        ],
        columns=["client_id", "timepoint", "measure", "value"],
    )
    summary = change_summary(measures, SYMPTOM_SCORES)
    phq9 = _by_score(summary)["phq9"]
    assert phq9["mean_change"] == -9
    assert not phq9["higher_is_better"]
    assert (phq9["n_reliable_improvement"], phq9["n_meaningful_improvement"]) == (1, 1)


def test_missing_measure_columns_are_named():
    with pytest.raises(StatisticsError, match="value"):
        change_summary(pd.DataFrame({"client_id": [], "timepoint": [], "measure": []}))


@pytest.mark.parametrize(
    ("d", "word"),
    [(0.0, "negligible"), (0.199, "negligible"), (0.2, "small"), (0.49, "small"),
     (0.5, "medium"), (-0.8, "large"), (1.7, "large"), (None, "not available"),
     (float("nan"), "not available")],
)  # fmt: skip
def test_effect_size_words_follow_cohen_1988(d, word):
    assert effect_size_label(d) == word


def test_change_categories_by_hand(items):
    table = change_categories(change_summary(items))
    wemwbs = table.loc[table["score"] == "wemwbs"].set_index("category")
    # Changes 14, 7, -7, 0 with WEMWBS thresholds 3 (meaningful) and 7.45 (reliable):
    # meaningful: up 14, 7 -> 2; no change 0 -> 1; down -7 -> 1.
    # reliable: only 14 reaches 7.45 (7 does not) -> 1 improvement, 0 deterioration, 3 neither.
    assert wemwbs["n"].to_dict() == {
        "meaningful_improvement": 2,
        "no_meaningful_change": 1,
        "meaningful_deterioration": 1,
        "reliable_improvement": 1,
        "no_reliable_change": 3,
        "reliable_deterioration": 0,
    }
    assert wemwbs.loc["meaningful_improvement", "share"] == pytest.approx(0.5)
    assert (wemwbs["n_paired"] == 4).all()
    # SWEMWBS changes +5.78, +2.89, -1.27, 0, +5.78 with thresholds 1.03 and 2.87:
    # meaningful 3 up, 1 down, 1 neither; reliable 3 up (2.89 >= 2.87), 0 down.
    swemwbs = table.loc[table["score"] == "swemwbs"].set_index("category")["n"]
    assert swemwbs[["meaningful_improvement", "meaningful_deterioration"]].tolist() == [3, 1]
    assert swemwbs[["reliable_improvement", "no_reliable_change"]].tolist() == [3, 2]


def test_change_category_intervals_match_phe_wilson_reference():
    # PHEindicatormethods reference case (reference/measures.md §11): 65 / 100 ->
    # 0.5525 to 0.7364.
    row = pd.DataFrame(
        [
            {
                "score": "wemwbs",
                "label": "WEMWBS",
                "n_paired": 100,
                "n_meaningful_improvement": 65,
                "n_no_meaningful_change": 20,
                "n_meaningful_deterioration": 15,
                "n_reliable_improvement": 30,
                "n_reliable_deterioration": 5,
            }
        ]
    )
    table = change_categories(row).set_index("category")
    assert table.loc["meaningful_improvement", ["ci_lower", "ci_upper"]].tolist() == pytest.approx(
        [0.5525, 0.7364], abs=5e-5
    )
    assert table.loc["no_reliable_change", "n"] == 100 - 30 - 5


def test_scores_without_thresholds_give_nan_categories_with_a_reason(items):
    table = change_categories(change_summary(items))
    ons4 = table.loc[table["score"] == "ons4_anxiety"]
    assert len(ons4) == 6 and ons4["share"].isna().all() and ons4["n"].isna().all()
    assert ons4["note"].str.contains("no published").all()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=12))
def test_meaningful_categories_partition_the_paired_clients(answers):
    # Client k answers every WEMWBS item with a at baseline and b at exit (total 14a -> 14b).
    measures = pd.DataFrame(
        [
            (f"c{k}", tp, f"wemwbs_{i:02d}", value)
            for k, (a, b) in enumerate(answers)
            for tp, value in (("baseline", a), ("exit", b))
            for i in range(1, 15)
        ],
        columns=["client_id", "timepoint", "measure", "value"],
    )
    table = change_categories(change_summary(measures, WELLBEING_SCORES[:1]))
    changes = np.array([14 * (b - a) for a, b in answers])
    by_category = table.set_index("category")
    assert by_category.loc["meaningful_improvement", "n"] == (changes >= 3).sum()
    assert by_category.loc["meaningful_deterioration", "n"] == (changes <= -3).sum()
    meaningful = table.loc[table["threshold"] == "meaningful", "share"]
    assert meaningful.sum() == pytest.approx(1.0)
    assert ((table["ci_lower"] <= table["share"]) & (table["share"] <= table["ci_upper"])).all()


def test_thresholds_match_the_published_values():
    table = change_thresholds(WELLBEING_SCORES + SYMPTOM_SCORES).set_index("score")
    # ONS4 has no published individual change threshold, so it is not listed.
    assert table.index.tolist() == ["wemwbs", "swemwbs", "phq9", "gad7"]
    # WEMWBS: 3 points (about 1 SEM, Maheswaran et al. 2012); RCI 1.96 * sqrt(2) * 8.96 *
    # sqrt(1 - 0.91) = 7.45 (reference/measures.md §1.4, derived table).
    assert table.loc["wemwbs", "meaningful_change"] == 3
    assert table.loc["wemwbs", "reliable_change"] == pytest.approx(7.45, abs=0.005)
    # SWEMWBS: 1 SEM = 1.03, 2.77 SEM = 2.87 (Shah et al. 2018).
    assert table.loc["swemwbs", ["meaningful_change", "reliable_change"]].tolist() == [1.03, 2.87]
    # NHS Talking Therapies reliable improvement: PHQ-9 6, GAD-7 4 (PMC8411661 Table 1).
    assert table.loc["phq9", "reliable_change"] == 6 and table.loc["gad7", "reliable_change"] == 4
    assert table["meaningful_source"].str.len().gt(0).all()
    assert table.loc["swemwbs", "reliable_source"].count("Shah et al. 2018") == 1


def test_imputation_covariates_skip_absent_empty_and_constant_columns():
    participants = pd.DataFrame(
        {
            "imd_quintile": [1, 2, 2],
            "age": [np.nan, np.nan, np.nan],
            "sex": ["female", "male", None],
            "delivery_mode": ["group", "group", "group"],
        }
    )
    assert imputation_covariates(participants) == ["imd_quintile", "sex"]


def test_sensitivity_range_by_hand():
    table = pd.DataFrame(
        {
            "method": ["complete_case", "baseline_carried_forward", "multiple_imputation"],
            "estimate": [3.49, 1.81, 3.51],
            "ci_lower": [3.03, 1.56, 3.06],
            "ci_upper": [3.94, 2.06, 3.97],
        }
    )
    row = sensitivity_range(table).iloc[0]
    # Lowest 1.81 (carried forward), highest 3.51 (imputation), spread 3.51 - 1.81 = 1.70.
    assert (row["lowest_method"], row["highest_method"]) == (
        "baseline_carried_forward",
        "multiple_imputation",
    )
    assert row["spread"] == pytest.approx(1.70)
    assert row["n_estimates"] == 3 and row["all_show_improvement"]
    # For a lower-is-better score the same intervals (all above zero) show deterioration.
    assert not sensitivity_range(table, higher_is_better=False).iloc[0]["all_show_improvement"]


def test_sensitivity_range_names_methods_without_an_estimate():
    table = pd.DataFrame(
        {
            "method": ["complete_case", "baseline_carried_forward", "multiple_imputation"],
            "estimate": [2.0, 1.0, np.nan],
            "ci_lower": [0.5, 0.2, np.nan],
            "ci_upper": [3.5, 1.8, np.nan],
        }
    )
    row = sensitivity_range(table).iloc[0]
    assert row["n_estimates"] == 2
    assert not row["all_show_improvement"]  # one method could not be estimated
    assert row["note"] == "no estimate from: multiple_imputation"
    empty = sensitivity_range(table.assign(estimate=np.nan)).iloc[0]
    assert empty["n_estimates"] == 0 and np.isnan(empty["lowest"])


def test_every_sensitivity_method_has_plain_words(items):
    from evalkit.instruments import score
    from evalkit.outcomes import sensitivity

    methods = sensitivity(score(items, "wemwbs"), "wemwbs_total")["method"]
    assert set(methods) == set(SENSITIVITY_METHODS)
    assert all(all(part.strip() for part in words) for words in SENSITIVITY_METHODS.values())
