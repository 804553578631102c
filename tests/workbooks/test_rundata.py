"""Loading a run for the workbooks: a run or a clean folder, one township's part, clear refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from run_fixture import write_clean

from liushou_core.errors import ConfigError
from liushou_core.rules.allowances import INPUT_COLUMNS, PAYROLL_READS, payroll
from liushou_core.workbooks.quality import issues_by_rule
from liushou_core.workbooks.rundata import load_run, read_people


def test_a_clean_folder_can_be_given_instead_of_a_run_folder(run_dir: Path) -> None:
    assert len(load_run(run_dir / "clean").people) == len(load_run(run_dir).people)


def test_issues_belong_to_the_township_of_their_row_or_file(run_dir: Path) -> None:
    data = load_run(run_dir)
    whole_file = data.issues[data.issues["row_key"].isna()]
    assert (whole_file["township"] == whole_file["source_file"].str.removesuffix(".xlsx")).all()
    town = load_run(run_dir, "回马镇")
    assert set(town.issues["source_file"]) == {"回马镇.xlsx"}
    assert issues_by_rule(town.issues)["条数"].sum() == len(town.issues)


def test_an_unknown_township_is_refused_with_the_known_ones(run_dir: Path) -> None:
    with pytest.raises(ConfigError, match="没有镇（乡）“天河镇”.*蓬莱镇"):
        load_run(run_dir, "天河镇")


def test_a_bad_register_stops_only_its_own_township(run: dict[str, Any], tmp_path: Path) -> None:
    broken = dict(run)
    people = run["people"].copy()
    people.loc[people["township"] == "回马镇", "sex"] = "未知"
    broken["people"] = people
    write_clean(broken, tmp_path / "clean")
    with pytest.raises(ConfigError, match="回马镇"):
        load_run(tmp_path, "回马镇")
    assert len(load_run(tmp_path, "蓬莱镇").people) > 0


def test_the_payroll_reads_only_its_columns_and_pays_as_from_the_whole_register(run_dir: Path) -> None:
    path = run_dir / "clean" / "people.parquet"
    narrow = read_people(path, PAYROLL_READS)
    assert set(narrow.columns) == {*PAYROLL_READS, "source_row"}
    whole = payroll(read_people(path), "2018-01")
    assert len(whole) > 0
    pd.testing.assert_frame_equal(payroll(narrow, "2018-01"), whole)


def test_a_register_without_the_optional_columns_is_read_for_the_payroll(
    run_dir: Path, tmp_path: Path
) -> None:
    people = pd.read_parquet(run_dir / "clean" / "people.parquet").drop(
        columns=["group", "notes", "source_row"]
    )
    people.to_parquet(tmp_path / "people.parquet")
    assert list(read_people(tmp_path / "people.parquet", PAYROLL_READS).columns) == list(INPUT_COLUMNS)
