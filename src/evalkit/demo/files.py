"""The files of the demo evaluation, and how they are written byte-identically.

Each provider's extract is described first (:class:`CsvFile`, :class:`XlsxFile`,
:class:`RawFile`) and written afterwards, so that :mod:`evalkit.demo.messy` can damage the
descriptions in between. A CSV is held as a *head* of text (the first rows, which is where faults
are planted) and a lazily produced *rest*, so a million episodes are written in chunks without
holding every row as text.

Conventions: UTF-8 without a byte-order mark, ``\\n`` line endings, ISO dates, whole numbers without
a decimal point and other numbers in their shortest exact form (``72.4``), blank for missing.
XLSX files carry fixed timestamps so the same content gives the same bytes.

Examples
--------
>>> import tempfile, pathlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> f = CsvFile("extracts/x_measures.csv", pd.DataFrame({"client_id": ["A1"], "value": ["4"]}))
>>> write_file(root, f).read_text()
'client_id,value\\nA1,4\\n'
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from evalkit.data.schema import TIMEPOINTS
from evalkit.demo.measures import MEASURE_NAMES, ONS4, WEMWBS, MeasureRows
from evalkit.demo.participants import Cohort
from evalkit.demo.service import PROVIDERS
from evalkit.errors import ConfigError

__all__ = [
    "CsvFile",
    "RawFile",
    "XlsxFile",
    "provider_files",
    "table_as_text",
    "write_file",
    "write_small_csv",
]

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
XLSX_CHUNK_ROWS = 50_000
XLSX_MAX_ROWS = 1_048_576
HEAD_ROWS = 10_000
CHUNK_ROWS = 1_000_000
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
_WIDE_WELLBEING = WEMWBS + ONS4


@dataclass
class CsvFile:
    """A CSV extract: its path in the evaluation folder, first rows as text, and the rest.

    Attributes
    ----------
    path : str
        Relative to the evaluation folder (``extracts/nhs_trust_measures.csv``).
    head : DataFrame
        The first rows, every cell a string (or missing).
    rest : callable, optional
        Returns an iterator of Arrow tables with the remaining rows (same columns).
    encoding : str
        ``utf-8`` or, for a file "saved by Excel", ``cp1252``.
    bom : bool
        Whether the file starts with a UTF-8 byte-order mark.
    """

    path: str
    head: pd.DataFrame
    rest: Callable[[], Iterator[pa.Table]] | None = None
    encoding: str = "utf-8"
    bom: bool = False


@dataclass
class XlsxFile:
    """A workbook with one sheet.

    Attributes
    ----------
    path : str
        Relative to the evaluation folder.
    sheet : str
        Sheet name.
    frame : DataFrame
        The cells: text columns are written as text, numeric columns as numbers, datetime
        columns as Excel dates shown ``yyyy-mm-dd``; missing values leave the cell empty.
    cells : dict
        ``(position, column) -> value`` overriding single cells (a number, or text typed where a
        number belongs).
    """

    path: str
    sheet: str
    frame: pd.DataFrame
    cells: dict[tuple[int, str], object] = field(default_factory=dict)


@dataclass
class RawFile:
    """A file with exactly these bytes (e.g. a zero-byte export)."""

    path: str
    data: bytes


def table_as_text(table: pa.Table) -> pd.DataFrame:
    """Every column of an Arrow table as text, exactly as it is written to CSV.

    Examples
    --------
    >>> table_as_text(pa.table({"v": [4.0, 72.4, None]}))["v"].tolist()
    ['4', '72.4', nan]
    """
    return pa.table(
        [column.cast(pa.string()) for column in table.columns], names=table.column_names
    ).to_pandas()


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A DataFrame as an Arrow table with dates (not timestamps), ready to be written."""
    columns = []
    for name in frame.columns:
        array = pa.array(frame[name], from_pandas=True)
        if pa.types.is_timestamp(array.type):
            array = array.cast(pa.date32())
        columns.append(array)
    return pa.table(columns, names=list(frame.columns))


def _measure_table(rows: MeasureRows, client_ids: pa.Array) -> pa.Table:
    return pa.table(
        {
            "client_id": client_ids.take(pa.array(rows.episode)),
            "timepoint": pa.array(TIMEPOINTS).take(pa.array(rows.timepoint)),
            "date": pa.array(rows.date),
            "measure": pa.array(MEASURE_NAMES).take(pa.array(rows.measure)),
            "value": pa.array(rows.value),
        }
    )


def _table_rows(table: pa.Table, rows: slice) -> pa.Table:
    return table.slice(rows.start, rows.stop - rows.start)


