"""Small-number suppression, NHS practice: the one home of the disclosure rules.

Suppression follows NHS practice (NHS Digital HES/ECDS disclosure control, 2018; see
``reference/measures.md`` §10): counts of 1 to 7 are not shown (threshold 8), zeros are shown,
optionally the remaining counts are rounded to the nearest 5, and a second cell is suppressed in
any row or column where a single suppressed cell could be worked out from the totals.

The same rules govern every number about people a page shows, in tables, sentences, captions,
alt text, KPIs and key figures (the values come from :class:`evalkit.config.DisclosurePolicy`):

* a count is shown when it is 0 or at least the threshold (:func:`small_count`);
* a share is shown only when its numerator *and* its complement (denominator - numerator) are
  each 0 or at least the threshold, and its denominator is too (:func:`share_withheld`): "27% of
  11 followed up" would tell that 3 were not;
* a percentage of people is shown as a whole percent (:data:`PERCENT_DECIMALS`); with counts
  rounded, a finer percentage can give back the exact count ("26.9% of 95" fits only 25 of 93),
  and :func:`percent_pins_count` finds a percentage that does;
* :func:`rule_statement` says all this in words, for the methods text of a report, and
  :func:`rule_summary` in one short sentence for the scope line of each page.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from evalkit.config import DISCLOSURE_FLOOR, DisclosurePolicy
from evalkit.errors import DisclosureError

__all__ = [
    "DEFAULT_ROUND_TO",
    "DEFAULT_THRESHOLD",
    "PERCENT_DECIMALS",
    "SUPPRESSED_SYMBOL",
    "TOTAL_LABELS",
    "count_columns_of",
    "percent_pins_count",
    "round_counts",
    "rule_statement",
    "rule_summary",
    "share_candidates",
    "share_withheld",
    "small_count",
    "suppress",
    "suppression_mask",
]

DEFAULT_THRESHOLD = 8
DEFAULT_ROUND_TO = 5
SUPPRESSED_SYMBOL = "*"
TOTAL_LABELS = ("Total", "All", "total", "all")
#: Decimal places of a percentage of people (whole percents; see :func:`percent_pins_count`).
PERCENT_DECIMALS = 0


def small_count(n: ArrayLike, threshold: int = DEFAULT_THRESHOLD) -> Any:
    """Whether a count of people is a small number: 1 to ``threshold - 1`` (zero is not).

    Works on one number or elementwise on an array or Series; a missing count is not small.

    Examples
    --------
    >>> bool(small_count(0)), bool(small_count(7)), bool(small_count(8))
    (False, True, False)
    >>> small_count(pd.Series([3, 0, 12])).tolist()
    [True, False, False]
    """
    values = _as_float(n)
    return (values > 0) & (values < threshold)


def share_withheld(
    numerator: ArrayLike, denominator: ArrayLike, threshold: int = DEFAULT_THRESHOLD
) -> Any:
    """Whether a share of people must be withheld: its numerator, its complement
    (denominator - numerator) or its denominator is a small number.

    Knowing the share and its denominator a reader knows both the people with the outcome and
    the people without it, so each must be 0 or at least ``threshold``.

    Examples
    --------
    Page 00 once showed "27% of 11 followed up": 3 of 11, so 8 were not followed up and the 3
    is a small number; 3 of 11 is withheld, and so is 8 of 11 (its complement is 3):

    >>> bool(share_withheld(3, 11)), bool(share_withheld(8, 11)), bool(share_withheld(8, 16))
    (True, True, False)
    >>> bool(share_withheld(0, 20)), bool(share_withheld(20, 20))
    (False, False)
    >>> share_withheld(pd.Series([30, 93]), pd.Series([95, 95])).tolist()
    [False, True]
    """
    k, n = _as_float(numerator), _as_float(denominator)
    return small_count(k, threshold) | small_count(n - k, threshold) | small_count(n, threshold)


def share_candidates(
    percent: float, decimals: int, denominator: int, round_to: int | None
) -> list[tuple[int, int]]:
    """Every (count, denominator) a shown "p% of N" could be, counts rounded to ``round_to``.

    The true denominator is within ``round_to / 2`` of N (N itself when counts are exact), and
    the count is any whole number giving the same percentage at ``decimals`` places.

    Examples
    --------
    >>> share_candidates(27, 0, 11, None)
    [(3, 11)]
    >>> share_candidates(26.9, 1, 95, 5)
    [(25, 93)]
    """
    half = round_to / 2 if round_to else 0
    low = max(1, math.ceil(denominator - half))
    high = math.ceil(denominator + half) - 1 if round_to else denominator  # halves round up
    tolerance = 0.5 * 10.0**-decimals + 1e-9
    return [
        (k, n)
        for n in range(low, high + 1)
        for k in range(max(0, math.floor((percent / 100 - tolerance / 100) * n)), n + 1)
        if abs(100 * k / n - percent) <= tolerance
    ]


def percent_pins_count(
    percent: float, decimals: int, denominator: int, round_to: int | None
) -> int | None:
    """The exact count a shown percentage gives back with its shown (rounded) denominator.

    A reader who sees "p% of N", with counts rounded to the nearest ``round_to``, knows the true
    denominator is within ``round_to / 2`` of N. Every count and denominator that would show the
    same percentage at ``decimals`` places is tried (:func:`share_candidates`); if they all
    share one count, the percentage has given that count away.

    Parameters
    ----------
    percent : float
        The percentage as shown (e.g. ``26.9``).
    decimals : int
        Its decimal places as shown.
    denominator : int
        The denominator as shown (rounded).
    round_to : int or None
        The rounding base of shown counts; None when counts are shown exactly (the count is
        then shown anyway, and this returns None).

    Returns
    -------
    int or None
        The only count the shown figures fit, or None when several fit (or counts are exact).

    Examples
    --------
    "26.9% of 95" fits only 25 of 93; "27% of 95" fits 25, 26 and 27 (of 93 to 97):

    >>> percent_pins_count(26.9, 1, 95, 5), percent_pins_count(27, 0, 95, 5)
    (25, None)
    """
    if not round_to:
        return None
    counts = {k for k, _ in share_candidates(percent, decimals, denominator, round_to)}
    return counts.pop() if len(counts) == 1 else None


def rule_summary(policy: DisclosurePolicy) -> str:
    """The small-number rule in one short sentence, for the scope line of each page.

    Examples
    --------
    >>> print(rule_summary(DisclosurePolicy(threshold=8, round_to=5)))
    Counts of people are rounded to the nearest 5, and groups of fewer than 8 people are not shown.
    """
    rounding = (
        f"Counts of people are rounded to the nearest {policy.round_to}"
        if policy.round_to
        else "Counts of people are shown exactly"
    )
    return f"{rounding}, and groups of fewer than {policy.threshold} people are not shown."


def rule_statement(policy: DisclosurePolicy) -> str:
    """The small-number rule a report applied, in words, for its methods text.

    Examples
    --------
    >>> print(rule_statement(DisclosurePolicy(threshold=8, round_to=5)))
    ... # doctest: +NORMALIZE_WHITESPACE
    Small numbers are protected (NHS Digital disclosure control): counts below 8 (1 to 7
    people) are not shown (NHS Digital's floor of 5 can only be raised), counts are
    rounded to the nearest 5, a share is not shown when the people with or without the
    outcome number 1 to 7, percentages are whole numbers, and further cells are hidden
    wherever a hidden count could be worked out from the totals.
    """
    threshold, round_to = policy.threshold, policy.round_to
    rounding = (
        f"counts are rounded to the nearest {round_to}" if round_to else "counts are shown exactly"
    )
    return (
        "Small numbers are protected (NHS Digital disclosure control): counts below "
        f"{threshold} (1 to {threshold - 1} people) are not shown (NHS Digital's floor of "
        f"{DISCLOSURE_FLOOR} can only be raised), {rounding}, a share is not shown when the "
        f"people with or without the outcome number 1 to {threshold - 1}, percentages are whole "
        "numbers, and further cells are hidden wherever a hidden count could be worked out from "
        "the totals."
    )


def _as_float(values: ArrayLike) -> Any:
    if isinstance(values, pd.Series):
        return pd.to_numeric(values, errors="coerce").astype(float)
    return np.asarray(values, dtype=float)


def count_columns_of(table: pd.DataFrame, count_columns: Sequence[str] | None) -> list[str]:
    """The count columns of a table: those named, else every integer-typed column.

    Examples
    --------
    >>> count_columns_of(pd.DataFrame({"site": ["N"], "n": [3], "pct": [0.5]}), None)
    ['n']
    """
    if count_columns is None:
        return [c for c in table.columns if pd.api.types.is_integer_dtype(table[c].dtype)]
    missing = [c for c in count_columns if c not in table.columns]
    if missing:
        raise DisclosureError(
            f"count column(s) {missing} not in the table (columns: {list(table.columns)})."
        )
    return list(count_columns)


def _count_values(table: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """The count cells as floats (NaN for missing), checked to be whole numbers >= 0."""
    values = table[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isnan(values) & ((values < 0) | (values != np.round(values)))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DisclosureError(
            f"row {table.index[i]!r}, column {columns[j]!r}: value {values[i, j]:g} is not a "
            "count (a whole number >= 0); only counts can be suppressed."
        )
    text = table[columns].isna().to_numpy() != np.isnan(values)
    if text.any():
        i, j = np.argwhere(text)[0]
        raise DisclosureError(
            f"row {table.index[i]!r}, column {columns[j]!r}: value "
            f"{table[columns].iat[i, j]!r} is not a number."
        )
    return values


def _pinned(
    values: np.ndarray,
    hidden: np.ndarray,
    lines: list[list[tuple[int, int]]],
    sensitive: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Sensitive hidden cells whose value an attacker can pin down exactly.

    The attacker knows the shown cells, every line total in ``lines`` and that counts are
    >= 0; each hidden cell's smallest and largest possible value are found by linear
    programming (the standard audit of cell suppression).
    """
    from scipy.optimize import linprog

    unknown = [tuple(c) for c in np.argwhere(hidden)]
    position = {cell: k for k, cell in enumerate(unknown)}
    equations, totals = [], []
    for line in lines:
        row = np.zeros(len(unknown))
        for cell in line:
            if cell in position:
                row[position[cell]] = 1.0
        if row.any():
            equations.append(row)
            totals.append(sum(values[c] for c in line if c in position))
    if not equations:
        return []
    pinned = []
    for cell in sensitive:
        objective = np.zeros(len(unknown))
        objective[position[cell]] = 1.0
        low = linprog(objective, A_eq=equations, b_eq=totals, bounds=(0, None), method="highs")
        high = linprog(-objective, A_eq=equations, b_eq=totals, bounds=(0, None), method="highs")
        if high.status != 3 and -high.fun - low.fun < 0.5:  # status 3: unbounded above
            pinned.append(cell)
    return pinned


def suppression_mask(
    table: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    count_columns: Sequence[str] | None = None,
    derived_columns: Mapping[str, str] | None = None,
    secondary: Literal["both", "rows", "columns"] = "both",
    total_labels: Iterable[str] = TOTAL_LABELS,
    shares: Mapping[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Which cells of a table must not be shown, and why.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows are categories; the count columns hold counts of people. A total row or column may
        be included (it is treated like any other cell of its row and column).
    threshold : int, default 8
        Smallest count that may be shown: counts ``1 .. threshold - 1`` are suppressed (primary
        suppression). Zero is shown. NHS Digital's rule suppresses 1-7.
    count_columns : list of str, optional
        Columns holding counts; default every integer-typed column.
    derived_columns : mapping of str to str, optional
        ``{derived column: count column}`` for values computed from a count (a percentage, a
        rate, a mean over those people); they are suppressed wherever their count is.
    secondary : {"both", "rows", "columns"}, default "both"
        Which lines (rows, columns) have totals a reader may know. A line counts when it has
        two or more count cells and its total could itself be shown (0 or at least
        ``threshold``). In such a line a single suppressed cell could be recovered by
        subtraction, so another is suppressed too: the smallest non-zero count that is not a
        total (a zero or a total only when nothing else is left; never a cell of a line
        totalling 0, which is known to be 0). Then every small count is audited: if the shown
        cells and line totals still pin it to one value (through a chain of lines), another
        cell beside it is suppressed, until none is pinned. Use "columns" when the count
        columns of a row are not parts of one whole (for example referrals and completions).
    total_labels : iterable of str
        Row labels and column names treated as totals (chosen as complements last).
    shares : mapping of str to (str, str), optional
        ``{share column: (numerator column, denominator column)}`` for shares of people (a
        percentage followed up, a rate). A share is hidden (``"share"``) where its numerator or
        denominator is hidden, or where :func:`share_withheld` holds: the people with *or
        without* the outcome number 1 to ``threshold - 1``. Both columns must be count columns.

    Returns
    -------
    pandas.DataFrame
        Same index and columns as ``table``, string dtype: ``""`` (shown), ``"primary"``
        (a small count), ``"secondary"`` (hidden so a small count cannot be worked out),
        ``"derived"`` (computed from a suppressed count) or ``"share"`` (a share whose people
        with or without the outcome are few).

    Raises
    ------
    DisclosureError
        If a count cell holds a negative, fractional or non-numeric value, a named column is
        missing, or a small count would still follow from the totals with every other cell
        suppressed.

    Notes
    -----
    A line is a row across the count columns or a column across the rows. Requiring zero or at
    least two suppressed cells per line is the usual secondary-suppression rule (UK LLC and
    OpenSAFELY guidance; reference/measures.md §10). On its own it can still leak: a hidden
    cell can be fixed by a chain of lines. The audit finds each small count's smallest and
    largest possible value by linear programming (counts >= 0, shown cells and line totals
    known) and requires them to differ.

    Examples
    --------
    >>> t = pd.DataFrame({"completed": [3, 20, 30], "not_completed": [10, 12, 15]},
    ...                  index=["North", "South", "East"])
    >>> suppression_mask(t).to_dict("index")["North"]
    {'completed': 'primary', 'not_completed': 'secondary'}
    >>> suppression_mask(t).to_dict("index")["South"]
    {'completed': 'secondary', 'not_completed': 'secondary'}
    """
    columns = count_columns_of(table, count_columns)
    derived_columns = dict(derived_columns or {})
    for derived, source in derived_columns.items():
        if derived not in table.columns or source not in columns:
            raise DisclosureError(
                f"derived column {derived!r} -> {source!r}: the derived column must be in the "
                f"table and its source must be a count column ({columns})."
            )
    values = _count_values(table, columns)
    present = ~np.isnan(values)
    reason = np.full(values.shape, "", dtype=object)
    reason[present & (values > 0) & (values < threshold)] = "primary"

    totals = set(total_labels)
    is_total = np.zeros(values.shape, dtype=bool)
    is_total[[label in totals for label in table.index], :] = True
    is_total[:, [c in totals for c in columns]] = True

    lines: list[list[tuple[int, int]]] = []
    if secondary in ("both", "rows"):
        lines += [[(i, j) for j in range(values.shape[1])] for i in range(values.shape[0])]
    if secondary in ("both", "columns"):
        lines += [[(i, j) for i in range(values.shape[0])] for j in range(values.shape[1])]
    if secondary not in ("both", "rows", "columns"):
        raise DisclosureError(f"secondary must be 'both', 'rows' or 'columns', not {secondary!r}.")
    # Only a line whose total may itself be published (0 or >= threshold) gives anything away.
    lines = [
        cells
        for line in lines
        if len(cells := [c for c in line if present[c]]) >= 2
        and ((total := sum(values[c] for c in cells)) == 0 or total >= threshold)
    ]
    # Cells of a line totalling 0 are known to be 0: hiding them hides nothing.
    known = {c for line in lines if all(values[c] == 0 for c in line) for c in line}
    sensitive = [tuple(c) for c in np.argwhere(reason == "primary")]

    def preference(cell: tuple[int, int]) -> tuple[bool, bool, float]:
        return (bool(is_total[cell]), bool(values[cell] == 0), float(values[cell]))

    def hideable(cells: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
        return [c for c in cells if not reason[c] and c not in known]

    while True:
        changed = True
        while changed:  # no line may have exactly one hidden cell
            changed = False
            for line in lines:
                candidates = hideable(line)
                if sum(1 for c in line if reason[c]) == 1 and candidates:
                    reason[min(candidates, key=preference)] = "secondary"
                    changed = True
        pinned = _pinned(values, reason != "", lines, sensitive)
        if not pinned:
            break
        # Still pinned down through a chain of lines: hide another cell beside it, or failing
        # that the smallest shown cell anywhere.
        beside = hideable(c for line in lines if pinned[0] in line for c in line)
        anywhere = hideable(c for line in lines for c in line)
        if not beside and not anywhere:
            i, j = pinned[0]
            raise DisclosureError(
                f"row {table.index[i]!r}, column {columns[j]!r}: this small count can be worked "
                "out from the table's row and column totals whatever else is hidden. Combine "
                "small categories, or pass secondary='rows' or 'columns' if only those totals "
                "are published."
            )
        reason[min(beside or anywhere, key=preference)] = "secondary"

    mask = pd.DataFrame("", index=table.index, columns=table.columns, dtype="str")
    mask[columns] = pd.DataFrame(reason, index=table.index, columns=columns).astype("str")
    for derived, source in derived_columns.items():
        mask[derived] = mask[source].where(mask[source] == "", "derived")
    for share, (numerator, denominator) in (shares or {}).items():
        if share not in table.columns or numerator not in columns or denominator not in columns:
            raise DisclosureError(
                f"share column {share!r} -> ({numerator!r}, {denominator!r}): the share must be "
                f"in the table and its numerator and denominator must be count columns "
                f"({columns})."
            )
        few = share_withheld(table[numerator], table[denominator], threshold).to_numpy(bool)
        hidden = few | (mask[numerator] != "").to_numpy() | (mask[denominator] != "").to_numpy()
        mask[share] = mask[share].where(~hidden | (mask[share] != ""), "share")
    return mask


def round_counts(values: pd.Series, round_to: int = DEFAULT_ROUND_TO) -> pd.Series:
    """Round counts to the nearest multiple of ``round_to`` (halves up); zero stays zero.

    Examples
    --------
    >>> round_counts(pd.Series([0, 8, 12, 13, 102])).tolist()
    [0, 10, 10, 15, 100]
    """
    numbers = pd.to_numeric(values).astype("Float64")
    return (np.floor(numbers / round_to + 0.5) * round_to).astype("Int64")


def suppress(
    table: pd.DataFrame,
    threshold: int = DEFAULT_THRESHOLD,
    *,
    count_columns: Sequence[str] | None = None,
    derived_columns: Mapping[str, str] | None = None,
    secondary: Literal["both", "rows", "columns"] = "both",
    total_labels: Iterable[str] = TOTAL_LABELS,
    round_to: int | None = None,
    shares: Mapping[str, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """Apply primary and secondary suppression to a table of counts.

    Parameters are those of :func:`suppression_mask`, plus:

    round_to : int, optional
        Round the counts that are shown to the nearest multiple (NHS practice: 5; the config's
        ``disclosure.round_to``). Suppression is decided on the unrounded counts.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with suppressed cells set to missing (``<NA>``). Count columns become
        nullable ``Int64`` and derived columns ``Float64``. :func:`suppression_mask` on the same
        arguments says why each cell is missing.

    Examples
    --------
    The row total would give away the 3 (53 - 20 - 30), so a second cell is hidden:

    >>> t = pd.DataFrame({"north": [3, 40], "south": [20, 25], "east": [30, 35]},
    ...                  index=["quit", "not_quit"])
    >>> suppress(t)
              north  south  east
    quit       <NA>   <NA>    30
    not_quit   <NA>   <NA>    35
    """
    mask = suppression_mask(
        table,
        threshold,
        count_columns=count_columns,
        derived_columns=derived_columns,
        secondary=secondary,
        total_labels=total_labels,
        shares=shares,
    )
    result = table.copy()
    for column in count_columns_of(table, count_columns):
        counts = pd.to_numeric(result[column]).astype("Int64")
        if round_to:
            counts = round_counts(counts, round_to)
        result[column] = counts.mask(mask[column] != "")
    for column in {**dict(derived_columns or {}), **dict(shares or {})}:
        result[column] = pd.to_numeric(result[column]).astype("Float64").mask(mask[column] != "")
    return result
