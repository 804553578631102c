"""Education assistance (教育救助) for a school term: who qualifies, the amount, and why.

The rule (``params/education/``; the county's 2018 reply; the national student-aid standards):

- **Who.** A student in school (就学情况 学前 = enrolled in kindergarten, 小学, 初中, 高中 or 中职) whose
  household is one of ``education.eligible_households`` (建档立卡贫困户, 低保户, 特困供养, 建档困难职工, 孤儿), or
  who is disabled (健康状况 残疾, or a 残疾等级 recorded) when ``education.disabled_children_eligible`` (an
  assumption from local student-aid practice, not from 国务院令第649号). 未入园 (not enrolled, including
  学龄前) is not 学前 and gets no preschool aid. 辍学 and 不在学 are not in school (a 控辍保学 matter).
- **Day pupils (非寄宿生) of 小学 and 初中** are paid only from the 2019 autumn term and only in the four groups
  of that subsidy: households in ``education.day_pupil_groups`` (建档立卡, 低保, 特困) and disabled pupils of
  a household in economic difficulty (in ``education.eligible_households``). A day pupil of a 建档困难职工
  household, an orphan or a disabled pupil of an ordinary household is 不符合 with that reason.
- **Disabled children out of compulsory school.** 《社会救助暂行办法》(国务院令第649号) 第三十三条: a disabled
  child of compulsory-school age (``education.compulsory_school_start_age`` 6, for
  ``education.compulsory_school_years`` 9 years) recorded as not in school gets 待核实, cited to Art. 33, for
  the county to give appropriate assistance (送教上门 and the like), when
  ``education.out_of_school_disabled_assisted``.
- **How much.** The annual standard (元/生/年) in force on the first day of the term, by stage and, for
  小学 and 初中, by boarding: 寄宿生 1000 / 1250; 非寄宿生 0 until the 2019 autumn term, then 500 / 625;
  高中 and 中职 2000; 学前 a local placeholder. A day pupil in a term where the day standard is 0 is listed
  as 不符合 with the reason.
- **Unknown is not no.** A household economy that was not collected, a missing 是否寄宿 where boarding
  changes the amount, or a missing 就学情况 for a child of a qualifying household gives status 待核实
  (``eligible`` ``<NA>``), never 不符合.

The list has one row per person whose schooling is recorded, plus children of qualifying households whose
schooling is not; ``amount`` is the annual standard for 符合 rows and 0 otherwise (per-term payment is
half of it, paid by the school). Ages are 周岁 under the convention in force (``rules.ages``).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.register import PersonLine
from liushou_core.rules.ages import rule_age
from liushou_core.values.periods import parse_term

ELIGIBLE_HOUSEHOLDS = "education.eligible_households"
DISABLED_ELIGIBLE = "education.disabled_children_eligible"
DAY_PUPIL_GROUPS = "education.day_pupil_groups"
OUT_OF_SCHOOL_DISABLED = "education.out_of_school_disabled_assisted"
SCHOOL_START_AGE = "education.compulsory_school_start_age"
SCHOOL_YEARS = "education.compulsory_school_years"
#: The stages whose day pupils are paid only within the four groups (义务教育阶段非寄宿生生活补助).
COMPULSORY_STAGES = ("小学", "初中")

#: 就学情况 → the parameter (under ``education.annual_amount.``) for boarders and for day pupils.
STAGE_AMOUNTS: dict[str, tuple[str, str]] = {
    "学前": ("preschool", "preschool"),
    "小学": ("primary_boarding", "primary_day"),
    "初中": ("junior_boarding", "junior_day"),
    "高中": ("senior", "senior"),
    "中职": ("vocational", "vocational"),
}
STATUSES = ("符合", "不符合", "待核实")
_SEP = "、"  # household_economy joins several canonical values with 、 (register.py)


class EducationLine(PersonLine):
    """One student (or child of a qualifying household) assessed for education assistance in a term."""

    birth_date: Series[pd.Timestamp]
    age: Series[int] = pa.Field(ge=0)
    household_economy: Series[str] = pa.Field(nullable=True)
    health: Series[str] = pa.Field(nullable=True)
    schooling: Series[str] = pa.Field(nullable=True)
    boarding: Series[str] = pa.Field(nullable=True)
    term: Series[str]
    status: Series[str] = pa.Field(isin=list(STATUSES))
    eligible: Series[pd.BooleanDtype] = pa.Field(nullable=True)
    basis: Series[str] = pa.Field(nullable=True)
    amount: Series[int] = pa.Field(ge=0)
    reason: Series[str]
    reference: Series[str]

    class Config:
        unique = ["id_number"]
        strict = True
        ordered = True
        coerce = True

    @pa.dataframe_check
    @classmethod
    def only_eligible_rows_carry_money(cls, df: pd.DataFrame) -> pd.Series:
        """符合 ⇔ eligible is True ⇔ a positive amount; the others are paid nothing."""
        ok = (df["status"] == "符合") == df["eligible"].fillna(False).astype(bool)
        return ok & ((df["amount"] > 0) == (df["status"] == "符合"))


def household_has(economy: pd.Series, value: str) -> pd.Series:
    """Whether each household_economy cell lists ``value`` (an exact item of a 、-joined list); False for NA."""
    pattern = rf"(?:^|{_SEP}){re.escape(value)}(?:{_SEP}|$)"
    return economy.astype("string").str.contains(pattern, regex=True).fillna(False).astype(bool)


def is_disabled(people: pd.DataFrame) -> pd.Series:
    """健康状况 残疾, or a 残疾等级 recorded."""
    disabled = (people["health"].astype("string") == "残疾").fillna(False).astype(bool)
    return disabled | people["disability_grade"].notna()


def qualifying_basis(people: pd.DataFrame, on: dt.date, params: ParameterSet) -> pd.Series:
    """The reasons each person's circumstances qualify (e.g. ``低保户、残疾学生``); ``<NA>`` if none."""
    reasons = [
        (str(v), household_has(people["household_economy"], str(v)))
        for v in params.value(ELIGIBLE_HOUSEHOLDS, on)
    ]
    if params.value(DISABLED_ELIGIBLE, on):
        reasons.append(("残疾学生", is_disabled(people)))
    joined = np.full(len(people), "", dtype=object)
    for text, mask in reasons:  # a handful of categories; each step is a whole column
        m = mask.to_numpy(dtype=bool)
        joined = np.where(m & (joined == ""), text, np.where(m, joined + _SEP + text, joined))
    return pd.Series(joined, index=people.index, dtype="string").replace("", pd.NA)


