"""The 摸排工作簿's tables: people per village and category, the children as the 2016 summary table counts
them (age bands, schooling, guardianship…), its cross-foot checks, and the register as the workbooks list it."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from liushou_core.ledger import label
from liushou_core.register import CATEGORIES
from liushou_core.workbooks.tabulate import ALL_VILLAGES, NOT_COLLECTED, TOTAL, village_order, with_total

#: Age bands of the 2016 summary table (民发〔2016〕42号 附件3; policy.md §1, §5b): 按实际年龄划分.
CHILD_AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0–5周岁", 0, 6),
    ("6–13周岁", 6, 14),
    ("14–16周岁", 14, 17),
)


#: Children's dimensions of the summary table, each a partition with its 未采集 bucket (codebook values).
CHILD_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "schooling": ("学前", "小学", "初中", "高中", "中职", "辍学", "不在学"),
    "boarding": ("是", "否"),
    "guardianship_grade": ("较好", "一般", "差"),
    "health": ("健康", "患病", "残疾"),
    "agreement_signed": ("已签订", "未签订"),
}


#: Columns of the register as the workbooks list it, in order.
REGISTER_COLUMNS = (
    "village",
    "group",
    "name",
    "sex",
    "id_number",
    "birth_date",
    "age",
    "category",
    "category_declared",
    "guardian_name",
    "guardian_relation",
    "agreement_signed",
    "guardianship_grade",
    "household_economy",
    "health",
    "schooling",
    "boarding",
    "phone",
    "source_file",
    "source_row",
)


def counts_by_village(people: pd.DataFrame, *, total: bool = True) -> pd.DataFrame:
    """People per village (code order) × category, with a 合计 column and, with ``total``, a 合计 row."""
    table = pd.crosstab(
        pd.Categorical(people["village"], categories=village_order(people)),
        pd.Categorical(people["category"], categories=list(CATEGORIES)),
        dropna=False,
    )
    table.index = pd.Index([str(i) for i in table.index], name=label("village"))
    table.columns = [str(c) for c in table.columns]
    table[TOTAL] = table.sum(axis=1)
    return with_total(table, TOTAL) if total else table.astype("int64")


def children(people: pd.DataFrame) -> pd.DataFrame:
    """The left-behind children of a register."""
    return people[people["category"] == "留守儿童"]


def child_age_bands(age: pd.Series) -> pd.Series:
    """The summary table's age band of each child (``0–5周岁``, ``6–13周岁``, ``14–16周岁``); else <NA>."""
    edges = [CHILD_AGE_BANDS[0][1], *(hi for _, _, hi in CHILD_AGE_BANDS)]
    return pd.cut(age.astype("float64"), bins=edges, right=False, labels=[b for b, _, _ in CHILD_AGE_BANDS])


def children_by_age_and_sex(people: pd.DataFrame, *, total: bool = True) -> pd.DataFrame:
    """Children per village × (age band, sex), as columns 2–10 of the 2016 summary table."""
    kids = children(people)
    bands = child_age_bands(kids["age"])
    columns = [f"{b} {s}" for b, _, _ in CHILD_AGE_BANDS for s in ("男", "女")]
    key = bands.astype("string") + " " + kids["sex"].astype("string")
    table = pd.crosstab(
        pd.Categorical(kids["village"], categories=village_order(people)),
        pd.Categorical(key, categories=columns),
        dropna=False,
    )
    table.index = pd.Index([str(i) for i in table.index], name=label("village"))
    table.columns = [str(c) for c in table.columns]
    table.insert(0, "儿童合计", kids.groupby("village").size().reindex(table.index, fill_value=0))
    return with_total(table, TOTAL) if total else table.astype("int64")


def children_by(people: pd.DataFrame, field: str, *, total: bool = True) -> pd.DataFrame:
    """Children per village × the values of ``field`` (a :data:`CHILD_DIMENSIONS` key), 未采集 included."""
    kids = children(people)
    values = [*CHILD_DIMENSIONS[field], NOT_COLLECTED]
    table = pd.crosstab(
        pd.Categorical(kids["village"], categories=village_order(people)),
        pd.Categorical(kids[field].astype("string").fillna(NOT_COLLECTED), categories=values),
        dropna=False,
    )
    table.index = pd.Index([str(i) for i in table.index], name=label("village"))
    table.columns = [str(c) for c in table.columns]
    table.insert(0, "儿童合计", kids.groupby("village").size().reindex(table.index, fill_value=0))
    return with_total(table, TOTAL) if total else table.astype("int64")


