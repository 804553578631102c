"""Guardianship gaps of left-behind children: no effective guardian, no signed 委托监护责任确认书, unfit delegates.

The rules (国发〔2016〕13号; the county finished signing 委托监护责任确认书 by the end of 2017, seed document;
``params/guardianship/``), for every 留守儿童 of the register still under ``definitions.child_age_limit`` on
the date ``on``:

- ``no_guardian`` (无人监护, **紧急**): no 委托监护人 named (blank, or 无/没有/无人…), and neither parent is
  with the child (both parents' statuses are recorded and neither is in
  ``guardianship.present_parent_statuses``: 在家, 无监护能力). A child under 16 must never live alone
  without guardianship (13号); the village must check at once.
- ``agreement_unsigned`` (需整改): 委托监护确认书 recorded as 未签订.
- ``agreement_not_collected`` (待核实): the 确认书 column is blank (未采集), listed apart from 未签订.
- ``delegate_absent_parent`` (需整改): the named delegate is the child's own father (父亲/父/爸爸) or mother
  (母亲/母/妈妈) while that parent's status is not 在家 (外出务工, 无监护能力, 死亡…): the delegation is void.
- ``delegate_minor`` (需整改): the delegate's ID number is valid and gives an age under
  ``guardianship.delegate_min_age`` (18) on ``on``: a delegate must be an adult.
- ``delegate_id_invalid`` (需整改): the delegate's ID number is filled but fails GB 11643 (format, check
  character, birth date, address code; :func:`liushou_core.values.idcard.parse_ids`).
- ``delegate_id_missing`` (待核实): a delegate is named without an ID number, so their age cannot be checked.

One row per child and problem (a child can have several).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.register import PersonLine
from liushou_core.values.idcard import parse_ids
from liushou_core.values.periods import completed_age

#: Problem code → (Chinese label, severity). Severities in the order lists are sorted.
PROBLEMS: dict[str, tuple[str, str]] = {
    "no_guardian": ("无人监护", "紧急"),
    "agreement_unsigned": ("未签订委托监护责任确认书", "需整改"),
    "delegate_absent_parent": ("委托给不在身边的父母本人", "需整改"),
    "delegate_minor": ("受委托监护人未成年", "需整改"),
    "delegate_id_invalid": ("受委托监护人身份证号无效", "需整改"),
    "agreement_not_collected": ("确认书签订情况未采集", "待核实"),
    "delegate_id_missing": ("受委托监护人身份证号未采集", "待核实"),
}
SEVERITIES = ("紧急", "需整改", "待核实")

# Words cadres type in the 委托监护人 column to say there is nobody (a vocabulary of the returns, not policy).
NO_ONE = ("无", "没有", "无人", "暂无", "/", "-", "—", "－", "无委托", "无委托监护人")
# How 与儿童关系 names the child's own parents.
FATHER_WORDS = ("父亲", "父", "爸爸", "生父")
MOTHER_WORDS = ("母亲", "母", "妈妈", "生母")
_ID_PROBLEMS = {
    "excel_mangled": "被Excel改成了数字",
    "format": "不是18位（或15位）号码",
    "checksum": "校验位不对",
    "birth_date": "出生日期无效",
    "address": "地址码不存在",
}


class GuardianshipGap(PersonLine):
    """One guardianship problem of one left-behind child."""

    age: Series[int] = pa.Field(ge=0)
    father_status: Series[str] = pa.Field(nullable=True)
    mother_status: Series[str] = pa.Field(nullable=True)
    guardian_name: Series[str] = pa.Field(nullable=True)
    guardian_relation: Series[str] = pa.Field(nullable=True)
    guardian_id_number: Series[str] = pa.Field(nullable=True)
    guardian_phone: Series[str] = pa.Field(nullable=True)
    agreement_signed: Series[str] = pa.Field(nullable=True)
    problem: Series[str] = pa.Field(isin=list(PROBLEMS))
    problem_label: Series[str]
    severity: Series[str] = pa.Field(isin=list(SEVERITIES))
    detail: Series[str]

    class Config:
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def one_row_per_child_and_problem(cls, df: pd.DataFrame) -> bool:
        return not df.duplicated(["id_number", "problem"]).any()


_COLUMNS = [
    c
    for c in GuardianshipGap.to_schema().columns
    if c not in ("problem", "problem_label", "severity", "detail")
]


def left_behind_children(people: pd.DataFrame, on: dt.date, params: ParameterSet) -> pd.DataFrame:
    """The register's 留守儿童 still under the child age limit on ``on``, with ``age`` at ``on``."""
    limit = int(params.value("definitions.child_age_limit", on))
    age = completed_age(people["birth_date"], on)
    keep = (people["category"] == "留守儿童").fillna(False).astype(bool) & (age < limit).fillna(False).astype(
        bool
    )
    out = people.loc[keep].copy()
    out["age"] = age[keep].astype("int64")
    return out


