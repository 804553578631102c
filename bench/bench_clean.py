"""Benchmark: ``liushou clean`` on the sample county and on large synthetic counties.

Each size runs in a fresh subprocess so that its peak memory (``ru_maxrss``) is its own. Prints a table and
writes ``bench/results/clean.json``. Usage: ``python bench/bench_clean.py [--sizes 1000000 ...]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def _one(size: int, work: Path) -> dict[str, float | int | str]:
    """Generate a county of ``size`` verified people (0 = the sample county) and clean it; measure."""
    from liushou_core.pipeline import clean_to_dir
    from liushou_core.sample import write_large_csv, write_sample

    t0 = time.perf_counter()
    if size == 0:
        write_sample(work / "returns", seed=2018)
    else:
        write_large_csv(work / "returns", n=size, seed=2018)
    t1 = time.perf_counter()
    reg = clean_to_dir([work / "returns"], work / "clean", reference_date=date(2017, 12, 31))
    t2 = time.perf_counter()
    s = reg.summary()
    return {
        "county": "sample (xlsx + GBK csv)" if size == 0 else f"synthetic {size:,} (csv)",
        "rows_in": s["rows_in"],
        "people": s["people"],
        "generate_s": round(t1 - t0, 2),
        "clean_s": round(t2 - t1, 2),
        "rows_per_s": round(s["rows_in"] / (t2 - t1)),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=[0, 1_000_000], help="0 = the sample county")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(_one(args.child, Path(tmp))))
        return 0
    rows = []
    for size in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{r['county']:<28} rows_in {r['rows_in']:>10,}  clean {r['clean_s']:>7.1f} s  "
              f"{r['rows_per_s']:>9,} rows/s  peak {r['peak_rss_mib']:>6,} MiB")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    meta = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, {platform.processor() or ''}".strip(", "),
            "python": platform.python_version()}  # fmt: skip
    (RESULTS / "clean.json").write_text(
        json.dumps({"meta": meta, "results": rows}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
