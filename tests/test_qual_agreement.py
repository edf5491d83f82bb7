"""Inter-coder agreement against hand-worked examples and against statsmodels and krippendorff.

Every expected value below is worked by hand (the arithmetic is in the comments) and, on the
same matrix, by the libraries called directly: statsmodels' ``cohens_kappa`` on the contingency
table and ``krippendorff.alpha`` on the coders x units array. The multi-user REFI-QDA fixture
(``tests/fixtures/qual/two_coders.qdpx``, the folder ``two_coders/`` unzipped) has two coders'
codings of one interview, built so that its sentence-by-sentence matrices are small enough to
count on paper.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.inter_rater import cohens_kappa

from evalkit import qual, realist
from evalkit.config import EvaluationConfig
from evalkit.errors import ConfigError, QualImportError

FIXTURES = Path(__file__).parent / "fixtures" / "qual"
TWO_CODERS = FIXTURES / "two_coders.qdpx"


def library_kappa(a, b) -> float:
    """Cohen's kappa by statsmodels on the square contingency table of two coders."""
    values = sorted(set(a) | set(b))
    table = pd.crosstab(pd.Categorical(a, values), pd.Categorical(b, values), dropna=False)
    return float(cohens_kappa(table.to_numpy()).kappa)


def library_alpha(rows) -> float:
    """Krippendorff's nominal alpha by the krippendorff package (coders x units, nan missing)."""
    return float(
        krippendorff.alpha(
            reliability_data=np.array(rows, dtype=float), level_of_measurement="nominal"
        )
    )


# --- the statistics on hand-worked matrices ------------------------------------------------------


def test_cohens_kappa_two_by_two():
    # 50 units: yes/yes 20, yes/no 5, no/yes 10, no/no 15. p_o = 35/50 = 0.7;
    # p_e = (25/50)(30/50) + (25/50)(20/50) = 0.5; kappa = 0.2 / 0.5 = 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    result = qual.reliability(pd.DataFrame({"a": a, "b": b})).iloc[0]
    assert result["percent_agreement"] == pytest.approx(0.7)
    assert result["cohen_kappa"] == pytest.approx(0.4)
    assert result["cohen_kappa"] == pytest.approx(library_kappa(a, b))


def test_cohens_kappa_three_categories():
    # Diagonal 25 + 20 + 40 = 85 of 100; both coders' marginals 30, 25, 45:
    # p_e = 0.3^2 + 0.25^2 + 0.45^2 = 0.355; kappa = (0.85 - 0.355) / 0.645 = 0.76744...
    cells = {("c", "c"): 25, ("c", "m"): 2, ("c", "o"): 3, ("m", "c"): 3, ("m", "m"): 20,
             ("m", "o"): 2, ("o", "c"): 2, ("o", "m"): 3, ("o", "o"): 40}  # fmt: skip
    a = [x for (x, _), n in cells.items() for _ in range(n)]
    b = [y for (_, y), n in cells.items() for _ in range(n)]
    result = qual.reliability(pd.DataFrame({"a": a, "b": b})).iloc[0]
    assert result["cohen_kappa"] == pytest.approx(0.495 / 0.645)
    assert result["cohen_kappa"] == pytest.approx(library_kappa(a, b))


def test_binary_two_coders_krippendorff_2011_example():
    # Krippendorff (2011), two observers, binary data, ten units; 4 units disagree.
    # n = 20 values, 14 zeros and 6 ones: alpha = 1 - (n - 1) o_01 / (n_0 n_1)
    # = 1 - 19 * 4 / (14 * 6) = 0.0952. Kappa: p_o = 0.6, p_e = 0.2*0.4 + 0.8*0.6 = 0.56,
    # kappa = 0.04 / 0.44 = 0.0909.
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    result = qual.reliability(pd.DataFrame({"A": a, "B": b})).iloc[0]
    assert result["krippendorff_alpha"] == pytest.approx(1 - 19 * 4 / (14 * 6))
    assert result["krippendorff_alpha"] == pytest.approx(library_alpha([a, b]))
    assert result["cohen_kappa"] == pytest.approx(0.04 / 0.44)
    assert result["cohen_kappa"] == pytest.approx(library_kappa(a, b))


