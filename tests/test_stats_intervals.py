"""Confidence intervals against PHEindicatormethods reference values and independent libraries.

Reference values: /work/shared/reference/measures.md §11.4 (PHEindicatormethods test workbooks).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from evalkit.errors import StatisticsError
from evalkit.stats import byars_ci, mean_ci, rate_ci, wilson_ci

WILSON_REFERENCE = [  # x, n, lower, upper (measures.md §11.4)
    (65, 100, 0.55254443296887967, 0.73635751756902468),
    (1045, 5000, 0.19795549880013297, 0.22049130373189027),
    (1, 100, 0.0017674320641406511, 0.054486196178705294),
    (5, 100, 0.02154367915436798, 0.11175046923191911),
    (20, 100, 0.1333669333310325, 0.28882916559315885),
    (9856, 12345, 0.79121017529090687, 0.80536400736149094),
    (222, 3215, 0.060791690363636595, 0.078339566813836331),
]
BYARS_REFERENCE = [  # x, lower, upper
    (65, 50.163187710459454, 82.849138545939837),
    (1045, 982.59320180733255, 1110.3312129856499),
]
RATE_REFERENCE = [  # x, n, lower, upper per 100,000 (exact below 10, Byar's from 10)
    (1, 100, 25.317807984289896, 5571.6433909388979),
    (5, 100, 1623.4863901184199, 11668.332079322669),
    (20, 100, 12211.428834875936, 30889.880369197064),
    (65, 100, 50163.187710459453, 82849.138545939844),
]


def assert_4dp(actual: float, expected: float) -> None:
    assert actual == pytest.approx(expected, abs=5e-5)
    assert round(actual, 4) == round(expected, 4)


@pytest.mark.parametrize(("x", "n", "lower", "upper"), WILSON_REFERENCE)
def test_wilson_matches_phe_reference(x, n, lower, upper):
    got_lower, got_upper = wilson_ci(x, n)
    assert_4dp(got_lower, lower)
    assert_4dp(got_upper, upper)
    assert isinstance(got_lower, float)


def test_wilson_vectorised_matches_reference_table():
    x, n, lower, upper = (np.array(col) for col in zip(*WILSON_REFERENCE, strict=True))
    got_lower, got_upper = wilson_ci(x, n)
    np.testing.assert_allclose(got_lower, lower, rtol=1e-10)
    np.testing.assert_allclose(got_upper, upper, rtol=1e-10)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5000), fraction=st.floats(0, 1), confidence=st.sampled_from([0.9, 0.95]))
def test_wilson_agrees_with_statsmodels(n, fraction, confidence):
    x = round(fraction * n)
    lower, upper = wilson_ci(x, n, confidence)
    sm_lower, sm_upper = proportion_confint(x, n, alpha=1 - confidence, method="wilson")
    assert lower == pytest.approx(sm_lower, abs=1e-12)
    assert upper == pytest.approx(sm_upper, abs=1e-12)
    assert 0 <= lower <= x / n <= upper <= 1


def test_wilson_edge_cases():
    # n = 0: no proportion exists, so NaN rather than a crash or 0.
    assert all(math.isnan(v) for v in wilson_ci(0, 0))
    # n = 1, x = 1: z^2 = 3.8415; lower = (2 + z^2 - z*sqrt(z^2)) / (2(1 + z^2)) = 2/(2*4.8415)
    lower, upper = wilson_ci(1, 1)
    z2 = stats.norm.ppf(0.975) ** 2
    assert lower == pytest.approx(2 / (2 * (1 + z2)))
    assert upper == pytest.approx(1.0)
    # x = 0 gives a lower limit of exactly 0.
    assert wilson_ci(0, 10)[0] == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize(
    ("x", "n", "message"),
    [(-1, 10, "x \\(numerator\\)"), (5, -1, "n \\(denominator\\)"), (11, 10, "larger than")],
)
def test_wilson_rejects_impossible_inputs(x, n, message):
    with pytest.raises(StatisticsError, match=message):
        wilson_ci(x, n)


@pytest.mark.parametrize("confidence", [0, 1, 95, -0.5])
def test_confidence_must_be_a_fraction(confidence):
    with pytest.raises(StatisticsError, match="confidence"):
        wilson_ci(5, 10, confidence)


@pytest.mark.parametrize(("x", "lower", "upper"), BYARS_REFERENCE)
def test_byars_matches_phe_reference(x, lower, upper):
    got_lower, got_upper = byars_ci(x)
    assert_4dp(got_lower, lower)
    assert_4dp(got_upper, upper)


def test_byars_lower_is_nan_where_formula_fails():
    # x = 0: 1/(9x) is undefined (PHE returns NA); the upper limit is still defined:
    # (0+1) * (1 - 1/9 + 1.959964/3)^3 = (0.888889 + 0.653321)^3 = 3.66801
    lower, upper = byars_ci(0)
    assert math.isnan(lower)
    assert upper == pytest.approx((1 - 1 / 9 + stats.norm.ppf(0.975) / 3) ** 3)
    # With a 99.99% level the bracket goes negative for x = 1: 1 - 1/9 - 3.8906/3 < 0.
    assert math.isnan(byars_ci(1, confidence=0.9999)[0])
    with pytest.raises(StatisticsError):
        byars_ci(-3)


@pytest.mark.parametrize(("x", "n", "lower", "upper"), RATE_REFERENCE)
def test_rate_matches_phe_reference(x, n, lower, upper):
    got_lower, got_upper = rate_ci(x, n)
    assert got_lower == pytest.approx(lower, rel=1e-9)
    assert got_upper == pytest.approx(upper, rel=1e-9)
    assert round(got_lower, 4) == round(lower, 4)


@pytest.mark.parametrize("x", range(0, 10))
def test_rate_below_ten_is_exact_poisson(x):
    # Garwood exact limits from the gamma distribution (an independent formulation):
    # lower = Gamma(x, 1).ppf(0.025), upper = Gamma(x + 1, 1).ppf(0.975).
    lower, upper = rate_ci(x, 1, multiplier=1)
    expected_lower = 0.0 if x == 0 else stats.gamma.ppf(0.025, x)
    assert lower == pytest.approx(expected_lower, abs=1e-12)
    assert upper == pytest.approx(stats.gamma.ppf(0.975, x + 1))


def test_rate_from_ten_uses_byars_and_handles_zero_population():
    lower, upper = rate_ci(10, 2000, multiplier=1000)
    b_lower, b_upper = byars_ci(10)
    assert (lower, upper) == pytest.approx((b_lower / 2, b_upper / 2))
    assert all(math.isnan(v) for v in rate_ci(3, 0))


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(
        st.floats(-30, 30, allow_nan=False).map(lambda v: round(v, 2)), min_size=2, max_size=40
    )
)
def test_mean_ci_agrees_with_scipy(values):
    array = np.array(values)
    lower, upper = mean_ci(array.mean(), array.std(ddof=1), len(array))
    if array.std(ddof=1) == 0:
        assert lower == upper == pytest.approx(array.mean())
        return
    expected = stats.ttest_1samp(array, 0).confidence_interval(0.95)
    assert lower == pytest.approx(expected.low, abs=1e-9)
    assert upper == pytest.approx(expected.high, abs=1e-9)


def test_mean_ci_needs_two_values():
    assert all(math.isnan(v) for v in mean_ci(4.0, np.nan, 1))
    assert all(math.isnan(v) for v in mean_ci(np.nan, np.nan, 0))
    # All-identical values: zero-width interval at the mean.
    assert mean_ci(3.0, 0.0, 12) == (3.0, 3.0)
