"""narrative.yml: the evaluator's words are checked like evaluation.yml (every key, with the
nearest allowed one), every name in them must exist in the evaluation, and a report is final
only when every question of the summary is answered for its period."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evalkit.cli import app
from evalkit.config import load_config
from evalkit.demo import write_demo
from evalkit.errors import ConfigError, PipelineError
from evalkit.pages import evaluator_text
from evalkit.pages import summary as summary_page
from evalkit.pipeline.publish import check_narrative, check_publication
from evalkit.project.narrative import PROMPTS, load_narrative

ANSWERED = "\n".join(f"      {p.id}: Answer to {p.id}." for p in PROMPTS)
FILLED = f"""\
evaluator: Dr Ada Evaluator
periods:
  2026-Q2:
    date: 2026-07-20
    answers:
{ANSWERED}
    recommendations:
      - Extend the peer-led groups to the South site.
    limitations: Follow-up at the East site was too low to judge.
    cmocs:
      CMOC1:
        interpretation: Interviews and the numbers agree on peer support.
        status_change: {{from: initial, to: supported, reason: Both kinds of evidence agree.}}
    kpis:
      referrals: {{explanation: Referrals dipped while a GP practice closed., action: Recontact.}}
  2026-Q1:
    evaluator: Dr Bo Second
    date: 2026-04-15
    answers: {{kpis: Only the KPI question was answered for Q1.}}
