"""contrast: the realist link, checked by hand (HC3 two-group formula) and against statsmodels."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from evalkit.errors import ExpressionError, StatisticsError
from evalkit.outcomes import CONTRAST_COLUMNS, contrast


def test_continuous_difference_by_hand():
    # in: 6, 5, 7 (mean 6, s^2 = 1); out: 2, 3, 1 (mean 2, s^2 = 1); difference 4.
    # With one 0/1 regressor each leverage is 1/n_g, so the HC3 variance of the slope is
    # sum_g (1/n_g^2) * RSS_g / (1 - 1/n_g)^2 = sum_g s_g^2 / (n_g - 1) = 1/2 + 1/2 = 1,
    # SE 1; t(0.975, 4) = 2.776445.
    episodes = pd.DataFrame(
        {"imd_quintile": [1, 1, 1, 2, 2, 2], "wemwbs_change": [6.0, 5.0, 7.0, 2.0, 3.0, 1.0]}
    )
    row = contrast(episodes, "wemwbs_change", "imd_quintile == 1", min_n=3).iloc[0]
    assert list(row.index) == list(CONTRAST_COLUMNS)
    assert (row["n_in"], row["n_out"], row["mean_in"], row["mean_out"]) == (3, 3, 6, 2)
    assert row["difference"] == 4
    assert row["ci_lower"] == pytest.approx(4 - 2.776445, abs=1e-6)
    assert row["ci_upper"] == pytest.approx(4 + 2.776445, abs=1e-6)
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(4.0, 4))
    # no baseline or covariates: the adjusted model is the raw model
    assert row["interaction_p"] == pytest.approx(row["p_value"])
    assert row["note"] == ""


def test_binary_outcome_is_a_difference_in_proportions():
    # 30 / 50 quit face to face, 20 / 50 elsewhere: difference 0.2. The HC3 variance is
    # sum_g s_g^2 / (n_g - 1) with s_g^2 = p(1 - p) n / (n - 1) = 0.24 * 50 / 49, so
    # SE = sqrt(2 * 0.24 * 50 / 49^2) = 0.0999792; t(0.975, 98) = 1.984467.
    episodes = pd.DataFrame(
        {
            "delivery_mode": ["face_to_face"] * 50 + ["telephone"] * 50,
            "quit_4wk_co": [True] * 30 + [False] * 20 + [True] * 20 + [False] * 30,
        }
    )
    row = contrast(episodes, "quit_4wk_co", "delivery_mode == 'face_to_face'").iloc[0]
    assert (row["mean_in"], row["mean_out"]) == (0.6, 0.4)
    assert row["difference"] == pytest.approx(0.2)
    assert row["ci_lower"] == pytest.approx(0.2 - 1.984467 * 0.0999792, abs=1e-6)
    assert "linear probability model" in row["method"]


def test_adjusted_interaction_matches_statsmodels():
    rng = np.random.default_rng(4)
    n = 300
    episodes = pd.DataFrame(
        {
            "peer": rng.random(n) < 0.3,
            "wemwbs_baseline": rng.normal(42, 8, n),
            "sex": rng.choice(["female", "male", "other"], n, p=[0.5, 0.45, 0.05]),
            "age": rng.integers(18, 85, n).astype(float),
        }
    )
    episodes["wemwbs_change"] = (
        3 + 2 * episodes["peer"] - 0.3 * (episodes["wemwbs_baseline"] - 42) + rng.normal(0, 5, n)
    )
    episodes.loc[:4, "age"] = np.nan  # five episodes cannot enter the adjusted model
    row = contrast(
        episodes,
        "wemwbs_change",
        episodes["peer"],
        baseline="wemwbs_baseline",
        covariates=["sex", "age"],
    ).iloc[0]
    reference = smf.ols(
        "wemwbs_change ~ peer_flag + wemwbs_baseline + C(sex, Treatment('female')) + age",
        data=episodes.assign(peer_flag=episodes["peer"].astype(float)),
    ).fit(cov_type="HC3", use_t=True)
    assert row["adjusted_difference"] == pytest.approx(reference.params["peer_flag"])
    assert row["interaction_p"] == pytest.approx(reference.pvalues["peer_flag"])
    assert row["adjusted_ci_upper"] == pytest.approx(reference.conf_int().loc["peer_flag", 1])
    assert "5 episode(s) with a missing adjuster" in row["note"]
    assert row["n_in"] + row["n_out"] == n  # the raw comparison keeps them


def test_too_few_missing_and_constant_give_reasons():
    episodes = pd.DataFrame(
        {"site": ["North"] * 10 + ["South"] * 40, "wemwbs_change": np.arange(50.0)}
    )
    row = contrast(episodes, "wemwbs_change", "site == 'North'").iloc[0]
    assert (row["n_in"], row["n_out"]) == (10, 40)
    assert np.isnan(row[["mean_in", "difference", "p_value", "interaction_p"]].astype(float)).all()
    assert "too few: n_in = 10" in row["note"]

    everyone = contrast(episodes, "wemwbs_change", "site != 'East'", min_n=5).iloc[0]
    assert everyone["n_out"] == 0 and "too few" in everyone["note"]

    missing = contrast(episodes.assign(wemwbs_change=np.nan), "wemwbs_change", "site == 'North'")
    assert "missing for every episode" in missing.iloc[0]["note"]

    flat = contrast(episodes.assign(wemwbs_change=2.0), "wemwbs_change", "site == 'North'", min_n=5)
    assert "does not vary" in flat.iloc[0]["note"]
    assert np.isnan(flat.iloc[0]["difference"])

    unknown = pd.Series([True] * 35 + [pd.NA] * 5 + [False] * 10, dtype="boolean")
    row = contrast(episodes, "wemwbs_change", unknown, min_n=5).iloc[0]
    assert (row["n_in"], row["n_out"]) == (35, 10)
    assert "5 episode(s) with the context unknown" in row["note"]


def test_errors_say_what_is_wrong():
    episodes = pd.DataFrame({"age": [30, 70], "wemwbs_change": [1.0, 2.0], "site": ["N", "S"]})
    with pytest.raises(ExpressionError, match="'agee' is not a column") as caught:
        contrast(episodes, "wemwbs_change", "agee >= 65")
    assert caught.value.suggestions == ("age",)
    with pytest.raises(StatisticsError, match="True/False"):
        contrast(episodes, "wemwbs_change", "age + 1")
    with pytest.raises(StatisticsError, match="same index"):
        contrast(episodes, "wemwbs_change", pd.Series([True, False], index=[5, 6]))
    with pytest.raises(StatisticsError, match="numeric or True/False"):
        contrast(episodes, "site", "age >= 65")
    with pytest.raises(StatisticsError, match="wemwbs_baseline"):
        contrast(episodes, "wemwbs_change", "age >= 65", baseline="wemwbs_baseline")
