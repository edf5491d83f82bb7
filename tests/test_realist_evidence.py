"""CMOC evidence tallies, quotes and the site matrix on the hand-written tables fixture.

Expected counts are worked out by hand from tests/fixtures/qual/tables/ (see the comments).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import QualImportError
from evalkit.qual import read_qual_tables
from evalkit.realist import (
    DEFAULT_CLIENT_ID_PATTERN,
    cmoc_evidence,
    cmoc_site_matrix,
    exemplar_quotes,
    scrub_quote,
    site_letters,
)

TABLES = Path(__file__).parent / "fixtures" / "qual" / "tables"


@pytest.fixture(scope="module")
def project():
    return read_qual_tables(TABLES)


def evidence(project, **kwargs) -> pd.DataFrame:
    return cmoc_evidence(
        project.cmocs, project.codings, project.sources, project.codebook, **kwargs
    )


def test_tallies_per_element_count_excerpts_sources_sites_and_groups(project):
    ev = evidence(project).set_index(["cmoc_id", "element"])
    cols = ["n_excerpts", "n_sources", "n_sites", "n_stakeholder_groups"]
    # Sources: S01 East service user, S02 West frontline staff, S03 West service user.
    # CMOC1 codes C01, M01, R01, O01. Codings: C01 K01(S01); M01 K02(S01) K05(S02);
    # R01 K03(S01) K06(S03); O01 K04(S01) K07(S03).
    assert ev.loc[("CMOC1", "context"), cols].tolist() == [1, 1, 1, 1]
    assert ev.loc[("CMOC1", "mechanism_resource"), cols].tolist() == [2, 2, 2, 2]
    assert ev.loc[("CMOC1", "mechanism_reasoning"), cols].tolist() == [2, 2, 2, 1]
    assert ev.loc[("CMOC1", "outcome"), cols].tolist() == [2, 2, 2, 1]
    # seven codings, but K02 and K03 code the same span (S01, 70-109): 6 excerpts, from 3
    # sources at 2 sites and 2 groups
    assert ev.loc[("CMOC1", "all"), cols].tolist() == [6, 3, 2, 2]
    # CMOC2 names only M01 and O01: K02, K05, K04, K07
    assert ev.loc[("CMOC2", "context"), cols].tolist() == [0, 0, 0, 0]
    assert ev.loc[("CMOC2", "all"), cols].tolist() == [4, 3, 2, 2]
    assert ev.loc[("CMOC1", "context"), "codes"] == "Context::C: deprived area"
    assert ev.loc[("CMOC1", "context"), "programme_theory"] == "PT1 peer support builds trust"


def test_codings_of_one_span_are_one_excerpt_without_selection_ids(project):
    codings = project.codings.drop(columns=["selection_id"])
    ev = cmoc_evidence(project.cmocs, codings, project.sources, project.codebook)
    all_rows = ev[ev["element"] == "all"].set_index("cmoc_id")
    assert all_rows.loc["CMOC1", "n_excerpts"] == 6  # K02 and K03 share S01 70-109
    # without positions each coding is its own excerpt
    unplaced = codings.assign(start=pd.NA, end=pd.NA)
    ev = cmoc_evidence(project.cmocs, unplaced, project.sources, project.codebook)
    assert ev[ev["element"] == "all"].set_index("cmoc_id").loc["CMOC1", "n_excerpts"] == 7


def test_a_codebook_without_paths_is_accepted(project):
    book = project.codebook.drop(columns=["code_path"])
    ev = cmoc_evidence(project.cmocs, project.codings, project.sources, book)
    assert ev.set_index(["cmoc_id", "element"]).loc[("CMOC1", "context"), "codes"] == (
        "Context::C: deprived area"
    )


def test_quotes_are_attributed_by_group_and_site_letter_only(project):
    ev = evidence(project).set_index(["cmoc_id", "element"])
    # sites sorted: East -> A, West -> B
    assert ev.loc[("CMOC1", "mechanism_reasoning"), ["quote_1", "quote_2", "quote_3"]].tolist() == [
        "“The peer group is run by people like me” (Service user, site A)",
        "“My key worker, [ID], said I was like the rest of them” (Service user, site B)",
        "",
    ]
    assert ev.loc[("CMOC1", "context"), "quote_1"] == (
        "“I live on the Eastfield estate.” (Service user, site A)"
    )


def test_quotes_follow_the_configured_site_order(project):
    ev = evidence(project, sites=["West", "East"]).set_index(["cmoc_id", "element"])
    assert ev.loc[("CMOC1", "context"), "quote_1"].endswith("(Service user, site B)")


def test_quotes_never_carry_a_source_name_or_client_id(project):
    codings = project.codings.copy()
    codings.loc[codings["coding_id"] == "K04", "text"] = (
        "jane roe told me (client NT-004512, NHS 943 476 5919) that Jane Roe kept going"
    )
    quotes = exemplar_quotes(project.cmocs, codings, project.sources, project.codebook)
    text = " ".join(quotes["quote"]) + " " + " ".join(quotes["attribution"])
    assert "jane" not in text.lower() and "roe" not in text.lower()
    assert "NT-004512" not in text and "943 476 5919" not in text
    assert "Interview 01" not in text  # attribution never uses the source name
    assert "[name] told me (client [ID], NHS [ID]) that [name] kept going" in text


def test_a_long_quote_is_cut_at_a_word(project):
    codings = project.codings.copy()
    codings.loc[codings["coding_id"] == "K01", "text"] = "word " * 100
    quotes = exemplar_quotes(
        project.cmocs, codings, project.sources, project.codebook, max_chars=50
    )
    quote = quotes[(quotes["cmoc_id"] == "CMOC1") & (quotes["element"] == "context")]["quote"]
    assert quote.iloc[0].endswith("word…") and len(quote.iloc[0]) <= 50


def test_site_matrix_shows_where_each_cmoc_recurs(project):
    matrix = cmoc_site_matrix(project.cmocs, project.codings, project.sources, project.codebook)
    assert list(matrix.columns) == [
        "cmoc_id",
        "East",
        "West",
        "whole service",
        "n_sites",
        "n_sites_all_elements",
    ]
    # CMOC1: East has S01 (all four elements); West has S02 (M) and S03 (R, O) but no context.
    # CMOC2 (M and O only): East S01 has both; West S02 has M and S03 has O.
    assert matrix.set_index("cmoc_id").astype(int).values.tolist() == [
        [1, 2, 0, 2, 1],
        [1, 2, 0, 2, 2],
    ]


def test_a_cmoc_naming_an_unknown_code_is_an_error(project):
    cmocs = project.cmocs.copy()
    cmocs.loc[0, "codes"] = "C: deprived area;M: magic"
    with pytest.raises(
        QualImportError, match="CMOC CMOC1 codes: code 'M: magic' is not in the codebook"
    ):
        cmoc_evidence(cmocs, project.codings, project.sources, project.codebook)


def test_without_a_codebook_kinds_come_from_code_paths(project):
    ev = cmoc_evidence(project.cmocs, project.codings, project.sources)
    got = ev[ev["cmoc_id"] == "CMOC1"].set_index("element")["n_excerpts"]
    assert got[["context", "mechanism_resource", "mechanism_reasoning", "outcome"]].tolist() == [
        1,
        2,
        2,
        2,
    ]


def test_site_letters_go_past_z():
    letters = site_letters([f"s{i}" for i in range(28)])
    assert [letters["s0"], letters["s25"], letters["s26"], letters["s27"]] == ["A", "Z", "AA", "AB"]


WORDS = st.sampled_from(
    [
        "she",
        "said",
        "the",
        "group",
        "helped",
        "Jane",
        "Roe",
        "JANE ROE",
        "NT-000123",
        "cl12345",
        "943 476 5919",
        ",",
        ".",
    ]
)


@settings(max_examples=80, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=30))
def test_scrubbed_quotes_hold_no_names_or_ids(words):
    text = " ".join(words)
    out = scrub_quote(text, names=["Interview 07 - Jane Roe"])
    assert "jane" not in out.lower() and "roe" not in out.lower()
    assert re.search(DEFAULT_CLIENT_ID_PATTERN, out) is None
