"""``liushou run``: clean the county once, then every township's workbooks in parallel, then the overview.

Between the cleaning and the notebooks, the county's tables are computed once — the register read and
checked, the rules run — into ``RUN/tables`` (:mod:`liushou_core.workbooks.tablestore`), from which each
notebook reads its township's slice.

Where everything goes is :mod:`liushou_core.runfolder`'s; which notebooks run and which are kept is
:mod:`liushou_core.batch.plan`'s; where they run is the executor's (:mod:`liushou_core.batch.executors`).

Each notebook runs in its own worker process (:mod:`liushou_core.batch.processes`), at most ``jobs`` at a
time. A notebook that fails — a failing cell, a dead kernel, a worker that dies, or running past the
timeout — is recorded with its error and failing cell, and the others go on; the exit code says whether
any failed. ``resume`` keeps every notebook whose township data, parameters and template are unchanged
and which finished last time, and redoes the rest; the cleaning itself is reused when the returns, the
decisions and the settings are unchanged.

A run holds its folder's lock (:mod:`liushou_core.runlock`) from start to end, and its workers inherit it:
a second run on the same folder is refused. Every file is written under a temporary name and moved into
place, so a run killed at any moment leaves only complete files (and temporary ones, removed by the next
run); a worker whose run was killed stops at once, and ``--resume`` completes the run. Returns that could
not be read in full are listed in the manifest (``clean.input_problems``) and make the exit status 1.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import pandas as pd
import pandera.errors

from liushou_core.atomic import replace
from liushou_core.batch.execute import KERNEL_NAME, check_kernel
from liushou_core.batch.executors import Executor, LocalExecutor, make_executor
from liushou_core.batch.frontpage import FRONT_PAGE, write_front_page
from liushou_core.batch.manifest import (
    OK,
    Manifest,
    NotebookRecord,
    TownshipRecord,
    file_records,
    fingerprint,
    package_versions,
    read_manifest,
    relative,
    write_manifest,
)
from liushou_core.batch.plan import (
    NOTEBOOKS_DIR,
    Schedule,
    clean_fingerprint,
    clean_reusable,
    make_task,
    tables_fingerprint,
    template,
    township_fingerprints,
    township_kinds,
)
from liushou_core.batch.processes import now
from liushou_core.batch.rulefiles import write_rule_outputs
from liushou_core.batch.settings import RunConfig, load_run_config
from liushou_core.batch.task import Task
from liushou_core.cleaning.corrections import refuse_decisions_inside, returned_lines, returned_records
from liushou_core.cleaning.intake.problems import InputProblem, blocking, format_problems, input_problems
from liushou_core.cleaning.streaming import stream_to_dir
from liushou_core.errors import ConfigError, LiushouError
from liushou_core.paths import rules_from
from liushou_core.rounds.compare import compare_dirs
from liushou_core.runfolder import (
    CHANGES_KIND,
    CHANGES_TITLE,
    COUNTY_KIND,
    COUNTY_TITLE,
    PEOPLE_FILE,
    changes_dir,
    clean_dir,
    cleaned_folder,
    county_dir,
    manifest_path,
    township_dir,
    work_dir,
)
from liushou_core.runlock import folder_lock
from liushou_core.workbooks.headline import headline_by_township
from liushou_core.workbooks.rundata import RunData, read_people, read_run, townships_of
from liushou_core.workbooks.tablestore import RuleDates, read_stamp, remove_tables, store_fits, write_tables

# --------------------------------------------------------------------------------------------- cleaning


class CleanFn(Protocol):
    """The cleaner: reads the returns and writes people.parquet, issues.parquet, summary.json to ``out``
    (``liushou_core.cleaning.pipeline.clean_to_dir``)."""

    def __call__(
        self,
        inputs: Sequence[Path],
        out: Path,
        reference_date: date | None = ...,
        decisions: Path | None = ...,
        codebooks: Sequence[Path] = ...,
    ) -> object: ...


def _clean(config: RunConfig, clean_fn: CleanFn) -> None:
    """Clean into a fresh folder, then swap it in: no file of an earlier cleaning survives (a stale
    corrections log would mislead), and an interrupted cleaning leaves the previous one intact."""
    target = config.clean_dir
    fresh = target.with_name(".clean.tmp")
    old = target.with_name(".clean.old")
    refuse_decisions_inside(target, config.decisions)  # a filled list left in clean/ would be deleted
    for leftover in (fresh, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    clean_fn(
        list(config.inputs),
        fresh,
        config.reference_date,
        decisions=config.decisions,
        codebooks=list(config.codebooks),
    )
    if target.exists():
        replace(target, old)  # a 问题数据清单 still open in Excel/WPS: one message naming the folder
    os.replace(fresh, target)
    if old.exists():
        shutil.rmtree(old)


def _compare_rounds(config: RunConfig) -> str:
    """Compare the previous round (``previous:``, a run folder or a cleaned folder) with this run's cleaning
    into ``RUN/changes`` (:mod:`liushou_core.rounds.compare`), which the changes workbooks read; return a
    fingerprint of what was written, so a changed previous round redoes them."""
    assert config.previous is not None
    before = cleaned_folder(config.previous)
    if not (before / PEOPLE_FILE).is_file():
        raise ConfigError(
            f"{config.source} 的 previous：{config.previous} 中没有上一轮的清洗结果（people.parquet）"
        )
    out = changes_dir(config.output)
    compare_dirs(before, config.clean_dir, out, place=config.county)
    # the tables, not the Excel file: xlsx bytes carry the time they were written
    tables = [f for f in file_records([out], config.output) if not f["path"].endswith(".xlsx")]
    return fingerprint([(f["path"], f["sha256"]) for f in tables])


def _input_problems(folder: Path) -> list[InputProblem]:
    """What in the returns was not read, from the cleaning's issues and files tables (if it wrote them)."""
    issues_path, files_path = folder / "issues.parquet", folder / "files.parquet"
    if not issues_path.is_file():
        return []
    files = pd.read_parquet(files_path) if files_path.is_file() else None
    return input_problems(pd.read_parquet(issues_path), files)


