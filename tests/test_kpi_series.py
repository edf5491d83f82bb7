"""KPI series by month and quarter, their SPC charts with rebasing, and the chart's small-number
rule: every expectation here is worked by hand from the rows written in the test."""

import numpy as np
import pandas as pd
import pytest

from evalkit.config import DisclosurePolicy
from evalkit.errors import ConfigError, ValidationError
from evalkit.kpi import SERIES_COLUMNS, kpi_series, kpi_spc, kpi_spc_summary
from evalkit.kpi.series import first_period_from, period_labels, series_periods
from evalkit.present.spc_charts import plotted_series

STARTED = {
    "id": "started",
    "title": "Referrals who started",
    "unit": "proportion",
    "numerator": "started",
    "denominator": "all",
    "target": 0.75,
    "direction": "higher",
}
REFERRALS = {
    "id": "referrals",
    "title": "Referrals",
    "unit": "count",
    "numerator": "all",
    "denominator": "all",
    "target": None,
}


def episodes(rows):
    """(referral date, started) pairs as an episode table."""
    dates, started = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "referral_date": pd.to_datetime(list(dates)),
            "started": pd.array(list(started), dtype="boolean"),
        }
    )


def test_monthly_series_counts_each_month_and_keeps_empty_months():
    table = episodes(
        [
            ("2025-01-03", True),
            ("2025-01-31", False),
            ("2025-01-15", True),
            ("2025-03-01", False),
            ("2025-03-09", True),
        ]
    )
    series = kpi_series(table, [STARTED, REFERRALS], start="2025-01-01", end="2025-04-30")
    assert list(series.columns) == list(SERIES_COLUMNS)
    started = series[series.kpi_id == "started"].set_index("period")
    assert started.index.tolist() == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert started["numerator"].tolist() == [2, 0, 1, 0]
    assert started["denominator"].tolist() == [3, 0, 2, 0]
    assert started.loc["2025-01", "value"] == pytest.approx(2 / 3)
    assert np.isnan(started.loc["2025-02", "value"])
    assert started.loc["2025-03", "value"] == pytest.approx(0.5)
    assert started["period_start"].tolist() == list(
        pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"])
    )
    referrals = series[series.kpi_id == "referrals"]
    assert referrals["value"].tolist() == [3, 0, 2, 0]


def test_quarterly_series_and_span_limits():
    table = episodes(
        [("2024-12-31", True), ("2025-01-01", True), ("2025-02-10", False), ("2025-07-01", True)]
    )
    series = kpi_series(table, [STARTED], freq="quarter", start="2025-01-01", end="2025-06-30")
    # the December and July referrals fall outside the span and are not counted
    assert series["period"].tolist() == ["2025-Q1", "2025-Q2"]
    assert series["denominator"].tolist() == [2, 0]
    assert series["value"].iloc[0] == pytest.approx(0.5)


def test_series_errors_name_the_problem():
    with pytest.raises(ValidationError, match="no column 'referral_date'"):
        kpi_series(pd.DataFrame({"started": [True]}), [STARTED])
    with pytest.raises(ConfigError, match="freq must be one of month, quarter"):
        kpi_series(episodes([("2025-01-01", True)]), [STARTED], freq="week")
    with pytest.raises(ConfigError, match="starts .* after it ends"):
        kpi_series(
            episodes([("2025-01-01", True)]), [STARTED], start="2025-05-01", end="2025-01-01"
        )


def test_period_helpers():
    assert series_periods("2024-11-30", "2025-01-01") == ["2024-11", "2024-12", "2025-01"]
    assert series_periods("2024-12-31", "2025-04-01", "quarter") == [
        "2024-Q4",
        "2025-Q1",
        "2025-Q2",
    ]
    dates = pd.Series(pd.to_datetime(["2025-09-30", None]))
    assert period_labels(dates, "quarter").tolist() == ["2025-Q3", None]
    months = ["2025-06", "2025-07", "2025-08"]
    # a change on the 1st starts that month; a change mid-month starts the next whole month
    assert first_period_from("2025-07-01", months) == "2025-07"
    assert first_period_from("2025-07-02", months) == "2025-08"
    assert first_period_from("2025-09-01", months) is None


def spc_input(values, start="2024-01", kpi_id="started", unit="proportion"):
    months = pd.period_range(start, periods=len(values), freq="M").astype(str)
    return pd.DataFrame(
        {
            "kpi_id": kpi_id,
            "title": "Referrals who started",
            "kpi_unit": unit,
            "freq": "month",
            "period": months,
            "value": values,
        }
    )


