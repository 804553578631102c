"""分层分级: a risk level for every left-behind child, and the home visits (家庭随访) that are overdue.

The county manages left-behind children by risk level and has child-welfare supervisors visit their families
regularly (seed document). The levels and the visit intervals are **county settings** (``params/visits/``,
all marked as assumptions to confirm). The rule, for every 留守儿童 under 16 on the date:

- **高** if any of: 监护情况 in ``visits.high_risk_grades`` (差); 就学情况 in ``visits.high_risk_schooling``
  (辍学); 残疾等级 in ``visits.high_risk_disability_grades`` (一级, 二级); a 紧急 guardianship gap (无人监护).
- else **中** if any of: 监护情况 in ``visits.medium_risk_grades`` (一般); 就学情况 in
  ``visits.medium_risk_schooling`` (不在学); 健康状况 in ``visits.medium_risk_health`` (患病, 残疾) or any
  残疾等级; a 需整改 guardianship gap (未签订确认书, an unfit delegate).
- else **待评估** if 监护情况, 健康状况 or 就学情况 was not collected: nothing recorded raises the level,
  but the missing fact could (未采集 is not 低).
- else **低**.

A child must be visited again within ``visits.interval_days.<level>`` days of the last visit
(高 30, 中 90, 低 180, 待评估 30 — placeholders). A visit on the due date is on time; from the next day it is
逾期 by that many days. A child with no visit recorded is 无走访记录 (listed with the overdue ones);
a last visit after the checking date is 日期有误.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.register import PersonLine
from liushou_core.rules.guardianship import gaps, left_behind_children

LEVELS = ("高", "中", "待评估", "低")
LEVEL_KEYS = {"高": "high", "中": "medium", "低": "low", "待评估": "unassessed"}
VISIT_STATUSES = ("逾期", "无走访记录", "日期有误", "按期")
_SEP = "；"


class RiskAssessment(PersonLine):
    """A left-behind child's risk level and the facts that set it."""

    age: Series[int] = pa.Field(ge=0)
    guardianship_grade: Series[str] = pa.Field(nullable=True)
    health: Series[str] = pa.Field(nullable=True)
    disability_grade: Series[str] = pa.Field(nullable=True)
    schooling: Series[str] = pa.Field(nullable=True)
    risk_level: Series[str] = pa.Field(isin=list(LEVELS))
    risk_reasons: Series[str]

    class Config:
        unique = ["id_number"]
        coerce = True


class VisitLine(RiskAssessment):
    """A child's visit schedule: the last visit, the interval of the risk level, the due date and status."""

    last_visit_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    visitor: Series[str] = pa.Field(nullable=True)
    interval_days: Series[int] = pa.Field(gt=0)
    due_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    visit_status: Series[str] = pa.Field(isin=list(VISIT_STATUSES))
    days_overdue: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=1)


def _isin(s: pd.Series, values: object) -> pd.Series:
    return s.astype("string").isin(list(values)).fillna(False).astype(bool)  # type: ignore[call-overload]


def _join(parts: list[tuple[pd.Series, pd.Series | str]], index: pd.Index) -> pd.Series:
    """Join the texts of the masks that hold with ；, column-wise (a handful of factors)."""
    out = np.full(len(index), "", dtype=object)
    for mask, text in parts:
        m = mask.to_numpy(dtype=bool)
        t = text.to_numpy(dtype=object) if isinstance(text, pd.Series) else text
        out = np.where(m & (out == ""), t, np.where(m, out + _SEP + t, out))
    return pd.Series(out, index=index, dtype="string")


