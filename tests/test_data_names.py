"""A provider or site name in the data that the config does not list is an error naming the
nearest configured name, and its rows are set aside (not a second provider in the report)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from evalkit.config import load_config
from evalkit.data.validate import validate_directory
from evalkit.demo import write_demo


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("names") / "demo", episodes=200, seed=3)


def test_the_demo_names_agree_with_its_config(small_demo):
    result = validate_directory(small_demo.parent, load_config(small_demo))
    assert not result.issues["rule"].str.contains("not in evaluation.yml").any()


def test_unconfigured_names_are_errors_with_the_nearest_configured_name(small_demo, tmp_path):
    folder = tmp_path / "demo"
    shutil.copytree(small_demo.parent, folder)
    path = folder / "extracts" / "nhs_trust_participants.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    north = frame.index[frame["site"] == "North"][:3]
    frame.loc[north, "site"] = "north"
    others = frame.index[frame["site"] != "North"]
    frame.loc[others[0], "provider"] = "Northgate NHS Trust"
    frame.loc[others[1], "site"] = "Nowhere Town"
    frame.to_csv(path, index=False)
    result = validate_directory(folder, load_config(folder / "evaluation.yml"))
    issues = result.issues[result.issues["rule"].str.endswith("not in evaluation.yml")]
    hints = dict(zip(issues["value"], issues["hint"], strict=True))
    assert set(issues["severity"]) == {"error"}
    assert hints["north"].endswith("did you mean 'North'?")
    assert hints["Northgate NHS Trust"].endswith("did you mean 'Northgate NHS Foundation Trust'?")
    assert "the configured sites: North, South, East, West" in hints["Nowhere Town"]
    quarantined = result.quarantine["participants"]
    assert {"north", "Nowhere Town"} <= set(quarantined["site"])
    rows = int((quarantined["site"] == "north").sum())
    assert (
        rows >= 2
        and f"'north' is not a site in evaluation.yml (on {rows} rows)" in (hints["north"])
    )
    assert "Northgate NHS Trust" in set(quarantined["provider"])
    clean = result.tables["participants"]
    assert set(clean["site"]) <= {"North", "South", "East", "West"}
