"""A provider's own export, read through its mapping into evalkit's tables, and back.

:func:`apply_mapping` turns one provider file into the raw tables validation reads (evalkit's
column names and codes, dates written ``yyyy-mm-dd``, kilograms and centimetres, long measures),
before validation, so the readers' and validation's rules stay the one home of each check. What
the mapping itself finds (a value the map does not cover, a mapped header the file lacks, a
conversion that does not parse, weights that look like pounds) is reported per row and holds the
row back; no row is dropped.

:meth:`MappedExports.restate` then puts validation's findings in the provider's terms: each
issue names the provider's file, the row as their spreadsheet numbers it, *their* header and the
raw value they sent, then the evalkit column and rule; the quarantine holds the row as sent
(less the date of birth and any column the mapping ignores, such as a postcode); the
reconciliation counts measure *values* made from the file's rows.

Examples
--------
>>> import tempfile, pathlib
>>> from evalkit.data.mapping import parse_mapping
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "export.csv").write_text(
...     "Ref,Sex,Referred,Wt st,Wt lb\\nA1,M,05/01/2026,12,7\\nA2,F,06/01/2026,14,2\\n")
>>> mapping = parse_mapping({"provider": "p", "files": [{
...     "pattern": "export.csv", "feeds": ["participants", "measures"],
...     "columns": {"Ref": "client_id", "Sex": "sex", "Referred": "referral_date"},
...     "values": {"sex": {"M": "male", "F": "female"}},
...     "measures": [{"measure": "weight_kg", "unit": "stones_pounds",
...                   "timepoints": {"baseline": ["Wt st", "Wt lb"]}}],
...     "measure_dates": {"baseline": "Referred"}}]}, "mappings/p.yml")
>>> applied = apply_mapping(d / "export.csv", mapping.files[0], mapping, label="export.csv")
>>> participants, measures = applied.tables
>>> participants.frame[["client_id", "sex", "referral_date"]].to_dict("records")[0]
{'client_id': 'A1', 'sex': 'male', 'referral_date': '2026-01-05'}
>>> measures.frame["value"].tolist(), applied.source_rows["measures"].tolist()
(['79.3787', '89.8113'], [2, 3])
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pandas as pd

from evalkit.data.geography import ImdLookup, load_imd_lookup, normalise_postcode
from evalkit.data.mapping import FileMapping, ProviderMapping, load_mapping, matching_files
from evalkit.data.readers import RawTable, ReadProblem
from evalkit.data.schema import AGE_BANDS, MISSING_TOKENS, TABLES
from evalkit.data.units import CONVERSIONS, convert, likely_unit

__all__ = [
    "AppliedFile",
    "MappedExports",
    "apply_mapping",
    "map_exports",
    "read_grid",
    "read_provider_file",
]

_EARLIEST_BIRTH = pd.Timestamp("1900-01-01")
#: Decimal places a converted value is written with (0.1 g, 0.001 mm: far below measurement).
_CONVERTED_DECIMALS = 4


@dataclass
class AppliedFile:
    """One provider file after its mapping: the raw tables validation reads, and provenance.

    Attributes
    ----------
    path : Path
        The provider's file.
    label : str
        How issues name it (relative path, and sheet).
    mapping_source : str
        The mapping file.
    tables : list of RawTable
        ``participants`` (index: the provider's spreadsheet row) and ``measures`` (index: a
        running number; :attr:`source_rows` gives each value's spreadsheet row).
    original : DataFrame
        The file as sent, every cell as text, index the spreadsheet row; less the date of birth
        and ignored columns.
    headers : dict
        ``table -> {index -> {evalkit column -> provider header}}`` for measures, and
        ``table -> {evalkit column -> provider header}`` (under key ``None``) for participants.
    raw_values : dict
        ``table -> {(index, evalkit column) -> raw value}`` where the mapping changed a value.
    source_rows : dict
        ``table -> Series`` of spreadsheet rows by index.
    rows_read : int
        Data rows of the file (blank rows left out).
    """

    path: Path
    label: str
    mapping_source: str
    tables: list[RawTable] = field(default_factory=list)
    original: pd.DataFrame = field(default_factory=pd.DataFrame)
    headers: dict[str, dict] = field(default_factory=dict)
    raw_values: dict[str, dict] = field(default_factory=dict)
    source_rows: dict[str, pd.Series] = field(default_factory=dict)
    rows_read: int = 0


# ------------------------------------------------------------------------ reading the file


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_grid(path: Path, sheet: str | None) -> tuple[list[list[str]], list[ReadProblem]]:
    """Every cell of a CSV or a workbook's sheet as text, row by row (row 1 first)."""
    problems: list[ReadProblem] = []
    if path.suffix.lower() == ".xlsx":
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            if sheet is not None and sheet not in book.sheetnames:
                raise ValueError(
                    f"sheet {sheet!r} is not in the workbook (it has {', '.join(book.sheetnames)})"
                )
            rows = book[sheet] if sheet is not None else book.worksheets[0]
            return [[_cell(v) for v in row] for row in rows.iter_rows(values_only=True)], problems
        finally:
            book.close()
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        problems.append(
            ReadProblem(
                "warning",
                "file is not UTF-8: read as Windows-1252 (Excel's plain 'CSV' format)",
                "Check characters such as £ and é; ask for 'CSV UTF-8' exports.",
                value="cp1252",
            )
        )
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))], problems


