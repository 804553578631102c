"""One sheet of text cells → its input rows, with the header found, columns mapped and skip rules applied.

The rules are those of ``docs/pipeline.md`` §"Intake conventions":

- **Header**: the first row within the first 30 in which at least 3 cells map to template fields through
  the codebook, including ``name`` or ``id_number``. Rows above it (title, 填报单位/日期) are not input rows.
  A header cell maps through :func:`~liushou_core.codebook.header_key` (line breaks, spaces, full-width
  brackets do not matter). Of two header cells naming the same field the first (leftmost) is used.
- **Input rows**: every row below the header down to the last row with any non-empty cell.
- **Skip rules** (first that applies): ``skip_blank`` every cell empty after stripping spaces;
  ``skip_total`` some cell contains 合计, 总计 or 小计; ``skip_header`` at least 3 non-empty cells map to
  template fields; ``skip_note`` name, id_number and birth_date all empty.

Every step works on whole columns of the sheet; the only Python loops run over the header's cells.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..codebook import FIELDS, Codebook
from ..issues import RULES
from .sheets import TEXT, Sheet, constant_text, text_series

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

SheetStatus = Literal["read", "empty", "no_header", "missing_required"]


def _arrow(column: pd.Series) -> pa.Array:
    """A text column as a pyarrow string array (no copy for pandas ``string`` columns)."""
    values = pa.array(column.astype("string"), from_pandas=True)
    return values if values.type == TEXT else values.cast(TEXT)


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A pyarrow boolean result as a numpy mask, null counted as False."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def arrow_header_keys(values: pa.Array) -> pa.Array:
    """:func:`~liushou_core.codebook.header_key` of every string (null stays null), in pyarrow."""
    return pc.replace_substring_regex(pc.utf8_normalize(values, "NFKC"), _SPACE_CLASS, "")


def header_keys(column: pd.Series) -> pd.Series:
    """:func:`~liushou_core.codebook.header_key` of every cell of a text column (``<NA>`` stays ``<NA>``)."""
    keys = arrow_header_keys(_arrow(column))
    return text_series(keys, column.index)


def header_fields(cells: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The template field each cell names as a header (``<NA>`` where it names none); same shape."""
    lookup = pd.Series(codebook.alias_to_field, dtype="string")
    return cells.apply(lambda col: header_keys(col).map(lookup).astype("string"))


def names_field(column: pd.Series, keys: pa.Array) -> np.ndarray:
    """True where a cell's header key is one of ``keys`` (the codebook's aliases), for a whole column.

    A key is its own header key, so a cell equal to one is a hit as it stands; a cell of ASCII letters and
    digits (an ID, a phone number) or of the characters of ``_OWN_KEY`` is its own key too, so if it is not
    a hit it names no field. Only the remaining cells (spaces, full-width forms…) are normalised.
    """
    values = _arrow(column)
    hit = _mask(pc.is_in(values, value_set=keys))
    unsure = ~hit & _mask(pc.is_valid(values)) & ~_mask(pc.ascii_is_alnum(values))
    if unsure.any():
        where = np.flatnonzero(unsure)
        rest = values.take(pa.array(where))
        other = ~_mask(pc.match_substring_regex(rest, _OWN_KEY))
        if other.any():
            hit[where[other]] = _mask(
                pc.is_in(arrow_header_keys(rest.filter(pa.array(other))), value_set=keys)
            )
    return hit


def header_hits(cells: pd.DataFrame, codebook: Codebook) -> np.ndarray:
    """How many cells of each row name a template field (the repeated-header test, vectorised)."""
    keys = pa.array(list(codebook.alias_to_field), type=TEXT)
    hits = np.zeros(len(cells), dtype=np.int64)
    for col in cells.columns:  # one vectorised pass per column
        hits += names_field(cells[col], keys)
    return hits


def find_header(cells: pd.DataFrame, codebook: Codebook) -> int | None:
    """Grid index of the header row, or None if none of the first 30 rows is one."""
    fields = header_fields(cells.iloc[:HEADER_SEARCH_ROWS], codebook)
    enough = fields.notna().sum(axis=1) >= MIN_HEADER_CELLS
    identity = fields.isin(IDENTITY_FIELDS).any(axis=1)
    found = np.flatnonzero((enough & identity).to_numpy())
    return int(found[0]) if len(found) else None


@dataclass(frozen=True)
class Layout:
    """Where each template field is in a sheet."""

    header_row: int  # grid index of the header row
    columns: dict[str, int]  # field → grid column
    unknown: tuple[str, ...]  # header texts naming no field (listed in the files table)
    duplicates: tuple[tuple[str, str, str], ...] = field(default=())  # (field, header used, header ignored)


