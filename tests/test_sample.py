"""The sample county: realistic returns whose answer key says exactly what the cleaner must make of each row.

The returns are read back here independently of the workbench's intake (openpyxl and the csv module), so a
wrong key, a wrong row number or a mislabelled mistake shows up as a disagreement with the files themselves.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pytest

from liushou_core.cli import main
from liushou_core.errors import LiushouError
from liushou_core.sample import SEED_COUNTS, build_county, synthetic_people, write_large_csv
from liushou_core.sample.answer_key import read_key
from liushou_core.sample.county import TRUTH_COLUMNS, write_county
from liushou_core.sample.people import split_counts
from liushou_core.sample.styles import HEADER_GROUPS
from liushou_core.values.codebook import FIELDS, header_key, load_codebook

GROUP_LABELS = tuple(label for label, _ in HEADER_GROUPS)

# Writing the county and reading every workbook back with openpyxl takes some 20 seconds.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("sample")]

CB = load_codebook()
REF = date(2017, 12, 31)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check_char(body17: str) -> str:
    """GB 11643 MOD 11-2, written out again here so the test does not lean on the code it checks."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, WEIGHTS, strict=True)) % 11]


def valid_id(s: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", s)) and check_char(s[:17]) == s[17]


def normalise_id(v: object) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(v))).upper()


def upgrade_15(s: str) -> str:
    body = s[:6] + "19" + s[6:]
    return body + check_char(body)


def cell_text(v: object) -> str:
    return "" if v is None else str(v).strip()


# ----- reading the returns back, without the workbench's intake ---------------------------------------------


def read_returns(folder):
    """{(file, sheet): (header cells, {row number: cells})} for the input rows below each header."""
    tables = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("_"):
            continue
        if path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path, read_only=True)
            for ws in wb.worksheets:
                tables[(path.name, ws.title)] = _table(list(ws.iter_rows(values_only=True)))
            wb.close()
        else:
            text = path.read_bytes().decode("gbk")
            tables[(path.name, "")] = _table(list(csv.reader(io.StringIO(text, newline=""))))
    return {k: v for k, v in tables.items() if v is not None}


def _table(rows):
    rows = [tuple(None if (c is None or c == "") else c for c in r) for r in rows]
    header_at = None
    for i, r in enumerate(rows[:30]):
        fields = [CB.field_for_header(c) for c in r if c is not None]
        if sum(f is not None for f in fields) >= 3 and ({"name", "id_number"} & set(fields)):
            header_at = i
            break
    if header_at is None:
        assert not any(any(c is not None for c in r) for r in rows), "a sheet with content has no header"
        return None
    header = [CB.field_for_header(c) if c is not None else None for c in rows[header_at]]
    # A two-row header: a group label (父母外出情况) above the fields' own headers.
    if header_at + 1 < len(rows):
        below = [CB.field_for_header(c) if c is not None else None for c in rows[header_at + 1]]
        person = any(rows[header_at + 1][header.index(f)] is not None for f in ("name", "id_number"))
        if not person:
            header = [h if h is not None or i >= len(below) else below[i] for i, h in enumerate(header)]
    last = max((i for i, r in enumerate(rows) if any(c is not None for c in r)), default=header_at)
    return header, {i + 1: rows[i] for i in range(header_at + 1, last + 1)}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    assert main(["sample", "--out", str(out), "--seed", "2018"]) == 0
    return out, read_key(out / "_answer_key.csv"), read_returns(out)


def cells_of(sample, row):
    _, _, tables = sample
    header, rows = tables[(row.source_file, row.source_sheet)]
    values = rows[row.source_row]
    return {f: values[i] if i < len(values) else None for i, f in enumerate(header) if f is not None}


# ----- the seed's figures ----------------------------------------------------------------------------------


def test_the_verified_register_is_the_seed_documents_20898_people(sample):
    _, key, _ = sample
    verified = key[key["fate"] == "verified"]
    assert len(verified) == 20898
    assert verified["category"].value_counts().to_dict() == SEED_COUNTS
    assert verified["id_number"].is_unique


