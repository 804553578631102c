"""The workbooks' Excel ledgers: the sheets of each workbook (the same frames the notebook shows, without
their 合计 rows) and how they are written, and the 高龄补贴发放花名册 that ``liushou payroll`` writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from liushou_core.ledger import DEFAULT_TEXT_COLUMNS, label, write_ledger
from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.rules.allowances import tiers
from liushou_core.values.divisions import COUNTY_NAME
from liushou_core.values.periods import month_label
from liushou_core.workbooks.assistance import AssistanceSections, assistance_overview
from liushou_core.workbooks.headline import headline_by_township
from liushou_core.workbooks.investigation import (
    children_by,
    children_by_age_and_sex,
    counts_by_village,
    crossfoot_checks,
    register_table,
)
from liushou_core.workbooks.overview import assistance_by_township
from liushou_core.workbooks.payments import (
    education_by_village,
    education_eligible,
    education_not_eligible,
    education_to_verify,
    payroll_by_township,
    payroll_by_village,
    payroll_roster,
)
from liushou_core.workbooks.protection import (
    gaps_by_village,
    gaps_list,
    hard_alert_list,
    referrals_by_village,
    referrals_list,
    risk_by_village,
    risk_list,
    visits_by_level,
    visits_list,
)
from liushou_core.workbooks.quality import accounting, issues_by_rule, pending_list
from liushou_core.workbooks.rulenotes import payroll_standard, references, start_rule_phrase
from liushou_core.workbooks.rundata import RunData

_TEXT_COLUMNS = [label(c) for c in DEFAULT_TEXT_COLUMNS]


def _reset(table: pd.DataFrame) -> pd.DataFrame:
    return table.reset_index()


def investigation_sheets(data: RunData) -> dict[str, pd.DataFrame]:
    """The sheets of a township's 摸排工作簿 ledger (the same frames the notebook shows, without 合计 rows)."""
    people = data.people
    return {
        "数据核算": _reset(accounting(data)),
        "分村分类人数": _reset(counts_by_village(people, total=False)),
        "问题汇总": issues_by_rule(data.issues),
        "待核实": pending_list(data),
        "儿童年龄性别": _reset(children_by_age_and_sex(people, total=False)),
        "儿童就学": _reset(children_by(people, "schooling", total=False)),
        "儿童监护": _reset(children_by(people, "guardianship_grade", total=False)),
        "表间核对": crossfoot_checks(people),
        "核实名册": register_table(people),
    }


def assistance_sheets(s: AssistanceSections) -> dict[str, pd.DataFrame]:
    """The sheets of a township's 帮扶救助工作簿 ledger, one per list, in the workbook's order (the 无人监护
    alerts first): the same frames the notebook shows, without their 合计 rows (the ledger adds its own)."""
    return {
        "概况": _reset(assistance_overview(s)),
        "无人监护（紧急）": hard_alert_list(s),
        "高龄补贴汇总": _reset(payroll_by_village(s, total=False)),
        "高龄补贴花名册": payroll_roster(s),
        "教育救助汇总": _reset(education_by_village(s, total=False)),
        "教育救助符合": education_eligible(s),
        "教育救助待核实": education_to_verify(s),
        "教育救助不符合原因": education_not_eligible(s),
        "监护问题汇总": _reset(gaps_by_village(s, total=False)),
        "监护问题清单": gaps_list(s),
        "分层分级汇总": _reset(risk_by_village(s, total=False)),
        "走访汇总": _reset(visits_by_level(s, total=False)),
        "需走访儿童": visits_list(s),
        "分层分级名单": risk_list(s),
        "转介汇总": _reset(referrals_by_village(s, total=False)),
        "转介清单": referrals_list(s),
    }


#: The section whose documents are printed under each assistance sheet.
_SHEET_SECTIONS = {
    "无人监护（紧急）": "alerts",
    "高龄补贴汇总": "payroll",
    "高龄补贴花名册": "payroll",
    "教育救助汇总": "education",
    "教育救助符合": "education",
    "教育救助待核实": "education",
    "教育救助不符合原因": "education",
    "监护问题汇总": "guardianship",
    "监护问题清单": "guardianship",
    "分层分级汇总": "visits",
    "走访汇总": "visits",
    "需走访儿童": "visits",
    "分层分级名单": "visits",
    "转介汇总": "referrals",
    "转介清单": "referrals",
}


def assistance_footers(s: AssistanceSections) -> dict[str, list[str]]:
    """The lines under each assistance sheet: the period or date it is for, then its documents."""
    when = {
        "payroll": f"发放月份：{month_label(s.month)}",
        "education": f"学期：{s.term_label}",
    }
    footers = {}
    for sheet, section in _SHEET_SECTIONS.items():
        footers[sheet] = [when.get(section, f"核查日：{s.as_of.isoformat()}"), *references(s, section)]
    footers["高龄补贴花名册"].append("制表人：　　　　审核人：　　　　制表日期：")
    return footers


def county_sheets(
    data: RunData, county: str, sections: AssistanceSections | None = None
) -> dict[str, pd.DataFrame]:
    """The sheets of the county overview's ledger (with ``sections``, the county's assistance by township)."""
    table = headline_by_township(data.people, county)
    sheets = {"分镇分类人数": _reset(table.iloc[:-1]), "数据核算": _reset(accounting(data))}
    if sections is not None:
        sheets["高龄补贴分镇汇总"] = _reset(payroll_by_township(sections, county, total=False))
        sheets["帮扶救助分镇汇总"] = _reset(assistance_by_township(sections, county, total=False))
    return sheets


