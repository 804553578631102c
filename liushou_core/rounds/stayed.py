"""People in both rounds (在册): a move between villages or townships, a category change (a woman turning 60
whose children are away is now an elder), and the circumstances that changed (guardian, agreement,
guardianship, household economy, health, disability, schooling, boarding), each compared only where both
rounds filled it in: “not collected” is never a change.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from liushou_core.cleaning.classify import Thresholds
from liushou_core.rounds.changes import (
    ELDER,
    WATCHED,
    WATCHED_LABELS,
    ChangeDetail,
)
from liushou_core.rounds.reasons import identity, source_of
from liushou_core.values import idcard


def who_stayed(
    o: pd.DataFrame, n: pd.DataFrame, old_date: date, new_date: date, t: Thresholds
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People in both registers: moves, category changes, changed circumstances (and their details)."""
    out = identity(n)
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
    out["source_old"], out["source_new"] = source_of(o), source_of(n)
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


__all__ = ["who_stayed"]
