"""Benchmark: score WEMWBS, SWEMWBS, PHQ-9 and GAD-7 for 1,000,000 episodes × 2 timepoints.

Run ``python benchmarks/bench_scoring.py`` (``make bench``). It prints, for wide input (one row
per client and timepoint, one column per item, as the wide templates provide) and for long input
(the canonical ``measures`` table, pivoted once per instrument by :func:`score`):
the median of 5 timed runs of scoring all four instruments, and the peak memory allocated
while scoring (tracemalloc, in a separate untimed run). Results go in ``docs/performance.md``.

Options: ``--episodes N`` (default 1,000,000), ``--long-episodes N`` (default 1,000,000; the long
table has 60 million rows at that size), ``--runs N`` (default 5), ``--seed N``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd

import evalkit.instruments as ins

INSTRUMENTS = ("wemwbs", "swemwbs", "phq9", "gad7")
ITEMS = list(dict.fromkeys(item for name in INSTRUMENTS for item in ins.get(name).items))


def make_wide(episodes: int, seed: int) -> pd.DataFrame:
    """Random valid responses, 2 % of items blank, baseline and exit for every episode."""
    rng = np.random.default_rng(seed)
    rows = 2 * episodes
    ids = np.char.add("C", np.repeat(np.arange(episodes), 2).astype(str))
    data: dict[str, object] = {
        "client_id": pd.array(ids, dtype="str"),
        "timepoint": pd.array(np.tile(["baseline", "exit"], episodes), dtype="str"),
    }
    for item in ITEMS:
        d = ins.get("wemwbs" if item.startswith("wemwbs") else item.split("_")[0])
        x = rng.integers(d.response_min, d.response_max + 1, rows).astype("float64")
        x[rng.random(rows) < 0.02] = np.nan
        data[item] = x
    return pd.DataFrame(data)


def make_long(wide: pd.DataFrame) -> pd.DataFrame:
    """The same responses as the long ``measures`` table (blank items are not rows)."""
    long = wide.melt(id_vars=["client_id", "timepoint"], var_name="measure", value_name="value")
    return long.loc[long["value"].notna()].reset_index(drop=True)


def score_all(table: pd.DataFrame) -> list[pd.DataFrame]:
    return [ins.score(table, name) for name in INSTRUMENTS]


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def peak_mib(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def report(label: str, table: pd.DataFrame, runs: int) -> None:
    times = timed(lambda: score_all(table), runs)
    per = {name: statistics.median(timed(lambda n=name: ins.score(table, n), 3)) for name in INSTRUMENTS}
    print(
        f"{label}: {len(table):,} input rows; all four instruments median "
        f"{statistics.median(times):.2f} s over {runs} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); "
        f"peak memory while scoring {peak_mib(lambda: score_all(table)):,.0f} MiB"
    )
    print("   per instrument (median of 3): " + ", ".join(f"{k} {v:.2f} s" for k, v in per.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--long-episodes", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"{platform.machine()}"
    )
    wide = make_wide(args.episodes, args.seed)
    report(f"wide input, {args.episodes:,} episodes x 2 timepoints", wide, args.runs)
    if args.long_episodes:
        long = make_long(wide.iloc[: 2 * args.long_episodes])
        del wide
        report(f"long input, {args.long_episodes:,} episodes x 2 timepoints", long, args.runs)


if __name__ == "__main__":
    main()
