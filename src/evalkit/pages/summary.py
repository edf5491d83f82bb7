"""The executive summary: headline findings written from the figures each page recorded.

Every report page records its headline numbers with :func:`evalkit.present.keyfigures.record`
(value, unit, n, 95 % CI). This module turns them into plain-English sentences for the summary
page, in a declared order of priority (:data:`HEADLINES`), and writes the limitations that
follow from the data-quality figures. Nothing here computes a statistic: it only words figures
computed, and tested, elsewhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from evalkit.config import DisclosurePolicy
from evalkit.data.evaluation import Evaluation
from evalkit.data.persons import people_count
from evalkit.disclosure.suppression import rule_statement
from evalkit.pages import evaluator_text
from evalkit.pages.data_quality import excluded_statement
from evalkit.present.blocks import Blocks
from evalkit.present.keyfigures import KeyFigure, figure_text, read_key_figures
from evalkit.present.since_last import NO_EARLIER_REPORT, read_since_last
from evalkit.present.wording import count_text
from evalkit.project.narrative import PROMPTS

__all__ = [
    "HEADLINES",
    "N_NOUNS",
    "RECOMMENDATION_PROMPTS",
    "Headline",
    "cmoc_comparison_for",
    "finding_sentence",
    "headline_findings",
    "headlines_section",
    "limitations",
    "limitations_section",
    "number_text",
    "prompts_section",
    "recorded_figures",
    "scope",
    "since_last_section",
    "since_last_table",
    "what_works",
    "what_works_section",
]


@dataclass(frozen=True)
class Headline:
    """A key figure that can headline the summary, and the question it answers.

    ``beside`` names a figure stated in brackets after it (the referral episodes beside the
    people referred), when recorded and shown.
    """

    key: str
    topic: str
    beside: str | None = None


#: Key figures in order of priority for the executive summary (the first 8 present are used).
HEADLINES: tuple[Headline, ...] = (
    Headline("people_referred", "Reach", beside="episodes"),
    Headline("share_most_deprived", "Reach into deprived areas"),
    Headline("wemwbs_mean_change", "Wellbeing"),
    Headline("wemwbs_meaningful_improvement_pct", "Wellbeing"),
    Headline("for_whom_top_difference", "For whom"),
    Headline("quit_4wk_co_rate", "Smoking"),
    Headline("weight_loss_5pct_rate", "Weight"),
    Headline("iapt_recovery_rate", "Talking therapies"),
    Headline("kpis_green", "KPIs"),
    Headline("cmocs_consistent", "What works, and why"),
)


#: What the ``n`` of a key figure counts, where it is not people: the reach page's shares rest
#: on referral episodes (a person referred to two providers counts twice; docs/linkage.md).
N_NOUNS: dict[str, str] = {
    "start_rate": "referrals",
    "share_most_deprived": "referrals",
    "reach_ratio_q1": "referrals",
    "episodes": "referrals",
}


def number_text(value: float | None, unit: str | None = None) -> str:
    """Write a number as a commissioner reads it: sensible rounding, thousands separators.

    Examples
    --------
    >>> number_text(1234.0, "people"), number_text(45.27, "%"), number_text(3.14159, "points")
    ('1,234 people', '45%', '3.1 points')
    >>> number_text(0.456), number_text(float("nan"), "%")
    ('0.46', 'not available')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not available"
    number = float(value)
    if unit == "%":
        digits = 0 if abs(number) >= 10 else 1
    elif abs(number) >= 100:
        digits = 0
    elif abs(number) >= 1 or number == 0:
        digits = 1 if not number.is_integer() else 0
    else:
        digits = 2
    text = f"{number:,.{digits}f}"
    if unit == "%":
        return text + "%"
    return f"{text} {unit}" if unit else text


