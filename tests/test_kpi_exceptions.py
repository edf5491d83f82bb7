"""exceptions.yml (strict) and the exception report: which KPIs are exceptions, with the CMOCs
that concern them and the evaluator's words, never an invented explanation."""

import datetime as dt

import pandas as pd
import pytest

from evalkit.errors import ConfigError
from evalkit.kpi import TO_BE_EXPLAINED, exception_report, kpi_cmocs, kpi_spc, load_exceptions

KPIS = ["started", "completed", "quit_4wk_co", "referrals"]


def write(tmp_path, text):
    (tmp_path / "exceptions.yml").write_text(text, encoding="utf-8")
    return tmp_path


def test_a_missing_or_empty_file_means_nothing_is_explained(tmp_path):
    assert load_exceptions(tmp_path, KPIS) == {}
    assert load_exceptions(write(tmp_path, ""), KPIS) == {}


def test_entries_are_read(tmp_path):
    entries = load_exceptions(
        write(
            tmp_path,
            "exceptions:\n"
            "  - kpi: started\n"
            "    explanation: A new triage provider holds a waiting list.\n"
            "    actions:\n"
            "      - {action: Agree a maximum wait, owner: Commissioner, due: 2026-09-30}\n"
            "  - kpi: completed\n",
        ),
        KPIS,
    )
    assert list(entries) == ["started", "completed"]
    assert entries["started"].actions[0].due == dt.date(2026, 9, 30)
    assert entries["completed"].explanation is None and entries["completed"].actions == []


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            "exceptions:\n  - kpi: strated\n  - kpi: quit_4wk\n",
            [
                "2 problems",
                "exceptions[0].kpi: unknown KPI id 'strated' (did you mean 'started'?)",
                "exceptions[1].kpi: unknown KPI id 'quit_4wk' (did you mean 'quit_4wk_co'?)",
            ],
        ),
        (
            "exceptions:\n  - kpi: started\n  - kpi: started\n",
            ["exceptions[1].kpi: KPI 'started' is listed twice"],
        ),
        (
            "exceptions:\n  - kpi: started\n    explnation: typo\n",
            ["exceptions[0].explnation: unknown setting (did you mean 'explanation'?)"],
        ),
        (
            "exceptions:\n  - kpi: started\n    actions:\n      - {action: A, owner: B}\n",
            ["exceptions[0].actions[0].due: required setting is missing"],
        ),
        (
            "exceptions:\n  - kpi: started\n    actions:\n"
            "      - {action: A, owner: B, due: soon}\n",
            ["exceptions[0].actions[0].due: expected a date written YYYY-MM-DD"],
        ),
        ("exceptions:\n  - kpi: started\n    explanation: ''\n", ["explanation: expected text"]),
        ("- started\n", ["expected a mapping with an 'exceptions:' list"]),
        ("exceptions: [\n", ["not valid YAML"]),
    ],
)
def test_problems_are_named(tmp_path, text, messages):
    with pytest.raises(ConfigError) as caught:
        load_exceptions(write(tmp_path, text), KPIS)
    for message in messages:
        assert message in str(caught.value)
    assert "exceptions.yml" in str(caught.value)


def current_rows():
    return pd.DataFrame(
        {
            "kpi_id": ["referrals", "started", "completed", "quit_4wk_co"],
            "title": ["Referrals", "Started", "Completed", "Quit at 4 weeks"],
            "kpi_unit": ["count", "proportion", "proportion", "proportion"],
            "value": [250.0, 0.78, 0.55, 0.40],
            "ci_lower": [220.0, 0.72, 0.49, 0.31],
            "ci_upper": [283.0, 0.83, 0.61, 0.50],
            "target": [float("nan"), 0.75, 0.60, 0.35],
            "direction": ["higher"] * 4,
            "rag": [None, "green", "amber", "green"],
        }
    )


