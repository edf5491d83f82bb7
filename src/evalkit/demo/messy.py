"""Realistic faults planted in the demo extracts, each at a known place (``--messy``).

Every fault class the validator must handle is planted at least once, and every planted fault is
listed in a manifest (``messy_faults.csv``) with the file, the spreadsheet row (the header is row
1; blank for a whole-file fault), the column, the value as written, the fault class and what the
validator is expected to make of it:

``error``
    the row (or file) must be reported and quarantined;
``warning``
    reported, but the data are still used;
``accepted``
    read correctly without complaint (a ``dd/mm/yyyy`` or Excel-serial date is parsed, ``N/A``,
    ``-`` and blank strings are read as missing).

Faults are planted only in the first rows of a file (the text *head* of a
:class:`~evalkit.demo.files.CsvFile`), so planting costs the same at any size.

Examples
--------
>>> len(FAULT_CLASSES), "duplicate client_id" in FAULT_CLASSES
(17, True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.data.schema import TABLES
from evalkit.demo.files import CsvFile, RawFile, XlsxFile
from evalkit.errors import ConfigError
from evalkit.instruments.definitions import WEMWBS

__all__ = ["FAULTS", "FAULT_CLASSES", "MANIFEST_COLUMNS", "MIN_EPISODES", "Fault", "plant_faults"]

MANIFEST_COLUMNS = ["file", "row", "column", "value", "fault_class", "expected"]
#: The messy demo needs enough rows in each file to plant every fault in a different row.
MIN_EPISODES = 200
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
UNKNOWN_CLIENT = "NT-9999999"
WORKER_NOTES = (
    "Attends café group on Tuesdays",
    "£5 travel voucher given",
    "Prefers afternoon appointments",
    "Referred on to debt advice (£ worries)",
    "Interpreter booked – résumé help requested",
)

Manifest = list[dict]


@dataclass
class Files:
    """The extracts being damaged, by path, and the rows of each already holding a fault."""

    by_path: dict[str, CsvFile | XlsxFile | RawFile]
    used: dict[str, set[int]] = field(default_factory=dict)
    damaged_clients: set[str] = field(default_factory=set)

    def __getitem__(self, path: str):
        return self.by_path[path]

    def __setitem__(self, path: str, file) -> None:
        self.by_path[path] = file

    def __delitem__(self, path: str) -> None:
        del self.by_path[path]

    def rows_used(self, path: str) -> set[int]:
        return self.used.setdefault(path, set())


@dataclass(frozen=True)
class Fault:
    """One planted fault class: where it goes, what the validator should do, and how."""

    fault_class: str
    file: str
    expected: str
    plant: Callable[[Files, Fault], Manifest]


def _record(fault: Fault, row=None, column=None, value=None, file=None) -> dict:
    return {
        "file": file or fault.file,
        "row": row,
        "column": column,
        "value": value,
        "fault_class": fault.fault_class,
        "expected": fault.expected,
    }


def _head(files: Files, fault: Fault) -> pd.DataFrame:
    return files[fault.file].head


def _pick(frame: pd.DataFrame, condition: pd.Series, used: set[int], nth: int = 0) -> int:
    """Position of the ``nth`` unused row meeting ``condition``."""
    candidates = np.flatnonzero(condition.to_numpy(dtype=bool)).tolist()
    positions = [i for i in candidates if i not in used]
    if len(positions) <= nth:
        raise ConfigError(
            f"the messy demo could not find a row to plant a fault in; use at least "
            f"{MIN_EPISODES} episodes."
        )
    used.add(positions[nth])
    return positions[nth]


def _set(files: Files, fault: Fault, position: int, column: str, value: str) -> int:
    """Write ``value`` into a head cell; return its spreadsheet row (the header is row 1).

    The row's client is remembered, so faults in measures go to clients whose participant row
    is intact (each fault is then reported on its own, not hidden behind a quarantined parent).
    """
    frame = files[fault.file].head
    frame.iloc[position, frame.columns.get_loc(column)] = value
    files.damaged_clients.add(frame.iloc[position]["client_id"])
    return position + 2


def _missing_file(files: Files, fault: Fault) -> Manifest:
    del files[fault.file]
    return [_record(fault)]


def _zero_bytes(files: Files, fault: Fault) -> Manifest:
    files[fault.file] = RawFile(fault.file, b"")
    return [_record(fault, value="0 bytes")]


def _header_only(files: Files, fault: Fault) -> Manifest:
    files[fault.file] = CsvFile(fault.file, pd.DataFrame(columns=TABLES["lifestyle"].names))
    return [_record(fault, value="header only")]


def _map_rest(file: CsvFile, transform: Callable[[pa.Table], pa.Table]) -> None:
    """Apply the same change to the rows after the head, as they are produced."""
    rest = file.rest
    if rest is not None:
        file.rest = lambda: (transform(table) for table in rest())


def _drop_column(column: str) -> Callable[[Files, Fault], Manifest]:
    def plant(files: Files, fault: Fault) -> Manifest:
        file = files[fault.file]
        file.head = file.head.drop(columns=column)
        _map_rest(file, lambda table: table.drop_columns([column]))
        return [_record(fault, row=1, column=column)]

    return plant


def _unknown_column(files: Files, fault: Fault) -> Manifest:
    """A free-text column the provider added; every seventh row has a note (with £ and é)."""
    file = files[fault.file]
    notes = np.full(len(file.head), None, dtype=object)
    notes[2::7] = [WORKER_NOTES[i % len(WORKER_NOTES)] for i in range(len(notes[2::7]))]
    file.head["worker_notes"] = notes
    _map_rest(
        file,
        lambda table: table.append_column("worker_notes", pa.nulls(table.num_rows, pa.string())),
    )
    return [_record(fault, row=1, column="worker_notes", value="worker_notes")]


def _cp1252_bom(files: Files, fault: Fault) -> Manifest:
    file = files[fault.file]
    file.encoding, file.bom = "cp1252", True
    return [_record(fault, value="cp1252 with BOM")]


_DATE_COLUMNS = ("referral_date", "start_date", "end_date", "quit_date")


def _uk_dates(files: Files, fault: Fault) -> Manifest:
    """Every date of the file as dd/mm/yyyy (Excel's UK display format, saved as text)."""
    file = files[fault.file]
    records = []
    for column in _DATE_COLUMNS:
        iso = file.head[column]
        uk = iso.str.slice(8, 10) + "/" + iso.str.slice(5, 7) + "/" + iso.str.slice(0, 4)
        file.head[column] = uk
        first = int(np.flatnonzero(uk.notna().to_numpy())[0])
        records.append(_record(fault, row=first + 2, column=column, value=uk.iloc[first]))
    _map_rest(file, _uk_date_table)
    return records


def _uk_date_table(table: pa.Table) -> pa.Table:
    for column in _DATE_COLUMNS:
        index = table.column_names.index(column)
        text = pc.strftime(table.column(column).cast(pa.timestamp("s")), format="%d/%m/%Y")
        table = table.set_column(index, column, text)
    return table


def _excel_serials(files: Files, fault: Fault) -> Manifest:
    head = _head(files, fault)
    records = []
    for nth in (1, 4):
        position = _pick(head, head["referral_date"].notna(), files.rows_used(fault.file), nth)
        days = (pd.Timestamp(head.iloc[position]["referral_date"]) - EXCEL_EPOCH).days
        row = _set(files, fault, position, "referral_date", str(days))
        records.append(_record(fault, row=row, column="referral_date", value=str(days)))
    return records


def _token(token: str) -> Callable[[Files, Fault], Manifest]:
    def plant(files: Files, fault: Fault) -> Manifest:
        head = _head(files, fault)
        position = _pick(head, head["quit_date"].isna(), files.rows_used(fault.file))
        row = _set(files, fault, position, "quit_date", token)
        return [_record(fault, row=row, column="quit_date", value=token)]

    return plant


def _cell(column: str, value: str, where: Callable[[pd.DataFrame], pd.Series]):
    def plant(files: Files, fault: Fault) -> Manifest:
        head = _head(files, fault)
        position = _pick(head, where(head), files.rows_used(fault.file))
        row = _set(files, fault, position, column, value)
        return [_record(fault, row=row, column=column, value=value)]

    return plant


def _duplicate_client(files: Files, fault: Fault) -> Manifest:
    file = files[fault.file]
    position = _pick(file.head, file.head["client_id"].notna(), files.rows_used(fault.file), 3)
    copy = file.head.iloc[[position]]
    files.damaged_clients.add(copy["client_id"].iloc[0])
    file.head = pd.concat([file.head, copy], ignore_index=True)
    row = len(file.head) + 1
    files.rows_used(fault.file).add(len(file.head) - 1)
    return [_record(fault, row=row, column="client_id", value=copy["client_id"].iloc[0])]


def _end_before_start(files: Files, fault: Fault) -> Manifest:
    head = _head(files, fault)
    position = _pick(
        head,
        (head["exit_reason"] == "completed") & head["start_date"].notna(),
        files.rows_used(fault.file),
    )
    early = pd.Timestamp(head.iloc[position]["start_date"]) - pd.Timedelta(days=10)
    value = early.strftime("%Y-%m-%d")
    row = _set(files, fault, position, "end_date", value)
    return [_record(fault, row=row, column="end_date", value=value)]


def _out_of_range_item(files: Files, fault: Fault) -> Manifest:
    head = _head(files, fault)
    intact = ~head["client_id"].isin(files.damaged_clients)
    position = _pick(head, intact & (head["measure"] == "wemwbs_04"), files.rows_used(fault.file))
    row = _set(files, fault, position, "value", "6")
    return [_record(fault, row=row, column="value", value="6")]


def _unknown_client(files: Files, fault: Fault) -> Manifest:
    file = files[fault.file]
    date = file.head["date"].iloc[0]
    extra = pd.DataFrame(
        {
            "client_id": UNKNOWN_CLIENT,
            "timepoint": "baseline",
            "date": date,
            "measure": ["weight_kg", "height_cm"],
            "value": ["88.2", "171.5"],
        }
    )
    start = len(file.head)
    file.head = pd.concat([file.head, extra], ignore_index=True)
    files.rows_used(fault.file).update({start, start + 1})
    return [
        _record(fault, row=start + 2 + i, column="client_id", value=UNKNOWN_CLIENT)
        for i in range(len(extra))
    ]


def _followup_before_baseline(files: Files, fault: Fault) -> Manifest:
    head = _head(files, fault)
    baseline = head[head["timepoint"] == "baseline"].groupby("client_id")["date"].min()
    is_exit = (
        (head["timepoint"] == "exit")
        & head["client_id"].isin(baseline.index)
        & ~head["client_id"].isin(files.damaged_clients)
    )
    position = _pick(head, is_exit, files.rows_used(fault.file), 2)
    client = head.iloc[position]["client_id"]
    value = (pd.Timestamp(baseline[client]) - pd.Timedelta(days=21)).strftime("%Y-%m-%d")
    row = _set(files, fault, position, "date", value)
    return [_record(fault, row=row, column="date", value=value)]


def _wide_cell(column: str, value, nth: int):
    def plant(files: Files, fault: Fault) -> Manifest:
        file = files[fault.file]
        position = _pick(file.frame, file.frame[column].notna(), files.rows_used(fault.file), nth)
        file.cells[(position, column)] = value
        return [_record(fault, row=position + 2, column=column, value=str(value))]

    return plant


def _wide_blank(files: Files, fault: Fault) -> Manifest:
    """Type a space into a blank item cell (the respondent skipped the item)."""
    file = files[fault.file]
    used = files.rows_used(fault.file)
    for column in [c for c in file.frame.columns if c in WEMWBS.items]:
        blank = file.frame[column].isna().to_numpy()
        position = next((int(i) for i in np.flatnonzero(blank) if int(i) not in used), None)
        if position is not None:
            used.add(position)
            file.cells[(position, column)] = " "
            return [_record(fault, row=position + 2, column=column, value=" ")]
    raise ConfigError(
        f"the messy demo found no skipped item to blank; use at least {MIN_EPISODES} episodes."
    )


_NHS_P = "extracts/nhs_trust_participants.csv"
_NHS_M = "extracts/nhs_trust_measures.csv"
_COUNCIL_P = "extracts/council_participants.csv"
_VCS_XLSX = "extracts/vcs_wellbeing.xlsx"

#: Every planted fault, in the order they are planted (row insertions append to a head, so the
#: rows of earlier cell faults never move).
FAULTS = (
    Fault("missing file", "extracts/council_measures.csv", "error", _missing_file),
    Fault("empty file", "extracts/nhs_trust_talking_therapy.csv", "error", _zero_bytes),
    Fault("empty file", "extracts/vcs_lifestyle.csv", "warning", _header_only),
    Fault("missing required column", "extracts/vcs_measures.csv", "error", _drop_column("date")),
    Fault("unknown column", _COUNCIL_P, "warning", _unknown_column),
    Fault("cp1252 with BOM", _COUNCIL_P, "warning", _cp1252_bom),
    Fault("date as dd/mm/yyyy", _COUNCIL_P, "accepted", _uk_dates),
    Fault(
        "date as Excel serial number", "extracts/vcs_participants.csv", "accepted", _excel_serials
    ),
    Fault("N/A", _NHS_P, "accepted", _token("N/A")),
    Fault("-", _NHS_P, "accepted", _token("-")),
    Fault("blank string", _NHS_P, "accepted", _token("   ")),
    Fault("wrong type", _NHS_P, "error", _cell("age", "forty", lambda h: h["age"].notna())),
    Fault(
        "value outside allowed set",
        _NHS_P,
        "error",
        _cell("delivery_mode", "Face to Face", lambda h: h["delivery_mode"] == "face_to_face"),
    ),
    Fault("end before start", _NHS_P, "error", _end_before_start),
    Fault("duplicate client_id", _NHS_P, "error", _duplicate_client),
    Fault("out-of-range item value", _NHS_M, "error", _out_of_range_item),
    Fault("follow-up dated before baseline", _NHS_M, "error", _followup_before_baseline),
    Fault("measure for an unknown client", _NHS_M, "error", _unknown_client),
    Fault("out-of-range item value", _VCS_XLSX, "error", _wide_cell("wemwbs_12", 55, 2)),
    Fault("wrong type", _VCS_XLSX, "error", _wide_cell("wemwbs_07", "Often", 5)),
    Fault("blank string", _VCS_XLSX, "accepted", _wide_blank),
)

#: The fault classes the messy demo plants.
FAULT_CLASSES = frozenset(f.fault_class for f in FAULTS)


def plant_faults(
    files: list[CsvFile | XlsxFile | RawFile], client_ids: set[str] | pd.Series
) -> tuple[list[CsvFile | XlsxFile | RawFile], pd.DataFrame]:
    """Damage the described extracts and say exactly where.

    Parameters
    ----------
    files : list
        The clean descriptions from :func:`evalkit.demo.files.provider_files` (modified in
        place).
    client_ids : set or Series
        Every real client id (the "unknown client" must not be one of them).

    Returns
    -------
    files : list
        The files to write (one removed, empty ones added).
    manifest : DataFrame
        Columns :data:`MANIFEST_COLUMNS`, one row per planted fault.
    """
    if UNKNOWN_CLIENT in set(client_ids):
        raise ConfigError(f"{UNKNOWN_CLIENT} is a real client id; cannot plant an unknown one.")
    damaged = Files({f.path: f for f in files})
    manifest: Manifest = []
    for fault in FAULTS:
        manifest += fault.plant(damaged, fault)
    frame = pd.DataFrame(manifest, columns=MANIFEST_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return list(damaged.by_path.values()), frame
