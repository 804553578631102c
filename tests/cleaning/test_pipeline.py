"""`liushou clean` end to end on real fixture files: every row accounted for, outputs per the contract."""

import json
from datetime import date

import hypothesis.strategies as st
import openpyxl
import pandas as pd
import pytest
import xlwt
from hypothesis import HealthCheck, given, settings
from returns_fixture import write_return_xlsx

from liushou_core.cleaning.intake import read_returns
from liushou_core.cleaning.pipeline import clean_to_dir
from liushou_core.cleaning.streaming import build_register
from liushou_core.cli import main
from liushou_core.values.idcard import make_id

HEADER = ["镇（乡）", "村（社区）", "姓名", "性别", "公民身份号码", "人员类别", "出生日期", "父亲状况", "母亲状况",
          "丈夫状况", "子女状况", "外出时长（月）"]  # fmt: skip
CHILD = make_id("510923", date(2008, 5, 3), 123)  # a boy
WOMAN = make_id("510922", date(1980, 1, 1), 124)
ELDER = make_id("512836", date(1935, 2, 28), 125)
ELDER2 = make_id("510921", date(1930, 7, 1), 127)
WOMAN2 = make_id("510923", date(1985, 3, 9), 126)


def child(name="张小明", id_=CHILD, village="团结村", township="回马", **kw):
    row = [township, village, name, "男", id_, "留守儿童", "2008.5.3", "外出务工", "外出务工", "", "", ""]
    return _with(row, kw)


def woman(name="李秀英", id_=WOMAN, village="金竹", township="回马镇", **kw):
    return _with(
        [township, village, name, "女", id_, "留守妇女", "1980年1月1日", "", "", "外出务工", "", 12], kw
    )


def elder(name="王德全", id_=ELDER, village="金竹村委会", township="回马", **kw):
    return _with([township, village, name, "男", id_, "老人", "19350228", "", "", "", "全部外出", "24"], kw)


def _with(row, kw):
    for k, v in kw.items():
        row[HEADER.index(k)] = v
    return row


def write_xlsx(path, sheets):
    write_return_xlsx(path, HEADER, sheets)


@pytest.fixture
def returns(tmp_path):
    """Three returns: an xlsx with title rows and two sheets, an old .xls, and a GBK CSV."""
    d = tmp_path / "returns"
    d.mkdir()
    write_xlsx(
        d / "回马镇.xlsx",
        {
            "团结村": [child(), [], woman(), ["合计", None, "3人"]],
            "金竹村": [
                elder(),
                elder(name="赵四", id_=5.10923193501011e17),
                woman(name="钱五", id_=WOMAN2, village="星花"),
                ["填表人：孙六"],
            ],
        },
    )
    book = xlwt.Workbook()
    ws = book.add_sheet("河边镇")
    for i, v in enumerate(HEADER):
        ws.write(0, i, v)
    for r, row in enumerate(
        [
            elder(name="周七", id_=ELDER2, township="河边", village="拦江"),
            child(township="河边镇", village="安山"),
        ],
        start=1,
    ):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    book.save(str(d / "河边镇.xls"))
    csv_rows = [
        ",".join(HEADER),
        ",".join(map(str, elder(name="吴八", id_=ELDER2.lower(), township="河边镇", village="安山村"))),
    ]
    (d / "河边镇_补报.csv").write_bytes(("\r\n".join(csv_rows) + "\r\n").encode("gbk"))
    return d


def test_every_row_of_every_return_is_accounted_for(returns, tmp_path):
    reg = clean_to_dir([returns], tmp_path / "out", reference_date=date(2017, 12, 31))
    s = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert s["rows_in"] == s["people"] + s["pending"] + s["duplicates_merged"] + s["skipped"]
    fates = reg.read("rows").set_index("row_key")["fate"]
    assert fates["回马镇.xlsx|团结村|4"] == "verified"  # the child, row 4 under two title rows
    assert fates["回马镇.xlsx|团结村|5"] == "skipped"  # blank row
    assert fates["回马镇.xlsx|团结村|7"] == "skipped"  # 合计
    assert fates["回马镇.xlsx|金竹村|5"] == "pending"  # ID mangled by Excel
    assert fates["回马镇.xlsx|金竹村|6"] == "pending"  # 星花 is not in 回马镇
    assert fates["回马镇.xlsx|金竹村|7"] == "skipped"  # footer
    # the same child listed again in 河边镇's .xls is merged; the elder in the CSV repeats the .xls elder
    assert fates["河边镇.xls|河边镇|3"] == "duplicate"
    assert fates["河边镇_补报.csv||2"] == "duplicate"
    assert s["people"] == 4
    assert s["by_category"] == {"留守儿童": 1, "留守妇女": 1, "留守老人": 2}
    assert s["by_township"] == {"回马镇": 3, "河边镇": 1}


