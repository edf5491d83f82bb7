"""Before/after statistics for clients measured twice: change, tests, effect sizes, categories.

:func:`before_after` takes the episode table (``ev.episodes``, with ``wemwbs_baseline`` and
``wemwbs_exit``) or the long scored table (``client_id``, ``timepoint``, ``wemwbs_total``); both
give the same numbers.

Examples
--------
>>> import pandas as pd
>>> episodes = pd.DataFrame({
...     "client_id": ["a", "b", "c"],
...     "wemwbs_baseline": [40.0, 38.0, 50.0],
...     "wemwbs_exit": [45.0, 39.0, 56.0],
... })
>>> row = before_after(episodes, "wemwbs")  # WEMWBS: meaningful change >= 3 points
>>> row[["n_paired", "mean_change", "pct_meaningful_improvement"]].round(2)
   n_paired  mean_change  pct_meaningful_improvement
0         3          4.0                       66.67
>>> scored = pd.DataFrame({
...     "client_id": ["a", "a", "b", "b", "c", "c"],
...     "timepoint": ["baseline", "exit"] * 3,
...     "wemwbs_total": [40.0, 45.0, 38.0, 39.0, 50.0, 56.0],
... })
>>> before_after(scored, "wemwbs_total")[["n_paired", "mean_change"]]
   n_paired  mean_change
0         3          4.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

from evalkit.errors import StatisticsError
from evalkit.outcomes.pairing import instrument_of, pair_timepoints, require_columns

__all__ = ["BEFORE_AFTER_COLUMNS", "ChangeRule", "before_after", "paired_change"]

#: Columns returned by :func:`before_after` (after the ``by`` column, when one is given).
BEFORE_AFTER_COLUMNS = (
    "measure",
    "baseline_timepoint",
    "followup_timepoint",
    "n_baseline",
    "n_followup",
    "n_paired",
    "baseline_mean",
    "baseline_sd",
    "followup_mean",
    "followup_sd",
    "mean_change",
    "change_sd",
    "ci_lower",
    "ci_upper",
    "t",
    "dof",
    "p_ttest",
    "p_wilcoxon",
    "d_z",
    "d_z_ci_lower",
    "d_z_ci_upper",
    "d_av",
    "d_av_ci_lower",
    "d_av_ci_upper",
    "n_meaningful_improvement",
    "n_no_meaningful_change",
    "n_meaningful_deterioration",
    "n_reliable_improvement",
    "n_reliable_deterioration",
    "pct_meaningful_improvement",
    "pct_no_meaningful_change",
    "pct_meaningful_deterioration",
    "pct_reliable_improvement",
    "pct_reliable_deterioration",
    "note",
)

_NO_PAIRS = "no client has both a baseline and a follow-up score"
_ONE_PAIR = "only 1 client has both scores: SDs, CIs, tests and effect sizes need at least 2"
_NO_CHANGE_VARIATION = (
    "every client changed by the same amount: the t-test, its CI and d_z are undefined"
)
_NO_CHANGE = "no client's score changed: the Wilcoxon test is undefined"
_NO_SCORE_VARIATION = "scores do not vary at either timepoint: d_av is undefined"
_NO_MEANINGFUL = "no meaningful-change threshold given: meaningful-change shares not computed"
_NO_RELIABLE = "no reliable-change threshold given: reliable-change shares not computed"


@dataclass(frozen=True)
class ChangeRule:
    """How an individual's change is classified.

    Parameters
    ----------
    meaningful_change : float or None
        Smallest change (in score points, in the better direction) counted as a meaningful
        improvement; the same size in the worse direction is a meaningful deterioration.
    reliable_change : float or None
        Smallest change counted as reliable (the reliable change index, Jacobson & Truax 1991).
    higher_is_better : bool
        ``True`` for wellbeing scores (WEMWBS), ``False`` for symptom scores (PHQ-9, GAD-7).

    Examples
    --------
    >>> ChangeRule(3, 8.24, True).classify(pd.Series([4.0, -3.0, 1.0]))["meaningful"].tolist()
    ['improvement', 'deterioration', 'no change']
    """

    meaningful_change: float | None
    reliable_change: float | None
    higher_is_better: bool

    @classmethod
    def for_measure(
        cls,
        measure: str,
        meaningful_change: float | None = None,
        reliable_change: float | None = None,
        higher_is_better: bool | None = None,
    ) -> ChangeRule:
        """The rule for a score column, from its instrument definition unless given explicitly.

        Parameters
        ----------
        measure : str
            Score column; when it names an instrument's score (its ``score_column``,
            ``wemwbs_total``, ``swemwbs_metric``, ``phq9_total`` ..., or its episode-table stem,
            ``wemwbs``, ``phq9`` ...; see :func:`~evalkit.outcomes.pairing.instrument_of`) the
            definition's ``meaningful_change``, ``reliable_change_index`` and
            ``higher_is_better`` are the defaults.
        meaningful_change, reliable_change, higher_is_better : optional
            Explicit values, which win over the definition.

        Raises
        ------
        StatisticsError
            If a threshold applies but the direction of improvement is unknown.

        Examples
        --------
        >>> ChangeRule.for_measure("phq9_total")
        ChangeRule(meaningful_change=6, reliable_change=6, higher_is_better=False)
        >>> ChangeRule.for_measure("phq9") == ChangeRule.for_measure("phq9_total")
        True
        """
        definition = instrument_of(measure)
        if definition is not None:
            if meaningful_change is None:
                meaningful_change = definition.meaningful_change
            if reliable_change is None:
                reliable_change = definition.reliable_change_index
            if higher_is_better is None:
                higher_is_better = definition.higher_is_better
        has_threshold = meaningful_change is not None or reliable_change is not None
        if has_threshold and higher_is_better is None:
            raise StatisticsError(
                f"{measure}: say whether a higher score is better (higher_is_better=True for "
                "wellbeing scores, False for symptom scores) so change can be classified."
            )
        return cls(meaningful_change, reliable_change, bool(higher_is_better))

    def classify(self, change: pd.Series) -> pd.DataFrame:
        """Label each change as improvement / deterioration / no change (meaningful, reliable).

        A change counts when its size reaches the threshold (``>=``), in line with the IAPT
        convention ("a reduction of 6 or more points", NHS Digital).

        Parameters
        ----------
        change : Series
            Follow-up minus baseline, one value per client.

        Returns
        -------
        DataFrame
            ``meaningful`` and ``reliable`` columns holding ``"improvement"``,
            ``"deterioration"`` or ``"no change"`` (missing where change or threshold is).

        Examples
        --------
        >>> ChangeRule(6, 6, False).classify(pd.Series([-6.0]))["reliable"].tolist()
        ['improvement']
        """
        gain = change if self.higher_is_better else -change
        out = {}
        for name, threshold in (
            ("meaningful", self.meaningful_change),
            ("reliable", self.reliable_change),
        ):
            label = pd.Series(pd.NA, index=change.index, dtype="str")
            if threshold is not None:
                label = label.mask(gain.notna(), "no change")
                label = label.mask(gain >= threshold, "improvement")
                label = label.mask(gain <= -threshold, "deterioration")
            out[name] = label
        return pd.DataFrame(out)


def _sd(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if values.size >= 2 else np.nan


def _effect_size_ci(d: float, n: int, confidence: float) -> tuple[float, float]:
    if not np.isfinite(d):
        return np.nan, np.nan
    low, high = pg.compute_esci(
        stat=d, nx=n, ny=n, paired=True, eftype="cohen", confidence=confidence, decimals=12
    )
    return float(low), float(high)


def paired_change(
    baseline: np.ndarray | pd.Series,
    followup: np.ndarray | pd.Series,
    rule: ChangeRule | None = None,
    confidence: float = 0.95,
) -> dict[str, float | int | str]:
    """Paired statistics for two aligned arrays (pairs with a missing value are left out).

    Parameters
    ----------
    baseline, followup : array-like
        Scores for the same clients in the same order.
    rule : ChangeRule, optional
        Thresholds for the meaningful / reliable change shares.
    confidence : float
        Confidence level of the intervals.

    Returns
    -------
    dict
        The statistics columns of :data:`BEFORE_AFTER_COLUMNS` from ``n_paired`` onwards.

    Notes
    -----
    * Mean change CI and t-test: paired Student t (``scipy.stats.ttest_rel``).
    * Wilcoxon signed-rank: ``scipy.stats.wilcoxon`` defaults (zero differences dropped; exact
      distribution for small samples without ties, normal approximation otherwise).
    * :math:`d_z = \\bar d / s_d`; :math:`d_{av} = \\bar d / \\sqrt{(s_1^2 + s_2^2)/2}`
      (Lakens 2013; Cumming 2012) via ``pingouin.compute_effsize``; their CIs use pingouin's
      paired standard error :math:`\\sqrt{1/n + d^2/(2n)}` with a t quantile on n - 1 df.

    Examples
    --------
    >>> out = paired_change([1, 2, 3, 4, 5], [2, 2, 5, 7, 6])
    >>> round(out["t"], 4), round(out["d_z"], 4)
    (2.7456, 1.2279)
    """
    rule = rule or ChangeRule(None, None, True)
    x = np.asarray(baseline, dtype=float)
    y = np.asarray(followup, dtype=float)
    if x.shape != y.shape:
        raise StatisticsError(
            f"baseline ({x.size} values) and follow-up ({y.size} values) must be the same length."
        )
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    d = y - x
    n = int(d.size)
    out: dict[str, float | int | str] = dict.fromkeys(BEFORE_AFTER_COLUMNS[5:-1], np.nan)
    notes: list[str] = []
    out["n_paired"] = n
    if n == 0:
        notes.append(_NO_PAIRS)
    else:
        out.update(
            baseline_mean=float(x.mean()),
            baseline_sd=_sd(x),
            followup_mean=float(y.mean()),
            followup_sd=_sd(y),
            mean_change=float(d.mean()),
            change_sd=_sd(d),
        )
    if n == 1:
        notes.append(_ONE_PAIR)
    if n >= 2:
        if np.ptp(d) == 0:
            notes.append(_NO_CHANGE_VARIATION)
        else:
            test = stats.ttest_rel(y, x)
            ci = test.confidence_interval(confidence)
            d_z = float(pg.compute_effsize(y, x, paired=True, eftype="cohen_dz"))
            out.update(
                t=float(test.statistic),
                dof=float(test.df),
                p_ttest=float(test.pvalue),
                ci_lower=float(ci.low),
                ci_upper=float(ci.high),
                d_z=d_z,
            )
            out["d_z_ci_lower"], out["d_z_ci_upper"] = _effect_size_ci(d_z, n, confidence)
        if np.all(d == 0):
            notes.append(_NO_CHANGE)
        else:
            out["p_wilcoxon"] = float(stats.wilcoxon(y, x).pvalue)
        if np.ptp(x) == 0 and np.ptp(y) == 0:
            notes.append(_NO_SCORE_VARIATION)
        else:
            d_av = float(pg.compute_effsize(y, x, paired=True, eftype="cohen"))
            out["d_av"] = d_av
            out["d_av_ci_lower"], out["d_av_ci_upper"] = _effect_size_ci(d_av, n, confidence)
    out.update(_change_shares(pd.Series(d), rule, notes))
    out["note"] = "; ".join(notes)
    return out


#: (column suffix, rule threshold, label) for every count and share column.
_CHANGE_CATEGORIES = (
    ("meaningful_improvement", "meaningful", "improvement"),
    ("no_meaningful_change", "meaningful", "no change"),
    ("meaningful_deterioration", "meaningful", "deterioration"),
    ("reliable_improvement", "reliable", "improvement"),
    ("reliable_deterioration", "reliable", "deterioration"),
)


def _change_shares(change: pd.Series, rule: ChangeRule, notes: list[str]) -> dict[str, float]:
    labels = rule.classify(change)
    thresholds = {"meaningful": rule.meaningful_change, "reliable": rule.reliable_change}
    notes.extend(
        note
        for kind, note in (("meaningful", _NO_MEANINGFUL), ("reliable", _NO_RELIABLE))
        if thresholds[kind] is None
    )
    n = len(change)
    shares: dict[str, float] = {}
    for suffix, kind, label in _CHANGE_CATEGORIES:
        known = thresholds[kind] is not None
        count = int((labels[kind] == label).sum()) if known else np.nan
        shares[f"n_{suffix}"] = count
        shares[f"pct_{suffix}"] = 100 * count / n if known and n else np.nan
    return shares


def before_after(
    scored: pd.DataFrame,
    measure: str,
    baseline: str = "baseline",
    followup: str = "exit",
    by: str | None = None,
    *,
    meaningful_change: float | None = None,
    reliable_change: float | None = None,
    higher_is_better: bool | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Before/after summary of one score: means, change with CI, tests, effect sizes, categories.

    Parameters
    ----------
    scored : DataFrame
        The episode table (``ev.episodes``: one row per client with ``<measure>_<baseline>``
        and ``<measure>_<followup>`` columns, e.g. ``wemwbs_baseline`` and ``wemwbs_exit``), or
        the long scored table (``client_id``, ``timepoint``, ``measure``, as
        :func:`evalkit.instruments.score` returns it). A table without a ``timepoint`` column
        is read as an episode table (:func:`~evalkit.outcomes.pairing.pair_timepoints`).
    measure : str
        The score: the episode table's column stem (``"wemwbs"``, ``"swemwbs"``, ``"phq9"``)
        or the long table's score column (``"wemwbs_total"``, also accepted for the episode
        table).
    baseline, followup : str
        Timepoints to compare.
    by : str, optional
        Column of ``scored`` to split by (in a long table, taken from each client's baseline
        row). Missing values form their own group; categories with no clients appear with
        ``n_paired = 0``.
    meaningful_change, reliable_change : float, optional
        Thresholds in score points (see :class:`ChangeRule`). By default those of the
        instrument whose score column ``measure`` is (:meth:`ChangeRule.for_measure`); when
        there are none the matching share columns are NaN and ``note`` says why.
    higher_is_better : bool, optional
        Direction of improvement; from the instrument definition by default. Required when a
        threshold is given for a score that is not an instrument's.
    confidence : float
        Confidence level of every interval.

    Returns
    -------
    DataFrame
        One row per group (one row without ``by``) with the ``by`` column first, then
        :data:`BEFORE_AFTER_COLUMNS`. ``n_baseline`` / ``n_followup`` count clients with each
        score; every statistic uses the ``n_paired`` clients with both. ``pct_*`` are
        percentages (0-100) of ``n_paired``. ``note`` explains every NaN ("" when none).

    Raises
    ------
    StatisticsError
        If a column or timepoint is missing, a client is scored twice at one timepoint, or a
        threshold is given without ``higher_is_better``.

    Examples
    --------
    >>> import pandas as pd
    >>> episodes = pd.DataFrame({
    ...     "client_id": ["a", "b"], "site": ["North"] * 2,
    ...     "phq9_baseline": [15.0, 12.0], "phq9_exit": [8.0, 11.0]})
    >>> before_after(episodes, "phq9", by="site")[["site", "n_paired", "mean_change"]]
        site  n_paired  mean_change
    0  North         2         -4.0
    >>> scored = pd.DataFrame({
    ...     "client_id": ["a", "a", "b", "b"], "timepoint": ["baseline", "exit"] * 2,
    ...     "phq9_total": [15.0, 8.0, 12.0, 11.0], "site": ["North"] * 4})
    >>> before_after(scored, "phq9_total", by="site")[["site", "n_paired", "mean_change"]]
        site  n_paired  mean_change
    0  North         2         -4.0
    """
    if by is not None:
        require_columns(scored, {by: "the column to split the results by (by=...)"}, "scored")
    rule = ChangeRule.for_measure(measure, meaningful_change, reliable_change, higher_is_better)
    pairs = pair_timepoints(scored, measure, baseline, followup, carry=[by] if by else [])
    header = {"measure": measure, "baseline_timepoint": baseline, "followup_timepoint": followup}
    groups: list[tuple[tuple[object, ...], pd.DataFrame]]
    if by is None:
        groups = [((), pairs)]
    else:
        if isinstance(scored[by].dtype, pd.CategoricalDtype):
            pairs[by] = pairs[by].astype(scored[by].dtype)
        groups = [
            ((level,), frame)
            for level, frame in pairs.groupby(by, dropna=False, observed=False, sort=True)
        ]
    rows = []
    for key, frame in groups:
        row: dict[str, object] = dict(zip([by] if by else [], key, strict=True))
        row.update(header)
        row["n_baseline"] = int(frame["baseline"].notna().sum())
        row["n_followup"] = int(frame["followup"].notna().sum())
        row.update(paired_change(frame["baseline"], frame["followup"], rule, confidence))
        rows.append(row)
    columns = ([by] if by else []) + list(BEFORE_AFTER_COLUMNS)
    return pd.DataFrame(rows, columns=columns)
