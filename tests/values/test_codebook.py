"""The codebook: header aliases and value vocabularies are data, extendable by users."""

import pytest

from liushou_core.errors import ParameterError
from liushou_core.values.codebook import FIELDS, REQUIRED_FIELDS, header_key, load_codebook


def test_every_template_field_has_a_canonical_header():
    cb = load_codebook()
    assert set(cb.headers) == set(FIELDS)
    assert cb.required == set(REQUIRED_FIELDS)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("镇（乡）", "township"),
        ("镇(乡)", "township"),
        ("所属乡镇", "township"),
        ("村 名", "village"),
        ("身份证号码", "id_number"),
        ("公民身份号码\n", "id_number"),
        ("留守类型", "category_declared"),
        ("受委托照料人", "guardian_name"),
        ("外出月数", "months_away"),
        ("配偶状况", "husband_status"),
    ],
)
def test_the_aliases_of_the_template_map_to_their_field(header, field):
    assert load_codebook().field_for_header(header) == field


def test_an_unknown_header_maps_to_nothing():
    assert load_codebook().field_for_header("民族") is None


def test_header_key_folds_full_width_and_spaces():
    assert header_key("（ 镇 ）ＡＢ") == header_key("(镇)AB")


def test_users_can_add_aliases_in_their_own_file(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "fields:\n  name: {aliases: [户主姓名]}\nvalues:\n  sex:\n    男: [男的]\n", encoding="utf-8"
    )
    cb = load_codebook([extra])
    assert cb.field_for_header("户主姓名") == "name"
    assert cb.vocabulary("sex")[header_key("男的")] == "男"


def test_an_alias_pointing_at_two_fields_is_an_error(tmp_path):
    extra = tmp_path / "bad.yaml"
    extra.write_text("fields:\n  name: {aliases: [身份证号]}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="身份证号"):
        load_codebook([extra])


def test_an_unknown_field_is_an_error(tmp_path):
    extra = tmp_path / "bad.yaml"
    extra.write_text("fields:\n  nation: {aliases: [民族]}\n", encoding="utf-8")
    with pytest.raises(ParameterError, match="nation"):
        load_codebook([extra])