def day_pupil_basis(people: pd.DataFrame, on: dt.date, params: ParameterSet) -> pd.Series:
    """Whether each person is in one of the four groups of the day-pupil subsidy: a household in
    ``education.day_pupil_groups`` (建档立卡, 低保, 特困), or disabled in a household of economic difficulty
    (``education.eligible_households``). All False before the subsidy exists."""
    first = params.parameter(DAY_PUPIL_GROUPS).values[0].start
    if on < first:
        return pd.Series(False, index=people.index)
    economy = people["household_economy"]
    groups = [household_has(economy, str(v)) for v in params.value(DAY_PUPIL_GROUPS, on)]
    difficult = [household_has(economy, str(v)) for v in params.value(ELIGIBLE_HOUSEHOLDS, on)]
    in_group = np.logical_or.reduce([g.to_numpy(dtype=bool) for g in groups]) if groups else False
    poor = np.logical_or.reduce([g.to_numpy(dtype=bool) for g in difficult]) if difficult else False
    return pd.Series(in_group | (is_disabled(people).to_numpy(dtype=bool) & poor), index=people.index)


def compulsory_school_age(age: pd.Series, on: dt.date, params: ParameterSet) -> pd.Series:
    """Whether each age is within compulsory-school age (义务教育适龄: from the start age, for the years)."""
    start = int(params.value(SCHOOL_START_AGE, on))
    end = start + int(params.value(SCHOOL_YEARS, on))
    return ((age >= start) & (age < end)).fillna(False).astype(bool)


