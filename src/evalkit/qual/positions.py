"""How a file counts selection positions, found from the evidence and verified on every selection.

REFI-QDA 1.5 §10.2 says positions count Unicode code points from 0. Real exports differ:

* NVivo (Windows 12.6, Mac 12.7) counts UTF-16 code units, so a character outside the Basic
  Multilingual Plane (an emoji) counts 2 and CRLF counts 2 (reference/qualitative.md §2.6,
  checked on ``oltas0517.qdpx``);
* ATLAS.ti counts a CRLF line break as one character (QualCoder's importer, ``refi.py``).

The conventions are data (:data:`CONVENTIONS`): each turns a text into the offset of every
character boundary, and a position resolves only if it lands exactly on one. A position past the
end, inside a surrogate pair or between the CR and LF of a line break cannot be resolved under that
convention. :func:`resolve_positions` picks the convention from, in order: the user's statement,
selection names that repeat the coded text (QualCoder writes them), which conventions resolve every
selection, how many selection edges fall on word boundaries, and the producing software. An excerpt
that no convention resolves, or evidence that cannot separate two conventions giving different
excerpts, is an error naming the file and selection: evalkit never guesses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.errors import QualImportError

__all__ = [
    "CONVENTIONS",
    "ORIGIN_CONVENTIONS",
    "PositionConvention",
    "PositionResolution",
    "resolve_positions",
]


def _codepoint_widths(text: str) -> np.ndarray:
    return np.ones(len(text), dtype=np.int64)


def _utf16_widths(text: str) -> np.ndarray:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return np.where(codes > 0xFFFF, 2, 1).astype(np.int64)


def _crlf_as_one_widths(text: str) -> np.ndarray:
    widths = np.ones(len(text), dtype=np.int64)
    for match in re.finditer("\r\n", text):
        widths[match.start()] = 0
    return widths


@dataclass(frozen=True)
class PositionConvention:
    """One way of counting positions in a plain text.

    Parameters
    ----------
    name : str
        Identifier used in the API and in ``evaluation.yml``.
    description : str
        One line for evaluators.
    widths : callable
        Given the text, the number of position units each character occupies.
    """

    name: str
    description: str
    widths: Callable[[str], np.ndarray]

    def boundaries(self, text: str) -> np.ndarray:
        """Offset (in this convention) of each boundary 0..len(text) between characters.

        Examples
        --------
        >>> CONVENTIONS["utf16"].boundaries("a\\U0001F600b").tolist()
        [0, 1, 3, 4]
        """
        return np.concatenate([[0], np.cumsum(self.widths(text))])


#: The position conventions evalkit recognises, by name.
CONVENTIONS: dict[str, PositionConvention] = {
    c.name: c
    for c in (
        PositionConvention(
            "codepoint",
            "Unicode code points, CRLF as two (REFI-QDA 1.5 §10.2; evalkit, QualCoder)",
            _codepoint_widths,
        ),
        PositionConvention(
            "utf16",
            "UTF-16 code units: emoji and other non-BMP characters count two, CRLF two (NVivo)",
            _utf16_widths,
        ),
        PositionConvention(
            "codepoint_crlf_as_one",
            "Unicode code points with each CRLF line break counted once (ATLAS.ti)",
            _crlf_as_one_widths,
        ),
    )
}

#: Producing software (a substring of ``Project@origin``) and the convention it is known to use.
ORIGIN_CONVENTIONS: tuple[tuple[str, str], ...] = (
    ("NVivo", "utf16"),
    ("ATLAS.ti", "codepoint_crlf_as_one"),
    ("evalkit", "codepoint"),
)


@dataclass(frozen=True)
class PositionResolution:
    """The convention chosen for a file and every selection resolved under it.

    Attributes
    ----------
    convention : str
        A key of :data:`CONVENTIONS`.
    evidence : str
        Why it was chosen, in words.
    spans : DataFrame
        The input selections with ``py_start`` and ``py_end`` (code-point offsets, end exclusive).
    """

    convention: str
    evidence: str
    spans: pd.DataFrame


def _resolve_one(convention: PositionConvention, text: str, positions: np.ndarray):
    """Python offsets for each position, and a failure reason (or "") for each."""
    bounds = convention.boundaries(text)
    idx = np.searchsorted(bounds, positions, side="left")
    inside = idx <= len(text)
    safe = np.minimum(idx, len(text))
    exact = inside & (bounds[safe] == positions)
    reasons = np.full(len(positions), "", dtype=object)
    reasons[~inside | (positions < 0)] = f"outside the text (0 to {int(bounds[-1])})"
    reasons[inside & ~exact & (positions >= 0)] = "inside a character (a surrogate pair)"
    if "\r\n" in text:
        split = exact & (safe > 0) & (safe < len(text))
        split_idx = np.flatnonzero(split)
        for k in split_idx:
            if text[safe[k] - 1] == "\r" and text[safe[k]] == "\n":
                reasons[k] = "between the CR and LF of a line break"
    return safe, reasons


def _word_edge_share(text: str, starts: np.ndarray, ends: np.ndarray) -> float:
    """Share of selection edges that do not cut through a word."""

    def on_edge(i: int) -> bool:
        return i <= 0 or i >= len(text) or not (text[i - 1].isalnum() and text[i].isalnum())

    edges = [on_edge(int(i)) for i in np.concatenate([starts, ends])]
    return float(np.mean(edges)) if edges else 1.0


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def _origin_convention(origin: str | None) -> str | None:
    for marker, name in ORIGIN_CONVENTIONS:
        if origin and marker.lower() in origin.lower():
            return name
    return None


def resolve_positions(
    selections: pd.DataFrame,
    texts: dict[str, str],
    *,
    where: str,
    convention: str | None = None,
    origin: str | None = None,
) -> PositionResolution:
    """Choose and verify the position convention of a file, and resolve every selection.

    Parameters
    ----------
    selections : DataFrame
        ``source_id``, ``source_name``, ``selection_id``, ``start``, ``end`` (as written in the
        file) and optionally ``name`` (the selection's name, which some tools set to the text).
    texts : dict
        Plain text of each source.
    where : str
        The file, for error messages.
    convention : str, optional
        The convention the user states; it is verified, not trusted.
    origin : str, optional
        The producing software (``Project@origin``), used when the evidence is otherwise even.

    Returns
    -------
    PositionResolution

    Raises
    ------
    QualImportError
        A stated convention that leaves a selection unresolved, a selection no convention
        resolves, ``start`` after ``end``, or conventions the evidence cannot tell apart.

    Examples
    --------
    >>> import pandas as pd
    >>> text = "Hi \\U0001F600 there"      # the emoji is 1 code point but 2 UTF-16 units
    >>> sel = pd.DataFrame({"source_id": ["s"], "source_name": ["S"], "selection_id": ["x"],
    ...                     "start": [6], "end": [11]})
    >>> res = resolve_positions(sel, {"s": text}, where="demo.qdpx", origin="NVivo 12")
    >>> res.convention, text[res.spans.py_start[0]:res.spans.py_end[0]]
    ('utf16', 'there')
    """
    if convention is not None and convention not in CONVENTIONS:
        raise QualImportError(
            f"{where}: unknown position convention {convention!r}; use one of "
            f"{', '.join(CONVENTIONS)}."
        )
    spans = selections.reset_index(drop=True).copy()
    bad = spans[spans["start"] > spans["end"]]
    if not bad.empty:
        row = bad.iloc[0]
        raise QualImportError(
            f"{where}: PlainTextSelection {row['selection_id']} in source "
            f"{row['source_name']!r} starts at {row['start']} after it ends at {row['end']}."
        )
    results: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}
    for name, conv in CONVENTIONS.items():
        py_start = np.zeros(len(spans), dtype=np.int64)
        py_end = np.zeros(len(spans), dtype=np.int64)
        failures: list[str] = []
        for source_id, group in spans.groupby("source_id", sort=False):
            text = texts[source_id]
            rows = group.index.to_numpy()
            s, s_why = _resolve_one(conv, text, group["start"].to_numpy(dtype=np.int64))
            e, e_why = _resolve_one(conv, text, group["end"].to_numpy(dtype=np.int64))
            py_start[rows], py_end[rows] = s, e
            for k, row in enumerate(rows):
                edges = (("startPosition", "start", s_why[k]), ("endPosition", "end", e_why[k]))
                for edge, column, why in edges:
                    if why:
                        failures.append(
                            f"PlainTextSelection {spans.at[row, 'selection_id']} in source "
                            f"{spans.at[row, 'source_name']!r}: {edge}="
                            f"{spans.at[row, column]} is {why}"
                        )
        results[name] = (py_start, py_end, failures)

    def finish(name: str, evidence: str) -> PositionResolution:
        out = spans.copy()
        out["py_start"], out["py_end"] = results[name][0], results[name][1]
        return PositionResolution(name, evidence, out)

    def excerpts(name: str) -> list[str]:
        s, e, _ = results[name]
        return [texts[sid][a:b] for sid, a, b in zip(spans["source_id"], s, e, strict=True)]

    named = (
        spans["name"].fillna("").astype(str).str.strip().ne("")
        if "name" in spans.columns
        else pd.Series(False, index=spans.index)
    )

    if convention is not None:
        failures = results[convention][2]
        if failures:
            raise QualImportError(
                f"{where}: positions do not resolve as {convention!r} "
                f"({CONVENTIONS[convention].description}): {failures[0]}"
                + (f" (and {len(failures) - 1} more)" if len(failures) > 1 else "")
                + "."
            )
        if named.any():
            got = excerpts(convention)
            for row in np.flatnonzero(named.to_numpy()):
                if not _same_text(got[row], spans.at[row, "name"]):
                    raise QualImportError(
                        f"{where}: under {convention!r}, PlainTextSelection "
                        f"{spans.at[row, 'selection_id']} reads {got[row][:60]!r} but the "
                        f"selection is named {str(spans.at[row, 'name'])[:60]!r}."
                    )
        return finish(convention, "stated by the user and verified on every selection")

    viable = [n for n, (_, _, f) in results.items() if not f]
    if not viable:
        first = results["codepoint"][2]
        raise QualImportError(
            f"{where}: {first[0]}; no position convention ({', '.join(CONVENTIONS)}) places "
            f"every selection inside its text ({len(first)} selection edge(s) fail even as "
            "code points). The export may be truncated or the source text edited after coding."
        )
    if len(spans) == 0 or len({tuple(excerpts(n)) for n in viable}) == 1:
        pick = "codepoint" if "codepoint" in viable else viable[0]
        return finish(pick, "every convention gives the same excerpts for this file")

    if named.any():
        shares: dict[str, float] = {}
        for n in viable:
            got = excerpts(n)
            rows = np.flatnonzero(named.to_numpy())
            shares[n] = float(np.mean([_same_text(got[r], spans.at[r, "name"]) for r in rows]))
        best = max(shares.values())
        if best >= 0.9:
            viable = [n for n in viable if shares[n] == best]
            if len(viable) == 1:
                return finish(
                    viable[0], f"selection names repeat the coded text ({best:.0%} match)"
                )
    if len(viable) == 1:
        return finish(viable[0], "the only convention that places every selection in its text")

    scores = {}
    for n in viable:
        s, e, _ = results[n]
        parts = []
        for source_id, group in spans.groupby("source_id", sort=False):
            rows = group.index.to_numpy()
            parts.append((len(rows), _word_edge_share(texts[source_id], s[rows], e[rows])))
        scores[n] = sum(k * v for k, v in parts) / sum(k for k, _ in parts)
    best = max(scores.values())
    tied = [n for n in viable if scores[n] >= best - 0.05]
    described = ", ".join(f"{n} {scores[n]:.1%}" for n in viable)
    from_origin = _origin_convention(origin)
    if len(tied) == 1:
        return finish(tied[0], f"selection edges fall on word boundaries ({described})")
    if from_origin in tied:
        return finish(
            from_origin,
            f"the producing software ({origin}) is known to use it; word-boundary evidence "
            f"was even ({described})",
        )
    raise QualImportError(
        f"{where}: cannot tell how positions are counted: {', '.join(tied)} all place every "
        f"selection in its text but give different excerpts, and the evidence is even "
        f"({described}; origin {origin!r}). State it with position_convention= "
        f"(one of {', '.join(CONVENTIONS)})."
    )
