"""``liushou payroll``: the month's 高龄补贴 payroll as files — the parquet, the Excel 花名册 beside it — and the
summary the command prints. The rule itself is :mod:`liushou_core.rules.allowances` (pure)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from liushou_core.atomic import write_parquet
from liushou_core.errors import ConfigError
from liushou_core.rules.allowances import PAYROLL_READS, payroll
from liushou_core.values.divisions import COUNTY_NAME
from liushou_core.values.periods import month_label
from liushou_core.workbooks.ledgers import write_payroll_ledger
from liushou_core.workbooks.rundata import read_people


def payroll_command(people: Path, month: str, out: Path) -> int:
    """Write the month's payroll parquet and the Excel 花名册 beside it; print a summary."""
    out = Path(out)
    if out.suffix.lower() in (".xlsx", ".xls"):
        raise ConfigError(f"--out 应为 parquet 文件（Excel 花名册另写在其旁边），而不是 {out}")
    lines = payroll(read_people(Path(people), PAYROLL_READS), month)
    write_parquet(lines, out)
    excel = write_payroll_ledger(out.with_suffix(".xlsx"), lines, month)
    print(payroll_summary(lines, month))
    print(f"已写出：{out}、{excel}")
    return 0


def payroll_summary(lines: pd.DataFrame, month: str) -> str:
    """What ``liushou payroll`` prints: the county's people and yuan, then each tier's."""
    total = int(lines["amount"].sum()) if len(lines) else 0
    text = [f"{COUNTY_NAME}{month_label(month)}高龄补贴：共 {len(lines)} 人，合计 {total:,} 元"]
    # tiers in age order, each with its monthly amount (≤ 3 tiers)
    by_tier = lines.sort_values("age", kind="stable").groupby("tier", sort=False)["amount"]
    for tier, amounts in by_tier:
        text.append(f"  {tier}：{len(amounts)} 人 × {amounts.iloc[0]} 元 = {int(amounts.sum()):,} 元")
    return "\n".join(text)


__all__ = ["payroll_command", "payroll_summary"]
