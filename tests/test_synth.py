"""evalkit.demo writes a realistic, byte-reproducible evaluation folder with the contracted names.

Names are checked against docs/data-model.md (the contract) and evalkit.data.schema; the messy
faults
are checked by reading the written bytes independently (csv, openpyxl, zipfile) and, for the faults
the validator must report, by running evalkit.data.validate on the folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evalkit.config import DisclosurePolicy, EvaluationConfig, load_config
from evalkit.data.schema import TABLES
from evalkit.data.validate import validate_directory
from evalkit.demo import PLANTED, generate, write_demo
from evalkit.demo.files import XlsxFile, write_file
from evalkit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
DATA_MODEL = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
EPISODES = 400
#: The demo's 24 months of referrals.
EIGHT_QUARTERS = [
    "2024-Q3",
    "2024-Q4",
    "2025-Q1",
    "2025-Q2",
    "2025-Q3",
    "2025-Q4",
    "2026-Q1",
    "2026-Q2",
]
#: The fault classes issue #2 lists for --messy.
ISSUE_FAULT_CLASSES = {
    "missing file",
    "empty file",
    "missing required column",
    "unknown column",
    "wrong type",
    "out-of-range item value",
    "value outside allowed set",
    "duplicate client_id",
    "measure for an unknown client",
    "follow-up dated before baseline",
    "end before start",
    "cp1252 with BOM",
    "date as dd/mm/yyyy",
    "date as Excel serial number",
    "N/A",
    "-",
    "blank string",
}


def _section(start: str, end: str) -> str:
    return DATA_MODEL[DATA_MODEL.index(start) : DATA_MODEL.index(end)]


def _ticked(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def _measure_names_in_contract() -> set[str]:
    table = _section("| instrument | measure names |", "Wide templates")
    names = _ticked(table)
    for stem, first, last in re.findall(r"`(\w+?)_?(\d+)` … `\1_?(\d+)`", table):
        width = len(first)
        names |= {f"{stem}_{i:0{width}d}" for i in range(int(first), int(last) + 1)}
    return names


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return write_demo(tmp_path_factory.mktemp("clean"), episodes=EPISODES, seed=7).parent


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> Path:
    return write_demo(
        tmp_path_factory.mktemp("messy"), episodes=EPISODES, seed=7, messy=True
    ).parent


@pytest.fixture(scope="module")
def manifest(messy) -> pd.DataFrame:
    return pd.read_csv(messy / "messy_faults.csv", dtype=str, keep_default_na=False)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# --- determinism -----------------------------------------------------------------------------


@pytest.mark.parametrize("is_messy", [False, True], ids=["clean", "messy"])
def test_same_seed_gives_byte_identical_files(tmp_path, is_messy):
    first = write_demo(tmp_path / "a", episodes=EPISODES, seed=7, messy=is_messy).parent
    second = write_demo(tmp_path / "b", episodes=EPISODES, seed=7, messy=is_messy).parent
    a, b = _files(first), _files(second)
    assert sorted(a) == sorted(b) and len(a) > 30
    assert [name for name in a if a[name] != b[name]] == []


def test_rewriting_a_folder_replaces_the_earlier_demo(tmp_path, clean):
    write_demo(tmp_path, episodes=EPISODES, seed=7, messy=True)
    write_demo(tmp_path, episodes=EPISODES, seed=7)
    assert _files(tmp_path) == _files(clean)


def test_different_seed_gives_different_data(tmp_path, clean):
    other = write_demo(tmp_path, episodes=EPISODES, seed=8).parent
    a, b = _files(clean), _files(other)
    differing = {name for name in a if a[name] != b.get(name)}
    data = {n for n in a if n.startswith("extracts/") or n in ("qual/codings.csv",)}
    assert data <= differing


def test_chunked_writing_gives_the_same_bytes(tmp_path, clean, monkeypatch):
    """A million episodes are written in chunks; chunk boundaries must not show in the files."""
    monkeypatch.setattr("evalkit.demo.files.HEAD_ROWS", 50)
    monkeypatch.setattr("evalkit.demo.files.CHUNK_ROWS", 120)
    monkeypatch.setattr("evalkit.demo.files.XLSX_CHUNK_ROWS", 30)
    chunked = write_demo(tmp_path, episodes=EPISODES, seed=7).parent
    assert _files(chunked) == _files(clean)


def test_messy_faults_reach_rows_beyond_the_head(tmp_path, monkeypatch):
    """File-wide faults (dd/mm dates, an extra column, a dropped column) apply to every chunk."""
    monkeypatch.setattr("evalkit.demo.files.HEAD_ROWS", 1000)
    monkeypatch.setattr("evalkit.demo.files.CHUNK_ROWS", 30)
    root = write_demo(tmp_path, episodes=3000, seed=7, messy=True).parent
    for path in (root / "extracts").glob("*.csv"):
        data = path.read_bytes()
        text = data[3:].decode("cp1252") if data.startswith(b"\xef\xbb\xbf") else data.decode()
        rows = list(csv.reader(io.StringIO(text))) or [[]]  # the zero-byte file has no header
        assert {len(r) for r in rows[1:]} <= {len(rows[0])}, path.name
        if path.name == "council_participants.csv":
            assert len(rows) > 1001 and rows[0][-1] == "worker_notes"
            column = rows[0].index("referral_date")
            assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", r[column]) for r in rows[1:])


def test_a_workbook_over_the_excel_row_limit_is_refused(tmp_path):
    too_many = pd.DataFrame({"client_id": ["CT-1"] * 1_048_576})  # + header > 1,048,576 rows
    with pytest.raises(ConfigError, match="do not fit in one worksheet"):
        write_file(tmp_path, XlsxFile("extracts/vcs_wellbeing.xlsx", "wellbeing", too_many))
    assert not (tmp_path / "extracts" / "vcs_wellbeing.xlsx").exists()


def test_workbook_timestamps_are_fixed(clean):
    book = zipfile.ZipFile(clean / "extracts" / "vcs_wellbeing.xlsx")
    assert {info.date_time for info in book.infolist()} == {(2026, 1, 1, 0, 0, 0)}
    core = book.read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]*)<", core) == [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00Z",
    ]


# --- layout, config and file conventions -------------------------------------------------------


def test_folder_layout_and_config(clean):
    config = load_config(clean / "evaluation.yml")
    assert config.data_dir == clean.resolve()
    assert [p["slug"] for p in config.providers] == ["nhs_trust", "council", "vcs"]
    for provider in config.providers:
        assert (clean / "extracts" / f"{provider['slug']}_participants.csv").is_file()
    assert (clean / "extracts" / "vcs_wellbeing.xlsx").is_file()
    assert config.periods == EIGHT_QUARTERS
    assert config.contract is not None and str(config.contract.start) == "2024-07-01"
    assert sorted(config.sites) == ["East", "North", "South", "West"]
    assert sum(config.population_imd_quintile_share.values()) == pytest.approx(1)
    assert config.disclosure == DisclosurePolicy(threshold=8, round_to=5)
    for table in ("sources", "codebook", "codings", "cmocs"):
        assert (clean / "qual" / f"{table}.csv").is_file()
    written = set(__import__("yaml").safe_load((clean / "evaluation.yml").read_text()))
    assert written <= set(EvaluationConfig.__dataclass_fields__)


def test_referrals_spread_over_the_eight_quarters(clean):
    frames = [pd.read_csv(p, dtype=str) for p in (clean / "extracts").glob("*_participants.csv")]
    dates = pd.to_datetime(pd.concat(frames)["referral_date"], format="%Y-%m-%d")
    quarters = dates.dt.to_period("Q").astype(str).str.replace("Q", "-Q").value_counts()
    assert sorted(quarters.index) == EIGHT_QUARTERS
    assert quarters.min() > EPISODES * 0.06


def test_csv_extracts_follow_the_conventions(clean):
    for path in (clean / "extracts").glob("*.csv"):
        data = path.read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf") and b"\r" not in data, path.name
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        for column in ("referral_date", "start_date", "end_date", "quit_date", "date"):
            values = {r[column] for r in rows if column in r and r[column]}
            assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values), (path, column)
        if path.name.endswith("_measures.csv"):  # all but weight and height are whole numbers
            whole = [r["value"] for r in rows if r["measure"] not in ("weight_kg", "height_cm")]
            assert whole and all(re.fullmatch(r"\d+", v) for v in whole), path.name


# --- names match the contract ----------------------------------------------------------------


def test_participant_columns_are_the_contracted_names(clean):
    contract = _ticked(_section("`participants` — one row", "`measures` — long"))
    header = next(csv.reader((clean / "extracts" / "council_participants.csv").open()))
    assert header == [c for c in TABLES["participants"].names if c in header]
    assert set(header) <= contract
    assert set(TABLES["participants"].required) <= set(header)


def test_measure_names_and_timepoints_are_contracted():
    tables = generate(EPISODES, seed=3)
    measures = tables["measures"]
    assert list(measures.columns) == TABLES["measures"].names
    assert set(measures["measure"]) <= _measure_names_in_contract()
    assert set(measures["timepoint"]) <= {"baseline", "followup_4wk", "exit"}
    p = tables["participants"]
    assert set(p["strands"].str.split(";").explode()) <= set(
        TABLES["participants"].column("strands").allowed
    )
    for column in (
        "referral_source",
        "exit_reason",
        "sex",
        "ethnicity",
        "family_background",
        "disability",
        "delivery_mode",
        "age_band",
    ):
        assert set(p[column]) <= set(TABLES["participants"].column(column).allowed), column


def test_wellbeing_workbook_is_the_wide_template(clean):
    sheet = openpyxl.load_workbook(clean / "extracts" / "vcs_wellbeing.xlsx").active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert header == TABLES["wellbeing"].names
    first = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert isinstance(first[2], dt.datetime) and all(isinstance(v, int) for v in first[3:17])


def test_cmocs_name_episode_table_outcomes_and_known_codes():
    tables = generate(EPISODES, seed=3)
    episode_section = _section("## The episode table", "## Loading for notebooks")
    outcomes = {t.replace("<inst>", "wemwbs") for t in _ticked(episode_section)}
    cmocs = tables["cmocs"]
    assert set(cmocs["outcome_measure"]) <= outcomes
    assert 5 <= len(cmocs) <= 6
    assert set(cmocs["cmoc_id"]) == {c.cmoc_id for c in PLANTED.cmocs}
    code_names = set(tables["codebook"]["name"])
    for codes in cmocs["codes"]:
        assert set(codes.split(";")) <= code_names
    assert not all(c.holds_in_numbers for c in PLANTED.cmocs)


def test_clean_demo_passes_validation_without_an_issue(clean):
    result = validate_directory(clean, load_config(clean / "evaluation.yml"))
    assert result.issues.empty, result.issues.head().to_dict("records")
    assert len(result.tables["participants"]) == EPISODES


# --- qualitative evidence ----------------------------------------------------------------------


def test_qualitative_tables_are_realistic_and_consistent(clean):
    tables = generate(EPISODES, seed=7)  # the seed of the `clean` folder
    sources, codebook, codings = tables["sources"], tables["codebook"], tables["codings"]
    assert 20 <= len(sources) <= 30
    assert {"commissioner", "provider_manager", "frontline_staff", "service_user"} <= set(
        sources["stakeholder_group"]
    )
    assert not sources["name"].str.contains(r"[A-Z]{2}-\d{7}").any()  # never a client_id
    parents = codebook[codebook["parent_id"].isna()].set_index("code_id")
    assert set(parents["name"]) == {
        "Context",
        "Mechanism – resource",
        "Mechanism – reasoning",
        "Outcome",
    }
    children = codebook[codebook["parent_id"].notna()]
    assert (children["kind"] == children["parent_id"].map(parents["kind"])).all()
    prefix = {
        "context": "C:",
        "mechanism_resource": "M:",
        "mechanism_reasoning": "M:",
        "outcome": "O:",
    }
    assert all(
        n.startswith(prefix[k]) for n, k in zip(children["name"], children["kind"], strict=True)
    )
    assert set(codings["source_id"]) <= set(sources["source_id"])
    assert set(codings["code_id"]) <= set(children["code_id"])
    assert codings["coding_id"].is_unique and set(codings["coder"]) == {
        "evaluator_1",
        "evaluator_2",
    }
    for row in codings.sample(20, random_state=0).itertuples():
        transcript = (clean / "qual" / "transcripts" / f"{row.source_id}.txt").read_text(
            encoding="utf-8"
        )
        assert transcript[row.start : row.end] == row.text


def _evidence(tables: dict, cmoc) -> pd.DataFrame:
    """Sources with excerpts carrying at least two of the CMOC's codes."""
    code_id = tables["codebook"].set_index("name")["code_id"]
    mine = tables["codings"][tables["codings"]["code_id"].isin(code_id[list(cmoc.codes)])]
    per_excerpt = mine.groupby(["source_id", "start"])["code_id"].nunique()
    strong = per_excerpt[per_excerpt >= 2].reset_index()["source_id"].unique()
    return tables["sources"][tables["sources"]["source_id"].isin(strong)]


