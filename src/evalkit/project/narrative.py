"""The evaluator's own words (``narrative.yml``, beside ``evaluation.yml``), checked as data.

What only the evaluator can write lives in one file, not in the notebooks: answers to the
executive summary's prompts (:data:`PROMPTS`), recommendations, limitations, the interpretation
of each CMOC and any change of its status with the reason, and explanations of (and actions on)
KPI exceptions. Every entry is written for one reporting period, by a named evaluator on a date,
and the report shows it with that name and date.

.. code-block:: yaml

    evaluator: Dr A. Evaluator          # who writes, unless a period names someone else
    periods:
      2026-Q2:
        date: 2026-07-20                # when the period's text was signed off
        answers:                        # one per prompt id (evalkit.project.narrative.PROMPTS)
          commissioning: Keep the peer-led groups; ...
        recommendations: [Extend peer-led groups to the South site.]
        limitations: [Follow-up at the East site was low.]
        cmocs:
          CMOC1:
            interpretation: Interviews and the numbers agree ...
            status_change: {from: initial, to: supported, reason: ...}
        kpis:
          quit_4wk_co: {explanation: ..., action: ...}

The file is checked like ``evaluation.yml`` (:mod:`evalkit.config`): an unknown key is an error
with the nearest allowed one, every value is checked, and all problems are reported together.
The ids a file names (periods, CMOCs, KPIs) are checked against the evaluation's by
:func:`reference_problems`; this module sits at the bottom layer, so its callers pass the ids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pydantic
import yaml

from evalkit.config import (
    EvaluationConfig,
    Period,
    Text,
    _check,
    _describe,
    _problems_message,
    _UniqueKeyLoader,
    did_you_mean,
)
from evalkit.errors import ConfigError

__all__ = [
    "CMOC_STATUSES",
    "NARRATIVE_FILE",
    "PROMPTS",
    "Narrative",
    "PeriodNarrative",
    "Prompt",
    "load_narrative",
    "narrative_path",
    "reference_problems",
]

#: The file's name; it sits beside the evaluation's ``evaluation.yml``.
NARRATIVE_FILE = "narrative.yml"

#: The statuses an evaluator gives a CMOC (the realist page's vocabulary).
CMOC_STATUSES = ("initial", "supported", "refined", "refuted", "inconclusive")


@dataclass(frozen=True)
class Prompt:
    """A question the evaluator answers before a report is published.

    Attributes
    ----------
    id : str
        The key of its answer under ``answers:`` in ``narrative.yml``.
    question : str
        The question as the executive summary asks it.
    """

    id: str
    question: str


#: The executive summary's questions for the evaluator, in the order the page asks them. A
#: report is final only when every one is answered for its period.
PROMPTS: tuple[Prompt, ...] = (
    Prompt(
        "commissioning",
        "Which findings should change how the service is commissioned or delivered next year?",
    ),
    Prompt(
        "equity",
        "Which groups are under-reached or benefit less, and what would reach them (see the "
        "equity page)?",
    ),
    Prompt(
        "theories",
        "Which programme theories does the evidence support, and which should be refined or "
        "tested further next period?",
    ),
    Prompt(
        "kpis",
        "Which KPIs are red or amber, and is the target, the data or the delivery the problem?",
    ),
    Prompt(
        "data_gaps",
        "What data gaps (follow-up, completeness) must providers close before the next report?",
    ),
)


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date written YYYY-MM-DD, e.g. 2026-07-20, got {_describe(value)}")


def _status(value: object) -> str:
    if not isinstance(value, str) or value not in CMOC_STATUSES:
        hint = did_you_mean(value, CMOC_STATUSES) if isinstance(value, str) else ""
        raise ValueError(
            f"expected one of {', '.join(CMOC_STATUSES)}, got {_describe(value)}"
            + (f" ({hint})" if hint.startswith("did") else "")
        )
    return value


def _texts(value: object) -> object:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected a list of paragraphs, got {_describe(value)}")
    return value


def _mapping(what: str):
    def check(value: object) -> object:
        if value is None:
            return {}
        if not isinstance(value, dict | pydantic.BaseModel):
            raise ValueError(f"expected a mapping of {what}, got {_describe(value)}")
        return value

    return check


Date = Annotated[dt.date, pydantic.BeforeValidator(_date)]
Status = Annotated[str, pydantic.BeforeValidator(_status)]
Paragraphs = Annotated[list[Text], pydantic.BeforeValidator(_texts)]


class _Section(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class StatusChange(_Section):
    """A CMOC's status moving this period, and why."""

    from_status: Annotated[Status, pydantic.Field(alias="from")]
    to: Status
    reason: Annotated[Text, pydantic.Field(description="why the evidence moves the status")]


