"""The Word committee paper: the report's pages as one accessible ``.docx``, and a PDF of it.

Committees read papers in Word. :func:`write_committee_paper` turns the pages of a built report
into ``committee-paper.docx`` beside them: the executive summary first, then every other page
in the report's order. Nothing is recomputed: the paper is written from the rendered pages,
whose tables and sentences already passed the disclosure rules, so it shows exactly the
numbers, asterisks and rounding the HTML report shows.

What makes it accessible (and navigable) in Word (:mod:`evalkit.pipeline.word` does it):

* headings are Word's own ``Heading 1`` to ``Heading 4`` styles (a page's title is
  ``Heading 1``), so the navigation pane and a table of contents work;
* every table's header row is marked as one (``w:tblHeader``: screen readers announce it, and
  it repeats at the top of each page), its caption is both a visible caption and the table's
  title (``w:tblCaption``), and rows do not split across pages;
* every figure is a PNG whose alt text (``wp:docPr/@descr``) is the alt text of the page's
  figure, followed by its caption;
* the document's language is British English and its title is set.

The paper is checked for identifiers from the extracts before it is published
(:func:`scan_committee_paper`, the same scan as the pages: :func:`evalkit.disclosure.scan.scan_html`
over every paragraph, table cell, header, footer, alt text and document property). When
LibreOffice is installed, :func:`convert_to_pdf` adds ``committee-paper.pdf``.

Examples
--------
>>> from evalkit.config import DisclosurePolicy
>>> body = ('<h1>Executive summary</h1><p>Referrals: <strong>120</strong></p>'
...         '<div class="evalkit-table"><table><caption>Referrals by site</caption>'
...         '<thead><tr><th scope="col">Site</th><th scope="col">Referrals</th></tr></thead>'
...         '<tbody><tr><th scope="row">North</th><td class="suppressed">*</td></tr>'
...         '</tbody></table></div>')
>>> paper = build_committee_paper([body], {"report_title": "Live Well"}, DisclosurePolicy())
>>> [(p.style.name, p.text) for p in paper.paragraphs if p.style.name.startswith("Heading")]
[('Heading 1', 'Executive summary')]
>>> [[cell.text for cell in row.cells] for row in paper.tables[0].rows]
[['Site', 'Referrals'], ['North', '*']]
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html
import pandas as pd
from docx import Document as new_document
from docx.document import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Pt

from evalkit.config import DisclosurePolicy
from evalkit.disclosure.scan import scan_html
from evalkit.disclosure.suppression import SUPPRESSED_SYMBOL
from evalkit.errors import DisclosureError, PipelineError
from evalkit.pipeline.word import HtmlToWord, add_field, set_up_a4, set_up_styles

__all__ = [
    "COMMITTEE_PAPER",
    "COMMITTEE_PAPER_PDF",
    "EXECUTIVE_SUMMARY_PAGE",
    "CommitteePaper",
    "build_committee_paper",
    "committee_paper_text",
    "convert_to_pdf",
    "office_program",
    "paper_links",
    "report_pages",
    "scan_committee_paper",
    "small_numbers_note",
    "write_committee_paper",
]

#: File names of the paper in the report folder.
COMMITTEE_PAPER = "committee-paper.docx"
COMMITTEE_PAPER_PDF = "committee-paper.pdf"
#: The page the paper opens with (``notebooks/05_summary.ipynb``).
EXECUTIVE_SUMMARY_PAGE = "05_summary.html"


# --------------------------------------------------------------------------------------------
# Reading the built report


def report_pages(site: Path) -> list[Path]:
    """The report's pages in the paper's order: the executive summary, then the navigation's.

    The order is the report's own navigation bar (in ``index.html``); the overview
    (``index.html``) itself is left out: its headline figures are the executive summary's.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> site = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (site / "index.html").write_text('<nav class="report-nav"><ul>'
    ...     '<li><a href="index.html">Overview</a></li><li><a href="01_reach.html">Reach</a></li>'
    ...     '<li><a href="05_summary.html">Summary</a></li></ul></nav>')
    >>> for page in ("01_reach.html", "05_summary.html"):
    ...     _ = (site / page).write_text("<main><h1>A page</h1></main>")
    >>> [p.name for p in report_pages(site)]
    ['05_summary.html', '01_reach.html']
    """
    index = lxml.html.parse(str(site / "index.html")).getroot()
    hrefs = [a.get("href", "") for a in index.iterfind(".//nav//a")]
    pages = [h for h in dict.fromkeys(hrefs) if h != "index.html" and (site / h).is_file()]
    pages.sort(key=lambda href: href != EXECUTIVE_SUMMARY_PAGE)
    return [site / href for href in pages]


def _page_body(path: Path) -> lxml.html.HtmlElement:
    """A rendered page's ``<main>`` (without the header, navigation and footer)."""
    root = lxml.html.parse(str(path)).getroot()
    main = root.find(".//main")
    return main if main is not None else root


