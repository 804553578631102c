"""委托监护: every left-behind child needs an adult, present delegate and a signed 确认书; 无人监护 is an alert."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from person_frames import make_id, person_frame

from liushou_core.rules.guardianship import GuardianshipGap, gaps, hard_alerts

ON = dt.date(2018, 1, 1)
ADULT_ID = make_id(dt.date(1955, 3, 3), "女", 31)
AWAY = {"father_status": "外出务工", "mother_status": "外出务工"}
SIGNED_WITH_GRANDMOTHER = {"guardian_name": "王奶奶", "guardian_relation": "祖母", "guardian_id_number": ADULT_ID,
                           "agreement_signed": "已签订"}  # fmt: skip


def problems(**facts: Any) -> set[str]:
    people = person_frame([{"birth_date": "2008-05-03", "category": "留守儿童", **facts}])
    return set(gaps(people, ON)["problem"])


CASES = [
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER}, set(),
                 id="a child with a signed agreement and an adult grandmother as delegate has no gap"),
    pytest.param({**AWAY, "agreement_signed": "已签订"}, {"no_guardian"},
                 id="a child whose parents are both away and who has no delegate is unguarded"),
    pytest.param({**AWAY, "guardian_name": "无", "agreement_signed": "已签订"}, {"no_guardian"},
                 id="a delegate written as 无 is no delegate"),
    pytest.param({"father_status": "外出务工", "mother_status": "无监护能力", "agreement_signed": "已签订"}, set(),
                 id="a child living with a parent without guardianship capacity is not alone"),
    pytest.param({"father_status": "外出务工", "agreement_signed": "已签订"}, set(),
                 id="a child whose mother's status was not collected is not declared unguarded"),
    pytest.param({"father_status": "死亡", "mother_status": "外出务工", "agreement_signed": "已签订"}, {"no_guardian"},
                 id="a child whose father died and whose mother is away with no delegate is unguarded"),
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER, "agreement_signed": "未签订"}, {"agreement_unsigned"},
                 id="an unsigned agreement is listed"),
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER, "agreement_signed": None}, {"agreement_not_collected"},
                 id="a blank agreement column is listed apart as not collected"),
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER, "guardian_relation": "母亲"}, {"delegate_absent_parent"},
                 id="a delegation to the child's own mother who is away is void"),
    pytest.param({"father_status": "外出务工", "mother_status": "无监护能力", **SIGNED_WITH_GRANDMOTHER,
                  "guardian_relation": "母亲"}, {"delegate_absent_parent"},
                 id="a delegation to the mother without guardianship capacity is void"),
    pytest.param({"father_status": "外出务工", "mother_status": "在家", **SIGNED_WITH_GRANDMOTHER,
                  "guardian_relation": "母亲"}, set(),
                 id="the mother at home may be named as the one caring for the child"),
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER, "guardian_id_number": make_id(dt.date(2000, 1, 1), "男", 5)},
                 set(), id="a delegate who turned 18 on the checking date is an adult"),
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER, "guardian_id_number": make_id(dt.date(2000, 1, 2), "男", 5)},
                 {"delegate_minor"}, id="a delegate who turns 18 the day after the checking date is a minor"),
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER, "guardian_id_number": ADULT_ID[:-1] + ("0" if ADULT_ID[-1] != "0" else "1")},
                 {"delegate_id_invalid"}, id="a delegate ID with a wrong check digit is invalid"),
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER, "guardian_id_number": "5109231955"},
                 {"delegate_id_invalid"}, id="a delegate ID that is too short is invalid"),
    pytest.param({**AWAY, **SIGNED_WITH_GRANDMOTHER, "guardian_id_number": None},
                 {"delegate_id_missing"}, id="a named delegate without an ID number is to be verified"),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "expected"), CASES)
def test_guardianship_gaps_follow_the_rule(facts: dict[str, Any], expected: set[str]) -> None:
    assert problems(**facts) == expected


AGES = [
    pytest.param(
        "2002-01-02", True, id="a child who turns 16 the day after the checking date is still checked"
    ),
    pytest.param("2002-01-01", False, id="a child who turned 16 on the checking date is no longer checked"),
]


@pytest.mark.parametrize(("birth", "checked"), AGES)
def test_only_children_under_16_on_the_date_are_checked(birth: str, checked: bool) -> None:
    people = person_frame([{"birth_date": birth, "category": "留守儿童", **AWAY}])
    assert (not gaps(people, ON).empty) is checked


def test_people_of_other_categories_are_not_checked() -> None:
    people = person_frame([{"birth_date": "1950-01-01", "category": "留守老人", **AWAY}])
    assert gaps(people, ON).empty


def test_unguarded_children_come_first_as_hard_alerts() -> None:
    people = person_frame(
        [
            {"birth_date": "2008-01-01", **AWAY, **SIGNED_WITH_GRANDMOTHER, "agreement_signed": "未签订"},
            {"birth_date": "2009-01-01", **AWAY, "agreement_signed": "未签订"},
        ]
    )
    found = GuardianshipGap.validate(gaps(people, ON))
    assert found.iloc[0]["problem"] == "no_guardian" and found.iloc[0]["severity"] == "紧急"
    assert "无人监护" in found.iloc[0]["problem_label"]
    assert list(hard_alerts(found)["id_number"]) == [people.loc[1, "id_number"]]
    assert (found["problem_label"] == "未签订委托监护责任确认书").sum() == 2


def test_the_detail_tells_the_cadre_what_to_do() -> None:
    people = person_frame([{"birth_date": "2008-01-01", **AWAY, **SIGNED_WITH_GRANDMOTHER,
                            "guardian_id_number": make_id(dt.date(2003, 6, 1), "男", 9)}])  # fmt: skip
    detail = gaps(people, ON).iloc[0]["detail"]
    assert "14周岁" in detail and "未满18周岁" in detail
