"""Each rule's full output as data: one row per person and decision, what another system of the bureau imports.

``liushou run`` writes them under ``RUN/rules/`` (PRODUCT.md §4.3; columns in ``docs/pipeline.md``):

| file | one row per | decision | money |
| --- | --- | --- | --- |
| ``payroll.parquet`` | person paid the 高龄补贴 in the payroll month | ``status`` 应发 / 应发（请核实） | ``amount`` 元/月 |
| ``education.parquet`` | person assessed for 教育救助 in the term | ``status`` 符合 / 不符合 / 待核实 | ``amount`` 元/年 |
| ``guardianship.parquet`` | left-behind child and guardianship problem | ``finding`` (the problem) | — |
| ``visits.parquet`` | left-behind child (every one, 按期 included) | ``finding`` (the visit status) | — |
| ``referrals.parquet`` | person and program they seem to qualify for | ``finding`` (the program) | — |

Every file starts with ``id_number``, ``township_code``, ``township``, ``village_code``, ``village``, ``name``
and ends with ``reason`` and ``reference`` (the document, or the assumption, behind the decision). The
frames are built by pure functions from the rules' own lists, township by township (a township whose
register breaks a rule's schema is left out and named in ``RUN/rules/problems.json``, the others are kept);
:func:`liushou_core.batch.rulefiles.write_rule_outputs` writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from liushou_core.errors import LiushouError
from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.rules.allowances import payroll
from liushou_core.rules.education import STATUSES, assistance_list
from liushou_core.rules.guardianship import PROBLEMS, gaps
from liushou_core.rules.referrals import PROGRAMS, referrals
from liushou_core.rules.visits import LEVEL_KEYS, VISIT_STATUSES, visit_schedule

PROBLEMS_FILE = "problems.json"
IDENTITY = ["id_number", "township_code", "township", "village_code", "village", "name"]
PAYROLL_STATUSES = ("应发", "应发（请核实）")
#: Guardianship problem → the parameter whose document sets the duty it breaks.
GUARDIANSHIP_BASIS = {
    "no_guardian": "guardianship.present_parent_statuses",
    "agreement_without_delegate": "guardianship.present_parent_statuses",
    "agreement_unsigned": "guardianship.present_parent_statuses",
    "agreement_not_collected": "guardianship.present_parent_statuses",
    "delegate_absent_parent": "guardianship.present_parent_statuses",
    "delegate_minor": "guardianship.delegate_min_age",
    "delegate_id_invalid": "guardianship.delegate_min_age",
    "delegate_id_missing": "guardianship.delegate_min_age",
}


class RuleDecision(pa.DataFrameModel):
    """The columns every rule output shares: who (ID, place, name) and why (reason, reference)."""

    id_number: Series[str] = pa.Field(str_matches=r"^\d{17}[\dX]$")
    township_code: Series[str] = pa.Field(str_matches=r"^\d{9}$")
    township: Series[str]
    village_code: Series[str] = pa.Field(str_matches=r"^\d{12}$")
    village: Series[str]
    name: Series[str]

    class Config:
        coerce = True
        ordered = True
        strict = True


class PayrollDecision(RuleDecision):
    month: Series[str] = pa.Field(str_matches=r"^\d{4}-(0[1-9]|1[0-2])$")
    age: Series[int] = pa.Field(ge=0)
    tier: Series[str]
    status: Series[str] = pa.Field(isin=list(PAYROLL_STATUSES))
    amount: Series[int] = pa.Field(gt=0)
    reason: Series[str]
    reference: Series[str]

    class Config:
        unique = ["id_number"]


class EducationDecision(RuleDecision):
    term: Series[str]
    status: Series[str] = pa.Field(isin=list(STATUSES))
    amount: Series[int] = pa.Field(ge=0)
    reason: Series[str]
    reference: Series[str]

    class Config:
        unique = ["id_number"]


class GuardianshipDecision(RuleDecision):
    checked_on: Series[pd.Timestamp]
    finding: Series[str] = pa.Field(isin=[label for label, _ in PROBLEMS.values()])
    finding_code: Series[str] = pa.Field(isin=list(PROBLEMS))
    severity: Series[str]
    reason: Series[str]
    reference: Series[str]


class VisitDecision(RuleDecision):
    checked_on: Series[pd.Timestamp]
    risk_level: Series[str] = pa.Field(isin=list(LEVEL_KEYS))
    finding: Series[str] = pa.Field(isin=list(VISIT_STATUSES))
    last_visit_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    due_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    days_overdue: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    reason: Series[str]
    reference: Series[str]

    class Config:
        unique = ["id_number"]


class ReferralDecision(RuleDecision):
    checked_on: Series[pd.Timestamp]
    finding: Series[str] = pa.Field(isin=[label for label, _ in PROGRAMS.values()])
    finding_code: Series[str] = pa.Field(isin=list(PROGRAMS))
    recorded: Series[str]
    action: Series[str]
    reason: Series[str]
    reference: Series[str]


def _frame(
    lines: pd.DataFrame, columns: dict[str, pd.Series | str], schema: type[RuleDecision]
) -> pd.DataFrame:
    out = lines[IDENTITY].copy()
    for name, values in columns.items():
        out[name] = values
    return schema.validate(out[list(schema.to_schema().columns)].reset_index(drop=True), lazy=True)


def payroll_decisions(
    people: pd.DataFrame, month: str, params: ParameterSet | None = None
) -> DataFrame[PayrollDecision]:
    """The 高龄补贴 of ``month``: everyone paid, the amount, the tier as reason, a death warning as 请核实."""
    lines = payroll(people, month, params)
    warned = lines["warning"].notna()
    reason = ("年满" + lines["tier"] + "，" + lines["age"].astype(str) + "周岁").astype("string")
    reason = reason.mask(warned, reason + "；" + lines["warning"])
    status = pd.Series(PAYROLL_STATUSES[0], index=lines.index).mask(warned, PAYROLL_STATUSES[1])
    columns = {"month": lines["month"], "age": lines["age"], "tier": lines["tier"], "status": status,
               "amount": lines["amount"], "reason": reason, "reference": lines["reference"]}  # fmt: skip
    return DataFrame[PayrollDecision](_frame(lines, columns, PayrollDecision))


def education_decisions(
    people: pd.DataFrame, term: str | dt.date, params: ParameterSet | None = None
) -> DataFrame[EducationDecision]:
    """教育救助 of ``term``: everyone assessed, 符合 / 不符合 / 待核实, the annual amount (0 unless 符合)."""
    lines = assistance_list(people, term, params)
    columns = {c: lines[c] for c in ("term", "status", "amount", "reason", "reference")}
    return DataFrame[EducationDecision](_frame(lines, columns, EducationDecision))


def guardianship_decisions(
    people: pd.DataFrame, on: dt.date, params: ParameterSet | None = None
) -> DataFrame[GuardianshipDecision]:
    """Every guardianship problem on ``on``, one row per child and problem, with the duty it breaks."""
    params = params or load_parameters()
    lines = gaps(people, on, params)
    cite = {code: params.entry(name, on).citation() for code, name in GUARDIANSHIP_BASIS.items()}
    columns = {"checked_on": pd.Timestamp(on), "finding": lines["problem_label"], "finding_code": lines["problem"],
               "severity": lines["severity"], "reason": lines["detail"],
               "reference": lines["problem"].map(cite)}  # fmt: skip
    return DataFrame[GuardianshipDecision](_frame(lines, columns, GuardianshipDecision))


def visit_decisions(
    people: pd.DataFrame, on: dt.date, params: ParameterSet | None = None
) -> DataFrame[VisitDecision]:
    """Every left-behind child's risk level and visit status on ``on`` (按期 included)."""
    params = params or load_parameters()
    lines = visit_schedule(people, on, params)
    cite = {lv: params.entry(f"visits.interval_days.{key}", on).citation() for lv, key in LEVEL_KEYS.items()}
    reason = (
        "风险"
        + lines["risk_level"]
        + "（"
        + lines["risk_reasons"]
        + "），每"
        + lines["interval_days"].astype(str)
    )
    columns = {"checked_on": pd.Timestamp(on), "risk_level": lines["risk_level"], "finding": lines["visit_status"],
               "last_visit_date": lines["last_visit_date"], "due_date": lines["due_date"],
               "days_overdue": lines["days_overdue"], "reason": reason + "天走访一次",
               "reference": lines["risk_level"].map(cite)}  # fmt: skip
    return DataFrame[VisitDecision](_frame(lines, columns, VisitDecision))