"""


def write_filled(folder: Path) -> None:
    """Write :data:`FILLED` into an evaluation folder, and move CMOC1 to the status its change
    ends at in the CMOC table too, as the evaluator does (the two must agree)."""
    (folder / "narrative.yml").write_text(FILLED, encoding="utf-8")
    set_cmoc_status(folder, "CMOC1", "supported")


def set_cmoc_status(folder: Path, cmoc_id: str, status: str) -> None:
    table = folder / "qual" / "cmocs.csv"
    cmocs = pd.read_csv(table, dtype=str, keep_default_na=False)
    cmocs.loc[cmocs["cmoc_id"] == cmoc_id, "status"] = status
    cmocs.to_csv(table, index=False)


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    return write_demo(tmp_path_factory.mktemp("narrative") / "demo", episodes=200, seed=3)


@pytest.fixture
def evaluation(small_demo, tmp_path) -> Path:
    """A private copy of the small demo, so a test can write its own narrative.yml."""
    shutil.copytree(small_demo.parent, tmp_path / "demo")
    return tmp_path / "demo" / "evaluation.yml"


def problems_of(path: Path, text: str) -> str:
    (path.parent / "narrative.yml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_narrative(path.parent / "narrative.yml")
    return str(caught.value)


def test_a_filled_narrative_reads_by_period_with_name_and_date(tmp_path):
    path = tmp_path / "narrative.yml"
    path.write_text(FILLED, encoding="utf-8")
    narrative = load_narrative(path)
    q2, q1 = narrative.for_period("2026-Q2"), narrative.for_period("2026-Q1")
    assert q2.answer("equity") == "Answer to equity."
    assert q2.signature == "Dr Ada Evaluator, 20 July 2026"
    assert q1.signature == "Dr Bo Second, 15 April 2026"  # a period's own evaluator wins
    assert q2.limitations == ["Follow-up at the East site was too low to judge."]
    change = q2.cmocs["CMOC1"].status_change
    assert (change.from_status, change.to) == ("initial", "supported")
    assert narrative.unanswered("2026-Q2") == []
    assert [p.id for p in narrative.unanswered("2026-Q1")] == [
        p.id for p in PROMPTS if p.id != "kpis"
    ]
    assert narrative.unanswered("2025-Q4") == list(PROMPTS)  # nothing written for it


def test_no_file_is_an_empty_narrative_with_every_prompt_unanswered(tmp_path):
    narrative = load_narrative(tmp_path / "narrative.yml")
    assert narrative.path is None and narrative.unanswered("2026-Q2") == list(PROMPTS)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("evaluater: X\n", "evaluater: unknown setting (did you mean 'evaluator'?)"),
        (
            "evaluator: X\nperiods:\n  2026-Q2:\n    date: 2026-07-20\n    answer: {kpis: y}\n",
            "periods.2026-Q2.answer: unknown setting (did you mean 'answers'?)",
        ),
        (
            "evaluator: X\nperiods:\n  2026-Q2:\n    date: 2026-07-20\n"
            "    answers: {data_gap: y}\n",
            "periods.2026-Q2.answers.data_gap: unknown setting (did you mean 'data_gaps'?)",
        ),
        (
            "evaluator: X\nperiods:\n  2026-Q2:\n    date: 2026-07-20\n"
            "    cmocs: {CMOC1: {interpretation: y, reasn: z}}\n",
            "periods.2026-Q2.cmocs.CMOC1.reasn: unknown setting",
        ),
        (
            "evaluator: X\nperiods:\n  2026-Q5:\n    date: 2026-07-20\n",
            "periods.2026-Q5: expected a calendar quarter written YYYY-Qn",
        ),
        (
            "evaluator: X\nperiods:\n  2026-Q2:\n    date: 20 July\n",
            "periods.2026-Q2.date: expected a date written YYYY-MM-DD",
        ),
        (
            "evaluator: X\nperiods:\n  2026-Q2:\n    date: 2026-07-20\n    cmocs:\n"
            "      CMOC1:\n        interpretation: y\n"
            "        status_change: {from: initial, to: suported, reason: z}\n",
            "periods.2026-Q2.cmocs.CMOC1.status_change.to: expected one of initial, supported, "
            "refined, refuted, inconclusive, got the text 'suported' (did you mean 'supported'?)",
        ),
        (
            "periods:\n  2026-Q2:\n    date: 2026-07-20\n",
            "periods.2026-Q2.evaluator: required setting is missing",
        ),
        (
            "evaluator: X\nperiods:\n  2026-Q2:\n    answers: {kpis: y}\n",
            "periods.2026-Q2.date: required setting is missing",
        ),
    ],
)
def test_every_problem_names_its_key_and_the_fix(tmp_path, text, line):
    assert line in problems_of(tmp_path / "evaluation.yml", text)


def test_all_problems_are_reported_together(tmp_path):
    message = problems_of(
        tmp_path / "evaluation.yml",
        "evaluater: X\nperiods:\n  2026-Q2:\n    dat: 2026-07-20\n",
    )
    assert "3 problems" in message and "evaluater" in message and "dat:" in message


def test_names_the_evaluation_does_not_have_are_errors_with_the_nearest_name(evaluation):
    (evaluation.parent / "narrative.yml").write_text(
        "evaluator: X\nperiods:\n  2026-Q9:\n    date: 2026-07-20\n"
        "  2026-Q2:\n    date: 2026-07-20\n"
        "    cmocs: {CMOC11: {interpretation: y}}\n"
        "    kpis: {referals: {explanation: z}}\n",
        encoding="utf-8",
    )
    config = load_config(evaluation)
    with pytest.raises(ConfigError) as caught:
        check_narrative(config)
    message = str(caught.value)
    assert "periods.2026-Q9" in message  # not YYYY-Qn at all: the file's own check
    (evaluation.parent / "narrative.yml").write_text(
        "evaluator: X\nperiods:\n  2027-Q1:\n    date: 2026-07-20\n"
        "  2026-Q2:\n    date: 2026-07-20\n"
        "    cmocs: {CMOC11: {interpretation: y}}\n"
        "    kpis: {referals: {explanation: z}}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        check_narrative(config)
    message = str(caught.value)
    assert "3 problems" in message
    assert "periods.2027-Q1: no period '2027-Q1' in evaluation.yml's periods" in message
    assert "periods.2026-Q2.cmocs.CMOC11: no CMOC 'CMOC11' in the CMOC table (did you mean" in (
        message
    )
    assert (
        "periods.2026-Q2.kpis.referals: no KPI 'referals' in the KPI definitions "
        "(did you mean 'referrals'?)"
    ) in message


def test_evalkit_validate_reports_the_narrative_problems(evaluation):
    (evaluation.parent / "narrative.yml").write_text(
        "evaluator: X\nperiods:\n  2026-Q2:\n    date: 2026-07-20\n"
        "    kpis: {referals: {explanation: z}}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["validate", str(evaluation.parent)])
    assert result.exit_code == 1
    assert "no KPI 'referals'" in result.output and "did you mean 'referrals'?" in result.output


def test_a_valid_narrative_passes_the_reference_check(evaluation):
    write_filled(evaluation.parent)
    assert check_narrative(load_config(evaluation)).for_period("2026-Q2") is not None


def test_a_status_change_must_end_at_the_status_in_the_cmoc_table(evaluation):
    # FILLED moves CMOC1 from initial to supported; the demo's cmocs.csv still says initial
    (evaluation.parent / "narrative.yml").write_text(FILLED, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        check_narrative(load_config(evaluation))
    assert (
        "periods.2026-Q2.cmocs.CMOC1.status_change.to: 'supported' does not agree with "
        "CMOC1's status 'initial' in the CMOC table (cmocs.csv)"
    ) in str(caught.value)
    result = CliRunner().invoke(app, ["validate", str(evaluation.parent)])
    assert result.exit_code == 1 and "'supported' does not agree" in result.output
    set_cmoc_status(evaluation.parent, "CMOC1", "refined")  # wrong the other way: still refused
    with pytest.raises(
        ConfigError, match="'supported' does not agree with CMOC1's status 'refined'"
    ):
        check_narrative(load_config(evaluation))
    set_cmoc_status(evaluation.parent, "CMOC1", "supported")
    assert check_narrative(load_config(evaluation)).path is not None


def test_only_the_latest_status_change_of_a_cmoc_is_compared(evaluation):
    """An earlier period's change is history: Q1 moved CMOC2 to refined, Q2 on to refuted."""
    text = (
        "evaluator: X\nperiods:\n"
        "  2026-Q2:\n    date: 2026-07-20\n    cmocs:\n      CMOC2:\n        interpretation: y\n"
        "        status_change: {from: refined, to: refuted, reason: z}\n"
        "  2026-Q1:\n    date: 2026-04-20\n    cmocs:\n      CMOC2:\n        interpretation: y\n"
        "        status_change: {from: initial, to: refined, reason: z}\n"
    )
    (evaluation.parent / "narrative.yml").write_text(text, encoding="utf-8")
    set_cmoc_status(evaluation.parent, "CMOC2", "refuted")
    assert check_narrative(load_config(evaluation)).path is not None
    set_cmoc_status(evaluation.parent, "CMOC2", "refined")  # the Q1 status, not the latest
    with pytest.raises(ConfigError) as caught:
        check_narrative(load_config(evaluation))
    assert "periods.2026-Q2.cmocs.CMOC2.status_change.to: 'refuted'" in str(caught.value)
    assert "2026-Q1" not in str(caught.value)


