"""The sections of the wellbeing outcomes page (02), display-ready, in the order the page reads.

Each section takes the :class:`~evalkit.data.evaluation.Evaluation` of the report and returns
:class:`~evalkit.present.blocks.Blocks` (sentences, tables through the disclosure policy and
figures with alt text), recording the page's key figures with
:func:`evalkit.present.keyfigures.record` on the way. The statistics come from
:mod:`evalkit.pages.wellbeing.change`, :mod:`~evalkit.pages.wellbeing.subgroups` and
:mod:`~evalkit.pages.wellbeing.talking_therapy`; this module only decides what the reader sees.

Two intermediate results are shared by several sections: the before/after summary
(:func:`change_summary_table`) and the scored WEMWBS answers (:func:`wemwbs_scores`). A notebook
computes them once and passes them on; a section given neither computes its own.
"""

from __future__ import annotations

import warnings

import pandas as pd

from evalkit import instruments
from evalkit.data.evaluation import Evaluation
from evalkit.disclosure.suppression import (
    PERCENT_DECIMALS,
    rule_summary,
    share_withheld,
    suppression_mask,
)
from evalkit.instruments.iapt import MIN_TREATMENT_SESSIONS
from evalkit.outcomes import for_whom, sensitivity
from evalkit.pages.wellbeing.change import (
    IMPUTATION_COVARIATES,
    SENSITIVITY_METHODS,
    SYMPTOM_SCORES,
    WARWICK_MINIMUM_PAIRS,
    change_categories,
    change_summary,
    change_thresholds,
    imputation_covariates,
    sensitivity_range,
)
from evalkit.pages.wellbeing.subgroups import (
    FOR_WHOM_FACTORS,
    factor_tests,
    forest_rows,
    strongest_difference,
)
from evalkit.pages.wellbeing.talking_therapy import still_in_treatment, talking_therapy_rates
from evalkit.present import figures as viz
from evalkit.present.blocks import Blocks
from evalkit.present.keyfigures import FigureText, figure_number, record
from evalkit.present.labels import period_label
from evalkit.present.wording import count_text, p_value_text, value_text

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

#: Instruments whose missing-answer rule the page states, in the order it lists them.
MISSING_RULE_INSTRUMENTS = ("wemwbs", "swemwbs", "ons4", "phq9", "gad7")
#: Fewest people with both scores for a group to be estimated in the for-whom comparison (or
#: the disclosure threshold, if that is larger).
SMALLEST_GROUP_MODELLED = 10

_CHANGE_COLUMNS = {
    "label": "Measure",
    "n_paired": "People with both scores",
    "baseline_mean": "Average at start",
    "followup_mean": "Average at end",
    "mean_change": "Average change",
    "ci_lower": "CI lower",
    "ci_upper": "CI upper",
    "d_z": "Effect size",
}
_CHANGE_KINDS = (("meaningful", "Meaningful"), ("reliable", "Reliable"))
_CATEGORY_COUNTS = ["Improved", "No change", "Worse", "Total"]
#: The shares of the change-category tables: each of the people with both scores (``Total``),
#: hidden when the people in the category or outside it are few (docs/disclosure.md).
_CATEGORY_SHARES = {
    "% improved": ("Improved", "Total"),
    "CI lower": ("Improved", "Total"),
    "CI upper": ("Improved", "Total"),
    "% no change": ("No change", "Total"),
    "% worse": ("Worse", "Total"),
}
_RANK_DEFICIENT = "rank-deficient"


def _signed(value: float, places: int) -> str:
    """A difference with its sign, at ``places`` decimals (as :func:`figure_number` writes it)."""
    text = figure_number(value, places)
    return text if text.startswith("-") else "+" + text


def _people(ev: Evaluation, n: float) -> str:
    """A count of people as the tables show it (small numbers hidden, others rounded)."""
    policy = ev.config.disclosure
    return count_text(n, threshold=policy.threshold, round_to=policy.round_to)


def _wemwbs(summary: pd.DataFrame) -> pd.Series:
    """The WEMWBS row of a :func:`change_summary_table`."""
    return summary.set_index("score").loc["wemwbs"]


