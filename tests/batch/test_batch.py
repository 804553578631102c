"""The batch run: cleaning once, township notebooks in parallel, failure isolation, manifest, --resume.

Most cases use tiny stand-in notebooks (no pandas, start in a second) so the runner's behaviour is
tested quickly; one slow case runs the real notebooks on the tiny county of ``run_fixture``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from unittest.mock import ANY
from urllib.parse import unquote

import nbformat
import openpyxl
import pandas as pd
import pytest
from run_fixture import build_run, fake_clean, stub_templates, write_inputs

from liushou_core.batch import plan, processes
from liushou_core.batch import run as batch
from liushou_core.batch.execute import execute_notebook
from liushou_core.batch.manifest import FAILED, OK, TIMEOUT
from liushou_core.batch.run import BatchResult, run_batch
from liushou_core.batch.settings import RunConfig, parse_run_config
from liushou_core.errors import ConfigError, DecisionsError
from liushou_core.paths import safe_name
from liushou_core.rules.allowances import payroll
from liushou_core.runfolder import tables_dir, township_dir
from liushou_core.workbooks.rundata import read_people
from liushou_core.workbooks.tablestore import RuleDates, store_fits

# ------------------------------------------------------------------------------------------- safe_name


@pytest.mark.parametrize("name", ["蓬莱镇", "回马镇", "卓筒井镇", "Town 1"])
def test_ordinary_township_names_are_kept_as_folder_names(name: str) -> None:
    assert safe_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "..",
        ".",
        "../../etc",
        "a/b",
        "a\\b",
        "CON",
        "nul.txt",
        "com1",
        " 蓬莱镇 ",
        "镇:乡",
        "x" * 200,
        "",
        "a\x00b",
    ],
)
def test_names_from_data_cannot_escape_or_break_the_run_folder(name: str, tmp_path: Path) -> None:
    folder = safe_name(name)
    assert folder and "/" not in folder and "\\" not in folder
    assert folder not in {".", ".."} and not folder.endswith((".", " "))
    assert folder.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "COM1", "LPT1"}
    assert len(folder) <= 70
    assert township_dir(tmp_path, name).resolve().parent == (tmp_path / "townships").resolve()


def test_two_names_that_clean_to_the_same_text_get_different_folders() -> None:
    assert safe_name("a/b") != safe_name("a_b")
    assert safe_name("a/b") != safe_name("a:b")


# ---------------------------------------------------------------------------------- stand-in notebooks

STUB_CELL = """\
from pathlib import Path
Path(out_dir).mkdir(parents=True, exist_ok=True)
Path(out_dir, KIND + ".xlsx").write_text(township or "county", encoding="utf-8")
place = township or "county"
markers = [Path(run_dir, f"break-{place}-{KIND}"), Path(run_dir, f"break-{place}")]
mode = next((m.read_text(encoding="utf-8") for m in markers if m.exists()), "")
if mode == "raise":
    raise RuntimeError("故意失败：" + township)
if mode == "sleep":
    import time
    time.sleep(120)
if mode == "die":
    import os
    os._exit(1)
