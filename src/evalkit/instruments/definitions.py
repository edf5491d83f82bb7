"""Declarative instrument definitions: one frozen dataclass per published instrument.

A definition holds everything the generic scorer (:mod:`evalkit.instruments.scoring`) needs:
the item measure names, the response range, reverse-scored items, bands, the missing-item rule,
the thresholds for a meaningful and a reliable individual change, and the source of each rule.
Adding an instrument means adding a definition here (and its reference tests), not a new code
path.

Sources are those collected in ``../shared/reference/measures.md``; where that file records a
fact as NOT FOUND, the choice made here and its source are stated in the definition's ``notes``
and in ``docs/instruments.md``.

Examples
--------
>>> WEMWBS.items[:3]
('wemwbs_01', 'wemwbs_02', 'wemwbs_03')
>>> (WEMWBS.total_min, WEMWBS.total_max)
(14, 70)
>>> round(WEMWBS.reliable_change_index, 2)
7.45
>>> SWEMWBS.score_column
'swemwbs_metric'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from evalkit.errors import ScoringError

__all__ = [
    "AUDITC",
    "DEFINITIONS",
    "GAD7",
    "MISSING_RULES",
    "ONS4",
    "PHQ9",
    "SWEMWBS",
    "SWEMWBS_METRIC",
    "WEMWBS",
    "Band",
    "InstrumentDefinition",
]

#: Missing-item rules a summed instrument can use. ``complete_case``: any missing item makes the
#: total unscorable. ``prorate``: when at most ``max_missing`` items are missing, each missing item
#: is replaced by the person's mean of their answered items (person-mean substitution).
MISSING_RULES = ("complete_case", "prorate")


@dataclass(frozen=True)
class Band:
    """A labelled band of a score scale, starting at ``lower`` (inclusive).

    A score belongs to the last band whose ``lower`` bound it reaches, so a tuple of bands in
    ascending order partitions the scale without gaps or overlaps.

    Examples
    --------
    >>> Band("mild", 5).lower
    5
    """

    label: str
    lower: float


@dataclass(frozen=True)
class InstrumentDefinition:
    """One instrument, as data.

    Parameters
    ----------
    name : str
        Short name used in column names (``wemwbs`` → ``wemwbs_total``).
    title : str
        Full name for reports.
    items : tuple of str
        The item measure names, in questionnaire order, exactly as in ``measures.measure``.
    response_min, response_max : int
        Whole-number response range of every item.
    reverse_items : tuple of str
        Items scored in reverse (``response_min + response_max - value``) before summing.
    bands : tuple of Band
        Bands of the total (or of the metric score when ``metric_conversion`` is set).
    item_bands : mapping of item to tuple of Band, optional
        Set for batteries whose questions are reported one by one and never summed (ONS4).
    higher_is_better : bool
        Direction of improvement on the total.
    metric_conversion : mapping of int to float, optional
        Published conversion of the raw total to the score used for bands and change
        (SWEMWBS Rasch metric score).
    meaningful_change : float, optional
        Smallest change, in the improving direction, counted as meaningful for an individual.
    reliability : float, optional
        Reliability coefficient used for the Jacobson–Truax reliable change index.
    reliability_sd : float, optional
        Reference standard deviation used with ``reliability``.
    reliable_change_threshold : float, optional
        A published reliable-change threshold; takes precedence over the computed index.
    case_threshold : float, optional
        Score at or above which a person counts as a case / screens positive.
    missing_rule : {"complete_case", "prorate"}
        Default missing-item rule.
    max_missing : int
        Default largest number of missing items the ``prorate`` rule fills in.
    citation : str
        Where the scoring rule, bands and thresholds come from.
    notes : str
        Choices made where a source was not found, with the reason.
    item_wording : tuple of str
        Each item's wording as the respondent reads it, in ``items`` order (empty when the
        wording is not reproduced); the data dictionary and templates show it.
    total_accepted : bool
        A provider may send the total alone, as the measure ``<name>_total``, where the items
        are absent (talking-therapy systems such as IAPTus export PHQ-9 and GAD-7 totals only).
        Where the items are complete too, the total sent must equal their sum. An instrument
        with a ``metric_conversion`` also accepts the metric score alone, as ``<name>_metric``
        (SWEMWBS: ``swemwbs_metric``), where it is one of the conversion table's scores.
    """

    name: str
    title: str
    items: tuple[str, ...]
    response_min: int
    response_max: int
    citation: str
    reverse_items: tuple[str, ...] = ()
    bands: tuple[Band, ...] = ()
    item_bands: Mapping[str, tuple[Band, ...]] | None = None
    higher_is_better: bool = True
    metric_conversion: Mapping[int, float] | None = None
    meaningful_change: float | None = None
    reliability: float | None = None
    reliability_sd: float | None = None
    reliable_change_threshold: float | None = None
    case_threshold: float | None = None
    missing_rule: str = "complete_case"
    max_missing: int = 1
    notes: str = ""
    item_wording: tuple[str, ...] = ()
    total_accepted: bool = False

    def __post_init__(self) -> None:
        problems = []
        if len(set(self.items)) != len(self.items):
            problems.append("items repeat")
        if not set(self.reverse_items) <= set(self.items):
            problems.append("reverse_items are not all items")
        if self.missing_rule not in MISSING_RULES:
            problems.append(f"missing_rule {self.missing_rule!r} not in {MISSING_RULES}")
        bands = [self.bands] + list((self.item_bands or {}).values())
        for group in bands:
            lowers = [b.lower for b in group]
            if lowers != sorted(lowers) or len(set(lowers)) != len(lowers):
                problems.append("bands are not in strictly ascending order")
        if self.metric_conversion is not None:
            raw = set(range(self.total_min, self.total_max + 1))
            if set(self.metric_conversion) != raw:
                problems.append("metric_conversion does not cover every raw total")
        if self.item_bands is not None and set(self.item_bands) != set(self.items):
            problems.append("item_bands must band every item")
        if self.item_wording and len(self.item_wording) != len(self.items):
            problems.append("item_wording must give one wording per item")
        if problems:
            raise ScoringError(f"Instrument definition '{self.name}': {'; '.join(problems)}.")

    @property
    def short_name(self) -> str:
        """The name readers know it by, from the title's brackets (``PHQ-9``, ``WEMWBS``)."""
        return self.title[self.title.rfind("(") + 1 : -1] if "(" in self.title else self.name

    @property
    def n_items(self) -> int:
        """Number of items."""
        return len(self.items)

    @property
    def total_min(self) -> int:
        """Smallest possible raw total."""
        return self.response_min * self.n_items

    @property
    def total_max(self) -> int:
        """Largest possible raw total."""
        return self.response_max * self.n_items

    @property
    def total_measure(self) -> str | None:
        """The measure a total sent without items arrives as (``phq9_total``), if accepted."""
        return f"{self.name}_total" if self.total_accepted else None

    @property
    def metric_measure(self) -> str | None:
        """The measure a metric score sent on its own arrives as (``swemwbs_metric``), if
        accepted: instruments that accept a total and have a ``metric_conversion``."""
        return f"{self.name}_metric" if self.total_accepted and self.metric_conversion else None

    def raw_of_metric(self, metric: float) -> int | None:
        """The raw total whose published metric score this is (to 2 decimal places), else None.

        Examples
        --------
        >>> SWEMWBS.raw_of_metric(19.25), SWEMWBS.raw_of_metric(19.3), WEMWBS.raw_of_metric(50)
        (21, None, None)
        """
        for raw, score in (self.metric_conversion or {}).items():
            if abs(metric - score) < 0.005:
                return raw
        return None

    @property
    def per_item(self) -> bool:
        """True for batteries reported question by question (no total)."""
        return self.item_bands is not None

    @property
    def score_column(self) -> str:
        """Column carrying the score used for bands and change."""
        return f"{self.name}_metric" if self.metric_conversion else f"{self.name}_total"

    @property
    def change_scores(self) -> tuple[tuple[str, str], ...]:
        """``(stem, column)`` pairs whose change :func:`change` reports."""
        if self.per_item:
            return tuple((item, item) for item in self.items)
        return ((self.name, self.score_column),)

    @property
    def reliable_change_index(self) -> float | None:
        """Smallest absolute change counted as reliable.

        The published threshold when there is one, otherwise the Jacobson–Truax index
        ``1.96 * sqrt(2) * SD * sqrt(1 - r)`` from ``reliability`` and ``reliability_sd``.
        """
        if self.reliable_change_threshold is not None:
            return self.reliable_change_threshold
        if self.reliability is None or self.reliability_sd is None:
            return None
        return 1.96 * math.sqrt(2) * self.reliability_sd * math.sqrt(1 - self.reliability)


