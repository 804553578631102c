"""Reliability: broken and hostile returns, runs killed half-way, two runs on one folder, fuzzed returns.

Every broken return is made here (the encrypted workbook, which needs msoffcrypto-tool, is committed in
``tests/fixtures/broken/``), with synthetic people. The slow cases run the real ``liushou run`` in a
subprocess on a one-township county and kill it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from returns_fixture import HEADER, child, csv_text, lock_held_elsewhere, run_main, write_xlsx
from run_fixture import stub_templates as shared_stub_templates

from liushou_core.batch import run as batch
from liushou_core.cleaning.intake import read_returns
from liushou_core.cleaning.streaming import build_register
from liushou_core.errors import LiushouError
from liushou_core.runlock import LOCK_NAME, folder_lock
from liushou_core.values.idcard import make_id

FIXTURES = Path(__file__).parent / "fixtures" / "broken"


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    buffer = io.BytesIO()
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    wb.save(buffer)
    return buffer.getvalue()


def html_table(rows: list[list[str]]) -> str:
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>\n" for row in rows)
    return f"<html><head><meta charset='utf-8'><title>导出</title></head><body><h1>摸排表</h1><table>{body}</table></body></html>"


# --------------------------------------------------------------------------------------- the corpus


@dataclass(frozen=True)
class Case:
    """One return as it may arrive, and what the user is told about it."""

    name: str  # its file name in the corpus folder
    make: Callable[[Path], None]
    label: str | None  # the line printed about it: "错误", "未读全", "提示", or None (read in full)
    words: tuple[str, ...] = ()  # what that line says (besides the file name)
    people: tuple[str, ...] = ()  # names read from it into the register


LONG_NAME = "长" * 100_000  # in a CSV
EXCEL_LONGEST = "长" * 32_767  # the most a cell of Excel holds (openpyxl cuts longer text to it)


def _symlink(path: Path) -> None:
    path.symlink_to(path.parent / "已删除的报表.xlsx")


CASES = [
    Case("零字节.xlsx", lambda p: p.write_bytes(b""), "错误", ("0 字节", "重新索取")),
    Case("空行.csv", lambda p: p.write_text("\r\n \r\n,,\r\n", encoding="utf-8"), "错误", ("没有任何数据",)),
    Case(
        "截断.xlsx",
        lambda p: p.write_bytes(xlsx_bytes([HEADER, child("截断", 11)])[:1500]),
        "错误",
        ("不完整", "重新索取"),
    ),
    Case(
        "网页.xls",
        lambda p: p.write_text(html_table([HEADER, child("网页甲", 13)]), encoding="utf-8"),
        "提示",
        ("网页", "已读取"),
        ("网页甲",),
    ),
    Case("加密.xlsx", lambda p: shutil.copy(FIXTURES / "加密.xlsx", p), "错误", ("密码", "另存为")),
    Case(
        "UTF16.csv",  # Excel's "Unicode text": UTF-16 with BOM, tab-separated
        lambda p: p.write_bytes(csv_text([HEADER, child("十六甲", 15)], "\t").encode("utf-16")),
        None,
        people=("十六甲",),
    ),
    Case(
        "参差.csv",
        lambda p: p.write_text(
            csv_text([HEADER, child("参差甲", 17) + ["多出的一格"], child("参差乙", 19)[:6]]),
            encoding="utf-8",
        ),
        "未读全",
        ("第 2 行", "没有表头的列（J 列）"),
        ("参差甲",),
    ),
    Case(
        "无表头.xlsx",
        lambda p: write_xlsx(p, [["二〇一八年摸排情况说明"], ["各村已上报，详见附件"]], "说明"),
        "错误",
        ("工作表“说明”", "找不到表头"),
    ),
    Case(
        "缺列.xlsx",
        lambda p: write_xlsx(
            p, [[h for h in HEADER if h != "公民身份号码"], child("缺列甲", 21)[:4]], "一组"
        ),
        "错误",
        ("工作表“一组”", "缺少必填列“公民身份号码”"),
    ),
    Case(
        "重复表头.xlsx",
        lambda p: write_xlsx(p, [[*HEADER, "姓名"], [*child("重复甲", 23), "别名"]]),
        "未读全",
        ("表头重复", "C 列“姓名”和 J 列“姓名”", "J 列没有读取"),
        ("重复甲",),
    ),
    Case(
        "长单元格.xlsx",
        lambda p: write_xlsx(p, [HEADER, child(EXCEL_LONGEST, 25), child("长乙", 27)]),
        None,
        people=(EXCEL_LONGEST, "长乙"),
    ),
    Case(
        "长单元格.csv",
        lambda p: p.write_text(csv_text([HEADER, child(LONG_NAME, 29)]), encoding="utf-8"),
        None,
        people=(LONG_NAME,),
    ),
    Case("乱码.xlsx", lambda p: p.write_bytes(os.urandom(3000)), "错误", ("不是有效的 Excel",)),
    Case(
        "乱码.xls",
        lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(3000)),
        "错误",
        ("已损坏",),
    ),
    Case("断链.xlsx", _symlink, "错误", ("快捷方式", "不存在")),
]


def _unmatched_quote(path: Path) -> None:
    # a quote typed before a village name and never closed: it once swallowed every line below into one cell
    rows = [
        HEADER,
        child("引号甲", 51),
        child("引号乙", 53, village='"团结村'),
        child("引号丙", 55),
        child("引号丁", 57),
    ]
    path.write_text("\r\n".join(",".join(row) for row in rows) + "\r\n", encoding="utf-8")


def _hidden_rows(path: Path) -> None:
    write_xlsx(path, [HEADER, child("隐藏甲", 59), child("隐藏乙", 61)])
    book = openpyxl.load_workbook(path)
    book.active.row_dimensions[3].hidden = True
    book.save(path)


def _hidden_sheet(path: Path) -> None:
    book = openpyxl.Workbook()
    book.active.append(HEADER)
    book.active.append(child("显示甲", 63))
    old = book.create_sheet("旧名单")
    old.append(["名", "号"])
    old.append(["隐藏丙", make_id("510923", dt.date(2008, 5, 3), 65)])
    old.sheet_state = "hidden"
    book.save(path)


def _stray_cell(path: Path) -> None:
    write_xlsx(path, [HEADER, child("远格甲", 67)])
    book = openpyxl.load_workbook(path)
    book.active["XFD1048576"] = "x"
    book.save(path)


def _zip_bomb(path: Path) -> None:
    write_xlsx(path, [HEADER, child("炸弹甲", 69)])
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as z,
        z.open("xl/media/padding.bin", "w") as padding,
    ):
        for _ in range(200):
            padding.write(bytes(1 << 20))  # 200 MB of zeros in about 200 KB


def _sparse_csv(path: Path) -> None:
    with path.open("wb") as f:
        f.write(csv_text([HEADER, child("巨大甲", 71)]).encode("utf-8"))
        f.truncate(2 << 30)  # 2 GB that take no disk


def _linked_folder(path: Path) -> None:
    # returns/链接 is a link to a folder kept elsewhere
    elsewhere = path.parent.parent.parent / "别处"
    elsewhere.mkdir()
    write_xlsx(elsewhere / path.name, [HEADER, child("链接甲", 73)])
    path.parent.symlink_to(elsewhere, target_is_directory=True)


MORE_CASES = [
    Case("引号.csv", _unmatched_quote, "未读全", ("第 3 行", "引号"), ("引号甲", "引号丙", "引号丁")),
    Case(
        "备注合计.xlsx",
        lambda p: write_xlsx(
            p,
            [
                [*HEADER, "备注"],
                [*child("备注甲", 75), "父母外出合计3年"],
                [*child("备注乙", 77), "已计入上月小计"],
            ],
        ),
        None,
        people=("备注甲", "备注乙"),
    ),
    Case("隐藏行.xlsx", _hidden_rows, "提示", ("第 3 行", "隐藏"), ("隐藏甲", "隐藏乙")),
    Case("隐藏表.xlsx", _hidden_sheet, "错误", ("工作表“旧名单”", "隐藏"), ("显示甲",)),
    Case(
        "寄宿.xlsx",
        lambda p: write_xlsx(
            p, [[*HEADER, "是否寄宿", "组", "备注"], [*child("寄宿甲", 79), "寄宿", "社", "说明"]]
        ),
        None,
        people=("寄宿甲",),
    ),
    Case("链接/链接甲.xlsx", _linked_folder, None, people=("链接甲",)),
    Case("远格.xlsx", _stray_cell, "错误", ("XFD1048576", "太大")),
    Case("炸弹.xlsx", _zip_bomb, "错误", ("解压",)),
    Case("巨大.csv", _sparse_csv, "错误", ("太大",)),
    Case(
        "无镇列.xlsx",
        lambda p: write_xlsx(p, [["回马镇农村“三留守”人员摸排登记表"], HEADER[1:], child("无镇甲", 85)[1:]]),
        "提示",
        ("回马镇", "镇（乡）"),
        ("无镇甲",),
    ),
]
if hasattr(os, "mkfifo"):
    MORE_CASES.append(Case("管道.csv", lambda p: os.mkfifo(p), "错误", ("不是普通文件",)))
CASES += MORE_CASES
GOOD = ("回马镇.xlsx", ["张小明", "李小红"])
MISSING_FOLDER = "不存在的文件夹"
FOLDER_NAMED_LIKE_A_FILE = "文件夹.xlsx"


def make_corpus(root: Path) -> Path:
    """A folder of returns: one good workbook and every case of :data:`CASES`."""
    folder = root / "returns"
    folder.mkdir(parents=True)
    write_xlsx(
        folder / GOOD[0], [["大英县回马镇留守人员摸排表"], HEADER, child(GOOD[1][0], 1), child(GOOD[1][1], 2)]
    )
    for case in CASES:
        case.make(folder / case.name)
    (root / FOLDER_NAMED_LIKE_A_FILE).mkdir()
    return folder


@dataclass(frozen=True)
class Cleaned:
    code: int
    out: str
    err: str
    folder: Path


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory: pytest.TempPathFactory) -> Cleaned:
    """``liushou clean`` on the corpus, a folder that does not exist and a folder named like a file."""
    root = tmp_path_factory.mktemp("corpus")
    returns = make_corpus(root)
    out = root / "clean"
    code, stdout, stderr = run_main(
        [
            "clean",
            str(returns),
            str(root / MISSING_FOLDER),
            str(root / FOLDER_NAMED_LIKE_A_FILE),
            "--out",
            str(out),
        ]
    )
    return Cleaned(code, stdout, stderr, out)


def lines_about(text: str, name: str) -> list[str]:
    return [line for line in text.splitlines() if f"“{name}”" in line or f"/{name}”" in line]


def test_clean_exits_1_after_cleaning_everything_else_and_prints_no_traceback(cleaned: Cleaned) -> None:
    assert cleaned.code == 1
    assert "Traceback" not in cleaned.err + cleaned.out
    assert "读入" in cleaned.out  # the accounting is printed as usual
    summary = json.loads((cleaned.folder / "summary.json").read_text(encoding="utf-8"))
    assert (
        summary["rows_in"]
        == summary["people"] + summary["pending"] + summary["duplicates_merged"] + summary["skipped"]
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_broken_return_gets_one_line_naming_it_and_what_to_do(cleaned: Cleaned, case: Case) -> None:
    lines = lines_about(cleaned.err, case.name)
    if case.label is None:
        assert lines == []
        return
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{case.label}：")
    for words in case.words:
        assert words in lines[0]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_return_is_in_the_files_table_and_its_problems_in_the_issues_and_summary(
    cleaned: Cleaned, case: Case
) -> None:
    files = pd.read_parquet(cleaned.folder / "files.parquet").set_index("source_file")
    issues = pd.read_parquet(cleaned.folder / "issues.parquet")
    summary = json.loads((cleaned.folder / "summary.json").read_text(encoding="utf-8"))
    assert case.name in files.index
    mine = issues[issues["source_file"] == case.name]
    recorded = [p for p in summary["input_problems"] if p["source_file"] == case.name]
    if case.label == "错误":
        assert files.loc[case.name, "status"] == "error" or (mine["severity"] == "error").any()
        assert (mine["severity"] == "error").any() and len(recorded) == 1
    elif case.label == "未读全":
        assert (mine["severity"] != "info").any() or (mine["rule"] == "column_duplicate").any()
        assert [p["kind"] for p in recorded] == ["partial"]
    else:
        assert files.loc[case.name, "status"] == "ok"
        assert not (mine["severity"] == "error").any()


@pytest.mark.parametrize(
    ("name", "words"),
    [(MISSING_FOLDER, "找不到这个文件或文件夹"), (FOLDER_NAMED_LIKE_A_FILE, "没有 .xlsx、.xls 或 .csv 报表")],
)
def test_a_folder_that_does_not_exist_or_holds_no_return_is_named(
    cleaned: Cleaned, name: str, words: str
) -> None:
    lines = lines_about(cleaned.err, name)
    assert len(lines) == 1 and lines[0].startswith("错误：") and words in lines[0]


def test_the_good_returns_beside_the_broken_ones_are_read_in_full(cleaned: Cleaned) -> None:
    people = pd.read_parquet(cleaned.folder / "people.parquet")
    wanted = [*GOOD[1], *(name for case in CASES for name in case.people)]
    assert sorted(people["name"]) == sorted(wanted)
    # long cells are read whole, not cut
    assert set(people["name"].str.len()) >= {len(LONG_NAME), len(EXCEL_LONGEST)}


def test_a_web_page_saved_as_xls_is_read_from_its_tables_with_spans_laid_out(tmp_path: Path) -> None:
    page = f"""<html><body><p>导出时间：2018-01-05</p><table>
        <tr><th colspan="9">大英县回马镇摸排表</th></tr>
        <tr>{"".join(f"<th>{h}</th>" for h in HEADER)}</tr>
        <tr><td rowspan="2">回马镇</td>{"".join(f"<td>{c}</td>" for c in child("甲", 31)[1:])}</tr>
        <tr>{"".join(f"<td>{c}</td>" for c in child("乙", 33)[1:])}</tr>
        </table></body></html>"""
    path = tmp_path / "网页.xls"
    path.write_bytes(page.encode("gb18030").replace(b"<html>", b"<html><meta charset=gbk>"))
    result = read_returns([path])
    assert result.files.loc[0, "kind"] == "html" and result.files.loc[0, "status"] == "ok"
    rows = result.rows.set_index("source_row")
    assert list(rows["name"]) == ["甲", "乙"]
    assert list(rows["township"]) == ["回马镇", "回马镇"]  # the cell spanning two rows counts on each
    assert list(rows.index) == [3, 4]  # the table's rows: title row 1, header row 2


def test_a_utf16_csv_without_a_byte_order_mark_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "无标记.csv"
    path.write_bytes(csv_text([HEADER, child("甲", 35)]).encode("utf-16-le"))
    result = read_returns([path])
    assert result.files.loc[0, "encoding"] == "utf-16-le"
    assert list(result.rows["name"]) == ["甲"]


def test_a_ragged_csv_is_read_as_far_as_it_goes_and_the_extra_cell_is_named(tmp_path: Path) -> None:
    path = tmp_path / "参差.csv"
    # 张三,李 — a comma typed inside the name shifts every cell after it one column to the right
    shifted = ["回马镇", "团结村", "张三", "李", "男", make_id("510923", dt.date(2008, 5, 3), 37), "留守儿童", "2008-05-03", "外出务工", "外出务工"]  # fmt: skip
    path.write_text(csv_text([HEADER, shifted, child("短行", 39)[:3]]), encoding="utf-8")
    result = read_returns([path])
    assert list(result.rows["source_row"]) == [2, 3]
    warned = result.issues[result.issues["severity"] == "warning"]
    assert list(warned["source_row"]) == [2]
    assert "J 列" in warned["message"].iloc[0] and "外出务工" in warned["message"].iloc[0]
    assert result.rows["name"].iloc[1] == "短行" and pd.isna(result.rows["id_number"].iloc[1])


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads files whatever their mode"
)
def test_a_file_without_read_permission_is_reported(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "锁定.xlsx", [HEADER, child("甲", 41)])
    path.chmod(0)
    try:
        result = read_returns([path])
    finally:
        path.chmod(0o644)
    assert "没有读取权限" in result.files.loc[0, "message"]


# ------------------------------------------------------------------------------- the command line's errors


def test_an_output_folder_that_cannot_be_made_is_one_message_and_exit_2(tmp_path: Path) -> None:
    returns = tmp_path / "r.xlsx"
    write_xlsx(returns, [HEADER, child("甲", 43)])
    (tmp_path / "文件").write_text("不是文件夹", encoding="utf-8")
    code, _, err = run_main(["clean", str(returns), "--out", str(tmp_path / "文件" / "out")])
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "路径中有一部分不是文件夹" in err and str(tmp_path / "文件") in err


def test_a_bug_is_one_message_and_the_traceback_is_kept_for_the_maintainers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("故意的错误")

    monkeypatch.setattr("liushou_core.cleaning.pipeline.clean_command", broken)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    code, _, err = run_main(["clean", str(tmp_path), "--out", str(tmp_path / "out")])
    assert code == 3 and "程序内部错误" in err and "故意的错误" in err and "Traceback" not in err
    (log,) = tmp_path.glob("liushou-error-*.log")
    assert "Traceback" in log.read_text(encoding="utf-8")


def test_a_run_whose_inputs_folder_does_not_exist_is_refused_before_anything_runs(tmp_path: Path) -> None:
    params = tmp_path / "run.yaml"
    params.write_text(
        f"county: 大英县\nreference_date: 2017-12-31\npayroll_month: 2018-01\n"
        f"inputs: {tmp_path / '没有'}\noutput: {tmp_path / 'run'}\n",
        encoding="utf-8",
    )
    code, _, err = run_main(["run", str(params)])
    assert code == 2 and "inputs" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------------------------------------ locks


def test_a_command_on_a_folder_another_command_is_writing_is_refused_naming_it(tmp_path: Path) -> None:
    returns = write_xlsx(tmp_path / "r.xlsx", [HEADER, child("甲", 45)])
    out = tmp_path / "out"
    with lock_held_elsewhere(out) as holder:
        code, _, err = run_main(["clean", str(returns), "--out", str(out)])
    assert code == 2 and "Traceback" not in err
    assert "正由另一个 liushou run" in err and f"进程 {holder.pid}" in err
    assert not (out / "people.parquet").exists()


def test_a_lock_left_by_a_command_that_died_is_taken_over(tmp_path: Path) -> None:
    returns = write_xlsx(tmp_path / "r.xlsx", [HEADER, child("甲", 47)])
    out = tmp_path / "out"
    with lock_held_elsewhere(out):
        pass  # killed with -9 while holding the lock: the lock file stays, naming a dead process
    assert json.loads((out / LOCK_NAME).read_text(encoding="utf-8"))["pid"] > 0
    code, _, err = run_main(["clean", str(returns), "--out", str(out)])
    assert code == 0, err
    assert (out / "people.parquet").exists()


def test_the_same_process_may_take_a_lock_it_already_holds(tmp_path: Path) -> None:
    with folder_lock(tmp_path, "liushou run"), folder_lock(tmp_path, "liushou clean"):
        assert json.loads((tmp_path / LOCK_NAME).read_text(encoding="utf-8"))["pid"] == os.getpid()


# ------------------------------------------------------------------------------------------------ fuzzing

ALIASES = ["镇（乡）", "村（社区）", "姓名", "性别", "公民身份号码", "身份证号", "人员类别", "出生日期", "父亲状况",
           "母亲状况", "丈夫状况", "子女状况", "外出时长（月）", "备注", "序号", "民族"]  # fmt: skip
TEXT = st.text(st.characters(exclude_categories=["Cs", "Cc"], exclude_characters="="), max_size=15)
CELL = st.one_of(
    st.none(),
    TEXT,
    st.sampled_from(
        [
            "合计",
            "外出务工",
            "留守儿童",
            "回马",
            "团结村",
            "5.10923E+17",
            "  ",
            "姓名",
            "小计：3人",
            '"团结村',
            '"',
            "父母外出合计3年",
            "寄宿",
            "社",
            "说明",
            "第一行\n第二行,续",
        ]
    ),  # fmt: skip
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(dt.date(1900, 1, 1), dt.date(2030, 12, 31)),
    st.booleans(),
    st.builds(lambda n, s: s * n, st.integers(500, 5000), st.sampled_from(["长", "x", "，"])),
    st.builds(lambda seq: make_id("510923", dt.date(2008, 5, 3), seq), st.integers(0, 999)),
)
HEADERS = st.lists(st.one_of(st.sampled_from(ALIASES), TEXT, st.none()), min_size=1, max_size=12)
FORMATS = st.sampled_from(
    ["xlsx", "csv-utf-8", "csv-utf-8-sig", "csv-gb18030", "csv-utf-16", "tsv-utf-16", "html"]
)


def _as_text(value: object) -> str:
    return "" if value is None else str(value)


def write_return(path: Path, fmt: str, header: list[Any], body: list[list[Any]], cut: int | None) -> Path:
    """A return in one of :data:`FORMATS`, optionally cut short after ``cut`` bytes."""
    grid = [header, *body]
    if fmt == "xlsx":
        path = path.with_suffix(".xlsx")
        data = xlsx_bytes(
            [[c.strip() if isinstance(c, str) and c.isspace() else c for c in row] for row in grid]
        )
    elif fmt == "html":
        path = path.with_suffix(".xls")
        data = html_table([[_as_text(c) for c in row] for row in grid]).encode("utf-8")
    else:
        kind, encoding = fmt.split("-", 1)
        path = path.with_suffix(".csv")
        text = csv_text([[_as_text(c) for c in row] for row in grid], "\t" if kind == "tsv" else ",")
        data = text.encode(encoding, errors="replace")
    path.write_bytes(data if cut is None else data[: cut % (len(data) + 1)])
    return path


RETURNS = st.tuples(
    HEADERS,
    st.lists(st.lists(CELL, max_size=12), max_size=25),
    FORMATS,
    st.none() | st.integers(0, 10**6),  # where the file is cut short, if it is
    st.booleans(),  # a title row above the header
)


def fuzzed_return(folder: Path, spec: tuple[list[Any], list[list[Any]], str, int | None, bool]) -> Path:
    header, body, fmt, cut, title = spec
    return write_return(folder / "fuzz", fmt, header, [["大英县摸排表（标题行）"]] * title + body, cut)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=RETURNS)
def test_intake_of_any_return_raises_only_liushou_errors_and_counts_every_row_once(
    tmp_path: Path, spec: tuple[list[Any], list[list[Any]], str, int | None, bool]
) -> None:
    path = fuzzed_return(tmp_path, spec)
    try:
        intake = read_returns([path])
    except LiushouError:
        return
    files = intake.files
    assert len(files) == 1 and files.loc[0, "rows_in"] == len(intake.rows)
    assert intake.rows["row_key"].is_unique and (intake.rows["source_row"] >= 1).all()
    # a file is "ok" exactly when some sheet of it was read
    assert (files.loc[0, "status"] == "ok") == (files.loc[0, "sheets"] > 0)
    if files.loc[0, "status"] == "error":  # and then the user is told why
        assert (intake.issues["severity"] == "error").any()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=RETURNS)
def test_cleaning_any_return_accounts_for_every_row(
    tmp_path: Path, spec: tuple[list[Any], list[list[Any]], str, int | None, bool]
) -> None:
    try:
        intake = read_returns([fuzzed_return(tmp_path, spec)])
        register = build_register(intake, dt.date(2017, 12, 31))
    except LiushouError:
        return
    s = register.summary()
    assert s["rows_in"] == len(intake.rows) == len(register.rows)
    assert s["rows_in"] == s["people"] + s["pending"] + s["duplicates_merged"] + s["skipped"]
    assert register.rows["row_key"].is_unique
    if intake.files.loc[0, "status"] == "error":
        assert [p["kind"] for p in s["input_problems"]][:1] == ["error"]


# Cells that once made people vanish: an open quote, total words in notes, values that are header names, IDs
# Excel turned into numbers, text naming a township. No line breaks and no separators: every body row below
# is one physical line of the file (or one row of the sheet), which is what the test counts.
HOSTILE = st.sampled_from(
    ['"团结村', '"', 'a"b', "合计", "小计：3人", "父母外出合计3年", "已计入上月小计", "符合计划生育政策", "寄宿",
     "社", "说明", "姓名", "5.10923E+17", "回马镇", "  "]
)  # fmt: skip
PLAIN = st.text(
    st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"], exclude_characters='=,"\t'), max_size=8
)
BODY_CELL = st.one_of(
    st.just(""),
    PLAIN,
    HOSTILE,
    st.builds(lambda seq: make_id("510923", dt.date(2008, 5, 3), seq), st.integers(0, 999)),
)
FULL_HEADER = [*HEADER, "是否寄宿", "组", "备注"]
PHYSICAL = st.tuples(
    st.lists(st.lists(BODY_CELL, min_size=len(FULL_HEADER), max_size=len(FULL_HEADER)), max_size=25),
    st.sampled_from(["xlsx", "csv-utf-8", "csv-gb18030"]),
    st.sets(st.integers(0, 24), max_size=5),  # body rows hidden in a workbook
    st.booleans(),  # the township column left out (the title names the township)
)


def physical_return(folder: Path, spec: tuple[list[list[str]], str, set[int], bool]) -> tuple[Path, int]:
    """The return and the number of its data rows, counted from what was written: the rows below the header
    down to the last with a non-blank cell (lines of the CSV file, rows of the sheet)."""
    body, fmt, hidden, no_township = spec
    header = FULL_HEADER[1:] if no_township else FULL_HEADER
    body = [row[1:] for row in body] if no_township else body
    grid = [["回马镇农村“三留守”人员摸排登记表"], header, *body]
    if fmt == "xlsx":
        path = write_xlsx(folder / "physical.xlsx", [[c or None for c in row] for row in grid])
        book = openpyxl.load_workbook(path)
        for i in hidden:
            book.active.row_dimensions[3 + i].hidden = True
        book.save(path)
        rows = [[c.value for c in row] for row in book.active.iter_rows(min_row=3)]
    else:
        path = folder / "physical.csv"
        # written by hand, not by csv.writer: a quote in a cell stays as typed, unpaired
        path.write_bytes("\r\n".join(",".join(row) for row in grid).encode(fmt.split("-", 1)[1], "replace"))
        lines = re.split(r"\r\n|\r|\n", path.read_bytes().decode(fmt.split("-", 1)[1]))
        rows = [line.split(",") for line in lines[2:]]
    filled = [i for i, row in enumerate(rows) if any(str(c).strip() for c in row if c is not None)]
    return path, (filled[-1] + 1 if filled else 0)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=PHYSICAL)
def test_every_physical_data_row_is_one_input_row_and_has_one_fate(
    tmp_path: Path, spec: tuple[list[list[str]], str, set[int], bool]
) -> None:
    path, physical = physical_return(tmp_path, spec)
    intake = read_returns([path])
    s = build_register(intake, dt.date(2017, 12, 31)).summary()
    assert intake.files.loc[0, "status"] == "ok"
    assert s["rows_in"] == physical
    assert s["rows_in"] == s["people"] + s["pending"] + s["duplicates_merged"] + s["skipped"]
    # a person with a valid ID is never a skipped row, whatever the row's other cells say
    ids = intake.rows["id_number"].str.fullmatch(r"510923\d{11}[\dX]").fillna(False).astype(bool)
    assert intake.rows.loc[ids, "skip_rule"].isna().all()


# ------------------------------------------------------------------------------------ a run killed half-way

RUN_HEADER = [*HEADER, "丈夫状况", "子女状况", "外出时长（月）"]


def make_county(root: Path) -> Path:
    """A one-township county (蓬莱镇: two villages of children, women and elders) and its run settings."""
    returns = root / "returns"
    returns.mkdir(parents=True)
    rows: list[list[Any]] = [["大英县蓬莱镇农村留守人员摸排表"], RUN_HEADER]
    seq = 100
    for village in ("梨子坝村", "凉湾村"):
        for month in range(1, 5):
            seq += 1
            rows.append(
                [*child(f"童{seq}", seq, "蓬莱镇", village)[:6], "", "外出务工", "外出务工", "", "", ""]
            )
            rows[-1][4] = make_id("510923", dt.date(2008, month, 3), seq)
        rows.append(["蓬莱镇", village, f"妇{seq}", "女", make_id("510923", dt.date(1980, 2, 2), seq + 1), "留守妇女", "", "", "", "外出务工", "", "12"])  # fmt: skip
        rows.append(["蓬莱镇", village, f"老{seq}", "男", make_id("510923", dt.date(1940, 5, 5), seq + 3), "留守老人", "", "", "", "", "全部外出", "24"])  # fmt: skip
        seq += 4
    write_xlsx(returns / "蓬莱镇.xlsx", rows)
    return returns


def run_settings(root: Path, returns: Path, output: Path) -> Path:
    params = root / f"{output.name}.yaml"
    params.write_text(
        f"county: 大英县\nreference_date: 2017-12-31\npayroll_month: 2018-01\ninputs: {returns}\n"
        f"output: {output}\njobs: 2\ntimeout: 600\n",
        encoding="utf-8",
    )
    return params


def start_run(params: Path, *extra: str) -> subprocess.Popen[str]:
    """``liushou run`` in its own process group (as a terminal would start it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "liushou_core.cli", "run", str(params), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def manifest_of(run: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data


def finished_notebooks(run: Path) -> int:
    towns = manifest_of(run).get("townships", {})
    return sum(n["status"] == "ok" for t in towns.values() for n in t["notebooks"].values())


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.2)


@dataclass(frozen=True)
class Reference:
    returns: Path
    run: Path
    refused: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """An uninterrupted run of the county; a second run started on its folder meanwhile."""
    root = tmp_path_factory.mktemp("county")
    returns = make_county(root)
    run = root / "uninterrupted"
    first = start_run(run_settings(root, returns, run))
    wait_for(lambda: (run / LOCK_NAME).exists() and (run / LOCK_NAME).stat().st_size > 0, 60, "the lock")
    second = subprocess.run(
        [sys.executable, "-m", "liushou_core.cli", "run", str(run_settings(root, returns, run))],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0, out + err
    return Reference(returns, run, second)


@pytest.mark.slow
@pytest.mark.xdist_group("reliability-county")  # one uninterrupted run shared by the two tests
def test_two_runs_on_one_folder_at_once_are_refused_not_interleaved(reference: Reference) -> None:
    refused = reference.refused
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "正由另一个 liushou run" in refused.stderr and "同一文件夹不能同时运行两次" in refused.stderr
    m = manifest_of(reference.run)
    assert m["status"] == "ok" and m["county"]["status"] == "ok"


def artifacts(run: Path) -> list[str]:
    m = manifest_of(run)
    records = [n for t in m["townships"].values() for n in t["notebooks"].values()] + [m["county"]]
    return sorted(a for r in records for a in r["artifacts"])


def statuses(run: Path) -> dict[str, Any]:
    m = manifest_of(run)
    towns = {t: {k: n["status"] for k, n in rec["notebooks"].items()} for t, rec in m["townships"].items()}
    return {"status": m["status"], "townships": towns, "county": m["county"]["status"]}


def ledger_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def assert_every_file_is_complete(run: Path) -> None:
    """Every file under its final name parses; only dot-named temporary files may be half-written."""
    for path in run.rglob("*"):
        if (
            not path.is_file()
            or path.name.startswith(".")
            or any(p.startswith(".") for p in path.relative_to(run).parts)
        ):
            continue
        if path.suffix == ".html":
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>"), path
        elif path.suffix == ".xlsx":
            openpyxl.load_workbook(path, read_only=True).close()
        elif path.suffix == ".ipynb":
            nbformat.validate(nbformat.read(str(path), as_version=4))
        elif path.suffix == ".parquet":
            pd.read_parquet(path)
        elif path.suffix == ".json":
            json.loads(path.read_text(encoding="utf-8"))


def kill_when(params: Path, moment: Callable[[], bool], *extra: str) -> None:
    """Start ``liushou run``, and kill its process group with SIGKILL at ``moment`` (as a power cut or
    ``kill -9`` would: no clean-up runs)."""
    run = start_run(params, *extra)
    try:
        wait_for(lambda: moment() or run.poll() is not None, 300, "the moment to kill the run")
        assert run.poll() is None, "the run ended before it could be killed"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.communicate()


@pytest.mark.slow
@pytest.mark.xdist_group("reliability-county")
def test_a_run_killed_half_way_leaves_no_half_written_file_and_resume_gives_the_same_results(
    reference: Reference,
) -> None:
    root = reference.run.parent
    run = root / "killed"
    params = run_settings(root, reference.returns, run)

    # killed while cleaning: the half-made cleaning must not be taken for a finished one
    kill_when(params, lambda: manifest_of(run).get("clean", {}).get("status") == "running")
    assert_every_file_is_complete(run)
    # resumed, and killed again while the township workbooks are made: one finished, the others not
    kill_when(params, lambda: finished_notebooks(run) >= 1, "--resume")
    m = manifest_of(run)
    assert m["finished"] == "" and (m["county"] is None or m["county"]["status"] != "ok")
    assert_every_file_is_complete(run)

    resumed = subprocess.run(
        [sys.executable, "-m", "liushou_core.cli", "run", str(params), "--resume"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    kept = re.search(r"沿用 (\d+) 本", resumed.stdout)
    assert kept and int(kept.group(1)) >= 1, resumed.stdout  # the finished workbook was not made again
    assert_every_file_is_complete(run)
    assert list(run.rglob(".*.tmp*")) == []
    assert statuses(run) == statuses(reference.run)
    assert artifacts(run) == artifacts(reference.run)
    pd.testing.assert_frame_equal(
        pd.read_parquet(run / "clean" / "people.parquet"),
        pd.read_parquet(reference.run / "clean" / "people.parquet"),
    )
    for ledger in artifacts(run):
        if ledger.endswith(".xlsx"):
            assert ledger_values(run / ledger) == ledger_values(reference.run / ledger), ledger


# --------------------------------------------------------------------------- liushou run on broken returns

STUB = """\
from pathlib import Path
Path(out_dir).mkdir(parents=True, exist_ok=True)
Path(out_dir, KIND + ".xlsx").write_text(township or "county", encoding="utf-8")
"""


def stub_templates(folder: Path) -> Path:
    """Notebooks that start fast and only write a file, standing in for the real workbooks."""
    return shared_stub_templates(folder, STUB)


@pytest.mark.slow
def test_liushou_run_on_broken_returns_makes_every_workbook_lists_the_returns_and_exits_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "NOTEBOOKS_DIR", stub_templates(tmp_path / "templates"))
    returns = make_corpus(tmp_path)
    params = run_settings(tmp_path, returns, tmp_path / "run")

    code, out, err = run_main(["run", str(params)])

    assert code == 1 and "Traceback" not in out + err
    m = manifest_of(tmp_path / "run")
    assert m["townships"]["回马镇"]["status"] == "ok" and m["county"]["status"] == "ok"
    recorded = {p["source_file"]: p["kind"] for p in m["clean"]["input_problems"]}
    for case in CASES:
        if case.label is None:
            assert case.name not in recorded
        else:
            assert recorded[case.name] == {"错误": "error", "未读全": "partial", "提示": "note"}[case.label]
            assert len(lines_about(out, case.name)) == 1
    assert "报表读取问题" in out
