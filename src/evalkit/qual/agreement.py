"""Inter-coder agreement: percent agreement, Cohen's kappa and Krippendorff's alpha on units.

Realist teams double-code a share of their sources and compare. Two coders rarely select the
same characters, so agreement is measured on **units** of the text: each unit is rated, for each
code, "coded" or "not coded" by each coder who coded that source (a coding covers a unit when
they share at least one character). The unit is configurable:

* ``"sentence"`` — sentences, split after ``.``, ``!``, ``?`` or ``…`` followed by a space, and at
  line breaks (an abbreviation such as "Dr." also ends a sentence);
* ``"paragraph"`` — lines of text (line breaks end a paragraph; blank lines are skipped), which is
  how interview transcripts hold one speaker turn;
* ``"character"`` — every character, as NVivo's coding comparison counts;
* ``"excerpt"`` — for coding without positions (a Taguette export): each distinct excerpt text of
  a source is a unit, so only identical selections agree.

Only **double-coded sources** (coded by two or more coders) count, and a coder rates only the
sources they coded (a coder with no coding in a source did not code it). The ratings are handed to
the libraries: Cohen's kappa to :func:`statsmodels.stats.inter_rater.cohens_kappa` (exactly two
coders), Krippendorff's alpha (nominal; any number of coders, missing ratings allowed) to
:func:`krippendorff.alpha`. Agreement on the **realist kind** rates each unit "context",
"mechanism" (resource or reasoning) and "outcome" the same way, from each code's ``kind``.

References
----------
Cohen J (1960). A coefficient of agreement for nominal scales. Educational and Psychological
Measurement 20:37-46. Krippendorff K (2011). Computing Krippendorff's alpha-reliability.
Annenberg School for Communication, University of Pennsylvania (the worked examples the tests
reproduce).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Literal

import krippendorff
import numpy as np
import pandas as pd
from statsmodels.stats.inter_rater import cohens_kappa

from evalkit.errors import QualImportError
from evalkit.qual.code_kinds import assign_code_kinds

__all__ = [
    "AGREEMENT_COLUMNS",
    "DISAGREEMENT_COLUMNS",
    "DOUBLE_CODING_COLUMNS",
    "REALIST_KINDS",
    "UNITS",
    "coder_ratings",
    "disagreements",
    "double_coding",
    "intercoder_agreement",
    "reliability",
    "text_units",
]

Unit = Literal["sentence", "paragraph", "character", "excerpt"]
Level = Literal["code", "kind"]

#: The units agreement can be measured on.
UNITS: tuple[str, ...] = ("sentence", "paragraph", "character", "excerpt")

#: A code's ``kind`` -> the realist element coders are compared on (``other`` is not one).
REALIST_KINDS: Mapping[str, str] = {
    "context": "context",
    "mechanism_resource": "mechanism",
    "mechanism_reasoning": "mechanism",
    "outcome": "outcome",
}

#: Columns of :func:`intercoder_agreement` (pingouin-style: one row per code or kind, then "all").
AGREEMENT_COLUMNS = (
    "level",
    "item",
    "label",
    "unit",
    "n_sources",
    "n_coders",
    "n_units",
    "units_coded",
    "percent_agreement",
    "cohen_kappa",
    "krippendorff_alpha",
)

#: Columns of :func:`disagreements`.
DISAGREEMENT_COLUMNS = (
    "source_id",
    "source_name",
    "unit_index",
    "start",
    "end",
    "excerpt",
    "level",
    "item",
    "label",
    "coded_by",
    "not_coded_by",
)

#: Columns of :func:`double_coding`.
DOUBLE_CODING_COLUMNS = (
    "n_sources",
    "n_double_coded",
    "share_double_coded",
    "n_coders",
    "coders",
)

_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(\s+)")
_LINE = re.compile(r"[^\r\n]+")


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def text_units(texts: Mapping[str, str], unit: Unit = "sentence") -> pd.DataFrame:
    """Cut each source text into units: sentences, paragraphs (lines) or characters.

    Parameters
    ----------
    texts : mapping of str to str
        ``source_id`` -> the source's plain text (``QualProject.texts``).
    unit : {"sentence", "paragraph", "character"}
        See the module docstring.

    Returns
    -------
    DataFrame
        ``source_id``, ``unit_index`` (from 0 in each source), ``start``, ``end`` (code points,
        end exclusive, surrounding white space left out), ``text``.

    Examples
    --------
    >>> units = text_units({"S1": "I came. It helped!\\n\\nInterviewer: why?"}, "sentence")
    >>> units["text"].tolist()
    ['I came.', 'It helped!', 'Interviewer: why?']
    >>> text_units({"S1": "One.\\nTwo."}, "paragraph")[["start", "end"]].values.tolist()
    [[0, 4], [5, 9]]
    """
    if unit not in ("sentence", "paragraph", "character"):
        raise QualImportError(
            f"unit {unit!r}: text units are sentence, paragraph or character ('excerpt' units "
            "come from the codings themselves)."
        )
    rows: list[tuple[str, int, int, int, str]] = []
    for source_id, text in texts.items():
        spans: list[tuple[int, int]] = []
        if unit == "character":
            spans = [(i, i + 1) for i in range(len(text))]
        else:
            for line in _LINE.finditer(text):
                a, b = _strip_span(text, line.start(), line.end())
                if a == b:
                    continue
                if unit == "paragraph":
                    spans.append((a, b))
                    continue
                cut = a
                for end in _SENTENCE_END.finditer(text, a, b):
                    spans.append(_strip_span(text, cut, end.start(1)))
                    cut = end.end()
                spans.append(_strip_span(text, cut, b))
        spans = [(a, b) for a, b in spans if b > a]
        rows += [(source_id, i, a, b, text[a:b]) for i, (a, b) in enumerate(spans)]
    return pd.DataFrame(rows, columns=["source_id", "unit_index", "start", "end", "text"])


def _coders_by_source(codings: pd.DataFrame) -> pd.Series:
    """source_id -> sorted coders who coded it (codings without a coder are left out)."""
    if "coder" not in codings.columns:
        return pd.Series([], dtype="object")
    named = codings[codings["coder"].notna() & (codings["coder"].astype(str) != "")]
    return named.groupby("source_id")["coder"].agg(lambda s: sorted(set(map(str, s))))


def double_coding(codings: pd.DataFrame, sources: pd.DataFrame | None = None) -> pd.DataFrame:
    """How much of the coding was done twice: sources coded by two or more coders.

    Parameters
    ----------
    codings : DataFrame
        ``source_id`` and ``coder``.
    sources : DataFrame, optional
        The sources table; its ``source_id`` count is the denominator (default: sources with
        codings).

    Returns
    -------
    DataFrame
        One row, :data:`DOUBLE_CODING_COLUMNS`; ``coders`` is the ``;``-joined coder names.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"source_id": ["S1", "S1", "S2", "S3"],
    ...                         "coder": ["ann", "ben", "ann", "ann"]})
    >>> double_coding(codings).iloc[0].to_dict()  # doctest: +NORMALIZE_WHITESPACE
    {'n_sources': 3, 'n_double_coded': 1, 'share_double_coded': 0.3333333333333333,
     'n_coders': 2, 'coders': 'ann;ben'}
    """
    by_source = _coders_by_source(codings)
    total = (
        int(sources["source_id"].nunique())
        if sources is not None
        else int(codings["source_id"].nunique())
    )
    doubled = int((by_source.map(len) >= 2).sum())
    coders = sorted({c for names in by_source for c in names})
    return pd.DataFrame(
        [
            {
                "n_sources": total,
                "n_double_coded": doubled,
                "share_double_coded": doubled / total if total else float("nan"),
                "n_coders": len(coders),
                "coders": ";".join(coders),
            }
        ],
        columns=list(DOUBLE_CODING_COLUMNS),
    )


def _items(codings: pd.DataFrame, codebook: pd.DataFrame | None, level: Level) -> pd.Series:
    """Each coding's item: its code_id, or its realist element (NA for other kinds)."""
    if level == "code":
        return codings["code_id"].astype(str)
    if level != "kind":
        raise QualImportError(f"level {level!r}: agreement is on a 'code' or its 'kind'.")
    if codebook is None:
        raise QualImportError("agreement on the realist kind needs the codebook (with kinds).")
    book = codebook if "kind" in codebook.columns else assign_code_kinds(codebook)
    kinds = dict(zip(book["code_id"].astype(str), book["kind"], strict=True))
    return codings["code_id"].astype(str).map(kinds).map(REALIST_KINDS)


