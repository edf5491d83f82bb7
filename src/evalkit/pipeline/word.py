"""Rendered report HTML as Word content: the paper's styles and page, and each page's headings,
paragraphs, lists, quotes, tables and figures as their Word counterparts.

:class:`HtmlToWord` reads the HTML the report's pages are made of (nbconvert's body of each
notebook: Markdown rendered by :func:`evalkit.pipeline.render.safe_markdown`, tables from
:func:`evalkit.present.tables.table_html`, figures from :func:`evalkit.present.figures.figure_html`)
and adds it to a python-docx document as it is: text, numbers and asterisks are copied, never
recomputed. Headings become Word's ``Heading 1`` to ``Heading 4``; a table's header row is
marked (``w:tblHeader``) and its caption is its title (``w:tblCaption``); a figure's alt text is
its picture's description (``wp:docPr/@descr``). Links become plain text.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import lxml.html
from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

__all__ = ["HtmlToWord", "add_field", "set_up_a4", "set_up_styles"]

#: A4 with 2 cm margins; figures 16 cm wide (at most 19 cm tall).
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Cm(21.0), Cm(29.7), Cm(2.0)
_FIGURE_WIDTH, _FIGURE_MAX_HEIGHT = Cm(16.0), Cm(19.0)
_FONT = "Arial"
_HEADING_COLOUR = RGBColor(0x1F, 0x38, 0x64)  # 11:1 contrast on white
_NOTE_COLOUR = RGBColor(0x47, 0x47, 0x47)  # the pages' footer grey, 9:1 on white
_HEADER_FILL = "DCE3EA"
_HEADING_SIZES = {"Title": 24, "Subtitle": 14, 1: 16, 2: 13, 3: 12, 4: 11}
_INLINE = {"strong", "b", "em", "i", "code", "span", "a", "br", "sup", "sub", "small", "del"}
_WHITESPACE = re.compile(r"\s+")
#: A table of this many columns or more is set a point smaller.
_WIDE_TABLE_COLUMNS = 7


# --------------------------------------------------------------------------------------------
# Styles, page, fields, table properties


def _set_font(style: Any, size: float, *, bold: bool | None = None, colour=None) -> None:
    style.font.name = _FONT
    style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    if colour is not None:
        style.font.color.rgb = colour
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)  # a theme font would win over Arial


def set_up_styles(document: Document) -> None:
    """Arial throughout, en-GB, dark-blue headings, captions, quotes and the table styles."""
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        run_defaults = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if run_defaults is not None:
            language = run_defaults.find(qn("w:lang"))
            if language is None:
                language = OxmlElement("w:lang")
                run_defaults.append(language)
            for attribute in ("w:val", "w:eastAsia", "w:bidi"):
                language.set(qn(attribute), "en-GB")
    _set_font(styles["Normal"], 11)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    styles["Normal"].paragraph_format.line_spacing = 1.15
    for name in ("Title", "Subtitle"):
        _set_font(styles[name], _HEADING_SIZES[name], colour=_HEADING_COLOUR)
    styles["Subtitle"].font.italic = False
    for level in (1, 2, 3, 4):
        style = styles[f"Heading {level}"]
        _set_font(style, _HEADING_SIZES[level], bold=True, colour=_HEADING_COLOUR)
        style.font.italic = False
        style.paragraph_format.space_before = Pt(18 if level == 1 else 12)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
    for name in ("Header", "Footer"):
        _set_font(styles[name], 9, colour=_NOTE_COLOUR)
    caption = styles["Caption"]
    _set_font(caption, 10, bold=True, colour=RGBColor(0, 0, 0))
    caption.font.italic = False
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(4)
    quote = styles["Quote"]
    _set_font(quote, 11, colour=RGBColor(0x26, 0x26, 0x26))
    quote.paragraph_format.left_indent = Cm(0.8)
    quote.paragraph_format.right_indent = Cm(0.8)
    quote.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    for name, size in (("Table text", 9), ("Wide table text", 8), ("Table note", 9)):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = styles["Normal"]
        _set_font(style, size)
        style.paragraph_format.space_after = Pt(6 if name == "Table note" else 0)
        style.paragraph_format.line_spacing = 1.0
    styles["Table note"].font.color.rgb = _NOTE_COLOUR
    styles["Table note"].paragraph_format.space_before = Pt(3)


def add_field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    """A Word field (``PAGE``, ``NUMPAGES``) with the text shown until it is updated."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


def set_up_a4(document: Document) -> None:
    """A4 portrait with 2 cm margins (python-docx's own template is US Letter)."""
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, MARGIN)


