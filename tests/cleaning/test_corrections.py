"""Corrections typed into the 问题数据清单 are re-applied on every run, checked, and logged."""

import hypothesis.strategies as st
import openpyxl
import pandas as pd
import pytest
import xlwt
from hypothesis import HealthCheck, given, settings

from liushou_core.cleaning.corrections import (
    WITHDRAWN_RULE,
    apply_corrections,
    read_decisions,
    returned_by_township,
    returned_lines,
)
from liushou_core.errors import DecisionsError
from liushou_core.values.codebook import load_codebook

RAW = pd.DataFrame(
    {
        "row_key": ["a.xlsx|S|4", "a.xlsx|S|5"],
        "source_file": ["a.xlsx"] * 2,
        "source_sheet": ["S"] * 2,
        "source_row": [4, 5],
        "id_number": ["5.10923E+17", "510923200801011234"],
        "sex": ["男", "2"],
    }
).astype({"id_number": "string", "sex": "string"})


def decisions(*spec):
    return pd.DataFrame(spec, columns=["row_key", "field", "value", "correction", "decision"]).astype(
        "string"
    )


def test_a_correction_is_applied_when_the_return_still_holds_the_reported_value():
    new, log = apply_corrections(
        RAW, decisions(("a.xlsx|S|4", "id_number", "5.10923E+17", "51092319800101001X", None))
    )
    assert new.loc[0, "id_number"] == "51092319800101001X"
    assert log["status"].tolist() == ["applied"]
    assert RAW.loc[0, "id_number"] == "5.10923E+17", "the input frame is never modified"


def test_a_correction_fails_when_the_value_has_changed_since_it_was_reported():
    new, log = apply_corrections(RAW, decisions(("a.xlsx|S|5", "sex", "男", "女", None)))
    assert new.loc[1, "sex"] == "2"
    assert log["status"].tolist() == ["failed"]
    assert "不符" in log.loc[0, "message"]


def test_a_correction_already_made_in_the_return_counts_as_applied():
    _, log = apply_corrections(RAW, decisions(("a.xlsx|S|5", "sex", "男", "2", None)))
    assert log["status"].tolist() == ["applied"]


def test_a_correction_for_a_row_that_is_gone_or_an_unknown_field_fails_with_a_reason():
    _, log = apply_corrections(
        RAW, decisions(("a.xlsx|S|99", "sex", "男", "女", None), ("a.xlsx|S|4", "民族", "汉", "回", None))
    )
    assert log["status"].tolist() == ["failed", "failed"]
    assert "找不到" in log.loc[0, "message"]
    assert "不是摸排登记表中的字段" in log.loc[1, "message"]


def test_the_problem_list_with_chinese_headers_reads_back_as_decisions(tmp_path):
    path = tmp_path / "回马镇_问题数据清单.xlsx"
    with pd.ExcelWriter(path) as xw:
        pd.DataFrame({"项目": ["说明"]}).to_excel(xw, sheet_name="填写说明", index=False)
        pd.DataFrame(
            {"行标识": ["a.xlsx|S|4", "a.xlsx|S|5"], "字段": ["公民身份号码", "性别"], "原值": ["5.10923E+17", "2"],
             "更正值": ["51092319800101001X", ""], "说明": ["…", "…"]}
        ).to_excel(xw, sheet_name="问题清单", index=False)  # fmt: skip
        pd.DataFrame({"行标识": ["b.csv||3"], "查重决定": ["保留"]}).to_excel(
            xw, sheet_name="重复登记", index=False
        )
    d = read_decisions(path, load_codebook())
    assert d[["row_key", "field", "correction"]].dropna().values.tolist() == [
        ["a.xlsx|S|4", "id_number", "51092319800101001X"]
    ]
    assert d["decision"].dropna().tolist() == ["保留"]


def test_a_missing_decisions_file_is_a_clear_error(tmp_path):
    with pytest.raises(DecisionsError, match="找不到"):
        read_decisions(tmp_path / "nope.xlsx", load_codebook())


