"""The quantitative link: does the outcome pattern a CMOC predicts show in the monitoring data?

A CMOC may declare ``context_filter`` (a condition over the episode table in evalkit's
expression language, :mod:`evalkit.data.expressions`, e.g.
``imd_quintile == 1 and delivery_mode == 'peer_led'``), ``outcome_measure`` (an episode column,
e.g. ``wemwbs_change`` or ``quit_4wk_co``) and ``expected_direction`` (``higher``/``lower``).
:func:`cmoc_outcome_link` compares the outcome inside the context with outside it through
:func:`evalkit.outcomes.contrast` (difference with 95 % CI, and the ANCOVA test adjusting for the
baseline) and labels the pattern with :func:`label_pattern`:

* ``inconclusive`` — fewer than ``min_n`` episodes in either group, no estimate, or a 95 % CI
  that includes 0;
* ``consistent`` — the CI excludes 0 on the predicted side;
* ``inconsistent`` — the CI excludes 0 on the other side;
* ``not tested`` — the CMOC declares no quantitative test.

evalkit only suggests: the evaluator's ``status`` is passed through untouched and the suggestion
(``suggested_status``) sits beside it (DESIGN §5: "the evaluator decides the status").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.data.expressions import evaluate
from evalkit.errors import StatisticsError
from evalkit.outcomes import contrast

__all__ = [
    "LINK_COLUMNS",
    "PATTERNS",
    "SUGGESTED_STATUS",
    "baseline_for",
    "cmoc_location",
    "cmoc_outcome_link",
    "label_pattern",
]

#: The labels :func:`label_pattern` gives.
PATTERNS = ("consistent", "inconsistent", "inconclusive", "not tested")

#: What each pattern suggests for the evaluator's status (RAMESES II: evidence may "support,
#: refute or refine" a theory); the evaluator decides.
SUGGESTED_STATUS: dict[str, str | None] = {
    "consistent": "supported",
    "inconsistent": "refuted or refined",
    "inconclusive": "inconclusive",
    "not tested": None,
}

_CONTRAST = (
    "n_in",
    "n_out",
    "mean_in",
    "mean_out",
    "difference",
    "ci_lower",
    "ci_upper",
    "p_value",
    "interaction_p",
    "method",
    "note",
)

#: Columns of :func:`cmoc_outcome_link`.
LINK_COLUMNS = (
    "cmoc_id",
    "programme_theory",
    "context_filter",
    "outcome_measure",
    "expected_direction",
    *_CONTRAST,
    "pattern",
    "pattern_reason",
    "status",
    "suggested_status",
)


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def label_pattern(row: Mapping, expected_direction: str, *, min_n: int = 30) -> tuple[str, str]:
    """Label one contrast row consistent, inconsistent or inconclusive, and say why.

    Parameters
    ----------
    row : mapping
        A row of :func:`evalkit.outcomes.contrast`: ``n_in``, ``n_out``, ``difference``,
        ``ci_lower``, ``ci_upper``, ``interaction_p``, ``note``.
    expected_direction : {"higher", "lower"}
        Whether the CMOC predicts a higher or lower outcome inside the context.
    min_n : int
        Fewest episodes with the outcome in each group for a label other than inconclusive.

    Returns
    -------
    (str, str)
        The pattern (one of :data:`PATTERNS` but "not tested") and a plain-English reason.

    Examples
    --------
    >>> label_pattern({"n_in": 120, "n_out": 900, "difference": 2.9, "ci_lower": 1.4,
    ...                "ci_upper": 4.4, "interaction_p": 0.001, "note": ""}, "higher")[0]
    'consistent'
    >>> label_pattern({"n_in": 120, "n_out": 900, "difference": 0.4, "ci_lower": -1.0,
    ...                "ci_upper": 1.8, "interaction_p": 0.5, "note": ""}, "higher")
    ('inconclusive', 'the 95% CI of the difference (-1.0 to 1.8) includes 0')
    """
    if expected_direction not in ("higher", "lower"):
        raise StatisticsError(
            f"expected_direction must be 'higher' or 'lower', not {expected_direction!r}."
        )
    n_in, n_out = _number(row.get("n_in")), _number(row.get("n_out"))
    if not (n_in >= min_n and n_out >= min_n):
        return "inconclusive", (
            f"too few episodes with the outcome: {n_in:.0f} in the context and {n_out:.0f} "
            f"outside it (each needs at least {min_n})"
        )
    diff = _number(row.get("difference"))
    low, high = _number(row.get("ci_lower")), _number(row.get("ci_upper"))
    if np.isnan(diff) or np.isnan(low) or np.isnan(high):
        note = str(row.get("note") or "").strip()
        return "inconclusive", f"no estimate of the difference ({note or 'not computable'})"
    if low <= 0 <= high:
        return "inconclusive", f"the 95% CI of the difference ({low:.1f} to {high:.1f}) includes 0"
    observed = "higher" if diff > 0 else "lower"
    reason = (
        f"the outcome is {observed} in the context: difference {diff:+.2f} "
        f"(95% CI {low:.2f} to {high:.2f})"
    )
    adjusted_p = _number(row.get("interaction_p"))
    if not np.isnan(adjusted_p) and adjusted_p >= 0.05:
        reason += f"; the baseline-adjusted test does not confirm it (p = {adjusted_p:.2f})"
    if observed == expected_direction:
        return "consistent", reason
    return "inconsistent", reason + f", but the CMOC predicts {expected_direction}"


def baseline_for(outcome: str, columns: Sequence[str]) -> str | None:
    """The baseline to adjust a change outcome for: ``<x>_change`` -> ``<x>_baseline``.

    Examples
    --------
    >>> baseline_for("wemwbs_change", ["wemwbs_change", "wemwbs_baseline"])
    'wemwbs_baseline'
    >>> baseline_for("quit_4wk_co", ["quit_4wk_co"]) is None
    True
    """
    if outcome.endswith("_change"):
        candidate = outcome[: -len("_change")] + "_baseline"
        if candidate in columns:
            return candidate
    return None


def _declared(value) -> bool:
    return not pd.isna(value) and str(value).strip() not in ("", "nan")


def cmoc_location(cmoc: Mapping[str, Any]) -> str:
    """Where a CMOC was written, for messages: its file and row when known, and its id.

    Examples
    --------
    >>> cmoc_location({"cmoc_id": "CMOC2", "source_file": "qual/cmocs.csv", "source_row": 3})
    'qual/cmocs.csv row 3 (CMOC CMOC2)'
    >>> cmoc_location({"cmoc_id": "CMOC2"})
    'CMOC CMOC2'
    """
    name = f"CMOC {cmoc.get('cmoc_id')}"
    file, row = cmoc.get("source_file"), cmoc.get("source_row")
    if isinstance(file, str) and file and row is not None and not pd.isna(row):
        return f"{file} row {int(row)} ({name})"
    return name


def cmoc_outcome_link(
    cmocs: pd.DataFrame,
    episodes: pd.DataFrame,
    *,
    min_n: int = 30,
    covariates: Sequence[str] = (),
    baselines: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """For each CMOC, the outcome inside its context against outside it, and the pattern label.

    Parameters
    ----------
    cmocs : DataFrame
        The CMOC table (``cmoc_id``, ``programme_theory``, ``status``, and optionally
        ``context_filter``, ``outcome_measure``, ``expected_direction``).
    episodes : DataFrame
        The episode table (:func:`evalkit.data.episodes.build_episodes`).
    min_n : int
        Fewest episodes with the outcome in each group (``realist.min_n`` in the config).
    covariates : sequence of str
        Extra adjustment columns for the ANCOVA test.
    baselines : mapping, optional
        Baseline column per outcome; by default ``<x>_change`` is adjusted for ``<x>_baseline``
        when the episode table has it (:func:`baseline_for`).

    Returns
    -------
    DataFrame
        :data:`LINK_COLUMNS`, one row per CMOC in input order. ``status`` is the evaluator's,
        unchanged; ``suggested_status`` is evalkit's suggestion from the pattern.

    Raises
    ------
    StatisticsError
        A context filter that cannot be evaluated, an outcome column the episode table lacks,
        or an ``expected_direction`` other than higher/lower; the message names the CMOC.

    Examples
    --------
    >>> import pandas as pd
    >>> episodes = pd.DataFrame({"delivery_mode": ["peer_led"] * 4 + ["digital"] * 4,
    ...                          "wemwbs_change": [6.0, 5.0, 7.0, 6.0, 1.0, 2.0, 1.0, 2.0]})
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1"], "programme_theory": ["PT1"],
    ...     "status": ["initial"], "context_filter": ["delivery_mode == 'peer_led'"],
    ...     "outcome_measure": ["wemwbs_change"], "expected_direction": ["higher"]})
    >>> cmoc_outcome_link(cmocs, episodes, min_n=4)[["pattern", "status",
    ...                                               "suggested_status"]].values.tolist()
    [['consistent', 'initial', 'supported']]
    """
    baselines = dict(baselines or {})
    rows = []
    for cmoc in cmocs.to_dict("records"):
        record = {
            c: cmoc.get(c, pd.NA)
            for c in (
                "cmoc_id",
                "programme_theory",
                "context_filter",
                "outcome_measure",
                "expected_direction",
                "status",
            )
        }
        if not all(
            _declared(cmoc.get(c))
            for c in ("context_filter", "outcome_measure", "expected_direction")
        ):
            record.update(dict.fromkeys(_CONTRAST, np.nan))
            record.update(
                pattern="not tested",
                pattern_reason="no quantitative test declared (qualitative only)",
                suggested_status=None,
            )
            rows.append(record)
            continue
        outcome = str(cmoc["outcome_measure"]).strip()
        where = cmoc_location(cmoc)
        if outcome not in episodes.columns:
            raise StatisticsError(
                f"{where}: outcome_measure {outcome!r} is not a column of the episode table "
                "(see docs/data-model.md for the episode columns)."
            )
        context = evaluate(episodes, str(cmoc["context_filter"]), where=f"{where} context_filter")
        try:
            result = contrast(
                episodes,
                outcome,
                context,
                baseline=baselines.get(outcome, baseline_for(outcome, list(episodes.columns))),
                covariates=covariates,
                min_n=min_n,
            ).iloc[0]
            pattern, reason = label_pattern(
                result, str(cmoc["expected_direction"]).strip(), min_n=min_n
            )
        except StatisticsError as exc:
            raise StatisticsError(f"{where}: {exc}") from exc
        record.update({c: result[c] for c in _CONTRAST})
        record.update(
            pattern=pattern, pattern_reason=reason, suggested_status=SUGGESTED_STATUS[pattern]
        )
        rows.append(record)
    return pd.DataFrame(rows, columns=list(LINK_COLUMNS))