def risk_levels(
    people: pd.DataFrame, on: dt.date, params: ParameterSet | None = None
) -> DataFrame[RiskAssessment]:
    """The risk level of every left-behind child under 16 on ``on`` (see the module docstring)."""
    params = params or load_parameters()
    kids = left_behind_children(people, on, params)
    grade, health = kids["guardianship_grade"].astype("string"), kids["health"].astype("string")
    disability, schooling = kids["disability_grade"].astype("string"), kids["schooling"].astype("string")
    found = gaps(people, on, params)
    urgent = kids["id_number"].isin(found.loc[found["severity"] == "紧急", "id_number"])
    to_fix = kids["id_number"].isin(found.loc[found["severity"] == "需整改", "id_number"])

    def v(name: str) -> object:
        return params.value(f"visits.{name}", on)

    high = [
        (_isin(grade, v("high_risk_grades")), "监护情况" + grade.fillna("")),
        (_isin(schooling, v("high_risk_schooling")), "就学情况" + schooling.fillna("")),
        (_isin(disability, v("high_risk_disability_grades")), "残疾" + disability.fillna("")),
        (urgent, "无人监护"),
    ]
    medium = [
        (_isin(grade, v("medium_risk_grades")), "监护情况" + grade.fillna("")),
        (_isin(schooling, v("medium_risk_schooling")), "就学情况" + schooling.fillna("")),
        (_isin(health, v("medium_risk_health")) | disability.notna(), "健康状况" + health.fillna("残疾")),
        (to_fix, "委托监护有问题"),
    ]
    unknown = [
        (grade.isna(), "监护情况未采集"),
        (health.isna(), "健康状况未采集"),
        (schooling.isna(), "就学情况未采集"),
    ]
    is_high = np.logical_or.reduce([m.to_numpy(dtype=bool) for m, _ in high])
    is_medium = np.logical_or.reduce([m.to_numpy(dtype=bool) for m, _ in medium])
    is_unknown = np.logical_or.reduce([m.to_numpy(dtype=bool) for m, _ in unknown])
    level = np.select([is_high, is_medium, is_unknown], ["高", "中", "待评估"], default="低")
    reasons = pd.Series(
        np.select(
            [is_high, is_medium, is_unknown],
            [_join(high, kids.index).to_numpy(dtype=object), _join(medium, kids.index).to_numpy(dtype=object),
             _join(unknown, kids.index).to_numpy(dtype=object)],
            default="无风险因素",
        ),
        index=kids.index,
    )  # fmt: skip
    cols = ["id_number", "name", "sex", "township_code", "township", "village_code", "village", "age",
            "guardianship_grade", "health", "disability_grade", "schooling"]  # fmt: skip
    out = kids[cols].copy()
    out["risk_level"] = level
    out["risk_reasons"] = reasons
    out = out.sort_values(["township_code", "village_code", "id_number"]).reset_index(drop=True)
    return RiskAssessment.validate(out, lazy=True)


def visit_schedule(
    people: pd.DataFrame, as_of: dt.date, params: ParameterSet | None = None
) -> DataFrame[VisitLine]:
    """Every left-behind child with their risk level, last visit, due date and visit status on ``as_of``."""
    params = params or load_parameters()
    risk = risk_levels(people, as_of, params)
    visits = people.set_index("id_number")[["last_visit_date", "visitor"]]
    out = risk.join(visits, on="id_number")
    intervals = {
        lv: int(params.value(f"visits.interval_days.{key}", as_of)) for lv, key in LEVEL_KEYS.items()
    }
    out["interval_days"] = out["risk_level"].map(intervals).astype("int64")
    last = pd.to_datetime(out["last_visit_date"])
    due = last + pd.to_timedelta(out["interval_days"], unit="D")
    day = pd.Timestamp(as_of)
    status = np.select(
        [last.isna().to_numpy(), (last > day).to_numpy(), (due < day).to_numpy()],
        ["无走访记录", "日期有误", "逾期"],
        default="按期",
    )
    out["due_date"] = due
    out["visit_status"] = status
    late = (day - due).dt.days
    out["days_overdue"] = late.where(pd.Series(status == "逾期", index=out.index)).astype("Int64")
    return VisitLine.validate(out, lazy=True)


def overdue_visits(
    people: pd.DataFrame, as_of: dt.date, params: ParameterSet | None = None
) -> DataFrame[VisitLine]:
    """The children to visit now: 逾期, 无走访记录 and 日期有误, highest risk and longest overdue first."""
    schedule = visit_schedule(people, as_of, params)
    todo = schedule[schedule["visit_status"] != "按期"]
    rank = todo["risk_level"].map({lv: i for i, lv in enumerate(LEVELS)})
    todo = todo.assign(_rank=rank, _late=todo["days_overdue"].fillna(10**6))
    todo = todo.sort_values(
        ["_rank", "_late", "township_code", "village_code"], ascending=[True, False, True, True]
    )
    return VisitLine.validate(todo.drop(columns=["_rank", "_late"]).reset_index(drop=True))


__all__ = ["LEVELS", "RiskAssessment", "VisitLine", "overdue_visits", "risk_levels", "visit_schedule"]
