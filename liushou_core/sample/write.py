"""Writing the sample county: a round's returns, its answer key and (for a following round) its change key.

:func:`write_sample` writes Daying County as the bureau would receive it (PRODUCT.md §3), or a following
survey round of it (:mod:`.rounds`); :func:`write_large_csv` writes a county of any size as UTF-8 CSV returns
for benchmarks. Both build the county with :mod:`.county`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from liushou_core.errors import LiushouError
from liushou_core.sample import geography, people
from liushou_core.sample.answer_key import FILE_NAME as KEY_FILE
from liushou_core.sample.answer_key import write_key
from liushou_core.sample.county import build_county, write_county
from liushou_core.sample.rounds import (
    CHANGES_KEY,
    FIRST_ROUND,
    build_round,
    describe_changes,
    write_changes_key,
)
from liushou_core.sample.styles import ReturnStyle


@dataclass(frozen=True)
class SampleResult:
    """What :func:`write_sample` wrote."""

    out: Path
    files: tuple[Path, ...]
    key: pd.DataFrame
    styles: tuple[ReturnStyle, ...]
    changes: pd.DataFrame | None = None  # a following round's change key (see .rounds)

    def describe(self) -> str:
        """A short Chinese summary: files, rows by fate, the expected register by category and township."""
        k = self.key
        fates = k["fate"].value_counts()
        verified = k[k["fate"] == "verified"]
        by_cat = verified["category"].value_counts()
        by_file = verified.groupby("source_file").size()
        n_xlsx = sum(s.fmt == "xlsx" for s in self.styles)
        encodings = "、".join(sorted({s.encoding.upper() for s in self.styles if s.fmt == "csv"}))
        kinds = f"{n_xlsx} 个 Excel 工作簿，{len(self.styles) - n_xlsx} 个 {encodings} 编码 CSV"
        lines = [
            f"已在 {self.out} 写出 {len(self.files)} 个乡镇报表（{kinds}）及答案表 _answer_key.csv。",
            f"共 {len(k):,} 行：核实 {fates.get('verified', 0):,}、待核实 {fates.get('pending', 0):,}、"
            f"重复 {fates.get('duplicate', 0):,}、跳过（空行、合计、表头、表尾）{fates.get('skipped', 0):,}。",
            "预期核实名册 "
            + f"{len(verified):,} 人："
            + "、".join(f"{c} {by_cat.get(c, 0):,}" for c in people.SEED_COUNTS)
            + "。",
            "按乡镇："
            + "、".join(f"{s.township} {int(by_file.get(s.file_name, 0)):,}" for s in self.styles)
            + "。",
        ]
        if self.changes is not None:
            lines.append(describe_changes(self.changes))
        return "\n".join(lines)


def _prepare(out: Path) -> None:
    """Make ``out`` ready for a sample: remove the returns of an earlier sample written there (listed in its
    answer key), and refuse a folder holding other returns, which the cleaner would read along with ours."""
    if out.exists() and not out.is_dir():
        raise LiushouError(f"输出位置 {out} 已存在且不是文件夹，请换一个文件夹")
    if not out.exists():
        return
    old_key = out / KEY_FILE
    ours = set()
    if old_key.exists():
        ours = set(
            pd.read_csv(old_key, dtype=str, keep_default_na=False, encoding="utf-8-sig")["source_file"]
        )
    others = sorted(
        p.name
        for p in out.iterdir()
        if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".csv")
        and not p.name.startswith(("_", ".", "~$"))
        and p.name not in ours
    )
    if others:
        raise LiushouError(
            f"输出文件夹 {out} 中已有其他报表（{'、'.join(others[:3])} 等），请指定一个空文件夹"
        )
    for name in ours:
        (out / name).unlink(missing_ok=True)


def write_sample(out: Path, seed: int = 2018, survey_round: int = 2018) -> SampleResult:
    """Write the sample county (Daying, 2017 year-end survey) into ``out``: returns and ``_answer_key.csv``.

    ``survey_round`` 2019 or later writes a following round of the same seed instead (the survey of the end
    of ``survey_round − 1``, in the 2019 division list; see :mod:`.rounds`), with ``_changes_key.csv``, the
    truth of every change since the round before. A sample written there before is replaced; a folder holding
    other returns is refused.
    """
    out = Path(out)
    if survey_round < FIRST_ROUND:
        raise LiushouError(f"样本县的第一轮是 {FIRST_ROUND} 年（2017 年底摸排），不能生成 {survey_round} 年")
    _prepare(out)
    (out / CHANGES_KEY).unlink(missing_ok=True)
    if survey_round == FIRST_ROUND:
        county = build_county(people.SEED_COUNTS, seed)
        files, key = write_county(county, out)
        write_key(key, out)
        return SampleResult(out, tuple(files), key, tuple(county.styles))
    r = build_round(seed, survey_round)
    with geography.using(r.vintage):
        files, key = write_county(r.county, out)
    write_key(key, out)
    write_changes_key(r.changes, out)
    return SampleResult(out, tuple(files), key, tuple(r.county.styles), r.changes)


def write_large_csv(out: Path, n: int, seed: int) -> SampleResult:
    """A county of ``n`` verified people (split like the seed) as UTF-8 CSV returns, one per township,
    with the same mistakes, duplicates and extra rows as the sample, and its answer key. For benchmarks."""
    out = Path(out)
    _prepare(out)
    county = build_county(people.split_counts(n), seed, csv_only=True, encoding="utf-8")
    files, key = write_county(county, out)
    write_key(key, out)
    return SampleResult(out, tuple(files), key, tuple(county.styles))


__all__ = ["SampleResult", "write_large_csv", "write_sample"]
