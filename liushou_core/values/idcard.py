"""公民身份号码 (GB 11643-1999): normalise, upgrade, validate and build resident ID numbers, column-wise.

An ID is 6 address digits (GB/T 2260 county code), 8 birth-date digits (YYYYMMDD), a 3-digit sequence
whose last digit gives the sex (odd = 男, even = 女), and an ISO 7064 MOD 11-2 check character
(policy.md §8). Legacy 15-digit numbers (YYMMDD, no check character) are upgraded by inserting "19" and
appending the check character.

:func:`parse_ids` applies the rules of docs/pipeline.md §"Normalisation" in their order; each status maps to
the issue rule ``"id_" + status`` (``checksum`` → ``id_checksum``). Work is done on numpy arrays of digits so
a million IDs take a few seconds.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
from pandera.typing import Series

from liushou_core.paths import DATA_DIR
from liushou_core.values.dates import date_parts, ymd_to_dates
from liushou_core.values.text import compact_text, mask_middle

#: ISO 7064 MOD 11-2 weights of the 17 body digits, left to right (W_i = 2^(i-1) mod 11 counted from the right).
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
#: Check character for Y = (Σ a_i·W_i) mod 11 = 0 … 10.
CHECK_CHARS = "10X98765432"
_CHECK_LOOKUP = np.array(list(CHECK_CHARS), dtype=object)

#: An ID whose holder would be older than this at the reference date is rejected (policy.md §8: the
#: 15→18 upgrade assumes 19xx, so a 19th-century birth would show up as an impossible age).
MAX_AGE = 115

#: Outcomes of :func:`parse_ids`, in the order the rules are applied (docs/pipeline.md).
STATUSES = ("missing", "excel_mangled", "format", "checksum", "birth_date", "address", "valid")

# How Excel shows a number too long for its 15 significant digits: 5.10923E+17, 5.10923198001011e+17.
_SCIENTIFIC = r"[0-9]+(?:\.[0-9]*)?[eE]\+?[0-9]+"
_ID18 = r"[0-9]{17}[0-9X]"
_ID15 = r"[0-9]{15}"


class ParsedIds(pa.DataFrameModel):
    """One row per input cell of :func:`parse_ids`, on the input's index."""

    id_number: Series[str] = pa.Field(nullable=True, str_matches=r"^[0-9]{17}[0-9X]$")
    id_status: Series[str] = pa.Field(isin=list(STATUSES))
    id_upgraded: Series[bool]
    id_normalised: Series[bool]
    birth_date: Series[pd.Timestamp] = pa.Field(nullable=True)
    sex: Series[str] = pa.Field(nullable=True, isin=["男", "女"])
    id_clean: Series[str] = pa.Field(nullable=True)

    @pa.dataframe_check
    @classmethod
    def valid_rows_have_identity(cls, df: pd.DataFrame) -> pd.Series:
        """A valid row has an ID, a birth date and a sex; any other row has none of them."""
        valid = df["id_status"] == "valid"
        known = df["id_number"].notna() & df["birth_date"].notna() & df["sex"].notna()
        unknown = df["id_number"].isna() & df["birth_date"].isna() & df["sex"].isna()
        return (valid & known) | (~valid & unknown)


def normalise_id_text(s: pd.Series) -> pd.Series:
    """NFKC (full-width → half-width), drop every whitespace character, ``x`` → ``X``; empty → ``<NA>``.

    A leading apostrophe — how Excel users force a cell to text, kept by some CSV exports — is dropped too.
    """
    return (
        compact_text(s)
        .str.replace("x", "X", regex=False)
        .str.replace(r"^'", "", regex=True)
        .replace("", pd.NA)
    )


def _digits(text: pd.Series, width: int) -> np.ndarray:
    """An ``(n, width)`` int array of the characters of ``n`` ASCII texts of exactly ``width`` characters."""
    raw = np.asarray(text.to_numpy(dtype=object), dtype=f"S{width}")
    return raw.view(np.uint8).reshape(-1, width).astype(np.int64) - ord("0")


def _check_chars(digits17: np.ndarray) -> np.ndarray:
    """Check characters (object array of str) of an ``(n, 17)`` digit array."""
    return _CHECK_LOOKUP[(digits17 @ WEIGHTS) % 11]