print("完成", township)
"""


def _stub_templates(folder: Path) -> Path:
    parameters = (
        'county = ""\ntownship = ""\nreference_date = ""\npayroll_month = ""\nprevious_run = ""\n'
        'run_dir = "."\nout_dir = "."'
    )
    return stub_templates(folder, STUB_CELL, parameters=parameters, heading=True)


def _config(root: Path, **extra: Any) -> RunConfig:
    settings = {
        "county": "大英县",
        "reference_date": "2017-12-31",
        "payroll_month": "2018-01",
        "inputs": "inputs",
        "output": "run",
        "timeout": 120,
        **extra,
    }
    return parse_run_config(settings, source=root / "run.yaml", base=root)


@pytest.fixture
def county(tmp_path: Path) -> Path:
    write_inputs(build_run(), tmp_path / "inputs")
    return tmp_path


def _break(config: RunConfig, township: str, mode: str) -> None:
    config.output.mkdir(parents=True, exist_ok=True)
    (config.output / f"break-{township}").write_text(mode, encoding="utf-8")


def _mend(config: RunConfig, township: str) -> None:
    (config.output / f"break-{township}").unlink()


def _run(config: RunConfig, templates: Path, **options: Any) -> BatchResult:
    return run_batch(config, clean_fn=fake_clean, notebooks_dir=templates, jobs=2, progress=False, **options)


def _manifest(config: RunConfig) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((config.output / "manifest.json").read_text(encoding="utf-8"))
    return data


# ------------------------------------------------------------------------------------------------ runs


@pytest.mark.slow
def test_a_failing_township_does_not_stop_the_others_and_resume_redoes_only_it(county: Path) -> None:
    config = _config(county)
    templates = _stub_templates(county / "templates")
    _break(config, "回马镇", "raise")

    first = _run(config, templates)

    assert first.exit_code == 1
    m = _manifest(config)
    assert m["clean"]["tables"]["status"] == OK  # the register is sound: the store is made; a notebook failed
    assert m["status"] == FAILED
    assert {t: rec["status"] for t, rec in m["townships"].items()} == {
        "蓬莱镇": OK,
        "隆盛镇": OK,
        "回马镇": FAILED,
    }
    assert m["county"]["status"] == OK
    broken = m["townships"]["回马镇"]["notebooks"]["investigation"]
    assert broken["error"]["ename"] == "RuntimeError"
    assert broken["error"]["evalue"] == "故意失败：回马镇"
    assert "raise RuntimeError" in broken["error"]["cell_source"]
    assert isinstance(broken["error"]["cell_index"], int)
    # The failed notebook is still there, as .ipynb and .html, showing the error.
    assert "townships/回马镇/investigation.html" in broken["artifacts"]
    assert "故意失败" in (config.output / "townships/回马镇/investigation.html").read_text(encoding="utf-8")
    ok = m["townships"]["蓬莱镇"]["notebooks"]["investigation"]
    assert ok["artifacts"] == [f"townships/蓬莱镇/investigation.{ext}" for ext in ("html", "ipynb", "xlsx")]
    assert ok["duration_s"] > 0 and ok["error"] is None

    report = batch.format_report(first, "大英县")
    assert "失败：回马镇 investigation" in report and "故意失败" in report
    assert str(config.output / "county" / "county.html") in report

    _mend(config, "回马镇")
    second = _run(config, templates, resume=True)

    assert second.exit_code == 0
    assert sorted(second.ran) == ["county", "回马镇/assistance", "回马镇/investigation"]
    assert sorted(second.reused) == [
        "蓬莱镇/assistance",
        "蓬莱镇/investigation",
        "隆盛镇/assistance",
        "隆盛镇/investigation",
    ]
    assert second.clean_reused
    assert _manifest(config)["status"] == OK

    # --township runs a subset; the other townships keep their record.
    third = _run(config, templates, townships=["隆盛镇"])
    assert sorted(third.ran) == ["county", "隆盛镇/assistance", "隆盛镇/investigation"]
    assert set(_manifest(config)["townships"]) == {"蓬莱镇", "隆盛镇", "回马镇"}


@pytest.mark.slow
def test_a_notebook_past_its_timeout_or_with_a_dead_kernel_is_recorded_and_the_rest_finish(
    county: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(processes, "GRACE_S", 0)  # the runner itself stops the notebook at the timeout
    config = _config(county, timeout=15)
    templates = _stub_templates(county / "templates")
    _break(config, "蓬莱镇-investigation", "sleep")
    _break(config, "隆盛镇-investigation", "die")

    result = _run(config, templates, townships=["蓬莱镇", "隆盛镇"])

    assert result.exit_code == 1
    towns = _manifest(config)["townships"]
    slow = towns["蓬莱镇"]["notebooks"]["investigation"]
    assert slow["status"] == TIMEOUT and "15 秒" in slow["error"]["message"]
    assert (config.output / slow["log"]).exists()
    dead = towns["隆盛镇"]["notebooks"]["investigation"]
    assert dead["status"] == FAILED and dead["error"]["kind"] == "dead_kernel"
    assert towns["蓬莱镇"]["notebooks"]["assistance"]["status"] == OK
    assert towns["隆盛镇"]["notebooks"]["assistance"]["status"] == OK
    # The stopped notebook's partial .ipynb is put in place; no temporary file is left behind.
    assert (config.output / "townships" / "蓬莱镇" / "investigation.ipynb").exists()
    assert [p.name for p in (config.output / "townships").rglob(".*")] == []


def test_an_unknown_township_is_refused_before_any_notebook_runs(county: Path) -> None:
    config = _config(county)
    with pytest.raises(ConfigError, match="没有这些镇（乡）：天河镇"):
        _run(config, _stub_templates(county / "templates"), townships=["天河镇"])
    assert not (config.output / "townships").exists()


def test_a_missing_template_is_refused_before_anything_runs(county: Path) -> None:
    config = _config(county)
    with pytest.raises(ConfigError, match="找不到工作簿模板"):
        _run(config, county / "no-templates")
    assert not (config.output / "clean").exists()


def test_cleaning_replaces_the_previous_cleaning_whole(county: Path) -> None:
    config = _config(county)
    config.clean_dir.mkdir(parents=True)
    (config.clean_dir / "corrections_log.parquet").write_text("stale", encoding="utf-8")
    batch._clean(config, fake_clean)
    assert not (config.clean_dir / "corrections_log.parquet").exists()
    assert (config.clean_dir / "people.parquet").exists()


@pytest.mark.slow
def test_a_run_writes_every_rules_full_output_under_rules(county: Path) -> None:
    config = _config(county)
    assert _run(config, _stub_templates(county / "templates")).exit_code == 0
    people = pd.read_parquet(config.clean_dir / "people.parquet")
    written = {p.name for p in (config.output / "rules").iterdir()}
    assert written == {
        f"{s}.parquet" for s in ("payroll", "education", "guardianship", "visits", "referrals")
    }
    pay = pd.read_parquet(config.output / "rules" / "payroll.parquet")
    expected = payroll(read_people(config.clean_dir / "people.parquet"), config.payroll_month)
    assert list(pay["id_number"]) == list(expected["id_number"]) and set(pay["id_number"]) <= set(
        people["id_number"]
    )
    assert pay["amount"].sum() == expected["amount"].sum() > 0


@pytest.mark.slow
def test_a_run_writes_the_table_store_once_and_resume_reuses_it(county: Path) -> None:
    config = _config(county)
    templates = _stub_templates(county / "templates")
    assert _run(config, templates).exit_code == 0
    dates = RuleDates.of(config.payroll_month, config.term, config.check_date.isoformat())
    first = _manifest(config)["clean"]["tables"]
    assert first["status"] == OK and store_fits(config.output, dates)
    stored = pd.read_parquet(tables_dir(config.output) / "payroll.parquet")
    expected = payroll(read_people(config.clean_dir / "people.parquet"), config.payroll_month)
    assert list(stored["id_number"]) == list(expected["id_number"])

    assert _run(config, templates, resume=True).exit_code == 0
    assert _manifest(config)["clean"]["tables"] == {**first, "status": "reused", "duration_s": ANY}

    people = pd.read_parquet(county / "inputs" / "people.parquet")
    people.loc[people["township"] == "回马镇", "name"] = "改名"
    people.to_parquet(county / "inputs" / "people.parquet", index=False)  # the returns changed
    assert _run(config, templates, resume=True).exit_code == 0
    again = _manifest(config)["clean"]["tables"]
    assert again["status"] == OK and again["fingerprint"] != first["fingerprint"]
    assert "改名" in set(pd.read_parquet(tables_dir(config.output) / "people.parquet")["name"])


def test_a_filled_problem_list_left_in_the_cleaning_is_kept_and_the_run_refused(county: Path) -> None:
    config = _config(county)
    lists = config.clean_dir / "问题数据清单"
    lists.mkdir(parents=True)
    pd.DataFrame({"行标识": ["a.xlsx|S|4"], "字段": ["性别"], "原值": ["2"], "更正值": ["女"]}).to_excel(
        lists / "回马镇_问题数据清单.xlsx", index=False
    )
    with pytest.raises(DecisionsError, match="已填写"):
        batch._clean(config, fake_clean)
    assert (lists / "回马镇_问题数据清单.xlsx").exists()


# ------------------------------------------------------------------------------ the real notebooks


def _outputs(ipynb: Path) -> str:
    nb = nbformat.read(str(ipynb), as_version=4)
    return "\n".join(
        json.dumps(o, ensure_ascii=False)
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    )


@pytest.mark.slow
def test_the_real_notebooks_make_every_workbook_and_a_broken_township_is_redone_alone(tmp_path: Path) -> None:
    run = build_run()
    bad_people = run["people"].copy()
    bad_people.loc[bad_people["township"] == "回马镇", "sex"] = "未知"  # breaks the Person schema
    write_inputs({**run, "people": bad_people}, tmp_path / "inputs")
    config = _config(tmp_path)

    first = run_batch(config, clean_fn=fake_clean, jobs=2, progress=False)

    assert first.exit_code == 1
    m = _manifest(config)
    assert m["clean"]["tables"]["status"].startswith("not made")  # each notebook computes its own slice
    assert m["townships"]["蓬莱镇"]["status"] == OK and m["townships"]["隆盛镇"]["status"] == OK
    assert m["townships"]["回马镇"]["status"] == FAILED
    error = m["townships"]["回马镇"]["notebooks"]["investigation"]["error"]
    assert error["ename"] == "ConfigError" and "回马镇" in error["evalue"]
    assert {i["path"] for i in m["inputs"]} >= {(tmp_path / "inputs" / "people.parquet").resolve().as_posix()}
    assert all(len(i["sha256"]) == 64 for i in m["inputs"])

    folder = config.output / "townships" / "蓬莱镇"
    for kind in ("investigation", "assistance"):
        html = (folder / f"{kind}.html").read_text(encoding="utf-8")
        assert "load_run(run_dir" not in html and "from liushou_core" not in html  # no code
        assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, flags=re.I)
        assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', html)) >= 1
        assert "运行参数" in html and "蓬莱镇" in html
        outputs = _outputs(folder / f"{kind}.ipynb")
        assert "Glyph" not in outputs and "findfont" not in outputs
        assert (folder / f"{kind}.xlsx").exists()

    # The ledger's village table adds up to the township's register.
    sheet = openpyxl.load_workbook(folder / "investigation.xlsx")["分村分类人数"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=3)]
    total_col = [c.value for c in sheet[2]].index("合计")
    body = [r for r in rows if r[0] and not str(r[0]).startswith("合计")]
    assert sum(r[total_col] for r in body) == int((run["people"]["township"] == "蓬莱镇").sum())

    # The returns of 回马镇 are corrected: only its workbooks and the overview are redone.
    write_inputs(run, tmp_path / "inputs")
    second = run_batch(config, clean_fn=fake_clean, jobs=2, progress=False, resume=True)

    assert second.exit_code == 0, _manifest(config)
    assert sorted(second.ran) == ["county", "回马镇/assistance", "回马镇/investigation"]
    county_html = (config.output / "county" / "county.html").read_text(encoding="utf-8")
    links = {unquote(h) for h in re.findall(r'href="([^"]+)"', county_html)}
    for town in ("蓬莱镇", "隆盛镇", "回马镇"):
        assert f"../townships/{town}/investigation.html" in links
        assert (config.output / "townships" / town / "investigation.html").exists()
    assert "43" in county_html  # the county's headline, from the data

    # explore.ipynb runs on the same run folder.
    out = tmp_path / "explore.ipynb"
    execute_notebook(plan.NOTEBOOKS_DIR / "explore.ipynb", out, {"run_dir": str(config.output)})
    assert "Traceback" not in _outputs(out)


def test_the_committed_notebooks_are_thin_and_carry_no_outputs() -> None:
    for path in sorted(plan.NOTEBOOKS_DIR.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        first = nb.cells[0]
        assert first.cell_type == "code" and "parameters" in first.metadata.get("tags", []), path.name
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, path.name
                assert not re.search(r"^\s*def |^\s*class ", cell.source, flags=re.M), path.name
        assert nb.metadata["kernelspec"]["name"] == "liushou"
    assert {p.stem for p in plan.NOTEBOOKS_DIR.glob("*.ipynb")} >= {
        "investigation",
        "assistance",
        "county",
        "explore",
    }