def monthly_chart(kpi_id, values):
    months = pd.period_range("2025-01", periods=len(values), freq="M").astype(str)
    series = pd.DataFrame(
        {"kpi_id": kpi_id, "title": kpi_id, "kpi_unit": "proportion", "freq": "month"}
        | {"period": months, "value": values}
    )
    kpi = {"id": kpi_id, "title": kpi_id, "unit": "proportion", "numerator": kpi_id}
    return kpi_spc(series, [{**kpi, "denominator": "all", "target": 0.75}])


def test_the_report_lists_off_target_and_special_cause_kpis(tmp_path):
    # started is on target, but its last 7 months are a run below its mean: a concern
    steady = [0.86, 0.88, 0.87, 0.89, 0.86, 0.88, 0.87]
    spc = pd.concat(
        [
            monthly_chart("started", steady + [0.80, 0.79, 0.81, 0.80, 0.79, 0.80, 0.81]),
            monthly_chart("quit_4wk_co", [0.40, 0.41, 0.39, 0.40] * 3 + [0.41, 0.40]),
        ]
    )
    entries = load_exceptions(
        write(tmp_path, "exceptions:\n  - kpi: started\n    explanation: New triage.\n"), KPIS
    )
    cmocs = pd.DataFrame(
        {
            "cmoc_id": ["CMOC3", "CMOC4"],
            "outcome_measure": ["quit_4wk_co", "wemwbs_change"],
            "context_filter": ["delivery_mode == 'face_to_face'", "referral_source == 'gp'"],
        }
    )
    kpis = [
        {"id": k, "title": k, "unit": "proportion", "numerator": k, "denominator": "started"}
        for k in ("started", "completed", "quit_4wk_co")
    ]
    report = exception_report(
        current_rows(),
        spc,
        entries,
        cmoc_links=kpi_cmocs(cmocs, kpis),
        signal_periods=["2026-01", "2026-02"],
    )
    assert report["kpi_id"].tolist() == ["started", "completed"]
    started, completed = report.iloc[0], report.iloc[1]
    assert (started["off_target"], started["special_cause"]) == (False, True)
    assert started["signal_type"] == "concern"
    assert "one_side_run" in started["signal_rules"]
    # the whole run is described, from its first month, not only the report's months
    assert started["signal_periods"] == tuple(
        pd.period_range("2025-08", "2026-02", freq="M").astype(str)
    )
    assert (started["explained"], started["explanation"]) == (True, "New triage.")
    assert (completed["off_target"], completed["special_cause"]) == (True, False)
    assert (completed["explained"], completed["explanation"]) == (False, TO_BE_EXPLAINED)
    assert completed["actions"] == ()
    # a special cause outside the report's months makes no exception
    quiet = exception_report(current_rows(), spc, entries, signal_periods=["2025-01"])
    assert quiet["kpi_id"].tolist() == ["completed"]


def test_cmocs_concern_a_kpi_through_outcome_or_context():
    cmocs = pd.DataFrame(
        {
            "cmoc_id": ["C1", "C2", "C3", "C4"],
            "outcome_measure": ["quit_4wk_co", "wemwbs_change", None, "wemwbs_change"],
            "context_filter": ["imd_quintile == 1", "set_quit_date", None, "not valid ((("],
        }
    )
    kpis = [
        {
            "id": "quit",
            "title": "Quit",
            "unit": "proportion",
            "numerator": "quit_4wk_co",
            "denominator": "set_quit_date",
        },
        {
            "id": "wellbeing",
            "title": "Wellbeing",
            "unit": "mean",
            "numerator": "wemwbs_change",
            "denominator": "wemwbs_change.notna()",
        },
    ]
    assert kpi_cmocs(cmocs, kpis).values.tolist() == [
        ["quit", "C1", "outcome"],
        ["quit", "C2", "context"],
        ["wellbeing", "C2", "outcome"],
        ["wellbeing", "C4", "outcome"],
    ]
