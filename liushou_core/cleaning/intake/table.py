"""One sheet of text cells → its input rows, with the header found, columns mapped and skip rules applied.

The rules are those of ``docs/pipeline.md`` §"Intake conventions":

- **Header**: the first row within the first 30 in which at least 3 cells map to template fields through
  the codebook, including ``name`` or ``id_number``. Rows above it (title, 填报单位/日期) are not input rows.
  A header cell maps through :func:`~liushou_core.values.codebook.header_key` (line breaks, spaces, full-width
  brackets do not matter). Of two header cells naming the same field the first (leftmost) is used.
- **Input rows**: every row below the header down to the last row with any non-empty cell.
- **Skip rules** (first that applies): ``skip_blank`` every cell empty after stripping spaces;
  ``skip_total`` some cell contains 合计, 总计 or 小计, and the row has neither a name (text without those
  words) in the name column nor a well-formed ID — a note such as 父母外出合计3年 does not unmake a person;
  ``skip_header`` at least 3 non-empty cells map to template fields and they are more than half of the
  row's non-empty cells (寄宿 is a header and a value: a few such cells do not make a person a header);
  ``skip_note`` name, id_number and birth_date all empty.
- **Cells outside the header**: a row that is not skipped but has text in a column whose header cell is
  empty (a CSV line with more cells than its header — often a comma typed inside a value, which shifts the
  cells after it —, or a remark written beside the table) gets a warning naming the column: that text is
  not read, and the row's other cells may be misplaced.

The body of a sheet is worked on as whole pyarrow columns (one pass per column and rule); Python loops run
only over the cells of the first rows (the header) and over the skipped rows' cells for their messages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from liushou_core.cleaning.intake.flagged_rows import flagged_row_issues, hidden_sheet_detail, holds_ids
from liushou_core.cleaning.intake.sheets import TEXT, Sheet, constant_text, text_series
from liushou_core.cleaning.intake.township import infer_township
from liushou_core.issues import ISSUE_COLUMNS, RULES
from liushou_core.values.codebook import FIELDS, Codebook
from liushou_core.values.idcard import check_digit, normalise_id_text

#: The header must be within the first rows of a sheet (title rows and 填报单位/日期 lines come first).
HEADER_SEARCH_ROWS = 30
#: A row is a header (or a repeated header) when at least this many of its cells name template fields.
MIN_HEADER_CELLS = 3
#: The header must name at least one of the fields that identify a person.
IDENTITY_FIELDS = ("name", "id_number")
#: A row containing one of these words is a total row, not a person.
TOTAL_WORDS = ("合计", "总计", "小计")
#: A row with none of these is a note (填表人、审核人、说明…), not a person.
NOTE_FIELDS = ("name", "id_number", "birth_date")

SKIP_RULE_ORDER = ("skip_blank", "skip_total", "skip_header", "skip_note")

# The whitespace codebook.header_key removes (Python's \s), as one character class that pyarrow's RE2 and
# Python's re read the same way, so header keys can be computed on whole columns.
_SPACE_CLASS = "[" + "".join(c for c in map(chr, range(0x3001)) if re.match(r"\s", c)) + "]+"
# Text made only of printable ASCII and CJK unified ideographs is its own header key: NFKC leaves these
# characters alone and none is a space. Only other cells need the (slower) normalisation.
_OWN_KEY = r"^[!-~\x{4e00}-\x{9fff}]+$"
_TOTAL_PATTERN = "|".join(TOTAL_WORDS)
_TOTAL_HINT = "计"  # common to all TOTAL_WORDS: a cheap literal search first, the pattern on the few hits
_DIGIT = r"[0-9\x{ff10}-\x{ff19}]"  # ASCII and full-width digits, as RE2 writes them

SheetStatus = Literal["read", "empty", "no_header", "missing_required"]
Column: TypeAlias = "pa.Array | pa.ChunkedArray"


# --- text columns and header keys ---------------------------------------------------------------------------


def arrow_text(column: pd.Series) -> Column:
    """A text column as pyarrow ``large_string`` (no copy for pandas ``string`` columns)."""
    values = pa.array(column.array if column.dtype == "string" else column.astype("string").array)
    return values if values.type == TEXT else values.cast(TEXT)


def _mask(values: Column) -> np.ndarray:
    """A pyarrow boolean result as a numpy mask, null counted as False."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def arrow_header_keys(values: Column) -> Column:
    """:func:`~liushou_core.values.codebook.header_key` of every string (null stays null), in pyarrow."""
    return pc.replace_substring_regex(pc.utf8_normalize(values, "NFKC"), _SPACE_CLASS, "")


