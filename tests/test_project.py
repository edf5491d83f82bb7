"""Project invariants: declared dependencies agree, notebooks carry no outputs, templates match."""

from __future__ import annotations

import filecmp
import json
import re
import tomllib
from pathlib import Path

import yaml

from evalkit.data.templates import write_templates

ROOT = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = [], []
    for item in env["dependencies"]:
        if isinstance(item, dict):
            pip += [p for p in item["pip"] if not p.startswith("-e")]
        else:
            conda.append(item)
    listed = {_name(d) for d in conda + pip} - {"python", "pip"}
    assert listed == {_name(d) for d in declared}
    # and with the same lower bounds
    bounds = {_name(d): d.replace(" ", "") for d in declared}
    for entry in conda + pip:
        if _name(entry) in bounds:
            assert entry.replace(" ", "") == bounds[_name(entry)], entry


def test_core_packages_are_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(d) for d in project["dependencies"]}
    assert {
        "jupyterlab",
        "pandas",
        "statsmodels",
        "pingouin",
        "seaborn",
        "papermill",
        "nbval",
    } <= names


def test_committed_notebooks_have_no_outputs():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks, "no notebooks found"
    for path in notebooks:
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{path.name} has outputs: strip them"
                assert cell.get("execution_count") is None, f"{path.name} has execution counts"


def test_committed_notebooks_have_the_four_parameters():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        first = nb["cells"][0]
        assert "parameters" in first["metadata"].get("tags", []), path.name
        source = "".join(first["source"])
        for name in ("config_path", "period", "site", "output_dir"):
            assert re.search(rf"^{name}\b", source, re.M), f"{path.name} lacks {name}"
        assert nb["cells"][1]["cell_type"] == "markdown", f"{path.name}: say what the page answers"


def test_data_templates_equal_what_the_command_generates(tmp_path):
    written = write_templates(tmp_path)
    committed = ROOT / "data_templates"
    assert sorted(p.name for p in committed.iterdir()) == sorted(p.name for p in written)
    for path in written:
        assert filecmp.cmp(path, committed / path.name, shallow=False), (
            f"data_templates/{path.name} is stale: run `evalkit templates --out data_templates`"
        )


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make report" in readme and "make test" in readme