#: Sheets whose rows are not additive (a 合计 row would mean nothing).
_NO_TOTAL = {"数据核算", "问题汇总", "表间核对", "概况", "教育救助不符合原因"}


#: What a row of a list counts, shown in its 合计/小计 labels; summary sheets (rows are villages, townships
#: or levels) have no count.
_ROW_UNITS = {
    "核实名册": "人",
    "待核实": "人",
    "高龄补贴花名册": "人",
    "教育救助符合": "人",
    "教育救助待核实": "人",
    "无人监护（紧急）": "人",
    "监护问题清单": "条",
    "需走访儿童": "人",
    "分层分级名单": "人",
    "转介清单": "人次",
}


#: Lists with a 小计 per village (the payroll is paid, and the assistance handed out, by village).
_SUBTOTAL_BY = {"高龄补贴花名册": label("village"), "教育救助符合": label("village")}


#: Integer columns that are not counts or money: never summed.
_NOT_ADDITIVE = {"source_row", "age", "interval_days", "days_overdue"}


def write_workbook_ledger(
    sheets: Mapping[str, pd.DataFrame],
    path: Path | str,
    *,
    title: str,
    footers: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write workbook sheets as one formatted ledger: a 合计 row under each count table or list, a 小计 per
    village under the payroll and education lists, yuan as ``#,##0``, IDs as text, ``footers`` under a sheet."""
    integer_columns = {
        str(c) for df in sheets.values() for c in df.columns if pd.api.types.is_integer_dtype(df[c])
    }
    sum_columns = sorted(integer_columns - {label(c) for c in _NOT_ADDITIVE} - {"行号"})
    money = sorted(c for c in integer_columns if "（元" in c)  # 金额（元）, 资助标准（元/年）…
    return write_ledger(
        path,
        sheets,
        titles={name: f"{title}：{name}" for name in sheets},
        subtotal_by={name: _SUBTOTAL_BY.get(name) for name in sheets},
        money_columns=money,
        sum_columns=sum_columns,
        text_columns=_TEXT_COLUMNS,
        total_row={name: name not in _NO_TOTAL for name in sheets},
        footers={name: list((footers or {}).get(name, ())) for name in sheets},
        row_unit={name: _ROW_UNITS.get(name) for name in sheets},
    )


# ------------------------------------------------------------------------------ the 高龄补贴发放花名册

_ROSTER_COLUMNS = ["village", "group", "name", "sex", "id_number", "birth_date", "age", "tier", "amount"]


def payroll_summary_by_township(lines: pd.DataFrame, tier_labels: Sequence[str]) -> pd.DataFrame:
    """The summary sheet: one row per township, people and yuan per tier, and the township totals."""
    cols: dict[str, pd.Series] = {}
    base = lines.groupby(["township_code", "township"], sort=True)
    for t in tier_labels:
        sub = lines[lines["tier"] == t].groupby(["township_code", "township"])
        cols[f"{t}人数"] = sub["id_number"].size()
        cols[f"{t}金额（元）"] = sub["amount"].sum()
    cols["合计人数"] = base["id_number"].size()
    cols["合计金额（元）"] = base["amount"].sum()
    out = pd.DataFrame(cols).fillna(0).astype("int64").reset_index()
    return out.drop(columns="township_code")


def write_payroll_ledger(
    path: Path, lines: pd.DataFrame, month: str, params: ParameterSet | None = None
) -> Path:
    """The Excel 高龄补贴发放花名册 of ``liushou payroll``: a 汇总 sheet by township and tier, then one sheet
    per township (what a township cashier pays from) with a subtotal per village, a township total, the rule
    and signature lines. Pass the lines of one township to get that township's ledger.
    """
    params = params or load_parameters()
    scale = tiers(month, params)
    sheets: dict[str, pd.DataFrame] = {"汇总": payroll_summary_by_township(lines, scale.labels)}
    titles = {"汇总": f"{COUNTY_NAME}高龄补贴发放汇总表（{month_label(month)}）"}
    documents = dict.fromkeys(str(r.reference) for r in scale.references if r.reference)
    to_confirm = dict.fromkeys(str(r.note) for r in scale.references if r.assumption)
    footers = [
        f"标准：{payroll_standard(scale, '；')}（{start_rule_phrase(params, month)}）",
        *(f"依据：{d}" for d in documents),
        *(f"待确认：{n}" for n in to_confirm),
        "制表人：　　　　审核人：　　　　制表日期：",
    ]
    for (_, township), block in lines.groupby(["township_code", "township"], sort=True):
        body = block[_ROSTER_COLUMNS].copy()
        body["签领"] = ""
        sheets[str(township)] = body
        titles[str(township)] = f"{COUNTY_NAME}{township}高龄补贴发放花名册（{month_label(month)}）"
    money = [c for c in sheets["汇总"].columns if "金额" in c] + ["amount"]
    people_cols = [c for c in sheets["汇总"].columns if c.endswith("人数")]
    return write_ledger(
        path,
        sheets,
        titles=titles,
        subtotal_by={name: ("village" if name != "汇总" else None) for name in sheets},
        money_columns=money,
        sum_columns=[*money, *people_cols],
        footers=footers,
        row_unit={"汇总": None},
    )
