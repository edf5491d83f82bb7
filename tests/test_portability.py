"""The analysis layers run where an analyst works: Windows and macOS as well as Linux.

Everything below ``pipeline/`` must import without POSIX-only modules and must not use
platform-only formats or calls; the report lock must not outlive a killed run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalkit.errors import PipelineError
from evalkit.pipeline.publish import ReportLock

SRC = Path(__file__).resolve().parents[1] / "src" / "evalkit"
ABOVE_ANALYSIS = ("pipeline", "cli.py")


def _analysis_modules() -> list[str]:
    names = []
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts[0] in ABOVE_ANALYSIS:
            continue
        parts = ["evalkit", *relative.with_suffix("").parts]
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_below_the_pipeline_imports_without_fcntl():
    modules = _analysis_modules()
    assert len(modules) > 60
    code = (
        "import importlib, sys\n"
        "sys.modules['fcntl'] = None  # as on Windows: importing it raises ImportError\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('ok', len(sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok")


def test_no_platform_only_calls_or_formats_below_the_pipeline():
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        if path.relative_to(SRC).parts[0] in ABOVE_ANALYSIS:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (r"%-[dmHIMjU]", r"sched_getaffinity", r"\bimport fcntl\b", r"os\.fork\b"):
            if re.search(pattern, text):
                offences.append(f"{path.relative_to(SRC)}: {pattern}")
    assert not offences


def test_a_report_lock_held_by_a_killed_run_does_not_block_the_next(tmp_path):
    ready = tmp_path / "holding"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import pathlib, time\n"
            "from evalkit.pipeline.publish import ReportLock\n"
            f"with ReportLock(pathlib.Path({str(tmp_path)!r})):\n"
            f"    pathlib.Path({str(ready)!r}).touch()\n"
            "    time.sleep(60)\n",
        ]
    )
    try:
        for _ in range(200):
            if ready.exists():
                break
            time.sleep(0.05)
        assert ready.exists(), "the holding process did not take the lock"
        with pytest.raises(PipelineError, match="another `evalkit report`"):
            with ReportLock(tmp_path):
                pass
        holder.kill()  # SIGKILL on Linux and macOS (TerminateProcess on Windows)
        holder.wait(timeout=10)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
    assert (tmp_path / ".lock").exists()  # the file is left behind, but it is not a lock
    with ReportLock(tmp_path):
        pass
