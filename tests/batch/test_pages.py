"""What people open, across a whole run: the front page links every page, every page links back, and no
page carries development notes, machine paths, ``\\u`` escapes, an unmarked internal page, a table over 500
rows or a ledger without page numbers. One slow run of the real notebooks on the tiny county."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote

import openpyxl
import pytest
from run_fixture import build_run, fake_clean, write_inputs

from liushou_core.batch.frontpage import FRONT_PAGE, INTERNAL_MARK, write_front_page
from liushou_core.batch.run import run_batch
from liushou_core.batch.settings import parse_run_config
from liushou_core.cli import main
from liushou_core.share import load_profiles, share_run
from liushou_core.share.bundle import default_out
from liushou_core.workbooks.display import PAGE_ROWS

pytestmark = pytest.mark.slow

DEVELOPMENT_NOTES = (
    "凭背景知识",
    "policy.md",
    "仅作占位",
    "未见原文",
    "已写出",
    "Traceback",
    "site-packages",
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pages")
    write_inputs(build_run(), root / "inputs")
    settings = {"county": "大英县", "reference_date": "2017-12-31", "payroll_month": "2018-01",
                "inputs": "inputs", "output": "run", "timeout": 300, "description": "页面测试运行"}  # fmt: skip
    config = parse_run_config(settings, source=root / "run.yaml", base=root)
    result = run_batch(config, clean_fn=fake_clean, jobs=2, progress=False)
    assert result.exit_code == 0, result.manifest.failed()
    run = config.output
    payroll = run / "payroll" / "高龄补贴_2018-01.parquet"
    assert main(["payroll", "--people", str(run / "clean" / "people.parquet"), "--month", "2018-01",
                 "--out", str(payroll)]) == 0  # fmt: skip
    share_run(run, [p.name for p in load_profiles()])
    write_front_page(run)  # what liushou share does at its end
    return run


def _hrefs(page: Path) -> list[str]:
    html = page.read_text(encoding="utf-8")
    return [unquote(unescape(h)) for h in re.findall(r"href=[\"']([^\"'#][^\"']*)[\"']", html)]


def _targets(page: Path) -> set[Path]:
    return {(page.parent / h).resolve() for h in _hrefs(page)}


def _pages(run_dir: Path) -> list[Path]:
    return sorted(p for p in run_dir.rglob("*.html") if p.name != FRONT_PAGE)


def _shared_pages(run_dir: Path) -> list[Path]:
    return sorted(default_out(run_dir).rglob("*.html"))


def test_the_front_page_links_every_page_ledger_and_department_copy(run_dir: Path) -> None:
    front = run_dir / FRONT_PAGE
    linked = _targets(front)
    assert all(t.is_file() for t in linked), [t for t in linked if not t.is_file()]
    made = {p.resolve() for p in run_dir.rglob("*") if p.suffix in (".html", ".xlsx")} - {front.resolve()}
    assert made - linked == set()
    copies = {p.resolve() for p in default_out(run_dir).glob("*/index.html")}
    assert copies and copies <= linked


def test_every_workbook_page_links_back_to_the_front_page_and_its_links_resolve(run_dir: Path) -> None:
    front = (run_dir / FRONT_PAGE).resolve()
    for page in _pages(run_dir):
        targets = _targets(page)
        assert front in targets, page
        assert page.with_suffix(".xlsx").resolve() in targets, page
        assert all(t.is_file() for t in targets), (page, [t for t in targets if not t.is_file()])


def test_no_page_holds_development_notes_machine_paths_or_escaped_chinese(run_dir: Path) -> None:
    root = str(run_dir.parent)
    for page in [run_dir / FRONT_PAGE, *_pages(run_dir), *_shared_pages(run_dir), *run_dir.rglob("*.ipynb")]:
        text = page.read_text(encoding="utf-8")
        if page.suffix == ".ipynb":  # a notebook's parameters and outputs, as JupyterLab shows them
            assert not re.search(r"\\\\u[0-9a-fA-F]{4}", text), page
            continue
        assert root not in text, page
        for note in DEVELOPMENT_NOTES:
            assert note not in text, (page, note)


def test_every_internal_page_is_marked_with_the_run_and_the_time_it_was_made(run_dir: Path) -> None:
    for page in [run_dir / FRONT_PAGE, *_pages(run_dir)]:
        text = page.read_text(encoding="utf-8")
        assert INTERNAL_MARK in text and "页面测试运行" in text and "生成时间" in text, page


def test_no_html_table_has_more_than_500_rows(run_dir: Path) -> None:
    for page in [*_pages(run_dir), *_shared_pages(run_dir)]:
        for table in re.findall(r"<table.*?</table>", page.read_text(encoding="utf-8"), flags=re.S):
            assert table.count("<tr") <= PAGE_ROWS + 1, page


def test_every_ledger_prints_page_numbers(run_dir: Path) -> None:
    ledgers = [*run_dir.rglob("*.xlsx"), *default_out(run_dir).rglob("*.xlsx")]
    assert len(ledgers) > 10
    for path in ledgers:
        for ws in openpyxl.load_workbook(path).worksheets:
            assert "&P" in (ws.oddFooter.center.text or "") and "&N" in ws.oddFooter.center.text, (
                path,
                ws.title,
            )