def crossfoot_checks(people: pd.DataFrame) -> pd.DataFrame:
    """The integrity rules of the 2016 summary table (policy.md §5b), per village and for the township.

    For children, the total (column 1) must equal the sum over the age bands with 男 + 女 in each
    (1 = 2 + 5 + 8, 2 = 3 + 4, …), over the schooling categories, 寄宿 + 非寄宿, the guardianship grades,
    the health states and the agreement states, each with its 未采集 bucket. For everyone, the total must
    equal 儿童 + 妇女 + 老人 and 男 + 女. A value outside the vocabulary is in no bucket, so its check fails:
    that is what the check is for.

    One row per (village, check): 村（社区）, 核对项, 合计, 分项之和, 是否一致.
    """
    villages = village_order(people)
    kids = children(people)
    kid_total = kids.groupby("village").size().reindex(villages, fill_value=0)
    all_total = people.groupby("village").size().reindex(villages, fill_value=0)

    def parts(frame: pd.DataFrame, key: pd.Series, allowed: Sequence[str]) -> pd.Series:
        ok = key.isin(list(allowed))
        return frame[ok].groupby("village").size().reindex(villages, fill_value=0)

    bands = child_age_bands(kids["age"]).astype("string")
    checks: list[tuple[str, pd.Series, pd.Series]] = [
        ("人员类别：合计 = 儿童 + 妇女 + 老人", all_total, parts(people, people["category"], CATEGORIES)),
        ("性别：合计 = 男 + 女", all_total, parts(people, people["sex"], ("男", "女"))),
        (
            "儿童年龄段：1 = 2 + 5 + 8（各段 = 男 + 女）",
            kid_total,
            parts(kids, bands.where(kids["sex"].isin(["男", "女"])), [b for b, _, _ in CHILD_AGE_BANDS]),
        ),
    ]
    for field, values in CHILD_DIMENSIONS.items():
        key = kids[field].astype("string").fillna(NOT_COLLECTED)
        name = f"儿童{label(field)}：合计 = " + " + ".join([*values, NOT_COLLECTED])
        checks.append((name, kid_total, parts(kids, key, [*values, NOT_COLLECTED])))

    frames = []
    for name, total, summed in checks:
        rows = pd.DataFrame(
            {
                label("village"): villages,
                "核对项": name,
                TOTAL: total.to_numpy(),
                "分项之和": summed.to_numpy(),
            }
        )
        whole = pd.DataFrame(
            {
                label("village"): [ALL_VILLAGES],
                "核对项": [name],
                TOTAL: [int(total.sum())],
                "分项之和": [int(summed.sum())],
            }
        )
        frames.append(pd.concat([whole, rows], ignore_index=True))
    out = pd.concat(frames, ignore_index=True)
    out["是否一致"] = (out[TOTAL] == out["分项之和"]).map({True: "一致", False: "不一致"})
    return out


def crossfoot_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """One line per check: the township's figures and how many villages fail it."""
    whole = checks[checks[label("village")] == ALL_VILLAGES].set_index("核对项")
    failing = (
        checks[(checks[label("village")] != ALL_VILLAGES) & (checks["是否一致"] == "不一致")]
        .groupby("核对项")
        .size()
    )
    out = whole[[TOTAL, "分项之和", "是否一致"]].copy()
    out["不一致的村（社区）数"] = failing.reindex(out.index, fill_value=0).astype("int64")
    return out


def register_table(people: pd.DataFrame) -> pd.DataFrame:
    """The register as the workbooks list it: village order, then category, group and name; Chinese headers."""
    ordered = people.sort_values(["village_code", "category", "group", "name"], na_position="last")
    columns = [c for c in REGISTER_COLUMNS if c in ordered.columns]
    out = ordered[columns].reset_index(drop=True)
    return out.rename(columns={c: label(c) for c in columns})
