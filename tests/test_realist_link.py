"""The quantitative link: labelling contrast rows, and the evaluator's status left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evalkit.errors import ExpressionError, StatisticsError
from evalkit.realist import LINK_COLUMNS, cmoc_outcome_link, label_pattern


def row(
    n_in=100, n_out=400, difference=2.0, ci_lower=0.5, ci_upper=3.5, interaction_p=0.01, note=""
):
    """A contrast row in the documented shape of evalkit.outcomes.contrast."""
    return {
        "n_in": n_in,
        "n_out": n_out,
        "mean_in": np.nan,
        "mean_out": np.nan,
        "difference": difference,
        "ci_lower": ci_lower,
        "ci_upper": ci_upper,
        "p_value": 0.01,
        "interaction_p": interaction_p,
        "method": "OLS",
        "note": note,
    }


@pytest.mark.parametrize(
    ("contrast_row", "expected", "pattern"),
    [
        (row(), "higher", "consistent"),
        (row(), "lower", "inconsistent"),
        (row(difference=-2.0, ci_lower=-3.5, ci_upper=-0.5), "lower", "consistent"),
        (row(difference=-2.0, ci_lower=-3.5, ci_upper=-0.5), "higher", "inconsistent"),
        (row(difference=0.3, ci_lower=-0.9, ci_upper=1.5), "higher", "inconclusive"),
        (row(difference=1.0, ci_lower=0.0, ci_upper=2.0), "higher", "inconclusive"),  # touches 0
        (row(n_in=29), "higher", "inconclusive"),
        (row(n_out=29), "higher", "inconclusive"),
        (
            row(difference=np.nan, ci_lower=np.nan, ci_upper=np.nan, note="too few"),
            "higher",
            "inconclusive",
        ),
    ],
)
def test_label_pattern(contrast_row, expected, pattern):
    assert label_pattern(contrast_row, expected, min_n=30)[0] == pattern


def test_label_reasons_say_why():
    assert label_pattern(row(n_in=12), "higher", min_n=30)[1] == (
        "too few episodes with the outcome: 12 in the context and 400 outside it (each needs at "
        "least 30)"
    )
    reason = label_pattern(row(interaction_p=0.4), "higher")[1]
    assert reason == (
        "the outcome is higher in the context: difference +2.00 (95% CI 0.50 to "
        "3.50); the baseline-adjusted test does not confirm it (p = 0.40)"
    )
    assert label_pattern(row(), "lower")[1].endswith("but the CMOC predicts lower")


def test_min_n_is_configurable():
    assert label_pattern(row(n_in=12), "higher", min_n=10)[0] == "consistent"


def test_an_unknown_direction_is_an_error():
    with pytest.raises(StatisticsError, match="'up'"):
        label_pattern(row(), "up")


def episodes_with_a_planted_gap(seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 400
    peer = np.arange(n) < 120
    baseline = rng.normal(42, 8, n)
    change = 2.0 + 3.0 * peer + rng.normal(0, 4, n)
    return pd.DataFrame(
        {
            "delivery_mode": np.where(peer, "peer_led", "digital"),
            "referral_source": np.where(np.arange(n) % 2 == 0, "gp", "self"),
            "wemwbs_baseline": baseline,
            "wemwbs_change": change,
        }
    )


def cmoc_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cmoc_id": ["CMOC1", "CMOC2", "CMOC3", "CMOC4"],
            "programme_theory": ["PT1", "PT1", "PT2", "PT3"],
            "status": ["refuted", "initial", "supported", "refined"],
            "context_filter": [
                "delivery_mode == 'peer_led'",
                "delivery_mode == 'peer_led'",
                "referral_source == 'gp'",
                pd.NA,
            ],
            "outcome_measure": ["wemwbs_change", "wemwbs_change", "wemwbs_change", pd.NA],
            "expected_direction": ["higher", "lower", "higher", pd.NA],
        }
    )


def test_cmoc_link_labels_and_never_touches_the_evaluators_status():
    episodes = episodes_with_a_planted_gap()
    cmocs = cmoc_table()
    before = cmocs.copy()
    link = cmoc_outcome_link(cmocs, episodes, min_n=30)
    assert list(link.columns) == list(LINK_COLUMNS)
    pd.testing.assert_frame_equal(cmocs, before)  # input untouched
    assert link["status"].tolist() == ["refuted", "initial", "supported", "refined"]
    assert link["pattern"].tolist()[:2] == ["consistent", "inconsistent"]
    assert link["pattern"].iloc[3] == "not tested"
    assert link["suggested_status"].iloc[0] == "supported"  # beside "refuted", not instead of it
    # the difference is the plain difference of means (Welch's t on the same arrays agrees)
    inside = episodes.loc[episodes["delivery_mode"] == "peer_led", "wemwbs_change"]
    outside = episodes.loc[episodes["delivery_mode"] != "peer_led", "wemwbs_change"]
    assert link["difference"].iloc[0] == pytest.approx(inside.mean() - outside.mean())
    assert link["n_in"].iloc[0] == 120 and link["n_out"].iloc[0] == 280
    welch = stats.ttest_ind(inside, outside, equal_var=False)
    assert link["p_value"].iloc[0] == pytest.approx(welch.pvalue, rel=0.25)
    assert "wemwbs_baseline" in link["method"].iloc[0]  # the ANCOVA adjusts for the baseline


def test_too_few_episodes_in_the_context_is_inconclusive():
    episodes = episodes_with_a_planted_gap()
    link = cmoc_outcome_link(cmoc_table().iloc[:1], episodes, min_n=200)
    assert link["pattern"].iloc[0] == "inconclusive"
    assert link["pattern_reason"].iloc[0].startswith("too few episodes")


def test_a_bad_filter_or_outcome_names_the_cmoc():
    episodes = episodes_with_a_planted_gap()
    cmocs = cmoc_table().iloc[:1].copy()
    cmocs["context_filter"] = "delivery_mod == 'peer_led'"
    with pytest.raises(ExpressionError, match="CMOC CMOC1 context_filter: the expression") as e:
        cmoc_outcome_link(cmocs, episodes)
    assert e.value.token == "delivery_mod" and e.value.suggestions == ("delivery_mode",)
    cmocs = cmoc_table().iloc[:1].copy()
    cmocs["outcome_measure"] = "wemwbs_gain"
    with pytest.raises(
        StatisticsError, match="CMOC CMOC1: outcome_measure 'wemwbs_gain' is not a column"
    ):
        cmoc_outcome_link(cmocs, episodes)
