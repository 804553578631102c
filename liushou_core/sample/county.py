"""The sample county end to end: people → mistakes → duplicates → layout → returns + answer key.

:func:`write_sample` writes Daying County as the bureau would receive it (PRODUCT.md §3): eleven township
returns whose verified register is exactly the seed's 20,898 = 6,049 + 1,604 + 13,245 for every seed, plus
pending, duplicate and skipped rows, and ``_answer_key.csv``. :func:`write_large_csv` writes a county of any
size as UTF-8 CSV returns for benchmarks, with the same generator; :func:`synthetic_people` gives the clean
people alone, as a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from liushou_core.errors import LiushouError
from liushou_core.sample import geography, mistakes, people
from liushou_core.sample.answer_key import FILE_NAME as KEY_FILE
from liushou_core.sample.answer_key import write_key
from liushou_core.sample.columns import object_column
from liushou_core.sample.layout import layout
from liushou_core.sample.returns import key_rows, render_file, write_csv, write_workbook
from liushou_core.sample.styles import ReturnStyle, draw_styles
from liushou_core.values import divisions
from liushou_core.values.codebook import FIELDS

#: Truth columns :func:`synthetic_people` adds to the template fields.
TRUTH_COLUMNS = (
    "true_id_number",
    "true_category",
    "true_township_code",
    "true_village_code",
    "true_age",
    "true_sex",
    "true_birth_date",
)


@dataclass(frozen=True)
class County:
    """A generated county before it is written: township styles, the people (and copies), the row layout."""

    seed: int
    styles: list[ReturnStyle]
    plan: pd.DataFrame
    rows: pd.DataFrame


def build_county(
    counts: dict[str, int], seed: int, *, csv_only: bool = False, encoding: str = "gbk"
) -> County:
    """Generate a county whose verified register has exactly ``counts`` people per category."""
    rng = np.random.default_rng(seed)
    survey = people.Survey.default()
    styles = draw_styles(
        rng,
        csv_only=csv_only,
        encoding=encoding,
        cadres=people.cadre_names(2 * len(geography.townships()), rng),
    )
    verified = people.county_slots(counts, rng).assign(scenario="verified", age=np.nan)
    pending = mistakes.pending_slots(sum(counts.values()), styles, rng)
    slots = pd.concat([verified, pending], ignore_index=True)
    p = people.fill(slots, survey, rng)
    p["scenario"] = object_column(slots["scenario"], p.index)
    p = mistakes.apply_fact_mistakes(p, rng)
    p = mistakes.mark_cell_mistakes(p, styles, rng)
    plan = pd.concat([p, mistakes.duplicate_copies(p, styles, rng)])
    return County(seed, styles, plan, layout(plan, styles, rng))


def write_county(county: County, out: Path) -> tuple[list[Path], pd.DataFrame]:
    """Write every return of ``county`` into ``out`` and return the files and the answer key."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([county.seed, 1])
    files, keys = [], []
    for style in county.styles:  # eleven townships
        rows = county.rows[county.rows["township_code"] == style.township_code]
        text, typed, alias = render_file(rows, county.plan, style, rng)
        path = out / style.file_name
        if style.fmt == "xlsx":
            write_workbook(path, rows, text, typed, style)
        else:
            write_csv(path, text, style, style.encoding)
        files.append(path)
        keys.append(key_rows(rows, county.plan, alias, style))
    key = pd.concat(keys, ignore_index=True)
    return files, key


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
            from liushou_core.sample.rounds import describe_changes

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
    from liushou_core.sample.rounds import CHANGES_KEY, FIRST_ROUND, build_round, write_changes_key

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


def synthetic_people(n: int, seed: int) -> pd.DataFrame:
    """``n`` clean, verified people (split between the categories like the seed) as a clean return would list
    them: the template fields in canonical values and ``string`` dtype (official names, 18-digit IDs, ISO
    dates), plus the truth columns of :data:`TRUTH_COLUMNS`. Vectorised: a million people take seconds."""
    rng = np.random.default_rng(seed)
    slots = people.county_slots(people.split_counts(n), rng)
    p = people.fill(slots, people.Survey.default(), rng)
    tnames = divisions.townships().set_index("township_code")["township"]
    vnames = divisions.load_divisions().set_index("village_code")["village"]
    columns: dict[str, pd.Series] = {}
    for f in FIELDS:
        if f == "township":
            values = p["township_code"].map(tnames)
        elif f == "village":
            values = p["village_code"].map(vnames)
        elif f == "category_declared":
            values = p["category"]
        elif f in ("birth_date", "agreement_date", "last_visit_date"):
            values = pd.to_datetime(p[f]).dt.strftime("%Y-%m-%d")
        elif f in ("group", "months_away"):
            values = p[f].astype("Int64").astype("string")
        else:
            values = p[f]
        columns[f] = _string(values)
    truth = {"true_id_number": "id_number", "true_category": "category", "true_township_code": "township_code",
             "true_village_code": "village_code", "true_age": "age", "true_sex": "sex", "true_birth_date": "birth_date"}  # fmt: skip
    for col, src in truth.items():
        columns[col] = _string(p[src]) if p[src].dtype == object else p[src]
    return pd.DataFrame(columns)


def _string(values: pd.Series) -> pd.Series:
    """A ``string`` column built through pyarrow (pandas' own conversion of a million texts is far slower)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values.astype("string")
    raw = values.to_numpy() if values.dtype == object else values.to_numpy(dtype=object, na_value=None)
    arr = pa.array(raw, type=pa.large_string(), from_pandas=True)
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=values.index)
