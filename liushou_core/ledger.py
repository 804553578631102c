"""The shared writer of formatted Excel ledgers (花名册、台账、清单) that people at the bureau open.

Every ledger the workbench writes goes through :func:`write_ledger`, so they all look and behave alike:
Chinese headers (:data:`FIELD_LABELS`), an optional title row, a frozen header row, an autofilter, column
widths that fit Chinese text, money as ``#,##0``, dates as ``yyyy-mm-dd``, ID and phone numbers as text (so
Excel never turns them into ``5.10923E+17``), optional subtotal rows per group (e.g. per village) and a
total row, one sheet per list with a name Excel accepts. A list longer than one worksheet holds
(:data:`EXCEL_MAX_ROWS`, 1,048,576 rows; xlsxwriter silently drops the rest) is split, in order, over sheets
``名称（1）``, ``名称（2）``… each with its own 本表合计 and a line saying which part it is: never truncated.

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
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from liushou_core.atomic import atomic_path
from liushou_core.errors import ConfigError
from liushou_core.ledgerform import FormLayout, apply_form, display_width, is_missing

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
    "warning": "提示（请核实）",
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
#: The footer of every printed page (Excel's codes: &C centre, &P this page, &N the number of pages).
PAGE_FOOTER = "&C第 &P 页 / 共 &N 页"
#: Width of a title character against a body character (14 pt bold over 10 pt, with some room).
_TITLE_SCALE = 1.5
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


#: Rows in one Excel worksheet (xlsxwriter silently drops rows past it). A list longer than a sheet holds is
#: split over several sheets, never truncated (:func:`split_for_excel`).
EXCEL_MAX_ROWS = 1_048_576


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
        # A summed count column keeps its body's format in 小计/合计 rows: one number format per column.
        self.sub_number = wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#F2F2F2"})
        self.total_number = wb.add_format({**base, "border": 1, "bold": True, "bg_color": "#FCE4D6"})
        self.footer = wb.add_format(footer)
        # Titles, headers, 小计 labels and footers can carry names from data too: quoted like cells.
        quote = {"quote_prefix": True}
        self.title_q = wb.add_format({**title, **quote})
        # A title wider than its sheet wraps onto more lines instead of being cut off at the last column.
        self.title_wrap = wb.add_format({**title, "text_wrap": True})
        self.title_wrap_q = wb.add_format({**title, "text_wrap": True, **quote})
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


#: A cell ready to write: the worksheet's write method, its value and its format.
_Cell = tuple[Callable[..., Any], Any, Format]


class _Writes:
    """A worksheet's write methods, looked up once for the whole sheet rather than once per cell."""

    def __init__(self, ws: Worksheet) -> None:
        self.string = ws.write_string
        self.blank = ws.write_blank
        self.number = ws.write_number
        self.datetime = ws.write_datetime


def _cell(value: object, kind: str, f: _Formats, w: _Writes) -> _Cell:
    """How one value of a column of ``kind`` is written: the reference that :func:`_column_cells` follows."""
    if kind in ("answer", "wrap"):
        plain, quoted = (f.answer, f.answer_q) if kind == "answer" else (f.wrap, f.wrap_q)
        if is_missing(value) or str(value) == "":
            return w.blank, None, plain
        return w.string, str(value), quoted if needs_quote(str(value)) else plain
    if is_missing(value):
        return w.blank, None, f.text if kind == "text" else f.number
    if kind == "date":
        stamp = value if isinstance(value, pd.Timestamp) else pd.Timestamp(str(value))
        return w.datetime, stamp.to_pydatetime(), f.date
    if kind in ("money", "number") and isinstance(value, int | float) and not isinstance(value, bool):
        return w.number, value, f.money if kind == "money" else f.number
    if isinstance(value, dt.date):
        return w.string, value.isoformat(), f.text
    if isinstance(value, bool):
        return w.string, "是" if value else "否", f.text
    text = str(value)
    return w.string, text, f.quoted if needs_quote(text) else f.text