def read_layout(cells: pd.DataFrame, header_row: int, codebook: Codebook) -> Layout:
    """Map the header's cells to fields: the first cell naming a field wins; unknown headers are listed.

    A two-row header (a merged group cell such as 父母外出情况 above 父亲状况 | 母亲状况) is read too: where
    the header cell is empty or names no field, the cell below it may name the field, provided that row is
    not a person (its name and ID cells are empty). That row stays an input row and is skipped by the rules.
    """
    texts = cells.iloc[header_row]
    fields = header_fields(cells.iloc[[header_row]], codebook).iloc[0]
    columns: dict[str, int] = {}
    duplicates: list[tuple[str, str, str]] = []
    for position, (text, name) in enumerate(zip(texts, fields, strict=True)):  # the header's cells: bounded
        if pd.isna(name):
            continue
        if name in columns:
            duplicates.append((str(name), str(texts.iloc[columns[name]]), str(text)))
        else:
            columns[str(name)] = position
    if header_row + 1 < len(cells):
        below = cells.iloc[header_row + 1]
        below_fields = header_fields(cells.iloc[[header_row + 1]], codebook).iloc[0]
        is_person = any(pd.notna(below.iloc[columns[f]]) and str(below.iloc[columns[f]]).strip()
                        for f in IDENTITY_FIELDS if f in columns)  # fmt: skip
        if not is_person:
            for position, (above, name) in enumerate(zip(fields, below_fields, strict=True)):
                if pd.notna(name) and pd.isna(above) and name not in columns:
                    columns[str(name)] = position
    mapped = set(columns.values())
    unknown = tuple(
        str(text).strip()
        for col, (text, name) in enumerate(zip(texts, fields, strict=True))
        if pd.notna(text) and str(text).strip() and pd.isna(name) and col not in mapped
    )
    return Layout(header_row, columns, unknown, tuple(duplicates))


def blank_cells(column: pd.Series) -> np.ndarray:
    """True where a cell is empty or only spaces."""
    values = _arrow(column)
    return ~_mask(pc.is_valid(values)) | _mask(pc.utf8_is_space(values))


def total_cells(column: pd.Series) -> np.ndarray:
    """True where a cell contains 合计, 总计 or 小计."""
    values = _arrow(column)
    hit = _mask(pc.match_substring(values, _TOTAL_HINT))
    if hit.any():
        hit[hit] = _mask(pc.match_substring_regex(values.filter(pa.array(hit)), _TOTAL_PATTERN))
    return hit


def skip_rules(body: pd.DataFrame, columns: dict[str, int], codebook: Codebook) -> pd.Series:
    """The skip rule of each input row (``<NA>`` for a row that may be a person), first rule that applies."""
    n = len(body)
    blank = np.ones(n, dtype=bool)
    total = np.zeros(n, dtype=bool)
    note = np.ones(n, dtype=bool)
    for position, col in enumerate(body.columns):  # one vectorised pass per column
        empty = blank_cells(body[col])
        blank &= empty
        total |= total_cells(body[col])
        if position in {columns.get(f) for f in NOTE_FIELDS}:
            note &= empty
    header = header_hits(body, codebook) >= MIN_HEADER_CELLS
    code = np.select([blank, total, header, note], range(len(SKIP_RULE_ORDER)), default=-1)
    rules = pa.array(SKIP_RULE_ORDER, type=TEXT).take(pa.array(code, mask=code < 0))
    return text_series(rules, body.index)


@dataclass(frozen=True)
class SheetRows:
    """The input rows of one sheet and what was found reading it."""

    status: SheetStatus
    rows: pd.DataFrame  # RawReturn columns (empty frame unless status == "read")
    issues: list[dict[str, object]]  # the sheet's own problems (header, columns)
    unknown_columns: tuple[str, ...] = ()
    skipped: pd.DataFrame | None = None  # one info issue per skipped row (issues.Issues columns)


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


def _where(source_file: str, sheet: Sheet) -> str:
    return f"文件“{source_file}”" + (f"的工作表“{sheet.name}”" if sheet.name else "")


