"""``liushou payroll``: the payroll parquet, the Excel 花名册 beside it, the summary printed, clear refusals."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from person_frames import person_frame
from python_calamine import CalamineWorkbook

from liushou_core.cli import main
from liushou_core.rules.allowances import PayrollLine


@pytest.fixture
def register_file(tmp_path: Path) -> Path:
    people = person_frame(
        [
            {"birth_date": "1930-01-01", "place": 0},
            {"birth_date": "1925-06-01", "place": 0, "sex": "女"},
            {"birth_date": "1917-02-01", "place": 1},
            {"birth_date": "1936-08-08", "place": 2},
            {"birth_date": "1927-12-12", "place": 3, "sex": "女"},
            {"birth_date": "1950-03-03", "place": 3},
            {"birth_date": "2009-09-09", "place": 2},
        ]
    )
    path = tmp_path / "people.parquet"
    people.to_parquet(path, index=False)
    return path


def test_the_payroll_command_writes_the_parquet_and_the_ledger(
    register_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "payroll_2018-04.parquet"
    assert main(["payroll", "--people", str(register_file), "--month", "2018-04", "--out", str(out)]) == 0
    lines = PayrollLine.validate(pd.read_parquet(out))
    people = pd.read_parquet(register_file)
    assert len(lines) == 5 and set(lines["id_number"]) <= set(people["id_number"])
    printed = capsys.readouterr().out.splitlines()
    # April 2018: 88 and 81 → 25; 92 and 90 (turned 90 in December) → 120; 101 → 350; 68 and 8 → nothing
    assert printed[:4] == [
        "大英县2018年4月高龄补贴：共 5 人，合计 640 元",
        "  80–89岁：2 人 × 25 元 = 50 元",
        "  90–99岁：2 人 × 120 元 = 240 元",
        "  100岁及以上：1 人 × 350 元 = 350 元",
    ]

    book = CalamineWorkbook.from_path(str(out.with_suffix(".xlsx")))
    assert book.sheet_names == ["汇总", "蓬莱镇", "隆盛镇"]
    summary = book.get_sheet_by_name("汇总").to_python()
    county_total = next(r for r in summary if str(r[0]).startswith("合计"))
    assert county_total[-1] == lines["amount"].sum() and county_total[-2] == len(lines)
    for township in ("蓬莱镇", "隆盛镇"):
        rows = book.get_sheet_by_name(township).to_python()
        total = next(r for r in rows if str(r[0]).startswith("合计"))
        amount_col = rows[1].index("金额（元）")
        assert total[amount_col] == lines.loc[lines["township"] == township, "amount"].sum()
        assert (
            sum(1 for r in rows if "小计" in str(r[0]))
            == lines.loc[lines["township"] == township, "village"].nunique()
        )


def test_the_payroll_command_explains_a_missing_register(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        [
            "payroll",
            "--people",
            str(tmp_path / "nope.parquet"),
            "--month",
            "2018-04",
            "--out",
            str(tmp_path / "x.parquet"),
        ]
    )
    assert rc == 2
    assert "nope.parquet" in capsys.readouterr().err


def test_the_payroll_command_refuses_a_register_without_birth_dates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.parquet"
    person_frame([{"birth_date": "1930-01-01"}]).drop(columns="birth_date").to_parquet(path)
    rc = main(["payroll", "--people", str(path), "--month", "2018-04", "--out", str(tmp_path / "x.parquet")])
    assert rc == 2
    assert "birth_date" in capsys.readouterr().err
