"""Form features of a ledger sheet: dropdowns that Excel accepts, however long the list of options."""

import openpyxl
import pandas as pd

from liushou_core.ledger import write_ledger
from liushou_core.ledgerform import OPTIONS_SHEET, FormLayout, long_lists, options_sheet

SHORT = ["男", "女"]
LONG = [f"第{i}村民委员会" for i in range(1, 41)]  # 40 names, 319 characters joined: over Excel's 255


def test_only_lists_over_255_characters_are_long_and_each_is_listed_once():
    assert len(",".join(LONG)) > 255
    assert long_lists([SHORT, LONG, LONG, []]) == [tuple(LONG)]


def test_a_long_list_is_offered_from_a_hidden_sheet_and_a_short_one_inline(tmp_path):
    options, ranges = options_sheet({"村（社区）": LONG})
    assert ranges == {tuple(LONG): f"='{OPTIONS_SHEET}'!$A$2:$A$41"}
    answers = pd.DataFrame({"字段": ["性别", "村（社区）"], "更正值": ["", ""]})
    path = write_ledger(
        tmp_path / "form.xlsx",
        {"问题清单": answers, OPTIONS_SHEET: options},
        total_row=False,
        row_unit=None,
        forms={
            "问题清单": FormLayout(
                answers=["更正值"], row_choices={"更正值": [SHORT, LONG]}, option_ranges=ranges
            ),
            OPTIONS_SHEET: FormLayout(hide_sheet=True),
        },
    )
    book = openpyxl.load_workbook(path)
    assert book[OPTIONS_SHEET].sheet_state == "hidden" and book["问题清单"].sheet_state == "visible"
    by_cell = {str(dv.sqref): dv.formula1 for dv in book["问题清单"].data_validations.dataValidation}
    assert by_cell == {"B2": '"男,女"', "B3": f"'{OPTIONS_SHEET}'!$A$2:$A$41"}
    assert [c.value for (c,) in book[OPTIONS_SHEET]["A2:A41"]] == LONG
