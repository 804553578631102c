"""Writing township returns the way cadres make them: workbooks with a merged title, CSVs saved from Excel.

A workbook sheet has the title “大英县XX镇农村“三留守”人员摸排登记表” merged across the columns, a
“填报单位：XX镇人民政府 … 填报日期：2018年1月X日” line, sometimes a blank line, the header, then the rows of
:func:`layout.layout`. A CSV (GBK, as a Chinese Excel saves it; UTF-8 for the large benchmark county) has the
same lines as text. Workbooks are written with xlsxwriter in ``constant_memory`` mode: row by row, fast.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import xlsxwriter

from liushou_core.register import CATEGORIES
from liushou_core.sample import geography
from liushou_core.sample.cells import filled_on_text, render_people
from liushou_core.sample.layout import SKIP_RULES
from liushou_core.sample.people import FACT_FIELDS
from liushou_core.sample.styles import EXCEL_DATE_FORMATS, HEADER_GROUPS, ReturnStyle
from liushou_core.values import divisions

_CN_NUMBERS = "一二三"
_NOTE_LINE = (
    "说明：人员类别填写留守儿童、留守妇女或留守老人；公民身份号码按户口簿填写，该列请设置为文本格式。"
)


def columns(style: ReturnStyle) -> list[str]:
    """The columns of a return: 序号, then the template fields the township collects."""
    return ["serial", *style.columns]


def header_texts(style: ReturnStyle) -> list[str]:
    return [style.serial_header, *(style.headers[f] for f in style.columns)]


def header_groups(style: ReturnStyle) -> list[tuple[str, int, int]]:
    """(label, first column, last column) of the groups of a two-row header; none for a one-row header."""
    if not style.two_row_header:
        return []
    cols = columns(style)
    out = []
    for label, fields in HEADER_GROUPS:
        at = [cols.index(f) for f in fields if f in cols]
        if at and at == list(range(at[0], at[0] + len(at))):  # the group's columns side by side
            out.append((label, at[0], at[-1]))
    return out


def grouped_fields(style: ReturnStyle) -> set[str]:
    cols = columns(style)
    return {cols[c] for _, first, last in header_groups(style) for c in range(first, last + 1)}


#: The plan's columns a return's cells are made from (taking only these keeps a million rows cheap).
_RENDERED = [
    "township_code", "village_code", "name", "sex", "id_number", "declared", "group", "birth_date",
    *FACT_FIELDS[3:], "township_form", "village_form", "name_form", "sex_form", "id_form", "birth_form",
    "vu_field", "vu_value", "date_bad", "phone_bad", "guardian_id_bad",
]  # fmt: skip


def render_file(
    rows: pd.DataFrame, plan: pd.DataFrame, style: ReturnStyle, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells of one return: (text, typed, division_alias), positional on ``rows``.

    ``text`` (rows × columns) holds what a CSV holds (``None`` for an empty cell); ``typed`` the number and
    date values of a workbook's typed cells (``None`` where the text is written); ``division_alias`` says, for
    each person row in order, whether its township or village is written other than by its official name.
    """
    cols = columns(style)
    n = len(rows)
    text = np.full((n, len(cols)), None, dtype=object)
    typed = np.full((n, len(cols)), None, dtype=object)
    kind = rows["kind"].to_numpy()
    person = kind == "person"
    people = plan.loc[rows["person"].to_numpy()[person], _RENDERED].reset_index(drop=True)
    people["serial"] = rows["serial"].to_numpy()[person]
    t, ty = render_people(people, style, rng)
    for j, c in enumerate(cols):
        text[person, j] = t[c]
        if c in ty:
            typed[person, j] = ty[c]
    alias = _division_alias(people, t["township"], t["village"])

    name_col = cols.index("name")
    text[kind == "header"] = np.array(header_texts(style), dtype=object)
    lower = np.array([style.headers[f] if f in grouped_fields(style) else None for f in cols], dtype=object)
    text[kind == "subheader"] = lower
    count = rows["count"].to_numpy()
    for k, word, fmt in (("subtotal", "小计", "{}人"), ("total", "合计", "共{}人")):
        for i in np.flatnonzero(kind == k):  # a few rows per return
            text[i, 0], text[i, name_col] = word, fmt.format(int(count[i]))
    for i in np.flatnonzero(kind == "section"):
        r = rows.iloc[i]
        label = style.spell["category_declared"][CATEGORIES[int(r["cat_order"])]]
        text[i, 0] = f"{_CN_NUMBERS[int(r['section_no'])]}、{label}（{int(r['count'])}人）"
    serial = rows["serial"].to_numpy(dtype=object, na_value=None)
    pre = kind == "prenumbered"
    text[pre, 0] = np.array([str(v) for v in serial[pre]], dtype=object)
    typed[pre, 0] = serial[pre]
    footer = (
        f"填表人：{style.filler}　　审核人：{style.reviewer}　　填报日期：{filled_on_text(style.filled_on)}"
    )
    line = rows["footer_line"].fillna(0).to_numpy() if "footer_line" in rows else np.zeros(n)
    text[(kind == "footer") & (line == 0), 0] = footer
    text[(kind == "footer") & (line == 1), 0] = _NOTE_LINE
    return text, typed, alias


