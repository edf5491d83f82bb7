"""A provider's own export validated through its mapping (evalkit.data.provider_exports).

The fixture ``slimwell_clients_2026Q1.csv`` is written in the provider's layout (their headers,
codes, dd/mm/yyyy dates, weights in stones and pounds, heights in feet and inches, a date of
birth and a postcode). Every expected value below is worked by hand.
"""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from evalkit.config import load_config
from evalkit.data.validate import validate_directory, write_validation

FIXTURES = Path(__file__).parent / "fixtures" / "provider_exports"
EXPORT = "slimwell_clients_2026Q1.csv"
CONFIG = """name: Test
data_dir: .
providers:
- {name: Slimwell Weight Management, slug: slimwell}
mappings: [mappings/slimwell.yml]
"""


def _evaluation(tmp_path, export=None, mapping=None, name=EXPORT):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "mappings").mkdir()
    text = (FIXTURES / EXPORT).read_text() if export is None else export
    (tmp_path / "extracts" / name).write_text(text)
    rules = (FIXTURES / "slimwell.yml").read_text() if mapping is None else mapping
    (tmp_path / "mappings" / "slimwell.yml").write_text(rules)
    (tmp_path / "evaluation.yml").write_text(CONFIG)
    return validate_directory(tmp_path, load_config(tmp_path / "evaluation.yml"))


def _adds_up(result):
    recon = result.reconciliation
    assert (recon["read"] == recon["kept"] + recon["quarantined"]).all()
    return recon.set_index("table")


def test_the_export_validates_through_its_mapping(tmp_path):
    result = _evaluation(tmp_path)
    assert result.ok, result.issues.to_string()
    people = result.tables["participants"].set_index("client_id")
    assert people["sex"].to_dict() == {
        "SW-001": "male",
        "SW-002": "female",
        "SW-003": "female",
        "SW-004": "male",  # "Male" as well as "M"
    }
    assert people["ethnicity"].tolist() == ["white", "asian", "black", "white"]
    assert people["referral_source"].tolist() == ["gp", "self", "gp", "community"]
    assert people["exit_reason"].tolist() == ["completed", "disengaged", "completed", "declined"]
    # day first: 05/01/2026 is 5 January
    assert people.loc["SW-001", "referral_date"] == pd.Timestamp("2026-01-05")
    assert people.loc["SW-001", "end_date"] == pd.Timestamp("2026-04-06")
    # constants
    assert set(people["provider"]) == {"Slimwell Weight Management"}
    assert set(people["site"]) == {"North"} and set(people["strands"]) == {"weight"}
    # age at referral: 14/03/1970 -> 55 on 05/01/2026 (birthday not yet reached);
    # 02/11/1985 -> 40; 29/02/1992 -> 33; 20/07/1958 -> 67
    assert people["age"].tolist() == [55, 40, 33, 67]
    assert people["age_band"].tolist() == ["55-64", "35-44", "25-34", "65-74"]
    assert people["source_row"].tolist() == [2, 3, 4, 5]


def test_weights_and_heights_are_converted(tmp_path):
    result = _evaluation(tmp_path)
    measures = result.tables["measures"]
    got = {(r.client_id, r.timepoint, r.measure): round(r.value, 2) for r in measures.itertuples()}
    assert got == {
        ("SW-001", "baseline", "weight_kg"): 89.81,  # 14 st 2 lb = 198 lb
        ("SW-001", "exit", "weight_kg"): 85.73,  # 13 st 7 lb = 189 lb
        ("SW-002", "baseline", "weight_kg"): 79.38,  # 12 st 7 lb = 175 lb
        ("SW-003", "baseline", "weight_kg"): 69.85,  # 11 st 0 lb = 154 lb
        ("SW-003", "exit", "weight_kg"): 67.59,  # 10 st 9 lb = 149 lb
        ("SW-001", "baseline", "height_cm"): 170.18,  # 5 ft 7 in = 67 in
        ("SW-002", "baseline", "height_cm"): 160.02,  # 5 ft 3 in
        ("SW-003", "baseline", "height_cm"): 165.10,  # 5 ft 5 in
    }
    dated = measures.set_index(["client_id", "timepoint", "measure"])["date"]
    assert dated["SW-001", "exit", "weight_kg"] == pd.Timestamp("2026-04-06")
    rows = measures.set_index(["client_id", "timepoint", "measure"])["source_row"]
    assert rows["SW-003", "exit", "weight_kg"] == 4  # the provider's spreadsheet row
    recon = _adds_up(result)
    assert recon.loc["measures", "unit"] == "values" and recon.loc["measures", "read"] == 8
    assert recon.loc["participants", "read"] == 4


