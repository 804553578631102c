"""The head of every internal workbook page: who may see it, which run, and links around the run.

A workbook's HTML (exported by :mod:`liushou_core.batch.execute`) starts with

- the notice 「内部资料，含个人信息，不得外传」, the run's description and when the page was made
  (:func:`liushou_core.batch.frontpage.internal_mark`);
- links back to the run's front page (``RUN/index.html``), to this workbook's Excel ledger, to the sibling
  workbook of the same township (HTML and Excel) and to the township's 问题数据清单;
- a table of contents whose entries jump to the page's sections.

Everything is worked out from the notebook's own parameters (``run_dir``, ``township``) and the file's place
in the run folder; links are relative, so the run folder can be moved whole. Shown parameters lose their
machine paths: the run folder is named by its description, other folders relative to it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from html import escape, unescape
from pathlib import Path
from typing import Any

from liushou_core.batch.frontpage import FRONT_PAGE, PROBLEM_LISTS, internal_mark, link, relative_href
from liushou_core.paths import safe_name

#: Township workbooks that are each other's siblings (same folder), with their titles.
SIBLINGS: dict[str, str] = {"investigation": "摸排工作簿", "assistance": "帮扶救助工作簿"}
TOC_MARKER = "<div id='liushou-toc'></div>"
#: Parameters that are plumbing between the batch and the notebook, not facts about the workbook.
_HIDDEN_PARAMETERS = ("run_dir", "out_dir")

NAV_CSS = """
  .liushou-mark { border: 2px solid #C00000; background: #FDECEA; color: #600000; padding: .5em 1em;
                  margin: .5em 0; }
  .liushou-nav a { margin-right: 1.2em; }
  .liushou-toc ol { columns: 2; margin: .3em 0 1em; }
  @media print { .liushou-nav, .liushou-toc { display: none; } .liushou-mark { border-width: 1px; } }
"""


def run_description(run_dir: Path) -> str:
    """The run's description from its manifest (``description:`` of the run file), or ``""``."""
    try:
        data = json.loads((Path(run_dir) / "manifest.json").read_text(encoding="utf-8"))
        return str((data.get("config") or {}).get("description") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def page_head(html: Path, params: Mapping[str, Any], *, generated: dt.datetime | None = None) -> str:
    """The notice, the links and the table-of-contents placeholder for the workbook page ``html``."""
    html = Path(html)
    page_dir = html.parent
    kind = html.stem
    run_dir = Path(str(params.get("run_dir") or page_dir))
    moment = generated or dt.datetime.now().astimezone()
    links = [link("← 运行首页", relative_href(run_dir / FRONT_PAGE, page_dir))]
    ledger = html.with_suffix(".xlsx")
    links.append(link("本工作簿的 Excel 台账", ledger.name))
    if kind in SIBLINGS:
        for other, title in SIBLINGS.items():
            if other != kind:
                links.append(link(f"{title}（网页）", f"{other}.html"))
                links.append(link(f"{title}（Excel）", f"{other}.xlsx"))
    township = str(params.get("township") or "")
    if township:
        problems = run_dir / PROBLEM_LISTS / f"{safe_name(township)}_问题数据清单.xlsx"
        if problems.is_file():
            links.append(link("问题数据清单（Excel）", relative_href(problems, page_dir)))
    mark = internal_mark(run_description(run_dir), moment).replace("class='mark'", "class='liushou-mark'")
    return f"{mark}<p class='liushou-nav'>{''.join(links)}</p>{TOC_MARKER}"


_HEADING = re.compile(r"<h2(\s[^>]*)?>(.*?)</h2>", re.S)
_ID = re.compile(r"\bid=[\"']([^\"']+)[\"']")
_TAGS = re.compile(r"<[^>]+>")
_MARKER = re.compile(r"<div id=[\"']liushou-toc[\"']>\s*</div>")


def with_toc(body: str) -> str:
    """Give every ``<h2>`` of the exported page an anchor and fill the placeholder with links to them."""
    entries: list[str] = []

    def anchor(match: re.Match[str]) -> str:
        attrs, inner = match.group(1) or "", match.group(2)
        found = _ID.search(attrs)
        name = found.group(1) if found else f"section-{len(entries) + 1}"
        text = unescape(_TAGS.sub("", inner)).strip().rstrip("¶").strip()
        entries.append(f"<li><a href='#{escape(name, quote=True)}'>{escape(text)}</a></li>")
        return match.group(0) if found else f"<h2 id='{name}'{attrs}>{inner}</h2>"

    body = _HEADING.sub(anchor, body)
    toc = f"<nav class='liushou-toc'><b>目录</b><ol>{''.join(entries)}</ol></nav>" if entries else ""
    return _MARKER.sub(lambda _m: toc, body, count=1)


def shown_parameters(params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as readers see them: no plumbing folders, the previous round by its folder name."""
    shown = {k: v for k, v in params.items() if k not in _HIDDEN_PARAMETERS}
    if shown.get("previous_run"):
        shown["previous_run"] = Path(str(shown["previous_run"])).name
    return shown


__all__ = ["NAV_CSS", "SIBLINGS", "page_head", "run_description", "shown_parameters", "with_toc"]
