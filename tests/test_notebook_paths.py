"""A notebook opened in JupyterLab finds its evaluation (EVALKIT_CONFIG, else an evalkit.yml
found upward from the working folder) and writes its outputs outside the repository, with its
parameters cell left as it is; the report's explicit parameters are used unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from evalkit.data.evaluation import load_evaluation
from evalkit.demo import write_demo
from evalkit.errors import ConfigError
from evalkit.pages.data_quality import reconciliation_by_provider
from evalkit.pipeline.parameters import inspect_parameters
from evalkit.project import (
    CONFIG_VARIABLE,
    find_evaluation,
    interactive_output_dir,
    notebook_paths,
)

REPOSITORY = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPOSITORY / "notebooks").glob("*.ipynb"))


def evaluation_file(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "evaluation.yml"
    path.write_text("name: Elsewhere\ndata_dir: .\n", encoding="utf-8")
    return path


@pytest.fixture
def clean_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(CONFIG_VARIABLE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def test_an_explicit_path_wins_then_the_variable_then_the_project_file(
    clean_environment, monkeypatch, tmp_path
):
    explicit = evaluation_file(tmp_path / "explicit")
    from_variable = evaluation_file(tmp_path / "variable")
    project = evaluation_file(tmp_path / "project" / "evaluation")
    (tmp_path / "project" / "evalkit.yml").write_text("evaluation: evaluation/evaluation.yml\n")
    deep = tmp_path / "project" / "notebooks" / "mine"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_evaluation() == project  # found upward from the working folder
    monkeypatch.setenv(CONFIG_VARIABLE, str(from_variable))
    assert find_evaluation() == from_variable
    assert find_evaluation(str(explicit)) == explicit


def test_without_either_the_demo_of_the_source_tree_is_read(clean_environment):
    assert find_evaluation() == REPOSITORY / "data" / "demo" / "evaluation.yml"


def test_a_path_that_does_not_exist_or_a_malformed_project_file_is_an_error(
    clean_environment, monkeypatch, tmp_path
):
    monkeypatch.setenv(CONFIG_VARIABLE, str(tmp_path / "nowhere.yml"))
    with pytest.raises(ConfigError, match=r"nowhere.yml \(from EVALKIT_CONFIG\): no such file"):
        find_evaluation()
    monkeypatch.delenv(CONFIG_VARIABLE)
    (tmp_path / "evalkit.yml").write_text("evalution: e.yml\n")
    with pytest.raises(ConfigError) as caught:
        find_evaluation()
    assert "evalution: unknown setting (did you mean 'evaluation'?)" in str(caught.value)


def test_interactive_outputs_go_outside_the_repository(clean_environment, tmp_path):
    config = evaluation_file(tmp_path / "lw")
    folder = Path(notebook_paths("05_summary", str(config), "", "2026-Q2", "North")[1])
    cache = tmp_path / "cache" / "evalkit" / "interactive"
    assert folder == cache / "lw" / "2026-Q2" / "north" / "05_summary"
    assert not folder.is_relative_to(REPOSITORY) and folder.is_dir()


def test_a_project_file_may_name_the_output_folder(clean_environment, tmp_path):
    config = evaluation_file(tmp_path / "lw")
    (tmp_path / "evalkit.yml").write_text("evaluation: lw/evaluation.yml\noutputs: work\n")
    assert interactive_output_dir(config, "00_data_quality") == (
        tmp_path / "work" / "lw" / "latest" / "all" / "00_data_quality"
    )


def test_the_report_parameters_are_used_as_given(clean_environment, monkeypatch, tmp_path):
    monkeypatch.setenv(CONFIG_VARIABLE, str(evaluation_file(tmp_path / "other")))
    assert notebook_paths("00_data_quality", "/e/evaluation.yml", "/out/x") == (
        "/e/evaluation.yml",
        "/out/x",
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_leaves_config_and_outputs_empty_by_default(path):
    defaults = inspect_parameters(path).set_index("parameter")["default"]
    assert defaults["config_path"] == '""' and defaults["output_dir"] == '""'
    nb = nbformat.read(path, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")  # saved clean
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f'ek.notebook_paths(\n    "{path.stem}", config_path, output_dir, period, site\n)' in (
        source
    )


def test_a_notebook_run_with_the_variable_set_reads_that_evaluation(tmp_path, monkeypatch):
    """As JupyterLab runs it: the notebook unchanged, no papermill, only the variable set."""
    config = write_demo(tmp_path / "elsewhere", episodes=200, seed=3)
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.setenv(CONFIG_VARIABLE, str(config))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    notebook = workdir / "00_data_quality.ipynb"
    shutil.copyfile(REPOSITORY / "notebooks" / "00_data_quality.ipynb", notebook)
    nb = nbformat.read(notebook, as_version=4)
    NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    ).execute()
    outputs = tmp_path / "cache" / "evalkit" / "interactive" / "elsewhere" / "latest" / "all"
    figures = json.loads((outputs / "00_data_quality" / "key_figures.json").read_text())
    kept = next(f for f in figures if f["key"] == "records_kept_pct")
    # the records this evaluation holds (the repository's demo, read by default, holds more)
    ev = load_evaluation(config)
    recon = reconciliation_by_provider(ev.reconciliation, ev.config.providers)
    read = int(recon.loc[recon["received"], "read"].sum())
    assert kept["label"] == f"Records that passed validation (of {read:,} records received)"
    scope = "".join(o["data"]["text/markdown"] for o in nb.cells[2].outputs if "data" in o)
    assert scope  # the notebook showed its page, as JupyterLab would
    assert not (REPOSITORY / "reports" / "interactive" / "elsewhere").exists()
