"""Atomic output: every file is written under a temporary name in its folder, then moved into place.

A run killed at any moment leaves either the old file or the new one, never a half-written file that looks
complete. The new file's bytes are flushed to the disk before it is moved into place, so that a power cut
right after the move cannot leave an empty file under the final name either.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd


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
        os.replace(tmp_path, path)
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
