"""Pair each client's baseline and follow-up scores into one row.

Every outcome statistic starts from the same wide frame: one row per client with the score at
the baseline timepoint, the score at the follow-up timepoint and the change between them. Clients
with only one of the two scores are kept (with the other score missing), so callers can count
them rather than lose them.

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
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from evalkit import instruments
from evalkit.data.schema import TIMEPOINTS
from evalkit.errors import StatisticsError

__all__ = ["PAIRED_COLUMNS", "pair_timepoints", "require_columns"]

#: Columns of :func:`pair_timepoints` (before any carried columns).
PAIRED_COLUMNS = ("client_id", "baseline", "followup", "change")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    """Raise a :class:`StatisticsError` naming any of ``columns`` missing from ``frame``.

    Parameters
    ----------
    frame : DataFrame
        The table to check.
    columns : sequence of str
        Columns the caller needs.
    table : str
        How to name the table in the message (e.g. ``"scored"``).

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"client_id": []}), ["client_id"], "scored")
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise StatisticsError(
            f"{table}: column(s) {', '.join(missing)} not found; "
            f"available columns: {', '.join(map(str, frame.columns))}."
        )


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
        Long scored table with ``client_id``, ``timepoint`` and the ``measure`` column (as
        returned by ``evalkit.instruments.score``).
    measure : str
        Score column, e.g. ``"wemwbs_total"``.
    baseline, followup : str
        Timepoint labels to pair (values of ``scored["timepoint"]``).
    carry : sequence of str
        Extra columns of ``scored`` to keep, taken from the client's baseline row (or from the
        follow-up row when there is no baseline row).

    Returns
    -------
    DataFrame
        ``client_id``, ``baseline``, ``followup``, ``change`` (= followup - baseline, missing
        unless both are present) and the ``carry`` columns; one row per client who has a row at
        either timepoint, sorted by ``client_id``.

    Raises
    ------
    StatisticsError
        If a column is missing, a timepoint label is neither a schema timepoint nor present
        in the table (a likely typo), or a client has two rows at the same timepoint.

    Examples
    --------
    >>> import pandas as pd
    >>> scored = pd.DataFrame({"client_id": ["a", "a"], "timepoint": ["baseline", "exit"],
    ...                        "phq9_total": [14.0, 8.0]})
    >>> pair_timepoints(scored, "phq9_total")["change"].tolist()
    [-6.0]
    """
    carry = list(carry)
    require_columns(scored, ["client_id", "timepoint", measure, *carry], "scored")
    if baseline == followup:
        raise StatisticsError(
            f"baseline and follow-up are the same timepoint ('{baseline}'); choose two different "
            "timepoints to pair."
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
