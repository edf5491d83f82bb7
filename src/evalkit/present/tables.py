"""Display tables: accessible HTML with small numbers suppressed through the disclosure rules."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from evalkit.disclosure.suppression import (
    DEFAULT_THRESHOLD,
    SUPPRESSED_SYMBOL,
    count_columns_of,
    suppress,
    suppression_mask,
)

__all__ = ["show_table", "table_html"]


def _format_cell(value: object, fmt: str | None) -> str:
    if pd.isna(value):
        return ""
    if fmt:
        return fmt.format(value)
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{value:,}"
    if isinstance(value, float | np.floating):
        return f"{value:,.1f}"
    return str(value)


def table_html(
    table: pd.DataFrame,
    *,
    caption: str,
    count_columns: Sequence[str] | None = None,
    derived_columns: Mapping[str, str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    round_to: int | None = None,
    secondary: Literal["both", "rows", "columns"] = "both",
    formats: Mapping[str, str] | None = None,
    shares: Mapping[str, tuple[str, str]] | None = None,
) -> str:
    """A table with small numbers suppressed, as accessible HTML (what :func:`show_table` shows).

    Suppressed cells show ``*`` and a note under the table explains why. Column headers carry
    ``scope="col"``; the index levels (or, for a default index, the first column) are row
    headers with ``scope="row"``; the caption is the table's accessible name.

    Parameters
    ----------
    table : pandas.DataFrame
        The table to show (counts and values derived from them).
    caption : str
        What the table shows, in plain English.
    count_columns, derived_columns, threshold, round_to, secondary, shares
        As for :func:`suppress`. ``threshold=0`` suppresses nothing (for counts of records,
        not people).
    formats : mapping of str to str, optional
        ``str.format`` patterns per column, e.g. ``{"percent": "{:.1f}%"}``. Default: whole
        numbers with thousands separators, other numbers to one decimal place.

    Returns
    -------
    str
        ``<div class="evalkit-table"><table>...</table>`` plus notes.

    Examples
    --------
    >>> t = pd.DataFrame({"site": ["North", "South", "East"], "referrals": [5, 120, 98]})
    >>> markup = table_html(t, caption="Referrals by site")
    >>> markup.count('<td class="suppressed">*</td>')  # the 5, and the 98 so it can't be derived
    2
    """
    shown = suppress(
        table,
        threshold,
        count_columns=count_columns,
        derived_columns=derived_columns,
        secondary=secondary,
        round_to=round_to,
        shares=shares,
    )
    mask = suppression_mask(
        table,
        threshold,
        count_columns=count_columns,
        derived_columns=derived_columns,
        secondary=secondary,
        shares=shares,
    )
    formats = dict(formats or {})
    # Counts of people are marked, so the pre-publish scan can check each one
    # (evalkit.disclosure.scan.scan_disclosure); threshold 0 is for counts of records.
    counted = set(count_columns_of(table, count_columns)) if threshold else set()
    default_index = isinstance(table.index, pd.RangeIndex) and table.index.name is None
    index_names = [] if default_index else [n or "" for n in table.index.names]
    numeric = {c for c in table.columns if pd.api.types.is_numeric_dtype(shown[c].dtype)}
    head = "".join(f'<th scope="col">{html.escape(str(c))}</th>' for c in index_names)
    for column in table.columns:
        klass = ' class="number"' if column in numeric else ""
        head += f'<th scope="col"{klass}>{html.escape(str(column))}</th>'

    rows = []
    for position, label in enumerate(table.index):
        levels = label if isinstance(label, tuple) else (label,)
        cells = (
            []
            if default_index
            else [
                f'<th scope="row">{html.escape(_format_cell(level, None))}</th>' for level in levels
            ]
        )
        for j, column in enumerate(table.columns):
            if mask.iat[position, j]:
                cells.append(f'<td class="suppressed">{SUPPRESSED_SYMBOL}</td>')
                continue
            text = html.escape(_format_cell(shown.iat[position, j], formats.get(column)))
            if default_index and j == 0:
                cells.append(f'<th scope="row">{text}</th>')
            elif column in counted:
                cells.append(f'<td class="number count">{text}</td>')
            elif pd.api.types.is_numeric_dtype(shown[column].dtype):
                cells.append(f'<td class="number">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    notes = []
    if (mask != "").to_numpy().any():
        notes.append(
            f"{SUPPRESSED_SYMBOL} Not shown: fewer than {threshold} people, a share whose people "
            f"with or without the outcome are fewer than {threshold}, or hidden so that a small "
            "number cannot be worked out from the totals."
        )
    if round_to:
        notes.append(f"Counts are rounded to the nearest {round_to}.")
    note = "".join(f'<p class="table-note">{html.escape(n)}</p>' for n in notes)
    return (
        '<div class="evalkit-table">'
        f"<table><caption>{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}</div>"
    )


def show_table(
    table: pd.DataFrame,
    *,
    caption: str,
    count_columns: Sequence[str] | None = None,
    derived_columns: Mapping[str, str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    round_to: int | None = None,
    secondary: Literal["both", "rows", "columns"] = "both",
    formats: Mapping[str, str] | None = None,
) -> None:
    """Display a table in a notebook with small numbers suppressed, as accessible HTML.

    Displays at once (also inside an ``if`` block or a loop, where a returned object would not
    be shown); the HTML survives nbconvert into the report. Arguments are those of
    :func:`table_html`.

    Examples
    --------
    >>> t = pd.DataFrame({"site": ["North", "South"], "referrals": [150, 120]})
    >>> show_table(t, caption="Referrals by site")  # doctest: +ELLIPSIS
    <IPython.core.display.HTML object>
    """
    display(
        HTML(
            table_html(
                table,
                caption=caption,
                count_columns=count_columns,
                derived_columns=derived_columns,
                threshold=threshold,
                round_to=round_to,
                secondary=secondary,
                formats=formats,
            )
        )
    )
