"""The evaluation config (``evaluation.yml``): one file names the data, periods, sites and rules.

Every key has a documented default except ``name`` and ``data_dir`` (docs/configuration.md).
The file is checked at every level before anything reads it: an unknown key is an error with the
nearest allowed key (a typo such as ``disclousre`` must not silently fall back to a default), and
every value is checked for its type and range. All the problems of a file are reported together,
each with its key path and value, in one :class:`~evalkit.errors.ConfigError`.

The checks are pydantic models, one per section (:class:`DisclosurePolicy` is the
``disclosure:`` section); :class:`EvaluationConfig` stays a plain dataclass built from them, so
code (tests, the demo) builds one with keyword arguments and the same rules apply to it.

``did_you_mean`` is the nearest-allowed-key helper every settings check uses (this is the bottom
layer, so it lives here rather than beside ``evalkit.data.expressions.nearest_columns``).
"""

from __future__ import annotations

import datetime
import difflib
import math
import numbers
import os
import re
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin

import pydantic
import yaml

from evalkit.errors import ConfigError

__all__ = [
    "DATA_DIR_VARIABLE",
    "DISCLOSURE_FLOOR",
    "ContractChange",
    "ContractExtension",
    "ContractTimeline",
    "DisclosurePolicy",
    "EvaluationConfig",
    "did_you_mean",
    "load_config",
    "write_config",
]

#: The smallest small-number threshold a report may use: counts 1 to 4 are always suppressed
#: (NHS Digital's disclosure control for HES, "values between 1 and 5" replaced by "*";
#: ../shared/reference/measures.md section 10). A configured threshold may only raise it.
DISCLOSURE_FLOOR = 5

#: Environment variable naming the data folder explicitly (what ``--data-dir`` sets, so the
#: report's notebooks read the same folder as the command); it wins over ``data_dir``.
DATA_DIR_VARIABLE = "EVALKIT_DATA_DIR"

_PERIOD = re.compile(r"^\d{4}-Q[1-4]$")
_SLUG = re.compile(r"^[a-z0-9_]+$")


def did_you_mean(name: object, allowed: Iterable[str]) -> str:
    """A hint for an unknown key: the nearest allowed one, else the allowed keys.

    Examples
    --------
    >>> did_you_mean("treshold", ["threshold", "round_to"])
    "did you mean 'threshold'?"
    >>> did_you_mean("timeout", ["execution_timeout", "warm_kernels"])
    "did you mean 'execution_timeout'?"
    >>> did_you_mean("colour", ["threshold", "round_to"])
    'allowed: round_to, threshold'
    """
    allowed = sorted(allowed)
    by_lower = {a.lower(): a for a in allowed}
    given = str(name).lower()
    near = difflib.get_close_matches(given, list(by_lower), n=1, cutoff=0.7)
    if not near and len(given) >= 3:  # a part of a key: timeout for execution_timeout
        near = sorted((a for a in by_lower if given in a or a in given), key=len)[:1]
    if near:
        return f"did you mean {by_lower[near[0]]!r}?"
    return f"allowed: {', '.join(allowed)}"


def _describe(value: object) -> str:
    """A value as a message shows it: ``the text 'North'``, ``4``, ``a list [...]``."""
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    text = repr(list(value)) if isinstance(value, list | tuple) else repr(value)
    text = text if len(text) <= 60 else text[:57] + "..."
    return f"a list {text}" if isinstance(value, list | tuple) else text


def _quote_hint(value: object) -> str:
    return f' (put it in quotes: "{value}")' if isinstance(value, numbers.Number) else ""


# --- values ------------------------------------------------------------------------------------


def _whole_number(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"expected a whole number, got {_describe(value)}")
    return int(value)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {_describe(value)}{_quote_hint(value)}")
    if not value.strip():
        raise ValueError("expected text, got an empty value")
    return value