def finding_sentence(
    figure: pd.Series | dict, threshold: int = 8, round_to: int | None = None
) -> str:
    """One sentence for a recorded figure: label, value, 95 % CI and the number of people.

    The value and CI are written by :func:`evalkit.present.keyfigures.figure_text`, as on the
    index and the figure's own page. Figures resting on fewer than ``threshold`` people are not
    shown (disclosure control), and counts of people are rounded to the nearest ``round_to``,
    as the tables round them.

    Examples
    --------
    >>> finding_sentence({"label": "Mean WEMWBS change", "value": 3.24, "unit": "points",
    ...                   "ci_low": 2.81, "ci_high": 3.67, "n": 783})
    'Mean WEMWBS change: 3.2 points (95% CI 2.8 to 3.7; 783 people).'
    >>> finding_sentence({"label": "Quit rate", "value": 39.46, "unit": "%", "n": 400,
    ...                   "ci_low": 34.8, "ci_high": 44.3}, round_to=5)
    'Quit rate: 39% (95% CI 35% to 44%; 400 people).'
    >>> finding_sentence({"label": "Quit rate", "value": 40.0, "unit": "%", "n": 5,
    ...                   "ci_low": None, "ci_high": None})
    'Quit rate: too few people to report (fewer than 8).'
    >>> finding_sentence({"label": "Referred", "value": 1998, "unit": "people", "n": 1998},
    ...                  round_to=5)
    'Referred: 2,000 people.'
    >>> finding_sentence({"key": "start_rate", "label": "Started", "value": 88.0, "unit": "%",
    ...                   "n": 2000, "ci_low": 86.0, "ci_high": 89.0})
    'Started: 88% (95% CI 86% to 89%; 2,000 referrals).'
    """
    policy = DisclosurePolicy(threshold=threshold, round_to=round_to)
    recorded = KeyFigure.from_mapping(figure)
    shown = figure_text(recorded, policy)
    if shown.suppressed:
        return f"{recorded.label}: too few people to report (fewer than {threshold})."
    details = []
    if shown.ci:
        details.append(f"95% CI {shown.ci}")
    # No "2,000 people (2,000 people)".
    if shown.n and not (recorded.unit in ("people", "episodes") and recorded.value == recorded.n):
        details.append(f"{shown.n} {N_NOUNS.get(recorded.key, 'people')}")
    suffix = f" ({'; '.join(details)})" if details else ""
    return f"{recorded.label}: {shown.value}{suffix}."


def headline_findings(
    figures: pd.DataFrame, *, threshold: int = 8, round_to: int | None = None, limit: int = 8
) -> pd.DataFrame:
    """Pick up to ``limit`` headline figures in :data:`HEADLINES` order and word them.

    Parameters
    ----------
    figures : DataFrame
        Key figures as read by :func:`evalkit.present.keyfigures.read_key_figures`.
    threshold : int
        Disclosure threshold: figures on 1..threshold-1 people are withheld.
    round_to : int, optional
        Counts of people are rounded to the nearest multiple, as the tables round them.
    limit : int
        Most findings returned.

    Returns
    -------
    DataFrame
        ``topic, finding, key, notebook, n`` in priority order.

    Examples
    --------
    >>> figs = pd.DataFrame([{"notebook": "02", "key": "wemwbs_mean_change", "label": "Mean change",
    ...     "value": 3.0, "unit": "points", "n": 100, "ci_low": 2.0, "ci_high": 4.0}])
    >>> headline_findings(figs)["finding"].tolist()
    ['Mean change: 3.0 points (95% CI 2.0 to 4.0; 100 people).']
    >>> reach = pd.DataFrame([{"notebook": "01", "key": "people_referred", "label": "Referred",
    ...     "value": 370, "unit": "people", "n": 370}, {"notebook": "01", "key": "episodes",
    ...     "label": "Referral episodes", "value": 400, "unit": "episodes", "n": 400}])
    >>> headline_findings(reach)["finding"].tolist()
    ['Referred: 370 people (400 episodes).']
    """
    by_key = {row["key"]: row for _, row in figures.iterrows()}
    rows = []
    for headline in HEADLINES:
        if headline.key not in by_key:
            continue
        figure = by_key[headline.key]
        finding = finding_sentence(figure, threshold, round_to)
        if headline.beside in by_key:
            policy = DisclosurePolicy(threshold=threshold, round_to=round_to)
            beside = figure_text(KeyFigure.from_mapping(by_key[headline.beside]), policy)
            if not beside.suppressed and finding.endswith("."):
                finding = f"{finding[:-1]} ({beside.value})."
        rows.append(
            {
                "topic": headline.topic,
                "finding": finding,
                "key": headline.key,
                "notebook": figure["notebook"],
                "n": figure["n"],
            }
        )
        if len(rows) == limit:
            break
    return pd.DataFrame(rows, columns=["topic", "finding", "key", "notebook", "n"])


