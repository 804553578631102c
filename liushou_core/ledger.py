"""The shared writer of formatted Excel ledgers (花名册、台账、清单) that people at the bureau open.

Every ledger the workbench writes goes through :func:`write_ledger`, so they all look and behave alike:
Chinese headers (:data:`FIELD_LABELS`), an optional title row, a frozen header row, an autofilter, column
widths that fit Chinese text, money as ``#,##0``, dates as ``yyyy-mm-dd``, ID and phone numbers as text (so
Excel never turns them into ``5.10923E+17``), optional subtotal rows per group (e.g. per village) and a
total row, one sheet per list with a name Excel accepts.

Safety: a cell text that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) — in a data cell, a header, a title, a 小计 label or a footer — is written as a
string with Excel's quote prefix, never as a formula; the only
formulas in a ledger are the writer's own ``SUBTOTAL`` rows (with their values cached). The file is written
to a temporary file in the same folder and moved into place with ``os.replace`` (:mod:`.atomic`), so a
reader never sees a half-written ledger and a failed write leaves the previous file intact.

Forms: a sheet given a :class:`FormLayout` is a form to fill in and send back (the 问题数据清单). Its
answer columns are highlighted, wide and the only unlocked cells of a protected sheet (no password: the
protection guards against slips, not people); choices are dropdowns (data validation); long texts wrap with
row heights to match; the sheet prints with a page break per group (e.g. per village), the header row on
every page, 第 &P 页 / 共 &N 页 in the footer and a scale that fits the width (Excel ignores manual page
breaks under "fit to page").
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from liushou_core.atomic import atomic_path

#: Headers of derived columns (those not in the return template); the template's own headers come from the
#: codebook (``params/codebook.yaml``).
DERIVED_LABELS: dict[str, str] = {
    "row_key": "行标识",
    "age": "年龄（周岁）",
    "category": "人员类别（认定）",
    "township_code": "镇（乡）代码",
    "village_code": "村（社区）代码",
    "source_file": "来源文件",
    "source_sheet": "来源工作表",
    "source_row": "来源行号",
    "tier": "补贴档次",
    "month": "发放月份",
    "amount": "金额（元）",
    "annual_amount": "资助标准（元/年）",
    "reference": "政策依据",
    "people": "人数",
    "term": "学期",
    "stage": "学段",
    "status": "状态",
    "eligible": "是否符合",
    "basis": "资助依据",
    "reason": "说明",
    "problem": "问题代码",
    "problem_label": "问题",
    "severity": "严重程度",
    "detail": "详情",
    "risk_level": "风险等级",
    "risk_reasons": "风险因素",
    "interval_days": "走访周期（天）",
    "due_date": "应走访日期",
    "days_overdue": "逾期天数",
    "visit_status": "走访状态",
    "program": "帮扶项目代码",
    "program_label": "帮扶项目",
    "recorded": "登记享受情况",
    "action": "建议",
    "due": "应发（元）",
    "paid": "实发（元）",
    "arrears": "补发（元）",
    "arrears_month": "补发月份",
    "start_month": "开始发放月份",
    "due_total": "全年应发（元）",
    "paid_total": "全年实发（元）",
    "outstanding": "应发未发（元）",
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


@lru_cache(maxsize=1)
def _codebook_headers() -> dict[str, str]:
    from liushou_core.errors import LiushouError
    from liushou_core.values.codebook import load_codebook

    try:
        return dict(load_codebook().headers)
    except LiushouError:  # a broken codebook must not stop a ledger from being written
        return {}


class _FieldLabels(Mapping[str, str]):
    """Field name → Chinese header: the codebook's headers, then the derived columns' labels."""

    def _table(self) -> dict[str, str]:
        return {**_codebook_headers(), **DERIVED_LABELS}

    def __getitem__(self, key: str) -> str:
        return self._table()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


#: Field name → Chinese header used by every ledger (loaded lazily from the codebook).
FIELD_LABELS: Mapping[str, str] = _FieldLabels()

#: Columns written as text whatever they look like (IDs and phone numbers lose digits as numbers).
DEFAULT_TEXT_COLUMNS = (
    "id_number",
    "guardian_id_number",
    "phone",
    "guardian_phone",
    "township_code",
    "village_code",
)


def label(field: str) -> str:
    """The Chinese header of a field, or the field name itself if it has none."""
    return FIELD_LABELS.get(field, field)


def safe_sheet_name(name: str, taken: Sequence[str] = ()) -> str:
    """A sheet name Excel accepts: no ``[]:*?/\\``, no leading/trailing apostrophe, ≤ 31 characters, unique
    (case-insensitively) among ``taken``."""
    base = _SHEET_BAD.sub("_", str(name)).strip("'").strip() or "Sheet"
    base = base[:31]
    lower = {t.lower() for t in taken}
    candidate, n = base, 2
    while candidate.lower() in lower:
        suffix = f"({n})"
        candidate = base[: 31 - len(suffix)] + suffix
        n += 1
    return candidate


def needs_quote(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula (or a DDE payload)."""
    return isinstance(text, str) and text.startswith(_FORMULA_START)


