"""The canonical qualitative project every importer returns: sources, codebook, codings.

Whatever produced the coding (evalkit's CSV templates, a REFI-QDA export from NVivo, ATLAS.ti,
MAXQDA or QualCoder, or a Taguette export), evalkit works on the same three tables with the
column names below, so that :mod:`evalkit.realist` never needs to know where the coding came from.

Positions (``start``, ``end``) are always Python string offsets into the source's plain text as
evalkit holds it in :attr:`QualProject.texts`: Unicode code points, byte-order mark removed, line
endings as in the file, ``end`` exclusive, so ``texts[source_id][start:end] == text``. Whatever
convention the file used is recorded in :attr:`QualProject.position_convention`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

__all__ = [
    "CODEBOOK_COLUMNS",
    "CODINGS_COLUMNS",
    "MEMO_COLUMNS",
    "PATH_SEPARATOR",
    "SETS_COLUMNS",
    "SKIPPED_COLUMNS",
    "SOURCES_COLUMNS",
    "QualProject",
    "empty_frame",
]

#: Separator between levels of a code path (``Context::lives in a deprived area``), as ATLAS.ti
#: writes flattened hierarchies.
PATH_SEPARATOR = "::"

#: Columns of :attr:`QualProject.codebook`, in order (a ``kind`` column is added by
#: :func:`evalkit.qual.assign_code_kinds` or read from evalkit's own ``codebook.csv``).
CODEBOOK_COLUMNS = ("code_id", "name", "code_path", "parent_id", "codable", "description", "color")

#: Columns of :attr:`QualProject.sources`; any further source attributes (REFI-QDA variables that
#: map to no column here) follow these.
SOURCES_COLUMNS = (
    "source_id",
    "name",
    "media",
    "type",
    "date",
    "site",
    "stakeholder_group",
    "provider",
    "cases",
)

#: Columns of :attr:`QualProject.codings`: one row per selection and code.
CODINGS_COLUMNS = (
    "coding_id",
    "source_id",
    "source_name",
    "selection_id",
    "start",
    "end",
    "text",
    "code_id",
    "code_path",
    "coder",
    "cases",
)

#: Columns of :attr:`QualProject.memos`: one row per memo (REFI-QDA ``<Note>``) and element it
#: is linked to (``target_type`` code, source, selection, coding, case, set or project; blank when
#: the memo is linked to nothing).
MEMO_COLUMNS = (
    "memo_id",
    "name",
    "author",
    "created",
    "text",
    "target_type",
    "target_id",
    "target_name",
)

#: Columns of :attr:`QualProject.sets` (REFI-QDA code sets, e.g. one per CMOC).
SETS_COLUMNS = ("set_id", "set_name", "code_id")

#: Columns of :attr:`QualProject.skipped`: coded or annotated elements that carry no text
#: excerpt (picture/audio/video/PDF-area selections, whole-source codings, annotations).
SKIPPED_COLUMNS = ("element", "guid", "source_id", "source_name", "code_id", "reason")

_INTEGER_COLUMNS = {"start", "end"}
_BOOLEAN_COLUMNS = {"codable"}


def empty_frame(columns: tuple[str, ...]) -> pd.DataFrame:
    """An empty table with the given columns and evalkit's dtypes.

    Examples
    --------
    >>> empty_frame(CODINGS_COLUMNS)["start"].dtype
    Int64Dtype()
    """
    data = {}
    for col in columns:
        if col in _INTEGER_COLUMNS:
            data[col] = pd.Series([], dtype="Int64")
        elif col in _BOOLEAN_COLUMNS:
            data[col] = pd.Series([], dtype="boolean")
        else:
            data[col] = pd.Series([], dtype="str")
    return pd.DataFrame(data)


def _conform(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Put the canonical columns first, in order, with evalkit's dtypes."""
    frame = frame.copy()
    for col in columns:
        if col not in frame.columns:
            frame[col] = pd.NA
    extra = [c for c in frame.columns if c not in columns]
    frame = frame[list(columns) + extra]
    for col in frame.columns:
        if col in _INTEGER_COLUMNS:
            frame[col] = frame[col].astype("Int64")
        elif col in _BOOLEAN_COLUMNS:
            frame[col] = frame[col].astype("boolean")
        else:
            frame[col] = frame[col].astype("str")
    return frame.reset_index(drop=True)


