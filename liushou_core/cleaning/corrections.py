"""Corrections round-trip (the ``ipacheck`` corrections pattern) and reading the returned 问题数据清单.

Each township's 问题数据清单 lists its problems with an empty 更正值 (correction) column and, for duplicate
groups, an empty 查重决定 (keep/drop) column. Filled-in lists come back as the decisions (``--decisions``, one
file or a folder where the returned lists are collected). A returned list may have been through Excel, WPS or
LibreOffice, saved as ``.xls``, had its sheets renamed or its columns moved: each sheet's header is found by
its text wherever it sits, and the rows are matched by their 行标识 (row key).

On every run each correction is checked against the row's current value in the return: it is applied only
when the return still holds the value the problem was reported on. Every typed answer ends in the log as
applied or failed with a Chinese reason — never silently nothing: an answer without a row key, for a field
that is not one of the return template's, or contradicting another copy of the list fails with its reason,
and a sheet that holds typed answers but yields none is an error naming the file and the sheet.

Decisions live outside the output: the output folder is rewritten on every run, so a decisions file or
folder inside it, or a filled list left in it, is refused before anything is written
(:func:`refuse_decisions_inside`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from liushou_core.cleaning.dedupe import FORM
from liushou_core.errors import DecisionsError
from liushou_core.values import text
from liushou_core.values.codebook import FIELDS, Codebook, header_key

#: Columns of the decisions: canonical name → the Chinese header of the 问题数据清单.
DECISION_HEADERS = {
    "row_key": "行标识",
    "field": "字段",
    "value": "原值",
    "correction": "更正值",
    "decision": "查重决定",
    "action": "处理决定",
}
#: The one 处理决定: the township checked the row and takes it off the register (e.g. 不符合认定条件).
WITHDRAW = "删除"
#: The skip rule of a row a township took off the register (:data:`WITHDRAW`).
WITHDRAWN_RULE = "skip_withdrawn"
#: The folder of the problem lists inside a cleaning's output.
LISTS_FOLDER = "问题数据清单"
#: Files read as returned lists (calamine reads every spreadsheet format Excel, WPS and LibreOffice save).
DECISION_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".ods", ".csv"})
#: How far down a sheet its header row may sit (title rows and notes above it).
HEADER_SEARCH_ROWS = 30
#: The fields a correction may change: the return template's (PRODUCT.md §4.1), nothing internal.
USER_FIELDS = frozenset(FIELDS)

_HEADER_OF = {header_key(h): k for k, h in DECISION_HEADERS.items()} | {k: k for k in DECISION_HEADERS}
_ANSWERS = ("correction", "decision", "action")


#: What a log row is about: a typed 更正值, or a 处理决定 taking the row off the register.
CORRECTION, WITHDRAWAL = "correction", "withdrawal"


class CorrectionLog(pa.DataFrameModel):
    """What happened to each correction on this run."""

    row_key: Series[str]
    field: Series[str]
    value: Series[str] = pa.Field(nullable=True)
    correction: Series[str]  # the value typed, or 删除 for a withdrawal
    kind: Series[str] = pa.Field(isin=[CORRECTION, WITHDRAWAL])
    status: Series[str] = pa.Field(isin=["applied", "failed"])
    message: Series[str]
    form: Series[str]

    class Config:
        coerce = True


def empty_decisions() -> pd.DataFrame:
    """A decisions frame with no rows."""
    return pd.DataFrame({c: pd.Series(dtype="string") for c in [*DECISION_HEADERS, FORM]})


def decision_files(path: Path) -> list[Path]:
    """The returned lists at ``path``: the file itself, or every list in the folder (lock files skipped)."""
    if not path.is_dir():
        return [path]
    return sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and p.suffix.lower() in DECISION_SUFFIXES and not p.name.startswith(("~$", ".", "~"))
    )


def read_decisions(path: Path, codebook: Codebook) -> pd.DataFrame:
    """Every typed answer of a returned list (``.xlsx``/``.xls``/``.ods``/``.csv``) or of a folder of them.

    Each sheet's header row is the first (within :data:`HEADER_SEARCH_ROWS`) holding 行标识 and 更正值 or
    查重决定 (or the canonical column names); other sheets (填写说明) are skipped. The ``field`` column may
    hold a field name or its Chinese header. A row without a typed answer is dropped; a typed answer without
    a row key is kept with an empty key (it fails, with its reason, when applied). Raises
    :class:`DecisionsError` naming the file (and sheet) when a file cannot be read, holds no list, or a
    sheet holds typed answers none of which names a row.
    """
    if not path.exists():
        raise DecisionsError(f"找不到决定文件 {path}")
    frames = [_read_one(p, codebook) for p in decision_files(path)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else empty_decisions()


def _read_one(path: Path, codebook: Codebook) -> pd.DataFrame:
    frames = []
    found = False
    for sheet, cells in _sheets(path).items():
        at = _header_at(cells)
        if at is None:
            _refuse_answers_without_keys(path, sheet, cells)
            continue  # a sheet without 行标识 and an answer column (e.g. 填写说明) holds no decisions
        found = True
        frames.append(_decisions_of(path, sheet, cells, *at, codebook))
    if not found:
        raise DecisionsError(
            f"决定文件 {path} 中没有同时含“{DECISION_HEADERS['row_key']}”和“{DECISION_HEADERS['correction']}”"
            f"（或“{DECISION_HEADERS['decision']}”）列的表，无法对应到报表中的行"
        )
    return pd.concat(frames, ignore_index=True)


def _sheets(path: Path) -> dict[str, pd.DataFrame]:
    """Every sheet's cells as text (``""`` for empty), no header assumed."""
    try:
        if path.suffix.lower() == ".csv":
            raw = path.read_bytes()
            try:
                decoded = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                decoded = raw.decode("gb18030")
            sheets = {"": pd.read_csv(io.StringIO(decoded), header=None, dtype=str, keep_default_na=False)}
        else:
            sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
    except Exception as exc:  # any reader failure is a user-facing problem with this file
        raise DecisionsError(f"决定文件 {path} 无法读取：{exc}") from exc
    return {str(name): df.map(_cell_text) for name, df in sheets.items()}


