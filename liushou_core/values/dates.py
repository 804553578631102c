"""Dates as cadres type them and ages in completed years (周岁); payroll months live in ``periods.py``.

Everything works on whole columns. A date is a ``datetime64[ns]`` at midnight, ``NaT`` when unknown.

Age rule (policy.md §8, docs/pipeline.md "Normalisation"): the age is the number of completed years at a
reference date; the birthday counts as reached on the day itself, and a 29 February birthday is reached on
1 March in a non-leap year.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from liushou_core.values.text import extract_ints, normalise_text

# The years a datetime64[ns] can hold (pandas' bounds are 1677-09-21 … 2262-04-11).
_MIN_YEAR, _MAX_YEAR = 1678, 2261

# Excel's 1900 date system: serial 1 = 1900-01-01. Excel also counts the non-existent 1900-02-29 as
# serial 60 (a Lotus 1-2-3 bug it kept), so from serial 61 (= 1900-03-01) on the epoch is 1899-12-30.
_EXCEL_FAKE_LEAP_DAY = 60
_EXCEL_MAX_SERIAL = 80_000  # 2119-01-11: far beyond any date in a return, yet excludes 8-digit dates

_DATE_RE = (
    r"^(?:"
    # 2008-05-03, 2008-5-3, 2008/5/3, 2008.5.3, 2008年5月3日, with an optional time part (ignored)
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    # 20080503
    r"|(?P<y8>\d{4})(?P<m8>\d{2})(?P<d8>\d{2})"
    # an Excel serial day number
    r"|(?P<serial>\d{1,5})"
    r")$"
)


def ymd_to_dates(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """``datetime64[ns]`` dates from integer arrays; ``NaT`` where (y, m, d) is not a real calendar date.

    Missing parts may be given as any value outside the calendar (e.g. -1). Years outside what
    ``datetime64[ns]`` can hold (1678–2261) give ``NaT``.
    """
    y = np.asarray(year, dtype=np.int64)
    m = np.asarray(month, dtype=np.int64)
    d = np.asarray(day, dtype=np.int64)
    ok = (y >= _MIN_YEAR) & (y <= _MAX_YEAR) & (m >= 1) & (m <= 12) & (d >= 1)
    # Work on safe placeholders so the arithmetic below never overflows; bad rows are masked at the end.
    y0, m0, d0 = np.where(ok, y, 2000), np.where(ok, m, 1), np.where(ok, d, 1)
    months = ((y0 - 1970) * 12 + (m0 - 1)).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    days_in_month = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok &= d0 <= days_in_month
    out = (first + (d0 - 1)).astype("datetime64[ns]")
    out[~ok] = np.datetime64("NaT")
    return out


def date_parts(dates: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(year, month, day, known)`` integer arrays of datetimes; parts are 0 where ``known`` is False."""
    v = np.asarray(pd.to_datetime(pd.Series(dates)).to_numpy(dtype="datetime64[ns]"))
    known = ~np.isnat(v)
    safe = np.where(known, v, np.datetime64(0, "ns"))
    months = safe.astype("datetime64[M]")
    year = months.astype(np.int64) // 12 + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (safe.astype("datetime64[D]") - months.astype("datetime64[D]")).astype(np.int64) + 1
    return np.where(known, year, 0), np.where(known, month, 0), np.where(known, day, 0), known


def parse_dates(s: pd.Series) -> pd.Series:
    """Parse the date forms found in returns; ``NaT`` when empty or not a real date.

    Accepted after NFKC and stripping: ``2008-05-03``, ``2008-5-3``, ``2008/5/3``, ``2008.5.3``,
    ``2008年5月3日``, ``2008-05-03 00:00:00`` (any time part is dropped), ``20080503``, and Excel serial day
    numbers written as an integer 1–80000 in the 1900 date system (serial 61 = 1900-03-01; serial 60 is
    Excel's non-existent 1900-02-29 and gives ``NaT``). Result: ``datetime64[ns]`` at midnight, same index.
    """
    parts = extract_ints(normalise_text(s), _DATE_RE)

    def num(col: str) -> np.ndarray:
        return parts[col].to_numpy()

    y, m, d = num("y"), num("m"), num("d")
    compact = num("y8") >= 0
    y, m, d = (
        np.where(compact, num("y8"), y),
        np.where(compact, num("m8"), m),
        np.where(compact, num("d8"), d),
    )
    out = ymd_to_dates(y, m, d)

    serial = num("serial")
    is_serial = (serial >= 1) & (serial <= _EXCEL_MAX_SERIAL) & (serial != _EXCEL_FAKE_LEAP_DAY)
    epoch = np.where(serial > _EXCEL_FAKE_LEAP_DAY, np.datetime64("1899-12-30"), np.datetime64("1899-12-31"))
    from_serial = (epoch + np.where(is_serial, serial, 0)).astype("datetime64[ns]")
    out = np.where(is_serial, from_serial, out)
    return pd.Series(out, index=s.index, dtype="datetime64[ns]", name=s.name)


def age_at(birth: pd.Series, on: dt.date | pd.Series) -> pd.Series:
    """Age in completed years (周岁) on the date ``on`` (a date, or a Series aligned with ``birth``).

    The birthday counts as reached on the day itself; a 29 February birthday is reached on 1 March in a
    non-leap year (comparing (month, day) pairs does exactly that). ``<NA>`` where either date is missing.
    Result dtype ``Int64``; a date before the birth gives a negative age.
    """
    by, bm, bd, bknown = date_parts(birth)
    if isinstance(on, pd.Series):
        oy, om, od, oknown = date_parts(on)
    else:
        o = pd.Timestamp(on)
        n = len(birth)
        oy, om, od = np.full(n, o.year), np.full(n, o.month), np.full(n, o.day)
        oknown = np.ones(n, dtype=bool)
    not_yet = (om * 100 + od) < (bm * 100 + bd)
    age = oy - by - not_yet.astype(np.int64)
    known = bknown & oknown
    return pd.Series(pd.arrays.IntegerArray(age.astype(np.int64), ~known), index=birth.index, name=birth.name)


def date_reaching_age(birth: pd.Series, years: int) -> pd.Series:
    """The date on which a person born on ``birth`` reaches ``years`` 周岁 (consistent with :func:`age_at`).

    A 29 February birthday is reached on 1 March when the anniversary year is not a leap year.
    """
    y, m, d, known = date_parts(birth)
    target = ymd_to_dates(np.where(known, y + years, -1), m, d)
    leap_day_slip = known & (m == 2) & (d == 29) & np.isnat(target)
    slipped = ymd_to_dates(y + years, np.full_like(m, 3), np.ones_like(d))
    out = np.where(leap_day_slip, slipped, target)
    return pd.Series(out, index=birth.index, dtype="datetime64[ns]", name=birth.name)
