"""The change register of two survey rounds: its vocabulary (changes, moves, reasons, watched circumstances),
its schemas (:class:`Change`, :class:`ChangeDetail`), the rounds compared (:class:`Round`) and the result
(:class:`Comparison`, with its summary).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from liushou_core.cleaning.classify import Thresholds
from liushou_core.register import CATEGORIES

CHILD, WOMAN, ELDER = CATEGORIES

#: The three kinds of change and their Chinese names.
CHANGES = {"entered": "新增", "left": "退出", "stayed": "在册"}
#: Moves between two rounds (in the newer vintage's units).
MOVES = {"": "", "village": "跨村迁移", "township": "跨乡镇迁移"}
ENTRY_REASONS = (
    "previously_pending", "born", "turned_60", "reached_20", "parent_left", "husband_left", "children_left",
    "unexplained",
)  # fmt: skip
EXIT_REASONS = (
    "turned_16", "over_age", "pending", "parent_returned", "husband_returned", "children_returned",
    "away_too_short", "no_longer_qualified", "not_found",
)  # fmt: skip
STAY_REASONS = ("stayed", "turned_60", "category_changed")
#: Circumstances compared for people in both rounds (``guardian`` is the person: ID, else name).
WATCHED = (
    "guardian", "agreement_signed", "guardianship_grade", "household_economy", "health", "disability_grade",
    "schooling", "boarding",
)  # fmt: skip
WATCHED_LABELS = {
    "guardian": "委托监护人", "agreement_signed": "委托监护确认书", "guardianship_grade": "监护情况",
    "household_economy": "家庭经济状况", "health": "健康状况", "disability_grade": "残疾等级",
    "schooling": "就学情况", "boarding": "是否寄宿", "category": "人员类别", "village": "村（社区）",
}  # fmt: skip


def reason_labels(t: Thresholds) -> dict[str, str]:
    """Reason code → Chinese label, with the thresholds of the definitions in force."""
    return {
        "stayed": "继续在册",
        "turned_60": f"年满{t.elder_min_age}周岁",
        "category_changed": "人员类别变化",
        "previously_pending": "上轮待核实，本轮核实",
        "born": "新出生",
        "reached_20": f"年满{t.woman_min_age}周岁",
        "parent_left": "父母新近外出务工",
        "husband_left": "丈夫新近外出务工",
        "children_left": "子女新近外出",
        "unexplained": "新登记（报表未说明原因）",
        "turned_16": f"年满{t.child_age_limit}周岁",
        "over_age": f"已满{t.woman_max_age + 1}周岁（超出留守妇女年龄）",
        "pending": "本轮待核实",
        "parent_returned": "父母返乡（一方在家）",
        "husband_returned": "丈夫返乡",
        "children_returned": "子女返乡（部分外出）",
        "away_too_short": f"外出不满{t.min_months_away}个月",
        "no_longer_qualified": "不再符合认定条件",
        "not_found": "未找到",
    }


class Change(pa.DataFrameModel):
    """One person of either round: what changed between the rounds and why."""

    id_number: Series[str] = pa.Field(unique=True, str_matches=r"^\d{17}[\dX]$")
    name: Series[str]
    sex: Series[str] = pa.Field(isin=["男", "女"])
    birth_date: Series[pd.Timestamp]
    change: Series[str] = pa.Field(isin=list(CHANGES))
    change_label: Series[str] = pa.Field(isin=list(CHANGES.values()))
    reason: Series[str] = pa.Field(isin=sorted({*ENTRY_REASONS, *EXIT_REASONS, *STAY_REASONS}))
    reason_label: Series[str]
    detail: Series[str] = pa.Field(nullable=True)
    category: Series[str] = pa.Field(isin=list(CATEGORIES))  # the new round's, else the old one's
    category_old: Series[str] = pa.Field(nullable=True, isin=list(CATEGORIES))
    category_new: Series[str] = pa.Field(nullable=True, isin=list(CATEGORIES))
    age_old: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    age_new: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    township_code: Series[str]  # where the person is (entered, stayed) or was (left), in the newer vintage
    township: Series[str]
    village_code: Series[str]
    village: Series[str]
    township_old: Series[str] = pa.Field(nullable=True)  # the old round's unit in the newer vintage
    village_old: Series[str] = pa.Field(nullable=True)
    moved: Series[str] = pa.Field(isin=list(MOVES))
    moved_label: Series[str]
    changed: Series[str]  # Chinese labels of the changed circumstances, joined by 、
    source_old: Series[str] = pa.Field(nullable=True)  # the row in the old round's returns
    source_new: Series[str] = pa.Field(nullable=True)  # the row in the new round's returns (also if pending)

    @pa.dataframe_check
    @classmethod
    def reasons_fit_the_change(cls, df: pd.DataFrame) -> Series[bool]:
        return (
            (df["change"].eq("entered") & df["reason"].isin(ENTRY_REASONS))
            | (df["change"].eq("left") & df["reason"].isin(EXIT_REASONS))
            | (df["change"].eq("stayed") & df["reason"].isin(STAY_REASONS))
        )

    class Config:
        strict = "filter"
        coerce = True


class ChangeDetail(pa.DataFrameModel):
    """One changed circumstance (or move, or category) of a person in both rounds."""

    id_number: Series[str]
    name: Series[str]
    township: Series[str]
    village: Series[str]
    field: Series[str] = pa.Field(isin=[*WATCHED, "category", "village"])
    field_label: Series[str]
    old: Series[str]
    new: Series[str]

    class Config:
        strict = "filter"
        coerce = True


@dataclass(frozen=True)
class Round:
    """One cleaned survey round: the verified register, the pending rows, the reference date."""

    people: pd.DataFrame
    pending: pd.DataFrame | None
    reference_date: date
    source: str = ""


@dataclass(frozen=True)
class Comparison:
    """The change register of two rounds, its details, and what it was computed with."""

    register: pd.DataFrame
    details: pd.DataFrame
    old_date: date
    new_date: date
    vintage: int
    thresholds: Thresholds
    township: str | None = None  # set by for_township: the register holds the people there now or before

    @property
    def labels(self) -> dict[str, str]:
        return reason_labels(self.thresholds)

    def summary(self) -> dict[str, Any]:
        """Counts for ``changes_summary.json`` and the command's report (of one township's part: people
        there in the old round, there now, and staying there or moving in)."""
        r = self.register
        here_old = r["category_old"].notna()
        here_new = r["category_new"].notna()
        if self.township:
            here_old &= r["township_old"].eq(self.township).fillna(False)
            here_new &= r["township"].eq(self.township)

        def by(mask: pd.Series) -> dict[str, int]:
            return {str(k): int(v) for k, v in r.loc[mask, "reason"].value_counts().items()}

        return {
            "old_reference_date": self.old_date.isoformat(),
            "new_reference_date": self.new_date.isoformat(),
            "vintage": self.vintage,
            "people_old": int(here_old.sum()),
            "people_new": int(here_new.sum()),
            "entered": int(r["change"].eq("entered").sum()),
            "left": int(r["change"].eq("left").sum()),
            "stayed": int((r["change"].eq("stayed") & here_new).sum()),
            "entered_by_reason": by(r["change"].eq("entered")),
            "left_by_reason": by(r["change"].eq("left")),
            "moved": {k: int(r["moved"].eq(k).sum()) for k in ("village", "township")},
            "category_changed": int(
                (r["change"].eq("stayed") & r["category_old"].ne(r["category_new"])).sum()
            ),
            "with_changed_circumstances": int(r["changed"].ne("").sum()),
            "changed_by_field": {
                str(k): int(v) for k, v in self.details["field"].value_counts().items() if k in WATCHED
            },
        }


__all__ = [
    "CHANGES",
    "CHILD",
    "Change",
    "ChangeDetail",
    "Comparison",
    "ELDER",
    "ENTRY_REASONS",
    "EXIT_REASONS",
    "MOVES",
    "Round",
    "STAY_REASONS",
    "WATCHED",
    "WATCHED_LABELS",
    "WOMAN",
    "reason_labels",
]
