"""The report for one site and for a two-quarter period renders, and the data-quality and summary
pages record and show what the package computes."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from notebook_pages import run_page

from evalkit.config import load_config
from evalkit.data.evaluation import load_evaluation
from evalkit.demo import write_demo
from evalkit.instruments import score
from evalkit.outcomes import attrition
from evalkit.pages import page_names
from evalkit.pipeline import run_report
from evalkit.present.keyfigures import read_key_figures, record

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("scopes") / "demo", episodes=800, seed=5)


def _quarter_text(quarter: pd.Period) -> str:
    """How pages name a quarter: "Oct to Dec 2024"."""
    start, end = quarter.start_time, quarter.end_time
    return f"{start:%b} to {end:%b} {end:%Y}"


def page_text(path) -> str:
    html = path.read_text(encoding="utf-8")
    html = re.sub(r'src="data:[^"]+"', "", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_site_report_renders_every_page_for_that_site(demo, tmp_path):
    config = load_config(demo)
    folder = run_report(demo, site="North", out=tmp_path, progress=lambda line: None)
    pages = {p.name for p in folder.glob("*.html")}
    assert pages == {"index.html", *(f"{n}.html" for n in page_names(config.notebooks))}
    for name in page_names(config.notebooks):
        text = page_text(folder / f"{name}.html")
        assert "North site" in text or "North" in text, name
        assert "Traceback" not in text and " nan " not in text, name


def test_two_period_report_shows_a_trend_and_excludes_later_referrals(demo, tmp_path):
    config = load_config(demo)
    second = config.periods[1]
    folder = run_report(demo, period=second, out=tmp_path, progress=lambda line: None)
    assert folder.parent.name == second
    reach = page_text(folder / "01_reach_and_equity.html")
    # with two quarters of data the page draws the quarter-by-quarter trend (as figures)
    first, later = (pd.Period(p, freq="Q") for p in (config.periods[0], config.periods[2]))
    assert "Quarter by quarter" in reach and _quarter_text(first + 1) in reach
    assert _quarter_text(later) not in reach  # later referrals are not in this report
    ev = load_evaluation(demo, period=second)
    # the demo rounds counts of people to the nearest 5 (disclosure.round_to), halves up
    rounded = 5 * math.floor(len(ev.episodes) / 5 + 0.5)
    summary = page_text(folder / "05_summary.html")
    assert re.search(rf"Referral episodes:\s+{rounded:,}\.", summary), summary
    people = 5 * math.floor(ev.episodes["person_id"].nunique() / 5 + 0.5)
    assert re.search(rf"People:\s+{people:,}\.", summary), summary


def test_data_quality_figures_are_the_package_figures(demo, tmp_path):
    out = tmp_path / "figures" / "00_data_quality"
    run_page("00_data_quality", demo, tmp_path, output_dir=out)
    figures = read_key_figures(out).set_index("key")
    ev = load_evaluation(demo)
    # each file's rows once: a wide workbook's melted values are not records received too
    recon = ev.reconciliation[ev.reconciliation["unit"] != "values"]
    kept = 100 * recon["kept"].sum() / recon["read"].sum()
    assert figures.loc["records_kept_pct", "value"] == pytest.approx(kept)  # unrounded
    # records are not people: no n, the count of records is in the label
    assert pd.isna(figures.loc["records_kept_pct", "n"])
    assert f"{recon['read'].sum():,} records" in figures.loc["records_kept_pct", "label"]
    follow = attrition(
        ev.episodes, score(ev.measures, "wemwbs"), "wemwbs_total", characteristics=[]
    ).iloc[0]
    assert figures.loc["wemwbs_followup_rate", "value"] == pytest.approx(
        100 * follow["followup_rate"]
    )
    assert figures.loc["wemwbs_followup_rate", "n"] == follow["n_baseline"]


def test_summary_page_words_the_recorded_figures(demo, tmp_path):
    root = tmp_path / "figures"
    record(
        "wemwbs_mean_change",
        3.46,
        label="Average change in WEMWBS score",
        unit="points",
        n=759,
        ci=(3.01, 3.9),
        output_dir=root / "02_wellbeing_outcomes",
    )
    record(
        "quit_4wk_co_rate",
        39.5,
        label="CO-validated 4-week quits",
        unit="%",
        n=5,
        output_dir=root / "03_lifestyle_kpis",
    )
    notebook, _ = run_page("05_summary", demo, tmp_path, output_dir=root / "05_summary")
    text = "\n".join(
        o.get("data", {}).get("text/markdown", "")
        for c in notebook.cells
        for o in c.get("outputs", [])
    )
    # 759 people, rounded to the nearest 5 as the demo's tables round counts
    assert "Average change in WEMWBS score: 3.5 points (95% CI 3.0 to 3.9; 760 people)." in text
    # 5 people is under the demo's disclosure threshold of 8: the figure is withheld
    assert "CO-validated 4-week quits: too few people to report (fewer than 8)." in text
