"""The workbooks' table store (``RUN/tables/``): what every workbook reads, computed once for the county.

Measured on the sample county (papermill's cell times, warm kernels): before the store, each of the 22
township notebooks spent about 0.4 s reading the whole run and checking its township's part of the register
(:func:`~liushou_core.workbooks.rundata.load_run`) and 0.7–1.4 s running the five assistance rules on it
(:func:`~liushou_core.workbooks.assistance.assistance_sections`, the first call also parsing ``params/``);
the county overview and every department copy (``liushou share``) did it again for the whole county. The
tables each cell shows (counts by village, lists) are small groupbys on those frames and cost little next
to rendering them; the expensive arithmetic is the reading, the schema check and the rules.

So ``liushou run`` (:mod:`liushou_core.batch.run`, after the cleaning and ``RUN/rules/``, before the
notebooks) does that arithmetic once, county-wide and vectorised, and stores it, one parquet per frame with
a ``township`` column::

    RUN/tables/people.parquet        the register, checked against Person once
    RUN/tables/issues.parquet        the issues, each with its township (rundata.issue_townships)
    RUN/tables/rows.parquet          every input row's fate (when the cleaning wrote it)
    RUN/tables/pending.parquet       pending rows, with the township of their row (``_township``)
    RUN/tables/<rule>.parquet        payroll, education, gaps, risk, visits, referrals: the rules' lines
    RUN/tables/stamp.json            what the store was made from: the cleaning's files, the rule dates,
                                     the rules folder; and the batch's fingerprint (``--resume`` reuses it)
    RUN/tables/.complete             written last (:mod:`liushou_core.atomic`)

A township notebook reads its slice (``filters=[("township", "==", t)]``), the county overview and the
department copies the whole; every table, chart and ledger sheet is then derived from these frames as
before, so the pages and ledgers are the same. The rules work person by person (each line depends only on
that person's row) and sort by township first, so a township's slice of the county's lines is the lines the
rules give for that township alone (checked in tests/workbooks/test_tablestore.py).

Townships stay isolated: each notebook still runs in its own kernel and reads only its slice. When the
county-wide pass cannot be made — a register that breaks the schema, a rule that fails — no store is
written and each notebook computes its own slice as before, so one bad township stops only its workbooks,
with the same message. A notebook run by hand on a folder without a store (a ``liushou clean`` output, a
run made by an older version), or whose store was made from other files or for other dates, also computes
its slice itself: the results are the same, only slower, so it is not worth stopping a user for.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from liushou_core.atomic import fresh_folder, is_complete, mark_complete, replace_contents, write_json
from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.paths import params_dir
from liushou_core.runfolder import cleaned_folder, tables_dir
from liushou_core.workbooks.assistance import AssistanceSections, assistance_sections, rule_sections
from liushou_core.workbooks.rundata import RunData, load_run

STAMP_FILE = "stamp.json"
#: The rule frames of :class:`AssistanceSections`, stored one parquet each.
RULE_TABLES = ("payroll", "education", "gaps", "risk", "visits", "referrals")
RUN_TABLES = ("people", "issues", "rows", "pending")
#: Pending rows carry their township under this name (pending.parquet has no township of its own).
PENDING_TOWNSHIP = "_township"
#: Frames whose township slice keeps the county's row labels, as :func:`rundata.for_township` gives them.
KEEP_INDEX = ("rows", "pending")


@dataclass(frozen=True)
class RuleDates:
    """The dates the rules run for: the payroll month, the school term and the checking date."""

    payroll_month: str
    school_term: str
    as_of: str

    @classmethod
    def of(cls, payroll_month: str, school_term: str | dt.date, as_of: str | dt.date) -> RuleDates:
        return cls(str(payroll_month), str(school_term), str(as_of))


# ------------------------------------------------------------------------------------------ the stamp


def _file_stamp(path: Path) -> list[Any]:
    info = path.stat()
    return [path.name, info.st_size, info.st_mtime_ns]


def source_stamp(run_dir: Path | str, dates: RuleDates) -> dict[str, Any]:
    """What a store made now from ``run_dir`` would be made from: the cleaning's parquet and summary files
    (name, size, modification time — cheap to check from every notebook), the rule dates and the rules
    folder's YAML files."""
    clean = cleaned_folder(run_dir)
    rules = params_dir()
    return {
        "clean": [_file_stamp(p) for p in sorted(clean.glob("*")) if p.suffix in (".parquet", ".json")],
        "dates": [dates.payroll_month, dates.school_term, dates.as_of],
        "rules": [[str(p.relative_to(rules)), *_file_stamp(p)[1:]] for p in sorted(rules.rglob("*.y*ml"))],
    }


