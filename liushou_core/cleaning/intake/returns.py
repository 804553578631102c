"""Read the township returns named on the command line into one table of raw rows (``RawReturn``).

:func:`read_returns` is the edge of the pipeline that touches the returns: it opens each file read-only,
turns every sheet into text cells (:mod:`.sheets`), finds the header and the input rows (:mod:`.table`), and
returns three tables — the rows, one line per file, and the issues found on the way. A file that cannot be
read never stops the others: it becomes a ``file_unreadable`` issue and a file line with status ``error``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from liushou_core.cleaning.intake.limits import DEFAULT_LIMITS, Limits, load_limits, size_text
from liushou_core.cleaning.intake.sheets import (
    CSV_SUFFIXES,
    OTHER_SPREADSHEET_SUFFIXES,
    WORKBOOK_SUFFIXES,
    Contents,
    Unreadable,
    read_contents,
)
from liushou_core.cleaning.intake.sources import RETURN_SUFFIXES, Source, find_sources
from liushou_core.cleaning.intake.table import SheetRows, issue, sheet_rows
from liushou_core.issues import SKIP_RULES, Issues
from liushou_core.values.codebook import Codebook, load_codebook


class RawReturn(pa.DataFrameModel):
    """One input row of a return, every cell as text (``<NA>`` = empty or column absent).

    ``source_row`` is the row number a person sees in Excel (title rows counted) or the CSV line number
    (header line = 1 when the header is the first line); ``row_key`` = ``"{source_file}|{source_sheet}|
    {source_row}"``; ``source_sheet`` is ``""`` for a CSV; ``sheet_index`` is the sheet's 0-based position
    in its file; ``skip_rule`` is set for rows that are not people (blank, total, repeated header, note).
    """

    row_key: Series[pd.StringDtype] = pa.Field(unique=True)
    source_file: Series[pd.StringDtype]
    source_sheet: Series[pd.StringDtype]
    source_row: Series[np.int64] = pa.Field(ge=1)
    sheet_index: Series[np.int64] = pa.Field(ge=0)
    skip_rule: Series[pd.StringDtype] = pa.Field(nullable=True, isin=sorted(SKIP_RULES))
    township: Series[pd.StringDtype] = pa.Field(nullable=True)
    village: Series[pd.StringDtype] = pa.Field(nullable=True)
    name: Series[pd.StringDtype] = pa.Field(nullable=True)
    sex: Series[pd.StringDtype] = pa.Field(nullable=True)
    id_number: Series[pd.StringDtype] = pa.Field(nullable=True)
    category_declared: Series[pd.StringDtype] = pa.Field(nullable=True)
    group: Series[pd.StringDtype] = pa.Field(nullable=True)
    birth_date: Series[pd.StringDtype] = pa.Field(nullable=True)
    father_status: Series[pd.StringDtype] = pa.Field(nullable=True)
    mother_status: Series[pd.StringDtype] = pa.Field(nullable=True)
    husband_status: Series[pd.StringDtype] = pa.Field(nullable=True)
    children_status: Series[pd.StringDtype] = pa.Field(nullable=True)
    months_away: Series[pd.StringDtype] = pa.Field(nullable=True)
    guardian_name: Series[pd.StringDtype] = pa.Field(nullable=True)
    guardian_relation: Series[pd.StringDtype] = pa.Field(nullable=True)
    guardian_id_number: Series[pd.StringDtype] = pa.Field(nullable=True)
    guardian_phone: Series[pd.StringDtype] = pa.Field(nullable=True)
    agreement_signed: Series[pd.StringDtype] = pa.Field(nullable=True)
    agreement_date: Series[pd.StringDtype] = pa.Field(nullable=True)
    guardianship_grade: Series[pd.StringDtype] = pa.Field(nullable=True)
    household_economy: Series[pd.StringDtype] = pa.Field(nullable=True)
    health: Series[pd.StringDtype] = pa.Field(nullable=True)
    disability_grade: Series[pd.StringDtype] = pa.Field(nullable=True)
    schooling: Series[pd.StringDtype] = pa.Field(nullable=True)
    boarding: Series[pd.StringDtype] = pa.Field(nullable=True)
    phone: Series[pd.StringDtype] = pa.Field(nullable=True)
    last_visit_date: Series[pd.StringDtype] = pa.Field(nullable=True)
    visitor: Series[pd.StringDtype] = pa.Field(nullable=True)
    notes: Series[pd.StringDtype] = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = True
        # no coercion: pandera would turn "string" into pandas 3's NaN-based "str"; the frame is built typed
        coerce = False


class ReturnFile(pa.DataFrameModel):
    """One line per input file: what it is, what was read from it and whether it could be read."""

    source_file: Series[pd.StringDtype]
    path: Series[pd.StringDtype]
    sha256: Series[pd.StringDtype] = pa.Field(nullable=True)
    size_bytes: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    # what the file really is (by its content): "html" for a web page saved as .xls, read from its tables
    kind: Series[pd.StringDtype] = pa.Field(nullable=True, isin=["xlsx", "xls", "csv", "html"])
    encoding: Series[pd.StringDtype] = pa.Field(nullable=True)
    sheets: Series[np.int64] = pa.Field(ge=0)  # sheets whose rows were read
    rows_in: Series[np.int64] = pa.Field(ge=0)
    status: Series[pd.StringDtype] = pa.Field(isin=["ok", "error"])
    message: Series[pd.StringDtype] = pa.Field(nullable=True)
    # header texts naming no field (序号, 民族…), "、"-joined
    unknown_columns: Series[pd.StringDtype] = pa.Field(nullable=True)

    class Config:
        strict = True
        ordered = True
        coerce = False


ROW_COLUMNS: list[str] = list(RawReturn.to_schema().columns)
FILE_COLUMNS: list[str] = list(ReturnFile.to_schema().columns)
_INT_COLUMNS = {"source_row", "sheet_index", "sheets", "rows_in"}


@dataclass(frozen=True)
class IntakeResult:
    """What intake read: the input rows (RawReturn), one line per file (ReturnFile) and the issues."""

    rows: pd.DataFrame
    files: pd.DataFrame
    issues: pd.DataFrame

    @property
    def rows_in(self) -> int:
        """Every input row counts once, whatever its fate: ``rows_in == len(rows)``."""
        return len(self.rows)


def read_returns(
    inputs: Sequence[Path | str], codebook: Codebook | None = None, limits: Limits | None = None
) -> IntakeResult:
    """Read the returns named by ``inputs`` (files or folders), in source order, never modifying them.

    Rows come out sorted by ``source_file`` (Python string order), then sheet position, then row. Problems
    with a file or sheet (unreadable, no header, a required column missing) are issues, not exceptions.
    """
    book = codebook if codebook is not None else load_codebook()
    limits = limits if limits is not None else load_limits()  # params/survey.yaml's intake_limits
    found = find_sources(inputs)
    frames: list[pd.DataFrame] = []
    issue_frames: list[pd.DataFrame] = []
    files: list[dict[str, object]] = []
    for folder in found.empty_folders:
        detail = f"文件夹“{folder}”里没有 .xlsx、.xls 或 .csv 报表，请检查路径是否正确"
        issue_frames.append(
            pd.DataFrame([issue("file_unreadable", source_file=folder.name or str(folder), detail=detail)])
        )
    for folder in found.closed_folders:
        detail = f"文件夹“{folder}”无法打开（没有读取权限），其中的报表没有读取，请检查文件夹权限后重新运行"
        issue_frames.append(
            pd.DataFrame([issue("file_unreadable", source_file=folder.name or str(folder), detail=detail)])
        )
    for source in found.sources:
        record, rows, problems = _read_source(source, book, limits)
        files.append(record)
        frames += rows
        issue_frames += problems
    rows_frame = _typed(_concat(frames) if frames else _empty(ROW_COLUMNS), ROW_COLUMNS)
    files_frame = _typed(pd.DataFrame(files, columns=FILE_COLUMNS), FILE_COLUMNS)
    issues = Issues.validate(pd.concat(issue_frames, ignore_index=True) if issue_frames else _empty_issues())
    return IntakeResult(
        rows=RawReturn.validate(rows_frame),
        files=ReturnFile.validate(files_frame),
        issues=issues,
    )


def _read_source(
    source: Source, codebook: Codebook, limits: Limits = DEFAULT_LIMITS
) -> tuple[dict[str, object], list[pd.DataFrame], list[pd.DataFrame]]:
    """Read one file: its files-table line, its row frames (one per sheet read) and its issue frames."""
    record: dict[str, object] = {
        "source_file": source.source_file, "path": str(source.path), "sha256": None, "size_bytes": None,
        "kind": _kind_by_suffix(source.suffix), "encoding": None, "sheets": 0, "rows_in": 0,
        "status": "ok", "message": None, "unknown_columns": None,
    }  # fmt: skip
    try:
        data = _read_bytes(source, limits)
        record["sha256"] = hashlib.sha256(data).hexdigest()
        record["size_bytes"] = len(data)
        contents = read_contents(data, source.suffix, limits)
        record["kind"], record["encoding"] = contents.kind, contents.encoding
        results = [sheet_rows(sheet, source.source_file, codebook, ROW_COLUMNS) for sheet in contents.sheets]
    except Unreadable as exc:
        return _unreadable(record, str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a broken file (even a reader panic) must not stop the others
        return _unreadable(
            record,
            f"读取时出错（{type(exc).__name__}：{exc}），请在 Excel 或 WPS 中打开确认后另存为 .xlsx 再导入",
        )
    return _summarise(record, contents, results)


def _summarise(
    record: dict[str, object], contents: Contents, results: list[SheetRows]
) -> tuple[dict[str, object], list[pd.DataFrame], list[pd.DataFrame]]:
    source_file = str(record["source_file"])
    problems = [pd.DataFrame(r.issues) for r in results if r.issues]
    problems += [r.skipped for r in results if r.skipped is not None and len(r.skipped)]
    read = [r.rows for r in results if r.rows is not None]
    if all(r.status == "empty" for r in results):
        where = "所有工作表都是空的" if contents.kind != "csv" else "文件里只有空行"
        detail = f"文件“{source_file}”里没有任何数据（{where}），请确认是否发错了文件"
        problems.append(pd.DataFrame([issue("header_not_found", source_file=source_file, detail=detail)]))
    unknown = list(dict.fromkeys(name for r in results for name in r.unknown_columns))
    errors = [
        str(m)
        for frame in problems
        for m, s in zip(frame["message"], frame["severity"], strict=True)
        if s == "error"
    ]
    record.update(
        sheets=len(read),
        rows_in=sum(len(rows) for rows in read),
        status="ok" if read else "error",
        message="；".join(errors) or None,
        unknown_columns="、".join(unknown) or None,
    )
    return record, [rows for rows in read if len(rows)], problems


def _unreadable(
    record: dict[str, object], reason: str
) -> tuple[dict[str, object], list[pd.DataFrame], list[pd.DataFrame]]:
    source_file = str(record["source_file"])
    detail = f"文件“{source_file}”无法读取：{reason}"
    record.update(status="error", message=detail)
    return record, [], [pd.DataFrame([issue("file_unreadable", source_file=source_file, detail=detail)])]


def _nonblocking(path: str, flags: int) -> int:
    """Open without waiting: opening a named pipe for reading otherwise blocks until someone writes."""
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _read_bytes(source: Source, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The whole file, opened read-only; a missing or unreadable path, a file that is not a regular file or
    one over the size limit becomes :class:`Unreadable` (before its content is read)."""
    if source.path.is_symlink() and not source.path.exists():
        target = os.readlink(source.path)
        raise Unreadable(f"这是一个快捷方式（链接），它指向的“{target}”已不存在，请把报表文件本身复制到这里")
    if not source.path.exists():
        raise Unreadable(f"找不到这个文件或文件夹（{source.path}），请检查路径和名称是否正确")
    if source.suffix in OTHER_SPREADSHEET_SUFFIXES:
        raise Unreadable(f"不支持 {source.suffix} 格式，请在 WPS 或 Excel 中另存为 .xlsx 再导入")
    if source.suffix not in RETURN_SUFFIXES:
        raise Unreadable(
            f"只能读取 .xlsx、.xls、.csv 报表，这个文件是“{source.suffix or '无扩展名'}”，请另存为 .xlsx 再导入"
        )
    try:
        with open(source.path, "rb", opener=_nonblocking) as stream:  # noqa: PTH123 - Path.open has no opener
            status = os.fstat(stream.fileno())
            if not stat.S_ISREG(status.st_mode):
                # a named pipe, a device: reading it would wait for ever or never end
                raise Unreadable(
                    "这不是普通文件（是管道、设备或套接字），没有读取，请把报表文件本身复制到这里"
                )
            if status.st_size > limits.file_bytes:
                raise Unreadable(
                    f"文件有 {size_text(status.st_size)}，太大（上限 {size_text(limits.file_bytes)}），没有读取；"
                    "请确认是否发错了文件，或把表格拆成几个文件后再导入"
                )
            return stream.read(limits.file_bytes + 1)
    except PermissionError as exc:
        raise Unreadable(f"没有读取权限（{exc.strerror}），请检查文件权限或关闭正在占用它的程序") from exc
    except OSError as exc:
        raise Unreadable(f"系统无法读取（{exc.strerror or exc}），请把文件复制到本地磁盘后再试") from exc


def _kind_by_suffix(suffix: str) -> str | None:
    return {**WORKBOOK_SUFFIXES, **CSV_SUFFIXES}.get(suffix)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="int64" if c in _INT_COLUMNS else "string") for c in columns})


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The frame with ``columns`` in order: counts as int64, size as Int64, everything else ``string``."""
    out: dict[str, pd.Series] = {}
    for c in columns:
        if c in _INT_COLUMNS:
            out[c] = frame[c].astype("int64")
        elif c == "size_bytes":
            out[c] = frame[c].astype("Int64")
        else:
            out[c] = frame[c].astype("string")
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def _empty_issues() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="Int64" if c == "source_row" else "string") for c in Issues.to_schema().columns}
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
