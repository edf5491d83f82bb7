"""Lifestyle outcomes against reference/measures.md §4-§8, with hand-worked arithmetic."""

from __future__ import annotations

import pandas as pd
import pytest

import evalkit.instruments as ins
from evalkit.errors import ScoringError


def as_list(series: pd.Series) -> list:
    return [None if pd.isna(v) else (v if isinstance(v, str) else bool(v)) for v in series]


# --- BMI -------------------------------------------------------------------------------------

# Height 200 cm makes BMI = weight / 4, so each edge is exact arithmetic.
BMI_EDGES = [
    # standard (NICE): <18.5 underweight, 18.5-24.9 healthy, 25-29.9 overweight, >=30 obese
    ("white", 73.6, 18.4, "underweight"),
    ("white", 74.0, 18.5, "healthy weight"),
    ("white", 99.6, 24.9, "healthy weight"),
    ("white", 100.0, 25.0, "overweight"),
    ("white", 119.6, 29.9, "overweight"),
    ("white", 120.0, 30.0, "obese"),
    # lower thresholds (NICE LGB13): 23 and 27.5
    ("south_asian", 91.6, 22.9, "healthy weight"),
    ("south_asian", 92.0, 23.0, "overweight"),
    ("black_african", 109.6, 27.4, "overweight"),
    ("african_caribbean", 110.0, 27.5, "obese"),
    ("chinese", 73.6, 18.4, "underweight"),
    ("middle_eastern", 92.0, 23.0, "overweight"),
    ("other_asian", 110.0, 27.5, "obese"),
    # not stated or unknown family background: standard thresholds
    ("not_stated", 92.0, 23.0, "healthy weight"),
    (None, 110.0, 27.5, "overweight"),
]


@pytest.mark.parametrize(("background", "weight", "bmi", "category"), BMI_EDGES)
def test_bmi_category_edges(background, weight, bmi, category):
    values = pd.DataFrame(
        {
            "client_id": ["a"],
            "timepoint": ["baseline"],
            "weight_kg": [weight],
            "height_cm": [200.0],
            "family_background": pd.array([background], dtype="str"),
        }
    )
    out = ins.bmi(values)
    assert out.loc[0, "bmi"] == pytest.approx(bmi)
    assert out.loc[0, "bmi_category"] == category


def test_bmi_is_rounded_to_one_decimal_before_banding():
    # 78 kg, 176.6 cm: 78 / 1.766**2 = 25.0103 -> 25.0 overweight;
    # 77.9 kg: 77.9 / 1.766**2 = 24.978 -> 25.0 (24.9 would be healthy)
    values = pd.DataFrame(
        {
            "client_id": ["a", "b"],
            "timepoint": ["baseline"] * 2,
            "weight_kg": [78.0, 77.9],
            "height_cm": [176.6] * 2,
        }
    )
    out = ins.bmi(values)
    assert out["bmi"].tolist() == [25.0, 25.0]
    assert out["bmi_category"].tolist() == ["overweight", "overweight"]
    assert out["bmi_thresholds"].tolist() == ["standard", "standard"]


def test_bmi_uses_height_from_another_timepoint_and_is_nan_without_one():
    values = pd.DataFrame(
        {
            "client_id": ["a", "a", "b"],
            "timepoint": ["baseline", "exit", "baseline"],
            "weight_kg": [90.0, 81.0, 70.0],
            "height_cm": [None, 180.0, None],
        }
    )
    out = ins.bmi(values)
    # 90 / 1.8**2 = 27.78 -> 27.8; 81 / 3.24 = 25.0; b has no height anywhere
    assert out["bmi"].tolist()[:2] == [27.8, 25.0]
    assert pd.isna(out.loc[2, "bmi"]) and pd.isna(out.loc[2, "bmi_category"])


def test_impossible_height_is_an_error_naming_the_client():
    values = pd.DataFrame(
        {"client_id": ["z"], "timepoint": ["exit"], "weight_kg": [70.0], "height_cm": [0.0]}
    )
    with pytest.raises(ScoringError, match="height_cm is 0.0 for client z at timepoint exit"):
        ins.bmi(values)


# --- weight change ---------------------------------------------------------------------------


