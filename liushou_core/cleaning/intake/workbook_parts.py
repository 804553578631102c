"""What an ``.xlsx`` says about itself before a sheet is loaded: what it unpacks to, each sheet's extent and
its hidden rows.

The spreadsheet reader lays every sheet out as a full grid, from A1 to the last cell; a stray cell at
XFD1048576 in an 8 KB file asks it for 17 billion cells, and it aborts the process. So the zip's directory is
checked first (what the parts unpack to, and at what ratio — a zip bomb), then each sheet's XML is scanned as
a stream, a megabyte at a time, for its declared dimension (``<dimension ref="A1:J40"/>``), the last row and
column any cell names (``<c r="XFD1048576">``, which a dimension may understate; a cell's row is its
``<row>``'s) and the rows Excel hides
(``<row r="7" hidden="1">`` — townships hide rows to "delete" people). Only tags are looked at, with regular
expressions over bytes; nothing is built per cell.

A sheet's name is tied to its XML part through ``xl/workbook.xml`` and its relationships; a workbook whose
parts cannot be found this way is left to the reader (which then says it is damaged).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from posixpath import dirname, join, normpath

from liushou_core.cleaning.intake.limits import Limits, size_text

_CHUNK = 1 << 20
_RESAVE = "请在 Excel 或 WPS 中打开，确认内容无误后另存为 .xlsx 再导入"
_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
#: the column letters of a reference (only cells have ``r="XFD1048576"``; rows have ``r="7"``)
_CELL_COLUMN = re.compile(rb" r=\"([A-Z]{1,3})[0-9]")
_ROW_NUMBER = re.compile(rb"\sr=\"([0-9]{1,7})\"")
_HIDDEN = re.compile(rb"\shidden=\"(?:1|true)\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*\sref=\"([^\"]*)\"")
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTRIBUTE = re.compile(rb"([\w:]+)=\"([^\"]*)\"")
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")


class TooBig(Exception):
    """Raised when a workbook is over a limit; ``args[0]`` says which, in Chinese, and what to do."""


@dataclass(frozen=True)
class SheetExtent:
    """What one sheet's XML says: the extent its cells reach and the rows it hides (1-based numbers)."""

    rows: int  # the last row a cell or the dimension names
    columns: int  # the last column, 1-based (XFD = 16,384)
    last_cell: str  # that corner as Excel writes it (XFD1048576)
    hidden_rows: tuple[int, ...]

    @property
    def cells(self) -> int:
        return self.rows * self.columns


def column_number(letters: str) -> int:
    """``A`` → 1, ``XFD`` → 16,384."""
    n = 0
    for letter in letters:
        n = n * 26 + ord(letter) - ord("A") + 1
    return n


def check_archive(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a workbook whose parts unpack to more than the limits allow (before anything is unpacked)."""
    parts = archive.infolist()
    total = sum(p.file_size for p in parts)
    if total > limits.unpacked_bytes:
        raise TooBig(
            f"文件解压后有 {size_text(total)}，超过了上限 {size_text(limits.unpacked_bytes)}，没有读取；"
            f"请确认是否发错了文件，或把表格拆成几个文件，{_RESAVE}"
        )
    for part in parts:
        packed = max(part.compress_size, 1)
        if part.file_size > limits.ratio_from and part.file_size > packed * limits.ratio:
            raise TooBig(
                f"文件中的“{part.filename}”只有 {size_text(packed)}，解压后却有 {size_text(part.file_size)}"
                f"（压缩比超过 {limits.ratio} 倍，不像正常的表格），没有读取；{_RESAVE}"
            )


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the path of its XML part in the zip (empty if the workbook's parts cannot be found)."""
    names = set(archive.namelist())
    book = next((n for n in ("xl/workbook.xml",) if n in names), None)
    rels = "xl/_rels/workbook.xml.rels"
    if book is None or rels not in names:
        return {}
    targets: dict[bytes, str] = {}
    for tag in _RELATIONSHIP.finditer(archive.read(rels)):
        attributes = dict(_ATTRIBUTE.findall(tag.group(1)))
        target = attributes.get(b"Target", b"").decode("utf-8", "replace")
        path = target.lstrip("/") if target.startswith("/") else normpath(join(dirname(book), target))
        targets[attributes.get(b"Id", b"")] = path
    out: dict[str, str] = {}
    for tag in _SHEET.finditer(archive.read(book)):
        attributes = dict(_ATTRIBUTE.findall(tag.group(1)))
        rid = next((v for k, v in attributes.items() if k.endswith(b":id")), b"")
        name = _unescape(attributes.get(b"name", b"").decode("utf-8", "replace"))
        if rid in targets and targets[rid] in names:
            out[name] = targets[rid]
    return out


def _unescape(text: str) -> str:
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&")):
        text = text.replace(entity, char)
    return text


def sheet_extent(archive: zipfile.ZipFile, part: str) -> SheetExtent:
    """Scan one sheet's XML, a chunk at a time, for its extent and hidden rows (see the module doc)."""
    rows = columns = 0
    hidden: list[int] = []
    row = 0
    carry = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            text = carry + chunk
            cut = text.rfind(b"<")  # a tag cut by the chunk's end is read with the next chunk
            text, carry = (text[:cut], text[cut:]) if cut > 0 else (text, b"")
            for found in _DIMENSION.finditer(text):
                r, c = _corner(found.group(1).decode("ascii", "replace"))
                rows, columns = max(rows, r), max(columns, c)
            for tag in _ROW_TAG.finditer(text):
                number = _ROW_NUMBER.search(tag.group(1))
                row = int(number.group(1)) if number else row + 1
                rows = max(rows, row)
                if _HIDDEN.search(tag.group(1)):
                    hidden.append(row)
            letters = set(_CELL_COLUMN.findall(text))  # a cell's row is its row tag's
            if letters:
                columns = max(columns, *(column_number(c.decode()) for c in letters))
    corner = f"{_letters(columns)}{rows}" if rows and columns else "A1"
    return SheetExtent(rows, columns, corner, tuple(hidden))


def _corner(ref: str) -> tuple[int, int]:
    """The bottom-right corner of a range (``A1:XFD1048576`` → (1048576, 16384)); (0, 0) if unreadable."""
    match = _REF.match(ref.split(":")[-1].strip())
    return (int(match.group(2)), column_number(match.group(1))) if match else (0, 0)


def _letters(column: int) -> str:
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def workbook_extents(data: bytes, limits: Limits) -> dict[str, SheetExtent]:
    """Sheet name → extent of an ``.xlsx``; :class:`TooBig` when it unpacks to too much or a sheet is too
    large to lay out. A file that is not a readable zip gives ``{}`` (the reader reports it)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError):
        return {}
    with archive:
        check_archive(archive, limits)
        out: dict[str, SheetExtent] = {}
        for name, part in sheet_parts(archive).items():  # one per sheet: bounded by the workbook
            try:
                extent = sheet_extent(archive, part)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError):
                continue  # a damaged part: the reader says so
            if extent.cells > limits.sheet_cells:
                raise TooBig(too_large(name, extent.rows, extent.columns))
            out[name] = extent
    return out


def too_large(sheet: str, rows: int, columns: int) -> str:
    """Why a sheet reaching row ``rows`` and column ``columns`` (1-based) is not read, and what to do."""
    return (
        f"工作表“{sheet}”的范围从 A1 一直到 {_letters(columns)}{rows}（{rows:,} 行 × {columns:,} 列），"
        "太大，无法读取；多半是远处某个单元格误填了内容或格式，"
        "请删除表格以外多余的行和列（或把人员复制到新工作簿）后另存为 .xlsx 再报送"
    )
