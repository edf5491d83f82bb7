"""Lifestyle sections: which indicators they show, where the definitions come from, and the
supporting indicators computed on a hand-made episode table."""

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.kpi import compute_kpis, load_kpis
from evalkit.pages.lifestyle_kpis.indicators import (
    LIFESTYLE_SECTIONS,
    SUPPORTING_INDICATORS,
    LifestyleSection,
    indicator_definitions,
)


def test_sections_cover_the_five_lifestyle_strands_in_page_order():
    assert [s.key for s in LIFESTYLE_SECTIONS] == [
        "smoking",
        "weight",
        "activity",
        "alcohol",
        "diet",
    ]
    smoking = LIFESTYLE_SECTIONS[0]
    # self-reported and CO-validated quits, and the CO-validation rate
    assert smoking.indicators == ("quit_4wk_co", "quit_4wk_self", "co_validation")
    assert smoking.headline == "quit_4wk_co"


def test_every_section_indicator_is_defined_and_funnels_are_proportions():
    defined = {k.id: k for k in indicator_definitions()}
    for section in LIFESTYLE_SECTIONS:
        for kpi_id in section.indicators:
            assert kpi_id in defined, (section.key, kpi_id)
        if section.funnel:
            assert defined[section.funnel].unit == "proportion"


def test_the_evaluation_kpis_come_first_and_keep_their_own_targets():
    own = [
        {
            "id": "quit_4wk_co",
            "title": "Quits",
            "numerator": "quit_4wk_co",
            "denominator": "set_quit_date",
            "unit": "proportion",
            "target": 0.4,
        },
        {
            "id": "completed",
            "title": "Completed",
            "numerator": "completed",
            "denominator": "started",
            "unit": "proportion",
        },
    ]
    defined = indicator_definitions(own)
    assert [k.id for k in defined[:2]] == ["quit_4wk_co", "completed"]
    assert defined[0].target == 0.4
    ids = [k.id for k in defined]
    assert len(ids) == len(set(ids))
    # taken from the default set (with its 85% NHS target) because the evaluation lacks it
    assert next(k for k in defined if k.id == "co_validation").target == 0.85


def test_with_no_evaluation_kpis_the_default_set_comes_first():
    defaults = [k.id for k in load_kpis(None)]
    defined = [k.id for k in indicator_definitions(None)]
    assert defined[: len(defaults)] == defaults
    assert set(defined[len(defaults) :]) == {k.id for k in SUPPORTING_INDICATORS}


def test_an_undefined_section_indicator_is_a_config_error():
    section = LifestyleSection("sleep", "Sleep", "Hours slept.", ("sleep_hours_up",))
    with pytest.raises(ConfigError, match="sleep_hours_up"):
        indicator_definitions(None, [section])


def test_supporting_indicators_on_a_hand_made_table():
    b = pd.array
    episodes = pd.DataFrame(
        {
            "period": ["2026-Q1"] * 5,
            "weight_change_pct": [-6.0, -2.0, 1.0, np.nan, np.nan],
            "activity_minutes_baseline": [20.0, 100.0, np.nan, 200.0, 0.0],
            "activity_minutes_exit": [80.0, 100.0, 50.0, 140.0, np.nan],
            "auditc_positive_baseline": b([True, True, False, True, None], dtype="boolean"),
            "auditc_change": [-3.0, 1.0, -5.0, np.nan, -2.0],
            "five_a_day_baseline": b([False, False, True, False, None], dtype="boolean"),
            "five_a_day_exit": b([True, False, True, None, True], dtype="boolean"),
        }
    )
    result = compute_kpis(episodes, list(SUPPORTING_INDICATORS), levels=["service"])
    value = result.set_index("kpi_id")["value"]
    denominator = result.set_index("kpi_id")["denominator"]
    assert value["weight_change_mean"] == pytest.approx((-6 - 2 + 1) / 3)
    # rows 0, 1, 3 have both activity values: (+60 + 0 - 60) / 3
    assert value["activity_minutes_mean_change"] == pytest.approx(0.0)
    assert denominator["activity_minutes_mean_change"] == 3
    # AUDIT-C positive with a change: rows 0 and 1 -> (-3 + 1) / 2
    assert value["auditc_mean_change"] == pytest.approx(-1.0)
    # both 5-a-day records: rows 0, 1, 2 -> start 1/3, end 2/3
    assert value["five_a_day_start"] == pytest.approx(1 / 3)
    assert value["five_a_day_end"] == pytest.approx(2 / 3)
    # not 5 a day at the start and an end record: rows 0, 1 -> 1 of 2 moved up
    assert (denominator["five_a_day_moved_up"], value["five_a_day_moved_up"]) == (2, 0.5)
