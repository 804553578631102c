"""Calendar periods the rules are paid and assessed in: payment months, school terms, completed age (周岁).

Completed age follows GB 11643 practice and ``docs/pipeline.md``: a person reaches a new age on their
birthday itself, and someone born on 29 February reaches it on 1 March in a year without 29 February
(so a 29 February baby is 79 on 28 February 2018 and 80 on 1 March 2018).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from liushou_core.errors import ConfigError
from liushou_core.values.dates import age_at

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_TERM = re.compile(r"^(\d{4})\s*年?\s*(春|秋)\s*季?\s*(学期)?$")

#: First day of the spring and autumn terms (the usual dates of the school calendar, used to look up the
#: parameters in force for a term).
TERM_START = {"春": (3, 1), "秋": (9, 1)}


def parse_month(month: str) -> tuple[int, int]:
    """``"2018-04"`` → ``(2018, 4)``; anything else is a :class:`ConfigError`."""
    m = _MONTH.match(str(month))
    if not m:
        raise ConfigError(f"月份应为 YYYY-MM 格式（如 2018-04），而不是“{month}”")
    return int(m.group(1)), int(m.group(2))


def month_start(month: str) -> dt.date:
    """The first day of a ``YYYY-MM`` month."""
    y, m = parse_month(month)
    return dt.date(y, m, 1)


def month_end(month: str) -> dt.date:
    """The last day of a ``YYYY-MM`` month."""
    y, m = parse_month(month)
    return (dt.date(y + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)


def shift_month(month: str, months: int) -> str:
    """The month ``months`` later (negative: earlier), as ``YYYY-MM``."""
    y, m = parse_month(month)
    k = y * 12 + (m - 1) + months
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def months_of_year(year: int) -> list[str]:
    """``["2018-01", …, "2018-12"]``."""
    return [f"{year:04d}-{m:02d}" for m in range(1, 13)]


def month_label(month: str) -> str:
    """``"2018-04"`` → ``"2018年4月"``."""
    y, m = parse_month(month)
    return f"{y}年{m}月"


def parse_term(term: str | dt.date) -> tuple[str, dt.date]:
    """A school term → (label, first day): ``"2018秋季"`` → ``("2018年秋季学期", 2018-09-01)``.

    Accepted: ``2018秋季``, ``2018年秋季学期``, ``2018春``, or a date (``"2018-09-01"``), which stands for the
    term that starts on it (label ``"2018-09-01起"``).
    """
    if isinstance(term, dt.date):
        day = term.date() if isinstance(term, dt.datetime) else term
        return f"{day.isoformat()}起", day
    text = str(term).strip()
    m = _TERM.match(text)
    if m:
        year, season = int(m.group(1)), m.group(2)
        month, day_of_month = TERM_START[season]
        return f"{year}年{season}季学期", dt.date(year, month, day_of_month)
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"学期应写作“2018秋季”“2019春季”或日期 YYYY-MM-DD，而不是“{term}”") from None
    return f"{day.isoformat()}起", day


def term_of(on: dt.date) -> str:
    """The school term running on ``on``: from 1 September the autumn term, from 1 March the spring term,
    in January and February still the previous year's autumn term (``"2018秋季"``)."""
    if (on.month, on.day) >= TERM_START["秋"]:
        return f"{on.year}秋季"
    if (on.month, on.day) >= TERM_START["春"]:
        return f"{on.year}春季"
    return f"{on.year - 1}秋季"


def completed_age(birth: pd.Series, on: dt.date | pd.Series) -> pd.Series:
    """Completed years (周岁) at ``on`` for each birth date, vectorised (``Int64``; ``<NA>`` where a date is
    missing). The birthday counts as reached on the day itself; 29 February counts as reached on 1 March in
    a non-leap year. One implementation for the whole package: :func:`liushou_core.values.dates.age_at`."""
    return age_at(birth, on)


__all__ = [
    "TERM_START",
    "completed_age",
    "month_end",
    "month_label",
    "month_start",
    "months_of_year",
    "parse_month",
    "parse_term",
    "shift_month",
    "term_of",
]
