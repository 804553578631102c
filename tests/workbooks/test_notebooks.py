"""The notebooks themselves: they run and show every section."""

from __future__ import annotations

from pathlib import Path

import pytest
from workbook_runs import AS_OF, MONTH, TERM


@pytest.mark.slow
def test_the_assistance_and_county_notebooks_show_every_section_without_errors(
    assistance_run: Path, tmp_path: Path
) -> None:
    import nbformat

    from liushou_core.batch.execute import execute_notebook
    from liushou_core.batch.run import NOTEBOOKS_DIR

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