@pytest.mark.parametrize("seed", [7, 20180604])
def test_the_register_is_the_seeds_for_any_seed_with_every_township_in_proportion_to_its_villages(seed):
    county = build_county(SEED_COUNTS, seed)
    plan = county.plan
    verified = plan[plan["fate"] == "verified"]
    assert verified["expected_category"].value_counts().to_dict() == SEED_COUNTS
    per_township = verified.groupby("township_code").size()
    villages = pd.Series(county.rows["township_code"].unique()).nunique()
    assert villages == 11 and len(per_township) == 11
    assert per_township.sum() == 20898
    # 蓬莱镇 has 62 villages, 智水乡 7: the largest return is several times the smallest.
    assert per_township["510923100"] > 6 * per_township["510923202"]
    assert {"pending", "duplicate"} <= set(plan["fate"])


def test_pending_duplicate_and_skipped_rows_come_on_top_at_realistic_rates(sample):
    _, key, _ = sample
    share = key["fate"].value_counts(normalize=True)
    assert 0.01 < share["pending"] < 0.08
    assert 0.002 < share["duplicate"] < 0.03
    assert 0.005 < share["skipped"] < 0.08
    rules = set(key.loc[key["fate"] == "pending", "rule"])
    assert {"id_excel_mangled", "id_missing", "id_checksum", "id_format", "not_qualified", "facts_missing",
            "village_unknown", "village_ambiguous", "name_missing"} <= rules  # fmt: skip
    assert set(key.loc[key["fate"] == "skipped", "rule"]) == {
        "skip_blank",
        "skip_total",
        "skip_header",
        "skip_note",
    }


# ----- the key and the files agree -------------------------------------------------------------------------


def test_every_input_row_below_each_header_has_exactly_one_key_row(sample):
    _, key, tables = sample
    in_files = {(f, s, r) for (f, s), (_, rows) in tables.items() for r in rows}
    in_key = set(zip(key["source_file"], key["source_sheet"], key["source_row"], strict=True))
    assert len(in_key) == len(key)
    assert in_files == in_key


def test_skipped_rows_are_blank_total_header_or_footer_rows(sample):
    _, key, tables = sample
    for row in key[key["fate"] == "skipped"].itertuples():
        cells = cells_of(sample, row)
        raw = tables[(row.source_file, row.source_sheet)][1][row.source_row]
        texts = [cell_text(c) for c in raw]
        if row.rule == "skip_blank":
            assert not any(texts), row
        elif row.rule == "skip_total":
            assert any(w in t for t in texts for w in ("合计", "小计", "总计")), row
        elif row.rule == "skip_header":
            assert sum(CB.field_for_header(t) is not None for t in texts if t) >= 3, row
        else:
            assert row.rule == "skip_note"
            assert any(texts) and not any(
                cell_text(cells.get(f)) for f in ("name", "id_number", "birth_date")
            ), row


def test_verified_and_duplicate_rows_carry_the_keys_id_written_as_the_mistakes_say(sample):
    _, key, _ = sample
    people = key[key["fate"].isin(["verified", "duplicate"])]
    changed = Counter()
    for row in people.itertuples():
        raw = cells_of(sample, row)["id_number"]
        text = cell_text(raw)
        norm = normalise_id(text)
        if "id_upgraded_15" in row.mistakes:
            assert re.fullmatch(r"\d{15}", norm) and upgrade_15(norm) == row.id_number, row
        else:
            assert norm == row.id_number, row
        if "id_normalised" in row.mistakes:
            changed["normalised"] += 1
            assert text != norm, row
        elif "id_upgraded_15" not in row.mistakes:
            assert text == row.id_number, row
    assert changed["normalised"] > 50
    assert all(valid_id(i) for i in people["id_number"])


def test_pending_rows_show_the_error_their_rule_names(sample):
    _, key, _ = sample
    seen = Counter()
    for row in key[key["fate"] == "pending"].itertuples():
        cells = cells_of(sample, row)
        raw = cells["id_number"]
        norm = normalise_id(cell_text(raw))
        seen[row.rule] += 1
        if row.rule == "id_excel_mangled":
            # a number cell in a workbook (Excel kept 15 digits), or its CSV text: 5.10923E+17 or …000
            assert (
                isinstance(raw, float)
                or re.fullmatch(r"\d\.\d+E\+17", norm)
                or (re.fullmatch(r"\d{15}000", norm) and not valid_id(norm))
            ), row
            if isinstance(raw, float):
                assert abs(raw - float(row.id_number[:15] + "000")) < 1e3, row
        elif row.rule == "id_missing":
            assert raw is None, row
        elif row.rule == "id_format":
            assert not re.fullmatch(r"\d{15}|\d{17}[\dX]", norm), row
        elif row.rule == "id_checksum":
            assert re.fullmatch(r"\d{17}[\dX]", norm) and not valid_id(norm) and not norm.endswith("000"), row
        elif row.rule == "id_address":
            assert valid_id(norm) and norm[:6] != row.id_number[:6] and norm[6:17] == row.id_number[6:17], row
        elif row.rule == "id_birth_date":
            assert norm == row.id_number and norm[6:14] > REF.strftime("%Y%m%d"), row
        else:
            assert norm == row.id_number and valid_id(norm), row
            if row.rule == "name_missing":
                assert cells["name"] is None
            if row.rule == "township_missing":
                assert cells["township"] is None
            if row.rule == "village_missing":
                assert cells["village"] is None
    assert seen["id_excel_mangled"] > 50


