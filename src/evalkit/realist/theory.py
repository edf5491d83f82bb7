"""The programme-theory table and the refinement log that shows how theories changed over time.

A realist evaluation starts from initial programme theories, expressed as CMOCs, and refines
them as evidence arrives (RAMESES II: evidence may "support, refute or refine" a theory). The
programme-theory table sets, per CMOC, the evaluator's status beside evalkit's suggestion and the
weight of qualitative evidence. The refinement log keeps each reporting period's statuses, one
row per period and CMOC, so that an interim report can show how each theory moved; re-running a
period replaces that period's rows only, so regenerating an old report never rewrites history.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pandas as pd

from evalkit.errors import ConfigError, QualImportError

__all__ = [
    "REFINEMENT_LOG_COLUMNS",
    "THEORY_COLUMNS",
    "programme_theory_table",
    "read_refinement_log",
    "record_period",
    "status_history",
    "write_refinement_log",
]

#: Columns of :func:`programme_theory_table`.
THEORY_COLUMNS = (
    "programme_theory",
    "cmoc_id",
    "context",
    "mechanism_resource",
    "mechanism_reasoning",
    "outcome",
    "status",
    "pattern",
    "suggested_status",
    "n_sources",
    "n_sites",
    "n_stakeholder_groups",
)

#: Columns of the refinement log (``qual/refinement_log.csv``). ``rounds`` names the fieldwork
#: rounds whose sources evidenced the CMOC by then (``1;2``); a log written before rounds were
#: recorded has no such column and reads with it blank.
REFINEMENT_LOG_COLUMNS = ("period", "cmoc_id", "programme_theory", "status", "pattern", "rounds")
_OPTIONAL_LOG_COLUMNS = ("rounds",)

_PERIOD = re.compile(r"^\d{4}-Q[1-4]$")


def programme_theory_table(
    cmocs: pd.DataFrame,
    link: pd.DataFrame | None = None,
    evidence: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Initial programme theories -> CMOCs -> the evaluator's status, with evalkit's suggestion.

    Parameters
    ----------
    cmocs : DataFrame
        The CMOC table.
    link : DataFrame, optional
        :func:`evalkit.realist.cmoc_outcome_link` output (for ``pattern`` and
        ``suggested_status``).
    evidence : DataFrame, optional
        :func:`evalkit.realist.cmoc_evidence` output (its ``all`` rows give the counts).

    Returns
    -------
    DataFrame
        :data:`THEORY_COLUMNS`, sorted by programme theory then CMOC (input order within).

    Examples
    --------
    >>> import pandas as pd
    >>> cmocs = pd.DataFrame({"cmoc_id": ["C2", "C1"], "programme_theory": ["PT2", "PT1"],
    ...     "context": ["c"] * 2, "mechanism_resource": ["m"] * 2,
    ...     "mechanism_reasoning": ["r"] * 2, "outcome": ["o"] * 2,
    ...     "status": ["refined", "initial"]})
    >>> programme_theory_table(cmocs)[["programme_theory", "cmoc_id", "status"]].values.tolist()
    [['PT1', 'C1', 'initial'], ['PT2', 'C2', 'refined']]
    """
    table = cmocs.copy()
    for column in THEORY_COLUMNS:
        if column not in table.columns:
            table[column] = pd.NA
    if link is not None:
        suggested = link.set_index("cmoc_id")
        table["pattern"] = table["cmoc_id"].map(suggested["pattern"])
        table["suggested_status"] = table["cmoc_id"].map(suggested["suggested_status"])
    if evidence is not None:
        totals = evidence[evidence["element"] == "all"].set_index("cmoc_id")
        for column in ("n_sources", "n_sites", "n_stakeholder_groups"):
            table[column] = table["cmoc_id"].map(totals[column])
    table = table.sort_values("programme_theory", kind="stable")
    return table[list(THEORY_COLUMNS)].reset_index(drop=True)


def _check_period(period: str) -> str:
    if not _PERIOD.match(str(period)):
        raise ConfigError(f"period {period!r} is not a quarter written YYYY-Qn (e.g. 2026-Q2).")
    return str(period)


def read_refinement_log(path: str | Path) -> pd.DataFrame:
    """Read the refinement log; a log that does not exist yet is empty.

    Raises
    ------
    QualImportError
        A file without the log's columns.

    Examples
    --------
    >>> read_refinement_log("no/such/refinement_log.csv").columns.tolist()
    ['period', 'cmoc_id', 'programme_theory', 'status', 'pattern', 'rounds']
    """
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame({c: pd.Series([], dtype="str") for c in REFINEMENT_LOG_COLUMNS})
    log = pd.read_csv(path, dtype="str", keep_default_na=False).replace("", pd.NA)
    for column in _OPTIONAL_LOG_COLUMNS:
        if column not in log.columns:
            log[column] = pd.NA
    missing = [c for c in REFINEMENT_LOG_COLUMNS if c not in log.columns]
    if missing:
        raise QualImportError(
            f"{path}: not a refinement log (missing column(s) {', '.join(missing)})."
        )
    return log[list(REFINEMENT_LOG_COLUMNS)]


