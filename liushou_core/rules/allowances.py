"""The old-age allowance (高龄补贴) payroll: who is paid how much in a month.

The rule (``params/allowances/``):

- **Who.** Everyone in the verified 三留守 register aged 80 or over, whatever their category (in practice only
  elders are that old). The allowance is universal by age, but this payroll lists only the register's people:
  80+ residents who are not 三留守 are not on it, and the 花名册's title says so (``ROSTER_SCOPE``). Age is in
  completed years (周岁) computed from the
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
- **Deaths.** The register has no date of death, so nobody is stopped automatically; where the notes (备注)
  say a person died (死亡, 去世, 已故, 病故, 过世), the line carries a ``warning`` to check before paying.

The rule is pure: a register in, the validated payroll out. ``liushou payroll`` (:mod:`liushou_core.cli`) reads
the register and prints; the Excel 花名册 is written by :mod:`liushou_core.workbooks.ledgers`.

Not modelled (no field in the register; to confirm with the bureau, see policy.md §6): the stop rule after
death and recovery of overpayments, residence conditions, quarterly payment.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from liushou_core.errors import InputFileError, ParameterError
from liushou_core.parameters import ParameterSet, ScaleAt, load_parameters
from liushou_core.register import PersonLine
from liushou_core.rules.ages import rule_age
from liushou_core.values.periods import (
    month_end,
    month_start,
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
#: Every register column the payroll reads: the ones it needs, ``group`` and ``notes`` (备注) if there.
PAYROLL_READS = (*INPUT_COLUMNS, "group", "notes")
#: Who the 花名册 lists, said in its title: the register is the 三留守 survey's, not every 80+ resident.
ROSTER_SCOPE = "三留守摸排名册中80周岁以上人员"
#: Words in 备注 that say a person died (a vocabulary of the returns, not policy).
DEATH_WORDS = ("死亡", "去世", "已故", "病故", "过世", "逝世")

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


class PayrollLine(PersonLine):
    """One person paid the old-age allowance in one month (PRODUCT.md §4.3)."""

    group: Series[str] = pa.Field(nullable=True)
    birth_date: Series[pd.Timestamp]
    age: Series[int] = pa.Field(ge=0, le=130)
    tier: Series[str]
    month: Series[str] = pa.Field(str_matches=_MONTH_RE)
    amount: Series[int] = pa.Field(gt=0)
    warning: Series[str] = pa.Field(nullable=True)
    reference: Series[str]

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


def check_input(people: pd.DataFrame, source: str = "核实名册") -> None:
    """Raise :class:`InputFileError` if ``people`` lacks a column the payroll needs."""
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
    check_input(people)
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
    out["warning"] = death_warning(people.loc[paid])
    citations = np.asarray([r.citation() for r in scale.references], dtype=object)
    out["reference"] = citations[idx]
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


__all__ = [
    "INPUT_COLUMNS",
    "PAYROLL_READS",
    "ROSTER_SCOPE",
    "PayrollLine",
    "age_cutoff",
    "check_input",
    "death_warning",
    "payroll",
    "tiers",
]
