"""How the main outcomes vary from the most to the least deprived areas, in one table.

For each outcome in :data:`MAIN_OUTCOMES` the Slope Index of Inequality (SII) and Relative Index
of Inequality (RII) across IMD quintiles come from
:func:`evalkit.equity.deprivation.sii_for_outcome`; this
module adds what a reader needs: how many people each rests on, whether any quintile is too small
to show, and a finding in words that takes account of which direction is better.

Examples
--------
>>> FINDINGS["worse_in_deprived"]
'worse in more deprived areas'
>>> [o.column for o in MAIN_OUTCOMES][:2]
['completed', 'wemwbs_change']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from evalkit.equity.deprivation import outcome_by_imd_quintile, sii_for_outcome
from evalkit.errors import StatisticsError
from evalkit.present.wording import NOT_AVAILABLE

__all__ = [
    "FINDINGS",
    "GRADIENT_COLUMNS",
    "GRADIENT_TEXT_COLUMNS",
    "MAIN_OUTCOMES",
    "GradientOutcome",
    "gradient_text_table",
    "outcome_gradients",
]


@dataclass(frozen=True)
class GradientOutcome:
    """An episode-table outcome to summarise across deprivation.

    ``column`` is true/false (a proportion) or numeric (a mean); ``better`` says which way is
    better ("higher" or "lower"); ``unit`` names the units of a mean for the reader.
    """

    column: str
    label: str
    better: str = "higher"
    unit: str = ""

    def __post_init__(self) -> None:
        if self.better not in ("higher", "lower"):
            raise StatisticsError(
                f"outcome '{self.column}': better must be 'higher' or 'lower', not {self.better!r}."
            )


#: The outcomes the reach and equity page summarises.
MAIN_OUTCOMES: tuple[GradientOutcome, ...] = (
    GradientOutcome("completed", "Referrals who completed their programme"),
    GradientOutcome(
        "wemwbs_change", "Change in wellbeing (WEMWBS), start to end", unit="WEMWBS points"
    ),
    GradientOutcome("quit_4wk_co", "Smokers setting a quit date who quit (CO-confirmed)"),
    GradientOutcome("weight_loss_5pct", "Clients losing at least 5% of their weight"),
    GradientOutcome("became_more_active", "Clients who became more active"),
)

#: Findings in words (the ``finding`` column holds the keys).
FINDINGS: Mapping[str, str] = {
    "worse_in_deprived": "worse in more deprived areas",
    "better_in_deprived": "better in more deprived areas",
    "no_clear_gradient": "no clear difference by deprivation",
    "not_estimated": "not estimated",
}

#: Columns of :func:`outcome_gradients`.
GRADIENT_COLUMNS = [
    "outcome",
    "label",
    "value_type",
    "better",
    "unit",
    "n",
    "smallest_quintile_n",
    "sii",
    "sii_lower",
    "sii_upper",
    "rii",
    "rii_lower",
    "rii_upper",
    "finding",
    "note",
]
#: Columns of :func:`gradient_text_table`.
GRADIENT_TEXT_COLUMNS = ["People", "Gap (SII)", "95% CI", "Ratio (RII)", "What this means"]
_ESTIMATES = ["sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper"]


def _finding(sii: float, lower: float, upper: float, better: str) -> str:
    if np.isnan(sii) or np.isnan(lower) or np.isnan(upper):
        return "not_estimated"
    if lower <= 0 <= upper:
        return "no_clear_gradient"
    higher_where_less_deprived = sii > 0
    if higher_where_less_deprived == (better == "higher"):
        return "worse_in_deprived"
    return "better_in_deprived"


def outcome_gradients(
    episodes: pd.DataFrame,
    outcomes: Sequence[GradientOutcome] = MAIN_OUTCOMES,
    *,
    min_quintile_n: int = 8,
    reps: int = 100_000,
    seed: int | None = None,
) -> pd.DataFrame:
    """SII and RII of each outcome across IMD quintiles, with a finding in words.

    Parameters
    ----------
    episodes : DataFrame
        The episode table (``imd_quintile`` and the outcome columns).
    outcomes : sequence of GradientOutcome
        Default :data:`MAIN_OUTCOMES`. An outcome column missing from the table gives a row
        with a note rather than an error.
    min_quintile_n : int, default 8
        If any quintile has fewer people with the outcome recorded than this (the disclosure
        threshold), no SII is shown for that outcome: a quintile's value would rest on a
        small number of people.
    reps, seed : int
        Simulations and seed of the confidence intervals (:func:`evalkit.equity.deprivation.sii`).

    Returns
    -------
    DataFrame
        One row per outcome, columns :data:`GRADIENT_COLUMNS`: ``outcome``, ``label``,
        ``value_type`` ("proportion" or "mean"), ``better``, ``unit``, ``n`` (people with
        the outcome and a quintile recorded), ``smallest_quintile_n``, ``sii`` (modelled least
        minus most deprived, in the outcome's units: a proportion 0-1 or the mean's units),
        ``sii_lower``, ``sii_upper``, ``rii`` (least / most deprived), ``rii_lower``,
        ``rii_upper``, ``finding`` (a key of :data:`FINDINGS`: the direction only counts when
        the 95% CI excludes 0) and ``note``.

    Examples
    --------
    >>> episodes = pd.DataFrame({"imd_quintile": np.repeat([1, 2, 3, 4, 5], 20),
    ...     "score_change": np.tile(np.arange(20.0), 5) + np.repeat([0, 1, 2, 3, 4], 20)})
    >>> result = outcome_gradients(
    ...     episodes, [GradientOutcome("score_change", "Change")], reps=1000, seed=1)
    >>> result[["outcome", "n", "sii", "finding"]].round(2)
            outcome    n  sii            finding
    0  score_change  100  5.0  worse_in_deprived
    """
    rows = []
    for outcome in outcomes:
        row: dict[str, object] = {
            "outcome": outcome.column,
            "label": outcome.label,
            "better": outcome.better,
            "unit": outcome.unit,
        }
        if outcome.column not in episodes.columns:
            rows.append(row | {"note": f"'{outcome.column}' is not in the episode table"})
            continue
        by_quintile = outcome_by_imd_quintile(episodes, outcome.column)
        smallest = int(by_quintile["n"].min())
        row |= {
            "value_type": by_quintile["value_type"].iat[0],
            "n": int(by_quintile["n"].sum()),
            "smallest_quintile_n": smallest,
        }
        if smallest < min_quintile_n:
            quintile = int(by_quintile["quintile"].iat[int(by_quintile["n"].argmin())])
            rows.append(
                row
                | {
                    "note": f"IMD quintile {quintile} has fewer than {min_quintile_n} people "
                    f"with this outcome recorded, so no gap is shown"
                }
            )
            continue
        result = sii_for_outcome(episodes, outcome.column, reps=reps, seed=seed).iloc[0]
        row |= {name: float(result[name]) for name in _ESTIMATES}
        row["note"] = None if pd.isna(result["note"]) else str(result["note"])
        rows.append(row)
    table = pd.DataFrame(rows).reindex(columns=GRADIENT_COLUMNS)
    table[_ESTIMATES] = table[_ESTIMATES].astype(float)
    table[["n", "smallest_quintile_n"]] = table[["n", "smallest_quintile_n"]].astype("Int64")
    table["finding"] = [
        _finding(r.sii, r.sii_lower, r.sii_upper, r.better) for r in table.itertuples()
    ]
    for column in ("outcome", "label", "value_type", "better", "unit", "finding", "note"):
        table[column] = table[column].astype("str")
    return table


def _signed(value: float, value_type: str) -> str:
    if np.isnan(value):
        return NOT_AVAILABLE
    if value_type == "proportion":
        return f"{100 * value:+.1f}"
    return f"{value:+.1f}"


def _units(row: pd.Series) -> str:
    if row["value_type"] == "proportion":
        return " percentage points"
    return f" {row['unit']}" if isinstance(row["unit"], str) and row["unit"] else ""


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def gradient_text_table(gradients: pd.DataFrame) -> pd.DataFrame:
    """:func:`outcome_gradients` as a table of text for a report.

    The gap (SII) is signed: positive means the outcome is higher at the least deprived end.
    The ratio (RII) is shown for proportions only: for a change score that can be near zero
    or negative, a ratio is not meaningful. An outcome without an estimate reads "Not
    estimated", with the reason.

    Returns
    -------
    DataFrame
        Indexed by outcome label; columns :data:`GRADIENT_TEXT_COLUMNS`. ``People`` is a count
        (``Int64``) for :func:`evalkit.present.tables.show_table`; the rest are text.

    Examples
    --------
    >>> g = pd.DataFrame({"label": ["Quit"], "value_type": ["proportion"], "unit": [""],
    ...     "n": [400], "sii": [0.077], "sii_lower": [-0.091], "sii_upper": [0.249],
    ...     "rii": [1.218], "rii_lower": [0.794], "rii_upper": [1.932],
    ...     "finding": ["no_clear_gradient"], "note": [None]})
    >>> gradient_text_table(g).loc["Quit"].tolist()[1:]
    ['+7.7 percentage points', '-9.1 to +24.9', '1.22 (0.79 to 1.93)', 'No clear difference by deprivation']
    """  # noqa: E501
    texts = []
    for _, row in gradients.iterrows():
        if np.isnan(row["sii"]):
            reason = row["note"] if isinstance(row["note"], str) else "no estimate"
            texts.append(
                {
                    "People": row["n"],
                    "Gap (SII)": "Not estimated",
                    "95% CI": "",
                    "Ratio (RII)": "",
                    "What this means": _sentence_case(reason),
                }
            )
            continue
        if row["value_type"] == "proportion" and not np.isnan(row["rii"]):
            ratio = f"{row['rii']:.2f}"
            if not np.isnan(row["rii_lower"]):
                ratio += f" ({row['rii_lower']:.2f} to {row['rii_upper']:.2f})"
        else:
            ratio = "Not used for averages" if row["value_type"] == "mean" else NOT_AVAILABLE
        interval = NOT_AVAILABLE
        if not np.isnan(row["sii_lower"]):
            interval = (
                f"{_signed(row['sii_lower'], row['value_type'])} to "
                f"{_signed(row['sii_upper'], row['value_type'])}"
            )
        texts.append(
            {
                "People": row["n"],
                "Gap (SII)": _signed(row["sii"], row["value_type"]) + _units(row),
                "95% CI": interval,
                "Ratio (RII)": ratio,
                "What this means": _sentence_case(FINDINGS[row["finding"]]),
            }
        )
    table = pd.DataFrame(texts, columns=GRADIENT_TEXT_COLUMNS, index=gradients["label"].tolist())
    table["People"] = pd.to_numeric(table["People"]).astype("Int64")
    return table
