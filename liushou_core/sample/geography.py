"""The division list the sample is drawn in: the 2018 list for the first round, a later vintage after that.

Every part of the generator asks this module (not :mod:`liushou_core.values.divisions`) for the townships and villages,
so a following round (:mod:`.rounds`) can be written in the 2019 list — ten returns, 盐井街道's among them —
with the same code. The first round gets exactly the frames of :mod:`liushou_core.values.divisions`, so its returns
stay byte for byte what they were.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

import numpy as np
import pandas as pd

from liushou_core.values import crosswalk, divisions

#: The vintage of the first round (the 2017 year-end survey, coded in the 2018 list).
FIRST_VINTAGE = 2018

_VINTAGE: ContextVar[int] = ContextVar("sample_vintage", default=FIRST_VINTAGE)


def vintage() -> int:
    """The division vintage the generator draws in now."""
    return _VINTAGE.get()


@contextmanager
def using(vintage: int) -> Iterator[None]:
    """Draw in ``vintage`` (2018 or 2019) inside the ``with`` block."""
    if vintage not in crosswalk.LISTED_VINTAGES:
        raise ValueError(f"no village list for vintage {vintage}")
    token = _VINTAGE.set(vintage)
    try:
        yield
    finally:
        _VINTAGE.reset(token)


def load_divisions() -> pd.DataFrame:
    """The units of the current vintage, as :func:`liushou_core.values.divisions.load_divisions` gives them
    (``township_code``, ``township``, ``village_code``, ``village``, ``village_kind``)."""
    v = vintage()
    return divisions.load_divisions() if v == FIRST_VINTAGE else _later(v)


def townships() -> pd.DataFrame:
    """``township_code``, ``township``, ``villages`` of the current vintage, in code order."""
    v = vintage()
    return divisions.townships() if v == FIRST_VINTAGE else crosswalk.townships_at(v)


@lru_cache(maxsize=2)
def _later(vintage: int) -> pd.DataFrame:
    d = crosswalk.divisions_at(vintage).copy()
    # Last three digits 001–199 = residents' committee (社区), 200–399 = villagers' committee (村).
    kind = np.where(d["village_code"].str[-3:].astype(int).to_numpy() < 200, "社区", "村")
    d["village_kind"] = pd.Series(kind, index=d.index, dtype="string")
    return d
