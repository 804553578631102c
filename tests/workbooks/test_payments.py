"""The money sections: education assistance to verify is kept apart."""

from __future__ import annotations

from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.payments import (
    education_by_village,
    education_eligible,
    education_not_eligible,
    education_to_verify,
)


def test_education_to_verify_is_kept_apart_from_the_eligible_and_the_not_eligible(
    sections: dict[str, AssistanceSections],
) -> None:
    s = sections["隆盛镇"]
    eligible, pending = education_eligible(s), education_to_verify(s)
    assert len(eligible) > 0 and len(pending) > 0
    assert not set(eligible["公民身份号码"]) & set(pending["公民身份号码"])
    assert (eligible["资助标准（元/年）"] > 0).all()
    table = education_by_village(s)
    assert table.loc["合计", "符合（人）"] == len(eligible)
    assert table.loc["合计", "待核实（人）"] == len(pending)
    assert table.loc["合计", "资助标准合计（元/年）"] == eligible["资助标准（元/年）"].sum()
    assert education_not_eligible(s)["人数"].sum() == table.loc["合计", "不符合（人）"]
