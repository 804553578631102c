"""The sample county end to end: people → mistakes → duplicates → layout → returns + answer key.

:func:`build_county` generates Daying County as the bureau would receive it (PRODUCT.md §3): eleven township
returns whose verified register is exactly the seed's 20,898 = 6,049 + 1,604 + 13,245 for every seed, plus
pending, duplicate and skipped rows; :func:`write_county` writes its returns and gives the answer key
(:mod:`.write` writes a whole sample, or a county of any size for benchmarks); :func:`synthetic_people` gives
the clean people alone, as a frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from liushou_core.sample import geography, mistakes, people
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