#: SWEMWBS raw total → metric (Rasch) score. ``British-Warrior/agenoconcern``
#: ``packages/server/src/lib/swemwbs-rasch.ts``; the same 29 values in two independent public R
#: scripts (three secondary sources agree to 2 dp; reference/measures.md §1.3).
SWEMWBS_METRIC: Mapping[int, float] = MappingProxyType(
    {
        7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32,
        15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25, 22: 19.98,
        23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03, 29: 26.02, 30: 27.03,
        31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00,
    }
)  # fmt: skip

WEMWBS = InstrumentDefinition(
    name="wemwbs",
    total_accepted=True,
    title="Warwick-Edinburgh Mental Wellbeing Scale (WEMWBS)",
    items=tuple(f"wemwbs_{i:02d}" for i in range(1, 15)),
    response_min=1,
    response_max=5,
    bands=(
        Band("probable depression", 14),
        Band("possible depression", 41),
        Band("average wellbeing", 45),
        Band("high wellbeing", 60),
    ),
    item_wording=tuple(
        f"I've been {text}"
        for text in (
            "feeling optimistic about the future",
            "feeling useful",
            "feeling relaxed",
            "feeling interested in other people",
            "had energy to spare",
            "dealing with problems well",
            "thinking clearly",
            "feeling good about myself",
            "feeling close to other people",
            "feeling confident",
            "able to make up my own mind about things",
            "feeling loved",
            "interested in new things",
            "feeling cheerful",
        )
    ),
    higher_is_better=True,
    meaningful_change=3,
    reliability=0.91,
    reliability_sd=8.96,
    citation=(
        "Tennant et al. 2007, HQLO 5:63 (items, 1-5, total 14-70; alpha 0.91 population sample); "
        "Warwick Medical School 'Collect, score, analyse and interpret WEMWBS' (sum of 14 items); "
        "bands <=40 probable depression, 41-44 possible depression, 45-59 average, >=60 high as "
        "quoted from Warwick guidance on handlebar-online.com (secondary); meaningful change "
        "3 points ~ 1 SEM (Maheswaran et al. 2012, HQLO 10:156, SEM 2.4-3.1); SD 8.96 from "
        "Scottish Health Survey 2018 Table 1.2."
    ),
    notes=(
        "Reliable change: Jacobson-Truax index 1.96*sqrt(2)*8.96*sqrt(1-0.91) = 7.45 points, "
        "using the peer-reviewed population-sample alpha (0.91) because the test-retest 0.83 was "
        "not confirmed in a source; equals 2.77 SEM with SEM 2.69, inside Maheswaran's "
        "2.4-3.1. Missing-item rule: the Warwick user guide was not available, so the default is "
        "complete case (any missing item -> no total); prorating is opt-in."
    ),
)

