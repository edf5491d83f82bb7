"""The SWEMWBS metric score sent on its own (``swemwbs_metric``) is accepted like the totals.

Expected values come from the published raw-to-metric conversion table
(../shared/reference/measures.md section 1.3), copied here, not from evalkit's definition.
"""

import numpy as np
import pandas as pd
import pytest

from evalkit.data.episodes import build_episodes
from evalkit.data.schema import MEASURES, TABLES
from evalkit.data.validate import validate_directory
from evalkit.errors import ScoringError
from evalkit.instruments.scoring import score

# reference/measures.md §1.3, as published (raw: metric)
# fmt: off
PUBLISHED = {7: 7.00, 8: 9.51, 9: 11.25, 10: 12.40, 11: 13.33, 12: 14.08, 13: 14.75, 14: 15.32,
             15: 15.84, 16: 16.36, 17: 16.88, 18: 17.43, 19: 17.98, 20: 18.59, 21: 19.25,
             22: 19.98, 23: 20.73, 24: 21.54, 25: 22.35, 26: 23.21, 27: 24.11, 28: 25.03,
             29: 26.02, 30: 27.03, 31: 28.13, 32: 29.31, 33: 30.70, 34: 32.55, 35: 35.00}
# fmt: on


def _long(rows):
    return pd.DataFrame(rows, columns=["client_id", "timepoint", "measure", "value"])


def test_the_metric_is_a_measure_with_the_tables_range_but_not_a_template_column():
    spec = MEASURES["swemwbs_metric"]
    assert (spec.min, spec.max, spec.integer) == (7.0, 35.0, False)
    assert "swemwbs_metric" not in TABLES["wellbeing"].names
    assert "wemwbs_metric" not in MEASURES  # WEMWBS has no conversion


def test_every_published_metric_score_alone_gives_its_raw_total_and_the_same_band():
    rows = [(f"c{raw}", "baseline", "swemwbs_metric", metric) for raw, metric in PUBLISHED.items()]
    from_metric = score(_long(rows), "swemwbs")
    rows = [(f"c{raw}", "baseline", "swemwbs_total", float(raw)) for raw in PUBLISHED]
    from_total = score(_long(rows), "swemwbs")
    assert from_metric["swemwbs_total"].tolist() == [float(r) for r in PUBLISHED]
    assert from_metric["swemwbs_metric"].tolist() == list(PUBLISHED.values())
    assert from_metric["swemwbs_items_answered"].tolist() == [0] * len(PUBLISHED)
    pd.testing.assert_frame_equal(from_metric, from_total)


def test_a_metric_score_agreeing_with_its_items_is_fine():
    # items 1,2,3,6,7,9,11 of WEMWBS, all 3: raw 21 -> metric 19.25
    items = [("a", "baseline", f"wemwbs_{i:02d}", 3.0) for i in (1, 2, 3, 6, 7, 9, 11)]
    scored = score(_long([*items, ("a", "baseline", "swemwbs_metric", 19.25)]), "swemwbs")
    assert scored[["swemwbs_total", "swemwbs_metric"]].values.tolist() == [[21.0, 19.25]]


def test_a_metric_score_not_in_the_table_is_an_error():
    with pytest.raises(ScoringError, match="swemwbs_metric 19.3 is not a score of the published"):
        score(_long([("a", "baseline", "swemwbs_metric", 19.3)]), "swemwbs")


def test_a_metric_score_disagreeing_with_the_raw_total_sent_is_an_error_naming_both():
    rows = [("a", "exit", "swemwbs_metric", 19.25), ("a", "exit", "swemwbs_total", 22.0)]
    with pytest.raises(
        ScoringError,
        match=r"Client a at exit: swemwbs_metric 19.25 was sent with swemwbs_total 22, "
        r"whose metric score is 19.98",
    ):
        score(_long(rows), "swemwbs")


def _validate(tmp_path, rows: str):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "extracts" / "p_participants.csv").write_text(
        "client_id,provider,site,strands,referral_source,referral_date,age,sex,ethnicity,"
        "delivery_mode\n"
        "A1,P,North,wellbeing,gp,2026-01-05,40,female,white,telephone\n"
        "A2,P,North,wellbeing,gp,2026-01-05,50,male,white,telephone\n"
    )
    (tmp_path / "extracts" / "p_measures.csv").write_text(
        "client_id,timepoint,date,measure,value\n" + rows
    )
    return validate_directory(tmp_path)


def test_metric_scores_validate_and_give_the_change_on_the_metric_scale(tmp_path):
    rows = (
        "A1,baseline,2026-01-06,swemwbs_metric,17.98\n"  # raw 19
        "A1,exit,2026-03-01,swemwbs_metric,22.35\n"  # raw 25
        "A2,baseline,2026-01-06,swemwbs_metric,19.3\n"  # not a score of the table
    )
    result = _validate(tmp_path, rows)
    issue = result.errors[result.errors["rule"].str.contains("conversion table")].iloc[0]
    assert (issue["file"], issue["row"], issue["column"]) == (
        "extracts/p_measures.csv",
        4,
        "value (swemwbs_metric)",
    )
    assert len(result.quarantine["measures"]) == 1
    measures = result.tables["measures"]
    episodes = build_episodes(result.tables["participants"], measures).set_index("client_id")
    assert episodes.loc["A1", "swemwbs_baseline"] == 17.98
    assert episodes.loc["A1", "swemwbs_exit"] == 22.35
    assert np.isclose(episodes.loc["A1", "swemwbs_change"], 22.35 - 17.98)
    assert np.isnan(episodes.loc["A2", "swemwbs_baseline"])


def test_validation_holds_back_a_metric_score_disagreeing_with_the_raw_total_beside_it(tmp_path):
    rows = (
        "A1,baseline,2026-01-06,swemwbs_metric,19.25\n"  # raw 21
        "A1,baseline,2026-01-06,swemwbs_total,22\n"  # metric 19.98
        "A2,baseline,2026-01-06,swemwbs_metric,19.98\n"
        "A2,baseline,2026-01-06,swemwbs_total,22\n"  # agrees
    )
    result = _validate(tmp_path, rows)
    issue = result.errors[result.errors["rule"].str.contains("disagrees")].iloc[0]
    assert (issue["row"], issue["rule"]) == (
        2,
        "swemwbs_metric 19.25 disagrees with swemwbs_total 22 sent beside it (the score of raw 21)",
    )
    assert len(result.quarantine["measures"]) == 2
    assert result.tables["measures"]["client_id"].tolist() == ["A2", "A2"]
