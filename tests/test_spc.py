"""XmR charts (evalkit.stats.spc) against NHSRplotthedots' published cases and hand-worked edges.

Reference values are in ``tests/fixtures/spc/`` (its README names the file and commit of each);
the hand-worked cases hold the limits fixed on a 12-point baseline of ±0.5 around 0, whose mean
is exactly 0 and mean moving range exactly 1, so the limits are exactly ±2.66 and the near-limit
zone starts at ±2 × (2.66 / 3).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import StatisticsError
from evalkit.stats import xmr, xmr_summary
from evalkit.stats.spc import (
    LIMIT_MULTIPLIER,
    NEAR_LIMIT_MULTIPLIER,
    SPC_COLUMNS,
    SPC_SUMMARY_COLUMNS,
)

FIXTURES = Path(__file__).parent / "fixtures" / "spc"

#: 12 baseline points: mean 0, every moving range 1, so limits ±2.66 (exactly).
BASELINE = [0.5, -0.5] * 6
NEAR = 2.0  # inside the near-limit zone (1.7733 < 2.0 < 2.66)
ABOVE = 1.0  # above the mean, not near the limit
BELOW = -1.0


def held(after: list[float], **options) -> pd.DataFrame:
    """The chart of ``BASELINE + after`` with the limits fixed on the baseline; only the rows
    of ``after``."""
    chart = xmr(BASELINE + list(after), fix_after_n_points=12, **options)
    return chart.iloc[len(BASELINE) :].reset_index(drop=True)


def flags(chart: pd.DataFrame, column: str) -> list[int]:
    return [int(v) for v in chart[column]]


def significant(value: float, digits: int) -> float:
    if value == 0:
        return 0.0
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


# --- NHSRplotthedots reference cases -------------------------------------------------------

PRINTED = pd.read_csv(FIXTURES / "ptd_printed_limits.csv", dtype={"rebase_at": "str"})


@pytest.mark.parametrize("case", PRINTED.to_dict("records"), ids=list(PRINTED["case"]))
def test_mean_and_limits_equal_nhsrplotthedots_printed_values(case):
    data = pd.read_csv(FIXTURES / case["series"], parse_dates=["period"])
    series = pd.Series(data["y"].to_numpy(), pd.DatetimeIndex(data["period"]))
    if not pd.isna(case["fifteenth_value"]):
        series.iloc[14] = case["fifteenth_value"]  # the test's data$y[15] <- 10
    rebase = [] if pd.isna(case["rebase_at"]) else [case["rebase_at"]]
    chart = xmr(series, rebase_at=rebase, screen_outliers=bool(case["screen_outliers"]))
    row = chart[chart["segment"] == case["segment"]].iloc[0]
    for column in ("mean", "lower_limit", "upper_limit"):
        if case["digits_kind"] == "significant":
            got = significant(row[column], case["digits"])
        else:
            got = round(row[column], case["digits"])
        assert got == pytest.approx(case[column], abs=1e-12), column


#: (fixture, xmr options) for the integration snapshots; each facet is its own series.
SNAPSHOTS = {
    "ae_all_attendances": {},
    "ae_all_attendances_rebase": {"rebase_at": ["2017-04-01"]},
    "ae_all_performance_fix12": {"fix_after_n_points": 12},
    "ae_rl4_by_type_attendances": {},
    "ae_rl4_by_type_performance": {},
}
#: Rows where the snapshot (commit 0c096d8, before NHSRplotthedots 0.2.2) shows the old
#: two-in-three bug, issue #143: points 34 and 36 are near the upper limit with point 35 below
#: the mean between them. The current rule (and NHSRplotthedots' own test "it only reports
#: special cause for 2of3 points close to limits when they are on the same side of the mean")
#: needs all three on one side, so both are common cause.
BEFORE_ISSUE_143 = {("ae_rl4_by_type_attendances", "1"): [33, 35]}


def snapshot_cases():
    for name, options in SNAPSHOTS.items():
        frame = pd.read_csv(FIXTURES / f"ptd_{name}.csv", parse_dates=["period"], dtype=str)
        for facet in frame["facet"].unique():
            yield pytest.param(name, facet, options, id=f"{name}[{facet}]")


@pytest.mark.parametrize(("name", "facet", "options"), list(snapshot_cases()))
def test_every_point_equals_the_nhsrplotthedots_integration_snapshot(name, facet, options):
    reference = pd.read_csv(FIXTURES / f"ptd_{name}.csv", parse_dates=["period"])
    reference = reference[reference["facet"].astype(str) == facet].reset_index(drop=True)
    series = pd.Series(reference["y"].to_numpy(), pd.DatetimeIndex(reference["period"]))

    chart = xmr(series, **options)

    assert chart["segment"].tolist() == reference["rebase_group"].astype(int).tolist()
    for ours, theirs in (("mean", "mean"), ("lower_limit", "lpl"), ("upper_limit", "upl")):
        np.testing.assert_allclose(chart[ours], reference[theirs], rtol=1e-12, err_msg=ours)
    assert chart["outside_limits"].tolist() == reference["outside_limits"].tolist()
    near = ~chart["outside_limits"] & (
        (chart["value"] > chart["upper_two_sigma"]) | (chart["value"] < chart["lower_two_sigma"])
    )
    assert near.tolist() == reference["close_to_limits"].tolist()
    side = np.sign(chart["value"] - chart["mean"])
    assert side.tolist() == reference["relative_to_mean"].tolist()

    expected_type = reference["point_type"].copy()
    expected_flag = reference["special_cause_flag"].astype(bool).copy()
    for row in BEFORE_ISSUE_143.get((name, facet), []):
        assert expected_type[row] == "special_cause_improvement"  # the snapshot's old answer
        expected_type[row], expected_flag[row] = "common_cause", False
    assert chart["point_type"].tolist() == expected_type.tolist()
    assert chart["special_cause"].tolist() == expected_flag.tolist()


def test_screening_drops_the_moving_ranges_at_or_above_the_upper_range_limit():
    # vignettes/deviations.Rmd: the jump to 10 and back gives moving ranges 8 and 9, both above
    # 3.267 x 32/17; the other fifteen (all 1) give the screened mean moving range of 1.
    data = pd.read_csv(FIXTURES / "ptd_deviations_vignette.csv")
    chart = xmr(data["y"])
    assert chart.index[chart["moving_range_screened"]].tolist() == [4, 5]
    assert chart["upper_range_limit"].iloc[0] == pytest.approx(3.267 * 32 / 17)
    assert chart["mean_moving_range"].iloc[0] == 1
    assert chart["point_type"].tolist() == data["point_type"].tolist()
    unscreened = xmr(data["y"], screen_outliers=False)
    assert not unscreened["moving_range_screened"].any()
    assert unscreened["mean_moving_range"].iloc[0] == pytest.approx(32 / 17)
    assert unscreened["point_type"].tolist() == data["point_type"].tolist()


def test_two_near_points_on_opposite_sides_of_the_mean_are_not_special_cause():
    # tests/testthat/test-ptd_spc_standard.R (commit 8aac323): symmetrical data, then 5.5, -5.5
    values = [1.0, -1.0] * 8
    values[14], values[15] = 5.5, -5.5
    chart = xmr(values)
    assert chart["point_type"].tail(2).tolist() == ["common_cause", "common_cause"]


# --- the rules at their edges --------------------------------------------------------------


def test_six_points_on_one_side_are_not_a_shift_and_seven_are():
    six = held([ABOVE] * 6 + [BELOW])
    seven = held([ABOVE] * 7 + [BELOW])
    eight = held([ABOVE] * 8 + [BELOW])  # ptd_seven_point_one_side_mean(c(rep(1, 8), -1))
    assert not six["one_side_run"].any()
    assert flags(seven, "one_side_run") == [1] * 7 + [0]
    assert flags(eight, "one_side_run") == [1] * 8 + [0]
    assert set(seven["rule"][:7]) == {"one_side_run"}
    assert set(seven["point_type"][:7]) == {"special_cause_improvement"}


def test_a_point_exactly_on_the_mean_breaks_a_shift():
    chart = held([ABOVE] * 3 + [0.0] + [ABOVE] * 4)
    assert not chart["one_side_run"].any()


def test_seven_points_each_higher_are_a_trend_and_six_are_not():
    rising = [-1.2, -0.8, -0.4, 0.1, 0.3, 0.6, 0.9]  # crosses the mean, never near a limit
    seven = held(rising)
    six = held(rising[1:])  # the step from the baseline's last -0.5 to -0.8 is down
    assert flags(seven, "trend") == [1] * 7
    assert set(seven["direction"]) == {"high"}
    assert set(seven["point_type"]) == {"special_cause_improvement"}
    assert not six["trend"].any()


def test_a_tie_breaks_a_trend():
    # ptd_seven_point_trend(c(1:3, 3:6)) is no trend
    chart = held([-1.2, -0.8, -0.4, -0.4, 0.1, 0.3, 0.6, 0.9])
    assert not chart["trend"].any()


def test_a_decreasing_trend_is_low_and_a_concern_when_higher_is_better():
    chart = held([1.5, 1.2, 0.9, 0.5, 0.1, -0.3, -0.7, 1.0])  # like c(2, 7:1, 3)
    assert flags(chart, "trend") == [1] * 7 + [0]
    assert set(chart["direction"][:7]) == {"low"}
    assert set(chart["point_type"][:7]) == {"special_cause_concern"}


def test_a_peak_shared_by_two_trends_takes_the_later_trends_direction():
    up = [-1.5, -1.2, -0.9, -0.6, -0.3, 0.0, 0.3]
    chart = held(up + [0.0, -0.2, -0.4, -0.6, -0.8, -1.0])
    assert chart["trend"].all()
    assert chart["direction"].tolist() == ["high"] * 6 + ["low"] * 7


@pytest.mark.parametrize(
    ("pattern", "flagged"),
    [  # ptd_two_in_three / ptd_part_of_two_in_three cases (test-ptd_calculate_point_type.R)
        ([1, 0, 1], [1, 0, 1]),
        ([0, 1, 1], [0, 1, 1]),
        ([1, 1, 0], [1, 1, 0]),
        ([0, 0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0, 0]),
        ([0, 0, 1, 1, 0, 0, 0], [0, 0, 1, 1, 0, 0, 0]),
        ([1, 0, 0, 1], [0, 0, 0, 0]),
        ([1, 0, 0, 1, 1], [0, 0, 0, 1, 1]),
        ([0, 1, 0], [0, 0, 0]),  # 1 of 3 is not a signal
    ],
)
def test_two_of_three_near_the_limit_flags_the_near_points(pattern, flagged):
    # the window is preceded by a point below the mean, so it is judged on its own points
    chart = held([BELOW] + [NEAR if p else ABOVE for p in pattern] + [BELOW])
    assert flags(chart, "two_of_three")[1:-1] == flagged
    assert not chart["outside_limits"].any()


def test_two_of_three_needs_all_three_points_on_one_side_of_the_mean():
    chart = held([BELOW, NEAR, BELOW, NEAR, BELOW])  # ptd_two_in_three(c(1,0,1), c(1,-1,1))
    assert not chart["two_of_three"].any()


def test_a_point_exactly_on_the_two_sigma_line_is_not_near_the_limit():
    edge = 0.0 + NEAR_LIMIT_MULTIPLIER * 1.0
    on = held([BELOW, edge, ABOVE, edge, BELOW])
    beyond = held([BELOW, np.nextafter(edge, 3), ABOVE, np.nextafter(edge, 3), BELOW])
    assert on["upper_two_sigma"].iloc[0] == edge
    assert not on["two_of_three"].any()
    assert flags(beyond, "two_of_three") == [0, 1, 0, 1, 0]


def test_a_point_exactly_on_the_process_limit_is_not_outside_it():
    limit = 0.0 + LIMIT_MULTIPLIER * 1.0
    chart = held([limit, BELOW, -limit, BELOW, np.nextafter(limit, 3), np.nextafter(-limit, -3)])
    assert chart["upper_limit"].iloc[0] == limit and chart["lower_limit"].iloc[0] == -limit
    assert flags(chart, "outside_limits") == [0, 0, 0, 0, 1, 1]
    assert chart["direction"].tolist()[4:] == ["high", "low"]


def test_outside_the_limits_outranks_the_other_rules_for_the_rule_column():
    chart = held([ABOVE] * 6 + [3.0])  # the 7th point of a shift is also outside the limits
    assert chart["one_side_run"].all() and chart["outside_limits"].iloc[-1]
    assert chart["rule"].tolist() == ["one_side_run"] * 6 + ["outside_limits"]


def test_a_constant_series_has_limits_at_its_mean_and_no_signal():
    chart = xmr([5.0] * 14)
    assert (chart[["mean", "lower_limit", "upper_limit"]] == 5.0).all().all()
    assert not chart["special_cause"].any() and not chart["moving_range_screened"].any()


# --- rebasing, fixing, trial limits and gaps -----------------------------------------------


def test_each_segment_after_a_change_point_has_its_own_mean_and_limits():
    months = pd.period_range("2022-04", periods=24, freq="M")
    series = pd.Series([10.0, 12.0] * 6 + [20.0, 23.0] * 6, months)
    chart = xmr(series, rebase_at=["2023-04"])
    first, second = chart[chart.segment == 0], chart[chart.segment == 1]
    assert len(first) == len(second) == 12
    assert first["mean"].iloc[0] == 11 and second["mean"].iloc[0] == 21.5
    assert first["upper_limit"].iloc[0] == pytest.approx(11 + 2.66 * 2)
    assert second["lower_limit"].iloc[0] == pytest.approx(21.5 - 2.66 * 3)
    assert np.isnan(second["moving_range"].iloc[0])  # no moving range across the change
    assert not chart["special_cause"].any()
    whole = xmr(series)
    assert whole["one_side_run"].all()  # without the change point, two long shifts


def test_runs_do_not_cross_a_change_point():
    values = BASELINE + [ABOVE] * 4 + [ABOVE] * 3 + BASELINE
    chart = xmr(values, rebase_at=[16])
    assert not chart["one_side_run"].any()


def test_rebase_at_names_the_period_it_cannot_find():
    series = pd.Series(range(14), pd.period_range("2023-04", periods=14, freq="M"))
    with pytest.raises(StatisticsError, match="2025-01.*not a period.*2023-04.*2024-05"):
        xmr(series, rebase_at="2025-01")
    assert xmr(series, rebase_at="2024-01")["segment"].tolist() == [0] * 9 + [1] * 5


def test_fixed_limits_come_from_the_first_points_only():
    chart = xmr(BASELINE + [5.0, 6.0, 7.0], fix_after_n_points=12)
    assert chart["baseline"].tolist() == [True] * 12 + [False] * 3
    assert chart["mean"].iloc[0] == 0 and chart["upper_limit"].iloc[0] == 2.66
    assert chart["outside_limits"].tolist()[12:] == [True] * 3
    with pytest.raises(StatisticsError, match="at least 12"):
        xmr(BASELINE, fix_after_n_points=6)


def test_fewer_than_twelve_points_give_trial_limits():
    assert xmr(BASELINE[:11])["trial_limits"].all()
    assert not xmr(BASELINE)["trial_limits"].any()
    chart = xmr(BASELINE + BASELINE[:5], rebase_at=[12])
    assert chart.groupby("segment")["trial_limits"].first().tolist() == [False, True]


def test_a_missing_value_is_a_gap_that_breaks_moving_ranges_and_runs():
    values = BASELINE + [ABOVE] * 4 + [np.nan] + [ABOVE] * 3
    chart = xmr(values, fix_after_n_points=12)
    gap = chart.iloc[16]
    assert np.isnan(gap["value"]) and gap["note"] == "value missing"
    assert not gap["special_cause"] and gap["point_type"] == "common_cause"
    assert chart["moving_range"].iloc[16:18].isna().all()
    assert not chart["one_side_run"].any()
    unbroken = xmr(BASELINE + [ABOVE] * 7, fix_after_n_points=12)
    assert unbroken["one_side_run"].iloc[12:].all()


def test_missing_values_are_left_out_of_the_mean_and_moving_ranges():
    chart = xmr([1.0, 3.0, np.nan, 5.0, 3.0])
    assert chart["mean"].iloc[0] == 3.0
    assert chart["mean_moving_range"].iloc[0] == 2.0  # |3-1| and |3-5|; none spans the gap
    assert chart["trial_limits"].all()


def test_a_segment_of_one_value_has_no_limits_and_says_why():
    chart = xmr(BASELINE + [4.0], rebase_at=[12])
    last = chart.iloc[-1]
    assert np.isnan(last["upper_limit"]) and not last["special_cause"]
    assert "no two consecutive values" in last["note"]


# --- improvement direction, icons and assurance --------------------------------------------


@pytest.mark.parametrize(
    ("improvement", "point_type", "icon"),
    [
        ("increase", "special_cause_improvement", "improvement_high"),
        ("decrease", "special_cause_concern", "concern_high"),
        ("neutral", "special_cause_neutral_high", "neutral_high"),
    ],
)
def test_the_improvement_direction_decides_improvement_or_concern(improvement, point_type, icon):
    chart = xmr(BASELINE + [3.0], fix_after_n_points=12, improvement=improvement)
    assert chart["point_type"].iloc[-1] == point_type
    assert xmr_summary(chart)["variation"].iloc[-1] == icon


@pytest.mark.parametrize(
    ("improvement", "point_type", "icon"),
    [
        ("increase", "special_cause_concern", "concern_low"),
        ("decrease", "special_cause_improvement", "improvement_low"),
        ("neutral", "special_cause_neutral_low", "neutral_low"),
    ],
)
def test_a_low_special_cause_flips_with_the_direction(improvement, point_type, icon):
    chart = xmr(BASELINE + [-3.0], fix_after_n_points=12, improvement=improvement)
    assert chart["point_type"].iloc[-1] == point_type
    assert xmr_summary(chart)["variation"].iloc[-1] == icon


def test_the_variation_icon_shows_the_latest_point():
    chart = xmr(BASELINE + [3.0, 0.5], fix_after_n_points=12)
    summary = xmr_summary(chart)
    assert summary["special_cause_improvement"].iloc[0] == 1
    assert summary["variation"].iloc[0] == "common_cause"


@pytest.mark.parametrize(
    ("target", "improvement", "assurance"),
    [  # limits are exactly -2.66 and 2.66 (test-ptd_calculate_assurance_type.R's pattern)
        (3.0, "increase", "consistent_fail"),
        (3.0, "decrease", "consistent_pass"),
        (-3.0, "increase", "consistent_pass"),
        (-3.0, "decrease", "consistent_fail"),
        (1.0, "increase", "inconsistent"),
        (1.0, "decrease", "inconsistent"),
        (2.66, "increase", "inconsistent"),  # on the limit: sometimes met
        (3.0, "neutral", None),
        (None, "increase", None),
    ],
)
def test_assurance_compares_the_target_with_the_process_limits(target, improvement, assurance):
    summary = xmr_summary(xmr(BASELINE, target=target, improvement=improvement))
    got = summary["assurance"].iloc[0]
    assert (pd.isna(got) and assurance is None) or got == assurance


def test_the_summary_has_one_row_per_segment_and_the_latest_limits_give_the_assurance():
    series = [10.0, 12.0] * 6 + [20.0, 23.0] * 6
    summary = xmr_summary(xmr(series, rebase_at=[12], target=17.0))  # limits 11 ± 5.32, 21.5 ± 7.98
    assert list(summary.columns) == list(SPC_SUMMARY_COLUMNS)
    assert summary["segment"].tolist() == [0, 1]
    assert summary["n_points"].tolist() == [12, 12]
    assert summary["assurance"].tolist() == ["consistent_fail", "inconsistent"]


def test_xmr_summary_refuses_a_table_that_is_not_an_xmr_chart():
    with pytest.raises(StatisticsError, match="xmr_summary needs"):
        xmr_summary(pd.DataFrame({"value": [1.0]}))


# --- random series -------------------------------------------------------------------------


def test_a_stable_process_rarely_signals():
    latest_special, flagged, points = 0, 0, 0
    for seed in range(400):
        values = np.random.default_rng(seed).normal(100, 5, 24)
        chart = xmr(values)
        latest_special += chart["special_cause"].iloc[-1]
        flagged += chart["special_cause"].sum()
        points += len(chart)
    assert latest_special / 400 <= 0.05  # the variation icon is common cause in >= 95%
    assert flagged / points <= 0.05


def test_a_planted_two_sigma_shift_for_eight_points_is_flagged():
    caught = 0
    for seed in range(400):
        rng = np.random.default_rng(seed)
        values = np.concatenate([rng.normal(100, 5, 24), rng.normal(110, 5, 8)])
        chart = xmr(values, fix_after_n_points=24)
        caught += (chart["point_type"].iloc[24:] == "special_cause_improvement").any()
    assert caught / 400 >= 0.95


# --- inputs --------------------------------------------------------------------------------


def test_the_chart_has_the_documented_columns_in_period_order():
    months = pd.period_range("2024-01", periods=3, freq="M")
    chart = xmr(pd.Series([3.0, 1.0, 2.0], months[[2, 0, 1]]))
    assert list(chart.columns) == list(SPC_COLUMNS)
    assert chart["period"].tolist() == list(months)
    assert chart["value"].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("series", "options", "message"),
    [
        (pd.Series([1.0, 2.0], ["2024-01", "2024-01"]), {}, "appears more than once"),
        (pd.Series([1.0, "n/a"], ["2024-01", "2024-02"]), {}, "2024-02.*'n/a', not a number"),
        ([1.0, np.inf], {}, "infinite"),
        (pd.DataFrame({"a": [1.0]}), {}, "one KPI series"),
        ([1.0, 2.0], {"improvement": "up"}, "improvement must be one of"),
        ([1.0, 2.0], {"shift_points": 1}, "shift_points"),
        ([1.0, 2.0], {"target": "high"}, "target must be a number"),
    ],
)
def test_bad_input_is_a_statistics_error_saying_what_to_fix(series, options, message):
    with pytest.raises(StatisticsError, match=message):
        xmr(series, **options)
