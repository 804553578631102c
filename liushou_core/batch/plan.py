"""Which notebooks a run makes, their fingerprints, and whether each is reused or (re)run — decided once.

A notebook's fingerprint covers its township's part of the cleaned data, its parameters, its template, the
rules folder and the package's code (:mod:`liushou_core.batch.fingerprint`). With ``resume``, a notebook that finished last time with the same fingerprint and whose files
are all still there is kept (:class:`Schedule`); so is the cleaning when the returns, the decisions and the
settings are unchanged (:func:`clean_reusable`). Any other is run again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from liushou_core.batch.fingerprint import cleaning_dependencies, notebook_fingerprint
from liushou_core.batch.manifest import OK, NotebookRecord, fingerprint, sha256_file
from liushou_core.batch.settings import RunConfig
from liushou_core.batch.task import Task
from liushou_core.errors import ConfigError
from liushou_core.paths import NOTEBOOKS_DIR, safe_name
from liushou_core.runfolder import CHANGES_KIND, CHANGES_TITLE, NOTEBOOK_KINDS, logs_dir, work_dir
from liushou_core.workbooks.rundata import RunData
from liushou_core.workbooks.tablestore import RuleDates

#: The notebook templates (``<kind>.ipynb``).


def township_kinds(config: RunConfig) -> dict[str, str]:
    """The workbooks each township gets, in the order they run, with their titles: the changes workbook too
    when the settings name a previous round."""
    return {**NOTEBOOK_KINDS, **({CHANGES_KIND: CHANGES_TITLE} if config.previous else {})}


def template(notebooks_dir: Path, kind: str) -> Path:
    """The template of ``kind``; :class:`ConfigError` if it is missing."""
    path = notebooks_dir / f"{kind}.ipynb"
    if not path.is_file():
        raise ConfigError(f"找不到工作簿模板 {path}")
    return path


# --------------------------------------------------------------------------------------------- cleaning


def clean_fingerprint(config: RunConfig, inputs: list[dict[str, Any]]) -> str:
    """What the cleaning depends on: the input files (returns, decisions, codebooks), the reference date,
    the rules folder and the package's code."""
    return fingerprint(
        {
            "inputs": [(i["path"], i["sha256"]) for i in inputs],
            "reference_date": config.reference_date.isoformat(),
            **cleaning_dependencies(),
        }
    )


def _files_unchanged(records: Iterable[Mapping[str, Any]], root: Path) -> bool:
    for rec in records:
        path = root / str(rec["path"])
        if not path.is_file() or sha256_file(path) != rec["sha256"]:
            return False
    return True


def clean_reusable(previous: Mapping[str, Any], clean_fp: str, run_dir: Path) -> bool:
    """Whether the previous cleaning (its manifest record) finished with the same fingerprint and its files
    are unchanged."""
    return bool(
        previous.get("status") in (OK, "reused")  # not one killed half-way ("running")
        and previous.get("fingerprint") == clean_fp
        and previous.get("files")
        and _files_unchanged(previous["files"], run_dir)
    )


def tables_fingerprint(clean_files: Iterable[Mapping[str, Any]], dates: RuleDates) -> str:
    """What the workbooks' table store depends on: the cleaning's files, the rule dates, the rules folder and
    the package's code."""
    return fingerprint(
        {
            "clean": [(f["path"], f["sha256"]) for f in clean_files],
            "dates": [dates.payroll_month, dates.school_term, dates.as_of],
            **cleaning_dependencies(),
        }
    )


# ------------------------------------------------------------------------------------------- notebooks


def township_fingerprints(data: RunData, townships: Sequence[str]) -> dict[str, str]:
    """A content hash of each township's part of the cleaned data (register, issues and row fates).

    A change in one township's return changes only that township's hash, so ``--resume`` redoes only
    its workbooks (and the county overview).
    """

    def digest(frame: pd.DataFrame | None, town: str) -> str:
        if frame is None or "township" not in frame:
            return ""
        part = frame[frame["township"] == town]
        part = part.reindex(columns=sorted(part.columns))
        hashed = pd.util.hash_pandas_object(part.astype("string"), index=False).to_numpy()
        return hashlib.sha256(hashed.tobytes() + ",".join(part.columns).encode("utf-8")).hexdigest()

    return {
        town: fingerprint([digest(data.people, town), digest(data.issues, town), digest(data.rows, town)])
        for town in townships
    }


def make_task(
    *,
    run_dir: Path,
    key: str,
    township: str | None,
    kind: str,
    title: str,
    template: Path,
    folder: Path,
    parameters: dict[str, str],
    data_fingerprint: str,
    config: RunConfig,
    kernel_name: str,
) -> Task:
    """The task of one notebook, its outputs in ``folder``, fingerprinted by its data, parameters and template."""
    stem = safe_name(township) + "-" + kind if township else kind
    return Task(
        key=key,
        township=township,
        kind=kind,
        title=title,
        template=str(template),
        out_ipynb=str(folder / f"{kind}.ipynb"),
        out_html=str(folder / f"{kind}.html"),
        result=str(work_dir(run_dir) / f"{stem}.result.json"),
        log=str(logs_dir(run_dir) / f"{stem}.log"),
        parameters=parameters,
        fingerprint=notebook_fingerprint(data_fingerprint, parameters, template),
        timeout=config.timeout,
        kernel_name=kernel_name,
    )


def _reusable(previous: NotebookRecord | None, task: Task, run_dir: Path) -> bool:
    return (
        previous is not None
        and previous.status == OK
        and previous.fingerprint == task.fingerprint
        and bool(previous.artifacts)
        and all((run_dir / a).is_file() for a in previous.artifacts)
    )


@dataclass
class Schedule:
    """The notebooks of one stage of a run: those to run now, and those kept from the previous run."""

    run_dir: Path
    resume: bool
    to_run: list[Task] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)

    def add(self, task: Task, before: NotebookRecord | None) -> NotebookRecord:
        """Keep ``before`` (the notebook's previous record) when resuming and it finished with the same
        fingerprint and its files are all there; else schedule ``task``. The notebook's record for this run."""
        if self.resume and before is not None and _reusable(before, task, self.run_dir):
            self.reused.append(task.key)
            return before
        self.to_run.append(task)
        return NotebookRecord(kind=task.kind, fingerprint=task.fingerprint)


__all__ = [
    "NOTEBOOKS_DIR",
    "Schedule",
    "clean_fingerprint",
    "clean_reusable",
    "make_task",
    "tables_fingerprint",
    "template",
    "township_fingerprints",
    "township_kinds",
]
