"""Headline figures that notebooks record for the summary notebook and the report's index page.

A notebook calls :func:`record` for each headline number it wants on the index page; the figure
is written to ``key_figures.json`` in the notebook's ``output_dir`` (the pipeline passes each
notebook its own folder). :func:`read_key_figures` reads them back as a tidy table. This replaces
scrapbook, which is unmaintained and no longer imports on a clean install.

Figures are rounded once, where they are shown. A figure is recorded unrounded together with its
display precision (``decimals``; by default from its unit, :data:`UNIT_DECIMALS`), and
:func:`figure_text` is the one formatter of a key figure: the page that records it (through the
:class:`KeyFigure` that :func:`record` returns), the index page and the executive summary all
write it with it, so a figure reads the same everywhere.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.config import DisclosurePolicy
from evalkit.disclosure.suppression import PERCENT_DECIMALS, SUPPRESSED_SYMBOL
from evalkit.errors import PipelineError
from evalkit.present.wording import NOT_AVAILABLE, count_text

__all__ = [
    "DEFAULT_DECIMALS",
    "KEY_FIGURES_FILE",
    "KEY_FIGURE_COLUMNS",
    "UNIT_DECIMALS",
    "FigureText",
    "KeyFigure",
    "figure_number",
    "figure_text",
    "read_key_figures",
    "record",
]

KEY_FIGURES_FILE = "key_figures.json"
KEY_FIGURE_COLUMNS = [
    "notebook",
    "key",
    "label",
    "value",
    "unit",
    "n",
    "ci_low",
    "ci_high",
    "decimals",
]
_KEY_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")

#: Decimal places a key figure is shown with, by unit, unless it is recorded with its own.
#: Percentages of people are whole percents (the disclosure rule,
#: :data:`evalkit.disclosure.suppression.PERCENT_DECIMALS`); counts are whole numbers.
UNIT_DECIMALS: Mapping[str, int] = {
    "%": PERCENT_DECIMALS,
    "people": 0,
    "episodes": 0,
    "points": 1,
    "ratio": 2,
    "KPIs": 0,
    "CMOCs": 0,
    "sources": 0,
    "excerpts": 0,
}
#: Decimal places of a fractional figure whose unit is not in :data:`UNIT_DECIMALS`.
DEFAULT_DECIMALS = 2


def _decimals_for(value: Any, unit: str | None) -> int:
    if unit is not None and unit in UNIT_DECIMALS:
        return UNIT_DECIMALS[unit]
    return 0 if isinstance(value, int) else DEFAULT_DECIMALS


def figure_number(value: float, decimals: int) -> str:
    """A number at ``decimals`` places with thousands separators (never ``-0``).

    Examples
    --------
    >>> figure_number(1.45, 2), figure_number(39.46, 0), figure_number(-0.04, 1)
    ('1.45', '39', '0.0')
    """
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not any(c in "123456789" for c in text) else text


@dataclass(frozen=True)
class FigureText:
    """A key figure as shown: ``value`` with its unit ("39%", "3.2 points", "1,235 people",
    ``*`` when withheld), ``ci`` ("35% to 44%" or ""), ``n`` (people, rounded as the tables
    round them, or "") and whether it is ``suppressed`` for small numbers."""

    value: str
    ci: str
    n: str
    suppressed: bool


@dataclass(frozen=True)
class KeyFigure:
    """One recorded key figure (a row of :func:`read_key_figures`), unrounded."""

    key: str
    label: str
    value: Any
    unit: str | None = None
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    decimals: int | None = None
    notebook: str = ""

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> KeyFigure:
        """A figure from a :func:`read_key_figures` row (a Series or a dict)."""

        def get(name: str) -> Any:
            value = row.get(name)
            if value is None or isinstance(value, str | bool):
                return value
            return None if pd.isna(value) else value

        n, decimals = get("n"), get("decimals")
        unit = get("unit")
        return cls(
            key=str(row.get("key", "")),
            label=str(row.get("label", "")),
            value=get("value"),
            unit=unit if isinstance(unit, str) and unit else None,
            n=None if n is None else int(n),
            ci_low=get("ci_low"),
            ci_high=get("ci_high"),
            decimals=None if decimals is None else int(decimals),
            notebook=str(row.get("notebook") or ""),
        )

    @property
    def places(self) -> int:
        """Decimal places it is shown with."""
        return self.decimals if self.decimals is not None else _decimals_for(self.value, self.unit)

    def text(self, policy: DisclosurePolicy) -> FigureText:
        """The figure as shown under ``policy`` (see :func:`figure_text`)."""
        return figure_text(self, policy)


def _people(count: float, policy: DisclosurePolicy) -> str:
    return count_text(count, threshold=policy.threshold, round_to=policy.round_to)


def _with_unit(number: str, unit: str | None) -> str:
    if unit == "%":
        return number + "%"
    return f"{number} {unit}" if unit else number


def figure_text(figure: KeyFigure | Mapping[str, Any], policy: DisclosurePolicy) -> FigureText:
    """The one formatter of a key figure: what the index, the summary and its page show.

    Parameters
    ----------
    figure : KeyFigure or mapping
        A recorded figure (a :func:`read_key_figures` row will do).
    policy : DisclosurePolicy
        The report's small-number rule: a figure resting on 1 to ``threshold - 1`` people is
        withheld (``*``); counts of people are rounded to ``round_to``.

    Returns
    -------
    FigureText
        Its value at its declared precision, with its unit; its 95% CI; its number of people.

    Examples
    --------
    >>> policy = DisclosurePolicy(threshold=8, round_to=5)
    >>> figure_text({"key": "r", "label": "Reach ratio", "value": 1.45, "unit": "ratio",
    ...              "ci_low": 1.3, "ci_high": 1.6, "n": 93}, policy)
    FigureText(value='1.45 ratio', ci='1.30 to 1.60', n='95', suppressed=False)
    >>> figure_text({"key": "q", "label": "Quit rate", "value": 39.46, "unit": "%", "n": 400,
    ...              "ci_low": 34.8, "ci_high": 44.3}, policy).value
    '39%'
    >>> figure_text({"key": "q", "label": "Quit rate", "value": 50.0, "unit": "%", "n": 6},
    ...             policy)
    FigureText(value='*', ci='', n='', suppressed=True)
    """
    if not isinstance(figure, KeyFigure):
        figure = KeyFigure.from_mapping(figure)
    n, value, unit, places = figure.n, figure.value, figure.unit, figure.places
    if n is not None and not policy.shown(n):
        return FigureText(SUPPRESSED_SYMBOL, "", "", True)
    n_text = "" if n is None else _people(n, policy)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return FigureText(NOT_AVAILABLE, "", n_text, False)
    if isinstance(value, str):
        return FigureText(value, "", n_text, False)
    if isinstance(value, bool):
        return FigureText("yes" if value else "no", "", n_text, False)
    if unit in ("people", "episodes"):  # episodes are referrals of people: rounded alike
        return FigureText(f"{_people(value, policy)} {unit}", "", n_text, False)
    ci = ""
    if figure.ci_low is not None and figure.ci_high is not None:
        low, high = (
            _with_unit(figure_number(float(b), places), "%" if unit == "%" else None)
            for b in (figure.ci_low, figure.ci_high)
        )
        ci = f"{low} to {high}"
    return FigureText(_with_unit(figure_number(float(value), places), unit), ci, n_text, False)


def _output_dir_of_running_notebook() -> Path:
    """The ``output_dir`` variable of the notebook this code runs in (its parameters cell)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        shell = None
    else:
        shell = get_ipython()
    value = shell.user_ns.get("output_dir") if shell is not None else None
    if not value:
        raise PipelineError(
            "keyfigures.record: no output folder. Pass output_dir=..., or call it from a notebook "
            "whose parameters cell defines `output_dir: str = ...`."
        )
    return Path(value)


