"""The lifestyle sections of the KPI page, and the indicators each one reports.

Each section (smoking, weight, activity, alcohol, diet) names the KPIs it shows by id. KPIs come
from the evaluation's own ``kpis:`` list when it defines them (so the targets match the
scorecard), otherwise from the packaged default set (``kpis_default.yml``), otherwise from
:data:`SUPPORTING_INDICATORS`: indicators without targets that give context, such as the average
weight change or the share eating five portions of fruit and vegetables a day.

Examples
--------
>>> [section.key for section in LIFESTYLE_SECTIONS]
['smoking', 'weight', 'activity', 'alcohol', 'diet']
>>> ids = [k.id for k in indicator_definitions()]
>>> "quit_4wk_co" in ids and "five_a_day_moved_up" in ids
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evalkit.errors import ConfigError
from evalkit.kpi import KpiDefinition, load_kpis

__all__ = [
    "LIFESTYLE_SECTIONS",
    "SUPPORTING_INDICATORS",
    "LifestyleSection",
    "indicator_definitions",
]


@dataclass(frozen=True)
class LifestyleSection:
    """One lifestyle section of the KPI page.

    Attributes
    ----------
    key : str
        Short name (``smoking``); also the strand it reports on.
    title : str
        Section heading.
    explanation : str
        One plain-English paragraph: what is measured and against which standard.
    indicators : tuple of str
        KPI ids shown, in order; the first is the headline.
    funnel : str or None
        A proportion KPI id to compare providers and sites on with a funnel plot.
    short_label : str
        A few words naming the headline result, for figure axes ("4-week quit rate").
    """

    key: str
    title: str
    explanation: str
    indicators: tuple[str, ...]
    funnel: str | None = None
    short_label: str = "Result"

    @property
    def headline(self) -> str:
        """The section's headline KPI id."""
        return self.indicators[0]


#: Indicators without a target, reported for context beside the KPIs.
SUPPORTING_INDICATORS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        id="weight_change_mean",
        title="Average change in weight, as a percentage of starting weight",
        numerator="weight_change_pct",
        denominator="weight_change_pct.notna()",
        unit="mean",
        direction="lower",
    ),
    KpiDefinition(
        id="activity_minutes_mean_change",
        title="Average change in weekly minutes of moderate activity",
        numerator="activity_minutes_exit - activity_minutes_baseline",
        denominator="activity_minutes_exit.notna() & activity_minutes_baseline.notna()",
        unit="mean",
    ),
    KpiDefinition(
        id="auditc_mean_change",
        title="Average change in AUDIT-C score among those drinking at increasing risk or more",
        numerator="auditc_change",
        denominator="auditc_positive_baseline & auditc_change.notna()",
        unit="mean",
        direction="lower",
    ),
    KpiDefinition(
        id="five_a_day_start",
        title="Clients eating 5 a day at the start (of those with a start and end record)",
        numerator="five_a_day_baseline",
        denominator="five_a_day_baseline.notna() & five_a_day_exit.notna()",
        unit="proportion",
    ),
    KpiDefinition(
        id="five_a_day_end",
        title="Clients eating 5 a day at the end (of those with a start and end record)",
        numerator="five_a_day_exit",
        denominator="five_a_day_baseline.notna() & five_a_day_exit.notna()",
        unit="proportion",
    ),
    KpiDefinition(
        id="five_a_day_moved_up",
        title="Clients not eating 5 a day at the start who were at the end",
        numerator="five_a_day_exit",
        denominator="(~five_a_day_baseline) & five_a_day_exit.notna()",
        unit="proportion",
    ),
)

