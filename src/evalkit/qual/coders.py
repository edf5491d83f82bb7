"""Several coders' codings of the same sources: combining exports, and whose coding is evidence.

Coders' work reaches evalkit in three ways, all ending in one ``codings`` table with a ``coder``
column:

* one REFI-QDA project coded by a team: each coding's ``creatingUser`` is resolved to the
  project's ``<User name>`` (:func:`evalkit.qual.read_qdpx`);
* evalkit's own ``codings.csv`` with a ``coder`` column;
* one export per coder (a Taguette export per coder, or each coder's own ``.qdpx``), combined by
  :func:`combine_coders`.

Double coding exists to check the coding, not to count the evidence twice: the CMOC evidence of
each source comes from one coder, its **lead coder** (:func:`lead_codings`), while
:mod:`evalkit.qual.agreement` compares all of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from evalkit.errors import QualImportError
from evalkit.qual.project import QualProject

__all__ = ["coder_order", "combine_coders", "lead_codings"]


def _has_coder(values: pd.Series) -> pd.Series:
    return values.notna() & (values.astype(str).str.strip() != "") & (values.astype(str) != "nan")


def combine_coders(projects: Mapping[str, QualProject]) -> QualProject:
    """One project from each coder's export of the same sources.

    Parameters
    ----------
    projects : mapping of str to QualProject
        Coder name -> that coder's project. The name fills ``coder`` where the export names no
        coder (Taguette never does); codings that name their coder keep it.

    Returns
    -------
    QualProject
        The first project's sources, codebook, texts and attributes, with every coder's
        codings. Sources are matched by ``source_id``, else by ``name``; codes by ``code_id``,
        else by ``code_path``; codes only a later coder used are added to the codebook.

    Raises
    ------
    QualImportError
        A source or code of a later coder that matches none of the first project's and cannot
        be added (a source), or a source whose text differs between exports (the positions
        would not be comparable).

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["k"], "name": ["O: quit"], "parent_id": [pd.NA]})
    >>> sources = pd.DataFrame({"source_id": ["S1"], "name": ["Interview 1"]})
    >>> ann = QualProject(book, sources, pd.DataFrame({"coding_id": ["a"], "source_id": ["S1"],
    ...     "selection_id": ["a"], "code_id": ["k"], "text": ["I quit"]}))
    >>> ben = QualProject(book, sources.assign(source_id="X9"), pd.DataFrame({
    ...     "coding_id": ["a"], "source_id": ["X9"], "selection_id": ["a"], "code_id": ["k"],
    ...     "text": ["I quit"]}))
    >>> both = combine_coders({"ann": ann, "ben": ben})
    >>> both.codings[["coding_id", "source_id", "coder"]].values.tolist()
    [['a', 'S1', 'ann'], ['ben:a', 'S1', 'ben']]
    """
    if not projects:
        raise QualImportError("combine_coders: give at least one coder's project.")
    items = list(projects.items())
    first_name, first = items[0]
    sources, codebook = first.sources, first.codebook.copy()
    by_name = dict(zip(sources["name"], sources["source_id"], strict=True))
    source_ids = set(sources["source_id"])
    by_path = dict(zip(codebook["code_path"], codebook["code_id"], strict=True))
    pieces = []
    for number, (coder, project) in enumerate(items):
        codings = project.codings.copy()
        where = f"coder {coder!r} ({project.path or project.name})"
        if number:
            source_map = {}
            for sid, name in zip(
                project.sources["source_id"], project.sources["name"], strict=True
            ):
                target = sid if sid in source_ids else by_name.get(name)
                if target is None:
                    raise QualImportError(
                        f"{where}: source {name!r} is not among the sources of coder "
                        f"{first_name!r}; double coding compares the same sources."
                    )
                mine, theirs = project.texts.get(sid), first.texts.get(target)
                if mine is not None and theirs is not None and mine != theirs:
                    raise QualImportError(
                        f"{where}: the text of source {name!r} differs from coder "
                        f"{first_name!r}'s, so their positions cannot be compared; export both "
                        "from the same transcripts."
                    )
                source_map[sid] = target
            code_map = {}
            for row in project.codebook.itertuples(index=False):
                if row.code_id in set(codebook["code_id"]):
                    code_map[row.code_id] = row.code_id
                elif row.code_path in by_path:
                    code_map[row.code_id] = by_path[row.code_path]
                else:
                    codebook = pd.concat([codebook, pd.DataFrame([row._asdict()])])
                    by_path[row.code_path] = row.code_id
                    code_map[row.code_id] = row.code_id
            codings["source_id"] = codings["source_id"].map(source_map)
            codings["source_name"] = codings["source_id"].map(
                dict(zip(sources["source_id"], sources["name"], strict=True))
            )
            codings["code_id"] = codings["code_id"].map(code_map)
            for column in ("coding_id", "selection_id"):
                codings[column] = f"{coder}:" + codings[column].astype(str)
        codings["coder"] = codings["coder"].where(_has_coder(codings["coder"]), coder)
        pieces.append(codings)
    return QualProject(
        codebook=codebook.reset_index(drop=True),
        sources=sources,
        codings=pd.concat(pieces, ignore_index=True),
        texts=first.texts,
        sets=first.sets,
        skipped=first.skipped,
        origin=first.origin,
        position_convention=first.position_convention,
        position_evidence=first.position_evidence,
        name=first.name,
        path=first.path,
        cmocs=first.cmocs,
        memos=first.memos,
    )


def coder_order(codings: pd.DataFrame, lead_coders: Sequence[str] = ()) -> list[str]:
    """Coders in order of precedence: ``lead_coders`` first, then by sources coded, then name.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"source_id": ["S1", "S2", "S1"], "coder": ["ann", "ann", "ben"]})
    >>> coder_order(codings), coder_order(codings, ["ben"])
    (['ann', 'ben'], ['ben', 'ann'])
    """
    named = codings[_has_coder(codings["coder"])]
    counts = named.groupby(named["coder"].astype(str))["source_id"].nunique()
    rest = sorted(counts.index, key=lambda c: (-counts[c], c))
    lead = [c for c in lead_coders if c in counts.index]
    return lead + [c for c in rest if c not in lead]


def lead_codings(codings: pd.DataFrame, lead_coders: Sequence[str] = ()) -> pd.DataFrame:
    """Each source's codings by one coder, its lead coder: the evidence the synthesis uses.

    The lead coder of a source is the first of :func:`coder_order` who coded it: list a
    reconciled (consensus) coding's coder name first in ``lead_coders`` to use it. Codings
    without a coder are kept; a source coded by one coder keeps all its codings.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"source_id": ["S1", "S1", "S2"], "code_id": ["k", "j", "k"],
    ...                         "coder": ["ann", "ben", "ben"]})
    >>> lead_codings(codings)[["source_id", "coder"]].values.tolist()
    [['S1', 'ben'], ['S2', 'ben']]
    >>> lead_codings(codings, ["ann"])[["source_id", "coder"]].values.tolist()
    [['S1', 'ann'], ['S2', 'ben']]
    """
    if "coder" not in codings.columns or codings.empty:
        return codings
    rank = {c: i for i, c in enumerate(coder_order(codings, lead_coders))}
    named = _has_coder(codings["coder"])
    ranks = codings["coder"].astype(str).map(rank).where(named)
    best = ranks.groupby(codings["source_id"]).transform("min")
    keep = ~named | (ranks == best)
    return codings[keep].reset_index(drop=True)
