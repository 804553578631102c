"""Dated parameters: lookups by date, and loading that refuses malformed files with a useful message."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from liushou_core.errors import ParameterError
from liushou_core.parameters import load_parameters

REF = "reference: {document: 测试文号, date: 2017-01-01}"


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def params_root(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "demo/limit.yaml",
        f"""\
        description: 一个随日期变化的门槛
        unit: year
        values:
          2016-02-04:
            value: 16
            {REF}
          2018-01-01:
            value: 18
            assumption: true
            note: 待确认
          2020-01-01:
            value: null
            {REF}
        """,
    )
    write(
        tmp_path,
        "demo/tiers.yaml",
        f"""\
        description: 分档
        threshold_unit: year
        amount_unit: currency-CNY-per-month
        brackets:
          - threshold: {{2017-01-01: {{value: 80, {REF}}}}}
            amount: {{2017-01-01: {{value: 25, {REF}}}, 2019-01-01: {{value: 30, {REF}}}}}
          - threshold: {{2017-01-01: {{value: 90, {REF}}}}}
            amount: {{2017-01-01: {{value: 120, {REF}}}}}
        """,
    )
    write(tmp_path, "codebook.yaml", "not: a parameter\n")  # files directly in params/ are not parameters
    write(tmp_path, "runs/sample.yaml", "description: 一次运行的设置\nreference_date: 2017-12-31\n")
    return tmp_path


LOOKUPS = [
    pytest.param("2016-02-04", 16, id="the value applies from its effective date itself"),
    pytest.param("2017-12-31", 16, id="the old value still applies the day before a new one"),
    pytest.param("2018-01-01", 18, id="the new value applies from its effective date"),
    pytest.param("2019-12-31", 18, id="the last value applies until the parameter is ended"),
]


@pytest.mark.parametrize(("on", "expected"), LOOKUPS)
def test_a_value_is_looked_up_by_date(params_root: Path, on: str, expected: int) -> None:
    assert load_parameters(params_root).value("demo.limit", on) == expected


def test_a_date_before_the_first_value_is_an_error(params_root: Path) -> None:
    with pytest.raises(ParameterError, match="尚未生效"):
        load_parameters(params_root).value("demo.limit", dt.date(2016, 2, 3))


def test_a_date_after_the_parameter_ended_is_an_error(params_root: Path) -> None:
    with pytest.raises(ParameterError, match="停止执行"):
        load_parameters(params_root).value("demo.limit", "2020-01-01")


def test_references_and_assumptions_are_kept(params_root: Path) -> None:
    ps = load_parameters(params_root)
    assert ps.reference("demo.limit", "2017-06-01").document == "测试文号"  # type: ignore[union-attr]
    assert ps.entry("demo.limit", "2018-06-01").assumption
    assert ps.parameter("demo.limit").assumption
    assert [name for name, _ in ps.assumptions()] == ["demo.limit"]


def test_files_directly_in_params_and_run_settings_are_not_parameters(params_root: Path) -> None:
    assert load_parameters(params_root).names() == ["demo.limit", "demo.tiers"]


def test_a_scale_gives_the_amount_of_the_bracket_a_value_falls_in(params_root: Path) -> None:
    scale = load_parameters(params_root).scale("demo.tiers", "2018-06-01")
    assert scale.thresholds == (80, 90)
    assert scale.labels == ("80–89岁", "90岁及以上")
    assert scale.calc([79, 80, 89, 90, 120]).tolist() == [0, 25, 25, 120, 120]


def test_a_scale_amount_changes_on_its_own_date(params_root: Path) -> None:
    ps = load_parameters(params_root)
    assert ps.scale("demo.tiers", "2018-12-31").amounts == (25, 120)
    assert ps.scale("demo.tiers", "2019-01-01").amounts == (30, 120)


def test_a_scale_is_not_a_plain_value(params_root: Path) -> None:
    with pytest.raises(ParameterError, match="scale"):
        load_parameters(params_root).value("demo.tiers", "2018-01-01")


def test_an_unknown_parameter_names_its_neighbours(params_root: Path) -> None:
    with pytest.raises(ParameterError, match="demo.limit"):
        load_parameters(params_root).value("demo.nope", "2018-01-01")


BAD_FILES = [
    pytest.param(
        f"description: x\nunit: year\nvalues:\n  2017-01-01: {{value: 1, {REF}}}\nextra: 1\n",
        "未知的键",
        id="an unknown top-level key is refused",
    ),
    pytest.param(
        f"description: x\nunit: year\nvalues:\n  2017-01-01: {{value: 1, {REF}, period: month}}\n",
        "未知的键",
        id="an unknown key in a dated value is refused",
    ),
    pytest.param(
        f"description: x\nunit: parsecs\nvalues:\n  2017-01-01: {{value: 1, {REF}}}\n",
        "单位",
        id="an unknown unit is refused",
    ),
    pytest.param(
        f"description: x\nunit: year\nvalues:\n  2017-01-01: {{value: 1, {REF}}}\n  2017-01-01: {{value: 2, {REF}}}\n",
        "重复",
        id="a date given twice is refused",
    ),
    pytest.param(
        f"description: x\nunit: year\nvalues:\n  2018-01-01: {{value: 1, {REF}}}\n  2017-01-01: {{value: 2, {REF}}}\n",
        "先后",
        id="dates out of order are refused",
    ),
    pytest.param(
        "description: x\nunit: year\nvalues:\n  2017-01-01: {value: 1}\n",
        "缺少出处",
        id="a value without a reference is refused",
    ),
    pytest.param(
        "description: x\nunit: year\nvalues:\n  2017-01-01: {value: 1, assumption: true}\n",
        "note",
        id="an assumption without a note saying what to confirm is refused",
    ),
    pytest.param(
        f"description: x\nunit: year\nvalues:\n  2017-01-01: {{value: 16.5, {REF}}}\n",
        "整数",
        id="a fractional number of years is refused",
    ),
    pytest.param(
        f"description: x\nunit: currency-CNY-per-month\nvalues:\n  2017-01-01: {{value: '25', {REF}}}\n",
        "整数",
        id="an amount written as text is refused",
    ),
    pytest.param(
        f"description: x\nunit: list\nvalues:\n  2017-01-01: {{value: 无监护能力, {REF}}}\n",
        "列表",
        id="a list parameter must hold a list",
    ),
    pytest.param(
        f"description: x\nunit: text\nchoices: [a, b]\nvalues:\n  2017-01-01: {{value: c, {REF}}}\n",
        "可选值",
        id="a text value outside its choices is refused",
    ),
    pytest.param(
        f"description: x\nunit: year\nvalues:\n  2017-13-01: {{value: 1, {REF}}}\n",
        "YYYY-MM-DD",
        id="an impossible date is refused",
    ),
    pytest.param(
        f"unit: year\nvalues:\n  2017-01-01: {{value: 1, {REF}}}\n",
        "description",
        id="a parameter without a description is refused",
    ),
    pytest.param(
        "description: x\nthreshold_unit: year\namount_unit: currency-CNY-per-month\nbrackets:\n"
        f"  - threshold: {{2017-01-01: {{value: 90, {REF}}}}}\n    amount: {{2017-01-01: {{value: 1, {REF}}}}}\n"
        f"  - threshold: {{2017-01-01: {{value: 80, {REF}}}}}\n    amount: {{2017-01-01: {{value: 2, {REF}}}}}\n",
        "从小到大",
        id="scale thresholds that do not increase are refused",
    ),
    pytest.param("unit: year\ndescription: [unclosed\n", "无法读取", id="a file that is not YAML is refused"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_a_malformed_parameter_file_is_refused_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    write(tmp_path, "bad/param.yaml", text)
    with pytest.raises(ParameterError, match=message) as info:
        load_parameters(tmp_path)
    assert "param.yaml" in str(info.value)


# The shipped definitions: the classifier relies on these exact names and values.
SHIPPED = [
    pytest.param("definitions.child_age_limit", 16, False, id="a child is under 16 (国发〔2016〕13号)"),
    pytest.param("definitions.elder_min_age", 60, True, id="an elder is 60 or over, to be confirmed"),
    pytest.param("definitions.woman_min_age", 20, True, id="a left-behind woman is at least 20, to be confirmed"),
    pytest.param("definitions.woman_max_age", 59, True, id="a left-behind woman is at most 59, to be confirmed"),
    pytest.param("definitions.min_months_away", 6, True, id="away means six months or more, to be confirmed"),
    pytest.param(
        "definitions.incapable_parent_statuses", ("无监护能力",), False,
        id="only 无监护能力 counts as a parent without guardianship capacity",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "expected", "assumption"), SHIPPED)
def test_the_shipped_definitions_hold_at_the_survey_reference_date(
    name: str, expected: object, assumption: bool
) -> None:
    ps = load_parameters()
    entry = ps.entry(name, "2017-12-31")
    assert entry.value == expected
    assert entry.assumption is assumption


def test_every_shipped_parameter_file_loads() -> None:
    ps = load_parameters()
    assert ps.names("definitions.")


def test_every_shipped_assumption_says_what_to_confirm() -> None:
    from liushou_core.parameters import assumption_table

    rows = assumption_table()
    assert rows and all(r["to_confirm"] for r in rows)
    assert {"allowances.old_age_monthly", "allowances.old_age_start_rule"} <= {r["parameter"] for r in rows}


#: Words for developers that must not reach the 待确认 lines of the pages and ledgers people open.
DEVELOPMENT_WORDS = ("凭背景知识", "policy.md", "仅作占位", "占位", "未见原文", "二手转载", "未收录", "TODO")


def test_what_the_bureau_must_confirm_is_said_in_plain_chinese() -> None:
    notes = [(name, entry.note or "") for name, entry in load_parameters().assumptions()]
    assert notes
    for name, note in notes:
        assert note, f"{name}: an assumption without saying what to confirm"
        assert not any(word in note for word in DEVELOPMENT_WORDS), (name, note)
        assert "确" in note, (name, note)  # 待…确认 / 待…确定: who must confirm what
