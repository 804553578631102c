"""What each section of the 帮扶救助工作簿 applies, in words: the rule in one or two sentences, then the
documents it rests on and the assumptions the bureau must confirm (from ``params/``).

Written once here and used by the notebooks (:func:`section_note`), the Excel ledgers (:func:`references`,
:func:`payroll_standard`, :func:`start_rule_phrase`) and the department copies (:func:`references`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from IPython.display import Markdown

from liushou_core.ledger import label
from liushou_core.parameters import DatedValue, ParameterSet, Reference, ScaleAt
from liushou_core.rules.allowances import START_RULE
from liushou_core.rules.education import DISABLED_ELIGIBLE, ELIGIBLE_HOUSEHOLDS, STAGE_AMOUNTS
from liushou_core.rules.visits import LEVEL_KEYS, LEVELS
from liushou_core.values.periods import month_label, month_start
from liushou_core.workbooks.assistance import AssistanceSections


def _entries(s: AssistanceSections, names: Sequence[str], on: dt.date) -> list[DatedValue]:
    return [s.params.entry(n, on) for n in names]


def _section_entries(s: AssistanceSections, section: str) -> list[DatedValue]:
    if section == "payroll":
        first = month_start(s.month)
        return [*s.scale.references, *_entries(s, [START_RULE], first)]
    if section == "education":
        stages = sorted({k for pair in STAGE_AMOUNTS.values() for k in pair})
        names = [ELIGIBLE_HOUSEHOLDS, DISABLED_ELIGIBLE, *(f"education.annual_amount.{k}" for k in stages)]
        return _entries(s, names, s.term_start)
    if section in ("alerts", "guardianship"):
        names = ["definitions.child_age_limit", "guardianship.present_parent_statuses"]
        if section == "guardianship":
            names.append("guardianship.delegate_min_age")
        return _entries(s, names, s.as_of)
    if section == "visits":
        return _entries(s, [n for n in s.params.names("visits.")], s.as_of)
    if section == "referrals":
        return _entries(s, [*s.params.names("referrals."), "definitions.difficult_child_age_limit"], s.as_of)
    raise ValueError(f"unknown section {section!r}")


def references(s: AssistanceSections, section: str, *, articles: bool = True) -> list[str]:
    """The documents a section applies and, after them, the assumptions the bureau must confirm.

    Without ``articles`` a document is named by its number and title only (the notebook's short form; the
    ledgers cite the article too).
    """
    entries = _section_entries(s, section)

    def cite(ref: Reference) -> str:
        if articles:
            return str(ref)
        return ref.document + (f"《{ref.title.strip('《》')}》" if ref.title else "")

    documents = dict.fromkeys(cite(e.reference) for e in entries if e.reference)
    notes = dict.fromkeys(str(e.note) for e in entries if e.assumption and e.note)
    lines = [f"依据：{'；'.join(documents)}"] if documents else []
    lines += [f"待确认：{'；'.join(notes)}"] if notes else []
    return lines


def _values(s: AssistanceSections, name: str, on: dt.date) -> str:
    return "、".join(str(v) for v in s.params.value(name, on))


def payroll_standard(scale: ScaleAt, sep: str = "、") -> str:
    """The 高龄补贴 scale in words: ``80–89周岁 25 元/人/月、…``."""
    return sep.join(f"{t} {a} 元/人/月" for t, a in zip(scale.labels, scale.amounts, strict=True))


def start_rule_phrase(params: ParameterSet, month: str) -> str:
    """From when a new 高龄补贴 tier is paid, under the start rule in force in ``month``."""
    rule = params.value(START_RULE, month_start(month))
    return "年满当月起按新档发放" if rule == "same_month" else "年满次月起按新档发放，不补差"


def _payroll(s: AssistanceSections, by: str) -> str:
    return (
        f"{month_label(s.month)}应发放高龄补贴的人员，按{label(by)}和档次汇总"
        + ("，下附发放花名册。" if by == "village" else "。")
        + f"标准：{payroll_standard(s.scale)}；年龄按身份证出生日期计算周岁，{start_rule_phrase(s.params, s.month)}。"
    )


def _education(s: AssistanceSections, by: str) -> str:
    households = _values(s, ELIGIBLE_HOUSEHOLDS, s.term_start)
    disabled = "或本人残疾，" if s.params.value(DISABLED_ELIGIBLE, s.term_start) else ""
    return (
        f"{s.term_label}教育救助：在校（学前、小学、初中、高中、中职）且家庭为{households}，{disabled}"
        "按学段和是否寄宿确定资助标准（元/生/年，每学期发放一半）。家庭经济状况、就学情况或是否寄宿没有填写的"
        f"列为“待核实”，与“不符合”分开；年龄按开学日（{s.term_start.isoformat()}）计算。"
    )


def _guardianship(s: AssistanceSections, by: str) -> str:
    limit = s.params.value("definitions.child_age_limit", s.as_of)
    return (
        f"核查日 {s.as_of.isoformat()} 不满{limit}周岁的留守儿童的监护问题："
        + ("无人监护（紧急，见本工作簿开头）；" if by == "village" else "无人监护（紧急）；")
        + "未签订委托监护责任确认书、受委托监护人未成年、身份证号无效或是不在身边的父母本人（需整改）；"
        "确认书签订情况或受委托监护人身份证号没有填写（待核实）。"
    )


def _visits(s: AssistanceSections, by: str) -> str:
    on = s.as_of

    def factors(level: str) -> str:
        keys = ("grades", "schooling") + (("disability_grades",) if level == "high" else ("health",))
        return "、".join(_values(s, f"visits.{level}_risk_{k}", on) for k in keys)

    intervals = "、".join(
        f"{lv} {s.params.value(f'visits.interval_days.{LEVEL_KEYS[lv]}', on)} 天" for lv in LEVELS
    )
    return (
        f"分层分级：高（{factors('high')}，或无人监护）、中（{factors('medium')}，或委托监护有问题）、"
        "待评估（监护、健康或就学情况未采集）、低。"
        f"两次走访的最长间隔：{intervals}（县级设置）。核查日 {on.isoformat()} 已过应走访日期的为“逾期”，"
        "没有走访记录或走访日期在核查日之后的一并列出，风险高、逾期久的在前。"
    )


def _referrals(s: AssistanceSections, by: str) -> str:
    return (
        f"登记的情况（核查日 {s.as_of.isoformat()}）符合某项救助保障条件、但没有享受记录的人员，请逐人核实后纳入"
        "民政救助保障范围。尚未提供享受名单的项目标为“未提供享受名单，请核实是否已享受”。"
    )


#: Each section's rule in words, from the parameters in force (``by``: the places its tables are per).
_RULES: dict[str, Callable[[AssistanceSections, str], str]] = {
    "payroll": _payroll,
    "education": _education,
    "guardianship": _guardianship,
    "visits": _visits,
    "referrals": _referrals,
}


def rule_text(s: AssistanceSections, section: str, *, by: str = "village") -> str:
    """One or two sentences of what a section shows and the rule it applies, with the values in force."""
    if section not in _RULES:
        raise ValueError(f"unknown section {section!r}")
    return _RULES[section](s, by)


def section_note(s: AssistanceSections, section: str, *, by: str = "village") -> Markdown:
    """A section's opening: one or two sentences of what it shows and the rule it applies, then its
    documents and assumptions (from ``params/``). ``section``: payroll, education, guardianship, visits or
    referrals; ``by="township"`` for the county overview, whose tables are per township."""
    text = rule_text(s, section, by=by)
    refs = "\n".join(f"> {line}  " for line in references(s, section, articles=False))
    return Markdown(f"{text}\n\n{refs}" if refs else text)
