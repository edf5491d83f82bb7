"""Report figures: what is drawn matches the data, and the alt text says every value."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from evalkit.errors import ValidationError
from evalkit.present.report_figures import population_comparison_plot, trend_plot


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def reach():
    return pd.DataFrame(
        {
            "quintile": [1, 2, 3, 4, 5],
            "share": [0.4505, 0.2635, 0.125, np.nan, 0.066],
            "share_ci_lower": [0.4288, 0.2447, 0.1112, np.nan, 0.0559],
            "share_ci_upper": [0.4724, 0.2832, 0.1402, np.nan, 0.0777],
            "population_share": [0.31, 0.24, 0.18, 0.15, 0.12],
        }
    )


def test_population_bars_draw_the_shares_shown_and_every_population_share(reach):
    fig, alt = population_comparison_plot(reach)
    ax = fig.axes[0]
    heights = sorted(round(p.get_height(), 2) for p in ax.patches)
    # 4 referral bars (quintile 4 withheld) + 5 population bars, in percent
    assert heights == sorted([45.05, 26.35, 12.5, 6.6, 31.0, 24.0, 18.0, 15.0, 12.0])
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == 5  # the population differs by pattern, not colour alone
    assert alt.startswith("Bar chart comparing the share of referrals")
    assert "Quintile 1 (most deprived): 45% of referrals (95% CI 43% to 47%) and 31% of" in alt
    assert "Quintile 4: referrals not shown (small numbers) and 15% of residents" in alt
    assert "Quintile 5 (least deprived): 7% of referrals" in alt


def test_trend_plot_values_targets_and_gaps():
    table = pd.DataFrame(
        {
            "quarter": ["Jul to Sep 2025", "Oct to Dec 2025", "Jan to Mar 2026"],
            "value": [0.4216, np.nan, 0.3540],
            "lower": [0.3305, np.nan, 0.2718],
            "upper": [0.5184, np.nan, 0.4455],
        }
    )
    fig, alt = trend_plot(
        table, "quarter", "value", "lower", "upper", value_label="Quit rate", target=0.35
    )
    line = fig.axes[0].lines[0]
    np.testing.assert_allclose(line.get_ydata(), [42.16, np.nan, 35.40])
    assert alt == (
        "Line chart of Quit rate by quarter. Jul to Sep 2025: 42% (95% CI 33% to 52%). "
        "Oct to Dec 2025: not shown (small numbers). Jan to Mar 2026: 35% (95% CI 27% to "
        "45%). Target: 35%."
    )
    assert fig.axes[0].get_ylabel() == "Quit rate (%)"
    # the target line and the top of every interval fit inside the axes
    assert fig.axes[0].get_ylim()[1] > 51.84


def test_trend_plot_of_counts_without_an_interval():
    table = pd.DataFrame({"q": ["Jul to Sep 2025", "Oct to Dec 2025"], "n": [455, 515]})
    fig, alt = trend_plot(
        table, "q", "n", kind="count", value_label="Referrals", axis_label="People"
    )
    assert alt.endswith("Jul to Sep 2025: 455. Oct to Dec 2025: 515.")
    assert fig.axes[0].get_ylabel() == "People"
    assert fig.axes[0].get_legend() is None  # one series: no legend needed


def test_missing_columns_are_named():
    with pytest.raises(ValidationError, match="upper"):
        trend_plot(pd.DataFrame({"q": ["a"], "v": [1.0]}), "q", "v", "v", "upper")
    with pytest.raises(ValidationError, match="population_share"):
        population_comparison_plot(pd.DataFrame({"quintile": [1]}))