def read_stamp(run_dir: Path | str) -> dict[str, Any] | None:
    """The stamp of the complete store of ``run_dir``, or ``None`` when there is none."""
    folder = tables_dir(run_dir)
    if not is_complete(folder) or not (folder / STAMP_FILE).is_file():
        return None
    try:
        stamp = json.loads((folder / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def store_fits(run_dir: Path | str, dates: RuleDates) -> bool:
    """Whether ``run_dir`` has a complete store made from its present cleaning, rules and these dates."""
    stamp = read_stamp(run_dir)
    return stamp is not None and stamp.get("source") == source_stamp(run_dir, dates)


# ------------------------------------------------------------------------------------------ writing


def county_tables(
    run_dir: Path | str, dates: RuleDates, params: ParameterSet | None = None
) -> dict[str, pd.DataFrame]:
    """Every frame of the store, for the whole county, in one pass: the run read and checked once, the rules
    run once. Raises what :func:`load_run` and the rules raise on a bad register."""
    data = load_run(run_dir)
    sections = assistance_sections(
        data.people, payroll_month=dates.payroll_month, school_term=dates.school_term, as_of=dates.as_of,
        params=params,
    )  # fmt: skip
    frames: dict[str, pd.DataFrame] = {"people": data.people, "issues": data.issues}
    if data.rows is not None:
        frames["rows"] = data.rows
    if data.pending is not None:
        frames["pending"] = _pending_with_township(data.pending, data.rows)
    frames.update({name: getattr(sections, name) for name in RULE_TABLES})
    return frames


def _pending_with_township(pending: pd.DataFrame, rows: pd.DataFrame | None) -> pd.DataFrame:
    if rows is None or "row_key" not in pending or "row_key" not in rows:
        township = pd.Series(pd.NA, index=pending.index, dtype="string")
    else:
        by_row = rows.dropna(subset=["township"]).drop_duplicates("row_key").set_index("row_key")["township"]
        township = pending["row_key"].map(by_row).astype("string")
    return pending.assign(**{PENDING_TOWNSHIP: township})


def write_tables(
    run_dir: Path | str, dates: RuleDates, *, fingerprint: str = "", params: ParameterSet | None = None
) -> Path:
    """Compute every frame of the store (:func:`county_tables`) and write ``RUN/tables`` whole: a fresh
    folder swapped in, its completeness marker last. ``fingerprint`` is the batch's, kept in the stamp."""
    target = tables_dir(run_dir)
    source = source_stamp(run_dir, dates)
    frames = county_tables(run_dir, dates, params)
    with fresh_folder(target) as fresh:
        for name, frame in frames.items():
            # a township's rows and pending rows keep their place in the county's (rundata.for_township)
            frame.to_parquet(fresh / f"{name}.parquet", index=name in KEEP_INDEX)
        write_json({"fingerprint": fingerprint, "source": source}, fresh / STAMP_FILE)
        mark_complete(fresh)
        replace_contents(fresh, target, outputs=[f"{n}.parquet" for n in (*RUN_TABLES, *RULE_TABLES)])
    return target


def remove_tables(run_dir: Path | str) -> None:
    """Remove the store (the batch could not make it; the notebooks then compute their own slices)."""
    shutil.rmtree(tables_dir(run_dir), ignore_errors=True)


# ------------------------------------------------------------------------------------------ reading


def _read(folder: Path, name: str, township: str | None, column: str = "township") -> pd.DataFrame | None:
    path = folder / f"{name}.parquet"
    if not path.is_file():
        return None
    filters = [(column, "==", township)] if township else None
    frame = pd.read_parquet(path, filters=filters)
    return frame if name in KEEP_INDEX else frame.reset_index(drop=True)


def _stored_run(run_dir: Path | str, township: str | None) -> RunData | None:
    folder = tables_dir(run_dir)
    people, issues = _read(folder, "people", township), _read(folder, "issues", township)
    rows, pending = _read(folder, "rows", township), _read(folder, "pending", township, PENDING_TOWNSHIP)
    if people is None or issues is None:
        return None
    if township and len(people) == 0 and (rows is None or len(rows) == 0):
        return None  # not a township of this run: load_run says so, with the names it has
    if pending is not None:
        pending = pending.drop(columns=PENDING_TOWNSHIP)
    summary_path = cleaned_folder(run_dir) / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    return RunData(people, issues, summary, rows=rows, pending=pending, township=township)


def run_tables(
    run_dir: Path | str, township: str | None, dates: RuleDates
) -> tuple[RunData, Mapping[str, pd.DataFrame] | None]:
    """A township's (or, without one, the county's) run data and rule lines from the store when it fits
    (:func:`store_fits`); else the run data read and checked as :func:`load_run` does, and no rule lines."""
    if store_fits(run_dir, dates):
        data = _stored_run(run_dir, township)
        if data is not None:
            folder = tables_dir(run_dir)
            rules = {name: _read(folder, name, township) for name in RULE_TABLES}
            if all(frame is not None for frame in rules.values()):
                return data, {k: v for k, v in rules.items() if v is not None}
            return data, None
    return load_run(run_dir, township), None


def workbook_data(run_dir: Path | str, township: str | None = None) -> RunData:
    """The run data of a township's (or the county's) 摸排工作簿: its slice of the store when the store was
    made from the present cleaning (whatever the rule dates), else read and checked by :func:`load_run`."""
    stamp = read_stamp(run_dir)
    present = source_stamp(run_dir, RuleDates("", "", ""))["clean"]
    if stamp is not None and stamp.get("source", {}).get("clean") == present:
        data = _stored_run(run_dir, township)
        if data is not None:
            return data
    return load_run(run_dir, township)


def workbook_sections(
    run_dir: Path | str,
    township: str | None = None,
    *,
    payroll_month: str,
    school_term: str | dt.date,
    as_of: str | dt.date,
    place: str = "",
) -> tuple[RunData, AssistanceSections]:
    """The run data and the rule sections of a 帮扶救助工作簿 (a township's, or the county's with ``township``
    unset): the store's slice, or computed from the run when there is no fitting store."""
    dates = RuleDates.of(payroll_month, school_term, as_of)
    data, lines = run_tables(run_dir, township, dates)
    if lines is None:
        sections = assistance_sections(
            data.people, payroll_month=payroll_month, school_term=school_term, as_of=as_of, place=place
        )
    else:
        sections = rule_sections(
            data.people, lines, payroll_month=payroll_month, school_term=school_term, as_of=as_of,
            place=place, params=load_parameters(),
        )  # fmt: skip
    return data, sections


__all__ = [
    "PENDING_TOWNSHIP",
    "RULE_TABLES",
    "RuleDates",
    "county_tables",
    "read_stamp",
    "remove_tables",
    "run_tables",
    "source_stamp",
    "store_fits",
    "workbook_data",
    "workbook_sections",
    "write_tables",
]
