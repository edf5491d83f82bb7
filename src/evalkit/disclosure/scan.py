"""The pre-publish scans of rendered pages: identifiers, small numbers and live markup.

The identifier scan reads the client identifiers, NHS numbers, dates of birth and full postcodes
present in the raw provider extracts and looks for any of them in the rendered HTML; the
small-number scan checks every count of people in a table and every "p% of N" in the text
against the disclosure rules (:mod:`evalkit.disclosure.suppression`); the markup scan refuses
anything in a page that could run code or load something.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterable
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from evalkit.config import DisclosurePolicy
from evalkit.data.readers import parse_dates
from evalkit.disclosure.suppression import share_candidates, small_count

__all__ = [
    "IDENTIFIER_COLUMNS",
    "LIVE_ELEMENTS",
    "identifiers_in_extract",
    "is_scannable_client_id",
    "mask_identifier",
    "scan_disclosure",
    "scan_html",
    "scan_live_markup",
]

#: Identifier kinds and the extract column names (normalised: lower case, ``_`` separators)
#: they are read from.
IDENTIFIER_COLUMNS: dict[str, tuple[str, ...]] = {
    "client_id": ("client_id", "clientid", "client_ref", "client_reference", "participant_id"),
    "nhs_number": ("nhs_number", "nhs_no", "nhsnumber", "nhs_num"),
    "date_of_birth": ("date_of_birth", "dob", "birth_date", "birthdate"),
    "postcode": ("postcode", "post_code", "postal_code"),
}
#: Client identifiers this short (or purely numeric and shorter than this many digits) cannot be
#: told apart from ordinary numbers and words in a report, so they are not scanned for.
MIN_SCANNABLE_ID_LENGTH = 4
MIN_SCANNABLE_NUMERIC_ID_LENGTH = 6

_POSTCODE = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z]{1,2}[0-9][A-Za-z0-9]?) ?([0-9][A-Za-z]{2})(?![A-Za-z0-9])"
)
_NHS_NUMBER = re.compile(r"(?<![0-9])([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})(?![0-9])")
_ISO_DATE = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{2})-([0-9]{2})(?![0-9])")
_UK_DATE = re.compile(r"(?<![0-9])([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})(?![0-9])")
_DATA_URI = re.compile(r"data:[A-Za-z0-9/+.-]+;base64,[A-Za-z0-9+/=\s]+")


def _normalise_column(name: object) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


_KIND_OF_COLUMN = {alias: kind for kind, aliases in IDENTIFIER_COLUMNS.items() for alias in aliases}


def _normalise_postcode(value: str) -> str | None:
    match = _POSTCODE.fullmatch(value.strip())
    return (match.group(1) + match.group(2)).upper() if match else None


def _normalise_nhs_number(value: str) -> str | None:
    digits = re.sub(r"[\s-]", "", value)
    return digits if re.fullmatch(r"[0-9]{10}", digits) else None


def _normalise_dates(values: pd.Series) -> pd.Series:
    parsed, _ = parse_dates(values)
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None)


def _is_identifier_column(column: object) -> bool:
    return _normalise_column(column) in _KIND_OF_COLUMN


def _read_workbook(path: Path) -> pd.DataFrame:
    """The identifier columns of a workbook's first worksheet, as text.

    Read with calamine (fast); openpyxl (what pandas uses by default) reads a workbook calamine
    cannot, so such a workbook is still scanned, or fails with openpyxl's error as before.
    """
    from python_calamine import CalamineError

    try:
        with pd.ExcelFile(path, engine="calamine") as book:
            # pandas' calamine reader counts chart sheets in ``sheet_name=0``; openpyxl (and
            # ``sheet_names``) does not: name the first worksheet so both read the same sheet.
            first = book.sheet_names[0] if book.sheet_names else 0
            return pd.read_excel(book, sheet_name=first, usecols=_is_identifier_column, dtype=str)
    except (OverflowError, CalamineError):
        # OverflowError: calamine gives up on the whole sheet when a cell formatted as a
        # duration ("[h]:mm:ss") holds a billion days or more (e.g. an NHS number); openpyxl
        # reads it as missing.
        return pd.read_excel(path, usecols=_is_identifier_column, dtype=str, engine="openpyxl")


def _identifiers_in_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """Normalised, unique ``kind, value`` rows from an extract's identifier columns (read as
    text, so missing cells are missing)."""
    parts = []
    for column in raw.columns:
        kind = _KIND_OF_COLUMN[_normalise_column(column)]
        values = raw[column].dropna().astype("str").str.strip()
        values = values[values != ""]
        if kind == "postcode":
            values = values.map(_normalise_postcode)
        elif kind == "nhs_number":
            values = values.map(_normalise_nhs_number)
        elif kind == "date_of_birth":
            values = _normalise_dates(values)
        parts.append(pd.DataFrame({"kind": kind, "value": values.dropna().astype("str")}))
    if not parts:
        return pd.DataFrame({"kind": pd.Series(dtype="str"), "value": pd.Series(dtype="str")})
    return pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)


def identifiers_in_extract(path: str | Path) -> pd.DataFrame:
    """The identifiers present in one provider extract (CSV or XLSX).

    Columns are recognised by name (:data:`IDENTIFIER_COLUMNS`, case and separators ignored),
    e.g. ``Client ID``, ``nhs_no``, ``DOB``, ``Post code``.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` file (UTF-8, or cp1252 if it is not UTF-8) or an ``.xlsx``/``.xlsm``
        workbook. Only a workbook's first worksheet is read (chart sheets are skipped), with
        the calamine engine (``python-calamine``); a workbook calamine cannot read is read
        with openpyxl instead.

    Returns
    -------
    pandas.DataFrame
        Unique ``kind, value`` rows. Values are normalised: client ids stripped, NHS numbers as
        10 digits, dates of birth as ``YYYY-MM-DD``, postcodes upper case without the space.
        Values that do not have the shape of their kind (a 3-digit "NHS number", a partial
        postcode) are left out, as they cannot be matched reliably. Workbook cells are read
        as text: a whole number as its digits (``9434765919``, not ``9434765919.0``). In a date
        of birth column a date or date-time cell, or a five-digit Excel date serial
        (``29282``), gives its date (the time of day is dropped; a time with fractions of a
        second is not recognised).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "north_participants.csv"
    >>> _ = p.write_text("Client ID,DOB,Postcode\\nNT-0001,02/03/1980,ab1 2cd\\n")
    >>> identifiers_in_extract(p).values.tolist()
    [['client_id', 'NT-0001'], ['date_of_birth', '1980-03-02'], ['postcode', 'AB12CD']]
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            raw = pd.read_csv(path, usecols=_is_identifier_column, dtype=str, encoding="utf-8-sig")
        except UnicodeDecodeError:
            raw = pd.read_csv(path, usecols=_is_identifier_column, dtype=str, encoding="cp1252")
    elif suffix in (".xlsx", ".xlsm"):
        raw = _read_workbook(path)
    else:
        return pd.DataFrame({"kind": pd.Series(dtype="str"), "value": pd.Series(dtype="str")})
    return _identifiers_in_frame(raw)


def mask_identifier(value: str) -> str:
    """Show enough of an identifier to find it, not enough to disclose it.

    Examples
    --------
    >>> mask_identifier("NT-000123")
    'NT******3'
    """
    keep = 2 if len(value) > 4 else 1
    return value[:keep] + "*" * (len(value) - keep - 1) + value[-1]


def is_scannable_client_id(value: str) -> bool:
    """Whether a client id can be told apart from ordinary words and numbers in a report
    (at least 4 characters, and at least 6 if it is all digits).

    Examples
    --------
    >>> is_scannable_client_id("NT-0001"), is_scannable_client_id("4711")
    (True, False)
    """
    return len(value) >= MIN_SCANNABLE_ID_LENGTH and not (
        value.isdigit() and len(value) < MIN_SCANNABLE_NUMERIC_ID_LENGTH
    )


def _date_candidates(text: str) -> Iterable[tuple[int, str]]:
    for match in _ISO_DATE.finditer(text):
        yield match.start(), "-".join(match.groups())
    for match in _UK_DATE.finditer(text):
        day, month, year = match.groups()
        yield match.start(), f"{year}-{int(month):02d}-{int(day):02d}"


def scan_html(paths: Iterable[str | Path], identifiers: pd.DataFrame) -> pd.DataFrame:
    """Find identifiers from the input data in rendered HTML files.

    Embedded images (``data:`` URIs) are skipped; text, attributes (including ``alt``) and
    HTML entities are checked. Client ids are matched as whole tokens; NHS numbers with or
    without spaces; dates of birth written ``YYYY-MM-DD`` or ``DD/MM/YYYY``; postcodes with or
    without the space, in any case. Client ids failing :func:`is_scannable_client_id` are not
    looked for.

    Parameters
    ----------
    paths : iterable of str or Path
        HTML files to scan.
    identifiers : pandas.DataFrame
        ``kind, value`` rows as returned by :func:`identifiers_in_extract`.

    Returns
    -------
    pandas.DataFrame
        One row per hit: ``file, line, kind, value`` where ``value`` is masked with
        :func:`mask_identifier` so the report of a leak does not itself leak. Empty when clean.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "page.html"
    >>> _ = page.write_text("<p>Referrals: 120</p>\\n<td>NT-000123</td>")
    >>> ids = pd.DataFrame({"kind": ["client_id"], "value": ["NT-000123"]})
    >>> scan_html([page], ids)[["line", "kind", "value"]].to_dict("records")
    [{'line': 2, 'kind': 'client_id', 'value': 'NT******3'}]
    """
    wanted = {
        kind: set(identifiers.loc[identifiers["kind"] == kind, "value"].astype(str))
        for kind in IDENTIFIER_COLUMNS
    }
    client_ids = {v for v in wanted["client_id"] if is_scannable_client_id(v)}
    token = None
    if client_ids:
        # A token is a run of letters, digits and any punctuation the ids use, so an id is
        # matched only whole ("NT-0001" is not found inside "NT-00012").
        punctuation = {ch for value in client_ids for ch in value if not ch.isalnum()}
        extra = re.escape("".join(sorted(punctuation - set(" \t\r\n"))))
        token = re.compile(f"[A-Za-z0-9{extra}]+")
    hits = []
    for path in map(Path, paths):
        text = html.unescape(_DATA_URI.sub("data:", path.read_text(encoding="utf-8")))
        newlines = [m.start() for m in re.finditer("\n", text)]

        def add(offset: int, kind: str, value: str, path: Path = path, lines=newlines) -> None:
            line = bisect.bisect_right(lines, offset) + 1
            hits.append({"file": str(path), "line": line, "kind": kind, "value": value})

        if token is not None:
            for match in token.finditer(text):
                if match.group() in client_ids:
                    add(match.start(), "client_id", match.group())
        for match in _NHS_NUMBER.finditer(text):
            if "".join(match.groups()) in wanted["nhs_number"]:
                add(match.start(), "nhs_number", "".join(match.groups()))
        for match in _POSTCODE.finditer(text):
            code = (match.group(1) + match.group(2)).upper()
            if code in wanted["postcode"]:
                add(match.start(), "postcode", code)
        for offset, date in _date_candidates(text):
            if date in wanted["date_of_birth"]:
                add(offset, "date_of_birth", date)
    found = pd.DataFrame(hits, columns=["file", "line", "kind", "value"])
    found["value"] = found["value"].map(mask_identifier)
    return found.astype({"line": "int64"})


#: Elements that run code, load other documents or send data: never in a report page.
LIVE_ELEMENTS = frozenset(
    {
        "script",
        "iframe",
        "frame",
        "object",
        "embed",
        "applet",
        "form",
        "base",
        "link",
        "svg",
        "math",
        "template",
        "portal",
        "audio",
        "video",
        "source",
        "track",
    }
)
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "poster"})
_SAFE_DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,", re.IGNORECASE)
_SAFE_URL = re.compile(r"^(https?:|mailto:|#|[\w./-]+\.html(#[\w-]*)?$)", re.IGNORECASE)


class _LiveMarkup(HTMLParser):
    def __init__(self, documents: frozenset[str] = frozenset()) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.documents = documents

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        if tag in LIVE_ELEMENTS:
            self.found.append((line, f"<{tag}> element"))
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.found.append((line, "<meta http-equiv> (a redirect or refresh)"))
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append((line, f"event-handler attribute {name}= on <{tag}>"))
            elif name == "style" and value and re.search(r"url\(|expression\(", value, re.I):
                self.found.append((line, f"style attribute loading a URL on <{tag}>"))
            elif name in _URL_ATTRIBUTES and value is not None:
                url = re.sub(r"[\x00-\x20]", "", value)
                own_document = tag == "a" and name == "href" and url in self.documents
                if not (
                    _SAFE_URL.match(url)
                    or (tag == "img" and _SAFE_DATA_URL.match(url))
                    or own_document
                ):
                    self.found.append((line, f"{name}={url[:40]!r} on <{tag}>"))

    handle_startendtag = handle_starttag


def scan_live_markup(paths: Iterable[str | Path], documents: Iterable[str] = ()) -> pd.DataFrame:
    """Find markup in rendered pages that could run code or load something: the last guard
    against user text (a site name, a CMOC, a quote) reaching a page as live HTML.

    A report page holds text, tables, inline PNG figures and links to its sibling pages only.
    Flagged: :data:`LIVE_ELEMENTS` (``<script>``, ``<iframe>``, ``<form>``, ...), any
    ``on...=`` event-handler attribute, ``<meta http-equiv>``, and any link or source other
    than ``http(s):``, ``mailto:``, an in-page ``#anchor``, a sibling ``.html`` page, an
    inline ``data:image`` in ``<img>``, or an ``<a href>`` naming exactly one of
    ``documents``: the report's own files beside its pages (its committee paper, ``.docx``
    and ``.pdf``). Any other document, or one of them in another folder, is flagged.

    Returns
    -------
    pandas.DataFrame
        ``file, line, what`` per finding; empty when clean.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "p.html"
    >>> _ = page.write_text('<p>ok <a href="02.html">next</a></p>\\n<img src=x onerror=alert(1)>')
    >>> scan_live_markup([page])[["line", "what"]].to_dict("records")
    [{'line': 2, 'what': "src='x' on <img>"}, {'line': 2, 'what': 'event-handler attribute \
onerror= on <img>'}]
    >>> _ = page.write_text('<a href="paper.docx">paper</a> <a href="../x/paper.docx">x</a>')
    >>> scan_live_markup([page], documents=["paper.docx"])["what"].tolist()
    ["href='../x/paper.docx' on <a>"]
    """
    allowed = frozenset(documents)
    rows = []
    for path in map(Path, paths):
        parser = _LiveMarkup(allowed)
        parser.feed(path.read_text(encoding="utf-8"))
        parser.close()
        rows += [{"file": str(path), "line": line, "what": what} for line, what in parser.found]
    return pd.DataFrame(rows, columns=["file", "line", "what"])


#: A count of people in a table, as :func:`evalkit.present.tables.table_html` marks it.
_COUNT_CELL = re.compile(r'<td class="number count">([^<]*)</td>')
#: A share in the text: "27% of 11", "52% of the 1,465 people".
_SHARE = re.compile(r"(?<![\d.,])(\d+(?:\.(\d+))?)\s?% of (?:the |all |these |those )?(\d[\d,]*)\b")
_TAG = re.compile(r"<[^>]*>")
_ALT = re.compile(r'\balt="([^"]*)"')


def _page_text(line: str) -> str:
    """A line of a page as a reader sees it: its text and its alt text, tags removed."""
    return html.unescape(" ".join([_TAG.sub("", line), *_ALT.findall(line)]))


def scan_disclosure(paths: Iterable[str | Path], policy: DisclosurePolicy) -> pd.DataFrame:
    """Find numbers in rendered pages that break the small-number rules of ``policy``.

    Flagged:

    * a count of people in a table (a cell :func:`evalkit.present.tables.table_html` marks as
      a count) of 1 to ``threshold - 1``, or not rounded to ``round_to``;
    * a share written "p% of N" (in text or alt text) whose people with or without it are
      1 to ``threshold - 1`` whatever the true count behind the rounded N
      (:func:`~evalkit.disclosure.suppression.share_withheld`), or whose precision gives back
      the exact count (:func:`~evalkit.disclosure.suppression.percent_pins_count`).

    Returns
    -------
    pandas.DataFrame
        ``file, line, what`` per finding; empty when clean.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> page = pathlib.Path(tempfile.mkdtemp()) / "p.html"
    >>> _ = page.write_text("<p><strong>27%</strong> of 11 followed up.</p>\\n"
    ...                     "<p>26.9% of 95 recovered; 52% of the 1,465 people.</p>\\n"
    ...                     '<td class="number count">3</td><td class="number count">1,466</td>')
    >>> for what in scan_disclosure([page], DisclosurePolicy(threshold=8, round_to=5))["what"]:
    ...     print(what)
    "27% of 11": 3 people have it or 8 do not, fewer than 8
    "26.9% of 95": gives back the exact count, 25 of 93
    a count of 3 people in a table, fewer than 8
    a count of 1,466 people in a table, not rounded to the nearest 5
    """
    threshold, round_to = policy.threshold, policy.round_to
    rows = []
    for path in map(Path, paths):
        text = _DATA_URI.sub("data:", path.read_text(encoding="utf-8"))
        for number, line in enumerate(text.splitlines(), start=1):
            found = []
            for match in _SHARE.finditer(_page_text(line)):
                shown, fraction, denominator = match.groups()
                decimals = len(fraction or "")
                n = int(denominator.replace(",", ""))
                fits = share_candidates(float(shown), decimals, n, round_to)
                if fits and all(
                    small_count(k, threshold) or small_count(d - k, threshold) for k, d in fits
                ):
                    k, d = fits[0]
                    found.append(
                        f'"{match.group(0)}": {k} people have it or {d - k} do not, fewer than '
                        f"{threshold}"
                    )
                elif round_to and len({k for k, _ in fits}) == 1:
                    k, d = fits[0]
                    exact = f"{k} of {d}" if len({d for _, d in fits}) == 1 else str(k)
                    found.append(f'"{match.group(0)}": gives back the exact count, {exact}')
            for match in _COUNT_CELL.finditer(line):
                cell = html.unescape(match.group(1)).strip().replace(",", "")
                if not re.fullmatch(r"\d+", cell):
                    continue
                count = int(cell)
                if small_count(count, threshold):
                    found.append(f"a count of {count:,} people in a table, fewer than {threshold}")
                elif round_to and count % round_to:
                    found.append(
                        f"a count of {count:,} people in a table, not rounded to the nearest "
                        f"{round_to}"
                    )
            rows += [{"file": str(path), "line": number, "what": what} for what in found]
    return pd.DataFrame(rows, columns=["file", "line", "what"]).astype({"line": "int64"})
