"""The per-township 问题数据清单: a form the cadres fill in and send back.

Each township gets one workbook with three sheets:

- 填写说明: what the list is, how to fill it, and what to do for each kind of problem it holds;
- 问题清单: every error and warning on the township's rows, sorted by village and group — who (村、组、姓名、
  身份证号), the problem in Chinese (问题、字段、原值、说明), then the yellow 更正值 column to fill, with a
  dropdown of the allowed values where the field is a choice; then where the row is in the return (行号、
  工作表、文件) and the hidden row key that matches the answer back;
- 重复登记: every row of each duplicate group, with a 保留/删除 dropdown in 查重决定.

The sheets are protected except the cells to fill (no password) and print a page per village with the
header on every page (:class:`~liushou_core.ledger.FormLayout`). Filled-in workbooks come back as
``--decisions`` (:mod:`liushou_core.cleaning.corrections`), which finds the columns by their headers. The
township made these rows, so the list shows them as typed, IDs included: it goes back to the township, not
to other departments.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from liushou_core.cleaning.corrections import DECISION_HEADERS, WITHDRAW
from liushou_core.cleaning.dedupe import DROP, KEEP
from liushou_core.cleaning.normalise import VOCABULARY_OF
from liushou_core.cleaning.result import Register
from liushou_core.issues import RULES
from liushou_core.ledger import FormLayout, safe_sheet_name, write_ledger
from liushou_core.ledgerform import OPTIONS_SHEET, choice_values, long_lists, options_sheet
from liushou_core.paths import safe_name
from liushou_core.values.codebook import Codebook, load_codebook
from liushou_core.values.divisions import load_divisions, townships

#: Short, for a narrow column: 待核实 rows are not counted until answered; 请更正 rows are counted already.
SEVERITY_LABELS = {"error": "待核实", "warning": "请更正", "info": "说明"}
PROBLEMS, DUPLICATES, HOW_TO = "问题清单", "重复登记", "填写说明"
KEY, FIELD, VALUE = DECISION_HEADERS["row_key"], DECISION_HEADERS["field"], DECISION_HEADERS["value"]
ANSWER, DECISION, ACTION = (
    DECISION_HEADERS["correction"],
    DECISION_HEADERS["decision"],
    DECISION_HEADERS["action"],
)
WHERE = ["行号", "工作表", "文件"]
PROBLEM_COLUMNS = ["村（社区）", "组", "姓名", "公民身份号码", "严重程度", "问题", FIELD, VALUE, "说明", ANSWER,
                   ACTION, *WHERE, KEY]  # fmt: skip
DUPLICATE_COLUMNS = [
    "公民身份号码",
    "姓名",
    "镇（乡）",
    "村（社区）",
    "组",
    "当前处理",
    DECISION,
    *WHERE,
    KEY,
]

GENERAL = [
    ("这是什么", "本表列出贵镇（乡）摸排登记表中需要核实或更正的行，按村（社区）、组排列，每个村（社区）另起一页打印。"),
    ("怎么填", "只需填写黄色的列：“问题清单”的“更正值”和“处理决定”，“重复登记”的“查重决定”。更正值填写该行“字段”的"
               "正确内容（有下拉列表的可直接选择），不要填说明文字；无需更正的留空。其他单元格已锁定，以免误改。"),
    ("删除人员", f"核实后此人不应计入名册的（不符合认定条件、查无此人、已去世或已迁出等），在该行“处理决定”选择“{WITHDRAW}”："
                 "下次汇总时该行不计入名册，记为“乡镇核实删除”。同一人有几行问题的，选其中一行即可；其余情况留空。"
                 "只能删除本表列出的行。"),
    ("严重程度", "“待核实”：此人暂不计入核实名册，更正后下次汇总时计入；“请更正”：此人已计入名册，但登记表有误，请更正。"),
    ("如何交回", "填好后直接保存（Excel、WPS 或 LibreOffice 均可，.xlsx 或 .xls 均可），把文件交回县民政局。"
                 "下次汇总时自动应用，每一项都记录是否应用成功及原因。"),
    ("注意", "请勿改动“字段”“原值”列和隐藏的“行标识”列，否则无法对应到报表中的行。不需处理的行可以删除。"
             "同一份清单交回两次没有关系；两份清单对同一项填了不同的更正值或查重决定时，该项不应用，请核对后只交回一份。"),
]  # fmt: skip
_ID = "按户口簿核对，在“更正值”填写正确的18位身份证号（该列为文本格式，不会被改坏）。"
_PLACE = "在“更正值”填写官方名称（村要写明“村”或“社区”）。"
_FILE = "整个文件或工作表无法读取，请按模板改正登记表后重新报送（本表无需填写）。"
#: What to do for each kind of problem the list can hold (rule code → instruction).
HOW_TO_FIX = {
    "id_missing": "按户口簿在“更正值”填写18位身份证号。",
    "id_excel_mangled": _ID + "报送登记表前请把身份证号列设为文本格式。",
    "id_format": _ID, "id_checksum": _ID, "id_birth_date": _ID, "id_address": _ID,
    "id_upgraded_15": "在“更正值”填写18位身份证号（说明中有按国标升级后的号码，核对无误可照填）。",
    "name_missing": "在“更正值”填写姓名。",
    "township_missing": _PLACE, "township_unknown": _PLACE,
    "village_missing": _PLACE, "village_unknown": _PLACE, "village_ambiguous": _PLACE,
    "facts_missing": "“字段”是认定所缺的情况（如外出时长、父母状况），在“更正值”填写（或从下拉列表选择）该项内容。",
    "not_qualified": "此人按登记的情况不符合所申报类别，暂不计入核实名册。请核实后三选一：① 申报类别填错的，在“更正值”"
                     "选择正确的人员类别；② 年龄、外出情况等其他内容填错的，在下次报送的登记表中改正该行，本表留空；"
                     f"③ 核实确不属于“三留守”人员的，在“处理决定”选择“{WITHDRAW}”，此人不计入名册（下次报送时也请从登记表删除该行）。",
    "birth_date_mismatch": "在“更正值”填写正确的出生日期（如 2008-05-03）；以身份证号为准的可照填说明中的日期。",
    "birth_date_invalid": "在“更正值”填写出生日期，格式如 2008-05-03。",
    "sex_mismatch": "在“更正值”选择男或女。", "sex_invalid": "在“更正值”选择男或女。",
    "category_mismatch": "在“更正值”选择正确的人员类别（按认定条件的类别见说明）。",
    "category_missing": "在“更正值”选择人员类别。",
    "value_unknown": "在“更正值”从下拉列表选择规定的选项。",
    "date_invalid": "在“更正值”填写日期，格式如 2018-05-03。",
    "phone_invalid": "在“更正值”填写正确的手机或固定电话号码。",
    "guardian_id_invalid": "在“更正值”填写委托监护人正确的18位身份证号。",
    "cells_outside_header": "登记表表头以外有内容，请在下次报送的登记表中整理（本表无需填写）。",
    "file_unreadable": _FILE, "header_not_found": _FILE, "required_column_missing": _FILE,
}  # fmt: skip
DUPLICATE_HOW_TO = (
    f"同一身份证号出现多次时只计一次（默认保留第一条没有错误的记录）。如需指定，在要保留的一行的“查重决定”选择“{KEEP}”，"
    f"或在不要的行选择“{DROP}”；每人只能保留一条。"
)
ANSWER_PROMPT = "填写该字段的正确内容；无需更正请留空"
ACTION_PROMPT = f"此人不应计入名册时选择“{WITHDRAW}”；否则留空"
DECISION_PROMPT = f"选择“{KEEP}”或“{DROP}”"


def problem_frames(reg: Register, codebook: Codebook | None = None) -> dict[str, dict[str, pd.DataFrame]]:
    """Per township: the 问题清单 and 重复登记 sheets (Chinese headers, rows in the order printed)."""
    cb = codebook or load_codebook()
    rows = reg.rows[["row_key", "township", "village", "fate"]].rename(
        columns={"village": "official_village"}
    )
    raw = reg.raw.reindex(columns=["row_key", "village", "group", "name", "id_number"])
    ctx = raw.rename(columns={"village": "raw_village", "group": "组", "name": "姓名", "id_number": "raw_id"})
    issues = reg.issues[reg.issues["severity"].isin(["error", "warning"])]
    p = issues.merge(rows, on="row_key", how="left").merge(ctx, on="row_key", how="left")
    p["township"] = p["township"].fillna(p["source_file"])
    field = p["field"].astype("string")
    problems = p.assign(
        **{
            "村（社区）": p["official_village"].fillna(p["raw_village"]),
            "公民身份号码": p["raw_id"],
            "严重程度": p["severity"].map(SEVERITY_LABELS),
            "问题": p["rule"].map(lambda r: RULES[r].title),
            FIELD: field.map(lambda f: cb.headers.get(f, f), na_action="ignore"),
            VALUE: p["value"],
            "说明": p["message"],
            ANSWER: "",
            ACTION: "",
            "行号": p["source_row"],
            "工作表": p["source_sheet"],
            "文件": p["source_file"],
            KEY: p["row_key"],
        }
    )
    problems = _in_print_order(problems, "村（社区）")

    dup_ids = reg.issues.loc[reg.issues["rule"].eq("duplicate"), "value"].dropna().unique()
    groups = pd.concat([reg.people[["row_key", "id_number"]], _dup_rows(reg)], ignore_index=True)
    groups = groups[groups["id_number"].isin(dup_ids)].drop_duplicates("row_key")
    groups = groups.merge(rows, on="row_key").merge(ctx, on="row_key", how="left")
    groups = groups.merge(reg.rows[["row_key", "source_file", "source_sheet", "source_row"]], on="row_key")
    groups = groups.sort_values(["id_number", "source_file", "source_row"], kind="stable")
    dups = groups.assign(
        **{
            "公民身份号码": groups["id_number"],
            "镇（乡）": groups["township"],
            "村（社区）": groups["official_village"].fillna(groups["raw_village"]),
            "当前处理": groups["fate"].map(
                {"verified": "保留（计入名册）", "duplicate": "合并（不重复计数）", "pending": "待核实"}
            ),
            DECISION: "",
            "行号": groups["source_row"],
            "工作表": groups["source_sheet"],
            "文件": groups["source_file"],
            KEY: groups["row_key"],
        }
    )

    out: dict[str, dict[str, pd.DataFrame]] = {}
    townships = sorted(set(problems["township"].dropna()) | set(dups["镇（乡）"].dropna()))
    for t in townships:
        # A duplicate group spanning two townships is listed in both, so each can decide.
        group_ids = set(dups.loc[dups["镇（乡）"].eq(t), "公民身份号码"])
        out[t] = {
            PROBLEMS: problems.loc[problems["township"].eq(t), PROBLEM_COLUMNS].reset_index(drop=True),
            DUPLICATES: dups.loc[dups["公民身份号码"].isin(group_ids), DUPLICATE_COLUMNS].reset_index(
                drop=True
            ),
        }
    return out


def _in_print_order(df: pd.DataFrame, village: str) -> pd.DataFrame:
    """Sorted by village, then group in its natural order (2组 before 10组), then where the row is."""
    group = df["组"].astype("string").fillna("")
    number = pd.to_numeric(group.str.extract(r"(\d+)", expand=False), errors="coerce")
    keyed = df.assign(
        _village=df[village].astype("string").fillna("（未填）"), _gnum=number, _group=group, _row=df["行号"]
    )
    keyed = keyed.sort_values(
        ["_village", "_gnum", "_group", "文件", "工作表", "_row"], kind="stable", na_position="last"
    )
    return keyed.drop(columns=["_village", "_gnum", "_group", "_row"])


def _dup_rows(reg: Register) -> pd.DataFrame:
    d = reg.issues.loc[reg.issues["rule"].eq("duplicate"), ["row_key", "value"]]
    pend = reg.pending[["row_key", "id_number"]].dropna()
    return pd.concat([d.rename(columns={"value": "id_number"}), pend], ignore_index=True)


def choices_for(field_label: object, codebook: Codebook, township: str = "") -> list[str]:
    """The allowed values of a field named by its Chinese header (empty when the answer is free text): the
    codebook's values, the townships, or the villages of ``township`` (short names: 栏江村, 蓬莱社区)."""
    name = codebook.field_for_header(field_label) if isinstance(field_label, str) else None
    if name == "township":
        return townships()["township"].tolist()
    if name == "village":
        units = load_divisions()
        names = units.loc[units["township"].eq(township), "village"]
        return names.str.replace(r"(委会|居委会)$", "", regex=True).tolist()
    if name == "sex":
        return codebook.canonical_values("sex")
    if name in VOCABULARY_OF:
        return codebook.canonical_values(VOCABULARY_OF[name])
    return []