SWEMWBS = InstrumentDefinition(
    name="swemwbs",
    total_accepted=True,
    title="Short Warwick-Edinburgh Mental Wellbeing Scale (SWEMWBS)",
    items=(
        "wemwbs_01",
        "wemwbs_02",
        "wemwbs_03",
        "wemwbs_06",
        "wemwbs_07",
        "wemwbs_09",
        "wemwbs_11",
    ),
    response_min=1,
    response_max=5,
    metric_conversion=SWEMWBS_METRIC,
    bands=(
        Band("low wellbeing", 7),
        Band("typical wellbeing", 19.25),
        Band("high wellbeing", 29.31),
    ),
    higher_is_better=True,
    meaningful_change=1.03,
    reliable_change_threshold=2.87,
    citation=(
        "Items 1,2,3,6,7,9,11 of WEMWBS, raw 7-35 (Scottish Government SSCQ 2022 'Mental "
        "wellbeing scoring'); raw->metric conversion table as in agenoconcern swemwbs-rasch.ts "
        "and two public R scripts (secondary, consistent); meaningful change 1 SEM = 1.03 and "
        "reliable change 2.77 SEM = 2.87 metric points (Shah et al. 2018, HQLO 16:239)."
    ),
    notes=(
        "No official SWEMWBS bands were found. Bands use the only published numeric cut points "
        "seen (agenoconcern: low < 19.25, high >= 29.31 on the metric score, i.e. raw 21 = every "
        "item 'some of the time' and raw 32); they are a public implementation's choice, not "
        "Warwick's. The HSE 2010-13 means (23.2-23.7) fall in 'typical'. Prorated raw totals "
        "are rounded to a whole number (halves up) before conversion, because the table is "
        "defined only for whole raw scores."
    ),
)

_ONS4_HIGH_GOOD = (Band("low", 0), Band("medium", 5), Band("high", 7), Band("very high", 9))

