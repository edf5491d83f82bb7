"""The sections of the wellbeing page (02) against the episode table and the disclosure rules.

The expectations come by another route than the page's own: counts and shares from the episode
table (built by :mod:`evalkit.data.episodes`, not by the page's scoring), small-number rules
from the :class:`~evalkit.config.DisclosurePolicy`, and the statistics from the package
functions the page is meant to call.
"""

from __future__ import annotations

import warnings

import pytest
from page_helpers import tables_of, with_policy

from evalkit import instruments
from evalkit.config import DisclosurePolicy, load_config
from evalkit.data.evaluation import load_evaluation
from evalkit.outcomes import for_whom
from evalkit.pages import wellbeing as page
from evalkit.pages.wellbeing import sections
from evalkit.pages.wellbeing.subgroups import FOR_WHOM_FACTORS, strongest_difference
from evalkit.present.wording import count_text

EXACT = DisclosurePolicy(threshold=8, round_to=None)


@pytest.fixture(scope="module")
def service(demo):
    """The whole service at the latest period, counts shown exactly.

    Overrides conftest.py's ``service``, which keeps the demo's policy (threshold 8, round 5).
    """
    return with_policy(load_evaluation(demo), EXACT)


@pytest.fixture(scope="module")
def summary(service):
    return page.change_summary_table(service)


@pytest.fixture(scope="module")
def wemwbs(service):
    return page.wemwbs_scores(service)


def test_scope_states_the_episodes_and_the_rules_as_the_policy_rounds_them(demo):
    ev = load_evaluation(demo)  # the demo's own policy: threshold 8, rounding to 5
    text = page.scope(ev).text()
    policy = ev.config.disclosure
    assert f"**Episodes in scope:** {policy.rounded(len(ev.episodes)):,}." in text
    assert f"rounded to the nearest {policy.round_to}" in text
    assert f"fewer than {policy.threshold} people are not shown" in text


def test_wellbeing_change_records_the_mean_change_of_the_episode_table(service, summary, figures):
    blocks = page.wellbeing_change(service, summary)
    change = service.episodes["wemwbs_change"].dropna()
    mean = figures()["wemwbs_mean_change"]
    assert mean["n"] == len(change)
    assert mean["value"] == pytest.approx(change.mean(), abs=0.005)
    assert mean["ci_low"] < mean["value"] < mean["ci_high"]
    assert f"Among the **{len(change):,}** people" in blocks.text()
    (table,) = tables_of(blocks)
    row = table["rows"]["WEMWBS (14 to 70)"]
    assert row["People with both scores"] == f"{len(change):,}"
    assert row["Average change"] == f"{change.mean():+.1f}"
    swemwbs = service.episodes["swemwbs_change"].dropna()
    assert table["rows"]["SWEMWBS (7 to 35)"]["People with both scores"] == f"{len(swemwbs):,}"


def test_wellbeing_change_withholds_a_group_below_the_threshold(service, summary, figures):
    n_paired = int(service.episodes["wemwbs_change"].notna().sum())
    strict = with_policy(service, DisclosurePolicy(threshold=n_paired + 1, round_to=None))
    blocks = page.wellbeing_change(strict, summary)
    text = blocks.text()
    assert f"Fewer than {n_paired + 1} people have a WEMWBS score" in text
    assert "too few to report their change" in text
    assert "Among the" not in text
    row = tables_of(blocks)[0]["rows"]["WEMWBS (14 to 70)"]
    assert set(row.values()) == {"*"}  # the count and everything derived from it


def test_spread_of_scores_draws_the_distribution_with_alt_text(service, summary, wemwbs):
    blocks = page.spread_of_scores(service, summary, wemwbs)
    assert len(blocks) == 1
    markup = blocks.text()
    assert markup.startswith('<figure class="evalkit-figure"><img src="data:image/png;base64,')
    assert 'alt=""' not in markup
    n_paired = int(service.episodes["wemwbs_change"].notna().sum())
    assert f"WEMWBS scores of the {n_paired:,} people" in markup


def test_spread_of_scores_waits_for_the_warwick_minimum(service, summary, wemwbs):
    few = summary.assign(meets_warwick_minimum=False)
    text = page.spread_of_scores(service, few, wemwbs).text()
    assert text.startswith("The chart is shown once at least 30 people")
    assert "<img" not in text


