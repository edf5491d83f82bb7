"""Linear models behind the subgroup and context comparisons: design, fit, contrasts, Wald tests.

The design matrix is built explicitly (intercept, numeric columns, treatment-coded categories)
so contrasts are plain vectors over named columns, whatever the model (OLS with HC3 standard
errors or a mixed model with a random intercept).

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, 5.0], "group": ["a", "a", "b", "b"]})
>>> X = design_matrix(frame, numeric=[], categorical={"group": "a"})
>>> fit = fit_ols_hc3(frame["y"], X)
>>> float(round(fit.params["group[b]"], 2))
2.5
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

__all__ = [
    "MIXED_MODEL_OPTIMISERS",
    "MIXED_MODEL_WARNINGS",
    "FittedModel",
    "design_matrix",
    "dummy_name",
    "fit_mixed_random_intercept",
    "fit_ols_hc3",
    "joint_wald_test",
    "linear_contrast",
]


def dummy_name(column: str, level: object) -> str:
    """Name of the indicator column for ``column == level`` in :func:`design_matrix`.

    Examples
    --------
    >>> dummy_name("sex", "male")
    'sex[male]'
    """
    return f"{column}[{level}]"


def design_matrix(
    frame: pd.DataFrame, numeric: Sequence[str], categorical: Mapping[str, object]
) -> pd.DataFrame:
    """Intercept, centred numeric columns and treatment indicators (one per non-reference level).

    Parameters
    ----------
    frame : DataFrame
        Complete rows (no missing values in the named columns).
    numeric : sequence of str
        Columns entered centred at their mean (the slopes are unchanged; the intercept becomes
        the prediction at average covariate values, which keeps mixed models well conditioned).
    categorical : mapping of str to object
        Column -> reference level; every other observed level gets an indicator column named
        by :func:`dummy_name`.

    Returns
    -------
    DataFrame
        Float design matrix with the same index as ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> design_matrix(pd.DataFrame({"g": ["a", "b"]}), [], {"g": "a"}).columns.tolist()
    ['Intercept', 'g[b]']
    """
    parts = {"Intercept": pd.Series(1.0, index=frame.index)}
    for column in numeric:
        values = frame[column].astype(float)
        parts[column] = values - values.mean()
    for column, reference in categorical.items():
        for level in _levels(frame[column]):
            if level != reference:
                parts[dummy_name(column, level)] = (frame[column] == level).astype(float)
    return pd.DataFrame(parts, index=frame.index)


def _levels(values: pd.Series) -> list[object]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [c for c in values.cat.categories if (values == c).any()]
    present = values.dropna().unique().tolist()
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


@dataclass(frozen=True)
class FittedModel:
    """Fixed-effect estimates of a fitted model, enough for contrasts and Wald tests.

    Parameters
    ----------
    params : Series
        Fixed-effect coefficients, indexed by design column.
    cov : DataFrame
        Their covariance matrix (HC3 for OLS, model-based for the mixed model).
    dof : float
        Residual degrees of freedom for t / F reference distributions; ``inf`` means normal /
        chi-squared (used for the mixed model, as statsmodels reports it).
    warnings : tuple of str
        Warnings raised while fitting (e.g. a mixed model that did not converge).
    """

    params: pd.Series
    cov: pd.DataFrame
    dof: float
    warnings: tuple[str, ...] = ()


def fit_ols_hc3(y: pd.Series, X: pd.DataFrame) -> FittedModel:
    """Ordinary least squares with HC3 heteroscedasticity-consistent standard errors.

    Notes
    -----
    HC3 (MacKinnon & White 1985) is recommended for small and moderate samples (Long & Ervin
    2000, *Am Stat* 54:217-224). Inference uses t and F distributions on the residual degrees
    of freedom.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"Intercept": [1.0] * 4, "x": [0.0, 1.0, 2.0, 3.0]})
    >>> float(round(fit_ols_hc3(pd.Series([1.0, 3.0, 5.0, 7.0]), X).params["x"], 6))
    2.0
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sm.OLS(y.astype(float), X).fit(cov_type="HC3", use_t=True)
        cov = result.cov_params()
    return FittedModel(
        result.params, cov, float(result.df_resid), tuple(str(w.message) for w in caught)
    )


