"""The Word committee paper, read back with python-docx and compared with the HTML report of the
same run.

The expectations come from the published HTML pages (parsed here with lxml), the manifest's page
order and the raw demo extracts, never from the paper writer's own helpers: the paper must show
the pages' headings, tables, suppressed cells and alt text, in the report's order with the
executive summary first, and nothing from the extracts.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import docx
import lxml.html
import pandas as pd
import pytest
import yaml
from docx.oxml.ns import qn
from matplotlib.figure import Figure

from evalkit.config import DisclosurePolicy
from evalkit.errors import DisclosureError
from evalkit.pipeline import run_report
from evalkit.pipeline.committee_paper import (
    COMMITTEE_PAPER,
    build_committee_paper,
    convert_to_pdf,
    write_committee_paper,
)

pytestmark = pytest.mark.slow
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def heading_text(heading: lxml.html.HtmlElement) -> str:
    """A heading's words, without the "¶" link to itself that Markdown headings carry."""
    return squash(heading.text_content()).removesuffix("¶").rstrip()


@pytest.fixture(scope="module")
def evaluation(demo, tmp_path_factory) -> Path:
    """A copy of the demo evaluation (600 episodes) whose kernels start cold: the paper is
    written from the rendered pages, however the notebooks ran."""
    folder = tmp_path_factory.mktemp("paper") / "demo"
    shutil.copytree(demo.parent, folder)
    config = yaml.safe_load((folder / demo.name).read_text())
    config.setdefault("pipeline", {})["warm_kernels"] = False
    (folder / demo.name).write_text(yaml.safe_dump(config, sort_keys=False))
    return folder / demo.name


@pytest.fixture(scope="module")
def report(evaluation) -> Path:
    """The demo report, published with its committee paper."""
    return run_report(evaluation, out=evaluation.parent.parent / "out", progress=lambda _: None)


@pytest.fixture(scope="module")
def paper(report):
    return docx.Document(str(report / COMMITTEE_PAPER))


@pytest.fixture(scope="module")
def pages(report) -> list[lxml.html.HtmlElement]:
    """Each page's <main>, in the manifest's order with the executive summary moved first."""
    names = [n["name"] for n in json.loads((report / "manifest.json").read_text())["notebooks"]]
    names.sort(key=lambda name: name != "05_summary")
    return [lxml.html.parse(str(report / f"{n}.html")).getroot().find(".//main") for n in names]


def html_tables(pages) -> list[lxml.html.HtmlElement]:
    return [table for main in pages for table in main.iter("table")]


def test_the_paper_is_published_beside_the_pages_and_recorded_in_the_manifest(report):
    manifest = json.loads((report / "manifest.json").read_text())
    recorded = manifest["disclosure"]["committee_paper"]
    assert recorded["docx"] == COMMITTEE_PAPER
    assert (report / COMMITTEE_PAPER).is_file()
    if SOFFICE:
        assert recorded["pdf"] == "committee-paper.pdf"
        assert (report / "committee-paper.pdf").read_bytes()[:5] == b"%PDF-"
    else:
        assert recorded["pdf"] is None and "not installed" in recorded["note"]


def test_title_period_site_and_small_number_note_come_before_the_executive_summary(
    paper, report, demo
):
    body = [p for p in paper.paragraphs if p.text.strip()]
    first_heading = next(i for i, p in enumerate(body) if p.style.name.startswith("Heading"))
    front = "\n".join(p.text for p in body[:first_heading])
    index = lxml.html.parse(str(report / "index.html")).getroot()
    title = squash(index.find(".//p[@class='report-title']").text_content())
    assert body[0].style.name == "Title" and body[0].text == title
    meta = squash(index.find(".//p[@class='report-meta']").text_content())  # Period X · Area
    period, area = meta.removeprefix("Period ").split(" · ")
    assert f"Period: {period}" in front and f"Area: {area}" in front
    assert "fewer than 8 people" in front and "asterisk (*)" in front  # the demo's threshold
    assert "rounded to the nearest 5" in front
    assert body[first_heading].text == "Executive summary"
    assert body[first_heading].style.name == "Heading 1"
    assert paper.core_properties.title.endswith(f"{title}: committee paper")
    assert paper.core_properties.language == "en-GB"


