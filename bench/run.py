"""The benchmarks in one command (``make bench``; ``make bench-quick`` for a small run).

1. Cleaning + classification + a month's payroll, end to end (every output file), on the sample county and
   on synthetic counties of 1,000,000 and 10,000,000 people, each in its own process: time, rows per second,
   peak memory (``bench/bench_clean.py``); beside each, in a fresh process, the I/O floor of the same returns
   (read with the intake's readers, written as parquet: ``bench/io_floor.py``), the ratio clean / floor, and
   the issue's targets (≤ 8× the floor and ≤ 2 GiB at 1,000,000 people, ≤ 6 GiB at 10,000,000) evaluated.
2. The rules column-wise against row by row (``bench/reference_rowwise.py``), same rows, same process,
   results checked identical: the speed-up (``bench/bench_core.py``).
3. The sample county's batch (``liushou run``) beside its floor, and resumed with nothing changed, with warm
   and with cold kernels (``bench/batch_floor.py``).

Prints a table (Markdown, as pasted in the README) and writes ``bench/results/bench.json``. Timings depend on
the machine and on what else runs on it: the table gives the load average beside each, and the targets
are ratios measured in one window.

    .venv/bin/python bench/run.py [--quick] [--sizes 0 1000000 10000000] [--ratio-sizes 0 1000000] [--no-batch]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""

    def meminfo(key: str) -> float:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return round(int(line.split()[1]) / 1024**2, 1)
        return 0.0

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return {
        "date": date.today().isoformat(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": meminfo("MemTotal") if Path("/proc/meminfo").exists() else None,
        "swap_gib": meminfo("SwapTotal") if Path("/proc/meminfo").exists() else None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def _json_child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def core_ratio(size: int) -> dict[str, Any]:
    """bench_core on the sample county (0) or a cached synthetic county, in its own process."""
    if size == 0:
        return _json_child([str(HERE / "bench_core.py")])
    subprocess.run(
        [sys.executable, str(HERE / "synthetic.py"), str(size)], check=True, stdout=subprocess.DEVNULL
    )
    sys.path.insert(0, str(HERE))
    from synthetic import county_dir

    return _json_child([str(HERE / "bench_core.py"), str(county_dir(size)), f"synthetic {size:,} people"])


def batch(warm: bool, jobs: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="liushou-bench-batch-"))
    args = [str(HERE / "batch_floor.py"), "--jobs", str(jobs), "--work", str(work)] + (
        [] if warm else ["--cold"]
    )
    subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads((RESULTS / "batch_floor.json").read_text(encoding="utf-8"))
    subprocess.run(["rm", "-rf", str(work)], check=False)
    return result


#: The targets of issue 16 by county size (people): clean / I/O floor, and peak memory in GiB.
RATIO_TARGETS = {1_000_000: 8.0}
PEAK_TARGETS_GIB = {1_000_000: 2.0, 10_000_000: 6.0}


def _gib(mib: float) -> str:
    return f"{mib / 1024:.2f} GiB"


def targets(clean: list[dict[str, Any]]) -> list[str]:
    """Each target of the sizes measured, evaluated from the measured numbers: met or missed."""
    lines = []
    for r in clean:
        size = r.get("size")
        if size in RATIO_TARGETS:
            limit = RATIO_TARGETS[size]
            ok = r["clean_over_floor"] <= limit
            lines.append(
                f"{size:,} people: clean / I/O floor {r['clean_over_floor']:.1f}× (target ≤ {limit:g}×): "
                f"{'met' if ok else '**missed**'}"
            )
        if size in PEAK_TARGETS_GIB:
            limit = PEAK_TARGETS_GIB[size]
            peak = r["peak_rss_mib"] / 1024
            ok = peak <= limit
            lines.append(
                f"{size:,} people: peak memory {peak:.2f} GiB (target ≤ {limit:g} GiB): {'met' if ok else '**missed**'}"
            )
    return lines


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"Measured {m['date']} on {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB memory "
        f"(swap {m['swap_gib']} GiB), {m['system']}, Python {m['python']}; shared with other work: the load "
        "average (1 min) is given beside each timing.",
        "",
        "| clean + classify + payroll (`liushou clean`, all outputs) | rows in | people | time | rows/s | peak memory "
        "| I/O floor (read + parquet) | clean / floor | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in report["clean"]:
        f = r["floor"]
        lines.append(
            f"| {r['county']} | {r['rows_in']:,} | {r['people']:,} | {r['total_s']:.1f} s (clean {r['clean_s']:.1f} s, "
            f"payroll {r['payroll_s']:.1f} s) | {r['rows_per_s']:,} | {_gib(r['peak_rss_mib'])} (clean "
            f"{_gib(r['clean_peak_rss_mib'])}, payroll {_gib(r['payroll_peak_rss_mib'])}) "
            f"| {f['seconds']:.1f} s, {_gib(f['peak_rss_mib'])} | **{r['clean_over_floor']:.1f}×** "
            f"| {r['load_before'][0]:.1f}, floor {f['load_before'][0]:.1f} |"
        )
    met = targets(report["clean"])
    if met:
        lines += ["", *(f"- {line}" for line in met)]
    if report["core"]:
        lines += [
            "",
            "| rules + payroll, same rows, same process | rows | column-wise | row by row | speed-up | identical | load |",
            "| --- | ---: | ---: | ---: | ---: | :---: | ---: |",
        ]
        for r in report["core"]:
            fast = sum(r["package_s"]) / len(r["package_s"])
            lines.append(
                f"| {r['county']} | {r['rows_in']:,} | {fast:.2f} s | {r['row_by_row_s']:.1f} s | **{r['ratio']:.1f}×** "
                f"| {'yes' if r['identical'] else 'NO'} | {r['load_before'][0]:.1f} |"
            )
    if report["batch"]:
        lines += [
            "",
            "| sample county batch (`liushou run`, 23 notebooks, 2 jobs) | batch | of which cleaning | floor | batch / floor | resumed, nothing changed | resumed / batch | load |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in report["batch"]:
            lines.append(
                f"| {r['kernels']} kernels | {r['batch_s']:.1f} s | {r['clean_s']:.1f} s | {r['floor_s']:.1f} s "
                f"| **{r['batch_over_floor']:.2f}×** | {r['resume_s']:.1f} s | **{100 * r['resume_over_batch']:.1f} %** "
                f"| {r['load_before'][0]:.1f} |"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="sample county and 100,000 people; warm kernels only"
    )
    parser.add_argument(
        "--sizes", type=int, nargs="*", default=None, help="people per county; 0 = the sample"
    )
    parser.add_argument("--ratio-sizes", type=int, nargs="*", default=None, help="counties for the speed-up")
    parser.add_argument("--no-batch", action="store_true", help="skip the batch")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    sizes = (
        args.sizes if args.sizes is not None else ([0, 100_000] if args.quick else [0, 1_000_000, 10_000_000])
    )
    ratio_sizes = (
        args.ratio_sizes if args.ratio_sizes is not None else ([0] if args.quick else [0, 1_000_000])
    )
    sys.path.insert(0, str(HERE))
    from bench_clean import run_sizes

    report: dict[str, Any] = {"machine": machine(), "clean": [], "core": [], "batch": []}
    print("clean + classify + payroll:", flush=True)
    report["clean"] = run_sizes(sizes)
    for size in ratio_sizes:
        print(f"column-wise against row by row ({size or 'sample'}):", flush=True)
        report["core"].append(core_ratio(size))
        r = report["core"][-1]
        print(
            f"  {r['ratio']}× ({r['package_s']} s against {r['row_by_row_s']} s), identical: {r['identical']}"
        )
    if not args.no_batch:
        for warm in [True] if args.quick else [True, False]:
            print(f"batch and floor, {'warm' if warm else 'cold'} kernels:", flush=True)
            report["batch"].append(batch(warm, args.jobs))
            r = report["batch"][-1]
            print(f"  batch {r['batch_s']} s, floor {r['floor_s']} s, resume {r['resume_s']} s")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    text = table(report)
    (RESULTS / "bench.md").write_text(text + "\n", encoding="utf-8")
    print()
    print(text)
    return 0 if all(r["identical"] for r in report["core"]) else 1


if __name__ == "__main__":
    sys.exit(main())
