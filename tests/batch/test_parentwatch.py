"""A worker stops when the run that started it is gone, learnt from a pipe, not from getppid() (which never
changes on Windows). Forced on Linux: the worker below watches only its pipe."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from liushou_core.batch.parentwatch import ORPHAN_EXIT, PIPE_ENV

WORKER = """\
import time
from liushou_core.batch.parentwatch import stop_with_parent
stop_with_parent()
print("ready", flush=True)
time.sleep(60)
"""

# A run that starts one watched worker the way batch.run starts them, says its pid, then waits to be killed.
RUN = f"""\
import os, subprocess, sys, time
env = {{**os.environ, "{PIPE_ENV}": "1"}}
worker = subprocess.Popen([sys.executable, "-c", {WORKER!r}], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
assert worker.stdout.readline().strip() == b"ready"
print(worker.pid, flush=True)
time.sleep(60)
"""


def _gone(pid: int) -> bool:
    """Whether ``pid`` has ended (an orphan's zombie, not yet reaped, counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def test_a_worker_stops_when_its_pipe_closes_though_its_parent_is_still_there() -> None:
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, PIPE_ENV: "1"},
    )
    assert worker.stdout is not None and worker.stdout.readline().strip() == b"ready"
    assert worker.poll() is None
    assert worker.stdin is not None
    worker.stdin.close()  # what the system does for a run that ends, however it ends
    assert worker.wait(timeout=10) == ORPHAN_EXIT


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to see the orphan end")
def test_a_worker_stops_when_its_run_is_killed() -> None:
    run = subprocess.Popen([sys.executable, "-c", RUN], stdout=subprocess.PIPE)
    assert run.stdout is not None
    worker_pid = int(run.stdout.readline())
    assert not _gone(worker_pid)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=10)
    deadline = time.monotonic() + 10
    while not _gone(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gone(worker_pid), "the worker outlived its killed run"