def test_spc_rebases_at_a_declared_change_point():
    before = [0.80, 0.82, 0.81, 0.79, 0.80, 0.81, 0.82, 0.80]
    after = [0.70, 0.71, 0.69, 0.70, 0.72, 0.70]
    series = spc_input(before + after)
    one = kpi_spc(series, [STARTED])
    # one set of limits: the later months form a run below the mean, a concern
    later = one[one.period >= "2024-09"]
    assert later["special_cause"].all()
    assert set(later["point_type"]) == {"special_cause_concern"}
    two = kpi_spc(series, [STARTED], change_points=["2024-09-01"])
    assert two.loc[two.period < "2024-09", "segment"].eq(0).all()
    assert two.loc[two.period >= "2024-09", "segment"].eq(1).all()
    assert two.loc[0, "mean"] == pytest.approx(np.mean(before))
    assert two.iloc[-1]["mean"] == pytest.approx(np.mean(after))
    moving = np.abs(np.diff(after))
    assert two.iloc[-1]["upper_limit"] == pytest.approx(np.mean(after) + 2.66 * moving.mean())
    assert not two["special_cause"].any()
    summary = kpi_spc_summary(two)
    assert summary.loc[0, "segment"] == 1 and summary.loc[0, "kpi_id"] == "started"
    assert summary.loc[0, "variation"] == "common_cause"
    # the target 0.75 is above the new upper limit (0.70 + 2.66 x 1.2 points): never reached
    assert summary.loc[0, "assurance"] == "consistent_fail"


def test_spc_direction_follows_the_kpi():
    values = [5.0, 5.2, 4.9, 5.1, 5.0, 5.1, 4.9, 5.0, 5.2, 5.0, 5.1, 9.0]
    lower_is_better = {**STARTED, "id": "waits", "unit": "mean", "direction": "lower"}
    chart = kpi_spc(spc_input(values, kpi_id="waits", unit="mean"), [lower_is_better])
    assert chart.iloc[-1]["point_type"] == "special_cause_concern"
    higher_is_better = {**lower_is_better, "direction": "higher"}
    chart = kpi_spc(spc_input(values, kpi_id="waits", unit="mean"), [higher_is_better])
    assert chart.iloc[-1]["point_type"] == "special_cause_improvement"


def test_spc_refuses_mixed_frequencies():
    series = pd.concat([spc_input([0.8, 0.8]), spc_input([0.8]).assign(freq="quarter")])
    with pytest.raises(ValidationError, match="mixes month, quarter"):
        kpi_spc(series, [STARTED])


def test_months_resting_on_too_few_people_are_not_plotted():
    series = pd.DataFrame(
        {
            "kpi_unit": ["proportion", "proportion", "proportion", "count", "mean"],
            "numerator": [2.0, 3.0, 0.0, 7.0, 40.0],
            "denominator": [40.0, 7.0, 0.0, 7.0, 8.0],
            "value": [0.05, 3 / 7, np.nan, 7.0, 5.0],
            "ci_lower": [0.01, 0.1, np.nan, 3.0, 4.0],
            "ci_upper": [0.1, 0.8, np.nan, 14.0, 6.0],
            "note": [None, None, "no episodes in the denominator", None, None],
        }
    )
    plotted = plotted_series(series, DisclosurePolicy(threshold=8))
    # 2 of 40 is plotted (the chart shows the rate, not the count); 3 of 7 is not (7 people);
    # an empty month is a gap anyway; a count of 7 is not; a mean of 8 values is
    assert plotted["plotted"].tolist() == [True, False, True, False, True]
    assert plotted["value"].isna().tolist() == [False, True, True, True, False]
    assert plotted.loc[1, "note"] == "fewer than 8 people, so not plotted"
    assert plotted.loc[2, "note"] == "no episodes in the denominator"


def test_charted_counts_of_people_are_rounded_as_tables_round_them():
    series = pd.DataFrame(
        {
            "kpi_unit": ["count", "count", "proportion"],
            "numerator": [97.0, 103.0, 40.0],
            "denominator": [97.0, 103.0, 97.0],
            "value": [97.0, 103.0, 40 / 97],
            "note": [None] * 3,
        }
    )
    plotted = plotted_series(series, DisclosurePolicy(threshold=8, round_to=5))
    assert plotted["value"].tolist() == [95.0, 105.0, pytest.approx(40 / 97)]
    exact = plotted_series(series, DisclosurePolicy(threshold=8, round_to=None))
    assert exact["value"].tolist()[:2] == [97.0, 103.0]
