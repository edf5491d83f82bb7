"""Subgroup findings: labelled forest rows and the strongest difference, on planted effects."""

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import StatisticsError
from evalkit.outcomes import for_whom
from evalkit.pages.wellbeing.subgroups import factor_tests, forest_rows, strongest_difference


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    # 600 clients; peer-led support adds 4 WEMWBS points to everyone's gain of 2, nothing else
    # matters. IMD quintile is unrelated to change; 6 clients have no IMD recorded and 5 are
    # in a referral source too small to model.
    rng = np.random.default_rng(7)
    n = 600
    ids = [f"c{i:03d}" for i in range(n)]
    modes = np.array(["face_to_face", "telephone", "peer_led"])[np.arange(n) % 3]
    imd = pd.array(1 + np.arange(n) % 5, dtype="Int64")
    imd[:6] = pd.NA
    source = np.where(np.arange(n) < 5, "hospital", np.where(np.arange(n) % 2, "gp", "self"))
    participants = pd.DataFrame(
        {
            "client_id": ids,
            "delivery_mode": modes,
            "imd_quintile": imd,
            "referral_source": source,
            "site": "North",
        }
    )
    base = rng.normal(42, 8, n)
    gain = 2 + 4 * (modes == "peer_led")
    scored = pd.concat(
        [
            pd.DataFrame({"client_id": ids, "timepoint": "baseline", "wemwbs_total": base}),
            pd.DataFrame(
                {
                    "client_id": ids,
                    "timepoint": "exit",
                    "wemwbs_total": base + gain + rng.normal(0, 3, n),
                }
            ),
        ]
    )
    return for_whom(
        scored,
        participants,
        "wemwbs_total",
        ["imd_quintile", "delivery_mode", "referral_source"],
        site=None,
        reference={"delivery_mode": "face_to_face", "imd_quintile": 1},
    )


def test_forest_rows_keep_every_row_in_reading_order(planted):
    rows = forest_rows(planted, factors=["imd_quintile", "delivery_mode", "referral_source"])
    model_rows = planted.loc[planted["model"] == "ancova_hc3"]
    assert len(rows) == len(model_rows)  # nothing dropped, estimated or not
    imd = rows.loc[rows["factor"] == "imd_quintile", "row_label"].tolist()
    # IMD quintile 1 (the reference) first, 5 last, then the 6 not recorded.
    assert imd == [
        "IMD quintile: 1 (most deprived) (reference)",
        "IMD quintile: 2",
        "IMD quintile: 3",
        "IMD quintile: 4",
        "IMD quintile: 5 (least deprived)",
        "IMD quintile: Not recorded",
    ]
    not_recorded = rows.loc[rows["level_label"] == "Not recorded"].iloc[0]
    assert not_recorded["n"] == 6 and np.isnan(not_recorded["adjusted_change"])
    modes = rows.loc[rows["factor"] == "delivery_mode", "level_label"].tolist()
    assert modes == ["Face to face", "Telephone", "Peer-led"]  # labels.VALUE_LABELS order
    hospital = rows.loc[rows["level"] == "hospital"].iloc[0]
    assert hospital["row_label"] == "Referral source: Hospital"
    assert "not modelled" in hospital["note"] and np.isnan(hospital["adjusted_change"])


def test_forest_rows_of_one_factor_and_the_other_model():
    table = pd.DataFrame(
        {
            "factor": ["sex", "sex", "age_band"],
            "level": ["male", "female", "16-24"],
            "model": ["mixed_site", "mixed_site", "ancova_hc3"],
            "n": [20, 30, 40],
            "is_reference": [False, True, True],
            "adjusted_change": [2.0, 3.0, np.nan],
        }
    )
    rows = forest_rows(table, model="mixed_site")
    assert rows["row_label"].tolist() == ["Sex: Female (reference)", "Sex: Male"]
    assert forest_rows(table, factors=["provider"]).empty
    # One age band, nothing compared: no "(reference)" mark on a lone, unestimated group.
    assert forest_rows(table)["row_label"].tolist() == ["Age group: 16 to 24"]


