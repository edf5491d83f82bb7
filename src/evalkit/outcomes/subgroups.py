"""For whom did it work? Adjusted change by subgroup, subgroup differences and their tests.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> ids = [f"c{i}" for i in range(200)]
>>> participants = pd.DataFrame({"client_id": ids, "sex": ["female", "male"] * 100,
...                              "site": np.repeat(["N", "S", "E", "W"], 50)})
>>> base = rng.normal(42, 8, 200)
>>> gain = np.where(participants["sex"] == "female", 5.0, 2.0)
>>> scored = pd.concat([
...     pd.DataFrame({"client_id": ids, "timepoint": "baseline", "wemwbs_total": base}),
...     pd.DataFrame({"client_id": ids, "timepoint": "exit",
...                   "wemwbs_total": base + gain + rng.normal(0, 3, 200)})])
>>> table = for_whom(scored, participants, "wemwbs_total", ["sex"])
>>> table.loc[table["model"] == "ancova_hc3", ["level", "n", "adjusted_change"]].round(1)
    level    n  adjusted_change
0  female  100              4.6
1    male  100              1.9
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from evalkit.errors import StatisticsError
from evalkit.outcomes.pairing import pair_timepoints, require_columns
from evalkit.stats.regression import (
    FittedModel,
    design_matrix,
    dummy_name,
    fit_mixed_random_intercept,
    fit_ols_hc3,
    joint_wald_test,
    linear_contrast,
)

__all__ = ["FOR_WHOM_COLUMNS", "MODELS", "for_whom", "holm"]

#: Columns returned by :func:`for_whom`.
FOR_WHOM_COLUMNS = (
    "factor",
    "level",
    "model",
    "n",
    "is_reference",
    "adjusted_change",
    "ci_lower",
    "ci_upper",
    "difference",
    "difference_ci_lower",
    "difference_ci_upper",
    "p_value",
    "p_holm",
    "interaction_p",
    "interaction_p_holm",
    "note",
)

#: The two models fitted per factor: name -> plain-English description.
MODELS = {
    "ancova_hc3": "ANCOVA (follow-up ~ baseline + subgroup + covariates), HC3 robust SEs",
    "mixed_site": "the same model with a random intercept for site (REML mixed model)",
}

MISSING_LEVEL = "missing"

#: Below this many sites a random-intercept variance is poorly estimated (a common rule of
#: thumb is at least 5-10 groups); the mixed-model rows say so.
FEW_SITES = 5


def holm(p_values: pd.Series) -> pd.Series:
    """Holm (1979) step-down adjusted p-values; NaN entries stay NaN and are not counted.

    Examples
    --------
    >>> holm(pd.Series([0.01, 0.04, np.nan, 0.03])).round(2).tolist()
    [0.03, 0.06, nan, 0.06]
    """
    out = pd.Series(np.nan, index=p_values.index)
    known = p_values.notna()
    if known.any():
        out[known] = multipletests(p_values[known].to_numpy(), method="holm")[1]
    return out


def _ordered(values: pd.Series) -> list[object]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    present = values.dropna().unique().tolist()
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


def _fit(model: str, data: pd.DataFrame, X: pd.DataFrame, site: str | None) -> FittedModel:
    if model == "ancova_hc3":
        return fit_ols_hc3(data["followup"], X)
    return fit_mixed_random_intercept(data["followup"], X, data[site])


def _mixed_unavailable(factor: str, data: pd.DataFrame, site: str | None) -> str:
    if site is None:
        return "no site column given: mixed model not fitted"
    if factor == site:
        return "the subgroup is the site itself: a random intercept for site is not separable"
    if data[site].nunique() < 2:
        return "fewer than 2 sites: mixed model not fitted"
    return ""


def _few_sites(data: pd.DataFrame, site: str) -> str:
    n_sites = data[site].nunique()
    if n_sites < FEW_SITES:
        return f"only {n_sites} sites: the site-to-site variance is imprecise"
    return ""


def _factor_rows(
    factor: str,
    cohort: pd.DataFrame,
    levels: list[object],
    numeric: list[str],
    categorical: list[str],
    site: str | None,
    reference: object | None,
    min_n: int,
    confidence: float,
) -> list[dict[str, object]]:
    needed = [factor, *numeric, *categorical] + ([site] if site else [])
    complete = cohort.dropna(subset=[c for c in needed if c != site])
    n_level = {level: int((complete[factor] == level).sum()) for level in levels}
    eligible = [level for level in levels if n_level[level] >= min_n]
    data = complete.loc[complete[factor].isin(eligible)]
    excluded = int(cohort[factor].notna().sum()) - len(complete)
    unrecorded = int(cohort[factor].isna().sum())
    shared_note = f"{excluded} client(s) with a missing covariate left out" if excluded else ""
    if reference is None and eligible:
        reference = data[factor].value_counts().reindex(eligible).idxmax()
    if reference is not None and reference not in eligible and eligible:
        raise StatisticsError(
            f"reference level '{reference}' of '{factor}' has fewer than min_n={min_n} paired "
            f"clients (levels with enough: {', '.join(map(str, eligible))})."
        )
    base_rows = {
        level: {
            "factor": factor,
            "level": str(level),
            "n": n_level[level],
            "is_reference": level == reference,
        }
        for level in levels
    }
    rows: list[dict[str, object]] = []
    for model in MODELS:
        reason = ""
        if len(eligible) < 2:
            reason = f"fewer than 2 subgroups with at least {min_n} paired clients: no comparison"
        elif model == "mixed_site":
            reason = _mixed_unavailable(factor, data, site)
        fitted = None
        model_data = data if model == "ancova_hc3" or site is None else data.dropna(subset=[site])
        if not reason:
            X = design_matrix(
                model_data,
                ["baseline", *numeric],
                {
                    factor: reference,
                    **{c: model_data[c].value_counts().idxmax() for c in categorical},
                },
            )
            # drop indicators of absent covariate levels and numeric terms that do not vary
            X = X.loc[:, (X.columns == "Intercept") | (X.nunique() > 1)]
            if model_data["followup"].nunique() < 2:
                reason = "follow-up scores do not vary: model not fitted"
            elif len(model_data) <= X.shape[1] + 1:
                reason = f"{len(model_data)} clients are too few for {X.shape[1]} model terms"
            else:
                fitted = _fit(model, model_data, X, site)
        dummies = [dummy_name(factor, lv) for lv in eligible if lv != reference]
        interaction_p = joint_wald_test(fitted, dummies) if fitted else np.nan
        for level in levels:
            row = {**base_rows[level], "model": model, "interaction_p": interaction_p}
            notes = [shared_note] if shared_note else []
            if len(model_data) < len(data):
                notes.append(f"{len(data) - len(model_data)} client(s) with no {site} left out")
            if level not in eligible:
                notes.append(f"fewer than {min_n} paired clients: not modelled")
            elif reason:
                notes.append(reason)
            elif fitted is not None:
                if model == "mixed_site":
                    assert site is not None  # a mixed model is only fitted with a site column
                    few_sites = _few_sites(model_data, site)
                    if few_sites:
                        notes.append(few_sites)
                notes.extend(fitted.warnings)
                row.update(
                    _level_estimates(fitted, X, factor, level, reference, model_data, confidence)
                )
            row["note"] = "; ".join(notes)
            rows.append(row)
        if unrecorded:
            rows.append(
                {
                    "factor": factor,
                    "level": MISSING_LEVEL,
                    "model": model,
                    "n": unrecorded,
                    "is_reference": False,
                    "note": f"{factor} not recorded: not modelled",
                }
            )
    return rows


def _level_estimates(
    fitted: FittedModel,
    X: pd.DataFrame,
    factor: str,
    level: object,
    reference: object,
    data: pd.DataFrame,
    confidence: float,
) -> dict[str, float]:
    dummies = [c for c in X.columns if c.startswith(f"{factor}[")]
    weights = X.mean()
    weights[dummies] = 0.0
    if level != reference:
        weights[dummy_name(factor, level)] = 1.0
    level_mean = linear_contrast(fitted, weights, confidence)
    shift = float(data["baseline"].mean())
    out = {
        "adjusted_change": level_mean["estimate"] - shift,
        "ci_lower": level_mean["ci_lower"] - shift,
        "ci_upper": level_mean["ci_upper"] - shift,
    }
    if level == reference:
        out["difference"] = 0.0
        return out
    diff = linear_contrast(fitted, pd.Series({dummy_name(factor, level): 1.0}), confidence)
    out.update(
        difference=diff["estimate"],
        difference_ci_lower=diff["ci_lower"],
        difference_ci_upper=diff["ci_upper"],
        p_value=diff["p_value"],
    )
    return out


def for_whom(
    scored: pd.DataFrame,
    participants: pd.DataFrame,
    measure: str,
    factors: Sequence[str],
    covariates: Sequence[str] = (),
    baseline: str = "baseline",
    followup: str = "exit",
    *,
    site: str | None = "site",
    reference: Mapping[str, object] | None = None,
    min_n: int = 10,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Adjusted change per subgroup, the difference from a reference subgroup, and its tests.

    For each factor, two models of the follow-up score are fitted on clients with both scores:
    ANCOVA ``followup ~ baseline + factor + covariates`` with HC3 robust standard errors, and
    the same fixed effects with a random intercept per ``site`` (statsmodels ``MixedLM``).

    Parameters
    ----------
    scored : DataFrame
        The episode table (``ev.episodes``, with ``<measure>_<baseline>`` and
        ``<measure>_<followup>`` columns) or the long scored table (``client_id``,
        ``timepoint``, ``measure``); see :func:`~evalkit.outcomes.pairing.pair_timepoints`.
    participants : DataFrame
        One row per client with the factor, covariate and site columns (``ev.participants``;
        the episode table has them too).
    measure : str
        The score: ``"wemwbs"`` (episode-table stem) or ``"wemwbs_total"`` (score column).
    factors : sequence of str
        Columns of ``participants`` defining subgroups, one model each (e.g. ``imd_quintile``,
        ``delivery_mode``).
    covariates : sequence of str
        Adjustment columns of ``participants``; numeric columns enter linearly, others are
        treatment-coded.
    baseline, followup : str
        Timepoints.
    site : str or None
        Column for the random intercept; ``None`` skips the mixed model.
    reference : mapping, optional
        Reference level per factor; default the largest modelled subgroup.
    min_n : int
        Smallest number of paired clients for a subgroup to be modelled.
    confidence : float
        Confidence level.

    Returns
    -------
    DataFrame
        :data:`FOR_WHOM_COLUMNS`, one row per factor x ``model`` (:data:`MODELS`) x level,
        including levels with no paired clients (``n = 0``) and a ``"missing"`` level for
        clients whose factor is not recorded (never modelled). ``adjusted_change`` is the
        mean follow-up predicted with everyone in that subgroup (other terms at their means),
        minus the mean baseline. ``difference`` is versus the reference level (0 for it);
        ``p_holm`` is Holm-adjusted across all non-reference subgroups of all factors within a
        model. ``interaction_p`` is the joint Wald test that all subgroups of the factor change
        alike (in a before/after design, the subgroup-by-time interaction);
        ``interaction_p_holm`` adjusts it across factors. ``note`` explains every NaN.

    Raises
    ------
    StatisticsError
        If a column is missing, ``participants`` repeats a client, or a chosen reference level
        has fewer than ``min_n`` paired clients.

    Examples
    --------
    >>> import pandas as pd
    >>> scored = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
    ...                        "wemwbs_total": [40.0, 44.0]})
    >>> participants = pd.DataFrame({"client_id": ["a"], "sex": ["female"], "site": ["N"]})
    >>> for_whom(scored, participants, "wemwbs_total", ["sex"])["note"].iloc[0]
    'fewer than 10 paired clients: not modelled'
    """
    if min_n < 2:
        raise StatisticsError(f"min_n={min_n}: a subgroup needs at least 2 clients to model.")
    reference = dict(reference or {})
    factors, covariates = list(factors), list(covariates)
    require_columns(
        participants,
        {
            "client_id": "links each client to their scores",
            **dict.fromkeys(factors, "a factor defining subgroups"),
            **dict.fromkeys(covariates, "an adjustment covariate"),
            **(
                {site: "the site of the mixed model's random intercept (site=None skips it)"}
                if site
                else {}
            ),
        },
        "participants",
    )
    if participants["client_id"].duplicated().any():
        first = participants.loc[participants["client_id"].duplicated(), "client_id"].iloc[0]
        raise StatisticsError(f"participants: client_id '{first}' appears more than once.")
    pairs = pair_timepoints(scored, measure, baseline, followup)
    columns = list(dict.fromkeys(["client_id", *factors, *covariates] + ([site] if site else [])))
    cohort = pairs.dropna(subset=["baseline", "followup"]).merge(
        participants[columns], on="client_id", how="left"
    )
    numeric = [c for c in covariates if pd.api.types.is_numeric_dtype(participants[c])]
    categorical = [c for c in covariates if c not in numeric]
    rows: list[dict[str, object]] = []
    for factor in factors:
        levels = _ordered(participants[factor])
        rows.extend(
            _factor_rows(
                factor,
                cohort,
                levels,
                numeric,
                categorical,
                site,
                reference.get(factor),
                min_n,
                confidence,
            )
        )
    table = pd.DataFrame(rows, columns=list(FOR_WHOM_COLUMNS))
    table["is_reference"] = table["is_reference"].astype(bool)
    table["note"] = table["note"].fillna("")
    for model in MODELS:
        in_model = table["model"] == model
        table.loc[in_model, "p_holm"] = holm(table.loc[in_model, "p_value"])
        per_factor = table.loc[in_model].groupby("factor", sort=False)["interaction_p"].first()
        table.loc[in_model, "interaction_p_holm"] = table.loc[in_model, "factor"].map(
            holm(per_factor)
        )
    table.loc[table["interaction_p"].isna(), "interaction_p_holm"] = np.nan
    return table
