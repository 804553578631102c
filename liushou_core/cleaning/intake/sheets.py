"""The bytes of one return → its sheets as grids of text cells (:class:`Sheet`).

Workbooks (``.xlsx``/``.xlsm``/``.xls``) are read with python-calamine, every sheet from cell A1 so that a
grid row ``i`` is the row ``i + 1`` a person sees in Excel (title rows counted). What calamine gives back:
``""`` for an empty cell (and for error cells such as ``#N/A``), the value only in the top-left cell of a
merged area, ``float`` for every xlsx number and ``int`` or ``float`` for xls ones, ``date``/``datetime``/
``time``/``timedelta`` for cells with a date or time format, a formula's cached value.

CSVs are decoded (BOM → UTF-8-SIG or UTF-16, else UTF-16 when every other byte of the text is zero —
Excel's "Unicode text" —, else strict UTF-8, else GB18030, a superset of GBK) and parsed by pyarrow, with
commas or, when the first lines hold more tabs than commas, tabs between cells; pandas' C parser and then
the csv module take over for odd files. A CSV is one sheet named ``""`` whose grid row ``i`` is record
``i + 1`` (when a quoted cell spans lines, ``row_numbers`` keeps the line each record starts on; an open
quote that swallowed lines makes the file be read one line per row, :func:`csv_sheet`). Records shorter
than the longest one are padded with empty cells, so ragged lines are read as far as they go.

A web page saved as ``.xls`` is read from its tables (:mod:`.webpage`), as one sheet named ``""``.

Nothing here decides what a row means; :mod:`.table` does. A file that cannot be read raises
:class:`Unreadable` with the reason in words a statistician can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import python_calamine

from liushou_core.cleaning.intake.cells import cell_texts, fill_merged_down
from liushou_core.cleaning.intake.limits import DEFAULT_LIMITS, Limits
from liushou_core.cleaning.intake.webpage import decode_page, page_rows
from liushou_core.cleaning.intake.workbook_parts import TooBig, too_large, workbook_extents

Kind = Literal["xlsx", "xls", "csv", "html"]

WORKBOOK_SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls"}
CSV_SUFFIXES = {".csv": "csv"}
#: Spreadsheet formats people send that are not accepted: named in the message so they can re-save.
OTHER_SPREADSHEET_SUFFIXES = frozenset(
    {".et", ".ett", ".ods", ".xlsb", ".xltx", ".xltm", ".xlt", ".numbers", ".wps"}
)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESAVE = "请在 Excel 或 WPS 中打开，确认内容无误后另存为 .xlsx 再导入"
_RESEND = "请向报送单位重新索取原文件；若 Excel 或 WPS 仍能打开它，也可另存为 .xlsx 再导入"
#: The stream an encrypted (password-protected) .xlsx keeps its content in, as its OLE directory names it.
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


class Unreadable(Exception):
    """Raised when a file is not a spreadsheet or CSV that can be read; ``args[0]`` says why, in Chinese."""


@dataclass(frozen=True)
class Sheet:
    """One sheet of a return as text: ``cells`` has positional columns ``0…n-1`` of pandas ``string``
    dtype (``<NA>`` = empty) and a ``RangeIndex``; grid row ``i`` is spreadsheet row / CSV record ``i+1``."""

    name: str
    index: int  # 0-based position of the sheet in its file
    cells: pd.DataFrame
    hidden: bool = False
    #: rows Excel hides (1-based, as a person sees them): read like the others, and reported
    hidden_rows: tuple[int, ...] = ()
    #: grid rows of a CSV whose line has a quote without its pair (read line by line, and reported)
    unmatched_quotes: tuple[int, ...] = ()
    #: the row number a person sees of each grid row, when it is not grid row + 1 (a CSV record whose
    #: quoted cell spans lines: the next record starts further down)
    row_numbers: np.ndarray | None = None


@dataclass(frozen=True)
class Contents:
    """What was found in one file: its real kind, the CSV encoding (if any) and its sheets."""

    kind: Kind
    encoding: str | None
    sheets: list[Sheet]


def sniff_kind(data: bytes, suffix: str) -> Kind:
    """The format of a file by its first bytes (a workbook renamed to ``.csv`` or ``.xls`` still reads)."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if suffix in CSV_SUFFIXES:
        return "csv"
    head = data[:2048].lstrip(codecs.BOM_UTF8).lstrip().lower()
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in data[:4096]:
        raise Unreadable(f"这个文件实际上是“XML 电子表格 2003”格式，只是扩展名为 {suffix}，{_RESAVE}")
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<meta", b"<head", b"<body", b"<!--")):
        return "html"
    if head.startswith((b"<?xml", b"<!doctype")):
        raise Unreadable(f"这个文件实际上是 XML 格式，只是扩展名为 {suffix}，{_RESAVE}")
    raise Unreadable(f"文件不是有效的 Excel 文件（已损坏，或是其他格式改了扩展名），{_RESAVE}")