def test_final_is_refused_while_a_prompt_is_unanswered_and_names_each(evaluation):
    config = load_config(evaluation)
    write_filled(evaluation.parent)
    assert check_publication(config, "2026-Q2", final=True).status == "final"
    with pytest.raises(PipelineError) as caught:
        check_publication(config, "2026-Q1", final=True)
    message = str(caught.value)
    assert "4 questions for the evaluator are unanswered for 2026-Q1" in message
    for prompt in PROMPTS:
        assert (prompt.id != "kpis") == (f"answers.{prompt.id}: {prompt.question}" in message)
    draft = check_publication(config, "2026-Q1", final=False)
    assert draft.draft and draft.manifest()["status"] == "draft"
    assert len(draft.manifest()["unanswered_prompts"]) == 4


def test_the_summary_prompts_have_one_home():
    assert summary_page.RECOMMENDATION_PROMPTS == tuple(p.question for p in PROMPTS)


def test_page_sections_show_the_words_of_the_report_period_with_name_and_date(evaluation):
    from evalkit.data.evaluation import load_evaluation

    write_filled(evaluation.parent)
    ev = load_evaluation(evaluation, period="2026-Q2")
    answers = summary_page.prompts_section(ev).text()
    for prompt in PROMPTS:
        assert f"**{prompt.question}**\n\nAnswer to {prompt.id}." in answers
    assert "Written for 2026-Q2 by Dr Ada Evaluator, 20 July 2026." in answers
    assert "Extend the peer-led groups" in evaluator_text.recommendations_section(ev).text()
    cmocs = evaluator_text.cmoc_notes_section(ev).text()
    assert "**CMOC1.** Interviews and the numbers agree" in cmocs
    assert "from *initial* to *supported*: Both kinds of evidence agree." in cmocs
    kpis = evaluator_text.kpi_notes_section(ev).text()
    assert "GP practice closed" in kpis and "*Action:* Recontact." in kpis
    assert "East site" in evaluator_text.limitations_section(ev).text()
    earlier = load_evaluation(evaluation, period="2026-Q1")
    text = summary_page.prompts_section(earlier).text()
    assert text.count("*Not yet answered.*") == 4 and "Dr Bo Second" in text
    assert (
        "no recommendations for 2026-Q1" in evaluator_text.recommendations_section(earlier).text()
    )
