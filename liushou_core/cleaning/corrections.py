"""Corrections round-trip (the ``ipacheck`` corrections pattern) and reading the decisions file.

Each township's 问题数据清单 lists its problems with an empty 更正值 (correction) column and, for duplicate
groups, an empty 查重决定 (keep/drop) column. Filled-in lists come back as the decisions file (``--decisions``,
one file or a folder of them). On every run each correction is checked against the row's current value in the
return: it is applied only when the return still holds the value the problem was reported on, and every
correction is logged as applied or failed, so nothing changes silently.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from liushou_core.errors import DecisionsError
from liushou_core.values import text
from liushou_core.values.codebook import Codebook

#: Columns of the decisions file: canonical name → the Chinese header of the 问题数据清单.
DECISION_HEADERS = {
    "row_key": "行标识",
    "field": "字段",
    "value": "原值",
    "correction": "更正值",
    "decision": "查重决定",
}


class CorrectionLog(pa.DataFrameModel):
    """What happened to each correction on this run."""

    row_key: Series[str]
    field: Series[str]
    value: Series[str] = pa.Field(nullable=True)
    correction: Series[str]
    status: Series[str] = pa.Field(isin=["applied", "failed"])
    message: Series[str]

    class Config:
        coerce = True


def read_decisions(path: Path, codebook: Codebook) -> pd.DataFrame:
    """All decision rows of a file (``.xlsx``/``.csv``) or of every such file in a folder.

    Accepts the Chinese headers of the 问题数据清单 or the canonical column names; the ``field`` column may
    hold a field name or its Chinese header. Rows with neither a correction nor a decision are dropped.
    """
    if not path.exists():
        raise DecisionsError(f"找不到决定文件 {path}")
    files = (
        sorted(p for p in path.rglob("*") if p.suffix.lower() in {".xlsx", ".csv"})
        if path.is_dir()
        else [path]
    )
    frames = [_read_one(p, codebook) for p in files if not p.name.startswith(("~$", "."))]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in DECISION_HEADERS})
    return pd.concat(frames, ignore_index=True)


def _read_one(path: Path, codebook: Codebook) -> pd.DataFrame:
    try:
        if path.suffix.lower() == ".csv":
            sheets = {"": pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")}
        else:
            sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, engine="calamine")
    except Exception as exc:  # any reader failure is a user-facing problem with this file
        raise DecisionsError(f"决定文件 {path} 无法读取：{exc}") from exc
    by_header = {v: k for k, v in DECISION_HEADERS.items()} | {k: k for k in DECISION_HEADERS}
    frames = []
    for sheet, df in sheets.items():
        df = df.rename(columns=lambda c: by_header.get(str(c).strip(), str(c)))
        if "row_key" not in df.columns:
            continue  # a sheet without 行标识 (e.g. a cover sheet) holds no decisions
        for col in DECISION_HEADERS:
            if col not in df.columns:
                df[col] = ""
        df = df[list(DECISION_HEADERS)].astype("string")
        df = df.apply(lambda s: text.normalise_text(s) if s.name != "value" else s.replace("", pd.NA))
        df = df[df["row_key"].notna() & (df["correction"].notna() | df["decision"].notna())].copy()
        field = df["field"].map(lambda f: codebook.field_for_header(f) or f, na_action="ignore")
        df["field"] = field.astype("string")
        df["decision_file"] = f"{path.name}:{sheet}" if sheet else path.name
        frames.append(df)
    if not frames:
        raise DecisionsError(f"决定文件 {path} 中没有“{DECISION_HEADERS['row_key']}”列，无法对应到报表中的行")
    return pd.concat(frames, ignore_index=True)


def apply_corrections(rows: pd.DataFrame, decisions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the corrections of ``decisions`` to intake's raw rows; return the new rows and the log.

    A correction applies when the row exists, the field is a template field, and the row's current text (after
    trimming) equals the value it was reported on (原值). A return already corrected by the township (its value
    now equals the correction) is logged as applied without change. ``rows`` is not modified.
    """
    c = decisions.loc[decisions["correction"].notna(), ["row_key", "field", "value", "correction"]].copy()
    c = c.drop_duplicates(["row_key", "field"], keep="last").reset_index(drop=True)
    out = rows.copy()
    status = pd.Series("failed", index=c.index, dtype="string")
    message = pd.Series("", index=c.index, dtype="string")
    pos = pd.Series(range(len(rows)), index=rows["row_key"].to_numpy())
    exists = c["row_key"].isin(pos.index)
    known_field = c["field"].isin(rows.columns) & ~c["field"].isin(
        ["row_key", "source_file", "source_sheet", "source_row"]
    )
    message = message.mask(~known_field, "字段“" + c["field"].fillna("") + "”不是报表模板中的字段")
    message = message.mask(~exists, "找不到该行（报表可能已修改或行号已变），更正未应用")
    for field, block in c[exists & known_field].groupby("field"):
        at = pos[block["row_key"]].to_numpy()
        current = text.normalise_text(out[str(field)].iloc[at].reset_index(drop=True)).fillna("")
        expected = text.normalise_text(block["value"].reset_index(drop=True)).fillna("")
        wanted = text.normalise_text(block["correction"].reset_index(drop=True)).fillna("")
        matches = current.eq(expected).to_numpy()
        already = current.eq(wanted).to_numpy()
        col = out.columns.get_loc(str(field))
        out.iloc[at[matches], col] = block["correction"].to_numpy()[matches]
        st = pd.Series("failed", index=block.index, dtype="string")
        st[matches | already] = "applied"
        msg = ("当前值为“" + current + "”，与原值“" + expected + "”不符，更正未应用").set_axis(block.index)
        msg[matches] = "已更正"
        msg[already & ~matches] = "报表中已是更正值"
        status[block.index] = st
        message[block.index] = msg
    log = pd.DataFrame({
        "row_key": c["row_key"], "field": c["field"].fillna(""), "value": c["value"], "correction": c["correction"],
        "status": status, "message": message,
    })  # fmt: skip
    return out, CorrectionLog.validate(log)
