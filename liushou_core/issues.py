"""The issues table: one row per problem found in the returns, in words a village cadre can act on.

Every rule has a code (the ``rule`` column), a severity and a Chinese message template:

- ``error``: the row cannot be verified and goes to *pending verification* (待核实);
- ``warning``: the cadre should correct the return, but the person stays verified;
- ``info``: recorded for the accounting (skipped rows, merged duplicates, normalised spellings).

The codes are the shared vocabulary of the cleaner, the sample county's answer key and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    title: str  # short Chinese name, for tables and charts
    message: str  # Chinese message; may use {value}, {field}, {detail}


_RULES = [
    # rows that are not people (skipped)
    Rule("skip_blank", "info", "空行", "空行，已跳过"),
    Rule("skip_total", "info", "合计行", "合计/小计行，已跳过（不计入人数）"),
    Rule("skip_header", "info", "重复表头", "重复的表头行，已跳过"),
    Rule("skip_note", "info", "非数据行", "没有姓名、身份证号和出生日期的行（表尾说明、填表人等），已跳过"),
    # rows a township took off the register on its returned 问题数据清单 (处理决定 = 删除)
    Rule("skip_withdrawn", "info", "乡镇核实删除", "乡镇核实后在问题数据清单中选择“删除”，不计入名册"),
    # identity (errors: the person cannot be verified)
    Rule("id_missing", "error", "身份证号缺失", "公民身份号码为空，请补填"),
    Rule("id_excel_mangled", "error", "身份证号被Excel改坏",
         "身份证号“{value}”被Excel转成了数字（科学计数法或末几位变成0），无法恢复，请按户口簿重新填写，并把该列设为文本格式"),
    Rule("id_format", "error", "身份证号格式错误", "身份证号“{value}”不是18位（或15位）号码，请核对"),
    Rule("id_checksum", "error", "身份证号校验码错误", "身份证号“{value}”校验位不对，可能抄错了某一位，请按户口簿核对"),
    Rule("id_birth_date", "error", "身份证号出生日期无效", "身份证号“{value}”中的出生日期不存在或晚于调查日期，请核对"),
    Rule("id_address", "error", "身份证号地址码不存在", "身份证号“{value}”的前6位不是有效的行政区划代码，请核对"),
    Rule("name_missing", "error", "姓名缺失", "姓名为空，请补填"),
    Rule("name_markup", "error", "姓名含网页标记",
         "姓名“{value}”含有 < > 等网页标记字符，不是有效姓名，请按户口簿重新填写"),
    Rule("name_formula", "error", "姓名像公式",
         "姓名“{value}”以 = + - @ 开头，会被表格当成公式，请按户口簿重新填写"),
    Rule("name_digits", "error", "姓名含数字",
         "姓名“{value}”含有数字（可能混入了电话或证件号码），请按户口簿重新填写，电话填在联系电话栏"),
    Rule("township_missing", "error", "镇（乡）缺失", "镇（乡）为空，请补填"),
    Rule("township_unknown", "error", "镇（乡）无法识别", "镇（乡）“{value}”不是大英县的镇乡，请按官方名称填写"),
    Rule("village_missing", "error", "村（社区）缺失", "村（社区）为空，请补填"),
    Rule("village_unknown", "error", "村（社区）无法识别", "村（社区）“{value}”在{detail}找不到，请按官方名称填写"),
    Rule("village_ambiguous", "error", "村（社区）不明确",
         "村（社区）“{value}”在{detail}对应多个村（社区），请写明是“村”还是“社区”"),
    # classification (errors)
    Rule("facts_missing", "error", "认定信息缺失", "无法认定为{detail}：缺少{field}，请补填"),
    Rule("not_qualified", "error", "不符合认定条件", "申报为{value}，但{detail}，不符合认定条件，请核实"),
    # warnings: the person stays verified, the cadre corrects the return
    Rule("name_latin", "warning", "姓名含拉丁字母", "姓名“{value}”中夹有拉丁字母，请按户口簿核对"),
    Rule("name_length", "warning", "姓名长度异常", "姓名“{value}”只有一个字或长得不像姓名，请按户口簿核对"),
    Rule("id_upgraded_15", "warning", "15位身份证号", "15位身份证号“{value}”已按国标升级为18位，请改填18位号码"),
    Rule("birth_date_mismatch", "warning", "出生日期与身份证不符",
         "出生日期“{value}”与身份证号不一致，已按身份证号（{detail}）处理，请更正"),
    Rule("birth_date_invalid", "warning", "出生日期无法识别", "出生日期“{value}”无法识别，已按身份证号处理，请更正"),
    Rule("sex_mismatch", "warning", "性别与身份证不符", "性别“{value}”与身份证号不一致，已按身份证号（{detail}）处理，请更正"),
    Rule("sex_invalid", "warning", "性别无法识别", "性别“{value}”无法识别，已按身份证号处理，请填写男或女"),
    Rule("category_mismatch", "warning", "申报类别与认定不符",
         "申报为{value}，按认定条件应为{detail}，已按{detail}统计，请更正"),
    Rule("category_missing", "warning", "人员类别缺失", "人员类别为空，按认定条件为{detail}，请补填"),
    Rule("value_unknown", "warning", "取值无法识别", "{field}“{value}”不是规定的选项（{detail}），请按选项填写"),
    Rule("date_invalid", "warning", "日期无法识别", "{field}“{value}”不是有效日期，请按“2018-05-03”格式填写"),
    Rule("phone_invalid", "warning", "电话号码有误", "{field}“{value}”不是有效的手机或固定电话号码，请核对"),
    Rule("guardian_id_invalid", "warning", "监护人身份证号有误", "委托监护人身份证号“{value}”无效（{detail}），请核对"),
    # info: normalisations and accounting
    Rule("id_normalised", "info", "身份证号书写不规范", "身份证号“{value}”含空格、全角字符或小写x，已规范为标准写法"),
    Rule("division_alias", "info", "名称简写", "{field}“{value}”按官方名称“{detail}”处理"),
    Rule("duplicate", "info", "重复登记", "与{detail}为同一人（身份证号相同），已合并，只计一次"),
    Rule("column_missing", "info", "未采集", "本表没有“{field}”列，按未采集处理"),
    Rule("cells_outside_header", "warning", "表头以外的内容",
         "{detail}"),
    Rule("column_duplicate", "info", "表头重复", "表头“{value}”与前面一列都是“{field}”，已采用前面一列"),
    Rule("csv_quote_unmatched", "warning", "引号不配对",
         "本行有没有配对的英文双引号（\"），为免吞掉下面的行已按本行单独读取，请核对本行各列后更正"),
    Rule("row_hidden", "warning", "隐藏行",
         "本行在 Excel 中被隐藏，已照常读取；如果是要删除的人员，请删除本行（不要只隐藏）后重新报送"),
    Rule("sheet_hidden", "info", "隐藏的工作表", "{detail}"),
    Rule("township_inferred", "info", "镇（乡）按标题或文件名认定", "本表没有“镇（乡）”列，已按{detail}认定为“{value}”"),
    # whole-file problems (row is empty)
    Rule("file_unreadable", "error", "文件无法读取", "{detail}"),
    Rule("header_not_found", "error", "找不到表头", "{detail}"),
    Rule("required_column_missing", "error", "缺少必填列", "缺少必填列“{field}”，该表无法处理，请按模板补上此列"),
]  # fmt: skip

RULES: dict[str, Rule] = {r.code: r for r in _RULES}
SKIP_RULES = frozenset(r.code for r in _RULES if r.code.startswith("skip_"))


class Issues(pa.DataFrameModel):
    """One row per problem (PRODUCT.md §4.3 ``issues.parquet``)."""

    row_key: Series[str] = pa.Field(nullable=True)
    source_file: Series[str]
    source_sheet: Series[str] = pa.Field(nullable=True)
    source_row: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    field: Series[str] = pa.Field(nullable=True)
    rule: Series[str] = pa.Field(isin=list(RULES))
    value: Series[str] = pa.Field(nullable=True)
    severity: Series[str] = pa.Field(isin=["error", "warning", "info"])
    message: Series[str]

    class Config:
        strict = "filter"
        coerce = True


ISSUE_COLUMNS = list(Issues.to_schema().columns)


def empty_issues() -> pd.DataFrame:
    """An issues table with no rows and the right columns."""
    return Issues.validate(pd.DataFrame({c: pd.Series(dtype="string") for c in ISSUE_COLUMNS}))
