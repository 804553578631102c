"""``liushou init DIR`` (a county's workspace), ``liushou demo``'s run file, and a run file's ``params:``."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from liushou_core.batch.settings import load_run_config, parse_run_config
from liushou_core.cli import main
from liushou_core.demo import demo_settings
from liushou_core.errors import ConfigError
from liushou_core.parameters import assumption_table, load_parameters
from liushou_core.paths import DEFAULT_PARAMS_DIR, params_dir, rules_from
from liushou_core.workspace import init_workspace


def test_init_makes_a_workspace_whose_run_file_uses_its_own_rules_and_folders(tmp_path: Path) -> None:
    ws = tmp_path / "大英县2018"
    run_file = init_workspace(ws, today=date(2018, 3, 5))

    assert {p.name for p in ws.iterdir()} == {"params", "run.yaml", "returns", "outputs", "使用说明.txt"}
    assert not (ws / "params" / "runs").exists(), "the sample county's run files are not a county's rules"
    assert (ws / "params" / "allowances" / "old_age_monthly.yaml").read_bytes() == (
        DEFAULT_PARAMS_DIR / "allowances" / "old_age_monthly.yaml"
    ).read_bytes()
    config = load_run_config(run_file, base=ws)
    assert config.params == (ws / "params").resolve()
    assert config.inputs == ((ws / "returns").resolve(),)
    assert config.output == (ws / "outputs" / "run").resolve()
    assert (config.reference_date, config.payroll_month) == (date(2017, 12, 31), "2018-03")


def test_the_workspace_lists_every_value_the_bureau_must_confirm(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws")
    text = (tmp_path / "ws" / "params" / "待确认事项.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(text.splitlines()))
    expected = assumption_table(load_parameters(DEFAULT_PARAMS_DIR))
    assert len(rows) == len(expected) > 0
    assert {r["参数"] for r in rows} == {e["parameter"] for e in expected}
    assert all(r["需确认的内容"] for r in rows)


def test_the_guide_says_where_returns_go_how_to_run_and_where_results_are(tmp_path: Path) -> None:
    init_workspace(tmp_path / "ws")
    raw = (tmp_path / "ws" / "使用说明.txt").read_bytes()
    assert b"\r\n" in raw
    guide = raw.decode("utf-8")
    for needed in (
        "returns",
        "liushou run run.yaml",
        "py -m liushou_core",
        "index.html",
        "问题数据清单",
        "更正值",
    ):
        assert needed in guide


def test_init_never_overwrites_a_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "ws"
    init_workspace(ws)
    edited = ws / "params" / "survey.yaml"
    edited.write_text("# edited\n", encoding="utf-8")
    assert main(["init", str(ws)]) == 2
    assert "已经是一个工作文件夹" in capsys.readouterr().err
    assert edited.read_text(encoding="utf-8") == "# edited\n"


def test_a_run_file_may_name_its_rules_and_they_are_checked(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    base = {"county": "大英县", "reference_date": "2017-12-31", "payroll_month": "2018-01", "inputs": "in"}
    with pytest.raises(ConfigError, match="键 params：.*不是规则文件夹"):
        parse_run_config({**base, "output": "run", "params": "in"}, source=tmp_path / "r.yaml", base=tmp_path)
    with pytest.raises(ConfigError, match="键 params：找不到"):
        parse_run_config(
            {**base, "output": "run", "params": "nope"}, source=tmp_path / "r.yaml", base=tmp_path
        )


def test_rules_from_a_folder_apply_while_the_run_lasts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIUSHOU_PARAMS", raising=False)
    assert params_dir() == DEFAULT_PARAMS_DIR
    with rules_from(tmp_path):
        assert params_dir() == tmp_path
    assert params_dir() == DEFAULT_PARAMS_DIR
    monkeypatch.setenv("LIUSHOU_PARAMS", str(tmp_path / "mine"))
    with rules_from(None):
        assert params_dir() == tmp_path / "mine"


def test_the_demo_runs_the_sample_settings_on_its_own_folders(tmp_path: Path) -> None:
    settings = demo_settings(tmp_path / "demo")
    config = parse_run_config(
        {**settings, "inputs": str(tmp_path)}, source=tmp_path / "run.yaml", base=Path("/nowhere")
    )
    assert settings["inputs"] == str((tmp_path / "demo" / "sample").resolve())
    assert config.output == (tmp_path / "demo" / "run").resolve()
    assert (config.county, config.payroll_month) == ("大英县", "2018-01")
