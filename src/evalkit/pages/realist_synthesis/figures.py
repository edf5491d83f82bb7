"""The realist synthesis page's key figures: how many CMOCs the numbers agree with, and on what.

The figures are recorded with :func:`evalkit.present.keyfigures.record` under the stable keys
of :data:`SYNTHESIS_KEY_FIGURES` (documented in ``docs/key-figures.md``) for the index page and
the executive summary. They are counts of CMOCs, sources and excerpts, not of people, so they
carry no ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["KEY_FIGURE_COLUMNS", "SYNTHESIS_KEY_FIGURES", "KeyFigure", "synthesis_key_figures"]


@dataclass(frozen=True)
class KeyFigure:
    """A headline figure of the page: its stable key, plain-English label and unit.

    ``pattern`` names the :data:`evalkit.realist.PATTERNS` label a CMOC count is of, if any.
    """

    key: str
    label: str
    unit: str
    pattern: str | None = None


#: The page's key figures, in the order they are recorded.
SYNTHESIS_KEY_FIGURES: tuple[KeyFigure, ...] = (
    KeyFigure("cmocs_total", "Context-mechanism-outcome configurations (CMOCs) examined", "CMOCs"),
    KeyFigure(
        "cmocs_consistent",
        "CMOCs whose predicted outcome pattern the monitoring data show",
        "CMOCs",
        "consistent",
    ),
    KeyFigure(
        "cmocs_inconsistent", "CMOCs the monitoring data point against", "CMOCs", "inconsistent"
    ),
    KeyFigure(
        "cmocs_inconclusive",
        "CMOCs the monitoring data cannot yet confirm or contradict",
        "CMOCs",
        "inconclusive",
    ),
    KeyFigure(
        "cmocs_not_tested",
        "CMOCs with no context and outcome the monitoring data record (qualitative only)",
        "CMOCs",
        "not tested",
    ),
    KeyFigure(
        "qual_sources", "Interviews, focus groups, field notes and documents analysed", "sources"
    ),
    KeyFigure("qual_excerpts", "Coded excerpts from those sources", "excerpts"),
)

#: Columns of :func:`synthesis_key_figures`.
KEY_FIGURE_COLUMNS = ("key", "value", "label", "unit")


def synthesis_key_figures(
    cmocs: pd.DataFrame,
    link: pd.DataFrame | None,
    sources: pd.DataFrame,
    codings: pd.DataFrame,
) -> pd.DataFrame:
    """The page's headline counts, one row per :data:`SYNTHESIS_KEY_FIGURES` entry.

    Parameters
    ----------
    cmocs : DataFrame
        The CMOC table.
    link : DataFrame or None
        :func:`evalkit.realist.cmoc_outcome_link` output (its ``pattern`` column); ``None``
        when there are no CMOCs.
    sources, codings : DataFrame
        The sources in scope and their codings, with ``selection_id``
        (:func:`evalkit.pages.realist_synthesis.qualitative_in_scope`).

    Returns
    -------
    DataFrame
        :data:`KEY_FIGURE_COLUMNS`; ``value`` is a whole number. The four pattern counts add up
        to ``cmocs_total``.

    Examples
    --------
    >>> import pandas as pd
    >>> link = pd.DataFrame({"pattern": ["consistent", "inconclusive", "inconclusive"]})
    >>> figures = synthesis_key_figures(pd.DataFrame({"cmoc_id": ["A", "B", "C"]}), link,
    ...     pd.DataFrame({"source_id": ["S1"]}), pd.DataFrame({"selection_id": ["x", "x", "y"]}))
    >>> values = dict(zip(figures["key"], figures["value"]))
    >>> values["cmocs_inconclusive"], values["cmocs_inconsistent"], values["qual_excerpts"]
    (2, 0, 2)
    """
    patterns = (
        link["pattern"].value_counts()
        if link is not None and len(link)
        else pd.Series(dtype="int64")
    )
    values = {
        "cmocs_total": len(cmocs),
        "qual_sources": int(sources["source_id"].nunique()) if len(sources) else 0,
        "qual_excerpts": int(codings["selection_id"].nunique()) if len(codings) else 0,
    }
    rows = []
    for figure in SYNTHESIS_KEY_FIGURES:
        value = int(patterns.get(figure.pattern, 0)) if figure.pattern else int(values[figure.key])
        rows.append({"key": figure.key, "value": value, "label": figure.label, "unit": figure.unit})
    return pd.DataFrame(rows, columns=list(KEY_FIGURE_COLUMNS))