def test_individual_change_counts_match_the_episode_table(service, summary, figures):
    blocks = page.individual_change(service, summary)
    episodes = service.episodes
    meaningful, reliable = tables_of(blocks)
    assert meaningful["caption"].startswith("Meaningful change")
    assert reliable["caption"].startswith("Reliable change")
    improved = episodes["wemwbs_meaningful_improvement"].dropna()
    assert meaningful["rows"]["WEMWBS (14 to 70)"]["Improved"] == f"{int(improved.sum()):,}"
    assert reliable["rows"]["WEMWBS (14 to 70)"]["Improved"] == str(
        int(episodes["wemwbs_reliable_improvement"].dropna().sum())
    )
    recorded = figures()
    assert recorded["wemwbs_meaningful_improvement_pct"]["value"] == pytest.approx(
        100 * improved.mean(), abs=0.05
    )
    assert recorded["wemwbs_meaningful_improvement_pct"]["n"] == len(improved)
    share = episodes["wemwbs_reliable_improvement"].dropna().mean()
    assert recorded["wemwbs_reliable_improvement_pct"]["value"] == pytest.approx(
        100 * share, abs=0.05
    )
    assert f"**{round(100 * improved.mean())}%** improved meaningfully" in blocks.text()


def test_individual_change_is_not_calculated_for_fewer_people_than_the_threshold(
    service, summary, figures
):
    most = int(summary["n_paired"].max())
    strict = with_policy(service, DisclosurePolicy(threshold=most + 1, round_to=None))
    blocks = page.individual_change(strict, summary)
    assert tables_of(blocks) == []
    assert blocks.text().endswith(
        f"Individual change is shown once at least {most + 1} people have both scores."
    )
    assert "improved meaningfully" not in blocks.text()
    recorded = figures()
    for key in ("wemwbs_meaningful_improvement_pct", "wemwbs_reliable_improvement_pct"):
        assert recorded[key]["value"] is None and recorded[key]["ci_low"] is None


def test_loss_to_follow_up_counts_everyone_with_a_start_score(service, summary, wemwbs):
    blocks = page.loss_to_follow_up(service, summary, wemwbs)
    episodes = service.episodes
    started = int(episodes["wemwbs_baseline"].notna().sum())
    followed = int(episodes["wemwbs_change"].notna().sum())
    text = blocks.text()
    assert f"Of the **{started:,}** people with a start score, **{followed:,}** also" in text
    assert "Technical note" not in text  # the demo's covariates can be told apart
    (table,) = tables_of(blocks)
    included = {approach: row["People included"] for approach, row in table["rows"].items()}
    assert included == {
        "People with both scores only": f"{followed:,}",
        "No change for people without an end score": f"{started:,}",
        "End score estimated for people without one": f"{started:,}",
    }


def test_loss_to_follow_up_explains_rank_deficiency_and_raises_other_warnings(
    service, summary, wemwbs, monkeypatch
):
    real = sections.sensitivity

    def noisy(*args, **kwargs):
        warnings.warn("the covariate matrix is rank-deficient", RuntimeWarning, stacklevel=1)
        warnings.warn("imputation chain did not converge", UserWarning, stacklevel=1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sections, "sensitivity", noisy)
    with pytest.warns(UserWarning, match="did not converge") as caught:
        blocks = page.loss_to_follow_up(service, summary, wemwbs)
    assert not [w for w in caught if "rank-deficient" in str(w.message)]
    assert "(Technical note: in this data some of the characteristics" in blocks.text()


def test_for_whom_records_the_strongest_difference_and_its_group_sizes(service, wemwbs, figures):
    blocks = page.for_whom_improved_most(service, wemwbs)
    factors = [f for f in FOR_WHOM_FACTORS if f in service.participants.columns]
    expected = strongest_difference(
        for_whom(wemwbs, service.participants, "wemwbs_total", factors, site=None, min_n=10)
    ).iloc[0]
    recorded = figures()
    groups = (
        f"{expected['factor_label']}: {expected['level_label']} versus "
        f"{expected['reference_label']}"
    )
    assert recorded["for_whom_top_subgroup"]["value"] == groups
    top = recorded["for_whom_top_difference"]
    assert top["value"] == pytest.approx(expected["difference"])  # stored unrounded
    # The two groups' sizes, counted on the episode table.
    paired = service.episodes[service.episodes["wemwbs_change"].notna()]
    levels = paired[expected["factor"]].astype(str)
    both = levels.isin([expected["level"], expected["reference_level"]]).sum()
    assert top["n"] == both
    assert blocks.text().count("<img") == 1
    (tests,) = tables_of(blocks)
    assert len(tests["rows"]) == len(factors)


