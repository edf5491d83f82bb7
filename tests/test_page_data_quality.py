"""Page 00 (data quality): records counted once, counts of people rounded like every other page,
follow-up shares withheld when the people followed up or lost are few, and the methods text
(rows quarantined, referrals out of scope, the small-number rule).

Hand-made evaluations: only what each section reads.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from evalkit.config import DisclosurePolicy
from evalkit.pages import data_quality as page
from evalkit.present import keyfigures

POLICY = DisclosurePolicy(threshold=8, round_to=5)
PROVIDERS = [{"name": "Voluntary sector", "slug": "v"}, {"name": "Trust", "slug": "t"}]
#: A wide wellbeing workbook (582 rows melted into 10,431 values), a long measures file and a
#: participants file: 582 + 1,643 + 500 = 2,725 records received, 2 + 5 + 3 = 10 set aside.
RECONCILIATION = pd.DataFrame(
    {
        "table": ["wellbeing", "measures", "measures", "participants"],
        "file": [
            "extracts/v_wellbeing.xlsx",
            "extracts/v_wellbeing.xlsx",
            "extracts/t_measures.csv",
            "extracts/t_participants.csv",
        ],
        "unit": ["rows", "values", "rows", "rows"],
        "read": [582, 10431, 1643, 500],
        "kept": [580, 10400, 1638, 497],
        "quarantined": [2, 31, 5, 3],
        "note": ["melted into 10431 measure values", "", "", ""],
    }
)


@pytest.fixture
def figures(monkeypatch, tmp_path):
    monkeypatch.setattr(keyfigures, "_output_dir_of_running_notebook", lambda: tmp_path)
    return lambda: keyfigures.read_key_figures(tmp_path).set_index("key")


def evaluation(**overrides) -> SimpleNamespace:
    config = SimpleNamespace(disclosure=POLICY, providers=PROVIDERS, periods=["2025-Q3", "2025-Q4"])
    values = {
        "config": config,
        "reconciliation": RECONCILIATION,
        "out_of_scope": 12,
        "episodes": pd.DataFrame({"client_id": range(1233)}),
        "scope": "whole service, referrals up to and including 2025-Q4",
    }
    return SimpleNamespace(**(values | overrides))


def follow_table(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """An attrition table: (characteristic, level, with a start score, also an end score)."""
    out = pd.DataFrame(rows, columns=["characteristic", "level", "n_baseline", "n_followed_up"])
    out["followup_rate"] = out["n_followed_up"] / out["n_baseline"]
    out["ci_lower"] = out["followup_rate"] - 0.05
    out["ci_upper"] = out["followup_rate"] + 0.05
    out["summary"] = "proportion"
    out["smd"] = [None] + [0.05 * (i + 1) for i in range(len(rows) - 1)]
    return out


def test_records_received_count_a_wide_workbook_once(figures):
    text = page.records_accounted_for(evaluation()).text()
    # 582 workbook rows, not also its 10,431 melted values.
    assert "Of **2,725** records received, **2,715 (99.6%)** passed validation" in text
    assert "**10** were set aside" in text
    kept = figures().loc["records_kept_pct"]
    assert kept["value"] == pytest.approx(100 * 2715 / 2725) and kept["decimals"] == 1


def test_scope_states_quarantined_rows_out_of_scope_referrals_and_the_rule():
    text = page.scope(evaluation()).text()
    assert "**Episodes in scope:** 1,235." in text  # 1,233 rounded to the nearest 5
    # 12 referrals before 2025-Q3, rounded like every count of people.
    assert "**10** referrals before the first reporting period (Jul to Sep 2025)" in text
    assert "**10** rows of the providers' files failed validation and were quarantined" in text
    assert "counts below 8 (1 to 7 people) are not shown" in text
    assert "NHS Digital's floor of 5" in text
    few = page.scope(evaluation(out_of_scope=3)).text()
    assert "**fewer than 8** referrals before the first reporting period" in few


def test_follow_up_of_3_in_11_is_not_stated_as_a_share(figures):
    # 27% of 11 would tell that 3 people were followed up (and 8 were not).
    follow = follow_table(
        [("overall", "all", 11, 3), ("provider", "Trust", 11, 3)]
    )  # fmt: skip
    text = page.follow_up(evaluation(), follow).text()
    assert "27%" not in text and "of 11" not in text
    assert "is not shown: the people with or without an end score are too few" in text
    assert figures().loc["wemwbs_followup_rate", "value"] is None


def test_follow_up_rounds_counts_and_withholds_a_share_whose_lost_are_few(figures):
    follow = follow_table(
        [
            ("overall", "all", 1466, 761),
            ("provider", "Trust", 1455, 755),
            ("provider", "Voluntary sector", 11, 6),  # 6 followed up, 5 lost
        ]
    )
    text = page.follow_up(evaluation(), follow).text()
    # 761/1466 = 51.9%: a whole percent, of the rounded 1,465.
    assert "**52%** of the 1,465 people with a starting WEMWBS score" in text
    assert '<td class="number count">1,465</td><td class="number count">760</td>' in text
    voluntary = text.split("Voluntary sector")[1].split("</tr>")[0]
    # 11 with a start score (shown as 10); the 6 followed up and the three shares hidden.
    assert voluntary.startswith('</th><td class="number count">10</td>')
    assert voluntary.count('<td class="suppressed">*</td>') == 4
    # The Trust's 755 is hidden too, or 760 - 755 would give the 6 away.
    trust = text.split('<th scope="row">Trust')[1].split("</tr>")[0]
    assert trust.count('<td class="suppressed">*</td>') == 4
    assert "1,466" not in text and "761" not in text
    recorded = figures().loc["wemwbs_followup_rate"]
    assert recorded["value"] == pytest.approx(100 * 761 / 1466)  # stored unrounded


def test_the_largest_imbalance_is_never_a_group_the_table_hides():
    follow = follow_table(
        [
            ("overall", "all", 200, 100),
            ("sex", "Female", 120, 60),
            ("sex", "Male", 75, 37),
            ("sex", "Other", 5, 3),  # hidden in the table: its difference is not stated
        ]
    )
    follow["smd"] = [None, 0.05, -0.10, 0.40]
    text = page.lost_versus_followed_up(evaluation(), follow).text()
    # Other's counts are hidden, and so are Male's (the next smallest, so the column totals
    # cannot give Other's away): both rows' differences are hidden; the sentence names Female.
    assert "The largest imbalance is in **Sex: Female** (standardised difference +0.05)" in text
    rows = {group: text.split(group)[1].split("</tr>")[0] for group in ("Sex: Other", "Sex: Male")}
    # Other: every cell (its 5 with a start score is small too). Male: its 75 with a start
    # score is hidden beside Other's 5, and its 37 followed up beside Other's 3.
    assert rows["Sex: Other"].count('<td class="suppressed">*</td>') == 4
    assert rows["Sex: Male"].count('<td class="suppressed">*</td>') == 4
    assert "+0.40" not in text and "-0.10" not in text


def test_the_summary_limitations_say_what_the_report_leaves_out():
    from evalkit.pages import summary

    figures = pd.DataFrame(columns=keyfigures.KEY_FIGURE_COLUMNS)
    bullets = summary.limitations_section(evaluation(), figures).text().splitlines()
    assert bullets[0] == (
        "- **10** referrals before the first reporting period (Jul to Sep 2025) are out of "
        "scope and left out of every figure. **10** rows of the providers' files failed "
        "validation and were quarantined (set aside for the provider to correct; not in any "
        "figure)."
    )
    assert "NHS Digital's floor of 5" in bullets[-1]
