"""Intake loses nobody: every class of return that used to make people vanish, or stop the batch, is read
in full or refused with one Chinese message naming the file, and the other returns carry on (issue 18).

Each test builds its return here with synthetic people; counts asserted are counted from what the test
wrote (physical lines, rows put in the workbook), never taken from the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pytest
import xlwt
from returns_fixture import csv_text, write_xlsx

from liushou_core.cleaning.intake import IntakeResult, read_returns
from liushou_core.cleaning.intake.problems import input_problems
from liushou_core.cleaning.intake.sheets import _count_line_breaks
from liushou_core.cleaning.streaming import build_register
from liushou_core.errors import ConfigError
from liushou_core.paths import DEFAULT_PARAMS_DIR
from liushou_core.values.idcard import make_id

HEADER = ["镇（乡）", "村（社区）", "姓名", "性别", "公民身份号码", "人员类别", "出生日期", "父亲状况", "母亲状况", "是否寄宿", "组", "备注"]  # fmt: skip
REFERENCE = dt.date(2017, 12, 31)


def child(name: str, seq: int, township: str = "回马镇", **changes: str) -> list[str]:
    """A left-behind child with a valid ID (odd ``seq`` is a boy); ``changes`` by header text."""
    birth = dt.date(2008, 5, 3)
    row = [township, "团结村", name, "男" if seq % 2 else "女", make_id("510923", birth, seq), "留守儿童",
           birth.isoformat(), "外出务工", "外出务工", "", "", ""]  # fmt: skip
    for header, value in changes.items():
        row[HEADER.index(header)] = value
    return row


def accounted(result: IntakeResult) -> dict[str, int]:
    """The cleaning's identity terms for these returns."""
    s = build_register(result, REFERENCE).summary()
    assert s["rows_in"] == s["people"] + s["pending"] + s["duplicates_merged"] + s["skipped"]
    return {k: int(s[k]) for k in ("rows_in", "people", "pending", "duplicates_merged", "skipped")}


def rules_of(result: IntakeResult, source_file: str) -> set[str]:
    return set(result.issues.loc[result.issues["source_file"] == source_file, "rule"])


# --- 1. a CSV cell beginning with an unmatched quote -----------------------------------------------------


def test_an_unmatched_quote_in_a_csv_cell_cannot_swallow_the_rows_below(tmp_path: Path) -> None:
    people = [child(f"学生{i:02d}", i) for i in range(1, 21)]
    text = csv_text([HEADER, *people])
    lines = text.split("\r\n")
    lines[3] = lines[3].replace("学生03", '"学生03', 1)  # the third person: a quote typed before the name
    path = tmp_path / "引号.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8")
    physical = len([line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]) - 1

    result = read_returns([path])

    assert physical == 20
    assert len(result.rows) == physical == int(result.files.loc[0, "rows_in"])
    assert list(result.rows["source_row"]) == list(range(2, 22))  # each record on its own line
    names = list(result.rows["name"])
    assert names[:2] == ["学生01", "学生02"] and names[3:] == [f"学生{i:02d}" for i in range(4, 21)]
    assert result.rows["id_number"].notna().all()  # nothing shifted into one cell
    quoted = result.issues[result.issues["rule"] == "csv_quote_unmatched"]
    assert list(quoted["source_row"]) == [4]
    (problem,) = [p for p in input_problems(result.issues, result.files) if p.source_file == "引号.csv"]
    assert problem.kind == "partial" and "第 4 行" in problem.message and "引号" in problem.message
    assert accounted(result)["rows_in"] == 20


def test_a_quoted_cell_with_line_breaks_but_no_separator_stays_one_cell_and_rows_keep_their_line(
    tmp_path: Path,
) -> None:
    rows = [HEADER, child("甲", 1, 备注="第一行\n第二行"), child("乙", 3)]
    path = tmp_path / "换行.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    result = read_returns([path])
    assert list(result.rows["name"]) == ["甲", "乙"]
    assert result.rows["notes"].iloc[0] == "第一行\n第二行"
    assert list(result.rows["source_row"]) == [2, 4]  # 乙 is on the fourth physical line
    assert "csv_quote_unmatched" not in rules_of(result, "换行.csv")


# --- 2. 合计/小计 never overrides a valid ID or a name ------------------------------------------------------


