"""Following survey rounds of the sample county (动态管理): the same people a year later, and the truth of it.

Round 2018 is the sample county: the survey of the end of 2017, coded in the 2018 division list. Round ``r``
is the survey of the end of ``r − 1`` (reference date 31 December), drawn from round ``r − 1``'s verified
register with the same seed, in the newest division list the package ships (2019: 盐井街道 and nine towns).
Everyone is a year older, and a year happens to them, at yearly rates that are the sample's assumptions:

- **exits** — children who turn 16 drop off the list; women past 59 too, unless their children are all away
  (then they are listed as elders); elders die (more the older they are); people move out of the county —
  all four simply absent from the new returns; a parent, husband or child who came home: the person is still
  listed, with the new fact, and no longer qualifies;
- **entries** — babies born in the year, children whose parents left in the year, women whose husbands left,
  people who turned 60 with every child away, elders whose children left, people newly listed for reasons
  the returns do not give, and people pending last time (a name or village left blank) now written right;
- **moves** between villages and townships, and **changes of circumstances** for those who stay: a new
  guardian, a signed agreement, a household out of poverty or newly on 低保, illness and recovery, the next
  school stage.

The new returns carry the same kinds of mistakes, duplicates and extra rows as the first round. The truth of
every change is the *change key* (:data:`CHANGES_KEY`): one row per person of either register with the event,
and what a comparison of the two cleaned registers can and should conclude from the data (``expected_change``,
``expected_reason``: a death or a move out of the county is only ever “not found”).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from liushou_core.cleaning.classify import Thresholds
from liushou_core.register import CATEGORIES
from liushou_core.sample import geography, ids, mistakes, people
from liushou_core.sample.county import County, build_county
from liushou_core.sample.layout import layout
from liushou_core.sample.styles import draw_styles
from liushou_core.values import crosswalk
from liushou_core.values.dates import age_at

CHILD, WOMAN, ELDER = CATEGORIES
FIRST_ROUND = 2018
CHANGES_KEY = "_changes_key.csv"

#: Yearly probability of dying, for elders, from each age on (assumptions for a realistic sample).
DEATH_FROM_AGE = ((100, 0.40), (90, 0.25), (80, 0.11), (70, 0.04), (60, 0.015))
#: Yearly probabilities of events and changes for a person of the register (assumptions).
RATES = {
    "moved_out": 0.012,
    "parent_returned": 0.07,  # of children
    "husband_returned": 0.09,  # of women
    "children_returned": 0.03,  # of elders
    "moved": 0.025,
    "moved_township": 0.25,  # share of moves that cross a township boundary
    "woman_to_elder": 0.30,  # of women turning 60: their children are all away too
    "guardian_changed": 0.04,  # of children
    "agreement_signed": 0.60,  # of children without a signed agreement
    "out_of_poverty": 0.15,  # of registered poor (建档立卡) households
    "new_dibao": 0.02,  # of households listed as 一般
    "fell_ill": 0.05,  # of healthy elders
    "recovered": 0.30,  # of sick children
    "corrected": 0.85,  # of last round's people pending for a name or village, listed right this time
}
#: New people per person of the previous register of the same category (assumptions).
ENTRY_RATES: dict[str, tuple[str, float]] = {
    "born": (CHILD, 0.033),
    "parent_left": (CHILD, 0.05),
    "husband_left": (WOMAN, 0.07),
    "turned_60": (ELDER, 0.045),
    "children_left": (ELDER, 0.01),
    "moved_in_child": (CHILD, 0.008),
    "moved_in_woman": (WOMAN, 0.008),
    "moved_in_elder": (ELDER, 0.008),
}
#: Pending scenarios whose facts are sound: the person is listed right in the next round.
FIXABLE = (
    "name_missing",
    "township_missing",
    "township_unknown",
    "village_missing",
    "village_unknown",
    "village_ambiguous",
)
#: Listed exits: the person stays on the list with a fact that no longer qualifies (→ not_qualified).
LISTED_EXITS = {
    "parent_returned": "nq_child_parent",
    "husband_returned": "nq_woman_home",
    "children_returned": "nq_elder_partial",
}
#: Event → (expected_change, expected_reason) of a comparison of the two cleaned registers.
EXPECTED: dict[str, tuple[str, str]] = {
    "stayed": ("stayed", "stayed"),
    "moved_village": ("stayed", "stayed"),
    "moved_township": ("stayed", "stayed"),
    "woman_to_elder": ("stayed", "turned_60"),
    "turned_16": ("left", "turned_16"),
    "woman_over_age": ("left", "over_age"),
    "died": ("left", "not_found"),
    "moved_out": ("left", "not_found"),
    "parent_returned": ("left", "parent_returned"),
    "husband_returned": ("left", "husband_returned"),
    "children_returned": ("left", "children_returned"),
    "born": ("entered", "born"),
    "parent_left": ("entered", "parent_left"),
    "husband_left": ("entered", "husband_left"),
    "turned_60": ("entered", "turned_60"),
    "children_left": ("entered", "children_left"),
    "moved_in": ("entered", "unexplained"),
    "corrected": ("entered", "previously_pending"),
}
#: Circumstances whose change the key records (the comparison's ``guardian`` is the person, not a field).
WATCHED = ("guardian", "agreement_signed", "household_economy", "health", "schooling", "boarding")


class ChangeKey(pa.DataFrameModel):
    """The truth of one person's change between two rounds (one row per person of either register)."""

    id_number: Series[str] = pa.Field(unique=True, str_matches=r"^\d{17}[\dX]$")
    event: Series[str] = pa.Field(isin=list(EXPECTED))
    expected_change: Series[str] = pa.Field(isin=["entered", "left", "stayed"])
    expected_reason: Series[str]
    category_old: Series[str] = pa.Field(isin=[*CATEGORIES, ""])
    category_new: Series[str] = pa.Field(isin=[*CATEGORIES, ""])
    village_code_old: Series[str]  # in the new round's vintage; "" for an entry
    village_code_new: Series[str]  # "" for an exit (listed exits keep theirs: they are on the list)
    moved: Series[str] = pa.Field(isin=["", "village", "township"])
    changed: Series[str]  # ";"-joined WATCHED names whose true value changed

    class Config:
        strict = True
        coerce = True


