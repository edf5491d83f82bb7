"""Totals-only instruments: PHQ-9, GAD-7, WEMWBS and SWEMWBS totals sent without items.

The IAPTus-style fixture sends PHQ-9 and GAD-7 totals at the first and last treatment session.
Expected outcomes are worked by hand from the published rules (caseness PHQ-9 >= 10 or
GAD-7 >= 8; reliable change 6 and 4 points; finished treatment = ended with >= 2 sessions;
../shared/reference/measures.md section 3.2).
"""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit.config import load_config
from evalkit.data.episodes import build_episodes
from evalkit.data.schema import MEASURES, TABLES
from evalkit.data.validate import validate_directory
from evalkit.errors import ScoringError
from evalkit.instruments.scoring import score

FIXTURES = Path(__file__).parent / "fixtures" / "provider_exports"


def _long(rows):
    return pd.DataFrame(rows, columns=["client_id", "timepoint", "measure", "value"])


def test_totals_are_measures_with_the_instruments_range_but_not_template_columns():
    assert (MEASURES["phq9_total"].min, MEASURES["phq9_total"].max) == (0, 27)
    assert (MEASURES["gad7_total"].min, MEASURES["gad7_total"].max) == (0, 21)
    assert (MEASURES["wemwbs_total"].min, MEASURES["wemwbs_total"].max) == (14, 70)
    assert (MEASURES["swemwbs_total"].min, MEASURES["swemwbs_total"].max) == (7, 35)
    assert "auditc_total" not in MEASURES
    assert "phq9_total" not in TABLES["talking_therapy"].names


def test_a_total_alone_is_scored_and_banded():
    scored = score(
        _long([("a", "baseline", "phq9_total", 16), ("b", "baseline", "phq9_total", 4)]), "phq9"
    )
    # PHQ-9 bands: 15-19 moderately severe, 0-4 minimal
    assert scored["phq9_total"].tolist() == [16.0, 4.0]
    assert scored["phq9_band"].astype(str).tolist() == ["moderately severe", "minimal"]
    assert scored["phq9_items_answered"].tolist() == [0, 0]


def test_a_swemwbs_total_alone_gets_its_metric_score():
    scored = score(_long([("a", "baseline", "swemwbs_total", 21)]), "swemwbs")
    assert scored["swemwbs_metric"].tolist() == [19.25]  # raw 21 -> 19.25 (Rasch table)


def test_items_and_a_total_that_agree_are_fine_and_disagreeing_is_an_error():
    items = [("a", "baseline", f"gad7_{i}", 2) for i in range(1, 8)]  # sum 14
    agree = score(_long([*items, ("a", "baseline", "gad7_total", 14)]), "gad7")
    assert agree["gad7_total"].tolist() == [14.0]
    with pytest.raises(
        ScoringError,
        match=r"Client a at baseline: gad7_total 15 was sent, "
        r"but the 7 items sent with it sum to 14",
    ):
        score(_long([*items, ("a", "baseline", "gad7_total", 15)]), "gad7")


def test_a_total_out_of_range_is_an_error():
    with pytest.raises(ScoringError, match="phq9_total 28 is not a whole number from 0 to 27"):
        score(_long([("a", "baseline", "phq9_total", 28)]), "phq9")


def test_wide_input_with_a_total_column():
    wide = pd.DataFrame(
        {"client_id": ["a"], "timepoint": ["exit"], "wemwbs_total": [51.0]}
        | {f"wemwbs_{i:02d}": [float("nan")] for i in range(1, 15)}
    )
    assert score(wide, "wemwbs")["wemwbs_total"].tolist() == [51.0]


