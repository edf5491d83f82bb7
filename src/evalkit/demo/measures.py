"""Synthetic measures: questionnaire items and lifestyle values at baseline, 4 weeks and exit.

Instrument totals are drawn first (so that planted effects are exact on the scale evaluators
score), then spread over the items with :func:`spread_items`, which keeps each row's item sum equal
to its total. Rows are held compactly (:class:`MeasureRows`: integer codes and numpy dates) so that
a million episodes (tens of millions of measure rows) fit in memory; the long ``measures`` table
is built from them on demand.

Examples
--------
>>> from evalkit.demo.participants import make_cohort
>>> rng = np.random.default_rng(5)
>>> rows = make_measures(rng, make_cohort(rng, 100))
>>> frame = rows.to_frame(np.array(["x"] * 100))
>>> list(frame.columns)
['client_id', 'timepoint', 'date', 'measure', 'value']
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.data.expressions import evaluate
from evalkit.data.schema import MEASURES, TIMEPOINTS
from evalkit.demo.participants import QUIT_OUTCOMES, Cohort, by_quintile
from evalkit.demo.service import EXTRACT_DATE
from evalkit.demo.truths import PLANTED
from evalkit.instruments import definitions

__all__ = ["MEASURE_NAMES", "MeasureRows", "make_measures", "spread_items"]

MEASURE_NAMES = tuple(MEASURES)
# Item names come from the one declaration of each instrument.
WEMWBS = definitions.WEMWBS.items
ONS4 = definitions.ONS4.items
PHQ9 = definitions.PHQ9.items
GAD7 = definitions.GAD7.items
AUDITC = definitions.AUDITC.items
#: Relative tendency of each WEMWBS item to score high (population surveys find "feeling loved"
#: and "able to make up my own mind" highest, "energy to spare" and "relaxed" lowest).
WEMWBS_ITEM_LEAN = (1.0, 1.0, 0.7, 1.1, 0.6, 1.0, 1.0, 0.9, 1.1, 0.9, 1.3, 1.3, 1.1, 1.0)
#: Share of questionnaires with some items left blank, and how many blanks they have.
QUESTIONNAIRES_WITH_BLANKS = 0.04
BLANKS = {1: 0.7, 2: 0.2, 3: 0.1}
PHQ9_CASE_SHARE = 0.85
_SHIFT = {"episode": 10, "timepoint": 7}


@dataclass
class MeasureRows:
    """Long measures held as arrays (one element per row).

    Attributes
    ----------
    episode : ndarray of int
        Row of ``participants`` the value belongs to.
    timepoint : ndarray of int
        Index into :data:`evalkit.data.schema.TIMEPOINTS`.
    date : ndarray of datetime64[D]
    measure : ndarray of int
        Index into :data:`MEASURE_NAMES`.
    value : ndarray of float
    """

    episode: np.ndarray
    timepoint: np.ndarray
    date: np.ndarray
    measure: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.value)

    def take(self, index: np.ndarray | slice) -> MeasureRows:
        """The rows selected by a boolean mask, positions or a slice."""
        return MeasureRows(
            self.episode[index],
            self.timepoint[index],
            self.date[index],
            self.measure[index],
            self.value[index],
        )

    def to_frame(self, client_ids: np.ndarray) -> pd.DataFrame:
        """The canonical long ``measures`` table (``client_ids`` indexed by episode)."""
        return pd.DataFrame(
            {
                "client_id": pd.array(
                    np.asarray(client_ids, dtype=object)[self.episode], dtype="str"
                ),
                "timepoint": pd.array(
                    np.array(TIMEPOINTS, dtype=object)[self.timepoint], dtype="str"
                ),
                "date": pd.to_datetime(self.date),
                "measure": pd.array(
                    np.array(MEASURE_NAMES, dtype=object)[self.measure], dtype="str"
                ),
                "value": self.value,
            }
        )


class _Builder:
    """Collects blocks of measure rows and returns them sorted by episode, timepoint, measure."""

    FIELDS = ("episode", "timepoint", "date", "measure", "value")

    def __init__(self) -> None:
        self.blocks: list[list[np.ndarray | None]] = []

    def add(self, episodes, timepoint: str, dates, names, values) -> None:
        # adding 0.0 turns -0.0 (from rounding a small negative) into 0.0, so "-0" is never written
        values = np.asarray(values, dtype=float).reshape(len(episodes), len(names)) + 0.0
        k = len(names)
        keep = ~np.isnan(values).ravel()
        codes = np.array([MEASURE_NAMES.index(m) for m in names], dtype=np.int16)
        self.blocks.append(
            [
                np.repeat(np.asarray(episodes, dtype=np.int32), k)[keep],
                np.full(keep.sum(), TIMEPOINTS.index(timepoint), dtype=np.int8),
                np.repeat(dates, k)[keep],
                np.tile(codes, len(episodes))[keep],
                values.ravel()[keep],
            ]
        )

    def rows(self) -> MeasureRows:
        """Concatenate and sort one field at a time, so memory stays near one copy of the rows."""
        fields = {}
        for i, name in enumerate(self.FIELDS):
            fields[name] = np.concatenate([block[i] for block in self.blocks])
            for block in self.blocks:
                block[i] = None
        self.blocks = []
        key = fields["episode"].astype(np.int64) << _SHIFT["episode"]
        key |= fields["timepoint"].astype(np.int64) << _SHIFT["timepoint"]
        key |= fields["measure"].astype(np.int64)
        order = np.argsort(key, kind="stable")
        del key
        for name in self.FIELDS:
            fields[name] = fields[name][order]
        return MeasureRows(**fields)


def spread_items(
    rng: np.random.Generator,
    totals: np.ndarray,
    n_items: int,
    low: int,
    high: int,
    lean: tuple[float, ...] | None = None,
    rounds: int = 3,
) -> np.ndarray:
    """Item scores whose row sums equal ``totals`` exactly.

    Each row starts as evenly as possible (items differ by at most one) and then ``rounds`` times
    moves one point from a random item to another, never leaving ``low..high``. Items with a
    higher ``lean`` receive points more often and give them up less often.

    Parameters
    ----------
    rng : numpy.random.Generator
    totals : ndarray of int
        Wanted row sums, each within ``n_items * low`` .. ``n_items * high``.
    n_items, low, high : int
        Number of items and the item response range.
    lean : tuple of float, optional
        Relative tendency of each item to score high.
    rounds : int
        Number of point moves attempted per row.

    Returns
    -------
    ndarray of int8, shape (len(totals), n_items)

    Examples
    --------
    >>> items = spread_items(np.random.default_rng(0), np.array([14, 42, 70]), 14, 1, 5)
    >>> items.sum(axis=1).tolist(), int(items.min()), int(items.max())
    ([14, 42, 70], 1, 5)
    """
    totals = np.asarray(totals, dtype=np.int64)
    n = len(totals)
    extra = totals - n_items * low
    if np.any(extra < 0) or np.any(extra > n_items * (high - low)):
        raise ValueError(f"totals must lie in {n_items * low}..{n_items * high}")
    base, remainder = np.divmod(extra, n_items)
    order = np.argsort(rng.random((n, n_items)), axis=1)
    filled = low + base[:, None] + (np.arange(n_items)[None, :] < remainder[:, None])
    items = np.empty((n, n_items), dtype=np.int8)
    np.put_along_axis(items, order, filled.astype(np.int8), axis=1)
    weights = np.ones(n_items) if lean is None else np.asarray(lean, dtype=float)
    up_p = weights / weights.sum()
    down_p = (1 / weights) / (1 / weights).sum()
    rows = np.arange(n)
    for _ in range(rounds):
        up = rng.choice(n_items, size=n, p=up_p)
        down = rng.choice(n_items, size=n, p=down_p)
        ok = (up != down) & (items[rows, up] < high) & (items[rows, down] > low)
        items[rows[ok], up[ok]] += 1
        items[rows[ok], down[ok]] -= 1
    return items


def _blank_some(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Leave a few items of a few questionnaires blank (NaN), as respondents do."""
    values = values.astype(float)
    n, k = values.shape
    has_blanks = rng.random((n,)) < QUESTIONNAIRES_WITH_BLANKS  # a shape, so an array back
    how_many = np.array(list(BLANKS))[rng.choice(len(BLANKS), size=n, p=list(BLANKS.values()))]
    rank = np.argsort(np.argsort(rng.random((n, k)), axis=1), axis=1)
    values[has_blanks[:, None] & (rank < how_many[:, None])] = np.nan
    return values


