"""How big a return may be before it is read: a file refused by its size costs one message, not the machine.

A return is read whole into memory and every sheet is laid out as a full grid, so a file's size, what its
zip unpacks to and a sheet's extent (rows × columns, from its first cell to its last) decide the memory it
takes. The limits are far above any township's return (the largest county sheet holds a few thousand rows of
40 columns) and far below what would exhaust a bureau's computer: a stray cell typed at XFD1048576 makes an
8 KB workbook a 17-billion-cell grid, a zip bomb unpacks 2 MB into gigabytes, a damaged copy can be a 2 GB
file of zeros.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def size_text(n: int) -> str:
    """``12.5 MB``-style size for messages (binary units, as Windows shows them)."""
    for unit, shift in (("GB", 30), ("MB", 20), ("KB", 10)):
        if n >= 1 << shift:
            return f"{n / (1 << shift):.1f} {unit}"
    return f"{n} 字节"
