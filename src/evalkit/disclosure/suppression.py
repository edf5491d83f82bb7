"""Small-number suppression of tables, NHS practice: primary and secondary, with rounding.

Suppression follows NHS practice (NHS Digital HES/ECDS disclosure control, 2018; see
``reference/measures.md`` §10): counts of 1 to 7 are not shown (threshold 8), zeros are shown,
optionally the remaining counts are rounded to the nearest 5, and a second cell is suppressed in
any row or column where a single suppressed cell could be worked out from the totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import DisclosureError

__all__ = [
    "DEFAULT_ROUND_TO",
    "DEFAULT_THRESHOLD",
    "SUPPRESSED_SYMBOL",
    "TOTAL_LABELS",
    "round_counts",
    "suppress",
    "suppression_mask",
]

DEFAULT_THRESHOLD = 8
DEFAULT_ROUND_TO = 5
SUPPRESSED_SYMBOL = "*"
TOTAL_LABELS = ("Total", "All", "total", "all")


def _count_columns(table: pd.DataFrame, count_columns: Sequence[str] | None) -> list[str]:
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

    Returns
    -------
    pandas.DataFrame
        Same index and columns as ``table``, string dtype: ``""`` (shown), ``"primary"``
        (a small count), ``"secondary"`` (hidden so a small count cannot be worked out) or
        ``"derived"`` (computed from a suppressed count).

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
    columns = _count_columns(table, count_columns)
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
    )
    result = table.copy()
    for column in _count_columns(table, count_columns):
        counts = pd.to_numeric(result[column]).astype("Int64")
        if round_to:
            counts = round_counts(counts, round_to)
        result[column] = counts.mask(mask[column] != "")
    for column in derived_columns or {}:
        result[column] = pd.to_numeric(result[column]).astype("Float64").mask(mask[column] != "")
    return result
