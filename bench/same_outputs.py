"""Do two runs of the sample county give the same outputs? A check for regroupings and speed-ups.

    python bench/same_outputs.py BEFORE AFTER

BEFORE and AFTER are folders that each hold a run the way ``make demo`` leaves it (``run/`` with ``clean/``,
``townships/``, ``county/``; optionally ``payroll/``). Compared:

- every parquet file (the register, pending rows, issues, rule outputs, the payroll): same columns, same rows in
  the same order, same values;
- ``summary.json`` of the cleaning, key by key;
- every Excel ledger present in both runs (found by path relative to the run): every sheet's cell values, as
  calamine reads them.

Files present in only one run are listed (a later version may add outputs). Exit 0 when nothing compared
differs, 1 otherwise; one line per difference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
from python_calamine import CalamineWorkbook


def _relative_files(root: Path, suffix: str) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob(f"*{suffix}") if p.is_file() and ".tmp" not in p.name}


def _compare_parquet(a: Path, b: Path) -> list[str]:
    left, right = pd.read_parquet(a), pd.read_parquet(b)
    if list(left.columns) != list(right.columns):
        return [f"columns differ: {list(left.columns)} vs {list(right.columns)}"]
    if len(left) != len(right):
        return [f"{len(left)} rows vs {len(right)}"]
    try:
        pd.testing.assert_frame_equal(left, right, check_dtype=False, check_categorical=False)
    except AssertionError as err:
        return [str(err).splitlines()[0] + " " + " ".join(str(err).split())[:300]]
    return []


def _sheets(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def _compare_xlsx(a: Path, b: Path) -> list[str]:
    left, right = _sheets(a), _sheets(b)
    if list(left) != list(right):
        return [f"sheets differ: {list(left)} vs {list(right)}"]
    problems = []
    for name in left:
        rows_a, rows_b = left[name], right[name]
        if len(rows_a) != len(rows_b):
            problems.append(f"sheet {name}: {len(rows_a)} rows vs {len(rows_b)}")
            continue
        for i, (ra, rb) in enumerate(zip(rows_a, rows_b, strict=True), start=1):
            if ra != rb:
                problems.append(f"sheet {name} row {i}: {ra} vs {rb}")
                break
    return problems


def compare_runs(before: Path, after: Path) -> tuple[list[str], int]:
    """The differences between two runs, and how many files were compared."""
    differences: list[str] = []
    compared = 0
    for suffix, compare in ((".parquet", _compare_parquet), (".xlsx", _compare_xlsx)):
        a_files, b_files = _relative_files(before, suffix), _relative_files(after, suffix)
        for rel in sorted(a_files ^ b_files):
            differences.append(f"only in {'before' if rel in a_files else 'after'}: {rel}")
        for rel in sorted(a_files & b_files):
            compared += 1
            differences += [f"{rel}: {line}" for line in compare(before / rel, after / rel)]
    for rel in sorted(_relative_files(before, "summary.json") & _relative_files(after, "summary.json")):
        compared += 1
        a, b = (json.loads((root / rel).read_text(encoding="utf-8")) for root in (before, after))
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                differences.append(f"{rel}: {key}: {a.get(key)!r} vs {b.get(key)!r}")
    return differences, compared


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    differences, compared = compare_runs(Path(argv[0]), Path(argv[1]))
    for line in differences:
        print(line)
    print(f"{compared} files compared, {len(differences)} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