def read_contents(data: bytes, suffix: str, limits: Limits = DEFAULT_LIMITS) -> Contents:
    """Parse the bytes of a return (``suffix`` is the lower-case file extension, for messages and CSVs)."""
    if not data:
        raise Unreadable("文件是空的（0 字节），可能在传送中损坏，请向报送单位重新索取")
    kind = sniff_kind(data, suffix)
    if kind == "csv":
        text, encoding = decode_csv(data)
        utf8 = data.removeprefix(codecs.BOM_UTF8) if encoding.startswith("utf-8") else None
        return Contents(kind="csv", encoding=encoding, sheets=[csv_sheet(text, utf8)])
    if kind == "html":
        return webpage_contents(data, suffix)
    return Contents(kind=kind, encoding=None, sheets=workbook_sheets(data, limits))


def webpage_contents(data: bytes, suffix: str) -> Contents:
    """A web page saved under a spreadsheet's name: its tables, one under another, as one sheet."""
    text, encoding = decode_page(data)
    rows = page_rows(text)
    if not any(cell is not None for row in rows for cell in row):
        raise Unreadable(
            f"这个文件实际上是网页（HTML）格式，只是扩展名为 {suffix}，而且网页里没有表格数据，{_RESAVE}"
        )
    width = max(len(row) for row in rows)
    grid = pd.DataFrame(
        [row + [None] * (width - len(row)) for row in rows], columns=range(width), dtype="string"
    )
    return Contents(kind="html", encoding=encoding, sheets=[Sheet("", 0, grid)])


# --- workbooks -----------------------------------------------------------------------------------------