@dataclass(frozen=True)
class FormLayout:
    """How a sheet works as a form (see the module docstring); column names are the frame's."""

    answers: Sequence[str] = ()  # the columns to fill in: unlocked, highlighted
    choices: Mapping[str, Sequence[str]] = field(default_factory=dict)  # column → dropdown on every row
    row_choices: Mapping[str, Sequence[Sequence[str]]] = field(default_factory=dict)  # column → per row
    strict: Sequence[str] = ()  # columns whose dropdown refuses other values (else it only warns)
    widths: Mapping[str, float] = field(default_factory=dict)  # column → width in characters
    wrap: Sequence[str] = ()  # columns whose text wraps
    hidden: Sequence[str] = ()  # machine keys: kept (they match the answers back), not shown
    page_break_by: str | None = None  # a printed page per run of equal values (rows sorted by it)
    page_header: str = ""  # printed at the top left of every page
    freeze_columns: int = 0  # columns kept in view when scrolling right (who the row is about)
    prompt: str = ""  # the tip shown on an answer cell


#: Excel refuses a dropdown list longer than this (the comma-joined values).
MAX_CHOICES_LENGTH = 255
#: Printable width of landscape A4 with the form's margins, in pixels at 96 dpi.
_PRINT_WIDTH_PX = 1030


def _display_width(value: object) -> int:
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _per_sheet(option: Any, sheet: str) -> Any:
    if isinstance(option, Mapping):
        return option.get(sheet)
    return option


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
        title = {**base, "bold": True, "font_size": 14, "align": "center"}
        header = {
            **base,
            "bold": True,
            "bg_color": "#DDEBF7",
            "border": 1,
            "text_wrap": True,
            "align": "center",
        }
        sub_text = {**base, "border": 1, "bold": True, "bg_color": "#F2F2F2"}
        footer = {**base, "italic": True}
        self.title = wb.add_format(title)
        self.header = wb.add_format(header)
        self.text = wb.add_format({**base, "border": 1, "num_format": "@"})
        self.quoted = wb.add_format({**base, "border": 1, "num_format": "@", "quote_prefix": True})
        self.number = wb.add_format({**base, "border": 1})
        self.money = wb.add_format({**base, "border": 1, "num_format": "#,##0"})
        self.date = wb.add_format({**base, "border": 1, "num_format": "yyyy-mm-dd"})
        self.sub_text = wb.add_format(sub_text)
        self.sub_money = wb.add_format(
            {**base, "border": 1, "bold": True, "bg_color": "#F2F2F2", "num_format": "#,##0"}
        )
        self.total_text = wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#FCE4D6"})
        self.total_money = wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#FCE4D6",
                                          "num_format": "#,##0"})  # fmt: skip
        self.footer = wb.add_format(footer)
        # Titles, headers, 小计 labels and footers can carry names from data too: quoted like cells.
        quote = {"quote_prefix": True}
        self.title_q = wb.add_format({**title, **quote})
        self.header_q = wb.add_format({**header, **quote})
        self.sub_text_q = wb.add_format({**sub_text, **quote})
        self.footer_q = wb.add_format({**footer, **quote})
        # Forms: what to fill is yellow, unlocked and text (an ID typed there stays 18 digits).
        answer = {**base, "border": 1, "num_format": "@", "bg_color": "#FFF2CC", "locked": False}
        wrap = {**base, "border": 1, "num_format": "@", "text_wrap": True}
        self.answer = wb.add_format(answer)
        self.answer_q = wb.add_format({**answer, **quote})
        self.wrap = wb.add_format(wrap)
        self.wrap_q = wb.add_format({**wrap, **quote})
        self.answer_header = wb.add_format({**header, "bg_color": "#FFD966"})


