"""Cleaning return by return writes exactly what cleaning everything at once writes."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pytest

from liushou_core.cleaning.intake import read_returns
from liushou_core.cleaning.pipeline import clean_to_dir
from liushou_core.cleaning.stages import find_duplicates
from liushou_core.cleaning.streaming import (
    _involved,
    _no_candidates,
    build_register,
    read_by_file,
    stream_to_dir,
)
from liushou_core.errors import ConfigError
from liushou_core.values.codebook import load_codebook
from liushou_core.values.idcard import make_id

REF = date(2017, 12, 31)
HEADER = ["镇（乡）", "村（社区）", "姓名", "性别", "公民身份号码", "人员类别", "出生日期", "父亲状况", "母亲状况",
          "丈夫状况", "子女状况", "外出时长（月）"]  # fmt: skip
CHILD = make_id("510923", date(2008, 5, 3), 123)
ELDER = make_id("512836", date(1935, 2, 28), 125)
WOMAN = make_id("510922", date(1980, 1, 1), 124)


def child(id_: str = CHILD, **kw: str) -> list[object]:
    row: list[object] = [
        "回马镇",
        "团结村",
        "张小明",
        "男",
        id_,
        "留守儿童",
        "2008.5.3",
        "外出务工",
        "外出务工",
        "",
        "",
        "",
    ]
    return _with(row, kw)


def elder(id_: str = ELDER, **kw: str) -> list[object]:
    row: list[object] = [
        "河边",
        "拦江",
        "王德全",
        "男",
        id_,
        "老人",
        "19350228",
        "",
        "",
        "",
        "全部外出",
        "24",
    ]
    return _with(row, kw)


def woman(id_: str = WOMAN, **kw: str) -> list[object]:
    row: list[object] = [
        "回马",
        "金竹",
        "李秀英",
        "女",
        id_,
        "留守妇女",
        "1980年1月1日",
        "",
        "",
        "外出务工",
        "",
        "12",
    ]
    return _with(row, kw)


def _with(row: list[object], kw: dict[str, str]) -> list[object]:
    for k, v in kw.items():
        row[HEADER.index(k)] = v
    return row


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(["大英县农村“三留守”人员摸排登记表"])
        ws.append(HEADER)
        for r in rows:
            ws.append(r)
    wb.save(path)


def write_csv(path: Path, rows: list[list[object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(HEADER), *(",".join(str(c) for c in r) for r in rows)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))


@pytest.fixture
def returns(tmp_path: Path) -> Path:
    """Returns in a folder and a sub-folder (a name that clashes with another), duplicates across files,
    errors, warnings, skipped rows, an unreadable file and an empty folder."""
    d = tmp_path / "returns"
    write_xlsx(
        d / "回马镇.xlsx",
        {
            "团结村": [child(), [], woman(), ["合计", None, "2人"], child(id_="5.10923E+17", 姓名="错号")],
            "金竹村": [woman(**{"村（社区）": "星花"}), elder(性别="女")],
        },
    )
    write_csv(d / "补报" / "回马镇.xlsx.csv", [elder(), child(出生日期="2008-13-40")])
    write_csv(d / "河边镇.csv", [elder(), woman(id_=make_id("510923", date(1990, 3, 9), 126)), child()])
    write_xlsx(d / "补报" / "河边镇.csv.xlsx", {"Sheet1": [child(人员类别="")]})
    (d / "补报" / "坏文件.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    (d / "空文件夹").mkdir()
    return d


def _outputs(folder: Path) -> dict[str, object]:
    out: dict[str, object] = {p.name: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    out["summary.json"] = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    for p in sorted((folder / "问题数据清单").glob("*.xlsx")):
        out[p.name] = pd.read_excel(p, sheet_name=None, header=None, engine="calamine")
    return out


def _assert_same(a: dict[str, object], b: dict[str, object]) -> None:
    assert a.keys() == b.keys()
    for name, x in a.items():
        y = b[name]
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, obj=name)  # type: ignore[arg-type]
        elif isinstance(x, dict) and name.endswith(".xlsx"):
            assert x.keys() == y.keys(), name  # type: ignore[union-attr]
            for sheet in x:
                pd.testing.assert_frame_equal(x[sheet], y[sheet], obj=f"{name}/{sheet}")  # type: ignore[index]
        else:
            assert x == y, name


@pytest.mark.parametrize("part_rows", [1, 1_000_000])  # every return on its own; all of them together
def test_cleaning_return_by_return_writes_the_same_files_as_cleaning_at_once(
    returns: Path, tmp_path: Path, part_rows: int
) -> None:
    clean_to_dir([returns], tmp_path / "at_once", REF)
    streamed = stream_to_dir([returns], tmp_path / "streamed", REF, part_rows=part_rows)
    _assert_same(_outputs(tmp_path / "at_once"), _outputs(tmp_path / "streamed"))
    assert streamed.summary["duplicates_merged"] >= 2  # the child and the elder are listed in several files
    assert not (tmp_path / "streamed" / ".parts").exists()


def test_corrections_and_duplicate_decisions_apply_the_same_way_when_streaming(
    returns: Path, tmp_path: Path
) -> None:
    decisions = tmp_path / "decisions.csv"
    pd.DataFrame(
        {
            "行标识": [
                "回马镇.xlsx|团结村|7",
                "河边镇.csv||4",
                "补报/回马镇.xlsx.csv||3",
                "没有这个文件.xlsx|表|9",
            ],
            "字段": ["公民身份号码", "", "出生日期", "姓名"],
            "原值": ["5.10923E+17", "", "2008-13-40", "某某"],
            "更正值": [make_id("510923", date(2009, 1, 1), 133), "", "2008-05-03", "某"],
            "查重决定": ["", "保留", "", ""],
        }
    ).to_csv(decisions, index=False, encoding="utf-8-sig")
    clean_to_dir([returns], tmp_path / "at_once", REF, decisions=decisions)
    stream_to_dir([returns], tmp_path / "streamed", REF, decisions=decisions, part_rows=1)
    a, b = _outputs(tmp_path / "at_once"), _outputs(tmp_path / "streamed")
    _assert_same(a, b)
    assert len(b["corrections_log.parquet"]) == 3  # type: ignore[arg-type]
    assert len(b["decisions_log.parquet"]) == 1  # type: ignore[arg-type]


def test_reading_file_by_file_gives_the_rows_and_issues_of_reading_the_folder(returns: Path) -> None:
    cb = load_codebook()
    whole = read_returns([returns], cb)
    parts = list(read_by_file([returns], cb))
    rows = pd.concat([p.rows for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(whole.rows, rows)
    pd.testing.assert_frame_equal(whole.files, pd.concat([p.files for p in parts], ignore_index=True))
    issues = pd.concat([p.issues for p in parts], ignore_index=True)
    pd.testing.assert_frame_equal(whole.issues.reset_index(drop=True), issues)


def test_a_folder_without_any_return_still_gets_every_output_but_clean_refuses_it(tmp_path: Path) -> None:
    (tmp_path / "nothing").mkdir()
    streamed = stream_to_dir([tmp_path / "nothing"], tmp_path / "streamed", REF)
    files = _outputs(tmp_path / "streamed")
    assert {"people.parquet", "pending.parquet", "rows.parquet", "issues.parquet", "summary.json"} <= set(
        files
    )
    assert len(streamed.read("people")) == 0 and "id_number" in streamed.read("people").columns
    with pytest.raises(ConfigError, match="没有读到任何一份报表"):
        clean_to_dir([tmp_path / "nothing"], tmp_path / "clean", REF)
    assert not (tmp_path / "clean").exists() or not any((tmp_path / "clean").iterdir())


def test_cleaning_in_memory_is_the_same_orchestration_as_writing_the_files(
    returns: Path, tmp_path: Path
) -> None:
    streamed = stream_to_dir([returns], tmp_path / "streamed", REF, part_rows=1)
    reg = build_register(read_returns([returns]), REF)
    for table in ("people", "pending", "rows"):
        pd.testing.assert_frame_equal(getattr(reg, table), streamed.read(table), check_dtype=False, obj=table)
    pd.testing.assert_frame_equal(reg.issues, streamed.read("issues"), check_dtype=False)
    assert reg.summary() == streamed.summary


def test_a_return_whose_ids_excel_mangled_all_is_cleaned_not_an_internal_error(tmp_path: Path) -> None:
    # issue 18: no duplicate candidate at all ended in ``pa.array`` of a ChunkedArray
    wb = openpyxl.Workbook()
    wb.active.append(["镇（乡）", "村（社区）", "姓名", "性别", "公民身份号码", "人员类别", "出生日期"])
    for i in range(3):
        wb.active.append(["回马镇", "团结村", f"甲{i}", "男", "5.10923E+17", "留守儿童", "2008-01-01"])
    wb.save(tmp_path / "r.xlsx")
    streamed = stream_to_dir([tmp_path / "r.xlsx"], tmp_path / "out", REF)
    assert (streamed.summary["rows_in"], streamed.summary["pending"]) == (3, 3)


def test_the_duplicate_search_on_the_narrow_key_finds_what_it_finds_among_all_candidates(
    tmp_path: Path,
) -> None:
    def part(k: int, ids: list[str]) -> pd.DataFrame:
        n = len(ids)
        return pd.DataFrame(
            {
                "row_key": [f"f{k}.csv||{i + 2}" for i in range(n)],
                "id_number": ids,
                "has_error": [i % 2 == 1 for i in range(n)],
                "source_file": f"f{k}.csv",
                "source_sheet": "",
                "sheet_index": 0,
                "source_row": [i + 2 for i in range(n)],
                "pos": range(n),
                "part": k,
            }
        ).astype({c: "string" for c in ["row_key", "id_number", "source_file", "source_sheet"]})

    parts = [part(0, [CHILD, "A", "B", ELDER]), part(1, ["C", ELDER, CHILD, "D", CHILD]), part(2, ["E"])]
    for k, p in enumerate(parts):
        p.to_parquet(tmp_path / f"{k}.candidates.parquet", index=False)
    ids = [pa.array(p["id_number"].array).cast(pa.large_string()) for p in parts]
    every = pd.concat([_no_candidates(), *parts], ignore_index=True)
    # a decision on a row whose ID is nobody else's (the log says so), and one on a real duplicate
    decisions = pd.DataFrame({"row_key": ["f1.csv||5", "f1.csv||4"], "decision": ["保留", "保留"]})
    for dd in (None, decisions):
        narrow = _involved(ids, len(parts), tmp_path, dd)
        assert set(narrow["id_number"]) == {CHILD, ELDER} | ({"D"} if dd is not None else set())
        for whole, few in zip(find_duplicates(every, dd), find_duplicates(narrow, dd), strict=True):
            pd.testing.assert_frame_equal(whole, few)
