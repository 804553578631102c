"""A run's clean outputs, loaded for the workbooks: the register, the issues, every row's fate, the summary.

A workbook reads the cleaner's folder of a run (``RUN/clean``) or a ``liushou clean`` output folder, and
keeps the part of one township. An issue belongs to the township of its row (``rows.parquet``), or, for a
problem with a whole file, to the main township of that file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.errors
import pyarrow.parquet as pq

from liushou_core.atomic import require_complete
from liushou_core.errors import ConfigError, InputFileError
from liushou_core.issues import empty_issues
from liushou_core.register import Person
from liushou_core.rules.allowances import check_input
from liushou_core.runfolder import NOTEBOOK_KINDS, cleaned_folder, township_dir
from liushou_core.values.redact import redact_text


@dataclass(frozen=True)
class RunData:
    """The cleaner's outputs for a county or one township.

    ``rows`` (every input row's fate) and ``pending`` are ``None`` when the clean folder has no
    ``rows.parquet`` / ``pending.parquet``.
    """

    people: pd.DataFrame
    issues: pd.DataFrame  # Issues + township
    summary: dict[str, Any]
    rows: pd.DataFrame | None = None
    pending: pd.DataFrame | None = None
    township: str | None = None


def clean_dir_of(run_dir: Path | str) -> Path:
    """The cleaner's folder of a run (``RUN/clean``), or ``run_dir`` itself if it holds people.parquet."""
    return cleaned_folder(run_dir)


def read_run(run_dir: Path | str) -> RunData:
    """Read a run's register, issues, summary and row fates as they are (no schema check)."""
    folder = clean_dir_of(run_dir)
    people_path = folder / "people.parquet"
    if not people_path.exists():
        raise ConfigError(f"找不到核实名册 {people_path}：请先运行 liushou clean 或 liushou run")
    require_complete(folder)

    def optional(name: str) -> pd.DataFrame | None:
        return pd.read_parquet(folder / name) if (folder / name).exists() else None

    people = pd.read_parquet(people_path)
    rows = optional("rows.parquet")
    issues = optional("issues.parquet")
    if issues is None:
        issues = empty_issues()
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    return RunData(
        people=people,
        issues=issues.assign(township=issue_townships(issues, people, rows)),
        summary=summary,
        rows=rows,
        pending=optional("pending.parquet"),
    )


def load_run(run_dir: Path | str, township: str | None = None) -> RunData:
    """A run's register, issues and summary, checked; with ``township``, only that township's part.

    ``run_dir`` is a run folder (``RUN/clean`` inside) or a ``liushou clean`` output folder. The register
    (or the township's part of it) is checked against :class:`~liushou_core.register.Person`, so a bad
    register stops this township's workbook with a clear message, not the others'.
    """
    data = read_run(run_dir)
    if township:
        data = for_township(data, township)
    return replace(data, people=_validated(data.people, clean_dir_of(run_dir) / "people.parquet", township))


def _validated(people: pd.DataFrame, path: Path, township: str | None) -> pd.DataFrame:
    try:
        return Person.validate(people, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.head(5)[["column", "check", "failure_case"]].astype(str).agg(" ".join, axis=1)
        where = f"（{township}）" if township else ""
        raise ConfigError(
            # a failing value may be an ID number (a duplicated one): masked, like every message (redact.py)
            f"核实名册 {path}{where} 有 {len(cases)} 处不符合格式，例如：" + redact_text("；".join(first))
        ) from None


def issue_townships(issues: pd.DataFrame, people: pd.DataFrame, rows: pd.DataFrame | None) -> pd.Series:
    """The township each issue belongs to: its row's township, else the main township of its file."""
    if len(issues) == 0:
        return pd.Series(pd.NA, index=issues.index, dtype="string")
    if rows is not None and {"row_key", "township", "source_file"} <= set(rows.columns):
        by_row = rows.dropna(subset=["township"]).drop_duplicates("row_key").set_index("row_key")["township"]
        by_file = _main_township(rows)
    else:
        by_row = people.set_index("row_key")["township"] if "row_key" in people else pd.Series(dtype="string")
        by_file = _main_township(people)
    found = issues["row_key"].map(by_row)
    return found.fillna(issues["source_file"].map(by_file)).astype("string")


def _main_township(frame: pd.DataFrame) -> pd.Series:
    known = frame.dropna(subset=["township"])
    if len(known) == 0:
        return pd.Series(dtype="string")
    return known.groupby("source_file")["township"].agg(lambda s: s.mode().iat[0])


def for_township(data: RunData, township: str) -> RunData:
    """One township's part of a run. Raises :class:`ConfigError` if the run has no such township."""
    known = set(data.people["township"])
    if data.rows is not None:
        known |= set(data.rows["township"].dropna())
    if township not in known:
        raise ConfigError(f"本次运行的数据中没有镇（乡）“{township}”（有：{'、'.join(sorted(known))}）")
    rows = data.rows[data.rows["township"] == township] if data.rows is not None else None
    pending = data.pending
    if pending is not None and rows is not None and "row_key" in pending:
        pending = pending[pending["row_key"].isin(set(rows["row_key"]))]
    return RunData(
        people=data.people[data.people["township"] == township].reset_index(drop=True),
        issues=data.issues[data.issues["township"] == township].reset_index(drop=True),
        summary=data.summary,
        rows=rows,
        pending=pending,
        township=township,
    )


def townships_of(people: pd.DataFrame) -> list[str]:
    """The townships of a register, in official code order."""
    order = people[["township_code", "township"]].drop_duplicates().sort_values("township_code")
    return [str(t) for t in order["township"]]


def read_people(path: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a register parquet for the payroll, with a clear error if it is not one.

    With ``columns``, only those of them the file has (and ``source_row``, which the messages quote) are
    read: the payroll needs a few of the register's 37 columns, and at 10 million people the others would
    take gigabytes. A missing required column is still reported by :func:`check_input`.
    """
    try:
        wanted = None
        if columns is not None:
            have = set(pq.read_schema(path).names)
            wanted = [c for c in dict.fromkeys([*columns, "source_row"]) if c in have]
        people = pd.read_parquet(path, columns=wanted)
    except FileNotFoundError:
        raise InputFileError("文件不存在", file=str(path)) from None
    except Exception as exc:  # pyarrow raises several types for a file that is not parquet
        raise InputFileError(
            f"无法读取为 parquet 文件（{type(exc).__name__}: {exc}）", file=str(path)
        ) from exc
    check_input(people, str(path))
    people["birth_date"] = pd.to_datetime(people["birth_date"], errors="coerce")
    bad = people["birth_date"].isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        row = int(people["source_row"].iloc[pos]) if "source_row" in people.columns else None
        raise InputFileError("出生日期为空或无法识别", file=str(path), row=row, column="birth_date")
    return people


def township_pages(run_dir: Path | str, township: str) -> dict[str, Path]:
    """Each workbook of a township, by its Chinese title (摸排工作簿…), and where its HTML page is written."""
    folder = township_dir(Path(run_dir), township)
    return {title: folder / f"{kind}.html" for kind, title in NOTEBOOK_KINDS.items()}


def workbook_titles() -> list[str]:
    """The Chinese titles of a township's workbooks, in the order they are made."""
    return list(NOTEBOOK_KINDS.values())
