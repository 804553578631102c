"""What the workbooks show: the frames and figures behind each notebook cell, and the Excel ledgers.

Notebooks stay thin: each cell calls one function here, so the township workbooks, the county overview,
``explore.ipynb`` and the Excel ledgers all show the same numbers computed the same way. Tables have
Chinese headers (from :data:`liushou_core.excel.FIELD_LABELS`) because people read them as they are.

Counting conventions:

- a person is counted once, in the register's official township and village (``people.parquet``);
- a missing value is its own bucket, 未采集 (not collected), never merged into "no";
- an issue belongs to the township of its row (``rows.parquet``), or, for a problem with a whole file, to
  the main township of that file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import ConfigError
from .excel import DEFAULT_TEXT_COLUMNS, label, write_ledger
from .issues import RULES
from .register import CATEGORIES, Person

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from pandas.io.formats.style import Styler

NOT_COLLECTED = "未采集"
TOTAL = "合计"
ALL_VILLAGES = "全镇（乡）"

SEVERITY_LABELS = {"error": "错误（待核实）", "warning": "提醒（请更正）", "info": "说明"}
FATE_LABELS = {"verified": "核实名册", "pending": "待核实", "duplicate": "重复合并", "skipped": "非数据行"}

#: Age bands of the 2016 summary table (民发〔2016〕42号 附件3; policy.md §1, §5b): 按实际年龄划分.
CHILD_AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("0–5周岁", 0, 6),
    ("6–13周岁", 6, 14),
    ("14–16周岁", 14, 17),
)

#: Children's dimensions of the summary table, each a partition with its 未采集 bucket (codebook values).
CHILD_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "schooling": ("学前", "小学", "初中", "高中", "中职", "辍学", "不在学"),
    "boarding": ("是", "否"),
    "guardianship_grade": ("较好", "一般", "差"),
    "health": ("健康", "患病", "残疾"),
    "agreement_signed": ("已签订", "未签订"),
}

#: Columns of the register as the workbooks list it, in order.
REGISTER_COLUMNS = (
    "village",
    "group",
    "name",
    "sex",
    "id_number",
    "birth_date",
    "age",
    "category",
    "category_declared",
    "guardian_name",
    "guardian_relation",
    "agreement_signed",
    "guardianship_grade",
    "household_economy",
    "health",
    "schooling",
    "boarding",
    "phone",
    "source_file",
    "source_row",
)


@dataclass(frozen=True)
class RunData:
    """The cleaner's outputs for a county or one township.

    ``rows`` (every input row's fate) and ``pending`` are ``None`` when the clean folder has no
    ``rows.parquet`` / ``pending.parquet``.
    """

    people: pd.DataFrame
    issues: pd.DataFrame  # Issues + township
    summary: dict[str, Any]
    rows: pd.DataFrame | None = None
    pending: pd.DataFrame | None = None
    township: str | None = None


# --------------------------------------------------------------------------------------------------- loading


def clean_dir_of(run_dir: Path | str) -> Path:
    """The cleaner's folder of a run (``RUN/clean``), or ``run_dir`` itself if it holds people.parquet."""
    run_dir = Path(run_dir)
    return run_dir if (run_dir / "people.parquet").exists() else run_dir / "clean"


def read_run(run_dir: Path | str) -> RunData:
    """Read a run's register, issues, summary and row fates as they are (no schema check)."""
    folder = clean_dir_of(run_dir)
    people_path = folder / "people.parquet"
    if not people_path.exists():
        raise ConfigError(f"找不到核实名册 {people_path}：请先运行 liushou clean 或 liushou run")

    def optional(name: str) -> pd.DataFrame | None:
        return pd.read_parquet(folder / name) if (folder / name).exists() else None

    people = pd.read_parquet(people_path)
    rows = optional("rows.parquet")
    issues = optional("issues.parquet")
    if issues is None:
        from .issues import empty_issues

        issues = empty_issues()
    summary_path = folder / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    return RunData(
        people=people,
        issues=issues.assign(township=issue_townships(issues, people, rows)),
        summary=summary,
        rows=rows,
        pending=optional("pending.parquet"),
    )


def load_run(run_dir: Path | str, township: str | None = None) -> RunData:
    """A run's register, issues and summary, checked; with ``township``, only that township's part.

    ``run_dir`` is a run folder (``RUN/clean`` inside) or a ``liushou clean`` output folder. The register
    (or the township's part of it) is checked against :class:`~liushou_core.register.Person`, so a bad
    register stops this township's workbook with a clear message, not the others'.
    """
    data = read_run(run_dir)
    if township:
        data = for_township(data, township)
    return replace(data, people=_validated(data.people, clean_dir_of(run_dir) / "people.parquet", township))


def _validated(people: pd.DataFrame, path: Path, township: str | None) -> pd.DataFrame:
    import pandera.errors

    try:
        return Person.validate(people, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.head(5)[["column", "check", "failure_case"]].astype(str).agg(" ".join, axis=1)
        where = f"（{township}）" if township else ""
        raise ConfigError(
            f"核实名册 {path}{where} 有 {len(cases)} 处不符合格式，例如：" + "；".join(first)
        ) from None


def issue_townships(issues: pd.DataFrame, people: pd.DataFrame, rows: pd.DataFrame | None) -> pd.Series:
    """The township each issue belongs to: its row's township, else the main township of its file."""
    if len(issues) == 0:
        return pd.Series(pd.NA, index=issues.index, dtype="string")
    if rows is not None and {"row_key", "township", "source_file"} <= set(rows.columns):
        by_row = rows.dropna(subset=["township"]).drop_duplicates("row_key").set_index("row_key")["township"]
        by_file = _main_township(rows)
    else:
        by_row = people.set_index("row_key")["township"] if "row_key" in people else pd.Series(dtype="string")
        by_file = _main_township(people)
    found = issues["row_key"].map(by_row)
    return found.fillna(issues["source_file"].map(by_file)).astype("string")


def _main_township(frame: pd.DataFrame) -> pd.Series:
    known = frame.dropna(subset=["township"])
    if len(known) == 0:
        return pd.Series(dtype="string")
    return known.groupby("source_file")["township"].agg(lambda s: s.mode().iat[0])


def for_township(data: RunData, township: str) -> RunData:
    """One township's part of a run. Raises :class:`ConfigError` if the run has no such township."""
    known = set(data.people["township"])
    if data.rows is not None:
        known |= set(data.rows["township"].dropna())
    if township not in known:
        raise ConfigError(f"本次运行的数据中没有镇（乡）“{township}”（有：{'、'.join(sorted(known))}）")
    rows = data.rows[data.rows["township"] == township] if data.rows is not None else None
    pending = data.pending
    if pending is not None and rows is not None and "row_key" in pending:
        pending = pending[pending["row_key"].isin(set(rows["row_key"]))]
    return RunData(
        people=data.people[data.people["township"] == township].reset_index(drop=True),
        issues=data.issues[data.issues["township"] == township].reset_index(drop=True),
        summary=data.summary,
        rows=rows,
        pending=pending,
        township=township,
    )


def townships_of(people: pd.DataFrame) -> list[str]:
    """The townships of a register, in official code order."""
    order = people[["township_code", "township"]].drop_duplicates().sort_values("township_code")
    return [str(t) for t in order["township"]]


# ------------------------------------------------------------------------------------------------ headlines


def heading(title: str, township: str | None = None, reference_date: str | None = None) -> Any:
    """A workbook's title as Markdown (shown by the notebook): place, title and reference date."""
    from IPython.display import Markdown

    place = f"{township} " if township else ""
    when = f"\n\n认定基准日：{reference_date}" if reference_date else ""
    return Markdown(f"# {place}{title}{when}")


def headline(people: pd.DataFrame, name: str) -> pd.DataFrame:
    """One row: 合计 and the count of each category (the seed's headline: 20,898 = 6,049 + 1,604 + 13,245)."""
    counts = people["category"].value_counts().reindex(list(CATEGORIES), fill_value=0)
    row = {TOTAL: int(counts.sum()), **{c: int(counts[c]) for c in CATEGORIES}}
    return pd.DataFrame([row], index=pd.Index([name], name="地区"))


def headline_sentence(people: pd.DataFrame, place: str) -> Any:
    """The headline in words, as the county's reply states it."""
    from IPython.display import Markdown

    h = headline(people, place).iloc[0]
    parts = "、".join(f"{c} {h[c]:,} 人" for c in CATEGORIES)
    return Markdown(f"**{place}核实农村“三留守”人员 {h[TOTAL]:,} 人**：{parts}。")


def headline_by_township(people: pd.DataFrame, county: str) -> pd.DataFrame:
    """Townships side by side (official code order): 合计 and each category, then the county's total row."""
    table = pd.crosstab(
        pd.Categorical(people["township"], categories=townships_of(people)),
        pd.Categorical(people["category"], categories=list(CATEGORIES)),
        dropna=False,
    )
    table.insert(0, TOTAL, table.sum(axis=1))
    table.index = pd.Index([str(i) for i in table.index], name=label("township"))
    table.columns = [str(c) for c in table.columns]
    total = pd.DataFrame([table.sum()], index=pd.Index([county], name=label("township")))
    return pd.concat([table, total]).astype("int64")


def accounting(data: RunData) -> pd.DataFrame:
    """Every input row's fate: 读入行数 = 核实名册 + 待核实 + 重复合并 + 非数据行 (county or one township)."""
    if data.rows is not None:
        fate = data.rows["fate"].value_counts()
        counts = {FATE_LABELS[f]: int(fate.get(f, 0)) for f in FATE_LABELS}
        rows_in = len(data.rows)
    elif data.township is None and data.summary:
        s = data.summary
        counts = {
            FATE_LABELS["verified"]: int(s.get("people", len(data.people))),
            FATE_LABELS["pending"]: int(s.get("pending", 0)),
            FATE_LABELS["duplicate"]: int(s.get("duplicates_merged", 0)),
            FATE_LABELS["skipped"]: int(s.get("skipped", 0)),
        }
        rows_in = int(s.get("rows_in", sum(counts.values())))
    else:
        counts = {FATE_LABELS["verified"]: len(data.people)}
        rows_in = len(data.people)
    table = pd.DataFrame({"项目": ["读入行数", *counts], "行数": [rows_in, *counts.values()]})
    return table.set_index("项目")


# ------------------------------------------------------------------------------------------ village tables


def _village_order(people: pd.DataFrame) -> list[str]:
    order = people[["village_code", "village"]].drop_duplicates().sort_values("village_code")
    return [str(v) for v in order["village"]]


def _with_total(table: pd.DataFrame, total_label: str) -> pd.DataFrame:
    total = pd.DataFrame([table.sum(numeric_only=True)], index=pd.Index([total_label], name=table.index.name))
    return pd.concat([table, total]).astype("int64")


def counts_by_village(people: pd.DataFrame, *, total: bool = True) -> pd.DataFrame:
    """People per village (code order) × category, with a 合计 column and, with ``total``, a 合计 row."""
    table = pd.crosstab(
        pd.Categorical(people["village"], categories=_village_order(people)),
        pd.Categorical(people["category"], categories=list(CATEGORIES)),
        dropna=False,
    )
    table.index = pd.Index([str(i) for i in table.index], name=label("village"))
    table.columns = [str(c) for c in table.columns]
    table[TOTAL] = table.sum(axis=1)
    return _with_total(table, TOTAL) if total else table.astype("int64")


def children(people: pd.DataFrame) -> pd.DataFrame:
    """The left-behind children of a register."""
    return people[people["category"] == "留守儿童"]


def child_age_bands(age: pd.Series) -> pd.Series:
    """The summary table's age band of each child (``0–5周岁``, ``6–13周岁``, ``14–16周岁``); else <NA>."""
    edges = [CHILD_AGE_BANDS[0][1], *(hi for _, _, hi in CHILD_AGE_BANDS)]
    return pd.cut(age.astype("float64"), bins=edges, right=False, labels=[b for b, _, _ in CHILD_AGE_BANDS])


def children_by_age_and_sex(people: pd.DataFrame, *, total: bool = True) -> pd.DataFrame:
    """Children per village × (age band, sex), as columns 2–10 of the 2016 summary table."""
    kids = children(people)
    bands = child_age_bands(kids["age"])
    columns = [f"{b} {s}" for b, _, _ in CHILD_AGE_BANDS for s in ("男", "女")]
    key = bands.astype("string") + " " + kids["sex"].astype("string")
    table = pd.crosstab(
        pd.Categorical(kids["village"], categories=_village_order(people)),
        pd.Categorical(key, categories=columns),
        dropna=False,
    )
    table.index = pd.Index([str(i) for i in table.index], name=label("village"))
    table.columns = [str(c) for c in table.columns]
    table.insert(0, "儿童合计", kids.groupby("village").size().reindex(table.index, fill_value=0))
    return _with_total(table, TOTAL) if total else table.astype("int64")


def children_by(people: pd.DataFrame, field: str, *, total: bool = True) -> pd.DataFrame:
    """Children per village × the values of ``field`` (a :data:`CHILD_DIMENSIONS` key), 未采集 included."""
    kids = children(people)
    values = [*CHILD_DIMENSIONS[field], NOT_COLLECTED]
    table = pd.crosstab(
        pd.Categorical(kids["village"], categories=_village_order(people)),
        pd.Categorical(kids[field].astype("string").fillna(NOT_COLLECTED), categories=values),
        dropna=False,
    )
    table.index = pd.Index([str(i) for i in table.index], name=label("village"))
    table.columns = [str(c) for c in table.columns]
    table.insert(0, "儿童合计", kids.groupby("village").size().reindex(table.index, fill_value=0))
    return _with_total(table, TOTAL) if total else table.astype("int64")


def crossfoot_checks(people: pd.DataFrame) -> pd.DataFrame:
    """The integrity rules of the 2016 summary table (policy.md §5b), per village and for the township.

    For children, the total (column 1) must equal the sum over the age bands with 男 + 女 in each
    (1 = 2 + 5 + 8, 2 = 3 + 4, …), over the schooling categories, 寄宿 + 非寄宿, the guardianship grades,
    the health states and the agreement states, each with its 未采集 bucket. For everyone, the total must
    equal 儿童 + 妇女 + 老人 and 男 + 女. A value outside the vocabulary is in no bucket, so its check fails:
    that is what the check is for.

    One row per (village, check): 村（社区）, 核对项, 合计, 分项之和, 是否一致.
    """
    villages = _village_order(people)
    kids = children(people)
    kid_total = kids.groupby("village").size().reindex(villages, fill_value=0)
    all_total = people.groupby("village").size().reindex(villages, fill_value=0)

    def parts(frame: pd.DataFrame, key: pd.Series, allowed: Sequence[str]) -> pd.Series:
        ok = key.isin(list(allowed))
        return frame[ok].groupby("village").size().reindex(villages, fill_value=0)

    bands = child_age_bands(kids["age"]).astype("string")
    checks: list[tuple[str, pd.Series, pd.Series]] = [
        ("人员类别：合计 = 儿童 + 妇女 + 老人", all_total, parts(people, people["category"], CATEGORIES)),
        ("性别：合计 = 男 + 女", all_total, parts(people, people["sex"], ("男", "女"))),
        (
            "儿童年龄段：1 = 2 + 5 + 8（各段 = 男 + 女）",
            kid_total,
            parts(kids, bands.where(kids["sex"].isin(["男", "女"])), [b for b, _, _ in CHILD_AGE_BANDS]),
        ),
    ]
    for field, values in CHILD_DIMENSIONS.items():
        key = kids[field].astype("string").fillna(NOT_COLLECTED)
        name = f"儿童{label(field)}：合计 = " + " + ".join([*values, NOT_COLLECTED])
        checks.append((name, kid_total, parts(kids, key, [*values, NOT_COLLECTED])))

    frames = []
    for name, total, summed in checks:
        rows = pd.DataFrame(
            {
                label("village"): villages,
                "核对项": name,
                TOTAL: total.to_numpy(),
                "分项之和": summed.to_numpy(),
            }
        )
        whole = pd.DataFrame(
            {
                label("village"): [ALL_VILLAGES],
                "核对项": [name],
                TOTAL: [int(total.sum())],
                "分项之和": [int(summed.sum())],
            }
        )
        frames.append(pd.concat([whole, rows], ignore_index=True))
    out = pd.concat(frames, ignore_index=True)
    out["是否一致"] = (out[TOTAL] == out["分项之和"]).map({True: "一致", False: "不一致"})
    return out


def crossfoot_summary(checks: pd.DataFrame) -> pd.DataFrame:
    """One line per check: the township's figures and how many villages fail it."""
    whole = checks[checks[label("village")] == ALL_VILLAGES].set_index("核对项")
    failing = (
        checks[(checks[label("village")] != ALL_VILLAGES) & (checks["是否一致"] == "不一致")]
        .groupby("核对项")
        .size()
    )
    out = whole[[TOTAL, "分项之和", "是否一致"]].copy()
    out["不一致的村（社区）数"] = failing.reindex(out.index, fill_value=0).astype("int64")
    return out


# ---------------------------------------------------------------------------------------------- data quality


def issues_by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """Issues counted by rule: 严重程度, 问题, 规则代码, 条数 — errors first, then by count."""
    if len(issues) == 0:
        return pd.DataFrame({"严重程度": [], "问题": [], "规则代码": [], "条数": []}).astype(
            {"条数": "int64"}
        )
    counts = issues.groupby(["severity", "rule"]).size().rename("条数").reset_index()
    order = {"error": 0, "warning": 1, "info": 2}
    counts = counts.assign(_o=counts["severity"].map(order)).sort_values(
        ["_o", "条数"], ascending=[True, False]
    )
    return pd.DataFrame(
        {
            "严重程度": counts["severity"].map(SEVERITY_LABELS),
            "问题": counts["rule"].map(lambda r: RULES[r].title),
            "规则代码": counts["rule"],
            "条数": counts["条数"].astype("int64"),
        }
    ).reset_index(drop=True)


def issues_by_village(issues: pd.DataFrame, rows: pd.DataFrame | None) -> pd.DataFrame:
    """Errors and warnings per village of the row (rows without a resolved village: 未识别)."""
    serious = issues[issues["severity"].isin(["error", "warning"])]
    if rows is not None and "village" in rows:
        village = serious["row_key"].map(rows.drop_duplicates("row_key").set_index("row_key")["village"])
    else:
        village = pd.Series(pd.NA, index=serious.index, dtype="string")
    table = pd.crosstab(
        village.astype("string").fillna("（未识别）"),
        pd.Categorical(
            serious["severity"].map(SEVERITY_LABELS),
            categories=[SEVERITY_LABELS["error"], SEVERITY_LABELS["warning"]],
        ),
        dropna=False,
    )
    table.index.name = label("village")
    table.columns = [str(c) for c in table.columns]
    if len(table) == 0:
        return table.astype("int64")
    table[TOTAL] = table.sum(axis=1)
    return _with_total(table.sort_values(TOTAL, ascending=False), TOTAL)


def pending_list(data: RunData) -> pd.DataFrame:
    """The rows kept out of the register (待核实) and why: where they are in the return, who, the reasons."""
    errors = data.issues[data.issues["severity"] == "error"]
    if data.rows is not None:
        keys = set(data.rows.loc[data.rows["fate"] == "pending", "row_key"])
        errors = errors[errors["row_key"].isin(keys)]
    else:
        errors = errors[errors["row_key"].notna() & ~errors["row_key"].isin(set(data.people["row_key"]))]
    if len(errors) == 0:
        return pd.DataFrame(columns=["来源文件", "工作表", "行号", "村（社区）", "姓名", "原因"])
    reasons = (
        errors.groupby("row_key", sort=False)
        .agg(
            source_file=("source_file", "first"),
            source_sheet=("source_sheet", "first"),
            source_row=("source_row", "first"),
            reason=("message", lambda m: "；".join(dict.fromkeys(m))),
        )
        .reset_index()
    )
    who_cols = [c for c in ("village", "name", "id_number") if data.pending is not None and c in data.pending]
    if who_cols and data.pending is not None:
        reasons = reasons.merge(
            data.pending[["row_key", *who_cols]].drop_duplicates("row_key"), on="row_key", how="left"
        )
    for c in ("village", "name", "id_number"):
        if c not in reasons:
            reasons[c] = pd.NA
    out = reasons.sort_values(["source_file", "source_row"])[
        ["source_file", "source_sheet", "source_row", "village", "name", "id_number", "reason"]
    ]
    return out.rename(columns={c: label(c) for c in out.columns} | {"reason": "原因"}).reset_index(drop=True)


def register_table(people: pd.DataFrame) -> pd.DataFrame:
    """The register as the workbooks list it: village order, then category, group and name; Chinese headers."""
    ordered = people.sort_values(["village_code", "category", "group", "name"], na_position="last")
    columns = [c for c in REGISTER_COLUMNS if c in ordered.columns]
    out = ordered[columns].reset_index(drop=True)
    return out.rename(columns={c: label(c) for c in columns})


# ----------------------------------------------------------------------------------------------- display


#: Above this many rows a table is shown as plain HTML: a styled table of a township's register would
#: weigh megabytes in the notebook and its HTML copy.
PLAIN_TABLE_ROWS = 500


def show(table: pd.DataFrame, *, index: bool = False) -> Styler | Any:
    """A table for the notebook: one header row, thousands separators, dates as YYYY-MM-DD, every row.

    With ``index`` the row labels (村、镇、项目…) become the first column; otherwise row numbers are hidden.
    """
    flat = table.reset_index() if index else table
    dates = [c for c in flat.columns if pd.api.types.is_datetime64_any_dtype(flat[c])]
    if len(flat) > PLAIN_TABLE_ROWS:
        from IPython.display import HTML

        plain = flat.assign(**{str(c): flat[c].dt.strftime("%Y-%m-%d") for c in dates})
        return HTML(plain.to_html(index=False, na_rep="", border=0, classes="dataframe"))
    text = [c for c in flat.columns if not pd.api.types.is_numeric_dtype(flat[c])]
    style = flat.style.format(thousands=",", na_rep="").format("{:%Y-%m-%d}", subset=dates, na_rep="")
    style = style.set_properties(subset=text, **{"text-align": "left"})  # Chinese text reads from the left
    return style.hide(axis="index")


def township_links(run_dir: Path | str, townships: Sequence[str]) -> Any:
    """Markdown table of links from the county overview (``RUN/county/``) to each township's workbooks.

    Links are relative, so the run folder can be copied or moved as a whole.
    """
    from IPython.display import Markdown

    from .batch import NOTEBOOK_KINDS, township_dir

    run_dir = Path(run_dir)
    header = "| 镇（乡） | " + " | ".join(NOTEBOOK_KINDS.values()) + " |"
    lines = [header, "|" + " --- |" * (len(NOTEBOOK_KINDS) + 1)]
    for town in townships:
        folder = township_dir(run_dir, town)
        cells = []
        for kind, title in NOTEBOOK_KINDS.items():
            html = folder / f"{kind}.html"
            rel = Path("..") / folder.relative_to(run_dir) / html.name
            cells.append(f"[{title}]({rel.as_posix()})" if html.exists() else "（未生成）")
        lines.append(f"| {town} | " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))


def pyramid(people: pd.DataFrame, place: str) -> Figure:
    """The population pyramid of a county or township register."""
    from .plots import population_pyramid

    return population_pyramid(people, title=f"{place}三留守人员年龄、性别结构")


# ------------------------------------------------------------------------------------------------- ledgers

_TEXT_COLUMNS = [label(c) for c in DEFAULT_TEXT_COLUMNS]


def _reset(table: pd.DataFrame) -> pd.DataFrame:
    return table.reset_index()


def investigation_sheets(data: RunData) -> dict[str, pd.DataFrame]:
    """The sheets of a township's 摸排工作簿 ledger (the same frames the notebook shows, without 合计 rows)."""
    people = data.people
    return {
        "数据核算": _reset(accounting(data)),
        "分村分类人数": _reset(counts_by_village(people, total=False)),
        "问题汇总": issues_by_rule(data.issues),
        "待核实": pending_list(data),
        "儿童年龄性别": _reset(children_by_age_and_sex(people, total=False)),
        "儿童就学": _reset(children_by(people, "schooling", total=False)),
        "儿童监护": _reset(children_by(people, "guardianship_grade", total=False)),
        "表间核对": crossfoot_checks(people),
        "核实名册": register_table(people),
    }


def assistance_sheets(data: RunData) -> dict[str, pd.DataFrame]:
    """The sheets of a township's 帮扶救助工作簿 ledger available so far (payroll etc. are added later)."""
    return {"分村分类人数": _reset(counts_by_village(data.people, total=False))}


def county_sheets(data: RunData, county: str) -> dict[str, pd.DataFrame]:
    """The sheets of the county overview's ledger."""
    table = headline_by_township(data.people, county)
    return {"分镇分类人数": _reset(table.iloc[:-1]), "数据核算": _reset(accounting(data))}


def write_workbook_ledger(sheets: Mapping[str, pd.DataFrame], path: Path | str, *, title: str) -> Path:
    """Write workbook sheets as one formatted ledger: a 合计 row under each count table, IDs as text."""
    count_columns = sorted(
        {str(c) for df in sheets.values() for c in df.columns if pd.api.types.is_integer_dtype(df[c])}
        - {label("source_row"), label("age"), "行号"}
    )
    no_total = {"数据核算", "问题汇总", "表间核对"}
    return write_ledger(
        path,
        sheets,
        titles={name: f"{title}：{name}" for name in sheets},
        sum_columns=count_columns,
        text_columns=_TEXT_COLUMNS,
        total_row={name: name not in no_total for name in sheets},
    )