def test_four_coders_with_missing_values_krippendorff_2011_example():
    # Krippendorff (2011)'s reliability data: 4 observers, 12 units, missing values; nominal
    # alpha = 0.743 as the paper works it out. Unit 12 has one value and is not pairable.
    nan = np.nan
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
    ratings = pd.DataFrame(np.array(data).T, columns=list("ABCD"))
    result = qual.reliability(ratings).iloc[0]
    assert round(result["krippendorff_alpha"], 3) == 0.743
    assert result["krippendorff_alpha"] == pytest.approx(library_alpha(data))
    assert result["n_units"] == 11  # unit 12 is rated once
    assert pd.isna(result["cohen_kappa"])  # Cohen's kappa is for exactly two coders
    # units 2 (2, 2, 3, 2), 6 (1, 2, 3, 4) and 8 (1, 1, 2, 1) disagree: 8 of 11 agree
    assert result["percent_agreement"] == pytest.approx(8 / 11)


def test_statistics_are_missing_when_every_rating_is_the_same():
    result = qual.reliability(pd.DataFrame({"a": [0, 0, 0], "b": [0, 0, 0]})).iloc[0]
    assert result["percent_agreement"] == 1.0
    assert pd.isna(result["cohen_kappa"]) and pd.isna(result["krippendorff_alpha"])


# --- units ----------------------------------------------------------------------------------------


def test_text_units_sentences_paragraphs_and_characters():
    text = 'Interviewer: Why?\r\n\r\nRespondent: "It helped." Then I left! Really\n'
    sentences = qual.text_units({"S": text}, "sentence")
    assert sentences["text"].tolist() == [
        "Interviewer: Why?",
        'Respondent: "It helped."',
        "Then I left!",
        "Really",
    ]
    for row in sentences.itertuples():
        assert text[row.start : row.end] == row.text
    assert qual.text_units({"S": text}, "paragraph")["text"].tolist() == [
        "Interviewer: Why?",
        'Respondent: "It helped." Then I left! Really',
    ]
    assert len(qual.text_units({"S": "abc"}, "character")) == 3


def test_a_coding_covers_every_unit_it_shares_a_character_with():
    text = "One two. Three four. Five six."
    codings = pd.DataFrame(
        {
            "coding_id": ["a", "b"],
            "source_id": ["S", "S"],
            "code_id": ["k", "k"],
            "coder": ["ann", "ben"],
            "start": [4, 9],  # "two. Th" spans units 0 and 1; "Three four." is unit 1
            "end": [11, 20],
            "text": ["", ""],
        }
    )
    ratings = qual.coder_ratings(codings, {"S": text})
    wide = ratings.pivot(index="unit_index", columns="coder", values="coded")
    assert wide.to_dict("list") == {"ann": [True, True, False], "ben": [False, True, False]}


# --- the multi-user REFI-QDA fixture ---------------------------------------------------------


@pytest.fixture(scope="module")
def two_coders():
    project = qual.read_qdpx(TWO_CODERS)
    project.codebook = qual.assign_code_kinds(project.codebook)
    return project


def test_the_committed_qdpx_is_the_fixture_folder_zipped():
    folder = FIXTURES / "two_coders"
    with zipfile.ZipFile(TWO_CODERS) as archive:
        inside = {name: archive.read(name) for name in archive.namelist()}
    on_disk = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }
    assert inside == on_disk