def record_period(
    log: pd.DataFrame,
    cmocs: pd.DataFrame,
    period: str,
    link: pd.DataFrame | None = None,
    rounds: pd.Series | None = None,
) -> pd.DataFrame:
    """The log with ``period``'s statuses set to the CMOC table's current ones.

    Rows of other periods are kept as they are; rows already recorded for ``period`` are
    replaced (so re-running a report is idempotent).

    Parameters
    ----------
    rounds : Series, optional
        ``cmoc_id`` -> the fieldwork rounds evidencing it so far
        (:func:`evalkit.realist.cmoc_rounds`), recorded in the ``rounds`` column.

    Examples
    --------
    >>> import pandas as pd
    >>> cmocs = pd.DataFrame({"cmoc_id": ["C1"], "programme_theory": ["PT1"],
    ...                       "status": ["initial"]})
    >>> log = record_period(read_refinement_log("none.csv"), cmocs, "2026-Q1")
    >>> log = record_period(log, cmocs.assign(status="supported"), "2026-Q2")
    >>> log[["period", "status"]].values.tolist()
    [['2026-Q1', 'initial'], ['2026-Q2', 'supported']]
    """
    period = _check_period(period)
    now = pd.DataFrame(
        {
            "period": period,
            "cmoc_id": cmocs["cmoc_id"].to_numpy(),
            "programme_theory": cmocs["programme_theory"].to_numpy(),
            "status": cmocs["status"].to_numpy(),
            "pattern": (
                cmocs["cmoc_id"].map(link.set_index("cmoc_id")["pattern"]).to_numpy()
                if link is not None
                else pd.NA
            ),
            "rounds": (cmocs["cmoc_id"].map(rounds).to_numpy() if rounds is not None else pd.NA),
        }
    )
    if "rounds" not in log.columns:
        log = log.assign(rounds=pd.NA)
    kept = log[log["period"] != period]
    out = pd.concat([kept, now], ignore_index=True) if not kept.empty else now
    return out.sort_values(["period"], kind="stable").reset_index(drop=True).astype("str")


def write_refinement_log(log: pd.DataFrame, path: str | Path) -> Path:
    """Write the log as CSV atomically (a crash never leaves half a log).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "refinement_log.csv"
    >>> empty = read_refinement_log(p)
    >>> read_refinement_log(write_refinement_log(empty, p)).empty
    True
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".refinement_log.", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
        log[list(REFINEMENT_LOG_COLUMNS)].to_csv(out, index=False)
    os.replace(tmp, path)
    return path


def status_history(log: pd.DataFrame, *, up_to: str | None = None) -> pd.DataFrame:
    """How each CMOC's status moved across periods, for an interim report.

    Parameters
    ----------
    log : DataFrame
        The refinement log.
    up_to : str, optional
        Last period to show (a report for 2026-Q2 ignores later periods).

    Returns
    -------
    DataFrame
        One row per CMOC: ``cmoc_id``, ``programme_theory``, one column per period holding the
        status then, ``changed`` (whether the status ever changed) and ``history`` in words
        (e.g. ``"initial (2026-Q1) → supported (2026-Q2)"``).

    Examples
    --------
    >>> import pandas as pd
    >>> log = pd.DataFrame({"period": ["2026-Q1", "2026-Q2", "2026-Q3"],
    ...                     "cmoc_id": ["C1"] * 3, "programme_theory": ["PT1"] * 3,
    ...                     "status": ["initial", "refined", "refined"], "pattern": [pd.NA] * 3})
    >>> status_history(log).iloc[0]["history"]
    'initial (2026-Q1) → refined (2026-Q2)'
    >>> bool(status_history(log, up_to="2026-Q1").iloc[0]["changed"])
    False
    """
    if up_to is not None:
        log = log[log["period"] <= _check_period(up_to)]
    periods = sorted(log["period"].unique())
    wide = log.pivot(index="cmoc_id", columns="period", values="status")
    order = list(dict.fromkeys(log.sort_values("period", kind="stable")["cmoc_id"]))
    rows = []
    theory = log.drop_duplicates("cmoc_id", keep="last").set_index("cmoc_id")["programme_theory"]
    for cmoc_id in order:
        statuses = [(p, wide.at[cmoc_id, p]) for p in periods if not pd.isna(wide.at[cmoc_id, p])]
        steps = [statuses[0]] + [
            s for prev, s in zip(statuses, statuses[1:], strict=False) if s[1] != prev[1]
        ]
        rows.append(
            {
                "cmoc_id": cmoc_id,
                "programme_theory": theory[cmoc_id],
                **{p: wide.at[cmoc_id, p] for p in periods},
                "changed": len(steps) > 1,
                "history": " → ".join(f"{status} ({period})" for period, status in steps),
            }
        )
    return pd.DataFrame(
        rows, columns=["cmoc_id", "programme_theory", *periods, "changed", "history"]
    )
