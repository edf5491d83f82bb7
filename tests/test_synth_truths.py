"""The synthetic evaluation shows what evalkit.demo.PLANTED says it does, and looks real.

Outcomes are computed here with plain pandas straight from the canonical tables (not with evalkit's
scorers), and compared with the planted values and with published reference facts
(/work/shared/reference/measures.md: WEMWBS norms and reliability, the Russell Standard 4-week
window, IMD 2019 ranks).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evalkit.demo import PLANTED, generate
from evalkit.demo.measures import spread_items

WEMWBS_ITEMS = [f"wemwbs_{i:02d}" for i in range(1, 15)]
POPULATION_NORM = 49.4  # SHeS 2018, all adults (reference measures.md §1.6)
LSOA_COUNT = 32_844  # IoD2019 (reference §9)


def _episodes(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """A minimal episode table: WEMWBS totals (complete cases), 4-week CO quit, follow-up."""
    p = tables["participants"].copy()
    m = tables["measures"]
    p["imd_quintile"] = (p["imd_decile"].astype(int) + 1) // 2
    items = m[m["measure"].isin(WEMWBS_ITEMS)]
    wide = items.pivot_table(index=["client_id", "timepoint"], columns="measure", values="value")
    total = wide.dropna().sum(axis=1).unstack()
    p = p.merge(total.rename(columns=lambda c: f"wemwbs_{c}"), on="client_id", how="left")
    p["wemwbs_change"] = p["wemwbs_exit"] - p["wemwbs_baseline"]
    any_exit = items.loc[items["timepoint"] == "exit", "client_id"].unique()
    p["wemwbs_followed_up"] = p["client_id"].isin(any_exit).astype(float)
    p["wemwbs_followed_up"] = p["wemwbs_followed_up"].where(
        p["strands"].str.contains("wellbeing")
        & p["start_date"].notna()
        & (p["exit_reason"] != "ongoing")
    )
    four = m[m["timepoint"] == "followup_4wk"].pivot_table(
        index="client_id", columns="measure", values=["value"], aggfunc="first"
    )["value"]
    four_dates = m[m["timepoint"] == "followup_4wk"].groupby("client_id")["date"].first()
    p = p.merge(four.add_suffix("_4wk"), on="client_id", how="left")
    p = p.merge(four_dates.rename("date_4wk"), on="client_id", how="left")
    days = (p["date_4wk"] - p["quit_date"]).dt.days
    quit = (p["smoking_abstinent_4wk"] == 1) & (p["co_ppm_4wk"] < 10) & days.between(25, 42)
    # or recorded as a status code with no dated review (PLANTED.quit_4wk_status_share)
    quit |= p["quit_4wk_status"] == "quit_co_verified"
    # lost to follow-up counts as not quit; the denominator is everyone setting a quit date
    p["quit_4wk_co"] = quit.astype(float).where(p["quit_date"].notna())
    p["days_to_4wk"] = days
    return p


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return _episodes(generate(20_000, seed=11))


@pytest.fixture(scope="module")
def default_size() -> tuple[dict, pd.DataFrame]:
    tables = generate(2_000)
    return tables, _episodes(tables)


def _difference(episodes, outcome, context, comparison):
    """Mean difference (context - comparison) and its Welch 95% CI, by scipy."""
    data = episodes.dropna(subset=[outcome])
    a = data.loc[data.eval(context), outcome]
    b = data.loc[data.eval(comparison), outcome]
    test = stats.ttest_ind(a, b, equal_var=False)
    ci = test.confidence_interval(0.95)
    return a.mean() - b.mean(), ci.low, ci.high, len(a), len(b)


@pytest.mark.parametrize("effect", PLANTED.effects, ids=lambda e: e.name)
def test_planted_effect_is_recovered_at_20000(big, effect):
    diff, low, high, n_context, n_comparison = _difference(
        big, effect.outcome_measure, effect.context_filter, effect.comparison_filter
    )
    assert n_context >= 100 and n_comparison >= 100
    se = (high - low) / (2 * 1.96)
    assert abs(diff - effect.difference) <= 2.6 * se, (diff, se)  # 99% coverage
    if effect.difference:
        assert low > 0 if effect.difference > 0 else high < 0, (diff, low, high)
    else:
        assert low < 0 < high, (diff, low, high)


@pytest.mark.parametrize(
    "name", ["peer_led_most_deprived", "digital_older_people", "quit_face_to_face_vs_telephone"]
)
def test_planted_effects_point_the_right_way_at_default_size(default_size, name):
    effect = PLANTED.effect(name)
    diff, *_ = _difference(
        default_size[1], effect.outcome_measure, effect.context_filter, effect.comparison_filter
    )
    assert math.copysign(1, diff) == math.copysign(1, effect.difference)
    assert abs(diff) > abs(effect.difference) / 3


@pytest.mark.parametrize("cmoc", PLANTED.cmocs, ids=lambda c: c.cmoc_id)
def test_cmoc_holds_in_the_numbers_exactly_when_planted(big, cmoc):
    context = cmoc.context_filter
    diff, low, high, *_ = _difference(big, cmoc.outcome_measure, context, f"not ({context})")
    agrees = low > 0 if cmoc.expected_direction == "higher" else high < 0
    assert agrees == cmoc.holds_in_numbers, (diff, low, high)


def test_follow_up_is_lower_in_more_deprived_quintiles(big):
    rate = big.groupby("imd_quintile")["wemwbs_followed_up"].mean()
    planted = pd.Series(PLANTED.followed_up_by_imd_quintile)
    assert rate.is_monotonic_increasing
    assert np.allclose(rate.sort_index().to_numpy(), planted.sort_index().to_numpy(), atol=0.03)


def test_quit_rates_by_mode_match_the_planted_probabilities(big):
    rate = big.groupby("delivery_mode")["quit_4wk_co"].mean()
    for mode, planted in PLANTED.quit_4wk_co_by_delivery_mode.items():
        assert rate[mode] == pytest.approx(planted, abs=0.04), mode


def test_baseline_wemwbs_is_below_the_population_norm(big):
    baseline = big["wemwbs_baseline"].dropna()
    assert 41 <= baseline.mean() <= 43 < POPULATION_NORM
    assert 7 <= baseline.std() <= 10  # SHeS 2018 SD 8.96


def test_wemwbs_items_are_as_reliable_as_published(default_size):
    """Tennant et al. 2007: Cronbach's alpha 0.89 (students) and 0.91 (population)."""
    m = default_size[0]["measures"]
    items = m[(m["timepoint"] == "baseline") & m["measure"].isin(WEMWBS_ITEMS)]
    wide = items.pivot_table(index="client_id", columns="measure", values="value").dropna()
    alpha, _ = pg.cronbach_alpha(data=wide)
    assert 0.86 <= alpha <= 0.94


