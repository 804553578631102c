"""The old-age allowance (高龄补贴) payroll: who is paid how much in a month, and the 发放花名册.

The rule (``params/allowances/``):

- **Who.** Everyone in the verified 三留守 register aged 80 or over, whatever their category (in practice only
  elders are that old). The allowance is universal by age, but this payroll lists only the register's people:
  80+ residents who are not 三留守 are not on it, and the 花名册's title says so (``ROSTER_SCOPE``). Age is in completed years (周岁) computed from the
  birth date of the ID, not the register's age at the survey reference date.
- **How much.** A single-amount scale by completed age, in force on the first day of the month paid: from
  2017 (seed document; the exact start month is an assumption, 2017-01-01) 80–89 → 25, 90–99 → 120,
  100 and over → 350 yuan per person per month.
- **From when** (``allowances.old_age_start_rule``):
  - ``next_month`` (default, 次月): a person is paid tier T in month M when they reached T's threshold in a
    month before M, i.e. on or before the last day of month M−1. Someone who turns 80 on any day of March
    2018 is first paid in April 2018; someone who turns 90 in March is paid the 80–89 amount in March and
    the 90–99 amount from April, with no top-up for March (不补差). So the age used for month M is the
    completed age on the last day of M−1.
  - ``same_month`` (当月): the age on the last day of month M is used; the month of the birthday is paid.
  - When an age is reached is a convention the bureau confirms (``rules.ages``: ``definitions.age_reached_rule``,
    ``definitions.leap_day_birthday_rule``). By default a 29 February birthday is reached on 1 March in a
    common year, so someone born 29 February 1928 turns 90 on 1 March 2018 and is paid 25 in March and 120
    from April 2018 (``next_month``); under the 28 February reading they get 120 in March already.
- **Arrears** (:func:`payroll_year`): when someone's payment actually started later than their entitlement
  (a missed start month), every missed month is paid in the start month at the amount due for that month
  (its own tier: no top-up), including months of earlier years since the scale came into force.

- **Deaths.** The register has no date of death, so nobody is stopped automatically; where the notes (备注)
  say a person died (死亡, 去世, 已故, 病故, 过世), the line carries a ``warning`` to check before paying.

Not modelled (no field in the register; to confirm with the bureau, see policy.md §6): the stop rule after
death and recovery of overpayments, residence conditions, quarterly payment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from liushou_core.atomic import write_parquet
from liushou_core.errors import ConfigError, InputFileError, ParameterError
from liushou_core.ledger import write_ledger
from liushou_core.parameters import ParameterSet, ScaleAt, load_parameters
from liushou_core.register import PersonLine
from liushou_core.rules.ages import rule_age
from liushou_core.values.divisions import COUNTY_NAME
from liushou_core.values.periods import (
    month_end,
    month_label,
    month_start,
    months_of_year,
    parse_month,
    shift_month,
)

OLD_AGE_SCALE = "allowances.old_age_monthly"
START_RULE = "allowances.old_age_start_rule"

#: Register columns the payroll needs (``group`` is optional).
INPUT_COLUMNS = (
    "id_number",
    "name",
    "sex",
    "birth_date",
    "township_code",
    "township",
    "village_code",
    "village",
)
_IDENTITY = (
    *INPUT_COLUMNS[:3],
    "township_code",
    "township",
    "village_code",
    "village",
    "group",
    "birth_date",
)
_MONTH_RE = r"^\d{4}-(0[1-9]|1[0-2])$"
#: Who the 花名册 lists, said in its title: the register is the 三留守 survey's, not every 80+ resident.
ROSTER_SCOPE = "三留守摸排名册中80周岁以上人员"
#: Words in 备注 that say a person died (a vocabulary of the returns, not policy).
DEATH_WORDS = ("死亡", "去世", "已故", "病故", "过世", "逝世")


class PayrollLine(PersonLine):
    """One person paid the old-age allowance in one month (PRODUCT.md §4.3)."""

    group: Series[str] = pa.Field(nullable=True)
    birth_date: Series[pd.Timestamp]
    age: Series[int] = pa.Field(ge=0, le=130)
    tier: Series[str]
    month: Series[str] = pa.Field(str_matches=_MONTH_RE)
    amount: Series[int] = pa.Field(gt=0)
    reference: Series[str]
    warning: Series[str] = pa.Field(nullable=True)

    class Config:
        unique = ["id_number"]
        strict = True
        ordered = True
        coerce = True


def age_cutoff(month: str, rule: str) -> dt.date:
    """The date whose completed age decides the tier paid in ``month``: the last day of the month before
    (``next_month``) or of the month itself (``same_month``)."""
    if rule == "next_month":
        return month_end(shift_month(month, -1))
    if rule == "same_month":
        return month_end(month)
    raise ParameterError(f"参数 {START_RULE} 的取值“{rule}”无效（应为 next_month 或 same_month）")


def _check_input(people: pd.DataFrame, source: str = "核实名册") -> None:
    missing = [c for c in INPUT_COLUMNS if c not in people.columns]
    if missing:
        raise InputFileError(
            f"缺少列 {', '.join(missing)}（应为 liushou clean 写出的 people.parquet）", file=source
        )


def _due(people: pd.DataFrame, month: str, params: ParameterSet) -> tuple[pd.Series, pd.Series, ScaleAt]:
    """Age at the month's cut-off and the amount due that month, aligned with ``people``."""
    first = month_start(month)
    scale = params.scale(OLD_AGE_SCALE, first)
    rule = str(params.value(START_RULE, first))
    age = rule_age(people["birth_date"], age_cutoff(month, rule), params)
    amount = pd.Series(scale.calc(age.fillna(-1).to_numpy(dtype=np.int64)), index=people.index, dtype="int64")
    return age, amount, scale


