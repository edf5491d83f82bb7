"""The sections of the realist synthesis page (04), display-ready, in the order the page reads.

Each section takes the :class:`~evalkit.data.evaluation.Evaluation` of the report and returns
:class:`~evalkit.present.blocks.Blocks`: sentences, tables through the disclosure policy, figures
with alt text and one card per CMOC. What several sections share — the qualitative evidence in
scope, each CMOC's outcome link and its comparison — is computed once by
:func:`realist_analysis`; a notebook passes it on, and a section given none computes its own.
The wording and tables come from the other modules of this package; this module only decides
what the reader sees, and in what order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pandas as pd
from IPython.display import HTML

from evalkit import qual, realist
from evalkit.data.evaluation import Evaluation
from evalkit.errors import QualImportError
from evalkit.pages.realist_synthesis.cards import cmoc_card_html, plural
from evalkit.pages.realist_synthesis.comparison import cmoc_comparison
from evalkit.pages.realist_synthesis.figures import synthesis_key_figures
from evalkit.pages.realist_synthesis.history import refinement_log_for_report
from evalkit.pages.realist_synthesis.quotes import cmoc_quotes
from evalkit.pages.realist_synthesis.rameses import (
    REPORT_LOCATIONS,
    UNCHECKED_TITLE_NOTE,
    link_for_checklist,
    rameses_for_report,
)
from evalkit.pages.realist_synthesis.rigour import (
    agreement_sentence,
    agreement_table,
    evidence_by_round_table,
    rounds_for_checklist,
    rounds_table,
    write_evaluator_only,
)
from evalkit.pages.realist_synthesis.scope import (
    QualitativeScope,
    qualitative_in_scope,
    sources_by_group,
)
from evalkit.present import figures as viz
from evalkit.present.blocks import Blocks
from evalkit.present.keyfigures import record
from evalkit.present.labels import period_label
from evalkit.qual.agreement import Unit

__all__ = [
    "REFINEMENT_LOG_FILE",
    "RealistAnalysis",
    "cmoc_cards",
    "comparison_rules",
    "double_coding_and_agreement",
    "evaluator_only_outputs",
    "evidence_and_patterns",
    "evidence_by_round",
    "evidence_in_scope",
    "how_the_theories_changed",
    "in_brief",
    "missing_cmocs",
    "outcome_patterns",
    "programme_theories",
    "qualitative_sources",
    "rameses_ii",
    "realist_analysis",
    "rounds_of_fieldwork",
    "where_configurations_recur",
]

#: The file, in the page's output folder, that the report's refinement log is written to.
REFINEMENT_LOG_FILE = "refinement_log.csv"


@dataclass(frozen=True)
class RealistAnalysis:
    """What the page's sections share, computed once for a report by :func:`realist_analysis`.

    Attributes
    ----------
    scope : QualitativeScope
        The qualitative evidence the report may use (:func:`qualitative_in_scope`).
    min_n : int
        Fewest people each side of a comparison needs (``realist.min_n``).
    key_figures : DataFrame
        :func:`evalkit.pages.realist_synthesis.synthesis_key_figures`.
    link, evidence, comparison : DataFrame or None
        :func:`evalkit.realist.cmoc_outcome_link` on the report's episodes,
        :func:`evalkit.realist.cmoc_evidence` and
        :func:`evalkit.pages.realist_synthesis.cmoc_comparison`; ``None`` when no CMOC is
        recorded.
    double_coded, agreement : DataFrame or None
        :func:`evalkit.qual.double_coding` of the sources in scope and
        :func:`evalkit.qual.intercoder_agreement` on the codes and on the realist kinds (both
        levels in one table); ``None`` when the codings name no coder.
    texts : dict
        The full text of each source in scope that has one (``qual/texts`` or
        ``qual/transcripts``).
    rounds, evidence_by_round : DataFrame or None
        :func:`evalkit.realist.fieldwork_rounds` and
        :func:`evalkit.realist.cmoc_evidence_by_round`; ``None`` when no source has a round.
    """

    scope: QualitativeScope
    min_n: int
    key_figures: pd.DataFrame
    link: pd.DataFrame | None
    evidence: pd.DataFrame | None
    comparison: pd.DataFrame | None
    double_coded: pd.DataFrame | None = None
    agreement: pd.DataFrame | None = None
    texts: dict[str, str] = field(default_factory=dict)
    rounds: pd.DataFrame | None = None
    evidence_by_round: pd.DataFrame | None = None

    @property
    def has_rounds(self) -> bool:
        """Whether any source in scope records its fieldwork round."""
        return self.rounds is not None

    @property
    def has_cmocs(self) -> bool:
        """Whether the evaluation has recorded any CMOC."""
        return not self.scope.cmocs.empty

    def count(self, key: str) -> int:
        """The value of one of the page's key figures (``"cmocs_total"``, ...)."""
        figures = self.key_figures.set_index("key")["value"]
        return int(figures[key])


