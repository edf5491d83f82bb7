"""Rendering executed notebooks into reader-facing HTML pages, the navigation and the index.

Each page is nbconvert's body for the notebook (no code, no prompts, images inline, no scripts)
wrapped in evalkit's own page: inline CSS, a header naming the report, period and area, a
navigation bar linking every page, and a footer. Nothing is fetched from the network when a page
opens: nbconvert's require.js, MathJax and Mermaid loaders are not used, so LaTeX maths and
Mermaid diagrams do not render (reports do not use them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
import nh3
import pandas as pd

from evalkit.config import DisclosurePolicy
from evalkit.present.keyfigures import KeyFigure, figure_text
from evalkit.present.since_last import NO_EARLIER_REPORT, SinceLast

__all__ = [
    "NAVIGATION_PLACEHOLDER",
    "TEMPLATES",
    "format_key_figures",
    "html_exporter",
    "humanise",
    "navigation",
    "navigation_label",
    "notebook_title",
    "render_body",
    "render_index_body",
    "render_page",
    "safe_markdown",
]

TEMPLATES = Path(__file__).parent / "templates"
NAVIGATION_PLACEHOLDER = "<!-- evalkit:navigation -->"
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


@functools.cache
def _pages() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


@functools.cache
def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


#: What Markdown renders to; anything else in a Markdown output is removed.
_MARKDOWN_TAGS = {
    *(f"h{level}" for level in range(1, 7)),
    *("p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote"),
    *("ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td", "span", "sup", "sub"),
}
_MARKDOWN_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}


def safe_markdown(text: str) -> str:
    """Markdown output of a notebook as HTML in which user text can never be live markup.

    Report sentences are built from names and text evaluators and providers supply (sites,
    providers, CMOC wording, quotes). A ``<`` in them is shown as text, not read as a tag, and
    the HTML Markdown produces is then cleaned by the ammonia sanitiser (:mod:`nh3`): only the
    tags Markdown makes, and links to ``http(s):`` or ``mailto:`` only.

    Examples
    --------
    >>> safe_markdown("Site **<script>alert(1)</script>** and [x](javascript:alert(1))").strip()
    '<p>Site <strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong> and <a>x</a></p>'
    """
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    rendered = markdown2html_mistune(text.replace("<", "&lt;"))
    return nh3.clean(
        rendered,
        tags=_MARKDOWN_TAGS,
        attributes=_MARKDOWN_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        filter_style_properties={"text-align"},
        link_rel=None,
    )


@functools.cache
def html_exporter():
    """nbconvert's HTML exporter set up for code-free, offline pages (built once per process)."""
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.TemplateExporter.exclude_input = True
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    config.HTMLExporter.exclude_anchor_links = True
    config.HTMLExporter.embed_images = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {
        "remove_cell",
        "remove-cell",
        "papermill-error-cell-tag",
    }
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove_output", "remove-output"}
    exporter = HTMLExporter(
        config=config, extra_template_basedirs=[str(TEMPLATES)], template_name="evalkit"
    )
    exporter.register_filter("safe_markdown", safe_markdown)
    return exporter


def humanise(name: str) -> str:
    """A readable title from a notebook name.

    Examples
    --------
    >>> humanise("02_wellbeing_outcomes")
    'Wellbeing outcomes'
    """
    words = re.sub(r"^\d+[_-]*", "", name).replace("_", " ").replace("-", " ").strip()
    return (words or name)[:1].upper() + (words or name)[1:]


def notebook_title(notebook: Any, name: str) -> str:
    """The text of the notebook's first level-1 Markdown heading, else :func:`humanise` (name).

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Who we reach")])
    >>> notebook_title(nb, "01_reach_and_equity")
    'Who we reach'
    """
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = _HEADING.search(cell.source)
            if match:
                return match.group(1)
    return humanise(name)


