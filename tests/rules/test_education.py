"""教育救助: who qualifies in a term, the annual standard by stage and boarding, and why not."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from person_frames import person_frame

from liushou_core.errors import ConfigError
from liushou_core.rules.education import EducationLine, assistance_list, household_has


def assess(term: str, **facts: Any) -> pd.Series:
    """The list row of one child born in 2008 with the given facts."""
    lines = assistance_list(person_frame([{"birth_date": "2008-05-03", **facts}]), term)
    assert len(lines) == 1
    return lines.iloc[0]


CASES = [
    pytest.param("2018秋季", {"household_economy": "低保户", "schooling": "小学", "boarding": "是"}, "符合", 1000,
                 id="a primary boarder from a 低保户 household gets 1000 a year"),
    pytest.param("2018秋季", {"household_economy": "建档立卡贫困户", "schooling": "初中", "boarding": "是"}, "符合", 1250,
                 id="a junior-secondary boarder from a registered poor household gets 1250 a year"),
    pytest.param("2018秋季", {"household_economy": "建档困难职工", "schooling": "高中"}, "符合", 2000,
                 id="a senior-secondary student of a registered hardship worker gets 2000 whether boarding or not"),
    pytest.param("2018秋季", {"household_economy": "特困供养", "schooling": "中职"}, "符合", 2000,
                 id="a vocational student supported as 特困 gets 2000"),
    pytest.param("2018秋季", {"household_economy": "孤儿", "schooling": "学前"}, "符合", 1000,
                 id="an orphan in pre-school gets the local pre-school amount"),
    pytest.param("2018秋季", {"household_economy": "一般", "health": "残疾", "schooling": "小学", "boarding": "是"},
                 "符合", 1000, id="a disabled boarder qualifies whatever the household economy"),
    pytest.param("2018秋季", {"household_economy": "一般", "disability_grade": "二级", "schooling": "初中", "boarding": "是"},
                 "符合", 1250, id="a recorded disability grade is enough to count as disabled"),
    pytest.param("2018秋季", {"household_economy": "建档立卡贫困户、低保户", "schooling": "小学", "boarding": "是"}, "符合", 1000,
                 id="a household with two qualifying statuses is paid once"),
    # non-boarders: only from the 2019 autumn term
    pytest.param("2019春季", {"household_economy": "低保户", "schooling": "小学", "boarding": "否"}, "不符合", 0,
                 id="a primary day pupil from a 低保户 household gets nothing in spring 2019"),
    pytest.param("2019-08-31", {"household_economy": "低保户", "schooling": "初中", "boarding": "否"}, "不符合", 0,
                 id="a junior day pupil gets nothing in a term starting the day before 1 September 2019"),
    pytest.param("2019秋季", {"household_economy": "低保户", "schooling": "小学", "boarding": "否"}, "符合", 500,
                 id="a primary day pupil from a 低保户 household gets 500 from autumn 2019"),
    pytest.param("2019秋季", {"household_economy": "低保户", "schooling": "初中", "boarding": "否"}, "符合", 625,
                 id="a junior day pupil from a 低保户 household gets 625 from autumn 2019"),
    # not qualifying
    pytest.param("2018秋季", {"household_economy": "一般", "schooling": "小学", "boarding": "是"}, "不符合", 0,
                 id="a boarder from an ordinary household does not qualify"),
    pytest.param("2018秋季", {"household_economy": "低保户", "schooling": "辍学"}, "不符合", 0,
                 id="a dropout is not on the school list even from a 低保户 household"),
    pytest.param("2018秋季", {"household_economy": "低保户", "schooling": "不在学"}, "不符合", 0,
                 id="a child not in school is not on the school list"),
    # not collected is not no
    pytest.param("2018秋季", {"schooling": "小学", "boarding": "是"}, "待核实", 0,
                 id="a boarder whose household economy was not collected is to be verified"),
    pytest.param("2018秋季", {"household_economy": "低保户", "schooling": "小学"}, "待核实", 0,
                 id="a 低保户 primary pupil whose boarding was not collected is to be verified"),
    pytest.param("2018秋季", {"household_economy": "低保户"}, "待核实", 0,
                 id="a child of a 低保户 household whose schooling was not collected is to be verified"),
    pytest.param("2018秋季", {"household_economy": "低保户", "schooling": "高中"}, "符合", 2000,
                 id="boarding does not matter where the amount is the same for boarders and day students"),
]  # fmt: skip


@pytest.mark.parametrize(("term", "facts", "status", "amount"), CASES)
def test_education_assistance_follows_the_rule(
    term: str, facts: dict[str, Any], status: str, amount: int
) -> None:
    row = assess(term, **facts)
    assert (row["status"], row["amount"]) == (status, amount)
    assert row["reason"]
    assert row["reference"]


def test_the_reason_of_an_eligible_student_names_the_basis_and_the_stage() -> None:
    row = assess("2018秋季", household_economy="低保户", schooling="初中", boarding="是")
    assert row["basis"] == "低保户"
    assert "初中寄宿生" in row["reason"] and "1250" in row["reason"]
    assert row["term"] == "2018年秋季学期"


def test_an_ordinary_adult_without_schooling_is_not_listed() -> None:
    people = person_frame([{"birth_date": "1950-01-01", "household_economy": "一般"}])
    assert assistance_list(people, "2018秋季").empty


def test_the_list_validates_and_only_eligible_rows_carry_money() -> None:
    people = person_frame(
        [
            {
                "birth_date": "2008-01-01",
                "household_economy": "低保户",
                "schooling": "小学",
                "boarding": "是",
            },
            {"birth_date": "2006-01-01", "household_economy": "一般", "schooling": "初中", "boarding": "是"},
            {"birth_date": "2007-01-01", "schooling": "小学", "boarding": "否"},
        ]
    )
    lines = EducationLine.validate(assistance_list(people, "2018秋季"))
    assert lines.loc[lines["status"] == "符合", "amount"].gt(0).all()
    assert lines.loc[lines["status"] != "符合", "amount"].eq(0).all()
    assert lines["eligible"].isna().sum() == 1


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        pytest.param("低保户", True, id="a single value matches"),
        pytest.param("建档立卡贫困户、低保户", True, id="a value in a list matches"),
        pytest.param("非低保户", False, id="a longer word containing the value does not match"),
        pytest.param(None, False, id="a missing cell does not match"),
    ],
)
def test_household_values_are_matched_as_whole_items(cell: str | None, expected: bool) -> None:
    assert household_has(pd.Series([cell], dtype="string"), "低保户").tolist() == [expected]


def test_an_unreadable_term_is_refused() -> None:
    with pytest.raises(ConfigError, match="2018秋季"):
        assistance_list(person_frame([{"birth_date": "2008-01-01"}]), "autumn")


def test_a_child_born_after_the_term_began_is_not_on_that_terms_list() -> None:
    baby = person_frame(
        [
            {
                "birth_date": "2017-10-10",
                "household_economy": "低保户",
                "schooling": "学前",
                "category": "留守儿童",
            }
        ]
    )
    assert assistance_list(baby, "2017秋季").empty
    assert len(assistance_list(baby, "2018春季")) == 1
