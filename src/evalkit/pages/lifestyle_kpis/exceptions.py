"""The exception report of the lifestyle KPI page (03): what should have happened, and didn't.

For every KPI off target in the report quarter (rated amber or red) or showing a special-cause
concern in one of its months (:func:`evalkit.kpi.exception_report`), the section says what
should have happened (the target), what happened (the value, its 95% CI, the rating and the
SPC signal), why (the CMOCs whose outcome or context concern the KPI, with their qualitative
evidence and quantitative pattern from the realist page, and the evaluator's explanation from
``exceptions.yml``) and what happens next (the evaluator's actions, owners and dates). An
exception with no explanation in the file says "to be explained"; nothing is invented.
"""

from __future__ import annotations

import pandas as pd

from evalkit.data.evaluation import Evaluation
from evalkit.kpi import TO_BE_EXPLAINED, exception_report, kpi_cmocs, load_exceptions
from evalkit.kpi.exceptions import EXCEPTIONS_FILE
from evalkit.pages.lifestyle_kpis.sections import KpiTables, kpi_tables
from evalkit.pages.lifestyle_kpis.series import KpiSeriesTables, kpi_series_tables
from evalkit.pages.realist_synthesis import realist_analysis
from evalkit.present.blocks import Blocks
from evalkit.present.keyfigures import record
from evalkit.present.labels import date_text, period_label
from evalkit.present.spc_charts import VARIATION_TEXT, period_text, periods_runs
from evalkit.present.wording import interval_text, rag_text, value_text

__all__ = ["exception_rows", "kpi_exceptions"]

_RULE_WORDS = {
    "outside_limits": "a month outside the process limits",
    "trend": "a trend of 7 or more months",
    "two_of_three": "two of three months near a limit",
    "one_side_run": "a run of 7 or more months on one side of the mean",
}


def exception_rows(
    ev: Evaluation, kpis: KpiTables | None = None, series: KpiSeriesTables | None = None
) -> pd.DataFrame:
    """The report's exceptions (:func:`evalkit.kpi.exception_report`) from its KPI tables.

    The report quarter's service-level scorecard rows give the value, CI and rating; a special
    cause counts when it falls in one of the quarter's months; the evaluator's file is
    ``exceptions.yml`` beside ``evaluation.yml``.
    """
    kpis = kpi_tables(ev) if kpis is None else kpis
    series = kpi_series_tables(ev) if series is None else series
    quarterly = kpis.quarterly
    current = quarterly[
        (quarterly["level"] == "service")
        & (quarterly["period"] == ev.period)
        & quarterly["kpi_id"].isin(kpis.scorecard_ids)
    ]
    cmocs = ev.qual.get("cmocs", pd.DataFrame(columns=["cmoc_id"]))
    return exception_report(
        current,
        series.spc_monthly,
        load_exceptions(ev.config.root / EXCEPTIONS_FILE, kpis.scorecard_ids),
        summary=series.summary_monthly,
        cmoc_links=kpi_cmocs(cmocs, series.definitions),
        signal_periods=series.report_months,
    )


def _signal_text(row: pd.Series) -> str:
    if not row["special_cause"]:
        variation = row["variation"]
        words = VARIATION_TEXT.get(str(variation), "not available")
        return f"no special cause in the quarter's months; latest month: {words}"
    rules = ", ".join(_RULE_WORDS.get(r, r) for r in row["signal_rules"])
    runs = "; ".join(
        period_text(run[0]) if len(run) == 1 else f"{period_text(run[0])} to {period_text(run[-1])}"
        for run in periods_runs(list(row["signal_periods"]))
    )
    return f"special-cause {row['signal_type']} in {runs} ({rules})"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _cmoc_lines(row: pd.Series, comparison: pd.DataFrame | None) -> list[str]:
    if not row["cmoc_ids"]:
        return ["No CMOC's outcome or context concerns this KPI."]
    lines = []
    table = comparison.set_index("cmoc_id") if comparison is not None else pd.DataFrame()
    for cmoc_id in row["cmoc_ids"]:
        if cmoc_id not in table.index:
            lines.append(f"{cmoc_id}: no evidence in scope for this report.")
            continue
        cmoc = table.loc[cmoc_id]
        sources = int(cmoc["n_sources"]) if pd.notna(cmoc["n_sources"]) else 0
        sites = int(cmoc["n_sites"]) if pd.notna(cmoc["n_sites"]) else 0
        lines.append(
            f"{cmoc_id} ({cmoc['programme_theory']}): {sources} qualitative source"
            f"{'s' if sources != 1 else ''} across {sites} site{'s' if sites != 1 else ''}; "
            f"in the numbers, {_lower_first(str(cmoc['pattern_text']).rstrip('.'))}. "
            "Evaluator's status: "
            f"{cmoc['status']}."
        )
    return lines


