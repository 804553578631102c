"""How the notebooks show things: a workbook's title, tables (one header row, every row, Chinese text from
the left) and the population pyramid."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from IPython.display import HTML, Markdown

from liushou_core.values.periods import month_label
from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.escaping import escaped_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from pandas.io.formats.style import Styler


def heading(
    title: str,
    township: str | None = None,
    reference_date: str | None = None,
    sections: AssistanceSections | None = None,
) -> Markdown:
    """A workbook's title as Markdown (shown by the notebook): place, title and reference date; with
    ``sections``, also the payroll month, the school term and the checking date the rules ran for."""
    place = f"{township} " if township else ""
    facts = [f"认定基准日：{reference_date}"] if reference_date else []
    if sections is not None:
        facts += [
            f"高龄补贴发放月份：{month_label(sections.month)}",
            f"教育救助学期：{sections.term_label}",
            f"监护、走访与转介核查日：{sections.as_of.isoformat()}",
        ]
    when = "\n\n" + "　｜　".join(facts) if facts else ""
    return Markdown(f"# {place}{title}{when}")


#: The most rows a page shows in one table. A longer list (a township's register, a payroll) is shown as
#: its count by village and its first :data:`FIRST_ROWS` rows; the whole list is in the Excel ledger, where
#: it can be filtered, sorted and printed. 3,857 register rows made 237 printed pages nobody reads.
PAGE_ROWS = 500
FIRST_ROWS = 100
_VILLAGE_COLUMNS = ("village", "村（社区）")


#: Text columns no longer than this (characters) are kept on one line in a table.
SHORT_TEXT = 20


def show(table: pd.DataFrame, *, index: bool = False) -> Styler | HTML | Markdown:
    """A table for the notebook: one header row, thousands separators, dates as YYYY-MM-DD, every row.

    With ``index`` the row labels (村、镇、项目…) become the first column; otherwise row numbers are hidden.
    An empty list is shown as “（无）”.
    """
    flat = table.reset_index() if index else table
    if len(flat) == 0:
        return Markdown("（无）")
    if len(flat) > PAGE_ROWS:
        return long_list(flat)
    return styled(flat)


def long_list(flat: pd.DataFrame) -> HTML:
    """A list too long for a page: its rows per village, then its first rows; the rest is in the ledger."""
    parts = [
        f"<p><b>共 {len(flat):,} 行，网页只列出前 {FIRST_ROWS} 行；完整名单见本工作簿的 Excel 台账</b>"
        "（可筛选、排序、打印）。</p>"
    ]
    village = next((c for c in _VILLAGE_COLUMNS if c in flat.columns), None)
    if village is not None:
        by_village = flat.groupby(flat[village].astype("string").fillna("（未填）"), sort=False).size()
        summary = by_village.rename_axis("村（社区）").reset_index(name="行数")
        parts.append(styled(summary).to_html())
    parts.append(styled(flat.head(FIRST_ROWS)).to_html())
    return HTML("\n".join(parts))


def styled(flat: pd.DataFrame) -> Styler:
    """A table styled for reading (:func:`show` shortens a long one first)."""
    dates = [c for c in flat.columns if pd.api.types.is_datetime64_any_dtype(flat[c])]
    text = [c for c in flat.columns if not pd.api.types.is_numeric_dtype(flat[c])]
    # Names, villages and short codes stay on one line; only long texts (说明, 详情…) wrap.
    short = [
        c for c in text if c in dates or flat[c].astype("string").str.len().fillna(0).max() <= SHORT_TEXT
    ]
    style = escaped_style(flat, date_columns=dates)  # data is text, never markup
    # One CSS rule per column, not one per cell (Styler.set_properties): a 346-row list was 400 kB of
    # HTML, most of it per-cell rules, and took 0.7 s to render in every notebook.
    left = "text-align: left"  # Chinese text reads from the left
    rules = {
        c: [{"selector": "th", "props": left}, {"selector": "td", "props": left}]
        + ([{"selector": "td", "props": "white-space: nowrap"}] if c in short else [])
        for c in text
    }
    return style.set_table_styles(rules).hide(axis="index")


def pyramid(people: pd.DataFrame, place: str) -> Figure:
    """The population pyramid of a county or township register."""
    # matplotlib is imported when a chart is drawn: the ledgers and the department copies draw none here
    from liushou_core.workbooks.plots import population_pyramid

    return population_pyramid(people, title=f"{place}三留守人员年龄、性别结构")
