"""sensitivity / pool_rubin: hand-worked Rubin's rules, CC and BOCF by hand, MICE behaviour."""

import numpy as np
import pandas as pd
import pytest

from evalkit.errors import StatisticsError
from evalkit.outcomes import pool_rubin, sensitivity


def _scored(baseline, followup, measure="wemwbs_total"):
    ids = [f"c{i:04d}" for i in range(len(baseline))]
    return pd.concat(
        [
            pd.DataFrame({"client_id": ids, "timepoint": "baseline", measure: baseline}),
            pd.DataFrame({"client_id": ids, "timepoint": "exit", measure: followup}),
        ],
        ignore_index=True,
    )


def test_pool_rubin_by_hand():
    # Q = 1, 2, 3; U = 0.5 each; m = 3.  Qbar = 2, W = 0.5, B = 1,
    # T = 0.5 + (1 + 1/3) * 1 = 1.83333, se = sqrt(T) = 1.354006,
    # lambda = 1.33333 / 1.83333 = 0.727273, nu_old = (m - 1) / lambda^2 = 2 / 0.528926 = 3.78125
    pooled = pool_rubin([1.0, 2.0, 3.0], [0.5, 0.5, 0.5]).iloc[0]
    assert pooled["estimate"] == 2
    assert pooled["se"] == pytest.approx(1.354006, abs=1e-6)
    assert pooled["fmi"] == pytest.approx(0.727273, abs=1e-6)
    assert pooled["dof"] == pytest.approx(3.78125)
    # Barnard-Rubin with nu_com = 9: nu_obs = (10 / 12) * 9 * (1 - 0.727273) = 2.045455,
    # nu = 1 / (1 / 3.78125 + 1 / 2.045455) = 1.327401
    small = pool_rubin([1.0, 2.0, 3.0], [0.5, 0.5, 0.5], complete_data_dof=9).iloc[0]
    assert small["dof"] == pytest.approx(1.327401, abs=1e-6)
    with pytest.raises(StatisticsError, match="at least 2 estimates"):
        pool_rubin([1.0], [0.5])


def test_complete_case_and_bocf_by_hand():
    # changes 6, 4, 2 observed; the fourth client has no follow-up.
    scored = _scored([40.0, 38.0, 45.0, 41.0], [46.0, 42.0, 47.0, np.nan])
    out = sensitivity(scored, "wemwbs_total").set_index("method")
    cc, bocf = out.loc["complete_case"], out.loc["baseline_carried_forward"]
    # CC: mean 4, sd 2, se 2 / sqrt(3) = 1.154701, t(0.975, 2) = 4.302653
    assert (cc["n"], cc["estimate"]) == (3, 4)
    assert cc["ci_lower"] == pytest.approx(4 - 4.302653 * 1.154701, abs=1e-5)
    # BOCF: changes 6, 4, 2, 0 -> mean 3, sd 2.581989, se 1.290994, t(0.975, 3) = 3.182446
    assert (bocf["n"], bocf["n_filled"], bocf["estimate"]) == (4, 1, 3)
    assert bocf["ci_upper"] == pytest.approx(3 + 3.182446 * 1.290994, abs=1e-5)


@pytest.fixture(scope="module")
def mar_data():
    # Change depends on age and older clients are more often lost: complete cases over-represent
    # the young, so the complete-case mean is biased; MI using age should correct it.
    rng = np.random.default_rng(7)
    n = 1500
    age = rng.integers(18, 80, n).astype(float)
    baseline = rng.normal(42, 8, n)
    followup = baseline + 1 + 0.1 * (age - 18) + rng.normal(0, 3, n)
    truth = float(np.mean(followup - baseline))
    lost = rng.random(n) < 1 / (1 + np.exp(-(age - 50) / 8))
    followup[lost] = np.nan
    scored = _scored(baseline, followup)
    ids = scored["client_id"].iloc[:n].to_numpy()
    participants = pd.DataFrame(
        {"client_id": ids, "age": age, "sex": rng.choice(["female", "male", None], n)}
    )
    return scored, participants, truth


