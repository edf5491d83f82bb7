"""Qualitative evidence for each CMOC: tallies, exemplar quotes and where it recurs (by site).

A CMOC names the codes that evidence it (``cmocs.codes``, ``;``-separated names or ``::`` paths);
each code's ``kind`` says which element it evidences (context, mechanism resource, mechanism
reasoning, outcome; see :mod:`evalkit.qual.code_kinds`). The tallies count distinct excerpts
(selections), sources, sites and stakeholder groups, because a realist argument rests on a pattern
recurring across people and places (a demi-regularity), not on how often one person said it.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from evalkit.errors import QualImportError
from evalkit.qual.code_kinds import CODE_KINDS, assign_code_kinds
from evalkit.qual.codebook import build_codebook, lookup_codes
from evalkit.realist.quotes import (
    DEFAULT_CLIENT_ID_PATTERN,
    attribution_label,
    scrub_quote,
    site_letters,
)

__all__ = [
    "ELEMENTS",
    "EVIDENCE_COLUMNS",
    "QUOTE_COLUMNS",
    "cmoc_codes",
    "cmoc_evidence",
    "cmoc_site_matrix",
    "excerpt_ids",
    "exemplar_quotes",
]

#: The realist elements in report order, then "all" (any element).
ELEMENTS = ("context", "mechanism_resource", "mechanism_reasoning", "outcome", "other", "all")

#: Columns of :func:`cmoc_evidence`.
EVIDENCE_COLUMNS = (
    "cmoc_id",
    "programme_theory",
    "element",
    "codes",
    "n_excerpts",
    "n_sources",
    "n_sites",
    "n_stakeholder_groups",
    "quote_1",
    "quote_2",
    "quote_3",
)

#: Columns of :func:`exemplar_quotes`.
QUOTE_COLUMNS = ("cmoc_id", "element", "rank", "quote", "attribution", "coding_id")

_NO_SITE = "whole service"


def cmoc_codes(cmocs: pd.DataFrame, codebook: pd.DataFrame) -> pd.DataFrame:
    """One row per CMOC and code it names: ``cmoc_id``, ``code_id``, ``code_path``, ``element``.

    The element is the code's ``kind``; a codebook without kinds gets evalkit's default rules.

    Raises
    ------
    QualImportError
        A CMOC naming a code that is not in the codebook (or a name shared by several codes).

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["k1"], "name": ["O: quit"], "code_path": ["O: quit"],
    ...                      "parent_id": [pd.NA]})
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1"], "codes": ["o: quit"]})
    >>> cmoc_codes(cmocs, book)[["cmoc_id", "code_id", "element"]].values.tolist()
    [['CMOC1', 'k1', 'outcome']]
    """
    book = codebook
    if "code_path" not in book.columns:  # evalkit's codebook.csv carries parents, not paths
        book = build_codebook(book, where="codebook")
    if "kind" not in book.columns:
        book = assign_code_kinds(book)
    kinds = dict(zip(book["code_id"], book["kind"], strict=True))
    paths = dict(zip(book["code_id"], book["code_path"], strict=True))
    rows = []
    for cmoc_id, codes in zip(cmocs["cmoc_id"], cmocs["codes"], strict=True):
        names = (
            [c.strip() for c in str(codes).split(";") if c.strip()] if not pd.isna(codes) else []
        )
        for code_id in dict.fromkeys(lookup_codes(book, names, where=f"CMOC {cmoc_id} codes")):
            rows.append(
                {
                    "cmoc_id": cmoc_id,
                    "code_id": code_id,
                    "code_path": paths[code_id],
                    "element": kinds[code_id] if kinds[code_id] in CODE_KINDS else "other",
                }
            )
    return pd.DataFrame(rows, columns=["cmoc_id", "code_id", "code_path", "element"])


def excerpt_ids(codings: pd.DataFrame) -> pd.Series:
    """Which codings share one excerpt: ``selection_id`` where given, else the source span.

    Codings of the same span of the same source (``source_id``, ``start``, ``end``) are one
    excerpt coded several times; a coding without positions is an excerpt of its own.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"coding_id": ["a", "b", "c"], "source_id": ["s", "s", "s"],
    ...                         "start": [0, 0, pd.NA], "end": [9, 9, pd.NA]})
    >>> excerpt_ids(codings).tolist()
    ['s:0:9', 's:0:9', 'c']
    """
    if "selection_id" in codings.columns and codings["selection_id"].notna().all():
        return codings["selection_id"]
    ids = codings["coding_id"].astype(str)
    if {"start", "end"} <= set(codings.columns):
        placed = codings["start"].notna() & codings["end"].notna()
        span = (
            codings["source_id"].astype(str)
            + ":"
            + codings["start"].astype("Int64").astype(str)
            + ":"
            + codings["end"].astype("Int64").astype(str)
        )
        ids = ids.where(~placed, span)
    if "selection_id" in codings.columns:
        ids = codings["selection_id"].fillna(ids)
    return ids


def _evidence_rows(cmocs, codings, sources, codebook) -> pd.DataFrame:
    """Codings joined to their CMOC element and their source's site and stakeholder group."""
    links = cmoc_codes(cmocs, codebook)
    known = set(sources["source_id"])
    unknown = codings[~codings["source_id"].isin(known)]
    if not unknown.empty:
        raise QualImportError(
            f"coding {unknown['coding_id'].iloc[0]!r} is from source "
            f"{unknown['source_id'].iloc[0]!r}, which is not in the sources table."
        )
    attrs = sources.set_index("source_id")
    codings = codings.assign(selection_id=excerpt_ids(codings))
    if "start" not in codings.columns:
        codings["start"] = pd.NA
    rows = links.merge(
        codings[["coding_id", "selection_id", "source_id", "code_id", "text", "start"]],
        on="code_id",
    )
    rows["site"] = rows["source_id"].map(attrs["site"]) if "site" in attrs else pd.NA
    rows["stakeholder_group"] = (
        rows["source_id"].map(attrs["stakeholder_group"]) if "stakeholder_group" in attrs else pd.NA
    )
    return rows.sort_values(
        ["cmoc_id", "source_id", "start", "coding_id"], kind="stable", na_position="first"
    )


