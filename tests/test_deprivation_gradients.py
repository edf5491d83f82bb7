"""SII/RII of the main outcomes: the slope checked against an independent least-squares fit,
findings that respect which direction is better, and small quintiles withheld."""

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import StatisticsError
from evalkit.pages.reach.gradients import (
    GRADIENT_COLUMNS,
    GRADIENT_TEXT_COLUMNS,
    MAIN_OUTCOMES,
    GradientOutcome,
    gradient_text_table,
    outcome_gradients,
)


def graded_episodes(step, per_quintile=40, spread=2.0, seed=0):
    """Quintile q has mean 10 + step * (q - 1) and a fixed spread."""
    rng = np.random.default_rng(seed)
    noise = np.tile(np.linspace(-spread, spread, per_quintile), 5)
    quintile = np.repeat([1, 2, 3, 4, 5], per_quintile)
    return pd.DataFrame(
        {
            "imd_quintile": quintile,
            "score": 10 + step * (quintile - 1) + noise,
            "flag": pd.array(
                rng.random(len(quintile)) < 0.2 + 0.1 * (quintile - 1), dtype="boolean"
            ),
        }
    )


def test_sii_matches_a_least_squares_line_through_equal_quintiles():
    episodes = graded_episodes(step=1.5)
    result = outcome_gradients(episodes, [GradientOutcome("score", "Score")], reps=2000, seed=3)
    assert list(result.columns) == GRADIENT_COLUMNS
    row = result.iloc[0]
    # equal quintiles: relative ranks 0.1, 0.3, ..., 0.9; means 10, 11.5, ..., 16
    means = episodes.groupby("imd_quintile")["score"].mean().to_numpy()
    slope, intercept = np.polyfit([0.1, 0.3, 0.5, 0.7, 0.9], means, 1)
    assert row["sii"] == pytest.approx(slope)  # 1.5 per 0.2 of rank = 7.5
    assert row["sii"] == pytest.approx(7.5)
    assert row["rii"] == pytest.approx((intercept + slope) / intercept)
    assert (row["n"], row["smallest_quintile_n"], row["value_type"]) == (200, 40, "mean")
    assert row["sii_lower"] < row["sii"] < row["sii_upper"]
    # higher is better and it rises away from deprivation: worse in more deprived areas
    assert row["finding"] == "worse_in_deprived"


def test_the_finding_depends_on_which_way_is_better():
    episodes = graded_episodes(step=1.5)
    lower_is_better = [GradientOutcome("score", "Score", better="lower")]
    result = outcome_gradients(episodes, lower_is_better, reps=2000, seed=3)
    assert result["finding"].iat[0] == "better_in_deprived"
    falling = graded_episodes(step=-1.5)
    assert (
        outcome_gradients(falling, [GradientOutcome("score", "S")], reps=2000, seed=3)[
            "finding"
        ].iat[0]
        == "better_in_deprived"
    )


def test_no_gradient_when_the_interval_includes_zero():
    episodes = graded_episodes(step=0.0, spread=5.0)
    result = outcome_gradients(episodes, [GradientOutcome("score", "S")], reps=2000, seed=3)
    assert result["sii_lower"].iat[0] < 0 < result["sii_upper"].iat[0]
    assert result["finding"].iat[0] == "no_clear_gradient"


def test_proportions_are_reported_as_proportions():
    result = outcome_gradients(
        graded_episodes(0), [GradientOutcome("flag", "F")], reps=2000, seed=3
    )
    assert result["value_type"].iat[0] == "proportion"
    assert 0 < result["sii"].iat[0] < 1


def test_a_small_quintile_withholds_the_gap():
    episodes = graded_episodes(step=1.0)
    episodes.loc[episodes.index[(episodes["imd_quintile"] == 4).to_numpy()][3:], "score"] = np.nan
    result = outcome_gradients(episodes, [GradientOutcome("score", "S")], min_quintile_n=8)
    row = result.iloc[0]
    assert row["smallest_quintile_n"] == 3
    assert np.isnan(row["sii"]) and row["finding"] == "not_estimated"
    assert row["note"] == (
        "IMD quintile 4 has fewer than 8 people with this outcome recorded, so no gap is shown"
    )


def test_a_missing_outcome_column_gives_a_row_with_a_note():
    result = outcome_gradients(graded_episodes(1.0), [GradientOutcome("absent", "Absent")])
    assert result["note"].iat[0] == "'absent' is not in the episode table"
    assert result["finding"].iat[0] == "not_estimated"


def test_the_main_outcomes_are_episode_table_columns_with_a_direction():
    columns = [o.column for o in MAIN_OUTCOMES]
    assert columns == [
        "completed",
        "wemwbs_change",
        "quit_4wk_co",
        "weight_loss_5pct",
        "became_more_active",
    ]
    with pytest.raises(StatisticsError, match="better"):
        GradientOutcome("x", "X", better="up")


def test_text_table():
    gradients = pd.DataFrame(
        {
            "label": ["Change", "Quit", "Weight"],
            "value_type": ["mean", "proportion", "proportion"],
            "unit": ["WEMWBS points", "", ""],
            "n": pd.array([785, 445, 40], dtype="Int64"),
            "sii": [-1.763, 0.0774, np.nan],
            "sii_lower": [-3.403, -0.0907, np.nan],
            "sii_upper": [-0.1198, 0.2487, np.nan],
            "rii": [0.59, 1.2176, np.nan],
            "rii_lower": [0.33, 0.7948, np.nan],
            "rii_upper": [0.97, 1.9321, np.nan],
            "finding": ["better_in_deprived", "no_clear_gradient", "not_estimated"],
            "note": [None, None, "IMD quintile 3 has fewer than 8 people"],
        }
    )
    table = gradient_text_table(gradients)
    assert list(table.columns) == GRADIENT_TEXT_COLUMNS
    assert table.loc["Change"].tolist()[1:] == [
        "-1.8 WEMWBS points",
        "-3.4 to -0.1",
        "Not used for averages",
        "Better in more deprived areas",
    ]
    # 0.0774 of a proportion = 7.7 percentage points
    assert table.loc["Quit", "Gap (SII)"] == "+7.7 percentage points"
    assert table.loc["Quit", "Ratio (RII)"] == "1.22 (0.79 to 1.93)"
    assert table.loc["Weight"].tolist()[1:] == [
        "Not estimated",
        "",
        "",
        "IMD quintile 3 has fewer than 8 people",
    ]
    assert str(table["People"].dtype) == "Int64"
