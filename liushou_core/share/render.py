"""Rendering a department copy: self-contained HTML pages and Excel ledgers from masked tables.

A page (the county's ``index.html``, or one township's) is a list of :class:`Block`: one masked table with
its title, note, optional chart and the documents it applies. The HTML carries everything inline (one
stylesheet, charts as PNG data URIs) and links nothing outside the bundle, so it opens on an offline
intranet; all text is escaped. The Excel ledger of a page is written by :func:`liushou_core.ledger.write_ledger`
like every ledger of the workbench (formula-like text stays text, IDs and phones are text), with the cover
as its first sheet.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import pandas as pd

from liushou_core.ledger import label, write_ledger
from liushou_core.share.masking import ID_COLUMNS, PHONE_COLUMNS
from liushou_core.workbooks.display import FIRST_ROWS, PAGE_ROWS

#: Integer columns that are not counts or money: never summed in a ledger's 合计 row.
_NOT_ADDITIVE = {label("age"), label("interval_days"), label("days_overdue"), "走访周期（天）"}
_TEXT_COLUMNS = tuple(label(c) for c in (*ID_COLUMNS, *PHONE_COLUMNS))
#: Columns dropped from a summary before it is drawn: totals, money and other non-count columns.
_NOT_CHARTED = ("合计", "（元", "涉及", "周期")

COVER_SHEET = "说明"
#: Text columns no longer than this (characters) are kept on one line.
_SHORT_TEXT = 20


@dataclass(frozen=True)
class Block:
    """One table of a page, masked and with Chinese headers.

    ``shown`` is what the HTML shows (a summary with its 合计 row); ``ledger`` what the Excel sheet holds
    (without it: the ledger adds a live 合计 row); ``chart`` a PNG or None.
    """

    section: str
    title: str
    note: str
    shown: pd.DataFrame
    ledger: pd.DataFrame
    kind: str  # summary | list
    unit: str | None = None
    chart: bytes | None = None
    footers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    """A page of a department copy: a title, the cover's lines, the section notes and the blocks."""

    title: str
    cover: tuple[tuple[str, str], ...]
    notice: str
    blocks: tuple[Block, ...]
    section_notes: Mapping[str, str] = field(default_factory=dict)
    links: tuple[tuple[str, str], ...] = ()  # (text, relative href) of the county page's township pages
    back: str | None = None  # relative href of the cover page, on a township page
    ledger: str | None = None  # relative href of the page's own Excel ledger


def chart_png(table: pd.DataFrame, title: str) -> bytes | None:
    """A summary drawn as horizontal stacked bars (one bar per place, one segment per count column), as PNG.

    None when there is nothing to draw (no place or no count column).
    """
    from liushou_core.workbooks import plots

    counts = table[[c for c in table.columns if not any(w in str(c) for w in _NOT_CHARTED)]]
    counts = counts.select_dtypes("number")
    if counts.empty or len(counts.columns) == 0:
        return None
    import seaborn as sns

    plots.setup_theme()
    # One distinct colour per segment (the theme's cycle has only the three category colours).
    palette = sns.color_palette("deep", max(len(counts.columns), 3)).as_hex()
    colors = {str(c): plots.CATEGORY_COLORS.get(str(c), palette[i]) for i, c in enumerate(counts.columns)}
    colors.update(plots.ordered_colors(counts.columns))  # 高/差 red … 低/较好 green, 未采集 grey
    fig = plots.stacked_bars(counts, title=title, colors=colors)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------- HTML

_CSS = """
body { font-family: "Noto Sans SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", sans-serif;
       margin: 2em auto; max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #4C72B0; padding-bottom: .2em; margin-top: 2em; }
h3 { margin-top: 1.5em; }
table { border-collapse: collapse; font-size: 13px; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 6px; }
th { background: #DDEBF7; }
td.num { text-align: right; }
table.cover th { text-align: left; width: 9em; vertical-align: top; }
.notice { border: 2px solid #C00000; background: #FDECEA; padding: .6em 1em; margin: 1em 0; }
.note { color: #444; } .refs { color: #666; font-size: 12px; }
img { max-width: 100%; }
td { text-align: left; } td.num { text-align: right; } td.nw { white-space: nowrap; }
p.nav a { margin-right: 1.5em; }
@media print {
  p.nav { display: none; } a { color: inherit; text-decoration: none; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  tr { break-inside: avoid; page-break-inside: avoid; } thead { display: table-header-group; }
}
"""


def _escaped(text: pd.Series) -> pd.Series:
    return (
        text.str.replace("&", "&amp;", regex=False)
        .str.replace("<", "&lt;", regex=False)
        .str.replace(">", "&gt;", regex=False)
        .str.replace('"', "&quot;", regex=False)
        .str.replace("'", "&#x27;", regex=False)
    )


def _cells(s: pd.Series) -> pd.Series:
    """One column as ``<td>`` elements: numbers right-aligned with thousands separators, dates ISO, blanks empty."""
    if pd.api.types.is_bool_dtype(s):
        text = s.astype("boolean").map({True: "是", False: "否"}).astype("string")
    elif pd.api.types.is_numeric_dtype(s):
        numbers = s.astype("Float64")
        whole = (numbers.round() == numbers).all()
        text = numbers.map(lambda v: f"{v:,.0f}" if whole else f"{v:,.2f}", na_action="ignore").astype(
            "string"
        )
        return ("<td class='num'>" + text.fillna("") + "</td>").astype("string")
    elif pd.api.types.is_datetime64_any_dtype(s):
        text = s.dt.strftime("%Y-%m-%d").astype("string")
    else:
        text = s.astype("string")
    # Names, villages and codes stay on one line (a squeezed table broke names one character per line);
    # only long texts (详情、说明) wrap.
    short = bool(text.str.len().fillna(0).max() <= _SHORT_TEXT) if len(text) else True
    cell = "<td class='nw'>" if short else "<td>"
    return (cell + _escaped(text.fillna("")) + "</td>").astype("string")


