"""Executing one notebook with papermill and exporting it as offline HTML without code."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from liushou_core.batch.execute import (
    NotebookExecutionError,
    check_kernel,
    execute_notebook,
    export_html,
    parameters_markdown,
)
from liushou_core.errors import ConfigError

CODE_MARKER = "UNIQUE_CODE_MARKER_4711"


def _template(path: Path, *cells: str, markdown: str = "# 测试工作簿") -> Path:
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('township = "默认镇"\nreference_date = "2000-01-01"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell(markdown),
        params,
        *(nbformat.v4.new_code_cell(c) for c in cells),
    ]
    nb.metadata["kernelspec"] = {"name": "liushou", "display_name": "Python (liushou)", "language": "python"}
    nbformat.write(nb, str(path))
    return path


PLOT_CELL = f"""{CODE_MARKER} = 1
from matplotlib.figure import Figure
from liushou_core.workbooks import plots
plots.setup_theme()
fig = Figure(figsize=(2, 1))
fig.add_subplot().plot([0, 1], [1, 0])
fig"""


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("ok")
    template = _template(folder / "t.ipynb", "print(township, reference_date)", PLOT_CELL)
    out = folder / "out" / "executed.ipynb"
    execute_notebook(template, out, {"township": "回马镇", "reference_date": "2017-12-31"})
    return out


@pytest.fixture(scope="module")
def failed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, NotebookExecutionError]:
    folder = tmp_path_factory.mktemp("failed")
    template = _template(folder / "t.ipynb", "x = 1", "raise ValueError('数据有误')", "y = 2")
    out = folder / "executed.ipynb"
    with pytest.raises(NotebookExecutionError) as err:
        execute_notebook(template, out, {"township": "回马镇"})
    return out, err.value


def test_the_injected_parameters_reach_the_kernel(executed: Path) -> None:
    nb = nbformat.read(str(executed), as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "回马镇 2017-12-31" in printed


def test_no_temporary_file_is_left_beside_the_executed_notebook(executed: Path) -> None:
    assert [p.name for p in executed.parent.iterdir()] == ["executed.ipynb"]


def test_a_failing_cell_is_reported_with_its_position_and_error(
    failed: tuple[Path, NotebookExecutionError],
) -> None:
    out, error = failed
    assert error.failure.kind == "cell_error"
    assert error.failure.ename == "ValueError"
    assert error.failure.evalue == "数据有误"
    assert "raise ValueError" in (error.failure.cell_source or "")
    assert "出错" in str(error)


def test_a_failed_notebook_is_still_written_showing_the_error(
    failed: tuple[Path, NotebookExecutionError],
) -> None:
    out, _ = failed
    nb = nbformat.read(str(out), as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError"


def test_the_html_has_no_code_cells(executed: Path, tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    export_html(executed, html, title="回马镇 摸排工作簿")
    text = html.read_text(encoding="utf-8")
    assert CODE_MARKER not in text
    assert not re.search(r"class=\"[^\"]*(jp-InputArea-editor|highlight)", text)
    assert 'township = "默认镇"' not in text
    assert "<title>回马镇 摸排工作簿</title>" in text
    assert '<html lang="zh">' in text


def test_the_html_fetches_nothing_from_the_internet(executed: Path, tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    export_html(executed, html)
    text = html.read_text(encoding="utf-8")
    remote = re.findall(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", text, flags=re.I)
    assert remote == []
    assert not re.search(r"<script[^>]*\bsrc=", text, flags=re.I)
    assert not re.search(r"<link[^>]*stylesheet", text, flags=re.I)
    assert not re.search(r"""@import|url\(\s*["']?(?:https?:)?//""", text, flags=re.I)
    assert re.search(r'<img[^>]+src="data:image/png;base64,', text)


def test_the_html_shows_the_parameters_as_a_table_with_chinese_labels(executed: Path, tmp_path: Path) -> None:
    html = tmp_path / "page.html"
    export_html(executed, html)
    text = html.read_text(encoding="utf-8")
    assert "运行参数" in text
    assert re.search(r"<td>镇（乡）</td>\s*<td>回马镇</td>", text)
    assert re.search(r"<td>认定基准日</td>\s*<td>2017-12-31</td>", text)


def test_the_html_of_a_failed_notebook_says_so_in_chinese(
    failed: tuple[Path, NotebookExecutionError], tmp_path: Path
) -> None:
    out, _ = failed
    html = tmp_path / "failed.html"
    export_html(out, html)
    text = html.read_text(encoding="utf-8")
    assert "本工作簿没有运行完" in text
    assert "An Exception was encountered" not in text
    assert "数据有误" in text


def test_parameter_values_cannot_break_the_table() -> None:
    table = parameters_markdown({"township": "甲|乙", "notes": "", "run_dir": "/x"})
    assert "甲\\|乙" in table
    assert "notes" not in table
    assert "运行文件夹" in table


def test_a_missing_kernel_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="找不到 Jupyter 内核"):
        check_kernel("no-such-kernel-liushou")


