"""A straightforward row-by-row implementation of the cleaning rules and the payroll, for comparison.

It applies the rules of ``docs/pipeline.md`` (IDs, dates, sex, vocabularies, divisions, classification,
duplicates, fates) and of :mod:`liushou_core.rules.allowances` (a month's 高龄补贴) the obvious way: plain Python
loops over the rows, one cell at a time, with ``re`` and ``unicodedata``. It shares only the rule *data* with
the package (the codebook's vocabularies, the official division names and their spellings, the address codes,
the definitions' thresholds and the allowance scale), never its column-wise code, so it is both the yardstick
of the ``≥ 20×`` target and an independent check of the vectorised cleaner: :func:`compare` asserts that the
two give the same register, fates (with reasons) and payroll.

Not covered (the benchmark runs without them): corrections and duplicate decisions, and the issue messages.

    .venv/bin/python bench/reference_rowwise.py [RETURNS_DIR]   # the sample county by default
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from liushou_core.cleaning.classify import NEEDED_FACTS, Thresholds
from liushou_core.cleaning.normalise import DATE_FIELDS, PHONE_FIELDS, TEXT_FIELDS, VOCABULARY_OF
from liushou_core.issues import RULES
from liushou_core.parameters import ParameterSet, load_parameters
from liushou_core.register import CATEGORIES
from liushou_core.rules.allowances import OLD_AGE_SCALE, START_RULE
from liushou_core.values import divisions, idcard
from liushou_core.values.codebook import Codebook, header_key

CHILD, WOMAN, ELDER = CATEGORIES
ERRORS = frozenset(r.code for r in RULES.values() if r.severity == "error")

# ----------------------------------------------------------------------------------------------- text

_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff]")
_CJK = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_DOTS = re.compile("[•・‧∙⋅]")
_NAME_GAP = re.compile(f"([{_CJK}·]) +([{_CJK}·])")
_MULTI_EDGE = re.compile(r"^[、,;/ ]+|[、,;/ ]+$")
_MULTI_SPLIT = re.compile(r"[、,;/ ]+")


def norm_text(value: Any) -> str | None:
    """NFKC, no zero-width characters, inner whitespace runs → one space, stripped; empty → None."""
    if value is None or value is pd.NA:
        return None
    s = _INVISIBLE.sub("", unicodedata.normalize("NFKC", value))
    s = " ".join(s.split())  # str.split() splits on exactly the characters str.isspace() accepts
    return s or None


def compact(value: Any) -> str | None:
    """NFKC, no zero-width characters and no whitespace at all; empty → None."""
    if value is None or value is pd.NA:
        return None
    s = "".join(_INVISIBLE.sub("", unicodedata.normalize("NFKC", value)).split())
    return s or None


def norm_name(value: Any) -> str | None:
    s = norm_text(value)
    if s is None:
        return None
    s = _DOTS.sub("·", s)
    for _ in range(2):
        s = _NAME_GAP.sub(r"\1\2", s)
    return s


def vocab_value(value: Any, vocabulary: dict[str, str]) -> str | None:
    if value is None or value is pd.NA:
        return None
    return vocabulary.get(header_key(value))


# ---------------------------------------------------------------------------------------------- dates

_DATE = re.compile(
    r"(?:(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
    r"|(?P<y8>\d{4})(?P<m8>\d{2})(?P<d8>\d{2})"
    r"|(?P<serial>\d{1,5}))",
    re.ASCII,
)


def make_date(y: int, m: int, d: int) -> dt.date | None:
    """The date, or None when it is not a real one or outside the years a ``datetime64[ns]`` holds."""
    if not 1678 <= y <= 2261:
        return None
    try:
        return dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(value: Any) -> dt.date | None:
    s = norm_text(value)
    if s is None:
        return None
    m = _DATE.fullmatch(s)
    if m is None:
        return None
    if m["serial"] is not None:
        n = int(m["serial"])
        if n < 1 or n > 80_000 or n == 60:
            return None
        return (dt.date(1899, 12, 30) if n > 60 else dt.date(1899, 12, 31)) + dt.timedelta(days=n)
    if m["y8"] is not None:
        return make_date(int(m["y8"]), int(m["m8"]), int(m["d8"]))
    return make_date(int(m["y"]), int(m["m"]), int(m["d"]))


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# ------------------------------------------------------------------------------------------------ IDs

_SCIENTIFIC = re.compile(r"[0-9]+(?:\.[0-9]*)?[eE]\+?[0-9]+")
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_char(body17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True)) % 11]


@dataclass
class ParsedId:
    status: str
    id_number: str | None = None
    clean: str | None = None
    birth: dt.date | None = None
    sex: str | None = None
    upgraded: bool = False
    normalised: bool = False


def parse_id(value: Any, reference_date: dt.date, known_codes: frozenset[str]) -> ParsedId:
    clean = compact(value)
    if clean is not None:
        clean = clean.replace("x", "X")
        if clean.startswith("'"):
            clean = clean[1:]
        clean = clean or None
    if clean is None:
        return ParsedId("missing")
    normalised = clean != value
    is18, is15 = _ID18.fullmatch(clean) is not None, _ID15.fullmatch(clean) is not None
    candidate = clean if is18 else None
    if is15:
        body = clean[:6] + "19" + clean[6:]
        candidate = body + check_char(body)
    check_ok = candidate is not None and check_char(candidate[:17]) == candidate[17]
    if _SCIENTIFIC.fullmatch(clean) or (is18 and not check_ok and clean.endswith("000")):
        return ParsedId("excel_mangled", clean=clean)
    if candidate is None:
        return ParsedId("format", clean=clean)
    if not check_ok:
        return ParsedId("checksum", clean=clean)
    birth = make_date(int(candidate[6:10]), int(candidate[10:12]), int(candidate[12:14]))
    if birth is None or birth > reference_date or age_on(birth, reference_date) > idcard.MAX_AGE:
        return ParsedId("birth_date", clean=clean)
    if candidate[:6] not in known_codes:
        return ParsedId("address", clean=clean)
    sex = "男" if int(candidate[16]) % 2 == 1 else "女"
    return ParsedId("valid", candidate, clean, birth, sex, is15, normalised)


# --------------------------------------------------------------------------------------------- phones

_PHONE_STRIP = re.compile(r"[ \-()‐‑‒–—―]")
_PHONE_PREFIX = re.compile(r"^(?:\+86|0086|\+0086)")
_PHONE_86 = re.compile(r"^86(1[3-9]\d{9})$", re.ASCII)
_PHONE = re.compile(
    r"(?P<mobile>1[3-9]\d{9})|(?P<area3>0[12]\d)(?P<local3>\d{8})|(?P<area4>0[3-9]\d\d)(?P<local4>\d{7,8})"
    r"|(?P<local>[2-9]\d{6,7})",
    re.ASCII,
)


def parse_phone(value: Any) -> tuple[str | None, bool | None]:
    """(normalised number, valid); (None, None) for an empty cell."""
    text = norm_text(value)
    if text is None:
        return None, None
    digits = _PHONE_86.sub(r"\1", _PHONE_PREFIX.sub("", _PHONE_STRIP.sub("", text)))
    m = _PHONE.fullmatch(digits)
    if m is None:
        return text, False
    if m["mobile"]:
        return m["mobile"], True
    if m["local"]:
        return "0825-" + m["local"], True
    return (m["area3"] or m["area4"]) + "-" + (m["local3"] or m["local4"]), True


# ----------------------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Rules:
    """The rule data, as plain dictionaries."""

    reference_date: dt.date
    thresholds: Thresholds
    vocabularies: dict[str, dict[str, str]]
    household_order: list[str]
    known_codes: frozenset[str]
    township_by_key: dict[str, str]
    township_name: dict[str, str]
    village_by_key: dict[tuple[str, str], tuple[str, int]]
    village_name: dict[str, str]

    @classmethod
    def load(cls, reference_date: dt.date, codebook: Codebook) -> Rules:
        lookup = divisions._lookup()  # the spellings each division answers to (data, not code)
        villages: dict[tuple[str, str], tuple[str, int]] = {}
        for t, k, v, n in lookup.villages[["township_code", "key", "village_code", "n"]].itertuples(
            index=False
        ):
            villages.setdefault((t, k), (v, int(n)))
        vocab_names = {*VOCABULARY_OF.values(), "sex", "household_economy"}
        return cls(
            reference_date=reference_date,
            thresholds=Thresholds.at(reference_date),
            vocabularies={name: codebook.vocabulary(name) for name in vocab_names},
            household_order=codebook.canonical_values("household_economy"),
            known_codes=idcard.known_address_codes(),
            township_by_key=dict(
                zip(lookup.townships["key"], lookup.townships["township_code"], strict=True)
            ),
            township_name=dict(
                divisions.townships()[["township_code", "township"]].itertuples(index=False, name=None)
            ),
            village_by_key=villages,
            village_name=dict(
                divisions.load_divisions()[["village_code", "village"]].itertuples(index=False, name=None)
            ),
        )


def _months(value: Any) -> tuple[int | None, bool]:
    """(months, given): ``8``, ``8个月``, ``8.0``, ``1年``, ``2年半``."""
    s = norm_text(value)
    if s is None:
        return None, False
    s = s.replace(" ", "")
    years = re.fullmatch(r"(\d+)年(半)?", s, re.ASCII)
    number = re.sub(r"(个月|月)$", "", s)
    try:
        months = float(number) if "_" not in number else float("nan")
    except ValueError:
        months = float("nan")
    if months == months and months not in (float("inf"), float("-inf")) and months == round(months):
        return int(months), True
    if years:
        return int(years[1]) * 12 + (6 if years[2] else 0), True
    return None, True


def _household(value: Any, rules: Rules) -> tuple[str | None, bool]:
    s = norm_text(value)
    s = _MULTI_EDGE.sub("", s) if s is not None else ""
    items = _MULTI_SPLIT.split(s) if s else []
    canon = {rules.vocabularies["household_economy"].get(header_key(i)) for i in items}
    known = [v for v in rules.household_order if v in canon]
    return ("、".join(known) if known else None), None in canon


def clean_row(raw: dict[str, Any], rules: Rules) -> tuple[dict[str, Any], list[str]]:
    """One row's canonical values and the codes of the rules it breaks (errors and warnings), in order."""
    ref = rules.reference_date
    found: list[str] = []
    out: dict[str, Any] = {k: raw[k] for k in ("row_key", "source_file", "source_sheet", "source_row")}

    out["name"] = norm_name(raw["name"])
    if out["name"] is None:
        found.append("name_missing")
    pid = parse_id(raw["id_number"], ref, rules.known_codes)
    valid = pid.status == "valid"
    if not valid:
        found.append("id_" + pid.status)
    elif pid.upgraded:
        found.append("id_upgraded_15")
    out["id_number"] = pid.id_number

    typed_birth = parse_date(raw["birth_date"])
    if valid and typed_birth is not None and typed_birth != pid.birth:
        found.append("birth_date_mismatch")
    if norm_text(raw["birth_date"]) is not None and typed_birth is None:
        found.append("birth_date_invalid")
    out["birth_date"] = pid.birth if valid else typed_birth
    typed_sex = vocab_value(raw["sex"], rules.vocabularies["sex"])
    if valid and typed_sex is not None and typed_sex != pid.sex:
        found.append("sex_mismatch")
    if norm_text(raw["sex"]) is not None and typed_sex is None:
        found.append("sex_invalid")
    out["sex"] = pid.sex if valid else typed_sex
    out["age"] = age_on(out["birth_date"], ref) if out["birth_date"] is not None else None

    # Township, then the village inside it.
    typed_t, typed_v = norm_text(raw["township"]), norm_text(raw["village"])
    t_key = header_key(typed_t) if typed_t is not None else ""
    t_code = rules.township_by_key.get(t_key) if t_key else None
    out["township_code"] = t_code
    out["township"] = rules.township_name[t_code] if t_code else None
    v_key = header_key(typed_v) if typed_v is not None else ""
    v_code, ambiguous = None, False
    if t_code and v_key and (t_code, v_key) in rules.village_by_key:
        v_code, n = rules.village_by_key[(t_code, v_key)]
        ambiguous = n > 1
        v_code = None if ambiguous else v_code
    out["village_code"] = v_code
    out["village"] = rules.village_name[v_code] if v_code else None
    if not t_key:
        found.append("township_missing")
    elif t_code is None:
        found.append("township_unknown")
    else:
        if not v_key:
            found.append("village_missing")
        elif ambiguous:
            found.append("village_ambiguous")
        elif v_code is None:
            found.append("village_unknown")

    for field, vocab in VOCABULARY_OF.items():
        out[field] = vocab_value(raw[field], rules.vocabularies[vocab])
        if out[field] is None and norm_text(raw[field]) is not None:
            found.append("value_unknown")
    out["household_economy"], unknown = _household(raw["household_economy"], rules)
    if unknown:
        found.append("value_unknown")
    out["months_away"], given = _months(raw["months_away"])
    if given and out["months_away"] is None:
        found.append("value_unknown")
    for field in DATE_FIELDS:
        out[field] = parse_date(raw[field])
        if out[field] is None and norm_text(raw[field]) is not None:
            found.append("date_invalid")
    for field in PHONE_FIELDS:
        out[field], ok = parse_phone(raw[field])
        if ok is False:
            found.append("phone_invalid")
    gid = parse_id(raw["guardian_id_number"], ref, rules.known_codes)
    if gid.status not in ("valid", "missing"):
        found.append("guardian_id_invalid")
    out["guardian_id_number"] = gid.id_number if gid.status == "valid" else gid.clean
    out["guardian_name"] = norm_name(raw["guardian_name"])
    for field in TEXT_FIELDS:
        out[field] = norm_text(raw[field])

    # Classification by the definitions, for rows whose identity is known.
    category, rule = classify_row(out, rules.thresholds)
    out["category"] = category if valid else None
    if valid and rule:
        found.append(rule)
    return out, found


