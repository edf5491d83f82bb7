"""`evalkit map suggest` and `evalkit map check` (evalkit.data.mapping_suggest, mapping_check).

The expected target of every header of the fixtures is written out by hand.
"""

import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from evalkit.cli import app
from evalkit.config import load_config
from evalkit.data.mapping_check import check_mappings
from evalkit.data.mapping_suggest import suggest_mapping
from evalkit.data.validate import validate_directory

FIXTURES = Path(__file__).parent / "fixtures" / "provider_exports"

SLIMWELL_TARGETS = {
    "Client No": "client_id",
    "Gender": "sex",
    "Date of Birth": "date of birth: age derived, then dropped",
    "Ethnic Group": "ethnicity",
    "Referred By": "referral_source",
    "Referral Date": "referral_date",
    "Programme Start": "start_date",
    "Programme End": "end_date",
    "Outcome": "exit_reason",
    "Sessions": "contacts",
    "Start Weight (st)": "weight_kg (baseline)",
    "Start Weight (lb)": "weight_kg (baseline)",
    "End Weight (st)": "weight_kg (exit)",
    "End Weight (lb)": "weight_kg (exit)",
    "Height (ft)": "height_cm (baseline)",
    "Height (in)": "height_cm (baseline)",
    "Postcode": "postcode: used, then dropped",
}
IAPTUS_TARGETS = {
    "Referral ID": "client_id",
    "Gender": "sex",
    "Age at Referral": "age",
    "Ethnicity": "ethnicity",
    "Source of Referral": "referral_source",
    "Referral Received Date": "referral_date",
    "First Treatment Date": "start_date",
    "Discharge Date": "end_date",
    "Ending Reason": "exit_reason",
    "Primary Contact Mode": "delivery_mode",
    "Treatment Appointments": "treatment_sessions (exit)",
    "PHQ9 First": "phq9_total (baseline)",
    "PHQ9 Last": "phq9_total (exit)",
    "GAD7 First": "gad7_total (baseline)",
    "GAD7 Last": "gad7_total (exit)",
    "Postcode": "postcode: used, then dropped",
}


def _share_right(got, expected):
    return sum(got.get(h) == t for h, t in expected.items()) / len(expected)


def test_suggest_matches_the_headers_of_both_exports():
    for name, expected in (
        ("slimwell_clients_2026Q1.csv", SLIMWELL_TARGETS),
        ("iaptus_referrals_2026Q1.csv", IAPTUS_TARGETS),
    ):
        suggestion = suggest_mapping(FIXTURES / name, provider="p")
        assert _share_right(suggestion.targets, expected) >= 0.9, name
        assert suggestion.targets == expected, name


def test_suggest_proposes_units_dates_values_and_the_date_of_birth_rule():
    entry = suggest_mapping(FIXTURES / "slimwell_clients_2026Q1.csv", provider="p").mapping
    entry = entry["files"][0]
    assert entry["dates"] == {"day_first": True}  # 14/03/1970: a first part above 12
    assert entry["age_from_birth"] == {"column": "Date of Birth", "at": "referral_date"}
    assert entry["values"]["exit_reason"] == {
        "Completed Programme": "completed",
        "Declined": "declined",
        "Dropped Out": "disengaged",
    }
    assert entry["values"]["sex"] == {"F": "female", "M": "male", "Male": "male"}
    units = {m["measure"]: m.get("unit") for m in entry["measures"]}
    assert units == {"weight_kg": "stones_pounds", "height_cm": "feet_inches"}
    assert entry["postcode"] == "Postcode" and "ignore" not in entry


def test_what_cannot_be_mapped_is_listed_not_guessed(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "Client Ref,Gender,Favourite Colour,Weight at Referral,Visit Date\n"
        "A1,F,red,190,03/13/2026\nA2,X,blue,176,03/14/2026\nA3,M,green,212,04/01/2026\n"
    )
    suggestion = suggest_mapping(path, provider="p")
    assert suggestion.unmapped_columns == ["Favourite Colour", "Visit Date"]
    assert suggestion.unmapped_values == {"sex": ["X"]}
    assert "X" not in suggestion.mapping["files"][0]["values"]["sex"]
    assert "# Headers not mapped" in suggestion.text and "'Favourite Colour'" in suggestion.text
    assert "#   'X'" in suggestion.text
    # 190, 176 and 212 "kg" have a median of 190: pounds, said in the notes
    measures = suggestion.mapping["files"][0]["measures"]
    assert measures == [
        {"measure": "weight_kg", "unit": "pounds", "timepoints": {"baseline": "Weight at Referral"}}
    ]
    assert any("unit pounds inferred" in note for note in suggestion.notes)


