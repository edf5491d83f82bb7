"""The library of published reports: <out>/index.html lists every report (period x site, draft or
final, when, from which data) and links it; each report links to the previous one of its scope.

Runs the real pipeline on the small fixture evaluation of tests/fixtures/pipeline, with one
fixture notebook, so each publish takes seconds. Expectations are read from the published HTML
(with the standard library's HTML parser) and from the manifests, not from the library code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

import evalkit
from evalkit.pipeline import run_report
from evalkit.pipeline.library import write_library

pytestmark = pytest.mark.xdist_group("pipeline_run")

FIXTURES = Path(__file__).parent / "fixtures" / "pipeline"


class Links(HTMLParser):
    """Every link of a page (href, text) and every table row's cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.rows: list[list[str]] = []
        self._href: str | None = None
        self._text = ""
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href, self._text = dict(attrs).get("href"), ""
        elif tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, self._text.strip()))
            self._href = None
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._href is not None:
            self._text += data
        if self._cell is not None:
            self._cell += data


def parse(page: Path) -> Links:
    parser = Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module", autouse=True)
def steady_evalkit_source():
    """Other work on evalkit's source must not change cache keys between these runs."""
    with pytest.MonkeyPatch.context() as patch:
        fixed = {"version": evalkit.__version__, "source_sha256": "0" * 64}
        patch.setattr("evalkit.pipeline.report.evalkit_fingerprint", lambda: fixed)
        yield


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """Two periods for the whole service and one for the North site, published in turn."""
    root = tmp_path_factory.mktemp("library")
    shutil.copytree(FIXTURES, root / "fixture")
    config = root / "fixture" / "evaluation" / "evaluation.yml"
    text = config.read_text(encoding="utf-8").replace(
        "notebooks: [01_reach_and_equity, 04_realist_synthesis, 05_summary]",
        "notebooks: [01_reach_and_equity]",
    )
    config.write_text(text, encoding="utf-8")
    out = root / "reports"
    for period, site in (("2026-Q1", "all"), ("2026-Q2", "all"), ("2026-Q2", "North")):
        run_report(config, period=period, site=site, out=out, jobs=1, progress=lambda m: None)
    return out


def test_the_library_links_every_published_report(published):
    library = parse(published / "index.html")
    targets = {href for href, _ in library.links if not href.startswith("#")}
    assert {"2026-Q1/all/index.html", "2026-Q2/all/index.html", "2026-Q2/north/index.html"} <= (
        targets
    )
    for href in targets:
        assert (published / href).is_file(), href


def test_each_row_says_period_site_status_when_and_which_data(published):
    rows = {(r[0], r[1]): r for r in parse(published / "index.html").rows[1:]}
    assert set(rows) == {("2026-Q2", "All sites"), ("2026-Q2", "North"), ("2026-Q1", "All sites")}
    for (period, site), row in rows.items():
        manifest = json.loads(
            (
                published / period / ("all" if site == "All sites" else "north") / "manifest.json"
            ).read_text()
        )
        status, when, data = row[2], row[3], row[4]
        assert status == "DRAFT"  # the fixture evaluation has no narrative.yml
        assert manifest["publication"]["status"] == "draft"
        generated = dt.datetime.fromisoformat(manifest["generated_at"])
        assert when == f"{generated.day} {generated:%B %Y} at {generated:%H:%M}"
        listing = "\n".join(f"{i['path']} {i['sha256']}" for i in manifest["inputs"])
        digest = hashlib.sha256(listing.encode()).hexdigest()[:12]
        assert f"{len(manifest['inputs'])} input files, content {digest}" in data
        assert "provider extracts last updated" in data
    assert list(rows)[0][0] == "2026-Q2"  # newest first


def test_each_report_links_to_the_previous_one_of_its_scope(published):
    second = parse(published / "2026-Q2" / "all" / "index.html").links
    assert ("../../2026-Q1/all/index.html", "Previous report: 2026-Q1") in second
    assert ("../../index.html", "All published reports") in second
    for page in (published / "2026-Q2" / "all").glob("*.html"):  # every page, not only the index
        assert "../../2026-Q1/all/index.html" in page.read_text(encoding="utf-8"), page.name
    first = [text for _, text in parse(published / "2026-Q1" / "all" / "index.html").links]
    north = [text for _, text in parse(published / "2026-Q2" / "north" / "index.html").links]
    assert not any(t.startswith("Previous report") for t in first + north)
    manifest = json.loads((published / "2026-Q2" / "all" / "manifest.json").read_text())
    assert manifest["publication"]["previous"] == "2026-Q1/all/index.html"
    rows = {(r[0], r[1]): r[5] for r in parse(published / "index.html").rows[1:]}
    assert rows == {
        ("2026-Q2", "All sites"): "2026-Q1",
        ("2026-Q2", "North"): "none",
        ("2026-Q1", "All sites"): "none",
    }


def test_the_library_is_replaced_in_one_rename_and_ignores_hidden_folders(published, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(published, out)
    hidden = out / ".failed" / "2026-Q3" / "all"  # not a published report
    hidden.mkdir(parents=True)
    (hidden / "manifest.json").write_text(
        json.dumps({"parameters": {"period": "2026-Q3", "site": "all"}})
    )
    before = (out / "index.html").stat().st_ino
    write_library(out, title="Fixture evaluation", generated="now")
    assert (out / "index.html").stat().st_ino != before  # a new file renamed in, not rewritten
    assert "2026-Q3" not in (out / "index.html").read_text()
    assert not list(out.glob(".library-*"))  # no temporary file is left behind