def test_the_register_carries_official_names_ids_and_provenance(returns, tmp_path):
    clean_to_dir([returns], tmp_path / "out", reference_date=date(2017, 12, 31))
    people = pd.read_parquet(tmp_path / "out" / "people.parquet").set_index("id_number")
    e = people.loc[ELDER2]
    assert (e["township"], e["village"], e["village_code"]) == ("河边镇", "栏江村委会", "510923104232")
    assert (e["source_file"], e["source_sheet"], e["source_row"]) == ("河边镇.xls", "河边镇", 2)
    c = people.loc[CHILD]
    assert (c["age"], c["sex"], c["category"]) == (9, "男", "留守儿童")
    assert people.loc[ELDER, "birth_date"] == pd.Timestamp("1935-02-28")


def test_issues_name_file_sheet_row_and_field_in_chinese(returns, tmp_path):
    clean_to_dir([returns], tmp_path / "out", reference_date=date(2017, 12, 31))
    issues = pd.read_parquet(tmp_path / "out" / "issues.parquet")
    assert list(issues.columns) == [
        "row_key",
        "source_file",
        "source_sheet",
        "source_row",
        "field",
        "rule",
        "value",
        "severity",
        "message",
    ]
    mangled = issues[issues["rule"] == "id_excel_mangled"].iloc[0]
    assert (mangled["source_file"], mangled["source_sheet"], mangled["source_row"]) == (
        "回马镇.xlsx",
        "金竹村",
        5,
    )
    assert mangled["severity"] == "error" and "Excel" in mangled["message"]
    ambiguous = issues[issues["rule"] == "village_unknown"].iloc[0]
    assert "星花" in ambiguous["message"] and "回马镇" in ambiguous["message"]


def test_each_township_gets_a_problem_list_with_an_empty_correction_column(returns, tmp_path):
    clean_to_dir([returns], tmp_path / "out", reference_date=date(2017, 12, 31))
    path = tmp_path / "out" / "问题数据清单" / "回马镇_问题数据清单.xlsx"
    problems = pd.read_excel(path, sheet_name="问题清单", dtype=str, header=None, engine="calamine")
    header_row = problems.index[problems.eq("行标识").any(axis=1)][0]
    table = problems.iloc[header_row + 1 :].set_axis(problems.iloc[header_row], axis=1)
    assert "回马镇.xlsx|金竹村|5" in set(table["行标识"])
    assert table["更正值"].isna().all()


def test_a_correction_typed_into_the_problem_list_is_applied_on_the_next_run(returns, tmp_path):
    clean_to_dir([returns], tmp_path / "run1", reference_date=date(2017, 12, 31))
    mangled_key = "回马镇.xlsx|金竹村|5"
    new_id = make_id("510923", date(1935, 1, 1), 131)
    value = read_returns([returns]).rows.set_index("row_key").loc[mangled_key, "id_number"]
    corrections = pd.DataFrame(
        {"行标识": [mangled_key, "回马镇.xlsx|金竹村|6"], "字段": ["公民身份号码", "村（社区）"],
         "原值": [value, "星花 (changed since)"], "更正值": [new_id, "金竹"]}
    )  # fmt: skip
    dec = tmp_path / "回马镇_更正.xlsx"
    corrections.to_excel(dec, sheet_name="问题清单", index=False)
    second = clean_to_dir([returns], tmp_path / "run2", reference_date=date(2017, 12, 31), decisions=dec)
    fates = second.read("rows").set_index("row_key")["fate"]
    assert fates[mangled_key] == "verified"
    assert fates["回马镇.xlsx|金竹村|6"] == "pending"  # its correction was checked and refused
    log = pd.read_parquet(tmp_path / "run2" / "corrections_log.parquet").set_index("row_key")
    assert log.loc[mangled_key, "status"] == "applied"
    assert log.loc["回马镇.xlsx|金竹村|6", "status"] == "failed"
    assert (returns / "回马镇.xlsx").exists()  # inputs untouched
    assert read_returns([returns]).rows.set_index("row_key").loc[mangled_key, "id_number"] == value


