"""The episode table: one row per referral episode with every derived outcome.

:func:`build_episodes` pivots the long measures once and calls the instrument scorers
(:mod:`evalkit.instruments`); there is no second scoring path. KPIs and CMOC context filters are
expressions over the table it returns (column names in ``docs/data-model.md``).

Examples
--------
>>> import pandas as pd
>>> participants = pd.DataFrame({"client_id": ["a"], "start_date": [pd.Timestamp("2026-01-05")],
...                              "exit_reason": ["completed"]})
>>> measures = pd.DataFrame({"client_id": ["a"] * 2, "timepoint": ["baseline", "exit"],
...                          "date": [pd.Timestamp("2026-01-05"), pd.Timestamp("2026-03-30")],
...                          "measure": ["activity_minutes"] * 2, "value": [20.0, 160.0]})
>>> row = build_episodes(participants, measures).iloc[0]
>>> str(row["activity_category_exit"]), bool(row["became_more_active"])
('active', True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from evalkit.data.periods import period_of
from evalkit.data.schema import AGE_BANDS
from evalkit.errors import ValidationError
from evalkit.instruments import lifestyle
from evalkit.instruments.definitions import AUDITC, DEFINITIONS, WEMWBS
from evalkit.instruments.iapt import iapt_outcomes
from evalkit.instruments.scoring import (
    change,
    instrument_settings,
    pair_timepoints,
    pivot_measures,
    score,
)

__all__ = [
    "BASELINE",
    "FOLLOWUP",
    "LIFESTYLE_MEASURES",
    "build_episodes",
    "derive_columns",
    "episode_ended",
]

BASELINE = "baseline"
FOLLOWUP = "exit"
#: Non-instrument measures the episode table uses.
LIFESTYLE_MEASURES = (
    "weight_kg",
    "height_cm",
    "smoker",
    "activity_minutes",
    "fruit_veg_portions",
    "treatment_sessions",
)


def derive_columns(participants: pd.DataFrame) -> pd.DataFrame:
    """Add ``period``, ``imd_quintile`` and (where missing) ``age_band`` to participants.

    Examples
    --------
    >>> p = pd.DataFrame({"referral_date": pd.to_datetime(["2026-02-01"]), "imd_decile": [3],
    ...                   "age": [67], "age_band": [None]})
    >>> derive_columns(p)[["period", "imd_quintile", "age_band"]].values.tolist()
    [['2026-Q1', 2, '65-74']]
    """
    out = participants.copy()
    out["period"] = period_of(out["referral_date"])
    decile = pd.to_numeric(out.get("imd_decile"), errors="coerce")
    out["imd_quintile"] = pd.array(np.ceil(decile / 2), dtype="Int64")
    if "age" in out:
        edges = [16, 25, 35, 45, 55, 65, 75, np.inf]
        from_age = pd.cut(
            pd.to_numeric(out["age"], errors="coerce"), edges, right=False, labels=AGE_BANDS
        ).astype(object)
        band = out["age_band"] if "age_band" in out else pd.Series(None, index=out.index)
        out["age_band"] = band.where(band.notna(), from_age)
        out["age_band"] = out["age_band"].where(out["age_band"].notna(), None)
    return out


def episode_ended(participants: pd.DataFrame) -> pd.Series:
    """Whether each episode has ended, from ``end_date`` and ``exit_reason``.

    The end date marks an ended episode (NHS Talking Therapies counts a referral as ended by its
    end date); ``exit_reason`` ``ongoing`` marks one still open. When the two disagree the
    answer is unknown rather than a guess.

    Returns
    -------
    Series
        Nullable booleans in participants' order: True when ``end_date`` is given and
        ``exit_reason`` is not ``ongoing``; False when ``end_date`` is blank and ``exit_reason``
        is blank or ``ongoing`` (still in treatment); NA when they disagree (an end date with
        ``ongoing``, or an ending exit reason with no end date). A table without an
        ``end_date`` column goes by ``exit_reason`` alone (``ongoing`` False, any other reason
        True, blank NA); without either column every answer is NA.

    Examples
    --------
    >>> p = pd.DataFrame({"end_date": pd.to_datetime(["2026-03-30", None, "2026-03-30", None]),
    ...                   "exit_reason": ["completed", "ongoing", "ongoing", "completed"]})
    >>> episode_ended(p).tolist()
    [True, False, <NA>, <NA>]
    """
    n = len(participants)
    if "exit_reason" in participants.columns:
        reason = participants["exit_reason"]
        open_reason = (reason == "ongoing").fillna(False).to_numpy(dtype=bool)
        ending_reason = (reason.notna() & (reason != "ongoing")).fillna(False).to_numpy(dtype=bool)
    else:
        open_reason = ending_reason = np.zeros(n, dtype=bool)
    if "end_date" in participants.columns:
        has_end = participants["end_date"].notna().to_numpy()
        ended = has_end & ~open_reason
        unknown = (has_end & open_reason) | (~has_end & ending_reason)
    else:
        ended, unknown = ending_reason, ~(ending_reason | open_reason)
    return pd.Series(pd.arrays.BooleanArray(ended, unknown), index=participants.index)


def _check_inputs(participants: pd.DataFrame, measures: pd.DataFrame) -> None:
    if "client_id" not in participants.columns:
        raise ValidationError("participants: column client_id is missing.")
    ids = participants["client_id"]
    if ids.isna().any():
        raise ValidationError(
            f"participants row {ids.index[ids.isna()][0]!r}: client_id is blank; every episode "
            "needs one."
        )
    dup = ids.duplicated()
    if dup.any():
        first = ids[dup].iloc[0]
        raise ValidationError(
            f"participants: client_id {first!r} appears {int((ids == first).sum())} times "
            f"({int(dup.sum())} repeat(s) in all); keep one row per referral episode."
        )
    needed = ("client_id", "timepoint", "measure", "value")
    missing = [c for c in needed if c not in measures.columns]
    if missing:
        raise ValidationError(f"measures: column(s) {', '.join(missing)} missing.")
    orphans = ~measures["client_id"].isin(ids)
    if orphans.any():
        first = measures.loc[orphans, "client_id"].iloc[0]
        raise ValidationError(
            f"measures: {int(orphans.sum())} row(s) belong to client(s) not in participants "
            f"(first: {first!r}); they would be dropped from the episode table. Run "
            "`evalkit validate`, which quarantines them with a reason."
        )


def _instrument_columns(
    wide: pd.DataFrame, config: Any, participants: pd.DataFrame, ended: pd.Series
) -> list[pd.DataFrame]:
    """Baseline, exit, change, flags (and band at both) for every instrument; PHQ-9/GAD-7
    scores, the sessions attended (at exit) and whether the episode ended feed the IAPT
    outcomes."""
    parts, scored = [], {}
    for name, defn in DEFINITIONS.items():
        scored[name] = score(wide, defn, **instrument_settings(config, defn))
        part = change(scored[name], defn, BASELINE, FOLLOWUP)
        if not defn.per_item:
            bands = pair_timepoints(
                scored[name], {f"{name}_band": f"{name}_band"}, BASELINE, FOLLOWUP
            )
            part = part.merge(bands, on="client_id", how="left")
        parts.append(part)
    sessions = wide.loc[wide["timepoint"] == FOLLOWUP, ["client_id", "treatment_sessions"]]
    sessions = sessions.loc[sessions["treatment_sessions"].notna()]
    ends = pd.DataFrame({"client_id": participants["client_id"].to_numpy(), "ended": ended.array})
    treatment = sessions.merge(ends, on="client_id", how="left")
    parts.append(iapt_outcomes(scored["phq9"], scored["gad7"], treatment, BASELINE, FOLLOWUP))
    return parts


def _lifestyle_columns(
    participants: pd.DataFrame, measures: pd.DataFrame, wide: pd.DataFrame
) -> list[pd.DataFrame]:
    base = wide.loc[wide["timepoint"] == BASELINE]
    smoker = base["smoker"].to_numpy(dtype="float64")
    smoking = pd.DataFrame(
        {
            "client_id": base["client_id"].to_numpy(),
            "smoker_baseline": pd.arrays.BooleanArray(smoker == 1, np.isnan(smoker)),
        }
    )
    people = participants[[c for c in ("client_id", "family_background") if c in participants]]
    body = lifestyle.bmi(wide.merge(people, on="client_id", how="left"))
    body_base = body.loc[body["timepoint"] == BASELINE]
    bmi_columns = pd.DataFrame(
        {
            "client_id": body_base["client_id"].to_numpy(),
            "bmi_baseline": body_base["bmi"].to_numpy(),
            "bmi_category_baseline": body_base["bmi_category"].array,
            "bmi_thresholds": body_base["bmi_thresholds"].to_numpy(),
        }
    )
    weight = lifestyle.weight_change(wide, BASELINE, FOLLOWUP)
    return [
        smoking,
        lifestyle.smoking_quit_4wk(participants, measures),
        bmi_columns,
        weight.rename(
            columns={
                f"weight_kg_{BASELINE}": "weight_kg_baseline",
                f"weight_kg_{FOLLOWUP}": "weight_kg_exit",
            }
        ),
        lifestyle.activity_change(wide, BASELINE, FOLLOWUP),
        lifestyle.five_a_day(wide, BASELINE, FOLLOWUP),
    ]


def _engagement(
    participants: pd.DataFrame, episodes: pd.DataFrame, ended: pd.Series
) -> dict[str, Any]:
    if "start_date" in participants.columns:
        started = participants["start_date"].notna().to_numpy()
    else:
        started = np.zeros(len(participants), dtype=bool)
    if "exit_reason" in participants.columns:
        reason = participants["exit_reason"]
        completed = pd.arrays.BooleanArray(
            (reason == "completed").fillna(False).to_numpy(dtype=bool), reason.isna().to_numpy()
        )
    else:
        completed = pd.array([pd.NA] * len(participants), dtype="boolean")
    at_start = episodes[f"{WEMWBS.name}_{BASELINE}"].notna().to_numpy()
    at_exit = episodes[f"{WEMWBS.name}_{FOLLOWUP}"].notna().to_numpy()
    return {
        "started": started,
        "completed": completed,
        "ended": ended.array,
        "wemwbs_followed_up": pd.arrays.BooleanArray(at_exit, ~at_start),
    }


def build_episodes(
    participants: pd.DataFrame, measures: pd.DataFrame, config: Any = None
) -> pd.DataFrame:
    """One row per referral episode: every participants column plus the derived outcomes.

    Parameters
    ----------
    participants : DataFrame
        One row per ``client_id`` (validated or not; dates may be datetime64 or text).
    measures : DataFrame
        Long measures: ``client_id``, ``timepoint``, ``date``, ``measure``, ``value``.
    config : EvaluationConfig, optional
        Supplies per-instrument missing-item rules (``instruments``); defaults otherwise.

    Returns
    -------
    DataFrame
        Participants' rows in their order, with (names as in ``docs/data-model.md``):

        - per instrument (``wemwbs``, ``swemwbs`` on the metric score, ``phq9``, ``gad7``,
          ``auditc``, and each ONS4 question ``ons4_*``): ``<stem>_baseline``, ``<stem>_exit``,
          ``<stem>_change``, ``<stem>_meaningful_improvement``,
          ``<stem>_meaningful_deterioration``, ``<stem>_reliable_change``,
          ``<stem>_reliable_improvement``, ``<stem>_reliable_deterioration``; summed
          instruments also ``<name>_band_baseline`` and ``<name>_band_exit``;
        - IAPT (:func:`evalkit.instruments.iapt_outcomes`): ``iapt_case_baseline``,
          ``iapt_finished_treatment``, ``iapt_paired_scores``, ``iapt_recovery``,
          ``iapt_reliable_improvement``, ``iapt_reliable_deterioration``,
          ``iapt_reliable_recovery``;
        - smoking (:func:`evalkit.instruments.smoking_quit_4wk`): ``smoker_baseline``,
          ``set_quit_date``, ``quit_4wk_days``, ``quit_4wk_self``, ``quit_4wk_co``,
          ``quit_4wk_outcome``;
        - weight: ``bmi_baseline``, ``bmi_category_baseline``, ``bmi_thresholds``,
          ``weight_kg_baseline``, ``weight_kg_exit``, ``weight_change_pct``,
          ``weight_loss_5pct``;
        - activity: ``activity_minutes_baseline``, ``activity_minutes_exit``,
          ``activity_category_baseline``, ``activity_category_exit``, ``became_more_active``;
        - alcohol: ``auditc_positive_baseline`` (AUDIT-C >= 5), ``auditc_reduced`` (exit
          total below baseline);
        - diet: ``fruit_veg_portions_baseline``, ``fruit_veg_portions_exit``,
          ``five_a_day_baseline``, ``five_a_day_exit``;
        - engagement: ``started`` (has a start date), ``completed`` (exit reason
          ``completed``), ``ended`` (:func:`episode_ended`), ``wemwbs_followed_up`` (WEMWBS
          scored at exit, among those scored at baseline; NA otherwise).

        Flags are nullable booleans, NA when the episode is outside the flag's denominator.

    Raises
    ------
    ValidationError
        If participants repeat or lack a ``client_id``, or measures name a client not in
        participants (they would otherwise be dropped silently).
    ScoringError
        If a measure value is out of range or not a number (see :func:`evalkit.instruments.score`).
    """
    _check_inputs(participants, measures)
    names = [
        m for d in DEFINITIONS.values() for m in (*d.items, d.total_measure, d.metric_measure) if m
    ]
    wide = pivot_measures(measures, [*dict.fromkeys(names), *LIFESTYLE_MEASURES])
    ended = episode_ended(participants)
    parts = _instrument_columns(wide, config, participants, ended) + _lifestyle_columns(
        participants, measures, wide
    )
    ids = participants["client_id"].to_numpy()
    derived = pd.concat(
        [part.set_index("client_id").reindex(ids) for part in parts], axis=1
    ).reset_index(drop=True)
    auditc_base = derived[f"{AUDITC.name}_{BASELINE}"].to_numpy(dtype="float64")
    auditc_change = derived[f"{AUDITC.name}_change"].to_numpy(dtype="float64")
    derived["auditc_positive_baseline"] = pd.arrays.BooleanArray(
        np.nan_to_num(auditc_base, nan=0.0) >= AUDITC.case_threshold, np.isnan(auditc_base)
    )
    derived["auditc_reduced"] = pd.arrays.BooleanArray(
        np.nan_to_num(auditc_change, nan=0.0) < 0, np.isnan(auditc_change)
    )
    for column, values in _engagement(participants, derived, ended).items():
        derived[column] = values
    clash = sorted(set(participants.columns) & set(derived.columns) - {"client_id"})
    if clash:
        raise ValidationError(
            f"participants already has derived column(s) {', '.join(clash)}; pass the "
            "participants table, not an episode table."
        )
    return pd.concat([participants.reset_index(drop=True), derived], axis=1)
