"""What each cell of a person's row holds, written the way one township's cadres write it.

:func:`render_people` turns canonical person rows (with their ``*_form`` marks from :mod:`.mistakes`) into
cells, column by column. Every cell has a *text* — what a CSV saved from Excel holds — and, in workbooks,
some cells hold a typed value instead: an ID typed into a number cell (Excel keeps 15 significant digits), a
date cell, an Excel serial number, a group or phone number typed as a number.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from liushou_core.sample import ids, placenames
from liushou_core.sample.styles import ROW_SPELLINGS, ReturnStyle

Cells = dict[str, np.ndarray]  # column → object array; None is an empty cell (typed: "write the text")

_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")

#: A missing cell, for np.where/np.select over object arrays.
_NA = np.array(None, dtype=object)


def _obj(values: pd.Series | np.ndarray) -> np.ndarray:
    """An object array with None for missing values (numpy assignment is far cheaper than pandas')."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values.copy()
    return pd.Series(values).to_numpy(dtype=object, na_value=None).copy()


def _map(values: np.ndarray | pd.Series, mapping: dict[str, str] | pd.Series) -> np.ndarray:
    lookup = mapping.to_dict() if isinstance(mapping, pd.Series) else mapping
    return _obj(pd.Series(np.asarray(values, dtype=object), dtype=object).map(lookup))


def _str_int(values: pd.Series) -> np.ndarray:
    """Integers as text; missing stays None."""
    return _obj(values.astype("Int64").astype("string"))


# ----- dates ----------------------------------------------------------------------------------------------


def render_dates(
    dates: pd.Series, styles: np.ndarray, excel_format: str, workbook: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(text, typed) cells of dates written in per-row ``styles`` (see :data:`styles.DATE_STYLES`).

    ``excel`` is a date cell in a workbook (its text is what Excel shows with ``excel_format``), ``serial`` a
    bare Excel day number, ``compact`` (20080503) a number in a workbook. Missing dates stay empty.
    """
    d = pd.to_datetime(dates).reset_index(drop=True)
    known = d.notna().to_numpy()
    n = len(d)
    text = np.full(n, None, dtype=object)
    typed = np.full(n, None, dtype=object)
    for name in np.unique(styles[known]):  # at most nine styles
        hit = known & (styles == name)
        text[hit] = _obj(_date_text(d[hit], excel_format if name == "excel" else str(name)))
        if not workbook:
            continue
        if name == "excel":
            typed[hit] = np.array(d[hit].dt.to_pydatetime(), dtype=object)
        elif name in ("serial", "compact"):
            typed[hit] = np.array([int(v) for v in text[hit]], dtype=object)
    return text, typed


def _date_text(d: pd.Series, style: str) -> pd.Series:
    y = d.dt.year.astype("string")
    if style == "serial":
        return pd.Series(
            (d.to_numpy(dtype="datetime64[D]") - _EXCEL_EPOCH).astype(np.int64), index=d.index
        ).astype("string")
    m, day = d.dt.month.astype("string"), d.dt.day.astype("string")
    m2, d2 = m.str.zfill(2), day.str.zfill(2)
    forms = {
        "iso": lambda: y + "-" + m2 + "-" + d2,
        "slash": lambda: y + "/" + m + "/" + day,
        "dot": lambda: y + "." + m + "." + day,
        "dot0": lambda: y + "." + m2 + "." + d2,
        "cn": lambda: y + "年" + m + "月" + day + "日",
        "compact": lambda: y + m2 + d2,
        "iso_time": lambda: y + "-" + m2 + "-" + d2 + " 00:00:00",
    }
    return forms[style]()


def _date_styles(style: ReturnStyle, n: int, rng: np.random.Generator) -> np.ndarray:
    odd = rng.random(n) < style.odd_date_rate
    other = rng.choice(np.array(style.other_date_styles, dtype=object), n)
    main = style.date_style if style.fmt == "xlsx" or style.date_style != "excel" else "slash"
    styles = np.where(odd, other, main).astype(object)
    if style.fmt == "csv":  # a CSV holds text only: a date cell saved from Excel is its displayed text
        styles = np.where(styles == "excel", style.excel_date_format, styles)
    return styles


def _wrong_birth_dates(birth: pd.Series, rng: np.random.Generator) -> pd.Series:
    """A birth date that disagrees with the ID: month and day swapped when that is another real date,
    otherwise a few weeks to a year off."""
    d = pd.to_datetime(birth)
    swappable = (d.dt.day <= 12) & (d.dt.day != d.dt.month)
    swapped = pd.to_datetime(
        pd.DataFrame(
            {"year": d.dt.year, "month": d.dt.day.where(swappable, 1), "day": d.dt.month.where(swappable, 1)}
        ),
        errors="coerce",
    )
    shift = pd.to_timedelta(
        rng.integers(20, 400, len(d)) * np.where(rng.random(len(d)) < 0.5, -1, 1), unit="D"
    )
    return swapped.where(swappable, d + shift)


def _invalid_dates(years: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Dates no calendar has (``1956.2.30``, ``2017.9.31``) or ``不详``."""
    y = years.astype("Int64").astype("string")
    bad = pd.Series(
        rng.choice(np.array([".2.30", ".2.31", ".4.31", ".9.31", ".11.31", ".13.5"], dtype=object), len(y)),
        index=y.index,
    )
    return (y + bad).astype(object)


# ----- the ID cell ----------------------------------------------------------------------------------------


def render_ids(
    id18: pd.Series, form: np.ndarray, style: ReturnStyle, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(text, typed) cells of the ID column; ``form`` as marked by :func:`mistakes.mark_cell_mistakes`."""
    s = id18.astype("string").reset_index(drop=True)
    f = np.asarray(form)
    text = _obj(s)
    typed = np.full(len(s), None, dtype=object)
    makers = {
        "lower_x": lambda v: v.str.replace("X", "x"),
        "full_width": ids.full_width,
        "spaced": ids.spaced,
        "id15": ids.to_15,
        "excel": ids.excel_display,
        "excel_zeros": ids.excel_zeros,
        "checksum": lambda v: _wrong_check(v, rng),
        "format": lambda v: _drop_digit(v, rng),
        "no_id_text": lambda v: pd.Series(
            rng.choice(np.array(["未办理", "未办证"], dtype=object), len(v)), index=v.index
        ),
        "address": lambda v: _wrong_address(v, rng),
    }
    for kind, make in makers.items():
        hit = f == kind
        if hit.any():
            text[hit] = _obj(make(s[hit]))
    text[f == "missing"] = None
    if style.fmt == "xlsx":
        hit = f == "excel"
        typed[hit] = _obj(ids.excel_number(s[hit]))
        if style.id15_as_number:
            hit = f == "id15"
            typed[hit] = np.array([int(v) for v in text[hit]], dtype=object)
    return text, typed


def _wrong_check(s: pd.Series, rng: np.random.Generator) -> pd.Series:
    """Two neighbouring digits of the sequence number swapped (MOD 11-2 catches every such swap), or, where
    they are equal, a different check character. Never ending in ``000``: the cleaner reads a number ending
    in 000 with a failing check as one Excel cut short (``id_excel_mangled``)."""
    a, b, c = s.str[14], s.str[15], s.str[16]
    first = rng.random(len(s)) < 0.5
    swap1 = s.str[:14] + b + a + c + s.str[17]
    swap2 = s.str[:15] + c + b + s.str[17]
    chars = np.array(list("0123456789X"), dtype=object)
    shift = rng.integers(1, 11, len(s))
    cur = s.str[17].map({ch: i for i, ch in enumerate(chars)}).fillna(0).astype(int).to_numpy()
    other_check = s.str[:17] + pd.Series(chars[(cur + shift) % 11], index=s.index)
    out = swap1.where(first & (a != b), swap2.where(b != c, other_check))
    out = out.where(~ids.valid_checksum(out), other_check)
    # Where that still ends in 000, a check character that is neither the right one nor 0.
    safe = np.where((cur + 1) % 11 == 0, (cur + 2) % 11, (cur + 1) % 11)
    return out.where(~out.str.endswith("000"), s.str[:17] + pd.Series(chars[safe], index=s.index))


def _drop_digit(s: pd.Series, rng: np.random.Generator) -> pd.Series:
    """One digit of the middle left out: 17 characters."""
    at = pd.Series(rng.integers(6, 17, len(s)), index=s.index)
    parts = pd.DataFrame({"s": s, "at": at})
    return parts.apply(lambda r: r["s"][: r["at"]] + r["s"][r["at"] + 1 :], axis=1) if len(s) else s


_ADDRESS_TYPOS = np.array(["510932", "510293", "519023", "501923", "510392"], dtype=object)


def _wrong_address(s: pd.Series, rng: np.random.Generator) -> pd.Series:
    """An address code no GB/T 2260 table ever had (a typo of 510923), with a matching check character, so
    the address is the only thing wrong."""
    body = pd.Series(rng.choice(_ADDRESS_TYPOS, len(s)), index=s.index) + s.str[6:17]
    return body + ids.check_char(body)


# ----- the whole row --------------------------------------------------------------------------------------

_SPELLED = ("agreement_signed", "guardianship_grade", "health", "disability_grade", "schooling")
_DATE_FIELDS = ("agreement_date", "last_visit_date")


def render_people(rows: pd.DataFrame, style: ReturnStyle, rng: np.random.Generator) -> tuple[Cells, Cells]:
    """Text cells and typed cells (workbooks only) of person rows for the columns of ``style``.

    ``rows`` are rows of the plan (canonical values and ``*_form`` marks) with the row's ``township_code``,
    ``village_code`` and ``serial`` number. Arrays are positional (``rows``' order).
    """
    rows = rows.reset_index(drop=True)
    n = len(rows)
    workbook = style.fmt == "xlsx"
    numbers = workbook and style.numbers_as_numbers
    text: Cells = {}
    typed: Cells = {}

    def form(col: str) -> np.ndarray:
        return rows[col].to_numpy(dtype=object)

    text["serial"] = _str_int(rows["serial"])
    if workbook:
        typed["serial"] = _obj(rows["serial"])

    tf = placenames.township_forms().set_index("township_code")
    township = _map(rows["township_code"], tf["short" if style.township_short else "official"])
    tform = form("township_form")
    township[tform == "unknown"] = _map(rows["township_code"][tform == "unknown"], tf["wrong"])
    township[tform == "missing"] = None
    text["township"] = township
    text["village"] = _villages(rows, style, rng)

    name = _obj(rows["name"])
    if style.pad_names:
        padded = rows["name"].str.len().eq(2).to_numpy() & (rng.random(n) < 0.6)
        name[padded] = _obj(rows["name"][padded].str[0] + "\u3000" + rows["name"][padded].str[1])
    name[form("name_form") == "missing"] = None
    text["name"] = name

    sf = form("sex_form")
    sex = np.where(sf == "mismatch", _map(rows["sex"], {"男": "女", "女": "男"}), _obj(rows["sex"]))
    if style.sex_digits:
        sex = _map(sex, {"男": "1", "女": "2"})
        if workbook:
            typed["sex"] = np.where(
                sf == "invalid", _NA, _obj(pd.Series(sex, dtype=object).map({"1": 1, "2": 2}))
            )
    sex[sf == "invalid"] = "不详"
    text["sex"] = sex

    text["id_number"], typed["id_number"] = render_ids(rows["id_number"], form("id_form"), style, rng)
    text["category_declared"] = _map(rows["declared"], style.spell["category_declared"])

    group = _str_int(rows["group"])
    text["group"] = (
        np.where(pd.isna(group), _NA, np.char.add(group.astype(str), "组").astype(object))
        if style.group_suffix
        else group
    )
    if numbers and not style.group_suffix:
        typed["group"] = _obj(rows["group"])

    date_styles = _date_styles(style, n, rng)
    birth = rows["birth_date"].copy()
    bf = form("birth_form")
    if (bf == "mismatch").any():
        birth[bf == "mismatch"] = _wrong_birth_dates(birth[bf == "mismatch"], rng)
    text["birth_date"], typed["birth_date"] = render_dates(
        birth, date_styles, style.excel_date_format, workbook
    )
    inv = bf == "invalid"
    if inv.any():
        bad = _obj(_invalid_dates(rows["birth_date"].dt.year[inv], rng))
        bad[rng.random(int(inv.sum())) < 0.4] = "不详"
        text["birth_date"][inv] = bad
        typed["birth_date"][inv] = None

    for f in ("father_status", "mother_status", "husband_status"):
        text[f] = _statuses(rows[f], style, rng)
    text["children_status"] = _map(rows["children_status"], style.spell["children_status"])
    text["months_away"] = _str_int(rows["months_away"])
    if numbers:
        typed["months_away"] = _obj(rows["months_away"])

    text["guardian_name"] = _obj(rows["guardian_name"])
    text["guardian_relation"] = _obj(rows["guardian_relation"])
    gid = _obj(rows["guardian_id_number"])
    bad_gid = rows["guardian_id_bad"].to_numpy(dtype=bool) & rows["guardian_id_number"].notna().to_numpy()
    if bad_gid.any():
        gid[bad_gid] = _obj(_wrong_check(rows["guardian_id_number"][bad_gid].astype("string"), rng))
    text["guardian_id_number"] = gid

    for f in ("guardian_phone", "phone"):
        ph = _obj(rows[f])
        bad = form("phone_bad") == f
        ph[bad] = _obj(rows[f][bad].str[:-1])  # a digit left out: 10 digits
        text[f] = ph
        if numbers:
            typed[f] = _obj(pd.Series(ph, dtype=object).map(int, na_action="ignore"))

    for f in _SPELLED:
        text[f] = _map(rows[f], style.spell[f])
    text["boarding"] = _map(rows["boarding"], dict(zip(("是", "否"), style.boarding_pair, strict=True)))
    econ = rows["household_economy"]
    spelled = {
        v: style.economy_separator.join(style.spell["household_economy"][part] for part in v.split("、"))
        for v in econ.dropna().unique()
    }
    text["household_economy"] = _map(econ, spelled)

    for f in _DATE_FIELDS:
        text[f], typed[f] = render_dates(rows[f], date_styles, style.excel_date_format, workbook)
        bad = form("date_bad") == f
        if bad.any():
            text[f][bad] = _obj(_invalid_dates(pd.Series(2017, index=np.flatnonzero(bad)), rng))
            typed[f][bad] = None
    text["visitor"] = _obj(rows["visitor"])
    text["notes"] = _obj(rows["notes"])

    vu = form("vu_field")
    for f in pd.unique(vu[pd.notna(vu)]):
        hit = vu == f
        text[str(f)][hit] = form("vu_value")[hit]
    typed = {k: v for k, v in typed.items() if pd.notna(v).any()}
    return text, typed


def _statuses(values: pd.Series, style: ReturnStyle, rng: np.random.Generator) -> np.ndarray:
    """Parent and husband statuses: the township's way of writing 外出务工; the others vary by row."""
    out = _obj(values)
    out[out == "外出务工"] = style.spell["away"]["外出务工"]
    for canonical, options in ROW_SPELLINGS.items():  # five statuses
        hit = values.eq(canonical).fillna(False).to_numpy(dtype=bool)
        if hit.any():
            out[hit] = rng.choice(np.array(options, dtype=object), int(hit.sum()))
    return out


def _villages(rows: pd.DataFrame, style: ReturnStyle, rng: np.random.Generator) -> np.ndarray:
    """Village names as written: 安山村 / 安山 / 安山村委会 by the township's habit, 拦江村 for 栏江村委会
    half of the time; or the mistakes: empty, a name the township does not have, an ambiguous stem."""
    n = len(rows)
    vf = placenames.village_forms()
    table = vf[vf["form"] != "variant"].pivot(index="village_code", columns="form", values="text")
    code = rows["village_code"]
    pick = rng.choice(
        np.array(["base", "stem", "official"], dtype=object), n, p=np.array(style.village_forms)
    )
    out = _map(code, table["base"])
    for kind in ("stem", "official"):
        alt = _map(code, table[kind])
        hit = (pick == kind) & pd.notna(alt)
        out[hit] = alt[hit]
    variants = vf[vf["form"] == "variant"]
    for vcode, texts in variants.groupby("village_code")["text"]:  # the two villages with a known variant
        hit = code.eq(vcode).to_numpy() & (rng.random(n) < 0.5)
        out[hit] = rng.choice(texts.to_numpy(dtype=object), int(hit.sum()))
    vform = rows["village_form"].to_numpy(dtype=object)
    out[vform == "missing"] = None
    hit = vform == "ambiguous"
    out[hit] = _map(code[hit], placenames.ambiguous_stems().set_index("village_code")["text"])
    unknown = placenames.unknown_villages()
    for tcode in pd.unique(rows["township_code"][vform == "unknown"]):  # a few townships
        hit = (vform == "unknown") & rows["township_code"].eq(tcode).to_numpy()
        names = unknown.loc[unknown["township_code"] == tcode, "text"].to_numpy(dtype=object)
        out[hit] = rng.choice(names, int(hit.sum()))
    return out


def filled_on_text(day: dt.date) -> str:
    """``2018年1月8日``: how the date is written on the 填报日期 line."""
    return f"{day.year}年{day.month}月{day.day}日"
