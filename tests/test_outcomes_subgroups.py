"""for_whom: ANCOVA (HC3) and mixed model against statsmodels' formula API, Holm by hand."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from evalkit.errors import StatisticsError
from evalkit.outcomes import for_whom, holm


def _cohort(n=240, seed=3, female_gain=5.0, male_gain=2.0):
    rng = np.random.default_rng(seed)
    ids = [f"c{i:04d}" for i in range(n)]
    participants = pd.DataFrame(
        {
            "client_id": ids,
            "sex": rng.choice(["female", "male"], n),
            "imd_quintile": rng.integers(1, 6, n),
            "site": rng.choice(["North", "South", "East", "West", "Central"], n),
            "age": rng.integers(18, 85, n).astype(float),
        }
    )
    site_effect = participants["site"].map(
        {"North": 1.0, "South": -1.0, "East": 0.5, "West": -0.5, "Central": 0.0}
    )
    baseline = rng.normal(42, 8, n)
    gain = np.where(participants["sex"] == "female", female_gain, male_gain)
    followup = 10 + 0.8 * baseline + gain + site_effect + 0.02 * participants["age"]
    followup = followup + rng.normal(0, 3, n)
    scored = pd.concat(
        [
            pd.DataFrame({"client_id": ids, "timepoint": "baseline", "wemwbs_total": baseline}),
            pd.DataFrame({"client_id": ids, "timepoint": "exit", "wemwbs_total": followup}),
        ],
        ignore_index=True,
    )
    return scored, participants


def _model_frame(scored, participants):
    wide = scored.pivot(index="client_id", columns="timepoint", values="wemwbs_total")
    wide = wide.rename(columns={"exit": "followup"}).reset_index()
    return wide.merge(participants, on="client_id")


def test_ancova_matches_statsmodels_formula_api():
    scored, participants = _cohort()
    out = for_whom(scored, participants, "wemwbs_total", ["sex"], covariates=["age"])
    frame = _model_frame(scored, participants)
    reference = frame["sex"].value_counts().idxmax()  # default reference: the largest subgroup
    other = "male" if reference == "female" else "female"
    fit = smf.ols(f"followup ~ baseline + C(sex, Treatment('{reference}')) + age", data=frame).fit(
        cov_type="HC3", use_t=True
    )
    term = f"C(sex, Treatment('{reference}'))[T.{other}]"
    row = out.query("model == 'ancova_hc3' and level == @other").iloc[0]
    assert row["difference"] == pytest.approx(fit.params[term])
    assert row["difference_ci_lower"] == pytest.approx(fit.conf_int().loc[term, 0])
    assert row["p_value"] == pytest.approx(fit.pvalues[term])
    assert row["interaction_p"] == pytest.approx(fit.pvalues[term])  # one dummy: F = t^2
    # adjusted change: mean prediction with everyone in the subgroup, minus mean baseline
    for level in ("female", "male"):
        expected = fit.predict(frame.assign(sex=level)).mean() - frame["baseline"].mean()
        got = out.query("model == 'ancova_hc3' and level == @level")["adjusted_change"].iloc[0]
        assert got == pytest.approx(expected)
    ref_row = out.query("model == 'ancova_hc3' and level == @reference").iloc[0]
    assert ref_row["is_reference"] and ref_row["difference"] == 0
    assert np.isnan(ref_row["p_value"])


def test_planted_difference_recovered_in_both_models():
    # Women gain 5 points, men 2 (true difference male - female = -3).
    scored, participants = _cohort(n=400, seed=5)
    out = for_whom(
        scored, participants, "wemwbs_total", ["sex"], reference={"sex": "female"}
    ).set_index(["model", "level"])
    for model in ("ancova_hc3", "mixed_site"):
        male = out.loc[(model, "male")]
        assert male["difference_ci_lower"] < -3 < male["difference_ci_upper"]
        assert male["difference_ci_upper"] < 0
        assert out.loc[(model, "female"), "adjusted_change"] > male["adjusted_change"]


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_mixed_model_matches_statsmodels_mixedlm():
    scored, participants = _cohort()
    out = for_whom(
        scored, participants, "wemwbs_total", ["imd_quintile"], reference={"imd_quintile": 1}
    )
    frame = _model_frame(scored, participants)
    # Reference: statsmodels' formula API optimised by Nelder-Mead (an optimiser evalkit does not
    # use). statsmodels' default gradient optimiser stops early on these data (lower REML
    # log-likelihood, -635.959 against -635.951), so it is not used as the reference.
    frame["baseline_centred"] = frame["baseline"] - frame["baseline"].mean()
    fit = smf.mixedlm(
        "followup ~ baseline_centred + C(imd_quintile)", frame, groups=frame["site"]
    ).fit(reml=True, method="nm", maxiter=5000)
    assert fit.converged
    mixed = out.query("model == 'mixed_site'").set_index("level")
    assert not mixed["note"].str.contains("converge").any()
    for q in (2, 3, 4, 5):
        term = f"C(imd_quintile)[T.{q}]"
        assert mixed.loc[str(q), "difference"] == pytest.approx(fit.fe_params[term], rel=1e-3)
        assert mixed.loc[str(q), "p_value"] == pytest.approx(fit.pvalues[term], rel=1e-3)
    ancova = out.query("model == 'ancova_hc3'")
    assert len(ancova) == 5 and ancova["interaction_p"].nunique() == 1


def test_holm_by_hand():
    # sorted p: 0.01, 0.03, 0.04 with m = 3 -> 0.01 * 3 = 0.03; 0.03 * 2 = 0.06;
    # 0.04 * 1 = 0.04 -> raised to the running maximum 0.06.
    assert holm(pd.Series([0.01, 0.04, 0.03])).tolist() == pytest.approx([0.03, 0.06, 0.06])


def test_holm_applied_across_factors():
    scored, participants = _cohort()
    out = for_whom(scored, participants, "wemwbs_total", ["sex", "imd_quintile"], site=None)
    ancova = out.query("model == 'ancova_hc3' and not is_reference")
    assert ancova["p_holm"].tolist() == pytest.approx(holm(ancova["p_value"]).tolist())
    per_factor = ancova.groupby("factor")["interaction_p"].first()
    adjusted = ancova.groupby("factor")["interaction_p_holm"].first()
    assert adjusted.tolist() == pytest.approx(holm(per_factor).tolist())
    assert out.query("model == 'mixed_site'")["note"].str.contains("no site column").all()


def test_small_empty_and_missing_groups_are_reported():
    scored, participants = _cohort(n=60)
    participants = participants.assign(
        delivery_mode=pd.Categorical(
            ["group"] * 30 + ["digital"] * 25 + ["peer_led"] * 3 + [None] * 2,
            categories=["digital", "group", "peer_led", "telephone"],
        )
    )
    out = for_whom(scored, participants, "wemwbs_total", ["delivery_mode"])
    rows = out.query("model == 'ancova_hc3'").set_index("level")
    assert rows.loc["peer_led", "n"] == 3
    assert "fewer than 10 paired clients" in rows.loc["peer_led", "note"]
    assert rows.loc["telephone", "n"] == 0 and np.isnan(rows.loc["telephone", "adjusted_change"])
    assert rows.loc["missing", "n"] == 2 and "not recorded" in rows.loc["missing", "note"]
    assert rows["n"].sum() == 60  # every paired client is in some row
    assert np.isfinite(rows.loc["digital", "difference"])


def test_degenerate_inputs_give_reasons():
    scored, participants = _cohort(n=40)
    empty = scored.iloc[0:0]
    out = for_whom(empty, participants, "wemwbs_total", ["sex"])
    assert (out["n"] == 0).all() and out["adjusted_change"].isna().all()
    assert out["note"].str.contains("fewer than 10").all()

    one = scored[scored["client_id"] == "c0000"]
    out = for_whom(one, participants, "wemwbs_total", ["sex"])
    assert out["n"].sum() == 2  # one client, counted once per model
    assert out["adjusted_change"].isna().all()

    flat = scored.assign(wemwbs_total=40.0)
    out = for_whom(flat, participants, "wemwbs_total", ["sex"], site=None)
    assert out["adjusted_change"].isna().all()
    assert out.query("model == 'ancova_hc3'")["note"].str.contains("do not vary").all()

    one_level = participants.assign(sex="female")
    out = for_whom(scored, one_level, "wemwbs_total", ["sex"])
    assert out["note"].str.contains("fewer than 2 subgroups").all()


def test_errors():
    scored, participants = _cohort(n=40)
    with pytest.raises(StatisticsError, match="ethnicity"):
        for_whom(scored, participants, "wemwbs_total", ["ethnicity"])
    with pytest.raises(StatisticsError, match="appears more than once"):
        for_whom(scored, pd.concat([participants, participants.iloc[[0]]]), "wemwbs_total", [])
    with pytest.raises(StatisticsError, match="reference level 'other'"):
        for_whom(scored, participants, "wemwbs_total", ["sex"], reference={"sex": "other"})
