"""The headline: the county is the sum of its townships."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from liushou_core.workbooks.headline import headline_by_township
from liushou_core.workbooks.rundata import load_run


def test_the_county_headline_is_the_sum_of_the_townships_in_code_order(
    run_dir: Path, run: dict[str, Any]
) -> None:
    table = headline_by_township(load_run(run_dir).people, "大英县")
    people = run["people"]
    assert list(table.index) == ["蓬莱镇", "隆盛镇", "回马镇", "大英县"]
    assert table.loc["大英县", "合计"] == len(people)
    for category, count in people["category"].value_counts().items():
        assert table.loc["大英县", category] == count
    assert (table.loc["大英县"] == table.iloc[:-1].sum()).all()
    assert (table["合计"] == table[["留守儿童", "留守妇女", "留守老人"]].sum(axis=1)).all()