def _fullmatch(text: pd.Series, pattern: str) -> pd.Series:
    return text.str.fullmatch(pattern).fillna(False).astype(bool)


def check_digit(body17: pd.Series) -> pd.Series:
    """The MOD 11-2 check character of each 17-digit body; ``<NA>`` where the body is not 17 digits."""
    body = body17.astype("string")
    ok = _fullmatch(body, r"[0-9]{17}")
    out = pd.Series(pd.NA, index=body.index, dtype="string")
    if ok.any():
        out[ok] = _check_chars(_digits(body[ok], 17))
    return out


def upgrade_15(ids15: pd.Series) -> pd.Series:
    """18-digit form of 15-digit IDs: "19" after the address code, then the check character.

    ``<NA>`` where the value is not 15 digits.
    """
    t = ids15.astype("string")
    ok = _fullmatch(t, _ID15)
    body = (t.str.slice(0, 6) + "19" + t.str.slice(6)).where(ok)
    return body + check_digit(body)


@lru_cache(maxsize=1)
def known_address_codes() -> frozenset[str]:
    """Every 6-digit code GB/T 2260 ever had, current or historic (province, prefecture and county level).

    Sources (``data/ADDRESS_CODES_README.md``): the table python-stdnum ships (``stdnum/cn/loc.dat``, LGPL;
    read at run time, not copied), plus ``data/gbt2260_extra_codes.csv``, the historic codes that table
    lacks. Year ranges are ignored on purpose: an ID keeps the code it was issued with, and a code can be
    issued to people born before the county existed (大英县 510923 was created in 1997).
    """
    from stdnum import numdb

    codes: set[str] = set()
    for length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        if length != 2 or low != high:
            raise RuntimeError(f"python-stdnum's cn/loc table has an unexpected province entry {low}-{high}")
        for child_length, child_low, child_high, _child_props, _grandchildren in children:
            if child_length != 4:
                raise RuntimeError(f"python-stdnum's cn/loc table has an unexpected entry {low}{child_low}")
            codes.update(f"{low}{n:04d}" for n in range(int(child_low), int(child_high) + 1))
    extra = pd.read_csv(DATA_DIR / "gbt2260_extra_codes.csv", dtype="string", keep_default_na=False)
    codes.update(extra["code"])
    return frozenset(codes)


@lru_cache(maxsize=1)
def _known_address_table() -> np.ndarray:
    """``table[n]`` says whether the 6-digit code ``n`` (as a number) is a known address code."""
    table = np.zeros(1_000_000, dtype=bool)
    table[np.array(sorted(known_address_codes()), dtype=np.int64)] = True
    return table


# ----- the column as bytes -------------------------------------------------------------------------------
# IDs almost never repeat, so they are not parsed per distinct value: the whole column is read as the bytes
# of one Arrow array. A cell of 18 (or 15) ASCII digits is 18 (or 15) bytes, so its digits are a row of a
# numpy matrix gathered at the cell's offset; a non-ASCII character has bytes ≥ 0x80 and is never a digit.

_ZERO, _NINE, _X = ord("0"), ord("9"), ord("X")
_CHECK_BYTES = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)


def _single_array(s: pd.Series) -> pa_arrow.Array:
    """The text as one Arrow ``large_string`` array (chunks combined)."""
    arr = pa_arrow.array(s.astype("string").array, type=pa_arrow.large_string())
    return arr.combine_chunks() if isinstance(arr, pa_arrow.ChunkedArray) else arr