def render_body(notebook: Any, name: str) -> tuple[str, str]:
    """Render an executed notebook's outputs and Markdown as an HTML fragment.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The executed notebook.
    name : str
        Its name (used for the fallback title).

    Returns
    -------
    (str, str)
        The page title and the body HTML (no ``<html>``/``<head>``, no code, no scripts).
    """
    notebook = notebook.copy()
    notebook.metadata["title"] = notebook_title(notebook, name)
    body, _ = html_exporter().from_notebook_node(notebook, resources={"metadata": {"name": name}})
    return notebook.metadata["title"], body


def navigation_label(title: str) -> str:
    """A page's label in the navigation bar: a title's lead-in before a colon, when it has one.

    Examples
    --------
    >>> navigation_label("Wellbeing outcomes: did people feel better, and for whom?")
    'Wellbeing outcomes'
    """
    lead, colon, _ = title.partition(":")
    return lead.strip() if colon and lead.strip() else title


def navigation(pages: Sequence[tuple[str, str]], current: str) -> str:
    """The navigation list: ``pages`` are ``(href, title)``; ``current`` is marked for readers.

    Examples
    --------
    >>> print(navigation([("index.html", "Overview"), ("a.html", "A & B: why")], "a.html"))
    <ul>
    <li><a href="index.html">Overview</a></li>
    <li><a href="a.html" aria-current="page">A &amp; B</a></li>
    </ul>
    """
    links = [{"href": h, "title": navigation_label(t), "current": h == current} for h, t in pages]
    return _pages().get_template("navigation.html.j2").render(links=links).rstrip("\n")


def render_page(
    body: str,
    *,
    page_title: str,
    report: Mapping[str, Any],
    pages: Sequence[tuple[str, str]],
    href: str,
) -> str:
    """A complete, self-contained HTML page around a rendered body.

    Parameters
    ----------
    body : str
        HTML fragment (from :func:`render_body` or :func:`render_index_body`).
    page_title : str
        The page's title; also added as its ``<h1>`` when the body has none.
    report : mapping
        ``report_title, period_label, site_label, generated, vintage, threshold,
        evalkit_version`` shown in the header and footer.
    pages : sequence of (str, str)
        Every page of the report as ``(href, title)``, for the navigation bar.
    href : str
        This page's file name (marked as the current page).

    Returns
    -------
    str
        The HTML document.
    """
    page = (
        _pages()
        .get_template("page.html.j2")
        .render(
            **report,
            page_title=page_title,
            needs_heading="<h1" not in body,
            body=jinja2.utils.markupsafe.Markup(body),
            css=jinja2.utils.markupsafe.Markup(_css()),
        )
    )
    return page.replace(NAVIGATION_PLACEHOLDER, navigation(pages, href), 1)


def format_key_figures(
    figures: pd.DataFrame, threshold: int, round_to: int | None = None
) -> list[dict[str, Any]]:
    """Key figures as display text; a figure resting on ``0 < n < threshold`` people is ``*``.

    Each figure is written by :func:`evalkit.present.keyfigures.figure_text`, the formatter its
    page and the summary use, so it reads the same on all three. A text-valued figure (e.g. the
    subgroup that differed most) is folded into its label so the value column stays narrow; the
    number of people is shown rounded like the tables' counts.

    Parameters
    ----------
    figures : pandas.DataFrame
        Rows from :func:`evalkit.present.keyfigures.read_key_figures`.
    threshold : int
        The disclosure threshold.
    round_to : int, optional
        Round the displayed number of people to this base (the config's ``round_to``); the
        small-number check always uses the exact ``n``.

    Returns
    -------
    list of dict
        ``label, value, ci, n, suppressed`` per figure, values as text.

    Examples
    --------
    >>> from evalkit.present.keyfigures import KEY_FIGURE_COLUMNS
    >>> rows = [["nb", "a", "Quit rate", 39.46, "%", 300, 34.1, 44.9, None],
    ...         ["nb", "b", "Quitters at site X", 5, "people", 5, None, None, None]]
    >>> shown = format_key_figures(pd.DataFrame(rows, columns=KEY_FIGURE_COLUMNS), 8)
    >>> [(f["value"], f["ci"]) for f in shown]
    [('39%', '34% to 45%'), ('*', '')]
    >>> rows = [["nb", "c", "Strongest difference", "Peer-led groups", None, 759, None, None, None]]
    >>> f = format_key_figures(pd.DataFrame(rows, columns=KEY_FIGURE_COLUMNS), 8, round_to=5)[0]
    >>> f["label"], f["value"], f["n"]
    ('Strongest difference: Peer-led groups', '', '760')
    """
    policy = DisclosurePolicy(threshold=threshold, round_to=round_to)
    formatted = []
    for row in figures.to_dict("records"):
        figure = KeyFigure.from_mapping(row)
        shown = figure_text(figure, policy)
        label, value = figure.label, shown.value
        if isinstance(figure.value, str) and not shown.suppressed:
            label, value = f"{label}: {figure.value}", ""
        formatted.append(
            {
                "label": label,
                "value": value,
                "ci": shown.ci,
                "n": shown.n,
                "suppressed": shown.suppressed,
            }
        )
    return formatted