def _pick(group: pd.DataFrame, n: int, max_chars: int) -> pd.DataFrame:
    """Up to n excerpts, spreading over (site, stakeholder group) pairs, then over sources."""
    candidates = group.drop_duplicates("selection_id").copy()
    candidates["too_long"] = candidates["text"].str.len() > max_chars
    candidates = candidates.sort_values("too_long", kind="stable")
    chosen: list[int] = []
    seen_pairs: set = set()
    seen_sources: set = set()
    for test in ("pair", "source", "any"):
        for index, row in candidates.iterrows():
            if len(chosen) >= n or index in chosen:
                continue
            pair = (row["site"], row["stakeholder_group"])
            if test == "pair" and pair in seen_pairs:
                continue
            if test == "source" and row["source_id"] in seen_sources:
                continue
            chosen.append(index)
            seen_pairs.add(pair)
            seen_sources.add(row["source_id"])
    return candidates.loc[chosen]


def exemplar_quotes(
    cmocs: pd.DataFrame,
    codings: pd.DataFrame,
    sources: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    per_element: int = 3,
    max_chars: int = 240,
    client_id_pattern: str = DEFAULT_CLIENT_ID_PATTERN,
    names: Sequence[str] = (),
    sites: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Up to ``per_element`` anonymised quotes per CMOC and element (and for "all" elements).

    Quotes are chosen to spread across sites and stakeholder groups, then sources; each is
    scrubbed (client ids, every source's name, ``names``) and capped at ``max_chars``.

    Parameters
    ----------
    sites : sequence of str, optional
        Site order for the letters (A, B, ...); default: sorted site names.

    Returns
    -------
    DataFrame
        Columns :data:`QUOTE_COLUMNS`; ``attribution`` is e.g. ``"Service user, site B"``.

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["k"], "name": ["O: quit"], "code_path": ["O: quit"],
    ...                      "parent_id": [pd.NA]})
    >>> sources = pd.DataFrame({"source_id": ["s"], "name": ["Interview - Ann Lee"],
    ...                         "site": ["North"], "stakeholder_group": ["service_user"]})
    >>> codings = pd.DataFrame({"coding_id": ["c"], "selection_id": ["c"], "source_id": ["s"],
    ...                         "code_id": ["k"], "text": ["Ann Lee here: I quit!"], "start": [0]})
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1"], "codes": ["O: quit"]})
    >>> q = exemplar_quotes(cmocs, codings, sources, book)
    >>> q[q.element == "outcome"][["quote", "attribution"]].values.tolist()
    [['[name] here: I quit!', 'Service user, site A']]
    """
    rows = _evidence_rows(cmocs, codings, sources, codebook)
    letters = site_letters(
        sites
        if sites is not None
        else sorted(sources["site"].dropna().unique())
        if "site" in sources
        else []
    )
    scrub_names = list(sources["name"].dropna()) + list(names)
    out = []
    for cmoc_id in cmocs["cmoc_id"]:
        mine = rows[rows["cmoc_id"] == cmoc_id]
        for element in ELEMENTS:
            group = mine if element == "all" else mine[mine["element"] == element]
            if group.empty:
                continue
            for rank, (_, row) in enumerate(_pick(group, per_element, max_chars).iterrows(), 1):
                out.append(
                    {
                        "cmoc_id": cmoc_id,
                        "element": element,
                        "rank": rank,
                        "quote": scrub_quote(
                            row["text"],
                            names=scrub_names,
                            client_id_pattern=client_id_pattern,
                            max_chars=max_chars,
                        ),
                        "attribution": attribution_label(
                            row["stakeholder_group"], row["site"], letters
                        ),
                        "coding_id": row["coding_id"],
                    }
                )
    return pd.DataFrame(out, columns=list(QUOTE_COLUMNS))


def cmoc_evidence(
    cmocs: pd.DataFrame,
    codings: pd.DataFrame,
    sources: pd.DataFrame,
    codebook: pd.DataFrame | None = None,
    *,
    max_chars: int = 240,
    client_id_pattern: str = DEFAULT_CLIENT_ID_PATTERN,
    names: Sequence[str] = (),
    sites: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Per CMOC and element, how much qualitative evidence supports it, with up to 3 quotes.

    Parameters
    ----------
    cmocs : DataFrame
        ``cmoc_id``, ``codes`` and optionally ``programme_theory``.
    codings, sources : DataFrame
        Canonical tables (:mod:`evalkit.qual.project`); sources give ``site`` and
        ``stakeholder_group``.
    codebook : DataFrame, optional
        With ``kind`` (see :func:`evalkit.qual.assign_code_kinds`). Without one, the codebook is
        rebuilt from the codings' ``code_path`` with evalkit's default kind rules.
    max_chars, client_id_pattern, names, sites
        As for :func:`exemplar_quotes`.

    Returns
    -------
    DataFrame
        :data:`EVIDENCE_COLUMNS`: one row per CMOC and element (``context``,
        ``mechanism_resource``, ``mechanism_reasoning``, ``outcome``, ``other`` when used, and
        ``all``). ``codes`` lists the code paths; ``n_excerpts`` counts distinct selections,
        ``n_sources``/``n_sites``/``n_stakeholder_groups`` distinct values among them (a source
        without a site counts towards no site); ``quote_1``..``quote_3`` read
        ``“…” (Service user, site B)``, blank when there are fewer.

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["k1", "k2"], "name": ["C: alone", "O: quit"],
    ...                      "code_path": ["C: alone", "O: quit"], "parent_id": [pd.NA, pd.NA]})
    >>> sources = pd.DataFrame({"source_id": ["s1", "s2"], "name": ["I1", "I2"],
    ...     "site": ["North", "South"], "stakeholder_group": ["service_user", "partner"]})
    >>> codings = pd.DataFrame({"coding_id": ["a", "b", "c"], "selection_id": ["a", "b", "c"],
    ...     "source_id": ["s1", "s2", "s2"], "code_id": ["k2", "k2", "k1"],
    ...     "text": ["I quit.", "She quit.", "Lives alone."], "start": [0, 0, 10]})
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1"], "codes": ["C: alone; O: quit"]})
    >>> ev = cmoc_evidence(cmocs, codings, sources, book).set_index("element")
    >>> ev.loc["outcome", ["n_excerpts", "n_sources", "n_sites", "n_stakeholder_groups"]].tolist()
    [2, 2, 2, 2]
    >>> ev.loc["outcome", "quote_1"]
    '“I quit.” (Service user, site A)'
    """
    if codebook is None:
        if "code_path" not in codings.columns:
            raise QualImportError("cmoc_evidence: give a codebook, or codings with code_path.")
        paths = codings[["code_id", "code_path"]].drop_duplicates("code_id")
        codebook = pd.DataFrame(
            {
                "code_id": paths["code_id"],
                "code_path": paths["code_path"],
                "name": paths["code_path"].str.split("::").str[-1],
                "parent_id": pd.NA,
            }
        )
    rows = _evidence_rows(cmocs, codings, sources, codebook)
    links = cmoc_codes(cmocs, codebook)
    quotes = exemplar_quotes(
        cmocs,
        codings,
        sources,
        codebook,
        max_chars=max_chars,
        client_id_pattern=client_id_pattern,
        names=names,
        sites=sites,
    )
    theory = (
        dict(zip(cmocs["cmoc_id"], cmocs["programme_theory"], strict=True))
        if "programme_theory" in cmocs.columns
        else {}
    )
    out = []
    for cmoc_id in cmocs["cmoc_id"]:
        mine = rows[rows["cmoc_id"] == cmoc_id]
        used = set(links.loc[links["cmoc_id"] == cmoc_id, "element"])
        for element in ELEMENTS:
            if element == "other" and "other" not in used:
                continue
            group = mine if element == "all" else mine[mine["element"] == element]
            code_list = links[
                (links["cmoc_id"] == cmoc_id) & ((links["element"] == element) | (element == "all"))
            ]
            texts = quotes[(quotes["cmoc_id"] == cmoc_id) & (quotes["element"] == element)]
            formatted = [
                f"“{q}” ({a})" for q, a in zip(texts["quote"], texts["attribution"], strict=True)
            ]
            formatted += [""] * (3 - len(formatted))
            out.append(
                {
                    "cmoc_id": cmoc_id,
                    "programme_theory": theory.get(cmoc_id, pd.NA),
                    "element": element,
                    "codes": "; ".join(code_list["code_path"]),
                    "n_excerpts": group["selection_id"].nunique(),
                    "n_sources": group["source_id"].nunique(),
                    "n_sites": group["site"].nunique(),
                    "n_stakeholder_groups": group["stakeholder_group"].nunique(),
                    "quote_1": formatted[0],
                    "quote_2": formatted[1],
                    "quote_3": formatted[2],
                }
            )
    return pd.DataFrame(out, columns=list(EVIDENCE_COLUMNS))