def instructions(sheets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The 填写说明 sheet: how to fill the list, then what to do for each kind of problem it holds."""
    titles = {RULES[code].title: code for code in HOW_TO_FIX}
    appearing = set(sheets[PROBLEMS]["问题"].dropna())
    present = [t for t in titles if t in appearing]  # in the rules' order: identity, places, facts, warnings
    by_instruction: dict[str, list[str]] = {}  # problems with the same instruction share a row
    for t in present:
        by_instruction.setdefault(HOW_TO_FIX[titles[t]], []).append(t)
    rows = list(GENERAL)
    rows += [("、".join(ts), how) for how, ts in by_instruction.items()]
    if len(sheets[DUPLICATES]):
        rows.append(("重复登记", DUPLICATE_HOW_TO))
    return pd.DataFrame(rows, columns=["项目", "说明"])


def _options(choices: list[list[str]], fields: pd.Series) -> tuple[pd.DataFrame, dict[tuple[str, ...], str]]:
    """The hidden 选项 sheet for the dropdowns too long to write inline (蓬莱镇's villages), each list headed
    by the field it is for, and where each list is."""
    names: dict[str, list[str]] = {}
    # A row's options depend only on its field: one look per distinct field, not per row.
    first = ~fields.duplicated().to_numpy()
    choices = [c for c, keep in zip(choices, first, strict=True) if keep]
    fields = fields[first]
    long = set(long_lists(choices))
    for values, name in zip(choices, fields, strict=True):
        options = choice_values(values)
        if tuple(options) in long and options not in names.values():
            names[f"{name}（{len(names) + 1}）" if str(name) in names else str(name)] = options
    return options_sheet(names)


def _layouts(
    township: str, sheets: dict[str, pd.DataFrame], codebook: Codebook
) -> tuple[dict[str, FormLayout], dict[str, pd.DataFrame]]:
    """The form layout of each sheet, and the hidden 选项 sheet when a dropdown is too long to be inline."""
    # Landscape A4 at a readable scale: long texts wrap in narrow columns; the village column fits its names.
    where = {"行号": 6, "工作表": 8, "文件": 12}
    problem_widths = {"组": 5, "姓名": 8, "公民身份号码": 20, "严重程度": 8, "问题": 12, FIELD: 10, VALUE: 14,
                      "说明": 30, ANSWER: 20, ACTION: 10, **where}  # fmt: skip
    choices = _choices_per_row(sheets[PROBLEMS][FIELD], codebook, township)
    options, ranges = _options(choices, sheets[PROBLEMS][FIELD])
    extra = {OPTIONS_SHEET: options} if len(options.columns) else {}
    layouts = {
        HOW_TO: FormLayout(
            widths={"项目": 24, "说明": 80}, wrap=["项目", "说明"], page_header=f"{township} 问题数据清单"
        ),
        PROBLEMS: FormLayout(
            answers=[ANSWER, ACTION],
            choices={ACTION: [WITHDRAW]},
            row_choices={ANSWER: choices},
            strict=[ACTION],
            widths=problem_widths,
            wrap=["说明", VALUE, "问题", FIELD, "工作表", "文件"],
            hidden=[KEY],
            page_break_by="村（社区）",
            page_header=f"{township} 问题数据清单",
            freeze_columns=3,
            prompt=ANSWER_PROMPT,
            prompts={ACTION: ACTION_PROMPT},
            option_ranges=ranges,
        ),
        DUPLICATES: FormLayout(
            answers=[DECISION],
            choices={DECISION: [KEEP, DROP]},
            strict=[DECISION],
            widths={"公民身份号码": 20, "当前处理": 18, DECISION: 14, **where, "文件": 24},
            wrap=["工作表", "文件"],
            hidden=[KEY],
            page_header=f"{township} 重复登记",
            freeze_columns=2,
            prompt=DECISION_PROMPT,
        ),
        OPTIONS_SHEET: FormLayout(hide_sheet=True, widths=dict.fromkeys(options.columns, 16)),
    }
    return layouts, extra


def _choices_per_row(fields: pd.Series, codebook: Codebook, township: str) -> list[list[str]]:
    """Each row's dropdown, looked up once per distinct field (a township's list names a few fields over and
    over; looking each row up again cost a fifth of ``liushou clean`` on a million people)."""
    codes, names = pd.factorize(fields)
    per_field = [choices_for(name, codebook, township) for name in names]
    unnamed = choices_for(None, codebook, township)
    return [per_field[c] if c >= 0 else unnamed for c in codes.tolist()]


def write_problem_lists(reg: Register, folder: Path) -> list[Path]:
    """Write ``<township>_问题数据清单.xlsx`` for every township with problems; return the paths."""
    cb = load_codebook()
    written = []
    ref = reg.reference_date.isoformat()
    for township, sheets in problem_frames(reg, cb).items():
        path = folder / f"{safe_name(township)}_问题数据清单.xlsx"
        n_problems, n_dups = len(sheets[PROBLEMS]), len(sheets[DUPLICATES])
        forms, extra = _layouts(township, sheets, cb)
        write_ledger(
            path,
            {HOW_TO: instructions(sheets), **{safe_sheet_name(k): v for k, v in sheets.items()}, **extra},
            titles={
                HOW_TO: f"{township} 问题数据清单 填写说明（基准日 {ref}）",
                PROBLEMS: f"{township} 问题数据清单（基准日 {ref}，共 {n_problems} 条）",
                DUPLICATES: f"{township} 重复登记（共 {n_dups} 条）",
            },
            text_columns=(KEY, "公民身份号码", VALUE, ANSWER, ACTION, FIELD, "组"),
            total_row=False,
            row_unit=None,
            forms=forms,
        )
        written.append(path)
    return written
