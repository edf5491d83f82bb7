"""Running a report notebook the way the pipeline does, and reading what its reader would see.

Shared by the page tests (test_notebook*.py, test_report_scopes.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_page(
    name: str,
    config: Path,
    tmp_path: Path,
    *,
    period: str = "latest",
    site: str = "all",
    output_dir: Path | None = None,
) -> tuple[nbformat.NotebookNode, Path]:
    """Execute ``notebooks/<name>.ipynb`` with papermill; return it and its output folder."""
    out_dir = output_dir or tmp_path / name
    executed = tmp_path / f"{name}.ipynb"
    papermill.execute_notebook(
        NOTEBOOKS / f"{name}.ipynb",
        executed,
        parameters={
            "config_path": str(config),
            "period": period,
            "site": site,
            "output_dir": str(out_dir),
        },
        kernel_name="python3",
        progress_bar=False,
    )
    return nbformat.read(executed, as_version=4), out_dir


def visible_text(notebook: nbformat.NotebookNode, *, stderr_fails: bool = False) -> str:
    """Text a reader sees: markdown cells and text/HTML outputs (image data left out).

    Fails the test on a cell error, and with ``stderr_fails`` on anything written to stderr
    (a warning would show in the rendered page).
    """
    parts = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                pytest.fail(f"cell raised {output['ename']}: {output['evalue']}")
            if stderr_fails and output.get("name") == "stderr":
                pytest.fail(f"the page would show a warning: {output['text'][:300]}")
            data = output.get("data", {})
            for kind in ("text/html", "text/markdown", "text/plain"):
                if kind in data:
                    parts.append(re.sub(r'src="data:[^"]+"', "", data[kind]))
                    break
            parts.append(output.get("text", ""))
    return "\n".join(parts)
