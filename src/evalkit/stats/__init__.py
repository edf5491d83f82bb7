"""Statistical primitives: confidence intervals, funnel-plot limits and regression helpers.

The bottom analysis layer: pure functions of numbers and tidy frames, with no display, no
configuration and no knowledge of the evaluation's tables.

* :mod:`evalkit.stats.intervals` — Wilson, Byar's and exact Poisson intervals, means;
* :mod:`evalkit.stats.funnel` — funnel-plot control limits (PHE method);
* :mod:`evalkit.stats.regression` — design matrices, HC3 fits and linear contrasts.

Examples
--------
>>> from evalkit.stats import wilson_ci
>>> [round(v, 4) for v in wilson_ci(1045, 5000)]
[0.198, 0.2205]
"""

from evalkit.stats.funnel import funnel_limits
from evalkit.stats.intervals import byars_ci, mean_ci, rate_ci, wilson_ci
from evalkit.stats.spc import xmr, xmr_summary

__all__ = ["byars_ci", "funnel_limits", "mean_ci", "rate_ci", "wilson_ci", "xmr", "xmr_summary"]
