"""Since the last report, end to end: two periods of the demo published into one folder; the
second report's index and executive summary set each headline beside the first report's.

Runs the real pipeline with the real reach and summary notebooks on a small demo. The
expectations are worked by hand from the validated episodes (the share of referrals from the
most deprived quintile, cumulative to each period, and a two-proportion z test written out
here), not from evalkit's comparison code. Also: the committee paper is linked from the index
and the library, and the first report of a scope says there is no earlier report.
"""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

import evalkit
from evalkit.config import DisclosurePolicy
from evalkit.data.evaluation import load_evaluation
from evalkit.demo import write_demo
from evalkit.pipeline import run_report
from evalkit.pipeline.since_last import since_last

pytestmark = pytest.mark.xdist_group("pipeline_run")

ROUND_TO = 5  # the demo's disclosure: counts of people rounded to the nearest 5


class Tables(HTMLParser):
    """Every table row's cell texts, and every link (href, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[tuple[str, str]] = []
        self._cell: str | None = None
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "a":
            self._href, self._text = dict(attrs).get("href"), ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join(self._text.split())))
            self._href = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data
        if self._href is not None:
            self._text += data


def parse(page: Path) -> Tables:
    parser = Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def row_of(page: Path, label_start: str) -> list[str]:
    rows = [r for r in parse(page).rows if r and r[0].startswith(label_start)]
    assert len(rows) == 1, (label_start, rows)
    return rows[0]


@pytest.fixture(scope="module", autouse=True)
def steady_evalkit_source():
    with pytest.MonkeyPatch.context() as patch:
        fixed = {"version": evalkit.__version__, "source_sha256": "0" * 64}
        patch.setattr("evalkit.pipeline.report.evalkit_fingerprint", lambda: fixed)
        # no PDF: LibreOffice is slow and its link is tested on its own below
        patch.setattr("evalkit.pipeline.committee_paper.office_program", lambda: None)
        yield


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """2026-Q1, then 2026-Q2, for the whole service, into one folder."""
    root = tmp_path_factory.mktemp("since_last")
    config = write_demo(root / "demo", episodes=800, seed=11)
    with config.open("a", encoding="utf-8") as file:
        file.write("notebooks: [01_reach_and_equity, 05_summary]\n")
    load_evaluation(config)  # validate first, as `evalkit validate` would
    out = root / "reports"
    for period in ("2026-Q1", "2026-Q2"):
        run_report(config, period=period, out=out, jobs=2, progress=lambda m: None)
    return config, out


def most_deprived(config: Path, period: str) -> tuple[int, int]:
    """Referrals from IMD quintile 1 and referrals with a quintile, cumulative to ``period``."""
    episodes = load_evaluation(config, period=period).episodes
    quintile = episodes["imd_quintile"].dropna().astype(int)
    return int((quintile == 1).sum()), len(quintile)


def rounded(n: int) -> int:
    return int(ROUND_TO * math.floor(n / ROUND_TO + 0.5))


def test_the_first_report_of_a_scope_says_there_is_no_earlier_report(published):
    _, out = published
    text = (out / "2026-Q1" / "all" / "index.html").read_text(encoding="utf-8")
    assert "This is the first report published for this scope: there is no earlier report" in text
    assert "Beyond chance?" not in text
    summary = (out / "2026-Q1" / "all" / "05_summary.html").read_text(encoding="utf-8")
    assert "<h2" in summary and "Since the last report" in summary
    assert "there is no earlier report to compare with" in summary


def test_the_second_index_compares_the_deprived_share_with_the_first(published):
    config, out = published
    x1, n1 = most_deprived(config, "2026-Q1")
    x2, n2 = most_deprived(config, "2026-Q2")
    assert n2 > n1 > 100 and x2 > x1  # cumulative: Q2's referrals include Q1's
    p1, p2 = 100 * x1 / n1, 100 * x2 / n2
    # By hand: the people added since the last report against the people in it (pooled z).
    # Reports publish their n rounded to 5, and the comparison is made from what was
    # published, so the counts are those the rounded n and the shares give back.
    r1, r2 = rounded(n1), rounded(n2)
    k1, k2 = round(p1 / 100 * r1), round(p2 / 100 * r2)
    new_x, new_n = k2 - k1, r2 - r1
    pooled = (new_x + k1) / (new_n + r1)
    z = (new_x / new_n - k1 / r1) / math.sqrt(pooled * (1 - pooled) * (1 / new_n + 1 / r1))
    p_value = 2 * stats.norm.sf(abs(z))

    index = out / "2026-Q2" / "all" / "index.html"
    header = next(r for r in parse(index).rows if r and r[0] == "Figure")
    assert header[4:] == ["Last report (2026-Q1)", "Change", "Beyond chance?"]
    row = row_of(index, "Referrals from")
    assert row[1] == f"{p2:.0f}%"
    assert row[4] == f"{p1:.0f}%"
    change = p2 - p1
    if round(abs(change)) == 0:
        assert row[5] in ("no change", "no change at this precision")
    else:
        points = "percentage point" if f"{abs(change):.0f}" == "1" else "percentage points"
        assert row[5] == f"{'up' if change > 0 else 'down'} {abs(change):.0f} {points}"
    verdict = re.fullmatch(r"(yes|no) \(p (=|<) ([0-9.]+)\)", row[6])
    assert verdict is not None, row[6]
    assert verdict.group(1) == ("yes" if p_value < 0.05 else "no")
    assert float(verdict.group(3)) == pytest.approx(p_value, abs=0.005)  # shown to 2 places
    links = parse(index).links
    assert ("../../2026-Q1/all/index.html", "2026-Q1") in links


def test_a_count_gets_the_change_only(published):
    """The last report's value is the one it showed; the change is between the shown counts."""
    config, out = published
    n1 = len(load_evaluation(config, period="2026-Q1").episodes)
    n2 = len(load_evaluation(config, period="2026-Q2").episodes)
    then = row_of(out / "2026-Q1" / "all" / "index.html", "Referral episodes")
    now = row_of(out / "2026-Q2" / "all" / "index.html", "Referral episodes")
    shown1, shown2 = (int(r[1].removesuffix(" episodes").replace(",", "")) for r in (then, now))
    assert abs(shown1 - n1) <= ROUND_TO // 2 and abs(shown2 - n2) <= ROUND_TO // 2
    assert now[4] == then[1]
    assert now[5] == f"up {shown2 - shown1:,} episodes"
    assert now[6] == "not tested"


