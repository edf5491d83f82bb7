"""Pipeline building blocks without running a kernel: parameters, settings, inputs, cache,
key figures, rendering, publishing, init, period and notebook resolution."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from evalkit.config import DisclosurePolicy, load_config
from evalkit.data.fingerprint import content_key, sha256_file
from evalkit.errors import ConfigError, PipelineError
from evalkit.pages import page_names
from evalkit.pipeline import init_evaluation
from evalkit.pipeline.cache import FileHashes, NotebookCache
from evalkit.pipeline.execute import NotebookTask, execute_and_render
from evalkit.pipeline.inputs import files_in_groups, periods_in_extract
from evalkit.pipeline.parameters import REPORT_PARAMETERS, check_parameters
from evalkit.pipeline.publish import ReportLock, publish
from evalkit.pipeline.render import format_key_figures, notebook_title, render_page
from evalkit.pipeline.report import resolve_notebooks_dir
from evalkit.pipeline.settings import PipelineSettings
from evalkit.present.keyfigures import KEY_FIGURE_COLUMNS, read_key_figures, record

REPO_NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
PASSED = {
    "config_path": "/e/evaluation.yml",
    "period": "2026-Q2",
    "site": "all",
    "output_dir": "/o",
}


def notebook_with(tmp_path: Path, parameters: str, tagged: bool = True) -> Path:
    nb = nbformat.v4.new_notebook()
    tags = {"tags": ["parameters"]} if tagged else {}
    nb.cells = [nbformat.v4.new_code_cell(parameters, metadata=tags)]
    path = tmp_path / "02_wellbeing_outcomes.ipynb"
    nbformat.write(nb, path)
    return path


GOOD = (
    'config_path: str = "../evaluation.yml"\nperiod: str = "latest"  # quarter\n'
    'site: str = "all"\noutput_dir: str = "."'
)


# ------------------------------------------------------------------------ parameters


def test_parameters_declared_exactly_with_str_annotations_pass(tmp_path):
    table = check_parameters(notebook_with(tmp_path, GOOD), PASSED)
    assert table["parameter"].tolist() == list(REPORT_PARAMETERS)
    assert (table["problem"] == "").all() and table["declared_type"].eq("str").all()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (GOOD.replace('site: str = "all"\n', ""), "parameter 'site' is missing from the"),
        (GOOD + "\nregion: str = 'North'", "parameter 'region' is unknown to the report"),
        (GOOD.replace('period: str = "latest"', "period: int = 3"),
         "parameter 'period' is declared as int but the report passes str '2026-Q2'"),
        (GOOD.replace('site: str = "all"', 'site = "all"'), "parameter 'site' has no type"),
        (GOOD.replace("output_dir: str", "output_dir: Path"), "annotated `Path`, which the"),
    ],
    ids=["missing", "unknown", "wrong-type", "unannotated", "uncheckable"],
)  # fmt: skip
def test_parameter_problems_name_notebook_and_parameter(tmp_path, source, message):
    with pytest.raises(PipelineError, match=r"notebook 02_wellbeing_outcomes\.ipynb: .*") as error:
        check_parameters(notebook_with(tmp_path, source), PASSED)
    assert message in str(error.value)


def test_optional_annotation_accepts_a_string(tmp_path):
    source = GOOD.replace('site: str = "all"', "site: Optional[str] = None")
    assert check_parameters(notebook_with(tmp_path, source), PASSED)["problem"].eq("").all()


def test_notebook_without_a_parameters_cell_is_refused(tmp_path):
    with pytest.raises(PipelineError, match="no cell tagged 'parameters'"):
        check_parameters(notebook_with(tmp_path, GOOD, tagged=False), PASSED)


@pytest.mark.parametrize("notebook", sorted(REPO_NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_every_report_notebook_in_the_repo_declares_the_report_parameters(notebook):
    check_parameters(notebook, PASSED)


# ------------------------------------------------------------------------ settings


def test_settings_defaults_and_overrides():
    settings = PipelineSettings.from_mapping(
        {
            "input_groups": {"lookups": ["lookups/*.csv"]},
            "notebook_inputs": {"01_reach_and_equity": ["extracts", "lookups"]},
            "execution_timeout": None,
            "warm_kernels": False,
        }
    )
    assert settings.warm_kernels is False
    assert PipelineSettings.from_mapping(None).warm_kernels is True
    assert settings.inputs_of("01_reach_and_equity") == ("extracts", "lookups")
    assert settings.inputs_of("02_wellbeing_outcomes") == ("extracts",)
    assert settings.reads_key_figures("05_summary") and not settings.reads_key_figures("00_x")
    assert settings.execution_timeout is None
    assert PipelineSettings.from_mapping(None).execution_timeout == 1800


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"timeout": 5}, "unknown setting"),
        ({"notebook_inputs": {"01_x": ["extracts", "lookup"]}}, "lookup are not defined"),
        ({"execution_timeout": -1}, "expected seconds > 0"),
        ({"input_groups": {"key_figures": ["x"]}}, "'key_figures' is built in"),
        ({"input_groups": {"lookups": 3}}, "expected a list of names"),
        ({"warm_kernels": "yes"}, "warm_kernels: expected true or false, got 'yes'"),
    ],
)
def test_settings_errors_say_what_is_wrong(section, message):
    with pytest.raises(ConfigError, match=message):
        PipelineSettings.from_mapping(section)


# ------------------------------------------------------------------------ inputs


def test_files_in_groups_skips_hidden_and_lock_files_and_deduplicates(tmp_path):
    (tmp_path / "extracts" / "2026").mkdir(parents=True)
    for name in ("a.csv", ".DS_Store", "~$b.xlsx", "2026/c.xlsx"):
        (tmp_path / "extracts" / name).write_text("x")
    groups = {"extracts": ("extracts/**/*", "extracts/*.csv")}
    found = files_in_groups(tmp_path, ["extracts", "key_figures"], groups)
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "extracts/2026/c.xlsx",
        "extracts/a.csv",
    ]


def test_periods_from_iso_uk_and_excel_dates(tmp_path):
    csv = tmp_path / "north_participants.csv"
    csv.write_text("client_id,referral_date\nA,2025-12-31\nB,01/01/2026\nC,\nD,not a date\n")
    assert periods_in_extract(csv) == ["2025-Q4", "2026-Q1"]
    xlsx = tmp_path / "south_participants.xlsx"
    pd.DataFrame({"referral_date": pd.to_datetime(["2026-04-01"])}).to_excel(xlsx, index=False)
    assert periods_in_extract(xlsx) == ["2026-Q2"]
    (tmp_path / "bad_participants.csv").write_text("client_id\nA\n")
    with pytest.raises(PipelineError, match="no 'referral_date' column"):
        periods_in_extract(tmp_path / "bad_participants.csv")


# ------------------------------------------------------------------------ cache


def test_sha256_matches_the_fips_180_2_test_vector(tmp_path):
    (tmp_path / "abc").write_bytes(b"abc")  # FIPS 180-2 appendix B.1
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_file(tmp_path / "abc") == expected


def test_file_hashes_rehash_only_when_size_or_mtime_changes(tmp_path, monkeypatch):
    data = tmp_path / "extract.csv"
    data.write_text("a,b\n1,2\n")
    calls = []
    real = sha256_file
    monkeypatch.setattr("evalkit.pipeline.cache.sha256_file", lambda p: calls.append(p) or real(p))
    hashes = FileHashes(tmp_path / "hashes.json")
    first = hashes.sha256(data)
    hashes.save()
    again = FileHashes(tmp_path / "hashes.json").sha256(data)
    assert first == again == hashlib.sha256(b"a,b\n1,2\n").hexdigest() and len(calls) == 1
    data.write_text("a,b\n1,3\n")
    os.utime(data, ns=(1, 1))
    assert (
        FileHashes(tmp_path / "hashes.json").sha256(data)
        == hashlib.sha256(b"a,b\n1,3\n").hexdigest()
    )


def test_cache_key_depends_on_every_component_not_on_order():
    base = {"notebook": "a", "inputs": {"x.csv": "1", "y.csv": "2"}}
    assert content_key(base) == content_key(
        {"inputs": {"y.csv": "2", "x.csv": "1"}, "notebook": "a"}
    )
    assert content_key(base) != content_key({**base, "inputs": {"x.csv": "1", "y.csv": "3"}})


def test_notebook_cache_uses_only_complete_entries_with_the_same_key(tmp_path):
    cache = NotebookCache(tmp_path / "cache")
    slot = cache.slot("2026-Q2", "all", "01_x")
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "key_figures.json").write_text("[]")
    for name in ("executed.ipynb", "page.html"):
        (tmp_path / name).write_text(name)
    assert cache.lookup(slot) is None
    cache.store(slot, {"key": "k1"}, executed=tmp_path / "executed.ipynb",
                page=tmp_path / "page.html", outputs=outputs)  # fmt: skip
    assert cache.lookup(slot, "k1") == {"key": "k1"} and cache.lookup(slot, "k2") is None
    (slot / "page.html").unlink()
    assert cache.lookup(slot, "k1") is None


# ------------------------------------------------------------------------ key figures


def test_record_and_read_key_figures_round_trip(tmp_path):
    folder = tmp_path / "03_lifestyle_kpis"
    record("quit_rate", np.float64(42.5), label="4-week quit rate", unit="%", n=np.int64(300),
           ci=(37.0, 48.1), output_dir=folder)  # fmt: skip
    record("not_yet", float("nan"), label="Not measured yet", output_dir=folder)
    record("quit_rate", 43.0, label="4-week quit rate", unit="%", n=301, output_dir=folder)
    table = read_key_figures(tmp_path)
    assert list(table.columns) == KEY_FIGURE_COLUMNS
    assert table["key"].tolist() == ["not_yet", "quit_rate"]  # re-recording replaces
    assert table.loc[1, ["notebook", "value", "n"]].tolist() == ["03_lifestyle_kpis", 43.0, 301]
    assert table.loc[0, "value"] is None and pd.isna(table.loc[1, "ci_low"])


def test_record_takes_output_dir_from_the_running_notebook(tmp_path, monkeypatch):
    class Shell:
        user_ns = {"output_dir": str(tmp_path / "01_reach_and_equity")}

    monkeypatch.setattr("IPython.get_ipython", lambda: Shell())
    record("referrals", 120, label="People referred", n=120)
    assert read_key_figures(tmp_path)["notebook"].tolist() == ["01_reach_and_equity"]
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    with pytest.raises(PipelineError, match="no output folder"):
        record("referrals", 120, label="People referred")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"key": "2nd"}, "must start with a letter"),
        ({"label": " "}, "label must be non-empty"),
        ({"n": -1}, "n must be a whole number"),
        ({"value": [1, 2]}, "value must be a number, text"),
        ({"ci": (1.0,)}, "ci must be"),
    ],
)
def test_record_rejects_malformed_figures(tmp_path, kwargs, message):
    arguments = {"key": "referrals", "value": 1, "label": "People", "output_dir": tmp_path}
    with pytest.raises(PipelineError, match=message):
        record(**{**arguments, **kwargs})


# ------------------------------------------------------------------------ rendering


def test_key_figures_on_fewer_people_than_the_threshold_are_not_shown():
    rows = [
        ["nb", "a", "Quit rate", 42.5, "%", 300, 37.04, 48.1, 1],  # shown to 1 place
        ["nb", "b", "Quitters at West", 7, "people", 7, None, None, 0],  # 7 < 8: suppressed
        ["nb", "c", "Quitters at East", 8, "people", 8, None, None, 0],  # 8: shown
        ["nb", "d", "Follow-up", None, None, None, None, None, None],
    ]
    figures = pd.DataFrame(rows, columns=KEY_FIGURE_COLUMNS)
    figures["value"] = pd.Series([r[3] for r in rows], dtype=object)  # as read_key_figures
    shown = format_key_figures(figures, threshold=8)
    assert [(f["value"], f["ci"], f["n"]) for f in shown] == [
        ("42.5%", "37.0% to 48.1%", "300"),
        ("*", "", ""),
        ("8 people", "", "8"),
        ("not available", "", ""),
    ]


def test_page_is_self_contained_with_one_heading_and_navigation():
    report = {
        "report_title": "Live Well <Anytown>",
        "period_label": "2026-Q2",
        "site_label": "All sites",
        "generated": "1 July 2026 at 09:00",
        "vintage": "extracts of 30 June 2026",
        "threshold": 8,
        "evalkit_version": "0.1.0",
    }
    pages = [("index.html", "Overview"), ("01_x.html", "Reach")]
    page = render_page("<p>Body</p>", page_title="Reach", report=report, pages=pages,
                       href="01_x.html")  # fmt: skip
    assert page.count("<h1>") == 1 and "<h1>Reach</h1>" in page
    assert "Live Well &lt;Anytown&gt;" in page and "<p>Body</p>" in page
    assert '<a href="01_x.html" aria-current="page">Reach</a>' in page
    assert "<script" not in page and "http" not in page.split("</style>")[1]
    assert "@media print" in page


def test_title_is_the_first_level_one_heading():
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("Intro\n\n## Not this"),
               nbformat.v4.new_markdown_cell("# Wellbeing outcomes #")]
    )  # fmt: skip
    assert notebook_title(nb, "02_x") == "Wellbeing outcomes"
    assert notebook_title(nbformat.v4.new_notebook(), "02_wellbeing_outcomes") == (
        "Wellbeing outcomes"
    )


# ------------------------------------------------------------------------ publish


def test_publish_replaces_the_report_and_restores_it_if_the_move_fails(tmp_path, monkeypatch):
    live, new = tmp_path / "live", tmp_path / "new"
    for folder, text in ((live, "v1"), (new, "v2")):
        folder.mkdir()
        (folder / "index.html").write_text(text)
    real_rename = os.rename

    def failing(source, target):
        if Path(source) == new:
            raise OSError("disk full")
        real_rename(source, target)

    monkeypatch.setattr("evalkit.pipeline.publish.os.rename", failing)
    with pytest.raises(OSError):
        publish(new, live)
    assert (live / "index.html").read_text() == "v1"
    monkeypatch.setattr("evalkit.pipeline.publish.os.rename", real_rename)
    publish(new, live)
    assert (live / "index.html").read_text() == "v2" and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live"]


def test_a_second_run_on_the_same_output_folder_is_refused(tmp_path):
    with ReportLock(tmp_path), pytest.raises(PipelineError, match="another `evalkit report`"):
        with ReportLock(tmp_path):
            pass


# ------------------------------------------------------------------------ init, periods, notebooks


def test_init_writes_a_config_that_loads_and_never_overwrites(tmp_path):
    assert load_config(init_evaluation(tmp_path / "2026")).name == "2026"  # text, not a number
    config = init_evaluation(tmp_path / "live_well")
    loaded = load_config(config)
    assert loaded.name == "live_well" and loaded.disclosure == DisclosurePolicy(
        threshold=8, round_to=5
    )
    assert len(loaded.periods) == 4
    assert (tmp_path / "live_well" / "extracts").is_dir() and (
        tmp_path / "live_well" / "qual"
    ).is_dir()
    assert "# Disclosure control" in config.read_text()
    with pytest.raises(ConfigError, match="already exists"):
        init_evaluation(tmp_path / "live_well")


def test_notebooks_folder_config_then_next_to_config_then_repository(tmp_path):
    (tmp_path / "evaluation.yml").write_text("name: x\ndata_dir: .\n")
    cfg = load_config(tmp_path / "evaluation.yml")
    assert resolve_notebooks_dir(cfg) == REPO_NOTEBOOKS.resolve()
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / f"{page_names(cfg.notebooks)[0]}.ipynb").write_text("{}")
    assert resolve_notebooks_dir(cfg) == tmp_path / "notebooks"
    (tmp_path / "evaluation.yml").write_text("name: x\ndata_dir: .\nnotebooks_dir: mine\n")
    assert resolve_notebooks_dir(load_config(tmp_path / "evaluation.yml")) == tmp_path / "mine"


# ------------------------------------------------------------------------ execute (no kernel)


def _task(tmp_path: Path) -> NotebookTask:
    return NotebookTask(
        name="01_x",
        notebook=tmp_path / "01_x.ipynb",
        executed=tmp_path / "executed" / "01_x.ipynb",
        page=tmp_path / "01_x.html",
        parameters={},
        jupyter_path=tmp_path / "jupyter",
        execution_timeout=None,
    )


@pytest.mark.parametrize(
    ("failures", "cell_started", "calls", "error"),
    [
        (1, False, 2, None),  # a kernel that failed to start is retried once ...
        (2, False, 2, "could not be run: RuntimeError: Kernel died before replying"),
        (1, True, 1, "could not be run: RuntimeError: Kernel died before replying"),  # ... only
    ],
    ids=["retried", "fails-twice", "not-retried-after-a-cell-ran"],
)
def test_kernel_start_failure_is_retried_once(tmp_path, monkeypatch, failures, cell_started,
                                              calls, error):  # fmt: skip
    made = []

    def execute_notebook(input_path, output_path, **kwargs):
        made.append(kwargs["kernel_name"])
        cell = nbformat.v4.new_markdown_cell("# Done")
        if cell_started:
            cell.metadata["papermill"] = {"start_time": "2026-07-01T09:00:00"}
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), output_path)
        if len(made) <= failures:
            raise RuntimeError("Kernel died before replying to kernel_info")

    monkeypatch.setattr("papermill.execute_notebook", execute_notebook)
    outcome = execute_and_render(_task(tmp_path))
    assert len(made) == calls and made[0] == "python3"
    assert outcome.error == (None if error is None else error + " to kernel_info")
    assert (outcome.title == "Done") is (error is None)
