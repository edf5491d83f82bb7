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

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from evalkit.config import EvaluationConfig
from evalkit.data.episodes import build_episodes, derive_columns
from evalkit.data.expressions import nearest_columns, parse_expression
from evalkit.data.readers import READABLE_SUFFIXES, RawTable, melt_wide, parse_column, read_raw
from evalkit.data.schema import (
    FOREIGN_KEYS,
    MEASURES,
    ROW_RULES,
    TABLES,
    ColumnSpec,
    pandera_schema,
)
from evalkit.errors import ExpressionError

__all__ = [
    "ISSUE_COLUMNS",
    "ValidationResult",
    "episode_columns",
    "format_issues",
    "input_paths",
    "neutralise_formulas",
    "validate_directory",
    "validate_files",
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
    "duplicate measure": "Give each measure once per client and timepoint.",
    "foreign key": "The identifier must exist in the referenced table.",
    "quarantined parent": "Fix the participant row first; its measures are held back with it.",
    "follow-up before baseline": "Check the dates: a follow-up cannot precede the baseline.",
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
    """

    tables: dict[str, pd.DataFrame]
    quarantine: dict[str, pd.DataFrame]
    issues: pd.DataFrame
    reconciliation: pd.DataFrame
    files: list[Path] = field(default_factory=list)

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

    def name(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return path.name

    def add(self, severity, path, row, table, column, value, rule, hint_key=None, **fmt) -> None:
        hint = _HINTS.get(hint_key or rule, "")
        self.issues.append(
            {
                "severity": severity,
                "file": self.name(path) if isinstance(path, Path) else path,
                "row": row,
                "table": table,
                "column": column,
                "value": value,
                "rule": rule,
                "hint": hint.format(**fmt) if fmt else hint,
            }
        )

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.issues, columns=ISSUE_COLUMNS)
        frame["row"] = frame["row"].astype("Int64")
        return frame


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


def _parse_file(
    frame: pd.DataFrame,
    rows: pd.Series,
    path: Path,
    spec_columns: list[ColumnSpec],
    table: str,
    out: _Collector,
):
    """Parse a raw frame's known columns; return (parsed, row_reasons).

    ``frame`` has a unique index; ``rows`` gives each index's spreadsheet row for reports.
    """
    reasons = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)
    parsed = {}
    for spec in spec_columns:
        if spec.name not in frame.columns:
            parsed[spec.name] = pd.Series(pd.NA, index=frame.index, dtype=object)
            continue
        values, bad = parse_column(frame[spec.name], spec)
        parsed[spec.name] = values
        for index in bad[bad].index:
            value = frame.at[index, spec.name]
            kind = _KIND_TEXT[spec.kind]
            column = spec.name
            if table == "measures" and spec.name == "value":
                column = f"value ({frame.at[index, 'measure']})"
            out.add("error", path, rows[index], table, column, value, "wrong type", kind=kind)
            reasons[index].append(f"{column}: wrong type ({value!r} is not {kind})")
    return pd.DataFrame(parsed, index=frame.index), reasons


def _check_header(raw: RawTable, table: str, allowed: list[str], out: _Collector) -> list[str]:
    """Report unknown and missing required columns; return the missing required ones."""
    spec = TABLES[table]
    for column in raw.frame.columns:
        if column not in allowed:
            out.add("warning", raw.path, 1, table, column, column, "unknown column")
    missing = [c for c in spec.required if c not in raw.frame.columns]
    for column in missing:
        out.add("error", raw.path, 1, table, column, "(column absent)", "missing required column")
    return missing


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


def _read_tables(paths: list[Path], out: _Collector):
    """Read and parse every file; return per-table lists of (parsed, raw, reasons, unit)."""
    pieces: dict[str, list] = {t: [] for t in (*_SERVICE_TABLES, *_QUAL_TABLES)}
    recon: list[dict] = []
    for path in paths:
        raw = read_raw(path)
        table = raw.table
        if table is None:
            out.add("warning", path, None, None, None, path.name, "unknown file")
            continue
        for note in raw.notes:
            out.add("warning", path, None, table, None, raw.encoding, note, hint_key="-")
        if raw.empty == "no bytes":
            out.add("error", path, None, table, None, None, "empty file")
            recon.append(_recon(table, out.name(path), "rows", 0, 0))
            continue
        if raw.empty == "no rows":
            out.add("warning", path, None, table, None, None, "no data rows")
        spec = TABLES[table]
        if spec.group == "wide":
            pieces["measures"].append(_wide_to_measures(raw, table, out, recon))
            continue
        missing = _check_header(raw, table, spec.names, out)
        rows = pd.Series(raw.frame.index, index=raw.frame.index)
        parsed, reasons = _parse_file(raw.frame, rows, path, list(spec.columns), table, out)
        if missing:
            for row in reasons.index:
                reasons[row].append(_LACKS + ", ".join(missing))
        pieces[table].append((parsed, raw.frame, reasons, out.name(path)))
    return pieces, recon


def _wide_to_measures(raw: RawTable, table: str, out: _Collector, recon: list[dict]):
    """Check a wide template's identifying columns and melt it into measure rows."""
    spec = TABLES[table]
    missing = _check_header(raw, table, spec.names, out)
    measure_cols = [c for c in spec.names if c in MEASURES and c in raw.frame.columns]
    blank_cells = int(raw.frame[measure_cols].isna().sum().sum()) if measure_cols else 0
    # the melted values are checked as measures; the wide column becomes the measure name
    raw_text = melt_wide(raw.frame, measure_cols)
    parsed, reasons = _parse_file(
        raw_text, raw_text["row"], raw.path, list(TABLES["measures"].columns), "measures", out
    )
    parsed["__row"] = raw_text["row"].to_numpy()
    if missing:
        for i in reasons.index:
            reasons[i].append(_LACKS + ", ".join(missing))
    recon.append(
        {
            "table": table,
            "file": out.name(raw.path),
            "unit": "rows",
            "read": len(raw.frame),
            "kept": len(raw.frame),
            "quarantined": 0,
            "note": f"melted into {len(raw_text)} measure values ({blank_cells} blank cells "
            "are not measures)",
        }
    )
    return parsed, raw_text, reasons, out.name(raw.path)


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
    """True when a blank ``column`` comes from an absent column or a value that did not parse."""
    return any(
        (r.startswith(_LACKS) and column in r[len(_LACKS) :].split(", "))
        or (r.startswith(column) and ": wrong type" in r)
        for r in reasons
    )


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
        out.add(
            "error", file[index], row[index], table, column, value, rule, hint_key=_hint_key(check)
        )
        why[index].append(f"{column}: {rule} ({value!r})")


def _cross_table(tables, out: _Collector) -> None:
    """Foreign keys, duplicate measures and follow-up-before-baseline, across files."""
    for (table, column), (parent, parent_column) in FOREIGN_KEYS.items():
        frame, raw, why, file, row = tables[table]
        pframe, _, pwhy, _, _ = tables[parent]
        if frame.empty:
            continue
        ok_parent = pframe.loc[pwhy.map(len) == 0, parent_column]
        all_parent = set(pframe[parent_column].dropna())
        unknown = frame[column].notna() & ~frame[column].isin(all_parent)
        held = frame[column].isin(all_parent) & ~frame[column].isin(set(ok_parent))
        for index in unknown[unknown].index:
            rule = f"{column} not found in {parent}"
            out.add(
                "error",
                file[index],
                row[index],
                table,
                column,
                raw.at[index, column],
                rule,
                hint_key="foreign key",
            )
            why[index].append(f"{column}: {rule} ({raw.at[index, column]!r})")
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
    base_date = frame["client_id"].map(baseline)
    early = (frame["timepoint"] != "baseline") & (frame["date"] < base_date).fillna(False)
    for index in early[early].index:
        rule = "follow-up dated before baseline"
        value = raw.at[index, "date"]
        out.add("error", file[index], row[index], "measures", "date", value, rule)
        why[index].append(f"date: {rule} ({value!r} < {base_date[index]:%Y-%m-%d})")


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
        if pd.isna(text) or not str(text).strip():
            continue
        where = f"{file[index]} row {row[index]} (CMOC {frame.at[index, 'cmoc_id']})"
        try:
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


def _expected_files(config: EvaluationConfig | None, paths: list[Path], out: _Collector) -> None:
    if config is None:
        return
    stems = {p.stem.lower() for p in paths}
    for provider in config.providers:
        slug = provider.get("slug") if isinstance(provider, dict) else None
        if not slug:
            continue
        if f"{slug}_participants" not in stems:
            out.add(
                "error",
                f"extracts/{slug}_participants.csv",
                None,
                "participants",
                None,
                None,
                "missing file",
            )
        if not any(
            f"{slug}_{t}" in stems
            for t in ("measures", "wellbeing", "lifestyle", "talking_therapy")
        ):
            out.add(
                "error",
                f"extracts/{slug}_measures.csv",
                None,
                "measures",
                None,
                None,
                "missing file",
            )


def validate_files(
    paths: list[Path], *, root: Path | None = None, config: EvaluationConfig | None = None
) -> ValidationResult:
    """Validate a set of extract files (see :func:`validate_directory`)."""
    paths = sorted(Path(p) for p in paths)
    out = _Collector(root or (paths[0].parent if paths else Path.cwd()))
    _expected_files(config, paths, out)
    pieces, recon = _read_tables(paths, out)
    tables = {t: _combine(t, pieces[t], out) for t in pieces}
    for table, (frame, raw, why, file, row) in tables.items():
        if not frame.empty:
            failures = _schema_failures(frame, table)
            _report_failures(table, frame, raw, why, file, row, failures, out)
    _cross_table(tables, out)
    _check_expressions(tables, config, out)
    clean, quarantine = {}, {}
    for table, (frame, raw, why, file, row) in tables.items():
        bad = why.map(len) > 0 if len(why) else pd.Series(dtype=bool)
        kept = frame.loc[~bad].assign(source_file=file[~bad], source_row=row[~bad])
        clean[table] = kept.reset_index(drop=True)
        quarantine[table] = (
            raw.loc[bad]
            .assign(source_file=file[bad], source_row=row[bad], reason=why[bad].map("; ".join))
            .reset_index(drop=True)
        )
        if len(file):
            wide = {r["file"] for r in recon if r["unit"] == "rows" and "melted" in r["note"]}
            for name in file.unique():
                mine = file == name
                unit = "values" if name in wide else "rows"
                recon.append(_recon(table, name, unit, int(mine.sum()), int((mine & bad).sum())))
    reconciliation = pd.DataFrame(recon).sort_values(["table", "file"], kind="stable")
    return ValidationResult(
        clean, quarantine, out.frame(), reconciliation.reset_index(drop=True), paths
    )


def input_paths(directory: str | Path) -> list[Path]:
    """Every extract (``extracts/``) and qualitative table (``qual/``) validation reads, sorted."""
    directory = Path(directory)
    found = []
    for folder in (directory / "extracts", directory / "qual"):
        if folder.is_dir():
            found += [
                p
                for p in folder.iterdir()
                if p.suffix.lower() in READABLE_SUFFIXES and not p.name.startswith("~$")
            ]
    return sorted(found)


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
    return validate_files(input_paths(directory), root=directory, config=config)


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
            neutralise_formulas(frame).to_csv(path, index=False)
        elif path.exists():
            path.unlink()
    neutralise_formulas(result.issues).to_csv(out_dir / "issues.csv", index=False)
    neutralise_formulas(result.reconciliation).to_csv(out_dir / "reconciliation.csv", index=False)
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
