"""The warm kernel server: one process per report run that forks every notebook's kernel.

Started the usual way (``python -m ipykernel_launcher``), each kernel spends its first seconds
importing pandas, statsmodels, seaborn and evalkit and reading the evaluation's validated data:
the same work in every kernel, about half of all kernel time at 100,000 episodes
(docs/performance.md). The server does that work once, while the pipeline plans and checks,
then forks one kernel per notebook on request: a new process that has run no notebook code,
with the imports and the data already in memory. No kernel is ever reused, and the server
itself never runs notebook code, so nothing one notebook does can reach another.

Protocol, over a Unix socket that the pipeline binds before the server starts (so a request
can never find it missing): a worker connects and sends one JSON line ``{"argv", "env",
"cwd"}`` (what jupyter_client would start); the server forks, answers ``{"pid": N}``, and when
that kernel exits, ``{"exit": code}``. A worker that disconnects early takes its kernel with
it. The server stops when the pipeline closes its standard input, killing any kernel still
running; a kernel also exits by itself if the server dies (ipykernel's parent poller).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["KernelServer", "KernelWarmup", "warm_up"]

_WARMUP_VARIABLE = "EVALKIT_KERNEL_WARMUP"  # how the server is told its KernelWarmup


@dataclass(frozen=True)
class KernelWarmup:
    """What the kernel server does before it forks its first kernel.

    Attributes
    ----------
    notebooks : tuple of Path
        Notebooks whose imports are imported (see
        :func:`evalkit.pipeline.kernels.kernelspec.notebook_imports`).
    evaluation : dict or None
        ``config_path``, ``period`` and ``site`` of the evaluation to read with
        :func:`evalkit.data.evaluation.preload_evaluation`; ``None`` reads nothing.
    """

    notebooks: tuple[Path, ...] = ()
    evaluation: dict[str, str] | None = None

    def to_json(self) -> str:
        notebooks = [str(path) for path in self.notebooks]
        return json.dumps({"notebooks": notebooks, "evaluation": self.evaluation})

    @classmethod
    def from_json(cls, text: str) -> KernelWarmup:
        settings = json.loads(text)
        return cls(tuple(Path(p) for p in settings["notebooks"]), settings["evaluation"])


def warm_up(warmup: KernelWarmup) -> None:
    """Import what the notebooks import, then preload the evaluation.

    A module that fails to import, or an evaluation that fails to load, is skipped: the warm-up
    only saves time, and the notebook that needs it raises the same error in its own cell,
    where the report names it.
    """
    import importlib

    from evalkit.pipeline.kernels.kernelspec import notebook_imports

    # ipykernel sets this when a kernel starts, before any notebook imports matplotlib, and
    # matplotlib reads it once, on import: imported here, it must be set here too.
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    for module in notebook_imports(warmup.notebooks):
        try:
            importlib.import_module(module)
        except Exception:  # the notebook reports it, in its own cell
            continue
    if warmup.evaluation:
        from evalkit.data.evaluation import preload_evaluation

        try:
            preload_evaluation(**warmup.evaluation)
        except Exception:  # the notebook's load_evaluation raises it again
            pass


def _send(connection: socket.socket, message: dict[str, Any]) -> None:
    try:
        connection.sendall(json.dumps(message).encode() + b"\n")
    except OSError:  # the worker is gone; its kernel is killed when its hang-up is read
        pass


def _run_kernel(request: dict[str, Any]) -> int:
    """Body of a forked kernel: become an IPython kernel, as ``ipykernel_launcher`` would.

    The kernel gets a session of its own (as jupyter_client's launcher gives it), so signals
    for its process group reach only the kernel and what it starts.
    """
    os.setsid()
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    from ipykernel import kernelapp

    argv = [*request["argv"], f"--IPKernelApp.parent_handle={os.getppid()}"]
    sys.argv = [kernelapp.__file__, *request["argv"]]
    kernelapp.IPKernelApp.launch_instance(argv=argv)
    return 0


class _Server:
    """The server's loop: accept requests, fork kernels, report their exits."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.selector = selectors.DefaultSelector()
        self.kernels: dict[int, socket.socket] = {}  # pid -> the requesting worker
        self.wakeup_r, self.wakeup_w = os.pipe()
        os.set_blocking(self.wakeup_r, False)
        os.set_blocking(self.wakeup_w, False)
        signal.set_wakeup_fd(self.wakeup_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the selector through the pipe
        self.selector.register(listener, selectors.EVENT_READ, "accept")
        self.selector.register(sys.stdin, selectors.EVENT_READ, "stop")
        self.selector.register(self.wakeup_r, selectors.EVENT_READ, "reap")

    def serve(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.data == "stop":
                    self.stop()
                    return
                if key.data == "accept":
                    self.fork_kernel(self.listener.accept()[0])
                elif key.data == "reap":
                    while os.read(self.wakeup_r, 512) == 512:
                        continue
                    self.reap()
                else:  # a worker hung up (or wrote after its request): end its kernel
                    connection = key.fileobj
                    assert isinstance(connection, socket.socket)  # registered by fork_kernel
                    self.hang_up(connection, key.data)

    def fork_kernel(self, connection: socket.socket) -> None:
        with connection.makefile("rb") as stream:
            line = stream.readline()
        try:
            request = json.loads(line)
        except ValueError:
            connection.close()
            return
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)  # interrupts
                self.selector.close()
                self.listener.close()
                os.close(self.wakeup_r)
                os.close(self.wakeup_w)
                for other in [connection, *self.kernels.values()]:
                    other.close()
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                code = _run_kernel(request)
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else 0
            finally:
                os._exit(code)
        self.kernels[pid] = connection
        self.selector.register(connection, selectors.EVENT_READ, pid)
        _send(connection, {"pid": pid})

    def reap(self) -> None:
        while self.kernels:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            connection = self.kernels.pop(pid, None)
            if connection is not None:
                self.selector.unregister(connection)
                _send(connection, {"exit": os.waitstatus_to_exitcode(status)})
                connection.close()

    def hang_up(self, connection: socket.socket, pid: int) -> None:
        self.selector.unregister(connection)
        connection.close()
        if self.kernels.pop(pid, None) is not None:
            _kill_group(pid)
            os.waitpid(pid, 0)

    def stop(self) -> None:
        for pid in self.kernels:
            _kill_group(pid)


def _kill_group(pid: int) -> None:
    """Kill a kernel and what it started (its own process group, or the process alone)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class KernelServer:
    """A warm kernel server for one report run (a context manager).

    Parameters
    ----------
    warmup : KernelWarmup
        What the server imports and reads before it forks kernels.

    Attributes
    ----------
    address : Path
        The server's Unix socket, for :func:`evalkit.pipeline.kernels.kernelspec.write_kernelspec`.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from evalkit.pipeline.kernels.kernelspec import write_kernelspec
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with KernelServer(KernelWarmup()) as server:
    ...     spec = write_kernelspec(folder, server=server.address)
    ...     server.address.exists()
    True
    """

    def __init__(self, warmup: KernelWarmup) -> None:
        self.warmup = warmup
        self._folder = Path(tempfile.mkdtemp(prefix="evalkit-kernels-"))
        self.address = self._folder / "server.sock"
        self._process: subprocess.Popen | None = None

    def __enter__(self) -> KernelServer:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.address))
            listener.listen(64)
            start = f"from evalkit.pipeline.kernels.server import main; main({listener.fileno()})"
            self._process = subprocess.Popen(
                [sys.executable, "-c", start],
                stdin=subprocess.PIPE,
                pass_fds=[listener.fileno()],
                env={**os.environ, _WARMUP_VARIABLE: self.warmup.to_json()},
            )
        finally:
            listener.close()  # the server holds its own copy
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._process is not None:
            assert self._process.stdin is not None  # started with stdin=subprocess.PIPE
            self._process.stdin.close()  # asks a serving server to stop its kernels and exit
            try:
                self._process.wait(timeout=1)
            except subprocess.TimeoutExpired:  # still warming up (e.g. the run stopped early)
                self._process.kill()
                self._process.wait()
        self.address.unlink(missing_ok=True)
        self._folder.rmdir()


def main(listener_fd: int) -> None:
    """Warm up, then serve kernel requests until standard input closes.

    Run as ``python -c "from evalkit.pipeline.kernels.server import main; main(FD)"``, where
    ``FD`` is the listening socket, inherited.
    """
    # As ipykernel_launcher does: the pipeline's working directory is not the kernels' path.
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]
    listener = socket.socket(fileno=listener_fd)
    listener.set_inheritable(False)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the pipeline, which stops us
    warm_up(KernelWarmup.from_json(os.environ.pop(_WARMUP_VARIABLE)))
    _Server(listener).serve()