# ------------------------------------------------------------------------------------------------ batch


@dataclass
class BatchResult:
    """The outcome of a run: its manifest, and which notebooks ran now or were kept from before."""

    run_dir: Path
    manifest: Manifest
    ran: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    clean_reused: bool = False
    input_problems: list[InputProblem] = field(default_factory=list)  # returns not read in full

    @property
    def ok(self) -> bool:
        return not self.manifest.failed()

    @property
    def exit_code(self) -> int:
        """0 when every notebook finished and every return was read; 1 otherwise."""
        return 0 if self.ok and not blocking(self.input_problems) else 1


def run_batch(
    config: RunConfig,
    *,
    clean_fn: CleanFn,
    townships: Sequence[str] | None = None,
    jobs: int | None = None,
    resume: bool = False,
    progress: bool = True,
    notebooks_dir: Path | None = None,
    kernel_name: str = KERNEL_NAME,
    executor: Executor | None = None,
) -> BatchResult:
    """Clean, run every (or the chosen) township's workbooks in parallel, then the county overview.

    ``executor`` decides where the notebooks run (:mod:`liushou_core.batch.executors`; worker processes on this
    machine by default); the manifest, failure isolation and ``resume`` are the same for all.

    ``clean_fn`` is the cleaner (``pipeline.clean_to_dir`` for the real run). Raises
    :class:`ConfigError` before anything runs when the kernel or a template is missing or a chosen
    township is not in the data, and :class:`~liushou_core.runlock.FolderLockedError` when another run
    is writing the same folder; a failing notebook is recorded, never raised.
    """
    # the run file's own rules (``params:``), for the cleaning here and for every worker and kernel
    with folder_lock(config.output, "liushou run"), rules_from(config.params):
        _remove_temporary_files(config.output)  # a killed run's; no writer is left (they hold the lock)
        return _Batch(
            config, clean_fn=clean_fn, resume=resume, progress=progress, kernel_name=kernel_name,
            executor=executor or LocalExecutor(), jobs=config.effective_jobs(jobs),
            notebooks_dir=notebooks_dir or NOTEBOOKS_DIR,
        ).run(townships)  # fmt: skip