def _cell_text(value: object) -> str:
    """A cell as the text a person sees: whole numbers without ``.0``, dates as ``2008-05-03``."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, dt.datetime | pd.Timestamp):
        stamp = pd.Timestamp(value)
        return stamp.date().isoformat() if stamp == stamp.normalize() else stamp.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _header_at(cells: pd.DataFrame) -> tuple[int, dict[str, int]] | None:
    """The header row (0-based) and the position of each decisions column in it, or None."""
    for i in range(min(HEADER_SEARCH_ROWS, len(cells))):
        where: dict[str, int] = {}
        for j, v in enumerate(cells.iloc[i]):
            name = _HEADER_OF.get(header_key(v))
            if name is not None and name not in where:
                where[name] = j
        if "row_key" in where and any(a in where for a in _ANSWERS):
            return i, where
    return None


def _refuse_answers_without_keys(path: Path, sheet: str, cells: pd.DataFrame) -> None:
    """A sheet with an answer column but no 行标识 column: an error if anything is typed under it."""
    for i in range(min(HEADER_SEARCH_ROWS, len(cells))):
        keys = [header_key(v) for v in cells.iloc[i]]
        for j, k in enumerate(keys):
            if _HEADER_OF.get(k) in _ANSWERS and cells.iloc[i + 1 :, j].str.strip().ne("").any():
                raise DecisionsError(
                    f"决定文件 {path} 的工作表“{sheet}”填写了“{cells.iat[i, j]}”，但没有“行标识”列，"
                    "无法对应到报表中的行：请勿删除或改动“行标识”列，用原表重新填写后交回"
                )


def _decisions_of(
    path: Path, sheet: str, cells: pd.DataFrame, header: int, where: dict[str, int], codebook: Codebook
) -> pd.DataFrame:
    body = cells.iloc[header + 1 :]
    df = pd.DataFrame(
        {c: (body.iloc[:, where[c]] if c in where else "") for c in DECISION_HEADERS}, index=body.index
    ).astype("string")
    df = df.apply(lambda s: text.normalise_text(s) if s.name != "value" else s.replace("", pd.NA))
    typed = df["correction"].notna() | df["decision"].notna() | df["action"].notna()
    df = df[typed].copy()
    if len(df) and df["row_key"].isna().all():
        raise DecisionsError(
            f"决定文件 {path} 的工作表“{sheet}”填写了 {len(df)} 项，但这些行的“行标识”都是空的，"
            "无法对应到报表中的行：请勿删除或改动“行标识”列，用原表重新填写后交回"
        )
    df["row_key"] = df["row_key"].fillna("")
    field = df["field"].map(lambda f: codebook.field_for_header(f) or f, na_action="ignore")
    df["field"] = field.astype("string")
    place = f"{path.name} {sheet}".strip()
    df[FORM] = pd.Series([f"{place} 第 {i + 1} 行" for i in df.index], index=df.index, dtype="string")
    return df.reset_index(drop=True)


def row_answers(decisions: pd.DataFrame) -> pd.Series:
    """Which rows of ``decisions`` act on a return's row: a typed 更正值 or a 处理决定 (not 查重决定)."""
    action = decisions["action"] if "action" in decisions else pd.Series(pd.NA, index=decisions.index)
    return decisions["correction"].notna() | action.notna()


