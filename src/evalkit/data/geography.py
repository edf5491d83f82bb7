"""IMD from an LSOA code or a postcode, through the official lookups the evaluator supplies.

``geography:`` in ``evaluation.yml`` names the English Indices of Deprivation **File 1** (LSOA
code -> IMD rank and decile) as MHCLG publishes it, CSV or XLSX, in either layout:

- IoD2019: ``LSOA code (2011)`` ... ``Index of Multiple Deprivation (IMD) Rank`` and
  ``... Decile`` (32,844 LSOAs, 2011 boundaries);
- IoD2025: ``LSOA code (2021)`` ... ``Index of Multiple Deprivation (IMD) Rank (where 1 is most
  deprived)`` and ``... Decile (where 1 is most deprived 10% of LSOAs)`` (2021 boundaries);

and optionally an extract of the ONS Postcode Directory (postcode -> LSOA: columns ``pcds`` or
``pcd``/``pcd7``/``pcd8``, and ``lsoa11``/``lsoa11cd`` or ``lsoa21``/``lsoa21cd``, the one
matching the IoD's boundaries). The real files are public and large; they are never committed.

Postcodes are normalised (upper case, no spaces), looked up and dropped: a postcode is never
written to ``validated/``, the quarantine, an issue or a report. The rank evalkit stores
(``imd_rank``) is the IoD2019 rank its equity analyses read (of 32,844); with an IoD2025 lookup
only the decile is filled in.

Examples
--------
>>> normalise_postcode(" ls1 4ap "), normalise_postcode("LS14AP")
('LS14AP', 'LS14AP')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evalkit.errors import ConfigError

__all__ = [
    "IMD_LAYOUTS",
    "ImdLookup",
    "load_imd_lookup",
    "load_postcode_lookup",
    "normalise_postcode",
]

#: The File 1 layouts: vintage -> (LSOA code header, LSOA boundaries year).
IMD_LAYOUTS = {"IoD2019": ("LSOA code (2011)", "2011"), "IoD2025": ("LSOA code (2021)", "2021")}
_RANK = "Index of Multiple Deprivation (IMD) Rank"
_DECILE = "Index of Multiple Deprivation (IMD) Decile"
_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd7", "pcd8", "pcd2")
_LSOA_COLUMNS = {"2011": ("lsoa11", "lsoa11cd"), "2021": ("lsoa21", "lsoa21cd")}


def normalise_postcode(value: object) -> str:
    """A postcode as looked up: upper case, spaces removed."""
    return re.sub(r"\s+", "", str(value)).upper()


@dataclass(frozen=True)
class ImdLookup:
    """IMD by LSOA code, from one File 1.

    Attributes
    ----------
    vintage : str
        ``IoD2019`` or ``IoD2025``.
    boundaries : str
        The LSOA boundaries its codes are (``2011`` or ``2021``).
    table : DataFrame
        Indexed by LSOA code: ``imd_rank``, ``imd_decile``.
    postcodes : Series or None
        LSOA code by normalised postcode, when a postcode lookup is given.
    source : str
        The File 1, for messages.
    postcodes_source : str
        The postcode directory extract, for messages.
    """

    vintage: str
    boundaries: str
    table: pd.DataFrame
    postcodes: pd.Series | None
    source: str
    postcodes_source: str = ""


def _read_table(path: Path, wanted: str) -> pd.DataFrame:
    """A CSV, or the sheet of a workbook whose header row (within the first rows) holds
    ``wanted``, every cell as text."""
    if path.suffix.lower() != ".xlsx":
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=str, engine="openpyxl")
    for grid in sheets.values():
        for row in range(min(len(grid), 10)):
            cells = [str(c).strip() for c in grid.iloc[row]]
            if any(c.startswith(wanted) for c in cells):
                frame = grid.iloc[row + 1 :].copy()
                frame.columns = cells
                return frame.reset_index(drop=True)
    return pd.DataFrame()


def load_imd_lookup(path: str | Path, postcodes: str | Path | None = None) -> ImdLookup:
    """Read a File 1 (either layout) and, optionally, a postcode directory extract.

    Raises
    ------
    ConfigError
        If a file is missing or is not in a layout described above (naming the headers it
        lacks).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"geography.imd_lookup: {path} not found (IoD File 1, CSV or XLSX).")
    frame = _read_table(path, "LSOA code (")
    columns = {str(c).strip(): c for c in frame.columns}
    vintage = next((v for v, (code, _) in IMD_LAYOUTS.items() if code in columns), None)
    rank = next((c for c in columns if c.startswith(_RANK)), None)
    decile = next((c for c in columns if c.startswith(_DECILE)), None)
    if vintage is None or rank is None or decile is None:
        raise ConfigError(
            f"geography.imd_lookup: {path} is not an English Indices of Deprivation File 1: "
            f"expected the headers 'LSOA code (2011)' (IoD2019) or 'LSOA code (2021)' "
            f"(IoD2025), '{_RANK}' and '{_DECILE}'; it has {', '.join(list(columns)[:8])}."
        )
    code, boundaries = IMD_LAYOUTS[vintage]
    table = pd.DataFrame(
        {
            "lsoa_code": frame[columns[code]].astype(str).str.strip().str.upper(),
            "imd_rank": pd.to_numeric(frame[columns[rank]], errors="coerce").astype("Int64"),
            "imd_decile": pd.to_numeric(frame[columns[decile]], errors="coerce").astype("Int64"),
        }
    ).dropna(subset=["imd_decile"])
    lookup = None
    if postcodes is not None:
        lookup = load_postcode_lookup(postcodes, boundaries)
    return ImdLookup(
        vintage,
        boundaries,
        table.set_index("lsoa_code"),
        lookup,
        path.name,
        Path(postcodes).name if postcodes is not None else "",
    )


def load_postcode_lookup(path: str | Path, boundaries: str) -> pd.Series:
    """LSOA code (of ``boundaries``, 2011 or 2021) by normalised postcode, from an ONS Postcode
    Directory extract (CSV or XLSX)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"geography.postcode_lookup: {path} not found (ONSPD extract).")
    frame = _read_table(path, "pcd")
    lower = {str(c).strip().lower(): c for c in frame.columns}
    postcode = next((lower[c] for c in _POSTCODE_COLUMNS if c in lower), None)
    lsoa = next((lower[c] for c in _LSOA_COLUMNS[boundaries] if c in lower), None)
    if postcode is None or lsoa is None:
        wanted = " or ".join(_LSOA_COLUMNS[boundaries])
        raise ConfigError(
            f"geography.postcode_lookup: {path} needs a postcode column "
            f"({', '.join(_POSTCODE_COLUMNS)}) and the LSOA {boundaries} column ({wanted}) "
            "matching the IoD lookup's boundaries."
        )
    keys = frame[postcode].map(normalise_postcode)
    return pd.Series(frame[lsoa].astype(str).str.strip().str.upper().to_numpy(), index=keys)