def read_provider_file(
    path: Path, entry: FileMapping
) -> tuple[pd.DataFrame, int, list[ReadProblem]]:
    """A provider file as text under its own headers, index the spreadsheet row.

    Returns the frame (missing tokens as ``<NA>``, blank rows left out), the number of blank
    rows and what was noticed. Rows are numbered as the spreadsheet shows them: the header is
    ``entry.header_row`` and the first record the row below it.
    """
    grid, problems = read_grid(path, entry.sheet)
    if len(grid) < entry.header_row:
        return pd.DataFrame(), 0, problems
    header = [h.strip() for h in grid[entry.header_row - 1]]
    width = len(header)
    records = {}
    blank = 0
    for number, cells in enumerate(grid[entry.header_row :], start=entry.header_row + 1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            blank += 1
            continue
        if len(cells) > width and any(cells[width:]):
            problems.append(
                ReadProblem(
                    "error",
                    "row longer than the header: it cannot be lined up with the columns",
                    "Check the row for a value with an unquoted comma in it.",
                    row=number,
                    value=",".join(cells[width:]),
                )
            )
        records[number] = (cells + [""] * width)[:width]
    frame = pd.DataFrame.from_dict(records, orient="index", columns=header, dtype=object)
    frame = frame.loc[:, [h != "" for h in header]]
    frame = frame.astype("string").mask(frame.isin(MISSING_TOKENS))
    return frame, blank, problems


# ------------------------------------------------------------------------ applying a mapping


def _dates(values: pd.Series, entry: FileMapping) -> pd.Series:
    """Dates as ``yyyy-mm-dd`` text; a value that does not parse is left as sent (validation
    reports it)."""
    text = values.astype("string")
    iso = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    if entry.dates.format:
        declared = pd.to_datetime(text, format=entry.dates.format, errors="coerce")
    else:
        declared = pd.to_datetime(
            text, dayfirst=entry.dates.day_first, errors="coerce", format="mixed"
        )
    parsed = iso.fillna(declared)
    return parsed.dt.strftime("%Y-%m-%d").astype("string").where(parsed.notna(), text)


def _number_text(values: pd.Series) -> pd.Series:
    return values.round(_CONVERTED_DECIMALS).map(lambda v: f"{v:g}" if pd.notna(v) else pd.NA)


def _age_band(age: float) -> str | None:
    for band in AGE_BANDS:
        low, _, high = band.replace("+", "-").partition("-")
        if age >= int(low) and (not high or age <= int(high)):
            return band
    return None


class _Findings:
    """Problems and held-back rows of one provider file, in the provider's terms."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[ReadProblem] = []
        self.reasons: dict[int, list[str]] = {}

    def row(
        self,
        row: int,
        header: str,
        value: object,
        rule: str,
        hint: str,
        held: dict[int, list[str]] | None = None,
    ) -> None:
        """An error on one row; the row (or, given ``held``, one value of it) is held back."""
        self.problems.append(ReadProblem("error", rule, hint, row=row, column=header, value=value))
        (self.reasons if held is None else held).setdefault(row, []).append(
            f"{header}: {rule} ({value!r})"
        )

    def file(
        self,
        rule: str,
        hint: str,
        value: object = None,
        severity: str = "error",
        column: str | None = None,
        row: int | None = None,
    ) -> None:
        """A problem of the file (or, given ``row``, a warning on one row)."""
        self.problems.append(ReadProblem(severity, rule, hint, row=row, column=column, value=value))


def _participants(
    frame: pd.DataFrame,
    entry: FileMapping,
    found: _Findings,
    applied: AppliedFile,
    imd: ImdLookup | None = None,
) -> RawTable:
    spec = TABLES["participants"]
    out = pd.DataFrame(index=frame.index)
    headers: dict[str, str] = {}
    changed: dict[tuple[int, str], object] = {}
    for header, column in entry.columns.items():
        if column not in spec.names or header not in frame.columns:
            continue
        values = frame[header]
        headers[column] = header
        if column in entry.values:
            values = _mapped_values(values, column, header, entry, found)
        if spec.column(column).kind == "date":
            values = _dates(values, entry)
        for row in values.index[(values != frame[header]).fillna(False)]:
            changed[(row, column)] = frame.at[row, header]
        out[column] = values
    for column, value in entry.constants.items():
        if column in spec.names:
            out[column] = value
            headers.setdefault(column, f"(constant in {found.source})")
    if entry.age_from_birth is not None:
        _derive_age(frame, out, entry, found, headers)
    _personal_fields(frame, out, entry, headers)
    if entry.postcode is not None or (imd is not None and "lsoa_code" in out):
        _imd_from_geography(frame, out, entry, imd, found, headers)
    applied.headers["participants"] = {None: headers}
    applied.raw_values["participants"] = changed
    raw = RawTable(applied.path, "participants", out.astype("string"), sheet=entry.sheet)
    raw.header_row = entry.header_row
    return raw


def _mapped_values(
    values: pd.Series, column: str, header: str, entry: FileMapping, found: _Findings
) -> pd.Series:
    """A column through its value map: exact, then ignoring case and spaces; a value the map
    lacks is an error naming it, and its row is held back (the value is left as sent)."""
    value_map = entry.values[column]
    loose = {" ".join(k.split()).casefold(): v for k, v in value_map.items()}

    def lookup(value: object) -> object:
        if pd.isna(value):
            return value
        text = str(value)
        return value_map.get(text, loose.get(" ".join(text.split()).casefold(), None))

    mapped = values.map(lookup)
    unmapped = values.notna() & mapped.isna()
    for row in values.index[unmapped]:
        found.row(
            row,
            header,
            values[row],
            f"value not in the value map values.{column} of {found.source}",
            f"Add it to values.{column} of {found.source}, e.g. {values[row]!r}: "
            f"<one of {', '.join(TABLES['participants'].column(column).allowed or ())}>.",
        )
    return mapped.where(~unmapped, values).astype("string")


def _personal_fields(
    frame: pd.DataFrame, out: pd.DataFrame, entry: FileMapping, headers: dict[str, str]
) -> None:
    """NHS number, date of birth and postcode under the names evalkit's linkage takes out of
    the participants table as it is read (evalkit.data.linkage): used there, never stored."""
    birth = entry.age_from_birth.column if entry.age_from_birth is not None else None
    for name, header in (
        ("nhs_number", entry.nhs_number),
        ("date_of_birth", birth),
        ("postcode", entry.postcode),
    ):
        if header is not None and header in frame.columns:
            values = frame[header]
            out[name] = _dates(values, entry) if name == "date_of_birth" else values
            headers[name] = header


def _derive_age(
    frame: pd.DataFrame,
    out: pd.DataFrame,
    entry: FileMapping,
    found: _Findings,
    headers: dict[str, str],
) -> None:
    rule = entry.age_from_birth
    assert rule is not None
    if rule.column not in frame.columns:
        return
    births = pd.to_datetime(_dates(frame[rule.column], entry), format="%Y-%m-%d", errors="coerce")
    at = pd.to_datetime(out.get(rule.at), format="%Y-%m-%d", errors="coerce")
    # a date of birth that is not a date, after the date age is taken at or before 1900 gives
    # no age (the row is kept; an age the file also sends is used); it is never repeated
    usable = births.notna() & at.notna() & (births <= at) & (births >= _EARLIEST_BIRTH)
    for row in frame.index[frame[rule.column].notna() & ~usable & at.notna()]:
        found.file(
            f"date of birth is not a date, or lies after {rule.at} or before 1900: age not "
            "derived from it",
            "Correct the date of birth in the provider's file (it is not repeated here); it is "
            "used for age and linkage, then dropped.",
            value="(date of birth withheld)",
            column=rule.column,
            severity="warning",
            row=row,
        )
    births = births.where(usable)
    years = at.dt.year - births.dt.year
    before_birthday = (at.dt.month < births.dt.month) | (
        (at.dt.month == births.dt.month) & (at.dt.day < births.dt.day)
    )
    age = (years - before_birthday.astype(int)).where(births.notna() & at.notna())
    spec = TABLES["participants"].column("age")
    implausible = age.notna() & ((age < (spec.min or 0)) | (age > (spec.max or 200)))
    if "age" in out:  # an age the file also sends is trusted over a derived one that is
        # implausible or disagrees with it (a mistyped date of birth; it still serves linkage)
        sent_age = pd.to_numeric(out["age"], errors="coerce")
        disagrees = age.notna() & sent_age.notna() & (age != sent_age)
        keep_sent = (implausible | disagrees) & out["age"].notna()
        for row in frame.index[keep_sent]:
            found.file(
                f"date of birth gives an age of {int(age[row])} at {rule.at}: the age sent is used",
                "Check the date of birth in the provider's file (a placeholder such as "
                "01/01/1900, or a digit mistyped?); it is not repeated here.",
                value="(date of birth withheld)",
                column=rule.column,
                severity="warning",
                row=row,
            )
        age = age.where(~keep_sent)
    derived = age.map(lambda a: str(int(a)) if pd.notna(a) else pd.NA).astype("string")
    bands = age.map(lambda a: _age_band(a) if pd.notna(a) else pd.NA).astype("string")
    # where there is no date of birth, an age (band) the file also sends is kept
    out["age"] = derived.fillna(out["age"]) if "age" in out else derived
    out["age_band"] = bands.fillna(out["age_band"]) if "age_band" in out else bands
    sent = pd.to_numeric(out["age"], errors="coerce")
    from_sent_age = sent.map(lambda a: _age_band(a) if pd.notna(a) else pd.NA).astype("string")
    out["age_band"] = out["age_band"].fillna(from_sent_age)
    headers["age"] = headers["age_band"] = f"{rule.column} (age derived at {rule.at})"


def _imd_from_geography(
    frame: pd.DataFrame,
    out: pd.DataFrame,
    entry: FileMapping,
    imd: ImdLookup | None,
    found: _Findings,
    headers: dict[str, str],
) -> None:
    """LSOA from the postcode (then dropped), IMD decile (and IoD2019 rank) from the LSOA.

    A postcode or LSOA code not in the lookup is a warning on its row (the person is kept, with
    IMD unknown); a postcode is never repeated in a message."""
    if imd is None:
        found.file(
            "postcode or LSOA given, but evaluation.yml names no geography: imd_lookup: IMD not "
            "derived",
            "Download the English Indices of Deprivation File 1 (IoD2019 or IoD2025) and name it "
            "under geography: imd_lookup (and postcode_lookup for postcodes); docs/onboarding.md. "
            "Until then IMD is not derived.",
            value=entry.postcode or "lsoa_code",
            severity="warning",
        )
        return
    lsoa = out["lsoa_code"].str.strip().str.upper() if "lsoa_code" in out else None
    if entry.postcode is not None and entry.postcode in frame.columns:
        if imd.postcodes is None:
            found.file(
                "postcodes given, but evaluation.yml names no geography: postcode_lookup",
                "Name an ONS Postcode Directory extract under geography: postcode_lookup.",
                value=entry.postcode,
                severity="warning",
            )
            return
        given = frame[entry.postcode]
        looked_up = given.map(
            lambda v: imd.postcodes.get(normalise_postcode(v), pd.NA) if pd.notna(v) else pd.NA
        )
        for row in given.index[given.notna() & looked_up.isna()]:
            found.file(
                f"postcode not found in {imd.postcodes_source}: IMD unknown",
                "Check the postcode in the provider's file (it is not repeated here), or use a "
                "newer postcode directory.",
                value="(postcode withheld)",
                column=entry.postcode,
                severity="warning",
                row=row,
            )
        looked_up = looked_up.astype("string")
        lsoa = looked_up if lsoa is None else lsoa.fillna(looked_up)
        out["lsoa_code"] = lsoa
        headers.setdefault("lsoa_code", f"{entry.postcode} (looked up, then dropped)")
    if lsoa is None:
        return
    known = lsoa.isin(imd.table.index)
    for row in lsoa.index[lsoa.notna() & ~known]:
        found.file(
            f"LSOA code not in {imd.source} ({imd.vintage}, LSOA {imd.boundaries} codes): "
            "IMD unknown",
            f"Is it a code of other boundaries than {imd.boundaries}, or mistyped? Use the IoD "
            "whose LSOA boundaries the provider's codes are.",
            value=lsoa[row],
            column=headers.get("lsoa_code", "lsoa_code"),
            severity="warning",
            row=row,
        )
    matched = imd.table.reindex(lsoa.where(known))
    out["imd_decile"] = matched["imd_decile"].astype("string").to_numpy()
    headers.setdefault("imd_decile", f"{imd.source} ({imd.vintage})")
    if imd.vintage == "IoD2019":  # evalkit's imd_rank is the IoD2019 rank (of 32,844)
        out["imd_rank"] = matched["imd_rank"].astype("string").to_numpy()
        headers.setdefault("imd_rank", f"{imd.source} ({imd.vintage})")


def _measures(
    frame: pd.DataFrame, entry: FileMapping, found: _Findings, applied: AppliedFile
) -> RawTable:
    id_header = next((h for h, c in entry.columns.items() if c == "client_id"), None)
    records: list[dict[str, object]] = []
    rows: list[int] = []
    headers: dict[int, dict[str, str | None]] = {}
    changed: dict[tuple[int, str], object] = {}
    held_values: dict[int, list[str]] = {}
    for measure in entry.measures:
        for timepoint, columns in measure.timepoints.items():
            held: dict[int, list[str]] = {}
            present = [c for c in columns if c in frame.columns]
            if len(present) != len(columns):
                continue  # reported once as a missing header
            raw = frame[columns]
            if measure.unit is None:
                values = raw[columns[0]]
                text = values
            else:
                numbers = [pd.to_numeric(raw[c], errors="coerce") for c in columns]
                for c, n in zip(columns, numbers, strict=True):
                    for row in raw.index[raw[c].notna() & n.isna()]:
                        found.row(
                            row,
                            c,
                            raw.at[row, c],
                            f"not a number: cannot convert {CONVERSIONS[measure.unit].description}"
                            f" to {measure.measure}",
                            "Correct the value; a unit conversion needs numbers in every part.",
                            held,
                        )
                converted = convert(measure.unit, numbers)
                text = _number_text(converted).astype("string")
                bad = raw.notna().any(axis=1) & converted.isna()
                text = text.where(
                    ~bad, raw.fillna("").astype(str).agg(" ".join, axis=1).str.strip()
                )
            _check_unit(measure.measure, measure.unit, text, columns, found, held)
            date_header = entry.measure_dates.get(timepoint)
            dates = (
                _dates(frame[date_header], entry)
                if date_header in frame.columns
                else pd.Series(pd.NA, index=frame.index, dtype="string")
            )
            for row in frame.index[text.notna()]:
                index = len(records) + 1
                records.append(
                    {
                        "client_id": frame.at[row, id_header] if id_header else pd.NA,
                        "timepoint": timepoint,
                        "date": dates[row],
                        "measure": measure.measure,
                        "value": text[row],
                    }
                )
                rows.append(row)
                if row in held:
                    held_values[index] = held[row]
                headers[index] = {
                    "value": " + ".join(columns),
                    "date": date_header or "(no date column mapped)",
                    "client_id": id_header,
                }
                if measure.unit is not None and measure.unit not in ("kg", "cm"):
                    changed[(index, "value")] = " ".join(str(raw.at[row, c]) for c in columns)
                if date_header and dates[row] != frame.at[row, date_header]:
                    changed[(index, "date")] = frame.at[row, date_header]
    index = pd.RangeIndex(1, len(records) + 1)
    table = pd.DataFrame(records, index=index, columns=TABLES["measures"].names).astype("string")
    applied.headers["measures"] = headers
    applied.raw_values["measures"] = changed
    applied.source_rows["measures"] = pd.Series(rows, index=index, dtype="int64")
    raw_table = RawTable(applied.path, "measures", table, sheet=entry.sheet)
    raw_table.header_row = entry.header_row
    # a provider row held back holds back every value made from it
    for i, row in zip(index, rows, strict=True):
        why = found.reasons.get(row, []) + held_values.get(i, [])
        if why:
            raw_table.row_reasons[i] = why
    return raw_table


def _check_unit(
    measure: str,
    unit: str | None,
    text: pd.Series,
    columns: list[str],
    found: _Findings,
    held: dict[int, list[str]],
) -> None:
    """Weights that look like pounds or stones, heights like metres, where kg or cm is
    declared: an error naming the likely unit, every value held back."""
    if unit not in (None, "kg", "cm") or measure not in ("weight_kg", "height_cm"):
        return
    expected = "kg" if measure == "weight_kg" else "cm"
    seen = likely_unit(measure, text)
    if seen is None or seen == expected:
        return
    rule = (
        f"values look like {CONVERSIONS[seen].description}, not {expected} "
        f"(median {pd.to_numeric(text, errors='coerce').median():g})"
    )
    hint = (
        f"Declare the unit in {found.source}: unit: {seen} on measure {measure}, so the values "
        f"are converted; they are held back until then."
    )
    found.file(rule, hint, value=columns[0], column=columns[0])
    for row in text.index[text.notna()]:
        held.setdefault(row, []).append(f"{columns[0]}: {rule}")


def apply_mapping(
    path: Path,
    entry: FileMapping,
    mapping: ProviderMapping,
    *,
    label: str,
    imd: ImdLookup | None = None,
) -> AppliedFile:
    """One provider file through its mapping: evalkit's raw tables, ready for validation.

    Every header the mapping names but the file lacks is an error naming the mapping file and
    key; every header of the file the mapping does not name is a warning (it is not read). A
    value a value map lacks, a unit part that is not a number, a date of birth that is not a
    date and weights that look like another unit are errors on their rows, which are held back.
    """
    applied = AppliedFile(path, label, mapping.source)
    found = _Findings(mapping.source)
    frame, blank, problems = read_provider_file(path, entry)
    found.problems += problems
    applied.rows_read = len(frame)
    for header in sorted(entry.read_headers - set(frame.columns) - set(entry.ignore)):
        found.file(
            f"header {header!r} named in {mapping.source} is not in the file",
            f"Check the spelling in {mapping.source} against the file's header row "
            f"(row {entry.header_row}); headers it has: {', '.join(map(str, frame.columns))}.",
            value=header,
            column=header,
        )
    for header in [h for h in frame.columns if h not in entry.read_headers]:
        found.file(
            f"column not named in {mapping.source}: not read",
            "Map it under columns: (or measures:), or list it under ignore: to silence this.",
            value=header,
            column=header,
            severity="warning",
        )
    tables = []
    if "participants" in entry.feeds:
        tables.append(_participants(frame, entry, found, applied, imd))
    if "measures" in entry.feeds:
        tables.append(_measures(frame, entry, found, applied))
    applied.original = frame.drop(columns=[c for c in frame.columns if c in entry.never_stored])
    for table in tables:
        table.blank_rows = blank
        if table.table == "participants":
            table.row_reasons = {r: list(v) for r, v in found.reasons.items()}
            applied.source_rows["participants"] = pd.Series(
                table.frame.index, index=table.frame.index
            )
    if tables:
        tables[0].problems = found.problems
    applied.tables = tables
    return applied


# ------------------------------------------------------------------------ every provider


@dataclass
class MappedExports:
    """Every provider file matched by a mapping of an evaluation, ready for validation."""

    files: dict[Path, AppliedFile] = field(default_factory=dict)
    #: Problems of mappings themselves (a pattern matching no file), as validation issues.
    issues: list[dict] = field(default_factory=list)
    #: ``<slug>_<table>`` of each table a mapped file feeds (for the expected-files check).
    stems: set[str] = field(default_factory=set)

    def raw_tables(self, path: Path) -> list[RawTable] | None:
        """The raw tables of a mapped file, or None if no mapping matches it."""
        applied = self.files.get(path)
        return None if applied is None else applied.tables

    def restate(self, result):
        """Validation's findings in the provider's terms (see the module docstring)."""
        if not self.files:
            return result
        by_label = {a.label: a for a in self.files.values()}
        issues = _restate_issues(result.issues, by_label)
        # values made from one provider row share its cells: one issue per cell
        key = issues.astype("string").fillna("\0")
        issues = issues[~key.duplicated()]
        # a value the value map lacks is said once, by the mapping, not again as a bad code
        unmapped = issues["rule"].astype(str).str.startswith("value not in the value map")
        said = {(f, r, c) for f, r, c in issues.loc[unmapped, ["file", "row", "column"]].values}
        again = [
            (f, r, str(c).split(" -> ")[0]) in said and " -> " in str(c)
            for f, r, c in issues[["file", "row", "column"]].values
        ]
        result.issues = issues[~pd.Series(again, index=issues.index, dtype=bool)]
        result.issues = result.issues.reset_index(drop=True)
        for table in ("participants", "measures"):
            clean = result.tables.get(table)
            if clean is not None and len(clean):
                clean["source_row"] = _source_rows(clean, table, by_label)
            held = result.quarantine.get(table)
            if held is not None and len(held):
                result.quarantine[table] = _restate_quarantine(held, table, by_label)
        recon = result.reconciliation
        for applied in by_label.values():
            mine = (recon["file"] == applied.label) & (recon["table"] == "measures")
            recon.loc[mine, "unit"] = "values"
            recon.loc[mine, "note"] = (
                f"made from {applied.rows_read} rows through {applied.mapping_source}"
            )
        return result


def _restate_issues(issues: pd.DataFrame, by_label: dict[str, AppliedFile]) -> pd.DataFrame:
    issues = issues.copy()
    issues["column"] = issues["column"].astype(object)
    issues["value"] = issues["value"].astype(object)
    for i in issues.index:
        applied = by_label.get(issues.at[i, "file"])
        table = issues.at[i, "table"]
        if applied is None or table not in applied.source_rows or pd.isna(issues.at[i, "row"]):
            continue
        index = int(issues.at[i, "row"])
        column = issues.at[i, "column"]
        if pd.isna(column):
            continue
        evalkit_column = str(column).split(" (")[0]
        if table == "measures":
            if index not in applied.source_rows["measures"].index:
                continue
            header = applied.headers["measures"].get(index, {}).get(evalkit_column)
            issues.at[i, "row"] = int(applied.source_rows["measures"][index])
        else:
            header = applied.headers["participants"][None].get(evalkit_column)
        if header is None:
            continue  # the problem is already in the provider's terms
        issues.at[i, "column"] = f"{header} -> {column}"
        raw = applied.raw_values.get(table, {}).get((index, evalkit_column))
        if raw is not None:
            issues.at[i, "value"] = raw
    return issues


def _source_rows(frame: pd.DataFrame, table: str, by_label: dict[str, AppliedFile]) -> pd.Series:
    rows = frame["source_row"].astype("Int64").copy()
    if table != "measures":
        return rows
    for label, applied in by_label.items():
        mine = frame["source_file"] == label
        if mine.any():
            rows[mine] = frame.loc[mine, "source_row"].map(applied.source_rows["measures"])
    return rows.astype("Int64")


def _restate_quarantine(
    held: pd.DataFrame, table: str, by_label: dict[str, AppliedFile]
) -> pd.DataFrame:
    """Quarantined rows of mapped files as the provider sent them (less dropped columns)."""
    others = held[~held["source_file"].isin(list(by_label))]
    pieces = [others] if len(others) else []
    for label, applied in by_label.items():
        mine = held[held["source_file"] == label]
        if mine.empty:
            continue
        rows = mine["source_row"].astype("Int64")
        if table == "measures":
            rows = rows.map(applied.source_rows["measures"]).astype("Int64")
        sent = applied.original.reindex(rows.to_numpy()).reset_index(drop=True)
        extra = pd.DataFrame(
            {
                "measure": mine["measure"].to_numpy() if "measure" in mine else pd.NA,
                "source_file": label,
                "source_row": rows.to_numpy(),
                "reason": mine["reason"].to_numpy(),
            }
        )
        if table != "measures":
            extra = extra.drop(columns="measure")
        pieces.append(pd.concat([sent, extra], axis=1))
    out = pd.concat(pieces, ignore_index=True)
    out["source_row"] = out["source_row"].astype("Int64")
    return out


def map_exports(config, paths: list[Path], root: Path) -> MappedExports:
    """Apply every mapping of an evaluation (``mappings:`` in ``evaluation.yml``) to its files.

    A mapping file that is missing or malformed raises :class:`~evalkit.errors.ConfigError`
    (nothing can be read through it); a file entry matching no file is an error issue naming
    the mapping file and pattern.
    """
    out = MappedExports()
    if config is None or not getattr(config, "mappings", None):
        return out
    geography = getattr(config, "geography", None) or {}
    imd = None
    if geography.get("imd_lookup"):
        postcodes = geography.get("postcode_lookup")
        imd = load_imd_lookup(
            config.root / geography["imd_lookup"], config.root / postcodes if postcodes else None
        )
    for listed in config.mappings:
        mapping = load_mapping(config.root / listed)
        source = str(listed)
        mapping = mapping.model_copy(update={"source": source})
        slugs = [p.get("slug") for p in getattr(config, "providers", []) if isinstance(p, dict)]
        if slugs and mapping.provider not in slugs:
            out.issues.append(
                {
                    "severity": "error",
                    "file": source,
                    "row": None,
                    "table": None,
                    "column": "provider",
                    "value": mapping.provider,
                    "rule": f"provider {mapping.provider!r} of {source} is not a provider slug "
                    "of evaluation.yml",
                    "hint": f"Use one of {', '.join(map(str, slugs))}, or add the provider under "
                    "providers: in evaluation.yml.",
                }
            )
        for entry, matched in matching_files(mapping, paths):
            if not matched:
                out.issues.append(
                    {
                        "severity": "error",
                        "file": f"extracts/{entry.pattern}",
                        "row": None,
                        "table": entry.feeds[0],
                        "column": None,
                        "value": entry.pattern,
                        "rule": f"no file matches pattern {entry.pattern!r} of {source}",
                        "hint": "Put the provider's file in extracts/, or correct the pattern "
                        "(file names are matched case-insensitively; * matches any text).",
                    }
                )
            for path in matched:
                try:
                    name = str(path.relative_to(root))
                except ValueError:
                    name = path.name
                label = f"{name} [sheet {entry.sheet}]" if entry.sheet else name
                out.files[path] = apply_mapping(path, entry, mapping, label=label, imd=imd)
                out.stems |= {f"{mapping.provider}_{table}" for table in entry.feeds}
    return out
