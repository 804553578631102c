"""``liushou clean``: intake → corrections → normalisation → classification → duplicates → register.

Every input row ends in exactly one fate — verified (the register), pending (待核实, with its reasons),
merged duplicate, or skipped non-data row — and ``summary.json`` shows that they add up.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from liushou_core import __version__
from liushou_core.atomic import write_json, write_parquet
from liushou_core.cleaning.classify import Thresholds
from liushou_core.cleaning.corrections import (
    apply_corrections,
    read_decisions,
    refuse_decisions_inside,
    returned_lines,
    returned_records,
)
from liushou_core.cleaning.intake import IntakeResult, read_returns
from liushou_core.cleaning.intake.problems import blocking, format_problems, input_problems
from liushou_core.cleaning.normalise import POSITION
from liushou_core.cleaning.stages import (
    DUPLICATE,
    FATES,
    PENDING,
    PROVENANCE,
    SKIPPED,
    VERIFIED,
    clean_part,
    duplicate_block,
    duplicate_candidates,
    find_duplicates,
    part_findings,
    render,
    settle,
    skip_block,
)
from liushou_core.errors import ConfigError
from liushou_core.issues import ISSUE_COLUMNS, SKIP_RULES, Issues
from liushou_core.paths import params_dir
from liushou_core.register import CATEGORIES
from liushou_core.runlock import folder_lock
from liushou_core.values.codebook import Codebook, load_codebook

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
        return summary_figures(
            Tally.of(self.rows, self.people, self.issues),
            reference_date=self.reference_date,
            files=self.files,
            issues=self.issues,
            corrections_log=self.corrections_log,
            decisions_log=self.decisions_log,
        )


@dataclass
class Tally:
    """The counts of ``summary.json`` that come from the rows, the register and the issues; tallies of
    parts of the returns add up to the tally of the whole (:mod:`liushou_core.cleaning.streaming`)."""

    rows_in: int = 0
    fates: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    #: township code → (the township's name on its first row in the register, people)
    townships: dict[str, tuple[str, int]] = field(default_factory=dict)
    severities: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, rows: pd.DataFrame, people: pd.DataFrame, issues: pd.DataFrame) -> Tally:
        by_town = people.groupby("township_code")["township"].agg(["first", "size"])
        return cls(
            rows_in=len(rows),
            fates=Counter({str(k): int(v) for k, v in rows["fate"].value_counts().items()}),
            categories=Counter({str(k): int(v) for k, v in people["category"].value_counts().items()}),
            townships={str(c): (str(r["first"]), int(r["size"])) for c, r in by_town.iterrows()},
            severities=Counter({str(k): int(v) for k, v in issues["severity"].value_counts().items()}),
        )

    def __add__(self, other: Tally) -> Tally:
        towns = dict(self.townships)
        for code, (name, n) in other.townships.items():
            first, before = towns.get(code, (name, 0))
            towns[code] = (first, before + n)
        return Tally(
            rows_in=self.rows_in + other.rows_in,
            fates=self.fates + other.fates,
            categories=self.categories + other.categories,
            townships=towns,
            severities=self.severities + other.severities,
        )


def summary_figures(
    tally: Tally,
    *,
    reference_date: date,
    files: pd.DataFrame,
    issues: pd.DataFrame,
    corrections_log: pd.DataFrame,
    decisions_log: pd.DataFrame,
) -> dict[str, Any]:
    """The figures of ``summary.json``; ``issues`` must hold at least intake's own (file and sheet) issues."""
    people = tally.fates.get(VERIFIED, 0)
    return {
        "reference_date": reference_date.isoformat(),
        "rows_in": int(tally.rows_in),
        "people": int(people),
        "pending": int(tally.fates.get(PENDING, 0)),
        "duplicates_merged": int(tally.fates.get(DUPLICATE, 0)),
        "skipped": int(tally.fates.get(SKIPPED, 0)),
        "by_category": {c: int(tally.categories.get(c, 0)) for c in CATEGORIES},
        "by_township": {name: n for _, (name, n) in sorted(tally.townships.items())},
        "files": int(len(files)),
        "files_with_errors": int(files["status"].ne("ok").sum()) if len(files) else 0,
        "issues_by_severity": {s: int(tally.severities.get(s, 0)) for s in ("error", "warning", "info")},
        "corrections": _status_counts(corrections_log),
        "duplicate_decisions": _status_counts(decisions_log),
        "liushou_version": __version__,
        # the returns not read in full (files, sheets, cells), as the command says them
        "input_problems": [p.to_dict() for p in input_problems(issues, files)],
    }


