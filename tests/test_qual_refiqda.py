"""REFI-QDA import and export against hand-written fixtures (tests/fixtures/qual/).

The fixtures were written by hand from the REFI-QDA 1.5 schemas; every expected excerpt below is
the literal text at the hand-counted positions, not anything evalkit computed.
"""

from __future__ import annotations

import shutil
import warnings
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import QualImportError
from evalkit.qual import (
    QualProject,
    read_qdc,
    read_qdpx,
    read_qual_tables,
    refi_guid,
    write_qdc,
    write_qdpx,
)

FIXTURES = Path(__file__).parent / "fixtures" / "qual"


def zip_dir(folder: Path, target: Path) -> Path:
    """Zip a fixture folder into a .qdpx (entries keep the folder's own names and case)."""
    with zipfile.ZipFile(target, "w") as archive:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(folder).as_posix())
    return target


def read_quietly(path: Path, **kwargs) -> QualProject:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return read_qdpx(path, **kwargs)


@pytest.fixture
def spec_qdpx(tmp_path) -> Path:
    return zip_dir(FIXTURES / "spec_project", tmp_path / "spec.qdpx")


def edited_spec(tmp_path: Path, old: str, new: str) -> Path:
    """The spec fixture with one piece of its project XML replaced."""
    folder = tmp_path / "edited"
    shutil.copytree(FIXTURES / "spec_project", folder)
    qde = folder / "project.qde"
    text = qde.read_text(encoding="utf-8")
    assert old in text
    qde.write_text(text.replace(old, new, 1), encoding="utf-8")
    return zip_dir(folder, tmp_path / "edited.qdpx")


# --- the spec fixture: exact excerpts and code paths -------------------------------------------


def test_spec_project_gives_the_exact_excerpts_and_code_paths(spec_qdpx):
    project = read_quietly(spec_qdpx)
    got = list(
        project.codings[["source_name", "text", "code_path", "coder"]].itertuples(
            index=False, name=None
        )
    )
    # Interview 01 (sources/a1a1...0001.txt): line 1 is "I live on the Eastfield estate. Nobody
    # round here trusts the council." = 31 + 1 + 37 = 69 characters, so line 2 starts at 70;
    # "The peer group is run by " is 25 characters, so "people" starts at 95; line 2 is 57
    # characters, so line 3 starts at 128.
    assert got == [
        (
            "Interview 01",
            "I live on the Eastfield estate.",  # 0-31
            "Context::C: deprived area",
            "evaluator_1",
        ),
        (
            "Interview 01",
            "Nobody round here trusts the council.",  # 32-69
            "Context::C: distrust of services",
            "evaluator_1",
        ),
        (
            "Interview 01",
            "The peer group is run by people like me",  # 70-109, two codings
            "Mechanism - resource::M: peer-led group",
            "evaluator_1",
        ),
        (
            "Interview 01",
            "The peer group is run by people like me",
            "Mechanism - reasoning::R: people like me",
            "evaluator_2",
        ),
        (
            "Interview 01",
            "people like me, so I kept going.",  # 95-127, overlaps the above
            "Outcome::O: sustained engagement",
            "evaluator_2",
        ),
        (
            "Interview 01",
            "Now I feel better",  # 128-145
            "Outcome::O: wellbeing improved",
            "evaluator_1",
        ),
        (
            "Interview 01",
            "stopped smoking",  # 157-172: "and I have " is 11 after 146
            "Outcome::O: wellbeing improved::stopped smoking",
            "evaluator_1",
        ),
        # Focus group 02 (inline PlainTextContent): "Staff said " is 11 characters.
        (
            "Focus group 02",
            "the volunteers know the area",  # 11-39
            "Mechanism - resource::M: peer-led group",
            "evaluator_2",
        ),
        (
            "Focus group 02",
            "they feel listened to",  # 67-88
            "Mechanism - reasoning::R: people like me",
            "evaluator_2",
        ),
    ]
    assert project.codings[["start", "end"]].values.tolist()[:2] == [[0, 31], [32, 69]]


