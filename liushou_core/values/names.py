"""Checks of a person's name as typed: is it plausibly a name, and is it safe to show and to print?

A name is checked after normalisation (:func:`liushou_core.values.text.normalise_name`). The first check that
fails names the problem (one per name), in this order:

- ``name_markup``: ``<`` or ``>`` (HTML/script tags such as ``<b>张伟</b>``, ``<img src=x onerror=…>``);
- ``name_formula``: a first character that makes a spreadsheet cell a formula (``= + - @``);
- ``name_digits``: any digit (a phone or ID number pasted into the name, ``李娜13812345678``);
- ``name_latin``: Latin letters mixed into a name (``张Wei``) — a name written wholly in Latin words
  separated by spaces, middle dots or hyphens (a romanised minority or foreign-born spouse's name) passes;
- ``name_length``: one character, or longer than a Han name runs (more than :data:`MAX_HAN` characters
  without a separator) or than any name with separators (:data:`MAX_ANY`).

Which of these keep a person out of the register is the issues table's decision (``issues.py``; reasons in
``docs/pipeline.md``). These are plausibility checks of the returns, not policy.
"""

from __future__ import annotations

import pandas as pd

from liushou_core.values.text import digit_class

#: The rule codes, in the order they are checked.
NAME_RULES = ("name_markup", "name_formula", "name_digits", "name_latin", "name_length")
#: The longest plausible name without a separator (Han names, compound surnames included, run 2–4).
MAX_HAN = 6
#: The longest plausible name with separators (transliterated minority names joined by ·).
MAX_ANY = 30

_MARKUP = r"[<>]"
_FORMULA = r"^[=+\-@]"
_LATIN = r"[A-Za-z]"
_ROMANISED = r"^[A-Za-z]+(?:[ ·\-'][A-Za-z]+)*$"
_SEPARATOR = r"[ ·\-']"


def name_problem(names: pd.Series) -> pd.Series:
    """The first problem of each name (a code of :data:`NAME_RULES`), ``<NA>`` for a plausible or missing name."""
    s = names.astype("string")
    length = s.str.replace(_SEPARATOR, "", regex=True).str.len()
    # A Han name runs short; a name with separators or in Latin letters may be long.
    long_form = s.str.contains(_SEPARATOR, regex=True) | s.str.fullmatch(_ROMANISED)
    too_long = (long_form & (length > MAX_ANY)) | (~long_form & (length > MAX_HAN))
    checks = [
        ("name_markup", s.str.contains(_MARKUP, regex=True)),
        ("name_formula", s.str.contains(_FORMULA, regex=True)),
        ("name_digits", s.str.contains(digit_class(), regex=True)),
        ("name_latin", s.str.contains(_LATIN, regex=True) & ~s.str.fullmatch(_ROMANISED)),
        ("name_length", (length < 2) | too_long),
    ]
    out = pd.Series(pd.NA, index=s.index, dtype="string")
    for code, hit in reversed(checks):  # the first check in the list wins
        out = out.mask(hit.fillna(False).astype(bool), code)
    return out


__all__ = ["MAX_ANY", "MAX_HAN", "NAME_RULES", "name_problem"]