def qualifies(p: dict[str, Any], t: Thresholds) -> list[str]:
    """The categories whose definition the row meets, in definition order."""
    age, months = p["age"], p["months_away"]
    away = "外出务工"
    father, mother = p["father_status"], p["mother_status"]
    out = []
    if (
        age is not None
        and age < t.child_age_limit
        and (
            (father == away and mother == away)
            or (father == away and mother in t.incapable_parent_statuses)
            or (mother == away and father in t.incapable_parent_statuses)
        )
    ):
        out.append(CHILD)
    if (
        p["sex"] == "女" and age is not None and t.woman_min_age <= age <= t.woman_max_age
        and p["husband_status"] == away and months is not None and months >= t.min_months_away
    ):  # fmt: skip
        out.append(WOMAN)
    if (
        age is not None and age >= t.elder_min_age and p["children_status"] == "全部外出"
        and months is not None and months >= t.min_months_away
    ):  # fmt: skip
        out.append(ELDER)
    return out


def classify_row(p: dict[str, Any], t: Thresholds) -> tuple[str | None, str | None]:
    """(category, the classification rule broken or None)."""
    q = qualifies(p, t)
    declared = p["category_declared"]
    if declared in q:
        return declared, None
    if q:
        return q[0], ("category_missing" if declared is None else "category_mismatch")
    if declared is None:
        return None, "facts_missing"
    if any(p[f] is None for f in NEEDED_FACTS.get(declared, ())):
        return None, "facts_missing"
    return None, "not_qualified"


