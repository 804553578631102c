"""The child-protection sections of the 帮扶救助工作簿: the 无人监护 alerts, guardianship problems, risk levels
and home visits, and the referrals to assistance programs someone seems to qualify for."""

from __future__ import annotations

from html import escape

import pandas as pd
from IPython.display import HTML

from liushou_core.ledger import label
from liushou_core.rules.guardianship import PROBLEMS, left_behind_children
from liushou_core.rules.referrals import PROGRAMS as REFERRAL_PROGRAMS
from liushou_core.rules.visits import LEVEL_KEYS, LEVELS, VISIT_STATUSES
from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.display import styled
from liushou_core.workbooks.tabulate import (
    TOTAL,
    distinct_per_place,
    finish,
    labelled,
    per_place,
    pivot,
    village_order,
)


def hard_alert_list(s: AssistanceSections) -> pd.DataFrame:
    """The children who may have no effective guardian (无人监护): who, where, and the facts recorded."""
    return labelled(
        s.alerts,
        [
            "village",
            "name",
            "sex",
            "id_number",
            "age",
            "father_status",
            "mother_status",
            "guardian_name",
            "detail",
        ],
    )


def parents_not_recorded(s: AssistanceSections) -> int:
    """Left-behind children whose father's or mother's status is blank: 无人监护 cannot be judged for them."""
    kids = left_behind_children(s.people, s.as_of, s.params)
    return int((kids["father_status"].isna() | kids["mother_status"].isna()).sum())


def alert_banner(s: AssistanceSections, *, by: str = "village") -> HTML:
    """The front-page box of the 无人监护 hard alerts: red, with the count per village (``by="township"``
    for the county: per township) and the list of children, or green when there are none; either way, how
    many children could not be judged."""
    alerts = s.alerts
    unknown = parents_not_recorded(s)
    caveat = (
        f"<p>另有 {unknown:,} 名留守儿童的父亲或母亲状况没有填写，无法判断是否有人监护，请补填。</p>"
        if unknown
        else ""
    )
    table = ""
    who = "镇（乡）会同村（社区）" if by == "township" else "村（社区）"
    if len(alerts):
        per_village = alerts.groupby(by, sort=False).size()
        where = "、".join(f"{escape(str(v))} {n} 人" for v, n in per_village.items())
        body = (
            "<p style='font-size:1.3em;font-weight:bold;margin:0 0 .4em'>"
            f"紧急：{len(alerts)} 名不满16周岁的留守儿童可能无人监护</p><p>{where}。</p>"
            f"<p>身边没有能照料的父母（父母都不在，或在家的一方无监护能力），又没有委托监护人。请{who}<b>立即上门核实</b>，落实委托监护或临时监护"
            "（国发〔2016〕13号：不得让不满十六周岁的儿童脱离监护单独居住生活）。</p>"
        )
        colors = "border:3px solid #C00000;background:#FDECEA;color:#600000"
        table = styled(hard_alert_list(s)).to_html()
    else:
        body = (
            "<p style='font-size:1.15em;font-weight:bold;margin:0 0 .4em'>"
            f"核查日 {s.as_of.isoformat()}：未发现无人监护的留守儿童。</p>"
        )
        colors = "border:2px solid #2E7D32;background:#EDF7ED;color:#1B4D1E"
    box = f"<div style='{colors};padding:.8em 1em;margin:.5em 0 1em;border-radius:4px'>{body}{caveat}</div>"
    return HTML(box + table)


def gaps_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """Guardianship problems per village and kind (in severity order), and the children concerned: those
    with a 紧急 or 需整改 problem, and those whose only problems are facts not collected (待核实)."""
    rows = village_order(s.people)
    labels = [name for name, _ in PROBLEMS.values()]
    table = pivot(s.gaps, "village", "problem_label", rows, labels)
    # Children to act on apart from those whose facts were only not collected: a return without the
    # delegate's ID column must not read as every child having a guardianship problem.
    act = s.gaps["severity"].isin(["紧急", "需整改"])
    acted = s.gaps.loc[act, "id_number"]
    table["紧急或需整改的儿童（人）"] = distinct_per_place(s.gaps[act], "village", rows)
    table["仅待核实的儿童（人）"] = distinct_per_place(
        s.gaps[~s.gaps["id_number"].isin(acted)], "village", rows
    )
    return finish(table, "village", TOTAL if total else None)


