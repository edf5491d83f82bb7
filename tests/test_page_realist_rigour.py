"""The realist synthesis page's rigour sections on the demo: rounds, double coding, memos.

Expectations come from the demo's qualitative tables counted here (rounds and pseudonyms of the
sources, the lead coder's codings of each CMOC's codes), from the planted fieldwork
(``PLANTED.fieldwork``) and from the disclosure policy; and the evaluator-only material (the
coders' disagreements, who was re-interviewed, the memos) must reach the evaluator-only folder
and no page section.
"""

from __future__ import annotations

import pandas as pd
import pytest
from page_helpers import tables_of

from evalkit import qual, realist
from evalkit.data.evaluation import load_evaluation
from evalkit.demo.truths import PLANTED
from evalkit.pages import realist_synthesis as page


@pytest.fixture(scope="module")
def analysis(service):
    return page.realist_analysis(service)


def lead_sources_by_round(ev, cmoc_id: str) -> dict[str, int]:
    """Sources whose lead coder coded one of the CMOC's codes, by round, counted by hand."""
    cmoc = ev.qual["cmocs"].set_index("cmoc_id").loc[cmoc_id]
    names = [n.strip() for n in cmoc["codes"].split(";")]
    ids = ev.qual["codebook"].set_index("name").loc[names, "code_id"]
    codings = ev.qual["codings"]
    lead = codings[(codings["coder"] == PLANTED.fieldwork.coders[0]) & codings["code_id"].isin(ids)]
    rounds = ev.qual["sources"].set_index("source_id")["round"]
    found = rounds.loc[sorted(set(lead["source_id"]))]
    return {str(int(r)): int(n) for r, n in found.dropna().value_counts().items()}


def test_the_rounds_table_counts_sources_by_hand_and_withholds_small_counts(service, analysis):
    (table,) = tables_of(page.rounds_of_fieldwork(service, analysis))
    sources = service.qual["sources"]
    by_round = sources["round"].value_counts()
    assert table["rows"]["Round 1"]["Sources"] == str(by_round[1])
    assert table["rows"]["Round 2"]["Sources"] == str(by_round[2])
    # four service users are heard again: fewer than the threshold of 8, so withheld
    assert len(PLANTED.fieldwork.reinterviews) < service.config.disclosure.threshold
    assert table["rows"]["Round 2"]["Heard in an earlier round"] == "*"
    assert table["rows"]["Round 1"]["Heard in an earlier round"] == "0"
    people = sources.loc[sources["round"] == 1, "participant"].nunique()
    rounded = 5 * int(people / 5 + 0.5)
    assert table["rows"]["Round 1"]["People interviewed"] == str(rounded)


def test_each_cmocs_evidence_by_round_is_the_lead_coders_sources(service, analysis):
    (table,) = tables_of(page.evidence_by_round(service, analysis))
    for cmoc in PLANTED.cmocs:
        expected = lead_sources_by_round(service, cmoc.cmoc_id)
        shown = table["rows"][cmoc.cmoc_id]
        for number, count in expected.items():
            assert shown[f"Round {number}"] == str(count), cmoc.cmoc_id


def test_the_methods_report_the_share_double_coded_and_the_agreement(service, analysis):
    blocks = page.double_coding_and_agreement(service, analysis)
    planted = PLANTED.fieldwork
    n_sources = len(service.qual["sources"])
    share = round(100 * len(planted.double_coded) / n_sources)
    assert blocks[0].data.startswith(
        f"{len(planted.double_coded)} of {n_sources} sources ({share}%) were coded "
        "independently by two coders."
    )
    (table,) = tables_of(blocks)
    kinds = qual.intercoder_agreement(
        service.qual["codings"],
        qual.read_source_texts(service.config.qual_dir, service.qual["sources"]["source_id"]),
        codebook=service.qual["codebook"],
        level="kind",
    ).set_index("item")
    assert table["rows"]["Any realist kind"]["Cohen's kappa"] == (
        f"{kinds.loc['all', 'cohen_kappa']:.2f}"
    )
    assert table["rows"]["Context"]["Krippendorff's alpha"] == (
        f"{kinds.loc['context', 'krippendorff_alpha']:.2f}"
    )
    assert float(table["rows"]["Any code"]["Cohen's kappa"]) < 1  # the planted disagreement


