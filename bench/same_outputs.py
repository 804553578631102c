"""Do two runs of the demo give the same outputs? For a change that should not change what anyone receives.

    python bench/same_outputs.py OLD_DEMO NEW_DEMO

``OLD_DEMO`` and ``NEW_DEMO`` are two ``make demo`` output folders (``sample/``, ``run/``, ``payroll/``,
``shared/``) made from the same sample by two versions of the package. Compared, file by file:

- every ``.parquet`` (people, pending, issues, rows, files, the payroll): frames equal, dtypes included;
- ``summary.json``: equal as JSON;
- every ``.xlsx`` (the workbooks' ledgers, the payroll 花名册, the department copies): every cell's value
  (formulas as written);
- every ``.html`` (the township and county workbooks, the department pages): the text of every table, row by
  row, and then all visible text (charts, scripts and styles left out).

The time a file was made and the demo folder's own path are masked before comparing. Prints each difference
and exits 1 if there is one.
"""

from __future__ import annotations

import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd

#: A timestamp (生成时间) or a path inside one of the two demo folders.
_VOLATILE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?")


class _PageText(HTMLParser):
    """The visible text of a page, and its tables as rows of cell texts."""

    def __init__(self, mask: re.Pattern[str]) -> None:
        super().__init__()
        self.mask = mask
        self.hidden = 0
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._table: list[list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag == "table":
            self._table = []
        elif tag == "tr" and self._table is not None:
            self._table.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1
        elif tag == "table" and self._table is not None:
            self.tables.append(self._table)
            self._table = None

    def handle_data(self, data: str) -> None:
        text = self.mask.sub("·", data.strip())
        if self.hidden or not text:
            return
        self.text.append(text)
        if self._table:
            self._table[-1].append(text)


def _mask(old: Path, new: Path) -> re.Pattern[str]:
    folders = "|".join(re.escape(str(p.resolve())) for p in (old, new))
    return re.compile(f"{_VOLATILE.pattern}|{folders}")


def _cells(path: Path, mask: re.Pattern[str]) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(path)
    return {
        ws.title: [[mask.sub("·", c.value) if isinstance(c.value, str) else c.value for c in row]
                   for row in ws.iter_rows()]
        for ws in book.worksheets
    }  # fmt: skip


def _frame(path: Path, mask: re.Pattern[str]) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    for c in frame.columns:
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]):
            frame[c] = frame[c].map(lambda v: mask.sub("·", v) if isinstance(v, str) else v)
    return frame


def _page(path: Path, mask: re.Pattern[str]) -> _PageText:
    page = _PageText(mask)
    page.feed(path.read_text(encoding="utf-8"))
    return page


def difference(old: Path, new: Path, rel: Path, mask: re.Pattern[str]) -> str | None:
    """How ``rel`` differs between the two folders, or None (also for a kind of file not compared)."""
    a, b = old / rel, new / rel
    if rel.suffix == ".parquet":
        try:
            pd.testing.assert_frame_equal(_frame(a, mask), _frame(b, mask))
        except AssertionError as exc:
            return str(exc)[:300]
    elif rel.suffix == ".xlsx":
        ca, cb = _cells(a, mask), _cells(b, mask)
        sheets = [s for s in dict.fromkeys([*ca, *cb]) if ca.get(s) != cb.get(s)]
        if sheets:
            rows = [
                (i, x, y)
                for i, (x, y) in enumerate(zip(ca.get(sheets[0], []), cb.get(sheets[0], []), strict=False))
                if x != y
            ]
            return f"sheets {sheets}; first rows that differ: {rows[:2]}"
    elif rel.suffix == ".html":
        pa, pb = _page(a, mask), _page(b, mask)
        if pa.tables != pb.tables:
            return "tables differ"
        if pa.text != pb.text:
            return f"text differs: {[(x, y) for x, y in zip(pa.text, pb.text, strict=False) if x != y][:3]}"
    elif rel.name == "summary.json" and json.loads(a.read_text(encoding="utf-8")) != json.loads(
        b.read_text(encoding="utf-8")
    ):
        return "summary differs"
    return None


def main(argv: list[str]) -> int:
    old, new = Path(argv[0]), Path(argv[1])
    mask = _mask(old, new)
    files = {p.relative_to(old) for p in old.rglob("*") if p.is_file()}
    others = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    differences = [f"only in {old if p in files else new}: {p}" for p in sorted(files ^ others)]
    compared: dict[str, int] = {}
    for rel in sorted(files & others):
        if rel.suffix in (".parquet", ".xlsx", ".html") or rel.name == "summary.json":
            compared[rel.suffix] = compared.get(rel.suffix, 0) + 1
            found = difference(old, new, rel, mask)
            if found:
                differences.append(f"{rel}: {found}")
    print("\n".join(differences))
    print(f"compared {compared}; {len(differences)} differ")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
