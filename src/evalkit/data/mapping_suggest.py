"""A first mapping for a provider's file, for the evaluator to confirm (``evalkit map suggest``).

The headers are matched to evalkit's columns and measures through the aliases of
``provider_aliases.yml`` (data, not code), the value sets to evalkit's codes, and the date
format and units are inferred from the values. Nothing is guessed silently: what could not be
matched (a header, a value, a timepoint) is listed in :attr:`Suggestion.unmapped_columns` and
:attr:`Suggestion.unmapped_values` and in the comments of the written file, and is left out of
the mapping, so validation names it until the evaluator decides.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "export.csv"
>>> _ = p.write_text("Client Ref,Gender,PHQ9 First,PHQ9 Last,Fav colour\\nA1,F,14,6,red\\n")
>>> s = suggest_mapping(p, provider="north")
>>> s.targets
{'Client Ref': 'client_id', 'Gender': 'sex', 'PHQ9 First': 'phq9_total (baseline)', \
'PHQ9 Last': 'phq9_total (exit)', 'Fav colour': None}
>>> s.unmapped_columns
['Fav colour']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from evalkit.data.mapping import FileMapping, parse_mapping
from evalkit.data.provider_exports import read_grid, read_provider_file
from evalkit.data.schema import MEASURES, TABLES
from evalkit.data.units import CONVERSIONS, likely_unit

__all__ = ["Suggestion", "aliases", "suggest_mapping"]

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\s*$")


@cache
def aliases() -> dict[str, Any]:
    """The alias tables of ``provider_aliases.yml``."""
    text = files("evalkit.data").joinpath("provider_aliases.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _words(text: object) -> list[str]:
    return re.findall(r"[a-z0-9]+", str(text).lower())


def _contains(words: list[str], alias: str) -> bool:
    """Whether the alias's words appear, in order and next to each other, in ``words``."""
    part = _words(alias)
    return any(words[i : i + len(part)] == part for i in range(len(words) - len(part) + 1))


def _best(words: list[str], table: dict[str, list[str]]) -> tuple[str | None, int]:
    """The key whose longest matching alias is longest (ties: the first key)."""
    best, length = None, 0
    for key, names in table.items():
        for alias in names:
            n = len(_words(alias))
            if n > length and _contains(words, alias):
                best, length = key, n
    return best, length


def _unit_of(header: str) -> str | None:
    """The unit part a header names in brackets or as its last word (``Weight (st)``)."""
    inside = re.findall(r"\(([^)]*)\)", header)
    candidates = [w for text in inside for w in _words(text)] or _words(header)[-1:]
    for unit, names in aliases()["units"].items():
        if any(word in names for word in candidates):
            return unit
    return None


@dataclass
class Suggestion:
    """A suggested mapping for one provider file.

    Attributes
    ----------
    mapping : dict
        The mapping file's content (checked by :func:`evalkit.data.mapping.parse_mapping`).
    targets : dict
        Each header of the file and what it was matched to (None: not matched).
    unmapped_columns : list of str
        Headers with no evalkit counterpart found.
    unmapped_values : dict
        Per evalkit column, the values of the file no code was found for.
    notes : list of str
        What was inferred rather than read (date order, units), to confirm.
    text : str
        The commented YAML to write.
    """

    mapping: dict[str, Any]
    targets: dict[str, str | None]
    unmapped_columns: list[str] = field(default_factory=list)
    unmapped_values: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    text: str = ""


def _header_row(path: Path, sheet: str | None) -> int:
    """The first of the top rows with the most filled cells (title lines above are skipped)."""
    grid, _ = read_grid(path, sheet)
    filled = [sum(1 for c in row if c.strip()) for row in grid[:30]]
    return 1 + filled.index(max(filled)) if filled else 1


def _code_for(value: str, column: str) -> str | None:
    spec = TABLES["participants"].column(column)
    codes = spec.allowed or ()
    words = _words(value)
    key = " ".join(words)
    if key.replace(" ", "_") in codes:
        return key.replace(" ", "_")
    known = {" ".join(_words(k)): v for k, v in (aliases()["values"].get(column) or {}).items()}
    if key in known:
        return str(known[key])
    if words and words[0] in codes:
        return words[0]
    return None


