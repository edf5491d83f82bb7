"""Executive-summary wording from recorded figures."""

from __future__ import annotations

import pandas as pd

from evalkit.pages.summary import (
    HEADLINES,
    finding_sentence,
    headline_findings,
    limitations,
    number_text,
    what_works,
)


def figure(key, value, unit=None, n=None, low=None, high=None, label=None, decimals=None):
    return {
        "decimals": decimals,
        "notebook": "nb",
        "key": key,
        "label": label or key,
        "value": value,
        "unit": unit,
        "n": n,
        "ci_low": low,
        "ci_high": high,
    }


def test_number_text_rounding_rules():
    assert number_text(12345.6, "people") == "12,346 people"
    assert number_text(7.25, "%") == "7.2%"  # under 10 %: one decimal place (round half to even)
    assert number_text(52.5, "%") == "52%"
    assert number_text(0.0) == "0"
    assert number_text(None) == "not available"


def test_finding_sentence_with_ci_and_n():
    sentence = finding_sentence(figure("k", 53.2, "%", 1466, 50.6, 55.8, "Followed up"))
    assert sentence == "Followed up: 53% (95% CI 51% to 56%; 1,466 people)."


def test_small_n_is_withheld_and_zero_is_not():
    assert "too few people" in finding_sentence(figure("k", 50, "%", 7), threshold=8)
    assert "too few people" not in finding_sentence(figure("k", 50, "%", 8), threshold=8)
    assert finding_sentence(figure("k", 0, "people", 0)) == "k: 0 people."
    assert finding_sentence(figure("k", 2000, "people", 2000)) == "k: 2,000 people."
    assert finding_sentence(figure("k", 40, "%", 2000)) == "k: 40% (2,000 people)."


def test_counts_of_people_are_rounded_as_the_tables_round_them():
    # nearest multiple of 5, halves up: 759 -> 760, 1,997 -> 1,995, 93 -> 95, 446 -> 445
    assert finding_sentence(figure("k", 3.5, "points", 759, 2.8, 3.9), round_to=5) == (
        "k: 3.5 points (95% CI 2.8 to 3.9; 760 people)."
    )
    assert finding_sentence(figure("k", 1997, "people", 1997), round_to=5) == "k: 1,995 people."
    assert finding_sentence(figure("k", 40, "%", 93), round_to=5) == "k: 40% (95 people)."
    assert "too few people" in finding_sentence(figure("k", 40, "%", 7), round_to=5)
    figs = pd.DataFrame([figure(HEADLINES[0].key, 2.0, "points", 446)])
    assert "445 people" in headline_findings(figs, round_to=5)["finding"].iloc[0]


def test_text_values_are_kept_as_written():
    assert finding_sentence(figure("k", "peer-led groups in IMD quintile 1")) == (
        "k: peer-led groups in IMD quintile 1."
    )


def test_headline_order_follows_the_declared_priority_and_limit():
    keys = [h.key for h in HEADLINES]
    figs = pd.DataFrame(
        [figure(k, 1.0, "points", 100) for k in reversed(keys)] + [figure("not_a_headline", 5.0)]
    )
    out = headline_findings(figs, limit=3)
    assert out["key"].tolist() == keys[:3]


def test_limitations_follow_the_data_quality_figures():
    low = limitations(
        pd.DataFrame(
            [figure("wemwbs_followup_rate", 45.0), figure("records_kept_pct", 98.0, decimals=1)]
        ),
        threshold=10,
    )
    assert low[0].startswith("Only 45% of people")
    assert low[1].startswith("2.0% of the records")
    assert "below 10" in low[-1]
    high = limitations(pd.DataFrame([figure("wemwbs_followup_rate", 90.0)]))
    assert not any(s.startswith("Only") for s in high)


def test_what_works_table_keeps_the_evaluators_status_and_withheld_text():
    comparison = pd.DataFrame(
        {
            "cmoc_id": ["A", "B"],
            "context": ["c1", "c2"],
            "mechanism_resource": ["r1", "r2"],
            "mechanism_reasoning": ["m1", "m2"],
            "outcome": ["o1", "o2"],
            "n_sources": [1, 5],
            "n_sites": [1, 3],
            "pattern_text": ["The numbers agree", "The numbers cannot tell yet"],
            "difference_text": [
                "3.0 points higher (95% CI 1.5 to 4.6 higher)",
                "not shown: fewer than 8 people in a group",
            ],
            "status": ["supported", "initial"],
        }
    )
    out = what_works(comparison).set_index("CMOC")
    assert out.loc["A", "What works and why"] == "r1 → m1"
    assert out.loc["A", "Interview evidence"] == "1 source, 1 site"
    assert out.loc["B", "Interview evidence"] == "5 sources, 3 sites"
    assert out.loc["B", "What the numbers show"] == (
        "The numbers cannot tell yet: not shown: fewer than 8 people in a group"
    )
    assert out["Evaluator's status"].tolist() == ["supported", "initial"]


def test_cmoc_comparison_for_the_demo_matches_the_planted_truths(tmp_path):
    from evalkit.data.evaluation import load_evaluation
    from evalkit.demo import write_demo
    from evalkit.pages.summary import cmoc_comparison_for

    ev = load_evaluation(write_demo(tmp_path / "d", episodes=10_000, seed=20261125))
    comparison = cmoc_comparison_for(ev).set_index("cmoc_id")
    # the demo's CSV status column is the evaluator's and passes through untouched
    assert comparison["status"].tolist() == ev.qual["cmocs"]["status"].tolist()
    assert comparison.loc["CMOC1", "pattern"] == "consistent"
    assert comparison.loc["CMOC4", "pattern"] in {"inconsistent", "inconclusive"}
