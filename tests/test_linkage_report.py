"""People and episodes in the report (#13): the journeys section and linkage quality counted by
hand on a small fixture, and the rendered demo report checked against the demo's planted truth
and for every NHS number, date of birth and postcode of its extracts.

The small fixture (threshold 5, counts exact) has 42 episodes of 26 people:

- p1..p6: North on 5 Jan 2026 (from the single point of access, ``spa``), then VCS 10 days
  later (from a GP); strands wellbeing, then smoking;
- q1..q5: VCS on 1 Jan, then Council 60 days later (both self-referred); strand diet;
- s1..s5: North twice, 1 Jan and 1 Feb (GP); strands diet;smoking;
- r1..r10: North once, 10 Apr 2026 (``spa``); strand diet.

So 11 people saw two providers (6 + 5) and 11 had more than one strand (6 + 5); with a 30-day
window only p's 6 moves North -> VCS are referrals between providers (q's came 60 days later);
the time to the second service is 10 days for 6 people and 60 for 5 (median 10, quartiles 10
and 60); 26 referrals bypassed the single point of access (p's 6 VCS, q's 10, s's 10): 26 of 32
in Jan to Mar, 0 of 10 in Apr to Jun; by referrer GP 16, self-referral 10. WEMWBS changes:
p 4 (North; none at VCS), q 1, s 2 and 4, r 0.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from page_helpers import tables_of

from evalkit.config import DisclosurePolicy, EvaluationConfig
from evalkit.data.evaluation import Evaluation
from evalkit.data.linkage import PERSONAL_COLUMNS
from evalkit.pages import data_quality, reach, summary

POLICY = DisclosurePolicy(threshold=5, round_to=None)


def _episodes() -> pd.DataFrame:
    rows = []

    def add(person, provider, date, source, strands, method, change=None):
        rows.append(
            {
                "client_id": f"{provider}:{person}:{date}",
                "person_id": person,
                "provider": provider,
                "site": "North",
                "referral_date": pd.Timestamp(date),
                "period": "2026-Q1" if date < "2026-04-01" else "2026-Q2",
                "referral_source": source,
                "strands": strands,
                "started": True,
                "link_method": method,
                "wemwbs_change": change,
            }
        )

    for i in range(1, 7):
        add(f"p{i}", "North", "2026-01-05", "spa", "wellbeing", "nhs_number", 4.0)
        add(f"p{i}", "VCS", "2026-01-15", "gp", "smoking", "nhs_number")
    for i in range(1, 6):
        add(f"q{i}", "VCS", "2026-01-01", "self", "diet", "probabilistic", 1.0)
        add(f"q{i}", "Council", "2026-03-02", "self", "diet", "probabilistic", 1.0)
        add(f"s{i}", "North", "2026-01-01", "gp", "diet;smoking", "nhs_number", 2.0)
        add(f"s{i}", "North", "2026-02-01", "gp", "diet;smoking", "nhs_number", 4.0)
    for i in range(1, 11):
        add(f"r{i}", "North", "2026-04-10", "spa", "diet", "none", 0.0)
    return pd.DataFrame(rows)


@pytest.fixture
def small(tmp_path) -> Evaluation:
    config = EvaluationConfig(
        name="Journeys",
        data_dir=tmp_path,
        periods=["2026-Q1", "2026-Q2"],
        disclosure=POLICY,
        linkage={"journey_window_days": 30, "single_point_sources": ["spa"]},
    )
    episodes = _episodes()
    return Evaluation(
        config=config,
        period="2026-Q2",
        site="all",
        participants=episodes,
        episodes=episodes,
        qual={},
        reconciliation=pd.DataFrame(
            columns=["table", "file", "unit", "read", "kept", "quarantined"]
        ),
        issues=pd.DataFrame(columns=["file", "table", "severity", "rule"]),
    )


def test_the_fixture_is_as_described(small):
    assert len(small.episodes) == 42
    assert len(small.people) == 26


def test_journeys_equal_a_hand_count(small, figures):
    blocks = reach.journeys(small)
    text = blocks.text()
    assert (
        "Of the **26** people referred (in **42** referral episodes), **11** were supported by "
        "more than one provider and **11** by more than one programme strand." in text
    )
    assert figures()["people_more_than_one_provider"]["value"] == 11
    mix, moves, strands, quarters, referrers = tables_of(blocks)
    assert mix["rows"]["One provider"]["People"] == "15"
    assert mix["rows"]["Two providers"]["People"] == "11"
    assert mix["rows"]["Three or more providers"]["People"] == "0"
    assert "**6** referrals were to another provider within 30 days" in text
    assert moves["records"] == [
        {"From": "North", "To": "VCS", "Referrals": "6", "People": "6", "Median days between": "10"}
    ]
    assert (
        "Of the **11** people seen by more than one provider, half were referred to their second "
        "provider within **10** days of their first referral (the middle half within 10 to 60 "
        "days)." in text
    )
    # people on one strand: q (change 1) and r (0); on more: p (4; VCS has none) and s (2, 4)
    assert strands["rows"]["One strand"] == {
        "People with a change": "15",
        "Average WEMWBS change (points)": f"{(5 * 1 + 10 * 0) / 15:.1f}",
    }
    assert strands["rows"]["More than one strand"] == {
        "People with a change": "11",
        "Average WEMWBS change (points)": f"{(6 * 4 + 5 * 3) / 11:.1f}",
    }
    assert "**26** of **42** referrals (**62%**) came directly from another referrer" in text
    rows = quarters["rows"]
    assert [rows["Jan to Mar 2026"][c] for c in quarters["columns"]] == ["32", "6", "26", "81%"]
    assert [rows["Apr to Jun 2026"][c] for c in quarters["columns"]] == ["10", "10", "0", "0%"]
    assert [rows["Total"][c] for c in quarters["columns"]] == ["42", "16", "26", "62%"]
    assert {k: v["Referrals"] for k, v in referrers["rows"].items()} == {
        "GP": "16",
        "Self-referral": "10",
    }


def test_small_journeys_are_withheld(small, figures):
    strict = Evaluation(
        **{
            **small.__dict__,
            "config": EvaluationConfig(
                name="Journeys",
                data_dir=small.config.data_dir,
                disclosure=DisclosurePolicy(threshold=7, round_to=None),
                linkage={"journey_window_days": 30, "single_point_sources": ["spa"]},
            ),
        }
    )
    blocks = reach.journeys(strict)
    _, moves, _, _, _ = tables_of(blocks)
    # 6 people moved North -> VCS: fewer than 7, so the row and its median are withheld
    assert moves["records"][0]["People"] == moves["records"][0]["Median days between"] == "*"
    assert "**fewer than 7** referrals were to another provider" in blocks.text()


def test_no_single_point_of_access_is_said(small, figures):
    small.config.linkage = {}
    text = reach.journeys(small).text()
    assert "No single point of access is set for this evaluation" in text
    assert "within 365 days" in text  # the default window: q's moves count too
    assert "**11** referrals were to another provider within 365 days" in text


def test_linkage_quality_counts_link_methods_by_hand(small):
    blocks = data_quality.linkage_quality(small)
    text = blocks.text()
    # 12 + 10 + 10 linked episodes of 42; 26 people
    assert "**32** of the **42** episodes in scope were linked" in text
    assert "(the match rate: **76%**)" in text
    assert "**26** people: **0.62** people per episode (1.62 episodes per person)" in text
    (table,) = tables_of(blocks)
    assert {k: v["Episodes"] for k, v in table["rows"].items()} == {
        "Linked by NHS number": "22",
        "Linked by a client id shared by providers": "0",
        "Linked by a probabilistic match (date of birth, home, sex)": "10",
        "Not linked: the person's only episode": "10",
        "Total": "42",
    }


def test_scope_statements_give_people_and_episodes(small):
    assert "**Episodes in scope:** 42. **People in scope:** 26" in data_quality.scope_statement(
        small
    )
    assert summary.scope(small).text().endswith("**People:** 26. **Referral episodes:** 42.")


def test_episode_counts_are_rounded_like_people_wherever_shown():
    from evalkit.pipeline.since_last import publishable_key_figures
    from evalkit.present.keyfigures import figure_text

    policy = DisclosurePolicy(threshold=8, round_to=5)
    figure = {
        "notebook": "01",
        "key": "episodes",
        "label": "Referral episodes",
        "value": 1998,
        "unit": "episodes",
        "n": 1998,
        "ci_low": None,
        "ci_high": None,
    }
    assert figure_text(figure, policy).value == "2,000 episodes"
    (published,) = publishable_key_figures(pd.DataFrame([figure]), policy)
    assert (published["value"], published["n"]) == (2000, 2000)


# --------------------------------------------------------------------------- the demo report


def _personal_values(extracts: Path) -> dict[str, set[str]]:
    """Every NHS number, date of birth and postcode of the demo's participant extracts, in the
    forms they could be written (as given, digits only, without the space)."""
    found: dict[str, set[str]] = {column: set() for column in PERSONAL_COLUMNS}
    for path in sorted(extracts.glob("*_participants.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in PERSONAL_COLUMNS:
            for value in frame.get(column, pd.Series(dtype=str)):
                value = value.strip()
                if not value:
                    continue
                found[column].add(value)
                if column == "nhs_number":
                    found[column].add(re.sub(r"\D", "", value))
                if column == "postcode":
                    found[column].add(value.replace(" ", ""))
                if column == "date_of_birth" and re.fullmatch(r"\d{4}-\d\d-\d\d", value):
                    year, month, day = value.split("-")
                    found[column].add(f"{day}/{month}/{year}")
    return found


def _clean_text(validated: Path) -> str:
    """Every cell of validated/clean (and the episode table) as text."""
    parts = []
    for path in [*sorted((validated / "clean").glob("*")), validated / "episodes.parquet"]:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            parts.append(frame.astype(str).to_csv(index=False))
        elif path.is_file():
            parts.append(path.read_text(errors="replace"))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from evalkit.demo import write_demo
    from evalkit.pipeline import run_report

    root = tmp_path_factory.mktemp("linkage_report")
    config = write_demo(root / "demo")
    report = run_report(config, out=root / "reports", progress=lambda line: None)
    return config.parent, report


@pytest.mark.slow
def test_no_linkage_field_reaches_the_report_the_manifest_or_clean_data(rendered):
    demo, report = rendered
    personal = _personal_values(demo / "extracts")
    assert all(len(v) > 100 for v in personal.values())  # the demo gives all three
    pages = sorted(report.rglob("*.html"))
    assert len(pages) >= 6
    texts = {str(p.relative_to(report)): p.read_text(errors="replace") for p in pages}
    texts["manifest.json"] = (report / "manifest.json").read_text()
    for paper in report.glob("*.docx"):  # the committee paper is built from the same pages
        with zipfile.ZipFile(paper) as archive:
            texts[paper.name] = " ".join(
                archive.read(n).decode(errors="replace") for n in archive.namelist()
            )
    texts["validated/clean"] = _clean_text(demo / "validated")
    for column, values in personal.items():
        pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
        for name, text in texts.items():
            found = pattern.search(text)
            assert found is None, f"{column} {found.group() if found else ''} in {name}"
    assert not set(PERSONAL_COLUMNS) & set(
        pd.read_parquet(demo / "validated" / "clean" / "participants.parquet").columns
    )


@pytest.mark.slow
def test_people_and_episodes_are_stated_and_differ_as_planted(rendered):
    demo, report = rendered
    planted = pd.read_csv(demo / "planted_people.csv")
    episodes = sum(
        len(pd.read_csv(p)) for p in sorted((demo / "extracts").glob("*_participants.csv"))
    )
    people = planted["person"].nunique()
    several = int((planted.groupby("person")["provider"].nunique() > 1).sum())
    assert len(planted) == episodes and people < episodes  # the truth the demo declares
    policy = DisclosurePolicy(threshold=8, round_to=5)  # the demo's evaluation.yml
    shown_people, shown_episodes = (f"{policy.rounded(n):,}" for n in (people, episodes))
    assert shown_people != shown_episodes
    reach_page = next(report.glob("01_reach_and_equity*.html")).read_text()
    assert (
        f"<strong>{shown_people}</strong> people were referred, in "
        f"<strong>{shown_episodes}</strong> referral episodes" in reach_page
    )
    assert (
        f"<strong>{policy.rounded(several):,}</strong> were supported by more than one "
        "provider" in reach_page
    )
    quality = next(report.glob("00_data_quality*.html")).read_text()
    assert f"<strong>People in scope:</strong> {shown_people}" in quality
    assert f"<strong>Episodes in scope:</strong> {shown_episodes}" in quality
    summary_page = next(report.glob("05_summary*.html")).read_text()
    assert (
        f"People referred to the service: {shown_people} people ({shown_episodes} episodes)."
        in summary_page
    )
    figures = {
        row["key"]: row
        for row in json.loads(
            (
                report.parent.parent
                / ".cache/notebooks"
                / report.parent.name
                / report.name
                / "01_reach_and_equity/outputs/key_figures.json"
            ).read_text()
        )
    }
    assert figures["people_referred"]["value"] == people
    assert figures["episodes"]["value"] == episodes
    assert figures["people_more_than_one_provider"]["value"] == several
