"""Figures for the commissioner report: one theme, a colour-blind-safe palette, alt text.

Every helper returns a matplotlib :class:`~matplotlib.figure.Figure` (it never shows it) and
records a plain-English description of the data it draws, available as :func:`alt_text`.
:func:`show_figure` then puts the figure in the notebook as an HTML ``<figure>`` whose ``<img>``
carries that alt text, so it survives nbconvert into the rendered report.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"group": ["Women", "Men"], "rate": [0.62, 0.55],
...                       "lower": [0.58, 0.50], "upper": [0.66, 0.60]})
>>> fig = bar_with_ci(table, "group", "rate", "lower", "upper", value_label="Followed up")
>>> for sentence in alt_text(fig).split(". "):
...     print(sentence)
Bar chart of Followed up for 2 groups
Highest: Women 62.0% (58.0% to 66.0%)
Lowest: Men 55.0% (50.0% to 60.0%).
>>> html = figure_html(fig, alt_text(fig), "Follow-up rate by sex")
>>> html.startswith('<figure class="evalkit-figure">')
True
"""

from __future__ import annotations

import base64
import html
import io
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from evalkit.errors import FigureError
from evalkit.outcomes.pairing import pair_timepoints

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "COLOURS",
    "FUNNEL_LIMIT_COLUMNS",
    "FUNNEL_POINT_COLUMNS",
    "OKABE_ITO",
    "PALETTE",
    "THEME_RC",
    "alt_text",
    "bar_with_ci",
    "distribution_shift",
    "figure_html",
    "forest_plot",
    "funnel_plot",
    "set_theme",
    "show_figure",
    "theme",
]