def _remove_temporary_files(run_dir: Path) -> None:
    """Remove the temporary files (``.<name>.<random>.tmp<suffix>``) a killed run left behind."""
    for path in run_dir.rglob(".*.tmp*"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)


class _Batch:
    """One run, stage by stage: the cleaning, the townships' workbooks, the county overview."""

    def __init__(
        self,
        config: RunConfig,
        *,
        clean_fn: CleanFn,
        resume: bool,
        progress: bool,
        kernel_name: str,
        executor: Executor,
        jobs: int,
        notebooks_dir: Path,
    ) -> None:
        check_kernel(kernel_name)
        self.kinds = township_kinds(config)
        self.templates = {kind: template(notebooks_dir, kind) for kind in [*self.kinds, COUNTY_KIND]}
        self.config, self.clean_fn, self.resume, self.progress = config, clean_fn, resume, progress
        self.kernel_name, self.executor, self.jobs = kernel_name, executor, jobs
        self.run_dir = config.output
        self.run_dir.mkdir(parents=True, exist_ok=True)
        # The previous record: townships not chosen this time keep theirs; with ``resume``, unchanged and
        # finished notebooks (and an unchanged cleaning) are reused.
        self.previous = read_manifest(self.run_dir)
        self.result = BatchResult(run_dir=self.run_dir, manifest=Manifest(started=now()))
        self.manifest = self.result.manifest
        self.base = config.notebook_parameters()

    def run(self, townships: Sequence[str] | None) -> BatchResult:
        config, manifest = self.config, self.manifest
        manifest.config_file = str(config.source)
        manifest.config = config.to_dict()
        manifest.parameters = config.notebook_parameters()
        manifest.versions = package_versions()
        manifest.inputs = file_records([*config.inputs, *filter(None, [config.decisions]), *config.codebooks])
        self._cleaning()
        self._tables()
        self._township_workbooks(townships)
        self._county_overview()
        manifest.finished = now()
        write_manifest(manifest, self.run_dir)
        shutil.rmtree(work_dir(self.run_dir), ignore_errors=True)
        write_front_page(self.run_dir)
        return self.result

    def _cleaning(self) -> None:
        """1. Clean once for the county (or reuse an unchanged cleaning)."""
        config, manifest, result = self.config, self.manifest, self.result
        clean_fp = clean_fingerprint(config, manifest.inputs)
        prev_clean = self.previous.clean if self.previous and self.resume else {}
        start = time.monotonic()
        if clean_reusable(prev_clean, clean_fp, self.run_dir):
            result.clean_reused = True
        else:
            manifest.clean = {"status": "running", "fingerprint": clean_fp}
            write_manifest(manifest, self.run_dir)
            _clean(config, self.clean_fn)
        manifest.clean = {
            "status": "reused" if result.clean_reused else OK,
            "fingerprint": clean_fp,
            "duration_s": round(time.monotonic() - start, 3),
            "files": file_records([config.clean_dir], self.run_dir),
        }
        result.input_problems = _input_problems(config.clean_dir)
        manifest.clean["input_problems"] = [p.to_dict() for p in result.input_problems]
        manifest.clean["corrections_returned"] = returned_records(config.clean_dir)
        write_rule_outputs(
            read_people(config.clean_dir / "people.parquet"),
            self.run_dir,
            month=config.payroll_month,
            term=config.term,
            on=config.check_date,
        )

    def _tables(self) -> None:
        """2. The workbooks' table store, computed once for the county (:mod:`liushou_core.workbooks.tablestore`),
        or reused with ``resume`` when made from the same cleaning, dates, rules and code. A register the
        county-wide pass cannot take leaves no store: each notebook then computes its own slice, and a bad
        township stops only its own workbooks."""
        config, manifest = self.config, self.manifest
        dates = RuleDates.of(config.payroll_month, config.term, config.check_date.isoformat())
        tables_fp = tables_fingerprint(manifest.clean["files"], dates)
        start = time.monotonic()
        stamp = read_stamp(self.run_dir) if self.resume else None
        if stamp is not None and stamp.get("fingerprint") == tables_fp and store_fits(self.run_dir, dates):
            status = "reused"
        else:
            try:
                write_tables(self.run_dir, dates, fingerprint=tables_fp)
                status = OK
            except (LiushouError, pandera.errors.SchemaError, pandera.errors.SchemaErrors) as exc:
                remove_tables(self.run_dir)
                status = f"not made: {exc}"
        manifest.clean["tables"] = {
            "status": status, "fingerprint": tables_fp, "duration_s": round(time.monotonic() - start, 3)
        }  # fmt: skip

    def _task(
        self, *, key: str, township: str | None, kind: str, title: str, folder: Path, township_param: str | None,
        data_fingerprint: str,
    ) -> Task:  # fmt: skip
        place = {} if township_param is None else {"township": township_param}
        params = {**self.base, **place, "run_dir": str(self.run_dir), "out_dir": str(folder)}
        return make_task(
            run_dir=self.run_dir, key=key, township=township, kind=kind, title=title,
            template=self.templates[kind], folder=folder, parameters=params, data_fingerprint=data_fingerprint,
            config=self.config, kernel_name=self.kernel_name,
        )  # fmt: skip

    def _township_workbooks(self, townships: Sequence[str] | None) -> None:
        """3. The townships' workbooks (and the county's workbook of changes)."""
        config, manifest, previous, run_dir = self.config, self.manifest, self.previous, self.run_dir
        data = read_run(config.clean_dir)
        changes_fp = _compare_rounds(config) if config.previous else ""
        known = _townships_in(data)
        chosen = list(dict.fromkeys(townships)) if townships else known
        unknown = [t for t in chosen if t not in known]
        if unknown:
            raise ConfigError(f"数据中没有这些镇（乡）：{'、'.join(unknown)}（有：{'、'.join(known)}）")
        if previous:  # townships not chosen this time keep their record
            manifest.townships = {
                k: v for k, v in previous.townships.items() if k in known and k not in chosen
            }
        town_fp = township_fingerprints(data, chosen)
        schedule = Schedule(run_dir, self.resume)
        for town in chosen:
            folder = township_dir(run_dir, town)
            record = manifest.townships.setdefault(
                town, TownshipRecord(name=town, folder=relative(folder, run_dir))
            )
            earlier = previous.townships.get(town) if previous else None
            for kind, title in self.kinds.items():
                data_fp = fingerprint([town_fp[town], changes_fp]) if kind == CHANGES_KIND else town_fp[town]
                task = self._task(
                    key=f"{town}/{kind}", township=town, kind=kind, title=title, folder=folder,
                    township_param=town, data_fingerprint=data_fp,
                )  # fmt: skip
                record.notebooks[kind] = schedule.add(task, earlier.notebooks.get(kind) if earlier else None)
        if config.previous:  # the county's workbook of changes, recorded under the county's name
            folder = county_dir(run_dir)
            task = self._task(
                key=f"{config.county}/{CHANGES_KIND}", township=config.county, kind=CHANGES_KIND,
                title=CHANGES_TITLE, folder=folder, township_param="", data_fingerprint=changes_fp,
            )  # fmt: skip
            record = TownshipRecord(name=config.county, folder=relative(folder, run_dir))
            manifest.townships[config.county] = record
            earlier = previous.townships.get(config.county) if previous else None
            record.notebooks[CHANGES_KIND] = schedule.add(
                task, earlier.notebooks.get(CHANGES_KIND) if earlier else None
            )
        write_manifest(manifest, run_dir)
        self.result.reused += schedule.reused
        self.executor.run(
            schedule.to_run, run_dir, jobs=self.jobs, on_done=self._done, progress=self.progress,
            description="乡镇工作簿",
        )  # fmt: skip

    def _county_overview(self) -> None:
        """4. The county overview: after the townships, since it links to their workbooks."""
        manifest = self.manifest
        county_state = {
            "clean": [(f["path"], f["sha256"]) for f in manifest.clean["files"]],
            "townships": {
                k: (t.status, [n.fingerprint for n in t.notebooks.values()])
                for k, t in manifest.townships.items()
            },
        }
        task = self._task(
            key=COUNTY_KIND, township=None, kind=COUNTY_KIND, title=COUNTY_TITLE, folder=county_dir(self.run_dir),
            township_param=None, data_fingerprint=fingerprint(county_state),
        )  # fmt: skip
        schedule = Schedule(self.run_dir, self.resume)
        manifest.county = schedule.add(task, self.previous.county if self.previous else None)
        self.result.reused += schedule.reused
        self.executor.run(
            schedule.to_run, self.run_dir, jobs=1, on_done=self._done, progress=self.progress,
            description=COUNTY_TITLE,
        )  # fmt: skip

    def _done(self, task: Task, rec: NotebookRecord) -> None:
        if task.township is None:
            self.manifest.county = rec
        else:
            self.manifest.townships[task.township].notebooks[task.kind] = rec
        self.result.ran.append(task.key)
        write_manifest(self.manifest, self.run_dir)


