"""The data-quality tables: every input row's fate, the issues by rule and by village, the rows set aside."""

from __future__ import annotations

import pandas as pd

from liushou_core.issues import RULES
from liushou_core.ledger import label
from liushou_core.workbooks.rundata import RunData
from liushou_core.workbooks.tabulate import TOTAL, with_total

SEVERITY_LABELS = {"error": "错误（待核实）", "warning": "提醒（请更正）", "info": "说明"}


FATE_LABELS = {
    "verified": "核实名册",
    "pending": "待核实",
    "duplicate": "重复合并",
    "skipped": "跳过（非数据行、乡镇核实删除）",
}


def accounting(data: RunData) -> pd.DataFrame:
    """Every input row's fate: 读入行数 = 核实名册 + 待核实 + 重复合并 + 跳过 (county or one township)."""
    if data.rows is not None:
        fate = data.rows["fate"].value_counts()
        counts = {FATE_LABELS[f]: int(fate.get(f, 0)) for f in FATE_LABELS}
        rows_in = len(data.rows)
    elif data.township is None and data.summary:
        s = data.summary
        counts = {
            FATE_LABELS["verified"]: int(s.get("people", len(data.people))),
            FATE_LABELS["pending"]: int(s.get("pending", 0)),
            FATE_LABELS["duplicate"]: int(s.get("duplicates_merged", 0)),
            FATE_LABELS["skipped"]: int(s.get("skipped", 0)),
        }
        rows_in = int(s.get("rows_in", sum(counts.values())))
    else:
        counts = {FATE_LABELS["verified"]: len(data.people)}
        rows_in = len(data.people)
    table = pd.DataFrame({"项目": ["读入行数", *counts], "行数": [rows_in, *counts.values()]})
    return table.set_index("项目")


def issues_by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """Issues counted by rule: 严重程度, 问题, 规则代码, 条数 — errors first, then by count."""
    if len(issues) == 0:
        return pd.DataFrame({"严重程度": [], "问题": [], "规则代码": [], "条数": []}).astype(
            {"条数": "int64"}
        )
    counts = issues.groupby(["severity", "rule"]).size().rename("条数").reset_index()
    order = {"error": 0, "warning": 1, "info": 2}
    counts = counts.assign(_o=counts["severity"].map(order)).sort_values(
        ["_o", "条数"], ascending=[True, False]
    )
    return pd.DataFrame(
        {
            "严重程度": counts["severity"].map(SEVERITY_LABELS),
            "问题": counts["rule"].map(lambda r: RULES[r].title),
            "规则代码": counts["rule"],
            "条数": counts["条数"].astype("int64"),
        }
    ).reset_index(drop=True)


def issues_by_village(issues: pd.DataFrame, rows: pd.DataFrame | None) -> pd.DataFrame:
    """Errors and warnings per village of the row (rows without a resolved village: 未识别)."""
    serious = issues[issues["severity"].isin(["error", "warning"])]
    if rows is not None and "village" in rows:
        village = serious["row_key"].map(rows.drop_duplicates("row_key").set_index("row_key")["village"])
    else:
        village = pd.Series(pd.NA, index=serious.index, dtype="string")
    table = pd.crosstab(
        village.astype("string").fillna("（未识别）"),
        pd.Categorical(
            serious["severity"].map(SEVERITY_LABELS),
            categories=[SEVERITY_LABELS["error"], SEVERITY_LABELS["warning"]],
        ),
        dropna=False,
    )
    table.index.name = label("village")
    table.columns = [str(c) for c in table.columns]
    if len(table) == 0:
        return table.astype("int64")
    table[TOTAL] = table.sum(axis=1)
    return with_total(table.sort_values(TOTAL, ascending=False), TOTAL)


def pending_list(data: RunData) -> pd.DataFrame:
    """The rows kept out of the register (待核实) and why: where they are in the return, who, the reasons."""
    errors = data.issues[data.issues["severity"] == "error"]
    if data.rows is not None:
        keys = set(data.rows.loc[data.rows["fate"] == "pending", "row_key"])
        errors = errors[errors["row_key"].isin(keys)]
    else:
        errors = errors[errors["row_key"].notna() & ~errors["row_key"].isin(set(data.people["row_key"]))]
    if len(errors) == 0:
        return pd.DataFrame(columns=["来源文件", "工作表", "行号", "村（社区）", "姓名", "原因"])
    reasons = (
        errors.groupby("row_key", sort=False)
        .agg(
            source_file=("source_file", "first"),
            source_sheet=("source_sheet", "first"),
            source_row=("source_row", "first"),
            reason=("message", lambda m: "；".join(dict.fromkeys(m))),
        )
        .reset_index()
    )
    who_cols = [c for c in ("village", "name", "id_number") if data.pending is not None and c in data.pending]
    if who_cols and data.pending is not None:
        reasons = reasons.merge(
            data.pending[["row_key", *who_cols]].drop_duplicates("row_key"), on="row_key", how="left"
        )
    for c in ("village", "name", "id_number"):
        if c not in reasons:
            reasons[c] = pd.NA
    out = reasons.sort_values(["source_file", "source_row"])[
        ["source_file", "source_sheet", "source_row", "village", "name", "id_number", "reason"]
    ]
    return out.rename(columns={c: label(c) for c in out.columns} | {"reason": "原因"}).reset_index(drop=True)
