"""Wall time of ``liushou run`` on the sample county beside its floor.

The floor is the same number of notebooks, run by the same runner (one worker process and kernel each,
papermill, HTML export) with the same parallelism, that only import the same libraries and draw the same
number of charts (2 per 摸排工作簿, 1 per 帮扶救助工作簿, 2 for the 县级总览) on a few points. The
difference is what the workbooks' own work costs: reading and checking the register, the tables, the
ledgers, the HTML of big tables.

    .venv/bin/python bench/batch_floor.py [--jobs N] [--work DIR]

Prints both times and writes ``bench/results/batch_floor.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from liushou_core.batch import NOTEBOOK_KINDS, Task, run_batch, run_tasks
from liushou_core.manifest import OK, NotebookRecord
from liushou_core.notebook import KERNEL_NAME
from liushou_core.paths import REPO_DIR
from liushou_core.pipeline import clean_to_dir
from liushou_core.runconfig import parse_run_config
from liushou_core.sample import write_sample

PLOTS = {"investigation": 2, "assistance": 1, "county": 2}

FLOOR_CELL = """\
import pandas as pd
from matplotlib.figure import Figure
from liushou_core import plots, workbook
plots.setup_theme()
figures = []
for i in range(N_PLOTS):
    fig = Figure(figsize=(6, 3))
    fig.add_subplot().bar(["甲", "乙"], [1, 2])
    figures.append(fig)
"""


def floor_template(folder: Path, kind: str) -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('township = ""\nrun_dir = ""\nout_dir = "."')
    params.metadata["tags"] = ["parameters"]
    cells = [
        params,
        nbformat.v4.new_code_cell(f"N_PLOTS = {PLOTS[kind]}"),
        nbformat.v4.new_code_cell(FLOOR_CELL),
    ]
    cells += [nbformat.v4.new_code_cell(f"figures[{i}]") for i in range(PLOTS[kind])]
    nb.cells = cells
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Python (liushou)",
        "language": "python",
    }
    path = folder / f"floor_{kind}.ipynb"
    nbformat.write(nb, str(path))
    return path


def run_floor(work: Path, townships: list[str], jobs: int, timeout: int) -> float:
    templates = {kind: floor_template(work, kind) for kind in PLOTS}
    tasks = []
    for n, (town, kind) in enumerate([(t, k) for t in townships for k in NOTEBOOK_KINDS] + [("", "county")]):
        folder = work / "floor" / f"{n:02d}"
        tasks.append(
            Task(
                key=f"{town}/{kind}",
                township=town or None,
                kind=kind,
                title=kind,
                template=str(templates[kind]),
                out_ipynb=str(folder / f"{kind}.ipynb"),
                out_html=str(folder / f"{kind}.html"),
                result=str(work / "floor" / ".work" / f"{n}.json"),
                log=str(work / "floor" / "logs" / f"{n}.log"),
                parameters={"township": town, "run_dir": str(work), "out_dir": str(folder)},
                fingerprint="",
                timeout=timeout,
                kernel_name=KERNEL_NAME,
            )  # fmt: skip
        )
    failed: list[str] = []

    def done(task: Task, record: NotebookRecord) -> None:
        if record.status != OK:
            failed.append(task.key)

    start = time.monotonic()
    run_tasks(tasks, work / "floor", jobs=jobs, on_done=done, description="floor")
    elapsed = time.monotonic() - start
    if failed:
        raise SystemExit(f"floor notebooks failed: {failed}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temporary one)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="liushou-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    write_sample(work / "sample")
    config = parse_run_config(
        {"county": "大英县", "reference_date": "2017-12-31", "payroll_month": "2018-01", "inputs": "sample",
         "output": "run", "timeout": 900},
        source=work / "bench.yaml", base=work,
    )  # fmt: skip

    start = time.monotonic()
    result = run_batch(config, clean_fn=clean_to_dir, jobs=args.jobs)
    batch_s = time.monotonic() - start
    if not result.ok:
        raise SystemExit(f"the batch failed: {[p for p, _ in result.manifest.failed()]}")
    clean_s = float(result.manifest.clean["duration_s"])
    townships = list(result.manifest.townships)
    notebooks = len(result.manifest.records())

    floor_s = run_floor(work, townships, args.jobs, timeout=900)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    report = {
        "notebooks": notebooks,
        "jobs": args.jobs,
        "cores": os.cpu_count(),
        "batch_total_s": round(batch_s, 1),
        "clean_s": round(clean_s, 1),
        "batch_notebooks_s": round(batch_s - clean_s, 1),
        "floor_s": round(floor_s, 1),
        "load_average_after": load,
    }
    print(
        f"{notebooks} 本笔记本，{args.jobs} 个并行：整批 {batch_s:.1f} 秒（清洗 {clean_s:.1f} 秒，"
        f"工作簿 {batch_s - clean_s:.1f} 秒）；下限 {floor_s:.1f} 秒"
    )
    out = REPO_DIR / "bench" / "results" / "batch_floor.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
