"""Classification by the definitions (国发〔2016〕13号, 民发〔2016〕42号, 民发〔2017〕193号)."""

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from liushou_core.cleaning.classify import Thresholds, classify
from liushou_core.parameters import assumption_table

REF = date(2017, 12, 31)
T = Thresholds.at(REF)

BASE = {
    "age": None, "sex": None, "category_declared": None, "father_status": None, "mother_status": None,
    "husband_status": None, "children_status": None, "months_away": None,
}  # fmt: skip


def person(**facts):
    return BASE | facts


CASES = [
    ("a 15-year-old with both parents away is a left-behind child",
     person(age=15, sex="男", category_declared="留守儿童", father_status="外出务工", mother_status="外出务工"),
     "留守儿童", "declared"),
    ("a child who has turned 16 at the reference date is not a left-behind child",
     person(age=16, sex="男", category_declared="留守儿童", father_status="外出务工", mother_status="外出务工"),
     None, "not_qualified"),
    ("a child whose father is away and whose mother lacks guardianship capacity qualifies",
     person(age=8, sex="女", category_declared="留守儿童", father_status="外出务工", mother_status="无监护能力"),
     "留守儿童", "declared"),
    ("a child whose mother is away and whose father lacks guardianship capacity qualifies",
     person(age=8, sex="女", category_declared="留守儿童", father_status="无监护能力", mother_status="外出务工"),
     "留守儿童", "declared"),
    ("a child with one parent away and the other at home does not qualify",
     person(age=8, sex="女", category_declared="留守儿童", father_status="外出务工", mother_status="在家"),
     None, "not_qualified"),
    ("a child whose other parent is dead is not covered by 13号 unless the bureau says so",
     person(age=8, sex="女", category_declared="留守儿童", father_status="外出务工", mother_status="死亡"),
     None, "not_qualified"),
    ("a child whose mother's status was not collected is pending for missing facts, not rejected",
     person(age=8, sex="女", category_declared="留守儿童", father_status="外出务工", mother_status=None),
     None, "facts_missing"),
    ("a woman of 20 whose husband has been away 6 months is a left-behind woman",
     person(age=20, sex="女", category_declared="留守妇女", husband_status="外出务工", months_away=6),
     "留守妇女", "declared"),
    ("a woman of 59 whose husband has been away a year is a left-behind woman",
     person(age=59, sex="女", category_declared="留守妇女", husband_status="外出务工", months_away=12),
     "留守妇女", "declared"),
    ("a woman of 19 is too young to be a left-behind woman",
     person(age=19, sex="女", category_declared="留守妇女", husband_status="外出务工", months_away=12),
     None, "not_qualified"),
    ("a woman whose husband has been away 5 months does not qualify",
     person(age=40, sex="女", category_declared="留守妇女", husband_status="外出务工", months_away=5),
     None, "not_qualified"),
    ("a woman whose husband is at home does not qualify",
     person(age=40, sex="女", category_declared="留守妇女", husband_status="在家", months_away=12),
     None, "not_qualified"),
    ("a man declared as a left-behind woman does not qualify",
     person(age=40, sex="男", category_declared="留守妇女", husband_status="外出务工", months_away=12),
     None, "not_qualified"),
    ("an elder of 60 whose children are all away 6 months is a left-behind elder",
     person(age=60, sex="男", category_declared="留守老人", children_status="全部外出", months_away=6),
     "留守老人", "declared"),
    ("a person of 59 declared as an elder does not qualify",
     person(age=59, sex="男", category_declared="留守老人", children_status="全部外出", months_away=12),
     None, "not_qualified"),
    ("an elder with only some children away does not qualify",
     person(age=70, sex="女", category_declared="留守老人", children_status="部分外出", months_away=12),
     None, "not_qualified"),
    ("an elder whose months away were not collected is pending for missing facts",
     person(age=70, sex="女", category_declared="留守老人", children_status="全部外出", months_away=None),
     None, "facts_missing"),
    ("a woman of 62 declared as a left-behind woman whose children are all away is counted as an elder",
     person(age=62, sex="女", category_declared="留守妇女", husband_status="外出务工", children_status="全部外出", months_away=12),
     "留守老人", "mismatch"),
    ("a person with no declared category who qualifies as an elder is counted as one",
     person(age=75, sex="男", category_declared=None, children_status="全部外出", months_away=12),
     "留守老人", "undeclared"),
]  # fmt: skip


