"""The reach and lifestyle KPI pages run on the synthetic demo for the whole service and for one
site with a single quarter of data, record their key figures, and show no raw codes or "nan"."""

import json
import re

import pytest
from notebook_pages import run_page, visible_text

from evalkit.demo import write_demo

KEYS = {
    "01_reach_and_equity": {"episodes", "start_rate", "share_most_deprived", "reach_ratio_q1"},
    "03_lifestyle_kpis": {
        "kpis_green",
        "kpis_red",
        "quit_4wk_co_rate",
        "co_validation_rate",
        "weight_loss_5pct_rate",
        "became_more_active_rate",
    },
}
# Words a commissioner must never meet: raw codes, column names, missing-value markers.
RAW = re.compile(
    r"\b(nan|NaN|<NA>|None|face_to_face|link_worker|peer_led|imd_quintile|kpi_id|"
    r"unit_name|quit_4wk_co|not_stated)\b"
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return write_demo(root, episodes=600, seed=7), root


# Each run costs a kernel start and ~8 s, so each page is run once, in the harder scenario for
# it: the reach page for one site with a single quarter (no trend), the KPI page for the whole
# service (trend, funnels by provider and site).
@pytest.mark.parametrize(
    ("name", "site", "period"),
    [("01_reach_and_equity", "North", "2024-Q3"), ("03_lifestyle_kpis", "all", "latest")],
)
def test_page_runs_and_reads_in_plain_english(demo, name, site, period, tmp_path):
    config, _ = demo
    notebook, out_dir = run_page(name, config, tmp_path, period=period, site=site)
    text = visible_text(notebook)
    assert not RAW.findall(text), sorted(set(RAW.findall(text)))
    figures = json.loads((out_dir / "key_figures.json").read_text())
    recorded = {f["key"] for f in figures}
    required = KEYS[name] - ({"share_most_deprived", "reach_ratio_q1"} if site != "all" else set())
    assert required <= recorded
    if period != "latest":
        assert "Only one quarter" in text  # no trend section, and the page says why
    else:
        assert "Only one quarter" not in text
    for figure in re.findall(r"<img [^>]*>", text):
        assert re.search(r'alt="[^"]{20,}"', figure), figure
