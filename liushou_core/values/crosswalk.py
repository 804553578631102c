"""Division codes across vintages: the 2018 list, the 2019 township reform, the bureau's 2020 village mapping.

A survey round is coded in the division list of its day: the 2017 year-end survey in the 2018 vintage (11
townships), a later round in the 2019 vintage (盐井街道 carved out of 蓬莱镇, 通仙乡 merged into 蓬莱镇, 智水乡
into 玉峰镇; re-coded units keep their last three digits). To compare rounds, both are expressed in the newer
vintage (:func:`express_in`): counts by township become comparable, and a village that was only re-coded is
not mistaken for a move. The 2018 → 2019 crosswalk is data with provenance (``data/CROSSWALK_README.md``),
each row saying how sure it is (``basis``).

The 2020 village reform (336 units → 196) is not in the official lists as a mapping, so it is the bureau's to
give: :func:`write_bureau_template` writes a form of the 336 units of 2019, the bureau fills in the 2020 unit
each became part of, and :func:`read_bureau_crosswalk` checks every row before it is used.

No 2018 code was reused for another unit in 2019, so a code alone says which unit it is, whichever of the
two vintages a return used; codes of 2020 are only ever reached through the bureau's mapping.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from liushou_core.errors import InputFileError, LiushouError
from liushou_core.paths import DATA_DIR
from liushou_core.values import divisions

#: Vintages with a shipped list of village-level units.
LISTED_VINTAGES = (2018, 2019)
#: Vintages a round can be expressed in (2020 needs the bureau's mapping).
VINTAGES = (2018, 2019, 2020)
#: How sure a row of the 2018 → 2019 crosswalk is (see data/CROSSWALK_README.md).
BASES = ("unchanged", "yanjing", "merged_order")

_CODE = r"^510923\d{6}$"


class Unit(pa.DataFrameModel):
    """A village-level unit of one vintage, with its township."""

    township_code: Series[str] = pa.Field(str_matches=r"^510923\d{3}$")
    township: Series[str]
    village_code: Series[str] = pa.Field(unique=True, str_matches=_CODE)
    village: Series[str]

    class Config:
        strict = "filter"
        coerce = True


class CrosswalkRow(pa.DataFrameModel):
    """One 2018 unit and the 2019 unit it became (``daying_crosswalk_2018_2019.csv``)."""

    code_2018: Series[str] = pa.Field(unique=True, str_matches=_CODE)
    village_2018: Series[str]
    township_code_2018: Series[str]
    township_2018: Series[str]
    code_2019: Series[str] = pa.Field(unique=True, str_matches=_CODE)
    village_2019: Series[str]
    township_code_2019: Series[str]
    township_2019: Series[str]
    basis: Series[str] = pa.Field(isin=list(BASES))

    @pa.dataframe_check
    @classmethod
    def codes_start_with_their_township(cls, df: pd.DataFrame) -> Series[bool]:
        return df["code_2018"].str[:9].eq(df["township_code_2018"]) & df["code_2019"].str[:9].eq(
            df["township_code_2019"]
        )

    @pa.dataframe_check
    @classmethod
    def recoded_units_keep_their_last_three_digits(cls, df: pd.DataFrame) -> Series[bool]:
        """The 2019 rule for 盐井街道; the merged townships' units got new numbers within their range."""
        return df["basis"].eq("merged_order") | df["code_2018"].str[-3:].eq(df["code_2019"].str[-3:])

    class Config:
        strict = True
        coerce = True


class Mapping(pa.DataFrameModel):
    """Any known code → the unit it is (or became part of) in a target vintage."""

    code: Series[str] = pa.Field(unique=True, str_matches=_CODE)
    township_code: Series[str]
    township: Series[str]
    village_code: Series[str] = pa.Field(str_matches=_CODE)
    village: Series[str]

    class Config:
        strict = True
        coerce = True


_UNIT_COLUMNS = ["township_code", "township", "village_code", "village"]


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, dtype="string", keep_default_na=False)


