"""load_evaluation: cumulative periods, site filter, validation cache."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.data.episodes import derive_columns
from evalkit.data.evaluation import load_evaluation
from evalkit.data.periods import period_of
from evalkit.demo import write_demo
from evalkit.errors import ConfigError


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return write_demo(tmp_path_factory.mktemp("ev") / "demo", episodes=400, seed=11)


def test_period_of_is_the_calendar_quarter():
    dates = pd.Series(pd.to_datetime(["2025-12-31", "2026-01-01", "2026-06-30", None]))
    assert period_of(dates).tolist() == ["2025-Q4", "2026-Q1", "2026-Q2", None]


def test_derive_columns_quintile_and_age_band_edges():
    p = pd.DataFrame(
        {
            "referral_date": pd.to_datetime(["2026-01-01"] * 5),
            "imd_decile": [1, 2, 3, 10, None],
            "age": [16, 24, 25, 74, 75],
            "age_band": [None, None, None, None, "65-74"],
        }
    )
    out = derive_columns(p)
    assert out["imd_quintile"].tolist() == [1, 1, 2, 5, pd.NA]
    # a given age_band wins over age; otherwise bands are [16,25), [25,35) ... [75, inf)
    assert out["age_band"].tolist() == ["16-24", "16-24", "25-34", "65-74", "65-74"]


def test_latest_period_is_cumulative(demo):
    ev = load_evaluation(demo)
    assert ev.period == ev.config.periods[-1]
    assert len(ev.episodes) == len(ev.participants) == 400
    first = load_evaluation(demo, period=ev.config.periods[0])
    assert set(first.participants["period"]) == {ev.config.periods[0]}
    assert 0 < len(first.episodes) < len(ev.episodes)
    assert set(first.measures["client_id"]) <= set(first.participants["client_id"])


def test_site_filter_and_unknown_site(demo):
    ev = load_evaluation(demo, site="North")
    assert set(ev.participants["site"]) == {"North"}
    assert set(ev.episodes["site"]) == {"North"}
    assert "North site" in ev.scope
    with pytest.raises(ConfigError, match="Atlantis"):
        load_evaluation(demo, site="Atlantis")


def test_unknown_period_is_a_config_error(demo):
    with pytest.raises(ConfigError, match="1999-Q1"):
        load_evaluation(demo, period="1999-Q1")


def test_validation_is_cached_and_invalidated_by_an_input_change(demo):
    load_evaluation(demo)
    stamp = demo.parent / "validated" / "cache_key.txt"
    key = stamp.read_text()
    mtime = stamp.stat().st_mtime_ns
    load_evaluation(demo)
    assert stamp.stat().st_mtime_ns == mtime  # reused, not rebuilt
    extract = sorted((demo.parent / "extracts").glob("*_participants.csv"))[0]
    original = extract.read_text()
    lines = original.splitlines()
    extract.write_text("\n".join(lines[:-1]) + "\n")  # drop the last episode
    try:
        ev = load_evaluation(demo)
        assert stamp.read_text() != key
        assert len(ev.participants) == 399
    finally:  # the module's other tests read the demo as written (its measures need it)
        extract.write_text(original)


def test_cli_validate_then_load_rebuilds_the_derived_tables(demo):
    from typer.testing import CliRunner

    from evalkit.cli import app

    load_evaluation(demo)
    result = CliRunner().invoke(app, ["validate", str(demo.parent)])
    assert result.exit_code == 0, result.output
    ev = load_evaluation(demo)  # must not read the CLI's plain tables as the cached ones
    assert "period" in ev.participants.columns and "imd_quintile" in ev.episodes.columns