@dataclass
class RowwiseResult:
    fates: pd.DataFrame  # row_key, fate, reason
    people: pd.DataFrame


def clean(rows: pd.DataFrame, rules: Rules) -> RowwiseResult:
    """Every row's fate and reason, and the verified register, one row at a time."""
    fates: dict[str, tuple[str, str | None]] = {}
    kept: list[tuple[dict[str, Any], bool, tuple[str, int, int]]] = []
    for raw in rows.to_dict("records"):
        raw = {k: (None if v is pd.NA else v) for k, v in raw.items()}
        if raw["skip_rule"] is not None:
            fates[raw["row_key"]] = ("skipped", raw["skip_rule"])
            continue
        person, found = clean_row(raw, rules)
        first_error = next((r for r in found if r in ERRORS), None)
        has_error = first_error is not None or person["category"] is None
        order = (raw["source_file"], raw["sheet_index"], raw["source_row"])
        kept.append((person, has_error, order))
        fates[raw["row_key"]] = ("pending", first_error) if has_error else ("verified", None)

    # Duplicates: in each group of one ID, keep the first row without an error (source order), else the first.
    best: dict[str, tuple[bool, tuple[str, int, int], str]] = {}
    for person, has_error, order in kept:
        if person["id_number"] is None:
            continue
        candidate = (has_error, order, person["row_key"])
        if person["id_number"] not in best or candidate < best[person["id_number"]]:
            best[person["id_number"]] = candidate
    people = []
    for person, _has_error, _order in kept:
        idn = person["id_number"]
        if idn is not None and best[idn][2] != person["row_key"]:
            fates[person["row_key"]] = ("duplicate", "duplicate")
        elif fates[person["row_key"]][0] == "verified":
            people.append(person)
    return RowwiseResult(
        fates=pd.DataFrame([(k, f, r) for k, (f, r) in fates.items()], columns=["row_key", "fate", "reason"]),
        people=pd.DataFrame(people),
    )


