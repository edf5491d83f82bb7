"""The published definitions, exactly: NHS Talking Therapies and the Russell Standard 4-week quit.

Each case is worked by hand from /work/shared/reference/measures.md (§3.2 NHS Talking Therapies,
§4 stop smoking) and docs/definitions.md, including the edges: exactly two sessions, one session,
treatment still under way, caseness exactly at the cut-offs and one below, a self-reported quitter
at CO 10 ppm and at 9 ppm, 4-week outcomes given as status codes without dates, and lost to
follow-up. NHS Digital's own worked example (December 2020) is reproduced through the same rate
function the wellbeing page uses, and the KPI ``iapt_recovery`` is shown to give the same rate.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.data.episodes import build_episodes, episode_ended
from evalkit.data.evaluation import load_evaluation
from evalkit.instruments import iapt_outcomes, smoking_quit_4wk
from evalkit.kpi import compute_kpis, load_kpis
from evalkit.pages.wellbeing.talking_therapy import TALKING_THERAPY_OUTCOMES, talking_therapy_rates

QUIT_DATE = pd.Timestamp("2026-01-01")


def _kpis(*ids: str) -> list:
    """The default KPIs with these ids."""
    return [k for k in load_kpis() if k.id in ids]


def flag(value) -> bool | None:
    return None if pd.isna(value) else bool(value)


# --- NHS Talking Therapies ------------------------------------------------------------------


def therapy(cases: dict[str, tuple]) -> pd.DataFrame:
    """iapt_outcomes for ``{client: (phq9 start, gad7 start, phq9 end, gad7 end, sessions,
    ended)}``, one row per client indexed by client."""
    phq, gad, treatment = [], [], []
    for client, (p0, g0, p1, g1, sessions, ended) in cases.items():
        for timepoint, p, g in (("baseline", p0, g0), ("exit", p1, g1)):
            if p is not None:
                phq.append((client, timepoint, float(p)))
            if g is not None:
                gad.append((client, timepoint, float(g)))
        treatment.append((client, sessions, ended))
    return iapt_outcomes(
        pd.DataFrame(phq, columns=["client_id", "timepoint", "phq9_total"]),
        pd.DataFrame(gad, columns=["client_id", "timepoint", "gad7_total"]),
        pd.DataFrame(treatment, columns=["client_id", "treatment_sessions", "ended"]).astype(
            {"ended": "boolean"}
        ),
    ).set_index("client_id")


def test_finished_needs_two_sessions_and_an_ended_episode():
    out = therapy(
        {
            "two_ended": (16, 12, 7, 6, 2, True),  # exactly two sessions, ended: finished
            "two_open": (16, 12, 7, 6, 2, False),  # exactly two, still in treatment: not
            "one_ended": (16, 12, 7, 6, 1, True),  # one session: not finished
            "many_open": (16, 12, 7, 6, 12, False),  # ongoing treatment: not finished
            "end_unknown": (16, 12, 7, 6, 5, None),  # cannot tell: finished unknown
        }
    )
    finished = out["iapt_finished_treatment"].map(flag).to_dict()
    assert finished == {
        "end_unknown": None,
        "many_open": False,
        "one_ended": False,
        "two_ended": True,
        "two_open": False,
    }
    # only a finished episode is in any denominator
    for outcome in ("iapt_recovery", "iapt_reliable_improvement", "iapt_reliable_deterioration"):
        assert out[outcome].notna().to_dict() == {k: v is True for k, v in finished.items()}
    assert bool(out.loc["two_ended", "iapt_recovery"])


def test_an_episode_ends_with_its_end_date_and_is_open_while_ongoing():
    participants = pd.DataFrame(
        {
            "end_date": pd.to_datetime(["2026-03-30", None, "2026-03-30", None, "2026-03-30"]),
            "exit_reason": ["completed", "ongoing", "ongoing", "disengaged", None],
        }
    )
    # end date given -> ended; blank and ongoing -> in treatment; the two disagreeing -> unknown
    assert episode_ended(participants).tolist() == [True, False, pd.NA, pd.NA, True]


def test_caseness_at_the_threshold_and_one_below():
    out = therapy(
        {
            "phq_10": (10, 7, 3, 3, 6, True),  # PHQ-9 exactly 10: a case
            "gad_8": (9, 8, 3, 3, 6, True),  # GAD-7 exactly 8: a case
            "both_below": (9, 7, 3, 3, 6, True),  # PHQ-9 9 and GAD-7 7: not a case
        }
    )
    assert out["iapt_case_baseline"].map(flag).to_dict() == {
        "both_below": False,
        "gad_8": True,
        "phq_10": True,
    }
    # caseness at the end uses the same cut-offs: 10 / 8 at exit is still a case
    end = therapy({"ends_at_10": (15, 12, 10, 3, 6, True), "ends_at_9": (15, 12, 9, 7, 6, True)})
    assert not end.loc["ends_at_10", "iapt_recovery"] and end.loc["ends_at_9", "iapt_recovery"]


def test_not_a_case_at_the_start_is_outside_recovery_but_inside_improvement():
    out = therapy({"not_case": (9, 7, 2, 2, 6, True)})  # PHQ-9 fell 7 >= 6
    assert pd.isna(out.loc["not_case", "iapt_recovery"])
    assert pd.isna(out.loc["not_case", "iapt_reliable_recovery"])
    assert bool(out.loc["not_case", "iapt_reliable_improvement"])


def test_recovery_is_over_finished_less_not_at_caseness_as_the_formula_states():
    out = therapy(
        {
            "recovered": (16, 12, 7, 6, 6, True),
            "still_case": (16, 12, 12, 11, 6, True),  # still a case; -4 and -1: not reliable
            "no_end_scores": (16, 12, None, None, 6, True),  # finished: stays in, not recovered
            "no_start_scores": (None, None, 7, 6, 6, True),  # not "not at caseness": stays in
            "not_case": (9, 7, 2, 2, 6, True),  # subtracted
            "in_treatment": (16, 12, 7, 6, 6, False),  # not finished
        }
    )
    rates = talking_therapy_rates(out).set_index("outcome")
    # finished 5, not at caseness 1: 1 / (5 - 1)
    assert rates.loc["iapt_recovery", ["numerator", "denominator"]].tolist() == [1, 4]
    assert rates.loc["iapt_recovery", "without_paired_scores"] == 2
    # reliable improvement over all 5 who finished: recovered (-9) and not_case (-7)
    assert rates.loc["iapt_reliable_improvement", ["numerator", "denominator"]].tolist() == [2, 5]


def test_reliable_recovery_needs_complete_phq9_and_gad7_pairs():
    out = therapy(
        {
            "complete": (16, 12, 7, 6, 6, True),  # recovered, PHQ-9 -9: reliably recovered
            "gad_start_missing": (16, None, 7, 6, 6, True),  # recovered, but GAD-7 unpaired
        }
    )
    assert out["iapt_recovery"].tolist() == [True, True]
    assert out["iapt_reliable_recovery"].tolist() == [True, False]
    assert out["iapt_paired_scores"].tolist() == [True, False]


def test_nhs_digital_december_2020_worked_example_through_the_rate_function():
    # 23,291 / (48,111 - 2,957) x 100 = 51.6% (NHS Digital IAPT monthly report, Dec 2020)
    finished, not_at_caseness, recovered = 48_111, 2_957, 23_291
    recovery = (
        [True] * recovered
        + [False] * (finished - not_at_caseness - recovered)
        + [None] * not_at_caseness  # outside the denominator
        + [None] * 1_000  # referrals that did not finish a course of treatment
    )
    episodes = pd.DataFrame({"iapt_recovery": pd.array(recovery, dtype="boolean")})
    recovery_only = tuple(o for o in TALKING_THERAPY_OUTCOMES if o.outcome == "iapt_recovery")
    row = talking_therapy_rates(episodes, recovery_only).iloc[0]
    assert (row["numerator"], row["denominator"]) == (23_291, 45_154)
    assert round(100 * row["rate"], 1) == 51.6
    # the KPI reads the same flag: the same numerator, denominator and rate
    kpi = compute_kpis(
        episodes.assign(period="2020-12"), _kpis("iapt_recovery"), levels=["service"]
    )
    service = kpi.iloc[0]
    assert (service["numerator"], service["denominator"]) == (23_291, 45_154)
    assert service["value"] == pytest.approx(row["rate"])


def test_kpi_and_wellbeing_page_give_one_recovery_rate_on_the_demo(demo):
    episodes = load_evaluation(demo).episodes
    page = talking_therapy_rates(episodes).set_index("outcome").loc["iapt_recovery"]
    kpi = compute_kpis(
        episodes.assign(period="to date"), _kpis("iapt_recovery"), levels=["service"]
    )
    service = kpi.iloc[0]
    assert (service["numerator"], service["denominator"]) == (
        page["numerator"],
        page["denominator"],
    )
    assert service["value"] == pytest.approx(page["rate"])


def test_an_open_episode_is_not_finished_through_the_episode_table():
    participants = pd.DataFrame(
        {
            "client_id": ["ended", "open"],
            "start_date": pd.to_datetime(["2026-01-05"] * 2),
            "end_date": pd.to_datetime(["2026-03-30", None]),
            "exit_reason": ["completed", "ongoing"],
        }
    )
    rows = []
    for client in ("ended", "open"):
        for timepoint, phq, gad in (("baseline", 2, 2), ("exit", 0, 0)):  # 18 -> 0, 14 -> 0
            rows += [(client, timepoint, f"phq9_{i}", phq) for i in range(1, 10)]
            rows += [(client, timepoint, f"gad7_{i}", gad) for i in range(1, 8)]
        rows.append((client, "exit", "treatment_sessions", 6))
    measures = pd.DataFrame(rows, columns=["client_id", "timepoint", "measure", "value"])
    measures["date"] = pd.Timestamp("2026-03-30")
    e = build_episodes(participants, measures).set_index("client_id")
    assert e["ended"].tolist() == [True, False]
    assert e["iapt_finished_treatment"].tolist() == [True, False]
    assert bool(e.loc["ended", "iapt_recovery"]) and pd.isna(e.loc["open", "iapt_recovery"])


# --- Stop smoking: Russell Standard 4-week quit ----------------------------------------------


def quits(cases: dict[str, tuple]) -> pd.DataFrame:
    """smoking_quit_4wk for ``{client: (days to the review or None, abstinent, CO ppm,
    quit_4wk_status)}``, everyone with a 1 January quit date, indexed by client."""
    people, rows = [], []
    for client, (days, abstinent, co, status) in cases.items():
        people.append((client, QUIT_DATE, status))
        date = None if days is None else QUIT_DATE + pd.Timedelta(days=days)
        for measure, value in (("smoking_abstinent", abstinent), ("co_ppm", co)):
            if value is not None:
                rows.append((client, "followup_4wk", date, measure, float(value)))
    participants = pd.DataFrame(people, columns=["client_id", "quit_date", "quit_4wk_status"])
    measures = pd.DataFrame(rows, columns=["client_id", "timepoint", "date", "measure", "value"])
    return smoking_quit_4wk(participants, measures).set_index("client_id")


def test_co_10_ppm_is_a_self_reported_quitter_not_confirmed_and_9_is_confirmed():
    out = quits({"co_10": (28, 1, 10, None), "co_9": (28, 1, 9, None)})
    assert out.loc["co_10", ["quit_4wk_self", "quit_4wk_co"]].tolist() == [True, False]
    assert out.loc["co_9", ["quit_4wk_self", "quit_4wk_co"]].tolist() == [True, True]


def test_co_validation_rate_keeps_unconfirmed_self_reported_quitters_in_its_denominator():
    out = quits(
        {
            "co_10": (28, 1, 10, None),  # self-reported, not confirmed
            "co_9": (28, 1, 9, None),  # confirmed
            "no_co": (28, 1, None, None),  # self-reported, no reading
            "smoking": (28, 0, 20, None),
            "lost": (None, None, None, None),  # no review: lost to follow-up
        }
    ).reset_index()
    kpis = compute_kpis(
        out.assign(period="2026-Q1"),
        _kpis("quit_4wk_self", "quit_4wk_co", "co_validation"),
        levels=["service"],
    )
    service = kpis.set_index("kpi_id")
    counts = service[["numerator", "denominator"]].astype(int).apply(tuple, axis=1).to_dict()
    assert counts == {
        "quit_4wk_self": (3, 5),  # co_10, co_9, no_co of everyone setting a quit date
        "quit_4wk_co": (1, 5),  # co_9
        "co_validation": (1, 3),  # co_9 of all three self-reported quitters
    }


def test_lost_to_follow_up_counts_as_smoking():
    out = quits(
        {"lost": (None, None, None, None), "coded_lost": (None, None, None, "lost_to_follow_up")}
    )
    assert out["quit_4wk_outcome"].tolist() == ["lost to follow-up"] * 2
    assert out["set_quit_date"].all()  # in the denominator
    assert not out["quit_4wk_self"].any() and not out["quit_4wk_co"].any()


def test_status_codes_without_dates_give_the_outcome():
    out = quits(
        {
            "verified": (None, None, None, "quit_co_verified"),
            "self_reported": (None, None, None, "quit_self_reported"),
            "not_quit": (None, None, None, "not_quit"),
            "lost": (None, None, None, "lost_to_follow_up"),
        }
    )
    assert out["quit_4wk_self"].tolist() == [True, True, False, False]
    assert out["quit_4wk_co"].tolist() == [True, False, False, False]
    assert out["quit_4wk_days"].isna().all()  # no review date


def test_a_co_reading_in_the_window_decides_a_status_coded_quit():
    out = quits(
        {
            "verified_but_10": (30, None, 10, "quit_co_verified"),  # reading wins: not confirmed
            "self_but_4": (30, None, 4, "quit_self_reported"),  # reading wins: confirmed
            "verified_late_reading": (60, None, 12, "quit_co_verified"),  # outside 25-42: code
        }
    )
    assert out["quit_4wk_self"].tolist() == [True, True, True]
    assert out["quit_4wk_co"].tolist() == [False, True, True]
