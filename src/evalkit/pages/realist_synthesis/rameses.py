"""The RAMESES II checklist as the realist synthesis page shows it.

:func:`evalkit.realist.rameses_checklist` fills in what evalkit knows and leaves prompts for the
evaluator. This module says where this report addresses each item (:data:`REPORT_LOCATIONS`, in
the words of the page headings) and renames the columns for readers.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = [
    "FILLED_BY_TEXT",
    "METHOD_IN_WORDS",
    "REPORT_LOCATIONS",
    "UNCHECKED_TITLE_NOTE",
    "link_for_checklist",
    "rameses_for_report",
]

#: Where this report addresses the items evalkit fills (item -> page and section), passed to
#: :func:`evalkit.realist.rameses_checklist` as ``locations``.
REPORT_LOCATIONS: Mapping[int, str] = {
    4: "This page: Programme theories",
    11: "This page: Qualitative sources; Data quality page",
    12: "This page: Qualitative sources",
    13: "This page: How the evidence was analysed",
    14: "This page: Qualitative sources; Data quality page",
    15: "This page: CMOC evidence and outcome patterns",
}

#: Who completes a RAMESES II item, in words (``filled_by`` of
#: :func:`evalkit.realist.rameses_checklist`).
FILLED_BY_TEXT: Mapping[str, str] = {
    "evalkit": "evalkit, from the data",
    "evalkit, to complete": "evalkit gives the facts; the evaluator completes",
    "evaluator": "The evaluator",
}

#: The note under the table when some titles carry the dagger.
UNCHECKED_TITLE_NOTE = (
    "† Item title not yet checked word for word against the published RAMESES II table "
    "(Wong et al. 2016, BMC Medicine 14:96, Table 1)."
)

_CONFIRMED_TITLE = "confirmed in Table 1"

#: How :func:`evalkit.outcomes.contrast` compares a context with everyone else, for readers:
#: the difference by least squares with robust (HC3) standard errors, and a test adjusted for
#: the starting score when the outcome is a change.
METHOD_IN_WORDS = (
    "a regression of the outcome on being in the context, with robust (HC3) standard errors, "
    "and for a change in score the same comparison adjusted for the starting score"
)


def link_for_checklist(link: pd.DataFrame) -> pd.DataFrame:
    """The outcome link with its model descriptions in words, for the RAMESES II checklist.

    :func:`evalkit.realist.rameses_checklist` quotes the link's ``method`` column in item 13;
    the model formulas there ("OLS of wemwbs_change on the context (HC3); interaction_p: ...")
    are for analysts. Every fitted model becomes :data:`METHOD_IN_WORDS`; rows without a model
    stay without one.

    Examples
    --------
    >>> import pandas as pd
    >>> link = pd.DataFrame({"method": ["difference: OLS of x on the context (HC3)", None]})
    >>> link_for_checklist(link)["method"].isna().tolist()
    [False, True]
    >>> link_for_checklist(link)["method"].iloc[0] == METHOD_IN_WORDS
    True
    """
    method = link["method"].astype("object")
    return link.assign(method=method.where(method.isna(), METHOD_IN_WORDS))


def rameses_for_report(checklist: pd.DataFrame) -> pd.DataFrame:
    """The RAMESES II checklist with the column names and words a report shows.

    Titles not confirmed word for word against the published Table 1 (``title_source`` other
    than "confirmed in Table 1") are marked with a dagger (†); show
    :data:`UNCHECKED_TITLE_NOTE` with the table when any is.

    Parameters
    ----------
    checklist : DataFrame
        :func:`evalkit.realist.rameses_checklist` output.

    Returns
    -------
    DataFrame
        ``Item``, ``Section``, ``Title``, ``Completed by``, ``Where in the report``,
        ``What the report says, or what to add``, in item order; an item not yet addressed
        has "—" as its place.

    Examples
    --------
    >>> import pandas as pd
    >>> checklist = pd.DataFrame({"item": [10, 1], "section": ["Methods", "Title"],
    ...     "title": ["Design", "Title"], "title_source": ["from recall", "confirmed in Table 1"],
    ...     "filled_by": ["evalkit", "evaluator"], "where_addressed": ["This page", ""],
    ...     "content": ["Done.", "Say so."]})
    >>> table = rameses_for_report(checklist)
    >>> table[["Title", "Completed by", "Where in the report"]].values.tolist()
    [['Title', 'The evaluator', '—'], ['Design †', 'evalkit, from the data', 'This page']]
    """
    marked = checklist["title"].where(
        checklist["title_source"] == _CONFIRMED_TITLE, checklist["title"] + " †"
    )
    where = checklist["where_addressed"].fillna("").astype("str")
    return (
        pd.DataFrame(
            {
                "Item": checklist["item"].astype(int),
                "Section": checklist["section"],
                "Title": marked,
                "Completed by": checklist["filled_by"].map(lambda v: FILLED_BY_TEXT.get(v, v)),
                "Where in the report": where.where(where != "", "—"),
                "What the report says, or what to add": checklist["content"],
            }
        )
        .sort_values("Item", kind="stable")
        .reset_index(drop=True)
    )
