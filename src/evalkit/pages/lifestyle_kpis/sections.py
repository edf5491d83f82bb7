"""The sections of the lifestyle KPI page (03), display-ready, in the order the page reads.

Each section takes the :class:`~evalkit.data.evaluation.Evaluation` of the report and returns
:class:`~evalkit.present.blocks.Blocks` (sentences, tables through the disclosure policy and
figures with alt text), recording the page's key figures with
:func:`evalkit.present.keyfigures.record` on the way. The KPI tables every section reads are
computed once by :func:`kpi_tables` (a notebook passes them on; a section given none computes
its own). The scorecard logic is :mod:`evalkit.pages.lifestyle_kpis.scorecard` and the
lifestyle sections are declared in :mod:`evalkit.pages.lifestyle_kpis.indicators`; this module
only decides what the reader sees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from evalkit.data.evaluation import Evaluation
from evalkit.disclosure.suppression import rule_summary
from evalkit.errors import ConfigError
from evalkit.kpi import KpiDefinition, compute_kpis, load_kpis
from evalkit.pages.lifestyle_kpis.indicators import (
    LIFESTYLE_SECTIONS,
    LifestyleSection,
    indicator_definitions,
)
from evalkit.pages.lifestyle_kpis.scorecard import (
    TEXT_COLUMNS,
    disclose_kpis,
    funnel_comparison,
    kpi_matrix_text,
    kpi_text_table,
    kpis_to_date,
    outliers_text,
    rating_counts,
)
from evalkit.present.blocks import Blocks
from evalkit.present.figures import alt_text, funnel_plot
from evalkit.present.keyfigures import FigureText, record
from evalkit.present.labels import period_label
from evalkit.present.report_figures import trend_plot
from evalkit.present.wording import count_text, interval_text, value_text

__all__ = [
    "KEY_FIGURES",
    "KpiTables",
    "kpi_scorecard",
    "kpi_tables",
    "kpi_trend",
    "kpis_by_provider_and_site",
    "lifestyle_outcome",
    "scope",
]

#: Lifestyle indicators recorded as key figures (KPI id -> key), as percentages to date.
KEY_FIGURES: Mapping[str, str] = {
    "quit_4wk_co": "quit_4wk_co_rate",
    "co_validation": "co_validation_rate",
    "weight_loss_5pct": "weight_loss_5pct_rate",
    "became_more_active": "became_more_active_rate",
}
_CHANGE = "Change since previous quarter"
#: Columns of a table with no previous quarter (to date, or a single quarter).
_NO_CHANGE_COLUMNS = [c for c in TEXT_COLUMNS if c != _CHANGE]


@dataclass(frozen=True)
class KpiTables:
    """The KPI tables of a report, small numbers already withheld (:func:`kpi_tables`).

    Attributes
    ----------
    definitions : list of KpiDefinition
        The evaluation's KPIs plus the lifestyle sections' indicators
        (:func:`~evalkit.pages.lifestyle_kpis.indicators.indicator_definitions`).
    scorecard_ids : list of str
        Ids of the evaluation's own KPIs, the ones the scorecard rates.
    quarterly : DataFrame
        :func:`~evalkit.pages.lifestyle_kpis.scorecard.disclose_kpis` of every KPI by quarter
        of referral, up to the report period.
    to_date : DataFrame
        The same over all quarters to date
        (:func:`~evalkit.pages.lifestyle_kpis.scorecard.kpis_to_date`).
    has_trend : bool
        Whether referrals span more than one quarter (so there is a trend to show).
    """

    definitions: list[KpiDefinition]
    scorecard_ids: list[str]
    quarterly: pd.DataFrame
    to_date: pd.DataFrame
    has_trend: bool


def kpi_tables(ev: Evaluation) -> KpiTables:
    """Every KPI of the report by quarter and to date, with small numbers withheld.

    Parameters
    ----------
    ev : evalkit.data.evaluation.Evaluation

    Returns
    -------
    KpiTables
        The quarters are the configured periods up to the report period and every period
        with referrals; withholding and rounding follow ``ev.config.disclosure``.
    """
    episodes = ev.episodes
    policy = ev.config.disclosure
    definitions = indicator_definitions(ev.config.kpis)
    quarters = sorted(
        {p for p in ev.config.periods if p <= ev.period} | set(episodes["period"].dropna())
    )
    quarterly = compute_kpis(episodes, definitions, periods=quarters)
    return KpiTables(
        definitions=definitions,
        scorecard_ids=[k.id for k in load_kpis(ev.config.kpis)],
        quarterly=disclose_kpis(quarterly, policy.threshold, round_to=policy.round_to),
        to_date=disclose_kpis(
            kpis_to_date(episodes, definitions), policy.threshold, round_to=policy.round_to
        ),
        has_trend=episodes["period"].nunique() > 1,
    )


def _levels(ev: Evaluation) -> tuple[str, ...]:
    """The levels units are compared at: providers, and sites for the whole service."""
    return ("provider", "site") if ev.site == "all" else ("provider",)


def _lifestyle_section(key: str) -> LifestyleSection:
    for section in LIFESTYLE_SECTIONS:
        if section.key == key:
            return section
    raise ConfigError(
        f"no lifestyle section '{key}'; the sections are "
        f"{[section.key for section in LIFESTYLE_SECTIONS]}."
    )


def _shown(row: pd.Series) -> bool:
    return bool(row["shown"]) and pd.notna(row["value"])


def _headline_by_quarter(kpis: KpiTables, section: LifestyleSection, head: pd.Series) -> Blocks:
    """The section's headline quarter by quarter, with its CI and target (a trend plot)."""
    quarterly = kpis.quarterly
    trend = quarterly[(quarterly["level"] == "service") & (quarterly["kpi_id"] == section.headline)]
    if trend["value"].notna().sum() < 2:
        return Blocks().markdown(
            "Too few people in each quarter to show this result quarter by quarter."
        )
    fig, alt = trend_plot(
        trend.assign(quarter=[period_label(p) for p in trend["period"]]),
        "quarter",
        "value",
        "ci_lower",
        "ci_upper",
        kind=head["kpi_unit"],
        value_label=section.short_label,
        axis_label=section.short_label,
        target=head["target"] if pd.notna(head["target"]) else None,
    )
    return Blocks().figure(
        fig,
        alt=alt,
        caption=f"{head['title']}, by quarter of referral, with 95% confidence intervals",
    )


