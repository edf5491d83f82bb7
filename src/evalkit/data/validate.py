"""Validation of provider extracts: every failure reported, every row accounted for.

:func:`validate_directory` reads every extract of an evaluation, checks it against
:mod:`evalkit.data.schema` with pandera (lazily, so *all* failures are collected, not the first),
and
splits the rows into clean tables and a quarantine with a ``reason`` column. Each failure is one
row of ``issues``: file, spreadsheet row, column, the value as the user typed it, the rule and a
hint. The reconciliation proves nothing was dropped: for every table and file, rows read = rows
kept + rows quarantined.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from evalkit.config import EvaluationConfig
from evalkit.data.episodes import build_episodes, derive_columns
from evalkit.data.expressions import nearest_columns, parse_expression
from evalkit.data.linkage import (
    Linkage,
    PersonalFields,
    mask_personal_issues,
    scope_client_ids,
    write_linkage,
)
from evalkit.data.measure_checks import measure_problems
from evalkit.data.names import unconfigured_names
from evalkit.data.persons import identify_people
from evalkit.data.provider_exports import MappedExports, map_exports
from evalkit.data.readers import (
    NUL_MARK,
    READABLE_SUFFIXES,
    RawTable,
    detect_table,
    melt_wide,
    parse_column,
    read_extract,
)
from evalkit.data.schema import (
    FOREIGN_KEYS,
    FREE_TEXT_COLUMNS,
    MEASURE_BEFORE_REFERRAL_DAYS,
    MEASURES,
    ROW_RULES,
    SPREADSHEET_ERRORS,
    TABLES,
    ColumnSpec,
    code_tree_problems,
    pandera_schema,
    plausible_dates,
)
from evalkit.errors import ExpressionError

__all__ = [
    "FALLBACK_HINT",
    "ISSUE_COLUMNS",
    "ValidationResult",
    "episode_columns",
    "format_issues",
    "input_paths",
    "neutralise_formulas",
    "validate_directory",
    "validate_files",
    "write_safe_csv",
    "write_validation",
]

ISSUE_COLUMNS = ["severity", "file", "row", "table", "column", "value", "rule", "hint"]
_SERVICE_TABLES = ("participants", "measures")
_KIND_TEXT = {
    "integer": "a whole number",
    "float": "a number",
    "date": "a date (yyyy-mm-dd, dd/mm/yyyy or an Excel date)",
    "string": "text",
}
_QUAL_TABLES = ("sources", "codebook", "codings", "cmocs")
_INVISIBLE_NAMES = {
    "\u00a0": "no-break space",
    "\u00ad": "soft hyphen",
    "\u200b": "zero-width space",
    "\u200c": "zero-width non-joiner",
    "\u200d": "zero-width joiner",
    "\u200e": "left-to-right mark",
    "\u200f": "right-to-left mark",
    "\u2028": "line separator",
    "\u2029": "paragraph separator",
    "\u2060": "word joiner",
    "\ufeff": "byte-order mark",
}
#: Characters that cannot be seen but make a value differ from the same value typed plainly.
_INVISIBLE = re.compile(
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f\u00a0\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]"
)
#: The start of a character class matching a spreadsheet error's '#' and a NUL (as the reader
#: marks it), to which the invisible characters are added: one pass finds the cells to look at.
_SUSPECT_START = "^#|[\u2400"
#: In free text a no-break space or line separator is ordinary typography, not a fault.
_INVISIBLE_IN_FREE_TEXT = re.compile(
    "[\x01-\x08\x0b\x0c\x0e-\x1f\x7f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]"
)

#: The hint of an issue whose rule has none of its own (none should: the tests check).
FALLBACK_HINT = "See 'What validation refuses' in docs/data-model.md for what this rule asks."
_HINTS = {
    "missing file": "Ask the provider for this extract, or remove the provider from "
    "evaluation.yml if it has nothing to submit.",
    "empty file": "The file has no content; re-export it from the provider system.",
    "no data rows": "The file has a header but no records; check the export's date filter.",
    "missing required column": "Add the column (see the data dictionary); every row of this "
    "file is quarantined until it is present.",
    "unknown column": "The column is ignored; check its spelling against the data dictionary.",
    "wrong type": "Enter {kind} here.",
    "not_nullable": "This column is required; fill it in.",
    "field_uniqueness": "Each value must appear once; remove or renumber the duplicate.",
    "isin": "Use one of the allowed values in the data dictionary.",
    "in_range": "The value is outside the allowed range in the data dictionary.",
    "greater_than_or_equal_to": "The value is below the allowed minimum.",
    "str_matches": "The value does not have the expected format (see the data dictionary).",
    "each part": "Use only the allowed values, separated by ;.",
    "unknown file": "Name the file <provider>_<table>.csv (e.g. north_trust_measures.csv).",
    "unknown qualitative file": "Name the file after its table: qual/sources.csv, "
    "qual/codebook.csv, qual/codings.csv or qual/cmocs.csv.",
    "duplicate measure": "Give each measure once per client and timepoint.",
    "foreign key": "The identifier must exist in the referenced table.",
    "quarantined parent": "Fix the participant row first; its measures are held back with it.",
    "follow-up before baseline": "Check the dates: a follow-up cannot precede the baseline.",
    "follow-up dated before baseline": "Check the dates: a follow-up cannot precede the baseline.",
    "nothing to validate": "Name each file <provider>_<table>.csv or .xlsx (e.g. "
    "north_participants.csv) in extracts/, and the qualitative tables qual/<table>.csv; "
    "`evalkit templates` writes the templates.",
    "file in a subfolder": "Only files directly in extracts/ are read: move the file up into "
    "extracts/ to include it, or delete it if it is an old copy.",
    "not an extract": "Only .csv and .xlsx files are read: save it from Excel as 'CSV UTF-8' or "
    "'Excel Workbook (.xlsx)', or move it out of extracts/.",
    "spreadsheet error value": "The cell holds an Excel error, not a value (#N/A: a lookup found "
    "nothing; #REF!: a deleted cell; #DIV/0!: division by zero; #VALUE!: the wrong kind of "
    "input). Correct the formula or type the value; leave the cell blank if there is none.",
    "NUL character": "The value holds a NUL byte (character 0), which no text contains: the "
    "export is damaged here. Retype the value, or export the file again.",
    "invisible character": "Retype the value: it holds a character you cannot see (often "
    "pasted from a web page, e-mail or Word), so it would not match the same value typed "
    "plainly.",
    "number too large": "Check the value: a number this large cannot be right here (an "
    "identifier or phone number pasted into the column?).",
    "date outside the plausible range": "Dates before 2000 or more than a year ahead cannot be a "
    "referral, session or measure of this service (1900-01-00 is usually a blank cell "
    "formatted as a date, 2099 or 9999 a placeholder for 'no date'); correct the date or leave "
    "it blank.",
    "dates look month-first": "evalkit reads d/m/yyyy dates day first (UK); this column has "
    "dates that only make sense month first (US). Export the dates as yyyy-mm-dd so that none "
    "is guessed; every row with a d/m/yyyy date in the column is held back until then.",
    "measure before referral": "Check the date and its year: a measure is taken at or after "
    "the referral (at most {days} days before it, for screening).",
    "code tree": "Correct parent_id: it names the code_id of the parent code, or is blank for "
    "a top-level code; a code cannot be its own parent or ancestor.",
    "parent code set aside": "Fix the parent code's row first; codes below it are held back "
    "with it.",
    "unbalanced quotation mark": "Check the excerpt against the source: it opens a quotation "
    "that it does not close (cut off mid-quote?). Widen the coded span or remove the stray "
    "mark.",
    "misspelt item column": "Rename the column to the measure name in the data dictionary; "
    "every row with a value in it is held back, so that no score is computed without it.",
}


@dataclass
class ValidationResult:
    """What validation found.

    Attributes
    ----------
    tables : dict of DataFrame
        Clean rows of each canonical table, parsed to schema types (measures includes rows melted
        from wide templates). Columns ``source_file`` and ``source_row`` say where each row came
        from.
    quarantine : dict of DataFrame
        Rejected rows (raw text as supplied) with ``source_file``, ``source_row`` and ``reason``.
    issues : DataFrame
        One row per failure or warning, columns :data:`ISSUE_COLUMNS`.
    reconciliation : DataFrame
        ``table, file, unit, read, kept, quarantined`` (unit is ``rows``, or ``values`` for
        measures melted from a wide template).
    files : list of Path
        Every file read.
    linkage : Linkage, optional
        How episodes were linked into people (evalkit.data.linkage); written under
        ``validated/linkage/`` for the evaluator.
    """

    tables: dict[str, pd.DataFrame]
    quarantine: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    reconciliation: pd.DataFrame
    files: list[Path] = field(default_factory=list)
    linkage: Linkage | None = None

    @property
    def errors(self) -> pd.DataFrame:
        """Issues of severity ``error``."""
        return self.issues[self.issues["severity"] == "error"]

    @property
    def ok(self) -> bool:
        """True when no error was found (warnings allowed)."""
        return self.errors.empty


class _Collector:
    """Accumulates issues and per-row failure reasons while tables are checked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.issues: list[dict] = []
        #: personal columns taken out of each extract as it is read (evalkit.data.linkage)
        self.personal = PersonalFields()

    def name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return path.name

    def label(self, raw: RawTable) -> str:
        """How issues, the quarantine and the reconciliation name a file (and its sheet)."""
        name = self.name(raw.path)
        return f"{name} [sheet {raw.sheet}]" if raw.sheet else name

    def add(
        self, severity, path, row, table, column, value, rule, hint_key=None, hint=None, **fmt
    ) -> None:
        if hint is None:
            hint = _HINTS.get(hint_key or rule, "")
            hint = hint.format(**fmt) if fmt else hint
        hint = hint or FALLBACK_HINT  # every rule has its own; this only guards a new one
        self.issues.append(
            {
                "severity": severity,
                "file": self.name(path) if isinstance(path, Path) else path,
                "row": row,
                "table": table,
                "column": column,
                "value": value,
                "rule": rule,
                "hint": hint,
            }
        )

    def hold(self, reasons, index, path, row, table, column, value, rule, **hint) -> None:
        """An error on a row, and the reason its row is held back (``column: rule (value)``)."""
        self.add("error", path, row, table, column, value, rule, **hint)
        reasons[index].append(f"{column}: {rule} ({value!r})")

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.issues, columns=ISSUE_COLUMNS)
        frame["row"] = frame["row"].astype("Int64")
        # a wide template's identifying cell is checked once per value melted from its row
        key = frame.astype("string").fillna("\0")
        return frame[~key.duplicated()].reset_index(drop=True)


