"""attrition: Wilson rates against PHEindicatormethods reference values, SMDs by hand."""

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import StatisticsError
from evalkit.outcomes import attrition, standardised_mean_difference


def _scored(baseline: dict[str, float], followup: dict[str, float]) -> pd.DataFrame:
    rows = [(c, "baseline", v) for c, v in baseline.items()]
    rows += [(c, "exit", v) for c, v in followup.items()]
    return pd.DataFrame(rows, columns=["client_id", "timepoint", "wemwbs_total"])


@pytest.fixture
def small():
    participants = pd.DataFrame(
        {
            "client_id": ["a", "b", "c", "d", "e"],
            "sex": ["female", "female", "male", "female", None],
            "age": [30, 40, 50, 60, 70],
        }
    )
    # a, b, c followed up (baseline 40, 42, 44); d, e lost (baseline 36, 38)
    scored = _scored(
        {"a": 40, "b": 42, "c": 44, "d": 36, "e": 38}, {"a": 45, "b": 44, "c": 50, "z": 50}
    )
    participants = pd.concat(
        [participants, pd.DataFrame({"client_id": ["z"], "sex": ["male"], "age": [20]})]
    )
    return participants, scored


def test_rates_by_group_use_wilson():
    # provider P: 65 of 100 followed up, provider Q: 20 of 100 (PHE reference rows)
    ids = [f"c{i:03d}" for i in range(200)]
    participants = pd.DataFrame({"client_id": ids, "provider": ["P"] * 100 + ["Q"] * 100})
    followed = ids[:65] + ids[100:120]
    scored = _scored(dict.fromkeys(ids, 40.0), dict.fromkeys(followed, 44.0))
    out = attrition(participants, scored, "wemwbs_total", characteristics=["provider"])
    p = out.loc[out["level"] == "P"].iloc[0]
    q = out.loc[out["level"] == "Q"].iloc[0]
    assert (p["n_baseline"], p["n_followed_up"]) == (100, 65)
    assert (p["ci_lower"], p["ci_upper"]) == pytest.approx((0.5525444329688797, 0.7363575175690247))
    assert (q["ci_lower"], q["ci_upper"]) == pytest.approx((0.1333669333310325, 0.2888291655931589))
    overall = out.iloc[0]
    assert (overall["n_baseline"], overall["n_followed_up"]) == (200, 85)
    # share of completers from P: 65 / 85; share of lost from P: 35 / 115
    assert p["completers_value"] == pytest.approx(65 / 85)
    assert p["lost_value"] == pytest.approx(35 / 115)


def test_smd_by_hand(small):
    participants, scored = small
    out = attrition(participants, scored, "wemwbs_total", characteristics=["sex"])
    by = out.set_index(["characteristic", "level"])
    score = by.loc[("wemwbs_total at baseline", "mean")]
    # completers 40, 42, 44 (mean 42, var 4); lost 36, 38 (mean 37, var 2)
    # SMD = (42 - 37) / sqrt((4 + 2) / 2) = 5 / sqrt(3) = 2.886751
    assert score["smd"] == pytest.approx(2.886751, abs=1e-6)
    assert (score["completers_value"], score["lost_value"]) == (42, 37)
    female = by.loc[("sex", "female")]
    # completers female 2/3, lost female 1/2:
    # (0.6667 - 0.5) / sqrt((0.6667 * 0.3333 + 0.25) / 2) = 0.16667 / 0.48591 = 0.342997
    assert female["smd"] == pytest.approx(0.342997, abs=1e-6)
    assert (female["n_baseline"], female["n_followed_up"]) == (3, 2)
    missing = by.loc[("sex", "missing")]  # e has no sex recorded: kept, not dropped
    assert (missing["n_baseline"], missing["n_followed_up"]) == (1, 0)
    age = by.loc[("age", "mean")]
    assert (age["completers_value"], age["lost_value"]) == (40, 65)
    assert "1 client(s) with a exit score but no baseline" in out.iloc[0]["note"]
    assert out.loc[out["characteristic"] == "sex", "n_baseline"].sum() == 5


def test_smd_matches_formula_on_random_data():
    rng = np.random.default_rng(1)
    a, b = pd.Series(rng.normal(50, 8, 40)), pd.Series(rng.normal(47, 9, 60))
    expected = (a.mean() - b.mean()) / np.sqrt((np.var(a, ddof=1) + np.var(b, ddof=1)) / 2)
    assert standardised_mean_difference(a, b) == pytest.approx(expected)


def test_nobody_followed_up_and_nobody_lost(small):
    participants, _ = small
    nobody = _scored({"a": 40, "b": 41}, {})
    out = attrition(participants, nobody, "wemwbs_total", characteristics=["sex"])
    assert out.iloc[0]["followup_rate"] == 0
    assert np.isnan(out.iloc[1]["smd"]) and "nobody was followed up" in out.iloc[1]["note"]
    everyone = _scored({"a": 40, "b": 41}, {"a": 44, "b": 45})
    out = attrition(participants, everyone, "wemwbs_total", characteristics=["sex"])
    assert out.iloc[0]["followup_rate"] == 1
    assert "nobody was lost" in out.iloc[1]["note"]


def test_empty_cohort_and_unrecorded_variable(small):
    participants, _ = small
    empty = pd.DataFrame({"client_id": [], "timepoint": [], "wemwbs_total": []})
    out = attrition(participants.assign(age=np.nan), empty, "wemwbs_total", characteristics=[])
    assert out.iloc[0]["n_baseline"] == 0 and np.isnan(out.iloc[0]["followup_rate"])
    assert "no client has" in out.iloc[0]["note"]
    assert "not recorded" in out.iloc[2]["note"]


def test_errors(small):
    participants, scored = small
    with pytest.raises(StatisticsError, match="ethnicity"):
        attrition(participants, scored, "wemwbs_total", characteristics=["ethnicity"])
    with pytest.raises(StatisticsError, match="'a' appears more than once"):
        attrition(
            pd.concat([participants, participants.iloc[[0]]]),
            scored,
            "wemwbs_total",
            characteristics=[],
        )
    with pytest.raises(StatisticsError, match="not in participants"):
        attrition(participants.iloc[1:], scored, "wemwbs_total", characteristics=[])


def test_one_client_and_identical_scores(small):
    participants, _ = small
    one = attrition(
        participants, _scored({"a": 40}, {"a": 45}), "wemwbs_total", characteristics=["sex"]
    )
    assert (one.iloc[0]["n_baseline"], one.iloc[0]["followup_rate"]) == (1, 1.0)
    assert "nobody was lost" in one.iloc[1]["note"]
    # everyone starts at 40: the baseline comparison has no spread to standardise by
    same = _scored({"a": 40, "b": 40, "c": 40, "d": 40}, {"a": 44, "b": 41})
    out = attrition(participants, same, "wemwbs_total", characteristics=["sex"])
    score = out.iloc[1]
    assert (score["completers_value"], score["lost_value"]) == (40, 40)
    assert np.isnan(score["smd"]) and "no variation" in score["note"]