#: The sections of the lifestyle KPI page, in page order.
LIFESTYLE_SECTIONS: tuple[LifestyleSection, ...] = (
    LifestyleSection(
        key="smoking",
        title="Stop smoking",
        explanation=(
            "A smoker who sets a quit date counts as a 4-week quitter if they report not "
            "smoking from day 15 to day 28 after it; the quit is confirmed when a carbon "
            "monoxide (CO) breath test 25 to 42 days after the quit date reads under 10 ppm. "
            "A self-reported quitter whose CO reading is 10 ppm or more still counts as a "
            "self-reported quitter, but not as confirmed. Everyone who set a quit date is "
            "counted, so people who could not be contacted count as still smoking (the NHS Stop "
            "Smoking Services convention). NHS guidance is to confirm at least 85% of "
            "self-reported quits with a CO test; the confirmed share is out of every "
            "self-reported quitter."
        ),
        indicators=("quit_4wk_co", "quit_4wk_self", "co_validation"),
        funnel="quit_4wk_co",
        short_label="CO-confirmed 4-week quit rate",
    ),
    LifestyleSection(
        key="weight",
        title="Weight",
        explanation=(
            "Weight loss is measured between the first and last weigh-in. NICE guidance (PH53) "
            "calls a loss of 5% to 10% of starting weight a realistic goal, and found that "
            "programmes achieve an average loss of about 3%."
        ),
        indicators=("weight_loss_5pct", "weight_change_mean"),
        funnel="weight_loss_5pct",
        short_label="Lost 5% or more",
    ),
    LifestyleSection(
        key="activity",
        title="Physical activity",
        explanation=(
            "Activity is weekly minutes of at least moderate intensity, grouped as in Sport "
            "England's Active Lives survey: inactive (under 30 minutes), fairly active (30 to "
            "149) and active (150 or more, the UK Chief Medical Officers' guideline). A client "
            "'became more active' if they moved up at least one group."
        ),
        indicators=("became_more_active", "activity_minutes_mean_change"),
        short_label="Became more active",
    ),
    LifestyleSection(
        key="alcohol",
        title="Alcohol",
        explanation=(
            "AUDIT-C is a three-question drinking score from 0 to 12; 5 or more means "
            "drinking at increasing risk or more. These figures are for clients who scored 5 or "
            "more at the start and have a score at the end."
        ),
        indicators=("auditc_reduced", "auditc_mean_change"),
        short_label="AUDIT-C score fell",
    ),
    LifestyleSection(
        key="diet",
        title="Healthy eating",
        explanation=(
            "The NHS recommends at least five 80 g portions of fruit and vegetables a day "
            "('5 a day'). These figures compare the start and the end of support for clients "
            "with both recorded."
        ),
        indicators=("five_a_day_end", "five_a_day_start", "five_a_day_moved_up"),
        short_label="Eating 5 a day at the end",
    ),
)


def indicator_definitions(
    kpis: Sequence[Mapping[str, Any] | KpiDefinition] | None = None,
    sections: Sequence[LifestyleSection] = LIFESTYLE_SECTIONS,
) -> list[KpiDefinition]:
    """The evaluation's KPIs plus every indicator the lifestyle sections need.

    Parameters
    ----------
    kpis : list, optional
        ``EvaluationConfig.kpis``; None means the packaged default set.
    sections : sequence of LifestyleSection
        Sections whose indicators must be defined.

    Returns
    -------
    list of KpiDefinition
        The evaluation's KPIs in their own order, then each section indicator they lack, taken
        from the default set or :data:`SUPPORTING_INDICATORS`.

    Raises
    ------
    ConfigError
        If a section names an indicator defined nowhere.

    Examples
    --------
    >>> own = [{"id": "quit_4wk_co", "title": "CO-confirmed quits", "unit": "proportion",
    ...         "numerator": "quit_4wk_co", "denominator": "set_quit_date", "target": 0.4}]
    >>> defined = indicator_definitions(own)
    >>> defined[0].target, [k.id for k in defined][1:3]
    (0.4, ['quit_4wk_self', 'co_validation'])
    """
    chosen = load_kpis(kpis)
    have = {k.id for k in chosen}
    fallback = {k.id: k for k in (*load_kpis(None), *SUPPORTING_INDICATORS)}
    for section in sections:
        for kpi_id in section.indicators:
            if kpi_id in have:
                continue
            if kpi_id not in fallback:
                raise ConfigError(
                    f"lifestyle section '{section.key}' shows indicator '{kpi_id}', which is "
                    "neither in evaluation.yml kpis, the default KPI set nor the supporting "
                    "indicators."
                )
            chosen.append(fallback[kpi_id])
            have.add(kpi_id)
    return chosen