#: The Okabe-Ito colour-blind-safe palette (Okabe & Ito 2008, "Color Universal Design").
OKABE_ITO: Mapping[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Order in which categories take colours (yellow last: weakest contrast on white).
PALETTE = tuple(
    OKABE_ITO[name]
    for name in (
        "blue",
        "orange",
        "bluish_green",
        "vermillion",
        "sky_blue",
        "reddish_purple",
        "black",
        "yellow",
    )
)

#: What each colour means wherever it appears in a report.
COLOURS: Mapping[str, str] = {
    "estimate": OKABE_ITO["blue"],
    "baseline": OKABE_ITO["orange"],
    "followup": OKABE_ITO["blue"],
    "reference": "#555555",
    "target": OKABE_ITO["vermillion"],
    "limit_95": OKABE_ITO["orange"],
    "limit_998": OKABE_ITO["reddish_purple"],
    "high": OKABE_ITO["bluish_green"],
    "low": OKABE_ITO["vermillion"],
    "within": "#555555",
}

#: Matplotlib settings of the evalkit theme: readable sizes when a PNG is shown at page width.
THEME_RC: Mapping[RcKeyType, object] = {
    "figure.figsize": (8.0, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 12,
    "axes.titlesize": 14,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
}

_ALT: weakref.WeakKeyDictionary[Figure, str] = weakref.WeakKeyDictionary()


def set_theme() -> None:
    """Apply the evalkit seaborn theme and palette to every figure drawn afterwards.

    Examples
    --------
    >>> set_theme()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["font.size"]
    12.0
    """
    sns.set_theme(context="notebook", style="whitegrid", palette=list(PALETTE), rc=dict(THEME_RC))


@contextmanager
def theme() -> Iterator[None]:
    """Draw inside the evalkit theme without changing the global settings.

    Examples
    --------
    >>> with theme():
    ...     fig = plt.figure()
    >>> plt.close(fig)
    """
    with sns.axes_style("whitegrid"), plt.rc_context(dict(THEME_RC)):
        with sns.color_palette(list(PALETTE)):
            yield


def alt_text(fig: Figure) -> str:
    """The plain-English description an evalkit helper generated for ``fig``.

    Raises
    ------
    FigureError
        If the figure was not made by an evalkit helper (write the alt text yourself).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"g": ["A"], "v": [0.5], "lo": [0.4], "hi": [0.6]})
    >>> alt_text(bar_with_ci(t, "g", "v", "lo", "hi")).split(".")[0]
    'Bar chart of v for 1 group'
    """
    try:
        return _ALT[fig]
    except KeyError:
        raise FigureError(
            "this figure has no generated alt text (it was not drawn by an evalkit.present.figures "
            "helper); describe what it shows and pass that as alt."
        ) from None


def _remember(fig: Figure, alt: str) -> Figure:
    _ALT[fig] = alt
    return fig


def figure_html(fig: Figure, alt: str, caption: str, dpi: int | None = None) -> str:
    """The ``<figure>`` HTML of :func:`show_figure`: an inline base64 PNG with alt and caption.

    Parameters
    ----------
    fig : Figure
        The figure to render.
    alt : str
        Text alternative read by screen readers; must not be empty.
    caption : str
        Visible caption.
    dpi : int, optional
        Resolution of the PNG (default the theme's ``savefig.dpi``).

    Returns
    -------
    str
        ``<figure class="evalkit-figure"><img src="data:image/png;base64,..." alt="...">
        <figcaption>...</figcaption></figure>`` with alt and caption HTML-escaped.

    Raises
    ------
    FigureError
        If ``alt`` is empty or only whitespace.

    Examples
    --------
    >>> fig = plt.figure()
    >>> 'alt="Nothing to see"' in figure_html(fig, "Nothing to see", "Empty")
    True
    >>> plt.close(fig)
    """
    if not isinstance(alt, str) or not alt.strip():
        raise FigureError(
            "alt text is empty: describe what the figure shows (e.g. use alt_text(fig) for an "
            "evalkit figure) so readers using a screen reader get the same information."
        )
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or THEME_RC["savefig.dpi"], bbox_inches="tight")
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        '<figure class="evalkit-figure">'
        f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt.strip())}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def show_figure(fig: Figure, alt: str, caption: str, dpi: int | None = None) -> None:
    """Display ``fig`` in the notebook as an accessible HTML figure, then close it.

    The figure is closed so the inline backend does not display it a second time (without
    alt text).

    Parameters
    ----------
    fig : Figure
        The figure.
    alt : str
        Alt text (required, non-empty); :func:`alt_text` gives the generated one.
    caption : str
        Visible caption.
    dpi : int, optional
        PNG resolution.

    Raises
    ------
    FigureError
        If ``alt`` is empty.

    Examples
    --------
    >>> fig = plt.figure()
    >>> show_figure(fig, alt="An empty figure", caption="Nothing yet")  # doctest: +ELLIPSIS
    <IPython.core.display.HTML object>
    >>> plt.fignum_exists(fig.number)
    False
    """
    from IPython.display import HTML, display

    try:
        markup = figure_html(fig, alt, caption, dpi)
    finally:
        plt.close(fig)
    display(HTML(markup))


