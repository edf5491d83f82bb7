"""Synthetic referral episodes: who is referred, by whom, to which provider, and what happens.

Every column is drawn with vectorised numpy (no loop over rows), so a million episodes take
seconds. Besides the canonical ``participants`` table, :func:`make_cohort` returns the episode
states the measures generator needs (started, followed up, smoking outcome) so that measures and
participants tell one consistent story.

Examples
--------
>>> cohort = make_cohort(np.random.default_rng(3), 200)
>>> len(cohort.participants), cohort.participants["client_id"].is_unique
(200, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.data.schema import AGE_BANDS, DELIVERY_MODES, STRANDS, TABLES
from evalkit.demo.service import (
    EXTRACT_DATE,
    OLDER_DIGITAL_FACTOR,
    PROVIDERS,
    REFERRAL_PROPENSITY_BY_QUINTILE,
    REFERRAL_SOURCES,
    REFERRAL_WINDOW,
    neighbourhoods,
)
from evalkit.demo.truths import PLANTED

__all__ = ["QUIT_OUTCOMES", "Cohort", "by_quintile", "choose", "choose_rows", "make_cohort"]

SEXES = {"female": 0.58, "male": 0.40, "other": 0.005, "not_stated": 0.015}
ETHNICITIES = {
    "white": 0.78,
    "asian": 0.11,
    "black": 0.04,
    "mixed": 0.03,
    "other": 0.02,
    "not_stated": 0.02,
}
#: Family background given the ONS 2021 high-level ethnic group.
FAMILY_BACKGROUNDS = {
    "white": {"white": 1.0},
    "asian": {"south_asian": 0.75, "chinese": 0.12, "other_asian": 0.13},
    "black": {"black_african": 0.6, "african_caribbean": 0.4},
    "mixed": {"mixed": 1.0},
    "other": {"middle_eastern": 0.5, "other": 0.5},
    "not_stated": {"not_stated": 1.0},
}
DISABILITY = {"yes": 0.24, "no": 0.70, "not_stated": 0.06}
#: Probability of each strand (smoking depends on deprivation; talking therapy on the provider).
STRAND_PROBABILITY = {
    "wellbeing": 0.85,
    "weight": 0.30,
    "activity": 0.35,
    "diet": 0.25,
    "alcohol": 0.12,
}
SMOKING_BY_QUINTILE = {1: 0.35, 2: 0.30, 3: 0.24, 4: 0.18, 5: 0.14}
#: Smokers among people on other lifestyle strands who are not on the smoking strand.
OTHER_SMOKERS = 0.10
STARTED = 0.88
SET_QUIT_DATE = 0.85
#: Exit reasons of episodes that ended, by whether the exit questionnaires were completed.
EXIT_IF_FOLLOWED_UP = {"completed": 0.93, "moved_away": 0.02, "transferred": 0.02, "other": 0.03}
EXIT_IF_NOT_FOLLOWED_UP = {
    "disengaged": 0.72,
    "completed": 0.10,
    "moved_away": 0.07,
    "transferred": 0.06,
    "other": 0.05,
}
#: What happened to a smoker who set a quit date, other than a CO-validated quit (relative
#: weights; "lost" is weighted up by :data:`LOST_IN_MOST_DEPRIVED` in IMD quintiles 1-2).
QUIT_OUTCOMES = (
    "co_validated_quit",
    "lost_to_follow_up",
    "smoking",
    "abstinent_co_high",
    "abstinent_no_co",
    "abstinent_outside_window",
)
NOT_QUIT_WEIGHTS = (0.30, 0.42, 0.08, 0.10, 0.10)
#: The ``quit_4wk_status`` code an adviser records for each outcome when the 4-week outcome is
#: given as a status (:data:`evalkit.instruments.lifestyle.QUIT_4WK_STATUSES`): a CO reading of
#: 10 ppm or more leaves a self-reported, unconfirmed quit; a review outside 25-42 days is no
#: 4-week follow-up, so the status is not known.
QUIT_STATUS_OF_OUTCOME = {
    "co_validated_quit": "quit_co_verified",
    "lost_to_follow_up": "lost_to_follow_up",
    "smoking": "not_quit",
    "abstinent_co_high": "quit_self_reported",
    "abstinent_no_co": "quit_self_reported",
    "abstinent_outside_window": "lost_to_follow_up",
}
LOST_IN_MOST_DEPRIVED = 1.4
AGE_BAND_EDGES = (25, 35, 45, 55, 65, 75)


@dataclass
class Cohort:
    """Referral episodes and their hidden states.

    Attributes
    ----------
    participants : DataFrame
        The canonical ``participants`` table, sorted by provider then referral date.
    imd_quintile : ndarray
        ``ceil(imd_decile / 2)`` per episode.
    strands : dict of ndarray
        Boolean flag per strand.
    started, ongoing, followed_up : ndarray of bool
        Support started; still open at the extract date (including the talking-therapy
        clients planted as still in treatment); exit questionnaires completed.
    smoker : ndarray of float
        Baseline smoking status (1/0) for people on a lifestyle strand, NaN otherwise.
    quit_outcome : ndarray of int
        Index into :data:`QUIT_OUTCOMES` for smokers who set a quit date, -1 otherwise.
    """

    participants: pd.DataFrame
    imd_quintile: np.ndarray
    strands: dict[str, np.ndarray]
    started: np.ndarray
    ongoing: np.ndarray
    followed_up: np.ndarray
    smoker: np.ndarray
    quit_outcome: np.ndarray

    def __len__(self) -> int:
        return len(self.participants)


def choose(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    """Draw ``size`` keys of ``weights`` with probabilities proportional to its values.

    Examples
    --------
    >>> choose(np.random.default_rng(0), {"a": 1.0, "b": 0.0}, 3).tolist()
    ['a', 'a', 'a']
    """
    keys = np.array(list(weights), dtype=object)
    p = np.array(list(weights.values()), dtype=float)
    return keys[rng.choice(len(keys), size=size, p=p / p.sum())]


def choose_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Draw one column index per row of a (rows x options) weight matrix.

    Examples
    --------
    >>> choose_rows(np.random.default_rng(0), np.array([[0.0, 1.0], [1.0, 0.0]])).tolist()
    [1, 0]
    """
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cumulative[:, -1]
    return np.minimum((cumulative <= u[:, None]).sum(axis=1), weights.shape[1] - 1)


