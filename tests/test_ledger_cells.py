"""Every kind of ledger cell, read back by openpyxl against values stated here: what the column-wise writer
must produce (money, dates, IDs, formula-like text, booleans, a column of mixed values, 小计 per village
including a village whose rows are not together, a form with dropdowns, wrapped rows and a hidden key)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from liushou_core.ledger import FormLayout, write_ledger

LONG = "很长的说明文字" * 3  # 21 wide characters: 42 units, 5 lines in a column 10 wide (9 usable)


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    roster = pd.DataFrame(
        {
            "village": ["甲村", "乙村", "甲村", None],
            "name": ["=1+1", "张三", "-5", "李四"],
            "id_number": ["510923193801010012", None, "51092319380101001X", "1"],
            "birth_date": pd.to_datetime(["1938-01-01", None, "1930-05-05", "2000-02-29"]),
            "amount": [25, np.nan, 120, 0],
            "score": [1.5, np.nan, 2.0, -1.0],
            "flag": [True, False, True, False],
            "mixed": [7, dt.date(2020, 1, 2), "@x", None],
        }
    )
    form = pd.DataFrame(
        {"村": ["甲村", "甲村", "乙村"], "说明": ["短", LONG, None], "更正值": ["", "=bad", None],
         "行标识": ["k1", "k2", "k3"]}
    )  # fmt: skip
    layout = FormLayout(
        answers=["更正值"],
        row_choices={"更正值": [["男", "女"], ["男", "女"], []]},
        wrap=["说明"],
        widths={"说明": 10},
        hidden=["行标识"],
        page_break_by="村",
    )
    return write_ledger(
        tmp_path_factory.mktemp("cells") / "台账.xlsx",
        {"名册": roster, "清单": form},
        titles={"名册": "测试台账"},
        subtotal_by={"名册": "village"},
        money_columns=["amount"],
        total_row={"名册": True, "清单": False},
        forms={"清单": layout},
    )


def cells(path: Path, sheet: str, *, data_only: bool = False) -> list[list[object]]:
    ws = openpyxl.load_workbook(path, data_only=data_only)[sheet]
    return [[c.value for c in row] for row in ws.iter_rows(min_row=3, max_row=10)]


def test_every_value_lands_in_its_row_groups_together_with_their_subtotals(path: Path) -> None:
    d = dt.datetime
    assert cells(path, "名册") == [
        ["甲村", "=1+1", "510923193801010012", d(1938, 1, 1), 25, 1.5, "是", "7"],
        ["甲村", "-5", "51092319380101001X", d(1930, 5, 5), 120, 2, "是", "@x"],
        ["甲村 小计（2人）", None, None, None, "=SUBTOTAL(9,E3:E4)", None, None, None],
        ["乙村", "张三", None, None, None, None, "否", "2020-01-02"],
        ["乙村 小计（1人）", None, None, None, "=SUBTOTAL(9,E6:E6)", None, None, None],
        [None, "李四", "1", d(2000, 2, 29), 0, -1, "否", None],
        ["（未填） 小计（1人）", None, None, None, "=SUBTOTAL(9,E8:E8)", None, None, None],
        ["合计（4人）", None, None, None, "=SUBTOTAL(9,E3:E9)", None, None, None],
    ]
    cached = [row[4] for row in cells(path, "名册", data_only=True)]
    assert cached == [25, 120, 145, None, 0, 0, 0, 145]


def test_each_cell_has_the_number_format_and_quote_prefix_of_its_kind(path: Path) -> None:
    ws = openpyxl.load_workbook(path)["名册"]
    formats = [[c.number_format for c in row] for row in ws.iter_rows(min_row=3, max_row=4)]
    assert formats == [["@", "@", "@", "yyyy-mm-dd", "#,##0", "General", "@", "@"]] * 2
    quoted = [ws[a].quotePrefix for a in ("B3", "B4", "H4", "B6", "H3", "C3")]
    assert quoted == [True, True, True, False, False, False]
    assert ws["E6"].number_format == "General" and ws["C6"].number_format == "@"  # blanks keep a format
    assert ws["E5"].number_format == "#,##0" and ws["E5"].font.b
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:H9"
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:H1"}


def test_the_form_keeps_answers_unlocked_dropdowns_wrapped_heights_and_the_hidden_key(path: Path) -> None:
    ws = openpyxl.load_workbook(path)["清单"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=4)] == [
        ["村", "说明", "更正值", "行标识"],
        ["甲村", "短", None, "k1"],
        ["甲村", LONG, "=bad", "k2"],
        ["乙村", None, None, "k3"],
    ]
    assert ws["C3"].quotePrefix and not ws["C2"].quotePrefix
    assert [ws[f"C{r}"].protection.locked for r in (2, 3, 4)] == [False] * 3
    assert ws.protection.sheet and ws["A2"].protection.locked and ws["C2"].number_format == "@"
    (dv,) = ws.data_validations.dataValidation
    assert str(dv.sqref) == "C2:C3" and dv.formula1 == '"男,女"'
    assert ws["B3"].alignment.wrap_text
    assert ws.row_dimensions[3].height == 67.5 and ws.row_dimensions[2].height is None
    assert ws.column_dimensions["D"].hidden
    assert [b.id for b in ws.row_breaks.brk] == [3]
