"""Reading provider extracts exactly as providers send them, and writing tidy files back.

Providers send CSV saved by Excel (Windows-1252, sometimes with a byte-order mark), XLSX, dates
as ``dd/mm/yyyy`` or Excel serial numbers, and "no value" written as ``N/A``, ``-`` or a blank.
This module reads all of that into strings (so an error can quote the value the user typed),
parses each column to its schema type, and melts the wide templates into the long ``measures``
table. Row numbers are those of the spreadsheet: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import io as _stdio
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from evalkit.data.schema import MISSING_TOKENS, TABLES, ColumnSpec

__all__ = [
    "RawTable",
    "detect_table",
    "melt_wide",
    "parse_column",
    "parse_dates",
    "read_raw",
    "write_xlsx",
]

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SERIAL_RANGE = (10_000, 100_000)  # Excel serials for 1927-05-18 .. 2173-10-14
_BOM = b"\xef\xbb\xbf"
READABLE_SUFFIXES = (".csv", ".xlsx")


@dataclass
class RawTable:
    """One provider file read as text.

    Attributes
    ----------
    path : Path
        The file.
    table : str or None
        The table its name declares (see :func:`detect_table`).
    frame : DataFrame
        Every cell as a string, missing tokens as ``<NA>``; the index is the spreadsheet row.
    encoding : str
        How the bytes were decoded (``utf-8``, ``utf-8 with BOM``, ``cp1252`` ...).
    notes : list of str
        Things the reader noticed that the user should know (e.g. not UTF-8).
    empty : str or None
        ``"no bytes"`` for a zero-byte file, ``"no rows"`` for a header-only file.
    """

    path: Path
    table: str | None
    frame: pd.DataFrame
    encoding: str = "utf-8"
    notes: list[str] = field(default_factory=list)
    empty: str | None = None


def detect_table(path: str | Path) -> str | None:
    """The table a file holds, from its name: ``<table>`` or ``<anything>_<table>``.

    Examples
    --------
    >>> detect_table("extracts/north_trust_talking_therapy.xlsx")
    'talking_therapy'
    >>> detect_table("notes.csv") is None
    True
    """
    stem = Path(path).stem.lower()
    for name in sorted(TABLES, key=len, reverse=True):
        if stem == name or stem.endswith("_" + name):
            return name
    return None


def _decode(data: bytes) -> tuple[str, str, list[str]]:
    notes = []
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    try:
        text, encoding = body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = body.decode("cp1252", errors="replace"), "cp1252"
        notes.append(
            "file is not UTF-8: read as Windows-1252 (Excel's plain 'CSV' format); save as "
            "'CSV UTF-8' to be sure characters such as £ and é are read correctly"
        )
    return text, encoding + (" with BOM" if bom else ""), notes


def _normalise_header(name: object) -> str:
    return re.sub(r"\s+", "_", str(name).strip().lower())


def read_raw(path: str | Path) -> RawTable:
    """Read a CSV or XLSX extract as strings, whatever encoding and missing-value style it uses.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` or ``.xlsx`` file (the first sheet of a workbook is read).

    Returns
    -------
    RawTable

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x_measures.csv"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfClient_ID,value\\nA1,N/A\\nA2, 3 \\n")
    >>> raw = read_raw(p)
    >>> raw.table, raw.encoding, list(raw.frame.columns), raw.frame.index.tolist()
    ('measures', 'utf-8 with BOM', ['client_id', 'value'], [2, 3])
    >>> raw.frame["value"].isna().tolist(), raw.frame["value"].iloc[1]
    ([True, False], '3')
    """
    path = Path(path)
    table = detect_table(path)
    notes: list[str] = []
    encoding = "xlsx"
    if path.suffix.lower() == ".xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        if frame.empty and len(frame.columns) == 0:
            return RawTable(path, table, frame, encoding, notes, empty="no rows")
    else:
        data = path.read_bytes()
        if not data.strip(_BOM + b" \r\n\t"):
            return RawTable(path, table, pd.DataFrame(), "utf-8", notes, empty="no bytes")
        text, encoding, notes = _decode(data)
        frame = pd.read_csv(
            _stdio.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True
        )
    frame.columns = [_normalise_header(c) for c in frame.columns]
    frame = frame.apply(lambda s: s.str.strip())
    frame = frame.mask(frame.isin(MISSING_TOKENS))
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    empty = "no rows" if frame.empty else None
    return RawTable(path, table, frame, encoding, notes, empty)


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
    """
    text = values.astype("string").str.strip()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?").fillna(False)
    uk = text.str.fullmatch(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}").fillna(False)
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
    bad = text.notna() & out.isna()
    return out, bad


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
    """
    if spec.kind == "date":
        return parse_dates(values)
    if spec.kind == "string":
        return values.astype("str").where(values.notna(), None), pd.Series(False, values.index)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = values.notna() & numbers.isna()
    if spec.kind == "integer":
        fractional = numbers.notna() & (numbers % 1 != 0)
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
