"""SPC charts: special causes marked by shape and words as well as colour, alt text that says
what the chart shows, milestones and rebasing marked; and the page-03 sections on the demo."""

import re

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from evalkit.config import ContractTimeline
from evalkit.data.contract import contract_milestones
from evalkit.errors import FigureError
from evalkit.kpi import kpi_spc
from evalkit.present.spc_charts import POINT_STYLES, period_text, spc_chart

STARTED = {
    "id": "started",
    "title": "Referrals who started",
    "unit": "proportion",
    "numerator": "started",
    "denominator": "all",
    "target": 0.75,
}
STEADY = [0.86, 0.88, 0.87, 0.89, 0.86, 0.88, 0.87]
LOWER = [0.80, 0.79, 0.81, 0.80, 0.79, 0.80, 0.81]


def chart_of(values, change_points=()):
    months = pd.period_range("2024-07", periods=len(values), freq="M").astype(str)
    series = pd.DataFrame(
        {"kpi_id": "started", "title": "Referrals who started", "kpi_unit": "proportion"}
        | {"freq": "month", "period": months, "value": values}
    )
    return kpi_spc(series, [STARTED], change_points=change_points)


def markers_by_label(fig):
    ax = fig.axes[0]
    return {collection.get_label(): len(collection.get_offsets()) for collection in ax.collections}


def test_special_causes_are_marked_by_shape_and_named_in_the_legend():
    fig, alt = spc_chart(chart_of(STEADY + LOWER))
    try:
        counts = markers_by_label(fig)
        assert counts["Special cause: concern"] == 7
        assert counts["Special cause: improvement"] == 7
        shapes = {style[0] for style in POINT_STYLES.values()}
        assert len(shapes) == len(POINT_STYLES)  # every kind of point has its own shape
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert {"Mean", "Process limits", "Target 75%"} <= set(legend)
        words = " ".join(t.get_text() for t in fig.texts)
        assert "Variation: special cause concern: lower than expected" in words
        assert "Assurance:" in words
    finally:
        plt.close(fig)
    assert alt.startswith(
        "SPC chart of Referrals who started, monthly from Jul 2024 to Aug 2025 (14 months)"
    )
    assert "Special cause: improvement in Jul 2024 to Jan 2025" in alt
    assert "Special cause: concern in Feb 2025 to Aug 2025" in alt
    assert "Latest, Aug 2025: 81%, special cause concern: lower than expected" in alt
    assert "Target 75%" in alt


def test_gaps_rebasing_and_milestones_are_drawn_and_described():
    values = STEADY + [float("nan")] + LOWER
    contract = ContractTimeline(
        start="2024-07-01",
        mobilisation_end="2024-09-30",
        end="2029-06-30",
        change_points=[{"date": "2025-03-01", "label": "new triage provider"}],
    )
    chart = chart_of(values, change_points=[c.date for c in contract.change_points])
    fig, alt = spc_chart(chart, milestones=contract_milestones(contract))
    try:
        texts = [t.get_text() for t in fig.axes[0].texts]
        assert "new limits from Mar 2025" in texts
        assert {"contract starts", "mobilisation ends", "new triage provider"} <= set(texts)
        assert markers_by_label(fig)  # drawn
        legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
        assert "Not plotted (too few people)" in legend and "Contract milestone" in legend
    finally:
        plt.close(fig)
    assert "1 month not plotted (no figure, or too few people): Feb 2025" in alt
    assert "New limits from Mar 2025" in alt
    assert "Marked: contract starts, mobilisation ends, new triage provider" in alt
    assert "trial limits" in alt  # 7 months after the change point


def test_the_chart_refuses_several_kpis_at_once():
    both = pd.concat([chart_of(STEADY), chart_of(STEADY).assign(kpi_id="other")])
    with pytest.raises(FigureError, match="one KPI at a time"):
        spc_chart(both)


@pytest.fixture(scope="module")
def demo_page(tmp_path_factory, monkeypatch_module):
    from evalkit.data.evaluation import load_evaluation
    from evalkit.demo import write_demo
    from evalkit.pages import lifestyle_kpis as page

    folder = tmp_path_factory.mktemp("demo")
    config = write_demo(folder / "evaluation")
    outputs = folder / "outputs"
    monkeypatch_module.setattr(
        "evalkit.present.keyfigures._output_dir_of_running_notebook", lambda: outputs
    )
    ev = load_evaluation(config)
    kpis = page.kpi_tables(ev)
    series = page.kpi_series_tables(ev)
    return ev, kpis, series, page


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_the_over_time_section_charts_the_package_computation(demo_page):
    ev, _, series, page = demo_page
    blocks = page.kpis_over_time(ev, series)
    text = blocks.text()
    assert "month 24 of the contract's 60-month initial term" in text
    charted = series.summary_monthly[series.summary_monthly.n_points >= 6]
    figures = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', text)
    assert len(figures) == len(charted)
    referrals = next(alt for alt in figures if alt.startswith("SPC chart of Referrals received"))
    chart = series.spc_monthly[series.spc_monthly.kpi_id == "referrals"]
    concern = chart.loc[chart.point_type == "special_cause_concern", "period"].tolist()
    assert concern[-1] == "2026-06" and concern[0] <= "2025-08"
    first, last = period_text(concern[0]), period_text(concern[-1])
    assert f"Special cause: concern in {first} to {last}" in referrals
    quit_alt = next(alt for alt in figures if "confirmed by a carbon monoxide test" in alt)
    assert "Special cause" not in quit_alt


def test_the_exception_report_uses_the_evaluators_file_and_invents_nothing(demo_page):
    ev, kpis, series, page = demo_page
    rows = page.exception_rows(ev, kpis, series)
    referrals = rows.set_index("kpi_id").loc["referrals"]
    # no target, so not off target: an exception for its special-cause concern alone
    assert referrals["special_cause"] and not referrals["off_target"]
    assert referrals["signal_type"] == "concern"
    assert referrals["explained"] and "new triage provider" in referrals["explanation"]
    assert (~rows.loc[rows.kpi_id != "referrals", "explained"]).all()
    text = page.kpi_exceptions(ev, kpis, series).text()
    assert text.count("*to be explained*") == len(rows) - 1
    assert "Agree a one-page referral form with the triage provider" in text
    assert "30 September 2026" in text
    run = [period_text(p) for p in (referrals["signal_periods"][0], "2026-06")]
    assert f"special-cause concern in {run[0]} to {run[1]}" in text
