"""Equity: reach by IMD quintile, most deprived shares, outcomes by quintile, SII/RII.

Expected values are hand-worked from tests/fixtures/kpi/episodes_small.csv, the PHEindicatormethods
SII reference case (/work/shared/reference/measures.md §11.4), or statsmodels/scipy on the same
arrays.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.equity.deprivation import (
    most_deprived_share,
    outcome_by_imd_quintile,
    reach_by_imd_quintile,
    sii,
    sii_for_outcome,
)
from evalkit.errors import ConfigError, StatisticsError, ValidationError

FIXTURE = Path(__file__).parent / "fixtures" / "kpi" / "episodes_small.csv"
POPULATION = {1: 0.31, 2: 0.24, 3: 0.18, 4: 0.15, 5: 0.12}

# measures.md §11.4: area 1, deciles most -> least deprived.
SII_POPULATIONS = [7291, 7997, 6105, 7666, 5790, 6934, 5918, 5974, 7147, 7534]
SII_VALUES = [
    75.933459010308098, 78.344238272784295, 83.836063104165405, 83.637539966493094,
    80.465503152955904, 81.115675985702197, 81.693083571856207, 84.190006206098701,
    80.595564108147201, 86.289434957862397,
]  # fmt: skip
SII_SES = [
    1.6384724263585451, 1.578192884542907, 1.5134355059640296, 1.7754906175801293,
    1.7013390591981388, 1.5641210737675499, 1.3681148366878566, 1.4001418005940802,
    2.4328463975781616, 1.5665181695934678,
]  # fmt: skip


@pytest.fixture(scope="module")
def episodes() -> pd.DataFrame:
    dtypes = {"imd_decile": "Int64", "imd_quintile": "Int64", "imd_rank": "Int64"}
    dtypes |= {"quit_4wk_co": "boolean", "wemwbs_change": "Float64"}
    return pd.read_csv(FIXTURE, dtype=dtypes)


def test_reach_by_quintile_by_hand(episodes):
    reach = reach_by_imd_quintile(episodes, POPULATION)
    # quintiles: 1 = c01 c02 c05 c11 c12 c16 c17; 2 = c03 c08 c13 c20; 3 = c04 c14 c18;
    # 4 = c06 c15; 5 = c07 c10 c19; c09 has no IMD (19 recorded of 20).
    assert list(reach.episodes) == [7, 4, 3, 2, 3]
    assert reach.share.iat[0] == pytest.approx(7 / 19)
    assert reach.ratio.iat[0] == pytest.approx((7 / 19) / 0.31)  # 1.1885: over-represented
    lower, upper = proportion_confint(7, 19, method="wilson")
    assert (reach.share_ci_lower.iat[0], reach.share_ci_upper.iat[0]) == pytest.approx(
        (lower, upper)
    )
    assert reach.ratio_ci_lower.iat[0] == pytest.approx(lower / 0.31)
    assert reach.attrs["imd_not_recorded"] == 1
    assert all("1 episode(s) with no IMD quintile" in note for note in reach.note)


def test_reach_chi_square_by_hand(episodes):
    chi = reach_by_imd_quintile(episodes, POPULATION).attrs["chi_square"]
    # expected = 19 x shares = 5.89, 4.56, 3.42, 2.85, 2.28
    # chi2 = 1.11^2/5.89 + 0.56^2/4.56 + 0.42^2/3.42 + 0.85^2/2.85 + 0.72^2/2.28 = 0.810413
    statistic = 1.11**2 / 5.89 + 0.56**2 / 4.56 + 0.42**2 / 3.42 + 0.85**2 / 2.85 + 0.72**2 / 2.28
    assert chi["statistic"] == pytest.approx(statistic)
    assert chi["dof"] == 4
    assert chi["p_value"] == pytest.approx(stats.chi2.sf(statistic, 4))
    assert "below 5" in chi["note"]


def test_reach_derives_quintile_from_decile_and_handles_no_imd():
    reach = reach_by_imd_quintile(pd.DataFrame({"imd_decile": [1, 2, 3, 10]}), POPULATION)
    assert list(reach.episodes) == [2, 1, 0, 0, 1]  # ceil(decile / 2)
    empty = reach_by_imd_quintile(pd.DataFrame({"imd_quintile": [None, None]}), POPULATION)
    assert empty.share.isna().all() and empty.attrs["imd_not_recorded"] == 2
    assert "no episodes with a recorded IMD quintile" in empty.note.iat[0]
    assert math.isnan(empty.attrs["chi_square"]["p_value"])


@pytest.mark.parametrize(
    "shares", [{1: 0.5, 2: 0.5}, {1: 0.3, 2: 0.3, 3: 0.3, 4: 0.3, 5: 0.3}, {1: -0.2, 2: 0.6,
    3: 0.2, 4: 0.2, 5: 0.2}]
)  # fmt: skip
def test_reach_rejects_bad_population_shares(shares):
    with pytest.raises(ConfigError, match="population_imd_quintile_share"):
        reach_by_imd_quintile(pd.DataFrame({"imd_quintile": [1]}), shares)


def test_reach_rejects_impossible_quintile_and_missing_imd():
    with pytest.raises(ValidationError, match=r"row 1, column 'imd_quintile': value 7"):
        reach_by_imd_quintile(pd.DataFrame({"imd_quintile": [1, 7]}), POPULATION)
    with pytest.raises(ValidationError, match="imd_decile"):
        reach_by_imd_quintile(pd.DataFrame({"provider": ["A"]}), POPULATION)


def test_most_deprived_share_by_hand(episodes):
    out = most_deprived_share(episodes).set_index("most_deprived_percent")
    # 20%: deciles 1-2 = c01 c02 c05 c11 c12 c16 c17 = 7; 30%: + deciles 3 (c03 c13 c20) = 10;
    # 35%: rank <= 11,495 = those 10 + c08 (rank 11,000) = 11; c09 has no IMD: 19 recorded.
    assert list(out.episodes) == [7, 10, 11]
    assert list(out.denominator) == [19, 19, 19]
    assert out.share.to_list() == pytest.approx([7 / 19, 10 / 19, 11 / 19])
    assert out.loc[35, "ci_lower"] == pytest.approx(proportion_confint(11, 19, method="wilson")[0])
    assert "1 episode(s) with no imd_rank" in out.loc[35, "note"]


def test_most_deprived_35_percent_boundary_and_absent_ranks():
    # 0.35 x 32,844 = 11,495.4: rank 11,495 is in the most deprived 35%, 11,496 is not.
    ranks = most_deprived_share(pd.DataFrame({"imd_decile": [4, 4], "imd_rank": [11495, 11496]}))
    assert ranks.episodes.iat[2] == 1
    no_ranks = most_deprived_share(pd.DataFrame({"imd_decile": [1, 4]}))
    assert math.isnan(no_ranks.share.iat[2])
    assert "no imd_rank column" in no_ranks.note.iat[2]
    assert no_ranks.share.iat[0] == 0.5
    all_missing = most_deprived_share(pd.DataFrame({"imd_decile": [None, None], "imd_rank": None}))
    assert all_missing.share.isna().all()
    assert "no episode has imd_decile recorded" in all_missing.note.iat[0]


def test_outcome_by_quintile_proportion(episodes):
    out = outcome_by_imd_quintile(episodes, "quit_4wk_co")
    # quit_4wk_co recorded: q1 c01 T, c02 F, c05 F, c11 T, c12 F, c17 F -> 2/6; q2 c13 T -> 1/1;
    # q3-q5 none recorded (c07 is NA).
    assert list(out.n) == [6, 1, 0, 0, 0]
    assert out.value.iat[0] == pytest.approx(2 / 6)
    assert out.ci_upper.iat[0] == pytest.approx(proportion_confint(2, 6, method="wilson")[1])
    assert out.value_type.iat[0] == "proportion"
    assert out.value.iloc[2:].isna().all()
    assert "no episodes with quit_4wk_co recorded" in out.note.iat[2]


def test_outcome_by_quintile_mean(episodes):
    out = outcome_by_imd_quintile(episodes, "wemwbs_change")
    # q1: 5, 2, -1, 6, 4, 2 (mean 3); q2: 8, 3 (5.5); q3: none; q4: 4, 1 (2.5); q5: 0 (one value)
    assert list(out.n) == [6, 2, 0, 2, 1]
    assert out.value.to_list()[:2] == pytest.approx([3.0, 5.5])
    ci = stats.ttest_1samp([5, 2, -1, 6, 4, 2], 0).confidence_interval(0.95)
    assert (out.ci_lower.iat[0], out.ci_upper.iat[0]) == pytest.approx((ci.low, ci.high))
    assert out.value.iat[4] == 0 and math.isnan(out.ci_lower.iat[4])
    assert "only one value" in out.note.iat[4]


def test_outcome_must_exist_and_be_boolean_or_numeric(episodes):
    with pytest.raises(ValidationError, match="'wemwbs_chnage'"):
        outcome_by_imd_quintile(episodes, "wemwbs_chnage")
    with pytest.raises(StatisticsError, match="true/false"):
        outcome_by_imd_quintile(episodes, "provider")


def test_sii_matches_phe_reference():
    got = sii(SII_VALUES, SII_POPULATIONS, standard_errors=SII_SES, reps=10_000, seed=2024)
    row = got.iloc[0]
    assert round(row.sii, 4) == round(6.9346164736688189, 4)
    assert round(row.rii, 4) == round(1.0888180804446217, 4)
    assert row.sii == pytest.approx(6.9346164736688189, rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_sii_simulated_ci_matches_phe_reference_within_tolerance(seed):
    # measures.md §11.4: tolerance 0.05 with 10,000 simulations (relative, as in testthat).
    row = sii(SII_VALUES, SII_POPULATIONS, standard_errors=SII_SES, reps=10_000, seed=seed).iloc[0]
    assert row.sii_lower == pytest.approx(3.1275946176508169, rel=0.05)
    assert row.sii_upper == pytest.approx(10.7586873680794, rel=0.05)
    assert row.rii_lower == pytest.approx(1.0383690591642838, rel=0.05)
    assert row.rii_upper == pytest.approx(1.1412993360251238, rel=0.05)


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(0.1, 100), min_size=5, max_size=12),
    data=st.data(),
)
def test_sii_point_estimate_agrees_with_statsmodels_wls(values, data):
    k = len(values)
    pops = data.draw(st.lists(st.integers(1, 10_000), min_size=k, max_size=k))
    share = np.array(pops) / sum(pops)
    rank = np.cumsum(share) - share / 2
    fit = sm.WLS(np.array(values), sm.add_constant(rank), weights=share).fit()
    got = sii(values, pops).iloc[0]
    assert got.sii == pytest.approx(fit.params[1], rel=1e-8, abs=1e-8)
    if abs(fit.params[0]) > 1e-6:
        expected_rii = (fit.params[0] + fit.params[1]) / fit.params[0]
        assert got.rii == pytest.approx(expected_rii, rel=1e-6, abs=1e-6)


def test_sii_of_exactly_linear_values():
    # Equal populations in 5 quintiles: ranks 0.1, 0.3, 0.5, 0.7, 0.9. Values 20 + 10 b give
    # SII = 10 and RII = (20 + 10) / 20 = 1.5.
    got = sii([21, 23, 25, 27, 29], [50] * 5).iloc[0]
    assert got.sii == pytest.approx(10)
    assert got.rii == pytest.approx(1.5)
    assert "no standard errors given" in got.note
    assert math.isnan(got.sii_lower) and math.isnan(got.rii_upper)


def test_sii_identical_values():
    got = sii([0.4] * 5, [10, 20, 30, 20, 10], counts=[4, 8, 12, 8, 4], value_type="proportion",
              reps=2000, seed=3).iloc[0]  # fmt: skip
    assert got.sii == pytest.approx(0, abs=1e-12)
    assert got.rii == pytest.approx(1)
    assert got.sii_lower < 0 < got.sii_upper


def test_sii_proportion_errors_derived_from_counts_on_logit_scale():
    counts = np.array([10, 14, 18, 22, 26])
    pops = np.array([40] * 5)
    lower, upper = proportion_confint(counts, pops, method="wilson")  # independent Wilson
    logit = lambda p: np.log(p / (1 - p))  # noqa: E731
    se = (logit(upper) - logit(lower)) / (2 * stats.norm.ppf(0.975))
    derived = sii(counts / pops, pops, counts=counts, value_type="proportion", reps=5000, seed=9)
    given = sii(counts / pops, pops, standard_errors=se, value_type="proportion", reps=5000, seed=9)
    columns = ["sii", "rii", "sii_lower", "sii_upper", "rii_lower", "rii_upper"]
    pd.testing.assert_frame_equal(derived[columns], given[columns], rtol=1e-12)
    # proportions 0.25 .. 0.65 lie on 0.2 + 0.5 b: SII 0.5, RII 0.7 / 0.2 = 3.5
    assert derived.sii.iat[0] == pytest.approx(0.5)
    assert derived.rii.iat[0] == pytest.approx(3.5)
    assert derived.sii_lower.iat[0] < 0.5 < derived.sii_upper.iat[0]


def test_sii_rate_errors_derived_from_exact_poisson_on_log_scale():
    counts = np.array([9, 7, 6, 4, 3])
    pops = np.array([1000, 1100, 900, 1000, 1200])
    # Exact (Garwood) limits via the gamma distribution, independent of evalkit's chi-square form.
    lower, upper = stats.gamma.ppf(0.025, counts), stats.gamma.ppf(0.975, counts + 1)
    se = (np.log(upper) - np.log(lower)) / (2 * stats.norm.ppf(0.975))
    rates = counts / pops * 100_000
    derived = sii(rates, pops, counts=counts, value_type="rate", reps=5000, seed=5)
    given = sii(rates, pops, standard_errors=se, value_type="rate", reps=5000, seed=5)
    pd.testing.assert_frame_equal(derived, given, rtol=1e-10)
    assert derived.sii.iat[0] < 0  # rates fall from most to least deprived


def test_sii_nan_with_reason_for_empty_or_missing_quantiles():
    zero_pop = sii([1, 2, 3, 4, 5], [10, 10, 0, 10, 10]).iloc[0]
    assert math.isnan(zero_pop.sii) and "quantile 3 has no population" in zero_pop.note
    missing = sii([1, 2, np.nan, 4, 5], [10] * 5).iloc[0]
    assert math.isnan(missing.sii) and "quantile 3 has no value" in missing.note
    zero_count = sii([0, 0.2, 0.3, 0.4, 0.5], [10] * 5, counts=[0, 2, 3, 4, 5],
                     value_type="proportion").iloc[0]  # fmt: skip
    assert not math.isnan(zero_count.sii) and math.isnan(zero_count.sii_lower)
    assert "proportion of 0 or 1" in zero_count.note


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [1, 2, 3], "populations": [1, 1, 1]}, "5 to 100 quantiles"),
        ({"values": [], "populations": []}, "5 to 100 quantiles"),
        ({"values": [1] * 5, "populations": [1] * 4}, "populations has 4 entries"),
        ({"values": [1] * 5, "populations": [1, 1, -1, 1, 1]}, "zero or more"),
        ({"values": [1] * 5, "populations": [1] * 5, "reps": 999}, "at least 1,000"),
        ({"values": [1] * 5, "populations": [1] * 5, "value_type": "ratio"}, "value_type"),
        ({"values": [2] * 5, "populations": [1] * 5, "value_type": "proportion"}, "between 0"),
    ],
)
def test_sii_rejects_invalid_input(kwargs, message):
    with pytest.raises(StatisticsError, match=message):
        sii(**kwargs)


def test_sii_is_reproducible_with_a_seed():
    first = sii(SII_VALUES, SII_POPULATIONS, standard_errors=SII_SES, reps=2000, seed=11)
    second = sii(SII_VALUES, SII_POPULATIONS, standard_errors=SII_SES, reps=2000, seed=11)
    pd.testing.assert_frame_equal(first, second)


def quintile_frame(outcome: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"imd_quintile": np.repeat([1, 2, 3, 4, 5], 40), "outcome": outcome})


def test_sii_for_outcome_proportion_by_hand():
    # 40 episodes per quintile; successes 10, 14, 18, 22, 26 -> 0.25 .. 0.65 = 0.2 + 0.5 b.
    successes = [10, 14, 18, 22, 26]
    outcome = np.concatenate([[True] * s + [False] * (40 - s) for s in successes])
    got = sii_for_outcome(quintile_frame(pd.array(outcome, dtype="boolean")), "outcome",
                          reps=2000, seed=1).iloc[0]  # fmt: skip
    assert got.outcome == "outcome" and got.value_type == "proportion"
    assert got.sii == pytest.approx(0.5) and got.rii == pytest.approx(3.5)
    assert got.sii_lower < 0.5 < got.sii_upper


def test_sii_for_outcome_mean_uses_sd_over_root_n():
    base = np.tile(np.arange(40.0), 5)
    shift = np.repeat([0.0, 1, 2, 3, 4], 40)
    frame = quintile_frame(base + shift)
    got = sii_for_outcome(frame, "outcome", reps=2000, seed=4)
    # means 19.5 + q - 1 at ranks 0.1 .. 0.9: 19 + 5 b -> SII 5, RII 24 / 19
    assert got.sii.iat[0] == pytest.approx(5) and got.rii.iat[0] == pytest.approx(24 / 19)
    se = np.std(np.arange(40.0), ddof=1) / np.sqrt(40)
    direct = sii(19.5 + np.arange(5.0), [40] * 5, standard_errors=[se] * 5, reps=2000, seed=4)
    pd.testing.assert_frame_equal(got.drop(columns="outcome"), direct)


def test_sii_for_outcome_with_an_empty_quintile(episodes):
    got = sii_for_outcome(episodes, "wemwbs_change", reps=1000, seed=0).iloc[0]
    assert math.isnan(got.sii)  # quintile 3 has no WEMWBS change recorded
    assert "quintile 3" in got.note
