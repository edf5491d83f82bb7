"""The RAMESES II reporting checklist for realist evaluations, filled in where evalkit knows.

Wong G, Westhorp G, Manzano A, Greenhalgh J, Jagosh J, Greenhalgh T. RAMESES II reporting
standards for realist evaluations. BMC Medicine 2016;14:96, doi:10.1186/s12916-016-0643-1,
Table 1: 20 items in six sections (Title, Summary or abstract, Introduction, Methods, Results,
Discussion), each marked "reported in document (Y/N/unclear)" with the page(s).

Which item titles are confirmed against the published table is recorded per item
(:attr:`RamesesItem.title_source`): items 1-8 were read in Table 1 (the BMC Medicine table page
and a reproduction of the checklist), item 9's opening words were seen there, item 13 is quoted
("Item 13: Data analysis") in the RAMESES II explanation; the remaining titles are from recall
and must be checked against Table 1 before the checklist is relied on. The guidance text below is
evalkit's own paraphrase, not the standard's wording.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from evalkit.realist.evidence import excerpt_ids

__all__ = ["RAMESES_II", "RAMESES_COLUMNS", "RamesesItem", "rameses_checklist"]

_CONFIRMED = "confirmed in Table 1"
_PARTLY = "opening words confirmed in Table 1; rest from recall"
_EXPLANATION = "confirmed in the RAMESES II explanation ('Item 13: Data analysis')"
_RECALL = "from recall: check against Table 1"


@dataclass(frozen=True)
class RamesesItem:
    """One RAMESES II item: number, section, title, how the title was confirmed, and a prompt."""

    number: int
    section: str
    title: str
    title_source: str
    prompt: str


#: The 20 items of RAMESES II (Wong et al. 2016, Table 1), with evalkit's prompts.
RAMESES_II: tuple[RamesesItem, ...] = (
    RamesesItem(
        1, "Title", "Title", _CONFIRMED, "Say in the title that this is a realist evaluation."
    ),
    RamesesItem(
        2,
        "Summary or abstract",
        "Summary or abstract",
        _CONFIRMED,
        "Summarise the programme, setting, purpose, questions, strategy, data and "
        "analysis, and key findings, showing that programme theory was developed or "
        "refined.",
    ),
    RamesesItem(
        3,
        "Introduction",
        "Rationale for evaluation",
        _CONFIRMED,
        "Explain why the evaluation was done and what that meant for its focus.",
    ),
    RamesesItem(
        4,
        "Introduction",
        "Programme theory",
        _CONFIRMED,
        "Describe the initial programme theories behind the service.",
    ),
    RamesesItem(
        5,
        "Introduction",
        "Evaluation questions, objectives and focus",
        _CONFIRMED,
        "State the questions and objectives and how the programme theory shaped them.",
    ),
    RamesesItem(
        6,
        "Introduction",
        "Ethical approval",
        _CONFIRMED,
        "Say whether ethical approval was needed and obtained, or why not.",
    ),
    RamesesItem(
        7,
        "Methods",
        "Rationale for using realist evaluation",
        _CONFIRMED,
        "Explain why a realist approach was chosen, and any adaptation.",
    ),
    RamesesItem(
        8,
        "Methods",
        "Environment surrounding the evaluation",
        _CONFIRMED,
        "Describe the setting in which the service and the evaluation took place.",
    ),
    RamesesItem(
        9,
        "Methods",
        "Describe the programme policy, initiative or product evaluated",
        _PARTLY,
        "Describe the service as delivered: strands, providers, delivery modes.",
    ),
    RamesesItem(
        10,
        "Methods",
        "Describe and justify the evaluation design",
        _RECALL,
        "Describe the design and why it suits the questions.",
    ),
    RamesesItem(
        11,
        "Methods",
        "Data collection methods",
        _RECALL,
        "Describe what data were collected, how and when, and why.",
    ),
    RamesesItem(
        12,
        "Methods",
        "Recruitment process and sampling strategy",
        _RECALL,
        "Describe how people and documents were selected, and why.",
    ),
    RamesesItem(
        13,
        "Methods",
        "Data analysis",
        _EXPLANATION,
        "Describe how the data were analysed to test and refine the programme theory.",
    ),
    RamesesItem(
        14,
        "Results",
        "Details of participants",
        _RECALL,
        "Describe who took part and who the monitoring data covers.",
    ),
    RamesesItem(
        15,
        "Results",
        "Main findings",
        _RECALL,
        "Present the findings against the programme theories and CMOCs.",
    ),
    RamesesItem(
        16,
        "Discussion",
        "Summary findings",
        _RECALL,
        "Summarise what was learned about how, for whom and in what circumstances the "
        "service works.",
    ),
    RamesesItem(
        17,
        "Discussion",
        "Strengths, limitations and future research directions",
        _RECALL,
        "Discuss strengths, limitations and what should be studied next.",
    ),
    RamesesItem(
        18,
        "Discussion",
        "Comparison with existing literature",
        _RECALL,
        "Compare the findings with published evaluations and theory.",
    ),
    RamesesItem(
        19,
        "Discussion",
        "Conclusion and recommendations",
        _RECALL,
        "State conclusions and recommendations for commissioners and providers.",
    ),
    RamesesItem(
        20,
        "Discussion",
        "Funding and conflict of interest",
        _RECALL,
        "State who funded the evaluation and any conflicts of interest.",
    ),
)

#: Columns of :func:`rameses_checklist`.
RAMESES_COLUMNS = (
    "item",
    "section",
    "title",
    "title_source",
    "filled_by",
    "where_addressed",
    "content",
)

#: Where evalkit's report addresses the items it fills (notebook: section).
DEFAULT_LOCATIONS: dict[int, str] = {
    4: "04_realist_synthesis: programme-theory table",
    11: "00_data_quality; 04_realist_synthesis: qualitative sources",
    12: "04_realist_synthesis: qualitative sources",
    13: "04_realist_synthesis: how the evidence was analysed",
    14: "00_data_quality; 01_reach_and_equity",
    15: "04_realist_synthesis: CMOC evidence and outcome patterns",
}


def _counts(values: pd.Series) -> str:
    counts = values.fillna("not recorded").astype(str).str.replace("_", " ").value_counts()
    return ", ".join(f"{n:,} {label}" for label, n in sorted(counts.items()))


def _number(value: float | None, digits: int = 2) -> str:
    return "undefined" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"


def _rounds_text(rounds: pd.DataFrame) -> str:
    """Item 11's words for the fieldwork rounds (``n_reinterviewed`` as given: maybe withheld)."""
    numbered = rounds[~rounds["round"].isin(["all", "not recorded"])]
    parts = []
    for row in numbered.itertuples():
        when = ""
        if not pd.isna(row.first_date) and not pd.isna(row.last_date):
            first, last = pd.Timestamp(row.first_date), pd.Timestamp(row.last_date)
            when = f", {first.day} {first:%b %Y} to {last.day} {last:%b %Y}"
        parts.append(f"round {row.round}: {row.n_sources} sources{when}")
    total = rounds[rounds["round"] == "all"]
    again = total["n_reinterviewed"].iloc[0] if len(total) else 0
    return (
        f"fieldwork in {len(numbered)} round{'s' if len(numbered) != 1 else ''} ("
        + "; ".join(parts)
        + f"), {again} participants heard in more than one round"
    )


