"""Equity: reach against the local population by deprivation, and outcome gradients (SII/RII).

See :mod:`evalkit.equity.deprivation`.
"""

from evalkit.equity.deprivation import (
    IMD_LSOA_COUNT,
    MOST_DEPRIVED_GROUPS,
    most_deprived_share,
    outcome_by_imd_quintile,
    reach_by_imd_quintile,
    sii,
    sii_for_outcome,
)

__all__ = [
    "IMD_LSOA_COUNT",
    "MOST_DEPRIVED_GROUPS",
    "most_deprived_share",
    "outcome_by_imd_quintile",
    "reach_by_imd_quintile",
    "sii",
    "sii_for_outcome",
]
