"""Report pages: one module (or package) per notebook, and the registry of pages.

Each page module returns display-ready :class:`~evalkit.present.blocks.Blocks` for its notebook
to show. :data:`PAGES` is the one list of the report's pages: the notebook each one is, the
navigation title, the input groups whose files it reads (so the report cache re-runs exactly
the pages an input change affects) and the key figures it records for the index and the
executive summary. The pipeline, its cache and ``evalkit init`` read it.

Examples
--------
>>> [page.name for page in PAGES][:2]
['00_data_quality', '01_reach_and_equity']
>>> page("05_summary").inputs
('extracts', 'key_figures')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["KEY_FIGURES_GROUP", "PAGES", "Page", "page", "page_names"]

#: The input group of key figures recorded by the other pages (the summary reads them).
KEY_FIGURES_GROUP = "key_figures"


@dataclass(frozen=True)
class Page:
    """One report page.

    Attributes
    ----------
    name : str
        The notebook (``notebooks/<name>.ipynb``) and the page's file name.
    title : str
        Its label in the report's navigation (the lead-in of the notebook's first heading).
    module : str
        The page module the notebook narrates.
    inputs : tuple of str
        Input groups it reads (``pipeline.input_groups``); ``key_figures`` means the figures
        every other page records, so the page runs after them.
    key_figures : tuple of str
        Keys of the headline figures it records (``docs/key-figures.md``).
    """

    name: str
    title: str
    module: str
    inputs: tuple[str, ...]
    key_figures: tuple[str, ...]


PAGES: tuple[Page, ...] = (
    Page(
        "00_data_quality",
        "Data quality",
        "evalkit.pages.data_quality",
        ("extracts",),
        ("records_kept_pct", "wemwbs_followup_rate"),
    ),
    Page(
        "01_reach_and_equity",
        "Reach and equity",
        "evalkit.pages.reach",
        ("extracts",),
        (
            "people_referred",
            "episodes",
            "start_rate",
            "reach_ratio_q1",
            "share_most_deprived",
            "sii_wemwbs_change",
            "people_more_than_one_provider",
        ),
    ),
    Page(
        "02_wellbeing_outcomes",
        "Wellbeing outcomes",
        "evalkit.pages.wellbeing",
        ("extracts",),
        (
            "wemwbs_mean_change",
            "wemwbs_effect_size_dz",
            "wemwbs_meaningful_improvement_pct",
            "wemwbs_reliable_improvement_pct",
            "for_whom_top_subgroup",
            "for_whom_top_difference",
            "iapt_recovery_rate",
        ),
    ),
    Page(
        "03_lifestyle_kpis",
        "Lifestyle KPIs",
        "evalkit.pages.lifestyle_kpis",
        ("extracts", "qual", "exceptions"),
        (
            "kpis_green",
            "kpis_red",
            "kpis_special_cause_concern",
            "kpi_exceptions",
            "kpi_exceptions_unexplained",
            "quit_4wk_co_rate",
            "co_validation_rate",
            "weight_loss_5pct_rate",
            "became_more_active_rate",
        ),
    ),
    Page(
        "04_realist_synthesis",
        "Realist synthesis",
        "evalkit.pages.realist_synthesis",
        ("extracts", "qual"),
        (
            "cmocs_total",
            "cmocs_consistent",
            "cmocs_inconsistent",
            "cmocs_inconclusive",
            "cmocs_not_tested",
            "qual_sources",
            "qual_excerpts",
        ),
    ),
    Page(
        "05_summary",
        "Executive summary",
        "evalkit.pages.summary",
        ("extracts", KEY_FIGURES_GROUP),
        (),
    ),
)


def page(name: str) -> Page:
    """The registered page called ``name``.

    Raises
    ------
    KeyError
        Naming the registered pages.
    """
    for candidate in PAGES:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no page {name!r}; the pages are {', '.join(p.name for p in PAGES)}.")


def page_names(configured: Sequence[str] | None = None) -> list[str]:
    """The notebooks a report runs: those an evaluation configures, else every page in order.

    Examples
    --------
    >>> page_names()[-1], page_names(["00_data_quality"])
    ('05_summary', ['00_data_quality'])
    """
    return list(configured) if configured else [p.name for p in PAGES]