def _text(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip()


def gaps(people: pd.DataFrame, on: dt.date, params: ParameterSet | None = None) -> DataFrame[GuardianshipGap]:
    """Every guardianship problem of the left-behind children on ``on`` (see the module docstring)."""
    params = params or load_parameters()
    kids = left_behind_children(people, on, params)
    father, mother = _text(kids["father_status"]), _text(kids["mother_status"])
    guardian = _text(kids["guardian_name"])
    relation = _text(kids["guardian_relation"]).fillna("")
    agreement = _text(kids["agreement_signed"])
    gid = _text(kids["guardian_id_number"])

    present = list(params.value("guardianship.present_parent_statuses", on))
    nobody_named = guardian.isna() | guardian.isin(NO_ONE)
    both_known = father.notna() & mother.notna()
    neither_present = ~father.isin(present) & ~mother.isin(present)
    no_guardian = nobody_named & both_known & neither_present

    is_father = relation.isin(FATHER_WORDS)
    is_mother = relation.isin(MOTHER_WORDS)
    parent_status = father.where(is_father, mother.where(is_mother))
    absent_parent = (
        ~nobody_named & (is_father | is_mother) & parent_status.notna() & (parent_status != "在家")
    )

    parsed = parse_ids(gid, on)
    id_valid = (parsed["id_status"] == "valid").to_numpy(dtype=bool)
    min_age = int(params.value("guardianship.delegate_min_age", on))
    delegate_age = completed_age(parsed["birth_date"], on)
    minor = ~nobody_named & pd.Series(id_valid, index=kids.index) & (delegate_age < min_age).fillna(False)
    id_invalid = ~nobody_named & gid.notna() & ~pd.Series(id_valid, index=kids.index)
    id_missing = ~nobody_named & gid.isna()

    away_text = "父亲" + father.fillna("未填") + "、母亲" + mother.fillna("未填")
    id_reason = parsed["id_status"].map(_ID_PROBLEMS).fillna("无效").astype("string")
    findings: dict[str, tuple[pd.Series, pd.Series | str]] = {
        "no_guardian": (no_guardian, away_text + "，且未填写委托监护人：可能无人监护，请村（社区）立即核实并落实监护"),
        "agreement_unsigned": (agreement == "未签订", "未签订委托监护责任确认书，请督促父母签订"),
        "agreement_not_collected": (agreement.isna(), "委托监护确认书签订情况未填写，请补填（已签订/未签订）"),
        "delegate_absent_parent": (
            absent_parent,
            "委托监护人为" + relation + "，但其状况为“" + parent_status.fillna("") + "”，不能代为监护，请重新委托",
        ),
        "delegate_minor": (
            minor,
            "委托监护人" + guardian.fillna("") + "按身份证号仅" + delegate_age.astype("string").fillna("")
            + f"周岁，未满{min_age}周岁，不能担任受委托监护人",
        ),
        "delegate_id_invalid": (
            id_invalid,
            "委托监护人身份证号“" + gid.fillna("") + "”" + id_reason + "，请按户口簿核对",
        ),
        "delegate_id_missing": (id_missing, "委托监护人身份证号未填写，无法核实其是否成年，请补填"),
    }  # fmt: skip
    frames = []
    for code, (mask, detail) in findings.items():  # seven problem kinds
        m = mask.fillna(False).to_numpy(dtype=bool)
        if not m.any():
            continue
        part = kids.loc[m, _COLUMNS].copy()
        label, severity = PROBLEMS[code]
        part["problem"], part["problem_label"], part["severity"] = code, label, severity
        part["detail"] = detail[m] if isinstance(detail, pd.Series) else detail
        frames.append(part)
    out = pd.concat(frames) if frames else pd.DataFrame(columns=list(GuardianshipGap.to_schema().columns))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    out = out.assign(_rank=out["severity"].map(order)).sort_values(
        ["_rank", "township_code", "village_code", "id_number"]
    )
    out = out.drop(columns="_rank").reset_index(drop=True)
    return GuardianshipGap.validate(out, lazy=True)


def hard_alerts(gap_list: pd.DataFrame) -> pd.DataFrame:
    """Only the 紧急 rows (无人监护), for the front page of a township workbook."""
    return gap_list[gap_list["severity"] == "紧急"].reset_index(drop=True)


__all__ = ["PROBLEMS", "GuardianshipGap", "gaps", "hard_alerts", "left_behind_children"]