class CmocNote(_Section):
    """The evaluator's reading of one CMOC for a period."""

    interpretation: Annotated[
        Text, pydantic.Field(description="what the evidence on this CMOC means")
    ]
    status_change: Annotated[
        StatusChange | None,
        pydantic.BeforeValidator(lambda v: v if v is None else _mapping("from, to, reason")(v)),
    ] = None


class KpiNote(_Section):
    """Why a KPI is off target, and what is being done about it."""

    explanation: Annotated[Text, pydantic.Field(description="why the KPI is where it is")]
    action: Text | None = None


_Answers = pydantic.create_model(  # one optional text per prompt: unknown ids get did-you-mean
    "_Answers",
    __base__=_Section,
    **{prompt.id: (Text | None, None) for prompt in PROMPTS},  # type: ignore[call-overload]
)


class PeriodNarrative(_Section):
    """Everything the evaluator wrote for one reporting period.

    Examples
    --------
    >>> entry = PeriodNarrative.model_validate(
    ...     {"evaluator": "Dr A. Evaluator", "date": "2026-07-20",
    ...      "answers": {"kpis": "Red KPIs reflect late data."}})
    >>> entry.answer("kpis"), entry.answer("equity")
    ('Red KPIs reflect late data.', None)
    >>> entry.signature
    'Dr A. Evaluator, 20 July 2026'
    """

    evaluator: Annotated[
        Text | None, pydantic.Field(description="who wrote this period's text")
    ] = None
    date: Annotated[Date, pydantic.Field(description="when it was written, YYYY-MM-DD")]
    answers: Annotated[_Answers, pydantic.BeforeValidator(_mapping("answers by prompt id"))] = (  # type: ignore[valid-type]
        _Answers()
    )
    recommendations: Paragraphs = []
    limitations: Paragraphs = []
    cmocs: Annotated[
        dict[str, Annotated[CmocNote, pydantic.BeforeValidator(_mapping("interpretation"))]],
        pydantic.BeforeValidator(_mapping("CMOC notes by CMOC id")),
    ] = {}
    kpis: Annotated[
        dict[str, Annotated[KpiNote, pydantic.BeforeValidator(_mapping("explanation, action"))]],
        pydantic.BeforeValidator(_mapping("KPI notes by KPI id")),
    ] = {}

    def answer(self, prompt_id: str) -> str | None:
        """The answer to a prompt (:data:`PROMPTS`), or None when it is unanswered."""
        return getattr(self.answers, prompt_id)

    @property
    def signature(self) -> str:
        """How the report credits the text: the evaluator's name and the date."""
        return f"{self.evaluator}, {self.date.day} {self.date:%B %Y}"


class _NarrativeFile(_Section):
    evaluator: Text | None = None
    periods: Annotated[
        dict[
            Period,
            Annotated[PeriodNarrative, pydantic.BeforeValidator(_mapping("a period's text"))],
        ],
        pydantic.BeforeValidator(_mapping("each period's text, by period (YYYY-Qn)")),
    ] = {}


