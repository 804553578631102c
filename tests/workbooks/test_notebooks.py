"""The notebooks themselves: what they import exists and is preloaded, and they run and show every section."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import nbformat
import pytest
from workbook_runs import AS_OF, MONTH, TERM

from liushou_core.batch.execute import execute_notebook
from liushou_core.batch.plan import NOTEBOOKS_DIR
from liushou_core.batch.warmkernel import PRELOAD


@pytest.mark.slow
def test_the_assistance_and_county_notebooks_show_every_section_without_errors(
    assistance_run: Path, tmp_path: Path
) -> None:
    base = {"county": "大英县", "reference_date": AS_OF, "payroll_month": MONTH, "school_term": TERM,
            "as_of": AS_OF, "run_dir": str(assistance_run)}  # fmt: skip
    headings = {
        "assistance": ["紧急提醒：无人监护", "概况", "高龄补贴", "高龄补贴发放花名册", "教育救助", "待核实",
                       "监护缺失", "监护问题清单", "分层分级与家庭走访", "需走访的儿童", "转介", "转介清单"],
        "county": ["各镇（乡）人数", "帮扶救助要点", "高龄补贴", "数据核算", "各镇（乡）工作簿"],
    }  # fmt: skip
    for kind, extra in (("assistance", {"township": "蓬莱镇"}), ("county", {})):
        out = tmp_path / kind / f"{kind}.ipynb"
        execute_notebook(NOTEBOOKS_DIR / f"{kind}.ipynb", out, {**base, **extra, "out_dir": str(out.parent)})
        nb = nbformat.read(str(out), as_version=4)
        titles = {
            line.lstrip("#").strip()
            for c in nb.cells
            if c.cell_type == "markdown"
            for line in c.source.splitlines()
            if line.startswith("#")
        }
        assert {t.split("、")[-1] for t in titles} >= set(headings[kind]), kind
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"], kind
        assert (out.parent / f"{kind}.xlsx").exists()
    first_output = next(c for c in nb.cells if c.cell_type == "code" and c.outputs)
    assert "大英县" in str(first_output.outputs)


def _notebook_imports() -> dict[str, set[str]]:
    """Every ``from liushou_core… import …`` of the notebooks' code cells: module → names."""
    found: dict[str, set[str]] = {}
    for path in sorted(NOTEBOOKS_DIR.glob("*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("liushou_core"):
                    found.setdefault(str(node.module), set()).update(a.name for a in node.names)
    return found


def test_every_name_the_notebooks_import_exists() -> None:
    imports = _notebook_imports()
    assert "liushou_core.workbooks.rundata" in imports  # the parse found the notebooks' imports
    for module, names in imports.items():
        loaded = importlib.import_module(module)
        for name in names:
            assert hasattr(loaded, name) or importlib.util.find_spec(f"{module}.{name}"), (module, name)


def test_warm_kernels_preload_every_workbooks_module_the_notebooks_import() -> None:
    modules = set()
    for module, names in _notebook_imports().items():
        if module == "liushou_core.workbooks":  # `from liushou_core.workbooks import plots`
            modules |= {f"{module}.{n}" for n in names}
        elif module.startswith("liushou_core.workbooks."):
            modules.add(module)
    assert modules and modules <= set(PRELOAD)
