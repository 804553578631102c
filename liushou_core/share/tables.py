"""The tables a department copy can hold: the catalogue that profiles pick from.

Every table is built from the same package functions the internal workbooks use (:mod:`liushou_core.workbooks`
and the rules behind it), on the same cleaned run, so a department sees the bureau's numbers — never a copy
of an internal notebook or of its HTML.

Two kinds:

- **summaries** (汇总表): counts and yuan per place. At ``county`` detail the places are the townships (one
  table for the county), at ``township`` detail the villages (one table per township). The workbook's
  by-village functions are reused for townships by handing them frames whose village columns hold the
  township (:func:`_places`), so both levels count alike.
- **lists** (人员名单): one row per person (or per person and problem), always per township; they keep the
  rule outputs' field names so a profile can allow columns by name and :mod:`.masking` can mask by kind.
  ``columns`` is the most a profile may allow: free text typed by cadres (备注), birth dates (the age is
  given) and provenance (source file and row) are never offered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from typing import Literal

import pandas as pd

from liushou_core.ledger import label
from liushou_core.rules.referrals import PROGRAMS
from liushou_core.rules.visits import LEVELS
from liushou_core.values.codebook import load_codebook
from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.investigation import children_by, children_by_age_and_sex, counts_by_village
from liushou_core.workbooks.overview import assistance_by_township
from liushou_core.workbooks.payments import education_by_village, payroll_by_village
from liushou_core.workbooks.protection import (
    gaps_by_village,
    referrals_by_village,
    risk_by_village,
    visits_by_level,
)
from liushou_core.workbooks.rundata import RunData, for_township
from liushou_core.workbooks.tabulate import NOT_COLLECTED, TOTAL

Detail = Literal["county", "township", "person"]
#: Levels of detail, coarsest first; a profile's ``level`` is the finest it may receive.
DETAILS: tuple[Detail, ...] = ("county", "township", "person")
DETAIL_LABELS: dict[str, str] = {
    "county": "全县汇总（分镇乡）",
    "township": "各镇（乡）汇总（分村、社区）",
    "person": "人员名单（按镇乡）",
}


@dataclass(frozen=True)
class ShareData:
    """What a department copy is built from: a run's register and the rules' outputs for one place.

    ``place`` is the county's name for the county pages, a township's name for a township page.
    """

    place: str
    county: str
    run: RunData
    sections: AssistanceSections

    def for_township(self, township: str) -> ShareData:
        """The same data restricted to one township."""

        def only(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["township"] == township].reset_index(drop=True)

        sections = replace(_map_frames(self.sections, only), place=township)
        return ShareData(township, self.county, for_township(self.run, township), sections)


def _map_frames(s: AssistanceSections, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> AssistanceSections:
    """``s`` with ``fn`` applied to every rule output that lists people (every frame with a township)."""
    changes = {
        f.name: fn(value)
        for f in fields(s)
        if isinstance(value := getattr(s, f.name), pd.DataFrame) and "township" in value.columns
    }
    return replace(s, **changes)


# ------------------------------------------------------------------------------------------------ summaries

By = Literal["township", "village"]


def _places(frame: pd.DataFrame, by: By) -> pd.DataFrame:
    """``frame`` whose village columns hold the place to count by (itself when that is the village)."""
    if by == "village":
        return frame
    return frame.assign(village=frame["township"], village_code=frame["township_code"])


def _sections_by(s: AssistanceSections, by: By) -> AssistanceSections:
    if by == "village":
        return s
    return _map_frames(s, lambda f: _places(f, by))


def _index_label(table: pd.DataFrame, by: By) -> pd.DataFrame:
    if by == "township" and table.index.name == label("village"):
        table = table.rename_axis(label("township"))
    return table


def _people_table(fn: Callable[..., pd.DataFrame]) -> Callable[[ShareData, By, bool], pd.DataFrame]:
    def build(d: ShareData, by: By, total: bool) -> pd.DataFrame:
        return _index_label(fn(_places(d.run.people, by), total=total), by)

    return build


def _children_by(dimension: str) -> Callable[[ShareData, By, bool], pd.DataFrame]:
    def build(d: ShareData, by: By, total: bool) -> pd.DataFrame:
        return _index_label(children_by(_places(d.run.people, by), dimension, total=total), by)

    return build


def _sections_table(
    fn: Callable[..., pd.DataFrame],
) -> Callable[[ShareData, By, bool], pd.DataFrame]:
    def build(d: ShareData, by: By, total: bool) -> pd.DataFrame:
        return _index_label(fn(_sections_by(d.sections, by), total=total), by)

    return build


def _crosstab(
    frame: pd.DataFrame, key: pd.Series, values: Sequence[str], order: Sequence[str]
) -> pd.DataFrame:
    table = pd.crosstab(
        pd.Categorical(frame["village"], categories=list(order)),
        pd.Categorical(key, categories=list(values)),
        dropna=False,
    )
    table.columns = [str(c) for c in table.columns]
    return table


def _order(people: pd.DataFrame) -> list[str]:
    order = people[["village_code", "village"]].drop_duplicates().sort_values("village_code")
    return [str(v) for v in order["village"]]


def _finish(table: pd.DataFrame, by: By, total: bool) -> pd.DataFrame:
    table.index = pd.Index([str(i) for i in table.index], name=label(by))
    if total:
        sums = pd.DataFrame([table.sum(numeric_only=True)], index=pd.Index([TOTAL], name=table.index.name))
        table = pd.concat([table, sums])
    return table.astype("int64")


def women(people: pd.DataFrame) -> pd.DataFrame:
    """The left-behind women of a register."""
    return people[people["category"] == "留守妇女"]


#: Ten-year bands for showing the women's ages (a display grouping, not a rule).
WOMAN_AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("20–29岁", 20, 30),
    ("30–39岁", 30, 40),
    ("40–49岁", 40, 50),
    ("50–59岁", 50, 60),
)


def women_by_age(d: ShareData, by: By, total: bool) -> pd.DataFrame:
    """Left-behind women per place and ten-year age band (completed years), with 妇女合计."""
    people = _places(d.run.people, by)
    w = women(people)
    edges = [WOMAN_AGE_BANDS[0][1], *(hi for _, _, hi in WOMAN_AGE_BANDS)]
    names = [b for b, _, _ in WOMAN_AGE_BANDS]
    bands = pd.cut(w["age"].astype("float64"), bins=edges, right=False, labels=names).astype("string")
    table = _crosstab(w, bands.fillna("其他年龄"), [*names, "其他年龄"], _order(people))
    if not table["其他年龄"].any():  # the definition keeps women within 20–59; the column is a safeguard
        table = table.drop(columns="其他年龄")
    table.insert(0, "妇女合计", table.sum(axis=1))
    return _finish(table, by, total)


def women_by_health(d: ShareData, by: By, total: bool) -> pd.DataFrame:
    """Left-behind women per place and health (健康、患病、残疾、未采集), with 妇女合计."""
    people = _places(d.run.people, by)
    w = women(people)
    values = [*load_codebook().canonical_values("health"), NOT_COLLECTED]
    table = _crosstab(w, w["health"].astype("string").fillna(NOT_COLLECTED), values, _order(people))
    table.insert(0, "妇女合计", table.sum(axis=1))
    return _finish(table, by, total)


def household_economy_by_place(d: ShareData, by: By, total: bool) -> pd.DataFrame:
    """People per place and household economy: a person whose household is both 低保户 and 建档立卡贫困户 counts
    under each, so the value columns may add up to more than 人数合计 (each person once)."""
    people = _places(d.run.people, by)
    values = [*load_codebook().canonical_values("household_economy"), NOT_COLLECTED]
    economy = people["household_economy"].astype("string").fillna(NOT_COLLECTED).str.split("、")
    exploded = people[["village", "village_code"]].assign(value=economy).explode("value")
    table = _crosstab(exploded, exploded["value"], values, _order(people))
    table.insert(0, "人数合计", people.groupby("village").size().reindex(table.index, fill_value=0))
    return _finish(table, by, total)


def _referrals_by_place(d: ShareData, by: By, total: bool, programs: Sequence[str] = ()) -> pd.DataFrame:
    s = _sections_by(d.sections, by)
    if programs:
        s = replace(s, referrals=s.referrals[s.referrals["program_label"].isin(list(programs))])
    table = referrals_by_village(s, total=total)
    if programs:
        table = table[[c for c in table.columns if c in programs or c in ("合计（人次）", "涉及人数")]]
    return _index_label(table, by)


def _visits(d: ShareData, by: By, total: bool) -> pd.DataFrame:
    return visits_by_level(d.sections, total=total)


def _assistance(d: ShareData, by: By, total: bool) -> pd.DataFrame:
    s = d.sections
    if by == "village":  # the county function counts per township: give it villages as its townships
        s = _map_frames(s, lambda f: f.assign(township=f["village"], township_code=f["village_code"]))
        table = assistance_by_township(s, TOTAL, total=total)
        return table.rename_axis(label("village"))
    return assistance_by_township(s, TOTAL, total=total)


# ------------------------------------------------------------------------------------------------ lists


def _people_of(category: str) -> Callable[[ShareData], pd.DataFrame]:
    def build(d: ShareData) -> pd.DataFrame:
        people = d.run.people
        return people[people["category"] == category].sort_values(
            ["village_code", "group", "name"], na_position="last"
        )

    return build


def _hardship(d: ShareData) -> pd.DataFrame:
    """People whose household is recorded as anything but 一般 (贫困户、低保户、特困供养、困难职工、孤儿)."""
    people = d.run.people
    values = people["household_economy"].astype("string").str.split("、").explode()
    hard = (values.notna() & (values != "一般")).groupby(level=0).any()
    return people[hard.reindex(people.index, fill_value=False).to_numpy(dtype=bool)].sort_values(
        ["village_code", "category", "group", "name"], na_position="last"
    )


def _education(status: str) -> Callable[[ShareData], pd.DataFrame]:
    def build(d: ShareData) -> pd.DataFrame:
        return d.sections.education[d.sections.education["status"] == status]

    return build


def _risk(d: ShareData) -> pd.DataFrame:
    r = d.sections.risk
    rank = r["risk_level"].map({lv: i for i, lv in enumerate(LEVELS)})
    return r.assign(_r=rank).sort_values(["_r", "village_code", "id_number"]).drop(columns="_r")


# ------------------------------------------------------------------------------------------------ catalogue

_PLACE = ("township", "village")
_WHO = ("group", "name", "sex", "id_number", "age")
_CHILD_FACTS = ("father_status", "mother_status", "guardian_name", "guardian_relation", "guardian_id_number",
                "guardian_phone", "agreement_signed", "agreement_date", "guardianship_grade", "health",
                "disability_grade", "schooling", "boarding")  # fmt: skip
_HOUSEHOLD = ("household_economy", "phone", "last_visit_date", "visitor")


@dataclass(frozen=True)
class TableSpec:
    """One shareable table.

    ``build`` makes a summary ``(data, by, total)`` or a list ``(data)``; ``columns`` are the fields a list
    may show (the most a profile may allow); ``labels`` override a field's Chinese header; ``section`` names
    the workbook section whose documents are cited under the table; ``chart`` draws a summary as bars.
    """

    key: str
    kind: Literal["summary", "list"]
    note: str
    build: Callable[..., pd.DataFrame]
    columns: tuple[str, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    section: str | None = None
    chart: bool = False
    details: tuple[Detail, ...] = ("county", "township")
    programs: bool = False  # takes a ``programs`` filter (referral programs)
    unit: str = "人"
    #: A person list shown once for the whole county on the cover page instead of once per township (the
    #: few 无人监护 children a police station must find at once, not spread over eleven pages).
    county_list: bool = False


_SPECS: tuple[TableSpec, ...] = (
    # -- summaries
    TableSpec("三留守人员人数", "summary", "核实名册中各类留守人员人数（按认定条件）。",
              _people_table(counts_by_village), chart=True),
    TableSpec("儿童年龄性别", "summary", "留守儿童按年龄段（周岁）和性别。",
              _people_table(children_by_age_and_sex)),
    TableSpec("儿童就学情况", "summary", "留守儿童按就学情况；“未采集”为报表未填写。",
              _children_by("schooling"), chart=True),
    TableSpec("儿童寄宿情况", "summary", "留守儿童是否在校寄宿。", _children_by("boarding")),
    TableSpec("儿童监护情况", "summary", "留守儿童按监护情况评估（较好、一般、差）。",
              _children_by("guardianship_grade"), chart=True),
    TableSpec("儿童健康状况", "summary", "留守儿童按健康状况。", _children_by("health")),
    TableSpec("委托监护确认书", "summary", "留守儿童委托监护责任确认书的签订情况。",
              _children_by("agreement_signed")),
    TableSpec("妇女年龄段", "summary", "留守妇女按年龄段（周岁）。", women_by_age, chart=True),
    TableSpec("妇女健康状况", "summary", "留守妇女按健康状况。", women_by_health),
    TableSpec("家庭经济状况", "summary",
              "三留守人员按家庭经济状况；一户有几种情况的在每种下各计一次，“人数合计”每人只计一次。",
              household_economy_by_place, chart=True),
    TableSpec("高龄补贴", "summary", "本月应发放的高龄补贴，按档次的人数和金额（元）。",
              _sections_table(payroll_by_village), section="payroll"),
    TableSpec("教育救助", "summary", "本学期教育救助：符合、待核实、不符合的人数和资助标准合计。",
              _sections_table(education_by_village), section="education", chart=False),
    TableSpec("监护问题", "summary", "留守儿童的监护问题，按问题种类（一名儿童可有几个问题）。",
              _sections_table(gaps_by_village), section="guardianship"),
    TableSpec("分层分级", "summary", "留守儿童按风险等级（高、中、待评估、低）。",
              _sections_table(risk_by_village), section="visits", chart=True),
    TableSpec("走访情况", "summary", "各风险等级的走访周期、儿童人数和需走访人数（不分地区）。",
              _visits, section="visits"),
    TableSpec("转介线索", "summary", "符合某项救助保障条件、但没有享受记录的人次，按项目。",
              _referrals_by_place, section="referrals", programs=True),
    TableSpec("帮扶救助概况", "summary", "教育救助、无人监护、监护问题、需走访和转介线索的人数（转介为人次）。",
              _assistance),
    # -- lists
    TableSpec("无人监护名单", "list", "父母双方都不在身边、又没有委托监护人的留守儿童（紧急，请立即核实）。",
              lambda d: d.sections.alerts,
              columns=(*_PLACE, *_WHO, "father_status", "mother_status", "guardian_name", "guardian_relation",
                       "guardian_phone", "detail"),
              section="alerts", details=("person",)),  # fmt: skip
    TableSpec("全县无人监护名单", "list",
              "全县父母双方都不在身边、又没有委托监护人的留守儿童，按镇（乡）、村（社区）排列（紧急，请立即核实）。",
              lambda d: d.sections.alerts.sort_values(["township_code", "village_code"], kind="stable"),
              columns=(*_PLACE, *_WHO, "father_status", "mother_status", "guardian_name", "guardian_relation",
                       "guardian_phone", "detail"),
              section="alerts", details=("person",), county_list=True),  # fmt: skip
    TableSpec("监护问题清单", "list", "每名留守儿童的每个监护问题及处理办法（紧急、需整改、待核实）。",
              lambda d: d.sections.gaps,
              columns=("severity", "problem_label", *_PLACE, *_WHO, *_CHILD_FACTS[:7], "detail"),
              section="guardianship", details=("person",), unit="条"),
    TableSpec("教育救助名单", "list", "本学期符合教育救助条件的学生、资助依据和资助标准。",
              _education("符合"),
              columns=(*_PLACE, *_WHO, "household_economy", "health", "schooling", "boarding", "basis",
                       "amount", "reason"),
              labels={"amount": "资助标准（元/年）"}, section="education", details=("person",)),
    TableSpec("教育救助待核实名单", "list", "决定是否资助或资助多少的情况没有填写的学生，核实补填后再定。",
              _education("待核实"),
              columns=(*_PLACE, *_WHO, "household_economy", "health", "schooling", "boarding", "basis",
                       "reason"),
              section="education", details=("person",)),
    TableSpec("需走访儿童名单", "list", "已到或超过走访周期、没有走访记录或走访日期有误的留守儿童。",
              lambda d: d.sections.visits,
              columns=("risk_level", "visit_status", "days_overdue", *_PLACE, *_WHO, "risk_reasons",
                       "last_visit_date", "visitor", "interval_days", "due_date"),
              section="visits", details=("person",)),
    TableSpec("分层分级名单", "list", "每名留守儿童的风险等级及其依据。", _risk,
              columns=("risk_level", *_PLACE, *_WHO, "risk_reasons", "guardianship_grade", "health",
                       "disability_grade", "schooling"),
              section="visits", details=("person",)),
    TableSpec("转介名单", "list", "登记情况符合某项救助保障条件、但没有享受记录的人员及建议。",
              lambda d: d.sections.referrals,
              columns=("program_label", *_PLACE, *_WHO, "category", "basis", "recorded", "action"),
              labels={"basis": "符合的条件"}, section="referrals", details=("person",), programs=True, unit="人次"),
    TableSpec("高龄补贴花名册", "list", "本月应发放高龄补贴的老人、档次和金额。",
              lambda d: d.sections.payroll,
              columns=(*_PLACE, *_WHO, "tier", "amount"), section="payroll", details=("person",)),
    TableSpec("留守儿童名单", "list", "核实名册中的留守儿童。", _people_of("留守儿童"),
              columns=(*_PLACE, *_WHO, *_CHILD_FACTS, *_HOUSEHOLD), details=("person",)),
    TableSpec("留守妇女名单", "list", "核实名册中的留守妇女。", _people_of("留守妇女"),
              columns=(*_PLACE, *_WHO, "husband_status", "months_away", "health", "disability_grade",
                       *_HOUSEHOLD),
              details=("person",)),  # fmt: skip
    TableSpec("留守老人名单", "list", "核实名册中的留守老人。", _people_of("留守老人"),
              columns=(*_PLACE, *_WHO, "children_status", "months_away", "health", "disability_grade",
                       *_HOUSEHOLD),
              details=("person",)),  # fmt: skip
    TableSpec("困难家庭人员名单", "list",
              "家庭经济状况登记为建档立卡贫困户、低保户、特困供养、建档困难职工或孤儿的三留守人员。",
              _hardship,
              columns=(*_PLACE, *_WHO, "category", "household_economy", "health", "disability_grade",
                       "schooling", "phone", "last_visit_date", "visitor"),
              details=("person",)),  # fmt: skip
)  # fmt: skip

#: Table name (as written in a profile) → its spec.
CATALOGUE: dict[str, TableSpec] = {spec.key: spec for spec in _SPECS}


@lru_cache(maxsize=1)
def referral_programs() -> tuple[str, ...]:
    """The Chinese names of the referral programs a ``programs`` filter may name."""
    return tuple(name for name, _ in PROGRAMS.values())


def summary_table(spec: TableSpec, data: ShareData, by: By, *, total: bool,
                  programs: Sequence[str] = ()) -> pd.DataFrame:  # fmt: skip
    """A summary table per township (``by="township"``) or per village, with a 合计 row when ``total``."""
    if spec.programs and programs:
        return _referrals_by_place(data, by, total, programs)
    return spec.build(data, by, total)


def list_table(spec: TableSpec, data: ShareData, *, programs: Sequence[str] = ()) -> pd.DataFrame:
    """A list's rows for ``data``'s place: every column the rule produced, plus the register's facts of the
    person (组, 电话…) among the list's ``columns`` that the rule output does not carry; field-named."""
    frame = spec.build(data)
    if spec.programs and programs:
        frame = frame[frame["program_label"].isin(list(programs))]
    people = data.run.people
    extra = [c for c in spec.columns if c not in frame.columns and c in people.columns]
    if extra:  # one register row per ID (Person.id_number is unique), so the merge keeps the list's rows
        facts = people[["id_number", *extra]].drop_duplicates("id_number")
        frame = frame.merge(facts, on="id_number", how="left", validate="many_to_one")
    return frame.reset_index(drop=True)


__all__ = [
    "CATALOGUE",
    "DETAILS",
    "DETAIL_LABELS",
    "By",
    "Detail",
    "ShareData",
    "TableSpec",
    "household_economy_by_place",
    "list_table",
    "referral_programs",
    "summary_table",
    "women",
    "women_by_age",
    "women_by_health",
]
