"""The planted truths of the synthetic evaluation, declared once as plain data.

Everything the generator deliberately builds into the numbers lives here, so that evalkit's
statistics and realist modules can be tested on whether they *recover* it: which subgroups improve
more (and by how much), a planted null, the follow-up gradient by deprivation, 4-week quit rates by
delivery mode, which CMO configurations hold in the numbers and which the qualitative story gets
wrong, and, over the 24 months, a step change in one KPI that an SPC chart must flag beside a
stable KPI that must raise no signal. The generator reads these values; nothing is repeated
elsewhere.

Filters are conditions over the episode table in evalkit's expression language
(:mod:`evalkit.data.expressions`, columns in docs/data-model.md), so a test can write
``evaluate(episodes, effect.context_filter)``.

Examples
--------
>>> PLANTED.effect("peer_led_most_deprived").difference
3.0
>>> [c.cmoc_id for c in PLANTED.cmocs if not c.holds_in_numbers]
['CMOC4', 'CMOC6']
>>> PLANTED.spc_shift.kpi_id, PLANTED.spc_shift.from_month, PLANTED.spc_stable.kpi_id
('referrals', '2025-08', 'quit_4wk_co')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "PLANTED",
    "PlantedCMOC",
    "PlantedEffect",
    "PlantedFieldwork",
    "PlantedShift",
    "PlantedStableSeries",
    "PlantedTruths",
]


@dataclass(frozen=True)
class PlantedEffect:
    """A difference built into one outcome between two groups of episodes.

    Parameters
    ----------
    name : str
        Short identifier.
    outcome_measure : str
        Episode-table column the difference is on (``wemwbs_change``, ``quit_4wk_co`` ...).
    context_filter, comparison_filter : str
        Conditions over the episode table (:mod:`evalkit.data.expressions`) selecting the two
        groups.
    population : str
        Which episodes the comparison is made among, in plain English.
    difference : float
        The planted effect, in the outcome's units (WEMWBS points, or a difference in
        proportions): what the generator adds to every episode in the context (for
        ``quit_4wk_co``, the difference of the planted probabilities). Effects are additive, so a
        raw comparison of the two groups also carries the other planted effects present in each:
        about +3.07 and -2.18 for the two WEMWBS subgroups at the demo's mix, exactly 0 for the
        null (referral source is drawn independently of everything else).
    description : str
        The truth in plain English.
    """

    name: str
    outcome_measure: str
    context_filter: str
    comparison_filter: str
    population: str
    difference: float
    description: str


@dataclass(frozen=True)
class PlantedCMOC:
    """A context-mechanism-outcome configuration as written in ``qual/cmocs.csv``.

    ``holds_in_numbers`` says whether the quantitative pattern the CMOC predicts is really in the
    data; ``qualitative_evidence`` says how well the coded excerpts support it (``strong``: five or
    more sources across at least three stakeholder groups and three sites; ``thin``: at most two
    sources from one site).
    """

    cmoc_id: str
    programme_theory: str
    context: str
    mechanism_resource: str
    mechanism_reasoning: str
    outcome: str
    codes: tuple[str, ...]
    context_filter: str
    outcome_measure: str
    expected_direction: Literal["higher", "lower"]
    holds_in_numbers: bool
    qualitative_evidence: Literal["strong", "moderate", "thin"]
    why: str


@dataclass(frozen=True)
class PlantedShift:
    """A step change in one KPI from a given month on: special-cause variation to be flagged.

    Parameters
    ----------
    kpi_id : str
        The KPI whose level changes (an id of the default KPI set).
    from_month : str
        First month (``YYYY-MM``) of referral with the new level.
    month_number : int
        That month's number in the demo's 24 months (1 = the first month of referrals).
    before, after : float
        The KPI's true level before and from ``from_month``: a probability for a proportion;
        for a count, the monthly rate relative to the rate before (1.0 and 0.7: 30% fewer).
    declared : bool
        Whether the demo's ``evaluation.yml`` declares the change as a contract change point.
        It does not: the report has to find the shift, and the SPC chart (one limit for all 24
        months) flags it as a run below the mean.
    description : str
        The truth in plain English.
    """

    kpi_id: str
    from_month: str
    month_number: int
    before: float
    after: float
    declared: bool
    description: str


@dataclass(frozen=True)
class PlantedStableSeries:
    """A KPI whose true value is the same every month: its SPC chart must show no signal.

    Parameters
    ----------
    kpi_id : str
        The KPI (an id of the default KPI set).
    description : str
        Why its true value does not change, in plain English.
    """

    kpi_id: str
    description: str


@dataclass(frozen=True)
class PlantedFieldwork:
    """How the qualitative fieldwork was done: two rounds, two coders, a known disagreement.

    Parameters
    ----------
    round_two_from : str
        Interviews and focus groups dated on or after this day (yyyy-mm-dd) are round 2, earlier
        ones round 1; documents belong to no round.
    reinterviews : tuple of (str, str)
        (round-1 source, round-2 source) pairs with the same participant: the people heard
        again in the follow-up round.
    coders : tuple of str
        The lead coder, who codes every source, then the second coder.
    double_coded : tuple of str
        The sources the second coder codes too, independently of the lead.
    disputed_every : int
        The second coder disputes every ``disputed_every``-th (excerpt, code) pair of the lead's
        coding of those sources, counting in transcript order the pairs whose code belongs to a
        CMOC: she leaves that code off and codes the passage with the CMOC's code of the kind it
        is most often confused with (``evalkit.demo.qualitative.CONFUSED_WITH``) instead. On
        every other pair she agrees, over the same spans. So exactly 1 in ``disputed_every`` of
        those pairs (rounded down) is coded by the lead alone.
    """

    round_two_from: str
    reinterviews: tuple[tuple[str, str], ...]
    coders: tuple[str, str]
    double_coded: tuple[str, ...]
    disputed_every: int


@dataclass(frozen=True)
class PlantedTruths:
    """Every planted truth of the synthetic evaluation (see :data:`PLANTED`).

    Attributes
    ----------
    wemwbs_baseline_mean_by_imd_quintile : dict
        Mean baseline WEMWBS (14-70) by IMD quintile, before rounding to whole items; all below
        the population norm of 49.4 (Scottish Health Survey 2018).
    wemwbs_baseline_sd : float
        Spread of baseline WEMWBS.
    wemwbs_baseline_talking_therapy_shift : float
        Added to the baseline of talking-therapy clients (they start lower).
    wemwbs_gain : float
        Mean WEMWBS change at exit for every episode, before the effects below.
    wemwbs_change_sd : float
        Person-to-person spread of WEMWBS change.
    effects : tuple of PlantedEffect
        Subgroup differences (including a planted null).
    followed_up_by_imd_quintile : dict
        Probability that an episode that started (and has ended) has its exit questionnaires, by
        IMD quintile: attrition is higher in more deprived areas.
    quit_4wk_co_by_delivery_mode : dict
        Probability of a CO-validated 4-week quit (CO < 10 ppm, assessed 25-42 days after the quit
        date) among smokers who set a quit date, by delivery mode.
    quit_4wk_status_share : float
        Share of quit attempts whose 4-week outcome reaches the evaluation as a status code
        (participants' ``quit_4wk_status``: quit CO-verified, quit self-reported, not quit, lost
        to follow-up) with no dated review in measures. The code says what the review would
        have, so every quit rate is the same as if it had been a review.
    talking_therapy_still_in_treatment : float
        Probability that a talking-therapy client referred on or after
        ``talking_therapy_still_in_treatment_referred_from`` who started, has no exit
        questionnaires and did not complete is instead still in treatment at the extract date
        (``exit_reason`` ongoing, no ``end_date``), with their sessions so far (2 or more)
        recorded: they have not finished a course of treatment, so they are in no NHS Talking
        Therapies denominator. (Episodes still open for want of time are still in treatment too,
        with their sessions so far.)
    talking_therapy_still_in_treatment_referred_from : str
        Earliest referral date (yyyy-mm-dd) of those planted as still in treatment.
    cmocs : tuple of PlantedCMOC
    spc_shift : PlantedShift
        The step change in the number of referrals a month (a new triage provider from month
        14), which the monthly SPC chart must flag.
    spc_stable : PlantedStableSeries
        The KPI whose monthly SPC chart must raise no signal.
    fieldwork : PlantedFieldwork
        The qualitative fieldwork: rounds, re-interviews, double coding and its disagreement.
    """

    wemwbs_baseline_mean_by_imd_quintile: dict[int, float]
    wemwbs_baseline_sd: float
    wemwbs_baseline_talking_therapy_shift: float
    wemwbs_gain: float
    wemwbs_change_sd: float
    effects: tuple[PlantedEffect, ...]
    followed_up_by_imd_quintile: dict[int, float]
    quit_4wk_co_by_delivery_mode: dict[str, float]
    quit_4wk_status_share: float
    talking_therapy_still_in_treatment: float
    talking_therapy_still_in_treatment_referred_from: str
    cmocs: tuple[PlantedCMOC, ...]
    spc_shift: PlantedShift
    spc_stable: PlantedStableSeries
    fieldwork: PlantedFieldwork

    def effect(self, name: str) -> PlantedEffect:
        """The planted effect called ``name``."""
        for effect in self.effects:
            if effect.name == name:
                return effect
        raise KeyError(f"no planted effect {name!r}; known: {[e.name for e in self.effects]}")

    def cmoc(self, cmoc_id: str) -> PlantedCMOC:
        """The planted CMOC with this id."""
        for cmoc in self.cmocs:
            if cmoc.cmoc_id == cmoc_id:
                return cmoc
        raise KeyError(f"no planted CMOC {cmoc_id!r}")


_QUIT = {"face_to_face": 0.42, "group": 0.38, "peer_led": 0.34, "digital": 0.28, "telephone": 0.28}
_PAIRED = "episodes with a complete WEMWBS at baseline and at exit"
_QUITTERS = "smokers who set a quit date (set_quit_date)"

#: The single declaration of what the synthetic data is built to show.
PLANTED = PlantedTruths(
    wemwbs_baseline_mean_by_imd_quintile={1: 41.0, 2: 42.0, 3: 43.0, 4: 44.0, 5: 45.0},
    wemwbs_baseline_sd=8.5,
    wemwbs_baseline_talking_therapy_shift=-4.0,
    wemwbs_gain=3.0,
    wemwbs_change_sd=6.5,
    effects=(
        PlantedEffect(
            name="peer_led_most_deprived",
            outcome_measure="wemwbs_change",
            context_filter="imd_quintile == 1 and delivery_mode == 'peer_led'",
            comparison_filter="not (imd_quintile == 1 and delivery_mode == 'peer_led')",
            population=_PAIRED,
            difference=3.0,
            description="Peer-led support in the most deprived fifth of neighbourhoods "
            "improves wellbeing by 3 WEMWBS points more than other episodes.",
        ),
        PlantedEffect(
            name="digital_older_people",
            outcome_measure="wemwbs_change",
            context_filter="age >= 65 and delivery_mode == 'digital'",
            comparison_filter="not (age >= 65 and delivery_mode == 'digital')",
            population=_PAIRED,
            difference=-2.0,
            description="Digital support for people aged 65 and over improves wellbeing by 2 "
            "WEMWBS points less than other episodes.",
        ),
        PlantedEffect(
            name="gp_vs_self_referral",
            outcome_measure="wemwbs_change",
            context_filter="referral_source == 'gp'",
            comparison_filter="referral_source == 'self'",
            population=_PAIRED,
            difference=0.0,
            description="A planted null: GP-referred and self-referred clients improve by the "
            "same amount.",
        ),
        PlantedEffect(
            name="quit_face_to_face_vs_telephone",
            outcome_measure="quit_4wk_co",
            context_filter="delivery_mode == 'face_to_face'",
            comparison_filter="delivery_mode == 'telephone'",
            population=_QUITTERS,
            difference=round(_QUIT["face_to_face"] - _QUIT["telephone"], 10),
            description="Smokers supported face to face are 14 percentage points more likely to "
            "be CO-validated quitters at 4 weeks than smokers supported by telephone.",
        ),
    ),
    followed_up_by_imd_quintile={1: 0.50, 2: 0.56, 3: 0.64, 4: 0.70, 5: 0.75},
    quit_4wk_co_by_delivery_mode=_QUIT,
    quit_4wk_status_share=0.20,
    talking_therapy_still_in_treatment=0.40,
    talking_therapy_still_in_treatment_referred_from="2026-01-01",
    cmocs=(
        PlantedCMOC(
            cmoc_id="CMOC1",
            programme_theory="PT1 Peer support builds trust where services are distrusted",
            context="People living in the most deprived neighbourhoods (IMD quintile 1), often "
            "wary of statutory services",
            mechanism_resource="Peer-led groups run by trained local volunteers",
            mechanism_reasoning="Trust and belonging: 'people like me' who have been there",
            outcome="A larger gain in mental wellbeing (WEMWBS)",
            codes=(
                "C: lives in a most deprived neighbourhood",
                "C: distrust of statutory services",
                "M: peer-led group run by local volunteers",
                "M: trust - people like me",
                "O: wellbeing improved",
            ),
            context_filter="imd_quintile == 1 and delivery_mode == 'peer_led'",
            outcome_measure="wemwbs_change",
            expected_direction="higher",
            holds_in_numbers=True,
            qualitative_evidence="strong",
            why="Planted effect peer_led_most_deprived (+3 WEMWBS points).",
        ),
        PlantedCMOC(
            cmoc_id="CMOC2",
            programme_theory="PT2 Digital by default can leave older people behind",
            context="People aged 65 and over offered digital support",
            mechanism_resource="The Live Well app and online sessions",
            mechanism_reasoning="Feeling left behind and anxious about technology",
            outcome="A smaller gain in mental wellbeing (WEMWBS)",
            codes=(
                "C: aged 65 or over",
                "C: low digital confidence",
                "M: digital app and online sessions",
                "M: feeling left behind by technology",
                "O: stopped engaging",
            ),
            context_filter="age >= 65 and delivery_mode == 'digital'",
            outcome_measure="wemwbs_change",
            expected_direction="lower",
            holds_in_numbers=True,
            qualitative_evidence="strong",
            why="Planted effect digital_older_people (-2 WEMWBS points).",
        ),
        PlantedCMOC(
            cmoc_id="CMOC3",
            programme_theory="PT3 Face-to-face stop smoking support creates accountability",
            context="Smokers who set a quit date",
            mechanism_resource="Weekly face-to-face sessions with a carbon monoxide reading",
            mechanism_reasoning="Accountability: not wanting to let the adviser down, and seeing "
            "the CO reading fall",
            outcome="More CO-validated quits at 4 weeks",
            codes=(
                "C: smoker ready to quit",
                "M: face-to-face CO monitoring",
                "M: accountability to the adviser",
                "O: quit smoking",
            ),
            context_filter="delivery_mode == 'face_to_face'",
            outcome_measure="quit_4wk_co",
            expected_direction="higher",
            holds_in_numbers=True,
            qualitative_evidence="strong",
            why="Face to face has the highest planted quit probability (0.42 against 0.28-0.38 "
            "for the other modes).",
        ),
        PlantedCMOC(
            cmoc_id="CMOC4",
            programme_theory="PT4 A GP referral lends the service legitimacy",
            context="People referred by their GP",
            mechanism_resource="A referral letter from the practice",
            mechanism_reasoning="Legitimacy: 'the doctor sent me', so it must be worth doing",
            outcome="A larger gain in mental wellbeing than people who referred themselves",
            codes=(
                "C: referred by their GP",
                "M: GP referral letter",
                "M: legitimacy - the doctor sent me",
                "O: wellbeing improved",
            ),
            context_filter="referral_source == 'gp'",
            outcome_measure="wemwbs_change",
            expected_direction="higher",
            holds_in_numbers=False,
            qualitative_evidence="strong",
            why="Planted null gp_vs_self_referral: staff and clients tell this story, but "
            "WEMWBS change does not differ by referral source.",
        ),
        PlantedCMOC(
            cmoc_id="CMOC5",
            programme_theory="PT5 Competing priorities crowd out follow-up in deprived areas",
            context="People in the most deprived 40% of neighbourhoods (IMD quintiles 1-2)",
            mechanism_resource="Follow-up calls and reminders",
            mechanism_reasoning="Competing priorities (money, caring, work) crowd out the "
            "follow-up",
            outcome="Less often followed up at exit",
            codes=(
                "C: money and caring pressures",
                "M: follow-up calls and reminders",
                "M: competing priorities",
                "O: lost to follow-up",
            ),
            context_filter="imd_quintile <= 2",
            outcome_measure="wemwbs_followed_up",
            expected_direction="lower",
            holds_in_numbers=True,
            qualitative_evidence="thin",
            why="Planted follow-up gradient (50-56% in quintiles 1-2 against 64-75% in 3-5); only "
            "one interview describes it.",
        ),
        PlantedCMOC(
            cmoc_id="CMOC6",
            programme_theory="PT3 Face-to-face stop smoking support creates accountability "
            "(rival: telephone support fits busy lives)",
            context="Smokers with busy or unpredictable lives",
            mechanism_resource="Telephone check-ins instead of clinic visits",
            mechanism_reasoning="Convenience: support that fits around work and caring",
            outcome="Higher CO-validated quit rates at 4 weeks",
            codes=(
                "C: busy or unpredictable life",
                "M: telephone check-ins",
                "M: convenience",
                "O: quit smoking",
            ),
            context_filter="delivery_mode == 'telephone'",
            outcome_measure="quit_4wk_co",
            expected_direction="higher",
            holds_in_numbers=False,
            qualitative_evidence="moderate",
            why="Telephone has the lowest planted quit probability (0.28): the numbers show the "
            "opposite of the story.",
        ),
    ),
    spc_shift=PlantedShift(
        kpi_id="referrals",
        from_month="2025-08",
        month_number=14,
        before=1.0,
        after=0.7,
        declared=False,
        description="From August 2025 (month 14 of 24) referrals go through a new triage "
        "provider, and 30% fewer people are referred each month than before. The total number "
        "of episodes is unchanged, so no other planted truth moves.",
    ),
    spc_stable=PlantedStableSeries(
        kpi_id="quit_4wk_co",
        description="The probability of a CO-validated 4-week quit depends on the delivery mode "
        "only, and the mix of delivery modes is the same every month, so the true monthly quit "
        "rate never changes.",
    ),
    fieldwork=PlantedFieldwork(
        round_two_from="2026-04-01",
        reinterviews=(("S10", "S25"), ("S12", "S26"), ("S13", "S27"), ("S14", "S23")),
        coders=("evaluator_1", "evaluator_2"),
        double_coded=("S03", "S06", "S10", "S13", "S18", "S23", "S25"),
        disputed_every=5,
    ),
)