@lru_cache(maxsize=4)
def divisions_at(vintage: int) -> pd.DataFrame:
    """The village-level units of a listed vintage (2018: 336 in 11 townships; 2019: 336 in 10)."""
    if vintage == 2018:
        units = divisions.load_divisions()[_UNIT_COLUMNS]
    elif vintage == 2019:
        raw = _read("daying_divisions_2019.csv")
        units = raw.rename(columns={"township_name": "township", "village_name": "village"})
    else:
        raise LiushouError(
            f"{vintage} 年的村级区划没有随程序提供：2020 年的村级合并请用民政局填写的对照表（--crosswalk）"
        )
    return Unit.validate(units.sort_values("village_code", ignore_index=True))


def townships_at(vintage: int) -> pd.DataFrame:
    """``township_code``, ``township`` and ``villages`` (number of units) of a vintage, in code order.

    For 2020 the township list and the official number of units per township (196 in all)."""
    if vintage == 2020:
        t = _read("daying_townships_2020.csv")
        return t.astype({"villages": "int64"})
    d = divisions_at(vintage)
    return (
        d.groupby(["township_code", "township"], as_index=False)
        .agg(villages=("village_code", "size"))
        .sort_values("township_code", ignore_index=True)
    )


@lru_cache(maxsize=1)
def crosswalk_2018_2019() -> pd.DataFrame:
    """The 336 units of 2018 and the 2019 unit each became, with the ``basis`` of each row."""
    return CrosswalkRow.validate(_read("daying_crosswalk_2018_2019.csv"))


def newest_vintage(codes: pd.Series) -> int:
    """The newest listed vintage a set of village codes shows: 2019 if any code exists only since 2019
    (盐井街道's, the re-coded units of 通仙乡 and 智水乡), else 2018."""
    only_2019 = set(divisions_at(2019)["village_code"]) - set(divisions_at(2018)["village_code"])
    return 2019 if codes.dropna().astype(str).isin(only_2019).any() else 2018


