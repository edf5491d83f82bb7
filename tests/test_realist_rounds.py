"""Fieldwork rounds, re-interviews, evidence by round, the refinement log's rounds and memos,
against hand counts; and the demo's planted fieldwork (rounds, two coders, the disagreement
rate) recovered from its tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evalkit import qual, realist
from evalkit.demo.qualitative import make_qualitative
from evalkit.demo.truths import PLANTED


def sources() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source_id": ["S1", "S2", "S3", "S4", "S5", "S6"],
            "type": ["interview", "interview", "focus_group", "interview", "interview", "document"],
            "round": [1, 1, 1, 2, 2, None],
            "participant": ["P01", "P02", None, "P01", "P03", None],
            "date": ["2026-01-10", "2026-02-01", "2026-02-05", "2026-05-02", "2026-05-09", None],
            "site": ["North", "South", "North", "North", "South", None],
            "stakeholder_group": ["service_user"] * 5 + ["commissioner"],
        }
    )


def test_rounds_count_sources_people_and_people_heard_again():
    table = realist.fieldwork_rounds(sources()).set_index("round")
    assert list(table.index) == ["1", "2", "not recorded", "all"]
    assert table["n_sources"].tolist() == [3, 2, 1, 6]
    assert table["n_participants"].tolist() == [2, 2, 0, 3]
    # P01 is heard in round 1 and again in round 2
    assert table["n_reinterviewed"].tolist() == [0, 1, 0, 1]
    assert str(table.loc["2", "last_date"].date()) == "2026-05-09"
    assert realist.reinterviews(sources()).to_dict("records") == [
        {"participant": "P01", "rounds": "1;2", "n_sources": 2, "source_ids": "S1;S4"}
    ]


def test_each_cmocs_evidence_is_tallied_by_round_and_recorded_in_the_log():
    book = pd.DataFrame(
        {"code_id": ["k1", "k2"], "name": ["C: alone", "O: quit"], "parent_id": [pd.NA] * 2}
    )
    codings = pd.DataFrame(
        {
            "coding_id": ["a", "b", "c", "d"],
            "source_id": ["S1", "S2", "S4", "S6"],
            "code_id": ["k1", "k2", "k2", "k2"],
            "text": ["w", "x", "y", "z"],
            "start": [0, 0, 0, 0],
            "end": [1, 1, 1, 1],
        }
    )
    cmocs = pd.DataFrame(
        {
            "cmoc_id": ["CMOC1", "CMOC2"],
            "programme_theory": ["PT1", "PT2"],
            "codes": ["C: alone; O: quit", "C: alone"],
            "status": ["supported", "initial"],
        }
    )
    by_round = realist.cmoc_evidence_by_round(cmocs, codings, sources(), book)
    wide = by_round.pivot(index="cmoc_id", columns="round", values="n_sources")
    assert wide.loc["CMOC1"].to_dict() == {"1": 2, "2": 1, "not recorded": 1}
    assert wide.loc["CMOC2"].to_dict() == {"1": 1, "2": 0, "not recorded": 0}
    rounds = realist.cmoc_rounds(by_round)
    assert rounds.to_dict() == {"CMOC1": "1;2", "CMOC2": "1"}  # documents are no round
    log = realist.record_period(
        realist.read_refinement_log("none.csv"), cmocs, "2026-Q2", rounds=rounds
    )
    assert log[["cmoc_id", "rounds"]].values.tolist() == [["CMOC1", "1;2"], ["CMOC2", "1"]]


def test_a_refinement_log_written_before_rounds_reads_with_them_blank(tmp_path):
    path = tmp_path / "refinement_log.csv"
    path.write_text("period,cmoc_id,programme_theory,status,pattern\n2026-Q1,C1,PT1,initial,\n")
    log = realist.read_refinement_log(path)
    assert list(log.columns) == list(realist.REFINEMENT_LOG_COLUMNS)
    assert log["rounds"].isna().all()


def test_memos_come_from_the_cmoc_table_and_notes_named_for_the_cmoc():
    cmocs = pd.DataFrame({"cmoc_id": ["CMOC1", "CMOC10"], "memo": ["From the table.", None]})
    notes = pd.DataFrame(
        {
            "memo_id": ["n1", "n2", "n3"],
            "name": ["CMOC10: rival theory", "Other", "Other"],
            "author": ["ann", "ben", "ben"],
            "created": [pd.NA] * 3,
            "text": ["Rival.", "On the code.", "On a source."],
            "target_type": [pd.NA, "code", "source"],
            "target_name": [pd.NA, "CMOC1 trust", "CMOC1 interview"],
        }
    )
    memos = realist.cmoc_memos(cmocs, notes)
    # CMOC1 does not match CMOC10's note, and a note on a source is not a note on the CMOC
    assert memos[["cmoc_id", "text"]].values.tolist() == [
        ["CMOC1", "From the table."],
        ["CMOC1", "On the code."],
        ["CMOC10", "Rival."],
    ]


# --- the demo's planted fieldwork ---------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_qual():
    tables = make_qualitative(np.random.default_rng(11))
    return tables


def test_the_demo_plants_two_rounds_and_the_declared_reinterviews(demo_qual):
    planted = PLANTED.fieldwork
    table = realist.fieldwork_rounds(demo_qual["sources"]).set_index("round")
    dates = pd.to_datetime(demo_qual["sources"]["date"])
    fieldwork = demo_qual["sources"]["type"] != "document"
    late = fieldwork & (dates >= pd.Timestamp(planted.round_two_from))
    assert table.loc["1", "n_sources"] == (fieldwork & ~late).sum()
    assert table.loc["2", "n_sources"] == late.sum()
    assert table.loc["all", "n_reinterviewed"] == len(planted.reinterviews)
    heard_again = realist.reinterviews(demo_qual["sources"])
    expected = {";".join(sorted(pair)) for pair in planted.reinterviews}
    assert set(heard_again["source_ids"]) == expected


def test_the_demo_plants_two_coders_and_the_declared_disagreement_rate(demo_qual):
    planted = PLANTED.fieldwork
    codings, book = demo_qual["codings"], demo_qual["codebook"]
    lead, second = planted.coders
    summary = qual.double_coding(codings, demo_qual["sources"]).iloc[0]
    assert summary["n_double_coded"] == len(planted.double_coded)
    assert summary["coders"] == f"{lead};{second}"
    # Count the lead's (excerpt, code) pairs with a CMOC's code in the double-coded sources,
    # and the pairs the second coder left off, from the tables alone.
    names = dict(zip(book["code_id"], book["name"], strict=True))
    cmoc_codes = {name for c in PLANTED.cmocs for name in c.codes}
    doubled = codings[codings["source_id"].isin(planted.double_coded)]
    pairs = doubled[["source_id", "start", "code_id", "coder"]]
    lead_pairs = pairs[(pairs["coder"] == lead) & pairs["code_id"].map(names).isin(cmoc_codes)]
    listed = qual.disagreements(codings, codebook=book, unit="excerpt")
    lead_only = listed[listed["coded_by"] == lead]
    assert len(lead_only) == len(lead_pairs) // planted.disputed_every
    assert len(lead_only) / len(lead_pairs) == pytest.approx(
        1 / planted.disputed_every, abs=1 / len(lead_pairs)
    )
    # every disputed code was coded as another realist kind in the same passage
    kinds = qual.disagreements(codings, codebook=book, unit="excerpt", level="kind")
    assert len(kinds) >= 1 and set(kinds["coded_by"]) <= {lead, second}
    # and the evidence is the lead's coding: the second coder's never counts twice
    assert set(qual.lead_codings(codings)["coder"]) == {lead}
