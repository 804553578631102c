"""Run one parameterized notebook with papermill, and export it as self-contained HTML for readers.

A workbook's HTML goes to township offices and departments on offline intranets, so it carries
everything inline: images as data URIs, the stylesheet inline, and no script or stylesheet fetched from
the internet (nbconvert's ``lab`` template links require.js, MathJax and Mermaid from a CDN; the template
here drops those blocks). Readers see no code: input cells are excluded, and the parameters papermill
injected are shown as a small table with Chinese labels.

Both functions write atomically: a temporary file beside the target, then :func:`liushou_core.atomic.replace`
(which says in Chinese which file to close when another program holds it open).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from liushou_core.atomic import replace
from liushou_core.batch.kernelspec import KERNEL_NAME, ensure_kernel
from liushou_core.batch.pagenav import NAV_CSS, page_head, shown_parameters, with_toc
from liushou_core.values.redact import redact_text

#: Seconds a single cell may run before it is stopped (papermill's ``execution_timeout``).
DEFAULT_CELL_TIMEOUT_S = 600

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"

#: How a notebook parameter is shown to readers of the HTML.
PARAMETER_LABELS: dict[str, str] = {
    "county": "县",
    "township": "镇（乡）",
    "reference_date": "认定基准日",
    "payroll_month": "补贴发放月份",
    "run_dir": "运行文件夹",
    "clean_dir": "核实名册文件夹",
    "out_dir": "输出文件夹",
    "previous_run": "上一轮运行",
    "school_term": "教育救助学期",
    "as_of": "监护、走访与转介核查日",
}

# The lab template without the blocks that load JavaScript from a CDN. Nothing the workbooks show
# needs them: no LaTeX, no widgets, no Mermaid diagrams; tables are HTML and charts are PNG.
_OFFLINE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{% block extra_css %}
<style type="text/css">
  body { font-family: "Noto Sans SC", "Microsoft YaHei", "PingFang SC", "Source Han Sans SC", sans-serif; }
  .jp-RenderedHTMLCommon table { font-size: 13px; }
  .liushou-parameters td:first-child { font-weight: bold; padding-right: 1em; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { text-align: left; }
  .jp-RenderedHTMLCommon td { min-width: 3.5em; }
  @page { size: A4 landscape; margin: 12mm; }
  @media print {
    /* long tables run on across pages instead of each jumping whole to a new page */
    .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea, .jp-OutputArea-child, .jp-OutputArea-output
      { break-inside: auto !important; page-break-inside: auto !important; overflow: visible !important; }
    .jp-Notebook, main { max-width: none !important; padding: 0 !important; }
    h2, h3 { break-after: avoid; page-break-after: avoid; }
    tr { break-inside: avoid; page-break-inside: avoid; } thead { display: table-header-group; }
    .jp-RenderedHTMLCommon table { font-size: 9pt; }
  }
</style>
{% endblock extra_css %}
""".replace("</style>", NAV_CSS + "</style>")
_TEMPLATE_NAME = "liushou_offline.html.j2"


@dataclass(frozen=True)
class NotebookFailure:
    """Why a notebook did not finish: the error and, when known, the failing cell (0-based, source)."""

    kind: str  # "cell_error" | "timeout" | "dead_kernel" | "error"
    ename: str
    evalue: str
    cell_index: int | None = None
    cell_source: str | None = None

    def describe(self) -> str:
        """One Chinese line for the console and the manifest."""
        where = f"第 {self.cell_index + 1} 个单元格" if self.cell_index is not None else "运行时"
        what = {"timeout": "超时", "dead_kernel": "内核意外退出", "cell_error": "出错"}.get(self.kind, "出错")
        return f"{where}{what}：{self.ename}: {redact_text(self.evalue)}".strip()


