"""The reach and equity page (01): who was referred and reached, by deprivation.

* :mod:`evalkit.pages.reach.referrals` — referrals and starts by group, the share from the
  target IMD quintiles and the quarterly trend;
* :mod:`evalkit.pages.reach.gradients` — how the main outcomes vary with deprivation (SII, RII);
* :mod:`evalkit.pages.reach.journeys` — people supported by more than one provider, referrals
  between providers and around the single point of access (:func:`journeys`);
* :mod:`evalkit.pages.reach.sections` — the page's sections, display-ready, re-exported here so
  that the notebook reads ``page.referrals_and_starts(ev)`` and so on.
"""

from evalkit.pages.reach.journeys import journeys
from evalkit.pages.reach.sections import (
    BREAKDOWN_CAPTIONS,
    SII_SEED,
    deprivation_target,
    most_deprived_shares,
    outcome_gaps_by_deprivation,
    quarter_by_quarter,
    reach_by_deprivation,
    referrals_and_starts,
    scope,
    who_is_referred,
)

__all__ = [
    "BREAKDOWN_CAPTIONS",
    "SII_SEED",
    "deprivation_target",
    "journeys",
    "most_deprived_shares",
    "outcome_gaps_by_deprivation",
    "quarter_by_quarter",
    "reach_by_deprivation",
    "referrals_and_starts",
    "scope",
    "who_is_referred",
]
