"""compute_kpis over a hand-made episode table: every expected value is worked out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import ConfigError, ValidationError
from evalkit.kpi import KPI_COLUMNS, compute_kpis, rag_status
from evalkit.stats.intervals import byars_ci

FIXTURE = Path(__file__).parent / "fixtures" / "kpi" / "episodes_small.csv"
BOOLEAN_COLUMNS = [
    "started", "completed", "wemwbs_followed_up", "wemwbs_meaningful_improvement",
    "set_quit_date", "quit_4wk_self", "quit_4wk_co", "weight_loss_5pct", "became_more_active",
    "auditc_positive_baseline", "auditc_reduced", "iapt_finished_treatment",
    "iapt_case_baseline", "iapt_recovery",
]  # fmt: skip


def load_episodes() -> pd.DataFrame:
    dtypes = {c: "boolean" for c in BOOLEAN_COLUMNS}
    dtypes |= {"imd_decile": "Int64", "imd_quintile": "Int64", "imd_rank": "Int64"}
    dtypes |= {"wemwbs_change": "Float64"}
    return pd.read_csv(FIXTURE, dtype=dtypes)


@pytest.fixture(scope="module")
def default_kpis() -> pd.DataFrame:
    return compute_kpis(load_episodes())


def row(table: pd.DataFrame, kpi: str, period: str, level: str = "service", unit: str = "All"):
    match = table[
        (table.kpi_id == kpi)
        & (table.period == period)
        & (table.level == level)
        & (table.unit_name == unit)
    ]
    assert len(match) == 1, (kpi, period, level, unit)
    return match.iloc[0]


# Hand counts from tests/fixtures/kpi/episodes_small.csv (numerator, denominator), service level.
HAND_COUNTS = {
    "2026-Q1": {
        "referrals": (10, 10),
        "started": (9, 10),  # all but c04
        "completed": (7, 9),  # c01 c02 c05 c06 c08 c09 c10 of the 9 starters
        "wemwbs_followed_up": (6, 9),  # c01 c02 c05 c06 c08 c10
        "wemwbs_meaningful_improvement": (3, 6),  # c01 c06 c08 of 6 paired
        "quit_4wk_self": (2, 4),  # c01 c02 of c01 c02 c05 c07 (c07 lost: not quit)
        "quit_4wk_co": (1, 4),  # c01
        "co_validation": (1, 2),  # c01 of self-reported c01 c02
        "weight_loss_5pct": (2, 4),  # c01 c06 of c01 c02 c06 c08
        "became_more_active": (3, 4),  # c02 c05 c10 of c02 c05 c08 c10
        "auditc_reduced": (1, 2),  # c02 of AUDIT-C positive c02 c06
        "iapt_recovery": (2, 3),  # c01 c08 of finished less not at caseness: c01 c03 c08
    },
    "2026-Q2": {
        "referrals": (10, 10),
        "started": (8, 10),  # all but c14 c18
        "completed": (6, 8),  # c11 c13 c15 c16 c17 c20
        "wemwbs_followed_up": (5, 8),  # c11 c13 c15 c16 c17
        "wemwbs_meaningful_improvement": (3, 5),  # c11 c13 c16
        "quit_4wk_self": (3, 4),  # c11 c13 c17 of c11 c12 c13 c17
        "quit_4wk_co": (2, 4),  # c11 c13
        "co_validation": (2, 3),  # c11 c13 of c11 c13 c17
        "weight_loss_5pct": (2, 3),  # c11 c16 of c11 c13 c16
        "became_more_active": (2, 3),  # c11 c15 of c11 c13 c15
        "auditc_reduced": (2, 2),  # c11 c16
        "iapt_recovery": (2, 3),  # c13 c17 of c11 c13 c17
    },
}
PROPORTION_CASES = [
    (period, kpi, x, n)
    for period, counts in HAND_COUNTS.items()
    for kpi, (x, n) in counts.items()
    if kpi != "referrals"
]


def test_columns_and_one_row_per_kpi_level_unit_period(default_kpis):
    assert list(default_kpis.columns) == KPI_COLUMNS
    # units: service All; providers North, South; sites N1, N2, S1 -> 6 units x 2 periods x 13
    assert len(default_kpis) == 13 * 6 * 2
    assert not default_kpis.duplicated(["kpi_id", "period", "level", "unit_name"]).any()


@pytest.mark.parametrize(("period", "kpi", "x", "n"), PROPORTION_CASES)
def test_default_proportions_match_hand_counts_and_wilson(default_kpis, period, kpi, x, n):
    got = row(default_kpis, kpi, period)
    assert (got.numerator, got.denominator) == (x, n)
    assert got.value == pytest.approx(x / n)
    lower, upper = proportion_confint(x, n, method="wilson")  # independent library
    assert got.ci_lower == pytest.approx(lower, abs=1e-12)
    assert got.ci_upper == pytest.approx(upper, abs=1e-12)


def test_referrals_count_uses_exact_poisson_below_ten_and_byars_from_ten(default_kpis):
    got = row(default_kpis, "referrals", "2026-Q1")
    assert got.value == 10
    assert (got.ci_lower, got.ci_upper) == pytest.approx(byars_ci(10))
    site = row(default_kpis, "referrals", "2026-Q1", "site", "N1")  # c01 c02 c08
    # exact Poisson for 3 events: chi2(0.025, 6)/2 = 0.6187, chi2(0.975, 8)/2 = 8.7673
    assert site.value == 3
    assert (site.ci_lower, site.ci_upper) == pytest.approx((0.618672, 8.767273), abs=1e-6)
    assert "no target set" in site.note


def test_mean_wemwbs_change_by_hand(default_kpis):
    got = row(default_kpis, "wemwbs_mean_change", "2026-Q1")
    # values 5, 2, -1, 4, 8, 0: sum 18, n 6, mean 3.0; squared deviations 4+1+16+1+25+9 = 56,
    # sd = sqrt(56/5) = 3.3466; t(0.975, 5) = 2.570582; half-width 2.570582*3.3466/sqrt(6)
    assert (got.numerator, got.denominator, got.value) == (18, 6, 3.0)
    half = 2.570582 * math.sqrt(56 / 5) / math.sqrt(6)
    assert got.ci_lower == pytest.approx(3.0 - half, abs=1e-5)
    assert got.ci_upper == pytest.approx(3.0 + half, abs=1e-5)
    assert got.rag == "green"  # 3.0 meets the placeholder target of 3.0 (higher is better)
    q2 = row(default_kpis, "wemwbs_mean_change", "2026-Q2")
    # values 6, 3, 1, 4, 2: mean 16/5 = 3.2; change 3.2 - 3.0 = 0.2
    assert q2.value == pytest.approx(3.2)
    assert q2.previous_value == pytest.approx(3.0)
    assert q2.change_from_previous == pytest.approx(0.2)


def test_change_from_previous_period(default_kpis):
    q1 = row(default_kpis, "started", "2026-Q1")
    q2 = row(default_kpis, "started", "2026-Q2")
    assert math.isnan(q1.previous_value)
    assert "no earlier period" in q1.note
    assert q2.previous_value == pytest.approx(0.9)
    assert q2.change_from_previous == pytest.approx(0.8 - 0.9)


def test_missing_numerator_counts_as_not_met_with_a_note(default_kpis):
    # c07 set a quit date but has no 4-week outcome: intention to treat, counted as not quit.
    got = row(default_kpis, "quit_4wk_self", "2026-Q1")
    assert "1 episode(s) in the denominator have no quit_4wk_self recorded" in got.note


def test_empty_unit_gives_nan_with_reason_not_zero(default_kpis):
    # Site N2 has no episodes in 2026-Q2.
    got = row(default_kpis, "completed", "2026-Q2", "site", "N2")
    assert got.denominator == 0
    assert math.isnan(got.value) and math.isnan(got.ci_lower)
    assert pd.isna(got.rag)
    assert "no episodes in the denominator" in got.note
    count = row(default_kpis, "referrals", "2026-Q2", "site", "N2")
    assert count.value == 0  # a count of zero referrals is a real zero, with an interval
    assert count.ci_upper == pytest.approx(3.688879, abs=1e-6)  # chi2(0.975, 2)/2


def test_provider_and_site_levels_by_hand(default_kpis):
    # North Q1 starters: c01 c02 c03 c08 c10 (c04 did not start); completed c01 c02 c08 c10.
    north = row(default_kpis, "completed", "2026-Q1", "provider", "North")
    assert (north.numerator, north.denominator) == (4, 5)
    # South Q1: c05 c06 c07 c09 started; completed c05 c06 c09.
    south = row(default_kpis, "completed", "2026-Q1", "provider", "South")
    assert (south.numerator, south.denominator) == (3, 4)


@pytest.mark.parametrize(
    ("value", "lower", "upper", "target", "direction", "expected"),
    [
        (0.55, 0.45, 0.65, 0.50, "higher", "green"),  # meets target
        (0.45, 0.35, 0.55, 0.50, "higher", "amber"),  # misses, CI includes target
        (0.30, 0.20, 0.40, 0.50, "higher", "red"),  # CI wholly below target
        (0.50, 0.40, 0.60, 0.50, "higher", "green"),  # exactly on target counts as met
        (0.10, 0.05, 0.15, 0.20, "lower", "green"),  # lower is better
        (0.25, 0.15, 0.35, 0.20, "lower", "amber"),
        (0.40, 0.30, 0.50, 0.20, "lower", "red"),  # CI wholly above a lower-is-better target
    ],
)
def test_rag_rules(value, lower, upper, target, direction, expected):
    assert rag_status([value], [lower], [upper], target, direction).iat[0] == expected


def test_rag_missing_without_target_value_or_interval():
    assert rag_status([0.5], [0.4], [0.6], None, "higher").isna().all()
    assert rag_status([np.nan], [np.nan], [np.nan], 0.5, "higher").isna().all()
    assert rag_status([0.3], [np.nan], [np.nan], 0.5, "higher").isna().all()


def test_rag_in_table_matches_hand_reasoning(default_kpis):
    # quit_4wk_co Q1: 1/4 = 0.25, Wilson upper 0.6994 >= placeholder target 0.35 -> amber.
    assert row(default_kpis, "quit_4wk_co", "2026-Q1").rag == "amber"
    # started Q1: 9/10 = 0.9 >= 0.75 -> green.
    assert row(default_kpis, "started", "2026-Q1").rag == "green"


def small_episodes(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {"period": ["2026-Q1"] * n, "provider": ["P"] * n, "site": ["S"] * n}
    return pd.DataFrame(base | columns)


def test_red_rating_from_a_large_shortfall():
    # 2 of 40 starters completed: Wilson upper = 0.1651 < 0.6 target -> red.
    episodes = small_episodes(
        started=pd.array([True] * 40, dtype="boolean"),
        completed=pd.array([True] * 2 + [False] * 38, dtype="boolean"),
    )
    kpi = {"id": "c", "title": "C", "numerator": "completed", "denominator": "started",
           "unit": "proportion", "target": 0.6}  # fmt: skip
    got = compute_kpis(episodes, [kpi], levels=["service"]).iloc[0]
    assert got.ci_upper == pytest.approx(proportion_confint(2, 40, method="wilson")[1])
    assert got.rag == "red"


def test_rate_per_100k_with_population_denominator():
    # 25 quit dates set among an estimated 40,000 local smokers: 62.5 per 100,000,
    # Byar's limits 16.1785 and 36.9001 events -> 40.45 and 92.25 per 100,000.
    episodes = small_episodes(set_quit_date=pd.array([True] * 25 + [False] * 5, dtype="boolean"))
    kpi = {"id": "reach", "title": "Smokers reached", "numerator": "set_quit_date",
           "denominator": 40_000, "unit": "rate_per_100k", "levels": ["service"]}  # fmt: skip
    got = compute_kpis(episodes, [kpi]).iloc[0]
    assert got.value == pytest.approx(62.5)
    lower, upper = byars_ci(25)
    assert (got.ci_lower, got.ci_upper) == pytest.approx((lower / 0.4, upper / 0.4))
    assert list(compute_kpis(episodes, [kpi])["level"]) == ["service"]


def test_n_equals_one_and_all_identical_and_all_missing():
    episodes = small_episodes(
        wemwbs_change=pd.array([4.0, 4.0, 4.0, None], dtype="Float64"),
        provider=["A", "B", "B", "C"],
    )
    kpi = {"id": "w", "title": "W", "numerator": "wemwbs_change", "denominator": "all",
           "unit": "mean", "target": 3}  # fmt: skip
    out = compute_kpis(episodes, [kpi], levels=["provider"]).set_index("unit_name")
    assert out.loc["A", "value"] == 4.0 and math.isnan(out.loc["A", "ci_lower"])
    assert "only one value" in out.loc["A", "note"]
    assert (out.loc["B", "ci_lower"], out.loc["B", "ci_upper"]) == (4.0, 4.0)  # identical
    assert math.isnan(out.loc["C", "value"])  # all missing
    assert "no values to average" in out.loc["C", "note"]
    assert "1 episode(s) in the denominator have no wemwbs_change value" in out.loc["C", "note"]


def test_empty_episode_table_gives_rows_with_reasons():
    episodes = small_episodes(started=pd.array([], dtype="boolean"))
    kpi = {"id": "s", "title": "S", "numerator": "started", "denominator": "all",
           "unit": "proportion"}  # fmt: skip
    out = compute_kpis(episodes, [kpi])
    assert len(out) == 1 and math.isnan(out["value"].iat[0])
    assert "no episodes in the denominator" in out["note"].iat[0]


def test_missing_provider_is_kept_under_not_recorded():
    episodes = small_episodes(started=pd.array([True, True], dtype="boolean"), provider=["A", None])
    kpi = {"id": "s", "title": "S", "numerator": "started", "denominator": "all",
           "unit": "count"}  # fmt: skip
    out = compute_kpis(episodes, [kpi], levels=["provider"])
    assert dict(zip(out.unit_name, out.value, strict=True)) == {"(not recorded)": 1, "A": 1}


def test_periods_argument_orders_and_filters():
    episodes = pd.DataFrame(
        {"period": ["2026-Q3", "2026-Q1", "2026-Q1"], "provider": "P", "site": "S",
         "started": pd.array([True, True, False], dtype="boolean")}
    )  # fmt: skip
    kpi = {"id": "s", "title": "S", "numerator": "started", "denominator": "all",
           "unit": "proportion"}  # fmt: skip
    out = compute_kpis(episodes, [kpi], levels=["service"], periods=["2026-Q1", "2026-Q2"])
    assert list(out.period) == ["2026-Q1", "2026-Q2"]
    assert list(out.value[:1]) == [0.5]
    assert "no value in the previous period" not in (out.note.iat[0] or "")
    with pytest.raises(ConfigError, match="twice"):
        compute_kpis(episodes, [kpi], periods=["2026-Q1", "2026-Q1"])


def test_unknown_column_raises_config_error_naming_kpi_and_column():
    kpi = {"id": "typo", "title": "T", "numerator": "compelted", "denominator": "all",
           "unit": "proportion"}  # fmt: skip
    with pytest.raises(ConfigError, match=r"KPI 'typo'.*'compelted'"):
        compute_kpis(load_episodes(), [kpi])


def test_numeric_numerator_for_a_proportion_is_a_config_error():
    kpi = {"id": "bad", "title": "B", "numerator": "wemwbs_change", "denominator": "all",
           "unit": "proportion"}  # fmt: skip
    with pytest.raises(ConfigError, match=r"KPI 'bad'.*true/false"):
        compute_kpis(load_episodes(), [kpi])


def test_missing_level_column_is_a_validation_error():
    episodes = load_episodes().drop(columns=["site"])
    with pytest.raises(ValidationError, match="'site'"):
        compute_kpis(episodes)
    assert set(compute_kpis(episodes, levels=["service", "provider"]).level) == {
        "service",
        "provider",
    }
