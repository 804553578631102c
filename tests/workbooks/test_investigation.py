"""The investigation workbook's tables: counts add up, 未采集 is its own bucket, the cross-foot checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from liushou_core.workbooks.investigation import (
    child_age_bands,
    children_by,
    counts_by_village,
    crossfoot_checks,
    crossfoot_summary,
    register_table,
)
from liushou_core.workbooks.rundata import load_run
from liushou_core.workbooks.tabulate import ALL_VILLAGES


def test_counts_by_village_add_up_to_the_townships_register(run_dir: Path) -> None:
    data = load_run(run_dir, "蓬莱镇")
    table = counts_by_village(data.people)
    assert list(table.index) == ["梨子坝村委会", "凉湾村委会", "合计"]  # official code order, then 合计
    assert table.loc["合计", "合计"] == len(data.people)
    assert (table.loc["合计"] == table.drop(index="合计").sum()).all()


@pytest.mark.parametrize(("age", "band"), [(0, "0–5周岁"), (5, "0–5周岁"), (6, "6–13周岁"), (13, "6–13周岁"),
                                            (14, "14–16周岁"), (15, "14–16周岁")])  # fmt: skip
def test_children_fall_in_the_summary_tables_age_bands(age: int, band: str) -> None:
    assert child_age_bands(pd.Series([age])).iloc[0] == band


def test_not_collected_is_its_own_column_and_the_row_adds_up(run_dir: Path) -> None:
    people = load_run(run_dir, "隆盛镇").people
    table = children_by(people, "schooling")
    assert "未采集" in table.columns
    assert (table["儿童合计"] == table.drop(columns="儿童合计").sum(axis=1)).all()


def test_the_crossfoot_checks_pass_on_a_consistent_register(run_dir: Path) -> None:
    checks = crossfoot_checks(load_run(run_dir, "蓬莱镇").people)
    assert (checks["是否一致"] == "一致").all()
    summary = crossfoot_summary(checks)
    assert (summary["不一致的村（社区）数"] == 0).all()


def test_a_value_outside_the_vocabulary_fails_its_crossfoot_check_in_its_village(run_dir: Path) -> None:
    people = load_run(run_dir, "蓬莱镇").people.copy()
    child = people.index[(people["category"] == "留守儿童") & (people["village"] == "凉湾村委会")][0]
    people.loc[child, "schooling"] = "大学"
    checks = crossfoot_checks(people)
    bad = checks[checks["是否一致"] == "不一致"]
    assert set(bad["村（社区）"]) == {"凉湾村委会", ALL_VILLAGES}
    assert bad["核对项"].str.startswith("儿童就学情况").all()


def test_the_register_table_has_chinese_headers_and_every_person(run_dir: Path) -> None:
    people = load_run(run_dir, "隆盛镇").people
    table = register_table(people)
    assert len(table) == len(people)
    assert {"姓名", "公民身份号码", "村（社区）"} <= set(table.columns)
