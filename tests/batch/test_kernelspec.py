"""No manual kernel step: the workbooks' kernel is found, or registered, for the Python that runs liushou."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager

from liushou_core.batch import kernelspec
from liushou_core.batch.kernelspec import ensure_kernel, kernel_spec
from liushou_core.errors import ConfigError

NAME = "liushou-test-kernel"


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kernel name nobody has, an empty user folder, and a fresh environment prefix."""
    monkeypatch.setattr(kernelspec, "KERNEL_NAME", NAME)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "user"))
    monkeypatch.setenv("JUPYTER_PATH", "")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    return tmp_path


def _written(folder: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(
        (folder / "kernels" / NAME / "kernel.json").read_text(encoding="utf-8")
    )
    return data


def test_a_missing_kernel_is_registered_in_this_environment_for_this_python(isolated: Path) -> None:
    ensure_kernel(NAME)
    spec = _written(isolated / "prefix" / "share" / "jupyter")
    assert spec["argv"] == [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


def test_a_kernel_of_the_same_name_for_another_python_is_left_alone_and_not_used(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = isolated / "user" / "kernels" / NAME
    user.mkdir(parents=True)
    theirs = json.dumps(kernel_spec("/old/venv/bin/python"))
    (user / "kernel.json").write_text(theirs, encoding="utf-8")

    ensure_kernel(NAME)

    assert (user / "kernel.json").read_text(encoding="utf-8") == theirs
    assert KernelSpecManager().get_kernel_spec(NAME).argv[0] == sys.executable
    assert not (isolated / "prefix").exists()


def test_an_environment_that_cannot_be_written_gets_a_kernel_of_its_own(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = isolated / "prefix-is-a-file"
    locked.write_text("", encoding="utf-8")
    monkeypatch.setattr(sys, "prefix", str(locked))
    ensure_kernel(NAME)
    assert KernelSpecManager().get_kernel_spec(NAME).argv[0] == sys.executable


def test_a_kernel_for_this_python_is_used_as_it_is(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = isolated / "user" / "kernels" / NAME
    user.mkdir(parents=True)
    (user / "kernel.json").write_text(json.dumps(kernel_spec(sys.executable)), encoding="utf-8")
    ensure_kernel(NAME)
    assert not (isolated / "prefix").exists()
    assert os.environ["JUPYTER_PATH"] == ""


def test_another_kernel_asked_for_by_name_must_exist(isolated: Path) -> None:
    with pytest.raises(ConfigError, match="找不到 Jupyter 内核“no-such-kernel”"):
        ensure_kernel("no-such-kernel")