@dataclass(frozen=True)
class Narrative:
    """A checked ``narrative.yml``: the evaluator's text by period.

    Attributes
    ----------
    periods : mapping of str to PeriodNarrative
        Each period's text (its ``evaluator`` filled in from the file's when not given).
    path : Path or None
        The file it was read from; None when there is none (nothing is written yet).

    Examples
    --------
    >>> empty = Narrative({})
    >>> [p.id for p in empty.unanswered("2026-Q2")][:2]
    ['commissioning', 'equity']
    >>> empty.for_period("2026-Q2") is None
    True
    """

    periods: Mapping[str, PeriodNarrative]
    path: Path | None = None

    def for_period(self, period: str) -> PeriodNarrative | None:
        """What the evaluator wrote for ``period``, or None."""
        return self.periods.get(period)

    def unanswered(self, period: str) -> list[Prompt]:
        """The prompts still unanswered for ``period`` (every one if nothing is written)."""
        entry = self.for_period(period)
        return [p for p in PROMPTS if entry is None or entry.answer(p.id) is None]


def narrative_path(config: EvaluationConfig) -> Path:
    """Where an evaluation's ``narrative.yml`` is: beside its ``evaluation.yml``."""
    return config.root / NARRATIVE_FILE


def load_narrative(source: str | Path | EvaluationConfig) -> Narrative:
    """Read and check a ``narrative.yml`` (a missing file is an empty narrative).

    Parameters
    ----------
    source : str, Path or EvaluationConfig
        The file, or the evaluation whose file it is (:func:`narrative_path`).

    Returns
    -------
    Narrative

    Raises
    ------
    ConfigError
        If the file is not a YAML mapping, or listing every problem of it (an unknown key with
        the nearest allowed one, a period not written YYYY-Qn, a missing date or evaluator, a
        status outside :data:`CMOC_STATUSES`), each with its key path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "narrative.yml"
    >>> _ = path.write_text("evaluator: Dr A. Evaluator\\nperiods:\\n  2026-Q2:\\n"
    ...                     "    date: 2026-07-20\\n    answers: {kpis: Late data.}\\n")
    >>> load_narrative(path).for_period("2026-Q2").signature
    'Dr A. Evaluator, 20 July 2026'
    >>> _ = path.write_text("periods:\\n  2026-Q2:\\n    date: 2026-07-20\\n"
    ...                     "    answers: {kpi: Late data.}\\n    recomendations: [More.]\\n")
    >>> load_narrative(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evalkit.errors.ConfigError: .../narrative.yml: 2 problems:
      periods.2026-Q2.answers.kpi: unknown setting (did you mean 'kpis'?)
      periods.2026-Q2.recomendations: unknown setting (did you mean 'recommendations'?)
    """
    path = narrative_path(source) if isinstance(source, EvaluationConfig) else Path(source)
    if not path.is_file():
        return Narrative({}, None)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML ({exc}).") from exc
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: expected a mapping (evaluator: ..., periods: ...), got {_describe(raw)}."
        )
    checked, problems = _check(_NarrativeFile, raw)
    if checked is not None:
        assert isinstance(checked, _NarrativeFile)
        default = checked.evaluator
        for period, entry in checked.periods.items():
            if entry.evaluator is None and default is None:
                problems.append(
                    (
                        f"periods.{period}.evaluator",
                        "required setting is missing (who wrote this period's text; or give "
                        "evaluator: once at the top of the file)",
                    )
                )
    if problems or checked is None:
        raise ConfigError(_problems_message(path, problems))
    periods = {
        period: entry if entry.evaluator else entry.model_copy(update={"evaluator": default})
        for period, entry in checked.periods.items()
    }
    return Narrative(periods, path.resolve())


def _unknown(what: str, name: str, known: list[str], where: str) -> str:
    if not known:
        return f"no {what} {name!r}: {where} has none"
    hint = did_you_mean(name, known)
    return f"no {what} {name!r} in {where} ({hint})"