def test_a_selection_with_two_codings_is_two_rows_of_one_selection(spec_qdpx):
    codings = read_quietly(spec_qdpx).codings
    two = codings[codings["selection_id"] == "5e000000-0000-4000-8000-000000000003"]
    assert len(two) == 2
    assert two["coding_id"].tolist() == [
        "c0d00000-0000-4000-8000-000000000003",
        "c0d00000-0000-4000-8000-000000000004",
    ]
    assert codings["coding_id"].is_unique


def test_codebook_tree_keeps_folders_colours_and_descriptions(spec_qdpx):
    book = read_quietly(spec_qdpx).codebook.set_index("name")
    assert len(book) == 11
    assert book.loc["Context", "codable"] == False  # noqa: E712 (a nullable boolean)
    assert pd.isna(book.loc["Context", "parent_id"])
    assert book.loc["C: deprived area", "parent_id"] == "c0000000-0000-4000-8000-000000000010"
    assert book.loc["C: deprived area", "color"] == "#1b9e77"
    assert book.loc["Context", "description"] == "Pre-existing conditions"
    assert book.loc["stopped smoking", "code_path"] == (
        "Outcome::O: wellbeing improved::stopped smoking"
    )


def test_case_and_source_variables_become_site_and_stakeholder_group(spec_qdpx):
    sources = read_quietly(spec_qdpx).sources.set_index("name")
    # Interview 01 gets its values from <Case name="Participant 01"> (SourceRef); Focus group 02
    # from its own <VariableValue>s. Vocabulary values are normalised ("Service user").
    assert sources.loc[
        "Interview 01", ["site", "stakeholder_group", "cases", "age_band"]
    ].tolist() == ["East", "service_user", "Participant 01", "35-44"]
    assert sources.loc["Focus group 02", ["site", "stakeholder_group", "type"]].tolist() == [
        "West",
        "frontline_staff",
        "focus_group",
    ]
    assert pd.isna(sources.loc["Focus group 02", "cases"])


def test_an_annotation_without_coding_is_listed_and_warned_about(spec_qdpx):
    with pytest.warns(UserWarning, match="1 selection without a coding"):
        project = read_qdpx(spec_qdpx)
    assert project.skipped[["element", "guid"]].values.tolist() == [
        ["PlainTextSelection", "5e000000-0000-4000-8000-000000000007"]
    ]
    assert len(project.codings) == 9  # the annotation is not a coding


def test_code_sets_are_read(spec_qdpx):
    sets = read_quietly(spec_qdpx).sets
    assert sets["set_name"].unique().tolist() == ["CMOC1 peer support"]
    assert len(sets) == 4


def test_selection_level_case_membership_is_kept(tmp_path):
    path = edited_spec(
        tmp_path,
        '<SourceRef targetGUID="a1a1a1a1-0000-4000-8000-000000000001"/>',
        '<SourceRef targetGUID="a1a1a1a1-0000-4000-8000-000000000001"/>'
        '<SelectionRef targetGUID="5e000000-0000-4000-8000-000000000011"/>',
    )
    codings = read_quietly(path).codings.set_index("selection_id")
    assert codings.loc["5e000000-0000-4000-8000-000000000011", "cases"] == "Participant 01"


# --- the codebook file -------------------------------------------------------------------------


def test_qdc_gives_the_code_tree_with_normalised_guids():
    project = read_qdc(FIXTURES / "codebook.qdc")  # starts with a BOM
    book = project.codebook
    assert book["code_id"].tolist() == [
        f"ab000000-0000-4000-8000-00000000000{i}" for i in range(1, 6)
    ]
    assert book["code_path"].tolist() == [
        "Context",
        "Context::C: deprived area",
        "Context::C: low confidence",
        "Context::C: low confidence::after redundancy",
        "O: wellbeing improved",
    ]
    assert book["codable"].tolist() == [False, True, True, True, True]
    assert book["parent_id"].fillna("").tolist() == [
        "",
        "ab000000-0000-4000-8000-000000000001",
        "ab000000-0000-4000-8000-000000000001",
        "ab000000-0000-4000-8000-000000000003",
        "",
    ]
    assert book["color"].fillna("").tolist() == ["", "#1B9E77", "", "", "#d95f02"]
    assert project.sets["code_id"].tolist() == [
        "ab000000-0000-4000-8000-000000000004",
        "ab000000-0000-4000-8000-000000000005",
    ]
    assert project.origin == "hand-written"


