"""KPI definitions: the declarative description of each indicator, read from ``evaluation.yml``.

A KPI is data, not code: an id, a plain-English title, a numerator and a denominator written in
evalkit's expression language (:mod:`evalkit.data.expressions`) over the episode table, a unit, an
optional target with its direction and source, and the reporting levels. One generic
calculator (:func:`evalkit.kpi.compute_kpis`) turns any definition into numbers. When
``evaluation.yml`` has no ``kpis:`` list, the packaged default set
(``evalkit/kpi/kpis_default.yml``, documented in ``docs/kpis.md``) is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from importlib.resources import files
from typing import Any

import yaml

from evalkit.data.expressions import Expression, parse_expression
from evalkit.errors import ConfigError

__all__ = [
    "DIRECTIONS",
    "LEVELS",
    "UNITS",
    "KpiDefinition",
    "check_kpi_columns",
    "expression_columns",
    "load_kpis",
]

#: Units a KPI may be expressed in.
UNITS = ("proportion", "count", "rate_per_100k", "mean")
#: Which way is better.
DIRECTIONS = ("higher", "lower")
#: Reporting levels, broadest first.
LEVELS = ("service", "provider", "site")

_REQUIRED = ("id", "title", "numerator", "denominator", "unit")


@dataclass(frozen=True)
class KpiDefinition:
    """One key performance indicator.

    Attributes
    ----------
    id : str
        Short stable identifier (``quit_4wk_co``).
    title : str
        Plain-English name a commissioner reads.
    numerator : str
        For ``proportion``, ``count`` and ``rate_per_100k``: a true/false condition over the
        episode table (an expression such as ``"wemwbs_change >= 3"``, a boolean column
        name, or ``"all"``; the language is :mod:`evalkit.data.expressions`). For ``mean``: a
        numeric expression (usually a column) to average.
    denominator : str or float
        A condition selecting the episodes the KPI is about (``"all"``, a boolean column, an
        expression), or a number: a fixed population for the whole service (e.g. local adult
        smokers), allowed only at service level and not for means.
    unit : {"proportion", "count", "rate_per_100k", "mean"}
    target : float or None
        On the KPI's own scale (a proportion 0–1, a count, a rate, a mean). None: no target.
    direction : {"higher", "lower"}
        Which way is better; decides whether the target is met.
    levels : tuple of {"service", "provider", "site"}
        Levels the KPI is reported at.
    target_source : str or None
        Where the target comes from (a national standard, or "placeholder: local target").
    origin : str or None
        Where the definition was written (``"evaluation.yml kpis[2]"``), named in messages.

    Examples
    --------
    >>> kpi = KpiDefinition(id="completed", title="Starters who completed",
    ...                     numerator="completed", denominator="started", unit="proportion",
    ...                     target=0.6)
    >>> kpi.levels
    ('service', 'provider', 'site')
    """

    id: str
    title: str
    numerator: str
    denominator: str | float
    unit: str
    target: float | None = None
    direction: str = "higher"
    levels: tuple[str, ...] = LEVELS
    target_source: str | None = None
    origin: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        where = f"KPI '{self.id}'"
        if not isinstance(self.id, str) or not self.id.strip():
            raise ConfigError(f"KPI id must be a non-empty string (got {self.id!r}).")
        if not isinstance(self.title, str) or not self.title.strip():
            raise ConfigError(f"{where}: 'title' must be a non-empty plain-English string.")
        if self.unit not in UNITS:
            raise ConfigError(f"{where}: unit {self.unit!r} is not one of {', '.join(UNITS)}.")
        if self.direction not in DIRECTIONS:
            raise ConfigError(
                f"{where}: direction {self.direction!r} is not one of {', '.join(DIRECTIONS)}."
            )
        levels = (self.levels,) if isinstance(self.levels, str) else tuple(self.levels)
        bad = [lv for lv in levels if lv not in LEVELS]
        if bad or not levels:
            raise ConfigError(
                f"{where}: levels {list(levels)} must be a non-empty subset of {list(LEVELS)}."
            )
        object.__setattr__(self, "levels", levels)
        if not isinstance(self.numerator, str) or not self.numerator.strip():
            raise ConfigError(f"{where}: 'numerator' must be an expression string.")
        if isinstance(self.denominator, bool) or not isinstance(
            self.denominator, str | int | float
        ):
            raise ConfigError(
                f"{where}: 'denominator' must be an expression string or a population number "
                f"(got {self.denominator!r})."
            )
        if self.has_population_denominator:
            assert not isinstance(self.denominator, str)  # that is what a population number is
            if self.denominator <= 0:
                raise ConfigError(
                    f"{where}: a population denominator must be above 0 (got {self.denominator!r})."
                )
            if self.unit == "mean":
                raise ConfigError(f"{where}: a mean needs a denominator condition, not a number.")
            if set(levels) - {"service"}:
                raise ConfigError(
                    f"{where}: a fixed population denominator ({self.denominator:g}) covers the "
                    "whole service, so levels must be [service] only."
                )
        if self.target is not None:
            if isinstance(self.target, bool) or not isinstance(self.target, int | float):
                raise ConfigError(f"{where}: target must be a number (got {self.target!r}).")
            object.__setattr__(self, "target", float(self.target))
            if self.unit == "proportion" and not 0 <= self.target <= 1:
                raise ConfigError(
                    f"{where}: a proportion target is a fraction from 0 to 1 "
                    f"(got {self.target:g}; write 50% as 0.5)."
                )
        for role in self.roles():
            self.expression(role)  # refuses anything outside the expression language

    @property
    def has_population_denominator(self) -> bool:
        """True when the denominator is a fixed number rather than a condition."""
        return not isinstance(self.denominator, str)

    def roles(self) -> list[str]:
        """``numerator`` and, unless it is a population number, ``denominator``."""
        return ["numerator"] if self.has_population_denominator else ["numerator", "denominator"]

    def expressions(self) -> list[str]:
        """The numerator and (if not a number) denominator expressions."""
        return [str(getattr(self, role)) for role in self.roles()]

    def expression(self, role: str) -> Expression:
        """The parsed numerator or denominator.

        Examples
        --------
        >>> kpi = KpiDefinition(id="k", title="K", numerator="wemwbs_change >= 3",
        ...                     denominator="all", unit="proportion")
        >>> [sorted(kpi.expression(role).columns) for role in ("numerator", "denominator")]
        [['wemwbs_change'], []]
        """
        where = f"{self.origin or 'KPI'} {role} (KPI '{self.id}')"
        return parse_expression(str(getattr(self, role)), where=where)


def expression_columns(expression: str, *, kpi_id: str = "?") -> set[str]:
    """Column names an expression reads (``"all"`` reads none).

    Parameters
    ----------
    expression : str
        An expression in evalkit's language (:mod:`evalkit.data.expressions`), a column name, or
        ``"all"``.
    kpi_id : str
        Named in the error message.

    Raises
    ------
    ExpressionError
        If the expression is outside the language.

    Examples
    --------
    >>> sorted(expression_columns("wemwbs_change.notna() & (imd_quintile == 1)"))
    ['imd_quintile', 'wemwbs_change']
    """
    return set(parse_expression(expression, where=f"KPI '{kpi_id}'").columns)


def check_kpi_columns(kpis: Iterable[KpiDefinition], columns: Iterable[str]) -> None:
    """Check every KPI expression only names columns of the episode table.

    Raises
    ------
    ConfigError
        Naming the KPI id, the unknown column and the expression.

    Examples
    --------
    >>> kpi = KpiDefinition(id="k", title="K", numerator="quit", denominator="all",
    ...                     unit="count")
    >>> check_kpi_columns([kpi], ["quit", "period"])
    """
    available = list(columns)
    for kpi in kpis:
        for role in kpi.roles():
            kpi.expression(role).check_columns(available)


def _from_mapping(raw: Mapping[str, Any], position: int, source: str) -> KpiDefinition:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"kpis[{position}]: expected a mapping of settings, got {raw!r}.")
    label = f"KPI '{raw.get('id', f'#{position + 1}')}'"
    allowed = {f.name for f in fields(KpiDefinition)} - {"origin"}
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ConfigError(
            f"{label}: unknown setting(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(sorted(allowed))}."
        )
    missing = [key for key in _REQUIRED if raw.get(key) in (None, "")]
    if missing:
        raise ConfigError(f"{label}: required setting(s) {', '.join(missing)} missing.")
    return KpiDefinition(**{key: raw[key] for key in raw}, origin=f"{source} kpis[{position}]")


def load_kpis(
    raw: Sequence[Mapping[str, Any] | KpiDefinition] | None = None,
    *,
    source: str = "evaluation.yml",
) -> list[KpiDefinition]:
    """Parse and check KPI definitions; ``None`` gives the packaged default set.

    Parameters
    ----------
    raw : list of mappings or KpiDefinition, optional
        Usually ``EvaluationConfig.kpis`` (the ``kpis:`` list of ``evaluation.yml``).
    source : str
        The file the list was read from, named in messages (the packaged defaults name
        themselves).

    Returns
    -------
    list of KpiDefinition

    Raises
    ------
    ConfigError
        For an unknown or missing setting, a bad unit/direction/level/target, invalid
        expression syntax or a duplicated id; the message names the KPI.

    Examples
    --------
    >>> [k.id for k in load_kpis()][:3]
    ['referrals', 'started', 'completed']
    >>> load_kpis([{"id": "q", "title": "Quitters", "numerator": "quit_4wk_co",
    ...             "denominator": "set_quit_date", "unit": "proportion"}])[0].target is None
    True
    """
    if raw is None:
        text = files("evalkit.kpi").joinpath("kpis_default.yml").read_text(encoding="utf-8")
        raw = yaml.safe_load(text)["kpis"]
        source = "kpis_default.yml"
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ConfigError(f"kpis: expected a list of KPI definitions, got {raw!r}.")
    kpis = [
        item if isinstance(item, KpiDefinition) else _from_mapping(item, i, source)
        for i, item in enumerate(raw)
    ]
    seen: set[str] = set()
    for kpi in kpis:
        if kpi.id in seen:
            raise ConfigError(f"KPI id '{kpi.id}' is used twice; ids must be unique.")
        seen.add(kpi.id)
    return kpis
