"""Text as cadres type it: free text, names, multi-valued cells and phone numbers, normalised column-wise.

Every function takes a pandas Series (any dtype; values are read as text) and returns a new one on the same
index, with ``<NA>`` for empty. NFKC folds full-width letters, digits and punctuation to their plain forms
(``１３８`` → ``138``, ``，`` → ``,``, the ideographic space → a space).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Patterns are written for RE2, Arrow's regex engine, which runs on whole columns; Python's re would run
# per cell (``\x{…}`` escapes are RE2 only).

# Exactly the characters Python's str.isspace() accepts; RE2's own \s knows only ASCII whitespace.
_WHITESPACE = (
    r"[\t-\r\x1c-\x1f \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
# Zero-width characters that survive NFKC and make equal-looking cells differ.
_INVISIBLE = r"[\x{200b}-\x{200d}\x{2060}\x{feff}]"

_CJK = r"\x{3007}\x{3400}-\x{4dbf}\x{4e00}-\x{9fff}\x{f900}-\x{faff}\x{20000}-\x{3134f}"
# The middle dot of minority and foreign names (阿依古丽·买买提) is U+00B7; these are its look-alikes.
NAME_DOT = "·"
_DOT_VARIANTS = "[•・‧∙⋅]"
_NAME_GAP = rf"([{_CJK}{NAME_DOT}]){_WHITESPACE}+([{_CJK}{NAME_DOT}])"


@lru_cache(maxsize=1)
def digit_class() -> str:
    """An RE2 class of exactly the characters Python's ``\\d`` matches (Unicode decimal digits).

    RE2's own ``\\d`` is ASCII only and its ``\\p{Nd}`` follows a newer Unicode than Python's, so the class is
    built from Python's table: a rule written with it decides as Python's ``re`` would, on Arrow's engine
    (pandas falls back to ``re``, one cell at a time, for ``\\d`` on non-ASCII text). Every decimal digit
    lies below U+20000 (the planes above hold ideographs and private use), so only those are looked at.
    """
    below = "".join(map(chr, range(0x20000)))
    ranges: list[list[int]] = []
    for m in re.finditer(r"\d", below):
        c = m.start()
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "[" + "".join(rf"\x{{{a:x}}}-\x{{{b:x}}}" for a, b in ranges) + "]"


#: Separators of multi-valued cells (after NFKC, which turns ，；／ into ,;/).
MULTI_SEPARATORS = "、,，;；/"
_MULTI_SPLIT = "[、,;/ ]+"  # after normalise_text the only whitespace left is the single space

#: Area code of 遂宁市 (大英县 included): local numbers without an area code are taken to be local.
LOCAL_AREA_CODE = "0825"


def _as_text(s: pd.Series) -> pd.Series:
    """The values as pandas ``string`` (``<NA>`` for missing), without changing them."""
    return s.astype("string")


def _arrow(s: pd.Series) -> pa.Array:
    """The values as an Arrow ``large_string`` array (zero-copy for Arrow-backed ``string`` columns)."""
    return pa.array(_as_text(s).astype("string[pyarrow]").array, type=pa.large_string())


def _series(values: pa.Array, like: pd.Series) -> pd.Series:
    """An Arrow string array back as a ``string`` Series on ``like``'s index, empty text → ``<NA>``."""
    empty = pc.equal(values, "")
    values = pc.if_else(empty, pa.scalar(None, values.type), values)
    return pd.Series(pd.arrays.ArrowStringArray(values), index=like.index, name=like.name, dtype="string")


def _folded(s: pd.Series) -> pa.Array:
    """NFKC (full-width → plain) without zero-width characters."""
    return pc.replace_substring_regex(pc.utf8_normalize(_arrow(s), form="NFKC"), _INVISIBLE, "")


def normalise_text(s: pd.Series) -> pd.Series:
    """NFKC, strip, collapse each inner run of whitespace to one space; empty → ``<NA>``."""
    collapsed = pc.replace_substring_regex(_folded(s), _WHITESPACE + "+", " ")
    return _series(pc.utf8_trim(collapsed, characters=" "), s)


def compact_text(s: pd.Series) -> pd.Series:
    """NFKC and no whitespace at all (for codes and numbers: ``5109 23`` → ``510923``); empty → ``<NA>``."""
    return _series(pc.replace_substring_regex(_folded(s), _WHITESPACE + "+", ""), s)


def normalise_name(s: pd.Series) -> pd.Series:
    """A person's name: :func:`normalise_text`, look-alike dots → ``·``, no spaces between CJK characters.

    ``张 三`` → ``张三`` and ``阿依古丽 · 买买提`` → ``阿依古丽·买买提``; a space between Latin letters is
    kept (``Mary Ann``).
    """
    t = pc.replace_substring_regex(_arrow(normalise_text(s)), _DOT_VARIANTS, NAME_DOT)
    # A match consumes the character after the gap, so "张 三 丰" needs a second pass for its second gap;
    # after two passes every gap between single characters is gone.
    for _ in range(2):
        t = pc.replace_substring_regex(t, _NAME_GAP, r"\1\2")
    return _series(t, s)


