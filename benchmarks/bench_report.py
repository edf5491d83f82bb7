"""Benchmark: `evalkit report` against papermill + nbconvert run one after another.

Builds a synthetic evaluation (default 100,000 episodes) and, in each repeat and in this order,
times three things as separate processes (wall clock, so interpreter start-up counts):

1. plain:  for each notebook, ``papermill`` CLI then ``jupyter nbconvert --to html --no-input``,
   one after another (what a script without evalkit's pipeline would do);
2. cold:   ``evalkit report`` into an empty output folder (nothing cached);
3. rerun:  the same ``evalkit report`` again, nothing changed (everything cached).

The validated-data cache that every notebook's ``load_evaluation`` reads is prepared once
before timing (its time is reported separately), so no timed run includes validation.
Everything runs on a frozen copy of evalkit's source and notebooks (``PYTHONPATH``), so edits
to the working tree while the benchmark runs cannot change evalkit's fingerprint, which is part
of every cache key.
Notebooks are the configured report notebooks that exist in ``notebooks/`` (listed in the
output). Results (medians, ratios, every sample) go to ``benchmarks/out/bench_report.json``
and are printed; copy them into docs/performance.md.

Usage: ``python benchmarks/bench_report.py [--episodes N] [--repeats R] [--jobs J]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from evalkit.config import load_config
from evalkit.demo import write_demo
from evalkit.pages import page_names
from evalkit.pipeline.manifest import read_manifest
from evalkit.pipeline.report import available_cores

BIN = Path(sys.executable).parent
OUT = Path(__file__).parent / "out"
REPO = Path(__file__).resolve().parents[1]


def freeze_source(folder: Path) -> dict[str, str]:
    """Copy evalkit's source and the notebooks; return an environment that imports the copy."""
    shutil.rmtree(folder, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "src" / "evalkit", folder / "src" / "evalkit", ignore=ignore)
    shutil.copytree(REPO / "notebooks", folder / "notebooks", ignore=ignore)
    # Byte-compile now, so the first timed run does not pay for it.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(folder / "src")], check=True)
    return {**os.environ, "PYTHONPATH": str(folder / "src")}


def timed(command: list[str], env: dict[str, str]) -> float:
    """Seconds a command takes; its output is discarded, a failure stops the benchmark."""
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def plain_sequence(
    config: Path, notebooks: list[Path], period: str, work: Path, env: dict[str, str]
) -> float:
    """papermill CLI then nbconvert CLI per notebook, one after another."""
    shutil.rmtree(work, ignore_errors=True)
    (work / "outputs").mkdir(parents=True)
    started = time.perf_counter()
    for notebook in notebooks:
        executed = work / f"{notebook.stem}.ipynb"
        output_dir = work / "outputs" / notebook.stem
        output_dir.mkdir()
        subprocess.run(
            [str(BIN / "papermill"), str(notebook), str(executed), "-k", "python3",
             "--cwd", str(notebook.parent), "--no-progress-bar",
             "-r", "config_path", str(config), "-r", "period", period,
             "-r", "site", "all", "-r", "output_dir", str(output_dir)],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    env = freeze_source(OUT / "frozen")
    evaluation = OUT / "evaluation"
    started = time.perf_counter()
    config_path = write_demo(evaluation, episodes=args.episodes)
    generate = time.perf_counter() - started
    config = load_config(config_path)
    folder = OUT / "frozen" / "notebooks"
    present = [n for n in page_names(config.notebooks) if (folder / f"{n}.ipynb").is_file()]
    with open(config_path, "a", encoding="utf-8") as handle:
        handle.write(f"notebooks: [{', '.join(present)}]\nnotebooks_dir: {folder.resolve()}\n")
    notebooks = [folder / f"{n}.ipynb" for n in present]
    print(f"{args.episodes:,} episodes generated in {generate:.1f} s; notebooks: {present}")

    prepare = (
        "from evalkit.config import load_config; from evalkit.data.evaluation import "
        f"prepare_validated; prepare_validated(load_config({str(config_path)!r}))"
    )
    validate = timed([sys.executable, "-c", prepare], env)
    print(f"validated-data cache prepared in {validate:.1f} s (not in the timings)")

    report = [str(BIN / "evalkit"), "report", "--config", str(config_path)]
    if args.jobs:
        report += ["--jobs", str(args.jobs)]
    samples: dict[str, list[float]] = {"plain": [], "cold": [], "rerun": []}
    for repeat in range(args.repeats):
        # "latest" is resolved by the notebooks' load_evaluation the same way as by the pipeline.
        samples["plain"].append(
            plain_sequence(config_path, notebooks, "latest", OUT / "plain", env)
        )
        out = OUT / "reports"
        shutil.rmtree(out, ignore_errors=True)
        samples["cold"].append(timed([*report, "--out", str(out)], env))
        samples["rerun"].append(timed([*report, "--out", str(out)], env))
        published = next(out.glob("*/all"))
        manifest = read_manifest(published)
        assert all(n["cached"] for n in manifest["notebooks"]), "rerun did not reuse the cache"
        print(
            f"repeat {repeat + 1}: plain {samples['plain'][-1]:.1f} s, "
            f"cold {samples['cold'][-1]:.1f} s, rerun {samples['rerun'][-1]:.2f} s"
        )

    median = {name: statistics.median(values) for name, values in samples.items()}
    result = {
        "episodes": args.episodes,
        "notebooks": present,
        "repeats": args.repeats,
        "jobs": args.jobs or available_cores(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}",
        "generate_seconds": round(generate, 2),
        "validate_seconds": round(validate, 2),
        "median_seconds": {k: round(v, 2) for k, v in median.items()},
        "plain_over_cold": round(median["plain"] / median["cold"], 2),
        "plain_over_rerun": round(median["plain"] / median["rerun"], 1),
        "samples": {k: [round(v, 2) for v in values] for k, values in samples.items()},
    }
    (OUT / "bench_report.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
