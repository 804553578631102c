"""Tables for people from a change register: entries and exits by reason, counts by category, township and
village, the lists of people (Chinese headers), the headline sentence and the reasons chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from liushou_core.register import CATEGORIES
from liushou_core.rounds.changes import (
    CHANGES,
    ENTRY_REASONS,
    EXIT_REASONS,
    Comparison,
)

if TYPE_CHECKING:  # matplotlib and seaborn load only when a chart is drawn (not for liushou compare)
    from matplotlib.figure import Figure


def by_reason(register: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Entries and exits by reason and category (people), with a 合计 column; reasons in rule order."""
    r = register[register["change"].isin(["entered", "left"])]
    order = [(c, x) for c, xs in (("entered", ENTRY_REASONS), ("left", EXIT_REASONS)) for x in xs]
    table = pd.crosstab([r["change"], r["reason"]], r["category"]).reindex(
        columns=list(CATEGORIES), fill_value=0
    )
    table = table.reindex(pd.MultiIndex.from_tuples(order), fill_value=0)
    table = table[table.sum(axis=1) > 0]
    table["合计"] = table.sum(axis=1)
    table.index = pd.MultiIndex.from_tuples(
        [(CHANGES[c], labels[x]) for c, x in table.index], names=["变动", "原因"]
    )
    return table