def cmoc_site_matrix(
    cmocs: pd.DataFrame,
    codings: pd.DataFrame,
    sources: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    sites: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Where each CMOC recurs: sources evidencing it at each site (demi-regularities).

    Parameters
    ----------
    sites : sequence of str, optional
        Column order (e.g. the config's ``sites``); default sorted site names. Sources without a
        site are counted in a ``whole service`` column.

    Returns
    -------
    DataFrame
        One row per CMOC: ``cmoc_id``, one column per site holding the number of sources there
        with at least one excerpt coded to any of the CMOC's codes, ``whole service``,
        ``n_sites`` (sites with at least one such source) and ``n_sites_all_elements`` (sites
        where every element the CMOC has codes for is evidenced by some source there).

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["k1", "k2"], "name": ["C: alone", "O: quit"],
    ...                      "code_path": ["C: alone", "O: quit"], "parent_id": [pd.NA, pd.NA]})
    >>> sources = pd.DataFrame({"source_id": ["s1", "s2"], "name": ["I1", "I2"],
    ...     "site": ["North", "South"], "stakeholder_group": ["service_user", "partner"]})
    >>> codings = pd.DataFrame({"coding_id": ["a", "b", "c"], "selection_id": ["a", "b", "c"],
    ...     "source_id": ["s1", "s2", "s2"], "code_id": ["k2", "k2", "k1"],
    ...     "text": ["I quit.", "She quit.", "Lives alone."], "start": [0, 0, 10]})
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1"], "codes": ["C: alone; O: quit"]})
    >>> matrix = cmoc_site_matrix(cmocs, codings, sources, book)
    >>> list(matrix.columns)
    ['cmoc_id', 'North', 'South', 'whole service', 'n_sites', 'n_sites_all_elements']
    >>> matrix.iloc[0].astype(str).tolist()
    ['CMOC1', '1', '1', '0', '2', '1']
    """
    rows = _evidence_rows(cmocs, codings, sources, codebook)
    links = cmoc_codes(cmocs, codebook)
    site_list = (
        list(sites)
        if sites is not None
        else sorted(sources["site"].dropna().unique() if "site" in sources else [])
    )
    rows["site"] = rows["site"].fillna(_NO_SITE)
    out = []
    for cmoc_id in cmocs["cmoc_id"]:
        mine = rows[rows["cmoc_id"] == cmoc_id]
        needed = set(links.loc[links["cmoc_id"] == cmoc_id, "element"])
        record: dict = {"cmoc_id": cmoc_id}
        full = 0
        for site in [*site_list, _NO_SITE]:
            here = mine[mine["site"] == site]
            record[site] = int(here["source_id"].nunique())
            if site != _NO_SITE and needed and needed <= set(here["element"]):
                full += 1
        record["n_sites"] = int(sum(record[s] > 0 for s in site_list))
        record["n_sites_all_elements"] = full
        out.append(record)
    columns = ["cmoc_id", *site_list, _NO_SITE, "n_sites", "n_sites_all_elements"]
    return pd.DataFrame(out, columns=columns)
