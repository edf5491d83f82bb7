"""Figures of the reach and KPI pages that :mod:`evalkit.present.figures` does not draw (yet).

Each function returns the figure and its alt text, a plain-English description of every value
drawn, so that ``viz.show_figure(fig, alt=alt, caption=...)`` gives screen-reader users the same
information. Values withheld for small numbers are passed as missing: they are left out of the
drawing and named as "not shown" in the alt text. Colours come from the evalkit palette
(:data:`evalkit.present.figures.COLOURS`) and the population bars are also hatched, so the two series differ
by more than colour.

Examples
--------
>>> table = pd.DataFrame({"quarter": ["Jan to Mar 2026", "Apr to Jun 2026"],
...                       "value": [0.42, 0.35], "lower": [0.33, 0.27], "upper": [0.51, 0.44]})
>>> fig, alt = trend_plot(table, "quarter", "value", "lower", "upper", value_label="Quit rate",
...                       target=0.35)
>>> print(alt)
Line chart of Quit rate by quarter. Jan to Mar 2026: 42% (95% CI 33% to 51%). Apr to Jun 2026: 35% (95% CI 27% to 44%). Target: 35%.
>>> plt.close(fig)
"""  # noqa: E501

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from evalkit.errors import ValidationError
from evalkit.present.figures import COLOURS, theme
from evalkit.present.wording import VALUE_FORMATS, interval_text, value_text

__all__ = ["population_comparison_plot", "trend_plot"]

_QUINTILE_TICKS = {1: "1\nmost deprived", 5: "5\nleast deprived"}


def _require(table: pd.DataFrame, columns: list[str | None], what: str) -> None:
    missing = [c for c in columns if c is not None and c not in table.columns]
    if missing:
        raise ValidationError(
            f"{what}: column(s) {', '.join(missing)} not found; available: "
            f"{', '.join(map(str, table.columns))}."
        )