@dataclass(frozen=True)
class Round:
    """A generated survey round: its county (as :func:`~.county.build_county` gives it) and the truth of the
    changes since the round before (empty for the first round)."""

    number: int
    survey: people.Survey
    vintage: int
    county: County
    changes: pd.DataFrame


def survey_for(number: int) -> people.Survey:
    """The survey of round ``number``: reference date the end of ``number − 1``, the definitions then in force."""
    first = people.Survey.default()
    if number == FIRST_ROUND:
        return first
    ref = first.reference_date.replace(year=first.reference_date.year + number - FIRST_ROUND)
    return people.Survey(ref, Thresholds.at(ref), ref + dt.timedelta(days=2), ref + dt.timedelta(days=20))


def vintage_for(number: int) -> int:
    """The division list a round is coded in: 2018 for the first, the newest shipped list after that."""
    return geography.FIRST_VINTAGE if number == FIRST_ROUND else max(crosswalk.LISTED_VINTAGES)


def build_round(seed: int, number: int) -> Round:
    """Round ``number`` (2018, 2019, …) of the sample county drawn from ``seed``; later rounds follow from the
    earlier ones, so the same seed always gives the same people from round to round."""
    if number < FIRST_ROUND:
        raise ValueError(f"the sample's first round is {FIRST_ROUND}")
    if number == FIRST_ROUND:
        county = build_county(people.SEED_COUNTS, seed)
        return Round(number, people.Survey.default(), geography.FIRST_VINTAGE, county, _empty_key())
    return next_round(build_round(seed, number - 1), seed)


def _empty_key() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in ChangeKey.to_schema().columns})


# ----- the year between two rounds ---------------------------------------------------------------------------


