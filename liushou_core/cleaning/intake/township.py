"""The township of a return that has no 镇（乡） column, from its title, its sheet's name or its file name.

Returns often arrive without the column: a township fills in its own people, and says who it is once, in the
title ("回马镇农村“三留守”人员摸排登记表") or the file's name ("回马镇.xlsx"). A text names a township when
it holds the township's official name or its name without 镇/乡 (回马); the title rows are looked at first,
then the sheet's name, then the file's name, and the first of them that names exactly one township decides.
One that names several (a county's summary: "回马镇、蓬莱镇…") decides nothing, so the sheet is refused as
before (its township column is required).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from liushou_core.values.divisions import townships

_SUFFIX = re.compile(r"(镇|乡|街道)$")


@dataclass(frozen=True)
class Inferred:
    township: str  # official name
    source: str  # where it was read, as a message says it: 标题“…” / 工作表名“…” / 文件名“…”


@lru_cache(maxsize=1)
def _spellings() -> tuple[tuple[str, str], ...]:
    """(spelling, official name): each township's name and its name without the suffix, longest first."""
    pairs = set()
    for name in townships()["township"]:
        pairs.add((name, name))
        stem = _SUFFIX.sub("", name)
        if len(stem) >= 2:
            pairs.add((stem, name))
    return tuple(sorted(pairs, key=lambda p: (-len(p[0]), p[0])))


def townships_named(text: str) -> set[str]:
    """The official names of the townships a text names."""
    return {name for spelling, name in _spellings() if spelling in text}


def infer_township(titles: Iterable[str], sheet_name: str, file_name: str) -> Inferred | None:
    """The township the first of title rows, sheet name and file name to name exactly one names; None when
    the first that names any names several, or none names one."""
    title = "".join(t.strip() for t in titles)
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    for text, source in ((title, "标题"), (sheet_name, "工作表名"), (stem, "文件名")):
        named = townships_named(text)
        if len(named) == 1:
            shown = text if len(text) <= 40 else text[:40] + "…"
            return Inferred(named.pop(), f"{source}“{shown}”")
        if named:
            return None
    return None