ONS4 = InstrumentDefinition(
    name="ons4",
    title="ONS personal wellbeing questions (ONS4)",
    items=("ons4_life_satisfaction", "ons4_worthwhile", "ons4_happiness", "ons4_anxiety"),
    item_wording=(
        "How satisfied are you with your life nowadays?",
        "To what extent do you feel the things you do are worthwhile?",
        "How happy did you feel yesterday?",
        "How anxious did you feel yesterday?",
    ),
    response_min=0,
    response_max=10,
    item_bands=MappingProxyType(
        {
            "ons4_life_satisfaction": _ONS4_HIGH_GOOD,
            "ons4_worthwhile": _ONS4_HIGH_GOOD,
            "ons4_happiness": _ONS4_HIGH_GOOD,
            "ons4_anxiety": (
                Band("very low", 0),
                Band("low", 2),
                Band("medium", 4),
                Band("high", 6),
            ),
        }
    ),
    citation=(
        "GSS harmonised standard for personal well-being (four questions, 0-10); thresholds from "
        "the ONS FOI response 'a set of annual UK SWB score distributions': life satisfaction, "
        "worthwhile, happiness 0-4 low, 5-6 medium, 7-8 high, 9-10 very high; anxiety 0-1 very "
        "low, 2-3 low, 4-5 medium, 6-10 high."
    ),
    notes=(
        "The four questions are reported one by one, never summed, so there is no total and no "
        "missing-item rule: a blank question has no score and the others still count. Anxiety is "
        "banded in reverse (higher is worse). No published individual change threshold, so "
        "change flags are NA."
    ),
)

PHQ9 = InstrumentDefinition(
    name="phq9",
    total_accepted=True,
    title="Patient Health Questionnaire depression scale (PHQ-9)",
    items=tuple(f"phq9_{i}" for i in range(1, 10)),
    response_min=0,
    response_max=3,
    bands=(
        Band("minimal", 0),
        Band("mild", 5),
        Band("moderate", 10),
        Band("moderately severe", 15),
        Band("severe", 20),
    ),
    higher_is_better=False,
    meaningful_change=6,
    reliable_change_threshold=6,
    case_threshold=10,
    citation=(
        "Kroenke et al. 2001 (9 items 0-3, total 0-27; bands 0-4, 5-9, 10-14, 15-19, 20-27; "
        "CamCOPS phq9.py); NHS Talking Therapies: caseness >= 10, reliable improvement a "
        "reduction of >= 6 (PMC8411661 Table 1 citing NHS Digital 2016)."
    ),
    notes=(
        "Item 10 (functional difficulty) is not part of the total. Meaningful individual change "
        "is taken as the NHS Talking Therapies reliable-change threshold (6 points)."
    ),
)

GAD7 = InstrumentDefinition(
    name="gad7",
    total_accepted=True,
    title="Generalised Anxiety Disorder scale (GAD-7)",
    items=tuple(f"gad7_{i}" for i in range(1, 8)),
    response_min=0,
    response_max=3,
    bands=(Band("minimal", 0), Band("mild", 5), Band("moderate", 10), Band("severe", 15)),
    higher_is_better=False,
    meaningful_change=4,
    reliable_change_threshold=4,
    case_threshold=8,
    citation=(
        "Spitzer et al. 2006 (7 items 0-3, total 0-21; bands 0-4, 5-9, 10-14, 15-21; CamCOPS "
        "gad7.py); NHS Talking Therapies: caseness >= 8, reliable improvement a reduction of "
        ">= 4 (PMC8411661 Table 1 citing NHS Digital 2016)."
    ),
    notes="Meaningful individual change is the NHS Talking Therapies reliable-change threshold.",
)

AUDITC = InstrumentDefinition(
    name="auditc",
    title="Alcohol Use Disorders Identification Test - Consumption (AUDIT-C)",
    items=("auditc_1", "auditc_2", "auditc_3"),
    response_min=0,
    response_max=4,
    bands=(
        Band("lower risk", 0),
        Band("increasing risk", 5),
        Band("higher risk", 8),
        Band("possible dependence", 11),
    ),
    higher_is_better=False,
    case_threshold=5,
    citation=(
        "Bush et al. 1998 (3 items 0-4, total 0-12; CamCOPS audit.rst); UK 'AUDIT-C positive' at "
        "5+ (nursing-notebook.com; docsbay 'Alcohol screening tool'); bands 0-4 lower risk, 5-7 "
        "increasing, 8-10 higher, 11-12 possible dependence, attributed to Public Health England "
        "in a public code comment (secondary only)."
    ),
    notes="No published individual change threshold, so meaningful/reliable change flags are NA.",
)

#: Every definition by name, in the order reports list them.
DEFINITIONS: Mapping[str, InstrumentDefinition] = MappingProxyType(
    {d.name: d for d in (WEMWBS, SWEMWBS, ONS4, PHQ9, GAD7, AUDITC)}
)
