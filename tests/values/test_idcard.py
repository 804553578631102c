"""公民身份号码 rules (GB 11643-1999, policy.md §8, docs/pipeline.md "Normalisation")."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric
from stdnum.util import isdigits

from liushou_core.values.idcard import (
    MAX_AGE,
    ParsedIds,
    check_digit,
    known_address_codes,
    make_id,
    make_ids,
    mask_id,
    normalise_id_text,
    parse_ids,
    upgrade_15,
)

REFERENCE = dt.date(2017, 12, 31)
DAYING = "510923"
UNKNOWN_ADDRESS = "510999"

# Each example runs whole-column pandas/Arrow code: no per-example deadline (a loaded CI machine
# is slow), and 50 examples of up to 20 cells are plenty.
COLUMNS = settings(deadline=None, max_examples=50)


def body_with_check(body17: str) -> str:
    """A 17-digit body completed with the check character python-stdnum computes (the oracle)."""
    return body17 + ric.calc_check_digit(body17 + "0")


def with_wrong_check(id18: str) -> str:
    """The same ID with a check character that fails."""
    wrong = "0" if id18[-1] != "0" else "1"
    return id18[:-1] + wrong


def parse_one(raw: str | None) -> pd.Series:
    return parse_ids(pd.Series([raw], dtype="string"), REFERENCE).iloc[0]


# ----- check character ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "34052419800101001", "X", id="the worked example of policy.md gives the check character X"
        ),
        pytest.param("11010519491231002", "X", id="the second example of policy.md gives X too"),
        pytest.param(
            "51092319800101101",
            ric.calc_check_digit("510923198001011010"),
            id="a Daying body agrees with stdnum",
        ),
    ],
)
def test_check_digit_follows_iso_7064_mod_11_2(body: str, expected: str) -> None:
    assert check_digit(pd.Series([body])).iloc[0] == expected


def test_check_digit_is_missing_for_a_body_that_is_not_17_digits() -> None:
    out = check_digit(pd.Series(["1234567890123456", "1234567890123456X", None], dtype="string"))
    assert out.isna().all()


def test_check_digit_keeps_the_index() -> None:
    s = pd.Series(["34052419800101001", "11010519491231002"], index=[10, 3])
    assert check_digit(s).index.tolist() == [10, 3]


def test_a_15_digit_number_is_upgraded_by_inserting_19_and_adding_the_check_character() -> None:
    assert upgrade_15(pd.Series(["110105491231002"])).iloc[0] == "11010519491231002X"


def test_upgrade_15_leaves_anything_else_missing() -> None:
    assert upgrade_15(pd.Series(["11010519491231002X", "11010549123100", None], dtype="string")).isna().all()


# ----- normalisation of the text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("11010519491231002X", "11010519491231002X", id="a clean ID is unchanged"),
        pytest.param("11010519491231002x", "11010519491231002X", id="a lower-case x is upper-cased"),
        pytest.param(
            "１１０１０５１９４９１２３１００２Ｘ",
            "11010519491231002X",
            id="full-width digits and X are folded",
        ),
        pytest.param("110105 1949 1231 002X", "11010519491231002X", id="spaces inside are removed"),
        pytest.param(
            "\t110105\u300019491231002X \n",
            "11010519491231002X",
            id="tabs, newlines and ideographic spaces are removed",
        ),
        pytest.param("11010519491231\u200b002X", "11010519491231002X", id="a zero-width space is removed"),
        pytest.param("", None, id="an empty cell is missing"),
        pytest.param(" \u3000 ", None, id="a cell of spaces is missing"),
        pytest.param(None, None, id="a missing cell stays missing"),
    ],
)
def test_normalise_id_text(raw: str | None, expected: str | None) -> None:
    out = normalise_id_text(pd.Series([raw], dtype="string")).iloc[0]
    assert (out is pd.NA and expected is None) or out == expected


# ----- parse_ids: the rules in their order -------------------------------------------------------------------

VALID_DAYING = make_id(DAYING, dt.date(1980, 1, 1), 101)


def mangled_by_excel(id18: str) -> str:
    """What Excel leaves of an 18-digit ID stored as a number: 15 significant digits, then zeros."""
    return id18[:15] + "000"


def id_ending_in_000() -> str:
    """A genuine ID whose sequence ends in 00 and whose check character is 0."""
    for day in range(1, 29):
        for hundreds in range(10):
            candidate = make_id(DAYING, dt.date(1975, 6, day), hundreds * 100)
            if candidate.endswith("000"):
                return candidate
    raise AssertionError("no such ID in the search range")  # pragma: no cover


ID_CASES = [
    # (raw cell, expected status)
    pytest.param("11010519491231002X", "valid", id="the second example of policy.md is valid"),
    pytest.param(VALID_DAYING, "valid", id="a Daying ID is valid"),
    pytest.param(VALID_DAYING.lower(), "valid", id="an ID with a lower-case x is valid"),
    pytest.param(None, "missing", id="an empty cell is id_missing"),
    pytest.param("   ", "missing", id="a cell of spaces is id_missing"),
    pytest.param("5.10923E+17", "excel_mangled", id="Excel's scientific display is id_excel_mangled"),
    pytest.param(
        "5.10923198001011e+17", "excel_mangled", id="a number with 15 significant digits is id_excel_mangled"
    ),
    pytest.param(
        mangled_by_excel(VALID_DAYING),
        "excel_mangled",
        id="18 digits ending in 000 with a bad check is a cut number",
    ),
    pytest.param(id_ending_in_000(), "valid", id="a genuine ID that ends in 000 is valid"),
    pytest.param(VALID_DAYING[:17], "format", id="17 digits are id_format"),
    pytest.param(VALID_DAYING + "1", "format", id="19 characters are id_format"),
    pytest.param(
        VALID_DAYING[:10] + "X" + VALID_DAYING[11:], "format", id="an X inside the number is id_format"
    ),
    pytest.param(VALID_DAYING[:15] + "X", "format", id="15 digits and an X are id_format"),
    pytest.param("51092319800101１0A", "format", id="a letter other than X is id_format"),
    pytest.param("5109231980-01-01-1011", "format", id="dashes are not removed and make id_format"),
    pytest.param(with_wrong_check(VALID_DAYING), "checksum", id="a wrong check character is id_checksum"),
    pytest.param(
        "34052419800101002X", "checksum", id="the worked example with one digit changed is id_checksum"
    ),
    pytest.param(
        body_with_check(DAYING + "19800230" + "101"), "birth_date", id="30 February is id_birth_date"
    ),
    pytest.param(body_with_check(DAYING + "19801301" + "101"), "birth_date", id="month 13 is id_birth_date"),
    pytest.param(
        body_with_check(DAYING + "19800229" + "101"), "valid", id="29 February of a leap year is valid"
    ),
    pytest.param(
        body_with_check(DAYING + "19810229" + "101"), "birth_date", id="29 February of 1981 is id_birth_date"
    ),
    pytest.param(
        body_with_check(DAYING + "20171231" + "101"), "valid", id="a birth on the reference date is valid"
    ),
    pytest.param(
        body_with_check(DAYING + "20180101" + "101"),
        "birth_date",
        id="a birth after the reference date is id_birth_date",
    ),
    pytest.param(body_with_check(DAYING + "19171231" + "101"), "valid", id="a centenarian is valid"),
    pytest.param(
        body_with_check(DAYING + "19021231" + "101"),
        "valid",
        id="a person who turns 115 on the reference date is valid",
    ),
    pytest.param(
        body_with_check(DAYING + "19011231" + "101"), "birth_date", id="a person aged 116 is id_birth_date"
    ),
    pytest.param(
        body_with_check(DAYING + "00000000" + "101"),
        "birth_date",
        id="a birth date of zeros is id_birth_date",
    ),
    pytest.param(
        "34052419800101001X",
        "address",
        id="the worked example of policy.md has an address code that never existed",
    ),
    pytest.param(
        body_with_check(UNKNOWN_ADDRESS + "19800101" + "101"),
        "address",
        id="an unknown address code is id_address",
    ),
    pytest.param(
        DAYING + "19800231" + "1000",
        "excel_mangled",
        id="a cut number is reported as cut even when its date is impossible",
    ),
    pytest.param(
        with_wrong_check(body_with_check(UNKNOWN_ADDRESS + "19800101" + "101")),
        "checksum",
        id="a wrong check character is reported before an unknown address",
    ),
    pytest.param(
        body_with_check(UNKNOWN_ADDRESS + "18800101" + "101"),
        "birth_date",
        id="an impossible age is reported before an unknown address",
    ),
]


@pytest.mark.parametrize(("raw", "status"), ID_CASES)
def test_parse_ids_applies_the_rules_in_order(raw: str | None, status: str) -> None:
    assert parse_one(raw)["id_status"] == status


def test_the_cut_number_with_an_impossible_date_really_fails_its_check() -> None:
    assert not _stdnum_passes(DAYING + "19800231" + "1000")


def test_the_unknown_address_of_the_cases_is_really_unknown() -> None:
    assert UNKNOWN_ADDRESS not in known_address_codes()
    assert "340524" not in known_address_codes()


def test_max_age_is_the_115_years_of_policy() -> None:
    assert MAX_AGE == 115


def test_a_valid_id_gives_the_number_birth_date_and_sex() -> None:
    row = parse_one("11010519491231002X")
    assert row["id_number"] == "11010519491231002X"
    assert row["birth_date"] == pd.Timestamp("1949-12-31")
    assert row["sex"] == "女"  # 17th digit 2 is even
    assert not row["id_upgraded"]
    assert not row["id_normalised"]


@pytest.mark.parametrize(
    ("seq", "sex"),
    [
        pytest.param(1, "男", id="an odd 17th digit is a man"),
        pytest.param(9, "男", id="17th digit 9 is a man"),
        pytest.param(2, "女", id="an even 17th digit is a woman"),
        pytest.param(0, "女", id="17th digit 0 is a woman"),
    ],
)
def test_sex_comes_from_the_17th_digit(seq: int, sex: str) -> None:
    assert parse_one(make_id(DAYING, dt.date(1960, 5, 5), 120 + seq))["sex"] == sex


def test_a_valid_15_digit_id_is_upgraded_and_flagged() -> None:
    id18 = make_id(DAYING, dt.date(1940, 3, 1), 13)
    row = parse_one(id18[:6] + id18[8:17])
    assert row["id_status"] == "valid"
    assert row["id_number"] == id18
    assert row["id_upgraded"]
    assert not row["id_normalised"]
    assert row["birth_date"] == pd.Timestamp("1940-03-01")
    assert row["sex"] == "男"


def test_a_15_digit_id_with_an_impossible_date_is_not_flagged_as_upgraded() -> None:
    row = parse_one(DAYING + "800230" + "101")
    assert row["id_status"] == "birth_date"
    assert not row["id_upgraded"]


def test_a_15_digit_id_written_in_full_width_is_upgraded_and_normalised() -> None:
    row = parse_one("１１０１０５４９１２３１００２")
    assert row["id_number"] == "11010519491231002X"
    assert row["id_upgraded"]
    assert row["id_normalised"]


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("11010519491231002x", id="a lower-case x"),
        pytest.param(" 11010519491231002X", id="a leading space"),
        pytest.param("110105 19491231 002X", id="inner spaces"),
        pytest.param("１１０１０５１９４９１２３１００２Ｘ", id="full-width characters"),
    ],
)
def test_text_changed_by_normalisation_is_flagged_and_the_id_still_valid(raw: str) -> None:
    row = parse_one(raw)
    assert row["id_status"] == "valid"
    assert row["id_normalised"]
    assert row["id_clean"] == "11010519491231002X"


def test_an_invalid_row_has_no_number_birth_date_or_sex_but_keeps_its_clean_text() -> None:
    row = parse_one(" 5.10923E+17 ")
    assert row["id_number"] is pd.NA
    assert pd.isna(row["birth_date"])
    assert row["sex"] is pd.NA
    assert row["id_clean"] == "5.10923E+17"


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("510923", id="大英县 created in 1997"),
        pytest.param("510921", id="蓬溪县"),
        pytest.param("510922", id="射洪县 which became 射洪市 in 2019"),
        pytest.param("510981", id="射洪市"),
        pytest.param("512835", id="蓬溪县 under 绵阳地区 before 1985"),
        pytest.param("512836", id="射洪县 under 绵阳地区 before 1985"),
        pytest.param("510903", id="船山区"),
        pytest.param("510904", id="安居区"),
        pytest.param("362638", id="大余县 of 1980, missing from stdnum's table"),
    ],
)
def test_historic_and_current_address_codes_are_known(code: str) -> None:
    assert code in known_address_codes()


def test_a_person_born_before_their_county_existed_keeps_a_valid_id() -> None:
    # 大英县 (510923) dates from 1997; people born in 1940 there now carry 510923 IDs.
    assert parse_one(make_id(DAYING, dt.date(1940, 6, 1), 21))["id_status"] == "valid"


def test_known_address_codes_are_six_digit_strings() -> None:
    codes = known_address_codes()
    assert len(codes) > 6000
    assert all(len(c) == 6 and c.isdigit() for c in codes)


def test_parse_ids_keeps_the_index_and_does_not_change_its_input() -> None:
    raw = pd.Series([" 11010519491231002x", None, "5.10923E+17"], index=["a", "b", "c"], dtype="string")
    before = raw.copy()
    out = parse_ids(raw, REFERENCE)
    assert out.index.tolist() == ["a", "b", "c"]
    pd.testing.assert_series_equal(raw, before)


def test_parse_ids_output_satisfies_its_schema() -> None:
    raws = [case.values[0] for case in ID_CASES]
    out = parse_ids(pd.Series(raws, dtype="string"), REFERENCE)
    ParsedIds.validate(out, lazy=True)
    assert str(out["birth_date"].dtype) == "datetime64[ns]"


def test_parse_ids_accepts_an_object_column() -> None:
    out = parse_ids(pd.Series(["11010519491231002X", None, 12345], dtype=object), REFERENCE)
    assert out["id_status"].tolist() == ["valid", "missing", "format"]


def test_parse_ids_of_an_empty_column_is_empty() -> None:
    out = parse_ids(pd.Series([], dtype="string"), REFERENCE)
    assert len(out) == 0
    ParsedIds.validate(out)


# ----- building and masking -------------------------------------------------------------------------------


def test_make_id_builds_the_worked_example_body() -> None:
    assert make_id("110105", dt.date(1949, 12, 31), 2) == "11010519491231002X"


@pytest.mark.parametrize(
    ("address", "seq"),
    [
        pytest.param("51092", 1, id="a 5-digit address code"),
        pytest.param("51092X", 1, id="a non-digit address code"),
        pytest.param(DAYING, 1000, id="a sequence above 999"),
        pytest.param(DAYING, -1, id="a negative sequence"),
    ],
)
def test_make_id_rejects_bad_parts(address: str, seq: int) -> None:
    with pytest.raises(ValueError):
        make_id(address, dt.date(1980, 1, 1), seq)


def test_make_ids_agrees_with_make_id() -> None:
    rng = np.random.default_rng(7)
    n = 200
    codes = np.array(sorted(known_address_codes()))
    address = pd.Series(rng.choice(codes, n), dtype="string")
    birth = pd.Series(pd.Timestamp("1905-01-01") + pd.to_timedelta(rng.integers(0, 40000, n), unit="D"))
    seq = pd.Series(rng.integers(0, 1000, n))
    built = make_ids(address, birth, seq)
    expected = [make_id(a, b.date(), int(s)) for a, b, s in zip(address, birth, seq, strict=True)]
    assert built.tolist() == expected


def test_make_ids_rejects_a_missing_birth_date() -> None:
    with pytest.raises(ValueError):
        make_ids(pd.Series([DAYING]), pd.Series([pd.NaT], dtype="datetime64[ns]"), pd.Series([1]))


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        pytest.param(
            "510923198001011234", "510923********1234", id="an 18-digit ID keeps its first 6 and last 4"
        ),
        pytest.param("510923800101123", "510923*****1123", id="a 15-digit ID keeps its first 6 and last 4"),
        pytest.param("12345", "*****", id="text too short to keep both ends is hidden entirely"),
        pytest.param(None, None, id="a missing ID stays missing"),
    ],
)
def test_mask_id(raw: str | None, masked: str | None) -> None:
    out = mask_id(pd.Series([raw], dtype="string")).iloc[0]
    assert (out is pd.NA and masked is None) or out == masked


# ----- properties ------------------------------------------------------------------------------------------

ID_ALPHABET = st.sampled_from(list("0123456789xX０１２３４５６７８９ｘＸ \t\u3000.E+-"))


@given(st.lists(st.text(alphabet=ID_ALPHABET, max_size=22) | st.none(), max_size=20))
@COLUMNS
def test_normalising_an_id_twice_changes_nothing(values: list[str | None]) -> None:
    once = normalise_id_text(pd.Series(values, dtype="string"))
    pd.testing.assert_series_equal(normalise_id_text(once), once)


CODES = sorted(known_address_codes())


PEOPLE = st.tuples(
    st.sampled_from(CODES),
    st.dates(min_value=REFERENCE.replace(year=REFERENCE.year - MAX_AGE), max_value=REFERENCE),
    st.integers(0, 999),
)


@given(st.lists(PEOPLE, min_size=1, max_size=20))
@COLUMNS
def test_every_valid_id_round_trips_through_make_id(people: list[tuple[str, dt.date, int]]) -> None:
    ids = [make_id(address, birth, seq) for address, birth, seq in people]
    out = parse_ids(pd.Series(ids, dtype="string"), REFERENCE)
    assert (out["id_status"] == "valid").all()
    assert out["id_number"].tolist() == ids
    assert out["birth_date"].tolist() == [pd.Timestamp(birth) for _, birth, _ in people]
    assert out["sex"].tolist() == ["男" if seq % 2 else "女" for _, _, seq in people]
    rebuilt = [make_id(i[:6], b.date(), int(i[14:17])) for i, b in zip(ids, out["birth_date"], strict=True)]
    assert rebuilt == ids


@given(st.lists(st.text(max_size=25) | st.none(), max_size=20))
@COLUMNS
def test_parse_ids_never_fails_and_valid_means_a_well_formed_number(values: list[str | None]) -> None:
    out = parse_ids(pd.Series(values, dtype="string"), REFERENCE)
    ParsedIds.validate(out)
    valid = out["id_number"].dropna()
    assert valid.str.fullmatch(r"[0-9]{17}[0-9X]").all()


# ----- oracle: python-stdnum's format and check-character rules --------------------------------------------


def _strings(digits: np.ndarray) -> np.ndarray:
    """Rows of an (n, width) array of ASCII codes as an array of str."""
    width = digits.shape[1]
    return np.ascontiguousarray(digits.astype(np.uint8)).view(f"S{width}").ravel().astype(str)


def _oracle_inputs(n_per_kind: int, rng: np.random.Generator) -> np.ndarray:
    """Random and mutated ID-like strings: the populations the oracle test compares on."""
    zero, x = ord("0"), ord("X")
    codes = np.array(sorted(known_address_codes()))
    births = pd.Series(
        pd.Timestamp("1902-01-01") + pd.to_timedelta(rng.integers(0, 42000, n_per_kind), unit="D")
    )
    valid = make_ids(
        pd.Series(rng.choice(codes, n_per_kind), dtype="string"),
        births,
        pd.Series(rng.integers(0, 1000, n_per_kind)),
    ).to_numpy(dtype=str)
    valid_codes = np.asarray(valid.astype("S18").view(np.uint8).reshape(-1, 18), dtype=np.int64)
    rows = np.arange(n_per_kind)
    kinds: list[np.ndarray] = [valid]

    random18 = rng.integers(0, 10, (n_per_kind, 18)) + zero
    random18[rng.random(n_per_kind) < 0.1, 17] = x
    kinds.append(_strings(random18))

    one_changed = valid_codes.copy()
    pos = rng.integers(0, 18, n_per_kind)
    one_changed[rows, pos] = (one_changed[rows, pos] - zero + rng.integers(1, 10, n_per_kind)) % 10 + zero
    kinds.append(_strings(one_changed))

    transposed = valid_codes.copy()
    pos = rng.integers(0, 17, n_per_kind)
    left, right = transposed[rows, pos].copy(), transposed[rows, pos + 1].copy()
    transposed[rows, pos], transposed[rows, pos + 1] = right, left
    kinds.append(_strings(transposed))

    x_misplaced = valid_codes.copy()
    x_misplaced[rows, rng.integers(0, 17, n_per_kind)] = x
    kinds.append(_strings(x_misplaced))

    for width in (15, 16, 17, 19):
        wrong_length = rng.integers(0, 10, (n_per_kind // 4, width)) + zero
        kinds.append(_strings(wrong_length))
    kinds.append(
        _strings(np.where(rng.random((n_per_kind // 4, 18)) < 0.5, valid_codes[: n_per_kind // 4], x))
    )
    return np.concatenate(kinds)


def _stdnum_passes(number: str) -> bool:
    """python-stdnum's length, format and check-character rules (not its birth-place rule)."""
    n = ric.compact(number)
    return len(n) == 18 and isdigits(n[:-1]) and n[-1] == ric.calc_check_digit(n)


