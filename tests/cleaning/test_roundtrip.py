"""The corrections loop as a township runs it: `liushou clean` writes the 问题数据清单, a cadre opens it, finds
the row and the cell to fill by what the sheet says (headers, names, problems — never a column letter), types
the answer and saves; the county cleans again with `--decisions` and every typed answer is applied or failed
with a reason."""

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from returns_fixture import write_return_xlsx

from liushou_core.cleaning.problemlist import choices_for
from liushou_core.cli import main
from liushou_core.values.codebook import load_codebook
from liushou_core.values.idcard import make_id

HEADER = ["镇（乡）", "村（社区）", "组", "姓名", "性别", "公民身份号码", "人员类别", "出生日期", "父亲状况",
          "母亲状况", "丈夫状况", "子女状况", "外出时长（月）"]  # fmt: skip
CHILD = make_id("510923", date(2008, 5, 3), 123)
CHILD2 = make_id("510923", date(2010, 6, 1), 133)
WOMAN = make_id("510922", date(1980, 1, 1), 124)
ELDER = make_id("512836", date(1935, 2, 28), 125)
ELDER_FIXED = make_id("510923", date(1935, 1, 1), 131)
MAN = make_id("510923", date(1975, 4, 2), 135)


def person(name, id_, category, birth, village="团结村", group="1组", **kw):
    row = dict.fromkeys(HEADER, "")
    row.update({"镇（乡）": "回马", "村（社区）": village, "组": group, "姓名": name, "公民身份号码": id_,
                "人员类别": category, "出生日期": birth})  # fmt: skip
    row.update(kw)
    return [row[h] for h in HEADER]


def write_return(path: Path) -> None:
    """回马镇's return: two title rows, two village sheets, the mistakes cadres make."""
    sheets = {
        "团结村": [
            person("张小明", CHILD, "留守儿童", "2008.5.3", 父亲状况="外出务工", 母亲状况="外出务工", 性别="男"),
            person("刘小红", CHILD2, "留守儿童", "2010.6.1", 父亲状况="不清楚", 母亲状况="外出务工", 性别="女"),
            person("李秀英", WOMAN, "留守妇女", "1981年1月1日", 丈夫状况="外出务工", 性别="女", group="2组", **{"外出时长（月）": "12"}),
        ],
        "金竹村": [
            person("赵四", 5.10923193501011e17, "留守老人", "19350101", village="金竹", 子女状况="全部外出",
                   性别="男", **{"外出时长（月）": "24"}),
            person("王德全", ELDER, "留守老人", "19350228", village="金竹", 子女状况="全部外出", 性别="男", **{"外出时长（月）": "24"}),
            person("孙大力", MAN, "留守老人", "1975-04-02", village="金竹", 子女状况="全部外出", 性别="男", **{"外出时长（月）": "24"}),
            person("张小明", CHILD, "留守儿童", "2008.5.3", village="金竹", 父亲状况="外出务工",
                   母亲状况="外出务工", 性别="男"),
        ],
    }  # fmt: skip
    write_return_xlsx(path, HEADER, sheets)


@pytest.fixture
def returns(tmp_path):
    d = tmp_path / "returns"
    d.mkdir()
    write_return(d / "回马镇.xlsx")
    return d


def clean(returns: Path, out: Path, *decisions: Path) -> int:
    args = ["clean", str(returns), "--out", str(out), "--reference-date", "2017-12-31"]
    for d in decisions:
        args += ["--decisions", str(d)]
    return main(args)


