"""The workbook tables: counts add up, issues land in their township, the ledger has the same numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from run_fixture import build_run, write_clean

from liushou_core.errors import ConfigError
from liushou_core.workbooks import workbook


@pytest.fixture(scope="module")
def run() -> dict[str, Any]:
    return build_run()


@pytest.fixture(scope="module")
def run_dir(run: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    write_clean(run, folder / "clean")
    return folder


def test_the_county_headline_is_the_sum_of_the_townships_in_code_order(
    run_dir: Path, run: dict[str, Any]
) -> None:
    table = workbook.headline_by_township(workbook.load_run(run_dir).people, "大英县")
    people = run["people"]
    assert list(table.index) == ["蓬莱镇", "隆盛镇", "回马镇", "大英县"]
    assert table.loc["大英县", "合计"] == len(people)
    for category, count in people["category"].value_counts().items():
        assert table.loc["大英县", category] == count
    assert (table.loc["大英县"] == table.iloc[:-1].sum()).all()
    assert (table["合计"] == table[["留守儿童", "留守妇女", "留守老人"]].sum(axis=1)).all()


def test_a_clean_folder_can_be_given_instead_of_a_run_folder(run_dir: Path) -> None:
    assert len(workbook.load_run(run_dir / "clean").people) == len(workbook.load_run(run_dir).people)


def test_counts_by_village_add_up_to_the_townships_register(run_dir: Path) -> None:
    data = workbook.load_run(run_dir, "蓬莱镇")
    table = workbook.counts_by_village(data.people)
    assert list(table.index) == ["梨子坝村委会", "凉湾村委会", "合计"]  # official code order, then 合计
    assert table.loc["合计", "合计"] == len(data.people)
    assert (table.loc["合计"] == table.drop(index="合计").sum()).all()


def test_every_input_row_of_a_township_is_accounted_for(run_dir: Path, run: dict[str, Any]) -> None:
    data = workbook.load_run(run_dir, "隆盛镇")
    table = workbook.accounting(data)["行数"]
    assert table["读入行数"] == table.drop("读入行数").sum()
    assert table["读入行数"] == int((run["rows"]["township"] == "隆盛镇").sum())
    assert table["核实名册"] == len(data.people)


def test_the_county_accounting_matches_summary_json(run_dir: Path, run: dict[str, Any]) -> None:
    table = workbook.accounting(workbook.load_run(run_dir))["行数"]
    assert table["读入行数"] == run["summary"]["rows_in"]
    assert table["待核实"] == run["summary"]["pending"]


def test_issues_belong_to_the_township_of_their_row_or_file(run_dir: Path) -> None:
    data = workbook.load_run(run_dir)
    whole_file = data.issues[data.issues["row_key"].isna()]
    assert (whole_file["township"] == whole_file["source_file"].str.removesuffix(".xlsx")).all()
    town = workbook.load_run(run_dir, "回马镇")
    assert set(town.issues["source_file"]) == {"回马镇.xlsx"}
    assert workbook.issues_by_rule(town.issues)["条数"].sum() == len(town.issues)


def test_errors_are_listed_first_with_chinese_titles(run_dir: Path) -> None:
    table = workbook.issues_by_rule(workbook.load_run(run_dir, "蓬莱镇").issues)
    assert table.iloc[0]["严重程度"] == "错误（待核实）"
    assert table.iloc[0]["问题"] == "身份证号校验码错误"


def test_the_pending_list_says_where_and_why(run_dir: Path) -> None:
    pending = workbook.pending_list(workbook.load_run(run_dir, "蓬莱镇"))
    assert len(pending) == 1
    row = pending.iloc[0]
    assert row["来源文件"] == "蓬莱镇.xlsx"
    assert "校验位不对" in row["原因"] and "电话" not in row["原因"]  # errors only: warnings do not block
    assert row["姓名"] == "待核实甲"


def test_issues_by_village_count_errors_and_warnings(run_dir: Path) -> None:
    data = workbook.load_run(run_dir, "蓬莱镇")
    table = workbook.issues_by_village(data.issues, data.rows)
    serious = data.issues["severity"].isin(["error", "warning"]).sum()
    assert table.loc["合计", "合计"] == serious


@pytest.mark.parametrize(("age", "band"), [(0, "0–5周岁"), (5, "0–5周岁"), (6, "6–13周岁"), (13, "6–13周岁"),
                                            (14, "14–16周岁"), (15, "14–16周岁")])  # fmt: skip
def test_children_fall_in_the_summary_tables_age_bands(age: int, band: str) -> None:
    assert workbook.child_age_bands(pd.Series([age])).iloc[0] == band


def test_not_collected_is_its_own_column_and_the_row_adds_up(run_dir: Path) -> None:
    people = workbook.load_run(run_dir, "隆盛镇").people
    table = workbook.children_by(people, "schooling")
    assert "未采集" in table.columns
    assert (table["儿童合计"] == table.drop(columns="儿童合计").sum(axis=1)).all()


def test_the_crossfoot_checks_pass_on_a_consistent_register(run_dir: Path) -> None:
    checks = workbook.crossfoot_checks(workbook.load_run(run_dir, "蓬莱镇").people)
    assert (checks["是否一致"] == "一致").all()
    summary = workbook.crossfoot_summary(checks)
    assert (summary["不一致的村（社区）数"] == 0).all()


def test_a_value_outside_the_vocabulary_fails_its_crossfoot_check_in_its_village(run_dir: Path) -> None:
    people = workbook.load_run(run_dir, "蓬莱镇").people.copy()
    child = people.index[(people["category"] == "留守儿童") & (people["village"] == "凉湾村委会")][0]
    people.loc[child, "schooling"] = "大学"
    checks = workbook.crossfoot_checks(people)
    bad = checks[checks["是否一致"] == "不一致"]
    assert set(bad["村（社区）"]) == {"凉湾村委会", workbook.ALL_VILLAGES}
    assert bad["核对项"].str.startswith("儿童就学情况").all()


def test_an_unknown_township_is_refused_with_the_known_ones(run_dir: Path) -> None:
    with pytest.raises(ConfigError, match="没有镇（乡）“天河镇”.*蓬莱镇"):
        workbook.load_run(run_dir, "天河镇")


def test_a_bad_register_stops_only_its_own_township(run: dict[str, Any], tmp_path: Path) -> None:
    broken = dict(run)
    people = run["people"].copy()
    people.loc[people["township"] == "回马镇", "sex"] = "未知"
    broken["people"] = people
    write_clean(broken, tmp_path / "clean")
    with pytest.raises(ConfigError, match="回马镇"):
        workbook.load_run(tmp_path, "回马镇")
    assert len(workbook.load_run(tmp_path, "蓬莱镇").people) > 0


def test_the_register_table_has_chinese_headers_and_every_person(run_dir: Path) -> None:
    people = workbook.load_run(run_dir, "隆盛镇").people
    table = workbook.register_table(people)
    assert len(table) == len(people)
    assert {"姓名", "公民身份号码", "村（社区）"} <= set(table.columns)


def test_the_ledger_totals_equal_the_register(run_dir: Path, tmp_path: Path) -> None:
    data = workbook.load_run(run_dir, "蓬莱镇")
    path = workbook.write_workbook_ledger(
        workbook.investigation_sheets(data), tmp_path / "inv.xlsx", title="蓬莱镇"
    )
    book = openpyxl.load_workbook(path)
    sheet = book["分村分类人数"]
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    header = values[1]
    total = next(r for r in values if isinstance(r[0], str) and r[0].startswith("合计"))
    # The writer's 合计 row is a SUBTOTAL formula; compare the rows it sums.
    body = [r for r in values[2:] if r is not total and r[0] is not None]
    expected = data.people["category"].value_counts().to_dict() | {"合计": len(data.people)}
    for column, count in expected.items():
        col = header.index(column)
        assert sum(r[col] for r in body) == count
        assert f"SUBTOTAL(9,{openpyxl.utils.get_column_letter(col + 1)}" in str(total[col])
    register = book["核实名册"]
    ids = [c.value for c in next(register.iter_cols(min_col=5, max_col=5))][2:]
    assert set(data.people["id_number"]) <= {v for v in ids if isinstance(v, str)}


def test_links_to_township_workbooks_are_relative_and_say_when_missing(tmp_path: Path) -> None:
    folder = tmp_path / "townships" / "蓬莱镇"
    folder.mkdir(parents=True)
    (folder / "investigation.html").write_text("<html></html>", encoding="utf-8")
    text = workbook.township_links(tmp_path, ["蓬莱镇", "隆盛镇"]).data
    assert "(../townships/蓬莱镇/investigation.html)" in text
    assert "隆盛镇 | （未生成） | （未生成）" in text


def test_a_township_with_only_pending_rows_still_gets_its_tables(run: dict[str, Any], tmp_path: Path) -> None:
    gone = run["people"]["township"] == "回马镇"
    rows = run["rows"].copy()
    rows.loc[rows["row_key"].isin(set(run["people"].loc[gone, "row_key"])), "fate"] = "pending"
    write_clean({**run, "people": run["people"][~gone], "rows": rows}, tmp_path / "clean")
    data = workbook.load_run(tmp_path, "回马镇")
    assert len(data.people) == 0
    sheets = workbook.investigation_sheets(data)
    assert sheets["数据核算"].set_index("项目").loc["核实名册", "行数"] == 0
    assert len(sheets["核实名册"]) == 0
    workbook.write_workbook_ledger(sheets, tmp_path / "inv.xlsx", title="回马镇")
    assert (workbook.crossfoot_checks(data.people)["是否一致"] == "一致").all()


# ------------------------------------------------------------------------------------ assistance workbook

MONTH, TERM, AS_OF = "2018-01", "2017秋季", "2017-12-31"


def _assistance_run() -> dict[str, Any]:
    """The tiny county with the facts the assistance rules read: household economy, parents, delegates,
    visits, one 90+ elder per township, one child with nobody looking after them (蓬莱镇, 凉湾村), and a
    baby born after the autumn term began."""
    run = build_run()
    people = run["people"].copy()
    kids = people["category"] == "留守儿童"
    order = people.groupby("township").cumcount()
    people.loc[kids, "father_status"] = "外出务工"
    people.loc[kids, "mother_status"] = "在家"
    people.loc[kids, "guardian_name"] = "张奶奶"
    people.loc[kids, "guardian_relation"] = "祖母"
    people.loc[kids, "household_economy"] = "一般"
    people.loc[kids & (order % 9 == 0), "household_economy"] = "低保户"  # the boarding pupil: 符合
    people.loc[kids & (order % 9 == 1), "household_economy"] = "建档立卡贫困户"  # a day pupil: 不符合
    people.loc[kids & (order % 9 == 3), "household_economy"] = pd.NA  # not collected
    people.loc[kids, "last_visit_date"] = pd.Timestamp("2017-06-01")
    people.loc[kids & (order % 9 == 2), "last_visit_date"] = pd.Timestamp("2017-12-20")
    alone = people.index[(people["township"] == "蓬莱镇") & (people["village"] == "凉湾村委会") & kids][0]
    people.loc[alone, ["mother_status", "guardian_name", "guardian_relation"]] = ["外出务工", pd.NA, pd.NA]
    oldest = people.index[people["birth_date"] == pd.Timestamp("1930-08-08")]
    people.loc[oldest[::2], ["birth_date", "age"]] = [pd.Timestamp("1925-03-03"), 92]
    baby = people.index[(people["township"] == "回马镇") & kids][2]
    people.loc[baby, ["birth_date", "age", "household_economy"]] = [pd.Timestamp("2017-10-10"), 0, "低保户"]
    return {**run, "people": people}


@pytest.fixture(scope="module")
def assistance_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("assistance")
    write_clean(_assistance_run(), folder / "clean")
    return folder


def _sections(run_dir: Path, township: str | None = None) -> workbook.AssistanceSections:
    people = workbook.load_run(run_dir, township).people
    return workbook.assistance_sections(
        people, payroll_month=MONTH, school_term=TERM, as_of=AS_OF, place=township or "大英县"
    )


@pytest.fixture(scope="module")
def sections(assistance_run: Path) -> dict[str, workbook.AssistanceSections]:
    """The rules run once per township and for the county (key 大英县)."""
    return {place: _sections(assistance_run, place) for place in ("蓬莱镇", "隆盛镇", "回马镇")} | {
        "大英县": _sections(assistance_run)
    }


@pytest.fixture(scope="module")
def ledger(
    sections: dict[str, workbook.AssistanceSections], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """蓬莱镇's assistance ledger."""
    s = sections["蓬莱镇"]
    path = tmp_path_factory.mktemp("ledger") / "assistance.xlsx"
    return workbook.write_workbook_ledger(
        workbook.assistance_sheets(s), path, title="蓬莱镇", footers=workbook.assistance_footers(s)
    )


