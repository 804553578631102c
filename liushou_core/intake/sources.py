"""Which files the inputs name, and the ``source_file`` each is known by.

Inputs are files or folders (folders recursively). Files whose name starts with ``_``, ``.`` or ``~$`` are
ignored (the sample county's ``_answer_key.csv``, hidden files, Excel lock files ``~$x.xlsx``), and so is
everything under a hidden folder (``.git``, ``.ipynb_checkpoints``). In a folder, ``.xlsx``/``.xlsm``/
``.xls``/``.csv`` files are returns; other spreadsheet formats (``.et``, ``.ods``…) are listed so the user
is told to re-save them; anything else (Word files, PDFs, pictures) is left alone.

``source_file`` is the path relative to the folder given (POSIX separators), or the file name when a file
was given. If two different files would get the same ``source_file`` (two folders both holding
``回马镇.xlsx``), each keeps the name of the folder it came from in front.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .sheets import CSV_SUFFIXES, OTHER_SPREADSHEET_SUFFIXES, WORKBOOK_SUFFIXES

IGNORED_PREFIXES = ("_", ".", "~$")
RETURN_SUFFIXES = frozenset(WORKBOOK_SUFFIXES) | frozenset(CSV_SUFFIXES)


@dataclass(frozen=True)
class Source:
    """One file to read (it may not exist: a path given on the command line that is not there)."""

    path: Path  # absolute
    source_file: str
    root: Path | None = None  # the folder it was found in, None if given as a file

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()


def is_ignored(name: str) -> bool:
    """True for the file (or folder) names intake never reads: ``_…``, ``.…``, ``~$…``."""
    return name.startswith(IGNORED_PREFIXES)


@dataclass(frozen=True)
class Found:
    sources: list[Source]
    empty_folders: list[Path]  # folders given that hold no return at all


def find_sources(inputs: Sequence[Path | str]) -> Found:
    """The files the inputs name, each once, sorted by ``source_file`` (Python string order)."""
    sources: list[Source] = []
    empty: list[Path] = []
    for given in inputs:
        path = Path(given).absolute()
        if path.is_dir():
            found = list(_folder_files(path))
            if not found:
                empty.append(path)
            sources += found
        elif not is_ignored(path.name):
            sources.append(Source(path, path.name))
    unique = _distinct(sources)
    return Found(sorted(unique, key=lambda s: s.source_file), empty)


def _folder_files(root: Path) -> Iterable[Source]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(is_ignored(part) for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() in RETURN_SUFFIXES | OTHER_SPREADSHEET_SUFFIXES:
            yield Source(path, relative.as_posix(), root)


def _distinct(sources: list[Source]) -> list[Source]:
    """Drop a file named twice; give clashing ``source_file`` names their folder's name in front."""
    seen: dict[Path, Source] = {}
    for source in sources:
        key = source.path.resolve() if source.path.exists() else source.path
        seen.setdefault(key, source)
    unique = list(seen.values())
    clashes = Counter(s.source_file for s in unique)
    return [s if clashes[s.source_file] == 1 else Source(s.path, _longer_name(s), s.root) for s in unique]


def _longer_name(source: Source) -> str:
    base = source.root if source.root is not None else source.path.parent
    return f"{base.name}/{source.source_file}" if base.name else source.path.as_posix()