def test_two_problems_on_one_cell_answered_alike_apply_once_whichever_value_they_were_reported_on():
    # 父亲状况 “不清楚” is reported twice: not an option (原值 不清楚) and so a missing fact (原值 empty).
    raw = RAW.assign(father_status=pd.Series(["不清楚", None], dtype="string"))
    new, log = apply_corrections(
        raw,
        decisions(
            ("a.xlsx|S|4", "father_status", "不清楚", "外出务工", None),
            ("a.xlsx|S|4", "father_status", None, "外出务工", None),
        ),
    )
    assert new.loc[0, "father_status"] == "外出务工"
    assert log[["field", "status"]].values.tolist() == [["father_status", "applied"]]


def test_two_copies_of_a_list_that_disagree_on_a_cell_apply_neither():
    new, log = apply_corrections(
        RAW,
        decisions(
            ("a.xlsx|S|4", "id_number", "5.10923E+17", "51092319800101001X", None),
            ("a.xlsx|S|4", "id_number", "5.10923E+17", "510923198001010028", None),
        ),
    )
    assert new.loc[0, "id_number"] == "5.10923E+17"
    assert log["status"].tolist() == ["failed"] and "不同的更正值" in log.loc[0, "message"]


def withdrawals(*spec):
    """spec: (row_key, field, value, 处理决定, form)."""
    return pd.DataFrame(spec, columns=["row_key", "field", "value", "action", "form"]).astype("string")


RAW_ROWS = RAW.assign(skip_rule=pd.Series([None, None], dtype="string"))


def test_a_row_marked_for_deletion_becomes_a_skipped_row_and_its_corrections_are_not_applied():
    d = pd.concat(
        [
            withdrawals(("a.xlsx|S|4", "id_number", "5.10923E+17", "删除", "x.xlsx 问题清单 第 3 行")),
            decisions(("a.xlsx|S|4", "sex", "男", "女", None)).assign(form="x.xlsx 问题清单 第 4 行"),
        ],
        ignore_index=True,
    )
    new, log = apply_corrections(RAW_ROWS, d)
    assert new["skip_rule"].fillna("").tolist() == [WITHDRAWN_RULE, ""]
    assert new.loc[0, "sex"] == "男", "a withdrawn row's corrections are not applied"
    assert RAW_ROWS["skip_rule"].isna().all(), "the input frame is never modified"
    by_kind = log.set_index("kind")
    assert by_kind.loc["withdrawal", "status"] == "applied"
    assert by_kind.loc["withdrawal", "form"] == "x.xlsx 问题清单 第 3 行"
    assert by_kind.loc["correction", "status"] == "failed" and "删除" in by_kind.loc["correction", "message"]


def test_a_row_marked_for_deletion_on_two_problems_is_withdrawn_once():
    new, log = apply_corrections(
        RAW_ROWS,
        withdrawals(
            ("a.xlsx|S|5", "sex", "2", "删除", "x.xlsx 问题清单 第 3 行"),
            ("a.xlsx|S|5", "id_number", "510923200801011234", "删除", "x.xlsx 问题清单 第 4 行"),
            ("a.xlsx|S|5", "sex", "2", "删除", "x(1).xlsx 问题清单 第 3 行"),  # the list returned twice
        ),
    )
    assert new["skip_rule"].fillna("").tolist() == ["", WITHDRAWN_RULE]
    assert log[["row_key", "kind", "status"]].values.tolist() == [["a.xlsx|S|5", "withdrawal", "applied"]]


