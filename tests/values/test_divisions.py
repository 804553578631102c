"""The official 2018 list and the resolution of the names cadres type."""

import pandas as pd
import pytest

from liushou_core.values import divisions


def test_the_2018_list_has_11_townships_and_336_village_level_units():
    d = divisions.load_divisions()
    assert len(d) == 336
    assert d["village_code"].is_unique
    t = divisions.townships()
    assert len(t) == 11
    assert t.set_index("township")["villages"].to_dict()["蓬莱镇"] == 62
    assert (d["village_code"].str[:9] == d["township_code"]).all()


def test_village_kind_follows_the_last_three_digits():
    d = divisions.load_divisions().set_index("village_code")
    assert d.loc["510923100001", "village_kind"] == "社区"
    assert d.loc["510923104232", "village_kind"] == "村"
    assert (d["village_kind"] == "社区").sum() == 37


def test_lookup_by_code():
    assert divisions.township_name("510923102") == "回马镇"
    assert divisions.village("510923104232")["village"] == "栏江村委会"
    with pytest.raises(KeyError):
        divisions.township_name("510923999")


@pytest.mark.parametrize(
    ("typed", "official"),
    [
        ("回马", "回马镇"),
        ("回马镇", "回马镇"),
        (" 卓筒井 ", "卓筒井镇"),
        ("通仙", "通仙乡"),
    ],
    ids=[
        "a short form resolves",
        "the official name resolves",
        "spaces are ignored",
        "a 乡 resolves by its stem",
    ],
)
def test_township_names_resolve(typed, official):
    r = divisions.resolve_townships(pd.Series([typed]))
    assert r.loc[0, "township"] == official
    assert r.loc[0, "township_match"] == divisions.RESOLVED


def test_an_unknown_or_empty_township_is_not_guessed():
    r = divisions.resolve_townships(pd.Series(["拦江镇", None]))
    assert r["township_match"].tolist() == [divisions.UNKNOWN, divisions.MISSING]
    assert r["township_code"].isna().all()


@pytest.mark.parametrize(
    ("township_code", "typed", "official", "match"),
    [
        ("510923104", "安山村", "安山村委会", "resolved"),
        ("510923104", "安山", "安山村委会", "resolved"),
        ("510923104", "安山村委会", "安山村委会", "resolved"),
        ("510923104", "拦江", "栏江村委会", "resolved"),
        ("510923104", "拦江村", "栏江村委会", "resolved"),
        ("510923104", "星花村", "星花村委会", "resolved"),
        ("510923104", "星花社区", "星花社区居委会", "resolved"),
        ("510923104", "星花", None, "ambiguous"),
        ("510923102", "团结村", "团结村委会", "resolved"),
        ("510923102", "金竹", "金竹村委会", "resolved"),
        ("510923102", "金竹街社区", "金竹街社区居委会", "resolved"),
        ("510923101", "溪江社区", "隆盛镇溪江社区", "resolved"),
        ("510923108", "高笋堰村", "高笋埝村委会", "resolved"),
        ("510923108", "金竹村", None, "unknown"),
        ("510923104", None, None, "missing"),
    ],
    ids=[
        "a village with 村 resolves to its 村委会",
        "a bare stem resolves when only one unit has it",
        "the official name resolves",
        "the variant character 拦 resolves to 栏江村委会",
        "拦江村 resolves to 栏江村委会",
        "星花村 is the villagers' committee",
        "星花社区 is the residents' committee",
        "星花 alone fits both and is never guessed",
        "团结村 in 回马镇 resolves inside its township",
        "金竹 in 回马镇 is 金竹村委会, not 金竹街社区",
        "金竹街社区 is the residents' committee",
        "a unit published with its township prefix resolves without it",
        "the 2016 name 高笋堰 resolves to 高笋埝村委会",
        "金竹村 does not exist in 金元镇 (金竹湾村委会 does)",
        "an empty village is missing",
    ],
)
def test_village_names_resolve_inside_their_township(township_code, typed, official, match):
    r = divisions.resolve_villages(pd.Series([township_code]), pd.Series([typed], dtype="string"))
    assert r.loc[0, "village_match"] == match
    if official is None:
        assert pd.isna(r.loc[0, "village"])
    else:
        assert r.loc[0, "village"] == official


def test_the_same_village_name_in_two_townships_resolves_to_two_codes():
    r = divisions.resolve_villages(pd.Series(["510923102", "510923106"]), pd.Series(["团结村", "团结村"]))
    assert r["village_code"].tolist() == ["510923102204", "510923106215"]


def test_a_village_of_an_unknown_township_is_unknown():
    r = divisions.resolve_villages(pd.Series([None], dtype="string"), pd.Series(["安山村"]))
    assert r.loc[0, "village_match"] == divisions.UNKNOWN
