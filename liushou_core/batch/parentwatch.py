"""A worker learns that the run that started it is gone, on Windows as on Linux, without ``getppid()``.

On Windows a process's parent id never changes when the parent dies, so watching ``getppid()`` leaves a
killed run's workers running (holding its lock, writing its folder). Instead the run starts each worker with
a pipe as its standard input and never writes to it; only the run holds the pipe's other end (Python opens
it non-inheritable, so no other worker or kernel gets it). When the run ends, however it ends (killed, a
crash, closed console window), the system closes that end and the worker's read returns end-of-file: the
worker stops at once.

The run sets :data:`PIPE_ENV` in the worker's environment to say its standard input is such a pipe; a
worker started by hand (stdin a terminal or nothing) falls back to watching its parent id (POSIX only).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

#: Set (to "1") in a worker's environment when its standard input is the run's watch pipe.
PIPE_ENV = "LIUSHOU_PARENT_PIPE"
#: Exit status of a worker whose run is gone.
ORPHAN_EXIT = 3


def _exit() -> None:  # pragma: no cover - ends the process
    os._exit(ORPHAN_EXIT)


def stop_with_parent(
    parent_pid: int | None = None, *, poll_s: float = 1.0, on_gone: Callable[[], None] = _exit
) -> threading.Thread:
    """Call ``on_gone`` (default: exit now) as soon as the run that started this process is gone.

    With :data:`PIPE_ENV` set, a daemon thread waits for end-of-file on standard input; otherwise, on POSIX,
    it polls ``getppid()`` against ``parent_pid`` (default: the current parent).
    """
    if os.environ.get(PIPE_ENV) == "1":
        target: Callable[[], None] = lambda: _wait_for_eof(sys.stdin.fileno(), on_gone)  # noqa: E731
    elif os.name == "posix":
        parent = parent_pid or os.getppid()
        target = lambda: _poll_parent(parent, poll_s, on_gone)  # noqa: E731
    else:  # pragma: no cover - Windows, started by hand: nobody to watch
        target = lambda: None  # noqa: E731
    thread = threading.Thread(target=target, name="liushou-parent-watch", daemon=True)
    thread.start()
    return thread


def _wait_for_eof(fd: int, on_gone: Callable[[], None]) -> None:
    try:
        while os.read(fd, 4096):  # the run never writes; anything read is ignored
            pass
    except OSError:  # the pipe broke: the run is gone as well
        pass
    on_gone()


def _poll_parent(parent: int, poll_s: float, on_gone: Callable[[], None]) -> None:
    while os.getppid() == parent:
        time.sleep(poll_s)
    on_gone()
