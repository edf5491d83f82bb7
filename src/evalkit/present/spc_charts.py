"""SPC (XmR) charts of a KPI over time, the NHS England "Making Data Count" way, accessibly.

:func:`spc_chart` draws one KPI's chart from :func:`evalkit.kpi.kpi_spc`: the values, the mean
and process limits of each segment (new limits from each declared change point), the target,
the contract's milestones, and special-cause points marked by **shape as well as colour**
(a square for an improvement, a diamond for a concern, a triangle for a neutral change; the
legend names each). The variation and assurance "icons" are written in words on the chart
(:data:`VARIATION_TEXT`, :data:`ASSURANCE_TEXT`), and the alt text says the same.

:func:`plotted_series` applies the small-number rule to a series before it is charted: a
period whose figure rests on 1 to threshold - 1 people is not plotted (and so not judged).

Examples
--------
>>> import pandas as pd
>>> from evalkit.kpi import kpi_spc
>>> months = pd.period_range("2024-07", periods=14, freq="M").astype(str)
>>> rates = [.80, .82, .79, .81, .80, .83, .81, .79, .82, .80, .81, .80, .60, .81]
>>> series = pd.DataFrame({"kpi_id": "started", "title": "Started", "kpi_unit":
...     "proportion", "freq": "month", "period": months, "value": rates})
>>> kpi = {"id": "started", "title": "Started", "unit": "proportion",
...        "numerator": "started", "denominator": "all", "target": 0.75}
>>> fig, alt = spc_chart(kpi_spc(series, [kpi]), value_label="Referrals who started")
>>> print(alt.split(". ")[0])
SPC chart of Referrals who started, monthly from Jul 2024 to Aug 2025 (14 months)
>>> plt.close(fig)
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from evalkit.config import DisclosurePolicy
from evalkit.errors import FigureError
from evalkit.present.figures import COLOURS, OKABE_ITO, theme
from evalkit.present.wording import VALUE_FORMATS, value_text
from evalkit.stats.spc import SPC_COLUMNS, xmr_summary

__all__ = [
    "ASSURANCE_TEXT",
    "POINT_STYLES",
    "VARIATION_TEXT",
    "period_text",
    "periods_runs",
    "plotted_series",
    "spc_chart",
]

#: The variation icon of the latest point, in words (the icon is never shown by colour alone).
VARIATION_TEXT: Mapping[str, str] = {
    "common_cause": "common cause: no significant change",
    "improvement_high": "special cause improvement: higher than expected",
    "improvement_low": "special cause improvement: lower than expected",
    "concern_high": "special cause concern: higher than expected",
    "concern_low": "special cause concern: lower than expected",
    "neutral_high": "special cause: higher than expected",
    "neutral_low": "special cause: lower than expected",
}
#: The assurance icon, in words.
ASSURANCE_TEXT: Mapping[str, str] = {
    "consistent_pass": "the target will be met consistently (all normal variation meets it)",
    "consistent_fail": "the target will be missed consistently unless something changes",
    "inconsistent": "hit or miss: normal variation lies either side of the target",
}
#: Marker, colour and legend text of each kind of point: shape and words carry the meaning,
#: colour repeats it (Making Data Count's blue improvement, orange concern, purple neutral).
POINT_STYLES: Mapping[str, tuple[str, str, str]] = {
    "common_cause": ("o", "#555555", "Common cause"),
    "special_cause_improvement": ("s", OKABE_ITO["blue"], "Special cause: improvement"),
    "special_cause_concern": ("D", OKABE_ITO["orange"], "Special cause: concern"),
    "special_cause_neutral_high": ("^", OKABE_ITO["reddish_purple"], "Special cause: higher"),
    "special_cause_neutral_low": ("v", OKABE_ITO["reddish_purple"], "Special cause: lower"),
}
_AXIS_LABELS = {
    "proportion": "Percentage",
    "count": "Number",
    "mean": "Average",
    "rate_per_100k": "Rate per 100,000",
}
_FREQ_WORDS = {"month": ("monthly", "month"), "quarter": ("quarterly", "quarter")}


#: The values a KPI of each unit can take: a process limit beyond them is shown at the bound
#: (a share cannot fall below 0% or rise above 100%, a count below 0).
FEASIBLE_RANGE: dict[str, tuple[float, float]] = {
    "proportion": (0.0, 1.0),
    "count": (0.0, np.inf),
    "rate_per_100k": (0.0, np.inf),
}


def feasible_limits(lower: float, upper: float, kind: str) -> tuple[float, float]:
    """Process limits within the values a KPI of unit ``kind`` can take.

    Examples
    --------
    >>> feasible_limits(-0.03, 0.97, "proportion"), feasible_limits(0.39, 1.23, "proportion")
    ((0.0, 0.97), (0.39, 1.0))
    >>> feasible_limits(-1.5, 6.4, "mean")  # a mean change may be negative
    (-1.5, 6.4)
    """
    low, high = FEASIBLE_RANGE.get(kind, (-np.inf, np.inf))
    return float(min(max(lower, low), high)), float(max(min(upper, high), low))


def period_text(period: str) -> str:
    """A month (``YYYY-MM``) or quarter (``YYYY-Qn``) as a reader writes it.

    Examples
    --------
    >>> period_text("2025-08"), period_text("2025-Q3")
    ('Aug 2025', 'Jul to Sep 2025')
    """
    if "Q" in period:
        quarter = pd.Period(period.replace("-Q", "Q"), freq="Q")
        return f"{quarter.start_time:%b} to {quarter.end_time:%b %Y}"
    return f"{pd.Period(period, freq='M').start_time:%b %Y}"


def _base_counts(series: pd.DataFrame) -> pd.Series:
    """The number of people each figure rests on: the count for counts and rates, the
    denominator for proportions and means."""
    counted = series["kpi_unit"].isin(["count", "rate_per_100k"])
    numerator = pd.to_numeric(series["numerator"], errors="coerce")
    denominator = pd.to_numeric(series["denominator"], errors="coerce")
    return numerator.where(counted, denominator).astype(float)


def plotted_series(series: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """A KPI series with the periods that rest on too few people withheld from the chart.

    A period is plotted when the people its figure rests on (the denominator of a proportion
    or a mean, the count of a count or rate) may be shown under ``policy``
    (:meth:`evalkit.config.DisclosurePolicy.shown`: zero, or at least the threshold). A chart
    shows no counts, only each period's figure, so this is the rule for charts; tables that
    show counts use the stricter table rules. A withheld period is a gap in the chart.

    Parameters
    ----------
    series : DataFrame
        From :func:`evalkit.kpi.kpi_series`.
    policy : DisclosurePolicy
        The report's ``disclosure`` settings.

    Returns
    -------
    DataFrame
        ``series`` with ``value``, ``ci_lower``, ``ci_upper``, ``rag`` and the change columns
        missing in withheld periods, a ``plotted`` column, and the ``note`` saying why. The
        values of count KPIs (people) are rounded as the report rounds counts
        (``policy.round_to``).

    Examples
    --------
    >>> from evalkit.config import DisclosurePolicy
    >>> rows = pd.DataFrame({"kpi_unit": ["proportion", "proportion", "count"],
    ...     "numerator": [3.0, 1.0, 5.0], "denominator": [40.0, 5.0, 5.0],
    ...     "value": [0.075, 0.2, 5.0], "note": [None, None, None]})
    >>> plotted_series(rows, DisclosurePolicy(threshold=8))["plotted"].tolist()
    [True, False, False]
    """
    missing = [c for c in ("kpi_unit", "numerator", "denominator", "value") if c not in series]
    if missing:
        raise FigureError(
            f"plotted_series needs the table kpi_series() returns; this one has no "
            f"{', '.join(missing)} column(s)."
        )
    table = series.copy()
    shown = _base_counts(table).map(lambda n: bool(np.isnan(n) or policy.shown(n)))
    for column in ("value", "ci_lower", "ci_upper", "previous_value", "change_from_previous"):
        if column in table:
            table[column] = table[column].where(shown)
    if "rag" in table:
        table["rag"] = table["rag"].where(shown)
    counts = (table["kpi_unit"] == "count").to_numpy()
    if policy.round_to and counts.any():  # counts of people are shown rounded, as in tables
        for column in ("value", "ci_lower", "ci_upper"):
            if column in table:
                values = pd.to_numeric(table.loc[counts, column], errors="coerce").astype(float)
                table.loc[counts, column] = values.map(
                    lambda v: v if np.isnan(v) else float(policy.rounded(v))
                )
    reason = f"fewer than {policy.threshold} people, so not plotted"
    notes = table["note"] if "note" in table else pd.Series(None, index=table.index)
    table["note"] = [
        note if keep else "; ".join(p for p in (reason, note) if isinstance(p, str) and p)
        for note, keep in zip(notes, shown, strict=True)
    ]
    table["plotted"] = shown.to_numpy(dtype=bool)
    return table


def _x_of_date(when: pd.Timestamp, periods: list[str], freq: str) -> float | None:
    """Position of a date on the chart's axis: period ``i`` spans ``i - 0.5`` to ``i + 0.5``."""
    code = "Q" if freq == "quarter" else "M"
    for i, label in enumerate(periods):
        period = pd.Period(label.replace("-Q", "Q"), freq=code)
        if period.start_time <= when <= period.end_time:
            share = (when - period.start_time) / (period.end_time - period.start_time)
            return i - 0.5 + float(share)
    return None


