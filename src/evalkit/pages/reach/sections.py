"""The sections of the reach and equity page (01), display-ready, in the order the page reads.

Each section takes the :class:`~evalkit.data.evaluation.Evaluation` of the report and returns
:class:`~evalkit.present.blocks.Blocks` (sentences, tables through the disclosure policy and
figures with alt text), recording the page's key figures with
:func:`evalkit.present.keyfigures.record` on the way. The counts and shares come from
:mod:`evalkit.pages.reach.referrals`, :mod:`evalkit.pages.reach.gradients` and
:mod:`evalkit.equity.deprivation`; this module only decides what the reader sees.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from evalkit.config import DisclosurePolicy
from evalkit.data.evaluation import Evaluation
from evalkit.data.persons import people_count
from evalkit.disclosure.suppression import (
    PERCENT_DECIMALS,
    rule_summary,
    share_withheld,
    suppress,
)
from evalkit.equity.deprivation import most_deprived_share, reach_by_imd_quintile
from evalkit.pages.reach.gradients import gradient_text_table, outcome_gradients
from evalkit.pages.reach.referrals import (
    BREAKDOWN_COLUMNS,
    referral_profile,
    referral_trend,
    referrals_by,
    target_share,
)
from evalkit.present.blocks import Blocks
from evalkit.present.keyfigures import record
from evalkit.present.labels import label_values, period_label
from evalkit.present.report_figures import population_comparison_plot, trend_plot
from evalkit.present.wording import count_text, interval_text, p_value_text, rag_text, value_text

__all__ = [
    "BREAKDOWN_CAPTIONS",
    "SII_SEED",
    "deprivation_target",
    "most_deprived_shares",
    "outcome_gaps_by_deprivation",
    "quarter_by_quarter",
    "reach_by_deprivation",
    "referrals_and_starts",
    "scope",
    "who_is_referred",
]

#: Caption of the table of each of the :data:`~evalkit.pages.reach.referrals.BREAKDOWN_COLUMNS`
#: (the site breakdown is left out of a report for one site).
BREAKDOWN_CAPTIONS: Mapping[str, str] = {
    "provider": "Referrals and starts by provider",
    "site": "Referrals and starts by site",
    "strands": "Referrals and starts by programme strand (a person can join more than one "
    "strand, so the strands add up to more than the total)",
    "referral_source": "Referrals and starts by who referred the person",
    "delivery_mode": "Referrals and starts by how support was delivered",
}
#: Seed of the simulated confidence intervals of the SII, so the page reads the same each run.
SII_SEED = 20260101

_PERCENT = f"{{:.{PERCENT_DECIMALS}f}}%"
#: Decimal places of a reach ratio (in its table, its sentence and its key figure).
_RATIO_DECIMALS = 2
#: Columns of :func:`~evalkit.pages.reach.referrals.referrals_by` as the start tables show them.
_START_COLUMNS = {
    "referrals": "Referrals",
    "started": "Started",
    "not_started": "Did not start",
    "start_rate": "% started",
    "start_ci_lower": "CI lower %",
    "start_ci_upper": "CI upper %",
}
_START_COUNTS = ["Referrals", "Started", "Did not start"]
#: The start rate is a share of people: hidden with either count, or when the people who did or
#: did not start are few (docs/disclosure.md).
_START_SHARES = {c: ("Started", "Referrals") for c in ("% started", "CI lower %", "CI upper %")}
_START_FORMATS = {"% started": _PERCENT, "CI lower %": _PERCENT, "CI upper %": _PERCENT}
#: Columns of the table of the people referred.
_PROFILE_COLUMNS = [
    "Referrals",
    "% of referrals",
    "Started",
    "Did not start",
    "% started",
    "CI lower %",
    "CI upper %",
]
#: Columns of :func:`~evalkit.equity.deprivation.reach_by_imd_quintile` resting on its counts.
_REACH_DERIVED = (
    "share",
    "share_ci_lower",
    "share_ci_upper",
    "ratio",
    "ratio_ci_lower",
    "ratio_ci_upper",
)


def _people(policy: DisclosurePolicy, n: float) -> str:
    """A count of people for a sentence, as the tables show it (small ones hidden, rounded)."""
    return count_text(n, threshold=policy.threshold, round_to=policy.round_to)


def _percent(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` with the proportions in ``columns`` as percentages."""
    return frame.assign(**{c: 100 * frame[c] for c in columns})


