"""Compute KPIs over the episode table: value, 95% CI, target, RAG and change from last period.

One generic calculator reads any :class:`~evalkit.kpi.definitions.KpiDefinition`; the unit
decides the interval (Wilson for proportions, exact Poisson below 10 events and Byar's from 10
for counts and rates, Student's t for means). Every period × reporting unit that exists in the
episode table gets a row, even when it has no episodes (the ``note`` column says why a value is
missing), so a provider with a quiet quarter is visible rather than absent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, ValidationError
from evalkit.kpi.definitions import (
    LEVELS,
    KpiDefinition,
    check_kpi_columns,
    load_kpis,
)
from evalkit.stats.intervals import mean_ci, rate_ci, wilson_ci

__all__ = ["KPI_COLUMNS", "NOT_RECORDED", "compute_kpis", "rag_status"]

#: Columns of :func:`compute_kpis`, in order.
KPI_COLUMNS = [
    "kpi_id",
    "title",
    "kpi_unit",
    "period",
    "level",
    "unit_name",
    "numerator",
    "denominator",
    "value",
    "ci_lower",
    "ci_upper",
    "target",
    "direction",
    "rag",
    "previous_value",
    "change_from_previous",
    "note",
]
#: Label for an episode whose period, provider or site is missing (kept, never dropped).
NOT_RECORDED = "(not recorded)"
_SERVICE_NAME = "All"
_NO_EPISODES = "(no episodes)"
_LEVEL_COLUMN = {"service": None, "provider": "provider", "site": "site"}
_RATE_MULTIPLIER = 100_000


def _evaluate(episodes: pd.DataFrame, kpi: KpiDefinition, role: str) -> pd.Series:
    return kpi.expression(role).evaluate(episodes)


def _condition(episodes: pd.DataFrame, kpi: KpiDefinition, role: str) -> pd.Series:
    expression = str(getattr(kpi, role))
    result = _evaluate(episodes, kpi, role)
    if result.dtype == object and result.dropna().map(type).isin([bool, np.bool_]).all():
        result = result.astype("boolean")  # True/False/None held as Python objects
    if not pd.api.types.is_bool_dtype(result.dtype):
        raise ConfigError(
            f"KPI '{kpi.id}': {role} {expression!r} must be a true/false condition for a "
            f"{kpi.unit} KPI, but gives {result.dtype} values. Compare it with something, e.g. "
            f'"{expression} >= 3".'
        )
    return result.astype("boolean")


def _numeric(episodes: pd.DataFrame, kpi: KpiDefinition) -> pd.Series:
    result = _evaluate(episodes, kpi, "numerator")
    if pd.api.types.is_bool_dtype(result.dtype) or not pd.api.types.is_numeric_dtype(result.dtype):
        raise ConfigError(
            f"KPI '{kpi.id}': numerator {kpi.numerator!r} of a mean KPI must be numeric, "
            f"but gives {result.dtype} values."
        )
    return result.astype("Float64").astype(float)


def _episode_flags(episodes: pd.DataFrame, kpi: KpiDefinition) -> pd.DataFrame:
    """Per episode: in the denominator, meets the numerator, numerator missing, value."""
    if kpi.has_population_denominator:
        in_denominator = pd.Series(True, index=episodes.index)
    else:
        condition = _condition(episodes, kpi, "denominator")
        in_denominator = condition.fillna(False).astype(bool)
    if kpi.unit == "mean":
        values = _numeric(episodes, kpi).where(in_denominator)
        hit = pd.Series(False, index=episodes.index)
        missing = in_denominator & values.isna()
    else:
        condition = _condition(episodes, kpi, "numerator")
        hit = condition.fillna(False).astype(bool) & in_denominator
        missing = condition.isna().astype(bool) & in_denominator
        values = pd.Series(np.nan, index=episodes.index)
    return pd.DataFrame(
        {"in_denominator": in_denominator, "hit": hit, "missing": missing, "value": values}
    )


def _labels(column: pd.Series) -> pd.Series:
    return column.astype("str").fillna(NOT_RECORDED)


def _aggregate(
    flags: pd.DataFrame, periods: pd.Series, units: pd.Series, grid: pd.MultiIndex
) -> pd.DataFrame:
    grouped = flags.assign(period=periods, unit_name=units).groupby(
        ["period", "unit_name"], observed=True
    )
    table = grouped.agg(
        in_denominator=("in_denominator", "sum"),
        hits=("hit", "sum"),
        missing=("missing", "sum"),
        n_values=("value", "count"),
        total=("value", "sum"),
        sd=("value", "std"),
    )
    table = table.reindex(grid)
    counts = ["in_denominator", "hits", "missing", "n_values", "total"]
    table[counts] = table[counts].fillna(0)
    return table.reset_index()


def _proportion(table: pd.DataFrame, kpi: KpiDefinition) -> dict[str, Any]:
    x = table["hits"].to_numpy(float)
    n = _denominators(table, kpi)
    over = x > n
    lower, upper = wilson_ci(np.where(over, 0, x), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where((n > 0) & ~over, x / n, np.nan)
    notes = [(n == 0, "no episodes in the denominator")]
    notes.append((over, "numerator is larger than the population denominator"))
    return {
        "numerator": x,
        "denominator": n,
        "value": value,
        "ci_lower": np.where(over, np.nan, lower),
        "ci_upper": np.where(over, np.nan, upper),
        "notes": notes + _missing_numerator_notes(table, kpi),
    }


def _count(table: pd.DataFrame, kpi: KpiDefinition) -> dict[str, Any]:
    x = table["hits"].to_numpy(float)
    lower, upper = rate_ci(x, 1, multiplier=1)
    return {
        "numerator": x,
        "denominator": _denominators(table, kpi),
        "value": x,
        "ci_lower": lower,
        "ci_upper": upper,
        "notes": _missing_numerator_notes(table, kpi),
    }


def _rate(table: pd.DataFrame, kpi: KpiDefinition) -> dict[str, Any]:
    x = table["hits"].to_numpy(float)
    n = _denominators(table, kpi)
    lower, upper = rate_ci(x, n, multiplier=_RATE_MULTIPLIER)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, x / n * _RATE_MULTIPLIER, np.nan)
    return {
        "numerator": x,
        "denominator": n,
        "value": value,
        "ci_lower": lower,
        "ci_upper": upper,
        "notes": [(n == 0, "no episodes in the denominator")]
        + _missing_numerator_notes(table, kpi),
    }


def _mean(table: pd.DataFrame, kpi: KpiDefinition) -> dict[str, Any]:
    n = table["n_values"].to_numpy(float)
    total = table["total"].to_numpy(float)
    sd = table["sd"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, total / n, np.nan)
    lower, upper = mean_ci(value, np.where(n >= 2, sd, 0.0), n)
    missing = table["missing"].to_numpy(int)
    return {
        "numerator": total,
        "denominator": n,
        "value": value,
        "ci_lower": lower,
        "ci_upper": upper,
        "notes": [
            (n == 0, "no values to average"),
            (n == 1, "only one value, so no confidence interval"),
            (
                missing > 0,
                [
                    f"{k} episode(s) in the denominator have no {kpi.numerator} value and are "
                    "left out of the mean"
                    for k in missing
                ],
            ),
        ],
    }


def _denominators(table: pd.DataFrame, kpi: KpiDefinition) -> np.ndarray:
    if kpi.has_population_denominator:
        return np.full(len(table), float(kpi.denominator))
    return table["in_denominator"].to_numpy(float)


def _missing_numerator_notes(table: pd.DataFrame, kpi: KpiDefinition) -> list:
    missing = table["missing"].to_numpy(int)
    return [
        (
            missing > 0,
            [
                f"{k} episode(s) in the denominator have no {kpi.numerator} recorded and are "
                "counted as not meeting it"
                for k in missing
            ],
        )
    ]


_CALCULATORS: Mapping[str, Callable[[pd.DataFrame, KpiDefinition], dict[str, Any]]] = {
    "proportion": _proportion,
    "count": _count,
    "rate_per_100k": _rate,
    "mean": _mean,
}


def rag_status(
    value: Sequence[float] | np.ndarray,
    ci_lower: Sequence[float] | np.ndarray,
    ci_upper: Sequence[float] | np.ndarray,
    target: float | None,
    direction: str,
) -> pd.Series:
    """Red/amber/green against a target, from the value and its confidence interval.

    Green: the value meets the target (``>=`` for ``higher``, ``<=`` for ``lower``). Amber: it
    does not, but the CI includes the target. Red: the CI lies wholly on the wrong side.
    Missing (NA) when there is no target, no value, or (for a missed target) no CI.

    Examples
    --------
    >>> rag_status([0.55, 0.45, 0.30], [0.5, 0.40, 0.25], [0.6, 0.52, 0.35], 0.5, "higher")
    0    green
    1    amber
    2      red
    dtype: str
    """
    value = np.asarray(value, dtype=float)
    lower = np.asarray(ci_lower, dtype=float)
    upper = np.asarray(ci_upper, dtype=float)
    rag = np.full(value.shape, None, dtype=object)
    no_rag = np.array(None, dtype=object)  # an object array, so np.where mixes None and text
    if target is not None:
        if direction == "higher":
            met, near = value >= target, upper >= target
            wrong_side_known = ~np.isnan(upper)
        else:
            met, near = value <= target, lower <= target
            wrong_side_known = ~np.isnan(lower)
        rag = np.where(
            met, "green", np.where(near, "amber", np.where(wrong_side_known, "red", no_rag))
        )
        rag = np.where(np.isnan(value), no_rag, rag)
    return pd.Series(rag, dtype="str")


def _rag_notes(values: dict[str, Any], kpi: KpiDefinition, rag: pd.Series) -> list:
    if kpi.target is None:
        return [(np.ones(len(rag), bool), "no target set")]
    undecided = rag.isna().to_numpy() & ~np.isnan(values["value"])
    return [(undecided, "no confidence interval, so the RAG rating cannot be set")]


def _join_notes(length: int, notes: list) -> list[str | None]:
    joined: list[list[str]] = [[] for _ in range(length)]
    for mask, text in notes:
        for i in np.flatnonzero(np.asarray(mask, bool)):
            joined[i].append(text if isinstance(text, str) else text[i])
    return ["; ".join(parts) if parts else None for parts in joined]


def _require(episodes: pd.DataFrame, columns: Sequence[str], purpose: str) -> None:
    missing = [c for c in columns if c not in episodes.columns]
    if missing:
        raise ValidationError(
            f"episode table has no column '{missing[0]}', needed for {purpose}. "
            "Build it with evalkit.data.episodes.build_episodes (see docs/data-model.md)."
        )


def _period_order(episodes: pd.DataFrame, periods: Sequence[str] | None) -> list[str]:
    labels = _labels(episodes["period"])
    if periods is not None:
        order = [str(p) for p in periods]
        if len(set(order)) != len(order):
            raise ConfigError(f"periods {order} lists a period twice; give each period once.")
        return order
    recorded = sorted(set(labels.unique()) - {NOT_RECORDED})
    return recorded + ([NOT_RECORDED] if (labels == NOT_RECORDED).any() else [])


def _level_units(episodes: pd.DataFrame, level: str) -> tuple[pd.Series, list[str]]:
    """Each episode's reporting-unit label at a level, and the units in display order."""
    column = _LEVEL_COLUMN[level]
    if column is None:
        return pd.Series(_SERVICE_NAME, index=episodes.index), [_SERVICE_NAME]
    units = _labels(episodes[column])
    order = sorted(units.unique())
    return units.astype(pd.CategoricalDtype(order)), order


