"""Normalisation, finding by finding: one cadre's mistake in an otherwise clean row gives exactly the finding a
village cadre is shown for it, on the field it concerns (the end-to-end answer-key check is tests/test_county.py).

Each case writes a one-person return as a township would (a CSV with the template's Chinese header), reads it
with intake and normalises it; the base row is a left-behind child in 回马镇团结村委会 with nothing wrong."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from stdnum.cn.ric import calc_check_digit

from liushou_core.cleaning.intake import read_returns
from liushou_core.cleaning.normalise import normalise
from liushou_core.values.codebook import load_codebook
from liushou_core.values.idcard import make_id

REFERENCE = dt.date(2017, 12, 31)
BORN = dt.date(2008, 5, 3)
ID = make_id("510923", BORN, 11)  # a boy (odd sequence), born 2008-05-03, Daying County
WRONG_CHECK_DIGIT = ID[:-1] + ("0" if ID[-1] != "0" else "1")
ID_15 = ID[:6] + ID[8:17]  # the same person's 15-digit number (before 1999)
# 13th month, with the right check digit (python-stdnum's, not ours; it ignores the last character it is
# given): only the birth date is wrong
NO_SUCH_BIRTH_DATE = ID[:6] + "20081303" + ID[14:17] + calc_check_digit(ID[:6] + "20081303" + ID[14:17] + "?")

BASE = {
    "镇（乡）": "回马镇", "村（社区）": "团结村委会", "组": "3组", "姓名": "张小明", "性别": "男",
    "公民身份号码": ID, "人员类别": "留守儿童", "出生日期": "2008-05-03", "父亲状况": "外出务工",
    "母亲状况": "外出务工", "委托监护人": "张大山", "与儿童关系": "祖父", "委托监护人身份证号": "",
    "委托监护人电话": "13812345678", "最近走访日期": "2017-11-02",
}  # fmt: skip

CASES = [
    pytest.param({}, None, None, id="a clean row has no finding"),
    pytest.param({"姓名": ""}, "name_missing", "name", id="an empty name is name_missing"),
    pytest.param({"姓名": "<b>张伟</b>"}, "name_markup", "name", id="a name holding markup is name_markup"),
    pytest.param({"姓名": "=1+1"}, "name_formula", "name", id="a name starting like a formula is name_formula"),
    pytest.param({"姓名": "李娜13812345678"}, "name_digits", "name", id="a name holding digits is name_digits"),
    pytest.param({"公民身份号码": ""}, "id_missing", "id_number", id="an empty ID is id_missing"),
    pytest.param({"公民身份号码": "5.10923E+17"}, "id_excel_mangled", "id_number",
                 id="an ID Excel turned into scientific notation is id_excel_mangled"),
    pytest.param({"公民身份号码": ID[:17]}, "id_format", "id_number", id="a 17-character ID is id_format"),
    pytest.param({"公民身份号码": WRONG_CHECK_DIGIT}, "id_checksum", "id_number",
                 id="an ID with a wrong check digit is id_checksum"),
    pytest.param({"公民身份号码": NO_SUCH_BIRTH_DATE}, "id_birth_date", "id_number",
                 id="an ID whose birth date does not exist is id_birth_date"),
    pytest.param({"公民身份号码": ID_15}, "id_upgraded_15", "id_number",
                 id="a 15-digit ID is upgraded and reported as id_upgraded_15"),
    pytest.param({"公民身份号码": " ".join([ID[:6], ID[6:14], ID[14:]])}, "id_normalised", "id_number",
                 id="an ID typed with spaces is read and reported as id_normalised"),
    pytest.param({"出生日期": "2008-06-03"}, "birth_date_mismatch", "birth_date",
                 id="a typed birth date that disagrees with the ID is birth_date_mismatch"),
    pytest.param({"出生日期": "去年"}, "birth_date_invalid", "birth_date",
                 id="a birth date that is not a date is birth_date_invalid"),
    pytest.param({"性别": "女"}, "sex_mismatch", "sex", id="a typed sex that disagrees with the ID is sex_mismatch"),
    pytest.param({"性别": "未知"}, "sex_invalid", "sex", id="a sex that is neither 男 nor 女 is sex_invalid"),
    pytest.param({"镇（乡）": ""}, "township_missing", "township", id="an empty township is township_missing"),
    pytest.param({"镇（乡）": "火星镇"}, "township_unknown", "township",
                 id="a township not in the county is township_unknown"),
    pytest.param({"镇（乡）": "回马"}, "division_alias", "township",
                 id="a township's short name is resolved and reported as division_alias"),
    pytest.param({"村（社区）": ""}, "village_missing", "village", id="an empty village is village_missing"),
    pytest.param({"村（社区）": "不存在村"}, "village_unknown", "village",
                 id="a village not in the township is village_unknown"),
    pytest.param({"父亲状况": "出差"}, "value_unknown", "father_status",
                 id="a father's status outside the codebook is value_unknown"),
    pytest.param({"最近走访日期": "上个月"}, "date_invalid", "last_visit_date",
                 id="a visit date that is not a date is date_invalid"),
    pytest.param({"委托监护人电话": "12345"}, "phone_invalid", "guardian_phone",
                 id="a delegate's phone that is no phone number is phone_invalid"),
    pytest.param({"委托监护人身份证号": WRONG_CHECK_DIGIT}, "guardian_id_invalid", "guardian_id_number",
                 id="a delegate's ID with a wrong check digit is guardian_id_invalid"),
]  # fmt: skip


def findings_of(tmp_path: Path, changes: dict[str, str]) -> pd.DataFrame:
    row = {**BASE, **changes}
    path = tmp_path / "回马镇.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    rows = read_returns([path]).rows
    rows = rows[rows["skip_rule"].isna()].reset_index(drop=True)
    assert len(rows) == 1, "the row is a person, not a skipped row"
    _, found = normalise(rows, REFERENCE, load_codebook())
    return found


@pytest.mark.parametrize(("changes", "rule", "field"), CASES)
def test_each_mistake_gives_its_finding_on_its_field(
    tmp_path: Path, changes: dict[str, str], rule: str | None, field: str | None
) -> None:
    found = findings_of(tmp_path, changes)
    if rule is None:
        assert found.empty, found.to_dict("records")
        return
    assert (rule, field) in set(zip(found["rule"], found["field"], strict=True)), found.to_dict("records")
    # the mistake is the only one: no other rule fires on a field the case did not touch
    others = found[found["rule"] != rule]
    assert others.empty or set(others["field"]) <= {field, "birth_date", "sex"}, others.to_dict("records")
