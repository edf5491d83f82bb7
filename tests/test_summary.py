"""Executive-summary wording from recorded figures."""

from __future__ import annotations

import pandas as pd

from evalkit.summary import (
    HEADLINES,
    finding_sentence,
    headline_findings,
    limitations,
    number_text,
    what_works,
)


def figure(key, value, unit=None, n=None, low=None, high=None, label=None):
    return {
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
    assert finding_sentence(figure("k", 0, "people", 0)) == "k: 0 people (0 people)."


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
        pd.DataFrame([figure("wemwbs_followup_rate", 45.0), figure("records_kept_pct", 98.0)]),
        threshold=10,
    )
    assert low[0].startswith("Only 45% of people")
    assert low[1].startswith("2.0% of the records")
    assert "below 10" in low[-1]
    high = limitations(pd.DataFrame([figure("wemwbs_followup_rate", 90.0)]))
    assert not any(s.startswith("Only") for s in high)


def test_what_works_wording_of_points_and_percentage_points():
    link = pd.DataFrame(
        {
            "cmoc_id": ["A", "B", "C"],
            "outcome_measure": ["wemwbs_change", "quit_4wk_co", "wemwbs_change"],
            "difference": [3.04, -0.081, float("nan")],
            "ci_lower": [1.5, -0.15, float("nan")],
            "ci_upper": [4.6, -0.012, float("nan")],
            "pattern": ["consistent", "inconsistent", "inconclusive"],
            "status": ["supported", "initial", "initial"],
        }
    )
    cmocs = pd.DataFrame(
        {
            "cmoc_id": ["A", "B", "C"],
            "context": ["c1", "c2", "c3"],
            "mechanism_resource": ["r"] * 3,
            "mechanism_reasoning": ["m"] * 3,
            "outcome": ["o"] * 3,
        }
    )
    out = what_works(link, cmocs, {"quit_4wk_co"}).set_index("CMOC")["What the numbers show"]
    assert out["A"] == "Consistent: +3.0 points (95% CI +1.5 to +4.6)"
    assert out["B"] == "Inconsistent: -8 percentage points (95% CI -15 to -1)"
    assert out["C"] == "Inconclusive"
