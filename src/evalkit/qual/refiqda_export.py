"""Writing evalkit's codebook as a REFI-QDA ``.qdc`` and a project as a ``.qdpx``.

What evalkit writes follows REFI-QDA 1.5 to the letter, so that NVivo, ATLAS.ti, MAXQDA and
QualCoder can open it and :func:`evalkit.qual.read_qdpx` reads it back to the same tables:

* positions are Unicode code points (§10.2), plain texts are UTF-8 without a byte-order mark in a
  lower-case ``sources/`` folder, named ``<guid>.txt`` and referenced as ``internal://`` (§8);
* ids that are not GUIDs (evalkit's ``S01``, ``C03``) become deterministic GUIDs
  (:func:`evalkit.qual.refiqda.refi_guid`), so a re-import keys rows by those GUIDs;
* source attributes (site, stakeholder group, type, ...) become text ``<Variables>`` with a
  ``<VariableValue>`` on each source; case membership becomes ``<Cases>``;
* the archive is byte-identical for identical input (fixed timestamps, stable order).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.etree.ElementTree import Element, SubElement, indent, tostring

import pandas as pd

from evalkit import __version__
from evalkit.errors import QualImportError
from evalkit.qual.project import SOURCES_COLUMNS, QualProject
from evalkit.qual.refiqda import CODEBOOK_NAMESPACE, PROJECT_NAMESPACE, refi_guid

__all__ = ["write_qdc", "write_qdpx"]

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_NOT_ATTRIBUTES = {"source_id", "name", "media", "cases"}


def _origin() -> str:
    return f"evalkit {__version__}"


def _present(value) -> bool:
    return not pd.isna(value) and str(value) != ""


def _add_codes(parent: Element, codebook: pd.DataFrame, parent_id=None) -> None:
    if parent_id is None:
        children = codebook[codebook["parent_id"].isna()]
    else:
        children = codebook[codebook["parent_id"] == parent_id]
    for row in children.itertuples(index=False):
        attrs = {
            "guid": refi_guid("code", row.code_id),
            "name": str(row.name),
            "isCodable": "true" if pd.isna(row.codable) or bool(row.codable) else "false",
        }
        if _present(row.color):
            attrs["color"] = str(row.color)
        code = SubElement(parent, "Code", attrs)
        if _present(row.description):
            SubElement(code, "Description").text = str(row.description)
        _add_codes(code, codebook, row.code_id)


def _xml_bytes(root: Element) -> bytes:
    indent(root, space="  ")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + tostring(
        root, encoding="utf-8", xml_declaration=False
    )


def write_qdc(codebook: pd.DataFrame | QualProject, path: str | Path) -> Path:
    """Write a codebook as a REFI-QDA codebook file (``.qdc``).

    Parameters
    ----------
    codebook : DataFrame or QualProject
        ``code_id``, ``name``, ``parent_id`` and optionally ``codable``, ``description``,
        ``color`` (a project's ``.codebook`` and ``.sets`` are used).
    path : str or Path
        Where to write.

    Returns
    -------
    Path

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from evalkit.qual.refiqda import read_qdc
    >>> book = pd.DataFrame({"code_id": ["CTX", "C01"], "name": ["Context", "C: deprived area"],
    ...                      "parent_id": [pd.NA, "CTX"], "codable": [False, True]})
    >>> p = write_qdc(book, pathlib.Path(tempfile.mkdtemp()) / "codebook.qdc")
    >>> read_qdc(p).codebook["code_path"].tolist()
    ['Context', 'Context::C: deprived area']
    """
    project = codebook if isinstance(codebook, QualProject) else QualProject(codebook=codebook)
    root = Element("CodeBook", {"xmlns": CODEBOOK_NAMESPACE, "origin": _origin()})
    _add_codes(SubElement(root, "Codes"), project.codebook)
    if not project.sets.empty:
        sets = SubElement(root, "Sets")
        for (set_id, set_name), members in project.sets.groupby(["set_id", "set_name"], sort=False):
            node = SubElement(sets, "Set", {"guid": refi_guid("set", set_id), "name": set_name})
            for code_id in members["code_id"]:
                SubElement(node, "MemberCode", {"guid": refi_guid("code", code_id)})
    path = Path(path)
    path.write_bytes(_xml_bytes(root))
    return path


def _split_cases(value) -> list[str]:
    return [c for c in str(value).split(";") if c] if _present(value) else []


def write_qdpx(project: QualProject, path: str | Path) -> Path:
    """Write a project as a REFI-QDA project archive (``.qdpx``) that evalkit reads back as is.

    Parameters
    ----------
    project : QualProject
        Every source must have its plain text in ``project.texts`` (a REFI-QDA selection is a
        span of that text), and every coding a ``start`` and ``end`` into it.
    path : str or Path
        Where to write.

    Returns
    -------
    Path

    Raises
    ------
    QualImportError
        A source without plain text, or a coding without positions or whose text differs from
        its span of the source text.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from evalkit.qual.refiqda import read_qdpx
    >>> book = pd.DataFrame({"code_id": ["C01"], "name": ["O: trust"], "parent_id": [pd.NA]})
    >>> sources = pd.DataFrame({"source_id": ["S01"], "name": ["Interview 1"],
    ...                         "site": ["North"]})
    >>> codings = pd.DataFrame({"coding_id": ["K1"], "source_id": ["S01"], "selection_id": ["K1"],
    ...                         "start": [3], "end": [8], "text": ["trust"], "code_id": ["C01"]})
    >>> project = QualProject(book, sources, codings, texts={"S01": "We trust them."})
    >>> back = read_qdpx(write_qdpx(project, pathlib.Path(tempfile.mkdtemp()) / "p.qdpx"))
    >>> back.codings["text"].tolist(), back.sources["site"].tolist()
    (['trust'], ['North'])
    """
    sources, codings = project.sources, project.codings
    missing = [
        n
        for s, n in zip(sources["source_id"], sources["name"], strict=True)
        if s not in project.texts
    ]
    if missing:
        raise QualImportError(
            f"cannot write {path}: source(s) {', '.join(repr(m) for m in missing)} have no plain "
            "text (REFI-QDA selections are spans of a source's text); add the texts or drop "
            "those sources."
        )
    unplaced = codings[codings["start"].isna() | codings["end"].isna()]
    if not unplaced.empty:
        raise QualImportError(
            f"cannot write {path}: coding {unplaced['coding_id'].iloc[0]!r} has no start/end "
            "position in its source text."
        )
    for row in codings.itertuples(index=False):
        span = project.texts[row.source_id][int(row.start) : int(row.end)]
        if _present(row.text) and span != row.text:
            raise QualImportError(
                f"cannot write {path}: coding {row.coding_id!r} says {str(row.text)[:40]!r} but "
                f"its span {row.start}-{row.end} of source {row.source_id!r} reads "
                f"{span[:40]!r}."
            )

    root = Element(
        "Project", {"xmlns": PROJECT_NAMESPACE, "name": project.name, "origin": _origin()}
    )
    coders = sorted({str(c) for c in codings["coder"] if _present(c)})
    if coders:
        users = SubElement(root, "Users")
        for coder in coders:
            SubElement(users, "User", {"guid": refi_guid("user", coder), "name": coder})
    _add_codes(SubElement(SubElement(root, "CodeBook"), "Codes"), project.codebook)

    attributes = [
        c for c in sources.columns if c not in _NOT_ATTRIBUTES and sources[c].map(_present).any()
    ]
    attributes.sort(key=lambda c: (SOURCES_COLUMNS.index(c) if c in SOURCES_COLUMNS else 99, c))
    if attributes:
        variables = SubElement(root, "Variables")
        for name in attributes:
            SubElement(
                variables,
                "Variable",
                {"guid": refi_guid("variable", name), "name": name, "typeOfVariable": "Text"},
            )

    case_sources: dict[str, list[str]] = {}
    case_selections: dict[str, list[str]] = {}
    for sid, cases in zip(sources["source_id"], sources["cases"], strict=True):
        for case in _split_cases(cases):
            case_sources.setdefault(case, []).append(refi_guid("source", sid))
    for sel, cases in zip(codings["selection_id"], codings["cases"], strict=True):
        for case in _split_cases(cases):
            guid = refi_guid("selection", sel)
            if guid not in case_selections.setdefault(case, []):
                case_selections[case].append(guid)
    names = sorted(set(case_sources) | set(case_selections))
    if names:
        cases_node = SubElement(root, "Cases")
        for case in names:
            node = SubElement(cases_node, "Case", {"guid": refi_guid("case", case), "name": case})
            for guid in case_sources.get(case, []):
                SubElement(node, "SourceRef", {"targetGUID": guid})
            for guid in case_selections.get(case, []):
                SubElement(node, "SelectionRef", {"targetGUID": guid})

    files: dict[str, bytes] = {}
    sources_node = SubElement(root, "Sources")
    for source in sources.to_dict("records"):
        guid = refi_guid("source", source["source_id"])
        node = SubElement(
            sources_node,
            "TextSource",
            {
                "guid": guid,
                "name": str(source["name"]),
                "plainTextPath": f"internal://{guid}.txt",
            },
        )
        files[f"sources/{guid}.txt"] = project.texts[source["source_id"]].encode("utf-8")
        mine = codings[codings["source_id"] == source["source_id"]]
        for selection_id, group in mine.groupby("selection_id", sort=False):
            first = group.iloc[0]
            sel = SubElement(
                node,
                "PlainTextSelection",
                {
                    "guid": refi_guid("selection", selection_id),
                    "startPosition": str(int(first["start"])),
                    "endPosition": str(int(first["end"])),
                },
            )
            for coding in group.itertuples(index=False):
                attrs = {"guid": refi_guid("coding", coding.coding_id)}
                if _present(coding.coder):
                    attrs["creatingUser"] = refi_guid("user", str(coding.coder))
                SubElement(
                    SubElement(sel, "Coding", attrs),
                    "CodeRef",
                    {"targetGUID": refi_guid("code", coding.code_id)},
                )
        for name in attributes:
            if _present(source.get(name)):
                value = SubElement(node, "VariableValue")
                SubElement(value, "VariableRef", {"targetGUID": refi_guid("variable", name)})
                SubElement(value, "TextValue").text = str(source[name])

    if not project.sets.empty:
        sets = SubElement(root, "Sets")
        for (set_id, set_name), members in project.sets.groupby(["set_id", "set_name"], sort=False):
            node = SubElement(sets, "Set", {"guid": refi_guid("set", set_id), "name": set_name})
            for code_id in members["code_id"]:
                SubElement(node, "MemberCode", {"targetGUID": refi_guid("code", code_id)})

    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = {"project.qde": _xml_bytes(root), **files}
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return path
