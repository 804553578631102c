"""Names are checked: markup, digits, formula-like starts, stray Latin letters and implausible lengths are found."""

from __future__ import annotations

import pandas as pd
import pytest

from liushou_core.issues import RULES
from liushou_core.values.names import NAME_RULES, name_problem

CASES = [
    pytest.param("张伟", None, id="a two-character Han name is fine"),
    pytest.param("欧阳娜娜", None, id="a four-character name with a compound surname is fine"),
    pytest.param("阿依古丽·买买提", None, id="a minority name joined by a middle dot is fine"),
    pytest.param("Mary Ann", None, id="a name written wholly in Latin words is accepted as a romanised name"),
    pytest.param("<b>张伟</b>", "name_markup", id="a name wrapped in HTML tags is markup"),
    pytest.param("<script>alert(1)</script>", "name_markup", id="a script tag in a name is markup"),
    pytest.param("<img src=x onerror=alert(1)>", "name_markup", id="an image tag with a handler is markup"),
    pytest.param("=1+1", "name_formula", id="a name starting with = looks like a formula"),
    pytest.param("+张伟", "name_formula", id="a name starting with + looks like a formula"),
    pytest.param("@张伟", "name_formula", id="a name starting with @ looks like a formula"),
    pytest.param("李娜13812345678", "name_digits", id="a name with a phone number pasted in has digits"),
    pytest.param("王芳2", "name_digits", id="a name with a stray digit has digits"),
    pytest.param("张Wei", "name_latin", id="a Han name mixed with Latin letters is flagged"),
    pytest.param("张", "name_length", id="a one-character name is implausibly short"),
    pytest.param("张三李四王五赵六钱七", "name_length", id="a ten-character Han name without a dot is implausibly long"),
    pytest.param(None, None, id="a missing name is left to name_missing"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "rule"), CASES)
def test_name_checks(name: str | None, rule: str | None) -> None:
    got = name_problem(pd.Series([name], dtype="string")).iloc[0]
    assert (None if pd.isna(got) else got) == rule


def test_every_name_rule_has_a_chinese_message_and_a_decided_severity() -> None:
    for code in NAME_RULES:
        rule = RULES[code]
        assert "姓名" in rule.message and "{value}" in rule.message
    assert {RULES[c].severity for c in ("name_markup", "name_formula", "name_digits")} == {"error"}
    assert {RULES[c].severity for c in ("name_latin", "name_length")} == {"warning"}
