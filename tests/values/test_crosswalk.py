"""Division codes across vintages: the 2019 township reform exactly, the bureau's 2020 mapping checked on load."""

import numpy as np
import pandas as pd
import pytest

from liushou_core.errors import InputFileError, LiushouError
from liushou_core.values import crosswalk, divisions

# The reference note's figures (shared/reference/README.md), written out here rather than read from the code.
TOWNSHIPS_2019 = {
    "盐井街道": 21, "蓬莱镇": 54, "隆盛镇": 55, "回马镇": 22, "天保镇": 23, "河边镇": 50,
    "卓筒井镇": 23, "玉峰镇": 43, "象山镇": 21, "金元镇": 24,
}  # fmt: skip
UNITS_2020 = {
    "盐井街道": 20, "蓬莱镇": 30, "隆盛镇": 32, "回马镇": 13, "天保镇": 12, "河边镇": 28,
    "卓筒井镇": 13, "玉峰镇": 22, "象山镇": 12, "金元镇": 14,
}  # fmt: skip


def cw_row(code_2018: str) -> pd.Series:
    cw = crosswalk.crosswalk_2018_2019().set_index("code_2018")
    return cw.loc[code_2018]


def test_the_2019_list_has_336_units_in_yanjing_and_the_nine_towns():
    d = crosswalk.divisions_at(2019)
    assert len(d) == 336
    assert d.groupby("township").size().to_dict() == TOWNSHIPS_2019
    assert not d["township"].isin(["通仙乡", "智水乡"]).any()


def test_yanjing_took_twelve_residents_committees_and_nine_villages_of_penglai():
    d = crosswalk.divisions_at(2019)
    yj = d[d["township"] == "盐井街道"]
    kind = yj["village_code"].str[-3:].astype(int).lt(200)
    assert (int(kind.sum()), int((~kind).sum())) == (12, 9)
    cw = crosswalk.crosswalk_2018_2019()
    assert set(cw.loc[cw["township_2019"] == "盐井街道", "township_2018"]) == {"蓬莱镇"}


def test_a_unit_moved_to_yanjing_keeps_its_last_three_digits_and_its_name():
    row = cw_row("510923100002")
    assert (row["code_2019"], row["village_2019"], row["township_2019"]) == (
        "510923001002",
        "田坝子社区居委会",
        "盐井街道",
    )


def test_tongxian_and_zhishui_units_are_recoded_into_the_ranges_the_official_list_uses():
    cw = crosswalk.crosswalk_2018_2019()
    tx = cw[cw["township_2018"] == "通仙乡"]
    zs = cw[cw["township_2018"] == "智水乡"]
    assert set(tx["code_2019"]) == {f"510923100{n:03d}" for n in [15, 16, *range(250, 261)]}
    assert set(zs["code_2019"]) == {f"510923106{n:03d}" for n in [4, *range(233, 239)]}
    assert set(tx["township_2019"]) == {"蓬莱镇"} and set(zs["township_2019"]) == {"玉峰镇"}
    assert set(tx["basis"]) == set(zs["basis"]) == {"merged_order"}


@pytest.mark.parametrize(
    ("code", "name"),
    [("510923101241", "飞钟村委会"), ("510923104232", "栏江村委会"), ("510923100001", "朝阳社区居委会")],
)
def test_units_the_reform_did_not_touch_keep_code_and_name(code, name):
    row = cw_row(code)
    assert (row["code_2019"], row["village_2019"], row["basis"]) == (code, name, "unchanged")


def test_the_crosswalk_is_one_to_one_and_no_2018_code_means_another_unit_in_2019():
    cw = crosswalk.crosswalk_2018_2019()
    assert cw["code_2018"].is_unique and cw["code_2019"].is_unique and len(cw) == 336
    reused = cw[cw["code_2019"].isin(cw["code_2018"]) & cw["code_2019"].ne(cw["code_2018"])]
    assert reused.empty


def test_people_coded_in_either_vintage_land_in_the_same_2019_units():
    cw = crosswalk.crosswalk_2018_2019()
    old = pd.DataFrame({"village_code": cw["code_2018"], "who": range(336)})
    new = pd.DataFrame({"village_code": cw["code_2019"], "who": range(336)})
    a, b = crosswalk.express_in(old, 2019), crosswalk.express_in(new, 2019)
    pd.testing.assert_frame_equal(a, b)
    assert a.groupby("township").size().to_dict() == TOWNSHIPS_2019


def test_a_2019_code_is_expressed_back_in_its_2018_unit():
    got = crosswalk.express_in(pd.DataFrame({"village_code": ["510923001002", "510923106233"]}), 2018)
    assert got["village_code"].tolist() == ["510923100002", "510923202200"]
    assert got["township"].tolist() == ["蓬莱镇", "智水乡"]


def test_a_code_of_no_vintage_is_an_error_naming_it():
    with pytest.raises(LiushouError, match="510923999999"):
        crosswalk.express_in(pd.DataFrame({"village_code": ["510923999999"]}), 2019)


