"""The corrections loop on the sample county: every kind of problem its 问题数据清单 hold (pending rows of each
rule, warnings, duplicates) is answered as a cadre would, and every answer comes back applied."""

from datetime import date

import pandas as pd
import pytest
from test_roundtrip import Form, clean, dropdown_lists

from liushou_core.cleaning.problemlist import choices_for
from liushou_core.sample import write_sample
from liushou_core.values.codebook import load_codebook
from liushou_core.values.idcard import make_id

FACT = {"months_away": "12", "father_status": "外出务工", "mother_status": "外出务工", "husband_status": "外出务工",
        "children_status": "全部外出", "agreement_signed": "已签订", "boarding": "否", "guardianship_grade": "一般",
        "health": "健康", "household_economy": "一般", "schooling": "小学"}  # fmt: skip


def answer(problem: dict[str, str], truth: pd.Series | None, township: str, village: str) -> str:
    """What a cadre who checked the household register types for one problem of the list."""
    rule, field = problem["问题"], problem["字段"]
    true_id = str(truth["id_number"]) if truth is not None and isinstance(truth["id_number"], str) else None
    if field == "公民身份号码":  # the key keeps the ID as typed for some mistakes: a valid one, unique
        return make_id("510923", date(1950, 1, 1), 500 + len(rule) + sum(map(ord, problem["行标识"])) % 400)
    if field == "出生日期":
        return f"{true_id[6:10]}-{true_id[10:12]}-{true_id[12:14]}" if true_id else "1950-01-01"
    if field == "性别":
        return ("男" if int(true_id[16]) % 2 else "女") if true_id else "男"
    if field == "姓名":
        return "张三"
    if field == "镇（乡）":
        return township
    if field == "村（社区）":  # picked from the dropdown: the short name
        assert village.removesuffix("委会").removesuffix("居") in choices_for(
            field, load_codebook(), township
        )
        return village.removesuffix("委会").removesuffix("居")
    if field == "委托监护人身份证号":
        return make_id("510923", date(1960, 3, 3), 11)
    if field in ("联系电话", "委托监护人电话"):
        return "13812345678"
    if "日期" in field:
        return "2017-06-01"
    if field == "人员类别":
        known = truth["category"] if truth is not None and isinstance(truth["category"], str) else ""
        return known or "留守老人"  # a pending row has no true category in the key: any choice will do
    raise AssertionError(f"no answer for {rule} / {field}")