# --------------------------------------------------------------------------------------------
# The paper


def _header_and_footer(section: Any, report: Mapping[str, Any]) -> None:
    """The paper's title above every page; the period, area and "Page N of M" below."""
    header = section.header.paragraphs[0]
    header.text = _paper_title(report)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    where = [str(report[key]) for key in ("period_label", "site_label") if report.get(key)]
    footer.add_run(" · ".join([*where, "Page "]))
    add_field(footer, "PAGE", "1")
    footer.add_run(" of ")
    add_field(footer, "NUMPAGES", "1")


def _paper_title(report: Mapping[str, Any]) -> str:
    """The paper's title: the report's, marked DRAFT while the evaluator has questions open."""
    draft = "DRAFT: " if report.get("draft") else ""
    return f"{draft}{report.get('report_title', 'Evaluation report')}: committee paper"


def small_numbers_note(policy: DisclosurePolicy) -> str:
    """The plain-English note on small-number suppression the paper opens with.

    Examples
    --------
    >>> print(small_numbers_note(DisclosurePolicy(threshold=8, round_to=5)))
    To protect the privacy of the people the service supports, no number about fewer than 8 \
people is shown: an asterisk (*) stands in its place. A percentage resting on such a number, \
and a few other numbers, are hidden the same way, so that a hidden number cannot be worked out \
from the others. Counts of people are rounded to the nearest 5, so totals may differ slightly \
from the sum of their parts.
    """
    note = (
        "To protect the privacy of the people the service supports, no number about fewer than "
        f"{policy.threshold} people is shown: an asterisk ({SUPPRESSED_SYMBOL}) stands in its "
        "place. A percentage resting on such a number, and a few other numbers, are hidden the "
        "same way, so that a hidden number cannot be worked out from the others."
    )
    if policy.round_to:
        note += (
            f" Counts of people are rounded to the nearest {policy.round_to}, so totals may "
            "differ slightly from the sum of their parts."
        )
    return note


def _front_matter(document: Document, report: Mapping[str, Any], policy: DisclosurePolicy) -> None:
    document.add_paragraph(str(report.get("report_title", "Evaluation report")), style="Title")
    draft = bool(report.get("draft"))
    document.add_paragraph(f"Committee paper{': DRAFT' if draft else ''}", style="Subtitle")
    facts = (
        ("Period", report.get("period_label")),
        ("Area", report.get("site_label")),
        ("Generated", report.get("generated")),
        ("Data", report.get("vintage")),
    )
    for label, value in facts:
        if value:
            paragraph = document.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.add_run(f"{label}: ").bold = True
            paragraph.add_run(str(value))
    if draft:
        questions = list(report.get("unanswered", ()))
        mark = document.add_paragraph()
        mark.paragraph_format.space_before = Pt(10)
        mark.add_run("DRAFT: ").bold = True
        mark.add_run("not the final paper.")
        if questions:
            plural = "s" if len(questions) != 1 else ""
            mark.add_run(
                f" The evaluator has yet to answer {len(questions)} question{plural} of the "
                "executive summary:"
            )
            for question in questions:
                document.add_paragraph(str(question), style="List Bullet")
    note = document.add_paragraph()
    note.paragraph_format.space_before = Pt(10)
    note.add_run("Small numbers. ").bold = True
    note.add_run(small_numbers_note(policy))