def by_quintile(values: dict[int, float], quintile: np.ndarray) -> np.ndarray:
    """Look a per-quintile value up for every episode.

    Examples
    --------
    >>> by_quintile({1: 0.5, 2: 0.6, 3: 0.7, 4: 0.8, 5: 0.9}, np.array([1, 5])).tolist()
    [0.5, 0.9]
    """
    table = np.array([np.nan] + [values[q] for q in range(1, 6)])
    return table[quintile]


def _provider_counts(n: int) -> np.ndarray:
    """Episodes per provider by largest remainder, so every provider has its share exactly."""
    shares = np.array([p.share for p in PROVIDERS])
    exact = shares / shares.sum() * n
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]] += 1
    return counts


def _referral_dates(rng: np.random.Generator, n: int) -> np.ndarray:
    """Referral dates over the months of :data:`~evalkit.demo.service.REFERRAL_WINDOW`, at a
    steady monthly rate that falls by the planted shift from its month on
    (:attr:`~evalkit.demo.truths.PlantedTruths.spc_shift`)."""
    first, last = REFERRAL_WINDOW
    months = pd.period_range(pd.Timestamp(first), pd.Timestamp(last), freq="M")
    month_starts = np.array([m.start_time.date() for m in months], dtype="datetime64[D]")
    month_ends = np.append(month_starts[1:], last + 1)
    shift = PLANTED.spc_shift
    weight = np.where(months >= pd.Period(shift.from_month, freq="M"), shift.after, shift.before)
    month = rng.choice(len(months), size=n, p=weight / weight.sum())
    length = (month_ends - month_starts).astype(int)[month]
    return month_starts[month] + np.floor(rng.random(n) * length).astype(int)


def _ages(rng: np.random.Generator, n: int) -> np.ndarray:
    older = rng.random(n) < 0.30
    age = np.where(older, rng.normal(71, 7, n), rng.normal(44, 14, n))
    return np.clip(np.rint(age), 18, 90).astype(int)


def _strands(rng, n, quintile, provider_index) -> dict[str, np.ndarray]:
    flags = {s: rng.random(n) < p for s, p in STRAND_PROBABILITY.items()}
    flags["smoking"] = rng.random(n) < by_quintile(SMOKING_BY_QUINTILE, quintile)
    tt_share = np.array([p.talking_therapy_share for p in PROVIDERS])[provider_index]
    flags["talking_therapy"] = rng.random(n) < tt_share
    flags["wellbeing"] |= ~np.any(np.column_stack(list(flags.values())), axis=1)
    return {s: flags[s] for s in STRANDS}


def _strand_text(flags: dict[str, np.ndarray]) -> np.ndarray:
    """``;``-joined strand names, via a lookup of all 2**7 combinations."""
    bits = sum(flags[s].astype(int) << i for i, s in enumerate(STRANDS))
    combos = np.array(
        [";".join(s for i, s in enumerate(STRANDS) if code >> i & 1) for code in range(128)],
        dtype=object,
    )
    return combos[bits]