@pytest.mark.parametrize("cmoc", PLANTED.cmocs, ids=lambda c: c.cmoc_id)
def test_codings_carry_the_planted_strength_of_evidence(cmoc):
    evidence = _evidence(generate(10, seed=5), cmoc)
    sites = evidence["site"].dropna().nunique()
    if cmoc.qualitative_evidence == "strong":
        assert len(evidence) >= 5 and evidence["stakeholder_group"].nunique() >= 3 and sites >= 3
    elif cmoc.qualitative_evidence == "thin":
        assert 1 <= len(evidence) <= 2 and sites == 1
    else:
        assert 3 <= len(evidence) <= 4


# --- the messy demo ------------------------------------------------------------------------------


def test_messy_plants_every_fault_class_of_the_issue(manifest):
    assert ISSUE_FAULT_CLASSES <= set(manifest["fault_class"])
    assert set(manifest["expected"]) == {"error", "warning", "accepted"}


def test_messy_needs_enough_rows():
    with pytest.raises(ConfigError, match="at least 200 episodes"):
        write_demo("/nonexistent", episodes=50, messy=True)


def _cell(root: Path, file: str, row: str, column: str) -> str | None:
    """The cell as a spreadsheet user sees it (row 1 = header), read without evalkit."""
    path = root / file
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path).active
        header = [c.value for c in sheet[1]]
        value = sheet.cell(int(row), header.index(column) + 1).value
        return None if value is None else str(value)
    data = path.read_bytes()
    text = data.decode("utf-8-sig") if b"\xe9" not in data else data[3:].decode("cp1252")
    rows = list(csv.reader(io.StringIO(text)))
    return rows[int(row) - 1][rows[0].index(column)]


