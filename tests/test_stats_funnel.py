"""Funnel-plot control limits: PHE's score (Wilson) limits and Spiegelhalter's exact limits."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from evalkit.errors import StatisticsError
from evalkit.stats import funnel_limits, wilson_ci


def phe_sigma_adjustment(p, population, average, side):
    """PHEindicatormethods R/Funnels.R ``sigma_adjustment`` transcribed (multiplier 1)."""
    q = stats.norm.ppf(p) ** 2
    first = average * (population / q + 1)
    adj = math.sqrt(
        (-8 * average * (population / q + 1)) ** 2
        - 64
        * (1 / q + 1 / population)
        * average
        * (population * (average * (population / q + 2) - 1) + q * (average - 1))
    )
    last = 1 / q + 1 / population
    return ((first - adj / 8) if side == "low" else (first + adj / 8)) / last / population


@pytest.mark.parametrize("average", [0.1, 0.35, 0.5, 0.85])
@pytest.mark.parametrize("n", [5, 20, 137, 2000])
def test_wilson_limits_match_phe_formula(average, n):
    got = funnel_limits(average, [n]).iloc[0]
    expected = {
        "lower95": phe_sigma_adjustment(0.975, n, average, "low"),
        "upper95": phe_sigma_adjustment(0.975, n, average, "high"),
        "lower998": phe_sigma_adjustment(0.999, n, average, "low"),
        "upper998": phe_sigma_adjustment(0.999, n, average, "high"),
    }
    for name, value in expected.items():  # phe_funnels clips to [0, 100%]
        assert got[name] == pytest.approx(min(max(value, 0), 1), abs=1e-10), name


@settings(max_examples=50, deadline=None)
@given(p0=st.floats(0.05, 0.95), n=st.integers(10, 5000))
def test_wilson_limit_is_where_the_wilson_interval_touches_the_target(p0, n):
    got = funnel_limits(p0, [n]).iloc[0]
    assume(got.lower998 > 0 and got.upper998 < 1)
    # A unit observed exactly on the lower 95% limit has a Wilson 95% upper limit equal to p0.
    assert wilson_ci(got.lower95 * n, n)[1] == pytest.approx(p0, rel=1e-9)
    assert wilson_ci(got.upper95 * n, n)[0] == pytest.approx(p0, rel=1e-9)
    assert wilson_ci(got.lower998 * n, n, 0.998)[1] == pytest.approx(p0, rel=1e-9)


@settings(max_examples=60, deadline=None)
@given(p0=st.floats(0.05, 0.95), n=st.integers(1, 500), fraction=st.floats(0, 1))
def test_outside_wilson_funnel_iff_wilson_ci_excludes_target(p0, n, fraction):
    x = round(fraction * n)
    limits = funnel_limits(p0, [n]).iloc[0]
    lower, upper = wilson_ci(x, n)
    assume(min(abs(upper - p0), abs(lower - p0)) > 1e-9)
    assert (x / n < limits.lower95) == (upper < p0)
    assert (x / n > limits.upper95) == (lower > p0)


def test_exact_limits_by_hand():
    # Bin(10, 0.5): P(R<=1) = 11/1024, P(R<=2) = 56/1024, P(R<=7) = 968/1024,
    # P(R<=8) = 1013/1024. Lower 2.5%: r = 2, alpha = (56/1024 - 0.025) / (45/1024);
    # limit = (2 - alpha) / 10. Upper 97.5%: r = 8, alpha = (1013/1024 - 0.975) / (45/1024).
    p = Fraction(1, 40)
    alpha_low = (Fraction(56, 1024) - p) / Fraction(45, 1024)
    alpha_high = (Fraction(1013, 1024) - (1 - p)) / Fraction(45, 1024)
    got = funnel_limits(0.5, [10], method="exact").iloc[0]
    assert got.lower95 == pytest.approx(float((2 - alpha_low) / 10), abs=1e-12)  # 0.13244
    assert got.upper95 == pytest.approx(float((8 - alpha_high) / 10), abs=1e-12)  # 0.76756


def test_exact_limits_approach_normal_for_large_n():
    got = funnel_limits(0.3, [100_000], method="exact").iloc[0]
    half = stats.norm.ppf(0.975) * math.sqrt(0.3 * 0.7 / 100_000)
    assert got.lower95 == pytest.approx(0.3 - half, abs=2e-4)
    assert got.upper95 == pytest.approx(0.3 + half, abs=2e-4)


def test_zero_and_missing_denominators_give_nan_with_note():
    out = funnel_limits(0.4, [0, np.nan, 50])
    assert out.loc[:1, ["lower95", "upper998"]].isna().all().all()
    assert out.note.iat[0] == "denominator is 0: no limits"
    assert out.note.iat[1] == "denominator is missing: no limits"
    assert pd.isna(out.note.iat[2])
    assert list(out.columns) == [
        "denominator", "lower95", "upper95", "lower998", "upper998", "note",
    ]  # fmt: skip


def test_limits_widen_as_denominator_shrinks_and_stay_in_range():
    out = funnel_limits(0.5, [1, 5, 50, 500])
    assert (out.lower95.diff().dropna() >= 0).all()
    assert ((out[["lower998", "upper998"]] >= 0) & (out[["lower998", "upper998"]] <= 1)).all().all()
    assert (out.lower998 <= out.lower95).all() and (out.upper95 <= out.upper998).all()


@pytest.mark.parametrize(
    ("target", "denominators", "method", "message"),
    [
        (1.5, [10], "wilson", "0 to 1"),
        (0.5, [-1], "wilson", "zero or more"),
        (0.5, [10], "normal", "not one of"),
    ],
)
def test_bad_inputs_raise(target, denominators, method, message):
    with pytest.raises(StatisticsError, match=message):
        funnel_limits(target, denominators, method=method)