def build_committee_paper(
    bodies: Sequence[str | lxml.html.HtmlElement],
    report: Mapping[str, Any],
    policy: DisclosurePolicy,
) -> Document:
    """The committee paper as a python-docx document, from rendered page bodies in order.

    Parameters
    ----------
    bodies : sequence of str or lxml element
        Each page's rendered body (the HTML inside ``<main>``), in the paper's order. Tables,
        figures and sentences are taken as they are: they already passed the disclosure
        rules when the page was rendered.
    report : mapping
        The report facts the pages' header shows (``report_title, period_label, site_label,
        generated, vintage``), for the title block, the running header and the document's
        properties.
    policy : DisclosurePolicy
        The report's small-number rule, for the note at the start of the paper.

    Returns
    -------
    docx.document.Document
        Not yet saved.
    """
    document = new_document()
    set_up_styles(document)
    set_up_a4(document)
    _header_and_footer(document.sections[0], report)
    properties = document.core_properties
    properties.title = _paper_title(report)
    properties.subject = " · ".join(
        str(report[k]) for k in ("period_label", "site_label") if report.get(k)
    )
    properties.language = "en-GB"
    properties.author = ""
    properties.last_modified_by = ""
    properties.comments = f"Written by evalkit {report.get('evalkit_version', '')}".strip()
    # python-docx's template carries its own dates and a thumbnail of another document.
    generated = report.get("generated_iso")
    when = dt.datetime.fromisoformat(generated) if generated else dt.datetime.now(dt.UTC)
    properties.created = properties.modified = when.astimezone(dt.UTC).replace(tzinfo=None)
    package = document.part.package
    for key, relationship in list(package.rels.items()):
        if relationship.reltype == RT.THUMBNAIL:
            del package.rels[key]
    _front_matter(document, report, policy)
    writer = HtmlToWord(document)
    for body in bodies:
        if isinstance(body, str):
            body = lxml.html.fragment_fromstring(body, create_parent="main")
        writer.blocks(body)
    return document


# --------------------------------------------------------------------------------------------
# Checking and converting it


def committee_paper_text(path: str | Path) -> str:
    """Every piece of text a ``.docx`` holds, one paragraph a line: body, tables, headers,
    footers, notes, alt text and titles of pictures, and the document properties.

    Read from the package's XML parts directly, so nothing python-docx does not model (a
    text box, a footnote) is missed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.docx"
    >>> document = new_document(); _ = document.add_paragraph("Referrals: 120")
    >>> document.core_properties.title = "Live Well"
    >>> document.save(path)
    >>> lines = committee_paper_text(path).splitlines()
    >>> "Referrals: 120" in lines, "Live Well" in lines
    (True, True)
    """
    lines: list[str] = []
    with zipfile.ZipFile(path) as package:
        for name in package.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            root = lxml.etree.fromstring(package.read(name))
            paragraphs = root.iter(qn("w:p"))
            for paragraph in paragraphs:
                lines.append("".join(t.text or "" for t in paragraph.iter(qn("w:t"))))
            for element in root.iter():
                if not isinstance(element.tag, str):
                    continue
                if element.tag.endswith("}docPr") or element.tag.endswith("}cNvPr"):
                    lines += [element.get(a, "") for a in ("name", "descr", "title")]
                elif element.tag in (qn("w:tblCaption"), qn("w:tblDescription")):
                    lines.append(element.get(qn("w:val"), ""))
                elif name.startswith("docProps/") and element.text and len(element) == 0:
                    lines.append(element.text)
                elif element.tag == qn("w:instrText") and element.text:
                    lines.append(element.text)
    return "\n".join(line for line in lines if line.strip())


def scan_committee_paper(path: Path, identifiers: pd.DataFrame) -> pd.DataFrame:
    """Identifiers from the extracts found in a ``.docx``: the pages' scan over its text.

    Parameters
    ----------
    path : Path
        The ``.docx``.
    identifiers : pandas.DataFrame
        ``kind, value`` rows (:func:`evalkit.disclosure.scan.identifiers_in_extract`).

    Returns
    -------
    pandas.DataFrame
        ``file, line, kind, value`` per hit (``line`` counts the lines of
        :func:`committee_paper_text`; values masked); empty when clean.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.docx"
    >>> document = new_document(); _ = document.add_paragraph("Longest wait: NT-000123")
    >>> document.save(path)
    >>> ids = pd.DataFrame({"kind": ["client_id"], "value": ["NT-000123"]})
    >>> scan_committee_paper(path, ids)[["kind", "value"]].to_dict("records")
    [{'kind': 'client_id', 'value': 'NT******3'}]
    """
    with tempfile.TemporaryDirectory() as folder:
        text = Path(folder) / f"{path.name}.txt"
        text.write_text(committee_paper_text(path), encoding="utf-8")
        hits = scan_html([text], identifiers)
    hits["file"] = str(path)
    return hits


