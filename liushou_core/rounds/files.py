"""The files of a comparison: ``changes.parquet`` (the change register), ``change_details.parquet``,
``changes_summary.json`` and ``变动名册.xlsx`` (summaries by reason, township and category, then the lists).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from liushou_core.atomic import write_json, write_parquet
from liushou_core.cleaning.classify import Thresholds
from liushou_core.errors import LiushouError
from liushou_core.ledger import write_ledger
from liushou_core.rounds.changes import (
    Change,
    ChangeDetail,
    Comparison,
)
from liushou_core.rounds.tables import by_category, by_reason, by_township, details_list, people_list
from liushou_core.values import crosswalk

REGISTER_FILE, DETAILS_FILE, SUMMARY_FILE, LEDGER_FILE = (
    "changes.parquet", "change_details.parquet", "changes_summary.json", "变动名册.xlsx",
)  # fmt: skip


def ledger_sheets(c: Comparison) -> dict[str, pd.DataFrame]:
    """The sheets of 变动名册.xlsx."""
    reasons = by_reason(c.register, c.labels).reset_index()
    return {
        "按原因汇总": reasons,
        "按镇（乡）汇总": by_township(c.register, _townships(c.vintage)).reset_index(),
        "按类别汇总": by_category(c.register).reset_index(),
        "新增名单": people_list(c.register, "entered"),
        "退出名单": people_list(c.register, "left"),
        "迁移名单": people_list(c.register, "moved"),
        "情况变化名单": people_list(c.register, "changed"),
        "变动明细": details_list(c.details),
    }


def _townships(vintage: int) -> pd.DataFrame | None:
    try:
        return crosswalk.townships_at(vintage)
    except LiushouError:
        return None


def write_ledger_file(c: Comparison, path: Path, *, place: str = "") -> Path:
    """Write 变动名册.xlsx: summaries by reason, township and category, then the lists."""
    sheets = ledger_sheets(c)
    counts = {"按原因汇总", "按镇（乡）汇总", "按类别汇总"}
    titles = {
        name: f"{place}农村“三留守”人员动态变化：{name}（{c.old_date} → {c.new_date}）" for name in sheets
    }
    return write_ledger(
        path, sheets, titles=titles,
        total_row={name: name not in counts for name in sheets},
        row_unit={name: (None if name in counts else ("项" if name == "变动明细" else "人")) for name in sheets},
        footers=[f"区划：两轮均按 {c.vintage} 年版统计用区划代码换算（见 liushou_core/data/CROSSWALK_README.md）。",
                 "“未找到”：本轮核实名册和待核实名单中都没有此人，原因待村（社区）核实，不推定为死亡或迁出。"],
    )  # fmt: skip


def write_comparison(c: Comparison, out: Path, *, place: str = "") -> dict[str, Any]:
    """Write the change register, its details, the summary and the ledger into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(c.register, out / REGISTER_FILE)
    write_parquet(c.details, out / DETAILS_FILE)
    summary = c.summary()
    write_json({**summary, "thresholds": c.thresholds.__dict__}, out / SUMMARY_FILE)
    write_ledger_file(c, out / LEDGER_FILE, place=place)
    return summary


def read_comparison(folder: Path) -> Comparison:
    """A comparison written by :func:`write_comparison`."""
    folder = Path(folder)
    try:
        s = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
        register = Change.validate(pd.read_parquet(folder / REGISTER_FILE))
        details = ChangeDetail.validate(pd.read_parquet(folder / DETAILS_FILE))
    except (OSError, ValueError, KeyError) as exc:
        raise LiushouError(f"{folder} 中没有完整的变动名册（{exc}）：请先运行 liushou compare") from exc
    th = s["thresholds"]
    t = Thresholds(**{**th, "incapable_parent_statuses": tuple(th["incapable_parent_statuses"])})
    return Comparison(
        register, details, date.fromisoformat(s["old_reference_date"]), date.fromisoformat(s["new_reference_date"]),
        int(s["vintage"]), t,
    )  # fmt: skip


__all__ = [
    "DETAILS_FILE",
    "LEDGER_FILE",
    "REGISTER_FILE",
    "SUMMARY_FILE",
    "ledger_sheets",
    "read_comparison",
    "write_comparison",
    "write_ledger_file",
]