def mapping(to_vintage: int, bureau: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every code of 2018 and 2019 → the unit of ``to_vintage`` it is or became part of (:class:`Mapping`).

    2018 and 2019 map through the shipped crosswalk (both ways: no unit was split or merged in 2019); 2020
    needs ``bureau``, the checked mapping of :func:`read_bureau_crosswalk`.
    """
    if to_vintage in LISTED_VINTAGES:
        return _listed_mapping(to_vintage)
    if to_vintage == 2020:
        if bureau is None:
            raise LiushouError(
                "要换算到 2020 年的村级区划，需要民政局填写的 2019—2020 村级对照表（--crosswalk）"
            )
        to_2019 = mapping(2019)[["code", "village_code"]].rename(columns={"village_code": "code_2019"})
        b = bureau[["code_2019", "code_2020", "village_2020", "township_code_2020", "township_2020"]]
        out = to_2019.merge(b, on="code_2019", how="left", validate="m:1")
        out = out.rename(
            columns={"code_2020": "village_code", "village_2020": "village",
                     "township_code_2020": "township_code", "township_2020": "township"}
        )  # fmt: skip
        return Mapping.validate(out[["code", *_UNIT_COLUMNS]])
    raise LiushouError(f"不认识的区划年份 {to_vintage}（可用：{'、'.join(map(str, VINTAGES))}）")


@lru_cache(maxsize=2)
def _listed_mapping(to_vintage: int) -> pd.DataFrame:
    cw = crosswalk_2018_2019()
    target = divisions_at(to_vintage).set_index("village_code")
    if to_vintage == 2019:
        pairs = pd.concat([cw[["code_2018", "code_2019"]].set_axis(["code", "to"], axis=1),
                           cw[["code_2019", "code_2019"]].set_axis(["code", "to"], axis=1)])  # fmt: skip
    else:
        pairs = pd.concat([cw[["code_2019", "code_2018"]].set_axis(["code", "to"], axis=1),
                           cw[["code_2018", "code_2018"]].set_axis(["code", "to"], axis=1)])  # fmt: skip
    pairs = pairs.drop_duplicates("code", ignore_index=True)
    units = target.loc[pairs["to"], ["township_code", "township", "village"]].reset_index(drop=True)
    out = pd.DataFrame({"code": pairs["code"], "village_code": pairs["to"]}).join(units)
    return Mapping.validate(out[["code", *_UNIT_COLUMNS]])


def express_in(
    frame: pd.DataFrame, vintage: int, *, bureau: pd.DataFrame | None = None, code: str = "village_code"
) -> pd.DataFrame:
    """``frame`` with ``township_code``, ``township``, ``village_code`` and ``village`` replaced by the units
    of ``vintage`` that its ``code`` column's units are (or became part of). A code of no known vintage is an
    error naming it: a register's codes always come from the official lists."""
    m = mapping(vintage, bureau).set_index("code")
    codes = frame[code].astype("string")
    unknown = codes[~codes.isin(m.index)].dropna().unique()
    if len(unknown):
        raise LiushouError(f"这些村级代码不在任何年份的区划中：{'、'.join(map(str, unknown[:5]))}")
    out = frame.copy()
    for col in _UNIT_COLUMNS:
        out[col] = codes.map(m[col]).astype("string")
    return out


# ----- the bureau's 2019 → 2020 mapping ---------------------------------------------------------------------

#: Column headers of the bureau's form (field → header as printed).
BUREAU_HEADERS = {
    "code_2019": "2019年村级代码",
    "village_2019": "2019年村（社区）",
    "township_2019": "2019年镇（街道）",
    "code_2020": "2020年村级代码",
    "village_2020": "2020年村（社区）",
}


def bureau_template() -> pd.DataFrame:
    """The form the bureau fills: the 336 units of 2019, the 2020 columns empty (Chinese headers)."""
    d = divisions_at(2019)
    form = pd.DataFrame(
        {
            "code_2019": d["village_code"],
            "village_2019": d["village"],
            "township_2019": d["township"],
            "code_2020": "",
            "village_2020": "",
        }
    )
    return form.rename(columns=BUREAU_HEADERS)


def write_bureau_template(path: Path) -> Path:
    """Write :func:`bureau_template` as ``.xlsx`` (codes as text) or ``.csv`` (UTF-8 with BOM)."""
    path = Path(path)
    form = bureau_template()
    if path.suffix.lower() == ".csv":
        form.to_csv(path, index=False, encoding="utf-8-sig")
    else:
        with pd.ExcelWriter(path, engine="xlsxwriter") as xw:
            form.to_excel(xw, sheet_name="村级区划对照", index=False)
            sheet = xw.sheets["村级区划对照"]
            text = xw.book.add_format({"num_format": "@"})
            sheet.set_column(0, len(form.columns) - 1, 22, text)
    return path


def read_bureau_crosswalk(path: Path) -> pd.DataFrame:
    """Read and check the bureau's filled-in form (``.xlsx`` or ``.csv`` in UTF-8 or GBK).

    Returns ``code_2019``, ``code_2020``, ``village_2020``, ``township_code_2020``, ``township_2020``;
    raises :class:`~liushou_core.errors.InputFileError` listing every problem (row numbers as Excel shows
    them, header = row 1).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError("找不到村级区划对照表", file=str(path))
    if path.suffix.lower() == ".csv":
        raw = None
        for enc in ("utf-8-sig", "gb18030"):
            try:
                raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=enc)
                break
            except UnicodeDecodeError:
                continue
        if raw is None:
            raise InputFileError("无法识别文件编码，请另存为 UTF-8 或 GBK 的 CSV", file=path.name)
    else:
        try:
            raw = pd.read_excel(path, dtype=str, engine="calamine").fillna("")
        except Exception as exc:
            raise InputFileError(f"无法读取（{exc}），请另存为 .xlsx", file=path.name) from exc
    return validate_bureau_crosswalk(raw, source=path.name)


def validate_bureau_crosswalk(raw: pd.DataFrame, *, source: str = "对照表") -> pd.DataFrame:
    """Check a filled-in form (headers as :data:`BUREAU_HEADERS` or the field names); see
    :func:`read_bureau_crosswalk`."""
    by_header = {v: k for k, v in BUREAU_HEADERS.items()}
    df = raw.rename(columns=lambda c: by_header.get(str(c).strip(), str(c).strip()))
    missing = [BUREAU_HEADERS[c] for c in ("code_2019", "code_2020", "village_2020") if c not in df]
    if missing:
        raise InputFileError(f"缺少列：{'、'.join(missing)}", file=source)
    df = df.astype("string").fillna("")
    for c in ("code_2019", "code_2020", "village_2020"):
        df[c] = df[c].str.strip().str.replace(r"\.0$", "", regex=True)
    row = pd.Series(range(2, len(df) + 2), index=df.index)  # the header is row 1
    problems: list[str] = []

    def report(mask: pd.Series, column: str, message: str) -> None:
        for r, value in zip(row[mask].head(5), df.loc[mask, column].head(5), strict=True):
            problems.append(f"第 {r} 行，列 {BUREAU_HEADERS[column]}（“{value}”）：{message}")
        if int(mask.sum()) > 5:
            problems.append(f"……另有 {int(mask.sum()) - 5} 行同样的问题（列 {BUREAU_HEADERS[column]}）")

    known = set(divisions_at(2019)["village_code"])
    report(~df["code_2019"].isin(known), "code_2019", "不是 2019 年大英县的村级代码")
    report(df["code_2019"].duplicated(keep="first") & df["code_2019"].ne(""), "code_2019", "重复出现")
    towns = townships_at(2020).set_index("township_code")
    good_code = df["code_2020"].str.fullmatch(r"510923\d{6}").fillna(False)
    report(~good_code, "code_2020", "应为 12 位大英县村级代码（510923 开头）")
    report(
        good_code & ~df["code_2020"].str[:9].isin(towns.index), "code_2020", "前 9 位不是 2020 年的镇（街道）"
    )
    report(df["village_2020"].eq(""), "village_2020", "未填写 2020 年村（社区）名称")
    names = df[good_code & df["village_2020"].ne("")].groupby("code_2020")["village_2020"].nunique()
    clash = df["code_2020"].isin(names[names > 1].index)
    report(clash, "village_2020", "同一个 2020 年代码填了不同的名称")
    absent = sorted(known - set(df["code_2019"]))
    if absent:
        problems.append(f"缺少 {len(absent)} 个 2019 年村级单位，如 {'、'.join(absent[:5])}")
    if not problems:
        per_town = df.groupby(df["code_2020"].str[:9])["code_2020"].nunique()
        expected = towns["villages"]
        diff = expected.sub(per_town.reindex(expected.index, fill_value=0))
        for code, d in diff[diff.ne(0)].items():
            problems.append(
                f"{towns.loc[code, 'township']} 应有 {expected[code]} 个 2020 年村级单位（官方数），"
                f"表中为 {expected[code] - d} 个"
            )
    if problems:
        raise InputFileError("村级区划对照表有误：\n" + "\n".join(problems), file=source)
    out = df[["code_2019", "code_2020", "village_2020"]].copy()
    out["township_code_2020"] = out["code_2020"].str[:9]
    out["township_2020"] = out["township_code_2020"].map(towns["township"]).astype("string")
    return out.reset_index(drop=True)


__all__ = [
    "BUREAU_HEADERS",
    "LISTED_VINTAGES",
    "VINTAGES",
    "bureau_template",
    "crosswalk_2018_2019",
    "divisions_at",
    "express_in",
    "mapping",
    "newest_vintage",
    "read_bureau_crosswalk",
    "townships_at",
    "validate_bureau_crosswalk",
    "write_bureau_template",
]