def _double_coding_text(double_coded: pd.DataFrame, agreement: pd.DataFrame | None) -> str:
    """Item 13's words for double coding and the agreement figures."""
    row = double_coded.iloc[0]
    share = row["share_double_coded"]
    coders = (
        "two coders"
        if int(row["n_coders"]) == 2
        else f"two or more of the {row['n_coders']} coders"
    )
    text = (
        f"{row['n_double_coded']} of {row['n_sources']} sources "
        f"({0 if pd.isna(share) else round(100 * share)}%) were coded independently by {coders}"
    )
    if agreement is None or agreement.empty:
        return text
    pieces = []
    for level, words in (
        ("code", "on the codes"),
        ("kind", "on the realist kind (context, mechanism, outcome)"),
    ):
        overall = agreement[(agreement["level"] == level) & (agreement["item"] == "all")]
        if overall.empty:
            continue
        a = overall.iloc[0]
        pieces.append(
            f"{words}, {round(100 * a['percent_agreement'])}% agreement, Cohen's kappa "
            f"{_number(a['cohen_kappa'])}, Krippendorff's alpha {_number(a['krippendorff_alpha'])}"
        )
    unit = agreement["unit"].iloc[0]
    return (
        text
        + f"; agreement was measured by {unit}: "
        + "; ".join(pieces)
        + "; the coders' disagreements were listed for their reconciliation"
    )