def _referral_table(table: pd.DataFrame, index_name: str) -> pd.DataFrame:
    """A :func:`~evalkit.pages.reach.referrals.referrals_by` table as the page shows it."""
    shown = _percent(table, ("start_rate", "start_ci_lower", "start_ci_upper"))
    return shown.rename(columns=_START_COLUMNS | {"label": index_name}).set_index(index_name)[
        list(_START_COLUMNS.values())
    ]


# --------------------------------------------------------------------------- page sections


def scope(ev: Evaluation) -> Blocks:
    """The report's scope and quarter, and how counts of people are rounded and withheld."""
    policy = ev.config.disclosure
    return Blocks().markdown(
        f"**Scope:** {ev.scope} ({period_label(ev.period)}). " + rule_summary(policy)
    )


def referrals_and_starts(ev: Evaluation) -> Blocks:
    """Referrals and starts overall and by each service characteristic; records the number of
    people referred (distinct ``person_id``), of referral episodes and the start rate.

    A person referred to two providers is one person and two referrals (docs/linkage.md): the
    sentence states both, and the tables count referrals.
    """
    policy = ev.config.disclosure
    breakdowns = [c for c in BREAKDOWN_COLUMNS if c != "site" or ev.site == "all"]
    tables = {column: referrals_by(ev.episodes, column) for column in breakdowns}
    overall = tables["provider"].iloc[-1]
    referred = int(overall["referrals"])
    people = people_count(ev.episodes)
    record(
        "people_referred",
        people,
        label="People referred to the service",
        unit="people",
        n=people,
    )
    record(
        "episodes",
        referred,
        label="Referral episodes (a person referred to two providers counts twice)",
        unit="episodes",
        n=referred,
    )
    started = int(overall["started"])
    start_rate = record(
        "start_rate",
        100 * overall["start_rate"]
        if not share_withheld(started, referred, policy.threshold)
        else None,
        label="Referrals who started the service",
        unit="%",
        n=referred,
        ci=(100 * overall["start_ci_lower"], 100 * overall["start_ci_upper"]),
    ).text(policy)
    rate = (
        f"**{start_rate.value}** of referrals (95% CI {start_rate.ci})"
        if start_rate.ci
        else "the share is not shown, as it rests on small numbers"
    )
    blocks = Blocks().markdown(
        f"**{_people(policy, people)}** people were referred, in "
        f"**{_people(policy, overall['referrals'])}** referral episodes (a person referred to "
        f"two providers is one person and two referrals); "
        f"**{_people(policy, overall['started'])}** referrals started: {rate}. The tables "
        "count referrals."
    )
    for column, table in tables.items():
        blocks.table(
            _referral_table(table, table["characteristic_label"].iat[0]),
            caption=BREAKDOWN_CAPTIONS[column],
            policy=policy,
            count_columns=_START_COUNTS,
            shares=_START_SHARES,
            formats=_START_FORMATS,
        )
    return blocks


def who_is_referred(ev: Evaluation) -> Blocks:
    """Referrals and starts by age, sex, ethnic group, disability and deprivation."""
    profile = _percent(
        referral_profile(ev.episodes), ("share", "start_rate", "start_ci_lower", "start_ci_upper")
    )
    names = {"characteristic_label": "Characteristic", "label": "Group", "share": "% of referrals"}
    table = profile.rename(columns=_START_COLUMNS | names).set_index(["Characteristic", "Group"])
    return Blocks().table(
        table[_PROFILE_COLUMNS],
        caption="Referrals and starts by characteristics of the people referred",
        policy=ev.config.disclosure,
        count_columns=_START_COUNTS,
        derived_columns={"% of referrals": "Referrals"},
        shares=_START_SHARES,
        formats={"% of referrals": _PERCENT} | _START_FORMATS,
    )


