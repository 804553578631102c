"""What a cleaning produces: every row's fate, the register, the pending rows, the issues, and the tallies
``summary.json`` is made of (PRODUCT.md §4.3).

Every input row ends in exactly one fate — verified (the register), pending (待核实, with its reasons),
merged duplicate, or skipped non-data row — and ``summary.json`` shows that they add up.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from liushou_core import __version__
from liushou_core.cleaning.intake.problems import input_problems
from liushou_core.cleaning.stages import DUPLICATE, PENDING, SKIPPED, VERIFIED
from liushou_core.register import CATEGORIES


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


__all__ = ["Register", "Tally", "summary_figures"]