def test_the_refinement_log_records_the_rounds_behind_each_cmoc(service, analysis, tmp_path):
    blocks = page.how_the_theories_changed(service, tmp_path, analysis)
    log = realist.read_refinement_log(tmp_path / page.REFINEMENT_LOG_FILE).set_index("cmoc_id")
    for cmoc in PLANTED.cmocs:
        expected = ";".join(sorted(lead_sources_by_round(service, cmoc.cmoc_id)))
        assert log.loc[cmoc.cmoc_id, "rounds"] == expected, cmoc.cmoc_id
    (table,) = tables_of(blocks)
    assert table["rows"]["CMOC1"]["Evidence from fieldwork"] == "rounds 1 and 2"


def test_a_first_quarter_report_knows_only_the_first_round(demo, tmp_path):
    ev = load_evaluation(demo, period="2026-Q1")
    analysis = page.realist_analysis(ev)
    assert set(analysis.rounds["round"]) - {"all", realist.NO_ROUND} == {"1"}
    page.how_the_theories_changed(ev, tmp_path, analysis)
    log = realist.read_refinement_log(tmp_path / page.REFINEMENT_LOG_FILE)
    assert set(log["rounds"].dropna()) <= {"1"}


def test_rameses_items_on_collection_and_analysis_are_filled_from_these_data(service, analysis):
    (table,) = tables_of(page.rameses_ii(service, analysis))
    content = {r["Item"]: r["What the report says, or what to add"] for r in table["records"]}
    assert "fieldwork in 2 rounds" in content["11"]
    assert "fewer than 8 participants heard in more than one round" in content["11"]
    kinds = analysis.agreement.set_index(["level", "item"])
    assert "were coded independently by two coders" in content["13"]
    assert f"Cohen's kappa {kinds.loc[('kind', 'all'), 'cohen_kappa']:.2f}" in content["13"]
    assert "refinement log" in content["13"]


def test_disagreements_memos_and_reinterviews_reach_the_evaluator_only_folder_alone(
    service, analysis, tmp_path, figures
):
    page.evaluator_only_outputs(service, tmp_path, analysis)
    folder = tmp_path / page.EVALUATOR_ONLY_FOLDER
    listed = pd.read_csv(folder / page.EVALUATOR_ONLY_FILES["disagreements"])
    assert len(listed) > 0 and set(listed["not_coded_by"]) | set(listed["coded_by"]) == set(
        PLANTED.fieldwork.coders
    )
    again = pd.read_csv(folder / page.EVALUATOR_ONLY_FILES["reinterviews"])
    assert len(again) == len(PLANTED.fieldwork.reinterviews)
    memos = (folder / page.EVALUATOR_ONLY_FILES["memos"]).read_text(encoding="utf-8")
    cmoc_memos = service.qual["cmocs"]["memo"].tolist()
    assert all(memo in memos for memo in cmoc_memos)
    # nothing of it on the page a commissioner reads
    sections = [
        page.evidence_in_scope,
        page.in_brief,
        page.programme_theories,
        page.qualitative_sources,
        page.rounds_of_fieldwork,
        page.double_coding_and_agreement,
        page.evidence_and_patterns,
        page.cmoc_cards,
        page.where_configurations_recur,
        page.evidence_by_round,
        page.rameses_ii,
    ]
    text = "".join(section(service, analysis).text() for section in sections)
    text += page.how_the_theories_changed(service, tmp_path, analysis).text()
    text += page.evaluator_only_outputs(service, tmp_path, analysis).text()
    for secret in [*PLANTED.fieldwork.coders, *cmoc_memos, *again["participant"]]:
        assert secret not in text
    assert "not_coded_by" not in text and "Evaluator's memos" not in text
