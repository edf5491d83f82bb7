"""``manifest.json``: what a published report was built from, so it can be reproduced and audited.

Keys: ``evalkit`` (version and source hash), ``git`` (commit and whether the working tree had
uncommitted changes, or ``null`` outside git), ``generated_at``, ``config`` (path and SHA-256),
``parameters`` (period asked for and resolved, site, jobs, force), ``inputs`` (every input file
with its path relative to the data folder, size in bytes and SHA-256), ``notebooks`` (per
notebook: name, title, page, input groups, cache key, run seconds and whether it was cached) and
``disclosure`` (threshold, pages scanned, identifiers scanned for by kind, client ids too short
to scan for). ``evalkit report`` adds ``publication``: ``status`` (draft or final),
``unanswered_prompts``, ``narrative`` (path and SHA-256), ``previous`` (the previous report of
the same site) and ``data`` (folder and vintage).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["MANIFEST_FILE", "build_manifest", "git_state", "read_manifest"]

MANIFEST_FILE = "manifest.json"


def git_state(folder: Path) -> dict[str, Any] | None:
    """The git commit checked out at ``folder`` and whether the tree is dirty; ``None`` if
    ``folder`` is not in a git working tree (or git is not installed).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> git_state(pathlib.Path(tempfile.mkdtemp())) is None
    True
    """

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status)}


def build_manifest(
    *,
    evalkit: Mapping[str, str],
    git: Mapping[str, Any] | None,
    generated_at: str,
    config: Mapping[str, str],
    parameters: Mapping[str, Any],
    inputs: pd.DataFrame,
    notebooks: Sequence[Mapping[str, Any]],
    disclosure: Mapping[str, Any],
) -> dict[str, Any]:
    """Assemble the manifest document (see the module docstring for its keys).

    ``inputs`` has columns ``path, size, sha256``.

    Examples
    --------
    >>> files = pd.DataFrame({"path": ["extracts/a.csv"], "size": [10], "sha256": ["ab"]})
    >>> m = build_manifest(evalkit={"version": "0.1.0"}, git=None, generated_at="2026-01-01",
    ...                    config={"path": "e.yml", "sha256": "cd"}, parameters={},
    ...                    inputs=files, notebooks=[], disclosure={})
    >>> m["inputs"]
    [{'path': 'extracts/a.csv', 'size': 10, 'sha256': 'ab'}]
    """
    return {
        "evalkit": dict(evalkit),
        "git": None if git is None else dict(git),
        "generated_at": generated_at,
        "config": dict(config),
        "parameters": dict(parameters),
        "inputs": [
            {"path": str(r.path), "size": int(r.size), "sha256": str(r.sha256)}
            for r in inputs.itertuples(index=False)
        ],
        "notebooks": [dict(n) for n in notebooks],
        "disclosure": dict(disclosure),
    }


def read_manifest(report: str | Path) -> dict[str, Any]:
    """Read a published report's ``manifest.json``.

    Parameters
    ----------
    report : str or Path
        The report folder (as returned by :func:`evalkit.pipeline.run_report`).
    """
    return json.loads((Path(report) / MANIFEST_FILE).read_text(encoding="utf-8"))
