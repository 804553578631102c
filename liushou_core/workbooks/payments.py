"""The money sections of the 帮扶救助工作簿: the month's 高龄补贴 (by place and tier, the roster) and the
term's 教育救助 (by village, who qualifies, who is to verify, why the others do not)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from liushou_core.rules.education import STATUSES
from liushou_core.values.periods import month_label
from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.tabulate import (
    TOTAL,
    finish,
    labelled,
    per_place,
    pivot,
    place_order,
    village_order,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _payroll_table(s: AssistanceSections, by: str) -> pd.DataFrame:
    rows = place_order(s.people, by)
    counts = pivot(s.payroll, by, "tier", rows, s.scale.labels)
    amounts = pivot(s.payroll, by, "tier", rows, s.scale.labels, value="amount")
    cols: dict[str, pd.Series] = {}
    for tier in s.scale.labels:  # three tiers
        cols[f"{tier}人数"] = counts[tier]
        cols[f"{tier}金额（元）"] = amounts[tier]
    cols["合计人数"] = counts.sum(axis=1)
    cols["合计金额（元）"] = amounts.sum(axis=1)
    return pd.DataFrame(cols, index=rows)


def payroll_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """The month's 高龄补贴 per village (code order) and tier: people and yuan, with a 合计 row."""
    return finish(_payroll_table(s, "village"), "village", TOTAL if total else None)


def payroll_by_township(s: AssistanceSections, county: str, *, total: bool = True) -> pd.DataFrame:
    """The county's 高龄补贴 per township (code order) and tier, with the county's total row."""
    return finish(_payroll_table(s, "township"), "township", county if total else None)


#: One colour per allowance tier, the same in every chart.
TIER_COLORS = ("#8172B3", "#DD8452", "#C44E52", "#937860")


def payroll_chart(s: AssistanceSections, *, by: str = "village") -> Figure:
    """Stacked bars of the month's 高龄补贴 (yuan) per village or township, one segment per tier."""
    # matplotlib is imported when a chart is drawn: the ledgers and the department copies draw none here
    from liushou_core.workbooks.plots import stacked_bars

    rows = place_order(s.people, by)
    table = pivot(s.payroll, by, "tier", rows, s.scale.labels, value="amount")
    colors = dict(zip(s.scale.labels, TIER_COLORS, strict=False))
    where = "各村（社区）" if by == "village" else "各镇（乡）"
    title = f"{s.place}{where}{month_label(s.month)}高龄补贴金额（按档次）"
    return stacked_bars(table, title=title, xlabel="金额（元）", colors=colors)


def payroll_roster(s: AssistanceSections) -> pd.DataFrame:
    """The 高龄补贴发放花名册 of the month: one row per person paid, in village order."""
    return labelled(
        s.payroll, ["village", "group", "name", "sex", "id_number", "birth_date", "age", "tier", "amount"]
    )


def education_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """The term's education-assistance list per village: 符合 (and their annual standards), 待核实, 不符合."""
    rows = village_order(s.people)
    edu = s.education
    status = pivot(edu, "village", "status", rows, STATUSES)
    table = pd.DataFrame(
        {
            "符合（人）": status["符合"],
            "资助标准合计（元/年）": per_place(edu[edu["status"] == "符合"], "village", rows, "amount"),
            "待核实（人）": status["待核实"],
            "不符合（人）": status["不符合"],
            "合计（人）": status.sum(axis=1),
        },
        index=rows,
    )
    return finish(table, "village", TOTAL if total else None)


_EDU_WHO = [
    "village",
    "name",
    "sex",
    "id_number",
    "age",
    "household_economy",
    "health",
    "schooling",
    "boarding",
]


def education_eligible(s: AssistanceSections) -> pd.DataFrame:
    """The students who qualify this term: the basis, the annual standard, why, and the document."""
    ok = s.education[s.education["status"] == "符合"]
    # A citation ends with “（假设：…）” when the value is an assumption; those notes are printed once under
    # the section (section_note, assistance_footers) rather than on every row.
    ok = ok.assign(reference=ok["reference"].str.replace(r"（假设：.*）$", "", regex=True))
    return labelled(ok, [*_EDU_WHO, "amount", "reason", "reference"], amount="资助标准（元/年）")


def education_to_verify(s: AssistanceSections) -> pd.DataFrame:
    """The 待核实 rows: a fact that decides eligibility or the amount was not collected."""
    pending = s.education[s.education["status"] == "待核实"]
    return labelled(pending, [*_EDU_WHO, "basis", "reason"])


def education_not_eligible(s: AssistanceSections) -> pd.DataFrame:
    """Why the others do not qualify: one line per reason, with the number of people."""
    no = s.education[s.education["status"] == "不符合"]
    counts = no.groupby("reason").size().sort_values(ascending=False)
    return pd.DataFrame({"不符合的原因": counts.index.astype(str), "人数": counts.to_numpy(dtype="int64")})