def _plain(value: Any, what: str, key: str) -> Any:
    """A JSON-safe Python scalar (NumPy scalars unwrapped; NaN becomes None)."""
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return None if isinstance(value, float) and math.isnan(value) else value
    raise PipelineError(
        f"keyfigures.record('{key}'): {what} must be a number, text, a boolean or None; "
        f"got {type(value).__name__} {value!r}."
    )


def record(
    key: str,
    value: Any,
    *,
    label: str,
    unit: str | None = None,
    n: int | None = None,
    ci: Sequence[float] | None = None,
    decimals: int | None = None,
    notebook: str | None = None,
    output_dir: str | Path | None = None,
) -> KeyFigure:
    """Record one headline figure for the summary notebook and the report's index page.

    Parameters
    ----------
    key : str
        Stable identifier, letters, digits and underscores (``"wemwbs_mean_change"``).
        Recording the same key again replaces the earlier figure.
    value : number, str, bool or None
        The figure, unrounded (it is rounded where it is shown, by :func:`figure_text`). NumPy
        scalars are accepted; NaN is stored as ``None`` ("not available").
    label : str
        Plain-English description shown to readers ("Mean WEMWBS change, baseline to exit").
    unit : str, optional
        Unit shown after the value (``"points"``, ``"%"``, ``"people"``).
    n : int, optional
        Number of people the figure rests on. The index page suppresses figures with
        ``0 < n < threshold`` (see :mod:`evalkit.disclosure.suppression`).
    ci : (float, float), optional
        95% confidence interval (low, high), unrounded.
    decimals : int, optional
        Decimal places the figure and its CI are shown with, everywhere; by default
        :data:`UNIT_DECIMALS` of its unit (whole percents, points to 1 place, ratios to 2),
        else 0 for a whole number and :data:`DEFAULT_DECIMALS` otherwise.
    notebook : str, optional
        Notebook the figure belongs to; defaults to the name of ``output_dir``'s folder, which
        the pipeline sets to the notebook's name.
    output_dir : str or Path, optional
        Folder to write ``key_figures.json`` into; defaults to the ``output_dir`` parameter of the
        running notebook.

    Returns
    -------
    KeyFigure
        The figure as recorded; its :meth:`KeyFigure.text` is how every page shows it, so the
        recording page can word it exactly as the index and the summary do.

    Raises
    ------
    PipelineError
        For a malformed key, value, n, CI or decimals, or when no output folder is known.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> figure = record("referrals", 1234, label="People referred", unit="people", n=1234,
    ...                 output_dir=folder, notebook="01_reach_and_equity")
    >>> read_key_figures(folder)[["key", "value", "n"]].to_dict("records")
    [{'key': 'referrals', 'value': 1234, 'n': 1234}]
    >>> figure.text(DisclosurePolicy(threshold=8, round_to=5)).value
    '1,235 people'
    """
    if not isinstance(key, str) or not _KEY_PATTERN.fullmatch(key):
        raise PipelineError(
            f"keyfigures.record: key {key!r} must start with a letter and use only letters, "
            "digits and underscores."
        )
    if not isinstance(label, str) or not label.strip():
        raise PipelineError(f"keyfigures.record('{key}'): label must be non-empty text.")
    n = _plain(n, "n", key)
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise PipelineError(
            f"keyfigures.record('{key}'): n must be a whole number >= 0, got {n!r}."
        )
    ci_low = ci_high = None
    if ci is not None:
        if len(ci) != 2:
            raise PipelineError(f"keyfigures.record('{key}'): ci must be (low, high), got {ci!r}.")
        ci_low, ci_high = (_plain(bound, "ci", key) for bound in ci)
    decimals = _plain(decimals, "decimals", key)
    if decimals is not None and (
        isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 6
    ):
        raise PipelineError(
            f"keyfigures.record('{key}'): decimals must be a whole number from 0 to 6, "
            f"got {decimals!r}."
        )
    value = _plain(value, "value", key)
    if decimals is None and not isinstance(value, str | bool):
        decimals = _decimals_for(value, unit)
    folder = Path(output_dir) if output_dir is not None else _output_dir_of_running_notebook()
    entry = {
        "notebook": notebook or folder.name,
        "key": key,
        "label": label.strip(),
        "value": value,
        "unit": unit,
        "n": n,
        "ci_low": ci_low,
        "ci_high": ci_high,
        "decimals": decimals,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FIGURES_FILE
    figures = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    figures = [f for f in figures if f["key"] != key] + [entry]
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as tmp:
        json.dump(figures, tmp, indent=1, ensure_ascii=False)
    os.replace(tmp.name, path)
    return KeyFigure.from_mapping(entry)


def read_key_figures(directory: str | Path) -> pd.DataFrame:
    """Read the key figures recorded in a folder and in its immediate subfolders.

    The summary notebook calls ``read_key_figures(Path(output_dir).parent)`` to read every
    other notebook's figures (the pipeline gives each notebook a sibling folder).

    Parameters
    ----------
    directory : str or Path
        A notebook's output folder, or the folder holding several of them.

    Returns
    -------
    pandas.DataFrame
        One row per figure, columns :data:`KEY_FIGURE_COLUMNS`
        (``notebook, key, label, value, unit, n, ci_low, ci_high, decimals``), ordered by folder
        name and then by recording order. ``value`` keeps each figure's own type (object dtype).

    Raises
    ------
    PipelineError
        If a ``key_figures.json`` is not valid JSON.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = record("quit_rate", 0.42, label="4-week quit rate", ci=(0.38, 0.46), n=500,
    ...            output_dir=root / "03_lifestyle_kpis")
    >>> figures = read_key_figures(root)
    >>> figures.loc[0, "notebook"], figures.loc[0, "value"], float(figures.loc[0, "ci_low"])
    ('03_lifestyle_kpis', 0.42, 0.38)
    """
    directory = Path(directory)
    files = [directory / KEY_FIGURES_FILE, *sorted(directory.glob(f"*/{KEY_FIGURES_FILE}"))]
    rows: list[dict[str, Any]] = []
    for path in files:
        if not path.is_file():
            continue
        try:
            rows.extend(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as exc:
            raise PipelineError(f"{path}: key figures are not valid JSON ({exc}).") from exc
    table = pd.DataFrame(rows, columns=KEY_FIGURE_COLUMNS)
    # Each value keeps its own type: a count stays an int beside rates, None stays None.
    table["value"] = pd.Series([row["value"] for row in rows], dtype=object)
    return table.astype(
        {"n": "Int64", "ci_low": "Float64", "ci_high": "Float64", "decimals": "Int64"}
    )
