"""Resident ID numbers for invented people: unique, valid, and the legacy and broken forms cadres type.

Built on :mod:`liushou_core.values.idcard` (GB 11643 MOD 11-2); this module only adds what a generator needs:
unique sequence numbers and the written forms of an ID (15-digit, full-width, spaced, Excel-mangled).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from liushou_core.values import idcard

_MAX_ROUNDS = 100


def unique_ids(
    address: np.ndarray, birth: np.ndarray, male: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Valid 18-digit IDs, all different: random sequence numbers (odd for 男, even for 女, never 000),
    redrawn where two people of the same address code and birth date drew the same one.

    The 17-digit body is an int64 and the check character is computed digit by digit (GB 11643 MOD 11-2,
    the weights of :data:`liushou_core.values.idcard.WEIGHTS`): a million IDs take well under a second.
    """
    n = len(address)
    male = np.asarray(male, dtype=bool)  # the 17th digit: odd for 男, even for 女
    days = np.asarray(birth).astype("datetime64[D]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    month = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    stem = np.asarray(address).astype(np.int64) * 10**11 + (year * 10000 + month * 100 + day) * 1000
    seq = np.where(male, 2 * rng.integers(0, 500, n) + 1, 2 * rng.integers(1, 500, n))
    for _ in range(_MAX_ROUNDS):
        dup = pd.Series(stem + seq).duplicated().to_numpy()
        if not dup.any():
            return id_strings(stem + seq)
        k = int(dup.sum())
        seq[dup] = np.where(male[dup], 2 * rng.integers(0, 500, k) + 1, 2 * rng.integers(1, 500, k))
    raise RuntimeError("could not draw unique ID numbers; too many people for one address code and day")


_CHECK = np.array(list(idcard.CHECK_CHARS))


def _chunk_tables() -> np.ndarray:
    """``T[k][v]``: the weighted digit sum of the 3-digit chunk ``v`` at chunk ``k`` from the right of a
    17-digit body (chunk 5 has only two digits)."""
    w_from_right = np.append(idcard.WEIGHTS[::-1], 0)  # digit j from the right has weight W[16 - j]
    v = np.arange(1000)
    digits = np.stack([v % 10, v // 10 % 10, v // 100], axis=1)  # units, tens, hundreds
    return np.stack([digits @ w_from_right[3 * k : 3 * k + 3] for k in range(6)])


_CHUNKS = _chunk_tables()


def id_strings(body: np.ndarray) -> np.ndarray:
    """18-character IDs (object array) from 17-digit int64 bodies: the body and its MOD 11-2 check character,
    summed three digits at a time through lookup tables."""
    total = np.zeros(len(body), dtype=np.int64)
    rest = np.asarray(body, dtype=np.int64)
    for k in range(6):
        rest, chunk = np.divmod(rest, 1000)
        total += _CHUNKS[k][chunk]
    return np.char.add(body.astype("U17"), _CHECK[total % 11]).astype(object)


def check_char(body17: pd.Series) -> pd.Series:
    """The MOD 11-2 check character of 17-digit bodies."""
    return idcard.check_digit(body17.astype("string"))


def to_15(id18: pd.Series) -> pd.Series:
    """The legacy 15-digit form (address, YYMMDD, sequence; no check character) of IDs of people born 19xx."""
    s = id18.astype("string")
    return s.str[:6] + s.str[8:17]


def full_width(text: pd.Series) -> pd.Series:
    """Digits and X as typed with a Chinese input method in full-width mode (０-９, Ｘ)."""
    table = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
    return text.astype("string").str.translate(table)


def spaced(id18: pd.Series) -> pd.Series:
    """``510923 19800101 1234``: spaces between the address, birth date and the rest."""
    s = id18.astype("string")
    return s.str[:6] + " " + s.str[6:14] + " " + s.str[14:]


def excel_display(id18: pd.Series) -> pd.Series:
    """What Excel shows for an ID stored as a number in a General cell (and writes to CSV): ``5.10923E+17``."""
    s = id18.astype("string")
    mantissa = (s.str[0] + "." + s.str[1:6]).str.replace(r"\.?0+$", "", regex=True)
    return mantissa + "E+17"


def excel_number(id18: pd.Series) -> pd.Series:
    """The number Excel keeps for an 18-digit ID typed into a number cell: 15 significant digits."""
    return (id18.astype("string").str[:15] + "000").astype(float)


def excel_zeros(id18: pd.Series) -> pd.Series:
    """The text a number-formatted cell writes to CSV: the first 15 digits and ``000``."""
    return id18.astype("string").str[:15] + "000"


def valid_checksum(id18: pd.Series) -> pd.Series:
    """Whether the 18th character is the check character of the first 17 (False where not 17 digits)."""
    s = id18.astype("string")
    return (check_char(s.str[:17]) == s.str[17]).fillna(False).astype(bool)
