"""A provider file's mapping is part of what the caches depend on, and the periods with data
are read through it.

Editing a mapping (here: the ending code "Completed treatment" remapped) must re-validate the
evaluation, although no extract changed; the referral dates of a mapped export give the periods
the report can be asked for.
"""

import shutil
from pathlib import Path

import pandas as pd

from evalkit.config import load_config
from evalkit.data.evaluation import mapping_files, prepare_validated
from evalkit.pipeline.inputs import extract_files, mapped_participants, periods_in_mapped_extract

FIXTURES = Path(__file__).parent / "fixtures" / "provider_exports"


def _evaluation(tmp_path):
    (tmp_path / "extracts").mkdir()
    (tmp_path / "mappings").mkdir()
    shutil.copy(FIXTURES / "iaptus_referrals_2026Q1.csv", tmp_path / "extracts")
    shutil.copy(FIXTURES / "nhs_trust.yml", tmp_path / "mappings")
    (tmp_path / "evaluation.yml").write_text(
        "name: T\ndata_dir: .\nperiods: [2026-Q1]\nproviders:\n"
        "- {name: Northgate NHS Foundation Trust, slug: nhs_trust}\n"
        "mappings: [mappings/nhs_trust.yml]\n"
    )
    return load_config(tmp_path / "evaluation.yml")


def _exit_reasons(validated):
    frame = pd.read_parquet(validated / "clean" / "participants.parquet")
    return frame.set_index("client_id")["exit_reason"].to_dict()


def test_editing_a_mapping_revalidates(tmp_path):
    config = _evaluation(tmp_path)
    assert mapping_files(config) == [tmp_path / "mappings" / "nhs_trust.yml"]
    before = _exit_reasons(prepare_validated(config))
    assert before["TT-01"] == "completed"
    mapping = tmp_path / "mappings" / "nhs_trust.yml"
    text = mapping.read_text()
    assert text.count("Completed treatment: completed") == 1
    mapping.write_text(text.replace("Completed treatment: completed", "Completed treatment: other"))
    after = _exit_reasons(prepare_validated(config))
    assert after["TT-01"] == "other"
    assert {k for k, v in before.items() if v != after[k]} == {
        k for k, v in before.items() if v == "completed"
    }


def test_the_periods_of_a_mapped_export_are_its_referral_quarters(tmp_path):
    config = _evaluation(tmp_path)
    [source] = mapped_participants(config.root, config.mappings, extract_files(config.extracts_dir))
    assert source.path.name == "iaptus_referrals_2026Q1.csv"
    # the fixture's "Referral Received Date" column, dd/mm/yyyy: every referral in Feb 2026
    assert periods_in_mapped_extract(source) == ["2026-Q1"]


def _page_keys(config_path, out):
    """Each page's cache key, as the report plans it."""
    from evalkit.data.fingerprint import content_key
    from evalkit.pipeline.cache import FileHashes, NotebookCache
    from evalkit.pipeline.report import _Progress, _ReportRun, resolve_notebooks_dir
    from evalkit.pipeline.settings import PipelineSettings

    config = load_config(config_path)
    run = _ReportRun(
        config=config,
        settings=PipelineSettings.from_config(config),
        out=out,
        cache=NotebookCache(out / ".cache"),
        hashes=FileHashes(out / "hashes.json"),
        extracts=[],
        period="2026-Q1",
        period_requested="2026-Q1",
        site="all",
        build=out / "build",
        jobs=1,
        force=False,
        say=_Progress(lambda m: None),
    )
    return {nb.name: content_key(nb.components) for nb in run.plan(resolve_notebooks_dir(config))}


def test_editing_a_mapping_reruns_every_page(tmp_path):
    config = _evaluation(tmp_path)
    before = _page_keys(config.path, tmp_path / "a")
    assert _page_keys(config.path, tmp_path / "b") == before  # nothing changed
    mapping = tmp_path / "mappings" / "nhs_trust.yml"
    mapping.write_text(mapping.read_text().replace("Dropped out: disengaged", "Dropped out: other"))
    after = _page_keys(config.path, tmp_path / "c")
    assert set(after) == set(before) and all(after[n] != before[n] for n in before)
