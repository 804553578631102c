"""Fixtures of the workbook tests: a tiny cleaned run, and one with the facts the assistance rules read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from run_fixture import build_run, write_clean
from workbook_runs import assistance_facts_run, sections_for

from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.ledgers import (
    assistance_footers,
    assistance_sheets,
    write_workbook_ledger,
)


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    return build_run()


@pytest.fixture(scope="module")
def run_dir(run: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    write_clean(run, folder / "clean")
    return folder


@pytest.fixture(scope="module")
def assistance_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("assistance")
    write_clean(assistance_facts_run(), folder / "clean")
    return folder


@pytest.fixture(scope="module")
def sections(assistance_run: Path) -> dict[str, AssistanceSections]:
    """The rules run once per township and for the county (key 大英县)."""
    return {place: sections_for(assistance_run, place) for place in ("蓬莱镇", "隆盛镇", "回马镇")} | {
        "大英县": sections_for(assistance_run)
    }


@pytest.fixture(scope="module")
def ledger(sections: dict[str, AssistanceSections], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """蓬莱镇's assistance ledger."""
    s = sections["蓬莱镇"]
    path = tmp_path_factory.mktemp("ledger") / "assistance.xlsx"
    return write_workbook_ledger(assistance_sheets(s), path, title="蓬莱镇", footers=assistance_footers(s))
