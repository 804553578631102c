"""The cleaning orchestrator: intake → corrections → normalisation → classification → duplicates → register,
the returns cleaned a part at a time (:func:`stream_to_dir`, what ``liushou clean`` and ``liushou run`` use).

Cleaning all the rows at once is the same orchestration with one part (:func:`build_register`, in memory).
It holds only one part (about :data:`PART_ROWS` rows) at a time plus a few small columns of every row, and
writes the files row for row in the order of a cleaning of every row at once:

1. each return is read, corrected, normalised and classified on its own (:func:`~liushou_core.cleaning.stages.
   clean_part`); its issues are rendered; its rows and cleaned values are put aside on disk
   (``OUT/.parts/``), and only the columns the duplicate search needs stay in memory;
2. the duplicates are found across all the returns at once (:func:`~liushou_core.cleaning.stages.find_duplicates`);
3. each return is taken back, its fates settled, and its rows, register and pending rows appended to the
   output files (:class:`pyarrow.parquet.ParquetWriter`, one row group per return);
4. the issues are written in the order of a cleaning of every row at once (block by block), then the problem lists
   from the few rows they show, then ``summary.json`` from the tallies.

The issues themselves are put aside too (as Arrow files, read back one block at a time in step 4). The last
file written is the completeness marker (:func:`liushou_core.atomic.mark_complete`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from liushou_core.atomic import (
    COMPLETE_MARKER,
    atomic_path,
    mark_complete,
    unmark_complete,
    write_json,
    write_parquet,
)
from liushou_core.cleaning.classify import Thresholds
from liushou_core.cleaning.corrections import CorrectionLog, apply_corrections, read_decisions, row_answers
from liushou_core.cleaning.intake import IntakeResult, read_returns
from liushou_core.cleaning.intake.sources import find_sources
from liushou_core.cleaning.normalise import POSITION
from liushou_core.cleaning.problemlist import write_problem_lists
from liushou_core.cleaning.result import Register, Tally, summary_figures
from liushou_core.cleaning.stages import (
    CANDIDATE_COLUMNS,
    ERRORS,
    PROVENANCE,
    Part,
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
from liushou_core.values.codebook import Codebook, load_codebook

SPILL_DIR = ".parts"
#: Every file and folder :func:`stream_to_dir` may write (a new cleaning replaces all of them).
OUTPUTS = (
    *(
        f"{t}.parquet"
        for t in ("people", "pending", "rows", "issues", "files", "corrections_log", "decisions_log")
    ),
    "summary.json",
    "问题数据清单",
    COMPLETE_MARKER,
    SPILL_DIR,
)
#: Returns are read one at a time and cleaned in parts of about this many rows (a few hundred MB of memory).
PART_ROWS = 250_000


@dataclass(frozen=True)
class Streamed:
    """What :func:`stream_to_dir` wrote: the summary, the files table and intake's own issues."""

    out: Path
    summary: dict[str, Any]
    files: pd.DataFrame
    file_issues: pd.DataFrame  # intake's file and sheet issues (what ``input_problems`` reads)

    def read(self, table: str) -> pd.DataFrame:
        """One of the tables written (``people``, ``pending``, ``rows``, ``issues``, ``files``…)."""
        return pd.read_parquet(self.out / f"{table}.parquet")


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


# --------------------------------------------------------------------------------------------- intake


def check_inputs(inputs: Sequence[Path]) -> None:
    """Refuse, before anything is written, a cleaning none of whose inputs exists (a misspelt folder), and
    an input that is neither a file nor a folder (a named pipe would wait for a writer for ever)."""
    for p in inputs:
        if Path(p).exists() and not (Path(p).is_file() or Path(p).is_dir()):
            raise ConfigError(
                f"输入“{p}”不是普通文件或文件夹（可能是管道或设备），无法作为报表读取；请换成报表文件"
            )
    if not any(Path(p).exists() for p in inputs):
        named = "、".join(f"“{p}”" for p in inputs)
        raise ConfigError(f"找不到输入 {named}，请检查路径的拼写；输出文件夹未作任何改动")


