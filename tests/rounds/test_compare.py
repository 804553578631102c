"""The change register of two survey rounds: who entered, who left and why, who moved, what changed.

Small purpose-made rounds check each rule; the sample county's 2018 and 2019 rounds, cleaned, are compared at
the end and the change register is checked against the generator's truth (``_changes_key.csv``).
"""

import datetime as dt
import json

import openpyxl
import pandas as pd
import pytest
from person_frames import make_id, person_frame

from liushou_core.cli import main
from liushou_core.errors import LiushouError
from liushou_core.rounds import compare
from liushou_core.values import crosswalk

OLD, NEW = "2017-12-31", "2018-12-31"
TIANBAZI_2018 = ("510923100", "蓬莱镇", "510923100002", "田坝子社区居委会")
TIANBAZI_2019 = ("510923001", "盐井街道", "510923001002", "田坝子社区居委会")
FEIZHONG = ("510923101", "隆盛镇", "510923101241", "飞钟村委会")
ZHAOBA = ("510923101", "隆盛镇", "510923101201", "赵坝村委会")
HUIMA = ("510923102", "回马镇", "510923102208", "金竹村委会")

CHILD_AWAY = {"father_status": "外出务工", "mother_status": "外出务工", "months_away": 24}
WOMAN_AWAY = {"sex": "女", "husband_status": "外出务工", "months_away": 24}
ELDER_AWAY = {"children_status": "全部外出", "months_away": 24}


def person(key: str, birth: str, place=FEIZHONG, **facts):
    """A person of a round: ``key`` makes the ID (the same key in both rounds is the same person)."""
    sex = facts.pop("sex", "男")
    seq = sum(map(ord, key)) % 400
    tc, t, vc, v = place
    return {"id_number": make_id(dt.date.fromisoformat(birth), sex, seq), "birth_date": birth, "sex": sex,
            "name": key, "township_code": tc, "township": t, "village_code": vc, "village": v, **facts}  # fmt: skip


def round_of(rows, ref, pending=None) -> compare.Round:
    people = person_frame(rows, reference_date=ref)
    return compare.Round(people, pending, dt.date.fromisoformat(ref))


def pending_of(rows, ref=NEW, reason="not_qualified") -> pd.DataFrame:
    """Pending rows as the cleaner writes them (valid ID, the facts, the first error as ``reason``)."""
    p = person_frame(rows, reference_date=ref).drop(columns=["category"])
    return p.assign(id_status="valid", reason=reason)


# One small county of cases, compared once: each person below is one rule of the module doc.
G_OLD = make_id(dt.date(1950, 1, 1), "女", 7)
G_NEW = make_id(dt.date(1952, 2, 2), "男", 9)
KEPT_CHILD = dict(CHILD_AWAY, guardian_name="王秀英", guardian_id_number=G_OLD, agreement_signed="未签订",
                  household_economy="建档立卡贫困户", health="健康", schooling="小学")  # fmt: skip
OLD_ROWS = [
    person("甲", "2002-06-01", **CHILD_AWAY),  # turns 16, no longer listed
    person("乙", "1930-03-01", **ELDER_AWAY),  # not listed again
    person("丙", "2010-05-05", **CHILD_AWAY),  # not listed again
    person("丁", "2010-05-06", **CHILD_AWAY),  # listed again: father at home
    person("戊", "1980-01-01", **WOMAN_AWAY),  # listed again: husband at home
    person("己", "1940-01-01", **ELDER_AWAY),  # listed again: some children away
    person("庚", "1980-01-02", **WOMAN_AWAY),  # listed again: husband away for 3 months
    person("辛", "1980-01-03", **WOMAN_AWAY),  # listed again, pending for a missing fact
    person("巳", "1940-01-02", TIANBAZI_2018, **ELDER_AWAY),  # re-coded into 盐井街道
    person("午", "1940-01-03", FEIZHONG, **ELDER_AWAY),  # moves to another village
    person("未", "1941-01-01", FEIZHONG, **ELDER_AWAY),  # moves to another township
    person(
        "申", "2008-01-01", **KEPT_CHILD
    ),  # a new guardian, an agreement, out of poverty, health not collected
    person(
        "酉", "2008-01-02", **dict(CHILD_AWAY, guardian_name="王秀英", guardian_id_number="51092319500101")
    ),
    person("戌", "1958-10-01", **WOMAN_AWAY),  # turns 60, all children away: an elder now
]
NEW_ROWS = [
    person("巳", "1940-01-02", TIANBAZI_2019, **ELDER_AWAY),
    person("午", "1940-01-03", ZHAOBA, **ELDER_AWAY),
    person("未", "1941-01-01", HUIMA, **ELDER_AWAY),
    person(
        "申",
        "2008-01-01",
        **dict(
            KEPT_CHILD,
            guardian_name="李建国",
            guardian_id_number=G_NEW,
            agreement_signed="已签订",
            household_economy="一般",
            health=pd.NA,
        ),
    ),  # fmt: skip
    person("酉", "2008-01-02", **dict(CHILD_AWAY, guardian_name="王秀英", guardian_id_number=G_OLD)),
    person("戌", "1958-10-01", **dict(WOMAN_AWAY, category="留守老人", children_status="全部外出")),
    person("壬", "2018-03-01", **CHILD_AWAY),
    person("癸", "1958-06-30", **ELDER_AWAY),
    person("子", "2009-01-01", **{**CHILD_AWAY, "months_away": 5}),
    person("丑", "1985-01-01", **{**WOMAN_AWAY, "months_away": 8}),
    person("寅", "1945-01-01", **{**ELDER_AWAY, "months_away": 7}),
    person("卯", "2009-01-02", **CHILD_AWAY),
    person("辰", "1940-01-04", **ELDER_AWAY),  # pending last round for its village
]
LISTED = {
    "丁": {"father_status": "在家"},
    "戊": {"husband_status": "在家"},
    "己": {"children_status": "部分外出"},
    "庚": {"months_away": 3},
}


