"""The report pipeline end to end, on the small fixture notebooks in tests/fixtures/pipeline.

One cold run is built per module; each other test copies it (evaluation, cache and published
report) and changes one thing. Expectations are independent of the pipeline: file sizes and
SHA-256 computed here with hashlib, the git commit from `git rev-parse`, the period from the
fixture's referral dates, which notebooks read which files from the documented defaults.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

import evalkit
from evalkit.errors import DisclosureError, PipelineError
from evalkit.pipeline import run_report
from evalkit.pipeline.execute import NotebookTask, execute_and_render
from evalkit.pipeline.kernels.kernelspec import write_kernelspec
from evalkit.pipeline.kernels.server import KernelServer, KernelWarmup

# One worker runs this whole module under pytest-xdist, so the cold run is built once.
pytestmark = pytest.mark.xdist_group("pipeline_run")

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"
NOTEBOOKS = ["01_reach_and_equity", "04_realist_synthesis", "05_summary"]
# The fixture's referral dates fall in 2026-Q1 and 2026-Q2, so "latest" is 2026-Q2.
PARTICIPANTS = (FIXTURES / "evaluation" / "extracts" / "north_participants.csv").read_text()
CODINGS = (FIXTURES / "evaluation" / "qual" / "codings.csv").read_text()


def make_evaluation(folder: Path) -> Path:
    """Copy the fixture evaluation and its notebooks; return the copy's config."""
    shutil.copytree(FIXTURES, folder)
    return folder / "evaluation" / "evaluation.yml"


def manifest(report: Path) -> dict:
    return json.loads((report / "manifest.json").read_text())


def ran(report: Path) -> set[str]:
    return {n["name"] for n in manifest(report)["notebooks"] if not n["cached"]}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def without_generation_time(page: bytes) -> str:
    """A page's text without the time it was generated (which differs between runs)."""
    text = page.decode()
    text = re.sub(r"\d{1,2} \w+ \d{4} at \d{2}:\d{2}", "<time>", text)
    return re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}", "<time>", text)


def edit_cell(notebook: Path, index: int, source: str) -> None:
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[index].source = source
    nbformat.write(nb, notebook)


@pytest.fixture(scope="module", autouse=True)
def steady_evalkit_source():
    """Other work on evalkit's source while these tests run would change every cache key (by
    design); hold the fingerprint still so the tests see only the changes they make."""
    with pytest.MonkeyPatch.context() as patch:
        fixed = {"version": evalkit.__version__, "source_sha256": "0" * 64}
        patch.setattr("evalkit.pipeline.report.evalkit_fingerprint", lambda: fixed)
        yield


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("built")
    config = make_evaluation(root / "fixture")
    # A python3 kernelspec earlier on JUPYTER_PATH that cannot start: the pipeline must use its
    # own kernelspec for this interpreter instead.
    shadow = root / "shadow" / "kernels" / "python3"
    shadow.mkdir(parents=True)
    (shadow / "kernel.json").write_text(
        json.dumps({"argv": ["/nonexistent/python", "-f", "{connection_file}"],
                    "display_name": "shadow", "language": "python"})
    )  # fmt: skip
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(root / "shadow")
    lines: list[str] = []
    try:
        report = run_report(config, out=root / "reports", jobs=2, progress=lines.append)
    finally:
        if saved is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = saved
    return SimpleNamespace(root=root, config=config, report=report, lines=lines)


@pytest.fixture
def copy(built, tmp_path):
    """The built evaluation, cache and published report, copied to a new place."""
    shutil.copytree(built.root / "fixture", tmp_path / "fixture")
    shutil.copytree(built.root / "reports", tmp_path / "reports")
    return SimpleNamespace(
        config=tmp_path / "fixture" / "evaluation" / "evaluation.yml",
        evaluation=tmp_path / "fixture" / "evaluation",
        out=tmp_path / "reports",
        report=tmp_path / "reports" / "2026-Q2" / "all",
    )


