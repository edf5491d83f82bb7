"""Benchmark: how each report page's sections grow with the number of episodes.

Builds synthetic evaluations (``evalkit.demo.write_demo``, default 10,000, 30,000 and 100,000
episodes), validates each once (untimed; the validated-data cache is reused on later runs), then
for each page runs the code cells of its notebook in this process, in order, the way the
report's kernel does, and times every cell with ``time.perf_counter`` (median of ``--repeats``).
The first code cell's ``load_evaluation`` is replaced by an evaluation loaded once per size
(``Evaluation.copy()`` per page, measures read beforehand), so the timings are the sections
alone; the rest of that cell (imports, ``scope``) is timed as the ``setup`` line.

For each cell it prints the seconds at every size and the growth ratio from the smallest to the
largest size, beside the ratio of episodes. A cell that grows linearly has a ratio near the
episode ratio (10 for 10,000 to 100,000); one that grows faster than that is superlinear. Fixed
costs (a figure's rendering) make small cells grow more slowly than linearly.
Sections are what the notebooks call (``notebooks/<page>.ipynb``), so a section added to a
notebook is timed without changing this script. ``--profile`` also prints the top functions of
each cell (cProfile, cumulative time) at the largest size.

Results, with every sample, go to ``benchmarks/out/bench_pages.json``; copy them into
docs/performance.md ("Pages") with the machine and load average printed.

Usage: ``python benchmarks/bench_pages.py [--episodes 10000 30000 100000] [--pages 00 01 02]
[--repeats R] [--profile] [--work DIR] [--notebooks DIR]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from IPython.core.interactiveshell import InteractiveShell

import evalkit
from evalkit.data.evaluation import Evaluation, load_evaluation
from evalkit.demo import write_demo

OUT = Path(__file__).parent / "out"
REPO = Path(__file__).resolve().parents[1]
#: The notebooks' own call, replaced by the evaluation loaded once per size.
LOAD_CALL = "ek.load_evaluation(config_path, period=period, site=site)"
PAGES = {
    "00": "00_data_quality",
    "01": "01_reach_and_equity",
    "02": "02_wellbeing_outcomes",
    "03": "03_lifestyle_kpis",
    "04": "04_realist_synthesis",
}
SEED = 20261203


def code_cells(notebook: Path) -> list[str]:
    """The source of each code cell, in order."""
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def cell_name(source: str, index: int) -> str:
    """A short name for a cell: ``setup``, or the page functions it calls."""
    if LOAD_CALL in source:
        return "setup"
    calls = [
        part.split("(", 1)[0] for line in source.splitlines() for part in line.split("page.")[1:]
    ]
    return " + ".join(calls) or f"cell {index}"


def prepare(episodes: int, work: Path) -> Path:
    """The demo evaluation of that size, written and validated once (reused when present)."""
    folder = work / f"episodes_{episodes}"
    config = folder / "evaluation.yml"
    if not config.exists():
        started = time.perf_counter()
        write_demo(folder, episodes=episodes, seed=SEED)
        print(f"  wrote {episodes:,} episodes in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    load_evaluation(config)  # validates on first use
    print(f"  validated / loaded in {time.perf_counter() - started:.1f} s")
    return config


def run_page(
    notebook: Path, config: Path, ev: Evaluation, output_dir: Path, profile: bool
) -> dict[str, tuple[float, str | None]]:
    """Seconds of each code cell of a notebook (and its profile, when asked)."""
    # Key figures find the page's output folder in the IPython namespace, as in a kernel.
    names = InteractiveShell.instance().user_ns
    names.clear()
    names["__ev__"] = ev
    cells = code_cells(notebook)
    exec(  # the parameters cell, as papermill would inject it
        f"config_path = {str(config)!r}\nperiod = 'latest'\nsite = 'all'\n"
        f"output_dir = {str(output_dir)!r}\n",
        names,
    )
    out: dict[str, tuple[float, str | None]] = {}
    for index, source in enumerate(cells[1:], start=1):
        name = cell_name(source, index)
        code = compile(
            source.replace(LOAD_CALL, "__ev__"), f"<{notebook.stem} cell {index}>", "exec"
        )
        profiler = cProfile.Profile() if profile else None
        started = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        try:
            exec(code, names)
        except Exception as error:
            print(f"    {notebook.stem} {name}: {type(error).__name__}: {error}")
        finally:
            if profiler is not None:
                profiler.disable()
        seconds = time.perf_counter() - started
        text = None
        if profiler is not None:
            buffer = io.StringIO()
            pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(25)
            text = buffer.getvalue()
        out[name] = (seconds, text)
        matplotlib.pyplot.close("all")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--episodes", type=int, nargs="+", default=[10_000, 30_000, 100_000])
    parser.add_argument("--pages", nargs="+", default=["00", "01", "02"], choices=sorted(PAGES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bench_pages")
    parser.add_argument("--notebooks", type=Path, default=REPO / "notebooks")
    args = parser.parse_args()
    sizes = sorted(args.episodes)
    machine = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "evalkit": evalkit.__version__,
    }
    print(f"machine: {machine}; load average before: {os.getloadavg()}")
    samples: dict[str, dict[str, dict[int, list[float]]]] = {}
    loads: dict[int, list[float]] = {}
    for episodes in sizes:
        print(f"{episodes:,} episodes")
        config = prepare(episodes, args.work)
        ev = load_evaluation(config)
        ev.measures  # noqa: B018 - read now, as the report's kernel server does
        loads[episodes] = list(os.getloadavg())
        for page in args.pages:
            notebook = args.notebooks / f"{PAGES[page]}.ipynb"
            output_dir = args.work / "out" / notebook.stem
            output_dir.mkdir(parents=True, exist_ok=True)
            for repeat in range(args.repeats):
                profile = args.profile and episodes == sizes[-1] and repeat == 0
                cells = run_page(notebook, config, ev.copy(), output_dir, profile)
                for name, (seconds, text) in cells.items():
                    samples.setdefault(page, {}).setdefault(name, {}).setdefault(
                        episodes, []
                    ).append(seconds)
                    if text is not None:
                        print(f"--- profile {page} {name} at {episodes:,} episodes\n{text}")
        print(f"  load average after: {os.getloadavg()}")
    ratio = sizes[-1] / sizes[0]
    print(
        f"\nmedian seconds per cell; growth = time at {sizes[-1]:,} / time at {sizes[0]:,} "
        f"(episodes grow {ratio:.0f}x)"
    )
    header = "page  cell" + "".join(f"{n:>12,}" for n in sizes) + "     growth"
    print(header)
    results: dict[str, object] = {}
    for page, cells in samples.items():
        totals = dict.fromkeys(sizes, 0.0)
        for name, by_size in cells.items():
            medians = {n: statistics.median(by_size[n]) for n in sizes if n in by_size}
            for n, value in medians.items():
                totals[n] += value
            growth = medians[sizes[-1]] / medians[sizes[0]] if medians.get(sizes[0]) else None
            print(
                f"{page:<5} {name[:44]:<44}"
                + "".join(f"{medians[n]:>12.3f}" for n in sizes)
                + (f"{growth:>10.1f}x" if growth else "")
            )
            results.setdefault(page, {})[name] = {
                "median": medians,
                "samples": by_size,
                "growth": growth,
            }
        total_growth = totals[sizes[-1]] / totals[sizes[0]] if totals[sizes[0]] else None
        print(
            f"{page:<5} {'(page total)':<44}"
            + "".join(f"{totals[n]:>12.3f}" for n in sizes)
            + (f"{total_growth:>10.1f}x" if total_growth else "")
        )
    OUT.mkdir(exist_ok=True)
    report = {
        "machine": machine,
        "load_average": loads,
        "episodes": sizes,
        "repeats": args.repeats,
        "pages": results,
    }
    (OUT / "bench_pages.json").write_text(json.dumps(report, indent=1, default=str))
    print(f"load average after: {os.getloadavg()}; wrote {OUT / 'bench_pages.json'}")


if __name__ == "__main__":
    sys.exit(main())
