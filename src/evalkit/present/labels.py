"""Commissioner-facing labels for the codes and column names of the episode table.

Reports show ``face_to_face`` as "Face to face" and ``imd_quintile`` as "IMD quintile (1 = most
deprived)". The labels are data (:data:`COLUMN_LABELS`, :data:`VALUE_LABELS`); a code without a
label is shown with its underscores turned into spaces and a capital first letter, so a new code
added by a provider still reads as words rather than breaking the report. A missing value is
shown as "Not recorded", never dropped.

Examples
--------
>>> value_label("delivery_mode", "face_to_face")
'Face to face'
>>> column_label("imd_quintile")
'IMD quintile (1 = most deprived)'
>>> period_label("2026-Q1")
'Jan to Mar 2026'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import pandas as pd

from evalkit.errors import ValidationError

__all__ = [
    "date_text",
    "COLUMN_LABELS",
    "NOT_RECORDED",
    "VALUE_LABELS",
    "column_label",
    "humanise",
    "label_values",
    "period_label",
    "value_label",
    "value_order",
]

#: Label of a missing value.
NOT_RECORDED = "Not recorded"

#: Plain-English names of episode-table columns.
COLUMN_LABELS: Mapping[str, str] = {
    "provider": "Provider",
    "site": "Site",
    "strands": "Programme strand",
    "referral_source": "Referral source",
    "delivery_mode": "How support was delivered",
    "exit_reason": "Reason for leaving",
    "age_band": "Age group",
    "sex": "Sex",
    "ethnicity": "Ethnic group",
    "disability": "Disability",
    "imd_decile": "IMD decile (1 = most deprived)",
    "imd_quintile": "IMD quintile (1 = most deprived)",
    "period": "Quarter",
}

#: Plain-English labels of coded values, per column, in the order reports list them.
VALUE_LABELS: Mapping[str, Mapping[object, str]] = {
    "strands": {
        "smoking": "Stop smoking",
        "weight": "Weight management",
        "activity": "Physical activity",
        "diet": "Healthy eating",
        "alcohol": "Alcohol",
        "wellbeing": "Mental wellbeing",
        "talking_therapy": "Talking therapy",
    },
    "referral_source": {
        "gp": "GP",
        "self": "Self-referral",
        "link_worker": "Social prescribing link worker",
        "health_visitor": "Health visitor",
        "community": "Community organisation",
        "hospital": "Hospital",
        "other": "Other",
    },
    "delivery_mode": {
        "face_to_face": "Face to face",
        "telephone": "Telephone",
        "digital": "Digital or online",
        "group": "Group sessions",
        "peer_led": "Peer-led",
    },
    "exit_reason": {
        "completed": "Completed",
        "disengaged": "Stopped attending",
        "moved_away": "Moved away",
        "declined": "Declined",
        "transferred": "Transferred",
        "other": "Other",
        "ongoing": "Still being supported",
    },
    "age_band": {
        "16-24": "16 to 24",
        "25-34": "25 to 34",
        "35-44": "35 to 44",
        "45-54": "45 to 54",
        "55-64": "55 to 64",
        "65-74": "65 to 74",
        "75+": "75 and over",
    },
    "sex": {"female": "Female", "male": "Male", "other": "Other", "not_stated": "Not stated"},
    "ethnicity": {
        "asian": "Asian or Asian British",
        "black": "Black, Black British, Caribbean or African",
        "mixed": "Mixed or multiple ethnic groups",
        "white": "White",
        "other": "Other ethnic group",
        "not_stated": "Not stated",
    },
    "disability": {"yes": "Disabled", "no": "Not disabled", "not_stated": "Not stated"},
    "imd_quintile": {
        1: "1 (most deprived)",
        2: "2",
        3: "3",
        4: "4",
        5: "5 (least deprived)",
    },
}

_PERIOD = re.compile(r"(\d{4})-Q([1-4])")
_QUARTER_MONTHS = {"1": "Jan to Mar", "2": "Apr to Jun", "3": "Jul to Sep", "4": "Oct to Dec"}


def humanise(code: object) -> str:
    """A code as words: underscores to spaces, first letter capitalised, the rest kept.

    Examples
    --------
    >>> humanise("peer_led"), humanise("Northgate NHS Trust")
    ('Peer led', 'Northgate NHS Trust')
    """
    text = str(code).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def column_label(column: str) -> str:
    """Plain-English name of an episode-table column (humanised when it has no label).

    Examples
    --------
    >>> column_label("referral_source"), column_label("contacts")
    ('Referral source', 'Contacts')
    """
    return COLUMN_LABELS.get(column, humanise(column))


def _lookup(column: str) -> Mapping[object, str]:
    return VALUE_LABELS.get(column, {})


def value_label(column: str, value: object) -> str:
    """Plain-English label of one value of a column.

    Parameters
    ----------
    column : str
        Episode-table column the value comes from (decides the lookup table).
    value : object
        The coded value. Missing values (None, NaN, NA) give :data:`NOT_RECORDED`.

    Examples
    --------
    >>> value_label("imd_quintile", 1), value_label("sex", None), value_label("site", "North")
    ('1 (most deprived)', 'Not recorded', 'North')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return NOT_RECORDED
    labels = _lookup(column)
    return labels[value] if value in labels else humanise(value)


def label_values(values: pd.Series, column: str | None = None) -> pd.Series:
    """Labels for a whole column, as a ``str`` Series with the same index.

    Parameters
    ----------
    values : Series
        Coded values.
    column : str, optional
        Which column's labels to use; default ``values.name``.

    Examples
    --------
    >>> label_values(pd.Series(["gp", "self", None], name="referral_source")).tolist()
    ['GP', 'Self-referral', 'Not recorded']
    """
    column = column if column is not None else str(values.name)
    return values.map(lambda v: value_label(column, v)).astype("str")


def value_order(column: str, values: pd.Series) -> list[object]:
    """The order a report lists a column's values in.

    Values with a label come in the order of :data:`VALUE_LABELS`; other values follow, most
    frequent first (ties alphabetically); missing values come last (as ``None``).

    Examples
    --------
    >>> value_order("sex", pd.Series(["male", "female", "female", None]))
    ['female', 'male', None]
    >>> value_order("site", pd.Series(["South", "North", "North"]))
    ['North', 'South']
    """
    present = values.dropna()
    known = [code for code in _lookup(column) if (present == code).any()]
    counts = present[~present.isin(known)].value_counts()
    others = sorted(counts.index, key=lambda v: (-counts[v], str(v)))
    return known + others + ([None] if values.isna().any() else [])


def period_label(period: str) -> str:
    """A ``YYYY-Qn`` calendar quarter in words.

    Raises
    ------
    ValidationError
        If ``period`` is not of the form ``YYYY-Qn`` with n from 1 to 4.

    Examples
    --------
    >>> period_label("2025-Q4")
    'Oct to Dec 2025'
    """
    match = _PERIOD.fullmatch(str(period))
    if not match:
        raise ValidationError(
            f"period {period!r} is not a calendar quarter written YYYY-Qn (e.g. 2026-Q1)."
        )
    year, quarter = match.groups()
    return f"{_QUARTER_MONTHS[quarter]} {year}"


def date_text(when: dt.date) -> str:
    """A date as a reader writes it, day without a leading zero: ``2 December 2026``.

    (strftime's flag for an unpadded day exists on Linux and macOS only.)

    Examples
    --------
    >>> import datetime as dt
    >>> date_text(dt.date(2026, 12, 2))
    '2 December 2026'
    """
    return f"{when.day} {when:%B %Y}"