@pytest.fixture(scope="module")
def cases() -> compare.Comparison:
    by_name = {r["name"]: r for r in OLD_ROWS}
    listed = pending_of([{**by_name[k], **v} for k, v in LISTED.items()])
    broken = pending_of([{**by_name["辛"], "husband_status": "在家"}], reason="facts_missing")
    was_pending = pending_of([r for r in NEW_ROWS if r["name"] == "辰"], ref=OLD, reason="village_unknown")
    new_pending = pd.concat([listed, broken], ignore_index=True)
    return compare.compare(round_of(OLD_ROWS, OLD, was_pending), round_of(NEW_ROWS, NEW, new_pending))


def one(c: compare.Comparison, key: str) -> pd.Series:
    return c.register.set_index("name").loc[key]


def test_every_person_of_either_round_has_one_row(cases):
    assert sorted(cases.register["name"]) == sorted({r["name"] for r in OLD_ROWS + NEW_ROWS})


# ----- exits -----------------------------------------------------------------------------------------------


def test_a_child_who_turned_16_left_for_age_even_when_no_longer_listed(cases):
    row = one(cases, "甲")
    assert (row["change"], row["reason"], row["reason_label"]) == ("left", "turned_16", "年满16周岁")


def test_a_person_missing_from_the_new_round_is_not_found_never_presumed_dead(cases):
    for key in ("乙", "丙"):
        assert (one(cases, key)["reason"], one(cases, key)["reason_label"]) == ("not_found", "未找到")


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("丁", "parent_returned"),
        ("戊", "husband_returned"),
        ("己", "children_returned"),
        ("庚", "away_too_short"),
    ],
)
def test_a_person_listed_again_with_a_fact_that_no_longer_qualifies_left_for_that_fact(cases, key, reason):
    row = one(cases, key)
    assert (row["change"], row["reason"]) == ("left", reason)
    assert row["source_new"].startswith("test.xlsx")


def test_a_person_listed_again_but_pending_for_a_data_problem_is_pending_not_an_exit_by_facts(cases):
    row = one(cases, "辛")
    assert (row["reason"], row["reason_label"]) == ("pending", "本轮待核实")
    assert "认定信息缺失" in row["detail"]


# ----- entries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "reason"),
    [("壬", "born"), ("癸", "turned_60"), ("子", "parent_left"), ("丑", "husband_left"), ("寅", "children_left"),
     ("卯", "unexplained"), ("辰", "previously_pending")],
)  # fmt: skip
def test_a_new_person_entered_for_the_reason_the_dates_and_facts_give(cases, key, reason):
    row = one(cases, key)
    assert (row["change"], row["reason"]) == ("entered", reason)


# ----- people in both rounds ----------------------------------------------------------------------------------


def test_a_unit_recoded_by_the_2019_reform_is_not_a_move_and_counts_in_yanjing_in_both_rounds(cases):
    row = one(cases, "巳")
    assert (row["change"], row["moved"], row["township"], row["township_old"]) == (
        "stayed",
        "",
        "盐井街道",
        "盐井街道",
    )
    table = compare.by_township(cases.register)
    assert table.loc["盐井街道", ["上轮人数", "本轮人数"]].tolist() == [1, 1]
    assert cases.vintage == 2019


