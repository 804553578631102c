"""``RUN/index.html``: the run's front page, from its manifest and the files on disk."""

from __future__ import annotations

import datetime as dt
import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote

from liushou_core.batch.frontpage import FRONT_PAGE, write_front_page
from liushou_core.batch.manifest import FAILED, OK, Manifest, NotebookRecord, TownshipRecord, write_manifest

NOW = dt.datetime(2018, 1, 5, 14, 3, tzinfo=dt.UTC)


def _touch(path: Path, text: str = "x") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _run(tmp_path: Path) -> Path:
    run = tmp_path / "outputs" / "run"
    townships = {}
    for name, status in (("蓬莱镇", OK), ("回马镇<script>", FAILED)):
        folder = f"townships/{name}"
        notebooks = {}
        for kind in ("investigation", "assistance"):
            files = [f"{folder}/{kind}.ipynb", f"{folder}/{kind}.html", f"{folder}/{kind}.xlsx"]
            notebooks[kind] = NotebookRecord(
                kind=kind, status=status if kind == "assistance" else OK, artifacts=files
            )
            for f in files:
                _touch(run / f)
        townships[name] = TownshipRecord(name=name, folder=folder, notebooks=notebooks)
    county = NotebookRecord(kind="county", status=OK, artifacts=["county/county.html", "county/county.xlsx"])
    for f in county.artifacts:
        _touch(run / f)
    _touch(run / "clean" / "问题数据清单" / "蓬莱镇_问题数据清单.xlsx")
    _touch(run / "payroll" / "高龄补贴_2018-01.xlsx")
    manifest = Manifest(
        started="2018-01-05T06:00:00+00:00",
        finished="2018-01-05T06:10:00+00:00",
        config={"description": "样本县 2017 年底摸排，演示运行"},
        parameters={"county": "大英县", "reference_date": "2017-12-31", "payroll_month": "2018-01"},
        inputs=[{"path": str(tmp_path / "returns" / "蓬莱镇.xlsx"), "sha256": "ab" * 32, "bytes": 1234}],
        townships=townships,
        county=county,
    )
    write_manifest(manifest, run)
    summary = {"rows_in": 10, "people": 7, "pending": 1, "duplicates_merged": 1, "skipped": 1,
               "by_category": {"留守儿童": 3, "留守妇女": 1, "留守老人": 3},
               "by_township": {"蓬莱镇": 5, "回马镇<script>": 2}}  # fmt: skip
    _touch(run / "clean" / "summary.json", json.dumps(summary, ensure_ascii=False))
    share = tmp_path / "outputs" / "shared" / "run" / "公安局"
    _touch(share / "index.html")
    _touch(share / "bundle.json", json.dumps({"department": "公安局"}, ensure_ascii=False))
    return run


def _links(html: str) -> list[str]:
    return [unquote(unescape(h)) for h in re.findall(r"href='([^']+)'", html)]


def test_the_front_page_links_every_workbook_problem_list_overview_payroll_and_copy(tmp_path: Path) -> None:
    run = _run(tmp_path)
    page = write_front_page(run, now=NOW)
    assert page == run / FRONT_PAGE
    links = _links(page.read_text(encoding="utf-8"))
    targets = [link for link in links if not link.startswith("#")]
    for link in targets:
        assert (run / link).resolve().is_file(), link
    pages = {p.relative_to(run).as_posix() for p in run.rglob("*") if p.suffix in (".html", ".xlsx")}
    assert pages - {FRONT_PAGE} <= set(targets)  # every page and ledger of the run is linked
    assert "../shared/run/公安局/index.html" in targets


def test_the_front_page_says_what_the_run_is_and_is_marked_internal(tmp_path: Path) -> None:
    html = write_front_page(_run(tmp_path), now=NOW).read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "内部资料，含个人信息，不得外传" in html
    assert "样本县 2017 年底摸排，演示运行" in html and "生成时间" in html
    assert "2017-12-31" in html and "2018-01" in html
    assert "蓬莱镇.xlsx" in html and "ab" * 32 in html  # the returns by name and checksum
    assert "核实名册共有农村“三留守”人员 <b>7</b> 人" in html
    assert "待确认事项" in html and "待县民政局确认" in html  # the rules' open questions, in plain Chinese


def test_names_from_data_are_escaped_and_no_machine_path_or_remote_resource_appears(tmp_path: Path) -> None:
    html = write_front_page(_run(tmp_path), now=NOW).read_text(encoding="utf-8")  # type: ignore[union-attr]
    assert "<script" not in html and "回马镇&lt;script&gt;" in html
    assert str(tmp_path) not in html
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", html)
    assert "失败" in html  # 回马镇's assistance workbook failed


def test_a_folder_without_a_manifest_gets_no_front_page(tmp_path: Path) -> None:
    assert write_front_page(tmp_path) is None
    assert not (tmp_path / FRONT_PAGE).exists()
