"""The shared ledger writer: what a person opening the file in Excel relies on."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from liushou_core import ledger as ledger_module
from liushou_core.ledger import (
    FIELD_LABELS,
    label,
    needs_quote,
    safe_sheet_name,
    split_for_excel,
    write_ledger,
)


def roster() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "village": ["安山村委会", "安山村委会", "栏江村委会"],
            "name": ['=HYPERLINK("http://x")', "+8613800000000", "张三"],
            "id_number": ["510923193801010012", "510923193801010012", "51092319380101001X"],
            "phone": ["13800000000", None, "08257821104"],
            "birth_date": pd.to_datetime(["1938-01-01", None, "1930-05-05"]),
            "amount": [25, 25, 120],
        }
    )


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    return write_ledger(
        tmp_path / "out" / "花名册.xlsx",
        {"回马镇": roster(), "a/b:c[d]*?": roster().head(0)},
        titles={"回马镇": "回马镇高龄补贴发放花名册"},
        subtotal_by="village",
        money_columns=["amount"],
        footers=["依据：测试文件"],
    )


def cached_values(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_headers_are_in_chinese_below_the_title(ledger: Path) -> None:
    rows = cached_values(ledger, "回马镇")
    assert rows[0][0] == "回马镇高龄补贴发放花名册"
    assert rows[1] == ["村（社区）", "姓名", "公民身份号码", "联系电话", "出生日期", "金额（元）"]


def test_the_header_row_is_frozen_and_filtered(ledger: Path) -> None:
    ws = openpyxl.load_workbook(ledger)["回马镇"]
    assert ws.freeze_panes == "A3"
    assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith("A2:")


def test_ids_and_phones_are_text_not_numbers(ledger: Path) -> None:
    ws = openpyxl.load_workbook(ledger)["回马镇"]
    assert ws["C3"].data_type == "s" and ws["C3"].value == "510923193801010012"
    assert ws["D6"].value == "08257821104"  # the leading zero survives


def test_text_that_looks_like_a_formula_is_written_as_text(ledger: Path) -> None:
    ws = openpyxl.load_workbook(ledger)["回马镇"]
    assert ws["B3"].data_type == "s" and ws["B3"].value == '=HYPERLINK("http://x")'
    assert ws["B4"].data_type == "s" and ws["B4"].value == "+8613800000000"
    assert ws["B3"].quotePrefix


def test_villages_get_subtotals_and_the_sheet_a_total(ledger: Path) -> None:
    rows = cached_values(ledger, "回马镇")
    labelled = {r[0]: r[5] for r in rows if isinstance(r[0], str) and ("小计" in r[0] or "合计" in r[0])}
    assert labelled == {"安山村委会 小计（2人）": 50, "栏江村委会 小计（1人）": 120, "合计（3人）": 170}


def test_the_total_is_a_live_formula_that_skips_subtotals(ledger: Path) -> None:
    ws = openpyxl.load_workbook(ledger)["回马镇"]
    formulas = [c.value for c in ws["F"] if isinstance(c.value, str) and c.value.startswith("=")]
    assert formulas and all(f.startswith("=SUBTOTAL(9,") for f in formulas)


def test_dates_are_real_dates_and_blanks_stay_blank(ledger: Path) -> None:
    ws = openpyxl.load_workbook(ledger)["回马镇"]
    assert ws["E3"].is_date and ws["E3"].number_format == "yyyy-mm-dd"
    assert ws["E4"].value is None


def test_footers_follow_the_table(ledger: Path) -> None:
    rows = cached_values(ledger, "回马镇")
    assert rows[-1][0] == "依据：测试文件"


def test_an_unsafe_sheet_name_is_made_safe(ledger: Path) -> None:
    assert openpyxl.load_workbook(ledger).sheetnames == ["回马镇", "a_b_c_d___"]


def test_no_temporary_file_is_left_beside_the_ledger(ledger: Path) -> None:
    assert [p.name for p in ledger.parent.iterdir()] == ["花名册.xlsx"]


def test_a_failed_write_leaves_the_previous_ledger_intact(ledger: Path) -> None:
    before = ledger.read_bytes()
    with pytest.raises(TypeError):  # a footer that is not text fails half-way through writing
        write_ledger(ledger, {"x": roster()}, money_columns=["amount"], footers={"x": [object()]})  # type: ignore[list-item]
    assert ledger.read_bytes() == before
    assert [p.name for p in ledger.parent.iterdir()] == ["花名册.xlsx"]


SHEET_NAMES = [
    pytest.param("回马镇", [], "回马镇", id="a plain Chinese name is kept"),
    pytest.param("a[b]:c*d?e/f\\g", [], "a_b__c_d_e_f_g", id="characters Excel forbids are replaced"),
    pytest.param("x" * 40, [], "x" * 31, id="a long name is cut to 31 characters"),
    pytest.param("汇总", ["汇总"], "汇总(2)", id="a name already taken gets a number"),
    pytest.param("SUMMARY", ["summary"], "SUMMARY(2)", id="names differing only in case collide"),
    pytest.param("'quoted'", [], "quoted", id="leading and trailing apostrophes are dropped"),
    pytest.param("", [], "Sheet", id="an empty name becomes Sheet"),
]


@pytest.mark.parametrize(("name", "taken", "expected"), SHEET_NAMES)
def test_sheet_names_are_made_acceptable_to_excel(name: str, taken: list[str], expected: str) -> None:
    assert safe_sheet_name(name, taken) == expected


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_like_text_is_recognised(text: str) -> None:
    assert needs_quote(text)


def test_ordinary_text_is_not_quoted() -> None:
    assert not needs_quote("张三") and not needs_quote("510923193801010012")


def test_field_labels_cover_template_and_derived_columns() -> None:
    assert FIELD_LABELS["id_number"] == "公民身份号码"
    assert FIELD_LABELS["tier"] == "补贴档次"
    assert label("not_a_field") == "not_a_field"


def test_a_summary_sheet_total_does_not_count_people(tmp_path: Path) -> None:
    summary = pd.DataFrame({"township": ["蓬莱镇", "隆盛镇"], "people": [3, 4], "amount": [75, 100]})
    path = write_ledger(tmp_path / "s.xlsx", {"汇总": summary}, money_columns=["amount"],
                        sum_columns=["people", "amount"], row_unit={"汇总": None})  # fmt: skip
    assert cached_values(path, "汇总")[-1] == ["合计", 7, 175]


# --- issue 13, defect 13: a list longer than an Excel sheet is split over sheets, never truncated -------------


def _long_list(n: int, villages: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "village": [f"第{i * villages // n + 1}村" for i in range(n)],
            "name": [f"测试{i}" for i in range(n)],
            "id_number": [f"{i:018d}" for i in range(n)],
            "amount": [25] * n,
        }
    )


@pytest.mark.parametrize(("rows", "villages"), [(50, 4), (50, 1), (7, 7), (5, 2)])
def test_a_list_longer_than_a_sheet_is_split_over_sheets_and_every_row_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int, villages: int
) -> None:
    limit = 14
    monkeypatch.setattr(ledger_module, "EXCEL_MAX_ROWS", limit)
    df = _long_list(rows, villages)
    path = write_ledger(tmp_path / "l.xlsx", {"花名册": df}, titles="高龄补贴发放花名册", subtotal_by="village",
                        money_columns=["amount"], footers=["制表人："])  # fmt: skip
    book = CalamineWorkbook.from_path(str(path))
    grids = [book.get_sheet_by_name(n).to_python() for n in book.sheet_names]
    assert all(len(g) <= limit for g in grids)
    ids = [str(r[2]) for g in grids for r in g if len(str(r[2])) == 18 and str(r[2]).isdigit()]
    assert ids == list(df["id_number"])  # every row once, in order
    paid = sum(r[3] for g in grids for r in g if str(r[0]).startswith(("本表合计", "合计")))
    assert paid == 25 * rows
    if len(grids) > 1:
        assert book.sheet_names[0] == "花名册（1）" and "第1/" in str(grids[0][0][0])
        assert any("未删减" in str(r[0]) for r in grids[0])
    else:
        assert book.sheet_names == ["花名册"]


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=12),
    capacity=st.integers(min_value=2, max_value=15),
)
def test_splitting_keeps_every_row_once_in_order_within_the_capacity(sizes: list[int], capacity: int) -> None:
    keys = [f"v{g}" for g, n in enumerate(sizes) for _ in range(n)]
    df = pd.DataFrame({"village": keys, "x": range(len(keys))})
    parts = split_for_excel(df, capacity, "village")
    assert pd.concat(parts)["x"].tolist() == df["x"].tolist()
    for part in parts:
        groups = int((part["village"] != part["village"].shift()).sum())
        assert len(part) + groups <= capacity


def test_every_printed_page_says_which_page_of_how_many(ledger: Path) -> None:
    wb = openpyxl.load_workbook(ledger)
    for ws in wb.worksheets:
        assert ws.oddFooter.center.text == "第 &P 页 / 共 &N 页", ws.title


def test_a_title_wider_than_a_narrow_sheet_wraps_instead_of_being_cut(tmp_path: Path) -> None:
    title = "大英县回马镇农村留守儿童受委托监护人身份证号未采集名单（2017年12月31日）"
    path = write_ledger(
        tmp_path / "窄.xlsx", {"窄": pd.DataFrame({"people": [3]})}, titles=title, row_unit=None
    )
    ws = openpyxl.load_workbook(path)["窄"]
    width = sum((ws.column_dimensions[c].width or 8.43) for c in "A")
    lines = ws.row_dimensions[1].height / 24
    assert ws["A1"].alignment.wrap_text
    # 14 pt characters, two units each for Chinese: the lines hold the whole title
    assert lines * width >= len(title) * 2 * 1.4


def test_a_summed_count_column_has_one_number_format_body_and_totals(tmp_path: Path) -> None:
    counts = pd.DataFrame(
        {"village": ["安山村委会", "栏江村委会"], "people": [1200, 34], "amount": [30000, 850]}
    )
    path = write_ledger(
        tmp_path / "汇总.xlsx", {"汇总": counts}, money_columns=["amount"], sum_columns=["people", "amount"],
        row_unit=None,
    )  # fmt: skip
    ws = openpyxl.load_workbook(path)["汇总"]
    body_row, total_row = 2, 4
    for col in "BC":
        body, total = ws[f"{col}{body_row}"].number_format, ws[f"{col}{total_row}"].number_format
        assert body == total, (col, body, total)
    assert ws["A4"].value == "合计"


def test_a_form_keeps_a_dropdown_whose_values_fill_excels_limit(tmp_path: Path) -> None:
    from liushou_core.ledger import FormLayout

    villages = [f"第{i:03d}号村" for i in range(42)]  # 42 × 6 characters: 293 with commas, too long
    fitting = villages[:36]  # 36 × 6 + 35 commas = 251 characters: fits, its message ("可选：…") does not
    df = pd.DataFrame({"字段": ["村（社区）", "村（社区）"], "更正值": ["", ""]})
    form = FormLayout(answers=["更正值"], row_choices={"更正值": [fitting, villages]}, prompt="请选择")
    path = write_ledger(tmp_path / "form.xlsx", {"清单": df}, forms={"清单": form}, total_row=False)
    ws = openpyxl.load_workbook(path)["清单"]
    (dv,) = ws.data_validations.dataValidation
    assert str(dv.sqref) == "B2" and dv.formula1.count(",") == 35 and len(dv.error) <= 255
    assert ws.protection.sheet and not ws["B2"].protection.locked and ws["A2"].protection.locked
