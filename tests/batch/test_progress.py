"""The progress bar in a log file: one line per finished notebook, no carriage-return redraws."""

from __future__ import annotations

import io

from liushou_core.batch.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_in_a_log_file_each_finished_notebook_is_one_line() -> None:
    log = io.StringIO()
    with Progress(3, "乡镇工作簿", stream=log) as bar:
        bar.advance(0)
        bar.advance(1)
        bar.advance(1)
    assert log.getvalue().splitlines() == [
        "乡镇工作簿：1/3 本",
        "乡镇工作簿：2/3 本，失败 1",
        "乡镇工作簿：3/3 本，失败 1",
    ]
    assert "\r" not in log.getvalue()


def test_a_disabled_bar_writes_nothing() -> None:
    log = _Terminal()
    with Progress(2, "乡镇工作簿", enabled=False, stream=log) as bar:
        bar.advance(0)
        bar.advance(0)
    assert log.getvalue() == ""


def test_on_a_terminal_each_update_is_drawn_once() -> None:
    screen = _Terminal()
    with Progress(3, "乡镇工作簿", stream=screen) as bar:
        bar._bar.mininterval = 0  # draw every update, however fast
        bar.advance(0)
        bar.advance(1)
        bar.advance(1)  # closing redraws the last state only
    drawn = screen.getvalue()
    assert drawn.count(" 1/3 ") == 1 and drawn.count(" 2/3 ") == 1, drawn
