"""The sample county's following rounds: the same people a year later, in the 2019 division list, and the
truth of each change (the change key) agreeing with the round's own answer key."""

import datetime as dt

import pandas as pd
import pytest

from liushou_core.errors import LiushouError
from liushou_core.sample import write_sample
from liushou_core.sample.rounds import CHANGES_KEY, EXPECTED, build_round, next_round, read_changes_key
from liushou_core.values import crosswalk

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("rounds")]
SEED = 2018


@pytest.fixture(scope="module")
def rounds():
    first = build_round(SEED, 2018)
    return first, next_round(first, SEED)


def register(plan: pd.DataFrame) -> pd.DataFrame:
    """The people a round's register holds (the answer key's verified rows), by ID."""
    return plan[plan["fate"].eq("verified") & plan["copy_kind"].isna()].set_index("id_number")


def test_the_next_round_is_the_survey_of_a_year_later_in_the_2019_division_list(rounds):
    _, r = rounds
    assert r.number == 2019 and r.survey.reference_date == dt.date(2018, 12, 31) and r.vintage == 2019
    towns = [s.township for s in r.county.styles]
    assert towns == list(crosswalk.townships_at(2019)["township"]) and "盐井街道" in towns
    assert set(r.county.plan["village_code"]) <= set(crosswalk.divisions_at(2019)["village_code"])
    assert all(s.filled_on.year == 2019 for s in r.county.styles)


def test_people_who_stay_keep_their_identity_and_are_a_year_older(rounds):
    first, r = rounds
    old, new = register(first.county.plan), register(r.county.plan)
    both = old.index.intersection(new.index)
    assert len(both) > 0.8 * len(old)
    assert (old.loc[both, "birth_date"] == new.loc[both, "birth_date"]).all()
    assert ((new.loc[both, "age"] - old.loc[both, "age"]) == 1).mean() > 0.99  # 29 February aside


def test_the_change_key_lists_every_person_of_either_register_once_with_what_a_comparison_should_find(rounds):
    first, r = rounds
    key = r.changes
    old, new = register(first.county.plan), register(r.county.plan)
    assert set(key["id_number"]) == set(old.index) | set(new.index)
    assert set(key.loc[key["expected_change"] == "left", "id_number"]) == set(old.index) - set(new.index)
    assert set(key.loc[key["expected_change"] == "entered", "id_number"]) == set(new.index) - set(old.index)
    assert set(key["event"]) == set(EXPECTED)  # every kind of event happens in a county this size


def test_deaths_moves_out_and_16th_birthdays_leave_the_returns_while_returning_parents_stay_listed(rounds):
    _, r = rounds
    key = r.changes.set_index("id_number")
    listed = set(r.county.plan["id_number"])
    for event in ("died", "moved_out", "turned_16", "woman_over_age"):
        assert not (set(key.index[key["event"] == event]) & listed), event
    plan = r.county.plan[r.county.plan["copy_kind"].isna()].set_index("id_number")
    for event, fact, value in (
        ("parent_returned", "father_status|mother_status", "在家"),
        ("husband_returned", "husband_status", "在家"),
        ("children_returned", "children_status", "部分外出"),
    ):
        rows = plan.loc[key.index[key["event"] == event]]
        assert (rows["fate"] == "pending").all() and (rows["rule"] == "not_qualified").all(), event
        has = pd.concat([rows[f] == value for f in fact.split("|")], axis=1).any(axis=1)
        assert has.all(), event


def test_entries_are_new_ids_with_the_dates_and_facts_their_reason_needs(rounds):
    first, r = rounds
    key = r.changes.set_index("id_number")
    new = register(r.county.plan)
    earlier = set(first.county.plan["id_number"].dropna()) | set(
        first.county.plan["guardian_id_number"].dropna()
    )
    fresh = key.index[(key["expected_change"] == "entered") & (key["event"] != "corrected")]
    assert not (set(fresh) & earlier)
    born = new.loc[key.index[key["event"] == "born"]]
    assert (born["birth_date"] > pd.Timestamp("2017-12-31")).all()
    assert (new.loc[key.index[key["event"] == "turned_60"], "age"] == 60).all()
    recent = new.loc[key.index[key["event"].isin(["parent_left", "husband_left", "children_left"])]]
    assert (recent["months_away"] < 12).all()


def test_ids_are_unique_in_the_new_round(rounds):
    _, r = rounds
    people = r.county.plan[r.county.plan["copy_kind"].isna()]
    ids = pd.concat([people["id_number"], people["guardian_id_number"]]).dropna()
    assert ids.is_unique


def test_the_same_seed_gives_the_same_following_round(rounds):
    first, r = rounds
    again = next_round(first, SEED)
    pd.testing.assert_frame_equal(r.changes, again.changes)


def test_the_sample_command_writes_the_change_key_and_a_first_round_sample_removes_it(tmp_path):
    assert write_sample(tmp_path, seed=3, survey_round=2019).changes is not None
    key = read_changes_key(tmp_path / CHANGES_KEY)
    assert len(key) > 20000
    write_sample(tmp_path, seed=3)
    assert not (tmp_path / CHANGES_KEY).exists()
    with pytest.raises(LiushouError, match="2017"):
        write_sample(tmp_path, seed=3, survey_round=2017)