def _share(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= float(value) <= 1:
        raise ValueError(f"expected a share from 0 to 1, got {_describe(value)}")
    return float(value)


def _period(value: object) -> str:
    if not isinstance(value, str) or not _PERIOD.match(value):
        raise ValueError(
            f"expected a calendar quarter written YYYY-Qn (n 1 to 4), e.g. 2026-Q1, "
            f"got {_describe(value)}"
        )
    return value


def _date(value: object) -> datetime.date:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date written YYYY-MM-DD, e.g. 2024-07-01, got {_describe(value)}")


def _slug(value: object) -> str:
    if not isinstance(value, str) or not _SLUG.match(value):
        raise ValueError(
            "expected the file-name prefix of the provider's extracts in lower-case letters, "
            f"digits and underscores (e.g. north_trust), got {_describe(value)}"
        )
    return value


def _list_of(what: str) -> Callable[[object], list[Any]]:
    def check(value: object) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            raise ValueError(f"expected a list of {what}, got {_describe(value)}")
        return list(value)

    return check


def _mapping_of(what: str) -> Callable[[object], object]:
    def check(value: object) -> object:
        if value is None:
            return {}
        if isinstance(value, pydantic.BaseModel):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"expected a mapping of {what}, got {_describe(value)}")
        return value

    return check


def _unique(what: str, key: Callable[[Any], object] = lambda item: item):
    def check(items: list[Any]) -> list[Any]:
        seen: set[object] = set()
        for item in items:
            if key(item) in seen:
                raise ValueError(f"{what} {key(item)!r} is listed twice")
            seen.add(key(item))
        return items

    return check


def _oldest_first(periods: list[str]) -> list[str]:
    _unique("period")(periods)
    for earlier, later in zip(periods, periods[1:], strict=False):
        if later < earlier:
            raise ValueError(f"expected periods oldest first, got {later!r} after {earlier!r}")
    return periods


def _quintile_keys(value: object) -> object:
    value = _mapping_of("IMD quintile shares (1: 0.2, ..., 5: 0.2)")(value)
    if not isinstance(value, dict):
        return value
    keyed = {}
    for key, share in value.items():
        if isinstance(key, str) and key.strip().isdigit():
            key = int(key)
        if isinstance(key, bool) or not isinstance(key, int):
            raise ValueError(f"expected IMD quintiles 1 to 5 as keys, got {_describe(key)}")
        keyed[key] = share
    return keyed


def _five_quintiles(shares: dict[int, float]) -> dict[int, float]:
    if sorted(shares) != [1, 2, 3, 4, 5]:
        raise ValueError(
            f"expected exactly the quintiles 1 to 5, got {', '.join(map(str, sorted(shares)))}"
        )
    total = sum(shares.values())
    if abs(total - 1) > 0.01:
        raise ValueError(
            f"expected the shares of quintiles 1 to 5 summing to 1 (± 0.01), got a sum of {total:g}"
        )
    return dict(sorted(shares.items()))


def _quintile(value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or not 1 <= int(value) <= 5
    ):
        raise ValueError(f"expected an IMD quintile 1 to 5, got {_describe(value)}")
    return int(value)


def _not_empty(items: list[Any]) -> list[Any]:
    if not items:
        raise ValueError("expected at least one IMD quintile, got an empty list")
    return _unique("quintile")(items)


def _at_least_one(value: int) -> int:
    if value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value}")
    return value


WholeNumber = Annotated[int, pydantic.BeforeValidator(_whole_number)]
Text = Annotated[str, pydantic.BeforeValidator(_text)]
Share = Annotated[float, pydantic.BeforeValidator(_share)]
Period = Annotated[str, pydantic.BeforeValidator(_period)]
Slug = Annotated[str, pydantic.BeforeValidator(_slug)]
Quintile = Annotated[int, pydantic.BeforeValidator(_quintile)]
Date = Annotated[datetime.date, pydantic.BeforeValidator(_date)]