def _write_cell(ws: Worksheet, row: int, col: int, value: object, kind: str, f: _Formats) -> None:
    if kind in ("answer", "wrap"):
        plain, quoted = (f.answer, f.answer_q) if kind == "answer" else (f.wrap, f.wrap_q)
        if _is_missing(value) or str(value) == "":
            ws.write_blank(row, col, None, plain)
        else:
            ws.write_string(row, col, str(value), quoted if needs_quote(str(value)) else plain)
        return
    if _is_missing(value):
        ws.write_blank(row, col, None, f.text if kind == "text" else f.number)
        return
    if kind == "date":
        stamp = value if isinstance(value, pd.Timestamp) else pd.Timestamp(str(value))
        ws.write_datetime(row, col, stamp.to_pydatetime(), f.date)
        return
    if kind in ("money", "number") and isinstance(value, int | float) and not isinstance(value, bool):
        ws.write_number(row, col, value, f.money if kind == "money" else f.number)
        return
    if isinstance(value, dt.date):
        ws.write_string(row, col, value.isoformat(), f.text)
        return
    if isinstance(value, bool):
        ws.write_string(row, col, "是" if value else "否", f.text)
        return
    text = str(value)
    ws.write_string(row, col, text, f.quoted if needs_quote(text) else f.text)


def _column_kinds(df: pd.DataFrame, money: set[str], dates: set[str], text: set[str]) -> list[str]:
    kinds = []
    for c in df.columns:
        if c in money:
            kinds.append("money")
        elif c in dates or (c not in text and pd.api.types.is_datetime64_any_dtype(df[c])):
            kinds.append("date")
        elif c in text:
            kinds.append("text")
        elif pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            kinds.append("number")
        else:
            kinds.append("text")
    return kinds


def _write_sheet(
    ws: Worksheet,
    df: pd.DataFrame,
    f: _Formats,
    *,
    title: str | None,
    subtotal_by: str | None,
    sum_columns: Sequence[str],
    kinds: list[str],
    headers: list[str],
    total_row: bool,
    footers: Sequence[str],
    row_unit: str | None,
    form: FormLayout | None = None,
) -> None:
    ncols = max(len(df.columns), 1)
    row = 0
    if title:
        title_format = f.title_q if needs_quote(title) else f.title
        if ncols > 1:
            ws.merge_range(0, 0, 0, ncols - 1, title, title_format)
        else:
            ws.write_string(0, 0, title, title_format)
        ws.set_row(0, 24)
        row = 1
    header_row = row
    for c, h in enumerate(headers):
        plain = f.answer_header if kinds[c] == "answer" else f.header
        ws.write_string(header_row, c, h, f.header_q if needs_quote(h) else plain)
    row += 1
    first_data = row

    sum_idx = [list(df.columns).index(c) for c in sum_columns if c in df.columns]
    label_col = 0
    blocks: list[tuple[str | None, pd.DataFrame]]
    if subtotal_by is not None and subtotal_by in df.columns:
        keys = df[subtotal_by].astype("string").fillna("（未填）")
        groups = list(dict.fromkeys(keys.tolist()))
        blocks = [(g, df[keys == g]) for g in groups]
    else:
        blocks = [(None, df)]

    values = df.to_numpy(dtype=object)
    positions = {idx: i for i, idx in enumerate(df.index)}
    for group, block in blocks:
        start = row
        for idx in block.index:
            rec = values[positions[idx]]
            for c, kind in enumerate(kinds):
                _write_cell(ws, row, c, rec[c], kind, f)
            row += 1
        if group is not None:
            count = f"（{len(block)}{row_unit}）" if row_unit else ""
            ws.write_string(
                row, label_col, f"{group} 小计{count}", f.sub_text_q if needs_quote(group) else f.sub_text
            )
            for c in range(1, ncols):
                if c not in sum_idx:
                    ws.write_blank(row, c, None, f.sub_text)
            for c in sum_idx:
                rng = f"{xl_rowcol_to_cell(start, c)}:{xl_rowcol_to_cell(row - 1, c)}"
                cached = pd.to_numeric(block.iloc[:, c], errors="coerce").sum()
                ws.write_formula(row, c, f"=SUBTOTAL(9,{rng})", f.sub_money, _num(cached))
            row += 1
    last_data = row - 1

    if total_row:
        ws.write_string(row, label_col, f"合计（{len(df)}{row_unit}）" if row_unit else "合计", f.total_text)
        for c in range(1, ncols):
            if c not in sum_idx:
                ws.write_blank(row, c, None, f.total_text)
        for c in sum_idx:
            cached = pd.to_numeric(df.iloc[:, c], errors="coerce").sum()
            if last_data >= first_data:
                rng = f"{xl_rowcol_to_cell(first_data, c)}:{xl_rowcol_to_cell(last_data, c)}"
                ws.write_formula(row, c, f"=SUBTOTAL(9,{rng})", f.total_money, _num(cached))
            else:
                ws.write_number(row, c, 0, f.total_money)
        row += 1

    for line in footers:
        row += 1
        ws.write_string(row, 0, line, f.footer_q if needs_quote(line) else f.footer)

    ws.freeze_panes(header_row + 1, form.freeze_columns if form else 0)
    # Printed ledgers (花名册 are signed on paper): landscape A4, one page wide, header on every page.
    ws.set_landscape()
    ws.set_paper(9)
    if form is None:
        ws.fit_to_pages(1, 0)
    ws.repeat_rows(header_row)
    ws.autofilter(header_row, 0, max(last_data, header_row), ncols - 1)
    widths: list[float] = []
    for c, col in enumerate(df.columns):
        sample = df[col].head(2000)
        fits = [_display_width(headers[c])]
        if kinds[c] == "date":
            fits.append(10)
        else:
            fits.extend(_display_width(v) for v in sample if not _is_missing(v))
        if c == label_col and (subtotal_by or total_row):
            fits.append(_display_width("合计（00000人）"))
        widths.append(float(min(max(fits) + 2, 50)))
    if form is not None:
        widths = [float(form.widths.get(str(col), w)) for col, w in zip(df.columns, widths, strict=True)]
        _form(ws, df, form, widths, header_row, first_data)
    for c, w in enumerate(widths):
        hidden = form is not None and str(df.columns[c]) in form.hidden
        ws.set_column(c, c, w, None, {"hidden": True} if hidden else {})


