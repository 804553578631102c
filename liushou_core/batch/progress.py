"""The batch's progress bar: a live bar on a terminal, one plain line per finished notebook in a log file.

tqdm redraws its bar with carriage returns, which a log file keeps as one endless line, and the batch used
to redraw it twice per notebook (once for the count, once for the failures). :class:`Progress` redraws
once per update on a terminal and, when the output is not a terminal (``liushou run … > run.log``), writes
one readable line per finished notebook instead.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, TextIO


class Progress:
    """Progress of ``total`` notebooks, written to ``stream`` (stderr by default); silent when not ``enabled``."""

    def __init__(self, total: int, description: str, *, enabled: bool = True, stream: TextIO | None = None):
        self.total = total
        self.description = description
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self._bar: Any = None
        if enabled and _is_terminal(self.stream):
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit="本", file=self.stream)

    def advance(self, failures: int = 0) -> None:
        """One more notebook finished; ``failures`` is how many have failed so far."""
        self.done += 1
        if not self.enabled:
            return
        failed = f"失败 {failures}" if failures else ""
        if self._bar is not None:
            self._bar.set_postfix_str(failed, refresh=False)  # drawn once, by the update
            self._bar.update(1)
            return
        tail = f"，{failed}" if failed else ""
        print(f"{self.description}：{self.done}/{self.total} 本{tail}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


__all__ = ["Progress"]
