"""Start-up time of the command and of a kernel's imports, with and without Dask (issue 14).

``python bench/startup.py [PYTHON ...]``: in each interpreter, ``liushou --help`` and
the workbook modules a township notebook's first cell imports, each in a fresh
process, 7 times, alternating "as installed" with "Dask hidden" (``sys.modules['dask'] = None``: every
``import dask`` fails, as when the extra is not installed; pandera then skips its Dask integration). Prints
the median wall time and the median CPU time (user + system of the child: less disturbed by other work on a
shared machine) of each.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import time

RUNS = 7
HIDE = "import sys; sys.modules['dask'] = None; "
CASES = {
    "liushou --help": "import runpy, sys; sys.argv = ['liushou', '--help']; runpy.run_module('liushou_core', run_name='__main__')",
    "import workbook modules": (
        "import liushou_core.workbooks.assistance, liushou_core.workbooks.investigation, "
        "liushou_core.workbooks.display, liushou_core.workbooks.plots"
    ),
}


def _once(cmd: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(pythons: list[str]) -> int:
    for python in pythons or [sys.executable]:
        probe = "import importlib.util as u; print(u.find_spec('dask') is not None)"
        installed = subprocess.run([python, "-c", probe], check=True, capture_output=True, text=True).stdout
        print(f"{python}: dask installed: {installed.strip()}")
        for name, code in CASES.items():
            runs: dict[str, list[tuple[float, float]]] = {"as installed": [], "dask hidden": []}
            for _ in range(RUNS):
                runs["as installed"].append(_once([python, "-c", code]))
                runs["dask hidden"].append(_once([python, "-c", HIDE + code]))
            for label, times in runs.items():
                wall = statistics.median(t[0] for t in times)
                cpu = statistics.median(t[1] for t in times)
                print(f"  {name:<24} {label:<13} wall {wall:5.2f} s   cpu {cpu:5.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