def _form(
    ws: Worksheet, df: pd.DataFrame, form: FormLayout, widths: list[float], header: int, first: int
) -> None:
    """The form features of a sheet whose data rows start at ``first`` (see :class:`FormLayout`)."""
    columns = [str(c) for c in df.columns]
    n = len(df)
    strict = set(form.strict)
    for name in form.answers:
        if name not in columns or n == 0:
            continue
        c = columns.index(name)
        tip = {"input_title": "请填写", "input_message": _limit(form.prompt)} if form.prompt else {}
        if name in form.choices:
            _dropdown(ws, first, first + n - 1, c, form.choices[name], name in strict, tip)
        elif name in form.row_choices:
            per_row = [tuple(x) for x in form.row_choices[name]]
            start = 0
            for i in range(1, n + 1):  # one validation per run of rows with the same choices
                if i == n or per_row[i] != per_row[start]:
                    _dropdown(ws, first + start, first + i - 1, c, per_row[start], name in strict, tip)
                    start = i
    # Wrapped cells: Excel does not grow a row to fit when it opens a file, so the height is set here.
    wrap = [columns.index(w) for w in form.wrap if w in columns]
    if wrap:
        values = df.to_numpy(dtype=object)
        for i in range(n):
            lines = max(
                math.ceil(_display_width(values[i][c]) / max(widths[c] - 1, 1))
                if not _is_missing(values[i][c])
                else 1
                for c in wrap
            )
            if lines > 1:
                ws.set_row(first + i, 13.5 * lines)
    if form.page_break_by in columns and n:
        keys = df[form.page_break_by].astype("string").fillna("").to_numpy()
        breaks = [first + i for i in range(1, n) if keys[i] != keys[i - 1]]
        ws.set_h_pagebreaks(breaks[:1023])  # Excel's limit
    # A width unit is 7 px in Excel (Calibri) but about 9.5 px in LibreOffice without it: scaled for the wider,
    # so that no column spills onto a page of its own (Excel then prints a little smaller than it could).
    shown = sum(w * 9.5 + 5 for col, w in zip(columns, widths, strict=True) if col not in form.hidden)
    ws.set_print_scale(max(10, min(100, int(_PRINT_WIDTH_PX * 100 / max(shown, 1)))))
    ws.set_margins(left=0.3, right=0.3, top=0.6, bottom=0.6)
    if form.page_header:
        ws.set_header("&L" + form.page_header.replace("&", "&&")[:200] + "&R打印日期：&D")
    ws.set_footer("&C第 &P 页 / 共 &N 页")
    ws.protect("", {"autofilter": True, "format_columns": True, "format_rows": True})


def _limit(text: str, length: int = MAX_CHOICES_LENGTH) -> str:
    """Excel drops a validation whose prompt or message is longer than 255 characters."""
    return text if len(text) <= length else text[: length - 1] + "…"


