"""``python -m liushou_core`` is the ``liushou`` command (for a Python whose scripts folder is not on PATH)."""

from __future__ import annotations

import sys

from liushou_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
