"""The workbooks' table store: a township's slice of the county's tables is what the workbook computed alone."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from run_fixture import write_clean
from workbook_runs import AS_OF, MONTH, TERM, sections_for

from liushou_core.atomic import is_complete
from liushou_core.errors import ConfigError
from liushou_core.runfolder import tables_dir
from liushou_core.workbooks.rundata import load_run
from liushou_core.workbooks.tablestore import (
    RULE_TABLES,
    RuleDates,
    read_stamp,
    store_fits,
    workbook_data,
    workbook_sections,
    write_tables,
)

DATES = RuleDates.of(MONTH, TERM, AS_OF)
PLACES = ("蓬莱镇", "隆盛镇", "回马镇", None)


@pytest.fixture(scope="module")
def stored(assistance_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the assistance run with its table store."""
    folder = tmp_path_factory.mktemp("stored") / "run"
    shutil.copytree(assistance_run, folder)
    write_tables(folder, DATES, fingerprint="abc")
    return folder


def _sections(run_dir: Path, township: str | None) -> Any:
    return workbook_sections(
        run_dir, township, payroll_month=MONTH, school_term=TERM, as_of=AS_OF, place=township or "大英县"
    )


@pytest.mark.parametrize("township", PLACES)
def test_a_townships_slice_of_the_store_is_what_its_workbook_computes_alone(
    stored: Path, assistance_run: Path, township: str | None
) -> None:
    alone = load_run(assistance_run, township)
    rules_alone = sections_for(assistance_run, township)
    data, sections = _sections(stored, township)
    for name in ("people", "issues", "rows", "pending"):
        pd.testing.assert_frame_equal(getattr(data, name), getattr(alone, name), obj=name)
    assert data.summary == alone.summary and data.township == alone.township
    for name in (*RULE_TABLES, "people"):
        pd.testing.assert_frame_equal(getattr(sections, name), getattr(rules_alone, name), obj=name)
    assert (sections.place, sections.month, sections.term_label, sections.as_of, sections.scale) == (
        rules_alone.place, rules_alone.month, rules_alone.term_label, rules_alone.as_of, rules_alone.scale,
    )  # fmt: skip
    pd.testing.assert_frame_equal(workbook_data(stored, township).people, alone.people)


def test_the_store_is_complete_stamped_and_holds_every_rules_lines(stored: Path) -> None:
    folder = tables_dir(stored)
    assert is_complete(folder) and store_fits(stored, DATES)
    assert (read_stamp(stored) or {})["fingerprint"] == "abc"
    payroll = pd.read_parquet(folder / "payroll.parquet")
    assert len(payroll) > 0 and set(payroll["township"]) <= {"蓬莱镇", "隆盛镇", "回马镇"}
    assert {f"{n}.parquet" for n in RULE_TABLES} <= {p.name for p in folder.iterdir()}


def test_a_store_made_for_another_payroll_month_is_not_read(stored: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(stored, run_dir)
    write_tables(run_dir, RuleDates.of("2017-06", TERM, AS_OF))
    assert not store_fits(run_dir, DATES)
    _, sections = _sections(run_dir, "蓬莱镇")
    assert set(sections.payroll["month"]) == {MONTH}
    pd.testing.assert_frame_equal(sections.payroll, sections_for(stored, "蓬莱镇").payroll)


def test_a_store_older_than_the_cleaning_is_not_read(
    stored: Path, run: dict[str, Any], tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(stored, run_dir)
    write_clean(run, run_dir / "clean")  # cleaned again, from other returns
    assert not store_fits(run_dir, DATES)
    data, _ = _sections(run_dir, "蓬莱镇")
    pd.testing.assert_frame_equal(data.people, load_run(run_dir, "蓬莱镇").people)
    pd.testing.assert_frame_equal(workbook_data(run_dir, "蓬莱镇").people, load_run(run_dir, "蓬莱镇").people)


def test_without_a_store_the_workbook_computes_its_slice(assistance_run: Path) -> None:
    assert not tables_dir(assistance_run).exists()
    data, sections = _sections(assistance_run, "隆盛镇")
    pd.testing.assert_frame_equal(sections.gaps, sections_for(assistance_run, "隆盛镇").gaps)
    assert not tables_dir(assistance_run).exists()  # reading never writes


def test_an_unknown_township_is_refused_as_without_a_store(stored: Path) -> None:
    with pytest.raises(ConfigError, match="没有镇（乡）“天河镇”"):
        _sections(stored, "天河镇")


def test_a_register_the_county_pass_cannot_take_makes_no_store(run: dict[str, Any], tmp_path: Path) -> None:
    people = run["people"].copy()
    people.loc[people["township"] == "回马镇", "sex"] = "未知"
    write_clean({**run, "people": people}, tmp_path / "clean")
    with pytest.raises(ConfigError, match="不符合格式"):
        write_tables(tmp_path, DATES)
    assert read_stamp(tmp_path) is None
    assert len(workbook_data(tmp_path, "蓬莱镇").people) > 0  # the good townships compute their own
