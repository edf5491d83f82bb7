"""Reading REFI-QDA projects (``.qdpx``) and codebooks (``.qdc``) from NVivo, ATLAS.ti, MAXQDA.

The exchange standard is REFI-QDA 1.5 (schemas ``Project.xsd`` / ``Codebook.xsd``, namespaces
``urn:QDA-XML:project:1.0`` and ``urn:QDA-XML:codebook:1.0``). A ``.qdpx`` is a zip holding the
project XML and a folder of source files; a ``.qdc`` is a bare codebook XML.

Real exports deviate from the standard and this reader copes with each deviation observed in real
files (reference/qualitative.md §2.6): positions in UTF-16 units (NVivo; see
:mod:`evalkit.qual.positions`), a ``Sources/`` folder instead of ``sources/``, an inner XML not
named ``project.qde`` (ATLAS.ti), a byte-order mark on text files, GUIDs in upper case or braces,
hierarchy written as ``::`` in code names, several codings on one selection, and a
``plainTextPath`` without its ``internal://`` scheme (qc). XML is parsed with :mod:`defusedxml`:
no DTDs, no entity expansion, no network.

Anything that would make an excerpt wrong is an error naming the file and element: malformed
zip or XML, a reference to an element that does not exist, a position outside its text. Elements
that carry codes but no text (picture, audio, video and PDF-area selections, whole-source codings,
annotations) are listed in :attr:`QualProject.skipped` with the reason, never dropped silently.
"""

from __future__ import annotations

import codecs
import re
import uuid
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element, ParseError

import pandas as pd
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from evalkit.errors import QualImportError
from evalkit.qual.codebook import build_codebook
from evalkit.qual.positions import resolve_positions
from evalkit.qual.project import QualProject

__all__ = [
    "ATTRIBUTE_ALIASES",
    "CODEBOOK_NAMESPACE",
    "EVALKIT_GUID_NAMESPACE",
    "PROJECT_NAMESPACE",
    "normalise_guid",
    "read_qdc",
    "read_qdpx",
    "refi_guid",
]

PROJECT_NAMESPACE = "urn:QDA-XML:project:1.0"
CODEBOOK_NAMESPACE = "urn:QDA-XML:codebook:1.0"
#: Namespace for the deterministic GUIDs evalkit derives (uuid5) for ids that are not GUIDs.
EVALKIT_GUID_NAMESPACE = uuid.UUID("6f1d3c2a-8b7e-5a40-9c1d-2e4f6a8b0c3d")

_GUID = re.compile(
    r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$"
)

#: Source attributes evalkit understands, by normalised REFI-QDA variable name. A variable not
#: listed keeps its normalised name as an extra ``sources`` column.
ATTRIBUTE_ALIASES: dict[str, str] = {
    "site": "site",
    "locality": "site",
    "location": "site",
    "area": "site",
    "stakeholder_group": "stakeholder_group",
    "stakeholder": "stakeholder_group",
    "participant_group": "stakeholder_group",
    "respondent_group": "stakeholder_group",
    "type": "type",
    "source_type": "type",
    "data_type": "type",
    "provider": "provider",
    "organisation": "provider",
    "organization": "provider",
    "date": "date",
    "interview_date": "date",
}
#: Attributes whose values are vocabulary (``Service user`` -> ``service_user``).
_VOCABULARY_ATTRIBUTES = ("stakeholder_group", "type")
_RESERVED = {"source_id", "name", "media", "cases"}
_MEDIA = {
    "TextSource": "text",
    "PDFSource": "pdf",
    "PictureSource": "picture",
    "AudioSource": "audio",
    "VideoSource": "video",
}
#: Element holding a ``<NoteRef>`` -> the kind of thing the memo is about.
_NOTE_TARGETS = {
    "Project": "project",
    "Code": "code",
    "TextSource": "source",
    "PDFSource": "source",
    "PictureSource": "source",
    "AudioSource": "source",
    "VideoSource": "source",
    "PlainTextSelection": "selection",
    "Coding": "coding",
    "Case": "case",
    "Set": "set",
}
_MEDIA_SELECTIONS = ("PDFSelection", "PictureSelection", "AudioSelection", "VideoSelection")


