"""The one place that defines where things live: package data, the params/ folder, outputs."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
REPO_DIR = PACKAGE_DIR.parent


def params_dir() -> Path:
    """The folder of dated parameter files: ``$LIUSHOU_PARAMS`` if set, else ``params/`` of the checkout."""
    env = os.environ.get("LIUSHOU_PARAMS")
    return Path(env) if env else REPO_DIR / "params"


def outputs_dir() -> Path:
    """Default root for generated files: ``$LIUSHOU_OUTPUTS`` if set, else ``outputs/`` of the checkout."""
    env = os.environ.get("LIUSHOU_OUTPUTS")
    return Path(env) if env else REPO_DIR / "outputs"


def shared_dir(run_dir: Path) -> Path:
    """``RUN/../shared/<run folder name>``: the department copies of a run, beside (not inside) it."""
    run_dir = Path(run_dir).resolve()
    return run_dir.parent / "shared" / safe_name(run_dir.name)


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
)


def safe_name(name: str, *, max_length: int = 60) -> str:
    """A folder name for a township name that came from data: safe on Linux, macOS and Windows.

    Path separators, control characters and ``<>:"|?*`` become ``_``; leading and trailing spaces and
    dots are dropped (so ``..`` cannot climb out of the run folder); Windows device names (``CON``,
    ``NUL``, ``COM1``…) get a leading ``_``. A name that had to change gets a short hash of the original,
    so two different names never share a folder. Ordinary names (蓬莱镇) are kept as they are.
    """
    text = unicodedata.normalize("NFC", str(name))
    cleaned = _UNSAFE.sub("_", text).strip(" .")
    if not cleaned.strip("_"):
        cleaned = "_"
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    cleaned = cleaned[:max_length]
    if cleaned != text:
        cleaned = f"{cleaned}-{hashlib.sha1(text.encode('utf-8')).hexdigest()[:8]}"
    return cleaned