def _status_counts(log: pd.DataFrame) -> dict[str, int]:
    counts = log["status"].value_counts() if len(log) else pd.Series(dtype=int)
    return {"applied": int(counts.get("applied", 0)), "failed": int(counts.get("failed", 0))}


def render_issues(found: pd.DataFrame, rows: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Findings (row_key, rule, field, value, detail) → the issues table with provenance and Chinese messages."""
    where = found[["row_key"]].merge(rows[["row_key", *PROVENANCE]], on="row_key", how="left")
    return render(found, where, codebook)


def build_register(
    intake: IntakeResult,
    reference_date: date,
    *,
    codebook: Codebook | None = None,
    decisions: pd.DataFrame | None = None,
    thresholds: Thresholds | None = None,
) -> Register:
    """Clean, classify and de-duplicate intake's rows into a register, accounting for every row.

    All the rows are one part of :mod:`liushou_core.cleaning.stages`; :mod:`liushou_core.cleaning.streaming` writes the same
    outputs return by return.
    """
    cb = codebook or load_codebook()
    t = thresholds or Thresholds.at(reference_date)
    rows = intake.rows.reset_index(drop=True)
    empty_log = pd.DataFrame({c: pd.Series(dtype="string") for c in ["row_key", "status", "message"]})
    corrections_log = empty_log
    if decisions is not None and decisions["correction"].notna().any():
        rows, corrections_log = apply_corrections(rows, decisions)

    part = clean_part(rows, reference_date, cb, t)
    dd = decisions.loc[decisions["decision"].notna()] if decisions is not None else None
    dups, decisions_log = find_duplicates(duplicate_candidates(part), dd)
    settled = settle(part, dups[POSITION].to_numpy())

    # The issues table: intake's file issues, the skipped rows, the findings block by block, the duplicates.
    file_issues = intake.issues[~intake.issues["rule"].isin(SKIP_RULES)]
    issues = pd.concat(
        [
            file_issues[ISSUE_COLUMNS],
            render(*skip_block(part.rows), cb),
            render(*part_findings(part), cb),
            render(duplicate_block(dups), dups[PROVENANCE], cb),
        ],
        ignore_index=True,
    )
    return Register(
        rows=settled.rows,
        raw=part.rows,
        people=settled.people,
        pending=settled.pending,
        issues=Issues.validate(issues),
        files=intake.files,
        corrections_log=corrections_log,
        decisions_log=decisions_log,
        reference_date=reference_date,
    )


def write_register(reg: Register, out: Path) -> dict[str, Any]:
    """Write the machine-readable outputs (PRODUCT.md §4.3) and the per-township problem lists."""
    from liushou_core.cleaning.problemlist import write_problem_lists

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

    The output folder is locked while it is written (:mod:`liushou_core.runlock`). The returns are cleaned
    one at a time (:mod:`liushou_core.cleaning.streaming`), so a province's returns fit in memory.
    """
    from liushou_core.cleaning.streaming import stream_to_dir

    refuse_decisions_inside(out, decisions)
    with folder_lock(out, "liushou clean"):
        result = stream_to_dir(inputs, out, reference_date, decisions, codebooks)
    s = result.summary
    print(format_summary(s))
    if decisions is not None:
        print("\n".join(returned_lines(returned_records(out))))
    print(f"输出：{out}")
    problems = input_problems(result.file_issues, result.files)
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