def test_suggest_finds_the_header_below_title_lines_and_reads_month_first(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "Quarterly extract\n\nClient ID,Sex,Referral Date\nA1,F,03/13/2026\nA2,M,04/01/2026\n"
    )
    suggestion = suggest_mapping(path, provider="p")
    entry = suggestion.mapping["files"][0]
    assert entry["header_row"] == 3
    assert entry["dates"] == {"day_first": False}


def test_the_suggestion_is_a_mapping_that_validates_once_constants_are_added(tmp_path):
    suggestion = suggest_mapping(FIXTURES / "iaptus_referrals_2026Q1.csv", provider="nhs_trust")
    assert suggestion.text.startswith("# Suggested by `evalkit map suggest")
    mapping = yaml.safe_load(suggestion.text)
    mapping["files"][0]["constants"] = {
        "provider": "Northgate NHS Foundation Trust",
        "site": "North",
        "strands": "talking_therapy",
    }
    (tmp_path / "extracts").mkdir()
    (tmp_path / "mappings").mkdir()
    shutil.copy(FIXTURES / "iaptus_referrals_2026Q1.csv", tmp_path / "extracts")
    (tmp_path / "mappings" / "nhs_trust.yml").write_text(yaml.safe_dump(mapping))
    (tmp_path / "evaluation.yml").write_text(
        "name: T\ndata_dir: .\nproviders:\n"
        "- {name: Northgate NHS Foundation Trust, slug: nhs_trust}\n"
        "mappings: [mappings/nhs_trust.yml]\n"
    )
    result = validate_directory(tmp_path, load_config(tmp_path / "evaluation.yml"))
    assert result.ok, result.issues.to_string()
    assert len(result.tables["measures"]) == 18


def _evaluation(tmp_path, replace=("", "")):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "mappings").mkdir()
    text = (FIXTURES / "slimwell_clients_2026Q1.csv").read_text().replace(*replace)
    (tmp_path / "extracts" / "slimwell_clients_2026Q1.csv").write_text(text)
    shutil.copy(FIXTURES / "slimwell.yml", tmp_path / "mappings")
    (tmp_path / "evaluation.yml").write_text(
        "name: T\ndata_dir: .\nproviders:\n- {name: Slimwell Weight Management, slug: slimwell}\n"
        "mappings: [mappings/slimwell.yml]\n"
    )
    return tmp_path


def test_map_check_lists_unmapped_values_and_columns(tmp_path):
    folder = _evaluation(tmp_path, ("Community Pharmacy", "Pharmacy"))
    (folder / "extracts" / "slimwell_clients_2026Q1.csv").write_text(
        (folder / "extracts" / "slimwell_clients_2026Q1.csv")
        .read_text()
        .replace("Postcode", "Post Town")
    )
    found = check_mappings(load_config(folder / "evaluation.yml"))
    rows = found[["kind", "row", "column", "value"]].astype(object)
    assert rows.where(rows.notna(), None).values.tolist() == [
        ["unmapped column", None, "Post Town", "Post Town"],
        ["unmapped value", 5, "Referred By", "Pharmacy"],
    ]
    run = CliRunner().invoke(app, ["map", "check", str(folder), "--rows", "2"])
    assert run.exit_code == 1
    assert "== extracts/slimwell_clients_2026Q1.csv" in run.output
    assert "row 5 Referred By: 'Pharmacy'" in run.output
    assert "Post Town" in run.output
    assert "89.8113" in run.output  # SW-001's 14 st 2 lb, as evalkit reads it


def test_map_check_passes_a_clean_mapping(tmp_path):
    folder = _evaluation(tmp_path)
    run = CliRunner().invoke(app, ["map", "check", str(folder)])
    assert run.exit_code == 0, run.output
    assert "participants (4 rows)" in run.output


def test_map_suggest_writes_the_file(tmp_path):
    out = tmp_path / "mappings" / "slimwell.yml"
    run = CliRunner().invoke(
        app,
        [
            "map",
            "suggest",
            str(FIXTURES / "slimwell_clients_2026Q1.csv"),
            "--provider",
            "slimwell",
            "--out",
            str(out),
        ],
    )
    assert run.exit_code == 0, run.output
    assert yaml.safe_load(out.read_text())["provider"] == "slimwell"
    assert "matched 17 of 17 headers" in run.output


def test_validate_command_reads_an_evaluation_of_provider_exports_only(tmp_path):
    folder = _evaluation(tmp_path)
    run = CliRunner().invoke(app, ["validate", str(folder)])
    assert run.exit_code == 0, run.output
    assert "made from 4 rows through mappings/slimwell.yml" in run.output