def header_keys(column: pd.Series) -> pd.Series:
    """:func:`~liushou_core.values.codebook.header_key` of every cell of a text column (``<NA>`` stays ``<NA>``)."""
    return text_series(arrow_header_keys(arrow_text(column)), column.index)


def header_fields(texts: np.ndarray, codebook: Codebook) -> np.ndarray:
    """The field each cell of a few rows names as a header (None where it names none); same shape."""
    keys = arrow_header_keys(pa.array(texts.ravel(), type=TEXT, from_pandas=True)).to_pylist()
    lookup = codebook.alias_to_field
    fields = [None if key is None else lookup.get(key) for key in keys]  # the first rows' cells: bounded
    return np.array(fields, dtype=object).reshape(texts.shape)


def names_field(values: Column, keys: pa.Array) -> np.ndarray:
    """True where a cell's header key is one of ``keys`` (the codebook's aliases), for a whole column.

    A key is its own header key, so a cell equal to one is a hit as it stands; a cell of ASCII letters and
    digits (an ID, a phone number) or of the characters of ``_OWN_KEY`` is its own key too, so if it is not
    a hit it names no field. Only the remaining cells (spaces, full-width forms…) are normalised.
    """
    hit = _mask(pc.is_in(values, value_set=keys))
    unsure = ~hit & _mask(pc.is_valid(values)) & ~_mask(pc.ascii_is_alnum(values))
    if not unsure.any():
        return hit
    if unsure.mean() > 0.5:  # most of the column: cheaper to test it all than to pick the cells out first
        other = unsure & ~_mask(pc.match_substring_regex(values, _OWN_KEY))
    else:
        where = np.flatnonzero(unsure)
        other = np.zeros_like(unsure)
        other[where] = ~_mask(pc.match_substring_regex(values.take(pa.array(where)), _OWN_KEY))
    if other.any():
        hit[other] = _mask(pc.is_in(arrow_header_keys(values.filter(pa.array(other))), value_set=keys))
    return hit


def find_header(fields: np.ndarray) -> int | None:
    """Index of the first row naming at least 3 fields, one of them name or id_number; None if none does."""
    named = pd.notna(fields)
    identity = np.isin(fields, IDENTITY_FIELDS)
    found = np.flatnonzero((named.sum(axis=1) >= MIN_HEADER_CELLS) & identity.any(axis=1))
    return int(found[0]) if len(found) else None


# --- layout ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duplicate:
    """A second header cell naming a field already named: the first one is used, this one is not read."""

    field: str
    used: str  # the header texts
    ignored: str
    used_at: int  # their grid columns
    ignored_at: int


@dataclass(frozen=True)
class Layout:
    """Where each template field is in a sheet."""

    header_row: int  # grid index of the header row
    columns: dict[str, int]  # field → grid column
    unknown: tuple[str, ...]  # header texts naming no field (listed in the files table)
    duplicates: tuple[Duplicate, ...] = field(default=())