def _division_alias(people: pd.DataFrame, township: np.ndarray, village: np.ndarray) -> np.ndarray:
    """Resolve the names as written (divisions' rules), check they resolve as the plan says, and say where a
    resolved name is not the official one (a ``division_alias``). Resolved once per distinct spelling."""
    q = pd.DataFrame(
        {
            "township_code": people["township_code"].to_numpy(),
            "village_code": people["village_code"].to_numpy(),
            "tform": people["township_form"].to_numpy(),
            "vform": people["village_form"].to_numpy(),
            "township": pd.Series(township, dtype="string"),
            "village": pd.Series(village, dtype="string"),
        }
    )
    u = q.drop_duplicates(ignore_index=True)
    tr = divisions.resolve_townships(u["township"])
    vr = divisions.resolve_villages(tr["township_code"], u["village"])
    tm, vm = tr["township_match"], vr["village_match"]
    t_ok = tm.eq(divisions.RESOLVED) & tr["township_code"].eq(u["township_code"])
    v_ok = vm.eq(divisions.RESOLVED) & vr["village_code"].eq(u["village_code"])
    expect_t = np.select(
        [u["tform"].eq("ok"), u["tform"].eq("missing")],
        [t_ok, tm.eq(divisions.MISSING)],
        tm.eq(divisions.UNKNOWN),
    )
    expect_v = np.select(
        [u["tform"].ne("ok"), u["vform"].eq("ok"), u["vform"].eq("missing"), u["vform"].eq("unknown")],
        [
            vm.isin([divisions.UNKNOWN, divisions.MISSING]),
            v_ok,
            vm.eq(divisions.MISSING),
            vm.eq(divisions.UNKNOWN),
        ],
        vm.eq(divisions.AMBIGUOUS),
    )
    bad = ~(expect_t.astype(bool) & expect_v.astype(bool))
    if bad.any():
        raise RuntimeError(f"sample names do not resolve as planned:\n{u[bad].head()}")
    vnames = geography.load_divisions().set_index("village_code")["village"]
    tnames = geography.townships().set_index("township_code")["township"]
    t_alias = tm.eq(divisions.RESOLVED) & u["township"].ne(tr["township_code"].map(tnames))
    v_alias = vm.eq(divisions.RESOLVED) & u["village"].ne(vr["village_code"].map(vnames))
    u["alias"] = (t_alias.fillna(False) | v_alias.fillna(False)).astype(bool)
    keys = list(q.columns)
    return q.merge(u, on=keys, how="left", validate="m:1")["alias"].to_numpy(dtype=bool)