class Form:
    """The list as a person sees it: a sheet, its header row (found by its text) and the rows under it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.book = openpyxl.load_workbook(path)

    def sheet(self, name: str):
        return self.book[name]

    @staticmethod
    def header(ws, wanted: str) -> tuple[int, dict[str, int]]:
        for row in ws.iter_rows(min_row=1, max_row=10):
            texts = {str(c.value).strip(): c.column for c in row if c.value is not None}
            if wanted in texts:
                return row[0].row, texts
        raise AssertionError(f"no header with {wanted} in {ws.title}")

    def rows(self, sheet: str, **match: str) -> list[int]:
        """The row numbers whose cells under the given headers hold the given texts."""
        ws = self.sheet(sheet)
        at, cols = self.header(ws, next(iter(match)))
        found = []
        for r in range(at + 1, ws.max_row + 1):
            if all(str(ws.cell(r, cols[h]).value or "") == v for h, v in match.items()):
                found.append(r)
        return found

    def fill(self, sheet: str, column: str, value: str, **match: str) -> None:
        ws = self.sheet(sheet)
        _, cols = self.header(ws, column)
        rows = self.rows(sheet, **match)
        assert len(rows) == 1, (match, rows)
        ws.cell(rows[0], cols[column]).value = value

    def save(self, path: Path | None = None) -> Path:
        target = path or self.path
        self.book.save(target)
        return target


def rows_of(out: Path) -> pd.Series:
    return pd.read_parquet(out / "rows.parquet").set_index("row_key")["fate"]


def test_an_id_typed_into_the_written_list_is_applied_on_the_next_clean(returns, tmp_path):
    assert clean(returns, tmp_path / "run1") == 0
    assert rows_of(tmp_path / "run1")["回马镇.xlsx|金竹村|4"] == "pending"  # 赵四's ID mangled by Excel
    form = Form(tmp_path / "run1" / "问题数据清单" / "回马镇_问题数据清单.xlsx")
    form.fill("问题清单", "更正值", ELDER_FIXED, 姓名="赵四", 问题="身份证号被Excel改坏")
    back = tmp_path / "交回" / "回马镇_问题数据清单.xlsx"
    back.parent.mkdir()
    form.save(back)

    assert clean(returns, tmp_path / "run2", back) == 0
    assert rows_of(tmp_path / "run2")["回马镇.xlsx|金竹村|4"] == "verified"
    summary = json.loads((tmp_path / "run2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["corrections"] == {"applied": 1, "failed": 0}
    log = pd.read_parquet(tmp_path / "run2" / "corrections_log.parquet")
    assert log[["row_key", "field", "status"]].values.tolist() == [
        ["回马镇.xlsx|金竹村|4", "id_number", "applied"]
    ]


def the_list(out: Path) -> Path:
    return out / "问题数据清单" / "回马镇_问题数据清单.xlsx"


def fill_every_kind(form: Form) -> None:
    """What a cadre types for each problem of the fixture's list (one of each kind it can hold)."""
    form.fill("问题清单", "更正值", ELDER_FIXED, 姓名="赵四", 问题="身份证号被Excel改坏")  # pending: ID
    form.fill("问题清单", "更正值", "外出务工", 姓名="刘小红", 问题="取值无法识别")  # warning: vocabulary
    form.fill("问题清单", "更正值", "外出务工", 姓名="刘小红", 问题="认定信息缺失")  # pending: facts
    form.fill("问题清单", "更正值", "男", 姓名="刘小红", 问题="性别与身份证不符")  # warning: sex
    form.fill("问题清单", "更正值", "1980-01-01", 姓名="李秀英", 问题="出生日期与身份证不符")  # warning: date
    form.fill("问题清单", "更正值", "留守妇女", 姓名="孙大力", 问题="不符合认定条件")  # pending: category
    form.fill("重复登记", "查重决定", "保留", 姓名="张小明", 工作表="金竹村")  # duplicate


def test_every_kind_of_problem_on_the_list_comes_back_applied(returns, tmp_path, capsys):
    assert clean(returns, tmp_path / "run1") == 0
    form = Form(the_list(tmp_path / "run1"))
    fill_every_kind(form)
    (tmp_path / "回收清单").mkdir()
    back = form.save(tmp_path / "回收清单" / "回马镇_问题数据清单.xlsx")
    capsys.readouterr()
    assert clean(returns, tmp_path / "run2", back) == 0
    printed = capsys.readouterr().out
    # Seven answers; the two typed into 刘小红's 父亲状况 (reported twice) are one correction of one cell.
    assert "回马镇：交回 6 项，已应用 6 项，未应用 0 项" in printed
    log = pd.read_parquet(tmp_path / "run2" / "corrections_log.parquet")
    assert log["status"].tolist() == ["applied"] * 5, log[["field", "message"]]
    decisions = pd.read_parquet(tmp_path / "run2" / "decisions_log.parquet")
    assert decisions["status"].tolist() == ["applied"]
    fates = rows_of(tmp_path / "run2")
    assert fates["回马镇.xlsx|金竹村|4"] == "verified"  # the ID
    assert fates["回马镇.xlsx|团结村|5"] == "verified"  # the father's status
    assert (fates["回马镇.xlsx|金竹村|7"], fates["回马镇.xlsx|团结村|4"]) == ("verified", "duplicate")
    # 孙大力, 42, is not a left-behind elder; corrected to 留守妇女 the correction is applied, and the next
    # list asks for what that category needs (丈夫状况).
    assert fates["回马镇.xlsx|金竹村|6"] == "pending"
    again = Form(the_list(tmp_path / "run2"))
    assert again.rows("问题清单", 姓名="孙大力", 问题="认定信息缺失", 字段="丈夫状况")
    assert not again.rows("问题清单", 姓名="赵四")


