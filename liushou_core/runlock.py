"""One command at a time per output folder: ``liushou run`` and ``liushou clean`` lock the folder they write.

The lock is the file ``DIR/.liushou.lock``, locked by the operating system (``fcntl.flock`` on Linux and
macOS, ``msvcrt.locking`` on Windows) for as long as the command runs; it holds the command's pid, name and
start time so that a second command on the same folder can say who holds it. A second command is refused,
never interleaved: two runs writing one folder would mix their workbooks and manifests.

The operating system releases the lock when its holder ends, however it ends (``kill -9``, a crash, a
power cut), so a lock file left behind by a dead command is simply taken over. The batch's worker
processes inherit the lock (:func:`held_fds`) and keep it until they have stopped too: a run started just
after a killed one waits a few seconds for the killed run's workers to stop, then goes on.

One lock covers every folder inside the folder locked: a run owns ``RUN/clean``, its townships' and county
folders, so ``liushou clean --out RUN/clean`` during a run on RUN is refused naming the run, and a run on
RUN is refused while a command holds the lock of a folder inside it (:func:`_check_nested`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from liushou_core.errors import ConfigError

LOCK_NAME = ".liushou.lock"
#: Seconds a command waits for the workers of a dead holder to stop before it gives up.
STALE_WAIT_S = 20.0
_POLL_S = 0.2
_WINDOWS_LOCK_OFFSET = 1 << 30

_held: dict[Path, int] = {}  # lock file → open descriptor, for the locks this process holds


class FolderLockedError(ConfigError):
    """Raised when another liushou command is writing the same output folder."""


def held_fds() -> tuple[int, ...]:
    """The descriptors of the locks this process holds (for worker processes to inherit)."""
    return tuple(_held.values())


@contextmanager
def folder_lock(folder: Path, command: str) -> Iterator[Path]:
    """Hold ``folder``'s lock while the block runs (the folder is created if missing); yield the lock file.

    Raises :class:`FolderLockedError` naming the holder when another live command holds it.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_NAME
    key = path.resolve()
    if key in _held:  # the same process, nested (run → clean): already held
        yield path
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        _acquire(fd, path, folder)
        os.set_inheritable(fd, False)  # only workers handed it explicitly keep it
        _write_holder(fd, command)
        _check_nested(folder.resolve(), path)
        _held[key] = fd
        try:
            yield path
        finally:
            del _held[key]
            # emptied, not removed: removing it would let a third command lock a new file while a second
            # one still waits on this one
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the lock


def _acquire(fd: int, path: Path, folder: Path) -> None:
    deadline: float | None = None
    while not _try_lock(fd):
        holder = _read_holder(path)
        pid = holder.get("pid")
        if isinstance(pid, int) and not _alive(pid):
            # the holder is dead and its workers are stopping: they release the lock within seconds
            deadline = deadline or time.monotonic() + STALE_WAIT_S
            if time.monotonic() < deadline:
                time.sleep(_POLL_S)
                continue
            raise FolderLockedError(
                f"输出文件夹 {folder} 仍被上一次已中断的运行（进程 {pid}）的工作进程占用，"
                f"请等它们退出后再运行；如果一直如此，请结束这些进程（锁文件 {path}）"
            )
        who = f"进程 {pid}" if pid else "另一个进程"
        what = holder.get("command") or "liushou"
        since = f"，{holder['started']} 开始" if holder.get("started") else ""
        raise FolderLockedError(
            f"输出文件夹 {folder} 正由另一个 {what}（{who}{since}）使用，同一文件夹不能同时运行两次；"
            "请等它结束后再运行，或换一个输出文件夹"
        )


def _check_nested(folder: Path, own: Path) -> None:
    """Refuse when another command holds the lock of a folder holding ``folder`` or inside it."""
    around = [p / LOCK_NAME for p in folder.parents]
    inside = [p for p in folder.rglob(LOCK_NAME) if p.parent != folder]
    for lock in [*around, *inside]:
        if lock.resolve() in _held or not lock.is_file():
            continue  # this process holds it (run → clean), or there is none
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            continue
        try:
            if _try_lock(fd):
                _unlock(fd)
                continue
        finally:
            os.close(fd)
        holder = _read_holder(lock)
        who = f"进程 {holder['pid']}" if holder.get("pid") else "另一个进程"
        what = holder.get("command") or "liushou"
        since = f"，{holder['started']} 开始" if holder.get("started") else ""
        relation = "所在的文件夹" if lock.parent in folder.parents else "中的文件夹"
        raise FolderLockedError(
            f"输出文件夹 {folder}{relation} {lock.parent} 正由另一个 {what}（{who}{since}）使用，"
            "同一批文件不能同时由两个命令写入；请等它结束后再运行，或换一个输出文件夹"
        )


def _unlock(fd: int) -> None:
    if sys.platform == "win32":  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":  # pragma: no cover - Windows
            import msvcrt

            # one byte far past the end: the holder's pid and command stay readable for the next command
            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            try:
                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _write_holder(fd: int, command: str) -> None:
    holder = {"pid": os.getpid(), "command": command, "started": datetime.now().isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps(holder, ensure_ascii=False).encode("utf-8"))


def _read_holder(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(pid: int) -> bool:
    """Whether process ``pid`` is running (on Windows asked with ``OpenProcess``, never with a signal)."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        import ctypes

        return alive_windows(pid, ctypes.WinDLL("kernel32", use_last_error=True), ctypes.get_last_error)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


#: Windows API values used by :func:`alive_windows`.
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
STILL_ACTIVE = 259
ERROR_ACCESS_DENIED = 5


def alive_windows(pid: int, kernel32: Any, last_error: Callable[[], int]) -> bool:
    """Whether ``pid`` is running, asked of Windows' ``kernel32`` (``os.kill`` there would end it).

    A process that cannot be opened is gone, unless the refusal is "access denied" (another user's live
    process); one that can be opened is alive while its exit code is ``STILL_ACTIVE``.
    """
    import ctypes

    handle = kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return bool(last_error() == ERROR_ACCESS_DENIED)
    try:
        code = ctypes.c_ulong(0)
        if not kernel32.GetExitCodeProcess(handle, ctypes.pointer(code)):
            return True  # cannot tell: keep waiting rather than take a live run's folder
        return code.value == STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
