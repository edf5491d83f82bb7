"""evalkit.pages.realist_synthesis: the realist synthesis page's numbers, quotes and wording.

Expectations are independent of the code under test: counts worked out by hand from the small
hand-written qualitative tables in ``tests/fixtures/synthesis/`` (each arithmetic step is in a
comment), differences computed directly with pandas from the episodes, the labels of
:func:`evalkit.realist.label_pattern` for the explanations, and which RAMESES II titles are
verified according to ``/work/shared/reference/qualitative.md`` §1.3 (items 1-8).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import realist
from evalkit.errors import ConfigError
from evalkit.pages import realist_synthesis as synthesis

FIXTURES = Path(__file__).parent / "fixtures" / "synthesis"
REPO = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def qual() -> dict[str, pd.DataFrame]:
    read = {"keep_default_na": False, "na_values": [""], "dtype": "str"}
    sources = pd.read_csv(FIXTURES / "sources.csv", **read)
    sources["date"] = pd.to_datetime(sources["date"])
    codings = pd.read_csv(FIXTURES / "codings.csv", **read).astype({"start": int, "end": int})
    return {
        "sources": sources,
        "codings": codings,
        "codebook": pd.read_csv(FIXTURES / "codebook.csv", **read),
        "cmocs": pd.read_csv(FIXTURES / "cmocs.csv", **read),
    }


# --------------------------------------------------------------------------- scope


def test_a_report_uses_sources_dated_up_to_the_end_of_its_period(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q1")
    # S2 is dated 31 March (last day of Q1: kept); S3 is dated 1 April (after Q1: left out);
    # S5 has no date (kept, nothing says it is late).
    assert sorted(scope.sources["source_id"]) == ["S1", "S2", "S4", "S5", "S6"]
    assert scope.period_end == pd.Timestamp("2026-03-31")
    # S3's three codings K06-K08 share one span, so they are one excerpt.
    assert scope.left_out.to_dict("records") == [
        {"reason": "dated after the report period", "sources": 1, "excerpts": 1}
    ]
    assert set(scope.codings["source_id"]) == {"S1", "S2", "S4", "S5", "S6"}


def test_a_sites_report_keeps_its_own_and_whole_service_sources(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q2", site="North")
    # North: S1, S2; no site (whole service): S4. South: S3, S5, S6 with one excerpt each.
    assert sorted(scope.sources["source_id"]) == ["S1", "S2", "S4"]
    assert scope.left_out.to_dict("records") == [
        {"reason": "from other sites", "sources": 3, "excerpts": 3}
    ]


def test_excerpts_coded_several_times_share_one_selection_id(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q2")
    ids = dict(zip(scope.codings["coding_id"], scope.codings["selection_id"], strict=True))
    assert ids["K01"] == ids["K02"] == ids["K03"] == ids["K04"]
    assert ids["K05"] != ids["K12"]  # same words, different span: two excerpts


@pytest.mark.parametrize("period", ["2026Q1", "2026-Q5", "latest", ""])
def test_a_malformed_period_is_a_config_error_naming_it(qual, period):
    with pytest.raises(ConfigError, match=re.escape(repr(period))):
        synthesis.qualitative_in_scope(qual, period=period)


def test_sources_by_group_counts_by_hand(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q2")
    table = synthesis.sources_by_group(scope.sources, scope.codings)
    assert list(table.columns) == list(synthesis.SOURCE_COLUMNS)
    # Known groups in the report's order, then the unknown "carer", then the missing group.
    assert table["stakeholder_group"].tolist() == [
        "Commissioner",
        "Frontline staff",
        "Service user",
        "Carer",
        "Not recorded",
        "All",
    ]
    rows = table.set_index("stakeholder_group")
    # Service user: S1 and S3, two interviews; excerpts K01-K04 (one span) + K06-K08 (one
    # span) = 2; sites North and South = 2.
    assert rows.loc["Service user", ["interviews", "sources", "excerpts", "sites"]].tolist() == [
        2,
        2,
        2,
        2,
    ]
    # Frontline staff: S2, one focus group, two spans (K05 at 10-42, K12 at 50-82).
    assert rows.loc["Frontline staff", ["focus_groups", "excerpts", "sites"]].tolist() == [1, 2, 1]
    # Commissioner: the service specification, no site.
    assert rows.loc["Commissioner", ["documents", "sites"]].tolist() == [1, 0]
    # All: 3 interviews, 1 focus group, 1 field note, 1 document = 6 sources; excerpts
    # 1 (S1) + 2 (S2) + 1 (S3) + 1 (S4) + 1 (S5) + 1 (S6) = 7; sites North and South = 2.
    assert rows.loc[
        "All",
        ["interviews", "focus_groups", "fieldnotes", "documents", "sources", "excerpts", "sites"],
    ].tolist() == [3, 1, 1, 1, 6, 7, 2]
    # Each group row adds up to the All row.
    groups = rows.drop(index="All")
    assert groups[["sources", "excerpts"]].sum().tolist() == [6, 7]


# --------------------------------------------------------------------------- key figures


def test_key_figures_count_cmocs_by_pattern_and_the_evidence_in_scope(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q2")
    link = pd.DataFrame({"pattern": ["consistent", "not tested", "inconclusive", "inconclusive"]})
    cmocs = pd.DataFrame({"cmoc_id": ["A", "B", "C", "D"]})
    figures = synthesis.synthesis_key_figures(cmocs, link, scope.sources, scope.codings)
    values = dict(zip(figures["key"], figures["value"], strict=True))
    assert values == {
        "cmocs_total": 4,
        "cmocs_consistent": 1,
        "cmocs_inconsistent": 0,
        "cmocs_inconclusive": 2,
        "cmocs_not_tested": 1,
        "qual_sources": 6,
        "qual_excerpts": 7,  # as counted by hand in test_sources_by_group_counts_by_hand
    }
    patterns = ("cmocs_consistent", "cmocs_inconsistent", "cmocs_inconclusive", "cmocs_not_tested")
    assert sum(values[k] for k in patterns) == values["cmocs_total"]
    assert all(isinstance(v, int) for v in values.values())  # JSON-safe for record()
    json.dumps(values)


def test_key_figures_without_cmocs_or_sources_are_zero():
    empty = synthesis.synthesis_key_figures(
        pd.DataFrame({"cmoc_id": []}),
        None,
        pd.DataFrame({"source_id": []}),
        pd.DataFrame({"selection_id": []}),
    )
    assert empty["value"].tolist() == [0] * len(synthesis.SYNTHESIS_KEY_FIGURES)


def test_every_key_figure_is_documented_under_the_page():
    docs = (REPO / "docs" / "key-figures.md").read_text(encoding="utf-8")
    section = docs.split("## 04_realist_synthesis", 1)[1].split("\n## ", 1)[0]
    for figure in synthesis.SYNTHESIS_KEY_FIGURES:
        assert f"| `{figure.key}` |" in section, figure.key


# --------------------------------------------------------------------------- quotes


def test_quotes_prefer_whole_configurations_and_never_repeat_words(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q2")
    quotes = synthesis.cmoc_quotes(
        scope.cmocs, scope.codings, scope.sources, scope.codebook, n=10
    ).set_index("cmoc_id")
    a = quotes.loc["CMOC_A"]
    # K01-K04 evidence all four elements of CMOC_A, so they come first, scrubbed of the
    # interviewee's name (the source is called "Interview 01 - Jane Roe").
    assert a.iloc[0]["elements"] == 4
    assert a.iloc[0]["quote"].startswith("Since my husband died I live alone, and [name] at")
    texts = " | ".join(a["quote"])
    assert "Jane" not in texts and "Roe" not in texts
    # K06-K08 evidence three elements of CMOC_B but only the shared outcome of CMOC_A: CMOC_B's.
    assert "My GP sent me" not in texts
    # K05/K12 are the same words; K10/K11 differ only in an age: one of each pair is quoted.
    assert sum("runs on Tuesdays" in q for q in a["quote"]) == 1
    assert sum("live on my own since the move" in q for q in a["quote"]) == 1
    # So CMOC_A has e1, a Tuesday quote, the service specification and one "live on my own".
    assert len(a) == 4
    assert a["rank"].tolist() == [1, 2, 3, 4]
    # The specification's client id is scrubbed; it is attributed to the whole service.
    spec = a[a["quote"].str.startswith("Clients report")].iloc[0]
    assert "NT-004512" not in spec["quote"] and "[ID]" in spec["quote"]
    assert spec["attribution"] == "Commissioner, whole service"
    b = quotes.loc[["CMOC_B"]]
    assert b["quote"].iloc[0].startswith("My GP sent me") and b["elements"].iloc[0] == 3
    assert not b["quote"].str.contains("Since my husband died").any()


def test_at_most_n_quotes_per_cmoc(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q2")
    quotes = synthesis.cmoc_quotes(scope.cmocs, scope.codings, scope.sources, scope.codebook, n=2)
    assert quotes.groupby("cmoc_id").size().max() == 2
    assert list(quotes.columns) == list(synthesis.QUOTE_COLUMNS)


def test_no_quotes_without_codings(qual):
    empty = qual["codings"].iloc[0:0]
    quotes = synthesis.cmoc_quotes(qual["cmocs"], empty, qual["sources"], qual["codebook"])
    assert quotes.empty and list(quotes.columns) == list(synthesis.QUOTE_COLUMNS)


# --------------------------------------------------------------------------- wording


def test_difference_text_by_hand():
    assert synthesis.difference_text(2.86, 0.74, 4.98) == (
        "2.9 points higher (95% CI 0.7 to 5.0 higher)"
    )
    # Both ends below zero: the nearer end first.
    assert synthesis.difference_text(-16.49, -22.04, -10.94, "percentage points") == (
        "16.5 percentage points lower (95% CI 10.9 to 22.0 lower)"
    )
    assert synthesis.difference_text(0.42, -0.5, 1.34) == (
        "0.4 points higher (95% CI 0.5 lower to 1.3 higher)"
    )
    assert synthesis.difference_text(float("nan"), 0, 1) == "not available"
    assert synthesis.difference_text(1.0, float("nan"), 2.0) == "1.0 points higher"


@settings(max_examples=150, deadline=None)
@given(
    difference=st.floats(-50, 50, allow_nan=False),
    half_width=st.floats(0.05, 30, allow_nan=False),
)
def test_difference_text_says_the_side_the_numbers_are_on(difference, half_width):
    low, high = difference - half_width, difference + half_width
    text = synthesis.difference_text(difference, low, high)
    main, interval = text.split(" (95% CI ")
    if round(abs(difference), 1) == 0:
        assert main == "no difference"
    else:
        assert main.endswith("higher" if difference > 0 else "lower")
        assert float(main.split()[0].replace(",", "")) == pytest.approx(abs(difference), abs=0.051)
    if low > 0:
        assert interval.endswith("higher)") and "lower" not in interval
    elif high < 0:
        assert interval.endswith("lower)") and "higher" not in interval
    else:  # the interval spans zero
        assert not re.search(r"\d (higher|lower) to \d.* \1\)$", interval)


def _category(label: str) -> str:
    return {"consistent": "agree", "inconsistent": "against"}.get(label, "cannot tell")


@settings(max_examples=200, deadline=None)
@given(
    n_in=st.integers(0, 200),
    n_out=st.integers(0, 200),
    difference=st.floats(-5, 5, allow_nan=False),
    half_width=st.floats(0.01, 5, allow_nan=False),
    expected=st.sampled_from(["higher", "lower"]),
)
def test_the_explanation_agrees_with_evalkits_label_and_discloses_no_small_count(
    n_in, n_out, difference, half_width, expected
):
    row = {
        "n_in": n_in,
        "n_out": n_out,
        "difference": difference,
        "ci_lower": difference - half_width,
        "ci_upper": difference + half_width,
        "interaction_p": 0.01,
        "note": "",
        "expected_direction": expected,
    }
    label, _ = realist.label_pattern(row, expected, min_n=30)
    text = synthesis.pattern_explanation({**row, "pattern": label}, min_n=30, threshold=8)
    said = (
        "agree"
        if "as the CMOC predicts" in text
        else "against"
        if "point the other way" in text
        else "cannot tell"
    )
    assert said == _category(label), text
    if 0 < n_in < 8 or 0 < n_out < 8:  # neither count may be written: one gives the other away
        assert not re.search(r"\b\d+ (in|outside)\b", text), text
        assert "fewer than 8" in text


def test_a_consistent_pattern_that_the_adjusted_test_does_not_confirm_says_so():
    row = {"pattern": "consistent", "expected_direction": "higher", "n_in": 100, "n_out": 300}
    row |= {"difference": 2.0, "ci_lower": 0.5, "ci_upper": 3.5, "interaction_p": 0.2}
    text = synthesis.pattern_explanation(row)
    assert "as the CMOC predicts" in text and "p = 0.20" in text and "caution" in text


def test_not_tested_is_explained_as_qualitative_only():
    text = synthesis.pattern_explanation({"pattern": "not tested"})
    assert text.startswith("Not tested") and "qualitative" in text


def test_outcome_wording_falls_back_to_words():
    assert synthesis.outcome_wording("quit_4wk_co").label.startswith("Smokers setting a quit")
    assert synthesis.outcome_wording("sessions_attended").label == "Sessions attended"


# --------------------------------------------------------------------------- comparison


@pytest.fixture(scope="module")
def episodes() -> pd.DataFrame:
    """100 episodes: 40 peer-led (context A), 12 GP-referred (context B), 5 digital (C)."""
    rng = np.random.default_rng(7)
    mode = ["peer_led"] * 40 + ["digital"] * 5 + ["face_to_face"] * 55
    source = ["gp"] * 12 + ["self"] * 88
    change = np.where(np.array(mode) == "peer_led", 6.0, 2.0) + rng.normal(0, 1, 100)
    quit = rng.random(100) < np.where(np.array(mode) == "peer_led", 0.6, 0.3)
    return pd.DataFrame(
        {
            "delivery_mode": mode,
            "referral_source": source,
            "wemwbs_change": change,
            "quit_4wk_co": pd.array(quit, dtype="boolean"),
        }
    )


@pytest.fixture(scope="module")
def tested_cmocs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cmoc_id": ["A", "Q", "B", "C", "N"],
            "programme_theory": ["PT1", "PT1", "PT2", "PT3", "PT4"],
            "context": ["peer"] * 5,
            "mechanism_resource": ["r"] * 5,
            "mechanism_reasoning": ["m"] * 5,
            "outcome": ["o"] * 5,
            "status": ["refuted", "initial", "supported", "initial", "refined"],
            "context_filter": [
                "delivery_mode == 'peer_led'",
                "delivery_mode == 'peer_led'",
                "referral_source == 'gp'",
                "delivery_mode == 'digital'",
                pd.NA,
            ],
            "outcome_measure": [
                "wemwbs_change",
                "quit_4wk_co",
                "wemwbs_change",
                "wemwbs_change",
                pd.NA,
            ],
            "expected_direction": ["higher", "higher", "higher", "higher", pd.NA],
        }
    )


def _compare(tested_cmocs, episodes, **kwargs):
    link = realist.cmoc_outcome_link(tested_cmocs, episodes, min_n=30)
    empty = pd.DataFrame(columns=["cmoc_id", "element", "n_sources"])
    return link, synthesis.cmoc_comparison(
        tested_cmocs,
        link,
        empty,
        pd.DataFrame(columns=["cmoc_id"]),
        episodes,
        codings=pd.DataFrame(),
        sources=pd.DataFrame(),
        codebook=pd.DataFrame(),
        min_n=30,
        threshold=8,
        **kwargs,
    ).set_index("cmoc_id")


def test_comparison_gives_the_difference_in_display_units(tested_cmocs, episodes):
    _, table = _compare(tested_cmocs, episodes)
    peer = episodes["delivery_mode"] == "peer_led"
    # Mean change inside minus outside, straight from the episodes.
    expected = (
        episodes.loc[peer, "wemwbs_change"].mean() - episodes.loc[~peer, "wemwbs_change"].mean()
    )
    assert table.loc["A", "difference"] == pytest.approx(expected)
    assert table.loc["A", "value_unit"] == "points"
    assert table.loc["A", "difference_text"].startswith(f"{expected:.1f} points higher (95% CI ")
    # A yes/no outcome: percentages and percentage points.
    quit_in = episodes.loc[peer, "quit_4wk_co"].astype(float).mean()
    quit_out = episodes.loc[~peer, "quit_4wk_co"].astype(float).mean()
    assert table.loc["Q", "mean_in"] == pytest.approx(100 * quit_in)
    assert table.loc["Q", "mean_out"] == pytest.approx(100 * quit_out)
    assert table.loc["Q", "difference"] == pytest.approx(100 * (quit_in - quit_out))
    assert table.loc["Q", "value_unit"] == "%"
    assert "percentage points" in table.loc["Q", "difference_text"]
    assert table.loc["A", "n_in"] == 40 and table.loc["A", "n_out"] == 60


def test_comparison_keeps_the_evaluators_status_beside_the_suggestion(tested_cmocs, episodes):
    link, table = _compare(tested_cmocs, episodes)
    assert table["status"].tolist() == tested_cmocs["status"].tolist()
    for cmoc_id, pattern in zip(link["cmoc_id"], link["pattern"], strict=True):
        assert table.loc[cmoc_id, "pattern"] == pattern
        suggestion = realist.SUGGESTED_STATUS[pattern]
        if suggestion is None:  # "not tested": no suggestion
            assert pd.isna(table.loc[cmoc_id, "suggested_status"])
        else:
            assert table.loc[cmoc_id, "suggested_status"] == suggestion
    assert table.loc["A", "pattern"] == "consistent"  # 6 vs 2 points, n = 40 and 60
    assert table.loc["A", "status"] == "refuted"  # the evaluator's, even against the numbers


def test_comparison_withholds_small_groups_and_says_why(tested_cmocs, episodes):
    _, table = _compare(tested_cmocs, episodes)
    # C: 5 digital episodes, under the threshold of 8: numbers withheld.
    assert (
        table.loc["C", ["mean_in", "mean_out", "difference", "ci_lower", "ci_upper"]].isna().all()
    )
    assert table.loc["C", "difference_text"] == "not shown: fewer than 8 people in a group"
    assert bool(table.loc["C", "too_few"])
    # B: 12 GP referrals, shown as a count but fewer than min_n = 30: no estimate.
    assert table.loc["B", "difference_text"] == "not estimated: fewer than 30 people in a group"
    assert table.loc["B", "pattern"] == "inconclusive" and bool(table.loc["B", "too_few"])
    assert "12 in this context and 88 outside it" in table.loc["B", "explanation"]
    # N declares no test.
    assert table.loc["N", "pattern"] == "not tested"
    assert table.loc["N", "difference_text"] == "not tested"
    assert pd.isna(table.loc["N", "suggested_status"])
    assert not bool(table.loc["A", "too_few"])


def test_comparison_names_the_stakeholder_groups_from_the_evidence(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q2")
    evidence = realist.cmoc_evidence(scope.cmocs, scope.codings, scope.sources, scope.codebook)
    matrix = realist.cmoc_site_matrix(scope.cmocs, scope.codings, scope.sources, scope.codebook)
    link = realist.cmoc_outcome_link(scope.cmocs, pd.DataFrame({"x": [1]}))
    table = synthesis.cmoc_comparison(
        scope.cmocs,
        link,
        evidence,
        matrix,
        pd.DataFrame({"x": [1]}),
        codings=scope.codings,
        sources=scope.sources,
        codebook=scope.codebook,
    ).set_index("cmoc_id")
    # CMOC_B's codes (C2, R2, O1) are in S3 (service user), and O1 in S1 (service user) and S4
    # (commissioner): groups commissioner and service user, sources S1, S3, S4.
    assert table.loc["CMOC_B", "stakeholder_groups"] == "Commissioner; Service user"
    assert table.loc["CMOC_B", "n_sources"] == 3
    # CMOC_A: S1, S2, S4, S5, S6 (+ S3 via the shared outcome) = 6 sources; S6 has no group,
    # so four groups are named.
    assert table.loc["CMOC_A", "n_sources"] == 6
    assert table.loc["CMOC_A", "stakeholder_groups"] == (
        "Commissioner; Frontline staff; Service user; Carer"
    )
    # Every element of CMOC_A is evidenced at one site only: North (S1 alone has all four).
    assert table.loc["CMOC_A", "n_sites_all_elements"] == 1


# --------------------------------------------------------------------------- cards


def _card_row(**overrides) -> dict:
    row = {
        "cmoc_id": "CMOC1",
        "programme_theory": "PT1 <script>alert(1)</script>",
        "context": "People & places",
        "mechanism_resource": "r",
        "mechanism_reasoning": "m",
        "outcome": "o",
        "n_sources": 3,
        "n_sites": 2,
        "n_stakeholder_groups": 2,
        "stakeholder_groups": "Service user; Partner",
        "n_sites_all_elements": 1,
        "outcome_label": "Change in wellbeing",
        "value_unit": "points",
        "n_in": 123,
        "n_out": 4567,
        "mean_in": 6.18,
        "mean_out": 3.32,
        "difference_text": "2.9 points higher (95% CI 0.7 to 5.0 higher)",
        "pattern": "consistent",
        "pattern_text": "The numbers agree",
        "explanation": "As predicted.",
        "suggested_status": "supported",
        "status": "refuted",
    }
    return row | overrides


def test_a_card_escapes_the_evaluators_text_and_quotes():
    quotes = pd.DataFrame(
        {
            "cmoc_id": ["CMOC1", "OTHER"],
            "quote": ["I <b>quit</b>", "elsewhere"],
            "attribution": ["Service user, site A", "Partner, site B"],
        }
    )
    card = synthesis.cmoc_card_html(_card_row(), quotes)
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert "<b>quit</b>" not in card and "I &lt;b&gt;quit&lt;/b&gt;" in card
    assert "People &amp; places" in card
    assert "elsewhere" not in card  # another CMOC's quote
    assert "Service user, site A" in card


def test_a_card_shows_the_numbers_beside_both_statuses():
    card = synthesis.cmoc_card_html(
        _card_row(), pd.DataFrame(columns=["cmoc_id", "quote", "attribution"]), round_to=5
    )
    text = re.sub(r"<[^>]+>", "", card)
    # 6.18 -> 6.2, 3.32 -> 3.3; 123 -> 125 and 4,567 -> 4,565 rounded to the nearest 5.
    assert "In this context: 6.2 points on average (125 people)." in text
    assert "Everyone else: 3.3 points on average (4,565 people)." in text
    assert "evalkit suggests: supported." in text
    assert "Evaluator's status: refuted." in text
    assert "3 sources at 2 sites, from 2 stakeholder groups (Service user, Partner)." in text


def test_a_card_withholds_both_groups_when_one_is_small():
    row = _card_row(n_in=5, n_out=181, mean_in=float("nan"), mean_out=float("nan"))
    text = re.sub(
        r"<[^>]+>",
        "",
        synthesis.cmoc_card_html(row, pd.DataFrame(columns=["cmoc_id", "quote", "attribution"])),
    )
    assert "181" not in text and "(5 people)" not in text
    assert text.count("not shown (fewer than 8 people in one of the groups)") == 2


def test_a_card_without_evidence_or_test_says_so():
    row = _card_row(
        n_sources=0,
        n_sites=0,
        n_stakeholder_groups=0,
        stakeholder_groups="",
        n_sites_all_elements=0,
        pattern="not tested",
        suggested_status=None,
    )
    text = re.sub(
        r"<[^>]+>",
        "",
        synthesis.cmoc_card_html(row, pd.DataFrame(columns=["cmoc_id", "quote", "attribution"])),
    )
    assert "No source in scope evidences this CMOC yet." in text
    assert "In this context" not in text
    assert "evalkit suggests: —." in text


# --------------------------------------------------------------------------- history and RAMESES


def test_the_refinement_log_gains_this_period_but_never_rewrites_a_recorded_one():
    cmocs = pd.DataFrame(
        {
            "cmoc_id": ["C1", "C2"],
            "programme_theory": ["PT1", "PT2"],
            "status": ["supported", "refined"],
        }
    )
    log = pd.DataFrame(
        {
            "period": ["2026-Q1", "2026-Q1", "2026-Q3"],
            "cmoc_id": ["C1", "C2", "C1"],
            "programme_theory": ["PT1", "PT2", "PT1"],
            "status": ["initial", "initial", "refuted"],
            "pattern": ["", "", ""],
        }
    )
    # Q1 is recorded: kept as it was, whatever the CMOC table says now.
    again = synthesis.refinement_log_for_report(log, cmocs, "2026-Q1")
    assert again["status"].tolist() == ["initial", "initial", "refuted"]
    # Q2 is not: added from the CMOC table; Q1 and the later Q3 are kept.
    added = synthesis.refinement_log_for_report(log, cmocs, "2026-Q2")
    assert sorted(zip(added["period"], added["cmoc_id"], added["status"], strict=True)) == [
        ("2026-Q1", "C1", "initial"),
        ("2026-Q1", "C2", "initial"),
        ("2026-Q2", "C1", "supported"),
        ("2026-Q2", "C2", "refined"),
        ("2026-Q3", "C1", "refuted"),
    ]
    history = realist.status_history(added, up_to="2026-Q2").set_index("cmoc_id")
    assert history.loc["C1", "history"] == "initial (2026-Q1) → supported (2026-Q2)"
    with pytest.raises(ConfigError):
        synthesis.refinement_log_for_report(log, cmocs, "Q2")


def test_rameses_marks_exactly_the_titles_not_verified_in_table_1(qual):
    scope = synthesis.qualitative_in_scope(qual, period="2026-Q2")
    checklist = realist.rameses_checklist(sources=scope.sources, codings=scope.codings)
    table = synthesis.rameses_for_report(checklist)
    assert table["Item"].tolist() == list(range(1, 21))
    # reference/qualitative.md §1.3: items 1-8 were read in Table 1; 9 only its opening words,
    # 13 only in the explanation, the rest from recall.
    daggers = table.loc[table["Title"].str.endswith(" †"), "Item"].tolist()
    assert daggers == list(range(9, 21))
    assert set(table["Completed by"]) <= set(synthesis.FILLED_BY_TEXT.values())
    assert (table.loc[table["Completed by"] == "The evaluator", "Where in the report"] == "—").all()


def test_the_checklist_describes_the_models_in_words(tested_cmocs, episodes):
    link = realist.cmoc_outcome_link(tested_cmocs, episodes, min_n=30)
    checklist = realist.rameses_checklist(link=synthesis.link_for_checklist(link))
    item_13 = checklist.loc[checklist["item"] == 13, "content"].iloc[0]
    assert "OLS" not in item_13 and "interaction_p" not in item_13
    assert synthesis.METHOD_IN_WORDS in item_13
    assert (
        synthesis.link_for_checklist(link)["method"].isna().tolist()
        == link["method"].isna().tolist()
    )


def test_the_reports_locations_name_headings_of_the_page():
    notebook = json.loads((REPO / "notebooks" / "04_realist_synthesis.ipynb").read_text())
    headings = {
        line[3:].strip()
        for cell in notebook["cells"]
        if cell["cell_type"] == "markdown"
        for line in "".join(cell["source"]).splitlines()
        if line.startswith("## ")
    }
    for where in synthesis.REPORT_LOCATIONS.values():
        for place in where.split("; "):
            if place.startswith("This page: "):
                assert place.removeprefix("This page: ") in headings, place
