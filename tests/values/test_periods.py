"""Calendar periods: payment months, school terms and completed age (周岁)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from liushou_core.errors import ConfigError
from liushou_core.values.periods import (
    AgeConvention,
    completed_age,
    month_end,
    month_label,
    month_start,
    months_of_year,
    parse_term,
    shift_month,
    term_of,
)

AGES = [
    pytest.param("1938-03-01", "2018-02-28", 79, id="the day before the 80th birthday a person is 79"),
    pytest.param("1938-03-01", "2018-03-01", 80, id="on the 80th birthday itself a person is 80"),
    pytest.param(
        "1938-02-28", "2018-02-28", 80, id="a birthday on the last day of February is reached that day"
    ),
    pytest.param(
        "1928-02-29", "2018-02-28", 89, id="a 29 February baby is still 89 on 28 February of a common year"
    ),
    pytest.param(
        "1928-02-29", "2018-03-01", 90, id="a 29 February baby turns 90 on 1 March of a common year"
    ),
    pytest.param(
        "1940-02-29", "2020-02-29", 80, id="a 29 February baby turns 80 on 29 February of a leap year"
    ),
    pytest.param("1940-02-29", "2020-02-28", 79, id="a 29 February baby is 79 the day before in a leap year"),
    pytest.param("1938-12-31", "2018-12-31", 80, id="a New Year's Eve birthday is reached on New Year's Eve"),
]


@pytest.mark.parametrize(("birth", "on", "age"), AGES)
def test_completed_age_counts_the_birthday_itself(birth: str, on: str, age: int) -> None:
    result = completed_age(pd.Series(pd.to_datetime([birth])), dt.date.fromisoformat(on))
    assert result.tolist() == [age]


def test_a_missing_birth_date_has_no_age() -> None:
    assert completed_age(pd.Series(pd.to_datetime([None])), dt.date(2018, 1, 1)).isna().all()


MONTHS = [
    pytest.param(
        "2018-02", dt.date(2018, 2, 1), dt.date(2018, 2, 28), id="February of a common year has 28 days"
    ),
    pytest.param(
        "2020-02", dt.date(2020, 2, 1), dt.date(2020, 2, 29), id="February of a leap year has 29 days"
    ),
    pytest.param("2018-12", dt.date(2018, 12, 1), dt.date(2018, 12, 31), id="December ends on the 31st"),
]


@pytest.mark.parametrize(("month", "first", "last"), MONTHS)
def test_a_month_runs_from_its_first_to_its_last_day(month: str, first: dt.date, last: dt.date) -> None:
    assert (month_start(month), month_end(month)) == (first, last)


def test_months_shift_across_years() -> None:
    assert shift_month("2018-01", -1) == "2017-12"
    assert shift_month("2017-12", 1) == "2018-01"
    assert months_of_year(2018)[0] == "2018-01" and months_of_year(2018)[-1] == "2018-12"
    assert month_label("2018-04") == "2018年4月"


@pytest.mark.parametrize("bad", ["2018-4", "2018-13", "18-04", "2018/04", ""])
def test_a_malformed_month_is_refused(bad: str) -> None:
    with pytest.raises(ConfigError, match="YYYY-MM"):
        month_start(bad)


TERMS = [
    pytest.param(
        "2018秋季", "2018年秋季学期", dt.date(2018, 9, 1), id="the autumn term starts on 1 September"
    ),
    pytest.param(
        "2019年春季学期", "2019年春季学期", dt.date(2019, 3, 1), id="the spring term starts on 1 March"
    ),
    pytest.param("2019春", "2019年春季学期", dt.date(2019, 3, 1), id="the short form of a term is accepted"),
    pytest.param(
        "2019-09-01", "2019-09-01起", dt.date(2019, 9, 1), id="a date stands for the term starting on it"
    ),
]


@pytest.mark.parametrize(("text", "label", "start"), TERMS)
def test_a_term_is_read_with_its_first_day(text: str, label: str, start: dt.date) -> None:
    assert parse_term(text) == (label, start)


def test_an_unreadable_term_is_refused() -> None:
    with pytest.raises(ConfigError):
        parse_term("next autumn")


RUNNING = [
    pytest.param(dt.date(2018, 8, 31), "2018春季", id="the last day of August is still in the spring term"),
    pytest.param(dt.date(2018, 9, 1), "2018秋季", id="1 September starts the autumn term"),
    pytest.param(dt.date(2019, 2, 28), "2018秋季", id="February belongs to the previous year's autumn term"),
    pytest.param(dt.date(2019, 3, 1), "2019春季", id="1 March starts the spring term"),
]


@pytest.mark.parametrize(("on", "term"), RUNNING)
def test_the_term_running_on_a_date(on: dt.date, term: str) -> None:
    assert term_of(on) == term


# --- issue 13, defect 5: when a 周岁 is reached is a convention the bureau confirms, with both readings coded ---

CONVENTIONS = [
    pytest.param("1928-02-29", "2018-02-28", AgeConvention(), 89,
                 id="under the 1 March reading a 29 February baby is 89 on 28 February 2018"),
    pytest.param("1928-02-29", "2018-02-28", AgeConvention(leap_day="february_28"), 90,
                 id="under the 28 February reading a 29 February baby is 90 on 28 February 2018"),
    pytest.param("1928-02-29", "2016-02-28", AgeConvention(leap_day="february_28"), 87,
                 id="in a leap year the 28 February reading waits for 29 February"),
    pytest.param("1938-03-01", "2018-03-01", AgeConvention(), 80,
                 id="under the birthday reading a person is 80 on the 80th birthday"),
    pytest.param("1938-03-01", "2018-03-01", AgeConvention(birthday="day_after_birthday"), 79,
                 id="under the day-after reading a person is still 79 on the 80th birthday"),
    pytest.param("1938-03-01", "2018-03-02", AgeConvention(birthday="day_after_birthday"), 80,
                 id="under the day-after reading a person is 80 the day after the 80th birthday"),
]  # fmt: skip


@pytest.mark.parametrize(("birth", "on", "convention", "age"), CONVENTIONS)
def test_completed_age_follows_the_chosen_convention(
    birth: str, on: str, convention: AgeConvention, age: int
) -> None:
    got = completed_age(pd.Series(pd.to_datetime([birth])), dt.date.fromisoformat(on), convention)
    assert int(got.iloc[0]) == age
