"""Warm kernels: forked from a template that has done the imports, yet each notebook as in a cold kernel."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from liushou_core.batch.execute import execute_notebook
from liushou_core.batch.warmkernel import supported, warm_kernels

pytestmark = pytest.mark.skipif(not supported(), reason="warm kernels need fork and Unix sockets")

CELLS = [
    'township = ""',
    "import os, sys\nfrom liushou_core.workbooks import plots, workbook\nimport liushou_core\nplots.setup_theme()",
    "assert not hasattr(liushou_core, 'left_over'), 'a previous notebook left state behind'\n"
    "liushou_core.left_over = township\nprint(township, os.getcwd())",
    "import pandas as pd\npd.DataFrame({'镇': [township], '人数': [3]})",
    "from matplotlib.figure import Figure\nfig = Figure(figsize=(2, 2))\nfig.add_subplot().bar(['甲'], [1])\nfig",
]


def _template(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "liushou", "display_name": "Python (liushou)", "language": "python"}
    path = folder / "template.ipynb"
    nbformat.write(nb, str(path))
    return path


def _outputs(path: Path) -> list[list[tuple[str, list[str]]]]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [
        [(o["output_type"], sorted(o.get("data", {}))) for o in cell.get("outputs", [])]
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
    ]


@pytest.fixture
def warm_env() -> Iterator[dict[str, str]]:
    before = dict(os.environ)
    with warm_kernels("liushou") as env:
        assert env, "the template did not start"
        os.environ.update(env)
        yield env
    os.environ.clear()
    os.environ.update(before)


@pytest.mark.slow
def test_a_warm_kernel_gives_the_outputs_a_cold_kernel_gives_and_keeps_townships_apart(
    tmp_path: Path, warm_env: dict[str, str]
) -> None:
    template = _template(tmp_path)
    for town in ("蓬莱镇", "回马镇"):  # the second would fail if the first's kernel were reused
        execute_notebook(template, tmp_path / town / "warm.ipynb", {"township": town})
    saved = {k: os.environ.pop(k) for k in warm_env}
    execute_notebook(template, tmp_path / "cold" / "cold.ipynb", {"township": "回马镇"})
    os.environ.update(saved)

    warm, cold = tmp_path / "回马镇" / "warm.ipynb", tmp_path / "cold" / "cold.ipynb"
    assert _outputs(warm) == _outputs(cold)
    cells = json.loads(warm.read_text(encoding="utf-8"))["cells"]  # papermill injected a parameters cell
    printed = next(c for c in cells if "print(township" in "".join(c["source"]))["outputs"][0]["text"]
    assert "".join(printed).strip() == f"回马镇 {tmp_path / '回马镇'}"  # its own working folder
    assert "image/png" in _outputs(warm)[-1][0][1]


@pytest.mark.slow
def test_without_its_template_a_warm_kernel_spec_starts_an_ordinary_kernel(tmp_path: Path) -> None:
    template = _template(tmp_path)
    before = dict(os.environ)
    try:
        with warm_kernels("liushou") as env:
            os.environ.update(env)
            spec_dir = Path(env["JUPYTER_PATH"].split(os.pathsep)[0])
            (spec_dir / "template.sock").unlink()  # the template stops when its socket goes
            execute_notebook(template, tmp_path / "out" / "fallback.ipynb", {"township": "智水乡"})
    finally:
        os.environ.clear()
        os.environ.update(before)
    assert _outputs(tmp_path / "out" / "fallback.ipynb")[-2][0][0] == "execute_result"