def _funnels(ev: Evaluation, kpis: KpiTables, section: LifestyleSection) -> Blocks:
    """Funnel plots of the section's funnel KPI by provider (and site), with the outliers."""
    to_date, blocks = kpis.to_date, Blocks()
    for level in _levels(ev):
        units = to_date[(to_date["level"] == level) & (to_date["kpi_id"] == section.funnel)]
        comparison = funnel_comparison(units)
        if comparison.points["value"].notna().sum() < 2:
            blocks.markdown(
                f"A funnel plot needs at least two {level}s with enough people to show; there "
                "are fewer here."
            )
            continue
        fig = funnel_plot(comparison.points, comparison.limits, value_label=section.short_label)
        blocks.figure(
            fig,
            alt=alt_text(fig),
            caption=f"Funnel plot: {section.short_label} by {level}, all quarters to date, "
            f"against the {comparison.centre_label} of {value_text(comparison.centre)}",
        )
        blocks.markdown(outliers_text(comparison, level))
    return blocks


# --------------------------------------------------------------------------- page sections


def scope(ev: Evaluation) -> Blocks:
    """The report's scope and quarter, and how counts of people are rounded."""
    return Blocks().markdown(
        f"**Scope:** {ev.scope} ({period_label(ev.period)}). " + rule_summary(ev.config.disclosure)
    )


def kpi_scorecard(ev: Evaluation, kpis: KpiTables | None = None) -> Blocks:
    """The scorecard of the report quarter: ratings in a sentence and a table; records the
    numbers of green and red KPIs."""
    kpis = kpi_tables(ev) if kpis is None else kpis
    quarterly, quarter = kpis.quarterly, period_label(ev.period)
    card = quarterly[
        (quarterly["level"] == "service")
        & (quarterly["period"] == ev.period)
        & quarterly["kpi_id"].isin(kpis.scorecard_ids)
    ]
    ratings = rating_counts(card)
    record(
        "kpis_green",
        int(ratings["green"]),
        label=f"KPIs meeting their target in {quarter}",
        unit="KPIs",
    )
    record(
        "kpis_red",
        int(ratings["red"]),
        label=f"KPIs clearly missing their target in {quarter}",
        unit="KPIs",
    )
    rated = int(ratings[["green", "amber", "red"]].sum())
    not_shown = (
        f" {ratings['not_shown']} rest on too few people to show." if ratings["not_shown"] else ""
    )
    columns = TEXT_COLUMNS if kpis.has_trend else _NO_CHANGE_COLUMNS
    return (
        Blocks()
        .markdown(
            f"For people referred in **{quarter}**, {rated} KPIs have a target and enough people "
            f"to rate: **{ratings['green']} green**, **{ratings['amber']} amber** and "
            f"**{ratings['red']} red**.{not_shown}"
        )
        .table(
            kpi_text_table(card, definitions=kpis.definitions, columns=columns).rename_axis("KPI"),
            caption=f"KPI scorecard for people referred in {quarter} ({ev.scope.split(',')[0]})",
            policy=ev.config.disclosure,
            count_columns=["Based on (people)"],
            secondary="rows",
        )
    )


