"""Hide personal numbers inside free text: ID numbers and phone numbers typed into notes, details, messages.

Columns that *are* ID or phone numbers are masked by :func:`liushou_core.values.idcard.mask_id` and
:func:`liushou_core.values.text.mask_phone`. This module is for text that may *contain* one — a cadre's 备注, a
rule's 详情 quoting the value it rejected, an error message quoting a failing cell — before that text
leaves the bureau or reaches a log. The rule is deliberately blunt, because a number is cheap to hide and
costly to leak:

- every run of 15 or more ID characters (digits, an ``X`` at the end) keeps its first 6 and last 4
  characters (``510923********1234``), like an ID column;
- every other run of 11 to 14 digits (a mobile number, a landline with its area code) keeps its first 3 and
  last 4 (``138****5678``), like a phone column;
- shorter numbers (counts, years, dates such as ``20080503``, a 7-digit local number) are left alone.

A run is maximal: digits touching on either side belong to it, so a number cannot be split to escape.
Full-width digits (``１３８…``) are digits.

Numbers are also typed in groups — ``510923-2010-0616-0238``, ``138 0520 1145``, ``138.0520.1145`` — so
groups of digits joined by up to three separators (spaces, hyphens and dashes, dots, their full-width
forms) are read together (:func:`digit_groups`): any consecutive groups that together spell a mobile
number (11 digits, ``1[3-9]…``) keep its first 3 and last 4 digits, and any that spell an ID number (15 or
18 characters beginning with a province code) keep its first 6 and last 4. Dates and landlines written
with separators (``2018-01-01 2018-12-31``, ``0825-7821104``) spell neither and stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

DIGITS = "0-9０-９"
_X = "XxＸｘ"
#: Full-width digits and X as their ASCII forms (one character for one, so positions are kept).
_ASCII = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
#: What may stand between two groups of one number: spaces, hyphens and dashes, dots (and full-width forms).
SEPARATOR = " \t\u00a0\u3000\\-\u2010-\u2015\u2212－.．·・"

#: A maximal run of ID characters: 15+ digits, optionally closed by an X (x), not touching other digits.
_LONG_ID = re.compile(rf"(?<![{DIGITS}])[{DIGITS}]{{14,}}[{DIGITS}{_X}](?![{DIGITS}{_X}])")
#: A maximal run of 11–14 digits (mobile numbers, landlines with their area code).
_PHONE_LIKE = re.compile(rf"(?<![{DIGITS}])[{DIGITS}]{{11,14}}(?![{DIGITS}])")
#: Groups of digits joined by separators (the last group may close with an X).
_GROUPED = re.compile(
    rf"(?<![{DIGITS}])[{DIGITS}]+(?:[{SEPARATOR}]{{1,3}}[{DIGITS}]+)+[{_X}]?(?![{DIGITS}{_X}])"
)
_GROUP = re.compile(rf"[{DIGITS}]+[{_X}]?")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
#: The lengths of a mobile number and of the two forms of an ID number.
_LENGTHS = frozenset({11, 15, 18})
_SHORTEST, _LONGEST = min(_LENGTHS), max(_LENGTHS)
#: The first two digits of a Chinese ID number (GB/T 2260 provinces).
_PROVINCE = re.compile(r"1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12]")
#: Enough digits for a mobile number, contiguous or in groups (the cheap test before the full one).
_MAYBE = rf"(?:[{DIGITS}][{SEPARATOR}]{{0,3}}){{10}}[{DIGITS}]"


def _keep(text: str, head: int, tail: int) -> str:
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def _id(match: re.Match[str]) -> str:
    return _keep(match.group(0), 6, 4)


def _phone(match: re.Match[str]) -> str:
    return _keep(match.group(0), 3, 4)


def kind_of(number: str) -> str | None:
    """``"mobile"``, ``"id"`` or None for a number written without separators (ASCII digits, X)."""
    if len(number) == 11 and _MOBILE.fullmatch(number):
        return "mobile"
    if len(number) in (15, 18) and number[:-1].isdigit() and _PROVINCE.match(number):
        return "id"
    return None


def digit_groups(text: str) -> Iterator[tuple[str, list[int]]]:
    """Every number written in groups in ``text`` that is as long as a mobile or an ID number (11, 15 or
    18 characters): the characters of two or more consecutive groups read as one number (ASCII), with
    their positions in ``text``. Every run of consecutive groups is tried, so a mobile number written after
    a date is found too."""
    for run in _GROUPED.finditer(text):
        if run.end() - run.start() < _SHORTEST:
            continue  # a date, a decimal: too short to hold a mobile number, separators and all
        groups = [(g.start() + run.start(), g.group(0)) for g in _GROUP.finditer(run.group(0))]
        if sum(len(g) for _, g in groups) < _SHORTEST:
            continue
        for i in range(len(groups)):
            width = len(groups[i][1])
            for j in range(i + 1, len(groups)):
                width += len(groups[j][1])
                if width > _LONGEST:
                    break
                if width in _LENGTHS:
                    chosen = groups[i : j + 1]
                    digits = "".join(g for _, g in chosen).translate(_ASCII)
                    yield digits, [start + k for start, g in chosen for k in range(len(g))]


def _mask_groups(text: str) -> str:
    hidden: set[int] = set()
    for digits, positions in digit_groups(text):
        kind = kind_of(digits.upper())
        if kind == "mobile":
            hidden.update(positions[3:-4])
        elif kind == "id":
            hidden.update(positions[6:-4])
    if not hidden:
        return text
    return "".join("*" if k in hidden else c for k, c in enumerate(text))


def redact_text(text: str) -> str:
    """``text`` with every long number masked (see the module docstring)."""
    return _mask_groups(_PHONE_LIKE.sub(_phone, _LONG_ID.sub(_id, text)))


def redact_series(s: pd.Series) -> pd.Series:
    """:func:`redact_text` on every value of a text column (``<NA>`` stays); other values are returned as is.

    Only the distinct values that hold a long number are rewritten, so a large column costs one regex scan.
    """
    text = s.astype("string")
    has_number = text.str.contains(_MAYBE, regex=True, na=False)
    if not has_number.any():
        return s
    out = text.copy()
    distinct = pd.unique(text[has_number].to_numpy(dtype=object))
    mapping = {value: redact_text(str(value)) for value in distinct}  # distinct long-number cells only
    out[has_number] = text[has_number].map(mapping)
    return out


__all__ = ["digit_groups", "kind_of", "redact_series", "redact_text"]
