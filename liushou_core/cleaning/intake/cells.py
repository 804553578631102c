"""Spreadsheet cell values → text, the way ``docs/pipeline.md`` §"Intake conventions" fixes it.

Every cell of a return becomes text (or ``<NA>`` when empty) before anything else looks at it, so that
the cleaner sees one representation whatever program wrote the file:

- strings as they are (not stripped — cleaning does that), ``""`` → ``<NA>``;
- integral numbers below 1e15 → ``str(int(v))`` (a serial number ``3.0`` reads ``3``, a 15-digit ID stored
  as a number reads exactly); other numbers → ``format(v, ".15g")``, so an 18-digit ID that Excel stored as
  a number reads ``5.10923198001011e+17`` — it has already lost its last digits and the cleaner says so;
- dates → ``YYYY-MM-DD``; datetimes → ``YYYY-MM-DD``, or ``YYYY-MM-DD HH:MM:SS`` when the time is not
  midnight; times of day → ``HH:MM:SS``; durations → ``H:MM:SS``;
- booleans → ``TRUE`` / ``FALSE``.

The conversion dispatches on the type of each cell over the whole sheet at once (numpy masks), not cell by
cell; only the rare time-of-day and duration cells go through a Python function.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Integral numbers at or above this magnitude are written like any other float (``.15g``): 1e15 is where
#: an 18-digit ID stored as a number starts, and where a float stops holding every integer exactly.
INTEGRAL_LIMIT = 1e15

# Cell kinds by exact type: a bool is an int and a datetime is a date, but each is written differently.
_EMPTY, _STR, _NUM, _BOOL, _DATETIME, _DATE, _OTHER = range(7)
_KINDS: dict[type, int] = {
    type(None): _EMPTY, str: _STR, float: _NUM, int: _NUM, bool: _BOOL, dt.datetime: _DATETIME, dt.date: _DATE,
}  # fmt: skip
_kind_of = np.frompyfunc(lambda v: _KINDS.get(type(v), _OTHER), 1, 1)


def _time_text(value: dt.time) -> str:
    return value.strftime("%H:%M:%S")


def _duration_text(value: dt.timedelta) -> str:
    seconds = round(value.total_seconds())
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _other_text(value: object) -> str | None:
    if isinstance(value, dt.time):
        return _time_text(value)
    if isinstance(value, dt.timedelta):
        return _duration_text(value)
    text = str(value)
    return text or None


_other_texts = np.frompyfunc(_other_text, 1, 1)


def number_texts(values: np.ndarray) -> np.ndarray:
    """Numbers → text: integral and below 1e15 → ``str(int(v))``, else ``format(v, ".15g")``."""
    nums = np.asarray(values, dtype=np.float64)
    out = np.empty(nums.shape, dtype=object)
    with np.errstate(invalid="ignore"):
        integral = np.isfinite(nums) & (nums == np.trunc(nums)) & (np.abs(nums) < INTEGRAL_LIMIT)
    # astype(int64) turns -0.0 into 0, which is what Excel shows
    out[integral] = nums[integral].astype(np.int64).astype(str).astype(object)
    out[~integral] = np.char.mod("%.15g", nums[~integral]).astype(object)
    return out


def _datetime_texts(values: np.ndarray, *, with_time: bool) -> np.ndarray:
    stamps = pd.DatetimeIndex(list(values))
    day = np.asarray(stamps.strftime("%Y-%m-%d"), dtype=object)
    if not with_time:
        return day
    has_time = np.asarray(stamps != stamps.normalize())
    if has_time.any():
        day[has_time] = np.asarray(stamps[has_time].strftime("%Y-%m-%d %H:%M:%S"), dtype=object)
    return day


def cell_texts(values: np.ndarray) -> np.ndarray:
    """An object array of cell values (any shape) → an object array of ``str`` or ``None`` (empty)."""
    flat = np.asarray(values, dtype=object).ravel()
    out = np.full(flat.shape, None, dtype=object)
    if flat.size == 0:
        return out.reshape(np.shape(values))
    kinds = _kind_of(flat).astype(np.int8)
    is_str, is_num, is_bool = kinds == _STR, kinds == _NUM, kinds == _BOOL
    is_datetime, is_date, is_other = kinds == _DATETIME, kinds == _DATE, kinds == _OTHER

    strings = flat[is_str]
    out[is_str] = np.where(strings == "", None, strings)
    if is_num.any():
        out[is_num] = number_texts(flat[is_num])
    if is_bool.any():
        out[is_bool] = np.where(flat[is_bool].astype(bool), "TRUE", "FALSE").astype(object)
    if is_datetime.any():
        out[is_datetime] = _datetime_texts(flat[is_datetime], with_time=True)
    if is_date.any():
        out[is_date] = _datetime_texts(flat[is_date], with_time=False)
    if is_other.any():
        out[is_other] = _other_texts(flat[is_other])
    return out.reshape(np.shape(values))


def fill_merged_down(
    cells: np.ndarray, merged: Sequence[tuple[tuple[int, int], tuple[int, int]]] | None
) -> np.ndarray:
    """Repeat the value of each merged area down its first column (a copy; ``cells`` is not changed).

    A cell merged over several rows (a township or village written once for a block of people) shows its
    value on every one of those rows in Excel, so each row gets it. Spreadsheet readers give the value only
    to the top-left cell; a merge across columns keeps it there, so a wide title or header cell is not
    repeated sideways (that would read as a duplicated column).
    """
    out = cells.copy()
    if not merged:
        return out
    height = out.shape[0]
    for (top, left), (bottom, _right) in merged:
        if bottom > top and top < height and left < out.shape[1]:
            out[top + 1 : min(bottom, height - 1) + 1, left] = out[top, left]
    return out
