"""The data-quality tables: every input row accounted for, issues by rule and village, the pending rows."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from liushou_core.workbooks.quality import accounting, issues_by_rule, issues_by_village, pending_list
from liushou_core.workbooks.rundata import load_run


def test_every_input_row_of_a_township_is_accounted_for(run_dir: Path, run: dict[str, Any]) -> None:
    data = load_run(run_dir, "隆盛镇")
    table = accounting(data)["行数"]
    assert table["读入行数"] == table.drop("读入行数").sum()
    assert table["读入行数"] == int((run["rows"]["township"] == "隆盛镇").sum())
    assert table["核实名册"] == len(data.people)


def test_the_county_accounting_matches_summary_json(run_dir: Path, run: dict[str, Any]) -> None:
    table = accounting(load_run(run_dir))["行数"]
    assert table["读入行数"] == run["summary"]["rows_in"]
    assert table["待核实"] == run["summary"]["pending"]


def test_errors_are_listed_first_with_chinese_titles(run_dir: Path) -> None:
    table = issues_by_rule(load_run(run_dir, "蓬莱镇").issues)
    assert table.iloc[0]["严重程度"] == "错误（待核实）"
    assert table.iloc[0]["问题"] == "身份证号校验码错误"


def test_the_pending_list_says_where_and_why(run_dir: Path) -> None:
    pending = pending_list(load_run(run_dir, "蓬莱镇"))
    assert len(pending) == 1
    row = pending.iloc[0]
    assert row["来源文件"] == "蓬莱镇.xlsx"
    assert "校验位不对" in row["原因"] and "电话" not in row["原因"]  # errors only: warnings do not block
    assert row["姓名"] == "待核实甲"


def test_issues_by_village_count_errors_and_warnings(run_dir: Path) -> None:
    data = load_run(run_dir, "蓬莱镇")
    table = issues_by_village(data.issues, data.rows)
    serious = data.issues["severity"].isin(["error", "warning"]).sum()
    assert table.loc["合计", "合计"] == serious


def test_the_skipped_rows_are_labelled_with_the_townships_withdrawals(run_dir: Path) -> None:
    """A person a township withdrew (处理决定 = 删除) is a skipped row: the accounting must not call all of
    them 非数据行 (blank or 合计 rows), or a department reads the withdrawals as noise."""
    data = load_run(run_dir)
    assert data.rows is not None
    rows = data.rows.copy()
    rows.loc[rows.index[:2], "fate"] = "skipped"  # e.g. one footer row and one withdrawn person
    table = accounting(replace(data, rows=rows))["行数"]
    skipped = [label for label in table.index if "跳过" in label or "非数据行" in label]
    assert len(skipped) == 1 and "乡镇核实删除" in skipped[0]
    assert table[skipped[0]] == int((rows["fate"] == "skipped").sum())
