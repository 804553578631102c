"""Distinct values: apply a rule once per distinct value (or combination of values) and spread the result back.

A county's columns repeat themselves: a million rows hold a few hundred village spellings, a few dozen
vocabulary spellings, some thirty thousand birth dates, a few thousand combinations of the facts the
definitions look at. The rules of :mod:`liushou_core.cleaning.normalise` and :mod:`liushou_core.cleaning.classify` are functions of
a cell (or of a few cells of one row), so evaluating them on the distinct values and taking the results back
by each row's code gives the same column at a fraction of the cost. The rules themselves stay where they are;
these functions only decide how often they run.

Codes come from Arrow's hash kernels (``dictionary_encode``), so the spreading is a ``take``: no Python loop
over rows, no object arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

Result = TypeVar("Result", pd.Series, pd.DataFrame)


def _arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow ``large_string`` array (no copy for a single-chunk Arrow column)."""
    arr = pa.array(values.astype("string").array)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Each row's code into the distinct values (``-1`` for missing), and the distinct values.

    Text columns are encoded by Arrow and their distinct values come back as a ``string`` Series; other
    columns go through :func:`pandas.factorize` and keep their dtype.
    """
    if isinstance(values.dtype, pd.StringDtype) or values.dtype == object:
        enc = pc.dictionary_encode(_arrow_text(values))
        codes = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        uniques = pd.Series(pd.arrays.ArrowStringArray(enc.dictionary), dtype="string")
        return codes, uniques
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.int64), pd.Series(distinct, dtype=values.dtype)


def combine_codes(codes: Sequence[np.ndarray], sizes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """One code per distinct combination of several code columns (each ``-1`` … ``size - 1``).

    Returns the combined codes (0 … k−1, in order of first appearance) and, for each combination, the
    position of the first row that has it. Columns are folded in one at a time, re-numbering after each
    fold, so the products never overflow.
    """
    n = len(codes[0]) if codes else 0
    combined = np.zeros(n, dtype=np.int64)
    for c, size in zip(codes, sizes, strict=True):
        # Both factors are below n + 1, so the product fits an int64 for any frame that fits in memory.
        folded, _ = pd.factorize(combined * (size + 1) + (c + 1))
        combined = np.asarray(folded, dtype=np.int64)
    _, first = np.unique(combined, return_index=True)  # codes are 0 … k−1: first[k] is code k's first row
    return combined, np.asarray(first, dtype=np.int64)


def spread(result: Result, codes: np.ndarray, index: pd.Index) -> Result:
    """Rows of ``result`` (one per distinct value) taken by ``codes`` and put on ``index``."""
    out = result.take(codes)
    out.index = index
    return out


#: Rows looked at to guess whether a column repeats itself enough for :func:`per_value` to pay.
SAMPLE_ROWS = 20_000
#: Below this share of distinct values in the sample, a rule is evaluated per distinct value.
REPEAT_SHARE = 0.5


def mostly_distinct(values: pd.Series) -> bool:
    """Whether a column looks like names or ID numbers (most cells different) rather than a vocabulary.

    Judged on evenly spaced rows, so the guess costs a few milliseconds whatever the column's length.
    """
    n = len(values)
    if n <= SAMPLE_ROWS:
        return False
    sample = values.iloc[:: n // SAMPLE_ROWS]
    return sample.nunique(dropna=True) > REPEAT_SHARE * len(sample)


def per_value(fn: Callable[[pd.Series], Result], values: pd.Series) -> Result:
    """``fn(values)`` computed on the distinct values only (missing included once), row for row the same.

    ``fn`` must treat each cell on its own (an elementwise rule); its result — a Series or a frame — is
    spread back onto ``values.index``. A column whose cells are mostly different is passed to ``fn`` as it
    is: encoding it would cost more than it saves.
    """
    if mostly_distinct(values):
        return fn(values)
    codes, uniques = factorize(values)
    inputs = pd.concat([uniques, pd.Series([pd.NA], dtype=uniques.dtype)], ignore_index=True)
    inputs.name = values.name
    computed = fn(inputs)
    return spread(computed.reset_index(drop=True), np.where(codes < 0, len(uniques), codes), values.index)


def per_combination(fn: Callable[[pd.DataFrame], Result], frame: pd.DataFrame) -> Result:
    """``fn(frame)`` computed once per distinct combination of the frame's columns, spread back to its rows.

    ``fn`` must treat each row on its own (a rule that looks at several cells of one row).
    """
    if len(frame) == 0:
        return fn(frame)
    parts = [factorize(frame[c]) for c in frame.columns]
    combined, first = combine_codes([c for c, _ in parts], [len(u) for _, u in parts])
    computed = fn(frame.iloc[first].reset_index(drop=True))
    return spread(computed, combined, frame.index)


__all__ = ["combine_codes", "factorize", "mostly_distinct", "per_combination", "per_value", "spread"]