@pytest.mark.parametrize(("facts", "category", "outcome"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_definitions(facts, category, outcome):
    df = pd.DataFrame([facts]).astype(
        {
            "age": "Int64",
            "months_away": "Int64",
            **{k: "string" for k in BASE if k not in ("age", "months_away")},
        }
    )
    r = classify(df, T)
    assert r.loc[0, "outcome"] == outcome
    if category is None:
        assert pd.isna(r.loc[0, "category"])
    else:
        assert r.loc[0, "category"] == category


def test_the_reason_names_the_failing_condition():
    df = pd.DataFrame(
        [
            person(
                age=16,
                sex="男",
                category_declared="留守儿童",
                father_status="外出务工",
                mother_status="外出务工",
            )
        ]
    ).astype({"age": "Int64", "months_away": "Int64"})
    r = classify(df, T)
    assert "已满16周岁" in r.loc[0, "detail"]


def test_the_thresholds_come_from_the_dated_parameters():
    assert (T.child_age_limit, T.elder_min_age, T.woman_min_age, T.woman_max_age, T.min_months_away) == (
        16,
        60,
        20,
        59,
        6,
    )


# --- issue 13, defect 5: one parent dead + the other away, and the elder definition's second branch, are explicit


def _frame(**facts):
    return pd.DataFrame([person(**facts)]).astype(
        {
            "age": "Int64",
            "months_away": "Int64",
            **{k: "string" for k in BASE if k not in ("age", "months_away")},
        }
    )


DEAD_PARENT = [
    pytest.param(False, None, id="by default a child whose father is away and mother dead is not a left-behind child"),
    pytest.param(True, "留守儿童",
                 id="if the bureau counts a dead parent as without capacity, that child is a left-behind child"),
]  # fmt: skip


@pytest.mark.parametrize(("counts", "category"), DEAD_PARENT)
def test_a_dead_parent_counts_only_when_the_bureau_says_so(counts, category):
    t = replace(T, dead_parent_counts_as_incapable=counts)
    r = classify(
        _frame(age=8, sex="女", category_declared="留守儿童", father_status="外出务工", mother_status="死亡"),
        t,
    )
    assert (None if pd.isna(r.loc[0, "category"]) else r.loc[0, "category"]) == category


def test_the_dead_parent_choice_is_a_parameter_marked_for_the_bureau():
    assert T.dead_parent_counts_as_incapable is False
    assert "definitions.dead_parent_counts_as_incapable" in {r["parameter"] for r in assumption_table()}


SUPPORTER_UNABLE = [
    pytest.param(True, "留守老人",
                 id="an elder whose child at home cannot support them, the others away, is a left-behind elder"),
    pytest.param(False, None, id="without the second branch that elder is not a left-behind elder"),
]  # fmt: skip


@pytest.mark.parametrize(("branch", "category"), SUPPORTER_UNABLE)
def test_the_elder_definitions_second_branch(branch, category):
    t = replace(T, elder_supporter_unable_qualifies=branch)
    facts = dict(
        age=70, sex="女", category_declared="留守老人", children_status="在家子女无赡养能力", months_away=12
    )
    r = classify(_frame(**facts), t)
    assert (None if pd.isna(r.loc[0, "category"]) else r.loc[0, "category"]) == category


def test_the_elder_second_branch_is_shipped_on_and_marked():
    assert T.elder_supporter_unable_qualifies is True
    assert "definitions.elder_supporter_unable_qualifies" in {r["parameter"] for r in assumption_table()}


def test_a_child_whose_parents_both_died_is_pending_with_an_orphan_hint():
    r = classify(
        _frame(age=8, sex="女", category_declared="留守儿童", father_status="死亡", mother_status="死亡"), T
    )
    assert r.loc[0, "outcome"] == "not_qualified" and "孤儿" in r.loc[0, "detail"]