def _sheet_rows(path: Path, sheet: str) -> tuple[list[Any], list[list[Any]], list[Any]]:
    """A ledger sheet read back with the cached values of its formulas: header, body rows, 合计 row."""
    values = [
        [c.value for c in row] for row in openpyxl.load_workbook(path, data_only=True)[sheet].iter_rows()
    ]
    header = values[1]
    total = next(r for r in values[2:] if isinstance(r[0], str) and r[0].startswith("合计"))
    body = [r for r in values[2 : values.index(total)] if r[0] is not None and "小计" not in str(r[0])]
    return header, body, total


def test_the_ledgers_payroll_roster_pays_to_the_yuan_what_the_payroll_rule_pays(
    sections: dict[str, workbook.AssistanceSections], ledger: Path
) -> None:
    from liushou_core.rules.allowances import payroll

    expected = payroll(sections["蓬莱镇"].people, MONTH)
    assert set(expected["tier"]) == {"80–89岁", "90–99岁"}  # the fixture has both tiers
    header, body, total = _sheet_rows(ledger, "高龄补贴花名册")
    amount = header.index("金额（元）")
    assert sum(r[amount] for r in body) == total[amount] == expected["amount"].sum()
    assert {r[header.index("公民身份号码")] for r in body} == set(expected["id_number"])
    header, body, total = _sheet_rows(ledger, "高龄补贴汇总")
    assert total[header.index("合计金额（元）")] == expected["amount"].sum()
    assert total[header.index("合计人数")] == len(expected)
    by_village = dict(
        zip([r[0] for r in body], [r[header.index("合计金额（元）")] for r in body], strict=True)
    )
    assert by_village == expected.groupby("village")["amount"].sum().to_dict()