def _date_rule(values: pd.Series) -> tuple[dict[str, Any], str]:
    text = values.dropna().astype(str)
    if len(text) and text.str.match(_ISO).all():
        return {"format": "%Y-%m-%d"}, "dates are yyyy-mm-dd"
    parts = text.str.extract(_DMY).dropna().astype(int)
    if len(parts) and (parts[0] > 12).any():
        return {"day_first": True}, "dates are day first (a first part above 12 was seen)"
    if len(parts) and (parts[1] > 12).any():
        return {"day_first": False}, "dates are MONTH first (a second part above 12 was seen)"
    return {"day_first": True}, "dates assumed day first (UK); no value settled it"


def suggest_mapping(
    path: str | Path,
    *,
    provider: str = "provider_slug",
    sheet: str | None = None,
    header_row: int | None = None,
) -> Suggestion:
    """Suggest a mapping for a provider's file from its headers and values.

    Parameters
    ----------
    path : str or Path
        The provider's CSV or XLSX file.
    provider : str
        The provider's slug in ``evaluation.yml``.
    sheet : str, optional
        The workbook sheet (default: the first).
    header_row : int, optional
        The spreadsheet row of the headers (default: found from the filled cells).

    Returns
    -------
    Suggestion
    """
    path = Path(path)
    row = header_row or _header_row(path, sheet)
    entry = FileMapping(pattern=path.name, sheet=sheet, header_row=row)
    frame, _, _ = read_provider_file(path, entry)
    table = aliases()
    targets: dict[str, str | None] = {}
    columns: dict[str, str] = {}
    strength: dict[str, int] = {}
    measures: dict[tuple[str, str], list[tuple[str | None, str]]] = {}
    unmapped: list[str] = []
    notes: list[str] = []
    birth, ignore = None, []
    personal: dict[str, str] = {}
    measure_dates: dict[str, str] = {}
    named = {**table["measures"]}
    for name in MEASURES:  # a measure's own name: wemwbs_01 is "wemwbs 01"
        named[name] = [*named.get(name, []), name.replace("_", " ")]
    for header in frame.columns:
        words = _words(header)
        if any(_contains(words, a) for a in table["date_of_birth"]) and birth is None:
            birth, targets[header] = header, "date of birth: age derived, then dropped"
            continue
        kind = next(
            (k for k in ("nhs_number", "postcode") if any(_contains(words, a) for a in table[k])),
            None,
        )
        column, length = _best(words, table["columns"])
        if kind is not None and kind not in personal and column is None:
            personal[kind] = header
            targets[header] = f"{kind}: used, then dropped"
            continue
        if column is None and any(_contains(words, a) for a in table["never_stored"]):
            ignore.append(header)
            targets[header] = "ignored: personal data evalkit never stores"
            continue
        date_alias = next((a for a in table["measure_dates"] if _contains(words, a)), None)
        if date_alias is not None:
            rest = [w for w in words if w not in _words(date_alias)]
            timepoint, _ = _best(rest, table["timepoints"])
            if timepoint is not None and timepoint not in measure_dates:
                measure_dates[timepoint] = header
                targets[header] = f"date of the {timepoint} measures"
                continue
        measure, _ = _best(words, named)
        if measure is not None:
            timepoint, _ = _best(words, table["timepoints"])
            if timepoint is None and measure in table["default_timepoints"]:
                timepoint = table["default_timepoints"][measure]
                notes.append(f"{header!r} names no timepoint: taken as {timepoint}")
            if timepoint is None:
                unmapped.append(header)
                targets[header] = None
                notes.append(f"{header!r} looks like {measure} but names no timepoint")
                continue
            measures.setdefault((measure, timepoint), []).append((_unit_of(header), header))
            targets[header] = f"{measure} ({timepoint})"
            continue
        if column is None or strength.get(column, 0) >= length:
            unmapped.append(header)
            targets[header] = None
            if column is not None:
                notes.append(f"{header!r} also looks like {column}, already taken")
            continue
        if column in strength:  # a better header for the same column: the first is unmapped
            loser = next(h for h, c in columns.items() if c == column)
            del columns[loser]
            targets[loser] = None
            unmapped.append(loser)
        columns[header], strength[column], targets[header] = column, length, column
    mapping: dict[str, Any] = {"provider": provider}
    file: dict[str, Any] = {"pattern": path.name}
    if sheet:
        file["sheet"] = sheet
    if row != 1:
        file["header_row"] = row
    file["feeds"] = ["participants", "measures"] if measures else ["participants"]
    file["columns"] = columns
    values: dict[str, dict[str, str]] = {}
    unmapped_values: dict[str, list[str]] = {}
    for header, column in columns.items():
        spec = TABLES["participants"].column(column)
        if not spec.allowed or spec.multi:
            continue
        found: dict[str, str] = {}
        for value in sorted(frame[header].dropna().astype(str).unique()):
            code = _code_for(value, column)
            if code is None:
                unmapped_values.setdefault(column, []).append(value)
            elif value != code:
                found[value] = code
        if found:
            values[column] = found
    if values:
        file["values"] = values
    dated = [h for h, c in columns.items() if TABLES["participants"].column(c).kind == "date"]
    if dated:
        rule, note = _date_rule(pd.concat([frame[h] for h in dated]))
        file["dates"] = rule
        notes.append(note)
    if birth is not None and "referral_date" in columns.values():
        file["age_from_birth"] = {"column": birth, "at": "referral_date"}
    elif birth is not None:
        notes.append(f"{birth!r} is a date of birth, but no referral date was found to age at")
    if measures:
        file["measures"] = _measure_entries(measures, frame, notes)
        by_column = {c: h for h, c in columns.items()}
        assumed = {
            timepoint: by_column[column]
            for timepoint, column in (("baseline", "start_date"), ("exit", "end_date"))
            if column in by_column and timepoint not in measure_dates
        }
        if assumed:
            notes.append(
                "measure dates assumed: " + ", ".join(f"{t} at {h!r}" for t, h in assumed.items())
            )
        if measure_dates or assumed:
            file["measure_dates"] = {**assumed, **measure_dates}
    for kind, header in personal.items():
        file[kind] = header
    if "postcode" in personal:
        notes.append(
            f"{personal['postcode']!r} is looked up to LSOA and IMD (geography: in "
            "evaluation.yml names the lookups), then dropped; without lookups, move it to ignore:"
        )
    if ignore:
        file["ignore"] = ignore
    required = [c for c in TABLES["participants"].required if c not in columns.values()]
    mapping["files"] = [file]
    parse_mapping(mapping, path.name)  # the suggestion is a valid mapping
    suggestion = Suggestion(mapping, targets, unmapped, unmapped_values, notes)
    suggestion.text = _commented(suggestion, path, required)
    return suggestion


