"""Where each row of a return goes: files, sheets, row numbers, and the rows that are not people.

A return lists its people village by village (children, women, elders within each village, by 组), or
category by category with a section line (一、留守儿童) above each; it may repeat the header above each
village block (blocks pasted together), close each village with a 小计 row, leave blank rows, end with a 合计
row, pre-numbered empty rows and a 填表人/审核人 footer line — or put each village on its own sheet. Row numbers
follow the contract (docs/pipeline.md): the row number a person sees in Excel, title rows counted; in a CSV
the line number.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou_core.register import CATEGORIES
from liushou_core.sample import geography
from liushou_core.sample.columns import object_frame
from liushou_core.sample.styles import ReturnStyle

#: Row kinds and the skip rule the intake gives them (people are ``person``).
SKIP_RULES = {
    "blank": "skip_blank",
    "total": "skip_total",
    "subtotal": "skip_total",
    "header": "skip_header",
    "subheader": "skip_header",  # the lower row of a two-row header
    "section": "skip_note",
    "footer": "skip_note",
    "prenumbered": "skip_note",
}
_BIG = 1_000_000_000
_CAT_ORDER = {c: i for i, c in enumerate(CATEGORIES)}
_KEYS = ["file_order", "sheet_index", "block", "sub", "k1", "k2", "pos"]


def header_row(style: ReturnStyle) -> int:
    """The row (line) number of the header: below a title line, a 填报单位 line and maybe a blank line."""
    if not style.title_lines:
        return 1
    return 3 + int(style.blank_after_title)


def village_order() -> pd.Series:
    """Each village's position in its township's return: official code order."""
    d = geography.load_divisions().sort_values("village_code")
    return pd.Series(d.groupby("township_code").cumcount().to_numpy(), index=d["village_code"].to_numpy())


def sheet_names() -> pd.Series:
    """Village code → the sheet name a village gets in a one-sheet-per-village workbook (安山村, 朝阳社区)."""
    d = geography.load_divisions()
    names = (
        d["village"].str.replace("村委会$", "村", regex=True).str.replace("社区居委会$", "社区", regex=True)
    )
    return pd.Series(names.to_numpy(), index=d["village_code"].to_numpy())


def layout(plan: pd.DataFrame, styles: list[ReturnStyle], rng: np.random.Generator) -> pd.DataFrame:
    """Every input row of every return, in order: ``file``, ``sheet``, ``sheet_index``, ``source_row``,
    ``kind``, ``person`` (plan index of a person row), ``serial`` (序号) and ``count`` (of 小计/合计 rows)."""
    style_of = {s.township_code: s for s in styles}
    rank = {name: i for i, name in enumerate(sorted(s.file_name for s in styles))}
    st = pd.DataFrame(
        {
            "township_code": [s.township_code for s in styles],
            "file": [s.file_name for s in styles],
            "file_order": [rank[s.file_name] for s in styles],
            "per_village": [s.per_village_sheets for s in styles],
            "by_category": [s.order == "category" for s in styles],
            "sheet_name": [s.sheet_name for s in styles],
        }
    ).set_index("township_code")
    t = plan["township_code"]
    per_village = t.map(st["per_village"]).to_numpy(dtype=bool)
    by_cat = t.map(st["by_category"]).to_numpy(dtype=bool)
    vorder = plan["village_code"].map(village_order()).to_numpy()
    cat_order = plan["declared"].fillna(plan["category"]).map(_CAT_ORDER).to_numpy()
    pos = rng.random(len(plan))
    people = object_frame(
        {
            "township_code": t.to_numpy(),
            "file": t.map(st["file"]).to_numpy(),
            "file_order": t.map(st["file_order"]).to_numpy(),
            "sheet": np.where(
                per_village,
                plan["village_code"].map(sheet_names()).to_numpy(),
                t.map(st["sheet_name"]).to_numpy(),
            ),
            "sheet_index": np.where(per_village, vorder, 0),
            "block": np.select([per_village, by_cat], [0, cat_order * 1000 + vorder], default=vorder),
            "sub": 1,
            "k1": np.where(by_cat, 0, cat_order),
            "k2": plan["group"].to_numpy(),
            "pos": pos,
            "kind": "person",
            "person": plan.index.to_numpy(),
            "cat_order": cat_order,
        },
        index=plan.index,
    )
    # A copy in the same village comes after its original (the original is the row kept).
    same = plan["copy_kind"].eq("same_village").fillna(False).to_numpy()
    if same.any():
        orig_pos = people.loc[plan.loc[same, "original"].to_numpy(), "pos"].to_numpy()
        people.loc[same, "pos"] = orig_pos + (1 - orig_pos) * rng.uniform(0.05, 1.0, int(same.sum()))

    frames = [
        people,
        _random_blanks(people, style_of, rng),
        _block_rows(people, style_of),
        _section_rows(people, style_of),
    ]
    frames.append(_sheet_rows(people, style_of))
    rows = pd.concat([f for f in frames if len(f)], ignore_index=True)
    rows = rows.sort_values(_KEYS, kind="stable", ignore_index=True)
    rows = _drop_trailing_blanks(rows)
    return _number(rows, style_of)


def _random_blanks(
    people: pd.DataFrame, style_of: dict[str, ReturnStyle], rng: np.random.Generator
) -> pd.DataFrame:
    """Stray blank rows, right below a person (a row deleted by clearing its cells)."""
    rate = people["township_code"].map({c: s.blank_rate for c, s in style_of.items()}).to_numpy(dtype=float)
    hit = rng.random(len(people)) < rate
    b = people[hit].copy()
    b["pos"] = b["pos"] + 1e-9
    b["kind"] = "blank"
    b["person"] = pd.NA
    return b


def _block_rows(people: pd.DataFrame, style_of: dict[str, ReturnStyle]) -> pd.DataFrame:
    """Header repeats above, 小计 rows and blank rows below village blocks."""
    keys = ["township_code", "file", "file_order", "sheet", "sheet_index", "block"]
    blocks = people.groupby(keys, as_index=False).size().rename(columns={"size": "count"})
    blocks = blocks.sort_values(["file_order", "sheet_index", "block"], ignore_index=True)
    g = blocks.groupby(["file_order", "sheet_index"])
    first, last = g.cumcount().eq(0), g.cumcount(ascending=False).eq(0)
    flag = {
        f: blocks["township_code"].map({c: getattr(s, f) for c, s in style_of.items()}).to_numpy(dtype=bool)
        for f in ("header_repeat", "subtotals", "blank_between")
    }
    out = []
    for kind, mask, sub in (
        ("header", flag["header_repeat"] & ~first.to_numpy(), 0),
        ("subtotal", flag["subtotals"], 2),
        ("blank", flag["blank_between"] & ~last.to_numpy(), 3),
    ):
        r = blocks[mask].copy()
        r["sub"], r["kind"] = sub, kind
        out.append(r)
    rows = pd.concat(out, ignore_index=True)
    rows[["k1", "k2", "pos"]] = 0
    return rows


def _section_rows(people: pd.DataFrame, style_of: dict[str, ReturnStyle]) -> pd.DataFrame:
    """一、留守儿童 … above each category of a return listed category by category."""
    by_cat = (
        people["township_code"]
        .map({c: s.order == "category" for c, s in style_of.items()})
        .to_numpy(dtype=bool)
    )
    keys = ["township_code", "file", "file_order", "sheet", "sheet_index", "cat_order"]
    sec = people[by_cat].groupby(keys, as_index=False).size().rename(columns={"size": "count"})
    if sec.empty:
        return sec
    sec["block"] = sec["cat_order"] * 1000 - 1
    sec["sub"], sec["k1"], sec["k2"], sec["pos"] = 0, 0, 0, 0.0
    sec["kind"] = "section"
    sec["section_no"] = sec.groupby(["file_order", "sheet_index"]).cumcount()
    return sec


def _sheet_rows(people: pd.DataFrame, style_of: dict[str, ReturnStyle]) -> pd.DataFrame:
    """The lower row of a two-row header at the top; pre-numbered empty rows, the 合计 row and the footer
    lines at the end of each sheet."""
    keys = ["township_code", "file", "file_order", "sheet", "sheet_index"]
    sheets = people.groupby(keys, as_index=False).size().rename(columns={"size": "count"})

    def attr(name: str) -> np.ndarray:
        return sheets["township_code"].map({c: getattr(s, name) for c, s in style_of.items()}).to_numpy()

    out = []
    sub = sheets[attr("two_row_header").astype(bool)].copy()
    sub["block"], sub["kind"], sub["pos"] = -_BIG, "subheader", 0.0
    out.append(sub)
    pre = np.where(attr("per_village_sheets").astype(bool), 0, attr("prenumbered")).astype(np.int64)
    p = sheets.loc[sheets.index.repeat(pre)].copy()
    p["pos"] = p.groupby(level=0).cumcount().astype(float)
    p["block"], p["kind"] = _BIG - 3, "prenumbered"
    out.append(p)
    tot = sheets[attr("total_row").astype(bool)].copy()
    tot["block"], tot["kind"], tot["pos"] = _BIG - 2, "total", 0.0
    out.append(tot)
    foot = sheets[attr("footer").astype(bool)].copy()
    foot["block"], foot["kind"], foot["pos"] = _BIG - 1, "footer", 0.0
    out.append(foot)
    # Some footers have a second line with the form's instructions (说明).
    note = foot[(foot["file_order"] + foot["sheet_index"]) % 3 == 0].copy()
    note["pos"], note["footer_line"] = 1.0, 1
    out.append(note)
    rows = pd.concat(out, ignore_index=True)
    rows["sub"], rows["k1"], rows["k2"] = 0, 0, 0
    return rows


def _drop_trailing_blanks(rows: pd.DataFrame) -> pd.DataFrame:
    """Blank rows after the last non-empty row of a sheet are not rows at all."""
    nonblank = rows["kind"].ne("blank").astype(np.int64)[::-1]
    later = nonblank.groupby([rows["file_order"][::-1], rows["sheet_index"][::-1]]).cummax()[::-1].gt(0)
    return rows[later.to_numpy(dtype=bool)].reset_index(drop=True)


def _number(rows: pd.DataFrame, style_of: dict[str, ReturnStyle]) -> pd.DataFrame:
    """序号 of people (per sheet, or per village block where the township restarts it) and row numbers."""
    sheet = [rows["file_order"], rows["sheet_index"]]
    person = rows["kind"].eq("person")
    restart = (
        rows["township_code"].map({c: s.serial_restart for c, s in style_of.items()}).to_numpy(dtype=bool)
    )
    per_sheet = person.groupby(sheet).cumsum()
    per_block = person.groupby([*sheet, rows["block"]]).cumsum()
    serial = np.where(restart, per_block, per_sheet)
    pre = rows["kind"].eq("prenumbered")
    serial = np.where(pre, person.groupby(sheet).transform("sum") + pre.groupby(sheet).cumsum(), serial)
    rows["serial"] = pd.array(np.where(person | pre, serial, 0), dtype="Int64")
    rows.loc[~(person | pre), "serial"] = pd.NA
    top = rows["township_code"].map({c: header_row(s) for c, s in style_of.items()})
    rows["source_row"] = top + 1 + rows.groupby(sheet).cumcount()
    rows["person"] = rows["person"].astype("Int64")
    return rows