def read_by_file(inputs: Sequence[Path | str], codebook: Codebook) -> Iterator[IntakeResult]:
    """:func:`~liushou_core.cleaning.intake.read_returns`, one return at a time: the same rows, files and issues.

    First the issues about the folders given (empty, or that cannot be opened), then one result per file,
    in source order. Each file is read by ``read_returns`` itself; a file found in a sub-folder (or whose
    name clashes with another's) gets its ``source_file`` — and the row keys and messages that quote it —
    as reading the whole folder would give it.
    """
    found = find_sources(inputs)
    folders = [*found.empty_folders, *getattr(found, "closed_folders", [])]
    if folders:
        yield read_returns(folders, codebook)
    for source in found.sources:
        result = read_returns([source.path], codebook)
        name = source.path.name
        if source.source_file != name:
            result = _renamed(result, name, source.source_file)
        yield result


def _renamed(result: IntakeResult, old: str, new: str) -> IntakeResult:
    rows = result.rows.copy()
    rows["source_file"] = pd.Series(new, index=rows.index, dtype="string")
    rows["row_key"] = (new + "|" + rows["source_sheet"] + "|" + rows["source_row"].astype("string")).astype(
        "string"
    )
    files = result.files.copy()
    files["source_file"] = new
    files["message"] = files["message"].str.replace(f"“{old}”", f"“{new}”", regex=False)
    issues = result.issues.copy()
    issues["source_file"] = issues["source_file"].where(issues["source_file"].ne(old), new)
    issues["row_key"] = issues["row_key"].str.replace(f"{old}|", f"{new}|", n=1, regex=False)
    issues["message"] = issues["message"].str.replace(f"“{old}”", f"“{new}”", regex=False)
    return IntakeResult(rows=rows, files=files, issues=issues)


# ----------------------------------------------------------------------------------------- the stream


class _Output(Protocol):
    """Where one output table goes, part by part: a parquet file, or a frame in memory."""

    def write(self, frame: pd.DataFrame) -> None: ...
    def write_table(self, table: pa.Table) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


