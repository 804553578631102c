"""``RUN/rules/``: each rule's full output written as parquet (:mod:`liushou_core.rules.outputs` builds them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from liushou_core.atomic import write_json, write_parquet
from liushou_core.parameters import ParameterSet
from liushou_core.rules.outputs import PROBLEMS_FILE, township_rule_outputs
from liushou_core.runfolder import rules_dir


def write_rule_outputs(
    people: pd.DataFrame,
    run_dir: Path,
    *,
    month: str,
    term: str | dt.date,
    on: dt.date,
    params: ParameterSet | None = None,
) -> dict[str, Path]:
    """Write each rule's output as ``RUN/rules/<rule>.parquet`` (atomically); returns stem → path. Townships
    left out (see :func:`township_rule_outputs`) are listed with the reason in ``RUN/rules/problems.json``,
    which exists only when some township was left out."""
    folder = rules_dir(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    frames, failed = township_rule_outputs(people, month=month, term=term, on=on, params=params)
    written = {}
    for stem, frame in frames.items():
        path = folder / f"{stem}.parquet"
        write_parquet(frame, path)
        written[stem] = path
    problems = folder / PROBLEMS_FILE
    if failed:
        write_json({"townships_left_out": failed}, problems)
        written["problems"] = problems
    else:
        problems.unlink(missing_ok=True)
    return written


__all__ = ["write_rule_outputs"]
