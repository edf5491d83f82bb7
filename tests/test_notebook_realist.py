"""The realist synthesis page runs on the synthetic demo, records its key figures and reads cleanly.

Run twice, in the two hardest scenarios: the whole service at the latest period (every section,
every CMOC tested), and one site in the first period alone, where few people fall in most CMOC
contexts and almost no interview is yet dated, so the page must say plainly that the numbers
cannot tell rather than show small counts or empty tables.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from notebook_pages import run_page, visible_text

from evalkit.demo import write_demo

# Words a commissioner must never meet: raw codes, column names, missing-value markers.
RAW = re.compile(
    r"\b(nan|NaN|<NA>|None|peer_led|face_to_face|wemwbs_change|quit_4wk_co|wemwbs_followed_up|"
    r"service_user|frontline_staff|provider_manager|mechanism_resource|mechanism_reasoning|"
    r"context_filter|interaction_p|OLS)\b"
)
KEYS = {
    "cmocs_total",
    "cmocs_consistent",
    "cmocs_inconsistent",
    "cmocs_inconclusive",
    "cmocs_not_tested",
    "qual_sources",
    "qual_excerpts",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return write_demo(root, episodes=600, seed=7), root


@pytest.mark.parametrize(("site", "period"), [("all", "latest"), ("North", "2025-Q3")])
def test_page_runs_records_its_figures_and_reads_in_plain_english(demo, site, period, tmp_path):
    config, root = demo
    notebook, out_dir = run_page("04_realist_synthesis", config, tmp_path, period=period, site=site)
    text = visible_text(notebook)
    assert not RAW.findall(text), sorted(set(RAW.findall(text)))
    figures = {f["key"]: f["value"] for f in json.loads((out_dir / "key_figures.json").read_text())}
    assert set(figures) == KEYS
    patterns = ("cmocs_consistent", "cmocs_inconsistent", "cmocs_inconclusive", "cmocs_not_tested")
    assert sum(figures[k] for k in patterns) == figures["cmocs_total"] > 0
    assert "evalkit never changes the evaluator's status" in text
    # No client identifier and no source name reaches the page.
    clients = pd.concat(
        pd.read_csv(p, usecols=["client_id"], dtype=str)
        for p in (root / "extracts").glob("*_participants.csv")
    )["client_id"]
    assert not [c for c in clients if c in text]
    names = pd.read_csv(root / "qual" / "sources.csv", dtype=str)["name"]
    assert not [n for n in names if n in text]
    for figure in re.findall(r"<img [^>]*>", text):
        assert re.search(r'alt="[^"]{20,}"', figure), figure
    # The refinement log is written beside the page, never into the evaluation's qual folder.
    assert (out_dir / "refinement_log.csv").is_file()
    assert not (root / "qual" / "refinement_log.csv").exists()
    if site != "all":
        assert "too few people at this site alone" in text
        assert "dated after the report period" in text