def read_layout(texts: np.ndarray, fields: np.ndarray, header_row: int) -> Layout:
    """Map the header's cells to fields: the first cell naming a field wins; unknown headers are listed.

    ``texts`` and ``fields`` are the first rows of the sheet (at least down to the row below the header).
    A two-row header (a merged group cell such as 父母外出情况 above 父亲状况 | 母亲状况) is read too: where
    the header cell names no field, the cell below it may, provided that row is not a person (its name and
    ID cells are empty). That row stays an input row and is skipped by the rules.
    """
    header, named = texts[header_row], fields[header_row]
    columns: dict[str, int] = {}
    duplicates: list[Duplicate] = []
    for position, name in enumerate(named):  # the header's cells: bounded
        if name is None:
            continue
        if name in columns:
            duplicates.append(
                Duplicate(name, str(header[columns[name]]), str(header[position]), columns[name], position)
            )
        else:
            columns[name] = position
    if header_row + 1 < len(texts):
        below, below_named = texts[header_row + 1], fields[header_row + 1]
        is_person = any(_filled(below[columns[f]]) for f in IDENTITY_FIELDS if f in columns)
        if not is_person:
            for position, (above, name) in enumerate(zip(named, below_named, strict=True)):
                if name is not None and above is None and name not in columns:
                    columns[name] = position
    mapped = set(columns.values())
    unknown = tuple(
        str(text).strip()
        for position, (text, name) in enumerate(zip(header, named, strict=True))
        if _filled(text) and name is None and position not in mapped
    )
    return Layout(header_row, columns, unknown, tuple(duplicates))


def _filled(text: object) -> bool:
    return text is not None and bool(str(text).strip())


# --- skip rules ----------------------------------------------------------------------------------------------


def blank_cells(values: Column) -> np.ndarray:
    """True where a cell is empty or only spaces."""
    return ~_mask(pc.is_valid(values)) | _mask(pc.utf8_is_space(values))


def total_cells(values: Column) -> np.ndarray:
    """True where a cell contains 合计, 总计 or 小计."""
    hit = _mask(pc.match_substring(values, _TOTAL_HINT))
    if hit.any():
        hit[hit] = _mask(pc.match_substring_regex(values.filter(pa.array(hit)), _TOTAL_PATTERN))
    return hit


def skip_codes(body: Sequence[Column], columns: dict[str, int], codebook: Codebook) -> np.ndarray:
    """Index into SKIP_RULE_ORDER of each input row's skip rule (-1: none), the first rule that applies."""
    n = len(body[0]) if body else 0
    keys = pa.array(list(codebook.alias_to_field), type=TEXT)
    note_columns = {columns[f] for f in NOTE_FIELDS if f in columns}
    blank = np.ones(n, dtype=bool)
    total = np.zeros(n, dtype=bool)
    note = np.ones(n, dtype=bool)
    hits = np.zeros(n, dtype=np.int64)
    filled = np.zeros(n, dtype=np.int64)
    for position, values in enumerate(body):  # one vectorised pass per column
        empty = blank_cells(values)
        blank &= empty
        filled += ~empty
        total |= total_cells(values)
        hits += names_field(values, keys)
        if position in note_columns:
            note &= empty
    if total.any():  # a total word in a note (父母外出合计3年) does not unmake a person
        total[total] = ~identifies_person(body, columns, np.flatnonzero(total))
    # a repeated header repeats the header: most of its cells name fields, not just a few (寄宿 is a value
    # too), and no header holds an ID
    header = (hits >= MIN_HEADER_CELLS) & (hits * 2 > filled)
    if header.any() and "id_number" in columns:
        header[header] = ~well_formed_ids(body[columns["id_number"]], np.flatnonzero(header))
    return np.select([blank, total, header, note], range(len(SKIP_RULE_ORDER)), default=-1)


def identifies_person(body: Sequence[Column], columns: dict[str, int], rows: np.ndarray) -> np.ndarray:
    """For the rows at ``rows``: True where the name column holds a name (text without a total word or a
    digit: 合计, 共5人 are not names) or the ID column a well-formed ID (18 characters whose check digit is
    right, or 15 digits)."""
    out = np.zeros(len(rows), dtype=bool)
    if "name" in columns:
        names = body[columns["name"]].take(pa.array(rows))
        counted = total_cells(names) | _mask(pc.match_substring_regex(names, _DIGIT))
        out |= ~blank_cells(names) & ~counted
    if "id_number" in columns:
        out |= well_formed_ids(body[columns["id_number"]], rows)
    return out


