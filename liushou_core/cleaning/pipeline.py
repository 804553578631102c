"""``liushou clean``: the command around the cleaning orchestrator (:mod:`liushou_core.cleaning.streaming`).

The outputs are complete or not there at all: the returns are cleaned into a fresh folder beside ``--out``,
which replaces ``--out``'s files only once every output — the completeness marker last
(:func:`liushou_core.atomic.mark_complete`) — is written. Nothing is written to ``--out`` before at least
one of the returns named has been read: a misspelt folder leaves the previous cleaning as it was.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from liushou_core.atomic import fresh_folder, replace_contents
from liushou_core.cleaning.corrections import refuse_decisions_inside, returned_lines, returned_records
from liushou_core.cleaning.intake.problems import blocking, format_problems, input_problems
from liushou_core.cleaning.streaming import OUTPUTS, Streamed, check_inputs, stream_to_dir
from liushou_core.errors import ConfigError
from liushou_core.runlock import folder_lock


def clean_to_dir(
    inputs: Sequence[Path],
    out: Path,
    reference_date: date | None = None,
    decisions: Path | None = None,
    codebooks: Sequence[Path] = (),
) -> Streamed:
    """Read the returns, clean them and put the outputs in ``out`` as a whole; return what was written."""
    check_inputs(inputs)
    out = Path(out)
    with fresh_folder(out) as fresh:
        streamed = stream_to_dir(inputs, fresh, reference_date, decisions, codebooks)
        if not len(streamed.files) or not streamed.files["status"].eq("ok").any():
            lines = "\n  ".join(format_problems(input_problems(streamed.file_issues, streamed.files)))
            raise ConfigError(f"没有读到任何一份报表，输出文件夹 {out} 未作任何改动：\n  {lines}".rstrip())
        replace_contents(fresh, out, outputs=OUTPUTS)
    return Streamed(out=out, summary=streamed.summary, files=streamed.files, file_issues=streamed.file_issues)


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
    check_inputs(inputs)
    refuse_decisions_inside(out, decisions)
    with folder_lock(out, "liushou clean"):
        result = clean_to_dir(inputs, out, reference_date, decisions, codebooks)
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
        f" + 重复合并 {s['duplicates_merged']} + 跳过 {s['skipped']}（非数据行、乡镇核实删除）",
        "按类别：" + "，".join(f"{k} {v}" for k, v in s["by_category"].items()) + f"，合计 {s['people']}",
        "按镇乡：" + "，".join(f"{k} {v}" for k, v in s["by_township"].items()),
    ]
    return "\n".join(lines)


__all__ = ["clean_command", "clean_to_dir", "format_summary"]
