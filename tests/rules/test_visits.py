"""分层分级 and home visits: a risk level per left-behind child, and who is overdue for a visit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import pytest
from person_frames import make_id, person_frame

from liushou_core.parameters import load_parameters
from liushou_core.rules.visits import VisitLine, overdue_visits, risk_levels, visit_schedule

ON = dt.date(2018, 3, 1)
# A child with nothing worrying recorded: parents away, an adult delegate, a signed agreement.
SETTLED = {
    "father_status": "外出务工", "mother_status": "外出务工", "guardian_name": "王奶奶", "guardian_relation": "祖母",
    "guardian_id_number": make_id(dt.date(1955, 3, 3), "女", 31), "agreement_signed": "已签订",
    "guardianship_grade": "较好", "health": "健康", "schooling": "小学",
}  # fmt: skip


def level(**facts: Any) -> str:
    people = person_frame([{"birth_date": "2008-05-03", "category": "留守儿童", **SETTLED, **facts}])
    return str(risk_levels(people, ON).iloc[0]["risk_level"])


LEVEL_CASES = [
    pytest.param({}, "低", id="a well-guarded healthy pupil is low risk"),
    pytest.param({"guardianship_grade": "差"}, "高", id="a child whose guardianship is graded 差 is high risk"),
    pytest.param({"schooling": "辍学"}, "高", id="a child who dropped out of compulsory school is high risk"),
    pytest.param({"health": "残疾", "disability_grade": "一级"}, "高", id="a child with a grade-one disability is high risk"),
    pytest.param({"guardian_name": None, "guardian_id_number": None}, "高",
                 id="a child with no delegate while both parents are away is high risk"),
    pytest.param({"guardianship_grade": "一般"}, "中", id="a child whose guardianship is graded 一般 is medium risk"),
    pytest.param({"health": "患病"}, "中", id="a seriously ill child is medium risk"),
    pytest.param({"health": "残疾", "disability_grade": "三级"}, "中", id="a child with a grade-three disability is medium risk"),
    pytest.param({"schooling": "不在学"}, "中", id="a child aged 14–16 not in school is medium risk"),
    pytest.param({"agreement_signed": "未签订"}, "中", id="a child without a signed agreement is medium risk"),
    pytest.param({"guardianship_grade": None}, "待评估", id="a child whose guardianship was not assessed is to be assessed"),
    pytest.param({"health": None}, "待评估", id="a child whose health was not collected is to be assessed"),
    pytest.param({"guardianship_grade": None, "health": "患病"}, "中",
                 id="a known medium-risk fact outranks a missing one"),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "expected"), LEVEL_CASES)
def test_the_risk_level_follows_the_rule(facts: dict[str, Any], expected: str) -> None:
    assert level(**facts) == expected


def test_the_reasons_name_every_factor_found() -> None:
    people = person_frame(
        [{"birth_date": "2008-05-03", **SETTLED, "guardianship_grade": "差", "schooling": "辍学"}]
    )
    reasons = risk_levels(people, ON).iloc[0]["risk_reasons"]
    assert "监护情况差" in reasons and "就学情况辍学" in reasons


def schedule(last_visit: str | None, as_of: dt.date, **facts: Any) -> pd.Series:
    people = person_frame([{"birth_date": "2008-05-03", **SETTLED, **facts, "last_visit_date": last_visit}])
    return visit_schedule(people, as_of).iloc[0]


VISIT_CASES = [
    # high risk: every 30 days (a placeholder county setting)
    pytest.param("2018-01-30", dt.date(2018, 3, 1), {"guardianship_grade": "差"}, "按期", None,
                 id="a high-risk child visited 30 days ago is on time"),
    pytest.param("2018-01-29", dt.date(2018, 3, 1), {"guardianship_grade": "差"}, "逾期", 1,
                 id="a high-risk child visited 31 days ago is one day overdue"),
    # low risk: every 180 days
    pytest.param("2017-09-02", dt.date(2018, 3, 1), {}, "按期", None,
                 id="a low-risk child visited 180 days ago is on time"),
    pytest.param("2017-09-01", dt.date(2018, 3, 1), {}, "逾期", 1,
                 id="a low-risk child visited 181 days ago is one day overdue"),
    # medium risk: every 90 days
    pytest.param("2017-10-01", dt.date(2018, 3, 1), {"guardianship_grade": "一般"}, "逾期", 61,
                 id="a medium-risk child last visited on 1 October 2017 is 61 days overdue on 1 March 2018"),
    pytest.param(None, dt.date(2018, 3, 1), {}, "无走访记录", None, id="a child never visited has no visit record"),
    pytest.param("2018-03-02", dt.date(2018, 3, 1), {}, "日期有误", None,
                 id="a visit dated after the checking date is a date error"),
]  # fmt: skip


@pytest.mark.parametrize(("last_visit", "as_of", "facts", "status", "days"), VISIT_CASES)
def test_visits_are_due_within_the_interval_of_the_risk_level(
    last_visit: str | None, as_of: dt.date, facts: dict[str, Any], status: str, days: int | None
) -> None:
    row = schedule(last_visit, as_of, **facts)
    assert row["visit_status"] == status
    assert (None if pd.isna(row["days_overdue"]) else int(row["days_overdue"])) == days


def test_the_overdue_list_puts_the_highest_risk_and_longest_wait_first() -> None:
    people = person_frame(
        [
            {"birth_date": "2008-01-01", **SETTLED, "last_visit_date": "2017-01-01"},  # low, long overdue
            {
                "birth_date": "2008-01-01",
                **SETTLED,
                "guardianship_grade": "差",
                "last_visit_date": "2018-01-01",
            },
            {
                "birth_date": "2008-01-01",
                **SETTLED,
                "guardianship_grade": "差",
                "last_visit_date": "2017-12-01",
            },
            {"birth_date": "2008-01-01", **SETTLED, "last_visit_date": "2018-02-01"},  # on time
        ]
    )
    todo = VisitLine.validate(overdue_visits(people, ON))
    assert list(todo["id_number"]) == list(people["id_number"].iloc[[2, 1, 0]])


def test_the_visit_intervals_cite_section_two_four_of_the_county_reply() -> None:
    for level in ("high", "medium", "low", "unassessed"):
        ref = load_parameters().reference(f"visits.interval_days.{level}", "2018-01-01")
        assert ref is not None and ref.article is not None and ref.article.startswith("二、（四）")
