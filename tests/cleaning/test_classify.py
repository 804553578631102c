"""Classification by the definitions (国发〔2016〕13号, 民发〔2016〕42号, 民发〔2017〕193号)."""

from datetime import date

import pandas as pd
import pytest

from liushou_core.cleaning.classify import Thresholds, classify

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