def _dropdown(
    ws: Worksheet,
    top: int,
    bottom: int,
    col: int,
    values: Sequence[str],
    strict: bool,
    tip: Mapping[str, str],
) -> None:
    values = [str(v) for v in values if str(v) and "," not in str(v)]
    if not values or len(",".join(values)) > MAX_CHOICES_LENGTH:
        return
    ws.data_validation(
        top, col, bottom, col,
        {"validate": "list", "source": values, "ignore_blank": True, "error_type": "stop" if strict else "warning",
         "error_title": "请从下拉列表中选择", "error_message": _limit("可选：" + "、".join(values)), **tip},
    )  # fmt: skip


def _num(value: Any) -> float | int:
    v = float(value)
    return int(v) if v.is_integer() else v


def write_ledger(
    path: Path | str,
    sheets: Mapping[str, pd.DataFrame],
    *,
    titles: Mapping[str, str] | str | None = None,
    subtotal_by: Mapping[str, str | None] | str | None = None,
    money_columns: Sequence[str] = (),
    sum_columns: Sequence[str] | None = None,
    date_columns: Sequence[str] = (),
    text_columns: Sequence[str] = (),
    total_row: bool | Mapping[str, bool] = True,
    footers: Mapping[str, Sequence[str]] | Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    row_unit: Mapping[str, str | None] | str | None = "人",
    forms: Mapping[str, FormLayout] | None = None,
) -> Path:
    """Write one formatted sheet per frame of ``sheets`` to ``path`` (atomically) and return the path.

    - ``titles``: a title above the header (one string for every sheet, or per sheet name);
    - ``subtotal_by``: a column whose runs of equal values get a 小计 row (rows are kept in the order given,
      so sort by that column first); per sheet, or one column name for every sheet that has it;
    - ``money_columns`` are formatted ``#,##0`` and summed in subtotal and total rows (``sum_columns``
      overrides which columns are summed, e.g. a 人数 column too);
    - ``date_columns`` are formatted ``yyyy-mm-dd`` (datetime columns are detected anyway);
    - ``text_columns`` (plus ID, phone and code columns always) are written as text;
    - ``total_row``: a 合计 row at the bottom (default on);
    - ``row_unit``: what a row counts, shown in 小计/合计 labels (``合计（12人）``); None for no count
      (e.g. a summary sheet whose rows are townships); per sheet, a sheet not named counts 人;
    - ``footers``: lines written below the table (依据, 制表人/审核人…), per sheet or for all;
    - ``labels``: extra or overriding column headers; otherwise :data:`FIELD_LABELS`, else the name;
    - ``forms``: per sheet name, a :class:`FormLayout` making the sheet a form to fill in (its answer
      columns unlocked and highlighted, dropdowns, protection, print setup).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    money = set(money_columns)
    sums = list(sum_columns) if sum_columns is not None else list(money_columns)
    dates = set(date_columns)
    text = set(text_columns) | set(DEFAULT_TEXT_COLUMNS)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(
            str(tmp),
            {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False,
             "nan_inf_to_errors": True},
        )  # fmt: skip
        f = _Formats(wb)
        taken: list[str] = []
        for name, df in sheets.items():
            sheet_name = safe_sheet_name(name, taken)
            taken.append(sheet_name)
            ws = wb.add_worksheet(sheet_name)
            headers = [(labels or {}).get(str(c)) or label(str(c)) for c in df.columns]
            kinds = _column_kinds(df, money, dates, text)
            form = (forms or {}).get(name)
            if form is not None:
                kinds = [
                    "answer" if str(c) in form.answers else "wrap" if str(c) in form.wrap else k
                    for c, k in zip(df.columns, kinds, strict=True)
                ]
            sheet_footers = footers.get(name, ()) if isinstance(footers, Mapping) else footers
            sheet_total = total_row.get(name, True) if isinstance(total_row, Mapping) else total_row
            _write_sheet(
                ws, df, f,
                title=_per_sheet(titles, name),
                subtotal_by=_per_sheet(subtotal_by, name),
                sum_columns=sums, kinds=kinds, headers=headers,
                total_row=bool(sheet_total), footers=list(sheet_footers),
                row_unit=row_unit.get(name, "人") if isinstance(row_unit, Mapping) else row_unit,
                form=form,
            )  # fmt: skip
        if not taken:
            wb.add_worksheet("空")
        wb.close()
    return path


__all__ = [
    "DERIVED_LABELS",
    "FIELD_LABELS",
    "FormLayout",
    "label",
    "needs_quote",
    "safe_sheet_name",
    "write_ledger",
]
