"""Unit conversions a provider's export needs, and the units a column's values look like.

Weight-management providers record weight in stones and pounds or in pounds, height in feet and
inches or in metres; evalkit stores kilograms and centimetres (``weight_kg``, ``height_cm``).
Each conversion is declared once in :data:`CONVERSIONS` (its source parts and its factor), and a
mapping file names one by key (``stones_pounds``, ``pounds``, ``metres``, ``feet_inches``,
``kg``, ``cm``).

:func:`likely_unit` is the plausibility check by unit: a weight column whose values look like
pounds or stones, or a height in metres where centimetres are expected, is named with its likely
unit rather than accepted (190 lb read as kilograms would give a BMI of 85 without a word).

Notes
-----
The factors are the exact legal definitions: the international avoirdupois pound is
0.45359237 kg (Weights and Measures Act 1985, Schedule 1; the 1959 international yard and pound
agreement); a stone is 14 lb; an inch is 2.54 cm and a foot 12 in.

Examples
--------
>>> round(stones_pounds_to_kg(12, 7), 2)
79.38
>>> round(stones_pounds_to_kg(14, 2), 2)
89.81
>>> round(feet_inches_to_cm(5, 7), 2)
170.18
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = [
    "CONVERSIONS",
    "KG_PER_POUND",
    "CM_PER_INCH",
    "Conversion",
    "convert",
    "feet_inches_to_cm",
    "likely_unit",
    "pounds_to_kg",
    "stones_pounds_to_kg",
]

#: The international avoirdupois pound, exactly (Weights and Measures Act 1985, Schedule 1).
KG_PER_POUND = 0.45359237
POUNDS_PER_STONE = 14
#: The international inch, exactly.
CM_PER_INCH = 2.54
INCHES_PER_FOOT = 12


@dataclass(frozen=True)
class Conversion:
    """A unit a provider may send, and how it becomes evalkit's unit.

    Attributes
    ----------
    name : str
        The key a mapping file uses (``stones_pounds``).
    target_unit : str
        ``kg`` or ``cm``.
    parts : tuple of str
        The source columns, largest unit first (``("stones", "pounds")``); one part for a
        single-column unit.
    factors : tuple of float
        What one of each part is in the target unit; the result is the sum of part x factor.
    description : str
        The unit as a message names it.
    """

    name: str
    target_unit: str
    parts: tuple[str, ...]
    factors: tuple[float, ...]
    description: str


#: Every conversion a mapping may name, by key.
CONVERSIONS: dict[str, Conversion] = {
    c.name: c
    for c in (
        Conversion("kg", "kg", ("kg",), (1.0,), "kilograms"),
        Conversion("pounds", "kg", ("pounds",), (KG_PER_POUND,), "pounds (lb)"),
        Conversion(
            "stones_pounds",
            "kg",
            ("stones", "pounds"),
            (POUNDS_PER_STONE * KG_PER_POUND, KG_PER_POUND),
            "stones and pounds",
        ),
        Conversion("stones", "kg", ("stones",), (POUNDS_PER_STONE * KG_PER_POUND,), "stones"),
        Conversion("cm", "cm", ("cm",), (1.0,), "centimetres"),
        Conversion("metres", "cm", ("metres",), (100.0,), "metres"),
        Conversion("inches", "cm", ("inches",), (CM_PER_INCH,), "inches"),
        Conversion(
            "feet_inches",
            "cm",
            ("feet", "inches"),
            (INCHES_PER_FOOT * CM_PER_INCH, CM_PER_INCH),
            "feet and inches",
        ),
    )
}


def stones_pounds_to_kg(stones: float, pounds: float = 0.0) -> float:
    """Kilograms of a weight in stones and pounds.

    Examples
    --------
    >>> round(stones_pounds_to_kg(12, 7), 2)
    79.38
    """
    return (stones * POUNDS_PER_STONE + pounds) * KG_PER_POUND


def pounds_to_kg(pounds: float) -> float:
    """Kilograms of a weight in pounds.

    Examples
    --------
    >>> round(pounds_to_kg(190), 2)
    86.18
    """
    return pounds * KG_PER_POUND


def feet_inches_to_cm(feet: float, inches: float = 0.0) -> float:
    """Centimetres of a height in feet and inches.

    Examples
    --------
    >>> round(feet_inches_to_cm(5, 7), 2)
    170.18
    """
    return (feet * INCHES_PER_FOOT + inches) * CM_PER_INCH


def convert(name: str, parts: list[pd.Series]) -> pd.Series:
    """Values in evalkit's unit from the source columns of a conversion.

    A blank part counts as zero when another part of the same row has a value (``12`` stones and
    a blank pounds cell is 12 st 0 lb); a row with every part blank stays blank.

    Parameters
    ----------
    name : str
        A key of :data:`CONVERSIONS`.
    parts : list of Series
        Numeric source columns, in the order of the conversion's ``parts``.

    Examples
    --------
    >>> st, lb = pd.Series([12.0, 14.0, None]), pd.Series([7.0, 2.0, None])
    >>> convert("stones_pounds", [st, lb]).round(2).tolist()
    [79.38, 89.81, nan]
    """
    conversion = CONVERSIONS[name]
    if len(parts) != len(conversion.parts):
        raise ValueError(f"{name} needs {len(conversion.parts)} columns, got {len(parts)}")
    present = pd.concat([p.notna() for p in parts], axis=1).any(axis=1)
    total = sum(
        (p.astype(float).fillna(0.0) * f for p, f in zip(parts, conversion.factors, strict=True)),
        start=pd.Series(0.0, index=parts[0].index),
    )
    return total.where(present)


#: What a column's typical (median) value looks like in each unit: (low, high) per unit, for the
#: evalkit measure. Adult weights 40-200 kg are 6-31 st and 88-440 lb; adult heights
#: 140-210 cm are 1.4-2.1 m, 55-83 in.
_TYPICAL: dict[str, tuple[tuple[str, float, float], ...]] = {
    "weight_kg": (("stones", 5.0, 30.0), ("kg", 35.0, 180.0), ("pounds", 180.0, 450.0)),
    "height_cm": (("metres", 1.2, 2.3), ("inches", 48.0, 90.0), ("cm", 120.0, 230.0)),
}


def likely_unit(measure: str, values: pd.Series) -> str | None:
    """The unit a column of weights or heights looks like, from its median; None if unclear.

    Parameters
    ----------
    measure : str
        ``weight_kg`` or ``height_cm`` (other measures give None).
    values : Series
        The numeric values (blanks ignored).

    Notes
    -----
    The median of a column, not a single value, decides: a cohort of adults weighs a median of
    about 80 kg (12.5 st, 176 lb) and stands about 170 cm (1.70 m, 67 in); the bands above do not
    overlap for those medians. A single heavy person (190 kg) does not make a kilogram column look
    like pounds.

    Examples
    --------
    >>> likely_unit("weight_kg", pd.Series([190.0, 176.0, 210.0]))
    'pounds'
    >>> likely_unit("weight_kg", pd.Series([12.5, 14.0, 11.0]))
    'stones'
    >>> likely_unit("height_cm", pd.Series([1.62, 1.75, 1.80]))
    'metres'
    >>> likely_unit("weight_kg", pd.Series([80.0, 95.0]))
    'kg'
    """
    bands = _TYPICAL.get(measure)
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    if bands is None or numbers.empty:
        return None
    median = float(numbers.median())
    for unit, low, high in bands:
        if low <= median <= high:
            return unit
    return None