def realist_analysis(ev: Evaluation) -> RealistAnalysis:
    """The qualitative evidence in scope, each CMOC's outcome link and its comparison.

    Parameters
    ----------
    ev : evalkit.data.evaluation.Evaluation

    Returns
    -------
    RealistAnalysis
    """
    settings = dict(ev.config.qualitative or {})
    scope = qualitative_in_scope(
        ev.qual, period=ev.period, site=ev.site, lead_coders=settings.get("lead_coders") or ()
    )
    min_n = int(ev.config.realist.get("min_n", 30))
    cmocs = scope.cmocs
    link = evidence = comparison = None
    if not cmocs.empty:
        sites = ev.config.sites
        parts = (cmocs, scope.codings, scope.sources, scope.codebook)
        policy = ev.config.disclosure
        link = realist.cmoc_outcome_link(cmocs, ev.episodes, min_n=min_n)
        evidence = realist.cmoc_evidence(*parts, sites=sites)
        comparison = cmoc_comparison(
            cmocs,
            link,
            evidence,
            realist.cmoc_site_matrix(*parts, sites=sites),
            ev.episodes,
            codings=scope.codings,
            sources=scope.sources,
            codebook=scope.codebook,
            min_n=min_n,
            threshold=policy.threshold,
            round_to=policy.round_to,
        )
    figures = synthesis_key_figures(cmocs, link, scope.sources, scope.codings)
    texts = qual.read_source_texts(ev.config.qual_dir, scope.sources["source_id"])
    every = scope.all_codings if scope.all_codings is not None else scope.codings
    double_coded = agreement = None
    if "coder" in every.columns and every["coder"].notna().any():
        double_coded = qual.double_coding(every, scope.sources)
        agreement = _agreement(every, texts, scope.codebook, settings.get("agreement_unit"))
    rounds = by_round = None
    if "round" in scope.sources.columns and scope.sources["round"].notna().any():
        rounds = realist.fieldwork_rounds(scope.sources, scope.codings)
        if not cmocs.empty:
            by_round = realist.cmoc_evidence_by_round(
                cmocs, scope.codings, scope.sources, scope.codebook
            )
    return RealistAnalysis(
        scope,
        min_n,
        figures,
        link,
        evidence,
        comparison,
        double_coded=double_coded,
        agreement=agreement,
        texts=texts,
        rounds=rounds,
        evidence_by_round=by_round,
    )


def _agreement(
    codings: pd.DataFrame, texts: dict[str, str], codebook: pd.DataFrame, unit: object
) -> pd.DataFrame:
    """Agreement on the codes and on the realist kinds, on the configured unit (default
    sentences), or on whole excerpts when the texts or positions to cut units from are missing."""
    chosen = cast(Unit, str(unit or "sentence"))
    parts = []
    for level in ("code", "kind"):
        try:
            parts.append(
                qual.intercoder_agreement(
                    codings, texts, codebook=codebook, unit=chosen, level=level
                )
            )
        except QualImportError:
            if chosen == "excerpt":
                raise
            chosen = "excerpt"
            return _agreement(codings, texts, codebook, chosen)
    return pd.concat(parts, ignore_index=True)


def _analysis(ev: Evaluation, analysis: RealistAnalysis | None) -> RealistAnalysis:
    """``analysis``, or the report's own when a section is called without one."""
    return realist_analysis(ev) if analysis is None else analysis


# --------------------------------------------------------------------------- page sections


