"""``liushou demo [--out DIR]``: the whole workbench on the sample county, from any folder.

What ``make demo`` does, with only the package installed: the sample county's returns (``DIR/sample``), the
whole batch on them (``DIR/run``: register, every township's workbooks, the county overview), the first
month's old-age allowance payroll (``DIR/run/payroll``, where the run's front page links it) and every department's masked copy (``DIR/shared``). The
run file it uses is written to ``DIR/run.yaml`` (the sample run's settings, shipped with the package in
``params/runs/sample.yaml``, with this folder's paths), so the batch can be run again with ``liushou run``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from liushou_core.atomic import write_text
from liushou_core.paths import DEFAULT_PARAMS_DIR

#: The settings of the sample run, shipped with the package; its paths are replaced by the demo folder's.
SAMPLE_RUN = DEFAULT_PARAMS_DIR / "runs" / "sample.yaml"
DEFAULT_OUT = Path("liushou-demo")


def demo_settings(out: Path) -> dict[str, Any]:
    """The sample run's settings with ``out``'s folders as inputs and output (absolute paths)."""
    settings = yaml.safe_load(SAMPLE_RUN.read_text(encoding="utf-8"))
    out = Path(out).resolve()
    settings["inputs"] = str(out / "sample")
    settings["output"] = str(out / "run")
    return dict(settings)


def write_demo_settings(out: Path) -> Path:
    """Write ``out/run.yaml`` for the demo (with a Chinese note on what it is) and return its path."""
    path = Path(out) / "run.yaml"
    body = yaml.safe_dump(demo_settings(out), allow_unicode=True, sort_keys=False)
    write_text("# liushou demo 写出的运行参数（样本县），可用 liushou run 再次运行\n" + body, path)
    return path


def demo_command(out: Path = DEFAULT_OUT) -> int:
    """Sample county → whole batch → a month's payroll → every department's copy; 0 if everything finished."""
    from liushou_core.batch.run import run_command
    from liushou_core.sample import write_sample
    from liushou_core.share import load_profiles, share_command
    from liushou_core.workbooks.roster import payroll_command

    out = Path(out)
    print(f"1/4 生成样本县的乡镇报表：{out / 'sample'}", flush=True)
    print(write_sample(out / "sample").describe(), flush=True)
    settings_file = write_demo_settings(out)
    print(f"2/4 整县批处理（运行参数 {settings_file}）", flush=True)
    code = run_command(settings_file)
    if code != 0:
        print(f"批处理没有全部完成（见 {out / 'run' / 'manifest.json'}），演示到此为止。")
        return code
    month = str(demo_settings(out)["payroll_month"])
    print(f"3/4 {month} 高龄补贴发放花名册", flush=True)
    payroll_command(
        people=out / "run" / "clean" / "people.parquet",
        month=month,
        out=out / "run" / "payroll" / f"高龄补贴_{month}.parquet",
    )
    print("4/4 各部门的脱敏共享文件", flush=True)
    share_command(out / "run", [p.name for p in load_profiles()])
    print(headline(out))
    return 0


def headline(out: Path) -> str:
    """The demo's last line: the page a person opens first (the run's front page, else the county overview)."""
    run = Path(out).resolve() / "run"
    front = next((p for p in (run / "index.html", run / "county" / "county.html") if p.is_file()), run)
    return f"演示完成：用浏览器打开 {front}，从那里可以打开本次运行的全部工作簿。"
