"""Object columns for the generator's frames.

pandas 3 turns every array of Python strings assigned to a frame into its Arrow-backed ``str`` dtype, and
back to objects whenever numpy needs it; at a million rows those round trips cost more than the generator
itself. The generator's working frames therefore hold text as plain object columns (``None`` = empty cell).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _array(values: object) -> np.ndarray:
    if isinstance(values, pd.Series):
        text = values.dtype == object or isinstance(values.dtype, pd.StringDtype)
        return values.to_numpy(dtype=object, na_value=None) if text else values.to_numpy()
    return np.asarray(values)


def object_column(values: object, index: pd.Index) -> pd.Series:
    """Text ``values`` as an object column on ``index`` (no string-dtype inference)."""
    return pd.Series(np.asarray(_array(values), dtype=object), index=index, dtype=object)


def object_frame(columns: dict[str, object], index: pd.Index | None = None) -> pd.DataFrame:
    """A frame whose text arrays stay object columns; numeric and datetime arrays keep their dtype."""
    out = {}
    for name, v in columns.items():
        arr = _array(v)
        text = arr.dtype.kind in "OUS"
        out[name] = pd.Series(
            arr.astype(object) if text else arr, index=index, dtype=object if text else None
        )
    return pd.DataFrame(out, index=index)