def _change_table(
    ev: Evaluation, summary: pd.DataFrame, *, caption: str, effect_format: str
) -> Blocks:
    """Start, end and change of each score in ``summary``, counts of people through disclosure."""
    table = summary[list(_CHANGE_COLUMNS)].rename(columns=_CHANGE_COLUMNS).set_index("Measure")
    people = "People with both scores"
    return Blocks().table(
        table,
        caption=caption,
        policy=ev.config.disclosure,
        count_columns=[people],
        derived_columns={c: people for c in table.columns if c != people},
        secondary="rows",
        formats={
            "Average change": "{:+.1f}",
            "CI lower": "{:+.1f}",
            "CI upper": "{:+.1f}",
            "Effect size": effect_format,
        },
    )


def _category_table(paired: pd.DataFrame, kind: str) -> pd.DataFrame:
    """One row per score: how many improved, did not change or got worse by ``kind`` change."""
    part = paired[paired["threshold"] == kind]
    up, same, down = (
        part[part["category"] == category].set_index("label")
        for category in (f"{kind}_improvement", f"no_{kind}_change", f"{kind}_deterioration")
    )
    wide = up[["n", "share", "ci_lower", "ci_upper"]].rename(
        columns={
            "n": "Improved",
            "share": "% improved",
            "ci_lower": "CI lower",
            "ci_upper": "CI upper",
        }
    )
    return wide.assign(
        **{
            "No change": same["n"],
            "% no change": same["share"],
            "Worse": down["n"],
            "% worse": down["share"],
            "Total": up["n_paired"],
        }
    )


def _sensitivity_noting_rank_deficiency(
    ev: Evaluation, wemwbs: pd.DataFrame, covariates: list[str]
) -> tuple[pd.DataFrame, bool]:
    """:func:`evalkit.outcomes.sensitivity` of the WEMWBS total, and whether the imputation
    model was rank-deficient.

    Rank-deficiency warnings (covariates that cannot be told apart among the people with an end
    score) are caught, because the page explains them in a sentence; any other warning is
    raised again as it was.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analysis = sensitivity(
            wemwbs, "wemwbs_total", participants=ev.participants, covariates=covariates
        )
    rank_deficient = [w for w in caught if _RANK_DEFICIENT in str(w.message)]
    for other in (w for w in caught if w not in rank_deficient):
        warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    return analysis, bool(rank_deficient)


# --------------------------------------------------------------------------- page sections


def scope(ev: Evaluation) -> Blocks:
    """The report's scope and period, its episodes, and the disclosure rules of the page."""
    return Blocks().markdown(
        f"**Scope:** {ev.scope} ({period_label(ev.period)}). **Episodes in scope:** "
        f"{_people(ev, len(ev.episodes))}. " + rule_summary(ev.config.disclosure)
    )


def change_summary_table(ev: Evaluation) -> pd.DataFrame:
    """Before/after statistics of every wellbeing score (:func:`~evalkit.pages.wellbeing.change.
    change_summary`, scored with the evaluation's missing-answer rules)."""
    return change_summary(ev.measures, config=ev.config)


def wemwbs_scores(ev: Evaluation) -> pd.DataFrame:
    """WEMWBS totals of the episodes in scope, scored with the evaluation's missing-answer rule."""
    return instruments.score(
        ev.measures, "wemwbs", **instruments.instrument_settings(ev.config, "wemwbs")
    )