def referral_decisions(
    people: pd.DataFrame, on: dt.date, params: ParameterSet | None = None
) -> DataFrame[ReferralDecision]:
    """Everyone who seems to qualify for a program they are not recorded as receiving on ``on``."""
    lines = referrals(people, on, params)
    columns = {"checked_on": pd.Timestamp(on), "finding": lines["program_label"], "finding_code": lines["program"],
               "recorded": lines["recorded"], "action": lines["action"], "reason": lines["basis"],
               "reference": lines["reference"]}  # fmt: skip
    return DataFrame[ReferralDecision](_frame(lines, columns, ReferralDecision))


def rule_outputs(
    people: pd.DataFrame, *, month: str, term: str | dt.date, on: dt.date, params: ParameterSet | None = None
) -> dict[str, pd.DataFrame]:
    """Every rule's output (file stem → frame) for the payroll ``month``, the school ``term`` and the check date."""
    params = params or load_parameters()
    builders: dict[str, Callable[[], pd.DataFrame]] = {
        "payroll": lambda: payroll_decisions(people, month, params),
        "education": lambda: education_decisions(people, term, params),
        "guardianship": lambda: guardianship_decisions(people, on, params),
        "visits": lambda: visit_decisions(people, on, params),
        "referrals": lambda: referral_decisions(people, on, params),
    }
    return {stem: build() for stem, build in builders.items()}