def _hint_key(check: str) -> str:
    for key in _HINTS:
        if check.startswith(key):
            return key
    return check


def _rule_text(table: str, column: str, check: str) -> str:
    """A pandera check name in the words of the data dictionary."""
    spec = TABLES[table].column(column) if column in TABLES[table].names else None
    if check == "not_nullable":
        return "required value is blank"
    if check == "field_uniqueness":
        return f"duplicate {column}"
    if spec is not None and (check.startswith(("isin", "each part"))):
        return f"value outside allowed set ({spec.allowed_text})"
    if spec is not None and check.startswith(("in_range", "greater_than")):
        return f"out of range ({spec.allowed_text})"
    if check.startswith("str_matches") and spec is not None:
        return f"wrong format (expected {spec.pattern})"
    return check


def _schema_failures(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """pandera failure cases of a parsed table: ``index, column, check`` rows."""
    schema = pandera_schema(table)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    else:
        return pd.DataFrame(columns=["index", "column", "check"])
    cases = cases[cases["index"].notna()].copy()
    row_rules = {rule.name: rule for rule in ROW_RULES.get(table, ())}
    is_row_rule = cases["check"].isin(list(row_rules))
    column_cases = cases.loc[~is_row_rule, ["index", "column", "check"]]
    row_cases = (
        cases.loc[is_row_rule, ["index", "check"]]
        .drop_duplicates()
        .assign(column=lambda d: d["check"].map(lambda c: row_rules[c].columns[0]))
    )
    result = pd.concat([column_cases, row_cases], ignore_index=True)
    result["index"] = result["index"].astype(int)
    return result


def _display_column(frame: pd.DataFrame, index, table: str, column: str) -> str:
    if table == "measures" and column == "value" and "measure" in frame.columns:
        return f"value ({frame.at[index, 'measure']})"
    return column


def _invisible_name(character: str) -> str:
    if character in _INVISIBLE_NAMES:
        return _INVISIBLE_NAMES[character]
    if ord(character) < 32 or ord(character) == 127:
        return "control character"
    return unicodedata.name(character, "invisible character").lower()


def _check_cells(frame, rows, path, table, spec_columns, reasons, out: _Collector):
    """Spreadsheet errors, NUL and invisible characters in the cells of known columns.

    Returns the frame to parse: a cell with an error is blanked there (its row is held back
    with the reason), so it is not reported a second time as the wrong type.
    """
    cleaned = frame
    for spec in spec_columns:
        if spec.name not in frame.columns or not frame[spec.name].notna().any():
            continue
        text = frame[spec.name].astype("string")
        free = (table, spec.name) in FREE_TEXT_COLUMNS
        pattern = _INVISIBLE_IN_FREE_TEXT if free else _INVISIBLE
        excerpt = (table, spec.name) == ("codings", "text")
        # one pass over the column; the cells it flags are looked at closely
        suspect = text.str.contains(_SUSPECT_START + pattern.pattern[1:]).fillna(False)
        if not (suspect.any() or excerpt):
            continue
        text = text[suspect] if not excerpt else text
        error = text.str.upper().isin(SPREADSHEET_ERRORS).fillna(False)
        nul = text.str.contains(NUL_MARK, regex=False) | text.str.contains("\x00", regex=False)
        nul = nul.fillna(False)
        hidden = text.str.contains(pattern).fillna(False) & ~nul
        quotes = pd.Series(False, index=text.index)
        if excerpt:
            straight = text.str.count('"') % 2 == 1
            curly = text.str.count("\u201c") != text.str.count("\u201d")
            quotes = (straight | curly).fillna(False)
        flagged = error | nul | hidden | quotes
        if not flagged.any():
            continue
        for index in flagged[flagged].index:
            value = frame.at[index, spec.name]
            column = _display_column(frame, index, table, spec.name)
            severity = "error"
            if error[index]:
                rule, key = "spreadsheet error value (a formula failed)", "spreadsheet error value"
            elif nul[index]:
                rule, key = "NUL character in value", "NUL character"
            elif hidden[index]:
                found = pattern.search(str(value))
                assert found is not None
                character = found.group()
                rule = (
                    f"invisible character in value (U+{ord(character):04X} "
                    f"{_invisible_name(character)})"
                )
                key, severity = "invisible character", "warning" if free else "error"
            else:
                rule = "unbalanced quotation mark in the excerpt (cut off mid-quote?)"
                key, severity = "unbalanced quotation mark", "warning"
            out.add(severity, path, rows[index], table, column, value, rule, hint_key=key)
            if severity == "error":
                reasons[index].append(f"{column}: {rule} ({value!r})")
                if cleaned is frame:
                    cleaned = frame.copy()
                cleaned.at[index, spec.name] = pd.NA
    return cleaned


_DAY_MONTH = r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}\s*$"


