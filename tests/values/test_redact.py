"""Masking numbers in free text: IDs and mobiles typed with separators or full-width digits are masked too.

Issue 18: ``510923-2010-0616-0238`` and ``138-0520-1145`` passed the masking (runs of 11+ contiguous digits).
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from person_frames import make_id

from liushou_core.values.redact import redact_series, redact_text

SOME_ID = make_id(dt.date(2010, 6, 16), "男", 23)
MOBILE = "13805201145"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
SEPARATORS = [" ", "-", ".", "－", "．", "\u3000", " - ", "—", "\u00a0"]


def _digits(text: str) -> str:
    return re.sub(r"[^0-9Xx]", "", text.translate(str.maketrans("０１２３４５６７８９", "0123456789")))


def _split(number: str, cuts: list[int], sep: str) -> str:
    at = sorted({c % len(number) for c in cuts if 0 < c % len(number) < len(number)})
    pieces = [number[a:b] for a, b in zip([0, *at], [*at, len(number)], strict=True)]
    return sep.join(pieces)


GROUPED = [
    pytest.param("身份证 510923-2010-0616-0238 号", id="an ID in hyphenated groups"),
    pytest.param("电话138-0520-1145", id="a hyphenated mobile"),
    pytest.param("电话 138 0520 1145。", id="a mobile in spaced groups"),
    pytest.param("138.0520.1145", id="a dotted mobile"),
    pytest.param("１３８０５２０１１４５", id="a full-width mobile"),
    pytest.param("５１０９２３２０１００６１６０２３８", id="a full-width ID"),
    pytest.param("张三138 - 0520 - 1145", id="a mobile with spaced hyphens, in a name"),
    pytest.param("2018-01-01 138-0520-1145", id="a mobile after a date"),
]


@pytest.mark.parametrize("text", GROUPED)
def test_numbers_written_in_groups_are_masked(text: str) -> None:
    out = redact_text(text)
    assert "*" in out
    assert MOBILE not in _digits(out) and "510923201006160238" not in _digits(out)


def test_a_grouped_number_keeps_the_same_digits_as_a_plain_one() -> None:
    assert redact_text("510923-2010-0616-0238") == "510923-****-****-0238"
    assert redact_text("138-0520-1145") == "138-****-1145"
    assert redact_text("１３８０５２０１１４５") == "１３８****１１４５"


KEPT = [
    pytest.param("2018-01-01 2018-12-31", id="two dates"),
    pytest.param("0825-7821104", id="a landline with a dash"),
    pytest.param("2017.12.31 共 1234 人", id="a dotted date and a count"),
    pytest.param("第1-2组 3.5 亩", id="short numbers"),
]


@pytest.mark.parametrize("text", KEPT)
def test_dates_landlines_and_short_numbers_in_groups_stay(text: str) -> None:
    assert redact_text(text) == text


@given(
    prefix=st.text(st.characters(blacklist_categories=("Nd", "Cs")), max_size=5),
    suffix=st.text(st.characters(blacklist_categories=("Nd", "Cs")), max_size=5),
    cuts=st.lists(st.integers(1, 17), max_size=5),
    sep=st.sampled_from(SEPARATORS),
    full_width=st.booleans(),
    which=st.sampled_from([SOME_ID, MOBILE, "13912345678", make_id(dt.date(1950, 1, 1), "女", 7)]),
)
def test_an_id_or_mobile_however_grouped_never_survives_masking(
    prefix: str, suffix: str, cuts: list[int], sep: str, full_width: bool, which: str
) -> None:
    written = _split(which, cuts, sep)
    if full_width:
        written = written.translate(FULL_WIDTH)
    out = redact_text(prefix + written + suffix)
    assert which not in _digits(out)
    assert which.upper() not in _digits(out).upper()


def test_a_column_with_grouped_numbers_is_redacted() -> None:
    out = redact_series(pd.Series(["甲138-0520-1145", None, "乙"], dtype="string"))
    assert out.tolist()[0] == "甲138-****-1145" and out.isna().tolist() == [False, True, False]
