"""Outputs complete or not at all, and one lock for every folder a run owns (issue 18).

- a misspelt input folder leaves the previous cleaning as it was;
- ``liushou clean`` replaces the output folder's files only when every output is written (``.complete``
  last), so re-cleaning leaves no earlier problem list and a killed cleaning leaves a folder that says so;
- the readers of a cleaning (the notebooks' ``load_run``, ``compare``, ``share``) refuse an incomplete one;
- ``share`` refuses a run that did not finish, and a killed ``share`` leaves no temporary folder for good;
- ``clean --out RUN/clean`` during a run on RUN is refused naming the holder, and the other way round;
- a NUL in a path or a FIFO named as a return is one Chinese message, not an internal error or a hang.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from returns_fixture import HEADER, child, lock_held_elsewhere, run_main, write_xlsx

from liushou_core.runlock import FolderLockedError, folder_lock
from liushou_core.values.idcard import make_id


@pytest.fixture
def returns(tmp_path: Path) -> Path:
    """Two townships' returns, each with a person the problem list names (an ID Excel mangled)."""
    folder = tmp_path / "returns"
    folder.mkdir()
    write_xlsx(folder / "回马镇.xlsx", [HEADER, child("甲", 11), ["回马镇", "团结村", "乙", "女", "5.10923E+17", "留守儿童", "2008-01-01", "外出务工", "外出务工"]])  # fmt: skip
    write_xlsx(folder / "河边镇.xlsx", [HEADER, child("丙", 13, "河边镇", "安山村"), ["河边镇", "安山村", "丁", "女", "5.10923E+17", "留守儿童", "2008-01-01", "外出务工", "外出务工"]])  # fmt: skip
    return folder


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def write_manifest(run: Path, finished: str) -> None:
    """A run's record, as ``liushou run`` writes it (``finished`` empty: killed, or still running)."""
    manifest = {"format": 1, "status": "ok" if finished else "running", "finished": finished, "config": {},
                "parameters": {"county": "大英县", "reference_date": "2017-12-31", "payroll_month": "2018-01",
                               "school_term": "2017秋季", "as_of": "2017-12-31"}}  # fmt: skip
    (run / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


# ------------------------------------------------------------------------------------- complete or not at all


def test_a_misspelt_input_folder_leaves_the_previous_cleaning_as_it_was(
    returns: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    assert run_main(["clean", str(returns), "--out", str(out)])[0] == 0
    before = files_of(out)
    code, _, err = run_main(["clean", str(tmp_path / "retruns"), "--out", str(out)])
    assert code == 2 and "Traceback" not in err and "retruns" in err
    after = files_of(out)
    assert {k: v for k, v in after.items() if k != ".liushou.lock"} == {
        k: v for k, v in before.items() if k != ".liushou.lock"
    }


def test_a_folder_without_a_readable_return_leaves_the_previous_cleaning_too(
    returns: Path, tmp_path: Path
) -> None:
    out = tmp_path / "clean"
    assert run_main(["clean", str(returns), "--out", str(out)])[0] == 0
    people = (out / "people.parquet").read_bytes()
    (tmp_path / "empty").mkdir()
    code, _, err = run_main(["clean", str(tmp_path / "empty"), "--out", str(out)])
    assert code == 2 and "没有读到任何一份报表" in err and "Traceback" not in err
    assert (out / "people.parquet").read_bytes() == people


def test_re_cleaning_leaves_no_problem_list_of_the_previous_cleaning(returns: Path, tmp_path: Path) -> None:
    out = tmp_path / "clean"
    assert run_main(["clean", str(returns), "--out", str(out)])[0] == 0
    assert {p.name for p in (out / "问题数据清单").iterdir()} == {
        "回马镇_问题数据清单.xlsx",
        "河边镇_问题数据清单.xlsx",
    }
    assert run_main(["clean", str(returns / "回马镇.xlsx"), "--out", str(out)])[0] == 0
    assert {p.name for p in (out / "问题数据清单").iterdir()} == {"回马镇_问题数据清单.xlsx"}
    assert (out / ".complete").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_cleaning_killed_while_writing_leaves_the_previous_one_whole(
    returns: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "clean"
    assert run_main(["clean", str(returns), "--out", str(out)])[0] == 0
    before = files_of(out)

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("liushou_core.cleaning.streaming.write_problem_lists", killed)
    assert run_main(["clean", str(returns / "回马镇.xlsx"), "--out", str(out)])[0] == 130
    assert files_of(out).keys() == before.keys() and (out / ".complete").is_file()
    assert (out / "people.parquet").read_bytes() == before["people.parquet"]


def test_a_cleaning_killed_while_swapping_says_it_is_incomplete_and_readers_refuse_it(
    returns: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liushou_core.rounds import compare
    from liushou_core.workbooks import rundata

    out = tmp_path / "clean"
    assert run_main(["clean", str(returns), "--out", str(out)])[0] == 0
    rundata.load_run(out)  # complete: read
    moves = {"n": 0}
    real_replace = os.replace

    def dies_half_way(src: Any, dst: Any) -> None:
        moves["n"] += 1
        if moves["n"] == 12:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr("liushou_core.atomic.os.replace", dies_half_way)
    assert run_main(["clean", str(returns), "--out", str(out)])[0] == 130
    monkeypatch.undo()
    assert not (out / ".complete").exists()
    with pytest.raises(Exception, match="不完整"):
        rundata.load_run(out)
    with pytest.raises(Exception, match="不完整"):
        compare.read_round(out)
    # and the next cleaning makes it whole again
    assert run_main(["clean", str(returns), "--out", str(out)])[0] == 0
    rundata.load_run(out)


def test_share_refuses_a_run_that_did_not_finish(returns: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert run_main(["clean", str(returns), "--out", str(run / "clean")])[0] == 0
    write_manifest(run, finished="")
    code, _, err = run_main(["share", str(run), "--department", "教育局", "--out", str(tmp_path / "shared")])
    assert code == 2 and "没有完成" in err and "Traceback" not in err
    assert not (tmp_path / "shared").exists() or not any((tmp_path / "shared").rglob("*.html"))


def test_a_killed_share_leaves_no_unscanned_folder_after_the_next_share(
    returns: Path, tmp_path: Path
) -> None:
    from liushou_core.share import share_run

    run = tmp_path / "run"
    assert run_main(["clean", str(returns), "--out", str(run / "clean")])[0] == 0
    write_manifest(run, finished="2018-01-05T10:00:00")
    shared = tmp_path / "shared"
    left = shared / ".教育局.k1ll3d.tmp"  # what a share killed before its scan leaves
    left.mkdir(parents=True)
    (left / "index.html").write_text(make_id("510923", dt.date(2008, 5, 3), 11), encoding="utf-8")
    share_run(run, ["教育局"], out=shared)
    assert not left.exists()
    assert [p.name for p in shared.iterdir() if p.name.endswith(".tmp")] == []


# ------------------------------------------------------------------------------------------------------ locks


def test_cleaning_into_a_run_s_clean_folder_during_the_run_is_refused_naming_it(
    returns: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    with lock_held_elsewhere(run, "liushou run") as holder:
        code, _, err = run_main(["clean", str(returns), "--out", str(run / "clean")])
    assert code == 2 and "Traceback" not in err
    assert "liushou run" in err and f"进程 {holder.pid}" in err
    assert not (run / "clean" / "people.parquet").exists()


def test_a_run_on_a_folder_whose_clean_folder_is_being_cleaned_is_refused(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with (
        lock_held_elsewhere(run / "clean", "liushou clean") as holder,
        pytest.raises(FolderLockedError, match=f"进程 {holder.pid}"),
        folder_lock(run, "liushou run"),
    ):
        pass


def test_the_same_process_may_lock_a_folder_inside_one_it_holds(tmp_path: Path) -> None:
    with folder_lock(tmp_path, "liushou run"), folder_lock(tmp_path / "clean", "liushou clean"):
        pass


# ------------------------------------------------------------------------------------------- odd paths


def test_a_nul_in_the_output_of_a_run_file_is_one_message(tmp_path: Path) -> None:
    params = tmp_path / "run.yaml"
    inputs = tmp_path / "in"
    inputs.mkdir()
    params.write_text(
        f'county: 大英县\nreference_date: 2017-12-31\npayroll_month: 2018-01\ninputs: {inputs}\noutput: "a\\0b"\n',
        encoding="utf-8",
    )
    code, _, err = run_main(["run", str(params)])
    assert code == 2 and "程序内部错误" not in err and err.startswith("错误：")


def test_a_nul_in_a_command_line_path_is_one_message(tmp_path: Path) -> None:
    code, _, err = run_main(["clean", "a\0b", "--out", str(tmp_path / "o")])
    assert code == 2 and "程序内部错误" not in err and err.startswith("错误：")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_named_as_a_return_is_refused_without_waiting(returns: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "管道.csv"
    os.mkfifo(fifo)
    code = subprocess.run(
        [sys.executable, "-m", "liushou_core.cli", "clean", str(fifo), str(returns), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert code.returncode in (1, 2) and "Traceback" not in code.stderr and "管道.csv" in code.stderr


def test_re_cleaning_replaces_only_the_cleaning_s_own_files(returns: Path, tmp_path: Path) -> None:
    out = returns  # the outputs put beside the returns themselves
    (out / "说明.txt").write_text("我的笔记", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in returns.iterdir() if p.is_file()}
    for _ in range(2):
        assert (
            run_main(
                ["clean", str(returns / "回马镇.xlsx"), str(returns / "河边镇.xlsx"), "--out", str(out)]
            )[0]
            == 0
        )
    for name, data in before.items():
        assert (out / name).read_bytes() == data
    assert (out / ".complete").is_file() and (out / "people.parquet").is_file()
