"""Rows and sheets a return marks in ways a person may not see: hidden rows, hidden sheets, CSV lines with a
quote that has no pair.

They are read like any other (nobody is dropped because Excel hides them), and each is reported: a township
that hides rows to "delete" people is told to delete them; a line whose quote was left open is read on its
own, and the cadre is asked to check it. A hidden sheet with people on it but no header the template knows is
an error like a visible one; a hidden sheet with nothing that looks like a person (a list of choices for a
drop-down) is mentioned, not an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from liushou_core.cleaning.intake.sheets import Sheet, constant_text
from liushou_core.issues import ISSUE_COLUMNS, RULES

#: An 18-character ID (or 15 digits) anywhere in a cell: a sheet holding one holds people.
_ID_LIKE = r"(^|[^0-9])([0-9]{17}[0-9Xx]|[0-9]{15})([^0-9]|$)"


def holds_ids(sheet: Sheet) -> bool:
    """True when some cell of the sheet holds something shaped like an ID number."""
    for column in sheet.cells.columns:  # one vectorised pass per column
        values = pa.array(sheet.cells[column].array)
        if pc.any(pc.match_substring_regex(values, _ID_LIKE)).as_py():
            return True
    return False


def where(source_file: str, sheet: Sheet) -> str:
    return f"文件“{source_file}”" + (f"的工作表“{sheet.name}”" if sheet.name else "")


def hidden_sheet_detail(source_file: str, sheet: Sheet, *, read: bool) -> str:
    if read:
        return (
            f"{where(source_file, sheet)}是隐藏的工作表，其中的人员已照常读取；"
            "如果这张表是不要的，请删除它（不要只隐藏）后重新报送"
        )
    return f"{where(source_file, sheet)}是隐藏的工作表，里面没有人员信息，没有读取"


def flagged_row_issues(rows: pd.DataFrame, codes: np.ndarray, sheet: Sheet) -> pd.DataFrame:
    """A warning for each input row that is not skipped and that the sheet hides, or whose CSV line has a
    quote without its pair (issues table columns)."""
    frames = [
        _row_issues(rows, codes, np.asarray(numbers, dtype=np.int64), rule)
        for numbers, rule in (
            (sheet.hidden_rows, "row_hidden"),
            (_quote_rows(rows, sheet), "csv_quote_unmatched"),
        )
        if len(numbers)
    ]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ISSUE_COLUMNS)


def _quote_rows(rows: pd.DataFrame, sheet: Sheet) -> np.ndarray:
    """The row numbers (as a person sees them) of the grid rows whose line had an unmatched quote."""
    if not sheet.unmatched_quotes:
        return np.zeros(0, dtype=np.int64)
    grid_rows = np.asarray(sheet.unmatched_quotes, dtype=np.int64)
    return sheet.row_numbers[grid_rows] if sheet.row_numbers is not None else grid_rows + 1


def _row_issues(rows: pd.DataFrame, codes: np.ndarray, numbers: np.ndarray, rule: str) -> pd.DataFrame:
    picked = rows[np.isin(rows["source_row"].to_numpy(), numbers) & (codes < 0)]
    n = len(picked)
    return pd.DataFrame(
        {
            "row_key": picked["row_key"].array,
            "source_file": picked["source_file"].array,
            "source_sheet": picked["source_sheet"].array,
            "source_row": picked["source_row"].astype("Int64").array,
            "field": constant_text(None, n).array,
            "rule": constant_text(rule, n).array,
            "value": picked["name"].array,
            "severity": constant_text(RULES[rule].severity, n).array,
            "message": constant_text(RULES[rule].message, n).array,
        }
    )
