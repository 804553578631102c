"""Referrals (纳入民政救助保障范围): people whose recorded circumstances qualify them for assistance they are not
recorded as receiving.

The register records circumstances (household economy, health and disability, parents' status, schooling,
guardianship) but not most benefits. Each program below says who qualifies, from ``params/``, and how receipt
is known:

| program | qualifies | receipt known from |
| --- | --- | --- |
| ``education_assistance`` 教育救助 | ``education.assistance_list`` 符合 for the term running on the date | a list of recipients |
| ``difficult_child`` 困境儿童登记 | under 18 and a household in ``referrals.difficult_child_households``, or disabled, or 监护情况差, or 无人监护 (国发〔2016〕36号) | a list (the 困境儿童 register) |
| ``severe_disability_care`` 重度残疾人护理补贴 | 残疾等级 in ``referrals.severe_disability_grades`` (一级, 二级) | a list |
| ``disability_living`` 困难残疾人生活补贴 | disabled and a household in ``referrals.disability_living_households`` (低保户) | a list |
| ``school_return`` 控辍保学 | 就学情况 in ``referrals.dropout_schooling`` (辍学 = 义务教育阶段辍学, per the 2016 form; 义务教育法第十三条) | a list of children returned |
| ``old_age_allowance`` 高龄补贴 | on the payroll of the month of the date (``allowances.payroll``) | a list (only checked when given) |

``receiving`` maps a program code to the ID numbers recorded as receiving it. A person who qualifies is
referred when the list is given and does not contain them (登记享受情况 “未在享受名单中”), or when no list is
given (“未提供享受名单，请核实是否已享受”) — except for the 高龄补贴, checked only against a given list.

There is no orphan referral: an orphan (both parents dead) is never a 留守儿童 (13号 needs a parent away), so
no orphan reaches the register; classification lists such a child as pending with a hint to the orphan
allowance instead (``cleaning.classify``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from liushou_core.errors import ConfigError
from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.register import PersonLine
from liushou_core.rules.ages import rule_age
from liushou_core.rules.allowances import payroll
from liushou_core.rules.education import assistance_list, household_has, is_disabled
from liushou_core.rules.guardianship import gaps
from liushou_core.values.periods import term_of

#: Program code → (Chinese label, what the township should do).
PROGRAMS: dict[str, tuple[str, str]] = {
    "difficult_child": (
        "困境儿童登记与分类保障",
        "请按困境儿童登记建档，落实基本生活、医疗、教育、监护分类保障",
    ),
    "education_assistance": ("教育救助", "请与学校、县教育局核实，符合条件的纳入教育资助"),
    "school_return": ("控辍保学", "请学校、村（社区）劝返复学"),
    "severe_disability_care": ("重度残疾人护理补贴", "请核实是否已享受，未享受的协助向县残联申请"),
    "disability_living": ("困难残疾人生活补贴", "请核实是否已享受，未享受的协助向县残联申请"),
    "old_age_allowance": ("高龄补贴", "请纳入高龄补贴发放并按规定补发"),
}
NOT_IN_LIST = "未在享受名单中"
NO_LIST = "未提供享受名单，请核实是否已享受"


class ReferralLine(PersonLine):
    """One person who seems to qualify for one program they are not recorded as receiving."""

    category: Series[str]
    age: Series[int] = pa.Field(ge=0)
    program: Series[str] = pa.Field(isin=list(PROGRAMS))
    program_label: Series[str]
    basis: Series[str]
    recorded: Series[str]
    reference: Series[str]
    action: Series[str]

    class Config:
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def one_row_per_person_and_program(cls, df: pd.DataFrame) -> bool:
        return not df.duplicated(["id_number", "program"]).any()


def _mask(people: pd.DataFrame, ids: Iterable[str]) -> pd.Series:
    return people["id_number"].isin(list(ids))


def _qualifying(
    people: pd.DataFrame, on: dt.date, params: ParameterSet
) -> dict[str, tuple[pd.Series, pd.Series | str, str]]:
    """Program → (who qualifies, why, the reference), each aligned with ``people``."""
    age = rule_age(people["birth_date"], on, params)
    minor = (age < int(params.value("definitions.difficult_child_age_limit", on))).fillna(False).astype(bool)
    disabled = is_disabled(people)
    economy = people["household_economy"]
    grade = people["guardianship_grade"].astype("string")

    poor_parts = [
        household_has(economy, str(v)) for v in params.value("referrals.difficult_child_households", on)
    ]
    poor = pd.concat(poor_parts, axis=1).any(axis=1) if poor_parts else pd.Series(False, index=people.index)
    found = gaps(people, on, params)
    unguarded = _mask(people, found.loc[found["problem"] == "no_guardian", "id_number"])
    bad_care = (grade == "差").fillna(False).astype(bool)
    difficult = minor & (poor | disabled | bad_care | unguarded)
    difficult_why = (
        pd.Series("", index=people.index, dtype="string")
        .mask(poor, "家庭贫困（" + economy.astype("string").fillna("") + "）")
        .mask(~poor & disabled, "残疾")
        .mask(~poor & ~disabled & (bad_care | unguarded), "监护缺失或不当")
    )

    severe = (
        people["disability_grade"]
        .astype("string")
        .isin(list(params.value("referrals.severe_disability_grades", on)))
    )
    severe = severe.fillna(False).astype(bool)
    living_parts = [
        household_has(economy, str(v)) for v in params.value("referrals.disability_living_households", on)
    ]
    living = disabled & (pd.concat(living_parts, axis=1).any(axis=1) if living_parts else False)

    dropout = people["schooling"].astype("string").isin(list(params.value("referrals.dropout_schooling", on)))
    dropout = dropout.fillna(False).astype(bool)

    term = term_of(on)
    edu = assistance_list(people, term, params)
    edu_ok = edu[edu["status"] == "符合"].set_index("id_number")
    education = _mask(people, edu_ok.index)
    edu_why = people["id_number"].map(edu_ok["reason"]).astype("string").fillna("")

    def ref(name: str) -> str:
        return params.entry(name, on).citation()

    return {
        "difficult_child": (difficult, difficult_why, ref("referrals.difficult_child_households")),
        "education_assistance": (education, f"{term}：" + edu_why, ref("education.eligible_households")),
        "school_return": (dropout, "义务教育阶段辍学", ref("referrals.dropout_schooling")),
        "severe_disability_care": (
            severe,
            "残疾等级" + people["disability_grade"].astype("string").fillna(""),
            ref("referrals.severe_disability_grades"),
        ),
        "disability_living": (living, "残疾且家庭为" + economy.astype("string").fillna(""), ref("referrals.disability_living_households")),
    }  # fmt: skip


def referrals(
    people: pd.DataFrame,
    on: dt.date,
    params: ParameterSet | None = None,
    receiving: Mapping[str, Iterable[str]] | None = None,
) -> DataFrame[ReferralLine]:
    """Everyone in the register who seems to qualify for a program they are not recorded as receiving on ``on``.

    ``receiving``: program code → ID numbers recorded as receiving it (see the module docstring).
    """
    params = params or load_parameters()
    receiving = {k: set(map(str, v)) for k, v in (receiving or {}).items()}
    unknown = set(receiving) - set(PROGRAMS)
    if unknown:
        raise ConfigError(f"未知的帮扶项目 {sorted(unknown)}（可用：{', '.join(PROGRAMS)}）")
    rules = _qualifying(people, on, params)
    if "old_age_allowance" in receiving:
        month = f"{on:%Y-%m}"
        lines = payroll(people, month, params)
        paid = _mask(people, lines["id_number"])
        tier = people["id_number"].map(lines.set_index("id_number")["tier"]).astype("string").fillna("")
        rules["old_age_allowance"] = (
            paid,
            f"{month} 应发：" + tier,
            lines["reference"].iloc[0] if len(lines) else "",
        )

    age = rule_age(people["birth_date"], on, params).fillna(0).astype("int64")
    frames = []
    for code, (qualifies, why, reference) in rules.items():  # six programs
        if code in receiving:
            recorded_ok = _mask(people, receiving[code])
            state = NOT_IN_LIST
        else:
            recorded_ok = pd.Series(False, index=people.index)
            state = NO_LIST
        m = (qualifies & ~recorded_ok).to_numpy(dtype=bool)
        if not m.any():
            continue
        label, action = PROGRAMS[code]
        part = people.loc[
            m,
            ["id_number", "name", "sex", "township_code", "township", "village_code", "village", "category"],
        ].copy()
        part["age"] = age[m]
        part["program"], part["program_label"] = code, label
        part["basis"] = why[m] if isinstance(why, pd.Series) else why
        part["recorded"], part["reference"], part["action"] = state, reference, action
        frames.append(part)
    columns = list(ReferralLine.to_schema().columns)
    out = pd.concat(frames) if frames else pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    order = {p: i for i, p in enumerate(PROGRAMS)}
    out = out.assign(_rank=out["program"].map(order)).sort_values(
        ["_rank", "township_code", "village_code", "id_number"]
    )
    return ReferralLine.validate(out.drop(columns="_rank").reset_index(drop=True), lazy=True)


__all__ = ["PROGRAMS", "ReferralLine", "referrals"]
