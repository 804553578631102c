"""The sample county's population: invented people who meet (or, on purpose, miss) the definitions.

Everything is drawn column-wise with numpy from one ``default_rng``, so a million people take seconds and a
seed always gives the same county. A *slot* says where a person lives and which category's facts to draw
(``township_code``, ``village_code``, ``category``, optional ``age`` and ``sex``); :func:`fill` turns slots into
people with a birth date, a sex, a valid 18-digit ID, a name and every template field a cadre would fill for
that category, in canonical values (PRODUCT.md §4.1, ``params/codebook.yaml``).

The realism the payroll and the workbooks rely on:

- ages: children 0–15, women 20–59 (peak around 40), elders 60+ with a real tail (about a fifth 80+, a few
  percent 90+, a handful 100+), allocated by quota so the tail exists for every seed;
- ID address codes of the era the ID was issued in (policy.md §8): 大英县 510923 only exists since 1997, so
  older residents often carry 射洪县 510922, 蓬溪县 510921 or the pre-1985 512836/512835; married-in women
  carry the code of their home county;
- children have a guardian (祖父/祖母/外祖父/外祖母/其他亲属) with an ID and a mobile phone, an agreement signed
  in 2017 for most, a guardianship grade, schooling that fits their age.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
import yaml

from liushou_core.cleaning.classify import Thresholds
from liushou_core.paths import params_dir
from liushou_core.register import CATEGORIES
from liushou_core.sample import geography, ids, names
from liushou_core.sample.columns import object_frame

CHILD, WOMAN, ELDER = CATEGORIES

#: The seed document's count (大英县人民政府办公室, 2018-06-04): 20,898 = 6,049 + 1,604 + 13,245, "截至去年底".
SEED_COUNTS: dict[str, int] = {CHILD: 6049, WOMAN: 1604, ELDER: 13245}

#: A missing cell, for np.where/np.select over object arrays.
_NA = np.array(None, dtype=object)


@dataclass(frozen=True)
class Survey:
    """The survey round the sample imitates: its reference date, the definitions then in force, the filing."""

    reference_date: dt.date
    thresholds: Thresholds
    filing_start: dt.date  # returns were filled in early January 2018
    filing_end: dt.date

    @classmethod
    def default(cls) -> Survey:
        return _default_survey()

    def shifted(self, day: dt.date) -> dt.date:
        """A date of the first round's calendar (agreements signed in 2017 …) moved to this round's year."""
        return _same_day(day, day.year + self.reference_date.year - 2017)


@lru_cache(maxsize=1)
def _default_survey() -> Survey:
    data = yaml.safe_load((params_dir() / "survey.yaml").read_text(encoding="utf-8"))
    ref = data["reference_date"]
    ref = ref if isinstance(ref, dt.date) else dt.date.fromisoformat(str(ref))
    return Survey(ref, Thresholds.at(ref), ref + dt.timedelta(days=2), ref + dt.timedelta(days=20))


# ----- allocation -----------------------------------------------------------------------------------------


def allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total`` into integers proportional to ``weights`` (largest remainder; sums to ``total``)."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(np.int64)
    short = total - int(out.sum())
    if short:
        out[np.argsort(-(exact - out), kind="stable")[:short]] += 1
    return out


def quota_draw(values: np.ndarray, p: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` draws from ``values`` with probabilities ``p``: each value gets ⌊p·n⌋ draws for sure, the rest at
    random, shuffled. Rare values (a 100-year-old) are then present for every seed, not only by luck."""
    p = np.asarray(p, dtype=float) / np.sum(p)
    counts = np.floor(p * n).astype(np.int64)
    rest = n - int(counts.sum())
    if rest:
        counts += np.bincount(rng.choice(len(values), size=rest, p=p), minlength=len(values))
    return rng.permutation(np.repeat(values, counts))


