"""The offline installer (``make wheelhouse``, wheelhouse/build.py): its scripts are written so each system can
read them, and the Windows x64 / CPython 3.11 set resolves to binary wheels only (needs the package index:
marked ``network``, skipped when it cannot be reached)."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("wheelhouse_build", ROOT / "wheelhouse" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_windows_script_is_gbk_with_crlf_and_installs_from_its_own_folder_only(tmp_path: Path) -> None:
    _build_module().write_scripts(tmp_path)
    bat = (tmp_path / "安装.bat").read_bytes()
    assert b"\r\n" in bat and b"\n" not in bat.replace(b"\r\n", b"")
    text = bat.decode("gbk")  # what cmd.exe on a Chinese Windows reads
    assert '--no-index --find-links "%~dp0."' in text and "liushou[lab]" in text
    sh = (tmp_path / "install.sh").read_text(encoding="utf-8")
    assert "--no-index --find-links" in sh and "\r" not in sh
    assert (tmp_path / "说明.txt").read_bytes().startswith(b"\xef\xbb\xbf")  # Notepad reads it as UTF-8


def test_every_target_downloads_binary_wheels_only() -> None:
    build = _build_module()
    for target in build.TARGETS:
        cmd = build.target_command(Path("liushou-0.1.0-py3-none-any.whl"), target, Path("out"), dry_run=False)
        assert all(isinstance(c, str) for c in cmd)
        assert "--only-binary=:all:" in cmd and any(c.startswith("--platform=") for c in cmd) and "-c" in cmd


def _index_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError:
        return False
    return True


@pytest.mark.network
@pytest.mark.slow
def test_the_windows_python_311_set_resolves_to_binary_wheels(tmp_path: Path) -> None:
    if not _index_reachable():
        pytest.skip("no network: the package index cannot be reached")
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "wheelhouse" / "build.py"),
            "--dry-run",
            "--target",
            "win_amd64-3.11",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
