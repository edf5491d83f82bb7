"""Fieldwork rounds: who was heard in which round, who was heard again, and each CMOC's evidence.

Realist evaluations interview in rounds: an initial round elicits and tests the programme
theories, a follow-up round (partly with the same people) refines them. A source may carry its
``round`` (1, 2, ...) and the ``participant`` pseudonym of the person it is with (``P07``; blank
for focus groups and documents); a participant with sources in two or more rounds was
re-interviewed. Sources without a round are counted as "not recorded".
"""

from __future__ import annotations

import pandas as pd

from evalkit.realist.evidence import _evidence_rows

__all__ = [
    "NO_ROUND",
    "ROUND_COLUMNS",
    "ROUND_EVIDENCE_COLUMNS",
    "cmoc_evidence_by_round",
    "cmoc_rounds",
    "fieldwork_rounds",
    "reinterviews",
    "round_label",
]

#: The round of a source that records none.
NO_ROUND = "not recorded"

#: Columns of :func:`fieldwork_rounds`.
ROUND_COLUMNS = (
    "round",
    "n_sources",
    "n_participants",
    "n_reinterviewed",
    "first_date",
    "last_date",
    "n_excerpts",
)

#: Columns of :func:`cmoc_evidence_by_round`.
ROUND_EVIDENCE_COLUMNS = (
    "cmoc_id",
    "round",
    "n_excerpts",
    "n_sources",
    "n_sites",
    "n_stakeholder_groups",
)


def round_label(value: object) -> str:
    """A round as text: ``2`` and ``2.0`` read ``"2"``; missing reads :data:`NO_ROUND`.

    Examples
    --------
    >>> round_label(2.0), round_label("1"), round_label(None)
    ('2', '1', 'not recorded')
    """
    if value is None or pd.isna(value) or str(value).strip() == "":
        return NO_ROUND
    try:
        number = float(str(value))
    except ValueError:
        return str(value).strip()
    return str(int(number)) if number.is_integer() else str(value).strip()


def _rounds(sources: pd.DataFrame) -> pd.Series:
    if "round" not in sources.columns:
        return pd.Series(NO_ROUND, index=sources.index)
    return sources["round"].map(round_label)


def _order(labels) -> list[str]:
    def key(label: str):
        try:
            return (0, float(label), label)
        except ValueError:
            return (1 if label != NO_ROUND else 2, 0.0, label)

    return sorted(set(labels), key=key)


def _participants(sources: pd.DataFrame) -> pd.Series:
    if "participant" not in sources.columns:
        return pd.Series(pd.NA, index=sources.index, dtype="object")
    values = sources["participant"].astype("object")
    return values.where(values.notna() & (values.astype(str).str.strip() != ""))


def reinterviews(sources: pd.DataFrame) -> pd.DataFrame:
    """Each participant heard in more than one round (evaluator-only: it names pseudonyms).

    Returns
    -------
    DataFrame
        ``participant``, ``rounds`` (``;``-joined, in order), ``n_sources``, ``source_ids``;
        one row per participant with sources in two or more rounds.

    Examples
    --------
    >>> import pandas as pd
    >>> sources = pd.DataFrame({"source_id": ["S1", "S2", "S3"], "round": [1, 2, 1],
    ...                         "participant": ["P01", "P01", "P02"]})
    >>> reinterviews(sources).values.tolist()
    [['P01', '1;2', 2, 'S1;S2']]
    """
    frame = pd.DataFrame(
        {
            "source_id": sources["source_id"],
            "participant": _participants(sources),
            "round": _rounds(sources),
        }
    ).dropna(subset=["participant"])
    frame = frame[frame["round"] != NO_ROUND]
    rows = []
    for participant, mine in frame.groupby("participant", sort=True):
        rounds = _order(mine["round"])
        if len(rounds) >= 2:
            rows.append(
                {
                    "participant": participant,
                    "rounds": ";".join(rounds),
                    "n_sources": len(mine),
                    "source_ids": ";".join(sorted(mine["source_id"])),
                }
            )
    return pd.DataFrame(rows, columns=["participant", "rounds", "n_sources", "source_ids"])


