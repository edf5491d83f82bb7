"""Reporting periods: the calendar quarter of a date, and which period a report covers.

A period is a calendar quarter written ``YYYY-Qn``. Reports are cumulative: the report for a
period covers every referral up to and including it. ``"latest"`` means the last configured
period that has referrals in the data (the last period in the data when none are configured);
:func:`resolve_period` is the one place that rule is written, used by
:func:`evalkit.data.evaluation.load_evaluation` and by ``evalkit report``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from evalkit.errors import ConfigError

__all__ = ["LATEST", "period_of", "resolve_period"]

#: The period argument meaning "the last period with data".
LATEST = "latest"


def period_of(dates: pd.Series) -> pd.Series:
    """Calendar quarter of each date as ``"YYYY-Qn"`` (missing stays missing).

    Examples
    --------
    >>> period_of(pd.Series(pd.to_datetime(["2026-01-05", "2026-07-01", None]))).tolist()
    ['2026-Q1', '2026-Q3', None]
    """
    dates = pd.to_datetime(dates)
    text = (
        dates.dt.year.astype("Int64").astype("string")
        + "-Q"
        + dates.dt.quarter.astype("Int64").astype("string")
    )
    return text.astype(object).where(dates.notna(), None)


def resolve_period(
    configured: Sequence[str],
    period: str,
    periods_with_data: Iterable[str],
    *,
    config_path: str | Path | None = None,
) -> str:
    """The period a report covers: ``latest`` resolved, a named period checked.

    Parameters
    ----------
    configured : sequence of str
        The config's ``periods`` (oldest first); may be empty.
    period : str
        ``"latest"`` or a period (``YYYY-Qn``).
    periods_with_data : iterable of str
        Quarters that have referrals in the data.
    config_path : str or Path, optional
        The config file, named in messages.

    Raises
    ------
    ConfigError
        If a named period is not configured, or (for ``latest``) no period has referrals.

    Examples
    --------
    >>> resolve_period(["2026-Q1", "2026-Q2"], "latest", {"2025-Q4", "2026-Q1"})
    '2026-Q1'
    >>> resolve_period([], "latest", {"2025-Q4", "2026-Q1"})
    '2026-Q1'
    """
    where = config_path or "the config"
    if period != LATEST:
        if configured and period not in configured:
            raise ConfigError(
                f"period {period!r} is not configured in {where} "
                f"(configured: {', '.join(configured)})."
            )
        return period
    found = set(periods_with_data)
    candidates = list(configured) or sorted(found)
    with_data = [p for p in candidates if p in found]
    if not with_data:
        raise ConfigError(
            f"--period latest: none of the periods ({', '.join(candidates) or 'none'}) "
            f"has referrals in the data of {where} "
            f"(periods found: {', '.join(sorted(found)) or 'none'})."
        )
    return with_data[-1]