def death_warning(people: pd.DataFrame) -> pd.Series:
    """A warning for each person whose notes (备注) say they died; ``<NA>`` otherwise or without notes."""
    if "notes" not in people.columns:
        return pd.Series(pd.NA, index=people.index, dtype="string")
    notes = people["notes"].astype("string")
    died = notes.str.contains("|".join(DEATH_WORDS), regex=True).fillna(False).astype(bool)
    text = "备注为“" + notes.fillna("") + "”，可能已死亡：请核实死亡日期，死亡后的月份不应发放"
    return text.where(died, pd.NA).astype("string")


def payroll(people: pd.DataFrame, month: str, params: ParameterSet | None = None) -> DataFrame[PayrollLine]:
    """The 高龄补贴 payroll of ``month`` (``"YYYY-MM"``): one row per person paid, in township/village order.

    ``people`` is the verified register (``people.parquet``); see the module docstring for the rule.
    """
    parse_month(month)
    params = params or load_parameters()
    _check_input(people)
    age, amount, scale = _due(people, month, params)
    paid = amount > 0
    idx = scale.bracket_index(age[paid].to_numpy(dtype=np.int64))
    out = people.loc[paid, [c for c in _IDENTITY if c in people.columns]].copy()
    if "group" not in out.columns:
        out["group"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["age"] = age[paid].astype("int64")
    out["tier"] = np.asarray(scale.labels, dtype=object)[idx]
    out["month"] = month
    out["amount"] = amount[paid]
    citations = np.asarray([r.citation() for r in scale.references], dtype=object)
    out["reference"] = citations[idx]
    out["warning"] = death_warning(people.loc[paid])
    out = out[list(PayrollLine.to_schema().columns)]
    # Groups are typed as 3, 3组 or 03: order them by their number, so 2组 comes before 10组 on the roster.
    group_no = pd.to_numeric(out["group"].astype("string").str.extract(r"(\d+)")[0], errors="coerce")
    out = out.assign(_group_no=group_no).sort_values(
        ["township_code", "village_code", "_group_no", "group", "id_number"], na_position="last"
    )
    return PayrollLine.validate(out.drop(columns="_group_no").reset_index(drop=True), lazy=True)


def tiers(month: str, params: ParameterSet | None = None) -> ScaleAt:
    """The scale in force for ``month`` (its tier labels, thresholds and amounts)."""
    params = params or load_parameters()
    return params.scale(OLD_AGE_SCALE, month_start(month))


# ------------------------------------------------------------------------------------------ year view


class PayrollYearLine(PersonLine):
    """One person's payments over a calendar year: one column per month (``YYYY-MM``), amounts paid that
    month including arrears (补发), and the year's totals."""

    group: Series[str] = pa.Field(nullable=True)
    birth_date: Series[pd.Timestamp]
    start_month: Series[str] = pa.Field(nullable=True, str_matches=_MONTH_RE)
    months: Series[int] = pa.Field(alias=r"^\d{4}-\d{2}$", regex=True, ge=0)
    due_total: Series[int] = pa.Field(ge=0)
    arrears: Series[int] = pa.Field(ge=0)
    arrears_month: Series[str] = pa.Field(nullable=True, str_matches=_MONTH_RE)
    paid_total: Series[int] = pa.Field(ge=0)
    outstanding: Series[int] = pa.Field(ge=0)

    class Config:
        unique = ["id_number"]
        coerce = True

    @pa.dataframe_check
    @classmethod
    def paid_is_due_plus_arrears_minus_missed(cls, df: pd.DataFrame) -> pd.Series:
        """Money is neither created nor lost: paid = due − missed this year + arrears paid this year."""
        return df["paid_total"] <= df["due_total"] + df["arrears"]


def _scale_first_month(params: ParameterSet) -> str:
    scale = params.parameter(OLD_AGE_SCALE)
    first = min(v.start for v in scale.values)
    return f"{first.year:04d}-{first.month:02d}" if first.day == 1 else shift_month(f"{first:%Y-%m}", 1)


def payroll_year(
    people: pd.DataFrame,
    year: int,
    params: ParameterSet | None = None,
    start_months: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The 12-month view of ``year``: for each person due anything in the year, the amount paid each month.

    ``start_months`` maps an ID number to the month payment actually started (``YYYY-MM``). Without an entry
    a person is paid exactly what is due each month. With one, every month due before the start month was
    missed and is paid as arrears (补发) in the start month, at the amount due for each missed month (no
    top-up to a later tier), going back to the month the scale came into force. Missed months of ``year``
    whose start month is after the year stay ``outstanding``. Validated by :class:`PayrollYearLine`.
    """
    params = params or load_parameters()
    _check_input(people)
    starts = {str(k): v for k, v in (start_months or {}).items()}
    for v in starts.values():
        parse_month(v)
    start = pd.Series(people["id_number"].map(starts), index=people.index, dtype="string")
    months = months_of_year(year)
    first_month = _scale_first_month(params)
    # Dues that can be paid in this year or missed in it: from the scale's first month when arrears can
    # reach back, else from January; up to the latest start month given.
    month = min(first_month, months[0]) if starts else months[0]
    last = max([months[-1], *starts.values()])
    horizon: list[str] = []
    while month <= last:  # bounded: the months between the scale's start and the latest start month
        horizon.append(month)
        month = shift_month(month, 1)
    zero = pd.Series(0, index=people.index, dtype="int64")
    due = pd.DataFrame({m: _due(people, m, params)[1] if m >= first_month else zero for m in horizon})
    started_later = pd.DataFrame({m: start.fillna("0000-00") > m for m in horizon}).astype(bool)
    missed = started_later & (due > 0)
    arrears_amount = due.where(missed, 0).sum(axis=1).astype("int64")
    paid = due[months].where(~missed[months], 0).astype("int64")
    in_year = start.isin(months).fillna(False).astype(bool)
    for m in months:  # bounded: twelve columns
        paid_now = in_year & (start == m).fillna(False)
        paid.loc[paid_now, m] += arrears_amount[paid_now]

    year_due, year_missed = due[months], missed[months]
    out = people[[c for c in _IDENTITY if c in people.columns]].copy()
    if "group" not in out.columns:
        out["group"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["start_month"] = start
    for m in months:
        out[m] = paid[m]
    out["due_total"] = year_due.sum(axis=1).astype("int64")
    out["arrears"] = arrears_amount.where(in_year, 0).astype("int64")
    out["arrears_month"] = start.where(in_year & (arrears_amount > 0))
    out["paid_total"] = paid.sum(axis=1).astype("int64")
    after_year = start.fillna("0000-00") > months[-1]
    out["outstanding"] = year_due.where(year_missed, 0).sum(axis=1).where(after_year, 0).astype("int64")
    keep = (out["due_total"] > 0) | (out["paid_total"] > 0)
    out = out[keep].sort_values(["township_code", "village_code", "group", "id_number"], na_position="last")
    return PayrollYearLine.validate(out.reset_index(drop=True), lazy=True)


# ------------------------------------------------------------------------------------- summaries, files


def summary_by_tier(lines: pd.DataFrame) -> pd.DataFrame:
    """People and yuan by tier (in tier order), from payroll lines."""
    g = lines.groupby("tier", sort=False).agg(people=("id_number", "size"), amount=("amount", "sum"))
    order = lines.sort_values("age").drop_duplicates("tier")["tier"].tolist()
    return g.reindex(order).reset_index()


def summary_by_township(lines: pd.DataFrame, tier_labels: tuple[str, ...]) -> pd.DataFrame:
    """The summary sheet: one row per township, people and yuan per tier, and the township totals."""
    cols: dict[str, pd.Series] = {}
    base = lines.groupby(["township_code", "township"], sort=True)
    for t in tier_labels:
        sub = lines[lines["tier"] == t].groupby(["township_code", "township"])
        cols[f"{t}人数"] = sub["id_number"].size()
        cols[f"{t}金额（元）"] = sub["amount"].sum()
    cols["合计人数"] = base["id_number"].size()
    cols["合计金额（元）"] = base["amount"].sum()
    out = pd.DataFrame(cols).fillna(0).astype("int64").reset_index()
    return out.drop(columns="township_code")


def describe(lines: pd.DataFrame, month: str) -> str:
    """The Chinese summary printed by ``liushou payroll``."""
    total_people, total = len(lines), int(lines["amount"].sum()) if len(lines) else 0
    text = [f"{COUNTY_NAME}{month_label(month)}高龄补贴：共 {total_people} 人，合计 {total:,} 元"]
    by_tier = summary_by_tier(lines)
    per = lines.groupby("tier")["amount"].first()
    for tier, n, amount in zip(
        by_tier["tier"], by_tier["people"], by_tier["amount"], strict=True
    ):  # ≤ 3 tiers
        text.append(f"  {tier}：{n} 人 × {per[tier]} 元 = {amount:,} 元")
    return "\n".join(text)


_SHEET_COLUMNS = ["village", "group", "name", "sex", "id_number", "birth_date", "age", "tier", "amount",
                  "warning"]  # fmt: skip


def _rule_text(month: str, params: ParameterSet | None) -> str:
    rule = (params or load_parameters()).value(START_RULE, month_start(month))
    return "年满当月起按新档发放" if rule == "same_month" else "年满次月起按新档发放，不补差"


def write_payroll_workbook(
    path: Path, lines: pd.DataFrame, month: str, params: ParameterSet | None = None
) -> Path:
    """The Excel 高龄补贴发放花名册: a 汇总 sheet by township and tier, then one sheet per township (what a
    township cashier pays from) with a subtotal per village, a township total, the rule and signature lines.

    Pass the lines of one township to get that township's workbook.
    """
    scale = tiers(month, params)
    sheets: dict[str, pd.DataFrame] = {"汇总": summary_by_township(lines, scale.labels)}
    titles = {"汇总": f"{COUNTY_NAME}高龄补贴发放汇总表（{month_label(month)}，{ROSTER_SCOPE}）"}
    rule = "；".join(f"{lab} {amt} 元/人/月" for lab, amt in zip(scale.labels, scale.amounts, strict=True))
    documents = dict.fromkeys(str(r.reference) for r in scale.references if r.reference)
    to_confirm = dict.fromkeys(str(r.note) for r in scale.references if r.assumption)
    footers = [
        f"标准：{rule}（{_rule_text(month, params)}）",
        *(f"依据：{d}" for d in documents),
        *(f"待确认：{n}" for n in to_confirm),
        "制表人：　　　　审核人：　　　　制表日期：",
    ]
    for (_, township), block in lines.groupby(["township_code", "township"], sort=True):
        body = block[_SHEET_COLUMNS].copy()
        body["签领"] = ""
        sheets[str(township)] = body
        titles[str(township)] = (
            f"{COUNTY_NAME}{township}高龄补贴发放花名册（{month_label(month)}，{ROSTER_SCOPE}）"
        )
    money = [c for c in sheets["汇总"].columns if "金额" in c] + ["amount"]
    people_cols = [c for c in sheets["汇总"].columns if c.endswith("人数")]
    return write_ledger(
        path,
        sheets,
        titles=titles,
        subtotal_by={name: ("village" if name != "汇总" else None) for name in sheets},
        money_columns=money,
        sum_columns=[*money, *people_cols],
        footers=footers,
        row_unit={"汇总": None},
    )


def read_people(path: Path) -> pd.DataFrame:
    """Read a register parquet for the payroll, with a clear error if it is not one."""
    try:
        people = pd.read_parquet(path)
    except FileNotFoundError:
        raise InputFileError("文件不存在", file=str(path)) from None
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise InputFileError(
            f"无法读取为 parquet 文件（{type(exc).__name__}: {exc}）", file=str(path)
        ) from exc
    _check_input(people, str(path))
    people = people.copy()
    people["birth_date"] = pd.to_datetime(people["birth_date"], errors="coerce")
    bad = people["birth_date"].isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        row = int(people["source_row"].iloc[pos]) if "source_row" in people.columns else None
        raise InputFileError("出生日期为空或无法识别", file=str(path), row=row, column="birth_date")
    return people


def payroll_command(people: Path, month: str, out: Path) -> int:
    """``liushou payroll``: write the month's payroll parquet, the Excel 花名册 beside it, print a summary."""
    people, out = Path(people), Path(out)
    if out.suffix.lower() in (".xlsx", ".xls"):
        raise ConfigError(f"--out 应为 parquet 文件（Excel 花名册另写在其旁边），而不是 {out}")
    register = read_people(people)
    lines = payroll(register, month)
    write_parquet(lines, out)
    excel = write_payroll_workbook(out.with_suffix(".xlsx"), lines, month)
    print(describe(lines, month))
    print(f"已写出：{out}、{excel}")
    return 0


__all__ = [
    "PayrollLine",
    "PayrollYearLine",
    "ROSTER_SCOPE",
    "age_cutoff",
    "death_warning",
    "describe",
    "payroll",
    "payroll_command",
    "payroll_year",
    "read_people",
    "summary_by_tier",
    "summary_by_township",
    "tiers",
    "write_payroll_workbook",
]
