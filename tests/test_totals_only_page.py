"""The data-quality page says which providers sent PHQ-9, GAD-7, WEMWBS or SWEMWBS as totals
only (a score with no item answered), in the scoring-rules section.

Expected providers and questionnaires are read off the hand-made measures below.
"""

from types import SimpleNamespace

import pandas as pd

from evalkit.config import EvaluationConfig
from evalkit.pages.data_quality import scoring_rules, totals_only

PARTICIPANTS = pd.DataFrame(
    {
        "client_id": ["t1", "t2", "c1", "v1"],
        "provider": ["Trust", "Trust", "Council", "CIC"],
    }
)


def _measures(rows):
    return pd.DataFrame(rows, columns=["client_id", "timepoint", "measure", "value"])


def _items(client, prefix, n, value, timepoint="baseline"):
    return [(client, timepoint, f"{prefix}{i}", value) for i in range(1, n + 1)]


def _wemwbs_items(client, value):
    return [(client, "baseline", f"wemwbs_{i:02d}", value) for i in range(1, 15)]


def test_a_provider_sending_totals_is_named_with_the_questionnaires_it_sent_so():
    measures = _measures(
        [
            ("t1", "baseline", "phq9_total", 14.0),
            ("t1", "exit", "phq9_total", 6.0),
            ("t2", "baseline", "gad7_total", 9.0),
            ("t2", "baseline", "swemwbs_metric", 19.25),  # the metric score on its own
            *_items("c1", "phq9_", 9, 1.0),  # items: not totals only
            *_wemwbs_items("v1", 3.0),  # WEMWBS and, from its 7 items, SWEMWBS
        ]
    )
    assert totals_only(measures, PARTICIPANTS) == {"Trust": ["SWEMWBS", "PHQ-9", "GAD-7"]}


def test_a_total_sent_with_complete_items_is_not_totals_only():
    measures = _measures([*_items("t1", "gad7_", 7, 2.0), ("t1", "baseline", "gad7_total", 14.0)])
    assert totals_only(measures, PARTICIPANTS) == {}


def _section(measures):
    config = EvaluationConfig(name="T", data_dir=".")
    ev = SimpleNamespace(measures=measures, participants=PARTICIPANTS, config=config)
    return scoring_rules(ev).text()


def test_the_scoring_rules_say_who_sent_totals_only():
    measures = _measures(
        [("t1", "baseline", "wemwbs_total", 50.0), ("c1", "baseline", "phq9_total", 3.0)]
    )
    html = _section(measures)
    assert (
        "Sent as totals only, without the item answers (so no missing-answer rule applies): "
        "Council: PHQ-9; Trust: WEMWBS." in html
    )


def test_the_scoring_rules_say_so_when_every_provider_sent_items():
    html = _section(_measures(_items("c1", "phq9_", 9, 1.0)))
    assert "Every provider sent the item answers of these questionnaires" in html
    assert "Sent as totals only" not in html
