"""``RUN/index.html``: the front page of a run, the one page a statistician opens first.

It says what the run is (description, reference date, payroll month, when it ran, from which returns, with
their checksums), gives the headline numbers, and links every page of the run: each township's workbooks
(HTML and Excel) and problem list, the county overview, the payroll and the department copies when they
exist. It is rendered from ``manifest.json`` and ``clean/summary.json`` only, after the batch (and again
after ``liushou share``), so it always describes what is on disk.

The page is internal: it is marked 「内部资料，含个人信息，不得外传」 with the run's description and the time it
was generated, like every internal page (:func:`internal_mark`). It is self-contained (one inline
stylesheet, no script, no remote resource), every text from data is escaped, and every link is relative to
the run folder, so the folder can be copied or moved whole.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from liushou_core.atomic import write_text
from liushou_core.batch.manifest import FAILED, OK, RUNNING, TIMEOUT, Manifest, read_manifest
from liushou_core.errors import LiushouError
from liushou_core.parameters import assumption_table, load_parameters
from liushou_core.paths import safe_name, shared_dir
from liushou_core.runfolder import CHANGES_KIND, CHANGES_TITLE, COUNTY_KIND, COUNTY_TITLE, NOTEBOOK_KINDS

FRONT_PAGE = "index.html"
INTERNAL_MARK = "内部资料，含个人信息，不得外传"
#: Titles of the notebooks a run makes, by kind (as ``liushou run`` names them).
#: Each notebook kind's Chinese title, in the order the front page shows them (the titles are runfolder's).
KIND_TITLES: dict[str, str] = {**NOTEBOOK_KINDS, CHANGES_KIND: CHANGES_TITLE, COUNTY_KIND: COUNTY_TITLE}
STATUS_LABELS = {OK: "完成", FAILED: "失败", TIMEOUT: "超时", RUNNING: "未完成"}
PROBLEM_LISTS = "clean/问题数据清单"
#: Where ``liushou payroll`` output is looked for, relative to the run (``make demo`` writes it there).
PAYROLL_DIRS = ("payroll", "rules")
CATEGORIES = ("留守儿童", "留守妇女", "留守老人")

PAGE_CSS = """
body { font-family: "Noto Sans SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", sans-serif;
       margin: 1.5em auto; max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { border-bottom: 2px solid #4C72B0; padding-bottom: .2em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 14px; margin: .5em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #DDEBF7; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { white-space: nowrap; }
.mark { border: 2px solid #C00000; background: #FDECEA; color: #600000; padding: .5em 1em; margin: .5em 0 1em; }
.mark b { font-size: 1.05em; }
.failed { color: #C00000; font-weight: bold; }
.hash { font-family: monospace; font-size: 12px; color: #555; word-break: break-all; }
nav.toc ol { margin: .3em 0; } nav.toc li { display: inline; margin-right: 1.2em; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  a { color: inherit; text-decoration: none; }
  nav.toc { display: none; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  table { break-inside: auto; } tr { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .mark { border-width: 1px; }
}
"""


def internal_mark(description: str, generated: dt.datetime) -> str:
    """The notice every internal page carries: who may see it, which run it is from, when it was made."""
    what = f"　运行：{escape(description)}" if description else ""
    return f"<div class='mark'><b>{INTERNAL_MARK}</b>{what}　生成时间：{escape(local_time(generated))}</div>"


def local_time(moment: dt.datetime | str) -> str:
    """``2018-01-05 14:03`` in the machine's time zone (a manifest's ISO times are UTC)."""
    if isinstance(moment, str):
        if not moment:
            return "—"
        try:
            return dt.datetime.fromisoformat(moment).astimezone().strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return moment
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class RunFiles:
    """What of a run is on disk, as paths relative to the run folder (``/`` separators)."""

    present: frozenset[str]
    payroll: tuple[str, ...] = ()
    shares: tuple[tuple[str, str], ...] = ()  # (department, href of its index.html)

    def has(self, path: str) -> bool:
        return path in self.present


def scan_run(run_dir: Path) -> RunFiles:
    """The files of the run folder, the payroll ledgers in it, and the department copies beside it."""
    run_dir = Path(run_dir)
    present = frozenset(
        p.relative_to(run_dir).as_posix()
        for p in run_dir.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(run_dir).parts)
    )
    payroll = tuple(sorted(p for p in present if p.split("/")[0] in PAYROLL_DIRS and p.endswith(".xlsx")))
    shares = []
    copies = shared_dir(run_dir)
    for record in sorted(copies.glob("*/bundle.json")):
        try:
            department = str(json.loads(record.read_text(encoding="utf-8")).get("department") or "")
        except (OSError, ValueError, AttributeError):
            continue
        page = record.parent / FRONT_PAGE
        if department and page.is_file():
            shares.append((department, relative_href(page, run_dir)))
    return RunFiles(present=present, payroll=payroll, shares=tuple(shares))


def link(text: str, href: str) -> str:
    """``<a>`` to a relative path: escaped, and ``%``, ``#``, ``?`` of file names kept out of the URL syntax."""
    url = href.replace("%", "%25").replace("#", "%23").replace("?", "%3F")
    return f"<a href='{escape(url, quote=True)}'>{escape(text)}</a>"


def relative_href(target: Path, base_dir: Path) -> str:
    """The path from ``base_dir`` to ``target`` with ``/`` separators (may climb with ``..``)."""
    return Path(os.path.relpath(Path(target).resolve(), Path(base_dir).resolve())).as_posix()


def _files_of(record_artifacts: Iterable[str], files: RunFiles) -> dict[str, str]:
    """suffix (``.html``, ``.xlsx``) → relative path, for a notebook's artifacts that exist."""
    out: dict[str, str] = {}
    for path in record_artifacts:
        if files.has(path):
            out.setdefault(Path(path).suffix, path)
    return out


def _workbook_links(title: str, artifacts: Iterable[str], files: RunFiles) -> str:
    found = _files_of(artifacts, files)
    parts = []
    if ".html" in found:
        parts.append(link("网页", found[".html"]))
    if ".xlsx" in found:
        parts.append(link("Excel", found[".xlsx"]))
    return "　".join(parts) if parts else "—"


def problem_list_of(township: str, files: RunFiles) -> str | None:
    """The township's 问题数据清单 in ``clean/``, if the cleaning wrote one."""
    path = f"{PROBLEM_LISTS}/{safe_name(township)}_问题数据清单.xlsx"
    return path if files.has(path) else None


def _count(value: Any) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "—"


def _headline(summary: Mapping[str, Any], county: str) -> str:
    if not summary:
        return "<p>本次运行还没有清洗结果。</p>"
    by_category = summary.get("by_category") or {}
    parts = "、".join(f"{c} {_count(by_category.get(c, 0))} 人" for c in CATEGORIES)
    sentence = (
        f"<p>{escape(county)}核实名册共有农村“三留守”人员 <b>{_count(summary.get('people'))}</b> 人：{parts}。</p>"
        f"<p>报表共读入 {_count(summary.get('rows_in'))} 行：核实名册 {_count(summary.get('people'))} 行、"
        f"待核实 {_count(summary.get('pending'))} 行、重复合并 {_count(summary.get('duplicates_merged'))} 行、"
        f"跳过 {_count(summary.get('skipped'))} 行（空行、合计行、重复表头，以及乡镇核实删除的人员）。</p>"
    )
    problems = summary.get("input_problems") or []
    if problems:
        sentence += f"<p class='failed'>有 {len(problems)} 个报表文件未能完整读取，见运行记录。</p>"
    return sentence


def _townships_table(manifest: Manifest, summary: Mapping[str, Any], files: RunFiles) -> str:
    by_township: Mapping[str, Any] = summary.get("by_township") or {}
    county = str(manifest.parameters.get("county") or "")
    names = [t for t in by_township if t in manifest.townships]
    names += sorted(t for t in manifest.townships if t not in names and t != county)
    kinds = [
        k for k in KIND_TITLES if k != "county" and any(k in manifest.townships[t].notebooks for t in names)
    ]
    head = "".join(f"<th>{escape(KIND_TITLES[k])}</th>" for k in kinds)
    rows = []
    for name in names:
        record = manifest.townships[name]
        status = STATUS_LABELS.get(record.status, record.status)
        status_cell = f"<td class='failed'>{status}</td>" if record.status != OK else f"<td>{status}</td>"
        cells = "".join(
            f"<td>{_workbook_links(k, record.notebooks[k].artifacts, files) if k in record.notebooks else '—'}</td>"
            for k in kinds
        )
        problems = problem_list_of(name, files)
        rows.append(
            f"<tr><td class='name'>{escape(name)}</td><td class='num'>{_count(by_township.get(name))}</td>"
            f"{status_cell}{cells}<td>{link('Excel', problems) if problems else '—'}</td></tr>"
        )
    if not rows:
        return "<p>（本次运行没有镇（乡）工作簿）</p>"
    return (
        "<table><thead><tr><th>镇（乡）</th><th>核实人数</th><th>状态</th>"
        f"{head}<th>问题数据清单</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _county_section(manifest: Manifest, files: RunFiles) -> str:
    items = []
    if manifest.county is not None:
        status = STATUS_LABELS.get(manifest.county.status, manifest.county.status)
        links = _workbook_links(KIND_TITLES["county"], manifest.county.artifacts, files)
        items.append(f"<li>县级总览：{links}（{status}）</li>")
    county = str(manifest.parameters.get("county") or "")
    changes = manifest.townships.get(county)
    if changes is not None and "changes" in changes.notebooks:
        links = _workbook_links(KIND_TITLES["changes"], changes.notebooks["changes"].artifacts, files)
        items.append(f"<li>全县动态变化工作簿：{links}</li>")
    for path in files.payroll:
        items.append(f"<li>高龄补贴发放花名册：{link(Path(path).stem, path)}</li>")
    if not items:
        return "<p>（县级总览尚未生成）</p>"
    return f"<ul>{''.join(items)}</ul>"


def _shares_section(files: RunFiles) -> str:
    if not files.shares:
        return "<p>尚未生成部门共享件（liushou share 运行文件夹 --department 部门名）。</p>"
    items = "".join(f"<li>{link(department, href)}</li>" for department, href in files.shares)
    return f"<p>以下是发给各部门的脱敏副本（身份证号、电话已遮盖）。</p><ul>{items}</ul>"


def _inputs_table(inputs: Sequence[Mapping[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td class='name'>{escape(Path(str(f.get('path', ''))).name)}</td>"
        f"<td class='num'>{_count(f.get('bytes'))}</td>"
        f"<td class='hash'>{escape(str(f.get('sha256', '')))}</td></tr>"
        for f in inputs
    )
    if not rows:
        return "<p>（无）</p>"
    return (
        "<table><thead><tr><th>文件</th><th>大小（字节）</th><th>SHA-256 校验值</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _about_table(manifest: Manifest, summary: Mapping[str, Any]) -> str:
    p = manifest.parameters
    status = {OK: "全部完成", FAILED: "有工作簿未完成，见下表", RUNNING: "运行中或被中断"}
    rows = [
        ("运行说明", str(manifest.config.get("description") or "—")),
        ("县", str(p.get("county") or "—")),
        ("认定基准日", str(p.get("reference_date") or summary.get("reference_date") or "—")),
        ("高龄补贴发放月份", str(p.get("payroll_month") or "—")),
        ("教育救助学期", str(p.get("school_term") or "—")),
        ("开始运行", local_time(manifest.started)),
        ("运行结束", local_time(manifest.finished)),
        ("运行状态", status.get(manifest.status, manifest.status)),
        ("软件版本", f"liushou {manifest.versions.get('liushou', '—')}"),
    ]
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


SECTIONS = (
    ("about", "本次运行"),
    ("headline", "总体情况"),
    ("townships", "各镇（乡）工作簿"),
    ("county", "县级总览与发放花名册"),
    ("shares", "部门共享件"),
    ("confirm", "待确认事项"),
    ("inputs", "读入的报表"),
)


def _shown_value(value: str) -> str:
    return {"True": "是", "False": "否", "next_month": "次月起发", "same_month": "当月起发"}.get(value, value)


def _to_confirm_table(rows: Sequence[Mapping[str, str]]) -> str:
    """The rules' assumptions the bureau must confirm, once each, with the value used meanwhile."""
    if not rows:
        return "<p>（无）</p>"
    seen: dict[str, list[str]] = {}
    for r in rows:
        seen.setdefault(r["to_confirm"], []).append(r["description"])
    values = {r["description"]: _shown_value(r["value"]) for r in rows}
    many = {d for d in values if sum(r["description"] == d for r in rows) > 1}  # a scale: its tiers
    for question, described in seen.items():
        seen[question] = [d if d in many else f"{d}：{values[d]}" for d in described]
    body = "".join(
        f"<tr><td>{escape(question)}</td><td>{'<br>'.join(escape(v) for v in dict.fromkeys(values))}</td></tr>"
        for question, values in seen.items()
    )
    return (
        "<p>下列规则参数是暂定的，工作簿按右栏的值计算；请有关部门确认后告知，修改 params/ 中对应的文件即可。</p>"
        f"<table><thead><tr><th>待确认</th><th>暂用的值</th></tr></thead><tbody>{body}</tbody></table>"
    )


def front_page_html(
    manifest: Manifest,
    summary: Mapping[str, Any],
    files: RunFiles,
    *,
    generated: dt.datetime,
    to_confirm: Sequence[Mapping[str, str]] = (),
) -> str:
    """The front page as one self-contained HTML document."""
    county = str(manifest.parameters.get("county") or "")
    description = str(manifest.config.get("description") or "")
    title = f"{county}农村“三留守”人员摸排 运行首页"
    toc = "".join(f"<li><a href='#{key}'>{escape(name)}</a></li>" for key, name in SECTIONS)
    content = {
        "about": _about_table(manifest, summary),
        "headline": _headline(summary, county),
        "townships": _townships_table(manifest, summary, files),
        "county": _county_section(manifest, files),
        "shares": _shares_section(files),
        "confirm": _to_confirm_table(to_confirm),
        "inputs": _inputs_table(manifest.inputs),
    }
    body = "\n".join(
        f"<h2 id='{key}'>{n}、{escape(name)}</h2>\n{content[key]}"
        for n, (key, name) in zip("一二三四五六七", SECTIONS, strict=True)
    )
    return (
        "<!DOCTYPE html>\n<html lang='zh-CN'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{PAGE_CSS}</style></head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n{internal_mark(description, generated)}\n"
        f"<nav class='toc'><b>目录：</b><ol>{toc}</ol></nav>\n{body}\n</body></html>\n"
    )


def read_summary(run_dir: Path) -> dict[str, Any]:
    """``RUN/clean/summary.json``, or an empty dict when the cleaning has not written it."""
    try:
        data = json.loads((Path(run_dir) / "clean" / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_front_page(run_dir: Path, *, now: dt.datetime | None = None) -> Path | None:
    """Write ``RUN/index.html`` (atomically) from the run's manifest; None if the folder has no manifest."""
    run_dir = Path(run_dir)
    manifest = read_manifest(run_dir)
    if manifest is None:
        return None
    params_folder = manifest.config.get("params")
    try:
        to_confirm = assumption_table(load_parameters(Path(params_folder) if params_folder else None))
    except LiushouError:  # the rules could not be read: the page still links the run's files
        to_confirm = []
    html = front_page_html(
        manifest,
        read_summary(run_dir),
        scan_run(run_dir),
        generated=now or dt.datetime.now().astimezone(),
        to_confirm=to_confirm,
    )
    path = run_dir / FRONT_PAGE
    write_text(html, path)
    return path


__all__ = [
    "FRONT_PAGE",
    "INTERNAL_MARK",
    "PAGE_CSS",
    "RunFiles",
    "front_page_html",
    "internal_mark",
    "link",
    "relative_href",
    "local_time",
    "scan_run",
    "write_front_page",
]
