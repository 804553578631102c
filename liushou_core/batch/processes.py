"""The run's side of the worker processes: start one per notebook, watch its timeout, stop it, read its outcome.

Each notebook runs in its own worker process (:mod:`liushou_core.batch.worker`, its own session, with its own
kernel), at most ``jobs`` at a time. A notebook that fails — a failing cell, a dead kernel, a worker that dies,
or running past the timeout — is recorded with its error and failing cell (:class:`NotebookRecord`), and the
others go on. The workers inherit the run's folder lock (:mod:`liushou_core.runlock`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from liushou_core.batch.execute import export_html, recover_partial
from liushou_core.batch.manifest import FAILED, OK, TIMEOUT, NotebookRecord, relative
from liushou_core.batch.parentwatch import PIPE_ENV
from liushou_core.batch.progress import Progress
from liushou_core.batch.task import Task
from liushou_core.batch.worker import PARENT_ENV
from liushou_core.runlock import held_fds

#: Seconds a notebook may use beyond its timeout for the kernel to start and the HTML to be written.
GRACE_S = 30
_POLL_S = 0.2
#: What a run calls as each notebook ends.
OnDone = Callable[[Task, NotebookRecord], None]


@dataclass
class _Running:
    task: Task
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    started: str
    start: float = field(default_factory=time.monotonic)


def now() -> str:
    """The local time with its offset, to the second (as the manifest records times)."""
    return datetime.now().astimezone().isoformat(timespec="seconds")


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


def _start(task: Task, env: Mapping[str, str] | None = None) -> _Running:
    for path in (Path(task.result), Path(task.log)):
        path.parent.mkdir(parents=True, exist_ok=True)
    Path(task.result).unlink(missing_ok=True)
    spec = Path(task.result).with_suffix(".task.json")
    spec.write_text(json.dumps(asdict(task), ensure_ascii=False), encoding="utf-8")
    log = Path(task.log).open("wb")  # noqa: SIM115 - handed to the worker, closed in _finish
    env = {
        **os.environ,
        **(env or {}),
        "PYTHONIOENCODING": "utf-8",
        PARENT_ENV: str(os.getpid()),
        PIPE_ENV: "1",
    }
    extra: dict[str, Any] = (
        # its own process group: a timeout stops the worker and its kernel; it holds the run's lock too
        {"start_new_session": True, "pass_fds": held_fds()}
        if os.name == "posix"
        else {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)}
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "liushou_core.batch.worker", "--worker", str(spec)],
        stdin=subprocess.PIPE,  # never written: the worker stops when it closes (parentwatch)
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        **extra,
    )
    return _Running(task=task, process=process, log=log, started=now())


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
    task = running.task
    running.log.close()
    if running.process.stdin:  # the worker's watch pipe (parentwatch)
        running.process.stdin.close()
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
    if Path(task.out_ipynb).exists():
        # A damaged partial notebook may not export; the failure is already recorded.
        with contextlib.suppress(Exception):
            export_html(Path(task.out_ipynb), Path(task.out_html), title=task.html_title)


def run_tasks(
    tasks: Sequence[Task],
    run_dir: Path,
    *,
    jobs: int,
    on_done: OnDone,
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


__all__ = ["GRACE_S", "OnDone", "now", "run_task", "run_tasks"]
