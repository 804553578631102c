"""Duplicates by ID: a person is counted once; decisions persist across runs and are checked."""

import pandas as pd

from liushou_core.cleaning.dedupe import DROP, KEEP, mark_duplicates


def rows(*spec):
    """spec: (row_key, id_number, has_error, source_file, source_row)."""
    df = pd.DataFrame(spec, columns=["row_key", "id_number", "has_error", "source_file", "source_row"])
    df["sheet_index"] = 0
    return df.astype({"row_key": "string", "id_number": "string"})


ROWS = rows(
    ("b.xlsx|S|5", "A", False, "b.xlsx", 5),
    ("a.xlsx|S|9", "A", False, "a.xlsx", 9),
    ("a.xlsx|S|3", "B", True, "a.xlsx", 3),
    ("a.xlsx|S|4", "B", False, "a.xlsx", 4),
    ("a.xlsx|S|6", "C", False, "a.xlsx", 6),
    ("a.xlsx|S|7", None, True, "a.xlsx", 7),
)


def marks_of(decisions=None):
    m, log = mark_duplicates(ROWS, decisions)
    return m.set_index("row_key"), log


def test_the_first_row_in_source_order_is_kept_and_the_later_copy_is_merged():
    m, _ = marks_of()
    assert not m.loc["a.xlsx|S|9", "is_duplicate"]
    assert m.loc["b.xlsx|S|5", "is_duplicate"]
    assert m.loc["b.xlsx|S|5", "kept_row_key"] == "a.xlsx|S|9"


def test_a_row_without_errors_is_kept_before_an_earlier_row_with_errors():
    m, _ = marks_of()
    assert m.loc["a.xlsx|S|3", "is_duplicate"]
    assert not m.loc["a.xlsx|S|4", "is_duplicate"]


def test_a_person_listed_once_is_not_a_duplicate_and_rows_without_an_id_are_not_grouped():
    m, _ = marks_of()
    assert not m.loc["a.xlsx|S|6", "is_duplicate"]
    assert "a.xlsx|S|7" not in m.index
    assert m["is_duplicate"].sum() == 2  # every group keeps exactly one row


def test_a_keep_decision_chooses_the_row_that_counts():
    d = pd.DataFrame({"row_key": ["b.xlsx|S|5"], "decision": [KEEP]})
    m, log = marks_of(d)
    assert not m.loc["b.xlsx|S|5", "is_duplicate"]
    assert m.loc["a.xlsx|S|9", "is_duplicate"]
    assert log["status"].tolist() == ["applied"]


def test_a_drop_decision_leaves_the_other_row_kept():
    d = pd.DataFrame({"row_key": ["a.xlsx|S|9"], "decision": [DROP]})
    m, log = marks_of(d)
    assert m.loc["a.xlsx|S|9", "is_duplicate"] and not m.loc["b.xlsx|S|5", "is_duplicate"]
    assert log["status"].tolist() == ["applied"]


def test_contradicting_decisions_fail_and_the_default_applies():
    d = pd.DataFrame({"row_key": ["a.xlsx|S|9", "b.xlsx|S|5"], "decision": [KEEP, KEEP]})
    m, log = marks_of(d)
    assert not m.loc["a.xlsx|S|9", "is_duplicate"]
    assert (log["status"] == "failed").all()


def test_a_decision_on_a_row_that_is_gone_or_no_longer_duplicated_fails_with_a_reason():
    d = pd.DataFrame(
        {"row_key": ["x.xlsx|S|1", "a.xlsx|S|6", "a.xlsx|S|4"], "decision": [KEEP, KEEP, "也许"]}
    )
    _, log = marks_of(d)
    assert (log["status"] == "failed").all()
    assert log["message"].str.contains("找不到").iloc[0]
    assert log["message"].str.contains("不是重复").iloc[1]
    assert log["message"].str.contains("保留").iloc[2]


def test_two_copies_of_a_list_that_disagree_on_a_row_fail_naming_both_and_the_default_applies():
    d = pd.DataFrame(
        {
            "row_key": ["b.xlsx|S|5", "b.xlsx|S|5"],
            "decision": [KEEP, DROP],
            "form": [
                "回马镇_问题数据清单.xlsx 重复登记 第 3 行",
                "回马镇_问题数据清单(1).xlsx 重复登记 第 3 行",
            ],
        }
    )
    m, log = marks_of(d)
    assert m.loc["b.xlsx|S|5", "is_duplicate"] and not m.loc["a.xlsx|S|9", "is_duplicate"]  # the default
    assert log["status"].tolist() == ["failed"]
    assert "不同的查重决定" in log.loc[0, "message"]
    assert "回马镇_问题数据清单.xlsx" in log.loc[0, "message"]
    assert "回马镇_问题数据清单(1).xlsx" in log.loc[0, "message"]


def test_the_same_decision_in_two_copies_of_a_list_is_applied_once():
    d = pd.DataFrame(
        {"row_key": ["b.xlsx|S|5", "b.xlsx|S|5"], "decision": [KEEP, KEEP], "form": ["x.xlsx", "x(1).xlsx"]}
    )
    m, log = marks_of(d)
    assert not m.loc["b.xlsx|S|5", "is_duplicate"] and m.loc["a.xlsx|S|9", "is_duplicate"]
    assert log["status"].tolist() == ["applied"]
