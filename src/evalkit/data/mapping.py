"""Provider mapping files: how one provider's own export becomes evalkit's tables.

A mapping file (``mappings/<provider-slug>.yml``, listed under ``mappings:`` in
``evaluation.yml``) is data, read by one generic mapper (:mod:`evalkit.data.provider_exports`).
For each of the provider's files (matched by a file-name pattern; a sheet and header row for a
workbook) it declares which evalkit tables the file feeds, the column renames, a value map per
column, the date format, unit conversions, wide timepoint columns becoming long measures, the
date of birth age is derived from (and then dropped), and constants.

The file is checked strictly before any data is read: an unknown key is an error with the
nearest allowed key, a rename or value-map target that evalkit does not have is an error naming
it, and every problem is reported together with its key path, like ``evaluation.yml``.

Examples
--------
>>> text = '''
... provider: nhs_trust
... files:
...   - pattern: "iaptus_*.csv"
...     feeds: [participants, measures]
...     columns: {"Client Ref": client_id, "Ending Reason": exit_reason}
...     values: {exit_reason: {"Completed treatment": completed}}
...     measures:
...       - measure: weight_kg
...         unit: stones_pounds
...         timepoints: {baseline: ["Weight st", "Weight lb"]}
... '''
>>> mapping = parse_mapping(yaml.safe_load(text), "mappings/nhs_trust.yml")
>>> mapping.files[0].measures[0].timepoints["baseline"]
['Weight st', 'Weight lb']
>>> parse_mapping({"provider": "nhs_trust", "files": [{"patern": "x.csv"}]}, "m.yml")
Traceback (most recent call last):
...
evalkit.errors.ConfigError: m.yml: 2 problems:
  files[0].pattern: required setting is missing (the provider's file name, or a pattern such \
as 'iaptus_*.csv')
  files[0].patern: unknown setting (did you mean 'pattern'?)
"""

from __future__ import annotations

import fnmatch
import numbers
import re
from pathlib import Path
from typing import Annotated, Any

import pydantic
import yaml

from evalkit.config import _check, _problems_message, did_you_mean
from evalkit.data.schema import MEASURES, TABLES, TIMEPOINTS
from evalkit.data.units import CONVERSIONS
from evalkit.errors import ConfigError

__all__ = [
    "FED_TABLES",
    "FileMapping",
    "MeasureColumns",
    "ProviderMapping",
    "load_mapping",
    "matching_files",
    "parse_mapping",
]

#: Columns evalkit's linkage takes out as they are read and never stores (docs/linkage.md).
_PERSONAL_COLUMNS = ("nhs_number", "date_of_birth", "postcode")
#: The evalkit tables a provider export may feed.
FED_TABLES = ("participants", "measures")
_SLUG = re.compile(r"^[a-z0-9_]+$")


def _text(value: object) -> str:
    if isinstance(value, bool) or value is None:
        shown = "nothing" if value is None else str(value).lower()
        raise ValueError(
            f"expected text, got {shown} (YAML reads yes/no/true/false unquoted as true or "
            'false: put it in quotes, e.g. "Yes")'
        )
    if isinstance(value, numbers.Number):
        return str(value)  # a numeric code such as 1 for "male" is the text "1"
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected text, got {value!r}")
    return value


Text = Annotated[str, pydantic.BeforeValidator(_text)]


def _slug(value: object) -> str:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise ValueError(
            f"expected the provider's slug from evaluation.yml (lower-case letters, digits and "
            f"underscores, e.g. nhs_trust), got {value!r}"
        )
    return value


def _one_or_more(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _known(kind: str, allowed: list[str] | tuple[str, ...]) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {kind} {value!r} ({did_you_mean(value, allowed)})")
        return value

    return pydantic.AfterValidator(check)


_Table = Annotated[Text, _known("table", FED_TABLES)]
_Timepoint = Annotated[Text, _known("timepoint", TIMEPOINTS)]
_Measure = Annotated[Text, _known("measure", list(MEASURES))]


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)


class DateRule(_Strict):
    """How the provider writes dates: a ``strftime`` format, else day first or month first."""

    format: Text | None = None
    day_first: bool = True


