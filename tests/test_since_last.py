"""Since the last report: finding the previous report of the same scope and testing each
headline's change; expectations are worked by hand from the formulas in the module docstring."""

import json
import math

import pandas as pd
import pytest
from scipy import stats

from evalkit.config import DisclosurePolicy
from evalkit.pipeline.since_last import (
    compare_key_figures,
    previous_report,
    publishable_key_figures,
    read_published_key_figures,
    since_last_report,
)

COLUMNS = ["notebook", "key", "label", "value", "unit", "n", "ci_low", "ci_high"]


def figures(*rows):
    return pd.DataFrame([dict(zip(COLUMNS, row, strict=True)) for row in rows])


def publish(root, period, site_folder, site, rows):
    folder = root / period / site_folder
    folder.mkdir(parents=True)
    manifest = {"parameters": {"period": period, "site": site}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    published = publishable_key_figures(figures(*rows), DisclosurePolicy(round_to=None))
    (folder / "key_figures.json").write_text(json.dumps(published), encoding="utf-8")
    return folder


def test_the_previous_report_is_the_latest_earlier_one_of_the_same_site(tmp_path):
    publish(tmp_path, "2025-Q4", "all", "all", [])
    q1 = publish(tmp_path, "2026-Q1", "all", "all", [])
    publish(tmp_path, "2026-Q1", "north", "North", [])
    publish(tmp_path, "2026-Q3", "all", "all", [])  # later: not "previous"
    (tmp_path / "2026-Q1" / "south").mkdir()  # no manifest: not published
    (tmp_path / "notes").mkdir()
    assert previous_report(tmp_path / "2026-Q2" / "all", "2026-Q2") == q1
    assert previous_report(tmp_path / "2026-Q2" / "north", "2026-Q2").parent.name == "2026-Q1"
    assert previous_report(tmp_path / "2026-Q2" / "south", "2026-Q2") is None
    assert previous_report(tmp_path / "2025-Q4" / "all", "2025-Q4") is None


def test_a_rate_compares_the_people_added_since_with_those_before():
    before = figures(("03", "quit", "Quit rate", 40.0, "%", 400, 35.2, 44.9))
    now = figures(("03", "quit", "Quit rate", 36.0, "%", 600, 32.3, 39.9))
    row = compare_key_figures(now, before).iloc[0]
    assert row["change"] == pytest.approx(-4.0)
    # 216 of 600 now, 160 of 400 then: the 200 people added since have 56 quits (28%)
    assert row["comparison"] == "new people against earlier"
    assert row["difference"] == pytest.approx(28 - 40)
    pooled = 216 / 600
    z = (56 / 200 - 160 / 400) / math.sqrt(pooled * (1 - pooled) * (1 / 200 + 1 / 400))
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-9)
    assert row["ci_low"] < row["difference"] < row["ci_high"] < 0
    assert bool(row["beyond_chance"]) is True


def test_a_small_rate_change_is_not_beyond_chance():
    before = figures(("03", "quit", "Quit rate", 40.0, "%", 400, 35.2, 44.9))
    now = figures(("03", "quit", "Quit rate", 39.0, "%", 500, 34.8, 43.4))
    row = compare_key_figures(now, before).iloc[0]
    # 195 of 500 now: the 100 added since have 35 quits (35%) against 40%
    assert row["difference"] == pytest.approx(35 - 40)
    assert row["ci_low"] < 0 < row["ci_high"]
    assert bool(row["beyond_chance"]) is False


def test_an_estimate_with_a_ci_is_compared_conservatively_as_independent():
    before = figures(("02", "wemwbs", "WEMWBS change", 3.0, "points", 100, 2.0, 4.0))
    now = figures(("02", "wemwbs", "WEMWBS change", 3.5, "points", 200, 2.8, 4.2))
    row = compare_key_figures(now, before).iloc[0]
    z95 = stats.norm.ppf(0.975)
    se = math.sqrt((1.0 / z95) ** 2 + (0.7 / z95) ** 2)
    assert row["comparison"] == "this report against the last (independent, conservative)"
    assert row["difference"] == pytest.approx(0.5)
    assert row["ci_low"] == pytest.approx(0.5 - z95 * se)
    assert row["p_value"] == pytest.approx(2 * stats.norm.sf(0.5 / se))
    assert bool(row["beyond_chance"]) is False


def test_text_figures_say_whether_they_changed():
    before = figures(("02", "top", "Top subgroup", "Age: 55-64 v 65-74", "text", None, None, None))
    same = compare_key_figures(before, before).iloc[0]
    changed = compare_key_figures(before.assign(value=["Provider: A v B"]), before).iloc[0]
    assert (same["note"], changed["note"]) == ("text: unchanged", "text: changed")


def test_figures_not_nested_are_compared_as_independent_samples():
    before = figures(("03", "quit", "Quit rate", 50.0, "%", 200, 43.1, 56.9))
    now = figures(("03", "quit", "Quit rate", 40.0, "%", 100, 30.9, 49.8))
    row = compare_key_figures(now, before).iloc[0]
    assert row["comparison"] == "this report against the last (independent)"
    assert row["difference"] == pytest.approx(-10.0)


def test_counts_missing_and_new_figures_get_a_note():
    before = figures(
        ("01", "episodes", "People referred", 1000, "people", 1000, None, None),
        ("03", "hidden", "Small group", None, "%", 5, None, None),
    )
    now = figures(
        ("01", "episodes", "People referred", 1400, "people", 1400, None, None),
        ("03", "hidden", "Small group", 60.0, "%", 20, 38.7, 78.1),
        ("03", "brand_new", "A new figure", 3, "KPIs", None, None, None),
    )
    table = compare_key_figures(now, before).set_index("key")
    assert table.loc["episodes", "change"] == 400
    assert table.loc["episodes", "note"].startswith("no test")
    assert pd.isna(table.loc["episodes", "beyond_chance"])
    assert table.loc["hidden", "note"].startswith("not shown")
    assert table.loc["brand_new", "note"] == "not in the last report"


def test_published_key_figures_withhold_small_numbers(tmp_path):
    rows = [
        ("03", "rate", "A rate", 42.857, "%", 7, 15.8, 75.0),
        ("01", "episodes", "People referred", 1234, "people", 1234, None, None),
    ]
    published = publishable_key_figures(figures(*rows), DisclosurePolicy(threshold=8, round_to=5))
    assert published[0]["value"] is None and published[0]["ci_low"] is None
    assert published[0]["n"] == 5
    assert (published[1]["value"], published[1]["n"]) == (1235, 1235)


def test_since_last_report_end_to_end(tmp_path):
    publish(
        tmp_path, "2026-Q1", "all", "all", [("03", "quit", "Quit rate", 40.0, "%", 400, 35.2, 44.9)]
    )
    now = figures(("03", "quit", "Quit rate", 36.0, "%", 600, 32.3, 39.9))
    folder, table = since_last_report(now, tmp_path / "2026-Q2" / "all", "2026-Q2")
    assert folder == tmp_path / "2026-Q1" / "all"
    assert read_published_key_figures(folder)["value"].tolist() == [40.0]
    assert table.loc[0, "previous_value"] == 40.0 and bool(table.loc[0, "beyond_chance"])
    folder, table = since_last_report(now, tmp_path / "2026-Q1" / "all", "2026-Q1")
    assert folder is None
    assert table.loc[0, "note"] == "no earlier report of this scope has been published"
