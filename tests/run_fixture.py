"""A tiny synthetic cleaned run (what ``liushou clean`` writes) for the workbook and batch tests.

Three townships of 大英县: 蓬莱镇 and 隆盛镇 with two villages each, and 回马镇 with one village. Every
township has children, women and elders with a spread of schooling, guardianship and health facts
(some 未采集), a few warnings on verified rows, pending rows with errors, a duplicate and skipped rows,
so ``rows_in = people + pending + duplicates_merged + skipped`` holds per township and for the county.

:func:`fake_clean` stands in for ``pipeline.clean_to_dir``: it copies the frames that
:func:`write_inputs` put in an inputs folder, so a test changes "the returns" by rewriting that folder.
Synthetic people only.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
from person_frames import make_id, person_frame

from liushou_core.atomic import mark_complete
from liushou_core.issues import RULES, Issues

TOWNSHIPS = {
    "蓬莱镇": ("510923100", [("510923100201", "梨子坝村委会"), ("510923100202", "凉湾村委会")]),
    "隆盛镇": ("510923101", [("510923101201", "赵坝村委会"), ("510923101241", "飞钟村委会")]),
    "回马镇": ("510923102", [("510923102201", "大堰村委会")]),
}

_CHILD_FACTS: list[dict[str, Any]] = [
    {
        "schooling": "小学",
        "boarding": "是",
        "health": "健康",
        "guardianship_grade": "较好",
        "agreement_signed": "已签订",
    },
    {
        "schooling": "初中",
        "boarding": "否",
        "health": "患病",
        "guardianship_grade": "一般",
        "agreement_signed": "未签订",
    },
    {
        "schooling": "学前",
        "boarding": pd.NA,
        "health": pd.NA,
        "guardianship_grade": "差",
        "agreement_signed": pd.NA,
    },
    {
        "schooling": pd.NA,
        "boarding": pd.NA,
        "health": "残疾",
        "guardianship_grade": pd.NA,
        "agreement_signed": "已签订",
    },
]


def _person_rows(town: str) -> list[dict[str, Any]]:
    code, villages = TOWNSHIPS[town]
    rows: list[dict[str, Any]] = []
    births = ["2005-03-01", "2009-07-15", "2014-01-20", "2002-06-30"]  # ages 12, 8, 3, 15 at 2017-12-31
    for v_index, (v_code, v_name) in enumerate(villages):
        place = {"township_code": code, "township": town, "village_code": v_code, "village": v_name}
        for i, birth in enumerate(births):
            rows.append({**place, "birth_date": birth, "sex": "男" if i % 2 else "女", **_CHILD_FACTS[i]})
        rows.append({**place, "birth_date": "1980-02-02", "sex": "女"})  # a woman, 37
        rows.append({**place, "birth_date": "1985-11-11", "sex": "女"})
        for birth, sex in [("1940-05-05", "男"), ("1930-08-08", "女"), ("1950-12-12", "男")][: 3 - v_index]:
            rows.append({**place, "birth_date": birth, "sex": sex})  # elders 77, 87, 67
    return rows


def build_run(towns: Sequence[str] = tuple(TOWNSHIPS)) -> dict[str, Any]:
    """The cleaned frames of a synthetic run: people, issues, rows, pending and the summary."""
    specs = [(town, r) for town in towns for r in _person_rows(town)]
    people = person_frame([r for _, r in specs])
    file_of = {t: f"{t}.xlsx" for t in towns}
    line = {t: 3 for t in towns}
    keys, files, lines = [], [], []
    for town, _ in specs:
        keys.append(f"{file_of[town]}|Sheet1|{line[town]}")
        files.append(file_of[town])
        lines.append(line[town])
        line[town] += 1
    people = people.assign(row_key=keys, source_file=files, source_row=lines, source_sheet="Sheet1")
    people["id_number"] = [
        make_id(b.date(), s, 100 + i)
        for i, (b, s) in enumerate(zip(people["birth_date"], people["sex"], strict=True))
    ]
    people["category_declared"] = people["category"]

    rows = people[
        [
            "row_key",
            "source_file",
            "source_sheet",
            "source_row",
            "township_code",
            "township",
            "village",
            "category",
        ]
    ].assign(fate="verified", reason=pd.NA, sheet_index=0)
    issue_rows: list[dict[str, Any]] = []
    extra_rows: list[dict[str, Any]] = []
    pending_rows: list[dict[str, Any]] = []
    for town in towns:
        code, villages = TOWNSHIPS[town]
        f = file_of[town]
        first = people[people["township"] == town].iloc[0]
        issue_rows.append(
            _issue(
                first["row_key"], f, int(first["source_row"]), "birth_date_mismatch", "birth_date", "2005.3.2"
            )
        )
        n = line[town]
        # a pending row (bad check digit), a duplicate, a blank row and a total row
        pend_key = f"{f}|Sheet1|{n}"
        issue_rows.append(_issue(pend_key, f, n, "id_checksum", "id_number", "510923200501010011"))
        issue_rows.append(_issue(pend_key, f, n, "phone_invalid", "phone", "123"))
        extra_rows.append(_row(pend_key, f, n, "pending", code, town, villages[0][1], "id_checksum"))
        pending_rows.append(
            {
                "row_key": pend_key,
                "name": "待核实甲",
                "id_number": pd.NA,
                "village": villages[0][1],
                "reason": "id_checksum",
            }
        )
        dup_key = f"{f}|Sheet1|{n + 1}"
        issue_rows.append(_issue(dup_key, f, n + 1, "duplicate", "id_number", first["id_number"]))
        extra_rows.append(_row(dup_key, f, n + 1, "duplicate", code, town, first["village"], "duplicate"))
        for k, rule in ((n + 2, "skip_blank"), (n + 3, "skip_total")):
            issue_rows.append(_issue(f"{f}|Sheet1|{k}", f, k, rule, None, None))
            extra_rows.append(_row(f"{f}|Sheet1|{k}", f, k, "skipped", pd.NA, pd.NA, pd.NA, rule))
        issue_rows.append(_issue(pd.NA, f, None, "column_missing", "phone", None))
    rows = pd.concat([rows, pd.DataFrame(extra_rows)], ignore_index=True)
    issues = Issues.validate(pd.DataFrame(issue_rows))
    # The cleaner fills a skipped row's township with its file's main township.
    rows["township"] = rows["township"].fillna(rows["source_file"].map(file_of_inverse(file_of)))
    fate = rows["fate"].value_counts()
    summary = {
        "reference_date": "2017-12-31",
        "rows_in": len(rows),
        "people": len(people),
        "pending": int(fate.get("pending", 0)),
        "duplicates_merged": int(fate.get("duplicate", 0)),
        "skipped": int(fate.get("skipped", 0)),
        "by_category": people["category"].value_counts().to_dict(),
        "by_township": people.groupby("township").size().to_dict(),
    }
    return {
        "people": people,
        "issues": issues,
        "rows": rows,
        "pending": pd.DataFrame(pending_rows),
        "summary": summary,
    }


def file_of_inverse(file_of: dict[str, str]) -> dict[str, str]:
    return {f: t for t, f in file_of.items()}


def _issue(
    key: Any, file: str, row: int | None, rule: str, field: str | None, value: str | None
) -> dict[str, Any]:
    r = RULES[rule]
    return {
        "row_key": key,
        "source_file": file,
        "source_sheet": "Sheet1",
        "source_row": row,
        "field": field,
        "rule": rule,
        "value": value,
        "severity": r.severity,
        "message": r.message.format(value=value or "", field=field or "", detail=""),
    }


def _row(
    key: str, file: str, line: int, fate: str, code: Any, town: Any, village: Any, reason: str
) -> dict[str, Any]:
    return {
        "row_key": key,
        "source_file": file,
        "source_sheet": "Sheet1",
        "source_row": line,
        "sheet_index": 0,
        "fate": fate,
        "township_code": code,
        "township": town,
        "village": village,
        "category": pd.NA,
        "reason": reason,
    }


def write_clean(run: dict[str, Any], folder: Path) -> Path:
    """Write the frames as ``liushou clean`` does (people/issues/rows/pending parquet, summary.json)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("people", "issues", "rows", "pending"):
        run[name].to_parquet(folder / f"{name}.parquet", index=False)
    (folder / "summary.json").write_text(
        json.dumps(run["summary"], ensure_ascii=False, default=str), encoding="utf-8"
    )
    mark_complete(folder)
    return folder