def _measure_rows(measures: MeasureRows, client_ids: pa.Array, rows: slice) -> pa.Table:
    return _measure_table(measures.take(rows), client_ids)


def _csv_file(path: str, table: Callable[[slice], pa.Table], n: int) -> CsvFile:
    head = table_as_text(table(slice(0, min(n, HEAD_ROWS))))

    def rest() -> Iterator[pa.Table]:
        for start in range(HEAD_ROWS, n, CHUNK_ROWS):
            yield table(slice(start, min(n, start + CHUNK_ROWS)))

    return CsvFile(path, head, rest if n > HEAD_ROWS else None)


def _wide(rows: MeasureRows, client_ids: np.ndarray, names: tuple[str, ...]) -> pd.DataFrame:
    """Long rows pivoted to one row per client and timepoint (blank where an item is missing)."""
    key = rows.episode.astype(np.int64) * len(TIMEPOINTS) + rows.timepoint
    keys, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    column = np.full(len(MEASURE_NAMES), -1)
    column[[MEASURE_NAMES.index(m) for m in names]] = np.arange(len(names))
    matrix = np.full((len(keys), len(names)), np.nan)
    matrix[inverse, column[rows.measure]] = rows.value
    frame = pd.DataFrame(
        {
            "client_id": np.asarray(client_ids, dtype=object)[rows.episode[first]],
            "timepoint": np.array(TIMEPOINTS, dtype=object)[rows.timepoint[first]],
            "date": pd.to_datetime(rows.date[first]),
        }
    )
    for i, name in enumerate(names):
        frame[name] = matrix[:, i]
    return frame


def provider_files(cohort: Cohort, rows: MeasureRows) -> list[CsvFile | XlsxFile]:
    """Each provider's extracts: participants and measures CSVs, and the VCS wellbeing XLSX.

    Parameters
    ----------
    cohort : Cohort
        Sorted by provider (so each provider's episodes are contiguous).
    rows : MeasureRows
        Sorted by episode.

    Returns
    -------
    list
        :class:`CsvFile` and :class:`XlsxFile` descriptions, in provider order.
    """
    participants = cohort.participants
    client_ids = participants["client_id"].to_numpy(dtype=object)
    ids = pa.array(client_ids)
    files: list[CsvFile | XlsxFile] = []
    provider = participants["provider"].to_numpy()
    for p in PROVIDERS:
        mine = np.flatnonzero(provider == p.name)
        first, last = (mine[0], mine[-1] + 1) if len(mine) else (0, 0)
        part = _arrow(participants.iloc[first:last])
        files.append(
            _csv_file(
                f"extracts/{p.slug}_participants.csv",
                partial(_table_rows, part),
                last - first,
            )
        )
        lo, hi = np.searchsorted(rows.episode, [first, last])
        own = rows.take(slice(lo, hi))
        if p.wellbeing_template:
            wellbeing_codes = [MEASURE_NAMES.index(m) for m in _WIDE_WELLBEING]
            in_template = np.isin(own.measure, wellbeing_codes)
            wide = _wide(own.take(in_template), client_ids, _WIDE_WELLBEING)
            files.append(XlsxFile(f"extracts/{p.slug}_wellbeing.xlsx", "wellbeing", wide))
            own = own.take(~in_template)
        files.append(
            _csv_file(
                f"extracts/{p.slug}_measures.csv",
                partial(_measure_rows, own, ids),
                len(own),
            )
        )
    return files


def _csv_bytes(columns: list[str], tables: Iterator[pa.Table]) -> Iterator[bytes]:
    yield (",".join(columns) + "\n").encode("utf-8")
    options = pa_csv.WriteOptions(include_header=False, quoting_style="none")
    for table in tables:
        if table.num_rows:
            buffer = io.BytesIO()
            pa_csv.write_csv(table, buffer, options)
            yield buffer.getvalue()


def _write_csv(path: Path, file: CsvFile) -> None:
    head = pa.Table.from_pandas(file.head.astype(object), preserve_index=False)
    head = pa.table([c.cast(pa.string()) for c in head.columns], names=head.column_names)
    tables = [head] if file.rest is None else [head, *file.rest()]
    chunks = _csv_bytes(list(file.head.columns), iter(tables))
    prefix = b"\xef\xbb\xbf" if file.bom else b""
    with path.open("wb") as out:
        out.write(prefix)
        if file.encoding == "utf-8":
            for chunk in chunks:
                out.write(chunk)
        else:
            out.write(b"".join(chunks).decode("utf-8").encode(file.encoding))


