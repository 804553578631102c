"""Compare two ``liushou run`` folders made from the same returns and settings (before and after a change).

    python bench/compare_runs.py BEFORE_RUN AFTER_RUN [--roots BEFORE_ROOT AFTER_ROOT] [--outputs-only]

Every file of either folder is compared (logs and temporary files aside): the same files must exist;
parquet tables must be equal (values and dtypes); JSON the same once the times, durations, fingerprints,
versions and the files' hashes and sizes are set aside (a template edited without changing what it shows
changes its fingerprint); each ledger (xlsx) the same cell values sheet by sheet; each notebook the same cell sources and outputs (text,
HTML, Markdown, images, streams); exported pages (html) the same text. The two run folders' own paths are
written into notebooks and pages, so each folder's path is replaced by ``RUN`` before comparing, and so are
the random ids pandas gives each styled table (``#T_1a2b3``) and the memory addresses in objects' plain-text
form (``<… Styler at 0x7f…>``), and the random cell ids of notebooks and pages; ``--roots`` names two more
folders to treat as one (where each run's returns were, recorded in the manifest and files.parquet).
Prints what differs; exit status 0 when nothing does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import openpyxl
import pandas as pd

#: The id pandas' Styler draws at random for each table it renders.
STYLER_ID = re.compile(r"T_[0-9a-f]{5}")
ADDRESS = re.compile(r" at 0x[0-9a-f]+")
CELL_ID = re.compile(r"cell-id=[0-9a-f-]+")
#: (before, after) path prefixes treated as the same folder.
ROOTS: list[tuple[str, str]] = []
#: Compare the notebooks' outputs only, not their cells' code (``--outputs-only``).
OUTPUTS_ONLY = False
#: JSON keys set aside: times, and hashes and sizes of files (each file is compared by its content itself;
#: an xlsx carries the time it was written, a parquet the paths of the returns).
VOLATILE = {"started", "finished", "duration_s", "fingerprint", "versions", "sha256", "bytes"}


def files_of(run: Path) -> set[str]:
    return {
        p.relative_to(run).as_posix()
        for p in run.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(run).parts)
        and p.relative_to(run).parts[0] != "logs"
    }


def _rooted(text: str, side: int) -> str:
    for pair in ROOTS:
        text = text.replace(pair[side], "ROOT")
    return text


def _text(path: Path, run: Path, side: int) -> str:
    text = path.read_text(encoding="utf-8").replace(str(run.resolve()), "RUN").replace(str(run), "RUN")
    return _rooted(CELL_ID.sub("cell-id", ADDRESS.sub(" at 0x…", STYLER_ID.sub("T_id", text))), side)


def _table(path: Path, side: int) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    for col in frame.columns:
        if frame[col].dtype == object or isinstance(frame[col].dtype, pd.StringDtype):
            frame[col] = (
                frame[col]
                .map(lambda v: _rooted(v, side) if isinstance(v, str) else v)
                .astype(frame[col].dtype)
            )
    return frame


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _cells(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    finally:
        book.close()


def _notebook(text: str) -> list[tuple[str, str, list[Any]]]:
    nb = nbformat.reads(text, as_version=4)
    cells = []
    for cell in nb.cells:
        outputs: list[tuple[Any, ...]] = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                outputs.append(("stream", out.get("name"), out.get("text")))
            elif "data" in out:
                outputs.append(("data", {k: v for k, v in sorted(out["data"].items())}))
            else:
                outputs.append((out.get("output_type"), out.get("ename"), out.get("evalue")))
        cells.append((cell.cell_type, cell.source, outputs))
    return cells


def difference(rel: str, before: Path, after: Path) -> str | None:
    """Why file ``rel`` differs between the two runs, or ``None``."""
    a, b = before / rel, after / rel
    suffix = a.suffix.lower()
    if suffix == ".parquet":
        try:
            pd.testing.assert_frame_equal(_table(a, 0), _table(b, 1), check_exact=True)
        except AssertionError as exc:
            return str(exc).splitlines()[0]
        return None
    if suffix == ".json":
        same = _stable(json.loads(_text(a, before, 0))) == _stable(json.loads(_text(b, after, 1)))
        return None if same else "JSON differs"
    if suffix == ".xlsx":
        ca, cb = _cells(a), _cells(b)
        if list(ca) != list(cb):
            return f"sheets {list(ca)} != {list(cb)}"
        for sheet in ca:
            if ca[sheet] != cb[sheet]:
                return f"cell values differ in sheet {sheet}"
        return None
    if suffix == ".ipynb":
        na, nb = _notebook(_text(a, before, 0)), _notebook(_text(b, after, 1))
        if OUTPUTS_ONLY:  # a template whose code changed: what it shows must not
            na, nb = [("", "", c[2]) for c in na], [("", "", c[2]) for c in nb]
        return None if na == nb else "cells or outputs differ"
    if suffix in (".html", ".csv", ".md", ".txt"):
        return None if _text(a, before, 0) == _text(b, after, 1) else "text differs"
    return None if a.read_bytes() == b.read_bytes() else "bytes differ"


def compare_runs(before: Path, after: Path) -> tuple[int, list[str]]:
    """The number of files compared, and one line per difference."""
    fa, fb = files_of(before), files_of(after)
    problems = [f"only in {before}: {p}" for p in sorted(fa - fb)]
    problems += [f"only in {after}: {p}" for p in sorted(fb - fa)]
    for rel in sorted(fa & fb):
        why = difference(rel, before, after)
        if why:
            problems.append(f"{rel}: {why}")
    return len(fa & fb), problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--roots", nargs=2, metavar=("BEFORE", "AFTER"), help="two folders to treat as one")
    parser.add_argument(
        "--outputs-only",
        action="store_true",
        help="notebooks: compare outputs only (templates' code changed)",
    )
    args = parser.parse_args(argv)
    global OUTPUTS_ONLY
    OUTPUTS_ONLY = args.outputs_only
    if args.roots:
        ROOTS.append((args.roots[0], args.roots[1]))
    n, problems = compare_runs(args.before, args.after)
    for line in problems:
        print(line)
    print(f"{n} files compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
