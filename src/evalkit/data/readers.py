"""Reading provider extracts exactly as providers send them, and writing tidy files back.

Providers send CSV saved by Excel (Windows-1252, sometimes with a byte-order mark), XLSX, dates
as ``dd/mm/yyyy`` or Excel serial numbers, and "no value" written as ``N/A``, ``-`` or a blank.
This module reads all of that into strings (so an error can quote the value the user typed),
parses each column to its schema type, and melts the wide templates into the long ``measures``
table. Row numbers are those of the spreadsheet: the header is row 1, the first record row 2,
and a blank line or title line counts as a row, as a spreadsheet shows it.

Nothing is guessed silently: a file that is not what its name says (a workbook or web page
named ``.csv``, a damaged workbook), UTF-16 or mixed encodings, another delimiter, title lines
above the header, a row longer than the header, an unclosed quote, a formula without a saved
result and a sheet not read are each reported (:class:`ReadProblem`). Where the cause is
unambiguous the rows are read correctly (a recognised header below title lines, a ``;``
delimiter, UTF-16) and the problem is a warning; otherwise the file is refused with one error.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io as _stdio
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd

from evalkit.data.schema import MISSING_TOKENS, NAN_TOKENS, TABLES, ColumnSpec

__all__ = [
    "NUL_MARK",
    "RawTable",
    "ReadProblem",
    "detect_table",
    "melt_wide",
    "parse_column",
    "parse_dates",
    "read_extract",
    "read_raw",
    "write_xlsx",
]

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_RANGE = (10_000, 100_000)  # Excel serials for 1927-05-18 .. 2173-10-14
_YEAR_BOUNDS = (1678, 2261)  # the years a datetime64[ns] holds
#: Whole numbers above this are not held exactly by a float (2**53): refused, never rounded.
_LARGEST_WHOLE_NUMBER = 2**53
_BOM = b"\xef\xbb\xbf"
READABLE_SUFFIXES = (".csv", ".xlsx")
#: A NUL byte of a CSV, made visible (U+2400) so that the validator can report its cell.
NUL_MARK = "\u2400"
#: How many rows from the top are searched for the header (title lines may precede it).
_HEADER_SEARCH_ROWS = 30
_DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


@dataclass
class ReadProblem:
    """Something the reader found that the user should know, as the validator reports it.

    ``severity`` is ``"error"`` or ``"warning"``; ``row`` the spreadsheet row (None for the
    whole file), ``column`` a column name or letter, ``value`` what the file holds there.
    """

    severity: str
    rule: str
    hint: str
    row: int | None = None
    column: str | None = None
    value: object = None


@dataclass
class RawTable:
    """One table of a provider file, read as text.

    Attributes
    ----------
    path : Path
        The file.
    table : str or None
        The table it holds (see :func:`detect_table`; a workbook's sheet may name it).
    frame : DataFrame
        Every cell as a string, missing tokens as ``<NA>``, blank rows left out; the index is
        the spreadsheet row (the row a spreadsheet shows, blank rows and title lines counted).
    encoding : str
        How the bytes were decoded (``utf-8``, ``utf-8 with BOM``, ``cp1252``, ``utf-16`` ...).
    problems : list of ReadProblem
        What the reader noticed: guesses it made (an encoding, a delimiter, title lines) and
        what it could not read.
    empty : str or None
        ``"no bytes"`` for a zero-byte file, ``"no rows"`` for a header-only file.
    sheet : str or None
        The sheet read, when the workbook has several (issues name it).
    header_row : int
        The spreadsheet row of the column names (1 unless title lines precede them).
    blank_rows : int
        Blank rows (and Excel's ``,,,,`` rows) left out of ``frame``.
    aside : dict
        ``row -> reason`` of rows in ``frame`` that cannot be lined up with the header; they
        are held back unchecked.
    row_reasons : dict
        ``row -> reasons`` the rest of the row is checked but held back for (e.g. a formula
        without a saved result).
    refused : str or None
        Why no row of the file can be used (every row is held back), e.g. an unclosed quote.
    delimiter : str
        The character between columns of a CSV.
    """

    path: Path
    table: str | None
    frame: pd.DataFrame
    encoding: str = "utf-8"
    problems: list[ReadProblem] = field(default_factory=list)
    empty: str | None = None
    sheet: str | None = None
    header_row: int = 1
    blank_rows: int = 0
    aside: dict[int, str] = field(default_factory=dict)
    row_reasons: dict[int, list[str]] = field(default_factory=dict)
    refused: str | None = None
    delimiter: str = ","


def detect_table(path: str | Path) -> str | None:
    """The table a file holds, from its name: ``<table>`` or ``<anything>_<table>``.

    Examples
    --------
    >>> detect_table("extracts/north_trust_talking_therapy.xlsx")
    'talking_therapy'
    >>> detect_table("notes.csv") is None
    True

    A workbook whose name declares no table holds the table of its first sheet named after one
    (the evalkit template's sheets are).
    """
    path = Path(path)
    stem = path.stem.lower()
    for name in sorted(TABLES, key=len, reverse=True):
        if stem == name or stem.endswith("_" + name):
            return name
    if path.suffix.lower() == ".xlsx" and path.is_file():
        sheets = _sheet_tables(path)
        return sheets[0][1] if sheets else None
    return None


def _sheet_tables(path: Path) -> list[tuple[str, str]]:
    """``(sheet name, table)`` of each sheet of a workbook named after a table, in sheet order."""
    try:
        with zipfile.ZipFile(path) as book:
            xml = book.read("xl/workbook.xml").decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return []
    found = []
    for raw in re.findall(r'<(?:\w+:)?sheet\b[^>]*\bname="([^"]*)"', xml):
        title = html.unescape(raw)
        if _normalise_header(title) in TABLES:
            found.append((title, _normalise_header(title)))
    return found


_INVISIBLE_IN_NAMES = re.compile("[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]")


def _normalise_header(name: object) -> str:
    text = _INVISIBLE_IN_NAMES.sub("", str(name).replace(NUL_MARK, ""))
    return re.sub(r"\s+", "_", text.strip().lower())


def _column_letter(position: int) -> str:
    """Spreadsheet letter of a 0-based column position (0 -> A, 26 -> AA)."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _known_names(table: str) -> set[str]:
    return set(TABLES[table].names)


def _problem(severity: str, rule: str, hint: str, row=None, column=None, value=None):
    return ReadProblem(severity, rule, hint, row, column, value)


# ------------------------------------------------------------------------- bytes to text


def _not_text(data: bytes) -> str | None:
    """What a file that is not a text table is, from its first bytes (None: it may be text)."""
    if data.startswith(b"PK\x03\x04"):
        return "an Excel workbook (.xlsx) or another zip file"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "an Excel 97-2003 workbook (.xls) or a password-protected workbook"
    if data.startswith(b"%PDF"):
        return "a PDF document"
    return None


_NOT_A_CSV_HINT = (
    "Open the file in Excel and save it with File > Save As > 'CSV UTF-8 (Comma delimited)', "
    "or ask the provider to export the extract again."
)


def _utf16(data: bytes) -> str | None:
    """The UTF-16 codec of ``data`` when it is UTF-16 text (with or without a byte-order mark)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _decode(data: bytes) -> tuple[str, str, list[ReadProblem]]:
    """Text of a CSV: UTF-16, UTF-8 (with or without BOM), Windows-1252, or line by line when a
    file mixes UTF-8 and Windows-1252 lines. Every guess is reported."""
    problems: list[ReadProblem] = []
    codec = _utf16(data)
    if codec is not None:
        text = data.decode(codec, errors="replace").lstrip("\ufeff")
        problems.append(
            _problem(
                "warning",
                "file is UTF-16 (Excel's 'Unicode Text'): read as UTF-16",
                "The rows were read correctly; to be sure, save as 'CSV UTF-8 (Comma delimited)'.",
                value=codec,
            )
        )
        return text, codec, problems
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    suffix = " with BOM" if bom else ""
    try:
        return body.decode("utf-8"), "utf-8" + suffix, problems
    except UnicodeDecodeError:
        pass
    lines = body.split(b"\n")
    utf8_lines, cp1252_lines, pieces = [], [], []
    for number, line in enumerate(lines, start=1):
        try:
            piece = line.decode("utf-8")
            if not line.isascii():
                utf8_lines.append(number)
        except UnicodeDecodeError:
            piece = line.decode("cp1252", errors="replace")
            cp1252_lines.append(number)
        pieces.append(piece)
    if utf8_lines:

        def shown(numbers: list[int]) -> str:
            listed = ", ".join(str(n) for n in numbers[:5])
            return listed + (f" and {len(numbers) - 5} more" if len(numbers) > 5 else "")

        problems.append(
            _problem(
                "warning",
                f"file mixes encodings: line(s) {shown(utf8_lines)} are UTF-8, line(s) "
                f"{shown(cp1252_lines)} Windows-1252; each line was read in its own encoding",
                "Check the accented characters and symbols (é, £) in those lines; the file was "
                "probably pasted together from two exports. Save it again as 'CSV UTF-8'.",
                value="utf-8 + cp1252",
            )
        )
        return "\n".join(pieces), "utf-8 + cp1252" + suffix, problems
    problems.append(
        _problem(
            "warning",
            "file is not UTF-8: read as Windows-1252 (Excel's plain 'CSV' format)",
            "Save as 'CSV UTF-8' to be sure characters such as £ and é are read correctly.",
            value="cp1252" + suffix,
        )
    )
    return body.decode("cp1252", errors="replace"), "cp1252" + suffix, problems


def _not_a_table(text: str) -> str | None:
    """What decoded text that is not a CSV is (a web page, binary data); None when it may be."""
    start = text[:2048].lstrip().lower()
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<table", "<?xml")):
        return "a web page or XML document (HTML), not a CSV: perhaps an error page was saved"
    sample = text[:65536]
    control = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n")
    if control > max(2, 0.01 * len(sample)):
        return "binary data, not text"
    return None


# ---------------------------------------------------------------------- text to cells


def _sniff_delimiter(text: str, names: set[str]) -> tuple[str, int]:
    """The delimiter whose split of the first lines finds most column names (ties: comma)."""
    head = text[:65536].splitlines()[:_HEADER_SEARCH_ROWS]
    best, best_known = ",", -1
    for delimiter in _DELIMITERS:
        try:
            rows = list(csv.reader(head, delimiter=delimiter))
        except csv.Error:
            continue
        known = max((sum(_normalise_header(c) in names for c in r) for r in rows), default=0)
        if known > best_known:
            best, best_known = delimiter, known
    return best, best_known


def _csv_records(text: str, delimiter: str) -> tuple[list[list[str]], int | None]:
    """Every record by Python's csv module, and the row where an unclosed quotation mark opens.

    From an unclosed quotation mark on, each line is one record, its quotation marks read as
    text: the lines it would swallow into one value stay rows that are counted and held back.
    """
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        records = list(csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter))
        strict = csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter, strict=True)
        count, unclosed, lines_read = 0, None, 0
        while True:
            try:
                next(strict)
            except StopIteration:
                break
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    unclosed = count + 1
                    break
            count += 1
            lines_read = strict.line_num
        if unclosed is not None:
            lines = re.split(r"\r\n|\r|\n", text)  # as the csv module counts lines
            rest = lines[lines_read : len(lines) - (lines[-1] == "")]
            plain = csv.reader(rest, delimiter=delimiter, quoting=csv.QUOTE_NONE)
            records = records[: unclosed - 1] + [r if r else [""] for r in plain]
    finally:
        csv.field_size_limit(limit)
    return records, unclosed


def _csv_grid(text: str, delimiter: str) -> tuple[pd.DataFrame, pd.Series | None, int | None]:
    """Cells of every record (positional columns, ``""`` when empty; row ``i`` is spreadsheet
    row ``i + 1``), each record's cell count when records differ, and an unclosed quote's row.

    pandas' C parser reads a well-formed file; anything it refuses (a record longer than the
    first, an unclosed quote) is read again by the csv module, which reports where.
    """
    try:
        grid = pd.read_csv(
            _stdio.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            index_col=False,
            engine="c",
        )
        return grid.fillna(""), None, None
    except pd.errors.EmptyDataError:
        return pd.DataFrame(), None, None
    except pd.errors.ParserError:
        pass
    records, unclosed = _csv_records(text, delimiter)
    widths = pd.Series([len(r) for r in records], dtype="int64")
    width = int(widths.max()) if len(widths) else 0
    grid = pd.DataFrame([r + [""] * (width - len(r)) for r in records], dtype=object)
    return grid.astype(str), widths, unclosed


# ---------------------------------------------------------------------- cells to a table


def _header_position(grid: pd.DataFrame, names: set[str]) -> int | None:
    """The row (0-based) holding the column names: the first of the first rows naming two
    columns of the table, else the first naming one; None when none does."""
    single = None
    for position in range(min(len(grid), _HEADER_SEARCH_ROWS)):
        known = sum(_normalise_header(c) in names for c in grid.iloc[position] if c)
        if known >= 2:
            return position
        if known == 1 and single is None:
            single = position
    return single


def _grid_table(raw: RawTable, grid: pd.DataFrame, widths: pd.Series | None = None) -> RawTable:
    """Fill ``raw`` from a grid of cells: find the header, name the columns, drop blank rows,
    read missing tokens as missing and hold back rows that cannot be aligned with the header."""
    table = raw.table
    assert table is not None
    names = _known_names(table)
    if grid.empty:
        raw.frame, raw.empty = pd.DataFrame(), "no rows"
        return raw
    position = _header_position(grid, names)
    refused_header = position is None
    position = position or 0
    above = grid.iloc[:position]
    titles = above[(_strip_cells(above) != "").any(axis=1)]
    if position and len(titles):
        first = next(c for c in titles.iloc[0] if c.strip())
        raw.problems.append(
            _problem(
                "warning",
                f"the header is on row {position + 1}: {len(titles)} title line(s) above it "
                "were skipped",
                "The rows below the header were read; delete the lines above the column names "
                "(or export without a title) so the header is row 1.",
                row=position + 1,
                value=first.strip(),
            )
        )
    raw.header_row = position + 1
    header = [_normalise_header(c) for c in grid.iloc[position]]
    body = _strip_cells(grid.iloc[position + 1 :])
    body.index = pd.RangeIndex(position + 2, position + 2 + len(body), name="row")
    body.columns = range(len(header))
    named = [j for j, name in enumerate(header) if name]
    width = (max(named) + 1) if named else 0
    filled = body != ""
    blank = ~filled.any(axis=1)
    raw.blank_rows = int(blank.sum())
    # cells beyond the last named column: a value there means the row does not line up
    beyond = filled.iloc[:, width:].any(axis=1) & ~blank if len(header) > width else None
    if beyond is not None and beyond.any():
        last = filled.iloc[:, ::-1].idxmax(axis=1)
        for row in beyond[beyond].index:
            count = int(last[row]) + 1
            reason = (
                f"row has {count} values but the header names {width} columns (a "
                f"'{raw.delimiter}' inside a value that is not in quotes?)"
            )
            raw.aside[row] = reason
            if raw.refused is not None:
                continue  # the file is refused with one message
            raw.problems.append(
                _problem(
                    "error",
                    "more values than columns",
                    f"A value holding '{raw.delimiter}' must be in double quotes (\"Smith, J\"), "
                    "as Excel writes it; correct the row or export the file again. The row is "
                    "held back unread.",
                    row=int(row),
                    value=f"{count} values for {width} columns",
                )
            )
    if widths is not None:
        record_widths = widths.iloc[position + 1 :].set_axis(body.index)
        padded = (record_widths > width) & ~blank
        if beyond is not None:
            padded &= ~beyond
        if padded.any():
            first_row = int(padded.idxmax())
            raw.problems.append(
                _problem(
                    "warning",
                    f"empty cells beyond the last column ignored ({int(padded.sum())} row(s); "
                    f"row {first_row} has {int(record_widths[first_row]):,} cells for "
                    f"{width} columns)",
                    "Nothing was lost; delete the empty columns to the right of the data in "
                    "Excel before saving the CSV.",
                    row=first_row,
                    value=f"{int(record_widths[first_row]):,} cells",
                )
            )
    # columns without a name: ignored, reported when they hold values
    keep = []
    for j, name in enumerate(header):
        if j >= width:
            continue
        if not name:
            values = body[j][filled[j] & ~blank]
            if len(values):
                raw.problems.append(
                    _problem(
                        "warning",
                        f"column {_column_letter(j)} has values but no name: ignored",
                        "Give the column a name from the data dictionary, or delete it.",
                        row=raw.header_row,
                        column=_column_letter(j),
                        value=values.iloc[0],
                    )
                )
            continue
        keep.append(j)
    body = body[keep]
    body.columns = [header[j] for j in keep]
    body = _merge_duplicate_columns(raw, body, [_column_letter(j) for j in keep], names)
    body = body.loc[~blank]
    body = body.mask(body.isin(MISSING_TOKENS))
    body = _nan_as_missing(raw, body)
    raw.frame = body
    if refused_header:
        shown = ", ".join(c.strip() for c in grid.iloc[position] if c.strip())[:80] or "(nothing)"
        expected = ", ".join(TABLES[table].required[:4])
        reason = f"no recognised column names in row 1 ({shown})"
        raw.refused = reason
        raw.problems.append(
            _problem(
                "error",
                f"no recognised column names: the first rows hold none of the {table} columns",
                f"Row 1 must name the columns of the {table} template ({expected}, ...); check "
                "that this is the right extract, with the column names in row 1.",
                row=1,
                value=shown,
            )
        )
    if raw.frame.empty:
        raw.empty = "no rows"
    return raw


def _strip_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell of a grid of text without surrounding spaces, worked row by row (a grid
    thousands of columns wide, from a line of commas, takes no longer than a narrow one).

    Examples
    --------
    >>> _strip_cells(pd.DataFrame([[" a ", "b"], ["", " "]])).to_numpy().tolist()
    [['a', 'b'], ['', '']]
    """
    rows = [[cell.strip() for cell in row] for row in frame.to_numpy(dtype=object).tolist()]
    return pd.DataFrame(rows, index=frame.index, columns=frame.columns, dtype=object)


def _merge_duplicate_columns(
    raw: RawTable, body: pd.DataFrame, letters: list[str], names: set[str]
) -> pd.DataFrame:
    """One column per name: copies with the same values merge; differing copies of a known
    column refuse the file (which one is meant cannot be told)."""
    counts = pd.Series(list(body.columns)).value_counts()
    if (counts == 1).all():
        return body
    keep = [True] * len(body.columns)
    for name in counts[counts > 1].index:
        places = [j for j, c in enumerate(body.columns) if c == name]
        shown = " and ".join(letters[j] for j in places)
        same = all(body.iloc[:, j].equals(body.iloc[:, places[0]]) for j in places[1:])
        for j in places[1:]:
            keep[j] = False
        if same or name not in names:
            raw.problems.append(
                _problem(
                    "warning",
                    f"column {name} appears {len(places)} times (columns {shown}); the first is "
                    "read" + (" (the copies hold the same values)" if same else ""),
                    "Delete the repeated column; names are compared ignoring case and spaces.",
                    row=raw.header_row,
                    column=name,
                    value=name,
                )
            )
            continue
        raw.refused = f"two different columns are read as {name} (columns {shown})"
        raw.problems.append(
            _problem(
                "error",
                f"duplicate column {name}: columns {shown} are both read as {name} and hold "
                "different values",
                "Names are compared ignoring case and spaces ('Client ID' is client_id); keep "
                "one of the columns. Every row is held back until then.",
                row=raw.header_row,
                column=name,
                value=name,
            )
        )
    return body.loc[:, keep]


def _nan_as_missing(raw: RawTable, body: pd.DataFrame) -> pd.DataFrame:
    """``NaN`` cells (software's way of writing "no value") read as missing, one warning a
    column."""
    nan = set(NAN_TOKENS)
    cells = body.to_numpy(dtype=object).tolist()
    found = pd.DataFrame(
        [[isinstance(c, str) and c.lower() in nan for c in row] for row in cells],
        index=body.index,
        columns=body.columns,
        dtype=bool,
    )
    if not found.to_numpy().any():
        return body
    for column in found.columns[found.any()]:
        rows = found.index[found[column]]
        raw.problems.append(
            _problem(
                "warning",
                f"NaN read as blank ({len(rows)} row(s))",
                "NaN is how some software writes 'no value'; leave such cells blank instead.",
                row=int(rows[0]),
                column=column,
                value=body.at[rows[0], column],
            )
        )
    return body.mask(found)


def _cell_text(value: object) -> str:
    """A workbook cell as the text a provider sees (dates as ``yyyy-mm-dd``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


# --------------------------------------------------------------------------- the readers


def _refused(raw: RawTable, rule: str, hint: str, value=None) -> list[RawTable]:
    raw.refused = rule
    raw.problems.append(_problem("error", rule, hint, value=value))
    return [raw]


def _read_csv(raw: RawTable) -> list[RawTable]:
    path = raw.path
    data = path.read_bytes()
    if not data.strip(_BOM + b" \r\n\t"):
        raw.empty = "no bytes"
        return [raw]
    kind = _not_text(data)
    if kind is not None:
        return _refused(
            raw, f"not a CSV: the file is {kind}", _NOT_A_CSV_HINT, value=f"{len(data):,} bytes"
        )
    text, raw.encoding, problems = _decode(data)
    kind = _not_a_table(text)
    if kind is not None:  # how its bytes decode does not matter then
        shown = f"{len(data):,} bytes" if kind.startswith("binary") else text.strip()[:40]
        return _refused(raw, f"not a CSV: the file is {kind}", _NOT_A_CSV_HINT, value=shown)
    raw.problems = problems
    if raw.table is None:
        return [raw]
    text = text.replace("\x00", NUL_MARK)
    delimiter, _ = _sniff_delimiter(text, _known_names(raw.table))
    raw.delimiter = delimiter
    if delimiter != ",":
        raw.problems.append(
            _problem(
                "warning",
                f"this file uses {_DELIMITERS[delimiter]} ({delimiter!r}) between columns: read "
                "that way",
                "The rows were read correctly; evalkit's templates use commas (Excel: 'CSV "
                "UTF-8 (Comma delimited)'). Decimal commas (4,5) are not numbers: use 4.5.",
                value=delimiter,
            )
        )
    grid, widths, unclosed = _csv_grid(text, delimiter)
    if unclosed is not None:  # every row is held back: misaligned rows are not reported
        raw.refused = f"a quotation mark in row {unclosed} is never closed"
    raw = _grid_table(raw, grid, widths)
    if unclosed is not None:
        raw.problems.append(
            _problem(
                "error",
                "unclosed quotation mark: everything after it reads as one value",
                f'Find the " in row {unclosed}: close it, or delete it if it is part of the '
                'text (a quote inside a value is written ""). Saving from Excel quotes values '
                "correctly. The whole file is held back until then.",
                row=unclosed,
                value='"',
            )
        )
    return [raw]


def _workbook_rows(path: Path, data_only: bool) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    try:
        sheets = {}
        for sheet in book.worksheets:
            sheet.reset_dimensions()
            sheets[sheet.title] = list(sheet.iter_rows(min_row=1, values_only=True))
        return sheets
    finally:
        book.close()


def _formula_cells(path: Path, sheets: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """``sheet -> [(row, column position, formula)]`` of formulas saved without their result."""
    with zipfile.ZipFile(path) as package:
        has_formulas = any(
            re.search(rb"<(?:\w+:)?f[ >]", package.read(name))
            for name in package.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )
    if not has_formulas:
        return {}
    formulas = _workbook_rows(path, data_only=False)
    found: dict[str, list[tuple]] = {}
    for title, rows in formulas.items():
        values = sheets.get(title, [])
        for i, row in enumerate(rows):
            for j, cell in enumerate(row):
                text = getattr(cell, "text", cell)  # array formulas carry their text
                cached = values[i][j] if i < len(values) and j < len(values[i]) else None
                if isinstance(text, str) and text.startswith("=") and cached is None:
                    found.setdefault(title, []).append((i + 1, j, text))
    return found


def _sheet_grid(rows: list[tuple]) -> pd.DataFrame:
    width = max((len(r) for r in rows), default=0)
    cells = [[_cell_text(v) for v in r] + [""] * (width - len(r)) for r in rows]
    return pd.DataFrame(cells, columns=range(width), dtype=object).astype(str)


_DICTIONARY_SHEET = "data dictionary"


def _read_workbook(raw: RawTable) -> list[RawTable]:
    path = raw.path
    data = path.read_bytes()
    if not data:
        raw.empty = "no bytes"
        return [raw]
    if not zipfile.is_zipfile(path):
        if data.startswith(b"PK"):
            rule = "the workbook is damaged or incomplete (it was cut off while being copied?)"
        else:
            kind = _not_text(data) or (
                "a text file (a CSV named .xlsx?)"
                if _not_a_table(_decode(data)[0]) is None
                else "neither a workbook nor text"
            )
            rule = f"not an Excel workbook (.xlsx): the file is {kind}"
        return _refused(
            raw,
            rule,
            "Open the file in Excel and save it as 'Excel Workbook (.xlsx)' without a password, "
            "or ask the provider to send it again.",
            value=f"{len(data):,} bytes",
        )
    try:
        sheets = _workbook_rows(path, data_only=True)
        formulas = _formula_cells(path, sheets)
    except Exception as exc:  # openpyxl raises many kinds of error for a damaged package
        return _refused(
            raw,
            "the workbook is damaged or incomplete and cannot be opened",
            "Open it in Excel (which may offer to repair it) and save it again, or ask the "
            "provider to send it again.",
            value=type(exc).__name__,
        )
    several = len(sheets) > 1
    grids = {title: _sheet_grid(rows) for title, rows in sheets.items()}
    content = [t for t, g in grids.items() if (_strip_cells(g) != "").any().any()]
    chosen: dict[str, str] = {}
    for title in content:
        table = _normalise_header(title)
        if table in TABLES and table not in chosen.values():
            chosen[title] = table
    declared = raw.table
    notes: list[ReadProblem] = []
    explained: set[str] = set()  # sheets the note on the sheet read already names
    if declared is not None and declared not in chosen.values():
        candidates = [t for t in content if t not in chosen]
        names = _known_names(declared)
        recognised = [t for t in candidates if _header_position(grids[t], names) is not None]
        pool = recognised or candidates
        pick = pool[0] if pool else None
        if pick is not None:
            chosen[pick] = declared
            if candidates and pick != candidates[0]:
                explained.add(candidates[0])
                notes.append(
                    _problem(
                        "warning",
                        f"read sheet {pick!r} as {declared}: the first sheet "
                        f"{candidates[0]!r} holds no {declared} column names and was not read",
                        "Put the data on the first sheet, or name its sheet after the table "
                        f"({declared}), so it is found without guessing.",
                        value=pick,
                    )
                )
    for title in content:
        if title in chosen or title in explained:
            continue
        grid = grids[title]
        if title.strip().lower() == _DICTIONARY_SHEET and set(grid.iloc[0]) >= {"table", "column"}:
            continue  # the template's own data dictionary
        notes.append(
            _problem(
                "warning",
                f"sheet {title!r} was not read",
                "Only sheets named after a table (participants, measures, wellbeing, ...) and "
                "the first sheet of a workbook named <provider>_<table>.xlsx are read; move the "
                "data to such a sheet, or delete the sheet.",
                value=title,
            )
        )
    if not chosen:
        raw.problems += notes if declared is not None else []
        if declared is not None:
            raw.frame, raw.empty = pd.DataFrame(), "no rows"
        return [raw]
    parts = []
    for title, table in chosen.items():
        part = RawTable(path, table, pd.DataFrame(), "xlsx", sheet=title if several else None)
        part = _grid_table(part, grids[title])
        for row, column, formula in formulas.get(title, []):
            if row <= part.header_row:
                continue
            name = _column_letter(column)
            if column < grids[title].shape[1]:
                name = _normalise_header(grids[title].iat[part.header_row - 1, column]) or name
            part.row_reasons.setdefault(row, []).append(
                f"{name}: formula without a saved result ({formula})"
            )
            part.problems.append(
                _problem(
                    "error",
                    "formula without a saved result (the cell would read as blank)",
                    "Open the workbook in Excel and save it again so each formula's result is "
                    "stored (files written by scripts often hold only the formula), or paste the "
                    "values.",
                    row=row,
                    column=name,
                    value=formula,
                )
            )
        parts.append(part)
    parts[0].problems = notes + parts[0].problems
    return parts


def read_extract(path: str | Path) -> list[RawTable]:
    """Read one extract as text: one :class:`RawTable` per table it holds.

    A CSV holds the table its name declares. A workbook holds one table per sheet named after a
    table (the evalkit template's sheets), and the table its name declares on its first sheet
    that names that table's columns. Whatever cannot be read is said in ``problems``: a file
    that is not a CSV or workbook, a damaged workbook, a sheet not read, a formula without a
    result, another delimiter, UTF-16, title lines above the header, a row longer than the
    header, an unclosed quote.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x_measures.csv"
    >>> _ = p.write_text("Extract of 2026-03-31\\n\\nclient_id;value\\nA1;3\\n")
    >>> raw = read_extract(p)[0]
    >>> raw.header_row, raw.frame.index.tolist(), [q.rule[:24] for q in raw.problems]
    (3, [4], ['this file uses semicolon', 'the header is on row 3: '])
    """
    path = Path(path)
    raw = RawTable(path, detect_table(path), pd.DataFrame())
    if path.is_dir():
        return _refused(
            raw,
            "a folder named like an extract, not a file",
            "Put the extract itself in extracts/ (was a zipped extract unpacked into a folder?) "
            "and rename or remove the folder.",
            value=path.name + "/",
        )
    try:
        if path.suffix.lower() == ".xlsx":
            raw.encoding = "xlsx"
            return _read_workbook(raw)
        return _read_csv(raw)
    except OSError as exc:  # no permission, a file locked by Excel, a network drive gone
        raw = RawTable(path, raw.table, pd.DataFrame())
        return _refused(
            raw,
            f"the file cannot be opened ({exc.strerror or type(exc).__name__})",
            "Close the file in Excel, check that you may read it (its permissions, the network "
            "drive), then validate again.",
            value=path.name,
        )


def read_raw(path: str | Path) -> RawTable:
    """Read a CSV or XLSX extract as strings, whatever encoding and missing-value style it uses.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.xlsx`` file (of a workbook, the first table :func:`read_extract`
        finds).

    Returns
    -------
    RawTable

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x_measures.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfClient_ID,value\\nA1,N/A\\n\\nA2, 3 \\n")
    >>> raw = read_raw(p)
    >>> raw.table, raw.encoding, list(raw.frame.columns), raw.frame.index.tolist()
    ('measures', 'utf-8 with BOM', ['client_id', 'value'], [2, 4])
    >>> raw.frame["value"].isna().tolist(), raw.frame["value"].iloc[1], raw.blank_rows
    ([True, False], '3', 1)
    """
    return read_extract(path)[0]


def _year_in_bounds(years: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(years, errors="coerce")
    return numbers.between(_YEAR_BOUNDS[0], _YEAR_BOUNDS[1]).fillna(False).astype(bool)


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse ISO (``yyyy-mm-dd``), UK (``dd/mm/yyyy``) and Excel-serial dates.

    Parameters
    ----------
    values : Series of str
        Raw text; ``<NA>`` is missing.

    Returns
    -------
    parsed : Series of datetime64
    bad : Series of bool
        True where a value was given but is not a date in any accepted form.

    Examples
    --------
    >>> parsed, bad = parse_dates(pd.Series(["2026-01-05", "05/01/2026", "46027", "31/02/2026"]))
    >>> parsed.dt.strftime("%Y-%m-%d").tolist()[:3], bad.tolist()
    (['2026-01-05', '2026-01-05', '2026-01-05'], [False, False, False, True])
    >>> parse_dates(pd.Series(["0025-01-05", "31/12/9999"]))[1].tolist()
    [True, True]
    """
    text = values.astype("string").str.strip()
    # a column holds few distinct dates: parse each once
    distinct = pd.Series(text.dropna().unique(), dtype="string")
    lookup = pd.Series(_parse_date_text(distinct).to_numpy(), index=distinct.to_numpy())
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if len(lookup):
        out = pd.to_datetime(text.map(lookup)).astype("datetime64[ns]")
    bad = text.notna() & out.isna()
    return out, bad


def _parse_date_text(text: pd.Series) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?").fillna(False)
    uk = text.str.fullmatch(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}").fillna(False)
    # a year pandas cannot hold (0025, 9999) is not parsed; the validator names the window
    iso &= _year_in_bounds(text.str.slice(0, 4))
    uk &= _year_in_bounds(text.str.slice(-4))
    serial = text.str.fullmatch(r"\d{5}(?:\.0+)?").fillna(False)
    if iso.any():
        out[iso] = pd.to_datetime(text[iso].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    if uk.any():
        out[uk] = pd.to_datetime(
            text[uk].str.replace(r"[.\-]", "/", regex=True), format="%d/%m/%Y", errors="coerce"
        )
    if serial.any():
        days = pd.to_numeric(text[serial]).astype(float)
        ok = days.between(*_SERIAL_RANGE)
        out[serial] = (EXCEL_EPOCH + pd.to_timedelta(days.where(ok), unit="D")).to_numpy()
    return out


def parse_column(values: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, pd.Series]:
    """Convert one raw text column to its schema type.

    Returns the parsed values and a mask of cells that were filled in but could not be parsed
    ("wrong type"). Missing cells stay missing and are not flagged here.

    Examples
    --------
    >>> from evalkit.data.schema import TABLES
    >>> parsed, bad = parse_column(pd.Series(["3", "4.0", "three", None]),
    ...                            TABLES["participants"].column("contacts"))
    >>> parsed.tolist(), bad.tolist()
    ([3, 4, <NA>, <NA>], [False, False, True, False])
    >>> parse_column(pd.Series(["99999999999999999999999"]),
    ...              TABLES["participants"].column("contacts"))[1].tolist()
    [True]
    """
    if spec.kind == "date":
        return parse_dates(values)
    if spec.kind == "string":
        return values.astype("str").where(values.notna(), None), pd.Series(False, values.index)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & numbers.isna()
    if spec.kind == "integer":
        fractional = numbers.notna() & (
            (numbers % 1 != 0) | (numbers.abs() > _LARGEST_WHOLE_NUMBER)
        )
        bad |= fractional
        numbers = numbers.where(~fractional)
        return numbers.round().astype("Int64"), bad
    return numbers.astype(float), bad


def melt_wide(frame: pd.DataFrame, measure_columns: list[str]) -> pd.DataFrame:
    """Melt a wide template (one row per client and timepoint) into long ``measures`` rows.

    Blank cells are not measures and produce no row. The spreadsheet row of every value is kept
    in a ``row`` column so errors can point back to the cell.

    Examples
    --------
    >>> wide = pd.DataFrame({"client_id": ["A"], "timepoint": ["baseline"],
    ...     "date": ["2026-01-05"], "wemwbs_01": ["4"], "wemwbs_02": [None]}, index=[2])
    >>> melt_wide(wide, ["wemwbs_01", "wemwbs_02"])[["row", "measure", "value"]].to_dict("records")
    [{'row': 2, 'measure': 'wemwbs_01', 'value': '4'}]
    """
    ids = [c for c in ("client_id", "timepoint", "date") if c in frame.columns]
    long = (
        frame.rename_axis("row")
        .reset_index()
        .melt(id_vars=["row", *ids], value_vars=measure_columns, var_name="measure")
    )
    long = long[long["value"].notna()]
    return long.sort_values(["row", "measure"], kind="stable").reset_index(drop=True)


def write_xlsx(sheets: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Write DataFrames as sheets of one workbook, byte-identical for identical content.

    openpyxl stamps the current time into the workbook properties and the zip entries; both are
    fixed here so that generated files can be compared and committed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> a = write_xlsx({"s": pd.DataFrame({"x": [1]})}, d / "a.xlsx").read_bytes()
    >>> b = write_xlsx({"s": pd.DataFrame({"x": [1]})}, d / "b.xlsx").read_bytes()
    >>> a == b
    True
    """
    path = Path(path)
    buffer = _stdio.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for column_cells in sheet.columns:
                width = max(len(str(c.value or "")) for c in column_cells)
                sheet.column_dimensions[column_cells[0].column_letter].width = min(60, width + 2)
        fixed = pd.Timestamp("2026-01-01").to_pydatetime()
        writer.book.properties.created = fixed
        writer.book.properties.modified = fixed
    source = zipfile.ZipFile(_stdio.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in sorted(source.infolist(), key=lambda i: i.filename):
            data = source.read(info.filename)
            data = re.sub(
                rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>",
                lambda m: (
                    m.group(0).split(b">")[0]
                    + b">2026-01-01T00:00:00Z</dcterms:"
                    + m.group(1)
                    + b">"
                ),
                data,
            )
            stable = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            stable.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(stable, data)
    return path
