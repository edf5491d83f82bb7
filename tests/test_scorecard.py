"""KPI scorecard: small numbers withheld, text tables, to-date KPIs and funnel comparisons.

Independent expectations: hand counts, statsmodels' Wilson interval (the funnel limits are the
score test that the Wilson interval inverts, so a unit is outside the 95% funnel exactly when its
Wilson 95% interval excludes the centre), and compute_kpis on a table pooled by hand.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import StatisticsError, ValidationError
from evalkit.kpi import KPI_COLUMNS, compute_kpis, load_kpis
from evalkit.pages.lifestyle_kpis.scorecard import (
    NO_DATA,
    NOT_SHOWN,
    TEXT_COLUMNS,
    TO_DATE,
    FunnelComparison,
    disclose_kpis,
    funnel_comparison,
    kpi_matrix_text,
    kpi_text_table,
    kpis_to_date,
    outliers_text,
    rating_counts,
)


def kpi_rows(**columns):
    """KPI rows with the compute_kpis columns; unspecified columns are missing."""
    length = len(next(iter(columns.values())))
    base = {column: [None] * length for column in KPI_COLUMNS}
    base |= {"kpi_id": ["k"] * length, "title": ["K"] * length, "level": ["service"] * length}
    base |= {"unit_name": ["All"] * length, "direction": ["higher"] * length}
    frame = pd.DataFrame(base | columns)
    for column in ("numerator", "denominator", "value", "ci_lower", "ci_upper", "target"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    for column in ("previous_value", "change_from_previous"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


@pytest.mark.parametrize(
    ("unit", "numerator", "denominator", "shown"),
    [
        ("proportion", 40, 100, True),
        ("proportion", 7, 100, False),  # 7 people met it
        ("proportion", 93, 100, False),  # 7 people did not
        ("proportion", 8, 100, True),
        ("proportion", 92, 100, True),
        ("proportion", 0, 100, True),  # zero is shown
        ("proportion", 100, 100, True),  # so is "everyone"
        ("proportion", 0, 5, False),  # but not a base of 5
        ("proportion", 0, 0, True),  # nobody to measure: no figure, nothing to hide
        ("mean", 120.0, 7, False),  # an average of 7 values
        ("mean", -3.5, 8, True),
        ("count", 7, 7, False),
        ("count", 8, 8, True),
        ("rate_per_100k", 3, 50_000, False),
    ],
)
def test_withholding_rules(unit, numerator, denominator, shown):
    rows = kpi_rows(
        kpi_unit=[unit],
        numerator=[numerator],
        denominator=[denominator],
        value=[0.5],
        ci_lower=[0.4],
        ci_upper=[0.6],
        rag=["green"],
        note=[None],
    )
    result = disclose_kpis(rows, threshold=8).iloc[0]
    assert bool(result["shown"]) is shown
    if shown:
        assert result["value"] == 0.5 and pd.isna(result["note"])
    else:
        assert np.isnan(result["value"]) and np.isnan(result["ci_lower"])
        assert pd.isna(result["rag"])
        assert result["note"] == "fewer than 8 people, so not shown"
    # the counts are kept for show_table to suppress
    assert result["denominator"] == denominator


def test_a_change_is_withheld_when_the_previous_quarter_was():
    rows = kpi_rows(
        kpi_unit=["proportion"] * 3,
        period=["2026-Q1", "2026-Q2", "2026-Q3"],
        numerator=[3, 40, 45],
        denominator=[50, 100, 100],
        value=[0.06, 0.40, 0.45],
        previous_value=[None, 0.06, 0.40],
        change_from_previous=[None, 0.34, 0.05],
        note=[None, None, "something else"],
    )
    result = disclose_kpis(rows)
    assert result["shown"].tolist() == [False, True, True]
    # Q2's change would give away Q1's value (0.40 - 0.34); Q3's may be shown
    assert np.isnan(result["change_from_previous"].iat[1])
    assert result["change_from_previous"].iat[2] == pytest.approx(0.05)
    assert result["note"].iat[1].startswith("the previous period is not shown")
    assert result["note"].iat[2] == "something else"


def test_units_are_kept_apart_when_looking_back_a_quarter():
    rows = kpi_rows(
        kpi_unit=["proportion"] * 2,
        unit_name=["North", "South"],
        numerator=[3, 40],
        denominator=[50, 100],
        value=[0.06, 0.4],
        change_from_previous=[None, 0.1],
        note=[None, None],
    )
    # South's previous quarter is not North's row
    assert disclose_kpis(rows)["change_from_previous"].iat[1] == pytest.approx(0.1)


def test_count_kpis_are_rounded_like_the_tables():
    rows = kpi_rows(
        kpi_unit=["count", "count", "proportion"],
        period=["2026-Q1", "2026-Q2", "2026-Q2"],
        kpi_id=["referrals", "referrals", "started"],
        numerator=[453, 517, 40],
        denominator=[453, 517, 100],
        value=[453, 517, 0.4],
        previous_value=[None, 453, 0.35],
        change_from_previous=[None, 64, 0.05],
        note=[None] * 3,
    )
    result = disclose_kpis(rows, round_to=5)
    assert result["value"].tolist() == [455, 515, 0.4]
    # 515 - 455, not 517 - 453, so the exact counts cannot be worked out
    assert result["change_from_previous"].tolist()[1:] == [60, pytest.approx(0.05)]
    assert np.isnan(result["change_from_previous"].iat[0])


def test_a_table_that_is_not_a_kpi_table_is_named():
    with pytest.raises(ValidationError, match="compute_kpis"):
        disclose_kpis(pd.DataFrame({"value": [1.0]}))


@pytest.fixture
def episodes():
    # Q1: 10 referrals, 8 started; Q2: 12 referrals, 6 started; providers A and B
    return pd.DataFrame(
        {
            "period": ["2026-Q1"] * 10 + ["2026-Q2"] * 12,
            "provider": ["A"] * 6 + ["B"] * 4 + ["A"] * 5 + ["B"] * 7,
            "site": ["N"] * 22,
            "started": [True] * 8 + [False] * 2 + [True] * 6 + [False] * 6,
        }
    )


STARTED = {
    "id": "started",
    "title": "Referrals who started",
    "unit": "proportion",
    "numerator": "started",
    "denominator": "all",
    "target": 0.75,
    "target_source": "placeholder: local target",
}


def test_to_date_pools_every_quarter(episodes):
    result = kpis_to_date(episodes, [STARTED], levels=["service", "provider"])
    assert list(result.columns) == KPI_COLUMNS
    assert set(result["period"]) == {TO_DATE}
    service = result[result["level"] == "service"].iloc[0]
    # (8 + 6) / (10 + 12) = 14 / 22
    assert (service["numerator"], service["denominator"]) == (14, 22)
    assert service["value"] == pytest.approx(14 / 22)
    assert np.isnan(service["change_from_previous"])
    assert pd.isna(service["note"])  # no "no earlier period" note for a pooled figure
    # provider A: Q1 rows 0-5 all started, Q2 rows 10-14 all started -> 11 of 11
    provider_a = result[result["unit_name"] == "A"].iloc[0]
    assert (provider_a["numerator"], provider_a["denominator"]) == (11, 11)
    pooled = compute_kpis(episodes.assign(period="x"), [STARTED], levels=["service"])
    assert service["ci_lower"] == pytest.approx(pooled["ci_lower"].iat[0])


def test_to_date_needs_a_period_column():
    with pytest.raises(ValidationError, match="period"):
        kpis_to_date(pd.DataFrame({"started": [True]}), [STARTED])


def test_text_table_reads_like_a_scorecard(episodes):
    # threshold 1 withholds nothing, so the small demonstration counts stay visible
    quarterly = disclose_kpis(compute_kpis(episodes, [STARTED], levels=["service"]), 1)
    table = kpi_text_table(quarterly, index="period", definitions=load_kpis([STARTED]))
    assert list(table.columns) == TEXT_COLUMNS
    assert table.index.tolist() == ["Jan to Mar 2026", "Apr to Jun 2026"]
    q1, q2 = table.iloc[0], table.iloc[1]
    # Q1 8/10 = 80%, Wilson 49.0% to 94.3%; target 75% met. Q2 6/12 = 50%: 25.4% to 74.6%
    lower, upper = proportion_confint(8, 10, alpha=0.05, method="wilson")
    assert q1["Result"] == "80%"
    assert q1["95% CI"] == f"{100 * lower:.0f}% to {100 * upper:.0f}%"
    assert q1["Target"] == "75% (placeholder)"
    assert q1["Rating"] == "Green: met"
    assert q1["Change since previous quarter"] == "No earlier figure"
    assert q2["Rating"] == "Red: missed"
    assert q2["Change since previous quarter"] == "down 30.0 percentage points"
    assert table["Based on (people)"].tolist() == [10, 12]
    assert str(table["Based on (people)"].dtype) == "Int64"


def test_text_table_withheld_and_empty_rows():
    rows = kpi_rows(
        kpi_unit=["proportion", "proportion"],
        title=["Small", "Empty"],
        numerator=[3, 0],
        denominator=[40, 0],
        value=[0.075, None],
        target=[0.5, 0.5],
        note=[None, None],
    )
    table = kpi_text_table(disclose_kpis(rows))
    assert table.loc["Small", "Result"] == NOT_SHOWN
    assert table.loc["Small", "Rating"] == NOT_SHOWN
    assert table.loc["Small", "Target"] == "50%"
    assert table.loc["Empty", "Result"] == NO_DATA
    assert table.loc["Empty", "Rating"] == "No rating"


def test_text_table_columns_can_be_chosen_and_are_checked():
    rows = kpi_rows(kpi_unit=["mean"], numerator=[30.0], denominator=[10], value=[3.0], note=[None])
    table = kpi_text_table(disclose_kpis(rows), columns=["Result", "Based on (people)"])
    assert table.loc["K"].tolist() == ["3.0", 10]
    with pytest.raises(ValidationError, match="unknown text column"):
        kpi_text_table(rows, columns=["Colour"])


def test_matrix_by_provider_and_by_quarter(episodes):
    rows = disclose_kpis(compute_kpis(episodes, [STARTED], levels=["provider"]))
    latest = rows[rows["period"] == "2026-Q2"]
    matrix = kpi_matrix_text(latest)
    # Q2: A rows 10-14 (5 of 5 started), B rows 15-21 (1 of 7): A has a base of 5, B of 7
    assert matrix.columns.tolist() == ["A", "B"]
    assert matrix.loc["Referrals who started"].tolist() == [NOT_SHOWN, NOT_SHOWN]
    service = disclose_kpis(compute_kpis(episodes, [STARTED], levels=["service"]), 1)
    by_quarter = kpi_matrix_text(service, columns="period")
    assert by_quarter.columns.tolist() == ["Jan to Mar 2026", "Apr to Jun 2026"]
    assert by_quarter.iloc[0].tolist() == ["80% (Green)", "50% (Red)"]
    with pytest.raises(ValidationError):
        kpi_matrix_text(service, columns="level")


def test_rating_counts_add_up():
    rows = kpi_rows(
        kpi_unit=["proportion"] * 6,
        rag=["green", "green", "amber", "red", None, None],
        target=[0.5, 0.5, 0.5, 0.5, None, 0.5],
        numerator=[50, 50, 50, 50, 50, 3],
        denominator=[100] * 6,
        note=[None] * 6,
    )
    counts = rating_counts(disclose_kpis(rows))
    assert counts.to_dict() == {
        "green": 2,
        "amber": 1,
        "red": 1,
        "no_target": 1,
        "no_rating": 0,
        "not_shown": 1,
    }
    assert counts.sum() == len(rows)


def funnel_rows(numerators, denominators, target=0.35, shown=None):
    n = len(numerators)
    return pd.DataFrame(
        {
            "kpi_id": ["q"] * n,
            "kpi_unit": ["proportion"] * n,
            "period": [TO_DATE] * n,
            "level": ["provider"] * n,
            "unit_name": [f"P{i}" for i in range(n)],
            "numerator": np.asarray(numerators, float),
            "denominator": np.asarray(denominators, float),
            "target": [target] * n,
            "shown": shown if shown is not None else [True] * n,
        }
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 400), st.integers(1, 400)).map(lambda t: (min(t), max(t))),
        min_size=1,
        max_size=6,
    ),
    st.floats(0.05, 0.95),
)
def test_outside_the_95_funnel_exactly_when_the_wilson_interval_excludes_the_target(units, p0):
    numerators, denominators = zip(*units, strict=True)
    comparison = funnel_comparison(funnel_rows(numerators, denominators, target=p0))
    lower, upper = proportion_confint(
        np.array(numerators), np.array(denominators), alpha=0.05, method="wilson"
    )
    gap = np.minimum(np.abs(lower - p0), np.abs(upper - p0))
    assume((gap > 1e-9).all())  # skip ties on the boundary
    excludes = (lower > p0) | (upper < p0)
    outside = comparison.points["position"] != "within"
    assert outside.tolist() == excludes.tolist()
    above = comparison.points["position"].str.startswith("above")
    assert (above == (lower > p0)).all()


def test_funnel_centre_and_withheld_units():
    rows = funnel_rows([30, 60, 2], [100, 100, 20], target=np.nan, shown=[True, True, False])
    comparison = funnel_comparison(rows)
    # no target: the average (30 + 60 + 2) / 220, the withheld unit included
    assert comparison.centre_label == "service average"
    assert comparison.centre == pytest.approx(92 / 220)
    assert comparison.points["position"].tolist()[2] == "not_shown"
    assert np.isnan(comparison.points["value"].iat[2])
    limits = comparison.limits
    assert limits["denominator"].min() == 10  # half the smallest denominator
    assert limits["denominator"].max() == 110  # 1.1 x the largest
    assert (limits["target"] == comparison.centre).all()
    assert (limits["lower95"] <= limits["upper95"]).all()
    assert (limits["lower998"] <= limits["lower95"]).all()
    average = funnel_comparison(funnel_rows([30, 60], [100, 100]), against="average")
    assert average.centre == pytest.approx(0.45)


def test_funnel_rejects_mixed_or_non_proportion_rows():
    rows = funnel_rows([30, 60], [100, 100])
    with pytest.raises(StatisticsError, match="level"):
        funnel_comparison(rows.assign(level=["provider", "site"]))
    with pytest.raises(StatisticsError, match="proportions"):
        funnel_comparison(rows.assign(kpi_unit="mean"))
    with pytest.raises(StatisticsError, match="against"):
        funnel_comparison(rows, against="median")


def test_funnel_without_any_denominator_has_no_limits():
    comparison = funnel_comparison(funnel_rows([0, 0], [0, 0]))
    assert comparison.limits.empty
    assert comparison.points["position"].tolist() == ["not_shown", "not_shown"]


def test_outlier_sentences():
    points = pd.DataFrame(
        {"unit": ["A", "B", "C", "D"], "position": ["above_998", "within", "within", "below_95"]}
    )
    text = outliers_text(FunnelComparison(points, pd.DataFrame(), 0.3, "target"), "site")
    assert text == (
        "A is above the 99.8% limit (a probable outlier, high). "
        "D is below the 95% limit (a possible outlier, low). "
        "2 sites are within the 95% limits."
    )
