"""Atomic output: every file is written under a temporary name in its folder, then moved into place.

A run killed at any moment leaves either the old file or the new one, never a half-written file that looks
complete. The new file's bytes are flushed to the disk before it is moved into place, so that a power cut
right after the move cannot leave an empty file under the final name either.

On Windows a file that another program holds open — a 问题数据清单 or a ledger a cadre is reading in Excel or
WPS — cannot be replaced (``PermissionError``, WinError 5 or 32). :func:`replace` then tries again for a
moment (a virus scanner or the indexer lets go within a second) and otherwise raises
:class:`FileInUseError`: one Chinese sentence naming the file and asking to close it. In a batch that fails
the one workbook that writes the file; the other townships go on.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liushou_core.errors import ConfigError, LiushouError

if TYPE_CHECKING:  # the workers and the command line import this module: pandas only where a frame is written
    import pandas as pd

#: How many times, and how many seconds apart, a replacement refused by the system is tried.
REPLACE_ATTEMPTS = 8
REPLACE_WAIT_S = 0.25


class FileInUseError(LiushouError):
    """Raised when an output cannot be replaced because another program holds it open (or it is read-only)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        what = "文件夹" if self.path.is_dir() else "文件"
        inside = "其中有文件" if self.path.is_dir() else ""
        super().__init__(
            f"无法更新{what}“{self.path}”：{inside}正被其他程序打开（或没有写入权限）。"
            f"请先在 Excel/WPS 中关闭“{self.path.name}”{'中的文件' if inside else ''}，再重新运行"
        )


def replace(source: Path, target: Path) -> None:
    """``os.replace(source, target)``, tried again briefly while the system refuses it; then
    :class:`FileInUseError` naming ``target``."""
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            os.replace(source, target)
            return
        except PermissionError:  # Windows: WinError 5 (access denied) or 32 (in use by another process)
            if attempt + 1 == REPLACE_ATTEMPTS:
                raise FileInUseError(Path(target)) from None
            time.sleep(REPLACE_WAIT_S)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it onto ``path``, on error remove it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    # mkstemp makes the file owner-only; outputs get the permissions any new file would get.
    os.chmod(tmp, 0o666 & ~_umask())
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        flush_to_disk(tmp_path)
        replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def flush_to_disk(path: Path) -> None:
    """Make sure a written file's bytes are on the disk, not only in the system's cache."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:  # a file system that cannot (some network shares): the move is still atomic
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_parquet(df: pd.DataFrame, path: Path) -> None:
    """Write a frame to parquet atomically."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def write_json(data: Any, path: Path) -> None:
    """Write JSON (UTF-8, Chinese kept readable, indented) atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")


def write_text(content: str, path: Path) -> None:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(content, encoding="utf-8")


# ------------------------------------------------------------------------------------ complete or not at all

#: The file a command writes last into an output folder: the folder's files are all of one complete run.
COMPLETE_MARKER = ".complete"


def mark_complete(folder: Path) -> None:
    """Say that every output in ``folder`` is written (the last thing a command does there)."""
    write_text(datetime.now().isoformat(timespec="seconds") + "\n", Path(folder) / COMPLETE_MARKER)


def unmark_complete(folder: Path) -> None:
    """Say that ``folder`` is being written (the first thing a command does there)."""
    (Path(folder) / COMPLETE_MARKER).unlink(missing_ok=True)


def is_complete(folder: Path) -> bool:
    """Whether the last command that wrote ``folder`` finished."""
    return (Path(folder) / COMPLETE_MARKER).is_file()


@contextmanager
def fresh_folder(target: Path) -> Iterator[Path]:
    """A new, empty folder beside ``target`` (``.<name>.<random>.tmp``) to write a command's outputs into;
    removed on leaving, whatever happened, unless :func:`replace_contents` moved its files into ``target``.
    Such folders left by a killed command are removed first (the caller holds ``target``'s lock)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f".{target.name}.*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        os.chmod(fresh, 0o777 & ~_umask())
        yield fresh
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def replace_contents(fresh: Path, target: Path, *, outputs: Collection[str]) -> None:
    """Replace a command's outputs in ``target`` — every entry named in ``outputs`` (what the command may
    write) — by the files of ``fresh``, a complete set of outputs with its completeness marker. Anything
    else in ``target`` (the lock, a user's own files, returns kept there) is left alone.

    ``target`` is marked incomplete first and gets the marker last, so a command killed on the way leaves a
    folder that says it is incomplete, never a mix that looks complete; no output of an earlier command
    survives (the previous cleaning's problem lists of other townships).
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    unmark_complete(target)
    old = target / ".old.tmp"
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir()
    replaced = {*outputs, *(p.name for p in Path(fresh).iterdir())}
    for entry in list(target.iterdir()):
        if entry.name in replaced:
            replace(entry, old / entry.name)  # a 问题数据清单 open in Excel/WPS: one message naming it
    for entry in sorted(Path(fresh).iterdir(), key=lambda p: p.name == COMPLETE_MARKER):
        os.replace(entry, target / entry.name)  # the marker last
    shutil.rmtree(old, ignore_errors=True)


def require_complete(folder: Path) -> None:
    """Refuse to read outputs that a command did not finish writing (raises :class:`ConfigError`)."""
    if not is_complete(folder):
        raise ConfigError(
            f"文件夹 {folder} 中的清洗结果不完整（上一次写入它的命令被中断，或由旧版本生成），"
            "为免使用混杂的数据，已拒绝读取；请重新运行 liushou clean 或 liushou run"
        )
