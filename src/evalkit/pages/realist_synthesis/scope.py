"""Which qualitative sources a report may use, and how they break down by stakeholder group.

A report for a period draws on sources dated up to the end of that period, so regenerating an
old report never brings in later interviews; a site's report draws on that site's sources and on
those of the whole service (sources without a site, such as commissioner interviews and the
service specification). What is left out is counted, with the reason, so the page can say so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from evalkit.errors import ConfigError
from evalkit.present.labels import humanise
from evalkit.qual import lead_codings
from evalkit.realist import STAKEHOLDER_LABELS, excerpt_ids

__all__ = [
    "SOURCE_COLUMNS",
    "QualitativeScope",
    "period_end",
    "qualitative_in_scope",
    "stakeholder_label",
    "sources_by_group",
]

_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")

#: Columns of :func:`sources_by_group`.
SOURCE_COLUMNS = (
    "stakeholder_group",
    "interviews",
    "focus_groups",
    "fieldnotes",
    "documents",
    "sources",
    "excerpts",
    "sites",
)

#: Source ``type`` -> its column in :func:`sources_by_group`.
_TYPE_COLUMNS = {
    "interview": "interviews",
    "focus_group": "focus_groups",
    "fieldnote": "fieldnotes",
    "document": "documents",
}

_NOT_RECORDED = "Not recorded"


@dataclass(frozen=True)
class QualitativeScope:
    """The qualitative tables a report may use, and what was left out.

    Attributes
    ----------
    sources, codings, codebook, cmocs : DataFrame
        As in ``Evaluation.qual``; ``codings`` holds only excerpts of the kept sources, by each
        source's lead coder (:func:`evalkit.qual.lead_codings`: double coding checks the
        evidence, it does not count it twice), and has a ``selection_id`` column
        (:func:`evalkit.realist.excerpt_ids`), so an excerpt coded several times counts once.
    left_out : DataFrame
        ``reason, sources, excerpts``: one row per reason sources were left out (``"dated after
        the report period"``, ``"from other sites"``) with how many sources and distinct
        excerpts; empty when nothing was left out.
    period_end : Timestamp
        Last day of the report period.
    all_codings : DataFrame or None
        Every coder's codings of the kept sources, for inter-coder agreement (``None``: the
        same as ``codings``).
    """

    sources: pd.DataFrame
    codings: pd.DataFrame
    codebook: pd.DataFrame
    cmocs: pd.DataFrame
    left_out: pd.DataFrame
    period_end: pd.Timestamp
    all_codings: pd.DataFrame | None = None


def period_end(period: str) -> pd.Timestamp:
    """The last day of a ``YYYY-Qn`` calendar quarter.

    Raises
    ------
    ConfigError
        If ``period`` is not written ``YYYY-Qn``.

    Examples
    --------
    >>> period_end("2026-Q2"), period_end("2025-Q4")
    (Timestamp('2026-06-30 00:00:00'), Timestamp('2025-12-31 00:00:00'))
    """
    match = _PERIOD.match(str(period))
    if not match:
        raise ConfigError(f"period {period!r} is not a quarter written YYYY-Qn (e.g. 2026-Q2).")
    year, quarter = int(match.group(1)), int(match.group(2))
    return pd.Timestamp(year=year, month=3 * quarter, day=1) + pd.offsets.MonthEnd(0)


def qualitative_in_scope(
    qual: Mapping[str, pd.DataFrame],
    *,
    period: str,
    site: str = "all",
    lead_coders: Sequence[str] = (),
) -> QualitativeScope:
    """The sources a report for ``period`` (and ``site``) may draw on, with their excerpts.

    Sources dated after the end of ``period`` are left out; sources without a date are kept.
    For a site, sources from other sites are left out; sources without a site (the whole
    service) are kept.

    Parameters
    ----------
    qual : mapping of str to DataFrame
        ``sources``, ``codings``, ``codebook``, ``cmocs`` (``Evaluation.qual``).
    period : str
        The report period, ``YYYY-Qn``.
    site : str
        ``"all"`` or a site name.
    lead_coders : sequence of str
        Whose coding is each source's evidence first (``qualitative.lead_coders``; default: the
        coder who coded most sources).

    Returns
    -------
    QualitativeScope

    Raises
    ------
    ConfigError
        If ``period`` is not a quarter written ``YYYY-Qn``.

    Examples
    --------
    >>> import pandas as pd
    >>> sources = pd.DataFrame({"source_id": ["S1", "S2", "S3"], "site": ["North", None, "South"],
    ...     "date": pd.to_datetime(["2026-02-01", "2026-08-01", "2026-03-01"])})
    >>> codings = pd.DataFrame({"coding_id": ["K1", "K2", "K3"], "source_id": ["S1", "S2", "S3"],
    ...                         "start": [0, 0, 0], "end": [5, 5, 5]})
    >>> scope = qualitative_in_scope({"sources": sources, "codings": codings,
    ...     "codebook": pd.DataFrame(), "cmocs": pd.DataFrame()}, period="2026-Q1", site="North")
    >>> scope.sources["source_id"].tolist(), scope.left_out["reason"].tolist()
    (['S1'], ['dated after the report period', 'from other sites'])
    """
    end = period_end(period)
    sources = qual["sources"]
    codings = qual["codings"]
    if len(codings):
        codings = codings.assign(selection_id=excerpt_ids(codings))
    elif "selection_id" not in codings.columns:
        codings = codings.assign(selection_id=pd.Series([], dtype="str"))
    dates = (
        pd.to_datetime(sources["date"], errors="coerce")
        if "date" in sources.columns
        else pd.Series(pd.NaT, index=sources.index)
    )
    late = dates.notna() & (dates > end)
    elsewhere = pd.Series(False, index=sources.index)
    if site != "all" and "site" in sources.columns:
        elsewhere = sources["site"].notna() & (sources["site"] != site)
    left_out = []
    for reason, mask in (
        ("dated after the report period", late),
        ("from other sites", elsewhere & ~late),
    ):
        if mask.any():
            ids = set(sources.loc[mask, "source_id"])
            excerpts = codings.loc[codings["source_id"].isin(ids), "selection_id"].nunique()
            left_out.append({"reason": reason, "sources": len(ids), "excerpts": int(excerpts)})
    kept = sources[~(late | elsewhere)].reset_index(drop=True)
    every = codings[codings["source_id"].isin(set(kept["source_id"]))].reset_index(drop=True)
    lead = lead_codings(every, lead_coders) if "coder" in every.columns else every
    return QualitativeScope(
        sources=kept,
        codings=lead,
        all_codings=every,
        codebook=qual["codebook"],
        cmocs=qual["cmocs"],
        left_out=pd.DataFrame(left_out, columns=["reason", "sources", "excerpts"]),
        period_end=end,
    )


def stakeholder_label(group: object) -> str:
    """A stakeholder group as a report names it ("Service user"; missing: "Not recorded").

    Examples
    --------
    >>> stakeholder_label("frontline_staff"), stakeholder_label("carer"), stakeholder_label(None)
    ('Frontline staff', 'Carer', 'Not recorded')
    """
    if group is None or pd.isna(group):
        return _NOT_RECORDED
    return STAKEHOLDER_LABELS.get(str(group), humanise(group))


def sources_by_group(sources: pd.DataFrame, codings: pd.DataFrame) -> pd.DataFrame:
    """Qualitative sources by stakeholder group and type, with their coded excerpts and sites.

    Parameters
    ----------
    sources : DataFrame
        ``source_id`` and, where known, ``type``, ``stakeholder_group`` and ``site``.
    codings : DataFrame
        ``source_id`` and ``selection_id`` (see :func:`qualitative_in_scope`).

    Returns
    -------
    DataFrame
        :data:`SOURCE_COLUMNS`, one row per stakeholder group (in
        :data:`evalkit.realist.STAKEHOLDER_LABELS` order, then other groups alphabetically, then
        "Not recorded") and a last row ``All``. ``stakeholder_group`` holds the label; the type
        columns count sources of each type (a source of another type counts only in
        ``sources``); ``excerpts`` counts distinct coded excerpts; ``sites`` distinct sites (a
        source without a site counts towards none).

    Examples
    --------
    >>> import pandas as pd
    >>> sources = pd.DataFrame({"source_id": ["S1", "S2", "S3"],
    ...     "type": ["interview", "interview", "focus_group"], "site": ["North", "South", "North"],
    ...     "stakeholder_group": ["service_user", "service_user", "frontline_staff"]})
    >>> codings = pd.DataFrame({"source_id": ["S1", "S1", "S3"], "selection_id": ["a", "a", "b"]})
    >>> table = sources_by_group(sources, codings).set_index("stakeholder_group")
    >>> table.loc["Service user", ["interviews", "sources", "excerpts", "sites"]].tolist()
    [2, 2, 1, 2]
    >>> table.loc["All", ["sources", "excerpts", "sites"]].tolist()
    [3, 2, 2]
    """

    def column(name: str) -> pd.Series:
        if name in sources.columns:
            return sources[name]
        return pd.Series(pd.NA, index=sources.index, dtype="object")

    frame = pd.DataFrame(
        {
            "source_id": sources["source_id"],
            "label": column("stakeholder_group").map(stakeholder_label).astype("str"),
            "type": column("type"),
            "site": column("site"),
        }
    )
    known = list(STAKEHOLDER_LABELS.values())
    present = set(frame["label"])
    order = [g for g in known if g in present]
    order += sorted(present - set(known) - {_NOT_RECORDED})
    order += [_NOT_RECORDED] if _NOT_RECORDED in present else []
    groups = [(label, frame[frame["label"] == label]) for label in order] + [("All", frame)]
    rows = []
    for label, members in groups:
        ids = set(members["source_id"])
        row: dict[str, object] = {"stakeholder_group": label}
        for kind, name in _TYPE_COLUMNS.items():
            row[name] = int((members["type"] == kind).sum())
        row["sources"] = len(ids)
        row["excerpts"] = int(codings.loc[codings["source_id"].isin(ids), "selection_id"].nunique())
        row["sites"] = int(members["site"].dropna().nunique())
        rows.append(row)
    return pd.DataFrame(rows, columns=list(SOURCE_COLUMNS))