def test_cold_run_publishes_index_pages_and_manifest(built):
    assert built.report == built.root / "reports" / "2026-Q2" / "all"
    pdf = ["committee-paper.pdf"] if shutil.which("soffice") or shutil.which("libreoffice") else []
    assert sorted(p.name for p in built.report.iterdir()) == [
        "01_reach_and_equity.html",
        "04_realist_synthesis.html",
        "05_summary.html",
        "committee-paper.docx",
        *pdf,
        "index.html",
        "key_figures.json",
        "manifest.json",
    ]
    m = manifest(built.report)
    assert m["evalkit"]["version"] == evalkit.__version__
    head = subprocess.run(
        ["git", "-C", str(Path(evalkit.__file__).parent), "rev-parse", "HEAD"],
        capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert m["git"]["commit"] == head
    assert (m["parameters"]["period"], m["parameters"]["period_requested"]) == (
        "2026-Q2",
        "latest",
    )
    evaluation = built.config.parent
    expected_inputs = [
        {
            "path": name,
            "size": (evaluation / name).stat().st_size,
            "sha256": hashlib.sha256((evaluation / name).read_bytes()).hexdigest(),
        }
        for name in ("extracts/north_participants.csv", "qual/codings.csv")
    ]
    assert m["inputs"] == expected_inputs
    assert [n["name"] for n in m["notebooks"]] == NOTEBOOKS
    for entry in m["notebooks"]:
        assert entry["cached"] is False and entry["run_seconds"] > 0
        assert re.fullmatch(r"[0-9a-f]{64}", entry["cache_key"])
    assert [n["inputs"] for n in m["notebooks"]] == [
        ["extracts"],
        ["extracts", "qual"],
        ["extracts", "key_figures"],
    ]
    assert m["disclosure"]["identifiers_scanned"]["client_id"] == 4
    assert m["disclosure"]["identifiers_scanned"]["postcode"] == 4
    assert m["disclosure"]["client_ids_too_short_to_scan"] == 0


def test_summary_runs_after_the_notebooks_whose_figures_it_reads(built):
    order = [line.split("] ", 1)[1] for line in built.lines]
    summary_started = order.index("05_summary: running")
    for name in ("01_reach_and_equity", "04_realist_synthesis"):
        finished = next(i for i, line in enumerate(order) if line.startswith(f"{name}: ran in"))
        assert finished < summary_started


def test_kernel_is_this_interpreter_despite_a_shadowing_kernelspec(built):
    index = (built.report / "index.html").read_text()
    # a text figure is shown in its label: "<label>: <value>"
    assert f"Python running the notebooks: {sys.executable}<" in index


def test_pages_have_no_code_prompts_scripts_or_external_urls(built):
    for page in built.report.glob("*.html"):
        text = page.read_text()
        assert "<script" not in text and "<link" not in text
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), page.name
        assert "@import" not in text and "url(http" not in text
        assert "import pandas" not in text and "In&nbsp;[" not in text and "Out[" not in text
        assert "analyst-only warning" not in text  # stderr is not for readers
        nav = re.search(
            r'<nav class="report-nav" aria-label="Report pages">(.*?)</nav>', text, re.S
        )
        hrefs = re.findall(r'href="([^"]+)"', nav.group(1))
        assert hrefs == ["index.html", *(f"{n}.html" for n in NOTEBOOKS)]
        assert f'href="{page.name}" aria-current="page"' in nav.group(1)
    reach = (built.report / "01_reach_and_equity.html").read_text()
    assert '<img alt="Bar chart of referrals by site" src="data:image/png;base64,' in reach
    assert "<h1>Who the service reaches</h1>" in reach


def test_index_shows_headline_figures_and_suppresses_those_on_few_people(built):
    index = (built.report / "index.html").read_text()
    # 4 people referred: n = 4 < 8, so the figure is not shown (measures.md §10).
    assert re.search(r'People referred</th><td class="number">\*</td>', index)
    assert re.search(r'Pages with figures</th><td class="number">2</td>', index)
    assert "Period 2026-Q2 (cumulative from 2026-Q1)" in index and "All sites" in index


def test_unchanged_rerun_reuses_every_notebook(copy):
    lines: list[str] = []
    run_report(copy.config, out=copy.out, progress=lines.append)
    assert ran(copy.report) == set()
    assert sum("cached (ran in" in line for line in lines) == 3
    assert not any(": running" in line for line in lines)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # qual/ is read only by 04_realist_synthesis (documented default). Same number of
        # codings, so its key figure, which 05_summary reads, is unchanged.
        (lambda e: (e / "qual/codings.csv").write_text(CODINGS.replace("trust", "trusted")),
         {"04_realist_synthesis"}),
        # One more coding: 04's key figure changes, so 05_summary re-runs as well.
        (lambda e: (e / "qual/codings.csv").write_text(CODINGS + "3,S2,C1,belonging\n"),
         {"04_realist_synthesis", "05_summary"}),
        # extracts/ are read by every notebook.
        (lambda e: (e / "extracts/north_participants.csv").write_text(
            PARTICIPANTS.replace("AB1 3CD", "AB1 4CD")),
         {"01_reach_and_equity", "04_realist_synthesis", "05_summary"}),
    ],
    ids=["qual-same-count", "qual-one-more", "extract"],
)  # fmt: skip
def test_changing_one_input_reruns_exactly_the_notebooks_that_read_it(copy, change, expected):
    change(copy.evaluation)
    run_report(copy.config, out=copy.out, progress=lambda line: None)
    assert ran(copy.report) == expected