def kpi_exceptions(
    ev: Evaluation, kpis: KpiTables | None = None, series: KpiSeriesTables | None = None
) -> Blocks:
    """The exception report: a table of the exceptions, then each one in full; records how
    many exceptions there are and how many are still to be explained."""
    rows = exception_rows(ev, kpis, series)
    quarter = period_label(ev.period)
    blocks = Blocks().markdown("## Exception report: what should have happened, and didn't")
    unexplained = int((~rows["explained"]).sum()) if len(rows) else 0
    record("kpi_exceptions", len(rows), label=f"KPI exceptions in {quarter}", unit="KPIs")
    record(
        "kpi_exceptions_unexplained",
        unexplained,
        label=f"KPI exceptions in {quarter} still to be explained",
        unit="KPIs",
    )
    if rows.empty:
        return blocks.markdown(
            f"No KPI is off target in {quarter} or shows a special-cause concern in its months."
        )
    blocks.markdown(
        f"**{len(rows)}** KPIs are exceptions in {quarter}: off target (rated amber or red) or "
        f"showing a special-cause concern in one of the quarter's months. "
        f"**{unexplained}** are still to be explained by the evaluator, in `{EXCEPTIONS_FILE}` "
        "beside evaluation.yml (docs/spc.md)."
    )
    summary = {
        str(row["title"]): {
            "Target": value_text(row["target"], str(row["kpi_unit"]))
            if pd.notna(row["target"])
            else "none set",
            "Result": value_text(row["value"], str(row["kpi_unit"])),
            "Rating": rag_text(row["rag"]) if isinstance(row["rag"], str) else "not rated",
            "SPC signal": _signal_text(row),
            "Explained": "yes" if row["explained"] else TO_BE_EXPLAINED,
        }
        for _, row in rows.iterrows()
    }
    blocks.table(
        pd.DataFrame.from_dict(summary, orient="index").rename_axis("KPI"),
        caption=f"KPI exceptions in {quarter}",
        policy=None,
        count_columns=[],
    )
    comparison = realist_analysis(ev).comparison if any(len(c) for c in rows["cmoc_ids"]) else None
    for _, row in rows.iterrows():
        kind = str(row["kpi_unit"])
        result = value_text(row["value"], kind)
        if pd.notna(row["ci_lower"]) and pd.notna(row["ci_upper"]):
            result += f" (95% CI {interval_text(row['ci_lower'], row['ci_upper'], kind)})"
        rating = rag_text(row["rag"]) if isinstance(row["rag"], str) else "not rated"
        actions = [
            f"{action.action} (owner: {action.owner}; by {date_text(action.due)})"
            for action in row["actions"]
        ] or ["no action recorded yet"]
        explanation = row["explanation"] if row["explained"] else f"*{TO_BE_EXPLAINED}*"
        blocks.markdown(f"### {row['title']}")
        blocks.bullets(
            [
                "**Should have happened:** "
                + (
                    f"target {value_text(row['target'], kind)}."
                    if pd.notna(row["target"])
                    else "no target is set for this KPI."
                ),
                f"**What happened:** {result} in {quarter}; {rating}. SPC: {_signal_text(row)}.",
                "**Why, the programme theory:** " + " ".join(_cmoc_lines(row, comparison)),
                f"**Why, the evaluator's explanation:** {explanation}",
                "**What next:** " + "; ".join(actions) + ".",
            ]
        )
    return blocks
