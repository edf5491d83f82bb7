"""evalkit's own qualitative tables (CSV/XLSX templates) and loading whatever the config names.

The templates (``data_templates/``, generated from :mod:`evalkit.data.schema`) are ``sources``,
``codebook``, ``codings`` and ``cmocs``, in the evaluation's ``qual/`` folder as ``<table>.csv`` or
``<table>.xlsx``. An optional ``qual/texts/<source_id>.txt`` (or ``qual/transcripts/``, as the
synthetic demo writes) holds a source's full text: with it,
each coding's ``start``/``end`` are checked against the excerpt, and the project can be exported
to REFI-QDA.

Cells are read exactly as typed (an excerpt of "None" stays "None"); blank cells are missing.
Errors name the file, spreadsheet row (header = row 1) and column.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.config import EvaluationConfig
from evalkit.data.schema import TABLES, code_tree_problems
from evalkit.errors import ConfigError, QualImportError
from evalkit.qual.code_kinds import CODE_KINDS, CodeKindRules, assign_code_kinds
from evalkit.qual.codebook import build_codebook, code_tree_message
from evalkit.qual.coders import combine_coders
from evalkit.qual.project import QualProject
from evalkit.qual.refiqda import read_qdc, read_qdpx
from evalkit.qual.taguette import read_taguette

__all__ = [
    "CMOC_STATUSES",
    "load_qualitative",
    "read_cmocs",
    "read_qual_tables",
    "read_source_texts",
    "with_source_attributes",
]

#: The evaluator's judgement of a CMOC (RAMESES II: evidence may "support, refute or refine").
CMOC_STATUSES = ("initial", "supported", "refined", "refuted", "inconclusive")
_DIRECTIONS = ("higher", "lower")
_TEST_COLUMNS = ("context_filter", "outcome_measure", "expected_direction")
#: Folders of ``qual/`` that may hold each source's full text as ``<source_id>.txt``.
_TEXT_FOLDERS = ("texts", "transcripts")


def _find(folder: Path, table: str) -> Path | None:
    for suffix in (".csv", ".xlsx"):
        candidate = folder / f"{table}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _read(path: Path, table: str) -> pd.DataFrame:
    """Every cell as text (blank -> missing), spreadsheet row numbers as the index."""
    try:
        if path.suffix.lower() == ".xlsx":
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise QualImportError(f"{path}: cannot read the {table} table: {exc}.") from exc
    frame.columns = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    frame = frame.mask(frame.apply(lambda s: s.str.strip() == ""))
    spec = TABLES[table]
    missing = [c for c in spec.required if c not in frame.columns]
    if missing:
        raise QualImportError(
            f"{path}: the {table} table needs column(s) {', '.join(missing)} "
            f"(see the {table} template)."
        )
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    for column in spec.required:
        blank = frame[column].isna()
        if blank.any():
            raise QualImportError(
                f"{path}: row {blank.idxmax()}, column {column}: a value is required."
            )
    for column in (c.name for c in spec.columns if c.unique and c.name in frame.columns):
        dup = frame[column].duplicated() & frame[column].notna()
        if dup.any():
            row = dup.idxmax()
            raise QualImportError(
                f"{path}: row {row}, column {column}: {frame.at[row, column]!r} is used twice; "
                "each value must be unique."
            )
    return frame


def _check_values(frame: pd.DataFrame, column: str, allowed: tuple[str, ...], path: Path):
    bad = frame[column].notna() & ~frame[column].isin(allowed)
    if bad.any():
        row = bad.idxmax()
        raise QualImportError(
            f"{path}: row {row}, column {column}: {frame.at[row, column]!r} is not one of "
            f"{', '.join(allowed)}."
        )


def _check_reference(frame, column, known: set, path: Path, target: str):
    bad = frame[column].notna() & ~frame[column].isin(known)
    if bad.any():
        row = bad.idxmax()
        raise QualImportError(
            f"{path}: row {row}, column {column}: {frame.at[row, column]!r} is not a "
            f"{column} in the {target} table."
        )


def _check_code_tree(book: pd.DataFrame, path: Path) -> None:
    """Refuse a code that is its own parent or an ancestor of itself, naming its row."""
    problems = code_tree_problems(book["code_id"], book["parent_id"])
    if problems:
        names = dict(zip(book["code_id"], book["name"], strict=True))
        code_id, (problem, codes) = next(iter(problems.items()))
        row = book.index[book["code_id"] == code_id][0]
        raise QualImportError(
            f"{path}: row {row}, column parent_id: "
            f"{code_tree_message(code_id, problem, codes, names)} Correct parent_id: it names "
            "the code_id of the parent code, or is blank for a top-level code."
        )


def read_cmocs(path: str | Path) -> pd.DataFrame:
    """Read the CMOC table (``cmocs.csv``/``.xlsx``) and check its quantitative tests.

    A CMOC that declares a test gives all three of ``context_filter``, ``outcome_measure`` and
    ``expected_direction`` (``higher``/``lower``); one that declares none is qualitative only.

    Returns
    -------
    DataFrame
        The columns of the ``cmocs`` template, one row per CMOC, ``codes`` as written
        (``;``-separated code names or paths).

    Raises
    ------
    QualImportError
        A missing required column or value, a repeated ``cmoc_id``, a ``status`` or
        ``expected_direction`` outside its vocabulary, or a half-declared test.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cmocs.csv"
    >>> _ = p.write_text("cmoc_id,programme_theory,context,mechanism_resource,"
    ...     "mechanism_reasoning,outcome,status\\nCMOC1,PT1,deprived area,peer groups,trust,"
    ...     "engagement,initial\\n")
    >>> read_cmocs(p)[["cmoc_id", "status"]].values.tolist()
    [['CMOC1', 'initial']]
    """
    path = Path(path)
    if not path.is_file():
        raise QualImportError(f"{path}: CMOC table not found.")
    frame = _read(path, "cmocs")
    for column in [c.name for c in TABLES["cmocs"].columns]:
        if column not in frame.columns:
            frame[column] = pd.NA
    _check_values(frame, "status", CMOC_STATUSES, path)
    _check_values(frame, "expected_direction", _DIRECTIONS, path)
    declared = frame[list(_TEST_COLUMNS)].notna()
    partial = declared.any(axis=1) & ~declared.all(axis=1)
    if partial.any():
        row = partial.idxmax()
        absent = [c for c in _TEST_COLUMNS if not declared.at[row, c]]
        raise QualImportError(
            f"{path}: row {row} (CMOC {frame.at[row, 'cmoc_id']}) declares a quantitative test "
            f"but leaves {', '.join(absent)} blank; give all of {', '.join(_TEST_COLUMNS)} or "
            "none."
        )
    return frame.reset_index(drop=True).astype("str")


def read_source_texts(folder: str | Path, source_ids: Iterable[str]) -> dict[str, str]:
    """Each source's full text from ``texts/<source_id>.txt`` (or ``transcripts/``) in ``folder``.

    Sources without a text file are left out; a byte-order mark is removed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); (d / "texts").mkdir()
    >>> _ = (d / "texts" / "S1.txt").write_text("We trust them.", encoding="utf-8")
    >>> read_source_texts(d, ["S1", "S2"])
    {'S1': 'We trust them.'}
    """
    folder = Path(folder)
    texts: dict[str, str] = {}
    for source_id in source_ids:
        for sub in _TEXT_FOLDERS:
            text_file = folder / sub / f"{source_id}.txt"
            if text_file.is_file():
                texts[str(source_id)] = text_file.read_bytes().decode("utf-8-sig")
                break
    return texts


def read_qual_tables(folder: str | Path) -> QualProject:
    """Read evalkit's own qualitative tables from a folder.

    Parameters
    ----------
    folder : str or Path
        Holds ``sources``, ``codebook`` and ``codings`` (``.csv`` or ``.xlsx``), optionally
        ``cmocs`` and ``texts/<source_id>.txt`` (or ``transcripts/<source_id>.txt``).

    Returns
    -------
    QualProject
        Canonical tables (the codebook keeps its ``kind`` column; ``codable`` is true for every
        code; codings of the same span share the ``selection_id`` ``<source_id>:<start>:<end>``,
        a coding without positions has its ``coding_id``), ``.cmocs`` when present.

    Raises
    ------
    QualImportError
        A missing table, column or required value; a repeated id; an unknown ``source_id``,
        ``code_id`` or ``parent_id``; a code that is its own parent or ancestor; a code kind
        outside the vocabulary; a ``start``/``end`` that is not a whole number, or whose span
        of the source text is not the excerpt.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "sources.csv").write_text("source_id,name,type,stakeholder_group,site\\n"
    ...                                    "S1,Interview 1,interview,service_user,North\\n")
    >>> _ = (d / "codebook.csv").write_text("code_id,name,kind\\n"
    ...                                     "K1,R: trust,mechanism_reasoning\\n")
    >>> _ = (d / "codings.csv").write_text("coding_id,source_id,code_id,text\\n"
    ...                                    "X1,S1,K1,they get it\\n")
    >>> read_qual_tables(d).codings[["source_name", "code_path", "text"]].values.tolist()
    [['Interview 1', 'R: trust', 'they get it']]
    """
    folder = Path(folder)
    found = {t: _find(folder, t) for t in ("sources", "codebook", "codings")}
    absent = [t for t, p in found.items() if p is None]
    if absent:
        raise QualImportError(
            f"{folder}: no {', '.join(f'{t}.csv' for t in absent)} (or .xlsx) found; the "
            "qualitative folder needs sources, codebook and codings tables."
        )
    paths = {t: p for t, p in found.items() if p is not None}
    sources = _read(paths["sources"], "sources")
    book = _read(paths["codebook"], "codebook")
    codings = _read(paths["codings"], "codings")

    _check_values(book, "kind", CODE_KINDS, paths["codebook"])
    if "parent_id" not in book.columns:
        book["parent_id"] = pd.NA
    _check_reference(book, "parent_id", set(book["code_id"]), paths["codebook"], "codebook")
    _check_code_tree(book, paths["codebook"])
    codebook = build_codebook(
        book.reset_index(drop=True),
        where=str(paths["codebook"]),
    )
    _check_reference(codings, "source_id", set(sources["source_id"]), paths["codings"], "sources")
    _check_reference(codings, "code_id", set(codebook["code_id"]), paths["codings"], "codebook")

    for column in ("start", "end"):
        if column not in codings.columns:
            codings[column] = pd.NA
        numbers = pd.to_numeric(codings[column], errors="coerce")
        bad = codings[column].notna() & (numbers.isna() | (numbers % 1 != 0) | (numbers < 0))
        if bad.any():
            row = bad.idxmax()
            raise QualImportError(
                f"{paths['codings']}: row {row}, column {column}: "
                f"{codings.at[row, column]!r} is not a whole number of characters (0 or more)."
            )
        codings[column] = numbers.astype("Int64")

    texts = read_source_texts(folder, sources["source_id"])
    for row, coding in codings.iterrows():
        text = texts.get(coding["source_id"])
        if text is None or pd.isna(coding["start"]) or pd.isna(coding["end"]):
            continue
        span = text[int(coding["start"]) : int(coding["end"])]
        if span != coding["text"]:
            raise QualImportError(
                f"{paths['codings']}: row {row} (coding {coding['coding_id']}): characters "
                f"{coding['start']}-{coding['end']} of texts/{coding['source_id']}.txt read "
                f"{span[:50]!r}, not the excerpt {str(coding['text'])[:50]!r}."
            )

    names = dict(zip(sources["source_id"], sources["name"], strict=True))
    code_paths = dict(zip(codebook["code_id"], codebook["code_path"], strict=True))
    codings = codings.reset_index(drop=True)
    codings["source_name"] = codings["source_id"].map(names)
    placed = codings["start"].notna() & codings["end"].notna()
    span = (
        codings["source_id"] + ":" + codings["start"].astype(str) + ":" + codings["end"].astype(str)
    )
    codings["selection_id"] = codings["coding_id"].where(~placed, span)
    codings["code_path"] = codings["code_id"].map(code_paths)
    sources = sources.reset_index(drop=True)
    if "media" not in sources.columns:
        sources["media"] = "text"
    cmocs_path = _find(folder, "cmocs")
    return QualProject(
        codebook=codebook,
        sources=sources,
        codings=codings,
        texts=texts,
        origin="evalkit tables",
        position_convention="codepoint" if texts else None,
        position_evidence="evalkit's tables count code points",
        name=folder.name,
        path=folder,
        cmocs=read_cmocs(cmocs_path) if cmocs_path else None,
    )


def with_source_attributes(project: QualProject, attributes: pd.DataFrame) -> QualProject:
    """Add site, stakeholder group and other attributes to the sources of a project.

    Useful when the QDA software held no such variables (Taguette never does). Rows are matched
    on ``source_id`` when the table has it, else on the source ``name``; a column given here
    fills that column's blanks and must not contradict a value already present.

    Raises
    ------
    QualImportError
        A row matching no source, or a value contradicting the project's.

    Examples
    --------
    >>> import pandas as pd
    >>> book = pd.DataFrame({"code_id": ["c"], "name": ["C: x"], "parent_id": [pd.NA]})
    >>> project = QualProject(book, pd.DataFrame({"source_id": ["s1"], "name": ["Int 1"]}))
    >>> extra = pd.DataFrame({"name": ["Int 1"], "site": ["North"]})
    >>> with_source_attributes(project, extra).sources["site"].tolist()
    ['North']
    """
    key = "source_id" if "source_id" in attributes.columns else "name"
    sources = project.sources.copy()
    unknown = ~attributes[key].isin(set(sources[key]))
    if unknown.any():
        raise QualImportError(
            f"source attributes: {key} {attributes.loc[unknown, key].iloc[0]!r} matches no "
            f"source of the project (sources are {', '.join(sources[key].astype(str))})."
        )
    indexed = attributes.set_index(key)
    for column in indexed.columns:
        if column in ("source_id", "name"):
            continue
        given = sources[key].map(indexed[column])
        if column in sources.columns:
            clash = sources[column].notna() & given.notna() & (sources[column] != given)
            if clash.any():
                i = clash.idxmax()
                raise QualImportError(
                    f"source attributes: source {sources.at[i, 'name']!r} has {column} = "
                    f"{sources.at[i, column]!r} in the project but {given[i]!r} in the table."
                )
            sources[column] = sources[column].fillna(given)
        else:
            sources[column] = given
    return QualProject(
        codebook=project.codebook,
        sources=sources,
        codings=project.codings,
        texts=project.texts,
        sets=project.sets,
        skipped=project.skipped,
        memos=project.memos,
        origin=project.origin,
        position_convention=project.position_convention,
        position_evidence=project.position_evidence,
        name=project.name,
        path=project.path,
        cmocs=project.cmocs,
    )


def load_qualitative(config: EvaluationConfig) -> QualProject:
    """Load the evaluation's qualitative coding as the config says, with code kinds assigned.

    ``qualitative`` settings in ``evaluation.yml`` (all optional; paths are relative to
    ``data_dir``)::

        qualitative:
          project: qual/coding.qdpx     # .qdpx, .qdc + tables, a Taguette .csv/.xlsx, or a folder
          taguette_codebook: qual/codebook.qdc
          position_convention: utf16    # only if detection cannot tell (see evalkit.qual.positions)
          attributes: {Locality: site}  # REFI-QDA variable -> source column
          source_attributes: qual/sources.csv   # site / stakeholder group per source
          code_kinds: {prefix: {...}, parent: {...}, explicit: {...}}
          coder: anna                   # who coded `project`, when the file does not say
          coders: {ben: qual/ben.csv}   # further coders' exports of the same sources
          lead_coders: [anna]           # whose coding is the evidence (evalkit.qual.coders)
          agreement_unit: sentence      # sentence, paragraph, character or excerpt

    Without ``project``, evalkit's own tables in ``qual/`` are read. A ``qual/cmocs.csv`` is read
    into ``.cmocs`` whatever the coding format.

    Raises
    ------
    ConfigError
        An unknown ``qualitative`` key or a project path that does not exist.
    QualImportError
        Anything the chosen reader rejects.
    """
    settings: dict[str, Any] = dict(config.qualitative or {})
    allowed = {
        "project",
        "taguette_codebook",
        "position_convention",
        "attributes",
        "source_attributes",
        "code_kinds",
        "coder",
        "coders",
        "lead_coders",
        "agreement_unit",
    }
    unknown = set(settings) - allowed
    if unknown:
        raise ConfigError(
            f"qualitative: unknown setting(s) {', '.join(sorted(unknown))}; allowed: "
            f"{', '.join(sorted(allowed))}."
        )
    rules = CodeKindRules.from_config(settings.get("code_kinds"))

    def resolve(key: str) -> Path:
        candidate = config.data_dir / str(settings[key])
        if not candidate.exists():
            raise ConfigError(f"qualitative.{key}: {candidate} does not exist.")
        return candidate

    def read(target: Path) -> QualProject:
        suffix = target.suffix.lower()
        if target.is_dir():
            return read_qual_tables(target)
        if suffix == ".qdpx":
            return read_qdpx(
                target,
                position_convention=settings.get("position_convention"),
                attributes=settings.get("attributes"),
            )
        if suffix == ".qdc":
            return read_qdc(target)
        if suffix in (".csv", ".xlsx"):
            codebook = resolve("taguette_codebook") if settings.get("taguette_codebook") else None
            return read_taguette(target, codebook=codebook)
        raise ConfigError(
            f"qualitative: {target} is not a .qdpx, .qdc, Taguette .csv/.xlsx or folder."
        )

    target = resolve("project") if settings.get("project") else config.qual_dir
    project = read(target)
    others = settings.get("coders") or {}
    if not isinstance(others, dict):
        raise ConfigError(
            "qualitative.coders: give each further coder's export by coder name, e.g. "
            "{ben: qual/ben.qdpx}."
        )
    if settings.get("coder") or others:
        first = str(settings.get("coder") or "coder_1")
        projects = {first: project}
        for coder, path in others.items():
            candidate = config.data_dir / str(path)
            if not candidate.exists():
                raise ConfigError(f"qualitative.coders.{coder}: {candidate} does not exist.")
            projects[str(coder)] = read(candidate)
        project = combine_coders(projects)
    if settings.get("source_attributes"):
        attr_path = resolve("source_attributes")
        table = (
            pd.read_excel(attr_path, dtype=str)
            if attr_path.suffix.lower() == ".xlsx"
            else pd.read_csv(attr_path, dtype=str, encoding="utf-8-sig")
        )
        project = with_source_attributes(project, table)
    project.codebook = assign_code_kinds(project.codebook, rules)
    if project.cmocs is None:
        cmocs_path = _find(config.qual_dir, "cmocs")
        project.cmocs = read_cmocs(cmocs_path) if cmocs_path else None
    return project
