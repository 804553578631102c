"""Small synthetic ``Person`` frames for rule tests: give only the facts a case is about, the rest is filled.

Every person gets a valid 18-digit ID (Daying's address code, the birth date, a sequence number with the
right sex digit, the MOD 11-2 check digit), a real township and village of the county, and empty optional
facts (``<NA>`` = 未采集) unless the case sets them. Synthetic people only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from liushou_core.parameters import DatedValue, Parameter, ParameterSet, load_parameters
from liushou_core.register import Person

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

# Two real townships of 大英县 (2018 codes) with two villages each.
PLACES = (
    ("510923100", "蓬莱镇", "510923100201", "梨子坝村委会"),
    ("510923100", "蓬莱镇", "510923100202", "凉湾村委会"),
    ("510923101", "隆盛镇", "510923101201", "赵坝村委会"),
    ("510923101", "隆盛镇", "510923101241", "飞钟村委会"),
)


def make_id(birth: dt.date, sex: str, seq: int, address: str = "510923") -> str:
    """A valid GB 11643 number for a synthetic person."""
    body_seq = seq % 50 * 2 + (1 if sex == "男" else 0)
    body_seq = body_seq if sex == "男" else body_seq + 2
    body = f"{address}{birth:%Y%m%d}{seq // 50 % 10}{body_seq % 100:02d}"
    check = _CHECK[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]
    return body + check


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def person_frame(rows: Sequence[Mapping[str, Any]], *, reference_date: str = "2017-12-31") -> pd.DataFrame:
    """A register frame validated by :class:`Person`; each row needs ``birth_date`` (ISO text or date)."""
    records = []
    ref = dt.date.fromisoformat(reference_date)
    for i, given in enumerate(rows):
        birth = _date(given["birth_date"])
        sex = given.get("sex", "男")
        township_code, township, village_code, village = PLACES[given.get("place", i % len(PLACES))]
        age = ref.year - birth.year - ((ref.month, ref.day) < (birth.month, birth.day))
        category = given.get("category") or (
            "留守儿童" if age < 16 else "留守老人" if age >= 60 else "留守妇女"
        )
        rec: dict[str, Any] = {field: pd.NA for field in Person.to_schema().columns}
        rec.update(
            row_key=f"test.xlsx|Sheet1|{i + 2}",
            id_number=make_id(birth, sex, i),
            name=f"测试{i + 1}",
            sex=sex,
            birth_date=pd.Timestamp(birth),
            age=max(age, 0),
            township_code=township_code,
            township=township,
            village_code=village_code,
            village=village,
            category=category,
            source_file="test.xlsx",
            source_sheet="Sheet1",
            source_row=i + 2,
        )
        rec.update({k: v for k, v in given.items() if k not in ("place", "birth_date")})
        records.append(rec)
    df = pd.DataFrame.from_records(records, columns=list(Person.to_schema().columns))
    for col in ("agreement_date", "last_visit_date"):
        df[col] = pd.to_datetime(df[col])
    df["months_away"] = df["months_away"].astype("Int64")
    text_cols = [
        c for c, col in Person.to_schema().columns.items() if str(col.dtype) == "str" and col.nullable
    ]
    for c in text_cols:
        df[c] = df[c].astype("string")
    return Person.validate(df)


def with_value(name: str, value: Any, params: ParameterSet | None = None) -> ParameterSet:
    """The shipped parameters with one plain parameter set to ``value`` from its first date on, marked as an
    assumption (a test's "what if the bureau decides otherwise")."""
    base = params or load_parameters()
    p = base.parameter(name)
    assert isinstance(p, Parameter)
    first = p.values[0]
    stored = tuple(value) if isinstance(value, list) else value
    entry = DatedValue(first.start, stored, first.reference, True, "测试中的另一种取值")
    changed = replace(p, series=replace(p.series, values=(entry,)))
    return ParameterSet(base.root, {**base.items, name: changed})
