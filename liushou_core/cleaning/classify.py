"""Classification by the official definitions, not by what the cadre declared.

- 留守儿童 (国发〔2016〕13号; 民发〔2016〕42号): under ``definitions.child_age_limit`` (16) at the reference
  date, with both parents 外出务工, or one 外出务工 and the other without guardianship capacity
  (``definitions.incapable_parent_statuses``). A parent who died is not "without capacity" unless the bureau
  decides otherwise (``definitions.dead_parent_counts_as_incapable``, an assumption, default no). A child whose
  parents both died is never a 留守儿童: the pending reason points to the orphan allowance.
- 留守妇女 (county 摸排 plan under 民发〔2016〕42号): a woman aged ``woman_min_age``–``woman_max_age``
  (20–59) whose husband is 外出务工 for at least ``min_months_away`` (6) months.
- 留守老人 (民发〔2017〕193号, MCA convention): aged ``elder_min_age`` (60) or more, children away for at
  least ``min_months_away`` months, and either no supporter at home (子女状况 全部外出) or — the definition's
  second branch, ``definitions.elder_supporter_unable_qualifies`` — the child at home unable to support them
  (子女状况 在家子女无赡养能力).

A declared category the facts contradict is an issue; the person is counted where the facts put them, or is
pending when they qualify nowhere. A fact left blank is "not collected": it never counts as "no".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.register import CATEGORIES

CHILD, WOMAN, ELDER = CATEGORIES


@dataclass(frozen=True)
class Thresholds:
    """The definitions' thresholds in force at one reference date (from ``params/definitions``)."""

    child_age_limit: int
    elder_min_age: int
    woman_min_age: int
    woman_max_age: int
    min_months_away: int
    incapable_parent_statuses: tuple[str, ...]
    dead_parent_counts_as_incapable: bool = False
    elder_supporter_unable_qualifies: bool = True

    @classmethod
    def at(cls, on: date, params: ParameterSet | None = None) -> Thresholds:
        p = params or load_parameters()
        return cls(
            child_age_limit=int(p.value("definitions.child_age_limit", on)),
            elder_min_age=int(p.value("definitions.elder_min_age", on)),
            woman_min_age=int(p.value("definitions.woman_min_age", on)),
            woman_max_age=int(p.value("definitions.woman_max_age", on)),
            min_months_away=int(p.value("definitions.min_months_away", on)),
            incapable_parent_statuses=tuple(p.value("definitions.incapable_parent_statuses", on)),
            dead_parent_counts_as_incapable=bool(p.value("definitions.dead_parent_counts_as_incapable", on)),
            elder_supporter_unable_qualifies=bool(
                p.value("definitions.elder_supporter_unable_qualifies", on)
            ),
        )

    @property
    def incapable(self) -> tuple[str, ...]:
        """The parent statuses that count as 无监护能力, with 死亡 when the bureau decided so."""
        return (*self.incapable_parent_statuses, *(("死亡",) if self.dead_parent_counts_as_incapable else ()))


#: The facts each category needs, in the order they are reported when missing.
NEEDED_FACTS: dict[str, tuple[str, ...]] = {
    CHILD: ("father_status", "mother_status"),
    WOMAN: ("husband_status", "months_away"),
    ELDER: ("children_status", "months_away"),
}
FACT_LABELS = {
    "father_status": "父亲状况",
    "mother_status": "母亲状况",
    "husband_status": "丈夫状况",
    "children_status": "子女状况",
    "months_away": "外出时长（月）",
}


def elder_statuses(t: Thresholds) -> list[str]:
    """The 子女状况 values that leave an elder without support: all children away, and (second branch) the
    child at home unable to support them."""
    return ["全部外出", *(["在家子女无赡养能力"] if t.elder_supporter_unable_qualifies else [])]


