"""evaluation.yml parsing: required keys, unknown keys, defaults, the pipeline section."""

from __future__ import annotations

import pytest

from evalkit.config import DisclosurePolicy, load_config
from evalkit.errors import ConfigError
from evalkit.pipeline.settings import PipelineSettings


def write(tmp_path, text):
    path = tmp_path / "evaluation.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_config_gets_documented_defaults(tmp_path):
    cfg = load_config(write(tmp_path, "name: Demo\ndata_dir: data\n"))
    assert cfg.data_dir == (tmp_path / "data").resolve()
    assert cfg.disclosure.threshold == 8
    assert cfg.notebooks == []  # every registered page (evalkit.pages.PAGES)


def test_unknown_key_is_named(tmp_path):
    with pytest.raises(ConfigError, match="disclousre"):
        load_config(write(tmp_path, "name: D\ndata_dir: .\ndisclousre: {threshold: 5}\n"))


def test_missing_name_and_bad_population_shares(tmp_path):
    with pytest.raises(ConfigError, match="name: required setting is missing"):
        load_config(write(tmp_path, "data_dir: .\n"))
    with pytest.raises(ConfigError, match="summing to 1"):
        load_config(
            write(
                tmp_path,
                "name: D\ndata_dir: .\n"
                "population_imd_quintile_share: {1: .5, 2: .5, 3: .5, 4: 0, 5: 0}\n",
            )
        )


def test_partial_disclosure_keeps_the_other_default(tmp_path):
    cfg = load_config(write(tmp_path, "name: D\ndata_dir: .\ndisclosure: {threshold: 10}\n"))
    assert cfg.disclosure == DisclosurePolicy(threshold=10, round_to=5)


def test_pipeline_section_reaches_the_pipeline_settings(tmp_path):
    cfg = load_config(write(tmp_path, "name: D\ndata_dir: .\npipeline: {execution_timeout: 120}\n"))
    assert PipelineSettings.from_mapping(cfg.pipeline).execution_timeout == 120
