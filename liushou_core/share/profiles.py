"""Department profiles (``params/departments/*.yaml``): what each department receives, edited by the bureau.

One YAML file per department::

    name: 公安局                     # the name used on the command line (liushou share … --department 公安局)
    full_name: 县公安局              # as printed on the cover page
    aliases: [公安]                  # other names accepted on the command line
    purpose: 核实无人监护的留守儿童…   # why the department receives this (cover page)
    level: person                    # the finest detail it may receive: county / township / person
    names: full                      # names in person lists: full (全名) or surname (只留姓：张**)
    sections:                        # the chapters of the copy, in order
      - title: 无人监护的留守儿童
        note: …                      # optional, one sentence under the title
        tables:
          - table: 监护问题            # a table of the catalogue (liushou_core/share/tables.py)
            detail: [county, township] # summaries: per township (county) and/or per village (township)
          - table: 无人监护名单         # lists are per township and need detail person
            detail: person
            columns: [village, name, sex, age, father_status, mother_status, detail]
            programs: [控辍保学]        # only for 转介线索 / 转介名单: keep these programs

A list carries only the ``columns`` its profile names (field names of the return template, or their Chinese
headers), and never more than the catalogue offers; ID and phone numbers among them are always masked. Every
problem in a profile is reported at once, in Chinese, naming the file (:class:`ParameterError`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from liushou_core.errors import ConfigError, ParameterError
from liushou_core.ledger import label
from liushou_core.paths import params_dir
from liushou_core.share.tables import CATALOGUE, DETAIL_LABELS, DETAILS, Detail, TableSpec, referral_programs

PROFILE_DIR = "departments"
#: How names in person lists are shown.
NAME_POLICIES: dict[str, str] = {
    "full": "人员名单保留姓名全名，以便核实和落实到人",
    "surname": "人员名单中的姓名只保留姓，名字以“*”代替（如“张**”）",
}
_PROFILE_KEYS = {"name", "full_name", "aliases", "purpose", "level", "names", "sections"}
_SECTION_KEYS = {"title", "note", "tables"}
_TABLE_KEYS = {"table", "detail", "columns", "programs"}


@dataclass(frozen=True)
class TableRequest:
    """One table of a profile at one level of detail; ``columns`` (lists only) are field names."""

    spec: TableSpec
    detail: Detail
    columns: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The catalogue name of the table."""
        return self.spec.key


@dataclass(frozen=True)
class Section:
    """A chapter of a department copy: a title, an optional sentence, its tables."""

    title: str
    note: str
    tables: tuple[TableRequest, ...]

    def at(self, detail: Detail) -> tuple[TableRequest, ...]:
        """The section's tables at one level of detail."""
        return tuple(t for t in self.tables if t.detail == detail)


@dataclass(frozen=True)
class DepartmentProfile:
    """What one department receives (see the module docstring)."""

    name: str
    full_name: str
    aliases: tuple[str, ...]
    purpose: str
    level: Detail
    names: str
    sections: tuple[Section, ...]
    source: Path

    def has(self, detail: Detail) -> bool:
        """Whether any table of the profile is at ``detail``."""
        return any(s.at(detail) for s in self.sections)

    def matches(self, name: str) -> bool:
        """Whether ``name`` (stripped) is this department's name or one of its aliases."""
        return name.strip() in (self.name, *self.aliases)


def profiles_dir() -> Path:
    """``params/departments`` (or ``$LIUSHOU_PARAMS/departments``)."""
    return params_dir() / PROFILE_DIR


def load_profiles(folder: Path | None = None) -> list[DepartmentProfile]:
    """Every profile of ``folder`` (default :func:`profiles_dir`), in file-name order.

    Raises :class:`ParameterError` listing every problem of every file, and when two profiles share a name.
    """
    folder = Path(folder) if folder is not None else profiles_dir()
    if not folder.is_dir():
        raise ParameterError(f"找不到部门共享配置文件夹 {folder}")
    problems: list[str] = []
    profiles: list[DepartmentProfile] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name.startswith(("_", ".")):
            continue
        try:
            profiles.append(parse_profile(_read(path), path))
        except ParameterError as exc:
            problems.append(str(exc))
    seen: dict[str, Path] = {}
    for p in profiles:
        for n in (p.name, *p.aliases):
            if n in seen and seen[n] != p.source:
                problems.append(f"部门名称“{n}”同时出现在 {seen[n].name} 和 {p.source.name} 中")
            seen.setdefault(n, p.source)
    if problems:
        raise ParameterError("\n".join(problems))
    return profiles


def find_profile(name: str, folder: Path | None = None) -> DepartmentProfile:
    """The profile of department ``name`` (its name or an alias).

    Raises :class:`ConfigError` naming the known departments when there is none.
    """
    profiles = load_profiles(folder)
    for p in profiles:
        if p.matches(name):
            return p
    known = "、".join(p.name for p in profiles) or "（无）"
    raise ConfigError(
        f"没有部门“{name}”的共享配置。已配置的部门：{known}。"
        f"如需新增，请在 {folder or profiles_dir()} 中按现有文件的格式添加一个 YAML 文件。"
    )


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ParameterError(f"部门共享配置 {path} 无法读取：{exc}") from None


def _strings(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v).strip() for v in value)
    return None


def _field_of(column: str, spec: TableSpec) -> str | None:
    """The field a profile's column names: a field name, or the Chinese header a ledger shows for it."""
    if column in spec.columns:
        return column
    for f in spec.columns:
        if column in (label(f), spec.labels.get(f)):
            return f
    return None


