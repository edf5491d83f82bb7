"""The input files of a report: which files each notebook reads, and which periods have data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from evalkit.data.periods import period_of
from evalkit.data.readers import parse_dates
from evalkit.errors import PipelineError

__all__ = ["extract_files", "files_in_groups", "is_participants_extract", "periods_in_extract"]

_EXTRACT_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def _is_data_file(path: Path) -> bool:
    """A regular, non-hidden file that is not an editor's lock file (``~$book.xlsx``)."""
    return path.is_file() and not path.name.startswith((".", "~$"))


def extract_files(folder: Path) -> list[Path]:
    """The provider extracts (CSV or XLSX, any depth) in an evaluation's ``extracts/`` folder.

    Raises
    ------
    PipelineError
        If the folder does not exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ("a_participants.csv", "notes.txt", "~$b.xlsx"):
    ...     _ = (d / name).write_text("x")
    >>> [p.name for p in extract_files(d)]
    ['a_participants.csv']
    """
    if not folder.is_dir():
        raise PipelineError(f"{folder}: the extracts folder does not exist.")
    return sorted(
        p.resolve()
        for p in folder.rglob("*")
        if _is_data_file(p) and p.suffix.lower() in _EXTRACT_SUFFIXES
    )


def files_in_groups(
    data_dir: Path, groups: Iterable[str], input_groups: Mapping[str, tuple[str, ...]]
) -> list[Path]:
    """The files matched by some input groups' patterns, sorted and without duplicates.

    Parameters
    ----------
    data_dir : Path
        The evaluation's data folder; patterns are relative to it.
    groups : iterable of str
        Group names (unknown names, such as the built-in ``key_figures``, match no files here).
    input_groups : mapping of str to tuple of str
        Group name -> glob patterns (``**`` matches any depth).

    Returns
    -------
    list of Path
        Absolute paths. Hidden files and ``~$`` lock files are ignored.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> (d / "qual").mkdir(); _ = (d / "qual" / "codings.csv").write_text("x")
    >>> [p.name for p in files_in_groups(d, ["qual"], {"qual": ("qual/**/*",)})]
    ['codings.csv']
    """
    found: set[Path] = set()
    for group in groups:
        for pattern in input_groups.get(group, ()):
            found.update(p.resolve() for p in data_dir.glob(pattern) if _is_data_file(p))
    return sorted(found)


def is_participants_extract(path: Path) -> bool:
    """Whether a file is a provider's participants extract (stem ``participants`` or
    ending ``_participants``, CSV or XLSX), as in docs/data-model.md.

    Examples
    --------
    >>> is_participants_extract(Path("extracts/north_trust_participants.csv"))
    True
    """
    stem = path.stem.lower()
    return path.suffix.lower() in _EXTRACT_SUFFIXES and (
        stem == "participants" or stem.endswith("_participants")
    )


def periods_in_extract(path: str | Path) -> list[str]:
    """The calendar quarters (``YYYY-Qn``) of the referral dates in a participants extract.

    Parameters
    ----------
    path : str or Path
        A participants CSV or XLSX with a ``referral_date`` column (dates as
        :func:`evalkit.data.readers.parse_dates` reads them; unreadable dates are ignored here and
        reported by ``evalkit validate``).

    Returns
    -------
    list of str
        Sorted distinct quarters.

    Raises
    ------
    PipelineError
        If the file has no ``referral_date`` column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "participants.csv"
    >>> _ = p.write_text("client_id,referral_date\\nA1,2026-02-01\\nA2,15/08/2026\\nA3,\\n")
    >>> periods_in_extract(p)
    ['2026-Q1', '2026-Q3']
    """
    path = Path(path)

    def wanted(column: object) -> bool:
        return str(column).strip().lower() == "referral_date"

    if path.suffix.lower() == ".csv":
        try:
            raw = pd.read_csv(path, usecols=wanted, dtype=str, encoding="utf-8-sig")
        except UnicodeDecodeError:
            raw = pd.read_csv(path, usecols=wanted, dtype=str, encoding="cp1252")
    else:
        raw = pd.read_excel(path, usecols=wanted, dtype=str, engine="openpyxl")
    if raw.shape[1] != 1:
        raise PipelineError(
            f"{path}: no 'referral_date' column, so the periods with data cannot be found."
        )
    dates, _ = parse_dates(raw.iloc[:, 0])
    return sorted(set(period_of(dates.dropna())))
