"""The sections of the realist synthesis page (04) against hand counts and the disclosure rules.

The expectations come by another route than the page's own: sources and excerpts counted from
the evaluation's qualitative tables, people in and outside each CMOC's context counted on the
episode table with the CMOC's own filter, pattern counts from
:func:`evalkit.realist.cmoc_outcome_link`, and small-number rules from the
:class:`~evalkit.config.DisclosurePolicy`.
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd
import pytest
from page_helpers import tables_of, with_policy

from evalkit import realist
from evalkit.config import DisclosurePolicy
from evalkit.data.evaluation import Evaluation, load_evaluation
from evalkit.data.expressions import evaluate
from evalkit.pages import realist_synthesis as page
from evalkit.present.labels import period_label

EXACT = DisclosurePolicy(threshold=8, round_to=None)


def sources_in_scope(ev: Evaluation) -> pd.DataFrame:
    """The sources a report may use, by hand: dated by the period's end, this site or none."""
    sources = ev.qual["sources"]
    year, quarter = map(int, ev.period.split("-Q"))
    end = pd.Timestamp(year=year, month=3 * quarter, day=1) + pd.offsets.MonthEnd(0)
    dated = pd.to_datetime(sources["date"])
    keep = dated.isna() | (dated <= end)
    if ev.site != "all":
        keep &= sources["site"].isna() | (sources["site"] == ev.site)
    return sources[keep]


def excerpts_of(ev: Evaluation, source_ids) -> int:
    """Distinct coded excerpts (a span of a source coded several times counts once)."""
    codings = ev.qual["codings"]
    mine = codings[codings["source_id"].isin(set(source_ids))]
    return len(mine.drop_duplicates(["source_id", "start", "end"]))


def people_in_context(ev: Evaluation, cmoc: dict) -> tuple[int, int]:
    """People with the CMOC's outcome measured, in its context and outside it."""
    measured = ev.episodes[cmoc["outcome_measure"]].notna()
    context = evaluate(ev.episodes, cmoc["context_filter"])
    return int((context & measured).sum()), int((~context & measured).sum())


def declaring_a_test(ev: Evaluation) -> list[dict]:
    """The CMOCs that declare a quantitative test (context filter, outcome, direction)."""
    cmocs = ev.qual["cmocs"]
    declared = (
        cmocs[["context_filter", "outcome_measure", "expected_direction"]].notna().all(axis=1)
    )
    return cmocs[declared].to_dict("records")


@pytest.fixture(scope="module")
def north(demo):
    """North's report for the first quarter with interviews: sources left out both ways.

    Overrides conftest.py's ``north``, which is North at the latest period.
    """
    return load_evaluation(demo, period="2026-Q1", site="North")


@pytest.fixture(scope="module")
def analysis(service):
    return page.realist_analysis(service)


def test_evidence_in_scope_records_the_cmocs_by_pattern_and_the_sources_counted_by_hand(
    service, analysis, figures
):
    text = page.evidence_in_scope(service, analysis).text()
    recorded = figures()
    assert list(recorded) == [f.key for f in page.SYNTHESIS_KEY_FIGURES]
    for figure in page.SYNTHESIS_KEY_FIGURES:
        assert (recorded[figure.key]["label"], recorded[figure.key]["unit"]) == (
            figure.label,
            figure.unit,
        )
    sources = sources_in_scope(service)
    excerpts = excerpts_of(service, sources["source_id"])
    assert recorded["qual_sources"]["value"] == len(sources)
    assert recorded["qual_excerpts"]["value"] == excerpts
    cmocs = service.qual["cmocs"]
    patterns = realist.cmoc_outcome_link(cmocs, service.episodes, min_n=30)["pattern"]
    assert recorded["cmocs_total"]["value"] == len(cmocs)
    for pattern in ("consistent", "inconsistent", "inconclusive", "not tested"):
        key = "cmocs_" + pattern.replace(" ", "_")
        assert recorded[key]["value"] == int((patterns == pattern).sum())
    assert f"({period_label(service.period)})" in text
    assert f"{len(sources)} sources dated up to 30 June 2026, with {excerpts} coded excerpts." in (
        text
    )
    assert "are not used here" not in text  # nothing is left out of the latest whole-service page


