"""evaluation.yml is checked at every level: unknown keys (with the nearest allowed key), types
and ranges, the disclosure floor, the data folder, and the scope the periods set."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from evalkit.config import (
    _FIELDS,
    DATA_DIR_VARIABLE,
    DISCLOSURE_FLOOR,
    DisclosurePolicy,
    EvaluationConfig,
    _EvaluationFile,
    did_you_mean,
    load_config,
)
from evalkit.errors import ConfigError

BASE = "name: Live Well\ndata_dir: .\n"


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "evaluation.yml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> str:
    """The message of the ConfigError the file raises."""
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    return str(caught.value)


# --- unknown keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "disclousre: {threshold: 10}\n",
            "disclousre: unknown setting (did you mean 'disclosure'?)",
        ),
        ("perods: [2026-Q1]\n", "perods: unknown setting (did you mean 'periods'?)"),
        (
            "disclosure: {treshold: 3}\n",
            "disclosure.treshold: unknown setting (did you mean 'threshold'?)",
        ),
        (
            "providers: [{name: North Trust, slug: north, slugg: n}]\n",
            "providers[0].slugg: unknown setting (did you mean 'slug'?)",
        ),
        (
            "target_most_deprived: {quintile: [1]}\n",
            "target_most_deprived.quintile: unknown setting (did you mean 'quintiles'?)",
        ),
        ("realist: {min: 20}\n", "realist.min: unknown setting (did you mean 'min_n'?)"),
        ("colour: red\n", "colour: unknown setting (allowed: "),
    ],
)
def test_an_unknown_key_at_any_level_names_the_file_the_path_and_the_nearest_key(
    tmp_path, text, line
):
    message = problems(tmp_path, BASE + text)
    first, *rest = message.splitlines()
    assert first == f"{tmp_path / 'evaluation.yml'}: 1 problem:"
    assert rest[0].startswith(f"  {line}")


def test_every_problem_is_listed_in_one_message_in_file_order(tmp_path):
    message = problems(tmp_path, BASE + "disclosure: {treshold: 3}\nsites: North\n")
    assert message == (
        f"{tmp_path / 'evaluation.yml'}: 2 problems:\n"
        "  disclosure.treshold: unknown setting (did you mean 'threshold'?)\n"
        "  sites: expected a list of site names, got the text 'North'"
    )


def test_the_did_you_mean_helper():
    assert did_you_mean("Treshold", ["threshold", "round_to"]) == "did you mean 'threshold'?"
    assert did_you_mean("zzz", ["b", "a"]) == "allowed: a, b"


def test_the_checks_cover_every_setting_of_the_config():
    assert set(_EvaluationFile.model_fields) == _FIELDS


def test_a_key_given_twice_is_refused(tmp_path):
    message = problems(tmp_path, BASE + "sites: [North]\nsites: [South]\n")
    assert "the setting 'sites' is given twice (line 4)" in message


# --- the disclosure floor -----------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [0, -5, 1, 4])
def test_a_threshold_below_the_floor_of_5_is_refused(tmp_path, threshold):
    message = problems(tmp_path, BASE + f"disclosure: {{threshold: {threshold}}}\n")
    assert (
        f"  disclosure.threshold: expected at least 5, got {threshold} (counts below 5" in message
    )


def test_the_floor_itself_and_above_are_allowed(tmp_path):
    assert DISCLOSURE_FLOOR == 5
    cfg = load_config(write(tmp_path, BASE + "disclosure: {threshold: 5, round_to: null}\n"))
    assert cfg.disclosure == DisclosurePolicy(threshold=5, round_to=None)
    assert load_config(write(tmp_path, BASE + "disclosure: {threshold: 11}\n")).disclosure == (
        DisclosurePolicy(threshold=11, round_to=5)
    )
    with pytest.raises(ValueError, match="at least 5"):  # in code too: the policy holds the floor
        DisclosurePolicy(threshold=4)


@pytest.mark.parametrize(
    ("value", "line"),
    [
        ("'8'", "disclosure.threshold: expected a whole number, got the text '8'"),
        ("7.5", "disclosure.threshold: expected a whole number, got 7.5"),
        ("true", "disclosure.threshold: expected a whole number, got true"),
    ],
)
def test_a_threshold_must_be_a_whole_number(tmp_path, value, line):
    assert f"  {line}" in problems(tmp_path, BASE + f"disclosure: {{threshold: {value}}}\n")


def test_round_to_is_null_or_at_least_1(tmp_path):
    message = problems(tmp_path, BASE + "disclosure: {round_to: 0}\n")
    assert "disclosure.round_to: expected a whole number of at least 1, or null" in message
    assert "got 0" in message
    message = problems(tmp_path, BASE + "disclosure: 8\n")
    assert "disclosure: expected a mapping of settings (threshold, round_to), got 8" in message


# --- types and ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "population_imd_quintile_share: {1: .5, 2: .5, 3: .5, 4: 0, 5: 0}\n",
            "population_imd_quintile_share: expected the shares of quintiles 1 to 5 summing to "
            "1 (± 0.01), got a sum of 1.5",
        ),
        (
            "population_imd_quintile_share: {1: .25, 2: .25, 3: .25, 4: .25}\n",
            "population_imd_quintile_share: expected exactly the quintiles 1 to 5, got 1, 2, 3, 4",
        ),
        (
            "population_imd_quintile_share: {1: 1.2, 2: 0, 3: 0, 4: 0, 5: -0.2}\n",
            "population_imd_quintile_share.1: expected a share from 0 to 1, got 1.2",
        ),
        (
            "target_most_deprived: {quintiles: []}\n",
            "target_most_deprived.quintiles: expected at least one IMD quintile, got an empty list",
        ),
        (
            "target_most_deprived: {quintiles: [6]}\n",
            "target_most_deprived.quintiles[0]: expected an IMD quintile 1 to 5, got 6",
        ),
        (
            "target_most_deprived: {share: 35}\n",
            "target_most_deprived.share: expected a share from 0 to 1, got 35",
        ),
        (
            "periods: [2026-Q1, 2026-Q5]\n",
            "periods[1]: expected a calendar quarter written YYYY-Qn (n 1 to 4), e.g. 2026-Q1, "
            "got the text '2026-Q5'",
        ),
        ("periods: [2026-Q1, 2026-Q1]\n", "periods: period '2026-Q1' is listed twice"),
        (
            "periods: [2026-Q2, 2026-Q1]\n",
            "periods: expected periods oldest first, got '2026-Q1' after '2026-Q2'",
        ),
        ("sites: North\n", "sites: expected a list of site names, got the text 'North'"),
        ("sites: [North, '']\n", "sites[1]: expected text, got an empty value"),
        ("sites: [North, North]\n", "sites: site 'North' is listed twice"),
        (
            "providers: [{name: North Trust}]\n",
            "providers[0].slug: required setting is missing (the file-name prefix of the "
            "provider's extracts, e.g. north for extracts/north_participants.csv)",
        ),
        (
            "providers: [{name: North Trust, slug: North-Trust}]\n",
            "providers[0].slug: expected the file-name prefix of the provider's extracts in "
            "lower-case letters, digits and underscores (e.g. north_trust), got the text "
            "'North-Trust'",
        ),
        (
            "providers: [{name: A, slug: a}, {name: B, slug: a}]\n",
            "providers: provider slug 'a' is listed twice",
        ),
        (
            "providers: [{name: A, slug: a}, {name: A, slug: b}]\n",
            "providers: provider name 'A' is listed twice",
        ),
        ("providers: north\n", "providers: expected a list of providers, each {name, slug}"),
        ("realist: {min_n: 0}\n", "realist.min_n: expected a whole number of at least 1, got 0"),
        ("titles: {report: 3}\n", 'titles.report: expected text, got 3 (put it in quotes: "3")'),
        ("notebooks: 01_reach\n", "notebooks: expected a list of notebook names, got the text"),
        ("kpis: {referrals: 1}\n", "kpis: expected a list of KPI definitions, got a mapping"),
        ("instruments: [wemwbs]\n", "instruments: expected a mapping of instrument settings"),
        ("instruments: {wemwbs: prorate}\n", "instruments.wemwbs: expected a mapping of settings"),
        ("qualitative: coding.qdpx\n", "qualitative: expected a mapping of qualitative settings"),
        ("pipeline: [1]\n", "pipeline: expected a mapping of pipeline settings"),
    ],
)
def test_types_and_ranges_are_checked_naming_the_path_and_the_value(tmp_path, text, line):
    assert f"\n  {line}" in problems(tmp_path, BASE + text)


def test_name_and_data_dir_are_required_text(tmp_path):
    message = problems(tmp_path, "name: 2026\n")
    assert '  name: expected text, got 2026 (put it in quotes: "2026")' in message
    assert "  data_dir: required setting is missing (the folder holding extracts/" in message


def test_empty_sections_take_their_defaults(tmp_path):
    cfg = load_config(write(tmp_path, BASE + "periods:\nsites:\ndisclosure:\nrealist:\n"))
    assert (cfg.periods, cfg.sites, cfg.disclosure, cfg.realist) == (
        [],
        [],
        DisclosurePolicy(),
        {"min_n": 30},
    )


def test_a_full_config_loads_as_plain_values(tmp_path):
    cfg = load_config(
        write(
            tmp_path,
            BASE + "periods: [2025-Q4, 2026-Q1]\nsites: [North]\n"
            "providers: [{name: North Trust, slug: north_trust}]\n"
            "population_imd_quintile_share: {'1': .3, 2: .2, 3: .2, 4: .15, 5: .15}\n"
            "target_most_deprived: {share: 0.35}\nrealist: {min_n: 20}\n",
        )
    )
    assert cfg.providers == [{"name": "North Trust", "slug": "north_trust"}]
    assert cfg.population_imd_quintile_share == {1: 0.3, 2: 0.2, 3: 0.2, 4: 0.15, 5: 0.15}
    assert cfg.target_most_deprived == {"quintiles": [1], "share": 0.35}
    assert cfg.realist == {"min_n": 20}


# --- configs built in code ----------------------------------------------------------------------


def test_a_config_built_in_code_keeps_its_arguments_and_defaults():
    cfg = EvaluationConfig("t", Path("."), instruments={"wemwbs": {"missing_rule": "prorate"}})
    assert cfg.disclosure == DisclosurePolicy(threshold=8, round_to=5)
    assert cfg.target_most_deprived == {"quintiles": [1], "share": 0.30}
    assert cfg.realist == {"min_n": 30} and cfg.periods == [] and cfg.kpis is None
    assert dataclasses.replace(cfg, realist={"min_n": 50}).realist == {"min_n": 50}


def test_a_config_built_in_code_is_checked_by_the_same_rules():
    with pytest.raises(ConfigError, match="sites: expected a list of site names"):
        EvaluationConfig(name="t", data_dir=Path("."), sites="North")
    cfg = EvaluationConfig(name="t", data_dir=Path("."))
    with pytest.raises(ConfigError, match=r"providers\[0\]\.slug: required setting is missing"):
        dataclasses.replace(cfg, providers=[{"name": "North Trust"}])


# --- the data folder ----------------------------------------------------------------------------


def test_data_dir_inside_the_evaluation_folder_is_resolved(tmp_path):
    cfg = load_config(write(tmp_path / "eval", "name: E\ndata_dir: data/2026\n"))
    assert cfg.data_dir == (tmp_path / "eval" / "data" / "2026").resolve()


@pytest.mark.parametrize("data_dir", ["../shared", "/tmp", "data/../../shared"])
def test_data_dir_outside_the_evaluation_folder_is_refused(tmp_path, data_dir):
    message = problems(tmp_path / "eval", f"name: E\ndata_dir: {data_dir}\n")
    assert f"  data_dir: '{data_dir}' resolves to " in message
    assert f"outside the evaluation folder {(tmp_path / 'eval').resolve()}" in message
    assert "--data-dir" in message


def test_an_explicit_data_dir_is_allowed_anywhere(tmp_path, monkeypatch):
    path = write(tmp_path / "eval", "name: E\ndata_dir: ../shared\n")
    monkeypatch.delenv(DATA_DIR_VARIABLE, raising=False)
    assert load_config(path, data_dir=tmp_path / "shared").data_dir == tmp_path / "shared"
    # the report passes --data-dir to its notebooks in the environment
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "other"))
    assert load_config(path).data_dir == tmp_path / "other"
    assert load_config(path, data_dir=tmp_path / "shared").data_dir == tmp_path / "shared"


# --- the scope the periods set ------------------------------------------------------------------


def test_referrals_before_the_first_period_are_left_out_and_counted(tmp_path):
    from evalkit.data.evaluation import load_evaluation
    from evalkit.demo import write_demo

    config = write_demo(tmp_path / "demo", episodes=200, seed=3)
    everything = load_evaluation(config, period="2026-Q2")
    assert everything.out_of_scope == 0
    by_period = everything.participants["period"].value_counts()
    text = config.read_text(encoding="utf-8").replace("- 2024-Q3\n", "")
    later = write(tmp_path / "later", text)
    shutil.copytree(config.parent / "extracts", later.parent / "extracts")
    shutil.copytree(config.parent / "qual", later.parent / "qual")
    ev = load_evaluation(later, period="2026-Q2")
    assert ev.out_of_scope == by_period["2024-Q3"]
    assert "2024-Q3" not in set(ev.participants["period"])
    assert len(ev.participants) == len(everything.participants) - by_period["2024-Q3"]
    assert set(ev.episodes["client_id"]) == set(ev.participants["client_id"])
    north = load_evaluation(later, period="2026-Q1", site="North")
    before = everything.participants
    assert north.out_of_scope == int(
        ((before["period"] == "2024-Q3") & (before["site"] == "North")).sum()
    )
