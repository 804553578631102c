"""How cadres write township and village names, checked against the official list's resolution rules.

A village is written as 安山村 (most often), 安山 or the official 安山村委会; a residents' committee as 朝阳社区
or 朝阳社区居委会. Known variant characters (拦江村 for 栏江村委会, the 2016 name 高笋堰村) come from
``params/division_aliases.yaml``. Every written form offered here is checked with
:func:`liushou_core.values.divisions.resolve_villages`, so a form meant to resolve does resolve to its village, and the
forms meant to fail (an unknown name, the ambiguous 星花) fail the way the answer key says.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
import yaml

from liushou_core.paths import params_dir
from liushou_core.sample import geography
from liushou_core.values import divisions

#: Village names that sound right but are not units of the township they are written in.
_UNKNOWN_VILLAGES = (
    "新华村",
    "红旗村",
    "胜利村",
    "和平村",
    "幸福村",
    "光荣村",
    "建设村",
    "前进村",
    "五一村",
    "青龙村",
)


def _base_and_stem(official: str) -> tuple[str, str]:
    for suffix, replacement in (("村委会", "村"), ("社区居委会", "社区"), ("居委会", "")):
        if official.endswith(suffix):
            base = official.removesuffix(suffix) + replacement
            return base, base.removesuffix("村").removesuffix("社区")
    return official, official


def village_forms() -> pd.DataFrame:
    """One row per (village, written form) that resolves to that village: ``village_code``, ``form``
    (``base`` 安山村 / ``stem`` 安山 / ``official`` 安山村委会 / ``variant`` 拦江村) and ``text``."""
    return _village_forms(geography.vintage())


@lru_cache(maxsize=2)
def _village_forms(vintage: int) -> pd.DataFrame:
    d = geography.load_divisions()
    rows = []
    for tcode, vcode, official in d[["township_code", "village_code", "village"]].itertuples(index=False):
        base, stem = _base_and_stem(str(official))
        rows += [
            (tcode, vcode, "base", base),
            (tcode, vcode, "stem", stem),
            (tcode, vcode, "official", str(official)),
        ]
    aliases = yaml.safe_load((params_dir() / "division_aliases.yaml").read_text(encoding="utf-8")) or {}
    code_to_township = dict(zip(d["village_code"], d["township_code"], strict=True))
    for a in aliases.get("villages", []):
        vc = str(a["village_code"])
        if vc in code_to_township:  # aliases name 2018 codes; a re-coded unit's old spelling is not offered
            rows.append((code_to_township[vc], vc, "variant", str(a["spelling"])))
    f = pd.DataFrame(rows, columns=["township_code", "village_code", "form", "text"])
    r = divisions.resolve_villages(f["township_code"], f["text"])
    ok = r["village_match"].eq(divisions.RESOLVED) & r["village_code"].eq(f["village_code"])
    return f[ok.fillna(False).to_numpy()].reset_index(drop=True)


def ambiguous_stems() -> pd.DataFrame:
    """Short names that fit two units of one township (星花: 星花村委会 and 星花社区居委会):
    ``township_code``, ``village_code`` (each unit the stem could mean) and ``text``."""
    return _ambiguous_stems(geography.vintage())


@lru_cache(maxsize=2)
def _ambiguous_stems(vintage: int) -> pd.DataFrame:
    d = geography.load_divisions()
    stems = d["village"].map(lambda v: _base_and_stem(str(v))[1])
    r = divisions.resolve_villages(d["township_code"], stems)
    hit = r["village_match"].eq(divisions.AMBIGUOUS).to_numpy()
    return pd.DataFrame(
        {"township_code": d["township_code"][hit], "village_code": d["village_code"][hit], "text": stems[hit]}
    )


def unknown_villages() -> pd.DataFrame:
    """Per township, village names a cadre might write that no unit of that township has:
    ``township_code``, ``text``. Besides invented names, villages of a neighbouring township (金竹湾村 in 回马镇)."""
    return _unknown_villages(geography.vintage())


@lru_cache(maxsize=2)
def _unknown_villages(vintage: int) -> pd.DataFrame:
    d = geography.load_divisions()
    t = geography.townships()
    rows = [(tc, name) for tc in t["township_code"] for name in _UNKNOWN_VILLAGES]
    others = d.groupby("township_code")["village"].first()
    for i, tc in enumerate(t["township_code"]):  # the first village of the next township
        rows.append((tc, _base_and_stem(str(others.iloc[(i + 1) % len(others)]))[0]))
    f = pd.DataFrame(rows, columns=["township_code", "text"])
    r = divisions.resolve_villages(f["township_code"], f["text"])
    return f[r["village_match"].eq(divisions.UNKNOWN).to_numpy()].reset_index(drop=True)


def township_forms() -> pd.DataFrame:
    """``township_code``, ``official`` (回马镇), ``short`` (回马) and ``wrong`` (回马乡: no such township)."""
    return _township_forms(geography.vintage())


@lru_cache(maxsize=2)
def _township_forms(vintage: int) -> pd.DataFrame:
    t = geography.townships()
    official = t["township"].astype(str)
    short = official.str.replace(r"(镇|乡)$", "", regex=True)
    wrong = short + official.str.endswith("镇").map({True: "乡", False: "镇"})
    f = pd.DataFrame(
        {"township_code": t["township_code"], "official": official, "short": short, "wrong": wrong}
    )
    for col, expected in (
        ("official", divisions.RESOLVED),
        ("short", divisions.RESOLVED),
        ("wrong", divisions.UNKNOWN),
    ):
        got = divisions.resolve_townships(f[col])
        bad = ~got["township_match"].eq(expected)
        if col != "wrong":
            bad |= ~got["township_code"].eq(f["township_code"]).fillna(False)
        if bad.any():
            raise RuntimeError(f"township form {col} does not resolve as expected: {f[col][bad].tolist()}")
    return f