@pytest.fixture
def first_run(returns, tmp_path):
    assert clean(returns, tmp_path / "run1") == 0
    return tmp_path / "run1"


def test_the_list_reads_as_a_form(first_run):
    book = openpyxl.load_workbook(the_list(first_run))
    assert book.sheetnames == ["填写说明", "问题清单", "重复登记"]
    assert "不符合认定条件" in " ".join(str(c.value) for c in book["填写说明"]["A"])
    ws = book["问题清单"]
    at, cols = Form.header(ws, "更正值")
    order = sorted(cols, key=cols.get)
    # who, the problem in Chinese, then the cell to fill; the machine key last and hidden
    assert order[:11] == [
        "村（社区）",
        "组",
        "姓名",
        "公民身份号码",
        "严重程度",
        "问题",
        "字段",
        "原值",
        "说明",
        "更正值",
        "处理决定",
    ]
    assert order[-1] == "行标识"
    key_letter = openpyxl.utils.get_column_letter(cols["行标识"])
    assert ws.column_dimensions[key_letter].hidden
    fields = {ws.cell(r, cols["字段"]).value for r in range(at + 1, ws.max_row + 1)}
    assert "公民身份号码" in fields and not any(f and f.isascii() for f in fields)
    villages = [ws.cell(r, cols["村（社区）"]).value for r in range(at + 1, ws.max_row + 1)]
    assert villages == sorted(villages)
    # protected, except the answers; wrapped 说明; a page per village; header row on every page
    assert ws.protection.sheet and not ws.protection.password
    answer = ws.cell(at + 1, cols["更正值"])
    assert not answer.protection.locked and answer.fill.fgColor.rgb.endswith("FFF2CC")
    action = ws.cell(at + 1, cols["处理决定"])
    assert not action.protection.locked and action.fill.fgColor.rgb.endswith("FFF2CC")
    assert ws.cell(at + 1, cols["姓名"]).protection.locked
    assert ws.cell(at + 1, cols["说明"]).alignment.wrap_text
    assert ws.column_dimensions[openpyxl.utils.get_column_letter(cols["更正值"])].width >= 20
    assert len(ws.row_breaks.brk) == len(set(villages)) - 1
    assert ws.print_title_rows == f"${at}:${at}"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    # dropdowns: the codebook's values where the field is a choice, 保留/删除 for duplicates
    lists = {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert '"男,女"' in lists and '"留守儿童,留守妇女,留守老人"' in lists
    assert '"删除"' in lists  # 处理决定: a row the township takes off the register
    how_to = {ws_row[0].value: ws_row[1].value for ws_row in book["填写说明"].iter_rows(min_row=2)}
    assert "“处理决定”选择“删除”" in how_to["删除人员"] and "“处理决定”选择“删除”" in how_to["不符合认定条件"]
    dups = book["重复登记"]
    assert [dv.formula1 for dv in dups.data_validations.dataValidation] == ['"保留,删除"']


def test_decisions_inside_the_output_folder_are_refused_before_anything_is_written(
    first_run, returns, capsys
):
    before = {p: p.stat().st_mtime_ns for p in first_run.rglob("*") if p.is_file()}
    assert clean(returns, first_run, first_run / "问题数据清单") == 2
    assert "输出文件夹" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in first_run.rglob("*") if p.is_file()} == before


def test_a_filled_list_left_in_the_output_folder_is_never_overwritten(first_run, returns, capsys):
    form = Form(the_list(first_run))
    form.fill("问题清单", "更正值", ELDER_FIXED, 姓名="赵四", 问题="身份证号被Excel改坏")
    form.save()
    filled = the_list(first_run).read_bytes()
    assert clean(returns, first_run) == 2
    assert "已填写" in capsys.readouterr().err
    assert the_list(first_run).read_bytes() == filled


