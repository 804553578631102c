"""In a batch, a ledger held open in Excel/WPS fails that one workbook with a Chinese message naming the file,
the other townships go on; and the rules a run file names (``params:``) are the rules every kernel reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from run_fixture import build_run, fake_clean, stub_templates, write_inputs

from liushou_core.batch.manifest import FAILED, OK
from liushou_core.batch.run import run_batch
from liushou_core.batch.settings import parse_run_config
from liushou_core.paths import DEFAULT_PARAMS_DIR

CELL = """\
import os
from pathlib import Path
from liushou_core import atomic
from liushou_core.paths import params_dir
Path(out_dir).mkdir(parents=True, exist_ok=True)
Path(out_dir, KIND + "-rules.txt").write_text(str(params_dir()), encoding="utf-8")
if township == "回马镇" and KIND == "investigation":  # the cadre has last round's ledger open in WPS
    atomic.REPLACE_WAIT_S = 0.01
    def held_open(src, dst):
        raise PermissionError(13, "另一个程序正在使用此文件，进程无法访问。", str(dst))
    os.replace = held_open
atomic.write_text(township or "county", Path(out_dir, KIND + ".xlsx"))
"""


@pytest.mark.slow
def test_a_ledger_held_open_fails_its_township_only_and_the_run_files_rules_reach_every_kernel(
    tmp_path: Path,
) -> None:
    write_inputs(build_run(), tmp_path / "inputs")
    rules = tmp_path / "县规则"
    shutil.copytree(DEFAULT_PARAMS_DIR, rules)
    settings = {"county": "大英县", "reference_date": "2017-12-31", "payroll_month": "2018-01"}
    settings |= {"inputs": "inputs", "output": "run", "params": "县规则", "timeout": 120}
    config = parse_run_config(settings, source=tmp_path / "run.yaml", base=tmp_path)

    result = run_batch(
        config,
        clean_fn=fake_clean,
        notebooks_dir=stub_templates(tmp_path / "t", CELL),
        jobs=2,
        progress=False,
    )

    assert result.exit_code == 1
    m = json.loads((config.output / "manifest.json").read_text(encoding="utf-8"))
    assert {t: r["status"] for t, r in m["townships"].items()} == {
        "蓬莱镇": OK,
        "隆盛镇": OK,
        "回马镇": FAILED,
    }
    assert m["county"]["status"] == OK
    error = m["townships"]["回马镇"]["notebooks"]["investigation"]["error"]
    assert error["ename"] == "FileInUseError"
    assert "请先在 Excel/WPS 中关闭“investigation.xlsx”" in error["evalue"]
    assert m["townships"]["回马镇"]["notebooks"]["assistance"]["status"] == OK
    seen = {p.read_text(encoding="utf-8") for p in config.output.rglob("*-rules.txt")}
    assert seen == {str(rules.resolve())}
    assert len(list(config.output.rglob("*-rules.txt"))) == 7  # 3 townships × 2 workbooks + the county