def _segment_lines(ax, chart: pd.DataFrame, scale: float) -> None:
    kind = str(chart["kpi_unit"].iloc[0])
    for number, part in chart.groupby("segment", sort=True):
        positions = part["_x"].to_numpy(dtype=float)
        left, right = positions[0] - 0.4, positions[-1] + 0.4
        first = part.iloc[0]
        labelled = number == 0
        ax.hlines(
            first["mean"] * scale,
            left,
            right,
            colors="black",
            linewidth=1.4,
            label="Mean" if labelled else None,
        )
        limits = feasible_limits(first["lower_limit"], first["upper_limit"], kind)
        for limit, value in zip(("lower_limit", "upper_limit"), limits, strict=True):
            ax.hlines(
                value * scale,
                left,
                right,
                colors="#555555",
                linestyles="--",
                linewidth=1.1,
                label="Process limits" if labelled and limit == "upper_limit" else None,
            )
        if number > 0:
            ax.axvline(left - 0.1, color="black", linestyle="-", linewidth=0.8, alpha=0.6)
            ax.annotate(
                f"new limits from {period_text(str(first['period']))}",
                (left - 0.1, 0.02),
                xycoords=("data", "axes fraction"),
                rotation=90,
                ha="right",
                va="bottom",
                fontsize=9,
            )


