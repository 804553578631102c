"""Where the township notebooks run: worker processes on this machine, or a Dask cluster.

``liushou run`` builds the same tasks, manifest and ``--resume`` decisions whatever runs them; an executor
only decides where each notebook's worker process starts. Each task is still one worker process with its own
kernel (:func:`liushou_core.batch.processes.run_task`): a failing, dying or hanging notebook is recorded and the
others go on, on a cluster as on one machine.

- :class:`LocalExecutor` — at most ``jobs`` worker processes here (:func:`liushou_core.batch.processes.run_tasks`).
- :class:`DaskExecutor` — one Dask task per notebook, sent to the scheduler at ``address``, or to a
  :class:`distributed.LocalCluster` started for the run (worker processes on the loopback interface) when no
  address is given. Every Dask worker must see the run folder at the same path (a shared disk, as a
  province's cluster has) and have liushou and its Jupyter kernel installed.

Dask task keys carry a run id (:func:`task_key`), so two counties — or two runs — sharing a scheduler never
share a key (every county has a ``county`` notebook; township names such as 城关镇 repeat across counties),
and no run can be handed another's result. A notebook is never run twice by Dask: ``retries=0``; the local
cluster's scheduler allows no failures (``allowed-failures`` 0, Dask's default is 3), and on any scheduler a
notebook whose Dask worker died is not started again (:func:`run_on_worker` keeps a start marker). It is
recorded as failed and ``--resume`` redoes it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from liushou_core.batch.manifest import FAILED, NotebookRecord, relative
from liushou_core.batch.processes import OnDone, run_task, run_tasks
from liushou_core.batch.progress import Progress
from liushou_core.batch.task import Task
from liushou_core.batch.warmkernel import supported, warm_kernels
from liushou_core.errors import ConfigError
from liushou_core.paths import safe_name

if TYPE_CHECKING:
    from distributed import Client

EXECUTORS = ("local", "dask")


class Executor(Protocol):
    """Runs notebook tasks and reports each one's record as it ends."""

    def run(
        self,
        tasks: Sequence[Task],
        run_dir: Path,
        *,
        jobs: int,
        on_done: OnDone,
        progress: bool,
        description: str,
    ) -> None: ...


class LocalExecutor:
    """Worker processes on this machine, at most ``jobs`` at a time.

    With ``warm`` (the default where the system allows it), each notebook's kernel is forked from a process
    that has already imported the workbooks' libraries (:mod:`liushou_core.batch.warmkernel`) instead of starting
    cold; every kernel is still a new process used for one notebook only.
    """

    def __init__(self, warm: bool = True) -> None:
        self.warm = warm

    def run(
        self,
        tasks: Sequence[Task],
        run_dir: Path,
        *,
        jobs: int,
        on_done: OnDone,
        progress: bool,
        description: str,
    ) -> None:
        if not tasks:
            return
        with contextlib.ExitStack() as stack:
            env = stack.enter_context(warm_kernels(tasks[0].kernel_name)) if self.warm and supported() else {}
            run_tasks(
                tasks,
                run_dir,
                jobs=jobs,
                on_done=on_done,
                progress=progress,
                description=description,
                env=env,
            )


def task_key(run_id: str, task_key_text: str, index: int) -> str:
    """The Dask key of a notebook task: unique per run (``run_id``), then the task and its position."""
    return f"liushou-{run_id}-{task_key_text}-{index}"


def new_run_id() -> str:
    """A fresh id for one executor run (random: two counties starting at the same moment still differ)."""
    return uuid.uuid4().hex


def start_marker(run_dir: Path, key: str) -> Path:
    """The file that says a notebook task has been started once (removed when the run's tasks are done)."""
    return run_dir / ".work" / f"{safe_name(key)}.started"


def run_on_worker(task: dict[str, Any], run_dir: str, key: str = "") -> dict[str, Any]:
    """What a Dask worker runs for one notebook: its worker process, waited for (with the task's timeout);
    the notebook's record as a plain dict.

    A start marker ``RUN/.work/<key>.started`` is made first: if it already exists, Dask is running this task
    a second time because the worker of the first attempt died; the notebook is not run again and is
    recorded as failed (``--resume`` redoes it)."""
    t = Task(**task)
    marker = start_marker(Path(run_dir), key or t.key)
    marker.parent.mkdir(parents=True, exist_ok=True)
    try:
        marker.touch(exist_ok=False)
    except FileExistsError:
        return asdict(
            _lost(t, Path(run_dir), RuntimeError("上一次运行该工作簿的 Dask 工作进程已退出，不自动重试"))
        )
    return asdict(run_task(t, Path(run_dir)))


