"""``liushou run``: clean the county once, then every township's workbooks in parallel, then the overview.

Layout of a run folder::

    RUN/clean/…                                   the cleaner's outputs (people.parquet, issues.parquet, …)
    RUN/townships/<township>/investigation.{ipynb,html,xlsx}   摸排工作簿
    RUN/townships/<township>/assistance.{ipynb,html,xlsx}      帮扶救助工作簿
    RUN/county/county.{ipynb,html,xlsx}           县级总览
    RUN/changes/…                                 with ``previous:``: the change register (liushou compare)
    RUN/townships/<township>/changes.{…}, RUN/county/changes.{…}   动态变化工作簿 (with ``previous:``)
    RUN/logs/<township>-<kind>.log                each notebook's kernel and worker output
    RUN/manifest.json                             see :mod:`liushou_core.batch.manifest`

Each notebook runs in its own worker process (its own session, with its own kernel), at most ``jobs`` at
a time. A notebook that fails — a failing cell, a dead kernel, a worker that dies, or running past the
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

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from liushou_core import __version__
from liushou_core.batch.execute import KERNEL_NAME
from liushou_core.batch.executors import Executor, LocalExecutor
from liushou_core.batch.frontpage import FRONT_PAGE, write_front_page
from liushou_core.batch.manifest import (
    FAILED,
    OK,
    TIMEOUT,
    Manifest,
    NotebookRecord,
    TownshipRecord,
    file_records,
    fingerprint,
    package_versions,
    read_manifest,
    relative,
    sha256_file,
    write_manifest,
)
from liushou_core.batch.progress import Progress
from liushou_core.batch.settings import RunConfig
from liushou_core.errors import ConfigError
from liushou_core.paths import REPO_DIR, safe_name
from liushou_core.runlock import folder_lock, held_fds
from liushou_core.values.redact import redact_text

if TYPE_CHECKING:  # the workers import this module: pandas and pandera are imported where needed
    from liushou_core.cleaning.intake.problems import InputProblem

NOTEBOOKS_DIR = REPO_DIR / "notebooks"
#: The township workbooks, in the order they run, with their Chinese titles.
NOTEBOOK_KINDS: dict[str, str] = {"investigation": "摸排工作簿", "assistance": "帮扶救助工作簿"}
COUNTY_KIND = "county"
COUNTY_TITLE = "县级总览"
#: The workbook of changes since the previous round (动态管理), per township and for the county; made when
#: the settings name a previous round (``previous:``), from the comparison written to ``RUN/changes``.
CHANGES_KIND = "changes"
CHANGES_TITLE = "动态变化工作簿"
#: Seconds a notebook may use beyond its timeout for the kernel to start and the HTML to be written.
GRACE_S = 30
_POLL_S = 0.2


def township_dir(run_dir: Path, township: str) -> Path:
    """``RUN/townships/<safe township name>``."""
    return Path(run_dir) / "townships" / safe_name(township)


def county_dir(run_dir: Path) -> Path:
    """``RUN/county``."""
    return Path(run_dir) / "county"


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
        os.replace(target, old)
    os.replace(fresh, target)
    if old.exists():
        shutil.rmtree(old)


def _clean_fingerprint(config: RunConfig, inputs: list[dict[str, Any]]) -> str:
    return fingerprint(
        {
            "inputs": [(i["path"], i["sha256"]) for i in inputs],
            "reference_date": config.reference_date.isoformat(),
            "liushou": __version__,
        }
    )


def _compare_rounds(config: RunConfig) -> str:
    """Compare the previous round (``previous:``, a run folder or a cleaned folder) with this run's cleaning
    into ``RUN/changes`` (:mod:`liushou_core.rounds.compare`), which the changes workbooks read; return a
    fingerprint of what was written, so a changed previous round redoes them."""
    from liushou_core.rounds.compare import CHANGES_DIR, clean_folder, compare_dirs

    assert config.previous is not None
    before = clean_folder(config.previous)
    if not (before / "people.parquet").is_file():
        raise ConfigError(
            f"{config.source} 的 previous：{config.previous} 中没有上一轮的清洗结果（people.parquet）"
        )
    out = config.output / CHANGES_DIR
    compare_dirs(before, config.clean_dir, out, place=config.county)
    # the tables, not the Excel file: xlsx bytes carry the time they were written
    tables = [f for f in file_records([out], config.output) if not f["path"].endswith(".xlsx")]
    return fingerprint([(f["path"], f["sha256"]) for f in tables])


def _files_unchanged(records: Iterable[Mapping[str, Any]], root: Path) -> bool:
    for rec in records:
        path = root / str(rec["path"])
        if not path.is_file() or sha256_file(path) != rec["sha256"]:
            return False
    return True


# ---------------------------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """One notebook to execute: where its template is, where its outputs go, with which parameters."""

    key: str  # "<township>/<kind>" or "county"
    township: str | None
    kind: str
    title: str
    template: str
    out_ipynb: str
    out_html: str
    result: str  # where the worker writes its outcome (JSON)
    log: str
    parameters: dict[str, str]
    fingerprint: str
    timeout: int
    kernel_name: str

    @property
    def folder(self) -> Path:
        return Path(self.out_ipynb).parent


@dataclass
class _Running:
    task: Task
    process: subprocess.Popen[bytes]
    log: Any
    started: str
    start: float = field(default_factory=time.monotonic)


def township_fingerprints(data: Any, townships: Sequence[str]) -> dict[str, str]:
    """A content hash of each township's part of the cleaned data (register, issues and row fates).

    A change in one township's return changes only that township's hash, so ``--resume`` redoes only
    its workbooks (and the county overview).
    """
    import pandas as pd

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


def _template(notebooks_dir: Path, kind: str) -> Path:
    path = notebooks_dir / f"{kind}.ipynb"
    if not path.is_file():
        raise ConfigError(f"找不到工作簿模板 {path}")
    return path


def _make_task(
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
    stem = safe_name(township) + "-" + kind if township else kind
    return Task(
        key=key,
        township=township,
        kind=kind,
        title=title,
        template=str(template),
        out_ipynb=str(folder / f"{kind}.ipynb"),
        out_html=str(folder / f"{kind}.html"),
        result=str(run_dir / ".work" / f"{stem}.result.json"),
        log=str(run_dir / "logs" / f"{stem}.log"),
        parameters=parameters,
        fingerprint=fingerprint(
            {
                "data": data_fingerprint,
                "parameters": parameters,
                "template": sha256_file(template),
                "liushou": __version__,
            }
        ),
        timeout=config.timeout,
        kernel_name=kernel_name,
    )


def _artifacts(task: Task, run_dir: Path) -> list[str]:
    """The files a notebook made: ``<kind>.*`` and ``<kind>-*`` in its folder, relative to the run."""
    folder = task.folder
    if not folder.is_dir():
        return []
    found = [
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and (p.stem == task.kind or p.name.startswith(f"{task.kind}-"))
    ]
    return sorted(relative(p, run_dir) for p in found)


def _reusable(previous: NotebookRecord | None, task: Task, run_dir: Path) -> bool:
    return (
        previous is not None
        and previous.status == OK
        and previous.fingerprint == task.fingerprint
        and bool(previous.artifacts)
        and all((run_dir / a).is_file() for a in previous.artifacts)
    )


# --------------------------------------------------------------------------------------------- workers


def run_worker(task_file: Path) -> int:
    """Worker process: execute one notebook, export its HTML, write the outcome JSON. Never raises."""
    from liushou_core.batch.execute import NotebookExecutionError, execute_notebook, export_html

    _stop_with_parent()
    task = Task(**json.loads(Path(task_file).read_text(encoding="utf-8")))
    start = time.monotonic()
    status, error = OK, None
    try:
        execute_notebook(
            Path(task.template),
            Path(task.out_ipynb),
            task.parameters,
            kernel_name=task.kernel_name,
            timeout=task.timeout,
        )
    except NotebookExecutionError as exc:
        status = TIMEOUT if exc.failure.kind == "timeout" else FAILED
        error = {**asdict(exc.failure), "message": exc.failure.describe()}
    except Exception as exc:  # the kernel did not start, the template is unreadable, …: still recorded
        traceback.print_exc()
        status, error = FAILED, _error("error", exc)
    if Path(task.out_ipynb).exists():
        try:
            export_html(Path(task.out_ipynb), Path(task.out_html), title=_html_title(task))
        except Exception as exc:
            traceback.print_exc()
            if status == OK:
                status, error = FAILED, _error("export", exc)
    outcome = {"status": status, "error": error, "duration_s": round(time.monotonic() - start, 3)}
    from liushou_core.atomic import write_json

    write_json(outcome, Path(task.result))
    return 0


_PARENT_ENV = "LIUSHOU_RUN_PID"


def _stop_with_parent(poll_s: float = 1.0) -> None:
    """End this worker as soon as the run that started it is gone (killed): nobody would record its
    outcome, and it would hold the run's lock. Its kernel watches the worker the same way and ends too."""
    import threading

    # the run's pid as the run gave it: the run may have died before this worker got here
    parent = int(os.environ.get(_PARENT_ENV) or os.getppid())

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(3)

    threading.Thread(target=watch, name="liushou-parent-watch", daemon=True).start()