class NotebookExecutionError(Exception):
    """Raised when a notebook's execution fails; ``failure`` says where and why.

    Not a :class:`~liushou_core.errors.LiushouError`: the batch runner records it per township, and a
    statistician who runs a notebook by hand sees the failing cell in the executed notebook.
    """

    def __init__(self, failure: NotebookFailure) -> None:
        self.failure = failure
        super().__init__(failure.describe())


def check_kernel(kernel_name: str = KERNEL_NAME) -> None:
    """Before any notebook starts: the kernel exists and, for ``liushou``, starts this interpreter
    (registered on first use, :mod:`liushou_core.batch.kernelspec`); :class:`ConfigError` if not."""
    ensure_kernel(kernel_name)


def execute_notebook(
    template: Path,
    out_ipynb: Path,
    parameters: Mapping[str, Any],
    *,
    kernel_name: str = KERNEL_NAME,
    timeout: int | None = DEFAULT_CELL_TIMEOUT_S,
    start_timeout: int = 120,
) -> None:
    """Execute ``template`` with ``parameters`` injected and write the executed notebook to ``out_ipynb``.

    The kernel runs in ``out_ipynb``'s folder. ``timeout`` bounds each cell (seconds). The executed
    notebook is written even when a cell fails (it shows the error where it happened); the failure is
    then raised as :class:`NotebookExecutionError`.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    out_ipynb = Path(out_ipynb)
    out_ipynb.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(out_ipynb)
    failure: NotebookFailure | None = None
    _readable_parameters(kernel_name)
    try:
        papermill.execute_notebook(
            str(template),
            str(tmp),
            parameters=dict(parameters),
            engine_name=_engine(),
            kernel_name=kernel_name,
            progress_bar=False,
            log_output=False,
            cwd=str(out_ipynb.parent),
            execution_timeout=timeout,
            start_timeout=start_timeout,
        )
    except PapermillExecutionError as exc:
        failure = NotebookFailure(
            "cell_error", str(exc.ename), _short(str(exc.evalue)), exc.cell_index, str(exc.source)
        )
    except CellTimeoutError:  # nbclient's message is long English; ours states the limit
        failure = NotebookFailure(
            "timeout", "CellTimeoutError", f"单元格运行超过 {timeout} 秒", *_running_cell(tmp)
        )
    except DeadKernelError as exc:
        failure = NotebookFailure("dead_kernel", "DeadKernelError", _short(str(exc)), *_running_cell(tmp))
    finally:
        if tmp.exists() and tmp.stat().st_size:
            replace(tmp, out_ipynb)
        tmp.unlink(missing_ok=True)
    if failure is not None:
        raise NotebookExecutionError(failure)


_ENGINE = "liushou"


def _engine() -> str:
    """papermill's nbclient engine, saving the partial notebook less often (registered once, by name).

    papermill writes the whole notebook before and after every cell, markdown included: a township
    workbook has some forty cells and megabytes of tables, so that is most of what running it costs beyond
    its imports. What a stopped run needs — the outputs so far and which cell was running — is written
    when each *code* cell starts; a failing cell, and the end, still write the whole notebook.
    """
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines

    if _ENGINE in papermill_engines._engines:
        return _ENGINE

    class Manager(NotebookExecutionManager):
        quiet = False

        def save(self, **kwargs: Any) -> None:
            if not self.quiet:
                super().save(**kwargs)

        def cell_start(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            self.quiet = cell.get("cell_type") != "code"
            try:
                super().cell_start(cell, cell_index, **kwargs)
            finally:
                self.quiet = False

        def cell_complete(self, cell: Any, cell_index: int | None = None, **kwargs: Any) -> None:
            self.quiet = True  # the next code cell's start (or the end) writes it
            try:
                super().cell_complete(cell, cell_index, **kwargs)
            finally:
                self.quiet = False

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(  # papermill's Engine.execute_notebook, with the manager above
            cls,
            nb: Any,
            kernel_name: str,
            output_path: str | None = None,
            progress_bar: bool = True,
            log_output: bool = False,
            autosave_cell_every: int = 30,
            **kwargs: Any,
        ) -> Any:
            nb = _without_defaults(nb)
            nb_man = Manager(
                nb,
                output_path=output_path,
                progress_bar=progress_bar,
                log_output=log_output,
                autosave_cell_every=autosave_cell_every,
            )
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            finally:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
            return nb_man.nb

    papermill_engines.register(_ENGINE, Engine)
    return _ENGINE


def _without_defaults(nb: Any) -> Any:
    """The template's defaults cell without the values papermill has just injected for this run.

    Left whole, the saved notebook would say ``township = "蓬莱镇"`` just above 回马镇's own parameters.
    A default that was not injected stays (the notebook still needs it); a cell left with nothing to
    assign is dropped.
    """
    injected = set(nb.metadata.get("papermill", {}).get("parameters") or {})
    if not injected or not any(INJECTED_TAG in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        return nb
    cells = []
    for cell in nb.cells:
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            kept = [line for line in cell.source.splitlines() if _assigned(line) not in injected]
            if not any(_assigned(line) for line in kept):
                continue
            cell.source = "\n".join(kept)
        cells.append(cell)
    nb.cells = cells
    return nb


_ASSIGNMENT = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=")


def _assigned(line: str) -> str | None:
    """The name a ``name = value`` line of a parameters cell assigns, or None."""
    match = _ASSIGNMENT.match(line)
    return match.group(1) if match else None


def _readable_parameters(kernel_name: str) -> None:
    """Have papermill write this kernel's injected parameters as readable Python literals.

    papermill's own translator escapes every non-ASCII character, so a saved notebook read
    ``county = "\\u5927\\u82f1\\u53bf"``. A JSON string is also a valid Python string literal, and with
    ``ensure_ascii=False`` it keeps Chinese as it is while still escaping quotes, backslashes and control
    characters. papermill looks translators up by kernel name before language, so only our kernels change.
    """
    from papermill.translators import PythonTranslator, papermill_translators

    class ReadableTranslator(PythonTranslator):
        @classmethod
        def translate_escaped_str(cls, str_val: Any) -> str:
            return json.dumps(str_val, ensure_ascii=False) if isinstance(str_val, str) else f'"{str_val}"'

    papermill_translators.register(kernel_name, ReadableTranslator)


def _running_cell(ipynb: Path) -> tuple[int | None, str | None]:
    """The cell papermill marked as running when execution stopped (timeout, dead kernel)."""
    try:
        nb = nbformat.read(str(ipynb), as_version=4)
    except (OSError, ValueError):
        return None, None
    # papermill marks cells "pending" until they start; the last one that started is the one that stopped.
    started = [
        (index, str(cell.source))
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and cell.get("metadata", {}).get("papermill", {}).get("status") != "pending"
    ]
    return started[-1] if started else (None, None)


def recover_partial(out_ipynb: Path) -> tuple[int | None, str | None]:
    """After a worker was stopped mid-run: put its partial notebook in place; return the cell it was on.

    The partial notebook is papermill's last save (complete JSON), so it shows how far the run got.
    """
    out_ipynb = Path(out_ipynb)
    partial = sorted(
        out_ipynb.parent.glob(f".{out_ipynb.stem}.*.tmp{out_ipynb.suffix}"), key=lambda p: p.stat().st_mtime
    )
    if not partial:
        return None, None
    os.replace(partial[-1], out_ipynb)
    for extra in partial[:-1]:
        extra.unlink(missing_ok=True)
    return _running_cell(out_ipynb)


def _short(text: str, limit: int = 500) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _temp_beside(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    # Only the unique name is kept: the writer creates the file with the usual permissions, and an
    # empty placeholder would look like a notebook.
    Path(name).unlink()
    return Path(name)


def reader_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as readers see it: parameters as a table at the end, papermill's error banner in Chinese.

    The default ``parameters`` cell is dropped (papermill's injected cell overrides it); stderr streams
    (library warnings) are dropped too — they are for the statistician, who has the ``.ipynb``.
    """
    nb = nbformat.from_dict(nb)  # a deep copy: never change the executed notebook
    params: Mapping[str, Any] = nb.metadata.get("papermill", {}).get("parameters") or {}
    cells = []
    banner_done = False
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if INJECTED_TAG in tags:
            continue  # shown at the end, as a table
        elif PAPERMILL_ERROR_TAG in tags:
            # papermill puts a banner first and an anchor just before the failing cell.
            text = _ERROR_ANCHOR if banner_done else _ERROR_BANNER
            banner_done = True
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif PARAMETERS_TAG not in tags:
            if cell.cell_type == "code":
                cell.outputs = [
                    o
                    for o in cell.get("outputs", [])
                    if not (o.output_type == "stream" and o.name == "stderr")
                ]
            cells.append(cell)
    if params:  # an appendix: readers want the title first
        cells.append(nbformat.v4.new_markdown_cell(parameters_markdown(shown_parameters(params))))
    nb.cells = cells
    return nb


