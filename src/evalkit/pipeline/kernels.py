"""Kernels for the report notebooks: the pipeline's kernelspec and its kernel provisioner.

The kernelspec starts ``sys.executable`` (so another ``python3`` kernelspec cannot shadow the
project's environment) through :class:`WarmKernelProvisioner`, registered under
``jupyter_client.kernel_provisioners`` as :data:`PROVISIONER_NAME`. The provisioner asks the
report run's warm kernel server (:mod:`evalkit.pipeline.kernel_server`) to fork the kernel;
without a server (none named in the kernelspec, or it cannot be reached) it starts the kernel
the usual way, as a new interpreter.
"""

from __future__ import annotations

import ast
import json
import os
import select
import socket
import sys
import time
from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

__all__ = [
    "KERNEL_NAME",
    "PROVISIONER_NAME",
    "WarmKernelProvisioner",
    "notebook_imports",
    "write_kernelspec",
]

KERNEL_NAME = "python3"
PROVISIONER_NAME = "evalkit-warm-kernel"
_LAUNCHER = ["-m", "ipykernel_launcher"]


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
    ...     "%matplotlib inline\\nimport pandas as pd\\nfrom evalkit.viz import show_figure\\n"
    ...     "from . import local")])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "page.ipynb"
    >>> nbformat.write(nb, path)
    >>> notebook_imports([path])
    ('pandas', 'evalkit.viz')
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
        The warm kernel server's socket (:class:`evalkit.pipeline.kernel_server.KernelServer`);
        kernels are then started by :class:`WarmKernelProvisioner`, when its entry point is
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
            *_LAUNCHER,
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


class _ServedKernel:
    """The parts of :class:`subprocess.Popen` that jupyter_client uses, for a kernel forked by
    the kernel server; its exit code arrives on the request's connection."""

    stdin = stdout = stderr = None

    def __init__(self, connection: socket.socket, stream: Any, pid: int) -> None:
        self._connection = connection
        self._stream = stream
        self.pid = pid
        self.returncode: int | None = None
        self._server_gone = False

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if self._server_gone:  # the kernel exits by itself soon after its server
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
            return self.returncode
        if select.select([self._connection], [], [], 0)[0]:
            line = self._stream.readline()
            if line:
                self.returncode = int(json.loads(line)["exit"])
                self._stream.close()
                self._connection.close()
            else:
                self._server_gone = True
                return self.poll()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.02)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(9)

    def terminate(self) -> None:
        self.send_signal(15)


class WarmKernelProvisioner(LocalProvisioner):
    """Has the warm kernel server fork an ipykernel, instead of starting a new interpreter.

    Falls back to :class:`jupyter_client.provisioning.LocalProvisioner` when the kernelspec
    names no server, the server cannot be reached or stops before forking, or the kernelspec
    does not start ``ipykernel_launcher``.
    """

    server = Unicode("", config=True, help="Socket of the warm kernel server.")

    def _request(self, cmd: list[str], kwargs: dict[str, Any]) -> _ServedKernel | None:
        if not self.server or cmd[1:3] != _LAUNCHER:
            return None
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(self.server)
            request = {
                "argv": cmd[3:],
                "env": dict(kwargs.get("env") or os.environ),
                "cwd": str(kwargs.get("cwd") or os.getcwd()),
            }
            connection.sendall(json.dumps(request).encode() + b"\n")
            stream = connection.makefile("rb")
            line = stream.readline()  # waits while the server warms up
        except OSError:
            connection.close()
            return None
        if not line:  # the server stopped
            stream.close()
            connection.close()
            return None
        return _ServedKernel(connection, stream, int(json.loads(line)["pid"]))

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        kernel = self._request(cmd, kwargs)
        if kernel is None:
            return await super().launch_kernel(cmd, **kwargs)
        self.process = kernel
        # The kernel has a session of its own (kernel_server runs setsid first); until it
        # exists, signalling the group fails and jupyter_client signals the process instead.
        self.pid = self.pgid = kernel.pid
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info
