"""The ``liushou`` command line. Each subcommand is a thin wrapper around a package function.

Errors caused by input (:class:`~liushou_core.errors.LiushouError`) are printed as one clear message and
exit with status 2; nothing a user does should end in a bare traceback.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from liushou_core import __version__
from liushou_core.errors import ConfigError, LiushouError
from liushou_core.values.redact import redact_text

if TYPE_CHECKING:  # pandas is imported by the commands that need it, so `liushou --help` starts fast
    import pandas as pd


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD 格式，而不是“{text}”") from None


def _month(text: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"月份应为 YYYY-MM 格式，而不是“{text}”")
    return text


def _cmd_sample(args: argparse.Namespace) -> int:
    from liushou_core.sample import write_sample

    result = write_sample(args.out, seed=args.seed, survey_round=args.round)
    print(result.describe())
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from liushou_core.rounds.compare import compare_command

    return compare_command(
        args.old_dir, args.new_dir, args.out, crosswalk_file=args.crosswalk, vintage=args.vintage
    )


def _cmd_clean(args: argparse.Namespace) -> int:
    from liushou_core.cleaning.pipeline import clean_command

    return clean_command(
        args.inputs,
        out=args.out,
        reference_date=args.reference_date,
        decisions=args.decisions,
        codebooks=args.codebook or [],
    )


def _cmd_payroll(args: argparse.Namespace) -> int:
    """Write the month's payroll parquet and the Excel 花名册 beside it; print a summary."""
    from liushou_core.atomic import write_parquet
    from liushou_core.rules.allowances import payroll
    from liushou_core.workbooks.ledgers import write_payroll_ledger
    from liushou_core.workbooks.rundata import read_people

    out = Path(args.out)
    if out.suffix.lower() in (".xlsx", ".xls"):
        raise ConfigError(f"--out 应为 parquet 文件（Excel 花名册另写在其旁边），而不是 {out}")
    lines = payroll(read_people(Path(args.people)), args.month)
    write_parquet(lines, out)
    excel = write_payroll_ledger(out.with_suffix(".xlsx"), lines, args.month)
    print(payroll_summary(lines, args.month))
    print(f"已写出：{out}、{excel}")
    return 0


def payroll_summary(lines: pd.DataFrame, month: str) -> str:
    """What ``liushou payroll`` prints: the county's people and yuan, then each tier's."""
    from liushou_core.values.divisions import COUNTY_NAME
    from liushou_core.values.periods import month_label

    total = int(lines["amount"].sum()) if len(lines) else 0
    text = [f"{COUNTY_NAME}{month_label(month)}高龄补贴：共 {len(lines)} 人，合计 {total:,} 元"]
    # tiers in age order, each with its monthly amount (≤ 3 tiers)
    by_tier = lines.sort_values("age", kind="stable").groupby("tier", sort=False)["amount"]
    for tier, amounts in by_tier:
        text.append(f"  {tier}：{len(amounts)} 人 × {amounts.iloc[0]} 元 = {int(amounts.sum()):,} 元")
    return "\n".join(text)


def _cmd_run(args: argparse.Namespace) -> int:
    from liushou_core.batch.run import run_command

    return run_command(
        args.params, townships=args.township, jobs=args.jobs, resume=args.resume, executor=args.executor,
        scheduler=args.scheduler,
    )  # fmt: skip