def fit_mixed_random_intercept(y: pd.Series, X: pd.DataFrame, groups: pd.Series) -> FittedModel:
    """Linear mixed model with a random intercept per group (REML, statsmodels ``MixedLM``).

    Notes
    -----
    Optimised with Powell's derivative-free method first (:data:`MIXED_MODEL_OPTIMISERS`): with
    few sites and a site variance near zero, statsmodels' default gradient methods often stop
    at a non-positive-definite Hessian, while Powell converges to the boundary cleanly.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> site = np.repeat(["a", "b", "c", "d"], 25)
    >>> x = rng.normal(size=100)
    >>> y = pd.Series(2 * x + np.repeat(rng.normal(size=4), 25) + rng.normal(size=100))
    >>> X = pd.DataFrame({"Intercept": 1.0, "x": x})
    >>> bool(abs(fit_mixed_random_intercept(y, X, pd.Series(site)).params["x"] - 2) < 0.5)
    True
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = sm.MixedLM(y.astype(float).to_numpy(), X, groups=groups.to_numpy()).fit(
            reml=True, method=list(MIXED_MODEL_OPTIMISERS)
        )
        k = X.shape[1]
        params = pd.Series(np.asarray(result.fe_params), index=X.columns)
        cov = pd.DataFrame(
            np.asarray(result.cov_params())[:k, :k], index=X.columns, columns=X.columns
        )
    texts = [str(w.message) for w in caught if not _about_optimiser(str(w.message))]
    if not result.converged:
        texts.append("failed to converge")
    messages = tuple(dict.fromkeys(_plain_warning(text) for text in texts))
    return FittedModel(params, cov, np.inf, messages)


#: Optimisers tried in turn by :func:`fit_mixed_random_intercept`.
MIXED_MODEL_OPTIMISERS = ("powell", "lbfgs")

#: statsmodels MixedLM warning fragments -> what they mean for an evaluator. Warnings about
#: individual optimisers are dropped (statsmodels retries with others); convergence is judged
#: by the final fit's ``converged`` flag.
MIXED_MODEL_WARNINGS = {
    "boundary": "site-to-site variance estimated as zero: the mixed model adds nothing here",
    "failed to converge": "mixed model fit did not fully converge: treat its estimates with care",
    "singular": "site-to-site variance could not be estimated: treat mixed estimates with care",
    "Hessian": "mixed model standard errors may be unreliable (Hessian not positive definite)",
}


_OPTIMISER_FRAGMENTS = ("Retrying", "failed to converge", "optimization failed", "Gradient")


def _about_optimiser(message: str) -> bool:
    return any(fragment in message for fragment in _OPTIMISER_FRAGMENTS)


def _plain_warning(message: str) -> str:
    for fragment, meaning in MIXED_MODEL_WARNINGS.items():
        if fragment in message:
            return meaning
    return message.splitlines()[0]


def linear_contrast(
    model: FittedModel, weights: pd.Series, confidence: float = 0.95
) -> dict[str, float]:
    """Estimate, standard error, CI and p-value of ``weights @ params``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = FittedModel(pd.Series({"a": 1.0, "b": 3.0}),
    ...                 pd.DataFrame([[1.0, 0.0], [0.0, 1.0]], index=["a", "b"],
    ...                              columns=["a", "b"]), float("inf"))
    >>> round(linear_contrast(m, pd.Series({"a": -1.0, "b": 1.0}))["se"], 4)  # sqrt(1 + 1)
    1.4142
    """
    w = weights.reindex(model.params.index).fillna(0.0).to_numpy()
    estimate = float(w @ model.params.to_numpy())
    variance = float(w @ model.cov.to_numpy() @ w)
    se = float(np.sqrt(variance)) if variance >= 0 else np.nan
    reference = stats.t(model.dof) if np.isfinite(model.dof) else stats.norm()
    crit = reference.ppf(0.5 + confidence / 2)
    p = 2 * reference.sf(abs(estimate / se)) if se > 0 else np.nan
    return {
        "estimate": estimate,
        "se": se,
        "ci_lower": float(estimate - crit * se),
        "ci_upper": float(estimate + crit * se),
        "p_value": float(p),
    }


def joint_wald_test(model: FittedModel, columns: Sequence[str]) -> float:
    """p-value of the joint Wald test that the named coefficients are all zero.

    F test on (q, dof) degrees of freedom when ``dof`` is finite, chi-squared on q otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> m = FittedModel(pd.Series({"a": 1.96}), pd.DataFrame([[1.0]], index=["a"],
    ...                 columns=["a"]), float("inf"))
    >>> round(joint_wald_test(m, ["a"]), 3)
    0.05
    """
    columns = list(columns)
    if not columns:
        return np.nan
    beta = model.params[columns].to_numpy()
    cov = model.cov.loc[columns, columns].to_numpy()
    try:
        statistic = float(beta @ np.linalg.solve(cov, beta))
    except np.linalg.LinAlgError:
        return np.nan
    q = len(columns)
    if np.isfinite(model.dof):
        return float(stats.f.sf(statistic / q, q, model.dof))
    return float(stats.chi2.sf(statistic, q))
