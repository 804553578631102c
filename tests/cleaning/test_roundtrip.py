"""The corrections loop as a township runs it: `liushou clean` writes the 问题数据清单, a cadre opens it, finds
the row and the cell to fill by what the sheet says (headers, names, problems — never a column letter), types
the answer and saves; the county cleans again with `--decisions` and every typed answer is applied or failed
with a reason."""

import json
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from liushou_core.cli import main
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
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
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
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(["大英县回马镇农村“三留守”人员摸排登记表"])
        ws.append(["填报单位：回马镇人民政府"])
        ws.append(HEADER)
        for r in rows:
            ws.append(r)
    wb.save(path)


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
