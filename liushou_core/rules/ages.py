"""The age (周岁) the rules use: completed years under the counting convention in force.

When a 周岁 is reached (on the birthday or the day after; 29 February babies on 1 March or 28 February in a
common year) is set by ``definitions.age_reached_rule`` and ``definitions.leap_day_birthday_rule``, both
assumptions for the bureau to confirm; :func:`liushou_core.values.periods.completed_age` does the arithmetic.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from liushou_core.parameters import ParameterSet
from liushou_core.values.periods import AgeConvention, completed_age

BIRTHDAY_RULE = "definitions.age_reached_rule"
LEAP_DAY_RULE = "definitions.leap_day_birthday_rule"


def age_convention(params: ParameterSet, on: dt.date) -> AgeConvention:
    """The counting convention in force on ``on``."""
    return AgeConvention(str(params.value(BIRTHDAY_RULE, on)), str(params.value(LEAP_DAY_RULE, on)))


def rule_age(birth: pd.Series, on: dt.date, params: ParameterSet) -> pd.Series:
    """Completed age on ``on`` of each birth date, under the convention in force on ``on`` (``Int64``)."""
    return completed_age(birth, on, age_convention(params, on))


__all__ = ["age_convention", "rule_age"]
