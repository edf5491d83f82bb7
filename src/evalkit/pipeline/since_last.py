"""Since the last report: each headline figure against the previous published report's.

A published report folder is ``<reports root>/<period>/<site>/`` and holds ``manifest.json``
and ``key_figures.json`` (every page's key figures, small numbers withheld:
:func:`publishable_key_figures`). :func:`previous_report` finds the last report of the same
scope (the same site) published for an earlier period; :func:`compare_key_figures` sets each
headline beside its value then: the change, and whether it is beyond chance.

Reports are cumulative (everyone referred up to the report period), so this report's people
include the last report's. Comparing the two cumulative figures as if they were independent
samples ignores that (the change is diluted by the people both reports count, and the test is
too cautious). For a rate, the people added since the last report are compared with the people
in it: the new numerator over the new denominator, by the
two-proportion z test with a Newcombe 95% CI of the difference. When the figures are not
nested (fewer people now than then), the two reports are compared as independent samples.
Other estimates with a 95% CI (a mean, a ratio, a slope) are compared by a z test taking the two
reports as independent, which is conservative because they share people. Counts and figures
without a CI or ``n`` get the change only.

Examples
--------
>>> import pandas as pd
>>> previous = pd.DataFrame({"key": ["quit_rate"], "label": ["4-week quit rate"],
...     "value": [40.0], "unit": ["%"], "n": [400], "ci_low": [35.2], "ci_high": [44.9]})
>>> current = previous.assign(value=[36.0], n=[600], ci_low=[32.3], ci_high=[39.9])
>>> row = compare_key_figures(current, previous).iloc[0]
>>> float(row["change"]), round(float(row["difference"]), 1), bool(row["beyond_chance"])
(-4.0, -12.0, True)
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from evalkit.config import DisclosurePolicy
from evalkit.errors import PipelineError
from evalkit.pipeline.manifest import MANIFEST_FILE
from evalkit.present.keyfigures import KEY_FIGURES_FILE
from evalkit.present.since_last import SinceLast

__all__ = [
    "ALPHA",
    "SINCE_LAST_COLUMNS",
    "compare_key_figures",
    "previous_report",
    "publishable_key_figures",
    "read_published_key_figures",
    "since_last",
    "since_last_report",
]

#: A change is "beyond chance" when its two-sided p-value is below this (95% CI excludes 0).
ALPHA = 0.05
#: Columns of :func:`compare_key_figures`.
SINCE_LAST_COLUMNS = (
    "key",
    "label",
    "unit",
    "previous_value",
    "value",
    "change",
    "comparison",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "beyond_chance",
    "method",
    "note",
)
_PERIOD = re.compile(r"^\d{4}-Q[1-4]$")
_Z = stats.norm.ppf(1 - ALPHA / 2)


def publishable_key_figures(figures: pd.DataFrame, policy: DisclosurePolicy) -> list[dict]:
    """Key figures as ``key_figures.json`` of a published report: small numbers withheld.

    A figure resting on 1 to threshold - 1 people (``n``) loses its value and CI; ``n`` and
    counts of people are rounded as the report rounds them.

    Parameters
    ----------
    figures : DataFrame
        :func:`evalkit.present.keyfigures.read_key_figures` of every page.
    policy : DisclosurePolicy

    Examples
    --------
    >>> from evalkit.config import DisclosurePolicy
    >>> figures = pd.DataFrame({"notebook": ["01"] * 2, "key": ["a", "b"], "label": ["A", "B"],
    ...     "value": [50.0, 1234], "unit": ["%", "people"], "n": [3, 1234],
    ...     "ci_low": [10.0, None], "ci_high": [90.0, None]})
    >>> published = publishable_key_figures(figures, DisclosurePolicy())
    >>> [(f["key"], f["value"], f["n"]) for f in published]
    [('a', None, 5), ('b', 1235, 1235)]
    """
    out = []
    for row in figures.to_dict("records"):
        n = _plain(row.get("n"))
        value, low, high = (_plain(row.get(c)) for c in ("value", "ci_low", "ci_high"))
        if n is not None and not policy.shown(n):
            value = low = high = None
        counts = ("people", "episodes")  # episodes are referrals of people: rounded alike
        if row.get("unit") in counts and isinstance(value, int | float) and value is not None:
            value = policy.rounded(value)
        entry = {
            "notebook": row.get("notebook"),
            "key": row["key"],
            "label": row.get("label"),
            "value": value,
            "unit": row.get("unit"),
            "n": None if n is None else policy.rounded(n),
            "ci_low": low,
            "ci_high": high,
        }
        out.append(entry)
    return out


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def previous_report(report_dir: str | Path, period: str) -> Path | None:
    """The last report of the same scope published for a period before ``period``.

    Parameters
    ----------
    report_dir : str or Path
        This report's folder, ``<reports root>/<period>/<site>``: the previous one is
        ``<reports root>/<earlier period>/<site>`` with a ``manifest.json`` for the same site.
    period : str
        This report's period (``YYYY-Qn``).

    Returns
    -------
    Path or None
        The folder, or None when no earlier report of this scope has been published.

    Examples
    --------
    >>> import tempfile, pathlib, json
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for p in ("2026-Q1", "2025-Q4"):
    ...     (root / p / "all").mkdir(parents=True)
    ...     _ = (root / p / "all" / "manifest.json").write_text(
    ...         json.dumps({"parameters": {"period": p, "site": "all"}}))
    >>> previous_report(root / "2026-Q2" / "all", "2026-Q2").name, previous_report(
    ...     root / "2026-Q2" / "all", "2026-Q2").parent.name
    ('all', '2026-Q1')
    >>> previous_report(root / "2025-Q4" / "all", "2025-Q4") is None
    True
    """
    report_dir = Path(report_dir)
    root, scope = report_dir.parent.parent, report_dir.name
    if not root.is_dir():
        return None
    site = None
    candidates = []
    for folder in root.iterdir():
        if not (_PERIOD.match(folder.name) and folder.name < period):
            continue
        manifest = folder / scope / MANIFEST_FILE
        if not manifest.is_file():
            continue
        try:
            parameters = json.loads(manifest.read_text(encoding="utf-8")).get("parameters", {})
        except json.JSONDecodeError as exc:
            raise PipelineError(f"{manifest}: not valid JSON ({exc}).") from exc
        site = parameters.get("site")
        if site is not None and _site_folder_matches(str(site), scope):
            candidates.append(folder / scope)
    return max(candidates, key=lambda p: p.parent.name) if candidates else None


def _site_folder_matches(site: str, folder: str) -> bool:
    return (re.sub(r"[^a-z0-9]+", "-", site.lower()).strip("-") or "site") == folder


def read_published_key_figures(report_dir: str | Path) -> pd.DataFrame:
    """The ``key_figures.json`` of a published report folder (empty if it has none)."""
    path = Path(report_dir) / KEY_FIGURES_FILE
    columns = ["notebook", "key", "label", "value", "unit", "n", "ci_low", "ci_high"]
    if not path.is_file():
        return pd.DataFrame(columns=columns)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PipelineError(f"{path}: key figures are not valid JSON ({exc}).") from exc
    table = pd.DataFrame(rows).reindex(columns=columns)
    table["value"] = pd.Series([row.get("value") for row in rows], dtype=object)
    return table


def _number(value: Any) -> float | None:
    value = _plain(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _rate(p_prev, n_prev, p_cur, n_cur) -> dict[str, Any]:
    """Two-proportion comparison of the people added since the last report with those in it."""
    x_prev, x_cur = round(p_prev / 100 * n_prev), round(p_cur / 100 * n_cur)
    nested = n_cur > n_prev and x_cur >= x_prev and (x_cur - x_prev) <= (n_cur - n_prev)
    if nested:
        x_new, n_new, comparison = x_cur - x_prev, n_cur - n_prev, "new people against earlier"
    else:
        x_new, n_new, comparison = x_cur, n_cur, "this report against the last (independent)"
    _, p_value = proportions_ztest([x_new, x_prev], [n_new, n_prev])
    low, high = confint_proportions_2indep(
        x_new, n_new, x_prev, n_prev, compare="diff", method="newcombe"
    )
    return {
        "comparison": comparison,
        "difference": 100 * (x_new / n_new - x_prev / n_prev),
        "ci_low": 100 * float(low),
        "ci_high": 100 * float(high),
        "p_value": float(p_value),
        "method": "two-proportion z test; Newcombe 95% CI of the difference (percentage points)",
    }


def _estimate(value_prev, ci_prev, value_cur, ci_cur) -> dict[str, Any]:
    """z test of the change in an estimate with a 95% CI (a mean, a ratio, a slope), the two
    reports taken as independent: conservative, as they share people."""
    se_prev = (ci_prev[1] - ci_prev[0]) / (2 * _Z)
    se_cur = (ci_cur[1] - ci_cur[0]) / (2 * _Z)
    difference, se = value_cur - value_prev, math.hypot(se_cur, se_prev)
    p_value = 2 * stats.norm.sf(abs(difference) / se) if se > 0 else float("nan")
    return {
        "comparison": "this report against the last (independent, conservative)",
        "difference": difference,
        "ci_low": difference - _Z * se,
        "ci_high": difference + _Z * se,
        "p_value": float(p_value),
        "method": "z test of the difference (standard errors from the 95% CIs)",
    }


def compare_key_figures(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Each key figure of this report beside the last report's: change and beyond chance.

    Parameters
    ----------
    current, previous : DataFrame
        Key figures (``key``, ``label``, ``value``, ``unit``, ``n``, ``ci_low``, ``ci_high``)
        of this report (:func:`evalkit.present.keyfigures.read_key_figures`) and of the last
        (:func:`read_published_key_figures`).

    Returns
    -------
    DataFrame
        One row per key figure of ``current``, in its order, columns
        :data:`SINCE_LAST_COLUMNS`: ``previous_value`` and ``value``; ``change`` (value minus
        previous value, in the figure's unit: percentage points for a %); ``comparison``
        (which groups were compared), ``difference`` with its 95% CI (``ci_low``, ``ci_high``)
        and ``p_value``; ``beyond_chance`` (True or False when tested: p below
        :data:`ALPHA`; missing otherwise); ``method``; ``note`` (why there is no change or no
        test).
    """
    before = previous.drop_duplicates("key", keep="last").set_index("key")
    rows = []
    for row in current.to_dict("records"):
        key = row["key"]
        out: dict[str, Any] = {
            "key": key,
            "label": row.get("label"),
            "unit": row.get("unit"),
            "value": _plain(row.get("value")),
        }
        if key not in before.index:
            rows.append({**out, "note": "not in the last report"})
            continue
        then = before.loc[key]
        out["previous_value"] = _plain(then.get("value"))
        value, old = _number(out["value"]), _number(out["previous_value"])
        if isinstance(out["value"], str) or isinstance(out["previous_value"], str):
            same = out["value"] == out["previous_value"]
            rows.append({**out, "note": "text: unchanged" if same else "text: changed"})
            continue
        if value is None or old is None:
            rows.append({**out, "note": "not shown in this report or the last, so no change"})
            continue
        out["change"] = value - old
        n, n_old = _number(row.get("n")), _number(then.get("n"))
        ci = (_number(row.get("ci_low")), _number(row.get("ci_high")))
        ci_old = (_number(then.get("ci_low")), _number(then.get("ci_high")))
        test: dict[str, Any] | None = None
        if n and n_old and row.get("unit") == "%":
            test = _rate(old, n_old, value, n)
        elif None not in ci and None not in ci_old:
            test = _estimate(old, ci_old, value, ci)
        if test is None:
            rows.append({**out, "note": "no test: a count, or no number of people given"})
            continue
        test["beyond_chance"] = bool(test["p_value"] < ALPHA)
        rows.append({**out, **test})
    table = pd.DataFrame(rows).reindex(columns=list(SINCE_LAST_COLUMNS))
    table["beyond_chance"] = table["beyond_chance"].astype("boolean")
    return table


