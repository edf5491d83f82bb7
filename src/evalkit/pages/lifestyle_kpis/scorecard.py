"""The KPI scorecard a commissioner reads: small numbers withheld, results in words, funnels.

Works on the table of :func:`evalkit.kpi.compute_kpis`. :func:`disclose_kpis` withholds every
figure that would reveal a count of 1 to threshold - 1 people; :func:`kpi_text_table` and
:func:`kpi_matrix_text` write the results as text (ratings in words, never colour alone);
:func:`kpis_to_date` gives the cumulative figures of a report; :func:`funnel_comparison`
places providers or sites against funnel-plot limits (:func:`evalkit.stats.funnel_limits`).

Examples
--------
>>> rows = pd.DataFrame({"kpi_id": ["quit"], "title": ["Quit at 4 weeks"],
...     "kpi_unit": ["proportion"], "period": ["2026-Q1"], "level": ["service"],
...     "unit_name": ["All"], "numerator": [40.0], "denominator": [113.0], "value": [40 / 113],
...     "ci_lower": [0.27], "ci_upper": [0.45], "target": [0.35], "direction": ["higher"],
...     "rag": ["green"], "previous_value": [0.37], "change_from_previous": [40 / 113 - 0.37],
...     "note": [None]})
>>> kpi_text_table(disclose_kpis(rows)).loc["Quit at 4 weeks"].iloc[:5].tolist()
['35%', '27% to 45%', '35%', 'Green: met', 'down 1.6 percentage points']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.disclosure.suppression import round_counts, share_withheld, small_count
from evalkit.errors import StatisticsError, ValidationError
from evalkit.kpi import KpiDefinition, compute_kpis
from evalkit.present.labels import period_label
from evalkit.present.wording import change_text, interval_text, rag_text, value_text
from evalkit.stats import funnel_limits

__all__ = [
    "FUNNEL_POINT_COLUMNS",
    "FUNNEL_POSITIONS",
    "NOT_SHOWN",
    "NO_DATA",
    "TEXT_COLUMNS",
    "TO_DATE",
    "FunnelComparison",
    "disclose_kpis",
    "funnel_comparison",
    "kpi_matrix_text",
    "kpi_text_table",
    "kpis_to_date",
    "outliers_text",
    "rating_counts",
]

#: Period label of :func:`kpis_to_date` rows.
TO_DATE = "to date"
#: What a withheld figure reads in a text table.
NOT_SHOWN = "Not shown (small numbers)"
#: What a figure with nobody to measure reads in a text table.
NO_DATA = "No data yet"
#: Columns of :func:`kpi_text_table`, in order.
TEXT_COLUMNS = [
    "Result",
    "95% CI",
    "Target",
    "Rating",
    "Change since previous quarter",
    "Based on (people)",
]
#: Columns of :attr:`FunnelComparison.points`.
FUNNEL_POINT_COLUMNS = [
    "unit",
    "numerator",
    "denominator",
    "value",
    "lower95",
    "upper95",
    "lower998",
    "upper998",
    "position",
]
#: Where a unit lies against the funnel limits, in words.
FUNNEL_POSITIONS: Mapping[str, str] = {
    "above_998": "above the 99.8% limit (a probable outlier, high)",
    "above_95": "above the 95% limit (a possible outlier, high)",
    "within": "within the 95% limits",
    "below_95": "below the 95% limit (a possible outlier, low)",
    "below_998": "below the 99.8% limit (a probable outlier, low)",
    "not_shown": "not shown (small numbers or no data)",
}
_WITHHELD = ["value", "ci_lower", "ci_upper", "rag", "previous_value", "change_from_previous"]


def _require(table: pd.DataFrame, columns: Sequence[str], purpose: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValidationError(
            f"KPI table has no column '{missing[0]}', needed for {purpose}; pass the table "
            "returned by evalkit.kpi.compute_kpis."
        )


def disclose_kpis(
    kpi_table: pd.DataFrame, threshold: int = 8, *, round_to: int | None = None
) -> pd.DataFrame:
    """Withhold KPI figures that would disclose fewer than ``threshold`` people.

    A row is withheld when, for a proportion, the people meeting it, the people not meeting it
    or the people it is based on number 1 to ``threshold - 1``; for a mean, when it averages 1
    to ``threshold - 1`` values; for a count or rate, when the count is 1 to ``threshold - 1``.
    Zero is shown. A change from the previous period is withheld also when that period's
    figure was withheld (the change would give it away).

    Parameters
    ----------
    kpi_table : DataFrame
        From :func:`evalkit.kpi.compute_kpis` (columns :data:`evalkit.kpi.KPI_COLUMNS`), rows
        of each KPI × level × unit in time order, as returned.
    threshold : int, default 8
        ``EvaluationConfig.disclosure.threshold``.
    round_to : int, optional
        ``disclosure.round_to``: the values of count KPIs (and their previous values) are
        rounded to the nearest multiple, as counts in tables are, and the change is the
        difference of the rounded values.

    Returns
    -------
    DataFrame
        The KPI columns plus ``shown`` (bool). In withheld rows ``value``, ``ci_lower``,
        ``ci_upper``, ``rag``, ``previous_value`` and ``change_from_previous`` are missing and
        the ``note`` says why. ``numerator`` and ``denominator`` are kept (as counts they go
        through :func:`evalkit.present.tables.show_table` when shown).

    Examples
    --------
    >>> rows = pd.DataFrame({"kpi_id": ["q", "q"], "kpi_unit": ["proportion"] * 2,
    ...     "level": ["site"] * 2, "unit_name": ["North", "South"], "numerator": [3.0, 40.0],
    ...     "denominator": [50.0, 100.0], "value": [0.06, 0.4], "ci_lower": [0.02, 0.31],
    ...     "ci_upper": [0.16, 0.5], "rag": ["red", "green"], "previous_value": [None] * 2,
    ...     "change_from_previous": [None] * 2, "note": [None] * 2})
    >>> disclose_kpis(rows)[["unit_name", "shown", "value"]]
      unit_name  shown  value
    0     North  False    NaN
    1     South   True    0.4
    """
    _require(
        kpi_table,
        ["kpi_unit", "numerator", "denominator", *_WITHHELD, "note"],
        "withholding small numbers",
    )
    table = kpi_table.copy()
    numerator = pd.to_numeric(table["numerator"], errors="coerce").astype(float)
    denominator = pd.to_numeric(table["denominator"], errors="coerce").astype(float)
    unit = table["kpi_unit"].astype("str")
    small = pd.Series(False, index=table.index)
    proportion = unit == "proportion"
    small |= proportion & share_withheld(numerator, denominator, threshold)
    small |= (unit == "mean") & small_count(denominator, threshold)
    small |= unit.isin(["count", "rate_per_100k"]) & small_count(numerator, threshold)
    shown = ~small
    keys = [c for c in ("kpi_id", "level", "unit_name") if c in table.columns]
    previous_shown = shown.groupby([table[k] for k in keys], sort=False).shift(1)
    hide_change = previous_shown.eq(False) & shown
    for column in _WITHHELD:
        if column in table.columns:
            table[column] = table[column].where(shown)
    table["change_from_previous"] = table["change_from_previous"].where(~hide_change)
    counts = unit == "count"
    if round_to and counts.any():
        for column in ("value", "previous_value"):
            table.loc[counts, column] = (
                round_counts(table.loc[counts, column], round_to).astype(float).to_numpy()
            )
        table.loc[counts, "change_from_previous"] = (
            table.loc[counts, "value"] - table.loc[counts, "previous_value"]
        ).where(table.loc[counts, "change_from_previous"].notna())
    reason = f"fewer than {threshold} people, so not shown"
    previous_reason = "the previous period is not shown, so neither is the change"
    table["note"] = [
        "; ".join(p for p in (extra, None if pd.isna(note) else str(note)) if p) or None
        for note, extra in zip(
            table["note"],
            np.where(small, reason, np.where(hide_change, previous_reason, "")),
            strict=True,
        )
    ]
    table["note"] = table["note"].astype("str")
    table["shown"] = shown.to_numpy()
    return table


def kpis_to_date(
    episodes: pd.DataFrame,
    kpis: Sequence[Mapping[str, Any] | KpiDefinition] | None = None,
    *,
    levels: Sequence[str] = ("service", "provider", "site"),
) -> pd.DataFrame:
    """KPIs over every episode in scope (the whole report, not one quarter).

    Parameters
    ----------
    episodes : DataFrame
        The episode table of a report (all quarters up to the report period).
    kpis : list, optional
        As for :func:`evalkit.kpi.compute_kpis`.
    levels : sequence of str
        As for :func:`evalkit.kpi.compute_kpis`.

    Returns
    -------
    DataFrame
        Columns :data:`evalkit.kpi.KPI_COLUMNS`, ``period`` equal to :data:`TO_DATE`; there is
        no previous period, so ``previous_value`` and ``change_from_previous`` are missing.

    Examples
    --------
    >>> episodes = pd.DataFrame({"period": ["2026-Q1", "2026-Q2"], "provider": ["A", "A"],
    ...                          "site": ["N", "N"], "started": [True, False]})
    >>> kpi = {"id": "started", "title": "Started", "unit": "proportion",
    ...        "numerator": "started", "denominator": "all"}
    >>> kpis_to_date(episodes, [kpi], levels=["service"])[["period", "value"]]
        period  value
    0  to date    0.5
    """
    if "period" not in episodes.columns:
        raise ValidationError("episode table has no column 'period' (see docs/data-model.md).")
    table = compute_kpis(
        episodes.assign(period=TO_DATE), kpis, levels=list(levels), periods=[TO_DATE]
    )
    table["note"] = (
        table["note"]
        .str.replace(r"(; )?no earlier period to compare with", "", regex=True)
        .replace("", None)
        .astype("str")
    )
    return table


def _placeholder_ids(definitions: Sequence[KpiDefinition] | None) -> set[str]:
    return {
        k.id
        for k in definitions or ()
        if k.target is not None and str(k.target_source or "").lower().startswith("placeholder")
    }


def _row_texts(row: pd.Series, placeholders: set[str]) -> dict[str, Any]:
    unit = row["kpi_unit"]
    shown = bool(row.get("shown", True))
    has_target = pd.notna(row["target"])
    target = value_text(row["target"], unit) if has_target else "Not set"
    if has_target and row["kpi_id"] in placeholders:
        target += " (placeholder)"
    if not shown:
        rating = NOT_SHOWN if has_target else "No target"
        change = NOT_SHOWN
    else:
        rating = rag_text(row["rag"]) if has_target else "No target"
        change = (
            change_text(row["change_from_previous"], unit)
            if pd.notna(row["change_from_previous"])
            else "No earlier figure"
        )
    if shown and pd.isna(row["value"]):
        return {
            **dict.fromkeys(TEXT_COLUMNS[:-1], NO_DATA),
            "Target": target,
            "Rating": "No rating" if has_target else "No target",
            "Based on (people)": row["denominator"],
        }
    return {
        "Result": value_text(row["value"], unit) if shown else NOT_SHOWN,
        "95% CI": interval_text(row["ci_lower"], row["ci_upper"], unit) if shown else NOT_SHOWN,
        "Target": target,
        "Rating": rating,
        "Change since previous quarter": change,
        "Based on (people)": row["denominator"],
    }


def _index_labels(rows: pd.DataFrame, index: str) -> list[str]:
    if index != "period":
        return rows[index].astype("str").tolist()
    return ["All quarters" if p == TO_DATE else period_label(p) for p in rows["period"]]


def kpi_text_table(
    rows: pd.DataFrame,
    *,
    index: str = "title",
    definitions: Sequence[KpiDefinition] | None = None,
    columns: Sequence[str] = TEXT_COLUMNS,
) -> pd.DataFrame:
    """KPI rows as a table of text for a report.

    Parameters
    ----------
    rows : DataFrame
        Rows of :func:`disclose_kpis` (one per KPI, or one KPI across periods or units).
    index : str, default "title"
        Column that labels the rows (``title``, ``unit_name`` or ``period``; periods are
        written "Jan to Mar 2026", :data:`TO_DATE` "All quarters").
    definitions : list of KpiDefinition, optional
        Marks targets whose ``target_source`` starts with "placeholder" as "(placeholder)".
    columns : sequence of str
        Which of :data:`TEXT_COLUMNS` to keep.

    Returns
    -------
    DataFrame
        Indexed by the labels; text columns (:data:`TEXT_COLUMNS`), withheld figures reading
        :data:`NOT_SHOWN`, and ``Based on (people)``: the denominator as a whole number
        (``Int64``), to be passed to :func:`evalkit.present.tables.show_table` as a count column.

    Examples
    --------
    >>> rows = pd.DataFrame({"kpi_id": ["m"], "title": ["Mean change"], "kpi_unit": ["mean"],
    ...     "period": ["2026-Q1"], "numerator": [30.0], "denominator": [5.0], "value": [6.0],
    ...     "ci_lower": [2.0], "ci_upper": [10.0], "target": [None], "rag": [None],
    ...     "previous_value": [None], "change_from_previous": [None], "note": [None]})
    >>> kpi_text_table(disclose_kpis(rows), index="period").iloc[0, :4].tolist()
    ['Not shown (small numbers)', 'Not shown (small numbers)', 'Not set', 'No target']
    """
    unknown = [c for c in columns if c not in TEXT_COLUMNS]
    if unknown:
        raise ValidationError(f"unknown text column(s) {unknown}; choose from {TEXT_COLUMNS}.")
    _require(rows, ["kpi_id", "kpi_unit", "target", "denominator", index], "a KPI text table")
    placeholders = _placeholder_ids(definitions)
    texts = [_row_texts(row, placeholders) for _, row in rows.iterrows()]
    table = pd.DataFrame(texts, columns=TEXT_COLUMNS, index=_index_labels(rows, index))
    table["Based on (people)"] = pd.to_numeric(table["Based on (people)"]).round().astype("Int64")
    for column in TEXT_COLUMNS[:-1]:
        table[column] = table[column].astype("str")
    return table[list(columns)]


def kpi_matrix_text(rows: pd.DataFrame, columns: str = "unit_name") -> pd.DataFrame:
    """KPIs (rows) by reporting unit or by period (columns), each cell the result and rating.

    Parameters
    ----------
    rows : DataFrame
        Rows of :func:`disclose_kpis`: one period and one level (e.g. every provider), or one
        unit across periods.
    columns : {"unit_name", "period"}
        What the columns are; periods are written "Jan to Mar 2026".

    Returns
    -------
    DataFrame
        Index: KPI titles in their order; columns: units or periods in their order; cells
        like "52% (Amber)", "3.1" (no target), :data:`NOT_SHOWN` or :data:`NO_DATA` (nobody
        to measure).

    Examples
    --------
    >>> rows = pd.DataFrame({"title": ["Started"] * 2, "kpi_unit": ["proportion"] * 2,
    ...     "unit_name": ["North", "South"], "value": [0.52, None], "rag": ["amber", None],
    ...     "target": [0.6, 0.6], "shown": [True, False]})
    >>> kpi_matrix_text(rows).loc["Started"].tolist()
    ['52% (Amber)', 'Not shown (small numbers)']
    """
    if columns not in ("unit_name", "period"):
        raise ValidationError(f"columns must be 'unit_name' or 'period', not {columns!r}.")
    _require(rows, ["title", "kpi_unit", columns, "value", "rag", "target"], "a KPI matrix")
    shown = rows["shown"] if "shown" in rows.columns else pd.Series(True, index=rows.index)

    def cell(row: pd.Series, visible: bool) -> str:
        if not visible:
            return NOT_SHOWN
        if pd.isna(row["value"]):
            return NO_DATA
        text = value_text(row["value"], row["kpi_unit"])
        if pd.notna(row["target"]) and isinstance(row["rag"], str):
            text += f" ({row['rag'].capitalize()})"
        return text

    heads = _index_labels(rows, columns)
    cells = rows.assign(
        _cell=[cell(row, bool(v)) for (_, row), v in zip(rows.iterrows(), shown, strict=True)],
        _column=heads,
    )
    matrix = cells.pivot(index="title", columns="_column", values="_cell")
    matrix = matrix.reindex(index=pd.unique(rows["title"]), columns=pd.unique(pd.Series(heads)))
    matrix.index.name = None
    matrix.columns.name = None
    return matrix.astype("str")


def rating_counts(rows: pd.DataFrame) -> pd.Series:
    """How many KPIs are green, amber and red, have no rating, or are not shown.

    Parameters
    ----------
    rows : DataFrame
        Rows of :func:`disclose_kpis` (e.g. one period at service level).

    Returns
    -------
    Series
        Indexed ``green``, ``amber``, ``red``, ``no_target`` (no target set), ``no_rating``
        (a target but no value or CI), ``not_shown`` (withheld); whole numbers adding up to
        the number of rows.

    Examples
    --------
    >>> rows = pd.DataFrame({"rag": ["green", "red", None, None, None],
    ...     "target": [0.5, 0.5, None, 0.5, 0.5], "shown": [True, True, True, True, False]})
    >>> rating_counts(rows).to_dict()
    {'green': 1, 'amber': 0, 'red': 1, 'no_target': 1, 'no_rating': 1, 'not_shown': 1}
    """
    _require(rows, ["rag", "target"], "counting ratings")
    shown = rows["shown"] if "shown" in rows.columns else pd.Series(True, index=rows.index)
    rag = rows["rag"].where(shown)
    counts = {name: int((rag == name).sum()) for name in ("green", "amber", "red")}
    counts["no_target"] = int((shown & rows["target"].isna()).sum())
    counts["no_rating"] = int((shown & rows["target"].notna() & rag.isna()).sum())
    counts["not_shown"] = int((~shown.astype(bool)).sum())
    return pd.Series(counts, dtype="int64")


@dataclass(frozen=True)
class FunnelComparison:
    """Units of one proportion KPI placed against funnel-plot limits.

    Attributes
    ----------
    points : DataFrame
        One row per unit, columns :data:`FUNNEL_POINT_COLUMNS`: ``unit``, ``numerator``,
        ``denominator``, ``value`` (missing when withheld), the limits at the unit's own
        denominator and ``position`` (a key of :data:`FUNNEL_POSITIONS`).
    limits : DataFrame
        Limits on a grid of denominators for drawing: ``denominator``, ``lower95``,
        ``upper95``, ``lower998``, ``upper998``, ``target`` (the centre line), ``note``.
    centre : float
        The proportion units are compared with.
    centre_label : str
        ``"target"`` or ``"service average"``.
    """

    points: pd.DataFrame
    limits: pd.DataFrame
    centre: float
    centre_label: str


def _position(value: float, limits: pd.Series) -> str:
    if np.isnan(value) or np.isnan(limits["lower95"]):
        return "not_shown"
    for name, test in (
        ("above_998", value > limits["upper998"]),
        ("above_95", value > limits["upper95"]),
        ("below_998", value < limits["lower998"]),
        ("below_95", value < limits["lower95"]),
    ):
        if test:
            return name
    return "within"


def funnel_comparison(
    rows: pd.DataFrame,
    *,
    against: str = "target",
    method: str = "wilson",
    grid_size: int = 200,
) -> FunnelComparison:
    """Place each provider or site on one proportion KPI against funnel-plot limits.

    Parameters
    ----------
    rows : DataFrame
        Rows of :func:`disclose_kpis` for ONE proportion KPI, ONE period and ONE level
        (provider or site), one row per unit.
    against : {"target", "average"}
        Centre the funnel on the KPI's target (falling back to the average when it has none)
        or on the overall average (total numerator / total denominator across all units,
        withheld ones included).
    method : {"wilson", "exact"}
        Passed to :func:`evalkit.stats.funnel_limits`.
    grid_size : int
        Number of denominators the drawing grid has (at most; whole numbers).

    Returns
    -------
    FunnelComparison

    Raises
    ------
    StatisticsError
        If the rows mix KPIs, periods or levels, the KPI is not a proportion, or ``against``
        is unknown.

    Examples
    --------
    >>> rows = pd.DataFrame({"kpi_id": ["q"] * 2, "kpi_unit": ["proportion"] * 2,
    ...     "period": ["to date"] * 2, "level": ["provider"] * 2, "unit_name": ["A", "B"],
    ...     "numerator": [30.0, 60.0], "denominator": [100.0, 100.0], "value": [0.3, 0.6],
    ...     "target": [0.35, 0.35], "shown": [True, True]})
    >>> result = funnel_comparison(rows)
    >>> result.centre_label, result.points[["unit", "position"]].values.tolist()
    ('target', [['A', 'within'], ['B', 'above_998']])
    """
    _require(
        rows,
        ["kpi_id", "kpi_unit", "period", "level", "unit_name", "numerator", "denominator"],
        "a funnel plot",
    )
    for column in ("kpi_id", "period", "level"):
        if rows[column].nunique() > 1:
            raise StatisticsError(
                f"a funnel plot compares units on one KPI, period and level; the rows hold "
                f"several values of {column}: {sorted(rows[column].astype(str).unique())}."
            )
    if (rows["kpi_unit"] != "proportion").any():
        raise StatisticsError(
            f"funnel plots here are for proportions; KPI '{rows['kpi_id'].iat[0]}' is a "
            f"{rows['kpi_unit'].iat[0]}."
        )
    if against not in ("target", "average"):
        raise StatisticsError(f"against must be 'target' or 'average', not {against!r}.")
    numerator = rows["numerator"].to_numpy(float)
    denominator = rows["denominator"].to_numpy(float)
    target = rows["target"].iat[0] if "target" in rows.columns and len(rows) else np.nan
    if against == "target" and pd.notna(target):
        centre, centre_label = float(target), "target"
    else:
        total = np.nansum(denominator)
        centre = float(np.nansum(numerator) / total) if total > 0 else np.nan
        centre_label = "service average"
    shown = rows["shown"].to_numpy(bool) if "shown" in rows.columns else np.ones(len(rows), bool)
    value = np.where(
        shown & (denominator > 0), numerator / np.where(denominator > 0, denominator, 1), np.nan
    )
    usable = denominator[denominator > 0]
    if np.isnan(centre) or not usable.size:
        empty = pd.DataFrame(columns=["denominator", "lower95", "upper95", "lower998", "upper998"])
        at_units = pd.DataFrame(np.nan, index=range(len(rows)), columns=empty.columns)
        limits = empty.assign(target=pd.Series(dtype=float), note=pd.Series(dtype="str"))
    else:
        at_units = funnel_limits(centre, np.nan_to_num(denominator), method=method)
        low, high = max(1.0, 0.5 * usable.min()), 1.1 * usable.max()
        grid = np.unique(np.round(np.linspace(low, high, grid_size)))
        limits = funnel_limits(centre, grid, method=method).assign(target=centre)
        limits = limits[
            ["denominator", "lower95", "upper95", "lower998", "upper998", "target", "note"]
        ]
    points = pd.DataFrame(
        {
            "unit": rows["unit_name"].astype("str").to_numpy(),
            "numerator": numerator,
            "denominator": denominator,
            "value": value,
        }
    )
    for column in ("lower95", "upper95", "lower998", "upper998"):
        points[column] = pd.to_numeric(at_units[column]).to_numpy(float)
    points["position"] = pd.Series(
        [_position(v, points.iloc[i]) for i, v in enumerate(value)], dtype="str"
    )
    return FunnelComparison(points[FUNNEL_POINT_COLUMNS], limits, centre, centre_label)


def outliers_text(comparison: FunnelComparison, unit_noun: str = "provider") -> str:
    """One sentence on which units lie outside the funnel limits.

    Examples
    --------
    >>> points = pd.DataFrame({"unit": ["A", "B", "C"], "position": ["within", "below_95",
    ...                        "not_shown"]})
    >>> comparison = FunnelComparison(points, pd.DataFrame(), 0.35, "target")
    >>> outliers_text(comparison)
    'B is below the 95% limit (a possible outlier, low). 1 provider is within the 95% limits. C is not shown (small numbers or no data).'
    >>> only = FunnelComparison(points.iloc[:1], pd.DataFrame(), 0.35, "target")
    >>> outliers_text(only)
    'Every provider shown is within the 95% limits.'
    """  # noqa: E501
    points = comparison.points
    within = int((points["position"] == "within").sum())
    outside = points[~points["position"].isin(["within", "not_shown"])]
    hidden = points.loc[points["position"] == "not_shown", "unit"].tolist()
    sentences = [f"{row.unit} is {FUNNEL_POSITIONS[row.position]}." for row in outside.itertuples()]
    if outside.empty and not hidden:
        sentences.append(f"Every {unit_noun} shown is within the 95% limits.")
    elif within or outside.empty:
        noun = unit_noun if within == 1 else f"{unit_noun}s"
        verb = "is" if within == 1 else "are"
        sentences.append(f"{within} {noun} {verb} within the 95% limits.")
    if hidden:
        verb = "is" if len(hidden) == 1 else "are"
        sentences.append(f"{', '.join(hidden)} {verb} {FUNNEL_POSITIONS['not_shown']}.")
    return " ".join(sentences)
