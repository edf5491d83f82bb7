"""Who was followed up: follow-up rates by group and completers vs lost-to-follow-up balance.

Examples
--------
>>> import pandas as pd
>>> participants = pd.DataFrame({"client_id": ["a", "b", "c", "d"],
...                              "sex": ["female", "female", "male", "male"]})
>>> scored = pd.DataFrame({
...     "client_id": ["a", "a", "b", "c", "c", "d"],
...     "timepoint": ["baseline", "exit", "baseline", "baseline", "exit", "baseline"],
...     "wemwbs_total": [40.0, 45.0, 38.0, 50.0, 52.0, 41.0]})
>>> table = attrition(participants, scored, "wemwbs_total", characteristics=["sex"])
>>> table[["characteristic", "level", "n_baseline", "n_followed_up", "followup_rate"]]
             characteristic   level  n_baseline  n_followed_up  followup_rate
0                   overall     all           4              2            0.5
1  wemwbs_total at baseline    mean           4              2            0.5
2                       sex  female           2              1            0.5
3                       sex    male           2              1            0.5
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from evalkit.errors import StatisticsError
from evalkit.outcomes.pairing import pair_timepoints, require_columns
from evalkit.stats import wilson_ci

__all__ = [
    "ATTRITION_COLUMNS",
    "DEFAULT_CHARACTERISTICS",
    "attrition",
    "standardised_mean_difference",
]

#: Categorical characteristics compared by default (columns of the participants table).
DEFAULT_CHARACTERISTICS = ("provider", "site", "imd_quintile", "age_band", "sex", "ethnicity")

#: Columns returned by :func:`attrition`.
ATTRITION_COLUMNS = (
    "characteristic",
    "level",
    "n_baseline",
    "n_followed_up",
    "followup_rate",
    "ci_lower",
    "ci_upper",
    "summary",
    "completers_value",
    "lost_value",
    "smd",
    "note",
)

MISSING_LEVEL = "missing"


def standardised_mean_difference(group: pd.Series, other: pd.Series, binary: bool = False) -> float:
    """Standardised difference between two groups (``group`` minus ``other``).

    Parameters
    ----------
    group, other : Series
        Values in each group (missing values are ignored). For ``binary=True`` they are 0/1
        indicators.
    binary : bool
        Use the formula for a proportion.

    Returns
    -------
    float
        NaN when either group is empty or neither group varies (denominator 0).

    Notes
    -----
    Continuous: :math:`(\\bar x_1 - \\bar x_2) / \\sqrt{(s_1^2 + s_2^2)/2}`; binary:
    :math:`(p_1 - p_2) / \\sqrt{(p_1(1-p_1) + p_2(1-p_2))/2}` (Austin 2009, *Stat Med*
    28:3083-3107). An absolute value above 0.1 is commonly read as a meaningful imbalance.

    Examples
    --------
    >>> round(standardised_mean_difference(pd.Series([1, 1, 0, 0]), pd.Series([1, 0, 0, 0]),
    ...                                    binary=True), 4)
    0.5345
    """
    a = group.dropna().astype(float)
    b = other.dropna().astype(float)
    if a.empty or b.empty:
        return np.nan
    p1, p2 = a.mean(), b.mean()
    if binary:
        pooled = (p1 * (1 - p1) + p2 * (1 - p2)) / 2
    else:
        v1 = a.var(ddof=1) if len(a) > 1 else np.nan
        v2 = b.var(ddof=1) if len(b) > 1 else np.nan
        pooled = (v1 + v2) / 2
    if not np.isfinite(pooled) or pooled == 0:
        return np.nan
    return float((p1 - p2) / np.sqrt(pooled))


def _comparison(values: pd.Series, followed: pd.Series, binary: bool) -> dict[str, object]:
    completers, lost = values[followed].dropna(), values[~followed].dropna()
    smd = standardised_mean_difference(completers, lost, binary=binary)
    if completers.empty:
        note = "nobody was followed up: no comparison possible"
    elif lost.empty:
        note = "nobody was lost to follow-up: no comparison possible"
    elif np.isnan(smd):
        note = "too few clients or no variation: standardised difference undefined"
    else:
        note = ""
    return {
        "completers_value": float(completers.mean()) if len(completers) else np.nan,
        "lost_value": float(lost.mean()) if len(lost) else np.nan,
        "smd": smd,
        "note": note,
    }


def _rate(in_group: pd.Series, followed: pd.Series, confidence: float) -> dict[str, object]:
    total = int(in_group.sum())
    count = int((followed & in_group).sum())
    low, high = wilson_ci(count, total, confidence)
    rate = count / total if total else np.nan
    return {
        "n_baseline": total,
        "n_followed_up": count,
        "followup_rate": rate,
        "ci_lower": low,
        "ci_upper": high,
    }


def _ordered_levels(values: pd.Series) -> list[object]:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return list(values.cat.categories)
    present = values.dropna().unique().tolist()
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


def attrition(
    participants: pd.DataFrame,
    scored: pd.DataFrame,
    measure: str,
    baseline: str = "baseline",
    followup: str = "exit",
    *,
    characteristics: Sequence[str] = DEFAULT_CHARACTERISTICS,
    continuous: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Follow-up rates overall and by group, and how completers differ from those lost.

    The cohort is every client with a ``measure`` score at ``baseline``; a client is *followed
    up* when they also have a score at ``followup``.

    Parameters
    ----------
    participants : DataFrame
        One row per client with ``client_id`` and the characteristic columns
        (``ev.participants``; the episode table has them too).
    scored : DataFrame
        The episode table (``ev.episodes``, with ``<measure>_<baseline>`` and
        ``<measure>_<followup>`` columns) or the long scored table (``client_id``,
        ``timepoint``, ``measure``); see :func:`~evalkit.outcomes.pairing.pair_timepoints`.
    measure : str
        The score: ``"wemwbs"`` (episode-table stem) or ``"wemwbs_total"`` (score column).
    baseline, followup : str
        Timepoints.
    characteristics : sequence of str
        Categorical columns of ``participants`` to break the rate down by. Missing values form
        a level called ``"missing"``.
    continuous : sequence of str, optional
        Numeric columns of ``participants`` compared by mean; default ``("age",)`` when the
        table has an ``age`` column, else none. The baseline score is always compared.
    confidence : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        :data:`ATTRITION_COLUMNS`. Row ``characteristic="overall"`` first, then one
        ``summary="mean"`` row per continuous variable (``completers_value`` / ``lost_value``
        are group means; ``n_baseline`` counts clients with the value recorded), then one
        ``summary="share"`` row per level of each characteristic (``completers_value`` /
        ``lost_value`` are the shares of completers and of lost clients in that level, and
        ``followup_rate`` is the rate within the level). ``smd`` is completers minus lost
        (:func:`standardised_mean_difference`).

    Raises
    ------
    StatisticsError
        If a column is missing, ``participants`` repeats a ``client_id``, or a scored client is
        not in ``participants``.

    Examples
    --------
    >>> import pandas as pd
    >>> participants = pd.DataFrame({"client_id": ["a", "b"], "age": [30, 50]})
    >>> scored = pd.DataFrame({"client_id": ["a", "a", "b"],
    ...                        "timepoint": ["baseline", "exit", "baseline"],
    ...                        "phq9_total": [12.0, 6.0, 15.0]})
    >>> attrition(participants, scored, "phq9_total", characteristics=[])["level"].tolist()
    ['all', 'mean', 'mean']
    >>> episodes = pd.DataFrame({"client_id": ["a", "b"], "phq9_baseline": [12.0, 15.0],
    ...                          "phq9_exit": [6.0, None]})
    >>> attrition(participants, episodes, "phq9", characteristics=[])["followup_rate"].tolist()
    [0.5, 0.5, 0.5]
    """
    if continuous is None:
        continuous = ("age",) if "age" in participants.columns else ()
    require_columns(
        participants,
        {
            "client_id": "links each client to their scores",
            **dict.fromkeys(characteristics, "a characteristic to break the follow-up rate by"),
            **dict.fromkeys(continuous, "a numeric characteristic to compare by mean"),
        },
        "participants",
    )
    repeated = participants["client_id"].duplicated()
    if repeated.any():
        raise StatisticsError(
            f"participants: client_id '{participants.loc[repeated, 'client_id'].iloc[0]}' "
            "appears more than once; attrition needs one row per client."
        )
    pairs = pair_timepoints(scored, measure, baseline, followup)
    unknown = ~pairs["client_id"].isin(participants["client_id"])
    if unknown.any():
        raise StatisticsError(
            f"scored: {int(unknown.sum())} client(s) are not in participants (first: "
            f"'{pairs.loc[unknown, 'client_id'].iloc[0]}'); their characteristics are unknown."
        )
    cohort = pairs.loc[pairs["baseline"].notna()].merge(
        participants[["client_id", *characteristics, *continuous]], on="client_id", how="left"
    )
    followed = cohort["followup"].notna()
    everyone = pd.Series(True, index=cohort.index)
    no_baseline = int((pairs["baseline"].isna() & pairs["followup"].notna()).sum())
    overall_note = (
        f"{no_baseline} client(s) with a {followup} score but no {baseline} score are outside "
        "this cohort"
        if no_baseline
        else ""
    )
    if cohort.empty:
        overall_note = f"no client has a {baseline} {measure} score"
    rows = [
        {
            "characteristic": "overall",
            "level": "all",
            "summary": "share",
            **_rate(everyone, followed, confidence),
            "note": overall_note,
        }
    ]
    numeric = {f"{measure} at {baseline}": cohort["baseline"]}
    numeric.update({c: pd.to_numeric(cohort[c], errors="raise") for c in continuous})
    for name, values in numeric.items():
        row = {
            "characteristic": name,
            "level": "mean",
            "summary": "mean",
            **_rate(values.notna(), followed, confidence),
            **_comparison(values.astype(float), followed, binary=False),
        }
        if not values.notna().any():
            row["note"] = f"{name} is not recorded for anyone in the cohort"
        rows.append(row)
    for column in characteristics:
        masks = {str(level): cohort[column] == level for level in _ordered_levels(cohort[column])}
        if cohort[column].isna().any():
            masks[MISSING_LEVEL] = cohort[column].isna()
        for level, mask in masks.items():
            mask = mask.fillna(False).astype(bool)
            row = {
                "characteristic": column,
                "level": level,
                "summary": "share",
                **_rate(mask, followed, confidence),
                **_comparison(mask.astype(float), followed, binary=True),
            }
            if not mask.any():
                row["note"] = "no clients with a baseline score in this group"
            rows.append(row)
    return pd.DataFrame(rows, columns=list(ATTRITION_COLUMNS))
