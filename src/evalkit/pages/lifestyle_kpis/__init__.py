"""The lifestyle KPI page (03): the scorecard and each lifestyle section's indicators.

* :mod:`evalkit.pages.lifestyle_kpis.scorecard` — KPI tables with small numbers withheld,
  written as text, the cumulative figures and the funnel comparison;
* :mod:`evalkit.pages.lifestyle_kpis.indicators` — the lifestyle sections and the indicators
  each one reports;
* :mod:`evalkit.pages.lifestyle_kpis.sections` — the page's sections, display-ready,
  re-exported here so that the notebook reads ``page.kpi_scorecard(ev, kpis)`` and so on.
"""

from evalkit.pages.lifestyle_kpis.sections import (
    KEY_FIGURES,
    KpiTables,
    kpi_scorecard,
    kpi_tables,
    kpi_trend,
    kpis_by_provider_and_site,
    lifestyle_outcome,
    scope,
)

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