def sheet_rows(sheet: Sheet, source_file: str, codebook: Codebook, row_columns: list[str]) -> SheetRows:
    """Read one sheet: header, layout, input rows with their skip rule, and the sheet's issues."""
    cells = sheet.cells
    nonempty = np.flatnonzero(cells.notna().any(axis=1).to_numpy()) if cells.shape[1] else np.array([], int)
    if len(nonempty) == 0:
        return SheetRows("empty", pd.DataFrame(columns=row_columns), [])
    header_row = find_header(cells, codebook)
    if header_row is None:
        detail = (
            f"{_where(source_file, sheet)}前 {HEADER_SEARCH_ROWS} 行里找不到表头（表头至少要有 {MIN_HEADER_CELLS} 个"
            "模板列名，其中包括“姓名”或“公民身份号码”），该表未读取，请按模板填写表头后重新报送"
        )
        if not sheet.name:
            detail += "；若文件不是用逗号分隔的，请另存为“CSV UTF-8（逗号分隔）”"
        problem = issue("header_not_found", source_file=source_file, source_sheet=sheet.name, detail=detail)
        return SheetRows("no_header", pd.DataFrame(columns=row_columns), [] if sheet.hidden else [problem])

    layout = read_layout(cells, header_row, codebook)
    problems: list[dict[str, object]] = []
    for name, used, ignored in layout.duplicates:
        problems.append(duplicate_column_issue(source_file, sheet.name, name, used, ignored, codebook))
    missing = [f for f in FIELDS if f not in layout.columns]
    required = [f for f in missing if f in codebook.required]
    if required:
        problems += [
            issue("required_column_missing", source_file=source_file, source_sheet=sheet.name, field=f,
                  label=codebook.headers[f])
            for f in required
        ]  # fmt: skip
        return SheetRows("missing_required", pd.DataFrame(columns=row_columns), problems, layout.unknown)
    problems += [
        issue(
            "column_missing",
            source_file=source_file,
            source_sheet=sheet.name,
            field=f,
            label=codebook.headers[f],
        )
        for f in missing
    ]

    body = cells.iloc[header_row + 1 : int(nonempty[-1]) + 1]
    rule = skip_rules(body, layout.columns, codebook)
    n = len(body)
    source_row = pd.Series(body.index.to_numpy(dtype=np.int64) + 1)
    numbers = pa.array(source_row.to_numpy()).cast(TEXT)
    prefix, nothing = pa.scalar(f"{source_file}|{sheet.name}|", TEXT), pa.scalar("", TEXT)
    row_key = text_series(pc.binary_join_element_wise(prefix, numbers, nothing))
    data: dict[str, object] = {
        "row_key": row_key,
        "source_file": constant_text(source_file, n),
        "source_sheet": constant_text(sheet.name, n),
        "source_row": source_row,
        "sheet_index": np.full(n, sheet.index, dtype=np.int64),
        "skip_rule": rule.reset_index(drop=True),
    }
    empty = constant_text(None, n)
    for name in FIELDS:
        data[name] = body[layout.columns[name]].reset_index(drop=True) if name in layout.columns else empty
    rows = pd.DataFrame({c: data[c] for c in row_columns})
    return SheetRows("read", rows, problems, layout.unknown, skip_issues(rows, body))


def duplicate_column_issue(
    source_file: str, sheet: str, name: str, used: str, ignored: str, codebook: Codebook
) -> dict[str, object]:
    """An info issue for a second header cell naming a field already named (the first one is used)."""
    detail = (
        f"“{used}”列和“{ignored}”列都是“{codebook.headers[name]}”，已采用前面的“{used}”列，后面一列未读取"
    )
    rule = "column_duplicate" if "column_duplicate" in RULES else "column_missing"
    row = issue(rule, source_file=source_file, source_sheet=sheet, field=name, value=ignored, detail=detail)
    # until issues.py has its own rule for this, the message is written here rather than by the template
    row["message"] = f"表头重复：{detail}"
    row["severity"] = "info"
    return row


def skip_issues(rows: pd.DataFrame, body: pd.DataFrame) -> pd.DataFrame:
    """One info issue per skipped row: its rule, the rule's message, and the row's first text as value.

    ``rows`` are the RawReturn rows of one sheet and ``body`` the same rows as grid cells (all columns, so
    a footer written in an unmapped column such as 序号 still shows).
    """
    skipped = rows["skip_rule"].notna().to_numpy()
    cells = body.iloc[skipped].apply(lambda c: c.str.strip().replace("", pd.NA))
    first = cells.bfill(axis=1).iloc[:, 0] if cells.shape[1] else pd.Series(pd.NA, index=cells.index)
    picked = rows[skipped]
    rule = picked["skip_rule"].astype(str)
    return pd.DataFrame(
        {
            "row_key": picked["row_key"],
            "source_file": picked["source_file"],
            "source_sheet": picked["source_sheet"],
            "source_row": picked["source_row"].astype("Int64"),
            "field": pd.array([pd.NA] * len(picked), dtype="string"),
            "rule": rule,
            "value": first.astype("string").to_numpy(),
            "severity": "info",
            "message": rule.map({code: r.message for code, r in RULES.items()}),
        }
    )
