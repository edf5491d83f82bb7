"""The "KPIs over time" section of the lifestyle KPI page (03): SPC charts over the contract.

Every KPI of the evaluation is computed for each month (and quarter) of referral from the
start of the contract (or of the first configured period) to the end of the report period
(:func:`evalkit.kpi.kpi_series`), months resting on too few people are withheld
(:func:`evalkit.present.spc_charts.plotted_series`), and each month's series is judged by the
Making Data Count rules (:func:`evalkit.kpi.kpi_spc`), with new limits from each change point
declared in ``contract.change_points``. The section says where in the contract the report
sits, summarises each KPI's variation and assurance in a table, and draws one chart per KPI.

:func:`kpi_series_tables` computes what this section and the exception report
(:mod:`evalkit.pages.lifestyle_kpis.exceptions`) share.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from evalkit.data.contract import contract_milestones, period_end
from evalkit.data.evaluation import Evaluation
from evalkit.kpi import KpiDefinition, kpi_series, kpi_spc, kpi_spc_summary, load_kpis
from evalkit.kpi.series import series_periods
from evalkit.present.blocks import Blocks
from evalkit.present.contract_text import contract_position_text
from evalkit.present.keyfigures import record
from evalkit.present.labels import date_text
from evalkit.present.spc_charts import (
    ASSURANCE_TEXT,
    VARIATION_TEXT,
    feasible_limits,
    period_text,
    plotted_series,
    spc_chart,
)
from evalkit.present.wording import value_text

__all__ = ["KpiSeriesTables", "kpi_series_tables", "kpis_over_time"]

#: Fewest plotted months for a KPI to be charted (fewer cannot show a pattern).
MIN_POINTS_TO_CHART = 6


@dataclass(frozen=True)
class KpiSeriesTables:
    """The KPIs over time for a report (:func:`kpi_series_tables`).

    Attributes
    ----------
    definitions : list of KpiDefinition
        The evaluation's KPIs (the scorecard's).
    monthly, quarterly : DataFrame
        :func:`evalkit.kpi.kpi_series` by month and by quarter, small numbers withheld
        (:func:`evalkit.present.spc_charts.plotted_series`).
    spc_monthly, spc_quarterly : DataFrame
        :func:`evalkit.kpi.kpi_spc` of each.
    summary_monthly, summary_quarterly : DataFrame
        :func:`evalkit.kpi.kpi_spc_summary` of each.
    milestones : DataFrame or None
        :func:`evalkit.data.contract.contract_milestones`, when a contract is declared.
    report_months : list of str
        The months of the report period (``YYYY-MM``).
    """

    definitions: list[KpiDefinition]
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    spc_monthly: pd.DataFrame
    spc_quarterly: pd.DataFrame
    summary_monthly: pd.DataFrame
    summary_quarterly: pd.DataFrame
    milestones: pd.DataFrame | None
    report_months: list[str]


def _series_start(ev: Evaluation) -> pd.Timestamp | None:
    """The contract's start, else the first configured period's, else the first referral."""
    contract = ev.config.contract
    if contract is not None:
        return pd.Timestamp(contract.start)
    if ev.config.periods:
        return pd.Period(ev.config.periods[0].replace("-Q", "Q"), freq="Q").start_time
    first = pd.to_datetime(ev.episodes["referral_date"]).min()
    return None if pd.isna(first) else first


def kpi_series_tables(ev: Evaluation) -> KpiSeriesTables:
    """Every KPI of the report by month and quarter of referral, withheld, judged by SPC.

    Parameters
    ----------
    ev : evalkit.data.evaluation.Evaluation

    Returns
    -------
    KpiSeriesTables
    """
    definitions = load_kpis(ev.config.kpis)
    contract = ev.config.contract
    change_points = [c.date for c in contract.change_points] if contract is not None else []
    start, end = _series_start(ev), pd.Timestamp(period_end(ev.period))
    if start is not None and start > end:  # a report for a period before the contract
        start = None
    policy = ev.config.disclosure
    tables = {}
    for freq in ("month", "quarter"):
        series = plotted_series(
            kpi_series(ev.episodes, definitions, freq=freq, start=start, end=end), policy
        )
        spc = kpi_spc(series, definitions, change_points=change_points)
        tables[freq] = (series, spc, kpi_spc_summary(spc))
    quarter = pd.Period(ev.period.replace("-Q", "Q"), freq="Q")
    return KpiSeriesTables(
        definitions=definitions,
        monthly=tables["month"][0],
        quarterly=tables["quarter"][0],
        spc_monthly=tables["month"][1],
        spc_quarterly=tables["quarter"][1],
        summary_monthly=tables["month"][2],
        summary_quarterly=tables["quarter"][2],
        milestones=None if contract is None else contract_milestones(contract),
        report_months=series_periods(quarter.start_time, quarter.end_time, "month"),
    )


def _icon_text(value: object, words: dict[str, str] | object) -> str:
    if not isinstance(value, str) or value == "nan":
        return "not available"
    return str(words.get(value, value)) if isinstance(words, dict) else value


def _summary_table(tables: KpiSeriesTables) -> pd.DataFrame:
    quarterly = tables.summary_quarterly.set_index("kpi_id")
    rows = {}
    for row in tables.summary_monthly.itertuples(index=False):
        kind = str(row.kpi_unit)
        if pd.notna(row.lower_limit):
            low, high = feasible_limits(row.lower_limit, row.upper_limit, kind)
            limits = f"{value_text(low, kind)} to {value_text(high, kind)}"
        else:
            limits = "not available"
        if bool(row.trial_limits) and pd.notna(row.lower_limit):
            limits += " (trial)"
        by_quarter = (
            quarterly.loc[row.kpi_id, "variation"] if row.kpi_id in quarterly.index else None
        )
        rows[str(row.title)] = {
            "Months plotted": f"{row.n_points}",
            "Mean": value_text(row.mean, kind),
            "Process limits": limits,
            "Latest month": _icon_text(row.variation, dict(VARIATION_TEXT)),
            "Assurance against target": _icon_text(row.assurance, dict(ASSURANCE_TEXT)),
            "Quarter by quarter": _icon_text(by_quarter, dict(VARIATION_TEXT)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def kpis_over_time(ev: Evaluation, tables: KpiSeriesTables | None = None) -> Blocks:
    """Where the report sits in the contract, each KPI's SPC icons in a table, and its chart;
    records the number of KPIs showing a special-cause concern in their latest month."""
    tables = kpi_series_tables(ev) if tables is None else tables
    blocks = Blocks().markdown("## KPIs over time: real change or noise?")
    blocks.markdown(contract_position_text(ev.config.contract, ev.period))
    summary = tables.summary_monthly
    if summary.empty:
        return blocks.markdown("There are no KPI values to chart yet.")
    concerns = summary[summary["variation"].astype(str).str.startswith("concern")]
    record(
        "kpis_special_cause_concern",
        len(concerns),
        label=f"KPIs whose latest month ({period_text(tables.report_months[-1])}) shows a "
        "special-cause concern",
        unit="KPIs",
    )
    blocks.markdown(
        f"Each KPI is shown month by month, by month of referral, from "
        f"{period_text(str(tables.monthly['period'].iloc[0]))} to "
        f"{date_text(period_end(ev.period))}, as a statistical process control (SPC) chart: "
        "the mean, "
        "the process limits within which the figure normally varies, and special-cause "
        "points marked by shape (a square for an improvement, a diamond for a concern) as "
        f"well as colour. **{len(concerns)}** of {len(summary)} KPIs show a special-cause "
        "concern in the latest month. Months resting on fewer than "
        f"{ev.config.disclosure.threshold} people are not plotted. docs/spc.md explains how "
        "to read the charts."
    )
    blocks.table(
        _summary_table(tables).rename_axis("KPI"),
        caption="Each KPI's variation and assurance, judged month by month (Making Data Count)",
        policy=None,
        count_columns=[],
    )
    skipped = []
    for row in summary.itertuples(index=False):
        chart = tables.spc_monthly[tables.spc_monthly["kpi_id"] == row.kpi_id]
        if int(row.n_points) < MIN_POINTS_TO_CHART:
            skipped.append(str(row.title))
            continue
        fig, alt = spc_chart(chart, milestones=tables.milestones)
        blocks.figure(fig, alt, caption=f"{row.title}: SPC chart by month of referral")
    if skipped:
        blocks.markdown(
            f"Not charted, because fewer than {MIN_POINTS_TO_CHART} months rest on enough "
            f"people: {'; '.join(skipped)}."
        )
    return blocks
