"""Fixtures of the page section tests (test_page_*.py): the demo evaluation and the key figures.

The demo is written once per test process; each module loads its own evaluations from it. A
module may override ``service`` or ``north`` when it needs another scope or policy.
"""

from __future__ import annotations

import pytest

from evalkit.config import load_config
from evalkit.data.evaluation import load_evaluation
from evalkit.demo import write_demo
from evalkit.present import keyfigures


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The synthetic demo evaluation: 600 episodes, seed 7."""
    return write_demo(tmp_path_factory.mktemp("demo"), episodes=600, seed=7)


@pytest.fixture(scope="module")
def service(demo):
    """The whole service at the latest period, under the demo's policy (threshold 8, round 5)."""
    return load_evaluation(demo)


@pytest.fixture(scope="module")
def north(demo):
    """One site, served by one provider."""
    return load_evaluation(demo, site="North")


@pytest.fixture(scope="module")
def first_quarter(demo):
    """The report of the first configured quarter alone: no trend."""
    return load_evaluation(demo, period=load_config(demo).periods[0])


@pytest.fixture
def figures(monkeypatch, tmp_path):
    """The key figures the sections record, by key (as the running notebook would store them).

    Nothing recorded reads as ``{}``.
    """
    monkeypatch.setattr(keyfigures, "_output_dir_of_running_notebook", lambda: tmp_path)

    def read() -> dict[str, dict]:
        table = keyfigures.read_key_figures(tmp_path)
        return {row["key"]: row for row in table.to_dict("records")}

    return read
