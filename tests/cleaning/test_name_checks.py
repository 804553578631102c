"""Names typed into a return are checked in cleaning: unsafe or impossible names are problems with a Chinese
message; markup, formulas and digits keep the person pending, stray Latin letters and odd lengths warn."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from liushou_core.cleaning.pipeline import clean_to_dir
from liushou_core.values.idcard import make_id

HEADER = "镇（乡）,村（社区）,姓名,性别,公民身份号码,人员类别,出生日期,子女状况,外出时长（月）"
NAMES = [
    ("王德全", None, "verified"),
    ("<b>张伟</b>", "name_markup", "pending"),
    ("<script>alert(1)</script>", "name_markup", "pending"),
    ("=1+1", "name_formula", "pending"),
    ("李娜13812345678", "name_digits", "pending"),
    ("张Wei", "name_latin", "verified"),
    ("张", "name_length", "verified"),
]


@pytest.fixture
def cleaned(tmp_path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = [HEADER]
    for i, (name, _, _) in enumerate(NAMES):
        id_ = make_id("510923", date(1940, 1, 1 + i), 101 + 2 * i)
        lines.append(f'回马镇,金竹村,"{name}",男,{id_},留守老人,,全部外出,12')
    src = tmp_path / "returns"
    src.mkdir()
    (src / "回马镇.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reg = clean_to_dir([src], tmp_path / "out", reference_date=date(2017, 12, 31))
    return reg.read("rows").set_index("source_row"), reg.read("issues")


@pytest.mark.parametrize(("row", "case"), list(enumerate(NAMES, start=2)), ids=[n for n, _, _ in NAMES])
def test_each_name_gets_its_finding_and_fate(
    cleaned: tuple[pd.DataFrame, pd.DataFrame], row: int, case: tuple
) -> None:
    rows, issues = cleaned
    _, rule, fate = case
    assert rows.loc[row, "fate"] == fate
    found = issues[(issues["source_row"] == row) & issues["rule"].str.startswith("name_")]
    assert list(found["rule"]) == ([rule] if rule else [])
    if rule:
        message = found["message"].iloc[0]
        assert "姓名" in message and "请" in message and found["field"].iloc[0] == "name"
