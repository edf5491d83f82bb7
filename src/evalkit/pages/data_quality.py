"""The data-quality page (00): every record accounted for, completeness, follow-up, vintage.

The figures (:func:`completeness`, :func:`reconciliation_by_provider`, :func:`issues_by_rule`,
:func:`data_vintage`) let a commissioner judge how far the rest of the report can be trusted;
the page sections (:func:`scope`, with the methods text of :func:`scope_statement`: episodes in
scope, referrals out of scope, rows quarantined and the small-number rule;
:func:`records_accounted_for`, :func:`validation_problems`,
:func:`episode_completeness`, :func:`follow_up`, :func:`lost_versus_followed_up`,
:func:`vintage`, :func:`scoring_rules`) return them display-ready (:class:`~evalkit.present.
blocks.Blocks`). Issue *values* are never summarised here (they may hold identifiers); only
counts by rule, table and provider. Counts of people are rounded and withheld like on every
other page (docs/disclosure.md); counts of records are shown exactly.
"""

from __future__ import annotations

import pandas as pd

from evalkit import instruments
from evalkit.data.evaluation import Evaluation
from evalkit.data.linkage import read_linkage_quality
from evalkit.data.persons import people_count
from evalkit.data.schema import TABLES
from evalkit.disclosure.suppression import (
    PERCENT_DECIMALS,
    rule_statement,
    share_withheld,
    suppression_mask,
)
from evalkit.outcomes import attrition
from evalkit.present.blocks import Blocks
from evalkit.present.keyfigures import record
from evalkit.present.labels import column_label, period_label, value_label
from evalkit.present.wording import count_text, value_text

__all__ = [
    "FOLLOW_UP_CHARACTERISTICS",
    "completeness",
    "data_vintage",
    "episode_completeness",
    "excluded_statement",
    "follow_up",
    "follow_up_table",
    "issues_by_rule",
    "linkage_methods",
    "linkage_quality",
    "lost_versus_followed_up",
    "provider_of_file",
    "reconciliation_by_provider",
    "records_accounted_for",
    "rows_quarantined",
    "scope",
    "scope_statement",
    "scoring_rules",
    "totals_only",
    "validation_problems",
    "vintage",
]

#: Characteristics the follow-up comparison is broken down by.
FOLLOW_UP_CHARACTERISTICS = ("provider", "imd_quintile", "sex", "age_band")
#: Instruments whose missing-answer rule the page states.
_STATED_RULES = ("wemwbs", "swemwbs", "phq9", "gad7")
#: How percentages of people are shown (whole percents, the disclosure rule).
_PERCENT = f"{{:.{PERCENT_DECIMALS}f}}%"
#: Decimal places of a share of records (not people: no small-number rule applies).
_RECORD_PERCENT_DECIMALS = 1