def _townships_in(data: RunData) -> list[str]:
    """Townships with verified people (official code order), then those with only pending rows."""
    ordered = townships_of(data.people)
    if data.rows is not None:
        ordered += sorted(set(data.rows["township"].dropna()) - set(ordered))
    return ordered


# ------------------------------------------------------------------------------------------ the command


def format_report(result: BatchResult, county: str) -> str:
    """What the command prints at the end: the headline table, failures, and where the overview is."""
    m = result.manifest
    lines = []
    try:
        table = headline_by_township(read_run(clean_dir(result.run_dir)).people, county)
        lines += ["", f"{county}农村“三留守”人员（核实名册）：", table.to_string(), ""]
    except (ConfigError, OSError, KeyError):
        pass
    if result.input_problems:
        lines += ["报表读取问题：", *format_problems(result.input_problems), ""]
    if m.config.get("decisions"):
        lines += [*returned_lines(m.clean.get("corrections_returned", [])), ""]
    records = m.records()
    ok = sum(r.status == OK for r in records)
    lines.append(
        f"工作簿：完成 {ok} 本，失败 {len(records) - ok} 本；本次运行 {len(result.ran)} 本，沿用 {len(result.reused)} 本。"
    )
    for place, rec in m.failed():
        message = (rec.error or {}).get("message") or rec.status
        lines.append(f"失败：{place} {rec.kind}：{message}（日志 {result.run_dir / rec.log}）")
    county_html = county_dir(result.run_dir) / f"{COUNTY_KIND}.html"
    if county_html.exists():
        lines.append(f"县级总览：{county_html}")
    changes_html = county_dir(result.run_dir) / f"{CHANGES_KIND}.html"
    if changes_html.exists():
        lines.append(f"{CHANGES_TITLE}（全县）：{changes_html}")
    if (result.run_dir / FRONT_PAGE).exists():
        lines.append(f"运行首页：{result.run_dir / FRONT_PAGE}")
    lines.append(f"运行记录：{manifest_path(result.run_dir)}")
    return "\n".join(lines)


def run_command(
    params: Path,
    *,
    townships: Sequence[str] | None = None,
    jobs: int | None = None,
    resume: bool = False,
    executor: str = "local",
    scheduler: str | None = None,
) -> int:
    """``liushou run PARAMS.yaml [--township NAME ...] [--jobs N] [--resume] [--executor dask [--scheduler
    ADDRESS]]``: 0 if all finished, 1 if not."""
    if jobs is not None and jobs < 1:
        raise ConfigError(f"--jobs 应为正整数，而不是 {jobs}")
    config = load_run_config(Path(params))
    # The cleaning streams the returns one at a time: a county's batch and a province's use the same code.
    result = run_batch(
        config, clean_fn=stream_to_dir, townships=townships, jobs=jobs, resume=resume,
        executor=make_executor(executor, scheduler),
    )  # fmt: skip
    print(format_report(result, config.county))
    return result.exit_code


__all__ = ["BatchResult", "CleanFn", "format_report", "run_batch", "run_command"]