def test_a_sites_report_says_how_many_sources_it_leaves_out_and_why(north, figures):
    blocks = page.evidence_in_scope(north)
    sources = north.qual["sources"]
    late = pd.to_datetime(sources["date"]) > pd.Timestamp("2026-03-31")
    elsewhere = sources["site"].notna() & (sources["site"] != "North") & ~late
    assert late.any() and elsewhere.any()
    later = (
        f"{late.sum()} sources dated after the report period "
        f"({excerpts_of(north, sources.loc[late, 'source_id'])} coded excerpts) are not used "
        "here: a report only draws on what was known by the end of its period."
    )
    other = (
        f"{elsewhere.sum()} sources from other sites "
        f"({excerpts_of(north, sources.loc[elsewhere, 'source_id'])} coded excerpts) are not "
        "used here; sources about the whole service are kept."
    )
    assert [str(b.data) for b in blocks[1:]] == [later, other]
    kept = sources_in_scope(north)
    assert (
        figures()["qual_sources"]["value"]
        == len(kept)
        == len(sources) - late.sum() - (elsewhere.sum())
    )


def test_qualitative_sources_are_counted_by_group_and_shown_in_full(north):
    (table,) = tables_of(page.qualitative_sources(north))
    assert table["caption"].startswith("Qualitative sources by stakeholder group")
    sources = sources_in_scope(north)
    labels = sources["stakeholder_group"].map(realist.STAKEHOLDER_LABELS)
    for label, count in labels.value_counts().items():
        assert table["rows"][label]["All sources"] == str(count)
    assert table["rows"]["All"]["All sources"] == str(len(sources))
    assert table["rows"]["All"]["Interviews"] == str(int((sources["type"] == "interview").sum()))
    # Counts of sources, not people: a group of one source is shown, and nothing is rounded.
    assert "1" in {row["All sources"] for row in table["rows"].values()}
    assert "*" not in {cell for row in table["rows"].values() for cell in row.values()}


def test_in_brief_words_the_recorded_counts_and_the_cmocs_with_too_few_people(service, analysis):
    text = page.in_brief(service, analysis).text()
    count = analysis.count
    assert (
        f"The programme theory is expressed as {count('cmocs_total')} CMOCs. The monitoring data "
        f"**agree with {count('cmocs_consistent')}**, **point against "
        f"{count('cmocs_inconsistent')}** and **cannot yet tell for "
        f"{count('cmocs_inconclusive')}**"
    ) in text
    small = [c for c in declaring_a_test(service) if min(people_in_context(service, c)) < 30]
    assert small
    assert f"For {len(small)} CMOC{'s' * (len(small) != 1)}, too few people in this period" in text
    assert text.endswith("not evidence against the theory.")


def test_in_brief_for_a_site_points_to_the_whole_service_report(north):
    text = page.in_brief(north).text()
    assert "too few people at this site alone fall in the context" in text
    assert text.endswith("the whole-service report pools every site.")


def test_programme_theories_show_every_cmoc_with_the_evaluators_own_status(service, analysis):
    (table,) = tables_of(page.programme_theories(service, analysis))
    shown = {
        row["CMOC"]: (
            row["Programme theory"],
            row["What the service offers"],
            row["Evaluator's status"],
        )
        for row in table["records"]
    }
    cmocs = service.qual["cmocs"]
    columns = ["programme_theory", "mechanism_resource", "status"]
    expected = cmocs.set_index("cmoc_id")[columns]
    assert shown == {c: tuple(v) for c, v in expected.iterrows()}
    theories = [row["Programme theory"] for row in table["records"]]
    assert theories == sorted(theories, key=theories.index)  # each theory's CMOCs together