def reach_by_deprivation(ev: Evaluation) -> Blocks:
    """Referrals against the local population by IMD quintile (a figure, the reach ratio of
    the most deprived quintile and a table); records that reach ratio."""
    policy = ev.config.disclosure
    imd = reach_by_imd_quintile(ev.episodes, ev.config.population_imd_quintile_share)
    withheld = suppress(
        imd,
        policy.threshold,
        count_columns=["episodes"],
        derived_columns={c: "episodes" for c in _REACH_DERIVED},
    )
    fig, alt = population_comparison_plot(withheld)
    blocks = Blocks().figure(
        fig,
        alt=alt,
        caption="Share of referrals and of the local population in each IMD quintile "
        "(1 = most deprived), with 95% confidence intervals",
    )
    chi = imd.attrs["chi_square"]
    q1 = withheld.iloc[0]
    if q1.notna()["ratio"]:
        ratio = record(
            "reach_ratio_q1",
            float(q1["ratio"]),
            label="Reach ratio in the most deprived quintile (share of referrals / share of "
            "residents)",
            n=int(imd["episodes"].sum()),
            ci=(float(q1["ratio_ci_lower"]), float(q1["ratio_ci_upper"])),
            decimals=_RATIO_DECIMALS,
        ).text(policy)
        if chi["p_value"] < 0.05:
            test = (
                "The pattern of referrals across quintiles differs from the population's by "
                f"more than chance would explain (chi-square test, p "
                f"{p_value_text(chi['p_value'])})."
            )
        else:
            test = (
                "The pattern of referrals across quintiles is not clearly different from the "
                f"population's (chi-square test, p = {p_value_text(chi['p_value'])})."
            )
        blocks.markdown(
            f"People from IMD quintile 1 made up **{value_text(q1['share'])}** of referrals "
            f"(95% CI {interval_text(q1['share_ci_lower'], q1['share_ci_upper'])}) against "
            f"**{value_text(q1['population_share'])}** of local residents: a reach ratio of "
            f"**{ratio.value}** (95% CI {ratio.ci}). {test}"
        )
    if imd.attrs["imd_not_recorded"]:
        blocks.markdown(
            f"{_people(policy, imd.attrs['imd_not_recorded'])} referrals have no IMD recorded "
            "and are not in these shares."
        )
    table = _percent(
        imd.assign(quintile=label_values(imd["quintile"], "imd_quintile")),
        ("share", "share_ci_lower", "share_ci_upper", "population_share"),
    )
    columns = {
        "quintile": "IMD quintile",
        "episodes": "Referrals",
        "share": "% of referrals",
        "share_ci_lower": "CI lower %",
        "share_ci_upper": "CI upper %",
        "population_share": "% of local population",
        "ratio": "Reach ratio",
    }
    return blocks.table(
        table.rename(columns=columns).set_index("IMD quintile")[list(columns.values())[1:]],
        caption="Referrals by IMD quintile against the local population",
        policy=policy,
        count_columns=["Referrals"],
        derived_columns={
            c: "Referrals" for c in ("% of referrals", "CI lower %", "CI upper %", "Reach ratio")
        },
        formats={
            "% of referrals": _PERCENT,
            "CI lower %": _PERCENT,
            "CI upper %": _PERCENT,
            "% of local population": _PERCENT,
            "Reach ratio": f"{{:.{_RATIO_DECIMALS}f}}",
        },
    )


def deprivation_target(ev: Evaluation) -> Blocks:
    """The share of referrals from the target IMD quintiles against the service's target, with
    its rating; records the share (withheld when it rests on small numbers)."""
    policy = ev.config.disclosure
    goal = target_share(ev.episodes, ev.config.target_most_deprived).iloc[0]
    if share_withheld(goal["episodes"], goal["denominator"], policy.threshold):
        return Blocks().markdown(
            f"The share of referrals from {goal['description']} is not shown: it rests on small "
            "numbers."
        )
    share = record(
        "share_most_deprived",
        100 * goal["share"],
        label=f"Referrals from {goal['description']}",
        unit="%",
        n=int(goal["denominator"]),
        ci=(100 * goal["ci_lower"], 100 * goal["ci_upper"]),
    ).text(policy)
    return Blocks().markdown(
        f"**The service's target:** at least {value_text(goal['target'])} of referrals from "
        f"{goal['description']}. **{share.value}** came from there (95% CI "
        f"{share.ci}). **{rag_text(goal['rag'])}.** "
        "Green means the target is met; amber that it is missed but the confidence interval "
        "still includes it, so the gap could be chance; red that it is clearly missed."
    )


