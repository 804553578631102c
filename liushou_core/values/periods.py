"""Calendar periods the rules are paid and assessed in: payment months, school terms, completed age (周岁).

When a 周岁 is reached is a **convention**, not something 13号 or GB 11643 states; the bureau confirms it
(``params/definitions/age_reached_rule.yaml`` and ``leap_day_birthday_rule.yaml``, both marked assumptions,
read by :class:`AgeConvention`). By default a person reaches a new age on the birthday itself, and someone
born on 29 February reaches it on 1 March in a year without 29 February (so a 29 February 1928 baby is 89
on 28 February 2018 and 90 on 1 March 2018). The other readings — the day after the birthday (the rule the
courts use for criminal responsibility), and 28 February for a leap-day birthday — are coded too.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from liushou_core.errors import ConfigError
from liushou_core.values.dates import age_at, date_parts

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


@dataclass(frozen=True)
class AgeConvention:
    """How a 周岁 is counted: ``birthday`` is ``on_birthday`` (the new age is reached on the birthday itself)
    or ``day_after_birthday``; ``leap_day`` is ``march_1`` or ``february_28`` (the day a 29 February
    birthday is reached in a common year)."""

    birthday: str = "on_birthday"
    leap_day: str = "march_1"

    def __post_init__(self) -> None:
        if self.birthday not in ("on_birthday", "day_after_birthday"):
            raise ConfigError(f"周岁计算口径“{self.birthday}”无效（应为 on_birthday 或 day_after_birthday）")
        if self.leap_day not in ("march_1", "february_28"):
            raise ConfigError(f"2月29日生日口径“{self.leap_day}”无效（应为 march_1 或 february_28）")


def completed_age(
    birth: pd.Series, on: dt.date | pd.Series, convention: AgeConvention | None = None
) -> pd.Series:
    """Completed years (周岁) at ``on`` for each birth date, vectorised (``Int64``; ``<NA>`` where a date is
    missing), under ``convention`` (default: reached on the birthday itself, 29 February on 1 March in a
    common year — :func:`liushou_core.values.dates.age_at`)."""
    c = convention or AgeConvention()
    if c == AgeConvention():
        return age_at(birth, on)
    day = pd.Series(on, index=birth.index) if not isinstance(on, pd.Series) else on
    day = pd.to_datetime(day)
    if c.birthday == "day_after_birthday":
        day = day - pd.Timedelta(days=1)  # reached the day after: the age on the day before counts
    if c.leap_day == "february_28":
        _, bm, bd, _ = date_parts(birth)
        oy = date_parts(day)[0]
        common_year = ~((oy % 4 == 0) & ((oy % 100 != 0) | (oy % 400 == 0)))
        leap_baby = (bm == 2) & (bd == 29) & common_year
        # 28 February of the birth year has the same anniversary as 28 February of a common year.
        earlier = pd.to_datetime(birth) - pd.Timedelta(days=1)
        birth = pd.Series(np.where(leap_baby, earlier, pd.to_datetime(birth)), index=birth.index)
        birth = pd.to_datetime(birth)
    return age_at(birth, day)


__all__ = [
    "TERM_START",
    "AgeConvention",
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
