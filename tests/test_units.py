"""Unit conversions and the plausibility check by unit (evalkit.data.units).

Expected values are worked by hand from the legal definitions (1 lb = 0.45359237 kg, 1 st =
14 lb, 1 in = 2.54 cm, 1 ft = 12 in), not from the code under test.
"""

import pandas as pd
import pytest

from evalkit.data.units import (
    convert,
    feet_inches_to_cm,
    likely_unit,
    pounds_to_kg,
    stones_pounds_to_kg,
)


@pytest.mark.parametrize(
    ("stones", "pounds", "kg"),
    [
        (12, 7, 79.38),  # 175 lb x 0.45359237 = 79.3787
        (14, 2, 89.81),  # 198 lb = 89.8113
        (13, 7, 85.73),  # 189 lb = 85.7290
        (11, 0, 69.85),  # 154 lb = 69.8532
        (0, 1, 0.45),
    ],
)
def test_stones_and_pounds_to_kilograms(stones, pounds, kg):
    assert stones_pounds_to_kg(stones, pounds) == pytest.approx(kg, abs=0.005)


def test_pounds_to_kilograms():
    assert pounds_to_kg(190) == pytest.approx(86.18, abs=0.005)  # 190 x 0.45359237 = 86.1826
    assert pounds_to_kg(1) == 0.45359237


@pytest.mark.parametrize(
    ("feet", "inches", "cm"),
    [(5, 7, 170.18), (5, 3, 160.02), (6, 0, 182.88), (5, 11.5, 181.61)],
)
def test_feet_and_inches_to_centimetres(feet, inches, cm):
    assert feet_inches_to_cm(feet, inches) == pytest.approx(cm, abs=0.005)


def test_convert_columns_blank_part_is_zero_all_blank_stays_blank():
    stones = pd.Series([12.0, 11.0, None])
    pounds = pd.Series([7.0, None, None])
    out = convert("stones_pounds", [stones, pounds])
    assert out[0] == pytest.approx(79.3787, abs=1e-4)
    assert out[1] == pytest.approx(69.8532, abs=1e-4)  # 11 st, blank pounds = 11 st 0 lb
    assert pd.isna(out[2])


def test_convert_metres_and_pounds():
    assert convert("metres", [pd.Series([1.75])])[0] == pytest.approx(175.0)
    assert convert("pounds", [pd.Series([200.0])])[0] == pytest.approx(90.718474)


def test_convert_refuses_the_wrong_number_of_parts():
    with pytest.raises(ValueError, match="needs 2 columns"):
        convert("feet_inches", [pd.Series([5.0])])


@pytest.mark.parametrize(
    ("measure", "values", "unit"),
    [
        ("weight_kg", [190, 176, 210, 240], "pounds"),
        ("weight_kg", [12.5, 14, 11, 16], "stones"),
        ("weight_kg", [80, 95, 62, 190], "kg"),  # one heavy person is not a column of pounds
        ("height_cm", [1.62, 1.75, 1.8], "metres"),
        ("height_cm", [64, 67, 70], "inches"),
        ("height_cm", [162, 175, 180], "cm"),
        ("weight_kg", [], None),
        ("co_ppm", [12, 3], None),
    ],
)
def test_likely_unit(measure, values, unit):
    assert likely_unit(measure, pd.Series(values, dtype=float)) == unit