def most_deprived_shares(ev: Evaluation) -> Blocks:
    """The share of referrals from the most deprived 20%, 30% and 35% of neighbourhoods."""
    groups = most_deprived_share(ev.episodes)
    table = _percent(
        groups.assign(
            label="Most deprived " + groups["most_deprived_percent"].astype(str) + "%",
            other=groups["denominator"] - groups["episodes"],
        ),
        ("share", "ci_lower", "ci_upper"),
    )
    columns = {
        "label": "Group",
        "episodes": "Referrals from the group",
        "other": "Referrals from elsewhere",
        "share": "% of referrals",
        "ci_lower": "CI lower %",
        "ci_upper": "CI upper %",
    }
    group = "Referrals from the group"
    return Blocks().table(
        table.rename(columns=columns).set_index("Group")[list(columns.values())[1:]],
        caption="Share of referrals from the most deprived 20%, 30% and 35% of neighbourhoods",
        policy=ev.config.disclosure,
        count_columns=[group, "Referrals from elsewhere"],
        derived_columns={c: group for c in ("% of referrals", "CI lower %", "CI upper %")},
        secondary="rows",
        formats={"% of referrals": _PERCENT, "CI lower %": _PERCENT, "CI upper %": _PERCENT},
    )


def outcome_gaps_by_deprivation(ev: Evaluation) -> Blocks:
    """The gap in each main outcome between the least and most deprived areas (SII and RII);
    records the gap in wellbeing change."""
    policy = ev.config.disclosure
    gradients = outcome_gradients(ev.episodes, min_quintile_n=policy.threshold, seed=SII_SEED)
    wellbeing = gradients.set_index("outcome").loc["wemwbs_change"]
    if wellbeing.notna()["sii"]:
        record(
            "sii_wemwbs_change",
            float(wellbeing["sii"]),
            label="Gap in wellbeing change (WEMWBS points) between the least and most deprived "
            "ends (slope index of inequality)",
            unit="points",
            n=int(wellbeing["n"]),
            ci=(float(wellbeing["sii_lower"]), float(wellbeing["sii_upper"])),
        )
    return Blocks().table(
        gradient_text_table(gradients).rename_axis("Outcome"),
        caption="Gap in the main outcomes between the least and most deprived areas (slope and "
        "relative index of inequality, with 95% confidence intervals)",
        policy=policy,
        count_columns=["People"],
        secondary="rows",
    )


def quarter_by_quarter(ev: Evaluation) -> Blocks:
    """Referrals, and the share from the target IMD quintiles against the target, in each
    quarter; or why there is no trend yet."""
    policy, target = ev.config.disclosure, ev.config.target_most_deprived
    quarters = [p for p in ev.config.periods if p <= ev.period]
    trend = referral_trend(ev.episodes, quarters, quintiles=target["quintiles"])
    if (trend["referrals"] > 0).sum() < 2:
        return Blocks().markdown(
            f"Only one quarter ({period_label(ev.period)}) has referrals so far, so there is no "
            "trend to show yet; it will appear once a second quarter of data arrives."
        )
    goal = target_share(ev.episodes, target).iloc[0]
    withheld = suppress(
        trend.assign(elsewhere=trend["imd_recorded"] - trend["most_deprived"]),
        policy.threshold,
        count_columns=["referrals", "most_deprived", "elsewhere"],
        derived_columns={
            c: "most_deprived" for c in ("most_deprived_share", "ci_lower", "ci_upper")
        },
        secondary="rows",
        round_to=policy.round_to,
    )
    fig, alt = trend_plot(
        withheld, "period_label", "referrals", kind="count", value_label="Referrals"
    )
    blocks = Blocks().figure(fig, alt=alt, caption="Referrals received in each quarter")
    fig, alt = trend_plot(
        withheld,
        "period_label",
        "most_deprived_share",
        "ci_lower",
        "ci_upper",
        value_label=f"Referrals from {goal['description']}",
        axis_label="Share of referrals",
        target=goal["target"],
    )
    return blocks.figure(
        fig,
        alt=alt,
        caption=f"Share of referrals from {goal['description']} in each quarter, with 95% "
        "confidence intervals and the service's target",
    )