def _cmd_share(args: argparse.Namespace) -> int:
    from liushou_core.share import load_profiles, share_command

    departments = [p.name for p in load_profiles()] if args.all else list(args.department)
    return share_command(args.run_dir, departments, out=args.out)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liushou",
        description="农村“三留守”人员摸排工作台：乡镇报表 → 核实名册、补贴花名册和乡镇工作簿。",
    )
    parser.add_argument("--version", action="version", version=f"liushou {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("sample", help="生成样本县（大英县）的乡镇报表及答案表")
    p.add_argument(
        "--out", type=Path, default=Path("outputs/sample"), help="输出文件夹（默认 outputs/sample）"
    )
    p.add_argument("--seed", type=int, default=2018, help="随机种子（默认 2018）")
    p.add_argument(
        "--round",
        type=int,
        default=2018,
        help="摸排轮次（默认 2018，即 2017 年底摸排）；2019 及以后为同一种子的后续各轮，附变动答案表",
    )
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("clean", help="读取、清洗、认定：乡镇报表 → 核实名册、问题清单、汇总")
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="报表文件或文件夹")
    p.add_argument("--out", type=Path, required=True, help="输出文件夹")
    p.add_argument(
        "--reference-date",
        type=_date,
        default=None,
        help="认定基准日 YYYY-MM-DD（默认见 params/survey.yaml）",
    )
    p.add_argument("--decisions", type=Path, default=None, help="更正与查重决定文件（.xlsx 或 .csv）")
    p.add_argument(
        "--codebook", type=Path, action="append", help="追加的表头/取值别名码表（YAML），可多次指定"
    )
    p.set_defaults(func=_cmd_clean)

    p = sub.add_parser("payroll", help="某月高龄补贴发放花名册")
    p.add_argument("--people", type=Path, required=True, help="核实名册 people.parquet")
    p.add_argument("--month", type=_month, required=True, help="发放月份 YYYY-MM")
    p.add_argument("--out", type=Path, required=True, help="输出 parquet 文件（旁边另写 Excel 花名册）")
    p.set_defaults(func=_cmd_payroll)

    p = sub.add_parser("compare", help="两轮摸排比较（动态管理）：新增、退出及原因，迁移和情况变化")
    p.add_argument("old_dir", type=Path, metavar="OLD_DIR", help="上一轮清洗结果文件夹（含 people.parquet）")
    p.add_argument("new_dir", type=Path, metavar="NEW_DIR", help="本轮清洗结果文件夹（含 people.parquet）")
    p.add_argument("--out", type=Path, required=True, help="输出文件夹（变动名册.xlsx、changes.parquet 等）")
    p.add_argument(
        "--crosswalk", type=Path, default=None, help="民政局填写的 2019—2020 村级区划对照表（.xlsx 或 .csv）"
    )
    p.add_argument(
        "--vintage",
        type=int,
        default=None,
        help="按哪一年版区划统计（默认：两轮中较新的一版；给了对照表则为 2020）",
    )
    p.set_defaults(func=_cmd_compare)

    p = sub.add_parser("run", help="整县批处理：清洗一次，并行生成各镇乡工作簿和县级总览")
    p.add_argument(
        "params", type=Path, metavar="PARAMS.yaml", help="本次运行的设置（见 params/runs/sample.yaml）"
    )
    p.add_argument("--township", action="append", metavar="NAME", help="只运行这些镇乡（可多次指定）")
    p.add_argument("--jobs", type=int, default=None, help="并行进程数（默认为 CPU 核数）")
    p.add_argument("--resume", action="store_true", help="只重做失败的或输入、参数有变化的部分")
    p.add_argument(
        "--executor", choices=["local", "dask"], default="local",
        help="工作簿在哪里运行：local 本机多进程（默认），dask 发送到 Dask 集群",
    )  # fmt: skip
    p.add_argument(
        "--scheduler", metavar="ADDRESS", default=None,
        help="Dask 调度器地址（如 tcp://10.0.0.5:8786）；不指定则在本机启动临时集群",
    )  # fmt: skip
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("share", help="为某个部门生成脱敏的共享文件（HTML 和 Excel，由部门配置决定内容）")
    p.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="liushou run 的输出文件夹")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--department", action="append", metavar="NAME", help="部门名称（见 params/departments/，可多次指定）"
    )
    who.add_argument("--all", action="store_true", help="为每个已配置的部门各生成一份")
    p.add_argument(
        "--out", type=Path, default=None, help="共享文件的上级文件夹（默认 RUN_DIR/../shared/<运行文件夹名>）"
    )
    p.set_defaults(func=_cmd_share)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except LiushouError as exc:
        print(f"错误：{redact_text(str(exc))}", file=sys.stderr)  # a message may quote a value: no whole ID
        return 2
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `liushou clean … | head`: the reader went away. The work is done; silence the rest of the output
        # (the Python docs' recipe, so the interpreter does not fail again when it flushes at exit).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        # the disk is full, the output folder cannot be written, a file is open in another program…
        print(f"错误：{_os_error(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line for the user, the traceback kept for the maintainers
        print(
            f"错误：程序内部错误（{type(exc).__name__}：{_short(redact_text(str(exc)))}）。{_keep_traceback()}",
            file=sys.stderr,
        )
        return 3


_OS_REASONS = {
    errno.ENOSPC: "磁盘已满",
    errno.EACCES: "没有权限",
    errno.EPERM: "没有权限",
    errno.EROFS: "所在磁盘只读",
    errno.ENOENT: "不存在",
    errno.ENOTDIR: "路径中有一部分不是文件夹",
    errno.EISDIR: "这是一个文件夹",
    errno.EEXIST: "已存在",
    errno.EBUSY: "正被占用",
}


def _os_error(exc: OSError) -> str:
    """An operating-system error as one Chinese sentence naming the file and what to check."""
    where = f"“{exc.filename}”" if exc.filename else ""
    reason = _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)
    return (
        f"无法读写{where}（{reason}）。请检查该位置是否存在、是否有写入权限、磁盘是否已满，"
        "或关闭正在使用该文件的程序后重试"
    )


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _keep_traceback() -> str:
    """Write the current traceback to a file in the temporary folder; say where it is."""
    import tempfile
    import traceback

    try:
        fd, name = tempfile.mkstemp(prefix="liushou-error-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as log:
            # the log is read by maintainers, not by the people in the data: values in it are masked too
            log.write(redact_text(f"liushou {__version__}\n{' '.join(sys.argv)}\n\n{traceback.format_exc()}"))
    except OSError:
        return "请把这条信息和所用的输入文件报告给维护人员"
    return f"请把这条信息和文件 {name} 报告给维护人员"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