def test_qdc_with_a_guid_that_is_not_a_guid_names_it(tmp_path):
    # openqda/refi-tools' defect example uses ids like "c001", which violate GUIDType.
    path = tmp_path / "bad.qdc"
    path.write_text(
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
        '<Code guid="c001" name="x" isCodable="true"/></Codes></CodeBook>'
    )
    with pytest.raises(QualImportError, match=r"bad\.qdc.*<Code> has guid 'c001'"):
        read_qdc(path)


# --- real-export quirks ------------------------------------------------------------------------


def test_nvivo_style_export_positions_are_utf16_units(tmp_path):
    path = zip_dir(FIXTURES / "nvivo_style", tmp_path / "nvivo.qdpx")
    project = read_qdpx(path)
    assert project.position_convention == "utf16"
    assert project.origin == "NVivo for Windows 12.6"
    # Text after the BOM: "Hi 😀 all\r\nWe trust the coach 👍 now.\r\nDone." In UTF-16 units
    # "Hi " is 0-3, the emoji 3-5, " all" 5-9, CRLF 9-11, so "We trust the coach" is 11-29; the
    # second emoji is 30-32, " " 32, "now." 33-37, CRLF 37-39 and "Done." 39-44. As code points the
    # text is only 42 long, so "Done." at 39-44 cannot be code points.
    got = project.codings[["text", "code_path", "start", "end"]].values.tolist()
    assert got == [
        ["We trust the coach", "R: trust", 10, 28],
        ["We trust the coach", "M: peer support", 10, 28],
        ["now.", "O: still coming", 31, 35],
        ["Done.", "O: still coming", 37, 42],
        ["peer support", "M: peer support", 12, 24],  # notes.txt, plainTextPath without scheme
    ]
    # No <Users>: the coder is the user GUID, normalised
    assert project.codings["coder"].iloc[0] == "eaac2cd0-f7f0-415a-abdd-ae1d8f6762de"
    assert project.codings["coder"].iloc[2:].isna().all()
    # braces and upper case are gone from every id; a nameless source is named after its file
    assert project.sources["source_id"].tolist() == [
        "a1a1a1a1-0000-4000-8000-0000000000aa",
        "b2b2b2b2-0000-4000-8000-0000000000bb",
    ]
    assert project.sources["name"].tolist() == ["Interview 07", "notes"]
    assert project.texts["a1a1a1a1-0000-4000-8000-0000000000aa"].startswith("Hi ")  # BOM gone


def test_a_stated_convention_is_verified_not_trusted(tmp_path):
    path = zip_dir(FIXTURES / "nvivo_style", tmp_path / "nvivo.qdpx")
    with pytest.raises(
        QualImportError,
        match=r"nvivo\.qdpx:NVivo Export\.qde: positions do not "
        r"resolve as 'codepoint'.*endPosition=44",
    ):
        read_qdpx(path, position_convention="codepoint")
    assert read_qdpx(path, position_convention="utf16").codings["text"].iloc[3] == "Done."


def test_atlas_style_flattened_names_become_a_tree_and_crlf_counts_once(tmp_path):
    path = zip_dir(FIXTURES / "atlas_style", tmp_path / "atlas.qdpx")
    project = read_qdpx(path)
    book = project.codebook
    # "Coke" exists only inside the names, so it becomes a non-codable folder
    assert book["code_path"].tolist() == ["Coke", "Coke::full-fat Coke", "Coke::Diet Coke", "Water"]
    assert book["name"].tolist() == ["Coke", "full-fat Coke", "Diet Coke", "Water"]
    assert book["codable"].tolist() == [False, True, True, True]
    assert book.loc[1, "parent_id"] == book.loc[0, "code_id"]
    # With each CRLF counted once: "Line one" 8 + 1 -> line 2 at 9; "I drink " 8 -> 17-30;
    # line 2 is 21 long -> line 3 at 31; "and " -> 35-44; line 3 is 13 -> line 4 at 45; "then "
    # -> 50-55.
    assert project.position_convention == "codepoint_crlf_as_one"
    assert project.codings["text"].tolist() == ["full-fat Coke", "Diet Coke", "water"]


