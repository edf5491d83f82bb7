"""Outcome statistics: before/after change, attrition, sensitivity, for-whom models, contrasts.

One module per family of methods, each returning tidy DataFrames with documented columns:

* :mod:`evalkit.outcomes.pairing` — baseline and follow-up side by side, per client;
* :mod:`evalkit.outcomes.paired` — :func:`before_after` (change, t / Wilcoxon, d_z, d_av,
  meaningful and reliable change);
"""

from evalkit.outcomes.paired import BEFORE_AFTER_COLUMNS, ChangeRule, before_after, paired_change
from evalkit.outcomes.pairing import PAIRED_COLUMNS, pair_timepoints

__all__ = [
    "BEFORE_AFTER_COLUMNS",
    "PAIRED_COLUMNS",
    "ChangeRule",
    "before_after",
    "pair_timepoints",
    "paired_change",
]
