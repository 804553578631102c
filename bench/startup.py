"""Start-up time of the command and of a kernel's imports, in a given Python (issue 14: with and without Dask).

``python bench/startup.py [PYTHON ...]``: for each interpreter, the best and the median of 7 runs of
``liushou --help`` (as ``python -m liushou_core --help``) and of ``import liushou_core.workbooks.workbook``
(what a township notebook's first cell imports), each in a fresh process, and whether Dask is installed there.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7
CASES = {
    "liushou --help": ["-m", "liushou_core", "--help"],
    "import workbook modules": ["-c", "import liushou_core.workbooks.workbook"],
}


def _seconds(cmd: list[str]) -> list[float]:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main(pythons: list[str]) -> int:
    for python in pythons or [sys.executable]:
        probe = "import importlib.util as u; print(u.find_spec('dask') is not None)"
        dask = subprocess.run(
            [python, "-c", probe], check=True, capture_output=True, text=True
        ).stdout.strip()
        for name, args in CASES.items():
            t = _seconds([python, *args])
            print(f"{python}\tdask={dask}\t{name}\tbest {min(t):.2f} s\tmedian {statistics.median(t):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