def test_a_declared_category_differs_from_the_key_only_where_the_mistakes_say_so(sample):
    _, key, _ = sample
    vocab = CB.vocabulary("category_declared")
    for row in key[key["fate"] == "verified"].itertuples():
        written = cells_of(sample, row)["category_declared"]
        declared = vocab.get(header_key(written)) if written is not None else None
        if "category_missing" in row.mistakes:
            assert declared is None, row
        elif "category_mismatch" in row.mistakes:
            assert declared is not None and declared != row.category, row
        else:
            assert declared == row.category, row


def test_sex_and_birth_date_disagree_with_the_id_only_where_the_mistakes_say_so(sample):
    _, key, _ = sample
    sex_vocab = CB.vocabulary("sex")
    for row in key[key["fate"] == "verified"].sample(3000, random_state=1).itertuples():
        cells = cells_of(sample, row)
        id_sex = "男" if int(row.id_number[16]) % 2 else "女"
        sex = sex_vocab.get(header_key(cells["sex"]))
        assert (sex == id_sex) == ("sex_" not in row.mistakes), row
        birth = cells.get("birth_date")
        if birth is None or "birth_date" in row.mistakes:
            continue
        if hasattr(birth, "year"):
            ymd = birth.strftime("%Y%m%d")
        else:
            t = unicodedata.normalize("NFKC", str(birth))
            if re.fullmatch(r"\d{1,5}", t):  # an Excel serial day number
                ymd = (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(t))).strftime("%Y%m%d")
            else:
                y, m, d = (int(x) for x in re.findall(r"\d+", t)[:3]) if not re.fullmatch(r"\d{8}", t) else (
                    int(t[:4]), int(t[4:6]), int(t[6:]))  # fmt: skip
                ymd = f"{y:04d}{m:02d}{d:02d}"
        assert ymd == row.id_number[6:14], row


def test_duplicates_are_later_copies_of_a_verified_person_in_source_order(sample):
    _, key, tables = sample
    files = {name: i for i, name in enumerate(sorted(key["source_file"].unique()))}
    sheets = {}
    for f, sh in tables:  # in workbook order
        sheets[(f, sh)] = sum(1 for g, _ in sheets if g == f)

    def position(r):
        return files[r.source_file], sheets[(r.source_file, r.source_sheet)], r.source_row

    kept = {r.id_number: r for r in key[key["fate"] == "verified"].itertuples()}
    dups = key[key["fate"] == "duplicate"]
    assert len(dups) > 50
    where = Counter()
    for row in dups.itertuples():
        original = kept[row.id_number]  # the copy is of a verified person, never of a pending one
        assert position(original) < position(row), row
        where["other return" if original.source_file != row.source_file else "same return"] += 1
    assert where["other return"] > 10 and where["same return"] > 10


# ----- what the files look like ----------------------------------------------------------------------------


def merged_areas(path):
    """The merged areas of a workbook's first sheet and its number of sheets, from the XML itself."""
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        n_sheets = z.read("xl/workbook.xml").decode("utf-8").count("<sheet ")
    return re.findall(r'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"', sheet), n_sheets


