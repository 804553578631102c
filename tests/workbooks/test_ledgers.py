"""The Excel ledgers have the same numbers as the tables and the rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from run_fixture import write_clean
from workbook_runs import MONTH, sections_for, sheet_rows

from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.investigation import (
    crossfoot_checks,
)
from liushou_core.workbooks.ledgers import (
    assistance_footers,
    assistance_sheets,
    county_sheets,
    investigation_sheets,
    write_workbook_ledger,
)
from liushou_core.workbooks.rundata import load_run


def test_the_ledger_totals_equal_the_register(run_dir: Path, tmp_path: Path) -> None:
    data = load_run(run_dir, "蓬莱镇")
    path = write_workbook_ledger(investigation_sheets(data), tmp_path / "inv.xlsx", title="蓬莱镇")
    book = openpyxl.load_workbook(path)
    sheet = book["分村分类人数"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[1]
    total = next(r for r in values if isinstance(r[0], str) and r[0].startswith("合计"))
    # The writer's 合计 row is a SUBTOTAL formula; compare the rows it sums.
    body = [r for r in values[2:] if r is not total and r[0] is not None]
    expected = data.people["category"].value_counts().to_dict() | {"合计": len(data.people)}
    for column, count in expected.items():
        col = header.index(column)
        assert sum(r[col] for r in body) == count
        assert f"SUBTOTAL(9,{openpyxl.utils.get_column_letter(col + 1)}" in str(total[col])
    register = book["核实名册"]
    ids = [c.value for c in next(register.iter_cols(min_col=5, max_col=5))][2:]
    assert set(data.people["id_number"]) <= {v for v in ids if isinstance(v, str)}


def test_a_township_with_only_pending_rows_still_gets_its_tables(run: dict[str, Any], tmp_path: Path) -> None:
    gone = run["people"]["township"] == "回马镇"
    rows = run["rows"].copy()
    rows.loc[rows["row_key"].isin(set(run["people"].loc[gone, "row_key"])), "fate"] = "pending"
    write_clean({**run, "people": run["people"][~gone], "rows": rows}, tmp_path / "clean")
    data = load_run(tmp_path, "回马镇")
    assert len(data.people) == 0
    sheets = investigation_sheets(data)
    assert sheets["数据核算"].set_index("项目").loc["核实名册", "行数"] == 0
    assert len(sheets["核实名册"]) == 0
    write_workbook_ledger(sheets, tmp_path / "inv.xlsx", title="回马镇")
    assert (crossfoot_checks(data.people)["是否一致"] == "一致").all()


def test_the_ledgers_payroll_roster_pays_to_the_yuan_what_the_payroll_rule_pays(
    sections: dict[str, AssistanceSections], ledger: Path
) -> None:
    from liushou_core.rules.allowances import payroll

    expected = payroll(sections["蓬莱镇"].people, MONTH)
    assert set(expected["tier"]) == {"80–89岁", "90–99岁"}  # the fixture has both tiers
    header, body, total = sheet_rows(ledger, "高龄补贴花名册")
    amount = header.index("金额（元）")
    assert sum(r[amount] for r in body) == total[amount] == expected["amount"].sum()
    assert {r[header.index("公民身份号码")] for r in body} == set(expected["id_number"])
    header, body, total = sheet_rows(ledger, "高龄补贴汇总")
    assert total[header.index("合计金额（元）")] == expected["amount"].sum()
    assert total[header.index("合计人数")] == len(expected)
    by_village = dict(
        zip([r[0] for r in body], [r[header.index("合计金额（元）")] for r in body], strict=True)
    )
    assert by_village == expected.groupby("village")["amount"].sum().to_dict()


def test_the_payroll_roster_has_a_subtotal_per_village(
    sections: dict[str, AssistanceSections], ledger: Path
) -> None:
    first = [c.value for c in next(openpyxl.load_workbook(ledger)["高龄补贴花名册"].iter_cols(max_col=1))]
    subtotals = {v.split(" 小计")[0] for v in first if isinstance(v, str) and "小计" in v}
    assert subtotals == set(sections["蓬莱镇"].payroll["village"])


def test_every_assistance_sheet_writes_id_numbers_as_text(ledger: Path) -> None:
    book = openpyxl.load_workbook(ledger)
    checked = 0
    for sheet in book.worksheets:
        header = [c.value for c in sheet[2]]
        if "公民身份号码" not in header:
            continue
        col = header.index("公民身份号码") + 1
        ids = [sheet.cell(row=r, column=col).value for r in range(3, sheet.max_row + 1)]
        assert all(isinstance(v, str) for v in ids if v is not None), sheet.title
        checked += 1
    assert checked >= 8


def test_the_county_ledger_has_the_payroll_and_assistance_by_township(
    assistance_run: Path, sections: dict[str, AssistanceSections], tmp_path: Path
) -> None:
    s = sections["大英县"]
    sheets = county_sheets(load_run(assistance_run), "大英县", s)
    path = write_workbook_ledger(sheets, tmp_path / "c.xlsx", title="县")
    header, body, total = sheet_rows(path, "高龄补贴分镇汇总")
    assert [r[0] for r in body] == ["蓬莱镇", "隆盛镇", "回马镇"]
    assert total[header.index("合计金额（元）")] == s.payroll["amount"].sum()
    header, body, total = sheet_rows(path, "帮扶救助分镇汇总")
    assert total[header.index("转介线索（人次）")] == len(s.referrals)


def test_a_township_with_only_pending_rows_gets_an_empty_assistance_ledger(
    run: dict[str, Any], tmp_path: Path
) -> None:
    gone = run["people"]["township"] == "回马镇"
    rows = run["rows"].copy()
    rows.loc[rows["row_key"].isin(set(run["people"].loc[gone, "row_key"])), "fate"] = "pending"
    write_clean({**run, "people": run["people"][~gone], "rows": rows}, tmp_path / "clean")
    s = sections_for(tmp_path, "回马镇")
    sheets = assistance_sheets(s)
    lists = {
        name: df for name, df in sheets.items() if name not in ("概况", "走访汇总")
    }  # 走访汇总: one row per level
    assert all(len(df) == 0 for df in lists.values())
    assert (sheets["走访汇总"].drop(columns=["风险等级", "走访周期（天）"]) == 0).all().all()
    assert (sheets["概况"]["人数"] == 0).all()
    write_workbook_ledger(sheets, tmp_path / "a.xlsx", title="回马镇", footers=assistance_footers(s))