def test_the_payroll_roster_has_a_subtotal_per_village(
    sections: dict[str, workbook.AssistanceSections], ledger: Path
) -> None:
    first = [c.value for c in next(openpyxl.load_workbook(ledger)["高龄补贴花名册"].iter_cols(max_col=1))]
    subtotals = {v.split(" 小计")[0] for v in first if isinstance(v, str) and "小计" in v}
    assert subtotals == set(sections["蓬莱镇"].payroll["village"])


def test_every_assistance_sheet_writes_id_numbers_as_text(ledger: Path) -> None:
    book = openpyxl.load_workbook(ledger)
    checked = 0
    for sheet in book.worksheets:
        header = [c.value for c in sheet[2]]
        if "公民身份号码" not in header:
            continue
        col = header.index("公民身份号码") + 1
        ids = [sheet.cell(row=r, column=col).value for r in range(3, sheet.max_row + 1)]
        assert all(isinstance(v, str) for v in ids if v is not None), sheet.title
        checked += 1
    assert checked >= 8


def test_a_child_with_nobody_is_a_hard_alert_shown_first(
    sections: dict[str, workbook.AssistanceSections], ledger: Path
) -> None:
    s = sections["蓬莱镇"]
    alerts = workbook.hard_alert_list(s)
    assert list(alerts["村（社区）"]) == ["凉湾村委会"]
    banner = workbook.alert_banner(s).data
    assert "紧急：1 名" in banner and "凉湾村委会 1 人" in banner and alerts["公民身份号码"][0] in banner
    assert openpyxl.load_workbook(ledger).sheetnames[:2] == ["概况", "无人监护（紧急）"]
    assert workbook.assistance_overview(s).loc["无人监护（紧急）", "人数"] == 1


