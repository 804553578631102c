"""The 帮扶救助工作簿's rule outputs, computed once: the five rules run on a township's or the county's register.

Every table, chart and ledger sheet of the workbook (:mod:`.payments`, :mod:`.protection`, :mod:`.overview`,
:mod:`.ledgers`) is derived from :class:`AssistanceSections`, so the notebook and its Excel ledger show the
same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from liushou_core.errors import ConfigError
from liushou_core.parameters import ParameterSet, ScaleAt, load_parameters
from liushou_core.rules.allowances import payroll, tiers
from liushou_core.rules.education import assistance_list
from liushou_core.rules.guardianship import gaps, hard_alerts
from liushou_core.rules.referrals import referrals
from liushou_core.rules.visits import overdue_visits, risk_levels
from liushou_core.values.periods import month_label, parse_month, parse_term


@dataclass(frozen=True)
class AssistanceSections:
    """The rule outputs behind a 帮扶救助工作簿 (a township's, or the county's), computed once.

    Every table, chart and ledger sheet of the workbook is derived from these frames, so the notebook and its
    Excel ledger show the same numbers. ``people`` is the register the rules ran on.
    """

    place: str
    people: pd.DataFrame
    month: str  # YYYY-MM, the payroll month
    term: str  # the school term as given (2017秋季)
    term_label: str  # 2017年秋季学期
    term_start: dt.date
    as_of: dt.date
    scale: ScaleAt
    payroll: pd.DataFrame  # allowances.PayrollLine
    education: pd.DataFrame  # education.EducationLine
    gaps: pd.DataFrame  # guardianship.GuardianshipGap
    risk: pd.DataFrame  # visits.RiskAssessment
    visits: pd.DataFrame  # visits.VisitLine, the children to visit now
    referrals: pd.DataFrame  # referrals.ReferralLine
    params: ParameterSet

    @property
    def alerts(self) -> pd.DataFrame:
        """The 无人监护 hard alerts (紧急), one row per child."""
        return hard_alerts(self.gaps)


def _day(value: str | dt.date, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(f"{what}应为 YYYY-MM-DD 格式的日期，而不是“{value}”") from None


def assistance_sections(
    people: pd.DataFrame,
    *,
    payroll_month: str,
    school_term: str | dt.date,
    as_of: str | dt.date,
    place: str = "",
    params: ParameterSet | None = None,
) -> AssistanceSections:
    """Run the rules of the 帮扶救助工作簿 on a register (a township's or the county's).

    - the 高龄补贴 payroll of ``payroll_month`` (:func:`liushou_core.rules.allowances.payroll`);
    - the education-assistance list of ``school_term`` (:func:`liushou_core.rules.education.assistance_list`),
      (someone born after the term's first day is no pupil of that term and is not listed);
    - guardianship gaps, risk levels, the home visits due and the referrals, all on ``as_of``
      (:mod:`.guardianship`, :mod:`.visits`, :mod:`.referrals`).
    """
    params = params or load_parameters()
    on = _day(as_of, "核查日 as_of ")
    parse_month(payroll_month)
    parse_term(school_term)
    lines = {
        "payroll": payroll(people, payroll_month, params),
        "education": assistance_list(people, school_term, params),
        "gaps": gaps(people, on, params),
        "risk": risk_levels(people, on, params),
        "visits": overdue_visits(people, on, params),
        "referrals": referrals(people, on, params),
    }
    return rule_sections(
        people,
        lines,
        payroll_month=payroll_month,
        school_term=school_term,
        as_of=on,
        place=place,
        params=params,
    )


def rule_sections(
    people: pd.DataFrame,
    lines: Mapping[str, pd.DataFrame],
    *,
    payroll_month: str,
    school_term: str | dt.date,
    as_of: str | dt.date,
    place: str = "",
    params: ParameterSet,
) -> AssistanceSections:
    """The sections of a workbook from rule lines already computed (a slice of the county's lines in the
    table store, :mod:`liushou_core.workbooks.tablestore`): ``lines`` maps payroll, education, gaps, risk,
    visits and referrals to the frames :func:`assistance_sections` would compute for ``people``."""
    term_label, term_start = parse_term(school_term)
    return AssistanceSections(
        place=place,
        people=people,
        month=payroll_month,
        term=str(school_term),
        term_label=term_label,
        term_start=term_start,
        as_of=_day(as_of, "核查日 as_of "),
        scale=tiers(payroll_month, params),
        payroll=lines["payroll"],
        education=lines["education"],
        gaps=lines["gaps"],
        risk=lines["risk"],
        visits=lines["visits"],
        referrals=lines["referrals"],
        params=params,
    )


def assistance_overview(s: AssistanceSections) -> pd.DataFrame:
    """What the workbook asks the township to act on, one line per list: 人数, 金额（元） for money, 说明."""
    children_with = s.gaps.groupby("severity")["id_number"].nunique()
    edu_ok = s.education[s.education["status"] == "符合"]
    rows: list[tuple[str, int, int | None, str]] = [
        ("高龄补贴", len(s.payroll), int(s.payroll["amount"].sum()), f"{month_label(s.month)}应发"),
        (
            "教育救助：符合",
            len(edu_ok),
            int(edu_ok["amount"].sum()),
            f"{s.term_label}；金额为资助标准合计（元/年）",
        ),
        (
            "教育救助：待核实",
            int((s.education["status"] == "待核实").sum()),
            None,
            "有关情况未采集，核实后再定",
        ),
        ("无人监护（紧急）", int(children_with.get("紧急", 0)), None, "请立即上门核实，落实监护"),
        (
            "监护问题需整改的儿童",
            int(children_with.get("需整改", 0)),
            None,
            "确认书未签订、受委托监护人不合适",
        ),
        ("监护信息待核实的儿童", int(children_with.get("待核实", 0)), None, "确认书或监护人身份证号未填写"),
        ("风险等级为“高”的儿童", int((s.risk["risk_level"] == "高").sum()), None, "分层分级"),
        ("需走访的儿童", len(s.visits), None, "逾期、无走访记录或走访日期有误"),
        ("转介线索涉及的人员", int(s.referrals["id_number"].nunique()), None, f"共 {len(s.referrals)} 人次"),
    ]
    return pd.DataFrame(
        {
            "人数": pd.array([n for _, n, _, _ in rows], dtype="int64"),
            "金额（元）": pd.array([m for _, _, m, _ in rows], dtype="Int64"),
            "说明": [note for _, _, _, note in rows],
        },
        index=pd.Index([name for name, _, _, _ in rows], name="项目"),
    )
