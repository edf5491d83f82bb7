"""KPI definitions: the packaged default set and up-front validation of config definitions."""

from __future__ import annotations

import pytest
import yaml

from evalkit.errors import ConfigError
from evalkit.kpi import KpiDefinition, check_kpi_columns, load_kpis
from evalkit.kpi.definitions import expression_columns

EPISODE_COLUMNS = [  # docs/data-model.md, "The episode table" (the columns KPIs may use)
    "period", "provider", "site", "imd_quintile", "imd_decile", "imd_rank", "started",
    "completed", "wemwbs_followed_up", "wemwbs_change", "wemwbs_meaningful_improvement",
    "set_quit_date", "quit_4wk_self", "quit_4wk_co", "weight_loss_5pct", "became_more_active",
    "auditc_positive_baseline", "auditc_reduced", "iapt_recovery", "iapt_finished_treatment",
    "iapt_case_baseline",
]  # fmt: skip


def base(**changes):
    kpi = {
        "id": "completed",
        "title": "Starters who completed",
        "numerator": "completed",
        "denominator": "started",
        "unit": "proportion",
        "target": 0.6,
    }
    return {**kpi, **changes}


def test_default_set_is_lean_and_covers_the_issue_list():
    kpis = load_kpis()
    assert len(kpis) <= 15
    ids = {k.id for k in kpis}
    numerators = {k.numerator for k in kpis}
    # reach, engagement, completion, follow-up, WEMWBS change, quits (self and CO), weight,
    # activity, AUDIT-C, IAPT recovery
    assert {"referrals", "started", "completed", "wemwbs_followed_up"} <= ids
    assert "wemwbs_change" in numerators
    assert {"quit_4wk_self", "quit_4wk_co", "weight_loss_5pct", "became_more_active"} <= numerators
    assert {"auditc_reduced", "iapt_recovery"} <= numerators
    check_kpi_columns(kpis, EPISODE_COLUMNS)  # only names episode-table columns


def test_default_targets_follow_the_reference():
    kpis = {k.id: k for k in load_kpis()}
    # measures.md §3.2: IAPT recovery government target 50%, denominator = finished treatment
    # less not at caseness, which is where the iapt_recovery flag is not NA (iapt_outcomes).
    assert kpis["iapt_recovery"].target == 0.5
    assert kpis["iapt_recovery"].numerator == "iapt_recovery"
    assert kpis["iapt_recovery"].denominator == "iapt_recovery.notna()"
    # measures.md §4: CO-verify at least 85% of self-reported quitters; quit rates use the
    # number setting a quit date as denominator.
    assert kpis["co_validation"].target == 0.85
    assert kpis["co_validation"].denominator == "quit_4wk_self"
    assert kpis["quit_4wk_co"].denominator == "set_quit_date"
    unsourced = [k for k in kpis.values() if k.target_source.startswith("placeholder")]
    assert all("commissioner" in k.target_source for k in unsourced)


def test_default_yaml_marks_every_unsourced_target_as_placeholder():
    from importlib.resources import files

    text = files("evalkit.kpi").joinpath("kpis_default.yml").read_text(encoding="utf-8")
    for kpi in yaml.safe_load(text)["kpis"]:
        if kpi["target"] is not None and kpi["id"] not in {"iapt_recovery", "co_validation"}:
            block = text[text.index(f"id: {kpi['id']}") :].split("- id:")[0]
            assert "PLACEHOLDER" in block, kpi["id"]


def test_unknown_column_names_kpi_and_column():
    kpis = load_kpis([base(numerator="wemwbs_chnage >= 3", denominator="wemwbs_change.notna()")])
    with pytest.raises(ConfigError, match=r"KPI 'completed'.*'wemwbs_chnage'"):
        check_kpi_columns(kpis, EPISODE_COLUMNS)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"unit": "percent"}, "unit 'percent'"),
        ({"direction": "up"}, "direction 'up'"),
        ({"levels": ["region"]}, "levels"),
        ({"target": 50}, "fraction from 0 to 1"),
        ({"target": "high"}, "target must be a number"),
        ({"numerator": "completed >="}, "not valid"),
        ({"colour": "red"}, "unknown setting"),
        ({"title": ""}, "required setting"),
        ({"denominator": 5000}, "levels must be \\[service\\]"),
        ({"denominator": 5000, "levels": ["service"], "unit": "mean"}, "mean needs"),
        ({"denominator": -1, "levels": ["service"]}, "above 0"),
    ],
)
def test_invalid_definitions_raise_config_error_naming_the_kpi(changes, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_kpis([base(**changes)])
    assert "completed" in str(info.value) or "KPI" in str(info.value)


def test_duplicate_ids_and_non_list_are_rejected():
    with pytest.raises(ConfigError, match="used twice"):
        load_kpis([base(), base()])
    with pytest.raises(ConfigError, match="list"):
        load_kpis("completed")  # type: ignore[arg-type]


def test_population_denominator_at_service_level_is_allowed():
    (kpi,) = load_kpis([base(numerator="set_quit_date", denominator=40_000, levels=["service"])])
    assert kpi.has_population_denominator
    assert kpi.expressions() == ["set_quit_date"]


def test_expression_columns_ignores_functions_and_constants():
    names = expression_columns("abs(wemwbs_change) >= 3 and started == True")
    assert names == {"wemwbs_change", "started"}
    assert expression_columns("all") == set()


def test_definition_objects_pass_through():
    kpi = KpiDefinition(**base())
    assert load_kpis([kpi]) == [kpi]