@pytest.mark.slow
def test_a_cell_that_runs_too_long_is_stopped(tmp_path: Path) -> None:
    template = _template(tmp_path / "t.ipynb", "x = 1", "import time\ntime.sleep(60)")
    with pytest.raises(NotebookExecutionError) as err:
        execute_notebook(template, tmp_path / "out.ipynb", {}, timeout=2)
    assert err.value.failure.kind in {"timeout", "cell_error"}
    assert "time.sleep" in (err.value.failure.cell_source or "")


@pytest.mark.slow
def test_a_dead_kernel_is_reported_not_raised_as_a_crash(tmp_path: Path) -> None:
    template = _template(tmp_path / "t.ipynb", "x = 1", "import os\nos._exit(1)")
    with pytest.raises(NotebookExecutionError) as err:
        execute_notebook(template, tmp_path / "out.ipynb", {})
    assert err.value.failure.kind == "dead_kernel"
    assert (tmp_path / "out.ipynb").exists()


def test_the_saved_notebook_shows_chinese_parameters_as_written(executed: Path) -> None:
    text = executed.read_text(encoding="utf-8")
    nb = nbformat.read(str(executed), as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'township = "回马镇"' in injected.source
    assert not re.search(r"\\\\u[0-9a-f]{4}", text)  # no "\u56de\u9a6c\u9547"


def test_the_saved_notebook_has_no_defaults_cell_contradicting_the_run(executed: Path) -> None:
    nb = nbformat.read(str(executed), as_version=4)
    assert not any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert "默认镇" not in executed.read_text(encoding="utf-8")


def test_a_default_that_was_not_injected_is_kept(tmp_path: Path) -> None:
    # the county overview gets no township: its template default must survive
    template = _template(tmp_path / "t.ipynb", "print(repr(township), reference_date)")
    out = tmp_path / "out.ipynb"
    execute_notebook(template, out, {"reference_date": "2017-12-31"})
    nb = nbformat.read(str(out), as_version=4)
    defaults = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(defaults) == 1 and defaults[0].source == 'township = "默认镇"'
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "'默认镇' 2017-12-31" in printed


def test_awkward_parameter_values_reach_the_kernel_unchanged(tmp_path: Path) -> None:
    value = '回"马\\镇\n<b>&'
    template = _template(tmp_path / "t.ipynb", "print(repr(township))")
    out = tmp_path / "out.ipynb"
    execute_notebook(template, out, {"township": value})
    nb = nbformat.read(str(out), as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert repr(value) in printed


def test_the_html_is_marked_internal_and_links_back_to_the_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    folder = run / "townships" / "回马镇"
    folder.mkdir(parents=True)
    (run / "manifest.json").write_text('{"config": {"description": "演示运行<b>"}}', encoding="utf-8")
    template = _template(tmp_path / "t.ipynb", "x = 1", markdown="## 一、概况\n\n正文")
    ipynb = folder / "investigation.ipynb"
    execute_notebook(template, ipynb, {"township": "回马镇", "run_dir": str(run), "out_dir": str(folder)})
    html = folder / "investigation.html"
    export_html(ipynb, html)
    text = html.read_text(encoding="utf-8")
    assert "内部资料，含个人信息，不得外传" in text and "演示运行&lt;b&gt;" in text and "生成时间" in text
    hrefs = set(re.findall(r"href=[\"']([^\"']+)[\"']", text))
    assert {"../../index.html", "investigation.xlsx", "assistance.html", "assistance.xlsx"} <= hrefs
    toc = re.search(r"<a href='#([^']+)'>一、概况</a>", text)  # a clickable table of contents
    assert toc and re.search(rf"<h2 id='{toc.group(1)}'>一、概况", text)
    assert str(tmp_path) not in text  # no machine path, not even in the parameters
