"""How the programme theories changed: the refinement log as a report shows it.

The report never writes the evaluation's own ``qual/refinement_log.csv`` (it is an input of the
realist page, and a page for one site or an old period must not rewrite it). It shows the log as
recorded, plus this period's statuses when the evaluator has not recorded them yet, and writes
that log into its output folder for the evaluator to keep.
"""

from __future__ import annotations

import pandas as pd

from evalkit.pages.realist_synthesis.scope import period_end
from evalkit.realist import record_period

__all__ = ["refinement_log_for_report"]


def refinement_log_for_report(
    log: pd.DataFrame,
    cmocs: pd.DataFrame,
    period: str,
    link: pd.DataFrame | None = None,
    rounds: pd.Series | None = None,
) -> pd.DataFrame:
    """The refinement log with ``period``'s statuses added if it has none for that period yet.

    A period the evaluator has recorded is never overwritten, so regenerating an old report
    shows the statuses of the time; otherwise the CMOC table's current statuses (and the
    patterns in ``link``) are added for ``period`` by :func:`evalkit.realist.record_period`.

    Parameters
    ----------
    log : DataFrame
        :func:`evalkit.realist.read_refinement_log` output.
    cmocs : DataFrame
        The CMOC table (``cmoc_id``, ``programme_theory``, ``status``).
    period : str
        The report period, ``YYYY-Qn``.
    link : DataFrame, optional
        :func:`evalkit.realist.cmoc_outcome_link` output.
    rounds : Series, optional
        ``cmoc_id`` -> the fieldwork rounds evidencing it (:func:`evalkit.realist.cmoc_rounds`);
        recorded for ``period``, and filled in where a recorded ``period`` has none.

    Returns
    -------
    DataFrame
        :data:`evalkit.realist.REFINEMENT_LOG_COLUMNS`, every period of ``log`` kept.

    Raises
    ------
    ConfigError
        If ``period`` is not written ``YYYY-Qn``.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.realist import read_refinement_log
    >>> cmocs = pd.DataFrame({"cmoc_id": ["C1"], "programme_theory": ["PT1"],
    ...                       "status": ["supported"]})
    >>> log = refinement_log_for_report(read_refinement_log("none.csv"), cmocs, "2026-Q1")
    >>> log = refinement_log_for_report(log, cmocs.assign(status="refined"), "2026-Q1")
    >>> log[["period", "status"]].values.tolist()
    [['2026-Q1', 'supported']]
    """
    period_end(period)
    if cmocs.empty:
        return log.reset_index(drop=True)
    if (log["period"] == period).any():
        log = log.reset_index(drop=True)
        if rounds is not None:
            blank = (log["period"] == period) & log["rounds"].isna()
            log.loc[blank, "rounds"] = log.loc[blank, "cmoc_id"].map(rounds)
        return log
    return record_period(log, cmocs, period, link, rounds=rounds)