def coder_ratings(
    codings: pd.DataFrame,
    texts: Mapping[str, str] | None = None,
    *,
    codebook: pd.DataFrame | None = None,
    unit: Unit = "sentence",
    level: Level = "code",
) -> pd.DataFrame:
    """Each coder's rating of each unit of each double-coded source, for each code or kind.

    Parameters
    ----------
    codings : DataFrame
        Canonical codings with ``coder`` (and ``start``/``end`` unless ``unit="excerpt"``).
    texts : mapping, optional
        ``source_id`` -> text; needed for every unit but ``"excerpt"``.
    codebook : DataFrame, optional
        Needed for ``level="kind"`` (its ``kind`` column, or evalkit's default kind rules).
    unit : {"sentence", "paragraph", "character", "excerpt"}
    level : {"code", "kind"}
        Rate each code, or each realist element (context, mechanism, outcome).

    Returns
    -------
    DataFrame
        One row per source, unit, item and coder who coded the source: ``source_id``,
        ``unit_index``, ``start``, ``end``, ``text``, ``item``, ``coder``, ``coded`` (bool).
        Items are those any coder applied in the double-coded sources.

    Raises
    ------
    QualImportError
        A double-coded source without its text, or a coding without positions, for a text unit.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"source_id": ["S1", "S1"], "code_id": ["k", "k"],
    ...     "coder": ["ann", "ben"], "start": [0, 0], "end": [7, 18], "text": ["", ""]})
    >>> r = coder_ratings(codings, {"S1": "I came. It helped!"})
    >>> r.pivot(index="unit_index", columns="coder", values="coded").values.tolist()
    [[True, True], [False, True]]
    """
    if unit not in UNITS:
        raise QualImportError(f"unit {unit!r} is not one of {', '.join(UNITS)}.")
    if "coder" not in codings.columns:
        codings = codings.assign(coder=pd.NA)
    by_source = _coders_by_source(codings)
    doubled = by_source[by_source.map(len) >= 2]
    columns = ["source_id", "unit_index", "start", "end", "text", "item", "coder", "coded"]
    mine = codings[codings["source_id"].isin(set(doubled.index))].copy()
    mine = mine[mine["coder"].notna()]
    mine["item"] = _items(mine, codebook, level)
    mine = mine[mine["item"].notna()]
    if mine.empty:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in columns})
    mine["coder"] = mine["coder"].astype(str)
    if unit == "excerpt":
        mine["excerpt"] = mine["text"].astype(str).str.split().str.join(" ")
        units = (
            mine[["source_id", "excerpt"]]
            .drop_duplicates()
            .sort_values(["source_id", "excerpt"])
            .rename(columns={"excerpt": "text"})
            .reset_index(drop=True)
        )
        units["unit_index"] = units.groupby("source_id").cumcount()
        units["start"] = pd.NA
        units["end"] = pd.NA
        hits = mine.merge(units, left_on=["source_id", "excerpt"], right_on=["source_id", "text"])
        coded = hits[["source_id", "unit_index", "item", "coder"]]
    else:
        texts = texts or {}
        missing = [s for s in doubled.index if s not in texts]
        if missing:
            raise QualImportError(
                f"source {missing[0]!r} is double-coded but its text is not available, so its "
                f"{unit}s cannot be compared; add the text (qual/texts/<source_id>.txt) or "
                "measure agreement on unit='excerpt'."
            )
        unplaced = mine[mine["start"].isna() | mine["end"].isna()]
        if not unplaced.empty:
            label = unplaced["coding_id"].iloc[0] if "coding_id" in unplaced.columns else ""
            raise QualImportError(
                f"coding {label!s} has no start/end position, so it cannot be placed on the "
                f"text's {unit}s; measure agreement on unit='excerpt'."
            )
        units = text_units({s: texts[s] for s in doubled.index}, unit)
        coded = _covered_units(mine, units)
    coded = coded.drop_duplicates().assign(coded=True)
    return _rating_grid(units, doubled, sorted(mine["item"].unique()), coded, columns)


