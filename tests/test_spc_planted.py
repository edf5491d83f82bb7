"""The demo's 24 months: the planted shift is flagged by the monthly SPC chart, the stable KPI
raises no signal, and rebasing at the shift recovers the planted levels (demo/truths.py)."""

import numpy as np
import pandas as pd
import pytest

from evalkit.config import DisclosurePolicy
from evalkit.data.episodes import build_episodes
from evalkit.demo import PLANTED, generate
from evalkit.demo.service import REFERRAL_WINDOW
from evalkit.kpi import kpi_series, kpi_spc, load_kpis
from evalkit.present.spc_charts import plotted_series

SHIFT, STABLE = PLANTED.spc_shift, PLANTED.spc_stable
START, END = (pd.Timestamp(d) for d in REFERRAL_WINDOW)


def monthly(seed=None, change_points=()):
    tables = generate() if seed is None else generate(seed=seed)
    episodes = build_episodes(tables["participants"], tables["measures"])
    series = kpi_series(episodes, None, start=START, end=END)
    series = plotted_series(series, DisclosurePolicy())
    return series, kpi_spc(series, None, change_points=change_points)


@pytest.fixture(scope="module")
def demo():
    return monthly()


def test_the_demo_runs_24_months(demo):
    series, _ = demo
    months = series.loc[series.kpi_id == SHIFT.kpi_id, "period"].tolist()
    assert len(months) == 24 and months[0] == "2024-07" and months[-1] == "2026-06"
    assert months.index(SHIFT.from_month) + 1 == SHIFT.month_number
    # the two planted KPIs rest on enough people to be plotted every month
    assert series.loc[series.kpi_id == SHIFT.kpi_id, "value"].sum() == pytest.approx(2000, abs=60)
    for kpi_id in (SHIFT.kpi_id, STABLE.kpi_id):
        assert series.loc[series.kpi_id == kpi_id, "plotted"].all(), kpi_id
    assert {SHIFT.kpi_id, STABLE.kpi_id} <= {k.id for k in load_kpis()}


def test_the_planted_shift_is_flagged(demo):
    _, spc = demo
    chart = spc[spc.kpi_id == SHIFT.kpi_id].set_index("period")
    after = chart.loc[chart.index >= SHIFT.from_month]
    before = chart.loc[chart.index < SHIFT.from_month]
    # every month from the shift on is a special-cause concern (below the one mean)...
    assert after["special_cause"].all()
    assert set(after["point_type"]) == {"special_cause_concern"}
    assert after["one_side_run"].sum() >= 7
    # ...while the months before it are above the mean: an improvement against the one set of
    # limits, but for at most one month just before the shift that noise puts below the mean
    concern_before = before.index[before["point_type"].eq("special_cause_concern")].tolist()
    assert len(concern_before) <= 1
    assert before["point_type"].eq("special_cause_improvement").sum() >= len(before) - 1


def test_the_stable_series_raises_no_signal(demo):
    _, spc = demo
    chart = spc[spc.kpi_id == STABLE.kpi_id]
    assert len(chart) == 24
    assert not chart["special_cause"].any()
    assert (chart["point_type"] == "common_cause").all()


def test_rebasing_at_the_shift_recovers_the_planted_levels():
    _, spc = monthly(change_points=[f"{SHIFT.from_month}-01"])
    chart = spc[spc.kpi_id == SHIFT.kpi_id]
    first, second = (chart[chart.segment == s] for s in (0, 1))
    assert second["period"].iloc[0] == SHIFT.from_month
    # 2,000 referrals over 13 months at the full rate and 11 at 70% of it: about 97 and 68 a
    # month
    full = 2000 / (13 * SHIFT.before + 11 * SHIFT.after)
    for segment, level, months in ((first, SHIFT.before, 13), (second, SHIFT.after, 11)):
        expected = full * level  # within 3 standard errors of a Poisson mean over the months
        assert segment["mean"].iloc[0] == pytest.approx(
            expected, abs=3 * (expected / months) ** 0.5
        )
    assert not second["point_type"].eq("special_cause_concern").any()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_shift_is_flagged_whatever_the_seed(seed):
    _, spc = monthly(seed=seed)
    after = spc[(spc.kpi_id == SHIFT.kpi_id) & (spc.period >= SHIFT.from_month)]
    concern = after["point_type"].eq("special_cause_concern").to_numpy()
    # at least a shift's length (7 months) of the 11 months since the change are flagged
    assert concern.sum() >= 7
    assert np.all(after.loc[after.special_cause, "direction"] == "low")