def test_moves_between_villages_and_townships_are_flagged_and_balance_by_township(cases):
    assert (one(cases, "午")["moved_label"], one(cases, "未")["moved_label"]) == ("跨村迁移", "跨乡镇迁移")
    t = compare.by_township(cases.register)
    assert t.loc["回马镇", "迁入"] == 1 and t.loc["隆盛镇", "迁出"] == 1
    body = t.drop(index="合计")
    assert (
        body["上轮人数"] + body["新增"] - body["退出"] + body["迁入"] - body["迁出"] == body["本轮人数"]
    ).all()


def test_changed_circumstances_are_listed_and_a_field_not_collected_in_one_round_is_no_change(cases):
    assert one(cases, "申")["changed"] == "委托监护人、委托监护确认书、家庭经济状况"
    d = cases.details[cases.details["name"] == "申"].set_index("field")
    assert (
        d.loc["guardian", "old"] == f"王秀英（{G_OLD}）" and d.loc["guardian", "new"] == f"李建国（{G_NEW}）"
    )
    assert "health" not in d.index


def test_a_guardian_without_a_valid_id_in_one_round_is_compared_by_name(cases):
    assert one(cases, "酉")["changed"] == ""


def test_a_woman_turning_60_with_every_child_away_stays_as_an_elder_and_the_categories_balance(cases):
    row = one(cases, "戌")
    assert (row["change"], row["reason"], row["category_old"], row["category_new"]) == (
        "stayed", "turned_60", "留守妇女", "留守老人",
    )  # fmt: skip
    t = compare.by_category(cases.register)
    assert t.loc["留守妇女", "类别转出"] == 1 and t.loc["留守老人", "类别转入"] == 1
    assert (t["上轮人数"] + t["新增"] - t["退出"] + t["类别转入"] - t["类别转出"] == t["本轮人数"]).all()


def test_entries_and_exits_are_tabulated_by_reason_and_category(cases):
    t = compare.by_reason(cases.register, cases.labels)
    assert t.loc[("退出", "未找到"), "合计"] == 2
    assert t.loc[("新增", "新出生"), "留守儿童"] == 1
    assert t["合计"].sum() == cases.register["change"].isin(["entered", "left"]).sum()


def test_a_townships_part_has_the_people_there_now_or_before_and_counts_like_the_county_table(cases):
    assert {"午", "未"} <= set(compare.for_township(cases, "隆盛镇").register["name"])
    assert set(compare.for_township(cases, "回马镇").register["name"]) == {"未"}
    table = compare.by_township(cases.register)
    for town in ("隆盛镇", "回马镇", "盐井街道"):
        s = compare.for_township(cases, town).summary()
        assert (s["people_old"], s["people_new"]) == tuple(table.loc[town, ["上轮人数", "本轮人数"]])


def test_rounds_given_in_the_wrong_order_are_refused_naming_both_dates():
    with pytest.raises(LiushouError, match="2017-12-31.*2018-12-31"):
        compare.compare(round_of([], NEW), round_of([], OLD))


def test_with_the_bureaus_2020_mapping_both_rounds_count_in_the_2020_units():
    from test_crosswalk import filled_form

    bureau = crosswalk.validate_bureau_crosswalk(filled_form())
    old = round_of([person("亥", "1940-01-01", TIANBAZI_2018, **ELDER_AWAY)], OLD)
    new = round_of([person("亥", "1940-01-01", TIANBAZI_2019, **ELDER_AWAY)], NEW)
    c = compare.compare(old, new, bureau=bureau)
    assert c.vintage == 2020
    row = one(c, "亥")
    assert (row["moved"], row["township"], row["village_code"]) == ("", "盐井街道", "510923001002")


# ----- files and the command ---------------------------------------------------------------------------------


def write_round(folder, rnd: compare.Round):
    folder.mkdir(parents=True)
    rnd.people.to_parquet(folder / "people.parquet")
    if rnd.pending is not None:
        rnd.pending.to_parquet(folder / "pending.parquet")
    (folder / "summary.json").write_text(json.dumps({"reference_date": rnd.reference_date.isoformat()}))


