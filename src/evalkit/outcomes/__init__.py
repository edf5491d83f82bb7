"""Outcome statistics: before/after change, attrition, sensitivity, for-whom models, contrasts.

One module per family of methods, each returning tidy DataFrames with documented columns. The
scores come from the episode table (``ev.episodes``: ``wemwbs_baseline``, ``wemwbs_exit`` ...) or
the long scored table (``client_id``, ``timepoint``, ``wemwbs_total``), with the same results:

* :mod:`evalkit.outcomes.pairing` — baseline and follow-up side by side, per client, from either
  table; missing-column errors that name the column, its use and the nearest names;
* :mod:`evalkit.outcomes.paired` — :func:`before_after` (change, t / Wilcoxon, d_z, d_av,
  meaningful and reliable change);
* :mod:`evalkit.outcomes.attrition` — :func:`attrition` (follow-up rates, completers vs lost);
* :mod:`evalkit.outcomes.sensitivity` — :func:`sensitivity` (complete case vs BOCF vs MICE);
* :mod:`evalkit.outcomes.subgroups` — :func:`for_whom` (ANCOVA and mixed model by subgroup);
* :mod:`evalkit.outcomes.contrast` — :func:`contrast` (outcome in a CMOC context vs the rest);
The design matrices, fits and contrasts they share are in :mod:`evalkit.stats.regression`.
"""

from evalkit.outcomes.attrition import (
    ATTRITION_COLUMNS,
    DEFAULT_CHARACTERISTICS,
    attrition,
    standardised_mean_difference,
)
from evalkit.outcomes.contrast import CONTRAST_COLUMNS, contrast
from evalkit.outcomes.paired import BEFORE_AFTER_COLUMNS, ChangeRule, before_after, paired_change
from evalkit.outcomes.pairing import PAIRED_COLUMNS, pair_timepoints
from evalkit.outcomes.sensitivity import (
    POOLED_COLUMNS,
    SENSITIVITY_COLUMNS,
    pool_rubin,
    sensitivity,
)
from evalkit.outcomes.subgroups import FOR_WHOM_COLUMNS, MODELS, for_whom, holm

__all__ = [
    "ATTRITION_COLUMNS",
    "DEFAULT_CHARACTERISTICS",
    "FOR_WHOM_COLUMNS",
    "MODELS",
    "attrition",
    "standardised_mean_difference",
    "BEFORE_AFTER_COLUMNS",
    "CONTRAST_COLUMNS",
    "PAIRED_COLUMNS",
    "POOLED_COLUMNS",
    "SENSITIVITY_COLUMNS",
    "ChangeRule",
    "before_after",
    "contrast",
    "for_whom",
    "holm",
    "pair_timepoints",
    "paired_change",
    "pool_rubin",
    "sensitivity",
]
