"""Qualitative coding in, canonical tables out: evalkit CSV/XLSX, REFI-QDA and Taguette.

Every importer returns a :class:`QualProject` whose ``.codebook``, ``.sources`` and ``.codings``
have the same documented columns (see :mod:`evalkit.qual.project`), so :mod:`evalkit.realist`
works the same whichever software the evaluator coded in. ``docs/qualitative.md`` explains how
to export from NVivo, ATLAS.ti, MAXQDA, QualCoder and Taguette.
"""

from evalkit.qual.code_kinds import (
    CODE_KINDS,
    DEFAULT_PARENTS,
    DEFAULT_PREFIXES,
    CodeKindRules,
    assign_code_kinds,
)
from evalkit.qual.codebook import build_codebook, lookup_codes
from evalkit.qual.positions import CONVENTIONS, ORIGIN_CONVENTIONS, resolve_positions
from evalkit.qual.project import (
    CODEBOOK_COLUMNS,
    CODINGS_COLUMNS,
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
    with_source_attributes,
)
from evalkit.qual.taguette import read_taguette, taguette_code_id

__all__ = [
    "CMOC_STATUSES",
    "CODEBOOK_COLUMNS",
    "CODE_KINDS",
    "CODINGS_COLUMNS",
    "CONVENTIONS",
    "DEFAULT_PARENTS",
    "DEFAULT_PREFIXES",
    "ORIGIN_CONVENTIONS",
    "SOURCES_COLUMNS",
    "CodeKindRules",
    "QualProject",
    "assign_code_kinds",
    "build_codebook",
    "load_qualitative",
    "lookup_codes",
    "read_cmocs",
    "read_qdc",
    "read_qdpx",
    "read_qual_tables",
    "read_taguette",
    "refi_guid",
    "resolve_positions",
    "taguette_code_id",
    "with_source_attributes",
    "write_qdc",
    "write_qdpx",
]
