"""How much the mean change depends on the clients who were not followed up.

Three estimates of the same quantity, the mean change from baseline to follow-up among everyone
with a baseline score, side by side:

* complete case: only clients with both scores;
* baseline observation carried forward (BOCF): a missing follow-up is set to the baseline score,
  i.e. "no change" for everyone lost (a conservative assumption for a service that helps);
* multiple imputation by chained equations (MICE, statsmodels), pooled with Rubin's rules.

Examples
--------
>>> import pandas as pd
>>> scored = pd.DataFrame({
...     "client_id": ["a", "a", "b", "b", "c", "c", "d"],
...     "timepoint": ["baseline", "exit"] * 3 + ["baseline"],
...     "wemwbs_total": [40.0, 46.0, 38.0, 42.0, 45.0, 47.0, 41.0]})
>>> table = sensitivity(scored, "wemwbs_total", n_imputations=20, seed=1)
>>> table[["method", "n", "estimate"]].round(2).iloc[:2]
                     method  n  estimate
0             complete_case  3       4.0
1  baseline_carried_forward  4       3.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.imputation.mice import MICEData

from evalkit.errors import StatisticsError
from evalkit.outcomes.pairing import pair_timepoints, require_columns

__all__ = ["POOLED_COLUMNS", "SENSITIVITY_COLUMNS", "pool_rubin", "sensitivity"]

#: Columns returned by :func:`sensitivity`.
SENSITIVITY_COLUMNS = (
    "method",
    "n",
    "n_observed",
    "n_filled",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "dof",
    "fmi",
    "note",
)

#: Columns returned by :func:`pool_rubin`.
POOLED_COLUMNS = (
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "dof",
    "within_variance",
    "between_variance",
    "fmi",
)

#: Imputation settings: MICE cycles before the first imputation, and between imputations.
BURN_IN_CYCLES = 10
CYCLES_BETWEEN_IMPUTATIONS = 4
MIN_IMPUTATIONS = 20


def pool_rubin(
    estimates: Sequence[float],
    variances: Sequence[float],
    complete_data_dof: float = np.inf,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Combine one estimate per imputed data set with Rubin's rules.

    Parameters
    ----------
    estimates : sequence of float
        The estimate from each of the ``m`` imputed data sets.
    variances : sequence of float
        Its squared standard error in each data set.
    complete_data_dof : float
        Degrees of freedom the analysis would have without missing data (``n - 1`` for a
        mean); ``inf`` gives Rubin's (1987) large-sample degrees of freedom.
    confidence : float
        Confidence level.

    Returns
    -------
    DataFrame
        One row with :data:`POOLED_COLUMNS`.

    Notes
    -----
    :math:`\\bar Q = \\frac1m \\sum Q_j`, :math:`W = \\frac1m \\sum U_j`,
    :math:`B = \\frac{1}{m-1} \\sum (Q_j - \\bar Q)^2`, :math:`T = W + (1 + 1/m) B`
    (Rubin 1987). With :math:`\\lambda = (1 + 1/m) B / T` (reported as ``fmi``, the fraction of
    the variance due to missing data), :math:`\\nu_{old} = (m - 1)/\\lambda^2`; the
    Barnard-Rubin (1999) small-sample degrees of freedom are
    :math:`\\nu = (1/\\nu_{old} + 1/\\nu_{obs})^{-1}` with
    :math:`\\nu_{obs} = \\frac{\\nu_{com} + 1}{\\nu_{com} + 3}\\nu_{com}(1 - \\lambda)`
    (van Buuren 2018, *Flexible Imputation of Missing Data*, section 2.3).

    Examples
    --------
    >>> pool_rubin([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])[["estimate", "se"]].round(4)
       estimate     se
    0       2.0  1.354
    """
    q = np.asarray(estimates, dtype=float)
    u = np.asarray(variances, dtype=float)
    m = q.size
    if m < 2 or u.size != m:
        raise StatisticsError(
            f"Rubin's rules need at least 2 estimates with one variance each (got {m} "
            f"estimates and {u.size} variances)."
        )
    estimate = q.mean()
    within = u.mean()
    between = q.var(ddof=1)
    total = within + (1 + 1 / m) * between
    lam = (1 + 1 / m) * between / total if total > 0 else 0.0
    dof_old = (m - 1) / lam**2 if lam > 0 else np.inf
    if np.isfinite(complete_data_dof):
        dof_obs = (complete_data_dof + 1) / (complete_data_dof + 3) * complete_data_dof * (1 - lam)
        dof = 1 / (1 / dof_old + 1 / dof_obs)
    else:
        dof = dof_old
    se = np.sqrt(total)
    crit = stats.t.ppf(0.5 + confidence / 2, dof)
    return pd.DataFrame(
        [
            {
                "estimate": estimate,
                "se": se,
                "ci_lower": estimate - crit * se,
                "ci_upper": estimate + crit * se,
                "dof": dof,
                "within_variance": within,
                "between_variance": between,
                "fmi": lam,
            }
        ],
        columns=list(POOLED_COLUMNS),
    )


