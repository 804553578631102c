"""How the notebooks show tables: short lists whole, long lists summarised, data as text."""

from __future__ import annotations

import re

import pandas as pd
from IPython.display import HTML

from liushou_core.workbooks.display import FIRST_ROWS, PAGE_ROWS, show


def _register(rows: int) -> pd.DataFrame:
    villages = ["梨子坝村委会", "凉湾村委会", "红旗村委会"]
    return pd.DataFrame(
        {
            "村（社区）": [villages[i % 3] for i in range(rows)],
            "姓名": [f"张{i}" for i in range(rows)],
            "年龄（周岁）": [i % 90 for i in range(rows)],
        }
    )


def _html(shown: object) -> str:
    return shown.data if isinstance(shown, HTML) else shown.to_html()  # type: ignore[attr-defined]


def _row_counts(html: str) -> list[int]:
    return [len(re.findall(r"<tr", t)) - 1 for t in re.findall(r"<table.*?</table>", html, flags=re.S)]


def test_no_table_on_a_page_has_more_than_500_rows() -> None:
    html = _html(show(_register(3857)))
    counts = _row_counts(html)
    assert counts and max(counts) <= PAGE_ROWS
    assert FIRST_ROWS in counts  # the first rows are shown …
    assert "共 3,857 行" in html and "Excel 台账" in html  # … and the reader is told where the rest is


def test_a_long_list_is_summarised_by_village_with_every_row_counted() -> None:
    html = _html(show(_register(1000)))
    summary = re.findall(r"<td[^>]*>(梨子坝村委会|凉湾村委会|红旗村委会)</td>\s*<td[^>]*>(\d+)</td>", html)
    by_village = {v: int(n) for v, n in summary}
    assert by_village == {"梨子坝村委会": 334, "凉湾村委会": 333, "红旗村委会": 333}


def test_a_list_of_500_rows_is_shown_whole() -> None:
    assert _row_counts(_html(show(_register(PAGE_ROWS)))) == [PAGE_ROWS]


def test_text_from_a_return_is_shown_as_text_not_markup() -> None:
    table = pd.DataFrame({"姓名": ["<script>alert(1)</script>", "<b>李四</b>"]})
    html = _html(show(table))
    assert "<script>" not in html and "<b>李四" not in html
    assert "&lt;script&gt;" in html


def test_a_table_is_styled_by_column_not_cell_by_cell() -> None:
    html = _html(show(_register(PAGE_ROWS)))
    assert not re.search(r"_row\d+_col\d+", html)  # no per-cell rule or id
    assert re.search(r"td\.col1 \{\s*text-align: left;", html)  # 姓名 reads from the left …
    assert re.search(r"td\.col1 \{\s*white-space: nowrap;", html)  # … on one line
    assert not re.search(r"td\.col2 \{", html)  # numbers keep their alignment
    assert len(html) < 200 * PAGE_ROWS
