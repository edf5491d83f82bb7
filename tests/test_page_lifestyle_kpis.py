"""The sections of the lifestyle KPI page (03) against the episode table and the disclosure rules.

The expectations come by another route than the page's own: counts from the episode table
(hand counts of the flags the KPIs are defined on), small-number rules from the
:class:`~evalkit.config.DisclosurePolicy`, and intervals from :func:`evalkit.stats.wilson_ci`.
"""

from __future__ import annotations

import pytest
from page_helpers import tables_of, with_policy

from evalkit.config import DisclosurePolicy
from evalkit.data.evaluation import Evaluation
from evalkit.errors import ConfigError
from evalkit.pages import lifestyle_kpis as page
from evalkit.pages.lifestyle_kpis.scorecard import NOT_SHOWN
from evalkit.present.labels import period_label
from evalkit.stats import wilson_ci

QUIT_TITLE = (
    "Smokers setting a quit date who had quit at 4 weeks, confirmed by a carbon monoxide test"
)
VALIDATION_TITLE = (
    "Self-reported 4-week quitters whose quit was confirmed by a carbon monoxide test"
)


@pytest.fixture(scope="module")
def kpis(service):
    return page.kpi_tables(service)


def quitters(ev: Evaluation) -> tuple[int, int, int]:
    """Hand counts: people setting a quit date, CO-confirmed and self-reported quitters."""
    episodes = ev.episodes
    setters = episodes["set_quit_date"].fillna(False).astype(bool)
    confirmed = episodes["quit_4wk_co"].fillna(False).astype(bool) & setters
    reported = episodes["quit_4wk_self"].fillna(False).astype(bool) & setters
    return int(setters.sum()), int(confirmed.sum()), int(reported.sum())


def test_scope_states_the_quarter_and_the_rounding_of_the_policy(service):
    text = page.scope(service).text()
    assert text == (
        f"**Scope:** {service.scope} (Apr to Jun 2026). Counts of people are rounded to the "
        f"nearest {service.config.disclosure.round_to}, and groups of fewer than 8 people are "
        "not shown."
    )
    exact = with_policy(service, DisclosurePolicy(threshold=8, round_to=None))
    assert (
        page.scope(exact)
        .text()
        .endswith(
            "Counts of people are shown exactly, and groups of fewer than 8 people are not shown."
        )
    )


def test_kpi_tables_count_the_episode_table_and_withhold_small_groups(service, kpis, first_quarter):
    setters, confirmed, reported = quitters(service)
    to_date = kpis.to_date[kpis.to_date["level"] == "service"].set_index("kpi_id")
    assert to_date.loc["quit_4wk_co", ["numerator", "denominator"]].tolist() == [
        confirmed,
        setters,
    ]
    assert to_date.loc["quit_4wk_co", "value"] == pytest.approx(confirmed / setters)
    # CO validation rests on the self-reported quitters; the ones NOT confirmed are a small
    # group in the demo, so the figure is withheld whatever its size.
    threshold = service.config.disclosure.threshold
    assert 0 < reported - confirmed < threshold
    assert not to_date.loc["co_validation", "shown"]
    assert to_date["value"].isna()["co_validation"]
    periods = sorted(service.episodes["period"].unique())
    assert sorted(kpis.quarterly["period"].unique()) == periods
    assert kpis.has_trend
    assert not page.kpi_tables(first_quarter).has_trend


def test_scorecard_records_the_ratings_its_table_shows(service, kpis, figures):
    blocks = page.kpi_scorecard(service, kpis)
    (table,) = tables_of(blocks)
    assert (
        table["caption"] == "KPI scorecard for people referred in Apr to Jun 2026 (whole service)"
    )
    assert "Change since previous quarter" in table["columns"]
    ratings = [row["Rating"] for row in table["rows"].values()]
    green = sum(r.startswith("Green") for r in ratings)
    red = sum(r.startswith("Red") for r in ratings)
    recorded = figures()
    assert recorded["kpis_green"]["value"] == green
    assert recorded["kpis_red"]["value"] == red
    assert f"**{green} green**" in blocks.text()
    assert set(table["rows"]) == {k.title for k in kpis.definitions if k.id in kpis.scorecard_ids}
    # Counts of people are rounded as the policy rounds them.
    referred = int((service.episodes["period"] == service.period).sum())
    policy = service.config.disclosure
    assert table["rows"]["Referrals received"]["Based on (people)"] == str(policy.rounded(referred))
    assert table["rows"][VALIDATION_TITLE]["Result"] == NOT_SHOWN


def test_a_single_quarter_has_no_change_column_and_no_trend(first_quarter, figures):
    kpis = page.kpi_tables(first_quarter)
    (table,) = tables_of(page.kpi_scorecard(first_quarter, kpis))
    assert "Change since previous quarter" not in table["columns"]
    trend = page.kpi_trend(first_quarter, kpis)
    assert tables_of(trend) == []
    assert trend.text().startswith("Only one quarter (Jul to Sep 2024) has referrals so far")
    outcome = page.lifestyle_outcome(first_quarter, "smoking", kpis).text()
    assert "by quarter of referral" not in outcome
    assert "Too few people in each quarter" not in outcome


