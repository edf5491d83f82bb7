"""Data-quality figures against hand-counted examples."""

from __future__ import annotations

import pandas as pd

from evalkit.pages.data_quality import (
    completeness,
    data_vintage,
    issues_by_rule,
    reconciliation_by_provider,
)

PROVIDERS = [{"name": "Northgate NHS FT", "slug": "nhs"}, {"name": "Together CIC", "slug": "vcs"}]


def test_completeness_counts_filled_cells_per_schema_column():
    frame = pd.DataFrame({"client_id": ["A", "B", "C", "D"], "age": [40, None, 50, None]})
    out = completeness(frame, "participants").set_index("column")
    assert out.loc["client_id", "pct_complete"] == 100
    assert out.loc["age", "filled"] == 2 and out.loc["age", "pct_complete"] == 50
    # a schema column the frame lacks counts as empty, not as an error
    assert out.loc["quit_date", "filled"] == 0
    assert bool(out.loc["client_id", "required"]) and not bool(out.loc["age", "required"])


def test_completeness_of_an_empty_table_is_nan_not_zero():
    out = completeness(pd.DataFrame({"client_id": []}), "participants")
    assert out["pct_complete"].isna().all()


def test_reconciliation_by_provider_adds_up():
    recon = pd.DataFrame(
        {
            "table": ["participants", "measures", "measures", "sources"],
            "file": [
                "extracts/nhs_participants.csv",
                "extracts/nhs_measures.csv",
                "extracts/vcs_wellbeing.xlsx",
                "qual/sources.csv",
            ],
            "unit": ["rows", "rows", "values", "rows"],
            "read": [10, 100, 50, 4],
            "kept": [9, 97, 50, 4],
            "quarantined": [1, 3, 0, 0],
        }
    )
    out = reconciliation_by_provider(recon, PROVIDERS)
    nhs = out[out["provider"] == "Northgate NHS FT"].set_index("table")
    assert nhs.loc["participants", "pct_kept"] == 90.0
    assert (out["read"] == out["kept"] + out["quarantined"]).all()
    assert set(out["provider"]) == {"Northgate NHS FT", "Together CIC", "Qualitative data"}


def test_issues_by_rule_counts_without_values():
    issues = pd.DataFrame(
        {
            "severity": ["error", "error", "warning"],
            "file": ["extracts/nhs_measures.csv"] * 2 + ["extracts/vcs_participants.csv"],
            "row": [2, 3, 1],
            "table": ["measures", "measures", "participants"],
            "column": ["value", "value", "x"],
            "value": ["9", "8", "x"],
            "rule": ["out of range", "out of range", "unknown column"],
            "hint": ["", "", ""],
        }
    )
    out = issues_by_rule(issues, PROVIDERS)
    assert out.iloc[0][["provider", "rule", "issues"]].tolist() == [
        "Northgate NHS FT",
        "out of range",
        2,
    ]
    assert "value" not in out.columns


def test_data_vintage_per_provider():
    participants = pd.DataFrame(
        {
            "client_id": ["a", "b", "c"],
            "provider": ["P", "P", "Q"],
            "referral_date": pd.to_datetime(["2026-01-01", "2026-03-01", "2026-02-01"]),
        }
    )
    measures = pd.DataFrame(
        {
            "client_id": ["a", "c", "c"],
            "date": pd.to_datetime(["2026-04-01", "2026-02-05", "2026-05-05"]),
        }
    )
    out = data_vintage(participants, measures).set_index("provider")
    assert out.loc["P", "episodes"] == 2
    assert out.loc["P", "latest_referral"] == pd.Timestamp("2026-03-01")
    assert out.loc["Q", "latest_measure"] == pd.Timestamp("2026-05-05")