def _column_cells(column: pd.Series, kind: str, f: _Formats, w: _Writes) -> list[_Cell]:
    """Every cell of a column, decided column-wise where its dtype allows (text, numbers, datetimes), else value
    by value through :func:`_cell`; either way the same cells."""
    missing = column.isna().to_numpy(dtype=bool)
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    texts_only = pd.api.types.infer_dtype(column, skipna=True) in ("string", "empty")
    if kind in ("text", "answer", "wrap") and texts_only:
        texts = pd.Series(column.astype(object).where(~missing, "").tolist(), dtype=object)
        quote = texts.str.startswith(_FORMULA_START).tolist()
        if kind == "text":
            plain, quoted = f.text, f.quoted
        else:  # a form's cell: an empty text is a blank too
            plain, quoted = (f.answer, f.answer_q) if kind == "answer" else (f.wrap, f.wrap_q)
            missing = missing | texts.eq("").to_numpy(dtype=bool)
        blank: _Cell = (w.blank, None, plain)
        return [
            blank if m else (w.string, t, quoted if q else plain)
            for m, t, q in zip(missing.tolist(), texts.tolist(), quote, strict=True)
        ]
    if kind in ("money", "number") and numeric:
        fmt = f.money if kind == "money" else f.number
        blank = (w.blank, None, f.number)
        values = column.to_numpy(dtype=object).tolist()
        return [blank if m else (w.number, v, fmt) for m, v in zip(missing.tolist(), values, strict=True)]
    if kind == "date" and pd.api.types.is_datetime64_any_dtype(column):
        stamps = column.dt.to_pydatetime().tolist()
        blank = (w.blank, None, f.number)
        return [
            blank if m else (w.datetime, s, f.date) for m, s in zip(missing.tolist(), stamps, strict=True)
        ]
    return [_cell(v, kind, f, w) for v in column.to_numpy(dtype=object)]


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
    total_label: str = "合计",
) -> None:
    ncols = max(len(df.columns), 1)
    widths = _column_widths(df, kinds, headers, wide_label=bool(subtotal_by or total_row))
    row = 0
    if title:
        lines = _title_lines(title, sum(widths))
        if lines > 1:
            title_format = f.title_wrap_q if needs_quote(title) else f.title_wrap
        else:
            title_format = f.title_q if needs_quote(title) else f.title
        if ncols > 1:
            ws.merge_range(0, 0, 0, ncols - 1, title, title_format)
        else:
            ws.write_string(0, 0, title, title_format)
        ws.set_row(0, 24 * lines)
        row = 1
    header_row = row
    for c, h in enumerate(headers):
        plain = f.answer_header if kinds[c] == "answer" else f.header
        ws.write_string(header_row, c, h, f.header_q if needs_quote(h) else plain)
    row += 1
    first_data = row

    sum_idx = [list(df.columns).index(c) for c in sum_columns if c in df.columns]
    label_col = 0
    # Rows are written group by group (a group's rows in their order, then its 小计 row), groups in the order
    # they first appear; without subtotal_by, one group of every row.
    grouped = subtotal_by is not None and subtotal_by in df.columns
    keys = df[subtotal_by].astype("string").fillna("（未填）") if grouped else pd.Series("", index=df.index)
    codes, groups = pd.factorize(keys, sort=False)
    order = np.argsort(codes, kind="stable")
    sizes = np.bincount(codes, minlength=len(groups)) if len(df) else np.zeros(0, dtype=np.int64)
    ends = np.cumsum(sizes)  # where each group's rows end in ``order``
    sub_rows = row + ends + np.arange(len(groups))  # each group's 小计 row (when grouped)
    in_order = df.iloc[order] if grouped else df
    sheet_rows = row + np.arange(len(df)) + codes[order] * int(grouped)

    writes = _Writes(ws)
    columns = [_column_cells(in_order.iloc[:, c], kind, f, writes) for c, kind in enumerate(kinds)]
    for r, rec in zip(sheet_rows.tolist(), zip(*columns, strict=True), strict=True):
        for c, (write, value, fmt) in enumerate(rec):
            write(r, c, value, fmt)
    row += len(df) + len(groups) * int(grouped)
    for g, group in enumerate(groups.tolist() if grouped else []):
        sub, size = int(sub_rows[g]), int(sizes[g])
        start = sub - size
        block = order[int(ends[g]) - size : int(ends[g])]
        count = f"（{size}{row_unit}）" if row_unit else ""
        ws.write_string(
            sub, label_col, f"{group} 小计{count}", f.sub_text_q if needs_quote(group) else f.sub_text
        )
        for c in range(1, ncols):
            if c not in sum_idx:
                ws.write_blank(sub, c, None, f.sub_text)
        for c in sum_idx:
            rng = f"{xl_rowcol_to_cell(start, c)}:{xl_rowcol_to_cell(sub - 1, c)}"
            cached = pd.to_numeric(df.iloc[block, c], errors="coerce").sum()
            sub_format = f.sub_money if kinds[c] == "money" else f.sub_number
            ws.write_formula(sub, c, f"=SUBTOTAL(9,{rng})", sub_format, _num(cached))
    last_data = row - 1

    if total_row:
        ws.write_string(
            row, label_col, f"{total_label}（{len(df)}{row_unit}）" if row_unit else total_label, f.total_text
        )
        for c in range(1, ncols):
            if c not in sum_idx:
                ws.write_blank(row, c, None, f.total_text)
        for c in sum_idx:
            cached = pd.to_numeric(df.iloc[:, c], errors="coerce").sum()
            total_format = f.total_money if kinds[c] == "money" else f.total_number
            if last_data >= first_data:
                rng = f"{xl_rowcol_to_cell(first_data, c)}:{xl_rowcol_to_cell(last_data, c)}"
                ws.write_formula(row, c, f"=SUBTOTAL(9,{rng})", total_format, _num(cached))
            else:
                ws.write_number(row, c, 0, total_format)
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
    # The payroll runs to dozens of printed pages: each says which page of how many it is.
    ws.set_footer(PAGE_FOOTER)
    ws.autofilter(header_row, 0, max(last_data, header_row), ncols - 1)
    if form is not None:
        widths = [float(form.widths.get(str(col), w)) for col, w in zip(df.columns, widths, strict=True)]
        apply_form(ws, df, form, widths, header_row, first_data)
    for c, w in enumerate(widths):
        hidden = form is not None and str(df.columns[c]) in form.hidden
        ws.set_column(c, c, w, None, {"hidden": True} if hidden else {})