def test_the_comparison_counts_people_in_each_context_and_withholds_small_groups(service):
    exact = with_policy(service, EXACT)
    (table,) = tables_of(page.evidence_and_patterns(exact))
    assert table["caption"].startswith("CMOCs: qualitative evidence and the outcome pattern")
    withheld = 0
    for cmoc in declaring_a_test(service):
        n_in, n_out = people_in_context(service, cmoc)
        row = table["rows"][cmoc["cmoc_id"]]
        if 0 < n_in < 8 or 0 < n_out < 8:
            withheld += 1
            assert (row["In the context"], row["Everyone else"]) == ("*", "*")
            assert row["Difference (95% CI)"] == "not shown: fewer than 8 people in a group"
        else:
            assert (row["In the context"], row["Everyone else"]) == (str(n_in), str(n_out))
    assert withheld  # the demo has a context with fewer than 8 people measured


def test_the_comparison_rounds_counts_as_the_policy_does(service, analysis):
    policy = service.config.disclosure
    assert policy.round_to
    (table,) = tables_of(page.evidence_and_patterns(service, analysis))
    for cmoc in declaring_a_test(service):
        n_in, n_out = people_in_context(service, cmoc)
        if min(n_in, n_out) >= policy.threshold:
            row = table["rows"][cmoc["cmoc_id"]]
            assert row["In the context"] == f"{policy.rounded(n_in):,}"
            assert row["Everyone else"] == f"{policy.rounded(n_out):,}"


def test_comparison_rules_state_the_configured_minimum_and_the_policy(service):
    text = page.comparison_rules(service).text()
    assert text.startswith("A comparison needs at least 30 people with the outcome measured")
    assert text.endswith("Counts under 8 are not shown, and counts are rounded to the nearest 5.")
    stricter = dataclasses.replace(
        service,
        config=dataclasses.replace(
            service.config,
            realist={"min_n": 50},
            disclosure=DisclosurePolicy(threshold=10, round_to=None),
        ),
    )
    text = page.comparison_rules(stricter).text()
    assert "at least 50 people" in text
    assert text.endswith("Counts under 10 are not shown.")


def test_outcome_patterns_draw_one_forest_plot_per_outcome_tested(service, analysis):
    blocks = page.outcome_patterns(service, analysis)
    outcomes = list(dict.fromkeys(c["outcome_measure"] for c in declaring_a_test(service)))
    assert len(blocks) == len(outcomes) > 1
    for markup, outcome in zip(blocks.text().split("\n"), outcomes, strict=True):
        assert markup.startswith('<figure class="evalkit-figure"><img src="data:image/png;base64,')
        assert re.search(r'alt="Forest plot of [^"]{20,}"', markup)
        label = page.outcome_wording(outcome).label
        assert f"<figcaption>{label}: the difference between people" in markup


def test_one_card_per_cmoc_in_order_withholding_small_groups(service, analysis):
    blocks = page.cmoc_cards(with_policy(service, EXACT), analysis)
    cmocs = service.qual["cmocs"]["cmoc_id"].tolist()
    assert re.findall(r'<h3 id="cmoc-([^"]+)">', blocks.text()) == cmocs
    cards = dict(zip(cmocs, (str(b.data) for b in blocks), strict=True))
    for cmoc in declaring_a_test(service):
        n_in, n_out = people_in_context(service, cmoc)
        card = cards[cmoc["cmoc_id"]]
        if 0 < n_in < 8 or 0 < n_out < 8:
            assert "not shown (fewer than 8 people in one of the groups)" in card
            assert f"({n_in} people)" not in card
        else:
            assert f"({n_in} people)" in card and f"({n_out} people)" in card


def test_where_configurations_recur_is_the_whole_service_whatever_the_sites_report(demo, north):
    service_q1 = load_evaluation(demo, period="2026-Q1")
    (for_north,) = tables_of(page.where_configurations_recur(north))
    (for_all,) = tables_of(page.where_configurations_recur(service_q1))
    assert for_north == for_all
    assert {"Whole service", "Sites with evidence", "Sites with every element"} <= set(
        for_all["header"]
    )
    for row in for_all["rows"].values():
        assert int(row["Sites with every element"]) <= int(row["Sites with evidence"])
        assert int(row["Sites with evidence"]) <= len(service_q1.config.sites)


