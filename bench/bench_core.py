"""Benchmark: the cleaning rules and a month's payroll, column-wise (the package) against row by row
(``bench/reference_rowwise.py``), on the same rows in the same process; the results must be identical.

Intake (reading the files) is left out of both: it is the same code for both. Timed in the order package,
row by row, package, so a change in the machine's load touches both; the ratio uses the mean of the two
package runs.

    .venv/bin/python bench/bench_core.py [RETURNS_DIR]     # the sample county by default
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import reference_rowwise as rowwise  # noqa: E402

MONTH = "2018-01"


def measure(returns: Path, label: str) -> dict[str, Any]:
    from liushou_core.cleaning.intake import read_returns
    from liushou_core.cleaning.streaming import build_register
    from liushou_core.rules.allowances import payroll
    from liushou_core.values.codebook import load_codebook

    ref = date(2017, 12, 31)
    cb = load_codebook()
    intake = read_returns([returns], cb)
    rules = rowwise.Rules.load(ref, cb)
    load_before = os.getloadavg()

    def package() -> tuple[float, Any, Any]:
        t = time.perf_counter()
        reg = build_register(intake, ref, codebook=cb)
        lines = payroll(reg.people, MONTH)
        return time.perf_counter() - t, reg, lines

    first, reg, lines = package()
    t = time.perf_counter()
    ref_result, ref_lines = rowwise.run(intake.rows, rules, MONTH)
    by_row = time.perf_counter() - t
    second, _, _ = package()
    problems = rowwise.compare(reg.rows, reg.people, lines, ref_result, ref_lines)
    vectorised = (first + second) / 2
    return {
        "county": label,
        "rows_in": len(intake.rows),
        "package_s": [round(first, 2), round(second, 2)],
        "row_by_row_s": round(by_row, 2),
        "ratio": round(by_row / vectorised, 1),
        "identical": not problems,
        "differences": problems[:5],
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str]) -> int:
    if argv:
        result = measure(Path(argv[0]), argv[1] if len(argv) > 1 else Path(argv[0]).name)
    else:
        from liushou_core.sample import write_sample

        with tempfile.TemporaryDirectory(prefix="liushou-bench-") as tmp:
            write_sample(Path(tmp) / "sample", seed=2018)
            result = measure(Path(tmp) / "sample", "sample county")
    print(json.dumps(result, ensure_ascii=False))
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
