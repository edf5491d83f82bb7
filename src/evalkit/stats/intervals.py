"""Confidence intervals for KPI values: Wilson (proportions), Byar's and exact Poisson (counts and
rates), Student's t (means).

These follow the methods approved for English public health indicators, as implemented in the
PHEindicatormethods R package (``wilson_lower/upper``, ``byars_lower/upper``, ``phe_rate``), and
reproduce its reference values to 4 decimal places (see ``tests/test_stats_intervals.py``).

Every function accepts scalars or array-likes. Scalars in give floats out; arrays in give NumPy
arrays out. An interval that cannot be formed (a zero denominator, a single value) is NaN; inputs
that are impossible (a negative count, a numerator above its denominator) raise
:class:`~evalkit.errors.StatisticsError`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from evalkit.errors import StatisticsError

__all__ = ["EXACT_POISSON_BELOW", "byars_ci", "mean_ci", "rate_ci", "wilson_ci"]

#: Counts below this use the exact Poisson interval in :func:`rate_ci`; from it, Byar's method.
EXACT_POISSON_BELOW = 10

Interval = tuple[float | np.ndarray, float | np.ndarray]


def _z(confidence: float) -> float:
    """Two-sided standard normal critical value; checks the confidence level."""
    if not 0 < confidence < 1:
        raise StatisticsError(
            f"confidence must be a fraction strictly between 0 and 1 (got {confidence!r}); "
            "for a 95% interval pass 0.95."
        )
    return float(stats.norm.ppf(confidence + (1 - confidence) / 2))


def _as_float_array(value: ArrayLike, name: str) -> np.ndarray:
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise StatisticsError(f"{name} must be numeric (got {value!r}).") from exc


def _check_non_negative(values: np.ndarray, name: str) -> None:
    bad = values[values < 0]
    if bad.size:
        raise StatisticsError(f"{name} must be zero or more (got {bad[0]:g}).")


def _shape_like(scalar_input: bool, *arrays: np.ndarray) -> tuple:
    if scalar_input:
        return tuple(float(a) for a in arrays)
    return arrays


def wilson_ci(x: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a proportion x / n.

    Parameters
    ----------
    x : int, float or array-like
        Number of episodes meeting the condition (the numerator).
    n : int, float or array-like
        Number of episodes (the denominator).
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    (lower, upper)
        Proportions on the 0–1 scale. NaN where ``n == 0`` (no proportion exists) or an input is
        NaN.

    Raises
    ------
    StatisticsError
        If ``x`` or ``n`` is negative, ``x > n``, or ``confidence`` is outside (0, 1).

    Notes
    -----
    With :math:`z` the two-sided critical value,

    .. math:: \\frac{2x + z^2 \\mp z\\sqrt{z^2 + 4x(1 - x/n)}}{2(n + z^2)}

    as in PHEindicatormethods ``wilson_lower``/``wilson_upper``. Unlike the Wald interval it stays
    inside [0, 1] and behaves at x = 0 and x = n.

    References
    ----------
    Wilson EB (1927). Probable inference, the law of succession, and statistical inference.
    *J Am Stat Assoc* 22:209–212. Newcombe RG, Altman DG (2000). Proportions and their
    differences. In *Statistics with Confidence*, 2nd edn, BMJ Books, 46–48.

    Examples
    --------
    >>> lower, upper = wilson_ci(65, 100)
    >>> round(lower, 4), round(upper, 4)
    (0.5525, 0.7364)
    """
    scalar_input = np.ndim(x) == 0 and np.ndim(n) == 0
    z = _z(confidence)
    xs = _as_float_array(x, "x (numerator)")
    ns = _as_float_array(n, "n (denominator)")
    _check_non_negative(xs, "x (numerator)")
    _check_non_negative(ns, "n (denominator)")
    over = np.broadcast_to(xs > ns, np.broadcast(xs, ns).shape)
    if over.any():
        xb, nb = np.broadcast_arrays(xs, ns)
        i = np.flatnonzero(over)[0]
        raise StatisticsError(
            f"numerator {xb.flat[i]:g} is larger than its denominator {nb.flat[i]:g}; "
            "a proportion needs x <= n."
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(z**2 + 4 * xs * (1 - xs / ns))
        lower = (2 * xs + z**2 - root) / (2 * (ns + z**2))
        upper = (2 * xs + z**2 + root) / (2 * (ns + z**2))
    # At x = 0 and x = n the limits are exactly 0 and 1; pin them against rounding error.
    lower = np.where(xs == 0, 0.0, lower)
    upper = np.where(xs == ns, 1.0, upper)
    empty = ns == 0
    lower = np.where(empty, np.nan, lower)
    upper = np.where(empty, np.nan, upper)
    return _shape_like(scalar_input, lower, upper)


def byars_ci(x: ArrayLike, confidence: float = 0.95) -> Interval:
    """Byar's approximate Poisson interval for a count of events.

    Parameters
    ----------
    x : int, float or array-like
        Observed count (zero or more).
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    (lower, upper)
        On the count scale. ``lower`` is NaN where the formula goes negative or is undefined
        (x = 0), exactly as PHEindicatormethods ``byars_lower`` returns NA; use :func:`rate_ci`,
        which switches to the exact interval below 10 events, when small counts matter.

    Raises
    ------
    StatisticsError
        If ``x`` is negative or ``confidence`` is outside (0, 1).

    Notes
    -----
    .. math::

        L = x\\left(1 - \\frac{1}{9x} - \\frac{z}{3\\sqrt{x}}\\right)^3, \\qquad
        U = (x+1)\\left(1 - \\frac{1}{9(x+1)} + \\frac{z}{3\\sqrt{x+1}}\\right)^3

    References
    ----------
    Breslow NE, Day NE (1987). *Statistical Methods in Cancer Research, Vol. II: The Design and
    Analysis of Cohort Studies*. Lyon: IARC.

    Examples
    --------
    >>> lower, upper = byars_ci(65)
    >>> round(lower, 4), round(upper, 4)
    (50.1632, 82.8491)
    """
    scalar_input = np.ndim(x) == 0
    z = _z(confidence)
    xs = _as_float_array(x, "x (count)")
    _check_non_negative(xs, "x (count)")
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = xs * (1 - 1 / (9 * xs) - z / (3 * np.sqrt(xs))) ** 3
        upper = (xs + 1) * (1 - 1 / (9 * (xs + 1)) + z / (3 * np.sqrt(xs + 1))) ** 3
    lower = np.where((xs == 0) | (lower < 0), np.nan, lower)
    return _shape_like(scalar_input, lower, upper)


def rate_ci(
    x: ArrayLike, n: ArrayLike, multiplier: float = 100_000, confidence: float = 0.95
) -> Interval:
    """Interval for a rate x / n × multiplier: exact Poisson below 10 events, Byar's from 10.

    Parameters
    ----------
    x : int, float or array-like
        Observed count of events (zero or more).
    n : int, float or array-like
        Population (or person-time) at risk.
    multiplier : float, default 100,000
        Scale of the rate (100,000 gives a rate per 100,000; 1 with ``n = 1`` gives a count).
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    (lower, upper)
        On the rate scale. NaN where ``n == 0``. At ``x = 0`` the exact lower limit is 0.

    Raises
    ------
    StatisticsError
        If ``x`` or ``n`` is negative or ``confidence`` is outside (0, 1).

    Notes
    -----
    For x < 10 the exact interval is
    :math:`[\\chi^2_{\\alpha/2}(2x)/2,\\ \\chi^2_{1-\\alpha/2}(2x+2)/2] / n \\times` multiplier;
    from 10 events Byar's limits (:func:`byars_ci`) are divided by ``n``. This is the rule of
    PHEindicatormethods ``phe_rate``.

    Examples
    --------
    >>> lower, upper = rate_ci(20, 100)
    >>> round(lower, 2), round(upper, 2)
    (12211.43, 30889.88)
    """
    scalar_input = np.ndim(x) == 0 and np.ndim(n) == 0
    xs = _as_float_array(x, "x (count)")
    ns = _as_float_array(n, "n (population)")
    _check_non_negative(xs, "x (count)")
    _check_non_negative(ns, "n (population)")
    alpha = 1 - confidence
    byars_lower, byars_upper = byars_ci(xs, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact_lower = np.where(xs == 0, 0.0, stats.chi2.ppf(alpha / 2, 2 * xs) / 2)
        exact_upper = stats.chi2.ppf(1 - alpha / 2, 2 * xs + 2) / 2
        exact = xs < EXACT_POISSON_BELOW
        scale = np.where(ns == 0, np.nan, multiplier / ns)
        lower = np.where(exact, exact_lower, byars_lower) * scale
        upper = np.where(exact, exact_upper, byars_upper) * scale
    return _shape_like(scalar_input, lower, upper)


def mean_ci(mean: ArrayLike, sd: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> Interval:
    """Student's t interval for a mean from its standard deviation and number of values.

    Parameters
    ----------
    mean, sd : float or array-like
        Sample mean and sample standard deviation (ddof = 1).
    n : int or array-like
        Number of values.
    confidence : float, default 0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    (lower, upper)
        NaN where ``n < 2`` (one value has no spread to build an interval from). Identical values
        (``sd == 0``) give a zero-width interval at the mean.

    Notes
    -----
    :math:`\\bar{x} \\pm t_{n-1,\\,1-\\alpha/2}\\, s/\\sqrt{n}`.

    Examples
    --------
    >>> lower, upper = mean_ci(3.0, 2.0, 16)
    >>> round(lower, 3), round(upper, 3)
    (1.934, 4.066)
    """
    scalar_input = np.ndim(mean) == 0 and np.ndim(sd) == 0 and np.ndim(n) == 0
    _z(confidence)
    means = _as_float_array(mean, "mean")
    sds = _as_float_array(sd, "sd")
    ns = _as_float_array(n, "n")
    _check_non_negative(sds, "sd")
    _check_non_negative(ns, "n")
    with np.errstate(divide="ignore", invalid="ignore"):
        t = stats.t.ppf(confidence + (1 - confidence) / 2, np.where(ns >= 2, ns - 1, np.nan))
        half = t * sds / np.sqrt(ns)
    lower = np.where(ns >= 2, means - half, np.nan)
    upper = np.where(ns >= 2, means + half, np.nan)
    return _shape_like(scalar_input, lower, upper)
