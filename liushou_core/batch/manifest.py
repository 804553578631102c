"""``manifest.json``: what a run read, with which settings and software, and what became of each notebook.

It is the run's record for people (was this township's workbook made, and if not, why and where) and for
``liushou run --resume`` (which notebooks can be kept: same data, same parameters, same template, and
finished). Paths of artifacts are relative to the run folder, so a run folder can be moved whole.

Layout (JSON, UTF-8)::

    {"format": 1, "status": "ok" | "failed" | "running", "started": …, "finished": …,
     "config_file": …, "config": {…}, "parameters": {…}, "versions": {"python": …, "liushou": …, …},
     "inputs": [{"path", "sha256", "bytes"}], "clean": {"status", "fingerprint", "duration_s", "files": […]},
     "townships": {NAME: {"folder", "status", "duration_s", "notebooks": {KIND: NotebookRecord}}},
     "county": NotebookRecord | null}
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from liushou_core.atomic import write_json
from liushou_core.runfolder import manifest_path

FORMAT = 1

OK, FAILED, TIMEOUT, RUNNING = "ok", "failed", "timeout", "running"

#: Distributions whose versions a run records (the ones that change numbers, tables or rendering).
RECORDED_PACKAGES = (
    "liushou",
    "pandas",
    "numpy",
    "pyarrow",
    "pandera",
    "python-calamine",
    "openpyxl",
    "xlsxwriter",
    "pyyaml",
    "python-stdnum",
    "papermill",
    "nbclient",
    "nbconvert",
    "nbformat",
    "ipykernel",
    "jupyter-client",
    "matplotlib",
    "seaborn",
    "pylopdf-fonts-zh-cn",
    "tqdm",
)

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fingerprint(value: Any) -> str:
    """A stable SHA-256 of a JSON-able value (keys sorted), used to tell whether anything changed."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def relative(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` with ``/`` separators, or absolute if it is not under ``root``."""
    path, root = Path(path).resolve(), Path(root).resolve()
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def list_files(paths: Iterable[Path]) -> list[Path]:
    """Every file under ``paths`` (files as given, folders recursively), sorted; temporary files skipped."""
    found: set[Path] = set()
    for p in paths:
        p = Path(p)
        if p.is_file():
            found.add(p.resolve())
        elif p.is_dir():
            found.update(f.resolve() for f in p.rglob("*") if f.is_file())
    return sorted(f for f in found if not _is_temporary(f))


def _is_temporary(path: Path) -> bool:
    # atomic writers' temporary files, Excel lock files, editor leftovers
    name = path.name
    return name.startswith(("~$", ".")) and (".tmp" in name or name.startswith("~$"))


def file_records(paths: Iterable[Path], root: Path | None = None) -> list[dict[str, Any]]:
    """``{"path", "sha256", "bytes"}`` for every file under ``paths``; paths relative to ``root`` when
    inside it, else absolute."""
    return [
        {
            "path": relative(f, root) if root else f.as_posix(),
            "sha256": sha256_file(f),
            "bytes": f.stat().st_size,
        }
        for f in list_files(paths)
    ]


def package_versions() -> dict[str, str]:
    """Python, the platform and the version of each :data:`RECORDED_PACKAGES` installed."""
    versions = {"python": platform.python_version(), "platform": platform.platform()}
    for name in RECORDED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "未安装"
    versions["executable"] = sys.executable
    return versions


@dataclass
class NotebookRecord:
    """One executed notebook: outcome, time, files made (relative to the run folder), and any error."""

    kind: str
    status: str = RUNNING  # ok | failed | timeout | running
    fingerprint: str = ""
    started: str = ""
    duration_s: float = 0.0
    artifacts: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None  # kind, ename, evalue, cell_index, cell_source, message
    log: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NotebookRecord:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)


@dataclass
class TownshipRecord:
    """A township's notebooks and their overall status (ok only if every notebook is ok)."""

    name: str
    folder: str
    notebooks: dict[str, NotebookRecord] = field(default_factory=dict)

    @property
    def status(self) -> str:
        states = {n.status for n in self.notebooks.values()}
        if not states:
            return RUNNING
        if states == {OK}:
            return OK
        return RUNNING if RUNNING in states else FAILED

    @property
    def duration_s(self) -> float:
        return round(sum(n.duration_s for n in self.notebooks.values()), 3)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "folder": self.folder,
            "status": self.status,
            "duration_s": self.duration_s,
            "notebooks": {k: asdict(v) for k, v in self.notebooks.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TownshipRecord:
        notebooks = {k: NotebookRecord.from_dict(v) for k, v in (data.get("notebooks") or {}).items()}
        return cls(name=str(data["name"]), folder=str(data["folder"]), notebooks=notebooks)


@dataclass
class Manifest:
    """The record of one run (see the module doc for the JSON layout)."""

    started: str
    config_file: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    inputs: list[dict[str, Any]] = field(default_factory=list)
    clean: dict[str, Any] = field(default_factory=dict)
    townships: dict[str, TownshipRecord] = field(default_factory=dict)
    county: NotebookRecord | None = None
    finished: str = ""

    def records(self) -> list[NotebookRecord]:
        """Every notebook record: the townships' in name order, then the county's."""
        out = [n for t in self.townships.values() for n in t.notebooks.values()]
        return out + ([self.county] if self.county else [])

    @property
    def status(self) -> str:
        states = {r.status for r in self.records()}
        if not self.finished:
            return RUNNING
        return OK if states <= {OK} else FAILED

    def failed(self) -> list[tuple[str, NotebookRecord]]:
        """(place, record) of every notebook that did not finish."""
        out = [(t.name, n) for t in self.townships.values() for n in t.notebooks.values() if n.status != OK]
        if self.county and self.county.status != OK:
            out.append(("县级总览", self.county))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "status": self.status,
            "started": self.started,
            "finished": self.finished,
            "config_file": self.config_file,
            "config": self.config,
            "parameters": self.parameters,
            "versions": self.versions,
            "inputs": self.inputs,
            "clean": self.clean,
            "townships": {name: t.to_dict() for name, t in sorted(self.townships.items())},
            "county": asdict(self.county) if self.county else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Manifest:
        county = data.get("county")
        return cls(
            started=str(data.get("started", "")),
            config_file=str(data.get("config_file", "")),
            config=dict(data.get("config") or {}),
            parameters=dict(data.get("parameters") or {}),
            versions=dict(data.get("versions") or {}),
            inputs=list(data.get("inputs") or []),
            clean=dict(data.get("clean") or {}),
            townships={k: TownshipRecord.from_dict(v) for k, v in (data.get("townships") or {}).items()},
            county=NotebookRecord.from_dict(county) if county else None,
            finished=str(data.get("finished", "")),
        )


def write_manifest(manifest: Manifest, run_dir: Path) -> Path:
    """Write ``RUN/manifest.json`` atomically and return its path."""
    path = manifest_path(run_dir)
    write_json(manifest.to_dict(), path)
    return path


def read_manifest(run_dir: Path) -> Manifest | None:
    """The manifest of a previous run, or ``None`` if there is none or it cannot be read (then nothing is
    reused: a damaged record must never let a stale workbook pass as current)."""
    path = manifest_path(run_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None
        return Manifest.from_dict(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None