def normalise_guid(value: str | None, *, where: str, element: str) -> str:
    """A REFI-QDA GUID in evalkit's form: lower case, no braces.

    Raises
    ------
    QualImportError
        When the value is missing or is not an 8-4-4-4-12 hexadecimal GUID.

    Examples
    --------
    >>> normalise_guid("{5067D381-1DC9-4816-81DD-AE1DBFEA2AD7}", where="x.qdc", element="Code")
    '5067d381-1dc9-4816-81dd-ae1dbfea2ad7'
    """
    match = _GUID.match((value or "").strip())
    if not match:
        raise QualImportError(
            f"{where}: {element} has guid {value!r}, which is not a GUID "
            "(8-4-4-4-12 hexadecimal digits, optionally in braces, per REFI-QDA GUIDType)."
        )
    return match.group(1).lower()


def refi_guid(kind: str, value: str) -> str:
    """``value`` if it is a GUID (normalised), else a GUID derived from it deterministically.

    evalkit's own tables use short ids (``S01``, ``C03``); REFI-QDA needs GUIDs, so an export maps
    each id to ``uuid5(EVALKIT_GUID_NAMESPACE, "<kind>:<id>")``, the same on every run.

    Examples
    --------
    >>> refi_guid("code", "{ABCDEF01-2345-6789-ABCD-EF0123456789}")
    'abcdef01-2345-6789-abcd-ef0123456789'
    >>> refi_guid("code", "C01") == refi_guid("code", "C01") != refi_guid("source", "C01")
    True
    """
    match = _GUID.match(str(value).strip())
    if match:
        return match.group(1).lower()
    return str(uuid.uuid5(EVALKIT_GUID_NAMESPACE, f"{kind}:{value}"))


def _folder_id(path: str) -> str:
    return refi_guid("code-folder", path)


def _parse_xml(data: bytes, where: str, root_name: str) -> Element:
    try:
        root = fromstring(data, forbid_dtd=True)
    except ParseError as exc:
        raise QualImportError(f"{where}: not well-formed XML ({exc}).") from exc
    except DefusedXmlException as exc:
        raise QualImportError(
            f"{where}: the XML declares a DTD or entities ({exc!r}); evalkit does not expand "
            "them, for safety. Re-export the file from the QDA software."
        ) from exc
    for element in root.iter():
        element.tag = element.tag.rsplit("}", 1)[-1]
    if root.tag != root_name:
        raise QualImportError(
            f"{where}: the root element is <{root.tag}>, expected <{root_name}> "
            f"(is this a REFI-QDA {'project' if root_name == 'Project' else 'codebook'}?)."
        )
    return root


def _text_of(element: Element | None) -> str | None:
    if element is None or element.text is None or not element.text.strip():
        return None
    return element.text


def _read_codes(codes: Element | None, where: str) -> pd.DataFrame:
    rows: list[dict] = []

    def walk(parent: Element, parent_id: str | None) -> None:
        for code in parent.findall("Code"):
            guid = normalise_guid(code.get("guid"), where=where, element="<Code>")
            name = code.get("name")
            if name is None:
                raise QualImportError(f'{where}: <Code guid="{code.get("guid")}"> has no name.')
            codable = (code.get("isCodable") or "true").strip().lower() in ("true", "1")
            rows.append(
                {
                    "code_id": guid,
                    "name": name,
                    "parent_id": parent_id if parent_id is not None else pd.NA,
                    "codable": codable,
                    "description": _text_of(code.find("Description")) or pd.NA,
                    "color": code.get("color") or pd.NA,
                }
            )
            walk(code, guid)

    if codes is not None:
        walk(codes, None)
    columns = ["code_id", "name", "parent_id", "codable", "description", "color"]
    return build_codebook(pd.DataFrame(rows, columns=columns), where=where, folder_id=_folder_id)