def by_category(register: pd.DataFrame) -> pd.DataFrame:
    """Per category: last round, entered, left, category changes in and out, this round, net change."""
    r = register
    stayed = r["change"].eq("stayed")
    rows = {}
    for c in CATEGORIES:
        rows[c] = {
            "上轮人数": int(r["category_old"].eq(c).sum()),
            "新增": int((r["change"].eq("entered") & r["category_new"].eq(c)).sum()),
            "退出": int((r["change"].eq("left") & r["category_old"].eq(c)).sum()),
            "类别转入": int((stayed & r["category_new"].eq(c) & r["category_old"].ne(c)).sum()),
            "类别转出": int((stayed & r["category_old"].eq(c) & r["category_new"].ne(c)).sum()),
            "本轮人数": int(r["category_new"].eq(c).sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.loc["合计"] = table.sum()
    table["净变化"] = table["本轮人数"] - table["上轮人数"]
    table.index.name = "人员类别"
    return table


def by_township(register: pd.DataFrame, townships: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per township (newer vintage, code order): last round, entered, left, moved in and out (between
    townships), this round, net change; last round + 新增 − 退出 + 迁入 − 迁出 = this round."""
    r = register
    order = (
        list(townships["township"])
        if townships is not None
        else list(r.sort_values("township_code")["township"].drop_duplicates())
    )
    table = _by_place(r, r["township_old"], r["township"], order)
    table.index.name = "镇（乡、街道）"
    return table


def by_village(register: pd.DataFrame, township: str) -> pd.DataFrame:
    """Per village of one township, like :func:`by_township`; moves in and out include moves between the
    township's own villages."""
    r = register
    old = r["village_old"].where(r["township_old"].eq(township).fillna(False))
    new = r["village"].where(r["township"].eq(township))
    order = list(r[r["township"].eq(township)].sort_values("village_code")["village"].drop_duplicates())
    table = _by_place(r, old, new, order)
    table.index.name = "村（社区）"
    return table


def _by_place(r: pd.DataFrame, old_place: pd.Series, new_place: pd.Series, order: list[str]) -> pd.DataFrame:
    old_place = old_place.where(r["category_old"].notna())
    new_place = new_place.where(r["category_new"].notna())
    moved = r["change"].eq("stayed") & old_place.ne(new_place).fillna(False)
    moved &= old_place.notna() | new_place.notna()
    cols = {
        "上轮人数": old_place.value_counts(),
        "新增": new_place[r["change"].eq("entered")].value_counts(),
        "退出": old_place[r["change"].eq("left")].value_counts(),
        "迁入": new_place[moved].value_counts(),
        "迁出": old_place[moved].value_counts(),
        "本轮人数": new_place.value_counts(),
    }
    extra = sorted(set().union(*[set(s.index) for s in cols.values()]) - set(order))
    table = pd.DataFrame(cols).reindex(order + extra).fillna(0).astype("int64")
    table = table[table.sum(axis=1) > 0]
    table.loc["合计"] = table.sum()
    table["净变化"] = table["本轮人数"] - table["上轮人数"]
    return table


#: Columns of the people lists, with their Chinese headers.
LIST_LABELS = {
    "township": "镇（乡、街道）", "village": "村（社区）", "name": "姓名", "sex": "性别", "id_number": "公民身份号码",
    "birth_date": "出生日期", "category": "人员类别", "category_old": "上轮类别", "category_new": "本轮类别",
    "age_old": "上轮年龄", "age_new": "本轮年龄", "change_label": "变动", "reason_label": "原因", "detail": "依据",
    "township_old": "上轮镇（乡、街道）", "village_old": "上轮村（社区）", "moved_label": "迁移",
    "changed": "情况变化", "source_old": "上轮报表位置", "source_new": "本轮报表位置",
    "field_label": "项目", "old": "上轮", "new": "本轮",
}  # fmt: skip


def people_list(register: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A list for people (Chinese headers): ``entered``, ``left``, ``moved`` or ``changed``."""
    base = ["township", "village", "name", "sex", "id_number", "birth_date"]
    if kind == "entered":
        rows, cols = (
            register["change"].eq("entered"),
            [*base, "category", "age_new", "reason_label", "detail", "source_new"],
        )
    elif kind == "left":
        rows = register["change"].eq("left")
        cols = [*base, "category", "age_new", "reason_label", "detail", "source_old", "source_new"]
    elif kind == "moved":
        rows = register["moved"].ne("")
        cols = [*base, "category", "moved_label", "township_old", "village_old", "source_new"]
    elif kind == "changed":
        rows = register["change"].eq("stayed") & (
            register["changed"].ne("") | register["category_old"].ne(register["category_new"])
        )
        cols = [*base, "category_old", "category_new", "reason_label", "changed", "source_new"]
    else:
        raise ValueError(f"unknown list {kind}")
    out = register.loc[rows, cols].copy()
    out["birth_date"] = out["birth_date"].dt.date
    return out.rename(columns=LIST_LABELS).reset_index(drop=True)


def details_list(details: pd.DataFrame) -> pd.DataFrame:
    """The changed circumstances, one per row (Chinese headers)."""
    cols = ["township", "village", "name", "id_number", "field_label", "old", "new"]
    return details[cols].rename(columns=LIST_LABELS).reset_index(drop=True)


def headline(c: Comparison, place: str) -> str:
    """One Chinese sentence: how many there were, entered, left, moved, are now."""
    s = c.summary()
    moved = s["moved"]["village"] + s["moved"]["township"]
    return (
        f"{place}：上轮（基准日 {c.old_date}）{s['people_old']:,} 人，本轮（基准日 {c.new_date}）{s['people_new']:,} 人；"
        f"新增 {s['entered']:,} 人，退出 {s['left']:,} 人（其中未找到 {s['left_by_reason'].get('not_found', 0):,} 人），"
        f"两轮都在册 {s['stayed']:,} 人；迁移 {moved:,} 人、类别变化 {s['category_changed']:,} 人、"
        f"情况有变化 {s['with_changed_circumstances']:,} 人。区划按 {c.vintage} 年版统计。"
    )


def reasons_chart(c: Comparison, *, title: str = "新增与退出的原因") -> Figure:
    """Horizontal stacked bars: entries and exits by reason, one segment per category."""
    from liushou_core.workbooks.plots import stacked_bars

    table = by_reason(c.register, c.labels).drop(columns="合计")
    table.index = [f"{change}：{reason}" for change, reason in table.index]
    return stacked_bars(table, title=title)


__all__ = [
    "LIST_LABELS",
    "by_category",
    "by_reason",
    "by_township",
    "by_village",
    "details_list",
    "headline",
    "people_list",
    "reasons_chart",
]