def _require(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise FigureError(
            f"{what}: column(s) {', '.join(missing)} not found; "
            f"available: {', '.join(map(str, table.columns))}."
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _fmt(value: float, as_percent: bool) -> str:
    if not np.isfinite(value):
        return "not available"
    return f"{100 * value:.1f}%" if as_percent else f"{value:.2f}"


def _interval(row: pd.Series, value: str, lower: str, upper: str, as_percent: bool) -> str:
    text = _fmt(row[value], as_percent)
    if np.isfinite(row[lower]) and np.isfinite(row[upper]):
        text += f" ({_fmt(row[lower], as_percent)} to {_fmt(row[upper], as_percent)})"
    return text


def forest_plot(
    table: pd.DataFrame,
    estimate: str,
    lower: str,
    upper: str,
    label: str,
    *,
    reference: float | None = 0.0,
    xlabel: str | None = None,
    title: str | None = None,
) -> Figure:
    """Estimates with confidence intervals, one row each, in the table's order (top down).

    Rows without an estimate are listed with "not estimated" rather than left out.

    Parameters
    ----------
    table : DataFrame
        One row per estimate (e.g. :func:`evalkit.outcomes.for_whom` rows of one model).
    estimate, lower, upper, label : str
        Columns holding the estimate, its CI and the row label.
    reference : float or None
        Draw a vertical line here (no effect / no difference); ``None`` for none.
    xlabel, title : str, optional
        Axis label (default ``estimate``) and title.

    Returns
    -------
    Figure
        With generated alt text (:func:`alt_text`) naming the largest and smallest estimates
        and which intervals exclude the reference.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"level": ["Q1", "Q5"], "d": [3.1, 0.4], "lo": [2.0, -0.5],
    ...                   "hi": [4.2, 1.3]})
    >>> fig = forest_plot(t, "d", "lo", "hi", "level", xlabel="Extra WEMWBS change")
    >>> "1 of 2 intervals exclude 0" in alt_text(fig)
    True
    """
    _require(table, [estimate, lower, upper, label], "forest_plot")
    xlabel = xlabel or estimate
    values = table[[estimate, lower, upper]].astype(float).reset_index(drop=True)
    labels = table[label].astype(str).reset_index(drop=True)
    n = len(table)
    with theme():
        fig, ax = plt.subplots(figsize=(8.0, max(2.0, 0.45 * n + 1.2)))
        y = np.arange(n)[::-1]
        known = values[estimate].notna().to_numpy()
        ax.errorbar(
            values.loc[known, estimate],
            y[known],
            xerr=[
                values.loc[known, estimate] - values.loc[known, lower],
                values.loc[known, upper] - values.loc[known, estimate],
            ],
            fmt="o",
            color=COLOURS["estimate"],
            ecolor=COLOURS["estimate"],
            capsize=3,
        )
        for position in y[~known]:
            ax.annotate(
                "not estimated",
                (0, position),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                color=COLOURS["reference"],
                style="italic",
            )
        if reference is not None:
            ax.axvline(reference, color=COLOURS["reference"], linestyle="--", linewidth=1)
        ax.set_yticks(y, labels)
        ax.set_ylim(-0.7, n - 0.3)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return _remember(fig, _forest_alt(values, labels, estimate, lower, upper, xlabel, reference))


def _forest_alt(values, labels, estimate, lower, upper, xlabel, reference) -> str:
    n = len(values)
    parts = [f"Forest plot of {xlabel} for {_count(n, 'row')}."]
    known = values[estimate].notna()
    if not known.any():
        return parts[0] + " No row could be estimated."
    top = values.loc[known, estimate].idxmax()
    bottom = values.loc[known, estimate].idxmin()
    parts.append(
        f"Largest: {labels[top]} {_interval(values.loc[top], estimate, lower, upper, False)}."
    )
    if bottom != top:
        parts.append(
            f"Smallest: {labels[bottom]} "
            f"{_interval(values.loc[bottom], estimate, lower, upper, False)}."
        )
    if reference is not None:
        excludes = known & ((values[lower] > reference) | (values[upper] < reference))
        names = ", ".join(labels[excludes])
        parts.append(
            f"{int(excludes.sum())} of {int(known.sum())} intervals exclude {reference:g}"
            + (f" ({names})." if names else ".")
        )
    if (~known).any():
        parts.append(f"Not estimated: {', '.join(labels[~known])}.")
    return " ".join(parts)


def _score_bins(values: np.ndarray, most: int = 40) -> np.ndarray:
    """Bin edges; whole-number scores get bins centred on whole numbers (no empty slivers)."""
    if np.allclose(values, np.round(values)):
        width = max(1, int(np.ceil((values.max() - values.min() + 1) / most)))
        return np.arange(values.min() - 0.5, values.max() + width + 0.5, width)
    return np.histogram_bin_edges(values, bins="auto")


def distribution_shift(
    scored: pd.DataFrame,
    measure: str,
    baseline: str = "baseline",
    followup: str = "exit",
    *,
    label: str | None = None,
) -> Figure:
    """Distributions of a score at baseline and at follow-up, for clients with both.

    Parameters
    ----------
    scored : DataFrame
        Long scored table (``client_id``, ``timepoint``, ``measure``).
    measure : str
        Score column.
    baseline, followup : str
        Timepoints.
    label : str, optional
        Name of the score in the figure and alt text (default ``measure``).

    Returns
    -------
    Figure
        Overlaid step histograms on shared bins with dashed lines at the two means; the alt
        text gives n, means, medians and the share of clients whose score went up / down.

    Examples
    --------
    >>> import pandas as pd
    >>> scored = pd.DataFrame({"client_id": ["a", "a", "b", "b"],
    ...                        "timepoint": ["baseline", "exit"] * 2,
    ...                        "wemwbs_total": [40.0, 46.0, 50.0, 49.0]})
    >>> alt_text(distribution_shift(scored, "wemwbs_total", label="WEMWBS")).split(":")[0]
    'WEMWBS for 2 clients with a score at both baseline and exit'
    """
    label = label or measure
    pairs = pair_timepoints(scored, measure, baseline, followup).dropna(
        subset=["baseline", "followup"]
    )
    with theme():
        fig, ax = plt.subplots()
        if pairs.empty:
            ax.text(0.5, 0.5, "No client has both scores yet", ha="center", va="center")
            ax.set_axis_off()
            return _remember(
                fig, f"{label}: no client has a score at both {baseline} and {followup} yet."
            )
        bins = _score_bins(np.concatenate([pairs["baseline"], pairs["followup"]]))
        for column, name, style in (("baseline", baseline, "--"), ("followup", followup, "-")):
            ax.hist(
                pairs[column],
                bins=bins,  # type: ignore[arg-type]  # the stub omits arrays; hist takes them
                histtype="step",
                linewidth=2,
                linestyle=style,
                color=COLOURS[column],
                label=f"{name} (mean {pairs[column].mean():.1f})",
            )
            ax.axvline(pairs[column].mean(), color=COLOURS[column], linestyle=":", linewidth=1.5)
        ax.set_xlabel(label)
        ax.set_ylabel("Clients")
        ax.legend(frameon=False)
        fig.tight_layout()
    up = (pairs["change"] > 0).mean() * 100
    down = (pairs["change"] < 0).mean() * 100
    alt = (
        f"{label} for {_count(len(pairs), 'client')} with a score at both {baseline} and "
        f"{followup}: "
        f"the mean moved from {pairs['baseline'].mean():.1f} to {pairs['followup'].mean():.1f} "
        f"and the median from {pairs['baseline'].median():.1f} to "
        f"{pairs['followup'].median():.1f}. {up:.0f}% of clients scored higher at {followup}, "
        f"{down:.0f}% lower."
    )
    return _remember(fig, alt)


#: Columns :func:`funnel_plot` needs in ``points`` and in ``limits``.
FUNNEL_POINT_COLUMNS = ("unit", "numerator", "denominator", "value")
FUNNEL_LIMIT_COLUMNS = ("denominator", "lower95", "upper95", "lower998", "upper998", "target")

#: Position of a unit against the funnel limits: (name, colour role, legend text).
_FUNNEL_BANDS = (
    ("above_998", "high", "above the 99.8% limit"),
    ("above_95", "high", "between the upper 95% and 99.8% limits"),
    ("within", "within", "within the 95% limits"),
    ("below_95", "low", "between the lower 95% and 99.8% limits"),
    ("below_998", "low", "below the 99.8% limit"),
)


def funnel_plot(
    points: pd.DataFrame,
    limits: pd.DataFrame,
    *,
    value_label: str = "Rate",
    as_percent: bool = True,
    title: str | None = None,
) -> Figure:
    """Funnel plot of units (providers, sites) against control limits around a target.

    Parameters
    ----------
    points : DataFrame
        :data:`FUNNEL_POINT_COLUMNS`: one row per unit.
    limits : DataFrame
        :data:`FUNNEL_LIMIT_COLUMNS`: the limits (computed by ``evalkit.kpi``) on a grid of
        denominators.
    value_label : str
        What the value is, for the axis and alt text.
    as_percent : bool
        Show values as percentages.
    title : str, optional
        Title.

    Returns
    -------
    Figure
        Alt text names the units outside the 95% and 99.8% limits.

    Raises
    ------
    FigureError
        If a column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> pts = pd.DataFrame({"unit": ["North", "South"], "numerator": [40, 10],
    ...                     "denominator": [100, 100], "value": [0.40, 0.10]})
    >>> lim = pd.DataFrame({"denominator": [10, 100, 1000], "lower95": [0.05, 0.21, 0.27],
    ...                     "upper95": [0.6, 0.39, 0.33], "lower998": [0.01, 0.16, 0.25],
    ...                     "upper998": [0.7, 0.45, 0.35], "target": [0.3, 0.3, 0.3]})
    >>> "Below the 99.8% limit: South" in alt_text(funnel_plot(pts, lim))
    True
    """
    _require(points, list(FUNNEL_POINT_COLUMNS), "funnel_plot points")
    _require(limits, list(FUNNEL_LIMIT_COLUMNS), "funnel_plot limits")
    limits = limits.sort_values("denominator")
    scale = 100 if as_percent else 1
    at = {
        c: np.interp(points["denominator"], limits["denominator"], limits[c])
        for c in FUNNEL_LIMIT_COLUMNS[1:]
    }
    value = points["value"].to_numpy(dtype=float)
    band = np.select(
        [
            value > at["upper998"],
            value > at["upper95"],
            value < at["lower998"],
            value < at["lower95"],
        ],
        ["above_998", "above_95", "below_998", "below_95"],
        default="within",
    )
    band = np.where(np.isnan(value), "missing", band)
    with theme():
        fig, ax = plt.subplots()
        x = limits["denominator"]
        ax.plot(x, limits["target"] * scale, color=COLOURS["target"], label="Target")
        for level, role, style in (("95", "limit_95", "--"), ("998", "limit_998", ":")):
            shown = "95%" if level == "95" else "99.8%"
            ax.plot(
                x,
                limits[f"upper{level}"] * scale,
                style,
                color=COLOURS[role],
                label=f"{shown} limits",
            )
            ax.plot(x, limits[f"lower{level}"] * scale, style, color=COLOURS[role])
        for name, role, text in _FUNNEL_BANDS:
            chosen = band == name
            if chosen.any():
                ax.scatter(
                    points.loc[chosen, "denominator"],
                    value[chosen] * scale,
                    color=COLOURS[role],
                    edgecolor="black",
                    zorder=3,
                    label=text,
                    marker="o" if name == "within" else "D",
                )
        x_min, x_max = ax.get_xlim()
        for i in np.flatnonzero(np.isin(band, ["above_998", "below_998", "above_95", "below_95"])):
            x_point = points["denominator"].iloc[i]
            right = (x_point - x_min) > 0.7 * (x_max - x_min)  # keep the label inside the axes
            ax.annotate(
                str(points["unit"].iloc[i]),
                (x_point, value[i] * scale),
                xytext=(-5 if right else 5, 5),
                textcoords="offset points",
                ha="right" if right else "left",
            )
        ax.set_xlabel("Number of people (denominator)")
        ax.set_ylabel(value_label + (" (%)" if as_percent else ""))
        # below the axes, so the key never hides a point
        ax.legend(
            frameon=False, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3
        )
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return _remember(fig, _funnel_alt(points, band, value_label, limits, as_percent))


def _funnel_alt(points, band, value_label, limits, as_percent) -> str:
    units = points["unit"].astype(str).to_numpy()
    targets = limits["target"].dropna().unique()
    target = f" around a target of {_fmt(targets[0], as_percent)}" if len(targets) == 1 else ""
    parts = [f"Funnel plot of {value_label} for {_count(len(points), 'unit')}{target}."]
    for name, _, text in _FUNNEL_BANDS:
        chosen = units[band == name]
        if name != "within" and len(chosen):
            parts.append(f"{text[0].upper()}{text[1:]}: {', '.join(chosen)}.")
    parts.append(f"{int((band == 'within').sum())} within the 95% limits.")
    if (band == "missing").any():
        parts.append(f"No value for: {', '.join(units[band == 'missing'])}.")
    return " ".join(parts)


def bar_with_ci(
    table: pd.DataFrame,
    category: str,
    value: str,
    lower: str,
    upper: str,
    *,
    target: float | None = None,
    as_percent: bool = True,
    value_label: str | None = None,
    title: str | None = None,
) -> Figure:
    """Horizontal bars of shares or rates with their confidence intervals.

    Rows whose value is missing (e.g. suppressed small numbers) are labelled "not shown"
    rather than dropped.

    Parameters
    ----------
    table : DataFrame
        One row per bar.
    category, value, lower, upper : str
        Columns for the bar label, value and CI.
    target : float, optional
        Draw a target line.
    as_percent : bool
        Values are proportions shown as percentages.
    value_label : str, optional
        Axis label and alt-text name of the value (default ``value``).
    title : str, optional
        Title.

    Returns
    -------
    Figure
        Alt text gives the highest and lowest bars with CIs and the target.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"q": ["1", "5"], "v": [0.5, 0.75], "lo": [0.45, 0.7],
    ...                   "hi": [0.55, 0.8]})
    >>> "Lowest: 1 50.0% (45.0% to 55.0%)" in alt_text(bar_with_ci(t, "q", "v", "lo", "hi"))
    True
    """
    _require(table, [category, value, lower, upper], "bar_with_ci")
    value_label = value_label or value
    values = table[[value, lower, upper]].astype(float).reset_index(drop=True)
    labels = table[category].astype(str).reset_index(drop=True)
    scale = 100 if as_percent else 1
    n = len(table)
    with theme():
        fig, ax = plt.subplots(figsize=(8.0, max(2.0, 0.5 * n + 1.2)))
        y = np.arange(n)[::-1]
        known = values[value].notna().to_numpy()
        ax.barh(y[known], values.loc[known, value] * scale, color=COLOURS["estimate"])
        with_ci = known & values[lower].notna().to_numpy() & values[upper].notna().to_numpy()
        ax.errorbar(
            values.loc[with_ci, value] * scale,
            y[with_ci],
            xerr=[
                (values.loc[with_ci, value] - values.loc[with_ci, lower]) * scale,
                (values.loc[with_ci, upper] - values.loc[with_ci, value]) * scale,
            ],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        for position in y[~known]:
            ax.annotate(
                "not shown",
                (0, position),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                style="italic",
                color=COLOURS["reference"],
            )
        if target is not None:
            ax.axvline(
                target * scale,
                color=COLOURS["target"],
                linestyle="--",
                label=f"Target {_fmt(target, as_percent)}",
            )
            ax.legend(frameon=False)
        ax.set_yticks(y, labels)
        ax.set_xlabel(value_label + (" (%)" if as_percent else ""))
        ax.grid(axis="y", visible=False)
        if title:
            ax.set_title(title)
        fig.tight_layout()
    return _remember(
        fig, _bar_alt(values, labels, value, lower, upper, value_label, target, as_percent)
    )


def _bar_alt(values, labels, value, lower, upper, value_label, target, as_percent) -> str:
    parts = [f"Bar chart of {value_label} for {_count(len(values), 'group')}."]
    known = values[value].notna()
    if known.any():
        top = values.loc[known, value].idxmax()
        bottom = values.loc[known, value].idxmin()
        parts.append(
            f"Highest: {labels[top]} {_interval(values.loc[top], value, lower, upper, as_percent)}."
        )
        if bottom != top:
            parts.append(
                f"Lowest: {labels[bottom]} "
                f"{_interval(values.loc[bottom], value, lower, upper, as_percent)}."
            )
    if target is not None:
        below = ", ".join(labels[known & (values[value] < target)])
        statement = f"Target {_fmt(target, as_percent)}"
        if below:
            statement += f"; below target: {below}."
        elif known.any():
            statement += "; no group is below it."
        else:
            statement += "."
        parts.append(statement)
    if (~known).any():
        parts.append(f"Not shown: {', '.join(labels[~known])}.")
    return " ".join(parts)
