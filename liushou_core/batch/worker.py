"""The worker process: executes one notebook, exports its HTML and writes its outcome; never raises.

``liushou run`` starts one per notebook (:mod:`liushou_core.batch.processes`) as
``python -m liushou_core.batch.worker --worker TASK.json``. The worker imports only what a notebook's
execution needs, and ends as soon as the run that started it is gone.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from liushou_core.atomic import write_json
from liushou_core.batch.execute import NotebookExecutionError, execute_notebook, export_html
from liushou_core.batch.manifest import FAILED, OK, TIMEOUT
from liushou_core.batch.parentwatch import stop_with_parent
from liushou_core.batch.task import Task
from liushou_core.values.redact import redact_text

#: The environment variable carrying the run's process id to its workers.
PARENT_ENV = "LIUSHOU_RUN_PID"


def run_worker(task_file: Path) -> int:
    """Execute the notebook of ``task_file``, export its HTML, write the outcome JSON. Never raises."""
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
            export_html(Path(task.out_ipynb), Path(task.out_html), title=task.html_title)
        except Exception as exc:
            traceback.print_exc()
            if status == OK:
                status, error = FAILED, _error("export", exc)
    outcome = {"status": status, "error": error, "duration_s": round(time.monotonic() - start, 3)}
    write_json(outcome, Path(task.result))
    return 0


def _stop_with_parent(poll_s: float = 1.0) -> None:
    """End this worker as soon as the run that started it is gone (killed): nobody would record its
    outcome, and it would hold the run's lock. Its kernel watches the worker the same way and ends too."""
    # the run's pid as the run gave it: the run may have died before this worker got here
    stop_with_parent(int(os.environ.get(PARENT_ENV) or os.getppid()), poll_s=poll_s)


def _error(kind: str, exc: BaseException) -> dict[str, Any]:
    # An error raised inside a rule may quote a row, ID number included: the manifest and console get it masked.
    evalue = redact_text(str(exc))
    message = f"{type(exc).__name__}: {evalue}"
    return {"kind": kind, "ename": type(exc).__name__, "evalue": evalue[:500], "message": message[:500]}


def _main(argv: Sequence[str]) -> int:
    if len(argv) == 2 and argv[0] == "--worker":
        return run_worker(Path(argv[1]))
    print(
        "用法：python -m liushou_core.batch.worker --worker TASK.json（由 liushou run 调用）", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
