"""KPIs month by month or quarter by quarter over the contract's life, and their SPC charts.

:func:`kpi_series` computes every KPI (the same definitions and calculator as
:func:`evalkit.kpi.compute_kpis`) for each calendar month or quarter of referral, at service
level, with every period in the range present even when nobody was referred in it.
:func:`kpi_spc` runs the Making Data Count XmR rules (:func:`evalkit.stats.spc.xmr`) over each
KPI's series, starting new limits at declared change points, and :func:`kpi_spc_summary` gives
each KPI's variation and assurance icons.

Values withheld under the small-number rule (missing ``value``) are gaps in the chart: they are
neither plotted nor judged. Withholding is the presentation layer's job
(:func:`evalkit.pages.lifestyle_kpis.scorecard.disclose_kpis` applies the disclosure policy);
these functions take the series as they are given.

Examples
--------
>>> import pandas as pd
>>> episodes = pd.DataFrame({
...     "referral_date": pd.to_datetime(["2025-01-10", "2025-01-20", "2025-03-02"]),
...     "started": pd.array([True, False, True], dtype="boolean")})
>>> kpi = {"id": "started", "title": "Referrals who started", "unit": "proportion",
...        "numerator": "started", "denominator": "all", "target": 0.75}
>>> kpi_series(episodes, [kpi])[["period", "numerator", "denominator", "value"]]
    period  numerator  denominator  value
0  2025-01        1.0          2.0    0.5
1  2025-02        0.0          0.0    NaN
2  2025-03        1.0          1.0    1.0
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, ValidationError
from evalkit.kpi.compute import KPI_COLUMNS, compute_kpis
from evalkit.kpi.definitions import KpiDefinition, load_kpis
from evalkit.stats.spc import SPC_COLUMNS, SPC_SUMMARY_COLUMNS, xmr, xmr_summary

__all__ = [
    "FREQUENCIES",
    "SERIES_COLUMNS",
    "SPC_KPI_COLUMNS",
    "SPC_KPI_SUMMARY_COLUMNS",
    "first_period_from",
    "kpi_series",
    "kpi_spc",
    "kpi_spc_summary",
    "period_labels",
    "series_periods",
]

Frequency = Literal["month", "quarter"]
#: How often a series is cut: calendar months (``YYYY-MM``) or quarters (``YYYY-Qn``).
FREQUENCIES: tuple[Frequency, ...] = ("month", "quarter")
_PANDAS_FREQ = {"month": "M", "quarter": "Q"}

#: Columns of :func:`kpi_series`, one row per KPI and period: those of
#: :func:`~evalkit.kpi.compute.compute_kpis` at service level, with the period's frequency and
#: first day in place of the level and unit.
SERIES_COLUMNS = (
    *KPI_COLUMNS[: KPI_COLUMNS.index("period")],
    "freq",
    "period",
    "period_start",
    *KPI_COLUMNS[KPI_COLUMNS.index("numerator") :],
)
#: Columns of :func:`kpi_spc`: the KPI, then :data:`evalkit.stats.spc.SPC_COLUMNS`.
SPC_KPI_COLUMNS = ("kpi_id", "title", "kpi_unit", "freq", *SPC_COLUMNS)
#: Columns of :func:`kpi_spc_summary`: the KPI, then the summary of its latest segment.
SPC_KPI_SUMMARY_COLUMNS = ("kpi_id", "title", "kpi_unit", "freq", *SPC_SUMMARY_COLUMNS)

#: KPI direction (which way is better) as the SPC improvement direction.
_IMPROVEMENT = {"higher": "increase", "lower": "decrease"}


def _check_freq(freq: str) -> Frequency:
    if freq not in FREQUENCIES:
        raise ConfigError(f"freq must be one of {', '.join(FREQUENCIES)} (got {freq!r}).")
    return freq


def period_labels(dates: pd.Series, freq: Frequency = "month") -> pd.Series:
    """The month (``YYYY-MM``) or quarter (``YYYY-Qn``) of each date; missing stays missing.

    Examples
    --------
    >>> dates = pd.Series(pd.to_datetime(["2025-01-31", "2025-11-01", None]))
    >>> period_labels(dates).tolist(), period_labels(dates, "quarter").tolist()
    (['2025-01', '2025-11', None], ['2025-Q1', '2025-Q4', None])
    """
    periods = pd.to_datetime(dates).dt.to_period(_PANDAS_FREQ[_check_freq(freq)])
    text = periods.astype("str").str.replace("Q", "-Q", regex=False)
    return text.astype(object).where(periods.notna(), None)


def series_periods(
    first: datetime.date | str | pd.Timestamp,
    last: datetime.date | str | pd.Timestamp,
    freq: Frequency = "month",
) -> list[str]:
    """Every month or quarter from the one holding ``first`` to the one holding ``last``.

    Examples
    --------
    >>> series_periods("2024-11-15", "2025-02-01")
    ['2024-11', '2024-12', '2025-01', '2025-02']
    >>> series_periods("2024-07-01", "2025-03-31", "quarter")
    ['2024-Q3', '2024-Q4', '2025-Q1']
    """
    code = _PANDAS_FREQ[_check_freq(freq)]
    span = pd.period_range(pd.Timestamp(first), pd.Timestamp(last), freq=code)
    return [str(p).replace("Q", "-Q") for p in span]


def _period_start(labels: Sequence[str], freq: Frequency) -> list[pd.Timestamp]:
    code = _PANDAS_FREQ[freq]
    return [pd.Period(label.replace("-Q", "Q"), freq=code).start_time for label in labels]


def first_period_from(
    when: datetime.date | str | pd.Timestamp, periods: Sequence[str], freq: Frequency = "month"
) -> str | None:
    """The first whole period starting on or after a date (where a change point rebases).

    A change on the first day of a month starts that month; a change in the middle of a
    period starts the next one, the first whose people all had the new arrangement. None
    when no period of ``periods`` starts on or after the date.

    Examples
    --------
    >>> first_period_from("2025-08-01", ["2025-07", "2025-08", "2025-09"])
    '2025-08'
    >>> first_period_from("2025-08-01", ["2025-Q2", "2025-Q3", "2025-Q4"], "quarter")
    '2025-Q4'
    """
    stamp = pd.Timestamp(when)
    for label, start in zip(periods, _period_start(periods, freq), strict=True):
        if start >= stamp:
            return label
    return None


def kpi_series(
    episodes: pd.DataFrame,
    kpis: Sequence[Mapping[str, Any] | KpiDefinition] | None = None,
    *,
    freq: Frequency = "month",
    start: datetime.date | str | pd.Timestamp | None = None,
    end: datetime.date | str | pd.Timestamp | None = None,
    date_column: str = "referral_date",
) -> pd.DataFrame:
    """Every KPI for each month or quarter of referral, at service level.

    Parameters
    ----------
    episodes : DataFrame
        The episode table (docs/data-model.md), with ``date_column`` and every column the KPIs
        name.
    kpis : list of mappings or KpiDefinition, optional
        The KPI definitions; None uses the packaged default set.
    freq : {"month", "quarter"}, default "month"
    start, end : date, optional
        The span of the series (usually the contract start and the end of the report period);
        default the first and last referral. Every period in the span has a row; episodes
        referred outside it, or with no referral date, are not counted.
    date_column : str, default "referral_date"
        The date that places an episode in a period.

    Returns
    -------
    DataFrame
        One row per KPI and period, in KPI then time order, columns :data:`SERIES_COLUMNS`:
        the columns of :func:`evalkit.kpi.compute_kpis` at service level (numerator,
        denominator, value on the KPI's scale, 95% CI, target, RAG, change from the previous
        period, note), plus ``freq`` and ``period_start`` (the first day of the period).

    Raises
    ------
    ValidationError
        If the episode table has no ``date_column``.
    ConfigError
        For an unknown ``freq``, an invalid KPI, or ``start`` after ``end``.
    """
    freq = _check_freq(freq)
    if date_column not in episodes.columns:
        raise ValidationError(
            f"episode table has no column '{date_column}', needed to place episodes in months "
            "or quarters. Build it with evalkit.data.episodes.build_episodes."
        )
    dates = pd.to_datetime(episodes[date_column])
    first = pd.Timestamp(start) if start is not None else dates.min()
    last = pd.Timestamp(end) if end is not None else dates.max()
    if pd.isna(first) or pd.isna(last):
        periods: list[str] = []
    elif first > last:
        raise ConfigError(f"the series starts ({first.date()}) after it ends ({last.date()}).")
    else:
        periods = series_periods(first, last, freq)
    definitions = load_kpis(kpis)
    if not periods:
        return pd.DataFrame({column: [] for column in SERIES_COLUMNS})
    labelled = episodes.assign(period=period_labels(dates, freq))
    labelled = labelled[labelled["period"].isin(periods)]
    table = compute_kpis(labelled, definitions, levels=["service"], periods=periods)
    table = table[table["period"].isin(periods)]
    starts = dict(zip(periods, _period_start(periods, freq), strict=True))
    table = table.assign(freq=freq, period_start=table["period"].map(starts))
    return table.loc[:, list(SERIES_COLUMNS)].reset_index(drop=True)


def _change_periods(
    change_points: Iterable[datetime.date | str | pd.Timestamp], periods: Sequence[str], freq
) -> list[str]:
    found = {first_period_from(when, periods, freq) for when in change_points}
    # a change at or before the first period needs no rebase; one after the last has no effect
    return sorted(p for p in found if p is not None and p != periods[0])


def kpi_spc(
    series: pd.DataFrame,
    kpis: Sequence[Mapping[str, Any] | KpiDefinition] | None = None,
    *,
    change_points: Iterable[datetime.date | str | pd.Timestamp] = (),
    fix_after_n_points: int | None = None,
) -> pd.DataFrame:
    """The XmR chart of each KPI's series, rebased at the declared change points.

    Parameters
    ----------
    series : DataFrame
        From :func:`kpi_series` (one ``freq``), possibly with small numbers withheld (a
        missing ``value`` is a gap).
    kpis : list of mappings or KpiDefinition, optional
        The definitions the series was computed from (for each KPI's target and direction);
        None uses the packaged default set. KPIs of ``kpis`` absent from ``series`` are
        skipped.
    change_points : iterable of dates
        Declared changes (``contract.change_points`` in ``evaluation.yml``): each KPI's chart
        starts new limits at the first whole period on or after each
        (:func:`first_period_from`).
    fix_after_n_points : int, optional
        As for :func:`evalkit.stats.spc.xmr`.

    Returns
    -------
    DataFrame
        Columns :data:`SPC_KPI_COLUMNS`: the KPI (``kpi_id``, ``title``, ``kpi_unit``,
        ``freq``) and :func:`evalkit.stats.spc.xmr`'s columns; the improvement direction is
        ``increase`` for a KPI where higher is better and ``decrease`` where lower is, and the
        target is the KPI's.

    Raises
    ------
    StatisticsError
        As :func:`evalkit.stats.spc.xmr`.
    ValidationError
        If ``series`` mixes months and quarters.

    Examples
    --------
    >>> months = pd.period_range("2024-07", periods=14, freq="M").astype(str)
    >>> rates = [.80, .82, .79, .81, .80, .83, .81, .79, .82, .80, .81, .80, .60, .81]
    >>> series = pd.DataFrame({"kpi_id": "started", "title": "Started", "kpi_unit":
    ...     "proportion", "freq": "month", "period": months, "value": rates})
    >>> kpi = {"id": "started", "title": "Started", "unit": "proportion",
    ...        "numerator": "started", "denominator": "all", "target": 0.75}
    >>> chart = kpi_spc(series, [kpi])
    >>> chart.loc[chart.special_cause, ["period", "rule", "point_type"]]
         period            rule             point_type
    12  2025-07  outside_limits  special_cause_concern
    """
    if series.empty:
        return pd.DataFrame({column: [] for column in SPC_KPI_COLUMNS})
    freqs = series["freq"].unique()
    if len(freqs) != 1:
        raise ValidationError(
            f"the series mixes {', '.join(map(str, freqs))} periods; chart one frequency at a "
            "time (kpi_series(..., freq=...))."
        )
    freq = _check_freq(str(freqs[0]))
    points = list(change_points)
    charts = []
    for kpi in load_kpis(kpis):
        rows = series[series["kpi_id"] == kpi.id]
        if rows.empty:
            continue
        values = pd.Series(rows["value"].to_numpy(dtype=float), index=rows["period"].to_numpy())
        chart = xmr(
            values,
            rebase_at=_change_periods(points, list(values.index), freq),
            target=kpi.target,
            improvement=_IMPROVEMENT[kpi.direction],  # type: ignore[arg-type]
            fix_after_n_points=fix_after_n_points,
        )
        charts.append(chart.assign(kpi_id=kpi.id, title=kpi.title, kpi_unit=kpi.unit, freq=freq))
    if not charts:
        return pd.DataFrame({column: [] for column in SPC_KPI_COLUMNS})
    return pd.concat(charts, ignore_index=True).loc[:, list(SPC_KPI_COLUMNS)]


def kpi_spc_summary(spc: pd.DataFrame) -> pd.DataFrame:
    """Each KPI's current variation and assurance: the latest segment of its chart.

    Parameters
    ----------
    spc : DataFrame
        From :func:`kpi_spc`.

    Returns
    -------
    DataFrame
        One row per KPI, in the order of ``spc``, columns :data:`SPC_KPI_SUMMARY_COLUMNS`
        (:func:`evalkit.stats.spc.xmr_summary` of the latest segment: its limits, counts of
        special-cause points, the variation icon of its latest observed point and the
        assurance icon).
    """
    rows = []
    for kpi_id, chart in spc.groupby("kpi_id", sort=False):
        summary = xmr_summary(chart.loc[:, list(SPC_COLUMNS)]).iloc[[-1]]
        first = chart.iloc[0]
        rows.append(
            summary.assign(
                kpi_id=kpi_id, title=first["title"], kpi_unit=first["kpi_unit"], freq=first["freq"]
            )
        )
    if not rows:
        return pd.DataFrame({column: [] for column in SPC_KPI_SUMMARY_COLUMNS})
    table = pd.concat(rows, ignore_index=True).loc[:, list(SPC_KPI_SUMMARY_COLUMNS)]
    table["n_points"] = table["n_points"].astype(np.int64)
    return table
