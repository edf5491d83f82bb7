"""The evaluator's memos on each CMOC: from the CMOC table, and from the QDA project's notes.

A memo records why the evaluator judged a CMOC as they did: the analytic trail RAMESES II asks
an evaluation to keep. It is written for the team, not for commissioners, so it appears only in
an evaluator-only appendix. A memo is on a CMOC when it is

* the ``memo`` column of the CMOC's row in ``qual/cmocs.csv``;
* a REFI-QDA note (:attr:`evalkit.qual.QualProject.memos`) linked to a code set or a code whose
  name starts with the CMOC's id (``CMOC1`` or ``CMOC1 – peer trust``), or a note whose own name
  starts with it.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["CMOC_MEMO_COLUMNS", "cmoc_memos"]

#: Columns of :func:`cmoc_memos`.
CMOC_MEMO_COLUMNS = ("cmoc_id", "origin", "author", "created", "text")


def _starts_with(value: object, cmoc_id: str) -> bool:
    if value is None or pd.isna(value):
        return False
    return re.match(rf"^\s*{re.escape(cmoc_id)}(?![0-9A-Za-z_])", str(value)) is not None


def cmoc_memos(cmocs: pd.DataFrame, memos: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every memo on each CMOC, in CMOC order.

    Parameters
    ----------
    cmocs : DataFrame
        The CMOC table (an optional ``memo`` column).
    memos : DataFrame, optional
        :attr:`evalkit.qual.QualProject.memos` (``name``, ``author``, ``created``, ``text``,
        ``target_type``, ``target_name``).

    Returns
    -------
    DataFrame
        :data:`CMOC_MEMO_COLUMNS`; ``origin`` is ``"CMOC table"`` or ``"note on <target>"``.

    Examples
    --------
    >>> import pandas as pd
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1", "CMOC10"], "memo": ["Trust first.", None]})
    >>> notes = pd.DataFrame({"memo_id": ["n1"], "name": ["Round 2"], "author": ["ann"],
    ...     "created": ["2026-05-01"], "text": ["Refine: trust needs time."],
    ...     "target_type": ["set"], "target_name": ["CMOC1 peer trust"]})
    >>> cmoc_memos(cmocs, notes)[["cmoc_id", "origin"]].values.tolist()
    [['CMOC1', 'CMOC table'], ['CMOC1', 'note on set CMOC1 peer trust']]
    """
    rows = []
    for record in cmocs.to_dict("records"):
        cmoc_id = str(record["cmoc_id"])
        memo = record.get("memo")
        if memo is not None and not pd.isna(memo) and str(memo).strip() not in ("", "nan"):
            rows.append(
                {
                    "cmoc_id": cmoc_id,
                    "origin": "CMOC table",
                    "author": pd.NA,
                    "created": pd.NA,
                    "text": str(memo),
                }
            )
        if memos is None or memos.empty:
            continue
        seen = set()
        for note in memos.to_dict("records"):
            on_target = note.get("target_type") in ("set", "code") and _starts_with(
                note.get("target_name"), cmoc_id
            )
            if not (on_target or _starts_with(note.get("name"), cmoc_id)):
                continue
            key = note.get("memo_id")
            if key in seen:
                continue
            seen.add(key)
            where = (
                f"note on {note['target_type']} {note['target_name']}"
                if on_target
                else f"note {note.get('name')}"
            )
            rows.append(
                {
                    "cmoc_id": cmoc_id,
                    "origin": where,
                    "author": note.get("author", pd.NA),
                    "created": note.get("created", pd.NA),
                    "text": str(note.get("text", "")),
                }
            )
    return pd.DataFrame(rows, columns=list(CMOC_MEMO_COLUMNS))
