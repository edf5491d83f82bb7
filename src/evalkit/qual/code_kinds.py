"""Which realist element each code evidences: context, mechanism (resource or reasoning), outcome.

Evaluators mark this in one of three ways, all supported and combinable in ``evaluation.yml``::

    qualitative:
      code_kinds:
        prefix: {"C:": context, "M:": mechanism_resource, "R:": mechanism_reasoning, "O:": outcome}
        parent: {"Context": context, "Outcomes": outcome}
        explicit: {"peer support": mechanism_resource}

A code's kind comes from the first rule that applies, most specific first:

1. ``explicit`` — the code's id, name or ``::`` path is listed;
2. the ``kind`` already in the table (evalkit's own ``codebook.csv`` has one);
3. ``prefix`` — the code's own name starts with a listed prefix;
4. ``parent`` — the nearest ancestor whose name is listed, or whose name starts with a prefix;
5. otherwise ``other``.

The kinds follow Dalkin et al. (2015), who split a mechanism into the resources a programme offers
and the reasoning they trigger (reference/qualitative.md §1.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from evalkit.errors import ConfigError, QualImportError
from evalkit.qual.codebook import lookup_codes

__all__ = [
    "CODE_KINDS",
    "DEFAULT_PARENTS",
    "DEFAULT_PREFIXES",
    "CodeKindRules",
    "assign_code_kinds",
]

#: The realist elements a code can evidence.
CODE_KINDS = ("context", "mechanism_resource", "mechanism_reasoning", "outcome", "other")

#: Name prefixes evalkit recognises when the config gives none.
DEFAULT_PREFIXES: dict[str, str] = {
    "C:": "context",
    "M:": "mechanism_resource",
    "R:": "mechanism_reasoning",
    "O:": "outcome",
}

#: Folder names evalkit recognises when the config gives none (matched ignoring case, spacing and
#: punctuation: "Mechanism – resource" matches "mechanism resource"). A bare "Mechanism" folder is
#: deliberately absent: it does not say whether its codes are resources or reasoning.
DEFAULT_PARENTS: dict[str, str] = {
    "context": "context",
    "contexts": "context",
    "mechanism resource": "mechanism_resource",
    "mechanism resources": "mechanism_resource",
    "mechanisms resources": "mechanism_resource",
    "resources": "mechanism_resource",
    "mechanism reasoning": "mechanism_reasoning",
    "mechanisms reasoning": "mechanism_reasoning",
    "mechanism response": "mechanism_reasoning",
    "reasoning": "mechanism_reasoning",
    "responses": "mechanism_reasoning",
    "outcome": "outcome",
    "outcomes": "outcome",
}


def _folder_key(name: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in str(name).lower()).split())


def _check_kind(kind: Any, where: str) -> str:
    if kind not in CODE_KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is not one of {', '.join(CODE_KINDS)}.")
    return str(kind)


@dataclass(frozen=True)
class CodeKindRules:
    """How codes map to realist elements (see the module docstring for precedence).

    Examples
    --------
    >>> rules = CodeKindRules.from_config({"prefix": {"CTX-": "context"}})
    >>> rules.prefix
    {'CTX-': 'context'}
    """

    prefix: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PREFIXES))
    parent: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PARENTS))
    explicit: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(cls, settings: dict[str, Any] | None) -> CodeKindRules:
        """Rules from the ``qualitative.code_kinds`` mapping of ``evaluation.yml``.

        A ``prefix`` or ``parent`` mapping given there replaces evalkit's default one.

        Raises
        ------
        ConfigError
            An unknown key or a kind that is not one of :data:`CODE_KINDS`.
        """
        settings = dict(settings or {})
        unknown = set(settings) - {"prefix", "parent", "explicit"}
        if unknown:
            raise ConfigError(
                f"qualitative.code_kinds: unknown key(s) {', '.join(sorted(unknown))}; "
                "use prefix, parent and/or explicit."
            )
        parts = {}
        for key in ("prefix", "parent", "explicit"):
            if key in settings:
                mapping = settings[key] or {}
                if not isinstance(mapping, dict):
                    raise ConfigError(f"qualitative.code_kinds.{key}: expected a mapping.")
                parts[key] = {
                    str(k): _check_kind(v, f"qualitative.code_kinds.{key}[{k!r}]")
                    for k, v in mapping.items()
                }
        if "parent" in parts:
            parts["parent"] = {_folder_key(k): v for k, v in parts["parent"].items()}
        return cls(**parts)

    def by_prefix(self, name: str) -> str | None:
        """The kind a code name's prefix gives, longest prefix first (case-insensitive)."""
        lowered = str(name).strip().lower()
        for prefix in sorted(self.prefix, key=len, reverse=True):
            if lowered.startswith(prefix.lower()):
                return self.prefix[prefix]
        return None