def _id_shaped(arr: pa_arrow.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which cells are 17 digits + ``[0-9X]`` and which are 15 digits, and the ``(18, n)`` bytes of each.

    Columns of the byte matrix are cells: the 18 bytes of an 18-character ID, or the 15 bytes of a
    15-digit one (followed by zeros); other cells are all zeros.
    """
    n = len(arr)
    _, offset_buffer, data_buffer = arr.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    length = np.diff(offsets)
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    out = np.zeros((18, n), dtype=np.uint8)
    shaped = []
    for width in (18, 15):
        rows = np.flatnonzero(valid & (length == width))
        if len(data) >= width and len(rows):
            # One row of a sliding-window view per cell start: a gather of n × width bytes, no index matrix.
            b = np.lib.stride_tricks.sliding_window_view(data, width)[offsets[rows]].T
        else:
            b = np.zeros((width, 0), dtype=np.uint8)
        digit = (b >= _ZERO) & (b <= _NINE)
        ok = digit.all(axis=0) if width == 15 else digit[:17].all(axis=0) & (digit[17] | (b[17] == _X))
        mask = np.zeros(n, dtype=bool)
        mask[rows[ok]] = True
        out[:width, mask] = b[:, ok]
        shaped.append(mask)
    return shaped[0], shaped[1], out


def parse_ids(raw: pd.Series, reference_date: dt.date) -> pd.DataFrame:
    """Validate ID cells; a :class:`ParsedIds` frame on the same index.

    Rules, first that applies (docs/pipeline.md §"Normalisation"), after :func:`normalise_id_text`:

    - empty → ``missing``;
    - scientific notation (``5.10923E+17``) → ``excel_mangled``;
    - 18 characters ending in ``000`` with a failing check character → ``excel_mangled`` (Excel kept 15
      significant digits and padded with zeros);
    - neither 15 digits nor 17 digits + ``[0-9X]`` → ``format``;
    - 15 digits are upgraded to 18 (``id_upgraded`` when the result is valid);
    - wrong check character → ``checksum``;
    - birth date not a real date, after ``reference_date``, or an age above :data:`MAX_AGE` at it →
      ``birth_date``;
    - address code never in GB/T 2260 → ``address``;
    - otherwise ``valid``: ``id_number``, ``birth_date`` and ``sex`` (17th digit odd = 男) are filled.

    ``id_normalised`` says the normalised text differs from the cell (spaces, full-width, ``x``); the
    ``id_normalised`` issue is for valid IDs only. ``id_clean`` is the normalised text, for messages.
    """
    arr = _single_array(raw)
    n = len(arr)
    is18, is15, raw_bytes = _id_shaped(arr)
    # An ID-shaped cell (ASCII digits, X) is already in normal form: only the others are normalised.
    rest = ~(is18 | is15)
    normalised = np.zeros(n, dtype=bool)
    clean_arr = arr
    if rest.any():
        before = pd.Series(pd.arrays.ArrowStringArray(arr.filter(pa_arrow.array(rest))), dtype="string")
        after = normalise_id_text(before)
        normalised[rest] = (after.notna() & (after != before).fillna(True)).to_numpy(dtype=bool)
        after_arr = _single_array(after)
        clean_arr = _replaced(arr, rest, after_arr)
        rest18, rest15, rest_bytes = _id_shaped(after_arr)
        is18[rest], is15[rest] = rest18, rest15
        raw_bytes[:, rest] = rest_bytes
    clean = pd.Series(pd.arrays.ArrowStringArray(clean_arr), index=raw.index, dtype="string")
    missing = ~np.asarray(clean_arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    well_formed = is18 | is15
    other = ~missing & ~well_formed
    scientific = np.zeros(n, dtype=bool)
    if other.any():
        scientific[other] = _fullmatch(clean[other], _SCIENTIFIC).to_numpy()

    # Candidate 18-digit text of every well-formed row: the cell itself, or its 15→18 upgrade.
    candidate = clean.where(is18)
    digits = raw_bytes  # (18, n) bytes, one column per cell
    if is15.any():
        upgraded = upgrade_15(clean[is15])
        candidate[is15] = upgraded
        digits[:, is15] = (
            np.frombuffer("".join(upgraded.tolist()).encode("ascii"), np.uint8).reshape(-1, 18).T
        )
    # Digit values; the check character is compared as a byte (it may be X).
    d = [digits[i].astype(np.int32) - _ZERO for i in range(17)]
    total = np.zeros(n, dtype=np.int32)
    for i, w in enumerate(WEIGHTS):
        total += d[i] * int(w)
    check_ok = well_formed & (_CHECK_BYTES[total % 11] == digits[17])
    mangled = is18 & ~check_ok & (digits[15:18] == _ZERO).all(axis=0)

    year = d[6] * 1000 + d[7] * 100 + d[8] * 10 + d[9]
    month, day = d[10] * 10 + d[11], d[12] * 10 + d[13]
    birth = ymd_to_dates(np.where(check_ok, year, -1), month, day)
    ref = pd.Timestamp(reference_date)
    # Age in completed years (as dates.age_at counts it), from the digits.
    age = ref.year - year - ((ref.month * 100 + ref.day) < (month * 100 + day))
    birth_ok = ~np.isnat(birth) & (birth <= ref.to_datetime64()) & (age <= MAX_AGE)

    address = d[0] * 100_000 + d[1] * 10_000 + d[2] * 1000 + d[3] * 100 + d[4] * 10 + d[5]
    address_ok = well_formed & _known_address_table()[np.where(well_formed, address, 0)]

    status = np.select(
        [missing, scientific | mangled, ~well_formed, ~check_ok, ~birth_ok, ~address_ok],
        list(range(len(STATUSES) - 1)),
        default=len(STATUSES) - 1,
    )
    valid = status == len(STATUSES) - 1
    return pd.DataFrame(
        {
            "id_number": candidate.where(valid),
            "id_status": _labels(status, STATUSES, clean.index),
            "id_upgraded": is15 & valid,
            "id_normalised": normalised,
            "birth_date": pd.Series(np.where(valid, birth, np.datetime64("NaT")), index=clean.index),
            "sex": _labels(np.where(valid, d[16] % 2 == 0, -1), ("男", "女"), clean.index),
            "id_clean": clean,
        },
        index=raw.index,
    )


def _replaced(arr: pa_arrow.Array, where: np.ndarray, values: pa_arrow.Array) -> pa_arrow.Array:
    """``arr`` with the cells where ``where`` holds replaced, in order, by ``values``."""
    out = pc.replace_with_mask(arr, pa_arrow.array(where), values)
    return out.combine_chunks() if isinstance(out, pa_arrow.ChunkedArray) else out


def _labels(codes: np.ndarray, labels: tuple[str, ...], index: pd.Index) -> pd.Series:
    """Codes into ``labels`` (``-1`` → ``<NA>``) as a ``string`` Series, through an Arrow dictionary."""
    indices = pa_arrow.array(codes, type=pa_arrow.int8(), mask=codes < 0)
    text = pa_arrow.DictionaryArray.from_arrays(indices, pa_arrow.array(labels, pa_arrow.large_string()))
    return pd.Series(
        pd.arrays.ArrowStringArray(text.cast(pa_arrow.large_string())), index=index, dtype="string"
    )


def make_id(address: str, birth: dt.date, seq: int) -> str:
    """A valid 18-digit ID for an address code, a birth date and a sequence number 0–999 (odd = 男)."""
    if len(address) != 6 or not address.isascii() or not address.isdigit():
        raise ValueError(f"address code must be 6 digits, not {address!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"sequence number must be 0–999, not {seq}")
    body = f"{address}{birth:%Y%m%d}{seq:03d}"
    return body + CHECK_CHARS[int(np.array([int(c) for c in body]) @ WEIGHTS) % 11]


def make_ids(address: pd.Series, birth: pd.Series, seq: pd.Series) -> pd.Series:
    """Vectorised :func:`make_id` over aligned Series (address codes, birth dates, sequence numbers)."""
    addr = address.astype("string")
    if not _fullmatch(addr, r"[0-9]{6}").all():
        raise ValueError("every address code must be 6 digits")
    seqs = np.asarray(seq.to_numpy(), dtype=np.int64)
    if ((seqs < 0) | (seqs > 999)).any():
        raise ValueError("every sequence number must be 0–999")
    year, month, day, known = date_parts(birth)
    if not known.all():
        raise ValueError("every birth date must be known")
    ymd = pd.Series(year * 10000 + month * 100 + day, index=addr.index).astype("string").str.zfill(8)
    body = addr + ymd + pd.Series(seqs, index=addr.index).astype("string").str.zfill(3)
    return body + check_digit(body)


def mask_id(s: pd.Series) -> pd.Series:
    """Keep the first 6 and last 4 characters, the rest ``*`` (``510923********1234``); ``<NA>`` stays."""
    return mask_middle(s, 6, 4)
