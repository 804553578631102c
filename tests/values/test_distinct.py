"""A rule evaluated once per distinct value gives, row for row, what it gives evaluated on every row."""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pandas as pd
from hypothesis import given, settings

from liushou_core.values import text
from liushou_core.values.distinct import combine_codes, factorize, mostly_distinct, per_combination, per_value

cells = st.lists(
    st.one_of(st.none(), st.sampled_from(["回马", " 回马镇", "ｘ１", "", "外出务工", "金竹 村"])), max_size=40
)


@settings(max_examples=50, deadline=None)
@given(values=cells)
def test_a_text_rule_per_distinct_value_equals_the_rule_on_every_row(values: list[str | None]) -> None:
    s = pd.Series(values, dtype="string", index=pd.RangeIndex(len(values)) * 3)
    pd.testing.assert_series_equal(per_value(text.normalise_text, s), text.normalise_text(s))


@settings(max_examples=50, deadline=None)
@given(values=cells)
def test_a_rule_that_returns_several_columns_is_spread_column_by_column(values: list[str | None]) -> None:
    s = pd.Series(values, dtype="string")
    pd.testing.assert_frame_equal(per_value(text.normalise_phone, s), text.normalise_phone(s))


def test_missing_cells_get_what_the_rule_gives_a_missing_cell() -> None:
    s = pd.Series([None, "a", None], dtype="string")
    out = per_value(lambda v: v.isna(), s)
    assert out.tolist() == [True, False, True]


def test_codes_number_the_distinct_values_and_mark_missing_cells() -> None:
    codes, uniques = factorize(pd.Series(["b", None, "a", "b"], dtype="string"))
    assert codes.tolist() == [0, -1, 1, 0]
    assert uniques.tolist() == ["b", "a"]


@settings(max_examples=50, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(["x", "y", None]), st.integers(0, 3)), max_size=40))
def test_a_rule_of_several_cells_per_distinct_combination_equals_the_rule_on_every_row(
    pairs: list[tuple[str | None, int]],
) -> None:
    frame = pd.DataFrame(
        {
            "word": pd.Series([p[0] for p in pairs], dtype="string"),
            "n": pd.Series([p[1] for p in pairs], dtype="Int64"),
        }
    )

    def rule(f: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"joined": f["word"].fillna("-") + f["n"].astype("string")}, index=f.index)

    pd.testing.assert_frame_equal(per_combination(rule, frame), rule(frame))


def test_combined_codes_are_one_per_combination_with_its_first_row() -> None:
    codes, first = combine_codes([np.array([0, 1, 0, 0]), np.array([0, 0, 0, -1])], [2, 1])
    assert codes.tolist() == [0, 1, 0, 2]
    assert first.tolist() == [0, 1, 3]


def test_a_column_of_names_is_recognised_as_mostly_distinct_and_a_vocabulary_is_not() -> None:
    n = 50_000
    assert mostly_distinct(pd.Series([f"张{i}" for i in range(n)], dtype="string"))
    assert not mostly_distinct(pd.Series(["外出务工", "在家"] * (n // 2), dtype="string"))
