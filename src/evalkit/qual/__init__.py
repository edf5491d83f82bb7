"""Qualitative coding in, canonical tables out: evalkit CSV/XLSX, REFI-QDA and Taguette.

Every importer returns a :class:`QualProject` whose ``.codebook``, ``.sources`` and ``.codings``
have the same documented columns (see :mod:`evalkit.qual.project`), so :mod:`evalkit.realist`
works the same whichever software the evaluator coded in. ``docs/qualitative.md`` explains how
to export from NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette.

Several coders' work on the same sources is combined by :mod:`evalkit.qual.coders` (each
source's lead coder is its evidence) and compared by :mod:`evalkit.qual.agreement` (percent
agreement, Cohen's kappa and Krippendorff's alpha per code, per realist kind and overall).
"""

from evalkit.qual.agreement import (
    AGREEMENT_COLUMNS,
    DISAGREEMENT_COLUMNS,
    DOUBLE_CODING_COLUMNS,
    REALIST_KINDS,
    UNITS,
    coder_ratings,
    disagreements,
    double_coding,
    intercoder_agreement,
    reliability,
    text_units,
)
from evalkit.qual.code_kinds import (
    CODE_KINDS,
    DEFAULT_PARENTS,
    DEFAULT_PREFIXES,
    CodeKindRules,
    assign_code_kinds,
)
from evalkit.qual.codebook import build_codebook, lookup_codes
from evalkit.qual.coders import coder_order, combine_coders, lead_codings
from evalkit.qual.positions import CONVENTIONS, ORIGIN_CONVENTIONS, resolve_positions
from evalkit.qual.project import (
    CODEBOOK_COLUMNS,
    CODINGS_COLUMNS,
    MEMO_COLUMNS,
    SOURCES_COLUMNS,
    QualProject,
)
from evalkit.qual.refiqda import read_qdc, read_qdpx, refi_guid
from evalkit.qual.refiqda_export import write_qdc, write_qdpx
from evalkit.qual.tables import (
    CMOC_STATUSES,
    load_qualitative,
    read_cmocs,
    read_qual_tables,
    read_source_texts,
    with_source_attributes,
)
from evalkit.qual.taguette import read_taguette, taguette_code_id

__all__ = [
    "AGREEMENT_COLUMNS",
    "CMOC_STATUSES",
    "CODEBOOK_COLUMNS",
    "CODE_KINDS",
    "CODINGS_COLUMNS",
    "CONVENTIONS",
    "DEFAULT_PARENTS",
    "DEFAULT_PREFIXES",
    "DISAGREEMENT_COLUMNS",
    "DOUBLE_CODING_COLUMNS",
    "MEMO_COLUMNS",
    "ORIGIN_CONVENTIONS",
    "REALIST_KINDS",
    "SOURCES_COLUMNS",
    "UNITS",
    "CodeKindRules",
    "QualProject",
    "assign_code_kinds",
    "build_codebook",
    "coder_order",
    "coder_ratings",
    "combine_coders",
    "disagreements",
    "double_coding",
    "intercoder_agreement",
    "lead_codings",
    "load_qualitative",
    "lookup_codes",
    "read_cmocs",
    "read_qdc",
    "read_qdpx",
    "read_qual_tables",
    "read_source_texts",
    "read_taguette",
    "refi_guid",
    "reliability",
    "resolve_positions",
    "taguette_code_id",
    "text_units",
    "with_source_attributes",
    "write_qdc",
    "write_qdpx",
]