def qualifies(df: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """Boolean frame (one column per category): does each row meet the definition, on its own facts?

    ``df`` needs ``age`` (completed years at the reference date), ``sex`` (from the ID) and the status columns.
    Unknown facts (``<NA>``) never qualify.
    """
    age = df["age"].astype("Float64")
    away = "外出务工"
    father, mother = df["father_status"], df["mother_status"]
    father_away, mother_away = father.eq(away).fillna(False), mother.eq(away).fillna(False)
    father_incap = father.isin(t.incapable)
    mother_incap = mother.isin(t.incapable)
    months = df["months_away"].astype("Float64")
    child = age.lt(t.child_age_limit).fillna(False) & (
        (father_away & mother_away) | (father_away & mother_incap) | (mother_away & father_incap)
    )
    woman = (
        df["sex"].eq("女").fillna(False)
        & age.ge(t.woman_min_age).fillna(False)
        & age.le(t.woman_max_age).fillna(False)
        & df["husband_status"].eq(away).fillna(False)
        & months.ge(t.min_months_away).fillna(False)
    )
    elder = (
        age.ge(t.elder_min_age).fillna(False)
        & df["children_status"].isin(elder_statuses(t)).fillna(False)
        & months.ge(t.min_months_away).fillna(False)
    )
    return pd.DataFrame({CHILD: child.astype(bool), WOMAN: woman.astype(bool), ELDER: elder.astype(bool)})


def _why_not(df: pd.DataFrame, declared: pd.Series, t: Thresholds) -> pd.Series:
    """A short Chinese reason why each row fails its declared category (for ``not_qualified``)."""
    declared = declared.fillna("")
    age = df["age"].astype("Float64")
    age_txt = age.astype("Int64").astype("string")
    months_txt = df["months_away"].astype("Int64").astype("string")
    conditions = [
        declared.eq(CHILD) & age.ge(t.child_age_limit).fillna(False),
        declared.eq(CHILD)
        & df["father_status"].eq("死亡").fillna(False)
        & df["mother_status"].eq("死亡").fillna(False),
        declared.eq(CHILD),
        declared.eq(WOMAN) & df["sex"].ne("女").fillna(False),
        declared.eq(WOMAN) & (age.lt(t.woman_min_age) | age.gt(t.woman_max_age)).fillna(False),
        declared.eq(WOMAN) & df["husband_status"].ne("外出务工").fillna(False),
        declared.eq(WOMAN),
        declared.eq(ELDER) & age.lt(t.elder_min_age).fillna(False),
        declared.eq(ELDER) & ~df["children_status"].isin(elder_statuses(t)).fillna(False),
        declared.eq(ELDER),
    ]
    choices = [
        "基准日年龄" + age_txt + f"周岁，已满{t.child_age_limit}周岁",
        pd.Series(
            "父母双方死亡，不是留守儿童：可能是孤儿，请协助申请孤儿基本生活保障（国办发〔2010〕54号）",
            index=df.index,
            dtype="string",
        ),
        "父亲"
        + df["father_status"].fillna("")
        + "、母亲"
        + df["mother_status"].fillna("")
        + "，不是父母双方外出或一方外出另一方无监护能力",
        pd.Series("身份证号显示为男性", index=df.index, dtype="string"),
        "基准日年龄" + age_txt + f"周岁，不在{t.woman_min_age}—{t.woman_max_age}周岁之间",
        "丈夫状况为" + df["husband_status"].fillna(""),
        "外出时长" + months_txt + f"个月，不足{t.min_months_away}个月",
        "基准日年龄" + age_txt + f"周岁，未满{t.elder_min_age}周岁",
        "子女状况为" + df["children_status"].fillna(""),
        "外出时长" + months_txt + f"个月，不足{t.min_months_away}个月",
    ]
    choices = [c.astype("string").fillna("") for c in choices]
    out = np.select(
        [c.to_numpy(dtype=bool) for c in conditions], [c.to_numpy(dtype=object) for c in choices], default=""
    )
    return pd.Series(out, index=df.index, dtype="string")


def classify(df: pd.DataFrame, t: Thresholds) -> pd.DataFrame:
    """Category by the definitions, and the classification outcome of each row.

    Returns a frame on ``df.index`` with ``category`` (``<NA>`` when none), ``outcome`` (``declared``,
    ``mismatch``, ``undeclared``, ``facts_missing``, ``not_qualified``), ``detail`` (category or reason)
    and ``missing_fact`` (the first needed fact left blank, for ``facts_missing``).
    """
    q = qualifies(df, t)
    declared = df["category_declared"].astype("string")
    index = df.index
    declared_ok = pd.Series(False, index=index)
    for cat in CATEGORIES:
        declared_ok |= declared.eq(cat).fillna(False) & q[cat]
    # The first category that qualifies, in definition order; the three are disjoint by age except
    # when data are odd, so the order only matters for such rows.
    any_q = q.any(axis=1)
    first_q = q.idxmax(axis=1).where(any_q)
    missing_fact = pd.Series(pd.NA, index=index, dtype="string")
    for cat in CATEGORIES:
        for fact in reversed(NEEDED_FACTS[cat]):
            hit = declared.eq(cat).fillna(False) & df[fact].isna()
            missing_fact = missing_fact.mask(hit, fact)
    category = pd.Series(pd.NA, index=index, dtype="string")
    category = category.mask(declared_ok, declared).mask(~declared_ok & any_q, first_q)
    no_decl = declared.isna()
    outcome = np.select(
        [declared_ok, any_q & no_decl, any_q, missing_fact.notna() | no_decl],
        ["declared", "undeclared", "mismatch", "facts_missing"],
        default="not_qualified",
    )
    detail = _why_not(df, declared, t).mask(any_q, category)
    detail = detail.mask(no_decl & ~any_q, "任一类别")
    detail = detail.mask(~any_q & missing_fact.notna(), declared)
    return pd.DataFrame(
        {
            "category": category,
            "outcome": pd.Series(outcome, index=index, dtype="string"),
            "detail": detail.astype("string"),
            "missing_fact": missing_fact,
        },
        index=index,
    )