def _read_sets(sets: Element | None, codes: set[str], where: str) -> pd.DataFrame:
    rows = []
    for s in sets.findall("Set") if sets is not None else []:
        set_id = normalise_guid(s.get("guid"), where=where, element="<Set>")
        for ref in s.findall("MemberCode"):
            # the codebook schema writes MemberCode@guid, the project schema MemberCode@targetGUID
            target = ref.get("guid") or ref.get("targetGUID")
            code_id = normalise_guid(target, where=where, element="<MemberCode>")
            if code_id not in codes:
                raise QualImportError(
                    f'{where}: <Set name="{s.get("name")}"> lists code {code_id}, which is not '
                    "in the codebook."
                )
            rows.append({"set_id": set_id, "set_name": s.get("name"), "code_id": code_id})
    return pd.DataFrame(rows, columns=["set_id", "set_name", "code_id"])


def read_qdc(path: str | Path) -> QualProject:
    """Read a REFI-QDA codebook (``.qdc``) into a project with only a codebook (and code sets).

    Parameters
    ----------
    path : str or Path
        The ``.qdc`` file (UTF-8, with or without a byte-order mark).

    Returns
    -------
    QualProject
        ``.codebook`` with columns ``code_id``, ``name``, ``code_path``, ``parent_id``,
        ``codable``, ``description``, ``color``; ``.sets`` with ``set_id``, ``set_name``,
        ``code_id``.

    Raises
    ------
    QualImportError
        Missing file, malformed XML, a code without a valid GUID or name, a set naming an
        unknown code.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "book.qdc"
    >>> _ = p.write_text('<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>'
    ...     '<Code guid="11111111-2222-3333-4444-555555555555" name="Context" isCodable="false">'
    ...     '<Code guid="11111111-2222-3333-4444-666666666666" name="C: deprived area" '
    ...     'isCodable="true"/></Code></Codes></CodeBook>')
    >>> read_qdc(p).codebook["code_path"].tolist()
    ['Context', 'Context::C: deprived area']
    """
    path = Path(path)
    if not path.is_file():
        raise QualImportError(f"{path}: codebook file not found.")
    root = _parse_xml(path.read_bytes(), str(path), "CodeBook")
    codes_element = root.find("Codes")
    if codes_element is None:
        raise QualImportError(f"{path}: <CodeBook> has no <Codes> element.")
    codebook = _read_codes(codes_element, str(path))
    sets = _read_sets(root.find("Sets"), set(codebook["code_id"]), str(path))
    return QualProject(
        codebook=codebook,
        sets=sets,
        origin=root.get("origin"),
        name=path.stem,
        path=path,
    )


def _decode_text(data: bytes, where: str) -> str:
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            data, chosen = data[len(bom) :], encoding
            break
    else:
        chosen = "utf-8"
    try:
        return data.decode(chosen)
    except UnicodeDecodeError as exc:
        raise QualImportError(
            f"{where}: the plain text is not valid {chosen} (byte {exc.start}); REFI-QDA plain "
            "text sources are UTF-8."
        ) from exc


