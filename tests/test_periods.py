"""Reporting periods: one rule for "latest", used by load_evaluation and evalkit report."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.data.periods import period_of, resolve_period
from evalkit.errors import ConfigError


def test_period_of_is_the_calendar_quarter_at_the_edges():
    dates = pd.Series(pd.to_datetime(["2025-12-31", "2026-01-01", "2026-03-31", "2026-04-01"]))
    assert period_of(dates).tolist() == ["2025-Q4", "2026-Q1", "2026-Q1", "2026-Q2"]


def test_latest_is_the_last_configured_period_with_data():
    configured = ["2026-Q1", "2026-Q2", "2026-Q3"]
    assert resolve_period(configured, "latest", {"2025-Q4", "2026-Q1", "2026-Q2"}) == "2026-Q2"
    assert resolve_period(configured, "2026-Q3", set()) == "2026-Q3"
    # with no periods configured, the last period in the data
    assert resolve_period([], "latest", {"2025-Q4", "2026-Q1"}) == "2026-Q1"
    assert resolve_period([], "2019-Q1", set()) == "2019-Q1"


def test_a_period_outside_the_config_or_without_data_is_refused():
    configured = ["2026-Q1", "2026-Q2"]
    with pytest.raises(ConfigError, match="period '2027-Q1' is not configured in e.yml"):
        resolve_period(configured, "2027-Q1", set(), config_path="e.yml")
    # data only before the configured periods: no configured period has referrals
    with pytest.raises(ConfigError, match=r"none of the periods \(2026-Q1, 2026-Q2\) has"):
        resolve_period(configured, "latest", {"2025-Q4"})
    with pytest.raises(ConfigError, match="periods found: none"):
        resolve_period([], "latest", set())
