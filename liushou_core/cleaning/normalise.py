"""Normalisation and validation of raw return rows: identity, dates, sex, vocabularies, divisions.

One pure step, :func:`normalise`, turns intake's all-text rows into canonical values and a long table of
findings (``row_key``, ``rule``, ``field``, ``value``, ``detail``). Every column is handled as a whole
(``str`` accessors, joins, ``np.select``); nothing loops over rows. A valid ID decides birth date and sex: a
disagreeing column is a warning for the cadre, not a reason to drop the person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from liushou_core.values import dates, idcard, names, text
from liushou_core.values.codebook import Codebook, header_key
from liushou_core.values.distinct import per_combination, per_value
from liushou_core.values.divisions import (
    AMBIGUOUS,
    MISSING,
    RESOLVED,
    UNKNOWN,
    resolve_townships,
    resolve_villages,
)

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
    return finding_block(keys, mask, rule, field, value, detail).drop(columns=POSITION)


#: Internal column of a finding block: the row's position in the frame the findings are about, so later
#: steps take provenance and fates by position instead of joining on ``row_key``.
POSITION = "pos"


def finding_block(
    keys: pd.Series,
    mask: pd.Series,
    rule: str,
    field: str | None,
    value: pd.Series | None,
    detail: pd.Series | str | None = None,
) -> pd.DataFrame:
    """:func:`findings` plus each row's position (``pos``); columns are taken, never copied row by row."""
    m = mask.fillna(False).to_numpy(dtype=bool)
    pos = np.flatnonzero(m)

    def taken(s: pd.Series) -> pd.Series:
        return s.iloc[pos].astype("string").reset_index(drop=True)

    def repeated(v: str | None) -> pd.Series:
        arr = (
            pa.nulls(len(pos), pa.large_string())
            if v is None
            else pa.repeat(pa.scalar(v, pa.large_string()), len(pos))
        )
        return pd.Series(pd.arrays.ArrowStringArray(arr))

    return pd.DataFrame(
        {
            "row_key": taken(keys),
            "rule": repeated(rule),
            "field": repeated(field),
            "value": taken(value) if value is not None else repeated(None),
            "detail": taken(detail) if isinstance(detail, pd.Series) else repeated(detail),
            POSITION: pos,
        }
    )


def concat_findings(blocks: list[pd.DataFrame]) -> pd.DataFrame:
    """Finding blocks in the order given, as one table (an empty one with the columns when there are none)."""
    filled = [b for b in blocks if len(b)]
    if filled:
        return pd.concat(filled, ignore_index=True)
    columns = {c: pd.Series(dtype="string") for c in FINDING_COLUMNS}
    return pd.DataFrame(
        columns | ({POSITION: pd.Series(dtype="int64")} if any(POSITION in b for b in blocks) else {})
    )


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
    out, blocks = normalise_blocks(raw, reference_date, codebook)
    return out, concat_findings(blocks).drop(columns=POSITION, errors="ignore")


def _given(values: pd.Series) -> pd.Series:
    """Whether a cell holds anything once normalised (a lone space or zero-width character does not)."""
    return text.normalise_text(values).notna()


def _date_cells(values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"parsed": dates.parse_dates(values), "given": _given(values)}, index=values.index)


def _vocabulary_cells(vocabulary: dict[str, str]) -> Callable[[pd.Series], pd.DataFrame]:
    def cells(values: pd.Series) -> pd.DataFrame:
        return pd.DataFrame(
            {"canonical": map_vocabulary(values, vocabulary), "given": _given(values)}, index=values.index
        )

    return cells


def _township_cells(values: pd.Series) -> pd.DataFrame:
    typed = text.normalise_text(values)
    t = resolve_townships(typed)
    return t.assign(alias=typed.ne(t["township"]))


def _village_cells(frame: pd.DataFrame) -> pd.DataFrame:
    typed = text.normalise_text(frame["village"])
    v = resolve_villages(frame["township_code"], typed)
    return v.assign(alias=typed.ne(v["village"]))


def _phone_cells(values: pd.Series) -> pd.DataFrame:
    ph = text.normalise_phone(values)
    # The cell as typed is kept only where the number is not valid: normalise just those.
    return ph.assign(text=text.normalise_text(values.where(ph["phone_valid"].eq(False).to_numpy())))


