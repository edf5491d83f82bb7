"""The report notebooks are narrative only: short calls into page modules, no logic of their own.

Each notebook's code may import only the public API (``import evalkit as ek``), a page module
(``evalkit.pages...``) or presentation helpers (``evalkit.present...``). Renaming columns,
disclosure decisions (thresholds, rounding, suppression) and warning handling belong in the
page modules, where they are tested; a code cell longer than 15 lines is logic in disguise.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
ALLOWED_PREFIXES = ("evalkit.pages", "evalkit.present")
MAX_CELL_LINES = 15
#: Names whose use in a notebook means logic that belongs in a page module.
FORBIDDEN_NAMES = {
    "warnings": "warning handling",
    "threshold": "a disclosure decision",
    "round_to": "a disclosure decision",
    "suppress": "a disclosure decision",
    "suppression_mask": "a disclosure decision",
    "show_table": "a table built in the notebook",
    "display": "display plumbing (page functions return what to show)",
    "Markdown": "display plumbing (page functions return what to show)",
}


def _code_cells(path: Path) -> list[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        "".join(c["source"])
        for c in cells[1:]  # the parameters cell is papermill's
        if c["cell_type"] == "code"
    ]


def _allowed_module(module: str) -> bool:
    return module == "evalkit" or module.startswith(ALLOWED_PREFIXES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_imports_only_pages_present_or_the_public_api(path):
    for source in _code_cells(path):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert _allowed_module(name), f"{path.name} imports {name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_code_cells_are_short_and_hold_no_page_logic(path):
    for source in _code_cells(path):
        lines = [line for line in source.splitlines() if line.strip()]
        assert len(lines) <= MAX_CELL_LINES, f"{path.name}: a cell of {len(lines)} lines"
        tree = ast.parse(source)
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        names |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        for name, what in FORBIDDEN_NAMES.items():
            assert name not in names, f"{path.name} uses {name}: {what} belongs in a page module"
        renames = [
            n
            for n in ast.walk(tree)
            if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("rename", "assign", "replace", "map", "merge", "groupby")
        ]
        assert not renames, f"{path.name}: data wrangling ({renames[0].func.attr}) in a notebook"


def test_the_checks_catch_a_notebook_with_logic(tmp_path):
    """The rules above fail on the kind of cell the notebooks held before (a control)."""
    cell = (
        "from evalkit.present.tables import show_table\n"
        "from evalkit.data.evaluation import load_evaluation\n"
        "show_table(t.rename(columns={'n': 'People'}), caption='x', threshold=threshold)\n"
    )
    tree = ast.parse(cell)
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not all(_allowed_module(m) for m in modules)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert {"show_table", "threshold"} & names
