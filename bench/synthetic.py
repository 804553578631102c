"""Synthetic counties for the benchmarks, generated once and kept under ``outputs/bench/`` (ignored by git).

Up to a million people a county is one call of :func:`liushou_core.sample.write_large_csv`. Beyond that
the generator would hold everything in memory at once, so a larger "county" is written as several
million-person counties with different seeds, one per sub-folder (``part-00/``, ``part-01/``…), which the
cleaner reads as one folder of returns (a province's returns arrive the same way: a folder per county).

Different seeds draw ID numbers independently, so two parts can give the same number to two different
people, and the cleaner would rightly merge them as duplicates. :func:`ensure_county` therefore removes,
from every part after the first, the rows of each person whose true ID (from the part's answer key) an
earlier part already used, records how many, and adds parts until there are ``n`` people: every person
is a different person.

    .venv/bin/python bench/synthetic.py 10000000     # prints the folder
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_core.paths import REPO_DIR

CACHE = REPO_DIR / "outputs" / "bench"
PART_PEOPLE = 1_000_000
MIN_PART = 2_000
SEED = 2018
MARKER = "_bench.json"


def county_dir(n: int, seed: int = SEED) -> Path:
    return CACHE / f"synthetic-{n}-seed{seed}"


def ensure_sample(seed: int = SEED) -> Path:
    """The sample county's returns (``liushou sample``), written once, for the benchmarks of every size."""
    from liushou_core.sample import write_sample

    folder = CACHE / f"sample-seed{seed}"
    marker = folder / MARKER
    if not marker.exists():
        write_sample(folder, seed=seed)
        marker.write_text("{}\n", encoding="utf-8")
    return folder


def ensure_county(n: int, seed: int = SEED, *, log: bool = True) -> tuple[Path, dict[str, object]]:
    """The folder of a synthetic county of ``n`` verified people (generated on first use) and its facts.

    Beyond a million people, parts are added until there are ``n`` different people: a part loses the
    people whose ID an earlier part used, so the last parts are small top-ups. A part that was finished
    (it has its own marker) is kept if generation is interrupted and started again.
    """
    from liushou_core.sample import write_large_csv

    folder = county_dir(n, seed)
    marker = folder / MARKER
    if marker.exists():
        return folder, json.loads(marker.read_text(encoding="utf-8"))
    start = time.perf_counter()
    if n <= PART_PEOPLE:
        shutil.rmtree(folder, ignore_errors=True)
        write_large_csv(folder, n=n, seed=seed)
        facts: dict[str, object] = {"people": n, "parts": 1, "removed_rows": 0, "removed_people": 0}
    else:
        seen: set[str] = set()
        people = removed_rows = removed_people = 0
        i = 0
        while people < n:
            part = folder / f"part-{i:02d}"
            done = part / "_part.json"
            if done.exists():
                record = json.loads(done.read_text(encoding="utf-8"))
                key = pd.read_csv(
                    part / "_answer_key.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
                )
                ids = set(key["id_number"]) - {""}
            else:
                shutil.rmtree(part, ignore_errors=True)
                # The generator needs a few thousand people to lay out every township's return; a top-up
                # that overshoots drops its surplus people again.
                size = max(min(PART_PEOPLE, n - people), MIN_PART)
                write_large_csv(part, n=size, seed=seed + i)
                rows, lost, ids = _drop_people(part, seen)
                surplus = max(people + size - lost - n, 0)
                if surplus:
                    _drop_people(part, set(), surplus=surplus)
                record = {"people": size - lost - surplus, "removed_rows": rows, "removed_people": lost}
                done.write_text(json.dumps(record) + "\n", encoding="utf-8")
            seen |= ids
            people += int(record["people"])
            removed_rows += int(record["removed_rows"])
            removed_people += int(record["removed_people"])
            if log:
                print(f"  part {i}: {record['people']:,} people kept, {record['removed_people']:,} removed; "
                      f"{people:,} of {n:,} ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)  # fmt: skip
            i += 1
        facts = {"people": people, "parts": i, "removed_rows": removed_rows, "removed_people": removed_people}
    facts["generate_s"] = round(time.perf_counter() - start, 1)
    marker.write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    return folder, facts


def _drop_people(part: Path, seen: set[str], surplus: int = 0) -> tuple[int, int, set[str]]:
    """Remove from a part's CSV returns every row of the people whose true ID an earlier part used (in
    ``seen``), or of the first ``surplus`` verified people. Returns the rows removed, the verified people
    among them, and the IDs of the part's remaining people."""
    key_path = part / "_answer_key.csv"
    key = pd.read_csv(key_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    ids = set(key["id_number"]) - {""}
    drop = seen & ids
    if surplus:
        verified = key.loc[key["fate"].eq("verified"), "id_number"]
        drop = set(verified[~verified.isin(seen)].iloc[:surplus])
    clash = key["id_number"].isin(drop)
    if clash.any():
        key["source_row"] = key["source_row"].astype(int)
        for source_file, rows in key[clash].groupby("source_file"):
            removed = np.sort(rows["source_row"].to_numpy())
            _drop_lines(part / str(source_file), set(removed.tolist()))
            # Later rows of the file move up: the key keeps naming the right lines.
            mine = key["source_file"].eq(source_file) & ~clash
            key.loc[mine, "source_row"] -= np.searchsorted(removed, key.loc[mine, "source_row"].to_numpy())
        key[~clash].to_csv(key_path, index=False, encoding="utf-8-sig")
    people = int((clash & key["fate"].eq("verified")).sum())
    return int(clash.sum()), people, ids - drop


def _drop_lines(path: Path, lines: set[int]) -> None:
    """Remove lines (1-based) from a CSV file whose records are one line each (the generator's are)."""
    data = path.read_bytes().split(b"\n")
    kept = [line for i, line in enumerate(data, start=1) if i not in lines]
    path.write_bytes(b"\n".join(kept))


if __name__ == "__main__":
    where, facts = ensure_county(int(sys.argv[1]))
    print(where, facts)