@dataclass
class QualProject:
    """A qualitative project in evalkit's canonical tables.

    Attributes
    ----------
    codebook : DataFrame
        One row per code: ``code_id`` (REFI GUIDs lower case without braces), ``name``,
        ``code_path`` (names from the root joined by ``::``), ``parent_id``, ``codable``,
        ``description``, ``color``.
    sources : DataFrame
        One row per source: ``source_id``, ``name``, ``media`` (text/pdf/picture/audio/video),
        ``type``, ``date``, ``site``, ``stakeholder_group``, ``provider``, ``cases`` (``;``-joined
        case names), then any other source attributes.
    codings : DataFrame
        One row per selection x code: ``coding_id``, ``source_id``, ``source_name``,
        ``selection_id``, ``start``, ``end`` (code-point offsets into :attr:`texts`, end
        exclusive), ``text`` (the excerpt), ``code_id``, ``code_path``, ``coder``, ``cases``.
    texts : dict of str to str
        Plain text of each text source, by ``source_id`` (empty when the format carries none).
    sets : DataFrame
        Code sets: ``set_id``, ``set_name``, ``code_id``.
    skipped : DataFrame
        Elements that were read but carry no text excerpt, each with its reason.
    memos : DataFrame
        The evaluators' memos (REFI-QDA notes), one row per memo and linked element
        (:data:`MEMO_COLUMNS`).
    origin : str or None
        The producing software as the file states it (``Project@origin``).
    position_convention : str or None
        How the file counted selection positions (see :mod:`evalkit.qual.positions`).
    position_evidence : str
        Why that convention was chosen.
    name : str
        Project name.
    path : Path or None
        The file or folder read.
    cmocs : DataFrame or None
        The CMOC table when it was read alongside (see :func:`evalkit.qual.load_qualitative`).
    """

    codebook: pd.DataFrame
    sources: pd.DataFrame = field(default_factory=lambda: empty_frame(SOURCES_COLUMNS))
    codings: pd.DataFrame = field(default_factory=lambda: empty_frame(CODINGS_COLUMNS))
    texts: dict[str, str] = field(default_factory=dict)
    sets: pd.DataFrame = field(default_factory=lambda: empty_frame(SETS_COLUMNS))
    skipped: pd.DataFrame = field(default_factory=lambda: empty_frame(SKIPPED_COLUMNS))
    memos: pd.DataFrame = field(default_factory=lambda: empty_frame(MEMO_COLUMNS))
    origin: str | None = None
    position_convention: str | None = None
    position_evidence: str = ""
    name: str = "evalkit project"
    path: Path | None = None
    cmocs: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        self.codebook = _conform(self.codebook, CODEBOOK_COLUMNS)
        self.sources = _conform(self.sources, SOURCES_COLUMNS)
        self.codings = _conform(self.codings, CODINGS_COLUMNS)
        self.sets = _conform(self.sets, SETS_COLUMNS)
        self.skipped = _conform(self.skipped, SKIPPED_COLUMNS)
        self.memos = _conform(self.memos, MEMO_COLUMNS)

    def summary(self) -> pd.DataFrame:
        """Counts of what was read, one row per item, for a data-quality page.

        Examples
        --------
        >>> import pandas as pd
        >>> book = pd.DataFrame({"code_id": ["c1"], "name": ["C: trust"], "code_path": ["C: trust"],
        ...                      "parent_id": [pd.NA], "codable": [True]})
        >>> QualProject(book).summary().set_index("item")["count"].to_dict()["codes"]
        1
        """
        rows = [
            ("codes", len(self.codebook)),
            ("sources", len(self.sources)),
            ("selections", self.codings["selection_id"].nunique()),
            ("codings (selection x code)", len(self.codings)),
            ("coders", self.codings["coder"].nunique()),
            ("memos", self.memos["memo_id"].nunique()),
            ("skipped elements (no text excerpt)", len(self.skipped)),
        ]
        return pd.DataFrame(rows, columns=["item", "count"])
