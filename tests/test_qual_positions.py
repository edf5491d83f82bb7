"""Position conventions: detection evidence, verification, and a property over random texts.

Expected offsets are computed independently of evalkit: UTF-16 offsets from the length of the
UTF-16-LE encoding, CRLF-as-one offsets from the text with CRLF replaced by LF.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import QualImportError
from evalkit.qual import CONVENTIONS, resolve_positions


def selections(rows):
    return pd.DataFrame(
        rows, columns=["source_id", "source_name", "selection_id", "start", "end", "name"]
    )


def utf16_offset(text: str, i: int) -> int:
    return len(text[:i].encode("utf-16-le")) // 2


def crlf_as_one_offset(text: str, i: int) -> int:
    return len(text[:i].replace("\r\n", "\n"))


OFFSETS = {
    "codepoint": lambda text, i: i,
    "utf16": utf16_offset,
    "codepoint_crlf_as_one": crlf_as_one_offset,
}

TOKENS = st.sampled_from(["we", "trust", " ", "\r\n", "\n", "\U0001f600", "é", "—", "peer"])


@settings(max_examples=60, deadline=None)
@given(
    tokens=st.lists(TOKENS, min_size=1, max_size=25),
    cuts=st.lists(st.tuples(st.integers(0, 25), st.integers(0, 25)), min_size=1, max_size=5),
    convention=st.sampled_from(sorted(OFFSETS)),
)
def test_a_stated_convention_resolves_every_span_it_encoded(tokens, cuts, convention):
    text = "".join(tokens)
    starts = [0]
    for token in tokens:
        starts.append(starts[-1] + len(token))  # token boundaries never split CRLF or a pair
    spans = [(starts[min(a, b, len(tokens))], starts[min(max(a, b), len(tokens))]) for a, b in cuts]
    offset = OFFSETS[convention]
    rows = [
        ("s", "S", f"sel{k}", offset(text, a), offset(text, b), None)
        for k, (a, b) in enumerate(spans)
    ]
    result = resolve_positions(selections(rows), {"s": text}, where="t", convention=convention)
    got = list(zip(result.spans["py_start"], result.spans["py_end"], strict=True))
    assert got == spans


def test_word_boundaries_separate_utf16_from_code_points():
    text = "\U0001f600 Coming here made me feel like part of something."
    # "Coming" is code points 2-8, i.e. UTF-16 units 3-9 (the emoji takes two units).
    start, end = utf16_offset(text, 2), utf16_offset(text, 8)
    assert (start, end) == (3, 9)
    result = resolve_positions(
        selections([("s", "S", "x", start, end, None)]), {"s": text}, where="t"
    )
    assert result.convention == "utf16"
    assert "word boundaries" in result.evidence


def test_selection_names_that_repeat_the_text_decide():
    # QualCoder writes the coded text as the selection name
    text = "\U0001f600 a b c"
    rows = [("s", "S", "x", 3, 4, "a")]  # as UTF-16: "a"; as code points: " "
    result = resolve_positions(selections(rows), {"s": text}, where="t")
    assert (result.convention, result.evidence) == (
        "utf16",
        "selection names repeat the coded text (100% match)",
    )


def test_even_evidence_and_no_known_origin_is_an_error_not_a_guess():
    # Both readings of 3-4 land between words: UTF-16 gives "a", code points give " ".
    text = "\U0001f600 a b c"
    with pytest.raises(
        QualImportError,
        match=r"cannot tell how positions are counted.*"
        r"position_convention=",
    ):
        resolve_positions(selections([("s", "S", "x", 3, 4, None)]), {"s": text}, where="t")


def test_even_evidence_falls_back_to_the_known_habit_of_the_software():
    text = "\U0001f600 a b c"
    result = resolve_positions(
        selections([("s", "S", "x", 3, 4, None)]),
        {"s": text},
        where="t",
        origin="NVivo for Mac 12.7.0",
    )
    assert result.convention == "utf16"
    assert "NVivo for Mac 12.7.0" in result.evidence


def test_a_position_inside_a_surrogate_pair_rules_utf16_out():
    text = "a\U0001f600bc"  # UTF-16 units: a=0, emoji=1-2, b=3, c=4
    rows = [("s", "S", "x", 2, 3, None)]
    with pytest.raises(QualImportError, match="inside a character"):
        resolve_positions(selections(rows), {"s": text}, where="t", convention="utf16")


def test_a_position_between_cr_and_lf_is_unresolvable():
    text = "ab\r\ncd"
    with pytest.raises(QualImportError, match="between the CR and LF"):
        resolve_positions(
            selections([("s", "S", "x", 0, 3, None)]),
            {"s": text},
            where="t",
            convention="codepoint",
        )


def test_a_stated_convention_contradicted_by_selection_names_is_an_error():
    text = "\U0001f600 a b c"
    rows = [("s", "S", "x", 3, 4, "a")]
    with pytest.raises(
        QualImportError,
        match=r"under 'codepoint'.*reads ' ' but the selection "
        r"is named 'a'",
    ):
        resolve_positions(selections(rows), {"s": text}, where="t", convention="codepoint")


def test_an_unknown_convention_name_is_an_error():
    with pytest.raises(QualImportError, match="unknown position convention 'bytes'"):
        resolve_positions(selections([]), {}, where="t", convention="bytes")


def test_conventions_are_documented():
    assert set(CONVENTIONS) == set(OFFSETS)
    assert all(c.description for c in CONVENTIONS.values())