def sheet_overhead(*, title: bool, total_row: bool, footers: int) -> int:
    """Rows a sheet uses besides its data and 小计 rows: title, header, 合计, a blank line and the footer
    lines, one of them saying the list continues on other sheets."""
    return int(title) + 1 + int(total_row) + 1 + footers + 1


def split_for_excel(df: pd.DataFrame, capacity: int, subtotal_by: str | None = None) -> list[pd.DataFrame]:
    """``df`` in consecutive parts that each fit ``capacity`` sheet rows, counting a 小计 row per run of
    ``subtotal_by``; one part when it fits. Groups are kept whole where they fit, else cut at the capacity.
    Every row is in exactly one part, in order."""
    if capacity < 2:
        raise ConfigError(
            f"Excel 工作表放不下标题、表头和表尾之外的数据行（每张表最多 {EXCEL_MAX_ROWS:,} 行）"
        )
    grouped = subtotal_by is not None and subtotal_by in df.columns
    if grouped:
        keys = df[subtotal_by].astype("string").fillna("（未填）")
        starts = (keys != keys.shift()).fillna(True).to_numpy(dtype=bool)  # where each 小计 run begins
    else:
        starts = np.arange(len(df)) == 0
    per_group = int(grouped)
    if len(df) + per_group * int(starts.sum()) <= capacity:
        return [df]
    sizes = np.diff(np.append(np.flatnonzero(starts), len(df))).tolist()
    parts: list[pd.DataFrame] = []
    start = pos = used = 0
    for size in sizes:  # one step per group (village), not per row
        if used and size + per_group > capacity - used and size + per_group <= capacity:
            parts.append(df.iloc[start:pos])  # a group that fits a sheet of its own is not cut
            start, used = pos, 0
        remaining = size
        while remaining:
            room = capacity - used - per_group
            if room <= 0:
                parts.append(df.iloc[start:pos])
                start, used = pos, 0
                continue
            take = min(remaining, room)
            pos, used, remaining = pos + take, used + take + per_group, remaining - take
    parts.append(df.iloc[start:pos])
    return [p for p in parts if len(p)]