def key_rows(rows: pd.DataFrame, plan: pd.DataFrame, alias: np.ndarray, style: ReturnStyle) -> pd.DataFrame:
    """The answer-key rows of one return."""
    kind = rows["kind"].to_numpy()
    person = kind == "person"
    p = plan.loc[
        rows["person"].to_numpy()[person], ["fate", "rule", "expected_category", "id_number", "warnings"]
    ]
    fate = np.full(len(rows), "skipped", dtype=object)
    rule = rows["kind"].map(SKIP_RULES).to_numpy(dtype=object)
    category = np.full(len(rows), "", dtype=object)
    idn = np.full(len(rows), "", dtype=object)
    mistakes = np.full(len(rows), "", dtype=object)
    fate[person] = p["fate"].to_numpy()
    rule[person] = p["rule"].to_numpy()
    category[person] = p["expected_category"].to_numpy()
    idn[person] = p["id_number"].to_numpy()
    w = p["warnings"].to_numpy(dtype=object)
    with_alias = np.where(w == "", "division_alias", w + ";division_alias")
    mistakes[person] = np.where(alias, with_alias, w)
    return pd.DataFrame(
        {
            "source_file": rows["file"].to_numpy(),
            "source_sheet": "" if style.fmt == "csv" else rows["sheet"].to_numpy(),
            "source_row": rows["source_row"].to_numpy(dtype=np.int64),
            "fate": fate,
            "rule": rule,
            "category": category,
            "id_number": idn,
            "mistakes": mistakes,
        }
    )


# ----- writers --------------------------------------------------------------------------------------------


def _title(style: ReturnStyle, sheet: str | None) -> str:
    place = style.township + (sheet or "")
    return f"大英县{place}农村“三留守”人员摸排登记表"


def _unit(style: ReturnStyle, sheet: str | None) -> tuple[str, str]:
    unit = f"{style.township}{sheet}" if sheet else f"{style.township}人民政府"
    return f"填报单位：{unit}（盖章）", f"填报日期：{filled_on_text(style.filled_on)}"


def write_workbook(
    path: Path, rows: pd.DataFrame, text: np.ndarray, typed: np.ndarray, style: ReturnStyle
) -> None:
    """One workbook: each sheet with its merged title, unit line, header and rows; empty sheets after.

    Written row by row in xlsxwriter's ``constant_memory`` mode, except where the township is merged down
    over blocks of people (a merge reaches into rows not yet written).
    """
    wb = xlsxwriter.Workbook(
        str(path),
        {"constant_memory": not style.merge_township, "strings_to_numbers": False, "strings_to_urls": False},
    )
    wb.set_properties({"created": dt.datetime(style.filled_on.year, 1, 1), "author": style.filler})
    f_title = wb.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter"})
    f_head = wb.add_format(
        {"bold": True, "border": 1, "align": "center", "valign": "vcenter", "text_wrap": True}
    )
    f_date = wb.add_format({"num_format": EXCEL_DATE_FORMATS[style.excel_date_format]})
    f_merged = wb.add_format({"valign": "vcenter"})
    cols = header_texts(style)
    ncol = len(cols)
    groups = header_groups(style)
    grouped = {c for _, first, last in groups for c in range(first, last + 1)}
    values = np.where(pd.isna(typed), text, typed)
    kind = rows["kind"].to_numpy()
    per_village = style.per_village_sheets
    sheets = rows.drop_duplicates("sheet_index")[["sheet_index", "sheet"]].sort_values("sheet_index")
    for sheet_index, sheet in sheets.itertuples(index=False):  # one sheet, or one per village
        ws = wb.add_worksheet(str(sheet))
        ws.merge_range(0, 0, 0, ncol - 1, _title(style, str(sheet) if per_village else None), f_title)
        unit, date = _unit(style, str(sheet) if per_village else None)
        ws.write_string(1, 0, unit)
        ws.write_string(1, max(ncol - 5, 2), date)
        top = 3 + int(style.blank_after_title) - 1  # 0-based header row
        ws.set_row(top, 30)
        for c, h in enumerate(cols):
            if c not in grouped:
                ws.write_string(top, c, h, f_head)
        for label, first, last in groups:
            if last > first:
                ws.merge_range(top, first, top, last, label, f_head)
            else:
                ws.write_string(top, first, label, f_head)
        _set_widths(ws, style)
        m = (rows["sheet_index"] == sheet_index).to_numpy()
        row_numbers = rows["source_row"].to_numpy()[m] - 1
        sub_row = top + 1 if kind[m][0] == "subheader" else -1
        for r, row in zip(row_numbers, values[m], strict=True):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(r, c, v, f_head if r == sub_row else None)
                elif isinstance(v, dt.datetime):
                    ws.write_datetime(r, c, v, f_date)
                else:
                    ws.write_number(r, c, v)
        if style.merge_township:
            _merge_township(ws, row_numbers, kind[m], values[m], columns(style).index("township"), f_merged)
    for i in range(style.empty_sheets):
        wb.add_worksheet(f"Sheet{i + 2}")
    wb.close()


