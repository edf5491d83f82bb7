"""Benchmark: person linkage on the demo's planted people (issue #13).

Writes the demo evaluation with ``--episodes`` episodes, validates it (which links episodes:
NHS numbers, shared client ids, then Splink on DuckDB) and measures pairwise precision and
recall of the person ids against the demo's declared truth (``planted_people.csv``), with the
time of the demo, of the whole validation and of the linkage step alone. Misses and false links
are counted by how the episodes were planted. Copy the output into docs/performance.md.

Usage: ``python benchmarks/bench_linkage.py [--episodes N] [--seed S] [--out DIR]``
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from collections import Counter
from pathlib import Path

import pandas as pd

import evalkit.data.persons as persons
from evalkit.config import load_config
from evalkit.data.validate import validate_directory
from evalkit.demo import DEFAULT_SEED, write_demo


def pairs(frame: pd.DataFrame, by: str) -> set[tuple[str, str]]:
    """Every pair of episodes (by client_id) that share ``by``."""
    found: set[tuple[str, str]] = set()
    for _, group in frame.groupby(by):
        if len(group) > 1:
            found |= set(itertools.combinations(sorted(group["client_id"]), 2))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    root = args.out or Path(tempfile.mkdtemp(prefix="bench-linkage-"))
    started = time.perf_counter()
    config = write_demo(root, episodes=args.episodes, seed=args.seed)
    written = time.perf_counter()
    spent: dict[str, float] = {}
    identify = persons.identify_people

    def timed(*a, **k):
        begin = time.perf_counter()
        out = identify(*a, **k)
        spent["linkage"] = time.perf_counter() - begin
        return out

    import evalkit.data.validate as validate

    validate.identify_people = timed
    result = validate_directory(config.parent, load_config(config))
    validated = time.perf_counter()
    truth = pd.read_csv(config.parent / "planted_people.csv")
    linked = result.tables["participants"][["client_id", "person_id"]].merge(truth)
    true_pairs, found = pairs(linked, "person"), pairs(linked, "person_id")
    right = len(true_pairs & found)
    kind = truth.set_index("client_id")["planted"]
    missed = Counter(tuple(sorted((kind[a], kind[b]))) for a, b in true_pairs - found)
    false = Counter(tuple(sorted((kind[a], kind[b]))) for a, b in found - true_pairs)
    print(
        f"episodes {args.episodes:,}  precision {right / max(len(found), 1):.4f}  "
        f"recall {right / max(len(true_pairs), 1):.4f}  true pairs {len(true_pairs):,}  "
        f"found {len(found):,}"
    )
    print(
        f"time: demo {written - started:.1f} s, validation {validated - written:.1f} s, "
        f"of which linkage {spent.get('linkage', 0):.1f} s"
    )
    print("missed by kind:", dict(missed.most_common()))
    print("false links by kind:", dict(false.most_common()))
    assert result.linkage is not None
    print(result.linkage.summary.to_string(index=False))


if __name__ == "__main__":
    main()
