"""Dynamic management (动态管理): who entered the register, who left and why, who moved, what changed.

Two cleaned rounds (folders with ``people.parquet``, and ``pending.parquet`` and ``summary.json`` beside it)
are compared person by person, matched by ID number, with both rounds expressed in the newer division vintage
(:mod:`liushou_core.values.crosswalk`), so a village only re-coded by the 2019 reform is not a move and counts by
township are comparable. Every person of either register gets one row of the change register (:class:`Change`):

- **left** (退出): in the old register, not in the new one. The reason comes from the data and the
  definitions (``params/definitions``), never from a guess:
  age at the new reference date past the limit (已满16周岁 for a child, past the women's age band) — known
  from the ID even when the person is no longer listed; listed again but pending for a data problem (本轮待核实);
  listed with a fact that no longer qualifies — a parent at home (父母返乡), the husband at home (丈夫返乡),
  only some children away (子女返乡), away less than the minimum (外出不满6个月), anything else
  (不再符合认定条件); otherwise **未找到** (not found): a death or a move out of the county is never assumed;
- **entered** (新增): in the new register only — pending last round (上轮待核实), born after the old reference
  date (新出生), too young for the category at the old date (年满60周岁, 年满20周岁), away for less than the
  time between the rounds, so gone since the old round (父母/丈夫/子女新近外出), otherwise
  新登记（报表未说明原因）;
- **stayed** (在册): in both — with a move between villages or townships, a category change (a woman turning
  60 whose children are away is now an elder), and the circumstances that changed (guardian, agreement,
  guardianship, household economy, health, disability, schooling, boarding), each compared only where both
  rounds filled it in: “not collected” is never a change.

The change register is one row per person; :class:`ChangeDetail` has one row per changed circumstance. Both
are written as parquet beside ``变动名册.xlsx`` (Chinese headers) and ``changes_summary.json``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from liushou_core.atomic import require_complete, write_json, write_parquet
from liushou_core.cleaning.classify import Thresholds
from liushou_core.errors import LiushouError
from liushou_core.issues import RULES
from liushou_core.ledger import write_ledger
from liushou_core.register import CATEGORIES
from liushou_core.values import crosswalk, idcard
from liushou_core.values.dates import age_at

CHILD, WOMAN, ELDER = CATEGORIES

#: The three kinds of change and their Chinese names.
CHANGES = {"entered": "新增", "left": "退出", "stayed": "在册"}
#: Moves between two rounds (in the newer vintage's units).
MOVES = {"": "", "village": "跨村迁移", "township": "跨乡镇迁移"}
ENTRY_REASONS = (
    "previously_pending", "born", "turned_60", "reached_20", "parent_left", "husband_left", "children_left",
    "unexplained",
)  # fmt: skip
EXIT_REASONS = (
    "turned_16", "over_age", "pending", "parent_returned", "husband_returned", "children_returned",
    "away_too_short", "no_longer_qualified", "not_found",
)  # fmt: skip
STAY_REASONS = ("stayed", "turned_60", "category_changed")
#: Circumstances compared for people in both rounds (``guardian`` is the person: ID, else name).
WATCHED = (
    "guardian", "agreement_signed", "guardianship_grade", "household_economy", "health", "disability_grade",
    "schooling", "boarding",
)  # fmt: skip
WATCHED_LABELS = {
    "guardian": "委托监护人", "agreement_signed": "委托监护确认书", "guardianship_grade": "监护情况",
    "household_economy": "家庭经济状况", "health": "健康状况", "disability_grade": "残疾等级",
    "schooling": "就学情况", "boarding": "是否寄宿", "category": "人员类别", "village": "村（社区）",
}  # fmt: skip
_AWAY, _HOME = "外出务工", "在家"


def reason_labels(t: Thresholds) -> dict[str, str]:
    """Reason code → Chinese label, with the thresholds of the definitions in force."""
    return {
        "stayed": "继续在册",
        "turned_60": f"年满{t.elder_min_age}周岁",
        "category_changed": "人员类别变化",
        "previously_pending": "上轮待核实，本轮核实",
        "born": "新出生",
        "reached_20": f"年满{t.woman_min_age}周岁",
        "parent_left": "父母新近外出务工",
        "husband_left": "丈夫新近外出务工",
        "children_left": "子女新近外出",
        "unexplained": "新登记（报表未说明原因）",
        "turned_16": f"年满{t.child_age_limit}周岁",
        "over_age": f"已满{t.woman_max_age + 1}周岁（超出留守妇女年龄）",
        "pending": "本轮待核实",
        "parent_returned": "父母返乡（一方在家）",
        "husband_returned": "丈夫返乡",
        "children_returned": "子女返乡（部分外出）",
        "away_too_short": f"外出不满{t.min_months_away}个月",
        "no_longer_qualified": "不再符合认定条件",
        "not_found": "未找到",
    }


class Change(pa.DataFrameModel):
    """One person of either round: what changed between the rounds and why."""

    id_number: Series[str] = pa.Field(unique=True, str_matches=r"^\d{17}[\dX]$")
    name: Series[str]
    sex: Series[str] = pa.Field(isin=["男", "女"])
    birth_date: Series[pd.Timestamp]
    change: Series[str] = pa.Field(isin=list(CHANGES))
    change_label: Series[str] = pa.Field(isin=list(CHANGES.values()))
    reason: Series[str] = pa.Field(isin=sorted({*ENTRY_REASONS, *EXIT_REASONS, *STAY_REASONS}))
    reason_label: Series[str]
    detail: Series[str] = pa.Field(nullable=True)
    category: Series[str] = pa.Field(isin=list(CATEGORIES))  # the new round's, else the old one's
    category_old: Series[str] = pa.Field(nullable=True, isin=list(CATEGORIES))
    category_new: Series[str] = pa.Field(nullable=True, isin=list(CATEGORIES))
    age_old: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    age_new: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    township_code: Series[str]  # where the person is (entered, stayed) or was (left), in the newer vintage
    township: Series[str]
    village_code: Series[str]
    village: Series[str]
    township_old: Series[str] = pa.Field(nullable=True)  # the old round's unit in the newer vintage
    village_old: Series[str] = pa.Field(nullable=True)
    moved: Series[str] = pa.Field(isin=list(MOVES))
    moved_label: Series[str]
    changed: Series[str]  # Chinese labels of the changed circumstances, joined by 、
    source_old: Series[str] = pa.Field(nullable=True)  # the row in the old round's returns
    source_new: Series[str] = pa.Field(nullable=True)  # the row in the new round's returns (also if pending)

    @pa.dataframe_check
    @classmethod
    def reasons_fit_the_change(cls, df: pd.DataFrame) -> Series[bool]:
        return (
            (df["change"].eq("entered") & df["reason"].isin(ENTRY_REASONS))
            | (df["change"].eq("left") & df["reason"].isin(EXIT_REASONS))
            | (df["change"].eq("stayed") & df["reason"].isin(STAY_REASONS))
        )

    class Config:
        strict = "filter"
        coerce = True


class ChangeDetail(pa.DataFrameModel):
    """One changed circumstance (or move, or category) of a person in both rounds."""

    id_number: Series[str]
    name: Series[str]
    township: Series[str]
    village: Series[str]
    field: Series[str] = pa.Field(isin=[*WATCHED, "category", "village"])
    field_label: Series[str]
    old: Series[str]
    new: Series[str]

    class Config:
        strict = "filter"
        coerce = True


@dataclass(frozen=True)
class Round:
    """One cleaned survey round: the verified register, the pending rows, the reference date."""

    people: pd.DataFrame
    pending: pd.DataFrame | None
    reference_date: date
    source: str = ""


@dataclass(frozen=True)
class Comparison:
    """The change register of two rounds, its details, and what it was computed with."""

    register: pd.DataFrame
    details: pd.DataFrame
    old_date: date
    new_date: date
    vintage: int
    thresholds: Thresholds
    township: str | None = None  # set by for_township: the register holds the people there now or before

    @property
    def labels(self) -> dict[str, str]:
        return reason_labels(self.thresholds)

    def summary(self) -> dict[str, Any]:
        """Counts for ``changes_summary.json`` and the command's report (of one township's part: people
        there in the old round, there now, and staying there or moving in)."""
        r = self.register
        here_old = r["category_old"].notna()
        here_new = r["category_new"].notna()
        if self.township:
            here_old &= r["township_old"].eq(self.township).fillna(False)
            here_new &= r["township"].eq(self.township)

        def by(mask: pd.Series) -> dict[str, int]:
            return {str(k): int(v) for k, v in r.loc[mask, "reason"].value_counts().items()}

        return {
            "old_reference_date": self.old_date.isoformat(),
            "new_reference_date": self.new_date.isoformat(),
            "vintage": self.vintage,
            "people_old": int(here_old.sum()),
            "people_new": int(here_new.sum()),
            "entered": int(r["change"].eq("entered").sum()),
            "left": int(r["change"].eq("left").sum()),
            "stayed": int((r["change"].eq("stayed") & here_new).sum()),
            "entered_by_reason": by(r["change"].eq("entered")),
            "left_by_reason": by(r["change"].eq("left")),
            "moved": {k: int(r["moved"].eq(k).sum()) for k in ("village", "township")},
            "category_changed": int(
                (r["change"].eq("stayed") & r["category_old"].ne(r["category_new"])).sum()
            ),
            "with_changed_circumstances": int(r["changed"].ne("").sum()),
            "changed_by_field": {
                str(k): int(v) for k, v in self.details["field"].value_counts().items() if k in WATCHED
            },
        }


# ----- reading ---------------------------------------------------------------------------------------------


def clean_folder(folder: Path | str) -> Path:
    """The cleaned round in ``folder``: the folder itself if it holds people.parquet, else a run's ``clean``."""
    folder = Path(folder)
    return (
        folder
        if (folder / "people.parquet").exists() or not (folder / "clean").is_dir()
        else folder / "clean"
    )


