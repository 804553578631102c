"""Why a person entered or left the register between two rounds, as far as the data and the definitions say.

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
  新登记（报表未说明原因）.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from liushou_core.cleaning.classify import Thresholds
from liushou_core.issues import RULES
from liushou_core.rounds.changes import (
    CHILD,
    ELDER,
    ENTRY_REASONS,
    WOMAN,
    Round,
)
from liushou_core.values.dates import age_at

_AWAY, _HOME = "外出务工", "在家"


def source_of(frame: pd.DataFrame) -> pd.Series:
    """Where a row is in the returns: ``file（sheet）第N行``."""
    sheet = frame["source_sheet"].astype("string").fillna("")
    where = frame["source_file"].astype("string") + ("（" + sheet + "）").where(sheet.ne(""), "")
    return (where + "第" + frame["source_row"].astype("Int64").astype("string") + "行").astype("string")


def identity(frame: pd.DataFrame) -> pd.DataFrame:
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


def who_left(o: pd.DataFrame, new: Round, t: Thresholds) -> pd.DataFrame:
    """People of the old register only: why they are gone, as far as the data say."""
    out = identity(o)
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
    out["source_old"] = source_of(o)
    out["source_new"] = source_of(lp.assign(source_file=lp["source_file"].astype("string"))).where(listed)
    return out


def who_entered(n: pd.DataFrame, old: Round, new_date: date, t: Thresholds) -> pd.DataFrame:
    """People of the new register only: why they are new, as far as the data say."""
    out = identity(n)
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
    out["source_new"] = source_of(n)
    return out


__all__ = ["identity", "source_of", "who_entered", "who_left"]
