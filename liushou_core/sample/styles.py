"""How each township's cadres lay out their return: file type, headers, spellings, dates, extra rows.

Every township of the sample gets one :class:`ReturnStyle`, drawn from the seed. Header wording is chosen
among the aliases of ``params/codebook.yaml`` and values among the spellings of its vocabularies, so each
return differs from the others the way real ones do, yet every header and value is one the workbench
accepts (the tests check this against the codebook). Fields the classification needs are never omitted: a
township that does not collect them could verify nobody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import yaml

from liushou_core.paths import params_dir
from liushou_core.sample import geography
from liushou_core.values.codebook import FIELDS

#: Optional columns some townships leave out (never a fact the definitions need).
OMITTABLE = (
    "group", "birth_date", "guardian_relation", "guardian_id_number", "guardian_phone", "agreement_date",
    "disability_grade", "boarding", "phone", "last_visit_date", "visitor", "notes",
)  # fmt: skip

#: Date styles: how a date is typed (``excel`` is a real date cell in a workbook; ``serial`` a bare number).
DATE_STYLES = ("iso", "slash", "dot", "dot0", "cn", "compact", "excel", "serial", "iso_time")

#: Excel number formats of date cells, with the text Excel writes for them when saving as CSV.
EXCEL_DATE_FORMATS = {"iso": "yyyy-mm-dd", "slash": "yyyy/m/d", "cn": 'yyyy"年"m"月"d"日"'}

#: Spellings used for canonical values (each a spelling of the codebook's vocabulary of that field).
SPELLINGS: dict[str, dict[str, list[str]]] = {
    "category_declared": {
        "留守儿童": ["留守儿童", "留守儿童", "儿童", "农村留守儿童"],
        "留守妇女": ["留守妇女", "留守妇女", "妇女", "农村留守妇女"],
        "留守老人": ["留守老人", "留守老人", "老人", "留守老年人"],
    },
    "away": {"外出务工": ["外出务工", "外出务工", "外出", "务工", "外出打工"]},
    "children_status": {"全部外出": ["全部外出", "全部外出", "全部外出务工", "均外出"], "部分外出": ["部分外出"]},
    "agreement_signed": {"已签订": ["已签订", "已签订", "已签", "是"], "未签订": ["未签订", "未签订", "未签", "否"]},
    "guardianship_grade": {"较好": ["较好", "较好", "好"], "一般": ["一般"], "差": ["差", "较差"]},
    "household_economy": {
        "建档立卡贫困户": ["建档立卡贫困户", "建档立卡", "贫困户", "建卡贫困户"],
        "低保户": ["低保户", "低保"],
        "特困供养": ["特困供养", "五保户", "特困"],
        "建档困难职工": ["建档困难职工", "困难职工"],
        "一般": ["一般", "一般", "无"],
    },
    "health": {"健康": ["健康", "健康", "良好"], "患病": ["患病", "疾病"], "残疾": ["残疾"]},
    "disability_grade": {"一级": ["一级", "1级"], "二级": ["二级", "2级"], "三级": ["三级", "3级"], "四级": ["四级", "4级"]},
    "schooling": {
        "学前": ["学前", "幼儿园", "幼儿园"], "小学": ["小学"], "初中": ["初中"], "高中": ["高中"],
        "中职": ["中职", "中专", "职高"], "辍学": ["辍学"], "不在学": ["不在学"],
    },
    "boarding": {"是": ["是", "寄宿"], "否": ["否", "走读"]},
}  # fmt: skip
#: Per-row spellings of the statuses that vary within one return.
ROW_SPELLINGS: dict[str, list[str]] = {
    "无监护能力": ["无监护能力", "重病", "重残"],
    "在家": ["在家", "在家务农"],
    "离异": ["离异", "离婚"],
    "死亡": ["死亡", "去世"],
    "服刑": ["服刑"],
}
#: The boarding spellings come in pairs: 是/否 or 寄宿/走读.
_BOARDING_PAIRS = [("是", "否"), ("寄宿", "走读")]
#: Separators between several household-economy values.
ECONOMY_SEPARATORS = ("、", "、", "，", "/", " ")


@lru_cache(maxsize=1)
def header_choices() -> dict[str, list[str]]:
    """Field → the header spellings of ``params/codebook.yaml`` (canonical header first, then aliases)."""
    data = yaml.safe_load((params_dir() / "codebook.yaml").read_text(encoding="utf-8"))
    return {
        f: [str(spec["header"]), *(str(a) for a in spec.get("aliases") or [])]
        for f, spec in data["fields"].items()
    }


@dataclass(frozen=True)
class ReturnStyle:
    """The layout and habits of one township's return."""

    township_code: str
    township: str
    file_name: str
    fmt: str  # "xlsx" or "csv"
    encoding: str  # for CSV: "gbk" (made with a Chinese Excel) or "utf-8"
    columns: tuple[str, ...]  # template fields in column order (the 序号 column comes first, always)
    headers: dict[str, str]  # field → header text
    serial_header: str
    per_village_sheets: bool
    sheet_name: str
    empty_sheets: int
    title_lines: bool  # a title line and a 填报单位 line above the header
    blank_after_title: bool
    township_short: bool  # 回马 rather than 回马镇
    village_forms: tuple[float, float, float]  # weights of 安山村 / 安山 / 安山村委会
    date_style: str
    other_date_styles: tuple[str, ...]
    odd_date_rate: float  # share of dates typed in another style
    excel_date_format: str  # number format of date cells (key of EXCEL_DATE_FORMATS)
    sex_digits: bool
    numbers_as_numbers: bool  # 组, 外出时长, phones typed as numbers (workbooks only)
    id15_as_number: bool
    spell: dict[str, dict[str, str]]  # vocabulary → canonical → this township's spelling
    economy_separator: str
    boarding_pair: tuple[str, str]
    pad_names: bool
    order: str  # "village" (village blocks) or "category" (one section per category)
    header_repeat: bool
    subtotals: bool
    blank_between: bool
    blank_rate: float
    total_row: bool
    footer: bool
    prenumbered: int
    serial_restart: bool
    filler: str
    reviewer: str
    filled_on: dt.date
    sloppiness: float  # multiplies this township's share of pending rows
    careless_ids: bool  # IDs typed into number cells far more often than elsewhere
    group_suffix: bool  # 3组 rather than 3
    two_row_header: bool = False  # 父母外出情况 / 委托监护人情况 merged above their columns (workbooks only)
    merge_township: bool = False  # the township written once, merged down over each block of people


