"""The evaluator's own words on the report's pages, from ``narrative.yml``.

Each section shows what the evaluator wrote for the report's period
(:mod:`evalkit.project.narrative`), credited with their name and the date, or says plainly that
nothing is written yet. Nothing here writes a judgement: the words are the evaluator's, shown as
text (never markup).
"""

from __future__ import annotations

from evalkit.data.evaluation import Evaluation
from evalkit.kpi import load_kpis
from evalkit.present.blocks import Blocks
from evalkit.project.narrative import PROMPTS, PeriodNarrative, load_narrative

__all__ = [
    "answers_section",
    "cmoc_notes_section",
    "kpi_notes_section",
    "limitations_section",
    "period_text",
    "recommendations_section",
]


def period_text(ev: Evaluation) -> PeriodNarrative | None:
    """What the evaluator wrote for the report's period (None when nothing is)."""
    return load_narrative(ev.config).for_period(ev.period)


def _credit(entry: PeriodNarrative, period: str) -> str:
    return f"*Written for {period} by {entry.signature}.*"


def answers_section(ev: Evaluation) -> Blocks:
    """Each of the summary's prompts with the evaluator's answer, or marked unanswered.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from evalkit.config import EvaluationConfig
    >>> from types import SimpleNamespace
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "narrative.yml").write_text("evaluator: Dr A. Evaluator\\nperiods:\\n"
    ...     "  2026-Q2:\\n    date: 2026-07-20\\n"
    ...     "    answers: {kpis: 'Late data, not delivery.'}\\n")
    >>> cfg = EvaluationConfig(name="Demo", data_dir=root, path=root / "evaluation.yml")
    >>> text = answers_section(SimpleNamespace(config=cfg, period="2026-Q2")).text()
    >>> "Late data, not delivery." in text, text.count("Not yet answered")
    (True, 4)
    """
    entry = period_text(ev)
    blocks = Blocks()
    for prompt in PROMPTS:
        answer = entry.answer(prompt.id) if entry is not None else None
        blocks.markdown(f"**{prompt.question}**\n\n{answer or '*Not yet answered.*'}")
    if entry is not None:
        blocks.markdown(_credit(entry, ev.period))
    return blocks


def recommendations_section(ev: Evaluation) -> Blocks:
    """The evaluator's recommendations for the period."""
    entry = period_text(ev)
    if entry is None or not entry.recommendations:
        return Blocks().markdown(
            f"The evaluator has written no recommendations for {ev.period} yet."
        )
    return Blocks().bullets(entry.recommendations).markdown(_credit(entry, ev.period))


def limitations_section(ev: Evaluation) -> Blocks:
    """Limitations the evaluator adds to those evalkit derives from the data (empty if none)."""
    entry = period_text(ev)
    if entry is None or not entry.limitations:
        return Blocks()
    return (
        Blocks()
        .markdown("The evaluator adds:")
        .bullets(entry.limitations)
        .markdown(_credit(entry, ev.period))
    )


def cmoc_notes_section(ev: Evaluation) -> Blocks:
    """The evaluator's interpretation of each CMOC, and any status change with its reason."""
    entry = period_text(ev)
    if entry is None or not entry.cmocs:
        return Blocks().markdown(
            f"The evaluator has not yet interpreted the CMOCs for {ev.period}."
        )
    lines = []
    for cmoc_id, note in entry.cmocs.items():
        change = note.status_change
        moved = (
            f" Status changed from *{change.from_status}* to *{change.to}*: {change.reason}"
            if change is not None
            else ""
        )
        lines.append(f"**{cmoc_id}.** {note.interpretation}{moved}")
    return Blocks().bullets(lines).markdown(_credit(entry, ev.period))


def kpi_notes_section(ev: Evaluation) -> Blocks:
    """The evaluator's explanation of KPI exceptions and the actions agreed."""
    entry = period_text(ev)
    if entry is None or not entry.kpis:
        return Blocks().markdown(f"The evaluator has added no notes on the KPIs for {ev.period}.")
    titles = {kpi.id: kpi.title for kpi in load_kpis(ev.config.kpis)}
    lines = [
        f"**{titles.get(kpi_id, kpi_id)}.** {note.explanation}"
        + (f" *Action:* {note.action}" if note.action else "")
        for kpi_id, note in entry.kpis.items()
    ]
    return Blocks().bullets(lines).markdown(_credit(entry, ev.period))
