"""Normalisation and validation of raw return rows: identity, dates, sex, vocabularies, divisions.

One pure step, :func:`normalise`, turns intake's all-text rows into canonical values and a long table of
findings (``row_key``, ``rule``, ``field``, ``value``, ``detail``). Every column is handled as a whole
(``str`` accessors, joins, ``np.select``); nothing loops over rows. A valid ID decides birth date and sex: a
disagreeing column is a warning for the cadre, not a reason to drop the person.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from . import dates, idcard, text
from .codebook import Codebook, header_key
from .divisions import AMBIGUOUS, MISSING, RESOLVED, UNKNOWN, resolve_townships, resolve_villages

#: field → vocabulary of the codebook (``values:`` in params/codebook.yaml).
VOCABULARY_OF = {
    "category_declared": "category_declared",
    "father_status": "parent_status",
    "mother_status": "parent_status",
    "husband_status": "husband_status",
    "children_status": "children_status",
    "agreement_signed": "agreement_signed",
    "guardianship_grade": "guardianship_grade",
    "health": "health",
    "disability_grade": "disability_grade",
    "schooling": "schooling",
    "boarding": "boarding",
}
TEXT_FIELDS = ("group", "guardian_relation", "visitor", "notes")
DATE_FIELDS = ("agreement_date", "last_visit_date")
PHONE_FIELDS = ("phone", "guardian_phone")
FINDING_COLUMNS = ["row_key", "rule", "field", "value", "detail"]

_ID_RULES = {
    "missing": "id_missing",
    "excel_mangled": "id_excel_mangled",
    "format": "id_format",
    "checksum": "id_checksum",
    "birth_date": "id_birth_date",
    "address": "id_address",
}


def findings(
    keys: pd.Series,
    mask: pd.Series,
    rule: str,
    field: str | None,
    value: pd.Series | None,
    detail: pd.Series | str | None = None,
) -> pd.DataFrame:
    """The findings of one rule for the rows where ``mask`` holds (a long-format block of the issues table)."""
    m = mask.fillna(False).astype(bool)
    n = int(m.sum())
    out = pd.DataFrame(
        {
            "row_key": keys[m].to_numpy(),
            "rule": [rule] * n,
            "field": [field] * n,
            "value": value[m].astype("string").to_numpy() if value is not None else [pd.NA] * n,
            "detail": (
                detail[m].astype("string").to_numpy() if isinstance(detail, pd.Series) else [detail] * n
            ),
        }
    )
    return out.astype("string")


def map_vocabulary(values: pd.Series, vocabulary: dict[str, str]) -> pd.Series:
    """Canonical value for each spelling; ``<NA>`` for empty and for spellings not in the vocabulary."""
    s = values.astype("string")
    # A column holds few distinct spellings: key each once, then map the column through the result.
    lookup = {v: vocabulary.get(header_key(v)) for v in s.dropna().unique()}
    return s.map(lookup).astype("string")


def _months(values: pd.Series) -> pd.Series:
    """Months away as an integer: ``8``, ``8个月``, ``8.0``; ``1年``/``2年半`` are converted to months."""
    s = text.normalise_text(values).str.replace(r"\s", "", regex=True)
    years = s.str.extract(r"^(\d+)年(半)?$")
    from_years = years[0].astype("Float64") * 12 + years[1].notna().astype("Float64") * 6
    months = pd.to_numeric(s.str.replace(r"(个月|月)$", "", regex=True), errors="coerce").astype("Float64")
    months = months.where(months.isna() | (months == months.round()), pd.NA)
    return months.fillna(from_years).astype("Int64")


def normalise(
    raw: pd.DataFrame, reference_date: date, codebook: Codebook
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical values of each raw row, and the findings (one row per problem) about them.

    ``raw`` is intake's RawReturn frame without the skipped rows. The result keeps ``row_key`` and the
    provenance, and adds ``id_status``, ``age`` and canonical versions of every template field.
    """
    keys = raw["row_key"].astype("string")
    out = raw[["row_key", "source_file", "source_sheet", "source_row", "sheet_index"]].copy()
    found: list[pd.DataFrame] = []

    out["name"] = text.normalise_name(raw["name"])
    found.append(findings(keys, out["name"].isna(), "name_missing", "name", raw["name"]))

    ids = idcard.parse_ids(raw["id_number"], reference_date)
    out["id_number"] = ids["id_number"]
    out["id_status"] = ids["id_status"]
    for status, rule in _ID_RULES.items():
        found.append(findings(keys, ids["id_status"].eq(status), rule, "id_number", raw["id_number"]))
    valid = ids["id_status"].eq("valid")
    found.append(findings(keys, valid & ids["id_upgraded"], "id_upgraded_15", "id_number", raw["id_number"]))
    found.append(
        findings(
            keys,
            valid & ids["id_normalised"] & ~ids["id_upgraded"],
            "id_normalised",
            "id_number",
            raw["id_number"],
        )
    )

    # Birth date and sex: the ID decides; the columns are checked against it.
    typed_birth = dates.parse_dates(raw["birth_date"])
    birth_given = text.normalise_text(raw["birth_date"]).notna()
    id_birth_txt = ids["birth_date"].dt.strftime("%Y-%m-%d").astype("string")
    found.append(
        findings(keys, valid & typed_birth.notna() & typed_birth.ne(ids["birth_date"]), "birth_date_mismatch",
                 "birth_date", raw["birth_date"], id_birth_txt)
    )  # fmt: skip
    found.append(
        findings(
            keys, birth_given & typed_birth.isna(), "birth_date_invalid", "birth_date", raw["birth_date"]
        )
    )
    out["birth_date"] = ids["birth_date"].where(valid, typed_birth)
    typed_sex = map_vocabulary(raw["sex"], codebook.vocabulary("sex"))
    sex_given = text.normalise_text(raw["sex"]).notna()
    found.append(
        findings(
            keys,
            valid & typed_sex.notna() & typed_sex.ne(ids["sex"]),
            "sex_mismatch",
            "sex",
            raw["sex"],
            ids["sex"],
        )
    )
    found.append(findings(keys, sex_given & typed_sex.isna(), "sex_invalid", "sex", raw["sex"]))
    out["sex"] = ids["sex"].where(valid, typed_sex).astype("string")
    out["age"] = dates.age_at(out["birth_date"], reference_date)

    # Township and village, resolved against the official 2018 list.
    t = resolve_townships(text.normalise_text(raw["township"]))
    v = resolve_villages(t["township_code"], text.normalise_text(raw["village"]))
    out = out.join(t[["township_code", "township"]]).join(v[["village_code", "village"]])
    found.append(
        findings(keys, t["township_match"].eq(MISSING), "township_missing", "township", raw["township"])
    )
    found.append(
        findings(keys, t["township_match"].eq(UNKNOWN), "township_unknown", "township", raw["township"])
    )
    has_township = t["township_match"].eq(RESOLVED)
    where = t["township"].fillna("")
    found.append(
        findings(
            keys, has_township & v["village_match"].eq(MISSING), "village_missing", "village", raw["village"]
        )
    )
    found.append(
        findings(
            keys,
            has_township & v["village_match"].eq(UNKNOWN),
            "village_unknown",
            "village",
            raw["village"],
            where,
        )
    )
    found.append(
        findings(
            keys,
            has_township & v["village_match"].eq(AMBIGUOUS),
            "village_ambiguous",
            "village",
            raw["village"],
            where,
        )
    )
    typed_t = text.normalise_text(raw["township"])
    typed_v = text.normalise_text(raw["village"])
    found.append(
        findings(
            keys,
            has_township & typed_t.ne(t["township"]),
            "division_alias",
            "township",
            raw["township"],
            t["township"],
        )
    )
    found.append(
        findings(keys, v["village_match"].eq(RESOLVED) & typed_v.ne(v["village"]), "division_alias", "village",
                 raw["village"], v["village"])
    )  # fmt: skip

    # Vocabularies: a value outside the codebook is reported and left as not collected.
    for field, vocab in VOCABULARY_OF.items():
        canonical = map_vocabulary(raw[field], codebook.vocabulary(vocab))
        given = text.normalise_text(raw[field]).notna()
        options = "、".join(codebook.canonical_values(vocab))
        found.append(findings(keys, given & canonical.isna(), "value_unknown", field, raw[field], options))
        out[field] = canonical
    econ = _household_economy(raw["household_economy"], codebook)
    out["household_economy"] = econ["value"]
    found.append(
        findings(keys, econ["unknown"], "value_unknown", "household_economy", raw["household_economy"],
                 "、".join(codebook.canonical_values("household_economy")))
    )  # fmt: skip

    out["months_away"] = _months(raw["months_away"])
    months_given = text.normalise_text(raw["months_away"]).notna()
    found.append(findings(keys, months_given & out["months_away"].isna(), "value_unknown", "months_away",
                          raw["months_away"], "整数月数"))  # fmt: skip

    for field in DATE_FIELDS:
        parsed = dates.parse_dates(raw[field])
        given = text.normalise_text(raw[field]).notna()
        found.append(findings(keys, given & parsed.isna(), "date_invalid", field, raw[field]))
        out[field] = parsed
    for field in PHONE_FIELDS:
        ph = text.normalise_phone(raw[field])
        found.append(findings(keys, ph["phone_valid"].eq(False), "phone_invalid", field, raw[field]))
        out[field] = ph["phone"].where(ph["phone_valid"].eq(True), text.normalise_text(raw[field]))

    gid = idcard.parse_ids(raw["guardian_id_number"], reference_date)
    bad_gid = ~gid["id_status"].isin(["valid", "missing"])
    found.append(
        findings(keys, bad_gid, "guardian_id_invalid", "guardian_id_number", raw["guardian_id_number"],
                 gid["id_status"].map(_GUARDIAN_ID_REASON))
    )  # fmt: skip
    out["guardian_id_number"] = gid["id_number"].where(gid["id_status"].eq("valid"), gid["id_clean"])
    out["guardian_name"] = text.normalise_name(raw["guardian_name"])
    for field in TEXT_FIELDS:
        out[field] = text.normalise_text(raw[field])

    all_found = (
        pd.concat([f for f in found if len(f)], ignore_index=True) if any(len(f) for f in found) else None
    )
    if all_found is None:
        all_found = pd.DataFrame({c: pd.Series(dtype="string") for c in FINDING_COLUMNS})
    return out, all_found


