"""The code tree: code paths from parents, ATLAS.ti-style ``::`` names, and finding codes by name.

A hierarchy reaches evalkit in two ways: nested codes (NVivo, QualCoder, evalkit's ``parent_id``)
or a flat list whose names carry the path (ATLAS.ti writes ``Coke::full-fat Coke``; REFI-QDA 1.5
Annex A.2). Both become the same tree: every code has a ``parent_id`` and a ``code_path`` of names
from the root joined by ``::``. A level that exists only inside flattened names (``Coke`` above)
becomes a non-codable folder code with a deterministic id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

import pandas as pd

from evalkit.data.schema import code_tree_problems
from evalkit.errors import QualImportError
from evalkit.qual.project import CODEBOOK_COLUMNS, PATH_SEPARATOR

__all__ = ["build_codebook", "code_tree_message", "lookup_codes", "normalise_code_name"]


def normalise_code_name(name: str) -> str:
    """Case- and spacing-insensitive form of a code name or path, for matching.

    Examples
    --------
    >>> normalise_code_name("  M:  Peer   support ")
    'm: peer support'
    >>> normalise_code_name("Context :: deprived area")
    'context::deprived area'
    """
    name = re.sub(r"\s*::\s*", PATH_SEPARATOR, str(name).strip())
    return re.sub(r"\s+", " ", name).lower()


def _expand_flattened(book: pd.DataFrame, folder_id: Callable[[str], str]) -> pd.DataFrame:
    """Split ``a::b::c`` names of root codes into folders ``a`` and ``a::b`` plus code ``c``."""
    rows = book.to_dict("records")
    by_path = {r["name"]: r["code_id"] for r in rows if pd.isna(r["parent_id"])}
    out: list[dict] = []
    added: dict[str, dict] = {}
    for row in rows:
        parts = [p.strip() for p in str(row["name"]).split(PATH_SEPARATOR)]
        if not pd.isna(row["parent_id"]) or len(parts) < 2 or not all(parts):
            out.append(row)
            continue
        parent = pd.NA
        for depth in range(1, len(parts)):
            prefix = PATH_SEPARATOR.join(parts[:depth])
            if prefix in by_path:
                parent = by_path[prefix]
                continue
            folder = {
                "code_id": folder_id(prefix),
                "name": parts[depth - 1],
                "parent_id": parent,
                "codable": False,
                "description": pd.NA,
                "color": pd.NA,
            }
            added[prefix] = folder
            by_path[prefix] = folder["code_id"]
            out.append(folder)
            parent = folder["code_id"]
        out.append({**row, "name": parts[-1], "parent_id": parent})
    return pd.DataFrame(out, columns=list(book.columns)) if out else book


def code_tree_message(code_id, problem: str, codes: list, names: dict) -> str:
    """A code that cannot be placed in the tree (see
    :func:`evalkit.data.schema.code_tree_problems`), in words.

    Examples
    --------
    >>> code_tree_message("A", "cycle", ["A", "B", "A"], {"A": "One", "B": "Two"})
    'the code parents form a cycle: One -> Two -> One (codes A -> B -> A).'
    """
    label = f"code {names.get(code_id, code_id)!r} ({code_id})"
    if problem == "own parent":
        return f"{label} is its own parent (parent_id {code_id!r})."
    if problem == "unknown parent":
        return f"{label} has parent_id {codes[1]!r}, which is not a code in the codebook."
    cycle = " -> ".join(str(names.get(c, c)) for c in codes)
    return f"the code parents form a cycle: {cycle} (codes {' -> '.join(map(str, codes))})."


def build_codebook(
    codes: pd.DataFrame,
    *,
    where: str,
    folder_id: Callable[[str], str] | None = None,
) -> pd.DataFrame:
    """Check a list of codes and give every code its ``code_path``.

    Parameters
    ----------
    codes : DataFrame
        ``code_id``, ``name``, ``parent_id`` (NA at the root) and optionally ``codable``,
        ``description``, ``color`` and any further columns (kept).
    where : str
        The file the codes came from, for error messages.
    folder_id : callable, optional
        Makes an id for a folder implied by a ``::`` path (given the path). When omitted, ``::``
        in names is left as part of the name.

    Returns
    -------
    DataFrame
        The codes with :data:`~evalkit.qual.project.CODEBOOK_COLUMNS` first.

    Raises
    ------
    QualImportError
        A repeated ``code_id``, a ``parent_id`` that names no code or the code itself, or a
        cycle of parents.

    Examples
    --------
    >>> import pandas as pd
    >>> codes = pd.DataFrame({"code_id": ["a", "b"], "name": ["Context", "C: deprived area"],
    ...                       "parent_id": [pd.NA, "a"]})
    >>> build_codebook(codes, where="codebook.csv")["code_path"].tolist()
    ['Context', 'Context::C: deprived area']
    """
    book = codes.copy()
    for col, default in (("codable", True), ("description", pd.NA), ("color", pd.NA)):
        if col not in book.columns:
            book[col] = default
    if folder_id is not None and not book.empty:
        book = _expand_flattened(book, folder_id)
    dup = book["code_id"][book["code_id"].duplicated()]
    if not dup.empty:
        raise QualImportError(
            f"{where}: code id {dup.iloc[0]!r} is used by more than one code "
            f"({', '.join(repr(n) for n in book.loc[book['code_id'] == dup.iloc[0], 'name'])}); "
            "each code needs its own id."
        )
    parent = dict(zip(book["code_id"], book["parent_id"], strict=True))
    name = dict(zip(book["code_id"], book["name"], strict=True))
    problems = code_tree_problems(book["code_id"], book["parent_id"])
    if problems:
        code_id, (problem, codes) = next(iter(problems.items()))
        raise QualImportError(f"{where}: {code_tree_message(code_id, problem, codes, name)}")
    paths: dict[str, str] = {}
    for code_id in book["code_id"]:
        chain = [code_id]
        while not pd.isna(parent[chain[-1]]):
            chain.append(parent[chain[-1]])
        paths[code_id] = PATH_SEPARATOR.join(str(name[c]) for c in reversed(chain))
    book["code_path"] = book["code_id"].map(paths)
    book["codable"] = book["codable"].astype("boolean")
    extra = [c for c in book.columns if c not in CODEBOOK_COLUMNS]
    return book[list(CODEBOOK_COLUMNS) + extra].reset_index(drop=True)


def lookup_codes(codebook: pd.DataFrame, names: Iterable[str], *, where: str) -> list[str]:
    """The ``code_id`` of each code named by its path, its name or its id.

    A name matches case- and spacing-insensitively; a path (``Context::deprived area``) always
    identifies one code, a bare name only when no other code carries it.

    Raises
    ------
    QualImportError
        A name that matches no code, or a bare name shared by several codes.

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["a", "b"], "name": ["Trust", "trust"],
    ...                      "code_path": ["R: reasoning::Trust", "Other::trust"]})
    >>> lookup_codes(book, ["r: reasoning :: trust"], where="CMOC1")
    ['a']
    """
    by_id = set(codebook["code_id"])
    paths = {
        normalise_code_name(p): c
        for p, c in zip(codebook["code_path"], codebook["code_id"], strict=True)
    }
    names_to_ids: dict[str, list[str]] = {}
    for n, c in zip(codebook["name"], codebook["code_id"], strict=True):
        names_to_ids.setdefault(normalise_code_name(n), []).append(c)
    found = []
    for raw in names:
        key = normalise_code_name(raw)
        if key in paths:
            found.append(paths[key])
        elif raw in by_id:
            found.append(raw)
        elif len(names_to_ids.get(key, [])) == 1:
            found.append(names_to_ids[key][0])
        elif key in names_to_ids:
            options = codebook.loc[codebook["code_id"].isin(names_to_ids[key]), "code_path"]
            raise QualImportError(
                f"{where}: code name {raw!r} matches {len(options)} codes "
                f"({'; '.join(options)}); give the full path instead."
            )
        else:
            raise QualImportError(
                f"{where}: code {raw!r} is not in the codebook (matched by name, "
                "'::'-separated path or id, ignoring case)."
            )
    return found
