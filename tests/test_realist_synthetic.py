"""Acceptance on the synthetic evaluation: planted CMOC truths are recovered, quotes are clean.

The expectations are the generator's planted truths (:data:`evalkit.demo.PLANTED`), declared
independently of evalkit.realist: ``holds_in_numbers`` per CMOC and the planted strength of the
qualitative evidence.

Sample size matters. At the demo's default 2,000 episodes some true CMOCs have too few episodes in
their context to be told apart from chance (CMOC2 has about 30 people aged 65+ on digital support
with a paired WEMWBS), so they are labelled inconclusive; at 10,000 episodes every planted truth
is recovered on every seed tried (the default and 0-5). The safety property, that a CMOC false in
the numbers is never labelled consistent, is checked at the default size too.
"""

from __future__ import annotations

import re

import pytest

from evalkit.data.episodes import build_episodes, derive_columns
from evalkit.demo import DEFAULT_SEED, PLANTED, generate
from evalkit.realist import DEFAULT_CLIENT_ID_PATTERN, cmoc_evidence, cmoc_outcome_link


def link_for(episodes_n: int, seed: int):
    tables = generate(episodes_n, seed=seed)
    episodes = build_episodes(derive_columns(tables["participants"]), tables["measures"])
    return tables, cmoc_outcome_link(tables["cmocs"], episodes, min_n=30).set_index("cmoc_id")


@pytest.mark.parametrize("seed", [DEFAULT_SEED, 3])
def test_planted_true_cmocs_are_consistent_and_false_ones_are_not(seed):
    tables, link = link_for(10_000, seed)
    for planted in PLANTED.cmocs:
        pattern = link.loc[planted.cmoc_id, "pattern"]
        if planted.holds_in_numbers:
            assert pattern == "consistent", (planted.cmoc_id, link.loc[planted.cmoc_id].to_dict())
        else:
            assert pattern in ("inconsistent", "inconclusive"), planted.cmoc_id
    # the evaluator's status is carried through, never replaced by the suggestion
    assert link["status"].tolist() == tables["cmocs"]["status"].tolist()


@pytest.mark.parametrize("seed", [DEFAULT_SEED, 0])
def test_at_the_demo_size_a_false_cmoc_is_never_called_consistent(seed):
    _, link = link_for(2_000, seed)
    for planted in PLANTED.cmocs:
        if not planted.holds_in_numbers:
            assert link.loc[planted.cmoc_id, "pattern"] != "consistent", planted.cmoc_id


def test_evidence_tallies_reflect_the_planted_strength_of_evidence():
    tables = generate(300, seed=DEFAULT_SEED)
    evidence = cmoc_evidence(
        tables["cmocs"], tables["codings"], tables["sources"], tables["codebook"]
    )
    totals = evidence[evidence["element"] == "all"].set_index("cmoc_id")
    for planted in PLANTED.cmocs:
        row = totals.loc[planted.cmoc_id]
        if planted.qualitative_evidence == "strong":
            # five or more sources across at least three stakeholder groups and three sites
            assert row["n_sources"] >= 5 and row["n_stakeholder_groups"] >= 3, planted.cmoc_id
            assert row["n_sites"] >= 3, planted.cmoc_id
        if planted.qualitative_evidence == "thin":
            # at most two sources from one site
            assert row["n_sources"] <= 2 and row["n_sites"] <= 1, planted.cmoc_id


def test_synthetic_quotes_carry_no_source_name_or_client_id():
    tables = generate(300, seed=DEFAULT_SEED)
    evidence = cmoc_evidence(
        tables["cmocs"], tables["codings"], tables["sources"], tables["codebook"]
    )
    quotes = " ".join(evidence[["quote_1", "quote_2", "quote_3"]].to_numpy().ravel())
    assert quotes.strip()
    for name in tables["sources"]["name"]:
        assert name not in quotes
    assert re.search(DEFAULT_CLIENT_ID_PATTERN, quotes) is None
    for client_id in tables["participants"]["client_id"]:
        assert client_id not in quotes
