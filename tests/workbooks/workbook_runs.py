"""The runs the workbook tests read, and how they read a ledger sheet back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from run_fixture import build_run

from liushou_core.workbooks.assistance import AssistanceSections, assistance_sections
from liushou_core.workbooks.rundata import load_run

MONTH, TERM, AS_OF = "2018-01", "2017秋季", "2017-12-31"


def assistance_facts_run() -> dict[str, Any]:
    """The tiny county with the facts the assistance rules read: household economy, parents, delegates,
    visits, one 90+ elder per township, one child with nobody looking after them (蓬莱镇, 凉湾村), and a
    baby born after the autumn term began."""
    run = build_run()
    people = run["people"].copy()
    kids = people["category"] == "留守儿童"
    order = people.groupby("township").cumcount()
    people.loc[kids, "father_status"] = "外出务工"
    people.loc[kids, "mother_status"] = "在家"
    people.loc[kids, "guardian_name"] = "张奶奶"
    people.loc[kids, "guardian_relation"] = "祖母"
    people.loc[kids, "household_economy"] = "一般"
    people.loc[kids & (order % 9 == 0), "household_economy"] = "低保户"  # the boarding pupil: 符合
    people.loc[kids & (order % 9 == 1), "household_economy"] = "建档立卡贫困户"  # a day pupil: 不符合
    people.loc[kids & (order % 9 == 3), "household_economy"] = pd.NA  # not collected
    people.loc[kids, "last_visit_date"] = pd.Timestamp("2017-06-01")
    people.loc[kids & (order % 9 == 2), "last_visit_date"] = pd.Timestamp("2017-12-20")
    alone = people.index[(people["township"] == "蓬莱镇") & (people["village"] == "凉湾村委会") & kids][0]
    people.loc[alone, ["mother_status", "guardian_name", "guardian_relation"]] = ["外出务工", pd.NA, pd.NA]
    oldest = people.index[people["birth_date"] == pd.Timestamp("1930-08-08")]
    people.loc[oldest[::2], ["birth_date", "age"]] = [pd.Timestamp("1925-03-03"), 92]
    baby = people.index[(people["township"] == "回马镇") & kids][2]
    people.loc[baby, ["birth_date", "age", "household_economy"]] = [pd.Timestamp("2017-10-10"), 0, "低保户"]
    return {**run, "people": people}


def sections_for(run_dir: Path, township: str | None = None) -> AssistanceSections:
    people = load_run(run_dir, township).people
    return assistance_sections(
        people, payroll_month=MONTH, school_term=TERM, as_of=AS_OF, place=township or "大英县"
    )


def sheet_rows(path: Path, sheet: str) -> tuple[list[Any], list[list[Any]], list[Any]]:
    """A ledger sheet read back with the cached values of its formulas: header, body rows, 合计 row."""
    values = [
        [c.value for c in row] for row in openpyxl.load_workbook(path, data_only=True)[sheet].iter_rows()
    ]
    header = values[1]
    total = next(r for r in values[2:] if isinstance(r[0], str) and r[0].startswith("合计"))
    body = [r for r in values[2 : values.index(total)] if r[0] is not None and "小计" not in str(r[0])]
    return header, body, total
