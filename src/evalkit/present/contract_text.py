"""Where a report sits in the contract, in one sentence a committee reads.

Examples
--------
>>> from evalkit.config import ContractTimeline
>>> contract = ContractTimeline(start="2024-07-01", mobilisation_end="2024-09-30",
...     end="2029-06-30", break_clauses=["2027-06-30"],
...     extensions=[{"until": "2031-06-30"}, {"until": "2033-06-30"}])
>>> print(contract_position_text(contract, "2026-Q2"))
This report covers the service to 30 June 2026: month 24 of the contract's 60-month initial \
term (which started on 1 July 2024; 108 months with both extensions). Next milestone: break \
clause on 30 June 2027.
"""

from __future__ import annotations

from evalkit.config import ContractTimeline
from evalkit.data.contract import contract_position, period_end
from evalkit.present.labels import date_text

__all__ = ["contract_position_text"]


def contract_position_text(contract: ContractTimeline | None, period: str) -> str:
    """One sentence: the report's end date, its month and term of the contract, what is next.

    Parameters
    ----------
    contract : ContractTimeline or None
        ``EvaluationConfig.contract``; None gives a sentence saying how to add it.
    period : str
        The report period (``YYYY-Qn``).

    Returns
    -------
    str
    """
    if contract is None:
        return (
            "No contract timeline is declared (add a `contract:` section to evaluation.yml, "
            "docs/spc.md), so the report cannot say where in the contract it sits."
        )
    end = period_end(period)
    where = contract_position(contract, end)
    started = date_text(contract.start)
    extensions = len(contract.extensions)
    extended = (
        ""
        if not extensions
        else f"; {where.total_months} months with "
        f"{'both' if extensions == 2 else 'every' if extensions > 2 else 'the'} "
        f"extension{'s' if extensions > 1 else ''}"
    )
    if where.term == "before the contract":
        sentence = f"This report covers the service to {date_text(end)}, before the contract "
        sentence += f"starts on {started}."
    elif where.term == "after the contract":
        sentence = f"This report covers the service to {date_text(end)}, after the contract "
        sentence += f"(started {started}) has ended."
    else:
        term = {
            "mobilisation": "mobilisation, in the",
            "initial term": "the contract's",
        }.get(where.term, f"{where.term} of the contract, beyond the")
        sentence = (
            f"This report covers the service to {date_text(end)}: month {where.month} of "
            f"{term} {where.term_months}-month initial term (which started on {started}"
            f"{extended})."
        )
        if where.term == "mobilisation":
            sentence = (
                f"This report covers the service to {date_text(end)}: month {where.month}, "
                f"still in mobilisation, of the contract's {where.term_months}-month initial "
                f"term (which started on {started}{extended})."
            )
    if where.next_date is not None and where.next_label is not None:
        sentence += f" Next milestone: {where.next_label} on {date_text(where.next_date)}."
    return sentence
