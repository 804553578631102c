"""高龄补贴: the payroll rule at every boundary, the year view with arrears, and the ``liushou payroll`` command.

Standard (params/allowances/old_age_monthly.yaml): 80–89 → 25, 90–99 → 120, 100+ → 350 yuan per month,
from 2017-01-01. Start rule (old_age_start_rule.yaml): next_month — a tier is paid from the month after the
month in which the person reaches its age.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from person_frames import person_frame

from liushou_core.errors import ParameterError
from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.paths import params_dir
from liushou_core.rules.allowances import PayrollLine, age_cutoff, payroll


def paid(birth: str, month: str, params: ParameterSet | None = None) -> int:
    """What one person born on ``birth`` is paid in ``month`` (0 if not on the payroll)."""
    lines = payroll(person_frame([{"birth_date": birth}]), month, params)
    return int(lines["amount"].sum())


MONTHLY = [
    # 79/80
    pytest.param("1938-03-01", "2018-03", 0, id="a person who turns 80 on 1 March 2018 is not paid in March"),
    pytest.param("1938-03-01", "2018-04", 25, id="a person who turns 80 on 1 March 2018 is first paid in April"),
    pytest.param("1938-03-31", "2018-03", 0, id="a person who turns 80 on 31 March 2018 is not paid in March"),
    pytest.param("1938-03-31", "2018-04", 25, id="a person who turns 80 on 31 March 2018 is first paid in April"),
    pytest.param("1938-04-01", "2018-04", 0, id="a person who turns 80 on 1 April 2018 is not paid in April"),
    pytest.param("1938-04-01", "2018-05", 25, id="a person who turns 80 on 1 April 2018 is first paid in May"),
    pytest.param("1938-12-31", "2018-12", 0, id="a person who turns 80 on New Year's Eve is not paid in December"),
    pytest.param("1938-12-31", "2019-01", 25, id="a person who turns 80 on New Year's Eve is paid from January"),
    pytest.param("1939-06-15", "2018-06", 0, id="a person aged 79 is not paid"),
    # 89/90
    pytest.param("1928-03-15", "2018-03", 25, id="a person who turns 90 in March 2018 is paid 25 in March"),
    pytest.param("1928-03-15", "2018-04", 120, id="a person who turns 90 in March 2018 is paid 120 from April"),
    pytest.param("1928-03-01", "2018-03", 25, id="a person who turns 90 on the first day of March still gets 25 in March"),
    pytest.param("1928-02-28", "2018-03", 120, id="a person who turns 90 on the last day of February gets 120 in March"),
    # 99/100
    pytest.param("1918-03-15", "2018-03", 120, id="a person who turns 100 in March 2018 is paid 120 in March"),
    pytest.param("1918-03-15", "2018-04", 350, id="a person who turns 100 in March 2018 is paid 350 from April"),
    pytest.param("1910-07-01", "2018-04", 350, id="a person aged 107 is paid the 100-and-over amount"),
    # 29 February: the birthday is reached on 1 March in a year without 29 February
    pytest.param("1928-02-29", "2018-03", 25,
                 id="a person born on 29 February 1928 turns 90 on 1 March 2018 and still gets 25 in March"),
    pytest.param("1928-02-29", "2018-04", 120,
                 id="a person born on 29 February 1928 gets 120 from April 2018"),
    pytest.param("1940-02-29", "2020-02", 0,
                 id="a person born on 29 February 1940 turns 80 on 29 February 2020 and is not paid in February"),
    pytest.param("1940-02-29", "2020-03", 25,
                 id="a person born on 29 February 1940 is first paid in March 2020"),
    # the effective date of the standard
    pytest.param("1930-05-05", "2017-01", 25, id="an 86-year-old is paid from January 2017, when the standard starts"),
]  # fmt: skip


@pytest.mark.parametrize(("birth", "month", "amount"), MONTHLY)
def test_the_monthly_amount_follows_the_next_month_rule(birth: str, month: str, amount: int) -> None:
    assert paid(birth, month) == amount


def test_there_is_no_payroll_before_the_standard_came_into_force() -> None:
    with pytest.raises(ParameterError, match="尚未生效"):
        paid("1930-05-05", "2016-12")


@pytest.fixture
def params_copy(tmp_path: Path) -> Path:
    root = tmp_path / "params"
    shutil.copytree(params_dir() / "allowances", root / "allowances")
    return root


def set_start_rule(root: Path, rule: str) -> ParameterSet:
    path = root / "allowances" / "old_age_start_rule.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("value: next_month", f"value: {rule}"), encoding="utf-8"
    )
    return load_parameters(root)


SAME_MONTH = [
    pytest.param("1938-04-01", "2018-04", 25, id="under the same-month rule a person turning 80 on 1 April is paid in April"),
    pytest.param("1938-04-30", "2018-04", 25, id="under the same-month rule a person turning 80 on 30 April is paid in April"),
    pytest.param("1938-05-01", "2018-04", 0, id="under the same-month rule a person turning 80 on 1 May is not paid in April"),
    pytest.param("1928-04-15", "2018-04", 120, id="under the same-month rule the 90–99 amount is paid in the birthday month"),
]  # fmt: skip


@pytest.mark.parametrize(("birth", "month", "amount"), SAME_MONTH)
def test_the_same_month_rule_pays_the_birthday_month(
    params_copy: Path, birth: str, month: str, amount: int
) -> None:
    assert paid(birth, month, set_start_rule(params_copy, "same_month")) == amount


def change_amount(root: Path, start: str, new_amount: int) -> ParameterSet:
    """Give the 80–89 tier a new amount from ``start``."""
    path = root / "allowances" / "old_age_monthly.yaml"
    text = path.read_text(encoding="utf-8")
    old = "      2017-01-01: {value: 25, reference: *reply, assumption: true, note: *start}\n"
    assert old in text
    new = old + f"      {start}: {{value: {new_amount}, reference: *reply, assumption: true, note: *start}}\n"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_parameters(root)


NEW_STANDARD = [
    pytest.param("2019-01-01", "2018-12", 25, id="a new standard from 1 January 2019 does not change the December 2018 payroll"),
    pytest.param("2019-01-01", "2019-01", 30, id="a new standard from 1 January 2019 is paid in January 2019"),
    pytest.param("2019-01-02", "2019-01", 25, id="a standard that changes on 2 January is not yet paid in January"),
    pytest.param("2019-01-02", "2019-02", 30, id="a standard that changes on 2 January is paid from February"),
]  # fmt: skip


@pytest.mark.parametrize(("start", "month", "amount"), NEW_STANDARD)
def test_the_standard_in_force_on_the_first_day_of_the_month_is_paid(
    params_copy: Path, start: str, month: str, amount: int
) -> None:
    assert paid("1933-06-06", month, change_amount(params_copy, start, 30)) == amount


CUTOFFS = [
    pytest.param("2018-04", "next_month", dt.date(2018, 3, 31), id="next month: the age on the last day of the month before"),
    pytest.param("2018-03", "next_month", dt.date(2018, 2, 28), id="next month: February's last day in a common year"),
    pytest.param("2020-03", "next_month", dt.date(2020, 2, 29), id="next month: February's last day in a leap year"),
    pytest.param("2018-01", "next_month", dt.date(2017, 12, 31), id="next month: January looks at the previous December"),
    pytest.param("2018-04", "same_month", dt.date(2018, 4, 30), id="same month: the age on the month's own last day"),
]  # fmt: skip


@pytest.mark.parametrize(("month", "rule", "cutoff"), CUTOFFS)
def test_the_age_that_decides_a_month_is_taken_at_the_rule_cutoff(
    month: str, rule: str, cutoff: dt.date
) -> None:
    assert age_cutoff(month, rule) == cutoff


def test_an_unknown_start_rule_is_refused() -> None:
    with pytest.raises(ParameterError, match="next_month"):
        age_cutoff("2018-04", "whenever")


def test_a_payroll_line_shows_the_age_at_the_cutoff_not_the_register_age() -> None:
    people = person_frame([{"birth_date": "1928-03-15"}])  # register age at 2017-12-31: 89
    lines = payroll(people, "2018-04")
    assert lines.loc[0, "age"] == 90
    assert lines.loc[0, "tier"] == "90–99岁"
    assert lines.loc[0, "month"] == "2018-04"
    assert "71号提案" in lines.loc[0, "reference"]


def test_everyone_over_80_is_paid_once_whatever_their_category() -> None:
    people = person_frame(
        [
            {"birth_date": "1930-01-01", "category": "留守老人"},
            {
                "birth_date": "1931-01-01",
                "category": "留守妇女",
                "sex": "女",
            },  # a data error, but the ID says 87
            {"birth_date": "1950-01-01"},
            {"birth_date": "2010-01-01"},
        ]
    )
    lines = payroll(people, "2018-04")
    assert sorted(lines["id_number"]) == sorted(people["id_number"][:2])
    PayrollLine.validate(lines)


def test_an_empty_register_gives_an_empty_payroll() -> None:
    lines = payroll(person_frame([{"birth_date": "1990-01-01"}]).head(0), "2018-04")
    assert lines.empty and list(lines.columns) == list(PayrollLine.to_schema().columns)


def _reference_amount(birth: dt.date, month: str) -> int:
    """The rule written out for one person with plain dates, to check the vectorised payroll against."""
    y, m = int(month[:4]), int(month[5:])
    cutoff = dt.date(y, m, 1) - dt.timedelta(days=1)
    try:
        birthday = birth.replace(year=cutoff.year)
    except ValueError:  # 29 February in a common year is reached on 1 March
        birthday = dt.date(cutoff.year, 3, 1)
    age = cutoff.year - birth.year - (birthday > cutoff)
    return 350 if age >= 100 else 120 if age >= 90 else 25 if age >= 80 else 0


@settings(max_examples=20, deadline=None)
@given(
    births=st.lists(st.dates(dt.date(1905, 1, 1), dt.date(1945, 12, 31)), min_size=1, max_size=30),
    month=st.sampled_from(["2017-01", "2018-03", "2018-04", "2019-12", "2020-03"]),
)
def test_the_payroll_agrees_with_the_rule_written_out_person_by_person(
    births: list[dt.date], month: str
) -> None:
    people = person_frame([{"birth_date": b} for b in births])
    lines = payroll(people, month).set_index("id_number")["amount"]
    for pid, birth in zip(people["id_number"], births, strict=True):
        assert int(lines.get(pid, 0)) == _reference_amount(birth, month)


def test_the_roster_lists_groups_in_numeric_order() -> None:
    rows = [
        {
            "birth_date": "1930-01-01",
            "group": g,
            "township_code": "510923102",
            "township": "回马镇",
            "village_code": "510923102204",
            "village": "团结村委会",
        }
        for g in ("10组", "2组", "1")
    ]
    lines = payroll(person_frame(rows), "2018-01")
    assert lines["group"].tolist() == ["1", "2组", "10组"]
