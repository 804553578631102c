"""The one place that defines where things live: package data, the rules (params) folder and the notebook
templates (a run's folder is :mod:`liushou_core.runfolder`'s).

The default rules (``params/``), the notebook templates (``notebooks/``) and the reference tables
(``data/``) are package data: they ship inside the wheel and are found with :mod:`importlib.resources`,
so an installed package works from any folder. A county's own copy of the rules (``liushou init`` makes
one) is used when ``LIUSHOU_PARAMS`` names it; ``liushou run`` sets that from a run file's ``params:`` key.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

#: The environment variable naming a county's own rules folder (used by every process of a run).
PARAMS_ENV = "LIUSHOU_PARAMS"


def _package_folder(name: str) -> Path:
    """A folder of package data as a real path (the package is installed as files, never zipped)."""
    found = files("liushou_core").joinpath(name)
    if not isinstance(found, Path):  # pragma: no cover - a zipped install: not supported
        raise RuntimeError(f"liushou_core/{name} is not a folder on disk: install the package unzipped")
    return found.resolve()


PACKAGE_DIR = _package_folder(".")
DATA_DIR = _package_folder("data")
#: The default rules shipped with the package.
DEFAULT_PARAMS_DIR = _package_folder("params")
#: The notebook templates of the township and county workbooks.
NOTEBOOKS_DIR = _package_folder("notebooks")
#: The folder that holds the package: the checkout in development (bench/ and outputs/ live there).
REPO_DIR = PACKAGE_DIR.parent


def params_dir() -> Path:
    """The folder of dated parameter files: ``$LIUSHOU_PARAMS`` if set, else the package's default rules."""
    env = os.environ.get(PARAMS_ENV)
    return Path(env) if env else DEFAULT_PARAMS_DIR


@contextmanager
def rules_from(folder: Path | None) -> Iterator[None]:
    """While the block runs, this process and every process it starts read the rules in ``folder``.

    ``None`` changes nothing (``LIUSHOU_PARAMS``, if set, or the default rules stay in use).
    """
    if folder is None:
        yield
        return
    before = os.environ.get(PARAMS_ENV)
    os.environ[PARAMS_ENV] = str(folder)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(PARAMS_ENV, None)
        else:
            os.environ[PARAMS_ENV] = before


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
