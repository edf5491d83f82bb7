"""For whom did it work? The rows of :func:`evalkit.outcomes.for_whom` as a report shows them.

:func:`forest_rows` puts one model's subgroup estimates in reading order with plain-English
labels (from :mod:`evalkit.present.labels`); :func:`strongest_difference` picks the subgroup
difference
with the strongest evidence, for the page's headline and the executive summary.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({
...     "factor": ["delivery_mode"] * 2, "level": ["peer_led", "face_to_face"],
...     "model": ["ancova_hc3"] * 2, "n": [40, 90], "is_reference": [False, True],
...     "adjusted_change": [4.5, 3.3], "ci_lower": [3.2, 2.5], "ci_upper": [5.8, 4.1],
...     "difference": [1.2, 0.0], "difference_ci_lower": [-0.4, None],
...     "difference_ci_upper": [2.7, None], "p_value": [0.13, None], "p_holm": [0.13, None],
...     "interaction_p": [0.13, 0.13], "interaction_p_holm": [0.13, 0.13], "note": ["", ""]})
>>> forest_rows(table)["row_label"].tolist()
['How support was delivered: Face to face (reference)', 'How support was delivered: Peer-led']
>>> strongest_difference(table)[["level_label", "reference_label", "difference"]]
  level_label reference_label  difference
0    Peer-led    Face to face         1.2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from evalkit.outcomes import FOR_WHOM_COLUMNS
from evalkit.outcomes.pairing import require_columns
from evalkit.outcomes.subgroups import MISSING_LEVEL
from evalkit.present.labels import VALUE_LABELS, column_label, value_label

__all__ = [
    "FACTOR_HEADINGS",
    "FACTOR_TEST_COLUMNS",
    "FOREST_ROW_COLUMNS",
    "FOR_WHOM_FACTORS",
    "STRONGEST_DIFFERENCE_COLUMNS",
    "factor_tests",
    "forest_rows",
    "strongest_difference",
]

#: Subgroups the wellbeing page compares, in the order it lists them.
FOR_WHOM_FACTORS: tuple[str, ...] = (
    "imd_quintile",
    "delivery_mode",
    "age_band",
    "referral_source",
    "provider",
)

#: Short headings for factors whose column label is too long to repeat on every row.
FACTOR_HEADINGS: Mapping[str, str] = {"imd_quintile": "IMD quintile"}

#: Columns of :func:`forest_rows`.
FOREST_ROW_COLUMNS = (
    "factor",
    "factor_label",
    "level",
    "level_label",
    "row_label",
    *[c for c in FOR_WHOM_COLUMNS if c not in ("factor", "level", "model")],
)

#: Columns of :func:`strongest_difference`.
STRONGEST_DIFFERENCE_COLUMNS = (
    "factor",
    "factor_label",
    "level",
    "level_label",
    "reference_level",
    "reference_label",
    "n",
    "reference_n",
    "difference",
    "difference_ci_lower",
    "difference_ci_upper",
    "p_value",
    "p_holm",
    "interaction_p_holm",
    "n_comparisons",
    "clear",
)

#: Columns of :func:`factor_tests`.
FACTOR_TEST_COLUMNS = (
    "factor",
    "factor_label",
    "n_groups",
    "n_groups_modelled",
    "interaction_p",
    "interaction_p_holm",
    "clear",
    "note",
)


def _heading(factor: str) -> str:
    return FACTOR_HEADINGS.get(factor, column_label(factor))


def _level_label(factor: str, level: str) -> str:
    """Label of a level that :func:`~evalkit.outcomes.for_whom` stored as text ("1", not 1)."""
    if level == MISSING_LEVEL:
        return value_label(factor, None)
    by_text = {str(code): label for code, label in VALUE_LABELS.get(factor, {}).items()}
    return by_text.get(level, value_label(factor, level))


def _level_rank(factor: str, levels: pd.Series) -> pd.Series:
    """Labelled codes first in :data:`~evalkit.present.labels.VALUE_LABELS` order, then the others
    in
    their table order, and "missing" last."""
    known = [str(code) for code in VALUE_LABELS.get(factor, {})]
    rank = levels.map(lambda v: known.index(v) if v in known else len(known)).astype(float)
    return rank.where(levels != MISSING_LEVEL, np.inf)


def forest_rows(
    table: pd.DataFrame,
    model: str = "ancova_hc3",
    factors: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One model's rows of a :func:`~evalkit.outcomes.for_whom` table, labelled and ordered.

    Parameters
    ----------
    table : DataFrame
        :func:`evalkit.outcomes.for_whom` output.
    model : str
        Which model's rows (``"ancova_hc3"`` or ``"mixed_site"``).
    factors : sequence of str, optional
        Factors to keep, in this order; default every factor in the table's order.

    Returns
    -------
    DataFrame
        :data:`FOREST_ROW_COLUMNS`: ``factor_label`` (e.g. "Age group"), ``level_label`` (e.g.
        "16 to 24"; clients with the factor not recorded are "Not recorded"), ``row_label``
        ("Age group: 16 to 24"; the reference level is marked "(reference)" when the factor
        has a comparison, i.e. at least two estimated subgroups), then the other
        :func:`~evalkit.outcomes.for_whom` columns ``table`` has (all but ``model``). Within a
        factor, levels follow :data:`evalkit.present.labels.VALUE_LABELS` (IMD quintile 1 first),
        others keep the table's order, and "Not recorded" comes last. Every row of the model
        is kept, estimated or not.

    Raises
    ------
    StatisticsError
        If ``table`` lacks a column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"factor": ["imd_quintile"] * 3, "level": ["5", "1", "missing"],
    ...                   "model": ["ancova_hc3"] * 3, "n": [30, 60, 4],
    ...                   "is_reference": [False, True, False],
    ...                   "adjusted_change": [2.9, 4.0, None]})
    >>> forest_rows(t)["row_label"].tolist()
    ['IMD quintile: 1 (most deprived) (reference)', 'IMD quintile: 5 (least deprived)', \
'IMD quintile: Not recorded']
    """
    require_columns(
        table, ["factor", "level", "model", "is_reference", "adjusted_change"], "for_whom table"
    )
    rows = table.loc[table["model"] == model].copy()
    order = list(factors) if factors is not None else list(dict.fromkeys(rows["factor"]))
    rows = rows.loc[rows["factor"].isin(order)]
    rows["level"] = rows["level"].astype(str)
    parts = []
    for factor in order:
        part = rows.loc[rows["factor"] == factor]
        part = part.assign(_rank=_level_rank(factor, part["level"]), _pos=range(len(part)))
        part = part.sort_values(["_rank", "_pos"]).drop(columns=["_rank", "_pos"])
        heading = _heading(factor)
        labels = part["level"].map(lambda v, f=factor: _level_label(f, v))
        compared = part["adjusted_change"].notna().sum() >= 2
        marks = np.where(part["is_reference"].astype(bool) & compared, " (reference)", "")
        parts.append(
            part.assign(
                factor_label=heading,
                level_label=labels,
                row_label=heading + ": " + labels + marks,
            )
        )
    labels = ("factor_label", "level_label", "row_label")
    columns = [c for c in FOREST_ROW_COLUMNS if c in labels or c in rows.columns]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def strongest_difference(
    table: pd.DataFrame, model: str = "ancova_hc3", alpha: float = 0.05
) -> pd.DataFrame:
    """The subgroup difference with the strongest evidence in one model.

    The strongest is the non-reference subgroup with the smallest Holm-adjusted p-value (ties,
    common when Holm caps p at 1, are broken by the unadjusted p-value, then by the larger
    absolute difference).

    Parameters
    ----------
    table : DataFrame
        :func:`evalkit.outcomes.for_whom` output.
    model : str
        Which model's rows.
    alpha : float
        Holm-adjusted p-value below which the difference is called ``clear``.

    Returns
    -------
    DataFrame
        One row, :data:`STRONGEST_DIFFERENCE_COLUMNS` (no rows when no difference could be
        estimated): the factor and level with their labels, the reference level, ``n`` and
        ``reference_n`` paired clients in the subgroup and in the reference subgroup, the
        ``difference`` in adjusted change versus the reference with its CI, ``p_value``,
        ``p_holm`` (adjusted across every subgroup compared), ``interaction_p_holm`` (does
        change differ at all across the factor's subgroups), ``n_comparisons`` (subgroups
        compared with their reference, across all factors: the number Holm's adjustment allows
        for) and ``clear`` (``p_holm < alpha``).

    Raises
    ------
    StatisticsError
        If ``table`` lacks a column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"factor": ["sex"] * 2, "level": ["male", "female"],
    ...                   "model": ["ancova_hc3"] * 2, "n": [50, 60],
    ...                   "is_reference": [False, True], "difference": [-2.0, 0.0],
    ...                   "difference_ci_lower": [-3.5, np.nan],
    ...                   "difference_ci_upper": [-0.5, np.nan], "p_value": [0.01, np.nan],
    ...                   "p_holm": [0.01, np.nan], "interaction_p_holm": [0.01, 0.01]})
    >>> strongest_difference(t)[["level_label", "reference_label", "clear"]]
      level_label reference_label  clear
    0        Male          Female   True
    """
    require_columns(
        table,
        [
            "factor",
            "level",
            "model",
            "n",
            "is_reference",
            "difference",
            "difference_ci_lower",
            "difference_ci_upper",
            "p_value",
            "p_holm",
            "interaction_p_holm",
        ],
        "for_whom table",
    )
    rows = table.loc[(table["model"] == model) & table["p_holm"].notna()].copy()
    if rows.empty:
        return pd.DataFrame(columns=list(STRONGEST_DIFFERENCE_COLUMNS))
    rows["_size"] = -rows["difference"].abs()
    best = rows.sort_values(["p_holm", "p_value", "_size"], kind="stable").iloc[0]
    factor, level = str(best["factor"]), str(best["level"])
    same_factor = table.loc[(table["model"] == model) & (table["factor"] == best["factor"])]
    reference = same_factor.loc[same_factor["is_reference"].astype(bool)]
    reference_level = str(reference["level"].iloc[0]) if len(reference) else None
    row = {
        "factor": factor,
        "factor_label": _heading(factor),
        "level": level,
        "level_label": _level_label(factor, level),
        "reference_level": reference_level,
        "reference_label": (
            _level_label(factor, reference_level) if reference_level is not None else None
        ),
        "n": int(best["n"]),
        "reference_n": int(reference["n"].iloc[0]) if len(reference) else None,
        **{
            c: float(best[c])
            for c in (
                "difference",
                "difference_ci_lower",
                "difference_ci_upper",
                "p_value",
                "p_holm",
                "interaction_p_holm",
            )
        },
        "n_comparisons": len(rows),
        "clear": bool(best["p_holm"] < alpha),
    }
    return pd.DataFrame([row], columns=list(STRONGEST_DIFFERENCE_COLUMNS))


