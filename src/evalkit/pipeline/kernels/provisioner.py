"""The kernel provisioner that has the warm kernel server fork each notebook's kernel.

:class:`WarmKernelProvisioner` is registered under ``jupyter_client.kernel_provisioners`` as
:data:`evalkit.pipeline.kernels.kernelspec.PROVISIONER_NAME`; the pipeline's kernelspec names it
and the
server's socket (:func:`evalkit.pipeline.kernels.kernelspec.write_kernelspec`). Without a server
(none
named, or it cannot be reached) it starts the kernel the usual way, as a new interpreter.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import time
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

from evalkit.pipeline.kernels.kernelspec import LAUNCHER

__all__ = ["WarmKernelProvisioner"]


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
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class WarmKernelProvisioner(LocalProvisioner):
    """Has the warm kernel server fork an ipykernel, instead of starting a new interpreter.

    Falls back to :class:`jupyter_client.provisioning.LocalProvisioner` when the kernelspec
    names no server, the server cannot be reached or stops before forking, or the kernelspec
    does not start ``ipykernel_launcher``.
    """

    server = Unicode("", config=True, help="Socket of the warm kernel server.")

    def _request(self, cmd: list[str], kwargs: dict[str, Any]) -> _ServedKernel | None:
        if not self.server or cmd[1:3] != LAUNCHER:
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
        # jupyter_client infers process as Popen, but only uses the Popen methods it provides
        self.process = kernel  # type: ignore[assignment]
        # The kernel has a session of its own (kernel_server runs setsid first); until it
        # exists, signalling the group fails and jupyter_client signals the process instead.
        self.pid = self.pgid = kernel.pid
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info