def render_index_body(
    report: Mapping[str, Any],
    sections: Sequence[Mapping[str, Any]],
    threshold: int,
    round_to: int | None = None,
    since_last: SinceLast | None = None,
) -> str:
    """The index page's body: report facts, the committee paper, each page's headline figures
    and, for each, the last report's value, the change and whether it is beyond chance.

    Parameters
    ----------
    report : mapping
        As for :func:`render_page`; with ``paper_href`` (and ``paper_pdf_href``, "" when there
        is no PDF) the index links the committee paper.
    sections : sequence of mapping
        Per notebook: ``name, title, href`` and ``figures`` (a key-figures DataFrame).
    threshold : int
        The disclosure threshold.
    round_to : int, optional
        Round the displayed number of people to this base.
    since_last : SinceLast, optional
        The comparison with the last report of the scope
        (:func:`evalkit.pipeline.since_last.since_last`); the first report of a scope says
        there is no earlier report. None leaves the comparison out.

    Returns
    -------
    str
        HTML fragment.

    Examples
    --------
    >>> from evalkit.present.keyfigures import KEY_FIGURE_COLUMNS
    >>> figures = pd.DataFrame([["01", "q", "Quit rate", 36.2, "%", 600, 32.3, 39.9, None]],
    ...                        columns=KEY_FIGURE_COLUMNS)
    >>> since = SinceLast("2026-Q1", "../../2026-Q1/all/index.html", {"q": {"key": "q",
    ...     "previous_value": 40.0, "change": -3.8, "p_value": 0.01, "beyond_chance": True}})
    >>> report = {"report_title": "R", "period_label": "2026-Q2", "site_label": "All sites",
    ...           "generated": "today", "vintage": "v"}
    >>> sections = [{"name": "01", "title": "Page", "href": "01.html", "figures": figures}]
    >>> html = render_index_body(report, sections, 8, since_last=since)
    >>> '<td class="number">40%</td><td>down 4 percentage points</td><td>yes (p = 0.01)</td>' in html
    True
    >>> NO_EARLIER_REPORT in render_index_body(report, sections, 8, since_last=SinceLast(None))
    True
    """  # noqa: E501
    shown = []
    for section in sections:
        figures = format_key_figures(section["figures"], threshold, round_to)
        if since_last is not None:
            rows = section["figures"].to_dict("records")
            for figure, row in zip(figures, rows, strict=True):
                figure["since"] = since_last.shown(row)
        shown.append({**section, "figures": figures})
    any_suppressed = any(f["suppressed"] for s in shown for f in s["figures"])
    return (
        _pages()
        .get_template("index_body.html.j2")
        .render(
            **{**report, "threshold": threshold},
            sections=shown,
            any_suppressed=any_suppressed,
            since_last=since_last,
            compared=since_last is not None and not since_last.first,
            no_earlier_report=NO_EARLIER_REPORT,
        )
    )
