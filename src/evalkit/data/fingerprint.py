"""Content fingerprints: the SHA-256 of a file, and of a set of settings.

The one home of how evalkit decides that something changed: the validated-data cache
(:mod:`evalkit.data.evaluation`) and the report cache (:mod:`evalkit.pipeline.cache`) both key
on these digests, so an input is judged changed the same way everywhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["content_key", "sha256_file"]

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex (read in 1 MiB blocks).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"abc")
    >>> sha256_file(p)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def content_key(components: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``components`` (keys sorted; non-JSON values as text).

    Examples
    --------
    >>> content_key({"b": 1, "a": [2]}) == content_key({"a": [2], "b": 1})
    True
    >>> content_key({"path": Path("x")}) == content_key({"path": "x"})
    True
    """
    text = json.dumps(
        components, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    )
    return hashlib.sha256(text.encode()).hexdigest()
