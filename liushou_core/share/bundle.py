"""``liushou share RUN_DIR --department NAME``: build a department's copy of a run, masked, in its own tree.

Where it goes (``out`` defaults to ``RUN_DIR/../shared/<run folder name>``)::

    OUT/<department>/index.html        封面 (department, run, date, masking) + 全县汇总 + links
    OUT/<department>/全县.xlsx          the same: 说明 sheet, then one sheet per table
    OUT/<department>/镇乡/<township>.html, .xlsx    per township: 分村汇总 and 人员名单 (if the profile has them)
    OUT/<department>/bundle.json       what was shared: department, run, date, masking, tables, files and sizes

For the sample run (``outputs/demo/run``) that is ``outputs/demo/shared/run/<department>/``: beside the run
folder, never inside it, so the internal outputs and the shared copies are separate trees (a bundle folder
that would overlap the run folder is refused). Names from data — the department, the run folder, the
townships — become file names through :func:`liushou_core.paths.safe_name`, and every path is checked to be
inside the bundle folder.

Nothing is copied from the run's notebooks or HTML (their outputs and injected parameters hold raw values):
every table is rebuilt from ``RUN/clean`` with the package functions (:mod:`.tables`), masked
(:mod:`.masking`), then rendered (:mod:`.render`). The copy is written into a temporary folder, scanned file
by file for whole ID and mobile numbers (:mod:`.scan`; publishing stops if one is found), and only then moved
into place, replacing the department's previous copy as a whole — a narrower profile leaves no older, wider
file behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liushou_core import __version__
from liushou_core.atomic import fresh_folder, replace
from liushou_core.batch.frontpage import write_front_page
from liushou_core.errors import ConfigError
from liushou_core.ledger import label
from liushou_core.paths import safe_name, shared_dir
from liushou_core.runfolder import MANIFEST_NAME
from liushou_core.share.masking import MASKING_RULES, mask_list, mask_summary
from liushou_core.share.profiles import NAME_POLICIES, DepartmentProfile, TableRequest, find_profile
from liushou_core.share.render import Block, Page, chart_png, page_html, write_page_ledger
from liushou_core.share.scan import check_folder
from liushou_core.share.tables import DETAIL_LABELS, DETAILS, By, ShareData, list_table, summary_table
from liushou_core.values.periods import month_label, parse_term
from liushou_core.workbooks.rulenotes import references
from liushou_core.workbooks.rundata import townships_of
from liushou_core.workbooks.tablestore import workbook_sections

FORMAT = 1
BUNDLE_FILE = "bundle.json"
COUNTY_PAGE = "index.html"
COUNTY_LEDGER = "全县.xlsx"
TOWNSHIP_DIR = "镇乡"


@dataclass(frozen=True)
class RunSettings:
    """The settings a run's workbooks were made with (``manifest.json`` ``parameters``)."""

    folder: Path
    county: str
    reference_date: str
    payroll_month: str
    school_term: str
    as_of: str
    description: str
    finished: str


