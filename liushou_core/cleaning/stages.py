"""Every row's fate, stage by stage, for all the returns at once or for one part of them at a time.

``liushou clean`` accounts for every input row (docs/pipeline.md §"Fates and duplicates"). The work splits
into stages by what each needs to see:

1. :func:`clean_part` — normalisation, classification and the findings of a *part* of the rows (a return,
   or all of them): every rule but one looks at a single row, so a part can be cleaned on its own;
2. :func:`find_duplicates` — the one rule that looks across parts: rows with the same valid ID. It needs
   only a few small columns of every part (:func:`duplicate_candidates`);
3. :func:`settle` — each part's fates (verified, pending, duplicate, skipped), reasons, register and
   pending rows, once the duplicates are known;
4. :func:`render` — findings as the issues table (provenance, severity, Chinese message).

:mod:`liushou_core.cleaning.streaming` runs them part by part, so a province fits in memory
(:func:`~liushou_core.cleaning.streaming.build_register`: one part holding every row). Findings come in a
fixed sequence of blocks (one per rule and field), so the issues of several parts, put together block by
block, are exactly those of the rows cleaned at once.

Rules that are a function of a few cells are evaluated per distinct combination
(:mod:`liushou_core.values.distinct`); rows are located by position, never by joining on ``row_key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from liushou_core.cleaning.classify import FACT_LABELS, NEEDED_FACTS, Thresholds, classify
from liushou_core.cleaning.dedupe import mark_duplicates
from liushou_core.cleaning.normalise import (
    FINDING_COLUMNS,
    POSITION,
    concat_findings,
    finding_block,
    normalise_blocks,
)
from liushou_core.issues import ISSUE_COLUMNS, RULES
from liushou_core.register import Person
from liushou_core.values.codebook import Codebook
from liushou_core.values.distinct import factorize, per_combination, per_value

VERIFIED, PENDING, DUPLICATE, SKIPPED = "verified", "pending", "duplicate", "skipped"
FATES = (VERIFIED, PENDING, DUPLICATE, SKIPPED)
ERRORS = frozenset(r.code for r in RULES.values() if r.severity == "error")
#: The columns :func:`liushou_core.cleaning.classify.classify` looks at: the outcome is a function of these alone.
CLASSIFY_INPUTS = [
    "age", "sex", "father_status", "mother_status", "husband_status", "children_status", "months_away",
    "category_declared",
]  # fmt: skip
#: Every field a ``facts_missing`` finding can name, in the (sorted) order their blocks come.
MISSING_FACT_FIELDS = sorted({f for facts in NEEDED_FACTS.values() for f in facts} | {"category_declared"})
PROVENANCE = ["source_file", "source_sheet", "source_row"]
#: Columns of a duplicate candidate (a row with a valid ID), enough to decide which row of a group is kept.
CANDIDATE_COLUMNS = [
    "row_key",
    "id_number",
    "has_error",
    "source_file",
    "source_sheet",
    "sheet_index",
    "source_row",
]


@dataclass(frozen=True)
class Part:
    """One part of the returns after the row-local stages."""

    rows: pd.DataFrame  # intake's rows (after corrections), RangeIndex
    cleaned: pd.DataFrame  # the rows that are not skipped: canonical values, category, has_error; RangeIndex
    data_pos: np.ndarray  # position in ``rows`` of each cleaned row
    blocks: list[pd.DataFrame]  # finding blocks (FINDING_COLUMNS + pos into ``cleaned``), fixed sequence


def clean_part(rows: pd.DataFrame, reference_date: date, codebook: Codebook, thresholds: Thresholds) -> Part:
    """Normalise and classify the rows that are not skipped; mark those with an error (or no category)."""
    rows = rows.reset_index(drop=True)
    data_pos = np.flatnonzero(rows["skip_rule"].isna().to_numpy())
    data = rows.iloc[data_pos].reset_index(drop=True)
    cleaned, blocks = normalise_blocks(data, reference_date, codebook)
    identified = cleaned["id_status"].eq("valid")
    # The outcome depends on a handful of columns with few combinations: classify each combination once.
    cls = per_combination(lambda facts: classify(facts, thresholds), cleaned[CLASSIFY_INPUTS])
    cleaned["category"] = cls["category"].where(identified)
    blocks += classification_blocks(cleaned, cls, identified)
    has_error = np.zeros(len(cleaned), dtype=bool)
    for b in blocks:
        has_error[b[POSITION].to_numpy()[b["rule"].isin(ERRORS).to_numpy()]] = True
    cleaned["has_error"] = has_error | cleaned["category"].isna().to_numpy()
    return Part(rows=rows, cleaned=cleaned, data_pos=data_pos, blocks=blocks)


def classification_blocks(
    cleaned: pd.DataFrame, cls: pd.DataFrame, identified: pd.Series
) -> list[pd.DataFrame]:
    """The classification findings of rows with a valid ID: mismatch, missing category, not qualified, and
    one block per fact that may be missing (empty blocks included, so every part has the same sequence)."""
    keys = cleaned["row_key"]
    declared = cleaned["category_declared"]
    outcome = cls["outcome"].where(identified)
    missing = cls["missing_fact"].fillna("category_declared")
    detail = cls["detail"]
    blocks = [
        finding_block(
            keys, outcome.eq("mismatch"), "category_mismatch", "category_declared", declared, detail
        ),
        finding_block(
            keys, outcome.eq("undeclared"), "category_missing", "category_declared", declared, detail
        ),
        finding_block(
            keys, outcome.eq("not_qualified"), "not_qualified", "category_declared", declared, detail
        ),
    ]
    fm = outcome.eq("facts_missing").fillna(False)
    for fact in MISSING_FACT_FIELDS:
        blocks.append(
            finding_block(keys, fm & missing.eq(fact), "facts_missing", fact, cleaned[fact], detail)
        )
    return blocks


# ----------------------------------------------------------------------------------------- duplicates


def duplicate_candidates(part: Part) -> pd.DataFrame:
    """The rows of a part that have a valid ID (CANDIDATE_COLUMNS, and ``pos`` into ``part.cleaned``)."""
    c = part.cleaned
    has_id = c["id_number"].notna().to_numpy()
    out = c.loc[has_id, CANDIDATE_COLUMNS].reset_index(drop=True)
    out[POSITION] = np.flatnonzero(has_id)
    return out


def find_duplicates(
    candidates: pd.DataFrame, decisions: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The merged duplicates among ``candidates`` (each with the row kept in its group), and the decision log.

    Only rows whose ID appears more than once, or that a decision names, can be affected, so
    :func:`liushou_core.cleaning.dedupe.mark_duplicates` sees just those: the result is the same, and a province's
    millions of single rows never enter it. Extra columns of ``candidates`` (``pos``, a part number) come
    back on the duplicate rows, in source order.
    """
    involved = candidates["id_number"].duplicated(keep=False)
    if decisions is not None and len(decisions):
        involved |= candidates["row_key"].isin(set(decisions["row_key"].dropna()))
    sub = candidates[involved.to_numpy()]
    marks, log = mark_duplicates(sub, decisions)
    dup = marks.loc[marks["is_duplicate"], ["row_key", "kept_row_key"]]
    extra = [c for c in sub.columns if c not in ("has_error",)]
    return dup.merge(sub[extra], on="row_key", how="left").reset_index(drop=True), log