def test_workbooks_have_a_title_merged_across_the_columns_above_the_header(sample):
    out, _, _ = sample
    books = sorted(out.glob("*.xlsx"))
    assert len(books) >= 6
    habits = Counter()
    for path in books:
        merged, n_sheets = merged_areas(path)
        assert merged[0][:2] == ("A", "1") and merged[0][3] == "1", path  # the title, across the columns
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        title, unit = (r[0] for r in ws.iter_rows(max_row=2, values_only=True))
        assert title.startswith("大英县") and "三留守" in title and unit.startswith("填报单位：")
        habits["one sheet per village"] += n_sheets > 5
        habits["two-row header"] += any(r1 == r2 == "3" or r1 == r2 == "4" for _, r1, _, r2 in merged)
        habits["township merged down"] += any(int(r2) > int(r1) for _, r1, _, r2 in merged)
    assert all(habits[h] >= 1 for h in ("one sheet per village", "two-row header", "township merged down"))


def test_at_least_two_returns_are_gbk_csv_that_do_not_decode_as_utf8(sample):
    out, _, _ = sample
    csvs = sorted(out.glob("*.csv"))
    csvs = [p for p in csvs if not p.name.startswith("_")]
    assert len(csvs) >= 2
    for p in csvs:
        raw = p.read_bytes()
        assert "镇" in raw.decode("gbk") or "乡" in raw.decode("gbk")
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")


def test_the_answer_key_is_utf8_with_a_bom_and_is_ignored_by_its_name(sample):
    out, _, _ = sample
    raw = (out / "_answer_key.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].decode("utf-8").splitlines()[0] == (
        "source_file,source_sheet,source_row,fate,rule,category,id_number,mistakes"
    )


def test_headers_vary_between_townships_within_the_codebook(sample):
    out, _, _ = sample
    wordings = {}
    for path in out.iterdir():
        if path.suffix == ".xlsx":
            ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
            rows = list(ws.iter_rows(min_row=1, max_row=4, values_only=True))
        elif not path.name.startswith("_"):
            rows = list(csv.reader(io.StringIO(path.read_bytes().decode("gbk"))))[:4]
        else:
            continue
        header = next(r for r in rows if sum(CB.field_for_header(c) is not None for c in r if c) >= 3)
        for c in header:
            if c and c not in ("序号", "编号", *GROUP_LABELS):
                assert CB.field_for_header(c) is not None, (path.name, c)
        wordings[path.name] = {CB.field_for_header(c): c for c in header if c and CB.field_for_header(c)}
    assert len({w["id_number"] for w in wordings.values()}) >= 2
    assert all(set(FIELDS[:6]) <= set(w) for w in wordings.values())
    assert any(len(w) < len(FIELDS) for w in wordings.values())  # some township leaves columns out


def test_values_outside_the_codebook_appear_only_where_the_key_lists_value_unknown(sample):
    _, key, _ = sample
    vocab_of = {f: f for f in ("agreement_signed", "guardianship_grade", "health", "disability_grade",
                               "schooling", "boarding", "sex")}  # fmt: skip
    vocab_of |= {"father_status": "parent_status", "mother_status": "parent_status",
                 "husband_status": "husband_status", "children_status": "children_status"}  # fmt: skip
    for row in key[key["fate"] == "verified"].sample(3000, random_state=2).itertuples():
        cells = cells_of(sample, row)
        unknown = False
        for f, vocab in vocab_of.items():
            v = cells.get(f)
            if v is None or (f == "sex" and "sex_invalid" in row.mistakes):
                continue
            unknown |= header_key(v) not in CB.vocabulary(vocab)
        econ = cells.get("household_economy")
        if econ is not None:
            parts = [p for p in re.split(r"[、,，;；/\s]+", str(econ)) if p]
            unknown |= any(header_key(p) not in CB.vocabulary("household_economy") for p in parts)
        assert unknown == ("value_unknown" in row.mistakes), (row, cells)


