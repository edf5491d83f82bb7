"""The one generic, vectorised scorer: reads an :class:`InstrumentDefinition` and scores it.

Long measures are pivoted once (factorised keys scattered into a 2-D numpy array); wide items
(one column per item measure name) are scored directly. No row-wise Python loops.

Examples
--------
>>> import pandas as pd
>>> long = pd.DataFrame({
...     "client_id": ["c1"] * 9, "timepoint": ["baseline"] * 9,
...     "measure": [f"phq9_{i}" for i in range(1, 10)], "value": [1.0] * 9,
... })
>>> score(long, "phq9")[["client_id", "phq9_total", "phq9_band"]]
  client_id  phq9_total phq9_band
0        c1         9.0      mild
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.errors import ConfigError, ScoringError
from evalkit.instruments.definitions import (
    DEFINITIONS,
    MISSING_RULES,
    Band,
    InstrumentDefinition,
)

__all__ = [
    "assign_bands",
    "available",
    "change",
    "definitions_table",
    "get",
    "instrument_settings",
    "missing_rule_statement",
    "pair_timepoints",
    "pivot_measures",
    "score",
]

_KEYS = ("client_id", "timepoint")
_LONG = ("client_id", "timepoint", "measure", "value")


def get(name: str | InstrumentDefinition) -> InstrumentDefinition:
    """Return the definition of an instrument.

    Parameters
    ----------
    name : str or InstrumentDefinition
        Instrument name (``"wemwbs"``, ``"swemwbs"``, ``"ons4"``, ``"phq9"``, ``"gad7"``,
        ``"auditc"``); a definition is returned unchanged.

    Returns
    -------
    InstrumentDefinition

    Raises
    ------
    ScoringError
        If no instrument has that name.

    Examples
    --------
    >>> get("gad7").items
    ('gad7_1', 'gad7_2', 'gad7_3', 'gad7_4', 'gad7_5', 'gad7_6', 'gad7_7')
    """
    if isinstance(name, InstrumentDefinition):
        return name
    try:
        return DEFINITIONS[str(name).lower()]
    except KeyError:
        raise ScoringError(
            f"Unknown instrument '{name}'; available: {', '.join(DEFINITIONS)}."
        ) from None


def available() -> list[str]:
    """Names of every instrument definition, in report order.

    Examples
    --------
    >>> available()
    ['wemwbs', 'swemwbs', 'ons4', 'phq9', 'gad7', 'auditc']
    """
    return list(DEFINITIONS)


def definitions_table() -> pd.DataFrame:
    """One row per instrument summarising its definition, for documentation and reports.

    Returns
    -------
    DataFrame
        Columns ``instrument``, ``title``, ``n_items``, ``response_range``, ``score_column``,
        ``score_range``, ``bands``, ``higher_is_better``, ``meaningful_change``,
        ``reliable_change_index``, ``default_missing_rule``, ``citation``, ``notes``.

    Examples
    --------
    >>> definitions_table().loc[0, "score_range"]
    '14-70'
    """
    rows = []
    for d in DEFINITIONS.values():
        if d.per_item:
            item_bands = d.item_bands
            assert item_bands is not None  # per_item means each item has its own bands
            bands = "; ".join(
                f"{item}: " + ", ".join(_band_text(item_bands[item])) for item in d.items
            )
            score_range = f"{d.response_min}-{d.response_max} per question"
        else:
            bands = ", ".join(_band_text(d.bands))
            score_range = f"{d.total_min}-{d.total_max}"
            if d.metric_conversion:
                metric = d.metric_conversion.values()
                score_range += f" raw, {min(metric):g}-{max(metric):g} metric"
        rows.append(
            {
                "instrument": d.name,
                "title": d.title,
                "n_items": d.n_items,
                "response_range": f"{d.response_min}-{d.response_max}",
                "score_column": "; ".join(col for _, col in d.change_scores),
                "score_range": score_range,
                "bands": bands,
                "higher_is_better": d.higher_is_better,
                "meaningful_change": d.meaningful_change,
                "reliable_change_index": d.reliable_change_index,
                "default_missing_rule": "per question" if d.per_item else d.missing_rule,
                "citation": d.citation,
                "notes": d.notes,
            }
        )
    return pd.DataFrame(rows)


def _band_text(bands: Sequence[Band]) -> list[str]:
    uppers = [f" to <{b.lower:g}" for b in bands[1:]] + ["+"]
    return [f"{b.label} ({b.lower:g}{upper})" for b, upper in zip(bands, uppers, strict=True)]


def instrument_settings(config: Any, instrument: str | InstrumentDefinition) -> dict[str, Any]:
    """Missing-item settings for one instrument from ``EvaluationConfig.instruments``.

    Parameters
    ----------
    config : EvaluationConfig or None
        The evaluation config; ``None`` gives the definition's defaults.
    instrument : str or InstrumentDefinition

    Returns
    -------
    dict
        ``{"missing_rule": str, "max_missing": int}``, ready for :func:`score` keywords.

    Raises
    ------
    ConfigError
        If the config names an unknown instrument or setting, or a rule that does not exist.

    Examples
    --------
    >>> from pathlib import Path
    >>> from evalkit.config import EvaluationConfig
    >>> cfg = EvaluationConfig(name="Demo", data_dir=Path("."),
    ...                        instruments={"wemwbs": {"missing_rule": "prorate"}})
    >>> instrument_settings(cfg, "wemwbs")
    {'missing_rule': 'prorate', 'max_missing': 1}
    """
    defn = get(instrument)
    configured = dict(getattr(config, "instruments", None) or {})
    unknown = sorted(set(configured) - set(DEFINITIONS))
    if unknown:
        raise ConfigError(
            f"evaluation.yml instruments: unknown instrument(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(DEFINITIONS)}."
        )
    given = dict(configured.get(defn.name) or {})
    bad = sorted(set(given) - {"missing_rule", "max_missing"})
    if bad:
        raise ConfigError(
            f"evaluation.yml instruments.{defn.name}: unknown setting(s) {', '.join(bad)}; "
            "allowed: missing_rule, max_missing."
        )
    rule, k = _resolve_rule(defn, given.get("missing_rule"), given.get("max_missing"))
    return {"missing_rule": rule, "max_missing": k}


def _resolve_rule(
    defn: InstrumentDefinition, missing_rule: str | None, max_missing: int | None
) -> tuple[str, int]:
    rule = defn.missing_rule if missing_rule is None else str(missing_rule)
    k = defn.max_missing if max_missing is None else max_missing
    where = f"instruments.{defn.name}"
    if defn.per_item and missing_rule not in (None, "complete_case"):
        raise ConfigError(
            f"{where}: {defn.title} questions are reported one by one, so a missing-item rule "
            f"({missing_rule!r}) does not apply; remove the setting."
        )
    if rule not in MISSING_RULES:
        raise ConfigError(
            f"{where}: missing_rule {rule!r} is not one of {', '.join(MISSING_RULES)}."
        )
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < defn.n_items:
        raise ConfigError(
            f"{where}: max_missing must be a whole number from 0 to {defn.n_items - 1} (got {k!r})."
        )
    return rule, int(k)


def missing_rule_statement(
    instrument: str | InstrumentDefinition,
    missing_rule: str | None = None,
    max_missing: int | None = None,
) -> str:
    """One plain-English sentence saying which missing-item rule was used, for reports.

    Examples
    --------
    >>> missing_rule_statement("wemwbs")  # doctest: +NORMALIZE_WHITESPACE
    'WEMWBS scores use complete answers only: anyone who left any of the 14 questions blank has
    no score.'
    >>> missing_rule_statement("swemwbs", "prorate", 1)  # doctest: +NORMALIZE_WHITESPACE
    "SWEMWBS scores allow up to 1 of the 7 questions to be blank: each blank is filled with the
    average of the person's other answers and the total rounded to a whole number; anyone with
    more blanks has no score."
    """
    defn = get(instrument)
    short = defn.short_name
    if defn.per_item:
        return (
            f"{short} questions are reported one by one: a question left blank has no score "
            "and the person's other answers still count."
        )
    rule, k = _resolve_rule(defn, missing_rule, max_missing)
    n = defn.n_items
    if rule == "complete_case" or k == 0:
        return (
            f"{short} scores use complete answers only: anyone who left any of the {n} questions "
            "blank has no score."
        )
    return (
        f"{short} scores allow up to {k} of the {n} questions to be blank: each blank is filled "
        "with the average of the person's other answers and the total rounded to a whole "
        "number; anyone with more blanks has no score."
    )


def missing_rule_statements(config: Any, instruments: Iterable[str]) -> list[str]:
    """The missing-item rule of each instrument as the evaluation configured it, for reports.

    Examples
    --------
    >>> from pathlib import Path
    >>> from evalkit.config import EvaluationConfig
    >>> cfg = EvaluationConfig(name="Demo", data_dir=Path("."),
    ...     instruments={"swemwbs": {"missing_rule": "prorate", "max_missing": 1}})
    >>> [s.split(":")[0] for s in missing_rule_statements(cfg, ["wemwbs", "swemwbs"])]
    ['WEMWBS scores use complete answers only', 'SWEMWBS scores allow up to 1 of the 7 questions \
to be blank']
    """
    return [
        missing_rule_statement(name, **instrument_settings(config, name)) for name in instruments
    ]


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        has = ", ".join(map(str, frame.columns))
        raise ScoringError(f"{what} lacks column(s) {', '.join(missing)}; it has {has}.")


def _numeric(values: pd.Series, labels: pd.DataFrame, item: str | None) -> np.ndarray:
    """Float64 array of ``values``; a non-numeric entry raises naming client, timepoint, item."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    converted = pd.to_numeric(values, errors="coerce")
    bad = converted.isna().to_numpy() & values.notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        row = labels.iloc[i]
        name = item if item is not None else row["measure"]
        raise ScoringError(
            f"Non-numeric value {values.iloc[i]!r} for client {row['client_id']}, timepoint "
            f"{row['timepoint']}, item {name} ({int(bad.sum())} such value(s) in all); item "
            "responses must be numbers. Run `evalkit validate` to list them all."
        )
    return converted.to_numpy(dtype="float64", na_value=np.nan)