@pytest.mark.parametrize(
    ("mark", "reason"),
    [
        (("a.xlsx|S|5", "sex", "男", "删除", "x"), "不符"),  # the return changed since the list was made
        (("a.xlsx|S|99", "sex", "2", "删除", "x"), "找不到该行"),
        (("", "sex", "2", "删除", "x"), "行标识"),
        (("a.xlsx|S|5", "skip_rule", "", "删除", "x"), "不是摸排登记表中的字段"),
        (("a.xlsx|S|5", "sex", "2", "保留", "x"), "只能选"),
    ],
)
def test_a_deletion_that_no_longer_fits_the_return_fails_with_a_reason(mark, reason):
    new, log = apply_corrections(RAW_ROWS, withdrawals(mark))
    assert new["skip_rule"].isna().all()
    assert log["status"].tolist() == ["failed"] and reason in log.loc[0, "message"], log.loc[0, "message"]


def test_withdrawn_rows_are_counted_per_township_among_the_applied():
    log = pd.DataFrame(
        {"row_key": ["a|S|4", "a|S|5"], "status": ["applied", "applied"], "kind": ["withdrawal", "correction"],
         "form": ["x.xlsx", "x.xlsx"]}
    )  # fmt: skip
    rows = pd.DataFrame({"row_key": ["a|S|4", "a|S|5"], "township": ["河边镇", "河边镇"]})
    table = returned_by_township(log, pd.DataFrame(), rows)
    assert table.values.tolist() == [["河边镇", 2, 2, 0, 1]]
    line = returned_lines(table.to_dict("records"))[1]
    assert line == "  河边镇：交回 2 项，已应用 2 项，未应用 0 项；其中核实删除 1 人（不计入名册）"


def test_only_the_return_templates_fields_can_be_corrected():
    raw = RAW.assign(skip_rule=pd.Series([None, None], dtype="string"), sheet_index=[0, 0])
    new, log = apply_corrections(
        raw,
        decisions(
            ("a.xlsx|S|4", "skip_rule", None, "skip_blank", None),
            ("a.xlsx|S|4", "sheet_index", "0", "7", None),
            ("a.xlsx|S|4", "source_row", "4", "9", None),
        ),
    )
    assert new.equals(raw)
    assert log["status"].tolist() == ["failed"] * 3
    assert log["message"].str.contains("不是摸排登记表中的字段").all()


def test_the_answers_that_came_back_are_counted_per_township():
    log = pd.DataFrame(
        {"row_key": ["a|S|4", "a|S|5", "gone"], "status": ["applied", "failed", "failed"],
         "form": ["x.xlsx", "x.xlsx", "回马镇_问题数据清单.xlsx 问题清单 第 9 行"]}
    )  # fmt: skip
    decided = pd.DataFrame({"row_key": ["b||2"], "status": ["applied"]})
    rows = pd.DataFrame({"row_key": ["a|S|4", "a|S|5", "b||2"], "township": ["河边镇", "河边镇", "回马镇"]})
    table = returned_by_township(log, decided, rows)
    assert table.values.tolist() == [["回马镇", 2, 1, 1, 0], ["河边镇", 2, 1, 1, 0]]
    assert returned_lines(table.to_dict("records"))[1] == "  回马镇：交回 2 项，已应用 1 项，未应用 1 项"


FIELDS_TRIED = ["id_number", "sex", "birth_date", "township", "village", "months_away", "category_declared",
                "skip_rule", "sheet_index", "source_row", "row_key", "fate", "", "性别", "民族", "公民身份号码"]  # fmt: skip
text_cell = st.one_of(
    st.just(""), st.text(max_size=8), st.sampled_from(["男", "女", "保留", "删除", "=1+1", "nan"])
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a.xlsx|S|4", "a.xlsx|S|5", "a.xlsx|S|99", ""]),
            st.sampled_from(FIELDS_TRIED),
            st.one_of(st.none(), text_cell),
            st.one_of(st.none(), text_cell.filter(bool)),
        ),
        max_size=12,
    )
)
def test_no_decisions_row_can_crash_and_every_typed_correction_is_logged(spec):
    raw = RAW.assign(skip_rule=pd.Series([None, None], dtype="string"), sheet_index=[0, 0])
    d = decisions(*[(k, f, v, c, None) for k, f, v, c in spec])
    d["field"] = d["field"].map(lambda f: load_codebook().field_for_header(f) or f, na_action="ignore")
    new, log = apply_corrections(raw, d)
    typed = d[d["correction"].notna()]
    assert len(log) == len(typed.drop_duplicates(["row_key", "field"]))
    assert set(log["status"]) <= {"applied", "failed"} and log["message"].str.len().gt(0).all()
    assert new[["row_key", "source_row", "skip_rule", "sheet_index"]].equals(
        raw[["row_key", "source_row", "skip_rule", "sheet_index"]]
    )
    changed = set(log.loc[log["status"].eq("applied") & log["message"].eq("已更正"), "field"])
    assert changed <= {"id_number", "sex"}


