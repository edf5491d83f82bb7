"""NHS Talking Therapies outcomes against hand-worked episodes (tests/fixtures/instruments/).

The fixture's ``working`` column shows the arithmetic for each episode; the thresholds are
those of reference/measures.md §3 (caseness PHQ-9 >= 10 or GAD-7 >= 8, reliable change 6 / 4,
finished = the episode ended after at least 2 treatment sessions). Each outcome flag is NA
exactly outside its published denominator and True or False inside it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import evalkit.instruments as ins
from evalkit.errors import ScoringError

FIXTURE = Path(__file__).parent / "fixtures" / "instruments" / "iapt_episodes.csv"
OUTCOMES = {
    "case_baseline": "iapt_case_baseline",
    "finished": "iapt_finished_treatment",
    "paired": "iapt_paired_scores",
    "recovery": "iapt_recovery",
    "reliable_improvement": "iapt_reliable_improvement",
    "reliable_deterioration": "iapt_reliable_deterioration",
    "reliable_recovery": "iapt_reliable_recovery",
}


@pytest.fixture(scope="module")
def episodes() -> pd.DataFrame:
    text = dict.fromkeys(["client_id", "ended", *OUTCOMES], "str")
    return pd.read_csv(FIXTURE, keep_default_na=False, na_values=[""], dtype=text)


def scored(episodes: pd.DataFrame, name: str) -> pd.DataFrame:
    long = episodes.melt(
        id_vars="client_id",
        value_vars=[f"{name}_baseline", f"{name}_exit"],
        var_name="timepoint",
        value_name=f"{name}_total",
    ).dropna()
    long["timepoint"] = long["timepoint"].str.removeprefix(f"{name}_")
    return long


def expected(value: str) -> bool | None:
    return {"True": True, "False": False, "NA": None}[value]


def treatment(episodes: pd.DataFrame) -> pd.DataFrame:
    """Sessions and whether the episode ended, for clients with a session count."""
    listed = episodes.loc[episodes["treatment_sessions"].notna()]
    ended = pd.array([{"True": True, "False": False}.get(v) for v in listed["ended"]], "boolean")
    return listed[["client_id", "treatment_sessions"]].assign(ended=ended)


@pytest.fixture(scope="module")
def outcomes(episodes: pd.DataFrame) -> pd.DataFrame:
    return ins.iapt_outcomes(
        scored(episodes, "phq9"), scored(episodes, "gad7"), treatment(episodes)
    )


def test_fixture_covers_every_outcome_and_every_exclusion(episodes):
    assert len(episodes) >= 19
    for column in (
        "recovery",
        "reliable_improvement",
        "reliable_deterioration",
        "reliable_recovery",
    ):
        assert {"True", "False"} <= set(episodes[column])
    assert (episodes["case_baseline"] == "False").any()  # "not a case at baseline"
    assert (episodes["treatment_sessions"] < 2).any()  # "fewer than 2 sessions"
    assert ((episodes["ended"] == "False") & (episodes["treatment_sessions"] >= 2)).any()


@pytest.mark.parametrize("client", [f"E{i:02d}" for i in range(1, 20)])
def test_hand_worked_episode(episodes, outcomes, client):
    want = episodes.set_index("client_id").loc[client]
    got = outcomes.set_index("client_id").loc[client]
    for fixture_column, column in OUTCOMES.items():
        value = got[column]
        assert (None if pd.isna(value) else bool(value)) == expected(want[fixture_column]), (
            f"{client} {column}: {want['working']}"
        )


def test_rates_follow_the_nhs_digital_formulae(outcomes):
    # Finished: E01-E04, E06-E12, E15, E18 = 13; not at caseness among them: E04 -> 12.
    # Recovery = recovered / (finished - not at caseness): E01, E03, E09, E10, E15 = 5 / 12.
    assert outcomes["iapt_recovery"].notna().sum() == 12
    assert outcomes["iapt_recovery"].mean() == pytest.approx(5 / 12)
    # Reliable improvement = improved / finished: E01, E02, E04, E07, E10 = 5 of 13.
    assert outcomes["iapt_reliable_improvement"].mean() == pytest.approx(5 / 13)
    # Reliable deterioration / finished: E06, E08 = 2 of 13.
    assert outcomes["iapt_reliable_deterioration"].mean() == pytest.approx(2 / 13)
    # Reliable recovery on complete pairs: E01, E10 of the same 12 as recovery (not E15).
    assert outcomes["iapt_reliable_recovery"].mean() == pytest.approx(2 / 12)


def test_flags_are_nullable_booleans(outcomes):
    assert all(str(outcomes[c].dtype) == "boolean" for c in OUTCOMES.values())
    assert list(outcomes.columns) == ["client_id", *ins.iapt.IAPT_OUTCOME_COLUMNS]


def test_outcomes_from_items_through_the_scorer(episodes):
    """The same episodes built from PHQ-9 / GAD-7 item responses give the same outcomes."""
    rows = []
    for _, e in episodes.iterrows():  # building test input only
        for name, n in (("phq9", 9), ("gad7", 7)):
            for tp in ("baseline", "exit"):
                total = e[f"{name}_{tp}"]
                if pd.isna(total):
                    continue
                base, extra = divmod(int(total), n)
                for i in range(n):
                    rows.append((e["client_id"], tp, f"{name}_{i + 1}", base + (i < extra)))
    long = pd.DataFrame(rows, columns=["client_id", "timepoint", "measure", "value"])
    got = ins.iapt_outcomes(ins.score(long, "phq9"), ins.score(long, "gad7"), treatment(episodes))
    for fixture_column, column in OUTCOMES.items():
        want = [expected(v) for v in episodes.sort_values("client_id")[fixture_column]]
        assert [None if pd.isna(v) else bool(v) for v in got[column]] == want, column


def test_repeated_session_counts_are_an_error(episodes):
    rows = pd.DataFrame({"client_id": ["E01", "E01"], "treatment_sessions": [3, 4], "ended": True})
    with pytest.raises(ScoringError, match="client E01 more than once"):
        ins.iapt_outcomes(scored(episodes, "phq9"), scored(episodes, "gad7"), rows)


def test_a_treatment_table_without_the_episode_end_is_an_error(episodes):
    sessions = pd.DataFrame({"client_id": ["E01"], "treatment_sessions": [3]})
    with pytest.raises(ScoringError, match="lacks column.s. ended"):
        ins.iapt_outcomes(scored(episodes, "phq9"), scored(episodes, "gad7"), sessions)