def test_the_command_writes_the_register_its_details_and_a_ledger_with_chinese_headers(tmp_path, capsys):
    old = round_of([person("甲", "2002-06-01", **CHILD_AWAY), person("乙", "1940-01-01", **ELDER_AWAY)], OLD)
    new = round_of(
        [person("乙", "1940-01-01", ZHAOBA, **ELDER_AWAY), person("壬", "2018-03-01", **CHILD_AWAY)], NEW
    )
    write_round(tmp_path / "2017", old)
    write_round(tmp_path / "2018", new)
    assert (
        main(["compare", str(tmp_path / "2017"), str(tmp_path / "2018"), "--out", str(tmp_path / "out")]) == 0
    )
    assert "新增 1 人" in capsys.readouterr().out
    back = compare.read_comparison(tmp_path / "out")
    assert back.register.set_index("name")["reason"].to_dict() == {
        "甲": "turned_16",
        "乙": "stayed",
        "壬": "born",
    }
    wb = openpyxl.load_workbook(tmp_path / "out" / "变动名册.xlsx", read_only=True)
    assert {"按原因汇总", "按镇（乡）汇总", "新增名单", "退出名单", "迁移名单", "变动明细"} <= set(
        wb.sheetnames
    )
    header = [c for row in wb["退出名单"].iter_rows(min_row=1, max_row=3, values_only=True) for c in row if c]
    assert {"姓名", "公民身份号码", "原因", "依据"} <= set(header)
    wb.close()


def test_the_command_names_a_folder_that_was_never_cleaned(tmp_path, capsys):
    assert main(["compare", str(tmp_path / "无"), str(tmp_path / "无2"), "--out", str(tmp_path / "out")]) == 2
    assert "people.parquet" in capsys.readouterr().err


# ----- the sample county's 2018 and 2019 rounds against the generator's truth ------------------------------------


@pytest.fixture(scope="module")
def rounds(tmp_path_factory):
    from liushou_core.cleaning.pipeline import clean_to_dir
    from liushou_core.sample import write_sample
    from liushou_core.sample.rounds import read_changes_key

    root = tmp_path_factory.mktemp("rounds")
    write_sample(root / "2018", seed=7)
    write_sample(root / "2019", seed=7, survey_round=2019)
    clean_to_dir([root / "2018"], root / "clean2018", dt.date(2017, 12, 31))
    clean_to_dir([root / "2019"], root / "clean2019", dt.date(2018, 12, 31))
    c = compare.compare_dirs(root / "clean2018", root / "clean2019", root / "changes")
    key = read_changes_key(root / "2019" / "_changes_key.csv")
    both = key.merge(c.register, on="id_number", how="outer", indicator=True)
    return root, c, key, both


@pytest.mark.slow
def test_every_person_of_either_sample_round_is_in_the_change_register_once(rounds):
    _, c, key, both = rounds
    assert both["_merge"].eq("both").all()
    old = pd.read_parquet(rounds[0] / "clean2018" / "people.parquet")
    new = pd.read_parquet(rounds[0] / "clean2019" / "people.parquet")
    assert set(c.register["id_number"]) == set(old["id_number"]) | set(new["id_number"])


@pytest.mark.slow
def test_entries_exits_and_their_reasons_are_the_generators_truth(rounds):
    _, _, _, both = rounds
    assert (both["change"] == both["expected_change"]).all()
    wrong = both[both["reason"] != both["expected_reason"]]
    assert wrong.empty, wrong[["event", "expected_reason", "reason", "detail"]].head()
    # the truth has deaths and moves out of the county, and the register calls them only "not found"
    gone = both[both["event"].isin(["died", "moved_out"])]
    assert len(gone) > 0 and gone["reason"].eq("not_found").all()


@pytest.mark.slow
def test_moves_are_the_generators_truth_and_reform_recodings_are_not_moves(rounds):
    _, _, _, both = rounds  # the key's columns end in _x, the register's in _y
    assert (both["moved_y"] == both["moved_x"]).all()
    assert both["moved_x"].eq("township").sum() > 0 and both["moved_x"].eq("village").sum() > 0
    recoded = both[both["township_old"].eq("盐井街道") & both["change"].eq("stayed")]
    assert len(recoded) > 0 and recoded["moved_y"].eq("").mean() > 0.9


