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
"""

from __future__ import annotations

import re

import pandas as pd

#: A maximal run of ID characters: 15+ digits, optionally closed by an X (x), not touching other digits.
_LONG_ID = re.compile(r"(?<![0-9])[0-9]{14,}[0-9Xx](?![0-9Xx])")
#: A maximal run of 11–14 digits (mobile numbers, landlines with their area code).
_PHONE_LIKE = re.compile(r"(?<![0-9])[0-9]{11,14}(?![0-9])")


def _keep(text: str, head: int, tail: int) -> str:
    return text[:head] + "*" * (len(text) - head - tail) + text[-tail:]


def _id(match: re.Match[str]) -> str:
    return _keep(match.group(0), 6, 4)


def _phone(match: re.Match[str]) -> str:
    return _keep(match.group(0), 3, 4)


def redact_text(text: str) -> str:
    """``text`` with every long number masked (see the module docstring)."""
    return _PHONE_LIKE.sub(_phone, _LONG_ID.sub(_id, text))


def redact_series(s: pd.Series) -> pd.Series:
    """:func:`redact_text` on every value of a text column (``<NA>`` stays); other values are returned as is.

    Only the distinct values that hold a long number are rewritten, so a large column costs one regex scan.
    """
    text = s.astype("string")
    has_number = text.str.contains(r"[0-9]{11}", regex=True, na=False)
    if not has_number.any():
        return s
    out = text.copy()
    distinct = pd.unique(text[has_number].to_numpy(dtype=object))
    mapping = {value: redact_text(str(value)) for value in distinct}  # distinct long-number cells only
    out[has_number] = text[has_number].map(mapping)
    return out


__all__ = ["redact_series", "redact_text"]