@pytest.mark.slow
def test_format_and_check_character_agree_with_python_stdnum_on_a_million_inputs() -> None:
    rng = np.random.default_rng(20180604)
    inputs = _oracle_inputs(160_000, rng)
    assert len(inputs) >= 1_000_000
    out = parse_ids(pd.Series(inputs, dtype="string"), REFERENCE)
    status = out["id_status"].to_numpy(dtype=str)
    ours = np.isin(status, ["valid", "birth_date", "address"])

    is15 = np.char.str_len(inputs) == 15
    expected = np.array([_stdnum_passes(v) for v in inputs], dtype=bool)
    assert expected.sum() >= 100_000 and (~expected).sum() >= 100_000, (
        "the inputs should mix passes and failures"
    )
    # A 15-digit number has no check character: stdnum rejects its length, we upgrade it.
    expected[is15] = True
    disagree = np.flatnonzero(ours != expected)
    assert disagree.size == 0, [(inputs[i], status[i]) for i in disagree[:10]]

    # The upgrade appends the check character stdnum computes for the 18-digit body.
    upgraded = out["id_number"].to_numpy(dtype=object)[is15 & (status == "valid")]
    assert all(u[-1] == ric.calc_check_digit(u) for u in upgraded)

    # And the check character itself agrees on every 17-digit body of the inputs.
    bodies = pd.Series([v[:17] for v in inputs if len(v) == 18 and isdigits(v[:17])], dtype="string")
    ours_check = check_digit(bodies).to_numpy(dtype=str)
    assert (ours_check == np.array([ric.calc_check_digit(b + "0") for b in bodies], dtype=str)).all()


def test_a_leading_apostrophe_that_forced_text_in_excel_is_dropped():
    from datetime import date

    import pandas as pd

    from liushou_core.values.idcard import make_id, parse_ids

    good = make_id("510923", date(2008, 5, 3), 123)
    parsed = parse_ids(pd.Series(["'" + good], dtype="string"), date(2017, 12, 31))
    assert parsed.loc[0, "id_status"] == "valid"
    assert parsed.loc[0, "id_number"] == good