def split_multi(s: pd.Series) -> pd.Series:
    """Split multi-valued cells on ``、,，;；/`` or spaces into lists of non-empty parts; empty → ``<NA>``.

    ``"低保、 临时救助；"`` → ``["低保", "临时救助"]``. Use ``.explode()`` for one row per value.
    """
    t = normalise_text(s)
    t = t.str.replace(rf"^{_MULTI_SPLIT}|{_MULTI_SPLIT}$", "", regex=True)
    t = t.mask(t == "")
    parts = t.str.split(_MULTI_SPLIT, regex=True)
    return parts.astype(object).where(t.notna(), pd.NA)


def extract_ints(text: pd.Series, pattern: str) -> pd.DataFrame:
    """Named groups of a regular expression (RE2 syntax, whole-cell match up to the caller) as integers.

    One ``int64`` column per named group, -1 where the cell is missing, does not match, or the group did
    not take part in the match. Bound each group's length so its digits fit in an int64. Uses Arrow's regex
    engine: ``pandas.Series.str.extract`` is ten times slower.
    """
    groups = pc.extract_regex(_arrow(text), pattern)
    out: dict[str, np.ndarray] = {}
    for name in [f.name for f in groups.type]:
        field = pc.struct_field(groups, name)
        field = pc.if_else(pc.equal(field, ""), pa.scalar(None, field.type), field)
        numbers = pc.fill_null(pc.cast(field, pa.int64()), -1)
        out[name] = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.int64)
    return pd.DataFrame(out, index=text.index)


def mask_middle(s: pd.Series, head: int, tail: int) -> pd.Series:
    """Replace every character but the first ``head`` and last ``tail`` with ``*``; shorter text is all ``*``.

    Masked values go into reports that leave the statistics office, so a value too short to keep both
    ends visible is hidden entirely rather than shown.
    """
    t = _as_text(s)
    length = t.str.len()
    hidden = (length - head - tail).clip(lower=0).fillna(0).astype(int)
    star = pd.Series("*", index=t.index, dtype="string")
    ends = t.str.slice(0, head) + star.str.repeat(hidden.tolist()) + (t.str.slice(-tail) if tail else "")
    all_stars = star.str.repeat(length.fillna(0).astype(int).tolist())
    return ends.where(length > head + tail, all_stars).where(t.notna())


# ----- phone numbers ------------------------------------------------------------------------------------

_PHONE_RE = (
    r"^(?:"
    r"(?P<mobile>1[3-9]\d{9})"
    # 010 and 02X are the only three-digit area codes (with the 0) and all of them have 8-digit numbers
    r"|(?P<area3>0[12]\d)(?P<local3>\d{8})"
    r"|(?P<area4>0[3-9]\d\d)(?P<local4>\d{7,8})"
    # a local number of 遂宁 written without its area code
    r"|(?P<local>[2-9]\d{6,7})"
    r")$"
)


def normalise_phone(s: pd.Series) -> pd.DataFrame:
    """Normalise phone numbers; columns ``phone`` (``string``) and ``phone_valid`` (``boolean``).

    Spaces, dashes, brackets and a ``+86``/``0086`` prefix are removed. A mobile number is 11 digits
    starting 13–19. A landline is an area code and a 7- or 8-digit local number, written ``0825-7821104``;
    a bare 7- or 8-digit local number is taken to be in 遂宁 (area code 0825). Anything else keeps its
    :func:`normalise_text` form and ``phone_valid`` is False; a missing value stays ``<NA>`` (valid ``<NA>``).
    """
    text = _arrow(normalise_text(s))
    digits = pc.replace_substring_regex(text, r"[ \-()‐‑‒–—―]", "")
    digits = pc.replace_substring_regex(digits, r"^(?:\+86|0086|\+0086)", "")
    digits = pc.replace_substring_regex(digits, rf"^86(1[3-9]{digit_class()}{{9}})$", r"\1")
    groups = pc.extract_regex(digits, _PHONE_RE)

    def part(*names: str) -> pa.Array:
        found = [pc.fill_null(pc.struct_field(groups, name), "") for name in names]
        return found[0] if len(found) == 1 else pc.binary_join_element_wise(*found, _large(""))

    mobile, bare = part("mobile"), part("local")
    is_mobile, is_bare = pc.not_equal(mobile, ""), pc.not_equal(bare, "")
    area = pc.if_else(is_bare, _large(LOCAL_AREA_CODE), part("area3", "area4"))
    local = pc.if_else(is_bare, bare, part("local3", "local4"))
    has_local = pc.not_equal(local, "")
    landline = pc.binary_join_element_wise(area, local, _large("-"))
    # Whole columns in Arrow: which form each cell takes, then the cell itself where it is none of them.
    phone = pc.if_else(is_mobile, mobile, pc.if_else(has_local, landline, text))
    given = np.asarray(text.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    valid = np.asarray(pc.or_(is_mobile, has_local).to_numpy(zero_copy_only=False), dtype=bool)
    return pd.DataFrame(
        {
            "phone": pd.Series(pd.arrays.ArrowStringArray(phone), index=s.index, dtype="string"),
            "phone_valid": pd.Series(pd.arrays.BooleanArray(valid & given, ~given), index=s.index),
        },
        index=s.index,
    )


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def mask_phone(s: pd.Series) -> pd.Series:
    """Show the first 3 and last 4 characters of a phone number: ``138****5678``; ``<NA>`` stays."""
    return mask_middle(s, 3, 4)