# Age structure of each category (weights by completed years at the reference date).
_CHILD_AGES = np.arange(0, 16)
_CHILD_W = np.array([0.55, 0.8, 0.95, 1, 1, 1.05, 1.1, 1.1, 1.1, 1.1, 1.1, 1.05, 1.05, 1.0, 0.95, 0.9])
_WOMAN_AGES = np.arange(20, 60)
_WOMAN_W = np.exp(-0.5 * ((_WOMAN_AGES - 38) / 9.0) ** 2) + 0.05
_ELDER_AGES = np.arange(60, 108)
# Share of each five-year band among left-behind elders (80+ ≈ 20 %, 90+ ≈ 3.5 %, 100+ ≈ 0.06 %).
_ELDER_BANDS = [24, 24, 18, 14, 10.5, 6, 2.6, 0.8, 0.05, 0.01]
_ELDER_W = np.array([_ELDER_BANDS[min(int(a - 60) // 5, 9)] / (5 if a < 105 else 3) for a in _ELDER_AGES])
_AGES = {CHILD: (_CHILD_AGES, _CHILD_W), WOMAN: (_WOMAN_AGES, _WOMAN_W), ELDER: (_ELDER_AGES, _ELDER_W)}


def county_slots(counts: dict[str, int], rng: np.random.Generator) -> pd.DataFrame:
    """Slots for ``counts`` people per category, spread over the 11 townships in proportion to their number
    of villages (exactly, by largest remainder) and over each township's villages by a random weight
    (residents' committees, the town centres, have fewer left-behind people)."""
    d = geography.load_divisions()
    t = geography.townships()
    vweight = rng.gamma(4.0, 1.0, len(d)) * np.where(d["village_kind"].to_numpy() == "社区", 0.35, 1.0)
    frames = []
    for cat, total in counts.items():
        per_township = allocate(total, t["villages"].to_numpy())
        tcodes = np.repeat(t["township_code"].to_numpy(), per_township)
        vcodes = np.empty(len(tcodes), dtype=object)
        for code in t["township_code"]:  # 11 townships
            m = tcodes == code
            inside = (d["township_code"] == code).to_numpy()
            w = vweight[inside] / vweight[inside].sum()
            vcodes[m] = rng.choice(d["village_code"].to_numpy()[inside], size=int(m.sum()), p=w)
        frames.append(
            object_frame(
                {"township_code": tcodes, "village_code": vcodes, "category": np.full(len(tcodes), cat)}
            )
        )
    slots = pd.concat(frames, ignore_index=True)
    return slots.sample(frac=1.0, random_state=rng).reset_index(drop=True)


# ----- identity -------------------------------------------------------------------------------------------


def _ages(slots: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    age = (
        slots["age"].to_numpy(dtype=float, na_value=np.nan, copy=True)
        if "age" in slots
        else np.full(len(slots), np.nan)
    )
    cat = slots["category"].to_numpy()
    for c, (values, w) in _AGES.items():
        m = (cat == c) & np.isnan(age)
        age[m] = quota_draw(values, w, int(m.sum()), rng)
    return age.astype(np.int64)


_SEXES = np.array(["女", "男"], dtype=object)


def _sexes(slots: pd.DataFrame, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    given = (
        slots["sex"].to_numpy(dtype=object, na_value=None) if "sex" in slots else np.full(len(slots), None)
    )
    cat = slots["category"].to_numpy()
    # Women outlive men: the share of men among elders falls with age.
    p_male = np.select(
        [cat == CHILD, cat == WOMAN], [0.53, 0.0], default=np.clip(0.5 - 0.008 * (age - 60), 0.15, 0.5)
    )
    out = _SEXES[(rng.random(len(age)) < p_male).astype(np.int64)]
    fixed = pd.notna(given)
    out[fixed] = given[fixed]
    return out


def birth_dates(age: np.ndarray, survey: Survey, rng: np.random.Generator) -> np.ndarray:
    """Birth dates giving each completed age at the reference date (a birthday on the reference date counts
    as reached). Age −1 stands for a baby born after the reference date but before the return was filled."""
    ref = survey.reference_date
    lo, hi = {}, {}
    for a in np.unique(age):  # at most ~110 distinct ages
        a = int(a)
        if a < 0:
            lo[a], hi[a] = ref + dt.timedelta(days=1), survey.filing_start + dt.timedelta(days=5)
            continue
        top = _same_day(ref, ref.year - a)  # born on or before this day: already a years old
        lo[a], hi[a] = _same_day(ref, ref.year - a - 1) + dt.timedelta(days=1), top
    lo_days = np.array([(lo[int(a)] - dt.date(1970, 1, 1)).days for a in np.unique(age)])
    hi_days = np.array([(hi[int(a)] - dt.date(1970, 1, 1)).days for a in np.unique(age)])
    idx = np.searchsorted(np.unique(age), age)
    days = lo_days[idx] + np.floor(rng.random(len(age)) * (hi_days[idx] - lo_days[idx] + 1)).astype(np.int64)
    return days.astype("datetime64[D]").astype("datetime64[ns]")


def _same_day(ref: dt.date, year: int) -> dt.date:
    try:
        return ref.replace(year=year)
    except ValueError:  # 29 February in a common year
        return ref.replace(year=year, day=28)


# Address codes (GB/T 2260) by the era the ID was issued in; 大英县 (510923) exists since 1997, formed from
# parts of 射洪县 (510922, before 1985 512836) and 蓬溪县 (510921, before 1985 512835).
_LOCAL_OLD = ([512836, 512835, 510922, 510921, 510923], [0.20, 0.12, 0.28, 0.15, 0.25])
_LOCAL_MID = ([510922, 510921, 510923, 512836, 512835], [0.38, 0.24, 0.32, 0.04, 0.02])
_LOCAL_NEW = ([510923, 510922, 510921], [0.93, 0.04, 0.03])
_LOCAL_CHILD = ([510923, 510903, 510904], [0.97, 0.02, 0.01])
# Home counties of married-in women, by when their ID was issued.
_MARRIED_IN = {
    "before_1997": [510722, 511025, 510902, 511023, 510322, 510921],
    "1997_2002": [510722, 511025, 510322, 510902, 500228],
    "2003_on": [510722, 511025, 510322, 510903, 510904, 512022, 500228],
}


def address_codes(birth_year: np.ndarray, married_in: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The ID address code (int) of each person: local codes of the era, or a married-in woman's home county."""
    n = len(birth_year)
    out = np.zeros(n, dtype=np.int64)
    issued = np.maximum(birth_year + 16, 1985)
    groups = [
        (birth_year >= 2000, _LOCAL_CHILD),
        ((birth_year < 2000) & (issued >= 1998), _LOCAL_NEW),
        ((issued < 1998) & (birth_year >= 1958), _LOCAL_MID),
        (birth_year < 1958, _LOCAL_OLD),
    ]
    for m, (codes, p) in groups:
        out[m] = rng.choice(codes, size=int(m.sum()), p=p)
    for era, m in {
        "before_1997": married_in & (issued < 1997),
        "1997_2002": married_in & (issued >= 1997) & (issued < 2003),
        "2003_on": married_in & (issued >= 2003),
    }.items():
        out[m] = rng.choice(_MARRIED_IN[era], size=int(m.sum()))
    return out


# ----- facts ----------------------------------------------------------------------------------------------

_MOBILE_PREFIXES = np.array(
    ["133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "157", "158", "159",
     "177", "180", "181", "182", "183", "187", "188", "189", "199"]
)  # fmt: skip


def mobiles(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` plausible 11-digit mobile numbers."""
    number = _MOBILE_PREFIXES.astype(np.int64)[rng.integers(0, len(_MOBILE_PREFIXES), n)] * 10**8
    return (number + rng.integers(0, 10**8, n)).astype("U11").astype(object)


def _dates_between(start: dt.date, end: dt.date, n: int, rng: np.random.Generator) -> np.ndarray:
    days = rng.integers(0, (end - start).days + 1, n)
    return (np.datetime64(start, "D") + days).astype("datetime64[ns]")


def _pick(
    values: list[str], p: list[float], n: int, rng: np.random.Generator, where: np.ndarray | None = None
) -> np.ndarray:
    """``n`` values drawn with weights ``p`` (an object array); None outside ``where``."""
    out = np.array(values, dtype=object)[rng.choice(len(values), size=n, p=np.array(p) / sum(p))]
    if where is not None:
        out[~where] = None
    return out


def _label(values: list[str], codes: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
    out = np.array(values, dtype=object)[codes]
    if where is not None:
        out[~where] = None
    return out


_WORK_PLACES = ["广东", "浙江", "福建", "江苏", "新疆", "成都", "重庆", "上海", "北京", "深圳"]

#: The canonical template fields of a person, as :func:`fill` returns them (besides the truth columns).
FACT_FIELDS = (
    "name", "sex", "group", "father_status", "mother_status", "husband_status", "children_status",
    "months_away", "guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone",
    "agreement_signed", "agreement_date", "guardianship_grade", "household_economy", "health",
    "disability_grade", "schooling", "boarding", "phone", "last_visit_date", "visitor", "notes",
)  # fmt: skip


def fill(slots: pd.DataFrame, survey: Survey, rng: np.random.Generator) -> pd.DataFrame:
    """People for ``slots``: identity (age, sex, birth date, unique valid ID) and every template field.

    Facts are those of ``category`` and meet its definition (both parents away or one away and the other
    without capacity; husband away 6+ months; all children away 6+ months); the sample's mistakes module
    changes some of them afterwards, on purpose. Fields that do not concern the category stay empty.
    """
    n = len(slots)
    cat = slots["category"].to_numpy()
    is_child, is_woman, is_elder = cat == CHILD, cat == WOMAN, cat == ELDER
    age = _ages(slots, rng)
    sex = _sexes(slots, age, rng)
    male = sex == "男"
    birth = birth_dates(age, survey, rng)
    byear = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    married_in = ~male & (byear < 2000) & (rng.random(n) < np.where(is_woman, 0.15, 0.10))
    address = address_codes(byear, married_in, rng)

    # Guardians of children: relation (祖父 祖母 外祖父 外祖母 其他亲属), sex, age, name, ID and phone.
    rel = rng.choice(5, size=n, p=np.array([25, 35, 8, 12, 20]) / 100)
    relation = _label(["祖父", "祖母", "外祖父", "外祖母", "其他亲属"], rel, is_child)
    g_male = (rel == 0) | (rel == 2) | ((rel == 4) & (rng.random(n) < 0.45))
    g_age = np.where(rel == 4, rng.integers(28, 61, n), np.clip(age + rng.normal(50, 6, n).round(), 45, 85))
    g_age = g_age.astype(np.int64)
    g_birth = birth_dates(g_age, survey, rng)
    g_byear = g_birth.astype("datetime64[Y]").astype(np.int64) + 1970
    g_address = address_codes(g_byear, ~g_male & (rng.random(n) < 0.10), rng)

    # One ID pass for people and guardians together, so every 18-digit number of the sample is unique.
    all_ids = ids.unique_ids(
        np.concatenate([address, g_address[is_child]]),
        np.concatenate([birth, g_birth[is_child]]),
        np.concatenate([male, g_male[is_child]]),
        rng,
    )
    id_number = all_ids[:n]
    g_id = np.full(n, None, dtype=object)
    g_id[is_child] = all_ids[n:]

    surname = names.surname_codes(n, rng)
    name = names.full_names(byear, male, rng, surname=surname)
    # Only the paternal grandfather shares the child's surname; women keep their own.
    g_surname = np.where(rel == 0, surname, names.surname_codes(n, rng))
    g_name = np.full(n, None, dtype=object)
    g_name[is_child] = names.full_names(g_byear[is_child], g_male[is_child], rng, surname=g_surname[is_child])

    d = geography.load_divisions().set_index("village_code")
    vcode = slots["village_code"].to_numpy()
    vidx = d.index.get_indexer(vcode)
    # Each village has 6–15 村民小组; people live in one of them.
    n_groups = 6 + (pd.Series(d.index).str[-3:].astype(int).to_numpy() * 7 + 3) % 10
    group = np.floor(rng.random(n) * n_groups[vidx]).astype(np.int64) + 1

    # Parents of children: both away (most), or one away and the other without guardianship capacity.
    one_incapable = is_child & (rng.random(n) < 0.12)
    incapable_is_mother = rng.random(n) < 0.55
    father = _label(["外出务工"], np.zeros(n, dtype=np.int64), is_child)
    mother = father.copy()
    father[one_incapable & ~incapable_is_mother] = "无监护能力"
    mother[one_incapable & incapable_is_mother] = "无监护能力"
    husband = _label(["外出务工"], np.zeros(n, dtype=np.int64), is_woman)
    children = _label(["全部外出"], np.zeros(n, dtype=np.int64), is_elder)
    months = rng.choice(np.array([6, 7, 8, 9, 10, 11, 12, 12, 12, 18, 24, 24, 36, 48, 60, 96, 120]), n)

    signed_ok = is_child & (rng.random(n) < 0.93)
    signed = _label(["未签订", "已签订"], signed_ok.astype(np.int64), is_child)
    agreement_date = np.where(
        rng.random(n) < 0.6,
        _dates_between(survey.shifted(dt.date(2017, 10, 1)), survey.shifted(dt.date(2017, 12, 28)), n, rng),
        _dates_between(survey.shifted(dt.date(2017, 3, 1)), survey.shifted(dt.date(2017, 9, 30)), n, rng),
    )
    agreement_date[~signed_ok] = np.datetime64("NaT")
    grade_code = rng.choice(3, size=n, p=[0.55, 0.38, 0.07])
    grade_code[one_incapable & (rng.random(n) < 0.4)] = 2
    grade = _label(["较好", "一般", "差"], grade_code, is_child)

    economy = np.empty(n, dtype=object)
    economy[is_child] = _pick(
        ["一般", "建档立卡贫困户", "低保户", "建档立卡贫困户、低保户", "建档困难职工"],
        [72, 14, 8, 5, 1],
        int(is_child.sum()),
        rng,
    )
    economy[is_woman] = _pick(
        ["一般", "建档立卡贫困户", "低保户", "建档立卡贫困户、低保户"],
        [78, 12, 7, 3],
        int(is_woman.sum()),
        rng,
    )
    economy[is_elder] = _pick(
        ["一般", "低保户", "建档立卡贫困户", "特困供养", "建档立卡贫困户、低保户", "低保户、特困供养"],
        [58, 15, 12, 6, 6, 3],
        int(is_elder.sum()),
        rng,
    )
    p_health = np.select([is_child, is_woman], [0, 1], 2)
    sick = np.array([0.025, 0.09, 0.40])[p_health]
    disabled = np.array([0.025, 0.03, 0.08])[p_health]
    r = rng.random(n)
    health_code = np.where(r < disabled, 2, np.where(r < disabled + sick, 1, 0))
    health = _label(["健康", "患病", "残疾"], health_code)
    disability = _pick(["一级", "二级", "三级", "四级"], [10, 20, 35, 35], n, rng, where=health_code == 2)

    school = np.select(
        [age <= 5, age <= 11, age <= 14],
        [0, 1, 2],
        default=rng.choice([2, 3, 4, 5], n, p=[0.4, 0.32, 0.2, 0.08]),
    )
    school[(age >= 13) & (age <= 14) & (rng.random(n) < 0.01)] = 5
    schooling = _label(["学前", "小学", "初中", "高中", "中职", "辍学"], school, is_child)
    p_board = np.array([0.0, 0.08, 0.45, 0.8, 0.7, 0.0])[school]
    boarding = _label(["否", "是"], (rng.random(n) < p_board).astype(np.int64), is_child)

    phone = np.full(n, None, dtype=object)
    has_phone = rng.random(n) < np.where(is_elder, 0.7, 0.97)
    phone[has_phone] = mobiles(int(has_phone.sum()), rng)
    g_phone = np.full(n, None, dtype=object)
    g_phone[is_child] = mobiles(int(is_child.sum()), rng)

    visited = rng.random(n) < 0.9
    last_visit = _dates_between(survey.shifted(dt.date(2017, 9, 1)), survey.filing_start, n, rng)
    last_visit[~visited] = np.datetime64("NaT")
    cadres = _village_cadres(rng)
    visitor = cadres[vidx, rng.integers(0, cadres.shape[1], n)]
    visitor[~visited] = None

    notes = np.full(n, None, dtype=object)
    r = rng.random(n)
    place = np.array(_WORK_PLACES, dtype=object)
    for mask, text in (  # five kinds of remark, each on a subset
        (is_child & ~one_incapable & (r < 0.12), lambda k: "父母在" + rng.choice(place, k) + "务工"),
        (is_woman & (r < 0.2), lambda k: "丈夫在" + rng.choice(place, k) + "务工"),
        (is_elder & (r < 0.15), lambda k: np.full(k, "独居", dtype=object)),
        (is_elder & (r >= 0.15) & (r < 0.25), lambda k: np.full(k, "与老伴同住", dtype=object)),
    ):
        notes[mask] = text(int(mask.sum()))
    incap_note = one_incapable & (r < 0.6)
    notes[incap_note] = np.where(incapable_is_mother[incap_note], "母亲重病", "父亲重残")

    # A handful of children are left with nobody (无人监护: both parents away, no delegate named) — the hard
    # alert the assistance workbook leads with. Drawn from a spawned generator so that every other value of
    # the sample stays what it was for the seed.
    (alone_rng,) = rng.spawn(1)
    alone = is_child & ~one_incapable & (alone_rng.random(n) < 0.004)
    for column in (g_name, relation, g_id, g_phone):
        column[alone] = None
    signed = np.where(alone, "未签订", signed).astype(object)
    signed[~is_child] = None
    agreement_date[alone] = np.datetime64("NaT")
    grade = np.where(alone, "差", grade).astype(object)
    grade[~is_child] = None

    columns = {
        "township_code": slots["township_code"].to_numpy(),
        "village_code": vcode,
        "category": cat,
        "age": age,
        "sex": sex,
        "birth_date": birth,
        "id_number": id_number,
        "name": name,
        "group": group,
        "father_status": father,
        "mother_status": mother,
        "husband_status": husband,
        "children_status": children,
        "months_away": months,
        "guardian_name": g_name,
        "guardian_relation": relation,
        "guardian_id_number": g_id,
        "guardian_phone": g_phone,
        "agreement_signed": signed,
        "agreement_date": agreement_date,
        "guardianship_grade": grade,
        "household_economy": economy,
        "health": health,
        "disability_grade": disability,
        "schooling": schooling,
        "boarding": boarding,
        "phone": phone,
        "last_visit_date": last_visit,
        "visitor": visitor,
        "notes": notes,
    }
    return object_frame(columns)


def _village_cadres(rng: np.random.Generator, per_village: int = 3) -> np.ndarray:
    """Names of the cadres who visit in each village (儿童主任, 村干部): ``(villages, per_village)``."""
    n = len(geography.load_divisions()) * per_village
    return names.full_names(rng.integers(1962, 1992, n), rng.random(n) < 0.5, rng).reshape(-1, per_village)


def cadre_names(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` names of township staff (填表人, 审核人)."""
    return names.full_names(rng.integers(1965, 1995, n), rng.random(n) < 0.5, rng)


def split_counts(n: int) -> dict[str, int]:
    """``n`` people split between the categories in the seed's proportions (exactly the seed for 20,898)."""
    return dict(zip(SEED_COUNTS, allocate(n, np.array(list(SEED_COUNTS.values()))).tolist(), strict=True))
