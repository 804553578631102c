"""Benchmark: how fast each candidate writer puts THE SAME ledgers into .xlsx, in cells per second.

Two ledgers, made here from a fixed seed (no county needed): a township's 问题数据清单 form the size of the
1,000,000-person county's problem lists (hidden key column, 18-digit IDs as text, formula-like reported
values, wrapped long texts, an answer column with per-row dropdowns, page breaks per village, protection),
and a 200,000-line payroll 花名册 (money, dates, IDs, 小计 per village with SUBTOTAL formulas, 合计).

Candidates:

- ``today``: :func:`liushou_core.ledger.write_ledger` as it is in this checkout;
- ``baseline``: the same call on another checkout given by ``--baseline`` (e.g. ``git worktree add /tmp/b
  24d4c20``, the writer that called a Python function per cell), run in a process of its own;
- ``xlsxwriter_rows``: xlsxwriter given ready lists, whole rows through ``write_row`` with one format per
  column (no 小计, no quote prefix, no forms: the floor of what xlsxwriter itself costs);
- ``xlsxwriter_constant_memory``: the same in ``constant_memory`` mode (rows streamed to disk);
- ``pyexcelerate``: the same lists through pyexcelerate (if installed);
- ``rustpy_xlsxwriter``: the same frame through rustpy-xlsxwriter, bindings to rust_xlsxwriter (if
  installed);
- ``today_2_processes``: the problem lists of several townships written by ``today`` in a process pool of
  two (what the cleaning could do with the files it writes).

Prints a table and writes ``bench/results/excel_writers.md``.

    .venv/bin/python bench/excel_writers.py [--rows 200000] [--townships 4] [--baseline CHECKOUT]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

from liushou_core.ledger import FormLayout, write_ledger

RESULTS = Path(__file__).parent / "results"
ANSWER = "更正值"


def problem_list(rows: int, seed: int = 16) -> tuple[dict[str, pd.DataFrame], dict[str, FormLayout]]:
    """A 问题数据清单 shaped like the cleaning's (its columns, kinds and form), ``rows`` problems long."""
    rng = np.random.default_rng(seed)
    villages = np.array([f"第{i}村" for i in range(1, 31)] + ["蓬莱社区", "栏江村"])
    fields = np.array(["公民身份号码", "性别", "村（社区）", "出生日期", "监护人姓名", "联系电话"])
    values = np.array(["5109231990010112", '=HYPERLINK("x")', "-3", "男", "1990/13/01", "+86 138", "栏江"])
    ids = pd.Series(rng.integers(10**17, 10**18 - 1, rows)).astype(str)
    village = pd.Series(np.sort(rng.choice(villages, rows)))
    df = pd.DataFrame(
        {
            "村（社区）": village,
            "组": pd.Series(rng.integers(1, 12, rows)).astype(str) + "组",
            "姓名": pd.Series(rng.choice(np.array(["张三", "李四", "王五", "=张", "赵六六"]), rows)),
            "公民身份号码": ids.where(rng.random(rows) > 0.05, None),
            "严重程度": rng.choice(np.array(["待核实", "请更正"]), rows),
            "问题": rng.choice(
                np.array(["身份证号校验位不符", "村名不在区划表中", "出生日期不是有效日期"]), rows
            ),
            "字段": rng.choice(fields, rows),
            "原值": pd.Series(rng.choice(values, rows)).where(rng.random(rows) > 0.1, None),
            "说明": rng.choice(
                np.array(["身份证号码第18位（校验位）与前17位算出的不一致，请按户口簿核对" * 2, "短说明"]),
                rows,
            ),  # fmt: skip
            ANSWER: "",
            "行号": rng.integers(3, 5000, rows),
            "工作表": "Sheet1",
            "文件": rng.choice(np.array(["栏江镇_留守儿童摸排表.xlsx", "栏江镇_留守老人.csv"]), rows),
            "行标识": pd.Series(rng.integers(10**9, 10**10, rows)).astype(str),
        }
    )
    choices = {"性别": ["男", "女"], "村（社区）": [str(v) for v in villages]}
    form = FormLayout(
        answers=[ANSWER],
        row_choices={ANSWER: [choices.get(f, []) for f in df["字段"]]},
        widths={"组": 5, "姓名": 8, "公民身份号码": 20, "说明": 30, ANSWER: 20, "文件": 12},
        wrap=["说明", "原值", "问题", "字段", "工作表", "文件"],
        hidden=["行标识"],
        page_break_by="村（社区）",
        page_header="栏江镇 问题数据清单",
        freeze_columns=3,
        prompt="填写该行“字段”的正确内容",
    )
    return {"问题清单": df}, {"问题清单": form}


