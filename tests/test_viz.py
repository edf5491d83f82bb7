"""evalkit.present.figures: accessible HTML figures, generated alt text, and what each helper
draws."""

import base64
import io
from html.parser import HTMLParser

import matplotlib
import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from evalkit.errors import EvalkitError, FigureError
from evalkit.present import figures as viz

matplotlib.use("Agg")


class _Figures(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _parse(markup):
    parser = _Figures()
    parser.feed(markup)
    return parser.tags


@pytest.fixture(autouse=True)
def _no_show(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a helper called plt.show()")

    monkeypatch.setattr(plt, "show", refuse)
    yield
    plt.close("all")


@pytest.fixture
def displayed(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    return shown


def _simple_figure():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    return fig


def test_show_figure_emits_img_with_alt_and_decodable_png(displayed):
    fig = _simple_figure()
    alt = 'Line rising from 0 to 1 (a "test" <figure>)'
    viz.show_figure(fig, alt=alt, caption="Figure 1: a line")
    assert len(displayed) == 1
    markup = displayed[0].data
    tags = _parse(markup)
    assert tags[0] == ("figure", {"class": "evalkit-figure"})
    img = dict(tags)["img"]
    assert img["alt"] == alt  # escaped in the HTML, intact once parsed
    assert "&quot;test&quot; &lt;figure&gt;" in markup
    header, payload = img["src"].split(",", 1)
    assert header == "data:image/png;base64"
    png = base64.b64decode(payload)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = mpimg.imread(io.BytesIO(png), format="png")
    assert pixels.ndim == 3 and pixels.shape[0] > 100
    assert "<figcaption>Figure 1: a line</figcaption>" in markup
    assert not plt.fignum_exists(fig.number)  # closed: the inline backend won't show it again


@pytest.mark.parametrize("alt", ["", "   ", None])
def test_empty_alt_is_an_error(alt, displayed):
    fig = _simple_figure()
    with pytest.raises(FigureError, match="alt text is empty"):
        viz.show_figure(fig, alt=alt, caption="x")
    assert displayed == []
    assert issubclass(viz.FigureError, EvalkitError)


def test_alt_text_only_for_evalkit_figures():
    with pytest.raises(FigureError, match="no generated alt text"):
        viz.alt_text(_simple_figure())


def test_okabe_ito_palette_is_the_published_one():
    # Okabe & Ito (2008), Color Universal Design: the eight colours in RGB
    published = {
        "black": (0, 0, 0),
        "orange": (230, 159, 0),
        "sky_blue": (86, 180, 233),
        "bluish_green": (0, 158, 115),
        "yellow": (240, 228, 66),
        "blue": (0, 114, 178),
        "vermillion": (213, 94, 0),
        "reddish_purple": (204, 121, 167),
    }
    as_rgb = {k: tuple(int(v[i : i + 2], 16) for i in (1, 3, 5)) for k, v in viz.OKABE_ITO.items()}
    assert as_rgb == published
    assert sorted(viz.PALETTE) == sorted(viz.OKABE_ITO.values())


def test_set_theme_uses_readable_sizes_and_the_palette():
    viz.set_theme()
    assert matplotlib.rcParams["font.size"] >= 11
    cycle = [to_hex(c) for c in matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle == [c.lower() for c in viz.PALETTE]


def test_forest_plot_draws_every_row_and_describes_them():
    table = pd.DataFrame(
        {
            "level": ["Quintile 1", "Quintile 2", "Quintile 5", "Unknown"],
            "difference": [3.1, 1.0, -0.8, np.nan],
            "lower": [2.0, -0.2, -1.5, np.nan],
            "upper": [4.2, 2.2, -0.1, np.nan],
        }
    )
    fig = viz.forest_plot(table, "difference", "lower", "upper", "level", xlabel="Extra change")
    ax = fig.axes[0]
    top_down = sorted(ax.get_yticklabels(), key=lambda t: -t.get_position()[1])
    assert [t.get_text() for t in top_down] == table["level"].tolist()  # table order, top down
    points = ax.lines[0].get_xdata()
    assert list(points) == [3.1, 1.0, -0.8]
    alt = viz.alt_text(fig)
    assert "Forest plot of Extra change for 4 rows." in alt
    assert "Largest: Quintile 1 3.10 (2.00 to 4.20)." in alt
    assert "Smallest: Quintile 5 -0.80 (-1.50 to -0.10)." in alt
    # Quintile 1 (2.0 to 4.2) and Quintile 5 (-1.5 to -0.1) exclude 0; Quintile 2 does not
    assert "2 of 3 intervals exclude 0 (Quintile 1, Quintile 5)." in alt
    assert "Not estimated: Unknown." in alt


def test_distribution_shift_alt_matches_hand_summary():
    # pairs (baseline, exit): (40, 46), (50, 49), (35, 41), (44, 44); c5 has no exit score.
    # means 42.25 -> 45.0; medians 42.0 -> 45.0; 2 of 4 up (50%), 1 of 4 down (25%).
    scored = pd.DataFrame(
        {
            "client_id": ["c1", "c1", "c2", "c2", "c3", "c3", "c4", "c4", "c5"],
            "timepoint": ["baseline", "exit"] * 4 + ["baseline"],
            "wemwbs_total": [40, 46, 50, 49, 35, 41, 44, 44, 60],
        }
    )
    fig = viz.distribution_shift(scored, "wemwbs_total", label="WEMWBS")
    alt = viz.alt_text(fig)
    assert alt.startswith("WEMWBS for 4 clients with a score at both baseline and exit")
    assert "mean moved from 42.2 to 45.0" in alt  # 42.25 rounds half to even
    assert "median from 42.0 to 45.0" in alt
    assert "50% of clients scored higher at exit, 25% lower" in alt
    heights = [p.get_path().vertices for p in fig.axes[0].patches]
    assert len(heights) == 2  # one step histogram per timepoint

    empty = viz.distribution_shift(scored.iloc[[8]], "wemwbs_total", label="WEMWBS")
    assert "no client has a score at both" in viz.alt_text(empty)


@pytest.fixture
def funnel():
    limits = pd.DataFrame(
        {
            "denominator": [20, 100, 500, 2000],
            "lower95": [0.12, 0.21, 0.26, 0.28],
            "upper95": [0.52, 0.40, 0.34, 0.32],
            "lower998": [0.06, 0.16, 0.24, 0.27],
            "upper998": [0.62, 0.46, 0.37, 0.34],
            "target": [0.30] * 4,
        }
    )
    points = pd.DataFrame(
        {
            "unit": ["North", "South", "East", "West", "Central"],
            "numerator": [150, 30, 10, 140, 0],
            "denominator": [300, 100, 100, 500, 0],
            "value": [0.50, 0.30, 0.10, 0.35, np.nan],
        }
    )
    return points, limits


def test_funnel_plot_classifies_units_against_limits(funnel):
    points, limits = funnel
    fig = viz.funnel_plot(points, limits, value_label="4-week quit rate")
    alt = viz.alt_text(fig)
    # North 0.50 at n=300: upper 99.8% limit there is 0.46 + (0.37 - 0.46) * 200/400 = 0.415
    assert "Above the 99.8% limit: North." in alt
    # East 0.10 at n=100 is below the lower 99.8% limit 0.16
    assert "Below the 99.8% limit: East." in alt
    # West 0.35 at n=500 lies between upper95 0.34 and upper99.8 0.37
    assert "Between the upper 95% and 99.8% limits: West." in alt
    assert "1 within the 95% limits." in alt  # South
    assert "No value for: Central." in alt
    assert "around a target of 30.0%" in alt
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert labels == {"North", "East", "West"}


def test_helpers_accept_empty_tables(funnel):
    points, limits = funnel
    empty = pd.DataFrame({"l": [], "d": [], "lo": [], "hi": []})
    assert "for 0 rows. No row could be estimated." in viz.alt_text(
        viz.forest_plot(empty, "d", "lo", "hi", "l")
    )
    assert viz.alt_text(viz.bar_with_ci(empty, "l", "d", "lo", "hi")).startswith(
        "Bar chart of d for 0 groups."
    )
    assert "for 0 units" in viz.alt_text(viz.funnel_plot(points.iloc[0:0], limits))


def test_funnel_plot_names_missing_columns(funnel):
    points, limits = funnel
    with pytest.raises(FigureError, match="upper998"):
        viz.funnel_plot(points, limits.drop(columns="upper998"))


def test_bar_with_ci_keeps_suppressed_rows_and_states_target():
    table = pd.DataFrame(
        {
            "quintile": ["1 (most deprived)", "2", "3", "4", "5"],
            "rate": [0.50, 0.56, np.nan, 0.70, 0.75],
            "lower": [0.45, 0.51, np.nan, 0.66, 0.71],
            "upper": [0.55, 0.61, np.nan, 0.74, 0.79],
        }
    )
    fig = viz.bar_with_ci(
        table, "quintile", "rate", "lower", "upper", target=0.6, value_label="Follow-up rate"
    )
    bars = [round(p.get_width(), 6) for p in fig.axes[0].patches]
    assert bars == [50.0, 56.0, 70.0, 75.0]
    alt = viz.alt_text(fig)
    assert "Bar chart of Follow-up rate for 5 groups." in alt
    assert "Highest: 5 75.0% (71.0% to 79.0%)." in alt
    assert "Lowest: 1 (most deprived) 50.0% (45.0% to 55.0%)." in alt
    assert "Target 60.0%; below target: 1 (most deprived), 2." in alt
    assert "Not shown: 3." in alt
    nothing = viz.bar_with_ci(table.iloc[[2]], "quintile", "rate", "lower", "upper", target=0.6)
    assert viz.alt_text(nothing).endswith("Target 60.0%. Not shown: 3.")
    with pytest.raises(FigureError, match="rate_pct"):
        viz.bar_with_ci(table, "quintile", "rate_pct", "lower", "upper")


@pytest.mark.slow
def test_alt_text_survives_nbconvert_html(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbconvert import HTMLExporter

    code = (
        "import matplotlib\nmatplotlib.use('Agg')\nimport pandas as pd\n"
        "from evalkit.present import figures as viz\n"
        "t = pd.DataFrame({'g': ['A', 'B'], 'v': [0.4, 0.6], 'lo': [0.3, 0.5], 'hi': [0.5, 0.7]})\n"
        "fig = viz.bar_with_ci(t, 'g', 'v', 'lo', 'hi')\n"
        "viz.show_figure(fig, alt=viz.alt_text(fig), caption='Rates by group')"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    body, _ = HTMLExporter(exclude_input=True).from_notebook_node(nb)
    imgs = [attrs for tag, attrs in _parse(body) if tag == "img"]
    assert len(imgs) == 1
    assert imgs[0]["alt"].startswith("Bar chart of v for 2 groups. Highest: B 60.0%")
    assert imgs[0]["src"].startswith("data:image/png;base64,")