def test_mice_recovers_mar_truth_and_is_reproducible(mar_data):
    scored, participants, truth = mar_data
    kwargs = {"participants": participants, "covariates": ["age", "sex"], "seed": 11}
    out = sensitivity(scored, "wemwbs_total", **kwargs).set_index("method")
    cc, mi = out.loc["complete_case"], out.loc["multiple_imputation"]
    assert abs(cc["estimate"] - truth) > 0.5  # the complete-case bias is real
    assert mi["ci_lower"] < truth < mi["ci_upper"]
    assert abs(mi["estimate"] - truth) < abs(cc["estimate"] - truth) / 4
    assert 0 < mi["fmi"] < 1 and "20 imputations" in mi["note"]
    again = sensitivity(scored, "wemwbs_total", **kwargs)
    pd.testing.assert_frame_equal(out.reset_index(), again)
    other = sensitivity(scored, "wemwbs_total", **{**kwargs, "seed": 12})
    assert other.loc[2, "estimate"] != mi["estimate"]


def test_edge_cases_give_reasons():
    empty = pd.DataFrame({"client_id": [], "timepoint": [], "wemwbs_total": []})
    out = sensitivity(empty, "wemwbs_total")
    assert out["n"].tolist() == [0, 0, 0]
    assert out["estimate"].isna().all()
    assert out["note"].str.contains("no client has a baseline").all()

    nobody = _scored([40.0, 41.0], [np.nan, np.nan])
    out = sensitivity(nobody, "wemwbs_total")
    assert np.isnan(out.loc[0, "estimate"]) and "nobody has a exit" in out.loc[2, "note"]
    assert out.loc[1, "estimate"] == 0  # BOCF: everyone carried forward, change 0 by assumption

    everyone = _scored([40.0, 41.0, 39.0], [44.0, 43.0, 40.0])
    out = sensitivity(everyone, "wemwbs_total")
    assert out.loc[2, "estimate"] == out.loc[0, "estimate"] == pytest.approx(7 / 3)
    assert "nothing to impute" in out.loc[2, "note"]

    flat = _scored([40.0] * 6, [40.0] * 5 + [np.nan])
    out = sensitivity(flat, "wemwbs_total")
    assert out.loc[0, "estimate"] == 0 and np.isnan(out.loc[0, "ci_lower"])
    assert "same amount" in out.loc[0, "note"]
    assert "do not vary" in out.loc[2, "note"]

    one = _scored([40.0, 41.0], [44.0, np.nan])
    out = sensitivity(one, "wemwbs_total")
    assert out.loc[0, "estimate"] == 4 and "fewer than 2" in out.loc[0, "note"]
    assert "too few" in out.loc[2, "note"]


def test_errors():
    scored = _scored([40.0, 41.0], [44.0, np.nan])
    with pytest.raises(StatisticsError, match="at least 20 imputations"):
        sensitivity(scored, "wemwbs_total", n_imputations=5)
    with pytest.raises(StatisticsError, match="no participants table"):
        sensitivity(scored, "wemwbs_total", covariates=["age"])


def test_numeric_covariates_only_and_a_covariate_constant_among_completers():
    import warnings

    from evalkit.outcomes import sensitivity

    rng = np.random.default_rng(5)
    n = 60
    ids = [f"c{i}" for i in range(n)]
    base = rng.normal(40, 8, n)
    follow = base + 3 + rng.normal(0, 4, n)
    follow[::3] = np.nan  # a third lost to follow-up
    scored = pd.DataFrame(
        {
            "client_id": ids * 2,
            "timepoint": ["baseline"] * n + ["exit"] * n,
            "wemwbs_total": np.concatenate([base, follow]),
        }
    ).dropna()
    # 'flag' is 1 only among clients lost to follow-up: constant (0) among completers
    participants = pd.DataFrame(
        {
            "client_id": ids,
            "age": rng.integers(18, 80, n),
            "flag": [1.0 if i % 3 == 0 else 0.0 for i in range(n)],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = sensitivity(
            scored,
            "wemwbs_total",
            participants=participants,
            covariates=["age", "flag"],
            n_imputations=20,
            seed=1,
        )
    mice = out.set_index("method").iloc[-1]
    assert np.isfinite(mice["estimate"])