def test_headings_are_word_headings_in_the_reports_order(paper, pages):
    expected = [
        (f"Heading {min(int(h.tag[1]), 4)}", heading_text(h))
        for main in pages
        for h in main.iter("h1", "h2", "h3", "h4", "h5", "h6")
    ]
    shown = [(p.style.name, squash(p.text)) for p in paper.paragraphs
             if p.style.name.startswith("Heading")]  # fmt: skip
    assert len(expected) > 20
    assert shown == expected
    assert not any("¶" in text for _, text in shown)
    assert sum(style == "Heading 1" for style, _ in shown) == len(pages)


def test_every_table_has_its_first_row_marked_as_a_repeating_header(paper, pages):
    assert len(paper.tables) == len(html_tables(pages)) > 10
    for table in paper.tables:
        first = table._tbl.tr_lst[0]
        header = first.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}")
        assert header is not None and header.get(qn("w:val")) in (None, "true", "1")
        body_rows = table._tbl.tr_lst[1:]
        assert all(r.find(f"{qn('w:trPr')}/{qn('w:tblHeader')}") is None for r in body_rows)


def test_tables_show_the_pages_cells_and_every_suppressed_cell(paper, pages):
    suppressed = 0
    for shown, source in zip(paper.tables, html_tables(pages), strict=True):
        rows = source.xpath("./thead/tr | ./tbody/tr")
        expected = [[squash(cell.text_content()) for cell in row.xpath("./th | ./td")]
                    for row in rows]  # fmt: skip
        assert [[squash(c.text) for c in row.cells] for row in shown.rows] == expected
        for r, row in enumerate(rows):
            for c, cell in enumerate(row.xpath("./th | ./td")):
                if "suppressed" in (cell.get("class") or ""):
                    assert shown.rows[r].cells[c].text == "*"
                    suppressed += 1
    assert suppressed > 0  # the demo has small groups, so the check above did check something


def test_no_count_of_people_below_the_threshold_is_shown(paper, pages):
    """Counts of people (the pages mark them ``count``, or their column says people) shown in
    the paper are 0 or at least the threshold of 8."""
    checked = 0
    for shown, source in zip(paper.tables, html_tables(pages), strict=True):
        headers = [squash(th.text_content()) for th in source.xpath("./thead/tr[1]/th")]
        for r, row in enumerate(source.xpath("./tbody/tr"), start=1):
            for c, cell in enumerate(row.xpath("./th | ./td")):
                people = "count" in (cell.get("class") or "").split() or (
                    c < len(headers) and headers[c].lower() in ("people", "referrals", "n")
                )
                text = shown.rows[r].cells[c].text.replace(",", "")
                if people and text.isdigit():
                    assert int(text) == 0 or int(text) >= 8, (headers[c], text)
                    checked += 1
    assert checked > 50


def test_every_figure_is_a_png_with_the_pages_alt_text(paper, pages, report):
    alts = [squash(img.get("alt")) for main in pages for img in main.iter("img")]
    shapes = list(paper.inline_shapes)
    assert len(shapes) == len(alts) > 5
    assert [squash(s._inline.docPr.get("descr")) for s in shapes] == alts
    assert all(alt for alt in alts)
    with zipfile.ZipFile(report / COMMITTEE_PAPER) as package:
        media = [n for n in package.namelist() if n.startswith("word/media/")]
        assert media and all(package.read(n)[:8] == b"\x89PNG\r\n\x1a\n" for n in media)