def test_iaptus_totals_validate_and_give_talking_therapy_outcomes(tmp_path):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "mappings").mkdir()
    shutil.copy(FIXTURES / "iaptus_referrals_2026Q1.csv", tmp_path / "extracts")
    shutil.copy(FIXTURES / "nhs_trust.yml", tmp_path / "mappings")
    (tmp_path / "evaluation.yml").write_text(
        "name: T\ndata_dir: .\nproviders:\n"
        "- {name: Northgate NHS Foundation Trust, slug: nhs_trust}\n"
        "mappings: [mappings/nhs_trust.yml]\n"
    )
    result = validate_directory(tmp_path, load_config(tmp_path / "evaluation.yml"))
    assert result.ok, result.issues.to_string()
    measures = result.tables["measures"]
    # PHQ-9 and GAD-7: 4 first + 3 last each (TT-03's "Last" cells are blank) = 14 totals,
    # and 4 session counts
    assert len(measures) == 18
    assert measures.groupby("measure").size().to_dict() == {
        "gad7_total": 7,
        "phq9_total": 7,
        "treatment_sessions": 4,
    }
    recon = result.reconciliation.set_index("table")
    assert recon.loc["measures", "read"] == 18 and recon.loc["participants", "read"] == 4
    episodes = build_episodes(result.tables["participants"], measures).set_index("client_id")
    assert episodes["phq9_baseline"].tolist() == [16.0, 12.0, 18.0, 8.0]
    assert episodes.loc["TT-01", "phq9_change"] == -9.0
    outcomes = episodes[
        [
            "iapt_finished_treatment",
            "iapt_recovery",
            "iapt_reliable_improvement",
            "iapt_reliable_recovery",
        ]
    ].astype(object)
    outcomes = outcomes.where(outcomes.notna(), None)
    assert outcomes.to_dict("index") == {
        # case (16 >= 10); exit 7 and 6 below both thresholds; PHQ-9 fell 9 >= 6
        "TT-01": dict(
            iapt_finished_treatment=True,
            iapt_recovery=True,
            iapt_reliable_improvement=True,
            iapt_reliable_recovery=True,
        ),
        # case; exit PHQ-9 11 is still a case; falls of 1 and 1 are not reliable
        "TT-02": dict(
            iapt_finished_treatment=True,
            iapt_recovery=False,
            iapt_reliable_improvement=False,
            iapt_reliable_recovery=False,
        ),
        # one session: not a finished course of treatment, outside every denominator
        "TT-03": dict(
            iapt_finished_treatment=False,
            iapt_recovery=None,
            iapt_reliable_improvement=None,
            iapt_reliable_recovery=None,
        ),
        # not a case at the start (8 < 10, 6 < 8): outside the recovery denominator
        "TT-04": dict(
            iapt_finished_treatment=True,
            iapt_recovery=None,
            iapt_reliable_improvement=False,
            iapt_reliable_recovery=None,
        ),
    }


def _validate_measures(tmp_path, rows: str):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "extracts" / "p_participants.csv").write_text(
        "client_id,provider,site,strands,referral_source,referral_date,age,sex,ethnicity,"
        "delivery_mode\n"
        "A1,P,North,talking_therapy,gp,2026-01-05,40,female,white,telephone\n"
        "A2,P,North,talking_therapy,gp,2026-01-05,50,male,white,telephone\n"
    )
    (tmp_path / "extracts" / "p_measures.csv").write_text(
        "client_id,timepoint,date,measure,value\n" + rows
    )
    return validate_directory(tmp_path)


def test_validation_holds_back_a_total_that_disagrees_with_its_items(tmp_path):
    items = "".join(f"A1,baseline,2026-01-06,gad7_{i},2\n" for i in range(1, 8))  # sum 14
    rows = items + "A1,baseline,2026-01-06,gad7_total,15\nA2,baseline,2026-01-06,gad7_total,9\n"
    result = _validate_measures(tmp_path, rows)
    issue = result.errors[result.errors["rule"].str.contains("disagrees")].iloc[0]
    assert (issue["file"], issue["row"], issue["column"]) == (
        "extracts/p_measures.csv",
        9,  # the total's spreadsheet row: header 1, seven items 2-8
        "value (gad7_total)",
    )
    assert issue["rule"] == "gad7_total 15 disagrees with its 7 items, which sum to 14"
    assert len(result.quarantine["measures"]) == 8  # the total and its seven items
    assert result.tables["measures"]["client_id"].tolist() == ["A2"]  # A2's total alone is kept


def test_validation_flags_a_file_of_weights_in_pounds(tmp_path):
    rows = (
        "A1,baseline,2026-01-06,weight_kg,190\nA2,baseline,2026-01-06,weight_kg,176\n"
        "A1,exit,2026-03-06,weight_kg,182\n"
    )
    result = _validate_measures(tmp_path, rows)
    issue = result.errors[result.errors["rule"].str.contains("look like")].iloc[0]
    assert "weight_kg values of this file look like pounds (lb), not kg" in issue["rule"]
    assert result.tables["measures"].empty and len(result.quarantine["measures"]) == 3
    recon = result.reconciliation.set_index("table")
    assert recon.loc["measures", "read"] == recon.loc["measures", "quarantined"] == 3
