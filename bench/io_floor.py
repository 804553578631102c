"""The I/O floor of a cleaning: read the same returns and write them as parquet, nothing else.

What ``liushou clean`` cannot do faster than: every return read with the reader the intake uses, every cell as
text, and written as one parquet file per return.

- CSV: :func:`pyarrow.csv.read_csv`, every column as text, in the file's own encoding (UTF-8, GBK… as the
  intake detects it: :func:`liushou_core.cleaning.intake.sheets.decode_csv`, whose guess is passed to
  ``ReadOptions(encoding=…)``), the rows as they are (no header detection, no padding of ragged lines);
- workbooks (``.xlsx``/``.xls``): python-calamine, the reader the intake uses, every worksheet's used range
  turned into text columns (``str`` of each cell) and written as one parquet file per sheet.

Run in a fresh process so its time and peak memory (``VmHWM``) are its own; prints one JSON line.

    .venv/bin/python bench/io_floor.py RETURNS_FOLDER
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import python_calamine

from liushou_core.cleaning.intake.sheets import decode_csv
from liushou_core.cleaning.intake.sources import find_sources

CSV_SUFFIXES = {".csv", ".txt"}
BOOK_SUFFIXES = {".xlsx", ".xlsm", ".xls"}


def _csv(data: bytes) -> pa.Table:
    # The intake decodes by trying encodings in turn; the floor uses the one it finds, like a reader told it.
    head = data[: 1 << 20]
    head = head[: head.rfind(b"\n") + 1] or head  # whole lines: a character is not cut in two
    encoding = decode_csv(head)[1] if data else "utf-8"
    # the body's width (the most common among the first lines): a title line is set aside, as the intake does
    lines = data[:65536].split(b"\n")[:64]
    width = Counter(line.count(b",") + 1 for line in lines if line.strip()).most_common(1)[0][0]
    names = [str(i) for i in range(width)]
    return pa_csv.read_csv(
        io.BytesIO(data),
        read_options=pa_csv.ReadOptions(
            column_names=names, encoding=encoding.replace("-sig", ""), use_threads=True
        ),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda _: "skip"),
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )


def _sheets(data: bytes) -> list[pa.Table]:
    tables = []
    with python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)) as book:
        for position, meta in enumerate(book.sheets_metadata):
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            rows = book.get_sheet_by_index(position).to_python(skip_empty_area=False)
            width = max((len(r) for r in rows), default=0)
            tables.append(
                pa.table(
                    {
                        str(j): pa.array([str(r[j]) if j < len(r) else None for r in rows])
                        for j in range(width)
                    }
                )
            )
    return tables


def peak_rss_mib() -> int:
    """This process's peak resident memory (``VmHWM``), in MiB.

    Not ``ru_maxrss``: Linux keeps it across ``exec``, so a child started by a large process (the payroll
    started by the cleaning's process) would report its parent's peak.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def floor(returns: Path, out: Path) -> dict[str, Any]:
    """Read every return under ``returns`` and write it as parquet under ``out``; how long and how much."""
    sources = find_sources([returns]).sources
    start = time.perf_counter()
    rows = written = 0
    for i, source in enumerate(sources):
        data = source.path.read_bytes()
        suffix = source.path.suffix.lower()
        if suffix in CSV_SUFFIXES:
            tables = [_csv(data)]
        elif suffix in BOOK_SUFFIXES:
            tables = _sheets(data)
        else:
            continue
        del data
        for j, table in enumerate(tables):
            pq.write_table(table, out / f"{i}-{j}.parquet")
            rows += table.num_rows
            written += 1
        del tables
    seconds = time.perf_counter() - start
    return {
        "files": len(sources),
        "rows": rows,
        "parquet_files": written,
        "seconds": round(seconds, 2),
        "peak_rss_mib": peak_rss_mib(),
        "load_before": None,
    }


def main() -> int:
    load = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="liushou-floor-") as tmp:
        result = floor(Path(sys.argv[1]), Path(tmp))
    result["load_before"] = load
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