def _error(kind: str, exc: BaseException) -> dict[str, Any]:
    # An error raised inside a rule may quote a row, ID number included: the manifest and console get it masked.
    evalue = redact_text(str(exc))
    message = f"{type(exc).__name__}: {evalue}"
    return {"kind": kind, "ename": type(exc).__name__, "evalue": evalue[:500], "message": message[:500]}


def _html_title(task: Task) -> str:
    return f"{task.township} {task.title}" if task.township else task.title


def _start(task: Task, env: Mapping[str, str] | None = None) -> _Running:
    for path in (Path(task.result), Path(task.log)):
        path.parent.mkdir(parents=True, exist_ok=True)
    Path(task.result).unlink(missing_ok=True)
    spec = Path(task.result).with_suffix(".task.json")
    spec.write_text(json.dumps(asdict(task), ensure_ascii=False), encoding="utf-8")
    log = Path(task.log).open("wb")  # noqa: SIM115 - handed to the worker, closed in _finish
    env = {**os.environ, **(env or {}), "PYTHONIOENCODING": "utf-8", _PARENT_ENV: str(os.getpid())}
    extra: dict[str, Any] = (
        # its own process group: a timeout stops the worker and its kernel; it holds the run's lock too
        {"start_new_session": True, "pass_fds": held_fds()}
        if os.name == "posix"
        else {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "liushou_core.batch.run", "--worker", str(spec)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        **extra,
    )
    return _Running(task=task, process=process, log=log, started=_now())


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a worker and its kernel: TERM to the whole process group, then KILL if it lingers."""
    if process.poll() is not None:
        return
    if os.name == "posix":
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue
    else:  # pragma: no cover - Windows: the kernel exits when its parent does (ipykernel's parent poller)
        process.kill()
        process.wait(timeout=10)


def _finish(running: _Running, run_dir: Path, *, timed_out: bool) -> NotebookRecord:
    from liushou_core.batch.execute import recover_partial

    task = running.task
    running.log.close()
    duration = round(time.monotonic() - running.start, 3)
    result_path = Path(task.result)
    error: dict[str, Any] | None
    if timed_out:
        cell_index, cell_source = recover_partial(Path(task.out_ipynb))
        status = TIMEOUT
        error = {
            "kind": "timeout",
            "ename": "Timeout",
            "evalue": f"超过 {task.timeout} 秒仍未完成，已停止",
            "cell_index": cell_index,
            "cell_source": cell_source,
            "message": f"超过 {task.timeout} 秒仍未完成，已停止",
        }
        _export_quietly(task)
    elif result_path.exists():
        outcome = json.loads(result_path.read_text(encoding="utf-8"))
        status, error = str(outcome["status"]), outcome.get("error")
    else:
        recover_partial(Path(task.out_ipynb))
        code = running.process.returncode
        status = FAILED
        error = {
            "kind": "worker_died",
            "ename": "WorkerDied",
            "evalue": f"工作进程异常退出（退出码 {code}）",
            "message": f"工作进程异常退出（退出码 {code}），详见日志",
        }
        _export_quietly(task)
    result_path.unlink(missing_ok=True)
    result_path.with_suffix(".task.json").unlink(missing_ok=True)
    for leftover in task.folder.glob(f".{task.kind}.*.tmp*"):  # a stopped worker's half-written files
        leftover.unlink(missing_ok=True)
    return NotebookRecord(
        kind=task.kind,
        status=status,
        fingerprint=task.fingerprint,
        started=running.started,
        duration_s=duration,
        artifacts=_artifacts(task, run_dir),
        error=error,
        log=relative(Path(task.log), run_dir),
    )


def _export_quietly(task: Task) -> None:
    from liushou_core.batch.execute import export_html

    if Path(task.out_ipynb).exists():
        # A damaged partial notebook may not export; the failure is already recorded.
        with contextlib.suppress(Exception):
            export_html(Path(task.out_ipynb), Path(task.out_html), title=_html_title(task))


def run_tasks(
    tasks: Sequence[Task],
    run_dir: Path,
    *,
    jobs: int,
    on_done: Callable[[Task, NotebookRecord], None],
    progress: bool = True,
    description: str = "工作簿",
    env: Mapping[str, str] | None = None,
) -> None:
    """Execute ``tasks`` in at most ``jobs`` worker processes; call ``on_done`` as each one ends.

    ``env`` is added to the workers' environment (:mod:`liushou_core.batch.warmkernel` passes its kernel spec).
    """
    queue = deque(tasks)
    running: list[_Running] = []
    failures = 0
    with Progress(len(tasks), description, enabled=progress) as bar:
        try:
            while queue or running:
                while queue and len(running) < jobs:
                    running.append(_start(queue.popleft(), env))
                time.sleep(_POLL_S)
                for item in list(running):
                    timed_out = False
                    if item.process.poll() is None:
                        if time.monotonic() - item.start <= item.task.timeout + GRACE_S:
                            continue
                        _stop(item.process)
                        timed_out = True
                    running.remove(item)
                    record = _finish(item, run_dir, timed_out=timed_out)
                    failures += record.status != OK
                    on_done(item.task, record)
                    bar.advance(failures)
        finally:
            for item in running:  # interrupted (Ctrl-C): leave no worker or kernel behind
                _stop(item.process)
                item.log.close()


def run_task(task: Task, run_dir: Path) -> NotebookRecord:
    """Execute one task in its worker process and wait for it (stopped past its timeout); its record.

    What a Dask worker runs for each notebook (:mod:`liushou_core.batch.executors`).
    """
    running = _start(task)
    timed_out = False
    try:
        while running.process.poll() is None:
            if time.monotonic() - running.start > task.timeout + GRACE_S:
                _stop(running.process)
                timed_out = True
                break
            time.sleep(_POLL_S)
    except BaseException:
        _stop(running.process)
        running.log.close()
        raise
    return _finish(running, run_dir, timed_out=timed_out)


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
        from liushou_core.cleaning.intake.problems import blocking

        return 0 if self.ok and not blocking(self.input_problems) else 1


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


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
    with folder_lock(config.output, "liushou run"):
        _remove_temporary_files(config.output)  # a killed run's; no writer is left (they hold the lock)
        return _run_batch(
            config, clean_fn=clean_fn, townships=townships, jobs=jobs, resume=resume, progress=progress,
            notebooks_dir=notebooks_dir, kernel_name=kernel_name, executor=executor or LocalExecutor(),
        )  # fmt: skip


def _remove_temporary_files(run_dir: Path) -> None:
    """Remove the temporary files (``.<name>.<random>.tmp<suffix>``) a killed run left behind."""
    for path in run_dir.rglob(".*.tmp*"):
        if path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)


def _input_problems(clean_dir: Path) -> list[InputProblem]:
    """What in the returns was not read, from the cleaning's issues and files tables (if it wrote them)."""
    import pandas as pd

    from liushou_core.cleaning.intake.problems import input_problems

    issues_path, files_path = clean_dir / "issues.parquet", clean_dir / "files.parquet"
    if not issues_path.is_file():
        return []
    files = pd.read_parquet(files_path) if files_path.is_file() else None
    return input_problems(pd.read_parquet(issues_path), files)


def _run_batch(
    config: RunConfig,
    *,
    clean_fn: CleanFn,
    townships: Sequence[str] | None,
    jobs: int | None,
    resume: bool,
    progress: bool,
    notebooks_dir: Path | None,
    kernel_name: str,
    executor: Executor,
) -> BatchResult:
    from liushou_core.batch.execute import check_kernel
    from liushou_core.workbooks.rundata import read_run

    check_kernel(kernel_name)
    templates_dir = notebooks_dir or NOTEBOOKS_DIR
    kinds = {**NOTEBOOK_KINDS, **({CHANGES_KIND: CHANGES_TITLE} if config.previous else {})}
    templates = {kind: _template(templates_dir, kind) for kind in [*kinds, COUNTY_KIND]}
    run_dir = config.output
    run_dir.mkdir(parents=True, exist_ok=True)
    # The previous record: townships not chosen this time keep theirs; with ``resume``, unchanged and
    # finished notebooks (and an unchanged cleaning) are reused.
    previous = read_manifest(run_dir)
    result = BatchResult(run_dir=run_dir, manifest=Manifest(started=_now()))
    manifest = result.manifest
    manifest.config_file = str(config.source)
    manifest.config = config.to_dict()
    manifest.parameters = config.notebook_parameters()
    manifest.versions = package_versions()
    manifest.inputs = file_records([*config.inputs, *filter(None, [config.decisions]), *config.codebooks])

    # 1. Clean once for the county (or reuse an unchanged cleaning).
    clean_fp = _clean_fingerprint(config, manifest.inputs)
    prev_clean = previous.clean if previous and resume else {}
    start = time.monotonic()
    if (
        prev_clean.get("status") in (OK, "reused")  # not one killed half-way ("running")
        and prev_clean.get("fingerprint") == clean_fp
        and prev_clean.get("files")
        and _files_unchanged(prev_clean["files"], run_dir)
    ):
        result.clean_reused = True
    else:
        manifest.clean = {"status": "running", "fingerprint": clean_fp}
        write_manifest(manifest, run_dir)
        _clean(config, clean_fn)
    manifest.clean = {
        "status": "reused" if result.clean_reused else OK,
        "fingerprint": clean_fp,
        "duration_s": round(time.monotonic() - start, 3),
        "files": file_records([config.clean_dir], run_dir),
    }
    result.input_problems = _input_problems(config.clean_dir)
    manifest.clean["input_problems"] = [p.to_dict() for p in result.input_problems]

    # 2. The townships' workbooks.
    data = read_run(config.clean_dir)
    changes_fp = _compare_rounds(config) if config.previous else ""
    known = _townships_in(data)
    chosen = list(dict.fromkeys(townships)) if townships else known
    unknown = [t for t in chosen if t not in known]
    if unknown:
        raise ConfigError(f"数据中没有这些镇（乡）：{'、'.join(unknown)}（有：{'、'.join(known)}）")
    if previous:  # townships not chosen this time keep their record
        manifest.townships = {k: v for k, v in previous.townships.items() if k in known and k not in chosen}
    town_fp = township_fingerprints(data, chosen)
    base = config.notebook_parameters()
    tasks: list[Task] = []
    for town in chosen:
        folder = township_dir(run_dir, town)
        record = manifest.townships.setdefault(
            town, TownshipRecord(name=town, folder=relative(folder, run_dir))
        )
        for kind, title in kinds.items():
            params = {**base, "township": town, "run_dir": str(run_dir), "out_dir": str(folder)}
            data_fp = fingerprint([town_fp[town], changes_fp]) if kind == CHANGES_KIND else town_fp[town]
            task = _make_task(
                run_dir=run_dir, key=f"{town}/{kind}", township=town, kind=kind, title=title,
                template=templates[kind], folder=folder, parameters=params, data_fingerprint=data_fp,
                config=config, kernel_name=kernel_name,
            )  # fmt: skip
            before = (
                previous.townships[town].notebooks.get(kind)
                if previous and town in previous.townships
                else None
            )
            if resume and _reusable(before, task, run_dir):
                assert before is not None
                record.notebooks[kind] = before
                result.reused.append(task.key)
            else:
                record.notebooks[kind] = NotebookRecord(kind=kind, fingerprint=task.fingerprint)
                tasks.append(task)
    if config.previous:  # the county's workbook of changes, recorded under the county's name
        county_changes = _make_task(
            run_dir=run_dir, key=f"{config.county}/{CHANGES_KIND}", township=config.county, kind=CHANGES_KIND,
            title=CHANGES_TITLE, template=templates[CHANGES_KIND], folder=county_dir(run_dir),
            parameters={**base, "township": "", "run_dir": str(run_dir), "out_dir": str(county_dir(run_dir))},
            data_fingerprint=changes_fp, config=config, kernel_name=kernel_name,
        )  # fmt: skip
        record = TownshipRecord(name=config.county, folder=relative(county_dir(run_dir), run_dir))
        manifest.townships[config.county] = record
        earlier = previous.townships.get(config.county) if previous else None
        before = earlier.notebooks.get(CHANGES_KIND) if earlier else None
        if resume and _reusable(before, county_changes, run_dir):
            assert before is not None
            record.notebooks[CHANGES_KIND] = before
            result.reused.append(county_changes.key)
        else:
            record.notebooks[CHANGES_KIND] = NotebookRecord(
                kind=CHANGES_KIND, fingerprint=county_changes.fingerprint
            )
            tasks.append(county_changes)
    write_manifest(manifest, run_dir)

    def done(task: Task, rec: NotebookRecord) -> None:
        if task.township is None:
            manifest.county = rec
        else:
            manifest.townships[task.township].notebooks[task.kind] = rec
        result.ran.append(task.key)
        write_manifest(manifest, run_dir)

    n_jobs = config.effective_jobs(jobs)
    executor.run(tasks, run_dir, jobs=n_jobs, on_done=done, progress=progress, description="乡镇工作簿")

    # 3. The county overview: after the townships, since it links to their workbooks.
    county_state = {
        "clean": [(f["path"], f["sha256"]) for f in manifest.clean["files"]],
        "townships": {
            k: (t.status, [n.fingerprint for n in t.notebooks.values()])
            for k, t in manifest.townships.items()
        },
    }
    folder = county_dir(run_dir)
    params = {**base, "run_dir": str(run_dir), "out_dir": str(folder)}
    county_task = _make_task(
        run_dir=run_dir, key=COUNTY_KIND, township=None, kind=COUNTY_KIND, title=COUNTY_TITLE,
        template=templates[COUNTY_KIND], folder=folder, parameters=params,
        data_fingerprint=fingerprint(county_state), config=config, kernel_name=kernel_name,
    )  # fmt: skip
    if resume and previous and _reusable(previous.county, county_task, run_dir):
        manifest.county = previous.county
        result.reused.append(county_task.key)
    else:
        manifest.county = NotebookRecord(kind=COUNTY_KIND, fingerprint=county_task.fingerprint)
        executor.run(
            [county_task], run_dir, jobs=1, on_done=done, progress=progress, description=COUNTY_TITLE
        )

    manifest.finished = _now()
    write_manifest(manifest, run_dir)
    write_front_page(run_dir)
    shutil.rmtree(run_dir / ".work", ignore_errors=True)
    return result


def _townships_in(data: Any) -> list[str]:
    """Townships with verified people (official code order), then those with only pending rows."""
    from liushou_core.workbooks.rundata import townships_of

    ordered = townships_of(data.people)
    if data.rows is not None:
        ordered += sorted(set(data.rows["township"].dropna()) - set(ordered))
    return ordered


# ------------------------------------------------------------------------------------------ the command


def format_report(result: BatchResult, county: str) -> str:
    """What the command prints at the end: the headline table, failures, and where the overview is."""
    from liushou_core.workbooks.headline import headline_by_township
    from liushou_core.workbooks.rundata import read_run

    m = result.manifest
    lines = []
    try:
        table = headline_by_township(read_run(result.run_dir / "clean").people, county)
        lines += ["", f"{county}农村“三留守”人员（核实名册）：", table.to_string(), ""]
    except (ConfigError, OSError, KeyError):
        pass
    if result.input_problems:
        from liushou_core.cleaning.intake.problems import format_problems

        lines += ["报表读取问题：", *format_problems(result.input_problems), ""]
    records = m.records()
    ok = sum(r.status == OK for r in records)
    lines.append(
        f"工作簿：完成 {ok} 本，失败 {len(records) - ok} 本；本次运行 {len(result.ran)} 本，沿用 {len(result.reused)} 本。"
    )
    for place, rec in m.failed():
        message = (rec.error or {}).get("message") or rec.status
        lines.append(f"失败：{place} {rec.kind}：{message}（日志 {result.run_dir / rec.log}）")
    if (result.run_dir / FRONT_PAGE).exists():
        lines.append(f"运行首页：{result.run_dir / FRONT_PAGE}")
    county_html = county_dir(result.run_dir) / f"{COUNTY_KIND}.html"
    if county_html.exists():
        lines.append(f"县级总览：{county_html}")
    changes_html = county_dir(result.run_dir) / f"{CHANGES_KIND}.html"
    if changes_html.exists():
        lines.append(f"{CHANGES_TITLE}（全县）：{changes_html}")
    lines.append(f"运行记录：{result.run_dir / 'manifest.json'}")
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
    from liushou_core.batch.executors import make_executor
    from liushou_core.batch.settings import load_run_config
    from liushou_core.cleaning.streaming import stream_to_dir

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


def _main(argv: Sequence[str]) -> int:
    if len(argv) == 2 and argv[0] == "--worker":
        return run_worker(Path(argv[1]))
    print("用法：python -m liushou_core.batch.run --worker TASK.json（由 liushou run 调用）", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
