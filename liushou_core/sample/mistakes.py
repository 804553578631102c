"""The mistakes village cadres really make, injected at realistic rates, each with an unambiguous outcome.

Three kinds, following the cleaning contract (docs/pipeline.md):

- **pending people** (on top of the verified register): each carries exactly one error, so the rule that
  makes the row pending is never in doubt — an ID Excel turned into a number, a wrong check digit, a missing
  name or village, an unknown or ambiguous village, a needed fact left blank, or facts that do not meet the
  declared category (a "child" who has turned 16, a "woman" whose husband is at home, an "elder" aged 58);
- **warnings on verified people**: a 15-digit ID, a lower-case x or full-width digits, a birth date or sex that
  disagrees with the ID, a declared category the facts contradict, an unknown value, a bad phone number —
  the person stays in the register and the answer key lists the rule codes in ``mistakes``;
- **duplicates**: later copies of a clean verified person in the same village, another village or another
  township's return, possibly written differently (a lower-case x, a 15-digit ID). The original always comes
  first in source order and has no error, so it is the row the cleaner keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from liushou_core.sample import geography, ids, placenames
from liushou_core.sample.columns import object_column, object_frame
from liushou_core.sample.people import CHILD, ELDER, SEED_COUNTS, WOMAN
from liushou_core.sample.styles import ReturnStyle

#: A missing cell, for np.where/np.select over object arrays.
_NA = np.array(None, dtype=object)


@dataclass(frozen=True)
class Scenario:
    """A kind of pending row: the error rule it triggers and how often (per thousand verified people)."""

    name: str
    rule: str
    per_mille: float
    category: str | None = None
    age: tuple[int, int] | None = None  # inclusive range of ages to give the person


PENDING: tuple[Scenario, ...] = (
    Scenario("nq_child_16", "not_qualified", 3.0, CHILD, (16, 16)),
    Scenario("nq_child_parent", "not_qualified", 2.0, CHILD),
    Scenario("nq_woman_home", "not_qualified", 1.0, WOMAN),
    Scenario("nq_woman_short", "not_qualified", 0.6, WOMAN),
    Scenario("nq_elder_young", "not_qualified", 1.5, ELDER, (55, 59)),
    Scenario("nq_elder_partial", "not_qualified", 1.2, ELDER),
    Scenario("nq_elder_short", "not_qualified", 0.5, ELDER),
    Scenario("facts_missing", "facts_missing", 4.0),
    Scenario("id_excel_mangled", "id_excel_mangled", 9.0),
    Scenario("id_checksum", "id_checksum", 4.0),
    Scenario("id_format", "id_format", 2.0),
    Scenario("id_missing", "id_missing", 2.5),
    Scenario("id_birth_date", "id_birth_date", 0.4, CHILD, (-1, -1)),
    Scenario("id_address", "id_address", 0.3),
    Scenario("name_missing", "name_missing", 1.0),
    Scenario("township_missing", "township_missing", 0.25),
    Scenario("township_unknown", "township_unknown", 0.25),
    Scenario("village_missing", "village_missing", 1.0),
    Scenario("village_unknown", "village_unknown", 1.5),
    Scenario("village_ambiguous", "village_ambiguous", 1.2),
)
PENDING_RULES = {s.name: s.rule for s in PENDING}

#: Warnings and infos on verified people: probability per eligible row.
WARNING_RATES = {
    "id_lower_x": 0.2,  # of IDs ending in X
    "id15_elder": 0.025,  # of elders (all born before 2000)
    "id15_woman": 0.008,
    "id_full_width": 0.003,
    "id_spaced": 0.004,
    "birth_mismatch": 0.006,
    "birth_invalid": 0.0015,
    "sex_mismatch": 0.004,
    "sex_invalid": 0.001,
    "category_missing": 0.003,
    "elder_as_woman": 0.03,  # of women aged 60–64 (declared 留守妇女, all children away: an elder)
    "woman_as_elder": 0.15,  # of women aged 55–59 (declared 留守老人, husband away: a woman)
    "value_unknown": 0.004,
    "date_invalid": 0.0015,
    "phone_invalid": 0.004,
    "guardian_id_invalid": 0.004,  # of children
}
#: Duplicate copies per thousand verified people, by where the copy is.
DUPLICATES_PER_MILLE = {"same_village": 3.0, "other_village": 3.0, "other_township": 2.0}

#: Values outside the codebook's vocabularies (→ value_unknown), by field; none is a fact the definitions need.
UNKNOWN_VALUES: dict[str, list[str]] = {
    "guardianship_grade": ["中等", "中"],
    "health": ["一般", "亚健康", "体弱"],
    "schooling": ["学前班", "大班"],
    "boarding": ["住校", "住读"],
    "household_economy": ["贫困", "一般户", "困难"],
    "agreement_signed": ["已完成"],
    "disability_grade": ["轻度", "重度"],
}
_CATEGORY_FIELDS = {
    CHILD: ("guardianship_grade", "health", "schooling", "boarding", "household_economy", "agreement_signed"),
    WOMAN: ("health", "household_economy"),
    ELDER: ("health", "household_economy"),
}


def pending_slots(n_verified: int, styles: list[ReturnStyle], rng: np.random.Generator) -> pd.DataFrame:
    """Slots of the pending people: ``township_code``, ``village_code``, ``category``, ``age``, ``scenario``.

    Sloppier townships get more of them; IDs typed into number cells cluster in two careless townships; the
    ambiguous short names only exist in a few townships (星花 in 河边镇, 红旗 in 蓬莱镇 …).
    """
    d = geography.load_divisions()
    size = d.groupby("township_code").size()
    codes = np.array([s.township_code for s in styles])
    base_w = size.reindex(codes).to_numpy(dtype=float) * np.array([s.sloppiness for s in styles])
    frames = []
    for sc in PENDING:
        n = int(round(sc.per_mille * n_verified / 1000))
        if n == 0:
            continue
        if sc.name == "village_ambiguous":
            amb = placenames.ambiguous_stems()
            pick = rng.integers(0, len(amb), n)
            tcodes, vcodes = amb["township_code"].to_numpy()[pick], amb["village_code"].to_numpy()[pick]
        else:
            w = (
                base_w * np.where([s.careless_ids for s in styles], 6.0, 1.0)
                if sc.name == "id_excel_mangled"
                else base_w
            )
            tcodes = rng.choice(codes, size=n, p=w / w.sum())
            vcodes = _random_villages(tcodes, d, rng)
        cat = np.full(n, sc.category, dtype=object) if sc.category else _categories(n, rng)
        age = rng.integers(sc.age[0], sc.age[1] + 1, n).astype(float) if sc.age else np.full(n, np.nan)
        columns = {"township_code": tcodes, "village_code": vcodes, "category": cat, "age": age}
        frames.append(object_frame(columns | {"scenario": np.full(n, sc.name, dtype=object)}))
    return pd.concat(frames, ignore_index=True)


def _random_villages(tcodes: np.ndarray, d: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """A uniformly drawn village of each township."""
    codes = d["village_code"].sort_values().reset_index(drop=True)
    by_t = codes.groupby(codes.str[:9])
    first = by_t.apply(lambda s: s.index.min()).reindex(tcodes).to_numpy()
    count = by_t.size().reindex(tcodes).to_numpy()
    return codes.to_numpy()[first + np.floor(rng.random(len(tcodes)) * count).astype(np.int64)]


def _categories(n: int, rng: np.random.Generator) -> np.ndarray:
    """Categories in the seed's proportions."""
    p = np.array(list(SEED_COUNTS.values()), dtype=float)
    return rng.choice(np.array(list(SEED_COUNTS), dtype=object), size=n, p=p / p.sum())


