"""Taguette exports, evalkit's own tables, code kinds and loading from evaluation.yml."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from evalkit.config import EvaluationConfig
from evalkit.errors import ConfigError, QualImportError
from evalkit.qual import (
    CodeKindRules,
    assign_code_kinds,
    load_qualitative,
    read_cmocs,
    read_qual_tables,
    read_taguette,
    taguette_code_id,
    with_source_attributes,
)

FIXTURES = Path(__file__).parent / "fixtures" / "qual"
TAGUETTE = FIXTURES / "taguette"


# --- Taguette ----------------------------------------------------------------------------------


def test_taguette_tag_guid_matches_taguettes_own_export():
    # reference/qualitative.md §3: Taguette's QDC gives "interesting" this GUID
    assert taguette_code_id("interesting") == "0d62985d-b147-5d01-a9b5-cae5dcd98342"


def test_taguette_highlights_import_one_row_per_highlight_and_tag():
    project = read_taguette(TAGUETTE / "all_tags.csv")
    got = project.codings[["selection_id", "source_name", "code_path", "text"]].values.tolist()
    assert got == [
        ["1", "Interview 01", "C: deprived area", "I live on the Eastfield estate."],
        [
            "2",
            "Interview 01",
            "M: peer-led group",
            "The peer group is run by people like me, so I kept going.",
        ],
        [
            "2",
            "Interview 01",
            "R: people like me",
            "The peer group is run by people like me, so I kept going.",
        ],
        ["5", "Focus group 02", "R: people like me", "they feel listened to"],
    ]
    assert project.codings[["start", "end", "coder"]].isna().all().all()  # not exported
    assert project.codings["coding_id"].is_unique
    assert project.sources["name"].tolist() == ["Interview 01", "Focus group 02"]
    assert project.skipped[["guid", "reason"]].values.tolist() == [["6", "highlight without a tag"]]


def test_taguette_codebook_csv_and_qdc_give_the_same_ids_and_descriptions():
    from_csv = read_taguette(TAGUETTE / "all_tags.csv", codebook=TAGUETTE / "codebook.csv")
    from_qdc = read_taguette(TAGUETTE / "all_tags.csv", codebook=TAGUETTE / "codebook.qdc")
    assert from_csv.codebook["code_id"].tolist() == from_qdc.codebook["code_id"].tolist()
    assert from_csv.codings["code_id"].tolist() == from_qdc.codings["code_id"].tolist()
    book = from_csv.codebook.set_index("name")
    assert (
        book.loc["R: people like me", "description"] == 'Identification with peers, "people '
        'like me"'
    )
    assert pd.isna(book.loc["M: peer-led group", "description"])
    assert "interesting" in book.index  # Taguette's default tag, unused here


def test_a_taguette_tag_missing_from_the_codebook_names_the_row(tmp_path):
    book = tmp_path / "codebook.csv"
    book.write_text("tag,description\nC: deprived area,\n")
    with pytest.raises(
        QualImportError,
        match=r"row 3 \(highlight 2\) has tag 'M: peer-led "
        r"group'",
    ):
        read_taguette(TAGUETTE / "all_tags.csv", codebook=book)


def test_taguette_export_without_its_columns_is_an_error(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,document,content\n1,a,b\n")
    with pytest.raises(QualImportError, match="needs the column.*tag"):
        read_taguette(path)


def test_source_attributes_can_be_added_by_name():
    project = read_taguette(TAGUETTE / "all_tags.csv")
    table = pd.DataFrame(
        {
            "name": ["Interview 01", "Focus group 02"],
            "site": ["East", "West"],
            "stakeholder_group": ["service_user", "frontline_staff"],
        }
    )
    sources = with_source_attributes(project, table).sources
    assert sources[["site", "stakeholder_group"]].values.tolist() == [
        ["East", "service_user"],
        ["West", "frontline_staff"],
    ]
    with pytest.raises(QualImportError, match="'Interview 99' matches no source"):
        with_source_attributes(project, pd.DataFrame({"name": ["Interview 99"], "site": ["X"]}))


# --- evalkit's own tables ----------------------------------------------------------------------


def test_tables_read_into_canonical_columns():
    project = read_qual_tables(FIXTURES / "tables")
    assert project.codebook.set_index("code_id").loc["C01", "code_path"] == (
        "Context::C: deprived area"
    )
    assert project.codebook["kind"].tolist() == [
        "context",
        "context",
        "mechanism_resource",
        "mechanism_reasoning",
        "outcome",
    ]
    codings = project.codings.set_index("coding_id")
    assert codings.loc["K01", ["source_name", "start", "end"]].tolist() == [
        "Interview 01 - Jane Roe",
        0,
        31,
    ]
    assert codings.loc["K07", "text"] == "None"  # an excerpt, not a missing value
    # K02 and K03 code the same span: one selection; K05 has no positions: its own
    assert codings.loc["K02", "selection_id"] == codings.loc["K03", "selection_id"] == "S01:70:109"
    assert codings.loc["K05", "selection_id"] == "K05"
    assert pd.isna(codings.loc["K05", "start"])
    assert project.cmocs["cmoc_id"].tolist() == ["CMOC1", "CMOC2"]


def copy_tables(tmp_path) -> Path:
    folder = tmp_path / "qual"
    shutil.copytree(FIXTURES / "tables", folder)
    return folder


def test_a_coding_whose_span_is_not_its_excerpt_is_an_error(tmp_path):
    folder = copy_tables(tmp_path)
    path = folder / "codings.csv"
    path.write_text(
        path.read_text().replace(
            "I live on the Eastfield estate.,evaluator_1,0,31",
            "I live on the Eastfield estate.,evaluator_1,1,32",
        )
    )
    with pytest.raises(
        QualImportError,
        match=r"codings\.csv: row 2 \(coding K01\): characters "
        r"1-32 of texts/S01\.txt read ' live on",
    ):
        read_qual_tables(folder)


def test_an_unknown_code_in_codings_names_file_row_and_column(tmp_path):
    folder = copy_tables(tmp_path)
    path = folder / "codings.csv"
    path.write_text(path.read_text().replace("K05,S02,M01", "K05,S02,M99"))
    with pytest.raises(
        QualImportError,
        match=r"codings\.csv: row 6, column code_id: 'M99' is not "
        r"a code_id in the codebook table",
    ):
        read_qual_tables(folder)


def test_a_cycle_of_parents_is_an_error(tmp_path):
    folder = copy_tables(tmp_path)
    (folder / "codebook.csv").write_text(
        "code_id,name,kind,parent_id\nA,One,context,B\nB,Two,context,A\n"
    )
    with pytest.raises(QualImportError, match="cycle: One -> Two -> One"):
        read_qual_tables(folder)


def test_a_half_declared_quantitative_test_is_an_error(tmp_path):
    path = tmp_path / "cmocs.csv"
    path.write_text(
        "cmoc_id,programme_theory,context,mechanism_resource,mechanism_reasoning,"
        "outcome,status,context_filter\nC1,PT,c,m,r,o,initial,imd_quintile == 1\n"
    )
    with pytest.raises(
        QualImportError,
        match=r"row 2 \(CMOC C1\).*leaves outcome_measure, "
        r"expected_direction blank",
    ):
        read_cmocs(path)


def test_a_status_outside_the_vocabulary_is_an_error(tmp_path):
    path = tmp_path / "cmocs.csv"
    path.write_text(
        "cmoc_id,programme_theory,context,mechanism_resource,mechanism_reasoning,"
        "outcome,status\nC1,PT,c,m,r,o,proven\n"
    )
    with pytest.raises(QualImportError, match="'proven' is not one of initial, supported"):
        read_cmocs(path)


# --- code kinds --------------------------------------------------------------------------------


def small_book() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code_id": ["f1", "f2", "a", "b", "c", "d", "e"],
            "name": [
                "Contexts",
                "Mechanism – resource",
                "lives alone",
                "O: quit",
                "group sessions",
                "misc",
                "M: peer support",
            ],
            "code_path": [
                "Contexts",
                "Mechanism – resource",
                "Contexts::lives alone",
                "O: quit",
                "Mechanism – resource::group sessions",
                "misc",
                "Contexts::M: peer support",
            ],
            "parent_id": [pd.NA, pd.NA, "f1", pd.NA, "f2", pd.NA, "f1"],
        }
    )


def test_default_rules_use_prefix_then_parent_folder():
    kinds = assign_code_kinds(small_book()).set_index("code_id")
    assert kinds["kind"].to_dict() == {
        "f1": "context",
        "f2": "mechanism_resource",  # folders named for an element
        "a": "context",  # parent "Contexts"
        "b": "outcome",  # prefix "O:"
        "c": "mechanism_resource",  # parent "Mechanism – resource" (dash and case ignored)
        "d": "other",
        "e": "mechanism_resource",  # its own prefix beats its "Contexts" parent
    }
    assert kinds.loc["e", "kind_rule"] == "prefix"
    assert kinds.loc["d", "kind_rule"] == "default"


def test_explicit_mapping_wins_and_must_name_a_code():
    rules = CodeKindRules.from_config({"explicit": {"Contexts::lives alone": "outcome"}})
    assert assign_code_kinds(small_book(), rules).set_index("code_id").loc["a", "kind"] == "outcome"
    bad = CodeKindRules.from_config({"explicit": {"no such code": "outcome"}})
    with pytest.raises(ConfigError, match="'no such code' is not in the codebook"):
        assign_code_kinds(small_book(), bad)


def test_configured_prefixes_replace_the_defaults():
    rules = CodeKindRules.from_config({"prefix": {"OUT-": "outcome"}, "parent": {}})
    kinds = assign_code_kinds(small_book(), rules).set_index("code_id")["kind"]
    assert kinds["b"] == "other"  # "O:" is no longer a prefix
    assert kinds["a"] == "other"  # no parent rules either


def test_kind_rules_reject_unknown_kinds_and_keys():
    with pytest.raises(ConfigError, match="kind 'mechanism' is not one of"):
        CodeKindRules.from_config({"prefix": {"M:": "mechanism"}})
    with pytest.raises(ConfigError, match="unknown key.*prefixes"):
        CodeKindRules.from_config({"prefixes": {}})


# --- loading what evaluation.yml names ---------------------------------------------------------


def test_load_qualitative_reads_a_qdpx_and_assigns_kinds(tmp_path):
    (tmp_path / "qual").mkdir()
    spec = FIXTURES / "spec_project"
    with zipfile.ZipFile(tmp_path / "qual" / "coding.qdpx", "w") as archive:
        for file in sorted(spec.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(spec).as_posix())
    shutil.copy(FIXTURES / "tables" / "cmocs.csv", tmp_path / "qual" / "cmocs.csv")
    config = EvaluationConfig(
        name="t",
        data_dir=tmp_path,
        qualitative={
            "project": "qual/coding.qdpx",
            "code_kinds": {"explicit": {"stopped smoking": "outcome"}},
        },
    )
    with pytest.warns(UserWarning):
        project = load_qualitative(config)
    kinds = project.codebook.set_index("name")["kind"]
    assert kinds["R: people like me"] == "mechanism_reasoning"
    assert kinds["Mechanism - resource"] == "mechanism_resource"
    assert kinds["stopped smoking"] == "outcome"
    assert project.cmocs["cmoc_id"].tolist() == ["CMOC1", "CMOC2"]


def test_load_qualitative_rejects_unknown_settings(tmp_path):
    config = EvaluationConfig(name="t", data_dir=tmp_path, qualitative={"projet": "x.qdpx"})
    with pytest.raises(ConfigError, match="unknown setting.*projet"):
        load_qualitative(config)