def _measure_entries(
    measures: dict[tuple[str, str], list[tuple[str | None, str]]],
    frame: pd.DataFrame,
    notes: list[str],
) -> list[dict[str, Any]]:
    entries: dict[tuple[str, str | None], dict[str, Any]] = {}
    for (measure, timepoint), parts in measures.items():
        units = {unit: header for unit, header in parts}
        unit: str | None = None
        headers = [parts[0][1]]
        for conversion in CONVERSIONS.values():
            if len(conversion.parts) == 2 and set(conversion.parts) == set(units):
                unit, headers = conversion.name, [units[p] for p in conversion.parts]
        if unit is None and parts[0][0] in CONVERSIONS:
            unit = parts[0][0]
            if CONVERSIONS[unit].target_unit != measure.rsplit("_", 1)[-1]:
                unit = None
        if unit is None and measure in ("weight_kg", "height_cm"):
            seen = likely_unit(measure, frame[headers[0]])
            if seen is not None and seen not in ("kg", "cm"):
                unit = seen
                notes.append(f"{headers[0]!r}: unit {seen} inferred from its values")
        key = (measure, unit)
        entry = entries.setdefault(key, {"measure": measure, "timepoints": {}})
        if unit is not None:
            entry["unit"] = unit
        entry["timepoints"][timepoint] = headers if len(headers) > 1 else headers[0]
    return [
        {k: entry[k] for k in ("measure", "unit", "timepoints") if k in entry}
        for entry in entries.values()
    ]


def _commented(suggestion: Suggestion, path: Path, required: list[str]) -> str:
    lines = [
        f"# Suggested by `evalkit map suggest {path.name}`: CHECK EVERY LINE before use.",
        "# Matched headers to evalkit columns and measures, values to evalkit codes; run",
        "# `evalkit map check` to see the rows as evalkit will read them.",
    ]
    lines += [f"# - {note}" for note in suggestion.notes]
    if suggestion.unmapped_columns:
        lines.append("# Headers not mapped (map them, or list them under ignore:):")
        lines += [f"#   {header!r}" for header in suggestion.unmapped_columns]
    for column, values in suggestion.unmapped_values.items():
        lines.append(f"# Values of {column} with no evalkit code found (add them to values:):")
        lines += [f"#   {value!r}" for value in values]
    if required:
        lines.append("# Required evalkit columns not in the file: give them under constants:")
        lines += [f"#   {column}" for column in required]
    body = yaml.safe_dump(suggestion.mapping, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(lines) + "\n" + body