def write_inputs(run: dict[str, Any], folder: Path) -> Path:
    """Put a run's frames in an inputs folder, for :func:`fake_clean` to "clean"."""
    if folder.exists():
        shutil.rmtree(folder)
    return write_clean(run, folder)


def fake_clean(
    inputs: Sequence[Path],
    out: Path,
    reference_date: dt.date | None = None,
    decisions: Path | None = None,
    codebooks: Sequence[Path] = (),
) -> None:
    """A stand-in for ``pipeline.clean_to_dir``: copies the prepared frames from the inputs folder."""
    out.mkdir(parents=True, exist_ok=True)
    for source in inputs:
        for f in Path(source).iterdir():
            shutil.copy2(f, out / f.name)


STUB_PARAMETERS = 'township = ""\nrun_dir = "."\nout_dir = "."'


def stub_templates(
    folder: Path, cell: str, *, parameters: str = STUB_PARAMETERS, heading: bool = False
) -> Path:
    """Stand-in workbook templates (investigation, assistance, county) that run ``cell`` after setting ``KIND``:
    they start in a second (no pandas), so a test of the runner does not wait for real workbooks."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ("investigation", "assistance", "county"):
        params = nbformat.v4.new_code_cell(parameters)
        params.metadata["tags"] = ["parameters"]
        nb = nbformat.v4.new_notebook()
        nb.cells = [params, nbformat.v4.new_code_cell(f'KIND = "{kind}"'), nbformat.v4.new_code_cell(cell)]
        if heading:
            nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"# {kind}"))
        nb.metadata["kernelspec"] = {
            "name": "liushou",
            "display_name": "Python (liushou)",
            "language": "python",
        }
        nbformat.write(nb, str(folder / f"{kind}.ipynb"))
    return folder