def duplicate_block(dups: pd.DataFrame) -> pd.DataFrame:
    """The ``duplicate`` findings: each merged row, its ID and the row kept (as a person would name it)."""
    return pd.DataFrame(
        {
            "row_key": dups["row_key"],
            "rule": "duplicate",
            "field": "id_number",
            "value": dups["id_number"],
            "detail": dups["kept_row_key"].map(human_row),
        }
    ).astype("string")


def human_row(row_key: str) -> str:
    """``回马镇.xlsx（金竹村）第5行`` for ``回马镇.xlsx|金竹村|5``."""
    file, sheet, row = row_key.rsplit("|", 2)
    return f"{file}" + (f"（{sheet}）" if sheet else "") + f"第{row}行"


# --------------------------------------------------------------------------------------------- fates


@dataclass(frozen=True)
class Settled:
    """A part's fates: every row (``rows``), the verified register and the pending rows."""

    rows: pd.DataFrame  # provenance, sheet_index, fate, township_code, township, village, category, reason
    people: pd.DataFrame  # Person
    pending: pd.DataFrame  # cleaned values of the pending rows, with their reason


def first_errors(blocks: list[pd.DataFrame], n: int) -> np.ndarray:
    """Each cleaned row's first error rule (in block order), ``None`` for rows without one."""
    errors = [b.loc[b["rule"].isin(ERRORS), [POSITION, "rule"]] for b in blocks]
    errors = [e for e in errors if len(e)]
    out = np.full(n, None, dtype=object)
    if errors:
        first = pd.concat(errors, ignore_index=True).drop_duplicates(POSITION)
        out[first[POSITION].to_numpy()] = first["rule"].to_numpy(dtype=object)
    return out