def _covered_units(codings: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """(source_id, unit_index, item, coder) of every unit a coding shares a character with."""
    pieces = []
    for source_id, mine in codings.groupby("source_id", sort=False):
        here = units[units["source_id"] == source_id]
        starts = here["start"].to_numpy(dtype=np.int64)
        ends = here["end"].to_numpy(dtype=np.int64)
        a = mine["start"].to_numpy(dtype=np.int64)
        b = mine["end"].to_numpy(dtype=np.int64)
        first = np.searchsorted(ends, a, side="right")  # first unit ending after the start
        last = np.searchsorted(starts, b, side="left")  # units starting before the end
        counts = np.maximum(last - first, 0)
        index = np.repeat(np.arange(len(mine)), counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        unit_index = here["unit_index"].to_numpy()[np.repeat(first, counts) + offsets]
        pieces.append(
            pd.DataFrame(
                {
                    "source_id": source_id,
                    "unit_index": unit_index,
                    "item": mine["item"].to_numpy()[index],
                    "coder": mine["coder"].to_numpy()[index],
                }
            )
        )
    return pd.concat(pieces, ignore_index=True)


def _rating_grid(
    units: pd.DataFrame,
    coders: pd.Series,
    items: list[str],
    coded: pd.DataFrame,
    columns: list[str],
) -> pd.DataFrame:
    """Every unit x item x coder of the unit's source, ``coded`` True where a coding covers it."""
    raters = coders.explode().rename("coder").reset_index()
    grid = units[["source_id", "unit_index", "start", "end", "text"]].merge(raters, on="source_id")
    n = len(grid)
    grid = grid.loc[grid.index.repeat(len(items))].reset_index(drop=True)
    grid["item"] = np.tile(np.asarray(items, dtype=object), n)
    key = ["source_id", "unit_index", "item", "coder"]
    hit = pd.MultiIndex.from_frame(coded[key].astype({"unit_index": "int64"}))
    grid["coded"] = pd.MultiIndex.from_frame(grid[key].astype({"unit_index": "int64"})).isin(hit)
    return grid[columns].sort_values(key).reset_index(drop=True)


def reliability(ratings: pd.DataFrame) -> pd.DataFrame:
    """Percent agreement, Cohen's kappa and Krippendorff's alpha of a units x coders table.

    Parameters
    ----------
    ratings : DataFrame
        One row per unit, one column per coder, nominal values (missing: not rated). Units
        rated by fewer than two coders carry no information and are left out.

    Returns
    -------
    DataFrame
        One row: ``n_units`` (rated by two or more coders), ``n_coders``,
        ``percent_agreement`` (share of those units on which every coder who rated it gave the
        same value), ``cohen_kappa`` (exactly two coders, on units both rated;
        :func:`statsmodels.stats.inter_rater.cohens_kappa`) and ``krippendorff_alpha``
        (nominal, :func:`krippendorff.alpha`). Kappa and alpha are missing when undefined:
        every rating the same value, or (kappa) not exactly two coders.

    Notes
    -----
    Cohen's kappa is :math:`(p_o - p_e) / (1 - p_e)`, with :math:`p_o` the observed agreement
    and :math:`p_e` the agreement expected from each coder's own marginal shares. Krippendorff's
    alpha is :math:`1 - D_o / D_e` from the coincidence matrix of pairable values, so it allows
    any number of coders and missing ratings.

    Examples
    --------
    Cohen's (1960) layout: 50 units, both coders say yes on 20 and no on 15 (Wikipedia's
    worked example): :math:`p_o = 0.7`, :math:`p_e = 0.5`, kappa 0.4.

    >>> import pandas as pd
    >>> a = ["yes"] * 20 + ["yes"] * 5 + ["no"] * 10 + ["no"] * 15
    >>> b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    >>> r = reliability(pd.DataFrame({"a": a, "b": b})).iloc[0]
    >>> float(round(r["percent_agreement"], 3)), float(round(r["cohen_kappa"], 3))
    (0.7, 0.4)
    """
    values = ratings.to_numpy(dtype=object)
    missing = pd.isna(values)
    codes, categories = pd.factorize(values[~missing].astype(str), sort=True)
    numeric = np.full(values.shape, np.nan)
    numeric[~missing] = codes
    numeric = numeric[(~missing).sum(axis=1) >= 2]
    n_units, n_coders = len(numeric), ratings.shape[1]
    result = {
        "n_units": n_units,
        "n_coders": n_coders,
        "percent_agreement": float("nan"),
        "cohen_kappa": float("nan"),
        "krippendorff_alpha": float("nan"),
    }
    if n_units:
        agree = np.nanmax(numeric, axis=1) == np.nanmin(numeric, axis=1)
        result["percent_agreement"] = float(agree.mean())
        present = np.unique(numeric[~np.isnan(numeric)])
        if len(present) > 1:
            result["krippendorff_alpha"] = float(
                krippendorff.alpha(reliability_data=numeric.T, level_of_measurement="nominal")
            )
            both = numeric[~np.isnan(numeric).any(axis=1)].astype(int)
            if n_coders == 2 and len(both) and len(np.unique(both)) > 1:
                size = len(categories)
                square = np.zeros((size, size))
                np.add.at(square, (both[:, 0], both[:, 1]), 1)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    result["cohen_kappa"] = float(cohens_kappa(square).kappa)
    return pd.DataFrame([result])


def _wide(ratings: pd.DataFrame) -> pd.DataFrame:
    """(source_id, unit_index, item) x coder table of the ratings (missing: did not code)."""
    return ratings.set_index(["source_id", "unit_index", "item", "coder"])["coded"].unstack("coder")


def _labels(codebook: pd.DataFrame | None, level: Level) -> dict[str, str]:
    if level == "kind" or codebook is None:
        return {}
    column = "code_path" if "code_path" in codebook.columns else "name"
    return dict(zip(codebook["code_id"].astype(str), codebook[column].astype(str), strict=True))


def intercoder_agreement(
    codings: pd.DataFrame,
    texts: Mapping[str, str] | None = None,
    *,
    codebook: pd.DataFrame | None = None,
    unit: Unit = "sentence",
    level: Level = "code",
) -> pd.DataFrame:
    """Agreement between coders per code (or realist kind) and overall, on double-coded sources.

    Parameters
    ----------
    codings, texts, codebook, unit, level
        As for :func:`coder_ratings`.

    Returns
    -------
    DataFrame
        :data:`AGREEMENT_COLUMNS`: one row per code (``level="code"``; ``label`` its path) or
        per realist element (``level="kind"``: context, mechanism, outcome) that any coder
        applied, then an ``item="all"`` row pooling every (unit, item) pair. ``units_coded``
        counts units some coder coded with the item; the statistics are those of
        :func:`reliability`. Empty when no source is double-coded.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"source_id": ["S1"] * 3, "code_id": ["k", "k", "j"],
    ...     "coder": ["ann", "ben", "ben"], "start": [0, 0, 8], "end": [7, 18, 18],
    ...     "text": [""] * 3})
    >>> table = intercoder_agreement(codings, {"S1": "I came. It helped!"})
    >>> table[["item", "n_units", "percent_agreement"]].values.tolist()
    [['j', 2, 0.5], ['k', 2, 0.5], ['all', 4, 0.5]]
    """
    ratings = coder_ratings(codings, texts, codebook=codebook, unit=unit, level=level)
    labels = _labels(codebook, level)
    rows = []
    if ratings.empty:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in AGREEMENT_COLUMNS})
    wide = _wide(ratings)
    coded_any = wide.fillna(False).astype(bool).any(axis=1)
    items = [str(i) for i in sorted(ratings["item"].unique())]
    item_level = wide.index.get_level_values("item")
    sources = ratings.groupby("item")["source_id"].nunique()
    coders = ratings.groupby("item")["coder"].nunique()
    for item in [*items, "all"]:
        rows_of = slice(None) if item == "all" else item_level == item
        part = wide[rows_of]
        stats = reliability(part).iloc[0]
        rows.append(
            {
                "level": level,
                "item": item,
                "label": "all" if item == "all" else labels.get(item, item),
                "unit": unit,
                "n_sources": int(
                    ratings["source_id"].nunique() if item == "all" else sources[item]
                ),
                "n_coders": int(ratings["coder"].nunique() if item == "all" else coders[item]),
                "n_units": int(stats["n_units"]),
                "units_coded": int(coded_any[rows_of].sum()),
                "percent_agreement": stats["percent_agreement"],
                "cohen_kappa": stats["cohen_kappa"],
                "krippendorff_alpha": stats["krippendorff_alpha"],
            }
        )
    return pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))


