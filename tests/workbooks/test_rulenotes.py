"""Each section says its rule and cites its documents and the assumptions to confirm."""

from __future__ import annotations

from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.ledgers import (
    assistance_footers,
)
from liushou_core.workbooks.rulenotes import section_note


def test_each_section_cites_its_documents_and_the_assumptions_to_confirm(
    sections: dict[str, AssistanceSections],
) -> None:
    s = sections["蓬莱镇"]
    for section in ("payroll", "education", "guardianship", "visits", "referrals"):
        assert "依据：" in section_note(s, section).data, section
    assert "80–89岁 25 元/人/月" in section_note(s, "payroll").data
    assert "待确认：" in section_note(s, "visits").data  # the visit intervals are county settings
    assert assistance_footers(s)["高龄补贴花名册"][0] == "发放月份：2018年1月"
