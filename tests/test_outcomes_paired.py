"""before_after / paired_change against a hand-worked example, scipy and pingouin."""

from pathlib import Path

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from evalkit.errors import StatisticsError
from evalkit.outcomes import ChangeRule, before_after, pair_timepoints, paired_change

FIXTURES = Path(__file__).parent / "fixtures" / "outcomes"


@pytest.fixture
def worked() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "worked_example_scored.csv")


def test_worked_example_by_hand(worked):
    # Pairs c1..c6 (c7 has no exit score). Changes d = 5, 1, 6, -2, 7, 3.
    # mean d = 20 / 6 = 3.3333; deviations 1.667 -2.333 2.667 -5.333 3.667 -0.333,
    # squares sum to 57.3333, so var d = 57.3333 / 5 = 11.4667, sd d = 3.38625,
    # se = 3.38625 / sqrt(6) = 1.38243, t = 3.3333 / 1.38243 = 2.41122 on 5 df.
    # 95 % CI = 3.3333 -/+ 2.570582 * 1.38243 = [-0.22034, 6.88701].
    # Wilcoxon: |d| ranks 1->1, 2->2, 3->3, 5->4, 6->5, 7->6; only -2 is negative so W- = 2.
    # Sign patterns (of 2^6 = 64) with negative-rank sum <= 2: {}, {1}, {2} -> 3;
    # two-sided exact p = 2 * 3 / 64 = 0.09375.
    # d_z = 3.3333 / 3.38625 = 0.98437.
    # Meaningful (>= 3 points up): 5, 6, 7, 3 -> 4 of 6; no change: 1, -2 -> 2 of 6.
    # Reliable (>= 6 points): 6, 7 -> 2 of 6.
    out = before_after(
        worked,
        "wemwbs_total",
        meaningful_change=3,
        reliable_change=6,
        higher_is_better=True,
    ).iloc[0]
    assert (out["n_baseline"], out["n_followup"], out["n_paired"]) == (7, 6, 6)
    assert out["mean_change"] == pytest.approx(20 / 6)
    assert out["change_sd"] == pytest.approx(3.38625, abs=1e-5)
    assert out["t"] == pytest.approx(2.41122, abs=1e-5)
    assert out["dof"] == 5
    assert out["p_ttest"] == pytest.approx(2 * stats.t.sf(2.411224, 5), abs=1e-6)
    assert out["ci_lower"] == pytest.approx(-0.22034, abs=1e-4)
    assert out["ci_upper"] == pytest.approx(6.88701, abs=1e-4)
    assert out["p_wilcoxon"] == pytest.approx(0.09375)
    assert out["d_z"] == pytest.approx(0.98437, abs=1e-5)
    assert out["n_meaningful_improvement"] == 4
    assert out["pct_meaningful_improvement"] == pytest.approx(400 / 6)
    assert out["pct_no_meaningful_change"] == pytest.approx(200 / 6)
    assert out["pct_meaningful_deterioration"] == 0
    assert out["pct_reliable_improvement"] == pytest.approx(200 / 6)
    assert out["pct_reliable_deterioration"] == 0
    assert out["note"] == ""


def test_matches_pingouin_and_scipy_on_same_arrays(worked):
    pairs = pair_timepoints(worked, "wemwbs_total").dropna()
    x, y = pairs["baseline"].to_numpy(), pairs["followup"].to_numpy()
    out = before_after(worked, "wemwbs_total").iloc[0]
    ttest = pg.ttest(y, x, paired=True)
    assert out["t"] == pytest.approx(ttest["T"].iloc[0])
    assert out["p_ttest"] == pytest.approx(ttest["p_val"].iloc[0])
    assert out["p_wilcoxon"] == pytest.approx(pg.wilcoxon(y, x)["p_val"].iloc[0])
    # d_av by its formula (Cumming 2012): mean change / sqrt((sd1^2 + sd2^2) / 2)
    d_av = (y - x).mean() / np.sqrt((x.var(ddof=1) + y.var(ddof=1)) / 2)
    assert out["d_av"] == pytest.approx(d_av)
    # CI for a paired d (pingouin's SE sqrt(1/n + d^2 / 2n), t quantile on n - 1 df)
    se = np.sqrt(1 / 6 + d_av**2 / 12)
    crit = stats.t.ppf(0.975, 5)
    assert out["d_av_ci_lower"] == pytest.approx(d_av - crit * se)
    assert out["d_av_ci_upper"] == pytest.approx(d_av + crit * se)
    assert out["baseline_sd"] == pytest.approx(np.std(x, ddof=1))
    assert out["followup_mean"] == pytest.approx(np.mean(y))