def well_formed_ids(values: Column, rows: np.ndarray) -> np.ndarray:
    """For the cells at ``rows``: True where the cell is an 18-character ID whose check digit is right, or
    15 digits (spaces, full-width digits and a lower-case x allowed)."""
    ids = normalise_id_text(text_series(values.take(pa.array(rows))))
    checked = check_digit(ids.str.slice(0, 17)).eq(ids.str.slice(17)) & ids.str.len().eq(18)
    old = ids.str.fullmatch(r"[0-9]{15}")
    return np.asarray((checked | old).fillna(False).to_numpy(dtype=bool))


# --- one sheet ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetRows:
    """The input rows of one sheet and what was found reading it."""

    status: SheetStatus
    rows: pd.DataFrame | None = None  # RawReturn columns, when status == "read"
    issues: list[dict[str, object]] = field(default_factory=list)  # the sheet's problems (header, columns)
    unknown_columns: tuple[str, ...] = ()
    # row issues (issues.Issues columns): one info issue per skipped row, a warning per row with text
    # outside the header
    skipped: pd.DataFrame | None = None


def issue(
    rule: str,
    *,
    source_file: str,
    source_sheet: str | None = None,
    field: str | None = None,
    label: str | None = None,
    value: str | None = None,
    detail: str | None = None,
) -> dict[str, object]:
    """One row of the issues table for a file or sheet (not a row); the message is the rule's template."""
    message = RULES[rule].message.format(value=value or "", field=label or field or "", detail=detail or "")
    return {
        "row_key": None, "source_file": source_file, "source_sheet": source_sheet, "source_row": None,
        "field": field, "rule": rule, "value": value, "severity": RULES[rule].severity, "message": message,
    }  # fmt: skip


def sheet_rows(sheet: Sheet, source_file: str, codebook: Codebook, row_columns: list[str]) -> SheetRows:
    """Read one sheet: header, layout, input rows with their skip rule, and the sheet's issues."""
    grid = [arrow_text(sheet.cells[c]) for c in sheet.cells.columns]
    filled = np.zeros(len(sheet.cells), dtype=bool)
    for values in grid:
        filled |= _mask(pc.is_valid(values))
    # a sheet of nothing but spaces is empty too (its rows, if it had a header, would all be skip_blank)
    if not filled.any() or all(blank_cells(values).all() for values in grid):
        return SheetRows("empty")
    top = sheet.cells.iloc[: HEADER_SEARCH_ROWS + 1].to_numpy(dtype=object, na_value=None)
    top_fields = header_fields(top, codebook)
    header_row = find_header(top_fields[:HEADER_SEARCH_ROWS])
    if header_row is None:
        if sheet.hidden and not holds_ids(sheet):  # a drop-down's list of choices: mentioned, not an error
            detail = hidden_sheet_detail(source_file, sheet, read=False)
            return SheetRows("no_header", issues=[issue("sheet_hidden", source_file=source_file,
                                                          source_sheet=sheet.name, detail=detail)])  # fmt: skip
        return SheetRows("no_header", issues=[_no_header(source_file, sheet)])

    layout = read_layout(top, top_fields, header_row)
    problems = [_duplicate_column(source_file, sheet.name, d, codebook) for d in layout.duplicates]
    if sheet.hidden:
        detail = hidden_sheet_detail(source_file, sheet, read=True)
        problems.append(
            issue("sheet_hidden", source_file=source_file, source_sheet=sheet.name, detail=detail)
        )
    constants: dict[str, str] = {}
    if "township" not in layout.columns:
        titles = [str(t) for row in top[:header_row] for t in row if _filled(t)]
        inferred = infer_township(titles, sheet.name, source_file)
        if inferred is not None:
            constants["township"] = inferred.township
            problems.append(issue("township_inferred", source_file=source_file, source_sheet=sheet.name,
                                  field="township", value=inferred.township, detail=inferred.source))  # fmt: skip
    missing = [f for f in FIELDS if f not in layout.columns and f not in constants]
    rule = "required_column_missing" if any(f in codebook.required for f in missing) else "column_missing"
    problems += [
        issue(rule, source_file=source_file, source_sheet=sheet.name, field=f, label=codebook.headers[f])
        for f in missing
        if rule == "column_missing" or f in codebook.required
    ]
    if rule == "required_column_missing":
        return SheetRows("missing_required", issues=problems, unknown_columns=layout.unknown)

    first, last = header_row + 1, int(np.flatnonzero(filled)[-1])
    body = [values.slice(first, last - first + 1) for values in grid]
    codes = skip_codes(body, layout.columns, codebook)
    rows = _raw_rows(body, codes, layout, sheet, source_file, first, row_columns, constants)
    unnamed = [
        j for j, text in enumerate(top[header_row]) if not _filled(text) and j not in layout.columns.values()
    ]
    found = [
        skip_issues(rows, body, codes),
        outside_header_issues(rows, [body[j] for j in unnamed], unnamed, codes),
        flagged_row_issues(rows, codes, sheet),
    ]
    found = [f for f in found if len(f)]
    row_issues = pd.concat(found, ignore_index=True) if len(found) > 1 else found[0] if found else None
    return SheetRows("read", rows, problems, layout.unknown, row_issues)