def _places(rng, provider_index, areas: pd.DataFrame) -> np.ndarray:
    """An LSOA (row of ``areas``) per episode: the provider's sites, weighted to deprivation."""
    lsoa = np.empty(len(provider_index), dtype=int)
    propensity = areas["imd_quintile"].map(REFERRAL_PROPENSITY_BY_QUINTILE).to_numpy()
    for p, provider in enumerate(PROVIDERS):
        mine = np.flatnonzero(provider_index == p)
        site = choose(rng, provider.sites, len(mine))
        for name in provider.sites:
            rows = mine[site == name]
            in_site = np.flatnonzero(areas["site"].to_numpy() == name)
            focus = np.where(
                areas["imd_quintile"].to_numpy()[in_site] == 1, provider.deprivation_focus, 1.0
            )
            weight = propensity[in_site] * focus
            lsoa[rows] = in_site[rng.choice(len(in_site), size=len(rows), p=weight / weight.sum())]
    return lsoa


def _delivery_modes(rng, provider_index, age) -> np.ndarray:
    modes = list(DELIVERY_MODES)
    weights = np.array([[p.delivery_modes[m] for m in modes] for p in PROVIDERS])[provider_index]
    digital = modes.index("digital")
    weights[:, digital] *= np.where(age >= 65, OLDER_DIGITAL_FACTOR, 1.0)
    return np.array(modes, dtype=object)[choose_rows(rng, weights)]


def _quit_outcomes(rng, mode, quintile, set_quit) -> np.ndarray:
    """Outcome of each quit attempt; a CO-validated quit has exactly the planted probability."""
    n = len(mode)
    p_quit = pd.Series(mode).map(PLANTED.quit_4wk_co_by_delivery_mode).to_numpy(dtype=float)
    weights = np.tile(np.array(NOT_QUIT_WEIGHTS), (n, 1))
    weights[:, 0] *= np.where(quintile <= 2, LOST_IN_MOST_DEPRIVED, 1.0)
    other = 1 + choose_rows(rng, weights)
    outcome = np.where(rng.random(n) < p_quit, 0, other)
    return np.where(set_quit, outcome, -1)


def _still_in_treatment(rng, strands, started, followed_up, ongoing, exit_reason, referral):
    """Talking-therapy episodes planted as still in treatment at the extract date
    (:attr:`~evalkit.demo.truths.PlantedTruths.talking_therapy_still_in_treatment`)."""
    recent = referral >= np.datetime64(PLANTED.talking_therapy_still_in_treatment_referred_from)
    could = (
        strands["talking_therapy"]
        & started
        & ~followed_up
        & ~ongoing
        & ~np.isin(exit_reason, ("completed", "declined"))
        & recent
    )
    return could & (rng.random(len(could)) < PLANTED.talking_therapy_still_in_treatment)


def _quit_statuses(rng, quit_outcome) -> np.ndarray:
    """``quit_4wk_status`` of the quit attempts whose 4-week outcome is a status code
    (:attr:`~evalkit.demo.truths.PlantedTruths.quit_4wk_status_share`), None elsewhere."""
    coded = (quit_outcome >= 0) & (rng.random(len(quit_outcome)) < PLANTED.quit_4wk_status_share)
    codes = np.array([QUIT_STATUS_OF_OUTCOME[o] for o in QUIT_OUTCOMES], dtype=object)
    status = np.full(len(quit_outcome), None, dtype=object)
    status[coded] = codes[quit_outcome[coded]]
    return status


