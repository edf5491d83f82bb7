"""Realist synthesis: CMOC evidence, the quantitative link, programme theories and RAMESES II.

* :mod:`evalkit.realist.evidence` — :func:`cmoc_evidence` (tallies and anonymised quotes per CMOC
  element), :func:`cmoc_site_matrix` (where each CMOC recurs);
* :mod:`evalkit.realist.link` — :func:`cmoc_outcome_link` (outcome inside vs outside a CMOC's
  context, labelled consistent / inconsistent / inconclusive beside the evaluator's status);
* :mod:`evalkit.realist.theory` — the programme-theory table and the refinement log;
* :mod:`evalkit.realist.rounds` — fieldwork rounds, re-interviews and evidence by round;
* :mod:`evalkit.realist.memos` — the evaluator's memos on each CMOC;
* :mod:`evalkit.realist.rameses` — the RAMESES II reporting checklist;
* :mod:`evalkit.realist.quotes` — anonymised attribution and quote scrubbing.
"""

from evalkit.realist.evidence import (
    ELEMENTS,
    EVIDENCE_COLUMNS,
    QUOTE_COLUMNS,
    cmoc_codes,
    cmoc_evidence,
    cmoc_site_matrix,
    excerpt_ids,
    exemplar_quotes,
)
from evalkit.realist.link import (
    LINK_COLUMNS,
    PATTERNS,
    SUGGESTED_STATUS,
    baseline_for,
    cmoc_outcome_link,
    label_pattern,
)
from evalkit.realist.memos import CMOC_MEMO_COLUMNS, cmoc_memos
from evalkit.realist.quotes import (
    DEFAULT_CLIENT_ID_PATTERN,
    STAKEHOLDER_LABELS,
    attribution_label,
    scrub_quote,
    site_letters,
)
from evalkit.realist.rameses import RAMESES_COLUMNS, RAMESES_II, RamesesItem, rameses_checklist
from evalkit.realist.rounds import (
    NO_ROUND,
    ROUND_COLUMNS,
    ROUND_EVIDENCE_COLUMNS,
    cmoc_evidence_by_round,
    cmoc_rounds,
    fieldwork_rounds,
    reinterviews,
    round_label,
)
from evalkit.realist.theory import (
    REFINEMENT_LOG_COLUMNS,
    THEORY_COLUMNS,
    programme_theory_table,
    read_refinement_log,
    record_period,
    status_history,
    write_refinement_log,
)

__all__ = [
    "CMOC_MEMO_COLUMNS",
    "DEFAULT_CLIENT_ID_PATTERN",
    "ELEMENTS",
    "EVIDENCE_COLUMNS",
    "LINK_COLUMNS",
    "NO_ROUND",
    "PATTERNS",
    "QUOTE_COLUMNS",
    "RAMESES_COLUMNS",
    "RAMESES_II",
    "REFINEMENT_LOG_COLUMNS",
    "ROUND_COLUMNS",
    "ROUND_EVIDENCE_COLUMNS",
    "STAKEHOLDER_LABELS",
    "SUGGESTED_STATUS",
    "THEORY_COLUMNS",
    "RamesesItem",
    "attribution_label",
    "baseline_for",
    "cmoc_codes",
    "cmoc_evidence",
    "cmoc_evidence_by_round",
    "cmoc_memos",
    "cmoc_outcome_link",
    "cmoc_rounds",
    "cmoc_site_matrix",
    "excerpt_ids",
    "exemplar_quotes",
    "fieldwork_rounds",
    "label_pattern",
    "programme_theory_table",
    "rameses_checklist",
    "read_refinement_log",
    "record_period",
    "reinterviews",
    "round_label",
    "scrub_quote",
    "site_letters",
    "status_history",
    "write_refinement_log",
]