def test_planted_effect_is_the_strongest_difference(planted):
    best = strongest_difference(planted).iloc[0]
    assert (best["factor"], best["level"], best["reference_level"]) == (
        "delivery_mode",
        "peer_led",
        "face_to_face",
    )
    assert (best["level_label"], best["reference_label"]) == ("Peer-led", "Face to face")
    assert (best["n"], best["reference_n"]) == (200, 200)
    # The planted extra gain is 4 points; the interval should contain it and exclude 0.
    assert best["difference_ci_lower"] < 4 < best["difference_ci_upper"]
    assert best["difference_ci_lower"] > 0 and best["clear"]


def test_ties_in_holm_p_are_broken_by_the_raw_p_then_by_size():
    # Holm caps both adjusted p-values at 1; the raw p-values decide (0.20 beats 0.40).
    table = pd.DataFrame(
        {
            "factor": ["provider", "provider", "age_band", "age_band"],
            "level": ["A", "B", "16-24", "25-34"],
            "model": ["ancova_hc3"] * 4,
            "n": [50, 60, 30, 40],
            "is_reference": [False, True, False, True],
            "difference": [2.5, 0.0, -1.0, 0.0],
            "difference_ci_lower": [-1.0, np.nan, -2.0, np.nan],
            "difference_ci_upper": [6.0, np.nan, 0.1, np.nan],
            "p_value": [0.40, np.nan, 0.20, np.nan],
            "p_holm": [1.0, np.nan, 1.0, np.nan],
            "interaction_p_holm": [0.4, 0.4, 0.2, 0.2],
        }
    )
    best = strongest_difference(table).iloc[0]
    assert (best["level_label"], best["reference_label"]) == ("16 to 24", "25 to 34")
    assert not best["clear"]
    same_p = table.assign(p_value=[0.3, np.nan, 0.3, np.nan])
    assert strongest_difference(same_p).iloc[0]["level"] == "A"  # |2.5| > |-1.0|


def test_no_estimated_difference_gives_no_row():
    table = pd.DataFrame(
        {
            "factor": ["provider"],
            "level": ["A"],
            "model": ["ancova_hc3"],
            "n": [4],
            "is_reference": [False],
            "difference": [np.nan],
            "difference_ci_lower": [np.nan],
            "difference_ci_upper": [np.nan],
            "p_value": [np.nan],
            "p_holm": [np.nan],
            "interaction_p_holm": [np.nan],
        }
    )
    assert strongest_difference(table).empty


def test_missing_columns_are_named():
    with pytest.raises(StatisticsError, match="p_holm"):
        strongest_difference(pd.DataFrame({"factor": [], "level": [], "model": []}))
    with pytest.raises(StatisticsError, match="is_reference"):
        forest_rows(pd.DataFrame({"factor": [], "level": [], "model": []}))


def test_strongest_difference_counts_the_comparisons_holm_allows_for(planted):
    # Non-reference subgroups with a p-value: IMD 2-5 (4), telephone and peer-led (2), and
    # self-referral versus GP (1); hospital (5 clients) is not modelled: 7 comparisons.
    assert strongest_difference(planted).iloc[0]["n_comparisons"] == 7


def test_factor_tests_find_the_planted_factor(planted):
    tests = factor_tests(planted).set_index("factor")
    assert tests.index.tolist() == ["imd_quintile", "delivery_mode", "referral_source"]
    assert tests.loc["delivery_mode", "clear"]
    assert tests.loc["delivery_mode", "n_groups_modelled"] == 3
    # IMD: 5 quintiles modelled plus "not recorded"; referral source: hospital not modelled.
    assert tests.loc["imd_quintile", ["n_groups", "n_groups_modelled"]].tolist() == [6, 5]
    assert tests.loc["referral_source", ["n_groups", "n_groups_modelled"]].tolist() == [3, 2]
    assert tests.loc["delivery_mode", "interaction_p_holm"] < 0.001