def since_last_report(
    current: pd.DataFrame, report_dir: str | Path, period: str
) -> tuple[Path | None, pd.DataFrame]:
    """This report's key figures against the last published report of the same scope.

    Parameters
    ----------
    current : DataFrame
        This report's key figures.
    report_dir : str or Path
        Where this report is (or will be) published: ``<reports root>/<period>/<site>``.
    period : str
        This report's period.

    Returns
    -------
    (Path or None, DataFrame)
        The previous report's folder (None if there is none) and :func:`compare_key_figures`
        (every row noted "no earlier report" when there is none).
    """
    previous = previous_report(report_dir, period)
    if previous is None:
        empty = compare_key_figures(current, current.iloc[0:0])
        return None, empty.assign(note="no earlier report of this scope has been published")
    return previous, compare_key_figures(current, read_published_key_figures(previous))


_PUBLISHED_COLUMNS = ["notebook", "key", "label", "value", "unit", "n", "ci_low", "ci_high"]


def since_last(
    figures: pd.DataFrame, report_dir: str | Path, period: str, policy: DisclosurePolicy
) -> SinceLast:
    """The comparison the index and the executive summary show: this report's key figures, as
    it publishes them (:func:`publishable_key_figures`: small numbers withheld, counts rounded),
    against the last published report of the same scope.

    Both sides are the published figures, so every change can be worked out from what readers
    have, and nothing withheld in this report shows through a change.

    Parameters
    ----------
    figures : DataFrame
        This report's key figures (:func:`evalkit.present.keyfigures.read_key_figures`).
    report_dir : str or Path
        Where this report is published, ``<reports root>/<period>/<site folder>``.
    period : str
        This report's period.
    policy : DisclosurePolicy

    Returns
    -------
    SinceLast
        With the last report's period and a link to its index relative to this report's pages
        (no period when this is the first report of its scope).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evalkit.config import DisclosurePolicy
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "2026-Q1" / "all").mkdir(parents=True)
    >>> _ = (root / "2026-Q1" / "all" / "manifest.json").write_text(
    ...     json.dumps({"parameters": {"period": "2026-Q1", "site": "all"}}))
    >>> _ = (root / "2026-Q1" / "all" / "key_figures.json").write_text(json.dumps([{"key":
    ...     "episodes", "label": "Episodes", "value": 1000, "unit": "people", "n": 1000}]))
    >>> now = pd.DataFrame({"notebook": ["01"], "key": ["episodes"], "label": ["Episodes"],
    ...     "value": [1234], "unit": ["people"], "n": [1234], "ci_low": [None], "ci_high": [None]})
    >>> since = since_last(now, root / "2026-Q2" / "all", "2026-Q2", DisclosurePolicy())
    >>> since.previous_period, since.previous_href, since.rows["episodes"]["change"]
    ('2026-Q1', '../../2026-Q1/all/index.html', 235.0)
    >>> since_last(now, root / "2026-Q1" / "all", "2026-Q1", DisclosurePolicy()).first
    True
    """
    published = publishable_key_figures(figures, policy) if len(figures) else []
    current = pd.DataFrame(published, columns=_PUBLISHED_COLUMNS)
    current["value"] = pd.Series([row["value"] for row in published], dtype=object)
    previous, table = since_last_report(current, report_dir, period)
    if previous is None:
        return SinceLast.from_table(None, "", table)
    href = f"../../{previous.parent.name}/{previous.name}/index.html"
    return SinceLast.from_table(previous.parent.name, href, table)