def wellbeing_change(ev: Evaluation, summary: pd.DataFrame | None = None) -> Blocks:
    """Did wellbeing improve: the WEMWBS change in a sentence and every score in a table;
    records the mean change and its effect size."""
    summary = change_summary_table(ev) if summary is None else summary
    wem = _wemwbs(summary)
    n_wem = int(wem["n_paired"])
    policy = ev.config.disclosure
    change = record(
        "wemwbs_mean_change",
        wem["mean_change"],
        label="Average change in WEMWBS score, start to end of support",
        unit="points",
        n=n_wem,
        ci=(wem["ci_lower"], wem["ci_upper"]),
    ).text(policy)
    effect = record(
        "wemwbs_effect_size_dz",
        wem["d_z"],
        label="Effect size of the WEMWBS change (standardised mean change, d_z)",
        n=n_wem,
        ci=(wem["d_z_ci_lower"], wem["d_z_ci_upper"]),
        decimals=2,
    ).text(policy)
    blocks = Blocks()
    if n_wem == 0:
        blocks.markdown("Nobody has a WEMWBS score at both the start and the end of support yet.")
    elif not ev.config.disclosure.shown(n_wem):
        blocks.markdown(
            f"{_people(ev, n_wem).capitalize()} people have a WEMWBS score at both the start "
            "and the end of support, too few to report their change."
        )
    else:
        direction = "rose" if wem["mean_change"] > 0 else "fell"
        caution = (
            ""
            if wem["meets_warwick_minimum"]
            else f" With fewer than {WARWICK_MINIMUM_PAIRS} people, Warwick Medical School "
            "advise treating this as indicative only."
        )
        blocks.markdown(
            f"Among the **{_people(ev, n_wem)}** people with a WEMWBS score at both the start "
            f"and the end of support, the average score {direction} from "
            f"**{wem['baseline_mean']:.1f}** to **{wem['followup_mean']:.1f}**, a change of "
            f"**{change.value}** (95% CI {change.ci}). The effect size is "
            f"**{effect.value}** (95% CI {effect.ci}), a "
            f"**{wem['effect_size']}** effect.{caution}"
        )
    blocks += _change_table(
        ev,
        summary[summary["n_baseline"] > 0],
        caption="Wellbeing at the start and end of support, with 95% confidence intervals",
        effect_format="{:.2f}",
    )
    not_collected = summary.loc[summary["n_baseline"] == 0, "label"].tolist()
    if not_collected:
        blocks.markdown("Not collected for anyone in scope: " + "; ".join(not_collected) + ".")
    return blocks


def spread_of_scores(
    ev: Evaluation, summary: pd.DataFrame | None = None, wemwbs: pd.DataFrame | None = None
) -> Blocks:
    """How the spread of WEMWBS scores shifted, start against end (once enough people have
    both scores)."""
    summary = change_summary_table(ev) if summary is None else summary
    wemwbs = wemwbs_scores(ev) if wemwbs is None else wemwbs
    wem = _wemwbs(summary)
    if not wem["meets_warwick_minimum"]:
        return Blocks().markdown(
            f"The chart is shown once at least {WARWICK_MINIMUM_PAIRS} people have a WEMWBS "
            "score at both the start and the end of support."
        )
    moments = {"baseline": "start of support", "exit": "end of support"}
    fig = viz.distribution_shift(
        wemwbs.assign(timepoint=wemwbs["timepoint"].replace(moments)),
        "wemwbs_total",
        "start of support",
        "end of support",
        label="WEMWBS score (14 to 70)",
    )
    return Blocks().figure(
        fig,
        alt=viz.alt_text(fig),
        caption=(
            f"WEMWBS scores of the {_people(ev, int(wem['n_paired']))} people with a score at "
            "both the start and the end of support. Dotted vertical lines mark the two averages."
        ),
    )