def test_trend_has_a_column_for_every_quarter_of_referral(service, kpis):
    (table,) = tables_of(page.kpi_trend(service, kpis))
    quarters = sorted(service.episodes["period"].unique())
    assert table["columns"] == [period_label(q) for q in quarters]
    assert table["rows"][VALIDATION_TITLE][period_label(service.period)] == NOT_SHOWN


def test_units_are_compared_by_provider_and_site_for_the_whole_service(service, kpis, north):
    provider, site = tables_of(page.kpis_by_provider_and_site(service, kpis))
    assert provider["caption"] == "KPI results and ratings by provider, all quarters to date"
    assert set(provider["columns"]) == set(service.episodes["provider"].unique())
    assert set(site["columns"]) == set(service.episodes["site"].unique())
    one_site = page.kpis_by_provider_and_site(north)
    assert one_site.text() == (
        "Only one provider is in scope, so there is nothing to compare it with."
    )


def test_smoking_section_records_the_quit_rate_of_the_episode_table(service, kpis, figures):
    blocks = page.lifestyle_outcome(service, "smoking", kpis)
    setters, confirmed, reported = quitters(service)
    quit_rate = figures()["quit_4wk_co_rate"]
    low, high = wilson_ci(confirmed, setters)
    assert quit_rate["value"] == pytest.approx(100 * confirmed / setters)  # unrounded
    assert quit_rate["n"] == setters
    assert (quit_rate["ci_low"], quit_rate["ci_high"]) == pytest.approx((100 * low, 100 * high))
    # The page states it as the index and the summary do: a whole percent.
    assert f"{100 * confirmed / setters:.0f}%** (95% CI {100 * low:.0f}% to" in blocks.text()
    validation = figures()["co_validation_rate"]  # withheld: a small group is not confirmed
    assert validation["value"] is None and validation["n"] == reported
    policy = service.config.disclosure
    text = blocks.text()
    assert f"based on {policy.rounded(setters):,} people across all quarters to date" in text
    (table,) = tables_of(blocks)
    assert table["caption"] == "Stop smoking: all quarters to date"
    assert list(table["rows"])[0] == QUIT_TITLE
    assert table["rows"][QUIT_TITLE]["Based on (people)"] == str(policy.rounded(setters))
    assert table["rows"][VALIDATION_TITLE]["Rating"] == NOT_SHOWN
    # A trend where two or more quarters can be shown (quitters and non-quitters both at
    # least the threshold, counted here by hand), then a funnel plot by provider and one by
    # site, each with alt text.
    episodes = service.episodes
    setting = episodes["set_quit_date"].fillna(False).astype(bool)
    quarter = episodes.loc[setting, "referral_date"].dt.to_period("Q")
    quit_ = episodes.loc[setting, "quit_4wk_co"].fillna(False).astype(bool)
    by_quarter = quit_.groupby(quarter).agg(["sum", "size"])
    showable = (by_quarter["sum"] >= policy.threshold) & (
        by_quarter["size"] - by_quarter["sum"] >= policy.threshold
    )
    trend = int(showable.sum()) >= 2
    assert text.count('<figure class="evalkit-figure">') == 2 + trend
    assert trend or "Too few people in each quarter to show this result" in text
    assert 'alt=""' not in text
    assert "by provider, all quarters to date, against the target of 35%" in text
    assert "by site, all quarters to date" in text


def test_a_section_withholds_its_headline_below_the_threshold(service, figures):
    setters, _, _ = quitters(service)
    strict = with_policy(service, DisclosurePolicy(threshold=setters + 1, round_to=None))
    blocks = page.lifestyle_outcome(strict, "smoking")
    text = blocks.text()
    assert f"{QUIT_TITLE}: not shown, because it rests on small numbers" in text
    assert "<img" not in text
    assert "Too few people in each quarter to show this result quarter by quarter." in text
    assert "A funnel plot needs at least two providers with enough people to show" in text
    (table,) = tables_of(blocks)
    assert table["rows"][QUIT_TITLE]["Result"] == NOT_SHOWN
    quit_rate = figures()["quit_4wk_co_rate"]
    assert quit_rate["value"] is None and quit_rate["ci_low"] is None
    assert quit_rate["n"] == setters  # the summary page withholds it by n


def test_one_site_has_no_site_funnel(north, figures):
    text = page.lifestyle_outcome(north, "weight").text()
    assert "A funnel plot needs at least two providers" in text
    assert "by site" not in text and "two sites" not in text
    assert "weight_loss_5pct_rate" in figures()


def test_a_section_without_key_figures_records_none(service, kpis, figures):
    blocks = page.lifestyle_outcome(service, "diet", kpis)
    assert figures() == {}
    (table,) = tables_of(blocks)
    assert table["caption"] == "Healthy eating: all quarters to date"
    episodes = service.episodes
    both = episodes["five_a_day_baseline"].notna() & episodes["five_a_day_exit"].notna()
    end = "Clients eating 5 a day at the end (of those with a start and end record)"
    assert table["rows"][end]["Based on (people)"] == str(
        service.config.disclosure.rounded(int(both.sum()))
    )


def test_an_unknown_section_is_a_config_error(service, kpis):
    with pytest.raises(ConfigError, match="no lifestyle section 'sleep'"):
        page.lifestyle_outcome(service, "sleep", kpis)
