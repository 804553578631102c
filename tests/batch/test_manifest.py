"""The run's record: checksums, versions, statuses, and a safe reading of a previous run's record."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from liushou_core.batch.manifest import (
    FAILED,
    OK,
    Manifest,
    NotebookRecord,
    TownshipRecord,
    file_records,
    fingerprint,
    package_versions,
    read_manifest,
    relative,
    sha256_file,
    write_manifest,
)


def test_a_files_checksum_is_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "蓬莱镇.xlsx"
    path.write_bytes(b"\x00" * 3_000_000 + "摸排".encode())
    assert sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_fingerprint_does_not_depend_on_key_order() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1})
    assert fingerprint({"a": 1}) != fingerprint({"a": 2})


def test_file_records_list_folders_recursively_without_temporary_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.csv").write_text("x", encoding="utf-8")
    (tmp_path / "sub" / "b.xlsx").write_text("y", encoding="utf-8")
    (tmp_path / ".b.abc.tmp.xlsx").write_text("half", encoding="utf-8")
    (tmp_path / "~$b.xlsx").write_text("lock", encoding="utf-8")
    records = file_records([tmp_path], tmp_path)
    assert [r["path"] for r in records] == ["a.csv", "sub/b.xlsx"]
    assert records[0]["bytes"] == 1
    absolute = file_records([tmp_path / "a.csv"])
    assert absolute[0]["path"] == (tmp_path / "a.csv").resolve().as_posix()


def test_paths_outside_the_run_folder_stay_absolute(tmp_path: Path) -> None:
    assert relative(tmp_path / "run" / "county" / "county.html", tmp_path / "run") == "county/county.html"
    assert (
        relative(tmp_path / "inputs" / "a.csv", tmp_path / "run")
        == (tmp_path / "inputs" / "a.csv").as_posix()
    )


def test_versions_name_python_and_the_libraries_that_shape_the_numbers() -> None:
    versions = package_versions()
    assert {"python", "liushou", "pandas", "papermill", "matplotlib", "pylopdf-fonts-zh-cn"} <= set(versions)


def _manifest() -> Manifest:
    m = Manifest(started="2018-06-04T09:00:00+08:00", parameters={"county": "大英县"})
    m.townships["蓬莱镇"] = TownshipRecord(
        name="蓬莱镇",
        folder="townships/蓬莱镇",
        notebooks={
            "investigation": NotebookRecord(kind="investigation", status=OK, duration_s=1.5,
                                            artifacts=["townships/蓬莱镇/investigation.html"]),
            "assistance": NotebookRecord(kind="assistance", status=FAILED, duration_s=2.0,
                                         error={"ename": "ValueError", "cell_index": 3}),
        },
    )  # fmt: skip
    m.county = NotebookRecord(kind="county", status=OK)
    return m


def test_a_township_fails_when_any_of_its_notebooks_fails() -> None:
    m = _manifest()
    assert m.townships["蓬莱镇"].status == FAILED
    assert m.townships["蓬莱镇"].duration_s == 3.5
    assert [(place, rec.kind) for place, rec in m.failed()] == [("蓬莱镇", "assistance")]


def test_a_run_is_running_until_finished_then_failed_if_anything_failed() -> None:
    m = _manifest()
    assert m.status == "running"
    m.finished = "2018-06-04T09:05:00+08:00"
    assert m.status == FAILED
    m.townships["蓬莱镇"].notebooks["assistance"].status = OK
    assert m.status == OK


def test_the_manifest_round_trips_through_json(tmp_path: Path) -> None:
    m = _manifest()
    m.finished = "2018-06-04T09:05:00+08:00"
    path = write_manifest(m, tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["townships"]["蓬莱镇"]["status"] == FAILED
    assert data["townships"]["蓬莱镇"]["notebooks"]["assistance"]["error"]["cell_index"] == 3
    again = read_manifest(tmp_path)
    assert again is not None
    assert again.to_dict() == m.to_dict()


def test_a_damaged_or_foreign_manifest_is_ignored(tmp_path: Path) -> None:
    assert read_manifest(tmp_path) is None
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    assert read_manifest(tmp_path) is None
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 99}), encoding="utf-8")
    assert read_manifest(tmp_path) is None
