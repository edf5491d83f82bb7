"""Journeys across providers on the reach page (01): one person, several doors.

Counts **people** (distinct ``person_id``, docs/linkage.md) where it says people and
**referrals** (episodes) where it says referrals. The figures come from
:mod:`evalkit.outcomes.journeys` and :func:`evalkit.data.persons.person_table`; every count is
shown through the disclosure policy (small counts withheld, counts rounded), and a median of
days rests on the people behind it, so it is withheld with them. The window of a referral
between providers and the single point of access's referral-source codes are the
``linkage:`` settings ``journey_window_days`` and ``single_point_sources``
(:func:`evalkit.data.linkage.linkage_settings`).

Examples
--------
>>> people = pd.DataFrame({"person_id": ["a", "b", "c"], "n_providers": [1, 2, 3],
...                        "strands": ["diet", "diet;smoking", ""]})
>>> provider_mix(people)[["group", "people"]].to_dict("records")
... # doctest: +NORMALIZE_WHITESPACE
[{'group': 'One provider', 'people': 1}, {'group': 'Two providers', 'people': 1},
 {'group': 'Three or more providers', 'people': 1}]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.config import DisclosurePolicy
from evalkit.data.evaluation import Evaluation
from evalkit.data.linkage import linkage_settings
from evalkit.disclosure.suppression import PERCENT_DECIMALS, share_withheld
from evalkit.outcomes.journeys import (
    bypassed_single_point,
    multi_strand_outcomes,
    referrals_between_providers,
    time_to_second_service,
)
from evalkit.present.blocks import Blocks
from evalkit.present.keyfigures import record
from evalkit.present.labels import NOT_RECORDED, label_values, period_label
from evalkit.present.wording import count_text, value_text

__all__ = [
    "bypass_by_quarter",
    "bypass_by_referrer",
    "journeys",
    "provider_mix",
    "strand_count",
    "time_to_second_summary",
]

_PERCENT = f"{{:.{PERCENT_DECIMALS}f}}%"


def strand_count(strands: pd.Series) -> pd.Series:
    """The number of distinct strands in each ``;``-separated cell (0 for none).

    Examples
    --------
    >>> strand_count(pd.Series(["diet;smoking", "diet", "", None])).tolist()
    [2, 1, 0, 0]
    """
    return strands.map(
        lambda cell: (
            len({p.strip() for p in cell.split(";") if p.strip()}) if isinstance(cell, str) else 0
        )
    ).astype(int)


def provider_mix(people: pd.DataFrame) -> pd.DataFrame:
    """People by the number of providers who supported them (one, two, three or more).

    Parameters
    ----------
    people : DataFrame
        The person table (:func:`evalkit.data.persons.person_table`): ``n_providers``.

    Returns
    -------
    DataFrame
        ``group, people, share`` (of all people), three rows.
    """
    n = pd.to_numeric(people["n_providers"], errors="coerce").fillna(0).astype(int)
    counts = [int((n <= 1).sum()), int((n == 2).sum()), int((n >= 3).sum())]
    total = len(people)
    return pd.DataFrame(
        {
            "group": ["One provider", "Two providers", "Three or more providers"],
            "people": counts,
            "share": [c / total if total else np.nan for c in counts],
        }
    )


def time_to_second_summary(episodes: pd.DataFrame) -> dict[str, float]:
    """People seen by a second provider and the days from their first referral to it.

    Returns
    -------
    dict
        ``people``, ``median``, ``lower_quartile``, ``upper_quartile`` (NaN without people).

    Examples
    --------
    >>> e = pd.DataFrame({"person_id": ["a", "a", "b", "b", "c"],
    ...     "provider": ["N", "V", "N", "V", "N"],
    ...     "referral_date": pd.to_datetime(["2026-01-01", "2026-01-11", "2026-01-01",
    ...                                      "2026-01-31", "2026-02-01"])})
    >>> time_to_second_summary(e)
    {'people': 2, 'median': 20.0, 'lower_quartile': 15.0, 'upper_quartile': 25.0}
    """
    days = time_to_second_service(episodes)["days"].astype(float)
    if days.empty:
        return {"people": 0, "median": np.nan, "lower_quartile": np.nan, "upper_quartile": np.nan}
    return {
        "people": len(days),
        "median": float(days.median()),
        "lower_quartile": float(days.quantile(0.25)),
        "upper_quartile": float(days.quantile(0.75)),
    }


def bypass_by_quarter(episodes: pd.DataFrame, single_point_sources: Sequence[str]) -> pd.DataFrame:
    """Referrals through the single point of access and around it, in each quarter.

    Returns
    -------
    DataFrame
        ``period, referrals, through, bypassed, bypass_share`` in time order, and a last
        ``Total`` row (``period`` None).

    Examples
    --------
    >>> e = pd.DataFrame({"referral_source": ["spa", "gp", "gp", "self"],
    ...                   "period": ["2026-Q1", "2026-Q1", "2026-Q1", "2026-Q2"]})
    >>> bypass_by_quarter(e, ["spa"])[["period", "through", "bypassed"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'period': '2026-Q1', 'through': 1, 'bypassed': 2},
     {'period': '2026-Q2', 'through': 0, 'bypassed': 1},
     {'period': None, 'through': 1, 'bypassed': 3}]
    """
    table = bypassed_single_point(episodes, single_point_sources, by=["period"])
    table = table.sort_values("period", kind="stable", na_position="last")
    total = pd.DataFrame(
        {
            "period": [None],
            "referrals": [int(table["referrals"].sum())],
            "bypassed": [int(table["bypassed"].sum())],
        }
    )
    out = pd.concat([table[["period", "referrals", "bypassed"]], total], ignore_index=True)
    out["period"] = pd.Series(
        [v if isinstance(v, str) else None for v in out["period"]], dtype=object
    )
    out["referrals"] = out["referrals"].astype(int)
    out["bypassed"] = out["bypassed"].astype(int)
    out["through"] = out["referrals"] - out["bypassed"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["bypass_share"] = np.where(
            out["referrals"] > 0, out["bypassed"] / out["referrals"].clip(lower=1), np.nan
        )
    return out[["period", "referrals", "through", "bypassed", "bypass_share"]]


def bypass_by_referrer(episodes: pd.DataFrame, single_point_sources: Sequence[str]) -> pd.DataFrame:
    """Referrals that bypassed the single point of access, by who referred (most first).

    Examples
    --------
    >>> e = pd.DataFrame({"referral_source": ["spa", "gp", "gp", "self", None],
    ...                   "period": ["2026-Q1"] * 5})
    >>> bypass_by_referrer(e, ["spa"]).to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'referral_source': 'gp', 'bypassed': 2}, {'referral_source': 'self', 'bypassed': 1},
     {'referral_source': None, 'bypassed': 1}]
    """
    table = bypassed_single_point(episodes, single_point_sources, by=["referral_source"])
    table = table[table["bypassed"] > 0]
    table = table.assign(known=table["referral_source"].notna()).sort_values(
        ["known", "bypassed", "referral_source"], ascending=[False, False, True], kind="stable"
    )
    source = [v if isinstance(v, str) else None for v in table["referral_source"]]
    return pd.DataFrame(
        {
            "referral_source": pd.Series(source, dtype=object),
            "bypassed": pd.Series(table["bypassed"].to_list(), dtype=int),
        }
    )


# --------------------------------------------------------------------------- page section


def _count(policy: DisclosurePolicy, n: float) -> str:
    return count_text(n, threshold=policy.threshold, round_to=policy.round_to)


def _days(value: float) -> str:
    return f"{value:,.0f}"


def _people_section(ev: Evaluation, policy: DisclosurePolicy) -> Blocks:
    people = ev.people
    mix = provider_mix(people)
    several = int(mix["people"].iloc[1:].sum())
    strands = strand_count(people["strands"]) if len(people) else pd.Series(dtype=int)
    multi_strand = int((strands > 1).sum())
    total = len(people)
    record(
        "people_more_than_one_provider",
        several,
        label="People supported by more than one provider",
        unit="people",
        n=several,
    )
    blocks = Blocks().markdown(
        f"Of the **{_count(policy, total)}** people referred (in "
        f"**{_count(policy, len(ev.episodes))}** referral episodes), "
        f"**{_count(policy, several)}** were supported by more than one provider and "
        f"**{_count(policy, multi_strand)}** by more than one programme strand."
    )
    table = mix.assign(share=100 * mix["share"]).rename(
        columns={"group": "Supported by", "people": "People", "share": "% of people"}
    )
    return blocks.table(
        table.set_index("Supported by"),
        caption="People by the number of providers who supported them (people, not referrals)",
        policy=policy,
        count_columns=["People"],
        derived_columns={"% of people": "People"},
        formats={"% of people": _PERCENT},
    )


def _between_providers(ev: Evaluation, policy: DisclosurePolicy, window: int) -> Blocks:
    moves = referrals_between_providers(ev.episodes, window_days=window)
    if moves.empty:
        return Blocks().markdown(
            f"No person was referred from one provider to another within {window} days."
        )
    blocks = Blocks().markdown(
        f"**{_count(policy, int(moves['referrals'].sum()))}** referrals were to another provider "
        f"within {window} days of the person's previous referral."
    )
    table = moves.rename(
        columns={
            "from_provider": "From",
            "to_provider": "To",
            "referrals": "Referrals",
            "people": "People",
            "median_days": "Median days between",
        }
    ).set_index(["From", "To"])
    return blocks.table(
        table,
        caption=f"Referrals from one provider to another within {window} days (referrals and "
        "the people making them)",
        policy=policy,
        count_columns=["Referrals", "People"],
        derived_columns={"Median days between": "People"},
        secondary="rows",
        formats={"Median days between": "{:,.0f}"},
    )


def _second_service(ev: Evaluation, policy: DisclosurePolicy) -> Blocks:
    summary = time_to_second_summary(ev.episodes)
    n = summary["people"]
    if n == 0:
        return Blocks()
    if not policy.shown(n):
        return Blocks().markdown(
            "The time to a second service is not shown: it rests on fewer than "
            f"{policy.threshold} people."
        )
    return Blocks().markdown(
        f"**Time to the second service.** Of the **{_count(policy, n)}** people seen by more "
        f"than one provider, half were referred to their second provider within "
        f"**{_days(summary['median'])}** days of their first referral (the middle half within "
        f"{_days(summary['lower_quartile'])} to {_days(summary['upper_quartile'])} days)."
    )


#: The outcome compared between people on one strand and on more than one.
_STRAND_OUTCOME = "wemwbs_change"


def _multi_strand(ev: Evaluation, policy: DisclosurePolicy) -> Blocks:
    if _STRAND_OUTCOME not in ev.episodes.columns or "strands" not in ev.episodes.columns:
        return Blocks()
    outcomes = multi_strand_outcomes(ev.episodes, _STRAND_OUTCOME)
    table = outcomes.assign(group=outcomes["group"].str.capitalize()).rename(
        columns={
            "group": "Supported on",
            "people": "People with a change",
            "mean": "Average WEMWBS change (points)",
        }
    )
    return (
        Blocks()
        .markdown(
            "**One strand or several.** The average change in wellbeing (WEMWBS, start to end) "
            "of people supported on more than one programme strand, against people on one; a "
            "person's change is the average over their episodes with one. A description, not "
            "an estimate of the effect of joining more strands: the two groups may differ in "
            "need."
        )
        .table(
            table.set_index("Supported on"),
            caption="Wellbeing change of people on one strand and on more than one (people)",
            policy=policy,
            count_columns=["People with a change"],
            derived_columns={"Average WEMWBS change (points)": "People with a change"},
            secondary="rows",
            formats={"Average WEMWBS change (points)": "{:.1f}"},
        )
    )


def _single_point(ev: Evaluation, policy: DisclosurePolicy, sources: Sequence[str]) -> Blocks:
    if not sources:
        return Blocks().markdown(
            "No single point of access is set for this evaluation (`linkage: "
            "single_point_sources:` in evaluation.yml), so referrals that bypassed it are not "
            "counted."
        )
    names = ", ".join(label_values(pd.Series(list(sources)), "referral_source").tolist())
    quarters = bypass_by_quarter(ev.episodes, sources)
    total = quarters.iloc[-1]
    if share_withheld(total["bypassed"], total["referrals"], policy.threshold):
        sentence = (
            f"The share of referrals that bypassed the single point of access ({names}) is not "
            "shown: it rests on small numbers."
        )
    else:
        share = value_text(total["bypass_share"])
        sentence = (
            f"**{_count(policy, total['bypassed'])}** of **{_count(policy, total['referrals'])}"
            f"** referrals (**{share}**) came directly from another referrer, not through the "
            f"single point of access ({names})."
        )
    shown = quarters.assign(
        period=[period_label(p) if p is not None else "Total" for p in quarters["period"]],
        bypass_share=100 * quarters["bypass_share"],
    ).rename(
        columns={
            "period": "Quarter",
            "referrals": "Referrals",
            "through": "Through the single point",
            "bypassed": "Bypassed it",
            "bypass_share": "% bypassed",
        }
    )
    referrers = bypass_by_referrer(ev.episodes, sources)
    by_referrer = pd.DataFrame(
        {
            "Who referred": label_values(
                pd.Series(referrers["referral_source"], dtype=object), "referral_source"
            )
            .fillna(NOT_RECORDED)
            .to_list(),
            "Referrals": referrers["bypassed"].to_list(),
        }
    )
    return (
        Blocks()
        .markdown(sentence)
        .table(
            shown.set_index("Quarter"),
            caption="Referrals through the single point of access and around it, by quarter "
            "(referrals, not people)",
            policy=policy,
            count_columns=["Referrals", "Through the single point", "Bypassed it"],
            shares={"% bypassed": ("Bypassed it", "Referrals")},
            secondary="rows",
            formats={"% bypassed": _PERCENT},
        )
        .table(
            by_referrer.set_index("Who referred"),
            caption="Referrals that bypassed the single point of access, by who referred",
            policy=policy,
            count_columns=["Referrals"],
        )
    )


def journeys(ev: Evaluation) -> Blocks:
    """People supported by more than one provider, referrals between providers within the
    window, the time to the second service, the wellbeing change of people on one strand and on
    more than one, and referrals that bypassed the single point of access; records the people
    supported by more than one provider."""
    policy = ev.config.disclosure
    settings = linkage_settings(ev.config)
    blocks = _people_section(ev, policy)
    for part in (
        _between_providers(ev, policy, int(settings["journey_window_days"])),
        _second_service(ev, policy),
        _multi_strand(ev, policy),
        _single_point(ev, policy, settings["single_point_sources"]),
    ):
        blocks.extend(part)
    if ev.site != "all":
        blocks.markdown(
            f"This report is for the {ev.site} site: a person's referrals at other sites are not "
            "counted here."
        )
    return blocks
