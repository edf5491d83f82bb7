"""The contract timeline: its milestones, and where a report's period sits in the contract.

``evaluation.yml`` may declare the contract the service runs under (``contract:``, the model
:class:`evalkit.config.ContractTimeline`): start, end of mobilisation, end of the initial term,
break clauses, optional extensions and declared change points. :func:`contract_milestones`
lists those dates as a tidy table, which charts mark; :func:`contract_position` says where a
date (usually the last day of the report period) falls: which month of the contract, which
term, and the next milestone.

Examples
--------
>>> from evalkit.config import ContractTimeline
>>> contract = ContractTimeline(start="2024-07-01", mobilisation_end="2024-09-30",
...     end="2029-06-30", break_clauses=["2027-06-30"], extensions=[{"until": "2031-06-30"}])
>>> contract_milestones(contract)[["date", "kind"]].astype(str).values.tolist()[:3]
[['2024-07-01', 'start'], ['2024-09-30', 'mobilisation_end'], ['2027-06-30', 'break_clause']]
>>> position = contract_position(contract, "2026-06-30")
>>> position.month, position.term, position.term_months, position.next_label
(24, 'initial term', 60, 'break clause')
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pandas as pd

from evalkit.config import ContractTimeline
from evalkit.errors import ConfigError

__all__ = [
    "MILESTONE_COLUMNS",
    "MILESTONE_KINDS",
    "ContractPosition",
    "contract_milestones",
    "contract_position",
    "period_end",
]

#: Kinds of milestone, in the order they are listed on a day with several.
MILESTONE_KINDS = (
    "start",
    "mobilisation_end",
    "change_point",
    "break_clause",
    "initial_term_end",
    "extension_end",
)
#: Columns of :func:`contract_milestones`.
MILESTONE_COLUMNS = ("date", "kind", "label")

_LABELS = {
    "start": "contract starts",
    "mobilisation_end": "mobilisation ends",
    "break_clause": "break clause",
    "initial_term_end": "initial term ends",
}


def contract_milestones(contract: ContractTimeline) -> pd.DataFrame:
    """Every dated milestone of the contract, in date order.

    Returns
    -------
    DataFrame
        Columns :data:`MILESTONE_COLUMNS`: ``date`` (Timestamp), ``kind`` (one of
        :data:`MILESTONE_KINDS`) and ``label`` (plain English: "break clause", "extension 1
        ends", or a change point's own label).
    """
    rows: list[tuple[datetime.date, str, str]] = [
        (contract.start, "start", _LABELS["start"]),
        (contract.end, "initial_term_end", _LABELS["initial_term_end"]),
    ]
    if contract.mobilisation_end is not None:
        rows.append((contract.mobilisation_end, "mobilisation_end", _LABELS["mobilisation_end"]))
    rows += [(when, "break_clause", _LABELS["break_clause"]) for when in contract.break_clauses]
    rows += [
        (extension.until, "extension_end", extension.label or f"extension {number} ends")
        for number, extension in enumerate(contract.extensions, start=1)
    ]
    rows += [(change.date, "change_point", change.label) for change in contract.change_points]
    table = pd.DataFrame(rows, columns=list(MILESTONE_COLUMNS))
    table["date"] = pd.to_datetime(table["date"])
    table["_order"] = table["kind"].map(MILESTONE_KINDS.index)
    table = table.sort_values(["date", "_order"], kind="stable").drop(columns="_order")
    return table.reset_index(drop=True)


@dataclass(frozen=True)
class ContractPosition:
    """Where a date sits in the contract (:func:`contract_position`).

    Attributes
    ----------
    on : date
        The date asked about.
    month : int
        Month of the contract the date falls in (1 = the month the contract starts); 0 before
        the start.
    term : str
        ``"before the contract"``, ``"mobilisation"``, ``"initial term"``, ``"extension 1"`` …
        or ``"after the contract"``.
    term_months : int
        Length of the initial term in whole months.
    total_months : int
        Length of the contract with every extension, in whole months.
    next_date, next_label : date or None, str or None
        The next milestone after ``on`` (a break clause, the end of a term, a change point).
    """

    on: datetime.date
    month: int
    term: str
    term_months: int
    total_months: int
    next_date: datetime.date | None
    next_label: str | None


def _months(first: datetime.date, last: datetime.date) -> int:
    """Calendar months from the month of ``first`` to the month of ``last``, both counted."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _as_date(value: datetime.date | str | pd.Timestamp) -> datetime.date:
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"expected a date (YYYY-MM-DD), got {value!r}.") from exc
    return stamp.date()


def contract_position(
    contract: ContractTimeline, on: datetime.date | str | pd.Timestamp
) -> ContractPosition:
    """Which month and term of the contract a date falls in, and the next milestone.

    Parameters
    ----------
    contract : ContractTimeline
    on : date, str or Timestamp
        Usually the last day of the report period (:func:`period_end`).

    Returns
    -------
    ContractPosition

    Examples
    --------
    >>> from evalkit.config import ContractTimeline
    >>> contract = ContractTimeline(start="2024-07-01", mobilisation_end="2024-09-30",
    ...                             end="2029-06-30")
    >>> contract_position(contract, "2024-08-15").term
    'mobilisation'
    >>> contract_position(contract, "2029-07-01").term
    'after the contract'
    """
    when = _as_date(on)
    last = contract.extensions[-1].until if contract.extensions else contract.end
    if when < contract.start:
        term = "before the contract"
    elif contract.mobilisation_end is not None and when <= contract.mobilisation_end:
        term = "mobilisation"
    elif when <= contract.end:
        term = "initial term"
    elif when <= last:
        ends = [extension.until for extension in contract.extensions]
        term = f"extension {next(i for i, end in enumerate(ends, 1) if when <= end)}"
    else:
        term = "after the contract"
    milestones = contract_milestones(contract)
    later = milestones[milestones["date"] > pd.Timestamp(when)]
    return ContractPosition(
        on=when,
        month=max(_months(contract.start, when), 0) if when >= contract.start else 0,
        term=term,
        term_months=_months(contract.start, contract.end),
        total_months=_months(contract.start, last),
        next_date=None if later.empty else later["date"].iloc[0].date(),
        next_label=None if later.empty else str(later["label"].iloc[0]),
    )


def period_end(period: str) -> datetime.date:
    """The last day of a reporting period (``YYYY-Qn`` quarter or ``YYYY-MM`` month).

    Examples
    --------
    >>> period_end("2026-Q2"), period_end("2025-02")
    (datetime.date(2026, 6, 30), datetime.date(2025, 2, 28))
    """
    freq = "Q" if "Q" in period else "M"
    try:
        return pd.Period(period, freq=freq).end_time.date()
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"period {period!r} is neither a quarter (YYYY-Qn) nor a month (YYYY-MM)."
        ) from exc
