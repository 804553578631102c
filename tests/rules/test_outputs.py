"""Each rule's full output as data under RUN/rules/: one row per person and decision, with reason and reference."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from person_frames import make_id, person_frame

from liushou_core.batch.rulefiles import write_rule_outputs

ON = dt.date(2018, 10, 1)
GRANDMOTHER = {"guardian_name": "王奶奶", "guardian_relation": "祖母",
               "guardian_id_number": make_id(dt.date(1955, 3, 3), "女", 31)}  # fmt: skip
PEOPLE = [
    {"birth_date": "1930-05-05", "category": "留守老人", "notes": "2018年6月病故"},  # 88: paid 25, with a warning
    {"birth_date": "1920-01-01", "category": "留守老人"},  # 98: paid 120
    {"birth_date": "2008-05-03", "category": "留守儿童", "father_status": "外出务工", "mother_status": "外出务工",
     "household_economy": "低保户", "schooling": "小学", "boarding": "是", "agreement_signed": "已签订",
     "guardianship_grade": "较好", "health": "健康", **GRANDMOTHER},  # boarder of a 低保 household: 1000
    {"birth_date": "2009-07-07", "category": "留守儿童", "father_status": "外出务工", "mother_status": "无监护能力",
     "agreement_signed": "已签订", "schooling": "辍学", "household_economy": "一般"},  # nobody cares; dropped out
]  # fmt: skip
COMMON = ["id_number", "township_code", "township", "village_code", "village", "name"]


@pytest.fixture
def written(tmp_path: Path) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    people = person_frame(PEOPLE)
    paths = write_rule_outputs(people, tmp_path / "run", month="2018-10", term="2018秋季", on=ON)
    assert sorted(p.name for p in (tmp_path / "run" / "rules").iterdir()) == sorted(
        f"{s}.parquet" for s in ("payroll", "education", "guardianship", "visits", "referrals")
    )
    return people, {stem: pd.read_parquet(path) for stem, path in paths.items()}


def test_every_rule_output_names_the_person_the_decision_the_reason_and_the_reference(written) -> None:
    _, frames = written
    for stem, frame in frames.items():
        assert list(frame.columns[:6]) == COMMON, stem
        assert list(frame.columns[-2:]) == ["reason", "reference"], stem
        assert ("status" in frame.columns) or ("finding" in frame.columns), stem
        assert frame["reason"].str.len().gt(0).all() and frame["reference"].str.len().gt(0).all(), stem


def test_the_payroll_output_pays_each_tier_in_whole_yuan_and_flags_a_recorded_death(written) -> None:
    people, frames = written
    pay = frames["payroll"].set_index("id_number")
    assert pay["amount"].dtype.kind == "i"
    assert pay.loc[people.loc[0, "id_number"], "amount"] == 25
    assert pay.loc[people.loc[1, "id_number"], "amount"] == 120
    assert pay.loc[people.loc[0, "id_number"], "status"] == "应发（请核实）"
    assert "病故" in pay.loc[people.loc[0, "id_number"], "reason"]
    assert pay.loc[people.loc[1, "id_number"], "status"] == "应发"


def test_the_education_output_has_one_decision_per_assessed_child(written) -> None:
    people, frames = written
    edu = frames["education"].set_index("id_number")
    assert edu.loc[people.loc[2, "id_number"], ["status", "amount"]].tolist() == ["符合", 1000]
    assert edu.loc[people.loc[3, "id_number"], ["status", "amount"]].tolist() == ["不符合", 0]


def test_the_guardianship_visit_and_referral_outputs_carry_their_findings(written) -> None:
    people, frames = written
    alone = people.loc[3, "id_number"]
    guard = frames["guardianship"]
    assert {"无人监护", "确认书已签订但未填委托监护人"} <= set(
        guard.loc[guard["id_number"] == alone, "finding"]
    )
    assert not (guard["id_number"] == people.loc[2, "id_number"]).any()
    visits = frames["visits"].set_index("id_number")
    assert set(visits.index) == {people.loc[2, "id_number"], alone}  # every left-behind child, one row each
    assert visits.loc[alone, "risk_level"] == "高" and visits.loc[alone, "finding"] == "无走访记录"
    ref = frames["referrals"]
    assert "控辍保学" in set(ref.loc[ref["id_number"] == alone, "finding"])


def test_a_township_the_rules_cannot_read_is_left_out_and_named_and_the_others_are_kept(
    tmp_path: Path,
) -> None:
    people = person_frame(PEOPLE)
    broken_town = people.loc[0, "township"]
    people.loc[people["township"] == broken_town, "sex"] = "未知"  # breaks the payroll's schema
    paths = write_rule_outputs(people, tmp_path / "run", month="2018-10", term="2018秋季", on=ON)
    problems = json.loads(paths["problems"].read_text(encoding="utf-8"))["townships_left_out"]
    assert list(problems) == [broken_town] and "未生成" in problems[broken_town]
    kept = people.loc[people["township"] != broken_town, "id_number"]
    for stem in ("payroll", "education", "guardianship", "visits", "referrals"):
        frame = pd.read_parquet(paths[stem])
        assert broken_town not in set(frame["township"]), stem
        assert set(frame["id_number"]) <= set(kept), stem
    assert len(pd.read_parquet(paths["payroll"])) == int((people.loc[kept.index, "age"] >= 80).sum())