def _raw_rows(
    body: list[Column],
    codes: np.ndarray,
    layout: Layout,
    sheet: Sheet,
    source_file: str,
    first: int,
    row_columns: list[str],
    constants: dict[str, str],
) -> pd.DataFrame:
    n = len(codes)
    if sheet.row_numbers is not None:
        source_row = np.asarray(sheet.row_numbers[first : first + n], dtype=np.int64)
    else:
        source_row = np.arange(first + 1, first + 1 + n, dtype=np.int64)  # grid row i is row i + 1
    prefix, nothing = pa.scalar(f"{source_file}|{sheet.name}|", TEXT), pa.scalar("", TEXT)
    row_key = pc.binary_join_element_wise(prefix, pa.array(source_row).cast(TEXT), nothing)
    rules = pa.array(SKIP_RULE_ORDER, type=TEXT).take(pa.array(codes, mask=codes < 0))
    data: dict[str, object] = {
        "row_key": text_series(row_key),
        "source_file": constant_text(source_file, n),
        "source_sheet": constant_text(sheet.name, n),
        "source_row": source_row,
        "sheet_index": np.full(n, sheet.index, dtype=np.int64),
        "skip_rule": text_series(rules),
    }
    empty = constant_text(None, n)
    for name in FIELDS:
        if name in layout.columns:
            data[name] = text_series(body[layout.columns[name]])
        else:
            data[name] = constant_text(constants[name], n) if name in constants else empty
    return pd.DataFrame({c: data[c] for c in row_columns})


def _where(source_file: str, sheet: Sheet) -> str:
    return f"文件“{source_file}”" + (f"的工作表“{sheet.name}”" if sheet.name else "")


def _no_header(source_file: str, sheet: Sheet) -> dict[str, object]:
    detail = (
        f"{_where(source_file, sheet)}前 {HEADER_SEARCH_ROWS} 行里找不到表头（表头至少要有 {MIN_HEADER_CELLS} 个"
        "模板列名，其中包括“姓名”或“公民身份号码”），该表未读取，请按模板填写表头后重新报送"
    )
    if not sheet.name:
        detail += "；若文件不是用逗号分隔的，请另存为“CSV UTF-8（逗号分隔）”"
    return issue("header_not_found", source_file=source_file, source_sheet=sheet.name, detail=detail)


def _duplicate_column(source_file: str, sheet: str, dup: Duplicate, codebook: Codebook) -> dict[str, object]:
    """An info issue for a second header cell naming a field already named (the first one is used)."""
    used, ignored, name = dup.used, dup.ignored, dup.field
    first, second = column_letters(dup.used_at), column_letters(dup.ignored_at)
    detail = (
        f"{first} 列“{used}”和 {second} 列“{ignored}”都是“{codebook.headers[name]}”，"
        f"已采用 {first} 列，{second} 列没有读取；如果两列内容不同，请合并为一列后重新报送"
    )
    row = issue(
        "column_duplicate",
        source_file=source_file,
        source_sheet=sheet,
        field=name,
        value=ignored,
        detail=detail,
    )
    row.update(severity="info", message=f"表头重复：{detail}")
    return row