def test_symptom_scores_improve_downwards():
    # PHQ-9: a fall of 6 is a reliable improvement (NHS Talking Therapies: "a reduction of 6 or
    # more points"), a rise of 6 a reliable deterioration, a fall of 5 is neither.
    labels = ChangeRule(None, 6, higher_is_better=False).classify(pd.Series([-6.0, 6.0, -5.0]))
    assert labels["reliable"].tolist() == ["improvement", "deterioration", "no change"]
    assert labels["meaningful"].isna().all()


def test_thresholds_default_to_the_instrument_definition(worked):
    # WEMWBS: meaningful change >= 3 points; RCI 1.96 * sqrt(2) * 8.96 * sqrt(1 - 0.91) = 7.45
    # (reference/measures.md 1.4). Changes 5, 1, 6, -2, 7, 3: 4 meaningful, none reaches 7.45.
    row = before_after(worked, "wemwbs_total").iloc[0]
    assert row["n_meaningful_improvement"] == 4
    assert row["n_reliable_improvement"] == 0
    assert row["note"] == ""
    # PHQ-9: NHS Talking Therapies reliable improvement = a fall of 6 or more; lower is better.
    rule = ChangeRule.for_measure("phq9_total")
    assert (rule.reliable_change, rule.higher_is_better) == (6, False)
    # A score that is not an instrument's has no thresholds: shares are NaN with a reason.
    plain = before_after(worked.rename(columns={"wemwbs_total": "score"}), "score").iloc[0]
    assert np.isnan(plain["pct_meaningful_improvement"])
    assert "no meaningful-change threshold" in plain["note"]


def test_by_group_keeps_every_group(worked):
    out = before_after(worked, "wemwbs_total", by="site")
    assert out["site"].tolist() == ["North", "South"]
    # North: changes 5, 1, 6 -> mean 4; South: -2, 7, 3 -> mean 8 / 3; c7 only in South baseline
    assert out["mean_change"].tolist() == pytest.approx([4, 8 / 3])
    assert out["n_baseline"].tolist() == [3, 4]


def test_group_with_no_pairs_and_missing_group_label(worked):
    frame = worked.copy()
    frame.loc[frame["client_id"] == "c7", "site"] = "East"  # East: baseline only
    frame.loc[frame["client_id"] == "c1", "site"] = np.nan
    frame["site"] = pd.Categorical(frame["site"], categories=["East", "North", "South", "West"])
    out = before_after(frame, "wemwbs_total", by="site")
    assert out["site"].astype(object).fillna("<missing>").tolist() == [
        "East",
        "North",
        "South",
        "West",
        "<missing>",
    ]
    east, west, missing = out.iloc[0], out.iloc[3], out.iloc[4]
    assert (east["n_baseline"], east["n_paired"]) == (1, 0)
    assert np.isnan(east["mean_change"])
    assert "no client has both" in east["note"]
    assert west["n_baseline"] == 0
    assert missing["n_paired"] == 1  # c1 is kept in the missing-site group, not dropped
    assert out["n_paired"].sum() == 6


