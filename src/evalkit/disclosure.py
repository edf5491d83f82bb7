"""Disclosure control: small-number suppression of tables and an identifier scan of rendered HTML.

Suppression follows NHS practice (NHS Digital HES/ECDS disclosure control, 2018; see
``reference/measures.md`` §10): counts of 1 to 7 are not shown (threshold 8), zeros are shown,
optionally the remaining counts are rounded to the nearest 5, and a second cell is suppressed in
any row or column where a single suppressed cell could be worked out from the totals.

The identifier scan reads the client identifiers, NHS numbers, dates of birth and full postcodes
present in the raw provider extracts and looks for any of them in the rendered HTML.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterable, Mapping, Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from IPython.display import HTML, display

from evalkit.errors import DisclosureError
from evalkit.io import parse_dates

__all__ = [
    "DEFAULT_ROUND_TO",
    "DEFAULT_THRESHOLD",
    "IDENTIFIER_COLUMNS",
    "identifiers_in_extract",
    "is_scannable_client_id",
    "mask_identifier",
    "round_counts",
    "scan_html",
    "scan_live_markup",
    "show_table",
    "suppress",
    "suppression_mask",
    "table_html",
]

DEFAULT_THRESHOLD = 8
DEFAULT_ROUND_TO = 5
SUPPRESSED_SYMBOL = "*"
TOTAL_LABELS = ("Total", "All", "total", "all")

#: Identifier kinds and the extract column names (normalised: lower case, ``_`` separators)
#: they are read from.
IDENTIFIER_COLUMNS: dict[str, tuple[str, ...]] = {
    "client_id": ("client_id", "clientid", "client_ref", "client_reference", "participant_id"),
    "nhs_number": ("nhs_number", "nhs_no", "nhsnumber", "nhs_num"),
    "date_of_birth": ("date_of_birth", "dob", "birth_date", "birthdate"),
    "postcode": ("postcode", "post_code", "postal_code"),
}
#: Client identifiers this short (or purely numeric and shorter than this many digits) cannot be
#: told apart from ordinary numbers and words in a report, so they are not scanned for.
MIN_SCANNABLE_ID_LENGTH = 4
MIN_SCANNABLE_NUMERIC_ID_LENGTH = 6

_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})(?![A-Za-z0-9])"
)
_NHS_NUMBER = re.compile(r"(?<![0-9])([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})(?![0-9])")
_ISO_DATE = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")
_UK_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})(?![0-9])")
_DATA_URI = re.compile(r"data:[A-Za-z0-9/+.-]+;base64,[A-Za-z0-9+/=\s]+")


# --------------------------------------------------------------------------- suppression


def _count_columns(table: pd.DataFrame, count_columns: Sequence[str] | None) -> list[str]:
    if count_columns is None:
        return [c for c in table.columns if pd.api.types.is_integer_dtype(table[c].dtype)]
    missing = [c for c in count_columns if c not in table.columns]
    if missing:
        raise DisclosureError(
            f"count column(s) {missing} not in the table (columns: {list(table.columns)})."
        )
    return list(count_columns)


def _count_values(table: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The count cells as floats (NaN for missing), checked to be whole numbers >= 0."""
    values = table[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isnan(values) & ((values < 0) | (values != np.round(values)))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DisclosureError(
            f"row {table.index[i]!r}, column {columns[j]!r}: value {values[i, j]:g} is not a "
            "count (a whole number >= 0); only counts can be suppressed."
        )
    text = table[columns].isna().to_numpy() != np.isnan(values)
    if text.any():
        i, j = np.argwhere(text)[0]
        raise DisclosureError(
            f"row {table.index[i]!r}, column {columns[j]!r}: value "
            f"{table[columns].iat[i, j]!r} is not a number."
        )
    return values


def _pinned(
    values: np.ndarray,
    hidden: np.ndarray,
    lines: list[list[tuple[int, int]]],
    sensitive: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Sensitive hidden cells whose value an attacker can pin down exactly.

    The attacker knows the shown cells, every line total in ``lines`` and that counts are
    >= 0; each hidden cell's smallest and largest possible value are found by linear
    programming (the standard audit of cell suppression).
    """
    from scipy.optimize import linprog

    unknown = [tuple(c) for c in np.argwhere(hidden)]
    position = {cell: k for k, cell in enumerate(unknown)}
    equations, totals = [], []
    for line in lines:
        row = np.zeros(len(unknown))
        for cell in line:
            if cell in position:
                row[position[cell]] = 1.0
        if row.any():
            equations.append(row)
            totals.append(sum(values[c] for c in line if c in position))
    if not equations:
        return []
    pinned = []
    for cell in sensitive:
        objective = np.zeros(len(unknown))
        objective[position[cell]] = 1.0
        low = linprog(objective, A_eq=equations, b_eq=totals, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=equations, b_eq=totals, bounds=(0, None), method="highs")
        if high.status != 3 and -high.fun - low.fun < 0.5:  # status 3: unbounded above
            pinned.append(cell)
    return pinned


def suppression_mask(
    table: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    count_columns: Sequence[str] | None = None,
    derived_columns: Mapping[str, str] | None = None,
    secondary: Literal["both", "rows", "columns"] = "both",
    total_labels: Iterable[str] = TOTAL_LABELS,
) -> pd.DataFrame:
    """Which cells of a table must not be shown, and why.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows are categories; the count columns hold counts of people. A total row or column may
        be included (it is treated like any other cell of its row and column).
    threshold : int, default 8
        Smallest count that may be shown: counts ``1 .. threshold - 1`` are suppressed (primary
        suppression). Zero is shown. NHS Digital's rule suppresses 1-7.
    count_columns : list of str, optional
        Columns holding counts; default every integer-typed column.
    derived_columns : mapping of str to str, optional
        ``{derived column: count column}`` for values computed from a count (a percentage, a
        rate, a mean over those people); they are suppressed wherever their count is.
    secondary : {"both", "rows", "columns"}, default "both"
        Which lines (rows, columns) have totals a reader may know. A line counts when it has
        two or more count cells and its total could itself be shown (0 or at least
        ``threshold``). In such a line a single suppressed cell could be recovered by
        subtraction, so another is suppressed too: the smallest non-zero count that is not a
        total (a zero or a total only when nothing else is left; never a cell of a line
        totalling 0, which is known to be 0). Then every small count is audited: if the shown
        cells and line totals still pin it to one value (through a chain of lines), another
        cell beside it is suppressed, until none is pinned. Use "columns" when the count
        columns of a row are not parts of one whole (for example referrals and completions).
    total_labels : iterable of str
        Row labels and column names treated as totals (chosen as complements last).

    Returns
    -------
    pandas.DataFrame
        Same index and columns as ``table``, string dtype: ``""`` (shown), ``"primary"``
        (a small count), ``"secondary"`` (hidden so a small count cannot be worked out) or
        ``"derived"`` (computed from a suppressed count).

    Raises
    ------
    DisclosureError
        If a count cell holds a negative, fractional or non-numeric value, a named column is
        missing, or a small count would still follow from the totals with every other cell
        suppressed.

    Notes
    -----
    A line is a row across the count columns or a column across the rows. Requiring zero or at
    least two suppressed cells per line is the usual secondary-suppression rule (UK LLC and
    OpenSAFELY guidance; reference/measures.md §10). On its own it can still leak: a hidden
    cell can be fixed by a chain of lines. The audit finds each small count's smallest and
    largest possible value by linear programming (counts >= 0, shown cells and line totals
    known) and requires them to differ.

    Examples
    --------
    >>> t = pd.DataFrame({"completed": [3, 20, 30], "not_completed": [10, 12, 15]},
    ...                  index=["North", "South", "East"])
    >>> suppression_mask(t).to_dict("index")["North"]
    {'completed': 'primary', 'not_completed': 'secondary'}
    >>> suppression_mask(t).to_dict("index")["South"]
    {'completed': 'secondary', 'not_completed': 'secondary'}
    """
    columns = _count_columns(table, count_columns)
    derived_columns = dict(derived_columns or {})
    for derived, source in derived_columns.items():
        if derived not in table.columns or source not in columns:
            raise DisclosureError(
                f"derived column {derived!r} -> {source!r}: the derived column must be in the "
                f"table and its source must be a count column ({columns})."
            )
    values = _count_values(table, columns)
    present = ~np.isnan(values)
    reason = np.full(values.shape, "", dtype=object)
    reason[present & (values > 0) & (values < threshold)] = "primary"

    totals = set(total_labels)
    is_total = np.zeros(values.shape, dtype=bool)
    is_total[[label in totals for label in table.index], :] = True
    is_total[:, [c in totals for c in columns]] = True

    lines: list[list[tuple[int, int]]] = []
    if secondary in ("both", "rows"):
        lines += [[(i, j) for j in range(values.shape[1])] for i in range(values.shape[0])]
    if secondary in ("both", "columns"):
        lines += [[(i, j) for i in range(values.shape[0])] for j in range(values.shape[1])]
    if secondary not in ("both", "rows", "columns"):
        raise DisclosureError(f"secondary must be 'both', 'rows' or 'columns', not {secondary!r}.")
    # Only a line whose total may itself be published (0 or >= threshold) gives anything away.
    lines = [
        cells
        for line in lines
        if len(cells := [c for c in line if present[c]]) >= 2
        and ((total := sum(values[c] for c in cells)) == 0 or total >= threshold)
    ]
    # Cells of a line totalling 0 are known to be 0: hiding them hides nothing.
    known = {c for line in lines if all(values[c] == 0 for c in line) for c in line}
    sensitive = [tuple(c) for c in np.argwhere(reason == "primary")]

    def preference(cell: tuple[int, int]) -> tuple[bool, bool, float]:
        return (bool(is_total[cell]), bool(values[cell] == 0), float(values[cell]))

    def hideable(cells: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        return [c for c in cells if not reason[c] and c not in known]

    while True:
        changed = True
        while changed:  # no line may have exactly one hidden cell
            changed = False
            for line in lines:
                candidates = hideable(line)
                if sum(1 for c in line if reason[c]) == 1 and candidates:
                    reason[min(candidates, key=preference)] = "secondary"
                    changed = True
        pinned = _pinned(values, reason != "", lines, sensitive)
        if not pinned:
            break
        # Still pinned down through a chain of lines: hide another cell beside it, or failing
        # that the smallest shown cell anywhere.
        beside = hideable(c for line in lines if pinned[0] in line for c in line)
        anywhere = hideable(c for line in lines for c in line)
        if not beside and not anywhere:
            i, j = pinned[0]
            raise DisclosureError(
                f"row {table.index[i]!r}, column {columns[j]!r}: this small count can be worked "
                "out from the table's row and column totals whatever else is hidden. Combine "
                "small categories, or pass secondary='rows' or 'columns' if only those totals "
                "are published."
            )
        reason[min(beside or anywhere, key=preference)] = "secondary"

    mask = pd.DataFrame("", index=table.index, columns=table.columns, dtype="str")
    mask[columns] = pd.DataFrame(reason, index=table.index, columns=columns).astype("str")
    for derived, source in derived_columns.items():
        mask[derived] = mask[source].where(mask[source] == "", "derived")
    return mask


def round_counts(values: pd.Series, round_to: int = DEFAULT_ROUND_TO) -> pd.Series:
    """Round counts to the nearest multiple of ``round_to`` (halves up); zero stays zero.

    Examples
    --------
    >>> round_counts(pd.Series([0, 8, 12, 13, 102])).tolist()
    [0, 10, 10, 15, 100]
    """
    numbers = pd.to_numeric(values).astype("Float64")
    return (np.floor(numbers / round_to + 0.5) * round_to).astype("Int64")


def suppress(
    table: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    count_columns: Sequence[str] | None = None,
    derived_columns: Mapping[str, str] | None = None,
    secondary: Literal["both", "rows", "columns"] = "both",
    total_labels: Iterable[str] = TOTAL_LABELS,
    round_to: int | None = None,
) -> pd.DataFrame:
    """Apply primary and secondary suppression to a table of counts.

    Parameters are those of :func:`suppression_mask`, plus:

    round_to : int, optional
        Round the counts that are shown to the nearest multiple (NHS practice: 5; the config's
        ``disclosure.round_to``). Suppression is decided on the unrounded counts.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with suppressed cells set to missing (``<NA>``). Count columns become
        nullable ``Int64`` and derived columns ``Float64``. :func:`suppression_mask` on the same
        arguments says why each cell is missing.

    Examples
    --------
    The row total would give away the 3 (53 - 20 - 30), so a second cell is hidden:

    >>> t = pd.DataFrame({"north": [3, 40], "south": [20, 25], "east": [30, 35]},
    ...                  index=["quit", "not_quit"])
    >>> suppress(t)
              north  south  east
    quit       <NA>   <NA>    30
    not_quit   <NA>   <NA>    35
    """
    mask = suppression_mask(
        table,
        threshold,
        count_columns=count_columns,
        derived_columns=derived_columns,
        secondary=secondary,
        total_labels=total_labels,
    )
    result = table.copy()
    for column in _count_columns(table, count_columns):
        counts = pd.to_numeric(result[column]).astype("Int64")
        if round_to:
            counts = round_counts(counts, round_to)
        result[column] = counts.mask(mask[column] != "")
    for column in derived_columns or {}:
        result[column] = pd.to_numeric(result[column]).astype("Float64").mask(mask[column] != "")
    return result


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
    count_columns, derived_columns, threshold, round_to, secondary
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
    )
    mask = suppression_mask(
        table,
        threshold,
        count_columns=count_columns,
        derived_columns=derived_columns,
        secondary=secondary,
    )
    formats = dict(formats or {})
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
            elif pd.api.types.is_numeric_dtype(shown[column].dtype):
                cells.append(f'<td class="number">{text}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    notes = []
    if (mask != "").to_numpy().any():
        notes.append(
            f"{SUPPRESSED_SYMBOL} Not shown: fewer than {threshold} people, or hidden so that a "
            "small number cannot be worked out from the totals."
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


# --------------------------------------------------------------------------- identifier scan


def _normalise_column(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


_KIND_OF_COLUMN = {alias: kind for kind, aliases in IDENTIFIER_COLUMNS.items() for alias in aliases}


def _normalise_postcode(value: str) -> str | None:
    match = _POSTCODE.fullmatch(value.strip())
    return (match.group(1) + match.group(2)).upper() if match else None


def _normalise_nhs_number(value: str) -> str | None:
    digits = re.sub(r"[\s-]", "", value)
    return digits if re.fullmatch(r"[0-9]{10}", digits) else None


def _normalise_dates(values: pd.Series) -> pd.Series:
    parsed, _ = parse_dates(values)
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None)


def _is_identifier_column(column: object) -> bool:
    return _normalise_column(column) in _KIND_OF_COLUMN


def _read_workbook(path: Path) -> pd.DataFrame:
    """The identifier columns of a workbook's first worksheet, as text.

    Read with calamine (fast); openpyxl (what pandas uses by default) reads a workbook calamine
    cannot, so such a workbook is still scanned, or fails with openpyxl's error as before.
    """
    from python_calamine import CalamineError

    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            # pandas' calamine reader counts chart sheets in ``sheet_name=0``; openpyxl (and
            # ``sheet_names``) does not: name the first worksheet so both read the same sheet.
            first = book.sheet_names[0] if book.sheet_names else 0
            return pd.read_excel(book, sheet_name=first, usecols=_is_identifier_column, dtype=str)
    except (OverflowError, CalamineError):
        # OverflowError: calamine gives up on the whole sheet when a cell formatted as a
        # duration ("[h]:mm:ss") holds a billion days or more (e.g. an NHS number); openpyxl
        # reads it as missing.
        return pd.read_excel(path, usecols=_is_identifier_column, dtype=str, engine="openpyxl")


def _identifiers_in_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Normalised, unique ``kind, value`` rows from an extract's identifier columns (read as
    text, so missing cells are missing)."""
    parts = []
    for column in raw.columns:
        kind = _KIND_OF_COLUMN[_normalise_column(column)]
        values = raw[column].dropna().astype("str").str.strip()
        values = values[values != ""]
        if kind == "postcode":
            values = values.map(_normalise_postcode)
        elif kind == "nhs_number":
            values = values.map(_normalise_nhs_number)
        elif kind == "date_of_birth":
            values = _normalise_dates(values)
        parts.append(pd.DataFrame({"kind": kind, "value": values.dropna().astype("str")}))
    if not parts:
        return pd.DataFrame({"kind": pd.Series(dtype="str"), "value": pd.Series(dtype="str")})
    return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)


def identifiers_in_extract(path: str | Path) -> pd.DataFrame:
    """The identifiers present in one provider extract (CSV or XLSX).

    Columns are recognised by name (:data:`IDENTIFIER_COLUMNS`, case and separators ignored),
    e.g. ``Client ID``, ``nhs_no``, ``DOB``, ``Post code``.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` file (UTF-8, or cp1252 if it is not UTF-8) or an ``.xlsx``/``.xlsm``
        workbook. Only a workbook's first worksheet is read (chart sheets are skipped), with
        the calamine engine (``python-calamine``); a workbook calamine cannot read is read
        with openpyxl instead.

    Returns
    -------
    pandas.DataFrame
        Unique ``kind, value`` rows. Values are normalised: client ids stripped, NHS numbers as
        10 digits, dates of birth as ``YYYY-MM-DD``, postcodes upper case without the space.
        Values that do not have the shape of their kind (a 3-digit "NHS number", a partial
        postcode) are left out, as they cannot be matched reliably. Workbook cells are read
        as text: a whole number as its digits (``9434765919``, not ``9434765919.0``). In a date
        of birth column a date or date-time cell, or a five-digit Excel date serial
        (``29282``), gives its date (the time of day is dropped; a time with fractions of a
        second is not recognised).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "north_participants.csv"
    >>> _ = p.write_text("Client ID,DOB,Postcode\\nNT-0001,02/03/1980,ab1 2cd\\n")
    >>> identifiers_in_extract(p).values.tolist()
    [['client_id', 'NT-0001'], ['date_of_birth', '1980-03-02'], ['postcode', 'AB12CD']]
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            raw = pd.read_csv(path, usecols=_is_identifier_column, dtype=str, encoding="utf-8-sig")
        except UnicodeDecodeError:
            raw = pd.read_csv(path, usecols=_is_identifier_column, dtype=str, encoding="cp1252")
    elif suffix in (".xlsx", ".xlsm"):
        raw = _read_workbook(path)
    else:
        return pd.DataFrame({"kind": pd.Series(dtype="str"), "value": pd.Series(dtype="str")})
    return _identifiers_in_frame(raw)


def mask_identifier(value: str) -> str:
    """Show enough of an identifier to find it, not enough to disclose it.

    Examples
    --------
    >>> mask_identifier("NT-000123")
    'NT******3'
    """
    keep = 2 if len(value) > 4 else 1
    return value[:keep] + "*" * (len(value) - keep - 1) + value[-1]


def is_scannable_client_id(value: str) -> bool:
    """Whether a client id can be told apart from ordinary words and numbers in a report
    (at least 4 characters, and at least 6 if it is all digits).

    Examples
    --------
    >>> is_scannable_client_id("NT-0001"), is_scannable_client_id("4711")
    (True, False)
    """
    return len(value) >= MIN_SCANNABLE_ID_LENGTH and not (
        value.isdigit() and len(value) < MIN_SCANNABLE_NUMERIC_ID_LENGTH
    )


def _date_candidates(text: str) -> Iterable[tuple[int, str]]:
    for match in _ISO_DATE.finditer(text):
        yield match.start(), "-".join(match.groups())
    for match in _UK_DATE.finditer(text):
        day, month, year = match.groups()
        yield match.start(), f"{year}-{int(month):02d}-{int(day):02d}"


def scan_html(paths: Iterable[str | Path], identifiers: pd.DataFrame) -> pd.DataFrame:
    """Find identifiers from the input data in rendered HTML files.

    Embedded images (``data:`` URIs) are skipped; text, attributes (including ``alt``) and
    HTML entities are checked. Client ids are matched as whole tokens; NHS numbers with or
    without spaces; dates of birth written ``YYYY-MM-DD`` or ``DD/MM/YYYY``; postcodes with or
    without the space, in any case. Client ids failing :func:`is_scannable_client_id` are not
    looked for.

    Parameters
    ----------
    paths : iterable of str or Path
        HTML files to scan.
    identifiers : pandas.DataFrame
        ``kind, value`` rows as returned by :func:`identifiers_in_extract`.

    Returns
    -------
    pandas.DataFrame
        One row per hit: ``file, line, kind, value`` where ``value`` is masked with
        :func:`mask_identifier` so the report of a leak does not itself leak. Empty when clean.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "page.html"
    >>> _ = page.write_text("<p>Referrals: 120</p>\\n<td>NT-000123</td>")
    >>> ids = pd.DataFrame({"kind": ["client_id"], "value": ["NT-000123"]})
    >>> scan_html([page], ids)[["line", "kind", "value"]].to_dict("records")
    [{'line': 2, 'kind': 'client_id', 'value': 'NT******3'}]
    """
    wanted = {
        kind: set(identifiers.loc[identifiers["kind"] == kind, "value"].astype(str))
        for kind in IDENTIFIER_COLUMNS
    }
    client_ids = {v for v in wanted["client_id"] if is_scannable_client_id(v)}
    token = None
    if client_ids:
        # A token is a run of letters, digits and any punctuation the ids use, so an id is
        # matched only whole ("NT-0001" is not found inside "NT-00012").
        punctuation = {ch for value in client_ids for ch in value if not ch.isalnum()}
        extra = re.escape("".join(sorted(punctuation - set(" \t\r\n"))))
        token = re.compile(f"[A-Za-z0-9{extra}]+")
    hits = []
    for path in map(Path, paths):
        text = html.unescape(_DATA_URI.sub("data:", path.read_text(encoding="utf-8")))
        newlines = [m.start() for m in re.finditer("\n", text)]

        def add(offset: int, kind: str, value: str, path: Path = path, lines=newlines) -> None:
            line = bisect.bisect_right(lines, offset) + 1
            hits.append({"file": str(path), "line": line, "kind": kind, "value": value})

        if token is not None:
            for match in token.finditer(text):
                if match.group() in client_ids:
                    add(match.start(), "client_id", match.group())
        for match in _NHS_NUMBER.finditer(text):
            if "".join(match.groups()) in wanted["nhs_number"]:
                add(match.start(), "nhs_number", "".join(match.groups()))
        for match in _POSTCODE.finditer(text):
            code = (match.group(1) + match.group(2)).upper()
            if code in wanted["postcode"]:
                add(match.start(), "postcode", code)
        for offset, date in _date_candidates(text):
            if date in wanted["date_of_birth"]:
                add(offset, "date_of_birth", date)
    found = pd.DataFrame(hits, columns=["file", "line", "kind", "value"])
    found["value"] = found["value"].map(mask_identifier)
    return found.astype({"line": "int64"})


#: Elements that run code, load other documents or send data: never in a report page.
LIVE_ELEMENTS = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "object",
        "embed",
        "applet",
        "form",
        "base",
        "link",
        "svg",
        "math",
        "template",
        "portal",
        "audio",
        "video",
        "source",
        "track",
    }
)
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "poster"})
_SAFE_DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)
_SAFE_URL = re.compile(r"^(https?:|mailto:|#|[\w./-]+\.html(#[\w-]*)?$)", re.IGNORECASE)


class _LiveMarkup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in LIVE_ELEMENTS:
            self.found.append((line, f"<{tag}> element"))
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.found.append((line, "<meta http-equiv> (a redirect or refresh)"))
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append((line, f"event-handler attribute {name}= on <{tag}>"))
            elif name == "style" and value and re.search(r"url\(|expression\(", value, re.I):
                self.found.append((line, f"style attribute loading a URL on <{tag}>"))
            elif name in _URL_ATTRIBUTES and value is not None:
                url = re.sub(r"[\x00-\x20]", "", value)
                if not (_SAFE_URL.match(url) or (tag == "img" and _SAFE_DATA_URL.match(url))):
                    self.found.append((line, f"{name}={url[:40]!r} on <{tag}>"))

    handle_startendtag = handle_starttag


def scan_live_markup(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Find markup in rendered pages that could run code or load something: the last guard
    against user text (a site name, a CMOC, a quote) reaching a page as live HTML.

    A report page holds text, tables, inline PNG figures and links to its sibling pages only.
    Flagged: :data:`LIVE_ELEMENTS` (``<script>``, ``<iframe>``, ``<form>``, ...), any
    ``on...=`` event-handler attribute, ``<meta http-equiv>``, and any link or source other
    than ``http(s):``, ``mailto:``, an in-page ``#anchor``, a sibling ``.html`` page or an
    inline ``data:image`` in ``<img>``.

    Returns
    -------
    pandas.DataFrame
        ``file, line, what`` per finding; empty when clean.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "p.html"
    >>> _ = page.write_text('<p>ok <a href="02.html">next</a></p>\\n<img src=x onerror=alert(1)>')
    >>> scan_live_markup([page])[["line", "what"]].to_dict("records")
    [{'line': 2, 'what': "src='x' on <img>"}, {'line': 2, 'what': 'event-handler attribute \
onerror= on <img>'}]
    """
    rows = []
    for path in map(Path, paths):
        parser = _LiveMarkup()
        parser.feed(path.read_text(encoding="utf-8"))
        parser.close()
        rows += [{"file": str(path), "line": line, "what": what} for line, what in parser.found]
    return pd.DataFrame(rows, columns=["file", "line", "what"])