def _month_first(values, rows, path, table, column, reasons, out: _Collector) -> pd.Series:
    """Refuse a d/m/yyyy column that only makes sense month first (e.g. 03/13/2026).

    When every date of the column is d/m/yyyy, none has a day over 12 and some have a month
    over 12, the dates are US-style: reading them day first would silently swap day and month
    of the others. One error names the column; its rows are held back.
    """
    text = values.dropna().astype("string")
    if text.empty:
        return values
    distinct = pd.Series(text.unique(), dtype="string")
    parts = distinct.str.extract(_DAY_MONTH)
    first, second = pd.to_numeric(parts[0]), pd.to_numeric(parts[1])
    if first.isna().any() or (first > 12).any() or not (second > 12).any():
        return values
    example = text.index[text == distinct[(second > 12).idxmax()]][0]
    rule = "dates look month-first (mm/dd/yyyy): day and month cannot be told apart"
    out.add(
        "error",
        path,
        rows[example],
        table,
        column,
        values[example],
        rule,
        hint_key="dates look month-first",
    )
    for index in text.index:
        reasons[index].append(f"{column}: {rule} ({values[index]!r})")
    return values.where(values.isna())


def _unparsed_rule(spec: ColumnSpec, value: object, window: tuple[pd.Timestamp, pd.Timestamp]):
    """``(rule, hint key, hint fields)`` for a value that did not parse as its column's type."""
    text = str(value).strip()
    kind = _KIND_TEXT[spec.kind]
    if spec.kind == "date":
        year = re.fullmatch(r"(\d{4})-\d{1,2}-\d{1,2}.*|\d{1,2}[/.\-]\d{1,2}[/.\-](\d{4})", text)
        if year and not window[0].year <= int(year.group(1) or year.group(2)) <= window[1].year:
            return _window_rule(window), "date outside the plausible range", {}
    elif spec.kind in ("integer", "float"):
        number = pd.to_numeric(pd.Series([text]), errors="coerce").iloc[0]
        if pd.notna(number) and abs(number) > 2**53:
            return f"number too large for {kind}", "number too large", {}
    return "wrong type", "wrong type", {"kind": kind}


def _window_rule(window: tuple[pd.Timestamp, pd.Timestamp]) -> str:
    return f"date outside the plausible range ({window[0]:%Y-%m-%d} to {window[1]:%Y-%m-%d})"


def _parse_file(
    frame: pd.DataFrame,
    rows: pd.Series,
    path: Path | str,
    spec_columns: list[ColumnSpec],
    table: str,
    out: _Collector,
):
    """Check and parse a raw frame's known columns; return (parsed, row_reasons).

    ``frame`` has a unique index; ``rows`` gives each index's spreadsheet row for reports.
    """
    reasons = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)
    frame = _check_cells(frame, rows, path, table, spec_columns, reasons, out)
    window = plausible_dates()
    parsed = {}
    for spec in spec_columns:
        if spec.name not in frame.columns:
            parsed[spec.name] = pd.Series(pd.NA, index=frame.index, dtype=object)
            continue
        raw_values = frame[spec.name]
        if spec.kind == "date":
            raw_values = _month_first(raw_values, rows, path, table, spec.name, reasons, out)
        values, bad = parse_column(raw_values, spec)
        if spec.kind == "date":
            outside = values.notna() & ((values < window[0]) | (values > window[1]))
            if outside.any():
                values = values.where(~outside)
                rule = _window_rule(window)
                for index in outside[outside].index:
                    value = frame.at[index, spec.name]
                    column = _display_column(frame, index, table, spec.name)
                    out.hold(
                        reasons,
                        index,
                        path,
                        rows[index],
                        table,
                        column,
                        value,
                        rule,
                        hint_key="date outside the plausible range",
                    )
        parsed[spec.name] = values
        for index in bad[bad].index:
            value = frame.at[index, spec.name]
            column = _display_column(frame, index, table, spec.name)
            rule, key, fields = _unparsed_rule(spec, value, window)
            out.add("error", path, rows[index], table, column, value, rule, hint_key=key, **fields)
            if rule == "wrong type":
                rule = f"wrong type ({value!r} is not {_KIND_TEXT[spec.kind]})"
                reasons[index].append(f"{column}: {rule}")
            else:
                reasons[index].append(f"{column}: {rule} ({value!r})")
    return pd.DataFrame(parsed, index=frame.index), reasons