def read_round(folder: Path) -> Round:
    """A cleaned round (a ``liushou clean`` output folder or a run folder): ``people.parquet`` (required),
    ``pending.parquet`` and the reference date of ``summary.json``."""
    folder = clean_folder(folder)
    people_path = folder / "people.parquet"
    if not people_path.is_file():
        raise LiushouError(f"{folder} 中没有 people.parquet：请先用 liushou clean 清洗这一轮的报表")
    require_complete(folder)
    summary_path = folder / "summary.json"
    try:
        ref = date.fromisoformat(json.loads(summary_path.read_text(encoding="utf-8"))["reference_date"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise LiushouError(f"{summary_path} 缺失或没有认定基准日（reference_date）") from exc
    pending_path = folder / "pending.parquet"
    pending = pd.read_parquet(pending_path) if pending_path.is_file() else None
    return Round(pd.read_parquet(people_path), pending, ref, str(folder))


# ----- the comparison ----------------------------------------------------------------------------------------


def compare(
    old: Round, new: Round, *, vintage: int | None = None, bureau: pd.DataFrame | None = None
) -> Comparison:
    """The change register of ``new`` against ``old`` (see the module doc for every rule).

    ``vintage`` is the division vintage both rounds are expressed in: by default 2020 when the bureau's
    mapping (``bureau``, from :func:`liushou_core.values.crosswalk.read_bureau_crosswalk`) is given, else the newest
    vintage either round's codes show.
    """
    if new.reference_date <= old.reference_date:
        raise LiushouError(
            f"新一轮的认定基准日（{new.reference_date}）应晚于上一轮（{old.reference_date}）：请检查两个文件夹的顺序"
        )
    if vintage is None:
        vintage = 2020 if bureau is not None else max(
            crosswalk.newest_vintage(old.people["village_code"]), crosswalk.newest_vintage(new.people["village_code"])
        )  # fmt: skip
    t = Thresholds.at(new.reference_date)
    o = crosswalk.express_in(old.people, vintage, bureau=bureau).set_index("id_number")
    n = crosswalk.express_in(new.people, vintage, bureau=bureau).set_index("id_number")
    left = _left(o.loc[o.index.difference(n.index, sort=False)], new, t)
    entered = _entered(n.loc[n.index.difference(o.index, sort=False)], old, new.reference_date, t)
    both = o.index.intersection(n.index, sort=False)
    stayed, details = _stayed(o.loc[both], n.loc[both], old.reference_date, new.reference_date, t)
    register = pd.concat([left, entered, stayed])
    labels = reason_labels(t)
    register["reason_label"] = register["reason"].map(labels)
    register["change_label"] = register["change"].map(CHANGES)
    register["moved_label"] = register["moved"].map(MOVES)
    register = register.reset_index().sort_values(
        ["township_code", "village_code", "change", "category", "id_number"], ignore_index=True
    )
    return Comparison(
        register=Change.validate(register),
        details=ChangeDetail.validate(details.reset_index(drop=True)),
        old_date=old.reference_date,
        new_date=new.reference_date,
        vintage=vintage,
        thresholds=t,
    )


def _source(frame: pd.DataFrame) -> pd.Series:
    """Where a row is in the returns: ``file（sheet）第N行``."""
    sheet = frame["source_sheet"].astype("string").fillna("")
    where = frame["source_file"].astype("string") + ("（" + sheet + "）").where(sheet.ne(""), "")
    return (where + "第" + frame["source_row"].astype("Int64").astype("string") + "行").astype("string")


def _identity(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["name", "sex", "birth_date", "township_code", "township", "village_code", "village"]].copy()


def _listed(pending: pd.DataFrame | None, ids: pd.Index) -> pd.DataFrame:
    """The pending rows (valid ID, first row per person) of ``ids``, on that index; empty rows where none."""
    cols = ["reason", "father_status", "mother_status", "husband_status", "children_status", "months_away",
            "source_file", "source_sheet", "source_row"]  # fmt: skip
    if pending is None or pending.empty or "id_number" not in pending:
        return pd.DataFrame(index=ids, columns=cols)
    idn = pending["id_number"].astype("string")
    ok = pending["id_status"].eq("valid") if "id_status" in pending else idn.str.fullmatch(r"\d{17}[\dX]")
    valid = pending[ok.fillna(False).to_numpy(dtype=bool)].drop_duplicates("id_number").set_index("id_number")
    return valid.reindex(index=ids, columns=cols)


def _left(o: pd.DataFrame, new: Round, t: Thresholds) -> pd.DataFrame:
    """People of the old register only: why they are gone, as far as the data say."""
    out = _identity(o)
    cat = o["category"].astype("string")
    age_new = age_at(o["birth_date"], new.reference_date)
    lp = _listed(new.pending, o.index)
    listed = lp["reason"].notna()
    nq = lp["reason"].eq("not_qualified").fillna(False)
    father, mother = lp["father_status"].astype("string"), lp["mother_status"].astype("string")
    months = pd.to_numeric(lp["months_away"], errors="coerce")
    parent_home = father.eq(_HOME).fillna(False) | mother.eq(_HOME).fillna(False)
    conditions = [
        cat.eq(CHILD) & age_new.ge(t.child_age_limit),
        cat.eq(WOMAN) & age_new.gt(t.woman_max_age),
        listed & ~nq,
        nq & cat.eq(CHILD) & parent_home,
        nq & cat.eq(WOMAN) & lp["husband_status"].eq(_HOME).fillna(False),
        nq & cat.eq(ELDER) & lp["children_status"].eq("部分外出").fillna(False),
        nq & cat.isin([WOMAN, ELDER]) & months.lt(t.min_months_away).fillna(False),
        nq,
    ]
    conditions = [c.fillna(False).to_numpy(dtype=bool) for c in conditions]
    reasons = ["turned_16", "over_age", "pending", "parent_returned", "husband_returned", "children_returned",
               "away_too_short", "no_longer_qualified"]  # fmt: skip
    out["reason"] = np.select(conditions, reasons, default="not_found")
    age_txt = age_new.astype("string")
    rule_title = lp["reason"].map({c: r.title for c, r in RULES.items()}).astype("string")
    details = [
        "基准日年龄" + age_txt + "周岁",
        "基准日年龄" + age_txt + "周岁",
        "本轮报表有误：" + rule_title,
        ("父亲" + father.fillna("未填") + "、母亲" + mother.fillna("未填")),
        pd.Series("丈夫在家", index=o.index, dtype="string"),
        pd.Series("子女部分外出", index=o.index, dtype="string"),
        "外出" + months.astype("Int64").astype("string") + "个月",
        pd.Series("本轮报表所填情况不符合认定条件", index=o.index, dtype="string"),
    ]
    out["detail"] = np.select(
        conditions, [d.astype("string").fillna("").to_numpy(dtype=object) for d in details],
        default="本轮核实名册和待核实名单中都没有此人",
    )  # fmt: skip
    out["change"] = "left"
    out["category"] = cat
    out["category_old"] = cat
    out["category_new"] = pd.NA
    out["age_old"] = o["age"].astype("Int64")
    out["age_new"] = age_new
    out["township_old"], out["village_old"] = o["township"], o["village"]
    out["moved"] = ""
    out["changed"] = ""
    out["source_old"] = _source(o)
    out["source_new"] = _source(lp.assign(source_file=lp["source_file"].astype("string"))).where(listed)
    return out


def _entered(n: pd.DataFrame, old: Round, new_date: date, t: Thresholds) -> pd.DataFrame:
    """People of the new register only: why they are new, as far as the data say."""
    out = _identity(n)
    cat = n["category"].astype("string")
    age_old = age_at(n["birth_date"], old.reference_date)
    window = (new_date.year - old.reference_date.year) * 12 + new_date.month - old.reference_date.month
    months = n["months_away"].astype("Float64")
    was_pending = _listed(old.pending, n.index)["reason"].notna()
    recent = months.lt(window).fillna(False)
    conditions = [
        was_pending,
        n["birth_date"].gt(pd.Timestamp(old.reference_date)),
        cat.eq(ELDER) & age_old.lt(t.elder_min_age),
        cat.eq(WOMAN) & age_old.lt(t.woman_min_age),
        cat.eq(CHILD) & recent,
        cat.eq(WOMAN) & recent,
        cat.eq(ELDER) & recent,
    ]
    conditions = [c.fillna(False).to_numpy(dtype=bool) for c in conditions]
    out["reason"] = np.select(conditions, list(ENTRY_REASONS[:-1]), default="unexplained")
    months_txt = "外出" + n["months_away"].astype("Int64").astype("string") + "个月"
    age_txt = "上轮基准日年龄" + age_old.astype("string") + "周岁"
    details = [
        pd.Series("上轮在待核实名单中", index=n.index, dtype="string"),
        "出生于" + n["birth_date"].dt.strftime("%Y-%m-%d").astype("string"),
        age_txt, age_txt, months_txt, months_txt, months_txt,
    ]  # fmt: skip
    out["detail"] = np.select(
        conditions, [d.astype("string").fillna("").to_numpy(dtype=object) for d in details], default=""
    )
    out["change"] = "entered"
    out["category"] = cat
    out["category_old"] = pd.NA
    out["category_new"] = cat
    out["age_old"] = age_old
    out["age_new"] = n["age"].astype("Int64")
    out["township_old"], out["village_old"] = pd.NA, pd.NA
    out["moved"] = ""
    out["changed"] = ""
    out["source_old"] = pd.NA
    out["source_new"] = _source(n)
    return out


def _stayed(
    o: pd.DataFrame, n: pd.DataFrame, old_date: date, new_date: date, t: Thresholds
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People in both registers: moves, category changes, changed circumstances (and their details)."""
    out = _identity(n)
    cat_o, cat_n = o["category"].astype("string"), n["category"].astype("string")
    age_old = o["age"].astype("Int64")
    new_cat = cat_o.ne(cat_n)
    out["reason"] = np.select(
        [(new_cat & cat_n.eq(ELDER) & age_old.lt(t.elder_min_age)).to_numpy(dtype=bool), new_cat.to_numpy(dtype=bool)],
        ["turned_60", "category_changed"],
        default="stayed",
    )  # fmt: skip
    moved = np.select(
        [o["township_code"].ne(n["township_code"]).to_numpy(dtype=bool),
         o["village_code"].ne(n["village_code"]).to_numpy(dtype=bool)],
        ["township", "village"],
        default="",
    )  # fmt: skip
    changed = _changed(o, n, new_date)
    out["changed"] = _joined_labels(changed)
    out["detail"] = np.where(moved != "", "由" + o["township"] + o["village"] + "迁入", "")
    out["change"] = "stayed"
    out["category"] = cat_n
    out["category_old"], out["category_new"] = cat_o, cat_n
    out["age_old"], out["age_new"] = age_old, n["age"].astype("Int64")
    out["township_old"], out["village_old"] = o["township"], o["village"]
    out["moved"] = moved
    out["source_old"], out["source_new"] = _source(o), _source(n)
    return out, _details(o, n, changed, new_cat, moved)


def _changed(o: pd.DataFrame, n: pd.DataFrame, on: date) -> pd.DataFrame:
    """Boolean frame: which WATCHED circumstances differ, among those both rounds filled in."""
    out = {}
    for f in WATCHED:
        if f == "guardian":
            go, gn = o["guardian_id_number"].astype("string"), n["guardian_id_number"].astype("string")
            valid = _valid_id(go, on) & _valid_id(gn, on)
            by_id = valid & go.ne(gn).fillna(False)
            no, nn = o["guardian_name"].astype("string"), n["guardian_name"].astype("string")
            by_name = ~valid & no.ne(nn).fillna(False)
            out[f] = (by_id | by_name).to_numpy(dtype=bool)
        else:
            a, b = o[f].astype("string"), n[f].astype("string")
            out[f] = a.ne(b).fillna(False).to_numpy(dtype=bool)
    return pd.DataFrame(out, index=o.index)


def _joined_labels(flags: pd.DataFrame) -> pd.Series:
    """``委托监护人、健康状况`` per row from a boolean frame of WATCHED columns: each row's set of flags as a
    bit mask, each distinct mask joined once."""
    bits = np.zeros(len(flags), dtype=np.int64)
    for i, f in enumerate(flags.columns):
        bits |= flags[f].to_numpy(dtype=np.int64) << i
    masks = np.unique(bits)
    text = [
        "、".join(WATCHED_LABELS[f] for i, f in enumerate(flags.columns) if int(m) >> i & 1) for m in masks
    ]
    return pd.Series(
        np.array(text, dtype=object)[np.searchsorted(masks, bits)], index=flags.index, dtype="string"
    )


def _valid_id(ids: pd.Series, on: date) -> pd.Series:
    return idcard.parse_ids(ids, on)["id_status"].eq("valid").fillna(False)


def _details(
    o: pd.DataFrame, n: pd.DataFrame, changed: pd.DataFrame, new_cat: pd.Series, moved: np.ndarray
) -> pd.DataFrame:
    """One row per changed circumstance, move or category change."""
    frames = []

    def add(mask: np.ndarray, field: str, old: pd.Series, new: pd.Series) -> None:
        if mask.any():
            frames.append(
                pd.DataFrame(
                    {
                        "id_number": n.index[mask], "name": n["name"][mask], "township": n["township"][mask],
                        "village": n["village"][mask], "field": field, "field_label": WATCHED_LABELS[field],
                        "old": old[mask].astype("string").fillna(""), "new": new[mask].astype("string").fillna(""),
                    }
                )
            )  # fmt: skip

    add(new_cat.to_numpy(dtype=bool), "category", o["category"], n["category"])
    add(moved != "", "village", o["township"] + o["village"], n["township"] + n["village"])
    for f in WATCHED:
        if f == "guardian":

            def who(p: pd.DataFrame) -> pd.Series:
                gid = p["guardian_id_number"].astype("string").fillna("")
                return p["guardian_name"].astype("string").fillna("") + ("（" + gid + "）").where(
                    gid.ne(""), ""
                )

            add(changed[f].to_numpy(), f, who(o), who(n))
        else:
            add(changed[f].to_numpy(), f, o[f], n[f])
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in ChangeDetail.to_schema().columns})
    return pd.concat(frames).reset_index(drop=True)


# ----- tables for people ---------------------------------------------------------------------------------------


def by_reason(register: pd.DataFrame, labels: dict[str, str]) -> pd.DataFrame:
    """Entries and exits by reason and category (people), with a 合计 column; reasons in rule order."""
    r = register[register["change"].isin(["entered", "left"])]
    order = [(c, x) for c, xs in (("entered", ENTRY_REASONS), ("left", EXIT_REASONS)) for x in xs]
    table = pd.crosstab([r["change"], r["reason"]], r["category"]).reindex(
        columns=list(CATEGORIES), fill_value=0
    )
    table = table.reindex(pd.MultiIndex.from_tuples(order), fill_value=0)
    table = table[table.sum(axis=1) > 0]
    table["合计"] = table.sum(axis=1)
    table.index = pd.MultiIndex.from_tuples(
        [(CHANGES[c], labels[x]) for c, x in table.index], names=["变动", "原因"]
    )
    return table


def by_category(register: pd.DataFrame) -> pd.DataFrame:
    """Per category: last round, entered, left, category changes in and out, this round, net change."""
    r = register
    stayed = r["change"].eq("stayed")
    rows = {}
    for c in CATEGORIES:
        rows[c] = {
            "上轮人数": int(r["category_old"].eq(c).sum()),
            "新增": int((r["change"].eq("entered") & r["category_new"].eq(c)).sum()),
            "退出": int((r["change"].eq("left") & r["category_old"].eq(c)).sum()),
            "类别转入": int((stayed & r["category_new"].eq(c) & r["category_old"].ne(c)).sum()),
            "类别转出": int((stayed & r["category_old"].eq(c) & r["category_new"].ne(c)).sum()),
            "本轮人数": int(r["category_new"].eq(c).sum()),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.loc["合计"] = table.sum()
    table["净变化"] = table["本轮人数"] - table["上轮人数"]
    table.index.name = "人员类别"
    return table


def by_township(register: pd.DataFrame, townships: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per township (newer vintage, code order): last round, entered, left, moved in and out (between
    townships), this round, net change; last round + 新增 − 退出 + 迁入 − 迁出 = this round."""
    r = register
    order = (
        list(townships["township"])
        if townships is not None
        else list(r.sort_values("township_code")["township"].drop_duplicates())
    )
    table = _by_place(r, r["township_old"], r["township"], order)
    table.index.name = "镇（乡、街道）"
    return table


def by_village(register: pd.DataFrame, township: str) -> pd.DataFrame:
    """Per village of one township, like :func:`by_township`; moves in and out include moves between the
    township's own villages."""
    r = register
    old = r["village_old"].where(r["township_old"].eq(township).fillna(False))
    new = r["village"].where(r["township"].eq(township))
    order = list(r[r["township"].eq(township)].sort_values("village_code")["village"].drop_duplicates())
    table = _by_place(r, old, new, order)
    table.index.name = "村（社区）"
    return table


def _by_place(r: pd.DataFrame, old_place: pd.Series, new_place: pd.Series, order: list[str]) -> pd.DataFrame:
    old_place = old_place.where(r["category_old"].notna())
    new_place = new_place.where(r["category_new"].notna())
    moved = r["change"].eq("stayed") & old_place.ne(new_place).fillna(False)
    moved &= old_place.notna() | new_place.notna()
    cols = {
        "上轮人数": old_place.value_counts(),
        "新增": new_place[r["change"].eq("entered")].value_counts(),
        "退出": old_place[r["change"].eq("left")].value_counts(),
        "迁入": new_place[moved].value_counts(),
        "迁出": old_place[moved].value_counts(),
        "本轮人数": new_place.value_counts(),
    }
    extra = sorted(set().union(*[set(s.index) for s in cols.values()]) - set(order))
    table = pd.DataFrame(cols).reindex(order + extra).fillna(0).astype("int64")
    table = table[table.sum(axis=1) > 0]
    table.loc["合计"] = table.sum()
    table["净变化"] = table["本轮人数"] - table["上轮人数"]
    return table


#: Columns of the people lists, with their Chinese headers.
LIST_LABELS = {
    "township": "镇（乡、街道）", "village": "村（社区）", "name": "姓名", "sex": "性别", "id_number": "公民身份号码",
    "birth_date": "出生日期", "category": "人员类别", "category_old": "上轮类别", "category_new": "本轮类别",
    "age_old": "上轮年龄", "age_new": "本轮年龄", "change_label": "变动", "reason_label": "原因", "detail": "依据",
    "township_old": "上轮镇（乡、街道）", "village_old": "上轮村（社区）", "moved_label": "迁移",
    "changed": "情况变化", "source_old": "上轮报表位置", "source_new": "本轮报表位置",
    "field_label": "项目", "old": "上轮", "new": "本轮",
}  # fmt: skip


def people_list(register: pd.DataFrame, kind: str) -> pd.DataFrame:
    """A list for people (Chinese headers): ``entered``, ``left``, ``moved`` or ``changed``."""
    base = ["township", "village", "name", "sex", "id_number", "birth_date"]
    if kind == "entered":
        rows, cols = (
            register["change"].eq("entered"),
            [*base, "category", "age_new", "reason_label", "detail", "source_new"],
        )
    elif kind == "left":
        rows = register["change"].eq("left")
        cols = [*base, "category", "age_new", "reason_label", "detail", "source_old", "source_new"]
    elif kind == "moved":
        rows = register["moved"].ne("")
        cols = [*base, "category", "moved_label", "township_old", "village_old", "source_new"]
    elif kind == "changed":
        rows = register["change"].eq("stayed") & (
            register["changed"].ne("") | register["category_old"].ne(register["category_new"])
        )
        cols = [*base, "category_old", "category_new", "reason_label", "changed", "source_new"]
    else:
        raise ValueError(f"unknown list {kind}")
    out = register.loc[rows, cols].copy()
    out["birth_date"] = out["birth_date"].dt.date
    return out.rename(columns=LIST_LABELS).reset_index(drop=True)


def details_list(details: pd.DataFrame) -> pd.DataFrame:
    """The changed circumstances, one per row (Chinese headers)."""
    cols = ["township", "village", "name", "id_number", "field_label", "old", "new"]
    return details[cols].rename(columns=LIST_LABELS).reset_index(drop=True)


def headline(c: Comparison, place: str) -> str:
    """One Chinese sentence: how many there were, entered, left, moved, are now."""
    s = c.summary()
    moved = s["moved"]["village"] + s["moved"]["township"]
    return (
        f"{place}：上轮（基准日 {c.old_date}）{s['people_old']:,} 人，本轮（基准日 {c.new_date}）{s['people_new']:,} 人；"
        f"新增 {s['entered']:,} 人，退出 {s['left']:,} 人（其中未找到 {s['left_by_reason'].get('not_found', 0):,} 人），"
        f"两轮都在册 {s['stayed']:,} 人；迁移 {moved:,} 人、类别变化 {s['category_changed']:,} 人、"
        f"情况有变化 {s['with_changed_circumstances']:,} 人。区划按 {c.vintage} 年版统计。"
    )


def reasons_chart(c: Comparison, *, title: str = "新增与退出的原因") -> Any:
    """Horizontal stacked bars: entries and exits by reason, one segment per category."""
    from liushou_core.workbooks.plots import stacked_bars

    table = by_reason(c.register, c.labels).drop(columns="合计")
    table.index = [f"{change}：{reason}" for change, reason in table.index]
    return stacked_bars(table, title=title)


def for_township(c: Comparison, township: str) -> Comparison:
    """The part of a comparison about one township (newer vintage): people there now or before."""
    r = c.register
    rows = r["township"].eq(township) | r["township_old"].eq(township).fillna(False)
    register = r[rows].reset_index(drop=True)
    details = c.details[c.details["id_number"].isin(register["id_number"])].reset_index(drop=True)
    return replace(c, register=register, details=details, township=township)


# ----- files -------------------------------------------------------------------------------------------------

#: The folder of a run where ``liushou run`` writes the comparison with the previous round.
CHANGES_DIR = "changes"
REGISTER_FILE, DETAILS_FILE, SUMMARY_FILE, LEDGER_FILE = (
    "changes.parquet", "change_details.parquet", "changes_summary.json", "变动名册.xlsx",
)  # fmt: skip


def ledger_sheets(c: Comparison) -> dict[str, pd.DataFrame]:
    """The sheets of 变动名册.xlsx."""
    reasons = by_reason(c.register, c.labels).reset_index()
    return {
        "按原因汇总": reasons,
        "按镇（乡）汇总": by_township(c.register, _townships(c.vintage)).reset_index(),
        "按类别汇总": by_category(c.register).reset_index(),
        "新增名单": people_list(c.register, "entered"),
        "退出名单": people_list(c.register, "left"),
        "迁移名单": people_list(c.register, "moved"),
        "情况变化名单": people_list(c.register, "changed"),
        "变动明细": details_list(c.details),
    }


def _townships(vintage: int) -> pd.DataFrame | None:
    try:
        return crosswalk.townships_at(vintage)
    except LiushouError:
        return None


def write_ledger_file(c: Comparison, path: Path, *, place: str = "") -> Path:
    """Write 变动名册.xlsx: summaries by reason, township and category, then the lists."""
    sheets = ledger_sheets(c)
    counts = {"按原因汇总", "按镇（乡）汇总", "按类别汇总"}
    titles = {
        name: f"{place}农村“三留守”人员动态变化：{name}（{c.old_date} → {c.new_date}）" for name in sheets
    }
    return write_ledger(
        path, sheets, titles=titles,
        total_row={name: name not in counts for name in sheets},
        row_unit={name: (None if name in counts else ("项" if name == "变动明细" else "人")) for name in sheets},
        footers=[f"区划：两轮均按 {c.vintage} 年版统计用区划代码换算（见 liushou_core/data/CROSSWALK_README.md）。",
                 "“未找到”：本轮核实名册和待核实名单中都没有此人，原因待村（社区）核实，不推定为死亡或迁出。"],
    )  # fmt: skip


def write_comparison(c: Comparison, out: Path, *, place: str = "") -> dict[str, Any]:
    """Write the change register, its details, the summary and the ledger into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_parquet(c.register, out / REGISTER_FILE)
    write_parquet(c.details, out / DETAILS_FILE)
    summary = c.summary()
    write_json({**summary, "thresholds": c.thresholds.__dict__}, out / SUMMARY_FILE)
    write_ledger_file(c, out / LEDGER_FILE, place=place)
    return summary


def read_comparison(folder: Path) -> Comparison:
    """A comparison written by :func:`write_comparison`."""
    folder = Path(folder)
    try:
        s = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
        register = Change.validate(pd.read_parquet(folder / REGISTER_FILE))
        details = ChangeDetail.validate(pd.read_parquet(folder / DETAILS_FILE))
    except (OSError, ValueError, KeyError) as exc:
        raise LiushouError(f"{folder} 中没有完整的变动名册（{exc}）：请先运行 liushou compare") from exc
    th = s["thresholds"]
    t = Thresholds(**{**th, "incapable_parent_statuses": tuple(th["incapable_parent_statuses"])})
    return Comparison(
        register, details, date.fromisoformat(s["old_reference_date"]), date.fromisoformat(s["new_reference_date"]),
        int(s["vintage"]), t,
    )  # fmt: skip


def compare_dirs(
    old_dir: Path,
    new_dir: Path,
    out: Path,
    *,
    crosswalk_file: Path | None = None,
    vintage: int | None = None,
    place: str = "",
) -> Comparison:
    """Read two cleaned rounds, compare them and write the outputs to ``out``."""
    bureau = crosswalk.read_bureau_crosswalk(crosswalk_file) if crosswalk_file else None
    c = compare(read_round(old_dir), read_round(new_dir), vintage=vintage, bureau=bureau)
    write_comparison(c, out, place=place)
    return c


def for_run(run_dir: Path | str, previous_run: Path | str = "") -> Comparison:
    """The comparison of a run with the previous round: ``RUN/changes`` as ``liushou run`` wrote it, else
    computed from the two cleaned rounds (for a notebook opened by hand)."""
    folder = Path(run_dir) / CHANGES_DIR
    if (folder / SUMMARY_FILE).exists():
        return read_comparison(folder)
    if not str(previous_run):
        raise LiushouError("没有上一轮的运行文件夹（参数 previous_run / 运行设置 previous）：无法比较两轮")
    return compare(read_round(Path(previous_run)), read_round(Path(run_dir)))


def format_summary(c: Comparison) -> str:
    """What ``liushou compare`` prints: the headline, entries and exits by reason, moves."""
    s = c.summary()
    labels = c.labels

    def part(counts: dict[str, int], order: tuple[str, ...]) -> str:
        return "，".join(f"{labels[k]} {counts[k]:,}" for k in order if counts.get(k))

    return "\n".join(
        [
            headline(c, "两轮比较"),
            f"新增 {s['entered']:,} 人：{part(s['entered_by_reason'], ENTRY_REASONS)}",
            f"退出 {s['left']:,} 人：{part(s['left_by_reason'], EXIT_REASONS)}",
            f"迁移：跨村 {s['moved']['village']:,} 人，跨乡镇 {s['moved']['township']:,} 人",
        ]
    )


def compare_command(
    old_dir: Path, new_dir: Path, out: Path, *, crosswalk_file: Path | None = None, vintage: int | None = None
) -> int:
    """The ``liushou compare`` command."""
    c = compare_dirs(old_dir, new_dir, out, crosswalk_file=crosswalk_file, vintage=vintage)
    print(format_summary(c))
    print(f"输出：{out}（{LEDGER_FILE}、{REGISTER_FILE}）")
    sys.stdout.flush()
    return 0


__all__ = [
    "CHANGES",
    "Change",
    "ChangeDetail",
    "Comparison",
    "Round",
    "by_category",
    "by_reason",
    "by_township",
    "by_village",
    "clean_folder",
    "compare",
    "compare_command",
    "compare_dirs",
    "details_list",
    "for_run",
    "for_township",
    "headline",
    "people_list",
    "read_comparison",
    "read_round",
    "reason_labels",
    "reasons_chart",
    "write_comparison",
]
