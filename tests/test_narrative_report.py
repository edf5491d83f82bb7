"""A report is a DRAFT while the evaluator has questions unanswered, and final with a filled
narrative.yml, whose words then appear in their sections of the executive summary.

Runs the real pipeline and the real summary notebook (alone, so it takes seconds) on a small
demo evaluation; every expectation is read from the published HTML and manifest.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import evalkit
from evalkit.cli import app
from evalkit.data.evaluation import load_evaluation
from evalkit.demo import write_demo
from evalkit.pipeline import run_report
from evalkit.project.narrative import PROMPTS
from tests.test_narrative import write_filled

pytestmark = pytest.mark.xdist_group("pipeline_run")


@pytest.fixture(scope="module", autouse=True)
def steady_evalkit_source():
    with pytest.MonkeyPatch.context() as patch:
        fixed = {"version": evalkit.__version__, "source_sha256": "0" * 64}
        patch.setattr("evalkit.pipeline.report.evalkit_fingerprint", lambda: fixed)
        yield


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory) -> Path:
    """A small demo whose report is the executive summary alone."""
    config = write_demo(tmp_path_factory.mktemp("final") / "demo", episodes=200, seed=5)
    with config.open("a", encoding="utf-8") as file:
        file.write("notebooks: [05_summary]\n")
    # Validate first, as `evalkit validate` would: the report's warm kernel server then only
    # reads the validated tables (the person linkage it would otherwise run before forking
    # kernels has been seen to kill them).
    load_evaluation(config)
    return config


def sections(page: Path) -> dict[str, str]:
    """The page's text by its level-2 heading (tags removed, whitespace collapsed)."""
    html = page.read_text(encoding="utf-8")
    main = html[html.index("<main") : html.index("</main>")]
    parts = re.split(r"<h2[^>]*>(.*?)</h2>", main, flags=re.S)
    text = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        plain = re.sub(r"<[^>]+>", " ", body).replace("&#39;", "'").replace("&amp;", "&")
        text[re.sub(r"<[^>]+>", "", heading).replace("&#39;", "'").strip()] = " ".join(
            plain.split()
        )
    return text


@pytest.fixture(scope="module")
def draft(evaluation, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    lines: list[str] = []
    report = run_report(evaluation, out=out, jobs=1, progress=lines.append)
    return report, lines


def test_the_demo_publishes_as_a_draft_listing_every_unanswered_prompt(draft):
    report, lines = draft
    for prompt in PROMPTS:
        assert any(
            f"unanswered for 2026-Q2 (answers.{prompt.id}): {prompt.question}" in line
            for line in lines
        ), prompt.id
    assert "report published as DRAFT (5 questions unanswered)" in lines[-1]
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["publication"]["status"] == "draft"
    assert [p["id"] for p in manifest["publication"]["unanswered_prompts"]] == [
        p.id for p in PROMPTS
    ]
    pages = sorted(report.glob("*.html"))
    assert {p.name for p in pages} == {"index.html", "05_summary.html"}
    for page in pages:  # every page: in its title and in a banner listing the questions
        html = page.read_text(encoding="utf-8")
        title = re.search(r"<title>(.*?)</title>", html).group(1)
        assert title.startswith("DRAFT: "), page.name
        banner = html[html.index('class="draft-banner"') :]
        banner = banner[: banner.index("</div>")]
        assert "yet to answer 5 questions" in banner
        for prompt in PROMPTS:
            assert prompt.question.replace("'", "&#39;") in banner, (page.name, prompt.id)
    answers = sections(report / "05_summary.html")["The evaluator's answers"]
    assert answers.count("Not yet answered.") == len(PROMPTS)


def test_final_is_refused_while_prompts_are_unanswered(draft, evaluation):
    report, _ = draft
    before = (report / "05_summary.html").read_bytes()
    result = CliRunner().invoke(
        app, ["report", "--config", str(evaluation), "--out", str(report.parents[1]), "--final"]
    )
    assert result.exit_code == 2
    assert "not published as final: 5 questions for the evaluator are unanswered" in (result.output)
    assert "answers.data_gaps:" in result.output
    assert (report / "05_summary.html").read_bytes() == before  # nothing was replaced


def test_with_a_filled_narrative_it_publishes_final_with_the_words_where_they_belong(
    evaluation, tmp_path
):
    folder = tmp_path / "demo"
    shutil.copytree(evaluation.parent, folder)
    write_filled(folder)
    lines: list[str] = []
    report = run_report(
        folder / "evaluation.yml", out=tmp_path / "r", jobs=1, progress=lines.append, final=True
    )
    assert "report published as final" in lines[-1]
    assert not any("unanswered for" in line for line in lines)
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["publication"]["status"] == "final"
    assert manifest["publication"]["unanswered_prompts"] == []
    assert manifest["publication"]["narrative"]["path"] == str(folder / "narrative.yml")
    for page in report.glob("*.html"):
        body = page.read_text(encoding="utf-8").split("</style>")[1]
        assert "DRAFT" not in body and 'class="draft-banner"' not in body, page.name
    text = sections(report / "05_summary.html")
    answers = text["The evaluator's answers"]
    for prompt in PROMPTS:
        assert f"{prompt.question} Answer to {prompt.id}." in answers
    assert "Not yet answered" not in answers
    assert "Written for 2026-Q2 by Dr Ada Evaluator, 20 July 2026." in answers
    assert "Extend the peer-led groups to the South site." in text["Recommendations"]
    assert "Follow-up at the East site was too low to judge." in text["Limitations"]
    cmocs = text["The evaluator's reading of each CMOC"]
    assert "CMOC1. Interviews and the numbers agree on peer support." in cmocs
    assert "Status changed from initial to supported : Both kinds of evidence agree." in cmocs
    kpis = text["KPIs off target: the evaluator's explanation"]
    assert "Referrals dipped while a GP practice closed." in kpis and "Recontact." in kpis
    # The Q1 text is not the Q2 report's.
    assert "Only the KPI question was answered for Q1." not in " ".join(text.values())
