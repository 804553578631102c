"""Township notebooks on a Dask cluster: the same manifest, failure isolation and --resume as on one machine.

The cluster is a 2-worker :class:`distributed.LocalCluster` (worker processes, loopback only); the notebooks
are tiny stand-ins (no pandas) so the case measures the runner, not the workbooks.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from run_fixture import build_run, fake_clean, stub_templates, write_inputs

from liushou_core.batch.executors import (
    DaskExecutor,
    LocalExecutor,
    make_executor,
    new_run_id,
    run_on_worker,
    start_marker,
    task_key,
)
from liushou_core.batch.manifest import FAILED, OK
from liushou_core.batch.run import Task, run_batch
from liushou_core.batch.settings import parse_run_config
from liushou_core.errors import ConfigError

STUB = """\
from pathlib import Path
Path(out_dir).mkdir(parents=True, exist_ok=True)
Path(out_dir, KIND + ".xlsx").write_text(township or "county", encoding="utf-8")
if Path(run_dir, "break-" + (township or "county")).exists():
    raise RuntimeError("故意失败：" + township)
"""


def _templates(folder: Path) -> Path:
    return stub_templates(folder, STUB)


@pytest.fixture
def county(tmp_path: Path) -> Path:
    write_inputs(build_run(), tmp_path / "inputs")
    return tmp_path


def _manifest(run: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.slow
def test_a_batch_on_a_two_worker_dask_cluster_isolates_a_failure_and_resumes_only_it(county: Path) -> None:
    config = parse_run_config(
        {"county": "大英县", "reference_date": "2017-12-31", "payroll_month": "2018-01", "inputs": "inputs",
         "output": "run", "timeout": 120},
        source=county / "run.yaml", base=county,
    )  # fmt: skip
    templates = _templates(county / "templates")
    config.output.mkdir(parents=True)
    (config.output / "break-回马镇").write_text("raise", encoding="utf-8")

    def run(**options: Any) -> Any:
        return run_batch(
            config, clean_fn=fake_clean, notebooks_dir=templates, jobs=2, progress=False,
            executor=DaskExecutor(), **options,
        )  # fmt: skip

    first = run()

    assert first.exit_code == 1
    m = _manifest(config.output)
    assert {t: r["status"] for t, r in m["townships"].items()} == {
        "蓬莱镇": OK,
        "隆盛镇": OK,
        "回马镇": FAILED,
    }
    assert m["county"]["status"] == OK
    broken = m["townships"]["回马镇"]["notebooks"]["investigation"]
    assert broken["error"]["evalue"] == "故意失败：回马镇"
    assert (config.output / "townships" / "蓬莱镇" / "investigation.html").exists()

    (config.output / "break-回马镇").unlink()
    second = run(resume=True)

    assert second.exit_code == 0
    assert sorted(second.ran) == ["county", "回马镇/assistance", "回马镇/investigation"]
    assert len(second.reused) == 4
    assert _manifest(config.output)["status"] == OK


def test_the_executor_is_chosen_by_name_and_a_scheduler_needs_dask() -> None:
    assert isinstance(make_executor("local"), LocalExecutor)
    executor = make_executor("dask", "tcp://127.0.0.1:8786")
    assert isinstance(executor, DaskExecutor) and executor.address == "tcp://127.0.0.1:8786"
    with pytest.raises(ConfigError, match="--scheduler"):
        make_executor("local", "tcp://127.0.0.1:8786")
    with pytest.raises(ConfigError, match="--executor"):
        make_executor("spark")


def test_the_run_command_takes_an_executor_and_a_scheduler_address() -> None:
    from liushou_core.cli import build_parser

    args = build_parser().parse_args(
        ["run", "county.yaml", "--executor", "dask", "--scheduler", "tcp://10.0.0.5:8786"]
    )
    assert (args.executor, args.scheduler) == ("dask", "tcp://10.0.0.5:8786")
    assert build_parser().parse_args(["run", "county.yaml"]).executor == "local"


# --- issue 13, defect 12: keys unique per run; a notebook whose Dask worker died is not run again -------------


def test_two_runs_with_the_same_township_names_get_different_dask_keys() -> None:
    first, second = new_run_id(), new_run_id()
    assert task_key(first, "城关镇/assistance", 0) != task_key(second, "城关镇/assistance", 0)
    assert task_key(first, "county", 0) != task_key(second, "county", 0)
    assert task_key(first, "城关镇/assistance", 0) == task_key(first, "城关镇/assistance", 0)


def test_a_task_dask_starts_a_second_time_is_recorded_failed_and_not_run(tmp_path: Path) -> None:
    task = Task(key="城关镇/assistance", township="城关镇", kind="assistance", title="帮扶救助工作簿",
                template=str(tmp_path / "missing.ipynb"), out_ipynb=str(tmp_path / "t" / "assistance.ipynb"),
                out_html=str(tmp_path / "t" / "assistance.html"), result=str(tmp_path / ".work" / "r.json"),
                log=str(tmp_path / "logs" / "a.log"), parameters={}, fingerprint="f", timeout=60,
                kernel_name="liushou")  # fmt: skip
    key = task_key(new_run_id(), task.key, 0)
    start_marker(tmp_path, key).parent.mkdir(parents=True)
    start_marker(tmp_path, key).touch()  # the first attempt started, then its worker died
    record = run_on_worker(asdict(task), str(tmp_path), key)
    assert record["status"] == FAILED and record["error"]["kind"] == "worker_died"
    assert "不自动重试" in record["error"]["message"]
    assert not Path(task.out_ipynb).exists()  # the notebook was not started again


@pytest.mark.slow
def test_the_local_dask_cluster_allows_no_failures() -> None:
    with DaskExecutor()._client(1) as client:
        assert client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures) == 0


def test_the_dask_executor_without_dask_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed (it is an extra)
    with pytest.raises(
        ConfigError, match=r'--executor dask 需要安装 Dask：请运行 pip install "liushou\[dask\]"'
    ):
        make_executor("dask")
