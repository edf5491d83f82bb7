"""Each CMOC's qualitative evidence beside its quantitative pattern, in a commissioner's words.

:func:`evalkit.realist.cmoc_outcome_link` compares the outcome inside a CMOC's context with
outside it and labels the pattern; :func:`evalkit.realist.cmoc_evidence` and
:func:`evalkit.realist.cmoc_site_matrix` count the sources, sites and stakeholder groups that
evidence it. :func:`cmoc_comparison` puts them on one row per CMOC, in display units, with the
means and difference withheld when a group is under the disclosure threshold, and explains the
pattern in words (:func:`pattern_explanation`, :func:`difference_text`) without the raw counts
that the link's own ``pattern_reason`` carries. The evaluator's status is passed through
unchanged beside evalkit's suggestion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.pages.realist_synthesis.scope import stakeholder_label
from evalkit.present.labels import humanise
from evalkit.present.wording import count_text
from evalkit.realist import STAKEHOLDER_LABELS, SUGGESTED_STATUS, cmoc_codes

__all__ = [
    "COMPARISON_COLUMNS",
    "OUTCOME_WORDING",
    "PATTERN_TEXT",
    "OutcomeWording",
    "cmoc_comparison",
    "difference_text",
    "outcome_wording",
    "pattern_explanation",
]


@dataclass(frozen=True)
class OutcomeWording:
    """How an episode-table outcome is named on the page, and the unit of its mean.

    A yes/no outcome (a ``boolean`` column) is shown as a percentage and differences in
    percentage points, whatever ``unit`` says.
    """

    label: str
    unit: str = "points"


#: Plain-English names of the episode-table outcomes a CMOC may predict (docs/data-model.md).
OUTCOME_WORDING: Mapping[str, OutcomeWording] = {
    "wemwbs_change": OutcomeWording("Change in mental wellbeing (WEMWBS score), start to end"),
    "swemwbs_change": OutcomeWording("Change in mental wellbeing (SWEMWBS score), start to end"),
    "phq9_change": OutcomeWording("Change in depression symptoms (PHQ-9 score), start to end"),
    "gad7_change": OutcomeWording("Change in anxiety symptoms (GAD-7 score), start to end"),
    "weight_change_pct": OutcomeWording(
        "Change in weight, start to end (% of starting weight)", "percentage points"
    ),
    "activity_minutes_exit": OutcomeWording(
        "Weekly minutes of moderate activity at the end", "minutes"
    ),
    "contacts": OutcomeWording("Contacts with the service", "contacts"),
    "wemwbs_meaningful_improvement": OutcomeWording(
        "People whose wellbeing (WEMWBS) improved meaningfully"
    ),
    "wemwbs_followed_up": OutcomeWording("People with a wellbeing (WEMWBS) score at the end"),
    "quit_4wk_co": OutcomeWording(
        "Smokers setting a quit date who had quit at 4 weeks (confirmed by a CO reading)"
    ),
    "quit_4wk_self": OutcomeWording(
        "Smokers setting a quit date who said they had quit at 4 weeks"
    ),
    "weight_loss_5pct": OutcomeWording("People who lost at least 5% of their weight"),
    "became_more_active": OutcomeWording("People who became more active"),
    "auditc_reduced": OutcomeWording("People who reduced their drinking (AUDIT-C)"),
    "five_a_day_exit": OutcomeWording("People eating five portions of fruit and vegetables a day"),
    "iapt_recovery": OutcomeWording("People who recovered (talking therapies)"),
    "iapt_reliable_improvement": OutcomeWording("People who reliably improved (talking therapies)"),
    "completed": OutcomeWording("People who completed their programme"),
    "started": OutcomeWording("Referrals who started support"),
}


def outcome_wording(outcome: str) -> OutcomeWording:
    """The wording of an outcome column (:data:`OUTCOME_WORDING`, else the name as words).

    Examples
    --------
    >>> outcome_wording("quit_4wk_co").label[:26]
    'Smokers setting a quit dat'
    >>> outcome_wording("sessions_attended")
    OutcomeWording(label='Sessions attended', unit='points')
    """
    return OUTCOME_WORDING.get(outcome, OutcomeWording(humanise(outcome)))


#: What each pattern means, in words (the labels of :data:`evalkit.realist.PATTERNS`).
PATTERN_TEXT: Mapping[str, str] = {
    "consistent": "The numbers agree",
    "inconsistent": "The numbers point the other way",
    "inconclusive": "The numbers cannot tell yet",
    "not tested": "Not tested in the numbers",
}

#: Columns of :func:`cmoc_comparison`.
COMPARISON_COLUMNS = (
    "cmoc_id",
    "programme_theory",
    "context",
    "mechanism_resource",
    "mechanism_reasoning",
    "outcome",
    "n_sources",
    "n_sites",
    "n_stakeholder_groups",
    "stakeholder_groups",
    "n_sites_all_elements",
    "outcome_measure",
    "outcome_label",
    "value_unit",
    "n_in",
    "n_out",
    "mean_in",
    "mean_out",
    "difference",
    "ci_lower",
    "ci_upper",
    "difference_unit",
    "difference_text",
    "pattern",
    "pattern_text",
    "too_few",
    "explanation",
    "suggested_status",
    "status",
)


def _number(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def _side(value: float, digits: int) -> str:
    """``"1.3 higher"``, ``"0.5 lower"`` or ``"0"`` (when it rounds to zero)."""
    size = f"{abs(value):,.{digits}f}"
    if float(size.replace(",", "")) == 0:
        return "0"
    return f"{size} {'higher' if value > 0 else 'lower'}"


def difference_text(
    difference: float, lower: float, upper: float, unit: str = "points", digits: int = 1
) -> str:
    """A difference in words, "higher" or "lower" in the context, with its 95% CI.

    Parameters
    ----------
    difference, lower, upper : float
        Inside minus outside, and its 95% confidence interval, in display units.
    unit : str
        Unit of the difference (``"points"``, ``"percentage points"``).
    digits : int
        Decimal places.

    Returns
    -------
    str
        ``"not available"`` when the difference is missing.

    Examples
    --------
    >>> difference_text(2.86, 0.74, 4.98)
    '2.9 points higher (95% CI 0.7 to 5.0 higher)'
    >>> difference_text(-16.49, -22.04, -10.94, "percentage points")
    '16.5 percentage points lower (95% CI 10.9 to 22.0 lower)'
    >>> difference_text(0.42, -0.50, 1.34)
    '0.4 points higher (95% CI 0.5 lower to 1.3 higher)'
    >>> difference_text(0.01, -0.5, 0.5)
    'no difference (95% CI 0.5 lower to 0.5 higher)'
    """
    diff, low, high = _number(difference), _number(lower), _number(upper)
    if np.isnan(diff):
        return "not available"
    size = _side(diff, digits)
    text = "no difference" if size == "0" else f"{abs(diff):,.{digits}f} {unit} {size.split()[-1]}"
    if np.isnan(low) or np.isnan(high):
        return text
    if low > 0 or high < 0:
        near, far = sorted((abs(low), abs(high)))
        interval = f"{near:,.{digits}f} to {far:,.{digits}f} {'higher' if low > 0 else 'lower'}"
    else:
        interval = f"{_side(low, digits)} to {_side(high, digits)}"
    return f"{text} (95% CI {interval})"


def pattern_explanation(
    row: Mapping[str, object],
    *,
    min_n: int = 30,
    threshold: int = 8,
    round_to: int | None = None,
) -> str:
    """Why the numbers say what they say about one CMOC, without disclosing small numbers.

    Parameters
    ----------
    row : mapping
        A :func:`evalkit.realist.cmoc_outcome_link` row: ``pattern``, ``expected_direction``,
        ``n_in``, ``n_out``, ``difference``, ``ci_lower``, ``ci_upper``, ``interaction_p``.
    min_n : int
        The fewest people each group needs (``realist.min_n``).
    threshold, round_to : int
        Disclosure rules for the counts written in the sentence
        (:func:`evalkit.present.wording.count_text`). When either count is 1 to ``threshold - 1``,
        neither is written (the other could give it away, as secondary suppression does in
        the tables).

    Returns
    -------
    str
        One or two plain-English sentences.

    Examples
    --------
    >>> row = {"pattern": "inconclusive", "expected_direction": "higher",
    ...     "n_in": 12, "n_out": 214, "difference": 1.0, "ci_lower": -2.0, "ci_upper": 4.0}
    >>> print(pattern_explanation(row, round_to=5))  # doctest: +NORMALIZE_WHITESPACE
    Too few people to tell: 10 in this context and 215 outside it had the outcome measured;
    each group needs at least 30.
    >>> print(pattern_explanation({**row, "n_in": 5}))  # doctest: +NORMALIZE_WHITESPACE
    Too few people to tell: fewer than 8 people in this context or outside it had the outcome
    measured; each group needs at least 30.
    >>> row = {"pattern": "consistent", "expected_direction": "lower", "n_in": 1051,
    ...     "n_out": 413, "difference": -0.16, "ci_lower": -0.22, "ci_upper": -0.11}
    >>> print(pattern_explanation(row))  # doctest: +NORMALIZE_WHITESPACE
    The outcome is lower in this context, as the CMOC predicts, and the 95% CI does not include
    zero, so chance alone is an unlikely explanation.
    """
    pattern = str(row.get("pattern"))
    expected = str(row.get("expected_direction"))
    if pattern == "not tested":
        return (
            "Not tested: the CMOC does not name a context and an outcome that the monitoring "
            "data record, so only the qualitative evidence speaks to it."
        )
    n_in, n_out = _number(row.get("n_in")), _number(row.get("n_out"))
    if not (n_in >= min_n and n_out >= min_n):
        if any(0 < n < threshold for n in (n_in, n_out)):  # both withheld, as in the tables
            return (
                f"Too few people to tell: fewer than {threshold} people in this context or "
                f"outside it had the outcome measured; each group needs at least {min_n}."
            )
        counts = [count_text(n, threshold=threshold, round_to=round_to) for n in (n_in, n_out)]
        return (
            f"Too few people to tell: {counts[0]} in this context and {counts[1]} outside it "
            f"had the outcome measured; each group needs at least {min_n}."
        )
    diff = _number(row.get("difference"))
    low, high = _number(row.get("ci_lower")), _number(row.get("ci_upper"))
    if np.isnan(diff) or np.isnan(low) or np.isnan(high):
        return "The difference could not be estimated from these data."
    if low <= 0 <= high:
        return (
            "The 95% CI includes zero (no difference), so the gap could be down to chance: the "
            "numbers neither support nor contradict this CMOC yet."
        )
    observed = "higher" if diff > 0 else "lower"
    if observed == expected:
        text = (
            f"The outcome is {observed} in this context, as the CMOC predicts, and the 95% CI "
            "does not include zero, so chance alone is an unlikely explanation."
        )
    else:
        text = (
            f"The outcome is {observed} in this context, but the CMOC predicts {expected}: "
            "the numbers point the other way."
        )
    adjusted = _number(row.get("interaction_p"))
    if not np.isnan(adjusted) and adjusted >= 0.05:
        text += (
            " Allowing for where people started, the difference is no longer clear "
            f"(p = {adjusted:.2f}), so treat it with caution."
        )
    return text


def _cmoc_groups(cmocs, codings, sources, codebook) -> dict[str, list[str]]:
    """The stakeholder groups (labels) whose sources evidence each CMOC, in label order."""
    if cmocs.empty or codings.empty:
        return {}
    links = cmoc_codes(cmocs, codebook)
    coded = links.merge(codings[["code_id", "source_id"]], on="code_id")
    groups = (
        sources.set_index("source_id")["stakeholder_group"]
        if "stakeholder_group" in sources
        else pd.Series(dtype="str")
    )
    coded["group"] = coded["source_id"].map(groups)
    order = list(STAKEHOLDER_LABELS)
    out = {}
    for cmoc_id, mine in coded.groupby("cmoc_id", sort=False):
        present = set(mine["group"].dropna())
        ranked = [g for g in order if g in present] + sorted(present - set(order))
        out[cmoc_id] = [stakeholder_label(g) for g in ranked]
    return out


def cmoc_comparison(
    cmocs: pd.DataFrame,
    link: pd.DataFrame,
    evidence: pd.DataFrame,
    site_matrix: pd.DataFrame,
    episodes: pd.DataFrame,
    *,
    codings: pd.DataFrame,
    sources: pd.DataFrame,
    codebook: pd.DataFrame,
    min_n: int = 30,
    threshold: int = 8,
    round_to: int | None = None,
) -> pd.DataFrame:
    """Per CMOC, the qualitative evidence and the quantitative pattern side by side.

    Parameters
    ----------
    cmocs : DataFrame
        The CMOC table.
    link : DataFrame
        :func:`evalkit.realist.cmoc_outcome_link` on the report's episodes.
    evidence : DataFrame
        :func:`evalkit.realist.cmoc_evidence` (its ``all`` rows give the counts).
    site_matrix : DataFrame
        :func:`evalkit.realist.cmoc_site_matrix` (``n_sites_all_elements``).
    episodes : DataFrame
        The episode table; a ``boolean`` outcome column is shown as a percentage.
    codings, sources, codebook : DataFrame
        The qualitative tables in scope (for the names of the stakeholder groups).
    min_n : int
        ``realist.min_n``, for :func:`pattern_explanation`.
    threshold, round_to : int
        Disclosure rules: when either group has 1 to ``threshold - 1`` people, the means, the
        difference and its CI are withheld (NaN) and ``difference_text`` says so.

    Returns
    -------
    DataFrame
        :data:`COMPARISON_COLUMNS`, one row per CMOC in the CMOC table's order. Means,
        difference and CI are in display units: percentages and percentage points for a yes/no
        outcome (``value_unit`` ``"%"``), the outcome's own unit otherwise.
        ``stakeholder_groups`` is a "; "-separated list of labels. ``too_few`` is true when
        the pattern is inconclusive because a group has fewer than ``min_n`` people (a lack of
        numbers, not evidence against the CMOC). ``status`` is the evaluator's, unchanged;
        ``suggested_status`` is evalkit's suggestion.

    Examples
    --------
    >>> import pandas as pd
    >>> cmocs = pd.DataFrame({"cmoc_id": ["C1"], "programme_theory": ["PT1"], "context": ["c"],
    ...     "mechanism_resource": ["r"], "mechanism_reasoning": ["m"], "outcome": ["o"],
    ...     "status": ["initial"]})
    >>> link = pd.DataFrame({"cmoc_id": ["C1"], "outcome_measure": ["quit_4wk_co"],
    ...     "expected_direction": ["higher"], "n_in": [120], "n_out": [300], "mean_in": [0.5],
    ...     "mean_out": [0.3], "difference": [0.2], "ci_lower": [0.1], "ci_upper": [0.3],
    ...     "interaction_p": [0.001], "pattern": ["consistent"], "status": ["initial"],
    ...     "suggested_status": ["supported"]})
    >>> episodes = pd.DataFrame({"quit_4wk_co": pd.array([True, False], dtype="boolean")})
    >>> row = cmoc_comparison(cmocs, link, pd.DataFrame(), pd.DataFrame(), episodes,
    ...     codings=pd.DataFrame(), sources=pd.DataFrame(), codebook=pd.DataFrame()).iloc[0]
    >>> row["difference_text"], row["suggested_status"], row["status"]
    ('20.0 percentage points higher (95% CI 10.0 to 30.0 higher)', 'supported', 'initial')
    """
    totals = (
        evidence[evidence["element"] == "all"].set_index("cmoc_id")
        if len(evidence)
        else pd.DataFrame()
    )
    full = site_matrix.set_index("cmoc_id") if len(site_matrix) else pd.DataFrame()
    groups = _cmoc_groups(cmocs, codings, sources, codebook)
    links = link.set_index("cmoc_id")
    rows = []
    for cmoc in cmocs.to_dict("records"):
        cmoc_id = cmoc["cmoc_id"]
        found = links.loc[cmoc_id] if cmoc_id in links.index else pd.Series(dtype=object)
        outcome = found.get("outcome_measure")
        has_outcome = outcome is not None and not pd.isna(outcome)
        wording = outcome_wording(str(outcome)) if has_outcome else OutcomeWording("")
        yes_no = (
            has_outcome
            and outcome in episodes.columns
            and pd.api.types.is_bool_dtype(episodes[outcome].dtype)
        )
        scale, value_unit, diff_unit = (
            (100.0, "%", "percentage points") if yes_no else (1.0, wording.unit, wording.unit)
        )
        n_in, n_out = _number(found.get("n_in")), _number(found.get("n_out"))
        small = any(0 < n < threshold for n in (n_in, n_out))
        numbers = {
            c: (float("nan") if small else scale * _number(found.get(c)))
            for c in ("mean_in", "mean_out", "difference", "ci_lower", "ci_upper")
        }
        pattern = str(found.get("pattern", "not tested"))
        if pattern == "not tested":
            text = "not tested"
        elif small:
            text = f"not shown: fewer than {threshold} people in a group"
        elif np.isnan(numbers["difference"]) and not (n_in >= min_n and n_out >= min_n):
            text = f"not estimated: fewer than {min_n} people in a group"
        else:
            text = difference_text(
                numbers["difference"], numbers["ci_lower"], numbers["ci_upper"], diff_unit
            )
        rows.append(
            {
                "cmoc_id": cmoc_id,
                **{
                    c: cmoc.get(c, pd.NA)
                    for c in (
                        "programme_theory",
                        "context",
                        "mechanism_resource",
                        "mechanism_reasoning",
                        "outcome",
                    )
                },
                **{
                    c: int(totals.at[cmoc_id, c]) if cmoc_id in totals.index else 0
                    for c in ("n_sources", "n_sites", "n_stakeholder_groups")
                },
                "stakeholder_groups": "; ".join(groups.get(cmoc_id, [])),
                "n_sites_all_elements": (
                    int(full.at[cmoc_id, "n_sites_all_elements"]) if cmoc_id in full.index else 0
                ),
                "outcome_measure": outcome if has_outcome else pd.NA,
                "outcome_label": wording.label if has_outcome else pd.NA,
                "value_unit": value_unit if has_outcome else pd.NA,
                "n_in": n_in,
                "n_out": n_out,
                **numbers,
                "difference_unit": diff_unit if has_outcome else pd.NA,
                "difference_text": text,
                "pattern": pattern,
                "pattern_text": PATTERN_TEXT.get(pattern, humanise(pattern)),
                "too_few": pattern == "inconclusive" and not (n_in >= min_n and n_out >= min_n),
                "explanation": pattern_explanation(
                    {**found.to_dict(), "pattern": pattern},
                    min_n=min_n,
                    threshold=threshold,
                    round_to=round_to,
                ),
                "suggested_status": SUGGESTED_STATUS.get(pattern),
                "status": cmoc.get("status", pd.NA),
            }
        )
    table = pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
    return table.astype({"n_in": "Int64", "n_out": "Int64"})