@pytest.mark.parametrize("note", ["符合计划生育政策", "父母外出合计3年", "已计入上月小计", "总计划"])
def test_a_total_word_in_a_note_does_not_make_a_person_a_total_row(tmp_path: Path, note: str) -> None:
    path = write_xlsx(
        tmp_path / "备注.xlsx",
        [HEADER, child("甲", 1, 备注=note), child("乙", 3), ["合计", None, None, None, None, None, None, None, None, None, None, "2人"]],
    )  # fmt: skip
    result = read_returns([path])
    assert list(result.rows["skip_rule"].fillna("-")) == ["-", "-", "skip_total"]
    assert accounted(result) == {
        "rows_in": 3,
        "people": 2,
        "pending": 0,
        "duplicates_merged": 0,
        "skipped": 1,
    }


def test_a_total_row_whose_name_cell_says_total_is_still_skipped(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "小计.xlsx", [HEADER, child("甲", 1), [None, None, "小计", None, None, None]]
    )
    result = read_returns([path])
    assert list(result.rows["skip_rule"].fillna("-")) == ["-", "skip_total"]


# --- 3. hidden sheets and hidden rows --------------------------------------------------------------------


def test_hidden_rows_are_read_and_each_is_reported(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "隐藏行.xlsx", [["回马镇摸排表"], HEADER, child("甲", 1), child("乙", 3), child("丙", 5)]
    )
    wb = openpyxl.load_workbook(path)
    wb.active.row_dimensions[4].hidden = True  # 乙
    wb.save(path)
    result = read_returns([path])
    assert list(result.rows["name"]) == ["甲", "乙", "丙"]
    hidden = result.issues[result.issues["rule"] == "row_hidden"]
    assert list(hidden["source_row"]) == [4]
    (problem,) = [p for p in input_problems(result.issues, result.files) if p.source_file == "隐藏行.xlsx"]
    assert "第 4 行" in problem.message and "隐藏" in problem.message


def test_a_hidden_sheet_of_people_without_a_recognised_header_does_not_vanish(tmp_path: Path) -> None:
    path = tmp_path / "隐藏表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "一组"
    for row in [HEADER, child("甲", 1)]:
        wb.active.append(row)
    hidden = wb.create_sheet("旧名单")
    for row in [["名", "号", "村"], ["乙", make_id("510923", dt.date(2008, 5, 3), 3), "团结村"]]:
        hidden.append(row)
    hidden.sheet_state = "hidden"
    lookup = wb.create_sheet("选项")
    for row in [["男"], ["女"]]:
        lookup.append(row)
    lookup.sheet_state = "hidden"
    wb.save(path)
    result = read_returns([path])
    problems = [p for p in input_problems(result.issues, result.files) if p.source_file == "隐藏表.xlsx"]
    about = {p.source_sheet: p for p in problems}
    assert about["旧名单"].kind == "error" and "隐藏" in about["旧名单"].message
    assert "选项" not in about or about["选项"].kind == "note"  # a list of choices is no one lost
    assert list(result.rows["name"]) == ["甲"]


# --- 4. symlinked sub-folders ------------------------------------------------------------------------------


def test_a_symlinked_sub_folder_of_returns_is_followed_and_a_loop_does_not_hang(tmp_path: Path) -> None:
    returns, elsewhere = tmp_path / "returns", tmp_path / "elsewhere"
    returns.mkdir()
    elsewhere.mkdir()
    write_xlsx(returns / "回马镇.xlsx", [HEADER, child("甲", 1)])
    write_xlsx(elsewhere / "蓬莱镇.xlsx", [HEADER, child("乙", 3, "蓬莱镇")])
    (returns / "蓬莱").symlink_to(elsewhere, target_is_directory=True)
    (elsewhere / "回环").symlink_to(returns, target_is_directory=True)  # a loop back
    result = read_returns([returns])
    assert sorted(result.rows["name"]) == ["乙", "甲"]
    assert sorted(result.files["source_file"]) == ["回马镇.xlsx", "蓬莱/蓬莱镇.xlsx"]


# --- 5. cells equal to header aliases ---------------------------------------------------------------------


def test_cells_equal_to_header_aliases_do_not_make_a_person_a_repeated_header(tmp_path: Path) -> None:
    person = child("甲", 1, 是否寄宿="寄宿", 组="社", 备注="说明")  # three cells that are also header names
    path = write_xlsx(tmp_path / "寄宿.xlsx", [HEADER, person, HEADER, child("乙", 3)])
    result = read_returns([path])
    assert list(result.rows["skip_rule"].fillna("-")) == ["-", "skip_header", "-"]