def _spellings(rng: np.random.Generator) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for vocab, table in SPELLINGS.items():
        out[vocab] = {canonical: str(rng.choice(options)) for canonical, options in table.items()}
    # A township writes "1级" for every grade or "一级" for every grade, never a mix.
    arabic = rng.random() < 0.3
    out["disability_grade"] = {
        g: (f"{'一二三四'.index(g[0]) + 1}级" if arabic else g) for g in SPELLINGS["disability_grade"]
    }
    return out


def _file_name(township: str, fmt: str, rng: np.random.Generator, year: int = 2017) -> str:
    patterns = [
        "{t}农村三留守人员摸排登记表",
        "大英县{t}三留守人员摸排汇总表",
        "{t}留守人员摸排登记表(定稿)",
        "{t}“三留守”人员摸排表",
        "{t}三留守摸排{y}年底",
    ]
    return str(rng.choice(patterns)).format(t=township, y=year) + "." + fmt


def draw_styles(
    rng: np.random.Generator,
    *,
    csv_only: bool = False,
    encoding: str = "gbk",
    cadres: np.ndarray | None = None,
    year: int = 2017,
) -> list[ReturnStyle]:
    """One style per township (of the sample's current division list), in township-code order, for the
    survey of the end of ``year`` (returns filed in January of the next year).

    The sample county has two or three GBK CSV returns (saved from Excel), the rest workbooks; a large
    benchmark county (``csv_only``) has only CSV, in ``encoding``.
    """
    t = geography.townships()
    n = len(t)
    csv_set = (
        set(range(n))
        if csv_only
        else set(rng.choice(n, size=int(rng.integers(2, 4)), replace=False).tolist())
    )
    careless = set(rng.choice(n, size=2, replace=False).tolist())
    headers = header_choices()
    styles = []
    names = cadres if cadres is not None else np.array([f"工作人员{i}" for i in range(2 * n)])
    for i, (code, township) in enumerate(t[["township_code", "township"]].itertuples(index=False)):
        fmt = "csv" if i in csv_set else "xlsx"
        omit = set(rng.choice(OMITTABLE, size=int(rng.choice([0, 0, 1, 2, 3, 4])), replace=False).tolist())
        chosen = {
            f: (h[0] if rng.random() < 0.5 else str(rng.choice(h)))
            for f, h in headers.items()
            if f not in omit
        }
        columns = _column_order([f for f in FIELDS if f not in omit], rng)
        date_style, others = _date_styles(fmt, rng)
        per_village = fmt == "xlsx" and rng.random() < 0.25
        order = "village" if per_village or rng.random() < 0.7 else "category"
        styles.append(
            ReturnStyle(
                township_code=str(code),
                township=str(township),
                file_name=_file_name(str(township), fmt, rng, year),
                fmt=fmt,
                encoding=encoding if fmt == "csv" else "",
                columns=tuple(columns),
                headers=chosen,
                serial_header=str(rng.choice(["序号", "序号", "编号"])),
                per_village_sheets=per_village,
                sheet_name=str(rng.choice(["Sheet1", "摸排表", "三留守", f"{township}"])),
                empty_sheets=int(rng.choice([0, 0, 0, 1, 2])) if fmt == "xlsx" and not per_village else 0,
                title_lines=fmt == "xlsx" or rng.random() < 0.7,
                blank_after_title=rng.random() < 0.25,
                township_short=rng.random() < 0.35,
                village_forms=_three(rng.dirichlet([6.0, 2.0, 1.5])),
                date_style=date_style,
                other_date_styles=others,
                odd_date_rate=float(rng.choice([0.0, 0.02, 0.05, 0.12])),
                excel_date_format=str(rng.choice(list(EXCEL_DATE_FORMATS))),
                sex_digits=rng.random() < 0.08,
                numbers_as_numbers=fmt == "xlsx" and rng.random() < 0.6,
                id15_as_number=rng.random() < 0.5,
                spell=_spellings(rng),
                economy_separator=str(rng.choice(ECONOMY_SEPARATORS)),
                boarding_pair=_BOARDING_PAIRS[int(rng.random() < 0.3)],
                pad_names=rng.random() < 0.2,
                order=order,
                header_repeat=not per_village and order == "village" and rng.random() < 0.3,
                subtotals=rng.random() < 0.35,
                blank_between=rng.random() < 0.5,
                blank_rate=float(rng.choice([0.0, 0.002, 0.005])),
                total_row=rng.random() < 0.85,
                footer=rng.random() < 0.8,
                prenumbered=int(rng.choice([0, 0, 0, 0, 3, 5, 8])),
                serial_restart=rng.random() < 0.3,
                filler=str(names[2 * i]),
                reviewer=str(names[2 * i + 1]),
                filled_on=dt.date(year + 1, 1, int(rng.integers(3, 20))),
                sloppiness=float(rng.lognormal(0.0, 0.5)),
                careless_ids=i in careless,
                group_suffix=rng.random() < 0.3,
            )
        )
    return _with_every_habit(styles, rng)


