"""Masking: what a department copy shows of a person.

Applied to every table before it is rendered, in this order:

1. a list keeps only the columns its profile allows (:func:`allowed_columns`);
2. ID numbers keep their first 6 and last 4 characters (``510923********1234``,
   :func:`liushou_core.values.idcard.mask_id`), phone numbers their first 3 and last 4 (``138****5678``,
   :func:`liushou_core.values.text.mask_phone`), whatever the profile says;
3. names follow the profile: ``full`` keeps them (a department acting on a child must find the child),
   ``surname`` keeps the first character and always two ``*`` (``张**``, whatever the name's length);
4. every other text cell — and every row and column label — goes through
   :func:`liushou_core.values.redact.redact_series`, so a number typed into a free-text field (详情 quoting the
   guardian's ID, a village name) is masked too.

The bundle is then scanned file by file (:mod:`.scan`) before it is published.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from liushou_core.values.idcard import mask_id
from liushou_core.values.redact import redact_series, redact_text
from liushou_core.values.text import mask_phone

#: Columns holding ID numbers, phone numbers and people's names (the person's, the guardian's, the visitor's).
ID_COLUMNS = ("id_number", "guardian_id_number")
PHONE_COLUMNS = ("phone", "guardian_phone")
NAME_COLUMNS = ("name", "guardian_name", "visitor")

#: The masking applied to every copy, as printed on its cover page.
MASKING_RULES: tuple[str, ...] = (
    "身份证号只保留前6位和后4位，中间以“*”代替（如 510923********1234）",
    "电话号码只保留前3位和后4位（如 138****5678）",
    "人员名单只提供本部门所需的列（见各表表头）；出生日期（以年龄代替）、备注和报表来源不提供",
    "其他文字中出现的11位及以上的数字串（如手机号、身份证号）一律按上述规则遮盖",
)


def allowed_columns(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Only ``columns`` of a list, in that order (a column the rule did not produce is left out)."""
    return frame[[c for c in columns if c in frame.columns]]


def mask_names(s: pd.Series) -> pd.Series:
    """Keep a name's first character (the surname, in most names) and always two ``*``: ``张三丰``, ``张三``
    and ``张三丰子`` all become ``张**``, so the mask does not tell how long the given name is."""
    text = s.astype("string")
    return (text.str.slice(0, 1) + "**").where(text.str.len() > 0, text)


def _scrub_text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
        return s
    return redact_series(s)


def mask_list(frame: pd.DataFrame, columns: Sequence[str], *, names: str) -> pd.DataFrame:
    """A person list as a department may see it (steps 1–4 of the module docstring); field-named columns."""
    out = allowed_columns(frame, columns).copy()
    for c in out.columns:
        if c in ID_COLUMNS:
            out[c] = mask_id(out[c])
        elif c in PHONE_COLUMNS:
            out[c] = mask_phone(out[c])
        elif c in NAME_COLUMNS and names == "surname":
            out[c] = mask_names(out[c])
        else:
            out[c] = _scrub_text(out[c])
    return out


def mask_summary(table: pd.DataFrame) -> pd.DataFrame:
    """A summary table with every text cell and every row and column label scrubbed (step 4)."""
    out = table.copy()
    for c in out.columns:
        out[c] = _scrub_text(out[c])
    out.columns = [redact_text(str(c)) for c in out.columns]
    if not pd.api.types.is_numeric_dtype(out.index):
        out.index = pd.Index([redact_text(str(i)) for i in out.index], name=out.index.name)
    return out


__all__ = ["ID_COLUMNS", "MASKING_RULES", "NAME_COLUMNS", "PHONE_COLUMNS", "mask_list", "mask_names",
           "mask_summary"]  # fmt: skip
