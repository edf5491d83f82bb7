"""The input files of a report: which files each notebook reads, and which periods have data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit.data.mapping import FileMapping, ProviderMapping, load_mapping, matching_files
from evalkit.data.periods import period_of
from evalkit.data.provider_exports import apply_mapping
from evalkit.data.readers import parse_dates
from evalkit.errors import PipelineError

__all__ = [
    "MappedParticipants",
    "extract_files",
    "files_in_groups",
    "is_participants_extract",
    "mapped_participants",
    "periods_in_extract",
    "periods_in_mapped_extract",
]

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


@dataclass(frozen=True)
class MappedParticipants:
    """A provider file that a mapping (``mappings:`` in ``evaluation.yml``) feeds into
    participants.

    Attributes
    ----------
    path : Path
        The provider's file.
    mapping_path : Path
        The mapping file (its content is part of what the file's periods depend on).
    mapping : ProviderMapping
        The parsed mapping.
    entry : FileMapping
        The mapping's entry for this file.
    """

    path: Path
    mapping_path: Path
    mapping: ProviderMapping
    entry: FileMapping


def mapped_participants(
    root: Path, mappings: Sequence[str | Path], extracts: Sequence[Path]
) -> list[MappedParticipants]:
    """The extracts that a mapping feeds into participants, each with its mapping entry.

    Files are matched as validation matches them (:func:`evalkit.data.mapping.matching_files`:
    by name, case-insensitively, one entry per file).

    Parameters
    ----------
    root : Path
        The folder of ``evaluation.yml`` (mapping paths are relative to it).
    mappings : sequence of str or Path
        ``mappings:`` of ``evaluation.yml``.
    extracts : sequence of Path
        The evaluation's extracts (:func:`extract_files`).

    Raises
    ------
    ConfigError
        If a mapping file is missing or malformed (as ``evalkit validate`` says).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "extracts").mkdir()
    >>> _ = (d / "extracts" / "iaptus_2026.csv").write_text("Ref,Referred\\nA1,05/01/2026\\n")
    >>> _ = (d / "north.yml").write_text("provider: north\\nfiles:\\n- pattern: iaptus_*.csv\\n"
    ...     "  columns: {Ref: client_id, Referred: referral_date}\\n")
    >>> found = mapped_participants(d, ["north.yml"], extract_files(d / "extracts"))
    >>> [(f.path.name, f.mapping_path.name, f.entry.pattern) for f in found]
    [('iaptus_2026.csv', 'north.yml', 'iaptus_*.csv')]
    """
    found = []
    paths = list(extracts)
    for listed in mappings:
        mapping_path = (Path(root) / listed).resolve()
        mapping = load_mapping(mapping_path)
        mapping = mapping.model_copy(update={"source": str(listed)})
        for entry, matched in matching_files(mapping, paths):
            if "participants" in entry.feeds:
                found += [MappedParticipants(p, mapping_path, mapping, entry) for p in matched]
    return found


def periods_in_mapped_extract(source: MappedParticipants) -> list[str]:
    """The calendar quarters (``YYYY-Qn``) of the referral dates of a provider file, read
    through its mapping (its header for ``referral_date``, its date format).

    Only the participants part of the mapping is applied (no measures, no geography lookup);
    unreadable dates are ignored here and reported by ``evalkit validate``.

    Raises
    ------
    PipelineError
        If the mapping gives the file no ``referral_date``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "extracts").mkdir()
    >>> _ = (d / "extracts" / "export.csv").write_text(
    ...     "Ref,Referred\\nA1,05/01/2026\\nA2,15/08/2026\\nA3,\\n")
    >>> _ = (d / "north.yml").write_text("provider: north\\nfiles:\\n- pattern: export.csv\\n"
    ...     "  columns: {Ref: client_id, Referred: referral_date}\\n"
    ...     "  dates: {format: '%d/%m/%Y'}\\n")
    >>> [source] = mapped_participants(d, ["north.yml"], extract_files(d / "extracts"))
    >>> periods_in_mapped_extract(source)
    ['2026-Q1', '2026-Q3']
    """
    entry = source.entry.model_copy(update={"feeds": ["participants"]})
    applied = apply_mapping(source.path, entry, source.mapping, label=source.path.name)
    frame = applied.tables[0].frame
    if "referral_date" not in frame.columns:
        raise PipelineError(
            f"{source.path}: {source.mapping.source} maps no column to 'referral_date', so the "
            "periods with data cannot be found."
        )
    dates, _ = parse_dates(frame["referral_date"])
    return sorted(set(period_of(dates.dropna())))
