"""The one place that defines where things live: package data, the params/ folder, outputs."""

from __future__ import annotations

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


_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def safe_name(name: str, fallback: str = "未命名") -> str:
    """A file or folder name made from data (a township, a village) that is safe on Windows and POSIX.

    Path separators, ``..``, control characters and the characters Windows forbids become ``_``; names that
    Windows reserves (``CON``, ``NUL``, ``COM1`` …) get a ``_`` suffix; trailing dots and spaces go. The
    result never leaves the folder it is joined to.
    """
    s = _UNSAFE.sub("_", unicodedata.normalize("NFKC", str(name))).strip().rstrip(". ")
    s = s.replace("..", "_")
    if not s or set(s) <= {"_", "."}:
        s = fallback
    if s.split(".")[0].upper() in _WINDOWS_RESERVED:
        s = s + "_"
    return s[:120]