def test_every_cell_fault_is_where_the_manifest_says(messy, manifest):
    cells = manifest[(manifest["row"] != "") & (manifest["row"] != "1")]
    assert len(cells) >= 15
    for fault in cells.itertuples():
        assert _cell(messy, fault.file, fault.row, fault.column) == fault.value, fault


def test_file_faults_are_as_described(messy, manifest):
    extracts = messy / "extracts"
    assert not (extracts / "council_measures.csv").exists()
    assert (extracts / "council_participants.csv").exists()
    assert (extracts / "nhs_trust_talking_therapy.csv").read_bytes() == b""
    assert (extracts / "vcs_lifestyle.csv").read_text() == ",".join(
        TABLES["lifestyle"].names
    ) + "\n"
    assert "date" not in next(csv.reader((extracts / "vcs_measures.csv").open()))
    data = (extracts / "council_participants.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        data[3:].decode("utf-8")
    text = data[3:].decode("cp1252")
    assert "é" in text and "£" in text and "worker_notes" in text.splitlines()[0]


def test_accepted_dates_equal_the_clean_dates(clean, messy, manifest):
    """dd/mm/yyyy and Excel serials (days since 1899-12-30) denote the clean file's dates."""
    for fault in manifest[manifest["fault_class"].str.startswith("date as")].itertuples():
        original = _cell(clean, fault.file, fault.row, fault.column)
        if fault.fault_class == "date as dd/mm/yyyy":
            planted = dt.datetime.strptime(fault.value, "%d/%m/%Y").date()
        else:
            planted = (dt.datetime(1899, 12, 30) + dt.timedelta(days=int(fault.value))).date()
        assert planted.isoformat() == original


def test_missing_tokens_replace_blank_cells(clean, manifest):
    tokens = manifest[manifest["fault_class"].isin(["N/A", "-", "blank string"])]
    assert set(tokens["value"].str.strip()) == {"N/A", "-", ""}
    for fault in tokens.itertuples():
        assert _cell(clean, fault.file, fault.row, fault.column) in ("", None)


def _reported(issues: pd.DataFrame, fault) -> pd.DataFrame:
    same_file = issues[issues["file"] == fault.file]
    if fault.row in ("",):
        return same_file
    return same_file[same_file["row"].astype("string") == fault.row]


def test_validator_reports_every_planted_fault(messy, manifest):
    issues = validate_directory(messy, load_config(messy / "evaluation.yml")).issues
    expected = manifest[manifest["expected"].isin(["error", "warning"])]
    for fault in expected.itertuples():
        found = _reported(issues, fault)
        assert not found.empty, fault
        assert (found["severity"] == fault.expected).any(), (fault, found["rule"].tolist())
