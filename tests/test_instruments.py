"""Instrument definitions and the generic scorer against the published references.

Expected values come from ../shared/reference/measures.md (copied into
tests/fixtures/instruments/ where tabular) or are worked by hand in the comments; none is read
back from the scorer.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit.instruments as ins
from evalkit.config import EvaluationConfig
from evalkit.errors import ConfigError, EvalkitError, ScoringError
from evalkit.instruments.definitions import Band, InstrumentDefinition

FIXTURES = Path(__file__).parent / "fixtures" / "instruments"


def responses_for_total(defn: InstrumentDefinition, total: int) -> list[int]:
    """Whole-number responses in range that add up to ``total`` (spread as evenly as possible)."""
    base, extra = divmod(total - defn.response_min * defn.n_items, defn.n_items)
    return [defn.response_min + base + (1 if i < extra else 0) for i in range(defn.n_items)]


def long_table(rows: list[tuple[str, str, dict[str, float]]]) -> pd.DataFrame:
    """Long measures from (client_id, timepoint, {measure: value}) triples."""
    records = [
        {"client_id": c, "timepoint": t, "measure": m, "value": float(v)}
        for c, t, values in rows
        for m, v in values.items()
    ]
    return pd.DataFrame(records)


def wide_table(defn: InstrumentDefinition, totals: list[int]) -> pd.DataFrame:
    rows = [responses_for_total(defn, t) for t in totals]
    frame = pd.DataFrame(rows, columns=list(defn.items), dtype="float64")
    frame.insert(0, "timepoint", "baseline")
    frame.insert(0, "client_id", [f"c{i}" for i in range(len(totals))])
    return frame


# --- definitions and registry -------------------------------------------------------------


def test_available_lists_every_instrument_and_get_returns_ordered_items():
    assert ins.available() == ["wemwbs", "swemwbs", "ons4", "phq9", "gad7", "auditc"]
    assert ins.get("wemwbs").items == tuple(f"wemwbs_{i:02d}" for i in range(1, 15))
    # reference §1.1 and data-model: SWEMWBS is WEMWBS items 1, 2, 3, 6, 7, 9, 11
    assert ins.get("swemwbs").items == tuple(f"wemwbs_{i:02d}" for i in (1, 2, 3, 6, 7, 9, 11))
    assert ins.get("phq9").items == tuple(f"phq9_{i}" for i in range(1, 10))
    assert ins.get("gad7").items == tuple(f"gad7_{i}" for i in range(1, 8))
    assert ins.get("auditc").items == ("auditc_1", "auditc_2", "auditc_3")
    assert ins.get("ons4").items == (
        "ons4_life_satisfaction",
        "ons4_worthwhile",
        "ons4_happiness",
        "ons4_anxiety",
    )
    assert ins.get("PHQ9") is ins.get("phq9")


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("wemwbs", 14, 70), ("swemwbs", 7, 35), ("phq9", 0, 27), ("gad7", 0, 21), ("auditc", 0, 12)],
)
def test_total_ranges_match_the_reference(name, low, high):
    d = ins.get(name)
    assert (d.total_min, d.total_max) == (low, high)


def test_unknown_instrument_is_an_evalkit_error():
    with pytest.raises(ScoringError, match="Unknown instrument 'wembws'.*wemwbs"):
        ins.get("wembws")


def test_wemwbs_reliable_change_index_is_the_derived_jacobson_truax_value():
    # reference §1.4 [DERIVED]: RC = 1.96 * sqrt(2) * 8.96 * sqrt(1 - 0.91) = 7.45
    assert ins.get("wemwbs").reliable_change_index == pytest.approx(7.45, abs=0.005)
    assert ins.get("swemwbs").reliable_change_index == 2.87  # Shah 2018: 2.77 SEM
    assert ins.get("phq9").reliable_change_index == 6  # NHS Talking Therapies
    assert ins.get("gad7").reliable_change_index == 4
    assert ins.get("auditc").reliable_change_index is None


def test_every_definition_cites_a_source():
    table = ins.definitions_table()
    assert list(table["instrument"]) == ins.available()
    assert table["citation"].str.len().min() > 40
    assert table.loc[table["instrument"] == "swemwbs", "notes"].str.contains("No official").all()


def test_a_definition_with_descending_bands_is_rejected():
    with pytest.raises(ScoringError, match="ascending"):
        replace(ins.get("phq9"), bands=(Band("b", 5), Band("a", 0)))


def test_a_conversion_table_must_cover_every_raw_total():
    with pytest.raises(ScoringError, match="every raw total"):
        replace(ins.get("swemwbs"), metric_conversion={7: 7.0})


def test_a_new_instrument_is_just_a_definition_and_reverse_items_are_reversed():
    toy = InstrumentDefinition(
        name="toy",
        title="Toy scale (TOY)",
        items=("toy_1", "toy_2", "toy_3"),
        response_min=0,
        response_max=4,
        reverse_items=("toy_2",),
        bands=(Band("low", 0), Band("high", 6)),
        citation="hand-made for this test",
    )
    wide = pd.DataFrame(
        {
            "client_id": ["a"],
            "timepoint": ["baseline"],
            "toy_1": [1.0],
            "toy_2": [1.0],
            "toy_3": [2.0],
        }
    )
    out = ins.score(wide, toy)
    # toy_2 reversed: 0 + 4 - 1 = 3; total 1 + 3 + 2 = 6 -> band "high" (lower bound 6)
    assert out.loc[0, "toy_total"] == 6
    assert out.loc[0, "toy_band"] == "high"


# --- SWEMWBS conversion table ---------------------------------------------------------------


def test_swemwbs_reproduces_every_row_of_the_conversion_table():
    reference = pd.read_csv(FIXTURES / "swemwbs_conversion_reference.csv")
    assert len(reference) == 29
    swemwbs = ins.get("swemwbs")
    rows = [
        (
            f"raw{r}",
            "baseline",
            dict(zip(swemwbs.items, responses_for_total(swemwbs, r), strict=True)),
        )
        for r in reference["raw"]
    ]
    scored = ins.score(long_table(rows), "swemwbs")
    assert scored["client_id"].tolist() == [f"raw{r}" for r in reference["raw"]]
    np.testing.assert_array_equal(scored["swemwbs_total"], reference["raw"])
    np.testing.assert_allclose(scored["swemwbs_metric"], reference["metric"], atol=1e-12)


def test_swemwbs_is_scored_from_a_full_wemwbs_using_only_its_seven_items():
    wemwbs = ins.get("wemwbs")
    answers = dict.fromkeys(wemwbs.items, 1.0)
    answers.update({f"wemwbs_{i:02d}": 5.0 for i in (4, 5, 8, 10, 12, 13, 14)})  # not SWEMWBS
    out = ins.score(long_table([("a", "baseline", answers)]), "swemwbs")
    # the seven SWEMWBS items are all 1: raw 7 -> metric 7.00 (table row 1)
    assert out.loc[0, "swemwbs_total"] == 7
    assert out.loc[0, "swemwbs_metric"] == 7.0


# --- band boundaries, both sides, every instrument -------------------------------------------

BAND_EDGES = [
    # WEMWBS (reference §1.5): <=40 probable depression, 41-44 possible, 45-59 average, >=60 high
    ("wemwbs", 14, "probable depression"),
    ("wemwbs", 40, "probable depression"),
    ("wemwbs", 41, "possible depression"),
    ("wemwbs", 44, "possible depression"),
    ("wemwbs", 45, "average wellbeing"),
    ("wemwbs", 59, "average wellbeing"),
    ("wemwbs", 60, "high wellbeing"),
    ("wemwbs", 70, "high wellbeing"),
    # PHQ-9 (§3.1): 0-4, 5-9, 10-14, 15-19, 20-27
    ("phq9", 0, "minimal"),
    ("phq9", 4, "minimal"),
    ("phq9", 5, "mild"),
    ("phq9", 9, "mild"),
    ("phq9", 10, "moderate"),
    ("phq9", 14, "moderate"),
    ("phq9", 15, "moderately severe"),
    ("phq9", 19, "moderately severe"),
    ("phq9", 20, "severe"),
    ("phq9", 27, "severe"),
    # GAD-7 (§3.1): 0-4, 5-9, 10-14, 15-21
    ("gad7", 0, "minimal"),
    ("gad7", 4, "minimal"),
    ("gad7", 5, "mild"),
    ("gad7", 9, "mild"),
    ("gad7", 10, "moderate"),
    ("gad7", 14, "moderate"),
    ("gad7", 15, "severe"),
    ("gad7", 21, "severe"),
    # AUDIT-C (§7): 0-4 lower, 5-7 increasing, 8-10 higher, 11-12 possible dependence
    ("auditc", 0, "lower risk"),
    ("auditc", 4, "lower risk"),
    ("auditc", 5, "increasing risk"),
    ("auditc", 7, "increasing risk"),
    ("auditc", 8, "higher risk"),
    ("auditc", 10, "higher risk"),
    ("auditc", 11, "possible dependence"),
    ("auditc", 12, "possible dependence"),
]


@pytest.mark.parametrize(("name", "total", "label"), BAND_EDGES)
def test_band_boundaries_of_summed_instruments(name, total, label):
    out = ins.score(wide_table(ins.get(name), [total]), name)
    assert out.loc[0, f"{name}_total"] == total
    assert out.loc[0, f"{name}_band"] == label


@pytest.mark.parametrize(
    ("raw", "label"),
    # chosen bands on the metric score: low < 19.25 <= typical < 29.31 <= high
    # raw 20 -> 18.59, raw 21 -> 19.25, raw 31 -> 28.13, raw 32 -> 29.31 (conversion table)
    [(7, "low wellbeing"), (20, "low wellbeing"), (21, "typical wellbeing")]
    + [(31, "typical wellbeing"), (32, "high wellbeing"), (35, "high wellbeing")],
)
def test_swemwbs_band_boundaries_on_the_metric_score(raw, label):
    out = ins.score(wide_table(ins.get("swemwbs"), [raw]), "swemwbs")
    assert out.loc[0, "swemwbs_band"] == label


ONS4_HIGH_GOOD = [(0, "low"), (4, "low"), (5, "medium"), (6, "medium"), (7, "high")] + [
    (8, "high"),
    (9, "very high"),
    (10, "very high"),
]
ONS4_ANXIETY = [(0, "very low"), (1, "very low"), (2, "low"), (3, "low"), (4, "medium")] + [
    (5, "medium"),
    (6, "high"),
    (10, "high"),
]


@pytest.mark.parametrize(
    ("item", "value", "label"),
    [(item, v, lab) for item in ("ons4_life_satisfaction", "ons4_worthwhile", "ons4_happiness")
     for v, lab in ONS4_HIGH_GOOD]
    + [("ons4_anxiety", v, lab) for v, lab in ONS4_ANXIETY],
)  # fmt: skip
def test_ons4_each_question_banded_and_anxiety_in_reverse(item, value, label):
    # reference §2: 0-4 low, 5-6 medium, 7-8 high, 9-10 very high; anxiety 0-1 very low,
    # 2-3 low, 4-5 medium, 6-10 high
    out = ins.score(long_table([("a", "baseline", {item: value})]), "ons4")
    assert out.loc[0, item] == value
    assert out.loc[0, f"{item}_band"] == label
    assert out.loc[0, "ons4_items_answered"] == 1


def test_ons4_has_no_total_and_a_blank_question_leaves_the_others_scored():
    answers = {"ons4_life_satisfaction": 7, "ons4_worthwhile": 8, "ons4_anxiety": 3}
    out = ins.score(long_table([("a", "baseline", answers)]), "ons4")
    assert "ons4_total" not in out.columns
    assert math.isnan(out.loc[0, "ons4_happiness"])
    assert pd.isna(out.loc[0, "ons4_happiness_band"])
    assert out.loc[0, "ons4_life_satisfaction_band"] == "high"
    assert out.loc[0, "ons4_items_answered"] == 3


# --- output shape ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("wemwbs", ["wemwbs_total", "wemwbs_band", "wemwbs_items_answered"]),
        ("swemwbs", ["swemwbs_total", "swemwbs_metric", "swemwbs_band", "swemwbs_items_answered"]),
        ("phq9", ["phq9_total", "phq9_band", "phq9_items_answered"]),
    ],
)
def test_score_returns_the_documented_columns(name, columns):
    out = ins.score(wide_table(ins.get(name), [ins.get(name).total_min]), name)
    assert list(out.columns) == ["client_id", "timepoint", *columns]


def test_long_input_gives_one_row_per_client_and_timepoint_with_items():
    phq9 = ins.get("phq9")
    rows = [
        ("a", "baseline", dict(zip(phq9.items, [1] * 9, strict=True))),
        ("a", "exit", dict(zip(phq9.items, [0] * 9, strict=True))),
        ("b", "baseline", {"weight_kg": 80.0}),  # no PHQ-9 item: no PHQ-9 row
    ]
    out = ins.score(long_table(rows), "phq9")
    assert out[["client_id", "timepoint"]].values.tolist() == [["a", "baseline"], ["a", "exit"]]
    assert out["phq9_total"].tolist() == [9.0, 0.0]


def test_wide_input_keeps_every_row_even_without_answers():
    wide = wide_table(ins.get("gad7"), [3, 0])
    wide.loc[1, list(ins.get("gad7").items)] = np.nan
    out = ins.score(wide, "gad7", missing_rule="prorate", max_missing=6)
    assert len(out) == 2
    assert out.loc[1, "gad7_items_answered"] == 0
    assert math.isnan(out.loc[1, "gad7_total"])  # nothing to prorate from: NaN, never 0


def test_long_and_wide_input_give_the_same_scores():
    wemwbs = ins.get("wemwbs")
    wide = wide_table(wemwbs, [14, 33, 52, 70])
    wide.loc[2, "wemwbs_05"] = np.nan
    long = wide.melt(["client_id", "timepoint"], var_name="measure", value_name="value").dropna()
    for rule in ("complete_case", "prorate"):
        a = ins.score(wide, "wemwbs", missing_rule=rule)
        b = ins.score(long, "wemwbs", missing_rule=rule)
        pd.testing.assert_frame_equal(a, b.set_index("client_id").loc[a["client_id"]].reset_index())


# --- missing-item rules at their edges ------------------------------------------------------


def wemwbs_with_blanks(values: list[float]) -> pd.DataFrame:
    frame = pd.DataFrame([values], columns=list(ins.get("wemwbs").items))
    frame.insert(0, "timepoint", "baseline")
    frame.insert(0, "client_id", "a")
    return frame


def test_complete_case_default_scores_14_answers_and_not_13():
    full = wemwbs_with_blanks([3.0] * 14)
    one_blank = wemwbs_with_blanks([3.0] * 13 + [np.nan])
    assert ins.score(full, "wemwbs").loc[0, "wemwbs_total"] == 42  # 14 x 3
    out = ins.score(one_blank, "wemwbs")
    assert math.isnan(out.loc[0, "wemwbs_total"])
    assert pd.isna(out.loc[0, "wemwbs_band"])
    assert out.loc[0, "wemwbs_items_answered"] == 13


def test_prorate_fills_at_most_k_blanks_with_the_person_mean():
    # 13 answered: six 4s and seven 3s = 45; 45 x 14 / 13 = 48.46 -> 48
    answers = [4.0] * 6 + [3.0] * 7 + [np.nan]
    assert (
        ins.score(wemwbs_with_blanks(answers), "wemwbs", missing_rule="prorate").loc[
            0, "wemwbs_total"
        ]
        == 48
    )
    # 12 answered with k = 1: one blank too many -> NaN
    two_blank = wemwbs_with_blanks([4.0] * 12 + [np.nan, np.nan])
    out = ins.score(two_blank, "wemwbs", missing_rule="prorate", max_missing=1)
    assert math.isnan(out.loc[0, "wemwbs_total"])
    # k = 2 allows it: 12 x 4 = 48; 48 x 14 / 12 = 56
    out = ins.score(two_blank, "wemwbs", missing_rule="prorate", max_missing=2)
    assert out.loc[0, "wemwbs_total"] == 56
    # k = 0 is complete case
    out = ins.score(wemwbs_with_blanks(answers), "wemwbs", missing_rule="prorate", max_missing=0)
    assert math.isnan(out.loc[0, "wemwbs_total"])


def test_prorated_swemwbs_rounds_halves_up_before_conversion():
    swemwbs = ins.get("swemwbs")
    rows = [
        # six answers adding to 15: 15 x 7 / 6 = 17.5 -> 18 -> metric 17.43 (table)
        ("a", "baseline", dict(zip(swemwbs.items[:6], [3, 3, 3, 2, 2, 2], strict=True))),
        # six answers adding to 21: 21 x 7 / 6 = 24.5 -> 25 (not 24) -> metric 22.35
        ("b", "baseline", dict(zip(swemwbs.items[1:], [4, 4, 4, 3, 3, 3], strict=True))),
    ]
    out = ins.score(long_table(rows), "swemwbs", missing_rule="prorate")
    assert out["swemwbs_total"].tolist() == [18, 25]
    assert out["swemwbs_metric"].tolist() == [17.43, 22.35]
    complete_case = ins.score(long_table(rows), "swemwbs")
    assert complete_case["swemwbs_metric"].isna().all()


@pytest.mark.parametrize(
    ("rule", "k", "match"),
    [("mean", None, "not one of"), ("prorate", 14, "0 to 13"), ("prorate", -1, "0 to 13")]
    + [("prorate", True, "whole number"), ("prorate", 1.5, "whole number")],
)
def test_invalid_missing_rule_settings_are_config_errors(rule, k, match):
    with pytest.raises(ConfigError, match=match):
        ins.score(wemwbs_with_blanks([3.0] * 14), "wemwbs", missing_rule=rule, max_missing=k)


def test_a_missing_item_rule_for_ons4_is_refused():
    with pytest.raises(ConfigError, match="one by one"):
        ins.score(
            long_table([("a", "baseline", {"ons4_anxiety": 3})]), "ons4", missing_rule="prorate"
        )


def test_the_rule_statement_names_the_rule_for_reports():
    assert "complete answers only" in ins.missing_rule_statement("wemwbs")
    assert "14 questions" in ins.missing_rule_statement("wemwbs")
    text = ins.missing_rule_statement("wemwbs", "prorate", 2)
    assert "up to 2 of the 14" in text and "average of the person's other answers" in text
    assert "one by one" in ins.missing_rule_statement("ons4")


def test_settings_come_from_the_evaluation_config():
    cfg = EvaluationConfig(
        name="t",
        data_dir=Path("."),
        instruments={"wemwbs": {"missing_rule": "prorate", "max_missing": 2}},
    )
    assert ins.instrument_settings(cfg, "wemwbs") == {"missing_rule": "prorate", "max_missing": 2}
    assert ins.instrument_settings(cfg, "swemwbs") == {
        "missing_rule": "complete_case",
        "max_missing": 1,
    }
    assert ins.instrument_settings(None, "phq9")["missing_rule"] == "complete_case"
    with pytest.raises(ConfigError, match="unknown instrument.*wembws"):
        ins.instrument_settings(
            EvaluationConfig("t", Path("."), instruments={"wembws": {}}), "wemwbs"
        )
    with pytest.raises(ConfigError, match="unknown setting.*k"):
        ins.instrument_settings(
            EvaluationConfig("t", Path("."), instruments={"wemwbs": {"k": 1}}), "wemwbs"
        )


# --- bad input ----------------------------------------------------------------------------------


def test_out_of_range_item_names_client_timepoint_item_and_value():
    rows = [("c7", "exit", {**{f"gad7_{i}": 1 for i in range(1, 8)}, "gad7_4": 4})]
    with pytest.raises(ScoringError) as caught:
        ins.score(long_table(rows), "gad7")
    message = str(caught.value)
    for part in ("c7", "exit", "gad7_4", "value 4", "0 to 3"):
        assert part in message


def test_fractional_item_is_out_of_range():
    frame = wemwbs_with_blanks([3.0] * 13 + [2.5])
    with pytest.raises(
        ScoringError, match="wemwbs_14 has value 2.5 for client a at timepoint baseline"
    ):
        ins.score(frame, "wemwbs")


def test_zero_on_a_one_to_five_scale_is_rejected_not_summed():
    with pytest.raises(ScoringError, match="value 0"):
        ins.score(wemwbs_with_blanks([0.0] + [3.0] * 13), "wemwbs")


def test_non_numeric_long_value_names_client_timepoint_item_and_value():
    long = pd.DataFrame(
        {
            "client_id": ["a", "b"],
            "timepoint": ["baseline", "exit"],
            "measure": ["auditc_1", "auditc_2"],
            "value": ["2", "often"],
        }
    )
    with pytest.raises(EvalkitError) as caught:
        ins.score(long, "auditc")
    for part in ("'often'", "client b", "timepoint exit", "item auditc_2"):
        assert part in str(caught.value)


def test_non_numeric_wide_value_names_the_item():
    wide = wide_table(ins.get("auditc"), [4]).astype({"auditc_3": "str"})
    wide.loc[0, "auditc_3"] = "n/k"
    with pytest.raises(
        ScoringError, match="'n/k' for client c0, timepoint baseline, item auditc_3"
    ):
        ins.score(wide, "auditc")


def test_duplicate_measures_are_reported_not_summed():
    long = long_table([("a", "baseline", {"auditc_1": 1, "auditc_2": 1, "auditc_3": 1})])
    long = pd.concat([long, long.iloc[[1]]], ignore_index=True)
    with pytest.raises(
        ScoringError, match="Client a has measure auditc_2 2 times at timepoint baseline"
    ):
        ins.score(long, "auditc")


def test_missing_columns_are_named():
    with pytest.raises(ScoringError, match="lacks column.*phq9_9"):
        ins.score(wide_table(ins.get("phq9"), [3]).drop(columns="phq9_9"), "phq9")


# --- change --------------------------------------------------------------------------------------


def scored_pairs(name: str, pairs: dict[str, tuple[float, float]]) -> pd.DataFrame:
    col = ins.get(name).score_column
    records = [
        {"client_id": c, "timepoint": tp, col: v}
        for c, (b, e) in pairs.items()
        for tp, v in (("baseline", b), ("exit", e))
        if not math.isnan(v)
    ]
    return pd.DataFrame(records)


def flags(out: pd.DataFrame, stem: str, flag: str) -> list:
    return [None if pd.isna(v) else bool(v) for v in out[f"{stem}_{flag}"]]


def test_wemwbs_change_thresholds_3_meaningful_and_7_45_reliable():
    pairs = {
        "a": (40, 43),  # +3 >= 3 meaningful; 3 < 7.45 not reliable
        "b": (40, 42),  # +2 < 3
        "c": (50, 47),  # -3 meaningful deterioration
        "d": (40, 47),  # +7 < 7.45 not reliable
        "e": (40, 48),  # +8 >= 7.45 reliable improvement
        "f": (52, 44),  # -8 reliable deterioration
        "g": (45, math.nan),  # no exit: NA
    }
    out = ins.change(scored_pairs("wemwbs", pairs), "wemwbs")
    assert out["client_id"].tolist() == list("abcdefg")
    assert out["wemwbs_change"].tolist()[:6] == [3, 2, -3, 7, 8, -8]
    assert flags(out, "wemwbs", "meaningful_improvement") == [
        True,
        False,
        False,
        True,
        True,
        False,
        None,
    ]
    assert flags(out, "wemwbs", "meaningful_deterioration") == [
        False,
        False,
        True,
        False,
        False,
        True,
        None,
    ]
    assert flags(out, "wemwbs", "reliable_change") == [False, False, False, False, True, True, None]
    assert flags(out, "wemwbs", "reliable_improvement") == [False] * 4 + [True, False, None]
    assert flags(out, "wemwbs", "reliable_deterioration") == [False] * 5 + [True, None]


def test_swemwbs_change_is_on_the_metric_score():
    # metric from the table: raw 20 = 18.59, 21 = 19.25, 22 = 19.98, 23 = 20.73, 24 = 21.54
    pairs = {
        "a": (18.59, 19.25),  # +0.66 < 1.03
        "b": (18.59, 19.98),  # +1.39 >= 1.03 meaningful, < 2.87
        "c": (18.59, 20.73),  # +2.14 < 2.87 not reliable
        "d": (18.59, 21.54),  # +2.95 >= 2.87 reliable
    }
    out = ins.change(scored_pairs("swemwbs", pairs), "swemwbs")
    assert out["swemwbs_change"].tolist() == [0.66, 1.39, 2.14, 2.95]
    assert flags(out, "swemwbs", "meaningful_improvement") == [False, True, True, True]
    assert flags(out, "swemwbs", "reliable_improvement") == [False, False, False, True]
    assert list(out.columns[:3]) == ["client_id", "swemwbs_baseline", "swemwbs_exit"]


def test_phq9_improvement_is_a_fall_of_6():
    out = ins.change(scored_pairs("phq9", {"a": (15, 9), "b": (15, 10), "c": (9, 15)}), "phq9")
    assert flags(out, "phq9", "reliable_improvement") == [True, False, False]
    assert flags(out, "phq9", "meaningful_improvement") == [True, False, False]
    assert flags(out, "phq9", "reliable_deterioration") == [False, False, True]


def test_instruments_without_a_threshold_give_na_flags_not_false():
    out = ins.change(scored_pairs("auditc", {"a": (8, 3)}), "auditc")
    assert out.loc[0, "auditc_change"] == -5
    assert pd.isna(out.loc[0, "auditc_meaningful_improvement"])
    assert pd.isna(out.loc[0, "auditc_reliable_change"])


def test_ons4_change_is_per_question():
    rows = [
        ("a", "baseline", {"ons4_anxiety": 7, "ons4_happiness": 4}),
        ("a", "exit", {"ons4_anxiety": 3, "ons4_happiness": 6}),
    ]
    out = ins.change(ins.score(long_table(rows), "ons4"), "ons4")
    assert out.loc[0, "ons4_anxiety_change"] == -4
    assert out.loc[0, "ons4_happiness_change"] == 2
    assert math.isnan(out.loc[0, "ons4_worthwhile_change"])


def test_change_to_another_followup_names_the_columns_after_it():
    scored = pd.DataFrame(
        {
            "client_id": ["a", "a"],
            "timepoint": ["baseline", "followup_3m"],
            "gad7_total": [12.0, 7.0],
        }
    )
    out = ins.change(scored, "gad7", followup="followup_3m")
    assert out.loc[0, "gad7_followup_3m"] == 7
    assert bool(out.loc[0, "gad7_reliable_improvement"])  # 7 - 12 = -5, a fall of >= 4


def test_change_refuses_repeated_client_timepoints():
    scored = pd.DataFrame(
        {"client_id": ["a", "a"], "timepoint": ["exit", "exit"], "gad7_total": [1.0, 2.0]}
    )
    with pytest.raises(
        ScoringError, match="client a twice at timepoint exit|Client a appears twice"
    ):
        ins.change(scored, "gad7")