def test_a_few_percent_of_questionnaires_have_blank_items(default_size):
    m = default_size[0]["measures"]
    items = m[m["measure"].isin(WEMWBS_ITEMS)]
    counts = items.groupby(["client_id", "timepoint"]).size()
    incomplete = (counts < 14).mean()
    assert 0.01 <= incomplete <= 0.08


def test_imd_rank_lies_in_its_decile_band(default_size):
    p = default_size[0]["participants"]
    rank = p["imd_rank"].astype(int)
    # decile d holds ranks (d-1)*N/10 < rank <= d*N/10, rank 1 = most deprived
    assert (np.ceil(rank * 10 / LSOA_COUNT).astype(int) == p["imd_decile"].astype(int)).all()


def test_episodes_are_skewed_towards_the_most_deprived(default_size):
    quintile = (default_size[1]["imd_quintile"]).value_counts(normalize=True)
    assert quintile[1] + quintile[2] > 0.31 + 0.24  # the town's own share (evaluation.yml)
    assert quintile[1] > quintile[2] > quintile[3] > quintile[5]


def test_four_week_reviews_straddle_the_russell_standard_window(big):
    days = big["days_to_4wk"].dropna()
    outside = ~days.between(25, 42)  # 28 days -3/+14 (NHS SSS monitoring guidance)
    assert 0.02 <= outside.mean() <= 0.2
    co = big["co_ppm_4wk"].dropna()
    assert ((co >= 8) & (co <= 12)).sum() > 50  # readings near the 10 ppm cut-off


