"""The contract timeline in evaluation.yml: strict checks, milestones, where a report sits."""

import datetime as dt

import pytest

from evalkit.config import ContractTimeline, EvaluationConfig, load_config
from evalkit.data.contract import contract_milestones, contract_position, period_end
from evalkit.errors import ConfigError
from evalkit.present.contract_text import contract_position_text

FIVE_TWO_TWO = {
    "start": "2024-07-01",
    "mobilisation_end": "2024-09-30",
    "end": "2029-06-30",
    "break_clauses": ["2027-06-30"],
    "extensions": [{"until": "2031-06-30"}, {"until": "2033-06-30", "label": "final term ends"}],
    "change_points": [{"date": "2025-08-01", "label": "new triage provider"}],
}


def write(tmp_path, contract_yaml):
    path = tmp_path / "evaluation.yml"
    path.write_text(f"name: Demo\ndata_dir: .\ncontract:\n{contract_yaml}", encoding="utf-8")
    return path


def test_a_contract_is_read_from_evaluation_yml(tmp_path):
    config = load_config(
        write(
            tmp_path,
            "  start: 2024-07-01\n  end: 2029-06-30\n  break_clauses: [2027-06-30]\n"
            "  change_points:\n    - {date: 2025-08-01, label: new triage provider}\n",
        )
    )
    assert config.contract is not None
    assert config.contract.start == dt.date(2024, 7, 1)
    assert config.contract.break_clauses == [dt.date(2027, 6, 30)]
    assert config.contract.change_points[0].label == "new triage provider"
    assert EvaluationConfig(name="x", data_dir=tmp_path).contract is None


@pytest.mark.parametrize(
    ("contract_yaml", "message"),
    [
        (
            "  start: 2024-07-01\n  end: 2029-06-30\n  brake_clauses: [2027-06-30]\n",
            "contract.brake_clauses: unknown setting (did you mean 'break_clauses'?)",
        ),
        ("  end: 2029-06-30\n", "contract.start: required setting is missing"),
        (
            "  start: 1 July 2024\n  end: 2029-06-30\n",
            "contract.start: expected a date written YYYY-MM-DD",
        ),
        (
            "  start: 2024-07-01\n  end: 2024-06-30\n",
            "contract: expected end after start, got end 2024-06-30 and start 2024-07-01",
        ),
        (
            "  start: 2024-07-01\n  end: 2029-06-30\n  break_clauses: [2030-06-30]\n",
            "contract: expected break clauses after start (2024-07-01) and by the end of the "
            "last extension (2029-06-30), got 2030-06-30",
        ),
        (
            "  start: 2024-07-01\n  end: 2029-06-30\n  extensions: [{until: 2028-01-01}]\n",
            "contract: expected each extension to run beyond the term before it",
        ),
        (
            "  start: 2024-07-01\n  end: 2029-06-30\n"
            "  change_points: [{date: 2023-01-01, label: old}]\n",
            "contract: expected change point 'old' within the contract",
        ),
        ("  - 2024-07-01\n", "contract: expected a mapping of contract dates"),
    ],
)
def test_contract_problems_are_named(tmp_path, contract_yaml, message):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, contract_yaml))
    assert message in str(caught.value)


def test_milestones_in_date_order():
    milestones = contract_milestones(ContractTimeline(**FIVE_TWO_TWO))
    assert milestones.assign(date=milestones.date.dt.strftime("%Y-%m-%d")).values.tolist() == [
        ["2024-07-01", "start", "contract starts"],
        ["2024-09-30", "mobilisation_end", "mobilisation ends"],
        ["2025-08-01", "change_point", "new triage provider"],
        ["2027-06-30", "break_clause", "break clause"],
        ["2029-06-30", "initial_term_end", "initial term ends"],
        ["2031-06-30", "extension_end", "extension 1 ends"],
        ["2033-06-30", "extension_end", "final term ends"],
    ]


@pytest.mark.parametrize(
    ("on", "month", "term", "next_label"),
    [
        ("2024-06-30", 0, "before the contract", "contract starts"),
        ("2024-07-01", 1, "mobilisation", "mobilisation ends"),
        ("2024-09-30", 3, "mobilisation", "new triage provider"),
        ("2026-06-30", 24, "initial term", "break clause"),
        ("2029-07-01", 61, "extension 1", "extension 1 ends"),
        ("2033-06-30", 108, "extension 2", None),
        ("2033-07-01", 109, "after the contract", None),
    ],
)
def test_where_a_date_sits(on, month, term, next_label):
    position = contract_position(ContractTimeline(**FIVE_TWO_TWO), on)
    assert (position.month, position.term, position.next_label) == (month, term, next_label)
    assert (position.term_months, position.total_months) == (60, 108)


def test_period_end():
    assert period_end("2026-Q2") == dt.date(2026, 6, 30)
    assert period_end("2024-02") == dt.date(2024, 2, 29)
    with pytest.raises(ConfigError, match="neither a quarter"):
        period_end("2026-H1")


def test_the_report_says_where_in_the_contract_it_sits():
    contract = ContractTimeline(**FIVE_TWO_TWO)
    assert contract_position_text(contract, "2026-Q2") == (
        "This report covers the service to 30 June 2026: month 24 of the contract's 60-month "
        "initial term (which started on 1 July 2024; 108 months with both extensions). Next "
        "milestone: break clause on 30 June 2027."
    )
    assert "still in mobilisation" in contract_position_text(contract, "2024-Q3")
    assert "no contract timeline is declared" in contract_position_text(None, "2026-Q2").lower()