def test_a_township_without_alerts_says_so_and_counts_the_children_it_could_not_judge(
    run_dir: Path,
) -> None:
    s = _sections(run_dir, "隆盛镇")  # the plain fixture: no parents' statuses recorded
    banner = workbook.alert_banner(s).data
    assert "未发现无人监护" in banner
    assert f"另有 {int((s.people['category'] == '留守儿童').sum())} 名" in banner


def test_education_to_verify_is_kept_apart_from_the_eligible_and_the_not_eligible(
    sections: dict[str, workbook.AssistanceSections],
) -> None:
    s = sections["隆盛镇"]
    eligible, pending = workbook.education_eligible(s), workbook.education_to_verify(s)
    assert len(eligible) > 0 and len(pending) > 0
    assert not set(eligible["公民身份号码"]) & set(pending["公民身份号码"])
    assert (eligible["资助标准（元/年）"] > 0).all()
    table = workbook.education_by_village(s)
    assert table.loc["合计", "符合（人）"] == len(eligible)
    assert table.loc["合计", "待核实（人）"] == len(pending)
    assert table.loc["合计", "资助标准合计（元/年）"] == eligible["资助标准（元/年）"].sum()
    assert workbook.education_not_eligible(s)["人数"].sum() == table.loc["合计", "不符合（人）"]


