"""Loading a run for the workbooks: a run or a clean folder, one township's part, clear refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from run_fixture import write_clean

from liushou_core.errors import ConfigError
from liushou_core.workbooks.quality import issues_by_rule
from liushou_core.workbooks.rundata import load_run


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
