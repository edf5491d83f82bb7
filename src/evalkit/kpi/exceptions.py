"""The exception report: every KPI off target or showing special cause, and what is being done.

Making Data Count asks, for every exception: what should have happened (the target), what
happened (the value, its confidence interval and the SPC signal), why (the evidence and the
evaluator's explanation) and what happens next (action, owner, date). evalkit computes the
first two; the evaluator writes the rest in ``exceptions.yml`` beside ``evaluation.yml``:

.. code-block:: yaml

    exceptions:
      - kpi: referrals
        explanation: >
          Since August 2025 referrals have gone through a new triage provider ...
        actions:
          - action: Agree a one-page referral form with the triage provider
            owner: Commissioning manager
            due: 2026-09-30

:func:`load_exceptions` checks the file strictly (unknown keys, wrong types, an unknown KPI id,
a KPI listed twice are errors that name the entry). :func:`exception_report` lists the
exceptions; a KPI with no explanation in the file reads :data:`TO_BE_EXPLAINED`, never an
invented reason. :func:`kpi_cmocs` finds the CMOCs whose outcome or context concern each KPI.

Examples
--------
>>> import pandas as pd
>>> current = pd.DataFrame({"kpi_id": ["started", "completed"], "title": ["Started",
...     "Completed"], "kpi_unit": ["proportion"] * 2, "value": [0.70, 0.65],
...     "ci_lower": [0.66, 0.60], "ci_upper": [0.74, 0.70], "target": [0.75, 0.60],
...     "direction": ["higher"] * 2, "rag": ["red", "green"]})
>>> report = exception_report(current, pd.DataFrame(), {})
>>> report[["kpi_id", "off_target", "special_cause", "explanation"]].values.tolist()
[['started', True, False, 'to be explained']]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic
import yaml

from evalkit.config import Date, Text, did_you_mean
from evalkit.data.expressions import parse_expression
from evalkit.errors import ConfigError, ExpressionError
from evalkit.kpi.definitions import KpiDefinition, expression_columns, load_kpis

__all__ = [
    "EXCEPTIONS_FILE",
    "EXCEPTION_COLUMNS",
    "KPI_CMOC_COLUMNS",
    "TO_BE_EXPLAINED",
    "ExceptionAction",
    "ExceptionsFile",
    "KpiException",
    "exception_report",
    "kpi_cmocs",
    "load_exceptions",
]

#: The evaluator's file, beside ``evaluation.yml``.
EXCEPTIONS_FILE = "exceptions.yml"
#: What the report says for an exception the evaluator has not explained.
TO_BE_EXPLAINED = "to be explained"
#: Columns of :func:`exception_report`.
EXCEPTION_COLUMNS = (
    "kpi_id",
    "title",
    "kpi_unit",
    "target",
    "direction",
    "value",
    "ci_lower",
    "ci_upper",
    "rag",
    "off_target",
    "special_cause",
    "signal_type",
    "signal_rules",
    "signal_periods",
    "variation",
    "assurance",
    "cmoc_ids",
    "explained",
    "explanation",
    "actions",
)
#: Columns of :func:`kpi_cmocs`.
KPI_CMOC_COLUMNS = ("kpi_id", "cmoc_id", "concerns")


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


class ExceptionAction(_Strict):
    """What will be done about an exception, by whom and by when."""

    action: Text
    owner: Text
    due: Date


class KpiException(_Strict):
    """The evaluator's entry for one KPI: why it is an exception and what happens next.

    ``explanation`` may be left out (the report then says :data:`TO_BE_EXPLAINED`); so may
    ``actions``.

    Examples
    --------
    >>> entry = KpiException(kpi="started", actions=[{"action": "Agree a standard",
    ...                      "owner": "Commissioner", "due": "2026-09-30"}])
    >>> entry.explanation is None, entry.actions[0].due
    (True, datetime.date(2026, 9, 30))
    """

    kpi: Text
    explanation: Text | None = None
    actions: list[ExceptionAction] = []


class ExceptionsFile(_Strict):
    """The whole of ``exceptions.yml``: a list of :class:`KpiException` under ``exceptions``."""

    exceptions: list[KpiException] = []


def _where(error: Mapping[str, Any]) -> tuple[str, type[pydantic.BaseModel] | None]:
    """The key path of a pydantic error and the model holding its last key."""
    path, holder = "", None
    model: type[pydantic.BaseModel] = ExceptionsFile
    kinds: dict[str, type[pydantic.BaseModel]] = {
        "exceptions": KpiException,
        "actions": ExceptionAction,
    }
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
            continue
        holder = model
        path = f"{path}.{part}" if path else str(part)
        model = kinds.get(str(part), model)
    return path, holder


def _message(error: Mapping[str, Any]) -> str:
    path, holder = _where(error)
    if error["type"] == "extra_forbidden" and holder is not None:
        hint = did_you_mean(error["loc"][-1], holder.model_fields)
        return f"  {path}: unknown setting ({hint})"
    if error["type"] == "missing":
        return f"  {path}: required setting is missing"
    if error["type"] == "value_error":
        return f"  {path}: {error['ctx']['error']}"
    return f"  {path}: {error['msg']}"


def load_exceptions(
    path: str | Path, kpis: Iterable[str | KpiDefinition]
) -> dict[str, KpiException]:
    """Read and check the evaluator's ``exceptions.yml``.

    Parameters
    ----------
    path : str or Path
        The file, or the folder of ``evaluation.yml`` (then ``exceptions.yml`` in it). A file
        that does not exist means no explanations yet: every exception is "to be explained".
    kpis : iterable of str or KpiDefinition
        The evaluation's KPIs (ids or definitions); an entry for any other id is an error.

    Returns
    -------
    dict
        KPI id -> :class:`KpiException`, in the file's order.

    Raises
    ------
    ConfigError
        If the file is not YAML or not a mapping, has an unknown key, a value of the wrong
        type, a KPI id that is not one of ``kpis`` (named, with the nearest id) or a KPI listed
        twice; every problem is listed with its key path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "exceptions.yml").write_text(
    ...     "exceptions:\\n  - kpi: strated\\n    explanation: A new triage provider.\\n")
    >>> load_exceptions(folder, ["started", "completed"])
    Traceback (most recent call last):
    ...
    evalkit.errors.ConfigError: ...exceptions.yml: 1 problem:
      exceptions[0].kpi: unknown KPI id 'strated' (did you mean 'started'?)
    """
    file = Path(path)
    if file.is_dir():
        file = file / EXCEPTIONS_FILE
    if not file.is_file():
        return {}
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: not valid YAML ({exc}).") from exc
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{file}: expected a mapping with an 'exceptions:' list, got {type(raw).__name__}."
        )
    try:
        checked = ExceptionsFile.model_validate(raw)
    except pydantic.ValidationError as exc:
        problems = [_message(error) for error in exc.errors()]
        raise ConfigError(_problems(file, problems)) from None
    known = [k.id if isinstance(k, KpiDefinition) else str(k) for k in kpis]
    problems, entries = [], {}
    for number, entry in enumerate(checked.exceptions):
        where = f"  exceptions[{number}].kpi"
        if entry.kpi not in known:
            problems.append(
                f"{where}: unknown KPI id {entry.kpi!r} ({did_you_mean(entry.kpi, known)})"
            )
        elif entry.kpi in entries:
            problems.append(f"{where}: KPI {entry.kpi!r} is listed twice; keep one entry")
        else:
            entries[entry.kpi] = entry
    if problems:
        raise ConfigError(_problems(file, problems))
    return entries


def _problems(file: Path, problems: list[str]) -> str:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    return "\n".join([f"{file}: {count}:", *problems])


def _columns(expression: object, what: str) -> set[str]:
    if not isinstance(expression, str) or not expression.strip():
        return set()
    try:
        return set(parse_expression(expression, where=what).columns)
    except ExpressionError:
        return set()


def kpi_cmocs(
    cmocs: pd.DataFrame, kpis: Sequence[Mapping[str, Any] | KpiDefinition] | None = None
) -> pd.DataFrame:
    """Which CMOCs concern each KPI, through the CMOC's outcome or its context.

    A CMOC concerns a KPI through its **outcome** when its ``outcome_measure`` is a column the
    KPI's numerator reads (CMOC3's ``quit_4wk_co`` and the KPI ``quit_4wk_co``), and through its
    **context** when its ``context_filter`` reads a column the KPI's denominator reads (the
    CMOC describes the KPI's population). These are the declared links the realist analysis
    tests (:func:`evalkit.realist.cmoc_outcome_link`); CMOCs without them concern no KPI.

    Parameters
    ----------
    cmocs : DataFrame
        The CMOC table (``cmoc_id``, optionally ``outcome_measure`` and ``context_filter``).
    kpis : list of mappings or KpiDefinition, optional
        None uses the packaged default set.

    Returns
    -------
    DataFrame
        Columns :data:`KPI_CMOC_COLUMNS`: ``kpi_id``, ``cmoc_id`` and ``concerns``
        (``"outcome"``, ``"context"`` or ``"outcome and context"``), in KPI then CMOC order.

    Examples
    --------
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC3", "CMOC5"],
    ...     "outcome_measure": ["quit_4wk_co", "wemwbs_followed_up"],
    ...     "context_filter": ["delivery_mode == 'face_to_face'", "imd_quintile <= 2"]})
    >>> kpi_cmocs(cmocs)
                   kpi_id cmoc_id concerns
    0  wemwbs_followed_up   CMOC5  outcome
    1         quit_4wk_co   CMOC3  outcome
    2       co_validation   CMOC3  outcome
    """
    rows = []
    for kpi in load_kpis(kpis):
        numerator = expression_columns(str(kpi.numerator), kpi_id=kpi.id)
        denominator = (
            set()
            if kpi.has_population_denominator
            else expression_columns(str(kpi.denominator), kpi_id=kpi.id)
        )
        for cmoc in cmocs.to_dict("records"):
            outcome = cmoc.get("outcome_measure")
            by_outcome = isinstance(outcome, str) and outcome.strip() in numerator
            context = _columns(cmoc.get("context_filter"), f"CMOC {cmoc.get('cmoc_id')}")
            by_context = bool(context & denominator)
            if by_outcome or by_context:
                concerns = " and ".join(
                    word for word, hit in (("outcome", by_outcome), ("context", by_context)) if hit
                )
                rows.append((kpi.id, str(cmoc["cmoc_id"]), concerns))
    return pd.DataFrame(rows, columns=list(KPI_CMOC_COLUMNS))


def _off_target(row: Mapping[str, Any]) -> bool:
    """Missed the target: the value is on the wrong side of it (amber or red)."""
    return row.get("rag") in ("amber", "red")


def _signals(spc: pd.DataFrame, periods: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    """Per KPI: the special cause in ``periods`` (default: the latest segment), described by
    the whole run of special-cause points of that kind it belongs to."""
    out: dict[str, dict[str, Any]] = {}
    if spc.empty:
        return out
    for kpi_id, chart in spc.groupby("kpi_id", sort=False):
        chart = chart.reset_index(drop=True)
        latest = chart["segment"] == chart["segment"].max()
        window = latest if periods is None else chart["period"].isin(list(periods))
        kinds = chart["point_type"].astype(str).where(chart["special_cause"].astype(bool))
        in_window = kinds[window.to_numpy()].dropna()
        signal_type = None
        for kind, name in (
            ("special_cause_concern", "concern"),
            ("special_cause_improvement", "improvement"),
            ("special_cause_neutral", "neutral"),
        ):
            if in_window.str.startswith(kind).any():
                signal_type, wanted = name, kind
                break
        flagged = pd.Series(False, index=chart.index)
        if signal_type is not None:
            same = kinds.fillna("").str.startswith(wanted).to_numpy()
            runs = (~pd.Series(same)).cumsum()  # consecutive points of the kind share a number
            touched = set(runs[same & window.to_numpy()])
            flagged = pd.Series(same & runs.isin(touched).to_numpy(), index=chart.index)
        out[str(kpi_id)] = {
            "special_cause": bool(flagged.any()),
            "signal_type": signal_type,
            "signal_rules": tuple(dict.fromkeys(chart.loc[flagged, "rule"].astype(str))),
            "signal_periods": tuple(chart.loc[flagged, "period"].astype(str)),
        }
    return out


def exception_report(
    current: pd.DataFrame,
    spc: pd.DataFrame,
    exceptions: Mapping[str, KpiException],
    *,
    summary: pd.DataFrame | None = None,
    cmoc_links: pd.DataFrame | None = None,
    signal_periods: Sequence[str] | None = None,
    include_improvements: bool = False,
) -> pd.DataFrame:
    """Every KPI off target or showing special-cause concern, with the evaluator's account.

    Parameters
    ----------
    current : DataFrame
        One row per KPI for the report period at service level (from
        :func:`evalkit.kpi.compute_kpis`, small numbers withheld): ``kpi_id``, ``title``,
        ``kpi_unit``, ``value``, ``ci_lower``, ``ci_upper``, ``target``, ``direction``,
        ``rag``. A KPI is **off target** when it is rated amber or red.
    spc : DataFrame
        :func:`evalkit.kpi.kpi_spc` of the KPIs' monthly series (may be empty).
    exceptions : mapping
        :func:`load_exceptions`: the evaluator's explanations and actions.
    summary : DataFrame, optional
        :func:`evalkit.kpi.kpi_spc_summary`, for the variation and assurance icons.
    cmoc_links : DataFrame, optional
        :func:`kpi_cmocs`, for the CMOCs that concern each KPI.
    signal_periods : sequence of str, optional
        The periods (months) of the chart in which a special cause makes an exception, usually
        the report period's months; default the latest segment of each chart.
    include_improvements : bool, default False
        Also list KPIs whose only signal is a special-cause improvement (Making Data Count
        exception reports usually cover concerns; improvements are worth learning from).

    Returns
    -------
    DataFrame
        One row per exception, in the order of ``current``, columns :data:`EXCEPTION_COLUMNS`:
        the KPI and its figures; ``off_target``; ``special_cause`` (a signal in
        ``signal_periods`` that makes an exception), ``signal_type`` (``concern``,
        ``improvement``, ``neutral`` or missing), ``signal_rules`` and ``signal_periods``
        (tuples: the whole run of consecutive special-cause points of that kind that reaches
        into ``signal_periods``, so a shift is described from its first month);
        ``variation`` and ``assurance`` (the icons, when ``summary`` is given);
        ``cmoc_ids`` (tuple); ``explained``; ``explanation`` (the evaluator's words, or
        :data:`TO_BE_EXPLAINED`); ``actions`` (tuple of :class:`ExceptionAction`).
    """
    signals = _signals(spc, signal_periods)
    icons = (
        summary.set_index("kpi_id")[["variation", "assurance"]]
        if summary is not None and len(summary)
        else pd.DataFrame(columns=["variation", "assurance"])
    )
    links = cmoc_links if cmoc_links is not None else pd.DataFrame(columns=list(KPI_CMOC_COLUMNS))
    rows = []
    for row in current.to_dict("records"):
        kpi_id = str(row["kpi_id"])
        signal = signals.get(
            kpi_id,
            {"special_cause": False, "signal_type": None, "signal_rules": (), "signal_periods": ()},
        )
        counts = signal["signal_type"] in ("concern", "neutral") or (
            include_improvements and signal["signal_type"] == "improvement"
        )
        special = bool(signal["special_cause"]) and counts
        off = _off_target(row)
        if not (off or special):
            continue
        entry = exceptions.get(kpi_id)
        explanation = entry.explanation if entry is not None else None
        rows.append(
            {
                **{c: row.get(c) for c in EXCEPTION_COLUMNS[:9]},
                "off_target": off,
                "special_cause": special,
                **{k: signal[k] for k in ("signal_type", "signal_rules", "signal_periods")},
                "variation": icons["variation"].get(kpi_id) if kpi_id in icons.index else None,
                "assurance": icons["assurance"].get(kpi_id) if kpi_id in icons.index else None,
                "cmoc_ids": tuple(links.loc[links["kpi_id"] == kpi_id, "cmoc_id"]),
                "explained": explanation is not None,
                "explanation": explanation if explanation is not None else TO_BE_EXPLAINED,
                "actions": tuple(entry.actions) if entry is not None else (),
            }
        )
    return pd.DataFrame(rows, columns=list(EXCEPTION_COLUMNS))
