"""One CMOC laid out for the report page: its configuration, then the words beside the numbers.

The card is HTML because a commissioner reads the two halves side by side; every piece of text
in it is escaped (CMOC wording and quotes come from the evaluator's files, and a quote may hold
``<`` or ``*``), and counts of people follow the disclosure rules of the tables.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from evalkit.present.wording import count_text

__all__ = ["cmoc_card_html", "plural"]

#: Inline styles (the page's stylesheet has none for cards): quotes set off by a rule, the
#: attribution in the muted text colour of captions; two columns that stack on a narrow screen.
_QUOTE_STYLE = "margin:0.75rem 0;padding:0 0 0 1rem;border-left:4px solid #cfd6da"
_ATTRIBUTION_STYLE = "color:#474747;font-size:0.95rem"
_COLUMNS_STYLE = "display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));gap:0 2rem"


def plural(n: object, noun: str, many: str | None = None) -> str:
    """``"1 source"``, ``"3 sources"`` (``many`` for an irregular plural).

    Examples
    --------
    >>> plural(1, "site"), plural(4, "site"), plural(2, "group", "groups")
    ('1 site', '4 sites', '2 groups')
    """
    count = int(n)  # type: ignore[call-overload]
    return f"{count:,} {noun if count == 1 else (many or noun + 's')}"


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _value(value: float, unit: str) -> str:
    """A mean in display units: ``"39%"`` or ``"6.2 points on average"``."""
    if np.isnan(value):
        return "not estimated"
    if unit == "%":
        return f"{value:.0f}%"
    return f"{value:,.1f} {unit} on average".replace("  ", " ")


def _evidence_sentence(row: Mapping[str, object], groups: str) -> str:
    """How much qualitative evidence a CMOC has, and where, as one paragraph."""
    sources, sites = int(row["n_sources"]), int(row["n_sites"])  # type: ignore[call-overload]
    if sources == 0:
        return "<p>No source in scope evidences this CMOC yet.</p>"
    where = f"at {plural(sites, 'site')}" if sites else "about the whole service, not one site"
    text = (
        f"{plural(sources, 'source')} {where}, from "
        f"{plural(row['n_stakeholder_groups'], 'stakeholder group')}"
        + (f" ({groups})" if groups else "")
        + "."
    )
    full = int(row["n_sites_all_elements"])  # type: ignore[call-overload]
    if full:
        text += f" Every element of the configuration is evidenced at {plural(full, 'site')}."
    elif sites:
        text += " No single site has evidence for every element of the configuration."
    return f"<p>{text}</p>"


def cmoc_card_html(
    row: Mapping[str, object],
    quotes: pd.DataFrame,
    *,
    threshold: int = 8,
    round_to: int | None = None,
) -> str:
    """One CMOC as an HTML section: the configuration, "What people said", "What the numbers show".

    Parameters
    ----------
    row : mapping
        A :func:`evalkit.pages.realist_synthesis.cmoc_comparison` row.
    quotes : DataFrame
        :func:`evalkit.pages.realist_synthesis.cmoc_quotes` rows (this CMOC's are used).
    threshold, round_to : int
        Disclosure rules for the counts of people (:func:`evalkit.present.wording.count_text`). When
        either group has 1 to ``threshold - 1`` people, neither group's count or mean is shown.

    Returns
    -------
    str
        A ``<section>`` with an ``<h3>`` (CMOC id and programme theory), a definition list of
        the four elements and two columns that sit side by side on a wide screen.

    Examples
    --------
    >>> import pandas as pd
    >>> row = {"cmoc_id": "C1", "programme_theory": "PT1 <Trust>", "context": "c",
    ...        "mechanism_resource": "r", "mechanism_reasoning": "m", "outcome": "o",
    ...        "n_sources": 3, "n_sites": 1, "n_stakeholder_groups": 2,
    ...        "stakeholder_groups": "Service user; Partner", "n_sites_all_elements": 1,
    ...        "outcome_label": "Quit", "value_unit": "%", "n_in": 5, "n_out": 200,
    ...        "mean_in": float("nan"), "mean_out": float("nan"),
    ...        "difference_text": "not shown: fewer than 8 people in a group",
    ...        "pattern": "inconclusive", "pattern_text": "The numbers cannot tell yet",
    ...        "explanation": "Too few people to tell.", "suggested_status": "inconclusive",
    ...        "status": "initial"}
    >>> card = cmoc_card_html(row, pd.DataFrame(columns=["cmoc_id", "quote", "attribution"]))
    >>> "PT1 &lt;Trust&gt;" in card, "3 sources at 1 site" in card, "(5 people)" in card
    (True, True, False)
    """
    esc = html.escape

    def text(key: str) -> str:
        value = row.get(key)
        return "" if value is None or pd.isna(value) else esc(str(value))

    mine = quotes[quotes["cmoc_id"] == row["cmoc_id"]]
    groups = text("stakeholder_groups").replace("; ", ", ")
    said = [_evidence_sentence(row, groups)]
    said += [
        f'<blockquote style="{_QUOTE_STYLE}"><p>“{esc(str(q))}”</p>'
        f'<footer style="{_ATTRIBUTION_STYLE}">— {esc(str(a))}</footer></blockquote>'
        for q, a in zip(mine["quote"], mine["attribution"], strict=True)
    ]
    numbers = []
    if row.get("pattern") != "not tested":
        unit = str(row.get("value_unit") or "")
        counts = [_number(row.get(n)) for n in ("n_in", "n_out")]
        if any(0 < n < threshold for n in counts):  # withhold both, as the tables do
            shown = [f"not shown (fewer than {threshold} people in one of the groups)"] * 2
        else:
            shown = [
                f"{_value(_number(row.get(mean)), unit)} "
                f"({count_text(n, threshold=threshold, round_to=round_to)} people)"
                for mean, n in zip(("mean_in", "mean_out"), counts, strict=True)
            ]
        numbers += [
            f"<p><strong>Outcome:</strong> {text('outcome_label')}.</p>",
            f"<p><strong>In this context:</strong> {shown[0]}.<br>"
            f"<strong>Everyone else:</strong> {shown[1]}.<br>"
            f"<strong>Difference:</strong> {text('difference_text')}.</p>",
        ]
    suggestion = row.get("suggested_status")
    suggested = esc(str(suggestion)) if suggestion is not None and not pd.isna(suggestion) else "—"
    numbers += [
        f"<p><strong>{text('pattern_text')}.</strong> {text('explanation')}</p>",
        f"<p><strong>evalkit suggests:</strong> {suggested}.<br>"
        f"<strong>Evaluator's status:</strong> {text('status')}.</p>",
    ]
    anchor = re.sub(r"[^A-Za-z0-9_-]", "-", str(row["cmoc_id"]))
    return (
        f'<section class="evalkit-cmoc" aria-labelledby="cmoc-{anchor}">'
        f'<h3 id="cmoc-{anchor}">{text("cmoc_id")}: {text("programme_theory")}</h3>'
        '<dl class="report-facts">'
        f"<dt>Context</dt><dd>{text('context')}</dd>"
        f"<dt>What the service offers</dt><dd>{text('mechanism_resource')}</dd>"
        f"<dt>How people respond</dt><dd>{text('mechanism_reasoning')}</dd>"
        f"<dt>Outcome</dt><dd>{text('outcome')}</dd></dl>"
        f'<div style="{_COLUMNS_STYLE}">'
        f"<div><h4>What people said</h4>{''.join(said)}</div>"
        f"<div><h4>What the numbers show</h4>{''.join(numbers)}</div>"
        "</div></section>"
    )