class _Archive:
    """The zip of a .qdpx: its project XML and its source files, matched case-insensitively."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise QualImportError(f"{path}: project file not found.")
        try:
            self.zip = zipfile.ZipFile(path)
            names = [n for n in self.zip.namelist() if not n.endswith("/")]
        except (zipfile.BadZipFile, OSError) as exc:
            raise QualImportError(
                f"{path}: not a readable .qdpx (a .qdpx is a zip archive): {exc}."
            ) from exc
        qde = [n for n in names if n.lower().endswith(".qde")]
        preferred = [n for n in qde if PurePosixPath(n).name.lower() == "project.qde"]
        if len(qde) == 1 or len(preferred) == 1:
            self.qde = preferred[0] if len(preferred) == 1 else qde[0]
        elif not qde:
            raise QualImportError(
                f"{path}: the archive holds no project XML (*.qde); entries: "
                f"{', '.join(names[:10]) or 'none'}."
            )
        else:
            raise QualImportError(
                f"{path}: the archive holds several project XML files ({', '.join(qde)}) and "
                "none is named project.qde; keep one."
            )
        self.files: dict[str, str] = {}
        for name in names:
            parts = PurePosixPath(name).parts
            if len(parts) == 2 and parts[0].lower() == "sources":
                self.files.setdefault(parts[1].lower(), name)
        for name in names:
            self.files.setdefault(name.lower(), name)

    def read(self, name: str) -> bytes:
        try:
            return self.zip.read(name)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:  # e.g. a CRC error
            raise QualImportError(
                f"{self.path}: cannot read {name} from the archive: {exc}."
            ) from exc

    def source_bytes(self, reference: str, base_path: str | None, where: str) -> bytes:
        """The bytes a ``plainTextPath`` points to (internal://, relative://, absolute://)."""
        ref = reference.strip()
        lower = ref.lower()
        if lower.startswith("internal://"):
            key = ref[len("internal://") :].lstrip("/")
        elif lower.startswith(("relative://", "absolute://")):
            rest = ref.split("://", 1)[1]
            file = (
                Path(base_path or "") / rest.lstrip("/")
                if lower.startswith("relative://")
                else Path(rest if not re.match(r"^/[A-Za-z]:", rest) else rest[1:])
            )
            if file.is_file():
                return file.read_bytes()
            raise QualImportError(
                f"{where}: plainTextPath {reference!r} points outside the archive to {file}, "
                "which does not exist here; export the project with its sources embedded."
            )
        else:
            key = ref  # qc 1.3.2 writes a bare file name, without the internal:// scheme
        name = self.files.get(key.lower()) or self.files.get(PurePosixPath(key).name.lower())
        if name is None:
            raise QualImportError(
                f"{where}: plainTextPath {reference!r} names a file that is not in the "
                f"archive's sources folder."
            )
        return self.read(name)


def _variable_value(vv: Element) -> str | None:
    for child in vv:
        if child.tag.endswith("Value"):
            return child.text.strip() if child.text and child.text.strip() else None
    return None


def _normalise_attribute(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


class _ProjectReader:
    """One pass over a parsed project XML, collecting canonical rows."""

    def __init__(self, archive: _Archive, root: Element, attributes: dict[str, str]) -> None:
        self.archive = archive
        self.root = root
        self.where = f"{archive.path.name}:{archive.qde}"
        self.attribute_map = {
            **ATTRIBUTE_ALIASES,
            **{_normalise_attribute(k): v for k, v in attributes.items()},
        }
        self.users = self._users()
        self.codebook = _read_codes(root.find("CodeBook/Codes"), self.where)
        self.code_ids = set(self.codebook["code_id"])
        self.code_paths = dict(
            zip(self.codebook["code_id"], self.codebook["code_path"], strict=True)
        )
        self.variables = self._variables()
        self.sources: list[dict] = []
        self.texts: dict[str, str] = {}
        self.selections: list[dict] = []
        self.codings: list[dict] = []
        self.skipped: list[dict] = []
        self.source_attributes: dict[str, dict[str, tuple[str, str]]] = {}
        self.selection_ids: set[str] = set()

    def _guid(self, element: Element, what: str | None = None) -> str:
        return normalise_guid(
            element.get("guid"), where=self.where, element=what or f"<{element.tag}>"
        )

    def _users(self) -> dict[str, str] | None:
        users = self.root.find("Users")
        if users is None:
            return None
        out = {}
        for user in users.findall("User"):
            guid = self._guid(user)
            out[guid] = user.get("name") or user.get("id") or guid
        return out

    def coder(self, guid: str | None, element: str) -> str | None:
        if not guid:
            return None
        key = normalise_guid(guid, where=self.where, element=f"creatingUser of {element}")
        if self.users is None:
            return key
        if key not in self.users:
            raise QualImportError(
                f"{self.where}: {element} has creatingUser {guid}, which is not a <User> of the "
                "project."
            )
        return self.users[key]

    def _variables(self) -> dict[str, str]:
        variables = self.root.find("Variables")
        out: dict[str, str] = {}
        for var in variables.findall("Variable") if variables is not None else []:
            name = var.get("name")
            if not name:
                raise QualImportError(
                    f'{self.where}: <Variable guid="{var.get("guid")}"> has no name.'
                )
            out[self._guid(var)] = name
        return out

    def attribute_values(self, owner: Element, label: str) -> dict[str, str]:
        values = {}
        for vv in owner.findall("VariableValue"):
            ref = vv.find("VariableRef")
            target = normalise_guid(
                ref.get("targetGUID") if ref is not None else None,
                where=self.where,
                element=f"<VariableRef> in {label}",
            )
            if target not in self.variables:
                raise QualImportError(
                    f"{self.where}: {label} has a value for variable {target}, which is not "
                    "declared in <Variables>."
                )
            value = _variable_value(vv)
            if value is None:
                continue
            raw_name = self.variables[target]
            column = self.attribute_map.get(
                _normalise_attribute(raw_name), _normalise_attribute(raw_name)
            )
            if column in _RESERVED:
                column = f"attr_{column}"
            if column in _VOCABULARY_ATTRIBUTES:
                value = _normalise_attribute(value)
            values[column] = value
        return values

    def add_attributes(self, source_id: str, values: dict[str, str], origin: str) -> None:
        known = self.source_attributes.setdefault(source_id, {})
        for column, value in values.items():
            if column in known and known[column][0] != value:
                name = next(s["name"] for s in self.sources if s["source_id"] == source_id)
                raise QualImportError(
                    f"{self.where}: source {name!r} gets {column} = {known[column][0]!r} from "
                    f"{known[column][1]} but {value!r} from {origin}; make them agree."
                )
            known[column] = (value, origin)

    def code_ref(self, coding: Element, label: str) -> str:
        ref = coding.find("CodeRef")
        if ref is None:
            raise QualImportError(f"{self.where}: {label} has no <CodeRef>.")
        code_id = normalise_guid(
            ref.get("targetGUID"), where=self.where, element=f"<CodeRef> in {label}"
        )
        if code_id not in self.code_ids:
            raise QualImportError(
                f"{self.where}: {label} refers to code {ref.get('targetGUID')}, which is not in "
                "the project codebook (a dangling reference)."
            )
        return code_id

    def read_sources(self) -> None:
        sources = self.root.find("Sources")
        for element in list(sources) if sources is not None else []:
            if element.tag not in _MEDIA:
                continue
            source_id = self._guid(element)
            name = (
                element.get("name")
                or PurePosixPath(
                    (element.get("plainTextPath") or element.get("path") or source_id).split("://")[
                        -1
                    ]
                ).stem
            )
            label = f'<{element.tag} name="{name}">'
            if source_id in {s["source_id"] for s in self.sources}:
                raise QualImportError(f"{self.where}: two sources share guid {source_id}.")
            self.sources.append(
                {"source_id": source_id, "name": name, "media": _MEDIA[element.tag]}
            )
            self.add_attributes(source_id, self.attribute_values(element, label), label)
            text_holder = element if element.tag == "TextSource" else element.find("Representation")
            if text_holder is not None:
                self.read_text(source_id, name, text_holder, label)
            for tag in _MEDIA_SELECTIONS:
                for sel in element.findall(tag):
                    self.skip_selection(
                        sel, source_id, name, f"{tag} (an area or time span, no text excerpt)"
                    )
            for transcript in element.findall("Transcript"):
                for sel in transcript.findall("TranscriptSelection"):
                    self.skip_selection(
                        sel,
                        source_id,
                        name,
                        "TranscriptSelection (positions by sync point, not read by evalkit)",
                    )
            for coding in element.findall("Coding"):
                self.skipped.append(
                    {
                        "element": "Coding",
                        "guid": self._guid(coding),
                        "source_id": source_id,
                        "source_name": name,
                        "code_id": self.code_ref(coding, f"<Coding> of {label}"),
                        "reason": "whole-source coding (no excerpt)",
                    }
                )

    def skip_selection(self, sel: Element, source_id: str, name: str, reason: str) -> None:
        guid = self._guid(sel)
        self.selection_ids.add(guid)
        codings: Sequence[Element | None] = sel.findall("Coding") or [None]
        for coding in codings:
            self.skipped.append(
                {
                    "element": sel.tag,
                    "guid": guid,
                    "source_id": source_id,
                    "source_name": name,
                    "code_id": self.code_ref(coding, f"<{sel.tag} guid={guid}>")
                    if coding is not None
                    else pd.NA,
                    "reason": reason,
                }
            )

    def read_text(self, source_id: str, name: str, holder: Element, label: str) -> None:
        inline = holder.find("PlainTextContent")
        path = holder.get("plainTextPath")
        if inline is not None and inline.text is not None:
            text = inline.text
        elif path:
            data = self.archive.source_bytes(
                path, self.root.get("basePath"), f"{self.where} {label}"
            )
            text = _decode_text(data, f"{self.archive.path.name}:{path}")
        else:
            selections = holder.findall("PlainTextSelection")
            if not selections:
                return
            raise QualImportError(
                f"{self.where}: {label} has text selections but neither PlainTextContent nor "
                "plainTextPath, so its excerpts cannot be read."
            )
        self.texts[source_id] = text
        for sel in holder.findall("PlainTextSelection"):
            guid = self._guid(sel)
            if guid in self.selection_ids:
                raise QualImportError(f"{self.where}: two selections share guid {guid}.")
            self.selection_ids.add(guid)
            sel_label = f'<PlainTextSelection guid="{sel.get("guid")}"> of {label}'
            try:  # a missing position reads as "", which int() refuses like any non-number
                start = int(sel.get("startPosition", ""))
                end = int(sel.get("endPosition", ""))
            except ValueError as exc:
                raise QualImportError(
                    f"{self.where}: {sel_label} needs whole-number startPosition and endPosition "
                    f"(got {sel.get('startPosition')!r}, {sel.get('endPosition')!r})."
                ) from exc
            codings = sel.findall("Coding")
            if not codings:
                self.skipped.append(
                    {
                        "element": "PlainTextSelection",
                        "guid": guid,
                        "source_id": source_id,
                        "source_name": name,
                        "code_id": pd.NA,
                        "reason": "selection without a coding (an annotation or memo)",
                    }
                )
                continue
            self.selections.append(
                {
                    "source_id": source_id,
                    "source_name": name,
                    "selection_id": guid,
                    "start": start,
                    "end": end,
                    "name": sel.get("name"),
                }
            )
            for coding in codings:
                self.codings.append(
                    {
                        "coding_id": self._guid(coding),
                        "selection_id": guid,
                        "code_id": self.code_ref(coding, f"<Coding> of {sel_label}"),
                        "coder": self.coder(
                            coding.get("creatingUser") or sel.get("creatingUser"),
                            f"<Coding> of {sel_label}",
                        ),
                    }
                )

    def read_memos(self) -> list[dict]:
        """Every ``<Note>`` of the project, once per element that links to it by ``<NoteRef>``."""
        notes: dict[str, dict] = {}
        holder = self.root.find("Notes")
        for note in holder.findall("Note") if holder is not None else []:
            guid = self._guid(note, "<Note>")
            label = f'<Note name="{note.get("name")}">'
            inline = note.find("PlainTextContent")
            if inline is not None and inline.text is not None:
                text = inline.text
            elif note.get("plainTextPath"):
                path = str(note.get("plainTextPath"))
                data = self.archive.source_bytes(
                    path, self.root.get("basePath"), f"{self.where} {label}"
                )
                text = _decode_text(data, f"{self.archive.path.name}:{path}")
            else:
                text = _text_of(note.find("Description")) or ""
            notes[guid] = {
                "memo_id": guid,
                "name": note.get("name") or pd.NA,
                "author": self.coder(note.get("creatingUser"), label) or pd.NA,
                "created": note.get("creationDateTime") or pd.NA,
                "text": text,
            }
        rows, linked = [], set()
        for element in self.root.iter():
            refs = element.findall("NoteRef")
            if not refs:
                continue
            kind = _NOTE_TARGETS.get(element.tag, element.tag.lower())
            target = self._guid(element) if element.get("guid") is not None else pd.NA
            for ref in refs:
                note_id = normalise_guid(
                    ref.get("targetGUID"), where=self.where, element=f"<NoteRef> in <{element.tag}>"
                )
                if note_id not in notes:
                    raise QualImportError(
                        f'{self.where}: <{element.tag} name="{element.get("name")}"> refers to '
                        f"note {ref.get('targetGUID')}, which is not in <Notes> (a dangling "
                        "reference)."
                    )
                linked.add(note_id)
                rows.append(
                    {
                        **notes[note_id],
                        "target_type": kind,
                        "target_id": target,
                        "target_name": element.get("name") or pd.NA,
                    }
                )
        rows += [
            {**note, "target_type": pd.NA, "target_id": pd.NA, "target_name": pd.NA}
            for guid, note in notes.items()
            if guid not in linked
        ]
        return rows

    def read_cases(self) -> dict[str, list[str]]:
        """Attach case variables to the sources each case names; return cases by selection."""
        source_ids = {s["source_id"] for s in self.sources}
        source_cases: dict[str, list[str]] = {}
        selection_cases: dict[str, list[str]] = {}
        cases = self.root.find("Cases")
        for case in cases.findall("Case") if cases is not None else []:
            guid = self._guid(case)
            name = case.get("name") or guid
            label = f'<Case name="{name}">'
            values = self.attribute_values(case, label)
            for ref in case.findall("SourceRef"):
                target = normalise_guid(
                    ref.get("targetGUID"), where=self.where, element=f"<SourceRef> in {label}"
                )
                if target not in source_ids:
                    raise QualImportError(
                        f"{self.where}: {label} refers to source {ref.get('targetGUID')}, which "
                        "is not in <Sources> (a dangling reference)."
                    )
                source_cases.setdefault(target, []).append(name)
                self.add_attributes(target, values, label)
            for ref in case.findall("SelectionRef"):
                target = normalise_guid(
                    ref.get("targetGUID"), where=self.where, element=f"<SelectionRef> in {label}"
                )
                if target not in self.selection_ids:
                    raise QualImportError(
                        f"{self.where}: {label} refers to selection {ref.get('targetGUID')}, "
                        "which is not in any source (a dangling reference)."
                    )
                selection_cases.setdefault(target, []).append(name)
            for ref in case.findall("CodeRef"):
                code_id = normalise_guid(
                    ref.get("targetGUID"), where=self.where, element=f"<CodeRef> in {label}"
                )
                if code_id not in self.code_ids:
                    raise QualImportError(
                        f"{self.where}: {label} refers to code {ref.get('targetGUID')}, which is "
                        "not in the project codebook (a dangling reference)."
                    )
        for source in self.sources:
            source["cases"] = ";".join(sorted(source_cases.get(source["source_id"], []))) or pd.NA
        return selection_cases


def read_qdpx(
    path: str | Path,
    *,
    position_convention: str | None = None,
    attributes: dict[str, str] | None = None,
) -> QualProject:
    """Read a REFI-QDA project (``.qdpx``) into evalkit's sources, codebook and codings.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` file.
    position_convention : {"codepoint", "utf16", "codepoint_crlf_as_one"}, optional
        How the file counts selection positions. By default it is detected from the evidence
        (see :mod:`evalkit.qual.positions`); a stated convention is verified on every selection.
    attributes : dict, optional
        Extra mapping from REFI-QDA variable names to source columns, e.g.
        ``{"Locality": "site", "Respondent": "stakeholder_group"}``, added to
        :data:`ATTRIBUTE_ALIASES`.

    Returns
    -------
    QualProject
        ``.codebook`` (code_id, name, code_path, parent_id, codable, description, color),
        ``.sources`` (source_id, name, media, type, date, site, stakeholder_group, provider,
        cases, then other variables), ``.codings`` (one row per selection x code: coding_id,
        source_id, source_name, selection_id, start, end, text, code_id, code_path, coder,
        cases; ``coder`` is the ``<User name>`` of the coding's ``creatingUser``), ``.texts``,
        ``.sets``, ``.skipped``, ``.memos`` (each ``<Note>`` with the code, source, selection,
        case or set that links to it by ``<NoteRef>``), ``.origin``,
        ``.position_convention`` and ``.position_evidence``.

    Raises
    ------
    QualImportError
        A file that is not a zip or holds no/several project XMLs, malformed XML, an invalid
        GUID, a dangling reference (code, source, selection, variable, user), a missing source
        text, a selection outside its text, or positions whose convention cannot be established.

    Warns
    -----
    UserWarning
        When coded elements without a text excerpt are listed in ``.skipped``.

    Examples
    --------
    >>> import io, tempfile, pathlib, zipfile
    >>> qde = ('<Project xmlns="urn:QDA-XML:project:1.0" name="demo"><CodeBook><Codes>'
    ...        '<Code guid="00000000-0000-0000-0000-00000000000c" name="O: trust" '
    ...        'isCodable="true"/>'
    ...        '</Codes></CodeBook><Sources>'
    ...        '<TextSource guid="00000000-0000-0000-0000-00000000000a" name="Interview 1">'
    ...        '<PlainTextContent>We trust them.</PlainTextContent>'
    ...        '<PlainTextSelection guid="00000000-0000-0000-0000-00000000000b" startPosition="3" '
    ...        'endPosition="8"><Coding guid="00000000-0000-0000-0000-00000000000d">'
    ...        '<CodeRef targetGUID="00000000-0000-0000-0000-00000000000c"/></Coding>'
    ...        '</PlainTextSelection></TextSource></Sources></Project>')
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "demo.qdpx"
    >>> with zipfile.ZipFile(p, "w") as z:
    ...     z.writestr("project.qde", qde)
    >>> read_qdpx(p).codings[["text", "code_path"]].values.tolist()
    [['trust', 'O: trust']]
    """
    path = Path(path)
    archive = _Archive(path)
    root = _parse_xml(archive.read(archive.qde), f"{path.name}:{archive.qde}", "Project")
    reader = _ProjectReader(archive, root, attributes or {})
    reader.read_sources()
    selection_cases = reader.read_cases()

    selections = pd.DataFrame(
        reader.selections,
        columns=["source_id", "source_name", "selection_id", "start", "end", "name"],
    )
    resolution = resolve_positions(
        selections,
        reader.texts,
        where=reader.where,
        convention=position_convention,
        origin=root.get("origin"),
    )
    spans = resolution.spans.set_index("selection_id")
    codings = pd.DataFrame(
        reader.codings, columns=["coding_id", "selection_id", "code_id", "coder"]
    )
    if codings["coding_id"].duplicated().any():
        dup = codings.loc[codings["coding_id"].duplicated(), "coding_id"].iloc[0]
        raise QualImportError(f"{reader.where}: two <Coding> elements share guid {dup}.")
    codings = codings.join(
        spans[["source_id", "source_name", "py_start", "py_end"]], on="selection_id"
    ).rename(columns={"py_start": "start", "py_end": "end"})
    codings["text"] = [
        reader.texts[s][a:b]
        for s, a, b in zip(codings["source_id"], codings["start"], codings["end"], strict=True)
    ]
    codings["code_path"] = codings["code_id"].map(reader.code_paths)
    codings["cases"] = codings["selection_id"].map(
        lambda s: ";".join(sorted(selection_cases.get(s, []))) or pd.NA
    )

    sources = pd.DataFrame(reader.sources, columns=["source_id", "name", "media", "cases"])
    attrs = pd.DataFrame(
        [
            {"source_id": sid, **{k: v for k, (v, _) in values.items()}}
            for sid, values in reader.source_attributes.items()
        ]
    )
    if not attrs.empty and len(attrs.columns) > 1:
        sources = sources.merge(attrs, on="source_id", how="left")

    skipped = pd.DataFrame(reader.skipped)
    if not skipped.empty:
        counts = skipped.groupby("reason").size()
        warnings.warn(
            f"{path.name}: {len(skipped)} element(s) carry no text excerpt and are listed in "
            f".skipped: " + "; ".join(f"{n} {reason}" for reason, n in counts.items()),
            UserWarning,
            stacklevel=2,
        )
    project_sets = _read_sets(root.find("Sets"), reader.code_ids, reader.where)
    memos = pd.DataFrame(reader.read_memos())
    return QualProject(
        codebook=reader.codebook,
        sources=sources,
        codings=codings,
        texts=reader.texts,
        sets=project_sets,
        skipped=skipped,
        memos=memos,
        origin=root.get("origin"),
        position_convention=resolution.convention,
        position_evidence=resolution.evidence,
        name=root.get("name") or path.stem,
        path=path,
    )
