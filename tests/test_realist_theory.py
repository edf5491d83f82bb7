"""Programme-theory table, refinement log across periods, and the RAMESES II checklist."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.realist import (
    RAMESES_II,
    programme_theory_table,
    rameses_checklist,
    read_refinement_log,
    record_period,
    status_history,
    write_refinement_log,
)


def cmocs(statuses=("initial", "initial", "initial")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cmoc_id": ["CMOC1", "CMOC2", "CMOC3"],
            "programme_theory": ["PT2 digital", "PT1 peer", "PT1 peer"],
            "context": ["c1", "c2", "c3"],
            "mechanism_resource": ["m1", "m2", "m3"],
            "mechanism_reasoning": ["r1", "r2", "r3"],
            "outcome": ["o1", "o2", "o3"],
            "status": list(statuses),
        }
    )


def link() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cmoc_id": ["CMOC1", "CMOC2", "CMOC3"],
            "pattern": ["consistent", "inconclusive", "not tested"],
            "suggested_status": ["supported", "inconclusive", None],
            "method": ["difference: OLS of wemwbs_change on the context (HC3)"] * 2 + [None],
        }
    )


def test_programme_theory_table_groups_cmocs_under_theories():
    evidence = pd.DataFrame(
        {
            "cmoc_id": ["CMOC1", "CMOC2", "CMOC3"],
            "element": "all",
            "n_sources": [5, 2, 0],
            "n_sites": [3, 1, 0],
            "n_stakeholder_groups": [3, 1, 0],
        }
    )
    table = programme_theory_table(cmocs(("refuted", "initial", "supported")), link(), evidence)
    shown = table[["programme_theory", "cmoc_id", "status", "suggested_status", "n_sources"]]
    assert shown.fillna("-").values.tolist() == [
        ["PT1 peer", "CMOC2", "initial", "inconclusive", 2],
        ["PT1 peer", "CMOC3", "supported", "-", 0],
        ["PT2 digital", "CMOC1", "refuted", "supported", 5],  # the evaluator's word stands
    ]


def test_refinement_log_keeps_each_period_and_replaces_a_rerun(tmp_path):
    path = tmp_path / "qual" / "refinement_log.csv"
    log = record_period(read_refinement_log(path), cmocs(), "2026-Q1", link())
    write_refinement_log(log, path)
    q2 = cmocs(("supported", "refined", "initial"))
    log = record_period(read_refinement_log(path), q2, "2026-Q2", link())
    log = record_period(log, q2, "2026-Q2", link())  # a regenerated report: no duplicates
    write_refinement_log(log, path)
    back = read_refinement_log(path)
    assert len(back) == 6
    assert back.loc[back["period"] == "2026-Q1", "status"].tolist() == ["initial"] * 3
    history = status_history(back).set_index("cmoc_id")
    assert history.loc["CMOC1", "history"] == "initial (2026-Q1) → supported (2026-Q2)"
    assert history.loc["CMOC3", "history"] == "initial (2026-Q1)"
    assert history["changed"].tolist() == [True, True, False]
    assert history.loc["CMOC2", ["2026-Q1", "2026-Q2"]].tolist() == ["initial", "refined"]
    # an interim report for Q1 regenerated later shows Q1 only
    assert list(status_history(back, up_to="2026-Q1").columns) == [
        "cmoc_id",
        "programme_theory",
        "2026-Q1",
        "changed",
        "history",
    ]
    assert not list(tmp_path.glob("qual/.refinement_log.*"))  # no temporary file left


def test_a_period_that_is_not_a_quarter_is_an_error():
    with pytest.raises(ConfigError, match="'2026Q2' is not a quarter"):
        record_period(read_refinement_log("none.csv"), cmocs(), "2026Q2")


# --- RAMESES II --------------------------------------------------------------------------------


def test_rameses_has_twenty_items_in_six_sections():
    # Wong et al. 2016 (and the commentary in BMC Medicine 14:97): 20 items, six sections
    assert [i.number for i in RAMESES_II] == list(range(1, 21))
    sections = pd.Series([i.section for i in RAMESES_II])
    assert list(dict.fromkeys(sections)) == [
        "Title",
        "Summary or abstract",
        "Introduction",
        "Methods",
        "Results",
        "Discussion",
    ]


def test_rameses_confirmed_titles_match_the_published_table():
    # Titles read in Table 1 (reference/qualitative.md §1.3 and the BMC table page)
    published = {
        3: "Rationale for evaluation",
        4: "Programme theory",
        5: "Evaluation questions, objectives and focus",
        6: "Ethical approval",
        7: "Rationale for using realist evaluation",
        8: "Environment surrounding the evaluation",
        13: "Data analysis",
    }
    titles = {i.number: i.title for i in RAMESES_II}
    assert {k: titles[k] for k in published} == published
    confirmed = [i.number for i in RAMESES_II if i.title_source.startswith("confirmed")]
    assert confirmed == [1, 2, 3, 4, 5, 6, 7, 8, 13]
    recall = [i.number for i in RAMESES_II if i.title_source.startswith("from recall")]
    assert recall == [10, 11, 12, 14, 15, 16, 17, 18, 19, 20]


def test_rameses_fills_what_evalkit_knows_and_prompts_for_the_rest():
    sources = pd.DataFrame(
        {
            "source_id": ["S1", "S2", "S3"],
            "type": ["interview", "interview", "focus_group"],
            "site": ["North", "South", "North"],
            "stakeholder_group": ["service_user", "service_user", "frontline_staff"],
        }
    )
    codings = pd.DataFrame({"selection_id": ["a", "b", "b", "c"]})
    episodes = pd.DataFrame({"client_id": [f"c{i}" for i in range(250)]})
    table = rameses_checklist(
        sources=sources, codings=codings, episodes=episodes, cmocs=cmocs(), link=link()
    ).set_index("item")
    assert table.loc[11, "content"] == (
        "Qualitative: 3 sources (1 focus group, 2 interview); 3 coded excerpts; monitoring data "
        "for 250 referral episodes."
    )
    assert table.loc[11, "filled_by"] == "evalkit"
    assert table.loc[11, "where_addressed"].startswith("00_data_quality")
    assert "by site: 2 North, 1 South" in table.loc[12, "content"]
    assert table.loc[12, "filled_by"] == "evalkit, to complete"
    assert "2 CMOCs with a measurable context" in table.loc[13, "content"]
    assert "OLS of wemwbs_change" in table.loc[13, "content"]
    assert table.loc[15, "content"].startswith(
        "Outcome patterns: 1 consistent, 1 inconclusive, 1 not tested."
    )
    assert table.loc[4, "content"].startswith("2 programme theories expressed as 3 CMOCs")
    for item in (1, 6, 17, 20):
        assert table.loc[item, "filled_by"] == "evaluator"
        assert table.loc[item, "where_addressed"] == ""
        assert table.loc[item, "content"]  # a prompt


def test_rameses_without_data_is_all_prompts():
    table = rameses_checklist()
    assert (table["filled_by"] == "evaluator").all()
    assert len(table) == 20


def test_rameses_counts_excerpts_without_selection_ids_and_writes_thousands():
    import pandas as pd

    from evalkit.realist import rameses_checklist

    # two codings of one span of one source are one excerpt (canonical CSV codings carry no
    # selection_id); 2,000 episodes are written with a thousands separator
    codings = pd.DataFrame(
        {
            "coding_id": ["a", "b", "c"],
            "source_id": ["s", "s", "s"],
            "start": [0, 0, 10],
            "end": [5, 5, 20],
            "code_id": ["x", "y", "x"],
        }
    )
    table = rameses_checklist(codings=codings, episodes=pd.DataFrame(index=range(2000)))
    content = table.loc[table["item"] == 11, "content"].iloc[0]
    assert content == "2 coded excerpts; monitoring data for 2,000 referral episodes."
