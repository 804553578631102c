"""The sample county's answer key: the expected fate of every input row (docs/pipeline.md, last section).

One row per input row — the same rows the intake counts — with ``source_file, source_sheet, source_row,
fate, rule, category, id_number, mistakes``. Written beside the returns as ``_answer_key.csv`` (UTF-8 with
BOM; the leading underscore keeps the intake from reading it as a return).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from liushou_core.issues import RULES, SKIP_RULES
from liushou_core.register import CATEGORIES

FILE_NAME = "_answer_key.csv"
FATES = ("verified", "pending", "duplicate", "skipped")


class AnswerKey(pa.DataFrameModel):
    """One row per input row of the sample's returns, with what the cleaner should make of it."""

    source_file: Series[str]
    source_sheet: Series[str]  # "" for a CSV
    source_row: Series[int] = pa.Field(ge=1)
    fate: Series[str] = pa.Field(isin=list(FATES))
    rule: Series[str]  # skip rule, the pending error, "duplicate", or "" for verified rows
    category: Series[str] = pa.Field(isin=[*CATEGORIES, ""])
    id_number: Series[str] = pa.Field(str_matches=r"^(\d{17}[\dX])?$")
    mistakes: Series[str]  # ";"-joined warning/info rule codes injected in the row

    @pa.dataframe_check
    @classmethod
    def rule_fits_fate(cls, df: pd.DataFrame) -> Series[bool]:
        """Skipped rows carry a skip rule, pending rows an error rule, duplicates ``duplicate``."""
        errors = {c for c, r in RULES.items() if r.severity == "error"}
        return (
            ((df["fate"] == "skipped") & df["rule"].isin(SKIP_RULES))
            | ((df["fate"] == "pending") & df["rule"].isin(errors))
            | ((df["fate"] == "duplicate") & (df["rule"] == "duplicate"))
            | ((df["fate"] == "verified") & (df["rule"] == ""))
        )

    @pa.dataframe_check
    @classmethod
    def verified_rows_have_a_category(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["fate"] == "verified") == (df["category"] != "")

    @pa.dataframe_check
    @classmethod
    def mistakes_are_rule_codes(cls, df: pd.DataFrame) -> Series[bool]:
        codes = df["mistakes"].str.split(";").explode()
        ok = codes.eq("") | codes.isin(list(RULES))
        return ok.groupby(level=0).all()

    @pa.dataframe_check
    @classmethod
    def one_row_per_input_row(cls, df: pd.DataFrame) -> bool:
        return not df.duplicated(["source_file", "source_sheet", "source_row"]).any()

    class Config:
        strict = True
        coerce = True


COLUMNS = list(AnswerKey.to_schema().columns)


def write_key(key: pd.DataFrame, out: Path) -> Path:
    """Write the key as ``out/_answer_key.csv`` (UTF-8 with BOM, so Excel opens it right)."""
    path = out / FILE_NAME
    AnswerKey.validate(key).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def read_key(path: Path) -> pd.DataFrame:
    """Read a key written by :func:`write_key` (every column as text but the row number)."""
    key = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    key["source_row"] = key["source_row"].astype(int)
    return AnswerKey.validate(key)