def assign_code_kinds(codebook: pd.DataFrame, rules: CodeKindRules | None = None) -> pd.DataFrame:
    """Give every code a realist ``kind`` and say which rule gave it.

    Parameters
    ----------
    codebook : DataFrame
        ``code_id``, ``name``, ``code_path``, ``parent_id`` and optionally ``kind``.
    rules : CodeKindRules, optional
        Default: :data:`DEFAULT_PREFIXES` and :data:`DEFAULT_PARENTS`.

    Returns
    -------
    DataFrame
        The codebook with ``kind`` (one of :data:`CODE_KINDS`) and ``kind_rule`` (``explicit``,
        ``table``, ``prefix``, ``parent`` or ``default``).

    Raises
    ------
    ConfigError
        An explicit mapping that names no code, or a table kind outside :data:`CODE_KINDS`.

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["a", "b", "c"],
    ...                      "name": ["Outcomes", "feels better", "M: peer support"],
    ...                      "code_path": ["Outcomes", "Outcomes::feels better", "M: peer support"],
    ...                      "parent_id": [pd.NA, "a", pd.NA]})
    >>> assign_code_kinds(book)[["kind", "kind_rule"]].values.tolist()
    [['outcome', 'parent'], ['outcome', 'parent'], ['mechanism_resource', 'prefix']]
    """
    rules = rules or CodeKindRules()
    book = codebook.copy()
    names = dict(zip(book["code_id"], book["name"], strict=True))
    parents = dict(zip(book["code_id"], book["parent_id"], strict=True))
    explicit: dict[str, str] = {}
    for key, kind in rules.explicit.items():
        try:
            (code_id,) = lookup_codes(book, [key], where="qualitative.code_kinds.explicit")
        except QualImportError as exc:
            raise ConfigError(str(exc)) from exc
        explicit[code_id] = kind
    table = book["kind"] if "kind" in book.columns else pd.Series(pd.NA, index=book.index)

    def folder_kind(name: str) -> str | None:
        return rules.parent.get(_folder_key(name)) or rules.by_prefix(name)

    kinds, reasons = [], []
    for code_id, given in zip(book["code_id"], table, strict=True):
        if code_id in explicit:
            kinds.append(explicit[code_id])
            reasons.append("explicit")
            continue
        if not pd.isna(given) and str(given).strip():
            kinds.append(_check_kind(str(given).strip(), f"codebook kind of {names[code_id]!r}"))
            reasons.append("table")
            continue
        own = rules.by_prefix(names[code_id])
        if own is None and rules.parent.get(_folder_key(names[code_id])):
            own = rules.parent[_folder_key(names[code_id])]
        if own is not None:
            kinds.append(own)
            reasons.append("prefix" if rules.by_prefix(names[code_id]) else "parent")
            continue
        ancestor, found = parents[code_id], None
        while not pd.isna(ancestor) and found is None:
            found = folder_kind(names[ancestor])
            ancestor = parents[ancestor]
        kinds.append(found or "other")
        reasons.append("parent" if found else "default")
    book["kind"] = pd.Series(kinds, index=book.index, dtype="str")
    book["kind_rule"] = pd.Series(reasons, index=book.index, dtype="str")
    return book
