"""Client journeys across providers: referrals from one provider to another, time to the second
service, people supported by more than one strand, referrals that bypassed the single point of
access.

Every function takes the episode table with ``person_id`` (:mod:`evalkit.data.persons`) and
returns a tidy DataFrame of counts; the disclosure policy is applied where they are shown.

A *referral between providers* is a pair of consecutive episodes of one person (in order of
``referral_date``) at two different providers, the second referred within ``window_days`` of the
first. The *time to the second service* is the days from a person's first referral to their first
referral at another provider.

Examples
--------
>>> episodes = pd.DataFrame({
...     "person_id": ["a", "a", "b", "b", "c"],
...     "provider": ["North", "VCS", "North", "North", "VCS"],
...     "referral_date": pd.to_datetime(["2026-01-01", "2026-02-15", "2026-01-01",
...                                      "2026-03-01", "2026-01-10"])})
>>> referrals_between_providers(episodes)
  from_provider to_provider  referrals  people  median_days
0         North         VCS          1       1         45.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import ValidationError

__all__ = [
    "JOURNEY_COLUMNS",
    "bypassed_single_point",
    "multi_strand_outcomes",
    "referrals_between_providers",
    "time_to_second_service",
]

#: Columns of :func:`referrals_between_providers`.
JOURNEY_COLUMNS = ["from_provider", "to_provider", "referrals", "people", "median_days"]


def _need(episodes: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in episodes.columns]
    if missing:
        raise ValidationError(
            f"the episode table lacks {', '.join(missing)}: journeys need the episodes of "
            "validated data, which carry person_id (docs/linkage.md)."
        )


def _ordered(episodes: pd.DataFrame) -> pd.DataFrame:
    """Person, provider and referral date of the episodes with both, by person then date.

    Only the three columns a journey needs: copying, sorting and taking the first row per
    person of the whole episode table (145 columns) cost 4 of the 7.5 s of the journeys
    section at 300,000 episodes.
    """
    columns = ["person_id", "provider", "referral_date"]
    out = episodes[columns].dropna(subset=["person_id", "referral_date"]).copy()
    out["referral_date"] = pd.to_datetime(out["referral_date"])
    return out.sort_values(["person_id", "referral_date"], kind="stable")


def referrals_between_providers(episodes: pd.DataFrame, window_days: int = 365) -> pd.DataFrame:
    """Referrals from one provider to another within ``window_days`` of the previous referral.

    Returns
    -------
    DataFrame
        :data:`JOURNEY_COLUMNS`: each ``from_provider -> to_provider`` with the number of
        referrals, of people, and the median days between the two referrals; sorted by
        referrals (most first), then names.
    """
    _need(episodes, ("person_id", "provider", "referral_date"))
    ordered = _ordered(episodes)
    previous = ordered.groupby("person_id")[["provider", "referral_date"]].shift()
    days = (ordered["referral_date"] - previous["referral_date"]).dt.days
    moved = (
        previous["provider"].notna()
        & (ordered["provider"] != previous["provider"])
        & (days <= window_days)
    )
    moves = pd.DataFrame(
        {
            "from_provider": previous.loc[moved, "provider"],
            "to_provider": ordered.loc[moved, "provider"],
            "person_id": ordered.loc[moved, "person_id"],
            "days": days[moved].astype(float),
        }
    )
    if moves.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in JOURNEY_COLUMNS})
    table = (
        moves.groupby(["from_provider", "to_provider"])
        .agg(
            referrals=("person_id", "size"),
            people=("person_id", "nunique"),
            median_days=("days", "median"),
        )
        .reset_index()
        .sort_values(["referrals", "from_provider", "to_provider"], ascending=[False, True, True])
    )
    return table.reset_index(drop=True)[JOURNEY_COLUMNS]


def time_to_second_service(episodes: pd.DataFrame) -> pd.DataFrame:
    """Per person seen by more than one provider: the days to the first referral elsewhere.

    Returns
    -------
    DataFrame
        ``person_id, first_provider, second_provider, days``, one row per such person.

    Examples
    --------
    >>> e = pd.DataFrame({"person_id": ["a", "a", "a"], "provider": ["N", "N", "V"],
    ...     "referral_date": pd.to_datetime(["2026-01-01", "2026-01-20", "2026-03-02"])})
    >>> time_to_second_service(e).to_dict("records")
    [{'person_id': 'a', 'first_provider': 'N', 'second_provider': 'V', 'days': 60}]
    """
    _need(episodes, ("person_id", "provider", "referral_date"))
    ordered = _ordered(episodes)
    first = ordered.groupby("person_id").first()[["provider", "referral_date"]]
    start = ordered["person_id"].map(first["provider"])
    elsewhere = ordered[ordered["provider"] != start]
    second = elsewhere.groupby("person_id").first()[["provider", "referral_date"]]
    out = pd.DataFrame(
        {
            "person_id": second.index,
            "first_provider": first.loc[second.index, "provider"].to_numpy(),
            "second_provider": second["provider"].to_numpy(),
            "days": (second["referral_date"] - first.loc[second.index, "referral_date"])
            .dt.days.astype(int)
            .to_numpy(),
        }
    )
    return out.reset_index(drop=True)


def multi_strand_outcomes(episodes: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """An outcome of people supported by more than one strand against people on one strand.

    A person's strands are every strand of any of their episodes; their outcome is the mean of
    ``outcome`` over their episodes that have one.

    Returns
    -------
    DataFrame
        ``group`` (``one strand``, ``more than one strand``), ``people``, ``mean``.

    Examples
    --------
    >>> e = pd.DataFrame({"person_id": ["a", "a", "b"], "wemwbs_change": [4.0, np.nan, 1.0],
    ...                   "strands": ["wellbeing", "smoking", "diet"]})
    >>> multi_strand_outcomes(e, "wemwbs_change").to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'group': 'one strand', 'people': 1, 'mean': 1.0},
     {'group': 'more than one strand', 'people': 1, 'mean': 4.0}]
    """
    _need(episodes, ("person_id", "strands", outcome))
    strands = (
        episodes[["person_id", "strands"]]
        .dropna()
        .assign(strand=lambda d: d["strands"].astype(str).str.split(";"))
        .explode("strand")
    )
    strands["strand"] = strands["strand"].str.strip()
    count = strands[strands["strand"] != ""].groupby("person_id")["strand"].nunique()
    values = pd.to_numeric(episodes[outcome], errors="coerce").groupby(episodes["person_id"])
    person = pd.DataFrame({"strands": count, "outcome": values.mean()}).dropna()
    person["group"] = np.where(person["strands"] > 1, "more than one strand", "one strand")
    rows = []
    for group in ("one strand", "more than one strand"):
        mine = person.loc[person["group"] == group, "outcome"]
        rows.append(
            {
                "group": group,
                "people": len(mine),
                "mean": float(mine.mean()) if len(mine) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def bypassed_single_point(
    episodes: pd.DataFrame,
    single_point_sources: Sequence[str],
    by: Sequence[str] = ("referral_source", "period"),
) -> pd.DataFrame:
    """Referrals that did not come through the single point of access, by referrer and quarter.

    Parameters
    ----------
    episodes : DataFrame
        With ``referral_source`` and the columns of ``by``.
    single_point_sources : sequence of str
        The ``referral_source`` codes of the single point of access (the evaluation's choice).
    by : sequence of str
        Columns to count by.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``referrals`` (all), ``bypassed`` (not from the single point) and
        ``bypass_share``.

    Examples
    --------
    >>> e = pd.DataFrame({"referral_source": ["link_worker", "gp", "gp", "self"],
    ...                   "period": ["2026-Q1", "2026-Q1", "2026-Q1", "2026-Q2"]})
    >>> bypassed_single_point(e, ["link_worker"], by=["period"]).to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'period': '2026-Q1', 'referrals': 3, 'bypassed': 2, 'bypass_share': 0.6666666666666666},
     {'period': '2026-Q2', 'referrals': 1, 'bypassed': 1, 'bypass_share': 1.0}]
    """
    _need(episodes, ("referral_source", *by))
    bypass = ~episodes["referral_source"].isin(list(single_point_sources))
    frame = episodes[list(by)].assign(bypassed=bypass.astype(int), referrals=1)
    table = frame.groupby(list(by), dropna=False)[["referrals", "bypassed"]].sum().reset_index()
    table["bypass_share"] = table["bypassed"] / table["referrals"]
    return table