class _Writer:
    """Append frames to one parquet file, written atomically; the schema is the first table's."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._context: Any = None
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def write(self, frame: pd.DataFrame) -> None:
        self.write_table(pa.Table.from_pandas(frame, preserve_index=False))

    def write_table(self, table: pa.Table) -> None:
        if self._writer is None:
            self._context = atomic_path(self.path)
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self._context.__enter__(), self._schema)
        assert self._schema is not None
        self._writer.write_table(table if table.schema.equals(self._schema) else table.cast(self._schema))

    def close(self) -> None:
        """Finish the file (something, if only the columns, has been written)."""
        assert self._writer is not None
        self._writer.close()
        self._context.__exit__(None, None, None)

    def abort(self) -> None:
        """Drop the half-written file."""
        if self._writer is not None:
            self._writer.close()
            self._context.__exit__(RuntimeError, RuntimeError("aborted"), None)


class _Collector:
    """Keep the frames of one output table in memory (:func:`build_register`)."""

    def __init__(self) -> None:
        self.frames: list[pd.DataFrame] = []

    def write(self, frame: pd.DataFrame) -> None:
        self.frames.append(frame)

    def write_table(self, table: pa.Table) -> None:
        self.frames.append(table.to_pandas())

    def close(self) -> None:
        pass

    def abort(self) -> None:
        self.frames.clear()

    def frame(self) -> pd.DataFrame:
        return pd.concat(self.frames, ignore_index=True)


@dataclass
class _Kept:
    """What stays in memory of one part between the two passes; its rendered issues are on disk (``issues``,
    an Arrow file read back block by block): at 10 million rows they would take gigabytes."""

    index: int
    issues: Path  # one record batch per section: the skipped rows', then the findings block by block
    sections: list[int]  # the rows of each
    severities: pd.DataFrame  # the issues' ``severity`` (for the tally)
    shown_keys: pa.Array  # the rows with an error or a warning (the problem lists show them)


@dataclass(frozen=True)
class _Cleaned:
    """What the orchestrator returns besides the tables it wrote: the figures and the small tables."""

    tally: Tally
    files: pd.DataFrame
    intake_issues: pd.DataFrame  # intake's file and sheet issues
    corrections_log: pd.DataFrame
    decisions_log: pd.DataFrame
    shown: Register  # the few rows, people and issues the problem lists show


def stream_to_dir(
    inputs: Sequence[Path],
    out: Path,
    reference_date: date | None = None,
    decisions: Path | None = None,
    codebooks: Sequence[Path] = (),
    *,
    part_rows: int = PART_ROWS,
) -> Streamed:
    """Read the returns, clean them a part at a time and write every output to ``out``, the completeness
    marker last (``out`` should be a fresh folder: :func:`liushou_core.cleaning.pipeline.clean_to_dir`)."""
    check_inputs(inputs)
    cb = load_codebook(codebooks)
    ref = reference_date or default_reference_date()
    dec = read_decisions(decisions, cb) if decisions is not None else None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    unmark_complete(out)
    outputs = {name: _Writer(out / f"{name}.parquet") for name in ("people", "pending", "rows", "issues")}
    with _spill_folder(out / SPILL_DIR) as spill:
        c = _clean(read_by_file(inputs, cb), outputs, spill, ref, cb, dec, part_rows)
    write_parquet(
        c.files.astype({col: "string" for col in c.files.columns if c.files[col].dtype == object}),
        out / "files.parquet",
    )
    if len(c.corrections_log):
        write_parquet(c.corrections_log, out / "corrections_log.parquet")
    if len(c.decisions_log):
        write_parquet(c.decisions_log, out / "decisions_log.parquet")
    write_problem_lists(c.shown, out / "问题数据清单")
    summary = summary_figures(
        c.tally,
        reference_date=ref,
        files=c.files,
        issues=c.intake_issues,
        corrections_log=c.corrections_log,
        decisions_log=c.decisions_log,
    )
    write_json(summary, out / "summary.json")
    mark_complete(out)
    return Streamed(out=out, summary=summary, files=c.files, file_issues=c.intake_issues)


def build_register(
    intake: IntakeResult,
    reference_date: date,
    *,
    codebook: Codebook | None = None,
    decisions: pd.DataFrame | None = None,
    thresholds: Thresholds | None = None,
) -> Register:
    """Clean intake's rows as one part, in memory: the register, every row's fate and the issues."""
    cb = codebook or load_codebook()
    outputs = {name: _Collector() for name in ("people", "pending", "rows", "issues", "raw")}
    with tempfile.TemporaryDirectory(prefix="liushou-clean-") as tmp, _spill_folder(Path(tmp)) as spill:
        c = _clean([intake], outputs, spill, reference_date, cb, decisions, None, thresholds)
    return Register(
        rows=outputs["rows"].frame(),
        raw=outputs["raw"].frame(),
        people=outputs["people"].frame(),
        pending=outputs["pending"].frame(),
        issues=Issues.validate(outputs["issues"].frame()),
        files=c.files,
        corrections_log=c.corrections_log,
        decisions_log=c.decisions_log,
        reference_date=reference_date,
    )


@contextmanager
def _spill_folder(spill: Path) -> Iterator[Path]:
    shutil.rmtree(spill, ignore_errors=True)
    spill.mkdir(parents=True)
    try:
        yield spill
    finally:
        shutil.rmtree(spill, ignore_errors=True)


def _clean(
    intakes: Iterable[IntakeResult],
    outputs: Mapping[str, _Output],
    spill: Path,
    ref: date,
    cb: Codebook,
    dec: pd.DataFrame | None,
    part_rows: int | None,
    thresholds: Thresholds | None = None,
) -> _Cleaned:
    """The orchestration: ``outputs`` receive rows, people, pending and issues (and ``raw``, if there);
    ``part_rows=None`` cleans every row as one part."""
    thresholds = thresholds or Thresholds.at(ref)
    nothing = read_returns([], cb)
    corrections = dec if dec is not None and row_answers(dec).any() else None
    files: list[pd.DataFrame] = []
    file_issues: list[pd.DataFrame] = []
    ids: list[pa.Array] = []  # every duplicate candidate's ID, part by part: the narrow key of the search
    correction_logs: list[pd.DataFrame] = []
    kept: list[_Kept] = []

    # 1. Each part on its own: corrections, cleaning, its issues; its rows put aside.
    def clean(rows: pd.DataFrame) -> None:
        if corrections is not None:
            mine = corrections[corrections["row_key"].isin(set(rows["row_key"]))]
            if row_answers(mine).any():
                rows, log = apply_corrections(rows, mine)
                correction_logs.append(log)
        part = clean_part(rows, ref, cb, thresholds)
        k = len(kept)
        candidates = duplicate_candidates(part).assign(part=k)
        ids.append(_text(candidates["id_number"]))
        candidates.to_parquet(spill / f"{k}.candidates.parquet", index=False)
        del candidates
        skip_found, skip_where = skip_block(part.rows)
        found, where = part_findings(part)
        issues = pd.concat([render(skip_found, skip_where, cb), render(found, where, cb)], ignore_index=True)
        table = pa.Table.from_pandas(Issues.validate(issues), preserve_index=False)
        sizes = [len(skip_found), *(len(b) for b in part.blocks)]
        _write_sections(table, sizes, spill / f"{k}.issues.arrow")
        flagged = pc.is_in(table.column("severity"), value_set=pa.array(["error", "warning"]))
        shown_keys = pc.drop_null(table.column("row_key").filter(flagged)).combine_chunks()
        severities = table.select(["severity"]).to_pandas()
        kept.append(_Kept(k, spill / f"{k}.issues.arrow", sizes, severities, shown_keys))
        del table
        errors = pd.concat([b.loc[b["rule"].isin(ERRORS), [POSITION, "rule"]] for b in part.blocks])
        part.rows.to_parquet(spill / f"{k}.rows.parquet", index=False)
        part.cleaned.to_parquet(spill / f"{k}.cleaned.parquet", index=False)
        errors.to_parquet(spill / f"{k}.errors.parquet", index=False)

    # Small returns are cleaned together (a part of about PART_ROWS rows): a part's fixed costs are paid
    # once, and a county's returns make one part.
    waiting: list[pd.DataFrame] = []
    for intake in intakes:
        files.append(intake.files)
        file_issues.append(intake.issues[~intake.issues["rule"].isin(SKIP_RULES)])
        if len(intake.rows):
            waiting.append(intake.rows)
        if part_rows is not None and sum(len(w) for w in waiting) >= part_rows:
            clean(pd.concat(waiting, ignore_index=True))
            waiting = []
    if waiting or not kept:  # no row at all is one empty part: every output gets its columns
        clean(pd.concat(waiting, ignore_index=True) if waiting else nothing.rows)
    del waiting

    # 2. Duplicates across all the returns.
    dd = dec.loc[dec["decision"].notna()] if dec is not None else None
    involved = _involved(ids, len(kept), spill, dd)
    ids.clear()
    dups, decisions_log = find_duplicates(involved, dd)
    dup_ids = _values(dups["id_number"])
    group_keys = involved.loc[_among(involved["id_number"], dup_ids), "row_key"]
    del involved
    dup_issues = Issues.validate(render(duplicate_block(dups), dups[PROVENANCE], cb))

    # The problem lists show the rows with an error or a warning, and every row of a duplicate group.
    shown_keys = [_values(group_keys)]
    shown_keys += [kp.shown_keys for kp in kept]
    shown = pc.unique(pa.concat_arrays([a.cast(pa.large_string()) for a in shown_keys]))

    # 3. Each part again: fates, then its rows, register and pending rows appended to the outputs.
    tally = Tally()
    context: dict[str, list[pd.DataFrame]] = {"rows": [], "raw": [], "people": [], "pending": []}
    try:
        for kp in kept:
            rows = pd.read_parquet(spill / f"{kp.index}.rows.parquet")
            cleaned = pd.read_parquet(spill / f"{kp.index}.cleaned.parquet")
            errors = pd.read_parquet(spill / f"{kp.index}.errors.parquet")
            data_pos = np.flatnonzero(rows["skip_rule"].isna().to_numpy())
            part = Part(rows=rows, cleaned=cleaned, data_pos=data_pos, blocks=[errors])
            settled = settle(part, dups.loc[dups["part"].eq(kp.index), POSITION].to_numpy())
            outputs["rows"].write(settled.rows)
            outputs["people"].write(settled.people)
            outputs["pending"].write(settled.pending)
            if "raw" in outputs:
                outputs["raw"].write(rows)
            tally = tally + Tally.of(settled.rows, settled.people, kp.severities)
            context["raw"].append(rows[_among(rows["row_key"], shown)])
            context["rows"].append(settled.rows[_among(settled.rows["row_key"], shown)])
            context["people"].append(settled.people[_among(settled.people["id_number"], dup_ids)])
            context["pending"].append(settled.pending[_among(settled.pending["id_number"], dup_ids)])
            del rows, cleaned, part, settled

        # 4. The issues as if cleaned at once: intake's, the skipped rows, the findings block by block,
        # the duplicates.
        files_frame = pd.concat(files, ignore_index=True) if files else nothing.files
        intake_issues = Issues.validate(
            pd.concat(file_issues, ignore_index=True) if file_issues else nothing.issues
        )
        head = pa.Table.from_pandas(intake_issues[ISSUE_COLUMNS], preserve_index=False)
        tail = pa.Table.from_pandas(dup_issues, preserve_index=False)
        tally = tally + Tally(severities=_severities(intake_issues) + _severities(dup_issues))
        listed: list[pd.DataFrame] = []
        # Block by block across the parts (one block in memory at a time), so one write per block.
        for table in _whole_order(kept, head, tail):
            outputs["issues"].write_table(table)
            # The problem lists show errors, warnings and duplicates: only those become a frame.
            shown_rule = pc.or_(
                pc.is_in(table.column("severity"), value_set=pa.array(["error", "warning"])),
                pc.equal(table.column("rule"), "duplicate"),
            )
            listed.append(table.filter(pc.fill_null(shown_rule, False)).to_pandas())
            del table
        for output in outputs.values():
            output.close()
    except BaseException:
        for output in outputs.values():
            output.abort()
        raise

    corrections_log = _corrections_log(corrections, correction_logs, nothing.rows)
    shown_register = Register(
        rows=_concat(context["rows"]),
        raw=_concat(context["raw"]),
        people=_concat(context["people"]),
        pending=_concat(context["pending"]),
        issues=_concat(listed),
        files=files_frame,
        corrections_log=corrections_log,
        decisions_log=decisions_log,
        reference_date=ref,
    )
    return _Cleaned(tally, files_frame, intake_issues, corrections_log, decisions_log, shown_register)


def _whole_order(kept: list[_Kept], head: pa.Table, tail: pa.Table) -> Iterator[pa.Table]:
    """The issues tables in the order of a cleaning of all the rows at once (one table per block)."""
    yield head
    for s in range(len(kept[0].sections) if kept else 1):
        pieces = [head.slice(0, 0)]
        for k in kept:
            # each file opened and closed again (a file left open could not be removed on Windows)
            with pa.OSFile(str(k.issues)) as file:
                pieces.append(pa.Table.from_batches([pa.ipc.open_file(file).get_batch(s)]))
        yield pa.concat_tables(pieces[1:] if kept else pieces)
    yield tail


def _write_sections(table: pa.Table, sizes: list[int], path: Path) -> None:
    """Write ``table`` as an Arrow file of one record batch per section of ``sizes`` rows (one can be read
    back without the others)."""
    with pa.ipc.new_file(str(path), table.schema) as file:
        offset = 0
        for n in sizes:
            piece = [column.combine_chunks() for column in table.slice(offset, n).columns]
            file.write_batch(pa.RecordBatch.from_arrays(piece, schema=table.schema))
            offset += n


def _involved(ids: list[pa.Array], parts: int, spill: Path, decisions: pd.DataFrame | None) -> pd.DataFrame:
    """The duplicate candidates :func:`find_duplicates` can affect — those whose ID another candidate has too,
    and those a decision names — each with its index among all the candidates, in source order.

    Only the IDs of every candidate are in memory (``ids``); each part's other candidate columns are read
    back from the spill folder and just these rows kept: at 10 million rows the whole candidate frame would
    take gigabytes. ``find_duplicates`` of these rows is that of all of them (it looks at no other row).
    """
    counts = pc.value_counts(pa.chunked_array(ids, type=pa.large_string()))
    repeated = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    decided = _values(decisions["row_key"].dropna()) if decisions is not None else None
    frames = [_no_candidates()]
    offset = 0
    for k in range(parts):
        c = pd.read_parquet(spill / f"{k}.candidates.parquet")
        keep = _among(c["id_number"], repeated)
        if decided is not None:
            keep |= _among(c["row_key"], decided)
        if keep.any():
            frames.append(c[keep].set_axis(pd.Index(np.flatnonzero(keep) + offset)))
        offset += len(c)
    return pd.concat(frames)


def _no_candidates() -> pd.DataFrame:
    types = {
        "has_error": "bool",
        "sheet_index": "int64",
        "source_row": "int64",
        POSITION: "int64",
        "part": "int64",
    }
    return pd.DataFrame(
        {c: pd.Series(dtype=types.get(c, "string")) for c in [*CANDIDATE_COLUMNS, POSITION, "part"]}
    )


def _text(column: pd.Series) -> pa.Array:
    """A text column as an Arrow array."""
    return pa.array(column.astype("string").array).cast(pa.large_string())


def _values(column: pd.Series) -> pa.Array:
    """A text column's distinct values as an Arrow array (a value set for :func:`_among`)."""
    return pc.unique(_text(column))