def individual_change(ev: Evaluation, summary: pd.DataFrame | None = None) -> Blocks:
    """How many people improved by enough to matter: the thresholds and their sources, the
    WEMWBS shares in a sentence, and a table each for meaningful and reliable change; records
    the WEMWBS shares that improved (withheld where the table withholds them)."""
    summary = change_summary_table(ev) if summary is None else summary
    policy = ev.config.disclosure
    wem = _wemwbs(summary)
    thresholds = change_thresholds()
    blocks = Blocks().bullets(
        f"**{row['label']}**: meaningful change {row['meaningful_change']:g} points or more "
        f"({row['meaningful_source']}); reliable change {row['reliable_change']:.2f} points or "
        f"more ({row['reliable_source']})."
        for _, row in thresholds.iterrows()
    )
    categories = change_categories(summary[summary["score"].isin(thresholds["score"])])
    wemwbs_categories = categories[categories["score"] == "wemwbs"].set_index("category")
    # Shares of fewer than `threshold` people are not calculated at all (NHS Digital rule).
    paired = categories[categories["n_paired"] >= policy.threshold]
    tables, hidden = {}, {}
    improved_shares: dict[str, FigureText] = {}
    for kind, _ in _CHANGE_KINDS:
        tables[kind] = _category_table(paired, kind)
        mask = suppression_mask(
            tables[kind],
            policy.threshold,
            secondary="rows",
            count_columns=_CATEGORY_COUNTS,
            shares=_CATEGORY_SHARES,
        )
        hidden[kind] = mask != ""
    wem_label = wem["label"]
    wemwbs_thresholds = thresholds.set_index("score").loc["wemwbs"]
    for key, kind, label in (
        (
            "wemwbs_meaningful_improvement_pct",
            "meaningful",
            "People whose WEMWBS score improved meaningfully (by "
            f"{wemwbs_thresholds['meaningful_change']:g} points or more)",
        ),
        (
            "wemwbs_reliable_improvement_pct",
            "reliable",
            "People whose WEMWBS score improved reliably (by "
            f"{wemwbs_thresholds['reliable_change']:.2f} points or more)",
        ),
    ):
        row = wemwbs_categories.loc[f"{kind}_improvement"]
        # Withheld where its table withholds it (the count, or the share: docs/disclosure.md).
        withheld = wem_label not in hidden[kind].index or bool(
            hidden[kind].loc[wem_label, "% improved"]
        )
        improved_shares[kind] = record(
            key,
            None if withheld else 100 * row["share"],
            label=label,
            unit="%",
            n=int(wem["n_paired"]),
            ci=None if withheld else (100 * row["ci_lower"], 100 * row["ci_upper"]),
        ).text(policy)
    if (
        wem_label in hidden["meaningful"].index
        and not hidden["meaningful"].loc[wem_label].any()
        and improved_shares["meaningful"].ci
    ):
        worse = wemwbs_categories.loc["meaningful_deterioration"]
        sentence = (
            f"Of the people with both WEMWBS scores, **{improved_shares['meaningful'].value}** "
            f"improved meaningfully (95% CI {improved_shares['meaningful'].ci})"
        )
        sentence += (
            f" and **{value_text(worse['share'])}** had a meaningful fall in wellbeing."
            if not share_withheld(worse["n"], wem["n_paired"], policy.threshold)
            else "."
        )
        if improved_shares["reliable"].ci:
            sentence += (
                f" **{improved_shares['reliable'].value}** improved reliably (95% CI "
                f"{improved_shares['reliable'].ci})."
            )
        blocks.markdown(sentence)
    if paired.empty:
        return blocks.markdown(
            f"Individual change is shown once at least {policy.threshold} people have both scores."
        )
    shares = ("% improved", "CI lower", "CI upper", "% no change", "% worse")
    for kind, title in _CHANGE_KINDS:
        blocks.table(
            tables[kind].rename_axis("Measure"),
            caption=(
                f"{title} change for each person with both scores, with a 95% confidence "
                "interval for the share who improved"
            ),
            policy=policy,
            count_columns=_CATEGORY_COUNTS,
            shares=_CATEGORY_SHARES,
            secondary="rows",
            formats=dict.fromkeys(shares, "{:.0%}"),
        )
    return blocks