def workbook_sheets(data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """Every worksheet of an ``.xlsx``/``.xls`` workbook, in workbook order (chart sheets left out).

    An ``.xlsx`` is measured first (:mod:`.workbook_parts`): one that unpacks to too much or has a sheet too
    large to lay out is refused before the reader sees it; its hidden rows are noted on each sheet.
    """
    try:
        extents = workbook_extents(data, limits) if data.startswith(_ZIP_MAGIC) else {}
    except TooBig as exc:
        raise Unreadable(str(exc)) from exc
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError as exc:
        raise Unreadable(f"文件设置了打开密码（{exc}），请去掉密码后另存为 .xlsx 再导入") from exc
    except python_calamine.CalamineError as exc:
        raise Unreadable(_broken_workbook(data, exc)) from exc
    sheets = []
    with book:
        for position, meta in enumerate(book.sheets_metadata):
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = book.get_sheet_by_index(position)
                # an .xls is not measured before it is loaded; its extent (at most 65,536 × 256) is checked
                # before the grid is built in Python, which takes far more memory than the reader's
                height, width = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
                if height * width > limits.sheet_cells:
                    raise Unreadable(too_large(meta.name, height, width))
                values = sheet.to_python(skip_empty_area=False)
                merged = sheet.merged_cell_ranges
            except python_calamine.CalamineError as exc:
                raise Unreadable(f"工作表“{meta.name}”无法读取（{exc}），{_RESAVE}") from exc
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            hidden_rows = extents[meta.name].hidden_rows if meta.name in extents else ()
            grid = _grid(values, merged)
            sheets.append(Sheet(meta.name, position, grid, hidden=hidden, hidden_rows=hidden_rows))
    return sheets


def _broken_workbook(data: bytes, exc: Exception) -> str:
    """Why calamine could not open a workbook, in words that say what to do."""
    if data.startswith(_OLE_MAGIC) and _ENCRYPTED_STREAM in data:
        # Excel keeps a password-protected .xlsx encrypted inside an OLE file; calamine cannot open it
        return "文件设置了打开密码（已加密），请在 Excel 或 WPS 中输入密码打开，去掉密码后另存为 .xlsx 再导入"
    if data.startswith(_ZIP_MAGIC) and not zipfile.is_zipfile(io.BytesIO(data)):
        # an .xlsx is a zip whose directory is at its end: a file cut short has none
        return f"文件不完整（只有前 {len(data)} 字节，可能在复制、下载或传送时中断），{_RESEND}"
    # calamine's own words help the maintainers, except this one, which says no more than the sentence
    why = "" if "Cannot detect file format" in str(exc) else f"（{exc}）"
    return f"文件已损坏或不是有效的 Excel 文件{why}，{_RESAVE}"


def _grid(
    values: Sequence[Sequence[object]], merged: list[tuple[tuple[int, int], tuple[int, int]]] | None
) -> pd.DataFrame:
    """Calamine's rows (all as wide as the sheet's used range) → the grid of text cells."""
    width = max((len(row) for row in values), default=0)
    if not values or width == 0:
        return pd.DataFrame(index=pd.RangeIndex(len(values)))
    raw = np.empty((len(values), width), dtype=object)
    raw[:, :] = values  # rectangular, so numpy copies it in one go (no loop over rows)
    texts = cell_texts(fill_merged_down(raw, merged))
    return pd.DataFrame(
        {j: text_series(pa.array(texts[:, j], type=TEXT, from_pandas=True)) for j in range(width)}
    )


# --- CSV -------------------------------------------------------------------------------------------------


def decode_csv(data: bytes) -> tuple[str, str]:
    """Decode a CSV: BOM → ``utf-8-sig`` or ``utf-16``; zero bytes in every other place → ``utf-16-le`` /
    ``utf-16-be``; else strict ``utf-8``; else ``gb18030`` (which reads GBK too)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = [*_utf16_without_bom(data), "utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # almost any even number of bytes decodes as UTF-16: garbage shows as control characters
        if not encoding.startswith("utf-16") or not _CONTROL.search(text):
            return text, encoding
    raise Unreadable(
        "无法识别 CSV 的文字编码（不是 UTF-8、UTF-16、GBK 或 GB18030，或文件已损坏），"
        "请在 Excel 或 WPS 中打开后另存为“CSV UTF-8（逗号分隔）”或 .xlsx 再导入"
    )


#: Characters no text file holds (C0 controls other than tab and line ends, the non-characters U+FFFE/F).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _utf16_without_bom(data: bytes) -> list[str]:
    """``utf-16-le``/``-be`` when many odd (even) bytes of the start are zero and few of the others: ASCII
    text (digits, commas, line ends) in UTF-16 has a zero byte beside each character, which UTF-8 and
    GB18030 text never has; Chinese characters have none, so a tenth is enough."""
    head = data[:4096]
    if len(head) < 4 or len(head) % 2:
        return []
    odd, even = head[1::2].count(0), head[0::2].count(0)
    enough = max(2, len(head) // 20)
    if odd >= enough and even * 4 <= odd:
        return ["utf-16-le"]
    if even >= enough and odd * 4 <= even:
        return ["utf-16-be"]
    return []


def csv_sheet(text: str, utf8: bytes | None = None) -> Sheet:
    """A decoded CSV as one sheet named ``""``: one grid row per record, short lines padded with ``<NA>``.

    ``utf8`` is the same text as UTF-8 bytes when the file already was UTF-8 (saves encoding it again).

    A quoted cell may hold line breaks (Alt+Enter in Excel), so a record may span lines; each row then keeps
    the number of the line it starts on. But a quote typed at the start of a cell and never closed makes
    every line down to the next quote one cell: a cell holding line breaks together with the separator, or
    line breaks and more than :data:`SANE_CELL` characters, is taken for that, and the file is read again
    one line per row (:func:`line_grid`), with the lines whose quotes have no pair noted on the sheet.
    """
    delimiter = sniff_delimiter(text)
    grid = csv_grid(text, utf8, delimiter=delimiter)
    breaks, swallowing = _line_breaks(grid, delimiter)
    if swallowing:
        lines, unmatched = line_grid(text, delimiter)
        return Sheet("", 0, lines, unmatched_quotes=unmatched)
    if breaks is None:
        return Sheet("", 0, grid)
    # record i starts below the lines the records before it spanned
    starts = 1 + np.arange(len(grid), dtype=np.int64) + np.concatenate([[0], np.cumsum(breaks)[:-1]])
    return Sheet("", 0, grid, row_numbers=starts.astype(np.int64))


#: A cell with line breaks and more characters than this is lines swallowed by an open quote, not a note.
SANE_CELL = 1000
_LINE_BREAK = r"\r\n|\r|\n"


def _line_breaks(grid: pd.DataFrame, delimiter: str) -> tuple[np.ndarray | None, bool]:
    """The line breaks inside each record's cells (None when there are none), and whether some cell holding
    line breaks also holds the separator or is over :data:`SANE_CELL` characters."""
    breaks: np.ndarray | None = None
    for column in grid.columns:  # one vectorised pass per column
        values = pa.array(grid[column].array)
        if values.type != TEXT:
            values = values.cast(TEXT)
        counts = _count_line_breaks(values)
        if not counts.any():
            continue
        spanning = values.filter(pa.array(counts > 0))
        wide = pc.greater(pc.utf8_length(spanning), SANE_CELL)
        if pc.any(pc.or_(pc.match_substring(spanning, delimiter), wide)).as_py():
            return None, True
        breaks = counts if breaks is None else breaks + counts
    return breaks, False


def _count_line_breaks(values: pa.Array) -> np.ndarray:
    """The line breaks (``\r\n``, ``\r`` or ``\n``) in each cell: plain substring counts, several times
    faster than the regular expression :data:`_LINE_BREAK` over every cell of a large file."""

    def count(pattern: str) -> np.ndarray:
        found = pc.fill_null(pc.count_substring(values, pattern), 0)
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)

    counts = count("\n")
    returns = count("\r")
    if returns.any():  # a \r\n is one break, counted once in each
        counts = counts + returns - count("\r\n")
    return counts


def line_grid(text: str, delimiter: str = ",") -> tuple[pd.DataFrame, tuple[int, ...]]:
    """A CSV read one physical line per row, so no quote can join lines, and the grid rows of the lines
    whose quotes have no pair (those are split at every separator, the quote kept as text)."""
    lines = re.split(_LINE_BREAK, text)
    if lines and lines[-1] == "":
        lines.pop()
    records: list[list[str]] = []
    unmatched: list[int] = []
    for number, line in enumerate(lines):  # a broken file's lines, read once: bounded by the file
        if line.count('"') % 2:
            unmatched.append(number)
            records.append(line.split(delimiter))
        else:
            records.append(next(csv.reader([line], delimiter=delimiter, strict=False), []))
    width = max((len(r) for r in records), default=1)
    padded = [r + [""] * (width - len(r)) for r in records]
    frame = pd.DataFrame(padded, columns=range(width), dtype=object).replace("", None)
    return frame.astype("string"), tuple(unmatched)


def sniff_delimiter(text: str) -> str:
    """A tab when the first lines hold more tabs than commas (Excel's "Unicode text", a tab-separated file
    saved as ``.csv``), else a comma."""
    head = text[:65536]
    return "\t" if head.count("\t") > head.count(",") else ","


#: The arrow type behind pandas' ``string`` dtype: columns built in it reach pandas without a copy.
TEXT = pa.large_string()
_STRING_TYPES = {pa.string(): pd.StringDtype(), TEXT: pd.StringDtype()}


def text_series(values: pa.Array | pa.ChunkedArray, index: pd.Index | None = None) -> pd.Series:
    """A pyarrow string array as a pandas ``string`` Series (``<NA>`` for null)."""
    series = values.to_pandas(types_mapper=_STRING_TYPES.get)
    return series if index is None else pd.Series(series.array, index=index)


def constant_text(value: str | None, n: int) -> pd.Series:
    """A ``string`` Series of ``n`` times the same text (or ``<NA>``), built without a Python list."""
    values = pa.nulls(n, TEXT) if value is None else pa.repeat(pa.scalar(value, TEXT), n)
    return text_series(values)


#: Above this many records of another width than the body, the fast reader hands over to the slow one.
MAX_SET_ASIDE = 2000


class _SlowPath(Exception):
    """Raised when the fast reader cannot place every record; the exact slow reader takes over."""


def csv_grid(text: str, utf8: bytes | None = None, delimiter: str = ",") -> pd.DataFrame:
    """The records of a CSV text as a grid (``""`` cells → ``<NA>``), as wide as its longest record.

    The body is parsed by pyarrow (fast); records of another width than most (title lines, footers, ragged
    lines) come back through its invalid-row handler with their record number and are put back in place.
    If that cannot be done (an unmatched quote…), pandas' C parser reads the text, padding short records.
    """
    if not text or text.isspace():
        return pd.DataFrame(index=pd.RangeIndex(0))
    data = text.encode("utf-8") if utf8 is None else utf8
    try:
        return _arrow_grid(data, _usual_width(text, delimiter), delimiter)
    except (pa.ArrowInvalid, _SlowPath):
        return _pandas_grid(text, delimiter)


def _usual_width(text: str, delimiter: str = ",") -> int:
    """The most common number of cells among the first records (the width of the table's body)."""
    reader = csv.reader(io.StringIO(text[:65536], newline=""), strict=False, delimiter=delimiter)
    widths: Counter[int] = Counter()
    try:
        for _, record in zip(range(64), reader, strict=False):
            if record:  # an empty line says nothing about the table's width
                widths[len(record)] += 1
    except csv.Error:
        pass
    return max(widths, key=lambda w: (widths[w], w)) if widths else 1


def _arrow_grid(data: bytes, width: int, delimiter: str = ",") -> pd.DataFrame:
    misfits: list[tuple[int | None, str]] = []

    def keep_aside(row: pa_csv.InvalidRow) -> str:
        misfits.append((row.number, row.text))
        return "skip"

    names = [str(i) for i in range(width)]
    table = pa_csv.read_csv(
        io.BytesIO(data),
        # one thread: the invalid-row handler only knows record numbers when parsing sequentially
        read_options=pa_csv.ReadOptions(column_names=names, use_threads=False),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter,
            newlines_in_values=True,
            ignore_empty_lines=False,
            invalid_row_handler=keep_aside,
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, TEXT),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    columns = [table.column(i) for i in range(width)]
    if misfits:
        columns = _put_back(columns, table.num_rows, misfits, delimiter)
    return pd.DataFrame({i: text_series(col) for i, col in enumerate(columns)})


def _put_back(
    columns: list[pa.ChunkedArray], fitting: int, misfits: list[tuple[int | None, str]], delimiter: str = ","
) -> list[pa.ChunkedArray]:
    """Insert the records the fast parser set aside at their record numbers, widening the grid if needed.

    The body is cut into slices between the set-aside records (no copy); many set-aside records (a ragged
    file) would make too many slices, so that case goes to the exact slow reader instead.
    """
    if len(misfits) > MAX_SET_ASIDE or any(number is None for number, _ in misfits):
        raise _SlowPath
    records = [
        next(csv.reader(io.StringIO(text, newline=""), strict=False, delimiter=delimiter), [])
        for _, text in misfits
    ]
    where = [int(number) - 1 for number, _ in misfits if number is not None]
    if where != sorted(set(where)) or where[0] < 0 or where[-1] >= fitting + len(misfits):
        raise _SlowPath
    # body rows before the k-th set-aside record = its position minus the k records set aside before it
    cuts = [position - k for k, position in enumerate(where)]
    width = max(len(columns), *(len(r) for r in records))
    out = []
    for i in range(width):  # per column, a few slices: bounded by MAX_SET_ASIDE
        body = columns[i] if i < len(columns) else pa.chunked_array([pa.nulls(fitting, TEXT)])
        pieces: list[pa.Array] = []
        start = 0
        for cut, record in zip(cuts, records, strict=True):
            pieces += body.slice(start, cut - start).chunks
            pieces.append(pa.array([(record[i] or None) if i < len(record) else None], type=TEXT))
            start = cut
        pieces += body.slice(start).chunks
        out.append(pa.chunked_array(pieces, type=TEXT))
    return out


def _pandas_grid(text: str, delimiter: str = ",") -> pd.DataFrame:
    width = _usual_width(text, delimiter)
    try:
        frame = _read_csv(text, width, delimiter)
    except pd.errors.ParserError:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=False, delimiter=delimiter))
        width = max((len(r) for r in records), default=1)
        try:
            frame = _read_csv(text, width, delimiter)
        except pd.errors.ParserError:
            # an unmatched quote: the lenient csv module still splits the text into records
            padded = [r + [""] * (width - len(r)) for r in records]
            frame = pd.DataFrame(padded, columns=range(width), dtype=object).replace("", None)
    return frame.astype("string")


def _read_csv(text: str, width: int, delimiter: str = ",") -> pd.DataFrame:
    # bytes, not a StringIO: pandas re-encodes a text stream chunk by chunk in Python, which is slow
    return pd.read_csv(
        io.BytesIO(text.encode("utf-8")),
        encoding="utf-8",
        sep=delimiter,
        header=None,
        names=range(max(width, 1)),
        index_col=False,
        dtype=object,
        keep_default_na=False,
        na_values=[""],
        skip_blank_lines=False,
        engine="c",
    )
