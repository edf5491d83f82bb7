"""Since the last report, as readers read it: each headline's previous value, the change and
whether it is beyond chance.

The comparison itself is :func:`evalkit.pipeline.since_last.compare_key_figures`, made by
``evalkit report`` from the published key figures of this report and of the last report of the
same scope. The pipeline writes it, with the last report's period and link, to
``since_last.json`` beside the pages' key figures (:func:`write_since_last`); the index page
and the executive summary read it back (:func:`read_since_last`) and word each row with
:meth:`SinceLast.shown`. A notebook run on its own (in JupyterLab) has no such file.

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> rows = pd.DataFrame([{"key": "quit_rate", "unit": "%", "previous_value": 40.0,
...     "value": 36.0, "change": -4.0, "p_value": 0.003, "beyond_chance": True}])
>>> since = SinceLast.from_table("2026-Q1", "../../2026-Q1/all/index.html", rows)
>>> read_since_last(write_since_last(folder, since).parent) == since
True
>>> since.shown({"key": "quit_rate", "label": "Quit rate", "value": 36.0, "unit": "%"})
Comparison(previous='40%', change='down 4 percentage points', verdict='yes (p = 0.003)')
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import PipelineError
from evalkit.present.keyfigures import KeyFigure, figure_number

__all__ = [
    "NO_EARLIER_REPORT",
    "SINCE_LAST_FILE",
    "Comparison",
    "SinceLast",
    "change_text",
    "read_since_last",
    "verdict_text",
    "write_since_last",
]

#: The comparison's file, in the folder of the pages' key figures (the report's outputs).
SINCE_LAST_FILE = "since_last.json"
#: What the first report of a scope says.
NO_EARLIER_REPORT = (
    "This is the first report published for this scope: there is no earlier report to compare with."
)
_UNIT_WORDS = {"%": "percentage points"}


@dataclass(frozen=True)
class Comparison:
    """One headline against the last report, as shown: the previous value, the change and
    whether it is beyond chance (empty strings where there is nothing to show)."""

    previous: str
    change: str
    verdict: str


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool | str):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def change_text(change: Any, unit: str | None, places: int) -> str:
    """A change in a figure's unit, at the figure's precision: "up 3 percentage points".

    Examples
    --------
    >>> change_text(-4.04, "%", 0), change_text(0.26, "points", 1), change_text(235, "people", 0)
    ('down 4 percentage points', 'up 0.3 points', 'up 235 people')
    >>> change_text(1.2, "%", 0), change_text(-1.04, "points", 1)
    ('up 1 percentage point', 'down 1.0 points')
    >>> change_text(0.2, "%", 0), change_text(0, "people", 0), change_text(None, "%", 0)
    ('no change at this precision', 'no change', '')
    """
    number = _number(change)
    if number is None:
        return ""
    if number == 0:
        return "no change"
    shown = figure_number(abs(number), places)
    if not any(c in "123456789" for c in shown):
        return "no change at this precision"
    words = _UNIT_WORDS.get(unit or "", unit or "")
    if shown == "1" and words in ("percentage points", "points"):
        words = words[:-1]  # "up 1 percentage point"
    return f"{'up' if number > 0 else 'down'} {shown}{' ' + words if words else ''}"


def verdict_text(beyond_chance: Any, p_value: Any) -> str:
    """Whether a change is beyond chance, with its p-value: "yes (p = 0.003)", "no (p = 0.41)";
    "not tested" when there was no test (a count, or no number of people).

    Examples
    --------
    >>> verdict_text(True, 0.0002), verdict_text(False, 0.4123), verdict_text(None, None)
    ('yes (p < 0.001)', 'no (p = 0.41)', 'not tested')
    """
    p = _number(p_value)
    if beyond_chance is None or p is None or pd.isna(beyond_chance):
        return "not tested"
    p_text = "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"
    return f"{'yes' if bool(beyond_chance) else 'no'} ({p_text})"


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


@dataclass(frozen=True)
class SinceLast:
    """The comparison of a report with the last published report of its scope.

    Attributes
    ----------
    previous_period : str or None
        The last report's period; None when this is the first report of its scope.
    previous_href : str
        A link to the last report's index, relative to this report's pages ("" if none).
    rows : mapping of str to dict
        :func:`evalkit.pipeline.since_last.compare_key_figures` rows by key.
    """

    previous_period: str | None
    previous_href: str = ""
    rows: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_table(
        cls, previous_period: str | None, previous_href: str, table: pd.DataFrame
    ) -> SinceLast:
        """From :func:`evalkit.pipeline.since_last.compare_key_figures` (JSON-safe values)."""
        rows = [{k: _plain(v) for k, v in row.items()} for row in table.to_dict("records")]
        return cls(previous_period, previous_href, {str(row["key"]): row for row in rows})

    @property
    def first(self) -> bool:
        """Whether no earlier report of this scope was published."""
        return self.previous_period is None

    def shown(self, figure: KeyFigure | Mapping[str, Any]) -> Comparison:
        """A key figure of this report against the last report (empty when there is none).

        The previous value is as the last report published it ("not shown" where it withheld
        it for small numbers); the change is in the figure's unit and precision; the verdict
        is :func:`verdict_text`. A figure this report withholds gets no change.
        """
        if not isinstance(figure, KeyFigure):
            figure = KeyFigure.from_mapping(figure)
        row = self.rows.get(figure.key)
        if self.first or row is None:
            return Comparison("", "", "")
        note = str(row.get("note") or "")
        if note == "not in the last report":
            return Comparison("not in the last report", "", "")
        previous = row.get("previous_value")
        if previous is None or (isinstance(previous, float) and math.isnan(previous)):
            return Comparison("not shown", "", "")
        if isinstance(previous, str):
            return Comparison(previous, "changed" if note == "text: changed" else "unchanged", "")
        places = figure.places
        if figure.unit == "%":
            previous_text = figure_number(float(previous), places) + "%"
        elif figure.unit:
            previous_text = f"{figure_number(float(previous), places)} {figure.unit}"
        else:
            previous_text = figure_number(float(previous), places)
        change = change_text(row.get("change"), figure.unit, places)
        if not change:
            return Comparison(previous_text, "", "")
        return Comparison(
            previous_text, change, verdict_text(row.get("beyond_chance"), row.get("p_value"))
        )


def write_since_last(folder: str | Path, since: SinceLast) -> Path:
    """Write the comparison to ``folder/since_last.json`` (replaced in one rename).

    Parameters
    ----------
    folder : str or Path
        The report's outputs folder (the parent of each page's ``output_dir``).
    since : SinceLast
    """
    document = {
        "previous_period": since.previous_period,
        "previous_href": since.previous_href,
        "rows": list(since.rows.values()),
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".since-last-", suffix=".json", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        json.dump(document, file, indent=1)
    os.replace(temporary, folder / SINCE_LAST_FILE)
    return folder / SINCE_LAST_FILE


def read_since_last(folder: str | Path) -> SinceLast | None:
    """The comparison ``evalkit report`` wrote into ``folder``; None when there is none (a
    page run on its own, outside the report).

    Raises
    ------
    PipelineError
        If the file is not valid JSON.
    """
    path = Path(folder) / SINCE_LAST_FILE
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PipelineError(f"{path}: not valid JSON ({exc}).") from exc
    rows = {str(row["key"]): row for row in document.get("rows", []) if "key" in row}
    return SinceLast(document.get("previous_period"), document.get("previous_href") or "", rows)
