"""Statistical process control: XmR charts the NHS England "Making Data Count" way.

An XmR (individuals and moving range) chart plots a KPI's monthly or quarterly values around
their mean, with process limits at the mean ± 2.66 × the mean moving range. Points inside the
limits that show no pattern are *common cause* variation, the noise every process has; four
rules pick out *special cause* variation, a signal that something has changed:

1. a single point outside the process limits;
2. a *shift*: a run of 7 or more consecutive points on the same side of the mean;
3. a *trend*: 7 or more consecutive points each higher (or each lower) than the one before;
4. *two of three*: 2 of 3 consecutive points in the outer third between the mean and a limit
   (beyond "two sigma"), all three on the same side of the mean.

A special cause is an *improvement* or a *concern* depending on which way is better for the
KPI. The *variation icon* summarises the latest point; the *assurance icon* says whether the
process limits put a target always within reach (consistently passing), never within reach
(consistently failing) or somewhere in between (hit or miss).

The rules, constants and classifications follow the NHS-R community's NHSRplotthedots R package
(``ptd_spc``), which implements NHS England's Making Data Count (MDC) methodology; the reference
values in ``tests/fixtures/spc/`` come from its published test cases. The screening of large
moving ranges is NHSRplotthedots' default and its one documented deviation from the MDC Excel
tools that changes numbers; ``screen_outliers=False`` gives the Excel tools' limits.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from evalkit.errors import StatisticsError

__all__ = [
    "ASSURANCE_TYPES",
    "FIX_AFTER_AT_LEAST",
    "IMPROVEMENT_DIRECTIONS",
    "LIMIT_MULTIPLIER",
    "MOVING_RANGE_LIMIT_MULTIPLIER",
    "NEAR_LIMIT_MULTIPLIER",
    "POINT_TYPES",
    "SHIFT_POINTS",
    "SPC_COLUMNS",
    "SPC_RULES",
    "SPC_SUMMARY_COLUMNS",
    "TREND_POINTS",
    "TRIAL_LIMITS_BELOW",
    "VARIATION_ICONS",
    "xmr",
    "xmr_summary",
]

#: Process limits are the mean ± this × the mean moving range (3 sigma, as 2.66 = 3 / 1.128).
LIMIT_MULTIPLIER = 2.66
#: The "near the limit" zone starts two thirds of the way out (2 sigma), computed as
#: NHSRplotthedots does (``2 * (2.66 / 3)``) so the boundary agrees to the last bit.
NEAR_LIMIT_MULTIPLIER = 2 * (LIMIT_MULTIPLIER / 3)
#: Moving ranges at or above this × the mean moving range (the upper range limit) are screened
#: out before the limits are computed (Nelson 1982; NHSRplotthedots ``screen_outliers``).
MOVING_RANGE_LIMIT_MULTIPLIER = 3.267
#: A shift is a run of at least this many consecutive points on one side of the mean.
SHIFT_POINTS = 7
#: A trend is at least this many consecutive points, each above (or each below) the one before.
TREND_POINTS = 7
#: Limits from fewer points than this are "trial limits" (NHSRplotthedots' short-group warning).
TRIAL_LIMITS_BELOW = 12
#: ``fix_after_n_points`` must be at least this (NHSRplotthedots ``ptd_spc_options``).
FIX_AFTER_AT_LEAST = 12

#: Which way is better for the KPI.
IMPROVEMENT_DIRECTIONS = ("increase", "decrease", "neutral")
#: The special-cause rules, in the order that decides a point's ``rule`` when several fire.
SPC_RULES = ("outside_limits", "trend", "two_of_three", "one_side_run")
#: Values of the ``point_type`` column (NHSRplotthedots' names).
POINT_TYPES = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
)
#: Values of the summary's ``variation`` column: the MDC variation icon of the latest point.
VARIATION_ICONS = (
    "common_cause",
    "improvement_high",
    "improvement_low",
    "concern_high",
    "concern_low",
    "neutral_high",
    "neutral_low",
)
#: Values of the summary's ``assurance`` column: the MDC assurance icon (target vs limits).
ASSURANCE_TYPES = ("consistent_pass", "consistent_fail", "inconsistent")

#: Columns of :func:`xmr`, one row per point, in this order.
SPC_COLUMNS = (
    "period",
    "value",
    "segment",
    "baseline",
    "mean",
    "moving_range",
    "upper_range_limit",
    "moving_range_screened",
    "mean_moving_range",
    "lower_limit",
    "upper_limit",
    "lower_two_sigma",
    "upper_two_sigma",
    "target",
    "improvement",
    "outside_limits",
    "trend",
    "two_of_three",
    "one_side_run",
    "special_cause",
    "rule",
    "direction",
    "point_type",
    "trial_limits",
    "note",
)

#: Columns of :func:`xmr_summary`, one row per segment, in this order.
SPC_SUMMARY_COLUMNS = (
    "segment",
    "start",
    "end",
    "n_points",
    "mean",
    "lower_limit",
    "upper_limit",
    "trial_limits",
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral",
    "variation",
    "assurance",
)

Improvement = Literal["increase", "decrease", "neutral"]


def xmr(
    series: pd.Series | ArrayLike,
    *,
    rebase_at: Iterable[Any] | Any = (),
    target: float | None = None,
    improvement: Improvement = "increase",
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    shift_points: int = SHIFT_POINTS,
    trend_points: int = TREND_POINTS,
) -> pd.DataFrame:
    """XmR chart of a KPI series: mean, moving ranges, process limits and special-cause rules.

    Parameters
    ----------
    series : Series or array-like
        The KPI's values, one per period. A Series' index gives the periods (monthly or
        quarterly ``Period``s, dates, or any sortable labels); it is sorted, and a period may
        appear only once. Plain arrays are numbered 0, 1, 2 … A missing value (NaN) is a gap:
        the row is kept, but it has no moving range and breaks runs and trends (see Notes).
    rebase_at : period or iterable of periods, default ()
        Change points: at each, a new segment starts, with its own mean and limits calculated
        from that period on. Each must be a period of ``series`` (strings such as ``"2024-04"``
        are read as the index's periods).
    target : float, optional
        The KPI's target, for the assurance icon (:func:`xmr_summary`).
    improvement : {"increase", "decrease", "neutral"}, default "increase"
        Which way is better: it decides whether a special cause is an improvement or a concern.
        ``"neutral"`` classes special causes as high or low only, and gives no assurance.
    fix_after_n_points : int, optional
        Calculate each segment's mean and limits from its first ``n`` values only (at least
        12), then hold them; later points are judged against the fixed limits.
    screen_outliers : bool, default True
        Leave out moving ranges at or above the upper range limit (3.267 × the mean moving
        range) when calculating the limits, as NHSRplotthedots does by default.
        ``False`` gives the Making Data Count Excel tools' limits.
    shift_points, trend_points : int, default 7
        Length of a shift (points on one side of the mean) and of a trend.

    Returns
    -------
    DataFrame
        One row per period, columns :data:`SPC_COLUMNS`:

        * ``period``, ``value``; ``segment`` (0, 1 … from each change point);
          ``baseline`` (the value is one of those the mean and limits are calculated from);
        * ``mean`` (the centre line); ``moving_range`` (absolute change from the previous
          period in the segment; NaN at a segment's start and next to a gap);
          ``upper_range_limit`` (3.267 × the mean of the baseline moving ranges);
          ``moving_range_screened`` (this moving range was left out of the limits);
          ``mean_moving_range`` (after screening);
        * ``lower_limit``, ``upper_limit`` (mean ∓ 2.66 × mean moving range);
          ``lower_two_sigma``, ``upper_two_sigma`` (the edges of the "near the limit" zone);
          ``target``, ``improvement`` (as given);
        * the rules, each ``True`` for every point of a pattern that fires: ``outside_limits``,
          ``trend``, ``two_of_three`` (the near-limit points of the pattern), ``one_side_run``
          (a shift: a run on one side of the mean);
          ``special_cause`` (any rule fires);
        * ``rule``: the rule that classes the point, the first in :data:`SPC_RULES` that fires
          (missing for common cause); ``direction``: ``"high"`` (above the mean, or an
          increasing trend) or ``"low"``; ``point_type``: one of :data:`POINT_TYPES`;
        * ``trial_limits``: the segment's limits rest on fewer than 12 values;
          ``note``: why a value or the limits are missing.

    Raises
    ------
    StatisticsError
        If a value is not numeric or is infinite, a period appears twice, a ``rebase_at``
        period is not in the series, ``improvement`` is not one of
        :data:`IMPROVEMENT_DIRECTIONS`, ``fix_after_n_points`` is below 12, or a run length is
        below 2.

    Notes
    -----
    With :math:`\\bar{x}` the segment mean and :math:`\\overline{mR}` the mean of the moving
    ranges :math:`|x_t - x_{t-1}|` (after leaving out those :math:`\\ge 3.267\\,\\overline{mR}`),
    the process limits are :math:`\\bar{x} \\pm 2.66\\,\\overline{mR}` and the near-limit zone
    starts at :math:`\\bar{x} \\pm \\tfrac{2}{3} \\cdot 2.66\\,\\overline{mR}`. Screening is
    done once, against the mean of all the baseline moving ranges; the mean itself uses every
    baseline value. When every moving range is 0 nothing is screened and the limits equal the
    mean (NHSRplotthedots would screen them all and give no limits).

    Comparisons are strict: a point exactly on a limit is not outside it, one exactly on the
    two-sigma line is not near the limit, one exactly on the mean is on neither side (it breaks
    a shift), and two equal consecutive values break a trend. A shift or trend of more than 7
    points flags all of them. Two of three needs 2 near-limit points among 3 consecutive points
    that are all on the same side of the mean; only the near-limit points are flagged. A point
    that is part of an increasing trend and of the decreasing trend that follows (a peak) takes
    the later trend's direction, as NHSRplotthedots does. Rules look only within a segment.

    A gap (missing value) is not a period that can be judged: no moving range spans it, and no
    shift, trend or two-of-three window runs across it. Trial limits, the segment length and
    ``fix_after_n_points`` count observed values.

    References
    ----------
    NHS England and NHS Improvement (2019). *Making Data Count: Strengthening your decisions*.
    NHS-R community, NHSRplotthedots R package (``ptd_spc``, ``R/ptd_spc_standard.R``,
    ``R/ptd_calculate_point_type.R``, ``R/ptd_calculate_assurance_type.R``).
    Nelson LS (1982). Control charts for individual measurements. *Journal of Quality
    Technology* 14(3):172–173.

    Examples
    --------
    >>> import pandas as pd
    >>> months = pd.period_range("2023-04", periods=14, freq="M")
    >>> waits = pd.Series([20, 22, 19, 21, 20, 23, 21, 19, 22, 20, 21, 20, 31, 21], months)
    >>> chart = xmr(waits, improvement="decrease")
    >>> chart.loc[0, ["mean", "lower_limit", "upper_limit"]].astype(float).round(2).tolist()
    [21.43, 14.34, 28.52]
    >>> chart.loc[chart.special_cause, ["period", "value", "rule", "point_type"]]
         period  value            rule             point_type
    12  2024-04   31.0  outside_limits  special_cause_concern
    """
    if improvement not in IMPROVEMENT_DIRECTIONS:
        raise StatisticsError(
            f"improvement must be one of {', '.join(IMPROVEMENT_DIRECTIONS)} "
            f"(got {improvement!r}): say which way is better for the KPI."
        )
    if fix_after_n_points is not None and (
        isinstance(fix_after_n_points, bool)
        or not isinstance(fix_after_n_points, int | np.integer)
        or fix_after_n_points < FIX_AFTER_AT_LEAST
    ):
        raise StatisticsError(
            f"fix_after_n_points must be a whole number of at least {FIX_AFTER_AT_LEAST} "
            f"(got {fix_after_n_points!r}); limits fixed on fewer points would be trial limits."
        )
    for name, length in (("shift_points", shift_points), ("trend_points", trend_points)):
        if isinstance(length, bool) or not isinstance(length, int | np.integer) or length < 2:
            raise StatisticsError(f"{name} must be a whole number of at least 2 (got {length!r}).")
    target_value = _as_target(target)

    values = _as_values(series)
    segment = _segment_numbers(values.index, rebase_at)
    parts = [
        _segment_chart(
            values.to_numpy()[segment == number],
            fix_after_n_points=fix_after_n_points,
            screen_outliers=screen_outliers,
            shift_points=int(shift_points),
            trend_points=int(trend_points),
        )
        for number in range(int(segment.max()) + 1 if len(segment) else 0)
    ]
    columns = {
        name: np.concatenate([part[name] for part in parts]) if parts else np.array([])
        for name in _SEGMENT_COLUMNS
    }
    chart = pd.DataFrame(
        {"period": values.index, "value": values.to_numpy(), "segment": segment, **columns}
    )
    chart["target"] = target_value
    chart["improvement"] = improvement
    chart["point_type"] = _point_types(chart["rule"], chart["direction"], improvement)
    for name in ("rule", "direction", "note"):
        chart[name] = pd.Series(chart[name].to_numpy(), dtype="str")
    return chart.loc[:, list(SPC_COLUMNS)]


def xmr_summary(chart: pd.DataFrame) -> pd.DataFrame:
    """One row per segment of an :func:`xmr` chart: limits, counts and the MDC icons.

    Parameters
    ----------
    chart : DataFrame
        The result of :func:`xmr`.

    Returns
    -------
    DataFrame
        Columns :data:`SPC_SUMMARY_COLUMNS`: ``segment``, its first and last ``period``
        (``start``, ``end``), ``n_points`` (observed values), ``mean``, ``lower_limit``,
        ``upper_limit``, ``trial_limits``; the number of points of each kind
        (``common_cause``, ``special_cause_improvement``, ``special_cause_concern``,
        ``special_cause_neutral``); ``variation``, the variation icon of the segment's latest
        observed point (one of :data:`VARIATION_ICONS`); and ``assurance``, one of
        :data:`ASSURANCE_TYPES`: the target is beyond the upper limit (``consistent_fail`` if
        higher is better, ``consistent_pass`` if lower is), beyond the lower limit (the
        reverse), or between or on them (``inconsistent``, "hit or miss"). ``assurance`` is
        missing without a target, for a neutral KPI, or for a segment with no limits.

        The last row is what the Making Data Count icons show for the chart.

    Raises
    ------
    StatisticsError
        If ``chart`` lacks a column of :data:`SPC_COLUMNS`.

    Examples
    --------
    >>> import pandas as pd
    >>> waits = pd.Series([20, 22, 19, 21, 20, 23, 21, 19, 22, 20, 21, 20, 31, 21],
    ...                   pd.period_range("2023-04", periods=14, freq="M"))
    >>> summary = xmr_summary(xmr(waits, improvement="decrease", target=18))
    >>> summary[["n_points", "special_cause_concern", "variation", "assurance"]]
       n_points  special_cause_concern     variation     assurance
    0        14                      1  common_cause  inconsistent
    """
    missing = [name for name in SPC_COLUMNS if name not in chart.columns]
    if missing:
        raise StatisticsError(
            f"xmr_summary needs the table xmr() returns; this one has no {', '.join(missing)} "
            "column(s)."
        )
    rows = []
    for number, part in chart.groupby("segment", sort=True):
        observed = part[part["value"].notna()]
        latest = observed.iloc[-1] if len(observed) else None
        improvement = str(part["improvement"].iloc[0])
        kinds = part["point_type"]
        first = part.iloc[0]
        rows.append(
            {
                "segment": int(number),
                "start": first["period"],
                "end": part["period"].iloc[-1],
                "n_points": len(observed),
                "mean": first["mean"],
                "lower_limit": first["lower_limit"],
                "upper_limit": first["upper_limit"],
                "trial_limits": bool(first["trial_limits"]),
                "common_cause": int((kinds == "common_cause").sum()),
                "special_cause_improvement": int((kinds == "special_cause_improvement").sum()),
                "special_cause_concern": int((kinds == "special_cause_concern").sum()),
                "special_cause_neutral": int(kinds.str.startswith("special_cause_neutral").sum()),
                "variation": None
                if latest is None
                else _VARIATION_ICON[improvement][latest["point_type"]],
                "assurance": _assurance(
                    first["target"], first["lower_limit"], first["upper_limit"], improvement
                ),
            }
        )
    summary = pd.DataFrame(rows, columns=list(SPC_SUMMARY_COLUMNS))
    for name in ("variation", "assurance"):
        summary[name] = pd.Series(summary[name].to_numpy(), dtype="str")
    return summary


# --- inputs ---------------------------------------------------------------------------------


def _as_target(target: float | None) -> float:
    if target is None:
        return np.nan
    try:
        value = float(target)
    except (TypeError, ValueError) as exc:
        raise StatisticsError(f"target must be a number (got {target!r}).") from exc
    if np.isinf(value):
        raise StatisticsError(f"target must be a finite number (got {target!r}).")
    return value


def _as_values(series: pd.Series | ArrayLike) -> pd.Series:
    """The series as floats, sorted by period, with every problem named by its period."""
    if isinstance(series, pd.DataFrame):
        raise StatisticsError(
            "xmr takes one KPI series, not a table: pass a column, e.g. "
            "frame.set_index('period')['value']."
        )
    if not isinstance(series, pd.Series):
        array = np.asarray(series)
        if array.ndim != 1:
            raise StatisticsError(
                f"xmr takes a one-dimensional series of values (got shape {array.shape})."
            )
        series = pd.Series(array)
    duplicated = series.index[series.index.duplicated()]
    if len(duplicated):
        raise StatisticsError(
            f"period {duplicated[0]} appears more than once in the series; an XmR chart "
            "needs one value per period (total or average the duplicates first)."
        )
    if not series.index.is_monotonic_increasing:
        try:
            series = series.sort_index(kind="stable")
        except TypeError as exc:
            raise StatisticsError(
                "the series' periods cannot be put in order; give them one type "
                "(pandas Periods, dates or numbers)."
            ) from exc
    numbers = pd.to_numeric(series, errors="coerce").astype(float)
    bad = series.notna() & numbers.isna()
    if bad.any():
        period = series.index[bad.to_numpy()][0]
        raise StatisticsError(
            f"the value for period {period} is {series[period]!r}, not a number; "
            "leave it blank (NaN) if it was not recorded."
        )
    infinite = np.isinf(numbers.to_numpy())
    if infinite.any():
        period = series.index[infinite][0]
        raise StatisticsError(
            f"the value for period {period} is infinite (a division by zero?); "
            "leave it blank (NaN) if it cannot be calculated."
        )
    return numbers


def _segment_numbers(index: pd.Index, rebase_at: Iterable[Any] | Any) -> np.ndarray:
    """Segment number (0, 1, …) of each position: a new segment starts at each change point."""
    if isinstance(rebase_at, str | bytes) or not isinstance(rebase_at, Iterable):
        rebase_at = [rebase_at]
    starts = np.zeros(len(index), dtype=bool)
    for period in rebase_at:
        try:
            position = index.get_loc(period)
        except (KeyError, TypeError, ValueError) as exc:
            span = f"they run from {index[0]} to {index[-1]}" if len(index) else "it is empty"
            raise StatisticsError(
                f"rebase_at period {period!r} is not a period of the series ({span})."
            ) from exc
        if not isinstance(position, int | np.integer):
            raise StatisticsError(f"rebase_at period {period!r} matches more than one period.")
        starts[position] = True
    if len(index):
        starts[0] = True
    return np.cumsum(starts) - 1


# --- one segment ----------------------------------------------------------------------------

#: Per-point columns :func:`_segment_chart` returns.
_SEGMENT_COLUMNS = tuple(
    name
    for name in SPC_COLUMNS
    if name not in ("period", "value", "segment", "target", "improvement", "point_type")
)


def _segment_chart(
    y: np.ndarray,
    *,
    fix_after_n_points: int | None,
    screen_outliers: bool,
    shift_points: int,
    trend_points: int,
) -> dict[str, np.ndarray]:
    n = len(y)
    observed = ~np.isnan(y)
    baseline = observed.copy()
    if fix_after_n_points is not None:
        baseline &= np.cumsum(observed) <= fix_after_n_points
    basis = np.where(baseline, y, np.nan)
    n_basis = int(baseline.sum())

    moving_range = np.full(n, np.nan)
    moving_range[1:] = np.abs(np.diff(y))
    basis_range = np.full(n, np.nan)
    basis_range[1:] = np.abs(np.diff(basis))

    mean = float(basis[baseline].mean()) if n_basis else np.nan
    ranges = basis_range[~np.isnan(basis_range)]
    first_mean_range = float(ranges.mean()) if len(ranges) else np.nan
    upper_range_limit = MOVING_RANGE_LIMIT_MULTIPLIER * first_mean_range
    screened = np.zeros(n, dtype=bool)
    mean_range = first_mean_range
    if screen_outliers and first_mean_range > 0:
        screened = ~np.isnan(basis_range) & ~(basis_range < upper_range_limit)
        mean_range = float(basis_range[~np.isnan(basis_range) & ~screened].mean())

    lower = mean - LIMIT_MULTIPLIER * mean_range
    upper = mean + LIMIT_MULTIPLIER * mean_range
    lower_near = mean - NEAR_LIMIT_MULTIPLIER * mean_range
    upper_near = mean + NEAR_LIMIT_MULTIPLIER * mean_range

    with np.errstate(invalid="ignore"):
        outside = (y > upper) | (y < lower)
        near = ~outside & ((y < lower_near) | (y > upper_near))
        side = np.sign(y - mean)  # NaN where the value (or the mean) is missing
        steps = np.sign(np.diff(y))
    side_codes = np.nan_to_num(side, nan=0.0)

    one_side_run = _long_runs(side_codes, shift_points)
    trend, trend_direction = _trends(np.nan_to_num(steps, nan=0.0), trend_points)
    two_of_three = _two_of_three(near, side)

    rule = np.full(n, None, dtype=object)
    direction = np.full(n, None, dtype=object)
    side_direction = np.where(side > 0, "high", "low")
    for name, fired, which_way in (
        ("one_side_run", one_side_run, side_direction),
        ("two_of_three", two_of_three, side_direction),
        ("trend", trend, np.where(trend_direction > 0, "high", "low")),
        ("outside_limits", outside, side_direction),
    ):  # lowest priority first, so the highest-priority rule is written last
        rule[fired] = name
        direction[fired] = which_way[fired]

    note = np.full(n, None, dtype=object)
    if np.isnan(lower):
        note[:] = (
            "no values in this segment: no limits"
            if not n_basis
            else "no two consecutive values in this segment: no moving range, so no limits"
        )
    note[~observed] = "value missing"

    return {
        "baseline": baseline,
        "mean": np.full(n, mean),
        "moving_range": moving_range,
        "upper_range_limit": np.full(n, upper_range_limit),
        "moving_range_screened": screened,
        "mean_moving_range": np.full(n, mean_range),
        "lower_limit": np.full(n, lower),
        "upper_limit": np.full(n, upper),
        "lower_two_sigma": np.full(n, lower_near),
        "upper_two_sigma": np.full(n, upper_near),
        "outside_limits": outside,
        "trend": trend,
        "two_of_three": two_of_three,
        "one_side_run": one_side_run,
        "special_cause": outside | trend | two_of_three | one_side_run,
        "rule": rule,
        "direction": direction,
        "trial_limits": np.full(n, n_basis < TRIAL_LIMITS_BELOW),
        "note": note,
    }


def _long_runs(codes: np.ndarray, length: int) -> np.ndarray:
    """Positions in a run of at least ``length`` equal, non-zero codes."""
    member = np.zeros(len(codes), dtype=bool)
    position = 0
    for code, run in itertools.groupby(codes):
        size = len(list(run))
        if code != 0 and size >= length:
            member[position : position + size] = True
        position += size
    return member


def _trends(steps: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in a trend (``points`` values, each step the same way) and each one's direction.

    ``steps[j]`` is the sign of the change from point ``j`` to ``j + 1`` (0 for a tie or a gap).
    A point shared by two trends (a peak or a trough) takes the later trend's direction.
    """
    member = np.zeros(len(steps) + 1, dtype=bool)
    direction = np.zeros(len(steps) + 1)
    position = 0
    for code, run in itertools.groupby(steps):
        size = len(list(run))
        if code != 0 and size >= points - 1:
            member[position : position + size + 1] = True
            direction[position : position + size + 1] = code
        position += size
    return member, direction


def _two_of_three(near: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Near-limit points in a window of 3 consecutive points with 2 or more near the limit, all
    three on the same side of the mean (a window with a gap does not count)."""
    flagged = np.zeros(len(near), dtype=bool)
    for start in range(len(near) - 2):
        window = slice(start, start + 3)
        sides = side[window]
        if near[window].sum() >= 2 and not np.isnan(sides).any() and abs(sides.sum()) == 3:
            flagged[window] |= near[window]
    return flagged


# --- classification -------------------------------------------------------------------------


def _point_types(rule: pd.Series, direction: pd.Series, improvement: str) -> np.ndarray:
    special = rule.notna().to_numpy()
    high = (direction == "high").to_numpy()
    if improvement == "neutral":
        kinds = np.where(high, "special_cause_neutral_high", "special_cause_neutral_low")
    else:
        better = high if improvement == "increase" else ~high
        kinds = np.where(better, "special_cause_improvement", "special_cause_concern")
    return np.where(special, kinds, "common_cause")


#: The MDC variation icon for a point type, by improvement direction (NHSRplotthedots
#: ``ptd_get_icons``): a concern when higher is better is a low concern, and so on.
_VARIATION_ICON = {
    improvement: {
        "common_cause": "common_cause",
        "special_cause_neutral_high": "neutral_high",
        "special_cause_neutral_low": "neutral_low",
        "special_cause_improvement": "improvement_high"
        if improvement == "increase"
        else "improvement_low",
        "special_cause_concern": "concern_low" if improvement == "increase" else "concern_high",
    }
    for improvement in IMPROVEMENT_DIRECTIONS
}


def _assurance(target: float, lower: float, upper: float, improvement: str) -> str | None:
    if np.isnan(target) or improvement == "neutral" or np.isnan(lower) or np.isnan(upper):
        return None
    increasing = improvement == "increase"
    if target > upper:
        return "consistent_fail" if increasing else "consistent_pass"
    if target < lower:
        return "consistent_pass" if increasing else "consistent_fail"
    return "inconsistent"