def completeness(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """Share of rows with a value, for every schema column of a table.

    Parameters
    ----------
    frame : DataFrame
        Clean rows of the table.
    table : str
        Its name in :data:`evalkit.data.schema.TABLES`.

    Returns
    -------
    DataFrame
        ``table, column, required, rows, filled, pct_complete`` (``pct_complete`` 0–100, NaN
        when there are no rows).

    Examples
    --------
    >>> f = pd.DataFrame({"client_id": ["A", "B"], "age": [40, None]})
    >>> row = completeness(f, "participants").set_index("column").loc["age"]
    >>> int(row["filled"]), float(row["pct_complete"])
    (1, 50.0)
    """
    spec = TABLES[table]
    rows = len(frame)
    records = []
    for col in spec.columns:
        filled = int(frame[col.name].notna().sum()) if col.name in frame else 0
        records.append(
            {
                "table": table,
                "column": col.name,
                "required": col.required,
                "rows": rows,
                "filled": filled,
                "pct_complete": 100 * filled / rows if rows else float("nan"),
            }
        )
    return pd.DataFrame(records)


def provider_of_file(files: pd.Series, providers: list[dict[str, str]]) -> pd.Series:
    """Provider name of each extract file, from the ``<slug>_<table>`` naming convention.

    Examples
    --------
    >>> provider_of_file(pd.Series(["extracts/nhs_trust_measures.csv", "qual/sources.csv"]),
    ...                  [{"name": "Northgate NHS FT", "slug": "nhs_trust"}]).tolist()
    ['Northgate NHS FT', 'Qualitative data']
    """
    names = {p["slug"]: p["name"] for p in providers if isinstance(p, dict) and "slug" in p}

    def one(path: str) -> str:
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if path.startswith("qual/"):
            return "Qualitative data"
        for slug in sorted(names, key=len, reverse=True):
            if stem.startswith(slug + "_"):
                return names[slug]
        return stem

    return files.map(one)


def reconciliation_by_provider(
    reconciliation: pd.DataFrame, providers: list[dict[str, str]]
) -> pd.DataFrame:
    """Rows read, kept and quarantined per provider and table (``read = kept + quarantined``).

    A wide template is reconciled twice, as the rows of its file and as the measure values
    melted from them (unit ``values``); ``received`` marks the lines that count each file's rows
    once, the ones :func:`records_accounted_for` adds up as records received.

    Returns
    -------
    DataFrame
        ``provider, table, unit, read, kept, quarantined, pct_kept, received``.

    Examples
    --------
    >>> recon = pd.DataFrame({"table": ["wellbeing", "measures"],
    ...     "file": ["extracts/v_wellbeing.xlsx"] * 2, "unit": ["rows", "values"],
    ...     "read": [10, 120], "kept": [9, 118], "quarantined": [1, 2]})
    >>> out = reconciliation_by_provider(recon, [{"name": "V", "slug": "v"}])
    >>> int(out.loc[out["received"], "read"].sum())
    10
    """
    frame = reconciliation.assign(provider=provider_of_file(reconciliation["file"], providers))
    out = (
        frame.groupby(["provider", "table", "unit"], as_index=False)[
            ["read", "kept", "quarantined"]
        ]
        .sum()
        .sort_values(["provider", "table"], kind="stable")
    )
    out["pct_kept"] = (100 * out["kept"] / out["read"]).where(out["read"] > 0)
    out["received"] = out["unit"] != "values"
    return out.reset_index(drop=True)


def issues_by_rule(issues: pd.DataFrame, providers: list[dict[str, str]]) -> pd.DataFrame:
    """Count validation issues by provider, table, severity and rule (no values shown).

    Returns
    -------
    DataFrame
        ``provider, table, severity, rule, issues``, most frequent first.
    """
    if issues.empty:
        return pd.DataFrame(columns=["provider", "table", "severity", "rule", "issues"])
    frame = issues.assign(provider=provider_of_file(issues["file"].astype(str), providers))
    out = (
        frame.groupby(["provider", "table", "severity", "rule"], dropna=False)
        .size()
        .rename("issues")
        .reset_index()
        .sort_values(["issues", "provider"], ascending=[False, True], kind="stable")
    )
    return out.reset_index(drop=True)


def data_vintage(participants: pd.DataFrame, measures: pd.DataFrame) -> pd.DataFrame:
    """How recent each provider's data is: episodes, latest referral and latest measure date.

    Returns
    -------
    DataFrame
        ``provider, episodes, first_referral, latest_referral, latest_measure``.
    """
    # Latest per client first, so only one row per client is joined to its provider (joining
    # every measure row copied all its columns: 2 s of the page at 100,000 episodes).
    latest_measure = (
        measures.groupby("client_id", sort=False)["date"]
        .max()
        .reset_index()
        .merge(participants[["client_id", "provider"]], on="client_id")
        .groupby("provider")["date"]
        .max()
    )
    out = participants.groupby("provider").agg(
        episodes=("client_id", "size"),
        first_referral=("referral_date", "min"),
        latest_referral=("referral_date", "max"),
    )
    out["latest_measure"] = latest_measure
    return out.reset_index()


# --------------------------------------------------------------------------- page sections


def _people(ev: Evaluation, n: float) -> str:
    """A count of people as every page shows it (small ones hidden, rounded)."""
    policy = ev.config.disclosure
    return count_text(n, threshold=policy.threshold, round_to=policy.round_to)


def rows_quarantined(ev: Evaluation) -> int:
    """Rows of the input files set aside in validation (each file's rows counted once).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> recon = pd.DataFrame({"table": ["wellbeing", "measures", "participants"],
    ...     "file": ["extracts/v_wellbeing.xlsx"] * 2 + ["extracts/v_participants.csv"],
    ...     "unit": ["rows", "values", "rows"], "read": [10, 120, 40], "kept": [9, 118, 37],
    ...     "quarantined": [1, 2, 3]})
    >>> ev = SimpleNamespace(reconciliation=recon, config=SimpleNamespace(providers=[]))
    >>> rows_quarantined(ev)
    4
    """
    recon = reconciliation_by_provider(ev.reconciliation, ev.config.providers)
    return int(recon.loc[recon["received"], "quarantined"].sum())


def excluded_statement(ev: Evaluation) -> str:
    """What the report leaves out, in words: the referrals before the first reporting period
    (out of scope, a count of people, rounded) and the rows quarantined in validation (records,
    exact)."""
    first = ev.config.periods[0] if ev.config.periods else None
    out_of_scope = (
        f"**{_people(ev, ev.out_of_scope)}** referrals before the first reporting period "
        f"({period_label(first)}) are out of scope and left out of every figure. "
        if first is not None
        else ""
    )
    quarantined = rows_quarantined(ev)
    rows = f"**{quarantined:,}** row{'s' * (quarantined != 1)}"
    return (
        f"{out_of_scope}{rows} of the providers' files failed validation and were quarantined "
        "(set aside for the provider to correct; not in any figure)."
    )


def scope_statement(ev: Evaluation) -> str:
    """The methods text of the report's scope: episodes and people in scope, referrals out of
    scope, rows quarantined (:func:`excluded_statement`) and the small-number rule applied."""
    return (
        f"**Scope:** {ev.scope}. **Episodes in scope:** {_people(ev, len(ev.episodes))}. "
        f"**People in scope:** {_people(ev, people_count(ev.episodes))} (one person referred "
        f"to two providers is two episodes). "
        f"{excluded_statement(ev)} {rule_statement(ev.config.disclosure)}"
    )


def scope(ev: Evaluation) -> Blocks:
    """What the page covers: the report's scope, the episodes in it, the referrals out of scope,
    the rows quarantined and the small-number rule (:func:`scope_statement`)."""
    return Blocks().markdown(scope_statement(ev))


def records_accounted_for(ev: Evaluation) -> Blocks:
    """Records read, kept and set aside by provider and table; records the share kept.

    Records received count each file's rows once: a wide template's rows, not also the
    measure values melted from them (those are listed in the table, counted as values).
    """
    recon = reconciliation_by_provider(ev.reconciliation, ev.config.providers)
    received = recon[recon["received"]]
    read, kept = int(received["read"].sum()), int(received["kept"].sum())
    recon = recon.drop(columns="received")
    kept_pct = record(
        "records_kept_pct",
        100 * kept / read if read else None,
        unit="%",
        label=f"Records that passed validation (of {read:,} records received)",
        decimals=_RECORD_PERCENT_DECIMALS,
    ).text(ev.config.disclosure)
    table = recon.rename(
        columns={
            "provider": "Provider",
            "table": "Table",
            "unit": "Counted as",
            "read": "Read",
            "kept": "Kept",
            "quarantined": "Set aside",
            "pct_kept": "% kept",
        }
    ).set_index(["Provider", "Table"])
    return (
        Blocks()
        .markdown(
            f"Of **{read:,}** records received, **{kept:,} ({kept_pct.value})** passed validation "
            f"and **{read - kept:,}** were set aside for providers to correct."
        )
        .table(
            table,
            caption="Records read, kept and set aside, by provider and table",
            policy=None,
            formats={"% kept": f"{{:.{_RECORD_PERCENT_DECIMALS}f}}%"},
        )
    )


def validation_problems(ev: Evaluation, most: int = 15) -> Blocks:
    """The most frequent validation problems, counted by rule (records, not people)."""
    problems = issues_by_rule(ev.issues, ev.config.providers)
    if problems.empty:
        return Blocks().markdown("No validation problems were found.")
    table = (
        problems.head(most)
        .rename(
            columns={
                "provider": "Provider",
                "table": "Table",
                "severity": "Severity",
                "rule": "Rule",
                "issues": "Times found",
            }
        )
        .set_index("Provider")
    )
    return Blocks().table(
        table,
        caption="The most frequent validation problems (counts of records, not people)",
        policy=None,
    )


def episode_completeness(ev: Evaluation) -> Blocks:
    """How complete each participant field is, least complete first."""
    comp = completeness(ev.participants, "participants")
    comp = comp[comp["column"] != "client_id"].sort_values("pct_complete")
    table = comp.rename(
        columns={"column": "Field", "required": "Required", "pct_complete": "% complete"}
    )[["Field", "Required", "% complete"]].set_index("Field")
    return Blocks().table(
        table,
        caption="Completeness of episode information (percentage of episodes in scope)",
        policy=None,
        formats={"% complete": "{:.0f}%"},
    )


def follow_up_table(ev: Evaluation) -> pd.DataFrame:
    """WEMWBS attrition of the episodes in scope (:func:`evalkit.outcomes.attrition`)."""
    scored = instruments.score(
        ev.measures, "wemwbs", **instruments.instrument_settings(ev.config, "wemwbs")
    )
    return attrition(
        ev.episodes, scored, "wemwbs_total", characteristics=list(FOLLOW_UP_CHARACTERISTICS)
    )


def follow_up(ev: Evaluation, follow: pd.DataFrame | None = None) -> Blocks:
    """WEMWBS follow-up overall and by provider, with 95% CIs; records the overall rate.

    ``follow`` is the :func:`evalkit.outcomes.attrition` table (computed when not given, so a
    notebook can share it with :func:`lost_versus_followed_up`).
    """
    follow = follow_up_table(ev) if follow is None else follow
    policy = ev.config.disclosure
    overall = follow[follow["characteristic"] == "overall"].iloc[0]
    withheld = bool(
        share_withheld(overall["n_followed_up"], overall["n_baseline"], policy.threshold)
    )
    rate = record(
        "wemwbs_followup_rate",
        None if withheld else 100 * overall["followup_rate"],
        label="Clients with a WEMWBS score at start who also have one at the end",
        unit="%",
        n=int(overall["n_baseline"]),
        ci=None if withheld else (100 * overall["ci_lower"], 100 * overall["ci_upper"]),
    ).text(policy)
    by_provider = follow[follow["characteristic"].isin(["overall", "provider"])].copy()
    by_provider["level"] = by_provider["level"].replace({"all": "All providers"})
    percent = ("followup_rate", "ci_lower", "ci_upper")
    table = (
        by_provider[["level", "n_baseline", "n_followed_up", *percent]]
        .assign(**{c: 100 * by_provider[c] for c in percent})
        .rename(
            columns={
                "level": "Provider",
                "n_baseline": "With a start score",
                "n_followed_up": "Also an end score",
                "followup_rate": "% followed up",
                "ci_lower": "CI lower %",
                "ci_upper": "CI upper %",
            }
        )
        .set_index("Provider")
    )
    start, end = "With a start score", "Also an end score"
    if overall["n_baseline"] == 0:
        sentence = "Nobody in scope has a starting WEMWBS score yet."
    elif rate.suppressed or withheld:
        sentence = (
            f"The share of the {_people(ev, overall['n_baseline'])} people with a starting "
            "WEMWBS score who also have an end score is not shown: the people with or without "
            "an end score are too few."
        )
    else:
        sentence = (
            f"**{rate.value}** of the {rate.n} people with a starting WEMWBS score also have an "
            f"end score (95% CI {rate.ci})."
        )
    return (
        Blocks()
        .markdown(sentence)
        .table(
            table,
            caption="Follow-up of WEMWBS by provider, with 95% confidence intervals",
            policy=policy,
            count_columns=[start, end],
            shares={c: (end, start) for c in ("% followed up", "CI lower %", "CI upper %")},
            secondary="columns",
            formats=dict.fromkeys(("% followed up", "CI lower %", "CI upper %"), _PERCENT),
        )
    )


def lost_versus_followed_up(ev: Evaluation, follow: pd.DataFrame | None = None) -> Blocks:
    """Followed-up against lost clients by characteristic (standardised differences)."""
    follow = follow_up_table(ev) if follow is None else follow
    rows = follow[follow["characteristic"] != "overall"].copy()
    names = {"wemwbs_total at baseline": "Starting WEMWBS score"}
    rows["label"] = [
        names.get(c, column_label(c)) + (" (average)" if s == "mean" else f": {value_label(c, v)}")
        for c, v, s in zip(rows["characteristic"], rows["level"], rows["summary"], strict=True)
    ]
    table = (
        rows[["label", "n_baseline", "n_followed_up", "followup_rate", "smd"]]
        .assign(followup_rate=100 * rows["followup_rate"])
        .rename(
            columns={
                "label": "Group",
                "n_baseline": "With a start score",
                "n_followed_up": "Also an end score",
                "followup_rate": "% followed up",
                "smd": "Standardised difference",
            }
        )
        .set_index("Group")
    )
    start, end, smd = "With a start score", "Also an end score", "Standardised difference"
    policy = ev.config.disclosure
    # A group's difference, like its share, rests on the people followed up and lost.
    shares = {"% followed up": (end, start), smd: (end, start)}
    mask = suppression_mask(
        table, policy.threshold, count_columns=[start, end], shares=shares, secondary="columns"
    )
    shown = mask[smd] == ""
    blocks = Blocks()
    differences = table.loc[shown.to_numpy() & table[smd].notna().to_numpy(), smd]
    if not differences.empty:
        worst = differences.abs().idxmax()
        blocks.markdown(
            f"The largest imbalance is in **{worst}** (standardised difference "
            f"{differences[worst]:+.2f}) among the groups shown. Differences beyond ±0.1 suggest "
            "the outcome results may not represent everyone who started."
        )
    return blocks.table(
        table,
        caption="Followed-up versus lost clients, by characteristic (WEMWBS)",
        policy=policy,
        count_columns=[start, end],
        shares=shares,
        secondary="columns",
        formats={"% followed up": _PERCENT, smd: "{:+.2f}"},
    )


def vintage(ev: Evaluation) -> Blocks:
    """How recent each provider's data is."""
    dates = data_vintage(ev.participants, ev.measures)
    table = (
        dates.assign(
            **{
                c: dates[c].dt.strftime("%d %b %Y")
                for c in ("first_referral", "latest_referral", "latest_measure")
            }
        )
        .rename(
            columns={
                "provider": "Provider",
                "episodes": "Episodes",
                "first_referral": "First referral",
                "latest_referral": "Latest referral",
                "latest_measure": "Latest measurement",
            }
        )
        .set_index("Provider")
    )
    return Blocks().table(
        table,
        caption="Data vintage by provider",
        policy=ev.config.disclosure,
        count_columns=["Episodes"],
    )


#: How each episode was linked (``link_method``, docs/linkage.md), in words, in table order.
_LINK_METHODS = {
    "nhs_number": "Linked by NHS number",
    "client_id": "Linked by a client id shared by providers",
    "probabilistic": "Linked by a probabilistic match (date of birth, home, sex)",
    "none": "Not linked: the person's only episode",
}


def linkage_methods(episodes: pd.DataFrame) -> pd.DataFrame:
    """Episodes by how they were linked to another episode of the same person, with a total.

    Returns
    -------
    DataFrame
        ``method, label, episodes, share`` (of all episodes): one row per
        :data:`_LINK_METHODS` entry, then ``Total`` (``method`` None).

    Examples
    --------
    >>> e = pd.DataFrame({"link_method": ["nhs_number", "nhs_number", "none", "probabilistic"]})
    >>> linkage_methods(e)[["method", "episodes"]].to_dict("records")
    ... # doctest: +NORMALIZE_WHITESPACE
    [{'method': 'nhs_number', 'episodes': 2}, {'method': 'client_id', 'episodes': 0},
     {'method': 'probabilistic', 'episodes': 1}, {'method': 'none', 'episodes': 1},
     {'method': None, 'episodes': 4}]
    """
    method = (
        episodes["link_method"].fillna("none")
        if "link_method" in episodes.columns
        else pd.Series("none", index=episodes.index)
    )
    counts = [int((method == m).sum()) for m in _LINK_METHODS] + [len(episodes)]
    total = len(episodes)
    return pd.DataFrame(
        {
            "method": pd.Series([*_LINK_METHODS, None], dtype=object),
            "label": [*_LINK_METHODS.values(), "Total"],
            "episodes": counts,
            "share": [c / total if total else float("nan") for c in counts],
        }
    )


def _rate(value: float) -> str:
    return f"{100 * value:.1f}%"


def linkage_quality(ev: Evaluation) -> Blocks:
    """How well one person's episodes were linked: the match rate, the estimated false-match
    rate (the Splink model's, and the clerical sample's once reviewed) and people per episode.

    Counts of episodes and people go through the disclosure policy; the linkage fields (NHS
    number, date of birth, postcode) are never read here, only ``link_method``, ``person_id``
    and the aggregates of ``validated/linkage/`` (:func:`evalkit.data.linkage.
    read_linkage_quality`).
    """
    policy = ev.config.disclosure
    episodes = ev.episodes
    methods = linkage_methods(episodes)
    total = len(episodes)
    people = people_count(episodes)
    linked = total - int(methods.loc[methods["method"] == "none", "episodes"].iat[0])
    blocks = Blocks()
    if total == 0:
        return blocks.markdown("There are no episodes in scope to link.")
    # the ratios from the counts as shown, so that they tell no more than the counts
    shown_people, shown_total = policy.rounded(people), policy.rounded(total)
    ratios = (
        f"**{shown_people / shown_total:.2f}** people per episode "
        f"({shown_total / shown_people:.2f} episodes per person)"
        if shown_people and shown_total
        else "too few to give a ratio"
    )
    match_rate = (
        "not shown"
        if share_withheld(linked, total, policy.threshold)
        else value_text(linked / total)
    )
    blocks.markdown(
        f"**{_people(ev, linked)}** of the **{_people(ev, total)}** episodes in scope were linked "
        f"to another episode of the same person (the match rate: **{match_rate}**). They "
        f"belong to **{_people(ev, people)}** people: {ratios}."
    )
    quality = read_linkage_quality(ev.validated_dir / "linkage") if ev.validated_dir else None
    if quality is None:
        blocks.markdown(
            "No linkage summary was written for these data (validated before person linkage), "
            "so the false-match rate is not known."
        )
    else:
        probable = quality.get("probabilistic links", 0.0)
        all_links = probable + sum(
            quality.get(k, 0.0) for k in ("links on NHS number", "links on a shared client_id")
        )
        rate = quality.get("estimated false-match rate of probabilistic links", float("nan"))
        if probable and rate == rate:  # not NaN
            model = (
                f"The linkage model estimates that **{_rate(rate)}** of its "
                f"{_people(ev, probable)} probabilistic links join two different people (the "
                "mean of 1 − match probability over the links accepted), about "
                f"**{_rate(rate * probable / all_links)}** of all links "
                f"({_people(ev, all_links)} in all; an estimate from the model, not a count); "
                "links on the same NHS number or a shared client id are taken as correct."
            )
        else:
            model = (
                "No probabilistic links were made, so every link rests on the same NHS number "
                "or a shared client id."
            )
        with_nhs = quality.get("episodes with a valid NHS number")
        validated = quality.get("episodes")
        coverage = (
            f" Of the {_people(ev, validated)} episodes validated, "
            f"{value_text(with_nhs / validated)} had a valid NHS number."
            if with_nhs is not None and validated
            else ""
        )
        reviewed = quality.get("reviewed linked pairs", 0.0)
        if "review pairs" not in quality:
            review = " No clerical-review sample was drawn."
        elif reviewed:
            wrong = quality["reviewed linked pairs judged two people"]
            share = (
                ""
                if share_withheld(wrong, reviewed, policy.threshold)
                else f" ({value_text(wrong / reviewed)})"
            )
            review = (
                f" In the clerical review, {_people(ev, wrong)} of {_people(ev, reviewed)} linked "
                f"pairs reviewed were judged two people{share}."
            )
        else:
            review = (
                f" The clerical-review sample ({_people(ev, quality['review pairs'])} pairs "
                "nearest the threshold, validated/linkage/clerical_review.csv) has not been "
                "reviewed yet."
            )
        blocks.markdown(f"{model}{coverage}{review} These figures cover every episode validated.")
    table = methods.assign(share=100 * methods["share"]).rename(
        columns={
            "label": "How the episode was linked",
            "episodes": "Episodes",
            "share": "% of episodes",
        }
    )
    return blocks.table(
        table.set_index("How the episode was linked")[["Episodes", "% of episodes"]],
        caption="Episodes in scope by how they were linked to the same person's other episodes",
        policy=policy,
        count_columns=["Episodes"],
        derived_columns={"% of episodes": "Episodes"},
        formats={"% of episodes": _PERCENT},
    )


def totals_only(measures: pd.DataFrame, participants: pd.DataFrame) -> dict[str, list[str]]:
    """Provider -> the questionnaires (of PHQ-9, GAD-7, WEMWBS, SWEMWBS) it sent as totals only:
    a score with no item answered (``<name>_items_answered == 0``), from a total or metric
    score sent on its own.

    Examples
    --------
    >>> measures = pd.DataFrame({"client_id": ["a", "b"], "timepoint": ["baseline"] * 2,
    ...     "measure": ["phq9_total", "gad7_1"], "value": [12.0, 2.0]})
    >>> participants = pd.DataFrame({"client_id": ["a", "b"], "provider": ["Trust", "CIC"]})
    >>> totals_only(measures, participants)
    {'Trust': ['PHQ-9']}
    """
    provider = participants.set_index("client_id")["provider"]
    found: dict[str, list[str]] = {}
    for name in _STATED_RULES:
        defn = instruments.get(name)
        scored = instruments.score(measures, defn)
        alone = scored[(scored[f"{name}_items_answered"] == 0) & scored[f"{name}_total"].notna()]
        for who in sorted(set(provider.reindex(alone["client_id"]).dropna())):
            found.setdefault(who, []).append(defn.short_name)
    return dict(sorted(found.items()))


def scoring_rules(ev: Evaluation) -> Blocks:
    """How each questionnaire was scored when answers were missing, and which providers sent
    totals only (:func:`totals_only`)."""
    sent = totals_only(ev.measures, ev.participants)
    alone = "; ".join(f"{who}: {', '.join(names)}" for who, names in sent.items())
    statement = (
        f"Sent as totals only, without the item answers (so no missing-answer rule applies): "
        f"{alone}."
        if sent
        else "Every provider sent the item answers of these questionnaires (no totals only)."
    )
    bullets = [*instruments.missing_rule_statements(ev.config, _STATED_RULES), statement]
    return Blocks().bullets(bullets)
