"""Where the township notebooks run: worker processes on this machine, or a Dask cluster.

``liushou run`` builds the same tasks, manifest and ``--resume`` decisions whatever runs them; an executor
only decides where each notebook's worker process starts. Each task is still one worker process with its own
kernel (:func:`liushou_core.batch.run.run_task`): a failing, dying or hanging notebook is recorded and the
others go on, on a cluster as on one machine.

- :class:`LocalExecutor` — at most ``jobs`` worker processes here (:func:`liushou_core.batch.run.run_tasks`).
- :class:`DaskExecutor` — one Dask task per notebook, sent to the scheduler at ``address``, or to a
  :class:`distributed.LocalCluster` started for the run (worker processes on the loopback interface) when no
  address is given. Every Dask worker must see the run folder at the same path (a shared disk, as a
  province's cluster has) and have liushou and its Jupyter kernel installed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any, Protocol

from liushou_core.batch.manifest import FAILED, NotebookRecord
from liushou_core.batch.progress import Progress
from liushou_core.errors import ConfigError

OnDone = Callable[[Any, NotebookRecord], None]
EXECUTORS = ("local", "dask")


class Executor(Protocol):
    """Runs notebook tasks and reports each one's record as it ends."""

    def run(
        self,
        tasks: Sequence[Any],
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
        tasks: Sequence[Any],
        run_dir: Path,
        *,
        jobs: int,
        on_done: OnDone,
        progress: bool,
        description: str,
    ) -> None:
        from liushou_core.batch.run import run_tasks
        from liushou_core.batch.warmkernel import supported, warm_kernels

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


def run_on_worker(task: dict[str, Any], run_dir: str) -> dict[str, Any]:
    """What a Dask worker runs for one notebook: its worker process, waited for (with the task's timeout);
    the notebook's record as a plain dict."""
    from liushou_core.batch.run import Task, run_task

    return asdict(run_task(Task(**task), Path(run_dir)))


class DaskExecutor:
    """One Dask task per notebook, on the cluster at ``address`` or on a local cluster of ``jobs`` workers."""

    def __init__(self, address: str | None = None) -> None:
        self.address = address

    @contextmanager
    def _client(self, jobs: int) -> Iterator[Any]:
        try:
            from distributed import Client, LocalCluster
        except ImportError:  # pragma: no cover - distributed is a dependency
            raise ConfigError(
                "使用 --executor dask 需要安装 dask.distributed（pip install distributed）"
            ) from None
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
            LocalCluster(
                n_workers=jobs, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client

    def run(
        self,
        tasks: Sequence[Any],
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

        with self._client(jobs) as client:
            # Notebooks are not pure functions of their arguments (they read the run folder): never cached,
            # never retried by Dask — a failure is recorded like on one machine.
            futures = {
                client.submit(
                    run_on_worker, asdict(t), str(run_dir), key=f"liushou-{t.key}-{i}", pure=False, retries=0
                ): t
                for i, t in enumerate(tasks)
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


def _lost(task: Any, run_dir: Path, exc: BaseException) -> NotebookRecord:
    from liushou_core.batch.manifest import relative

    message = f"Dask 工作进程异常退出或集群断开（{type(exc).__name__}：{str(exc)[:200]}）"
    return NotebookRecord(
        kind=task.kind,
        status=FAILED,
        fingerprint=task.fingerprint,
        error={"kind": "worker_died", "ename": type(exc).__name__, "evalue": message, "message": message},
        log=relative(Path(task.log), run_dir),
    )


def make_executor(name: str = "local", scheduler: str | None = None) -> Executor:
    """The executor called ``name`` (``local`` or ``dask``); ``scheduler`` is a Dask scheduler's address."""
    if name == "local":
        if scheduler:
            raise ConfigError("--scheduler 只能与 --executor dask 一起使用")
        return LocalExecutor()
    if name == "dask":
        return DaskExecutor(scheduler)
    raise ConfigError(f"--executor 应为 {' 或 '.join(EXECUTORS)}，而不是“{name}”")


__all__ = ["EXECUTORS", "DaskExecutor", "Executor", "LocalExecutor", "make_executor", "run_on_worker"]