def test_a_form_tampered_with_rows_deleted_and_returned_twice_answers_every_typed_value(
    first_run, returns, tmp_path
):
    form = Form(the_list(first_run))
    fill_every_kind(form)
    ws = form.sheet("问题清单")
    at, cols = Form.header(ws, "更正值")
    # protected cells edited anyway: 原值 of the ID row, 字段 of the sex row, the key of the date row
    (r_id,) = form.rows("问题清单", 姓名="赵四", 问题="身份证号被Excel改坏")
    ws.cell(r_id, cols["原值"]).value = "51092319350101"
    (r_sex,) = form.rows("问题清单", 姓名="刘小红", 问题="性别与身份证不符")
    ws.cell(r_sex, cols["字段"]).value = "skip_rule"
    (r_date,) = form.rows("问题清单", 姓名="李秀英", 问题="出生日期与身份证不符")
    ws.cell(r_date, cols["行标识"]).value = None
    # rows deleted: the 不符合认定条件 row (answered) goes, with what it held
    (r_cat,) = form.rows("问题清单", 姓名="孙大力", 问题="不符合认定条件")
    ws.delete_rows(r_cat)
    ws.title = "Sheet1"  # renamed
    back = tmp_path / "回收清单"
    back.mkdir()
    form.save(back / "回马镇_问题数据清单.xlsx")
    form.save(back / "回马镇_问题数据清单(1).xlsx")  # returned twice
    assert clean(returns, tmp_path / "run2", back) == 0
    log = pd.read_parquet(tmp_path / "run2" / "corrections_log.parquet").set_index("field")
    assert len(log) == 4  # one per row key and field, whichever copy it came from
    assert log.loc["id_number", "status"] == "failed" and "与原值" in log.loc["id_number", "message"]
    assert (
        log.loc["skip_rule", "status"] == "failed"
        and "不是摸排登记表中的字段" in log.loc["skip_rule", "message"]
    )
    assert log.loc["birth_date", "status"] == "failed" and "行标识" in log.loc["birth_date", "message"]
    assert log.loc["father_status", "status"] == "applied"
    assert rows_of(tmp_path / "run2")["回马镇.xlsx|团结村|5"] == "verified"  # not turned into a skipped row


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def resave_with_libreoffice(path: Path, folder: Path, fmt: str) -> Path:
    """Open and save ``path`` in LibreOffice (as a township whose office suite it is), as ``fmt``."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = (folder / ".profile").resolve().as_uri()  # its own profile: runs beside other soffice
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", fmt, "--outdir", str(folder),
         str(path)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    shutil.rmtree(folder / ".profile", ignore_errors=True)
    return folder / f"{path.stem}.{fmt}"


@pytest.mark.slow
@pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice（soffice）未安装：`make libreoffice` 安装后运行此往返测试"
)
@pytest.mark.parametrize("fmt", ["xlsx", "xls"])
def test_a_list_saved_again_by_libreoffice_comes_back_applied(first_run, returns, tmp_path, fmt):
    form = Form(the_list(first_run))
    fill_every_kind(form)
    (tmp_path / "filled").mkdir()
    filled = form.save(tmp_path / "filled" / "回马镇_问题数据清单.xlsx")
    back = resave_with_libreoffice(filled, tmp_path / "回收清单", fmt)
    if fmt == "xlsx":  # the form survives LibreOffice: dropdowns, protection, hidden key
        book = openpyxl.load_workbook(back)
        assert {dv.formula1 for dv in book["重复登记"].data_validations.dataValidation} == {'"保留,删除"'}
        assert len(book["问题清单"].data_validations.dataValidation) >= 3
        assert book["问题清单"].protection.sheet
    assert clean(returns, tmp_path / "run2", back) == 0
    log = pd.read_parquet(tmp_path / "run2" / "corrections_log.parquet")
    assert log["status"].tolist() == ["applied"] * 5, log[["field", "message"]]
    assert pd.read_parquet(tmp_path / "run2" / "decisions_log.parquet")["status"].tolist() == ["applied"]
    assert rows_of(tmp_path / "run2")["回马镇.xlsx|金竹村|4"] == "verified"


#: A list as written, and as LibreOffice saves it again (where it is installed).
AS_WRITTEN_AND_RESAVED = [
    "",
    pytest.param(
        "xlsx",
        marks=[
            pytest.mark.slow,
            pytest.mark.skipif(
                SOFFICE is None,
                reason="LibreOffice（soffice）未安装：`make libreoffice` 安装后运行此往返测试",
            ),
        ],
    ),
]


def withdrawn_run(returns: Path, filled: Path, out: Path) -> tuple[pd.Series, dict]:
    assert clean(returns, out, filled) == 0
    return rows_of(out), json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("resave", AS_WRITTEN_AND_RESAVED)
def test_a_person_the_township_marks_for_deletion_leaves_the_register_and_is_accounted_for(
    first_run, returns, tmp_path, capsys, resave
):
    sun = "回马镇.xlsx|金竹村|6"  # 孙大力, 42, declared a left-behind elder: 不符合认定条件
    assert rows_of(first_run)[sun] == "pending"
    before = json.loads((first_run / "summary.json").read_text(encoding="utf-8"))
    form = Form(the_list(first_run))
    form.fill("问题清单", "处理决定", "删除", 姓名="孙大力", 问题="不符合认定条件")
    (tmp_path / "filled").mkdir()
    filled = form.save(tmp_path / "filled" / "回马镇_问题数据清单.xlsx")
    if resave:
        filled = resave_with_libreoffice(filled, tmp_path / "回收清单", resave)
    capsys.readouterr()
    fates, summary = withdrawn_run(returns, filled, tmp_path / "run2")
    printed = capsys.readouterr().out

    assert fates[sun] == "skipped"
    rows = pd.read_parquet(tmp_path / "run2" / "rows.parquet").set_index("row_key")
    assert rows.loc[sun, "reason"] == "skip_withdrawn"
    assert (rows.loc[sun, "source_file"], rows.loc[sun, "source_row"]) == ("回马镇.xlsx", 6)
    for table in ("people", "pending"):
        assert sun not in set(pd.read_parquet(tmp_path / "run2" / f"{table}.parquet")["row_key"])
    issues = pd.read_parquet(tmp_path / "run2" / "issues.parquet")
    mine = issues[issues["row_key"].eq(sun)]
    assert mine[["rule", "severity"]].values.tolist() == [["skip_withdrawn", "info"]]
    assert "删除" in mine["message"].iloc[0]
    # every input row in exactly one place: one pending row fewer, one skipped row more
    assert summary["rows_in"] == before["rows_in"]
    assert (summary["pending"], summary["skipped"]) == (before["pending"] - 1, before["skipped"] + 1)
    assert summary["rows_in"] == (
        summary["people"] + summary["pending"] + summary["duplicates_merged"] + summary["skipped"]
    )
    assert summary["corrections"] == {"applied": 1, "failed": 0}
    log = pd.read_parquet(tmp_path / "run2" / "corrections_log.parquet")
    assert log[["row_key", "kind", "status"]].values.tolist() == [[sun, "withdrawal", "applied"]]
    assert "回马镇：交回 1 项，已应用 1 项，未应用 0 项；其中核实删除 1 人" in printed
    # the next list no longer asks about him
    assert not Form(the_list(tmp_path / "run2")).rows("问题清单", 姓名="孙大力")


def dropdown_lists(path: Path) -> dict[str, list[list[str]]]:
    """Every list dropdown of a workbook, per sheet, as its options; asserts each is valid in Excel: inline
    within 255 characters, or a range on a hidden sheet of the workbook whose cells hold the options."""
    book = openpyxl.load_workbook(path)
    found: dict[str, list[list[str]]] = {}
    for ws in book.worksheets:
        for dv in ws.data_validations.dataValidation:
            if dv.type != "list":
                continue
            formula = str(dv.formula1).removeprefix("=")
            if formula.startswith('"'):
                assert len(formula) - 2 <= 255, (ws.title, formula)
                options = formula.strip('"').split(",")
            else:
                sheet, cells = formula.rsplit("!", 1)
                target = book[sheet.strip("'")]
                assert target.sheet_state == "hidden", (ws.title, formula)
                options = [str(c.value) for row in target[cells.replace("$", "")] for c in row]
                assert all(o and o != "None" for o in options), (formula, options)
            found.setdefault(ws.title, []).append(options)
    return found


@pytest.mark.parametrize("resave", AS_WRITTEN_AND_RESAVED)
def test_a_village_list_too_long_for_an_inline_dropdown_is_offered_from_a_hidden_sheet(tmp_path, resave):
    returns = tmp_path / "returns"
    returns.mkdir()
    row = person(
        "陈一", CHILD, "留守儿童", "2008.5.3", village="蓬溪村", 父亲状况="外出务工", 母亲状况="外出务工"
    )
    row[HEADER.index("镇（乡）")] = "蓬莱镇"
    write_return_xlsx(returns / "蓬莱镇.xlsx", HEADER, {"蓬溪村": [row]})
    assert clean(returns, tmp_path / "run1") == 0
    path = tmp_path / "run1" / "问题数据清单" / "蓬莱镇_问题数据清单.xlsx"
    villages = choices_for("村（社区）", load_codebook(), "蓬莱镇")
    assert len(",".join(villages)) > 255  # Excel would refuse it inline
    if resave:
        path = resave_with_libreoffice(path, tmp_path / "resaved", resave)
    lists = dropdown_lists(path)
    assert villages in lists["问题清单"]
    form = Form(path)
    (r,) = form.rows("问题清单", 姓名="陈一", 字段="村（社区）")
    _, cols = Form.header(form.sheet("问题清单"), "更正值")
    cell = form.sheet("问题清单").cell(r, cols["更正值"]).coordinate
    (dv,) = [v for v in form.sheet("问题清单").data_validations.dataValidation if cell in v.sqref]
    assert "!" in dv.formula1  # the village row's dropdown is the one read from the hidden sheet
