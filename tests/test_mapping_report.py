"""The demo in its providers' own formats reports through its mappings alone, with the canonical
demo's key figures (issue #12, acceptance).

One report each, same seed and size: the figures the pages record (``key_figures.json`` of each
published report) must be equal. The one label that differs by construction is the count of
records received on the data-quality page: it counts each file's rows once, and a provider's
wide export holds in one row what the canonical measures file sends as many rows.
"""

import json

import pandas as pd
import pytest

from evalkit.config import load_config
from evalkit.demo import write_demo
from evalkit.demo.provider_formats import write_provider_formats
from evalkit.pipeline.inputs import extract_files, mapped_participants
from evalkit.pipeline.report import run_report

# 1,000 episodes: the smallest demo whose linkage model can be estimated (the data-quality page
# needs it); below that the page fails for both formats alike.
EPISODES, SEED = 1000, 7
#: Figures whose label counts records as the files hold them (see the module docstring).
_LABEL_COUNTS_FILE_ROWS = {("00_data_quality", "records_kept_pct")}


def _report(config, out):
    published = run_report(config, out=out, progress=lambda message: None)
    figures = json.loads((published / "key_figures.json").read_text("utf-8"))
    return published, {(f["notebook"], f["key"]): f for f in figures}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    canonical = write_demo(root / "canonical", episodes=EPISODES, seed=SEED)
    provider = write_provider_formats(write_demo(root / "provider", episodes=EPISODES, seed=SEED))
    return {
        "canonical": _report(canonical, root / "canonical_reports"),
        "provider": _report(provider, root / "provider_reports"),
        "provider_config": provider,
    }


def test_the_provider_format_demo_has_no_canonical_participants_file(reports):
    config = load_config(reports["provider_config"])
    extracts = extract_files(config.extracts_dir)
    assert not [p for p in extracts if p.stem.endswith("_participants")]
    # every participants row comes through a mapping: one file per provider
    mapped = mapped_participants(config.root, config.mappings, extracts)
    assert sorted(m.mapping.provider for m in mapped) == ["council", "nhs_trust", "vcs"]


def test_both_formats_publish_the_latest_period(reports):
    for name in ("canonical", "provider"):
        published, _ = reports[name]
        assert published.parts[-2:] == ("2026-Q2", "all")
        assert (published / "index.html").is_file()


def test_key_figures_are_equal(reports):
    _, canonical = reports["canonical"]
    _, provider = reports["provider"]
    assert len(canonical) > 20  # every page recorded its figures
    assert set(provider) == set(canonical)
    for key, figure in canonical.items():
        other = dict(provider[key])
        if key in _LABEL_COUNTS_FILE_ROWS:
            other["label"] = figure["label"]
        assert other == figure, key


def test_the_records_label_counts_the_rows_each_provider_sent(reports):
    _, canonical = reports["canonical"]
    _, provider = reports["provider"]
    key = ("00_data_quality", "records_kept_pct")
    assert provider[key]["value"] == canonical[key]["value"]
    # 1,000 participants rows (one per referral, in the three exports) + the qualitative
    # tables, which both formats send alike
    config = load_config(reports["provider_config"])
    qual_rows = sum(len(pd.read_csv(p)) for p in config.qual_dir.glob("*.csv"))
    assert provider[key]["label"] == (
        f"Records that passed validation (of {EPISODES + qual_rows:,} records received)"
    )


def test_the_data_quality_page_names_the_provider_that_sent_totals_only(reports):
    provider, _ = reports["provider"]
    canonical, _ = reports["canonical"]
    page = (provider / "00_data_quality.html").read_text("utf-8")
    assert (
        "Sent as totals only, without the item answers (so no missing-answer rule applies): "
        "Northgate NHS Foundation Trust: WEMWBS, SWEMWBS, PHQ-9, GAD-7." in page
    )
    assert "Every provider sent the item answers" in (canonical / "00_data_quality.html").read_text(
        "utf-8"
    )