def _column_widths(
    df: pd.DataFrame, kinds: list[str], headers: list[str], *, wide_label: bool
) -> list[float]:
    """Each column's width (Excel's units, about one Latin character), fitted to its header and first values."""
    out: list[float] = []
    for c, col in enumerate(df.columns):
        sample = df[col].head(2000)
        fits = [display_width(headers[c])]
        if kinds[c] == "date":
            fits.append(10)
        else:
            fits.extend(display_width(v) for v in sample if not is_missing(v))
        if c == 0 and wide_label:  # the 小计/合计 labels stand in the first column
            fits.append(display_width("合计（00000人）"))
        out.append(float(min(max(fits) + 2, 50)))
    return out or [10.0]


def _title_lines(title: str, sheet_width: float) -> int:
    """How many lines the title needs across the sheet's columns (14 pt bold against the 10 pt body)."""
    needed = display_width(title) * _TITLE_SCALE
    return max(1, math.ceil(needed / max(sheet_width, 1.0)))


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
            headers = [(labels or {}).get(str(c)) or label(str(c)) for c in df.columns]
            kinds = _column_kinds(df, money, dates, text)
            form = (forms or {}).get(name)
            if form is not None:
                kinds = [
                    "answer" if str(c) in form.answers else "wrap" if str(c) in form.wrap else k
                    for c, k in zip(df.columns, kinds, strict=True)
                ]
            sheet_footers = list(footers.get(name, ()) if isinstance(footers, Mapping) else footers)
            sheet_total = bool(total_row.get(name, True) if isinstance(total_row, Mapping) else total_row)
            title, by = _per_sheet(titles, name), _per_sheet(subtotal_by, name)
            unit = row_unit.get(name, "人") if isinstance(row_unit, Mapping) else row_unit
            overhead = sheet_overhead(title=bool(title), total_row=sheet_total, footers=len(sheet_footers))
            parts = split_for_excel(df, EXCEL_MAX_ROWS - overhead, by)
            for i, part in enumerate(parts, start=1):  # one part unless the list is longer than a sheet
                split = len(parts) > 1
                sheet_name = safe_sheet_name(f"{name}（{i}）" if split else name, taken)
                taken.append(sheet_name)
                note = (
                    f"本表是全表第 {i}/{len(parts)} 部分：全表共 {len(df):,} 行，超过 Excel 一张工作表的行数上限，"
                    f"已按顺序分在 {len(parts)} 张工作表中（未删减任何一行）"
                )
                _write_sheet(
                    wb.add_worksheet(sheet_name), part, f,
                    title=f"{title}（第{i}/{len(parts)}部分）" if title and split else title,
                    subtotal_by=by, sum_columns=sums, kinds=kinds, headers=headers,
                    total_row=sheet_total, footers=[*sheet_footers, note] if split else sheet_footers,
                    row_unit=unit, total_label="本表合计" if split else "合计", form=form,
                )  # fmt: skip
        if not taken:
            wb.add_worksheet("空")
        wb.close()
    return path


__all__ = [
    "DERIVED_LABELS",
    "EXCEL_MAX_ROWS",
    "FIELD_LABELS",
    "FormLayout",
    "PAGE_FOOTER",
    "label",
    "needs_quote",
    "safe_sheet_name",
    "sheet_overhead",
    "split_for_excel",
    "write_ledger",
]