def test_the_newest_vintage_shows_in_the_codes():
    assert crosswalk.newest_vintage(pd.Series(["510923101241", "510923001002"])) == 2019
    assert crosswalk.newest_vintage(pd.Series(["510923101241", "510923200001"])) == 2018


def test_the_2020_villages_are_not_shipped_so_asking_for_them_says_to_use_the_bureaus_mapping():
    with pytest.raises(LiushouError, match="对照表"):
        crosswalk.divisions_at(2020)
    with pytest.raises(LiushouError, match="对照表"):
        crosswalk.mapping(2020)


@pytest.mark.parametrize(
    ("township", "village", "code"),
    [
        ("盐井街道", "田坝子社区", "510923001002"),
        ("盐井", "太吉村", "510923001222"),
        ("蓬莱镇", "通仙社区", "510923100015"),
        ("玉峰镇", "智水村", "510923106238"),
        ("蓬莱镇", "田坝子社区", "510923100002"),  # the 2018 naming still resolves, to the 2018 code
        ("通仙乡", "洋溪村", "510923200210"),
    ],
)
def test_names_of_either_vintage_resolve_to_the_unit_they_name(township, village, code):
    t = divisions.resolve_townships(pd.Series([township]))
    v = divisions.resolve_villages(t["township_code"], pd.Series([village]))
    assert v["village_code"].tolist() == [code]
    assert v["village_match"].tolist() == [divisions.RESOLVED]


def test_a_unit_written_in_a_township_it_never_belonged_to_is_unknown():
    t = divisions.resolve_townships(pd.Series(["盐井街道"]))
    v = divisions.resolve_villages(t["township_code"], pd.Series(["朝阳社区"]))  # stayed in 蓬莱镇
    assert v["village_match"].tolist() == [divisions.UNKNOWN]


# ----- the bureau's 2020 mapping ---------------------------------------------------------------------------


def filled_form() -> pd.DataFrame:
    """A filled-in form with the official number of 2020 units per township: each township's 2019 units in
    code order, split into that many runs, each run named after its first unit."""
    form = crosswalk.bureau_template()
    d = crosswalk.divisions_at(2019)
    towns = crosswalk.townships_at(2020).set_index("township")
    for town, units in d.groupby("township"):
        runs = np.array_split(np.arange(len(units)), int(towns.loc[town, "villages"]))
        for run in runs:
            rows = units.index[run]
            form.loc[rows, "2020年村级代码"] = units.loc[rows[0], "village_code"]
            form.loc[rows, "2020年村（社区）"] = units.loc[rows[0], "village"]
    return form


def test_the_template_lists_every_2019_unit_with_empty_2020_columns(tmp_path):
    path = crosswalk.write_bureau_template(tmp_path / "对照表.xlsx")
    back = pd.read_excel(path, dtype=str, engine="calamine").fillna("")
    assert len(back) == 336 and list(back.columns) == list(crosswalk.BUREAU_HEADERS.values())
    assert back["2019年村级代码"].str.fullmatch(r"510923\d{6}").all()
    assert back["2020年村级代码"].eq("").all()


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_filled_in_form_is_read_back_and_gives_196_units_of_2020(tmp_path, suffix):
    path = tmp_path / f"对照表{suffix}"
    form = filled_form()
    if suffix == ".csv":
        form.to_csv(path, index=False, encoding="gbk")
    else:
        form.to_excel(path, index=False)
    bureau = crosswalk.read_bureau_crosswalk(path)
    assert len(bureau) == 336
    old = pd.DataFrame({"village_code": crosswalk.crosswalk_2018_2019()["code_2018"]})
    got = crosswalk.express_in(old, 2020, bureau=bureau)
    assert got.groupby("township")["village_code"].nunique().to_dict() == UNITS_2020


def setting(row: int, column: str, value=None, *, like: int | None = None):
    """A change to the filled-in form: one cell set to ``value`` (or to the cell of row ``like``)."""

    def change(form: pd.DataFrame) -> pd.DataFrame:
        form.loc[row, column] = form.loc[like, column] if like is not None else value
        return form

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(index=5), "缺少 1 个 2019 年村级单位"),
        (setting(7, "2019年村级代码", like=6), "第 9 行.*重复出现"),
        (setting(3, "2020年村级代码", "51092310"), "第 5 行.*12 位"),
        (setting(3, "2020年村级代码", "510923200201"), "第 5 行.*不是 2020 年的镇"),
        (setting(3, "2020年村（社区）", ""), "第 5 行.*未填写"),
        (setting(1, "2020年村（社区）", "新名村委会"), "不同的名称"),
        (setting(1, "2020年村级代码", "510923001003"), "应有 20 个"),
    ],
)
def test_every_mistake_in_the_bureaus_form_is_reported_with_its_row_and_column(change, message):
    with pytest.raises(InputFileError, match=message):
        crosswalk.validate_bureau_crosswalk(change(filled_form()), source="对照表.xlsx")


def test_a_form_without_the_2020_columns_is_refused_naming_them():
    form = crosswalk.bureau_template().drop(columns=["2020年村级代码"])
    with pytest.raises(InputFileError, match="缺少列：2020年村级代码"):
        crosswalk.validate_bureau_crosswalk(form)