def _xml_cells(values: pd.Series, ref: pd.Series, date_style: str) -> pd.Series:
    """One column as SpreadsheetML ``<c>`` elements (empty string for a missing value)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        serial = (values - EXCEL_EPOCH).dt.days.astype("Int64").astype("str")
        xml = '<c r="' + ref + f'" s="{date_style}" t="n"><v>' + serial + "</v></c>"
    elif pd.api.types.is_numeric_dtype(values):
        number = pa.array(values.to_numpy(dtype=float), from_pandas=True).cast(pa.string())
        xml = '<c r="' + ref + '" t="n"><v>' + pd.Series(number, dtype="str") + "</v></c>"
    else:
        text = (
            values.astype("str")
            .str.replace("&", "&amp;")
            .str.replace("<", "&lt;")
            .str.replace(">", "&gt;")
        )
        xml = '<c r="' + ref + '" t="inlineStr"><is><t xml:space="preserve">' + text
        xml = xml + "</t></is></c>"
    return xml.where(values.notna().to_numpy(), "")


def _sheet_rows(file: XlsxFile, date_style: str) -> Iterator[bytes]:
    """The sheet's ``<row>`` elements, built column by column in chunks (no loop over rows)."""
    frame = file.frame
    header = pd.DataFrame([list(frame.columns)], columns=frame.columns, dtype="str")
    pieces: list[tuple[pd.DataFrame, int, dict[tuple[int, str], object]]] = [(header, 1, {})]
    for start in range(0, len(frame), XLSX_CHUNK_ROWS):
        chunk = frame.iloc[start : start + XLSX_CHUNK_ROWS].reset_index(drop=True)
        edits = {
            (position - start, column): value
            for (position, column), value in file.cells.items()
            if start <= position < start + XLSX_CHUNK_ROWS
        }
        pieces.append((chunk, start + 2, edits))
    for table, first_row, edits in pieces:
        number = pd.Series(np.arange(first_row, first_row + len(table))).astype("str")
        row = '<row r="' + number + '">'
        for j, name in enumerate(table.columns):
            ref = get_column_letter(j + 1) + number
            cells = _xml_cells(table[name], ref, date_style)
            for (position, column), value in edits.items():
                if column == name:
                    one = pd.Series([value], dtype=object if isinstance(value, str) else None)
                    cells.iloc[position] = _xml_cells(
                        one, ref.iloc[[position]].reset_index(drop=True), date_style
                    ).iloc[0]
            row = row + cells
        yield "".join((row + "</row>").tolist()).encode("utf-8")


def _write_xlsx(path: Path, file: XlsxFile) -> None:
    """Write the workbook: openpyxl lays out the package, the rows are streamed in as XML.

    Every zip entry gets a fixed time and the document properties fixed timestamps, so the same
    content gives the same bytes.
    """
    if len(file.frame) >= XLSX_MAX_ROWS:
        raise ConfigError(
            f"{file.path}: {len(file.frame):,} rows do not fit in one worksheet "
            f"({XLSX_MAX_ROWS:,} rows including the header); generate fewer episodes."
        )
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(file.sheet)
    date = WriteOnlyCell(sheet, value=EXCEL_EPOCH.to_pydatetime())
    date.number_format = "yyyy-mm-dd"
    sheet.append([date])
    buffer = io.BytesIO()
    book.save(buffer)
    package = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in package.infolist():
            content = package.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            if info.filename == "xl/worksheets/sheet1.xml":
                styled = re.search(rb' s="(\d+)"', content)
                assert styled is not None  # the date cell appended above has a number style
                style = styled.group(1).decode()
                before, rest = content.split(b"<sheetData>")
                after = rest.split(b"</sheetData>")[1]
                with out.open(entry, "w") as stream:
                    stream.write(before + b"<sheetData>")
                    for rows in _sheet_rows(file, style):
                        stream.write(rows)
                    stream.write(b"</sheetData>" + after)
                continue
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)",
                    rb"\g<1>2026-01-01T00:00:00Z\g<3>",
                    content,
                )
            out.writestr(entry, content)


def write_file(root: Path, file: CsvFile | XlsxFile | RawFile) -> Path:
    """Write one described file under the evaluation folder ``root``; return its path."""
    path = Path(root) / file.path
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(file, RawFile):
        path.write_bytes(file.data)
    elif isinstance(file, XlsxFile):
        _write_xlsx(path, file)
    else:
        _write_csv(path, file)
    return path


def write_small_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write a small table (qualitative data, a manifest) as UTF-8 CSV with ``\\n`` endings.

    Text containing commas or quotes is quoted as CSV requires; dates are written as ISO dates.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> write_small_csv(pd.DataFrame({"text": ['He said "yes", then left']}), p).read_text()
    'text\\n"He said ""yes"", then left"\\n'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8", date_format="%Y-%m-%d")
    return path
