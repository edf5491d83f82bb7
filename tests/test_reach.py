"""Referrals and starts by group, the target deprivation share and the quarterly trend.

Expectations are hand counts on small tables and Wilson intervals from statsmodels.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import ConfigError, ValidationError
from evalkit.pages.reach.referrals import (
    REFERRAL_COLUMNS,
    TARGET_SHARE_COLUMNS,
    TREND_COLUMNS,
    referral_profile,
    referral_trend,
    referrals_by,
    target_share,
)


@pytest.fixture
def episodes():
    return pd.DataFrame(
        {
            "delivery_mode": ["group", "face_to_face", "group", None, "face_to_face", "group"],
            "strands": ["smoking;weight", "weight", "smoking", None, "weight;diet", " weight "],
            "started": [True, True, False, True, False, True],
            "sex": ["male", "female", "female", "female", None, "male"],
            "imd_quintile": pd.array([1, 1, 2, None, 5, 1], dtype="Int64"),
            "period": ["2026-Q1", "2026-Q1", "2026-Q1", "2026-Q3", "2026-Q3", "2026-Q3"],
        }
    )


def test_referrals_and_starts_by_group_with_total(episodes):
    table = referrals_by(episodes, "delivery_mode")
    assert list(table.columns) == REFERRAL_COLUMNS
    # face_to_face first (label order), then group, then not recorded, then the total
    assert table["label"].tolist() == ["Face to face", "Group sessions", "Not recorded", "Total"]
    assert table["referrals"].tolist() == [2, 3, 1, 6]
    assert table["started"].tolist() == [1, 2, 1, 4]
    assert table["not_started"].tolist() == [1, 1, 0, 2]
    assert table["share"].tolist() == pytest.approx([2 / 6, 3 / 6, 1 / 6, 1.0])
    assert table["group"].tolist()[-2:] == [None, None]
    lower, upper = proportion_confint([1, 2, 1, 4], [2, 3, 1, 6], alpha=0.05, method="wilson")
    np.testing.assert_allclose(table["start_ci_lower"], lower, atol=1e-10)
    np.testing.assert_allclose(table["start_ci_upper"], upper, atol=1e-10)


def test_strands_count_an_episode_in_every_strand_it_joined(episodes):
    table = referrals_by(episodes, "strands").set_index("group", drop=False)
    # smoking: rows 0 and 2; weight: rows 0, 1, 4, 5 (" weight " is trimmed); diet: row 4
    counts = dict(zip(table["label"], table["referrals"], strict=True))
    assert counts == {
        "Stop smoking": 2,
        "Weight management": 4,
        "Healthy eating": 1,
        "Not recorded": 1,
        "Total": 6,
    }
    # weight: rows 0, 1, 5 started of 0, 1, 4, 5 -> 3 of 4
    weight = table[table["label"] == "Weight management"].iloc[0]
    assert (weight["started"], weight["share"]) == (3, pytest.approx(4 / 6))


def test_a_repeated_strand_in_one_cell_counts_once():
    episodes = pd.DataFrame({"strands": ["weight;weight"], "started": [True]})
    assert referrals_by(episodes, "strands")["referrals"].tolist() == [1, 1]


def test_profile_stacks_characteristics_without_totals(episodes):
    profile = referral_profile(episodes, ["sex", "imd_quintile"])
    assert list(profile.columns) == REFERRAL_COLUMNS
    assert "Total" not in profile["label"].tolist()
    sex = profile[profile["characteristic"] == "sex"]
    assert sex["label"].tolist() == ["Female", "Male", "Not recorded"]
    assert sex["referrals"].tolist() == [3, 2, 1]
    imd = profile[profile["characteristic"] == "imd_quintile"]
    assert imd["label"].tolist() == ["1 (most deprived)", "2", "5 (least deprived)", "Not recorded"]
    assert imd["characteristic_label"].iat[0] == "IMD quintile (1 = most deprived)"
    assert imd["referrals"].sum() == len(episodes)


def test_missing_started_counts_as_not_started():
    episodes = pd.DataFrame(
        {"site": ["N", "N"], "started": pd.array([True, None], dtype="boolean")}
    )
    assert referrals_by(episodes, "site")["started"].tolist() == [1, 1]


def test_a_missing_column_is_named():
    with pytest.raises(ValidationError, match="'site'"):
        referrals_by(pd.DataFrame({"started": [True]}), "site")


def test_an_empty_table_gives_zero_counts_and_no_rates():
    table = referrals_by(pd.DataFrame({"site": [], "started": []}), "site")
    assert table["label"].tolist() == ["Total"]
    assert table["referrals"].tolist() == [0]
    assert np.isnan(table["start_rate"].iat[0])


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["gp", "self", "hospital", None]), st.booleans()),
        min_size=1,
        max_size=60,
    )
)
def test_groups_add_up_to_the_total(rows):
    episodes = pd.DataFrame(rows, columns=["referral_source", "started"])
    table = referrals_by(episodes, "referral_source")
    groups, total = table.iloc[:-1], table.iloc[-1]
    assert groups["referrals"].sum() == total["referrals"] == len(episodes)
    assert groups["started"].sum() == total["started"] == episodes["started"].sum()
    assert (table["started"] + table["not_started"] == table["referrals"]).all()


def test_target_share_against_the_service_target(episodes):
    # quintile recorded for 5 of 6; quintile 1 in 3 of them: 3/5 = 60% against 35% -> green
    row = target_share(episodes, {"quintiles": [1], "share": 0.35}).iloc[0]
    assert list(row.index) == TARGET_SHARE_COLUMNS
    assert (row["episodes"], row["denominator"], row["share"]) == (3, 5, pytest.approx(0.6))
    lower, upper = proportion_confint(3, 5, alpha=0.05, method="wilson")
    assert (row["ci_lower"], row["ci_upper"]) == (pytest.approx(lower), pytest.approx(upper))
    assert row["rag"] == "green"
    assert row["description"] == "IMD quintile 1 (the most deprived 20% of England)"
    assert "1 episode(s) with no IMD quintile" in row["note"]


def test_target_share_ratings():
    # 30 of 100 in quintile 1: Wilson 95% CI 21.9% to 39.6%
    episodes = pd.DataFrame({"imd_quintile": [1] * 30 + [4] * 70})
    rag = lambda share: target_share(episodes, {"quintiles": [1], "share": share})["rag"].iat[0]  # noqa: E731
    assert (rag(0.30), rag(0.35), rag(0.45)) == ("green", "amber", "red")
    two = target_share(episodes, {"quintiles": [2, 1], "share": 0.4}).iloc[0]
    assert two["quintiles"] == "1, 2"
    assert two["description"] == "IMD quintiles 1 to 2 (the most deprived 40% of England)"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ({"share": 0.3}, "quintiles"),
        ({"quintiles": [0], "share": 0.3}, "quintiles must be"),
        ({"quintiles": [1], "share": 35}, "write 35% as 0.35"),
        ({"quintiles": [1], "share": True}, "share must be"),
    ],
)
def test_a_bad_target_is_a_config_error(target, message):
    with pytest.raises(ConfigError, match=message):
        target_share(pd.DataFrame({"imd_quintile": [1]}), target)


def test_an_impossible_quintile_is_an_error_naming_the_row():
    with pytest.raises(ValidationError, match="row 1, column 'imd_quintile'"):
        target_share(pd.DataFrame({"imd_quintile": [1, 7]}), {"quintiles": [1], "share": 0.3})


def test_trend_shows_every_quarter_even_without_referrals(episodes):
    trend = referral_trend(episodes, ["2026-Q1", "2026-Q2", "2026-Q3"])
    assert list(trend.columns) == TREND_COLUMNS
    assert trend["period"].tolist() == ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert trend["period_label"].tolist() == [
        "Jan to Mar 2026",
        "Apr to Jun 2026",
        "Jul to Sep 2026",
    ]
    assert trend["referrals"].tolist() == [3, 0, 3]
    assert trend["started"].tolist() == [2, 0, 2]
    # Q1: quintiles 1, 1, 2 -> 2 of 3; Q3: None, 5, 1 -> 1 of 2 recorded
    assert trend["imd_recorded"].tolist() == [3, 0, 2]
    assert trend["most_deprived"].tolist() == [2, 0, 1]
    assert trend["most_deprived_share"].tolist()[0] == pytest.approx(2 / 3)
    assert np.isnan(trend["most_deprived_share"].iat[1])
    assert trend["note"].iat[1] == "no referrals in this quarter"
    assert "1 referral(s) with no IMD quintile" in trend["note"].iat[2]
    assert pd.isna(trend["note"].iat[0])


def test_trend_adds_quarters_found_in_the_data_and_keeps_unrecorded_ones_last(episodes):
    episodes = episodes.assign(period=["2025-Q4", None, "2026-Q1", "2026-Q1", "2026-Q1", None])
    trend = referral_trend(episodes, ["2026-Q1"], quintiles=[1, 2])
    assert trend["period"].tolist() == ["2025-Q4", "2026-Q1", None]
    assert trend["period_label"].tolist()[-1] == "Not recorded"
    assert trend["referrals"].sum() == len(episodes)
    # 2026-Q1 rows 2, 3, 4: quintiles 2, None, 5 -> 1 of 2 recorded in quintiles 1-2
    assert trend.loc[1, ["imd_recorded", "most_deprived"]].tolist() == [2, 1]
