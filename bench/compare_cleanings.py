"""Compare two cleaning output folders: are they the same cleaning? (``liushou clean`` before and after a change)

    python bench/compare_cleanings.py OLD_CLEAN_DIR NEW_CLEAN_DIR

Compares, and prints one line per file: every parquet file (byte for byte, and if the bytes differ, frame by
frame), ``summary.json`` (as data; ``liushou_version`` too) and every problem list's cell values, sheet by sheet.
Exit 0 when everything is the same, 1 otherwise. Hidden files (the lock, the completeness marker) are not compared.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd


def _files(folder: Path) -> dict[str, Path]:
    return {
        p.relative_to(folder).as_posix(): p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    }


def _same(a: Path, b: Path) -> str | None:
    """None when the same; else what differs."""
    if a.read_bytes() == b.read_bytes():
        return None
    if a.suffix == ".parquet":
        x, y = pd.read_parquet(a), pd.read_parquet(b)
        try:
            pd.testing.assert_frame_equal(x, y)
        except AssertionError as exc:
            return f"frames differ: {str(exc).splitlines()[0]}"
        return "bytes differ, frames equal"
    if a.suffix == ".json":
        return None if json.loads(a.read_text("utf-8")) == json.loads(b.read_text("utf-8")) else "data differ"
    if a.suffix == ".xlsx":
        x = pd.read_excel(a, sheet_name=None, header=None, dtype=str, engine="calamine")
        y = pd.read_excel(b, sheet_name=None, header=None, dtype=str, engine="calamine")
        if x.keys() != y.keys():
            return f"sheets differ: {list(x)} vs {list(y)}"
        for sheet in x:
            if not x[sheet].equals(y[sheet]):
                return f"cells differ on sheet {sheet}"
        return None
    return "bytes differ"


def main(old: Path, new: Path) -> int:
    a, b = _files(old), _files(new)
    bad = 0
    for name in sorted(a.keys() | b.keys()):
        if name not in a or name not in b:
            print(f"only in {'old' if name in a else 'new'}: {name}")
            bad += 1
            continue
        diff = _same(a[name], b[name])
        print(f"{'same' if diff is None else 'DIFFERENT'}: {name}{'' if diff is None else ' — ' + diff}")
        bad += diff is not None
    print(f"{len(a.keys() | b.keys())} files compared, {bad} different")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
