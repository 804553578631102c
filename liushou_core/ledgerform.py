"""The form features of a ledger sheet (:class:`FormLayout`): answer columns unlocked and highlighted,
dropdowns, wrapped rows, page breaks, print scale and protection — how the 问题数据清单 becomes a form a
township cadre fills in. :func:`liushou_core.ledger.write_ledger` applies them to the sheets it is given a
layout for; the width helpers here are the ones every ledger sheet uses."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet


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
    prompts: Mapping[str, str] = field(default_factory=dict)  # column → its own tip (else ``prompt``)
    option_ranges: Mapping[tuple[str, ...], str] = field(default_factory=dict)  # long list → its cells
    hide_sheet: bool = False  # a sheet the dropdowns read (:func:`options_sheet`), not one to read


#: Excel refuses a dropdown list longer than this (the comma-joined values).
MAX_CHOICES_LENGTH = 255
#: The hidden sheet holding the option lists too long to write inline (:func:`options_sheet`).
OPTIONS_SHEET = "选项"
#: :func:`liushou_core.ledger.write_ledger` writes a sheet without a title with its header on the first row,
#: so an options column's values start on the second (1-based row 2).
_OPTIONS_FIRST_ROW = 2
#: Printable width of landscape A4 with the form's margins, in pixels at 96 dpi.
_PRINT_WIDTH_PX = 1030


def display_width(value: object) -> int:
    text = str(value)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def apply_form(
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
        prompt = form.prompts.get(name, form.prompt)
        tip = {"input_title": "请填写", "input_message": _limit(prompt)} if prompt else {}
        if name in form.choices:
            _dropdown(
                ws, first, first + n - 1, c, form.choices[name], name in strict, tip, form.option_ranges
            )
        elif name in form.row_choices:
            per_row = [tuple(x) for x in form.row_choices[name]]
            start = 0
            for i in range(1, n + 1):  # one validation per run of rows with the same choices
                if i == n or per_row[i] != per_row[start]:
                    _dropdown(
                        ws, first + start, first + i - 1, c, per_row[start], name in strict, tip,
                        form.option_ranges,
                    )  # fmt: skip
                    start = i
    # Wrapped cells: Excel does not grow a row to fit when it opens a file, so the height is set here.
    wrap = [columns.index(w) for w in form.wrap if w in columns]
    if wrap:
        lines = np.max([_wrapped_lines(df.iloc[:, c], widths[c]) for c in wrap], axis=0)
        for i in np.flatnonzero(lines > 1).tolist():
            ws.set_row(first + i, 13.5 * int(lines[i]))
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
    if form.hide_sheet:
        ws.hide()


def choice_values(values: Sequence[object]) -> list[str]:
    """The options a dropdown offers: non-empty, without commas (the separator of an inline list)."""
    return [str(v) for v in values if str(v) and "," not in str(v)]


def long_lists(lists: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """The distinct option lists too long for an inline dropdown (over :data:`MAX_CHOICES_LENGTH`)."""
    out = (tuple(choice_values(v)) for v in lists)
    return list(dict.fromkeys(v for v in out if len(",".join(v)) > MAX_CHOICES_LENGTH))


def options_sheet(lists: Mapping[str, Sequence[str]]) -> tuple[pd.DataFrame, dict[tuple[str, ...], str]]:
    """The :data:`OPTIONS_SHEET` frame holding each long list in a column (headed by its name), and the
    range of each list's cells (``='选项'!$A$2:$A$41``) for :attr:`FormLayout.option_ranges`.

    Write the frame with :func:`~liushou_core.ledger.write_ledger` as a sheet named :data:`OPTIONS_SHEET`,
    without a title, with ``FormLayout(hide_sheet=True)``."""
    columns: dict[str, pd.Series] = {}
    ranges: dict[tuple[str, ...], str] = {}
    for name, values in lists.items():
        options = choice_values(values)
        letter = xl_col_to_name(len(columns))
        last = _OPTIONS_FIRST_ROW + len(options) - 1
        ranges[tuple(options)] = f"='{OPTIONS_SHEET}'!${letter}${_OPTIONS_FIRST_ROW}:${letter}${last}"
        columns[name] = pd.Series(options, dtype="string")
    return pd.DataFrame(columns), ranges


def _wrapped_lines(column: pd.Series, width: float) -> np.ndarray:
    """Lines each cell of a wrapped column needs at ``width`` (1 for a missing value), measured once per
    distinct text: a column of a few kinds of problem costs a few measurements, not one per row."""
    missing = column.isna().to_numpy(dtype=bool)
    codes, texts = pd.factorize(column.astype(object).where(~missing, "").astype(str))
    per_text = np.array([math.ceil(display_width(t) / max(width - 1, 1)) for t in texts], dtype=np.int64)
    return np.where(missing, 1, per_text[codes] if len(codes) else np.ones(0, dtype=np.int64))


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
    ranges: Mapping[tuple[str, ...], str],
) -> None:
    values = choice_values(values)
    source: list[str] | str = values
    if len(",".join(values)) > MAX_CHOICES_LENGTH:  # Excel refuses it inline: the cells holding it, if any
        source = ranges.get(tuple(values), "")
    if not values or not source:
        return
    ws.data_validation(
        top, col, bottom, col,
        {"validate": "list", "source": source, "ignore_blank": True, "error_type": "stop" if strict else "warning",
         "error_title": "请从下拉列表中选择", "error_message": _limit("可选：" + "、".join(values)), **tip},
    )  # fmt: skip


__all__ = [
    "MAX_CHOICES_LENGTH",
    "OPTIONS_SHEET",
    "FormLayout",
    "apply_form",
    "choice_values",
    "display_width",
    "is_missing",
    "long_lists",
    "options_sheet",
]
