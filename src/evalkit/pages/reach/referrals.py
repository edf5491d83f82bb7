"""Who was referred and who started: breakdowns, the target deprivation share and quarterly trend.

Every table counts episodes (referrals) and starts, with the Wilson 95% interval of the start
rate (:func:`evalkit.stats.wilson_ci`). Missing values are a "Not recorded" group, never dropped.
A programme strand is a ``;``-separated list, so an episode counts once in each strand it joined
and strand shares add up to more than 100%.

Examples
--------
>>> episodes = pd.DataFrame({"site": ["North", "North", "South"],
...                          "started": [True, False, True]})
>>> referrals_by(episodes, "site")[["label", "referrals", "started", "start_rate"]].round(2)
   label  referrals  started  start_rate
0  North          2        1        0.50
1  South          1        1        1.00
2  Total          3        2        0.67
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, ValidationError
from evalkit.kpi import rag_status
from evalkit.present.labels import (
    NOT_RECORDED,
    column_label,
    label_values,
    period_label,
    value_order,
)
from evalkit.stats import wilson_ci

__all__ = [
    "BREAKDOWN_COLUMNS",
    "DEMOGRAPHIC_COLUMNS",
    "MULTI_VALUE_SEPARATORS",
    "REFERRAL_COLUMNS",
    "TARGET_SHARE_COLUMNS",
    "TOTAL_LABEL",
    "TREND_COLUMNS",
    "referral_profile",
    "referral_trend",
    "referrals_by",
    "target_share",
]

#: Service characteristics the reach page breaks referrals down by.
BREAKDOWN_COLUMNS = ("provider", "site", "strands", "referral_source", "delivery_mode")
#: Characteristics of the people referred.
DEMOGRAPHIC_COLUMNS = ("age_band", "sex", "ethnicity", "disability", "imd_quintile")
#: Columns holding a list of values in one cell, and their separator.
MULTI_VALUE_SEPARATORS: Mapping[str, str] = {"strands": ";"}
#: Label of the total row of :func:`referrals_by` (a total label
#: :mod:`evalkit.disclosure.suppression` knows).
TOTAL_LABEL = "Total"

#: Columns of :func:`referrals_by` and :func:`referral_profile`.
REFERRAL_COLUMNS = [
    "characteristic",
    "characteristic_label",
    "group",
    "label",
    "referrals",
    "started",
    "not_started",
    "share",
    "start_rate",
    "start_ci_lower",
    "start_ci_upper",
]
#: Columns of :func:`referral_trend`.
TREND_COLUMNS = [
    "period",
    "period_label",
    "referrals",
    "started",
    "imd_recorded",
    "most_deprived",
    "most_deprived_share",
    "ci_lower",
    "ci_upper",
    "note",
]
#: Columns of :func:`target_share`.
TARGET_SHARE_COLUMNS = [
    "quintiles",
    "description",
    "episodes",
    "denominator",
    "share",
    "ci_lower",
    "ci_upper",
    "target",
    "rag",
    "note",
]


def _require(episodes: pd.DataFrame, columns: Sequence[str], purpose: str) -> None:
    missing = [c for c in columns if c not in episodes.columns]
    if missing:
        raise ValidationError(
            f"episode table has no column '{missing[0]}', needed for {purpose} "
            '(see docs/data-model.md, "The episode table").'
        )


def _started(episodes: pd.DataFrame) -> pd.Series:
    """Started flag; an episode with no start recorded counts as not started."""
    return episodes["started"].astype("boolean").fillna(False).astype(bool)


def _values(episodes: pd.DataFrame, column: str) -> pd.DataFrame:
    """One row per episode and value (several for a multi-value column), keeping missing."""
    frame = pd.DataFrame(
        {"episode": np.arange(len(episodes)), "value": episodes[column].to_numpy(object)}
    )
    separator = MULTI_VALUE_SEPARATORS.get(column)
    if separator is None:
        return frame

    def split(v: object) -> list[str | None]:
        if not isinstance(v, str):
            return [None]
        return list(sorted({p.strip() for p in v.split(separator) if p.strip()})) or [None]

    # Split each distinct value once (a few dozen combinations), not every episode's: a
    # Python call per episode was 1.1 s of the section at 300,000 episodes.
    codes, distinct = pd.factorize(frame["value"])  # missing: -1, the last entry below
    split_values = np.empty(len(distinct) + 1, dtype=object)
    for i, value in enumerate([*distinct, None]):
        split_values[i] = split(value)
    return frame.assign(value=split_values[codes]).explode("value", ignore_index=True)


def referrals_by(episodes: pd.DataFrame, column: str, *, total: bool = True) -> pd.DataFrame:
    """Referrals and starts in each group of one characteristic.

    Parameters
    ----------
    episodes : DataFrame
        The episode table: ``column`` and ``started``.
    column : str
        E.g. ``provider``, ``site``, ``strands``, ``referral_source``, ``delivery_mode``,
        ``age_band``, ``imd_quintile``. A column in :data:`MULTI_VALUE_SEPARATORS` is split, so
        an episode counts in every group it lists.
    total : bool, default True
        Add a last row for all episodes, labelled :data:`TOTAL_LABEL` (its ``group`` is None).

    Returns
    -------
    DataFrame
        Columns :data:`REFERRAL_COLUMNS`, one row per group in report order
        (:func:`evalkit.present.labels.value_order`; "Not recorded" last): ``characteristic`` (the
        column), ``characteristic_label``, ``group`` (the code, None when not recorded),
        ``label``, ``referrals``, ``started``, ``not_started``, ``share`` (of all episodes),
        ``start_rate`` (started / referrals) with its Wilson 95% ``start_ci_lower`` and
        ``start_ci_upper``.

    Raises
    ------
    ValidationError
        If ``column`` or ``started`` is not in the episode table.

    Examples
    --------
    >>> episodes = pd.DataFrame({"strands": ["smoking;weight", "weight", None],
    ...                          "started": [True, True, False]})
    >>> referrals_by(episodes, "strands")[["label", "referrals", "share"]].round(3)
                   label  referrals  share
    0       Stop smoking          1  0.333
    1  Weight management          2  0.667
    2       Not recorded          1  0.333
    3              Total          3  1.000
    """
    _require(episodes, [column, "started"], f"referrals by {column}")
    started = _started(episodes).to_numpy()
    rows = _values(episodes, column)
    order = value_order(column, rows["value"])
    groups = []
    for code in order:
        in_group = rows["value"].isna() if code is None else rows["value"] == code
        members = rows.loc[in_group, "episode"].to_numpy()
        groups.append((code, len(members), int(started[members].sum())))
    if total:
        groups.append((None, len(episodes), int(started.sum())))
    referrals = np.array([g[1] for g in groups], dtype=int)
    starts = np.array([g[2] for g in groups], dtype=int)
    lower, upper = wilson_ci(starts, referrals)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(referrals > 0, starts / np.maximum(referrals, 1), np.nan)
        share = referrals / len(episodes) if len(episodes) else np.full(len(groups), np.nan)
    codes = [g[0] for g in groups]
    labels = label_values(pd.Series(codes[: len(order)], dtype=object), column).tolist()
    return pd.DataFrame(
        {
            "characteristic": column,
            "characteristic_label": column_label(column),
            "group": pd.Series(codes, dtype=object),
            "label": pd.Series(labels + [TOTAL_LABEL] * total, dtype="str"),
            "referrals": referrals,
            "started": starts,
            "not_started": referrals - starts,
            "share": share,
            "start_rate": rate,
            "start_ci_lower": lower,
            "start_ci_upper": upper,
        }
    )


def referral_profile(
    episodes: pd.DataFrame, columns: Sequence[str] = DEMOGRAPHIC_COLUMNS
) -> pd.DataFrame:
    """:func:`referrals_by` for several characteristics, stacked (no total rows).

    Returns
    -------
    DataFrame
        Columns :data:`REFERRAL_COLUMNS`; within each characteristic the shares add up to 1
        (more for a multi-value column).

    Examples
    --------
    >>> episodes = pd.DataFrame({"sex": ["female", "male", "female"],
    ...                          "disability": ["no", "yes", None], "started": [True] * 3})
    >>> referral_profile(episodes, ["sex", "disability"])[["characteristic_label", "label",
    ...                                                    "referrals"]]
      characteristic_label         label  referrals
    0                  Sex        Female          2
    1                  Sex          Male          1
    2           Disability      Disabled          1
    3           Disability  Not disabled          1
    4           Disability  Not recorded          1
    """
    frames = [referrals_by(episodes, column, total=False) for column in columns]
    return pd.concat(frames, ignore_index=True)


def _quintile(episodes: pd.DataFrame) -> pd.Series:
    _require(episodes, ["imd_quintile"], "the most deprived share")
    quintile = pd.to_numeric(episodes["imd_quintile"], errors="coerce").astype("Float64")
    bad = quintile.notna() & ~quintile.isin([1, 2, 3, 4, 5])
    if bad.any():
        row = bad.to_numpy().argmax()
        raise ValidationError(
            f"episode table row {row}, column 'imd_quintile': value "
            f"{episodes['imd_quintile'].iloc[row]!r} is not an IMD quintile 1-5."
        )
    return quintile


def _target_quintiles(target: Mapping[str, object]) -> tuple[list[int], float]:
    where = "evaluation.yml target_most_deprived"
    if not isinstance(target, Mapping) or "quintiles" not in target or "share" not in target:
        raise ConfigError(f"{where}: expected {{quintiles: [1], share: 0.35}} (got {target!r}).")
    given = target["quintiles"]
    if not isinstance(given, int | Iterable):
        raise ConfigError(
            f"{where}: quintiles must be a list of IMD quintiles 1-5 (got {given!r})."
        )
    quintiles = [given] if isinstance(given, int) else list(given)
    if not quintiles or any(q not in (1, 2, 3, 4, 5) for q in quintiles):
        raise ConfigError(
            f"{where}: quintiles must be a list of IMD quintiles 1-5 (got {quintiles})."
        )
    share = target["share"]
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        raise ConfigError(
            f"{where}: share must be a fraction above 0 and at most 1 (got {share!r}; write 35% "
            "as 0.35)."
        )
    return sorted(set(quintiles)), float(share)


def _describe(quintiles: list[int]) -> str:
    if quintiles == list(range(1, len(quintiles) + 1)):
        names = "quintile 1" if len(quintiles) == 1 else f"quintiles 1 to {quintiles[-1]}"
        return f"IMD {names} (the most deprived {20 * len(quintiles)}% of England)"
    return "IMD quintiles " + ", ".join(map(str, quintiles))


def target_share(episodes: pd.DataFrame, target: Mapping[str, object]) -> pd.DataFrame:
    """Share of episodes from the service's target IMD quintiles, against its target share.

    Parameters
    ----------
    episodes : DataFrame
        Episode table with ``imd_quintile``.
    target : mapping
        ``EvaluationConfig.target_most_deprived``: ``{"quintiles": [1], "share": 0.35}``.

    Returns
    -------
    DataFrame
        One row, columns :data:`TARGET_SHARE_COLUMNS`: ``quintiles`` (e.g. "1"),
        ``description``, ``episodes`` (in those quintiles), ``denominator`` (episodes with a
        quintile recorded), ``share`` with Wilson 95% ``ci_lower``/``ci_upper``, ``target``,
        ``rag`` (as for a KPI with direction "higher": green met, amber missed within the CI,
        red missed) and ``note`` (episodes left out for having no quintile).

    Raises
    ------
    ConfigError
        If ``target`` is not quintiles 1-5 with a share in (0, 1].

    Examples
    --------
    >>> episodes = pd.DataFrame({"imd_quintile": [1] * 40 + [3] * 60})
    >>> target_share(episodes, {"quintiles": [1], "share": 0.35})[["share", "target", "rag"]]
       share  target    rag
    0    0.4    0.35  green
    """
    quintiles, share_target = _target_quintiles(target)
    quintile = _quintile(episodes)
    recorded = int(quintile.notna().sum())
    in_target = int(quintile.isin(quintiles).fillna(False).sum())
    interval = wilson_ci(in_target, recorded)
    lower, upper = float(interval[0]), float(interval[1])  # scalar counts, so scalar bounds
    share = in_target / recorded if recorded else np.nan
    rag = rag_status([share], [lower], [upper], share_target, "higher").iat[0]
    missing = len(episodes) - recorded
    note = (
        f"{missing} episode(s) with no IMD quintile recorded are left out of this share"
        if missing
        else None
    )
    frame = pd.DataFrame(
        {
            "quintiles": ", ".join(map(str, quintiles)),
            "description": _describe(quintiles),
            "episodes": [in_target],
            "denominator": [recorded],
            "share": [share],
            "ci_lower": [lower],
            "ci_upper": [upper],
            "target": [share_target],
            "rag": pd.Series([rag], dtype="str"),
        }
    )
    frame["note"] = pd.Series([note], dtype="str")
    return frame[TARGET_SHARE_COLUMNS]


def referral_trend(
    episodes: pd.DataFrame,
    periods: Sequence[str] = (),
    *,
    quintiles: Sequence[int] = (1,),
) -> pd.DataFrame:
    """Referrals, starts and the share from the most deprived quintiles in each quarter.

    Parameters
    ----------
    episodes : DataFrame
        Episode table with ``period`` (``YYYY-Qn`` of the referral), ``started`` and
        ``imd_quintile``.
    periods : sequence of str
        Quarters to show even when they have no referrals (e.g. the configured periods up to
        the report period). Quarters present in the data are always shown.
    quintiles : sequence of int, default (1,)
        The IMD quintiles counted as "most deprived" (``target_most_deprived["quintiles"]``).

    Returns
    -------
    DataFrame
        One row per quarter in time order (episodes with no period last, as "Not recorded"),
        columns :data:`TREND_COLUMNS`: ``period``, ``period_label`` ("Jan to Mar 2026"),
        ``referrals``, ``started``, ``imd_recorded``, ``most_deprived``,
        ``most_deprived_share`` (of those with IMD recorded) with its Wilson 95% ``ci_lower``
        and ``ci_upper``, and ``note`` (no referrals; IMD not recorded).

    Examples
    --------
    >>> episodes = pd.DataFrame({"period": ["2026-Q1"] * 4 + ["2026-Q3"] * 2,
    ...                          "started": [True, True, False, True, True, False],
    ...                          "imd_quintile": [1, 1, 2, 5, 1, None]})
    >>> trend = referral_trend(episodes, ["2026-Q1", "2026-Q2", "2026-Q3"])
    >>> trend[["period_label", "referrals", "most_deprived", "most_deprived_share"]]
          period_label  referrals  most_deprived  most_deprived_share
    0  Jan to Mar 2026          4              2                  0.5
    1  Apr to Jun 2026          0              0                  NaN
    2  Jul to Sep 2026          2              1                  1.0
    """
    _require(episodes, ["period", "started"], "the quarterly trend")
    quintile = _quintile(episodes)
    period = episodes["period"].astype(object).where(episodes["period"].notna(), None)
    known = sorted({str(p) for p in periods} | {str(p) for p in period.dropna()})
    order: list[str | None] = [*known, *([None] if period.isna().any() else [])]
    started = _started(episodes)
    rows = []
    for quarter in order:
        in_quarter = period.isna() if quarter is None else period == quarter
        recorded = quintile[in_quarter].notna()
        rows.append(
            (
                quarter,
                int(in_quarter.sum()),
                int(started[in_quarter].sum()),
                int(recorded.sum()),
                int(quintile[in_quarter].isin(list(quintiles)).fillna(False).sum()),
            )
        )
    referrals, starts, imd, deprived = (np.array([r[i] for r in rows]) for i in range(1, 5))
    lower, upper = wilson_ci(deprived, imd)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(imd > 0, deprived / np.maximum(imd, 1), np.nan)
    notes = [
        "; ".join(
            text
            for text in (
                "no referrals in this quarter" if n == 0 else None,
                f"{n - k} referral(s) with no IMD quintile recorded are left out of the share"
                if n > k
                else None,
            )
            if text
        )
        or None
        for n, k in zip(referrals, imd, strict=True)
    ]
    frame = pd.DataFrame(
        {
            "period": pd.Series([r[0] for r in rows], dtype=object),
            "period_label": pd.Series(
                [NOT_RECORDED if q is None else period_label(q) for q in order], dtype="str"
            ),
            "referrals": referrals.astype(int),
            "started": starts.astype(int),
            "imd_recorded": imd.astype(int),
            "most_deprived": deprived.astype(int),
            "most_deprived_share": share,
            "ci_lower": lower,
            "ci_upper": upper,
        }
    )
    frame["note"] = pd.Series(notes, dtype="str")
    return frame
