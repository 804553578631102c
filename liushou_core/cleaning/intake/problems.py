"""What in the returns was not read, as the commands say it: one sentence per problem, naming the file (and
sheet, rows, column) and what to do.

``liushou clean`` and ``liushou run`` print these and record them (``summary.json``, ``manifest.json``); the
issues table keeps the details. Two kinds:

- ``error``: a file or a sheet was not read at all — it cannot be opened (``file_unreadable``), it has no
  header (``header_not_found``), or its header lacks a required column (``required_column_missing``);
- ``partial``: a file was read but part of it was left out or may be misplaced — a second column of the
  same name (``column_duplicate``), text in columns without a header (a ragged CSV line), CSV lines with a
  quote that has no pair, read one by one (``csv_quote_unmatched``).

Either makes the command exit with status 1, after everything else was done. A web page saved as ``.xls``
is read from its tables, hidden rows and sheets are read (``row_hidden``, ``sheet_hidden``), a township is
taken from a title or file name (``township_inferred``): each is said as a ``note`` (the exit status is
not affected).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

from liushou_core.cleaning.intake.table import OUTSIDE_HEADER_RULE
from liushou_core.values.codebook import load_codebook

ProblemKind = Literal["error", "partial", "note"]
#: Rules of the issues that stop a whole file or sheet from being read.
UNREAD_RULES = ("file_unreadable", "header_not_found", "required_column_missing")
#: Row numbers quoted in one sentence; the issues table and the problem lists have them all.
ROWS_QUOTED = 10


@dataclass(frozen=True)
class InputProblem:
    """One problem with the returns, for people: ``message`` is a whole sentence naming where it is."""

    kind: ProblemKind
    source_file: str
    source_sheet: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def where(source_file: str, source_sheet: object = None) -> str:
    """``文件“F”`` or ``文件“F”的工作表“S”`` (a CSV or web page has no sheet name)."""
    sheet = _text(source_sheet) or ""
    return f"文件“{source_file}”" + (f"的工作表“{sheet}”" if sheet else "")


def input_problems(issues: pd.DataFrame, files: pd.DataFrame | None = None) -> list[InputProblem]:
    """The problems with the returns among a cleaning's issues (and files table), errors first, each group
    in file order."""
    issues = issues.sort_values(["source_file"], kind="stable")
    without_row = issues["row_key"].isna()
    out = _unread(issues[without_row & issues["rule"].isin(UNREAD_RULES)])
    out += _duplicate_columns(issues[without_row & issues["rule"].eq("column_duplicate")])
    outside = issues["rule"].eq(OUTSIDE_HEADER_RULE) & ~without_row
    out += _outside_header(issues[outside])
    for rule, (kind, sentence) in ROW_SENTENCES.items():
        out += _flagged_rows(issues[issues["rule"].eq(rule) & ~without_row], kind, sentence)
    noted = issues[without_row & issues["rule"].isin(["sheet_hidden", "township_inferred"])]
    for _, row in noted.iterrows():  # one per sheet: bounded by the inputs
        file, sheet = str(row["source_file"]), _sheet(row)
        out.append(InputProblem("note", file, sheet, f"{where(file, sheet)}{_noted(row)}"))
    if files is not None and "kind" in files:
        pages = files[files["kind"].eq("html") & files["status"].eq("ok")].sort_values("source_file")
        out += [
            InputProblem(
                "note",
                str(f),
                None,
                f"{where(str(f))}实际上是网页，已读取其中的表格（{n} 行）；行号按网页表格的行数计，"
                "网页表格以外的文字没有读取。建议在 Excel 或 WPS 中打开核对后另存为 .xlsx",
            )
            for f, n in zip(pages["source_file"], pages["rows_in"], strict=True)
        ]
    order = {"error": 0, "partial": 1, "note": 2}
    return sorted(out, key=lambda p: order[p.kind])  # stable: file order kept within a kind


def _unread(issues: pd.DataFrame) -> list[InputProblem]:
    """One sentence per unread file or sheet (the required columns a sheet lacks named together)."""
    out: list[InputProblem] = []
    missing = issues["rule"].eq("required_column_missing")
    for _, row in issues[~missing].iterrows():  # one per unread file or sheet: bounded by the inputs
        out.append(InputProblem("error", str(row["source_file"]), _sheet(row), str(row["message"])))
    keys = ["source_file", "source_sheet"]
    headers = load_codebook().headers
    for (file, sheet), group in issues[missing].groupby(keys, sort=False, dropna=False):
        labels = "、".join(f"“{headers.get(str(f), str(f))}”" for f in group["field"])
        message = f"{where(str(file), sheet)}缺少必填列{labels}，该表没有读取，请按模板补上后重新报送"
        out.append(InputProblem("error", str(file), _text(sheet), message))
    return out


def _duplicate_columns(issues: pd.DataFrame) -> list[InputProblem]:
    return [
        InputProblem(
            "partial",
            str(row["source_file"]),
            _sheet(row),
            f"{where(str(row['source_file']), row['source_sheet'])}{row['message']}",
        )
        for _, row in issues.iterrows()  # one per duplicated header cell: bounded by the inputs' headers
    ]


def _outside_header(issues: pd.DataFrame) -> list[InputProblem]:
    out: list[InputProblem] = []
    keys = ["source_file", "source_sheet"]
    for (file, sheet), group in issues.groupby(keys, sort=False, dropna=False):  # per sheet
        # each row's message starts with the column it names ("J 列没有表头…", table.outside_header_issues)
        letters = group["message"].str.extract(r"^([A-Z]+) 列", expand=False).dropna().unique()
        columns = "、".join(sorted(map(str, letters), key=lambda c: (len(c), c)))
        message = (
            f"{where(str(file), sheet)}{_rows(group)}在没有表头的列（{columns} 列）里有内容，"
            "这些内容没有读取；"
            "请核对这些行是否因单元格里的逗号或多余的单元格而错位（详见问题数据清单）"
        )
        out.append(InputProblem("partial", str(file), _text(sheet), message))
    return out


#: Rules of rows read but flagged: the kind of problem and what one sentence about a sheet's rows says.
ROW_SENTENCES: dict[str, tuple[ProblemKind, str]] = {
    "csv_quote_unmatched": (
        "partial",
        '有没有配对的英文双引号（"），为免吞掉下面的行已逐行读取，这些行的各列可能错位；请核对后更正',
    ),
    "row_hidden": (
        "note",
        "在 Excel 中被隐藏，已照常读取；如果是要删除的人员，请删除这些行（不要只隐藏）后重新报送",
    ),
}


def _flagged_rows(issues: pd.DataFrame, kind: ProblemKind, sentence: str) -> list[InputProblem]:
    out: list[InputProblem] = []
    keys = ["source_file", "source_sheet"]
    for (file, sheet), group in issues.groupby(keys, sort=False, dropna=False):  # per sheet
        message = f"{where(str(file), sheet)}{_rows(group)}{sentence}"
        out.append(InputProblem(kind, str(file), _text(sheet), message))
    return out


def _rows(group: pd.DataFrame) -> str:
    """``第 4、7 行`` (the first :data:`ROWS_QUOTED`, and how many in all when there are more)."""
    rows = [str(r) for r in group["source_row"].head(ROWS_QUOTED)]
    more = f"等 {len(group)} 行" if len(group) > ROWS_QUOTED else ""
    return f"第 {'、'.join(rows)} 行{more}"


def _noted(row: pd.Series) -> str:
    if row["rule"] == "township_inferred":
        return (
            f"没有“镇（乡）”列，已按{row['message'].split('已按', 1)[-1]}；"
            "请核对，并在以后的报表中按模板加上“镇（乡）”列"
        )
    return str(row["message"]).removeprefix(where(str(row["source_file"]), _sheet(row)))


def _sheet(row: pd.Series) -> str | None:
    return _text(row["source_sheet"])


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None  # <NA>, NaN or None: no sheet


def format_problems(problems: list[InputProblem], limit: int = 30) -> list[str]:
    """The lines a command prints: ``错误：…`` / ``未读全：…`` / ``提示：…``, at most ``limit`` of them."""
    label = {"error": "错误", "partial": "未读全", "note": "提示"}
    lines = [f"{label[p.kind]}：{p.message}" for p in problems[:limit]]
    if len(problems) > limit:
        lines.append(
            f"……另有 {len(problems) - limit} 个问题，详见输出文件夹中的 issues.parquet 和问题数据清单"
        )
    return lines


def blocking(problems: list[InputProblem]) -> bool:
    """True when some part of the returns was not read (the command then exits with status 1)."""
    return any(p.kind != "note" for p in problems)