#: The rule of a row with text in columns that have no header (a ragged CSV line, a stray cell).
OUTSIDE_HEADER_RULE = "cells_outside_header"
#: How much of a cell's text a message quotes (a hostile file may hold 100,000 characters in one cell).
QUOTE_LIMIT = 40


def column_letters(position: int) -> str:
    """The Excel name of a 0-based column: 0 → A, 25 → Z, 26 → AA."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def outside_header_issues(
    rows: pd.DataFrame, cells: list[Column], positions: list[int], codes: np.ndarray
) -> pd.DataFrame:
    """A warning for each row that is not skipped and has text in a column with no header (``cells`` are
    those columns' body cells, ``positions`` their grid columns): the first such cell is named and quoted."""
    filled = np.column_stack([~blank_cells(values) for values in cells]) if cells else np.zeros((0, 0))
    where = np.flatnonzero((filled.any(axis=1) & (codes < 0)) if cells else [])
    if not len(where):
        return pd.DataFrame(columns=ISSUE_COLUMNS)
    first = filled[where].argmax(axis=1)
    taken = pa.array(where)
    texts = np.column_stack([values.take(taken).to_numpy(zero_copy_only=False) for values in cells])
    value = pd.Series(texts[np.arange(len(where)), first], dtype="string").str.strip()
    quoted = value.where(value.str.len() <= QUOTE_LIMIT, value.str.slice(0, QUOTE_LIMIT) + "…")
    letters = pd.Series(np.array([column_letters(p) for p in positions], dtype=object)[first], dtype="string")
    picked = rows.iloc[where]
    message = (
        letters + " 列没有表头，其中的“" + quoted + "”未读取；"
        "如果是某个单元格里的逗号或多余的单元格使本行错位，请核对本行各列后更正"
    )
    return pd.DataFrame(
        {
            "row_key": picked["row_key"].array,
            "source_file": picked["source_file"].array,
            "source_sheet": picked["source_sheet"].array,
            "source_row": picked["source_row"].astype("Int64").array,
            "field": None,
            "rule": OUTSIDE_HEADER_RULE,
            "value": value.array,
            "severity": RULES[OUTSIDE_HEADER_RULE].severity,
            "message": message.array,
        }
    )


_strip = np.frompyfunc(lambda v: (v.strip() or None) if isinstance(v, str) else None, 1, 1)


def skip_issues(rows: pd.DataFrame, body: list[Column], codes: np.ndarray) -> pd.DataFrame:
    """One info issue per skipped row: its rule, the rule's message, and the row's first text as value.

    ``body`` are the same rows as grid columns (all of them, so a footer written in an unmapped column
    such as 序号 still shows).
    """
    where = np.flatnonzero(codes >= 0)
    taken = pa.array(where)
    cells = np.column_stack([values.take(taken).to_numpy(zero_copy_only=False) for values in body])
    stripped = _strip(cells).reshape(cells.shape) if cells.size else cells
    filled = pd.notna(stripped)
    first = (
        stripped[np.arange(len(where)), filled.argmax(axis=1)] if cells.size else np.full(len(where), None)
    )
    picked = rows.iloc[where]
    rule = picked["skip_rule"].astype(str)
    return pd.DataFrame(
        {
            "row_key": picked["row_key"],
            "source_file": picked["source_file"],
            "source_sheet": picked["source_sheet"],
            "source_row": picked["source_row"].astype("Int64"),
            "field": None,
            "rule": rule,
            "value": pd.array(first, dtype="string"),
            "severity": "info",
            "message": rule.map({code: r.message for code, r in RULES.items()}),
        },
        index=picked.index,
    )