def settle(part: Part, duplicate_pos: np.ndarray) -> Settled:
    """Fates of a part's rows given which of its cleaned rows are merged duplicates.

    ``verified`` unless the row has an error (``pending``) or is a duplicate; skipped rows keep their skip
    rule. The reason is the first error, ``duplicate`` or the skip rule.
    """
    rows, cleaned = part.rows, part.cleaned
    fate = np.where(cleaned["has_error"].to_numpy(), PENDING, VERIFIED).astype(object)
    fate[duplicate_pos] = DUPLICATE
    cleaned["fate"] = pd.Series(fate, index=cleaned.index, dtype="string")

    # Every row: provenance, and the fate and place of the rows that are not skipped (by position).
    where = np.full(len(rows), -1, dtype=np.int64)
    where[part.data_pos] = np.arange(len(cleaned))
    all_rows = rows[
        ["row_key", "source_file", "source_sheet", "source_row", "sheet_index", "skip_rule"]
    ].copy()
    for c in ("fate", "township_code", "township", "village", "category"):
        all_rows[c] = pd.Series(cleaned[c].array.take(where, allow_fill=True), index=rows.index)
    all_rows["fate"] = all_rows["fate"].fillna(SKIPPED)
    first = np.full(len(rows), None, dtype=object)
    first[part.data_pos] = first_errors(part.blocks, len(cleaned))
    reason = pd.Series(first, index=rows.index, dtype="string")
    reason = reason.mask(all_rows["fate"].eq(DUPLICATE), "duplicate").mask(
        all_rows["fate"].eq(SKIPPED), all_rows["skip_rule"]
    )
    all_rows["reason"] = reason.where(~all_rows["fate"].eq(VERIFIED))
    all_rows = all_rows.drop(columns="skip_rule")
    all_rows["township"] = fill_file_township(all_rows)

    people = Person.validate(
        cleaned.loc[cleaned["fate"].eq(VERIFIED)].astype({"age": "int64", "source_row": "int64"})
    )
    is_pending = cleaned["fate"].eq(PENDING).to_numpy()
    pending = cleaned.loc[is_pending].drop(columns=["has_error"]).reset_index(drop=True)
    pending["reason"] = all_rows["reason"].iloc[part.data_pos[is_pending]].reset_index(drop=True)
    return Settled(rows=all_rows, people=people.reset_index(drop=True), pending=pending)


