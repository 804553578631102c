"""What a result was computed from, as hashes: ``--resume`` reuses a result only when none of it changed.

A notebook's result depends on its data, the parameters passed to it, its template, **every file of the rules
folder** (``params/``: the dated parameters the rules read, the codebook, the division aliases, the
department profiles) and **the package's code**. The code is hashed from its files — ``*.py`` and the package
data — not from the version string, which stays the same while the code changes. The cleaning depends on the
returns, the reference date, the codebook and the code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from liushou_core.batch.manifest import fingerprint, sha256_file
from liushou_core.paths import PACKAGE_DIR, params_dir

#: Package files that are code or data the code reads (compiled caches and notebooks' checkpoints are not).
CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".csv", ".ipynb", ".j2", ".css")
_SKIP_PARTS = ("__pycache__", ".ipynb_checkpoints")


def tree_fingerprint(root: Path, suffixes: Iterable[str] | None = None, skip: Iterable[str] = ()) -> str:
    """A SHA-256 over every file under ``root`` (its relative path and its bytes), in path order; only files
    with one of ``suffixes`` when given, none under a top-level folder named in ``skip``. A missing folder
    hashes as empty."""
    root = Path(root)
    skipped = set(skip)
    wanted = tuple(suffixes) if suffixes is not None else None
    files = sorted(
        p
        for p in (root.rglob("*") if root.is_dir() else [])
        if p.is_file()
        and not any(part in _SKIP_PARTS or part.startswith(".") for part in p.relative_to(root).parts)
        and (wanted is None or p.suffix in wanted)
        and p.relative_to(root).parts[0] not in skipped
    )
    digest = hashlib.sha256()
    for p in files:  # a few hundred small files
        digest.update(
            p.relative_to(root).as_posix().encode("utf-8") + b"\0" + sha256_file(p).encode() + b"\n"
        )
    return digest.hexdigest()


def params_fingerprint(root: Path | None = None) -> str:
    """The hash of the rules folder in use (``paths.params_dir()``: ``$LIUSHOU_PARAMS`` or ``params/``), its
    run files (``runs/``) aside: what a run file sets reaches the notebooks as their parameters."""
    folder = Path(root) if root is not None else params_dir()
    return tree_fingerprint(folder, (".yaml", ".yml"), skip=("runs",))


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The hash of the installed package's code and data files (computed once per process)."""
    return tree_fingerprint(PACKAGE_DIR, CODE_SUFFIXES)


def notebook_fingerprint(data: str, parameters: Mapping[str, Any], template: Path) -> str:
    """Everything a township notebook's result depends on (see the module docstring)."""
    return fingerprint(
        {
            "data": data,
            "parameters": parameters,
            "template": sha256_file(template),
            "rules": params_fingerprint(),
            "code": code_fingerprint(),
        }
    )


def cleaning_dependencies() -> dict[str, str]:
    """What the cleaning depends on besides its returns and reference date: the codebook and the code."""
    return {"rules": params_fingerprint(), "code": code_fingerprint()}


__all__ = [
    "code_fingerprint",
    "cleaning_dependencies",
    "notebook_fingerprint",
    "params_fingerprint",
    "tree_fingerprint",
]
