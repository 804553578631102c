"""``liushou init DIR``: a workspace for a real county.

::

    DIR/params/            a copy of the default rules, to edit (``params: params`` in run.yaml uses it)
    DIR/params/待确认事项.csv  every value the bureau still has to confirm (opens in Excel / WPS)
    DIR/run.yaml           the run's settings: returns/ in, outputs/run out, the rules above
    DIR/returns/           where the townships' returns go
    DIR/outputs/           where the results appear
    DIR/使用说明.txt        in Chinese: where to put the returns, how to run, where the results are, how to
                           send the problem lists back

Nothing already there is overwritten: a folder that already has rules or a run file is refused, so a
county's edited rules are never replaced.
"""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

from liushou_core.atomic import write_text
from liushou_core.errors import ConfigError
from liushou_core.paths import DEFAULT_PARAMS_DIR

#: Folders of the default rules that are not a county's rules (the sample county's run files).
_NOT_COPIED = ("runs",)
ASSUMPTIONS_FILE = "待确认事项.csv"
GUIDE_FILE = "使用说明.txt"


def init_workspace(folder: Path, *, today: date | None = None) -> Path:
    """Make the workspace in ``folder`` (created if missing); return the run file's path."""
    from liushou_core.parameters import assumption_table, load_parameters

    folder = Path(folder)
    taken = [p for p in (folder / "params", folder / "run.yaml") if p.exists()]
    if taken:
        raise ConfigError(
            f"“{folder}”已经是一个工作文件夹（已有 {'、'.join(p.name for p in taken)}），"
            "为免覆盖已修改的规则，请换一个新文件夹"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("returns", "outputs"):
        (folder / sub).mkdir(exist_ok=True)
    params = folder / "params"
    shutil.copytree(DEFAULT_PARAMS_DIR, params, ignore=shutil.ignore_patterns(*_NOT_COPIED))
    rows = assumption_table(load_parameters(params))
    write_text(_assumptions_csv(rows), params / ASSUMPTIONS_FILE)
    run_file = folder / "run.yaml"
    write_text(run_settings(today or date.today()), run_file)
    write_text(GUIDE.replace("\n", "\r\n"), folder / GUIDE_FILE)  # Notepad on older Windows wants CRLF
    return run_file


def run_settings(today: date) -> str:
    """The workspace's run.yaml: last year's year end as the reference date, this month's payroll."""
    reference = date(today.year - 1, 12, 31)
    return f"""# 一次运行（liushou run）的参数。用记事本修改后保存（UTF-8）。
# 相对路径从本文件夹算起：请先进入本文件夹再运行 liushou run run.yaml（见 使用说明.txt）。
description: {reference.year} 年底摸排
# 县名（请改为本县名称）
county: 请填写县名
# 认定基准日：年龄（周岁）按此日计算
reference_date: {reference.isoformat()}
# 高龄补贴发放月份（YYYY-MM）
payroll_month: {today:%Y-%m}
# 乡镇报表所在的文件夹
inputs: returns
# 本次运行的输出文件夹
output: outputs/run
# 本县的规则（补贴标准、认定口径等），由 liushou init 从默认规则复制而来，可修改
params: params
# 各镇（乡）改好的问题数据清单：放进 corrections 文件夹后，去掉下一行开头的 #
# decisions: corrections
# 可选：上一轮运行的输出文件夹（动态管理）
# previous: outputs/上一轮/run
timeout: 600
"""


def _assumptions_csv(rows: list[dict[str, str]]) -> str:
    """The assumptions as CSV with Chinese headers; a BOM so that Excel and WPS read it as UTF-8."""
    headers = {"parameter": "参数", "description": "说明", "start": "起始日期", "value": "现用值"}
    headers |= {"to_confirm": "需确认的内容", "source": "来源"}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(headers), lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


GUIDE = """三留守人员摸排工作台 —— 本工作文件夹使用说明

一、放报表
  把各镇（乡、街道）交回的摸排登记表（.xlsx 或 .csv）放进 returns 文件夹。原表不会被修改。

二、填运行参数
  用记事本打开 run.yaml，把“请填写县名”改为本县名称，核对认定基准日和补贴发放月份，保存。
  规则（补贴标准、认定年龄等）在 params 文件夹，每个文件写明依据；
  params\\待确认事项.csv 列出仍需县里确认的数值，确认后在对应文件中修改。

三、运行
  在本文件夹的空白处按住 Shift 点右键，选“在此处打开 PowerShell 窗口”，输入：
      liushou run run.yaml
  如果提示找不到 liushou，改为输入：
      py -m liushou_core run run.yaml
  只重做有变化或失败的部分：liushou run run.yaml --resume

四、看结果
  结果在 outputs\\run 文件夹。先用浏览器打开 outputs\\run\\index.html（如没有这个文件，打开
  outputs\\run\\county\\county.html 县级总览），从那里可以打开全县和各镇（乡）的摸排工作簿、帮扶救助工作簿；
  Excel 台账与网页在同一文件夹。
  生成的文件正被 Excel 或 WPS 打开时无法更新：运行前请先关闭它们。

五、问题数据清单
  每个有问题的镇（乡）一份：outputs\\run\\clean\\问题数据清单\\<镇名>_问题数据清单.xlsx。
  发回各镇（乡），请他们在“更正值”一栏填写正确的值（重复人员在“查重决定”一栏填 保留 或 删除）。
  收回后放进本文件夹的 corrections 文件夹（没有就新建），去掉 run.yaml 中 decisions 一行开头的 #，再运行一次。
  每次运行都会重新应用这些更正，并记录哪些已应用、哪些因原值已变而未应用。

六、发给其他部门
  liushou share outputs\\run --all
  为每个部门生成脱敏文件（身份证号、电话号码已遮盖），在 outputs\\shared 文件夹。
"""
