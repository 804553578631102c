"""Which files the inputs name, and the ``source_file`` each is known by.

Inputs are files or folders (folders recursively). Files whose name starts with ``_``, ``.`` or ``~$`` are
ignored (the sample county's ``_answer_key.csv``, hidden files, Excel lock files ``~$x.xlsx``), and so is
everything under a hidden folder (``.git``, ``.ipynb_checkpoints``). In a folder, ``.xlsx``/``.xlsm``/
``.xls``/``.csv`` files are returns; other spreadsheet formats (``.et``, ``.ods``…) are listed so the user
is told to re-save them; anything else (Word files, PDFs, pictures) is left alone.

A link (shortcut) whose target is gone is listed too, so that it is reported rather than passed over, and
so is anything else with a return's name that is not a regular file (a named pipe), and a folder that cannot
be opened (no permission): the returns in it cannot be read, and the user is told. A linked folder is
followed like a folder (its returns keep the link's path as their name); a link back to a folder already
walked (a loop) is not walked twice.

``source_file`` is the path relative to the folder given (POSIX separators), or the file name when a file
was given. If two different files would get the same ``source_file`` (two folders both holding
``回马镇.xlsx``), each keeps the name of the folder it came from in front.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from liushou_core.cleaning.intake.sheets import CSV_SUFFIXES, OTHER_SPREADSHEET_SUFFIXES, WORKBOOK_SUFFIXES

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
    closed_folders: list[Path] = field(default_factory=list)  # folders that could not be opened


def find_sources(inputs: Sequence[Path | str]) -> Found:
    """The files the inputs name, each once, sorted by ``source_file`` (Python string order)."""
    sources: list[Source] = []
    empty: list[Path] = []
    closed: list[Path] = []
    for given in inputs:
        path = Path(given).absolute()
        if path.is_dir():
            found = list(_folder_files(path, closed))
            if not found and path not in closed:
                empty.append(path)
            sources += found
        elif not is_ignored(path.name):
            sources.append(Source(path, path.name))
    unique = _distinct(sources)
    return Found(sorted(unique, key=lambda s: s.source_file), empty, closed)


def _folder_files(root: Path, closed: list[Path]) -> Iterable[Source]:
    """The returns under ``root``; folders that cannot be opened are added to ``closed``."""
    found: list[Path] = []

    def cannot_open(error: OSError) -> None:
        closed.append(Path(error.filename or root))

    seen = {root.resolve()}
    # a linked folder is followed like any other; one already walked (a link back up: a loop) is not again
    for folder, subfolders, names in os.walk(root, onerror=cannot_open, followlinks=True):
        base = Path(folder)
        kept = []
        for d in subfolders:  # the folder's subfolders: bounded by the tree
            target = (base / d).resolve()
            if not is_ignored(d) and target not in seen:
                seen.add(target)
                kept.append(d)
        subfolders[:] = kept
        for name in names:
            path = base / name
            # anything with a return's name that is not a folder: a file, a link whose target is gone, a
            # pipe — reading tells which, and the user is told rather than the file passed over
            if not is_ignored(name) and path.suffix.lower() in RETURN_SUFFIXES | OTHER_SPREADSHEET_SUFFIXES:
                found.append(path)
    for path in sorted(found):
        yield Source(path, path.relative_to(root).as_posix(), root)


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
