"""How the workbooks count: places in official code order, a 合计 row, Chinese headers.

Counting conventions, the same in every workbook, the county overview and the department copies:

- a person is counted once, in the register's official township and village (``people.parquet``);
- a missing value is its own bucket, 未采集 (not collected), never merged into "no";
- every village (or township) of the register has its row, even with nothing to count.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from liushou_core.ledger import label
from liushou_core.workbooks.rundata import townships_of

NOT_COLLECTED = "未采集"


TOTAL = "合计"


ALL_VILLAGES = "全镇（乡）"


def village_order(people: pd.DataFrame) -> list[str]:
    order = people[["village_code", "village"]].drop_duplicates().sort_values("village_code")
    return [str(v) for v in order["village"]]


def place_order(people: pd.DataFrame, by: str) -> list[str]:
    return townships_of(people) if by == "township" else village_order(people)


def with_total(table: pd.DataFrame, total_label: str) -> pd.DataFrame:
    total = pd.DataFrame([table.sum(numeric_only=True)], index=pd.Index([total_label], name=table.index.name))
    return pd.concat([table, total]).astype("int64")


def pivot(
    frame: pd.DataFrame,
    row: str,
    column: str,
    rows: Sequence[str],
    columns: Sequence[str],
    value: str | None = None,
) -> pd.DataFrame:
    """Counts (or sums of ``value``) per ``row`` × ``column`` value, every row and column given kept, in order."""
    if len(frame):
        grouped = frame.groupby([row, column], observed=True)
        cells = grouped.size() if value is None else grouped[value].sum()
        table = cells.unstack(fill_value=0)
    else:
        table = pd.DataFrame()
    table = table.reindex(index=list(rows), columns=list(columns), fill_value=0).fillna(0).astype("int64")
    table.index.name, table.columns.name = None, None
    return table


def per_place(frame: pd.DataFrame, by: str, rows: Sequence[str], value: str | None = None) -> pd.Series:
    if len(frame) == 0:
        return pd.Series(0, index=list(rows), dtype="int64")
    grouped = frame.groupby(by)
    cells = grouped.size() if value is None else grouped[value].sum()
    return cells.reindex(list(rows), fill_value=0).astype("int64")


def distinct_per_place(frame: pd.DataFrame, by: str, rows: Sequence[str]) -> pd.Series:
    if len(frame) == 0:
        return pd.Series(0, index=list(rows), dtype="int64")
    return frame.groupby(by)["id_number"].nunique().reindex(list(rows), fill_value=0).astype("int64")


def finish(table: pd.DataFrame, by: str, total: str | None) -> pd.DataFrame:
    table.index = pd.Index([str(i) for i in table.index], name=label(by))
    return with_total(table, total) if total else table.astype("int64")


def labelled(frame: pd.DataFrame, columns: Sequence[str], **names: str) -> pd.DataFrame:
    """``columns`` of ``frame`` with Chinese headers (``names`` overrides a field's label)."""
    out = frame[list(columns)].reset_index(drop=True)
    return out.rename(columns={c: names.get(c) or label(c) for c in columns})
