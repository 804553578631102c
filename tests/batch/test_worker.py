"""The worker process, as ``liushou run`` starts it: ``python -m liushou_core.batch.worker --worker TASK.json``."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from liushou_core.batch.task import Task
from liushou_core.values.idcard import make_id


def _worker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "liushou_core.batch.worker", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def test_the_worker_without_a_task_says_how_it_is_called() -> None:
    done = _worker()
    assert done.returncode == 2
    assert "--worker TASK.json" in done.stderr


def test_a_notebook_that_cannot_start_is_recorded_as_failed_with_the_id_in_its_error_masked(
    tmp_path: Path,
) -> None:
    person = make_id("510923", dt.date(1980, 1, 1), 123)
    task = Task(
        key="蓬莱镇/investigation", township="蓬莱镇", kind="investigation", title="摸排工作簿",
        template=str(tmp_path / f"{person}.ipynb"),  # no such template
        out_ipynb=str(tmp_path / "out" / "investigation.ipynb"), out_html=str(tmp_path / "out" / "investigation.html"),
        result=str(tmp_path / "result.json"), log=str(tmp_path / "log.txt"), parameters={}, fingerprint="x",
        timeout=60, kernel_name="liushou",
    )  # fmt: skip
    spec = tmp_path / "task.json"
    spec.write_text(json.dumps(asdict(task), ensure_ascii=False), encoding="utf-8")
    done = _worker("--worker", str(spec))
    assert done.returncode == 0  # the outcome is in the result file, never an exception
    outcome = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert outcome["status"] == "failed"
    assert outcome["error"]["kind"] == "error"
    assert person not in json.dumps(outcome, ensure_ascii=False)
    assert not (tmp_path / "out" / "investigation.html").exists()
