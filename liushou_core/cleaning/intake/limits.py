"""How big a return may be before it is read: a file refused by its size costs one message, not the machine.

A return is read whole into memory and every sheet is laid out as a full grid, so a file's size, what its
zip unpacks to and a sheet's extent (rows × columns, from its first cell to its last) decide the memory it
takes. The limits are far above any township's return (the largest county sheet holds a few thousand rows of
40 columns) and far below what would exhaust a bureau's computer: a stray cell typed at XFD1048576 makes an
8 KB workbook a 17-billion-cell grid, a zip bomb unpacks 2 MB into gigabytes, a damaged copy can be a 2 GB
file of zeros.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import yaml

from liushou_core.errors import ConfigError
from liushou_core.paths import params_dir


@dataclass(frozen=True)
class Limits:
    """The most intake reads of one return."""

    #: bytes of one file on disk
    file_bytes: int = 256 << 20
    #: bytes an .xlsx unpacks to (all its parts together)
    unpacked_bytes: int = 1 << 30
    #: how many times a part may unpack to its packed size, once it is larger than ``ratio_from`` bytes
    #: (sheet XML packs 5–30 times; a run of zeros 1,000 times)
    ratio: int = 200
    ratio_from: int = 16 << 20
    #: cells of one sheet's extent (rows × columns from A1 to its last cell)
    sheet_cells: int = 5_000_000


DEFAULT_LIMITS = Limits()
#: the keys of ``intake_limits:`` in params/survey.yaml → (field, multiplier)
_SETTINGS = {
    "file_mb": ("file_bytes", 1 << 20),
    "unpacked_mb": ("unpacked_bytes", 1 << 20),
    "ratio": ("ratio", 1),
    "sheet_cells": ("sheet_cells", 1),
}


def load_limits() -> Limits:
    """The limits set in ``intake_limits:`` of params/survey.yaml (any key left out keeps its default)."""
    path = params_dir() / "survey.yaml"
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    raw = data.get("intake_limits") if isinstance(data, dict) else None
    if raw is None:
        return DEFAULT_LIMITS
    if not isinstance(raw, dict) or set(raw) - set(_SETTINGS):
        raise ConfigError(f"{path} 的 intake_limits 只能有 {'、'.join(_SETTINGS)}，每项一个正整数")
    values: dict[str, int] = {}
    for key, value in raw.items():
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"{path} 的 intake_limits.{key} 应为正整数，而不是“{value}”")
        field, unit = _SETTINGS[key]
        values[field] = value * unit
    return replace(DEFAULT_LIMITS, **values)


def size_text(n: int) -> str:
    """``12.5 MB``-style size for messages (binary units, as Windows shows them)."""
    for unit, shift in (("GB", 30), ("MB", 20), ("KB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n} 字节"
