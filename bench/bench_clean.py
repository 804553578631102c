"""Benchmark: ``liushou clean`` (intake, cleaning, classification, every output) and a month's payroll, on the
sample county and on synthetic counties of any size.

Each size runs in a fresh process, so its peak memory (``VmHWM``) is its own; the synthetic counties are
generated once (``bench/synthetic.py``) and not counted. Cleaning is :func:`liushou_core.cleaning.streaming.
stream_to_dir`, what ``liushou clean`` and ``liushou run`` use. Prints one line per size and writes
``bench/results/clean.json``.

    .venv/bin/python bench/bench_clean.py [--sizes 0 1000000 ...]     # 0 = the sample county
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from io_floor import peak_rss_mib

RESULTS = Path(__file__).parent / "results"
MONTH = "2018-01"


def county(size: int) -> tuple[Path, str, dict[str, object] | None]:
    """The returns of a county of ``size`` people (0 = the sample county), generated once; its label."""
    sys.path.insert(0, str(Path(__file__).parent))
    from synthetic import ensure_county, ensure_sample

    if size == 0:
        return ensure_sample(), "sample county (10 xlsx + GBK csv)", None
    returns, facts = ensure_county(size, log=False)
    return returns, f"synthetic {size:,} people (csv)", facts


def measure(size: int, work: Path) -> dict[str, Any]:
    """Clean a county of ``size`` people (0 = the sample county) into ``work`` and pay a month; measure."""
    from liushou_core.cleaning.streaming import stream_to_dir

    returns, label, generated = county(size)
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    streamed = stream_to_dir([returns], work / "clean", reference_date=date(2017, 12, 31))
    t1 = time.perf_counter()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = peak_rss_mib()
    # The payroll as ``liushou payroll`` makes it, in a process of its own: its peak memory is its own too.
    pay = subprocess.run(
        [sys.executable, __file__, "--payroll", str(work / "clean" / "people.parquet"), str(work / "payroll.parquet")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    paid = json.loads(pay.stdout.strip().splitlines()[-1])
    t2 = t1 + paid["seconds"]  # reading the register, the payroll and its file, not starting Python
    s = streamed.summary
    return {
        "county": label,
        "size": size,
        "rows_in": s["rows_in"],
        "people": s["people"],
        "issues": sum(s["issues_by_severity"].values()),
        "payroll_lines": paid["lines"],
        "clean_s": round(t1 - t0, 1),
        "payroll_s": round(t2 - t1, 1),
        "total_s": round(t2 - t0, 1),
        "rows_per_s": round(s["rows_in"] / (t2 - t0)),
        "peak_rss_mib": max(peak, paid["peak_rss_mib"]),
        "clean_peak_rss_mib": peak,
        "payroll_peak_rss_mib": paid["peak_rss_mib"],
        "major_page_faults": usage.ru_majflt + paid["major_page_faults"],
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "generated": generated,
    }


def pay(people: Path, out: Path) -> dict[str, Any]:
    """A month's payroll from a register, as ``liushou payroll`` reads and writes it (without the Excel)."""
    from liushou_core.atomic import write_parquet
    from liushou_core.rules.allowances import PAYROLL_READS, payroll
    from liushou_core.workbooks.rundata import read_people

    start = time.perf_counter()
    lines = payroll(read_people(people, PAYROLL_READS), MONTH)
    write_parquet(lines, out)
    elapsed = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "lines": len(lines),
        "seconds": elapsed,
        "peak_rss_mib": peak_rss_mib(),
        "major_page_faults": usage.ru_majflt,
    }


def io_floor(returns: Path) -> dict[str, Any]:
    """The I/O floor of the same returns (``bench/io_floor.py``), in a fresh process."""
    out = subprocess.run([sys.executable, str(Path(__file__).with_name("io_floor.py")), str(returns)],
                         capture_output=True, text=True, check=True)  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _warm(folder: Path) -> None:
    """Read every file once, so that neither the floor nor the cleaning pays for the disk alone."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with path.open("rb") as f:
                while f.read(1 << 24):
                    pass


def run_sizes(sizes: list[int], *, echo: bool = True) -> list[dict[str, Any]]:
    """Each size in its own process (generating its county first if it is not cached), then its I/O floor
    in another: the same returns read and written as parquet, and the ratio of the cleaning to it."""
    rows = []
    for size in sizes:
        # generate outside the measured processes
        subprocess.run(
            [sys.executable, __file__, "--generate", str(size)], check=True, stdout=subprocess.DEVNULL
        )
        returns = county(size)[0]
        _warm(returns)
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(size)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        floor = io_floor(returns)
        r["floor"] = floor
        r["clean_over_floor"] = round(r["clean_s"] / floor["seconds"], 2)
        rows.append(r)
        if echo:
            print(f"{r['county']:<36} rows {r['rows_in']:>11,}  clean {r['clean_s']:>7.1f} s  payroll "
                  f"{r['payroll_s']:>5.1f} s  {r['rows_per_s']:>7,} rows/s  peak {r['peak_rss_mib']:>6,} MiB  "
                  f"load {r['load_before'][0]:.1f}  |  floor {floor['seconds']:.1f} s, {floor['peak_rss_mib']:,} MiB: "
                  f"clean / floor {r['clean_over_floor']:.1f}x", flush=True)  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[0, 1_000_000], help="0 = the sample county")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--payroll", nargs=2, type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate is not None:
        print(county(args.generate)[0])
        return 0
    if args.payroll:
        print(json.dumps(pay(*args.payroll)))
        return 0
    if args.child is not None:
        with tempfile.TemporaryDirectory(prefix="liushou-bench-") as tmp:
            print(json.dumps(measure(args.child, Path(tmp)), ensure_ascii=False))
        return 0
    rows = run_sizes(args.sizes)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "clean.json").write_text(
        json.dumps(rows, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
