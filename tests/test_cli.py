"""The ``evalkit`` command: one data folder for every command, settings refused at validate, and
a message (never a traceback) for every refusal."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from evalkit import pipeline
from evalkit.cli import app
from evalkit.config import DATA_DIR_VARIABLE, load_config
from evalkit.data.evaluation import load_evaluation
from evalkit.demo import write_demo


@pytest.fixture(autouse=True)
def _no_data_dir_variable(monkeypatch):
    monkeypatch.delenv(DATA_DIR_VARIABLE, raising=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """A small demo evaluation (data and config in one folder), copied by the tests."""
    return write_demo(tmp_path_factory.mktemp("cli") / "demo", episodes=200, seed=5).parent


def copy_data(demo: Path, folder: Path) -> Path:
    """The demo's extracts and qualitative tables in ``folder``."""
    for name in ("extracts", "qual"):
        shutil.copytree(demo / name, folder / name)
    return folder


def evaluation(demo: Path, folder: Path, data_dir: str = ".", extra: str = "") -> Path:
    """An evaluation folder with the demo's settings, ``data_dir`` and ``extra`` lines."""
    text = (demo / "evaluation.yml").read_text(encoding="utf-8")
    text = text.replace("data_dir: .\n", f"data_dir: {data_dir}\n") + extra
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.yml").write_text(text, encoding="utf-8")
    return folder


def run(*args: str):
    result = CliRunner().invoke(app, [str(a) for a in args])
    # a refusal is a message and an exit status, never a traceback
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def test_init_then_validate_says_there_is_nothing_to_validate(tmp_path):
    assert run("init", tmp_path / "new").exit_code == 0
    result = run("validate", tmp_path / "new")
    assert result.exit_code == 1
    assert f"data folder: {(tmp_path / 'new').resolve()} (data_dir in evaluation.yml)" in (
        result.output
    )
    assert "error: nothing to validate: no extract or qualitative table in" in result.output


def test_a_folder_of_unrecognised_files_is_named(tmp_path):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "extracts" / "notes.csv").write_text("a,b\n1,2\n")
    result = run("validate", tmp_path)
    assert result.exit_code == 1
    assert "nothing to validate" in result.output and "(not recognised: notes.csv)" in result.output


def test_a_missing_folder_is_a_message(tmp_path):
    result = run("validate", tmp_path / "nowhere")
    assert result.exit_code == 1 and "no such folder or file" in result.output


def test_validate_refuses_a_config_with_every_problem_listed(demo, tmp_path):
    folder = evaluation(demo, tmp_path / "eval", extra="realist: {min: 3}\n")
    result = run("validate", folder)
    assert result.exit_code == 1
    assert "evaluation.yml: 1 problem:\n  realist.min: unknown setting (did you mean 'min_n'?)" in (
        result.output
    )
    assert not (folder / "validated").exists()


def test_validate_reads_the_config_data_dir_that_load_evaluation_reads(demo, tmp_path):
    folder = evaluation(demo, tmp_path / "eval", data_dir="data")
    copy_data(demo, folder / "data")
    # another folder's extracts must not be what is checked
    (folder / "extracts").mkdir()
    result = run("validate", folder / "evaluation.yml")
    assert result.exit_code == 0, result.output
    assert f"data folder: {(folder / 'data').resolve()} (data_dir in evaluation.yml)" in (
        result.output
    )
    assert (folder / "data" / "validated" / "reconciliation.csv").is_file()
    assert not (folder / "validated").exists()
    ev = load_evaluation(folder / "evaluation.yml")
    assert ev.validated_dir == (folder / "data" / "validated").resolve()


def test_a_data_dir_outside_the_folder_is_refused_unless_given_on_the_command_line(demo, tmp_path):
    folder = evaluation(demo, tmp_path / "eval", data_dir="../shared")
    shared = copy_data(demo, tmp_path / "shared")
    result = run("validate", folder)
    assert result.exit_code == 1
    assert "data_dir: '../shared' resolves to" in result.output
    assert "outside the evaluation folder" in result.output
    assert not (shared / "validated").exists()
    result = run("validate", folder, "--data-dir", shared)
    assert result.exit_code == 0, result.output
    assert f"data folder: {shared.resolve()} (given with --data-dir)" in result.output
    assert (shared / "validated" / "issues.csv").is_file()


def test_report_reads_the_same_folder_as_validate(demo, tmp_path, monkeypatch):
    seen = []

    def fake_run_report(config_path, **kwargs):
        # what the report (and each notebook's load_evaluation) reads
        seen.append((load_config(config_path).data_dir, os.environ.get(DATA_DIR_VARIABLE)))
        return tmp_path / "reports" / "2026-Q2" / "all"

    monkeypatch.setattr(pipeline, "run_report", fake_run_report)
    folder = evaluation(demo, tmp_path / "eval", data_dir="../shared")
    shared = copy_data(demo, tmp_path / "shared")
    config = folder / "evaluation.yml"
    result = run("report", "--config", config, "--out", tmp_path / "reports")
    assert result.exit_code == 2 and "outside the evaluation folder" in result.output
    assert seen == []  # refused before anything ran
    result = run("report", "--config", config, "--data-dir", shared, "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert f"data folder: {shared.resolve()} (given with --data-dir)" in result.output
    assert seen == [(shared.resolve(), str(shared.resolve()))]
    assert DATA_DIR_VARIABLE not in os.environ  # set for the report's run only
    validated = run("validate", folder, "--data-dir", shared)
    assert f"data folder: {seen[0][0]} (given with --data-dir)" in validated.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "kpis: [{id: q, title: Quits, numerator: quit_4wk_co, denominator: set_quit_date, "
            "unit: proportion, colour: red}]\n",
            "error: KPI 'q': unknown setting(s) colour",
        ),
        (
            "instruments: {wemwbs: {missing_rule: prorate, max_mising: 2}}\n",
            "error: evaluation.yml instruments.wemwbs: unknown setting(s) max_mising",
        ),
        (
            "instruments: {wemwbs: {missing_rule: pro_rata}}\n",
            "error: instruments.wemwbs: missing_rule 'pro_rata' is not one of",
        ),
        (
            "pipeline: {warm_kernel: false}\n",
            "error: pipeline.warm_kernel: unknown setting (did you mean 'warm_kernels'?)",
        ),
        ("qualitative: {projet: coding.qdpx}\n", "error: qualitative: unknown setting(s) projet"),
    ],
)
def test_validate_refuses_settings_a_notebook_would_stop_on(demo, tmp_path, extra, message):
    folder = copy_data(demo, evaluation(demo, tmp_path / "eval", extra=extra))
    result = run("validate", folder)
    assert result.exit_code == 1
    assert message in result.output
    assert "1 problem(s) in evaluation.yml would stop the report" in result.output


def test_validate_a_folder_without_a_config_checks_the_folder(demo, tmp_path):
    folder = copy_data(demo, tmp_path / "data")
    result = run("validate", folder)
    assert result.exit_code == 0, result.output
    assert f"data folder: {folder.resolve()} (no evaluation.yml in {folder})" in result.output
    assert (folder / "validated" / "reconciliation.csv").is_file()
