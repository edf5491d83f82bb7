"""The report cache: content hashes, cache keys and stored notebook results.

A notebook's result is reused when its cache key is unchanged. The key is the SHA-256 of a JSON
document holding the notebook file's hash, its parameters (period and site; not the config's
location or the output folder), the hashes of the input files it reads (by path relative to the
data folder), the config file's hash and evalkit's fingerprint (version plus a hash of its
source, so an edit to evalkit re-runs the notebooks). The cache lives in ``<out>/.cache/``:

* ``file_hashes.json`` remembers each file's SHA-256 with its size and modification time, so an
  unchanged file is not hashed again (like git's index);
* ``facts/<sha256>.json`` holds what was read from an extract with that content (its periods,
  its identifiers), so an unchanged extract is not parsed again;
* ``notebooks/<period>/<site>/<notebook>/`` holds one notebook's last result: ``entry.json``
  (written last, so a half-written slot is never used), ``executed.ipynb``, ``page.html``
  (the rendered body) and ``outputs/`` (what the notebook wrote into its ``output_dir``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import evalkit
from evalkit.data.fingerprint import sha256_file

__all__ = [
    "FileHashes",
    "NotebookCache",
    "evalkit_fingerprint",
    "remembered",
]

_SOURCE_SUFFIXES = (".py", ".j2", ".css", ".yml", ".yaml")


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, encoding="utf-8") as tmp:
        json.dump(data, tmp, indent=1, sort_keys=True, ensure_ascii=False)
    os.replace(tmp.name, path)


def evalkit_fingerprint() -> dict[str, str]:
    """evalkit's version and a SHA-256 over its source files (``.py``, templates, CSS).

    Examples
    --------
    >>> sorted(evalkit_fingerprint())
    ['source_sha256', 'version']
    """
    root = Path(evalkit.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.suffix in _SOURCE_SUFFIXES and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return {"version": evalkit.__version__, "source_sha256": digest.hexdigest()}


class FileHashes:
    """SHA-256 of files, remembered by path, size and modification time.

    Parameters
    ----------
    store : Path
        JSON file the remembered hashes are kept in (created on :meth:`save`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); p = d / "x.csv"; _ = p.write_text("1")
    >>> hashes = FileHashes(d / "hashes.json")
    >>> hashes.sha256(p) == sha256_file(p)
    True
    """

    def __init__(self, store: Path) -> None:
        self.store = store
        try:
            self._known: dict[str, dict[str, Any]] = json.loads(store.read_text("utf-8"))
        except (OSError, ValueError):
            self._known = {}

    def sha256(self, path: Path) -> str:
        """The file's SHA-256, re-hashed only when its size or modification time changed."""
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        known = self._known.get(str(path))
        if known is None or known["stamp"] != stamp:
            known = {"stamp": stamp, "sha256": sha256_file(path)}
            self._known[str(path)] = known
        return known["sha256"]

    def save(self) -> None:
        """Write the remembered hashes to :attr:`store`."""
        _write_json(self.store, self._known)


def remembered(folder: Path, sha256: str, compute: Callable[[], Any]) -> Any:
    """A JSON-able value computed from a file, remembered under the file's content hash.

    Parameters
    ----------
    folder : Path
        Where remembered values are kept (one ``<sha256>.json`` each).
    sha256 : str
        Content hash of the file the value is computed from.
    compute : callable
        Computes the value when it is not remembered yet.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> remembered(d, "ab12", lambda: [1, 2]), remembered(d, "ab12", lambda: "not called")
    ([1, 2], [1, 2])
    """
    path = folder / f"{sha256}.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        value = compute()
        _write_json(path, value)
        return value


class NotebookCache:
    """Stored notebook results, one slot per period, site and notebook.

    Parameters
    ----------
    root : Path
        The cache folder (``<out>/.cache``).
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def slot(self, period: str, site: str, notebook: str) -> Path:
        """Folder holding the last result of a notebook for a period and site."""
        return self.root / "notebooks" / period / site / notebook

    def lookup(self, slot: Path, key: str | None = None) -> dict[str, Any] | None:
        """The slot's entry, if it is complete (and, when ``key`` is given, has that key)."""
        try:
            entry = json.loads((slot / "entry.json").read_text("utf-8"))
        except (OSError, ValueError):
            return None
        complete = (slot / "page.html").is_file() and (slot / "outputs").is_dir()
        if not complete or (key is not None and entry.get("key") != key):
            return None
        return entry

    def store(
        self,
        slot: Path,
        entry: Mapping[str, Any],
        *,
        executed: Path,
        page: Path,
        outputs: Path,
    ) -> None:
        """Replace the slot's result. ``entry.json`` is removed first and written last."""
        (slot / "entry.json").unlink(missing_ok=True)
        for old in ("outputs", "executed.ipynb", "page.html"):
            target = slot / old
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        slot.mkdir(parents=True, exist_ok=True)
        shutil.copytree(outputs, slot / "outputs")
        shutil.copyfile(executed, slot / "executed.ipynb")
        shutil.copyfile(page, slot / "page.html")
        _write_json(slot / "entry.json", dict(entry))
