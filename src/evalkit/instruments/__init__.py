"""Instruments and scoring: declarative definitions read by one vectorised scorer.

Every number a commissioner reads starts here. ``get(name)`` returns a definition (items,
ranges, bands, missing-item rule, change thresholds, sources); ``score`` turns long measures or
wide items into one row per client and timepoint; ``change`` pairs two timepoints with
meaningful- and reliable-change flags; :mod:`~evalkit.instruments.iapt` and
:mod:`~evalkit.instruments.lifestyle` derive the NHS Talking Therapies and lifestyle outcomes.
See ``docs/instruments.md`` for every rule and its source.

Examples
--------
>>> import evalkit.instruments as ins
>>> ins.get("wemwbs").items[-1]
'wemwbs_14'
>>> "swemwbs" in ins.available()
True
"""

from evalkit.instruments.definitions import (
    DEFINITIONS,
    MISSING_RULES,
    Band,
    InstrumentDefinition,
)
from evalkit.instruments.iapt import iapt_outcomes
from evalkit.instruments.lifestyle import (
    activity_category,
    activity_change,
    bmi,
    bmi_category,
    five_a_day,
    smoking_quit_4wk,
    weight_change,
)
from evalkit.instruments.scoring import (
    assign_bands,
    available,
    change,
    definitions_table,
    get,
    instrument_settings,
    missing_rule_statement,
    missing_rule_statements,
    pair_timepoints,
    pivot_measures,
    score,
)

__all__ = [
    "DEFINITIONS",
    "MISSING_RULES",
    "Band",
    "InstrumentDefinition",
    "activity_category",
    "activity_change",
    "assign_bands",
    "available",
    "bmi",
    "bmi_category",
    "change",
    "definitions_table",
    "five_a_day",
    "get",
    "iapt_outcomes",
    "instrument_settings",
    "missing_rule_statement",
    "missing_rule_statements",
    "pair_timepoints",
    "pivot_measures",
    "score",
    "smoking_quit_4wk",
    "weight_change",
]