def test_a_multi_user_export_imports_each_coding_with_its_users_name(two_coders):
    codings = two_coders.codings
    # creatingUser is written "{AAAAAAAA-...}" for Anna: braces and case do not matter
    assert codings.groupby("coder")["coding_id"].count().to_dict() == {
        "Anna Patel": 5,
        "Ben Okafor": 4,
    }
    ben_u1 = codings[(codings["coder"] == "Ben Okafor") & (codings["start"] == 27)]
    assert sorted(ben_u1["code_path"]) == ["C: distrust of the council", "M: peer group leader"]
    assert qual.double_coding(codings, two_coders.sources).iloc[0][
        ["n_sources", "n_double_coded", "share_double_coded", "n_coders"]
    ].tolist() == [2, 1, 0.5, 2]


def test_agreement_on_the_fixture_equals_the_hand_count_and_the_libraries(two_coders):
    # Interview A, sentence by sentence (u0..u3), coded 1/0 by Anna, Ben:
    #   C: distrust  u0 1/1  u1 0/1  u2 0/0  u3 0/0
    #   M: peer      u0 0/0  u1 1/1  u2 0/0  u3 0/0
    #   R: trust     u0 0/0  u1 0/0  u2 1/0  u3 0/0
    #   O: better    u0 0/0  u1 0/0  u2 0/1  u3 1/1   (Ben's O selection spans u2 and u3)
    anna = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
    ben = [1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]
    table = qual.intercoder_agreement(
        two_coders.codings, two_coders.texts, codebook=two_coders.codebook
    ).set_index("label")
    overall = table.loc["all"]
    # pooled: 13 of 16 agree; p_e = (4/16)(5/16) + (12/16)(11/16) = 0.59375;
    # kappa = (0.8125 - 0.59375) / 0.40625 = 7/13; alpha = 1 - 31 * 3 / (23 * 9) = 114/207
    assert overall["n_units"] == 16 and overall["n_sources"] == 1
    assert overall["percent_agreement"] == pytest.approx(13 / 16)
    assert overall["cohen_kappa"] == pytest.approx(7 / 13)
    assert overall["cohen_kappa"] == pytest.approx(library_kappa(anna, ben))
    assert overall["krippendorff_alpha"] == pytest.approx(114 / 207)
    assert overall["krippendorff_alpha"] == pytest.approx(library_alpha([anna, ben]))
    # C: distrust alone: p_o = 3/4, p_e = 0.5, kappa 0.5; alpha = 1 - 7 * 1 / (5 * 3) = 8/15
    context = table.loc["C: distrust of the council"]
    assert context["cohen_kappa"] == pytest.approx(0.5)
    assert context["krippendorff_alpha"] == pytest.approx(8 / 15)
    assert context["cohen_kappa"] == pytest.approx(library_kappa(anna[:4], ben[:4]))
    assert context["units_coded"] == 2


def test_agreement_on_the_realist_kind_of_each_sentence(two_coders):
    # Anna: u0 context, u1 mechanism, u2 mechanism (R), u3 outcome;
    # Ben:  u0 context, u1 context + mechanism, u2 outcome, u3 outcome.
    #   context    1/1 0/1 0/0 0/0;  mechanism 0/0 1/1 1/0 0/0;  outcome 0/0 0/0 0/1 1/1
    anna = [1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1]
    ben = [1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]
    table = qual.intercoder_agreement(
        two_coders.codings, two_coders.texts, codebook=two_coders.codebook, level="kind"
    ).set_index("item")
    assert list(table.index) == ["context", "mechanism", "outcome", "all"]
    overall = table.loc["all"]
    # 9 of 12 agree; p_e = (4*5 + 8*7) / 144; kappa = 32/68; alpha = 1 - 23 * 3 / (15 * 9)
    assert overall["percent_agreement"] == pytest.approx(0.75)
    assert overall["cohen_kappa"] == pytest.approx(32 / 68)
    assert overall["cohen_kappa"] == pytest.approx(library_kappa(anna, ben))
    assert overall["krippendorff_alpha"] == pytest.approx(66 / 135)
    assert overall["krippendorff_alpha"] == pytest.approx(library_alpha([anna, ben]))


