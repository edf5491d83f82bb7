"""The mapping-file schema (evalkit.data.mapping): strict keys, targets that exist, messages
naming the mapping file, key path and value."""

import textwrap
from pathlib import Path

import pytest
import yaml

from evalkit.config import EvaluationConfig, load_config
from evalkit.data.mapping import load_mapping, matching_files, parse_mapping
from evalkit.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures" / "provider_exports"


def _problems(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_mapping(yaml.safe_load(textwrap.dedent(text)), "mappings/north.yml")
    return str(caught.value)


def test_fixture_mapping_loads():
    mapping = load_mapping(FIXTURES / "slimwell.yml")
    entry = mapping.files[0]
    assert mapping.provider == "slimwell"
    assert entry.feeds == ["participants", "measures"]
    assert entry.values["sex"]["Male"] == "male"
    assert entry.measures[0].timepoints["exit"] == ["End Weight (st)", "End Weight (lb)"]
    assert entry.age_from_birth is not None and entry.age_from_birth.column == "Date of Birth"


def test_unknown_key_gets_did_you_mean():
    message = _problems(
        """
        provider: north
        files:
          - pattern: x.csv
            colums: {Ref: client_id}
        """
    )
    assert message.startswith("mappings/north.yml: 1 problem")
    assert "files[0].colums: unknown setting (did you mean 'columns'?)" in message


def test_unknown_target_column_names_key_and_value():
    message = _problems(
        """
        provider: north
        files:
          - pattern: x.csv
            columns: {Client Ref: clientid, Gender: sex}
        """
    )
    assert "files[0].columns.Client Ref: unknown evalkit column 'clientid'" in message
    assert "did you mean 'client_id'?" in message


def test_value_map_target_must_be_an_evalkit_code():
    message = _problems(
        """
        provider: north
        files:
          - pattern: x.csv
            columns: {Gender: sex, Ending Reason: exit_reason}
            values:
              sex: {M: man}
              exit_reason: {Completed treatment: complete}
        """
    )
    assert "files[0].values.sex.M: 'man' is not an evalkit code of sex" in message
    assert "files[0].values.exit_reason.Completed treatment: 'complete'" in message
    assert "did you mean 'completed'?" in message


def test_value_map_for_a_column_the_file_does_not_have():
    message = _problems(
        """
        provider: north
        files:
          - pattern: x.csv
            columns: {Gender: sex}
            values: {ethnicity: {W: white}}
        """
    )
    assert "files[0].values.ethnicity: no column of the file is renamed to 'ethnicity'" in message


def test_unquoted_yes_no_keys_are_refused_with_a_quoting_hint():
    message = _problems(
        """
        provider: north
        files:
          - pattern: x.csv
            columns: {Disabled: disability}
            values: {disability: {Yes: "yes", No: "no"}}
        """
    )
    assert "files[0].values.disability" in message
    assert 'put it in quotes, e.g. "Yes"' in message


def test_unit_must_fit_the_measure_and_have_its_parts():
    message = _problems(
        """
        provider: north
        files:
          - pattern: x.csv
            feeds: [participants, measures]
            measures:
              - {measure: height_cm, unit: pounds, timepoints: {baseline: Height}}
              - {measure: weight_kg, unit: stones_pounds, timepoints: {baseline: Weight}}
              - {measure: weight_kg, unit: stone, timepoints: {baseline: Weight}}
        """
    )
    assert "files[0].measures[0]: unit 'pounds' gives kg, but height_cm is in cm" in message
    assert "unit 'stones_pounds' needs 2 column(s) (stones, pounds), got 1" in message
    assert "unknown unit 'stone' (did you mean 'stones'?)" in message


def test_unknown_measure_timepoint_and_table():
    message = _problems(
        """
        provider: north
        files:
          - pattern: x.csv
            feeds: [participant]
            measures: [{measure: wieght_kg, timepoints: {basline: Weight}}]
        """
    )
    assert (
        "files[0].feeds[0]: unknown table 'participant' (did you mean 'participants'?)" in message
    )
    assert "unknown measure 'wieght_kg' (did you mean 'weight_kg'?)" in message
    assert "timepoints.basline: unknown timepoint 'basline' (did you mean 'baseline'?)" in message


def test_provider_must_be_a_slug():
    message = _problems("provider: North Trust\nfiles: [{pattern: x.csv}]\n")
    assert "provider: expected the provider's slug" in message


def test_missing_mapping_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"north\.yml: mapping file not found"):
        load_mapping(tmp_path / "north.yml")


def test_a_file_matches_one_entry_case_insensitively():
    mapping = parse_mapping(
        {"provider": "north", "files": [{"pattern": "iaptus_*.csv"}, {"pattern": "*.csv"}]}, "m"
    )
    paths = [Path("extracts/IAPTUS_2026.csv"), Path("extracts/other.csv")]
    matched = matching_files(mapping, paths)
    assert matched[0][1] == [paths[0]]
    assert matched[1][1] == [paths[1]]


def test_config_lists_mappings(tmp_path):
    path = tmp_path / "evaluation.yml"
    path.write_text("name: T\ndata_dir: .\nmappings: [mappings/north.yml]\n")
    assert load_config(path).mappings == ["mappings/north.yml"]
    path.write_text("name: T\ndata_dir: .\nmapings: [mappings/north.yml]\n")
    with pytest.raises(
        ConfigError, match=r"mapings: unknown setting \(did you mean 'mappings'\?\)"
    ):
        load_config(path)
    with pytest.raises(ConfigError, match="mappings: expected a list of provider mapping files"):
        EvaluationConfig(name="T", data_dir=Path("."), mappings="mappings/north.yml")