def test_a_baby_born_after_the_term_began_is_not_on_the_terms_list_but_is_still_checked_for_referrals(
    sections: dict[str, workbook.AssistanceSections],
) -> None:
    s = sections["回马镇"]
    baby = s.people.loc[s.people["birth_date"] == pd.Timestamp("2017-10-10"), "id_number"].iloc[0]
    assert baby not in set(s.education["id_number"])
    assert baby in set(s.people["id_number"])  # the referral rules ran on the whole register


def test_visits_by_risk_level_add_up_to_the_list_of_children_to_visit(
    sections: dict[str, workbook.AssistanceSections],
) -> None:
    s = sections["蓬莱镇"]
    table = workbook.visits_by_level(s)
    assert table.loc["合计", "需走访合计"] == len(workbook.visits_list(s)) > 0
    assert table.loc["合计", "儿童人数"] == len(s.risk) == workbook.risk_by_village(s).loc["合计", "儿童合计"]
    assert pd.isna(table.loc["合计", "走访周期（天）"])  # intervals are not added up


def test_township_assistance_counts_add_up_to_the_county(
    sections: dict[str, workbook.AssistanceSections],
) -> None:
    county = sections["大英县"]
    table = workbook.assistance_by_township(county, "大英县")
    assert list(table.index) == ["蓬莱镇", "隆盛镇", "回马镇", "大英县"]
    assert (table.loc["大英县"] == table.iloc[:-1].sum()).all()
    assert table.loc["大英县", "无人监护（人）"] == 1
    for town in ("蓬莱镇", "隆盛镇", "回马镇"):
        s, row = sections[town], table.loc[town]
        assert row["无人监护（人）"] == len(s.alerts)
        assert row["有监护问题的儿童（人）"] == s.gaps["id_number"].nunique()
        assert row["需走访的儿童（人）"] == len(s.visits)
        assert row["转介线索（人次）"] == len(s.referrals)
        assert row["教育救助符合（人）"] == len(workbook.education_eligible(s))
    payroll = workbook.payroll_by_township(county, "大英县")
    assert payroll.loc["大英县", "合计金额（元）"] == county.payroll["amount"].sum()
    assert (payroll.loc["大英县"] == payroll.iloc[:-1].sum()).all()


