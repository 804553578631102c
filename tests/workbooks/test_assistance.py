"""Running the five rules for a workbook: each on its own period or date."""

from __future__ import annotations

import pandas as pd

from liushou_core.workbooks.assistance import AssistanceSections


def test_a_baby_born_after_the_term_began_is_not_on_the_terms_list_but_is_still_checked_for_referrals(
    sections: dict[str, AssistanceSections],
) -> None:
    s = sections["回马镇"]
    baby = s.people.loc[s.people["birth_date"] == pd.Timestamp("2017-10-10"), "id_number"].iloc[0]
    assert baby not in set(s.education["id_number"])
    assert baby in set(s.people["id_number"])  # the referral rules ran on the whole register