def test_the_executive_summary_shows_the_same_comparison(published):
    _, out = published
    index = row_of(out / "2026-Q2" / "all" / "index.html", "Referrals from")
    summary = row_of(out / "2026-Q2" / "all" / "05_summary.html", "Referrals from")
    # Figure, Now, Last report, Change, Beyond chance? against the index's columns
    assert summary == [index[0], index[1], index[4], index[5], index[6]]
    text = (out / "2026-Q2" / "all" / "05_summary.html").read_text(encoding="utf-8")
    assert "Headline figures now and in the last report (2026-Q1)" in text


def test_the_index_and_the_library_link_the_committee_paper(published):
    _, out = published
    index = out / "2026-Q2" / "all" / "index.html"
    paper = [href for href, _ in parse(index).links if href.endswith((".docx", ".pdf"))]
    assert paper == ["committee-paper.docx"]  # no PDF without LibreOffice
    assert (out / "2026-Q2" / "all" / "committee-paper.docx").is_file()
    library = [href for href, text in parse(out / "index.html").links if text == "Word (.docx)"]
    assert library == ["2026-Q2/all/committee-paper.docx", "2026-Q1/all/committee-paper.docx"]
    manifest = json.loads((out / "2026-Q2" / "all" / "manifest.json").read_text())
    assert manifest["disclosure"]["committee_paper"]["docx"] == "committee-paper.docx"


def test_a_figure_withheld_now_gets_no_change_and_text_figures_say_if_they_changed(tmp_path):
    """A change would give back a value this report withholds for small numbers."""
    then = tmp_path / "2026-Q1" / "all"
    then.mkdir(parents=True)
    (then / "manifest.json").write_text(
        json.dumps({"parameters": {"period": "2026-Q1", "site": "all"}}), encoding="utf-8"
    )
    previous = [
        {"key": "rate", "label": "Rate", "value": 40.0, "unit": "%", "n": 400},
        {"key": "top", "label": "Top group", "value": "Peer-led groups", "n": 400},
    ]
    (then / "key_figures.json").write_text(json.dumps(previous), encoding="utf-8")
    now = pd.DataFrame(
        [
            {"notebook": "01", "key": "rate", "label": "Rate", "value": 60.0, "unit": "%", "n": 5},
            {"notebook": "01", "key": "top", "label": "Top group", "value": "Digital", "n": 420},
            {"notebook": "01", "key": "new", "label": "New", "value": 3.0, "unit": "points"},
        ]
    )
    since = since_last(now, tmp_path / "2026-Q2" / "all", "2026-Q2", DisclosurePolicy())
    rate, top, new = (since.shown(row) for row in now.to_dict("records"))
    assert (rate.previous, rate.change, rate.verdict) == ("40%", "", "")
    assert (top.previous, top.change) == ("Peer-led groups", "changed")
    assert new.previous == "not in the last report" and new.change == ""
