"""Exemplar quotes for each CMOC: the excerpts that show most of the configuration, never twice.

:func:`evalkit.realist.exemplar_quotes` picks, scrubs and attributes quotes per CMOC element. A
report shows a few per CMOC, and the best are the excerpts where one person links the context,
the mechanism and the outcome in their own words; an excerpt coded only with an outcome code
that another CMOC shares (``O: wellbeing improved``) can be about that other CMOC.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

import pandas as pd

from evalkit.realist import DEFAULT_CLIENT_ID_PATTERN, cmoc_codes, excerpt_ids, exemplar_quotes

__all__ = ["ELEMENT_KINDS", "MAX_CANDIDATES", "NEAR_DUPLICATE", "QUOTE_COLUMNS", "cmoc_quotes"]

#: The elements of a CMOC a code can evidence (``other`` codes evidence none of them).
ELEMENT_KINDS = ("context", "mechanism_resource", "mechanism_reasoning", "outcome")

#: Most candidate excerpts considered per CMOC (in :func:`evalkit.realist.exemplar_quotes`'
#: order: spread across sites and stakeholder groups first).
MAX_CANDIDATES = 60

#: Similarity (:class:`difflib.SequenceMatcher` ratio of the lower-cased words) at or above
#: which two quotes count as the same words: "I'm 79 and I don't really do computers" and
#: "I'm 82 and I don't really do computers" say one thing, not two.
NEAR_DUPLICATE = 0.9

#: Columns of :func:`cmoc_quotes`.
QUOTE_COLUMNS = ("cmoc_id", "rank", "quote", "attribution", "elements")


def cmoc_quotes(
    cmocs: pd.DataFrame,
    codings: pd.DataFrame,
    sources: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    n: int = 3,
    sites: Sequence[str] | None = None,
    max_chars: int = 240,
    client_id_pattern: str = DEFAULT_CLIENT_ID_PATTERN,
    names: Sequence[str] = (),
) -> pd.DataFrame:
    """Up to ``n`` anonymised exemplar quotes per CMOC, showing as much of it as possible.

    Candidates are a CMOC's excerpts in the order :func:`evalkit.realist.exemplar_quotes` gives
    them (spread across sites and stakeholder groups, then sources), already scrubbed of client
    identifiers and source names and cut at ``max_chars``. Excerpts coded with more of the
    CMOC's elements (context, mechanism resource, mechanism reasoning, outcome) come first; ties
    keep that order. An excerpt is quoted only under the CMOCs it evidences most: one coded
    with the context, mechanism and outcome of CMOC4 and with an outcome code that CMOC1
    shares is CMOC4's quote, not CMOC1's. The same words are never quoted twice for one CMOC,
    whichever source they come from: quotes that differ only in case, punctuation or a few
    characters (a name, an age; :data:`NEAR_DUPLICATE`) count as one.

    Parameters
    ----------
    cmocs, codings, sources, codebook : DataFrame
        As for :func:`evalkit.realist.cmoc_evidence`.
    n : int
        Most quotes per CMOC.
    sites, max_chars, client_id_pattern, names
        As for :func:`evalkit.realist.exemplar_quotes`.

    Returns
    -------
    DataFrame
        :data:`QUOTE_COLUMNS`, CMOCs in the CMOC table's order: ``rank`` from 1,
        ``attribution`` such as ``"Service user, site B"``, ``elements`` the number of the
        CMOC's elements the excerpt is coded with.

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["c", "o"], "name": ["C: alone", "O: quit"],
    ...                      "code_path": ["C: alone", "O: quit"], "parent_id": [pd.NA, pd.NA]})
    >>> sources = pd.DataFrame({"source_id": ["s1", "s2"], "name": ["I1", "I2"],
    ...     "site": ["North", "South"], "stakeholder_group": ["service_user", "partner"]})
    >>> codings = pd.DataFrame({"coding_id": ["a", "b", "b2"], "source_id": ["s1", "s2", "s2"],
    ...     "code_id": ["o", "o", "c"], "text": ["I quit.", "Alone, she quit.", "Alone, she quit."],
    ...     "start": [0, 0, 0], "end": [7, 16, 16]})
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1"], "codes": ["C: alone; O: quit"]})
    >>> cmoc_quotes(cmocs, codings, sources, book)[["quote", "elements"]].values.tolist()
    [['Alone, she quit.', 2], ['I quit.', 1]]
    """
    if cmocs.empty or codings.empty:
        return pd.DataFrame(columns=list(QUOTE_COLUMNS))
    codings = codings.assign(selection_id=excerpt_ids(codings))
    candidates = exemplar_quotes(
        cmocs,
        codings,
        sources,
        codebook,
        per_element=min(len(codings), MAX_CANDIDATES),
        max_chars=max_chars,
        client_id_pattern=client_id_pattern,
        names=names,
        sites=sites,
    )
    candidates = candidates[candidates["element"] == "all"]
    links = cmoc_codes(cmocs, codebook)
    coded = links[links["element"].isin(ELEMENT_KINDS)].merge(
        codings[["selection_id", "code_id"]], on="code_id"
    )
    coverage = coded.groupby(["cmoc_id", "selection_id"])["element"].nunique()
    selection = dict(zip(codings["coding_id"], codings["selection_id"], strict=True))
    elements = [
        int(coverage.get((cmoc_id, selection[coding_id]), 0))
        for cmoc_id, coding_id in zip(candidates["cmoc_id"], candidates["coding_id"], strict=True)
    ]
    best = coverage.groupby(level="selection_id").max()
    elsewhere = [int(best.get(selection[coding_id], 0)) for coding_id in candidates["coding_id"]]
    position = {cmoc_id: i for i, cmoc_id in enumerate(cmocs["cmoc_id"])}
    candidates = candidates[[mine >= top for mine, top in zip(elements, elsewhere, strict=True)]]
    elements = [e for e, top in zip(elements, elsewhere, strict=True) if e >= top]
    ranked = candidates.assign(
        elements=elements,
        position=candidates["cmoc_id"].map(position),
        words=candidates["quote"].str.casefold().str.replace(r"\W+", " ", regex=True).str.strip(),
    )
    ranked = ranked.sort_values(
        ["position", "elements", "rank"], ascending=[True, False, True], kind="stable"
    )
    keep: list[int] = []
    chosen: dict[str, list[str]] = {}
    for index, cmoc_id, words in zip(ranked.index, ranked["cmoc_id"], ranked["words"], strict=True):
        taken = chosen.setdefault(cmoc_id, [])
        if len(taken) < n and not any(_near_duplicate(words, other) for other in taken):
            taken.append(words)
            keep.append(index)
    ranked = ranked.loc[keep].copy()
    ranked["rank"] = ranked.groupby("cmoc_id", sort=False).cumcount() + 1
    return ranked[list(QUOTE_COLUMNS)].reset_index(drop=True)


def _near_duplicate(a: str, b: str) -> bool:
    """Whether two normalised quotes are the same words, bar a few (a name, a number)."""
    return a == b or SequenceMatcher(None, a, b, autojunk=False).ratio() >= NEAR_DUPLICATE