@pytest.mark.slow
def test_every_kind_of_problem_on_the_sample_countys_lists_comes_back_applied(tmp_path):
    sample = write_sample(tmp_path / "returns")
    key = sample.key.assign(source_sheet=sample.key["source_sheet"].fillna("")).set_index(
        ["source_file", "source_sheet", "source_row"]
    )
    assert clean(tmp_path / "returns", tmp_path / "run1") in (0, 1)
    people = pd.read_parquet(tmp_path / "run1" / "people.parquet")
    kinds: dict[tuple[str, str], str] = {}
    answered: list[tuple[str, str, str, str]] = []  # row key, field header, problem, answer
    withdrawn: list[str] = []  # one person a township takes off the register (处理决定 = 删除)
    (tmp_path / "回收清单").mkdir()
    for path in sorted((tmp_path / "run1" / "问题数据清单").glob("*.xlsx")):
        dropdown_lists(path)  # every dropdown valid in Excel (蓬莱镇's villages from a hidden sheet)
        township = path.name.split("_")[0]
        village = people.loc[people["township"].eq(township), "village"].iloc[0]
        form = Form(path)
        ws = form.sheet("问题清单")
        at, cols = Form.header(ws, "更正值")
        for r in range(at + 1, ws.max_row + 1):
            cell = {h: str(ws.cell(r, c).value or "") for h, c in cols.items()}
            kind = (cell["问题"], cell["字段"])
            if kind in kinds or cell["问题"] in (
                "表头以外的内容",
                "文件无法读取",
                "找不到表头",
                "缺少必填列",
            ):
                continue
            where = (cell["文件"], cell["工作表"], int(cell["行号"]))
            truth = key.loc[where] if where in key.index else None
            if cell["字段"] in FACT_HEADERS:
                typed = FACT[FACT_HEADERS[cell["字段"]]]
            else:
                typed = answer(cell, truth, township, village)
            ws.cell(r, cols["更正值"]).value = typed
            kinds[kind] = cell["行标识"]
            answered.append((cell["行标识"], cell["字段"], cell["问题"], typed))
        answered_keys = {k for k, _, _, _ in answered}
        for r in range(at + 1, ws.max_row + 1):
            key_cell = str(ws.cell(r, cols["行标识"]).value or "")
            if (
                not withdrawn
                and ws.cell(r, cols["问题"]).value == "不符合认定条件"
                and key_cell not in answered_keys
            ):
                ws.cell(r, cols["处理决定"]).value = "删除"
                withdrawn.append(key_cell)
        dups = form.sheet("重复登记")
        if dups.max_row > 2 and not any(k == ("重复登记", "") for k in kinds):
            dat, dcols = Form.header(dups, "查重决定")
            dups.cell(dat + 2, dcols["查重决定"]).value = "保留"  # keep the second row of the first group
            kinds[("重复登记", "")] = str(dups.cell(dat + 2, dcols["行标识"]).value)
        form.save(tmp_path / "回收清单" / path.name)

    # every rule of the lists, warnings and pending rows alike, was answered at least once
    issues = pd.read_parquet(tmp_path / "run1" / "issues.parquet")
    listed = issues[issues["severity"].isin(["error", "warning"]) & issues["row_key"].notna()]
    assert {k[0] for k in kinds} >= {"重复登记"} and len({k[0] for k in kinds}) >= listed["rule"].nunique()

    assert clean(tmp_path / "returns", tmp_path / "run2", tmp_path / "回收清单") in (0, 1)
    log = pd.read_parquet(tmp_path / "run2" / "corrections_log.parquet")
    failed = log[log["status"].ne("applied")]
    assert failed.empty, failed[["row_key", "field", "message"]].to_string()
    assert (log["kind"] == "correction").sum() == len({(k, f) for k, f, _, _ in answered})
    assert log.loc[log["kind"].eq("withdrawal"), "row_key"].tolist() == withdrawn and len(withdrawn) == 1
    rows = pd.read_parquet(tmp_path / "run2" / "rows.parquet").set_index("row_key")
    assert rows.loc[withdrawn[0], ["fate", "reason"]].tolist() == ["skipped", "skip_withdrawn"]
    summary = pd.read_json(tmp_path / "run2" / "summary.json", typ="series")
    assert summary["rows_in"] == sum(
        summary[k] for k in ("people", "pending", "duplicates_merged", "skipped")
    )
    decided = pd.read_parquet(tmp_path / "run2" / "decisions_log.parquet")
    assert decided["status"].eq("applied").all() and len(decided) >= 1
    # and the problem answered is gone from the row (an ID typed from the household register clears it)
    after = pd.read_parquet(tmp_path / "run2" / "issues.parquet")
    still = after.merge(
        pd.DataFrame(answered, columns=["row_key", "字段", "问题", "typed"]).query("字段 == '公民身份号码'"),
        on="row_key",
    )
    assert not still["rule"].str.startswith("id_").any(), still[["row_key", "rule", "message"]]


FACT_HEADERS = {
    h: f
    for f, h in {
        "months_away": "外出时长（月）", "father_status": "父亲状况", "mother_status": "母亲状况",
        "husband_status": "丈夫状况", "children_status": "子女状况", "agreement_signed": "委托监护确认书",
        "boarding": "是否寄宿", "guardianship_grade": "监护情况", "health": "健康状况",
        "household_economy": "家庭经济状况", "schooling": "就学情况",
    }.items()
}  # fmt: skip
