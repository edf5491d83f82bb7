"""Commissioner-facing labels: every schema code has a label, and missing values are named."""

import numpy as np
import pandas as pd
import pytest

from evalkit.data.schema import TABLES
from evalkit.errors import ValidationError
from evalkit.present.labels import (
    NOT_RECORDED,
    VALUE_LABELS,
    column_label,
    humanise,
    label_values,
    period_label,
    value_label,
    value_order,
)


@pytest.mark.parametrize(
    "column",
    ["strands", "referral_source", "delivery_mode", "exit_reason", "age_band", "sex", "ethnicity"],
)
def test_every_allowed_code_of_the_schema_has_its_own_label(column):
    # A report must never show a raw code such as "face_to_face" or "link_worker".
    allowed = TABLES["participants"].column(column).allowed
    assert allowed, column
    assert set(allowed) <= set(VALUE_LABELS[column]), set(allowed) - set(VALUE_LABELS[column])
    for code in allowed:
        assert "_" not in value_label(column, code)


def test_disability_codes_are_labelled():
    for code in TABLES["participants"].column("disability").allowed:
        assert value_label("disability", code) in {"Disabled", "Not disabled", "Not stated"}


def test_the_labels_named_in_the_brief():
    assert value_label("delivery_mode", "face_to_face") == "Face to face"
    assert column_label("imd_quintile") == "IMD quintile (1 = most deprived)"
    assert value_label("imd_quintile", 1) == "1 (most deprived)"
    assert value_label("imd_quintile", 5) == "5 (least deprived)"
    # The episode table holds quintiles as nullable integers.
    assert value_label("imd_quintile", np.int64(1)) == "1 (most deprived)"


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, pd.NaT])
def test_missing_values_read_not_recorded(missing):
    assert value_label("sex", missing) == NOT_RECORDED


def test_unknown_codes_and_names_are_humanised_not_dropped():
    assert value_label("delivery_mode", "walk_and_talk") == "Walk and talk"
    assert value_label("provider", "Northgate NHS Foundation Trust") == (
        "Northgate NHS Foundation Trust"
    )
    assert humanise("peer_led") == "Peer led"
    assert column_label("contacts") == "Contacts"


def test_label_values_keeps_the_index_and_every_row():
    values = pd.Series(["gp", None, "self", "gp"], index=[10, 11, 12, 13], name="referral_source")
    labels = label_values(values)
    assert labels.index.tolist() == [10, 11, 12, 13]
    assert labels.tolist() == ["GP", NOT_RECORDED, "Self-referral", "GP"]


def test_value_order_follows_the_label_table_then_frequency_then_missing_last():
    values = pd.Series(["male", "zeta", "female", None, "alpha", "alpha", "male"])
    # female before male (label order), then unlabelled codes by frequency, missing last
    assert value_order("sex", values) == ["female", "male", "alpha", "zeta", None]


@pytest.mark.parametrize(
    ("period", "label"),
    [
        ("2026-Q1", "Jan to Mar 2026"),
        ("2026-Q2", "Apr to Jun 2026"),
        ("2025-Q3", "Jul to Sep 2025"),
        ("2025-Q4", "Oct to Dec 2025"),
    ],
)
def test_period_labels(period, label):
    assert period_label(period) == label


@pytest.mark.parametrize("bad", ["2026-Q5", "2026Q1", "Q1-2026", ""])
def test_a_malformed_period_is_an_error_naming_the_value(bad):
    with pytest.raises(ValidationError, match="YYYY-Qn"):
        period_label(bad)
