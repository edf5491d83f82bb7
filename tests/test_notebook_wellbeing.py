"""The wellbeing outcomes page runs on the synthetic demo, records its key figures, reads well.

Run twice: the whole service at the latest period, and one site in the first period alone, where
few people have end scores, so small numbers must be withheld in sentences as in the tables. The
recorded figures are checked against the episode table, which reaches them by another route
(``build_episodes`` rather than the page's own scoring).
"""

from __future__ import annotations

import json
import re

import pytest
from notebook_pages import run_page, visible_text

from evalkit.data.evaluation import load_evaluation
from evalkit.demo import write_demo

# Words a commissioner must never meet: raw codes, column names, missing-value markers.
RAW = re.compile(
    r"\b(nan|NaN|<NA>|None|peer_led|face_to_face|link_worker|wemwbs_total|wemwbs_change|"
    r"imd_quintile|delivery_mode|complete_case|baseline_carried_forward|multiple_imputation|"
    r"ancova_hc3|iapt_recovery|p_holm|baseline|exit)\b"
)
KEYS = {
    "wemwbs_mean_change",
    "wemwbs_effect_size_dz",
    "wemwbs_meaningful_improvement_pct",
    "wemwbs_reliable_improvement_pct",
    "for_whom_top_subgroup",
    "for_whom_top_difference",
    "iapt_recovery_rate",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    return write_demo(root, episodes=600, seed=7)


@pytest.mark.parametrize(("site", "period"), [("all", "latest"), ("North", "2025-Q3")])
def test_page_runs_records_its_figures_and_reads_in_plain_english(demo, site, period, tmp_path):
    notebook, out_dir = run_page("02_wellbeing_outcomes", demo, tmp_path, period=period, site=site)
    text = visible_text(notebook, stderr_fails=True)
    assert not RAW.findall(text), sorted(set(RAW.findall(text)))
    images = re.findall(r"<img[^>]*>", text)
    assert all(re.search(r'alt="[^"]+"', image) for image in images)
    if site == "all":  # the distribution and the forest plot
        assert len(images) == 2

    figures = {f["key"]: f for f in json.loads((out_dir / "key_figures.json").read_text())}
    assert set(figures) == KEYS

    # The same quantities from the episode table (built by evalkit.data.episodes, not by the page).
    episodes = load_evaluation(demo, period=period, site=site).episodes
    change = episodes["wemwbs_change"].dropna()
    mean_change = figures["wemwbs_mean_change"]
    assert mean_change["n"] == len(change)
    assert mean_change["value"] == pytest.approx(change.mean(), abs=0.005)
    assert mean_change["ci_low"] < mean_change["value"] < mean_change["ci_high"]
    meaningful = figures["wemwbs_meaningful_improvement_pct"]
    if meaningful["value"] is not None:
        share = episodes["wemwbs_meaningful_improvement"].dropna().mean()
        assert meaningful["value"] == pytest.approx(100 * share, abs=0.05)
    recovery = figures["iapt_recovery_rate"]
    known = episodes["iapt_recovery"].dropna()
    assert recovery["n"] == len(known)
    if recovery["value"] is None:  # withheld: fewer than 8 recovered or were assessed
        assert 0 < known.sum() < 8 or 0 < len(known) < 8
        assert "too few talking-therapy clients" in text.lower()
    else:
        assert recovery["value"] == pytest.approx(100 * known.mean(), abs=0.05)
