"""Quotes fit for a commissioner's report: anonymised attribution, scrubbed text, capped length.

A quote is attributed only as "<stakeholder group>, site <letter>" (e.g. "Service user, site B"):
never by the source's name, which often holds a participant's real name or an interview date. The
quote text is scrubbed of anything that looks like a client identifier (configurable pattern; by
default a letter prefix and at least three digits, such as ``NT-004512``, and NHS-number-shaped
digit runs) and of every source's name or the name-like parts of it, then cut at a word boundary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import pandas as pd

__all__ = [
    "DEFAULT_CLIENT_ID_PATTERN",
    "STAKEHOLDER_LABELS",
    "attribution_label",
    "scrub_quote",
    "site_letters",
]

#: Client identifiers: 1-6 letters, an optional separator and 3+ digits (``NT-000123``,
#: ``CL12345``), or a 10-digit NHS-number shape (``943 476 5919``).
DEFAULT_CLIENT_ID_PATTERN = r"\b[A-Za-z]{1,6}[-_/]?\d{3,}\b|\b\d{3}[ -]?\d{3}[ -]?\d{4}\b"

#: How each stakeholder group is named in a report.
STAKEHOLDER_LABELS: dict[str, str] = {
    "commissioner": "Commissioner",
    "provider_manager": "Provider manager",
    "frontline_staff": "Frontline staff",
    "service_user": "Service user",
    "partner": "Partner",
}

_ID_MARK = "[ID]"
_NAME_MARK = "[name]"
#: Words that label a source rather than name a person; they are never scrubbed from quotes.
_GENERIC = {
    "interview",
    "focus",
    "group",
    "fieldnote",
    "field",
    "note",
    "notes",
    "document",
    "transcript",
    "site",
    "service",
    "user",
    "users",
    "staff",
    "frontline",
    "provider",
    "manager",
    "commissioner",
    "partner",
    "session",
    "the",
    "and",
    "with",
    "of",
    "meeting",
    "observation",
}


def site_letters(sites: Iterable[str]) -> dict[str, str]:
    """Letters for sites in the order given (A, B, ... Z, AA, AB ...), skipping blanks.

    Examples
    --------
    >>> site_letters(["North", "South", "North", "East"])
    {'North': 'A', 'South': 'B', 'East': 'C'}
    """
    out: dict[str, str] = {}
    for site in sites:
        if pd.isna(site) or str(site) == "" or site in out:
            continue
        n, label = len(out), ""
        while True:
            label = chr(ord("A") + n % 26) + label
            n = n // 26 - 1
            if n < 0:
                break
        out[site] = label
    return out


def attribution_label(stakeholder_group, site, letters: dict[str, str]) -> str:
    """``"Service user, site B"`` — never a name.

    Examples
    --------
    >>> attribution_label("service_user", "South", {"North": "A", "South": "B"})
    'Service user, site B'
    >>> attribution_label("commissioner", None, {})
    'Commissioner, whole service'
    """
    group = (
        "Participant"
        if pd.isna(stakeholder_group)
        else STAKEHOLDER_LABELS.get(
            str(stakeholder_group), str(stakeholder_group).replace("_", " ").capitalize()
        )
    )
    if pd.isna(site) or str(site) == "":
        return f"{group}, whole service"
    return f"{group}, site {letters.get(site, '?')}"


def _name_parts(name: str) -> tuple[list[str], list[str]]:
    """The full source name and its name-like chunks; and the single words of those chunks."""
    phrases, words = [name.strip()], []
    for chunk in re.split(r"\s[-–—]\s|[,;:()/|_]|\s[-–—]|[-–—]\s", name):
        found = [w for w in re.findall(r"[^\W\d_]+", chunk) if w.lower() not in _GENERIC]
        if found and any(w[0].isupper() for w in found) and len("".join(found)) >= 3:
            phrases.append(" ".join(found))
            words += [w for w in found if len(w) >= 3 and w[0].isupper()]
    return [p for p in dict.fromkeys(phrases) if p], list(dict.fromkeys(words))


def scrub_quote(
    text: str,
    *,
    names: Sequence[str] = (),
    client_id_pattern: str = DEFAULT_CLIENT_ID_PATTERN,
    max_chars: int = 240,
) -> str:
    """Remove identifiers and names from a quote and cap its length at a word boundary.

    Parameters
    ----------
    text : str
        The excerpt.
    names : sequence of str
        Source names (and any other names) that must not appear; each is removed whole (any
        case), as are its name-like parts (``"Interview 07 - Jane Roe"`` also removes
        ``"Jane Roe"``) and their capitalised words on their own (``"Jane"``, ``"Roe"``).
    client_id_pattern : str
        Regular expression for client identifiers.
    max_chars : int
        Longest quote kept; longer ones are cut at the last space and end in an ellipsis.

    Returns
    -------
    str
        Whitespace-normalised text with ``[ID]`` and ``[name]`` in place of what was removed.

    Examples
    --------
    >>> scrub_quote("Jane Roe (NT-004512) said it helped.", names=["Interview 07 - Jane Roe"])
    '[name] ([ID]) said it helped.'
    >>> scrub_quote("one two three four", max_chars=12)
    'one two…'
    """
    out = " ".join(str(text).split())
    out = re.sub(client_id_pattern, _ID_MARK, out)
    phrases: set[str] = set()
    words: set[str] = set()
    for name in names:
        if name and not pd.isna(name):
            found = _name_parts(str(name))
            phrases.update(found[0])
            words.update(found[1])
    for phrase in sorted(phrases, key=len, reverse=True):  # whole names, any case
        out = re.sub(rf"(?<!\w){re.escape(phrase)}(?!\w)", _NAME_MARK, out, flags=re.IGNORECASE)
    for word in sorted(words, key=len, reverse=True):  # a first name or surname alone, as written
        out = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", _NAME_MARK, out)
    if len(out) > max_chars:
        cut = out[: max_chars - 1]
        space = cut.rfind(" ")
        out = (cut[:space] if space > max_chars // 2 else cut).rstrip(" ,;:") + "…"
    return out
