"""Returns written as townships send them, for the tests: a one-sheet workbook, a CSV text."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl


def write_xlsx(path: Path, rows: list[list[Any]], sheet: str = "Sheet1") -> Path:
    """A workbook of one sheet, ``rows`` written from row 1."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    """Rows as Excel writes a CSV: CRLF line ends, cells quoted only where they must be."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
