"""The last gate of a department copy: read back every file and look for whole ID and mobile numbers.

Masking (:mod:`.masking`) should leave none; this check does not trust it. Every file of the bundle is read
as its recipient's software would see it: HTML, JSON, CSV and text as UTF-8; an ``.xlsx`` (a zip) member by
member, so the sheet XML and the shared strings are read as text. It looks for

- a **valid 18-digit ID number** (GB 11643: check character, a real birth date, a known address code —
  :func:`liushou_core.values.idcard.parse_ids`) anywhere in the text, even inside a longer run of digits;
- an **11-digit mobile number** (``1[3-9]`` and 9 more digits) standing alone;
- either of them written in groups (``510923-2010-0616-0238``, ``138 0520 1145``, dots, full-width digits and
  separators: :func:`liushou_core.values.redact.digit_groups`) or with HTML character references.

A finding is reported with the number masked, so the error message itself leaks nothing.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from liushou_core.errors import LiushouError
from liushou_core.values.idcard import parse_ids
from liushou_core.values.redact import digit_groups, redact_text

_ID_CANDIDATE = re.compile(r"(?=([0-9]{17}[0-9Xx]))")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_ASCII = str.maketrans("０１２３４５６７８９ｘＸ", "0123456789xX")
_FULL_WIDTH = re.compile("[０-９ｘＸ]")


def _plain(text: str) -> str:
    """The text as a reader sees it: character references resolved, full-width digits as ASCII ones."""
    text = html.unescape(text)
    return text.translate(_ASCII) if _FULL_WIDTH.search(text) else text  # translate is slow on long text


class PersonalDataLeak(LiushouError):  # noqa: N818 - the name says what was found
    """Raised when a department copy about to be published still holds a whole ID or mobile number."""


@dataclass(frozen=True)
class Finding:
    """A whole ID or mobile number found in a file (``member``: the part of a zip), shown masked."""

    file: str
    member: str
    kind: str  # 身份证号 | 手机号码
    masked: str

    def describe(self) -> str:
        """One Chinese line: where and what (masked)."""
        where = f"{self.file}（{self.member}）" if self.member else self.file
        return f"{where}：{self.kind} {self.masked}"


def _texts(path: Path) -> Iterator[tuple[str, str]]:
    """(member, text) of a file: each member of a zip (xlsx), else the whole file."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                yield info.filename, z.read(info).decode("utf-8", errors="replace")
    else:
        yield "", path.read_bytes().decode("utf-8", errors="replace")


def valid_ids_in(text: str, on: dt.date | None = None) -> list[str]:
    """Every valid 18-digit ID number in ``text`` (overlapping windows of digits included, and numbers
    written in groups)."""
    text = _plain(text)
    grouped = {d.upper() for d, _ in digit_groups(text) if len(d) == 18}
    candidates = sorted({m.group(1).upper() for m in _ID_CANDIDATE.finditer(text)} | grouped)
    if not candidates:
        return []
    parsed = parse_ids(pd.Series(candidates, dtype="string"), on or dt.date.today())
    return [c for c, ok in zip(candidates, parsed["id_status"] == "valid", strict=True) if ok]


def mobiles_in(text: str) -> list[str]:
    """Every 11-digit mobile number standing alone in ``text``, or written in groups."""
    text = _plain(text)
    grouped = {d for d, _ in digit_groups(text) if len(d) == 11 and _MOBILE.fullmatch(d)}
    return sorted(set(_MOBILE.findall(text)) | grouped)


def scan_file(path: Path, name: str | None = None) -> list[Finding]:
    """Whole ID and mobile numbers in one file."""
    name = name or path.name
    found: list[Finding] = []
    for member, text in _texts(path):
        found += [Finding(name, member, "身份证号", redact_text(i)) for i in valid_ids_in(text)]
        found += [Finding(name, member, "手机号码", redact_text(m)) for m in mobiles_in(text)]
    return found


def scan_folder(folder: Path) -> list[Finding]:
    """Whole ID and mobile numbers in every file under ``folder`` (names relative to it)."""
    folder = Path(folder)
    found: list[Finding] = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        found += scan_file(path, path.relative_to(folder).as_posix())
    return found


def check_folder(folder: Path) -> None:
    """Raise :class:`PersonalDataLeak` listing (masked) what :func:`scan_folder` finds, if anything."""
    found = scan_folder(folder)
    if found:
        lines = "\n  ".join(f.describe() for f in found[:10])
        more = f"\n  …共 {len(found)} 处" if len(found) > 10 else ""
        raise PersonalDataLeak(f"部门共享文件中仍有未遮盖的号码，已停止发布：\n  {lines}{more}")


__all__ = ["Finding", "PersonalDataLeak", "check_folder", "mobiles_in", "scan_file", "scan_folder",
           "valid_ids_in"]  # fmt: skip