def test_no_identifier_from_the_extracts_appears(report, evaluation):
    with zipfile.ZipFile(report / COMMITTEE_PAPER) as package:
        text = "\n".join(
            package.read(name).decode("utf-8")
            for name in package.namelist()
            if name.endswith(".xml")
        )
    nhs_numbers = {
        "".join(m) for m in re.findall(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)", text)
    }
    postcodes = {
        (outward + inward).upper()
        for outward, inward in re.findall(
            r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})(?![A-Za-z0-9])",
            text,
        )
    }
    raw = pd.concat(
        [
            pd.read_csv(p, dtype=str)
            for p in (evaluation.parent / "extracts").glob("*_participants.csv")
        ]
    )
    client_ids = set(raw["client_id"].dropna())
    assert len(client_ids) > 100
    assert not [i for i in client_ids if i in text]
    assert not re.search(r"\b[A-Z]{2}-\d{7}\b", text)  # the demo's client id pattern
    for column, found in (
        ("nhs_number", lambda v: re.sub(r"\D", "", v) in nhs_numbers),
        ("postcode", lambda v: re.sub(r"\s", "", v).upper() in postcodes),
        ("date_of_birth", lambda v: v in text or f"{v[8:]}/{v[5:7]}/{v[:4]}" in text),
    ):
        values = raw[column].dropna()
        assert len(values) > 100, column  # the demo's extracts carry every kind
        assert not [v for v in values if found(v)], column


def one_page_site(folder: Path, body: str) -> Path:
    folder.mkdir()
    nav = '<nav class="report-nav"><ul><li><a href="05_summary.html">Summary</a></li></ul></nav>'
    (folder / "index.html").write_text(f"<html><body>{nav}<main></main></body></html>")
    (folder / "05_summary.html").write_text(f"<html><body>{nav}<main>{body}</main></body></html>")
    return folder


def png() -> str:
    buffer = io.BytesIO()
    Figure(figsize=(2, 1)).savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("kind", "value", "where"),
    [
        ("client_id", "NT-000123", "<p>Longest wait: NT-000123</p>"),
        ("nhs_number", "9434765919", "<td>943 476 5919</td>"),
        ("date_of_birth", "1980-03-02", "<p>Born 02/03/1980</p>"),
        (
            "postcode",
            "AB12CD",
            "<figure><img alt='Home: AB1 2CD' src='data:image/png;base64,{png}'>"
            "<figcaption>Map</figcaption></figure>",
        ),  # fmt: skip
    ],
)
def test_an_identifier_in_the_paper_stops_publication(tmp_path, kind, value, where):
    where = where.replace("{png}", png())
    if where.startswith("<td>"):
        where = (
            f"<table><thead><tr><th>NHS</th></tr></thead><tbody><tr>{where}</tr></tbody></table>"
        )
    site = one_page_site(tmp_path / "site", f"<h1>Executive summary</h1>{where}")
    identifiers = pd.DataFrame({"kind": [kind], "value": [value]})
    with pytest.raises(DisclosureError) as error:
        write_committee_paper(site, {}, DisclosurePolicy(), identifiers, progress=lambda _: None)
    assert f"{kind} " in str(error.value)
    assert value not in str(error.value)


def test_a_draft_report_makes_a_draft_paper(tmp_path):
    report = {"report_title": "Live Well", "draft": True, "unanswered": ["Which KPIs are red?"]}
    paper = build_committee_paper(["<h1>Executive summary</h1>"], report, DisclosurePolicy())
    text = [p.text for p in paper.paragraphs]
    assert text[1] == "Committee paper: DRAFT" and "Which KPIs are red?" in text
    assert paper.core_properties.title.startswith("DRAFT: ")
    assert paper.sections[0].header.paragraphs[0].text.startswith("DRAFT: ")
    final = build_committee_paper(
        ["<h1>Executive summary</h1>"], {"draft": False}, DisclosurePolicy()
    )
    assert not any("DRAFT" in p.text for p in final.paragraphs)


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_paper_to_pdf(report, tmp_path):
    paper = Path(shutil.copy(report / COMMITTEE_PAPER, tmp_path / "paper.docx"))
    pdf = convert_to_pdf(paper)
    assert pdf == tmp_path / "paper.pdf"
    data = pdf.read_bytes()
    assert data[:5] == b"%PDF-"
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages > 10  # the whole report, not an error page


def test_without_libreoffice_there_is_no_pdf_and_a_note(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    site = one_page_site(tmp_path / "site", "<h1>Executive summary</h1><p>120 people.</p>")
    lines: list[str] = []
    empty = pd.DataFrame({"kind": [], "value": []}, dtype="str")
    written = write_committee_paper(site, {}, DisclosurePolicy(), empty, progress=lines.append)
    assert written["pdf"] is None and not (site / "committee-paper.pdf").exists()
    assert "LibreOffice (soffice) is not installed" in lines[0]