def _check_header(raw: RawTable, table: str, out: _Collector) -> tuple[list[str], dict[str, str]]:
    """Report unknown and missing required columns.

    Returns the missing required columns and, for a wide template, the misspelt item columns
    (``{column: nearest measure}``: an error, as a score would silently lack the item).
    """
    spec = TABLES[table]
    allowed = spec.names
    present = list(raw.frame.columns)
    missing = [c for c in spec.required if c not in present]
    absent = [c for c in allowed if c not in present]
    name, row = out.label(raw), raw.header_row
    misspelt: dict[str, str] = {}
    unknown = [c for c in present if c not in allowed]
    for column in unknown:
        near = difflib.get_close_matches(column, absent, n=1, cutoff=0.6)
        if spec.group == "wide":
            items = [c for c in absent if c in MEASURES] or [c for c in allowed if c in MEASURES]
            item = difflib.get_close_matches(column, items, n=1, cutoff=0.85)
            if item:
                misspelt[column] = item[0]
                out.add(
                    "error",
                    name,
                    row,
                    table,
                    column,
                    column,
                    f"misspelt item column (did you mean {item[0]}?)",
                    hint_key="misspelt item column",
                )
                continue
        hint = _HINTS["unknown column"]
        if near:
            hint = f"Did you mean {near[0]}? " + hint
        out.add("warning", name, row, table, column, column, "unknown column", hint=hint)
    for column in missing:
        hint = _HINTS["missing required column"]
        near = difflib.get_close_matches(column, unknown, n=1, cutoff=0.6)
        if near:
            hint = f"The file has a column {near[0]!r}: is that it, misspelt? " + hint
        out.add(
            "error",
            name,
            row,
            table,
            column,
            "(column absent)",
            "missing required column",
            hint=hint,
        )
    return missing, misspelt


@dataclass
class _Part:
    """One table of one file as read, for the reconciliation."""

    table: str
    name: str
    stem: str = ""
    read: int = 0
    blank_rows: int = 0
    note: str = ""
    #: rows held back unchecked: raw text, source_file, source_row, reason (all if refused)
    aside: pd.DataFrame | None = None
    #: a wide template: its rows melt into measure values
    wide: bool = False

    @property
    def quarantine_table(self) -> str:
        return "measures" if self.wide else self.table


def _read_tables(paths: list[Path], out: _Collector, mapped: MappedExports | None = None):
    """Read and parse every file; return per-table pieces, the parts read and the aside ids.

    A provider's own export is read through its mapping (evalkit.data.provider_exports)."""
    pieces: dict[str, list] = {t: [] for t in (*_SERVICE_TABLES, *_QUAL_TABLES)}
    parts: list[_Part] = []
    for path in paths:
        through_mapping = mapped.raw_tables(path) if mapped is not None else None
        for raw in read_extract(path) if through_mapping is None else through_mapping:
            out.personal.take(raw, out.label(raw))
            _read_part(raw, out, pieces, parts)
    return pieces, parts


def _read_part(raw: RawTable, out: _Collector, pieces: dict, parts: list[_Part]) -> None:
    table, name = raw.table, out.label(raw)
    if table is None:
        for problem in raw.problems:
            if problem.severity == "error":  # e.g. not a CSV at all; said once, for the file
                out.add(
                    "error",
                    name,
                    problem.row,
                    None,
                    problem.column,
                    problem.value,
                    problem.rule,
                    hint=problem.hint,
                )
        key = "unknown qualitative file" if raw.path.parent.name == "qual" else "unknown file"
        out.add("warning", name, None, None, None, raw.path.name, "unknown file", hint_key=key)
        return
    for problem in raw.problems:
        out.add(
            problem.severity,
            name,
            problem.row,
            table,
            problem.column,
            problem.value,
            problem.rule,
            hint=problem.hint,
        )
    spec = TABLES[table]
    part = _Part(
        table, name, raw.path.stem.lower(), blank_rows=raw.blank_rows, wide=spec.group == "wide"
    )
    parts.append(part)
    if raw.empty == "no bytes":
        out.add("error", name, None, table, None, None, "empty file")
        return
    if raw.empty == "no rows" and raw.refused is None:
        out.add("warning", name, None, table, None, None, "no data rows")
    held = dict(raw.aside)
    if raw.refused is not None:
        held = {row: f"file refused: {raw.refused}" for row in raw.frame.index}
    part.read = len(raw.frame)
    if held:
        rows = list(held)
        part.aside = (
            raw.frame.loc[rows]
            .assign(source_file=name, source_row=rows, reason=[held[r] for r in rows])
            .reset_index(drop=True)
        )
    frame = raw.frame.drop(index=list(held)) if held else raw.frame
    if raw.refused is not None:
        part.note = f"file refused: {raw.refused}"
        return
    if spec.group == "wide":
        pieces["measures"].append(_wide_to_measures(raw, frame, table, out, part))
        return
    missing, _ = _check_header(raw, table, out)
    rows = pd.Series(frame.index, index=frame.index)
    parsed, reasons = _parse_file(frame, rows, name, list(spec.columns), table, out)
    for row, why in raw.row_reasons.items():
        if row in reasons.index:
            reasons[row].extend(why)
    if missing:
        for row in reasons.index:
            reasons[row].append(_LACKS + ", ".join(missing))
    pieces[table].append((parsed, frame, reasons, name))


def _wide_to_measures(raw: RawTable, frame, table: str, out: _Collector, part: _Part):
    """Check a wide template's identifying columns and melt it into measure rows."""
    spec = TABLES[table]
    name = part.name
    missing, misspelt = _check_header(raw, table, out)
    measure_cols = [c for c in spec.names if c in MEASURES and c in frame.columns]
    blank_cells = int(frame[measure_cols].isna().sum().sum()) if measure_cols else 0
    # the melted values are checked as measures; the wide column becomes the measure name
    raw_text = melt_wide(frame, measure_cols)
    parsed, reasons = _parse_file(
        raw_text, raw_text["row"], name, list(TABLES["measures"].columns), "measures", out
    )
    parsed["__row"] = raw_text["row"].to_numpy()
    row_reasons = {row: list(why) for row, why in raw.row_reasons.items()}
    for column, item in misspelt.items():
        for row in frame.index[frame[column].notna()]:
            row_reasons.setdefault(row, []).append(
                f"{column}: misspelt item column (did you mean {item}?)"
            )
    if row_reasons:
        melted_rows = raw_text["row"]
        for i in reasons.index:
            reasons[i].extend(row_reasons.get(melted_rows[i], []))
        # a row held back whose cells melt into no value is held back as it stands
        orphans = [r for r in row_reasons if r in frame.index and not (melted_rows == r).any()]
        if orphans:
            rows_aside = frame.loc[orphans].assign(
                source_file=name,
                source_row=orphans,
                reason=["; ".join(row_reasons[r]) for r in orphans],
            )
            part.aside = pd.concat([part.aside, rows_aside.reset_index(drop=True)])
    if missing:
        for i in reasons.index:
            reasons[i].append(_LACKS + ", ".join(missing))
    part.note = (
        f"melted into {len(raw_text)} measure values ({blank_cells} blank cells are not measures)"
    )
    return parsed, raw_text, reasons, name


