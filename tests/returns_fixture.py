"""Small returns written by the tests themselves, and ``liushou …`` run in this process. Synthetic people only.

:func:`write_return_xlsx`: a township's return as cadres make it — a title row (merged) and a 填报单位 row
above the header, one sheet per village."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl

from liushou_core import cli
from liushou_core.values.idcard import make_id

HEADER = [
    "镇（乡）",
    "村（社区）",
    "姓名",
    "性别",
    "公民身份号码",
    "人员类别",
    "出生日期",
    "父亲状况",
    "母亲状况",
]


def child(name: str, seq: int, township: str = "回马镇", village: str = "团结村") -> list[str]:
    """A left-behind child (both parents away) with a valid ID; odd ``seq`` is a boy."""
    birth = dt.date(2008, 5, 3)
    sex = "男" if seq % 2 else "女"
    return [township, village, name, sex, make_id("510923", birth, seq), "留守儿童", birth.isoformat(), "外出务工", "外出务工"]  # fmt: skip


def write_xlsx(path: Path, rows: list[list[Any]], sheet: str = "Sheet1") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``liushou …`` in this process, its exit code and what it printed."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


LOCK_HOLDER = """
import sys, time
from pathlib import Path
from liushou_core.runlock import folder_lock
with folder_lock(Path(sys.argv[1]), sys.argv[2]):
    print("locked", flush=True)
    time.sleep(60)
"""


@contextlib.contextmanager
def lock_held_elsewhere(folder: Path, command: str = "liushou run") -> Iterator[subprocess.Popen[str]]:
    """Another process holding ``folder``'s lock as ``command`` (killed with -9 on leaving)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCK_HOLDER, str(folder), command], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def write_return_xlsx(
    path: Path, header: Sequence[str], sheets: Mapping[str, Sequence[Sequence[Any]]]
) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(["大英县回马镇农村“三留守”人员摸排登记表"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        ws.append(["填报单位：回马镇人民政府", None, None, "填报日期：2018年1月5日"])
        ws.append(list(header))
        for r in rows:
            ws.append(list(r))
    wb.save(path)
    return path


def csv_text(rows: list[list[str]], delimiter: str = ",") -> str:
    """Rows as Excel writes a CSV: CRLF line ends, cells quoted only where they must be."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
