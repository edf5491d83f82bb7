"""Kernels for the report notebooks: the pipeline's kernelspec and the notebooks' imports.

The kernelspec starts ``sys.executable`` (so another ``python3`` kernelspec cannot shadow the
project's environment). Given the report run's warm kernel server
(:mod:`evalkit.pipeline.kernels.server`), it names the provisioner :data:`PROVISIONER_NAME`
(:class:`evalkit.pipeline.kernels.provisioner.WarmKernelProvisioner`, registered under
``jupyter_client.kernel_provisioners``), which has the server fork the kernel.

Kept free of jupyter_client imports: the command line and every notebook import this module
(through :mod:`evalkit.pipeline`); only kernel start-up needs the provisioner.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

__all__ = [
    "KERNEL_NAME",
    "LAUNCHER",
    "PROVISIONER_NAME",
    "notebook_imports",
    "write_kernelspec",
]

KERNEL_NAME = "python3"
PROVISIONER_NAME = "evalkit-warm-kernel"
LAUNCHER = ["-m", "ipykernel_launcher"]


def _imported_modules(source: str) -> list[str]:
    """Absolute module names imported anywhere in one cell's Python source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append(node.module)
    return found


def notebook_imports(notebooks: Iterable[Path]) -> tuple[str, ...]:
    """The modules the notebooks' code cells import, in first-seen order.

    IPython syntax (``%magic``, ``!shell``) is translated to Python first; a cell that still
    does not parse is skipped (the kernel will report it when the notebook runs).

    Examples
    --------
    >>> import nbformat, tempfile, pathlib
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "%matplotlib inline\\nimport pandas as pd\\n"
    ...     "from evalkit.present.figures import show_figure\\n"
    ...     "from . import local")])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "page.ipynb"
    >>> nbformat.write(nb, path)
    >>> notebook_imports([path])
    ('pandas', 'evalkit.present.figures')
    """
    import nbformat
    from IPython.core.inputtransformer2 import TransformerManager

    translate = TransformerManager().transform_cell
    modules: dict[str, None] = {}
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            try:
                modules.update(dict.fromkeys(_imported_modules(translate(cell.source))))
            except SyntaxError:
                continue
    return tuple(modules)


def _provisioner_registered() -> bool:
    group = "jupyter_client.kernel_provisioners"
    return bool(entry_points(group=group, name=PROVISIONER_NAME))


def write_kernelspec(folder: Path, server: Path | None = None) -> Path:
    """Write a ``python3`` kernelspec for this interpreter under ``folder/kernels``.

    Putting ``folder`` first on ``JUPYTER_PATH`` makes ``kernel_name="python3"`` start
    ``sys.executable``, whatever other ``python3`` kernelspecs are installed.

    Parameters
    ----------
    folder : Path
        Where to write ``kernels/python3/kernel.json``.
    server : Path, optional
        The warm kernel server's socket (:class:`evalkit.pipeline.kernels.server.KernelServer`);
        kernels are then started by
        :class:`evalkit.pipeline.kernels.provisioner.WarmKernelProvisioner`, when its entry point is
        installed.

    Returns
    -------
    Path
        ``folder``, for ``JUPYTER_PATH``.

    Examples
    --------
    >>> import tempfile, pathlib, json, sys
    >>> root = write_kernelspec(pathlib.Path(tempfile.mkdtemp()))
    >>> json.loads((root / "kernels/python3/kernel.json").read_text())["argv"][0] == sys.executable
    True
    """
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    metadata: dict[str, Any] = {"debugger": False}
    if server is not None and _provisioner_registered():
        metadata["kernel_provisioner"] = {
            "provisioner_name": PROVISIONER_NAME,
            "config": {"server": str(server)},
        }
    spec = {
        "argv": [
            sys.executable,
            *LAUNCHER,
            "-f",
            "{connection_file}",
            # ipykernel 7 warns on every start that local TCP is unencrypted; errors still show.
            "--IPKernelApp.log_level=ERROR",
            # Parallel kernels would share one history.sqlite ("database is locked").
            "--HistoryManager.enabled=False",
        ],
        "display_name": f"Python 3 ({sys.prefix})",
        "language": "python",
        "env": {"PYDEVD_DISABLE_FILE_VALIDATION": "1"},
        "metadata": metadata,
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return folder
