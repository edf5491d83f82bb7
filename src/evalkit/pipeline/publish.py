"""Publishing a built report atomically, and keeping one report run at a time per output folder.

A report is built in a temporary folder inside the output folder (same file system) and moved
into place only when every notebook ran and the identifier scan passed. Moving in is two
renames: the published folder is renamed aside, the new one renamed in, the old one deleted; if
the second rename fails the old folder is renamed back. Readers never see a half-built report,
and a failed run leaves the previous report untouched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

import filelock

from evalkit.errors import PipelineError

__all__ = ["ReportLock", "build_folder", "publish"]


class ReportLock:
    """An exclusive lock on an output folder, so two unattended runs cannot interleave.

    The lock is the operating system's (through :mod:`filelock`, on Linux, macOS and Windows),
    so a run that is killed, even with SIGKILL, releases it: the ``.lock`` file it leaves behind
    does not block the next run.

    Raises
    ------
    PipelineError
        If another run holds the lock.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp())
    >>> with ReportLock(out):
    ...     (out / ".lock").exists()
    True
    """

    def __init__(self, out: Path) -> None:
        self.path = out / ".lock"
        self._lock = filelock.FileLock(self.path, timeout=0, is_singleton=False)

    def __enter__(self) -> ReportLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._lock.acquire()
        except filelock.Timeout as exc:
            raise PipelineError(
                f"{self.path.parent}: another `evalkit report` is writing to this folder; "
                "wait for it to finish."
            ) from exc
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()


def build_folder(out: Path) -> Path:
    """A new, empty temporary build folder inside ``out`` (so publishing is a rename)."""
    out.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".build-", dir=out))


def publish(site: Path, target: Path) -> Path:
    """Move a finished report folder into place, replacing any previous report.

    Parameters
    ----------
    site : Path
        The finished report (on the same file system as ``target``).
    target : Path
        Where readers find it.

    Returns
    -------
    Path
        ``target``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "new").mkdir(); _ = (root / "new" / "index.html").write_text("v2")
    >>> (root / "live").mkdir(); _ = (root / "live" / "index.html").write_text("v1")
    >>> (publish(root / "new", root / "live") / "index.html").read_text()
    'v2'
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    previous = None
    if target.exists():
        previous = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
        os.rename(target, previous / "report")
    try:
        os.rename(site, target)
    except OSError:
        if previous is not None:
            os.rename(previous / "report", target)
            previous.rmdir()
        raise
    if previous is not None:
        shutil.rmtree(previous)
    return target
