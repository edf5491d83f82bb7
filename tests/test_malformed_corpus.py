"""The malformed-input corpus (#17 item 7, #20): every bad input gets a message, no row is lost.

Each case is a record of :data:`CASES`: the files to write (built here from the rows written, so
the number of data rows really in each file is known without evalkit's reader), the issue it must
raise (rule, file, spreadsheet row, column, value, severity) and the rows it must keep and hold
back. One test runs them all and asserts, for every case:

- no traceback: validation returns issues, or raises evalkit's own error with a message;
- the expected issue, located exactly, with a non-empty hint (and no issue anywhere without one);
- the row accounting: rows read = kept + quarantined for every file, and rows read = the data rows
  written to the file.

Rows are spreadsheet rows: the header is row 1 and a blank line counts as a row.
"""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evalkit.config import EvaluationConfig, load_config
from evalkit.data.validate import FALLBACK_HINT, validate_directory, write_validation
from evalkit.errors import EvalkitError
from evalkit.pipeline import init_evaluation

# ------------------------------------------------------------------------------ the inputs

P_COLUMNS = (
    "client_id,provider,site,strands,referral_source,referral_date,start_date,end_date,"
    "exit_reason,contacts,age,sex,ethnicity,imd_decile,delivery_mode"
).split(",")
P_GOOD = dict(
    zip(
        P_COLUMNS,
        "A1,Trust,North,wellbeing,gp,2026-01-05,2026-01-10,2026-03-01,completed,5,40,female,"
        "white,1,group".split(","),
        strict=True,
    )
)
M_COLUMNS = ["client_id", "timepoint", "date", "measure", "value"]
M_GOOD = ["A1", "baseline", "2026-01-10", "wemwbs_01", "4"]
W_COLUMNS = ["client_id", "timepoint", "date", "wemwbs_01", "wemwbs_02"]
CB_COLUMNS = ["code_id", "name", "kind", "parent_id", "description"]
SRC_COLUMNS = ["source_id", "name", "type", "stakeholder_group"]
CODING_COLUMNS = ["coding_id", "source_id", "code_id", "text"]
CMOC_COLUMNS = (
    "cmoc_id,programme_theory,context,mechanism_resource,mechanism_reasoning,outcome,status,"
    "context_filter,outcome_measure"
).split(",")

PARTICIPANTS = "extracts/t_participants.csv"
PARTICIPANTS_XLSX = "extracts/t_participants.xlsx"
MEASURES = "extracts/t_measures.csv"
WELLBEING = "extracts/t_wellbeing.csv"


@dataclass(frozen=True)
class Extract:
    """One file a case writes: its bytes (None: a folder) and the data rows really in it.

    ``rows`` is counted from what was written (records that are not blank), independently of
    evalkit's reader; None when the file holds no table to count (e.g. a folder, a web page).
    ``unreadable`` marks a file nothing can be read from (a damaged workbook): read must be 0.
    """

    data: bytes | None
    rows: int | None = None
    unreadable: bool = False


def _csv_line(cells: Sequence[str], sep: str = ",") -> str:
    return sep.join(cells)


def _counted(records: Sequence[str], sep: str) -> int:
    """Data rows among records as written: a blank line or Excel's ``,,,,`` row is not one."""
    return sum(1 for r in records if r.strip().strip(sep).strip())


def csv_file(
    header: Sequence[str] | str,
    records: Sequence[str],
    *,
    above: Sequence[str] = (),
    sep: str = ",",
    encoding: str = "utf-8",
    newline: str = "\n",
) -> Extract:
    """A CSV: optional title lines, the header, then ``records`` (lines as written)."""
    head = header if isinstance(header, str) else _csv_line(header, sep)
    text = newline.join([*above, head, *records]) + newline
    return Extract(text.encode(encoding), _counted(records, sep))


def p_row(sep: str = ",", **changes: str) -> str:
    """A participants record: the good one with ``changes``."""
    return _csv_line(list({**P_GOOD, **changes}.values()), sep)


def participants(*records: str, **options) -> Extract:
    return csv_file(P_COLUMNS, records or (p_row(),), **options)


def measures(*records: str) -> Extract:
    return csv_file(M_COLUMNS, records or (_csv_line(M_GOOD),))