_ERROR_BANNER = (
    "**本工作簿没有运行完：其中一步出错，出错之后的内容没有生成。** 请把本文件交给县统计人员处理。"
)
_ERROR_ANCHOR = "**下面这一步出错：**"
_ENGLISH_ALT = 'alt="No description has been provided for this image"'


def parameters_markdown(params: Mapping[str, Any]) -> str:
    """The parameters of a run as a two-column markdown table with Chinese labels (empty values omitted)."""
    rows = [
        f"| {PARAMETER_LABELS.get(key, key)} | {_md_cell(value)} |"
        for key, value in params.items()
        if value not in (None, "")
    ]
    return "\n".join(["#### 附：运行参数", "", "| 参数 | 值 |", "| --- | --- |", *rows])


def _md_cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _reader_exporter_class() -> type:
    """nbconvert's HTMLExporter without its final BeautifulSoup pass.

    That pass re-parses the whole page only to add ``alt`` and ``tabindex`` attributes; on a township
    register of thousands of rows it takes seconds (longer than running the notebook). The override
    does what ``HTMLExporter.from_notebook_node`` does before that pass; if a future nbconvert moves
    these internals, the stock exporter is used.
    """
    from nbconvert import HTMLExporter

    try:
        from nbconvert.exporters.templateexporter import TemplateExporter
        from nbconvert.filters.highlight import Highlight2HTML
        from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
    except ImportError:  # pragma: no cover - depends on the nbconvert version
        return HTMLExporter

    class ReaderHTMLExporter(HTMLExporter):
        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> Any:
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            data_type = WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources
            )
            self.register_filter("highlight_code", highlight)
            self.register_filter("filter_data_type", data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReaderHTMLExporter


def export_html(ipynb: Path, html: Path, *, title: str | None = None) -> None:
    """Write the executed notebook ``ipynb`` as self-contained HTML without code (see the module doc)."""
    from jinja2 import DictLoader

    nb = reader_notebook(nbformat.read(str(ipynb), as_version=4))
    params = nb.metadata.get("papermill", {}).get("parameters") or {}
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(page_head(Path(html), params)))
    name = title or str(nb.metadata.get("title") or Path(ipynb).stem)
    nb.metadata["title"] = name
    exporter = _reader_exporter_class()(
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _OFFLINE_TEMPLATE})],
        template_file=_TEMPLATE_NAME,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        exclude_anchor_links=True,
        language_code="zh",
        theme="light",
    )
    body, _resources = exporter.from_notebook_node(nb, resources={"metadata": {"name": name}})
    body = (
        with_toc(body)
        .replace(_ENGLISH_ALT, 'alt="图表"')
        .replace('<img src="data:', '<img alt="图表" src="data:')
    )
    html = Path(html)
    html.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_beside(html)
    try:
        tmp.write_text(body, encoding="utf-8")  # a new file: the usual permissions (umask)
        replace(tmp, html)
    finally:
        tmp.unlink(missing_ok=True)