def _mean_with_ci(change: pd.Series, confidence: float) -> dict[str, float]:
    values = change.to_numpy(dtype=float)
    n = values.size
    if n < 2:
        return dict.fromkeys(("se", "ci_lower", "ci_upper", "dof"), np.nan) | {
            "estimate": float(values.mean()) if n else np.nan
        }
    se = values.std(ddof=1) / np.sqrt(n)
    crit = stats.t.ppf(0.5 + confidence / 2, n - 1)
    mean = float(values.mean())
    if se == 0:
        return {"estimate": mean, "se": 0.0, "ci_lower": np.nan, "ci_upper": np.nan, "dof": n - 1}
    return {
        "estimate": mean,
        "se": se,
        "ci_lower": mean - crit * se,
        "ci_upper": mean + crit * se,
        "dof": n - 1,
    }


def _covariate_matrix(
    cohort: pd.DataFrame, participants: pd.DataFrame | None, covariates: Sequence[str]
) -> pd.DataFrame:
    if not covariates:
        return pd.DataFrame(index=cohort.index)
    if participants is None:
        raise StatisticsError(
            f"covariates {', '.join(covariates)} were asked for but no participants table "
            "was given to take them from."
        )
    require_columns(
        participants,
        {
            "client_id": "links each client to their scores",
            **dict.fromkeys(covariates, "a covariate of the imputation model"),
        },
        "participants",
    )
    merged = cohort[["client_id"]].merge(
        participants[["client_id", *covariates]], on="client_id", how="left", validate="m:1"
    )
    merged.index = cohort.index
    numeric = merged[covariates].select_dtypes("number")
    categorical = [c for c in covariates if c not in numeric.columns]
    if not categorical:
        return numeric.astype(float)
    dummies = pd.get_dummies(merged[categorical], drop_first=True, dtype=float, dummy_na=False)
    for column in categorical:  # keep "unknown" as unknown, not as the reference level
        unknown = merged[column].isna()
        dummies.loc[unknown, [d for d in dummies.columns if d.startswith(f"{column}_")]] = np.nan
    return pd.concat([numeric.astype(float), dummies], axis=1)


def _multiple_imputation(
    cohort: pd.DataFrame,
    covariate_matrix: pd.DataFrame,
    n_imputations: int,
    seed: int,
    confidence: float,
) -> dict[str, object]:
    data = pd.concat(
        [
            cohort[["baseline", "followup"]].reset_index(drop=True),
            covariate_matrix.reset_index(drop=True),
        ],
        axis=1,
    )
    data.columns = ["baseline", "followup"] + [f"x{i}" for i in range(covariate_matrix.shape[1])]
    n_observed = int(data["followup"].notna().sum())
    n_predictors = data.shape[1] - 1
    if n_observed < n_predictors + 3:
        return {
            "note": f"only {n_observed} clients followed up: too few to fit the imputation "
            f"model with {n_predictors} predictor(s)"
        }
    constant = [c for c in data.columns if data[c].nunique(dropna=True) <= 1]
    if "followup" in constant or "baseline" in constant:
        return {"note": "scores do not vary: nothing to impute from"}
    # a covariate constant among the followed-up clients cannot inform the imputation model
    # and makes its design matrix singular
    observed = data[data["followup"].notna()]
    constant += [
        c
        for c in data.columns
        if c not in ("followup", "baseline") and observed[c].nunique(dropna=True) <= 1
    ]
    data = data.drop(columns=sorted(set(constant)))
    chain = MICEData(data, rng=np.random.default_rng(seed))
    chain.update_all(BURN_IN_CYCLES)
    estimates, variances = [], []
    for _ in range(n_imputations):
        chain.update_all(CYCLES_BETWEEN_IMPUTATIONS)
        change = chain.data["followup"] - chain.data["baseline"]
        estimates.append(change.mean())
        variances.append(change.var(ddof=1) / len(change))
    pooled = pool_rubin(estimates, variances, len(data) - 1, confidence).iloc[0]
    out: dict[str, object] = {
        k: float(pooled[k]) for k in ("estimate", "se", "ci_lower", "ci_upper", "dof", "fmi")
    }
    note = (
        f"{n_imputations} imputations (MICE with predictive mean matching, seed {seed}); "
        f"imputation model: baseline score + {len(covariate_matrix.columns)} covariate term(s)"
    )
    if constant:
        note += f"; {len(constant)} constant covariate term(s) left out"
    out["note"] = note
    return out