def _kpi_rows(
    kpi: KpiDefinition,
    episodes: pd.DataFrame,
    period_labels: pd.Series,
    period_order: list[str],
    level_units: Mapping[str, tuple[pd.Series, list[str]]],
) -> list[pd.DataFrame]:
    flags = _episode_flags(episodes, kpi)
    frames = []
    for level in (lv for lv in level_units if lv in kpi.levels):
        units, unit_order = level_units[level]
        if not unit_order:  # no episodes, so no providers or sites to report
            continue
        grid = pd.MultiIndex.from_product([period_order, unit_order], names=["period", "unit_name"])
        table = _aggregate(flags, period_labels, units, grid)
        values = _CALCULATORS[kpi.unit](table, kpi)
        rag = rag_status(
            values["value"], values["ci_lower"], values["ci_upper"], kpi.target, kpi.direction
        )
        frame = pd.DataFrame(
            {
                "kpi_id": kpi.id,
                "title": kpi.title,
                "kpi_unit": kpi.unit,
                "period": table["period"].astype("str"),
                "level": level,
                "unit_name": table["unit_name"].astype("str"),
                "numerator": values["numerator"],
                "denominator": values["denominator"],
                "value": values["value"],
                "ci_lower": values["ci_lower"],
                "ci_upper": values["ci_upper"],
                "target": np.nan if kpi.target is None else kpi.target,
                "direction": kpi.direction,
                "rag": rag,
            }
        )
        frame["_notes"] = _join_notes(len(frame), values["notes"] + _rag_notes(values, kpi, rag))
        frames.append(frame)
    return frames