def assistance_list(
    people: pd.DataFrame, term: str | dt.date, params: ParameterSet | None = None
) -> DataFrame[EducationLine]:
    """The education-assistance list of ``term`` (``"2018秋季"``, ``"2019春季"`` or a start date)."""
    params = params or load_parameters()
    label, start = parse_term(term)
    basis = qualifying_basis(people, start, params)
    has_basis = basis.notna()
    schooling = people["schooling"].astype("string")
    in_school = schooling.isin(list(STAGE_AMOUNTS)).fillna(False).astype(bool)
    economy_known = people["household_economy"].notna()
    age = rule_age(people["birth_date"], start, params)
    child = age < 18
    # A child born after the term began is no pupil of that term; the next term's list takes them up.
    born = (pd.to_datetime(people["birth_date"]) <= pd.Timestamp(start)).fillna(False).astype(bool)
    listed = (schooling.notna() | (has_basis & child.fillna(False).astype(bool))) & born
    df = people.loc[listed].copy()
    basis, has_basis, in_school, schooling = (
        basis[listed],
        has_basis[listed],
        in_school[listed],
        schooling[listed],
    )
    economy_known = economy_known[listed]
    age = age[listed]
    disabled_out = (
        bool(params.value(OUT_OF_SCHOOL_DISABLED, start))
        & is_disabled(df)
        & ~in_school
        & schooling.notna()
        & compulsory_school_age(age, start, params)
    )
    day_group = day_pupil_basis(df, start, params)
    boarding = df["boarding"].astype("string")

    amount = pd.Series(0, index=df.index, dtype="int64")
    boarding_matters = pd.Series(False, index=df.index)
    references = pd.Series("", index=df.index, dtype="string")
    for stage, (board_key, day_key) in STAGE_AMOUNTS.items():  # five stages
        at_stage = (schooling == stage).fillna(False).astype(bool)
        board = params.entry(f"education.annual_amount.{board_key}", start)
        day = params.entry(f"education.annual_amount.{day_key}", start)
        is_boarder = (boarding == "是").fillna(False).astype(bool)
        board_amount, day_amount = int(board.value), int(day.value)  # type: ignore[arg-type]
        amount[at_stage] = np.where(is_boarder[at_stage].to_numpy(), board_amount, day_amount)
        boarding_matters[at_stage] = board_amount != day_amount
        references[at_stage] = np.where(is_boarder[at_stage], board.citation(), day.citation())
    eligibility_ref = params.entry(ELIGIBLE_HOUSEHOLDS, start).citation()
    article_33_ref = params.entry(OUT_OF_SCHOOL_DISABLED, start).citation()

    # The first condition that holds decides (np.select): not collected → 待核实, never 不符合.
    schooling_unknown = schooling.isna()
    not_in_school = ~in_school
    economy_unknown = ~has_basis & ~economy_known
    no_basis = ~has_basis
    boarding_unknown = boarding_matters & boarding.isna()
    nothing_due = amount == 0
    is_boarder = (boarding == "是").fillna(False).astype(bool)
    is_day = (boarding == "否").fillna(False).astype(bool)
    kind = pd.Series("", index=df.index, dtype="string").mask(is_boarder, "寄宿生").mask(is_day, "非寄宿生")
    stage_text = schooling.fillna("")
    economy_text = df["household_economy"].astype("string").fillna("")
    day_outside_groups = (
        is_day
        & schooling.isin(list(COMPULSORY_STAGES)).fillna(False).astype(bool)
        & (amount > 0)
        & ~day_group
    )
    cases: list[tuple[pd.Series, str, pd.Series | str]] = [
        (schooling_unknown, "待核实", "就学情况未采集，请核实是否在校"),
        (
            disabled_out,
            "待核实",
            "残疾儿童，义务教育适龄而"
            + stage_text
            + "：不能入学接受义务教育的残疾儿童应根据实际情况给予适当教育救助（如送教上门），请县教育局、残联核实",
        ),
        (not_in_school, "不符合", stage_text + "，不在校，不列入教育资助（请关注控辍保学）"),
        (economy_unknown, "待核实", "家庭经济状况未采集，请核实是否属于资助对象"),
        (no_basis, "不符合", "家庭经济状况“" + economy_text + "”且非残疾，不属于资助对象"),
        (boarding_unknown, "待核实", "是否寄宿未采集，资助标准无法确定，请补填"),
        (
            day_outside_groups,
            "不符合",
            stage_text
            + "非寄宿生，家庭经济状况“"
            + economy_text
            + "”：非寄宿生生活补助只资助建档立卡、农村低保、农村特困供养和家庭经济困难残疾学生四类",
        ),
        (
            nothing_due,
            "不符合",
            stage_text + kind + f"：{label}无此项资助（非寄宿生生活补助自2019年秋季学期起）",
        ),
    ]
    conditions = [c.fillna(False).to_numpy(dtype=bool) for c, _, _ in cases]
    status = pd.Series(np.select(conditions, [st for _, st, _ in cases], default="符合"), index=df.index)
    paid_reason = basis.fillna("") + "；" + stage_text + kind + "，资助标准 " + amount.astype(str) + " 元/年"
    reason_choices = [np.asarray(pd.Series(r, index=df.index), dtype=object) for _, _, r in cases]
    reason = pd.Series(np.select(conditions, reason_choices, default=np.asarray(paid_reason, dtype=object)),
                       index=df.index)  # fmt: skip
    # The amount's own reference where the amount decided (符合, or 0 for a day pupil); else the eligibility rule.
    amount_decided = (status == "符合") | (status == "不符合") & in_school & has_basis
    reference = references.where(amount_decided, eligibility_ref)
    # The case that decided each row (np.select takes the first that holds), for the reference it carries.
    decided_by = pd.Series(np.select(conditions, list(range(len(cases))), default=-1), index=df.index)
    case_of = {id(mask): i for i, (mask, _, _) in enumerate(cases)}
    reference = reference.mask(decided_by == case_of[id(disabled_out)], article_33_ref)
    if day_outside_groups.any():  # the day-pupil groups exist only from 2019 autumn
        day_ref = params.entry(DAY_PUPIL_GROUPS, start).citation()
        reference = reference.mask(decided_by == case_of[id(day_outside_groups)], day_ref)

    out = df[
        ["id_number", "name", "sex", "township_code", "township", "village_code", "village", "birth_date"]
    ].copy()
    out["age"] = age[listed].astype("int64")
    for c in ("household_economy", "health", "schooling", "boarding"):
        out[c] = df[c].astype("string")
    out["term"] = label
    out["status"] = status
    out["eligible"] = status.map({"符合": True, "不符合": False, "待核实": pd.NA}).astype("boolean")
    out["basis"] = basis
    out["amount"] = amount.where(status == "符合", 0)
    out["reason"] = reason
    out["reference"] = reference
    out = out.sort_values(["township_code", "village_code", "id_number"])
    return EducationLine.validate(out.reset_index(drop=True), lazy=True)


__all__ = [
    "EducationLine",
    "STAGE_AMOUNTS",
    "assistance_list",
    "household_has",
    "is_disabled",
    "qualifying_basis",
]
