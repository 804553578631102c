"""Text normalisation: free text, names, multi-valued cells and phone numbers (docs/pipeline.md)."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core.values.text import (
    compact_text,
    extract_ints,
    mask_middle,
    mask_phone,
    normalise_name,
    normalise_phone,
    normalise_text,
    split_multi,
)

# Each example runs whole-column pandas/Arrow code: no per-example deadline (a loaded CI machine
# is slow), and 50 examples of up to 20 cells are plenty.
COLUMNS = settings(deadline=None, max_examples=50)


def one(func, value):  # type: ignore[no-untyped-def]
    out = func(pd.Series([value], dtype="string")).iloc[0]
    return None if out is pd.NA else out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("外出务工", "外出务工", id="clean text is unchanged"),
        pytest.param("  外出务工 ", "外出务工", id="surrounding spaces are stripped"),
        pytest.param("外出\t\t务工", "外出 务工", id="an inner run of whitespace becomes one space"),
        pytest.param("\u3000外出\u3000务工\u3000", "外出 务工", id="ideographic spaces count as spaces"),
        pytest.param("ＡＢＣ１２３，", "ABC123,", id="full-width letters, digits and commas are folded"),
        pytest.param("低\u200b保", "低保", id="a zero-width space is removed"),
        pytest.param("", None, id="an empty cell is missing"),
        pytest.param(" \t ", None, id="a cell of spaces is missing"),
        pytest.param(None, None, id="a missing cell stays missing"),
    ],
)
def test_normalise_text(raw: str | None, expected: str | None) -> None:
    assert one(normalise_text, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("5109 23", "510923", id="inner spaces are removed"),
        pytest.param(
            "\u3000５１０９２３\t", "510923", id="full-width digits and every kind of space are handled"
        ),
        pytest.param(" ", None, id="a cell of spaces is missing"),
        pytest.param(None, None, id="a missing cell stays missing"),
    ],
)
def test_compact_text(raw: str | None, expected: str | None) -> None:
    assert one(compact_text, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("张三", "张三", id="a plain name is unchanged"),
        pytest.param("张 三", "张三", id="a space between characters is removed"),
        pytest.param(" 张　三 丰 ", "张三丰", id="every space between CJK characters is removed"),
        pytest.param("阿依古丽·买买提", "阿依古丽·买买提", id="the middle dot of a minority name is kept"),
        pytest.param("阿依古丽 · 买买提", "阿依古丽·买买提", id="spaces around the middle dot are removed"),
        pytest.param(
            "阿依古丽•买买提", "阿依古丽·买买提", id="a bullet used as the middle dot becomes the middle dot"
        ),
        pytest.param(
            "阿依古丽・买买提", "阿依古丽·买买提", id="a katakana middle dot becomes the middle dot"
        ),
        pytest.param("Mary  Ann", "Mary Ann", id="a space between Latin letters is kept"),
        pytest.param("", None, id="an empty name is missing"),
        pytest.param(None, None, id="a missing name stays missing"),
    ],
)
def test_normalise_name(raw: str | None, expected: str | None) -> None:
    assert one(normalise_name, raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("低保", ["低保"], id="a single value is a list of one"),
        pytest.param("低保、临时救助", ["低保", "临时救助"], id="the enumeration comma separates"),
        pytest.param(
            "低保,临时救助，医疗救助",
            ["低保", "临时救助", "医疗救助"],
            id="half- and full-width commas separate",
        ),
        pytest.param(
            "低保;临时救助；其他", ["低保", "临时救助", "其他"], id="half- and full-width semicolons separate"
        ),
        pytest.param("低保/临时救助／其他", ["低保", "临时救助", "其他"], id="slashes separate"),
        pytest.param("低保 临时救助", ["低保", "临时救助"], id="spaces separate"),
        pytest.param("、低保、、 临时救助；", ["低保", "临时救助"], id="empty parts are dropped"),
        pytest.param("、；", None, id="a cell of separators is missing"),
        pytest.param(None, None, id="a missing cell stays missing"),
    ],
)
def test_split_multi(raw: str | None, expected: list[str] | None) -> None:
    assert one(split_multi, raw) == expected


def test_split_multi_explodes_to_one_row_per_value_on_the_same_index() -> None:
    s = pd.Series(["低保、临时救助", None], index=[7, 9], dtype="string")
    exploded = split_multi(s).explode()
    assert exploded.dropna().index.tolist() == [7, 7]
    assert exploded.dropna().tolist() == ["低保", "临时救助"]
    assert exploded.index.unique().tolist() == [7, 9]


@pytest.mark.parametrize(
    ("raw", "phone", "valid"),
    [
        pytest.param("13812345678", "13812345678", True, id="a mobile number is valid"),
        pytest.param("138 1234 5678", "13812345678", True, id="spaces in a mobile number are removed"),
        pytest.param("138-1234-5678", "13812345678", True, id="dashes in a mobile number are removed"),
        pytest.param("+86 13812345678", "13812345678", True, id="the +86 prefix is removed"),
        pytest.param(
            "8613812345678", "13812345678", True, id="an 86 prefix before a mobile number is removed"
        ),
        pytest.param("１３８１２３４５６７８", "13812345678", True, id="full-width digits are folded"),
        pytest.param("19912345678", "19912345678", True, id="a mobile number may start with 19"),
        pytest.param("12812345678", "12812345678", False, id="a mobile number cannot start with 12"),
        pytest.param("1381234567", "1381234567", False, id="ten digits are not a mobile number"),
        pytest.param(
            "0825-7821104", "0825-7821104", True, id="a Daying landline with its area code is valid"
        ),
        pytest.param(
            "08257821104", "0825-7821104", True, id="the area code of a landline is separated by a dash"
        ),
        pytest.param("(0825)7821104", "0825-7821104", True, id="brackets around the area code are removed"),
        pytest.param("7821104", "0825-7821104", True, id="a 7-digit local number gets the Suining area code"),
        pytest.param(
            "78211045", "0825-78211045", True, id="an 8-digit local number gets the Suining area code"
        ),
        pytest.param("0825-78211045", "0825-78211045", True, id="an 8-digit Suining number is valid"),
        pytest.param("028-12345678", "028-12345678", True, id="a Chengdu number keeps its 3-digit area code"),
        pytest.param(
            "010 1234 5678", "010-12345678", True, id="a Beijing number keeps its 3-digit area code"
        ),
        pytest.param("0571-8888888", "0571-8888888", True, id="another 4-digit area code is accepted"),
        pytest.param("0821104", "0821104", False, id="a local number cannot start with 0"),
        pytest.param("12345", "12345", False, id="five digits are not a phone number"),
        pytest.param("无", "无", False, id="text is not a phone number and is kept"),
        pytest.param(None, None, None, id="a missing number stays missing"),
    ],
)
def test_normalise_phone(raw: str | None, phone: str | None, valid: bool | None) -> None:
    out = normalise_phone(pd.Series([raw], dtype="string")).iloc[0]
    assert (out["phone"] is pd.NA and phone is None) or out["phone"] == phone
    assert (out["phone_valid"] is pd.NA and valid is None) or out["phone_valid"] == valid


def test_normalise_phone_keeps_the_index_and_types() -> None:
    out = normalise_phone(pd.Series(["13812345678", None], index=["a", "b"]))
    assert out.index.tolist() == ["a", "b"]
    assert str(out["phone"].dtype) == "string"
    assert str(out["phone_valid"].dtype) == "boolean"


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        pytest.param("13812345678", "138****5678", id="a mobile number shows its first 3 and last 4 digits"),
        pytest.param("0825-7821104", "082*****1104", id="a landline shows its first 3 and last 4 characters"),
        pytest.param("1234567", "*******", id="a number too short to keep both ends is hidden"),
        pytest.param(None, None, id="a missing number stays missing"),
    ],
)
def test_mask_phone(raw: str | None, masked: str | None) -> None:
    assert one(mask_phone, raw) == masked


def test_mask_middle_without_a_tail_keeps_only_the_head() -> None:
    assert mask_middle(pd.Series(["abcdef"]), 2, 0).iloc[0] == "ab****"


def test_extract_ints_gives_minus_one_for_groups_that_did_not_match() -> None:
    out = extract_ints(
        pd.Series(["12-3", "7", None, "x"], index=[4, 5, 6, 7]), r"^(?:(?P<a>\d+)-(?P<b>\d+)|(?P<c>\d+))$"
    )
    assert out.to_dict("list") == {"a": [12, -1, -1, -1], "b": [3, -1, -1, -1], "c": [-1, 7, -1, -1]}
    assert out.index.tolist() == [4, 5, 6, 7]


TEXTS = st.lists(
    st.text(alphabet=st.sampled_from(list("张三 ·•・　\t\nab１２,，、;/+-()086137825")), max_size=15)
    | st.none(),
    max_size=15,
)


@given(TEXTS)
@COLUMNS
def test_normalising_text_twice_changes_nothing(values: list[str | None]) -> None:
    once = normalise_text(pd.Series(values, dtype="string"))
    pd.testing.assert_series_equal(normalise_text(once), once)


@given(TEXTS)
@COLUMNS
def test_normalising_a_name_twice_changes_nothing(values: list[str | None]) -> None:
    once = normalise_name(pd.Series(values, dtype="string"))
    pd.testing.assert_series_equal(normalise_name(once), once)


@given(TEXTS)
@COLUMNS
def test_normalising_a_phone_twice_changes_nothing(values: list[str | None]) -> None:
    once = normalise_phone(pd.Series(values, dtype="string"))
    twice = normalise_phone(once["phone"])
    pd.testing.assert_frame_equal(twice, once)


# Python's own NFKC and whitespace rules are the reference for the Arrow implementation. Characters
# unassigned in Python's Unicode database are left out: the two libraries may know different versions.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=["Cn", "Cs"]), max_size=12)
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def reference_text(value: str, joiner: str) -> str | None:
    folded = unicodedata.normalize("NFKC", value).translate(INVISIBLE)
    return joiner.join(folded.split()) or None


@given(st.lists(ANY_TEXT, max_size=15))
@settings(deadline=None, max_examples=150)  # cheap, and the whole of Unicode is a big space
def test_normalise_text_agrees_with_python_unicode_rules(values: list[str]) -> None:
    out = normalise_text(pd.Series(values, dtype="string"))
    assert [None if v is pd.NA else v for v in out] == [reference_text(v, " ") for v in values]


@given(st.lists(ANY_TEXT, max_size=15))
@settings(deadline=None, max_examples=150)
def test_compact_text_agrees_with_python_unicode_rules(values: list[str]) -> None:
    out = compact_text(pd.Series(values, dtype="string"))
    assert [None if v is pd.NA else v for v in out] == [reference_text(v, "") for v in values]