def _merge_township(
    ws: object, row_numbers: np.ndarray, kind: np.ndarray, values: np.ndarray, col: int, fmt: object
) -> None:
    """Merge the township cell down over each run of consecutive people who have the same township text
    (a blank, 小计 or header row ends a run; a row whose township is missing or misspelt is its own)."""
    t = values[:, col]
    same = (
        (kind[1:] == "person")
        & (kind[:-1] == "person")
        & (t[1:] == t[:-1])
        & (row_numbers[1:] == row_numbers[:-1] + 1)
    )
    same &= np.array([a is not None for a in t[1:]], dtype=bool)
    start = 0
    for i in range(1, len(t) + 1):  # one pass over the sheet's rows
        if i < len(t) and same[i - 1]:
            continue
        if i - start >= 2:
            ws.merge_range(int(row_numbers[start]), col, int(row_numbers[i - 1]), col, t[start], fmt)  # type: ignore[attr-defined]
        start = i


def _set_widths(ws: object, style: ReturnStyle) -> None:
    widths = {"id_number": 21, "guardian_id_number": 21, "name": 9, "village": 11, "phone": 13, "guardian_phone": 13,
              "household_economy": 16, "notes": 16, "birth_date": 12, "agreement_date": 12, "last_visit_date": 12}  # fmt: skip
    for c, f in enumerate(columns(style)):
        ws.set_column(c, c, widths.get(f, 8 if f != "serial" else 5))  # type: ignore[attr-defined]


def write_csv(path: Path, text: np.ndarray, style: ReturnStyle, encoding: str) -> None:
    """One CSV: title and unit lines (if the township keeps them), header, rows; CRLF and no quotes, as Excel
    saves it (pyarrow writes the rows; the csv module takes over if a value ever needs quoting)."""
    cols = header_texts(style)
    ncol = len(cols)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    if style.title_lines:
        w.writerow([_title(style, None)] + [""] * (ncol - 1))
        unit, date = _unit(style, None)
        line = [""] * ncol
        line[0], line[max(ncol - 5, 2)] = unit, date
        w.writerow(line)
        if style.blank_after_title:
            w.writerow([""] * ncol)
    w.writerow(cols)
    head = buf.getvalue().encode(encoding)
    table = pa.table({str(j): pa.array(text[:, j], type=pa.string()) for j in range(ncol)})
    body = io.BytesIO()
    try:
        pacsv.write_csv(
            table, body, pacsv.WriteOptions(include_header=False, quoting_style="none", eol=b"\r\n")
        )
        rows = (
            body.getvalue()
            if encoding.replace("-", "").lower() == "utf8"
            else body.getvalue().decode("utf-8").encode(encoding)
        )
    except pa.ArrowInvalid:  # a comma or a quote in some value: let the csv module quote it
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(np.where(pd.isna(text), "", text).tolist())
        rows = out.getvalue().encode(encoding)
    path.write_bytes(head + rows)