def rameses_checklist(
    *,
    sources: pd.DataFrame | None = None,
    codings: pd.DataFrame | None = None,
    episodes: pd.DataFrame | None = None,
    cmocs: pd.DataFrame | None = None,
    link: pd.DataFrame | None = None,
    locations: Mapping[int, str] | None = None,
    rounds: pd.DataFrame | None = None,
    double_coded: pd.DataFrame | None = None,
    agreement: pd.DataFrame | None = None,
    refinement: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The 20 RAMESES II items, with what evalkit can say filled in and prompts for the rest.

    Parameters
    ----------
    sources, codings : DataFrame, optional
        Canonical qualitative tables (data sources, sample sizes, stakeholder groups).
    episodes : DataFrame, optional
        The episode table (monitoring sample size).
    cmocs : DataFrame, optional
        The CMOC table (programme theories, statuses).
    link : DataFrame, optional
        :func:`evalkit.realist.cmoc_outcome_link` output (methods and patterns).
    locations : mapping, optional
        Item number -> where the report addresses it, overriding :data:`DEFAULT_LOCATIONS`.
    rounds : DataFrame, optional
        :func:`evalkit.realist.fieldwork_rounds` (item 11: the rounds and re-interviews; give
        ``n_reinterviewed`` already suppressed, as text, for a published report).
    double_coded : DataFrame, optional
        :func:`evalkit.qual.double_coding` (item 13: the share double-coded).
    agreement : DataFrame, optional
        :func:`evalkit.qual.intercoder_agreement` rows, ``level`` code and/or kind (item 13: the
        ``all`` rows' agreement figures).
    refinement : DataFrame, optional
        The refinement log (item 13: over how many periods the theories were refined).

    Returns
    -------
    DataFrame
        :data:`RAMESES_COLUMNS`, one row per item. ``filled_by`` is ``evalkit`` (content written
        from the data), ``evalkit, to complete`` (facts written, judgement still needed) or
        ``evaluator`` (``content`` is a prompt; ``where_addressed`` blank until the evaluator
        says).

    Examples
    --------
    >>> import pandas as pd
    >>> sources = pd.DataFrame({"source_id": ["S1", "S2"], "type": ["interview", "focus_group"],
    ...                         "stakeholder_group": ["service_user", "frontline_staff"]})
    >>> table = rameses_checklist(sources=sources)
    >>> len(table), table.loc[table["item"] == 11, "content"].iloc[0]
    (20, 'Qualitative: 2 sources (1 focus group, 1 interview).')
    >>> table.loc[table["item"] == 6, "filled_by"].iloc[0]
    'evaluator'
    """
    where = {**DEFAULT_LOCATIONS, **(dict(locations) if locations else {})}
    auto: dict[int, tuple[str, str]] = {}
    if cmocs is not None and not cmocs.empty:
        statuses = _counts(cmocs["status"])
        auto[4] = (
            "evalkit, to complete",
            f"{cmocs['programme_theory'].nunique()} programme theories expressed as "
            f"{len(cmocs)} CMOCs (statuses: {statuses}). Describe where the initial "
            "theories came from.",
        )
    collected = []
    if sources is not None:
        collected.append(
            f"Qualitative: {len(sources)} sources ({_counts(sources['type'])})"
            if "type" in sources
            else f"Qualitative: {len(sources)} sources"
        )
    if codings is not None:
        collected.append(f"{excerpt_ids(codings).nunique():,} coded excerpts")
    if episodes is not None:
        collected.append(f"monitoring data for {len(episodes):,} referral episodes")
    if rounds is not None:
        collected.append(_rounds_text(rounds))
    if collected:
        auto[11] = ("evalkit", "; ".join(collected) + ".")
    if sources is not None and "stakeholder_group" in sources:
        by_site = f"; by site: {_counts(sources['site'])}" if "site" in sources else ""
        auto[12] = (
            "evalkit, to complete",
            f"Sources by stakeholder group: {_counts(sources['stakeholder_group'])}"
            f"{by_site}. Describe how participants were recruited and sampled, and why.",
        )
        auto[14] = (
            "evalkit, to complete",
            (
                f"{len(episodes):,} referral episodes in the monitoring data; "
                if episodes is not None
                else ""
            )
            + f"{len(sources)} qualitative sources "
            f"({_counts(sources['stakeholder_group'])}).",
        )
    if link is not None or codings is not None:
        methods = []
        if codings is not None:
            methods.append(
                "coded excerpts were tallied per CMOC and element (context, mechanism resource, "
                "mechanism reasoning, outcome) by source, site and stakeholder group to find "
                "recurring patterns"
            )
        if link is not None:
            tested = link[link["pattern"] != "not tested"]
            used = sorted({str(m) for m in tested["method"].dropna()})
            methods.append(
                f"{len(tested)} CMOCs with a measurable context and outcome were tested in the "
                "monitoring data by comparing the outcome inside the context with outside it "
                "(difference with 95% CI; " + ("; ".join(used) or "no model fitted") + "), "
                "labelled consistent, inconsistent or inconclusive (CI including 0 or too few "
                "episodes); the evaluator judged each CMOC's status"
            )
        if double_coded is not None:
            methods.append(_double_coding_text(double_coded, agreement))
        if refinement is not None and len(refinement):
            periods = sorted(refinement["period"].dropna().unique())
            methods.append(
                f"the evaluator's status for each CMOC was recorded in a refinement log over "
                f"{len(periods)} reporting period{'s' if len(periods) != 1 else ''} "
                f"({', '.join(periods)})"
                + (
                    ", with the fieldwork rounds evidencing it"
                    if "rounds" in refinement and refinement["rounds"].notna().any()
                    else ""
                )
            )
        text = "; ".join(methods)
        auto[13] = ("evalkit", text[0].upper() + text[1:] + ".")
    if link is not None:
        auto[15] = (
            "evalkit, to complete",
            f"Outcome patterns: {_counts(link['pattern'])}. Interpret them with the "
            "qualitative evidence for each CMOC.",
        )
    rows = []
    for item in RAMESES_II:
        filled_by, content = auto.get(item.number, ("evaluator", item.prompt))
        rows.append(
            {
                "item": item.number,
                "section": item.section,
                "title": item.title,
                "title_source": item.title_source,
                "filled_by": filled_by,
                "where_addressed": where.get(item.number, "") if filled_by != "evaluator" else "",
                "content": content,
            }
        )
    return pd.DataFrame(rows, columns=list(RAMESES_COLUMNS))