# --- malformed input: errors that name the file and element ------------------------------------


def test_a_file_that_is_not_a_zip_is_an_error(tmp_path):
    path = tmp_path / "broken.qdpx"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(QualImportError, match=r"broken\.qdpx: not a readable \.qdpx"):
        read_qdpx(path)


def test_a_zip_without_project_xml_is_an_error(tmp_path):
    path = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("sources/x.txt", "hello")
    with pytest.raises(QualImportError, match=r"no project XML \(\*\.qde\).*sources/x\.txt"):
        read_qdpx(path)


def test_malformed_xml_is_an_error_with_its_position(tmp_path):
    path = edited_spec(tmp_path, "</CodeBook>", "</Codebook>")
    with pytest.raises(
        QualImportError,
        match=r"edited\.qdpx:project\.qde: not well-formed XML "
        r"\(mismatched tag: line \d+, column \d+\)",
    ):
        read_qdpx(path)


def test_entities_are_refused_not_expanded(tmp_path):
    path = edited_spec(
        tmp_path,
        '<?xml version="1.0" encoding="utf-8"?>',
        '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE Project [<!ENTITY big "boom">]>',
    )
    with pytest.raises(QualImportError, match="declares a DTD or entities"):
        read_qdpx(path)


def test_a_dangling_code_reference_is_an_error(tmp_path):
    path = edited_spec(
        tmp_path,
        '<CodeRef targetGUID="c0000000-0000-4000-8000-000000000012"/>',
        '<CodeRef targetGUID="c0000000-0000-4000-8000-0000000000ff"/>',
    )
    with pytest.raises(
        QualImportError,
        match=r"<PlainTextSelection guid=\"5e000000-0000-4000-"
        r"8000-000000000002\"> of <TextSource name=\""
        r"Interview 01\">.*dangling",
    ):
        read_qdpx(path)


def test_a_dangling_source_reference_is_an_error(tmp_path):
    path = edited_spec(
        tmp_path,
        '<SourceRef targetGUID="a1a1a1a1-0000-4000-8000-000000000001"/>',
        '<SourceRef targetGUID="a1a1a1a1-0000-4000-8000-0000000000ff"/>',
    )
    with pytest.raises(QualImportError, match=r'<Case name="Participant 01"> refers to source'):
        read_qdpx(path)


def test_a_dangling_user_reference_is_an_error(tmp_path):
    path = edited_spec(
        tmp_path,
        '<Coding guid="c0d00000-0000-4000-8000-000000000001" creatingUser="0e000000-0000-4000-'
        '8000-000000000001">',
        '<Coding guid="c0d00000-0000-4000-8000-000000000001" creatingUser="0e000000-0000-4000-'
        '8000-000000000009">',
    )
    with pytest.raises(QualImportError, match="not a <User> of the project"):
        read_qdpx(path)


def test_a_position_outside_the_text_is_an_error_not_a_guess(tmp_path):
    # the inline text of Focus group 02 is 89 characters long
    path = edited_spec(
        tmp_path, 'startPosition="67" endPosition="88"', 'startPosition="67" endPosition="95"'
    )
    with pytest.raises(
        QualImportError,
        match=r"PlainTextSelection 5e000000-0000-4000-8000-"
        r"000000000012 in source 'Focus group 02': "
        r"endPosition=95 is outside the text \(0 to 89\)",
    ):
        read_qdpx(path)


def test_a_start_after_its_end_is_an_error(tmp_path):
    path = edited_spec(
        tmp_path, 'startPosition="67" endPosition="88"', 'startPosition="88" endPosition="67"'
    )
    with pytest.raises(QualImportError, match="starts at 88 after it ends at 67"):
        read_qdpx(path)


