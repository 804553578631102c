"""Dates as typed in returns and ages in 周岁 (policy.md §8, docs/pipeline.md)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core.values.dates import age_at, date_reaching_age, parse_dates, ymd_to_dates

MAY_3 = dt.date(2008, 5, 3)

# Each example runs whole-column pandas/Arrow code: no per-example deadline (a loaded CI machine
# is slow), and 50 examples of up to 20 cells are plenty.
COLUMNS = settings(deadline=None, max_examples=50)


def parsed(raw: str | None) -> dt.date | None:
    out = parse_dates(pd.Series([raw], dtype="string")).iloc[0]
    return None if pd.isna(out) else out.date()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("2008-05-03", MAY_3, id="ISO dates are read"),
        pytest.param("2008-5-3", MAY_3, id="dashes without leading zeros are read"),
        pytest.param("2008/5/3", MAY_3, id="slashes are read"),
        pytest.param("2008.5.3", MAY_3, id="dots are read"),
        pytest.param("2008年5月3日", MAY_3, id="年月日 dates are read"),
        pytest.param("2008年5月3", MAY_3, id="a 年月日 date without 日 is read"),
        pytest.param("2008 年 5 月 3 日", MAY_3, id="spaces inside a 年月日 date are allowed"),
        pytest.param("２００８年５月３日", MAY_3, id="full-width digits are read"),
        pytest.param("2008-05-03 00:00:00", MAY_3, id="a midnight time part is dropped"),
        pytest.param("2008/5/3 14:30", MAY_3, id="any time part is dropped"),
        pytest.param("2008-05-03T08:00:00.5", MAY_3, id="an ISO time part is dropped"),
        pytest.param("20080503", MAY_3, id="eight digits are read as YYYYMMDD"),
        pytest.param("  2008-05-03\u3000", MAY_3, id="surrounding spaces are stripped"),
        pytest.param("39571", MAY_3, id="an Excel serial number is read in the 1900 date system"),
        pytest.param("1", dt.date(1900, 1, 1), id="Excel serial 1 is 1 January 1900"),
        pytest.param("59", dt.date(1900, 2, 28), id="Excel serial 59 is 28 February 1900"),
        pytest.param("60", None, id="Excel serial 60 is the 29 February 1900 that never was"),
        pytest.param("61", dt.date(1900, 3, 1), id="Excel serial 61 is 1 March 1900"),
        pytest.param("80000", dt.date(2119, 1, 11), id="Excel serial 80000 is still read"),
        pytest.param("80001", None, id="a number above 80000 is not a date"),
        pytest.param("0", None, id="serial 0 is not a date"),
        pytest.param("2008-02-30", None, id="30 February is not a date"),
        pytest.param("2007-02-29", None, id="29 February of a non-leap year is not a date"),
        pytest.param("2008-02-29", dt.date(2008, 2, 29), id="29 February of a leap year is a date"),
        pytest.param("20081301", None, id="month 13 is not a date"),
        pytest.param("2008-05", None, id="a month alone is not a date"),
        pytest.param("08-5-3", None, id="a two-digit year is not read"),
        pytest.param("2008-05-03.0", None, id="trailing text makes it unreadable"),
        pytest.param("不详", None, id="text is not a date"),
        pytest.param("", None, id="an empty cell is not a date"),
        pytest.param(None, None, id="a missing cell is not a date"),
    ],
)
def test_parse_dates(raw: str | None, expected: dt.date | None) -> None:
    assert parsed(raw) == expected


def test_parse_dates_returns_midnight_datetimes_on_the_same_index() -> None:
    out = parse_dates(pd.Series(["2008-05-03 13:45:00", None], index=["x", "y"]))
    assert str(out.dtype) == "datetime64[ns]"
    assert out.index.tolist() == ["x", "y"]
    assert out.iloc[0] == pd.Timestamp("2008-05-03")


def test_parse_dates_does_not_change_its_input() -> None:
    raw = pd.Series([" 2008/5/3 ", None], dtype="string")
    before = raw.copy()
    parse_dates(raw)
    pd.testing.assert_series_equal(raw, before)


DATES = st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 12, 31))
FORMATS = [
    lambda d: d.isoformat(),
    lambda d: f"{d.year}/{d.month}/{d.day}",
    lambda d: f"{d.year}.{d.month}.{d.day}",
    lambda d: f"{d.year}年{d.month}月{d.day}日",
    lambda d: f"{d:%Y%m%d}",
    lambda d: f"{d.isoformat()} 00:00:00",
    lambda d: str((d - dt.date(1899, 12, 30)).days),  # Excel serial
]


@given(st.lists(DATES, min_size=1, max_size=10))
@COLUMNS
def test_every_accepted_form_of_a_date_reads_back_as_that_date(days: list[dt.date]) -> None:
    for form in FORMATS:
        out = parse_dates(pd.Series([form(d) for d in days], dtype="string"))
        assert [t.date() for t in out] == days


def test_ymd_to_dates_rejects_impossible_and_out_of_range_dates() -> None:
    out = ymd_to_dates(
        np.array([2000, 2001, 1500, 2000, -1]), np.array([2, 2, 1, 0, 1]), np.array([29, 29, 1, 1, 1])
    )
    assert out[0] == np.datetime64("2000-02-29")
    assert np.isnat(out[1:]).all()


# ----- ages -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        pytest.param(
            "2002-01-01", "2017-12-31", 15, id="a child born 1 January 2002 is 15 at the end of 2017"
        ),
        pytest.param(
            "2001-12-31", "2017-12-31", 16, id="a child whose 16th birthday is the reference date is 16"
        ),
        pytest.param("2002-01-01", "2017-12-31", 15, id="a child whose 16th birthday is the day after is 15"),
        pytest.param("1957-12-31", "2017-12-31", 60, id="a person turning 60 on the reference date is 60"),
        pytest.param("1958-01-01", "2017-12-31", 59, id="a person turning 60 the next day is 59"),
        pytest.param("1937-06-15", "2017-06-14", 79, id="the day before the 80th birthday the age is 79"),
        pytest.param("1937-06-15", "2017-06-15", 80, id="on the 80th birthday the age is 80"),
        pytest.param("1917-12-31", "2017-12-31", 100, id="a centenarian is 100 on the birthday"),
        pytest.param(
            "2000-02-29", "2017-02-28", 16, id="a 29 February birthday is not reached on 28 February"
        ),
        pytest.param(
            "2000-02-29",
            "2017-03-01",
            17,
            id="a 29 February birthday is reached on 1 March of a non-leap year",
        ),
        pytest.param(
            "2000-02-29", "2016-02-29", 16, id="a 29 February birthday is reached on the day in a leap year"
        ),
        pytest.param("2017-12-31", "2017-12-31", 0, id="a baby born on the reference date is 0"),
        pytest.param("2018-01-01", "2017-12-31", -1, id="a birth after the date gives a negative age"),
    ],
)
def test_age_at_counts_completed_years(birth: str, on: str, age: int) -> None:
    births = pd.Series([pd.Timestamp(birth)])
    assert age_at(births, dt.date.fromisoformat(on)).iloc[0] == age
    assert age_at(births, pd.Series([pd.Timestamp(on)])).iloc[0] == age


def test_age_at_is_missing_when_a_date_is_missing_and_keeps_the_index() -> None:
    births = pd.Series([pd.Timestamp("2000-01-01"), pd.NaT, pd.Timestamp("2000-01-01")], index=[5, 6, 7])
    on = pd.Series([pd.Timestamp("2010-01-01"), pd.Timestamp("2010-01-01"), pd.NaT], index=[5, 6, 7])
    out = age_at(births, on)
    assert str(out.dtype) == "Int64"
    assert out.index.tolist() == [5, 6, 7]
    assert out.iloc[0] == 10
    assert out.iloc[1:].isna().all()
    assert age_at(births, dt.date(2010, 1, 1)).isna().tolist() == [False, True, False]


@pytest.mark.parametrize(
    ("birth", "years", "reached"),
    [
        pytest.param("1937-06-15", 80, "2017-06-15", id="the 80th birthday is the same day 80 years on"),
        pytest.param(
            "1936-02-29", 80, "2016-02-29", id="a 29 February birthday falls on 29 February in a leap year"
        ),
        pytest.param("1937-02-28", 80, "2017-02-28", id="a 28 February birthday stays on 28 February"),
        pytest.param("1936-02-29", 81, "2017-03-01", id="a 29 February birthday moves to 1 March otherwise"),
    ],
)
def test_date_reaching_age(birth: str, years: int, reached: str) -> None:
    out = date_reaching_age(pd.Series([pd.Timestamp(birth)]), years)
    assert out.iloc[0] == pd.Timestamp(reached)


@given(
    st.lists(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)), min_size=1),
    st.integers(0, 110),
)
@COLUMNS
def test_a_person_reaches_an_age_exactly_on_the_date_reaching_it(births: list[dt.date], years: int) -> None:
    b = pd.Series(pd.to_datetime(births))
    reached = date_reaching_age(b, years)
    assert (age_at(b, reached) == years).all()
    assert (age_at(b, reached - pd.Timedelta(days=1)) == years - 1).all()


# ----- months ---------------------------------------------------------------------------------------------
