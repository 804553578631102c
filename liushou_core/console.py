"""Console output that never crashes on a character the console cannot show.

A Chinese Windows console, or output redirected to a file there, is encoded in cp936 (GBK); a rare
character in a person's or a village's name (生僻字 outside GBK, an emoji typed into a return) would make
``print`` raise ``UnicodeEncodeError`` and end the command after the work was done. The streams keep their
encoding — the user's console and log files stay readable — and show such a character as ``?``.
"""

from __future__ import annotations

import io
import sys


def safe_console() -> None:
    """Make ``sys.stdout`` and ``sys.stderr`` replace, not refuse, characters their encoding lacks."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="replace")