def test_weight_change_and_the_5_percent_flag():
    values = pd.DataFrame(
        {
            "client_id": ["a", "a", "b", "b", "c", "c", "d"],
            "timepoint": ["baseline", "exit"] * 3 + ["baseline"],
            "weight_kg": [100.0, 95.0, 100.0, 95.1, 80.0, 84.0, 90.0],
        }
    )
    out = ins.weight_change(values)
    # a: (95 - 100) / 100 = -5 %; b: -4.9 %; c: (84 - 80) / 80 = +5 %; d: not weighed at exit
    assert out["weight_change_pct"].tolist()[:3] == [-5.0, -4.9, 5.0]
    assert as_list(out["weight_loss_5pct"]) == [True, False, False, None]


# --- activity and diet -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "category"),
    [(0, "inactive"), (29, "inactive"), (30, "fairly active"), (149, "fairly active")]
    + [(150, "active"), (600, "active")],
)
def test_activity_category_edges(minutes, category):
    # Sport England Active Lives: inactive < 30, fairly active 30-149, active >= 150
    assert ins.activity_category([minutes])[0] == category


def test_became_more_active_means_moving_up_a_level():
    values = pd.DataFrame(
        {
            "client_id": ["a", "a", "b", "b", "c", "c", "d"],
            "timepoint": ["baseline", "exit"] * 3 + ["baseline"],
            "activity_minutes": [20, 45, 45, 140, 160, 20, 10],
        }
    )
    out = ins.activity_change(values)
    # a inactive -> fairly active; b stays fairly active (more minutes, same level); c falls
    assert as_list(out["became_more_active"]) == [True, False, False, None]
    assert out["activity_category_exit"].tolist()[:3] == [
        "fairly active",
        "fairly active",
        "inactive",
    ]


def test_five_a_day_at_five_portions():
    values = pd.DataFrame(
        {
            "client_id": ["a", "a", "b"],
            "timepoint": ["baseline", "exit", "baseline"],
            "fruit_veg_portions": [4.5, 5, 7],
        }
    )
    out = ins.five_a_day(values)
    assert as_list(out["five_a_day_baseline"]) == [False, True]
    assert as_list(out["five_a_day_exit"]) == [True, None]


# --- smoking: Russell Standard 4-week quit ----------------------------------------------------

QUIT = pd.Timestamp("2026-01-01")


def quit_case(days: int | None, abstinent: float | None, co: float | None, co_days=None):
    """One client's follow-up rows, assessed ``days`` after a 1 January quit date."""
    rows = []
    if abstinent is not None:
        rows.append(("smoking_abstinent", days, abstinent))
    if co is not None:
        rows.append(("co_ppm", days if co_days is None else co_days, co))
    return [
        {
            "client_id": "a",
            "timepoint": "followup_4wk",
            "date": None if d is None else QUIT + pd.Timedelta(days=d),
            "measure": m,
            "value": v,
        }
        for m, d, v in rows
    ]


def quit_status(rows, quit_date=QUIT, status=None) -> dict:
    people = pd.DataFrame({"client_id": ["a"], "quit_date": [quit_date]})
    if status is not None:
        people["quit_4wk_status"] = status
    measures = pd.DataFrame(rows, columns=["client_id", "timepoint", "date", "measure", "value"])
    out = ins.smoking_quit_4wk(people, measures).iloc[0]
    return {
        "self": None if pd.isna(out["quit_4wk_self"]) else bool(out["quit_4wk_self"]),
        "co": None if pd.isna(out["quit_4wk_co"]) else bool(out["quit_4wk_co"]),
        "outcome": out["quit_4wk_outcome"],
    }


@pytest.mark.parametrize(
    ("days", "self_quit", "co_quit", "outcome"),
    [
        (24, False, False, "assessed outside 25-42 days"),  # 28 - 3 = 25 is the first day
        (25, True, True, "quit, CO-validated"),
        (42, True, True, "quit, CO-validated"),  # 28 + 14 = 42 is the last day
        (43, False, False, "assessed outside 25-42 days"),
    ],
)
def test_russell_standard_window_edges(days, self_quit, co_quit, outcome):
    assert quit_status(quit_case(days, 1, 5)) == {
        "self": self_quit,
        "co": co_quit,
        "outcome": outcome,
    }


