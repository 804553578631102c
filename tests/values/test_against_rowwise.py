"""The column-wise ID, phone and digit rules decide every cell as the row-by-row reference does.

``bench/reference_rowwise.py`` is an independent implementation of the same rules (plain Python, one cell at
a time, with ``re`` and ``unicodedata``); the package parses whole columns from Arrow's bytes and with RE2.
Generated cells mix well-formed numbers with the ways cadres and Excel mangle them.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import sys
import unicodedata
from types import ModuleType

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from liushou_core.paths import REPO_DIR
from liushou_core.values.idcard import known_address_codes, make_id, parse_ids
from liushou_core.values.names import name_problem
from liushou_core.values.text import digit_class, normalise_name, normalise_phone

REFERENCE = dt.date(2017, 12, 31)
COLUMNS = settings(deadline=None, max_examples=60)


def _rowwise() -> ModuleType:
    path = REPO_DIR / "bench" / "reference_rowwise.py"
    spec = importlib.util.spec_from_file_location("reference_rowwise", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("reference_rowwise", module)
    spec.loader.exec_module(module)
    return module


ROWWISE = _rowwise()
CODES = sorted(known_address_codes())
NOISE = list(" \t\u3000\u200b'xX.E+-０１２３９ｘＸ٣三")


def _full_width(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in s)


@st.composite
def id_cells(draw: st.DrawFn) -> str | None:
    """A valid ID, then maybe mangled: 15-digit form, full width, noise, a changed or dropped digit."""
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(st.none() | st.text(alphabet=st.sampled_from(NOISE + list("0123456789")), max_size=20))
    birth = draw(st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2030, 12, 31)))
    address = draw(st.sampled_from(CODES[:50]) | st.sampled_from(["510999", "999999", "000000"]))
    cell = make_id(address, birth, draw(st.integers(0, 999)))
    how = draw(
        st.sampled_from(["as is", "15", "full", "noise", "digit", "drop", "zeros", "lower", "science"])
    )
    if how == "15":
        cell = cell[:6] + cell[8:17]
    elif how == "full":
        cell = _full_width(cell)
    elif how == "noise":
        at = draw(st.integers(0, len(cell)))
        cell = cell[:at] + draw(st.sampled_from(NOISE)) + cell[at:]
    elif how == "digit":
        at = draw(st.integers(0, 17))
        cell = cell[:at] + draw(st.sampled_from("0123456789X")) + cell[at + 1 :]
    elif how == "drop":
        cell = cell[:-1]
    elif how == "zeros":
        cell = cell[:15] + "000"
    elif how == "lower":
        cell = cell[:17] + "x"
    elif how == "science":
        cell = f"{int(cell[:17]) / 10:.5E}"
    return cell


@given(st.lists(id_cells(), min_size=1, max_size=40))
@COLUMNS
def test_parse_ids_decides_as_the_row_by_row_reference(cells: list[str | None]) -> None:
    out = parse_ids(pd.Series(cells, dtype="string"), REFERENCE)
    known = known_address_codes()
    for cell, row in zip(cells, out.itertuples(index=False), strict=True):
        ref = ROWWISE.parse_id(cell, REFERENCE, known)
        assert row.id_status == ref.status, cell
        valid = ref.status == "valid"
        assert (row.id_number if valid else None) == ref.id_number, cell
        assert (row.birth_date.date() if valid else None) == ref.birth, cell
        assert (row.sex if valid else None) == ref.sex, cell
        assert row.id_upgraded == ref.upgraded, cell
        if valid:
            assert row.id_normalised == ref.normalised, cell
        elif ref.status != "missing":
            assert row.id_clean == ref.clean, cell


PHONE_CHARS = list("0123456789 -()+—８６٣\u3000\u200b三a")


@given(
    st.lists(
        st.none()
        | st.text(alphabet=st.sampled_from(PHONE_CHARS), max_size=18)
        | st.builds(lambda n: f"{n}", st.integers(10**6, 10**12))
        | st.builds(
            lambda d: "86 1" + d,
            st.text(alphabet=st.sampled_from(list("0123456789٣")), min_size=9, max_size=10),
        ),
        min_size=1,
        max_size=40,
    )
)
@COLUMNS
def test_normalise_phone_decides_as_the_row_by_row_reference(cells: list[str | None]) -> None:
    out = normalise_phone(pd.Series(cells, dtype="string"))
    for cell, phone, valid in zip(cells, out["phone"], out["phone_valid"], strict=True):
        ref_phone, ref_valid = ROWWISE.parse_phone(cell)
        assert (None if valid is pd.NA else bool(valid)) == ref_valid, cell
        if ref_valid:
            assert phone == ref_phone, cell


def test_the_digit_class_is_exactly_what_pythons_backslash_d_matches() -> None:
    """Over every code point (those above U+20000 included), RE2 with the class agrees with ``re``'s ``\\d``."""
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    by_arrow = pc.match_substring_regex(pa.array(chars), digit_class()).to_pylist()
    by_python = [re.match(r"\d", c) is not None for c in chars]
    assert by_arrow == by_python


@given(st.lists(st.text(alphabet=st.sampled_from(list("张三李四·٣３9五 ")), min_size=1, max_size=6)))
@COLUMNS
def test_a_name_has_digits_exactly_when_pythons_re_finds_one(names: list[str]) -> None:
    normalised = normalise_name(pd.Series(names, dtype="string"))
    problems = name_problem(normalised)
    for name, problem in zip(normalised, problems, strict=True):
        if name is pd.NA:
            continue
        digit = re.search(r"\d", name) is not None
        earlier = "<" in name or ">" in name or re.match(r"[=+\-@]", name) is not None
        if not earlier:
            flagged = problem is not pd.NA and problem == "name_digits"
            assert flagged == digit, (name, unicodedata.name(name[0], ""))