def _recon(table: str, file: str, unit: str, read: int, quarantined: int, note: str = ""):
    return {
        "table": table,
        "file": file,
        "unit": unit,
        "read": read,
        "kept": read - quarantined,
        "quarantined": quarantined,
        "note": note,
    }


def _combine(table: str, pieces: list, out: _Collector):
    """Concatenate a table's files, run the schema, and return frame/raw/reasons aligned."""
    if not pieces:
        spec = TABLES[table]
        empty = pd.DataFrame({c.name: pd.Series(dtype=object) for c in spec.columns})
        return (
            empty,
            pd.DataFrame(),
            pd.Series(dtype=object),
            pd.Series(dtype=str),
            pd.Series(dtype="Int64"),
        )
    frames, raws, reasons, files, rows = [], [], [], [], []
    for parsed, raw_text, why, name in pieces:
        row = parsed.pop("__row") if "__row" in parsed else pd.Series(parsed.index, parsed.index)
        frames.append(parsed.reset_index(drop=True))
        raws.append(raw_text.reset_index(drop=True))
        reasons.append(why.reset_index(drop=True))
        files.append(pd.Series(name, index=range(len(parsed))))
        rows.append(pd.Series(row.to_numpy(), index=range(len(parsed))))
    frame = pd.concat(frames, ignore_index=True)
    for col in TABLES[table].columns:  # restore dtypes lost when a file lacked a column
        if col.kind == "date":
            frame[col.name] = pd.to_datetime(frame[col.name])
        elif col.kind == "integer":
            frame[col.name] = pd.array(frame[col.name], dtype="Int64")
        elif col.kind == "float":
            frame[col.name] = pd.to_numeric(frame[col.name]).astype(float)
        else:
            frame[col.name] = frame[col.name].astype("str").where(frame[col.name].notna(), None)
    raw = pd.concat(raws, ignore_index=True)
    why = pd.concat(reasons, ignore_index=True)
    file = pd.concat(files, ignore_index=True)
    row = pd.concat(rows, ignore_index=True).astype("Int64")
    return frame, raw, why, file, row


_LACKS = "file lacks required column(s) "


def _already_reported(reasons: list[str], column: str) -> bool:
    """True when a blank ``column`` comes from an absent column or a value already reported
    (one that did not parse, a spreadsheet error, an implausible date ...)."""
    return any(
        (r.startswith(_LACKS) and column in r[len(_LACKS) :].split(", "))
        or r.startswith((f"{column}: ", f"{column} ("))
        for r in reasons
    )


def _failure_hint(table: str, column: str, check: str, value: object) -> str:
    """The hint for a schema failure: the row rule's own, or the check's with a suggestion."""
    for rule in ROW_RULES.get(table, ()):
        if rule.name == check:
            return rule.hint
    hint = _HINTS.get(_hint_key(check), "")
    spec = TABLES[table].column(column) if column in TABLES[table].names else None
    if spec is not None and spec.allowed and value is not None:
        parts = str(value).split(";") if spec.multi else [str(value)]
        wrong = [p.strip() for p in parts if p.strip() not in spec.allowed]
        near = difflib.get_close_matches(wrong[0].lower(), spec.allowed, n=1) if wrong else []
        if near:
            hint = f"Did you mean {near[0]!r}? " + hint
    return hint or "See the data dictionary for this column's rule."


def _report_failures(table, frame, raw, why, file, row, failures, out: _Collector) -> None:
    for index, column, check in failures[["index", "column", "check"]].itertuples(index=False):
        if check == "not_nullable" and _already_reported(why[index], column):
            continue  # reported once already: a missing column or an unreadable value
        raw_column = column if column in raw.columns else None
        value = raw.at[index, raw_column] if raw_column else None
        value = None if pd.isna(value) else value
        if table == "measures" and column == "value" and "measure" in raw.columns:
            column = f"value ({raw.at[index, 'measure']})"
        rule = _rule_text(table, raw_column or column, check)
        if check == "value within the measure's range":
            measure = MEASURES.get(raw.at[index, "measure"])
            assert measure is not None  # the range rule passes measures it does not know
            rule = f"out-of-range item value ({measure.min:g} to {measure.max:g})"
        hint = _failure_hint(table, raw_column or column, check, value)
        out.hold(why, index, file[index], row[index], table, column, value, rule, hint=hint)


def _code_tree(tables, out: _Collector) -> None:
    """Refuse codes that cannot be placed in the code tree, and hold back the codes below."""
    frame, raw, why, file, row = tables["codebook"]
    if frame.empty or frame["parent_id"].isna().all():
        return
    problems = code_tree_problems(frame["code_id"], frame["parent_id"])
    if not problems:
        return
    rules = {
        "own parent": lambda codes: "code is its own parent",
        "unknown parent": lambda codes: "parent_id is not a code_id in the codebook",
        "cycle": lambda codes: f"code parents form a cycle: {' -> '.join(map(str, codes))}",
    }
    parent = dict(zip(frame["code_id"], frame["parent_id"], strict=True))
    for index in frame.index:
        code = frame.at[index, "code_id"]
        if code in problems:
            kind, codes = problems[code]
            rule = rules[kind](codes)
            value = raw.at[index, "parent_id"]
            out.hold(
                why,
                index,
                file[index],
                row[index],
                "codebook",
                "parent_id",
                value,
                rule,
                hint_key="code tree",
            )
            continue
        seen, node = {code}, parent.get(code)
        while isinstance(node, str) and node in parent and node not in seen:
            if node in problems:
                rule = f"its parent code was set aside ({node} is not placed in the tree)"
                out.add(
                    "error",
                    file[index],
                    row[index],
                    "codebook",
                    "parent_id",
                    raw.at[index, "parent_id"],
                    rule,
                    hint_key="parent code set aside",
                )
                why[index].append(f"parent_id: {rule}")
                break
            seen.add(node)
            node = parent.get(node)


def _held_ids(parts: list[_Part], table: str, column: str) -> set:
    """Identifiers of rows of ``table`` held back unread (their dependants are held too)."""
    found: set = set()
    for part in parts:
        if part.table == table and part.aside is not None and column in part.aside.columns:
            found |= set(part.aside[column].dropna())
    return found


def _dates_of(keys: pd.Series, dates: pd.Series) -> pd.Series:
    """The date of each key (NaT when it has none; an empty lookup keeps the date type)."""
    if dates.empty:
        return pd.Series(pd.NaT, index=keys.index, dtype="datetime64[ns]")
    return pd.to_datetime(keys.map(dates))


