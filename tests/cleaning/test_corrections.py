"""Corrections typed into the 问题数据清单 are re-applied on every run, checked, and logged."""

import pandas as pd
import pytest

from liushou_core.cleaning.corrections import apply_corrections, read_decisions
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