def _clip_round(x: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.rint(x), low, high).astype(np.int64)


def _totals(x: np.ndarray, instrument: definitions.InstrumentDefinition) -> np.ndarray:
    """Whole-number totals, clipped to the instrument's range."""
    return _clip_round(x, instrument.total_min, instrument.total_max)


def _answers(
    rng: np.random.Generator,
    totals: np.ndarray,
    instrument: definitions.InstrumentDefinition,
    lean: tuple[float, ...] | None = None,
) -> np.ndarray:
    """The instrument's item answers (its items and response range) summing to ``totals``."""
    low, high = instrument.response_min, instrument.response_max
    return spread_items(rng, totals, instrument.n_items, low, high, lean)


def _wemwbs_change(cohort: Cohort) -> np.ndarray:
    """Planted mean change per episode: the overall gain plus every WEMWBS subgroup effect."""
    episodes = cohort.participants.assign(imd_quintile=cohort.imd_quintile)
    change = np.full(len(cohort), PLANTED.wemwbs_gain)
    for effect in PLANTED.effects:
        if effect.outcome_measure == "wemwbs_change" and effect.difference:
            where = f"planted effect on {effect.outcome_measure}"
            mask = evaluate(episodes, effect.context_filter, where=where).to_numpy(dtype=bool)
            change += effect.difference * mask
    return change