def _among(column: pd.Series, values: pa.Array) -> np.ndarray:
    """Which cells of a text column are among ``values`` (Arrow's hash lookup; ``Series.isin`` would
    rebuild a Python list of the values on every call)."""
    return np.asarray(
        pc.fill_null(pc.is_in(_text(column), value_set=values), False).to_numpy(zero_copy_only=False),
        dtype=bool,
    )


def _severities(issues: pd.DataFrame) -> Counter[str]:
    return Counter({str(k): int(v) for k, v in issues["severity"].value_counts().items()})


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames with rows, one after another; the first (empty) frame if none has any."""
    full = [f for f in frames if len(f)]
    return pd.concat(full, ignore_index=True) if full else frames[0].iloc[:0]


def _corrections_log(
    corrections: pd.DataFrame | None, logs: list[pd.DataFrame], no_rows: pd.DataFrame
) -> pd.DataFrame:
    """The corrections log of the whole run, in the order of the decisions file (as one pass would log it)."""
    if corrections is None:
        return pd.DataFrame({c: pd.Series(dtype="string") for c in ["row_key", "status", "message"]})
    done = pd.concat(logs, ignore_index=True) if logs else None
    applied_keys = set(done["row_key"]) if done is not None else set()
    # Corrections of rows no return has (a changed return, a mistyped key) fail the same way on their own.
    rest = corrections[~corrections["row_key"].isin(applied_keys) & row_answers(corrections)]
    if len(rest):
        logs = [*logs, apply_corrections(no_rows, rest)[1]]
    log = pd.concat(logs, ignore_index=True)
    c = corrections.loc[row_answers(corrections), ["row_key", "field"]]
    c = c.drop_duplicates(["row_key", "field"], keep="last")
    order = pd.Series(range(len(c)), index=pd.MultiIndex.from_arrays([c["row_key"], c["field"].fillna("")]))
    at = order.reindex(pd.MultiIndex.from_arrays([log["row_key"], log["field"].fillna("")])).to_numpy()
    return CorrectionLog.validate(log.iloc[np.argsort(at, kind="stable")].reset_index(drop=True))
