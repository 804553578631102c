"""Dynamic management (动态管理): who entered the register, who left and why, who moved, what changed.

Two cleaned rounds (folders with ``people.parquet``, and ``pending.parquet`` and ``summary.json`` beside it)
are compared person by person, matched by ID number, with both rounds expressed in the newer division vintage
(:mod:`liushou_core.values.crosswalk`), so a village only re-coded by the 2019 reform is not a move and counts by
township are comparable. Every person of either register gets one row of the change register
(:class:`~liushou_core.rounds.changes.Change`): why people left or entered is :mod:`.reasons`'s, what changed
for people in both rounds is :mod:`.stayed`'s.

The change register is one row per person; :class:`~liushou_core.rounds.changes.ChangeDetail` has one row per
changed circumstance. Both are written as parquet beside ``变动名册.xlsx`` (Chinese headers) and
``changes_summary.json`` (:mod:`.files`); :mod:`.tables` makes the tables for people.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pandas as pd

from liushou_core.atomic import require_complete
from liushou_core.cleaning.classify import Thresholds
from liushou_core.errors import LiushouError
from liushou_core.rounds.changes import (
    CHANGES,
    MOVES,
    Change,
    ChangeDetail,
    Comparison,
    Round,
    reason_labels,
)
from liushou_core.rounds.files import SUMMARY_FILE, read_comparison, write_comparison
from liushou_core.rounds.reasons import who_entered, who_left
from liushou_core.rounds.stayed import who_stayed
from liushou_core.runfolder import PEOPLE_FILE, changes_dir, cleaned_folder
from liushou_core.values import crosswalk


def read_round(folder: Path) -> Round:
    """A cleaned round (a ``liushou clean`` output folder or a run folder): ``people.parquet`` (required),
    ``pending.parquet`` and the reference date of ``summary.json``."""
    folder = cleaned_folder(folder)
    people_path = folder / PEOPLE_FILE
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
    left = who_left(o.loc[o.index.difference(n.index, sort=False)], new, t)
    entered = who_entered(n.loc[n.index.difference(o.index, sort=False)], old, new.reference_date, t)
    both = o.index.intersection(n.index, sort=False)
    stayed, details = who_stayed(o.loc[both], n.loc[both], old.reference_date, new.reference_date, t)
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


def for_township(c: Comparison, township: str) -> Comparison:
    """The part of a comparison about one township (newer vintage): people there now or before."""
    r = c.register
    rows = r["township"].eq(township) | r["township_old"].eq(township).fillna(False)
    register = r[rows].reset_index(drop=True)
    details = c.details[c.details["id_number"].isin(register["id_number"])].reset_index(drop=True)
    return replace(c, register=register, details=details, township=township)


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
    folder = changes_dir(run_dir)
    if (folder / SUMMARY_FILE).exists():
        return read_comparison(folder)
    if not str(previous_run):
        raise LiushouError("没有上一轮的运行文件夹（参数 previous_run / 运行设置 previous）：无法比较两轮")
    return compare(read_round(Path(previous_run)), read_round(Path(run_dir)))


__all__ = ["compare", "compare_dirs", "for_run", "for_township", "read_round"]
