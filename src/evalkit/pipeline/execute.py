"""Running notebooks with papermill in parallel worker processes, and rendering each one.

Each notebook runs in its own kernel, started from the kernelspec the pipeline writes
(:mod:`.kernels`; forked by the run's warm kernel server, :mod:`.kernel_server`). Workers are
processes, not threads: papermill's ``cwd`` handling is process-wide.
The kernel is shut down with ``shutdown_kernel="immediate"`` (the graceful default sometimes
waits about 3 s). A cell error (``PapermillExecutionError``), a cell timeout (nbclient's
``CellTimeoutError``) and a dead kernel are all reported as a failed :class:`NotebookOutcome`
naming the cell; the executed notebook with the traceback is kept.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit.errors import PipelineError
from evalkit.pipeline.kernels.kernelspec import KERNEL_NAME

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = [
    "NotebookOutcome",
    "NotebookRunner",
    "NotebookTask",
    "execute_and_render",
    "preload",
]

_START_TIMEOUT = 120


@dataclass(frozen=True)
class NotebookTask:
    """One notebook to run and render.

    Attributes
    ----------
    name : str
        Notebook name (file stem).
    notebook : Path
        Source notebook.
    executed : Path
        Where the executed notebook is written.
    page : Path
        Where the rendered HTML body is written.
    parameters : dict
        Values injected into the parameters cell.
    jupyter_path : Path
        Folder holding the pipeline's kernelspec (see
        :func:`evalkit.pipeline.kernels.kernelspec.write_kernelspec`).
    execution_timeout : float or None
        Seconds one cell may run.
    """

    name: str
    notebook: Path
    executed: Path
    page: Path
    parameters: dict[str, str]
    jupyter_path: Path
    execution_timeout: float | None


@dataclass(frozen=True)
class NotebookOutcome:
    """What happened to a :class:`NotebookTask`.

    ``error`` is ``None`` on success; otherwise a message naming the cell and the error.
    """

    name: str
    seconds: float
    title: str = ""
    error: str | None = None


def _cell_position(notebook, index: int) -> int:
    """1-based position in the source notebook of the executed notebook's cell ``index``.

    papermill adds an ``injected-parameters`` cell, and after an error it inserts banner cells
    *after* computing ``index``, so those are dropped before counting.
    """

    def tags(cell) -> list[str]:
        return cell.metadata.get("tags", [])

    cells = [c for c in notebook.cells if "papermill-error-cell-tag" not in tags(c)]
    return sum(1 for c in cells[:index] if "injected-parameters" not in tags(c)) + 1


def _started_cells(path: Path) -> tuple[NotebookNode | None, list[int]]:
    """The executed notebook (None if papermill wrote none) and the indices of cells it started."""
    import nbformat

    if not path.is_file():
        return None, []
    notebook = nbformat.read(path, as_version=4)
    started = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.metadata.get("papermill", {}).get("start_time")
    ]
    return notebook, started


def _failure_of_timeout(path: Path, timeout: float | None) -> str:
    """Name the cell that was running when the timeout struck: the last cell papermill started
    (it writes no error banner for a timeout, and later cells stay pending)."""
    notebook, started = _started_cells(path)
    limit = f"ran longer than the {timeout:g} s limit (pipeline.execution_timeout)"
    if notebook is None or not started:  # no notebook means no started cells
        return f"a cell {limit}"
    cell = notebook.cells[started[-1]]
    first = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
    return f"cell {_cell_position(notebook, started[-1])} {limit}:\n    {first}"


def execute_and_render(task: NotebookTask) -> NotebookOutcome:
    """Run one notebook with papermill, then render its body HTML.

    Runs in a worker process. Never raises for a notebook's own failure: the failure is
    returned in :attr:`NotebookOutcome.error`. A kernel that fails before any cell ran (for
    example a port taken by another kernel starting at the same moment, papermill#511) is
    retried once.
    """
    import nbformat
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    from evalkit.pipeline.render import render_body

    started = time.perf_counter()
    paths = os.environ.get("JUPYTER_PATH", "").split(os.pathsep)
    if paths[0] != str(task.jupyter_path):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(task.jupyter_path), *paths]))
    task.executed.parent.mkdir(parents=True, exist_ok=True)
    for attempt in (1, 2):
        try:
            papermill.execute_notebook(
                task.notebook,
                task.executed,
                parameters=task.parameters,
                kernel_name=KERNEL_NAME,
                progress_bar=False,
                cwd=task.notebook.parent,
                start_timeout=_START_TIMEOUT,
                execution_timeout=task.execution_timeout,
                shutdown_kernel="immediate",
                language="python",
            )
        except papermill.PapermillExecutionError as exc:
            executed = nbformat.read(task.executed, as_version=4)
            first = exc.source.strip().splitlines()[0] if exc.source.strip() else ""
            error = (
                f"cell {_cell_position(executed, exc.cell_index)} (In [{exc.exec_count}]) "
                f"raised {exc.ename}: {exc.evalue}\n    {first}"
            )
        except CellTimeoutError:
            error = _failure_of_timeout(task.executed, task.execution_timeout)
        except DeadKernelError as exc:
            error = f"the kernel died (out of memory?): {exc}"
        except Exception as exc:  # any other failure must still name the notebook
            error = f"could not be run: {type(exc).__name__}: {exc}"
            if attempt == 1 and not _started_cells(task.executed)[1]:
                continue
        else:
            executed = nbformat.read(task.executed, as_version=4)
            title, body = render_body(executed, task.name)
            task.page.write_text(body, encoding="utf-8")
            return NotebookOutcome(task.name, time.perf_counter() - started, title=title)
        break
    return NotebookOutcome(task.name, time.perf_counter() - started, error=error)


def _parameter_problem(notebook: Path, parameters: dict[str, str]) -> str | None:
    """The parameter problem of one notebook, as a message (None when fine)."""
    from evalkit.pipeline.parameters import check_parameters

    try:
        check_parameters(notebook, parameters)
    except PipelineError as error:
        return str(error)
    return None


def preload() -> None:
    """Import papermill and warm nbconvert's templates once, at the start of each worker."""
    import nbformat
    import papermill  # noqa: F401 - imported for the workers

    from evalkit.pipeline.render import html_exporter

    html_exporter().from_notebook_node(nbformat.v4.new_notebook())


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` from a single-threaded process (the CLI: fast, evalkit already imported);
    ``spawn`` otherwise (e.g. called from a Jupyter kernel, where forking threads is unsafe)."""
    single_threaded = threading.active_count() == 1
    if single_threaded and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


class NotebookRunner:
    """A pool of worker processes, started on first use.

    Parameters
    ----------
    jobs : int
        Most notebooks run at once.
    """

    def __init__(self, jobs: int) -> None:
        self.jobs = max(1, jobs)
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> NotebookRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    @property
    def pool(self) -> ProcessPoolExecutor:
        """The worker processes, started on first use. Each imports papermill and loads the
        nbconvert templates once, in parallel with the others."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=_context(), initializer=preload
            )
        return self._pool

    def start(self) -> None:
        """Start the worker processes now (forked, if this process has one thread); they
        prepare (:func:`preload`) in the background."""
        for _ in range(self.jobs):
            self.pool.submit(os.getpid)

    def check(self, notebooks: Sequence[Path], parameters: dict[str, str]) -> list[str]:
        """Check notebooks' parameters in the workers (which need papermill anyway, so the
        calling process never imports it).

        Returns
        -------
        list of str
            One message per notebook with a problem (see
            :func:`evalkit.pipeline.parameters.check_parameters`); empty when all are fine.
        """
        futures = [self.pool.submit(_parameter_problem, path, parameters) for path in notebooks]
        return [message for future in futures if (message := future.result())]

    def run(
        self,
        tasks: Sequence[NotebookTask],
        on_start: Callable[[NotebookTask], None],
        on_done: Callable[[NotebookOutcome], None],
    ) -> list[NotebookOutcome]:
        """Run tasks, at most :attr:`jobs` at a time; stop starting new ones after a failure.

        Notebooks already running when one fails are allowed to finish (their results are
        still valid and get cached).

        Returns
        -------
        list of NotebookOutcome
            One per task that ran, in completion order.
        """
        if not tasks:
            return []
        waiting = list(tasks)
        running: dict[Future, NotebookTask] = {}
        outcomes: list[NotebookOutcome] = []
        failed = False
        while waiting or running:
            while waiting and not failed and len(running) < self.jobs:
                task = waiting.pop(0)
                on_start(task)
                running[self.pool.submit(execute_and_render, task)] = task
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                task = running.pop(future)
                try:
                    outcome = future.result()
                except Exception as exc:  # the worker process itself died
                    outcome = NotebookOutcome(task.name, 0.0, error=f"worker failed: {exc!r}")
                failed = failed or outcome.error is not None
                outcomes.append(outcome)
                on_done(outcome)
        return outcomes
