"""Checks of the measures table across rows: totals against their items, units by file.

Rules no single row can show, run by validation on the parsed measures table:

- a total sent with complete items (``phq9_total`` beside ``phq9_1`` ... ``phq9_9`` for the same
  client and timepoint) must equal the items' sum (after reverse scoring); a disagreement is an
  error naming both, and the total and its items are held back;
- a metric score sent on its own (``swemwbs_metric``) must be a score of the published
  conversion table, or its raw total cannot be known: otherwise it is an error and held back;
- the weights (``weight_kg``) or heights (``height_cm``) of one file whose median looks like
  another unit (pounds, stones; metres, inches; :func:`evalkit.data.units.likely_unit`) are an
  error naming the likely unit, and the file's values of that measure are held back.

Examples
--------
>>> frame = pd.DataFrame({"client_id": ["a"] * 8, "timepoint": ["baseline"] * 8,
...     "measure": [f"gad7_{i}" for i in range(1, 8)] + ["gad7_total"],
...     "value": [2.0] * 7 + [15.0]})
>>> why = pd.Series([[] for _ in range(8)])
>>> issues = measure_problems(frame, why, pd.Series(["m.csv"] * 8), pd.Series(range(2, 10)))
>>> issues[0]["rule"]
'gad7_total 15 disagrees with its 7 items, which sum to 14'
>>> sum(len(w) > 0 for w in why)
8
"""

from __future__ import annotations

import pandas as pd

from evalkit.data.units import CONVERSIONS, likely_unit
from evalkit.instruments.definitions import DEFINITIONS

__all__ = ["measure_problems"]

_UNITS = {"weight_kg": "kg", "height_cm": "cm"}


def _issue(file, row, measure, value, rule, hint) -> dict:
    return {
        "severity": "error",
        "file": file,
        "row": row,
        "table": "measures",
        "column": f"value ({measure})",
        "value": value,
        "rule": rule,
        "hint": hint,
    }


def _totals(frame: pd.DataFrame, why: pd.Series, file: pd.Series, row: pd.Series) -> list[dict]:
    issues = []
    for definition in DEFINITIONS.values():
        total = definition.total_measure
        if total is None or not (frame["measure"] == total).any():
            continue
        items = frame[frame["measure"].isin(definition.items)]
        sent = frame[frame["measure"] == total]
        lo, hi = definition.response_min, definition.response_max
        scored = items["value"].where(
            ~items["measure"].isin(definition.reverse_items), lo + hi - items["value"]
        )
        keys = [items["client_id"], items["timepoint"]]
        sums = scored.groupby(keys).sum()
        counts = items.groupby(keys)["measure"].nunique()
        complete = sums[counts == definition.n_items]
        for index in sent.index:
            key = (sent.at[index, "client_id"], sent.at[index, "timepoint"])
            value = sent.at[index, "value"]
            if key not in complete.index or pd.isna(value) or value == complete[key]:
                continue
            rule = (
                f"{total} {value:g} disagrees with its {definition.n_items} items, which sum to "
                f"{complete[key]:g}"
            )
            issues.append(
                _issue(
                    file[index],
                    row[index],
                    total,
                    value,
                    rule,
                    "Send the items or the total, or correct whichever is wrong: the items and "
                    "the total are held back until they agree.",
                )
            )
            mine = items.index[
                (items["client_id"] == key[0]) & (items["timepoint"] == key[1])
            ].append(pd.Index([index]))
            for held in mine:
                why[held].append(f"value ({total}): {rule}")
    return issues


def _units(frame: pd.DataFrame, why: pd.Series, file: pd.Series, row: pd.Series) -> list[dict]:
    issues = []
    unheld = why.map(len) == 0  # values already held back (by a mapping's own check) aside
    for measure, unit in _UNITS.items():
        values = frame[(frame["measure"] == measure) & unheld]
        for name, group in values.groupby(file[values.index], sort=False):
            seen = likely_unit(measure, group["value"])
            if seen is None or seen == unit:
                continue
            rule = (
                f"{measure} values of this file look like {CONVERSIONS[seen].description}, not "
                f"{unit} (median {group['value'].median():g})"
            )
            first = group.index[0]
            issues.append(
                _issue(
                    name,
                    row[first],
                    measure,
                    group.at[first, "value"],
                    rule,
                    f"Convert to {unit} before sending, or read the file through a mapping "
                    f"with unit: {seen} (docs/onboarding.md); the {len(group)} values are held "
                    "back.",
                )
            )
            for held in group.index:
                why[held].append(f"value ({measure}): {rule}")
    return issues


def _metrics(frame: pd.DataFrame, why: pd.Series, file: pd.Series, row: pd.Series) -> list[dict]:
    """A metric score sent (``swemwbs_metric``) that is not a score of the published conversion
    table (its raw total cannot be known; the range check has already named values outside the
    table's range), or that is not the score of the raw total sent beside it, is held back."""
    issues: list[dict] = []
    for definition in DEFINITIONS.values():
        metric = definition.metric_measure
        if metric is None:
            continue
        sent = frame[(frame["measure"] == metric) & frame["value"].notna()]
        scores = (definition.metric_conversion or {}).values()
        totals = frame[frame["measure"] == definition.total_measure]
        total_at = {
            (c, t): (i, v)
            for i, c, t, v in zip(
                totals.index, totals["client_id"], totals["timepoint"], totals["value"], strict=True
            )
        }
        for index in sent.index:
            value = sent.at[index, "value"]
            raw = definition.raw_of_metric(value)
            total = total_at.get((sent.at[index, "client_id"], sent.at[index, "timepoint"]))
            if raw is not None and total is not None and pd.notna(total[1]) and total[1] != raw:
                rule = (
                    f"{metric} {value:g} disagrees with {definition.total_measure} "
                    f"{total[1]:g} sent beside it (the score of raw {raw})"
                )
                hint = "Send the raw total or the metric score, or correct whichever is wrong."
                issues.append(_issue(file[index], row[index], metric, value, rule, hint))
                for held in (index, total[0]):
                    why[held].append(f"value ({metric}): {rule}")
            if raw is None and min(scores) <= value <= max(scores):
                rule = (
                    f"{metric} {value:g} is not a score of the published {definition.short_name} "
                    "raw-to-metric conversion table"
                )
                hint = f"Send the raw total ({definition.total_measure}) or a score of the table."
                issues.append(_issue(file[index], row[index], metric, value, rule, hint))
                why[index].append(f"value ({metric}): {rule}")
    return issues


def measure_problems(
    frame: pd.DataFrame, why: pd.Series, file: pd.Series, row: pd.Series
) -> list[dict]:
    """Totals disagreeing with their items, and weights or heights in another unit.

    Parameters
    ----------
    frame : DataFrame
        The parsed measures table (``client_id``, ``timepoint``, ``measure``, ``value``).
    why : Series of list
        Each row's reasons for being held back; reasons are appended in place.
    file, row : Series
        Each row's file and spreadsheet row, for the issues.

    Returns
    -------
    list of dict
        Validation issues (the columns of ``evalkit.data.validate.ISSUE_COLUMNS``).
    """
    if frame.empty or not {"measure", "value", "client_id", "timepoint"} <= set(frame.columns):
        return []
    values = pd.to_numeric(frame["value"], errors="coerce")
    frame = frame.assign(value=values)
    return (
        _totals(frame, why, file, row)
        + _metrics(frame, why, file, row)
        + _units(frame, why, file, row)
    )