def test_the_disagreement_list_quotes_each_disputed_sentence(two_coders):
    listed = qual.disagreements(
        two_coders.codings,
        two_coders.texts,
        codebook=two_coders.codebook,
        sources=two_coders.sources,
        level="kind",
    )
    assert listed[["excerpt", "item", "coded_by", "not_coded_by"]].values.tolist() == [
        ["The peer group leader grew up on my estate.", "context", "Ben Okafor", "Anna Patel"],
        ["She made me feel welcome.", "mechanism", "Anna Patel", "Ben Okafor"],
        ["She made me feel welcome.", "outcome", "Ben Okafor", "Anna Patel"],
    ]
    assert set(listed["source_name"]) == {"Interview A - service user"}


def test_character_units_count_characters(two_coders):
    table = qual.intercoder_agreement(
        two_coders.codings, two_coders.texts, codebook=two_coders.codebook, unit="character"
    ).set_index("label")
    # "The peer group leader grew up on my estate." is 43 characters that only Ben coded C:
    text = two_coders.texts[two_coders.sources["source_id"].iloc[0]]
    context = table.loc["C: distrust of the council"]
    assert context["n_units"] == len(text)
    assert context["percent_agreement"] == pytest.approx(1 - 43 / len(text))


def test_notes_are_imported_with_what_they_are_about(two_coders):
    memos = two_coders.memos.set_index("name")
    assert memos.loc["Memo on CMOC1", ["author", "target_type", "target_name"]].tolist() == [
        "Anna Patel",
        "set",
        "CMOC1 peer trust",
    ]
    assert memos.loc["Coding rule", ["target_type", "target_name"]].tolist() == [
        "code",
        "R: trust",
    ]
    assert memos.loc["Interview context", "target_type"] == "source"
    cmocs = pd.DataFrame({"cmoc_id": ["CMOC1", "CMOC2"]})
    on_cmoc = realist.cmoc_memos(cmocs, two_coders.memos)
    assert on_cmoc["cmoc_id"].tolist() == ["CMOC1"]
    assert on_cmoc["text"].iloc[0].startswith("Trust comes before feeling better")


def test_a_note_reference_to_a_missing_note_is_refused(tmp_path):
    folder = FIXTURES / "two_coders"
    broken = tmp_path / "broken.qdpx"
    qde = (folder / "project.qde").read_text(encoding="utf-8")
    qde = qde.replace(
        'targetGUID="a0e00000-0000-4000-8000-000000000003"',
        'targetGUID="a0e00000-0000-4000-8000-000000000099"',
    )
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("project.qde", qde)
        for text in (folder / "sources").iterdir():
            archive.writestr(f"sources/{text.name}", text.read_bytes())
    with pytest.raises(QualImportError, match="not in <Notes>"):
        qual.read_qdpx(broken)


# --- other ways several coders arrive ----------------------------------------------------------