def _ons4(rng: np.random.Generator, totals: np.ndarray) -> np.ndarray:
    n = len(totals)
    centred = totals - 42.0
    low, high = definitions.ONS4.response_min, definitions.ONS4.response_max
    return np.column_stack(
        [
            _clip_round(5.6 + centred / 5 + rng.normal(0, 1.3, n), low, high),
            _clip_round(6.0 + centred / 5 + rng.normal(0, 1.3, n), low, high),
            _clip_round(5.7 + centred / 5 + rng.normal(0, 1.6, n), low, high),
            _clip_round(5.0 - centred / 6 + rng.normal(0, 2.0, n), low, high),
        ]
    )


def _wellbeing(rng, cohort: Cohort, out: _Builder) -> None:
    p = cohort.participants
    who = np.flatnonzero(cohort.strands["wellbeing"] & cohort.started)
    mean = by_quintile(PLANTED.wemwbs_baseline_mean_by_imd_quintile, cohort.imd_quintile[who])
    mean = (
        mean
        + PLANTED.wemwbs_baseline_talking_therapy_shift * cohort.strands["talking_therapy"][who]
    )
    latent = mean + rng.normal(0, PLANTED.wemwbs_baseline_sd, len(who))
    change = _wemwbs_change(cohort)[who] + rng.normal(0, PLANTED.wemwbs_change_sd, len(who))
    baseline = _totals(latent, definitions.WEMWBS)
    exit_total = _totals(latent + change, definitions.WEMWBS)
    followed = cohort.followed_up[who]
    for timepoint, totals, rows, dates in (
        ("baseline", baseline, who, p["start_date"]),
        ("exit", exit_total[followed], who[followed], p["end_date"]),
    ):
        items = _answers(rng, totals, definitions.WEMWBS, WEMWBS_ITEM_LEAN)
        values = _blank_some(rng, np.column_stack([items, _ons4(rng, totals)]))
        out.add(rows, timepoint, _days(dates, rows), WEMWBS + ONS4, values)


