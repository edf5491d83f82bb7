"""Journeys across providers (issue #13, item 5) against a hand count on a small fixture."""

from __future__ import annotations

import pandas as pd
import pytest

from evalkit.errors import ValidationError
from evalkit.outcomes.journeys import (
    bypassed_single_point,
    multi_strand_outcomes,
    referrals_between_providers,
    time_to_second_service,
)

# person p1: North (Jan 1) -> VCS (Feb 1, 31 days) -> North (Dec 31, 333 days)
# person p2: North (Jan 1) -> VCS (2027-03-01, 424 days: outside a 365-day window)
# person p3: VCS (Jan 10) -> North (Jan 20, 10 days)
# person p4: North twice (no move); person p5: one episode
EPISODES = pd.DataFrame(
    {
        "person_id": ["p1", "p1", "p1", "p2", "p2", "p3", "p3", "p4", "p4", "p5"],
        "provider": [
            "North",
            "VCS",
            "North",
            "North",
            "VCS",
            "VCS",
            "North",
            "North",
            "North",
            "VCS",
        ],
        "referral_date": pd.to_datetime(
            [
                "2026-01-01",
                "2026-02-01",
                "2026-12-31",
                "2026-01-01",
                "2027-03-01",
                "2026-01-10",
                "2026-01-20",
                "2026-01-01",
                "2026-02-01",
                "2026-01-05",
            ]
        ),
        "referral_source": [
            "link_worker",
            "gp",
            "link_worker",
            "gp",
            "self",
            "link_worker",
            "gp",
            "link_worker",
            "link_worker",
            "self",
        ],
        "period": [
            "2026-Q1",
            "2026-Q1",
            "2026-Q4",
            "2026-Q1",
            "2027-Q1",
            "2026-Q1",
            "2026-Q1",
            "2026-Q1",
            "2026-Q1",
            "2026-Q1",
        ],
        "strands": [
            "wellbeing",
            "smoking",
            "wellbeing",
            "diet",
            "diet",
            "activity",
            "weight",
            "wellbeing",
            "wellbeing",
            "diet",
        ],
        "wemwbs_change": [6.0, None, 2.0, 1.0, 3.0, 5.0, None, 0.0, 2.0, -1.0],
    }
)


def test_referrals_between_providers_equal_the_hand_count():
    table = referrals_between_providers(EPISODES, window_days=365)
    # North -> VCS: p1 (31 days); VCS -> North: p1 (333 days) and p3 (10 days)
    assert table.to_dict("records") == [
        {
            "from_provider": "VCS",
            "to_provider": "North",
            "referrals": 2,
            "people": 2,
            "median_days": 171.5,
        },
        {
            "from_provider": "North",
            "to_provider": "VCS",
            "referrals": 1,
            "people": 1,
            "median_days": 31.0,
        },
    ]
    wider = referrals_between_providers(EPISODES, window_days=500)
    assert wider.set_index(["from_provider", "to_provider"])["referrals"].to_dict() == {
        ("VCS", "North"): 2,
        ("North", "VCS"): 2,  # p2's 424 days now count
    }


def test_time_to_the_second_service_equals_the_hand_count():
    table = time_to_second_service(EPISODES).set_index("person_id")
    assert table["days"].to_dict() == {"p1": 31, "p2": 424, "p3": 10}
    assert table.loc["p3", ["first_provider", "second_provider"]].tolist() == ["VCS", "North"]


def test_multi_strand_people_against_one_strand():
    table = multi_strand_outcomes(EPISODES, "wemwbs_change").set_index("group")
    # more than one strand: p1 (wellbeing, smoking; mean of 6 and 2 = 4), p3 (activity, weight:
    # 5): mean 4.5; one strand: p2 (diet: 2), p4 (wellbeing: 1), p5 (diet: -1): mean 2/3
    assert table.loc["more than one strand", "people"] == 2
    assert table.loc["more than one strand", "mean"] == pytest.approx(4.5)
    assert table.loc["one strand", "people"] == 3
    assert table.loc["one strand", "mean"] == pytest.approx(2 / 3)


def test_referrals_that_bypassed_the_single_point_of_access():
    table = bypassed_single_point(EPISODES, ["link_worker"], by=["period"]).set_index("period")
    # 2026-Q1: 8 referrals, 4 not from the link worker (gp for p1, p2 and p3; self for p5);
    # 2026-Q4: p1 from the link worker; 2027-Q1: p2 self-referred
    assert table["referrals"].to_dict() == {"2026-Q1": 8, "2026-Q4": 1, "2027-Q1": 1}
    assert table["bypassed"].to_dict() == {"2026-Q1": 4, "2026-Q4": 0, "2027-Q1": 1}
    by_referrer = bypassed_single_point(EPISODES, ["link_worker"], by=["referral_source"])
    assert by_referrer.set_index("referral_source")["bypassed"].to_dict() == {
        "gp": 3,
        "link_worker": 0,
        "self": 2,
    }


def test_episodes_without_person_ids_are_refused():
    with pytest.raises(ValidationError, match="person_id"):
        referrals_between_providers(EPISODES.drop(columns="person_id"))
