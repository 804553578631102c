"""``liushou clean``: intake → corrections → normalisation → classification → duplicates → register.

Every input row ends in exactly one fate — verified (the register), pending (待核实, with its reasons),
merged duplicate, or skipped non-data row — and ``summary.json`` shows that they add up.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from . import __version__
from .atomic import write_json, write_parquet
from .classify import FACT_LABELS, Thresholds, classify
from .clean import FINDING_COLUMNS, findings, normalise
from .codebook import Codebook, load_codebook
from .corrections import apply_corrections, read_decisions
from .dedupe import mark_duplicates
from .errors import ConfigError
from .intake import IntakeResult, read_returns
from .intake.problems import blocking, format_problems, input_problems
from .issues import ISSUE_COLUMNS, RULES, Issues
from .paths import params_dir
from .register import CATEGORIES, Person
from .runlock import folder_lock

VERIFIED, PENDING, DUPLICATE, SKIPPED = "verified", "pending", "duplicate", "skipped"
FATES = (VERIFIED, PENDING, DUPLICATE, SKIPPED)
FATE_LABELS = {VERIFIED: "核实名册", PENDING: "待核实", DUPLICATE: "重复合并", SKIPPED: "非数据行"}


def default_reference_date() -> date:
    """The survey's reference date from ``params/survey.yaml``."""
    data = yaml.safe_load((params_dir() / "survey.yaml").read_text(encoding="utf-8"))
    value = data.get("reference_date")
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(f"params/survey.yaml 的 reference_date 应为 YYYY-MM-DD，而不是“{value}”") from exc


@dataclass(frozen=True)
class Register:
    """The result of cleaning: every row's fate, the register, the pending rows and the issues."""

    rows: pd.DataFrame  # every input row: provenance, township, fate, reason
    raw: pd.DataFrame  # every input row as read (after corrections), for the problem lists' context
    people: pd.DataFrame  # Person
    pending: pd.DataFrame  # cleaned values of the pending rows, with their reasons
    issues: pd.DataFrame  # Issues
    files: pd.DataFrame
    corrections_log: pd.DataFrame
    decisions_log: pd.DataFrame
    reference_date: date

    def summary(self) -> dict[str, Any]:
        """The figures of ``summary.json`` (PRODUCT.md §4.3)."""
        fate = self.rows["fate"].value_counts()
        by_cat = self.people["category"].value_counts()
        by_town = self.people.groupby("township_code")["township"].agg(["first", "size"]).sort_index()
        severity = self.issues["severity"].value_counts()
        return {
            "reference_date": self.reference_date.isoformat(),
            "rows_in": int(len(self.rows)),
            "people": int(len(self.people)),
            "pending": int(fate.get(PENDING, 0)),
            "duplicates_merged": int(fate.get(DUPLICATE, 0)),
            "skipped": int(fate.get(SKIPPED, 0)),
            "by_category": {c: int(by_cat.get(c, 0)) for c in CATEGORIES},
            "by_township": {str(r["first"]): int(r["size"]) for _, r in by_town.iterrows()},
            "files": int(len(self.files)),
            "files_with_errors": int(self.files["status"].ne("ok").sum()) if len(self.files) else 0,
            "issues_by_severity": {s: int(severity.get(s, 0)) for s in ("error", "warning", "info")},
            "corrections": _status_counts(self.corrections_log),
            "duplicate_decisions": _status_counts(self.decisions_log),
            "liushou_version": __version__,
            # the returns not read in full (files, sheets, cells), as the command says them
            "input_problems": [p.to_dict() for p in input_problems(self.issues, self.files)],
        }


def _status_counts(log: pd.DataFrame) -> dict[str, int]:
    counts = log["status"].value_counts() if len(log) else pd.Series(dtype=int)
    return {"applied": int(counts.get("applied", 0)), "failed": int(counts.get("failed", 0))}


def _classification_findings(cleaned: pd.DataFrame, cls: pd.DataFrame, identified: pd.Series) -> pd.DataFrame:
    keys = cleaned["row_key"]
    declared = cleaned["category_declared"]
    outcome = cls["outcome"].where(identified)
    missing = cls["missing_fact"].fillna("category_declared")
    blocks = [
        findings(
            keys, outcome.eq("mismatch"), "category_mismatch", "category_declared", declared, cls["detail"]
        ),
        findings(
            keys, outcome.eq("undeclared"), "category_missing", "category_declared", declared, cls["detail"]
        ),
        findings(
            keys, outcome.eq("not_qualified"), "not_qualified", "category_declared", declared, cls["detail"]
        ),
    ]
    fm = outcome.eq("facts_missing").fillna(False)
    for fact in sorted(set(missing[fm])):
        sel = fm & missing.eq(fact)
        blocks.append(
            findings(
                keys, sel, "facts_missing", fact, cleaned[fact], cls["detail"]
            )
        )
    return pd.concat(blocks, ignore_index=True)