def test_for_whom_with_no_group_large_enough_says_so(service, wemwbs, figures):
    strict = with_policy(service, DisclosurePolicy(threshold=len(service.episodes) + 1))
    blocks = page.for_whom_improved_most(strict, wemwbs)
    assert blocks.text() == "Too few people have both scores to compare groups."
    recorded = figures()
    assert recorded["for_whom_top_subgroup"]["value"] is None
    assert recorded["for_whom_top_difference"]["value"] is None


def test_talking_therapy_recovery_matches_the_episode_flags(service, figures):
    blocks = page.talking_therapy_outcomes(service)
    episodes = service.episodes
    known = episodes["iapt_recovery"].dropna()
    recovery = figures()["iapt_recovery_rate"]
    assert recovery["n"] == len(known)
    assert recovery["value"] == pytest.approx(100 * known.mean(), abs=0.05)
    (table,) = tables_of(blocks)
    row = table["rows"]["Moved to recovery"]
    # NHS Digital: finished treatment less those not at caseness at the start
    finished = episodes["iapt_finished_treatment"].fillna(False)
    not_at_caseness = (~episodes["iapt_case_baseline"]).fillna(False)
    assert int((finished & ~not_at_caseness).sum()) == len(known)
    assert row["Denominator"] == f"{len(known):,}"
    unpaired = int((~episodes.loc[known.index, "iapt_paired_scores"]).sum())
    unpaired_text = count_text(unpaired, threshold=EXACT.threshold).capitalize()
    assert f"{unpaired_text} of them have no complete start and end scores" in blocks.text()
    assert row["People with outcome"] == f"{int(known.sum()):,}"
    assert row["National standard"] == "50%"


def test_talking_therapy_withholds_rates_of_a_small_site(demo, figures):
    small = load_evaluation(demo, period=load_config(demo).periods[0], site="North")
    known = small.episodes["iapt_recovery"].dropna()
    assert 0 < len(known) < small.config.disclosure.threshold  # the case under test
    blocks = page.talking_therapy_outcomes(small)
    assert "Too few talking-therapy clients have finished treatment" in blocks.text()
    recovery = figures()["iapt_recovery_rate"]
    assert recovery["value"] is None and recovery["ci_low"] is None
    assert recovery["n"] == len(known)
    row = tables_of(blocks)[0]["rows"]["Moved to recovery"]
    assert row["%"] == "*"  # withheld, and marked so
    recovered = int(known.sum())  # a count of 1 to 7 is withheld; zero is shown
    threshold = small.config.disclosure.threshold
    assert row["People with outcome"] == ("*" if 0 < recovered < threshold else str(recovered))


def test_symptom_change_counts_people_with_both_scores(service):
    (table,) = tables_of(page.symptom_change(service))
    for column, label in (
        ("phq9_change", "Depression symptoms, PHQ-9 (0 to 27, lower is better)"),
        ("gad7_change", "Anxiety symptoms, GAD-7 (0 to 21, lower is better)"),
    ):
        change = service.episodes[column].dropna()
        assert table["rows"][label]["People with both scores"] == f"{len(change):,}"
        assert table["rows"][label]["Average change"] == f"{change.mean():+.1f}"


def test_scoring_rules_state_each_instruments_rule(service):
    text = page.scoring_rules(service).text()
    lines = text.splitlines()
    assert len(lines) == len(page.MISSING_RULE_INSTRUMENTS)
    for line, name in zip(lines, page.MISSING_RULE_INSTRUMENTS, strict=True):
        settings = instruments.instrument_settings(service.config, name)
        assert line == "- " + instruments.missing_rule_statement(name, **settings)