def make_cohort(rng: np.random.Generator, n: int) -> Cohort:
    """Generate ``n`` referral episodes of the Live Well Anytown service.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness (the same state gives the same cohort).
    n : int
        Number of episodes.

    Returns
    -------
    Cohort

    Examples
    --------
    >>> c = make_cohort(np.random.default_rng(1), 500)
    >>> sorted(c.participants["provider"].unique())[0]
    'Anytown Council Healthy Lifestyles'
    """
    areas = neighbourhoods(rng)
    provider_index = rng.permutation(np.repeat(np.arange(len(PROVIDERS)), _provider_counts(n)))
    lsoa = _places(rng, provider_index, areas)
    quintile = areas["imd_quintile"].to_numpy()[lsoa]
    age = _ages(rng, n)
    ethnicity = choose(rng, ETHNICITIES, n)
    family = np.empty(n, dtype=object)
    for group, backgrounds in FAMILY_BACKGROUNDS.items():
        mine = ethnicity == group
        family[mine] = choose(rng, backgrounds, int(mine.sum()))
    referral_source = choose(rng, REFERRAL_SOURCES, n)
    mode = _delivery_modes(rng, provider_index, age)
    strands = _strands(rng, n, quintile, provider_index)
    referral = _referral_dates(rng, n)

    # what happened: started, completed-length end date, still open, followed up, exit reason
    started = rng.random(n) < STARTED
    start = referral + 3 + np.minimum(rng.gamma(2.0, 5.0, n).astype(int), 45)
    end_if_completed = start + 7 * rng.integers(6, 17, n)
    ongoing = started & (end_if_completed > EXTRACT_DATE)
    p_follow = by_quintile(PLANTED.followed_up_by_imd_quintile, quintile)
    followed_up = started & ~ongoing & (rng.random(n) < p_follow)
    exit_reason = np.where(
        followed_up,
        choose(rng, EXIT_IF_FOLLOWED_UP, n),
        choose(rng, EXIT_IF_NOT_FOLLOWED_UP, n),
    )
    early_end = start + 14 + rng.integers(0, 43, n)
    end = np.where(
        exit_reason == "completed", end_if_completed, np.minimum(early_end, end_if_completed)
    )
    exit_reason = np.where(ongoing, "ongoing", exit_reason)
    exit_reason = np.where(started, exit_reason, "declined")
    end = np.where(started, end, referral + rng.integers(7, 29, n))
    contacts = np.select(
        [exit_reason == "completed", exit_reason == "disengaged", exit_reason == "declined"],
        [6 + rng.poisson(4, n), 1 + rng.poisson(1.5, n), np.zeros(n, dtype=int)],
        default=2 + rng.poisson(3, n),
    )

    lifestyle = np.any(
        [strands[s] for s in ("smoking", "weight", "activity", "diet", "alcohol")], axis=0
    )
    smoker = np.where(strands["smoking"], 1.0, (rng.random(n) < OTHER_SMOKERS).astype(float))
    smoker = np.where(lifestyle, smoker, np.nan)
    set_quit = strands["smoking"] & started & (rng.random(n) < SET_QUIT_DATE)
    quit_date = start + rng.integers(0, 15, n)
    quit_outcome = _quit_outcomes(rng, mode, quintile, set_quit)

    bands = np.array(AGE_BANDS, dtype=object)[np.digitize(age, AGE_BAND_EDGES)]
    nat = np.datetime64("NaT", "D")
    columns = {
        "provider": np.array([p.name for p in PROVIDERS], dtype=object)[provider_index],
        "site": areas["site"].to_numpy(dtype=object)[lsoa],
        "strands": _strand_text(strands),
        "referral_source": referral_source,
        "referral_date": referral,
        "start_date": np.where(started, start, nat),
        "end_date": np.where(ongoing, nat, end),
        "exit_reason": exit_reason,
        "contacts": contacts,
        "age": age,
        "age_band": bands,
        "sex": choose(rng, SEXES, n),
        "ethnicity": ethnicity,
        "family_background": family,
        "imd_decile": areas["imd_decile"].to_numpy()[lsoa],
        "imd_rank": areas["imd_rank"].to_numpy()[lsoa],
        "lsoa_code": areas["lsoa_code"].to_numpy(dtype=object)[lsoa],
        "disability": choose(rng, DISABILITY, n),
        "delivery_mode": mode,
        "quit_date": np.where(set_quit, quit_date, nat),
    }
    order = np.lexsort((referral, provider_index))
    counts = np.bincount(provider_index, minlength=len(PROVIDERS))
    offsets = rng.integers(1_000, 9_000, len(PROVIDERS))
    # the published-definition cases are drawn last, so every draw above is as it was
    still_open = _still_in_treatment(
        rng, strands, started, followed_up, ongoing, exit_reason, referral
    )
    ongoing = ongoing | still_open
    columns["end_date"] = np.where(ongoing, nat, end)
    columns["exit_reason"] = np.where(still_open, "ongoing", exit_reason)
    columns["quit_4wk_status"] = _quit_statuses(rng, quit_outcome)
    sequence = np.concatenate([offsets[p] + np.arange(c) for p, c in enumerate(counts)])
    prefixes = np.repeat([p.id_prefix for p in PROVIDERS], counts)
    number = pd.Series(sequence).astype("str").str.zfill(7)
    frame = pd.DataFrame({"client_id": pd.Series(prefixes, dtype="str") + "-" + number})
    for name, values in columns.items():
        frame[name] = values[order]
    frame = _typed(frame)
    return Cohort(
        participants=frame,
        imd_quintile=quintile[order],
        strands={s: f[order] for s, f in strands.items()},
        started=started[order],
        ongoing=ongoing[order],
        followed_up=followed_up[order],
        smoker=smoker[order],
        quit_outcome=quit_outcome[order],
    )


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Schema dtypes: text as ``str``, whole numbers as ``Int64``, dates as datetimes."""
    spec = TABLES["participants"]
    out = {}
    for col in spec.columns:
        if col.name not in frame:
            continue
        values = frame[col.name]
        if col.kind == "string":
            out[col.name] = values.astype("str")
        elif col.kind == "integer":
            out[col.name] = values.astype("Int64")
        else:
            out[col.name] = pd.to_datetime(values.to_numpy(dtype="datetime64[D]"))
    return pd.DataFrame(out)