def _mark_header_row(row: Any) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _keep_row_together(row: Any) -> None:
    properties = row._tr.get_or_add_trPr()
    properties.insert(0, OxmlElement("w:cantSplit"))


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _cell_margins(table: Table) -> None:
    """A little space above and below each cell's text (Word's default is none)."""
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 30), ("left", 85), ("bottom", 30), ("right", 85)):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties = table._tbl.tblPr
    look = properties.find(qn("w:tblLook"))
    if look is not None:
        look.addprevious(margins)
    else:
        properties.append(margins)


def _table_title(table: Table, caption: str) -> None:
    """The table's accessible name (Word's Alt Text title), after the other table properties."""
    title = OxmlElement("w:tblCaption")
    title.set(qn("w:val"), caption)
    table._tbl.tblPr.append(title)


# --------------------------------------------------------------------------------------------
# HTML to Word


@dataclass
class _Format:
    bold: bool = False
    italic: bool = False
    code: bool = False
    superscript: bool = False
    subscript: bool = False
    strike: bool = False


def _text(node: lxml.html.HtmlElement) -> str:
    return _WHITESPACE.sub(" ", node.text_content()).strip()


def _classes(node: lxml.html.HtmlElement) -> set[str]:
    return set((node.get("class") or "").split())


def _is_element(node: object) -> bool:
    return isinstance(node, lxml.html.HtmlElement) and isinstance(node.tag, str)


