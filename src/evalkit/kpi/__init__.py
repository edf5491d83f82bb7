"""KPIs: declarative definitions, one generic calculator, targets and RAG ratings.

Public names (stable; other modules and notebooks call them directly):

- definitions: :class:`KpiDefinition`, :func:`load_kpis`, :func:`check_kpi_columns`
- calculation: :func:`compute_kpis`, :func:`rag_status`

The intervals and funnel limits the calculator uses live in :mod:`evalkit.stats`.

Examples
--------
>>> from evalkit.kpi import load_kpis
>>> [k.id for k in load_kpis()][:2]
['referrals', 'started']
"""

from evalkit.kpi.compute import KPI_COLUMNS, compute_kpis, rag_status
from evalkit.kpi.definitions import KpiDefinition, check_kpi_columns, load_kpis

__all__ = [
    "KPI_COLUMNS",
    "KpiDefinition",
    "check_kpi_columns",
    "compute_kpis",
    "load_kpis",
    "rag_status",
]