def spc_chart(
    chart: pd.DataFrame,
    *,
    value_label: str | None = None,
    milestones: pd.DataFrame | None = None,
) -> tuple[Figure, str]:
    """One KPI's XmR chart: values, mean and limits by segment, target, milestones, signals.

    Parameters
    ----------
    chart : DataFrame
        The rows of one KPI from :func:`evalkit.kpi.kpi_spc` (columns
        :data:`evalkit.kpi.SPC_KPI_COLUMNS`), in time order.
    value_label : str, optional
        What the value is (default the KPI's title), for the axis, the title and the alt text.
    milestones : DataFrame, optional
        :func:`evalkit.data.contract.contract_milestones`: each milestone inside the chart's
        span is marked by a dotted vertical line labelled in words.

    Returns
    -------
    (Figure, str)
        The figure and its alt text: the span,
        the mean and limits of the latest segment, every special-cause period, the latest value
        with the variation and assurance in words, the target, months not plotted and the
        milestones marked.

    Raises
    ------
    FigureError
        If ``chart`` lacks a column or holds more than one KPI.
    """
    needed = ["kpi_id", "kpi_unit", "freq", "period", "value", "segment", "mean", "point_type"]
    missing = [c for c in needed if c not in chart.columns]
    if missing:
        raise FigureError(
            f"spc_chart needs the table kpi_spc() returns; this one has no {', '.join(missing)}."
        )
    if chart["kpi_id"].nunique() != 1:
        raise FigureError(
            "spc_chart draws one KPI at a time; select one, e.g. spc[spc.kpi_id == 'started']."
        )
    chart = chart.reset_index(drop=True).assign(_x=lambda t: np.arange(len(t), dtype=float))
    kind = str(chart["kpi_unit"].iloc[0])
    scale = VALUE_FORMATS[kind].scale
    freq = str(chart["freq"].iloc[0])
    label = value_label or str(chart["title"].iloc[0])
    periods = chart["period"].astype(str).tolist()
    values = chart["value"].to_numpy(dtype=float)
    target = float(chart["target"].iloc[0]) if "target" in chart else np.nan
    observed = chart[chart["value"].notna()]
    icons = xmr_summary(chart.loc[:, list(SPC_COLUMNS)]).iloc[-1]
    variation = None if pd.isna(icons["variation"]) else str(icons["variation"])
    assurance = None if pd.isna(icons["assurance"]) else str(icons["assurance"])

    marked: list[tuple[float, str]] = []
    with theme():
        fig, ax = plt.subplots(figsize=(9.0, 4.8))
        ax.plot(chart["_x"], values * scale, color="#999999", linewidth=1.0, zorder=1)
        _segment_lines(ax, chart, scale)
        for point_type, (marker, colour, text) in POINT_STYLES.items():
            rows = observed[observed["point_type"] == point_type]
            if rows.empty and point_type != "common_cause":
                continue
            special = point_type != "common_cause"
            ax.scatter(
                rows["_x"],
                rows["value"] * scale,
                marker=marker,
                s=70 if special else 28,
                color=colour,
                edgecolors="black" if special else colour,
                linewidths=0.8,
                zorder=3,
                label=text,
            )
        gaps = chart[chart["value"].isna()]
        if len(gaps):
            ax.plot(
                gaps["_x"],
                np.full(len(gaps), 0.03),
                transform=ax.get_xaxis_transform(),
                marker="x",
                linestyle="none",
                color="#777777",
                label="Not plotted (too few people)",
            )
        if not np.isnan(target):
            ax.axhline(
                target * scale,
                color=COLOURS["target"],
                linestyle="-.",
                linewidth=1.4,
                label=f"Target {value_text(target, kind)}",
            )
        if milestones is not None and len(milestones):
            for row in milestones.itertuples(index=False):
                x = _x_of_date(pd.Timestamp(row.date), periods, freq)
                if x is None:
                    continue
                marked.append((x, str(row.label)))
                ax.axvline(x, color="#333333", linestyle=":", linewidth=1.2)
                ax.annotate(
                    str(row.label),
                    (x, 0.98),
                    xycoords=("data", "axes fraction"),
                    rotation=90,
                    ha="right",
                    va="top",
                    fontsize=9,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.7, "pad": 1},
                    zorder=2,  # under the points
                )
        step = 1 if len(periods) <= 12 else 3
        ticks = list(range(0, len(periods), step))
        ax.set_xticks(ticks, [period_text(periods[i]).replace(" 20", "\n20") for i in ticks])
        ax.set_xlim(-0.7, len(periods) - 0.3)
        ax.set_ylabel(_AXIS_LABELS[kind])
        if kind == "proportion":
            ax.yaxis.set_major_formatter(lambda y, _: f"{y:.0f}%")
        ax.grid(axis="x", visible=False)
        ax.set_title(textwrap.fill(label, 70), loc="left", fontsize=12)
        words = f"Variation: {VARIATION_TEXT.get(variation or '', 'not available')}"
        if assurance:
            words += f"\nAssurance: {ASSURANCE_TEXT[assurance]}"
        if bool(icons["trial_limits"]):
            words += "\nTrial limits: fewer than 12 points, so read them with care"
        fig.text(0.01, 0.005, words, fontsize=10, ha="left", va="bottom")
        handles, labels = ax.get_legend_handles_labels()
        if marked:
            handles.append(Line2D([], [], color="#333333", linestyle=":"))
            labels.append("Contract milestone")
        ax.legend(
            handles,
            labels,
            frameon=False,
            fontsize=9,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        fig.tight_layout(rect=(0, 0.09, 1, 1))
    return fig, _alt(chart, label, kind, freq, variation, assurance, target, marked, periods)


def _runs(periods: list[str]) -> str:
    """Consecutive periods written as ranges: ``Aug 2025 to Jun 2026, Jan 2025``."""
    return ", ".join(
        period_text(run[0]) if len(run) == 1 else f"{period_text(run[0])} to {period_text(run[-1])}"
        for run in periods_runs(periods)
    )


def periods_runs(periods: list[str]) -> list[list[str]]:
    """Group period labels into runs of consecutive periods (months or quarters)."""
    runs: list[list[str]] = []
    for label in periods:
        code = "Q" if "Q" in label else "M"
        this = pd.Period(label.replace("-Q", "Q"), freq=code)
        if runs:
            last = runs[-1][-1]
            if pd.Period(last.replace("-Q", "Q"), freq=code) + 1 == this:
                runs[-1].append(label)
                continue
        runs.append([label])
    return runs


def _alt(chart, label, kind, freq, variation, assurance, target, marked, periods) -> str:
    adjective, noun = _FREQ_WORDS[freq]
    n = len(periods)
    parts = [
        f"SPC chart of {label}, {adjective} from {period_text(periods[0])} to "
        f"{period_text(periods[-1])} ({n} {noun}{'s' if n != 1 else ''})"
    ]
    withheld = chart[chart["value"].isna()]
    if len(withheld):
        parts.append(
            f"{len(withheld)} {noun}{'s' if len(withheld) != 1 else ''} not plotted "
            f"(no figure, or too few people): {_runs(withheld['period'].astype(str).tolist())}"
        )
    segments = chart["segment"].nunique()
    latest = chart[chart["segment"] == chart["segment"].max()].iloc[0]
    if segments > 1:
        parts.append(f"New limits from {period_text(str(latest['period']))}")
    if not np.isnan(float(latest["mean"])):
        trial = " (trial limits: fewer than 12 points)" if bool(latest["trial_limits"]) else ""
        parts.append(
            f"Mean {value_text(latest['mean'], kind, digits=1)}, process limits "
            f"{value_text(latest['lower_limit'], kind, digits=1)} to "
            f"{value_text(latest['upper_limit'], kind, digits=1)}{trial}"
        )
    for point_type in ("special_cause_improvement", "special_cause_concern"):
        flagged = chart[chart["point_type"] == point_type]["period"].astype(str).tolist()
        if flagged:
            words = POINT_STYLES[point_type][2].lower()
            parts.append(f"{words.capitalize()} in {_runs(flagged)}")
    neutral = chart[chart["point_type"].str.startswith("special_cause_neutral")]
    if len(neutral):
        parts.append(f"Special cause in {_runs(neutral['period'].astype(str).tolist())}")
    observed = chart[chart["value"].notna()]
    if len(observed):
        last = observed.iloc[-1]
        parts.append(
            f"Latest, {period_text(str(last['period']))}: {value_text(last['value'], kind)}, "
            f"{VARIATION_TEXT.get(variation or '', 'not available')}"
        )
    if not np.isnan(target):
        text = f"Target {value_text(target, kind)}"
        if assurance:
            text += f": {ASSURANCE_TEXT[assurance]}"
        parts.append(text)
    if marked:
        parts.append("Marked: " + ", ".join(text for _, text in marked))
    return ". ".join(parts) + "."
