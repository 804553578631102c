"""Wall time of ``liushou run`` on the sample county beside its floor.

The floor is the same number of notebooks, run by the same runner (one worker process and kernel each,
papermill, HTML export) with the same parallelism — the townships' notebooks in ``jobs`` processes, then
the county's alone, as the batch must (the overview links to the townships' workbooks) — that only import
the same libraries and draw the same number of charts (2 per 摸排工作簿, 1 per 帮扶救助工作簿, 3 for the
县级总览) on a few points. The difference is what the workbooks' own work costs: reading and checking the
register, the tables, the ledgers, the HTML of big tables. Also measured: the same batch resumed with
nothing changed.

    .venv/bin/python bench/batch_floor.py [--jobs N] [--work DIR] [--cold]

Prints the times and writes ``bench/results/batch_floor.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat

from liushou_core.batch.execute import KERNEL_NAME
from liushou_core.batch.executors import LocalExecutor
from liushou_core.batch.manifest import OK, NotebookRecord
from liushou_core.batch.run import NOTEBOOK_KINDS, Task, run_batch
from liushou_core.batch.settings import RunConfig, parse_run_config
from liushou_core.cleaning.streaming import stream_to_dir
from liushou_core.paths import REPO_DIR
from liushou_core.sample import write_sample

PLOTS = {"investigation": 2, "assistance": 1, "county": 3}

FLOOR_CELL = """\
import pandas as pd
from matplotlib.figure import Figure
from liushou_core.workbooks import plots
from liushou_core.workbooks import ledgers  # imports every module of the workbooks, as the notebooks do
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


def _floor_task(work: Path, n: int, town: str, kind: str, template: Path, timeout: int) -> Task:
    folder = work / "floor" / f"{n:02d}"
    return Task(
        key=f"{town}/{kind}",
        township=town or None,
        kind=kind,
        title=kind,
        template=str(template),
        out_ipynb=str(folder / f"{kind}.ipynb"),
        out_html=str(folder / f"{kind}.html"),
        result=str(work / "floor" / ".work" / f"{n}.json"),
        log=str(work / "floor" / "logs" / f"{n}.log"),
        parameters={"township": town, "run_dir": str(work), "out_dir": str(folder)},
        fingerprint="",
        timeout=timeout,
        kernel_name=KERNEL_NAME,
    )


def run_floor(work: Path, townships: list[str], jobs: int, timeout: int = 900, warm: bool = True) -> float:
    """Wall time of the floor notebooks, run like the batch runs its notebooks: the townships' in ``jobs``
    worker processes, then the county's alone (it links to theirs), by the same executor."""
    templates = {kind: floor_template(work, kind) for kind in PLOTS}
    town_tasks = [
        _floor_task(work, n, town, kind, templates[kind], timeout)
        for n, (town, kind) in enumerate((t, k) for t in townships for k in NOTEBOOK_KINDS)
    ]
    county = _floor_task(work, len(town_tasks), "", "county", templates["county"], timeout)
    failed: list[str] = []

    def done(task: Task, record: NotebookRecord) -> None:
        if record.status != OK:
            failed.append(task.key)

    executor = LocalExecutor(warm=warm)
    start = time.monotonic()
    executor.run(town_tasks, work / "floor", jobs=jobs, on_done=done, progress=False, description="floor")
    executor.run([county], work / "floor", jobs=1, on_done=done, progress=False, description="floor")
    elapsed = time.monotonic() - start
    if failed:
        raise SystemExit(f"floor notebooks failed: {failed}")
    return elapsed


def prepare(work: Path) -> RunConfig:
    """The sample county's returns and a run configuration for it, in ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    write_sample(work / "sample")
    return parse_run_config(
        {"county": "大英县", "reference_date": "2017-12-31", "payroll_month": "2018-01", "inputs": "sample",
         "output": "run", "timeout": 900},
        source=work / "bench.yaml", base=work,
    )  # fmt: skip


def measure(work: Path, jobs: int, warm: bool) -> dict[str, Any]:
    """The batch from scratch, the same batch resumed with nothing changed, and the floor; with warm or
    cold kernels for all three."""
    config = prepare(work)
    shutil.rmtree(config.output, ignore_errors=True)
    load_before = os.getloadavg()
    executor = LocalExecutor(warm=warm)
    start = time.monotonic()
    result = run_batch(config, clean_fn=stream_to_dir, jobs=jobs, progress=False, executor=executor)
    batch_s = time.monotonic() - start
    if not result.ok:
        raise SystemExit(f"the batch failed: {[p for p, _ in result.manifest.failed()]}")
    start = time.monotonic()
    again = run_batch(
        config, clean_fn=stream_to_dir, jobs=jobs, progress=False, executor=executor, resume=True
    )
    resume_s = time.monotonic() - start
    if again.ran or not again.clean_reused:
        raise SystemExit(f"the resumed batch redid work: {again.ran}")
    clean_s = float(result.manifest.clean["duration_s"])
    floor_s = run_floor(work, list(result.manifest.townships), jobs, warm=warm)
    return {
        "kernels": "warm" if warm else "cold",
        "notebooks": len(result.manifest.records()),
        "jobs": jobs,
        "batch_s": round(batch_s, 1),
        "clean_s": round(clean_s, 1),
        "notebooks_s": round(batch_s - clean_s, 1),
        "floor_s": round(floor_s, 1),
        "batch_over_floor": round(batch_s / floor_s, 2),
        "notebooks_over_floor": round((batch_s - clean_s) / floor_s, 2),
        "resume_s": round(resume_s, 1),
        "resume_over_batch": round(resume_s / batch_s, 3),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--work", type=Path, default=None, help="working folder (default: a temporary one)")
    parser.add_argument("--cold", action="store_true", help="cold kernels (a new interpreter per notebook)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="liushou-bench-"))
    report = measure(work, args.jobs, warm=not args.cold)
    print(
        f"{report['notebooks']} 本笔记本，{args.jobs} 个并行，{report['kernels']} 内核：整批 {report['batch_s']} 秒"
        f"（清洗 {report['clean_s']} 秒）；下限 {report['floor_s']} 秒；续跑 {report['resume_s']} 秒"
    )
    out = REPO_DIR / "bench" / "results" / "batch_floor.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
