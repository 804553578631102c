"""The county overview: township links, the assistance by township adds up to the county."""

from __future__ import annotations

from pathlib import Path

from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.overview import assistance_by_township, township_links
from liushou_core.workbooks.payments import education_eligible, payroll_by_township


def test_links_to_township_workbooks_are_relative_and_say_when_missing(tmp_path: Path) -> None:
    folder = tmp_path / "townships" / "蓬莱镇"
    folder.mkdir(parents=True)
    (folder / "investigation.html").write_text("<html></html>", encoding="utf-8")
    text = township_links(tmp_path, ["蓬莱镇", "隆盛镇"]).data
    assert "(../townships/蓬莱镇/investigation.html)" in text
    assert "隆盛镇 | （未生成） | （未生成）" in text


def test_township_assistance_counts_add_up_to_the_county(
    sections: dict[str, AssistanceSections],
) -> None:
    county = sections["大英县"]
    table = assistance_by_township(county, "大英县")
    assert list(table.index) == ["蓬莱镇", "隆盛镇", "回马镇", "大英县"]
    assert (table.loc["大英县"] == table.iloc[:-1].sum()).all()
    assert table.loc["大英县", "无人监护（人）"] == 1
    for town in ("蓬莱镇", "隆盛镇", "回马镇"):
        s, row = sections[town], table.loc[town]
        assert row["无人监护（人）"] == len(s.alerts)
        worst = s.gaps.groupby("id_number")["severity"].agg(set)
        assert row["监护需整改的儿童（人）"] == sum("需整改" in sev for sev in worst)
        assert row["监护信息待核实的儿童（人）"] == sum("待核实" in sev for sev in worst)
        assert row["需走访的儿童（人）"] == len(s.visits)
        assert row["转介线索（人次）"] == len(s.referrals)
        assert row["教育救助符合（人）"] == len(education_eligible(s))
    payroll = payroll_by_township(county, "大英县")
    assert payroll.loc["大英县", "合计金额（元）"] == county.payroll["amount"].sum()
    assert (payroll.loc["大英县"] == payroll.iloc[:-1].sum()).all()


def test_children_whose_guardian_facts_were_only_not_collected_are_not_counted_as_problems(
    sections: dict[str, AssistanceSections],
) -> None:
    # 河边镇 showed 900 "有监护问题的儿童" — every child — when 893 only lacked the delegate's ID column.
    table = assistance_by_township(sections["大英县"], "大英县")
    assert "有监护问题的儿童（人）" not in table.columns
    gaps = sections["大英县"].gaps
    only_unknown = gaps.groupby("id_number")["severity"].agg(set).map(lambda sev: sev == {"待核实"})
    assert only_unknown.any()  # the fixture has such children …
    fixable = gaps[gaps["severity"] == "需整改"]["id_number"].nunique()
    assert table.loc["大英县", "监护需整改的儿童（人）"] == fixable  # … and they are not in 需整改