def apply_corrections(rows: pd.DataFrame, decisions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply the corrections and withdrawals of ``decisions`` to intake's raw rows; return the new rows and
    the log (corrections first, then withdrawals).

    A correction applies when the row exists, the field is one of the return template's, the lists that
    came back agree on it, and the row's current text (after trimming) equals the value it was reported on
    (原值; when one cell was reported for two problems, either value). A return already corrected by the
    township (its value now equals the correction) is logged as applied without change. Anything else fails
    with a Chinese reason. One log row per row key and field.

    A withdrawal (处理决定 = 删除) takes a reported row off the register: checked the same way (the row exists
    and still holds a value it was reported on), the row becomes a skipped row (:data:`WITHDRAWN_RULE`), so
    it is still accounted for. Corrections of a withdrawn row are not applied. One log row per row key.
    ``rows`` is not modified.
    """
    d = decisions.reindex(columns=[*DECISION_HEADERS, FORM])
    d = d.assign(
        row_key=d["row_key"].fillna("").astype("string"),
        field=d["field"].astype("string").fillna(""),
        value=d["value"].astype("string"),
        **{FORM: d[FORM].astype("string").fillna("")},
    )
    pos = pd.Series(range(len(rows)), index=rows["row_key"].to_numpy())
    pos = pos[~pos.index.duplicated()]
    out = rows.copy()
    wlog = _withdrawals(rows, d.loc[d["action"].notna()].reset_index(drop=True), pos)
    withdrawn = wlog.loc[wlog["status"].eq("applied"), "row_key"]
    if len(withdrawn):
        skip = out.get("skip_rule", pd.Series(pd.NA, index=out.index)).astype("string")
        skip.iloc[pos[withdrawn].to_numpy()] = WITHDRAWN_RULE
        out["skip_rule"] = skip
    out, clog = _corrections(out, d.loc[d["correction"].notna()].reset_index(drop=True), pos, set(withdrawn))
    return out, CorrectionLog.validate(pd.concat([clog, wlog], ignore_index=True))


def _current(rows: pd.DataFrame, d: pd.DataFrame, pos: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Whether each decision's row and field can be looked up, and the row's current value (``""`` if not)."""
    known = d["row_key"].isin(pos.index) & d["field"].isin(USER_FIELDS) & d["field"].isin(rows.columns)
    current = pd.Series("", index=d.index, dtype="string")
    for name, block in d[known].groupby("field"):  # one lookup per field
        at = pos[block["row_key"]].to_numpy()
        values = text.normalise_text(rows[str(name)].astype("string").iloc[at]).fillna("")
        current[block.index] = values.to_numpy()
    return known, current


def _where_not_found(message: pd.Series, c: pd.DataFrame, pos: pd.Series, what: str) -> pd.Series:
    """The reasons shared by corrections and withdrawals: no such field, no field, no such row, no key."""
    message = message.mask(
        ~c["field"].isin(USER_FIELDS),
        "“" + c["field"] + f"”不是摸排登记表中的字段（请勿改动“字段”列），{what}未应用",
    )
    message = message.mask(
        c["field"].eq(""), f"没有“字段”，无法核对原值（请勿删除或改动“字段”列），{what}未应用"
    )
    message = message.mask(
        ~c["row_key"].isin(pos.index), f"找不到该行（报表可能已修改或行号已变），{what}未应用"
    )
    return message.mask(c["row_key"].eq(""), f"该行的“行标识”为空，无法对应到报表中的行，{what}未应用")


def _mismatch(c: pd.DataFrame, what: str) -> pd.Series:
    expected = text.normalise_text(c["value"]).fillna("")
    return "当前值为“" + c["_current"] + "”，与原值“" + expected + f"”不符，{what}未应用"


def _joined_forms(d: pd.DataFrame, keys: list[pd.Series]) -> pd.Series:
    """Per group of ``keys``: the places its answers were typed (each once), for a message."""
    return d[FORM].groupby(keys).transform(lambda s: "、".join(dict.fromkeys(s))).astype("string")


def _corrections(
    rows: pd.DataFrame, d: pd.DataFrame, pos: pd.Series, withdrawn: set[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    d = d.assign(correction=d["correction"].astype("string"))
    keys = [d["row_key"], d["field"]]
    wanted = text.normalise_text(d["correction"]).fillna("")
    disagree = wanted.groupby(keys).transform("nunique").gt(1)
    known, current = _current(rows, d, pos)
    expected = text.normalise_text(d["value"]).fillna("")
    matches = (known & current.eq(expected)).groupby(keys).transform("any")
    already = (known & current.eq(wanted)).groupby(keys).transform("any")
    d = d.assign(
        _disagree=disagree.astype(bool),
        _forms=_joined_forms(d, keys),
        _matches=matches.astype(bool),
        _already=already.astype(bool),
        _current=current,
    )
    c = d.drop_duplicates(["row_key", "field"], keep="last").reset_index(drop=True)
    usable = c["row_key"].isin(pos.index) & c["field"].isin(USER_FIELDS) & c["field"].isin(rows.columns)
    gone = c["row_key"].isin(withdrawn)
    usable &= ~c["_disagree"] & ~gone
    apply = usable & c["_matches"]
    ok = apply | (usable & c["_already"])
    message = pd.Series("已更正", index=c.index, dtype="string")
    message = message.mask(ok & ~apply, "报表中已是更正值")
    message = message.mask(usable & ~ok, _mismatch(c, "更正"))
    message = message.mask(gone, f"该行已按“处理决定”{WITHDRAW}（不计入名册），更正未应用")
    message = message.mask(
        c["_disagree"],
        "交回的清单对同一项填写了不同的更正值（" + c["_forms"] + "），请只保留一个，更正未应用",
    )
    message = message.mask(
        ~c["field"].isin(rows.columns),
        "“" + c["field"] + "”不是摸排登记表中的字段，不能更正（请勿改动“字段”列），更正未应用",
    )
    message = _where_not_found(message, c, pos, "更正")
    out = rows.copy()
    for name, block in c[apply].groupby("field"):
        column = out[str(name)].astype("string")
        column.iloc[pos[block["row_key"]].to_numpy()] = block["correction"].to_numpy()
        out[str(name)] = column
    log = pd.DataFrame({
        "row_key": c["row_key"], "field": c["field"], "value": c["value"], "correction": c["correction"],
        "kind": CORRECTION, "status": ok.map({True: "applied", False: "failed"}), "message": message,
        FORM: c[FORM],
    })  # fmt: skip
    return out, log


def _withdrawals(rows: pd.DataFrame, d: pd.DataFrame, pos: pd.Series) -> pd.DataFrame:
    """The log of the 处理决定 of ``d``: one row per row key, applied when a 删除 mark of the row still
    matches the value it was reported on (any of the row's problems), else failed with its reason."""
    action = text.normalise_text(d["action"].astype("string")).fillna("")
    known, current = _current(rows, d, pos)
    is_withdraw = action.eq(WITHDRAW)
    fits = known & is_withdraw & current.eq(text.normalise_text(d["value"]).fillna(""))
    skipped = pd.Series(False, index=d.index)
    if len(rows) and "skip_rule" in rows:
        at = pos.reindex(d["row_key"]).fillna(0).astype(int).to_numpy()
        skipped = known & rows["skip_rule"].notna().to_numpy()[at]
    d = d.assign(
        _fits=fits & ~skipped, _withdraw=is_withdraw, _skipped=skipped, _current=current, _action=action
    )
    # The mark that decides a row: one that fits, else a 删除 that does not, else the last typed.
    rank = np.select([d["_fits"], d["_withdraw"]], [0, 1], 2)
    c = d.assign(_rank=rank).sort_values("_rank", kind="stable").drop_duplicates("row_key")
    c = c.sort_index().reset_index(drop=True)
    message = pd.Series(f"已按“处理决定”{WITHDRAW}（不计入名册）", index=c.index, dtype="string")
    message = message.mask(~c["_fits"], _mismatch(c, WITHDRAW))
    message = message.mask(c["_skipped"], f"该行在报表中不是人员行，{WITHDRAW}未应用")
    message = _where_not_found(message, c, pos, WITHDRAW)
    message = message.mask(
        ~c["_withdraw"], "“处理决定”只能选“" + WITHDRAW + "”，填写的“" + c["_action"] + "”未应用"
    )
    return pd.DataFrame({
        "row_key": c["row_key"], "field": c["field"], "value": c["value"], "correction": c["_action"],
        "kind": WITHDRAWAL, "status": c["_fits"].map({True: "applied", False: "failed"}), "message": message,
        FORM: c[FORM],
    })  # fmt: skip


def refuse_decisions_inside(out: Path, decisions: Path | None) -> None:
    """Refuse, before anything is written, decisions kept inside the output folder ``out`` and filled lists
    left in it: the output folder is rewritten on every run, and what the townships typed would be lost.

    Raises :class:`DecisionsError` naming the file or folder and where to put it instead.
    """
    out = Path(out).resolve()
    if decisions is not None:
        d = Path(decisions).resolve()
        if d == out or d.is_relative_to(out):
            raise DecisionsError(
                f"决定文件 {decisions} 在输出文件夹 {out} 之内：输出文件夹每次运行都会重写，"
                "填好的清单会被覆盖或删除。请把交回的清单放到输出文件夹以外（如 returns 旁的“回收清单”文件夹）"
            )
    filled = filled_lists(out / LISTS_FOLDER)
    if filled:
        raise DecisionsError(
            f"输出文件夹中的问题数据清单已填写（{'、'.join(p.name for p in filled)}），重新运行会覆盖它们。"
            "请先把这些文件移到输出文件夹以外，再用 --decisions（或运行参数 decisions:）指定它们"
        )


def filled_lists(folder: Path) -> list[Path]:
    """The lists in ``folder`` with at least one typed answer (a list that cannot be read counts as not ours)."""
    if not folder.is_dir():
        return []
    filled = []
    for path in decision_files(folder):
        try:
            sheets = _sheets(path)
        except DecisionsError:
            continue
        if any(_typed(cells) for cells in sheets.values()):
            filled.append(path)
    return filled


def _typed(cells: pd.DataFrame) -> bool:
    at = _header_at(cells)
    if at is None:
        return False
    header, where = at
    body = cells.iloc[header + 1 :]
    return any(body.iloc[:, where[a]].str.strip().ne("").any() for a in _ANSWERS if a in where)


def returned_by_township(
    corrections_log: pd.DataFrame, decisions_log: pd.DataFrame, rows: pd.DataFrame
) -> pd.DataFrame:
    """Per township: how many answers (corrections, withdrawals and duplicate decisions) came back, were
    applied, failed, and how many rows the township took off the register (``withdrawn``, among the applied).

    The township is the row's (``rows``: row_key → township); an answer whose row is not found is counted
    under the township its list is named after (``回马镇_问题数据清单.xlsx``), else under 未能对应.
    """
    logs = [
        corrections_log.reindex(columns=["row_key", "status", "kind", FORM]),
        decisions_log.reindex(columns=["row_key", "status", "kind", FORM]),
    ]
    log = (
        pd.concat([frame for frame in logs if len(frame)], ignore_index=True) if any(map(len, logs)) else None
    )
    columns = ["township", "returned", "applied", "failed", "withdrawn"]
    if log is None:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c != "township" else "string") for c in columns})
    town = rows.drop_duplicates("row_key").set_index("row_key")["township"]
    named = log[FORM].astype("string").str.extract(r"^(.+?)_问题数据清单", expand=False)
    township = log["row_key"].map(town).astype("string").fillna(named).fillna("未能对应")
    status = log["status"].astype("string")
    withdrawn = status.eq("applied") & log["kind"].astype("string").eq(WITHDRAWAL).fillna(False)
    table = pd.DataFrame({
        "township": township, "applied": status.eq("applied"), "failed": status.eq("failed"),
        "withdrawn": withdrawn,
    })  # fmt: skip
    counts = table.groupby("township", sort=True).agg(
        returned=("applied", "size"), applied=("applied", "sum"), failed=("failed", "sum"),
        withdrawn=("withdrawn", "sum"),
    )  # fmt: skip
    return counts.reset_index().astype(dict.fromkeys(columns[1:], "int64"))