def parse_profile(data: Any, source: Path) -> DepartmentProfile:
    """Check one profile's content (already read from YAML); raises :class:`ParameterError` with every problem."""
    problems: list[str] = []

    def bad(where: str, message: str) -> None:
        problems.append(f"{where}：{message}")

    if not isinstance(data, Mapping):
        raise ParameterError(f"部门共享配置 {source}：应为 YAML 映射（name、level、sections 等）")
    for key in sorted(set(map(str, data)) - _PROFILE_KEYS):
        bad(key, f"未知的键（可用：{'、'.join(sorted(_PROFILE_KEYS))}）")
    name = str(data.get("name") or "").strip()
    if not name:
        bad("name", "缺少部门名称")
    aliases = _strings(data.get("aliases") or [])
    if aliases is None:
        bad("aliases", "应为名称列表")
    level = data.get("level")
    if level not in DETAILS:
        bad(
            "level",
            f"应为 {' / '.join(DETAILS)} 之一（{'；'.join(f'{k}：{v}' for k, v in DETAIL_LABELS.items())}）",
        )
    names = data.get("names", "full")
    if names not in NAME_POLICIES:
        bad("names", "应为 full（保留全名）或 surname（只留姓）")
    sections: list[Section] = []
    raw_sections = data.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        bad("sections", "应为至少一节的列表")
        raw_sections = []
    finest = DETAILS.index(level) if level in DETAILS else len(DETAILS) - 1
    for i, raw in enumerate(raw_sections, start=1):
        where = f"sections 第 {i} 节"
        if not isinstance(raw, Mapping):
            bad(where, "应为映射（title、tables）")
            continue
        for key in sorted(set(map(str, raw)) - _SECTION_KEYS):
            bad(where, f"未知的键“{key}”（可用：{'、'.join(sorted(_SECTION_KEYS))}）")
        title = str(raw.get("title") or "").strip()
        if not title:
            bad(where, "缺少标题 title")
        requests: list[TableRequest] = []
        raw_tables = raw.get("tables")
        if not isinstance(raw_tables, list) or not raw_tables:
            bad(where, "tables 应为至少一张表的列表")
            raw_tables = []
        for j, t in enumerate(raw_tables, start=1):
            requests.extend(_table_requests(t, f"{where}第 {j} 张表", finest, bad))
        sections.append(Section(title, str(raw.get("note") or "").strip(), tuple(requests)))
    if problems:
        raise ParameterError(f"部门共享配置 {source} 有误：\n  " + "\n  ".join(problems))
    return DepartmentProfile(
        name=name,
        full_name=str(data.get("full_name") or name).strip(),
        aliases=aliases or (),
        purpose=str(data.get("purpose") or "").strip(),
        level=cast(Detail, level),
        names=str(names),
        sections=tuple(sections),
        source=source,
    )


def _table_requests(raw: Any, where: str, finest: int, bad: Callable[[str, str], None]) -> list[TableRequest]:
    if not isinstance(raw, Mapping):
        bad(where, "应为映射（table、detail、columns）")
        return []
    for key in sorted(set(map(str, raw)) - _TABLE_KEYS):
        bad(where, f"未知的键“{key}”（可用：{'、'.join(sorted(_TABLE_KEYS))}）")
    key = str(raw.get("table") or "").strip()
    spec = CATALOGUE.get(key)
    if spec is None:
        bad(where, f"没有名为“{key}”的表（可用：{'、'.join(CATALOGUE)}）")
        return []
    where = f"{where}（{key}）"
    details = _strings(raw.get("detail") or [])
    if not details:
        bad(where, f"detail 应为 {'、'.join(spec.details)} 中的一个或几个")
        return []
    ok = True
    for d in details:
        if d not in spec.details:
            bad(where, f"detail “{d}” 不适用于此表（可用：{'、'.join(spec.details)}）")
            ok = False
        elif DETAILS.index(cast(Detail, d)) > finest:
            bad(where, f"detail “{d}” 比本部门的 level 更细，不能提供")
            ok = False
    columns: list[str] = []
    raw_columns = raw.get("columns")
    if spec.kind == "list":
        given = _strings(raw_columns or [])
        if not given:
            bad(where, "人员名单必须用 columns 列出提供的列")
            ok = False
        for c in given or ():
            f = _field_of(c, spec)
            if f is None:
                offered = "、".join(f"{x}（{spec.labels.get(x) or label(x)}）" for x in spec.columns)
                bad(where, f"不能提供列“{c}”（此表可提供：{offered}）")
                ok = False
            elif f not in columns:
                columns.append(f)
    elif raw_columns is not None:
        bad(where, "汇总表不需要 columns（只有人员名单按列提供）")
        ok = False
    programs = _strings(raw.get("programs") or []) or ()
    if programs and not spec.programs:
        bad(where, "只有转介线索和转介名单可以用 programs 选择项目")
        ok = False
    for p in programs:
        if p not in referral_programs():
            bad(where, f"没有名为“{p}”的转介项目（可用：{'、'.join(referral_programs())}）")
            ok = False
    if not ok:
        return []
    return [TableRequest(spec, cast(Detail, d), tuple(columns), programs) for d in details]


__all__ = [
    "NAME_POLICIES",
    "DepartmentProfile",
    "Section",
    "TableRequest",
    "find_profile",
    "load_profiles",
    "parse_profile",
    "profiles_dir",
]