_GUARDIAN_ID_REASON = {
    "excel_mangled": "被Excel转成了数字",
    "format": "位数或字符不对",
    "checksum": "校验位不对",
    "birth_date": "出生日期无效",
    "address": "地址码不存在",
}


def _household_economy(values: pd.Series, codebook: Codebook) -> pd.DataFrame:
    """Several values per cell (``建档立卡贫困户、低保户``): canonical values joined by 、, in codebook order."""
    vocab = codebook.vocabulary("household_economy")
    cells = values.astype("string")
    # Each distinct cell is split and mapped once; a county has a few dozen distinct combinations.
    distinct = cells.dropna().unique()
    parts = text.split_multi(pd.Series(distinct, dtype="string"))
    order = codebook.canonical_values("household_economy")
    joined: dict[str, object] = {}
    unknown: dict[str, bool] = {}
    for cell, items in zip(distinct, parts, strict=True):
        items = items if isinstance(items, list) else []
        canon = {vocab.get(header_key(i)) for i in items}
        unknown[cell] = None in canon
        known = [v for v in order if v in canon]
        joined[cell] = "、".join(known) if known else pd.NA
    return pd.DataFrame(
        {
            "value": cells.map(joined).astype("string"),
            "unknown": cells.map(unknown).fillna(False).astype(bool),
        },
        index=values.index,
    )
