"""KPIs: declarative definitions, Wilson/Byar's/exact intervals, targets, RAG and funnel limits.

Public names (stable; other modules and notebooks call them directly):

- intervals: :func:`wilson_ci`, :func:`byars_ci`, :func:`rate_ci`, :func:`mean_ci`
- definitions: :class:`KpiDefinition`, :func:`load_kpis`, :func:`check_kpi_columns`
- calculation: :func:`compute_kpis`, :func:`rag_status`
- comparison: :func:`funnel_limits`

Examples
--------
>>> from evalkit.kpi import wilson_ci
>>> [round(v, 4) for v in wilson_ci(1045, 5000)]
[0.198, 0.2205]
"""

from evalkit.kpi.compute import KPI_COLUMNS, compute_kpis, rag_status
from evalkit.kpi.definitions import KpiDefinition, check_kpi_columns, load_kpis
from evalkit.kpi.funnel import funnel_limits
from evalkit.kpi.intervals import byars_ci, mean_ci, rate_ci, wilson_ci

__all__ = [
    "KPI_COLUMNS",
    "KpiDefinition",
    "byars_ci",
    "check_kpi_columns",
    "compute_kpis",
    "funnel_limits",
    "load_kpis",
    "mean_ci",
    "rag_status",
    "rate_ci",
    "wilson_ci",
]