def test_no_date_of_birth_or_postcode_is_kept(tmp_path):
    export = (FIXTURES / EXPORT).read_text().replace("Community Pharmacy", "Pharmacy")
    result = _evaluation(tmp_path, export)
    write_validation(result, tmp_path / "validated")
    written = "".join(
        pd.read_parquet(p).astype(str).to_csv() for p in (tmp_path / "validated").rglob("*.parquet")
    )
    written += "".join(p.read_text() for p in (tmp_path / "validated").rglob("*.csv"))
    assert "SW-004" in written  # the quarantined row is there ...
    for secret in (
        "14/03/1970",
        "20/07/1958",
        "1970-03-14",
        "LS1 4AP",
        "Date of Birth",
        "Postcode",
    ):
        assert secret not in written  # ... without its date of birth or postcode


def test_an_unmapped_value_is_an_error_in_the_providers_terms(tmp_path):
    export = (FIXTURES / EXPORT).read_text().replace("Community Pharmacy", "Pharmacy")
    result = _evaluation(tmp_path, export)
    errors = result.errors
    mine = errors[errors["rule"].str.contains("value map")]
    assert len(mine) == 1
    issue = mine.iloc[0]
    assert issue["file"] == f"extracts/{EXPORT}"
    assert issue["row"] == 5 and issue["column"] == "Referred By" and issue["value"] == "Pharmacy"
    assert "values.referral_source of mappings/slimwell.yml" in issue["rule"]
    held = result.quarantine["participants"]
    assert held["Client No"].tolist() == ["SW-004"]  # the row as sent, under their headers
    assert held["Referred By"].tolist() == ["Pharmacy"]
    assert held["source_row"].tolist() == [5]
    recon = _adds_up(result)
    assert (recon.loc["participants", "kept"], recon.loc["participants", "quarantined"]) == (3, 1)


def test_validation_errors_name_the_providers_header_and_raw_value(tmp_path):
    export = (FIXTURES / EXPORT).read_text().replace("13/01/2026", "31/13/2026")
    result = _evaluation(tmp_path, export)
    dates = result.errors[result.errors["value"] == "31/13/2026"]
    assert set(dates["row"]) == {3}
    assert set(dates["column"]) == {"Programme Start -> start_date", "Programme Start -> date"}
    assert len(dates) == 2  # one per cell, not one per measure value made from it
    held = result.quarantine["participants"]
    assert held["Programme Start"].tolist() == ["31/13/2026"]
    _adds_up(result)


def test_a_conversion_out_of_range_names_the_parts_and_raw_values(tmp_path):
    # SW-003 baseline 1 st 0 lb = 6.35 kg: below the 30 kg floor of weight_kg
    export = (FIXTURES / EXPORT).read_text().replace("Programme,12,11,0,", "Programme,12,1,0,")
    result = _evaluation(tmp_path, export)
    issue = result.errors[result.errors["rule"].str.contains("30 to 350")].iloc[0]
    assert issue["row"] == 4
    assert issue["column"] == "Start Weight (st) + Start Weight (lb) -> value (weight_kg)"
    assert issue["value"] == "1 0"
    held = result.quarantine["measures"]
    assert held[["Client No", "measure", "source_row"]].values.tolist() == [
        ["SW-003", "weight_kg", 4]
    ]
    recon = _adds_up(result)
    assert (recon.loc["measures", "kept"], recon.loc["measures", "quarantined"]) == (7, 1)


def test_pounds_declared_as_kg_are_flagged_with_their_likely_unit(tmp_path):
    export = (
        "Client No,Gender,Age,Ethnic Group,Referred By,Referral Date,Weight\n"
        "SW-1,M,44,White British,GP,05/01/2026,190\n"
        "SW-2,F,51,White British,GP,06/01/2026,176\n"
        "SW-3,F,38,White British,GP,07/01/2026,212\n"
    )
    mapping = (FIXTURES / "slimwell.yml").read_text()
    mapping = mapping.split("    age_from_birth:")[0] + (
        "    measures:\n"
        "      - {measure: weight_kg, unit: kg, timepoints: {baseline: Weight}}\n"
        "    measure_dates: {baseline: Referral Date}\n"
    )
    mapping = mapping.replace("      Programme Start: start_date\n", "      Age: age\n")
    mapping = mapping.replace("      Programme End: end_date\n", "")
    mapping = mapping.replace("      Outcome: exit_reason\n", "").replace(
        "      Sessions: contacts\n", ""
    )
    mapping = mapping.replace(
        "      exit_reason: {Completed Programme: completed, Dropped Out: disengaged, "
        "Declined: declined}\n",
        "",
    )
    result = _evaluation(tmp_path, export, mapping)
    flagged = result.errors[result.errors["rule"].str.contains("look like")]
    assert len(flagged) == 1
    assert "pounds (lb), not kg" in flagged.iloc[0]["rule"]
    assert flagged.iloc[0]["column"] == "Weight"
    assert "unit: pounds" in flagged.iloc[0]["hint"]
    assert result.tables["measures"].empty  # 190 "kg" is not accepted
    assert len(result.quarantine["measures"]) == 3
    assert len(result.tables["participants"]) == 3  # the people themselves are kept
    _adds_up(result)