def factor_tests(
    table: pd.DataFrame, model: str = "ancova_hc3", alpha: float = 0.05
) -> pd.DataFrame:
    """Per factor: does change differ at all between its subgroups?

    Parameters
    ----------
    table : DataFrame
        :func:`evalkit.outcomes.for_whom` output.
    model : str
        Which model's rows.
    alpha : float
        Holm-adjusted p-value below which the factor's subgroups are called ``clear``-ly
        different.

    Returns
    -------
    DataFrame
        :data:`FACTOR_TEST_COLUMNS`, one row per factor in the table's order: ``n_groups``
        (levels, including "not recorded"), ``n_groups_modelled`` (levels with an estimate),
        the joint test ``interaction_p`` that every subgroup changes alike and its
        Holm-adjusted ``interaction_p_holm`` (across factors), ``clear``
        (``interaction_p_holm < alpha``), and ``note`` saying why a test is missing.

    Raises
    ------
    StatisticsError
        If ``table`` lacks a column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"factor": ["sex", "sex", "site"], "level": ["f", "m", "N"],
    ...                   "model": ["ancova_hc3"] * 3, "adjusted_change": [3.0, 2.0, None],
    ...                   "interaction_p": [0.01, 0.01, None],
    ...                   "interaction_p_holm": [0.02, 0.02, None]})
    >>> tests = factor_tests(t)
    >>> tests[["factor_label", "n_groups_modelled", "clear"]]
      factor_label  n_groups_modelled  clear
    0          Sex                  2   True
    1         Site                  0  False
    >>> tests.loc[1, "note"]
    'fewer than 2 groups could be compared'
    """
    require_columns(
        table,
        ["factor", "level", "model", "adjusted_change", "interaction_p", "interaction_p_holm"],
        "for_whom table",
    )
    rows = []
    for factor, part in table.loc[table["model"] == model].groupby("factor", sort=False):
        p_holm = part["interaction_p_holm"].dropna()
        modelled = int(part["adjusted_change"].notna().sum())
        rows.append(
            {
                "factor": factor,
                "factor_label": _heading(str(factor)),
                "n_groups": len(part),
                "n_groups_modelled": modelled,
                "interaction_p": part["interaction_p"].dropna().min(),
                "interaction_p_holm": p_holm.min(),
                "clear": bool(len(p_holm) and p_holm.min() < alpha),
                "note": "" if len(p_holm) else "fewer than 2 groups could be compared",
            }
        )
    return pd.DataFrame(rows, columns=list(FACTOR_TEST_COLUMNS))
