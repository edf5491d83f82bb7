"""The sections of the reach and equity page (01) against the episode table and disclosure rules.

The expectations come by another route than the page's own: counts by hand from the episode
table, small-number rules from the :class:`~evalkit.config.DisclosurePolicy`, intervals from
:func:`evalkit.stats.wilson_ci`, and the inequality gap from
:func:`evalkit.pages.reach.gradients.outcome_gradients` run directly.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from page_helpers import tables_of, with_policy

from evalkit.config import DisclosurePolicy
from evalkit.equity.deprivation import IMD_LSOA_COUNT
from evalkit.pages import reach as page
from evalkit.pages.reach.gradients import MAIN_OUTCOMES, outcome_gradients
from evalkit.pages.reach.referrals import BREAKDOWN_COLUMNS
from evalkit.present.labels import value_label
from evalkit.stats import wilson_ci

TARGET = "IMD quintile 1 (the most deprived 20% of England)"


def percent(numerator: int, denominator: int) -> str:
    return f"{100 * numerator / denominator:.0f}%"


def test_scope_states_the_quarter_and_the_disclosure_rules(service):
    assert page.scope(service).text() == (
        f"**Scope:** {service.scope} (Apr to Jun 2026). Counts of people are rounded to the "
        "nearest 5, and groups of fewer than 8 people are not shown."
    )
    exact = with_policy(service, DisclosurePolicy(threshold=10, round_to=None))
    assert (
        page.scope(exact)
        .text()
        .endswith(
            "Counts of people are shown exactly, and groups of fewer than 10 people are not shown."
        )
    )


def test_referrals_and_starts_count_the_episode_table(service, figures):
    blocks = page.referrals_and_starts(service)
    episodes, policy = service.episodes, service.config.disclosure
    referred, started = len(episodes), int(episodes["started"].fillna(False).astype(bool).sum())
    recorded = figures()
    assert recorded["episodes"]["value"] == referred  # stored unrounded, rounded where shown
    assert recorded["episodes"]["n"] == referred
    low, high = wilson_ci(started, referred)
    rate = recorded["start_rate"]
    assert rate["value"] == pytest.approx(100 * started / referred)
    assert (rate["ci_low"], rate["ci_high"]) == pytest.approx((100 * low, 100 * high))
    people = episodes["person_id"].nunique()  # one person may hold several episodes
    assert people < referred  # the demo plants people referred to two providers
    assert recorded["people_referred"]["value"] == people
    assert blocks.text().startswith(
        f"**{policy.rounded(people):,}** people were referred, in "
        f"**{policy.rounded(referred):,}** referral episodes (a person referred to two providers "
        f"is one person and two referrals); **{policy.rounded(started):,}** referrals started: "
        f"**{100 * started / referred:.0f}%** of referrals"
    )
    tables = tables_of(blocks)
    assert [t["caption"] for t in tables] == [page.BREAKDOWN_CAPTIONS[c] for c in BREAKDOWN_COLUMNS]
    providers = tables[0]["rows"]
    for provider, group in episodes.groupby("provider"):
        starts = int(group["started"].fillna(False).astype(bool).sum())
        assert providers[provider]["Referrals"] == str(policy.rounded(len(group)))
        assert providers[provider]["Did not start"] == str(policy.rounded(len(group) - starts))
        assert providers[provider]["% started"] == percent(starts, len(group))
    assert providers["Total"]["Referrals"] == f"{policy.rounded(referred):,}"
    # An episode counts once in every strand it joined, so the strands add up to more.
    joined = pd.Series(
        [strand for cell in episodes["strands"].dropna() for strand in set(cell.split(";"))]
    ).value_counts()
    assert joined.sum() > referred
    strands = tables[2]["rows"]
    for strand, count in joined.items():
        assert strands[value_label("strands", strand)]["Referrals"] == str(policy.rounded(count))


def test_a_report_for_one_site_has_no_site_breakdown(north, figures):
    tables = tables_of(page.referrals_and_starts(north))
    captions = [t["caption"] for t in tables]
    assert "Referrals and starts by site" not in captions
    assert len(captions) == len(BREAKDOWN_COLUMNS) - 1
    assert figures()["episodes"]["n"] == len(north.episodes)


def test_who_is_referred_withholds_a_small_group(service):
    (table,) = tables_of(page.who_is_referred(service), levels=2)
    assert table["caption"] == "Referrals and starts by characteristics of the people referred"
    episodes, policy = service.episodes, service.config.disclosure
    sex = episodes["sex"].value_counts()
    assert 0 < sex["other"] < policy.threshold  # the demo has a small group
    other = table["rows"][("Sex", value_label("sex", "other"))]
    assert other["Referrals"] == other["% of referrals"] == other["% started"] == "*"
    female = table["rows"][("Sex", value_label("sex", "female"))]
    assert female["Referrals"] == str(policy.rounded(sex["female"]))
    assert female["% of referrals"] == percent(sex["female"], len(episodes))
    quintile_1 = table["rows"][("IMD quintile (1 = most deprived)", "1 (most deprived)")]
    assert quintile_1["Referrals"] == str(policy.rounded((episodes["imd_quintile"] == 1).sum()))


def test_reach_by_deprivation_compares_quintile_1_with_its_population(service, figures):
    blocks = page.reach_by_deprivation(service)
    episodes, policy = service.episodes, service.config.disclosure
    population = service.config.population_imd_quintile_share[1]
    in_q1, recorded = int((episodes["imd_quintile"] == 1).sum()), len(episodes)
    ratio = figures()["reach_ratio_q1"]
    low, high = wilson_ci(in_q1, recorded)
    assert ratio["value"] == pytest.approx(in_q1 / recorded / population)
    assert (ratio["ci_low"], ratio["ci_high"]) == pytest.approx(
        (low / population, high / population)
    )
    assert ratio["decimals"] == 2
    assert ratio["n"] == recorded
    text = blocks.text()
    assert text.count('<figure class="evalkit-figure">') == 1 and 'alt=""' not in text
    assert f"a reach ratio of **{in_q1 / recorded / population:.2f}**" in text
    assert "no IMD recorded" not in text  # every demo episode has a quintile
    (table,) = tables_of(blocks)
    q1 = table["rows"]["1 (most deprived)"]
    assert q1["Referrals"] == str(policy.rounded(in_q1))
    assert q1["% of local population"] == f"{100 * population:.0f}%"
    assert list(table["rows"]) == [value_label("imd_quintile", q) for q in range(1, 6)]


def test_reach_by_deprivation_withholds_a_small_quintile(service, figures):
    smallest = int(service.episodes["imd_quintile"].value_counts().min())
    strict = with_policy(service, DisclosurePolicy(threshold=smallest + 1, round_to=None))
    blocks = page.reach_by_deprivation(strict)
    (table,) = tables_of(blocks)
    withheld = [row for row in table["rows"].values() if row["Referrals"] == "*"]
    assert withheld and all(row["Reach ratio"] == "*" for row in withheld)
    # Quintile 1 is large, so its ratio is still recorded; with a threshold above it, it is not.
    assert "reach_ratio_q1" in figures()
    in_q1 = int((service.episodes["imd_quintile"] == 1).sum())
    stricter = with_policy(service, DisclosurePolicy(threshold=in_q1 + 1, round_to=None))
    fresh = page.reach_by_deprivation(stricter).text()
    assert "reach ratio of" not in fresh


def test_referrals_without_imd_are_counted_in_a_sentence(service, figures):
    episodes = service.episodes.copy()
    episodes.loc[episodes.index[:12], ["imd_quintile", "imd_decile"]] = np.nan
    missing = dataclasses.replace(service, episodes=episodes)
    text = page.reach_by_deprivation(missing).text()
    assert "10 referrals have no IMD recorded and are not in these shares." in text  # 12 -> 10


def test_deprivation_target_rates_the_share_from_quintile_1(service, figures):
    text = page.deprivation_target(service).text()
    episodes = service.episodes
    in_q1, recorded = int((episodes["imd_quintile"] == 1).sum()), len(episodes)
    target = service.config.target_most_deprived["share"]
    share = figures()["share_most_deprived"]
    assert share["label"] == f"Referrals from {TARGET}"
    assert share["value"] == pytest.approx(100 * in_q1 / recorded)
    assert share["n"] == recorded
    assert text.startswith(
        f"**The service's target:** at least {100 * target:.0f}% of referrals from {TARGET}. "
        f"**{100 * in_q1 / recorded:.0f}%** came from there"
    )
    assert in_q1 / recorded > wilson_ci(in_q1, recorded)[0] > target
    assert "**Green: met.**" in text


def test_deprivation_target_on_small_numbers_is_not_shown(service, figures):
    elsewhere = int((service.episodes["imd_quintile"] != 1).sum())
    strict = with_policy(service, DisclosurePolicy(threshold=elsewhere + 1, round_to=None))
    assert page.deprivation_target(strict).text() == (
        f"The share of referrals from {TARGET} is not shown: it rests on small numbers."
    )
    assert figures() == {}


def test_most_deprived_shares_count_deciles_and_ranks(service):
    (table,) = tables_of(page.most_deprived_shares(service))
    episodes, policy = service.episodes, service.config.disclosure
    rows = table["rows"]
    assert list(rows) == ["Most deprived 20%", "Most deprived 30%", "Most deprived 35%"]
    counts = {
        "Most deprived 20%": int((episodes["imd_decile"] <= 2).sum()),
        "Most deprived 30%": int((episodes["imd_decile"] <= 3).sum()),
        "Most deprived 35%": int((episodes["imd_rank"] <= 0.35 * IMD_LSOA_COUNT).sum()),
    }
    for group, count in counts.items():
        assert rows[group]["Referrals from the group"] == str(policy.rounded(count))
        assert rows[group]["Referrals from elsewhere"] == str(policy.rounded(len(episodes) - count))
        assert rows[group]["% of referrals"] == percent(count, len(episodes))


def test_outcome_gaps_record_the_wellbeing_gap_and_withhold_small_quintiles(service, figures):
    (table,) = tables_of(page.outcome_gaps_by_deprivation(service))
    policy = service.config.disclosure
    expected = outcome_gradients(
        service.episodes, min_quintile_n=policy.threshold, seed=page.SII_SEED
    ).set_index("outcome")
    gap = figures()["sii_wemwbs_change"]
    wellbeing = expected.loc["wemwbs_change"]
    assert gap["value"] == pytest.approx(wellbeing["sii"])
    assert (gap["ci_low"], gap["ci_high"]) == pytest.approx(
        (wellbeing["sii_lower"], wellbeing["sii_upper"])
    )
    episodes = service.episodes
    changed = episodes["wemwbs_change"].notna() & episodes["imd_quintile"].notna()
    assert gap["n"] == int(changed.sum())
    assert list(table["rows"]) == [o.label for o in MAIN_OUTCOMES]
    label = {o.column: o.label for o in MAIN_OUTCOMES}
    assert table["rows"][label["wemwbs_change"]]["People"] == str(policy.rounded(changed.sum()))
    # A quintile with fewer smokers setting a quit date than the threshold gives no gap.
    quitters = episodes.groupby("imd_quintile")["quit_4wk_co"].count()
    assert quitters.min() < policy.threshold
    assert table["rows"][label["quit_4wk_co"]]["Gap (SII)"] == "Not estimated"


def test_quarter_by_quarter_draws_referrals_and_the_target_share(service):
    text = page.quarter_by_quarter(service).text()
    assert text.count('<figure class="evalkit-figure">') == 2 and 'alt=""' not in text
    assert "<figcaption>Referrals received in each quarter</figcaption>" in text
    assert (
        f"Share of referrals from {TARGET} in each quarter, with 95% confidence intervals "
        "and the service&#x27;s target"
    ) in text


def test_a_single_quarter_has_no_trend(first_quarter):
    assert page.quarter_by_quarter(first_quarter).text() == (
        "Only one quarter (Jul to Sep 2024) has referrals so far, so there is no trend to show "
        "yet; it will appear once a second quarter of data arrives."
    )
