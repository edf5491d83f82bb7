"""Reading Taguette exports: highlights (CSV/XLSX) and codebooks (CSV/XLSX or QDC).

Taguette 1.5 exports highlights as ``id,document,tag,content`` with one row per highlight and tag
(a highlight with two tags is two rows with the same ``id``); the content is plain text with line
breaks collapsed to spaces, and there are no positions, coders or document ids. Its codebook CSV
is ``tag,description,number of highlights,number of documents``; its codebook QDC gives each tag
the GUID ``uuid5(51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2, tag)`` (reference/qualitative.md §3), which
evalkit reuses as ``code_id`` so that a highlights file and a QDC codebook agree. Taguette tags have
no hierarchy; a ``::`` in a tag name is read as one, as for ATLAS.ti.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pandas as pd

from evalkit.errors import QualImportError
from evalkit.qual.codebook import build_codebook
from evalkit.qual.project import QualProject
from evalkit.qual.refiqda import read_qdc

__all__ = ["TAGUETTE_GUID_NAMESPACE", "read_taguette", "taguette_code_id"]

#: The namespace Taguette derives its tag GUIDs from (``taguette/export.py``).
TAGUETTE_GUID_NAMESPACE = uuid.UUID("51B2B2B7-27EB-4ECB-9D56-E75B0A0496C2")
_HIGHLIGHT_COLUMNS = ("id", "document", "tag", "content")


def taguette_code_id(tag: str) -> str:
    """The GUID Taguette gives a tag in its QDC export, in evalkit's form (lower case).

    Examples
    --------
    >>> taguette_code_id("interesting")
    '0d62985d-b147-5d01-a9b5-cae5dcd98342'
    """
    return str(uuid.uuid5(TAGUETTE_GUID_NAMESPACE, tag))


def _read_table(path: Path, required: tuple[str, ...], what: str) -> pd.DataFrame:
    if not path.is_file():
        raise QualImportError(f"{path}: Taguette {what} file not found.")
    try:
        if path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise QualImportError(f"{path}: cannot read the Taguette {what} file: {exc}.") from exc
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise QualImportError(
            f"{path}: a Taguette {what} export needs the column(s) {', '.join(missing)}; found "
            f"{', '.join(frame.columns) or 'none'}."
        )
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")  # spreadsheet rows
    return frame


def _codebook_from_tags(tags: pd.Series, descriptions: pd.Series | None, where: str):
    codes = pd.DataFrame(
        {
            "code_id": [taguette_code_id(t) for t in tags],
            "name": list(tags),
            "parent_id": pd.NA,
            "codable": True,
            "description": list(descriptions) if descriptions is not None else pd.NA,
        }
    )
    codes["description"] = codes["description"].replace("", pd.NA)
    return build_codebook(codes, where=where, folder_id=taguette_code_id)


def read_taguette(
    highlights: str | Path,
    *,
    codebook: str | Path | None = None,
    coder: str | None = None,
) -> QualProject:
    """Read a Taguette highlights export, optionally with its codebook export.

    Parameters
    ----------
    highlights : str or Path
        The highlights export (``.csv`` or ``.xlsx``, columns ``id,document,tag,content``).
    codebook : str or Path, optional
        Taguette's codebook export: ``.csv``/``.xlsx`` (column ``tag``, optional
        ``description``) or ``.qdc``. Every highlight's tag must be in it. Without it the
        codebook is the set of tags used.
    coder : str, optional
        Who made the highlights (Taguette does not export it): with one export per coder,
        name each, or combine them with :func:`evalkit.qual.combine_coders`.

    Returns
    -------
    QualProject
        ``.sources`` one row per document (``source_id`` derived from the document name),
        ``.codings`` one row per highlight and tag (``selection_id`` is the highlight id;
        ``start``/``end`` are missing because Taguette does not export them; ``coder`` is
        ``coder``),
        ``.codebook``. Highlights without a tag are listed in ``.skipped``.

    Raises
    ------
    QualImportError
        Missing columns or file, a highlight tag absent from the given codebook.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "all_tags.csv"
    >>> _ = p.write_bytes(b"id,document,tag,content\\r\\n3,Interview 1,M: trust,they listen\\r\\n")
    >>> read_taguette(p).codings[["source_name", "code_path", "text"]].values.tolist()
    [['Interview 1', 'M: trust', 'they listen']]
    """
    path = Path(highlights)
    rows = _read_table(path, _HIGHLIGHT_COLUMNS, "highlights")
    untagged = rows[rows["tag"].str.strip() == ""]
    tagged = rows[rows["tag"].str.strip() != ""]

    if codebook is None:
        tags = pd.Series(pd.unique(tagged["tag"]), dtype="str")
        book = _codebook_from_tags(tags, None, str(path))
    else:
        cb_path = Path(codebook)
        if cb_path.suffix.lower() == ".qdc":
            book = read_qdc(cb_path).codebook
        else:
            cb = _read_table(cb_path, ("tag",), "codebook")
            book = _codebook_from_tags(cb["tag"], cb.get("description"), str(cb_path))
    paths = dict(zip(book["code_id"], book["code_path"], strict=True))
    tag_ids = tagged["tag"].map(taguette_code_id)
    unknown = tagged[~tag_ids.isin(set(paths))]
    if not unknown.empty:
        raise QualImportError(
            f"{path}: row {unknown.index[0]} (highlight {unknown['id'].iloc[0]}) has tag "
            f"{unknown['tag'].iloc[0]!r}, which is not in the codebook {codebook}."
        )

    documents = pd.unique(rows["document"])
    source_ids = {d: str(uuid.uuid5(TAGUETTE_GUID_NAMESPACE, f"document:{d}")) for d in documents}
    sources = pd.DataFrame(
        {"source_id": [source_ids[d] for d in documents], "name": list(documents), "media": "text"}
    )
    codings = pd.DataFrame(
        {
            "coding_id": [
                str(uuid.uuid5(TAGUETTE_GUID_NAMESPACE, f"highlight:{h}:{t}"))
                for h, t in zip(tagged["id"], tagged["tag"], strict=True)
            ],
            "source_id": tagged["document"].map(source_ids).to_numpy(),
            "source_name": tagged["document"].to_numpy(),
            "selection_id": tagged["id"].to_numpy(),
            "start": pd.NA,
            "end": pd.NA,
            "text": tagged["content"].to_numpy(),
            "code_id": tag_ids.to_numpy(),
            "code_path": tag_ids.map(paths).to_numpy(),
            "coder": coder if coder else pd.NA,
        }
    )
    skipped = pd.DataFrame(
        {
            "element": "highlight",
            "guid": untagged["id"].to_numpy(),
            "source_id": untagged["document"].map(source_ids).to_numpy(),
            "source_name": untagged["document"].to_numpy(),
            "code_id": pd.NA,
            "reason": "highlight without a tag",
        }
    )
    return QualProject(
        codebook=book,
        sources=sources,
        codings=codings,
        skipped=skipped,
        origin="Taguette",
        position_convention=None,
        position_evidence="Taguette highlight exports carry no positions",
        name=path.stem,
        path=path,
    )
