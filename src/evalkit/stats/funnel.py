"""Funnel-plot control limits for comparing providers or sites on a proportion.

A funnel plot shows each unit's proportion against its denominator, with control limits around
a target (or the overall average) that narrow as the denominator grows. Points outside the
95% limits are "possible outliers"; outside the 99.8% limits, "probable outliers". Limits come
in pairs for two-sided probabilities 0.025/0.975 and 0.001/0.999.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from evalkit.errors import StatisticsError

__all__ = ["FUNNEL_METHODS", "funnel_limits"]

#: Supported methods for :func:`funnel_limits`.
FUNNEL_METHODS = ("wilson", "exact")

_LIMITS = {"lower95": 0.025, "upper95": 0.975, "lower998": 0.001, "upper998": 0.999}


def _exact_limit(p0: float, n: np.ndarray, probability: float) -> np.ndarray:
    """Interpolated binomial quantile of Spiegelhalter (2005), Appendix A.1.1, as a proportion."""
    r = stats.binom.ppf(probability, n, p0)
    cdf_r = stats.binom.cdf(r, n, p0)
    cdf_below = stats.binom.cdf(r - 1, n, p0)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = (cdf_r - probability) / (cdf_r - cdf_below)
        return np.clip((r - alpha) / n, 0.0, 1.0)


def _wilson_limit(p0: float, n: np.ndarray, probability: float) -> np.ndarray:
    """Score-test (Wilson) limit, as in PHEindicatormethods ``phe_funnels``/``sigma_adjustment``."""
    z = stats.norm.ppf(probability)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.clip(p0 + z * np.sqrt(p0 * (1 - p0) / n), 0.0, 1.0)


_METHODS = {"exact": _exact_limit, "wilson": _wilson_limit}


def funnel_limits(
    target_or_mean: float, denominators: ArrayLike, *, method: str = "wilson"
) -> pd.DataFrame:
    """95% and 99.8% funnel-plot control limits for a proportion at each denominator.

    Parameters
    ----------
    target_or_mean : float
        The proportion units are compared with (0–1): a target, or the overall average (total
        numerator / total denominator across the units).
    denominators : int or array-like
        Denominators at which to give limits (each unit's own, or a smooth range for drawing).
    method : {"wilson", "exact"}, default "wilson"
        ``"wilson"``: the score-test limits :math:`p_0 \\pm z\\sqrt{p_0(1-p_0)/n}` of PHE
        Fingertips (PHEindicatormethods ``phe_funnels``, ``sigma_adjustment``). A unit falls
        outside them exactly when its Wilson interval (the KPI table's CI) excludes
        :math:`p_0`, so the funnel plot and the red RAG rating agree. ``"exact"``: binomial
        limits with Spiegelhalter's interpolation, which respect the discreteness of very
        small denominators.

    Returns
    -------
    DataFrame
        Columns ``denominator``, ``lower95``, ``upper95``, ``lower998``, ``upper998``
        (proportions 0–1, clipped to that range) and ``note`` (why a row is NaN). One row per
        denominator, in the order given.

    Raises
    ------
    StatisticsError
        If ``target_or_mean`` is outside [0, 1] or NaN, a denominator is negative, or the method
        is unknown.

    Notes
    -----
    The 95% limits use two-sided probabilities 0.025/0.975 and the 99.8% limits 0.001/0.999.
    Exact method: with :math:`R \\sim \\mathrm{Bin}(n, p_0)` and :math:`r` the smallest count
    with :math:`P(R \\le r) \\ge p`, the limit is :math:`(r - \\alpha)/n`, where
    :math:`\\alpha = (P(R \\le r) - p) / (P(R \\le r) - P(R \\le r - 1))`.

    References
    ----------
    Spiegelhalter DJ (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24:1185–1202. Public Health England, Fingertips technical guidance
    (funnel plots), as implemented in PHEindicatormethods ``phe_funnels``.

    Examples
    --------
    >>> funnel_limits(0.5, [10, 100])[["denominator", "lower95", "upper95"]].round(4)
       denominator  lower95  upper95
    0           10   0.1901   0.8099
    1          100   0.4020   0.5980
    """
    if method not in _METHODS:
        raise StatisticsError(
            f"funnel method {method!r} is not one of {', '.join(FUNNEL_METHODS)}."
        )
    p0 = float(target_or_mean)
    if not 0 <= p0 <= 1:
        raise StatisticsError(
            f"funnel target/average must be a proportion from 0 to 1 (got {target_or_mean!r})."
        )
    n = np.atleast_1d(np.asarray(denominators, dtype=float))
    if (n < 0).any():
        raise StatisticsError(f"denominators must be zero or more (got {n[n < 0][0]:g}).")
    usable = n > 0
    safe_n = np.where(usable, n, 1.0)
    limits = {
        name: np.where(usable, _METHODS[method](p0, safe_n, prob), np.nan)
        for name, prob in _LIMITS.items()
    }
    note = np.where(usable, np.array(None, dtype=object), "denominator is 0: no limits")
    note = np.where(np.isnan(n), "denominator is missing: no limits", note)
    frame = pd.DataFrame({"denominator": n, **limits})
    if np.all(np.mod(n[~np.isnan(n)], 1) == 0):
        frame["denominator"] = frame["denominator"].astype("Int64")
    frame["note"] = pd.Series(note, dtype="str")
    return frame
