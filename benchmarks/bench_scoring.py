"""Benchmark: score WEMWBS, SWEMWBS, PHQ-9 and GAD-7 for 1,000,000 episodes × 2 timepoints.

Run ``python benchmarks/bench_scoring.py`` (``make bench``). It prints, for wide input (one row
per client and timepoint, one column per item, as the wide templates provide) and for long input
(the canonical ``measures`` table, pivoted once per instrument by :func:`score`):
the median of 5 timed runs of scoring all four instruments, and the peak memory allocated
while scoring (tracemalloc, in a separate untimed run). Results go in ``docs/performance.md``.

It also times the route :func:`evalkit.data.episodes.build_episodes` takes (pivot the long table
once,
then score the wide items) and ``build_episodes`` itself on 100,000 episodes.

Options: ``--episodes N`` (default 1,000,000), ``--long-episodes N`` (default 1,000,000; the long
table has about 59 million rows at that size; 0 skips it), ``--episode-table N`` (default
100,000; 0 skips it), ``--runs N`` (default 5), ``--seed N``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import pandas as pd

import evalkit.instruments as ins
from evalkit.data.episodes import build_episodes

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


def pivot_once_then_score(long: pd.DataFrame) -> list[pd.DataFrame]:
    """What build_episodes does: one pivot of every item, then the wide scorer."""
    return score_all(ins.pivot_measures(long, ITEMS))


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


def report(label: str, fn: Callable[[], object], runs: int) -> None:
    times = timed(fn, runs)
    print(
        f"{label}: median {statistics.median(times):.2f} s over {runs} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}); "
        f"peak memory allocated while scoring {peak_mib(fn):,.0f} MiB"
    )


def per_instrument(table: pd.DataFrame) -> None:
    medians = {n: statistics.median(timed(lambda n=n: ins.score(table, n), 3)) for n in INSTRUMENTS}
    print(
        "   per instrument (median of 3): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items())
    )


def episodes_inputs(long: pd.DataFrame, episodes: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = long["client_id"].unique()[:episodes]
    participants = pd.DataFrame({"client_id": ids, "start_date": pd.Timestamp("2026-01-05")})
    return participants, long.loc[long["client_id"].isin(ids)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=1_000_000)
    parser.add_argument("--long-episodes", type=int, default=1_000_000)
    parser.add_argument("--episode-table", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} cores"
    )
    wide = make_wide(args.episodes, args.seed)
    print(f"wide input: {args.episodes:,} episodes x 2 timepoints = {len(wide):,} rows")
    report("  score WEMWBS, SWEMWBS, PHQ-9, GAD-7", lambda: score_all(wide), args.runs)
    per_instrument(wide)
    if args.long_episodes:
        long = make_long(wide.iloc[: 2 * args.long_episodes])
        del wide
        print(f"long input: {args.long_episodes:,} episodes x 2 timepoints = {len(long):,} rows")
        report("  score(long) for each instrument", lambda: score_all(long), args.runs)
        per_instrument(long)
        report("  pivot once, then score", lambda: pivot_once_then_score(long), args.runs)
        if args.episode_table:
            participants, subset = episodes_inputs(long, args.episode_table)
            del long
            report(
                f"build_episodes, {args.episode_table:,} episodes ({len(subset):,} measures)",
                lambda: build_episodes(participants, subset),
                3,
            )


if __name__ == "__main__":
    main()
