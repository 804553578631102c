"""Outputs are written atomically and get ordinary permissions."""

import os
import stat

import pytest

from liushou_core.atomic import atomic_path, write_text


def test_a_file_appears_only_when_complete_and_a_failure_leaves_the_old_one(tmp_path):
    target = tmp_path / "out.txt"
    write_text("old", target)
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"], "no temporary file is left behind"


def test_outputs_are_readable_by_the_group_as_the_umask_allows(tmp_path):
    old = os.umask(0o022)
    try:
        write_text("x", tmp_path / "a.txt")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