def township_rule_outputs(
    people: pd.DataFrame, *, month: str, term: str | dt.date, on: dt.date, params: ParameterSet | None = None
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """:func:`rule_outputs` township by township: a township whose register the rules cannot read (a value
    outside its schema) is left out with a Chinese message, and the other townships' decisions are kept —
    one bad township never stops the county's outputs. Returns (stem → frame, township → message)."""
    params = params or load_parameters()
    unreadable = (pa.errors.SchemaError, pa.errors.SchemaErrors, LiushouError)
    try:  # the usual case, at once: the county's frames in one pass (~9 s for the sample county)
        return rule_outputs(people, month=month, term=term, on=on, params=params), {}
    except unreadable:
        pass  # find the township at fault: each township on its own
    parts: dict[str, list[pd.DataFrame]] = {}
    failed: dict[str, str] = {}
    for township, block in people.groupby("township", sort=True):  # a county has a dozen townships
        try:
            frames = rule_outputs(block, month=month, term=term, on=on, params=params)
        except unreadable as exc:
            failed[str(township)] = (
                f"{township}的核实名册不符合规则的输入要求，未生成该镇（乡）的规则结果：{str(exc)[:300]}"
            )
            continue
        for stem, frame in frames.items():
            parts.setdefault(stem, []).append(frame)
    empty = rule_outputs(people.iloc[0:0], month=month, term=term, on=on, params=params)
    out = {stem: pd.concat(parts.get(stem) or [frame], ignore_index=True) for stem, frame in empty.items()}
    return out, failed


__all__ = [
    "EducationDecision",
    "GuardianshipDecision",
    "PayrollDecision",
    "ReferralDecision",
    "RuleDecision",
    "VisitDecision",
    "education_decisions",
    "guardianship_decisions",
    "payroll_decisions",
    "referral_decisions",
    "rule_outputs",
    "township_rule_outputs",
    "visit_decisions",
]