def limitations(
    figures: pd.DataFrame, *, threshold: int = 8, round_to: int | None = None
) -> list[str]:
    """Plain-English limitations that follow from the recorded data-quality figures, and the
    small-number rule applied (:func:`evalkit.disclosure.suppression.rule_statement`).

    Examples
    --------
    >>> figs = pd.DataFrame([{"key": "wemwbs_followup_rate", "value": 53.4, "unit": "%",
    ...                       "n": 1466}])
    >>> limitations(figs)[0][:60]
    'Only 53% of people with a starting wellbeing score also had '
    """
    policy = DisclosurePolicy(threshold=threshold, round_to=round_to)
    recorded = {row["key"]: KeyFigure.from_mapping(row) for _, row in figures.iterrows()}
    notes = []
    followup = recorded.get("wemwbs_followup_rate")
    if followup is not None and isinstance(followup.value, int | float) and followup.value < 80:
        followup = replace(followup, unit="%")  # both figures are percentages (key-figures.md)
        notes.append(
            f"Only {followup.text(policy).value} of people with a starting wellbeing score also "
            "had an end score, so the wellbeing results describe those who stayed in touch; the "
            "sensitivity analyses on the wellbeing page show how much this could matter."
        )
    kept = recorded.get("records_kept_pct")
    if kept is not None and isinstance(kept.value, int | float) and kept.value < 100:
        set_aside = replace(
            kept, value=100 - kept.value, unit="%", ci_low=None, ci_high=None, n=None
        )
        notes.append(
            f"{set_aside.text(policy).value} of the records providers sent failed validation "
            "and were set aside; they are listed for providers to correct and are not in the "
            "results."
        )
    notes.append(
        "The service has no comparison group: before/after change shows what happened to people "
        "who used it, not how much of that change the service caused."
    )
    notes.append(
        rule_statement(policy) + " Some small groups therefore cannot be reported separately."
    )
    return notes


#: Questions the evaluator answers in their own words before the report goes out (their one
#: home, with the ids their answers have in narrative.yml, is evalkit.project.narrative.PROMPTS).
RECOMMENDATION_PROMPTS: tuple[str, ...] = tuple(prompt.question for prompt in PROMPTS)


def what_works(comparison: pd.DataFrame) -> pd.DataFrame:
    """The "what works, for whom, in what circumstances" table, one row per CMOC.

    Parameters
    ----------
    comparison : DataFrame
        :func:`evalkit.pages.realist_synthesis.cmoc_comparison` (small groups already withheld
        there).

    Returns
    -------
    DataFrame
        ``CMOC, In what circumstances, What works and why, Outcome, Interview evidence,
        What the numbers show, Evaluator's status``.

    Examples
    --------
    >>> comparison = pd.DataFrame({"cmoc_id": ["C1"], "context": ["Face-to-face support"],
    ...     "mechanism_resource": ["CO monitoring"], "mechanism_reasoning": ["accountability"],
    ...     "outcome": ["More quits"], "n_sources": [6], "n_sites": [3],
    ...     "pattern_text": ["The numbers agree"],
    ...     "difference_text": ["12 percentage points higher (95% CI 5 to 19 higher)"],
    ...     "status": ["initial"]})
    >>> what_works(comparison).iloc[0]["What the numbers show"]
    'The numbers agree: 12 percentage points higher (95% CI 5 to 19 higher)'
    """
    sources = comparison["n_sources"].fillna(0).astype(int)
    sites = comparison["n_sites"].fillna(0).astype(int)
    return pd.DataFrame(
        {
            "CMOC": comparison["cmoc_id"],
            "In what circumstances": comparison["context"],
            "What works and why": comparison["mechanism_resource"]
            + " → "
            + comparison["mechanism_reasoning"],
            "Outcome": comparison["outcome"],
            "Interview evidence": [
                f"{n} source{'s' * (n != 1)}, {k} site{'s' * (k != 1)}"
                for n, k in zip(sources, sites, strict=True)
            ],
            "What the numbers show": comparison["pattern_text"]
            + ": "
            + comparison["difference_text"],
            "Evaluator's status": comparison["status"],
        }
    )


def cmoc_comparison_for(ev: Evaluation) -> pd.DataFrame:
    """The CMOC comparison of a report, as the realist page builds it (same scope and rules).

    Parameters
    ----------
    ev : evalkit.data.evaluation.Evaluation

    Returns
    -------
    DataFrame
        :func:`evalkit.pages.realist_synthesis.cmoc_comparison`, or an empty frame when there are
        no CMOCs.
    """
    from evalkit.pages import realist_synthesis as synthesis

    comparison = synthesis.realist_analysis(ev).comparison
    if comparison is None:
        return pd.DataFrame(columns=list(synthesis.COMPARISON_COLUMNS))
    return comparison


# --------------------------------------------------------------------------- page sections


def recorded_figures(output_dir: str | Path) -> pd.DataFrame:
    """The key figures every other page of this report recorded (they share ``output_dir``'s
    parent folder)."""
    return read_key_figures(Path(output_dir).parent)