def _talking_therapy(rng, cohort: Cohort, out: _Builder) -> None:
    p = cohort.participants
    who = np.flatnonzero(cohort.strands["talking_therapy"] & cohort.started)
    n = len(who)
    case = rng.random(n) < PHQ9_CASE_SHARE
    phq = np.where(
        case, _clip_round(rng.normal(15, 4.5, n), 10, 27), _clip_round(rng.normal(6, 2, n), 0, 9)
    )
    gad = np.where(
        case, _clip_round(rng.normal(13, 4, n), 8, 21), _clip_round(rng.normal(5, 1.5, n), 0, 7)
    )
    followed = cohort.followed_up[who]
    ended = ~cohort.ongoing[who]
    few = rng.random(n) < 0.10
    short = rng.integers(0, 2, n)
    course = 2 + np.minimum(rng.poisson(5, n), 18)
    early_exit = rng.poisson(1.5, n)
    # still in treatment: the sessions so far of a course under way (2 or more)
    sessions = np.where(followed, np.where(few, short, course), np.where(ended, early_exit, course))
    treated = sessions >= 2
    phq_exit = _totals(phq - treated * rng.normal(7, 5, n) + rng.normal(0, 1, n), definitions.PHQ9)
    gad_exit = _totals(
        gad - treated * rng.normal(5.5, 4, n) + rng.normal(0, 1, n), definitions.GAD7
    )
    out.add(
        who,
        "baseline",
        _days(p["start_date"], who),
        PHQ9 + GAD7,
        _blank_some(
            rng,
            np.column_stack(
                [_answers(rng, phq, definitions.PHQ9), _answers(rng, gad, definitions.GAD7)]
            ),
        ),
    )
    f = who[followed]
    out.add(
        f,
        "exit",
        _days(p["end_date"], f),
        PHQ9 + GAD7,
        _blank_some(
            rng,
            np.column_stack(
                [
                    _answers(rng, phq_exit[followed], definitions.PHQ9),
                    _answers(rng, gad_exit[followed], definitions.GAD7),
                ]
            ),
        ),
    )
    e = who[ended]
    out.add(e, "exit", _days(p["end_date"], e), ("treatment_sessions",), sessions[ended])
    # an episode still open has its sessions so far, as at the extract date
    o = who[~ended]
    so_far = np.full(len(o), EXTRACT_DATE, dtype="datetime64[D]")
    out.add(o, "exit", so_far, ("treatment_sessions",), sessions[~ended])


def _lifestyle(rng, cohort: Cohort, out: _Builder) -> None:
    p = cohort.participants
    start, end = p["start_date"], p["end_date"]
    s = cohort.strands
    has_smoker = np.flatnonzero(~np.isnan(cohort.smoker) & cohort.started)
    out.add(
        has_smoker, "baseline", _days(start, has_smoker), ("smoker",), cohort.smoker[has_smoker]
    )

    weight = np.flatnonzero(s["weight"] & cohort.started)
    sex = p["sex"].to_numpy()[weight]
    n = len(weight)
    height = np.where(
        sex == "female",
        rng.normal(162.5, 6.5, n),
        np.where(sex == "male", rng.normal(176.5, 7, n), rng.normal(169, 9, n)),
    )
    height = np.round(np.clip(height, 135, 210), 1)
    bmi = 25 + rng.gamma(3, 3, n)
    kg = np.round(np.clip(bmi * (height / 100) ** 2, 35, 300), 1)
    out.add(
        weight,
        "baseline",
        _days(start, weight),
        ("weight_kg", "height_cm"),
        np.column_stack([kg, height]),
    )
    f = cohort.followed_up[weight]
    kg_exit = np.round(np.clip(kg * (1 + rng.normal(-0.03, 0.04, n)), 35, 300), 1)
    out.add(weight[f], "exit", _days(end, weight[f]), ("weight_kg",), kg_exit[f])

    active = np.flatnonzero(s["activity"] & cohort.started)
    n = len(active)
    minutes = np.clip(np.round(rng.lognormal(np.log(60), 1.1, n) / 10) * 10 - 10, 0, 3000)
    minutes_exit = np.clip(
        np.round((minutes * rng.lognormal(0.3, 0.5, n) + rng.normal(20, 30, n)) / 10) * 10, 0, 3000
    )
    out.add(active, "baseline", _days(start, active), ("activity_minutes",), minutes)
    f = cohort.followed_up[active]
    out.add(active[f], "exit", _days(end, active[f]), ("activity_minutes",), minutes_exit[f])

    diet = np.flatnonzero(s["diet"] & cohort.started)
    n = len(diet)
    portions = np.minimum(rng.poisson(2.3, n), 12)
    portions_exit = _clip_round(portions + rng.normal(1.2, 1.2, n), 0, 15)
    out.add(diet, "baseline", _days(start, diet), ("fruit_veg_portions",), portions)
    f = cohort.followed_up[diet]
    out.add(diet[f], "exit", _days(end, diet[f]), ("fruit_veg_portions",), portions_exit[f])

    alcohol = np.flatnonzero(s["alcohol"] & cohort.started)
    n = len(alcohol)
    audit = _totals(rng.normal(7.5, 2, n), definitions.AUDITC)
    audit_exit = _totals(audit - rng.normal(2, 2, n), definitions.AUDITC)
    out.add(
        alcohol,
        "baseline",
        _days(start, alcohol),
        AUDITC,
        _blank_some(rng, _answers(rng, audit, definitions.AUDITC)),
    )
    f = cohort.followed_up[alcohol]
    out.add(
        alcohol[f],
        "exit",
        _days(end, alcohol[f]),
        AUDITC,
        _blank_some(rng, _answers(rng, audit_exit[f], definitions.AUDITC)),
    )


