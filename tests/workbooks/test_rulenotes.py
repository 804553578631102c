"""Each section says its rule and cites its documents and the assumptions to confirm."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from workbook_runs import MONTH

from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.ledgers import assistance_footers, write_payroll_ledger
from liushou_core.workbooks.rulenotes import rule_text, section_note


def test_each_section_cites_its_documents_and_the_assumptions_to_confirm(
    sections: dict[str, AssistanceSections],
) -> None:
    s = sections["蓬莱镇"]
    for section in ("payroll", "education", "guardianship", "visits", "referrals"):
        assert "依据：" in section_note(s, section).data, section
    assert "80–89岁 25 元/人/月" in section_note(s, "payroll").data
    assert "待确认：" in section_note(s, "visits").data  # the visit intervals are county settings
    assert assistance_footers(s)["高龄补贴花名册"][0] == "发放月份：2018年1月"


def test_an_unknown_section_is_refused(sections: dict[str, AssistanceSections]) -> None:
    with pytest.raises(ValueError, match="pension"):
        rule_text(sections["蓬莱镇"], "pension")


def test_the_roster_ledger_states_the_standard_as_the_notebook_does(
    sections: dict[str, AssistanceSections], tmp_path: Path
) -> None:
    s = sections["蓬莱镇"]
    path = write_payroll_ledger(tmp_path / "roster.xlsx", s.payroll, MONTH, s.params)
    rows = openpyxl.load_workbook(path)["蓬莱镇"].iter_rows(values_only=True)
    standard = next(str(r[0]) for r in rows if str(r[0]).startswith("标准："))
    # 2018-01 under the next_month rule (params/allowances/old_age_start_rule.yaml)
    assert (
        standard
        == "标准：80–89岁 25 元/人/月；90–99岁 120 元/人/月；100岁及以上 350 元/人/月（年满次月起按新档发放，不补差）"
    )
    assert "年满次月起按新档发放，不补差" in rule_text(s, "payroll")