def payroll(rows: int, seed: int = 16) -> pd.DataFrame:
    """A month's 花名册 of one township, ``rows`` lines, sorted by village (小计 per village)."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "village": np.sort(rng.choice(np.array([f"第{i}村" for i in range(1, 41)]), rows)),
            "name": rng.choice(np.array(["张三", "李四", "王五", "赵六六"]), rows),
            "id_number": pd.Series(rng.integers(10**17, 10**18 - 1, rows)).astype(str),
            "category": rng.choice(np.array(["留守儿童", "留守老人", "留守妇女"]), rows),
            "tier": rng.choice(np.array(["一档", "二档"]), rows),
            "month": "2018-01",
            "start_month": pd.Timestamp("2017-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), "D"),
            "amount": rng.choice(np.array([100, 150, 200, 300]), rows).astype("int64"),
            "arrears": rng.choice(np.array([0, 0, 0, 100.5]), rows),
            "phone": pd.Series(rng.integers(13 * 10**9, 19 * 10**9, rows)).astype(str),
        }
    )


def cells(df: pd.DataFrame) -> int:
    return df.shape[0] * df.shape[1]


def write_today_problems(path: Path, sheets: dict[str, pd.DataFrame], forms: dict[str, FormLayout]) -> None:
    write_ledger(path, sheets, titles="栏江镇 问题数据清单", total_row=False, row_unit=None, forms=forms,
                 text_columns=("公民身份号码", "原值", ANSWER, "字段", "组", "行标识"))  # fmt: skip


def write_today_payroll(path: Path, df: pd.DataFrame) -> None:
    write_ledger(path, {"栏江镇": df}, titles="栏江镇 2018年1月 补贴发放花名册", subtotal_by="village",
                 money_columns=["amount", "arrears"], footers=["制表人：", "审核人："])  # fmt: skip


def ready_lists(df: pd.DataFrame) -> list[list[object]]:
    """Rows as lists of str/float/None/datetime (what the floor candidates are given, prepared untimed)."""
    out = df.astype(object).where(df.notna(), None)
    return out.to_numpy().tolist()


def xlsxwriter_rows(path: Path, df: pd.DataFrame, *, constant_memory: bool) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory, "strings_to_numbers": False,
                                         "strings_to_formulas": False, "strings_to_urls": False})  # fmt: skip
    ws = wb.add_worksheet("表")
    text = wb.add_format({"num_format": "@", "border": 1})
    ws.write_row(0, 0, [str(c) for c in df.columns], text)
    for r, row in enumerate(ready_lists(df), start=1):
        ws.write_row(r, 0, row, text)
    wb.close()


def pyexcelerate_rows(path: Path, df: pd.DataFrame) -> None:
    from pyexcelerate import Workbook

    wb = Workbook()
    wb.new_sheet("表", data=[[str(c) for c in df.columns], *ready_lists(df)])
    wb.save(str(path))


def rustpy(path: Path, df: pd.DataFrame) -> None:
    import rustpy_xlsxwriter

    rustpy_xlsxwriter.write_worksheet(df.astype(object).where(df.notna(), None), str(path), sheet_name="表",
                                      freeze_row=1, autofilter=True)  # fmt: skip


def _one_township(args: tuple[str, int]) -> int:
    folder, seed = args
    sheets, forms = problem_list(ROWS_PER_TOWNSHIP, seed)
    write_today_problems(Path(folder) / f"t{seed}.xlsx", sheets, forms)
    return cells(sheets["问题清单"])


ROWS_PER_TOWNSHIP = 0


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> int:
    global ROWS_PER_TOWNSHIP
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--townships", type=int, default=4)
    parser.add_argument("--only", nargs="*", default=None, help="candidates to run (default: all)")
    parser.add_argument("--baseline", type=Path, help="another checkout whose write_ledger is measured too")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # rows for a parent run
    args = parser.parse_args()
    sheets, forms = problem_list(args.rows)
    problems = sheets["问题清单"]
    pay = payroll(args.rows)
    load = os.getloadavg()
    results: list[tuple[str, str, int, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="liushou-excel-") as tmp:
        folder = Path(tmp)

        def run(name: str, ledger: str, n: int, fn: Callable[[], object], keeps: str) -> None:
            if args.only and name not in args.only:
                return
            try:
                seconds = timed(fn)
            except ImportError as e:
                results.append((name, ledger, n, float("nan"), f"not installed ({e.name})"))
                return
            results.append((name, ledger, n, seconds, keeps))
            print(
                f"{name:<28} {ledger:<10} {n:>10,} cells {seconds:7.2f} s {n / seconds:>12,.0f} cells/s",
                flush=True,
            )

        every = "every format"
        for ledger, df, today in (
            ("问题清单", problems, lambda: write_today_problems(folder / "p.xlsx", sheets, forms)),
            ("花名册", pay, lambda: write_today_payroll(folder / "pay.xlsx", pay)),
        ):
            n = cells(df)
            run("today", ledger, n, today, every)
            run("xlsxwriter_rows", ledger, n, lambda df=df: xlsxwriter_rows(folder / "r.xlsx", df,
                constant_memory=False), "floor: one format per column; no 小计, forms, quote prefix")  # fmt: skip
            run(
                "xlsxwriter_constant_memory",
                ledger,
                n,
                lambda df=df: xlsxwriter_rows(folder / "c.xlsx", df, constant_memory=True),  # fmt: skip
                "row heights and cells must come in row order: form row heights set after the data are lost",
            )
            run(
                "pyexcelerate",
                ledger,
                n,
                lambda df=df: pyexcelerate_rows(folder / "x.xlsx", df),
                "no data validation, protection, print setup (repeat rows, page breaks, footer), autofilter",
            )
            run(
                "rustpy_xlsxwriter",
                ledger,
                n,
                lambda df=df: rustpy(folder / "y.xlsx", df),
                "whole-table API: no 小计 rows inside the data, no per-cell quote prefix, no per-row dropdowns, "
                "no page breaks, no unlocked cells on a protected sheet",
            )
        ROWS_PER_TOWNSHIP = args.rows // args.townships
        n = ROWS_PER_TOWNSHIP * problems.shape[1] * args.townships
        seeds = [(tmp, s) for s in range(args.townships)]
        run("today_1_process", "问题清单×" + str(args.townships), n,
            lambda: [_one_township(a) for a in seeds], every)  # fmt: skip
        with ProcessPoolExecutor(2) as pool:
            run("today_2_processes", "问题清单×" + str(args.townships), n,
                lambda: list(pool.map(_one_township, seeds)), every)  # fmt: skip
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
        return 0
    if args.baseline:
        child = subprocess.run(
            [sys.executable, __file__, "--rows", str(args.rows), "--only", "today", "--json"],
            env={**os.environ, "PYTHONPATH": str(args.baseline.resolve())},
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        base = json.loads(child.stdout.strip().splitlines()[-1])
        at = f"baseline ({_commit(args.baseline)})"
        results[:0] = [(at, ledger, n, seconds, keeps) for _, ledger, n, seconds, keeps in base]
    lines = [
        f"Excel writers, {date_line()} (load before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"{os.cpu_count()} CPUs), `bench/excel_writers.py --rows {args.rows} --townships {args.townships}`",
        "",
        "| candidate | ledger | cells | seconds | cells/s | formats it keeps |",
        "| --- | --- | ---: | ---: | ---: | --- |",
    ]
    for name, ledger, n, seconds, keeps in results:
        rate = "—" if seconds != seconds else f"{n / seconds:,.0f}"
        secs = "—" if seconds != seconds else f"{seconds:.2f}"
        lines.append(f"| {name} | {ledger} | {n:,} | {secs} | {rate} | {keeps} |")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "excel_writers.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


def _commit(checkout: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or checkout.name


def date_line() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


if __name__ == "__main__":
    sys.exit(main())
