"""IMD from LSOA or postcode through the official lookups (evalkit.data.geography).

The lookups are small extracts in the official files' exact column layouts (IoD2019 File 1
CSV, IoD2025 File 1 workbook, ONS Postcode Directory); their numbers are invented, so each
expected decile below is read off the fixture by hand.
"""

import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evalkit.config import load_config
from evalkit.data.geography import load_imd_lookup, normalise_postcode
from evalkit.data.validate import validate_directory, write_validation
from evalkit.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "provider_exports"
IOD2025_HEADER = [
    "LSOA code (2021)",
    "LSOA name (2021)",
    "Local Authority District code (2024)",
    "Local Authority District name (2024)",
    "Index of Multiple Deprivation (IMD) Score",
    "Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)",
    "Index of Multiple Deprivation (IMD) Decile (where 1 is most deprived 10% of LSOAs)",
]
IOD2025_ROWS = [
    ["E01011229", "Leeds 111A", "E08000035", "Leeds", 61.2, 2950, 2],
    ["E01033035", "Leeds 072F", "E08000035", "Leeds", 40.1, 8120, 3],
    ["E01011505", "Leeds 020B", "E08000035", "Leeds", 9.8, 29001, 9],
]


def _iod2025(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["English Indices of Deprivation 2025: File 1"])
    sheet = book.create_sheet("IMD25")
    sheet.append(IOD2025_HEADER)
    for row in IOD2025_ROWS:
        sheet.append(row)
    book.save(path)
    return path


def test_iod2019_file1_layout():
    lookup = load_imd_lookup(FIXTURES / "iod2019_file1_extract.csv")
    assert (lookup.vintage, lookup.boundaries) == ("IoD2019", "2011")
    assert lookup.table.loc["E01011229"].tolist() == [412, 1]
    assert lookup.table.loc["E01011505"].tolist() == [30215, 10]


def test_iod2025_file1_workbook_layout(tmp_path):
    lookup = load_imd_lookup(_iod2025(tmp_path / "File_1_IoD2025.xlsx"))
    assert (lookup.vintage, lookup.boundaries) == ("IoD2025", "2021")
    assert lookup.table["imd_decile"].to_dict() == {
        "E01011229": 2,
        "E01033035": 3,
        "E01011505": 9,
    }


def test_a_file_that_is_not_file1_is_refused_with_its_headers(tmp_path):
    path = tmp_path / "lookup.csv"
    path.write_text("lsoa,decile\nE01011229,1\n")
    with pytest.raises(ConfigError, match=r"not an English Indices of Deprivation File 1.*lsoa"):
        load_imd_lookup(path)
    with pytest.raises(ConfigError, match="geography.imd_lookup: .* not found"):
        load_imd_lookup(tmp_path / "missing.xlsx")


def test_postcode_lookup_needs_the_boundaries_of_the_iod(tmp_path):
    path = tmp_path / "onspd.csv"
    path.write_text("pcds,lsoa11\nLS9 8AA,E01011229\n")
    with pytest.raises(ConfigError, match="LSOA 2021 column"):
        load_imd_lookup(_iod2025(tmp_path / "iod.xlsx"), path)


def test_postcodes_are_normalised():
    assert normalise_postcode("ls9 8aa") == normalise_postcode("LS9  8AA") == "LS98AA"


def _evaluation(tmp_path, mapping: str, geography: str, export: str, name: str):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "mappings").mkdir()
    (tmp_path / "extracts" / name).write_text(export)
    (tmp_path / "mappings" / "provider.yml").write_text(mapping)
    (tmp_path / "evaluation.yml").write_text(
        "name: T\ndata_dir: .\nproviders:\n"
        "- {name: Northgate NHS Foundation Trust, slug: nhs_trust}\n"
        "- {name: Slimwell Weight Management, slug: slimwell}\n"
        f"mappings: [mappings/provider.yml]\ngeography:\n{geography}"
    )
    config = load_config(tmp_path / "evaluation.yml")
    config.providers = [p for p in config.providers if p["slug"] in mapping]
    return validate_directory(tmp_path, config)