def fill_file_township(rows: pd.DataFrame) -> pd.Series:
    """A row's township, or for rows without one (skipped, unresolved) the main township of its file: the
    most frequent, the first in sort order on a tie (as ``Series.mode`` gives it)."""
    files, _ = factorize(rows["source_file"])
    towns, names = factorize(rows["township"])
    if not len(names):  # no row has a township
        return rows["township"].astype("string")
    known = towns >= 0
    counts = np.zeros((int(files.max(initial=-1)) + 1, len(names)), dtype=np.int64)
    np.add.at(counts, (files[known], towns[known]), 1)
    rank = np.argsort(np.argsort(names.to_numpy(dtype=object)))  # each name's place in sort order
    # Among a file's most frequent townships, the one first in sort order.
    best = np.where(counts == counts.max(axis=1, keepdims=True), rank, len(names)).argmin(axis=1)
    main = np.where(counts.max(axis=1) > 0, best, -1)
    fill = main[files]
    filled = pd.Series(names.array.take(fill, allow_fill=True), index=rows.index, dtype="string")
    return rows["township"].astype("string").fillna(filled)


# -------------------------------------------------------------------------------------------- issues


def skip_block(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Intake's skipped rows as findings (the skip rule, nothing else), with their provenance."""
    skipped = rows["skip_rule"].notna().to_numpy()
    found = rows.loc[skipped, ["row_key", "skip_rule"]].rename(columns={"skip_rule": "rule"})
    found = found.assign(field=pd.NA, value=pd.NA, detail=pd.NA)[FINDING_COLUMNS].astype("string")
    return found.reset_index(drop=True), rows.loc[skipped, PROVENANCE].reset_index(drop=True)


def part_findings(part: Part) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A part's findings in block order, with the provenance of each (aligned by position)."""
    found = concat_findings(part.blocks)
    at = part.data_pos[found[POSITION].to_numpy()] if len(found) else np.zeros(0, dtype=np.int64)
    return found.drop(columns=POSITION), part.rows[PROVENANCE].iloc[at].reset_index(drop=True)


def render(found: pd.DataFrame, provenance: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Findings (row_key, rule, field, value, detail) with their provenance (aligned by position) → the issues
    table's columns, with each rule's severity and its Chinese message.

    A message depends only on the rule, field, value and detail, which repeat a lot (a village typed the
    same way on every row of a return): each combination is formatted once.
    """
    f = pd.concat(
        [found[FINDING_COLUMNS].reset_index(drop=True), provenance[PROVENANCE].reset_index(drop=True)], axis=1
    )
    labels = (
        dict(codebook.headers) | FACT_LABELS | {"category_declared": codebook.headers["category_declared"]}
    )

    def messages(g: pd.DataFrame) -> pd.Series:
        return pd.Series(
            [
                RULES[r].message.format(
                    value="" if pd.isna(v) else v,
                    field=labels.get(str(fl), "" if pd.isna(fl) else fl),
                    detail="" if pd.isna(d) else d,
                )
                for r, v, fl, d in zip(g["rule"], g["value"], g["field"], g["detail"], strict=True)
            ],
            index=g.index,
            dtype=object,
        )

    def severity(rules: pd.Series) -> pd.Series:
        return pd.Series(
            [None if pd.isna(r) else RULES[r].severity for r in rules], index=rules.index, dtype=object
        )

    f["severity"] = per_value(severity, f["rule"])
    f["message"] = per_combination(messages, f[["rule", "value", "field", "detail"]])
    return f[ISSUE_COLUMNS]


__all__ = [
    "CLASSIFY_INPUTS",
    "DUPLICATE",
    "ERRORS",
    "FATES",
    "PENDING",
    "SKIPPED",
    "VERIFIED",
    "Part",
    "Settled",
    "clean_part",
    "duplicate_block",
    "duplicate_candidates",
    "find_duplicates",
    "fill_file_township",
    "human_row",
    "part_findings",
    "render",
    "settle",
    "skip_block",
]
