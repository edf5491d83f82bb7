"""Property tests (hypothesis) of the generic scorer.

Each example scores a batch of response vectors in one call, so the properties are checked on
many rows quickly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import evalkit.instruments as ins

SUMMED = ["wemwbs", "swemwbs", "phq9", "gad7", "auditc"]


@st.composite
def batches(draw, name: str | None = None, min_rows: int = 1):
    """An instrument, a batch of response vectors (None = blank) and a missing-item rule."""
    name = name or draw(st.sampled_from(SUMMED))
    d = ins.get(name)
    answer = st.one_of(st.none(), st.integers(d.response_min, d.response_max))
    rows = draw(
        st.lists(
            st.lists(answer, min_size=d.n_items, max_size=d.n_items), min_size=min_rows, max_size=30
        )
    )
    rule = draw(st.sampled_from(["complete_case", "prorate"]))
    k = draw(st.integers(0, d.n_items - 1))
    return d, np.array(rows, dtype="float64"), rule, k


def wide(d, x: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame(x, columns=list(d.items))
    frame.insert(0, "timepoint", "baseline")
    frame.insert(0, "client_id", [f"c{i}" for i in range(len(x))])
    return frame


@settings(max_examples=150, deadline=None)
@given(batches())
def test_totals_are_always_within_the_published_range_or_nan(batch):
    d, x, rule, k = batch
    out = ins.score(wide(d, x), d, missing_rule=rule, max_missing=k)
    total = out[f"{d.name}_total"]
    scored = total.dropna()
    assert ((scored >= d.total_min) & (scored <= d.total_max)).all()
    assert (scored == scored.round()).all()
    answered = (~np.isnan(x)).sum(axis=1)
    allowed_missing = k if rule == "prorate" else 0
    # scorable exactly when the rule allows the number of blanks (and something was answered)
    expected_scorable = (d.n_items - answered <= allowed_missing) & (answered > 0)
    np.testing.assert_array_equal(total.notna().to_numpy(), expected_scorable)
    if d.metric_conversion:
        metric = out["swemwbs_metric"].dropna()
        assert ((metric >= 7.0) & (metric <= 35.0)).all()


@settings(max_examples=150, deadline=None)
@given(batches(), st.data())
def test_answering_a_blank_item_never_makes_a_score_unscorable(batch, data):
    d, x, rule, k = batch
    blanks = np.argwhere(np.isnan(x))
    if not len(blanks):
        return
    r, j = blanks[data.draw(st.integers(0, len(blanks) - 1))]
    filled = x.copy()
    filled[r, j] = data.draw(st.integers(d.response_min, d.response_max))
    before = ins.score(wide(d, x), d, missing_rule=rule, max_missing=k)[f"{d.name}_total"]
    after = ins.score(wide(d, filled), d, missing_rule=rule, max_missing=k)[f"{d.name}_total"]
    if not np.isnan(before[r]):
        assert not np.isnan(after[r])


@settings(max_examples=150, deadline=None)
@given(batches(), st.data())
def test_adding_a_missing_item_never_lowers_a_scorable_total(batch, data):
    """Answering a blank item with at least the person's mean answer (the value prorating
    assumed for it) never lowers the total; under complete case the filled-in total is at
    least the lowest total the other answers allow."""
    d, x, rule, k = batch
    blanks = np.argwhere(np.isnan(x))
    if not len(blanks):
        return
    r, j = blanks[data.draw(st.integers(0, len(blanks) - 1))]
    answered = x[r][~np.isnan(x[r])]
    floor = int(np.ceil(answered.mean())) if len(answered) else d.response_min
    filled = x.copy()
    filled[r, j] = data.draw(st.integers(max(floor, d.response_min), d.response_max))
    before = ins.score(wide(d, x), d, missing_rule=rule, max_missing=k)[f"{d.name}_total"][r]
    after = ins.score(wide(d, filled), d, missing_rule=rule, max_missing=k)[f"{d.name}_total"][r]
    if not np.isnan(before):
        assert after >= before
    if not np.isnan(after):
        assert after >= np.nansum(filled[r]) + d.response_min * np.isnan(filled[r]).sum()


@settings(max_examples=150, deadline=None)
@given(batches(), st.data())
def test_raising_an_answer_never_lowers_the_total(batch, data):
    d, x, rule, k = batch
    answers = np.argwhere(~np.isnan(x) & (x < d.response_max))
    if not len(answers):
        return
    r, j = answers[data.draw(st.integers(0, len(answers) - 1))]
    raised = x.copy()
    raised[r, j] = data.draw(st.integers(int(x[r, j]) + 1, d.response_max))
    before = ins.score(wide(d, x), d, missing_rule=rule, max_missing=k)[f"{d.name}_total"][r]
    after = ins.score(wide(d, raised), d, missing_rule=rule, max_missing=k)[f"{d.name}_total"][r]
    assert np.isnan(before) == np.isnan(after)
    if not np.isnan(before):
        assert after >= before


@settings(max_examples=100, deadline=None)
@given(batches("swemwbs", min_rows=2))
def test_swemwbs_metric_is_monotonic_in_the_raw_score(batch):
    d, x, rule, k = batch
    out = ins.score(wide(d, x), d, missing_rule=rule, max_missing=k).dropna(subset="swemwbs_total")
    ordered = out.sort_values(["swemwbs_total", "swemwbs_metric"])
    assert ordered["swemwbs_metric"].is_monotonic_increasing
    # equal raw scores always give equal metric scores
    assert (out.groupby("swemwbs_total")["swemwbs_metric"].nunique() <= 1).all()


def test_swemwbs_metric_strictly_increases_across_the_whole_table():
    d = ins.get("swemwbs")
    rows = []
    for raw in range(7, 36):
        base, extra = divmod(raw - 7, 7)
        rows.append([1 + base + (1 if i < extra else 0) for i in range(7)])
    out = ins.score(wide(d, np.array(rows, dtype="float64")), d)
    assert out["swemwbs_total"].tolist() == list(range(7, 36))
    assert (np.diff(out["swemwbs_metric"].to_numpy()) > 0).all()