def _smoking(rng, cohort: Cohort, out: _Builder) -> None:
    """Baseline CO and the 4-week review, consistent with each quit attempt's outcome."""
    p = cohort.participants
    smokers = np.flatnonzero(cohort.strands["smoking"] & cohort.started)
    co = np.clip(np.rint(rng.lognormal(np.log(17), 0.45, len(smokers))), 3, 80)
    out.add(smokers, "baseline", _days(p["start_date"], smokers), ("co_ppm",), co)

    attempt = np.flatnonzero(cohort.quit_outcome >= 0)
    outcome = np.array(QUIT_OUTCOMES, dtype=object)[cohort.quit_outcome[attempt]]
    reviewed = outcome != "lost_to_follow_up"
    attempt, outcome = attempt[reviewed], outcome[reviewed]
    # an outcome given as a status code (participants' quit_4wk_status) has no dated review
    review_in_measures = p["quit_4wk_status"].isna().to_numpy()[attempt]
    n = len(attempt)
    in_window = 25 + np.minimum(rng.poisson(4, n), 17)
    outside = np.where(rng.random(n) < 0.5, rng.integers(14, 25, n), rng.integers(43, 71, n))
    days = np.where(outcome == "abstinent_outside_window", outside, in_window)
    abstinent = (outcome != "smoking").astype(float)
    low_co = np.clip(np.rint(rng.lognormal(np.log(4), 0.45, n)), 1, 9)
    co_4wk = np.select(
        [outcome == "smoking", outcome == "abstinent_co_high", outcome == "abstinent_no_co"],
        [
            np.clip(np.rint(rng.lognormal(np.log(16), 0.5, n)), 10, 80),
            rng.integers(10, 15, n),
            np.full(n, np.nan),
        ],
        default=low_co,
    )
    dates = _days(p["quit_date"], attempt) + days
    kept = review_in_measures
    out.add(
        attempt[kept],
        "followup_4wk",
        dates[kept],
        ("smoking_abstinent", "co_ppm"),
        np.column_stack([abstinent, co_4wk])[kept],
    )


def _days(dates: pd.Series, rows: np.ndarray) -> np.ndarray:
    return dates.to_numpy(dtype="datetime64[D]")[rows]


def make_measures(rng: np.random.Generator, cohort: Cohort) -> MeasureRows:
    """Every measure of every episode that started, consistent with the cohort's states.

    Parameters
    ----------
    rng : numpy.random.Generator
    cohort : Cohort
        From :func:`evalkit.demo.participants.make_cohort`.

    Returns
    -------
    MeasureRows
        Sorted by episode, timepoint and measure.
    """
    out = _Builder()
    _wellbeing(rng, cohort, out)
    _talking_therapy(rng, cohort, out)
    _lifestyle(rng, cohort, out)
    _smoking(rng, cohort, out)
    return out.rows()