def _pivot_grid(measures: pd.DataFrame, names: Sequence[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Keys (``client_id``, ``timepoint``) and a (measures × rows) value grid, NaN = absent.

    One hash pass per key column; rows are ordered by client then timepoint, each in order of
    first appearance.
    """
    _require(measures, _LONG, "The measures table")
    measure_codes, measure_names = pd.factorize(measures["measure"])
    position = {name: j for j, name in enumerate(names)}
    wanted = np.array([position.get(m, -1) for m in measure_names] + [-1], dtype=np.int64)
    item_codes = wanted[measure_codes]  # code -1 (blank measure) picks the trailing -1
    mask = item_codes >= 0
    if not mask.all():
        item_codes = item_codes[mask]
        measures = measures.loc[mask, list(_LONG)]
    client_codes, clients = pd.factorize(measures["client_id"])
    tp_codes, timepoints = pd.factorize(measures["timepoint"])
    blank = (client_codes < 0) | (tp_codes < 0)
    if blank.any():
        i = int(np.flatnonzero(blank)[0])
        raise ScoringError(
            f"measures row {measures.index[i]!r} ({measures['measure'].iloc[i]}) has a blank "
            "client_id or timepoint; every measure must name both."
        )
    values = _numeric(measures["value"], measures, None)
    n_tp = max(len(timepoints), 1)
    key = client_codes.astype(np.int64, copy=False) * n_tp + tp_codes
    occupied = np.zeros(len(clients) * n_tp, dtype=bool)
    occupied[key] = True
    keys = np.flatnonzero(occupied)
    row_of_key = np.cumsum(occupied) - 1
    rows, k = len(keys), len(names)
    flat = item_codes * rows + row_of_key[key]
    filled = np.zeros(k * rows, dtype=bool)
    filled[flat] = True
    if np.count_nonzero(filled) < len(flat):  # two rows landed in one cell
        counts = np.bincount(flat, minlength=k * rows)
        cell = int(np.flatnonzero(counts > 1)[0])
        j, r = divmod(cell, rows)
        client_index, timepoint_index = divmod(int(keys[r]), n_tp)
        raise ScoringError(
            f"Client {clients[client_index]} has measure {names[j]} {int(counts[cell])} times "
            f"at timepoint {timepoints[timepoint_index]} ({int((counts > 1).sum())} such "
            "duplicate(s) in all); keep one value per client, timepoint and measure."
        )
    grid = np.full(k * rows, np.nan)
    grid[flat] = values
    c, t = np.divmod(keys, n_tp)
    labels = pd.DataFrame({"client_id": clients.take(c), "timepoint": timepoints.take(t)})
    return labels, grid.reshape(k, rows)


def pivot_measures(measures: pd.DataFrame, measure_names: Sequence[str]) -> pd.DataFrame:
    """Pivot long measures to one row per client and timepoint, one column per measure.

    Parameters
    ----------
    measures : DataFrame
        Long table with ``client_id``, ``timepoint``, ``measure`` and ``value``.
    measure_names : sequence of str
        Measures to keep, in the column order wanted; rows of other measures are ignored.

    Returns
    -------
    DataFrame
        ``client_id``, ``timepoint`` and one float column per name in ``measure_names``
        (NaN where not recorded); one row per client and timepoint having at least one of the
        measures, ordered by client then timepoint, each in order of first appearance.

    Raises
    ------
    ScoringError
        If a column is missing, a client or timepoint is blank, a value is non-numeric, or a
        client has the same measure twice at one timepoint.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"client_id": ["a", "a", "b"], "timepoint": ["baseline"] * 3,
    ...                      "measure": ["weight_kg", "height_cm", "weight_kg"],
    ...                      "value": [80.0, 175.0, 64.5]})
    >>> pivot_measures(long, ["weight_kg", "height_cm"])
      client_id timepoint  weight_kg  height_cm
    0         a  baseline       80.0      175.0
    1         b  baseline       64.5        NaN
    """
    names = list(dict.fromkeys(measure_names))
    labels, grid = _pivot_grid(measures, names)
    return pd.concat(
        [labels, pd.DataFrame(dict(zip(names, grid, strict=True)), index=labels.index)], axis=1
    )


def _check_items(
    columns: list[np.ndarray], labels: pd.DataFrame, defn: InstrumentDefinition
) -> None:
    """Raise naming client, timepoint, item and value if any response is out of range."""
    lo, hi = defn.response_min, defn.response_max

    def bad_in(col: np.ndarray) -> np.ndarray:
        return ~np.isnan(col) & ((col < lo) | (col > hi) | (col != np.round(col)))

    for j, col in enumerate(columns):
        if not len(col) or np.isnan(col).all():
            continue
        fine = (
            np.fmin.reduce(col) >= lo
            and np.fmax.reduce(col) <= hi
            and np.fmax.reduce(np.abs(col - np.round(col))) == 0
        )
        if fine:
            continue
        r = int(np.flatnonzero(bad_in(col))[0])
        total = sum(int(bad_in(c).sum()) for c in columns)
        raise ScoringError(
            f"{defn.title}: item {defn.items[j]} has value {col[r]:g} for client "
            f"{labels['client_id'].iloc[r]} at timepoint {labels['timepoint'].iloc[r]}; "
            f"responses must be whole numbers from {lo} to {hi} ({total} such value(s) in "
            "all). Run `evalkit validate` to list them all."
        )


def assign_bands(values: np.ndarray | pd.Series, bands: Sequence[Band]) -> pd.Categorical:
    """Band each value: the last band whose lower bound it reaches; NaN stays missing.

    Parameters
    ----------
    values : array-like of float
    bands : sequence of Band, ascending

    Returns
    -------
    pandas.Categorical
        Ordered categories in band order.

    Examples
    --------
    >>> from evalkit.instruments.definitions import Band
    >>> list(assign_bands([4, 5, float("nan")], [Band("low", 0), Band("high", 5)]))
    ['low', 'high', nan]
    """
    x = np.asarray(values, dtype="float64")
    lowers = np.array([b.lower for b in bands], dtype="float64")
    codes = np.searchsorted(lowers, x, side="right") - 1
    codes[np.isnan(x)] = -1
    return pd.Categorical.from_codes(codes, categories=[b.label for b in bands], ordered=True)


def score(
    measures: pd.DataFrame,
    instrument: str | InstrumentDefinition,
    *,
    missing_rule: str | None = None,
    max_missing: int | None = None,
) -> pd.DataFrame:
    """Score an instrument for every client and timepoint.

    Parameters
    ----------
    measures : DataFrame
        Either the long measures table (``client_id``, ``timepoint``, ``measure``, ``value``)
        or wide items (``client_id``, ``timepoint`` and one column per item measure name).
    instrument : str or InstrumentDefinition
    missing_rule : {"complete_case", "prorate"}, optional
        Defaults to the definition's rule (complete case). See :func:`missing_rule_statement`.
    max_missing : int, optional
        For ``prorate``: the most missing items filled in (default 1).

    Returns
    -------
    DataFrame
        One row per client and timepoint (long input: those with at least one item answered;
        wide input: every input row, in order). Columns ``client_id``, ``timepoint``,
        ``<name>_total`` (SWEMWBS also ``swemwbs_metric``), ``<name>_band`` (ordered
        categorical) and ``<name>_items_answered``. A total the missing rule cannot score is
        NaN, never 0. ONS4 has no total: one column per question (its 0-10 answer) and
        ``<question>_band``.

    Raises
    ------
    ScoringError
        If a response is non-numeric, not a whole number or outside the response range; the
        message names client, timepoint, item and value.
    ConfigError
        If the missing-item settings are invalid.

    Notes
    -----
    Prorating is person-mean substitution: total = sum of answered × n_items / n_answered,
    rounded to a whole number (halves up), when at most ``max_missing`` items are missing.

    Examples
    --------
    >>> import pandas as pd
    >>> wide = pd.DataFrame({"client_id": ["a", "b"], "timepoint": ["baseline"] * 2,
    ...                      "auditc_1": [2, 4], "auditc_2": [1, None], "auditc_3": [2, 3]})
    >>> score(wide, "auditc")
      client_id timepoint  auditc_total      auditc_band  auditc_items_answered
    0         a  baseline           5.0  increasing risk                      3
    1         b  baseline           NaN              NaN                      2
    >>> score(wide, "auditc", missing_rule="prorate").loc[1, "auditc_total"]  # 7 * 3 / 2 = 10.5
    np.float64(11.0)
    """
    defn = get(instrument)
    rule, k = _resolve_rule(defn, missing_rule, max_missing)
    sent = None  # a total sent without (or with) its items
    sent_metric = None  # a metric score sent on its own (SWEMWBS)
    if {"measure", "value"} <= set(measures.columns):
        extra = [m for m in (defn.total_measure, defn.metric_measure) if m]
        labels, grid = _pivot_grid(measures, (*defn.items, *extra))
        columns = list(grid[: defn.n_items])
        found = dict(zip(extra, grid[defn.n_items :], strict=True))
        sent, sent_metric = (
            found.get(defn.total_measure or ""),
            found.get(defn.metric_measure or ""),
        )
    else:
        _require(measures, (*_KEYS, *defn.items), f"The wide {defn.name} table")
        labels = measures
        columns = [_numeric(measures[item], measures, item) for item in defn.items]
        if defn.total_measure is not None and defn.total_measure in measures.columns:
            sent = _numeric(measures[defn.total_measure], measures, defn.total_measure)
        if defn.metric_measure is not None and defn.metric_measure in measures.columns:
            sent_metric = _numeric(measures[defn.metric_measure], measures, defn.metric_measure)
    if sent_metric is not None:
        sent = _total_of_metric(sent_metric, sent, labels, defn)
    _check_items(columns, labels, defn)
    lo, hi = defn.response_min, defn.response_max
    columns = [
        lo + hi - col if item in defn.reverse_items else col
        for item, col in zip(defn.items, columns, strict=True)
    ]
    n_rows = len(labels)
    out = pd.DataFrame(
        {"client_id": labels["client_id"].array, "timepoint": labels["timepoint"].array}
    )
    answered = np.zeros(n_rows, dtype=np.int64)
    raw = np.zeros(n_rows)
    for col in columns:
        present = ~np.isnan(col)
        answered += present
        np.add(raw, col, out=raw, where=present)
    if defn.per_item:
        item_bands = defn.item_bands
        assert item_bands is not None  # per_item means each item has its own bands
        for item, col in zip(defn.items, columns, strict=True):
            out[item] = col
            out[f"{item}_band"] = assign_bands(col, item_bands[item])
        out[f"{defn.name}_items_answered"] = answered
        return out
    n = defn.n_items
    total = np.where(answered == n, raw, np.nan)
    if rule == "prorate" and k > 0:
        fill = (answered < n) & (answered >= n - k) & (answered > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            prorated = np.floor(raw * n / answered + 0.5)
        total = np.where(fill, prorated, total)
    if sent is not None:
        total = _with_sent_total(total, sent, answered == n, labels, defn)
    out[f"{defn.name}_total"] = total
    scale = total
    if defn.metric_conversion is not None:
        lookup = np.full(defn.total_max + 1, np.nan)
        for raw_score, metric in defn.metric_conversion.items():
            lookup[raw_score] = metric
        index = np.where(np.isnan(total), 0, total).astype(np.int64)
        scale = np.where(np.isnan(total), np.nan, lookup[index])
        out[defn.score_column] = scale
    out[f"{defn.name}_band"] = assign_bands(scale, defn.bands)
    out[f"{defn.name}_items_answered"] = answered
    return out


def _total_of_metric(
    metric: np.ndarray, sent: np.ndarray | None, labels: pd.DataFrame, defn: InstrumentDefinition
) -> np.ndarray:
    """The raw totals of metric scores sent on their own (``swemwbs_metric``), merged with any
    raw total sent (``swemwbs_total``).

    A metric score must be one of the conversion table's scores (to 2 decimal places); beside a
    raw total sent for the same client and timepoint it must be that total's score.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"client_id": ["a"], "timepoint": ["baseline"],
    ...                      "measure": ["swemwbs_metric"], "value": [19.25]})
    >>> score(long, "swemwbs")[["swemwbs_total", "swemwbs_metric", "swemwbs_items_answered"]]
       swemwbs_total  swemwbs_metric  swemwbs_items_answered
    0           21.0           19.25                       0
    """
    name = defn.metric_measure
    raw = np.array([np.nan if np.isnan(m) else (defn.raw_of_metric(m) or -1) for m in metric])
    raw = raw.astype(float)
    sent = np.full(len(metric), np.nan) if sent is None else sent
    bad = raw == -1
    clash = ~np.isnan(raw) & ~bad & ~np.isnan(sent) & (raw != sent)
    for problem, rule in ((bad, "not in the table"), (clash, "clash")):
        if problem.any():
            i = int(np.flatnonzero(problem)[0])
            who = f"Client {labels['client_id'].iloc[i]} at {labels['timepoint'].iloc[i]}"
            if rule == "clash":
                raise ScoringError(
                    f"{who}: {name} {metric[i]:g} was sent with {defn.total_measure} "
                    f"{sent[i]:g}, whose metric score is "
                    f"{(defn.metric_conversion or {})[int(sent[i])]:g}; correct one of them."
                )
            raise ScoringError(
                f"{who}: {name} {metric[i]:g} is not a score of the published {defn.short_name} "
                f"raw-to-metric conversion table ({int(problem.sum())} such value(s) in all)."
            )
    return np.where(np.isnan(sent), raw, sent)


def _with_sent_total(
    total: np.ndarray,
    sent: np.ndarray,
    complete: np.ndarray,
    labels: pd.DataFrame,
    defn: InstrumentDefinition,
) -> np.ndarray:
    """The total from the items, else the total the provider sent (``<name>_total``).

    A total sent beside complete items must equal their sum; a total sent must be a whole
    number within the instrument's range.

    Examples
    --------
    >>> import pandas as pd
    >>> long = pd.DataFrame({"client_id": ["a", "b"], "timepoint": ["baseline"] * 2,
    ...                      "measure": ["phq9_total", "phq9_total"], "value": [14.0, 3.0]})
    >>> score(long, "phq9")[["client_id", "phq9_total", "phq9_band", "phq9_items_answered"]]
      client_id  phq9_total phq9_band  phq9_items_answered
    0         a        14.0  moderate                    0
    1         b         3.0   minimal                    0
    """
    name = defn.total_measure
    given = ~np.isnan(sent)
    bad = given & ((sent < defn.total_min) | (sent > defn.total_max) | (sent != np.round(sent)))
    clash = given & complete & ~np.isnan(total) & (sent != total)
    for problem, rule in ((bad, "outside"), (clash, "clash")):
        if problem.any():
            i = int(np.flatnonzero(problem)[0])
            who = f"Client {labels['client_id'].iloc[i]} at {labels['timepoint'].iloc[i]}"
            if rule == "outside":
                raise ScoringError(
                    f"{who}: {name} {sent[i]:g} is not a whole number from {defn.total_min} to "
                    f"{defn.total_max} ({int(problem.sum())} such value(s) in all)."
                )
            raise ScoringError(
                f"{who}: {name} {sent[i]:g} was sent, but the {defn.n_items} items sent with it "
                f"sum to {total[i]:g} ({int(problem.sum())} such disagreement(s) in all); "
                "correct the total or the items so they agree."
            )
    return np.where(given & ~complete, sent, total)


def pair_timepoints(
    frame: pd.DataFrame,
    columns: Mapping[str, str] | Sequence[str],
    baseline: str = "baseline",
    followup: str = "exit",
) -> pd.DataFrame:
    """Put each client's values at two timepoints side by side.

    Parameters
    ----------
    frame : DataFrame
        One row per client and timepoint: ``client_id``, ``timepoint`` and the value columns.
    columns : sequence of str, or mapping of column to output stem
        Value columns to pair; a mapping renames ``column`` to ``<stem>_<timepoint>``.
    baseline, followup : str
        The two timepoints.

    Returns
    -------
    DataFrame
        One row per client present at either timepoint, sorted by ``client_id``: ``client_id``
        then ``<stem>_<baseline>`` and ``<stem>_<followup>`` for each column (NaN where absent).

    Raises
    ------
    ScoringError
        If a column is missing or a client appears twice at one timepoint.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"client_id": ["a", "a", "b"],
    ...                       "timepoint": ["baseline", "exit", "exit"],
    ...                       "weight_kg": [90.0, 85.0, 70.0]})
    >>> pair_timepoints(frame, ["weight_kg"])
      client_id  weight_kg_baseline  weight_kg_exit
    0         a                90.0            85.0
    1         b                 NaN            70.0
    """
    if baseline == followup:
        raise ScoringError(f"Pairing needs two different timepoints (both are {baseline!r}).")
    stems = dict(columns) if isinstance(columns, Mapping) else {c: c for c in columns}
    _require(frame, (*_KEYS, *stems), "The table to pair")
    dup = frame.duplicated(list(_KEYS)).to_numpy()
    if dup.any():
        row = frame.loc[dup].iloc[0]
        raise ScoringError(
            f"Client {row['client_id']} appears twice at timepoint {row['timepoint']}; pairing "
            "needs one row per client and timepoint."
        )
    tp = frame["timepoint"]
    before = frame.loc[tp == baseline, ["client_id", *stems]]
    after = frame.loc[tp == followup, ["client_id", *stems]]
    before = before.rename(columns={c: f"{s}_{baseline}" for c, s in stems.items()})
    after = after.rename(columns={c: f"{s}_{followup}" for c, s in stems.items()})
    return before.merge(after, on="client_id", how="outer", sort=True)


def change(
    scored: pd.DataFrame,
    instrument: str | InstrumentDefinition,
    baseline: str = "baseline",
    followup: str = "exit",
) -> pd.DataFrame:
    """Paired change per client between two timepoints, with individual-change flags.

    Parameters
    ----------
    scored : DataFrame
        Output of :func:`score` (one row per client and timepoint).
    instrument : str or InstrumentDefinition
    baseline, followup : str
        Timepoints compared.

    Returns
    -------
    DataFrame
        One row per client scored at either timepoint, sorted by ``client_id``. For the score
        (``wemwbs``; SWEMWBS on the metric score; each ONS4 question by its own name) columns
        ``<stem>_<baseline>``, ``<stem>_<followup>``, ``<stem>_change`` (followup − baseline)
        and nullable-boolean flags ``<stem>_meaningful_improvement``,
        ``<stem>_meaningful_deterioration`` (change of at least the meaningful threshold in the
        better / worse direction), ``<stem>_reliable_change`` (absolute change of at least the
        reliable change index), ``<stem>_reliable_improvement`` and
        ``<stem>_reliable_deterioration``. Flags are NA when the client is not paired or the
        instrument has no such threshold.

    Examples
    --------
    >>> import pandas as pd
    >>> scored = pd.DataFrame({"client_id": ["a", "a", "b"],
    ...                        "timepoint": ["baseline", "exit", "baseline"],
    ...                        "wemwbs_total": [40.0, 49.0, 50.0]})
    >>> out = change(scored, "wemwbs")
    >>> out["wemwbs_change"].tolist()  # a: 49 - 40 = 9; b has no exit score
    [9.0, nan]
    >>> out["wemwbs_meaningful_improvement"].tolist()  # 9 >= 3
    [True, <NA>]
    >>> out["wemwbs_reliable_change"].tolist()  # |9| >= 7.45
    [True, <NA>]
    """
    defn = get(instrument)
    stems = {col: stem for stem, col in defn.change_scores}
    out = pair_timepoints(scored, stems, baseline, followup)
    sign = 1.0 if defn.higher_is_better else -1.0
    meaningful, reliable = defn.meaningful_change, defn.reliable_change_index
    for stem, _ in defn.change_scores:
        diff = np.round(
            out[f"{stem}_{followup}"].to_numpy(dtype="float64")
            - out[f"{stem}_{baseline}"].to_numpy(dtype="float64"),
            6,
        )
        out[f"{stem}_change"] = diff
        unknown = np.isnan(diff)
        better = np.where(unknown, 0.0, diff * sign)
        amounts = {
            "meaningful_improvement": (meaningful, better),
            "meaningful_deterioration": (meaningful, -better),
            "reliable_change": (reliable, np.abs(better)),
            "reliable_improvement": (reliable, better),
            "reliable_deterioration": (reliable, -better),
        }
        for flag, (threshold, amount) in amounts.items():
            if threshold is None:
                out[f"{stem}_{flag}"] = pd.array([pd.NA] * len(out), dtype="boolean")
            else:
                out[f"{stem}_{flag}"] = pd.arrays.BooleanArray(
                    (amount >= threshold) & ~unknown, unknown
                )
    return out.reset_index(drop=True)
