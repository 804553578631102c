"""The verified register (``people.parquet``): one row per verified person, and its schema.

Values are canonical: official township and village names and codes, 18-digit ID numbers, birth date and
sex taken from the ID, vocabularies mapped through the codebook. A missing value (``<NA>``) means
"未采集" (not collected or left blank); it is never the same as "no" (否 / 未签订 / 一般).
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

CATEGORIES = ("留守儿童", "留守妇女", "留守老人")


class PersonLine(pa.DataFrameModel):
    """The identity columns every person-level list starts with (payroll, education, guardianship …)."""

    id_number: Series[str] = pa.Field(str_matches=r"^\d{17}[\dX]$")
    name: Series[str]
    sex: Series[str] = pa.Field(isin=["男", "女"])
    township_code: Series[str] = pa.Field(str_matches=r"^\d{9}$")
    township: Series[str]
    village_code: Series[str] = pa.Field(str_matches=r"^\d{12}$")
    village: Series[str]


class Person(pa.DataFrameModel):
    """A verified person of the register (PRODUCT.md §4.3)."""

    row_key: Series[str] = pa.Field(unique=True)
    id_number: Series[str] = pa.Field(unique=True, str_matches=r"^\d{17}[\dX]$")
    name: Series[str]
    sex: Series[str] = pa.Field(isin=["男", "女"])
    birth_date: Series[pd.Timestamp]
    age: Series[int] = pa.Field(ge=0, le=130)
    township_code: Series[str] = pa.Field(str_matches=r"^\d{9}$")
    township: Series[str]
    village_code: Series[str] = pa.Field(str_matches=r"^\d{12}$")
    village: Series[str]
    category: Series[str] = pa.Field(isin=list(CATEGORIES))
    category_declared: Series[str] = pa.Field(nullable=True)
    group: Series[str] = pa.Field(nullable=True)
    father_status: Series[str] = pa.Field(nullable=True)
    mother_status: Series[str] = pa.Field(nullable=True)
    husband_status: Series[str] = pa.Field(nullable=True)
    children_status: Series[str] = pa.Field(nullable=True)
    months_away: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    guardian_name: Series[str] = pa.Field(nullable=True)
    guardian_relation: Series[str] = pa.Field(nullable=True)
    guardian_id_number: Series[str] = pa.Field(nullable=True)
    guardian_phone: Series[str] = pa.Field(nullable=True)
    agreement_signed: Series[str] = pa.Field(nullable=True, isin=["已签订", "未签订"])
    agreement_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    guardianship_grade: Series[str] = pa.Field(nullable=True, isin=["较好", "一般", "差"])
    household_economy: Series[str] = pa.Field(nullable=True)  # canonical values joined by "、"
    health: Series[str] = pa.Field(nullable=True)
    disability_grade: Series[str] = pa.Field(nullable=True)
    schooling: Series[str] = pa.Field(nullable=True)
    boarding: Series[str] = pa.Field(nullable=True, isin=["是", "否"])
    phone: Series[str] = pa.Field(nullable=True)
    last_visit_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    visitor: Series[str] = pa.Field(nullable=True)
    notes: Series[str] = pa.Field(nullable=True)
    source_file: Series[str]
    source_sheet: Series[str] = pa.Field(nullable=True)
    source_row: Series[int] = pa.Field(ge=1)

    class Config:
        strict = "filter"
        coerce = True