def gaps_list(s: AssistanceSections) -> pd.DataFrame:
    """Every guardianship problem of every child (紧急, then 需整改, then 待核实), with what to do."""
    columns = ["severity", "problem_label", "village", "name", "sex", "id_number", "age", "father_status",
               "mother_status", "guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone",
               "agreement_signed", "detail"]  # fmt: skip
    return labelled(s.gaps, columns)


def risk_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """Left-behind children per village and risk level (分层分级: 高, 中, 待评估, 低)."""
    rows = village_order(s.people)
    table = pivot(s.risk, "village", "risk_level", rows, LEVELS)
    table["儿童合计"] = table.sum(axis=1)
    return finish(table, "village", TOTAL if total else None)


def visits_by_level(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """Per risk level: the visit interval, the children, and those to visit now by reason."""
    intervals = {lv: int(s.params.value(f"visits.interval_days.{LEVEL_KEYS[lv]}", s.as_of)) for lv in LEVELS}
    todo = pivot(s.visits, "risk_level", "visit_status", LEVELS, VISIT_STATUSES[:-1])
    table = pd.DataFrame(
        {"走访周期（天）": pd.array([intervals[lv] for lv in LEVELS], dtype="Int64")}, index=LEVELS
    )
    table["儿童人数"] = per_place(s.risk, "risk_level", LEVELS)
    for status in VISIT_STATUSES[:-1]:  # 逾期, 无走访记录, 日期有误
        table[status] = todo[status]
    table["需走访合计"] = todo.sum(axis=1)
    table.index.name = label("risk_level")
    if not total:
        return table
    sums = table.drop(columns="走访周期（天）").sum()
    whole = pd.DataFrame(
        [{"走访周期（天）": pd.NA, **sums.to_dict()}], index=pd.Index([TOTAL], name=table.index.name)
    )
    return pd.concat([table, whole.astype(table.dtypes.to_dict())])


def visits_list(s: AssistanceSections) -> pd.DataFrame:
    """The children to visit now: highest risk and longest overdue first, with the last visit and due date."""
    columns = ["risk_level", "visit_status", "days_overdue", "village", "name", "sex", "id_number", "age",
               "risk_reasons", "last_visit_date", "visitor", "interval_days", "due_date"]  # fmt: skip
    return labelled(s.visits, columns)


def _level_rank(levels: pd.Series) -> pd.Series:
    return levels.map({lv: i for i, lv in enumerate(LEVELS)})


def risk_list(s: AssistanceSections) -> pd.DataFrame:
    """Every left-behind child's risk level and the facts that set it (高 first, then by village)."""
    ordered = s.risk.assign(_r=_level_rank(s.risk["risk_level"])).sort_values(
        ["_r", "village_code", "id_number"]
    )
    columns = ["risk_level", "village", "name", "sex", "id_number", "age", "risk_reasons", "guardianship_grade",
               "health", "disability_grade", "schooling"]  # fmt: skip
    return labelled(ordered, columns)


def _programs(s: AssistanceSections) -> list[str]:
    # The 高龄补贴 is only checked against a list of recipients; without one it is never a referral.
    return [
        name
        for code, (name, _) in REFERRAL_PROGRAMS.items()
        if code != "old_age_allowance" or (s.referrals["program"] == code).any()
    ]


def referrals_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """Referrals per village and program (人次), and the people concerned."""
    rows = village_order(s.people)
    table = pivot(s.referrals, "village", "program_label", rows, _programs(s))
    table["合计（人次）"] = table.sum(axis=1)
    table["涉及人数"] = distinct_per_place(s.referrals, "village", rows)
    return finish(table, "village", TOTAL if total else None)


def referrals_list(s: AssistanceSections) -> pd.DataFrame:
    """Who seems to qualify for what, why, what is recorded, and what to do."""
    # The documents are long and the same for every row of a program: they are cited under the section.
    columns = ["program_label", "village", "name", "sex", "id_number", "category", "age", "basis", "recorded",
               "action"]  # fmt: skip
    return labelled(s.referrals, columns)
