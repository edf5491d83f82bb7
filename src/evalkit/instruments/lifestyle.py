"""Lifestyle outcomes: BMI and category, weight change, 4-week smoking quit, activity, 5 A Day.

Thresholds are declared once below as data, each with its source (``reference/measures.md``
§4-§8). Functions take the wide per-client-and-timepoint table that
:func:`evalkit.instruments.pivot_measures` makes (or the long measures, for smoking, whose
assessment dates matter) and return tidy frames keyed by ``client_id``.

Examples
--------
>>> import pandas as pd
>>> values = pd.DataFrame({"client_id": ["a"], "timepoint": ["baseline"],
...                        "weight_kg": [81.0], "height_cm": [180.0],
...                        "family_background": ["south_asian"]})
>>> bmi(values)[["bmi", "bmi_category", "bmi_thresholds"]]  # 81 / 1.8**2 = 25.0
    bmi bmi_category bmi_thresholds
0  25.0   overweight          lower
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.errors import ScoringError
from evalkit.instruments.definitions import Band
from evalkit.instruments.scoring import assign_bands, pair_timepoints

__all__ = [
    "ACTIVITY_BANDS",
    "BMI_BANDS_LOWER",
    "BMI_BANDS_STANDARD",
    "CO_VALIDATED_BELOW_PPM",
    "FIVE_A_DAY_PORTIONS",
    "LOWER_BMI_BACKGROUNDS",
    "QUIT_4WK_STATUSES",
    "QUIT_OUTCOMES",
    "QUIT_WINDOW_DAYS",
    "WEIGHT_LOSS_PCT",
    "activity_category",
    "activity_change",
    "bmi",
    "bmi_category",
    "five_a_day",
    "smoking_quit_4wk",
    "weight_change",
]

#: Adult BMI categories (NICE, via BBC summary): < 18.5 underweight, 18.5-24.9 healthy weight,
#: 25-29.9 overweight, >= 30 obese.
BMI_BANDS_STANDARD = (
    Band("underweight", 0),
    Band("healthy weight", 18.5),
    Band("overweight", 25),
    Band("obese", 30),
)
#: Lower thresholds for people of the family backgrounds in :data:`LOWER_BMI_BACKGROUNDS`:
#: increased risk from 23, high risk from 27.5 kg/m² (NICE LGB13; NICE PH46 groups; NICE
#: CG189/NG246 update extending to Chinese, other Asian and Middle Eastern groups).
BMI_BANDS_LOWER = (
    Band("underweight", 0),
    Band("healthy weight", 18.5),
    Band("overweight", 23),
    Band("obese", 27.5),
)
LOWER_BMI_BACKGROUNDS = (
    "south_asian",
    "chinese",
    "other_asian",
    "middle_eastern",
    "black_african",
    "african_caribbean",
)
#: Weight-loss flag: at least 5 % of baseline weight (NICE PH53 "realistic goal 5-10 %"; the
#: "≥ 5 % at 12 weeks" KPI is a local convention, not found verbatim in an official source).
WEIGHT_LOSS_PCT = 5.0
#: Sport England Active Lives: inactive < 30, fairly active 30-149, active >= 150
#: moderate-intensity-equivalent minutes a week.
ACTIVITY_BANDS = (Band("inactive", 0), Band("fairly active", 30), Band("active", 150))
#: NHS 5 A Day: at least 5 portions of fruit and vegetables a day.
FIVE_A_DAY_PORTIONS = 5.0
#: 4-week quit (NHS stop smoking services, Russell Standard): assessed 25-42 days after the quit
#: date (28 days -3/+14), CO-validated when the reading is below 10 ppm.
QUIT_WINDOW_DAYS = (25, 42)
CO_VALIDATED_BELOW_PPM = 10.0
#: The allowed codes of participants' ``quit_4wk_status``: a 4-week outcome recorded as a status
#: rather than as a dated review, in the categories NHS Stop Smoking Services return (NHS Digital
#: SSS statistics; NHS Data Dictionary "OUTCOME AT 4 WEEK FOLLOW-UP", whose national code 3 is
#: "Non-smoking status not known/lost to follow-up"; the other national code numbers were not
#: verified, so evalkit takes these words, not numbers).
QUIT_4WK_STATUSES = {
    "quit_co_verified": "self-reported quitter whose quit was confirmed by a CO reading",
    "quit_self_reported": "self-reported quitter, not confirmed by a CO reading",
    "not_quit": "not quit (smoking at the 4-week follow-up)",
    "lost_to_follow_up": "non-smoking status not known / lost to follow-up",
}
#: Every 4-week outcome, in the order checked; the first that applies is the episode's outcome.
#: The last three are the self-reported quitters; only "quit, CO-validated" is confirmed.
QUIT_OUTCOMES = (
    "no quit date",
    "lost to follow-up",
    "assessed outside 25-42 days",
    "smoking",
    "quit, self-reported; CO 10 ppm or more (not confirmed)",
    "quit, CO-validated",
    "quit, self-reported (not CO-validated)",
)
_FIRST_QUITTER_OUTCOME = "quit, self-reported; CO 10 ppm or more (not confirmed)"


def _values(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column]).to_numpy(dtype="float64", na_value=np.nan)


def _check_positive(frame: pd.DataFrame, column: str) -> None:
    x = _values(frame, column)
    bad = x <= 0
    if bad.any():
        row = frame.iloc[int(np.flatnonzero(bad)[0])]
        raise ScoringError(
            f"{column} is {row[column]} for client {row['client_id']} at timepoint "
            f"{row['timepoint']}; it must be a positive measurement."
        )


def bmi_category(bmi_values, family_background=None) -> pd.Categorical:
    """BMI category with NICE's lower thresholds for the family backgrounds that need them.

    Parameters
    ----------
    bmi_values : array-like of float
    family_background : array-like of str, optional
        Participants' ``family_background``; missing or other values use standard thresholds.

    Returns
    -------
    pandas.Categorical
        Ordered: underweight, healthy weight, overweight, obese.

    Examples
    --------
    >>> list(bmi_category([24.9, 24.9], ["white", "black_african"]))
    ['healthy weight', 'overweight']
    """
    standard = assign_bands(bmi_values, BMI_BANDS_STANDARD)
    if family_background is None:
        return standard
    lower = assign_bands(bmi_values, BMI_BANDS_LOWER)
    uses_lower = pd.Series(family_background).isin(LOWER_BMI_BACKGROUNDS).to_numpy()
    codes = np.where(uses_lower, lower.codes, standard.codes)
    return pd.Categorical.from_codes(codes, categories=standard.categories, ordered=True)


def bmi(values: pd.DataFrame) -> pd.DataFrame:
    """BMI and its category for every client and timepoint.

    Parameters
    ----------
    values : DataFrame
        ``client_id``, ``timepoint``, ``weight_kg``, ``height_cm`` and optionally
        ``family_background``. A timepoint without a height uses the client's height from
        another timepoint (adult height is stable).

    Returns
    -------
    DataFrame
        ``client_id``, ``timepoint``, ``bmi`` (kg/m² to one decimal place, halves up, since
        the published ranges are written that way: 18.5-24.9 healthy; NaN without weight or
        any height),
        ``bmi_category`` and ``bmi_thresholds`` (``"lower"`` for NICE's lower thresholds,
        ``"standard"`` otherwise).

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
    ...                        "weight_kg": [96.0, 90.0], "height_cm": [160.0, None]})
    >>> bmi(values)["bmi"].tolist()  # 96 / 1.6**2 = 37.5; 90 / 1.6**2 = 35.16 -> 35.2
    [37.5, 35.2]
    """
    missing = {"client_id", "timepoint", "weight_kg", "height_cm"} - set(values.columns)
    if missing:
        raise ScoringError(f"BMI needs column(s) {', '.join(sorted(missing))}.")
    _check_positive(values, "weight_kg")
    _check_positive(values, "height_cm")
    height = pd.Series(_values(values, "height_cm"), index=values.index)
    height = height.fillna(height.groupby(values["client_id"]).transform("first"))
    exact = _values(values, "weight_kg") / (height.to_numpy() / 100) ** 2
    result = np.floor(exact * 10 + 0.5) / 10  # one decimal place, as the ranges are written
    background = values["family_background"] if "family_background" in values else None
    uses_lower = (
        background.isin(LOWER_BMI_BACKGROUNDS).to_numpy()
        if background is not None
        else np.zeros(len(values), dtype=bool)
    )
    return pd.DataFrame(
        {
            "client_id": values["client_id"].to_numpy(),
            "timepoint": values["timepoint"].to_numpy(),
            "bmi": result,
            "bmi_category": bmi_category(result, background),
            "bmi_thresholds": np.where(uses_lower, "lower", "standard"),
        }
    )


def weight_change(
    values: pd.DataFrame, baseline: str = "baseline", followup: str = "exit"
) -> pd.DataFrame:
    """Percent weight change and the ≥ 5 % loss flag.

    Returns
    -------
    DataFrame
        One row per client weighed at either timepoint: ``client_id``,
        ``weight_kg_<baseline>``, ``weight_kg_<followup>``, ``weight_change_pct``
        (100 × (followup − baseline) / baseline) and ``weight_loss_5pct`` (nullable boolean:
        change ≤ −5 %; NA when not paired).

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
    ...                        "weight_kg": [100.0, 95.0]})
    >>> weight_change(values)[["weight_change_pct", "weight_loss_5pct"]]
       weight_change_pct  weight_loss_5pct
    0               -5.0              True
    """
    _check_positive(values, "weight_kg")
    out = pair_timepoints(values, ["weight_kg"], baseline, followup)
    before = out[f"weight_kg_{baseline}"].to_numpy(dtype="float64")
    after = out[f"weight_kg_{followup}"].to_numpy(dtype="float64")
    pct = np.round(100 * (after - before) / before, 6)
    out["weight_change_pct"] = pct
    out["weight_loss_5pct"] = pd.arrays.BooleanArray(
        np.nan_to_num(pct, nan=0.0) <= -WEIGHT_LOSS_PCT, np.isnan(pct)
    )
    return out


def activity_category(minutes) -> pd.Categorical:
    """Sport England activity level from weekly moderate-intensity-equivalent minutes.

    Examples
    --------
    >>> list(activity_category([29, 30, 149, 150]))
    ['inactive', 'fairly active', 'fairly active', 'active']
    """
    return assign_bands(minutes, ACTIVITY_BANDS)


def activity_change(
    values: pd.DataFrame, baseline: str = "baseline", followup: str = "exit"
) -> pd.DataFrame:
    """Activity minutes and level at two timepoints, and whether the level went up.

    Returns
    -------
    DataFrame
        ``client_id``, ``activity_minutes_<baseline>``, ``activity_minutes_<followup>``,
        ``activity_category_<baseline>``, ``activity_category_<followup>`` and
        ``became_more_active`` (nullable boolean: moved up at least one level, e.g. inactive to
        fairly active; NA when not paired).

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
    ...                        "activity_minutes": [20.0, 45.0]})
    >>> activity_change(values).loc[0, "became_more_active"]
    np.True_
    """
    out = pair_timepoints(values, ["activity_minutes"], baseline, followup)
    before = activity_category(out[f"activity_minutes_{baseline}"])
    after = activity_category(out[f"activity_minutes_{followup}"])
    out[f"activity_category_{baseline}"] = before
    out[f"activity_category_{followup}"] = after
    out["became_more_active"] = pd.arrays.BooleanArray(
        after.codes > before.codes, (after.codes < 0) | (before.codes < 0)
    )
    return out


def five_a_day(
    values: pd.DataFrame, baseline: str = "baseline", followup: str = "exit"
) -> pd.DataFrame:
    """Daily fruit and vegetable portions and the 5 A Day flag at two timepoints.

    Returns
    -------
    DataFrame
        ``client_id``, ``fruit_veg_portions_<baseline>``, ``fruit_veg_portions_<followup>``,
        ``five_a_day_<baseline>``, ``five_a_day_<followup>`` (nullable booleans: ≥ 5 portions).

    Examples
    --------
    >>> import pandas as pd
    >>> values = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
    ...                        "fruit_veg_portions": [4.0, 5.0]})
    >>> five_a_day(values)[["five_a_day_baseline", "five_a_day_exit"]]
       five_a_day_baseline  five_a_day_exit
    0                False             True
    """
    out = pair_timepoints(values, ["fruit_veg_portions"], baseline, followup)
    for tp in (baseline, followup):
        portions = out[f"fruit_veg_portions_{tp}"].to_numpy(dtype="float64")
        out[f"five_a_day_{tp}"] = pd.arrays.BooleanArray(
            np.nan_to_num(portions, nan=0.0) >= FIVE_A_DAY_PORTIONS, np.isnan(portions)
        )
    return out


def _dates(values: pd.Series, what: str, ids: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values
    parsed = pd.to_datetime(values, errors="coerce", format="ISO8601")
    rest = parsed.isna() & values.notna()
    if rest.any():  # dd/mm/yyyy as UK providers write it; ISO first, since dayfirst misreads it
        parsed[rest] = pd.to_datetime(values[rest], errors="coerce", format="%d/%m/%Y")
    bad = parsed.isna() & values.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ScoringError(
            f"{what} {values.iloc[i]!r} for client {ids.iloc[i]} is not a date; use yyyy-mm-dd."
        )
    return parsed


def _followup_reading(measures: pd.DataFrame, measure: str, timepoint: str) -> pd.DataFrame:
    chosen = (measures["timepoint"] == timepoint).to_numpy() & (
        measures["measure"] == measure
    ).to_numpy()
    if chosen.any() and "date" not in measures.columns:
        raise ScoringError(
            f"The measures table has {measure} at {timepoint} but no date column; the 4-week "
            "quit needs the assessment date to check the 25-42 day window."
        )
    rows = measures.loc[chosen, ["client_id", "value"]]
    dates = measures.loc[chosen, "date"] if chosen.any() else pd.Series([], dtype="object")
    dup = rows["client_id"].duplicated()
    if dup.any():
        raise ScoringError(
            f"Client {rows.loc[dup, 'client_id'].iloc[0]} has {measure} more than once at "
            f"timepoint {timepoint}; keep the reading taken at the 4-week assessment."
        )
    return pd.DataFrame(
        {
            "client_id": rows["client_id"].to_numpy(),
            f"{measure}_date": pd.to_datetime(
                _dates(dates, f"{measure} date", rows["client_id"])
            ).to_numpy(),
            measure: pd.to_numeric(rows["value"]).to_numpy(dtype="float64"),
        }
    )


def _statuses(participants: pd.DataFrame) -> np.ndarray:
    """``quit_4wk_status`` as an object array (None where blank), every code checked."""
    if "quit_4wk_status" not in participants.columns:
        return np.full(len(participants), None, dtype=object)
    status = participants["quit_4wk_status"]
    known = status.notna().to_numpy()
    codes = status.astype(object).where(known, None).to_numpy(dtype=object)
    bad = known & ~np.isin(codes, list(QUIT_4WK_STATUSES))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ScoringError(
            f"quit_4wk_status is {codes[i]!r} for client {participants['client_id'].iloc[i]}; "
            f"use one of {', '.join(QUIT_4WK_STATUSES)}, or leave it blank and record the "
            "4-week review in measures."
        )
    return codes


def smoking_quit_4wk(
    participants: pd.DataFrame, measures: pd.DataFrame, timepoint: str = "followup_4wk"
) -> pd.DataFrame:
    """4-week quit status by the Russell Standard, one row per participant.

    Parameters
    ----------
    participants : DataFrame
        ``client_id``, ``quit_date`` (missing column or blank = no quit date set) and optionally
        ``quit_4wk_status`` (one of :data:`QUIT_4WK_STATUSES`): the 4-week outcome given as a
        status code, with no review date.
    measures : DataFrame
        Long measures with ``client_id``, ``timepoint``, ``measure``, ``value`` and, when it
        holds 4-week readings, ``date``: ``smoking_abstinent`` (1 = not smoking since day 15)
        and ``co_ppm`` at ``timepoint``.
    timepoint : str
        The 4-week assessment timepoint; its ``date`` is the assessment date.

    Returns
    -------
    DataFrame
        In participants' order: ``client_id``, ``set_quit_date`` (bool), ``quit_4wk_days``
        (days from quit date to the self-report assessment), ``quit_4wk_self`` (self-reported
        4-week quitter) and ``quit_4wk_co`` (CO-validated quitter), nullable booleans that are
        NA without a quit date, and ``quit_4wk_outcome`` (one of :data:`QUIT_OUTCOMES`).

    Notes
    -----
    Everyone who set a quit date is in the denominator of both quit rates. Lost to follow-up
    and a review outside 25-42 days of the quit date count as smoking (Russell Standard:
    status that cannot be determined counts as smoking). A self-reported quitter whose CO
    reading in the window is 10 ppm or more is still a self-reported quitter, but not a
    CO-validated one; so the CO-validation rate (``quit_4wk_co`` among ``quit_4wk_self``)
    keeps them in its denominator as not confirmed. A CO reading is used only if it was taken
    in the window.

    A status code, when given, is the self-report (quit, not quit or lost to follow-up) in
    place of ``smoking_abstinent``; it carries no date, so the window is the service's to have
    applied. Whether a status-coded quitter is CO-validated is decided by a CO reading taken in
    the window when there is one (the measurement outranks the summary code either way:
    ``quit_co_verified`` with 10 ppm or more is not confirmed; ``quit_self_reported`` with a
    reading under 10 ppm is), and by the code otherwise.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"client_id": ["a", "b"],
    ...                        "quit_date": [pd.Timestamp("2026-01-01")] * 2,
    ...                        "quit_4wk_status": [None, "quit_co_verified"]})
    >>> m = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["followup_4wk"] * 2,
    ...                   "date": [pd.Timestamp("2026-01-29")] * 2,
    ...                   "measure": ["smoking_abstinent", "co_ppm"], "value": [1.0, 10.0]})
    >>> smoking_quit_4wk(people, m)[["quit_4wk_self", "quit_4wk_co"]]
       quit_4wk_self  quit_4wk_co
    0           True        False
    1           True         True
    """
    if "client_id" not in participants.columns:
        raise ScoringError("The participants table lacks column client_id.")
    missing = {"client_id", "timepoint", "measure", "value"} - set(measures.columns)
    if missing:
        raise ScoringError(f"The measures table lacks column(s) {', '.join(sorted(missing))}.")
    ids = participants["client_id"]
    if ids.duplicated().any():
        raise ScoringError(
            f"participants lists client {ids[ids.duplicated()].iloc[0]} more than once; "
            "give one row per referral episode."
        )
    if "quit_date" in participants.columns:
        quit = _dates(participants["quit_date"], "quit_date", ids)
    else:
        quit = pd.Series(pd.NaT, index=participants.index, dtype="datetime64[ns]")
    status = _statuses(participants)
    frame = pd.DataFrame({"client_id": ids.to_numpy(), "quit_date": quit.to_numpy()})
    for measure in ("smoking_abstinent", "co_ppm"):
        frame = frame.merge(
            _followup_reading(measures, measure, timepoint), on="client_id", how="left"
        )
    abstinent = frame["smoking_abstinent"].to_numpy()
    odd = ~np.isnan(abstinent) & ~np.isin(abstinent, (0.0, 1.0))
    if odd.any():
        i = int(np.flatnonzero(odd)[0])
        raise ScoringError(
            f"smoking_abstinent is {abstinent[i]:g} for client {frame['client_id'].iloc[i]}; "
            "it must be 1 (not smoking) or 0 (smoking)."
        )
    days = (frame["smoking_abstinent_date"] - frame["quit_date"]).dt.days
    co_days = (frame["co_ppm_date"] - frame["quit_date"]).dt.days
    lo, hi = QUIT_WINDOW_DAYS
    in_window = days.between(lo, hi).to_numpy()
    co = frame["co_ppm"].to_numpy()
    co_in_window = co_days.between(lo, hi).to_numpy() & ~np.isnan(co)
    no_quit = frame["quit_date"].isna().to_numpy()
    coded = pd.notna(status)
    conditions = [
        no_quit,
        np.where(coded, status == "lost_to_follow_up", np.isnan(abstinent)),
        ~coded & ~in_window,
        np.where(coded, status == "not_quit", abstinent == 0),
        co_in_window & (co >= CO_VALIDATED_BELOW_PPM),
        (co_in_window & (co < CO_VALIDATED_BELOW_PPM)) | (status == "quit_co_verified"),
        np.ones(len(frame), dtype=bool),
    ]
    codes = np.select(conditions, np.arange(len(QUIT_OUTCOMES)))
    outcome = pd.Categorical.from_codes(codes, categories=list(QUIT_OUTCOMES))
    quitter = codes >= QUIT_OUTCOMES.index(_FIRST_QUITTER_OUTCOME)
    validated = codes == QUIT_OUTCOMES.index("quit, CO-validated")
    return pd.DataFrame(
        {
            "client_id": frame["client_id"].to_numpy(),
            "set_quit_date": ~no_quit,
            "quit_4wk_days": days.astype("Int64").array,
            "quit_4wk_self": pd.arrays.BooleanArray(quitter, no_quit),
            "quit_4wk_co": pd.arrays.BooleanArray(validated, no_quit),
            "quit_4wk_outcome": outcome,
        }
    )
