"""Text as cadres type it: free text, names, multi-valued cells and phone numbers, normalised column-wise.

Every function takes a pandas Series (any dtype; values are read as text) and returns a new one on the same
index, with ``<NA>`` for empty. NFKC folds full-width letters, digits and punctuation to their plain forms
(``１３８`` → ``138``, ``，`` → ``,``, the ideographic space → a space).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

# Zero-width characters that survive NFKC and make equal-looking cells differ.
_INVISIBLE = r"[\u200b-\u200d\u2060\ufeff]"

_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# The middle dot of minority and foreign names (阿依古丽·买买提) is U+00B7; these are its look-alikes.
NAME_DOT = "·"
_DOT_VARIANTS = r"[•・‧∙⋅]"
_NAME_GAP = rf"(?<=[{_CJK}{NAME_DOT}])\s+(?=[{_CJK}{NAME_DOT}])"

#: Separators of multi-valued cells (after NFKC, which turns ，；／ into ,;/).
MULTI_SEPARATORS = "、,，;；/"
_MULTI_SPLIT = r"[、,;/\s]+"

#: Area code of 遂宁市 (大英县 included): local numbers without an area code are taken to be local.
LOCAL_AREA_CODE = "0825"


def _as_text(s: pd.Series) -> pd.Series:
    """The values as pandas ``string`` (``<NA>`` for missing), without changing them."""
    return s.astype("string")


def normalise_text(s: pd.Series) -> pd.Series:
    """NFKC, strip, collapse each inner run of whitespace to one space; empty → ``<NA>``."""
    t = _as_text(s).str.normalize("NFKC").str.replace(_INVISIBLE, "", regex=True)
    t = t.str.replace(r"\s+", " ", regex=True).str.strip()
    return t.mask(t == "")


def normalise_name(s: pd.Series) -> pd.Series:
    """A person's name: :func:`normalise_text`, look-alike dots → ``·``, no spaces between CJK characters.

    ``张 三`` → ``张三`` and ``阿依古丽 · 买买提`` → ``阿依古丽·买买提``; a space between Latin letters is
    kept (``Mary Ann``).
    """
    t = normalise_text(s).str.replace(_DOT_VARIANTS, NAME_DOT, regex=True)
    return t.str.replace(_NAME_GAP, "", regex=True)


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
    not take part in the match. Uses Arrow's regex engine: ``pandas.Series.str.extract`` is ten times slower.
    """
    arrow = pa.array(_as_text(text).astype("string[pyarrow]").array)
    groups = pc.extract_regex(arrow, pattern)
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
    text = normalise_text(s)
    digits = text.str.replace(r"[\s\-()‐‑‒–—―]", "", regex=True)
    digits = digits.str.replace(r"^(?:\+86|0086|\+0086)", "", regex=True).str.replace(
        r"^86(1[3-9]\d{9})$", r"\1", regex=True
    )
    arrow = pa.array(digits.astype("string[pyarrow]").array)
    groups = pc.extract_regex(arrow, _PHONE_RE)

    def part(name: str) -> pd.Series:
        values = pc.fill_null(pc.struct_field(groups, name), "")
        return pd.Series(pd.arrays.ArrowStringArray(values), index=text.index, dtype="string")

    mobile = part("mobile")
    area = part("area3") + part("area4")
    local = part("local3") + part("local4")
    bare = part("local")
    area = area.where(bare == "", LOCAL_AREA_CODE)
    local = local.where(bare == "", bare)
    phone = pd.Series(
        np.select([mobile != "", local != ""], [mobile, area + "-" + local], default=text.fillna("")),
        index=text.index,
        dtype="string",
    )
    valid = ((mobile != "") | (local != "")).astype("boolean")
    return pd.DataFrame(
        {"phone": phone.where(text.notna()), "phone_valid": valid.mask(text.isna())},
        index=s.index,
    )


def mask_phone(s: pd.Series) -> pd.Series:
    """Show the first 3 and last 4 characters of a phone number: ``138****5678``; ``<NA>`` stays."""
    return mask_middle(s, 3, 4)