def test_kernels_started_without_the_warm_server_give_the_same_pages(copy):
    warm = {name: text for name, text in snapshot(copy.report).items() if name.endswith(".html")}
    with open(copy.config, "a", encoding="utf-8") as handle:
        handle.write("pipeline:\n  warm_kernels: false\n")
    report = run_report(copy.config, out=copy.out, jobs=2, force=True, progress=lambda _: None)
    assert ran(report) == set(NOTEBOOKS)
    started = {name: text for name, text in snapshot(report).items() if name.endswith(".html")}
    assert started.keys() == warm.keys()
    for name, text in started.items():
        assert without_generation_time(text) == without_generation_time(warm[name]), name


def test_failing_notebook_leaves_the_published_report_untouched(copy):
    before = snapshot(copy.report)
    notebook = copy.evaluation.parent / "notebooks" / "04_realist_synthesis.ipynb"
    edit_cell(notebook, 3, 'raise ValueError("planted failure")')
    with pytest.raises(PipelineError) as error:
        run_report(copy.config, out=copy.out, progress=lambda line: None)
    message = str(error.value)
    assert "notebook 04_realist_synthesis.ipynb failed: cell 4 (In [" in message
    assert "raised ValueError: planted failure" in message
    assert f"The published report at {copy.report} is unchanged." in message
    kept = copy.out / ".failed" / "2026-Q2" / "all" / "04_realist_synthesis.ipynb"
    assert str(kept) in message
    errors = [o for c in nbformat.read(kept, as_version=4).cells for o in c.get("outputs", [])
              if o.output_type == "error"]  # fmt: skip
    assert [(e.ename, e.evalue) for e in errors] == [("ValueError", "planted failure")]
    assert snapshot(copy.report) == before
    assert not list(copy.out.glob(".build-*"))


def test_planted_client_id_in_an_output_fails_the_publish(copy):
    before = snapshot(copy.report)
    notebook = copy.evaluation.parent / "notebooks" / "01_reach_and_equity.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell('print("Longest wait:", people["client_id"].iloc[2])')
    )
    nbformat.write(nb, notebook)
    with pytest.raises(DisclosureError) as error:
        run_report(copy.config, out=copy.out, progress=lambda line: None)
    assert re.search(r"01_reach_and_equity\.html line \d+: client_id NT\*+3", str(error.value))
    assert "NT-000103" not in str(error.value)
    assert snapshot(copy.report) == before


def test_wrong_parameter_type_stops_before_any_notebook_runs(copy):
    notebook = copy.evaluation.parent / "notebooks" / "04_realist_synthesis.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace('period: str = "latest"', "period: int = 4")
    nbformat.write(nb, notebook)
    (copy.evaluation / "qual" / "codings.csv").write_text(CODINGS + "3,S2,C1,more\n")
    lines: list[str] = []
    with pytest.raises(PipelineError, match=r"04_realist_synthesis.ipynb: parameter 'period' is "
                       r"declared as int but the report passes str '2026-Q2'"):  # fmt: skip
        run_report(copy.config, out=copy.out, progress=lines.append)
    assert not any(": running" in line for line in lines)


@pytest.mark.parametrize("warm", [True, False], ids=["warm-kernel", "new-interpreter"])
def test_cell_timeout_is_reported_with_the_cell(tmp_path, warm):
    """The timeout interrupts the cell; a forked kernel takes the interrupt like a started one."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            'config_path: str = ""\nperiod: str = ""\nsite: str = ""\noutput_dir: str = ""',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_markdown_cell("# Slow"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(30)"),
        nbformat.v4.new_code_cell("print('never reached')"),
    ]
    nbformat.write(nb, tmp_path / "slow.ipynb")
    task = NotebookTask(
        name="slow",
        notebook=tmp_path / "slow.ipynb",
        executed=tmp_path / "executed.ipynb",
        page=tmp_path / "page.html",
        parameters={"config_path": "", "period": "", "site": "", "output_dir": str(tmp_path)},
        jupyter_path=tmp_path / "jupyter",
        execution_timeout=1,
    )
    with KernelServer(KernelWarmup()) if warm else nullcontext() as server:
        write_kernelspec(task.jupyter_path, server=server.address if warm else None)
        started = time.monotonic()
        outcome = execute_and_render(task)
    assert time.monotonic() - started < 20  # interrupted, not left to sleep 30 s
    assert outcome.error.startswith("cell 3 ran longer than the 1 s limit")
    assert "time.sleep" not in outcome.error and "import time" in outcome.error
    assert not task.page.exists()
