"""The realist synthesis page: evidence in scope, each CMOC side by side with its numbers, history.

:mod:`evalkit.realist` computes the evidence tallies, the quantitative link and the RAMESES II
checklist; this package prepares them for the report page commissioners read
(``notebooks/04_realist_synthesis.ipynb``):

* :mod:`evalkit.pages.realist_synthesis.scope` — :func:`qualitative_in_scope` (sources dated up to
  the end of
  the report period, and for a site's report that site's and the whole service's) and
  :func:`sources_by_group`;
* :mod:`evalkit.pages.realist_synthesis.figures` — :func:`synthesis_key_figures`, the page's
  headline counts;
* :mod:`evalkit.pages.realist_synthesis.quotes` — :func:`cmoc_quotes`, exemplar quotes that show
  most of a
  configuration, never the same words twice;
* :mod:`evalkit.pages.realist_synthesis.comparison` — :func:`cmoc_comparison`, the qualitative
  evidence and the
  quantitative pattern on one row per CMOC, small numbers withheld, the pattern in words;
* :mod:`evalkit.pages.realist_synthesis.cards` — :func:`cmoc_card_html`, one CMOC laid out for the
  page;
* :mod:`evalkit.pages.realist_synthesis.history` — :func:`refinement_log_for_report`;
* :mod:`evalkit.pages.realist_synthesis.rameses` — :func:`rameses_for_report`,
  :func:`link_for_checklist`;
* :mod:`evalkit.pages.realist_synthesis.rigour` — double coding and agreement, fieldwork rounds
  and evidence by round in a report's words, and :func:`write_evaluator_only` (the disagreement
  list, re-interviews and memos, for the evaluation team only);
* :mod:`evalkit.pages.realist_synthesis.sections` — the page's sections, display-ready, in the
  order the page reads (:func:`realist_analysis` computes what they share once), re-exported
  here so that the notebook reads ``page.in_brief(ev, analysis)`` and so on.

evalkit never changes the evaluator's status: everything here shows it beside evalkit's
suggestion.
"""

from evalkit.pages.realist_synthesis.cards import cmoc_card_html, plural
from evalkit.pages.realist_synthesis.comparison import (
    COMPARISON_COLUMNS,
    OUTCOME_WORDING,
    PATTERN_TEXT,
    OutcomeWording,
    cmoc_comparison,
    difference_text,
    outcome_wording,
    pattern_explanation,
)
from evalkit.pages.realist_synthesis.figures import (
    KEY_FIGURE_COLUMNS,
    SYNTHESIS_KEY_FIGURES,
    KeyFigure,
    synthesis_key_figures,
)
from evalkit.pages.realist_synthesis.history import refinement_log_for_report
from evalkit.pages.realist_synthesis.quotes import (
    ELEMENT_KINDS,
    MAX_CANDIDATES,
    QUOTE_COLUMNS,
    cmoc_quotes,
)
from evalkit.pages.realist_synthesis.rameses import (
    FILLED_BY_TEXT,
    METHOD_IN_WORDS,
    REPORT_LOCATIONS,
    UNCHECKED_TITLE_NOTE,
    link_for_checklist,
    rameses_for_report,
)
from evalkit.pages.realist_synthesis.rigour import (
    EVALUATOR_ONLY_FILES,
    EVALUATOR_ONLY_FOLDER,
    agreement_sentence,
    agreement_table,
    evidence_by_round_table,
    rounds_for_checklist,
    rounds_table,
    write_evaluator_only,
)
from evalkit.pages.realist_synthesis.scope import (
    SOURCE_COLUMNS,
    QualitativeScope,
    period_end,
    qualitative_in_scope,
    sources_by_group,
    stakeholder_label,
)
from evalkit.pages.realist_synthesis.sections import (
    REFINEMENT_LOG_FILE,
    RealistAnalysis,
    cmoc_cards,
    comparison_rules,
    double_coding_and_agreement,
    evaluator_only_outputs,
    evidence_and_patterns,
    evidence_by_round,
    evidence_in_scope,
    how_the_theories_changed,
    in_brief,
    missing_cmocs,
    outcome_patterns,
    programme_theories,
    qualitative_sources,
    rameses_ii,
    realist_analysis,
    rounds_of_fieldwork,
    where_configurations_recur,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "ELEMENT_KINDS",
    "EVALUATOR_ONLY_FILES",
    "EVALUATOR_ONLY_FOLDER",
    "FILLED_BY_TEXT",
    "KEY_FIGURE_COLUMNS",
    "MAX_CANDIDATES",
    "METHOD_IN_WORDS",
    "OUTCOME_WORDING",
    "PATTERN_TEXT",
    "QUOTE_COLUMNS",
    "REFINEMENT_LOG_FILE",
    "REPORT_LOCATIONS",
    "SOURCE_COLUMNS",
    "SYNTHESIS_KEY_FIGURES",
    "UNCHECKED_TITLE_NOTE",
    "KeyFigure",
    "OutcomeWording",
    "QualitativeScope",
    "RealistAnalysis",
    "agreement_sentence",
    "agreement_table",
    "cmoc_card_html",
    "cmoc_cards",
    "cmoc_comparison",
    "cmoc_quotes",
    "comparison_rules",
    "difference_text",
    "double_coding_and_agreement",
    "evaluator_only_outputs",
    "evidence_and_patterns",
    "evidence_by_round",
    "evidence_by_round_table",
    "evidence_in_scope",
    "how_the_theories_changed",
    "in_brief",
    "link_for_checklist",
    "missing_cmocs",
    "outcome_patterns",
    "outcome_wording",
    "pattern_explanation",
    "period_end",
    "plural",
    "programme_theories",
    "qualitative_in_scope",
    "qualitative_sources",
    "rameses_for_report",
    "rameses_ii",
    "realist_analysis",
    "refinement_log_for_report",
    "rounds_for_checklist",
    "rounds_of_fieldwork",
    "rounds_table",
    "sources_by_group",
    "stakeholder_label",
    "synthesis_key_figures",
    "where_configurations_recur",
    "write_evaluator_only",
]