def _optional_round_to(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(
            f"expected a whole number of at least 1, or null to show exact counts, "
            f"got {_describe(value)}"
        )
    return int(value)


# --- sections ----------------------------------------------------------------------------------


class DisclosurePolicy(pydantic.BaseModel):
    """The small-number rule of a report: the one home of its threshold and rounding.

    Every table, sentence, caption and key figure asks this policy whether a count may be shown
    and how it is rounded; :mod:`evalkit.disclosure.suppression` applies it to tables.

    Attributes
    ----------
    threshold : int
        Smallest count that may be shown; counts 1 to ``threshold - 1`` are suppressed (zero
        is shown). At least :data:`DISCLOSURE_FLOOR` (5).
    round_to : int or None
        Shown counts are rounded to the nearest multiple (halves up); None shows them exactly.

    Notes
    -----
    The floor of 5 follows NHS Digital's disclosure control (counts 1 to 4 are always
    suppressed; ../shared/reference/measures.md section 10); the default of 8 follows its
    sub-national rule for HES and ECDS since 2018 (1 to 7 suppressed).

    Examples
    --------
    >>> policy = DisclosurePolicy(threshold=8, round_to=5)
    >>> policy.shown(0), policy.shown(7), policy.shown(8)
    (True, False, True)
    >>> policy.rounded(1233), policy.rounded(1234)
    (1235, 1235)
    """

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    threshold: WholeNumber = 8
    round_to: Annotated[int | None, pydantic.BeforeValidator(_optional_round_to)] = 5

    @pydantic.field_validator("threshold")
    @classmethod
    def _at_least_the_floor(cls, value: int) -> int:
        if value < DISCLOSURE_FLOOR:
            raise ValueError(
                f"expected at least {DISCLOSURE_FLOOR}, got {value} (counts below "
                f"{DISCLOSURE_FLOOR} are always suppressed, NHS Digital practice; the threshold "
                "may only raise that floor)"
            )
        return value

    def shown(self, n: float) -> bool:
        """Whether a figure resting on ``n`` people may be shown: zero, or at least the
        threshold."""
        return n == 0 or n >= self.threshold

    def rounded(self, n: float) -> int:
        """A count as shown: rounded to the nearest ``round_to`` (halves up), else exact."""
        if not self.round_to:
            return int(n)
        return int(math.floor(n / self.round_to + 0.5) * self.round_to)


class _Section(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class ContractChange(pydantic.BaseModel):
    """A declared change point (a new provider, a new pathway): SPC charts rebase there."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    date: Date
    label: Text


class ContractExtension(pydantic.BaseModel):
    """An optional extension of the contract, running to ``until``."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    until: Date
    label: Annotated[
        str | None, pydantic.BeforeValidator(lambda v: None if v is None else _text(v))
    ] = None


class ContractTimeline(pydantic.BaseModel):
    """The ``contract:`` section: the dates of the contract the evaluated service runs under.

    Attributes
    ----------
    start : date
        First day of the contract.
    mobilisation_end : date or None
        Last day of mobilisation (setting up before full service).
    end : date
        Last day of the initial term.
    break_clauses : list of date
        Dates at which the commissioner may end the contract early.
    extensions : list of ContractExtension
        Optional extensions, each running ``until`` a date, in order.
    change_points : list of ContractChange
        Declared changes (a new provider, a redesigned pathway) at which SPC charts start new
        limits (:func:`evalkit.stats.spc.xmr` ``rebase_at``).

    Examples
    --------
    >>> contract = ContractTimeline(start="2024-07-01", end="2029-06-30",
    ...                             break_clauses=["2027-06-30"])
    >>> contract.break_clauses
    [datetime.date(2027, 6, 30)]
    >>> ContractTimeline(start="2024-07-01", end="2023-06-30")
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for ContractTimeline
    ...
    """

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    start: Date
    mobilisation_end: Date | None = None
    end: Date
    break_clauses: Annotated[
        list[Date], pydantic.BeforeValidator(_list_of("break-clause dates (YYYY-MM-DD)"))
    ] = []
    extensions: Annotated[
        list[
            Annotated[
                ContractExtension,
                pydantic.BeforeValidator(_mapping_of("extension settings (until, label)")),
            ]
        ],
        pydantic.BeforeValidator(_list_of("extensions, each {until, label}")),
    ] = []
    change_points: Annotated[
        list[
            Annotated[
                ContractChange,
                pydantic.BeforeValidator(_mapping_of("change-point settings (date, label)")),
            ]
        ],
        pydantic.BeforeValidator(_list_of("change points, each {date, label}")),
    ] = []

    @pydantic.model_validator(mode="after")
    def _in_order(self) -> ContractTimeline:
        if self.end <= self.start:
            raise ValueError(f"expected end after start, got end {self.end} and start {self.start}")
        if self.mobilisation_end is not None and not self.start <= self.mobilisation_end < self.end:
            raise ValueError(
                f"expected mobilisation_end from start ({self.start}) to before end "
                f"({self.end}), got {self.mobilisation_end}"
            )
        last = self.end
        for extension in self.extensions:
            if extension.until <= last:
                raise ValueError(
                    f"expected each extension to run beyond the term before it ({last}), "
                    f"got until {extension.until}"
                )
            last = extension.until
        for when in self.break_clauses:
            if not self.start < when <= last:
                raise ValueError(
                    f"expected break clauses after start ({self.start}) and by the end of the "
                    f"last extension ({last}), got {when}"
                )
        for change in self.change_points:
            if not self.start <= change.date <= last:
                raise ValueError(
                    f"expected change point {change.label!r} within the contract "
                    f"({self.start} to {last}), got {change.date}"
                )
        return self


class _Provider(_Section):
    name: Text
    slug: Annotated[
        Slug,
        pydantic.Field(
            description="the file-name prefix of the provider's extracts, e.g. north for "
            "extracts/north_participants.csv"
        ),
    ]


class _TargetMostDeprived(_Section):
    quintiles: Annotated[
        list[Quintile],
        pydantic.BeforeValidator(_list_of("IMD quintiles (1 = most deprived)")),
        pydantic.AfterValidator(_not_empty),
    ] = [1]
    share: Share = 0.30


class _Realist(_Section):
    min_n: Annotated[WholeNumber, pydantic.AfterValidator(_at_least_one)] = 30


class _Geography(_Section):
    """Official lookups for IMD from an LSOA code or postcode (evalkit.data.geography)."""

    imd_lookup: Annotated[
        Text | None,
        pydantic.Field(description="the IoD2019 or IoD2025 File 1 (CSV or XLSX as published)"),
    ] = None
    postcode_lookup: Annotated[
        Text | None, pydantic.Field(description="an ONS Postcode Directory extract (CSV)")
    ] = None


_QualitativeSection = Annotated[
    dict[str, Any],
    pydantic.BeforeValidator(_mapping_of("qualitative settings (docs/qualitative.md)")),
]
_PipelineSection = Annotated[
    dict[str, Any], pydantic.BeforeValidator(_mapping_of("pipeline settings (docs/pipeline.md)"))
]
_LinkageSection = Annotated[
    dict[str, Any], pydantic.BeforeValidator(_mapping_of("linkage settings (docs/linkage.md)"))
]


class _Settings(_Section):
    """Every setting of ``evaluation.yml`` but the paths (checked in code-built configs too)."""

    name: Annotated[Text, pydantic.Field(description="the evaluation's name, shown on every page")]
    periods: Annotated[
        list[Period],
        pydantic.BeforeValidator(_list_of("periods (YYYY-Qn, oldest first)")),
        pydantic.AfterValidator(_oldest_first),
    ] = []
    sites: Annotated[
        list[Text],
        pydantic.BeforeValidator(_list_of("site names")),
        pydantic.AfterValidator(_unique("site")),
    ] = []
    providers: Annotated[
        list[
            Annotated[
                _Provider, pydantic.BeforeValidator(_mapping_of("provider settings (name, slug)"))
            ]
        ],
        pydantic.BeforeValidator(_list_of("providers, each {name, slug}")),
        pydantic.AfterValidator(_unique("provider name", lambda p: p.name)),
        pydantic.AfterValidator(_unique("provider slug", lambda p: p.slug)),
    ] = []
    notebooks: Annotated[
        list[Text],
        pydantic.BeforeValidator(_list_of("notebook names")),
        pydantic.AfterValidator(_unique("notebook")),
    ] = []
    population_imd_quintile_share: Annotated[
        dict[int, Share],
        pydantic.BeforeValidator(_quintile_keys),
        pydantic.AfterValidator(_five_quintiles),
    ] = {1: 0.2, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.2}
    target_most_deprived: Annotated[
        _TargetMostDeprived,
        pydantic.BeforeValidator(_mapping_of("settings (quintiles, share)")),
    ] = _TargetMostDeprived()
    instruments: Annotated[
        dict[
            str,
            Annotated[
                dict[str, Any],
                pydantic.BeforeValidator(
                    _mapping_of("settings of one instrument (missing_rule, max_missing)")
                ),
            ],
        ],
        pydantic.BeforeValidator(_mapping_of("instrument settings by instrument name")),
    ] = {}
    disclosure: Annotated[
        DisclosurePolicy,
        pydantic.BeforeValidator(_mapping_of("settings (threshold, round_to)")),
    ] = DisclosurePolicy()
    kpis: Annotated[
        list[Any] | None,
        pydantic.BeforeValidator(
            lambda value: None if value is None else _list_of("KPI definitions")(value)
        ),
    ] = None
    qualitative: _QualitativeSection = {}
    realist: Annotated[_Realist, pydantic.BeforeValidator(_mapping_of("settings (min_n)"))] = (
        _Realist()
    )
    titles: Annotated[
        dict[str, Text], pydantic.BeforeValidator(_mapping_of("titles by page or role"))
    ] = {}
    pipeline: _PipelineSection = {}
    linkage: _LinkageSection = {}
    mappings: Annotated[
        list[Text],
        pydantic.BeforeValidator(
            _list_of("provider mapping files, e.g. [mappings/nhs_trust.yml] (docs/onboarding.md)")
        ),
        pydantic.AfterValidator(_unique("mapping file")),
    ] = []
    geography: Annotated[
        _Geography, pydantic.BeforeValidator(_mapping_of("settings (imd_lookup, postcode_lookup)"))
    ] = _Geography()
    contract: Annotated[
        ContractTimeline | None,
        pydantic.BeforeValidator(
            lambda value: (
                None
                if value is None
                else _mapping_of("contract dates (start, mobilisation_end, end, ...)")(value)
            )
        ),
    ] = None


class _EvaluationFile(_Settings):
    """The whole of ``evaluation.yml``: the settings and the two paths."""

    data_dir: Annotated[
        Text,
        pydantic.Field(description="the folder holding extracts/ and qual/, e.g. '.'"),
    ]
    notebooks_dir: Annotated[
        str | None, pydantic.BeforeValidator(lambda v: None if v is None else _text(v))
    ] = None


# --- messages ----------------------------------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """A type without ``Annotated`` and ``| None``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            kinds = [a for a in get_args(annotation) if a is not type(None)]
            if len(kinds) != 1:
                return annotation
            annotation = kinds[0]
        else:
            return annotation


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, pydantic.BaseModel)


def _problem(model: type[pydantic.BaseModel], error: Any) -> tuple[str, str]:
    """The key path and the message of one pydantic error."""
    path, kind, holder, info = "", _unwrap(model), None, None
    for part in error["loc"]:
        if part == "[key]":  # the key of a mapping entry itself was refused
            continue
        holder, info = (kind if _is_model(kind) else None), None
        if _is_model(kind) and isinstance(part, str) and part in kind.model_fields:
            info = kind.model_fields[part]
            path, kind = f"{path}.{part}" if path else part, _unwrap(info.annotation)
        elif isinstance(part, int) and get_origin(kind) is list:
            path, kind = f"{path}[{part}]", _unwrap(get_args(kind)[0])
        else:  # a mapping key, or an unknown key
            path = f"{path}.{part}" if path else str(part)
            kind = _unwrap(get_args(kind)[-1]) if get_origin(kind) is dict else None
    if error["type"] == "extra_forbidden" and holder is not None:
        hint = did_you_mean(error["loc"][-1], holder.model_fields)
        return path, f"unknown setting ({hint})"
    if error["type"] == "missing":
        what = f" ({info.description})" if info is not None and info.description else ""
        return path, f"required setting is missing{what}"
    if error["type"] == "value_error":
        return path, str(error["ctx"]["error"])
    return path, f"{error['msg']}, got {_describe(error.get('input'))}"


def _problems_message(source: object, problems: list[tuple[str, str]]) -> str:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    lines = [f"  {path}: {text}" if path else f"  {text}" for path, text in problems]
    return "\n".join([f"{source}: {count}:", *lines])


def _check(
    model: type[pydantic.BaseModel], values: dict[str, Any]
) -> tuple[pydantic.BaseModel | None, list[tuple[str, str]]]:
    try:
        return model.model_validate(values), []
    except pydantic.ValidationError as exc:
        return None, [_problem(model, error) for error in exc.errors()]


def _as_settings(checked: pydantic.BaseModel) -> dict[str, Any]:
    """The checked settings as :class:`EvaluationConfig` holds them (plain dicts and lists)."""
    out = {}
    for name in _Settings.model_fields:
        value = getattr(checked, name)
        if name == "providers":
            value = [provider.model_dump() for provider in value]
        elif name in ("target_most_deprived", "realist", "geography"):
            value = value.model_dump()
        out[name] = value
    return out


# --- the config --------------------------------------------------------------------------------


@dataclass
class EvaluationConfig:
    """A parsed ``evaluation.yml``.

    Paths in the file are relative to the file's own folder; :attr:`data_dir` is resolved.
    A config built in code is checked by the same rules as the file (docs/configuration.md).

    Examples
    --------
    >>> cfg = EvaluationConfig(name="Demo", data_dir=Path("."))
    >>> cfg.disclosure.threshold
    8
    >>> EvaluationConfig(name="Demo", data_dir=Path("."), sites="North")
    Traceback (most recent call last):
    ...
    evalkit.errors.ConfigError: EvaluationConfig: 1 problem:
      sites: expected a list of site names, got the text 'North'
    """

    name: str
    data_dir: Path
    periods: list[str] = field(default_factory=list)
    sites: list[str] = field(default_factory=list)
    providers: list[dict[str, str]] = field(default_factory=list)
    #: Report notebooks to run, in order; empty means every page of evalkit.pages.PAGES.
    notebooks: list[str] = field(default_factory=list)
    notebooks_dir: Path | None = None
    population_imd_quintile_share: dict[int, float] = field(
        default_factory=lambda: {1: 0.2, 2: 0.2, 3: 0.2, 4: 0.2, 5: 0.2}
    )
    target_most_deprived: dict[str, Any] = field(
        default_factory=lambda: {"quintiles": [1], "share": 0.30}
    )
    instruments: dict[str, dict[str, Any]] = field(default_factory=dict)
    disclosure: DisclosurePolicy = field(default_factory=DisclosurePolicy)
    kpis: list[dict[str, Any]] | None = None
    qualitative: dict[str, Any] = field(default_factory=dict)
    realist: dict[str, Any] = field(default_factory=lambda: {"min_n": 30})
    titles: dict[str, str] = field(default_factory=dict)
    pipeline: dict[str, Any] = field(default_factory=dict)
    #: Person linkage: key_file, threshold, review_sample, probabilistic; journeys:
    #: journey_window_days, single_point_sources (checked by evalkit.data.linkage.
    #: linkage_settings; docs/linkage.md).
    linkage: dict[str, Any] = field(default_factory=dict)
    #: Provider mapping files (paths relative to the evaluation folder; docs/onboarding.md).
    mappings: list[str] = field(default_factory=list)
    #: IMD lookups (``imd_lookup``, ``postcode_lookup``: paths relative to the evaluation folder).
    geography: dict[str, Any] = field(default_factory=dict)
    #: The contract timeline (``contract:``), or None when the file gives none.
    contract: ContractTimeline | None = None
    path: Path | None = None

    def __post_init__(self) -> None:
        values = {name: getattr(self, name) for name in _Settings.model_fields}
        checked, problems = _check(_Settings, values)
        if checked is None:
            raise ConfigError(_problems_message("EvaluationConfig", problems))
        for name, value in _as_settings(checked).items():
            setattr(self, name, value)

    @property
    def root(self) -> Path:
        """Folder holding the config file (or the current folder for an in-memory config)."""
        return self.path.parent if self.path else Path.cwd()

    @property
    def extracts_dir(self) -> Path:
        """Folder of provider extracts."""
        return self.data_dir / "extracts"

    @property
    def validated_dir(self) -> Path:
        """Folder evalkit writes clean tables, quarantine and reconciliation into."""
        return self.data_dir / "validated"

    @property
    def qual_dir(self) -> Path:
        """Folder of qualitative inputs."""
        return self.data_dir / "qual"


#: The keys of ``evaluation.yml`` (every field but ``path``; tests check the models agree).
_FIELDS = {f.name for f in fields(EvaluationConfig)} - {"path"}


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise ConfigError(
                    f"the setting {key!r} is given twice (line {key_node.start_mark.line + 1}); "
                    "keep one."
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _resolve_data_dir(
    path: Path, data_dir: str, given: str | Path | None
) -> tuple[Path, list[tuple[str, str]]]:
    """The data folder: the one given explicitly, else ``data_dir`` inside the evaluation
    folder (the folder of ``evaluation.yml``)."""
    if given is not None:
        return Path(given).expanduser().resolve(), []
    folder = path.parent.resolve()
    resolved = (path.parent / data_dir).resolve()
    if resolved.is_relative_to(folder):
        return resolved, []
    return resolved, [
        (
            "data_dir",
            f"{data_dir!r} resolves to {resolved}, outside the evaluation folder {folder}; "
            "keep the data inside the evaluation folder, or name that folder explicitly with "
            f"--data-dir {resolved} (evalkit validate, evalkit report)",
        )
    ]


def load_config(path: str | Path, *, data_dir: str | Path | None = None) -> EvaluationConfig:
    """Read and check an ``evaluation.yml``.

    Parameters
    ----------
    path : str or Path
        The config file.
    data_dir : str or Path, optional
        The data folder, given explicitly (``--data-dir``): it replaces the file's ``data_dir``
        and may be anywhere. Without it, the :data:`DATA_DIR_VARIABLE` environment variable is
        used if set, else the file's ``data_dir``, which must lie inside the evaluation folder.

    Returns
    -------
    EvaluationConfig

    Raises
    ------
    ConfigError
        If the file is missing or is not a YAML mapping, or listing every problem of its
        settings (an unknown key with the nearest allowed one, a missing ``name``/``data_dir``,
        a value of the wrong type or out of range, a ``data_dir`` outside the folder), each
        with its key path and value.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "evaluation.yml").write_text("name: Demo\\ndata_dir: .\\nperiods: [2026-Q1]\\n")
    >>> load_config(d / "evaluation.yml").periods
    ['2026-Q1']
    >>> _ = (d / "evaluation.yml").write_text(
    ...     "name: Demo\\ndata_dir: .\\ndisclosure: {treshold: 3}\\nsites: North\\n")
    >>> load_config(d / "evaluation.yml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evalkit.errors.ConfigError: .../evaluation.yml: 2 problems:
      disclosure.treshold: unknown setting (did you mean 'threshold'?)
      sites: expected a list of site names, got the text 'North'
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found. Create one with `evalkit init DIR`.")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping of settings (name: ..., data_dir: ...), "
            f"got {_describe(raw)}."
        )
    checked, problems = _check(_EvaluationFile, raw)
    given = data_dir if data_dir is not None else os.environ.get(DATA_DIR_VARIABLE) or None
    folder = None
    if isinstance(raw.get("data_dir"), str) and raw["data_dir"].strip():
        folder, outside = _resolve_data_dir(path, raw["data_dir"], given)
        problems += outside
    if problems or checked is None or folder is None:
        order = {key: position for position, key in enumerate(raw)}
        problems.sort(key=lambda problem: order.get(re.split(r"[.\[]", problem[0])[0], len(order)))
        raise ConfigError(_problems_message(path, problems))
    assert isinstance(checked, _EvaluationFile)
    notebooks_dir = (
        (path.parent / checked.notebooks_dir).resolve() if checked.notebooks_dir else None
    )
    return EvaluationConfig(
        **_as_settings(checked),
        data_dir=folder,
        notebooks_dir=notebooks_dir,
        path=path.resolve(),
    )


def write_config(config: dict[str, Any], path: str | Path) -> Path:
    """Write a config mapping as YAML (keys in the order given) and return the path."""
    path = Path(path)
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
