"""Daying County's official 2018 township and village codes, and resolution of the names cadres type.

The list is the NBS 2018 统计用区划代码 (see ``data/DIVISIONS_README.md`` for provenance); names of the 2019
list (盐井街道, see ``data/CROSSWALK_README.md``) resolve too, to their 2019 codes. Names are resolved
inside their township: the full official name, the name without 委会/居委会, and the bare stem all resolve
when they point at one unit only (``安山村`` and ``安山`` → 安山村委会); a stem shared by a 村 and a 社区
(``星花``) is ambiguous and is never guessed. Known variant characters (拦江 → 栏江村委会) are data in
``params/division_aliases.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd
import yaml

from liushou_core.paths import DATA_DIR, params_dir
from liushou_core.values.codebook import header_key

COUNTY_CODE = "510923"
COUNTY_NAME = "大英县"

_KIND_SUFFIX = re.compile(r"(村|社区)$")
_TOWNSHIP_SUFFIX = re.compile(r"(镇|乡|街道)$")

#: Resolution outcomes, as stored in the ``*_match`` columns.
RESOLVED, AMBIGUOUS, UNKNOWN, MISSING = "resolved", "ambiguous", "unknown", "missing"


@lru_cache(maxsize=1)
def load_divisions() -> pd.DataFrame:
    """The 336 village-level units of 2018 with their township, kind and 2016 urban-rural code."""
    dtype = {
        "township_code": "string",
        "village_code": "string",
        "township_name": "string",
        "village_name": "string",
    }
    df = pd.read_csv(DATA_DIR / "daying_divisions_2018.csv", dtype=dtype, keep_default_na=False)
    ur = pd.read_csv(DATA_DIR / "daying_urban_rural_2016.csv", dtype="string", keep_default_na=False)
    df = df.merge(
        ur[["village_code", "urban_rural_code_2016"]], on="village_code", how="left", validate="1:1"
    )
    df = df.rename(columns={"township_name": "township", "village_name": "village"}).drop(
        columns="urban_rural_code"
    )
    # Last three digits 001–199 = residents' committee (社区), 200–399 = villagers' committee (村).
    df["village_kind"] = pd.Series(
        ["社区" if int(c[-3:]) < 200 else "村" for c in df["village_code"]], index=df.index, dtype="string"
    )
    return df


def townships() -> pd.DataFrame:
    """The 11 township-level units of 2018: ``township_code``, ``township``, ``villages`` (count)."""
    d = load_divisions()
    return (
        d.groupby(["township_code", "township"], as_index=False)
        .agg(villages=("village_code", "size"))
        .sort_values("township_code", ignore_index=True)
    )


def township_name(code: str) -> str:
    """Official name of a township code; KeyError if it is not a 2018 Daying township."""
    t = townships().set_index("township_code")["township"]
    return str(t[code])


def village(code: str) -> dict[str, str]:
    """The row of one village-level unit by its 12-digit code; KeyError if unknown."""
    d = load_divisions().set_index("village_code")
    return {k: str(v) for k, v in d.loc[code].items()} | {"village_code": code}


def _township_keys(name: str) -> set[str]:
    stem = _TOWNSHIP_SUFFIX.sub("", name)
    return {header_key(name), header_key(stem)}


def _village_keys(name: str, township: str) -> set[str]:
    keys = set()
    for n in {name, name.removeprefix(township)}:
        base = n
        for suffix, replacement in (
            ("村民委员会", "村"),
            ("居民委员会", ""),
            ("村委会", "村"),
            ("居委会", ""),
        ):
            if n.endswith(suffix):
                base = n.removesuffix(suffix) + replacement
                break
        if base.endswith("村村"):
            base = base[:-1]
        # 金竹村委会 → 金竹村, 金竹 ; 朝阳社区居委会 → 朝阳社区, 朝阳 ; 隆盛镇溪江社区 → 溪江社区, 溪江
        stem = _KIND_SUFFIX.sub("", base)
        keys |= {n, base, stem}
        if base.endswith("村"):
            keys |= {base + "委会", base + "民委员会", stem + "村委会"}
        if base.endswith("社区"):
            keys |= {base + "居委会", base + "居民委员会"}
    return {header_key(k) for k in keys if k}


@lru_cache(maxsize=1)
def known_units() -> pd.DataFrame:
    """Every unit of the 2018 list and of the later list shipped beside it (2019: 盐井街道 and the re-coded units
    of 通仙乡 and 智水乡, see ``data/CROSSWALK_README.md``), so names of either vintage resolve. No code was
    reused for another unit, so a code still says which unit it is; ``crosswalk`` maps between vintages."""
    later = pd.read_csv(DATA_DIR / "daying_divisions_2019.csv", dtype="string", keep_default_na=False)
    later = later.rename(columns={"township_name": "township", "village_name": "village"})
    cols = ["township_code", "township", "village_code", "village"]
    units = pd.concat([load_divisions()[cols], later[cols]], ignore_index=True)
    return units.drop_duplicates("village_code", ignore_index=True)


@dataclass(frozen=True)
class _Lookup:
    townships: pd.DataFrame  # key, township_code
    villages: pd.DataFrame  # township_code, key, village_code, n


@lru_cache(maxsize=1)
def _lookup() -> _Lookup:
    d = load_divisions()
    units = known_units()
    t_rows = [
        (k, code)
        for code, name in units[["township_code", "township"]].drop_duplicates().itertuples(index=False)
        for k in _township_keys(name)
    ]
    v_rows = [
        (tc, k, vc)
        for tc, t, vc, v in units[["township_code", "township", "village_code", "village"]].itertuples(
            index=False
        )
        for k in _village_keys(v, t)
    ]
    aliases = yaml.safe_load((params_dir() / "division_aliases.yaml").read_text(encoding="utf-8")) or {}
    code_to_township = dict(zip(d["village_code"], d["township_code"], strict=True))
    for a in aliases.get("villages", []):
        vc = str(a["village_code"])
        v_rows.append((code_to_township[vc], header_key(a["spelling"]), vc))
    tdf = pd.DataFrame(t_rows, columns=["key", "township_code"], dtype="string")
    vdf = pd.DataFrame(
        v_rows, columns=["township_code", "key", "village_code"], dtype="string"
    ).drop_duplicates()
    vdf["n"] = vdf.groupby(["township_code", "key"])["village_code"].transform("size")
    return _Lookup(tdf, vdf)


def _keys(s: pd.Series) -> pd.Series:
    return s.astype("string").map(header_key, na_action="ignore").replace("", pd.NA)


def resolve_townships(names: pd.Series) -> pd.DataFrame:
    """Resolve township names as typed (``回马`` → 回马镇) to codes.

    Returns a frame on ``names.index`` with ``township_code``, ``township`` (official name) and
    ``township_match`` (resolved / unknown / missing).
    """
    keys = _keys(names)
    lk = _lookup().townships.set_index("key")["township_code"]
    code = keys.map(lk).astype("string")
    by_code = known_units().drop_duplicates("township_code").set_index("township_code")["township"]
    official = code.map(by_code).astype("string")
    match = (
        pd.Series(UNKNOWN, index=names.index, dtype="string")
        .mask(code.notna(), RESOLVED)
        .mask(keys.isna(), MISSING)
    )
    return pd.DataFrame(
        {"township_code": code, "township": official, "township_match": match}, index=names.index
    )


def resolve_villages(township_codes: pd.Series, names: pd.Series) -> pd.DataFrame:
    """Resolve village names inside their (already resolved) township.

    Returns a frame on ``names.index`` with ``village_code``, ``village`` (official name) and
    ``village_match``: resolved, ambiguous (the name fits several units, e.g. 星花 in 河边镇),
    unknown (no unit of that township has that name, or the township is unknown) or missing.
    """
    keys = _keys(names)
    q = pd.DataFrame({"township_code": township_codes.astype("string"), "key": keys}, index=names.index)
    lk = _lookup().villages
    first = lk.drop_duplicates(["township_code", "key"])
    # A left merge on keys that are unique on the right keeps the left's rows and order.
    m = q.merge(first, on=["township_code", "key"], how="left").set_index(names.index)
    ambiguous = m["n"].gt(1).fillna(False).astype(bool)
    code = m["village_code"].astype("string").mask(ambiguous, pd.NA)
    official = code.map(known_units().set_index("village_code")["village"]).astype("string")
    match = pd.Series(UNKNOWN, index=names.index, dtype="string")
    match = match.mask(code.notna(), RESOLVED).mask(ambiguous, AMBIGUOUS).mask(keys.isna(), MISSING)
    return pd.DataFrame(
        {"village_code": code, "village": official, "village_match": match}, index=names.index
    )
