"""The wheel as a county's statistician gets it: built, installed non-editable into a clean virtualenv outside
the checkout, with no kernel step; from an empty folder ``liushou demo``, ``liushou init`` and
``python -m liushou_core`` work. Needs the package index or pip's cache for the dependencies.

Run by ``make test-wheel`` (CI runs it after ``make test``); a few minutes, most of it the installation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.wheel, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
BIN = "Scripts" if os.name == "nt" else "bin"


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str], timeout: int = 1200
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A clean virtualenv outside the checkout with only the built wheel installed; the environment to use."""
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "LIUSHOU", "VIRTUAL_ENV"))}
    env["JUPYTER_DATA_DIR"] = str(work / "home-jupyter")  # no kernel registered by anyone before
    env["PYTHONIOENCODING"] = "utf-8"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(work / "dist"), str(ROOT)],
        work,
        env,
    )
    (wheel,) = (work / "dist").glob("liushou-*.whl")
    _run([sys.executable, "-m", "venv", str(work / "venv")], work, env)
    python = work / "venv" / BIN / "python"
    install = [
        str(python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "-c",
        str(ROOT / "constraints.txt"),
        str(wheel),
    ]
    _run(install, work, env)
    return work / "venv", env


def test_the_wheel_carries_the_rules_and_templates_and_no_dask(
    installed: tuple[Path, dict[str, str]],
) -> None:
    venv, env = installed
    code = (
        "import importlib.util as u, liushou_core.paths as p; "
        "print(p.DEFAULT_PARAMS_DIR); print(len(list(p.DEFAULT_PARAMS_DIR.rglob('*.yaml')))); "
        "print(sorted(x.stem for x in p.NOTEBOOKS_DIR.glob('*.ipynb'))); "
        "print(u.find_spec('dask'), u.find_spec('openpyxl'))"
    )
    out = _run([str(venv / BIN / "python"), "-c", code], venv.parent, env).stdout.splitlines()
    assert Path(out[0]).is_relative_to(venv) and not Path(out[0]).is_relative_to(ROOT)
    assert int(out[1]) == len(list((ROOT / "liushou_core" / "params").rglob("*.yaml")))
    assert out[2] == str(["assistance", "changes", "county", "explore", "investigation"])
    assert out[3] == "None None", "dask and openpyxl are extras, not dependencies"


def test_demo_from_an_empty_folder_writes_every_workbook(installed: tuple[Path, dict[str, str]]) -> None:
    venv, env = installed
    empty = venv.parent / "empty"
    empty.mkdir()
    done = _run([str(venv / BIN / "liushou"), "demo", "--out", "demo"], empty, env)

    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("演示完成：用浏览器打开 ")
    assert Path(last.split("打开 ")[1].split("，")[0]).is_file(), "the page the last line names exists"
    run = empty / "demo" / "run"
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    statuses = {name: t["status"] for name, t in manifest["townships"].items()}
    assert len(statuses) >= 10 and set(statuses.values()) == {"ok"} and manifest["county"]["status"] == "ok"
    artifacts = [
        a for t in manifest["townships"].values() for n in t["notebooks"].values() for a in n["artifacts"]
    ]
    artifacts += manifest["county"]["artifacts"]
    assert len(artifacts) > 3 * len(statuses) and all((run / a).is_file() for a in artifacts)
    assert (run / "payroll" / "高龄补贴_2018-01.xlsx").is_file()  # beside the run, linked from its front page
    assert "payroll/高龄补贴_2018-01.xlsx" in (run / "index.html").read_text(encoding="utf-8")
    shared = [p for p in (empty / "demo" / "shared" / "run").iterdir() if p.is_dir()]
    assert len(shared) == len(list((ROOT / "liushou_core" / "params" / "departments").glob("*.yaml")))
    kernel = json.loads((venv / "share" / "jupyter" / "kernels" / "liushou" / "kernel.json").read_text())
    assert kernel["argv"][0] == str(venv / BIN / "python"), "the first run registered the kernel itself"


def test_init_and_python_dash_m(installed: tuple[Path, dict[str, str]]) -> None:
    venv, env = installed
    folder = venv.parent / "county"
    folder.mkdir()
    _run([str(venv / BIN / "liushou"), "init", "ws"], folder, env)
    assert {p.name for p in (folder / "ws").iterdir()} >= {
        "params",
        "run.yaml",
        "returns",
        "outputs",
        "使用说明.txt",
    }
    helped = _run([str(venv / BIN / "python"), "-m", "liushou_core", "--help"], folder, env).stdout
    assert "demo" in helped and "init" in helped and "usage: liushou" in helped
