"""How far wellbeing changed, in the form the wellbeing-outcomes page reports it.

The statistics come from :func:`evalkit.outcomes.before_after` and
:func:`evalkit.outcomes.sensitivity`; this module chooses which scores the page reports
(:data:`WELLBEING_SCORES`, :data:`SYMPTOM_SCORES`), scores them with the evaluation's
missing-item rules, puts the individual change categories beside Wilson confidence intervals,
names the source of each change threshold, and summarises how much the mean change depends on
the people lost to follow-up.

Examples
--------
>>> import pandas as pd
>>> items = [f"wemwbs_{i:02d}" for i in range(1, 15)]
>>> answers = {("a", "baseline"): 3, ("a", "exit"): 4, ("b", "baseline"): 2, ("b", "exit"): 2}
>>> measures = pd.DataFrame(
...     [(c, t, m, v) for (c, t), v in answers.items() for m in items],
...     columns=["client_id", "timepoint", "measure", "value"])
>>> summary = change_summary(measures, [WELLBEING_SCORES[0]])
>>> summary[["score", "n_paired", "baseline_mean", "followup_mean", "mean_change"]]
    score  n_paired  baseline_mean  followup_mean  mean_change
0  wemwbs         2           35.0           42.0          7.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.instruments import get, instrument_settings, score
from evalkit.outcomes import BEFORE_AFTER_COLUMNS, before_after
from evalkit.outcomes.pairing import require_columns
from evalkit.stats import wilson_ci

__all__ = [
    "CHANGE_CATEGORIES",
    "CHANGE_CATEGORY_COLUMNS",
    "CHANGE_SUMMARY_COLUMNS",
    "CHANGE_THRESHOLD_COLUMNS",
    "CHANGE_THRESHOLD_SOURCES",
    "EFFECT_SIZE_BANDS",
    "IMPUTATION_COVARIATES",
    "SENSITIVITY_METHODS",
    "SENSITIVITY_RANGE_COLUMNS",
    "SYMPTOM_SCORES",
    "WARWICK_MINIMUM_PAIRS",
    "WELLBEING_SCORES",
    "ReportedScore",
    "change_categories",
    "change_summary",
    "change_thresholds",
    "effect_size_label",
    "imputation_covariates",
    "sensitivity_range",
]


@dataclass(frozen=True)
class ReportedScore:
    """One score the page reports before and after support.

    Parameters
    ----------
    key : str
        Stable name of the score (``"wemwbs"``, ``"ons4_anxiety"``).
    instrument : str
        The instrument that scores it (:func:`evalkit.instruments.get`).
    column : str
        Column of :func:`evalkit.instruments.score` holding the score.
    label : str
        Plain-English name with the score's range, for tables and figures.
    higher_is_better : bool
        Direction of improvement.
    """

    key: str
    instrument: str
    column: str
    label: str
    higher_is_better: bool


#: Wellbeing scores reported for everyone measured: WEMWBS, SWEMWBS (Rasch metric score) and the
#: four ONS personal wellbeing questions (reported one by one, never summed).
WELLBEING_SCORES: tuple[ReportedScore, ...] = (
    ReportedScore("wemwbs", "wemwbs", "wemwbs_total", "WEMWBS (14 to 70)", True),
    ReportedScore("swemwbs", "swemwbs", "swemwbs_metric", "SWEMWBS (7 to 35)", True),
    ReportedScore(
        "ons4_life_satisfaction",
        "ons4",
        "ons4_life_satisfaction",
        "Life satisfaction (ONS, 0 to 10)",
        True,
    ),
    ReportedScore(
        "ons4_worthwhile",
        "ons4",
        "ons4_worthwhile",
        "Feeling the things you do are worthwhile (ONS, 0 to 10)",
        True,
    ),
    ReportedScore(
        "ons4_happiness", "ons4", "ons4_happiness", "Happiness yesterday (ONS, 0 to 10)", True
    ),
    ReportedScore(
        "ons4_anxiety",
        "ons4",
        "ons4_anxiety",
        "Anxiety yesterday (ONS, 0 to 10, lower is better)",
        False,
    ),
)

#: Symptom scores of the talking-therapy strand (lower is better).
SYMPTOM_SCORES: tuple[ReportedScore, ...] = (
    ReportedScore(
        "phq9", "phq9", "phq9_total", "Depression symptoms, PHQ-9 (0 to 27, lower is better)", False
    ),
    ReportedScore(
        "gad7", "gad7", "gad7_total", "Anxiety symptoms, GAD-7 (0 to 21, lower is better)", False
    ),
)

#: Warwick Medical School advise at least 30 people with scores at two time points
#: (reference/measures.md §1.1).
WARWICK_MINIMUM_PAIRS = 30

#: Conventional labels of a standardised effect size by its absolute size (Cohen 1988:
#: 0.2 small, 0.5 medium, 0.8 large); a band applies from its lower bound upwards.
EFFECT_SIZE_BANDS: tuple[tuple[float, str], ...] = (
    (0.0, "negligible"),
    (0.2, "small"),
    (0.5, "medium"),
    (0.8, "large"),
)

#: Where each instrument's change thresholds come from: (meaningful change, reliable change).
#: The threshold values themselves live in the instrument definitions.
CHANGE_THRESHOLD_SOURCES: Mapping[str, tuple[str, str]] = {
    "wemwbs": (
        "about one standard error of measurement (Maheswaran et al. 2012)",
        "reliable change index from the scale's reliability (alpha 0.91, Tennant et al. 2007) "
        "and the spread of adult scores (SD 8.96, Scottish Health Survey 2018)",
    ),
    "swemwbs": (
        "one standard error of measurement (Shah et al. 2018)",
        "2.77 standard errors of measurement (Shah et al. 2018)",
    ),
    "phq9": (
        "the NHS Talking Therapies reliable-change threshold (NHS Digital)",
        "NHS Talking Therapies reliable improvement: a fall of 6 points or more (NHS Digital)",
    ),
    "gad7": (
        "the NHS Talking Therapies reliable-change threshold (NHS Digital)",
        "NHS Talking Therapies reliable improvement: a fall of 4 points or more (NHS Digital)",
    ),
}

#: Individual change categories: (category, label, count column of ``before_after``, kind).
#: ``no_reliable_change`` has no count column: it is everyone paired minus the two others.
CHANGE_CATEGORIES: tuple[tuple[str, str, str | None, str], ...] = (
    (
        "meaningful_improvement",
        "Meaningful improvement",
        "n_meaningful_improvement",
        "meaningful",
    ),
    ("no_meaningful_change", "No meaningful change", "n_no_meaningful_change", "meaningful"),
    (
        "meaningful_deterioration",
        "Meaningful deterioration",
        "n_meaningful_deterioration",
        "meaningful",
    ),
    ("reliable_improvement", "Reliable improvement", "n_reliable_improvement", "reliable"),
    ("no_reliable_change", "No reliable change", None, "reliable"),
    ("reliable_deterioration", "Reliable deterioration", "n_reliable_deterioration", "reliable"),
)

#: The three estimates of :func:`evalkit.outcomes.sensitivity` in plain English:
#: method -> (short name, what it does, what it assumes about people without an end score).
SENSITIVITY_METHODS: Mapping[str, tuple[str, str, str]] = {
    "complete_case": (
        "People with both scores only",
        "uses only the people who have an end score",
        "people without an end score would have changed like those with one",
    ),
    "baseline_carried_forward": (
        "No change for people without an end score",
        "counts everyone without an end score as unchanged",
        "none of them changed at all: a deliberately cautious floor, not a best estimate",
    ),
    "multiple_imputation": (
        "End score estimated for people without one",
        "estimates each missing end score many times from the person's start score and "
        "characteristics, and combines the results (multiple imputation)",
        "people without an end score changed like people with one who had the same start score "
        "and characteristics",
    ),
}

#: Characteristics that help predict a missing end score, with how a report names them; used
#: when the participants table records them (:func:`imputation_covariates`).
IMPUTATION_COVARIATES: Mapping[str, str] = {
    "imd_quintile": "deprivation (IMD quintile)",
    "age": "age",
    "sex": "sex",
    "delivery_mode": "how support was delivered",
}

#: Columns of :func:`change_summary`.
CHANGE_SUMMARY_COLUMNS = (
    "score",
    "label",
    "higher_is_better",
    *BEFORE_AFTER_COLUMNS,
    "effect_size",
    "meets_warwick_minimum",
)

#: Columns of :func:`change_categories`.
CHANGE_CATEGORY_COLUMNS = (
    "score",
    "label",
    "category",
    "category_label",
    "threshold",
    "n",
    "n_paired",
    "share",
    "ci_lower",
    "ci_upper",
    "note",
)

#: Columns of :func:`change_thresholds`.
CHANGE_THRESHOLD_COLUMNS = (
    "score",
    "label",
    "higher_is_better",
    "meaningful_change",
    "reliable_change",
    "meaningful_source",
    "reliable_source",
)

#: Columns of :func:`sensitivity_range`.
SENSITIVITY_RANGE_COLUMNS = (
    "n_estimates",
    "lowest",
    "lowest_method",
    "highest",
    "highest_method",
    "spread",
    "all_show_improvement",
    "note",
)


def effect_size_label(d: float | None) -> str:
    """The conventional word for a standardised effect size (:data:`EFFECT_SIZE_BANDS`).

    The sign is ignored (a deterioration of 0.6 is a "medium" effect too); a missing value is
    "not available".

    Examples
    --------
    >>> effect_size_label(0.19), effect_size_label(0.2), effect_size_label(-0.65)
    ('negligible', 'small', 'medium')
    >>> effect_size_label(float("nan"))
    'not available'
    """
    if d is None or not np.isfinite(d):
        return "not available"
    size = abs(float(d))
    return [label for lower, label in EFFECT_SIZE_BANDS if size >= lower][-1]


def _scored(
    measures: pd.DataFrame, instrument: str, config: Any, cache: dict[str, pd.DataFrame]
) -> pd.DataFrame:
    if instrument not in cache:
        cache[instrument] = score(measures, instrument, **instrument_settings(config, instrument))
    return cache[instrument]


def change_summary(
    measures: pd.DataFrame,
    scores: Sequence[ReportedScore] = WELLBEING_SCORES,
    *,
    config: Any = None,
    baseline: str = "baseline",
    followup: str = "exit",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Before/after statistics of several scores, one row each, ready to report.

    Parameters
    ----------
    measures : DataFrame
        Long measures (``client_id``, ``timepoint``, ``measure``, ``value``), e.g.
        ``Evaluation.measures``.
    scores : sequence of ReportedScore
        The scores to report (default :data:`WELLBEING_SCORES`).
    config : EvaluationConfig, optional
        Supplies the missing-item rule of each instrument (``instruments:`` in
        ``evaluation.yml``), so the page scores as the episode table does; the definitions'
        defaults otherwise.
    baseline, followup : str
        Timepoints compared.
    confidence : float
        Confidence level of every interval.

    Returns
    -------
    DataFrame
        :data:`CHANGE_SUMMARY_COLUMNS`, one row per score in the given order: ``score``,
        ``label``, ``higher_is_better``, then the columns of
        :func:`evalkit.outcomes.before_after` (its thresholds and direction are those of the
        instrument definition), ``effect_size`` (:func:`effect_size_label` of ``d_z``) and
        ``meets_warwick_minimum`` (``n_paired`` >= :data:`WARWICK_MINIMUM_PAIRS`). A score
        nobody answered has ``n_baseline = n_followup = 0`` and NaN statistics with a note.

    Raises
    ------
    StatisticsError
        If ``measures`` lacks a column.
    ScoringError
        If a response is out of range (see :func:`evalkit.instruments.score`).

    Examples
    --------
    >>> import pandas as pd
    >>> empty = pd.DataFrame(columns=["client_id", "timepoint", "measure", "value"])
    >>> row = change_summary(empty, SYMPTOM_SCORES[:1]).iloc[0]
    >>> int(row["n_paired"]), row["note"]
    (0, 'no client has both a baseline and a follow-up score')
    """
    require_columns(measures, ["client_id", "timepoint", "measure", "value"], "measures")
    cache: dict[str, pd.DataFrame] = {}
    rows = []
    for spec in scores:
        scored = _scored(measures, spec.instrument, config, cache)
        stats = before_after(
            scored,
            spec.column,
            baseline,
            followup,
            higher_is_better=spec.higher_is_better,
            confidence=confidence,
        ).iloc[0]
        values = stats.to_dict()
        row: dict[str, object] = {
            "score": spec.key,
            "label": spec.label,
            "higher_is_better": spec.higher_is_better,
        }
        row.update(values)
        row["effect_size"] = effect_size_label(values["d_z"])
        row["meets_warwick_minimum"] = bool(values["n_paired"] >= WARWICK_MINIMUM_PAIRS)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(CHANGE_SUMMARY_COLUMNS))