def test_co_below_10_ppm_validates_and_10_is_a_self_reported_quit_not_confirmed():
    assert quit_status(quit_case(28, 1, 9))["co"] is True
    at_10 = quit_status(quit_case(28, 1, 10))
    assert at_10 == {
        "self": True,
        "co": False,
        "outcome": "quit, self-reported; CO 10 ppm or more (not confirmed)",
    }


def test_lost_to_follow_up_counts_as_smoking():
    assert quit_status([]) == {"self": False, "co": False, "outcome": "lost to follow-up"}


def test_self_report_without_a_co_reading_is_a_self_reported_quit_only():
    got = quit_status(quit_case(30, 1, None))
    assert got == {
        "self": True,
        "co": False,
        "outcome": "quit, self-reported (not CO-validated)",
    }
    # a CO reading taken outside the window does not validate
    assert quit_status(quit_case(30, 1, 4, co_days=50))["co"] is False


def test_reported_smoking_and_no_quit_date():
    assert quit_status(quit_case(28, 0, 20))["outcome"] == "smoking"
    no_date = quit_status(quit_case(28, 1, 3), quit_date=pd.NaT)
    assert no_date == {"self": None, "co": None, "outcome": "no quit date"}


@pytest.mark.parametrize(
    ("status", "self_quit", "co_quit", "outcome"),
    [
        ("quit_co_verified", True, True, "quit, CO-validated"),
        ("quit_self_reported", True, False, "quit, self-reported (not CO-validated)"),
        ("not_quit", False, False, "smoking"),
        ("lost_to_follow_up", False, False, "lost to follow-up"),
    ],
)
def test_a_status_code_without_a_review_date_is_the_outcome(status, self_quit, co_quit, outcome):
    assert quit_status([], status=status) == {"self": self_quit, "co": co_quit, "outcome": outcome}


def test_a_co_reading_in_the_window_outranks_the_status_code():
    # quit_co_verified, but the CO reading 30 days after the quit date was 12 ppm: not confirmed
    assert quit_status(quit_case(30, None, 12), status="quit_co_verified") == {
        "self": True,
        "co": False,
        "outcome": "quit, self-reported; CO 10 ppm or more (not confirmed)",
    }
    # quit_self_reported, with a 6 ppm reading in the window: confirmed
    assert quit_status(quit_case(30, None, 6), status="quit_self_reported")["co"] is True
    # a reading outside the window is ignored, as for a review
    assert quit_status(quit_case(50, None, 12), status="quit_co_verified")["co"] is True


def test_the_status_code_outranks_a_self_report_in_measures():
    assert quit_status(quit_case(28, 1, None), status="not_quit")["outcome"] == "smoking"
    assert quit_status(quit_case(60, 0, None), status="quit_self_reported")["self"] is True


def test_an_unknown_status_code_names_the_client_and_the_codes():
    with pytest.raises(ScoringError, match="quit_4wk_status is 'quit' for client a; use one of"):
        quit_status([], status="quit")


def test_text_dates_are_read_iso_or_day_first():
    people = pd.DataFrame({"client_id": ["a", "b"], "quit_date": ["2026-01-02", "02/01/2026"]})
    measures = pd.DataFrame(
        {
            "client_id": ["a", "b"],
            "timepoint": ["followup_4wk"] * 2,
            "date": ["2026-02-13", "13/02/2026"],  # 42 days after 2 January
            "measure": ["smoking_abstinent"] * 2,
            "value": [1.0, 1.0],
        }
    )
    out = ins.smoking_quit_4wk(people, measures)
    assert out["quit_4wk_days"].tolist() == [42, 42]
    assert as_list(out["quit_4wk_self"]) == [True, True]


def test_a_non_date_names_the_client():
    people = pd.DataFrame({"client_id": ["q"], "quit_date": ["soon"]})
    measures = pd.DataFrame(columns=["client_id", "timepoint", "date", "measure", "value"])
    with pytest.raises(ScoringError, match="quit_date 'soon' for client q"):
        ins.smoking_quit_4wk(people, measures)


def test_abstinence_must_be_coded_0_or_1():
    with pytest.raises(ScoringError, match="smoking_abstinent is 2 for client a"):
        quit_status(quit_case(28, 2, None))