class MeasureColumns(_Strict):
    """One measure held in wide columns, one column (or one per unit part) per timepoint.

    ``timepoints: {baseline: "PHQ9 First", exit: "PHQ9 Last"}``; with ``unit: stones_pounds``
    each timepoint names its two columns, stones first.
    """

    measure: _Measure
    unit: Annotated[Text | None, pydantic.Field(description="a key of units.CONVERSIONS")] = None
    timepoints: dict[
        _Timepoint,
        Annotated[list[Text], pydantic.BeforeValidator(_one_or_more)],
    ]

    @pydantic.model_validator(mode="after")
    def _unit_fits(self) -> MeasureColumns:
        if self.unit is None:
            return self
        if self.unit not in CONVERSIONS:
            raise ValueError(f"unknown unit {self.unit!r} ({did_you_mean(self.unit, CONVERSIONS)})")
        conversion = CONVERSIONS[self.unit]
        wanted = self.measure.rsplit("_", 1)[-1]
        if conversion.target_unit != wanted:
            raise ValueError(
                f"unit {self.unit!r} gives {conversion.target_unit}, but {self.measure} is in "
                f"{wanted}"
            )
        for timepoint, columns in self.timepoints.items():
            if len(columns) != len(conversion.parts):
                raise ValueError(
                    f"timepoint {timepoint}: unit {self.unit!r} needs {len(conversion.parts)} "
                    f"column(s) ({', '.join(conversion.parts)}), got {len(columns)}"
                )
        return self

    @property
    def headers(self) -> list[str]:
        """Every provider header this measure reads."""
        return [h for columns in self.timepoints.values() for h in columns]


class AgeFromBirth(_Strict):
    """Age and age band derived from a date of birth, which is then dropped (never stored)."""

    column: Text
    at: Annotated[Text, pydantic.Field(description="the evalkit date column age is taken at")] = (
        "referral_date"
    )


def _as_value_map(value: object) -> object:
    if not isinstance(value, dict):
        return value
    out = {}
    for key, target in value.items():
        if isinstance(key, bool):
            raise ValueError(
                f"the provider value {str(key).lower()} is read by YAML as true/false: put it in "
                'quotes, e.g. "Yes": yes'
            )
        out[str(key)] = target
    return out