class HtmlToWord:
    """Adds rendered report HTML to a Word document, block by block, in reading order.

    Tables and figures are numbered across everything added ("Table 3: ..."); each ``h1``
    after the first starts a new page.

    Examples
    --------
    >>> from docx import Document as new_document
    >>> document = new_document(); set_up_styles(document)
    >>> body = lxml.html.fromstring('<main><h2>Reach</h2><ul><li><b>120</b> people</li></ul>'
    ...                             '</main>')
    >>> HtmlToWord(document).blocks(body)
    >>> [(p.style.name, p.text) for p in document.paragraphs]
    [('Heading 2', 'Reach'), ('List Bullet', '120 people')]
    """

    def __init__(self, document: Document) -> None:
        self.document = document
        self.tables = 0
        self.figures = 0
        self.headings = 0

    # Inline text ------------------------------------------------------------------------

    def _add_text(self, paragraph: Paragraph, text: str, fmt: _Format) -> None:
        text = _WHITESPACE.sub(" ", text)
        if not text:
            return
        previous = "".join(run.text for run in paragraph.runs[-1:])
        if text.startswith(" ") and (not paragraph.runs or previous.endswith((" ", "\n"))):
            text = text.lstrip()
        if not text:
            return
        run = paragraph.add_run(text)
        run.bold = fmt.bold or None
        run.italic = fmt.italic or None
        if fmt.code:
            run.font.name = "Consolas"
        if fmt.superscript:
            run.font.superscript = True
        if fmt.subscript:
            run.font.subscript = True
        if fmt.strike:
            run.font.strike = True

    def inline(self, paragraph: Paragraph, node: lxml.html.HtmlElement, fmt: _Format) -> None:
        """Add an inline element's text as runs (links become their text: no live content;
        a heading's "¶" anchor link is left out)."""
        tag = node.tag
        if tag == "a" and (node.get("href") or "").startswith("#") and _text(node) == "¶":
            return
        fmt = _Format(
            bold=fmt.bold or tag in ("strong", "b"),
            italic=fmt.italic or tag in ("em", "i"),
            code=fmt.code or tag == "code",
            superscript=fmt.superscript or tag == "sup",
            subscript=fmt.subscript or tag == "sub",
            strike=fmt.strike or tag == "del",
        )
        if tag == "br":
            paragraph.add_run().add_break()
        elif node.text:
            self._add_text(paragraph, node.text, fmt)
        for child in node:
            if _is_element(child):
                self.inline(paragraph, child, fmt)
            if child.tail:
                self._add_text(paragraph, child.tail, fmt)

    def _trim(self, paragraph: Paragraph) -> Paragraph | None:
        """Strip trailing spaces; drop the paragraph if it holds nothing."""
        for run in reversed(paragraph.runs):
            stripped = run.text.rstrip(" ")
            if stripped != run.text and "\n" not in run.text:
                run.text = stripped
            if run.text:
                break
        if not paragraph.text.strip():
            paragraph._p.getparent().remove(paragraph._p)
            return None
        return paragraph

    def paragraph(
        self, nodes: Iterable[lxml.html.HtmlElement | str], style: str | None = None
    ) -> Paragraph | None:
        """A paragraph of inline content: text and inline elements in order."""
        paragraph = self.document.add_paragraph(style=style)
        for node in nodes:
            if isinstance(node, str):
                self._add_text(paragraph, node, _Format())
            else:
                self.inline(paragraph, node, _Format())
        return self._trim(paragraph)

    def _contents(self, node: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement | str]:
        parts: list[lxml.html.HtmlElement | str] = [node.text or ""]
        for child in node:
            if _is_element(child):
                parts.append(child)
            parts.append(child.tail or "")
        return parts

    # Blocks ----------------------------------------------------------------------------

    def blocks(self, node: lxml.html.HtmlElement, style: str | None = None) -> None:
        """Add a container's children: runs of inline content become paragraphs."""
        pending: list[lxml.html.HtmlElement | str] = []
        for part in self._contents(node):
            if isinstance(part, str) or part.tag in _INLINE:
                pending.append(part)
                continue
            if pending:
                self.paragraph(pending, style)
                pending = []
            self.block(part, style)
        if pending:
            self.paragraph(pending, style)

    def block(self, node: lxml.html.HtmlElement, style: str | None = None) -> None:
        tag = node.tag
        if re.fullmatch(r"h[1-6]", tag):
            self.heading(node, int(tag[1]))
        elif tag == "p":
            table_note = "table-note" in _classes(node)
            self.paragraph(self._contents(node), "Table note" if table_note else style)
        elif tag in ("ul", "ol"):
            self.items(node, ordered=tag == "ol", depth=1)
        elif tag == "table":
            self.table(node)
        elif tag == "figure" and node.find(".//img") is not None:
            self.figure(node)
        elif tag == "blockquote":
            self.blocks(node, "Quote")
        elif tag == "footer" and style == "Quote":
            attribution = self.paragraph(self._contents(node), "Quote")
            if attribution is not None:
                attribution.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        elif tag == "dl":
            self.definitions(node, style)
        elif tag in ("hr", "img", "script", "style", "nav", "template"):
            return
        else:
            self.blocks(node, style)

    def heading(self, node: lxml.html.HtmlElement, level: int) -> None:
        """A Word heading; a page's title (``h1``) starts a new page."""
        paragraph = self.document.add_heading(level=min(level, 4))
        if level == 1 and self.headings:
            paragraph.paragraph_format.page_break_before = True
        self.inline(paragraph, node, _Format())
        self._trim(paragraph)
        self.headings += 1

    def items(self, node: lxml.html.HtmlElement, *, ordered: bool, depth: int) -> None:
        """List items as Word list paragraphs; a nested list one level further in."""
        kind = "List Number" if ordered else "List Bullet"
        style = kind if depth == 1 else f"{kind} {min(depth, 3)}"
        for item in node.iterchildren("li"):
            pending: list[lxml.html.HtmlElement | str] = []
            for part in self._contents(item):
                if isinstance(part, str) or part.tag in _INLINE:
                    pending.append(part)
                elif part.tag == "p":
                    pending += [*self._contents(part), " "]
                elif part.tag in ("ul", "ol"):
                    if pending:
                        self.paragraph(pending, style)
                        pending = []
                    self.items(part, ordered=part.tag == "ol", depth=depth + 1)
                else:
                    pending.append(_text(part))
            if pending:
                self.paragraph(pending, style)

    def definitions(self, node: lxml.html.HtmlElement, style: str | None) -> None:
        """A definition list as "**term:** description" paragraphs."""
        term: lxml.html.HtmlElement | None = None
        for child in node.iterchildren("dt", "dd"):
            if child.tag == "dt":
                term = child
                continue
            paragraph = self.document.add_paragraph(style=style)
            if term is not None:
                self.inline(paragraph, term, _Format(bold=True))
                self._add_text(paragraph, ": ", _Format(bold=True))
            self.inline(paragraph, child, _Format())
            self._trim(paragraph)
            term = None

    def table(self, node: lxml.html.HtmlElement) -> None:
        rows = node.xpath("./thead/tr | ./tbody/tr | ./tr | ./tfoot/tr")
        if not rows:
            return
        header_rows = len(node.xpath("./thead/tr")) or 1
        grid = [[cell for cell in row if _is_element(cell) and cell.tag in ("th", "td")]
                for row in rows]  # fmt: skip
        columns = max(len(cells) for cells in grid)
        self.tables += 1
        caption_node = node.find("caption")
        caption_text = _text(caption_node) if caption_node is not None else ""
        caption = self.document.add_paragraph(style="Caption")
        caption.add_run(f"Table {self.tables}" + (f": {caption_text}" if caption_text else ""))
        caption.paragraph_format.keep_with_next = True

        table = self.document.add_table(rows=len(grid), cols=columns)
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        if caption_text:
            _table_title(table, caption_text)
        widths = _column_widths(grid, columns, PAGE_WIDTH - 2 * MARGIN)
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width  # the grid LibreOffice reads; the cells' widths are Word's
        _cell_margins(table)
        style = "Wide table text" if columns >= _WIDE_TABLE_COLUMNS else "Table text"
        for r, (cells, row) in enumerate(zip(grid, table.rows, strict=True)):
            is_header = r < header_rows
            if is_header:
                _mark_header_row(row)
            _keep_row_together(row)
            for c in range(columns):
                cell = row.cells[c]
                cell.width = widths[c]
                paragraph = cell.paragraphs[0]
                paragraph.style = self.document.styles[style]
                if c >= len(cells):
                    continue
                source = cells[c]
                header_cell = is_header or source.tag == "th"
                self.inline(paragraph, source, _Format(bold=header_cell))
                self._trim_cell(paragraph)
                if is_header:
                    _shade(cell, _HEADER_FILL)
                if _classes(source) & {"number", "suppressed"}:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        following = node.getnext()
        if following is not None and "table-note" in _classes(following):
            for cell in table.rows[-1].cells:  # the last row stays on the page of its notes
                cell.paragraphs[0].paragraph_format.keep_with_next = True
        if following is None:  # Word joins two tables with nothing between them
            self.document.add_paragraph(style="Table note")

    def _trim_cell(self, paragraph: Paragraph) -> None:
        if paragraph.runs:
            paragraph.runs[-1].text = paragraph.runs[-1].text.rstrip(" ")

    def figure(self, node: lxml.html.HtmlElement) -> None:
        image = node.find(".//img")
        assert image is not None
        src = image.get("src", "")
        match = re.match(r"data:image/(png|jpeg|gif);base64,(.*)", src, re.DOTALL)
        if match is None:
            return
        try:
            data = base64.b64decode(match.group(2))
        except (binascii.Error, ValueError):
            return
        self.figures += 1
        alt = _WHITESPACE.sub(" ", image.get("alt", "")).strip()
        picture_paragraph = self.document.add_paragraph()
        picture_paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        picture_paragraph.paragraph_format.keep_with_next = True
        picture = picture_paragraph.add_run().add_picture(io.BytesIO(data), width=_FIGURE_WIDTH)
        if picture.height > _FIGURE_MAX_HEIGHT:
            scale = _FIGURE_MAX_HEIGHT / picture.height
            picture.height = Emu(int(picture.height * scale))
            picture.width = Emu(int(_FIGURE_WIDTH * scale))
        properties = picture._inline.docPr
        properties.set("name", f"Figure {self.figures}")
        properties.set("descr", alt)
        caption_node = node.find("figcaption")
        caption_text = _text(caption_node) if caption_node is not None else ""
        caption = self.document.add_paragraph(style="Caption")
        caption.add_run(f"Figure {self.figures}" + (f": {caption_text}" if caption_text else ""))
        caption.paragraph_format.space_after = Pt(10)