def test_imd_from_postcodes_through_iod2025_and_the_postcode_directory(tmp_path):
    (tmp_path / "lookups").mkdir()
    _iod2025(tmp_path / "lookups" / "File_1_IoD2025.xlsx")
    shutil.copy(FIXTURES / "onspd_extract.csv", tmp_path / "lookups")
    mapping = (
        (FIXTURES / "nhs_trust.yml")
        .read_text()
        .replace("    ignore: [Postcode]\n", "    postcode: Postcode\n")
    )
    result = _evaluation(
        tmp_path,
        mapping,
        "  imd_lookup: lookups/File_1_IoD2025.xlsx\n  postcode_lookup: lookups/onspd_extract.csv\n",
        (FIXTURES / "iaptus_referrals_2026Q1.csv").read_text(),
        "iaptus_referrals_2026Q1.csv",
    )
    people = result.tables["participants"].set_index("client_id")
    # LS9 8AA -> E01011229 -> decile 2; LS8 1BB -> E01033035 (lsoa21, not lsoa11) -> 3;
    # LS7 2CC -> E01011505 -> 9; LS6 3DD is not in the directory: IMD unknown, person kept
    assert people["imd_decile"].astype(object).where(
        people["imd_decile"].notna(), None
    ).tolist() == [
        2,
        3,
        9,
        None,
    ]
    assert people["lsoa_code"].tolist()[:3] == ["E01011229", "E01033035", "E01011505"]
    assert people["imd_rank"].isna().all()  # evalkit's rank is IoD2019's; IoD2025 gives deciles
    warning = result.issues[result.issues["rule"].str.startswith("postcode not found")]
    assert warning[["severity", "row", "column"]].values.tolist() == [["warning", 5, "Postcode"]]
    assert "LS6" not in str(warning["value"].iloc[0])  # the postcode is not repeated
    assert result.ok, result.errors.to_string()
    write_validation(result, tmp_path / "validated")
    written = "".join(
        pd.read_parquet(p).astype(str).to_csv() for p in (tmp_path / "validated").rglob("*.parquet")
    ) + "".join(p.read_text() for p in (tmp_path / "validated").rglob("*.csv"))
    for postcode in ("LS9 8AA", "LS8 1BB", "LS7 2CC", "LS6 3DD", "LS98AA", "LS63DD"):
        assert postcode not in written


def test_imd_from_lsoa_codes_through_iod2019_reports_codes_of_other_boundaries(tmp_path):
    export = (FIXTURES / "slimwell_clients_2026Q1.csv").read_text().splitlines()
    lsoas = ["LSOA", "E01011229", "E01033035", "E01011505", ""]
    export = "\n".join(f"{line},{code}" for line, code in zip(export, lsoas, strict=True)) + "\n"
    mapping = (
        (FIXTURES / "slimwell.yml")
        .read_text()
        .replace("      Sessions: contacts\n", "      Sessions: contacts\n      LSOA: lsoa_code\n")
    )
    (tmp_path / "lookups").mkdir()
    shutil.copy(FIXTURES / "iod2019_file1_extract.csv", tmp_path / "lookups")
    result = _evaluation(
        tmp_path,
        mapping,
        "  imd_lookup: lookups/iod2019_file1_extract.csv\n",
        export,
        "slimwell_clients_2026Q1.csv",
    )
    people = result.tables["participants"].set_index("client_id")
    assert people.loc["SW-001", ["imd_rank", "imd_decile"]].tolist() == [412, 1]
    assert people.loc["SW-003", ["imd_rank", "imd_decile"]].tolist() == [30215, 10]
    assert people.loc[["SW-002", "SW-004"], "imd_decile"].isna().all()
    warning = result.issues[result.issues["rule"].str.startswith("LSOA code not in")].iloc[0]
    assert (warning["row"], warning["value"]) == (3, "E01033035")
    assert "(IoD2019, LSOA 2011 codes)" in warning["rule"]
    assert len(people) == 4  # nobody is lost for an unknown LSOA