def returned_lines(table: Iterable[dict[str, object]]) -> list[str]:
    """The console lines of :func:`returned_by_township` (as records): a heading, then one per township."""
    lines = [
        f"  {r['township']}：交回 {r['returned']} 项，已应用 {r['applied']} 项，未应用 {r['failed']} 项"
        + (f"；其中核实删除 {r['withdrawn']} 人（不计入名册）" if r.get("withdrawn") else "")
        for r in table
    ]
    if not lines:
        return ["交回的问题数据清单：没有填写任何更正值、处理决定或查重决定"]
    return [
        "交回的问题数据清单（更正值、处理决定与查重决定；未应用的原因见 corrections_log / decisions_log）：",
        *lines,
    ]


def returned_records(clean_dir: Path) -> list[dict[str, object]]:
    """:func:`returned_by_township` of a cleaning's output folder, as JSON records (empty with no answers)."""
    clean_dir = Path(clean_dir)
    logs = [clean_dir / "corrections_log.parquet", clean_dir / "decisions_log.parquet"]
    if not any(p.exists() for p in logs) or not (clean_dir / "rows.parquet").exists():
        return []
    corrections, decisions = (pd.read_parquet(p) if p.exists() else pd.DataFrame() for p in logs)
    rows = pd.read_parquet(clean_dir / "rows.parquet", columns=["row_key", "township"])
    table = returned_by_township(corrections, decisions, rows)
    return [
        {k: (int(v) if k != "township" else str(v)) for k, v in r.items()} for r in table.to_dict("records")
    ]
