"""The wellbeing outcomes page (02): change in wellbeing, for whom, and talking therapies.

* :mod:`evalkit.pages.wellbeing.change` — the scores reported, their before/after summary,
  individual change categories, change thresholds and the sensitivity range;
* :mod:`evalkit.pages.wellbeing.subgroups` — the for-whom comparison labelled and ordered;
* :mod:`evalkit.pages.wellbeing.talking_therapy` — NHS Talking Therapies outcome rates;
* :mod:`evalkit.pages.wellbeing.sections` — the page's sections, display-ready, re-exported
  here so that the notebook reads ``page.wellbeing_change(ev, summary)`` and so on.
"""

from evalkit.pages.wellbeing.sections import (
    MISSING_RULE_INSTRUMENTS,
    SMALLEST_GROUP_MODELLED,
    change_summary_table,
    for_whom_improved_most,
    individual_change,
    loss_to_follow_up,
    scope,
    scoring_rules,
    spread_of_scores,
    symptom_change,
    talking_therapy_outcomes,
    wellbeing_change,
    wemwbs_scores,
)

__all__ = [
    "MISSING_RULE_INSTRUMENTS",
    "SMALLEST_GROUP_MODELLED",
    "change_summary_table",
    "for_whom_improved_most",
    "individual_change",
    "loss_to_follow_up",
    "scope",
    "scoring_rules",
    "spread_of_scores",
    "symptom_change",
    "talking_therapy_outcomes",
    "wellbeing_change",
    "wemwbs_scores",
]