def disagreements(
    codings: pd.DataFrame,
    texts: Mapping[str, str] | None = None,
    *,
    codebook: pd.DataFrame | None = None,
    sources: pd.DataFrame | None = None,
    unit: Unit = "sentence",
    level: Level = "code",
) -> pd.DataFrame:
    """The units coders disagree on, with the excerpt, for the team's reconciliation meeting.

    This list quotes the sources in full and names the coders: it is for the evaluation team
    only and never belongs in a commissioner's report.

    Parameters
    ----------
    codings, texts, codebook, unit, level
        As for :func:`coder_ratings`.
    sources : DataFrame, optional
        For each source's ``name``.

    Returns
    -------
    DataFrame
        :data:`DISAGREEMENT_COLUMNS`: one row per unit and item on which the coders of the
        source differ; ``excerpt`` is the unit's text; ``coded_by`` and ``not_coded_by`` are
        ``;``-joined coder names. In source and text order.

    Examples
    --------
    >>> import pandas as pd
    >>> codings = pd.DataFrame({"source_id": ["S1", "S1"], "code_id": ["k", "k"],
    ...     "coder": ["ann", "ben"], "start": [0, 0], "end": [7, 18], "text": ["", ""]})
    >>> d = disagreements(codings, {"S1": "I came. It helped!"})
    >>> d[["excerpt", "coded_by", "not_coded_by"]].values.tolist()
    [['It helped!', 'ben', 'ann']]
    """
    ratings = coder_ratings(codings, texts, codebook=codebook, unit=unit, level=level)
    if ratings.empty:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in DISAGREEMENT_COLUMNS})
    labels = _labels(codebook, level)
    names = (
        dict(zip(sources["source_id"], sources["name"], strict=True))
        if sources is not None and "name" in sources.columns
        else {}
    )
    wide = _wide(ratings)
    yes = wide.eq(True)
    no = wide.eq(False)
    split = wide[yes.any(axis=1) & no.any(axis=1)]
    coders = list(wide.columns)
    yes, no = yes.loc[split.index].to_numpy(), no.loc[split.index].to_numpy()
    places = ratings.drop_duplicates(["source_id", "unit_index"]).set_index(
        ["source_id", "unit_index"]
    )[["start", "end", "text"]]
    split = split.index.to_frame(index=False)
    split["coded_by"] = [";".join(c for c, y in zip(coders, row, strict=True) if y) for row in yes]
    split["not_coded_by"] = [
        ";".join(c for c, n in zip(coders, row, strict=True) if n) for row in no
    ]
    where = places.reindex(pd.MultiIndex.from_frame(split[["source_id", "unit_index"]]))
    split["start"] = where["start"].to_numpy()
    split["end"] = where["end"].to_numpy()
    split["excerpt"] = where["text"].to_numpy()
    split["source_name"] = split["source_id"].map(names)
    split["level"] = level
    split["label"] = split["item"].map(lambda i: labels.get(str(i), str(i)))
    split = split.sort_values(["source_id", "unit_index", "item"], kind="stable")
    return split[list(DISAGREEMENT_COLUMNS)].reset_index(drop=True)