def loss_to_follow_up(
    ev: Evaluation, summary: pd.DataFrame | None = None, wemwbs: pd.DataFrame | None = None
) -> Blocks:
    """Does the result depend on the people we could not follow up: the three approaches to
    missing end scores, what they conclude, and their estimates in a table."""
    summary = change_summary_table(ev) if summary is None else summary
    wemwbs = wemwbs_scores(ev) if wemwbs is None else wemwbs
    n_wem = int(_wemwbs(summary)["n_paired"])
    covariates = imputation_covariates(ev.participants)
    blocks = Blocks().markdown(
        "\n".join(
            f"- **{name}** {how}; this assumes {assumption}."
            for name, how, assumption in SENSITIVITY_METHODS.values()
        )
        + "\n\nThe characteristics used to estimate missing end scores are: "
        + ", ".join(IMPUTATION_COVARIATES[c] for c in covariates)
        + "."
    )
    analysis, rank_deficient = _sensitivity_noting_rank_deficiency(ev, wemwbs, covariates)
    verdict = sensitivity_range(analysis).iloc[0]
    n_start = int(analysis["n"].max())
    if not ev.config.disclosure.shown(n_wem) or n_wem == 0:
        blocks.markdown("Too few people have both scores for this comparison.")
    else:
        unestimated = [
            SENSITIVITY_METHODS[m][0] for m in analysis.loc[analysis["estimate"].isna(), "method"]
        ]
        conclusion = (
            "Every interval lies above zero, so the finding that wellbeing improved does not "
            "depend on how the missing end scores are handled."
            if verdict["all_show_improvement"]
            else "At least one interval includes zero (or could not be estimated), so the "
            "evidence of improvement depends on what is assumed about the people without an "
            "end score."
        )
        missing_text = (
            " Not enough data to estimate: " + "; ".join(unestimated) + "." if unestimated else ""
        )
        if rank_deficient:
            missing_text += (
                " (Technical note: in this data some of the characteristics could not be told "
                "apart among the people with an end score, so the estimation used them jointly.)"
            )
        blocks.markdown(
            f"Of the **{_people(ev, n_start)}** people with a start score, "
            f"**{_people(ev, n_wem)}** also have an end score. Across the approaches the "
            f"average change lies between **{verdict['lowest']:+.1f}** and "
            f"**{verdict['highest']:+.1f}** points. {conclusion}{missing_text}"
        )
    table = (
        analysis.assign(method=analysis["method"].map(lambda m: SENSITIVITY_METHODS[m][0]))[
            ["method", "n", "estimate", "ci_lower", "ci_upper"]
        ]
        .rename(
            columns={
                "method": "Approach",
                "n": "People included",
                "estimate": "Average change",
                "ci_lower": "CI lower",
                "ci_upper": "CI upper",
            }
        )
        .set_index("Approach")
    )
    changes = ("Average change", "CI lower", "CI upper")
    return blocks.table(
        table,
        caption="Average WEMWBS change under three assumptions about missing end scores",
        policy=ev.config.disclosure,
        count_columns=["People included"],
        derived_columns=dict.fromkeys(changes, "People included"),
        secondary="rows",
        formats=dict.fromkeys(changes, "{:+.1f}"),
    )


