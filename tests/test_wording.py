"""Numbers in words: formats per KPI unit, disclosure of counts in sentences, ratings in words."""

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalkit.disclosure.suppression import round_counts
from evalkit.errors import StatisticsError
from evalkit.present.wording import (
    NOT_AVAILABLE,
    change_text,
    count_text,
    interval_text,
    p_value_text,
    rag_text,
    value_text,
)


def test_values_per_kpi_unit():
    # 40 / 113 = 0.35398... -> 35%; a mean to one decimal; a count with a thousands separator
    assert value_text(40 / 113) == "35%"
    assert value_text(3.0702, "mean") == "3.1"
    assert value_text(12345, "count") == "12,345"
    assert value_text(123.456, "rate_per_100k") == "123.5 per 100,000"
    assert value_text(0.4505, digits=1) == "45.1%"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_numbers_are_not_available_never_nan_or_zero(missing):
    assert value_text(missing) == NOT_AVAILABLE
    assert interval_text(missing, 0.5) == NOT_AVAILABLE
    assert change_text(missing) == NOT_AVAILABLE
    assert count_text(missing) == NOT_AVAILABLE


def test_an_unknown_kind_is_an_error():
    with pytest.raises(StatisticsError, match="proportion"):
        value_text(0.5, "percentage")


def test_intervals():
    assert interval_text(0.4288, 0.4724) == "43% to 47%"
    assert interval_text(-3.403, -0.119, "mean") == "-3.4 to -0.1"


def test_changes_in_words():
    # 0.3540 - 0.3698 = -0.0158 -> 1.6 percentage points down
    assert change_text(0.3540 - 0.3698) == "down 1.6 percentage points"
    assert change_text(62, "count") == "up 62"
    assert change_text(0.98, "mean") == "up 1.0"
    assert change_text(0.0004) == "no change"  # 0.04 points rounds to 0.0


def test_counts_follow_the_disclosure_threshold():
    assert count_text(0) == "0"
    assert count_text(1) == "fewer than 8"
    assert count_text(7) == "fewer than 8"
    assert count_text(8) == "8"
    assert count_text(7, threshold=5) == "7"
    assert count_text(4, threshold=5) == "fewer than 5"


@given(st.integers(min_value=8, max_value=10**6), st.sampled_from([5, 10]))
def test_rounded_counts_agree_with_the_table_rounding(n, round_to):
    expected = int(round_counts(pd.Series([n]), round_to).iat[0])
    assert count_text(n, round_to=round_to) == f"{expected:,}"


def test_ratings_in_words():
    assert rag_text("green") == "Green: met"
    assert rag_text("amber") == "Amber: missed, could be chance"
    assert rag_text("red") == "Red: missed"
    for missing in (None, float("nan"), pd.NA, "purple"):
        assert rag_text(missing) == "No rating"


def test_p_values():
    assert p_value_text(1e-12) == "less than 0.001"
    assert p_value_text(0.001) == "0.001"
    assert p_value_text(0.0499) == "0.050"
    assert p_value_text(0.5) == "0.50"
    assert p_value_text(math.nan) == NOT_AVAILABLE