def _add_change(result: pd.DataFrame, period_order: list[str]) -> pd.DataFrame:
    rank = {p: i for i, p in enumerate(p for p in period_order if p != NOT_RECORDED)}
    result = result.assign(_rank=result["period"].map(rank)).sort_values(
        ["_kpi_order", "_level_order", "unit_name", "_rank"], kind="stable"
    )
    keys = ["kpi_id", "level", "unit_name"]
    chained = result["_rank"].notna()
    previous = result[chained].groupby(keys, sort=False)["value"].shift(1)
    result["previous_value"] = previous.reindex(result.index)
    result["change_from_previous"] = result["value"] - result["previous_value"]
    first = chained & result["previous_value"].isna() & (result["_rank"] == 0)
    no_previous = chained & ~first & result["previous_value"].isna()
    extra = np.select(
        [~chained, first, no_previous],
        [
            "period not recorded, so no change is shown",
            "no earlier period to compare with",
            "no value in the previous period to compare with",
        ],
        default="",
    )
    notes = [
        "; ".join(part for part in (note, add) if isinstance(part, str) and part) or None
        for note, add in zip(result["_notes"], extra, strict=True)
    ]
    result["note"] = pd.Series(notes, index=result.index, dtype="str")
    return result


def compute_kpis(
    episodes: pd.DataFrame,
    kpis: Sequence[Mapping[str, Any] | KpiDefinition] | None = None,
    *,
    levels: Sequence[str] = LEVELS,
    periods: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every KPI for every period × reporting unit, with CI, target, RAG and change.

    Parameters
    ----------
    episodes : DataFrame
        The episode table (one row per referral episode, docs/data-model.md). Needs ``period``,
        plus ``provider``/``site`` for those levels, plus every column the KPIs name.
    kpis : list of mappings or KpiDefinition, optional
        Usually ``EvaluationConfig.kpis``; None uses the packaged default set
        (``evalkit/kpi/kpis_default.yml``, described in docs/kpis.md).
    levels : sequence of {"service", "provider", "site"}
        Levels to report; each KPI is reported at the levels it lists and that are asked for.
    periods : sequence of str, optional
        Periods to report, in time order (previous-period change follows this order). Default:
        every period in the table, sorted. Episodes in other periods are not counted.
        Episodes with no recorded period, provider or site are kept under "(not recorded)".

    Returns
    -------
    DataFrame
        One row per KPI × level × unit × period, columns :data:`KPI_COLUMNS`:

        - ``kpi_id``, ``title``, ``kpi_unit`` (proportion, count, rate_per_100k, mean);
        - ``period``; ``level`` (service, provider, site); ``unit_name`` (the provider or site,
          "All" at service level);
        - ``numerator``, ``denominator``: for proportions and rates, episodes meeting the
          numerator and the denominator (or the fixed population); for counts, the count and
          the episodes in the denominator; for means, the sum of values and their number;
        - ``value``: proportion 0–1, count, rate per 100,000 or mean;
        - ``ci_lower``, ``ci_upper``: 95% CI (Wilson; exact Poisson below 10 events and Byar's
          from 10; Student's t);
        - ``target``, ``direction``, ``rag`` (green, amber, red, or missing: see
          :func:`rag_status`);
        - ``previous_value``, ``change_from_previous`` (value minus the previous period's, on
          the KPI's scale: 0.05 is five percentage points);
        - ``note``: why a value, CI, RAG or change is missing, and how missing data were
          treated (a numerator missing within the denominator counts as not met, the
          intention-to-treat convention; a missing value is left out of a mean).

    Raises
    ------
    ConfigError
        If a KPI definition is invalid or names a column the episode table does not have
        (the message names the KPI id and the column).
    ValidationError
        If the episode table lacks ``period``, or ``provider``/``site`` for those levels.

    Examples
    --------
    >>> episodes = pd.DataFrame({
    ...     "period": ["2026-Q1"] * 4, "provider": ["North", "North", "South", "South"],
    ...     "site": ["A", "B", "C", "C"],
    ...     "started": pd.array([True, True, True, False], dtype="boolean"),
    ...     "completed": pd.array([True, False, True, pd.NA], dtype="boolean")})
    >>> kpi = {"id": "completed", "title": "Starters who completed", "unit": "proportion",
    ...        "numerator": "completed", "denominator": "started", "target": 0.6}
    >>> out = compute_kpis(episodes, [kpi], levels=["service"])
    >>> out[["unit_name", "numerator", "denominator", "value", "rag"]]
      unit_name  numerator  denominator     value    rag
    0       All        2.0          3.0  0.666667  green
    """
    bad_levels = [lv for lv in levels if lv not in LEVELS]
    if bad_levels:
        raise ConfigError(f"levels {bad_levels} must be among {list(LEVELS)}.")
    definitions = load_kpis(kpis)
    _require(episodes, ["period"], "KPIs by period")
    for level in levels:
        column = _LEVEL_COLUMN[level]
        if column:
            _require(episodes, [column], f"KPIs by {level}")
    check_kpi_columns(definitions, episodes.columns)
    period_labels = _labels(episodes["period"])
    period_order = _period_order(episodes, periods)
    in_periods = period_labels.isin(period_order)
    episodes = episodes[in_periods]
    period_labels = period_labels[in_periods].astype(pd.CategoricalDtype(period_order))
    if not period_order:
        period_order = [_NO_EPISODES]
    level_units = {lv: _level_units(episodes, lv) for lv in LEVELS if lv in levels}
    frames = [
        frame.assign(_kpi_order=i, _level_order=LEVELS.index(frame["level"].iat[0]))
        for i, kpi in enumerate(definitions)
        for frame in _kpi_rows(kpi, episodes, period_labels, period_order, level_units)
    ]
    if not frames:
        return pd.DataFrame({column: [] for column in KPI_COLUMNS})
    result = _add_change(pd.concat(frames, ignore_index=True), period_order)
    result = result.sort_values(["_kpi_order", "_level_order", "unit_name", "_rank"])
    return result[KPI_COLUMNS].reset_index(drop=True)