def scope(ev: Evaluation) -> Blocks:
    """The report's scope, its people (distinct ``person_id``) and its referral episodes
    (rounded as the tables round)."""
    policy = ev.config.disclosure
    people, episodes = (
        count_text(n, threshold=policy.threshold, round_to=policy.round_to)
        for n in (people_count(ev.episodes), len(ev.episodes))
    )
    return Blocks().markdown(
        f"**Scope:** {ev.scope}. **People:** {people}. **Referral episodes:** {episodes}."
    )


def headlines_section(ev: Evaluation, figures: pd.DataFrame) -> Blocks:
    """The headline findings, one bullet per topic."""
    policy = ev.config.disclosure
    findings = headline_findings(figures, threshold=policy.threshold, round_to=policy.round_to)
    if findings.empty:
        return Blocks().markdown(
            "No headline figures were recorded: run the other pages of the report first."
        )
    return Blocks().bullets(f"**{r.topic}.** {r.finding}" for r in findings.itertuples())


def since_last_table(
    figures: pd.DataFrame, output_dir: str | Path, policy: DisclosurePolicy
) -> pd.DataFrame | None:
    """The headlines (:data:`HEADLINES` order, as :func:`headline_findings` picks them) beside
    the last published report of this scope: now, then, the change, beyond chance or not.

    The comparison is the one ``evalkit report`` wrote for this report
    (:mod:`evalkit.present.since_last`); None when there is none (the page was run on its own)
    or this is the first report of its scope.
    """
    since = read_since_last(Path(output_dir).parent)
    if since is None or since.first:
        return None
    findings = headline_findings(figures, threshold=policy.threshold, round_to=policy.round_to)
    by_key = {row["key"]: row for row in figures.to_dict("records")}
    rows = []
    for finding in findings.itertuples():
        figure = KeyFigure.from_mapping(by_key[finding.key])
        shown, then = figure_text(figure, policy), since.shown(figure)
        rows.append(
            {
                "Figure": figure.label,
                "Now": shown.value,
                f"Last report ({since.previous_period})": then.previous,
                "Change": then.change,
                "Beyond chance?": then.verdict,
            }
        )
    return pd.DataFrame(rows)


def since_last_section(ev: Evaluation, figures: pd.DataFrame, output_dir: str | Path) -> Blocks:
    """Since the last report: each headline against the last published report of this scope,
    or why there is no comparison (the first report of its scope; a page run on its own)."""
    policy = ev.config.disclosure
    since = read_since_last(Path(output_dir).parent)
    if since is None:
        return Blocks().markdown(
            "The comparison with the last published report of this scope is made when the "
            "report is published (`evalkit report`)."
        )
    if since.first:
        return Blocks().markdown(NO_EARLIER_REPORT)
    table = since_last_table(figures, output_dir, policy)
    assert table is not None
    intro = (
        f"Each headline beside the last report of this scope, for {since.previous_period}. "
        "A change is *beyond chance* when its p-value is below 0.05. Reports are cumulative, so "
        "for a rate the people added since the last report are compared with the people in it; "
        "other estimates are compared as independent samples, which is cautious; counts get "
        "the change only."
    )
    if table.empty:
        return Blocks().markdown(intro + " No headline figure was recorded.")
    return (
        Blocks()
        .markdown(intro)
        .table(
            table.set_index("Figure"),
            caption=f"Headline figures now and in the last report ({since.previous_period})",
            policy=None,
        )
    )


def what_works_section(ev: Evaluation) -> Blocks:
    """What works, for whom, in what circumstances: one row per CMOC."""
    comparison = cmoc_comparison_for(ev)
    if comparison.empty:
        return Blocks().markdown(
            "No CMO configurations have been recorded for this evaluation yet."
        )
    return Blocks().table(
        what_works(comparison).set_index("CMOC"),
        caption="What works, for whom, in what circumstances",
        policy=None,
    )


def limitations_section(ev: Evaluation, figures: pd.DataFrame) -> Blocks:
    """The limitations that follow from the data-quality figures, after what the report leaves
    out (referrals out of scope, rows quarantined; page 00's methods text)."""
    policy = ev.config.disclosure
    notes = limitations(figures, threshold=policy.threshold, round_to=policy.round_to)
    return Blocks().bullets([excluded_statement(ev), *notes])


def prompts_section(ev: Evaluation | None = None) -> Blocks:
    """The prompts left for the evaluator's judgement, with the evaluator's answers for the
    report's period from ``narrative.yml`` when an evaluation is given."""
    if ev is not None:
        return evaluator_text.answers_section(ev)
    return Blocks().bullets(RECOMMENDATION_PROMPTS)