# ----- facts that make a row pending or a declared category wrong ------------------------------------------


def apply_fact_mistakes(people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Change the facts of pending people so they fail their declared category, blank a needed fact, and give
    some verified people a declared category the facts contradict (or none).

    Adds ``declared`` (the category written in the return, ``<NA>`` when left blank) and ``fact_blank``.
    """
    p = people.copy()
    n = len(p)
    sc = p["scenario"].to_numpy()
    cat = p["category"].to_numpy()
    age = p["age"].to_numpy()
    declared = cat.astype(object).copy()
    r = rng.random(n)

    m = sc == "nq_child_parent"  # one parent away, the other at home, dead, divorced: not left behind (13号)
    mother_side = r < 0.6
    other = rng.choice(np.array(["在家", "离异", "死亡", "服刑"], dtype=object), n, p=[0.45, 0.3, 0.2, 0.05])
    p.loc[m & mother_side, "mother_status"] = other[m & mother_side]
    p.loc[m & ~mother_side, "father_status"] = other[m & ~mother_side]
    p.loc[m & ~mother_side, "mother_status"] = "外出务工"
    p.loc[m & mother_side, "father_status"] = "外出务工"
    p.loc[sc == "nq_woman_home", "husband_status"] = "在家"
    short = np.isin(sc, ["nq_woman_short", "nq_elder_short"])
    p.loc[short, "months_away"] = rng.integers(1, 6, n)[short]
    p.loc[sc == "nq_elder_partial", "children_status"] = "部分外出"

    # A needed fact left blank: the first or the second of the category's two facts.
    fm = sc == "facts_missing"
    first = r < 0.5
    blank = np.select(
        [cat == CHILD, cat == WOMAN],
        [np.where(first, "father_status", "mother_status"), np.where(first, "husband_status", "months_away")],
        default=np.where(first, "children_status", "months_away"),
    ).astype(object)
    blank = np.where(fm, blank, _NA)
    for f in ("father_status", "mother_status", "husband_status", "children_status", "months_away"):
        p.loc[blank == f, f] = None if f != "months_away" else pd.NA

    verified = sc == "verified"
    sex = p["sex"].to_numpy()
    # A woman of 60–64 whose husband and children are all away, declared 留守妇女: by the definitions an elder.
    ew = (
        verified
        & (cat == ELDER)
        & (sex == "女")
        & (age <= 64)
        & (rng.random(n) < WARNING_RATES["elder_as_woman"])
    )
    declared[ew] = WOMAN
    p.loc[ew, "husband_status"] = "外出务工"
    # A woman of 55–59 declared 留守老人 (her children are away too): by the definitions a left-behind woman.
    we = verified & (cat == WOMAN) & (age >= 55) & (rng.random(n) < WARNING_RATES["woman_as_elder"])
    declared[we] = ELDER
    p.loc[we, "children_status"] = "全部外出"
    cm = verified & ~ew & ~we & (rng.random(n) < WARNING_RATES["category_missing"])
    declared[cm] = None
    p["declared"] = object_column(declared, p.index)
    p["fact_blank"] = object_column(blank, p.index)
    p["months_away"] = p["months_away"].astype("Int64")
    return p


# ----- how the cells are written ---------------------------------------------------------------------------


def mark_cell_mistakes(
    people: pd.DataFrame, styles: list[ReturnStyle], rng: np.random.Generator
) -> pd.DataFrame:
    """Decide how each person's cells are written (``*_form`` columns) and compute the expected outcome:
    ``fate``, ``rule``, ``expected_category`` and ``warnings`` (rule codes, before division aliases)."""
    p = people.copy()
    n = len(p)
    sc = p["scenario"].to_numpy()
    cat = p["category"].to_numpy()
    verified = sc == "verified"
    style_of = {s.township_code: s for s in styles}
    has = _column_mask(p, style_of)
    idn = p["id_number"].astype("string")
    ends_x = idn.str.endswith("X").to_numpy()
    born_19xx = (p["birth_date"].dt.year < 2000).to_numpy()
    is_csv = p["township_code"].map({c: st.fmt == "csv" for c, st in style_of.items()}).to_numpy(dtype=bool)

    # The ID cell: one way of writing per row.
    id_form = np.full(n, "text", dtype=object)
    r = rng.random(n)
    free = verified.copy()

    def take(mask: np.ndarray, form: str) -> None:
        nonlocal free
        hit = mask & free
        id_form[hit] = form
        free = free & ~hit

    take(ends_x & (r < WARNING_RATES["id_lower_x"]), "lower_x")
    take(born_19xx & (cat == ELDER) & (rng.random(n) < WARNING_RATES["id15_elder"]), "id15")
    take(born_19xx & (cat == WOMAN) & (rng.random(n) < WARNING_RATES["id15_woman"]), "id15")
    take(rng.random(n) < WARNING_RATES["id_full_width"], "full_width")
    take(rng.random(n) < WARNING_RATES["id_spaced"], "spaced")
    # Pending ID errors. Excel cannot turn an ID ending in X into a number: those get a wrong check digit.
    mangled = sc == "id_excel_mangled"
    zeros_ok = ~ids.valid_checksum(ids.excel_zeros(idn)).to_numpy()
    id_form[mangled & ~ends_x] = np.where(is_csv & zeros_ok & (rng.random(n) < 0.25), "excel_zeros", "excel")[
        mangled & ~ends_x
    ]
    sc = np.where(mangled & ends_x, "id_checksum", sc)
    id_form[sc == "id_checksum"] = "checksum"
    id_form[sc == "id_format"] = np.where((cat == CHILD) & (rng.random(n) < 0.2), "no_id_text", "format")[
        sc == "id_format"
    ]
    id_form[sc == "id_missing"] = "missing"
    id_form[sc == "id_address"] = "address"
    p["scenario"] = object_column(sc, p.index)

    birth_form = np.full(n, "ok", dtype=object)
    rb = rng.random(n)
    birth_form[verified & has["birth_date"] & (rb < WARNING_RATES["birth_mismatch"])] = "mismatch"
    inv = verified & has["birth_date"] & (rb >= WARNING_RATES["birth_mismatch"])
    birth_form[inv & (rb < WARNING_RATES["birth_mismatch"] + WARNING_RATES["birth_invalid"])] = "invalid"
    sex_form = np.full(n, "ok", dtype=object)
    rs = rng.random(n)
    sex_form[verified & (rs < WARNING_RATES["sex_mismatch"])] = "mismatch"
    sex_form[
        verified
        & (rs >= WARNING_RATES["sex_mismatch"])
        & (rs < WARNING_RATES["sex_mismatch"] + WARNING_RATES["sex_invalid"])
    ] = "invalid"

    # A value outside the vocabulary, in a field this row fills and its township collects.
    vu_field = np.full(n, None, dtype=object)
    vu_value = np.full(n, None, dtype=object)
    want = verified & (rng.random(n) < WARNING_RATES["value_unknown"])
    for c, fields in _CATEGORY_FIELDS.items():  # three categories, a few fields each
        rows = np.flatnonzero(want & (cat == c))
        choice = rng.integers(0, len(fields), len(rows))
        for k, f in enumerate(fields):
            hit = rows[(choice == k) & has[f][rows] & p[f].notna().to_numpy()[rows]]
            vu_field[hit] = f
            vu_value[hit] = rng.choice(np.array(UNKNOWN_VALUES[f], dtype=object), len(hit))
    if "disability_grade" in p:  # a disabled person's grade written as 轻度/重度
        rows = np.flatnonzero(
            want & pd.isna(vu_field) & p["disability_grade"].notna().to_numpy() & has["disability_grade"]
        )
        vu_field[rows] = "disability_grade"
        vu_value[rows] = rng.choice(np.array(UNKNOWN_VALUES["disability_grade"], dtype=object), len(rows))

    date_bad = np.full(n, None, dtype=object)
    want = verified & (rng.random(n) < WARNING_RATES["date_invalid"])
    for f in ("agreement_date", "last_visit_date"):
        hit = want & pd.isna(date_bad) & has[f] & p[f].notna().to_numpy()
        date_bad[hit] = f
    phone_bad = np.full(n, None, dtype=object)
    want = verified & (rng.random(n) < WARNING_RATES["phone_invalid"])
    for f in ("guardian_phone", "phone") if rng.random() < 0.5 else ("phone", "guardian_phone"):
        hit = want & pd.isna(phone_bad) & has[f] & p[f].notna().to_numpy()
        phone_bad[hit] = f
    gid_bad = (
        verified
        & (cat == CHILD)
        & has["guardian_id_number"]
        & (rng.random(n) < WARNING_RATES["guardian_id_invalid"])
    )

    p["id_form"] = object_column(id_form, p.index)
    p["birth_form"] = object_column(birth_form, p.index)
    p["sex_form"] = object_column(sex_form, p.index)
    p["vu_field"] = object_column(vu_field, p.index)
    p["vu_value"] = object_column(vu_value, p.index)
    p["date_bad"] = object_column(date_bad, p.index)
    p["phone_bad"] = object_column(phone_bad, p.index)
    p["guardian_id_bad"] = gid_bad
    p["name_form"] = object_column(np.where(sc == "name_missing", "missing", "ok"), p.index)
    p["township_form"] = object_column(
        np.select([sc == "township_missing", sc == "township_unknown"], ["missing", "unknown"], default="ok"),
        p.index,
    )
    p["village_form"] = object_column(
        np.select(
            [sc == "village_missing", sc == "village_unknown", sc == "village_ambiguous"],
            ["missing", "unknown", "ambiguous"],
            default="ok",
        ),
        p.index,
    )
    p["copy_kind"] = object_column(np.full(n, None), p.index)
    p["original"] = pd.array([pd.NA] * n, dtype="Int64")
    return expected_outcome(p)


def _column_mask(p: pd.DataFrame, style_of: dict[str, ReturnStyle]) -> dict[str, np.ndarray]:
    """Field → whether each row's township return has that column."""
    codes = list(style_of)
    t = pd.Index(codes).get_indexer(p["township_code"].to_numpy())
    out = {}
    for f in ("birth_date", "guardian_id_number", "guardian_phone", "phone", "agreement_date", "last_visit_date",
              "guardianship_grade", "health", "schooling", "boarding", "household_economy", "agreement_signed",
              "disability_grade"):  # fmt: skip
        out[f] = np.array([f in style_of[c].columns for c in codes])[t]
    return out


def expected_outcome(p: pd.DataFrame) -> pd.DataFrame:
    """``fate``, ``rule``, ``expected_category`` and ``warnings`` of each row, by construction."""
    sc = p["scenario"].to_numpy()
    verified = sc == "verified"
    copy = p["copy_kind"].notna().to_numpy()
    pending = ~verified & ~copy
    fate = np.select([copy, pending], ["duplicate", "pending"], default="verified")
    rule = np.select(
        [copy, pending], ["duplicate", pd.Series(sc).map(PENDING_RULES).fillna("").to_numpy()], default=""
    )
    p["fate"] = object_column(fate, p.index)
    p["rule"] = object_column(rule, p.index)
    p["expected_category"] = object_column(
        np.where(fate == "verified", p["category"].to_numpy(dtype=object), ""), p.index
    )
    declared = p["declared"].to_numpy(dtype=object)
    has_declared = pd.notna(declared)
    id_form = p["id_form"].to_numpy(dtype=object)
    birth, sex = p["birth_form"].to_numpy(dtype=object), p["sex_form"].to_numpy(dtype=object)
    flags = [  # in the catalogue's order (issues.py)
        ("id_upgraded_15", id_form == "id15"),
        ("birth_date_mismatch", birth == "mismatch"),
        ("birth_date_invalid", birth == "invalid"),
        ("sex_mismatch", sex == "mismatch"),
        ("sex_invalid", sex == "invalid"),
        ("category_mismatch", verified & has_declared & (declared != p["category"].to_numpy(dtype=object))),
        ("category_missing", verified & ~has_declared),
        ("value_unknown", p["vu_field"].notna().to_numpy()),
        ("date_invalid", p["date_bad"].notna().to_numpy()),
        ("phone_invalid", p["phone_bad"].notna().to_numpy()),
        ("guardian_id_invalid", p["guardian_id_bad"].to_numpy(dtype=bool)),
        ("id_normalised", np.isin(id_form, ["lower_x", "full_width", "spaced"])),
    ]
    p["warnings"] = object_column(join_codes(flags), p.index)
    return p


def join_codes(flags: list[tuple[str, np.ndarray]]) -> np.ndarray:
    """``a;b`` per row from (code, mask) pairs: each row's set of codes as a bit mask, joined once per mask."""
    bits = np.zeros(len(flags[0][1]), dtype=np.int64)
    for i, (_, mask) in enumerate(flags):
        bits |= np.asarray(mask, dtype=np.int64) << i
    masks = np.unique(bits)
    text = {int(m): ";".join(code for i, (code, _) in enumerate(flags) if m >> i & 1) for m in masks}
    return np.array([text[int(m)] for m in masks], dtype=object)[np.searchsorted(masks, bits)]


# ----- duplicates ------------------------------------------------------------------------------------------


def duplicate_copies(p: pd.DataFrame, styles: list[ReturnStyle], rng: np.random.Generator) -> pd.DataFrame:
    """Later copies of clean verified people (``copy_kind``: same_village, other_village, other_township),
    with ``original`` = the index of the copied row. A copy keeps the person's facts; it may write the ID
    differently (lower-case x, spaces, full width, the old 15 digits), which normalises to the same number.

    Order guarantees (the original is kept): a copy in the same village comes after it within the block; a
    copy in another village goes to a village later in the township's order; a copy in another township goes
    to a return whose file name sorts after the original's.
    """
    n_verified = int((p["fate"] == "verified").sum())
    clean = p.index[
        (p["fate"] == "verified")
        & p["warnings"].eq("")
        & p["id_form"].eq("text")
        & p["declared"].eq(p["category"])
    ]
    order = _village_order()
    files = {s.township_code: s.file_name for s in styles}
    last_village = p["village_code"].map(order) == p["township_code"].map(
        order.groupby(lambda v: v[:9]).max()
    )
    later_files = {c: [o for o, f in files.items() if f > files[c]] for c in files}
    frames = []
    used: set[int] = set()
    for kind, per_mille in DUPLICATES_PER_MILLE.items():
        k = int(round(per_mille * n_verified / 1000))
        pool = clean
        if kind == "other_village":
            pool = pool[~last_village.loc[pool].to_numpy()]
        if kind == "other_township":
            pool = pool[p.loc[pool, "township_code"].map(lambda c: bool(later_files[c])).to_numpy()]
        pool = pool[~pool.isin(list(used))]
        pick = rng.choice(pool.to_numpy(), size=min(k, len(pool)), replace=False)
        if kind == "same_village":
            used.update(pick[3:].tolist())  # the first three also get a copy in another township: triples
        else:
            used.update(pick.tolist())
        c = p.loc[pick].copy()
        c["copy_kind"] = object_column(np.full(len(c), kind), c.index)
        c["original"] = pd.array(pick, dtype="Int64")
        if kind == "other_village":
            c["village_code"] = object_column(_later_villages(c, order, rng), c.index)
        if kind == "other_township":
            c["township_code"] = object_column(
                [str(rng.choice(later_files[t])) for t in c["township_code"]], c.index
            )
            villages = _random_villages(c["township_code"].to_numpy(), geography.load_divisions(), rng)
            c["village_code"] = object_column(villages, c.index)
        frames.append(c)
    copies = pd.concat(frames)
    n = len(copies)
    idn = copies["id_number"].astype("string")
    form = rng.choice(
        np.array(["text", "lower_x", "spaced", "full_width", "id15"], dtype=object),
        n,
        p=[0.6, 0.1, 0.1, 0.1, 0.1],
    )
    form = np.where((form == "lower_x") & ~idn.str.endswith("X").to_numpy(), "text", form)
    form = np.where((form == "id15") & (copies["birth_date"].dt.year >= 2000).to_numpy(), "text", form)
    copies["id_form"] = object_column(form, copies.index)
    copies = copies.reset_index(drop=True)
    copies.index = copies.index + (int(p.index.max()) + 1)
    return expected_outcome(copies)


def _village_order() -> pd.Series:
    """Each village's position in its township's return (official code order)."""
    d = geography.load_divisions().sort_values("village_code")
    return pd.Series(d.groupby("township_code").cumcount().to_numpy(), index=d["village_code"].to_numpy())


def _later_villages(c: pd.DataFrame, order: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """For each row, a village of the same township that comes later in the return than the row's village."""
    codes = order.index.to_series().sort_values().reset_index(drop=True)
    size = codes.groupby(codes.str[:9]).size()
    first = codes.groupby(codes.str[:9]).apply(lambda s: s.index.min())
    t = c["township_code"].to_numpy()
    pos = order.reindex(c["village_code"]).to_numpy()
    later = size.reindex(t).to_numpy() - 1 - pos  # ≥ 1: the last village of a township is never copied from
    step = 1 + np.floor(rng.random(len(c)) * later).astype(np.int64)
    return codes.to_numpy()[first.reindex(t).to_numpy() + pos + step]
