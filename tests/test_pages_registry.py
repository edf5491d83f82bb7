"""The PAGES registry is the one list of report pages, and it agrees with the notebooks."""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

import nbformat
import pytest

from evalkit.pages import PAGES, page, page_names
from evalkit.pages.summary import HEADLINES
from evalkit.pipeline.init import starter_config
from evalkit.pipeline.render import navigation_label, notebook_title
from evalkit.pipeline.settings import PipelineSettings

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def test_the_registry_lists_every_notebook_once_in_order():
    assert [p.name for p in PAGES] == sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert page_names() == [p.name for p in PAGES]


@pytest.mark.parametrize("entry", PAGES, ids=lambda p: p.name)
def test_each_page_is_its_notebook_title_and_module(entry):
    notebook = nbformat.read(NOTEBOOKS / f"{entry.name}.ipynb", as_version=4)
    assert navigation_label(notebook_title(notebook, entry.name)) == entry.title
    importlib.import_module(entry.module)
    imported = {
        f"{node.module}.{alias.name}"
        for cell in notebook.cells
        if cell.cell_type == "code"
        for node in ast.walk(ast.parse(cell.source))
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    assert entry.module in imported, f"{entry.name} does not narrate {entry.module}"


def test_pipeline_inputs_come_from_the_registry():
    settings = PipelineSettings()
    for entry in PAGES:
        assert settings.inputs_of(entry.name) == entry.inputs
    assert [p.name for p in PAGES if settings.reads_key_figures(p.name)] == ["05_summary"]
    assert settings.inputs_of("99_custom_page") == ("extracts",)


def test_every_summary_headline_is_a_key_figure_some_page_records():
    declared = {key for entry in PAGES for key in entry.key_figures}
    assert {h.key for h in HEADLINES} <= declared
    assert len(declared) == sum(len(entry.key_figures) for entry in PAGES)  # no key twice


def test_evalkit_init_lists_the_registered_pages():
    text = starter_config("Live Well", 2026)
    listed = text[text.index("# notebooks: [") : text.index("]", text.index("# notebooks: ["))]
    assert [name.strip("# \n") for name in listed.split("[", 1)[1].split(",")] == page_names()


def test_an_unknown_page_is_named_with_the_real_ones():
    with pytest.raises(KeyError, match="00_data_quality, 01_reach_and_equity"):
        page("07_missing")


def test_a_rendered_report_records_exactly_the_registered_key_figures(tmp_path):
    from evalkit.demo import write_demo
    from evalkit.pipeline import run_report

    config = write_demo(tmp_path / "demo", episodes=400, seed=3)
    run_report(config, out=tmp_path / "reports", progress=lambda line: None)
    outputs = tmp_path / "reports" / ".cache" / "notebooks" / "2026-Q2" / "all"
    for entry in PAGES:
        path = outputs / entry.name / "outputs" / "key_figures.json"
        recorded = [r["key"] for r in json.loads(path.read_text())] if path.exists() else []
        assert tuple(recorded) == entry.key_figures, entry.name