def _taguette(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    frame = pd.DataFrame(rows, columns=["id", "document", "tag", "content"])
    frame.to_csv(path, index=False)
    return path


def test_one_taguette_export_per_coder_combines_and_agrees_on_excerpts(tmp_path):
    ann = _taguette(
        tmp_path / "ann.csv",
        [
            ("1", "Interview 1", "C: alone", "I live on my own"),
            ("2", "Interview 1", "O: better", "I feel better now"),
            ("3", "Interview 2", "O: better", "Sleeping well"),
        ],
    )
    ben = _taguette(
        tmp_path / "ben.csv",
        [
            ("7", "Interview 1", "C: alone", "I  live on my own"),  # white space differs
            ("8", "Interview 1", "M: group", "I feel better now"),
        ],
    )
    project = qual.combine_coders(
        {"ann": qual.read_taguette(ann, coder="ann"), "ben": qual.read_taguette(ben)}
    )
    assert project.codings.groupby("coder").size().to_dict() == {"ann": 3, "ben": 2}
    assert "M: group" in set(project.codebook["code_path"])
    table = qual.intercoder_agreement(
        project.codings, codebook=project.codebook, unit="excerpt"
    ).set_index("label")
    # Interview 1 only (Interview 2 was coded by ann alone): 2 excerpts x 3 codes;
    # C: alone 1/1 0/0; M: group 0/0 0/1; O: better 0/0 1/0 -> 4 of 6 pairs agree
    assert table.loc["all", "n_units"] == 6
    assert table.loc["all", "percent_agreement"] == pytest.approx(4 / 6)
    assert table.loc["C: alone", "percent_agreement"] == 1.0
    with pytest.raises(QualImportError, match="unit='excerpt'"):
        qual.intercoder_agreement(project.codings, {}, unit="sentence")


def test_evalkit_tables_with_a_coder_column_and_the_lead_coders_evidence(tmp_path):
    (tmp_path / "sources.csv").write_text(
        "source_id,name,type,stakeholder_group,site,round,participant\n"
        "S1,Interview 1,interview,service_user,North,1,P01\n"
        "S2,Interview 2,interview,service_user,South,2,P01\n",
        encoding="utf-8",
    )
    (tmp_path / "codebook.csv").write_text(
        "code_id,name,kind\nK1,C: alone,context\nK2,R: trust,mechanism_reasoning\n",
        encoding="utf-8",
    )
    (tmp_path / "codings.csv").write_text(
        "coding_id,source_id,code_id,text,coder,start,end\n"
        "X1,S1,K1,I live alone.,ann,0,13\n"
        "X2,S1,K2,I live alone.,ben,0,13\n"
        "X3,S2,K2,They listen.,ann,0,12\n",
        encoding="utf-8",
    )
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "S1.txt").write_text("I live alone.", encoding="utf-8")
    (tmp_path / "texts" / "S2.txt").write_text("They listen.", encoding="utf-8")
    project = qual.read_qual_tables(tmp_path)
    assert set(project.codings["coder"]) == {"ann", "ben"}
    assert qual.coder_order(project.codings) == ["ann", "ben"]  # ann coded both sources
    lead = qual.lead_codings(project.codings)
    assert lead["coding_id"].tolist() == ["X1", "X3"]
    assert qual.lead_codings(project.codings, ["ben"])["coding_id"].tolist() == ["X2", "X3"]
    kinds = qual.intercoder_agreement(
        project.codings, project.texts, codebook=project.codebook, level="kind"
    ).set_index("item")
    # one sentence: ann says context, ben mechanism: both kinds disagree
    assert kinds.loc["all", "percent_agreement"] == 0.0


def test_evaluation_yml_names_each_coders_export(tmp_path):
    qual_dir = tmp_path / "qual"
    qual_dir.mkdir()
    _taguette(qual_dir / "ann.csv", [("1", "Interview 1", "O: better", "I feel better")])
    _taguette(qual_dir / "ben.csv", [("4", "Interview 1", "O: better", "I feel better")])
    config = EvaluationConfig(
        name="t",
        data_dir=tmp_path,
        qualitative={"project": "qual/ann.csv", "coder": "ann", "coders": {"ben": "qual/ben.csv"}},
    )
    project = qual.load_qualitative(config)
    assert project.codings["coder"].tolist() == ["ann", "ben"]
    table = qual.intercoder_agreement(project.codings, unit="excerpt")
    assert table.set_index("item").loc["all", "percent_agreement"] == 1.0
    missing = EvaluationConfig(
        name="t", data_dir=tmp_path, qualitative={"project": "qual/ann.csv", "coders": {"c": "x"}}
    )
    with pytest.raises(ConfigError, match="qualitative.coders.c"):
        qual.load_qualitative(missing)