def test_a_row_holding_a_valid_id_is_never_a_repeated_header_however_many_header_names_it_has(
    tmp_path: Path,
) -> None:
    names = dict(zip(HEADER, HEADER, strict=True))  # every cell a header name…
    person = child("姓名", 1, **{h: v for h, v in names.items() if h not in ("公民身份号码", "姓名")})
    path = write_xlsx(tmp_path / "表头名.xlsx", [HEADER, person])  # …but a valid ID
    assert read_returns([path]).rows["skip_rule"].isna().all()


# --- 6. size and dimension checks -------------------------------------------------------------------------

READ_IN_CHILD = """
import json, sys
from liushou_core.cleaning.intake import read_returns
r = read_returns(sys.argv[1:])
print(json.dumps({"names": sorted(r.rows["name"].dropna()), "messages": list(r.issues["message"].dropna()),
                  "status": dict(zip(r.files["source_file"], r.files["status"]))}, ensure_ascii=False))
"""


def read_in_child(*paths: Path, timeout: float = 120) -> dict[str, Any]:
    """read_returns in a child process with bounded memory: a crash or a hang fails the test, not pytest."""
    done = subprocess.run(
        [sys.executable, "-c", READ_IN_CHILD, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=lambda: __import__("resource").setrlimit(__import__("resource").RLIMIT_AS, (4 << 30, 4 << 30)),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return dict(json.loads(done.stdout))


def test_a_small_workbook_with_a_stray_cell_at_the_last_column_and_row_is_refused_and_the_rest_read(
    tmp_path: Path,
) -> None:
    stray = write_xlsx(tmp_path / "远格.xlsx", [HEADER, child("甲", 1)])
    wb = openpyxl.load_workbook(stray)
    wb.active["XFD1048576"] = "x"
    wb.save(stray)
    assert stray.stat().st_size < 16_000
    good = write_xlsx(tmp_path / "回马镇.xlsx", [HEADER, child("乙", 3)])
    seen = read_in_child(stray, good)
    assert seen["names"] == ["乙"]
    assert seen["status"] == {"远格.xlsx": "error", "回马镇.xlsx": "ok"}
    (message,) = [m for m in seen["messages"] if "远格.xlsx" in m]
    assert "XFD1048576" in message and "太大" in message


def test_an_old_xls_with_a_stray_cell_at_its_last_row_and_column_is_refused(tmp_path: Path) -> None:
    book = xlwt.Workbook()
    sheet = book.add_sheet("一组")
    for r, row in enumerate([HEADER, child("甲", 1)]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    sheet.write(65535, 255, "x")  # IV65536, the last cell an .xls has
    stray = tmp_path / "远格.xls"
    book.save(str(stray))
    seen = read_in_child(stray, write_xlsx(tmp_path / "回马镇.xlsx", [HEADER, child("乙", 3)]))
    assert seen["names"] == ["乙"] and seen["status"]["远格.xls"] == "error"
    (message,) = [m for m in seen["messages"] if "远格.xls" in m]
    assert "IV65536" in message and "太大" in message


def test_a_zip_bomb_is_refused_by_its_unpacked_size_before_it_is_unpacked(tmp_path: Path) -> None:
    bomb = write_xlsx(tmp_path / "炸弹.xlsx", [HEADER, child("甲", 1)])
    with (
        zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as z,
        z.open("xl/media/padding.bin", "w") as padding,
    ):
        for _ in range(200):
            padding.write(bytes(1 << 20))  # 200 MB of zeros, about 200 KB packed
    assert bomb.stat().st_size < 1 << 20
    seen = read_in_child(bomb, write_xlsx(tmp_path / "好.xlsx", [HEADER, child("乙", 3)]))
    assert seen["names"] == ["乙"] and seen["status"]["炸弹.xlsx"] == "error"
    (message,) = [m for m in seen["messages"] if "炸弹.xlsx" in m]
    assert "解压" in message


def test_a_huge_sparse_csv_is_refused_by_its_size_without_being_read(tmp_path: Path) -> None:
    huge = tmp_path / "巨大.csv"
    with huge.open("wb") as f:
        f.write(csv_text([HEADER, child("甲", 1)]).encode("utf-8"))
        f.truncate(2 << 30)  # 2 GB, sparse: no disk used
    seen = read_in_child(huge, write_xlsx(tmp_path / "好.xlsx", [HEADER, child("乙", 3)]))
    assert seen["names"] == ["乙"] and seen["status"]["巨大.csv"] == "error"
    (message,) = [m for m in seen["messages"] if "巨大.csv" in m]
    assert "太大" in message


# --- 7. IDs mangled by Excel, a FIFO on the command line --------------------------------------------------


def test_a_return_whose_ids_are_all_mangled_by_excel_is_cleaned_as_pending(tmp_path: Path) -> None:
    rows = [HEADER, *(child(f"学生{i}", i, 公民身份号码="5.10923E+17") for i in range(1, 6))]
    path = tmp_path / "科学计数.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    out = tmp_path / "clean"
    done = subprocess.run(
        [sys.executable, "-m", "liushou_core.cli", "clean", str(path), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "程序内部错误" not in done.stderr and done.returncode in (0, 1), done.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["rows_in"], summary["pending"], summary["people"]) == (5, 5, 0)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_named_on_the_command_line_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "管道.csv"
    os.mkfifo(fifo)
    seen = read_in_child(fifo, write_xlsx(tmp_path / "好.xlsx", [HEADER, child("乙", 3)]), timeout=60)
    assert seen["names"] == ["乙"] and seen["status"]["管道.csv"] == "error"
    (message,) = [m for m in seen["messages"] if "管道.csv" in m]
    assert "不是普通文件" in message


# --- 8. the township from the title or the file name -----------------------------------------------------

NO_TOWNSHIP = HEADER[1:]


def test_a_return_without_a_township_column_takes_it_from_its_title(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "摸排表.xlsx",
        [["回马镇农村“三留守”人员摸排登记表"], NO_TOWNSHIP, child("甲", 1)[1:], child("乙", 3)[1:]],
    )
    result = read_returns([path])
    assert list(result.rows["township"]) == ["回马镇", "回马镇"]
    inferred = result.issues[result.issues["rule"] == "township_inferred"]
    assert len(inferred) == 1 and "回马镇" in inferred["message"].iloc[0]
    assert inferred["severity"].iloc[0] == "info"
    assert accounted(result)["people"] == 2


def test_a_return_without_a_township_column_or_title_takes_it_from_its_file_name(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "蓬莱镇2018年报表.xlsx", [NO_TOWNSHIP, child("甲", 1, "蓬莱镇")[1:]])
    result = read_returns([path])
    assert list(result.rows["township"]) == ["蓬莱镇"]
    assert "township_inferred" in rules_of(result, "蓬莱镇2018年报表.xlsx")


@pytest.mark.parametrize(
    ("title", "file_name"),
    [("大英县农村留守人员摸排登记表", "报表.xlsx"), ("回马镇、蓬莱镇留守人员摸排表", "报表.xlsx"), ("", "回马镇蓬莱镇.xlsx")],
)  # fmt: skip
def test_a_return_without_a_township_column_naming_no_single_township_is_refused(
    tmp_path: Path, title: str, file_name: str
) -> None:
    rows = ([[title]] if title else []) + [NO_TOWNSHIP, child("甲", 1)[1:]]
    result = read_returns([write_xlsx(tmp_path / file_name, rows)])
    assert len(result.rows) == 0
    assert "required_column_missing" in rules_of(result, file_name)


# --- the limits come from the settings ----------------------------------------------------------------------


def test_the_size_limits_are_read_from_the_survey_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = tmp_path / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params)
    text = (params / "survey.yaml").read_text(encoding="utf-8").replace("file_mb: 256", "file_mb: 1")
    (params / "survey.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("LIUSHOU_PARAMS", str(params))
    big = tmp_path / "两兆.csv"
    big.write_text(csv_text([HEADER, child("甲", 1)]) + "\r\n" * (2 << 20), encoding="utf-8")
    result = read_returns([big])
    assert result.files.loc[0, "status"] == "error" and "上限 1.0 MB" in result.files.loc[0, "message"]

    (params / "survey.yaml").write_text(text.replace("file_mb: 1", "file_mb: 大"), encoding="utf-8")
    with pytest.raises(ConfigError, match="intake_limits.file_mb"):
        read_returns([big])


def test_line_breaks_in_a_cell_are_counted_as_excel_shows_them_whether_windows_mac_or_unix() -> None:
    cells = ["甲\r\n乙\r丙\n丁", None, "无换行", "\r\r\n\n\n", "\n\r", ""]
    # \r\n is one break; \n\r is two (a Unix break, then an old Mac one)
    assert _count_line_breaks(pa.array(cells)).tolist() == [3, 0, 0, 4, 2, 0]