def _column_widths(
    grid: Sequence[Sequence[lxml.html.HtmlElement]], columns: int, total: int
) -> list[Emu]:
    """Column widths that fit ``total``: each column first gets room for its longest word (so
    no word is broken), then what is left goes to the columns whose cells are longer.

    Examples
    --------
    >>> row = lxml.html.fromstring("<tr><td>CMOC1</td><td>" + "word " * 40 + "</td></tr>")
    >>> narrow, wide = _column_widths([list(row)], 2, int(Cm(17)))
    >>> round(narrow.cm, 1), round(wide.cm, 1)
    (1.6, 15.4)
    """
    character, padding = Pt(4.8), Cm(0.3)  # an average character of 9 pt Arial; cell margins
    room = max(total / character - columns * padding / character, columns)
    floors, wants = [], []
    for c in range(columns):
        texts = [_text(row[c]) for row in grid if c < len(row)] or [""]
        longest_word = max((len(word) for text in texts for word in text.split()), default=1)
        typical = sorted(len(text) for text in texts)[len(texts) // 2]
        floors.append(min(max(longest_word + 2, 4), 24))  # + 2: bold and capitals are wider
        wants.append(max(min(typical, 80) - floors[-1], 0))
    spare = room - sum(floors)
    if spare <= 0:
        chars = [f * room / sum(floors) for f in floors]
    else:
        share = spare / sum(wants) if sum(wants) else 0.0
        extra = [min(w * share, w) if sum(wants) > spare else w for w in wants]
        wanted = [f + e for f, e in zip(floors, extra, strict=True)]
        # When everything wanted fits, what is left goes to each column in proportion.
        chars = [w * room / sum(wanted) for w in wanted]
    widths = [c * character + padding for c in chars]
    scale = total / sum(widths)
    return [Emu(int(w * scale)) for w in widths]
