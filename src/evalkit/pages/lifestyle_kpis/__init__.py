"""The lifestyle KPI page (03): the scorecard and each lifestyle section's indicators.

* :mod:`evalkit.pages.lifestyle_kpis.scorecard` — KPI tables with small numbers withheld,
  written as text, the cumulative figures and the funnel comparison;
* :mod:`evalkit.pages.lifestyle_kpis.indicators` — the lifestyle sections and the indicators
  each one reports;
* :mod:`evalkit.pages.lifestyle_kpis.series` — the KPIs month by month as SPC charts, and
  where the report sits in the contract;
* :mod:`evalkit.pages.lifestyle_kpis.exceptions` — the exception report;
* :mod:`evalkit.pages.lifestyle_kpis.sections` — the page's sections, display-ready,
  re-exported here so that the notebook reads ``page.kpi_scorecard(ev, kpis)`` and so on.
"""

from evalkit.pages.lifestyle_kpis.exceptions import exception_rows, kpi_exceptions
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
from evalkit.pages.lifestyle_kpis.series import KpiSeriesTables, kpi_series_tables, kpis_over_time

__all__ = [
    "KEY_FIGURES",
    "KpiSeriesTables",
    "KpiTables",
    "exception_rows",
    "kpi_exceptions",
    "kpi_scorecard",
    "kpi_series_tables",
    "kpi_tables",
    "kpi_trend",
    "kpis_by_provider_and_site",
    "kpis_over_time",
    "lifestyle_outcome",
    "scope",
]