def read_run_settings(run_dir: Path) -> RunSettings:
    """The settings of a ``liushou run`` folder, from its manifest. Raises :class:`ConfigError` if it has none."""
    run_dir = Path(run_dir)
    path = run_dir / MANIFEST_NAME
    if not path.is_file():
        raise ConfigError(
            f"{run_dir} 不是 liushou run 的运行文件夹（没有 {MANIFEST_NAME}），请先运行 liushou run"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        params = manifest["parameters"]
        settings = RunSettings(
            folder=run_dir,
            county=str(params["county"]),
            reference_date=str(params["reference_date"]),
            payroll_month=str(params["payroll_month"]),
            school_term=str(params["school_term"]),
            as_of=str(params["as_of"]),
            description=str((manifest.get("config") or {}).get("description") or ""),
            finished=str(manifest.get("finished") or ""),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"运行记录 {path} 无法读取或缺少运行参数（{type(exc).__name__}: {exc}）") from None
    if not settings.finished:
        # a run killed (or still going): its manifest already has the new dates, its files may be the old ones
        raise ConfigError(
            f"运行 {run_dir} 没有完成（被中断或仍在运行），其中的数据与运行记录可能不一致，不能共享；"
            "请先用 liushou run --resume 完成这次运行"
        )
    return settings


# --------------------------------------------------------------------------------------------------- paths


def default_out(run_dir: Path) -> Path:
    """``RUN_DIR/../shared/<run folder name>``: the shared copies of a run, beside (not inside) it."""
    return shared_dir(run_dir)


def bundle_dir(out: Path, profile: DepartmentProfile) -> Path:
    """``OUT/<department>``, the department's name made safe for any file system."""
    return Path(out) / safe_name(profile.name)


def _overlaps(a: Path, b: Path) -> bool:
    a, b = a.resolve(), b.resolve()
    return a == b or a.is_relative_to(b) or b.is_relative_to(a)


def check_separate(run_dir: Path, target: Path) -> None:
    """Refuse a bundle folder inside the run folder, or one that holds it (internal and shared trees apart)."""
    if _overlaps(run_dir, target):
        raise ConfigError(
            f"部门共享文件夹 {target} 与运行文件夹 {run_dir} 重叠：共享文件必须放在运行文件夹之外（请换一个 --out）"
        )


def inside(root: Path, *parts: str) -> Path:
    """``root/parts…`` after checking it stays inside ``root`` (each part should come from safe_name)."""
    path = Path(root, *parts)
    if not path.resolve().is_relative_to(Path(root).resolve()):
        raise ConfigError(f"文件名“{'/'.join(parts)}”会落到共享文件夹 {root} 之外，已拒绝")
    return path


def township_files(township: str) -> tuple[str, str]:
    """The HTML and Excel file names of a township's page, relative to the bundle folder."""
    name = safe_name(township)
    return f"{TOWNSHIP_DIR}/{name}.html", f"{TOWNSHIP_DIR}/{name}.xlsx"


# --------------------------------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Context:
    """Everything a department copy of one run is built from, loaded once for several departments."""

    settings: RunSettings
    data: ShareData
    townships: tuple[str, ...]
    created: dt.datetime


def load_context(run_dir: Path, *, now: dt.datetime | None = None) -> Context:
    """Read a run's settings, register and rule lines: the run's table store (county-wide, made by ``liushou
    run``, :mod:`liushou_core.workbooks.tablestore`), or, without one that fits, the rules run once here."""
    settings = read_run_settings(run_dir)
    run, sections = workbook_sections(
        run_dir,
        payroll_month=settings.payroll_month,
        school_term=settings.school_term,
        as_of=settings.as_of,
        place=settings.county,
    )
    data = ShareData(settings.county, settings.county, run, sections)
    return Context(settings, data, tuple(townships_of(run.people)), now or dt.datetime.now())


#: The rule sections whose dates a cover names, and the line each needs: a department that receives no
#: payroll is not told the payroll month.
_SECTION_DATES = {"payroll": "高龄补贴发放月份", "education": "教育救助学期"}
_CHECKED_SECTIONS = ("alerts", "guardianship", "visits", "referrals")


def cover_lines(
    ctx: Context, profile: DepartmentProfile, place: str, *, short: bool = False
) -> tuple[tuple[str, str], ...]:
    """The cover: who receives the copy and why, which run, when, what detail and which masking — only the
    dates of the rules the department's tables apply. ``short`` (a township page): who, where, from which
    run and when; the full cover is on the county page it links back to."""
    s = ctx.settings
    lists = [t for sec in profile.sections for t in sec.tables if t.detail == "person"]
    names = NAME_POLICIES[profile.names] if lists else "不提供人员名单"
    details = [DETAIL_LABELS[d] for d in DETAILS if profile.has(d)]
    sections = {t.spec.section for sec in profile.sections for t in sec.tables}
    dates = {
        "高龄补贴发放月份": month_label(s.payroll_month),
        "教育救助学期": parse_term(s.school_term)[0],
        "监护、走访与转介核查日": s.as_of,
    }
    wanted = [line for key, line in _SECTION_DATES.items() if key in sections]
    if sections & set(_CHECKED_SECTIONS):
        wanted.append("监护、走访与转介核查日")
    source = ("数据来源", f"{s.description or '农村“三留守”人员摸排'}（运行文件夹 {s.folder.name}）")
    if short:
        return (
            ("接收部门", profile.full_name),
            ("本页范围", place),
            source,
            ("认定基准日", s.reference_date),
            ("共享文件生成日期", ctx.created.date().isoformat()),
            ("脱敏处理", "身份证号、电话号码已遮盖；完整说明见封面"),
        )
    lines = [
        ("接收部门", profile.full_name),
        ("提供内容", profile.purpose or "、".join(sec.title for sec in profile.sections)),
        ("本页范围", place),
        ("县", s.county),
        source,
        ("认定基准日", s.reference_date),
        *((line, dates[line]) for line in wanted),
        ("数据生成时间", s.finished[:19].replace("T", " ") if s.finished else "（未记录）"),
        ("共享文件生成日期", ctx.created.date().isoformat()),
        ("明细程度", "；".join(details)),
        ("姓名", names),
        *((f"脱敏处理 {i}", rule) for i, rule in enumerate(MASKING_RULES, start=1)),
        ("提供单位", f"{s.county}民政局"),
    ]
    return tuple(lines)


def notice(profile: DepartmentProfile) -> str:
    """The use restriction printed under every cover."""
    return (
        f"本文件含个人信息，仅供{profile.full_name}开展上述工作使用；请勿转发、公开或用于其他用途，"
        "用毕按规定保管或销毁。发现信息有误请告知县民政局，不要直接修改。"
    )


def _block(req: TableRequest, section: str, data: ShareData, profile: DepartmentProfile) -> Block:
    spec = req.spec
    s = data.sections
    footers = tuple(references(s, spec.section)) if spec.section else ()
    if spec.kind == "list":
        raw = list_table(spec, data, programs=req.programs)
        masked = mask_list(raw, req.columns, names=profile.names)
        labelled = masked.rename(columns={c: spec.labels.get(c) or label(c) for c in masked.columns})
        return Block(section, spec.key, spec.note, labelled, labelled, "list", spec.unit, None, footers)
    by: By = "township" if req.detail == "county" else "village"
    shown = mask_summary(summary_table(spec, data, by, total=True, programs=req.programs)).reset_index()
    bare = summary_table(spec, data, by, total=False, programs=req.programs)
    ledger = mask_summary(bare).reset_index()
    chart = None
    if spec.chart and by == "township":  # charts on the county page only: a township page is read as tables
        where = "各镇（乡）" if by == "township" else "各村（社区）"
        chart = chart_png(mask_summary(bare), f"{data.place}{where}{spec.key}")
    return Block(section, spec.key, spec.note, shown, ledger, "summary", None, chart, footers)


def _blocks(
    profile: DepartmentProfile, data: ShareData, details: Sequence[str], *, county: bool
) -> tuple[Block, ...]:
    """The tables of a page at ``details``; a county-wide list (:attr:`TableSpec.county_list`) goes on the
    county page only, the other person lists on the township pages only."""

    def here(req: TableRequest) -> bool:
        if req.spec.county_list:
            return county and req.detail == "person"
        return req.detail in details

    return tuple(
        _block(req, sec.title, data, profile) for sec in profile.sections for req in sec.tables if here(req)
    )


def county_page(ctx: Context, profile: DepartmentProfile) -> Page:
    """The cover page with the county's tables and links to the township pages."""
    links: tuple[tuple[str, str], ...] = ()
    if profile.has("township") or profile.has("person"):
        links = tuple((t, township_files(t)[0]) for t in ctx.townships)
    return Page(
        title=f"{profile.full_name}：{ctx.settings.county}农村“三留守”人员信息",
        cover=cover_lines(ctx, profile, f"全县（{ctx.settings.county}）"),
        notice=notice(profile),
        blocks=_blocks(profile, ctx.data, ("county",), county=True),
        section_notes={sec.title: sec.note for sec in profile.sections},
        links=links,
        ledger=COUNTY_LEDGER,
    )


def township_page(ctx: Context, profile: DepartmentProfile, township: str) -> Page:
    """One township's page: its 分村汇总 and its person lists."""
    data = ctx.data.for_township(township)
    return Page(
        title=f"{profile.full_name}：{township}农村“三留守”人员信息",
        cover=cover_lines(ctx, profile, township, short=True),
        notice=notice(profile),
        blocks=_blocks(profile, data, ("township", "person"), county=False),
        section_notes={sec.title: sec.note for sec in profile.sections},
        back=f"../{COUNTY_PAGE}",
        ledger=township_files(township)[1].split("/")[-1],
    )


# -------------------------------------------------------------------------------------------------- bundle


@dataclass(frozen=True)
class BundleResult:
    """A published department copy."""

    department: str
    folder: Path
    files: tuple[str, ...]  # relative to folder
    tables: int

    def describe(self) -> str:
        """One Chinese line for the console."""
        return f"{self.department}：{len(self.files)} 个文件、{self.tables} 张表 → {self.folder}"


def _write_pages(ctx: Context, profile: DepartmentProfile, folder: Path) -> tuple[list[str], int]:
    written: list[str] = []
    page = county_page(ctx, profile)
    (inside(folder, COUNTY_PAGE)).write_text(page_html(page), encoding="utf-8")
    write_page_ledger(page, inside(folder, COUNTY_LEDGER))
    written += [COUNTY_PAGE, COUNTY_LEDGER]
    tables = len(page.blocks)
    if profile.has("township") or profile.has("person"):
        for town in ctx.townships:
            html, xlsx = township_files(town)
            tp = township_page(ctx, profile, town)
            target = inside(folder, *html.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page_html(tp), encoding="utf-8")
            write_page_ledger(tp, inside(folder, *xlsx.split("/")))
            written += [html, xlsx]
            tables += len(tp.blocks)
    return written, tables


def _record(ctx: Context, profile: DepartmentProfile, folder: Path, files: list[str]) -> dict[str, Any]:
    s = ctx.settings
    return {
        "format": FORMAT,
        "department": profile.name,
        "full_name": profile.full_name,
        "profile": profile.source.name,
        "created": ctx.created.isoformat(timespec="seconds"),
        "liushou": __version__,
        "run": {
            "folder": s.folder.name,
            "county": s.county,
            "description": s.description,
            "finished": s.finished,
            "reference_date": s.reference_date,
            "payroll_month": s.payroll_month,
            "school_term": s.school_term,
            "as_of": s.as_of,
        },
        "level": profile.level,
        "names": profile.names,
        "masking": list(MASKING_RULES),
        "tables": [
            {
                "section": sec.title,
                "table": t.key,
                "detail": t.detail,
                "columns": list(t.columns),
                "programs": list(t.programs),
            }
            for sec in profile.sections
            for t in sec.tables
        ],  # fmt: skip
        # Sizes, not checksums: a hex digest can hold a run of 11 digits that reads as a mobile number.
        "files": [{"path": f, "bytes": (folder / f).stat().st_size} for f in files],
    }


def _replace_folder(fresh: Path, target: Path) -> None:
    """Move ``fresh`` onto ``target``; an earlier copy there (it has a bundle.json) is removed as a whole."""
    if target.exists():
        if not (target / BUNDLE_FILE).is_file():
            raise ConfigError(
                f"{target} 已存在但不是部门共享文件夹（没有 {BUNDLE_FILE}），为免误删，请换一个 --out"
            )
        old = target.with_name(f".{target.name}.old")
        if old.exists():
            shutil.rmtree(old)
        replace(target, old)  # a page still open in Excel/WPS: one message naming the folder
        os.replace(fresh, target)
        shutil.rmtree(old)
    else:
        os.replace(fresh, target)


def write_bundle(ctx: Context, profile: DepartmentProfile, out: Path) -> BundleResult:
    """Build, scan and publish one department's copy under ``out`` (see the module docstring)."""
    target = bundle_dir(out, profile)
    inside(out, target.name)
    check_separate(ctx.settings.folder, target)
    # the temporary folder of a share killed before its scan is removed here, never published
    with fresh_folder(target) as fresh:
        files, tables = _write_pages(ctx, profile, fresh)
        record = _record(ctx, profile, fresh, files)
        (fresh / BUNDLE_FILE).write_text(
            json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        check_folder(fresh)
        _replace_folder(fresh, target)
    return BundleResult(profile.name, target, (*files, BUNDLE_FILE), tables)


def share_run(
    run_dir: Path,
    departments: Sequence[str],
    *,
    out: Path | None = None,
    profiles_folder: Path | None = None,
    now: dt.datetime | None = None,
) -> list[BundleResult]:
    """Build the copy of every department named (names or aliases) from one run; the run is read once.

    Every name is checked before anything is built, so an unknown department fails fast.
    """
    run_dir = Path(run_dir)
    profiles = [find_profile(d, profiles_folder) for d in departments]
    out = Path(out) if out is not None else default_out(run_dir)
    for p in profiles:
        check_separate(run_dir, bundle_dir(out, p))
    ctx = load_context(run_dir, now=now)
    return [write_bundle(ctx, p, out) for p in profiles]


def share_command(run_dir: Path, departments: Sequence[str], *, out: Path | None = None) -> int:
    """``liushou share``: build each department's copy and print where it went."""
    for result in share_run(run_dir, departments, out=out):
        print(f"已生成 {result.describe()}")
    write_front_page(run_dir)  # the run's front page now links the copies
    print("身份证号、电话号码已遮盖，人员名单只含各部门配置的列；请通过安全渠道发送。")
    return 0


__all__ = [
    "BUNDLE_FILE",
    "BundleResult",
    "Context",
    "RunSettings",
    "bundle_dir",
    "check_separate",
    "county_page",
    "default_out",
    "load_context",
    "read_run_settings",
    "share_command",
    "share_run",
    "township_files",
    "township_page",
    "write_bundle",
]