class DaskExecutor:
    """One Dask task per notebook, on the cluster at ``address`` or on a local cluster of ``jobs`` workers."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address

    @contextmanager
    def _client(self, jobs: int) -> Iterator[Client]:
        require_dask()
        import dask
        from distributed import Client, LocalCluster

        if self.address:
            try:
                client = Client(self.address, timeout="30s")
            except OSError as exc:
                raise ConfigError(f"无法连接 Dask 调度器 {self.address}：{exc}") from None
            with client:
                yield client
            return
        # Worker processes (not threads): each notebook's worker is a child process of a Dask worker, and
        # one that misbehaves can take down only that Dask worker. Loopback only, no dashboard.
        with (
            dask.config.set({"distributed.scheduler.allowed-failures": 0}),  # a dead worker fails its task
            LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client

    def run(
        self,
        tasks: Sequence[Task],
        run_dir: Path,
        *,
        jobs: int,
        on_done: OnDone,
        progress: bool,
        description: str,
    ) -> None:
        if not tasks:
            return
        from distributed import as_completed

        run_id = new_run_id()
        keys = [task_key(run_id, t.key, i) for i, t in enumerate(tasks)]
        with self._client(jobs) as client:
            # Notebooks are not pure functions of their arguments (they read the run folder): never cached,
            # never retried by Dask — a failure is recorded like on one machine.
            futures = {
                client.submit(run_on_worker, asdict(t), str(run_dir), k, key=k, pure=False, retries=0): t
                for k, t in zip(keys, tasks, strict=True)
            }
            failures = 0
            with Progress(len(tasks), description, enabled=progress) as bar:
                for future in as_completed(futures):
                    task = futures[future]
                    try:
                        record = NotebookRecord(**future.result())
                    except Exception as exc:  # the Dask worker died, or the cluster went away
                        record = _lost(task, run_dir, exc)
                    failures += record.status == FAILED
                    on_done(task, record)
                    bar.advance(failures)
        for k in keys:
            start_marker(run_dir, k).unlink(missing_ok=True)


def _lost(task: Task, run_dir: Path, exc: BaseException) -> NotebookRecord:
    message = f"Dask 工作进程异常退出或集群断开（{type(exc).__name__}：{str(exc)[:200]}）"
    return NotebookRecord(
        kind=task.kind,
        status=FAILED,
        fingerprint=task.fingerprint,
        error={"kind": "worker_died", "ename": type(exc).__name__, "evalue": message, "message": message},
        log=relative(Path(task.log), run_dir),
    )


#: What to install for ``--executor dask`` (an extra: without it every command and kernel starts faster).
DASK_INSTALL = 'pip install "liushou[dask]"'


def require_dask() -> None:
    """Raise :class:`ConfigError` saying what to install when Dask distributed is not installed."""
    try:
        import distributed  # noqa: F401 - only whether it can be imported
    except ImportError:
        raise ConfigError(f"使用 --executor dask 需要安装 Dask：请运行 {DASK_INSTALL}") from None


def make_executor(name: str = "local", scheduler: str | None = None) -> Executor:
    """The executor called ``name`` (``local`` or ``dask``); ``scheduler`` is a Dask scheduler's address."""
    if name == "local":
        if scheduler:
            raise ConfigError("--scheduler 只能与 --executor dask 一起使用")
        return LocalExecutor()
    if name == "dask":
        require_dask()
        return DaskExecutor(scheduler)
    raise ConfigError(f"--executor 应为 {' 或 '.join(EXECUTORS)}，而不是“{name}”")


__all__ = [
    "EXECUTORS",
    "DaskExecutor",
    "Executor",
    "LocalExecutor",
    "make_executor",
    "require_dask",
    "new_run_id",
    "run_on_worker",
    "start_marker",
    "task_key",
]
