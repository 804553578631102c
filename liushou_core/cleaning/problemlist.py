"""The per-township 问题数据清单: what the cadres must check or correct, with room for their answers.

Each township gets one workbook: every error and warning on its rows with the row's context and an empty
更正值 column; every duplicate group with an empty 查重决定 column (保留/删除). Filled-in workbooks come back
as ``--decisions`` (see :mod:`liushou_core.cleaning.corrections`). The township made these rows, so the list shows
them as typed, IDs included: it goes back to the township, not to other departments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from liushou_core.cleaning.corrections import DECISION_HEADERS
from liushou_core.cleaning.result import Register
from liushou_core.issues import RULES
from liushou_core.ledger import safe_sheet_name, write_ledger
from liushou_core.paths import safe_name

SEVERITY_LABELS = {"error": "错误（待核实）", "warning": "提醒（请更正）", "info": "说明"}

INSTRUCTIONS = [
    ("这是什么", "本表列出贵镇（乡）摸排登记表中需要核实或更正的行。"),
    ("错误（待核实）", "这些人暂不计入核实名册，请核实后在“更正值”列填写正确内容。"),
    (
        "提醒（请更正）",
        "这些人已计入核实名册，但报表有误（如出生日期与身份证号不一致），请在“更正值”列填写正确内容。",
    ),
    ("重复登记", "同一身份证号出现多次时只计一次。如需指定保留哪一条，请在“查重决定”列填写“保留”或“删除”。"),
    ("如何交回", "填好后把本文件原样交回县民政局；下次汇总时自动应用，并逐条记录是否应用成功。"),
    ("注意", "请勿修改“行标识”“字段”“原值”列，否则无法对应到报表中的行。"),
]


def problem_frames(reg: Register) -> dict[str, dict[str, pd.DataFrame]]:
    """Per township: the problems sheet and the duplicates sheet, with Chinese headers."""
    rows = reg.rows[["row_key", "township", "fate"]]
    ctx = reg.raw[["row_key", "village", "name", "id_number"]].rename(
        columns={"village": "raw_village", "name": "raw_name", "id_number": "raw_id"}
    )
    issues = reg.issues[reg.issues["severity"].isin(["error", "warning"])]
    p = issues.merge(rows, on="row_key", how="left").merge(ctx, on="row_key", how="left")
    p["township"] = p["township"].fillna(p["source_file"])
    p = p.assign(
        严重程度=p["severity"].map(SEVERITY_LABELS),
        问题=p["rule"].map(lambda r: RULES[r].title),
        更正值="",
    )
    problems = p.rename(
        columns={
            "row_key": DECISION_HEADERS["row_key"],
            "source_file": "文件",
            "source_sheet": "工作表",
            "source_row": "行号",
            "raw_village": "村（社区）",
            "raw_name": "姓名",
            "raw_id": "公民身份号码",
            "field": DECISION_HEADERS["field"],
            "value": DECISION_HEADERS["value"],
            "message": "说明",
        }
    )
    problem_cols = ["行标识", "文件", "工作表", "行号", "村（社区）", "姓名", "公民身份号码", "严重程度", "问题",
                    "字段", "原值", "说明", "更正值"]  # fmt: skip

    dup_ids = reg.issues.loc[reg.issues["rule"].eq("duplicate"), "value"].dropna().unique()
    cleaned_ids = reg.raw[["row_key"]].merge(reg.rows[["row_key", "township", "fate"]], on="row_key")
    groups = pd.concat([reg.people[["row_key", "id_number"]], _dup_rows(reg)], ignore_index=True)
    groups = (
        groups[groups["id_number"].isin(dup_ids)].merge(cleaned_ids, on="row_key").merge(ctx, on="row_key")
    )
    groups = groups.merge(reg.rows[["row_key", "source_file", "source_sheet", "source_row"]], on="row_key")
    groups = groups.sort_values(["id_number", "source_file", "source_row"])
    dups = groups.assign(
        当前处理=groups["fate"].map({"verified": "保留（计入名册）", "duplicate": "合并（不重复计数）", "pending": "待核实"}),
        查重决定="",
    ).rename(
        columns={"row_key": "行标识", "id_number": "公民身份号码", "source_file": "文件", "source_sheet": "工作表",
                 "source_row": "行号", "raw_village": "村（社区）", "raw_name": "姓名", "township": "镇（乡）"}
    )  # fmt: skip
    dup_cols = [
        "行标识",
        "公民身份号码",
        "姓名",
        "镇（乡）",
        "村（社区）",
        "文件",
        "工作表",
        "行号",
        "当前处理",
        "查重决定",
    ]

    out: dict[str, dict[str, pd.DataFrame]] = {}
    townships = sorted(set(problems["township"].dropna()) | set(dups["镇（乡）"].dropna()))
    for t in townships:
        # A duplicate group spanning two townships is listed in both, so each can decide.
        group_ids = set(dups.loc[dups["镇（乡）"].eq(t), "公民身份号码"])
        out[t] = {
            "问题清单": problems.loc[problems["township"].eq(t), problem_cols].reset_index(drop=True),
            "重复登记": dups.loc[dups["公民身份号码"].isin(group_ids), dup_cols].reset_index(drop=True),
        }
    return out


def _dup_rows(reg: Register) -> pd.DataFrame:
    d = reg.issues.loc[reg.issues["rule"].eq("duplicate"), ["row_key", "value"]]
    pend = reg.pending[["row_key", "id_number"]].dropna()
    return pd.concat([d.rename(columns={"value": "id_number"}), pend], ignore_index=True)


def write_problem_lists(reg: Register, folder: Path) -> list[Path]:
    """Write ``<township>_问题数据清单.xlsx`` for every township with problems; return the paths."""
    written = []
    instructions = pd.DataFrame(INSTRUCTIONS, columns=["项目", "说明"])
    for township, sheets in problem_frames(reg).items():
        path = folder / f"{safe_name(township)}_问题数据清单.xlsx"
        write_ledger(
            path,
            {"填写说明": instructions, **{safe_sheet_name(k): v for k, v in sheets.items()}},
            titles={"问题清单": f"{township} 问题数据清单（基准日 {reg.reference_date.isoformat()}）"},
            text_columns=("行标识", "公民身份号码", "原值", "更正值", "字段"),
            total_row={"填写说明": False},
            row_unit={"填写说明": None, "问题清单": "条", "重复登记": "条"},
        )
        written.append(path)
    return written