def _months_cells(values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame({"months": _months(values), "given": _given(values)}, index=values.index)


def normalise_blocks(
    raw: pd.DataFrame, reference_date: date, codebook: Codebook
) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """:func:`normalise`, with the findings as a fixed sequence of blocks, one per rule and field.

    Every call returns the same blocks in the same order (empty ones included) and each block carries the
    rows' positions (``pos``), so the findings of several chunks of rows can be put together exactly as if
    the rows had been normalised at once: block by block, chunk by chunk.

    Each rule is a function of one cell (or, for villages, of the township and the village cell), so it is
    evaluated once per distinct value (:func:`liushou_core.values.distinct.per_value`) and spread back to the rows.
    """
    keys = raw["row_key"].astype("string")
    out = raw[["row_key", "source_file", "source_sheet", "source_row", "sheet_index"]].copy()
    found: list[pd.DataFrame] = []

    def block(mask: pd.Series, rule: str, field: str | None, value: pd.Series | None,
              detail: pd.Series | str | None = None) -> None:  # fmt: skip
        found.append(finding_block(keys, mask, rule, field, value, detail))

    out["name"] = per_value(text.normalise_name, raw["name"])
    block(out["name"].isna(), "name_missing", "name", raw["name"])
    name_rule = per_value(names.name_problem, out["name"])
    for rule in names.NAME_RULES:
        block(name_rule.eq(rule).fillna(False), rule, "name", raw["name"])

    ids = per_value(lambda v: idcard.parse_ids(v, reference_date).drop(columns="id_clean"), raw["id_number"])
    out["id_number"] = ids["id_number"]
    out["id_status"] = ids["id_status"]
    for status, rule in _ID_RULES.items():
        block(ids["id_status"].eq(status), rule, "id_number", raw["id_number"])
    valid = ids["id_status"].eq("valid")
    block(valid & ids["id_upgraded"], "id_upgraded_15", "id_number", raw["id_number"])
    block(valid & ids["id_normalised"] & ~ids["id_upgraded"], "id_normalised", "id_number", raw["id_number"])

    # Birth date and sex: the ID decides; the columns are checked against it.
    birth = per_value(_date_cells, raw["birth_date"])
    typed_birth = birth["parsed"]
    mismatch = valid & typed_birth.notna() & typed_birth.ne(ids["birth_date"])
    # The ID's birth date as text, only where a message shows it.
    id_birth_txt = pd.Series(pd.NA, index=raw.index, dtype="string")
    id_birth_txt[mismatch] = ids["birth_date"][mismatch].dt.strftime("%Y-%m-%d").astype("string")
    block(mismatch, "birth_date_mismatch", "birth_date", raw["birth_date"], id_birth_txt)
    block(birth["given"] & typed_birth.isna(), "birth_date_invalid", "birth_date", raw["birth_date"])
    out["birth_date"] = ids["birth_date"].where(valid, typed_birth)
    sex = per_value(_vocabulary_cells(codebook.vocabulary("sex")), raw["sex"])
    typed_sex = sex["canonical"]
    block(valid & typed_sex.notna() & typed_sex.ne(ids["sex"]), "sex_mismatch", "sex", raw["sex"], ids["sex"])
    block(sex["given"] & typed_sex.isna(), "sex_invalid", "sex", raw["sex"])
    out["sex"] = ids["sex"].where(valid, typed_sex).astype("string")
    out["age"] = dates.age_at(out["birth_date"], reference_date)

    # Township and village, resolved against the official 2018 list.
    t = per_value(_township_cells, raw["township"])
    v = per_combination(
        _village_cells, pd.DataFrame({"township_code": t["township_code"], "village": raw["village"]})
    )
    out = out.join(t[["township_code", "township"]]).join(v[["village_code", "village"]])
    block(t["township_match"].eq(MISSING), "township_missing", "township", raw["township"])
    block(t["township_match"].eq(UNKNOWN), "township_unknown", "township", raw["township"])
    has_township = t["township_match"].eq(RESOLVED)
    where = t["township"].fillna("")
    block(has_township & v["village_match"].eq(MISSING), "village_missing", "village", raw["village"])
    block(has_township & v["village_match"].eq(UNKNOWN), "village_unknown", "village", raw["village"], where)
    block(
        has_township & v["village_match"].eq(AMBIGUOUS), "village_ambiguous", "village", raw["village"], where
    )
    block(has_township & t["alias"], "division_alias", "township", raw["township"], t["township"])
    block(
        v["village_match"].eq(RESOLVED) & v["alias"],
        "division_alias",
        "village",
        raw["village"],
        v["village"],
    )

    # Vocabularies: a value outside the codebook is reported and left as not collected.
    for field, vocab in VOCABULARY_OF.items():
        cells = per_value(_vocabulary_cells(codebook.vocabulary(vocab)), raw[field])
        options = "、".join(codebook.canonical_values(vocab))
        block(cells["given"] & cells["canonical"].isna(), "value_unknown", field, raw[field], options)
        out[field] = cells["canonical"]
    econ = per_value(lambda cells: _household_economy(cells, codebook), raw["household_economy"])
    out["household_economy"] = econ["value"]
    block(econ["unknown"], "value_unknown", "household_economy", raw["household_economy"],
          "、".join(codebook.canonical_values("household_economy")))  # fmt: skip

    months = per_value(_months_cells, raw["months_away"])
    out["months_away"] = months["months"]
    block(
        months["given"] & out["months_away"].isna(),
        "value_unknown",
        "months_away",
        raw["months_away"],
        "整数月数",
    )

    for field in DATE_FIELDS:
        parsed = per_value(_date_cells, raw[field])
        block(parsed["given"] & parsed["parsed"].isna(), "date_invalid", field, raw[field])
        out[field] = parsed["parsed"]
    for field in PHONE_FIELDS:
        ph = per_value(_phone_cells, raw[field])
        block(ph["phone_valid"].eq(False), "phone_invalid", field, raw[field])
        out[field] = ph["phone"].where(ph["phone_valid"].eq(True), ph["text"])

    gid = per_value(
        lambda v: idcard.parse_ids(v, reference_date)[["id_number", "id_status", "id_clean"]],
        raw["guardian_id_number"],
    )
    bad_gid = ~gid["id_status"].isin(["valid", "missing"])
    block(bad_gid, "guardian_id_invalid", "guardian_id_number", raw["guardian_id_number"],
          gid["id_status"].where(bad_gid).map(_GUARDIAN_ID_REASON))  # fmt: skip
    out["guardian_id_number"] = gid["id_number"].where(gid["id_status"].eq("valid"), gid["id_clean"])
    out["guardian_name"] = per_value(text.normalise_name, raw["guardian_name"])
    for field in TEXT_FIELDS:
        out[field] = per_value(text.normalise_text, raw[field])
    return out, found


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