# -------------------------------------------------------------------------------------------- payroll


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)


def payroll(people: Iterable[dict[str, Any]], month: str, params: ParameterSet | None = None) -> pd.DataFrame:
    """The month's old-age allowance, person by person: completed age at the cut-off, the amount of its tier."""
    params = params or load_parameters()
    year, mon = int(month[:4]), int(month[5:])
    first = dt.date(year, mon, 1)
    scale = params.scale(OLD_AGE_SCALE, first)
    rule = params.value(START_RULE, first)
    cutoff = month_end(year, mon - 1) if rule == "next_month" else month_end(year, mon)
    lines = []
    for p in people:
        age = age_on(p["birth_date"], cutoff)
        tier = -1
        for i, threshold in enumerate(scale.thresholds):
            if age >= threshold:
                tier = i
        if tier >= 0:
            lines.append({"id_number": p["id_number"], "township_code": p["township_code"],
                          "village_code": p["village_code"], "group": p["group"], "age": age,
                          "tier": scale.labels[tier], "month": month, "amount": scale.amounts[tier]})  # fmt: skip

    def group_number(group: object) -> float:
        # Groups are typed as 3, 3组 or 03: ordered by their number, so 2组 comes before 10组.
        digits = re.search(r"\d+", group, re.ASCII) if isinstance(group, str) else None
        return int(digits[0]) if digits else float("inf")

    lines.sort(
        key=lambda x: (x["township_code"], x["village_code"], group_number(x["group"]), x["group"] is None,
                       x["group"] or "", x["id_number"])
    )  # fmt: skip
    return pd.DataFrame(lines)