def next_round(prev: Round, seed: int) -> Round:
    """The round after ``prev``: its people, returns and the truth of every change."""
    number = prev.number + 1
    survey = survey_for(number)
    vintage = vintage_for(number)
    rng = np.random.default_rng([seed, number])
    plan = prev.county.plan
    verified = plan["fate"].eq("verified") & plan["copy_kind"].isna()
    with geography.using(vintage):
        base = _recode(plan[verified], vintage)
        old = base.copy()
        age_new = age_at(base["birth_date"], survey.reference_date).to_numpy(dtype=np.int64)
        events = _events(base["category"].to_numpy(), age_new, survey.thresholds, rng)
        listed = np.isin(
            events, ["stayed", "moved_village", "moved_township", "woman_to_elder", *LISTED_EXITS]
        )
        carried = _a_year_later(base[listed], events[listed], age_new[listed], survey, rng)
        corrected = _corrected(plan, vintage, survey, rng)
        n_verified = int((~carried["scenario"].isin(list(LISTED_EXITS))).sum()) + len(corrected)
        entrant_slots = _entrant_slots(base, survey, rng)
        n_verified += len(entrant_slots)

        styles = draw_styles(
            rng, cadres=people.cadre_names(2 * len(geography.townships()), rng), year=number - 1
        )
        pending_slots = mistakes.pending_slots(n_verified, styles, rng)
        donors = carried[carried["guardian_change"]]
        donor_slots = donors[["township_code", "village_code", "category"]].assign(
            age=donors["age"].astype(float)
        )
        slots = pd.concat(
            [entrant_slots.assign(origin="entrant"), pending_slots.assign(origin="pending"),
             donor_slots.assign(origin="donor", event="", scenario="verified")],
            ignore_index=True,
        )  # fmt: skip
        filled = people.fill(slots, survey, rng)
        known = [f[c] for f in (carried, corrected) for c in ("id_number", "guardian_id_number")]
        filled = _untaken_ids(filled, set(pd.concat(known).dropna()), rng)
        origin = slots["origin"].to_numpy()
        carried = _new_guardians(carried, filled[origin == "donor"], survey, rng)

        entrants = _as_entrants(filled[origin == "entrant"], slots[origin == "entrant"], rng)
        pend = filled[origin == "pending"].assign(
            scenario=slots.loc[origin == "pending", "scenario"].to_numpy()
        )
        columns = list(filled.columns)
        p = pd.concat(
            [_shape(carried, columns), _shape(corrected, columns), _shape(entrants, columns), _shape(pend, columns)],
            ignore_index=True,
        )  # fmt: skip
        p = mistakes.apply_fact_mistakes(p, rng)
        p["scenario"] = p["scenario"].replace(LISTED_EXITS)
        p = mistakes.mark_cell_mistakes(p, styles, rng)
        plan_new = pd.concat([p, mistakes.duplicate_copies(p, styles, rng)])
        rows = layout(plan_new, styles, rng)
    county = County(seed, styles, plan_new, rows)
    key = _change_key(old, events, carried, corrected, entrants)
    return Round(number, survey, vintage, county, key)