def test_the_first_period_of_the_refinement_log_is_written_to_the_output_folder(
    service, analysis, tmp_path
):
    text = page.how_the_theories_changed(service, tmp_path, analysis).text()
    assert text.startswith(f"{period_label(service.period)} is the first period with recorded")
    log = realist.read_refinement_log(tmp_path / page.REFINEMENT_LOG_FILE)
    cmocs = service.qual["cmocs"]
    assert log["period"].unique().tolist() == [service.period]
    assert log.set_index("cmoc_id")["status"].to_dict() == dict(
        zip(cmocs["cmoc_id"], cmocs["status"], strict=True)
    )
    assert not (service.config.qual_dir / page.REFINEMENT_LOG_FILE).exists()


def test_a_recorded_earlier_period_is_kept_and_the_change_shown(service, tmp_path):
    data_dir = tmp_path / "data"
    (data_dir / "qual").mkdir(parents=True)
    cmocs = service.qual["cmocs"]
    earlier = realist.record_period(
        realist.read_refinement_log(data_dir / "none.csv"),
        cmocs.assign(status="initial"),
        "2026-Q1",
    )
    realist.write_refinement_log(earlier, data_dir / "qual" / page.REFINEMENT_LOG_FILE)
    refined = cmocs.assign(status=["refined", *cmocs["status"].iloc[1:]])
    ev = dataclasses.replace(
        service,
        config=dataclasses.replace(service.config, data_dir=data_dir),
        qual={**service.qual, "cmocs": refined},
    )
    out = tmp_path / "out"
    out.mkdir()
    (table,) = tables_of(page.how_the_theories_changed(ev, out))
    assert table["header"] == [
        "CMOC",
        period_label("2026-Q1"),
        period_label(service.period),
        "How it changed",
        "Evidence from fieldwork",  # the demo's sources carry their fieldwork round
    ]
    first = table["rows"][cmocs["cmoc_id"].iloc[0]]
    assert (first[period_label("2026-Q1")], first[period_label(service.period)]) == (
        "initial",
        "refined",
    )
    written = realist.read_refinement_log(out / page.REFINEMENT_LOG_FILE)
    assert sorted(written["period"].unique()) == ["2026-Q1", service.period]
    assert len(written) == 2 * len(cmocs)


def test_rameses_lists_the_twenty_items_and_flags_titles_not_checked(service, analysis):
    blocks = page.rameses_ii(service, analysis)
    (table,) = tables_of(blocks)
    assert list(table["rows"]) == [str(i) for i in range(1, 21)]
    unchecked = [i for i in realist.RAMESES_II if i.title_source != "confirmed in Table 1"]
    for item in realist.RAMESES_II:
        title = table["rows"][str(item.number)]["Title"]
        assert title == item.title + (" †" if item in unchecked else "")
    assert (str(blocks[-1].data) == page.UNCHECKED_TITLE_NOTE) == bool(unchecked)


def test_without_cmocs_the_page_says_so_and_shows_only_the_evidence(service, figures, tmp_path):
    ev = dataclasses.replace(service, qual={**service.qual, "cmocs": service.qual["cmocs"][:0]})
    analysis = page.realist_analysis(ev)
    page.evidence_in_scope(ev, analysis)
    recorded = figures()
    assert recorded["cmocs_total"]["value"] == 0
    assert recorded["qual_sources"]["value"] == len(sources_in_scope(service))
    assert page.missing_cmocs(ev, analysis).text().startswith("No CMOCs have been recorded")
    assert page.missing_cmocs(service).text() == ""
    empty = (
        page.in_brief(ev, analysis),
        page.programme_theories(ev, analysis),
        page.evidence_and_patterns(ev, analysis),
        page.outcome_patterns(ev, analysis),
        page.cmoc_cards(ev, analysis),
        page.where_configurations_recur(ev, analysis),
        page.how_the_theories_changed(ev, tmp_path, analysis),
    )
    assert all(blocks == [] for blocks in empty)
    assert not (tmp_path / page.REFINEMENT_LOG_FILE).exists()
    assert len(tables_of(page.qualitative_sources(ev, analysis))) == 1
    assert len(tables_of(page.rameses_ii(ev, analysis))) == 1