def _cross_table(tables, out: _Collector, parts: list[_Part] | None = None) -> None:
    """The code tree, foreign keys, duplicate measures and measure dates, across files."""
    _code_tree(tables, out)
    for (table, column), (parent, parent_column) in FOREIGN_KEYS.items():
        frame, raw, why, file, row = tables[table]
        pframe, _, pwhy, _, _ = tables[parent]
        if frame.empty:
            continue
        ok_parent = pframe.loc[pwhy.map(len) == 0, parent_column]
        all_parent = set(pframe[parent_column].dropna())
        all_parent |= _held_ids(parts or [], parent, parent_column)
        unknown = frame[column].notna() & ~frame[column].isin(all_parent)
        held = frame[column].isin(all_parent) & ~frame[column].isin(set(ok_parent))
        for index in unknown[unknown].index:
            rule = f"{column} not found in {parent}"
            out.hold(
                why,
                index,
                file[index],
                row[index],
                table,
                column,
                raw.at[index, column],
                rule,
                hint_key="foreign key",
            )
        rule = f"its {parent} row was quarantined"
        for index in held[held].index:
            why[index].append(f"{column}: {rule}")
        # one issue per held-back identifier and file, not one per row
        held_rows = pd.DataFrame({"file": file[held], "row": row[held], "id": frame[column][held]})
        for (name, ident), group in held_rows.groupby(["file", "id"], sort=False):
            count = len(group)
            out.add(
                "error",
                name,
                int(group["row"].min()),
                table,
                column,
                ident,
                f"{rule} ({count} {table} row{'s' if count > 1 else ''} held back)",
                hint_key="quarantined parent",
            )
    frame, raw, why, file, row = tables["measures"]
    if frame.empty:
        return
    key = ["client_id", "timepoint", "measure"]
    dup = frame.duplicated(key, keep=False) & frame[key].notna().all(axis=1)
    for index in dup[dup].index:
        rule = "one value per client, timepoint and measure"
        out.add(
            "error",
            file[index],
            row[index],
            "measures",
            "measure",
            raw.at[index, "measure"],
            rule,
            hint_key="duplicate measure",
        )
        why[index].append(f"measure: {rule} ({raw.at[index, 'measure']!r} repeated)")
    baseline = frame[frame["timepoint"] == "baseline"].groupby("client_id")["date"].min()
    base_date = _dates_of(frame["client_id"], baseline)
    early = (frame["timepoint"] != "baseline") & (frame["date"] < base_date).fillna(False)
    for index in early[early].index:
        rule = "follow-up dated before baseline"
        value = raw.at[index, "date"]
        out.add("error", file[index], row[index], "measures", "date", value, rule)
        why[index].append(f"date: {rule} ({value!r} < {base_date[index]:%Y-%m-%d})")
    participants = tables["participants"][0].dropna(subset=["client_id", "referral_date"])
    referral = participants.groupby("client_id")["referral_date"].min()
    referred = _dates_of(frame["client_id"], referral)
    days = MEASURE_BEFORE_REFERRAL_DAYS
    before = (frame["date"] < referred - pd.Timedelta(days=days)).fillna(False)
    for index in before[before].index:
        rule = f"measure dated more than {days} days before its referral"
        value = raw.at[index, "date"]
        out.add(
            "error",
            file[index],
            row[index],
            "measures",
            "date",
            value,
            rule,
            hint_key="measure before referral",
            days=days,
        )
        why[index].append(f"date: {rule} ({value!r}; referred {referred[index]:%Y-%m-%d})")


def episode_columns(participants: pd.DataFrame, measures: pd.DataFrame) -> list[str]:
    """The episode table's columns, from empty copies of the clean tables (nothing is scored)."""

    return list(build_episodes(derive_columns(participants.iloc[:0]), measures.iloc[:0]).columns)


def _expression_issue(out: _Collector, file, row, table, column, exc: ExpressionError) -> str:
    detail = exc.problem
    if exc.token is not None and exc.position is not None:
        detail += f" (at {exc.token!r}, character {exc.position})"
    hint = exc.hint
    if exc.suggestions:
        hint = f"Nearest columns: {', '.join(exc.suggestions)}. {hint}"
    out.issues.append(
        {
            "severity": "error",
            "file": file,
            "row": row,
            "table": table,
            "column": column,
            "value": exc.expression,
            "rule": f"expression refused: {detail}",
            "hint": hint,
        }
    )
    return f"{column}: expression refused ({detail})"


def _check_expressions(tables, config: EvaluationConfig | None, out: _Collector) -> None:
    """Check every KPI and CMOC expression before a report could run it.

    An expression outside :mod:`evalkit.data.expressions`, or naming a column the episode table will
    not have, is an error; a CMOC row carrying one is quarantined with the reason.
    """
    kpis = (config.kpis if config is not None else None) or []
    if not kpis and tables["cmocs"][0].empty:
        return  # nothing to check: the episode table's columns are not worked out
    columns = episode_columns(tables["participants"][0], tables["measures"][0])
    source = config.path.name if config is not None and config.path else "evaluation.yml"
    for position, kpi in enumerate((config.kpis if config is not None else None) or []):
        for role in ("numerator", "denominator"):
            text = kpi.get(role) if isinstance(kpi, dict) else None
            if not isinstance(text, str):
                continue  # a population number, or a malformed entry the KPI loader reports
            where = f"{source} kpis[{position}]"
            try:
                parse_expression(
                    text, where=f"{where} {role} (KPI {kpi.get('id')!r})"
                ).check_columns(columns)
            except ExpressionError as exc:
                _expression_issue(out, where, None, "kpis", role, exc)
    frame, raw, why, file, row = tables["cmocs"]
    for index in frame.index:
        text = frame.at[index, "context_filter"]
        where = f"{file[index]} row {row[index]} (CMOC {frame.at[index, 'cmoc_id']})"
        try:
            if pd.notna(text) and str(text).strip():  # a CMOC without a filter has none to check
                parse_expression(str(text), where=f"{where} context_filter").check_columns(columns)
        except ExpressionError as exc:
            reason = _expression_issue(out, file[index], row[index], "cmocs", "context_filter", exc)
            why[index].append(reason)
        outcome = frame.at[index, "outcome_measure"]
        if pd.notna(outcome) and str(outcome).strip() and str(outcome).strip() not in columns:
            rule = "outcome_measure is not a column of the episode table"
            near = nearest_columns(str(outcome).strip(), columns)
            out.issues.append(
                {
                    "severity": "error",
                    "file": file[index],
                    "row": row[index],
                    "table": "cmocs",
                    "column": "outcome_measure",
                    "value": outcome,
                    "rule": rule,
                    "hint": (f"Nearest columns: {', '.join(near)}. " if near else "")
                    + "Name a column of the episode table (docs/data-model.md).",
                }
            )
            why[index].append(f"outcome_measure: {rule} ({outcome!r})")


