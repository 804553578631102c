"""Data in a notebook table is text, never markup: the one place tables get their HTML formatting.

pandas' ``DataFrame.to_html`` escapes cells, but a ``Styler`` renders them raw unless every ``format`` call
says ``escape="html"``, and a later ``format`` replaces an earlier one's escaping. So every styled table of
the workbooks is made here, with escaping in each formatter and on the row and column labels: a name typed
as ``<img src=x onerror=alert(1)>`` shows as those characters and runs nowhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

ESCAPE = "html"


def escaped_style(frame: pd.DataFrame, *, date_columns: Sequence[object] = ()) -> Styler:
    """``frame.style`` with thousands separators, blanks for missing values, dates as YYYY-MM-DD, and every
    cell and label HTML-escaped."""
    style = frame.style
    style.cell_ids = False  # no id on every cell: nothing styles one cell, and ids made long tables slow
    style = style.format(thousands=",", na_rep="", escape=ESCAPE)
    if len(date_columns):
        style = style.format("{:%Y-%m-%d}", subset=list(date_columns), na_rep="", escape=ESCAPE)
    return style.format_index(escape=ESCAPE, axis=0).format_index(escape=ESCAPE, axis=1)


__all__ = ["escaped_style"]