class FileMapping(_Strict):
    """How one of the provider's files maps onto evalkit's tables."""

    pattern: Annotated[
        Text,
        pydantic.Field(description="the provider's file name, or a pattern such as 'iaptus_*.csv'"),
    ]
    sheet: Text | None = None
    header_row: Annotated[int, pydantic.Field(ge=1, strict=True)] = 1
    feeds: Annotated[list[_Table], pydantic.BeforeValidator(_one_or_more)] = ["participants"]
    columns: dict[Text, Text] = {}
    values: dict[Text, Annotated[dict[str, Text], pydantic.BeforeValidator(_as_value_map)]] = {}
    dates: DateRule = DateRule()
    measures: list[MeasureColumns] = []
    measure_dates: dict[_Timepoint, Text] = {}
    age_from_birth: AgeFromBirth | None = None
    postcode: Annotated[
        Text | None,
        pydantic.Field(
            description="the provider header of the postcode: looked up to an LSOA and IMD "
            "(geography: in evaluation.yml), then dropped"
        ),
    ] = None
    nhs_number: Annotated[
        Text | None,
        pydantic.Field(
            description="the provider header of the NHS number: used to link people across "
            "providers (evalkit.data.linkage), never stored"
        ),
    ] = None
    constants: dict[Text, Text] = {}
    ignore: Annotated[list[Text], pydantic.BeforeValidator(_one_or_more)] = []

    @pydantic.model_validator(mode="after")
    def _targets_exist(self) -> FileMapping:
        allowed = _target_columns(self.feeds)
        problems = []
        for header, target in self.columns.items():
            if target not in allowed:
                problems.append(
                    f"columns.{header}: unknown evalkit column {target!r} "
                    f"({did_you_mean(target, allowed)})"
                )
        for column in self.constants:
            if column not in allowed:
                problems.append(
                    f"constants.{column}: unknown evalkit column ({did_you_mean(column, allowed)})"
                )
        mapped = set(self.columns.values())
        for column, value_map in self.values.items():
            if column not in mapped:
                problems.append(
                    f"values.{column}: no column of the file is renamed to {column!r} "
                    "(value maps are keyed by the evalkit column)"
                )
                continue
            spec = _column_spec(column)
            for raw, target in value_map.items():
                parts = target.split(";") if spec is not None and spec.multi else [target]
                bad = [
                    p for p in parts if spec is not None and spec.allowed and p not in spec.allowed
                ]
                if bad:
                    problems.append(
                        f"values.{column}.{raw}: {bad[0]!r} is not an evalkit code of {column} "
                        f"({did_you_mean(bad[0], spec.allowed or ())})"
                    )
        if self.measures and "measures" not in self.feeds:
            problems.append("measures: the file must feed measures (feeds: [..., measures])")
        if self.age_from_birth is not None and self.age_from_birth.at not in mapped:
            problems.append(
                f"age_from_birth.at: no column of the file is renamed to {self.age_from_birth.at!r}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def matches(self, path: Path) -> bool:
        """Whether a file is one this mapping describes (its name, case-insensitive)."""
        return fnmatch.fnmatch(path.name.lower(), self.pattern.lower())

    @property
    def read_headers(self) -> set[str]:
        """Every provider header the mapping reads or deliberately ignores."""
        headers = set(self.columns) | set(self.measure_dates.values()) | set(self.ignore)
        headers |= {h for m in self.measures for h in m.headers}
        if self.age_from_birth is not None:
            headers.add(self.age_from_birth.column)
        headers |= {h for h in (self.postcode, self.nhs_number) if h is not None}
        return headers

    @property
    def never_stored(self) -> set[str]:
        """Provider headers whose values are never written: the date of birth, the postcode and
        every ignored column."""
        dropped = set(self.ignore) | {h for h in (self.postcode, self.nhs_number) if h}
        dropped |= {h for h, c in self.columns.items() if c in _PERSONAL_COLUMNS}
        return dropped | ({self.age_from_birth.column} if self.age_from_birth else set())


class ProviderMapping(_Strict):
    """A whole mapping file: the provider and its files."""

    provider: Annotated[
        str,
        pydantic.BeforeValidator(_slug),
        pydantic.Field(description="the provider's slug from evaluation.yml, e.g. nhs_trust"),
    ]
    files: Annotated[list[FileMapping], pydantic.Field(min_length=1)]
    #: The mapping file itself (set by :func:`load_mapping`), for messages.
    source: str = ""


def _column_spec(column: str):
    for table in FED_TABLES:
        if column in TABLES[table].names:
            return TABLES[table].column(column)
    return None


def _target_columns(feeds: list[str]) -> list[str]:
    """The evalkit columns a file feeding ``feeds`` may be renamed to."""
    names: list[str] = []
    for table in feeds:
        names += [n for n in TABLES[table].names if n not in names]
    return names


def parse_mapping(raw: object, source: str | Path) -> ProviderMapping:
    """Check a mapping read from YAML; every problem is reported with its key path.

    Raises
    ------
    ConfigError
        Naming the mapping file and, per problem, the key path and the value.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: expected a mapping with provider: and files:, got {raw!r}")
    checked, problems = _check(ProviderMapping, {**raw, "source": str(source)})
    if checked is None:
        problems = [p for path, text in problems for p in _split_nested(path, text)]
        raise ConfigError(_problems_message(source, problems))
    assert isinstance(checked, ProviderMapping)
    return checked


def _split_nested(path: str, text: str) -> list[tuple[str, str]]:
    """The problems of one model-level message (``key: message; key: message``), each under
    its own key path."""
    out = []
    for piece in text.split("; ") if _NESTED.match(text) else [text]:
        match = _NESTED.match(piece)
        if match:
            out.append((f"{path}.{match.group(1)}" if path else match.group(1), match.group(2)))
        else:
            out.append((path, piece))
    return out


_NESTED = re.compile(r"^((?:columns|constants|values|measures|age_from_birth)[^:]*): (.*)$")


def load_mapping(path: str | Path) -> ProviderMapping:
    """Read and check one mapping file.

    Raises
    ------
    ConfigError
        If the file is missing, not YAML, or has any problem (see :func:`parse_mapping`).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"{path}: mapping file not found (listed under mappings: in evaluation.yml). "
            "Write one with `evalkit map suggest FILE`, or remove it from the list."
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    return parse_mapping(raw, path)


def matching_files(
    mapping: ProviderMapping, paths: list[Path]
) -> list[tuple[FileMapping, list[Path]]]:
    """Each file entry of a mapping with the files it matches (a file matches one entry)."""
    claimed: set[Path] = set()
    out = []
    for entry in mapping.files:
        found = [p for p in paths if p not in claimed and entry.matches(p)]
        claimed.update(found)
        out.append((entry, found))
    return out