def for_whom_improved_most(ev: Evaluation, wemwbs: pd.DataFrame | None = None) -> Blocks:
    """For whom wellbeing improved most: the strongest group difference in a sentence, the
    forest plot and a test per characteristic; records the groups and their difference."""
    wemwbs = wemwbs_scores(ev) if wemwbs is None else wemwbs
    min_n = max(SMALLEST_GROUP_MODELLED, ev.config.disclosure.threshold)
    factors = [f for f in FOR_WHOM_FACTORS if f in ev.participants.columns]
    subgroups = for_whom(wemwbs, ev.participants, "wemwbs_total", factors, site=None, min_n=min_n)
    best = strongest_difference(subgroups)
    groups_label = "Groups whose wellbeing change differed most (adjusted for starting score)"
    if best.empty:
        record("for_whom_top_subgroup", None, label=groups_label)
        record(
            "for_whom_top_difference",
            None,
            label="Difference in adjusted WEMWBS change between groups",
            unit="points",
        )
        return Blocks().markdown("Too few people have both scores to compare groups.")
    top = best.iloc[0]
    groups = f"{top['factor_label']}: {top['level_label']} versus {top['reference_label']}"
    chance = "unlikely to be chance" if top["clear"] else "could be chance"
    record("for_whom_top_subgroup", groups, label=groups_label)
    places = record(
        "for_whom_top_difference",
        top["difference"],
        label=f"Difference in adjusted WEMWBS change, {groups} ({chance})",
        unit="points",
        n=int(top["n"] + top["reference_n"]),
        ci=(top["difference_ci_lower"], top["difference_ci_upper"]),
    ).places
    judgement = (
        "this is unlikely to be chance"
        if top["clear"]
        else "a difference this size could well be chance"
    )
    direction = "higher" if top["difference"] > 0 else "lower"
    blocks = Blocks().markdown(
        f"The strongest difference between groups is for **{top['factor_label']}: "
        f"{top['level_label']}**, whose adjusted change was "
        f"**{figure_number(abs(top['difference']), places)} points {direction}** than for "
        f"{top['factor_label']}: {top['reference_label']} (95% CI for the difference "
        f"{_signed(top['difference_ci_lower'], places)} to "
        f"{_signed(top['difference_ci_upper'], places)}). After allowing for the "
        f"{top['n_comparisons']} comparisons made (adjusted p-value "
        f"{p_value_text(top['p_holm'])}), {judgement}."
    )
    fig = viz.forest_plot(
        forest_rows(subgroups, factors=factors),
        "adjusted_change",
        "ci_lower",
        "ci_upper",
        "row_label",
        reference=0,
        xlabel="Change in WEMWBS score, adjusted (points)",
    )
    blocks.figure(
        fig,
        alt=viz.alt_text(fig),
        caption=(
            "Adjusted WEMWBS change by group, with 95% confidence intervals. Groups with fewer "
            f"than {min_n} people with both scores, and people whose group was not recorded, "
            "are not estimated."
        ),
    )
    tests = factor_tests(subgroups)
    tested = tests["interaction_p_holm"].notna()
    table = (
        tests.assign(
            clear=tests["clear"].map({True: "Yes", False: "No"}).where(tested, "Not tested"),
            interaction_p_holm=tests["interaction_p_holm"].map(p_value_text).where(tested, ""),
        )[["factor_label", "n_groups_modelled", "interaction_p_holm", "clear"]]
        .rename(
            columns={
                "factor_label": "Characteristic",
                "n_groups_modelled": "Groups compared",
                "interaction_p_holm": "Adjusted p-value",
                "clear": "Clear difference between groups?",
            }
        )
        .set_index("Characteristic")
    )
    return blocks.table(
        table,
        caption="Does wellbeing change differ between the groups of each characteristic?",
        policy=None,
    )


