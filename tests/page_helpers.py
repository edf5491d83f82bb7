"""Reading the sections of a report page: its tables, and the evaluation under another policy.

Shared by the page section tests (test_page_*.py); their fixtures are in conftest.py.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

from evalkit.config import DisclosurePolicy
from evalkit.data.evaluation import Evaluation
from evalkit.present.blocks import Blocks


class _Tables(HTMLParser):
    """The tables of some HTML: caption, then rows of cell text (the first row the header).

    A withheld cell reads ``*``, as the reader sees it.
    """

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "tr":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td", "caption"):
            self._cell = []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag):
        if tag in ("th", "td", "caption") and self._cell is not None:
            text, self._cell = "".join(self._cell), None
            if tag == "caption":
                self.tables[-1]["caption"] = text
            else:
                self.tables[-1]["rows"][-1].append(text)


def tables_of(blocks: Blocks, levels: int = 1) -> list[dict]:
    """Each table of ``blocks``, as a dict of:

    ``caption``
        the caption's text;
    ``header``
        the whole first row, row headings included;
    ``columns``
        the header without its row-heading columns;
    ``records``
        each further row as {header cell: cell text}, row headings included;
    ``rows``
        {row heading: {column: cell text}}, without the row headings.

    ``levels`` is the number of row-heading columns; with more than one, ``rows`` is keyed by
    a tuple of the headings.
    """
    parser = _Tables()
    parser.feed(blocks.text())
    out = []
    for table in parser.tables:
        header, *rows = table["rows"] or [[]]
        columns = header[levels:]
        out.append(
            {
                "caption": table["caption"],
                "header": header,
                "columns": columns,
                "records": [dict(zip(header, row, strict=True)) for row in rows],
                "rows": {
                    (row[0] if levels == 1 else tuple(row[:levels])): dict(
                        zip(columns, row[levels:], strict=True)
                    )
                    for row in rows
                },
            }
        )
    return out


def with_policy(ev: Evaluation, policy: DisclosurePolicy) -> Evaluation:
    """The same evaluation under another disclosure policy."""
    return dataclasses.replace(ev, config=dataclasses.replace(ev.config, disclosure=policy))
