"""Worked examples in the package's docstrings use dates that exist (issue 13: "29 February 1938" did not)."""

from __future__ import annotations

import calendar
import re
from pathlib import Path

import liushou_core

_LEAP_DAY = re.compile(r"29 February (\d{4})|(\d{4})-02-29|(\d{4})年2月29日")


def test_every_29_february_in_the_package_is_in_a_leap_year() -> None:
    root = Path(liushou_core.__file__).parent
    bad = []
    for path in root.rglob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "non-existent" in line:  # Excel's 1900-02-29 is named as the date that does not exist
                continue
            bad += [f"{path.name}: {m.group(0)}" for m in _LEAP_DAY.finditer(line) if not _leap(m)]
    assert not bad, bad


def _leap(m: re.Match[str]) -> bool:
    return calendar.isleap(int(next(g for g in m.groups() if g)))
