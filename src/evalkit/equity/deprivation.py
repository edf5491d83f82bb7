"""Equity: who the service reaches and how outcomes vary across deprivation.

Reach is compared with the local population by Index of Multiple Deprivation (IMD 2019)
quintile (quintile 1 = most deprived 20% of England's 32,844 LSOAs); the share of episodes from
the most deprived 20%, 30% and 35% is reported against service targets; outcomes are broken
down by quintile; and the gradient is summarised by the Slope Index of Inequality (SII) and the
Relative Index of Inequality (RII) with simulated 95% CIs, following the method of English public
health indicators (PHEindicatormethods ``phe_sii``; Low & Low 2004).

Episodes with no IMD recorded are never silently dropped: each table's ``note`` column (and
``attrs``) says how many were left out of the shares and why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from evalkit.errors import ConfigError, StatisticsError, ValidationError
from evalkit.stats.intervals import mean_ci, rate_ci, wilson_ci

__all__ = [
    "IMD_LSOA_COUNT",
    "MOST_DEPRIVED_GROUPS",
    "MostDeprivedGroup",
    "most_deprived_share",
    "outcome_by_imd_quintile",
    "reach_by_imd_quintile",
    "sii",
    "sii_for_outcome",
]

#: Number of LSOAs ranked by the English IMD 2019 (rank 1 = most deprived).
IMD_LSOA_COUNT = 32_844
_QUINTILES = (1, 2, 3, 4, 5)
_Z95 = float(stats.norm.ppf(0.975))
_SII_VALUE_TYPES = ("mean", "rate", "proportion")


@dataclass(frozen=True)
class MostDeprivedGroup:
    """A "most deprived X%" group and how episodes are assigned to it.

    An episode is in the group when ``column`` is at most ``max_value``.
    """

    percent: int
    definition: str
    column: str
    max_value: float


#: The most deprived 20%, 30% and 35% of England (service targets differ by area).
MOST_DEPRIVED_GROUPS = (
    MostDeprivedGroup(20, "IMD deciles 1-2", "imd_decile", 2),
    MostDeprivedGroup(30, "IMD deciles 1-3", "imd_decile", 3),
    MostDeprivedGroup(
        35,
        f"IMD rank up to {math.floor(0.35 * IMD_LSOA_COUNT):,} (35% of {IMD_LSOA_COUNT:,} LSOAs)",
        "imd_rank",
        math.floor(0.35 * IMD_LSOA_COUNT),
    ),
)


def _require(episodes: pd.DataFrame, column: str, purpose: str) -> None:
    if column not in episodes.columns:
        raise ValidationError(
            f"episode table has no column '{column}', needed for {purpose} "
            '(see docs/data-model.md, "The episode table").'
        )


def _quintiles(episodes: pd.DataFrame) -> pd.Series:
    """IMD quintile per episode (1-5, NA when not recorded), derived from deciles if needed."""
    if "imd_quintile" in episodes.columns:
        quintile = pd.to_numeric(episodes["imd_quintile"], errors="coerce")
        source = "imd_quintile"
    elif "imd_decile" in episodes.columns:
        quintile = np.ceil(pd.to_numeric(episodes["imd_decile"], errors="coerce") / 2)
        source = "imd_decile"
    else:
        raise ValidationError(
            "episode table has neither 'imd_quintile' nor 'imd_decile', needed for equity "
            "analysis by deprivation (see docs/data-model.md)."
        )
    quintile = quintile.astype("Float64")
    bad = quintile.notna() & ~quintile.isin(_QUINTILES)
    if bad.any():
        row = bad.idxmax()
        raise ValidationError(
            f"episode table row {row}, column '{source}': value {episodes[source].loc[row]} "
            "does not give an IMD quintile 1-5."
        )
    return quintile.astype("Int64")


def _not_recorded_note(missing: int, what: str) -> str | None:
    if missing == 0:
        return None
    return f"{missing} episode(s) with no {what} recorded are left out of these figures"


def _join(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return "; ".join(kept) if kept else None


def _population_shares(population_shares: Mapping[int, float] | pd.Series) -> np.ndarray:
    shares = {int(k): float(v) for k, v in dict(population_shares).items()}
    if sorted(shares) != list(_QUINTILES):
        raise ConfigError(
            f"population_imd_quintile_share needs exactly quintiles 1-5 (got {sorted(shares)})."
        )
    values = np.array([shares[q] for q in _QUINTILES])
    if (values < 0).any() or np.isnan(values).any() or abs(values.sum() - 1) > 0.01:
        raise ConfigError(
            f"population_imd_quintile_share must be shares from 0 to 1 summing to 1 (got {shares})."
        )
    return values


def reach_by_imd_quintile(
    episodes: pd.DataFrame, population_shares: Mapping[int, float] | pd.Series
) -> pd.DataFrame:
    """Share of episodes from each IMD quintile against the local population's share.

    Parameters
    ----------
    episodes : DataFrame
        Episode table with ``imd_quintile`` (or ``imd_decile``, from which it is derived).
    population_shares : mapping {1..5: share}
        Share of the local resident population living in each national IMD quintile, e.g.
        ``EvaluationConfig.population_imd_quintile_share``. Shares sum to 1.

    Returns
    -------
    DataFrame
        One row per quintile 1-5: ``quintile``, ``episodes``, ``share`` (of episodes with a
        recorded quintile), ``share_ci_lower``/``share_ci_upper`` (Wilson 95%),
        ``population_share``, ``ratio`` (share / population share: above 1 means the quintile is
        over-represented), ``ratio_ci_lower``/``ratio_ci_upper`` (the share's CI divided by the
        population share, which is treated as known), ``note``.

        ``attrs["chi_square"]`` holds the goodness-of-fit test of the episode counts against
        the population shares: a dict with ``statistic``, ``dof`` (4), ``p_value`` and ``note``.
        ``attrs["imd_not_recorded"]`` is the number of episodes left out for having no quintile.

    Raises
    ------
    ConfigError
        If the population shares are not quintiles 1-5 summing to 1.
    ValidationError
        If the table has no IMD column or holds a value that is not a quintile.

    Examples
    --------
    >>> episodes = pd.DataFrame({"imd_quintile": [1] * 40 + [2] * 20 + [3] * 20 + [4] * 10
    ...                                          + [5] * 10})
    >>> reach = reach_by_imd_quintile(episodes, {1: .2, 2: .2, 3: .2, 4: .2, 5: .2})
    >>> reach[["quintile", "episodes", "share", "ratio"]]
       quintile  episodes  share  ratio
    0         1        40    0.4    2.0
    1         2        20    0.2    1.0
    2         3        20    0.2    1.0
    3         4        10    0.1    0.5
    4         5        10    0.1    0.5
    >>> round(reach.attrs["chi_square"]["statistic"], 1)
    30.0
    """
    population = _population_shares(population_shares)
    quintile = _quintiles(episodes)
    missing = int(quintile.isna().sum())
    counts = quintile.value_counts().reindex(_QUINTILES, fill_value=0).to_numpy(int)
    total = int(counts.sum())
    lower, upper = wilson_ci(counts, np.full(5, total))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, counts / max(total, 1), np.nan)
        ratio = np.where(population > 0, share / population, np.nan)
        ratio_lower = np.where(population > 0, lower / population, np.nan)
        ratio_upper = np.where(population > 0, upper / population, np.nan)
    common = _not_recorded_note(missing, "IMD quintile")
    notes = [
        _join(
            "no episodes with a recorded IMD quintile" if total == 0 else None,
            "population share is 0, so no ratio" if p == 0 else None,
            common,
        )
        for p in population
    ]
    result = pd.DataFrame(
        {
            "quintile": list(_QUINTILES),
            "episodes": counts,
            "share": share,
            "share_ci_lower": lower,
            "share_ci_upper": upper,
            "population_share": population,
            "ratio": ratio,
            "ratio_ci_lower": ratio_lower,
            "ratio_ci_upper": ratio_upper,
            "note": pd.Series(notes, dtype="str"),
        }
    )
    result.attrs["chi_square"] = _goodness_of_fit(counts, population)
    result.attrs["imd_not_recorded"] = missing
    return result


def _goodness_of_fit(counts: np.ndarray, population: np.ndarray) -> dict[str, object]:
    total = counts.sum()
    expected = total * population / population.sum()
    if total == 0:
        return {"statistic": np.nan, "dof": 4, "p_value": np.nan, "note": "no episodes"}
    if (expected == 0).any():
        return {
            "statistic": np.nan,
            "dof": 4,
            "p_value": np.nan,
            "note": "a quintile has a population share of 0, so the test is undefined",
        }
    test = stats.chisquare(counts, expected)
    note = (
        "some expected counts are below 5, so the p-value is approximate"
        if (expected < 5).any()
        else None
    )
    return {
        "statistic": float(test.statistic),
        "dof": 4,
        "p_value": float(test.pvalue),
        "note": note,
    }


def most_deprived_share(episodes: pd.DataFrame) -> pd.DataFrame:
    """Share of episodes from the most deprived 20%, 30% and 35% of England.

    20% = IMD deciles 1-2, 30% = deciles 1-3, 35% = LSOA rank up to 0.35 × 32,844 = 11,495
    (a decile boundary cannot give 35%, so it needs ``imd_rank``).

    Parameters
    ----------
    episodes : DataFrame
        Episode table with ``imd_decile`` and, for the 35% group, ``imd_rank``.

    Returns
    -------
    DataFrame
        One row per group (:data:`MOST_DEPRIVED_GROUPS`): ``most_deprived_percent`` (20, 30,
        35), ``definition``, ``episodes`` (in the group), ``denominator`` (episodes with the
        needed IMD field recorded), ``share``, ``ci_lower``, ``ci_upper`` (Wilson 95%),
        ``note`` (why a share is NaN, how many episodes had no IMD field recorded).

    Examples
    --------
    >>> episodes = pd.DataFrame({"imd_decile": [1, 2, 3, 3, 5, 9, 10, 10],
    ...                          "imd_rank": [10, 5000, 7000, 9000, 14000, 29000, 31000, 32000]})
    >>> most_deprived_share(episodes)[["most_deprived_percent", "episodes", "share"]]
       most_deprived_percent  episodes  share
    0                     20         2   0.25
    1                     30         4   0.50
    2                     35         4   0.50
    """
    rows: list[tuple[MostDeprivedGroup, int, int, str | None]] = []
    for group in MOST_DEPRIVED_GROUPS:
        if group.column not in episodes.columns:
            rows.append((group, 0, 0, f"no {group.column} column, so this share is unknown"))
            continue
        values = pd.to_numeric(episodes[group.column], errors="coerce").astype("Float64")
        recorded = int(values.notna().sum())
        in_group = int((values <= group.max_value).fillna(False).sum())
        if recorded == 0:
            note: str | None = f"no episode has {group.column} recorded, so this share is unknown"
        else:
            note = _not_recorded_note(len(values) - recorded, group.column)
        rows.append((group, in_group, recorded, note))
    x = np.array([r[1] for r in rows], dtype=float)
    n = np.array([r[2] for r in rows], dtype=float)
    lower, upper = wilson_ci(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(n > 0, x / n, np.nan)
    return pd.DataFrame(
        {
            "most_deprived_percent": [r[0].percent for r in rows],
            "definition": pd.Series([r[0].definition for r in rows], dtype="str"),
            "episodes": x.astype(int),
            "denominator": n.astype(int),
            "share": share,
            "ci_lower": lower,
            "ci_upper": upper,
            "note": pd.Series([r[3] for r in rows], dtype="str"),
        }
    )


def _outcome_values(episodes: pd.DataFrame, outcome: str) -> tuple[pd.Series, str]:
    _require(episodes, outcome, f"outcomes by IMD quintile ('{outcome}')")
    column = episodes[outcome]
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("boolean").astype("Float64").astype(float), "proportion"
    if pd.api.types.is_numeric_dtype(column.dtype):
        return column.astype("Float64").astype(float), "mean"
    raise StatisticsError(
        f"outcome '{outcome}' holds {column.dtype} values; it must be true/false (reported as a "
        "proportion) or numeric (reported as a mean)."
    )


def _quintile_summary(episodes: pd.DataFrame, outcome: str) -> tuple[pd.DataFrame, str, int]:
    values, value_type = _outcome_values(episodes, outcome)
    quintile = _quintiles(episodes)
    frame = pd.DataFrame({"quintile": quintile, "value": values})
    missing_imd = int(quintile.isna().sum())
    grouped = frame.dropna(subset=["quintile"]).groupby("quintile")["value"]
    summary = grouped.agg(episodes="size", n="count", numerator="sum", sd="std")
    summary = summary.reindex(_QUINTILES).rename_axis("quintile").reset_index()
    summary[["episodes", "n", "numerator"]] = summary[["episodes", "n", "numerator"]].fillna(0)
    return summary, value_type, missing_imd


def outcome_by_imd_quintile(episodes: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """An outcome in each IMD quintile: a proportion (true/false column) or a mean (numeric).

    Parameters
    ----------
    episodes : DataFrame
        Episode table with ``imd_quintile`` (or ``imd_decile``) and the outcome column.
    outcome : str
        An episode-table column, e.g. ``quit_4wk_co`` (proportion) or ``wemwbs_change`` (mean).
        Episodes where it is missing (not applicable or not measured) are not in ``n``.

    Returns
    -------
    DataFrame
        One row per quintile 1-5: ``quintile``, ``episodes`` (in the quintile), ``n`` (with the
        outcome recorded), ``numerator`` (episodes meeting it, or the sum of values for a mean),
        ``value`` (proportion or mean), ``ci_lower``, ``ci_upper`` (Wilson or Student's t, 95%),
        ``value_type`` ("proportion" or "mean"), ``note``.

    Raises
    ------
    ValidationError
        If the outcome or IMD column is missing.
    StatisticsError
        If the outcome is neither true/false nor numeric.

    Examples
    --------
    >>> episodes = pd.DataFrame({"imd_quintile": [1, 1, 1, 2, 2, 3, 4, 5],
    ...     "quit": pd.array([True, False, None, True, True, False, True, True],
    ...                      dtype="boolean")})
    >>> outcome_by_imd_quintile(episodes, "quit")[["quintile", "n", "numerator", "value"]]
       quintile  n  numerator  value
    0         1  2        1.0    0.5
    1         2  2        2.0    1.0
    2         3  1        0.0    0.0
    3         4  1        1.0    1.0
    4         5  1        1.0    1.0
    """
    summary, value_type, missing_imd = _quintile_summary(episodes, outcome)
    n = summary["n"].to_numpy(float)
    numerator = summary["numerator"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, numerator / n, np.nan)
    if value_type == "proportion":
        lower, upper = wilson_ci(numerator, n)
        single = np.zeros(5, bool)
    else:
        sd = summary["sd"].to_numpy(float)
        lower, upper = mean_ci(value, np.where(n >= 2, sd, 0.0), n)
        single = n == 1
    common = _not_recorded_note(missing_imd, "IMD quintile")
    notes = [
        _join(
            f"no episodes with {outcome} recorded" if k == 0 else None,
            "only one value, so no confidence interval" if one else None,
            common,
        )
        for k, one in zip(n, single, strict=True)
    ]
    return pd.DataFrame(
        {
            "quintile": list(_QUINTILES),
            "episodes": summary["episodes"].to_numpy(int),
            "n": n.astype(int),
            "numerator": numerator,
            "value": value,
            "ci_lower": lower,
            "ci_upper": upper,
            "value_type": value_type,
            "note": pd.Series(notes, dtype="str"),
        }
    )


def _standard_errors(
    values: np.ndarray,
    populations: np.ndarray,
    counts: np.ndarray | None,
    standard_errors: np.ndarray | None,
    value_type: str,
) -> tuple[np.ndarray | None, str | None]:
    """Per-quantile SE on the simulation scale (log for rates, logit for proportions)."""
    if standard_errors is not None:
        if np.isnan(standard_errors).any() or (standard_errors < 0).any():
            return None, "a standard error is missing or negative, so no confidence interval"
        return standard_errors, None
    if value_type == "mean" or counts is None:
        return None, (
            "no standard errors given (pass standard_errors, or counts for a rate or "
            "proportion), so no confidence interval"
        )
    if value_type == "proportion":
        if ((counts <= 0) | (counts >= populations)).any():
            return None, (
                "a quantile has a proportion of 0 or 1, which has no logit standard error, so "
                "no confidence interval"
            )
        lower, upper = wilson_ci(counts, populations, 0.95)
        transform: Callable[[np.ndarray], np.ndarray] = _logit
    else:
        if (counts <= 0).any():
            return None, "a quantile has a count of 0, which has no log standard error"
        lower, upper = rate_ci(counts, populations, multiplier=1, confidence=0.95)
        transform = np.log
    # counts is an array, so the interval bounds are arrays too
    return (transform(np.asarray(upper)) - transform(np.asarray(lower))) / (2 * _Z95), None


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1 - p))


_TO_SIMULATION_SCALE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda v: v,
    "rate": np.log,
    "proportion": _logit,
}
_FROM_SIMULATION_SCALE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda v: v,
    "rate": np.exp,
    "proportion": lambda v: 1 / (1 + np.exp(-v)),
}


def _simulate(
    values: np.ndarray,
    se: np.ndarray,
    design: np.ndarray,
    value_type: str,
    confidence: float,
    reps: int,
    seed: int | None,
) -> tuple[float, float, float, float]:
    """PHE simulation: draw quantile values ~ N(value, SE), refit, take percentiles."""
    rng = np.random.default_rng(seed)
    solver = np.linalg.solve(design.T @ design, design.T)  # (X'X)^-1 X', shape 2 × k
    centre = _TO_SIMULATION_SCALE[value_type](values)
    back = _FROM_SIMULATION_SCALE[value_type]
    slopes, riis = [], []
    for start in range(0, reps, 10_000):
        size = min(10_000, reps - start)
        draws = back(rng.normal(centre, se, size=(size, len(values))))
        params = (draws * design[:, 0]) @ solver.T
        slopes.append(params[:, 1])
        with np.errstate(divide="ignore", invalid="ignore"):
            riis.append((params[:, 0] + params[:, 1]) / params[:, 0])
    upper_probability = confidence + (1 - confidence) / 2
    low = int(np.round(reps * (1 - upper_probability))) - 1
    high = int(np.round(reps * upper_probability)) - 1
    slope = np.sort(np.concatenate(slopes))
    rii = np.sort(np.concatenate(riis))
    return slope[low], slope[high], rii[low], rii[high]


def sii(
    values: ArrayLike,
    populations: ArrayLike,
    *,
    counts: ArrayLike | None = None,
    value_type: str = "mean",
    confidence: float = 0.95,
    reps: int = 100_000,
    seed: int | None = None,
    standard_errors: ArrayLike | None = None,
) -> pd.DataFrame:
    """Slope and Relative Index of Inequality with simulated confidence intervals.

    Parameters
    ----------
    values : array-like
        Indicator value per quantile, ordered from MOST to LEAST deprived (5-100 quantiles).
    populations : array-like
        Population (denominator) per quantile; its shares set each quantile's relative rank.
    counts : array-like, optional
        Numerator per quantile, for ``value_type`` "rate" or "proportion": used to derive the
        standard errors when ``standard_errors`` is not given.
    value_type : {"mean", "rate", "proportion"}
        "rate" and "proportion" are simulated on the log and logit scale respectively.
    confidence : float, default 0.95
        Confidence level of the simulated CI.
    reps : int, default 100,000
        Simulations (at least 1,000).
    seed : int, optional
        Random seed, for reproducible CIs.
    standard_errors : array-like, optional
        Standard error per quantile. For "rate"/"proportion" they are on the log/logit scale,
        as in PHEindicatormethods.

    Returns
    -------
    DataFrame
        One row: ``sii``, ``rii``, ``sii_lower``, ``sii_upper``, ``rii_lower``, ``rii_upper``,
        ``quantiles``, ``value_type``, ``confidence``, ``reps``, ``note`` (why a value is NaN).
        SII is the modelled difference from the most to the least deprived end (positive: the
        value rises as deprivation falls); RII is the ratio least/most deprived end.

    Raises
    ------
    StatisticsError
        For mismatched lengths, fewer than 5 or more than 100 quantiles, a negative population,
        an unknown value type, a proportion outside 0-1, or ``reps`` below 1,000.

    Notes
    -----
    Each quantile's share :math:`a_i` of the total population and relative rank :math:`b_i`
    (cumulative share at its midpoint) enter the no-intercept regression
    :math:`\\sqrt{a}\\,Y = \\beta_0\\sqrt{a} + \\beta_1 b\\sqrt{a}`; SII :math:`= \\beta_1` and
    RII :math:`= (\\beta_0 + \\beta_1)/\\beta_0`. The CI redraws each :math:`Y_i` from
    :math:`N(Y_i, SE_i)` (on the log/logit scale for rates/proportions, with
    :math:`SE = (\\ln U - \\ln L)/(2 \\times 1.96)` from the 95% Byar's/exact or Wilson limits),
    refits, and takes the percentiles, as PHEindicatormethods ``phe_sii`` does.

    References
    ----------
    Low A, Low A (2004). Measuring the gap: quantifying and comparing local health
    inequalities. *J Public Health* 26:388-395.

    Examples
    --------
    >>> result = sii([70, 72, 74, 76, 78], [100] * 5)
    >>> result[["sii", "rii"]].round(4)
        sii     rii
    0  10.0  1.1449
    >>> result["note"].iat[0]
    'no standard errors given (pass standard_errors, or counts for a rate or proportion), so no confidence interval'
    """  # noqa: E501
    if value_type not in _SII_VALUE_TYPES:
        raise StatisticsError(
            f"value_type {value_type!r} is not one of {', '.join(_SII_VALUE_TYPES)}."
        )
    if not 0 < confidence < 1:
        raise StatisticsError(f"confidence must be between 0 and 1 (got {confidence!r}).")
    if reps < 1000:
        raise StatisticsError(f"reps must be at least 1,000 (got {reps}); the default is 100,000.")
    y = np.asarray(values, dtype=float).ravel()
    pops = np.asarray(populations, dtype=float).ravel()
    arrays = {"populations": pops}
    if counts is not None:
        arrays["counts"] = np.asarray(counts, dtype=float).ravel()
    if standard_errors is not None:
        arrays["standard_errors"] = np.asarray(standard_errors, dtype=float).ravel()
    for name, array in arrays.items():
        if len(array) != len(y):
            raise StatisticsError(
                f"{name} has {len(array)} entries but values has {len(y)}; give one per quantile."
            )
    if not 5 <= len(y) <= 100:
        raise StatisticsError(
            f"the SII needs 5 to 100 quantiles ordered most to least deprived (got {len(y)})."
        )
    if (pops < 0).any():
        raise StatisticsError(f"populations must be zero or more (got {pops[pops < 0][0]:g}).")
    if value_type == "proportion" and ((y < 0) | (y > 1)).any():
        raise StatisticsError("proportion values must lie between 0 and 1.")
    if value_type == "rate" and (y < 0).any():
        raise StatisticsError("rate values must be zero or more.")

    def result(**numbers: float | str | None) -> pd.DataFrame:
        row: dict[str, float | str | None] = {
            name: np.nan for name in ("sii", "rii", "sii_lower", "sii_upper")
        }
        row |= {"rii_lower": np.nan, "rii_upper": np.nan}
        row |= {k: v for k, v in numbers.items() if k != "note"}
        row |= {"quantiles": len(y), "value_type": value_type, "confidence": confidence}
        row |= {"reps": reps}
        frame = pd.DataFrame([row])
        frame["note"] = pd.Series([numbers.get("note")], dtype="str")
        return frame

    empty = np.flatnonzero(np.isnan(pops) | (pops == 0))
    if empty.size:
        return result(note=f"quantile {empty[0] + 1} has no population, so no SII")
    missing = np.flatnonzero(np.isnan(y))
    if missing.size:
        return result(note=f"quantile {missing[0] + 1} has no value, so no SII")

    share = pops / pops.sum()
    rank = np.cumsum(share) - share / 2
    design = np.column_stack([np.sqrt(share), rank * np.sqrt(share)])
    (intercept, slope), *_ = np.linalg.lstsq(design, y * np.sqrt(share), rcond=None)
    rii = (intercept + slope) / intercept if intercept != 0 else np.nan
    notes = [
        "the fitted value at the most deprived end is 0, so no RII" if intercept == 0 else None
    ]
    se, se_note = _standard_errors(
        y,
        pops,
        arrays.get("counts"),
        arrays.get("standard_errors"),
        value_type,
    )
    limits = {}
    if se is None:
        notes.append(se_note)
    else:
        sii_lo, sii_hi, rii_lo, rii_hi = _simulate(
            y, se, design, value_type, confidence, reps, seed
        )
        limits = {"sii_lower": sii_lo, "sii_upper": sii_hi}
        if intercept != 0:
            limits |= {"rii_lower": rii_lo, "rii_upper": rii_hi}
    return result(sii=slope, rii=rii, **limits, note=_join(*notes))


def sii_for_outcome(
    episodes: pd.DataFrame,
    outcome: str,
    *,
    confidence: float = 0.95,
    reps: int = 100_000,
    seed: int | None = None,
) -> pd.DataFrame:
    """SII and RII of an episode outcome across IMD quintiles (1 = most deprived).

    Builds per-quintile values from :func:`outcome_by_imd_quintile` and calls :func:`sii`: a
    true/false outcome is a proportion with standard errors from the Wilson limits (logit
    scale); a numeric outcome is a mean with standard error ``sd / sqrt(n)``. Each quintile is
    weighted by its number of episodes with the outcome recorded, so the relative rank is among
    the service's own clients.

    Returns
    -------
    DataFrame
        One row: ``outcome`` followed by the columns of :func:`sii`.

    Examples
    --------
    >>> episodes = pd.DataFrame({"imd_quintile": np.repeat([1, 2, 3, 4, 5], 20),
    ...                          "wemwbs_change": np.tile(np.arange(20.0), 5)
    ...                                           + np.repeat([0, 1, 2, 3, 4], 20)})
    >>> out = sii_for_outcome(episodes, "wemwbs_change", reps=1000, seed=1)
    >>> out[["outcome", "sii"]].round(4)
             outcome  sii
    0  wemwbs_change  5.0
    """
    summary, value_type, _ = _quintile_summary(episodes, outcome)
    n = summary["n"].to_numpy(float)
    numerator = summary["numerator"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(n > 0, numerator / n, np.nan)
        standard_errors = (
            summary["sd"].to_numpy(float) / np.sqrt(n) if value_type == "mean" else None
        )
    if standard_errors is not None and np.isnan(standard_errors).any():
        standard_errors = None
    result = sii(
        values,
        n,
        counts=numerator if value_type == "proportion" else None,
        value_type=value_type,
        confidence=confidence,
        reps=reps,
        seed=seed,
        standard_errors=standard_errors,
    )
    empty = np.flatnonzero(n == 0)
    if empty.size:
        note = f"quintile {empty[0] + 1} has no episodes with {outcome} recorded, so no SII"
    elif value_type == "mean" and standard_errors is None:
        note = (
            f"a quintile has fewer than 2 values of {outcome}, so no standard error and no "
            "confidence interval"
        )
    else:
        note = result["note"].iat[0]
    result["note"] = pd.Series([note], dtype="str")
    result.insert(0, "outcome", outcome)
    return result