def test_talking_therapy_has_non_cases_and_short_treatments(default_size):
    m = default_size[0]["measures"]
    base = m[m["timepoint"] == "baseline"]
    phq = base[base["measure"].str.startswith("phq9_")].groupby("client_id")["value"].sum()
    gad = base[base["measure"].str.startswith("gad7_")].groupby("client_id")["value"].sum()
    both = pd.concat([phq, gad], axis=1, keys=["phq", "gad"]).dropna()
    not_case = (both["phq"] < 10) & (both["gad"] < 8)  # IAPT caseness PHQ-9 >= 10, GAD-7 >= 8
    assert 0.05 <= not_case.mean() <= 0.3
    sessions = m.loc[m["measure"] == "treatment_sessions", "value"]
    assert (sessions < 2).any() and (sessions >= 2).mean() > 0.5


def test_participants_tell_a_consistent_story(default_size):
    p = default_size[0]["participants"]
    assert p["age"].between(18, 90).all()
    assert (p["start_date"].isna() | (p["start_date"] >= p["referral_date"])).all()
    assert (
        p["end_date"].isna() | p["start_date"].isna() | (p["end_date"] >= p["start_date"])
    ).all()
    assert ((p["exit_reason"] == "ongoing") == p["end_date"].isna()).all()
    assert ((p["exit_reason"] == "declined") == p["start_date"].isna()).all()
    quitters = p["quit_date"].notna()
    assert p.loc[quitters, "strands"].str.contains("smoking").all()
    assert (p.loc[quitters, "quit_date"] >= p.loc[quitters, "start_date"]).all()
    background = {
        "white": {"white"},
        "asian": {"south_asian", "chinese", "other_asian"},
        "black": {"black_african", "african_caribbean"},
        "mixed": {"mixed"},
        "other": {"middle_eastern", "other"},
        "not_stated": {"not_stated"},
    }
    for group, allowed in background.items():
        assert set(p.loc[p["ethnicity"] == group, "family_background"]) <= allowed
    by_provider = p.groupby("provider")["site"].nunique()
    assert len(by_provider) == 3 and (by_provider >= 2).all() and p["site"].nunique() == 4


def test_measures_never_precede_baseline(default_size):
    m = default_size[0]["measures"]
    baseline = m[m["timepoint"] == "baseline"].groupby("client_id")["date"].min()
    later = m[m["timepoint"] != "baseline"]
    assert (later["date"] >= later["client_id"].map(baseline)).all()


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 5)
    .flatmap(
        lambda low: st.tuples(
            st.just(low),
            st.integers(low + 1, low + 4),
            st.integers(1, 14),
        )
    )
    .flatmap(
        lambda t: st.tuples(
            st.just(t),
            st.lists(st.integers(t[0] * t[2], t[1] * t[2]), min_size=1, max_size=30),
            st.integers(0, 2**32 - 1),
        )
    )
)
def test_spread_items_keeps_every_total_and_range(case):
    (low, high, k), totals, seed = case
    items = spread_items(np.random.default_rng(seed), np.array(totals), k, low, high)
    assert items.shape == (len(totals), k)
    assert (items.sum(axis=1) == np.array(totals)).all()
    assert items.min() >= low and items.max() <= high
