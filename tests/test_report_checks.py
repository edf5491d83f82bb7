"""Checks made before a report runs or publishes (#15, #18): a bad exceptions.yml is refused with
its own message by `evalkit validate` and by `evalkit report` before any notebook runs; the
report cache watches exceptions.yml where the KPI page reads it (beside evaluation.yml, not
under data_dir); the live-markup scan allows links to the report's own committee paper and
nothing else; the index and the library link the paper."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from evalkit.cli import app
from evalkit.config import load_config
from evalkit.data.fingerprint import content_key
from evalkit.demo import write_demo
from evalkit.disclosure.scan import scan_live_markup
from evalkit.errors import ConfigError
from evalkit.pipeline import run_report
from evalkit.pipeline.cache import FileHashes, NotebookCache
from evalkit.pipeline.library import published_reports
from evalkit.pipeline.render import render_index_body
from evalkit.pipeline.report import _Progress, _ReportRun
from evalkit.pipeline.settings import PipelineSettings

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
BAD = "exceptions:\n  - kpi: referals\n    explanaton: A new triage provider.\n"


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory) -> Path:
    return write_demo(tmp_path_factory.mktemp("checks") / "demo", episodes=200, seed=7)


@pytest.fixture
def evaluation(small_demo, tmp_path) -> Path:
    shutil.copytree(small_demo.parent, tmp_path / "demo")
    return tmp_path / "demo" / "evaluation.yml"


# ------------------------------------------------------------------ exceptions.yml refused


def test_evalkit_validate_refuses_a_bad_exceptions_file_with_its_message(evaluation):
    (evaluation.parent / "exceptions.yml").write_text(BAD, encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(evaluation.parent)])
    assert result.exit_code == 1
    assert "exceptions.yml: 1 problem" in result.output
    assert "exceptions[0].explanaton: unknown setting (did you mean 'explanation'?)" in (
        result.output
    )
    assert "would stop the report" in result.output


def test_an_unknown_kpi_in_exceptions_is_named_with_the_nearest(evaluation):
    (evaluation.parent / "exceptions.yml").write_text(
        "exceptions:\n  - kpi: referals\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["validate", str(evaluation.parent)])
    assert result.exit_code == 1
    assert "exceptions[0].kpi: unknown KPI id 'referals' (did you mean 'referrals'?)" in (
        result.output
    )


def test_the_demo_exceptions_file_passes_validate(evaluation):
    result = CliRunner().invoke(app, ["validate", str(evaluation.parent)])
    assert "exceptions.yml" not in result.output


def test_evalkit_report_refuses_a_bad_exceptions_file_before_any_notebook_runs(
    evaluation, tmp_path
):
    (evaluation.parent / "exceptions.yml").write_text(BAD, encoding="utf-8")
    lines: list[str] = []
    with pytest.raises(ConfigError, match="explanaton: unknown setting"):
        run_report(evaluation, out=tmp_path / "reports", jobs=1, progress=lines.append)
    assert not any("running" in line or "ran in" in line for line in lines)
    assert not (tmp_path / "reports" / "2026-Q2").exists()


# ------------------------------------------------------------------ the cache watches it


def lifestyle_key(config_path: Path, out: Path) -> str:
    """The cache key of the KPI page, as the report plans it."""
    config = load_config(config_path)
    run = _ReportRun(
        config=config,
        settings=PipelineSettings.from_config(config),
        out=out,
        cache=NotebookCache(out / ".cache"),
        hashes=FileHashes(out / "hashes.json"),
        extracts=[],
        period="2026-Q2",
        period_requested="2026-Q2",
        site="all",
        build=out / "build",
        jobs=1,
        force=False,
        say=_Progress(lambda m: None),
    )
    planned = {nb.name: nb for nb in run.plan(NOTEBOOKS)}
    return content_key(planned["03_lifestyle_kpis"].components)


def test_the_kpi_page_reruns_when_exceptions_beside_evaluation_yml_changes(tmp_path):
    """data_dir is another folder: the file that counts is the one the page reads."""
    folder = tmp_path / "evaluation"
    (folder / "data" / "extracts").mkdir(parents=True)
    config = folder / "evaluation.yml"
    config.write_text(
        "name: Checks\ndata_dir: data\nperiods: [2026-Q2]\n"
        "notebooks: [03_lifestyle_kpis, 04_realist_synthesis]\n",
        encoding="utf-8",
    )
    before = lifestyle_key(config, tmp_path / "a")
    (folder / "data" / "exceptions.yml").write_text("exceptions: []\n", encoding="utf-8")
    assert lifestyle_key(config, tmp_path / "b") == before  # not where the page reads it
    (folder / "exceptions.yml").write_text("exceptions: []\n", encoding="utf-8")
    written = lifestyle_key(config, tmp_path / "c")
    assert written != before
    (folder / "exceptions.yml").write_text(
        "exceptions:\n  - kpi: referrals\n    explanation: A new triage provider.\n",
        encoding="utf-8",
    )
    assert lifestyle_key(config, tmp_path / "d") not in (before, written)


def test_exceptions_is_a_built_in_group():
    settings = PipelineSettings.from_mapping(None)
    assert settings.reads_exceptions("03_lifestyle_kpis")
    assert not settings.reads_exceptions("04_realist_synthesis")
    with pytest.raises(ConfigError, match="'exceptions' is built in"):
        PipelineSettings.from_mapping({"input_groups": {"exceptions": ["x.yml"]}})
    custom = PipelineSettings.from_mapping(
        {"notebook_inputs": {"01_reach_and_equity": ["extracts", "exceptions"]}}
    )
    assert custom.reads_exceptions("01_reach_and_equity")


# ------------------------------------------------------------------ links to the paper


@pytest.mark.parametrize(
    ("href", "flagged"),
    [
        ("committee-paper.docx", False),
        ("committee-paper.pdf", False),
        ("other.docx", True),
        ("../2026-Q1/all/committee-paper.docx", True),
        ("committee-paper.docx.exe", True),
        ("file:///committee-paper.docx", True),
        ("02_page.html", False),
    ],
)
def test_only_the_reports_own_paper_may_be_linked(tmp_path, href, flagged):
    page = tmp_path / "index.html"
    page.write_text(f'<p><a href="{href}">paper</a></p>', encoding="utf-8")
    found = scan_live_markup([page], documents=("committee-paper.docx", "committee-paper.pdf"))
    assert (len(found) == 1) is flagged
    if href.endswith((".docx", ".pdf")):  # without naming the documents, none is allowed
        assert len(scan_live_markup([page])) == 1


def test_a_paper_file_name_is_allowed_only_as_a_link(tmp_path):
    page = tmp_path / "index.html"
    page.write_text('<img src="committee-paper.pdf" alt="x">', encoding="utf-8")
    assert len(scan_live_markup([page], documents=("committee-paper.pdf",))) == 1


def test_the_index_links_the_docx_and_the_pdf_when_there_is_one():
    report = {
        "report_title": "R",
        "period_label": "2026-Q2",
        "site_label": "All sites",
        "generated": "today",
        "vintage": "v",
        "paper_href": "committee-paper.docx",
    }
    figures = pd.DataFrame(columns=["notebook", "key", "label", "value", "unit", "n"])
    sections = [{"name": "01", "title": "Page", "href": "01.html", "figures": figures}]
    both = render_index_body({**report, "paper_pdf_href": "committee-paper.pdf"}, sections, 8)
    assert 'href="committee-paper.docx"' in both and 'href="committee-paper.pdf"' in both
    docx_only = render_index_body({**report, "paper_pdf_href": ""}, sections, 8)
    assert 'href="committee-paper.docx"' in docx_only and ".pdf" not in docx_only


def test_the_library_lists_only_the_paper_files_a_report_holds(tmp_path):
    for period, files in (
        ("2026-Q1", ["committee-paper.docx"]),
        ("2026-Q2", ["committee-paper.docx", "committee-paper.pdf"]),
    ):
        folder = tmp_path / period / "all"
        folder.mkdir(parents=True)
        paper = {"docx": "committee-paper.docx", "pdf": "committee-paper.pdf", "note": ""}
        manifest = {
            "parameters": {"period": period, "site": "all"},
            "inputs": [],
            "disclosure": {"committee_paper": paper},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        for name in files:
            (folder / name).write_bytes(b"x")
    papers = {r.period: r.papers for r in published_reports(tmp_path)}
    assert papers["2026-Q1"] == (("Word (.docx)", "2026-Q1/all/committee-paper.docx"),)
    assert papers["2026-Q2"] == (
        ("Word (.docx)", "2026-Q2/all/committee-paper.docx"),
        ("PDF", "2026-Q2/all/committee-paper.pdf"),
    )
