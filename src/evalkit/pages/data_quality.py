"""Data-quality figures: completeness, reconciliation by provider, issues by rule, data vintage.

These are the numbers of the data-quality page, so that a commissioner can judge how far the
rest of the report can be trusted. Issue *values* are never summarised here (they may hold
identifiers); only counts by rule, table and provider.
"""

from __future__ import annotations

import pandas as pd

from evalkit.data.schema import TABLES

__all__ = [
    "completeness",
    "data_vintage",
    "issues_by_rule",
    "provider_of_file",
    "reconciliation_by_provider",
]


def completeness(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Share of rows with a value, for every schema column of a table.

    Parameters
    ----------
    frame : DataFrame
        Clean rows of the table.
    table : str
        Its name in :data:`evalkit.data.schema.TABLES`.

    Returns
    -------
    DataFrame
        ``table, column, required, rows, filled, pct_complete`` (``pct_complete`` 0–100, NaN
        when there are no rows).

    Examples
    --------
    >>> f = pd.DataFrame({"client_id": ["A", "B"], "age": [40, None]})
    >>> row = completeness(f, "participants").set_index("column").loc["age"]
    >>> int(row["filled"]), float(row["pct_complete"])
    (1, 50.0)
    """
    spec = TABLES[table]
    rows = len(frame)
    records = []
    for col in spec.columns:
        filled = int(frame[col.name].notna().sum()) if col.name in frame else 0
        records.append(
            {
                "table": table,
                "column": col.name,
                "required": col.required,
                "rows": rows,
                "filled": filled,
                "pct_complete": 100 * filled / rows if rows else float("nan"),
            }
        )
    return pd.DataFrame(records)


def provider_of_file(files: pd.Series, providers: list[dict[str, str]]) -> pd.Series:
    """Provider name of each extract file, from the ``<slug>_<table>`` naming convention.

    Examples
    --------
    >>> provider_of_file(pd.Series(["extracts/nhs_trust_measures.csv", "qual/sources.csv"]),
    ...                  [{"name": "Northgate NHS FT", "slug": "nhs_trust"}]).tolist()
    ['Northgate NHS FT', 'Qualitative data']
    """
    names = {p["slug"]: p["name"] for p in providers if isinstance(p, dict) and "slug" in p}

    def one(path: str) -> str:
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if path.startswith("qual/"):
            return "Qualitative data"
        for slug in sorted(names, key=len, reverse=True):
            if stem.startswith(slug + "_"):
                return names[slug]
        return stem

    return files.map(one)


def reconciliation_by_provider(
    reconciliation: pd.DataFrame, providers: list[dict[str, str]]
) -> pd.DataFrame:
    """Rows read, kept and quarantined per provider and table (``read = kept + quarantined``).

    Returns
    -------
    DataFrame
        ``provider, table, unit, read, kept, quarantined, pct_kept``.
    """
    frame = reconciliation.assign(provider=provider_of_file(reconciliation["file"], providers))
    out = (
        frame.groupby(["provider", "table", "unit"], as_index=False)[
            ["read", "kept", "quarantined"]
        ]
        .sum()
        .sort_values(["provider", "table"], kind="stable")
    )
    out["pct_kept"] = (100 * out["kept"] / out["read"]).where(out["read"] > 0)
    return out.reset_index(drop=True)


def issues_by_rule(issues: pd.DataFrame, providers: list[dict[str, str]]) -> pd.DataFrame:
    """Count validation issues by provider, table, severity and rule (no values shown).

    Returns
    -------
    DataFrame
        ``provider, table, severity, rule, issues``, most frequent first.
    """
    if issues.empty:
        return pd.DataFrame(columns=["provider", "table", "severity", "rule", "issues"])
    frame = issues.assign(provider=provider_of_file(issues["file"].astype(str), providers))
    out = (
        frame.groupby(["provider", "table", "severity", "rule"], dropna=False)
        .size()
        .rename("issues")
        .reset_index()
        .sort_values(["issues", "provider"], ascending=[False, True], kind="stable")
    )
    return out.reset_index(drop=True)


def data_vintage(participants: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """How recent each provider's data is: episodes, latest referral and latest measure date.

    Returns
    -------
    DataFrame
        ``provider, episodes, first_referral, latest_referral, latest_measure``.
    """
    latest_measure = (
        measures.merge(participants[["client_id", "provider"]], on="client_id")
        .groupby("provider")["date"]
        .max()
    )
    out = participants.groupby("provider").agg(
        episodes=("client_id", "size"),
        first_referral=("referral_date", "min"),
        latest_referral=("referral_date", "max"),
    )
    out["latest_measure"] = latest_measure
    return out.reset_index()
