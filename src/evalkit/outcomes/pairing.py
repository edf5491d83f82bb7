"""Pair each client's baseline and follow-up scores into one row.

Every outcome statistic starts from the same wide frame: one row per client with the score at
the baseline timepoint, the score at the follow-up timepoint and the change between them. Clients
with only one of the two scores are kept (with the other score missing), so callers can count
them rather than lose them.

The scores can come in either of the two tables an evaluator has: the long scored table
(``client_id``, ``timepoint``, ``wemwbs_total``, as :func:`evalkit.instruments.score` returns it)
or the episode table (one row per client with ``wemwbs_baseline`` and ``wemwbs_exit``, as
:func:`evalkit.data.episodes.build_episodes` returns it, ``ev.episodes``).

Examples
--------
>>> import pandas as pd
>>> scored = pd.DataFrame({
...     "client_id": ["a", "a", "b"],
...     "timepoint": ["baseline", "exit", "baseline"],
...     "wemwbs_total": [40.0, 46.0, 38.0],
... })
>>> pair_timepoints(scored, "wemwbs_total", "baseline", "exit")[["client_id", "change"]]
  client_id  change
0         a     6.0
1         b     NaN
>>> episodes = pd.DataFrame({"client_id": ["a", "b"], "wemwbs_baseline": [40.0, 38.0],
...                          "wemwbs_exit": [46.0, None]})
>>> pair_timepoints(episodes, "wemwbs")[["client_id", "change"]]
  client_id  change
0         a     6.0
1         b     NaN
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from evalkit import instruments
from evalkit.data.expressions import nearest_columns
from evalkit.data.schema import TIMEPOINTS
from evalkit.errors import StatisticsError
from evalkit.instruments.definitions import DEFINITIONS, InstrumentDefinition

__all__ = ["PAIRED_COLUMNS", "instrument_of", "pair_timepoints", "require_columns"]

#: Columns of :func:`pair_timepoints` (before any carried columns).
PAIRED_COLUMNS = ("client_id", "baseline", "followup", "change")


def require_columns(
    frame: pd.DataFrame, columns: Mapping[str, str] | Sequence[str], table: str
) -> None:
    """Raise a :class:`StatisticsError` naming any of ``columns`` missing from ``frame``.

    The message names each missing column, what it is needed for and the nearest existing
    column names (:func:`evalkit.data.expressions.nearest_columns`), never the whole list: an
    episode table has well over a hundred columns.

    Parameters
    ----------
    frame : DataFrame
        The table to check.
    columns : mapping of str to str, or sequence of str
        Columns the caller needs; a mapping gives, for each, what it is needed for.
    table : str
        How to name the table in the message (e.g. ``"scored"``).

    Raises
    ------
    StatisticsError
        If any of ``columns`` is not a column of ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame(columns=["client_id", "wemwbs_total", "phq9_total"])
    >>> require_columns(frame, {"client_id": "identifies each client"}, "scored")
    >>> require_columns(frame, {"wemwbs_totl": "the score to compare"}, "scored")
    Traceback (most recent call last):
    ...
    evalkit.errors.StatisticsError: scored: column not found (the table has 3 columns):
      'wemwbs_totl', the score to compare; nearest columns: wemwbs_total
    Check the spelling, or pass the table that has it.
    """
    needed = dict(columns) if isinstance(columns, Mapping) else dict.fromkeys(columns, "")
    missing = [column for column in needed if column not in frame.columns]
    if not missing:
        return
    present = [str(column) for column in frame.columns]
    lines = [
        f"{table}: {'column' if len(missing) == 1 else f'{len(missing)} columns'} not found "
        f"(the table has {len(present)} columns):"
    ]
    for column in missing:
        purpose = f", {needed[column]}" if needed[column] else ""
        near = nearest_columns(str(column), present, n=3)
        nearest = f"nearest columns: {', '.join(near)}" if near else "no similar column"
        lines.append(f"  '{column}'{purpose}; {nearest}")
    lines.append(
        f"Check the spelling, or pass the table that has {'it' if len(missing) == 1 else 'them'}."
    )
    raise StatisticsError("\n".join(lines))


def instrument_of(measure: str) -> InstrumentDefinition | None:
    """The instrument whose score ``measure`` names, or ``None`` for any other column.

    ``measure`` may be the instrument's score column in the long scored table
    (``wemwbs_total``, ``swemwbs_metric``) or the stem of its episode-table columns (``wemwbs``
    for ``wemwbs_baseline`` / ``wemwbs_exit``).

    Examples
    --------
    >>> instrument_of("wemwbs").name, instrument_of("swemwbs_metric").name
    ('wemwbs', 'swemwbs')
    >>> instrument_of("weight_kg") is None
    True
    """
    return next((d for d in DEFINITIONS.values() if measure in (d.score_column, d.name)), None)


def _episode_stem(episodes: pd.DataFrame, measure: str, baseline: str, followup: str) -> str:
    """The stem of the episode columns holding ``measure``: the measure itself, or the stem of
    the instrument whose score column it is (``wemwbs_total`` -> ``wemwbs``)."""
    definition = instrument_of(measure)
    stems = [measure]
    if definition is not None:
        stems += [stem for stem, column in definition.change_scores if column == measure]
    for stem in stems:
        if {f"{stem}_{baseline}", f"{stem}_{followup}"} <= set(episodes.columns):
            return stem
    return stems[-1]


def _scores(episodes: pd.DataFrame, column: str) -> pd.Series:
    try:
        return episodes[column].astype(float)
    except (TypeError, ValueError) as exc:
        raise StatisticsError(
            f"scored: column '{column}' must hold numbers (it has dtype {episodes[column].dtype}); "
            "pass a score column."
        ) from exc


def _pair_episodes(
    episodes: pd.DataFrame, measure: str, baseline: str, followup: str, carry: list[str]
) -> pd.DataFrame:
    stem = _episode_stem(episodes, measure, baseline, followup)
    before, after = f"{stem}_{baseline}", f"{stem}_{followup}"
    require_columns(
        episodes,
        {
            "client_id": "identifies each client",
            before: f"the {stem} score at {baseline}",
            after: f"the {stem} score at {followup}",
            **dict.fromkeys(carry, "a column to keep beside each client's scores"),
        },
        "scored (read as an episode table, one row per client, as it has no 'timepoint' column)",
    )
    repeated = episodes["client_id"].duplicated(keep=False)
    if repeated.any():
        first = episodes.loc[repeated, "client_id"].iloc[0]
        raise StatisticsError(
            f"scored: client '{first}' has {int((episodes['client_id'] == first).sum())} rows "
            f"(row index {episodes.index[repeated][0]}); an episode table has one row per "
            "client. Pass ev.episodes, or the long scored table with a 'timepoint' column."
        )
    paired = pd.DataFrame(
        {
            "client_id": episodes["client_id"].to_numpy(),
            "baseline": _scores(episodes, before).to_numpy(),
            "followup": _scores(episodes, after).to_numpy(),
        }
    )
    paired["change"] = paired["followup"] - paired["baseline"]
    for column in carry:
        paired[column] = episodes[column].array
    scored_once = paired["baseline"].notna() | paired["followup"].notna()
    return paired.loc[scored_once].sort_values("client_id", ignore_index=True)


def _pair_long(
    scored: pd.DataFrame, measure: str, baseline: str, followup: str, carry: list[str]
) -> pd.DataFrame:
    require_columns(
        scored,
        {
            "client_id": "identifies each client",
            measure: "the score to compare",
            **dict.fromkeys(carry, "a column to keep beside each client's scores"),
        },
        "scored",
    )
    present = set(scored["timepoint"].dropna().astype(str))
    for label in (baseline, followup):
        if label not in present and label not in TIMEPOINTS:
            raise StatisticsError(
                f"scored: timepoint '{label}' is not a known timepoint ({', '.join(TIMEPOINTS)}) "
                f"and does not occur in column 'timepoint' (present: {', '.join(sorted(present))})."
            )
    rows = scored.loc[scored["timepoint"].isin([baseline, followup])]
    duplicated = rows.duplicated(["client_id", "timepoint"], keep=False)
    if duplicated.any():
        first = rows.loc[duplicated].iloc[0]
        raise StatisticsError(
            f"scored: client '{first['client_id']}' has {int(duplicated.sum())} rows for "
            f"timepoint '{first['timepoint']}' (row index {rows.index[duplicated][0]}); "
            "each client needs at most one score per timepoint."
        )
    wide = instruments.pair_timepoints(rows, {measure: "score"}, baseline, followup)
    paired = pd.DataFrame(
        {
            "client_id": wide["client_id"].to_numpy(),
            "baseline": wide[f"score_{baseline}"].astype(float).to_numpy(),
            "followup": wide[f"score_{followup}"].astype(float).to_numpy(),
        }
    )
    paired["change"] = paired["followup"] - paired["baseline"]
    if carry:
        order = rows.assign(_first=(rows["timepoint"] != baseline).astype(int))
        order = order.sort_values(["client_id", "_first"]).drop_duplicates("client_id")
        paired = paired.merge(order[["client_id", *carry]], on="client_id", how="left")
    return paired.sort_values("client_id", ignore_index=True)


def pair_timepoints(
    scored: pd.DataFrame,
    measure: str,
    baseline: str = "baseline",
    followup: str = "exit",
    carry: Sequence[str] = (),
) -> pd.DataFrame:
    """One row per client with the baseline score, the follow-up score and the change.

    Parameters
    ----------
    scored : DataFrame
        Either table of scores:

        * long, with ``client_id``, ``timepoint`` and the ``measure`` column (as returned by
          ``evalkit.instruments.score``);
        * the episode table (no ``timepoint`` column; one row per client, as
          ``ev.episodes``), with ``<measure>_<baseline>`` and ``<measure>_<followup>``
          columns, e.g. ``wemwbs_baseline`` and ``wemwbs_exit``.
    measure : str
        The score: a long table's column (``"wemwbs_total"``), or an episode table's column
        stem (``"wemwbs"``; an instrument's score column such as ``"wemwbs_total"`` is read as
        its stem there too).
    baseline, followup : str
        Timepoints to pair (values of ``scored["timepoint"]``, or column suffixes of the
        episode table).
    carry : sequence of str
        Extra columns of ``scored`` to keep: from the client's baseline row of a long table (or
        from the follow-up row when there is no baseline row), from the client's row of an
        episode table.

    Returns
    -------
    DataFrame
        ``client_id``, ``baseline``, ``followup``, ``change`` (= followup - baseline, missing
        unless both are present) and the ``carry`` columns; one row per client who has a row at
        either timepoint (in an episode table: a score at either), sorted by ``client_id``.
        Both tables of the same clients give the same rows.

    Raises
    ------
    StatisticsError
        If a column is missing, a timepoint label is neither a schema timepoint nor present
        in the table (a likely typo), or a client has two rows at the same timepoint (two rows
        in an episode table).

    Examples
    --------
    >>> import pandas as pd
    >>> scored = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
    ...                        "phq9_total": [14.0, 8.0]})
    >>> pair_timepoints(scored, "phq9_total")["change"].tolist()
    [-6.0]
    """
    if baseline == followup:
        raise StatisticsError(
            f"baseline and follow-up are the same timepoint ('{baseline}'); choose two different "
            "timepoints to pair."
        )
    pair = _pair_long if "timepoint" in scored.columns else _pair_episodes
    return pair(scored, measure, baseline, followup, list(carry))