def fieldwork_rounds(sources: pd.DataFrame, codings: pd.DataFrame | None = None) -> pd.DataFrame:
    """The sources of each fieldwork round, the people in it and how many were heard before.

    Parameters
    ----------
    sources : DataFrame
        ``source_id`` and, where known, ``round``, ``participant`` and ``date``.
    codings : DataFrame, optional
        With ``source_id`` and ``selection_id`` (distinct excerpts are counted).

    Returns
    -------
    DataFrame
        :data:`ROUND_COLUMNS`, one row per round (in order; "not recorded" last) and a last row
        ``all``. ``n_participants`` counts distinct pseudonyms; ``n_reinterviewed`` counts, in a
        round, participants heard in an earlier round and, in ``all``, participants heard in
        two or more rounds. These are counts of people: a report suppresses small ones.

    Examples
    --------
    >>> import pandas as pd
    >>> sources = pd.DataFrame({"source_id": ["S1", "S2", "S3", "S4"],
    ...     "round": [1, 1, 2, 2], "participant": ["P01", "P02", "P01", None],
    ...     "date": ["2026-01-10", "2026-02-01", "2026-05-02", "2026-05-09"]})
    >>> table = fieldwork_rounds(sources).set_index("round")
    >>> table[["n_sources", "n_participants", "n_reinterviewed"]].values.tolist()
    [[2, 2, 0], [2, 1, 1], [4, 2, 1]]
    >>> str(table.loc["2", "first_date"].date())
    '2026-05-02'
    """
    frame = pd.DataFrame(
        {
            "source_id": sources["source_id"],
            "round": _rounds(sources),
            "participant": _participants(sources),
            "date": (
                pd.to_datetime(sources["date"], errors="coerce")
                if "date" in sources.columns
                else pd.NaT
            ),
        }
    )
    excerpts = (
        codings.groupby("source_id")["selection_id"].agg(set)
        if codings is not None and len(codings)
        else pd.Series(dtype="object")
    )
    order = _order(frame["round"])
    numbered = [r for r in order if r != NO_ROUND]
    rows: list[dict] = []
    seen: set[str] = set()
    for label in [*order, "all"]:
        mine = frame if label == "all" else frame[frame["round"] == label]
        people = set(mine["participant"].dropna())
        if label == "all":
            again = len(reinterviews(sources))
        else:
            again = len(people & seen) if label != NO_ROUND else 0
            if label in numbered:
                seen |= people
        selections: set = set()
        for source_id in mine["source_id"]:
            selections |= excerpts.get(source_id, set())
        rows.append(
            {
                "round": label,
                "n_sources": int(mine["source_id"].nunique()),
                "n_participants": len(people),
                "n_reinterviewed": int(again),
                "first_date": mine["date"].min(),
                "last_date": mine["date"].max(),
                "n_excerpts": len(selections),
            }
        )
    return pd.DataFrame(rows, columns=list(ROUND_COLUMNS))


def cmoc_evidence_by_round(
    cmocs: pd.DataFrame,
    codings: pd.DataFrame,
    sources: pd.DataFrame,
    codebook: pd.DataFrame,
) -> pd.DataFrame:
    """Each CMOC's evidence tallied by fieldwork round (excerpts, sources, sites, groups).

    Returns
    -------
    DataFrame
        :data:`ROUND_EVIDENCE_COLUMNS`: one row per CMOC and round of the sources (rounds
        without evidence for a CMOC hold zeros), counting as :func:`evalkit.realist.cmoc_evidence`
        does for the element ``all``.

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["k"], "name": ["O: quit"], "code_path": ["O: quit"],
    ...                      "parent_id": [pd.NA]})
    >>> sources = pd.DataFrame({"source_id": ["S1", "S2"], "round": [1, 2],
    ...     "site": ["North", "South"], "stakeholder_group": ["service_user"] * 2})
    >>> codings = pd.DataFrame({"coding_id": ["a", "b", "c"], "selection_id": ["a", "b", "c"],
    ...     "source_id": ["S1", "S1", "S2"], "code_id": ["k"] * 3, "text": ["x", "y", "z"],
    ...     "start": [0, 5, 0]})
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1"], "codes": ["O: quit"]})
    >>> table = cmoc_evidence_by_round(cmocs, codings, sources, book)
    >>> table[["round", "n_excerpts"]].values.tolist()
    [['1', 2], ['2', 1]]
    """
    rows = _evidence_rows(cmocs, codings, sources, codebook)
    rounds = dict(zip(sources["source_id"], _rounds(sources), strict=True))
    rows["round"] = rows["source_id"].map(rounds)
    order = _order(rounds.values())
    out = []
    for cmoc_id in cmocs["cmoc_id"]:
        mine = rows[rows["cmoc_id"] == cmoc_id]
        for label in order:
            here = mine[mine["round"] == label]
            out.append(
                {
                    "cmoc_id": cmoc_id,
                    "round": label,
                    "n_excerpts": int(here["selection_id"].nunique()),
                    "n_sources": int(here["source_id"].nunique()),
                    "n_sites": int(here["site"].nunique()),
                    "n_stakeholder_groups": int(here["stakeholder_group"].nunique()),
                }
            )
    return pd.DataFrame(out, columns=list(ROUND_EVIDENCE_COLUMNS))


def cmoc_rounds(by_round: pd.DataFrame) -> pd.Series:
    """``cmoc_id`` -> the fieldwork rounds with evidence for it, ``;``-joined (for the refinement
    log); sources without a round (documents) are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> by_round = pd.DataFrame({"cmoc_id": ["C1", "C1", "C2", "C2"],
    ...     "round": ["1", "2", "1", "2"], "n_excerpts": [3, 1, 0, 2]})
    >>> cmoc_rounds(by_round).to_dict()
    {'C1': '1;2', 'C2': '2'}
    """
    evidenced = by_round[(by_round["n_excerpts"] > 0) & (by_round["round"] != NO_ROUND)]
    joined = evidenced.groupby("cmoc_id", sort=False)["round"].agg(lambda r: ";".join(_order(r)))
    return joined.reindex(list(dict.fromkeys(by_round["cmoc_id"]))).fillna("")