@pytest.mark.slow
def test_changed_circumstances_agree_with_the_truth_wherever_both_rounds_filled_them_in(rounds):
    root, c, _, both = rounds
    old = pd.read_parquet(root / "clean2018" / "people.parquet").set_index("id_number")
    new = pd.read_parquet(root / "clean2019" / "people.parquet").set_index("id_number")
    stayed = both[both["change"].eq("stayed")].set_index("id_number")
    o, n = old.loc[stayed.index], new.loc[stayed.index]
    for field, label in (("agreement_signed", "委托监护确认书"), ("household_economy", "家庭经济状况"),
                         ("health", "健康状况"), ("schooling", "就学情况"), ("guardian", "委托监护人")):  # fmt: skip
        col = "guardian_name" if field == "guardian" else field
        filled = o[col].notna() & n[col].notna()
        truth = stayed["changed_x"].str.split(";").map(lambda fs, f=field: f in fs)[filled]
        got = stayed["changed_y"].str.split("、").map(lambda ls, lb=label: lb in ls)[filled]
        assert truth.sum() > 0 and (truth == got).all(), field


@pytest.mark.slow
def test_both_rounds_count_in_the_ten_townships_of_2019_and_the_counts_balance(rounds):
    root, c, _, _ = rounds
    t = compare.by_township(c.register, crosswalk.townships_at(2019)).drop(index="合计")
    assert list(t.index) == list(crosswalk.townships_at(2019)["township"])
    assert (t["上轮人数"] + t["新增"] - t["退出"] + t["迁入"] - t["迁出"] == t["本轮人数"]).all()
    s = json.loads((root / "clean2018" / "summary.json").read_text(encoding="utf-8"))
    assert t["上轮人数"].sum() == s["people"]
    assert (root / "changes" / "变动名册.xlsx").is_file()


# ----- liushou run with a previous round ------------------------------------------------------------------------


def _stub_templates(folder):
    """Stand-ins for the other workbooks (they have their own tests), and the real changes.ipynb."""
    import shutil

    import nbformat

    from liushou_core.batch import run as batch

    folder.mkdir(parents=True)
    for kind in ("investigation", "assistance", "county"):
        params = nbformat.v4.new_code_cell('township = ""\nrun_dir = "."\nout_dir = "."')
        params.metadata["tags"] = ["parameters"]
        nb = nbformat.v4.new_notebook(cells=[params, nbformat.v4.new_code_cell("pass")])
        nb.metadata["kernelspec"] = {
            "name": "liushou",
            "display_name": "Python (liushou)",
            "language": "python",
        }
        nbformat.write(nb, str(folder / f"{kind}.ipynb"))
    shutil.copy(batch.NOTEBOOKS_DIR / "changes.ipynb", folder / "changes.ipynb")
    return folder


@pytest.mark.slow
def test_a_run_given_the_previous_round_makes_a_changes_workbook_per_township_and_for_the_county(tmp_path):
    from run_fixture import build_run, fake_clean, write_clean, write_inputs

    from liushou_core.batch.run import run_batch
    from liushou_core.batch.settings import parse_run_config

    before = build_run()
    write_clean(before, tmp_path / "2017" / "clean")
    now = build_run()
    now["people"] = now["people"].iloc[1:].reset_index(drop=True)  # one child is gone
    now["summary"] = {**now["summary"], "reference_date": "2018-12-31"}
    write_inputs(now, tmp_path / "inputs")
    settings = {"county": "大英县", "reference_date": "2018-12-31", "payroll_month": "2019-01",
                "inputs": "inputs", "output": "run", "previous": "2017", "timeout": 300}  # fmt: skip
    config = parse_run_config(settings, source=tmp_path / "run.yaml", base=tmp_path)
    templates = _stub_templates(tmp_path / "templates")

    result = run_batch(config, clean_fn=fake_clean, notebooks_dir=templates, jobs=2, progress=False)

    assert result.exit_code == 0, json.loads((config.output / "manifest.json").read_text(encoding="utf-8"))
    changes = compare.read_comparison(config.output / "changes")
    assert changes.summary()["left"] == 1
    for town in ("蓬莱镇", "隆盛镇", "回马镇"):
        folder = config.output / "townships" / town
        assert (folder / "changes.html").is_file() and (folder / "changes.xlsx").is_file()
    html = (config.output / "county" / "changes.html").read_text(encoding="utf-8")
    assert "大英县" in html and "退出 1 人" in html and "from liushou_core" not in html
    m = json.loads((config.output / "manifest.json").read_text(encoding="utf-8"))
    assert m["townships"]["大英县"]["notebooks"]["changes"]["status"] == "ok"

    again = run_batch(
        config, clean_fn=fake_clean, notebooks_dir=templates, jobs=2, progress=False, resume=True
    )
    assert not [k for k in again.ran if k.endswith("/changes")]
