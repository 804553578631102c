"""Windows-safe paths, forced on Linux: a file held open in Excel/WPS, a lock whose holder is gone, a console
that cannot show every character. (Workers whose run is gone: tests/batch/test_parentwatch.py.)"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from liushou_core import atomic, runlock
from liushou_core.atomic import FileInUseError, write_text
from liushou_core.cli import main


class HeldOpen:
    """``os.replace`` as Windows answers it while another program has the target open (WinError 32)."""

    def __init__(self, times: int) -> None:
        self.left = times
        self.calls = 0
        self.real = os.replace

    def __call__(self, src: Any, dst: Any) -> None:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise PermissionError(13, "另一个程序正在使用此文件，进程无法访问。", str(dst))
        self.real(src, dst)


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atomic, "REPLACE_WAIT_S", 0.01)


def test_a_file_held_open_is_tried_again_then_one_chinese_message_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quick_retries: None
) -> None:
    target = tmp_path / "蓬莱镇_问题数据清单.xlsx"
    write_text("old", target)
    held = HeldOpen(times=1000)
    monkeypatch.setattr(os, "replace", held)

    with pytest.raises(FileInUseError) as err:
        write_text("new", target)

    assert held.calls == atomic.REPLACE_ATTEMPTS > 1
    message = str(err.value)
    assert str(target) in message and "请先在 Excel/WPS 中关闭“蓬莱镇_问题数据清单.xlsx”" in message
    assert target.read_text(encoding="utf-8") == "old", "the file the user has open is untouched"
    assert [p.name for p in tmp_path.iterdir()] == [target.name], "no temporary file is left behind"


def test_a_file_let_go_within_a_moment_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quick_retries: None
) -> None:
    target = tmp_path / "ledger.xlsx"
    write_text("old", target)
    monkeypatch.setattr(os, "replace", HeldOpen(times=2))  # a virus scanner's brief look
    write_text("new", target)
    assert target.read_text(encoding="utf-8") == "new"


def test_a_command_whose_output_is_held_open_prints_one_line_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quick_retries: None, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(os, "replace", HeldOpen(times=1000))
    code = main(["init", str(tmp_path / "ws")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("错误：无法更新文件") and "请先在 Excel/WPS 中关闭" in err
    assert "Traceback" not in err


class Kernel32:
    """Windows' kernel32 as :func:`runlock.alive_windows` calls it, answering for one process."""

    def __init__(self, *, opens: bool, exit_code: int = 0, last_error: int = 0) -> None:
        self.opens, self.exit_code, self.error = opens, exit_code, last_error
        self.closed = False

    def OpenProcess(self, access: int, inherit: bool, pid: int) -> int:  # noqa: N802 - the API's name
        assert access == runlock.PROCESS_QUERY_LIMITED_INFORMATION and not inherit
        return 42 if self.opens else 0

    def GetExitCodeProcess(self, handle: int, code: Any) -> int:  # noqa: N802
        assert handle == 42
        code.contents.value = self.exit_code
        return 1

    def CloseHandle(self, handle: int) -> int:  # noqa: N802
        self.closed = True
        return 1

    def last_error(self) -> int:
        return self.error


@pytest.mark.parametrize(
    ("kernel32", "alive"),
    [
        (Kernel32(opens=True, exit_code=runlock.STILL_ACTIVE), True),
        (Kernel32(opens=True, exit_code=1), False),  # ended (killed, crashed), handle still about
        (Kernel32(opens=False, last_error=87), False),  # ERROR_INVALID_PARAMETER: no such process
        (Kernel32(opens=False, last_error=runlock.ERROR_ACCESS_DENIED), True),  # another user's process
    ],
)
def test_the_lock_asks_windows_whether_its_holder_is_alive(kernel32: Kernel32, alive: bool) -> None:
    assert runlock.alive_windows(1234, kernel32, kernel32.last_error) is alive
    assert kernel32.closed == kernel32.opens, "an opened process handle is closed again"


def test_a_pointer_is_what_GetExitCodeProcess_is_given() -> None:  # noqa: N802
    # the fake above writes through .contents: the real call gets the same kind of argument
    code = ctypes.c_ulong(0)
    ctypes.pointer(code).contents.value = 259
    assert code.value == 259


def test_output_the_console_cannot_encode_is_replaced_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "工作𠀀"  # 𠀀 (U+20000) is not in cp936, the encoding of a Chinese Windows console
    env = {**os.environ, "PYTHONIOENCODING": "cp936"}
    done = subprocess.run(
        [sys.executable, "-m", "liushou_core", "init", str(folder)], capture_output=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode("gbk", "replace")
    shown = done.stdout.decode("gbk")
    assert "已建立工作文件夹" in shown and "工作?" in shown
    assert (folder / "run.yaml").is_file()
