"""Qualitative rigour as the realist synthesis page shows it: double coding, rounds, memos.

:mod:`evalkit.qual.agreement` measures how far the coders agree and
:mod:`evalkit.realist.rounds` tallies the fieldwork rounds; this module turns them into what a
report may show (agreement figures in words, the rounds with counts of people withheld under
the disclosure threshold, each CMOC's evidence by round) and writes what only the evaluation team
may see (the disagreement list with its excerpts, who was re-interviewed, the memos on each CMOC)
into an evaluator-only folder of the page's outputs, never into the page.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from evalkit.disclosure.suppression import round_counts, small_count
from evalkit.realist import NO_ROUND

__all__ = [
    "EVALUATOR_ONLY_FOLDER",
    "EVALUATOR_ONLY_FILES",
    "agreement_sentence",
    "agreement_table",
    "evidence_by_round_table",
    "rounds_for_checklist",
    "rounds_table",
    "write_evaluator_only",
]

#: The folder, in the page's output folder, for what only the evaluation team may read.
EVALUATOR_ONLY_FOLDER = "evaluator_only"

#: The files written there, by what they hold.
EVALUATOR_ONLY_FILES = {
    "disagreements": "coding_disagreements.csv",
    "kind_disagreements": "kind_disagreements.csv",
    "reinterviews": "reinterviewed_participants.csv",
    "memos": "cmoc_memos.md",
}

_KIND_LABELS = {"context": "Context", "mechanism": "Mechanism", "outcome": "Outcome"}


def _decimal(value: float | None) -> str:
    return "not defined" if value is None or pd.isna(value) else f"{float(value):.2f}"


def _percent(value: float | None) -> str:
    return "not defined" if value is None or pd.isna(value) else f"{100 * float(value):.0f}%"


def agreement_sentence(double_coded: pd.DataFrame, agreement: pd.DataFrame) -> str:
    """The methods sentence: the share double-coded and the overall agreement figures.

    Parameters
    ----------
    double_coded : DataFrame
        :func:`evalkit.qual.double_coding`.
    agreement : DataFrame
        :func:`evalkit.qual.intercoder_agreement` rows for ``level`` code and kind.

    Examples
    --------
    >>> import pandas as pd
    >>> dc = pd.DataFrame({"n_sources": [20], "n_double_coded": [5],
    ...     "share_double_coded": [0.25], "n_coders": [2], "coders": ["a;b"]})
    >>> ag = pd.DataFrame({"level": ["code", "kind"], "item": ["all", "all"],
    ...     "unit": ["sentence"] * 2, "percent_agreement": [0.95, 0.9],
    ...     "cohen_kappa": [0.81, 0.74], "krippendorff_alpha": [0.8, 0.73]})
    >>> print(agreement_sentence(dc, ag))  # doctest: +NORMALIZE_WHITESPACE
    5 of 20 sources (25%) were coded independently by two coders. Sentence by sentence, they
    agreed on 95% of the codes (Cohen's kappa 0.81, Krippendorff's alpha 0.80) and on 90% of
    the realist kinds, context, mechanism or outcome (kappa 0.74, alpha 0.73).
    """
    row = double_coded.iloc[0]
    if int(row["n_double_coded"]) == 0:
        return (
            f"No source was coded by more than one coder ({row['n_coders']} coder"
            f"{'s' if row['n_coders'] != 1 else ''} named), so agreement between coders "
            "cannot be reported."
        )
    coders = "two" if int(row["n_coders"]) == 2 else str(row["n_coders"])
    text = (
        f"{row['n_double_coded']} of {row['n_sources']} sources "
        f"({_percent(row['share_double_coded'])}) were coded independently by {coders} coders."
    )
    overall = agreement[agreement["item"] == "all"].set_index("level")
    if overall.empty:
        return text
    unit = str(agreement["unit"].iloc[0])
    pieces = []
    if "code" in overall.index:
        a = overall.loc["code"]
        pieces.append(
            f"on {_percent(a['percent_agreement'])} of the codes (Cohen's kappa "
            f"{_decimal(a['cohen_kappa'])}, Krippendorff's alpha "
            f"{_decimal(a['krippendorff_alpha'])})"
        )
    if "kind" in overall.index:
        a = overall.loc["kind"]
        pieces.append(
            f"on {_percent(a['percent_agreement'])} of the realist kinds, context, mechanism or "
            f"outcome (kappa {_decimal(a['cohen_kappa'])}, alpha "
            f"{_decimal(a['krippendorff_alpha'])})"
        )
    by = {"sentence": "Sentence by sentence", "paragraph": "Paragraph by paragraph"}.get(
        unit, f"By {unit}"
    )
    return f"{text} {by}, they agreed " + " and ".join(pieces) + "."


def agreement_table(agreement: pd.DataFrame) -> pd.DataFrame:
    """Agreement on each realist kind and overall, with the column names a report shows.

    Examples
    --------
    >>> import pandas as pd
    >>> ag = pd.DataFrame({"level": ["kind", "kind", "code"], "item": ["context", "all", "all"],
    ...     "n_units": [40, 40, 400], "units_coded": [10, 25, 60],
    ...     "percent_agreement": [0.9, 0.85, 0.97], "cohen_kappa": [0.7, 0.66, 0.8],
    ...     "krippendorff_alpha": [0.69, 0.65, 0.8]})
    >>> agreement_table(ag)["Compared on"].tolist()
    ['Context', 'Any realist kind', 'Any code']
    """
    kinds = agreement[agreement["level"] == "kind"]
    codes = agreement[(agreement["level"] == "code") & (agreement["item"] == "all")]
    rows = pd.concat([kinds, codes], ignore_index=True)
    label = [
        ("Any code" if level == "code" else "Any realist kind")
        if item == "all"
        else _KIND_LABELS.get(str(item), str(item))
        for level, item in zip(rows["level"], rows["item"], strict=True)
    ]
    return pd.DataFrame(
        {
            "Compared on": label,
            "Units compared": rows["n_units"].astype(int),
            "Units either coder coded": rows["units_coded"].astype(int),
            "Agreement": rows["percent_agreement"].map(_percent),
            "Cohen's kappa": rows["cohen_kappa"].map(_decimal),
            "Krippendorff's alpha": rows["krippendorff_alpha"].map(_decimal),
        }
    )


def _date(value: object) -> str:
    if value is None or pd.isna(value):
        return "—"
    day = pd.Timestamp(value)
    return f"{day.day} {day:%b %Y}"


def rounds_table(rounds: pd.DataFrame) -> pd.DataFrame:
    """The fieldwork rounds with the column names a report shows (counts of people as numbers;
    the page's table applies the disclosure policy to them).

    Examples
    --------
    >>> import pandas as pd
    >>> rounds = pd.DataFrame({"round": ["1", "2", "all"], "n_sources": [10, 6, 16],
    ...     "n_participants": [9, 5, 12], "n_reinterviewed": [0, 2, 2],
    ...     "first_date": pd.to_datetime(["2026-01-05", "2026-04-02", "2026-01-05"]),
    ...     "last_date": pd.to_datetime(["2026-03-30", "2026-06-20", "2026-06-20"]),
    ...     "n_excerpts": [50, 30, 80]})
    >>> rounds_table(rounds)[["Round", "Dates"]].values.tolist()
    [['Round 1', '5 Jan 2026 to 30 Mar 2026'], ['Round 2', '2 Apr 2026 to 20 Jun 2026'], \
['All', '5 Jan 2026 to 20 Jun 2026']]
    """
    names = {"all": "All", NO_ROUND: "No round recorded"}
    return pd.DataFrame(
        {
            "Round": [names.get(r, f"Round {r}") for r in rounds["round"]],
            "Dates": [
                f"{_date(a)} to {_date(b)}"
                for a, b in zip(rounds["first_date"], rounds["last_date"], strict=True)
            ],
            "Sources": rounds["n_sources"].astype(int),
            "Coded excerpts": rounds["n_excerpts"].astype(int),
            "People interviewed": rounds["n_participants"].astype(int),
            "Heard in an earlier round": rounds["n_reinterviewed"].astype(int),
        }
    )


def rounds_for_checklist(
    rounds: pd.DataFrame, *, threshold: int, round_to: int | None = None
) -> pd.DataFrame:
    """The rounds with the re-interview count as text for RAMESES II: a small count withheld
    and the others rounded, by the rules of :mod:`evalkit.disclosure.suppression`.

    Examples
    --------
    >>> import pandas as pd
    >>> rounds = pd.DataFrame({"round": ["1", "2", "all"], "n_reinterviewed": [0, 3, 12]})
    >>> rounds_for_checklist(rounds, threshold=8, round_to=5)["n_reinterviewed"].tolist()
    ['0', 'fewer than 8', '10']
    """
    counts = rounds["n_reinterviewed"].astype(int)
    shown = round_counts(counts, round_to) if round_to else counts
    small = small_count(counts, threshold)
    text = [
        f"fewer than {threshold}" if hidden else f"{int(n):,}"
        for hidden, n in zip(small, shown, strict=True)
    ]
    return rounds.assign(n_reinterviewed=text)


def evidence_by_round_table(by_round: pd.DataFrame) -> pd.DataFrame:
    """Sources evidencing each CMOC in each round: one row per CMOC, one column per round.

    Examples
    --------
    >>> import pandas as pd
    >>> by_round = pd.DataFrame({"cmoc_id": ["C1", "C1"], "round": ["1", "2"],
    ...                          "n_sources": [4, 2], "n_excerpts": [6, 2]})
    >>> evidence_by_round_table(by_round).reset_index().values.tolist()
    [['C1', 4, 2]]
    """
    names = {NO_ROUND: "No round"}
    table = by_round.pivot(index="cmoc_id", columns="round", values="n_sources")
    order = list(dict.fromkeys(by_round["round"]))
    table = table[order].rename(columns=lambda r: names.get(r, f"Round {r}"))
    table.index.name = "CMOC"
    table.columns.name = None
    return table.loc[list(dict.fromkeys(by_round["cmoc_id"]))].astype(int)


def _memo_markdown(memos: pd.DataFrame, cmocs: pd.DataFrame) -> str:
    lines = [
        "# Evaluator's memos on each CMOC",
        "",
        "Evaluator-only: for the evaluation team. Not part of the commissioner's report.",
        "",
    ]
    for cmoc_id in cmocs["cmoc_id"]:
        mine = memos[memos["cmoc_id"] == cmoc_id]
        lines.append(f"## {cmoc_id}")
        lines.append("")
        if mine.empty:
            lines += ["No memo recorded.", ""]
        for memo in mine.itertuples():
            by = [str(v) for v in (memo.author, memo.created) if not pd.isna(v)]
            lines.append(f"*{memo.origin}{' — ' + ', '.join(by) if by else ''}*")
            lines.append("")
            lines.append(str(memo.text))
            lines.append("")
    return "\n".join(lines)


def write_evaluator_only(
    output_dir: str | Path,
    *,
    cmocs: pd.DataFrame,
    memos: pd.DataFrame,
    disagreements: pd.DataFrame,
    kind_disagreements: pd.DataFrame,
    reinterviews: pd.DataFrame,
) -> dict[str, Path]:
    """Write the evaluation team's files into :data:`EVALUATOR_ONLY_FOLDER` of ``output_dir``.

    The report publishes only its rendered pages; these files (the coders' disagreements with
    the excerpts, who was re-interviewed, the memos on each CMOC) stay with the page's outputs
    for the evaluator, and no page shows their contents.

    Returns
    -------
    dict of str to Path
        :data:`EVALUATOR_ONLY_FILES` keys -> the files written.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> cmocs = pd.DataFrame({"cmoc_id": ["CMOC1"]})
    >>> memos = pd.DataFrame({"cmoc_id": ["CMOC1"], "origin": ["CMOC table"],
    ...     "author": [pd.NA], "created": [pd.NA], "text": ["Trust first."]})
    >>> empty = pd.DataFrame()
    >>> files = write_evaluator_only(tempfile.mkdtemp(), cmocs=cmocs, memos=memos,
    ...     disagreements=empty, kind_disagreements=empty, reinterviews=empty)
    >>> "Trust first." in files["memos"].read_text(encoding="utf-8")
    True
    """
    folder = Path(output_dir) / EVALUATOR_ONLY_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for key, frame in (
        ("disagreements", disagreements),
        ("kind_disagreements", kind_disagreements),
        ("reinterviews", reinterviews),
    ):
        path = folder / EVALUATOR_ONLY_FILES[key]
        frame.to_csv(path, index=False, encoding="utf-8")
        written[key] = path
    path = folder / EVALUATOR_ONLY_FILES["memos"]
    path.write_text(_memo_markdown(memos, cmocs), encoding="utf-8")
    written["memos"] = path
    return written
