"""The warm kernel server: kernels forked from it start with the warm-up done, share nothing with
each other, and the provisioner falls back to a new interpreter when no server answers.

Each test runs real notebooks with papermill against a real server process; what a kernel saw
is written by the notebook itself to a JSON file, so the expectations do not go through the
code under test.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest

from evalkit.config import load_config
from evalkit.data.evaluation import _preloaded, load_evaluation, preload_evaluation
from evalkit.data.pseudonym import KEY_VARIABLE, key_path
from evalkit.demo import write_demo
from evalkit.pipeline.kernels.kernelspec import KERNEL_NAME, notebook_imports, write_kernelspec
from evalkit.pipeline.kernels.server import KernelServer, KernelWarmup


def notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": KERNEL_NAME, "language": "python", "display_name": "P"}
    nbformat.write(nb, path)
    return path


REPORT = """
import json, os, sys
seen = {"pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgid(0), "cwd": os.getcwd(),
        "fractions_imported_before": "fractions" in sys.modules,
        "names": sorted(n for n in globals() if not n.startswith("_"))}
"""


def run(nb: Path, jupyter: Path, out: Path, **parameters) -> dict:
    """Run a notebook with the given kernelspec folder; return what its kernel reported."""
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(jupyter)
    try:
        papermill.execute_notebook(
            nb, out.with_suffix(".ipynb"), parameters=parameters, kernel_name=KERNEL_NAME,
            progress_bar=False, cwd=nb.parent, shutdown_kernel="immediate", language="python",
        )  # fmt: skip
    finally:
        if saved is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = saved
    return json.loads(out.read_text())


def dump(out: Path) -> str:
    return f"json.dump(seen, open({str(out)!r}, 'w'))"


def test_notebook_imports_reads_every_code_cell_and_ipython_syntax(tmp_path):
    first = notebook(
        tmp_path / "a.ipynb",
        "%matplotlib inline\nimport os.path, json as j\n"
        "from evalkit.present.figures import show_figure",
        "!echo hi\nfrom . import sibling\nif True:\n    import fractions",
        "this is not python (",
    )
    second = notebook(tmp_path / "b.ipynb", "import json\nfrom decimal import Decimal")
    assert notebook_imports([first, second]) == (
        "os.path", "json", "evalkit.present.figures", "fractions", "decimal",
    )  # fmt: skip


@pytest.fixture
def served(tmp_path):
    """A server that has imported what warmup.ipynb imports (fractions), and its kernelspec."""
    warmup = notebook(tmp_path / "warmup.ipynb", "import fractions")
    with KernelServer(KernelWarmup(notebooks=(warmup,))) as server:
        yield server, write_kernelspec(tmp_path / "jupyter", server=server.address)


def test_kernels_are_forked_from_the_warm_server_each_in_its_own_session(served, tmp_path):
    server, jupyter = served
    nb = notebook(tmp_path / "report.ipynb", REPORT, dump(tmp_path / "seen.json"))
    seen = run(nb, jupyter, tmp_path / "seen.json")
    assert seen["ppid"] == server._process.pid
    assert seen["pgid"] == seen["pid"]  # its own process group, signalled alone
    assert seen["cwd"] == str(tmp_path)  # papermill's cwd, as for a new interpreter
    assert seen["fractions_imported_before"] is True


def test_nothing_one_notebook_does_reaches_the_next(served, tmp_path):
    server, jupyter = served
    polluter = notebook(
        tmp_path / "polluter.ipynb",
        "import fractions, sys\nfractions.LEAK = 1\nleaked_name = 1\nsys.path.append('/leak')",
        REPORT,
        dump(tmp_path / "first.json"),
    )
    checker = notebook(
        tmp_path / "checker.ipynb",
        REPORT + "import fractions\nseen['leak'] = hasattr(fractions, 'LEAK') or "
        "'/leak' in sys.path",
        dump(tmp_path / "second.json"),
    )
    first = run(polluter, jupyter, tmp_path / "first.json")
    second = run(checker, jupyter, tmp_path / "second.json")
    assert first["ppid"] == second["ppid"] == server._process.pid
    assert first["pid"] != second["pid"]
    assert "leaked_name" in first["names"] and "leaked_name" not in second["names"]
    assert second["leak"] is False


def test_server_stops_and_takes_unfinished_kernels_with_it(tmp_path):
    warmup = KernelWarmup()
    nb = notebook(tmp_path / "report.ipynb", REPORT, dump(tmp_path / "seen.json"))
    with KernelServer(warmup) as server:
        seen = run(nb, write_kernelspec(tmp_path / "jupyter", server=server.address),
                   tmp_path / "seen.json")  # fmt: skip
        process = server._process
    assert process.poll() is not None  # stopped when the block ended
    assert not server.address.exists()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{seen['pid']}").exists():
        time.sleep(0.05)
    assert not Path(f"/proc/{seen['pid']}").exists()


def test_a_kernel_that_dies_is_reported_as_dead_not_waited_for(served, tmp_path):
    from evalkit.pipeline.execute import NotebookTask, execute_and_render

    server, jupyter = served
    dying = notebook(tmp_path / "dying.ipynb", "import os\nos._exit(3)", "print('never')")
    task = NotebookTask(
        name="dying", notebook=dying, executed=tmp_path / "executed.ipynb",
        page=tmp_path / "page.html", parameters={}, jupyter_path=jupyter, execution_timeout=60,
    )  # fmt: skip
    started = time.monotonic()
    outcome = execute_and_render(task)
    assert time.monotonic() - started < 30
    assert outcome.error is not None and "died" in outcome.error
    assert server._process.poll() is None  # the server goes on serving


def test_without_a_reachable_server_the_kernel_is_a_new_interpreter(tmp_path):
    nb = notebook(tmp_path / "report.ipynb", REPORT, dump(tmp_path / "seen.json"))
    missing = write_kernelspec(tmp_path / "jupyter", server=tmp_path / "no-such.sock")
    seen = run(nb, missing, tmp_path / "seen.json")
    # a new interpreter, started by jupyter_client from this process, imports only what it needs
    assert seen["ppid"] == os.getpid()
    assert seen["fractions_imported_before"] is False


def test_preloaded_evaluation_is_used_while_its_inputs_are_unchanged(tmp_path, monkeypatch):
    config = write_demo(tmp_path / "evaluation", episodes=300, seed=5)
    # the demo's key, named outright: renaming the evaluation below must not lose it
    monkeypatch.setenv(KEY_VARIABLE, str(key_path(load_config(config))))
    period = load_evaluation(config).period
    kept = preload_evaluation(config, period, "all")
    try:
        fresh = load_evaluation(config, period, "all")
        assert fresh is not kept and fresh.episodes is not kept.episodes
        pd.testing.assert_frame_equal(fresh.episodes, kept.episodes)
        pd.testing.assert_frame_equal(fresh.measures, kept.measures)
        # a notebook changing its tables does not change what the next load returns
        fresh.episodes["site"] = "changed"
        fresh.measures.loc[:, "value"] = -1.0
        again = load_evaluation(config, period, "all")
        assert (again.episodes["site"] != "changed").all()
        assert len(again.measures) > 0
        assert (again.measures["value"] != -1.0).all()
        pd.testing.assert_frame_equal(again.measures, kept.measures)
        # another scope is read from the files, not taken from the preloaded one
        north = load_evaluation(config, period, "North")
        assert set(north.episodes["site"]) == {"North"}
        # a changed config is read again
        config.write_text(config.read_text().replace("name: ", "name: Changed ", 1))
        reread = load_evaluation(config, period, "all")
        assert reread.config.name.startswith("Changed") and reread.config is not kept.config
        # changed data (the validated cache is rebuilt) is read again
        extract = next((config.parent / "extracts").glob("*_participants.csv"))
        lines = extract.read_text().splitlines(keepends=True)
        extract.write_text("".join(lines[:-1]))  # one referral fewer
        assert len(load_evaluation(config, period, "all").participants) == (
            len(kept.participants) - 1
        )
    finally:
        _preloaded.clear()
