"""KPIs: declarative definitions, one generic calculator, targets and RAG ratings.

Public names (stable; other modules and notebooks call them directly):

- definitions: :class:`KpiDefinition`, :func:`load_kpis`, :func:`check_kpi_columns`
- calculation: :func:`compute_kpis`, :func:`rag_status`
- over time: :func:`kpi_series` (monthly or quarterly series), :func:`kpi_spc` and
  :func:`kpi_spc_summary` (their SPC charts and icons)
- exceptions: :func:`load_exceptions` (``exceptions.yml``) and :func:`exception_report`

The intervals and funnel limits the calculator uses live in :mod:`evalkit.stats`.

Examples
--------
>>> from evalkit.kpi import load_kpis
>>> [k.id for k in load_kpis()][:2]
['referrals', 'started']
"""

from evalkit.kpi.compute import KPI_COLUMNS, compute_kpis, rag_status
from evalkit.kpi.definitions import KpiDefinition, check_kpi_columns, load_kpis
from evalkit.kpi.exceptions import (
    EXCEPTION_COLUMNS,
    TO_BE_EXPLAINED,
    KpiException,
    exception_report,
    kpi_cmocs,
    load_exceptions,
)
from evalkit.kpi.series import (
    SERIES_COLUMNS,
    SPC_KPI_COLUMNS,
    SPC_KPI_SUMMARY_COLUMNS,
    kpi_series,
    kpi_spc,
    kpi_spc_summary,
)

__all__ = [
    "EXCEPTION_COLUMNS",
    "KPI_COLUMNS",
    "SERIES_COLUMNS",
    "SPC_KPI_COLUMNS",
    "SPC_KPI_SUMMARY_COLUMNS",
    "TO_BE_EXPLAINED",
    "KpiDefinition",
    "KpiException",
    "check_kpi_columns",
    "compute_kpis",
    "exception_report",
    "kpi_cmocs",
    "kpi_series",
    "kpi_spc",
    "kpi_spc_summary",
    "load_exceptions",
    "load_kpis",
    "rag_status",
]