def xlsx_file(sheets: dict[str, list[list]], read: Sequence[str] | None = None) -> Extract:
    """A workbook; the data rows are counted in the sheets ``read`` (default: the first),
    below the first row that is not a title (the row naming most columns)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    count = 0
    for title in read or [next(iter(sheets))]:
        rows = sheets[title]
        header = max(range(len(rows)), key=lambda i: sum(1 for c in rows[i] if c not in ("", None)))
        count += sum(1 for r in rows[header + 1 :] if any(c not in ("", None) for c in r))
    return Extract(buffer.getvalue(), count)


def participants_xlsx(*rows: list, above: Sequence[list] = ()) -> Extract:
    body = [list(r) for r in rows] or [list(P_GOOD.values())]
    return xlsx_file({"Sheet1": [*above, P_COLUMNS, *body]})


def p_cells(**changes) -> list:
    return list({**P_GOOD, **changes}.values())


def raw(data: bytes, rows: int | None = None, *, unreadable: bool = False) -> Extract:
    return Extract(data, rows, unreadable)


FOLDER = Extract(None)
GOOD_WORKBOOK = xlsx_file({"Sheet1": [P_COLUMNS, list(P_GOOD.values())]}).data
assert GOOD_WORKBOOK is not None


def _zip_without_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("hello.txt", "hello")
    return buffer.getvalue()


# --------------------------------------------------------------------------------- the cases


@dataclass(frozen=True)
class Case:
    """One malformed input and what validation must say about it.

    ``rule`` is a substring of the expected issue's rule (None: no error at all, e.g. a
    boundary that is accepted); ``file`` the issue's file (default: the first file written);
    ``row``, ``column`` and ``value`` are asserted exactly (None: the issue has none).
    ``kept`` and ``quarantined`` are the rows of the first file's table; ``note`` a substring
    of its reconciliation note. ``config`` is an ``evaluation.yml``: when ``config_error`` the
    config itself must be refused with a message holding ``rule`` and ``value``.
    """

    id: str
    files: dict[str, Extract]
    rule: str | None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    severity: str = "error"
    file: str | None = None
    kept: int | None = None
    quarantined: int | None = None
    note: str | None = None
    config: str | None = None
    config_error: bool = False
    init: bool = False
    family: str = "field"
    #: when set, the number of issues in all: a cause said once, not once a row or column
    issues: int | None = None


def file_case(id: str, files: dict[str, Extract], rule: str | None, **expect) -> Case:
    return Case(id, files, rule, family="file", **expect)


def refused(id: str, name: str, extract: Extract, rule: str, value: str | None) -> Case:
    """A file refused as a whole: one error, for the file, and no row kept."""
    return file_case(id, {name: extract}, rule, value=value, kept=0)


CONFIG_HEAD = "name: Corpus\ndata_dir: .\n"


def config_case(id: str, text: str, rule: str, value: str | None = None, **expect) -> Case:
    """An ``evaluation.yml`` refused by :func:`load_config` with its key path and value."""
    return Case(
        id,
        {PARTICIPANTS: participants()},
        rule,
        value=value,
        config=text,
        config_error=True,
        family="config",
        **expect,
    )


def qual_case(id: str, files: dict[str, Extract], rule: str | None, **expect) -> Case:
    return Case(id, files, rule, family="qualitative", **expect)


CODEBOOK = "qual/codebook.csv"
CODINGS = "qual/codings.csv"
CMOCS = "qual/cmocs.csv"
SOURCES = "qual/sources.csv"


def codebook(*records: str) -> Extract:
    return csv_file(CB_COLUMNS, records)


def codings(*texts: str) -> dict[str, Extract]:
    """Sources, a codebook and one coding per excerpt text (quoted as Excel writes it)."""
    rows = [f'K{i},S1,C1,"{t.replace(chr(34), chr(34) * 2)}"' for i, t in enumerate(texts, 1)]
    return {
        SOURCES: csv_file(SRC_COLUMNS, ["S1,Interview 1,interview,commissioner"]),
        CODEBOOK: codebook("C1,Context,context,,Circumstances"),
        CODINGS: csv_file(CODING_COLUMNS, rows),
    }


def cmoc(filter: str = "", outcome: str = "wemwbs_change", status: str = "initial") -> dict:
    record = f'CM1,PT1 peer support,c,mr,mre,o,{status},"{filter}",{outcome}'
    return {PARTICIPANTS: participants(), CMOCS: csv_file(CMOC_COLUMNS, [record])}


DATE_WINDOW = "date outside the plausible range"
SPREADSHEET_ERROR = "spreadsheet error value"

FILE_CASES = [
    # --- empty and not-a-table files
    refused("csv 0 bytes", PARTICIPANTS, raw(b"", 0), "empty file", None),
    refused(
        "csv only a byte-order mark", PARTICIPANTS, raw(b"\xef\xbb\xbf", 0), "empty file", None
    ),
    refused("csv only blank lines", PARTICIPANTS, raw(b"\n\r\n  \n", 0), "empty file", None),
    file_case(
        "csv header only",
        {PARTICIPANTS: csv_file(P_COLUMNS, [])},
        "no data rows",
        severity="warning",
        kept=0,
    ),
    refused("xlsx 0 bytes", PARTICIPANTS_XLSX, raw(b"", 0), "empty file", None),
    refused(
        "xlsx that is a CSV",
        PARTICIPANTS_XLSX,
        raw(b"client_id,site\nA1,North\n", unreadable=True),
        "not an Excel workbook (.xlsx): the file is a text file",
        "24 bytes",
    ),
    refused(
        "xlsx that is an xls",
        PARTICIPANTS_XLSX,
        raw(b"\xd0\xcf\x11\xe0" + b"\0" * 600, unreadable=True),
        "Excel 97-2003 workbook",
        "604 bytes",
    ),
    refused(
        "xlsx that is a PDF",
        PARTICIPANTS_XLSX,
        raw(b"%PDF-1.4\n" + b"x" * 91, unreadable=True),
        "the file is a PDF document",
        "100 bytes",
    ),
    refused(
        "xlsx truncated to half",
        PARTICIPANTS_XLSX,
        raw(GOOD_WORKBOOK[: len(GOOD_WORKBOOK) // 2], unreadable=True),
        "the workbook is damaged or incomplete",
        f"{len(GOOD_WORKBOOK) // 2:,} bytes",
    ),
    refused(
        "xlsx truncated by one byte",
        PARTICIPANTS_XLSX,
        raw(GOOD_WORKBOOK[:-1], unreadable=True),
        "the workbook is damaged or incomplete",
        f"{len(GOOD_WORKBOOK) - 1:,} bytes",
    ),
    refused(
        "xlsx that is another zip",
        PARTICIPANTS_XLSX,
        raw(_zip_without_workbook(), unreadable=True),
        "the workbook is damaged or incomplete and cannot be opened",
        "KeyError",
    ),
    refused(
        "csv that is an HTML error page",
        PARTICIPANTS,
        raw(b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", 0),
        "a web page or XML document (HTML)",
        "<!DOCTYPE html><html><body>502 Bad Gatew",
    ),
    refused(
        "csv that is HTML after blank lines",
        PARTICIPANTS,
        raw(b"\n\n  <html><table><tr><td>A1</td></tr></table></html>", 0),
        "a web page or XML document (HTML)",
        "<html><table><tr><td>A1</td></tr></table",
    ),
    refused(
        "csv that is XML",
        PARTICIPANTS,
        raw(b'<?xml version="1.0"?><rows/>', 0),
        "a web page or XML document",
        '<?xml version="1.0"?><rows/>',
    ),
    refused(
        "csv that is binary",
        PARTICIPANTS,
        raw(bytes(range(256)) * 20, 0),
        "not a CSV: the file is binary data",
        "5,120 bytes",
    ),
    refused(
        "csv that is a zip",
        PARTICIPANTS,
        raw(b"PK\x03\x04" + b"\0" * 60, 0),
        "an Excel workbook (.xlsx) or another zip file",
        "64 bytes",
    ),
    refused(
        "csv that is a real workbook",
        PARTICIPANTS,
        raw(GOOD_WORKBOOK, unreadable=True),
        "an Excel workbook (.xlsx) or another zip file",
        f"{len(GOOD_WORKBOOK):,} bytes",
    ),
    refused(
        "csv that is an xls",
        PARTICIPANTS,
        raw(b"\xd0\xcf\x11\xe0" + b"\0" * 96, unreadable=True),
        "Excel 97-2003 workbook",
        "100 bytes",
    ),
    refused(
        "csv that is a PDF",
        PARTICIPANTS,
        raw(b"%PDF-1.7 " + b"y" * 41, unreadable=True),
        "not a CSV: the file is a PDF document",
        "50 bytes",
    ),
    # --- another delimiter, encoding or a title: one message naming the cause, rows read
    file_case(
        "semicolon delimiter",
        {PARTICIPANTS: participants(p_row(";"), p_row(";", client_id="A2"), sep=";")},
        "this file uses semicolons",
        value=";",
        severity="warning",
        kept=2,
        quarantined=0,
    ),
    file_case(
        "tab delimiter",
        {PARTICIPANTS: participants(p_row("\t"), sep="\t")},
        "this file uses tabs",
        value="\t",
        severity="warning",
        kept=1,
    ),
    file_case(
        "vertical bar delimiter",
        {PARTICIPANTS: participants(p_row("|"), sep="|")},
        "vertical bars",
        value="|",
        severity="warning",
        kept=1,
    ),
    file_case(
        "semicolon file with a decimal comma",
        {
            PARTICIPANTS: participants(),
            MEASURES: csv_file(M_COLUMNS, ["A1;baseline;2026-01-10;weight_kg;72,5"], sep=";"),
        },
        "wrong type",
        file=MEASURES,
        row=2,
        column="value (weight_kg)",
        value="72,5",
        kept=1,
    ),
    file_case(
        "semicolon delimiter with an error row",
        {
            PARTICIPANTS: participants(
                p_row(";"), p_row(";", client_id="A2", imd_decile="11"), sep=";"
            )
        },
        "out of range (1 to 10)",
        row=3,
        column="imd_decile",
        value="11",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "UTF-16 with byte-order mark",
        {PARTICIPANTS: participants(p_row(), p_row(client_id="A2"), encoding="utf-16")},
        "file is UTF-16",
        value="utf-16",
        severity="warning",
        kept=2,
    ),
    file_case(
        "UTF-16 little-endian without mark",
        {PARTICIPANTS: participants(encoding="utf-16-le")},
        "file is UTF-16",
        value="utf-16-le",
        severity="warning",
        kept=1,
    ),
    file_case(
        "UTF-16 big-endian without mark",
        {PARTICIPANTS: participants(encoding="utf-16-be")},
        "file is UTF-16",
        value="utf-16-be",
        severity="warning",
        kept=1,
    ),
    file_case(
        "UTF-16 tab-delimited (Excel Unicode Text)",
        {PARTICIPANTS: participants(p_row("\t"), sep="\t", encoding="utf-16")},
        "this file uses tabs",
        value="\t",
        severity="warning",
        kept=1,
    ),
    file_case(
        "UTF-16 with an error row",
        {PARTICIPANTS: participants(p_row(sex="F"), encoding="utf-16")},
        "value outside allowed set",
        row=2,
        column="sex",
        value="F",
        quarantined=1,
    ),
    file_case(
        "Windows-1252",
        {PARTICIPANTS: participants(p_row(site="Caf\u00e9"), encoding="cp1252")},
        "file is not UTF-8: read as Windows-1252",
        value="cp1252",
        severity="warning",
        kept=1,
    ),
    file_case(
        "mixed encodings",
        {
            PARTICIPANTS: raw(
                (",".join(P_COLUMNS) + "\n" + p_row(site="Caf\u00e9") + "\n").encode()
                + p_row(client_id="A2", site="Caf\u00e9").encode("cp1252")
                + b"\n",
                2,
            )
        },
        "file mixes encodings: line(s) 2 are UTF-8, line(s) 3 Windows-1252",
        value="utf-8 + cp1252",
        severity="warning",
        kept=2,
    ),
    file_case(
        "one title line above the header",
        {PARTICIPANTS: participants(above=["Extract run 31/03/2026"])},
        "the header is on row 2: 1 title line(s)",
        row=2,
        value="Extract run 31/03/2026",
        severity="warning",
        kept=1,
    ),
    file_case(
        "title lines and a blank line above the header",
        {PARTICIPANTS: participants(p_row(), p_row(client_id="A2"), above=["Report", "Q1", ""])},
        "the header is on row 4: 2 title line(s)",
        row=4,
        value="Report",
        severity="warning",
        kept=2,
    ),
    file_case(
        "title line above the header, error row below",
        {PARTICIPANTS: participants(p_row(imd_decile="0"), above=["Title"])},
        "out of range (1 to 10)",
        row=3,
        column="imd_decile",
        value="0",
        quarantined=1,
    ),
    file_case(
        "title line and semicolons",
        {PARTICIPANTS: participants(p_row(";"), above=["Title"], sep=";")},
        "the header is on row 2",
        row=2,
        value="Title",
        severity="warning",
        kept=1,
    ),
    file_case(
        "no recognised column names",
        {PARTICIPANTS: csv_file(["foo", "bar", "baz"], ["1,2,3", "4,5,6"])},
        "no recognised column names",
        row=1,
        value="foo, bar, baz",
        kept=0,
        quarantined=2,
    ),
    file_case(
        "header in the wrong language of delimiter",
        {PARTICIPANTS: csv_file("client id:site:provider", ["A1:North:Trust"])},
        "no recognised column names",
        row=1,
        value="client id:site:provider",
        kept=0,
        quarantined=1,
    ),
    *[
        file_case(
            f"{what}, 300 rows: one message",
            {
                PARTICIPANTS: participants(
                    *[p_row(sep, client_id=f"A{i}") for i in range(300)],
                    sep=sep,
                    encoding=encoding,
                    above=above,
                )
            },
            rule,
            row=row,
            value=value,
            severity="warning",
            kept=300,
            quarantined=0,
            issues=1,
        )
        for what, sep, encoding, above, rule, row, value in (
            ("semicolons", ";", "utf-8", (), "this file uses semicolons", None, ";"),
            ("tabs", "\t", "utf-8", (), "this file uses tabs", None, "\t"),
            ("UTF-16", ",", "utf-16", (), "file is UTF-16", None, "utf-16"),
            (
                "title lines",
                ",",
                "utf-8",
                ("Extract", "run by BI"),
                "the header is on row 3",
                3,
                "Extract",
            ),
        )
    ],
    file_case(
        "xlsx Read me first sheet, 300 rows: one message",
        {
            PARTICIPANTS_XLSX: xlsx_file(
                {
                    "Read me": [["About this extract"], ["It has one sheet of data"]],
                    "Data": [P_COLUMNS, *[p_cells(client_id=f"A{i}") for i in range(300)]],
                },
                read=["Data"],
            )
        },
        "read sheet 'Data' as participants",
        file=f"{PARTICIPANTS_XLSX} [sheet Data]",
        value="Data",
        severity="warning",
        kept=300,
        issues=1,
    ),
    file_case(
        "a header nobody recognises, 300 rows: one message",
        {PARTICIPANTS: csv_file(["Ref", "Town", "Seen"], [f"N{i},York,yes" for i in range(300)])},
        "no recognised column names",
        row=1,
        value="Ref, Town, Seen",
        kept=0,
        quarantined=300,
        issues=1,
    ),
    file_case(
        "Excel's sep= line above the header",
        {PARTICIPANTS: participants(p_row(";"), above=["sep=;"], sep=";")},
        "the header is on row 2: 1 title line(s)",
        row=2,
        value="sep=",
        severity="warning",
        kept=1,
    ),
    file_case(
        "every line padded with 2000 commas (Excel's used range)",
        {
            PARTICIPANTS: csv_file(
                ",".join(P_COLUMNS) + "," * 2000,
                [p_row(client_id=f"A{i}") + "," * 2000 for i in range(3)],
            )
        },
        None,
        kept=3,
        quarantined=0,
        issues=0,
    ),
    # --- workbooks
    file_case(
        "xlsx title lines above the header",
        {PARTICIPANTS_XLSX: participants_xlsx(above=[["Report title"], []])},
        "the header is on row 3",
        row=3,
        value="Report title",
        severity="warning",
        kept=1,
    ),
    file_case(
        "xlsx Read me first sheet",
        {
            PARTICIPANTS_XLSX: xlsx_file(
                {"Read me": [["This extract holds"], ["one row"]], "Data": [P_COLUMNS, p_cells()]},
                read=["Data"],
            )
        },
        "read sheet 'Data' as participants: the first sheet 'Read me' holds no participants "
        "column names and was not read",
        file=f"{PARTICIPANTS_XLSX} [sheet Data]",
        value="Data",
        severity="warning",
        kept=1,
    ),
    file_case(
        "xlsx Read me sheet beside a participants sheet",
        {
            PARTICIPANTS_XLSX: xlsx_file(
                {"Read me": [["Notes"]], "participants": [P_COLUMNS, p_cells()]},
                read=["participants"],
            )
        },
        "sheet 'Read me' was not read",
        file=f"{PARTICIPANTS_XLSX} [sheet participants]",
        value="Read me",
        severity="warning",
        kept=1,
    ),
    file_case(
        "xlsx second data sheet",
        {
            PARTICIPANTS_XLSX: xlsx_file(
                {"Sheet1": [P_COLUMNS, p_cells()], "Sheet2": [P_COLUMNS, p_cells(client_id="A2")]}
            )
        },
        "sheet 'Sheet2' was not read",
        file=f"{PARTICIPANTS_XLSX} [sheet Sheet1]",
        value="Sheet2",
        severity="warning",
        kept=1,
    ),
    file_case(
        "xlsx template sheets and a notes sheet",
        {
            "extracts/t.xlsx": xlsx_file(
                {
                    "participants": [P_COLUMNS, p_cells(), p_cells(client_id="A2")],
                    "measures": [M_COLUMNS, M_GOOD],
                    "Notes": [["remember"]],
                },
                read=["participants", "measures"],
            )
        },
        "sheet 'Notes' was not read",
        file="extracts/t.xlsx [sheet participants]",
        value="Notes",
        severity="warning",
        kept=3,
    ),
    file_case(
        "xlsx formula without a saved result",
        {PARTICIPANTS_XLSX: participants_xlsx(p_cells(), p_cells(client_id="A2", contacts="=2+3"))},
        "formula without a saved result",
        row=3,
        column="contacts",
        value="=2+3",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "xlsx formula in a date cell",
        {PARTICIPANTS_XLSX: participants_xlsx(p_cells(referral_date="=DATE(2026,1,5)"))},
        "formula without a saved result",
        row=2,
        column="referral_date",
        value="=DATE(2026,1,5)",
        quarantined=1,
    ),
    file_case(
        "xlsx blank row, then an error row",
        {
            PARTICIPANTS_XLSX: participants_xlsx(
                p_cells(), [None] * 15, p_cells(client_id="A2", sex="x")
            )
        },
        "value outside allowed set",
        row=4,
        column="sex",
        value="x",
        kept=1,
        quarantined=1,
        note="1 blank row(s) skipped",
    ),
    file_case(
        "xlsx with only a Read me sheet",
        {PARTICIPANTS_XLSX: xlsx_file({"Read me": [["nothing here"]]}, read=[])},
        "no recognised column names",
        row=1,
        kept=0,
        quarantined=0,
        value="nothing here",
    ),
    # --- rows the header cannot line up
    file_case(
        "unmatched quote in the first record",
        {PARTICIPANTS: participants('"A1,Trust,North', p_row(client_id="A2"))},
        "unclosed quotation mark",
        row=2,
        value='"',
        kept=0,
        quarantined=2,
    ),
    file_case(
        "unmatched quote after a blank line",
        {PARTICIPANTS: participants(p_row(), "", p_row(client_id='"A3'), p_row(client_id="A4"))},
        "unclosed quotation mark",
        row=4,
        value='"',
        kept=0,
        quarantined=3,
    ),
    file_case(
        "unmatched quote in the last record",
        {PARTICIPANTS: participants(p_row(), p_row(client_id="A2", site='"North'))},
        "unclosed quotation mark",
        row=3,
        value='"',
        kept=0,
        quarantined=2,
    ),
    file_case(
        "unmatched quote after a value holding a line separator",
        {
            PARTICIPANTS: participants(
                p_row(site="No\u2028rth"), '"A2,Trust', "A3,x", newline="\r\n"
            )
        },
        "unclosed quotation mark",
        row=3,
        value='"',
        kept=0,
        quarantined=3,
    ),
    file_case(
        "unquoted comma in a site",
        {PARTICIPANTS: participants(p_row(), p_row(client_id="A2", site="North, East"))},
        "more values than columns",
        row=3,
        value="16 values for 15 columns",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "unquoted comma in a measure value",
        {PARTICIPANTS: participants(), MEASURES: measures("A1,baseline,2026-01-10,weight_kg,72,5")},
        "more values than columns",
        file=MEASURES,
        row=2,
        value="6 values for 5 columns",
        kept=1,
    ),
    file_case(
        "quoted comma is fine, next row wrong",
        {PARTICIPANTS: participants(p_row(site='"North, East"'), p_row(client_id="A2", age="200"))},
        "out of range (16 to 110)",
        row=3,
        column="age",
        value="200",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "a line with thousands of commas",
        {PARTICIPANTS: participants(p_row() + "," * 5000)},
        "empty cells beyond the last column ignored",
        row=2,
        value="5,015 cells",
        severity="warning",
        kept=1,
    ),
    file_case(
        "a line with thousands of values",
        {PARTICIPANTS: participants(p_row(), p_row(client_id="A2") + ",x" * 3000)},
        "more values than columns",
        row=3,
        value="3015 values for 15 columns",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "duplicate header after normalising, different values",
        {PARTICIPANTS: csv_file([*P_COLUMNS, "Client ID"], [p_row() + ",B9"])},
        "duplicate column client_id: columns A and P",
        row=1,
        column="client_id",
        value="client_id",
        kept=0,
        quarantined=1,
    ),
    file_case(
        "duplicate header after normalising, same values",
        {PARTICIPANTS: csv_file([*P_COLUMNS, " SITE "], [p_row() + ",North"])},
        "column site appears 2 times",
        row=1,
        column="site",
        value="site",
        severity="warning",
        kept=1,
    ),
    file_case(
        "duplicate unknown column",
        {PARTICIPANTS: csv_file([*P_COLUMNS, "notes", "Notes"], [p_row() + ",a,b"])},
        "column notes appears 2 times",
        row=1,
        column="notes",
        value="notes",
        severity="warning",
        kept=1,
    ),
    file_case(
        "values in a column without a name",
        {PARTICIPANTS: csv_file([P_COLUMNS[0], "", *P_COLUMNS[1:]], ["A1,stray," + p_row()[3:]])},
        "column B has values but no name",
        row=1,
        column="B",
        value="stray",
        severity="warning",
        kept=1,
    ),
    # --- blank rows: not counted, and the row numbers after them stay right
    file_case(
        "trailing ,,,, rows",
        {PARTICIPANTS: participants(p_row(), "," * 14, "," * 14, "," * 14)},
        None,
        kept=1,
        quarantined=0,
        note="3 blank row(s) skipped",
    ),
    file_case(
        ",,,, rows between records",
        {PARTICIPANTS: participants(p_row(), "," * 14, p_row(client_id="A2", imd_decile="x"))},
        "wrong type",
        row=4,
        column="imd_decile",
        value="x",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "error row after a blank line",
        {PARTICIPANTS: participants(p_row(), "", p_row(client_id="A2", imd_decile="11"))},
        "out of range (1 to 10)",
        row=4,
        column="imd_decile",
        value="11",
        kept=1,
        quarantined=1,
        note="1 blank row(s) skipped",
    ),
    file_case(
        "error row after two blank lines",
        {PARTICIPANTS: participants("", p_row(), "  ", p_row(client_id="A2", sex="M"))},
        "value outside allowed set",
        row=5,
        column="sex",
        value="M",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "error row after a blank line, Windows line ends",
        {PARTICIPANTS: participants(p_row(), "", p_row(client_id="A2", age="7"), newline="\r\n")},
        "out of range (16 to 110)",
        row=4,
        column="age",
        value="7",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "error row after a blank line, old Mac line ends",
        {PARTICIPANTS: participants(p_row(), "", p_row(client_id="A2", age="7"), newline="\r")},
        "out of range (16 to 110)",
        row=4,
        column="age",
        value="7",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "error row after a value holding a line break",
        {
            PARTICIPANTS: participants(
                p_row(site='"North\nEast"'), "", p_row(client_id="A2", contacts="-1")
            )
        },
        "out of range (0 to 500)",
        row=4,
        column="contacts",
        value="-1",
        kept=1,
        quarantined=1,
    ),
    file_case(
        "blank lines in a measures file",
        {
            PARTICIPANTS: participants(),
            MEASURES: measures(_csv_line(M_GOOD), "", "", "A1,exit,2026-03-01,wemwbs_01,6"),
        },
        "out-of-range item value (1 to 5)",
        file=MEASURES,
        row=5,
        column="value (wemwbs_01)",
        value="6",
        kept=1,
    ),
    # --- folders and files validation does not read
    file_case(
        "a folder named like a CSV",
        {PARTICIPANTS: FOLDER, MEASURES: measures()},
        "a folder named like an extract, not a file",
        value="t_participants.csv/",
    ),
    file_case(
        "a folder named like a workbook",
        {PARTICIPANTS_XLSX: FOLDER, "extracts/t_participants.xlsx/inner.csv": raw(b"x")},
        "a folder named like an extract, not a file",
        value="t_participants.xlsx/",
    ),
    file_case(
        "a file in a subfolder",
        {PARTICIPANTS: participants(), "extracts/old/t_measures.csv": measures()},
        "file in a subfolder of extracts/ is not read",
        file="extracts/old/t_measures.csv",
        value="t_measures.csv",
        severity="warning",
    ),
    file_case(
        "a file two subfolders down",
        {PARTICIPANTS: participants(), "extracts/a/b/t_measures.csv": measures()},
        "file in a subfolder of extracts/ is not read",
        file="extracts/a/b/t_measures.csv",
        value="t_measures.csv",
        severity="warning",
    ),
    file_case(
        "only files in a subfolder",
        {"extracts/2026/t_participants.csv": participants()},
        "nothing to validate",
        file="extracts/",
    ),
    file_case("no recognised extract", {}, "nothing to validate", file="extracts/"),
    file_case("right after evalkit init", {}, "nothing to validate", file="extracts/", init=True),
    file_case(
        "only a file of an unknown table",
        {"extracts/t_notes.csv": raw(b"a\n1\n")},
        "nothing to validate",
        file="extracts/",
    ),
    file_case(
        "an .xls file",
        {PARTICIPANTS: participants(), "extracts/t_measures.xls": raw(b"\xd0\xcf\x11\xe0")},
        "not an extract: an Excel 97-2003 workbook (.xls) is not read",
        file="extracts/t_measures.xls",
        value="t_measures.xls",
        severity="warning",
    ),
    file_case(
        "a .txt file",
        {PARTICIPANTS: participants(), "extracts/t_measures.txt": raw(b"x")},
        "not an extract: a .txt file is not read",
        file="extracts/t_measures.txt",
        value="t_measures.txt",
        severity="warning",
    ),
    file_case(
        "a qualitative file of an unknown table",
        {PARTICIPANTS: participants(), "qual/quotes.csv": raw(b"a\n1\n")},
        "unknown file",
        file="qual/quotes.csv",
        value="quotes.csv",
        severity="warning",
    ),
]

DATE_COLUMNS = ("referral_date", "start_date", "end_date")
IMPLAUSIBLE_DATES = (
    "0025-01-05",
    "1900-01-01",
    "1899-12-31",
    "2099-12-31",
    "9999-12-31",
    "01/01/1900",
    "31/12/2099",
)
INVISIBLE = {
    "\u200b": "U+200B zero-width space",
    "\u200c": "U+200C zero-width non-joiner",
    "\u200d": "U+200D zero-width joiner",
    "\ufeff": "U+FEFF byte-order mark",
    "\u00ad": "U+00AD soft hyphen",
    "\u00a0": "U+00A0 no-break space",
    "\u200e": "U+200E left-to-right mark",
    "\u2060": "U+2060 word joiner",
}
SPREADSHEET_ERRORS = ("#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!")


def p_case(id: str, rule: str | None, column: str | None, value: str | None, **changes) -> Case:
    """One participants record with ``changes``; the issue is on row 2."""
    expect = {"quarantined": 1} if rule else {"kept": 1}
    return Case(
        id,
        {PARTICIPANTS: participants(p_row(**changes))},
        rule,
        row=2 if rule else None,
        column=column,
        value=value,
        **expect,
    )


def m_case(
    id: str, rule: str | None, column: str | None, value: str | None, *records: str, row: int = 2
) -> Case:
    """The good participant and ``records`` of a measures file; the issue is in the measures."""
    return Case(
        id,
        {MEASURES: measures(*records), PARTICIPANTS: participants()},
        rule,
        row=row if rule else None,
        column=column,
        value=value,
        **({} if rule else {"quarantined": 0}),
    )


FIELD_CASES = [
    *[
        p_case(f"{column} {date}", DATE_WINDOW, column, date, **{column: date})
        for column in DATE_COLUMNS
        for date in IMPLAUSIBLE_DATES
    ],
    p_case(
        "referral date in 2000 is accepted",
        None,
        None,
        None,
        referral_date="2000-01-01",
        start_date="",
        end_date="",
    ),
    p_case(
        "impossible date", "wrong type", "referral_date", "2026-02-30", referral_date="2026-02-30"
    ),
    p_case("impossible UK date", "wrong type", "start_date", "31/02/2026", start_date="31/02/2026"),
    p_case("two-digit year", "wrong type", "referral_date", "5/1/26", referral_date="5/1/26"),
    p_case("Excel serial far ahead", DATE_WINDOW, "referral_date", "99999", referral_date="99999"),
    p_case("date as words", "wrong type", "referral_date", "5th Jan", referral_date="5th Jan"),
    p_case(
        "end before referral with blank start",
        "end_date is on or after referral_date",
        "end_date",
        "2025-12-01",
        start_date="",
        end_date="2025-12-01",
    ),
    p_case(
        "end before start",
        "end_date is on or after start_date",
        "end_date",
        "2026-01-07",
        end_date="2026-01-07",
    ),
    p_case(
        "start before referral",
        "start_date is on or after referral_date",
        "start_date",
        "2026-01-01",
        start_date="2026-01-01",
    ),
    p_case(
        "month-first dates",
        "dates look month-first",
        "referral_date",
        "01/13/2026",
        referral_date="01/13/2026",
        start_date="",
        end_date="",
    ),
    *[
        Case(
            f"{nan} site",
            {PARTICIPANTS: participants(p_row(site=nan))},
            "NaN read as blank",
            row=2,
            column="site",
            value=nan,
            severity="warning",
            quarantined=1,
        )
        for nan in ("NaN", "nan", "-nan")
    ],
    *[
        p_case(f"{error} {column}", SPREADSHEET_ERROR, column, error, **{column: error})
        for error in SPREADSHEET_ERRORS
        for column in ("site", "provider")
    ],
    p_case("#N/A client_id", SPREADSHEET_ERROR, "client_id", "#N/A", client_id="#N/A"),
    p_case("#VALUE! contacts", SPREADSHEET_ERROR, "contacts", "#VALUE!", contacts="#VALUE!"),
    p_case("#N/A referral date", SPREADSHEET_ERROR, "referral_date", "#N/A", referral_date="#N/A"),
    *[
        p_case(
            f"site with {name}",
            f"invisible character in value ({name})",
            "site",
            f"North{character}East",
            site=f"North{character}East",
        )
        for character, name in INVISIBLE.items()
    ],
    p_case(
        "zero-width space inside a category",
        "invisible character",
        "sex",
        "fe\u200bmale",
        sex="fe\u200bmale",
    ),
    p_case("NUL byte in a site", "NUL character in value", "site", "No\u2400rth", site="No\x00rth"),
    p_case(
        "NUL byte in client_id",
        "NUL character in value",
        "client_id",
        "A\u24001",
        client_id="A\x001",
    ),
    p_case(
        "huge integer contacts",
        "number too large for a whole number",
        "contacts",
        "99999999999999999999999",
        contacts="99999999999999999999999",
    ),
    p_case("huge integer age", "number too large", "age", "1e30", age="1e30"),
    p_case("infinite imd_decile", "number too large", "imd_decile", "inf", imd_decile="inf"),
    p_case("fractional decile", "wrong type", "imd_decile", "1.5", imd_decile="1.5"),
    p_case("word for a number", "wrong type", "contacts", "five", contacts="five"),
    p_case("decile 11", "out of range (1 to 10)", "imd_decile", "11", imd_decile="11"),
    p_case("negative age", "out of range (16 to 110)", "age", "-3", age="-3"),
    p_case("sex outside the set", "value outside allowed set", "sex", "F", sex="F"),
    p_case(
        "strand outside the set",
        "value outside allowed set",
        "strands",
        "wellbeing;yoga",
        strands="wellbeing;yoga",
    ),
    p_case("blank required site", "required value is blank", "site", None, site=""),
    p_case("N/A in a required column", "required value is blank", "provider", None, provider="N/A"),
    m_case(
        "measure 200 days before referral",
        "measure dated more than 90 days before",
        "date",
        "2025-06-19",
        "A1,baseline,2025-06-19,wemwbs_01,4",
    ),
    m_case(
        "measure 91 days before referral",
        "measure dated more than 90 days before",
        "date",
        "2025-10-05",
        "A1,baseline,2025-10-05,wemwbs_01,4",
    ),
    m_case(
        "measure 90 days before referral is accepted",
        None,
        None,
        None,
        "A1,baseline,2025-10-07,wemwbs_01,4",
    ),
    m_case(
        "measure dated 2099",
        DATE_WINDOW,
        "date",
        "2099-01-01",
        "A1,baseline,2099-01-01,wemwbs_01,4",
    ),
    m_case(
        "measure dated year 0025",
        DATE_WINDOW,
        "date",
        "0025-01-10",
        "A1,baseline,0025-01-10,wemwbs_01,4",
    ),
    m_case(
        "month-first measure dates",
        "dates look month-first",
        "date",
        "01/20/2026",
        "A1,baseline,01/20/2026,wemwbs_01,4",
        "A1,exit,03/01/2026,wemwbs_01,4",
    ),
    m_case(
        "follow-up before baseline",
        "follow-up dated before baseline",
        "date",
        "2026-01-09",
        _csv_line(M_GOOD),
        "A1,exit,2026-01-09,wemwbs_01,4",
        row=3,
    ),
    m_case(
        "out-of-range item",
        "out-of-range item value (1 to 5)",
        "value (wemwbs_01)",
        "9",
        "A1,baseline,2026-01-10,wemwbs_01,9",
    ),
    m_case(
        "infinite weight",
        "out-of-range item value",
        "value (weight_kg)",
        "1e400",
        "A1,baseline,2026-01-10,weight_kg,1e400",
    ),
    m_case(
        "#DIV/0! measure value",
        SPREADSHEET_ERROR,
        "value (wemwbs_01)",
        "#DIV/0!",
        "A1,baseline,2026-01-10,wemwbs_01,#DIV/0!",
    ),
    m_case(
        "NUL byte in a measure name",
        "NUL character",
        "measure",
        "wemwbs\u240001",
        "A1,baseline,2026-01-10,wemwbs\x0001,4",
    ),
    m_case(
        "unknown client",
        "client_id not found in participants",
        "client_id",
        "Z9",
        "Z9,baseline,2026-01-10,wemwbs_01,4",
    ),
    m_case(
        "duplicate measure",
        "one value per client, timepoint and measure",
        "measure",
        "wemwbs_01",
        _csv_line(M_GOOD),
        _csv_line(M_GOOD),
    ),
    m_case(
        "unknown timepoint",
        "value outside allowed set",
        "timepoint",
        "week_4",
        "A1,week_4,2026-01-10,wemwbs_01,4",
    ),
    Case(
        "measures without timepoint",
        {
            MEASURES: csv_file(
                ["client_id", "date", "measure", "value"],
                ["A1,2026-01-10,wemwbs_01,4", "A1,2026-03-01,wemwbs_01,5"],
            ),
            PARTICIPANTS: participants(),
        },
        "missing required column",
        row=1,
        column="timepoint",
        value="(column absent)",
        kept=0,
        quarantined=2,
    ),
    Case(
        "measures without date",
        {
            MEASURES: csv_file(
                ["client_id", "timepoint", "measure", "value"], ["A1,baseline,wemwbs_01,4"]
            ),
            PARTICIPANTS: participants(),
        },
        "missing required column",
        row=1,
        column="date",
        value="(column absent)",
        quarantined=1,
    ),
    Case(
        "participants without referral_date",
        {
            PARTICIPANTS: csv_file(
                [c for c in P_COLUMNS if c != "referral_date"],
                [",".join(v for k, v in P_GOOD.items() if k != "referral_date")],
            )
        },
        "missing required column",
        row=1,
        column="referral_date",
        value="(column absent)",
        quarantined=1,
    ),
    *[
        Case(
            f"misspelt item column {name}",
            {
                PARTICIPANTS: participants(),
                WELLBEING: csv_file(
                    ["client_id", "timepoint", "date", "wemwbs_01", name],
                    ["A1,baseline,2026-01-10,4,3", "A1,exit,2026-03-01,5,"],
                ),
            },
            f"misspelt item column (did you mean {meant}?)",
            file=WELLBEING,
            row=1,
            column=name.lower(),  # column names are reported as read: case and spaces aside
            value=name.lower(),
            quarantined=0,
        )
        for name, meant in (
            ("wembws_02", "wemwbs_02"),
            ("wemwbs02", "wemwbs_02"),
            ("WEMWBS-03", "wemwbs_03"),
            ("ons4_hapiness", "ons4_happiness"),
        )
    ],
    Case(
        "wide file row held back by a misspelt item",
        {
            PARTICIPANTS: participants(),
            WELLBEING: csv_file(W_COLUMNS[:3] + ["wembws_02"], ["A1,baseline,2026-01-10,3"]),
        },
        "misspelt item column",
        file=WELLBEING,
        row=1,
        column="wembws_02",
        value="wembws_02",
    ),
    Case(
        "wide file with an out-of-range item",
        {
            PARTICIPANTS: participants(),
            WELLBEING: csv_file(
                W_COLUMNS, ["A1,baseline,2026-01-10,4,3", "", "A1,exit,2026-03-01,7,3"]
            ),
        },
        "out-of-range item value (1 to 5)",
        file=WELLBEING,
        row=4,
        column="value (wemwbs_01)",
        value="7",
    ),
    Case(
        "xlsx #N/A site",
        {PARTICIPANTS_XLSX: participants_xlsx(p_cells(site="#N/A"))},
        SPREADSHEET_ERROR,
        row=2,
        column="site",
        value="#N/A",
        quarantined=1,
    ),
    Case(
        "xlsx zero-width space in a site",
        {PARTICIPANTS_XLSX: participants_xlsx(p_cells(site="\u200bNorth"))},
        "zero-width space",
        row=2,
        column="site",
        value="\u200bNorth",
        quarantined=1,
    ),
    Case(
        "xlsx date cell in 1900",
        {
            PARTICIPANTS_XLSX: participants_xlsx(
                p_cells(referral_date=pd.Timestamp("1900-01-01").to_pydatetime())
            )
        },
        DATE_WINDOW,
        row=2,
        column="referral_date",
        value="1900-01-01",
        quarantined=1,
    ),
    Case(
        "xlsx date cell in 2099",
        {
            PARTICIPANTS_XLSX: participants_xlsx(
                p_cells(end_date=pd.Timestamp("2099-12-31").to_pydatetime())
            )
        },
        DATE_WINDOW,
        row=2,
        column="end_date",
        value="2099-12-31",
        quarantined=1,
    ),
    Case(
        "xlsx huge number",
        {PARTICIPANTS_XLSX: participants_xlsx(p_cells(contacts=1e20))},
        "number too large",
        row=2,
        column="contacts",
        value="1e+20",
        quarantined=1,
    ),
]

CONFIG_CASES = [
    config_case(
        "disclosure key misspelt",
        CONFIG_HEAD + "disclosure: {treshold: 3}\n",
        "disclosure.treshold: unknown setting (did you mean 'threshold'?)",
    ),
    *[
        config_case(
            f"threshold {n}",
            CONFIG_HEAD + f"disclosure: {{threshold: {n}}}\n",
            "disclosure.threshold: expected at least 5",
            f"got {n}",
        )
        for n in (0, -5, 1, 4)
    ],
    config_case(
        "threshold text",
        CONFIG_HEAD + "disclosure: {threshold: abc}\n",
        "disclosure.threshold: expected a whole number",
        "'abc'",
    ),
    config_case(
        "round_to 0", CONFIG_HEAD + "disclosure: {round_to: 0}\n", "disclosure.round_to", "got 0"
    ),
    config_case(
        "sites as a string",
        CONFIG_HEAD + "sites: North\n",
        "sites: expected a list of site names",
        "'North'",
    ),
    config_case(
        "site listed twice", CONFIG_HEAD + "sites: [North, North]\n", "site 'North' is listed twice"
    ),
    config_case(
        "period not YYYY-Qn",
        CONFIG_HEAD + "periods: [2026-Q5]\n",
        "periods[0]: expected a calendar quarter",
        "'2026-Q5'",
    ),
    config_case(
        "period as a date",
        CONFIG_HEAD + "periods: [2026-01-01]\n",
        "periods[0]: expected a calendar quarter",
    ),
    config_case(
        "provider without a slug",
        CONFIG_HEAD + "providers: [{name: Trust}]\n",
        "providers[0].slug: required setting is missing",
    ),
    config_case(
        "provider slug with spaces",
        CONFIG_HEAD + "providers: [{name: T, slug: North T}]\n",
        "providers[0].slug: expected the file-name prefix",
        "'North T'",
    ),
    config_case(
        "provider slug twice",
        CONFIG_HEAD + "providers: [{name: T, slug: t}, {name: U, slug: t}]\n",
        "provider slug 't' is listed twice",
    ),
    config_case(
        "population shares missing quintiles",
        CONFIG_HEAD + "population_imd_quintile_share: {1: 0.5, 2: 0.5}\n",
        "population_imd_quintile_share: expected exactly the quintiles 1 to 5",
    ),
    config_case(
        "population shares not summing to 1",
        CONFIG_HEAD + "population_imd_quintile_share: {1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5, 5: 0.5}\n",
        "population_imd_quintile_share",
    ),
    config_case(
        "target quintile 7",
        CONFIG_HEAD + "target_most_deprived: {quintiles: [7]}\n",
        "target_most_deprived.quintiles[0]: expected an IMD quintile 1 to 5",
        "got 7",
    ),
    config_case(
        "unknown top-level key",
        CONFIG_HEAD + "sties: [North]\n",
        "sties: unknown setting (did you mean 'sites'?)",
    ),
    config_case("name missing", "data_dir: .\n", "name: required setting is missing"),
    config_case(
        "data_dir outside the evaluation",
        "name: x\ndata_dir: ../elsewhere\n",
        "data_dir: '../elsewhere' resolves to",
        "outside the evaluation folder",
    ),
    config_case(
        "kpis not a list", CONFIG_HEAD + "kpis: 3\n", "kpis: expected a list of KPI definitions"
    ),
    config_case("not YAML", "name: [x\n", "not valid YAML"),
    config_case("tab indentation", "name: x\n\tdata_dir: .\n", "not valid YAML"),
    config_case("empty config", "", "expected a mapping of settings", "got nothing"),
    config_case("config is a list", "- a\n- b\n", "expected a mapping of settings", "a list"),
    Case(
        "provider whose extracts are missing",
        {PARTICIPANTS: participants()},
        "missing file",
        file="extracts/north_participants.csv",
        config=CONFIG_HEAD + "providers: [{name: T, slug: t}, {name: North, slug: north}]\n",
        family="config",
    ),
    Case(
        "KPI naming an unknown column",
        {PARTICIPANTS: participants()},
        "expression refused: 'finised' is not a column",
        file="evaluation.yml kpis[0]",
        column="numerator",
        value="finised",
        config=CONFIG_HEAD + "kpis: [{id: k, title: K, numerator: finised, denominator: referred,"
        " unit: proportion}]\n",
        family="config",
    ),
]

QUAL_CASES = [
    qual_case(
        "code its own parent",
        {CODEBOOK: codebook("CTX,Context,context,,x", "C1,Deprived,context,C1,x")},
        "code is its own parent",
        row=3,
        column="parent_id",
        value="C1",
        kept=1,
        quarantined=1,
    ),
    qual_case(
        "parent cycle of two",
        {CODEBOOK: codebook("A,a,context,B,x", "B,b,context,A,x")},
        "code parents form a cycle: A -> B -> A",
        row=2,
        column="parent_id",
        value="B",
        quarantined=2,
    ),
    qual_case(
        "parent cycle of three",
        {CODEBOOK: codebook("A,a,context,C,x", "B,b,context,A,x", "C,c,context,B,x")},
        "code parents form a cycle: B -> A -> C -> B",
        row=3,
        column="parent_id",
        value="A",
        quarantined=3,
    ),
    qual_case(
        "code below a cycle",
        {CODEBOOK: codebook("A,a,context,B,x", "B,b,context,A,x", "C,c,context,A,x")},
        "its parent code was set aside (A is not placed in the tree)",
        row=4,
        column="parent_id",
        value="A",
        quarantined=3,
    ),
    qual_case(
        "unknown parent",
        {CODEBOOK: codebook("A,a,context,,x", "B,b,context,ZZ,x")},
        "parent_id is not a code_id in the codebook",
        row=3,
        column="parent_id",
        value="ZZ",
        kept=1,
        quarantined=1,
    ),
    qual_case(
        "parent after a blank line",
        {CODEBOOK: codebook("A,a,context,,x", "", "B,b,context,B,x")},
        "code is its own parent",
        row=4,
        column="parent_id",
        value="B",
        kept=1,
        quarantined=1,
    ),
    qual_case(
        "duplicate code_id",
        {CODEBOOK: codebook("A,a,context,,x", "A,b,context,,x")},
        "duplicate code_id",
        row=2,
        column="code_id",
        value="A",
        quarantined=2,
    ),
    qual_case(
        "code kind outside the set",
        {CODEBOOK: codebook("A,a,contxt,,x")},
        "value outside allowed set",
        row=2,
        column="kind",
        value="contxt",
        quarantined=1,
    ),
    qual_case(
        "excerpt cut off mid-quote",
        codings('He said "we never'),
        "unbalanced quotation mark in the excerpt",
        file=CODINGS,
        row=2,
        column="text",
        value='He said "we never',
        severity="warning",
    ),
    qual_case(
        "excerpt with an unclosed curly quote",
        codings("\u201cPeople like me"),
        "unbalanced quotation mark",
        file=CODINGS,
        row=2,
        column="text",
        value="\u201cPeople like me",
        severity="warning",
    ),
    qual_case(
        "excerpt with a NUL byte",
        codings("we\x00never"),
        "NUL character",
        file=CODINGS,
        row=2,
        column="text",
        value="we\u2400never",
    ),
    qual_case(
        "excerpt with a zero-width space",
        codings("we\u200bnever"),
        "invisible character",
        file=CODINGS,
        row=2,
        column="text",
        value="we\u200bnever",
        severity="warning",
    ),
    qual_case(
        "excerpt that is #REF!",
        codings("#REF!"),
        SPREADSHEET_ERROR,
        file=CODINGS,
        row=2,
        column="text",
        value="#REF!",
    ),
    qual_case(
        "coding of an unknown code",
        {**codings("fine"), CODINGS: csv_file(CODING_COLUMNS, ["K1,S1,C9,fine"])},
        "code_id not found in codebook",
        file=CODINGS,
        row=2,
        column="code_id",
        value="C9",
    ),
    qual_case(
        "coding of an unknown source",
        {**codings("fine"), CODINGS: csv_file(CODING_COLUMNS, ["K1,S7,C1,fine"])},
        "source_id not found in sources",
        file=CODINGS,
        row=2,
        column="source_id",
        value="S7",
    ),
    qual_case(
        "codings file with an unclosed quote",
        {**codings("fine"), CODINGS: csv_file(CODING_COLUMNS, ['K1,S1,C1,"He said', "K2,S1,C1,x"])},
        "unclosed quotation mark",
        file=CODINGS,
        row=2,
        value='"',
    ),
    qual_case(
        "source type outside the set",
        {SOURCES: csv_file(SRC_COLUMNS, ["S1,Interview,interveiw,commissioner"])},
        "value outside allowed set",
        row=2,
        column="type",
        value="interveiw",
        quarantined=1,
    ),
    qual_case(
        "CMOC filter naming an unknown column",
        cmoc("imd_quintle == 1"),
        "expression refused: 'imd_quintle' is not a column",
        file=CMOCS,
        row=2,
        column="context_filter",
        value="imd_quintle == 1",
    ),
    qual_case(
        "CMOC filter calling a function",
        cmoc("__import__('os')"),
        "expression refused",
        file=CMOCS,
        row=2,
        column="context_filter",
        value="__import__('os')",
    ),
    qual_case(
        "CMOC filter cut short",
        cmoc("imd_quintile =="),
        "expression refused",
        file=CMOCS,
        row=2,
        column="context_filter",
        value="imd_quintile ==",
    ),
    qual_case(
        "CMOC filter with an assignment",
        cmoc("imd_quintile = 1"),
        "expression refused",
        file=CMOCS,
        row=2,
        column="context_filter",
        value="imd_quintile = 1",
    ),
    qual_case(
        "CMOC outcome measure unknown",
        cmoc("", outcome="wellbeing_gain"),
        "outcome_measure is not a column of the episode table",
        file=CMOCS,
        row=2,
        column="outcome_measure",
        value="wellbeing_gain",
    ),
    qual_case(
        "CMOC status outside the set",
        cmoc("", status="proven"),
        "value outside allowed set",
        file=CMOCS,
        row=2,
        column="status",
        value="proven",
    ),
]

CASES = FILE_CASES + FIELD_CASES + CONFIG_CASES + QUAL_CASES


def test_the_corpus_is_large_and_covers_every_family():
    assert len(CASES) >= 150
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
    families = pd.Series([c.family for c in CASES]).value_counts()
    assert set(families.index) == {"file", "field", "config", "qualitative"}
    assert (families >= 20).all(), families.to_dict()


# ------------------------------------------------------------------------------ the runner


def write_case(case: Case, folder: Path) -> Path:
    if case.init:
        init_evaluation(folder)
    for name in ("extracts", "qual"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    for name, extract in case.files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if extract.data is None:
            path.mkdir()
        else:
            path.write_bytes(extract.data)
    if case.config is not None:
        (folder / "evaluation.yml").write_text(case.config, encoding="utf-8")
    return folder


def _text(value: object) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def check_issue(case: Case, issues: pd.DataFrame) -> None:
    """The expected issue is there, located exactly; every issue has a hint."""
    assert not (issues["hint"].fillna("").str.strip() == "").any(), (
        "issues without a hint:\n" + issues[issues["hint"].fillna("") == ""].to_string()
    )
    assert issues["rule"].fillna("").str.strip().ne("").all()
    assert not (issues["hint"] == FALLBACK_HINT).any(), "a rule without a hint of its own"
    if case.issues is not None:
        assert len(issues) == case.issues, issues.to_string()
    if case.rule is None:
        errors = issues[issues["severity"] == "error"]
        assert errors.empty, errors.to_string()
        return
    file = case.file or next(iter(case.files))
    found = issues[issues["rule"].str.contains(case.rule, regex=False) & (issues["file"] == file)]
    assert len(found), f"no issue {case.rule!r} for {file}:\n{issues.to_string()}"
    located = [
        (r.severity, _text(r.row), _text(r.column), _text(r.value))
        for r in found.itertuples(index=False)
    ]
    expected = (case.severity, _text(case.row), case.column, case.value)
    assert expected in located, f"{expected} not in {located}"


def check_accounting(case: Case, result) -> None:
    """read = kept + quarantined everywhere; read = the data rows written to each file."""
    recon = result.reconciliation
    assert (recon["read"] == recon["kept"] + recon["quarantined"]).all(), recon.to_string()
    rows = recon[recon["unit"] == "rows"]
    files = rows["file"].str.split(" [sheet ", regex=False).str[0]
    for name, extract in case.files.items():
        mine = rows[files == name]
        if name.count("/") != 1:  # a file in a subfolder is not read (and says so)
            assert mine.empty
        elif extract.unreadable:
            assert mine["read"].sum() == 0 and mine["note"].str.contains("file refused").all()
        elif extract.rows is not None:
            assert mine["read"].sum() == extract.rows, (name, mine.to_string())
    first = rows[files == next(iter(case.files), "")]
    if case.kept is not None:
        assert first["kept"].sum() == case.kept, first.to_string()
    if case.quarantined is not None:
        assert first["quarantined"].sum() == case.quarantined, first.to_string()
    if case.note is not None:
        assert first["note"].str.contains(case.note, regex=False).any(), first.to_string()
    wide = recon["unit"].eq("values").any()
    for table, kept in result.tables.items():
        if table == "measures" and wide:
            continue
        of_table = recon[recon["table"] == table]
        assert of_table["kept"].sum() == len(kept), table
        assert of_table["quarantined"].sum() == len(result.quarantine[table]), table


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_input(case: Case, tmp_path: Path):
    folder = write_case(case, tmp_path / "evaluation")
    config = None
    if case.config is not None:
        try:
            config = load_config(folder / "evaluation.yml")
        except EvalkitError as exc:
            assert case.config_error, f"config refused unexpectedly: {exc}"
            message = str(exc)
            assert case.rule is not None and case.rule in message, message
            assert case.value is None or case.value in message, message
            return
        assert not case.config_error, "the config should have been refused"
    try:
        result = validate_directory(folder, config)
    except EvalkitError as exc:  # evalkit's own error type is allowed, with its message
        assert case.rule is not None and case.rule in str(exc)
        return
    check_issue(case, result.issues)
    check_accounting(case, result)


# ---------------------------------------------------------------------- the command line

CLI_CASES = [
    c
    for c in CASES
    if c.id
    in {
        "xlsx truncated to half",
        "csv that is an HTML error page",
        "measures without timepoint",
        "parent cycle of two",
        "CMOC filter naming an unknown column",
        "right after evalkit init",
        "provider without a slug",
        "threshold 0",
    }
]


def run_cli(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "evalkit.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli_refuses_with_a_message_not_a_traceback(case: Case, tmp_path: Path):
    folder = write_case(case, tmp_path / "evaluation")
    done = run_cli("validate", folder)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout
    assert case.rule is not None and case.rule in done.stdout + done.stderr


def test_cli_refuses_a_config_that_is_not_utf8(tmp_path: Path):
    (tmp_path / "evaluation.yml").write_bytes(b"name: Caf\xe9\xff\xfe\ndata_dir: .\n")
    done = run_cli("validate", tmp_path)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "evaluation.yml" in done.stderr and "UTF-8" in done.stderr


def test_cli_reports_a_provider_without_files(tmp_path: Path):
    case = next(c for c in CASES if c.id == "provider whose extracts are missing")
    folder = write_case(case, tmp_path / "evaluation")
    done = run_cli("validate", folder)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "extracts/north_participants.csv" in done.stdout
    assert "missing file" in done.stdout


# ----------------------------------------------------------------- hints and safe outputs


def test_every_issue_of_the_messy_demo_has_a_hint(tmp_path: Path):
    from evalkit.demo import write_demo

    config_path = write_demo(tmp_path / "messy", episodes=300, seed=3, messy=True)
    result = validate_directory(config_path.parent, load_config(config_path))
    assert len(result.issues) >= 15
    blank = result.issues[result.issues["hint"].fillna("").str.strip() == ""]
    assert blank.empty, blank.to_string()


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-3", "-3"),
        ("+44", "+44"),
        ("North", "North"),
    ],
)
def test_outputs_neutralise_formulas(tmp_path: Path, typed: str, written: str):
    """A site typed as a formula reaches quarantine/*.csv and issues.csv inert."""
    bad_site = typed.replace('"', '""')
    case = Case(
        "formula site",
        {PARTICIPANTS: participants(p_row(site=f'"{bad_site}"', imd_decile="11"))},
        "out of range",
    )
    folder = write_case(case, tmp_path)
    result = validate_directory(folder)
    # a formula-looking site is also quoted in an issue's value
    result.issues.loc[len(result.issues)] = [
        "warning",
        PARTICIPANTS,
        2,
        "participants",
        "site",
        typed,
        "test",
        "hint",
    ]
    out = write_validation(result, folder / "validated")
    read = {"dtype": str, "keep_default_na": False}
    quarantine = pd.read_csv(out / "quarantine" / "participants.csv", **read)
    assert quarantine.loc[0, "site"] == written
    issues = pd.read_csv(out / "issues.csv", **read)
    assert issues["value"].iloc[-1] == written
    reconciliation = pd.read_csv(out / "reconciliation.csv", **read)
    assert reconciliation["read"].tolist() == ["1"]


@pytest.mark.parametrize("note", ["\t=1+1", "\r=1+1", "=1+1"])
def test_reconciliation_cells_are_neutralised(tmp_path: Path, note: str):
    folder = write_case(Case("r", {PARTICIPANTS: participants()}, None), tmp_path)
    result = validate_directory(folder)
    result.reconciliation["note"] = [note]
    out = write_validation(result, folder / "validated")
    row = pd.read_csv(out / "reconciliation.csv", dtype=str, keep_default_na=False).iloc[0]
    assert (row["note"], row["read"], row["kept"]) == ("'" + note, "1", "1")


def test_provider_without_a_slug_keeps_the_missing_file_check(tmp_path: Path):
    """A provider the config lists must have its extracts, slug or not: the config refuses a
    provider without one (so no file goes unchecked), and the check runs on a listed slug."""
    with pytest.raises(EvalkitError, match=r"providers\[0\]\.slug"):
        EvaluationConfig(name="x", data_dir=tmp_path, providers=[{"name": "Trust"}])
    folder = write_case(Case("p", {PARTICIPANTS: participants()}, None), tmp_path)
    config = EvaluationConfig(name="x", data_dir=folder, providers=[{"name": "T", "slug": "t"}])
    config.providers.append({"name": "North Trust"})  # changed after checking
    result = validate_directory(folder, config)
    missing = result.issues[result.issues["rule"] == "missing file"]
    assert sorted(missing["file"]) == [
        "extracts/north_trust_measures.csv",
        "extracts/north_trust_participants.csv",
        "extracts/t_measures.csv",
    ]


def test_a_file_that_cannot_be_opened_is_refused_with_a_message(tmp_path: Path, monkeypatch):
    folder = write_case(
        Case("locked", {PARTICIPANTS: participants(), MEASURES: measures()}, None), tmp_path
    )
    real = Path.read_bytes

    def locked(path: Path) -> bytes:
        if path.name == "t_measures.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", locked)
    result = validate_directory(folder)
    found = result.issues[result.issues["file"] == MEASURES]
    assert found[["severity", "rule", "value"]].values.tolist() == [
        ["error", "the file cannot be opened (Permission denied)", "t_measures.csv"]
    ]
    assert found["hint"].str.contains("Close the file in Excel").all()
    recon = result.reconciliation.set_index("file")
    assert recon.loc[MEASURES, "read"] == 0 and recon.loc[PARTICIPANTS, "kept"] == 1


def test_cli_turns_an_internal_fault_into_a_message(tmp_path: Path, monkeypatch):
    from typer.testing import CliRunner

    from evalkit.cli import app
    from evalkit.data import validate

    def broken(*args, **kwargs):
        raise KeyError("table")

    monkeypatch.delenv("EVALKIT_DEBUG", raising=False)
    monkeypatch.setattr(validate, "validate_directory", broken)
    folder = write_case(Case("k", {PARTICIPANTS: participants()}, None), tmp_path)
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "stopped on an internal error (KeyError: 'table')" in result.output


@pytest.mark.parametrize("listed", ["[nope]", "[00_data_quality, 05_sumary]"])
def test_cli_refuses_a_notebook_the_report_would_not_find(tmp_path: Path, listed: str):
    from typer.testing import CliRunner

    from evalkit.cli import app

    case = Case(
        "n", {PARTICIPANTS: participants()}, None, config=f"{CONFIG_HEAD}notebooks: {listed}\n"
    )
    folder = write_case(case, tmp_path)
    result = CliRunner().invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "1 problem(s) in evaluation.yml would stop the report" in result.output
    assert ("nope" if "nope" in listed else "05_sumary") in result.output