def talking_therapy_outcomes(ev: Evaluation) -> Blocks:
    """NHS Talking Therapies outcomes: their definitions, recovery and reliable deterioration in
    sentences, and every rate in a table; records the recovery rate (withheld for few people).

    Every rate is :func:`~evalkit.pages.wellbeing.talking_therapy.talking_therapy_rates`, the
    national formula the KPI ``iapt_recovery`` also follows (docs/definitions.md)."""
    policy = ev.config.disclosure
    phq9, gad7 = instruments.get("phq9"), instruments.get("gad7")
    rates = talking_therapy_rates(ev.episodes)
    blocks = Blocks().bullets(
        [
            "**Finished treatment**: the episode has ended, having had at least "
            f"{MIN_TREATMENT_SESSIONS} attended treatment sessions; people still in treatment "
            "have not finished.",
            f"**Clinical case**: PHQ-9 of {phq9.case_threshold:g} or more, or GAD-7 of "
            f"{gad7.case_threshold:g} or more.",
        ]
        + [
            f"**{row['label']}**: {row['definition']} (out of {row['denominator_rule']})."
            for _, row in rates.iterrows()
        ]
    )
    rated = ("rate", "ci_lower", "ci_upper")
    # No rate over 1 to threshold - 1 people, or whose people with or without it are that few.
    few = share_withheld(rates["numerator"], rates["denominator"], policy.threshold)
    table = (
        rates.assign(**{c: rates[c].mask(few) for c in rated})[
            ["label", "denominator", "numerator", *rated, "target"]
        ]
        .rename(
            columns={
                "label": "Outcome",
                "denominator": "Denominator",
                "numerator": "People with outcome",
                "rate": "%",
                "ci_lower": "CI lower",
                "ci_upper": "CI upper",
                "target": "National standard",
            }
        )
        .set_index("Outcome")
    )
    percents = ("%", "CI lower", "CI upper")
    counts, derived = (
        ["Denominator", "People with outcome"],
        dict.fromkeys(percents, "People with outcome"),
    )
    # a rate is hidden, and marked so, where its people with or without it are few
    shares = {"%": ("People with outcome", "Denominator")}
    # What the table hides, the sentences do not say.
    mask = suppression_mask(
        table,
        policy.threshold,
        count_columns=counts,
        derived_columns=derived,
        secondary="rows",
        shares=shares,
    )
    hidden = (mask != "").set_axis(rates["outcome"].tolist())
    hidden["%"] |= few.to_numpy()
    by_outcome = rates.set_index("outcome")
    recovery = by_outcome.loc["iapt_recovery"]
    recovery_shown = not hidden.loc["iapt_recovery", "%"]
    recovery_rate = record(
        "iapt_recovery_rate",
        100 * recovery["rate"] if recovery_shown else None,
        label="Talking-therapy clients who moved to recovery (NHS Talking Therapies)",
        unit="%",
        n=int(recovery["denominator"]),
        ci=(100 * recovery["ci_lower"], 100 * recovery["ci_upper"]) if recovery_shown else None,
    ).text(policy)
    if recovery["denominator"] == 0:
        blocks.markdown("No talking-therapy client has finished treatment as a clinical case yet.")
    elif not recovery_shown:
        blocks.markdown(
            "Too few talking-therapy clients have finished treatment to report a recovery rate."
        )
    else:
        unpaired = recovery["without_paired_scores"]
        unpaired_text = (
            f" {_people(ev, unpaired).capitalize()} of them have no complete start and end "
            "scores; as in the national formula they stay in the denominator, not recovered."
            if not pd.isna(unpaired) and unpaired
            else ""
        )
        blocks.markdown(
            f"Of the **{_people(ev, recovery['denominator'])}** people who finished treatment "
            "(not counting those who were not a clinical case at the start), "
            f"**{recovery_rate.value}** moved to recovery (95% CI {recovery_rate.ci}), against the "
            f"national standard of {value_text(recovery['target'])}.{unpaired_text}"
        )
    in_treatment = still_in_treatment(ev.episodes)
    if in_treatment:
        blocks.markdown(
            f"{_people(ev, in_treatment).capitalize()} more talking-therapy clients are still in "
            "treatment: they join these figures when their episode ends."
        )
    worse = by_outcome.loc["iapt_reliable_deterioration"]
    if worse["denominator"] and not hidden.loc["iapt_reliable_deterioration"].any():
        blocks.markdown(
            f"{_people(ev, worse['numerator']).capitalize()} of the "
            f"{_people(ev, worse['denominator'])} people who finished treatment had a reliable "
            "deterioration."
        )
    return blocks.table(
        table,
        caption="NHS Talking Therapies outcomes, with 95% confidence intervals",
        policy=policy,
        count_columns=counts,
        derived_columns=derived,
        secondary="rows",
        shares=shares,
        formats=dict.fromkeys((*percents, "National standard"), f"{{:.{PERCENT_DECIMALS}%}}"),
    )


def symptom_change(ev: Evaluation) -> Blocks:
    """Depression (PHQ-9) and anxiety (GAD-7) symptoms at the start and end of talking therapy."""
    return _change_table(
        ev,
        change_summary(ev.measures, SYMPTOM_SCORES, config=ev.config),
        caption="Depression and anxiety symptoms at the start and end of talking therapy",
        effect_format="{:+.2f}",
    )


def scoring_rules(ev: Evaluation) -> Blocks:
    """How each questionnaire was scored when answers were missing."""
    return Blocks().bullets(
        instruments.missing_rule_statements(ev.config, MISSING_RULE_INSTRUMENTS)
    )
