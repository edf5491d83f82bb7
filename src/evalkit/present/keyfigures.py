"""Headline figures that notebooks record for the summary notebook and the report's index page.

A notebook calls :func:`record` for each headline number it wants on the index page; the figure
is written to ``key_figures.json`` in the notebook's ``output_dir`` (the pipeline passes each
notebook its own folder). :func:`read_key_figures` reads them back as a tidy table. This replaces
scrapbook, which is unmaintained and no longer imports on a clean install.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.errors import PipelineError

__all__ = ["KEY_FIGURE_COLUMNS", "KEY_FIGURES_FILE", "read_key_figures", "record"]

KEY_FIGURES_FILE = "key_figures.json"
KEY_FIGURE_COLUMNS = ["notebook", "key", "label", "value", "unit", "n", "ci_low", "ci_high"]
_KEY_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


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
    notebook: str | None = None,
    output_dir: str | Path | None = None,
) -> None:
    """Record one headline figure for the summary notebook and the report's index page.

    Parameters
    ----------
    key : str
        Stable identifier, letters, digits and underscores (``"wemwbs_mean_change"``).
        Recording the same key again replaces the earlier figure.
    value : number, str, bool or None
        The figure. NumPy scalars are accepted; NaN is stored as ``None`` ("not available").
    label : str
        Plain-English description shown to readers ("Mean WEMWBS change, baseline to exit").
    unit : str, optional
        Unit shown after the value (``"points"``, ``"%"``, ``"people"``).
    n : int, optional
        Number of people the figure rests on. The index page suppresses figures with
        ``0 < n < threshold`` (see :mod:`evalkit.disclosure.suppression`).
    ci : (float, float), optional
        95% confidence interval (low, high).
    notebook : str, optional
        Notebook the figure belongs to; defaults to the name of ``output_dir``'s folder, which
        the pipeline sets to the notebook's name.
    output_dir : str or Path, optional
        Folder to write ``key_figures.json`` into; defaults to the ``output_dir`` parameter of the
        running notebook.

    Raises
    ------
    PipelineError
        For a malformed key, value, n or CI, or when no output folder is known.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> record("referrals", 1234, label="People referred", unit="people", n=1234,
    ...              output_dir=folder, notebook="01_reach_and_equity")
    >>> read_key_figures(folder)[["key", "value", "n"]].to_dict("records")
    [{'key': 'referrals', 'value': 1234, 'n': 1234}]
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
    folder = Path(output_dir) if output_dir is not None else _output_dir_of_running_notebook()
    entry = {
        "notebook": notebook or folder.name,
        "key": key,
        "label": label.strip(),
        "value": _plain(value, "value", key),
        "unit": unit,
        "n": n,
        "ci_low": ci_low,
        "ci_high": ci_high,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FIGURES_FILE
    figures = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    figures = [f for f in figures if f["key"] != key] + [entry]
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, encoding="utf-8") as tmp:
        json.dump(figures, tmp, indent=1, ensure_ascii=False)
    os.replace(tmp.name, path)


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
        (``notebook, key, label, value, unit, n, ci_low, ci_high``), ordered by folder name and
        then by recording order. ``value`` keeps each figure's own type (object dtype).

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
    return table.astype({"n": "Int64", "ci_low": "Float64", "ci_high": "Float64"})
