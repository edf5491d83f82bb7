"""Numbers as a commissioner reads them: percentages, intervals, changes, counts and ratings.

Each KPI unit (``proportion``, ``count``, ``mean``, ``rate_per_100k``; see :mod:`evalkit.kpi`)
has one declared format (:data:`VALUE_FORMATS`): proportions are shown as whole percentages and
their changes in percentage points, means and rates to one decimal place. A missing number is
written "not available", never "nan" or 0. Counts of people in sentences follow the disclosure
rules of the tables (:mod:`evalkit.disclosure.suppression`): 1 to threshold - 1 is "fewer than 8",
and the
rest are rounded when the evaluation rounds counts.

Examples
--------
>>> value_text(0.4505), interval_text(0.4288, 0.4724), change_text(-0.0221)
('45%', '43% to 47%', 'down 2.2 percentage points')
>>> rag_text("amber")
'Amber: missed, could be chance'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from evalkit.errors import StatisticsError

__all__ = [
    "NOT_AVAILABLE",
    "RAG_TEXT",
    "VALUE_FORMATS",
    "ValueFormat",
    "change_text",
    "count_text",
    "interval_text",
    "p_value_text",
    "rag_text",
    "value_text",
]

#: What a missing number is called.
NOT_AVAILABLE = "not available"


@dataclass(frozen=True)
class ValueFormat:
    """How values of one KPI unit are written.

    ``scale`` multiplies the stored value (100 turns a proportion into a percentage); ``suffix``
    follows a value, ``change_suffix`` a change; ``digits`` and ``change_digits`` are decimal
    places.
    """

    scale: float
    suffix: str
    digits: int
    change_suffix: str
    change_digits: int


#: One format per KPI unit.
VALUE_FORMATS: Mapping[str, ValueFormat] = {
    "proportion": ValueFormat(100, "%", 0, " percentage points", 1),
    "count": ValueFormat(1, "", 0, "", 0),
    "mean": ValueFormat(1, "", 1, "", 1),
    "rate_per_100k": ValueFormat(1, " per 100,000", 1, " per 100,000", 1),
}

#: Ratings in words, so that a RAG rating never relies on colour alone.
RAG_TEXT: Mapping[str, str] = {
    "green": "Green: met",
    "amber": "Amber: missed, could be chance",
    "red": "Red: missed",
}


def _format(kind: str) -> ValueFormat:
    try:
        return VALUE_FORMATS[kind]
    except KeyError:
        raise StatisticsError(
            f"unknown kind of value {kind!r}; expected one of {', '.join(VALUE_FORMATS)}."
        ) from None


def _number(value: object) -> float | None:
    """The value as a float, or None when it is missing (None, NaN or pandas' NA)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except TypeError:
        return None
    return None if math.isnan(number) else number


def value_text(value: float | None, kind: str = "proportion", digits: int | None = None) -> str:
    """One value in words and digits.

    Parameters
    ----------
    value : float or None
        On the KPI's own scale (a proportion from 0 to 1, a count, a mean, a rate).
    kind : {"proportion", "count", "mean", "rate_per_100k"}
        Decides the scale, suffix and default decimal places (:data:`VALUE_FORMATS`).
    digits : int, optional
        Decimal places, overriding the default.

    Examples
    --------
    >>> value_text(0.355), value_text(1234, "count"), value_text(3.07, "mean")
    ('36%', '1,234', '3.1')
    >>> value_text(float("nan"))
    'not available'
    """
    fmt = _format(kind)
    number = _number(value)
    if number is None:
        return NOT_AVAILABLE
    places = fmt.digits if digits is None else digits
    return f"{number * fmt.scale:,.{places}f}{fmt.suffix}"


def interval_text(
    lower: float | None, upper: float | None, kind: str = "proportion", digits: int | None = None
) -> str:
    """A confidence interval as "low to high" (``not available`` when either end is missing).

    Examples
    --------
    >>> interval_text(0.3012, 0.4121)
    '30% to 41%'
    >>> interval_text(2.14, 3.98, "mean")
    '2.1 to 4.0'
    """
    if _number(lower) is None or _number(upper) is None:
        return NOT_AVAILABLE
    return f"{value_text(lower, kind, digits)} to {value_text(upper, kind, digits)}"


def change_text(change: float | None, kind: str = "proportion", digits: int | None = None) -> str:
    """A change from the previous period as "up ...", "down ..." or "no change".

    A change that rounds to zero at the shown precision is "no change".

    Examples
    --------
    >>> change_text(0.0157), change_text(-22, "count"), change_text(0.0002)
    ('up 1.6 percentage points', 'down 22', 'no change')
    """
    fmt = _format(kind)
    number = _number(change)
    if number is None:
        return NOT_AVAILABLE
    places = fmt.change_digits if digits is None else digits
    size = round(abs(number) * fmt.scale, places)
    if size == 0:
        return "no change"
    direction = "up" if number > 0 else "down"
    return f"{direction} {size:,.{places}f}{fmt.change_suffix}"


def count_text(n: float | None, *, threshold: int = 8, round_to: int | None = None) -> str:
    """A count of people for a sentence, following the table disclosure rules.

    Parameters
    ----------
    n : number
        The count.
    threshold : int
        Smallest count that may be shown; 1 to ``threshold - 1`` becomes "fewer than
        ``threshold``". Zero is shown.
    round_to : int, optional
        Round shown counts to the nearest multiple (halves up), as the tables do.

    Examples
    --------
    >>> count_text(3), count_text(0), count_text(1234), count_text(1234, round_to=5)
    ('fewer than 8', '0', '1,234', '1,235')
    """
    count = _number(n)
    if count is None:
        return NOT_AVAILABLE
    if 0 < count < threshold:
        return f"fewer than {threshold}"
    if round_to:
        count = math.floor(count / round_to + 0.5) * round_to
    return f"{count:,.0f}"


def rag_text(rag: str | None) -> str:
    """A red/amber/green rating in words (:data:`RAG_TEXT`); no rating is "No rating".

    Examples
    --------
    >>> rag_text("red"), rag_text(None)
    ('Red: missed', 'No rating')
    """
    return RAG_TEXT.get(rag, "No rating") if isinstance(rag, str) else "No rating"


def p_value_text(p: float | None) -> str:
    """A p-value for a sentence: "less than 0.001", or to 3 (from 0.1, 2) decimal places.

    Examples
    --------
    >>> p_value_text(0.00002), p_value_text(0.0312), p_value_text(0.456)
    ('less than 0.001', '0.031', '0.46')
    """
    value = _number(p)
    if value is None:
        return NOT_AVAILABLE
    if value < 0.001:
        return "less than 0.001"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"