def table_html(frame: pd.DataFrame) -> str:
    """A table as escaped HTML: one header row, numbers right-aligned with thousands separators."""
    if len(frame) == 0:
        return "<p>（无）</p>"
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    flat = frame.reset_index(drop=True)
    rows = pd.Series("<tr>", index=flat.index, dtype="string")
    for c in range(flat.shape[1]):  # per column: the cells of a column are formatted together
        rows = rows + _cells(flat.iloc[:, c])
    body = "</tr>".join(rows.tolist()) + "</tr>"
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _long_list_html(frame: pd.DataFrame) -> str:
    """A list too long for a page: its rows per village and its first rows; the Excel file has them all."""
    parts = [
        f"<p class='note'><b>共 {len(frame):,} 行，网页只列出前 {FIRST_ROWS} 行；完整名单见本页的 Excel 文件。</b></p>"
    ]
    village = label("village")
    if village in frame.columns:
        counts = frame.groupby(frame[village].astype("string").fillna("（未填）"), sort=False).size()
        parts.append(table_html(counts.rename_axis(village).reset_index(name="行数")))
    parts.append(table_html(frame.head(FIRST_ROWS)))
    return "".join(parts)


def _cover_html(page: Page) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in page.cover)
    return f"<table class='cover'>{rows}</table><div class='notice'>{escape(page.notice)}</div>"


def page_html(page: Page) -> str:
    """The whole page as one self-contained HTML document (Chinese, no script, no remote resource)."""
    parts = [f"<h1>{escape(page.title)}</h1>"]
    nav = []
    if page.back:
        nav.append(f"<a href='{escape(page.back, quote=True)}'>← 返回封面和全县汇总</a>")
    if page.ledger:
        nav.append(f"<a href='{escape(page.ledger, quote=True)}'>本页表格的 Excel 文件</a>")
    if nav:
        parts.append(f"<p class='nav'>{'　'.join(nav)}</p>")
    parts.append(_cover_html(page))
    sections = list(dict.fromkeys(b.section for b in page.blocks))
    numerals = "一二三四五六七八九十"
    if sections or page.links:
        items = "".join(
            f"<li><a href='#section-{n + 1}'>{escape(s)}</a></li>" for n, s in enumerate(sections)
        )
        if page.links:
            items += "<li><a href='#townships'>各镇（乡）明细</a></li>"
        parts.append(f"<h2>目录</h2><ol>{items}</ol>")
    for n, section in enumerate(sections):
        mark = numerals[n] if n < len(numerals) else str(n + 1)
        parts.append(f"<h2 id='section-{n + 1}'>{mark}、{escape(section)}</h2>")
        if page.section_notes.get(section):
            parts.append(f"<p class='note'>{escape(page.section_notes[section])}</p>")
        for b in (b for b in page.blocks if b.section == section):
            parts.append(f"<h3>{escape(b.title)}</h3><p class='note'>{escape(b.note)}</p>")
            if b.chart:
                data = base64.b64encode(b.chart).decode("ascii")
                parts.append(
                    f"<p><img alt='{escape(b.title, quote=True)}' src='data:image/png;base64,{data}'></p>"
                )
            parts.append(_long_list_html(b.shown) if len(b.shown) > PAGE_ROWS else table_html(b.shown))
            if b.footers:
                parts.append("".join(f"<p class='refs'>{escape(line)}</p>" for line in b.footers))
    if page.links:
        items = "".join(
            f"<li><a href='{escape(href, quote=True)}'>{escape(text)}</a></li>" for text, href in page.links
        )
        parts.append(f"<h2 id='townships'>各镇（乡）明细</h2><ul>{items}</ul>")
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'>"
        f"<title>{escape(page.title)}</title><style>{_CSS}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


# --------------------------------------------------------------------------------------------------- Excel


def _unique_names(blocks: Sequence[Block]) -> list[str]:
    names: list[str] = [COVER_SHEET]
    for b in blocks:
        name, n = b.title, 2
        while name in names:
            name, n = f"{b.title}({n})", n + 1
        names.append(name)
    return names[1:]


def write_page_ledger(page: Page, path: Path) -> Path:
    """The page's tables as one Excel ledger: the cover sheet, then one sheet per table."""
    names = _unique_names(page.blocks)
    cover = pd.DataFrame(list(page.cover) + [("使用要求", page.notice)], columns=["项目", "内容"])
    sheets: dict[str, pd.DataFrame] = {COVER_SHEET: cover}
    sheets.update({name: b.ledger for name, b in zip(names, page.blocks, strict=True)})
    integer_columns = {
        str(c) for df in sheets.values() for c in df.columns if pd.api.types.is_integer_dtype(df[c])
    }
    return write_ledger(
        path,
        sheets,
        titles={COVER_SHEET: page.title, **{n: f"{page.title}：{n}" for n in names}},
        money_columns=sorted(c for c in integer_columns if "（元" in c),
        sum_columns=sorted(integer_columns - _NOT_ADDITIVE),
        text_columns=_TEXT_COLUMNS,
        total_row={COVER_SHEET: False, **{n: True for n in names}},
        footers={n: list(b.footers) for n, b in zip(names, page.blocks, strict=True)},
        row_unit={COVER_SHEET: None, **{n: b.unit for n, b in zip(names, page.blocks, strict=True)}},
    )


__all__ = ["COVER_SHEET", "Block", "Page", "chart_png", "page_html", "table_html", "write_page_ledger"]