def sensitivity(
    scored: pd.DataFrame,
    measure: str,
    baseline: str = "baseline",
    followup: str = "exit",
    *,
    participants: pd.DataFrame | None = None,
    covariates: Sequence[str] = (),
    n_imputations: int = MIN_IMPUTATIONS,
    seed: int = 20_240_601,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean change under complete-case, BOCF and multiple-imputation assumptions.

    Parameters
    ----------
    scored : DataFrame
        The episode table (``ev.episodes``, with ``<measure>_<baseline>`` and
        ``<measure>_<followup>`` columns) or the long scored table (``client_id``,
        ``timepoint``, ``measure``); see :func:`~evalkit.outcomes.pairing.pair_timepoints`.
    measure : str
        The score: ``"wemwbs"`` (episode-table stem) or ``"wemwbs_total"`` (score column).
    baseline, followup : str
        Timepoints.
    participants : DataFrame, optional
        One row per client; needed when ``covariates`` are given.
    covariates : sequence of str
        Columns of ``participants`` that help predict the missing follow-up scores (e.g.
        ``age``, ``sex``, ``imd_quintile``, ``site``). Text columns are dummy-coded; their
        missing values are imputed too.
    n_imputations : int
        Number of imputed data sets (at least 20).
    seed : int
        Seed of the imputation random-number generator; the same seed gives the same result.
    confidence : float
        Confidence level.

    Returns
    -------
    DataFrame
        :data:`SENSITIVITY_COLUMNS`, one row per ``method`` (``complete_case``,
        ``baseline_carried_forward``, ``multiple_imputation``). ``n`` clients enter the
        estimate, ``n_observed`` of them with an observed follow-up and ``n_filled`` with a
        carried-forward or imputed one. ``fmi`` is the fraction of variance due to missing data
        (multiple imputation only). ``note`` explains NaNs and records the imputation settings.

    Raises
    ------
    StatisticsError
        If fewer than 20 imputations are asked for, or a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> scored = pd.DataFrame({"client_id": ["a", "a", "b"],
    ...                        "timepoint": ["baseline", "exit", "baseline"],
    ...                        "phq9_total": [15.0, 9.0, 12.0]})
    >>> sensitivity(scored, "phq9_total")["estimate"].tolist()[:2]
    [-6.0, -3.0]
    >>> episodes = pd.DataFrame({"client_id": ["a", "b"], "phq9_baseline": [15.0, 12.0],
    ...                          "phq9_exit": [9.0, None]})
    >>> sensitivity(episodes, "phq9")["estimate"].tolist()[:2]
    [-6.0, -3.0]
    """
    if n_imputations < MIN_IMPUTATIONS:
        raise StatisticsError(
            f"n_imputations={n_imputations}: use at least {MIN_IMPUTATIONS} imputations so the "
            "pooled estimate does not depend on the seed."
        )
    pairs = pair_timepoints(scored, measure, baseline, followup)
    cohort = pairs.loc[pairs["baseline"].notna()].reset_index(drop=True)
    observed = cohort["followup"].notna()
    n, n_observed = len(cohort), int(observed.sum())
    covariate_matrix = _covariate_matrix(cohort, participants, covariates)

    complete = {
        "method": "complete_case",
        "n": n_observed,
        "n_observed": n_observed,
        "n_filled": 0,
        **_mean_with_ci(cohort.loc[observed, "change"], confidence),
    }
    carried = {
        "method": "baseline_carried_forward",
        "n": n,
        "n_observed": n_observed,
        "n_filled": n - n_observed,
        **_mean_with_ci(cohort["change"].fillna(0.0), confidence),
    }
    imputed = {
        "method": "multiple_imputation",
        "n": n,
        "n_observed": n_observed,
        "n_filled": n - n_observed,
    }
    if n == 0:
        reason = f"no client has a {baseline} score"
    elif n_observed == 0:
        reason = f"nobody has a {followup} score"
    else:
        reason = ""
    for row, row_n in ((complete, n_observed), (carried, n)):
        if reason:
            row["note"] = reason
        elif row_n < 2:
            row["note"] = "fewer than 2 clients: no confidence interval"
        elif row["se"] == 0:
            row["note"] = "every client changed by the same amount: no confidence interval"
    if reason:
        imputed["note"] = reason
    elif n_observed == n:
        imputed.update({k: complete[k] for k in ("estimate", "se", "ci_lower", "ci_upper", "dof")})
        imputed["fmi"] = 0.0
        imputed["note"] = "no follow-up score is missing: nothing to impute"
    else:
        imputed.update(
            _multiple_imputation(cohort, covariate_matrix, n_imputations, seed, confidence)
        )
    table = pd.DataFrame([complete, carried, imputed], columns=list(SENSITIVITY_COLUMNS))
    table["note"] = table["note"].fillna("")
    return table