def render_issues(found: pd.DataFrame, rows: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Findings (row_key, rule, field, value, detail) → the issues table with provenance and Chinese messages."""
    labels = (
        dict(codebook.headers) | FACT_LABELS | {"category_declared": codebook.headers["category_declared"]}
    )
    f = found.merge(rows[["row_key", "source_file", "source_sheet", "source_row"]], on="row_key", how="left")
    rule = f["rule"].map(lambda r: RULES[r])
    f["severity"] = rule.map(lambda r: r.severity)
    # One format per finding; the table is as long as the problems, not the rows.
    f["message"] = [
        r.message.format(
            value="" if pd.isna(v) else v,
            field=labels.get(str(fl), "" if pd.isna(fl) else fl),
            detail="" if pd.isna(d) else d,
        )
        for r, v, fl, d in zip(rule, f["value"], f["field"], f["detail"], strict=True)
    ]
    return f


def build_register(
    intake: IntakeResult,
    reference_date: date,
    *,
    codebook: Codebook | None = None,
    decisions: pd.DataFrame | None = None,
    thresholds: Thresholds | None = None,
) -> Register:
    """Clean, classify and de-duplicate intake's rows into a register, accounting for every row."""
    cb = codebook or load_codebook()
    t = thresholds or Thresholds.at(reference_date)
    rows = intake.rows.reset_index(drop=True)
    empty_log = pd.DataFrame({c: pd.Series(dtype="string") for c in ["row_key", "status", "message"]})
    corrections_log, decisions_log = empty_log, empty_log
    if decisions is not None and decisions["correction"].notna().any():
        rows, corrections_log = apply_corrections(rows, decisions)

    data = rows[rows["skip_rule"].isna()].reset_index(drop=True)
    cleaned, found = normalise(data, reference_date, cb)
    identified = cleaned["id_status"].eq("valid")
    cls = classify(cleaned, t)
    cleaned["category"] = cls["category"].where(identified)
    found = pd.concat([found, _classification_findings(cleaned, cls, identified)], ignore_index=True)

    errors = {r.code for r in RULES.values() if r.severity == "error"}
    error_keys = set(found.loc[found["rule"].isin(errors), "row_key"])
    cleaned["has_error"] = cleaned["row_key"].isin(error_keys) | cleaned["category"].isna()
    dd = decisions.loc[decisions["decision"].notna()] if decisions is not None else None
    marks, decisions_log = mark_duplicates(
        cleaned.assign(id_number=cleaned["id_number"].where(identified)), dd
    )
    dup = marks.loc[marks["is_duplicate"]]
    kept = dup["kept_row_key"].map(_human_row)
    dup_found = pd.DataFrame(
        {
            "row_key": dup["row_key"],
            "rule": "duplicate",
            "field": "id_number",
            "value": dup["id_number"],
            "detail": kept,
        }
    )
    found = pd.concat([found, dup_found.astype("string")], ignore_index=True)

    fate = pd.Series(VERIFIED, index=cleaned.index, dtype="string")
    fate = fate.mask(cleaned["has_error"], PENDING).mask(
        cleaned["row_key"].isin(set(dup["row_key"])), DUPLICATE
    )
    cleaned["fate"] = fate

    # The issues table: intake's file/skip issues, then the findings, in source order.
    skip_found = rows.loc[rows["skip_rule"].notna(), ["row_key", "skip_rule"]].rename(
        columns={"skip_rule": "rule"}
    )
    skip_found = skip_found.assign(field=pd.NA, value=pd.NA, detail=pd.NA)[FINDING_COLUMNS]
    issues = render_issues(pd.concat([skip_found.astype("string"), found], ignore_index=True), rows, cb)
    file_issues = intake.issues[
        ~intake.issues["rule"].isin({"skip_blank", "skip_total", "skip_header", "skip_note"})
    ]
    issues = pd.concat([file_issues[ISSUE_COLUMNS], issues[ISSUE_COLUMNS]], ignore_index=True)
    issues = Issues.validate(issues)

    # Every row's fate; the reason is its first error (pending), its skip rule, or "duplicate".
    first_error = found[found["rule"].isin(errors)].drop_duplicates("row_key").set_index("row_key")["rule"]
    all_rows = rows[
        ["row_key", "source_file", "source_sheet", "source_row", "sheet_index", "skip_rule"]
    ].merge(
        cleaned[["row_key", "fate", "township_code", "township", "village", "category"]],
        on="row_key",
        how="left",
    )
    all_rows["fate"] = all_rows["fate"].fillna(SKIPPED)
    reason = all_rows["row_key"].map(first_error).astype("string")
    reason = reason.mask(all_rows["fate"].eq(DUPLICATE), "duplicate").mask(
        all_rows["fate"].eq(SKIPPED), all_rows["skip_rule"]
    )
    reason = reason.where(~all_rows["fate"].eq(VERIFIED))
    all_rows["reason"] = reason
    all_rows = all_rows.drop(columns="skip_rule")
    all_rows["township"] = _fill_file_township(all_rows)

    people = Person.validate(
        cleaned.loc[cleaned["fate"].eq(VERIFIED)].astype({"age": "int64", "source_row": "int64"})
    )
    pending = (
        cleaned.loc[cleaned["fate"].eq(PENDING)]
        .drop(columns=["has_error"])
        .merge(all_rows[["row_key", "reason"]], on="row_key", how="left")
    )
    return Register(
        rows=all_rows,
        raw=rows,
        people=people.reset_index(drop=True),
        pending=pending.reset_index(drop=True),
        issues=issues,
        files=intake.files,
        corrections_log=corrections_log,
        decisions_log=decisions_log,
        reference_date=reference_date,
    )


def _human_row(row_key: str) -> str:
    file, sheet, row = row_key.rsplit("|", 2)
    return f"{file}" + (f"（{sheet}）" if sheet else "") + f"第{row}行"


def _fill_file_township(rows: pd.DataFrame) -> pd.Series:
    """A row's township, or for rows without one (skipped, unresolved) the main township of its file."""
    main = rows.dropna(subset=["township"]).groupby("source_file")["township"].agg(lambda s: s.mode().iat[0])
    return rows["township"].astype("string").fillna(rows["source_file"].map(main).astype("string"))


def write_register(reg: Register, out: Path) -> dict[str, Any]:
    """Write the machine-readable outputs (PRODUCT.md §4.3) and the per-township problem lists."""
    from .problemlist import write_problem_lists

    out.mkdir(parents=True, exist_ok=True)
    write_parquet(reg.people, out / "people.parquet")
    write_parquet(reg.issues, out / "issues.parquet")
    write_parquet(reg.pending, out / "pending.parquet")
    write_parquet(reg.rows, out / "rows.parquet")
    write_parquet(
        reg.files.astype({c: "string" for c in reg.files.columns if reg.files[c].dtype == object}),
        out / "files.parquet",
    )
    if len(reg.corrections_log):
        write_parquet(reg.corrections_log, out / "corrections_log.parquet")
    if len(reg.decisions_log):
        write_parquet(reg.decisions_log, out / "decisions_log.parquet")
    write_problem_lists(reg, out / "问题数据清单")
    summary = reg.summary()
    write_json(summary, out / "summary.json")
    return summary


def clean_to_dir(
    inputs: Sequence[Path],
    out: Path,
    reference_date: date | None = None,
    decisions: Path | None = None,
    codebooks: Sequence[Path] = (),
) -> Register:
    """Read the returns, clean them and write the outputs to ``out``; return the register."""
    cb = load_codebook(codebooks)
    ref = reference_date or default_reference_date()
    dec = read_decisions(decisions, cb) if decisions is not None else None
    intake = read_returns(list(inputs), cb)
    reg = build_register(intake, ref, codebook=cb, decisions=dec)
    write_register(reg, out)
    return reg


def clean_command(
    inputs: Sequence[Path],
    out: Path,
    reference_date: date | None = None,
    decisions: Path | None = None,
    codebooks: Sequence[Path] = (),
) -> int:
    """The ``liushou clean`` command: print the accounting, then what in the returns was not read (one
    line per file or sheet, naming it and what to do); exit 1 if a file, sheet or cells were not read.

    The output folder is locked while it is written (:mod:`liushou_core.runlock`).
    """
    with folder_lock(out, "liushou clean"):
        reg = clean_to_dir(inputs, out, reference_date, decisions, codebooks)
    s = reg.summary()
    print(format_summary(s))
    print(f"输出：{out}")
    problems = input_problems(reg.issues, reg.files)
    for line in format_problems(problems):
        print(line, file=sys.stderr)
    return 1 if blocking(problems) else 0


def format_summary(s: dict[str, Any]) -> str:
    """The accounting and the counts by category and township, as a few Chinese lines."""
    lines = [
        f"基准日 {s['reference_date']}：读入 {s['rows_in']} 行 = 核实 {s['people']} + 待核实 {s['pending']}"
        f" + 重复合并 {s['duplicates_merged']} + 非数据行 {s['skipped']}",
        "按类别：" + "，".join(f"{k} {v}" for k, v in s["by_category"].items()) + f"，合计 {s['people']}",
        "按镇乡：" + "，".join(f"{k} {v}" for k, v in s["by_township"].items()),
    ]
    return "\n".join(lines)


__all__ = ["FATES", "Register", "build_register", "clean_command", "clean_to_dir", "write_register"]