def test_a_header_the_file_lacks_and_a_pattern_matching_nothing(tmp_path):
    mapping = (FIXTURES / "slimwell.yml").read_text().replace("Gender: sex", "Sex: sex")
    mapping += '  - pattern: "slimwell_smoking*.csv"\n'
    result = _evaluation(tmp_path, mapping=mapping)
    rules = result.errors["rule"].tolist()
    assert "header 'Sex' named in mappings/slimwell.yml is not in the file" in rules
    assert "no file matches pattern 'slimwell_smoking*.csv' of mappings/slimwell.yml" in rules
    unread = result.issues[result.issues["rule"].str.startswith("column not named")]
    assert unread["value"].tolist() == ["Gender"]  # the column it has is listed, not guessed
    _adds_up(result)


def test_a_provider_workbook_sheet_below_title_lines(tmp_path):
    # the provider's workbook: a notes sheet first, the data on "Clients" under two title lines
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Exported from Slimwell CMS"])
    sheet = book.create_sheet("Clients")
    sheet.append(["Slimwell client export"])
    sheet.append(["Run 2026-04-30"])
    header, *rows = (FIXTURES / EXPORT).read_text().splitlines()
    sheet.append(header.split(","))
    for row in rows:  # numbers as numbers, blanks as empty cells, as Excel stores them
        sheet.append([int(c) if c.isdigit() else (c or None) for c in row.split(",")])
    (tmp_path / "extracts").mkdir()
    book.save(tmp_path / "extracts" / "slimwell_export.xlsx")
    (tmp_path / "mappings").mkdir()
    mapping = (
        (FIXTURES / "slimwell.yml")
        .read_text()
        .replace(
            '  - pattern: "slimwell_clients*.csv"\n',
            '  - pattern: "slimwell_export.xlsx"\n    sheet: Clients\n    header_row: 3\n',
        )
    )
    (tmp_path / "mappings" / "slimwell.yml").write_text(mapping)
    (tmp_path / "evaluation.yml").write_text(CONFIG)
    result = validate_directory(tmp_path, load_config(tmp_path / "evaluation.yml"))
    assert result.ok, result.issues.to_string()
    people = result.tables["participants"]
    assert people["source_row"].tolist() == [4, 5, 6, 7]
    assert set(people["source_file"]) == {"extracts/slimwell_export.xlsx [sheet Clients]"}
    assert people["age"].tolist() == [55, 40, 33, 67]
    weights = result.tables["measures"].query("measure == 'weight_kg'")["value"].round(2)
    assert weights.tolist() == [89.81, 79.38, 69.85, 85.73, 67.59]


@pytest.mark.parametrize("broken", ["colums:", "provider: Slimwell"])
def test_a_malformed_mapping_stops_validation_with_its_name(tmp_path, broken):
    mapping = (FIXTURES / "slimwell.yml").read_text()
    mapping = (
        mapping.replace("columns:", broken, 1)
        if broken == "colums:"
        else mapping.replace("provider: slimwell", broken)
    )
    from evalkit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"mappings/slimwell\.yml"):
        _evaluation(tmp_path, mapping=mapping)


def test_a_mapping_for_a_provider_evaluation_yml_does_not_list(tmp_path):
    mapping = (
        (FIXTURES / "slimwell.yml").read_text().replace("provider: slimwell", "provider: slimwel")
    )
    result = _evaluation(tmp_path, mapping=mapping)
    issue = result.errors[result.errors["column"] == "provider"].iloc[0]
    assert issue["file"] == "mappings/slimwell.yml" and issue["value"] == "slimwel"
    assert "is not a provider slug of evaluation.yml" in issue["rule"]
