"""Key figures are rounded once: the page, the index and the summary write each one identically.

Hand-made values whose second rounding would change them: a reach ratio of 1.45 (rounded to 2
places and then to 1 it read "1.4" on the index against "1.45" on page 01) and a share of
39.46% (recorded as 39.5 it read "40%" in the summary against "39%" on the page).
"""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from evalkit.config import DisclosurePolicy
from evalkit.errors import PipelineError
from evalkit.pages import summary
from evalkit.pages.reach import sections as reach
from evalkit.pipeline.render import format_key_figures
from evalkit.present import keyfigures
from evalkit.present.keyfigures import figure_text, read_key_figures, record

POLICY = DisclosurePolicy(threshold=8, round_to=5)


@pytest.fixture
def recorded(monkeypatch, tmp_path):
    """The figures the page sections record, read back as the index and the summary read them."""
    monkeypatch.setattr(keyfigures, "_output_dir_of_running_notebook", lambda: tmp_path)
    return lambda: read_key_figures(tmp_path).set_index("key", drop=False)


def _evaluation() -> SimpleNamespace:
    config = SimpleNamespace(
        disclosure=POLICY,
        population_imd_quintile_share={q: 0.2 for q in range(1, 6)},
        target_most_deprived={"quintiles": [1], "share": 0.35},
    )
    return SimpleNamespace(config=config, episodes=pd.DataFrame())


def _index(figures: pd.DataFrame, key: str) -> dict:
    shown = format_key_figures(figures, POLICY.threshold, POLICY.round_to)
    return shown[list(figures["key"]).index(key)]


def test_reach_ratio_of_1_45_reads_1_45_on_the_page_the_index_and_the_summary(
    monkeypatch, recorded
):
    imd = pd.DataFrame(
        {
            "quintile": [1, 2, 3, 4, 5],
            "episodes": [93, 60, 50, 40, 30],
            "share": [0.29, 0.2, 0.18, 0.18, 0.15],
            "share_ci_lower": [0.26, 0.17, 0.15, 0.15, 0.12],
            "share_ci_upper": [0.32, 0.23, 0.21, 0.21, 0.18],
            "population_share": [0.2] * 5,
            "ratio": [1.45, 1.0, 0.9, 0.9, 0.75],
            "ratio_ci_lower": [1.305, 0.85, 0.75, 0.75, 0.6],
            "ratio_ci_upper": [1.596, 1.15, 1.05, 1.05, 0.9],
            "note": [None] * 5,
        }
    )
    imd.attrs = {"chi_square": {"p_value": 0.2}, "imd_not_recorded": 0}
    monkeypatch.setattr(reach, "reach_by_imd_quintile", lambda *_: imd)
    monkeypatch.setattr(reach, "population_comparison_plot", lambda _: (plt.figure(), "alt"))

    page = reach.reach_by_deprivation(_evaluation()).text()
    figures = recorded()

    assert figures.loc["reach_ratio_q1", "value"] == 1.45  # stored unrounded
    assert "a reach ratio of **1.45** (95% CI 1.30 to 1.60)" in page
    index = _index(figures, "reach_ratio_q1")
    assert (index["value"], index["ci"]) == ("1.45", "1.30 to 1.60")
    sentence = summary.finding_sentence(figures.loc["reach_ratio_q1"], 8, 5)
    # n is every referral (episode) with a quintile: 93 + 60 + 50 + 40 + 30 = 273, shown as 275.
    assert sentence.endswith(": 1.45 (95% CI 1.30 to 1.60; 275 referrals).")  # episodes, not people


def test_share_of_39_46_percent_reads_39_percent_on_the_page_the_index_and_the_summary(
    monkeypatch, recorded
):
    goal = pd.DataFrame(
        {
            "episodes": [393],
            "denominator": [996],
            "share": [0.3946],
            "ci_lower": [0.3644],
            "ci_upper": [0.4255],
            "target": [0.35],
            "description": ["the most deprived quintile"],
            "rag": ["green"],
        }
    )
    monkeypatch.setattr(reach, "target_share", lambda *_: goal)

    page = reach.deprivation_target(_evaluation()).text()
    figures = recorded()

    assert figures.loc["share_most_deprived", "value"] == pytest.approx(39.46)
    assert "**39%** came from there (95% CI 36% to 43%)" in page
    index = _index(figures, "share_most_deprived")
    assert (index["value"], index["ci"], index["n"]) == ("39%", "36% to 43%", "995")
    assert summary.finding_sentence(figures.loc["share_most_deprived"], 8, 5) == (
        "Referrals from the most deprived quintile: 39% (95% CI 36% to 43%; 995 referrals)."
    )


def test_a_count_of_people_is_rounded_once_and_halves_go_up_everywhere(recorded):
    # 1,232.5 is not a count; 1,233 rounds to 1,235 and 1,232 to 1,230 (nearest 5).
    record("episodes", 1233, label="People referred", unit="people", n=1233)
    figures = recorded()
    assert figures.loc["episodes", "value"] == 1233
    assert _index(figures, "episodes")["value"] == "1,235 people"
    assert summary.finding_sentence(figures.loc["episodes"], 8, 5) == (
        "People referred: 1,235 people."
    )


def test_decimals_recorded_with_a_figure_override_its_unit_and_are_validated(tmp_path):
    figure = record("kept", 99.84, label="Records kept", unit="%", decimals=1, output_dir=tmp_path)
    assert figure.text(POLICY).value == "99.8%"
    stored = read_key_figures(tmp_path).iloc[0]
    assert stored["decimals"] == 1 and figure_text(stored, POLICY).value == "99.8%"
    with pytest.raises(PipelineError, match="decimals must be a whole number"):
        record("kept", 1.0, label="Records kept", decimals=-1, output_dir=tmp_path)


@pytest.mark.parametrize(
    ("unit", "value", "expected"),
    [
        ("%", 39.46, "39%"),
        ("%", 0.4, "0%"),
        ("points", 3.25, "3.2 points"),  # 3.25 is 3.2499... in binary: one rounding, to 3.2
        ("points", -0.04, "0.0 points"),  # never "-0.0"
        ("ratio", 1.455, "1.46 ratio"),
        (None, 0.456, "0.46"),
        ("KPIs", 3, "3 KPIs"),
    ],
)
def test_default_precision_comes_from_the_unit(unit, value, expected):
    figure = {"key": "k", "label": "L", "value": value, "unit": unit, "n": None}
    assert figure_text(figure, POLICY).value == expected


def test_a_figure_on_fewer_people_than_the_threshold_is_withheld_everywhere():
    figure = pd.Series({"key": "q", "label": "Quit rate", "value": 42.0, "unit": "%", "n": 7})
    assert figure_text(figure, POLICY).suppressed
    assert _index(pd.DataFrame([figure]), "q")["value"] == "*"
    assert summary.finding_sentence(figure, 8, 5) == (
        "Quit rate: too few people to report (fewer than 8)."
    )