def kpi_trend(ev: Evaluation, kpis: KpiTables | None = None) -> Blocks:
    """Each KPI quarter by quarter with its rating, or why there is no trend yet."""
    kpis = kpi_tables(ev) if kpis is None else kpis
    if not kpis.has_trend:
        return Blocks().markdown(
            f"Only one quarter ({period_label(ev.period)}) has referrals so far, so there is no "
            "trend across quarters or change from a previous quarter to show yet."
        )
    quarterly = kpis.quarterly
    trend = quarterly[
        (quarterly["level"] == "service") & quarterly["kpi_id"].isin(kpis.scorecard_ids)
    ]
    return Blocks().table(
        kpi_matrix_text(trend, columns="period").rename_axis("KPI"),
        caption="KPI results by quarter of referral, with ratings",
        policy=ev.config.disclosure,
        rounded=False,
        count_columns=[],
    )


def kpis_by_provider_and_site(ev: Evaluation, kpis: KpiTables | None = None) -> Blocks:
    """The scorecard KPIs for each provider (and, for the whole service, each site), to date."""
    kpis = kpi_tables(ev) if kpis is None else kpis
    to_date, blocks = kpis.to_date, Blocks()
    for level in _levels(ev):
        rows = to_date[(to_date["level"] == level) & to_date["kpi_id"].isin(kpis.scorecard_ids)]
        if rows["unit_name"].nunique() < 2:
            blocks.markdown(
                f"Only one {level} is in scope, so there is nothing to compare it with."
            )
            continue
        blocks.table(
            kpi_matrix_text(rows).rename_axis("KPI"),
            caption=f"KPI results and ratings by {level}, all quarters to date",
            policy=ev.config.disclosure,
            rounded=False,
            count_columns=[],
        )
    return blocks


def lifestyle_outcome(ev: Evaluation, key: str, kpis: KpiTables | None = None) -> Blocks:
    """One lifestyle section (``key`` of :data:`~evalkit.pages.lifestyle_kpis.indicators.
    LIFESTYLE_SECTIONS`): its indicators to date, the headline by quarter and the funnel plots;
    records the section's :data:`KEY_FIGURES`."""
    kpis = kpi_tables(ev) if kpis is None else kpis
    section, policy = _lifestyle_section(key), ev.config.disclosure
    service = kpis.to_date[kpis.to_date["level"] == "service"].set_index("kpi_id")
    rows = service.loc[list(section.indicators)].reset_index()
    recorded: dict[str, FigureText] = {}
    for _, row in rows[rows["kpi_id"].isin(list(KEY_FIGURES))].iterrows():
        shown = _shown(row)
        recorded[row["kpi_id"]] = record(
            KEY_FIGURES[row["kpi_id"]],
            100 * row["value"] if shown else None,
            label=f"{row['title']} (all quarters to date)",
            unit="%",
            n=int(row["denominator"]),
            ci=(100 * row["ci_lower"], 100 * row["ci_upper"]) if shown else None,
        ).text(policy)
    head = rows.iloc[0]
    blocks = Blocks().markdown(section.explanation)
    if _shown(head):
        people = count_text(
            head["denominator"], threshold=policy.threshold, round_to=policy.round_to
        )
        figure = recorded.get(head["kpi_id"])
        value, interval = (
            (figure.value, figure.ci)
            if figure is not None  # a key figure reads as on the index and the summary
            else (
                value_text(head["value"], head["kpi_unit"]),
                interval_text(head["ci_lower"], head["ci_upper"], head["kpi_unit"]),
            )
        )
        blocks.markdown(
            f"**{head['title']}: {value}** (95% CI {interval}), based "
            f"on {people} people across all quarters to date."
        )
    else:
        blocks.markdown(
            f"{head['title']}: not shown, because it rests on small numbers or no one has this "
            "outcome recorded yet."
        )
    blocks.table(
        kpi_text_table(rows, definitions=kpis.definitions, columns=_NO_CHANGE_COLUMNS).rename_axis(
            "Indicator"
        ),
        caption=f"{section.title}: all quarters to date",
        policy=policy,
        count_columns=["Based on (people)"],
        secondary="rows",
    )
    if kpis.has_trend:
        blocks.extend(_headline_by_quarter(kpis, section, head))
    if section.funnel:
        blocks.extend(_funnels(ev, kpis, section))
    return blocks
