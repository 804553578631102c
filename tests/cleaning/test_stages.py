"""Fates stage by stage: only rows that share an ID (or that a decision names) can become duplicates."""

from __future__ import annotations

import hypothesis.strategies as st
import pandas as pd
from hypothesis import given, settings

from liushou_core.cleaning.dedupe import mark_duplicates
from liushou_core.cleaning.stages import find_duplicates, human_row


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from("ABCDE"), st.booleans()), min_size=1, max_size=25),
    decided=st.lists(st.tuples(st.integers(0, 30), st.sampled_from(["保留", "删除", "随便"])), max_size=4),
)
def test_searching_only_shared_ids_finds_the_duplicates_and_logs_of_searching_every_row(
    rows: list[tuple[str, bool]], decided: list[tuple[int, str]]
) -> None:
    candidates = pd.DataFrame(
        {
            "row_key": [f"f.xlsx|s|{i + 2}" for i in range(len(rows))],
            "id_number": pd.Series([r[0] for r in rows], dtype="string"),
            "has_error": [r[1] for r in rows],
            "source_file": "f.xlsx",
            "source_sheet": "s",
            "sheet_index": 0,
            "source_row": range(2, len(rows) + 2),
            "pos": range(len(rows)),
        }
    )
    decisions = pd.DataFrame(
        {"row_key": [f"f.xlsx|s|{i + 2}" for i, _ in decided], "decision": [d for _, d in decided]}
    ).astype("string")
    marks, log = mark_duplicates(candidates, decisions)
    dups, log2 = find_duplicates(candidates, decisions)
    expected = marks.loc[marks["is_duplicate"], ["row_key", "kept_row_key"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(dups[["row_key", "kept_row_key"]], expected)
    pd.testing.assert_frame_equal(log2, log)
    assert set(dups["pos"]) == {int(k.rsplit("|", 1)[1]) - 2 for k in expected["row_key"]}


def test_a_kept_row_is_named_as_a_person_would_find_it() -> None:
    assert human_row("回马镇.xlsx|金竹村|5") == "回马镇.xlsx（金竹村）第5行"
    assert human_row("河边镇.csv||12") == "河边镇.csv第12行"