def _provider_slug(provider: object) -> str:
    """The file-name prefix of a provider's extracts: its slug, else its name as one (a provider
    listed without a slug still has its files checked).

    Examples
    --------
    >>> _provider_slug({"name": "North Trust"}), _provider_slug({"name": "N", "slug": "n"})
    ('north_trust', 'n')
    """
    if not isinstance(provider, dict):
        return ""
    name = str(provider.get("name") or "").lower()
    return str(provider.get("slug") or re.sub(r"[^a-z0-9]+", "_", name)).strip("_")


def _expected_files(
    config: EvaluationConfig | None,
    paths: list[Path],
    parts: list[_Part],
    out: _Collector,
    mapped_stems: frozenset[str] | set[str] = frozenset(),
) -> None:
    if config is None:
        return
    stems = {p.stem.lower() for p in paths} | set(mapped_stems)
    # a workbook named after the provider may hold the template's sheets
    sheets = {(part.stem, part.table) for part in parts}

    def has(slug: str, table: str) -> bool:
        return f"{slug}_{table}" in stems or (slug, table) in sheets

    for provider in config.providers:
        slug = _provider_slug(provider)
        if not slug:
            continue
        if not has(slug, "participants"):
            out.add(
                "error",
                f"extracts/{slug}_participants.csv",
                None,
                "participants",
                None,
                None,
                "missing file",
            )
        if not any(has(slug, t) for t in ("measures", "wellbeing", "lifestyle", "talking_therapy")):
            out.add(
                "error",
                f"extracts/{slug}_measures.csv",
                None,
                "measures",
                None,
                None,
                "missing file",
            )


_RECONCILIATION_COLUMNS = ["table", "file", "unit", "read", "kept", "quarantined", "note"]


def _reconcile(parts: list[_Part], tables) -> list[dict]:
    """``read = kept + quarantined`` for every table of every file read (all rows counted)."""
    checked: dict[tuple[str, str], tuple[int, int, set]] = {}
    for table, (_, _, why, file, row) in tables.items():
        if not len(file):
            continue
        bad = why.map(len) > 0
        counts = pd.DataFrame({"file": file, "bad": bad, "row": row})
        for name, group in counts.groupby("file", sort=False):
            bad_rows = set(group.loc[group["bad"], "row"].dropna().astype(int))
            checked[(table, str(name))] = (len(group), int(group["bad"].sum()), bad_rows)
    recon = []
    for part in parts:
        aside = 0 if part.aside is None else len(part.aside)
        notes = [part.note] if part.note else []
        if part.blank_rows:
            notes.append(f"{part.blank_rows} blank row(s) skipped, not counted")
        note = "; ".join(notes)
        if part.wide:
            values, bad_values, bad_rows = checked.get(("measures", part.name), (0, 0, set()))
            held = set() if part.aside is None else set(part.aside["source_row"])
            recon.append(
                _recon(part.table, part.name, "rows", part.read, aside + len(bad_rows - held), note)
            )
            if not part.note.startswith("file refused"):
                recon.append(_recon("measures", part.name, "values", values, bad_values))
            continue
        rows, bad, _ = checked.get((part.table, part.name), (0, 0, set()))
        recon.append(_recon(part.table, part.name, "rows", rows + aside, bad + aside, note))
    return recon


def validate_files(
    paths: list[Path], *, root: Path | None = None, config: EvaluationConfig | None = None
) -> ValidationResult:
    """Validate a set of extract files (see :func:`validate_directory`)."""
    paths = sorted(Path(p) for p in paths)
    out = _Collector(root or (paths[0].parent if paths else Path.cwd()))
    out.personal.config = config
    mapped = map_exports(config, paths, out.root)
    pieces, parts = _read_tables(paths, out, mapped)
    found = len(out.issues)
    _expected_files(config, paths, parts, out, mapped.stems)
    out.issues += mapped.issues
    if not parts:
        out.add(
            "error",
            "extracts/",
            None,
            None,
            None,
            None,
            "nothing to validate: no extract or qualitative table was found",
            hint_key="nothing to validate",
        )
    out.issues = out.issues[found:] + out.issues[:found]  # missing files first
    tables = {t: _combine(t, pieces[t], out) for t in pieces}
    for table, (frame, raw, why, file, row) in tables.items():
        if not frame.empty:
            failures = _schema_failures(frame, table)
            _report_failures(table, frame, raw, why, file, row, failures, out)
    out.issues += scope_client_ids(tables, out.personal)  # duplicates within a provider
    _cross_table(tables, out, parts)
    out.issues += measure_problems(*[tables["measures"][i] for i in (0, 2, 3, 4)])
    _check_expressions(tables, config, out)
    out.issues += unconfigured_names(tables, config)  # providers and sites agree
    clean, quarantine = {}, {}
    for table, (frame, raw, why, file, row) in tables.items():
        bad = why.map(len) > 0 if len(why) else pd.Series(dtype=bool)
        kept = frame.loc[~bad].assign(source_file=file[~bad], source_row=row[~bad])
        clean[table] = kept.reset_index(drop=True)
        held = [p.aside for p in parts if p.quarantine_table == table and p.aside is not None]
        checked = raw.loc[bad].assign(
            source_file=file[bad], source_row=row[bad], reason=why[bad].map("; ".join)
        )
        quarantine[table] = pd.concat([checked, *held], ignore_index=True) if held else checked
        quarantine[table] = quarantine[table].reset_index(drop=True)
        if held:
            quarantine[table]["source_row"] = quarantine[table]["source_row"].astype("Int64")
    reconciliation = pd.DataFrame(_reconcile(parts, tables), columns=_RECONCILIATION_COLUMNS)
    reconciliation = reconciliation.sort_values(["table", "file"], kind="stable")
    clean["participants"], linkage = identify_people(clean["participants"], out.personal, config)
    out.issues += out.personal.issues
    mask_personal_issues(out.issues)
    result = ValidationResult(
        clean, quarantine, out.frame(), reconciliation.reset_index(drop=True), paths, linkage
    )
    return mapped.restate(result)


def input_paths(directory: str | Path) -> list[Path]:
    """Every extract (``extracts/``) and qualitative table (``qual/``) validation reads, sorted."""
    directory = Path(directory)
    found = []
    for folder in (directory / "extracts", directory / "qual"):
        if folder.is_dir():
            found += [
                p
                for p in folder.iterdir()
                if p.suffix.lower() in READABLE_SUFFIXES
                and not p.name.startswith(("~$", "."))
                and p.is_file()
            ]
    return sorted(found)


