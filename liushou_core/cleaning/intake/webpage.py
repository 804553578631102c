"""A web page saved under a spreadsheet's name → the text of its tables, as one sheet.

Web systems export "Excel" files that are really HTML pages holding a ``<table>``, and Excel's "save as web
page" makes them too. Excel opens such a file as one sheet with the tables one under another, so that is
how it is read: every ``<tr>`` of every ``<table>``, in document order, is one grid row (the row number a
person sees counts the tables' rows only; headings and text outside tables are not rows). A cell is its
text as a browser shows it: tags dropped, ``<br>`` a line break, runs of spaces and line breaks in the
source one space, leading and trailing spaces removed. A cell spanning rows (``rowspan``) is copied down
onto each row, as intake does with merged cells; a cell spanning columns (``colspan``) keeps its text in its
first column. Nothing is fetched and no script runs: the standard library's parser only reads the text.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from html.parser import HTMLParser

#: Cells of these tags hold a table's values.
_CELL_TAGS = frozenset({"td", "th"})
#: A span beyond this is a typo or a hostile file; Excel's own limit is 1,048,576 rows and 16,384 columns.
MAX_SPAN = 1000
_SPACES = re.compile(r"[ \t\n\r\f]+")
_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
#: GB2312 and GBK pages are decoded as GB18030, which contains both.
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_CHINESE = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}


def decode_page(data: bytes) -> tuple[str, str]:
    """The page's text and its encoding: BOM, else the ``charset`` it declares, else UTF-8, else GB18030."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), name
    declared = _CHARSET.search(data[:4096])
    candidates = ["utf-8", "gb18030"]
    if declared:
        name = declared.group(1).decode("ascii").lower()
        name = "gb18030" if name in _CHINESE else name
        with contextlib.suppress(LookupError):  # a charset Python does not know: guess as for none
            candidates.insert(0, codecs.lookup(name).name)
    for name in dict.fromkeys(candidates):
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    # a page that is not valid in any of them: read what can be read; the cleaner reports the odd cells
    return data.decode("gb18030", errors="replace"), "gb18030"


class _TableParser(HTMLParser):
    """Collects the rows of every table (cells as lists of text pieces), tables in order of their start."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, int, int]]]] = []  # table → row → (text, rowspan, colspan)
        self._open: list[int] = []  # indexes into tables of the tables being read (nested tables)
        self._cell: list[str] | None = None
        self._span = (1, 1)
        self._skip = 0  # inside <script>/<style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "table":
            self._end_cell()
            self.tables.append([])
            self._open.append(len(self.tables) - 1)
        elif not self._open:
            return
        elif tag == "tr":
            self._end_cell()
            self.tables[self._open[-1]].append([])
        elif tag in _CELL_TAGS:
            self._end_cell()
            rows = self.tables[self._open[-1]]
            if not rows:  # a cell before any <tr>: browsers start a row
                rows.append([])
            values = dict(attrs)
            self._span = (_span(values.get("rowspan")), _span(values.get("colspan")))
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _CELL_TAGS or tag == "tr":
            self._end_cell()
        elif tag == "table" and self._open:
            self._end_cell()
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            # source line breaks are spaces; <br> was recorded as "\n" and survives the collapsing
            self._cell.append(_SPACES.sub(" ", data))

    def _end_cell(self) -> None:
        if self._cell is None or not self._open:
            self._cell = None
            return
        lines = "".join(self._cell).split("\n")
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in lines).strip()
        self.tables[self._open[-1]][-1].append((text, *self._span))
        self._cell = None


def _span(value: str | None) -> int:
    try:
        return min(max(int(str(value).strip()), 1), MAX_SPAN)
    except ValueError:
        return 1


def page_rows(text: str) -> list[list[str | None]]:
    """The rows of every table of a page, spans laid out (see the module doc); ``None`` = empty cell."""
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    parser._end_cell()
    out: list[list[str | None]] = []
    for table in parser.tables:
        out += _lay_out(table)
    return out


def _lay_out(table: list[list[tuple[str, int, int]]]) -> list[list[str | None]]:
    """Place each cell at its column, past the cells still spanning down from rows above."""
    rows: list[list[str | None]] = []
    below: dict[int, tuple[int, str | None]] = {}  # column → (rows still covered, text copied down)
    for cells in table:
        row: list[str | None] = []
        next_cell, column = 0, 0
        while next_cell < len(cells) or any(c >= column for c in below):
            if column in below:
                left, value = below[column]
                row.append(value)
                below = {**below, column: (left - 1, value)} if left > 1 else _without(below, column)
                column += 1
                continue
            if next_cell == len(cells):
                row.append(None)
                column += 1
                continue
            text, rowspan, colspan = cells[next_cell]
            next_cell += 1
            value = text or None
            for k in range(colspan):
                row.append(value if k == 0 else None)
                if rowspan > 1:
                    below[column + k] = (rowspan - 1, value if k == 0 else None)
            column += colspan
        rows.append(row)
    return rows


def _without(spans: dict[int, tuple[int, str | None]], column: int) -> dict[int, tuple[int, str | None]]:
    return {c: v for c, v in spans.items() if c != column}
