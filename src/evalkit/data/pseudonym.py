"""The pseudonymisation key and the person keys made with it (HMAC-SHA256).

A person's key is the HMAC-SHA256 (RFC 2104, FIPS 198-1) of their normalised NHS number under a
secret key held by the evaluator, written as 64 hexadecimal characters. Without the secret the
key cannot be recomputed from an NHS number (a plain SHA-256 of a ten-digit number can: there are
only 10^10 of them). The same secret gives the same person key in every quarter's extracts;
another secret gives unrelated keys.

The secret lives outside the data folder, so that copying the data folder never copies it.
:func:`key_path` finds it, in this order: the ``EVALKIT_KEY_FILE`` environment variable; the
``linkage: key_file:`` setting of ``evaluation.yml`` (relative to the file); else
``~/.config/evalkit/<evaluation>.key`` (``$XDG_CONFIG_HOME`` if set), ``<evaluation>`` being the
evaluation's name in lower case with runs of other characters replaced by ``-``.
``evalkit key new`` writes one (:func:`new_key`).

Examples
--------
>>> import hmac, hashlib
>>> secret = bytes(range(32))
>>> person_keys(pd.Series(["9434765919"]), secret).iloc[0] == hmac.new(
...     secret, b"9434765919", hashlib.sha256).hexdigest()
True
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from evalkit.errors import ConfigError

if TYPE_CHECKING:
    from evalkit.config import EvaluationConfig

__all__ = [
    "KEY_BYTES",
    "KEY_VARIABLE",
    "default_key_path",
    "key_path",
    "key_stamp",
    "load_key",
    "new_key",
    "person_keys",
]

#: Environment variable naming the key file (wins over evaluation.yml and the default path).
KEY_VARIABLE = "EVALKIT_KEY_FILE"
#: Length of a new secret: 256 bits, the output size of SHA-256 (RFC 2104 section 3).
KEY_BYTES = 32


def default_key_path(evaluation: str) -> Path:
    """Where an evaluation's key is kept when nothing says otherwise.

    Examples
    --------
    >>> default_key_path("Live Well Anytown (demo)").name
    'live-well-anytown-demo.key'
    """
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    slug = re.sub(r"[^a-z0-9]+", "-", evaluation.lower()).strip("-") or "evaluation"
    return Path(base) / "evalkit" / f"{slug}.key"


def key_path(config: EvaluationConfig | None = None) -> Path | None:
    """The key file of an evaluation (which need not exist yet), or None when nothing names one.

    Examples
    --------
    >>> import os
    >>> os.environ[KEY_VARIABLE] = "/keys/anytown.key"
    >>> str(key_path())
    '/keys/anytown.key'
    >>> del os.environ[KEY_VARIABLE]
    """
    given = os.environ.get(KEY_VARIABLE)
    if given:
        return Path(given).expanduser()
    if config is None:
        return None
    setting = getattr(config, "linkage", {}) or {}
    if setting.get("key_file"):
        path = Path(str(setting["key_file"])).expanduser()
        return path if path.is_absolute() else config.root / path
    return default_key_path(config.name)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def new_key(path: str | Path, *, data_dir: Path | None = None, overwrite: bool = False) -> Path:
    """Write a new random secret (hexadecimal, readable by its owner only) to ``path``.

    Parameters
    ----------
    path : str or Path
        The key file.
    data_dir : Path, optional
        The evaluation's data folder: a key inside it is refused.
    overwrite : bool
        Replace an existing key (every person key changes: links to earlier quarters are lost).

    Raises
    ------
    ConfigError
        The file exists (and ``overwrite`` is false), or lies inside the data folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = new_key(pathlib.Path(tempfile.mkdtemp()) / "demo.key")
    >>> len(path.read_text().strip()), oct(path.stat().st_mode & 0o777)
    (64, '0o600')
    """
    path = Path(path).expanduser()
    if data_dir is not None and _inside(path, data_dir):
        raise ConfigError(
            f"{path}: the key must not be kept in the data folder {data_dir} (whoever has the "
            "data and the key can link people back to NHS numbers); choose a path outside it, "
            f"e.g. {default_key_path('evaluation')}."
        )
    if path.exists() and not overwrite:
        raise ConfigError(
            f"{path} already exists; keep it (the same key gives the same person ids every "
            "quarter) or pass --overwrite to replace it, which breaks links to earlier quarters."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    descriptor = os.open(path, flags, 0o600)  # FileExistsError if another process wrote it
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    path.chmod(0o600)
    return path


def load_key(config: EvaluationConfig | None = None, path: str | Path | None = None) -> bytes:
    """The secret key, read from ``path`` or where :func:`key_path` says.

    Raises
    ------
    ConfigError
        No key file is named or it does not exist, or it does not hold a key.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> len(load_key(path=new_key(pathlib.Path(tempfile.mkdtemp()) / "k.key")))
    32
    """
    where = Path(path).expanduser() if path is not None else key_path(config)
    named = "evalkit key new --key-file PATH"
    if config is not None and config.path is not None:
        named = f"evalkit key new {config.path}"
    if where is None or not where.is_file():
        place = f"no key file at {where}" if where is not None else "no key file is named"
        raise ConfigError(
            f"the extracts hold NHS numbers, but {place}: the pseudonymisation key is needed "
            f"to turn them into person ids. Run `{named}` once for this evaluation (it writes "
            f"the key outside the data folder), or set {KEY_VARIABLE} to the key file, or "
            "`linkage: key_file:` in evaluation.yml. Keep the key: the same key gives the same "
            "person ids every quarter."
        )
    text = where.read_text(encoding="ascii", errors="replace").strip()
    if not re.fullmatch(r"[0-9a-fA-F]{32,}", text):
        raise ConfigError(
            f"{where} does not hold an evalkit key (at least 32 hexadecimal characters); "
            f"write a new one with `{named}` only if no earlier quarter used this file."
        )
    return bytes.fromhex(text if len(text) % 2 == 0 else text[:-1])


def key_stamp(config: EvaluationConfig | None) -> str | None:
    """A fingerprint of the evaluation's key (an HMAC of a fixed text), for cache keys: it
    changes when the key does, and says nothing about it. None when there is no key file.

    Examples
    --------
    >>> key_stamp(None) is None or len(key_stamp(None)) == 16
    True
    """
    path = key_path(config)
    if path is None or not path.is_file():
        return None
    try:
        key = load_key(config, path)
    except ConfigError:
        return "unreadable"
    return hmac.new(key, b"evalkit cache key", hashlib.sha256).hexdigest()[:16]


def person_keys(values: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each value under ``key``, as 64 hexadecimal characters (NA stays NA).

    Parameters
    ----------
    values : Series
        Normalised identifiers (e.g. ten-digit NHS numbers from
        :func:`evalkit.data.nhs_number.check_nhs_numbers`).
    key : bytes
        The secret (:func:`load_key`).

    Examples
    --------
    >>> keys = person_keys(pd.Series(["9434765919", None]), b"k" * 32)
    >>> len(keys.iloc[0]), keys.iloc[1] is pd.NA
    (64, True)
    """
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    present = values.notna()
    out[present] = [
        hmac.new(key, str(value).encode("utf-8"), hashlib.sha256).hexdigest()
        for value in values[present]
    ]
    return out
