"""Validation: each fault class on a hand-made input, named by file, row, column, value and rule.

Rows are spreadsheet rows: the header is row 1, so the first record is row 2.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from evalkit.config import EvaluationConfig
from evalkit.data.validate import validate_directory, write_validation

P_HEADER = (
    "client_id,provider,site,strands,referral_source,referral_date,start_date,end_date,"
    "exit_reason,contacts,age,sex,ethnicity,imd_decile,delivery_mode"
)
GOOD_P = (
    "A1,Trust,North,wellbeing,gp,2026-01-05,2026-01-10,2026-03-01,completed,5,40,female,white,1,"
    "group"
)
M_HEADER = "client_id,timepoint,date,measure,value"


def make(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    extracts = tmp_path / "extracts"
    extracts.mkdir()
    for name, content in files.items():
        path = extracts / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return tmp_path


def issue(result, **match) -> pd.DataFrame:
    found = result.issues
    for key, value in match.items():
        found = found[found[key] == value]
    assert len(found), f"no issue matching {match}:\n{result.issues.to_string()}"
    return found


def assert_reconciles(result) -> None:
    recon = result.reconciliation
    assert (recon["read"] == recon["kept"] + recon["quarantined"]).all()
    for table in ("participants", "measures"):
        rows = recon[(recon["table"] == table)]
        assert rows["kept"].sum() == len(result.tables[table])
        assert rows["quarantined"].sum() == len(result.quarantine[table])


def test_clean_input_has_no_issues_and_parses_types(tmp_path):
    d = make(
        tmp_path,
        {
            "t_participants.csv": f"{P_HEADER}\n{GOOD_P}\n",
            "t_measures.csv": f"{M_HEADER}\nA1,baseline,2026-01-10,wemwbs_01,4\n",
        },
    )
    result = validate_directory(d)
    assert result.issues.empty and result.ok
    p = result.tables["participants"]
    assert p.loc[0, "referral_date"] == pd.Timestamp("2026-01-05")
    assert p.loc[0, "contacts"] == 5 and p.loc[0, "imd_decile"] == 1
    assert result.tables["measures"].loc[0, "value"] == 4.0
    assert_reconciles(result)


def test_missing_file_for_a_listed_provider(tmp_path):
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{GOOD_P}\n"})
    config = EvaluationConfig(name="x", data_dir=d, providers=[{"name": "Trust", "slug": "t"}])
    result = validate_directory(d, config)
    found = issue(result, rule="missing file")
    assert found["file"].tolist() == ["extracts/t_measures.csv"]
    assert not result.ok


def test_empty_file_and_header_only_file(tmp_path):
    d = make(tmp_path, {"a_measures.csv": b"", "b_measures.csv": f"{M_HEADER}\n"})
    result = validate_directory(d)
    assert issue(result, rule="empty file")["file"].tolist() == ["extracts/a_measures.csv"]
    assert issue(result, rule="no data rows")["severity"].tolist() == ["warning"]
    assert_reconciles(result)


def test_missing_required_column_quarantines_every_row(tmp_path):
    header = P_HEADER.replace(",sex", "")
    row = GOOD_P.replace(",female", "")
    d = make(tmp_path, {"t_participants.csv": f"{header}\n{row}\n{row.replace('A1', 'A2')}\n"})
    result = validate_directory(d)
    found = issue(result, rule="missing required column")
    assert found[["file", "row", "column"]].values.tolist() == [
        ["extracts/t_participants.csv", 1, "sex"]
    ]
    assert len(result.tables["participants"]) == 0
    assert len(result.quarantine["participants"]) == 2
    assert "file lacks required column(s) sex" in result.quarantine["participants"].loc[0, "reason"]
    assert_reconciles(result)


def test_unknown_column_is_a_warning_and_rows_are_kept(tmp_path):
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER},Shoe Size\n{GOOD_P},9\n"})
    result = validate_directory(d)
    found = issue(result, rule="unknown column")
    assert found[["severity", "row", "column"]].values.tolist() == [["warning", 1, "shoe_size"]]
    assert result.ok and len(result.tables["participants"]) == 1


def test_wrong_type(tmp_path):
    bad = GOOD_P.replace(",5,40,", ",five,40,")
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{bad}\n"})
    result = validate_directory(d)
    found = issue(result, rule="wrong type")
    assert found[["row", "column", "value"]].values.tolist() == [[2, "contacts", "five"]]
    assert "whole number" in found["hint"].iloc[0]
    assert_reconciles(result)


def test_out_of_range_item_value_names_the_measure(tmp_path):
    d = make(
        tmp_path,
        {
            "t_participants.csv": f"{P_HEADER}\n{GOOD_P}\n",
            "t_measures.csv": f"{M_HEADER}\nA1,baseline,2026-01-10,wemwbs_01,4\n"
            "A1,baseline,2026-01-10,phq9_1,4\n",
        },
    )
    result = validate_directory(d)
    found = issue(result, table="measures")
    assert found[["row", "column", "value", "rule"]].values.tolist() == [
        [3, "value (phq9_1)", "4", "out-of-range item value (0 to 3)"]
    ]
    assert len(result.tables["measures"]) == 1
    assert_reconciles(result)


def test_value_outside_allowed_set(tmp_path):
    bad = GOOD_P.replace(",gp,", ",postman,")
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{bad}\n"})
    result = validate_directory(d)
    found = issue(result, column="referral_source")
    assert found["value"].tolist() == ["postman"]
    assert found["rule"].iloc[0].startswith("value outside allowed set (gp, self,")


def test_multi_valued_strands_checks_each_part(tmp_path):
    bad = GOOD_P.replace(",wellbeing,", ",wellbeing;yoga,")
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{bad}\n"})
    found = issue(validate_directory(d), column="strands")
    assert found["value"].tolist() == ["wellbeing;yoga"]


def test_a_client_id_at_two_providers_is_one_person_not_a_duplicate(tmp_path):
    # issue #13: only a repeat within one provider's files is a duplicate
    d = make(
        tmp_path,
        {
            "a_participants.csv": f"{P_HEADER}\n{GOOD_P}\n{GOOD_P}\n",
            "b_participants.csv": f"{P_HEADER}\n{GOOD_P.replace('Trust', 'CIC')}\n",
        },
    )
    result = validate_directory(d)
    found = issue(result, rule="duplicate client_id")
    assert found["file"].tolist() == ["extracts/a_participants.csv"] * 2
    assert found["row"].tolist() == [2, 3]
    assert len(result.quarantine["participants"]) == 2
    assert result.tables["participants"]["client_id"].tolist() == ["b:A1"]
    assert_reconciles(result)


def test_measure_for_an_unknown_client(tmp_path):
    d = make(
        tmp_path,
        {
            "t_participants.csv": f"{P_HEADER}\n{GOOD_P}\n",
            "t_measures.csv": f"{M_HEADER}\nZ9,baseline,2026-01-10,wemwbs_01,4\n",
        },
    )
    result = validate_directory(d)
    found = issue(result, rule="client_id not found in participants")
    assert found[["row", "value"]].values.tolist() == [[2, "Z9"]]
    assert_reconciles(result)


def test_follow_up_dated_before_baseline(tmp_path):
    d = make(
        tmp_path,
        {
            "t_participants.csv": f"{P_HEADER}\n{GOOD_P}\n",
            "t_measures.csv": f"{M_HEADER}\nA1,baseline,2026-01-10,wemwbs_01,4\n"
            "A1,exit,2026-01-03,wemwbs_01,5\n",
        },
    )
    result = validate_directory(d)
    found = issue(result, rule="follow-up dated before baseline")
    assert found[["row", "column", "value"]].values.tolist() == [[3, "date", "2026-01-03"]]
    assert len(result.tables["measures"]) == 1


def test_end_before_start(tmp_path):
    bad = GOOD_P.replace("2026-03-01", "2026-01-08")
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{bad}\n"})
    found = issue(validate_directory(d), rule="end_date is on or after start_date")
    assert found[["row", "column", "value"]].values.tolist() == [[2, "end_date", "2026-01-08"]]


def test_excel_cp1252_csv_with_bom_is_read_and_flagged(tmp_path):
    text = f"{P_HEADER}\n{GOOD_P.replace('Trust', 'Café £ Trust')}\n"
    d = make(tmp_path, {"t_participants.csv": b"\xef\xbb\xbf" + text.encode("cp1252")})
    result = validate_directory(d)
    assert result.tables["participants"].loc[0, "provider"] == "Café £ Trust"
    found = issue(result, severity="warning")
    assert found["value"].tolist() == ["cp1252 with BOM"]
    assert "Windows-1252" in found["rule"].iloc[0]


def test_uk_dates_and_excel_serial_dates(tmp_path):
    # 46027 days after 1899-12-30 is 2026-01-05 (Excel's serial date for 5 Jan 2026)
    row = GOOD_P.replace("2026-01-05,2026-01-10", "05/01/2026,46032")
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{row}\n"})
    result = validate_directory(d)
    p = result.tables["participants"]
    assert p.loc[0, "referral_date"] == pd.Timestamp("2026-01-05")
    assert p.loc[0, "start_date"] == pd.Timestamp("2026-01-10")
    assert result.ok


def test_impossible_date_is_wrong_type(tmp_path):
    row = GOOD_P.replace("2026-01-05", "31/02/2026")
    found = issue(
        validate_directory(make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{row}\n"})),
        rule="wrong type",
    )
    assert found[["column", "value"]].values.tolist() == [["referral_date", "31/02/2026"]]


@pytest.mark.parametrize("token", ["N/A", "-", "", "  "])
def test_missing_tokens_read_as_blank(tmp_path, token):
    row = GOOD_P.replace(",5,40,", f",{token},40,")
    result = validate_directory(make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{row}\n"}))
    assert result.ok
    assert pd.isna(result.tables["participants"].loc[0, "contacts"])


@pytest.mark.parametrize("token", ["N/A", "-", ""])
def test_missing_token_in_a_required_column_is_an_error(tmp_path, token):
    row = GOOD_P.replace(",female,", f",{token},")
    result = validate_directory(make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{row}\n"}))
    found = issue(result, column="sex")
    assert found["rule"].tolist() == ["required value is blank"]


def test_wide_template_in_xlsx_melts_and_reports_the_cell(tmp_path):
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{GOOD_P}\n"})
    wide = pd.DataFrame(
        {
            "client_id": ["A1", "A1"],
            "timepoint": ["baseline", "exit"],
            "date": ["2026-01-10", "2026-03-01"],
            "wemwbs_01": [4, 9],
            "wemwbs_02": [None, 3],
        }
    )
    wide.to_excel(d / "extracts" / "t_wellbeing.xlsx", index=False)
    result = validate_directory(d)
    found = issue(result, table="measures")
    # the 9 is in spreadsheet row 3 (second record), column wemwbs_01
    assert found[["file", "row", "column", "value"]].values.tolist() == [
        ["extracts/t_wellbeing.xlsx", 3, "value (wemwbs_01)", "9"]
    ]
    assert sorted(result.tables["measures"]["value"]) == [3.0, 4.0]
    recon = result.reconciliation.set_index(["table", "file"])
    values = recon.loc[("measures", "extracts/t_wellbeing.xlsx")]
    assert (values["unit"], values["read"], values["kept"], values["quarantined"]) == (
        "values",
        3,
        2,
        1,
    )
    assert "1 blank cells" in recon.loc[("wellbeing", "extracts/t_wellbeing.xlsx"), "note"]


def test_every_failure_is_collected_not_just_the_first(tmp_path):
    rows = [
        GOOD_P.replace(",5,", ",x,"),
        GOOD_P.replace("A1", "A2").replace(",white,", ",blue,"),
        GOOD_P.replace("A1", "A3").replace(",40,", ",200,"),
    ]
    result = validate_directory(
        make(tmp_path, {"t_participants.csv": P_HEADER + "\n" + "\n".join(rows) + "\n"})
    )
    assert sorted(result.errors["row"]) == [2, 3, 4]
    assert len(result.quarantine["participants"]) == 3


def test_write_validation_outputs(tmp_path):
    d = make(tmp_path, {"t_participants.csv": f"{P_HEADER}\n{GOOD_P}\n{GOOD_P}\n"})
    result = validate_directory(d)
    out = write_validation(result, d / "validated")
    quarantine = pd.read_csv(out / "quarantine" / "participants.csv")
    assert quarantine["reason"].tolist() == ["client_id: duplicate client_id ('A1')"] * 2
    assert quarantine["source_row"].tolist() == [2, 3]
    assert pd.read_csv(out / "reconciliation.csv")["read"].sum() == 2
    assert (out / "clean" / "participants.parquet").exists()


def test_cli_validate_exits_non_zero_on_errors(tmp_path):
    from typer.testing import CliRunner

    from evalkit.cli import app

    d = make(
        tmp_path, {"t_participants.csv": f"{P_HEADER}\n{GOOD_P.replace(',1,group', ',11,group')}\n"}
    )
    result = CliRunner().invoke(app, ["validate", str(d)])
    assert result.exit_code == 1
    assert "extracts/t_participants.csv:2  imd_decile='11'  out of range (1 to 10)" in result.output
    assert "read         1  kept         0  quarantined       1" in result.output


def test_messy_demo_every_planted_fault_is_reported(tmp_path):
    """The generator's --messy manifest lists each planted fault; each must be reported."""
    from evalkit.demo import write_demo

    config_path = write_demo(tmp_path / "m", episodes=300, seed=3, messy=True)
    from evalkit.config import load_config

    result = validate_directory(config_path.parent, load_config(config_path))
    manifest = pd.read_csv(
        config_path.parent / "messy_faults.csv", dtype=str, keep_default_na=False
    )
    issues = result.issues.assign(row=result.issues["row"].astype("string").fillna(""))
    for fault in manifest.itertuples(index=False):
        found = issues[(issues["file"] == fault.file) & (issues["row"] == fault.row)]
        if fault.column:
            found = found[found["column"].astype(str).str.contains(fault.column, regex=False)]
        if fault.expected == "accepted":
            assert found.empty, (
                f"{fault.fault_class} should be accepted: {found.to_dict('records')}"
            )
        else:
            assert (found["severity"] == fault.expected).any(), (
                f"planted {fault.fault_class} at {fault.file}:{fault.row} {fault.column} not "
                f"reported as {fault.expected}:\n{issues[issues['file'] == fault.file].head()}"
            )
    assert set(manifest["fault_class"]) >= {
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
    assert not result.ok
    assert_reconciles(result)


def test_clean_demo_validates_without_errors(tmp_path):
    from evalkit.config import load_config
    from evalkit.demo import write_demo

    config_path = write_demo(tmp_path / "d", episodes=300, seed=3)
    result = validate_directory(config_path.parent, load_config(config_path))
    assert result.ok, result.errors.head().to_string()
    assert_reconciles(result)