def office_program() -> str | None:
    """LibreOffice's program (``soffice`` or ``libreoffice``) when installed, else None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def paper_links() -> dict[str, str]:
    """The links the report's index shows to its committee paper: ``paper_href`` (the
    ``.docx``, always written) and ``paper_pdf_href`` (the PDF, "" when LibreOffice is not
    installed; when it is, a failed conversion stops the publish, so the link never dangles).

    Examples
    --------
    >>> paper_links()["paper_href"]
    'committee-paper.docx'
    """
    pdf = COMMITTEE_PAPER_PDF if office_program() is not None else ""
    return {"paper_href": COMMITTEE_PAPER, "paper_pdf_href": pdf}


def convert_to_pdf(paper: Path, *, timeout: float = 180.0) -> Path | None:
    """Convert a ``.docx`` to PDF beside it with LibreOffice, headless; None if not installed.

    LibreOffice runs with a fresh, temporary user profile, so conversions can run at once and
    never touch the user's own settings.

    Raises
    ------
    PipelineError
        If LibreOffice is installed but the conversion fails or takes longer than
        ``timeout`` seconds.
    """
    office = office_program()
    if office is None:
        return None
    target = paper.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="evalkit-office-") as profile:
        command = [
            office,
            f"-env:UserInstallation={Path(profile).as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf:writer_pdf_Export",
            "--outdir",
            str(paper.parent),
            str(paper),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise PipelineError(
                f"LibreOffice took longer than {timeout:.0f} s to convert {paper.name} to PDF."
            ) from exc
    if done.returncode != 0 or not target.is_file():
        raise PipelineError(
            f"LibreOffice could not convert {paper.name} to PDF (exit {done.returncode}): "
            f"{(done.stderr or done.stdout).strip()[:500]}"
        )
    return target


@dataclass(frozen=True)
class CommitteePaper:
    """What :func:`write_committee_paper` published: the files and a note for the manifest."""

    docx: str
    pdf: str | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {"docx": self.docx, "pdf": self.pdf, "note": self.note}


def write_committee_paper(
    site: Path,
    report: Mapping[str, Any],
    policy: DisclosurePolicy,
    identifiers: pd.DataFrame,
    progress: Callable[[str], object] = print,
) -> dict[str, Any]:
    """Write, check and (when LibreOffice is installed) convert the committee paper.

    Parameters
    ----------
    site : Path
        The built report folder (``index.html`` and the pages); the paper is written into it.
    report : mapping
        The report facts (as for :func:`evalkit.pipeline.render.render_page`).
    policy : DisclosurePolicy
        The report's small-number rule (for the note on suppression).
    identifiers : pandas.DataFrame
        The extracts' identifiers, to scan the paper for.
    progress : callable, default print
        Receives one line saying what was written.

    Returns
    -------
    dict
        ``docx, pdf, note``: the file names (``pdf`` None when there is none) and why.

    Raises
    ------
    DisclosureError
        If an identifier from the extracts appears in the paper (nothing is published).
    PipelineError
        If LibreOffice is installed but cannot convert the paper.
    """
    bodies = [_page_body(page) for page in report_pages(site)]
    path = site / COMMITTEE_PAPER
    build_committee_paper(bodies, report, policy).save(str(path))
    hits = scan_committee_paper(path, identifiers)
    if len(hits):
        shown = [f"  {COMMITTEE_PAPER} line {h.line}: {h.kind} {h.value}" for h in
                 hits.head(10).itertuples()]  # fmt: skip
        raise DisclosureError(
            f"not published: {len(hits)} identifier(s) from the extracts appear in the Word "
            "committee paper; change the notebook to show counts, not rows.\n" + "\n".join(shown)
        )
    pdf = convert_to_pdf(path)
    if pdf is None:
        note = "no PDF: LibreOffice (soffice) is not installed"
        progress(f"committee paper: {COMMITTEE_PAPER} (identifier scan clean; {note})")
    else:
        note = "PDF converted from the checked .docx by LibreOffice"
        progress(f"committee paper: {COMMITTEE_PAPER} and {pdf.name} (identifier scan clean)")
    return CommitteePaper(COMMITTEE_PAPER, pdf.name if pdf else None, note).as_dict()
