"""The demo in its providers' own formats (evalkit.demo.provider_formats): it validates and
reports through its mappings alone, with the canonical demo's figures; `evalkit map suggest`
finds the right target for the exports' columns; no postcode, date of birth or NHS number is
stored.
"""

import pandas as pd
import pytest
import yaml

from evalkit.config import load_config
from evalkit.data.episodes import build_episodes
from evalkit.data.mapping_suggest import suggest_mapping
from evalkit.data.validate import validate_directory, write_validation
from evalkit.demo import write_demo
from evalkit.demo.provider_formats import write_provider_formats

EPISODES, SEED = 300, 5


@pytest.fixture(scope="module")
def demos(tmp_path_factory):
    canonical = write_demo(tmp_path_factory.mktemp("canonical"), episodes=EPISODES, seed=SEED)
    provider = write_demo(tmp_path_factory.mktemp("provider"), episodes=EPISODES, seed=SEED)
    raw_personal = pd.concat(
        pd.read_csv(p, dtype=str)
        for p in sorted((provider.parent / "extracts").glob("*_participants.csv"))
    )[["nhs_number", "date_of_birth", "postcode"]]
    provider = write_provider_formats(provider)
    validated = {}
    for name, config in (("canonical", canonical), ("provider", provider)):
        validated[name] = validate_directory(config.parent, load_config(config))
    return {"config": provider, "result": validated, "personal": raw_personal}


def _episodes(result):
    episodes = build_episodes(result.tables["participants"], result.tables["measures"])
    episodes = episodes.drop(columns=[c for c in episodes.columns if c.startswith("source_")])
    return episodes.sort_values("client_id").reset_index(drop=True)


def test_only_provider_exports_and_their_mappings_are_left(demos):
    root = demos["config"].parent
    assert sorted(p.name for p in (root / "extracts").iterdir()) == [
        "healthy_lifestyles_export_2026Q2.csv",
        "iaptus_referrals_2026Q2.csv",
        "voluntary_sector_monitoring_2026Q2.xlsx",  # sorted as the canonical files: linkage
    ]
    config = load_config(demos["config"])
    assert config.mappings == ["mappings/nhs_trust.yml", "mappings/council.yml", "mappings/vcs.yml"]
    assert config.geography["imd_lookup"].endswith(
        "File_1_IoD2019_Index_of_Multiple_Deprivation.csv"
    )
    iaptus = pd.read_csv(root / "extracts" / "iaptus_referrals_2026Q2.csv", dtype=str)
    assert "PHQ9 TOTAL First" in iaptus.columns  # totals only, first/last columns
    assert not any(c.startswith("PHQ9 1 ") for c in iaptus.columns)
    council = pd.read_csv(root / "extracts" / "healthy_lifestyles_export_2026Q2.csv", dtype=str)
    assert council["Weight (st) First"].notna().any() and council["Weight (kg) First"].notna().any()
    assert "Age" not in council.columns and "Date of Birth" in council.columns


def test_provider_formats_validate_without_errors_and_add_up(demos):
    result = demos["result"]["provider"]
    assert result.ok, result.errors.head(20).to_string()
    recon = result.reconciliation
    assert (recon["read"] == recon["kept"] + recon["quarantined"]).all()
    assert recon["quarantined"].sum() == 0


def test_figures_equal_the_canonical_demo(demos):
    canonical = _episodes(demos["result"]["canonical"])
    provider = _episodes(demos["result"]["provider"])
    assert len(provider) == len(canonical) == EPISODES
    pd.testing.assert_frame_equal(provider[canonical.columns], canonical, check_dtype=False)


def test_no_postcode_date_of_birth_or_nhs_number_is_stored(demos, tmp_path):
    write_validation(demos["result"]["provider"], tmp_path)
    written = "".join(
        pd.read_parquet(p).astype(str).to_csv() for p in tmp_path.rglob("*.parquet")
    ) + "".join(p.read_text() for p in tmp_path.rglob("*.csv"))
    personal = demos["personal"]
    dates = pd.to_datetime(personal["date_of_birth"], errors="coerce").dropna()
    secrets = {
        *personal["postcode"].dropna(),
        *personal["nhs_number"].dropna(),
        *dates.dt.strftime("%d/%m/%Y"),
    }
    found = sorted(s for s in secrets if s in written)
    assert found == []


def test_map_suggest_finds_at_least_90_percent_of_the_targets(demos):
    root = demos["config"].parent
    for mapping_file in sorted((root / "mappings").glob("*.yml")):
        mapping = yaml.safe_load(mapping_file.read_text())
        entry = mapping["files"][0]
        export = next((root / "extracts").glob(entry["pattern"]))
        expected = dict(entry["columns"])  # header -> evalkit column, as the demo wrote it
        for measure in entry["measures"]:
            for timepoint, headers in measure["timepoints"].items():
                for header in [headers] if isinstance(headers, str) else headers:
                    expected[header] = f"{measure['measure']} ({timepoint})"
        suggestion = suggest_mapping(export, provider=mapping["provider"], sheet=entry.get("sheet"))
        right = sum(suggestion.targets.get(h) == target for h, target in expected.items())
        assert right / len(expected) >= 0.9, (mapping_file.name, right, len(expected))
        unmatched = [h for h, t in suggestion.targets.items() if t is None]
        assert unmatched == suggestion.unmapped_columns  # what it could not map is listed


def test_the_demo_command_writes_provider_formats(tmp_path):
    from typer.testing import CliRunner

    from evalkit.cli import app

    run = CliRunner().invoke(
        app, ["demo", "--out", str(tmp_path), "--episodes", "300", "--formats", "provider"]
    )
    assert run.exit_code == 0, run.output
    assert (tmp_path / "mappings" / "vcs.yml").is_file()
    bad = CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--formats", "iaptus"])
    assert bad.exit_code != 0 and "expected canonical or provider" in bad.output