def evidence_in_scope(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """The report's scope and the qualitative evidence it draws on; records the key figures."""
    analysis = _analysis(ev, analysis)
    for figure in analysis.key_figures.itertuples():
        record(figure.key, figure.value, label=figure.label, unit=figure.unit)
    end = analysis.scope.period_end
    blocks = Blocks().markdown(
        f"**Scope:** {ev.scope} ({period_label(ev.period)}). **Qualitative evidence:** "
        f"{plural(analysis.count('qual_sources'), 'source')} dated up to {end.day} {end:%B %Y}, "
        f"with {plural(analysis.count('qual_excerpts'), 'coded excerpt')}."
    )
    for gap in analysis.scope.left_out.itertuples():
        blocks.markdown(
            f"{plural(gap.sources, 'source')} {gap.reason} "
            f"({plural(gap.excerpts, 'coded excerpt')}) "
            + (
                "are not used here: a report only draws on what was known by the end of its period."
                if gap.reason.startswith("dated")
                else "are not used here; sources about the whole service are kept."
            )
        )
    return blocks


def missing_cmocs(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """Nothing when CMOCs are recorded; otherwise, that there is nothing to synthesise yet."""
    if _analysis(ev, analysis).has_cmocs:
        return Blocks()
    return Blocks().markdown(
        "No CMOCs have been recorded for this evaluation yet, so there is nothing to synthesise. "
        "The evaluator adds them in the evaluation's `qual/cmocs.csv`."
    )


def in_brief(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """How many CMOCs the numbers agree with, point against or cannot yet tell about."""
    analysis = _analysis(ev, analysis)
    if analysis.comparison is None:
        return Blocks()
    count = analysis.count
    blocks = Blocks().markdown(
        f"The programme theory is expressed as {plural(count('cmocs_total'), 'CMOC')}. "
        f"The monitoring data **agree with {count('cmocs_consistent')}**, "
        f"**point against {count('cmocs_inconsistent')}** and **cannot yet tell for "
        f"{count('cmocs_inconclusive')}**"
        + (
            f"; {count('cmocs_not_tested')} can only be judged from what people said."
            if count("cmocs_not_tested")
            else "."
        )
    )
    too_few = int(analysis.comparison["too_few"].sum())
    if too_few:
        one_site = ev.site != "all"
        where = "at this site alone" if one_site else "in this period"
        blocks.markdown(
            f"For {plural(too_few, 'CMOC')}, too few people {where} fall in the context, or "
            "outside it, to tell. That is a lack of numbers, not evidence against the theory"
            + (": the whole-service report pools every site." if one_site else ".")
        )
    return blocks


def programme_theories(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """The programme theories, each CMOC's four elements and the evaluator's status."""
    analysis = _analysis(ev, analysis)
    if not analysis.has_cmocs:
        return Blocks()
    theory = realist.programme_theory_table(analysis.scope.cmocs, analysis.link, analysis.evidence)
    table = (
        theory[
            [
                "programme_theory",
                "cmoc_id",
                "context",
                "mechanism_resource",
                "mechanism_reasoning",
                "outcome",
                "status",
            ]
        ]
        .rename(
            columns={
                "programme_theory": "Programme theory",
                "cmoc_id": "CMOC",
                "context": "Context",
                "mechanism_resource": "What the service offers",
                "mechanism_reasoning": "How people respond",
                "outcome": "Outcome",
                "status": "Evaluator's status",
            }
        )
        .set_index(["Programme theory", "CMOC"])
    )
    return Blocks().table(table, caption="Programme theories and their CMOCs", policy=None)


def qualitative_sources(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """The sources by stakeholder group and type (counts of sources, not people: not rounded)."""
    scope = _analysis(ev, analysis).scope
    table = (
        sources_by_group(scope.sources, scope.codings)
        .rename(
            columns={
                "stakeholder_group": "Stakeholder group",
                "interviews": "Interviews",
                "focus_groups": "Focus groups",
                "fieldnotes": "Field notes",
                "documents": "Documents",
                "sources": "All sources",
                "excerpts": "Coded excerpts",
                "sites": "Sites",
            }
        )
        .set_index("Stakeholder group")
    )
    return Blocks().table(
        table,
        caption="Qualitative sources by stakeholder group (counts of sources, not people)",
        policy=None,
    )


def double_coding_and_agreement(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """The share of sources double-coded and how far the coders agreed (methods)."""
    analysis = _analysis(ev, analysis)
    if analysis.double_coded is None or analysis.agreement is None:
        return Blocks().markdown(
            "The coding does not record who coded each excerpt, so agreement between coders "
            "cannot be reported."
        )
    blocks = Blocks().markdown(agreement_sentence(analysis.double_coded, analysis.agreement))
    if analysis.agreement.empty:
        return blocks
    unit = str(analysis.agreement["unit"].iloc[0])
    return blocks.table(
        agreement_table(analysis.agreement).set_index("Compared on"),
        caption=f"Agreement between coders on the double-coded sources, by {unit} "
        "(counts of text units, not people)",
        policy=None,
    ).markdown(
        "Kappa and alpha correct the agreement for what chance alone would give: 1 is perfect "
        "agreement, 0 no better than chance. The evidence tallies use each source's lead "
        "coder's coding. The passages the coders disagreed on are listed for the team's "
        "reconciliation meeting; that list quotes the sources in full, so it stays with the "
        "evaluation team and is not part of this report."
    )


def rounds_of_fieldwork(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """The fieldwork rounds: sources, dates, people heard and people heard again."""
    analysis = _analysis(ev, analysis)
    if analysis.rounds is None:
        return Blocks()
    policy = ev.config.disclosure
    numbered = analysis.rounds[~analysis.rounds["round"].isin(["all", realist.NO_ROUND])]
    return (
        Blocks()
        .markdown(
            f"The interviews and focus groups were done in "
            f"{plural(len(numbered), 'round')}: the first to test the initial programme "
            "theories, the later ones to refine them"
            + (
                ", partly with the same people."
                if int(analysis.rounds["n_reinterviewed"].iloc[-1])
                else "."
            )
        )
        .table(
            rounds_table(analysis.rounds).set_index("Round"),
            caption="Fieldwork rounds (people are counted by pseudonym; focus groups and "
            "documents name no one)",
            policy=policy,
            count_columns=["People interviewed", "Heard in an earlier round"],
            secondary="columns",
        )
    )


def evidence_by_round(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """Sources evidencing each CMOC in each fieldwork round."""
    analysis = _analysis(ev, analysis)
    if analysis.evidence_by_round is None:
        return Blocks()
    return Blocks().table(
        evidence_by_round_table(analysis.evidence_by_round),
        caption="Sources evidencing each CMOC, by fieldwork round (counts of sources, not people)",
        policy=None,
    )


def evaluator_only_outputs(
    ev: Evaluation, output_dir: str | Path, analysis: RealistAnalysis | None = None
) -> Blocks:
    """Write the evaluation team's files (disagreements, re-interviews, memos); show nothing
    of them.

    :func:`~evalkit.pages.realist_synthesis.rigour.write_evaluator_only` puts them in the
    ``evaluator_only`` folder of ``output_dir``; the report publishes pages only.
    """
    analysis = _analysis(ev, analysis)
    scope = analysis.scope
    every = scope.all_codings if scope.all_codings is not None else scope.codings
    unit = (
        str(analysis.agreement["unit"].iloc[0])
        if analysis.agreement is not None and not analysis.agreement.empty
        else "excerpt"
    )
    empty = pd.DataFrame(columns=list(qual.DISAGREEMENT_COLUMNS))
    has_coders = analysis.double_coded is not None
    disagreements = kinds = empty
    if has_coders:
        parts = dict(
            texts=analysis.texts, codebook=scope.codebook, sources=scope.sources, unit=unit
        )
        disagreements = qual.disagreements(every, **parts)
        kinds = qual.disagreements(every, level="kind", **parts)
    write_evaluator_only(
        output_dir,
        cmocs=scope.cmocs,
        memos=realist.cmoc_memos(scope.cmocs),
        disagreements=disagreements,
        kind_disagreements=kinds,
        reinterviews=realist.reinterviews(scope.sources),
    )
    return Blocks()


def comparison_rules(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """The fewest people a comparison needs, and the small-number rules of the counts shown."""
    policy = ev.config.disclosure
    return Blocks().markdown(
        f"A comparison needs at least {_analysis(ev, analysis).min_n} people with the outcome "
        f"measured both in the context and outside it. Counts under {policy.threshold} are not "
        "shown"
        + (
            f", and counts are rounded to the nearest {policy.round_to}."
            if policy.round_to
            else "."
        )
    )


def evidence_and_patterns(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """Each CMOC's qualitative evidence beside its outcome pattern, small groups withheld.

    The difference is text; :func:`~evalkit.pages.realist_synthesis.cmoc_comparison` already
    withholds it whenever either count is under the threshold, which is exactly when the table
    suppresses that row's counts.
    """
    comparison = _analysis(ev, analysis).comparison
    if comparison is None:
        return Blocks()
    table = (
        comparison[
            [
                "cmoc_id",
                "n_sources",
                "n_in",
                "n_out",
                "difference_text",
                "pattern_text",
                "suggested_status",
                "status",
            ]
        ]
        .fillna({"suggested_status": "—"})
        .rename(
            columns={
                "cmoc_id": "CMOC",
                "n_sources": "Sources",
                "n_in": "In the context",
                "n_out": "Everyone else",
                "difference_text": "Difference (95% CI)",
                "pattern_text": "What the numbers say",
                "suggested_status": "evalkit suggests",
                "status": "Evaluator's status",
            }
        )
        .set_index("CMOC")
    )
    return Blocks().table(
        table,
        caption="CMOCs: qualitative evidence and the outcome pattern in the monitoring data",
        policy=ev.config.disclosure,
        count_columns=["In the context", "Everyone else"],
        secondary="rows",
    )


def outcome_patterns(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """One forest plot per outcome: each tested CMOC's difference with its 95% CI."""
    comparison = _analysis(ev, analysis).comparison
    blocks = Blocks()
    if comparison is None:
        return blocks
    tested = comparison[comparison["pattern"] != "not tested"]
    for _, rows in tested.groupby("outcome_measure", sort=False):
        label, unit = rows["outcome_label"].iloc[0], rows["difference_unit"].iloc[0]
        fig = viz.forest_plot(
            rows,
            "difference",
            "ci_lower",
            "ci_upper",
            "cmoc_id",
            xlabel=f"Difference, context minus everyone else ({unit})",
        )
        blocks.figure(
            fig,
            alt=viz.alt_text(fig),
            caption=f"{label}: the difference between people in each CMOC's context and "
            "everyone else, with its 95% CI. An interval crossing the dashed line at zero means "
            "the numbers cannot tell; a CMOC with too few people is marked not estimated.",
        )
    return blocks


def cmoc_cards(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """One card per CMOC: its configuration, what people said and what the numbers show."""
    analysis = _analysis(ev, analysis)
    if analysis.comparison is None:
        return Blocks()
    scope, policy = analysis.scope, ev.config.disclosure
    quotes = cmoc_quotes(
        scope.cmocs, scope.codings, scope.sources, scope.codebook, sites=ev.config.sites
    )
    return Blocks(
        HTML(cmoc_card_html(row, quotes, threshold=policy.threshold, round_to=policy.round_to))
        for row in analysis.comparison.to_dict("records")
    )


def where_configurations_recur(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """Sources evidencing each CMOC at each site, across the whole service, for any report."""
    cmocs = _analysis(ev, analysis).scope.cmocs
    if cmocs.empty:
        return Blocks()
    whole = qualitative_in_scope(ev.qual, period=ev.period)
    recurs = realist.cmoc_site_matrix(
        cmocs, whole.codings, whole.sources, whole.codebook, sites=ev.config.sites
    )
    table = recurs.rename(
        columns={
            "cmoc_id": "CMOC",
            "whole service": "Whole service",
            "n_sites": "Sites with evidence",
            "n_sites_all_elements": "Sites with every element",
        }
    ).set_index("CMOC")
    return Blocks().table(
        table,
        caption="Sources evidencing each CMOC, by site (counts of sources, not people)",
        policy=None,
    )


def how_the_theories_changed(
    ev: Evaluation, output_dir: str | Path, analysis: RealistAnalysis | None = None
) -> Blocks:
    """The evaluator's status for each CMOC by period; writes the report's refinement log.

    The log (:func:`~evalkit.pages.realist_synthesis.refinement_log_for_report`: the recorded
    log, plus this period's statuses if none are recorded yet) is written to
    :data:`REFINEMENT_LOG_FILE` in ``output_dir``, never into the evaluation's ``qual`` folder.
    """
    analysis = _analysis(ev, analysis)
    if not analysis.has_cmocs:
        return Blocks()
    log = realist.read_refinement_log(ev.config.qual_dir / REFINEMENT_LOG_FILE)
    rounds = (
        realist.cmoc_rounds(analysis.evidence_by_round)
        if analysis.evidence_by_round is not None
        else None
    )
    log = refinement_log_for_report(
        log, analysis.scope.cmocs, ev.period, analysis.link, rounds=rounds
    )
    realist.write_refinement_log(log, Path(output_dir) / REFINEMENT_LOG_FILE)
    history = realist.status_history(log, up_to=ev.period)
    periods = [
        c for c in history.columns if c not in ("cmoc_id", "programme_theory", "changed", "history")
    ]
    shown = log[log["period"] <= ev.period]
    latest = shown[shown["period"] == periods[-1]].set_index("cmoc_id")["rounds"]
    with_rounds = latest.notna().any() and (latest.astype(str) != "").any()
    if with_rounds:
        history["rounds"] = history["cmoc_id"].map(latest).map(_rounds_words)
    extra = ["rounds"] if with_rounds else []
    if len(periods) > 1:
        table = (
            history[["cmoc_id", *periods, "history", *extra]]
            .rename(
                columns={
                    "cmoc_id": "CMOC",
                    "history": "How it changed",
                    "rounds": "Evidence from fieldwork",
                    **{p: period_label(p) for p in periods},
                }
            )
            .set_index("CMOC")
        )
        return Blocks().table(
            table, caption="The evaluator's status for each CMOC, by reporting period", policy=None
        )
    blocks = Blocks().markdown(
        f"{period_label(periods[0])} is the first period with recorded statuses, so there is no "
        "change to show yet. From the next report on, this section shows how each CMOC's status "
        "moved."
    )
    if with_rounds:
        table = (
            history[["cmoc_id", periods[0], "rounds"]]
            .rename(
                columns={
                    "cmoc_id": "CMOC",
                    periods[0]: f"Status, {period_label(periods[0])}",
                    "rounds": "Evidence from fieldwork",
                }
            )
            .set_index("CMOC")
        )
        blocks.table(
            table,
            caption="The evaluator's status for each CMOC and the fieldwork rounds behind it",
            policy=None,
        )
    return blocks


def _rounds_words(rounds: object) -> str:
    """``"1;2"`` -> ``"rounds 1 and 2"``; blank -> "no excerpts yet"."""
    if rounds is None or pd.isna(rounds) or str(rounds).strip() in ("", "nan"):
        return "no excerpts yet"
    parts = [r for r in str(rounds).split(";") if r]
    if len(parts) == 1:
        return f"round {parts[0]}"
    return "rounds " + ", ".join(parts[:-1]) + f" and {parts[-1]}"


def rameses_ii(ev: Evaluation, analysis: RealistAnalysis | None = None) -> Blocks:
    """The RAMESES II items, where this report addresses them and what is left to write."""
    analysis = _analysis(ev, analysis)
    scope = analysis.scope
    policy = ev.config.disclosure
    log = None
    if analysis.has_cmocs:
        recorded = realist.read_refinement_log(ev.config.qual_dir / REFINEMENT_LOG_FILE)
        log = refinement_log_for_report(recorded, scope.cmocs, ev.period, analysis.link)
        log = log[log["period"] <= ev.period]
    checklist = realist.rameses_checklist(
        sources=scope.sources,
        codings=scope.codings,
        episodes=ev.episodes,
        cmocs=scope.cmocs if analysis.has_cmocs else None,
        link=link_for_checklist(analysis.link) if analysis.link is not None else None,
        locations=REPORT_LOCATIONS,
        rounds=(
            rounds_for_checklist(
                analysis.rounds, threshold=policy.threshold, round_to=policy.round_to
            )
            if analysis.rounds is not None
            else None
        ),
        double_coded=analysis.double_coded,
        agreement=analysis.agreement,
        refinement=log,
    )
    table = rameses_for_report(checklist)
    blocks = Blocks().table(
        table.set_index("Item"),
        caption="RAMESES II items and where this report addresses them",
        policy=None,
    )
    if table["Title"].str.endswith("†").any():
        blocks.markdown(UNCHECKED_TITLE_NOTE)
    return blocks