def test_realistic_people_ages_id_codes_and_guardians():
    county = build_county(SEED_COUNTS, 2018)
    p = county.plan[county.plan["fate"] == "verified"]
    age = p["age"]
    elders = p[p["category"] == "留守老人"]
    assert (elders["age"] >= 80).mean() > 0.12 and (elders["age"] >= 90).sum() > 100
    assert 3 <= (elders["age"] >= 100).sum() <= 20
    assert age[p["category"] == "留守儿童"].between(0, 15).all()
    assert age[p["category"] == "留守妇女"].between(20, 59).all()
    codes = p["id_number"].str[:6]
    assert {"510923", "510922", "510921", "512836", "512835"} <= set(codes)
    born = p["birth_date"].dt.year
    assert (born[codes.isin(["512835", "512836"])] < 1985).all()  # codes from before Daying existed
    assert (codes[born >= 2000] == "510923").mean() > 0.9
    all_children = p[p["category"] == "留守儿童"]
    # a handful are left with nobody (无人监护): no delegate, agreement unsigned, guardianship 差
    alone = all_children["guardian_name"].isna()
    assert 0 < alone.sum() < 0.01 * len(all_children)
    assert (all_children.loc[alone, "father_status"] == "外出务工").all()
    assert (all_children.loc[alone, "mother_status"] == "外出务工").all()
    assert (all_children.loc[alone, "agreement_signed"] == "未签订").all()
    assert (all_children.loc[alone, "guardianship_grade"] == "差").all()
    children = all_children[~alone]
    assert set(children["guardian_relation"]) == {"祖父", "祖母", "外祖父", "外祖母", "其他亲属"}
    assert children["guardian_id_number"].map(valid_id).all()
    assert (children["agreement_signed"] == "已签订").mean() > 0.85
    assert (children["agreement_date"].dropna().dt.year == 2017).all()
    every_id = pd.concat(
        [county.plan.drop_duplicates("id_number")["id_number"], children["guardian_id_number"]]
    )
    assert every_id.is_unique


# ----- determinism, scale ----------------------------------------------------------------------------------

SMALL = {"留守儿童": 300, "留守妇女": 80, "留守老人": 650}


def test_the_same_seed_writes_the_same_bytes_and_another_seed_draws_another_county(tmp_path):
    def files(folder):
        write_county(build_county(SMALL, 5), tmp_path / folder)
        return {p.name: p.read_bytes() for p in sorted((tmp_path / folder).iterdir())}

    assert files("a") == files("b")
    other = build_county(SMALL, 6).plan
    assert not other["id_number"].equals(build_county(SMALL, 5).plan["id_number"])


def test_synthetic_people_are_clean_canonical_rows_with_their_truth():
    df = synthetic_people(20898, seed=3)
    assert list(df.columns) == [*FIELDS, *TRUTH_COLUMNS]
    assert df["category_declared"].value_counts().to_dict() == SEED_COUNTS
    assert df["id_number"].is_unique and df["id_number"].map(valid_id).all()
    assert (df["id_number"] == df["true_id_number"]).all()
    assert (
        df["birth_date"]
        == df["id_number"].str[6:10] + "-" + df["id_number"].str[10:12] + "-" + df["id_number"].str[12:14]
    ).all()
    assert df["township"].nunique() == 11
    pd.testing.assert_frame_equal(df.head(500), synthetic_people(20898, seed=3).head(500))


def test_a_large_county_is_written_as_utf8_csv_returns_with_its_key(tmp_path):
    result = write_large_csv(tmp_path, 12_000, seed=4)
    returns = [p for p in tmp_path.glob("*.csv") if not p.name.startswith("_")]
    assert len(returns) == 11
    for p in returns:
        p.read_bytes().decode("utf-8")
    key = read_key(tmp_path / "_answer_key.csv")
    assert (key["fate"] == "verified").sum() == 12_000
    assert key[key["fate"] == "verified"]["category"].value_counts().to_dict() == split_counts(12_000)
    assert "12,000" in result.describe()


def test_the_summary_names_the_files_and_the_seeds_figures(sample):
    out, _, _ = sample
    from liushou_core.sample.write import SampleResult

    key = read_key(out / "_answer_key.csv")
    text = SampleResult(out, (), key, ()).describe()
    assert "20,898" in text and "6,049" in text and "1,604" in text and "13,245" in text


def test_ids_are_valid_for_every_verified_person_of_a_second_seed():
    p = build_county(SMALL, 11).plan
    assert p["id_number"].map(valid_id).all()
    assert np.isin(p.loc[p["fate"] == "verified", "expected_category"], list(SMALL)).all()


def test_a_new_sample_replaces_an_earlier_one_but_never_mixes_with_other_returns(tmp_path):
    write_large_csv(tmp_path, 2_000, seed=1)
    write_large_csv(tmp_path, 2_000, seed=2)
    key = read_key(tmp_path / "_answer_key.csv")
    returns = {p.name for p in tmp_path.iterdir() if not p.name.startswith("_")}
    assert returns == set(key["source_file"])
    (tmp_path / "某镇报表.xlsx").write_bytes(b"")
    with pytest.raises(LiushouError, match="某镇报表"):
        write_large_csv(tmp_path, 2_000, seed=3)