def change_categories(summary: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Individual change categories of each score with Wilson confidence intervals.

    Parameters
    ----------
    summary : DataFrame
        Rows of :func:`change_summary` (or of :func:`evalkit.outcomes.before_after` with
        ``score`` and ``label`` columns added).
    confidence : float
        Confidence level of the Wilson score intervals (as for PHE/OHID indicators).

    Returns
    -------
    DataFrame
        :data:`CHANGE_CATEGORY_COLUMNS`, six rows per score in :data:`CHANGE_CATEGORIES`
        order: ``n`` people in the category out of ``n_paired`` with both scores, ``share``
        (0-1) with ``ci_lower``/``ci_upper``. ``no_reliable_change`` is ``n_paired`` minus the
        reliable improvements and deteriorations. ``threshold`` is ``"meaningful"`` or
        ``"reliable"``. When a score has no such threshold (ONS4) or nobody has both scores,
        ``n`` and the shares are NaN and ``note`` says why.

    Raises
    ------
    StatisticsError
        If ``summary`` lacks a column.

    Examples
    --------
    >>> import pandas as pd
    >>> row = pd.DataFrame([{"score": "wemwbs", "label": "WEMWBS", "n_paired": 10,
    ...     "n_meaningful_improvement": 6, "n_no_meaningful_change": 3,
    ...     "n_meaningful_deterioration": 1, "n_reliable_improvement": 2,
    ...     "n_reliable_deterioration": 0}])
    >>> change_categories(row)[["category", "n", "share"]].iloc[3:5]
                   category  n  share
    3  reliable_improvement  2    0.2
    4    no_reliable_change  8    0.8
    """
    counts = [column for _, _, column, _ in CHANGE_CATEGORIES if column]
    require_columns(summary, ["score", "label", "n_paired", *counts], "summary")
    rows = []
    for _, row in summary.iterrows():
        n_paired = int(row["n_paired"])
        for category, label, column, kind in CHANGE_CATEGORIES:
            if column is None:
                improved = row["n_reliable_improvement"]
                n = n_paired - improved - row["n_reliable_deterioration"]
            else:
                n = row[column]
            note = ""
            if pd.isna(n):
                note = f"{row['label']} has no published {kind}-change threshold"
            elif n_paired == 0:
                note = "nobody has both a start and an end score"
            known = note == ""
            lower, upper = wilson_ci(n, n_paired, confidence) if known else (np.nan, np.nan)
            rows.append(
                {
                    "score": row["score"],
                    "label": row["label"],
                    "category": category,
                    "category_label": label,
                    "threshold": kind,
                    "n": n if pd.notna(n) else np.nan,
                    "n_paired": n_paired,
                    "share": n / n_paired if known else np.nan,
                    "ci_lower": lower,
                    "ci_upper": upper,
                    "note": note,
                }
            )
    table = pd.DataFrame(rows, columns=list(CHANGE_CATEGORY_COLUMNS))
    table["n"] = table["n"].astype("Int64")
    return table


def change_thresholds(scores: Sequence[ReportedScore] = WELLBEING_SCORES) -> pd.DataFrame:
    """The meaningful- and reliable-change thresholds of each score, with their sources.

    The values come from the instrument definitions (:mod:`evalkit.instruments`), the sources
    from :data:`CHANGE_THRESHOLD_SOURCES`; scores without published thresholds (ONS4) are left
    out, because there is nothing to state.

    Returns
    -------
    DataFrame
        :data:`CHANGE_THRESHOLD_COLUMNS`: thresholds in score points, the size of change in
        the better direction (``higher_is_better`` says which way that is).

    Examples
    --------
    >>> change_thresholds()[["score", "meaningful_change", "reliable_change"]].round(2)
         score  meaningful_change  reliable_change
    0   wemwbs               3.00             7.45
    1  swemwbs               1.03             2.87
    """
    rows = []
    for spec in scores:
        definition = get(spec.instrument)
        if definition.meaningful_change is None and definition.reliable_change_index is None:
            continue
        meaningful_source, reliable_source = CHANGE_THRESHOLD_SOURCES[spec.instrument]
        rows.append(
            {
                "score": spec.key,
                "label": spec.label,
                "higher_is_better": spec.higher_is_better,
                "meaningful_change": definition.meaningful_change,
                "reliable_change": definition.reliable_change_index,
                "meaningful_source": meaningful_source,
                "reliable_source": reliable_source,
            }
        )
    return pd.DataFrame(rows, columns=list(CHANGE_THRESHOLD_COLUMNS))


def imputation_covariates(
    participants: pd.DataFrame, candidates: Sequence[str] = tuple(IMPUTATION_COVARIATES)
) -> list[str]:
    """The candidate covariates the participants table can supply to the imputation model.

    A candidate is used when it is a column with at least two different recorded values (a
    column that is absent, empty or constant cannot predict anything).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"imd_quintile": [1, 5, 2], "age": [None, None, None],
    ...                   "sex": ["female", "female", "female"]})
    >>> imputation_covariates(p, ["imd_quintile", "age", "sex", "delivery_mode"])
    ['imd_quintile']
    """
    return [c for c in candidates if c in participants and participants[c].nunique() >= 2]


def sensitivity_range(table: pd.DataFrame, higher_is_better: bool = True) -> pd.DataFrame:
    """How far the mean change moves across the assumptions of a sensitivity analysis.

    Parameters
    ----------
    table : DataFrame
        :func:`evalkit.outcomes.sensitivity` output (``method``, ``estimate``, ``ci_lower``,
        ``ci_upper``).
    higher_is_better : bool
        Direction of improvement of the score.

    Returns
    -------
    DataFrame
        One row, :data:`SENSITIVITY_RANGE_COLUMNS`: ``n_estimates`` methods that gave an
        estimate, the ``lowest`` and ``highest`` estimates and their methods, ``spread``
        (highest minus lowest), and ``all_show_improvement``: every method gave an estimate
        and its whole confidence interval lies on the improving side of zero. ``note`` says
        which methods gave no estimate.

    Raises
    ------
    StatisticsError
        If ``table`` lacks a column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"method": ["complete_case", "baseline_carried_forward"],
    ...                   "estimate": [3.5, 1.8], "ci_lower": [3.0, 1.6],
    ...                   "ci_upper": [3.9, 2.1]})
    >>> sensitivity_range(t)[["lowest_method", "spread", "all_show_improvement"]]
                  lowest_method  spread  all_show_improvement
    0  baseline_carried_forward     1.7                  True
    """
    require_columns(table, ["method", "estimate", "ci_lower", "ci_upper"], "sensitivity table")
    known = table.loc[table["estimate"].notna()]
    missing = table.loc[table["estimate"].isna(), "method"].astype(str).tolist()
    note = f"no estimate from: {', '.join(missing)}" if missing else ""
    if known.empty:
        row: dict[str, object] = dict.fromkeys(SENSITIVITY_RANGE_COLUMNS[1:-1], np.nan)
        row.update(n_estimates=0, all_show_improvement=False, note=note)
        return pd.DataFrame([row], columns=list(SENSITIVITY_RANGE_COLUMNS))
    low, high = known["estimate"].idxmin(), known["estimate"].idxmax()
    side = table["ci_lower"] > 0 if higher_is_better else table["ci_upper"] < 0
    row = {
        "n_estimates": len(known),
        "lowest": float(known.at[low, "estimate"]),
        "lowest_method": str(known.at[low, "method"]),
        "highest": float(known.at[high, "estimate"]),
        "highest_method": str(known.at[high, "method"]),
        "spread": float(known.at[high, "estimate"] - known.at[low, "estimate"]),
        "all_show_improvement": bool(not missing and side.fillna(False).all()),
        "note": note,
    }
    return pd.DataFrame([row], columns=list(SENSITIVITY_RANGE_COLUMNS))