def test_a_missing_source_file_is_an_error(tmp_path):
    path = edited_spec(
        tmp_path,
        'plainTextPath="internal://a1a1a1a1-0000-4000-8000-000000000001',
        'plainTextPath="internal://a1a1a1a1-0000-4000-8000-0000000000ee',
    )
    with pytest.raises(
        QualImportError,
        match=r'<TextSource name="Interview 01">.*not in the '
        r"archive's sources folder",
    ):
        read_qdpx(path)


# --- export and round trip ---------------------------------------------------------------------


def assert_same_project(a: QualProject, b: QualProject) -> None:
    pd.testing.assert_frame_equal(a.codebook, b.codebook)
    pd.testing.assert_frame_equal(a.sources, b.sources)
    pd.testing.assert_frame_equal(a.codings, b.codings)
    pd.testing.assert_frame_equal(a.sets, b.sets)
    assert a.texts == b.texts


@pytest.mark.parametrize("fixture", ["spec_project", "nvivo_style", "atlas_style"])
def test_qdpx_export_reimports_identically(tmp_path, fixture):
    first = read_quietly(zip_dir(FIXTURES / fixture, tmp_path / "in.qdpx"))
    out = write_qdpx(first, tmp_path / "out.qdpx")
    second = read_qdpx(out)  # evalkit writes code points and no annotations: nothing to warn
    assert second.position_convention == "codepoint"
    assert_same_project(first, second)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
    assert names[0] == "project.qde"
    assert all(n.startswith("sources/") for n in names[1:])


def test_qdpx_export_is_byte_identical_for_identical_input(tmp_path, spec_qdpx):
    project = read_quietly(spec_qdpx)
    one = write_qdpx(project, tmp_path / "one.qdpx").read_bytes()
    two = write_qdpx(project, tmp_path / "two.qdpx").read_bytes()
    assert one == two


def test_qdc_export_reimports_identically(tmp_path):
    first = read_qdc(FIXTURES / "codebook.qdc")
    second = read_qdc(write_qdc(first, tmp_path / "out.qdc"))
    pd.testing.assert_frame_equal(first.codebook, second.codebook)
    pd.testing.assert_frame_equal(first.sets, second.sets)


def test_evalkit_tables_export_to_qdpx_and_back_under_guid_ids(tmp_path):
    # evalkit's tables need full texts to be exported: keep only the source that has one
    folder = tmp_path / "tables"
    shutil.copytree(FIXTURES / "tables", folder)
    sources = pd.read_csv(folder / "sources.csv", dtype=str)
    sources[sources["source_id"] == "S01"].to_csv(folder / "sources.csv", index=False)
    codings = pd.read_csv(folder / "codings.csv", dtype=str)
    codings[codings["source_id"] == "S01"].to_csv(folder / "codings.csv", index=False)
    first = read_qual_tables(folder)
    second = read_qdpx(write_qdpx(first, tmp_path / "tables.qdpx"))
    # short ids became deterministic GUIDs; everything else is unchanged
    assert second.codings["code_id"].tolist() == [
        refi_guid("code", c) for c in first.codings["code_id"]
    ]
    assert second.codings["coding_id"].tolist() == [
        refi_guid("coding", c) for c in first.codings["coding_id"]
    ]
    cols = ["text", "code_path", "coder", "start", "end", "source_name"]
    pd.testing.assert_frame_equal(first.codings[cols], second.codings[cols])
    assert second.sources[
        ["name", "type", "date", "site", "stakeholder_group", "provider"]
    ].values.tolist() == [
        [
            "Interview 01 - Jane Roe",
            "interview",
            "2026-02-03",
            "East",
            "service_user",
            "Communities Together CIC",
        ]
    ]
    assert second.codebook["code_path"].tolist() == first.codebook["code_path"].tolist()


def test_export_refuses_a_source_without_text(tmp_path):
    project = read_qual_tables(FIXTURES / "tables")  # S02 and S03 have no texts/ file
    with pytest.raises(
        QualImportError, match="'Focus group 02', 'Interview 03' have no plain text"
    ):
        write_qdpx(project, tmp_path / "x.qdpx")