def reference_problems(
    narrative: Narrative,
    *,
    periods: Iterable[str],
    cmoc_ids: Iterable[str],
    kpi_ids: Iterable[str],
    cmoc_statuses: Mapping[str, str] | None = None,
) -> list[str]:
    """The periods, CMOC ids and KPI ids a narrative names that the evaluation does not have,
    and the status changes that disagree with the CMOC table.

    Parameters
    ----------
    narrative : Narrative
    periods, cmoc_ids, kpi_ids : iterable of str
        The evaluation's configured periods, the ids in its CMOC table and its KPI ids.
    cmoc_statuses : mapping of str to str, optional
        Each CMOC's ``status`` in the CMOC table (``cmocs.csv``). A CMOC's latest
        ``status_change`` (that of the latest period giving one) must end at that status:
        the table is the status the report shows. Earlier changes are history and are not
        compared.

    Returns
    -------
    list of str
        One message per unknown name, with its key path and the nearest known name, and one
        per disagreeing status naming both; empty when every name is known and every latest
        change agrees.

    Examples
    --------
    >>> entry = PeriodNarrative.model_validate({"evaluator": "A", "date": "2026-07-20",
    ...     "cmocs": {"CMCO1": {"interpretation": "x"}}, "kpis": {"quit_4wk": {"explanation": "y"}}})
    >>> for problem in reference_problems(Narrative({"2026-Q2": entry}), periods=["2026-Q2"],
    ...         cmoc_ids=["CMOC1", "CMOC2"], kpi_ids=["quit_4wk_co", "referrals"]):
    ...     print(problem)
    periods.2026-Q2.cmocs.CMCO1: no CMOC 'CMCO1' in the CMOC table (did you mean 'CMOC1'?)
    periods.2026-Q2.kpis.quit_4wk: no KPI 'quit_4wk' in the KPI definitions (did you mean 'quit_4wk_co'?)
    >>> entry = PeriodNarrative.model_validate({"evaluator": "A", "date": "2026-07-20",
    ...     "cmocs": {"CMOC1": {"interpretation": "x", "status_change": {"from": "initial",
    ...     "to": "supported", "reason": "Both agree."}}}})
    >>> reference_problems(Narrative({"2026-Q2": entry}), periods=["2026-Q2"],
    ...     cmoc_ids=["CMOC1"], kpi_ids=[], cmoc_statuses={"CMOC1": "initial"})[0]
    "periods.2026-Q2.cmocs.CMOC1.status_change.to: 'supported' does not agree with CMOC1's \
status 'initial' in the CMOC table (cmocs.csv); change one so they agree"
    """  # noqa: E501
    known_periods, cmocs, kpis = list(periods), list(cmoc_ids), list(kpi_ids)
    problems = []
    for period, entry in narrative.periods.items():
        where = f"periods.{period}"
        if period not in known_periods:
            message = _unknown("period", period, known_periods, "evaluation.yml's periods")
            problems.append(f"{where}: {message}")
        for cmoc_id in entry.cmocs:
            if cmoc_id not in cmocs:
                message = _unknown("CMOC", cmoc_id, cmocs, "the CMOC table")
                problems.append(f"{where}.cmocs.{cmoc_id}: {message}")
        for kpi_id in entry.kpis:
            if kpi_id not in kpis:
                message = _unknown("KPI", kpi_id, kpis, "the KPI definitions")
                problems.append(f"{where}.kpis.{kpi_id}: {message}")
    return problems + _status_problems(narrative, cmoc_statuses or {})


def _status_problems(narrative: Narrative, statuses: Mapping[str, str]) -> list[str]:
    """Each CMOC's latest status change whose ``to`` is not its status in the CMOC table."""
    latest: dict[str, tuple[str, StatusChange]] = {}
    for period in sorted(narrative.periods):
        for cmoc_id, note in narrative.periods[period].cmocs.items():
            if note.status_change is not None:
                latest[cmoc_id] = (period, note.status_change)
    problems = []
    for cmoc_id, (period, change) in latest.items():
        status = statuses.get(cmoc_id)
        if status in CMOC_STATUSES and change.to != status:
            problems.append(
                f"periods.{period}.cmocs.{cmoc_id}.status_change.to: {change.to!r} does not "
                f"agree with {cmoc_id}'s status {status!r} in the CMOC table (cmocs.csv); "
                "change one so they agree"
            )
    return problems