def _shape(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The people columns :func:`people.fill` gives, plus ``scenario`` and ``event``."""
    out = frame.reindex(columns=[*columns, "scenario", "event"]).copy()
    out["months_away"] = out["months_away"].astype("Int64")
    out["age"] = out["age"].astype(np.int64)
    return out


def _recode(frame: pd.DataFrame, vintage: int) -> pd.DataFrame:
    """People of a plan, their village and township in ``vintage``'s codes."""
    m = crosswalk.mapping(vintage).set_index("code")
    out = frame.copy().reset_index(drop=True)
    codes = out["village_code"].astype(str)
    out["village_code"] = codes.map(m["village_code"]).to_numpy(dtype=object)
    out["township_code"] = codes.map(m["township_code"]).to_numpy(dtype=object)
    return out


def _events(cat: np.ndarray, age: np.ndarray, t: Thresholds, rng: np.random.Generator) -> np.ndarray:
    """What the year brings each person of the register (one event each, the first that applies)."""
    n = len(cat)
    u = rng.random((5, n))
    child, woman, elder = cat == CHILD, cat == WOMAN, cat == ELDER
    death = np.select([age >= a for a, _ in DEATH_FROM_AGE], [p for _, p in DEATH_FROM_AGE], 0.0)
    moving = u[4] < RATES["moved"]
    conditions = [
        child & (age >= t.child_age_limit),
        woman & (age > t.woman_max_age) & (u[0] < RATES["woman_to_elder"]),
        woman & (age > t.woman_max_age),
        elder & (u[0] < death),
        u[1] < RATES["moved_out"],
        child & (u[2] < RATES["parent_returned"]),
        woman & (u[2] < RATES["husband_returned"]),
        elder & (u[2] < RATES["children_returned"]),
        moving & (u[3] < RATES["moved_township"]),
        moving,
    ]
    choices = [
        "turned_16", "woman_to_elder", "woman_over_age", "died", "moved_out", "parent_returned",
        "husband_returned", "children_returned", "moved_township", "moved_village",
    ]  # fmt: skip
    return np.select(conditions, choices, default="stayed").astype(object)


def _a_year_later(
    frame: pd.DataFrame, events: np.ndarray, age: np.ndarray, survey: people.Survey, rng: np.random.Generator
) -> pd.DataFrame:
    """The listed people of the register a year on: older, moved, with their circumstances changed."""
    p = frame.copy().reset_index(drop=True)
    n = len(p)
    u = rng.random((10, n))
    p["age"] = age
    p["event"] = events
    p["scenario"] = np.where(np.isin(events, list(LISTED_EXITS)), events, "verified").astype(object)
    p["months_away"] = (p["months_away"].astype("Int64") + 12).astype("Int64")
    cat = p["category"].to_numpy()
    child = cat == CHILD

    # Who came home: a parent who was away, a husband, one of the children.
    father, mother = p["father_status"].to_numpy(dtype=object), p["mother_status"].to_numpy(dtype=object)
    back = events == "parent_returned"
    father_back = back & (father == "外出务工") & ((mother != "外出务工") | (u[0] < 0.5))
    mother_back = back & ~father_back
    p.loc[father_back, "father_status"] = "在家"
    p.loc[mother_back, "mother_status"] = "在家"
    p.loc[events == "husband_returned", "husband_status"] = "在家"
    p.loc[events == "children_returned", "children_status"] = "部分外出"
    to_elder = events == "woman_to_elder"
    p.loc[to_elder, "category"] = ELDER
    p.loc[to_elder, "children_status"] = "全部外出"

    # Moves: another village of the township, or a village of another township.
    d = geography.load_divisions().sort_values("village_code", ignore_index=True)
    for kind, same_township in (("moved_village", True), ("moved_township", False)):
        m = np.flatnonzero(events == kind)
        if len(m):
            p.loc[m, "village_code"] = _other_villages(
                p.loc[m, "village_code"].to_numpy(), d, same_township, rng
            )
            p.loc[m, "township_code"] = p.loc[m, "village_code"].str[:9].to_numpy()
            p.loc[m, "group"] = 1 + np.floor(rng.random(len(m)) * 6).astype(np.int64)

    # The next school stage, and boarding drawn again for it.
    school = p["schooling"].to_numpy(dtype=object)
    senior = rng.choice(np.array(["高中", "中职", "不在学"], dtype=object), n, p=[0.55, 0.3, 0.15])
    nxt = np.select(
        [child & (age == 6) & (school == "学前"), child & (age == 12) & (school == "小学"),
         child & (age == 15) & (school == "初中")],
        [np.full(n, "小学", dtype=object), np.full(n, "初中", dtype=object), senior],
        default=np.array(None, dtype=object),
    )  # fmt: skip
    stage = pd.notna(nxt)
    p.loc[stage, "schooling"] = nxt[stage]
    p_board = (
        pd.Series(nxt).map({"小学": 0.08, "初中": 0.45, "高中": 0.8, "中职": 0.7, "不在学": 0.0}).to_numpy()
    )
    p.loc[stage, "boarding"] = np.where(u[1] < p_board, "是", "否")[stage]

    # Agreements signed during the year; a new guardian (drawn later, with a fresh ID) signs anew.
    p["guardian_change"] = child & (u[2] < RATES["guardian_changed"])
    signs = (
        child & ~p["guardian_change"].to_numpy() & (p["agreement_signed"].to_numpy(dtype=object) == "未签订")
    )
    signs &= u[3] < RATES["agreement_signed"]
    p.loc[signs, "agreement_signed"] = "已签订"
    p.loc[signs, "agreement_date"] = _days_in_year(survey, int(signs.sum()), rng)

    # Household economy: out of poverty (建档立卡 dropped), or newly on 低保.
    econ = p["household_economy"].astype("string")
    poor = econ.str.contains("建档立卡贫困户", regex=False).fillna(False).to_numpy() & (
        u[4] < RATES["out_of_poverty"]
    )
    rest = econ.str.replace(r"建档立卡贫困户、?", "", regex=True).str.strip("、").replace("", "一般")
    p.loc[poor, "household_economy"] = rest[poor].to_numpy(dtype=object)
    dibao = econ.eq("一般").fillna(False).to_numpy() & (u[5] < RATES["new_dibao"])
    p.loc[dibao, "household_economy"] = "低保户"

    health = p["health"].to_numpy(dtype=object)
    p.loc[(cat == ELDER) & (health == "健康") & (u[6] < RATES["fell_ill"]), "health"] = "患病"
    p.loc[child & (health == "患病") & (u[7] < RATES["recovered"]), "health"] = "健康"

    # This year's home visits.
    visited = u[8] < 0.9
    p["last_visit_date"] = _dates(survey.shifted(dt.date(2017, 9, 1)), survey.filing_start, n, rng)
    p.loc[~visited, "last_visit_date"] = pd.NaT
    return p


def _other_villages(
    codes: np.ndarray, d: pd.DataFrame, same_township: bool, rng: np.random.Generator
) -> np.ndarray:
    """A village other than each one's own: in the same township, or in another township."""
    all_codes = d["village_code"].to_numpy(dtype=object)
    town = pd.Series(all_codes).str[:9].to_numpy()
    pos = pd.Index(all_codes).get_indexer(codes)
    if same_township:
        first = pd.Series(np.arange(len(town))).groupby(town).transform("min").to_numpy()
        size = pd.Series(town).map(pd.Series(town).value_counts()).to_numpy()
        lo, k = first[pos], size[pos]
        step = 1 + np.floor(rng.random(len(codes)) * (k - 1)).astype(np.int64)
        return all_codes[lo + (pos - lo + step) % k]
    out = all_codes[rng.integers(0, len(all_codes), len(codes))]
    same = pd.Series(out).str[:9].to_numpy() == town[pos]
    while same.any():  # a few redraws: most villages are in other townships
        out[same] = all_codes[rng.integers(0, len(all_codes), int(same.sum()))]
        same = pd.Series(out).str[:9].to_numpy() == town[pos]
    return out


def _dates(start: dt.date, end: dt.date, n: int, rng: np.random.Generator) -> np.ndarray:
    days = rng.integers(0, (end - start).days + 1, n)
    return (np.datetime64(start, "D") + days).astype("datetime64[ns]")


def _days_in_year(survey: people.Survey, n: int, rng: np.random.Generator) -> np.ndarray:
    """Dates in the year before the reference date (agreements of that year)."""
    return _dates(survey.shifted(dt.date(2017, 3, 1)), survey.shifted(dt.date(2017, 12, 28)), n, rng)


def _corrected(
    plan: pd.DataFrame, vintage: int, survey: people.Survey, rng: np.random.Generator
) -> pd.DataFrame:
    """Last round's people pending for a name or a village left blank or miswritten: listed right now,
    if they still qualify."""
    prev = plan[plan["fate"].eq("pending") & plan["scenario"].isin(FIXABLE) & plan["copy_kind"].isna()]
    p = _recode(prev, vintage)
    age = age_at(p["birth_date"], survey.reference_date).to_numpy(dtype=np.int64)
    t = survey.thresholds
    cat = p["category"].to_numpy()
    still = np.select([cat == CHILD, cat == WOMAN], [age < t.child_age_limit, age <= t.woman_max_age], True)
    keep = still & (rng.random(len(p)) < RATES["corrected"])
    p = p[keep].reset_index(drop=True)
    p["age"] = age[keep]
    p["months_away"] = (p["months_away"].astype("Int64") + 12).astype("Int64")
    p["scenario"], p["event"] = "verified", "corrected"
    return p


def _entrant_slots(base: pd.DataFrame, survey: people.Survey, rng: np.random.Generator) -> pd.DataFrame:
    """Slots of the people newly qualified this year, living where people of their category live."""
    frames = []
    counts = base["category"].value_counts()
    for event, (cat, rate) in ENTRY_RATES.items():
        pool = np.flatnonzero(base["category"].to_numpy() == cat)
        k = int(round(rate * counts.get(cat, 0)))
        where = base.iloc[rng.choice(pool, size=k)] if k else base.iloc[:0]
        age = {
            "born": np.zeros(k),
            "parent_left": rng.integers(1, 16, k),
            "husband_left": rng.integers(22, 59, k),
            "turned_60": np.full(k, 60),
            "children_left": rng.integers(61, 90, k),
            "moved_in_child": rng.integers(1, 16, k),
            "moved_in_woman": rng.integers(22, 59, k),
            "moved_in_elder": rng.integers(61, 90, k),
        }[event]
        frames.append(
            pd.DataFrame(
                {
                    "township_code": where["township_code"].to_numpy(dtype=object),
                    "village_code": where["village_code"].to_numpy(dtype=object),
                    "category": np.full(k, cat, dtype=object),
                    "age": np.asarray(age, dtype=float),
                    "event": np.full(
                        k,
                        event.removesuffix("_child").removesuffix("_woman").removesuffix("_elder"),
                        dtype=object,
                    ),
                    "scenario": np.full(k, "verified", dtype=object),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _as_entrants(filled: pd.DataFrame, slots: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """New people with the time away their event implies: left during the year (1–11 months; 6–11 where the
    definition needs six), or long ago (12+ months) for those newly listed for no stated reason."""
    p = filled.reset_index(drop=True).copy()
    event = slots["event"].to_numpy(dtype=object)
    p["event"], p["scenario"] = event, "verified"
    n = len(p)
    months = p["months_away"].to_numpy(dtype=np.int64).copy()
    months = np.where(event == "parent_left", rng.integers(1, 12, n), months)
    months = np.where(np.isin(event, ["husband_left", "children_left"]), rng.integers(6, 12, n), months)
    months = np.where(event == "moved_in", rng.choice([12, 18, 24, 36, 48, 60, 96], n), months)
    p["months_away"] = pd.array(months, dtype="Int64")
    return p


def _untaken_ids(filled: pd.DataFrame, taken: set[str], rng: np.random.Generator) -> pd.DataFrame:
    """New people's (and their guardians') IDs drawn again where they hit an ID already in the county."""
    p = filled.copy()
    for _ in range(100):
        both = pd.concat([p["id_number"], p["guardian_id_number"]], ignore_index=True)
        clash = both.isin(taken) | (both.notna() & both.duplicated(keep="first"))
        if not clash.any():
            return p
        for col, part in (("id_number", clash[: len(p)]), ("guardian_id_number", clash[len(p) :])):
            rows = np.flatnonzero(part.to_numpy())
            if len(rows):
                p.loc[p.index[rows], col] = _redraw(p[col].iloc[rows], rng)
    raise RuntimeError("could not draw ID numbers not already in the county")


def _redraw(idn: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """Same address code, birth date and sex, another sequence number."""
    s = idn.astype(str)
    birth = pd.to_datetime(s.str[6:14], format="%Y%m%d").to_numpy()
    male = s.str[16].astype(int).to_numpy() % 2 == 1
    return ids.unique_ids(s.str[:6].astype(np.int64).to_numpy(), birth, male, rng)


def _new_guardians(
    carried: pd.DataFrame, donors: pd.DataFrame, survey: people.Survey, rng: np.random.Generator
) -> pd.DataFrame:
    """Children whose guardian changed take a newly drawn guardian; most sign the agreement again."""
    p = carried.copy()
    m = np.flatnonzero(p["guardian_change"].to_numpy(dtype=bool))
    for col in ("guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone"):
        p.loc[m, col] = donors[col].to_numpy(dtype=object)
    signed = rng.random(len(m)) < 0.7
    p.loc[m, "agreement_signed"] = np.where(signed, "已签订", "未签订")
    dates = _days_in_year(survey, len(m), rng)
    p.loc[m, "agreement_date"] = np.where(signed, dates, np.datetime64("NaT"))
    return p


# ----- the truth ---------------------------------------------------------------------------------------------


def _change_key(
    old: pd.DataFrame,
    events: np.ndarray,
    carried: pd.DataFrame,
    corrected: pd.DataFrame,
    entrants: pd.DataFrame,
) -> pd.DataFrame:
    """One row per person of either register: the event, what a comparison should find, what changed."""
    listed_exit = carried["scenario"].isin(list(LISTED_EXITS)).to_numpy()
    new = pd.concat([carried[~listed_exit], corrected, entrants], ignore_index=True).set_index("id_number")
    o = old.assign(event=events).set_index("id_number")
    ids_all = o.index.append(new.index.difference(o.index))
    ev = o["event"].reindex(ids_all).fillna(new["event"].reindex(ids_all)).astype(str)
    expected = ev.map(EXPECTED)
    on_list = carried.set_index("id_number")["village_code"]
    moved = ev.map({"moved_village": "village", "moved_township": "township"}).fillna("")
    # A move within the township can land in a unit of a township that only the crosswalk merged: no matter.
    changed = _changed_fields(o, new)
    key = pd.DataFrame(
        {
            "id_number": ids_all,
            "event": ev.to_numpy(),
            "expected_change": expected.str[0].to_numpy(),
            "expected_reason": expected.str[1].to_numpy(),
            "category_old": o["category"].reindex(ids_all).fillna("").to_numpy(),
            "category_new": new["category"].reindex(ids_all).fillna("").to_numpy(),
            "village_code_old": o["village_code"].reindex(ids_all).fillna("").to_numpy(),
            "village_code_new": on_list.reindex(ids_all)
            .fillna(new["village_code"].reindex(ids_all))
            .fillna("")
            .to_numpy(),
            "moved": moved.to_numpy(),
            "changed": changed.reindex(ids_all).fillna("").to_numpy(),
        }
    )
    return ChangeKey.validate(key)


def _changed_fields(old: pd.DataFrame, new: pd.DataFrame) -> pd.Series:
    """For people in both, the ``;``-joined WATCHED circumstances whose true value changed."""
    both = old.index.intersection(new.index)
    o, n = old.loc[both], new.loc[both]
    flags = []
    for f in WATCHED:
        col = "guardian_id_number" if f == "guardian" else f
        a, b = o[col].astype("string"), n[col].astype("string")
        flags.append((f, (a.ne(b) & a.notna() & b.notna()).fillna(False).to_numpy(dtype=bool)))
    if not len(both):
        return pd.Series(dtype=str)
    return pd.Series(mistakes.join_codes(flags), index=both, dtype=object)


def write_changes_key(key: pd.DataFrame, out: Path) -> Path:
    """Write the change key beside the returns (UTF-8 with BOM; the underscore keeps the intake off it)."""
    path = Path(out) / CHANGES_KEY
    ChangeKey.validate(key).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def read_changes_key(path: Path) -> pd.DataFrame:
    """Read a change key written by :func:`write_changes_key` (every column as text)."""
    key = pd.read_csv(Path(path), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return ChangeKey.validate(key)


def describe_changes(key: pd.DataFrame) -> str:
    """Two Chinese lines: entries and exits by event, and moves."""
    labels = {
        "born": "新出生", "parent_left": "父母新近外出", "husband_left": "丈夫新近外出", "turned_60": "年满60周岁",
        "children_left": "子女新近外出", "moved_in": "新登记", "corrected": "上轮待核实", "turned_16": "年满16周岁",
        "woman_over_age": "妇女年满60周岁", "died": "死亡", "moved_out": "迁出县外", "parent_returned": "父母返乡",
        "husband_returned": "丈夫返乡", "children_returned": "子女返乡",
    }  # fmt: skip

    def part(change: str) -> str:
        ev = key.loc[key["expected_change"] == change, "event"].value_counts()
        return "、".join(f"{labels.get(e, e)} {n:,}" for e, n in ev.items())

    moved = key["moved"].value_counts()
    return "\n".join(
        [
            f"与上一轮相比（答案表 {CHANGES_KEY}）：新增 {int((key['expected_change'] == 'entered').sum()):,} 人（{part('entered')}）；",
            f"退出 {int((key['expected_change'] == 'left').sum()):,} 人（{part('left')}）；"
            f"跨村迁移 {int(moved.get('village', 0)):,} 人，跨乡镇迁移 {int(moved.get('township', 0)):,} 人。",
        ]
    )
