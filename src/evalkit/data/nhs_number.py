"""NHS numbers: the modulus-11 check digit, normalisation, and masking for reports.

An NHS number is ten digits; the tenth is a check digit computed from the first nine by the
modulus-11 algorithm of the NHS Data Dictionary ("NHS Number"): multiply the first nine digits by
the weights 10, 9, ..., 2, sum, take the remainder on division by 11 and subtract it from 11. A
result of 11 gives the check digit 0; a result of 10 means the nine digits were never issued as an
NHS number. Providers write the number with spaces (``943 476 5919``), hyphens or neither;
:func:`check_nhs_numbers` accepts all three.

The number is personal data: it is validated and pseudonymised at ingest
(:mod:`evalkit.data.pseudonym`) and never written anywhere. A value that fails is reported with
:func:`mask_nhs_number`, which keeps its shape and hides its digits.

Examples
--------
>>> check_digit("943476591")
9
>>> is_valid_nhs_number("943 476 5919"), is_valid_nhs_number("943 476 5910")
(True, False)
>>> mask_nhs_number("943 476 5910")
'XXX XXX XXXX'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "NHS_NUMBER_RULES",
    "WEIGHTS",
    "check_digit",
    "check_nhs_numbers",
    "is_valid_nhs_number",
    "mask_nhs_number",
]

#: The weights of the first nine digits in the modulus-11 check (NHS Data Dictionary).
WEIGHTS = np.arange(10, 1, -1)

#: Why a value is not a usable NHS number, with the hint a provider reads (one home for both).
NHS_NUMBER_RULES: dict[str, str] = {
    "NHS number is not 10 digits": "Give the 10-digit NHS number (spaces or hyphens between "
    "the groups are fine) or leave the cell blank if it is not known; a number Excel shows as "
    "9.43E+09 has lost its digits, so format the column as text before exporting.",
    "NHS number check digit does not match (modulus 11)": "A digit is mistyped or two are "
    "transposed: check the number against the provider's system (or the Personal Demographics "
    "Service).",
    "NHS number check digit would be 10 (never issued)": "No NHS number has these first nine "
    "digits: check the number against the provider's system.",
    "NHS number is a placeholder (all one digit)": "Leave the cell blank when the NHS number is "
    "not known, rather than a placeholder such as 0000000000.",
}
_NOT_TEN, _MISMATCH, _TEN, _PLACEHOLDER = NHS_NUMBER_RULES


def check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit of the first nine digits, or None when it would be 10.

    Examples
    --------
    >>> check_digit("401023213"), check_digit("123456789")
    (7, None)
    """
    total = int(np.dot(WEIGHTS, [int(d) for d in first_nine]))
    digit = 11 - total % 11
    return None if digit == 10 else digit % 11


def is_valid_nhs_number(value: object) -> bool:
    """Whether one value is a valid NHS number (see :func:`check_nhs_numbers`).

    Examples
    --------
    >>> is_valid_nhs_number("401-023-2137"), is_valid_nhs_number("1111111111")
    (True, False)
    """
    checked = check_nhs_numbers(pd.Series([value], dtype="string"))
    return bool(checked["nhs_number"].notna().iloc[0])


def check_nhs_numbers(values: pd.Series) -> pd.DataFrame:
    """Normalise and check NHS numbers as a provider typed them.

    Parameters
    ----------
    values : Series
        Text as supplied (missing values are allowed and are not a problem).

    Returns
    -------
    DataFrame
        Same index as ``values``; ``nhs_number``: the ten digits without separators, or NA when
        blank or invalid; ``problem``: NA, or a key of :data:`NHS_NUMBER_RULES`.

    Notes
    -----
    Spaces (any whitespace) and hyphens are removed; what remains must be ten digits whose
    last is the modulus-11 check digit of the first nine, and not ten copies of one digit
    (``0000000000`` passes the arithmetic but is a placeholder).

    Examples
    --------
    >>> s = pd.Series(["943 476 5919", "943 476 5910", "12345", None, "1234567890"])
    >>> checked = check_nhs_numbers(s)
    >>> checked["nhs_number"].tolist()
    ['9434765919', <NA>, <NA>, <NA>, <NA>]
    >>> checked["problem"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    [<NA>, 'NHS number check digit does not match (modulus 11)',
     'NHS number is not 10 digits', <NA>, 'NHS number check digit would be 10 (never issued)']
    """
    text = values.astype("string").str.replace(r"[\s\-]", "", regex=True)
    blank = text.isna() | (text == "")
    ten = text.str.fullmatch(r"\d{10}").fillna(False).astype(bool) & ~blank
    problem = pd.Series(pd.NA, index=values.index, dtype="string")
    problem[~blank & ~ten] = _NOT_TEN
    if ten.any():
        digits = np.frombuffer("".join(text[ten]).encode("ascii"), dtype=np.uint8) - ord("0")
        digits = digits.reshape(-1, 10).astype(np.int64)
        check = 11 - (digits[:, :9] @ WEIGHTS) % 11
        never = check == 10
        check = check % 11
        same = (digits == digits[:, :1]).all(axis=1)
        rule = np.where(
            never,
            _TEN,
            np.where(check != digits[:, 9], _MISMATCH, np.where(same, _PLACEHOLDER, "")),
        )
        problem[ten] = pd.Series(rule, index=text.index[ten], dtype="string").replace("", pd.NA)
    good = ten & problem.isna()
    number = text.where(good, pd.NA).astype("string")
    return pd.DataFrame({"nhs_number": number, "problem": problem}, index=values.index)


def mask_nhs_number(value: object) -> str:
    """A value as an issue may show it: every letter and digit replaced by ``X``.

    The shape (length, spaces, hyphens) stays, so a provider can see a digit missing or an
    extra separator without the number itself reaching ``issues.csv``.

    Examples
    --------
    >>> mask_nhs_number("943-476-591"), mask_nhs_number(None)
    ('XXX-XXX-XXX', '')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return "".join("X" if ch.isalnum() else ch for ch in str(value))
