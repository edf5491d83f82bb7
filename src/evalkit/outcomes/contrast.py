"""The realist link: an outcome inside a context against everyone else, with and without adjustment.

``evalkit.realist`` calls :func:`contrast` once per CMOC whose context and outcome the data can
see, and sets the numbers beside the qualitative evidence.

Examples
--------
>>> import pandas as pd
>>> episodes = pd.DataFrame({"imd_quintile": [1, 1, 1, 2, 2, 2],
...                          "wemwbs_change": [6.0, 5.0, 7.0, 2.0, 3.0, 1.0]})
>>> row = contrast(episodes, "wemwbs_change", "imd_quintile == 1", min_n=3).iloc[0]
>>> float(row["difference"])
4.0
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.data.expressions import evaluate
from evalkit.errors import StatisticsError
from evalkit.outcomes.pairing import require_columns
from evalkit.stats.regression import design_matrix, fit_ols_hc3, linear_contrast

__all__ = ["CONTRAST_COLUMNS", "contrast"]

#: Columns returned by :func:`contrast` (the first eleven are the realist module's contract).
CONTRAST_COLUMNS = (
    "n_in",
    "n_out",
    "mean_in",
    "mean_out",
    "difference",
    "ci_lower",
    "ci_upper",
    "p_value",
    "interaction_p",
    "method",
    "note",
    "adjusted_difference",
    "adjusted_ci_lower",
    "adjusted_ci_upper",
)

_IN = "in_context"


def _context_mask(episodes: pd.DataFrame, context: str | pd.Series) -> pd.Series:
    if isinstance(context, pd.Series):
        if not context.index.equals(episodes.index):
            raise StatisticsError(
                "context: the boolean Series must have the same index as the episode table."
            )
        mask = context
        where = "the context Series"
    else:
        mask = evaluate(episodes, context, where="context")
        where = f"context '{context}'"
    if not isinstance(mask, pd.Series) or not (
        pd.api.types.is_bool_dtype(mask.dtype) or mask.dropna().isin([True, False]).all()
    ):
        raise StatisticsError(f"{where} must give True/False for each episode.")
    return mask.astype("boolean")


def _outcome_values(episodes: pd.DataFrame, outcome: str) -> pd.Series:
    values = episodes[outcome]
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("Float64").astype(float)
    try:
        return pd.to_numeric(values, errors="raise").astype(float)
    except (TypeError, ValueError) as exc:
        raise StatisticsError(
            f"outcome '{outcome}' must be numeric or True/False (dtype {values.dtype})."
        ) from exc


def contrast(
    episodes: pd.DataFrame,
    outcome: str,
    context: str | pd.Series,
    *,
    baseline: str | None = None,
    covariates: Sequence[str] = (),
    min_n: int = 30,
) -> pd.DataFrame:
    """Outcome in a context against the rest: raw difference and adjusted (ANCOVA) test.

    Parameters
    ----------
    episodes : DataFrame
        The episode table (one row per client, docs/data-model.md).
    outcome : str
        Episode column: a score or change score (``wemwbs_change``) or a 0/1 / True-False
        outcome (``quit_4wk_co``).
    context : str or Series
        A condition over the episode table in evalkit's expression language
        (:mod:`evalkit.data.expressions`), or a boolean Series on its index. Episodes
        where it is missing (NA) are in neither group and are counted in ``note``.
    baseline : str, optional
        Baseline score column to adjust for (e.g. ``wemwbs_baseline``).
    covariates : sequence of str
        Further adjustment columns; numeric ones enter linearly, others treatment-coded.
    min_n : int
        Smallest number of episodes with the outcome, in each group, for any statistic.

    Returns
    -------
    DataFrame
        One row with :data:`CONTRAST_COLUMNS`:

        * ``n_in`` / ``n_out``: episodes in / outside the context with the outcome recorded;
        * ``mean_in`` / ``mean_out``: outcome means (proportions for a 0/1 outcome);
        * ``difference`` = ``mean_in - mean_out`` with ``ci_lower`` / ``ci_upper`` and
          ``p_value`` from OLS of the outcome on the context indicator with HC3 standard
          errors. For a 0/1 outcome this is a linear probability model: the difference in
          proportions with a robust (Wald-type) interval;
        * ``interaction_p``: p-value of the context indicator in the ANCOVA
          ``outcome ~ context (+ baseline) + covariates`` (HC3). With a change or follow-up
          outcome and its baseline, this tests whether change differs by context: the
          context-by-time interaction of the before/after design. Its estimate and CI are
          ``adjusted_difference`` / ``adjusted_ci_lower`` / ``adjusted_ci_upper``;
        * ``method``: the models used, in words; ``note``: why a value is NaN ("" if none).

        When either group has fewer than ``min_n`` episodes only the counts are given.

    Raises
    ------
    StatisticsError
        If a column is missing, the context cannot be evaluated or is not True/False, or the
        outcome is not numeric.

    Examples
    --------
    >>> import pandas as pd
    >>> episodes = pd.DataFrame({"delivery_mode": ["group"] * 2 + ["digital"] * 2,
    ...                          "quit_4wk_co": [True, True, False, True]})
    >>> row = contrast(episodes, "quit_4wk_co", "delivery_mode == 'group'", min_n=2).iloc[0]
    >>> float(row["mean_in"]), float(row["mean_out"]), float(row["difference"])
    (1.0, 0.5, 0.5)
    """
    covariates = list(covariates)
    adjusters = ([baseline] if baseline else []) + covariates
    require_columns(
        episodes,
        {
            outcome: "the outcome to compare",
            **({baseline: "the baseline score to adjust for"} if baseline else {}),
            **dict.fromkeys(covariates, "a covariate to adjust for"),
        },
        "episodes",
    )
    mask = _context_mask(episodes, context)
    y = _outcome_values(episodes, outcome)
    binary = bool(y.dropna().isin([0.0, 1.0]).all())
    kind = "linear probability model" if binary else "OLS"
    method = (
        f"difference: {kind} of {outcome} on the context (HC3); interaction_p: ANCOVA of "
        f"{outcome} on the context"
        + (f" + {baseline}" if baseline else "")
        + "".join(f" + {c}" for c in covariates)
        + " (HC3)"
    )
    known = mask.notna() & y.notna()
    frame = pd.DataFrame({"y": y, _IN: mask.astype(float)})[known]
    n_in = int((frame[_IN] == 1).sum())
    n_out = int((frame[_IN] == 0).sum())
    row: dict[str, object] = dict.fromkeys(CONTRAST_COLUMNS, np.nan)
    row.update(n_in=n_in, n_out=n_out, method=method)
    notes = []
    unknown_context = int((mask.isna() & y.notna()).sum())
    if unknown_context:
        notes.append(f"{unknown_context} episode(s) with the context unknown left out")
    if y.notna().sum() == 0:
        stop = f"{outcome} is missing for every episode"
    elif min(n_in, n_out) < min_n:
        stop = f"too few: n_in = {n_in}, n_out = {n_out} (each needs {min_n})"
    elif frame["y"].nunique() < 2:
        stop = f"{outcome} does not vary: no comparison possible"
    else:
        stop = ""
    if stop:
        row["note"] = "; ".join([*notes, stop])
        return pd.DataFrame([row], columns=list(CONTRAST_COLUMNS))

    mean_in = float(frame.loc[frame[_IN] == 1, "y"].mean())
    mean_out = float(frame.loc[frame[_IN] == 0, "y"].mean())
    row.update(mean_in=mean_in, mean_out=mean_out)
    raw = linear_contrast(
        fit_ols_hc3(frame["y"], design_matrix(frame, [_IN], {})), pd.Series({_IN: 1.0})
    )
    row.update(  # the OLS slope on a 0/1 indicator is exactly mean_in - mean_out
        difference=mean_in - mean_out,
        ci_lower=raw["ci_lower"],
        ci_upper=raw["ci_upper"],
        p_value=raw["p_value"],
    )
    adjusted = frame.join(episodes[adjusters]).dropna()
    if len(adjusted) < len(frame):
        notes.append(f"{len(frame) - len(adjusted)} episode(s) with a missing adjuster left out")
    numeric = [c for c in adjusters if pd.api.types.is_numeric_dtype(episodes[c])]
    categorical = {c: adjusted[c].value_counts().idxmax() for c in adjusters if c not in numeric}
    X = design_matrix(adjusted, [_IN, *numeric], categorical)
    X = X.loc[:, (X.columns == "Intercept") | (X.nunique() > 1)]
    if _IN not in X.columns or len(adjusted) <= X.shape[1] + 1:
        notes.append("too few complete episodes for the adjusted model")
    else:
        fit = linear_contrast(fit_ols_hc3(adjusted["y"], X), pd.Series({_IN: 1.0}))
        row.update(
            interaction_p=fit["p_value"],
            adjusted_difference=fit["estimate"],
            adjusted_ci_lower=fit["ci_lower"],
            adjusted_ci_upper=fit["ci_upper"],
        )
    row["note"] = "; ".join(notes)
    return pd.DataFrame([row], columns=list(CONTRAST_COLUMNS))
