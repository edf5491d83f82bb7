"""Names that must agree between the data and the config: providers and sites.

A provider or site written differently in an extract than in ``evaluation.yml`` ("Northgate NHS
Trust" for "Northgate NHS Foundation Trust", "north" for "North") would otherwise reach the
report as a second provider or site. Validation (:mod:`evalkit.data.validate`) calls
:func:`unconfigured_names`: each such name is an error, once per file and value, with the
nearest configured name suggested, and its rows are set aside until the name is corrected.
A name is checked only against a configured list: an evaluation that lists no sites accepts any.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from evalkit.config import EvaluationConfig

__all__ = ["NAMED_COLUMNS", "nearest_name", "unconfigured_names"]

#: Table -> columns holding a name that must be one the config lists (``providers`` or
#: ``sites``). Strands are a fixed vocabulary, checked by the schema.
NAMED_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "participants": {"provider": "providers", "site": "sites"},
    "sources": {"site": "sites", "provider": "providers"},
}


def nearest_name(name: str, configured: Sequence[str]) -> str | None:
    """The configured name nearest to ``name`` (case, spaces and spelling), or None.

    Examples
    --------
    >>> nearest_name("north ", ["North", "South"])
    'North'
    >>> nearest_name("Northgate NHS Trust", ["Northgate NHS Foundation Trust", "Anytown Council"])
    'Northgate NHS Foundation Trust'
    >>> nearest_name("Elsewhere", ["North", "South"]) is None
    True
    """
    folded = {" ".join(c.lower().split()): c for c in configured}
    given = " ".join(str(name).lower().split())
    if given in folded:
        return folded[given]
    near = difflib.get_close_matches(given, list(folded), n=1, cutoff=0.6)
    return folded[near[0]] if near else None


def _configured(config: EvaluationConfig, kind: str) -> list[str]:
    if kind == "providers":
        return [str(p["name"]) for p in config.providers]
    return list(config.sites)


def unconfigured_names(
    tables: Mapping[str, tuple[Any, ...]], config: EvaluationConfig | None
) -> list[dict[str, Any]]:
    """Errors for provider and site names in the data that the config does not list.

    Parameters
    ----------
    tables : mapping
        Validation's tables: name -> ``(frame, raw, why, file, row)``; a row's reason is
        appended to ``why`` (which sets the row aside).
    config : EvaluationConfig or None
        Without one, or for a list the config leaves empty, nothing is checked.

    Returns
    -------
    list of dict
        One issue (``severity, file, row, table, column, value, rule, hint``) per file, column
        and unconfigured value, at its first row, naming how many rows it is on.

    Examples
    --------
    >>> from pathlib import Path
    >>> cfg = EvaluationConfig(name="Demo", data_dir=Path("."), sites=["North", "South"])
    >>> frame = pd.DataFrame({"site": ["North", "north", "north"]})
    >>> why = pd.Series([[], [], []])
    >>> tables = {"participants": (frame, frame, why, pd.Series(["a.csv"] * 3),
    ...                            pd.Series([2, 3, 4]))}
    >>> [(int(i["row"]), i["value"], i["hint"]) for i in unconfigured_names(tables, cfg)]
    [(3, 'north', "'north' is not a site in evaluation.yml (on 2 rows): did you mean 'North'?")]
    >>> why.map(len).tolist()
    [0, 1, 1]
    """
    if config is None:
        return []
    source = config.path.name if config.path is not None else "evaluation.yml"
    issues = []
    for table, columns in NAMED_COLUMNS.items():
        if table not in tables:
            continue
        frame, raw, why, file, row = tables[table][:5]
        for column, kind in columns.items():
            configured = _configured(config, kind)
            if frame.empty or column not in frame.columns or not configured:
                continue
            values = frame[column]
            unknown = values.notna() & ~values.astype("string").isin(configured)
            if not unknown.any():
                continue
            what = kind.removesuffix("s")
            for (name, value), group in pd.DataFrame(
                {"file": file[unknown], "value": values[unknown]}
            ).groupby(["file", "value"], sort=False):
                near = nearest_name(str(value), configured)
                fix = (
                    f"did you mean {near!r}?"
                    if near is not None
                    else f"the configured {kind}: {', '.join(configured)}"
                )
                count = f" (on {len(group)} rows)" if len(group) > 1 else ""
                issues.append(
                    {
                        "severity": "error",
                        "file": name,
                        "row": row[group.index[0]],
                        "table": table,
                        "column": column,
                        "value": raw.at[group.index[0], column],
                        "rule": f"{what} not in {source}",
                        "hint": f"{value!r} is not a {what} in {source}{count}: {fix}",
                    }
                )
                for index in group.index:
                    why[index].append(f"{column}: {what} {value!r} is not in {source}")
    return issues
