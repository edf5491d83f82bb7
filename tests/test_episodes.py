"""The episode table: one row per participant with the derived columns of docs/data-model.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import evalkit.instruments as ins
from evalkit.config import EvaluationConfig
from evalkit.data.episodes import build_episodes
from evalkit.errors import ValidationError

# The contract, copied from docs/data-model.md "The episode table".
DATA_MODEL_COLUMNS = [
    f"{inst}_{suffix}"
    for inst in ("wemwbs", "swemwbs", "phq9", "gad7", "auditc")
    for suffix in (
        "baseline",
        "exit",
        "change",
        "meaningful_improvement",
        "meaningful_deterioration",
        "reliable_change",
    )
] + [
    "iapt_case_baseline",
    "iapt_finished_treatment",
    "iapt_recovery",
    "iapt_reliable_improvement",
    "iapt_reliable_deterioration",
    "iapt_reliable_recovery",
    "smoker_baseline",
    "set_quit_date",
    "quit_4wk_self",
    "quit_4wk_co",
    "bmi_baseline",
    "bmi_category_baseline",
    "weight_change_pct",
    "weight_loss_5pct",
    "activity_minutes_baseline",
    "activity_minutes_exit",
    "activity_category_baseline",
    "activity_category_exit",
    "became_more_active",
    "auditc_positive_baseline",
    "auditc_reduced",
    "five_a_day_baseline",
    "five_a_day_exit",
    "started",
    "completed",
    "wemwbs_followed_up",
]

WEMWBS = ins.get("wemwbs").items


def rows(client: str, timepoint: str, values: dict[str, float], date: str) -> list[dict]:
    return [
        {"client_id": client, "timepoint": timepoint, "date": date, "measure": m, "value": float(v)}
        for m, v in values.items()
    ]


@pytest.fixture
def participants() -> pd.DataFrame:
    # Not validated: dates and strands as text, as a provider extract gives them.
    return pd.DataFrame(
        {
            "client_id": ["A", "B", "C", "D"],
            "site": ["North", "South", "North", "East"],
            "strands": [
                "wellbeing;talking_therapy",
                "wellbeing;weight",
                "smoking;activity",
                "diet",
            ],
            "start_date": ["2026-01-05", "2026-01-06", "2026-01-07", None],
            "exit_reason": ["completed", "disengaged", "completed", None],
            "family_background": ["white", "south_asian", "white", "not_stated"],
            "quit_date": [None, None, "2026-01-10", None],
        }
    )


@pytest.fixture
def measures() -> pd.DataFrame:
    records = []
    # A: WEMWBS all 3s (42) -> all 4s (56); PHQ-9 16 -> 7, GAD-7 12 -> 6, 6 sessions;
    #    AUDIT-C 6 -> 4.
    records += rows("A", "baseline", dict.fromkeys(WEMWBS, 3), "2026-01-05")
    records += rows("A", "exit", dict.fromkeys(WEMWBS, 4), "2026-03-30")
    records += rows(
        "A", "baseline", {f"phq9_{i}": 2 if i <= 7 else 1 for i in range(1, 10)}, "2026-01-05"
    )
    records += rows(
        "A", "exit", {f"phq9_{i}": 1 if i <= 7 else 0 for i in range(1, 10)}, "2026-03-30"
    )
    records += rows(
        "A", "baseline", {f"gad7_{i}": 2 if i <= 5 else 1 for i in range(1, 8)}, "2026-01-05"
    )
    records += rows(
        "A", "exit", {f"gad7_{i}": 1 if i <= 6 else 0 for i in range(1, 8)}, "2026-03-30"
    )
    records += rows("A", "exit", {"treatment_sessions": 6}, "2026-03-30")
    records += rows("A", "baseline", {"auditc_1": 2, "auditc_2": 2, "auditc_3": 2}, "2026-01-05")
    records += rows("A", "exit", {"auditc_1": 2, "auditc_2": 1, "auditc_3": 1}, "2026-03-30")
    # B: WEMWBS with item 14 blank at baseline; weight 96 kg, 160 cm -> BMI 37.5; exit 90 kg
    records += rows("B", "baseline", {i: 2 for i in WEMWBS[:13]}, "2026-01-06")
    records += rows("B", "baseline", {"weight_kg": 96, "height_cm": 160}, "2026-01-06")
    records += rows("B", "exit", {"weight_kg": 90}, "2026-04-01")
    # C: smoker, quit 10 Jan, abstinent with CO 4 ppm 28 days later; activity 20 -> 160
    records += rows("C", "baseline", {"smoker": 1, "activity_minutes": 20}, "2026-01-07")
    records += rows("C", "followup_4wk", {"smoking_abstinent": 1, "co_ppm": 4}, "2026-02-07")
    records += rows("C", "exit", {"activity_minutes": 160}, "2026-03-01")
    # D: no measures at all
    return pd.DataFrame(records)


def test_one_row_per_participant_with_every_contract_column(participants, measures):
    episodes = build_episodes(participants, measures)
    assert len(episodes) == len(participants)
    assert episodes["client_id"].tolist() == ["A", "B", "C", "D"]
    missing = [c for c in DATA_MODEL_COLUMNS if c not in episodes.columns]
    assert missing == []
    pd.testing.assert_frame_equal(episodes[participants.columns], participants)


def test_wellbeing_values_worked_by_hand(participants, measures):
    e = build_episodes(participants, measures).set_index("client_id")
    assert (e.loc["A", "wemwbs_baseline"], e.loc["A", "wemwbs_exit"]) == (42, 56)
    assert e.loc["A", "wemwbs_change"] == 14  # >= 3 meaningful and >= 7.45 reliable
    assert bool(e.loc["A", "wemwbs_meaningful_improvement"]) and bool(
        e.loc["A", "wemwbs_reliable_change"]
    )
    # SWEMWBS: 7 x 3 = raw 21 -> 19.25; 7 x 4 = raw 28 -> 25.03 (conversion table)
    assert e.loc["A", "swemwbs_baseline"] == 19.25 and e.loc["A", "swemwbs_exit"] == 25.03
    assert e.loc["A", "swemwbs_change"] == pytest.approx(5.78)
    assert e.loc["A", "wemwbs_band_baseline"] == "possible depression"  # 42 is in 41-44
    assert e.loc["A", "wemwbs_band_exit"] == "average wellbeing"  # 56 is in 45-59
    assert bool(e.loc["A", "wemwbs_followed_up"])
    # B: 13 of 14 items -> complete case gives no score; followed up is NA without a baseline
    assert np.isnan(e.loc["B", "wemwbs_baseline"])
    assert pd.isna(e.loc["B", "wemwbs_meaningful_improvement"])
    assert pd.isna(e.loc["B", "wemwbs_followed_up"])


def test_iapt_alcohol_and_engagement_worked_by_hand(participants, measures):
    e = build_episodes(participants, measures).set_index("client_id")
    # PHQ-9: 7 x 2 + 2 x 1 = 16 -> 7 x 1 = 7; GAD-7: 5 x 2 + 2 = 12 -> 6
    assert (e.loc["A", "phq9_baseline"], e.loc["A", "phq9_exit"]) == (16, 7)
    assert (e.loc["A", "gad7_baseline"], e.loc["A", "gad7_exit"]) == (12, 6)
    for column in ("iapt_case_baseline", "iapt_finished_treatment", "iapt_recovery"):
        assert bool(e.loc["A", column]), column
    assert bool(e.loc["A", "iapt_reliable_recovery"])  # PHQ-9 fell 9 >= 6, recovered
    assert not bool(e.loc["A", "iapt_reliable_deterioration"])
    assert pd.isna(e.loc["B", "iapt_case_baseline"])  # no PHQ-9 / GAD-7 at all
    # AUDIT-C 6 >= 5 positive, 6 -> 4 reduced
    assert bool(e.loc["A", "auditc_positive_baseline"]) and bool(e.loc["A", "auditc_reduced"])
    assert e["started"].tolist() == [True, True, True, False]
    assert [None if pd.isna(v) else bool(v) for v in e["completed"]] == [True, False, True, None]


def test_lifestyle_values_worked_by_hand(participants, measures):
    e = build_episodes(participants, measures).set_index("client_id")
    # B: 96 / 1.6**2 = 37.5, obese on either threshold set; (90 - 96) / 96 = -6.25 %
    assert e.loc["B", "bmi_baseline"] == 37.5
    assert e.loc["B", "bmi_category_baseline"] == "obese"
    assert e.loc["B", "bmi_thresholds"] == "lower"
    assert e.loc["B", "weight_change_pct"] == pytest.approx(-6.25)
    assert bool(e.loc["B", "weight_loss_5pct"])
    # C: quit 10 Jan, assessed 7 Feb = 28 days, CO 4 < 10
    assert bool(e.loc["C", "smoker_baseline"]) and bool(e.loc["C", "set_quit_date"])
    assert e.loc["C", "quit_4wk_days"] == 28
    assert bool(e.loc["C", "quit_4wk_self"]) and bool(e.loc["C", "quit_4wk_co"])
    assert pd.isna(e.loc["A", "quit_4wk_self"])  # no quit date: not in the denominator
    assert e.loc["C", "activity_category_baseline"] == "inactive"
    assert e.loc["C", "activity_category_exit"] == "active"
    assert bool(e.loc["C", "became_more_active"])
    assert pd.isna(e.loc["D", "five_a_day_baseline"])


def test_the_config_missing_rule_reaches_the_scorer(participants, measures):
    config = EvaluationConfig(
        name="t",
        data_dir=Path("."),
        instruments={"wemwbs": {"missing_rule": "prorate", "max_missing": 1}},
    )
    e = build_episodes(participants, measures, config).set_index("client_id")
    # B: 13 answers of 2 = 26; 26 x 14 / 13 = 28
    assert e.loc["B", "wemwbs_baseline"] == 28
    # the seven SWEMWBS items were all answered (2 each): raw 14 -> metric 15.32 either way
    assert e.loc["B", "swemwbs_baseline"] == 15.32


def test_measures_of_unknown_clients_are_not_dropped_silently(participants, measures):
    extra = pd.DataFrame(rows("ZZ", "baseline", {"smoker": 1}, "2026-01-01"))
    with pytest.raises(ValidationError, match="1 row.*not in participants.*'ZZ'"):
        build_episodes(participants, pd.concat([measures, extra], ignore_index=True))


def test_repeated_participants_are_refused(participants, measures):
    with pytest.raises(ValidationError, match="client_id 'A' appears 2 times"):
        build_episodes(pd.concat([participants, participants.iloc[[0]]]), measures)


def test_an_episode_table_is_not_accepted_as_participants(participants, measures):
    episodes = build_episodes(participants, measures)
    with pytest.raises(ValidationError, match="already has derived column"):
        build_episodes(episodes, measures)


def test_agrees_with_an_independent_pandas_computation_at_scale():
    """3,000 random episodes: WEMWBS totals and change equal a groupby-sum computed here."""
    rng = np.random.default_rng(7)
    n = 3000
    ids = [f"P{i:05d}" for i in range(n)]
    participants = pd.DataFrame({"client_id": ids, "start_date": pd.Timestamp("2026-01-01")})
    frames = []
    for tp in ("baseline", "exit"):
        answers = rng.integers(1, 6, (n, 14)).astype(float)
        answers[rng.random((n, 14)) < 0.03] = np.nan
        wide = pd.DataFrame(answers, columns=list(WEMWBS)).assign(client_id=ids, timepoint=tp)
        frames.append(wide.melt(["client_id", "timepoint"], var_name="measure", value_name="value"))
    measures = pd.concat(frames, ignore_index=True).dropna().sample(frac=1, random_state=1)
    grouped = measures.groupby(["client_id", "timepoint"])["value"]
    totals = grouped.sum().where(grouped.count() == 14).unstack("timepoint")
    episodes = build_episodes(participants, measures).set_index("client_id")
    np.testing.assert_array_equal(episodes["wemwbs_baseline"], totals.loc[ids, "baseline"])
    np.testing.assert_array_equal(
        episodes["wemwbs_change"], totals.loc[ids, "exit"] - totals.loc[ids, "baseline"]
    )
    paired = episodes["wemwbs_change"].notna()
    assert (
        episodes.loc[paired, "wemwbs_meaningful_improvement"]
        .eq(episodes.loc[paired, "wemwbs_change"] >= 3)
        .all()
    )