#: Column groups of a two-row header: the label merged above, the fields' own headers in the row below.
HEADER_GROUPS = (
    ("父母外出情况", ("father_status", "mother_status")),
    ("委托监护人情况", ("guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone")),
)


def _with_every_habit(styles: list[ReturnStyle], rng: np.random.Generator) -> list[ReturnStyle]:
    """Make sure each habit the cleaner must cope with shows up in at least one return, whatever the seed:
    one sheet per village, header repeats, a category-by-category list, a two-row header, merged townships."""
    out = list(styles)
    taken: set[int] = set()

    def pick(eligible: list[int], **changes: object) -> None:
        free = [i for i in eligible if i not in taken]
        if not free:
            return
        i = int(rng.choice(free))
        taken.add(i)
        out[i] = replace(out[i], **changes)  # type: ignore[arg-type]

    xlsx = [i for i, s in enumerate(out) if s.fmt == "xlsx"]
    if xlsx and not any(s.per_village_sheets for s in out):
        pick(
            xlsx, per_village_sheets=True, order="village", header_repeat=False, empty_sheets=0, prenumbered=0
        )
    taken |= {i for i, s in enumerate(out) if s.per_village_sheets}
    single = [i for i, s in enumerate(out) if not s.per_village_sheets]
    if not any(s.header_repeat for s in out):
        pick(single, header_repeat=True, order="village")
    if not any(s.order == "category" for s in out):
        pick(single, order="category", header_repeat=False)
    if xlsx:
        pick([i for i in xlsx if not out[i].per_village_sheets], two_row_header=True)
        pick(xlsx, merge_township=True)
    return out


def _three(p: np.ndarray) -> tuple[float, float, float]:
    return float(p[0]), float(p[1]), float(p[2])


def _column_order(fields: list[str], rng: np.random.Generator) -> list[str]:
    """Template order (most), the person first, or the category right after the village."""
    kind = rng.choice(["template", "template", "person_first", "category_early"])
    if kind == "person_first":
        front = [f for f in ("name", "sex", "id_number", "birth_date", "township", "village") if f in fields]
        return front + [f for f in fields if f not in front]
    if kind == "category_early":
        rest = [f for f in fields if f != "category_declared"]
        at = rest.index("village") + 1
        return rest[:at] + ["category_declared"] + rest[at:]
    return fields


def _date_styles(fmt: str, rng: np.random.Generator) -> tuple[str, tuple[str, ...]]:
    others: tuple[str, ...]
    if fmt == "xlsx":
        main = str(
            rng.choice(["excel", "dot", "cn", "compact", "iso", "slash"], p=[0.35, 0.2, 0.15, 0.1, 0.1, 0.1])
        )
        others = ("excel", "dot", "cn", "compact", "serial", "dot0")
    else:
        main = str(
            rng.choice(
                ["slash", "dot", "cn", "compact", "iso", "iso_time"], p=[0.3, 0.2, 0.15, 0.15, 0.15, 0.05]
            )
        )
        others = ("slash", "dot", "cn", "compact", "iso", "serial", "dot0")
    return main, tuple(o for o in others if o != main)
