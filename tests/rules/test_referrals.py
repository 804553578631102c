"""Referrals: people whose recorded circumstances qualify them for help they are not recorded as receiving."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from person_frames import make_id, person_frame

from liushou_core.errors import ConfigError
from liushou_core.rules.referrals import NO_LIST, NOT_IN_LIST, PROGRAMS, ReferralLine, referrals

ON = dt.date(2018, 10, 1)  # in the 2018 autumn term
SETTLED = {
    "father_status": "外出务工", "mother_status": "外出务工", "guardian_name": "王奶奶", "guardian_relation": "祖母",
    "guardian_id_number": make_id(dt.date(1955, 3, 3), "女", 31), "agreement_signed": "已签订",
    "guardianship_grade": "较好", "health": "健康", "schooling": "小学", "boarding": "否", "household_economy": "一般",
}  # fmt: skip


def programs(birth: str = "2008-05-03", **facts: Any) -> set[str]:
    people = person_frame([{"birth_date": birth, **SETTLED, **facts}])
    return set(referrals(people, ON)["program"])


CASES = [
    pytest.param({}, set(), id="a child with nothing recorded that calls for help is not referred"),
    pytest.param({"household_economy": "低保户", "health": "残疾", "disability_grade": "二级", "boarding": "是"},
                 {"difficult_child", "education_assistance", "severe_disability_care", "disability_living"},
                 id="a disabled boarder from a 低保户 household is referred to every program they qualify for"),
    pytest.param({"household_economy": "低保户"}, {"difficult_child"},
                 id="a day pupil from a 低保户 household is a 困境儿童 but not yet due a day-pupil subsidy in 2018"),
    pytest.param({"health": "残疾", "disability_grade": "三级"}, {"difficult_child"},
                 id="a child with a grade-three disability is a 困境儿童 but not due the severe-disability care subsidy"),
    pytest.param({"guardianship_grade": "差"}, {"difficult_child"},
                 id="a child whose guardianship is graded 差 is a 困境儿童"),
    pytest.param({"father_status": "死亡", "mother_status": "死亡", "household_economy": "孤儿", "boarding": "是"},
                 {"education_assistance"},
                 id="a recorded orphan boarder is referred for education assistance"),
    pytest.param({"schooling": "辍学", "boarding": None}, {"school_return"},
                 id="a child who dropped out of compulsory school is referred back to school"),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "expected"), CASES)
def test_referrals_follow_the_rules(facts: dict[str, Any], expected: set[str]) -> None:
    assert programs(**facts) == expected


def test_an_adult_with_a_severe_disability_is_referred_for_the_care_subsidy_only() -> None:
    assert programs(
        "1960-01-01", category="留守老人", health="残疾", disability_grade="一级", schooling=None
    ) == {"severe_disability_care"}


def test_a_given_list_of_recipients_removes_those_already_receiving() -> None:
    people = person_frame(
        [
            {"birth_date": "2008-01-01", **SETTLED, "health": "残疾", "disability_grade": "一级"},
            {"birth_date": "2009-01-01", **SETTLED, "health": "残疾", "disability_grade": "二级"},
        ]
    )
    found = referrals(people, ON, receiving={"severe_disability_care": [people.loc[0, "id_number"]]})
    care = found[found["program"] == "severe_disability_care"]
    assert list(care["id_number"]) == [people.loc[1, "id_number"]]
    assert set(care["recorded"]) == {NOT_IN_LIST}
    assert set(found.loc[found["program"] == "difficult_child", "recorded"]) == {NO_LIST}


def test_the_old_age_allowance_is_checked_only_against_a_given_payroll() -> None:
    people = person_frame([{"birth_date": "1930-01-01"}, {"birth_date": "1931-01-01"}])
    assert referrals(people, ON).empty
    found = referrals(people, ON, receiving={"old_age_allowance": [people.loc[0, "id_number"]]})
    assert list(found["id_number"]) == [people.loc[1, "id_number"]]
    assert found.iloc[0]["basis"].startswith("2018-10 应发：80–89岁")


def test_every_referral_says_why_what_to_do_and_on_what_authority() -> None:
    people = person_frame(
        [{"birth_date": "2008-01-01", **SETTLED, "household_economy": "低保户", "boarding": "是"}]
    )
    found = ReferralLine.validate(referrals(people, ON))
    assert found["basis"].str.len().gt(0).all()
    assert found["action"].str.len().gt(0).all()
    assert found["reference"].str.len().gt(0).all()
    edu = found[found["program"] == "education_assistance"].iloc[0]
    assert edu["basis"].startswith("2018秋季：低保户")


def test_an_unknown_program_in_the_recipients_is_refused() -> None:
    with pytest.raises(ConfigError, match="未知的帮扶项目"):
        referrals(person_frame([{"birth_date": "2008-01-01"}]), ON, receiving={"dibao": []})


# --- issue 13, defect 6: no rule that cannot fire; defect 7: each referral cites its own document --------------


def test_there_is_no_orphan_referral_because_no_orphan_reaches_the_register() -> None:
    # A child whose parents both died is never a 留守儿童 (13号 needs a parent away), so the register holds no
    # such child; classification sends them to the pending list with an orphan hint instead (test_classify).
    assert "orphan_allowance" not in PROGRAMS


def test_the_school_return_referral_cites_the_compulsory_education_law_not_13hao() -> None:
    people = person_frame([{"birth_date": "2008-05-03", **SETTLED, "schooling": "辍学", "boarding": None}])
    found = referrals(people, ON)
    ref = found.loc[found["program"] == "school_return", "reference"].iloc[0]
    assert "13号" not in ref and "义务教育法" in ref