def test_a_duplicate_decision_persists_across_runs(returns, tmp_path):
    dup_key, kept_key = "河边镇.xls|河边镇|3", "回马镇.xlsx|团结村|4"
    dec = tmp_path / "decisions.csv"
    pd.DataFrame({"行标识": [dup_key], "查重决定": ["保留"]}).to_csv(dec, index=False, encoding="utf-8-sig")
    for run in ("run1", "run2"):
        reg = clean_to_dir([returns], tmp_path / run, reference_date=date(2017, 12, 31), decisions=dec)
        fates = reg.read("rows").set_index("row_key")["fate"]
        assert (fates[dup_key], fates[kept_key]) == ("verified", "duplicate")
        assert reg.read("people").set_index("id_number").loc[CHILD, "township"] == "河边镇"


def test_the_command_line_prints_the_accounting_and_exits_0(returns, tmp_path, capsys):
    assert main(["clean", str(returns), "--out", str(tmp_path / "o"), "--reference-date", "2017-12-31"]) == 0
    out = capsys.readouterr().out
    assert "核实 4" in out and "留守老人 2" in out


def test_an_unreadable_file_is_reported_and_the_others_are_still_cleaned(returns, tmp_path, capsys):
    (returns / "坏文件.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    assert main(["clean", str(returns), "--out", str(tmp_path / "o")]) == 1
    captured = capsys.readouterr()
    assert "坏文件.xlsx" in captured.err and "Traceback" not in captured.err
    assert json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))["people"] == 4


cell = st.one_of(
    st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12), st.integers(-10**6, 10**19), st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["合计", "外出务工", "全部外出", "留守儿童", "回马", "金竹", CHILD, WOMAN, ELDER, "5.10923E+17"]),
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.lists(st.lists(cell, min_size=len(HEADER), max_size=len(HEADER)), max_size=12))
def test_for_arbitrary_cells_no_row_is_lost_and_the_accounting_holds(tmp_path, body):
    path = tmp_path / "fuzz.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for row in body:
        ws.append(row)
    wb.save(path)
    intake = read_returns([path])
    reg = build_register(intake, date(2017, 12, 31))
    s = reg.summary()
    assert s["rows_in"] == len(intake.rows) == len(reg.rows)
    assert s["rows_in"] == s["people"] + s["pending"] + s["duplicates_merged"] + s["skipped"]
    assert reg.rows["row_key"].is_unique


def test_cleaning_the_verified_register_again_changes_nothing(returns, tmp_path):
    first = clean_to_dir([returns], tmp_path / "run1", reference_date=date(2017, 12, 31))
    from liushou_core.values.codebook import load_codebook

    headers = load_codebook().headers
    people = first.read("people")
    again = people[[f for f in headers if f in people.columns]].copy()
    for col in ("birth_date", "agreement_date", "last_visit_date"):
        again[col] = again[col].dt.strftime("%Y-%m-%d")
    again = again.rename(columns=headers)
    again.to_csv(tmp_path / "register_as_return.csv", index=False, encoding="utf-8-sig")
    second = clean_to_dir(
        [tmp_path / "register_as_return.csv"], tmp_path / "run2", reference_date=date(2017, 12, 31)
    )
    provenance = ["row_key", "source_file", "source_sheet", "source_row"]
    a = first.read("people").drop(columns=provenance).sort_values("id_number").reset_index(drop=True)
    b = second.read("people").drop(columns=provenance).sort_values("id_number").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert second.summary["pending"] == 0
