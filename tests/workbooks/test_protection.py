"""The child-protection sections: 无人监护 alerts first, visits add up."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
from workbook_runs import sections_for

from liushou_core.workbooks.assistance import AssistanceSections, assistance_overview
from liushou_core.workbooks.protection import (
    alert_banner,
    gaps_by_village,
    hard_alert_list,
    risk_by_village,
    visits_by_level,
    visits_list,
)


def test_a_child_with_nobody_is_a_hard_alert_shown_first(
    sections: dict[str, AssistanceSections], ledger: Path
) -> None:
    s = sections["蓬莱镇"]
    alerts = hard_alert_list(s)
    assert list(alerts["村（社区）"]) == ["凉湾村委会"]
    banner = alert_banner(s).data
    assert "紧急：1 名" in banner and "凉湾村委会 1 人" in banner and alerts["公民身份号码"][0] in banner
    assert openpyxl.load_workbook(ledger).sheetnames[:2] == ["概况", "无人监护（紧急）"]
    assert assistance_overview(s).loc["无人监护（紧急）", "人数"] == 1


def test_the_county_box_counts_the_alerts_per_township(sections: dict[str, AssistanceSections]) -> None:
    county = sections["大英县"]
    banner = alert_banner(county, by="township").data
    expected = county.alerts.groupby("township").size()
    assert f"紧急：{len(county.alerts)} 名" in banner
    for town, n in expected.items():
        assert f"{town} {n} 人" in banner
    assert "镇（乡）会同村（社区）" in banner


def test_a_township_without_alerts_says_so_and_counts_the_children_it_could_not_judge(
    run_dir: Path,
) -> None:
    s = sections_for(run_dir, "隆盛镇")  # the plain fixture: no parents' statuses recorded
    banner = alert_banner(s).data
    assert "未发现无人监护" in banner
    assert f"另有 {int((s.people['category'] == '留守儿童').sum())} 名" in banner


def test_visits_by_risk_level_add_up_to_the_list_of_children_to_visit(
    sections: dict[str, AssistanceSections],
) -> None:
    s = sections["蓬莱镇"]
    table = visits_by_level(s)
    assert table.loc["合计", "需走访合计"] == len(visits_list(s)) > 0
    assert table.loc["合计", "儿童人数"] == len(s.risk) == risk_by_village(s).loc["合计", "儿童合计"]
    assert pd.isna(table.loc["合计", "走访周期（天）"])  # intervals are not added up


def test_children_only_missing_facts_are_counted_apart_from_those_to_act_on(
    sections: dict[str, AssistanceSections],
) -> None:
    # 公安局's copy showed 900 涉及儿童 for 河边镇 when 893 only lacked the delegate's ID column.
    s = sections["大英县"]
    table = gaps_by_village(s)
    per_child = s.gaps.groupby("id_number")["severity"].agg(set)
    act = per_child.map(lambda sev: bool(sev & {"紧急", "需整改"}))
    assert "涉及儿童（人）" not in table.columns
    assert table.loc["合计", "紧急或需整改的儿童（人）"] == act.sum()
    assert table.loc["合计", "仅待核实的儿童（人）"] == (~act).sum() > 0