# -------------------------------------------------------------------------------------------- compare


def run(rows: pd.DataFrame, rules: Rules, month: str) -> tuple[RowwiseResult, pd.DataFrame]:
    result = clean(rows, rules)
    return result, payroll(result.people.to_dict("records"), month)


def compare(fast_rows: pd.DataFrame, fast_people: pd.DataFrame, fast_payroll: pd.DataFrame,
            ref: RowwiseResult, ref_payroll: pd.DataFrame) -> list[str]:  # fmt: skip
    """Differences between the package's results and the reference's (empty when identical)."""
    problems = []
    a = _plain(fast_rows[["row_key", "fate", "reason"]]).set_index("row_key")
    b = _plain(ref.fates).set_index("row_key").reindex(a.index)
    for c in ("fate", "reason"):
        problems += _differ(f"rows.{c}", a.index, a[c], b[c])
    cols = [c for c in ref.people.columns if c in fast_people.columns]
    fp = _plain(fast_people[cols]).sort_values("row_key").reset_index(drop=True)
    rp = _plain(ref.people[cols]).sort_values("row_key").reset_index(drop=True)
    if len(fp) != len(rp):
        return [*problems, f"people: {len(fp)} vs {len(rp)}"]
    for c in cols:
        problems += _differ(f"people.{c}", fp["row_key"], fp[c], rp[c])
    pay_cols = ["id_number", "age", "tier", "month", "amount"]
    if len(fast_payroll) != len(ref_payroll):
        return [*problems, f"payroll: {len(fast_payroll)} vs {len(ref_payroll)} lines"]
    fpay = _plain(fast_payroll[pay_cols]).reset_index(drop=True)
    rpay = _plain(ref_payroll[pay_cols]).reset_index(drop=True) if len(ref_payroll) else fpay
    for c in pay_cols:
        problems += _differ(f"payroll.{c}", fpay["id_number"], fpay[c], rpay[c])
    return problems


