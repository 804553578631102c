"""Duplicates: the same person (same ID) listed twice in a return, in two villages or by two townships.

Each person is counted once. By default the first row without errors, in source order, is kept; a decisions
file (the ``ieduplicates`` pattern) may keep another row of the group. Decisions are checked on every run:
one that no longer fits the data (the row is gone, or is no longer in a duplicate group, or a group has two
rows marked 保留) is logged as failed and the default applies.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

KEEP, DROP = "保留", "删除"
#: Where each decision came from (``回马镇_问题数据清单.xlsx 问题清单 第 5 行``), for the log.
FORM = "form"


class DuplicateMarks(pa.DataFrameModel):
    """One row per row that has a valid ID: whether it is a merged duplicate, and the row kept in its group."""

    row_key: Series[str] = pa.Field(unique=True)
    id_number: Series[str]
    group_size: Series[int] = pa.Field(ge=1)
    is_duplicate: Series[bool]
    kept_row_key: Series[str]

    class Config:
        coerce = True


class DecisionLog(pa.DataFrameModel):
    """What happened to each duplicate decision of the decisions file on this run."""

    row_key: Series[str]
    decision: Series[str]
    status: Series[str] = pa.Field(isin=["applied", "failed"])
    message: Series[str]
    form: Series[str]  # where the decision was typed (file, sheet, row), ``""`` if not known

    class Config:
        coerce = True


ORDER = ["source_file", "sheet_index", "source_row"]


def mark_duplicates(
    rows: pd.DataFrame, decisions: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mark duplicates among ``rows`` (row_key, id_number, has_error and the source order columns).

    ``decisions`` has ``row_key`` and ``decision`` (保留 or 删除). Returns the marks (for rows with an
    ``id_number``) and the decision log.
    """
    r = rows.loc[rows["id_number"].notna(), ["row_key", "id_number", "has_error", *ORDER]].sort_values(
        ORDER, kind="stable"
    )
    r["group_size"] = r.groupby("id_number")["row_key"].transform("size")
    # Default: rows without errors first, then source order.
    r["_rank"] = r.sort_values(["has_error", *ORDER], kind="stable").groupby("id_number").cumcount()
    r["_keep"] = r["_rank"].eq(0)
    log = pd.DataFrame(
        {c: pd.Series(dtype="string") for c in ["row_key", "decision", "status", "message", FORM]}
    )
    if decisions is not None and len(decisions):
        r, log = _apply_decisions(r, decisions)
    kept = r.loc[r["_keep"]].set_index("id_number")["row_key"]
    r["kept_row_key"] = r["id_number"].map(kept)
    r["is_duplicate"] = ~r["_keep"]
    marks = r[["row_key", "id_number", "group_size", "is_duplicate", "kept_row_key"]].reset_index(drop=True)
    return DuplicateMarks.validate(marks), DecisionLog.validate(log.reset_index(drop=True))


def _one_per_row(decisions: pd.DataFrame) -> pd.DataFrame:
    """One decision per row key; whether the copies of the list that came back disagree on it, and where
    its answers were typed (``form``, each place once) — identical answers from two copies count once."""
    d = decisions.reindex(columns=["row_key", "decision", FORM]).dropna(subset=["row_key", "decision"])
    d = d.assign(
        decision=d["decision"].astype("string").str.strip(), form=d[FORM].astype("string").fillna("")
    )
    by_row = d.groupby("row_key", sort=False)
    disagree = by_row["decision"].transform("nunique").gt(1)
    forms = by_row["form"].transform(lambda s: "、".join(p for p in dict.fromkeys(s) if p))
    d = d.assign(_disagree=disagree.astype(bool), form=forms.astype("string"))
    return d.drop_duplicates("row_key", keep="last")


def _apply_decisions(r: pd.DataFrame, decisions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    d = _one_per_row(decisions)
    known = d.merge(r[["row_key", "id_number", "group_size"]], on="row_key", how="left")
    status = pd.Series("applied", index=known.index, dtype="string")
    message = pd.Series("", index=known.index, dtype="string")
    bad_value = ~known["decision"].isin([KEEP, DROP])
    gone = known["id_number"].isna()
    single = known["group_size"].eq(1).fillna(False)
    disagree = known["_disagree"].astype(bool)
    message = message.mask(single, "该行已不是重复记录，决定未应用")
    message = message.mask(gone, "找不到该行（报表可能已修改），决定未应用")
    message = message.mask(bad_value, "查重决定应为“保留”或“删除”")
    message = message.mask(
        disagree & ~gone,
        "交回的清单对同一行填写了不同的查重决定（" + known["form"] + "），请只保留一个，决定未应用",
    )
    status = status.mask(bad_value | gone | single | disagree, "failed")
    ok = known[status.eq("applied")]
    # Per group: the one row marked 保留, or the one row not marked 删除.
    per_row = r[["row_key", "id_number"]].merge(ok[["row_key", "decision"]], on="row_key", how="left")
    g = per_row.groupby("id_number")
    n_keep = g["decision"].transform(lambda s: s.eq(KEEP).sum())
    n_undropped = g["decision"].transform(lambda s: (~s.eq(DROP).fillna(False)).sum())
    decided = per_row["decision"].notna().groupby(per_row["id_number"]).transform("any")
    chosen = (n_keep.eq(1) & per_row["decision"].eq(KEEP).fillna(False)) | (
        n_keep.eq(0) & n_undropped.eq(1) & ~per_row["decision"].eq(DROP).fillna(False)
    )
    resolved_group = chosen.groupby(per_row["id_number"]).transform("any")
    conflict_ids = set(per_row.loc[decided & ~resolved_group, "id_number"])
    conflict = known["id_number"].isin(conflict_ids) & status.eq("applied")
    status = status.mask(conflict, "failed")
    message = message.mask(conflict, "同一人的记录中应恰好保留一条，决定相互矛盾，按默认规则处理")
    message = message.mask(status.eq("applied"), "已按决定" + known["decision"].astype("string"))
    chosen_keys = set(per_row.loc[chosen, "row_key"])
    groups_with_choice = set(per_row.loc[chosen, "id_number"])
    r = r.copy()
    in_choice = r["id_number"].isin(groups_with_choice)
    r["_keep"] = r["_keep"].where(~in_choice, r["row_key"].isin(chosen_keys))
    log = pd.DataFrame({
        "row_key": known["row_key"], "decision": known["decision"], "status": status, "message": message,
        FORM: known["form"],
    })  # fmt: skip
    return r, log