def _unread_inputs(directory: Path) -> list[dict]:
    """Issues for what is in ``extracts/`` but not read: subfolders, a folder named like an
    extract, files of other kinds (hidden files and Excel's ``~$`` lock files aside)."""
    extracts = directory / "extracts"
    if not extracts.is_dir():
        return []
    out = _Collector(directory)

    def ignored(path: Path) -> bool:
        return path.name.startswith(("~$", "."))

    for path in sorted(extracts.iterdir()):
        if ignored(path):
            continue
        if path.is_dir():
            if path.suffix.lower() in READABLE_SUFFIXES:
                out.add(
                    "error",
                    path,
                    None,
                    detect_table(path.name),
                    None,
                    path.name + "/",
                    "a folder named like an extract, not a file",
                    hint=(
                        "Put the extract itself in extracts/ (was a zipped extract unpacked "
                        "into a folder?) and rename or remove the folder."
                    ),
                )
            for inner in sorted(path.rglob("*")):
                if inner.is_file() and not ignored(inner):
                    out.add(
                        "warning",
                        inner,
                        None,
                        detect_table(inner.name),
                        None,
                        inner.name,
                        "file in a subfolder of extracts/ is not read",
                        hint_key="file in a subfolder",
                    )
        elif path.suffix.lower() not in READABLE_SUFFIXES:
            kind = (
                "an Excel 97-2003 workbook (.xls)"
                if path.suffix.lower() == ".xls"
                else (f"a {path.suffix or 'suffix-less'} file")
            )
            out.add(
                "warning",
                path,
                None,
                None,
                None,
                path.name,
                f"not an extract: {kind} is not read",
                hint_key="not an extract",
            )
    return out.issues


def validate_directory(
    directory: str | Path, config: EvaluationConfig | None = None
) -> ValidationResult:
    """Validate every extract (``extracts/``) and qualitative table (``qual/``) of an evaluation.

    Parameters
    ----------
    directory : str or Path
        The evaluation's data directory.
    config : EvaluationConfig, optional
        When given, each listed provider's extracts are expected ("missing file" otherwise).

    Returns
    -------
    ValidationResult

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "extracts").mkdir()
    >>> _ = (d / "extracts" / "p_measures.csv").write_text(
    ...     "client_id,timepoint,date,measure,value\\nA1,baseline,05/01/2026,wemwbs_01,9\\n")
    >>> result = validate_directory(d)
    >>> result.errors[["file", "row", "column", "value", "rule"]].to_dict("records")[0]
    {'file': 'extracts/p_measures.csv', 'row': 2, 'column': 'value (wemwbs_01)', 'value': '9', \
'rule': 'out-of-range item value (1 to 5)'}
    """
    directory = Path(directory)
    result = validate_files(input_paths(directory), root=directory, config=config)
    unread = _unread_inputs(directory)
    if unread:
        issues = pd.DataFrame(unread, columns=ISSUE_COLUMNS).astype({"row": "Int64"})
        result.issues = pd.concat([issues, result.issues], ignore_index=True)
    return result


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula, made inert with a leading ``'``.

    The quarantine, issues and reconciliation files hold values as providers typed them and are
    opened in Excel or LibreOffice, where a cell such as ``=HYPERLINK(...)`` or ``@SUM(...)``
    would be evaluated (CSV formula injection). A text cell starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a ``'`` in front, unless it is a plain number such as
    ``-3`` or ``+44``.

    Examples
    --------
    >>> frame = pd.DataFrame({"value": ["=1+2", "-3", "@SUM(A1)", "North", "-x"]})
    >>> neutralise_formulas(frame)["value"].tolist()
    ["'=1+2", '-3', "'@SUM(A1)", 'North', "'-x"]
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not (pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values)):
            continue
        text = values.astype("string")
        risky = text.str.startswith(_FORMULA_START) & ~text.str.fullmatch(_PLAIN_NUMBER)
        risky = risky.fillna(False).astype(bool)
        if risky.any():
            out[column] = values.astype(object).where(~risky, "'" + text.astype(object))
    return out


def write_safe_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table of values providers typed as a CSV a spreadsheet opens safely.

    Formula-like cells are neutralised (:func:`neutralise_formulas`), and lines end with CR LF
    (RFC 4180) so that a value holding a carriage return or line feed is quoted and stays in its
    cell instead of starting a new row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "issues.csv"
    >>> _ = write_safe_csv(pd.DataFrame({"value": ["\\r=1+1", "-3"]}), path)
    >>> path.read_bytes()
    b'value\\r\\n"\\'\\r=1+1"\\r\\n-3\\r\\n'
    """
    path = Path(path)
    neutralise_formulas(frame).to_csv(path, index=False, lineterminator="\r\n")
    return path


def write_validation(result: ValidationResult, out_dir: str | Path) -> Path:
    """Write clean tables (Parquet), quarantine, issues and reconciliation under ``out_dir``."""
    out_dir = Path(out_dir)
    # these files no longer match the cached episode table of evalkit.data.evaluation
    (out_dir / "cache_key.txt").unlink(missing_ok=True)
    (out_dir / "cache_stats.json").unlink(missing_ok=True)
    (out_dir / "clean").mkdir(parents=True, exist_ok=True)
    (out_dir / "quarantine").mkdir(parents=True, exist_ok=True)
    for table, frame in result.tables.items():
        frame.to_parquet(out_dir / "clean" / f"{table}.parquet", index=False)
    for table, frame in result.quarantine.items():
        path = out_dir / "quarantine" / f"{table}.csv"
        if len(frame):
            write_safe_csv(frame, path)
        elif path.exists():
            path.unlink()
    write_safe_csv(result.issues, out_dir / "issues.csv")
    write_safe_csv(result.reconciliation, out_dir / "reconciliation.csv")
    write_linkage(result.linkage, out_dir / "linkage")
    return out_dir


def format_issues(issues: pd.DataFrame, limit: int | None = 50) -> str:
    """Issues as readable lines: ``file:row  column='value'  rule  (hint)``."""
    lines = []
    shown = issues if limit is None else issues.head(limit)
    for r in shown.itertuples(index=False):
        where = r.file + (f":{r.row}" if pd.notna(r.row) else "")
        value = "(blank)" if pd.isna(r.value) else repr(r.value)
        what = f"{r.column}={value}" if pd.notna(r.column) else ""
        hint = f"  ({r.hint})" if r.hint else ""
        lines.append(f"{r.severity.upper():7} {where}  {what}  {r.rule}{hint}".rstrip())
    if limit is not None and len(issues) > limit:
        lines.append(f"... and {len(issues) - limit} more (see issues.csv)")
    return "\n".join(lines)
