"""The workbook tables: counts add up, issues land in their township, the ledger has the same numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from run_fixture import build_run, write_clean

from liushou_core import workbook
from liushou_core.errors import ConfigError


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    return build_run()


@pytest.fixture(scope="module")
def run_dir(run: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    write_clean(run, folder / "clean")
    return folder


def test_the_county_headline_is_the_sum_of_the_townships_in_code_order(
    run_dir: Path, run: dict[str, Any]
) -> None:
    table = workbook.headline_by_township(workbook.load_run(run_dir).people, "大英县")
    people = run["people"]
    assert list(table.index) == ["蓬莱镇", "隆盛镇", "回马镇", "大英县"]
    assert table.loc["大英县", "合计"] == len(people)
    for category, count in people["category"].value_counts().items():
        assert table.loc["大英县", category] == count
    assert (table.loc["大英县"] == table.iloc[:-1].sum()).all()
    assert (table["合计"] == table[["留守儿童", "留守妇女", "留守老人"]].sum(axis=1)).all()


def test_a_clean_folder_can_be_given_instead_of_a_run_folder(run_dir: Path) -> None:
    assert len(workbook.load_run(run_dir / "clean").people) == len(workbook.load_run(run_dir).people)


def test_counts_by_village_add_up_to_the_townships_register(run_dir: Path) -> None:
    data = workbook.load_run(run_dir, "蓬莱镇")
    table = workbook.counts_by_village(data.people)
    assert list(table.index) == ["梨子坝村委会", "凉湾村委会", "合计"]  # official code order, then 合计
    assert table.loc["合计", "合计"] == len(data.people)
    assert (table.loc["合计"] == table.drop(index="合计").sum()).all()


def test_every_input_row_of_a_township_is_accounted_for(run_dir: Path, run: dict[str, Any]) -> None:
    data = workbook.load_run(run_dir, "隆盛镇")
    table = workbook.accounting(data)["行数"]
    assert table["读入行数"] == table.drop("读入行数").sum()
    assert table["读入行数"] == int((run["rows"]["township"] == "隆盛镇").sum())
    assert table["核实名册"] == len(data.people)


def test_the_county_accounting_matches_summary_json(run_dir: Path, run: dict[str, Any]) -> None:
    table = workbook.accounting(workbook.load_run(run_dir))["行数"]
    assert table["读入行数"] == run["summary"]["rows_in"]
    assert table["待核实"] == run["summary"]["pending"]


def test_issues_belong_to_the_township_of_their_row_or_file(run_dir: Path) -> None:
    data = workbook.load_run(run_dir)
    whole_file = data.issues[data.issues["row_key"].isna()]
    assert (whole_file["township"] == whole_file["source_file"].str.removesuffix(".xlsx")).all()
    town = workbook.load_run(run_dir, "回马镇")
    assert set(town.issues["source_file"]) == {"回马镇.xlsx"}
    assert workbook.issues_by_rule(town.issues)["条数"].sum() == len(town.issues)


def test_errors_are_listed_first_with_chinese_titles(run_dir: Path) -> None:
    table = workbook.issues_by_rule(workbook.load_run(run_dir, "蓬莱镇").issues)
    assert table.iloc[0]["严重程度"] == "错误（待核实）"
    assert table.iloc[0]["问题"] == "身份证号校验码错误"


def test_the_pending_list_says_where_and_why(run_dir: Path) -> None:
    pending = workbook.pending_list(workbook.load_run(run_dir, "蓬莱镇"))
    assert len(pending) == 1
    row = pending.iloc[0]
    assert row["来源文件"] == "蓬莱镇.xlsx"
    assert "校验位不对" in row["原因"] and "电话" not in row["原因"]  # errors only: warnings do not block
    assert row["姓名"] == "待核实甲"


def test_issues_by_village_count_errors_and_warnings(run_dir: Path) -> None:
    data = workbook.load_run(run_dir, "蓬莱镇")
    table = workbook.issues_by_village(data.issues, data.rows)
    serious = data.issues["severity"].isin(["error", "warning"]).sum()
    assert table.loc["合计", "合计"] == serious


@pytest.mark.parametrize(("age", "band"), [(0, "0–5周岁"), (5, "0–5周岁"), (6, "6–13周岁"), (13, "6–13周岁"),
                                            (14, "14–16周岁"), (15, "14–16周岁")])  # fmt: skip
def test_children_fall_in_the_summary_tables_age_bands(age: int, band: str) -> None:
    assert workbook.child_age_bands(pd.Series([age])).iloc[0] == band


def test_not_collected_is_its_own_column_and_the_row_adds_up(run_dir: Path) -> None:
    people = workbook.load_run(run_dir, "隆盛镇").people
    table = workbook.children_by(people, "schooling")
    assert "未采集" in table.columns
    assert (table["儿童合计"] == table.drop(columns="儿童合计").sum(axis=1)).all()


def test_the_crossfoot_checks_pass_on_a_consistent_register(run_dir: Path) -> None:
    checks = workbook.crossfoot_checks(workbook.load_run(run_dir, "蓬莱镇").people)
    assert (checks["是否一致"] == "一致").all()
    summary = workbook.crossfoot_summary(checks)
    assert (summary["不一致的村（社区）数"] == 0).all()


def test_a_value_outside_the_vocabulary_fails_its_crossfoot_check_in_its_village(run_dir: Path) -> None:
    people = workbook.load_run(run_dir, "蓬莱镇").people.copy()
    child = people.index[(people["category"] == "留守儿童") & (people["village"] == "凉湾村委会")][0]
    people.loc[child, "schooling"] = "大学"
    checks = workbook.crossfoot_checks(people)
    bad = checks[checks["是否一致"] == "不一致"]
    assert set(bad["村（社区）"]) == {"凉湾村委会", workbook.ALL_VILLAGES}
    assert bad["核对项"].str.startswith("儿童就学情况").all()


def test_an_unknown_township_is_refused_with_the_known_ones(run_dir: Path) -> None:
    with pytest.raises(ConfigError, match="没有镇（乡）“天河镇”.*蓬莱镇"):
        workbook.load_run(run_dir, "天河镇")


def test_a_bad_register_stops_only_its_own_township(run: dict[str, Any], tmp_path: Path) -> None:
    broken = dict(run)
    people = run["people"].copy()
    people.loc[people["township"] == "回马镇", "sex"] = "未知"
    broken["people"] = people
    write_clean(broken, tmp_path / "clean")
    with pytest.raises(ConfigError, match="回马镇"):
        workbook.load_run(tmp_path, "回马镇")
    assert len(workbook.load_run(tmp_path, "蓬莱镇").people) > 0


def test_the_register_table_has_chinese_headers_and_every_person(run_dir: Path) -> None:
    people = workbook.load_run(run_dir, "隆盛镇").people
    table = workbook.register_table(people)
    assert len(table) == len(people)
    assert {"姓名", "公民身份号码", "村（社区）"} <= set(table.columns)


def test_the_ledger_totals_equal_the_register(run_dir: Path, tmp_path: Path) -> None:
    data = workbook.load_run(run_dir, "蓬莱镇")
    path = workbook.write_workbook_ledger(
        workbook.investigation_sheets(data), tmp_path / "inv.xlsx", title="蓬莱镇"
    )
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


def test_links_to_township_workbooks_are_relative_and_say_when_missing(tmp_path: Path) -> None:
    folder = tmp_path / "townships" / "蓬莱镇"
    folder.mkdir(parents=True)
    (folder / "investigation.html").write_text("<html></html>", encoding="utf-8")
    text = workbook.township_links(tmp_path, ["蓬莱镇", "隆盛镇"]).data
    assert "(../townships/蓬莱镇/investigation.html)" in text
    assert "隆盛镇 | （未生成） | （未生成）" in text


def test_a_township_with_only_pending_rows_still_gets_its_tables(run: dict[str, Any], tmp_path: Path) -> None:
    gone = run["people"]["township"] == "回马镇"
    rows = run["rows"].copy()
    rows.loc[rows["row_key"].isin(set(run["people"].loc[gone, "row_key"])), "fate"] = "pending"
    write_clean({**run, "people": run["people"][~gone], "rows": rows}, tmp_path / "clean")
    data = workbook.load_run(tmp_path, "回马镇")
    assert len(data.people) == 0
    sheets = workbook.investigation_sheets(data)
    assert sheets["数据核算"].set_index("项目").loc["核实名册", "行数"] == 0
    assert len(sheets["核实名册"]) == 0
    workbook.write_workbook_ledger(sheets, tmp_path / "inv.xlsx", title="回马镇")
    assert (workbook.crossfoot_checks(data.people)["是否一致"] == "一致").all()
