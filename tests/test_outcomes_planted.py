"""On the synthetic demo (n = 20,000 episodes) the planted truths of evalkit.demo are recovered."""

import numpy as np
import pytest

from evalkit.data.episodes import build_episodes, derive_columns
from evalkit.demo import PLANTED, generate
from evalkit.instruments.scoring import score
from evalkit.outcomes import attrition, contrast, for_whom

N_EPISODES = 20_000
BASELINES = {"wemwbs_change": "wemwbs_baseline"}


@pytest.fixture(scope="module")
def demo():
    tables = generate(N_EPISODES, seed=20261125)
    participants = derive_columns(tables["participants"])
    episodes = build_episodes(participants, tables["measures"])
    scored = score(tables["measures"], "wemwbs")
    return participants, episodes, scored


@pytest.mark.parametrize("effect", PLANTED.effects, ids=lambda e: e.name)
def test_contrast_recovers_each_planted_effect(demo, effect):
    _, episodes, _ = demo
    compared = episodes.query(f"({effect.context_filter}) or ({effect.comparison_filter})")
    row = contrast(
        compared,
        effect.outcome_measure,
        effect.context_filter,
        baseline=BASELINES.get(effect.outcome_measure),
    ).iloc[0]
    assert row["note"] == ""
    if effect.difference == 0:  # the planted null: no difference worth the name
        assert abs(row["difference"]) < 0.75
        return
    assert np.sign(row["difference"]) == np.sign(effect.difference)
    assert row["ci_lower"] > 0 or row["ci_upper"] < 0  # the CI excludes 0
    assert np.sign(row["adjusted_difference"]) == np.sign(effect.difference)
    assert row["interaction_p"] < 0.05
    assert abs(row["difference"] - effect.difference) < 1.0  # and it is about the planted size


@pytest.mark.parametrize("name", ["peer_led_most_deprived", "digital_older_people"])
def test_for_whom_recovers_planted_subgroup_differences(demo, name):
    participants, _, scored = demo
    effect = PLANTED.effect(name)
    flagged = participants.assign(in_context=participants.eval(effect.context_filter))
    out = for_whom(
        scored,
        flagged,
        "wemwbs_total",
        ["in_context"],
        covariates=["age"],
        reference={"in_context": False},
    )
    for model in ("ancova_hc3", "mixed_site"):
        row = out.query("model == @model and level == 'True'").iloc[0]
        assert np.sign(row["difference"]) == np.sign(effect.difference), model
        assert row["difference_ci_lower"] > 0 or row["difference_ci_upper"] < 0, model


def test_attrition_shows_the_planted_deprivation_gradient(demo):
    participants, _, scored = demo
    out = attrition(participants, scored, "wemwbs_total", characteristics=["imd_quintile"])
    rates = out.query("characteristic == 'imd_quintile'").set_index("level")
    # planted follow-up probability rises from 0.50 (quintile 1) to 0.75 (quintile 5)
    assert rates.loc["1", "ci_upper"] < rates.loc["5", "ci_lower"]
    assert rates.loc["1", "followup_rate"] < rates.loc["3", "followup_rate"]
    assert rates.loc["3", "followup_rate"] < rates.loc["5", "followup_rate"]
    assert rates.loc["1", "smd"] < 0  # completers under-represent the most deprived