def test_the_county_ledger_has_the_payroll_and_assistance_by_township(
    assistance_run: Path, sections: dict[str, workbook.AssistanceSections], tmp_path: Path
) -> None:
    s = sections["大英县"]
    sheets = workbook.county_sheets(workbook.load_run(assistance_run), "大英县", s)
    path = workbook.write_workbook_ledger(sheets, tmp_path / "c.xlsx", title="县")
    header, body, total = _sheet_rows(path, "高龄补贴分镇汇总")
    assert [r[0] for r in body] == ["蓬莱镇", "隆盛镇", "回马镇"]
    assert total[header.index("合计金额（元）")] == s.payroll["amount"].sum()
    header, body, total = _sheet_rows(path, "帮扶救助分镇汇总")
    assert total[header.index("转介线索（人次）")] == len(s.referrals)


def test_each_section_cites_its_documents_and_the_assumptions_to_confirm(
    sections: dict[str, workbook.AssistanceSections],
) -> None:
    s = sections["蓬莱镇"]
    for section in ("payroll", "education", "guardianship", "visits", "referrals"):
        assert "依据：" in workbook.section_note(s, section).data, section
    assert "80–89岁 25 元/人/月" in workbook.section_note(s, "payroll").data
    assert "待确认：" in workbook.section_note(s, "visits").data  # the visit intervals are county settings
    assert workbook.assistance_footers(s)["高龄补贴花名册"][0] == "发放月份：2018年1月"


def test_a_township_with_only_pending_rows_gets_an_empty_assistance_ledger(
    run: dict[str, Any], tmp_path: Path
) -> None:
    gone = run["people"]["township"] == "回马镇"
    rows = run["rows"].copy()
    rows.loc[rows["row_key"].isin(set(run["people"].loc[gone, "row_key"])), "fate"] = "pending"
    write_clean({**run, "people": run["people"][~gone], "rows": rows}, tmp_path / "clean")
    s = _sections(tmp_path, "回马镇")
    sheets = workbook.assistance_sheets(s)
    lists = {
        name: df for name, df in sheets.items() if name not in ("概况", "走访汇总")
    }  # 走访汇总: one row per level
    assert all(len(df) == 0 for df in lists.values())
    assert (sheets["走访汇总"].drop(columns=["风险等级", "走访周期（天）"]) == 0).all().all()
    assert (sheets["概况"]["人数"] == 0).all()
    workbook.write_workbook_ledger(
        sheets, tmp_path / "a.xlsx", title="回马镇", footers=workbook.assistance_footers(s)
    )


@pytest.mark.slow
def test_the_assistance_and_county_notebooks_show_every_section_without_errors(
    assistance_run: Path, tmp_path: Path
) -> None:
    import nbformat

    from liushou_core.batch.execute import execute_notebook
    from liushou_core.batch.plan import NOTEBOOKS_DIR

    base = {"county": "大英县", "reference_date": AS_OF, "payroll_month": MONTH, "school_term": TERM,
            "as_of": AS_OF, "run_dir": str(assistance_run)}  # fmt: skip
    headings = {
        "assistance": ["紧急提醒：无人监护", "概况", "高龄补贴", "高龄补贴发放花名册", "教育救助", "待核实",
                       "监护缺失", "监护问题清单", "分层分级与家庭走访", "需走访的儿童", "转介", "转介清单"],
        "county": ["各镇（乡）人数", "帮扶救助要点", "高龄补贴", "数据核算", "各镇（乡）工作簿"],
    }  # fmt: skip
    for kind, extra in (("assistance", {"township": "蓬莱镇"}), ("county", {})):
        out = tmp_path / kind / f"{kind}.ipynb"
        execute_notebook(NOTEBOOKS_DIR / f"{kind}.ipynb", out, {**base, **extra, "out_dir": str(out.parent)})
        nb = nbformat.read(str(out), as_version=4)
        titles = {
            line.lstrip("#").strip()
            for c in nb.cells
            if c.cell_type == "markdown"
            for line in c.source.splitlines()
            if line.startswith("#")
        }
        assert {t.split("、")[-1] for t in titles} >= set(headings[kind]), kind
        outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"], kind
        assert (out.parent / f"{kind}.xlsx").exists()
    first_output = next(c for c in nb.cells if c.cell_type == "code" and c.outputs)
    assert "大英县" in str(first_output.outputs)