def _differ(what: str, keys: Iterable[Any], a: pd.Series, b: pd.Series) -> list[str]:
    bad = [(k, x, y) for k, x, y in zip(keys, a, b, strict=True) if x != y]
    return [f"{what}: {len(bad)} differ, e.g. {bad[:3]}"] if bad else []


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as plain Python objects (dates as ``date``, missing as None) so both sides compare alike."""
    out = {}
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            s = s.dt.date
        out[c] = [None if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v) else
                  (int(v) if isinstance(v, (int, float, np.integer)) and not isinstance(v, bool) else v)
                  for v in s.astype(object)]  # fmt: skip
    return pd.DataFrame(out, index=frame.index, dtype=object)


def main(argv: list[str]) -> int:
    from liushou_core.cleaning.intake import read_returns
    from liushou_core.cleaning.streaming import build_register
    from liushou_core.rules.allowances import payroll as fast_payroll
    from liushou_core.values.codebook import load_codebook

    ref_date = dt.date(2017, 12, 31)
    folder = Path(argv[0]) if argv else None
    if folder is None:
        import tempfile

        from liushou_core.sample import write_sample

        folder = Path(tempfile.mkdtemp(prefix="liushou-ref-")) / "sample"
        write_sample(folder)
    cb = load_codebook()
    intake = read_returns([folder], cb)
    rules = Rules.load(ref_date, cb)
    t0 = time.perf_counter()
    reg = build_register(intake, ref_date, codebook=cb)
    pay = fast_payroll(reg.people, "2018-01")
    t1 = time.perf_counter()
    ref, ref_pay = run(intake.rows, rules, "2018-01")
    t2 = time.perf_counter()
    problems = compare(reg.rows, reg.people, pay, ref, ref_pay)
    print(f"{len(intake.rows):,} rows: package {t1 - t0:.2f} s, row by row {t2 - t1:.2f} s, "
          f"ratio {(t2 - t1) / (t1 - t0):.1f}×")  # fmt: skip
    print("identical" if not problems else "\n".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
