"""Display-ready page output: the sentences, tables and figures a page section shows, in order.

Page functions (:mod:`evalkit.pages`) return :class:`Blocks`. A notebook cell that ends with one
displays it; nothing else is needed in the notebook. Every table goes through the disclosure
rules (:func:`evalkit.present.tables.table_html`) and every figure carries alt text and a
caption (:func:`evalkit.present.figures.figure_html`) as it is added, so what a page returns is
already fit to publish.

Examples
--------
>>> import pandas as pd
>>> from evalkit.config import DisclosurePolicy
>>> blocks = Blocks().markdown("**120** people were referred.")
>>> _ = blocks.table(pd.DataFrame({"Referrals": [120, 3]}, index=["North", "South"]),
...                  caption="Referrals by site", policy=DisclosurePolicy())
>>> [type(b).__name__ for b in blocks]
['Markdown', 'HTML']
>>> "<td" in blocks[1].data and ">3<" not in blocks[1].data
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display
from matplotlib.figure import Figure

from evalkit.config import DisclosurePolicy
from evalkit.present.figures import figure_html
from evalkit.present.tables import table_html

__all__ = ["Blocks"]


class Blocks(list):
    """What a page section shows: IPython display objects in reading order.

    A list, so sections can be joined with ``+`` or :meth:`extend`. In a notebook, a cell
    ending with a ``Blocks`` displays each item in turn (the same outputs as calling
    ``display`` on each).
    """

    def __init__(self, items: Iterable[object] = ()) -> None:
        super().__init__(items)

    def _ipython_display_(self) -> None:
        for item in self:
            display(item)

    def __add__(self, other: Iterable[object]) -> Blocks:
        return Blocks([*self, *other])

    def markdown(self, text: str) -> Blocks:
        """Add a Markdown sentence or list (user text in it is shown as text, never markup)."""
        self.append(Markdown(text))
        return self

    def bullets(self, lines: Iterable[str]) -> Blocks:
        """Add a bulleted list, one Markdown line per item."""
        return self.markdown("\n".join(f"- {line}" for line in lines))

    def table(
        self,
        table: pd.DataFrame,
        *,
        caption: str,
        policy: DisclosurePolicy | None,
        count_columns: Sequence[str] | None = None,
        derived_columns: Mapping[str, str] | None = None,
        secondary: Literal["both", "rows", "columns"] = "both",
        formats: Mapping[str, str] | None = None,
        rounded: bool = True,
        shares: Mapping[str, tuple[str, str]] | None = None,
    ) -> Blocks:
        """Add a table through the disclosure policy (:func:`~evalkit.present.tables.table_html`).

        ``policy=None`` is for tables with no counts of people (e.g. validation problems, which
        count records): nothing is suppressed. ``rounded=False`` keeps the policy's threshold
        but shows counts exactly. ``shares`` names the shares of people and their numerator and
        denominator columns (:func:`evalkit.disclosure.suppression.suppression_mask`).
        """
        threshold = policy.threshold if policy is not None else 0
        round_to = policy.round_to if policy is not None and rounded else None
        markup = table_html(
            table,
            caption=caption,
            count_columns=count_columns,
            derived_columns=derived_columns,
            threshold=threshold,
            round_to=round_to,
            secondary=secondary,
            formats=formats,
            shares=shares,
        )
        self.append(HTML(markup))
        return self

    def figure(self, fig: Figure, alt: str, caption: str) -> Blocks:
        """Add a figure as an accessible ``<figure>`` (alt text required), then close it."""
        try:
            markup = figure_html(fig, alt, caption)
        finally:
            plt.close(fig)
        self.append(HTML(markup))
        return self

    def text(self) -> str:
        """Everything the blocks show, as source text (Markdown and HTML), for tests."""
        return "\n".join(str(getattr(item, "data", item)) for item in self)
