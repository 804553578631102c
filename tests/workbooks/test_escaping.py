"""Data in the workbooks' HTML is escaped: a hostile name shows as text through a real notebook render."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from liushou_core.batch.execute import execute_notebook, export_html
from liushou_core.workbooks.display import show

HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(2)</script>"


def test_a_styled_table_escapes_cells_and_labels() -> None:
    frame = pd.DataFrame({"姓名": [HOSTILE, SCRIPT], "金额": [1000, 25]}, index=pd.Index(["<b>村</b>", "x"]))
    html = show(frame, index=True).to_html()
    assert HOSTILE not in html and SCRIPT not in html and "<b>村</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;script&gt;" in html
    assert "1,000" in html  # the formatting survives the escaping


def test_a_styled_table_with_dates_still_escapes_the_text() -> None:
    frame = pd.DataFrame({"姓名": [HOSTILE], "走访日期": pd.to_datetime(["2018-01-05"])})
    html = show(frame).to_html()
    assert HOSTILE not in html and "2018-01-05" in html


@pytest.mark.slow
def test_a_hostile_name_runs_nowhere_in_a_rendered_workbook_page(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "liushou", "display_name": "Python (liushou)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    params = nbformat.v4.new_code_cell('name = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "import pandas as pd\nfrom liushou_core.workbooks.display import show\n"
            "show(pd.DataFrame({'姓名': [name], '金额': [25]}))"
        ),
    ]
    template = tmp_path / "page.ipynb"
    nbformat.write(nb, str(template))
    out = tmp_path / "out" / "page.ipynb"
    execute_notebook(template, out, {"name": HOSTILE})
    export_html(out, tmp_path / "out" / "page.html", title="测试")
    page = (tmp_path / "out" / "page.html").read_text(encoding="utf-8")
    assert "onerror=alert(1)" in page.replace("&lt;img src=x ", "")  # the name is on the page, as text
    assert HOSTILE not in page and "<img src=x" not in page
