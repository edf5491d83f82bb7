"""What an evaluation's mappings make of its provider files (``evalkit map check``).

For each provider file a mapping matches: the first rows as evalkit will read them (evalkit's
columns and codes, dates ``yyyy-mm-dd``, kilograms and centimetres, long measures), and every
column the mapping does not read and every value its value maps lack, before validation.

Examples
--------
>>> import tempfile, pathlib
>>> from evalkit.config import EvaluationConfig
>>> d = pathlib.Path(tempfile.mkdtemp()); (d / "extracts").mkdir()
>>> _ = (d / "extracts" / "export.csv").write_text("Ref,Sex,Colour\\nA1,M,red\\nA2,X,blue\\n")
>>> _ = (d / "north.yml").write_text(
...     "provider: north\\nfiles:\\n- pattern: export.csv\\n"
...     "  columns: {Ref: client_id, Sex: sex}\\n  values: {sex: {M: male}}\\n")
>>> config = EvaluationConfig(name="T", data_dir=d, mappings=["north.yml"], path=d / "e.yml")
>>> checked = check_mappings(config)
>>> checked[["file", "kind", "column", "value"]].to_dict("records")
[{'file': 'extracts/export.csv', 'kind': 'unmapped column', 'column': 'Colour', 'value': \
'Colour'}, {'file': 'extracts/export.csv', 'kind': 'unmapped value', 'column': 'Sex', 'value': 'X'}]
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from evalkit.data.provider_exports import MappedExports, map_exports
from evalkit.data.readers import READABLE_SUFFIXES

__all__ = ["CHECK_COLUMNS", "check_mappings", "format_mapping_check", "mapped_exports"]

#: Columns of :func:`check_mappings`.
CHECK_COLUMNS = ["file", "mapping", "kind", "row", "column", "value", "rule"]


def mapped_exports(config: Any) -> MappedExports:
    """Every provider file of the evaluation's ``extracts/`` through its mapping."""
    folder = config.extracts_dir
    paths = sorted(
        p
        for p in (folder.iterdir() if folder.is_dir() else [])
        if p.is_file() and p.suffix.lower() in READABLE_SUFFIXES and not p.name.startswith("~$")
    )
    return map_exports(config, paths, config.data_dir)


def check_mappings(config: Any, exports: MappedExports | None = None) -> pd.DataFrame:
    """Every unmapped column, unmapped value and other mapping problem, one row each.

    ``kind`` is ``unmapped column``, ``unmapped value``, ``no file`` (a pattern matching no
    file) or ``problem`` (a header the file lacks, a value that does not convert, ...).
    """
    exports = exports if exports is not None else mapped_exports(config)
    rows = []
    for issue in exports.issues:
        rows.append(
            {
                "file": issue["file"],
                "mapping": "",
                "kind": "no file",
                "row": None,
                "column": None,
                "value": issue["value"],
                "rule": issue["rule"],
            }
        )
    for applied in exports.files.values():
        for table in applied.tables:
            for problem in table.problems:
                if problem.rule.startswith("column not named"):
                    kind = "unmapped column"
                elif problem.rule.startswith("value not in the value map"):
                    kind = "unmapped value"
                else:
                    kind = "problem"
                rows.append(
                    {
                        "file": applied.label,
                        "mapping": applied.mapping_source,
                        "kind": kind,
                        "row": problem.row,
                        "column": problem.column,
                        "value": problem.value,
                        "rule": problem.rule,
                    }
                )
    frame = pd.DataFrame(rows, columns=CHECK_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def format_mapping_check(config: Any, rows: int = 5) -> str:
    """``evalkit map check`` output: per provider file, its first rows as evalkit reads them,
    then every unmapped column and value."""
    exports = mapped_exports(config)
    problems = check_mappings(config, exports)
    lines = []
    if not config.mappings:
        return "no mappings: listed in evaluation.yml (see docs/onboarding.md)"
    for applied in exports.files.values():
        lines.append(
            f"== {applied.label}  (through {applied.mapping_source}, {applied.rows_read} rows)"
        )
        for table in applied.tables:
            shown = table.frame.head(rows).copy()
            if table.table == "measures":
                shown.index = applied.source_rows["measures"].head(rows).to_numpy()
            shown.index.name = "row"
            lines.append(f"-- {table.table} ({len(table.frame)} rows), first {len(shown)}:")
            lines.append(shown.dropna(axis=1, how="all").to_string() if len(shown) else "(none)")
        mine = problems[problems["file"] == applied.label]
        for kind in ("unmapped column", "unmapped value", "problem"):
            found = mine[mine["kind"] == kind]
            if len(found):
                lines.append(f"-- {kind}s ({len(found)}):")
                for r in found.itertuples(index=False):
                    where = f"row {r.row} " if pd.notna(r.row) else ""
                    lines.append(f"  {where}{r.column}: {r.value!r}  {r.rule}".rstrip())
        lines.append("")
    for r in problems[problems["kind"] == "no file"].itertuples(index=False):
        lines.append(f"!! {r.rule}")
    return "\n".join(lines).rstrip()