def test_n_zero_gives_nan_with_reason():
    empty = pd.DataFrame({"client_id": [], "timepoint": [], "wemwbs_total": []})
    out = before_after(empty, "wemwbs_total", meaningful_change=3, higher_is_better=True)
    row = out.iloc[0]
    assert row["n_paired"] == 0
    assert np.isnan(
        row[["mean_change", "t", "p_wilcoxon", "d_z", "pct_meaningful_improvement"]].astype(float)
    ).all()
    assert "no client has both" in row["note"]


def test_n_one_gives_means_but_no_inference():
    one = pd.DataFrame(
        {"client_id": ["a", "a"], "timepoint": ["baseline", "exit"], "wemwbs_total": [40, 44]}
    )
    row = before_after(one, "wemwbs_total", meaningful_change=3, higher_is_better=True).iloc[0]
    assert row["mean_change"] == 4
    assert np.isnan([row["baseline_sd"], row["t"], row["ci_lower"], row["d_z"], row["d_av"]]).all()
    assert row["pct_meaningful_improvement"] == 100
    assert "only 1 client" in row["note"]


def test_all_identical_values():
    same = pd.DataFrame(
        {
            "client_id": np.repeat(["a", "b", "c"], 2),
            "timepoint": ["baseline", "exit"] * 3,
            "wemwbs_total": [40.0] * 6,
        }
    )
    row = before_after(same, "wemwbs_total").iloc[0]
    assert row["mean_change"] == 0
    assert row["baseline_sd"] == 0
    assert np.isnan([row["t"], row["p_ttest"], row["p_wilcoxon"], row["d_z"], row["d_av"]]).all()
    for reason in ("same amount", "no client's score changed", "d_av is undefined"):
        assert reason in row["note"]


def test_constant_change_keeps_wilcoxon_and_d_av():
    # Everyone gains 2: the t statistic is undefined (sd of change 0) but the Wilcoxon test is
    # not: all 5 signs positive, exact two-sided p = 2 / 2^5 = 0.0625.
    out = paired_change([40, 42, 45, 47, 50], [42, 44, 47, 49, 52])
    assert np.isnan(out["t"]) and np.isnan(out["ci_lower"])
    assert out["p_wilcoxon"] == pytest.approx(0.0625)
    assert np.isfinite(out["d_av"])


def test_errors_name_the_problem(worked):
    with pytest.raises(StatisticsError, match="wemwbs_totl"):
        before_after(worked, "wemwbs_totl")
    with pytest.raises(StatisticsError, match="timepoint 'exti' is not a known"):
        before_after(worked, "wemwbs_total", followup="exti")
    with pytest.raises(StatisticsError, match="higher_is_better"):
        before_after(worked.rename(columns={"wemwbs_total": "score"}), "score", reliable_change=3)
    twice = pd.concat([worked, worked.iloc[[0]]])
    with pytest.raises(StatisticsError, match="client 'c1' has 2 rows"):
        before_after(twice, "wemwbs_total")


finite = st.floats(min_value=0, max_value=70, allow_nan=False).map(lambda v: round(v, 1))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(finite, finite), min_size=3, max_size=30))
def test_properties_against_scipy(pairs):
    x = np.array([p[0] for p in pairs])
    y = np.array([p[1] for p in pairs])
    out = paired_change(x, y, ChangeRule(3, 8, True))
    back = paired_change(y, x, ChangeRule(3, 8, True))
    assert out["mean_change"] == pytest.approx(-back["mean_change"])
    shares = out["pct_meaningful_improvement"] + out["pct_no_meaningful_change"]
    assert shares + out["pct_meaningful_deterioration"] == pytest.approx(100)
    assert out["pct_meaningful_improvement"] == pytest.approx(back["pct_meaningful_deterioration"])
    if np.ptp(y - x) > 1e-9:
        ref = stats.ttest_rel(y, x)
        assert out["t"] == pytest.approx(ref.statistic)
        assert out["p_ttest"] == pytest.approx(ref.pvalue)
        assert out["ci_lower"] <= out["mean_change"] <= out["ci_upper"]
        assert out["d_z"] == pytest.approx(-back["d_z"])
    else:
        assert np.isnan(out["t"]) and out["note"]