def _sheet_file(path, rows, sheet="随便什么名字"):
    if path.suffix == ".xls":
        book = xlwt.Workbook()
        ws = book.add_sheet(sheet)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is not None:
                    ws.write(r, c, v)
        book.save(str(path))
    else:
        wb = openpyxl.Workbook()
        wb.active.title = sheet
        for row in rows:
            wb.active.append(row)
        wb.save(path)
    return path


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_the_header_is_found_under_title_rows_in_any_column_order(tmp_path, suffix):
    rows = [
        ["回马镇 问题数据清单（基准日 2017-12-31）"],
        [],
        ["更正值", "说明", "字段", "原值", "行标识"],
        ["51092319800101001X", "…", "公民身份号码", "5.10923E+17", "a.xlsx|S|4"],
        [None, "…", "性别", "2", "a.xlsx|S|5"],
    ]
    d = read_decisions(_sheet_file(tmp_path / f"交回{suffix}", rows), load_codebook())
    assert d[["row_key", "field", "value", "correction"]].values.tolist() == [
        ["a.xlsx|S|4", "id_number", "5.10923E+17", "51092319800101001X"]
    ]
    assert d.loc[0, "form"] == f"交回{suffix} 随便什么名字 第 4 行"


def test_a_sheet_with_typed_answers_but_no_row_keys_is_an_error_naming_file_and_sheet(tmp_path):
    no_key_column = [["字段", "原值", "更正值"], ["性别", "2", "女"]]
    with pytest.raises(DecisionsError, match="a.xlsx 的工作表“问题清单”.*行标识"):
        read_decisions(_sheet_file(tmp_path / "a.xlsx", no_key_column, "问题清单"), load_codebook())
    keys_blanked = [["行标识", "字段", "原值", "更正值"], [None, "性别", "2", "女"]]
    with pytest.raises(DecisionsError, match="b.xlsx 的工作表“Sheet”填写了 1 项.*行标识"):
        read_decisions(_sheet_file(tmp_path / "b.xlsx", keys_blanked, "Sheet"), load_codebook())


def test_an_answer_whose_row_key_was_cleared_is_kept_and_fails_with_its_reason(tmp_path):
    rows = [
        ["行标识", "字段", "原值", "更正值"],
        ["a.xlsx|S|5", "性别", "2", "女"],
        [None, "性别", "男", "女"],
    ]
    d = read_decisions(_sheet_file(tmp_path / "a.xlsx", rows), load_codebook())
    _, log = apply_corrections(RAW, d)
    assert log["status"].tolist() == ["applied", "failed"]
    assert "行标识”为空" in log.loc[1, "message"]


cell_value = st.one_of(
    st.none(), st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=10), st.integers(-10**6, 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["行标识", "更正值", "查重决定", "字段", "原值", "保留", "公民身份号码", "a.xlsx|S|4"]),
)  # fmt: skip


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(cell_value, max_size=6), max_size=8))
def test_no_returned_sheet_crashes_the_reader(tmp_path, rows):
    path = _sheet_file(tmp_path / "fuzz.xlsx", rows)
    try:
        d = read_decisions(path, load_codebook())
    except DecisionsError as exc:
        assert "fuzz.xlsx" in str(exc)
        return
    _, log = apply_corrections(RAW, d)
    assert len(log) == len(d[d["correction"].notna()].drop_duplicates(["row_key", "field"]))