def population_comparison_plot(reach: pd.DataFrame) -> tuple[Figure, str]:
    """Share of referrals from each IMD quintile beside the local population's share.

    Parameters
    ----------
    reach : DataFrame
        :func:`evalkit.equity.deprivation.reach_by_imd_quintile` (``quintile``, ``share``,
        ``share_ci_lower``, ``share_ci_upper``, ``population_share``), with withheld shares
        set to missing.

    Returns
    -------
    (Figure, str)
        Grouped bars (referrals with 95% CI; population hatched) and the alt text.

    Examples
    --------
    >>> reach = pd.DataFrame({"quintile": [1, 2, 3, 4, 5],
    ...     "share": [0.45, 0.26, 0.13, np.nan, 0.07],
    ...     "share_ci_lower": [0.43, 0.24, 0.11, np.nan, 0.06],
    ...     "share_ci_upper": [0.47, 0.28, 0.14, np.nan, 0.08],
    ...     "population_share": [0.31, 0.24, 0.18, 0.15, 0.12]})
    >>> fig, alt = population_comparison_plot(reach)
    >>> alt.split(". ")[1]
    'Quintile 1 (most deprived): 45% of referrals (95% CI 43% to 47%) and 31% of residents'
    >>> "Quintile 4: referrals not shown (small numbers) and 15% of residents" in alt
    True
    >>> plt.close(fig)
    """
    _require(
        reach,
        ["quintile", "share", "share_ci_lower", "share_ci_upper", "population_share"],
        "population_comparison_plot",
    )
    quintiles = reach["quintile"].astype(int).to_numpy()
    share = reach["share"].astype(float).to_numpy() * 100
    lower = reach["share_ci_lower"].astype(float).to_numpy() * 100
    upper = reach["share_ci_upper"].astype(float).to_numpy() * 100
    population = reach["population_share"].astype(float).to_numpy() * 100
    x = np.arange(len(quintiles))
    width = 0.38
    with theme():
        fig, ax = plt.subplots()
        known = ~np.isnan(share)
        ax.bar(
            x[known] - width / 2,
            share[known],
            width,
            color=COLOURS["estimate"],
            label="Referrals to the service",
        )
        with_ci = known & ~np.isnan(lower) & ~np.isnan(upper)
        ax.errorbar(
            x[with_ci] - width / 2,
            share[with_ci],
            yerr=[share[with_ci] - lower[with_ci], upper[with_ci] - share[with_ci]],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        ax.bar(
            x + width / 2,
            population,
            width,
            color="white",
            edgecolor=COLOURS["reference"],
            hatch="//",
            label="Local population",
        )
        for position in x[~known]:
            ax.annotate(
                "not shown",
                (position - width / 2, 0),
                xytext=(0, 4),
                textcoords="offset points",
                ha="center",
                rotation=90,
                va="bottom",
                style="italic",
                color=COLOURS["reference"],
            )
        ax.set_xticks(x, [_QUINTILE_TICKS.get(q, str(q)) for q in quintiles])
        ax.set_xlabel("IMD quintile")
        ax.set_ylabel("% of people")
        ax.grid(axis="x", visible=False)
        ax.legend(frameon=False)
        fig.tight_layout()
    parts = [
        "Bar chart comparing the share of referrals from each IMD quintile with the share of "
        "the local population living there"
    ]
    for i, q in enumerate(quintiles):
        name = f"Quintile {q}" + {1: " (most deprived)", 5: " (least deprived)"}.get(q, "")
        if np.isnan(share[i]):
            referrals = "referrals not shown (small numbers)"
        else:
            referrals = f"{value_text(share[i] / 100)} of referrals"
            if not np.isnan(lower[i]) and not np.isnan(upper[i]):
                referrals += f" (95% CI {interval_text(lower[i] / 100, upper[i] / 100)})"
        parts.append(f"{name}: {referrals} and {value_text(population[i] / 100)} of residents")
    return fig, ". ".join(parts) + "."


def trend_plot(
    table: pd.DataFrame,
    x: str,
    value: str,
    lower: str | None = None,
    upper: str | None = None,
    *,
    kind: str = "proportion",
    value_label: str = "Value",
    axis_label: str | None = None,
    target: float | None = None,
) -> tuple[Figure, str]:
    """A value by quarter, with its 95% CI and an optional target line.

    Parameters
    ----------
    table : DataFrame
        One row per quarter, in time order.
    x : str
        Column of quarter labels ("Jan to Mar 2026").
    value, lower, upper : str
        Columns of the value and (optionally) its CI, on the KPI's own scale.
    kind : {"proportion", "count", "mean", "rate_per_100k"}
        How values are scaled and written (:data:`evalkit.present.wording.VALUE_FORMATS`).
    value_label : str
        What the value is, for the legend and the alt text.
    axis_label : str, optional
        Short label of the value axis (default ``value_label``); " (%)" is added for
        proportions.
    target : float, optional
        Draw a dashed target line.

    Returns
    -------
    (Figure, str)
        The figure and an alt text listing every quarter's value (and CI), the quarters not
        shown, and the target.

    Examples
    --------
    >>> t = pd.DataFrame({"q": ["Jul to Sep 2025", "Oct to Dec 2025"], "n": [453, np.nan]})
    >>> fig, alt = trend_plot(t, "q", "n", kind="count", value_label="Referrals")
    >>> alt
    'Line chart of Referrals by quarter. Jul to Sep 2025: 453. Oct to Dec 2025: not shown (small numbers).'
    >>> plt.close(fig)
    """  # noqa: E501
    _require(table, [x, value, lower, upper], "trend_plot")
    scale = VALUE_FORMATS[kind].scale
    labels = table[x].astype(str).tolist()
    values = pd.to_numeric(table[value]).astype(float).to_numpy()
    low = pd.to_numeric(table[lower]).astype(float).to_numpy() if lower else None
    high = pd.to_numeric(table[upper]).astype(float).to_numpy() if upper else None
    positions = np.arange(len(labels))
    with theme():
        fig, ax = plt.subplots()
        ax.plot(
            positions,
            values * scale,
            marker="o",
            color=COLOURS["estimate"],
            label=value_label,
        )
        if low is not None and high is not None:
            ok = ~np.isnan(values) & ~np.isnan(low) & ~np.isnan(high)
            ax.errorbar(
                positions[ok],
                values[ok] * scale,
                yerr=[(values[ok] - low[ok]) * scale, (high[ok] - values[ok]) * scale],
                fmt="none",
                ecolor=COLOURS["estimate"],
                capsize=4,
                label="95% confidence interval",
            )
        if target is not None:
            ax.axhline(
                target * scale,
                color=COLOURS["target"],
                linestyle="--",
                label=f"Target {value_text(target, kind)}",
            )
        for position in positions[np.isnan(values)]:
            ax.annotate(
                "not shown",
                (position, 0.5),
                xycoords=("data", "axes fraction"),
                ha="center",
                style="italic",
                color=COLOURS["reference"],
            )
        drawn = [values, high if high is not None else values]
        if target is not None:
            drawn.append(np.array([target]))
        peak = np.nanmax(np.concatenate(drawn) * scale) if np.isfinite(values).any() else 1.0
        if kind in ("proportion", "count"):
            ax.set_ylim(bottom=0, top=max(peak * 1.12, 1.0))
        ax.set_xticks(positions, [label.replace(" 20", "\n20") for label in labels])
        ax.set_ylabel((axis_label or value_label) + (" (%)" if kind == "proportion" else ""))
        ax.grid(axis="x", visible=False)
        if target is not None or (low is not None and high is not None):
            ax.legend(
                frameon=False,
                fontsize=10,
                loc="upper center",
                bbox_to_anchor=(0.5, -0.2),
                ncol=3,
            )
        fig.tight_layout()
    parts = [f"Line chart of {value_label} by quarter"]
    for i, label in enumerate(labels):
        if np.isnan(values[i]):
            parts.append(f"{label}: not shown (small numbers)")
            continue
        text = f"{label}: {value_text(values[i], kind)}"
        if low is not None and high is not None and not np.isnan(low[i]) and not np.isnan(high[i]):
            text += f" (95% CI {interval_text(low[i], high[i], kind)})"
        parts.append(text)
    if target is not None:
        parts.append(f"Target: {value_text(target, kind)}")
    return fig, ". ".join(parts) + "."
