"""What the workbooks show: the frames and figures behind each notebook cell, and the Excel ledgers.

Notebooks stay thin: each cell calls one function here, so the township workbooks, the county overview,
``explore.ipynb`` and the Excel ledgers all show the same numbers computed the same way. Tables have
Chinese headers (from :data:`liushou_core.ledger.FIELD_LABELS`) because people read them as they are.

Counting conventions:

- a person is counted once, in the register's official township and village (``people.parquet``);
- a missing value is its own bucket, 未采集 (not collected), never merged into "no";
- an issue belongs to the township of its row (``rows.parquet``), or, for a problem with a whole file, to
  the main township of that file.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from liushou_core.errors import ConfigError
from liushou_core.issues import RULES
from liushou_core.ledger import DEFAULT_TEXT_COLUMNS, label, write_ledger
from liushou_core.parameters import DatedValue, ParameterSet, Reference, ScaleAt, load_parameters
from liushou_core.register import CATEGORIES, Person
from liushou_core.rules.allowances import START_RULE, payroll, tiers
from liushou_core.rules.education import (
    DISABLED_ELIGIBLE,
    ELIGIBLE_HOUSEHOLDS,
    STAGE_AMOUNTS,
    STATUSES,
    assistance_list,
)
from liushou_core.rules.guardianship import PROBLEMS, gaps, hard_alerts, left_behind_children
from liushou_core.rules.referrals import PROGRAMS as REFERRAL_PROGRAMS
from liushou_core.rules.referrals import referrals
from liushou_core.rules.visits import LEVEL_KEYS, LEVELS, VISIT_STATUSES, overdue_visits, risk_levels
from liushou_core.values.periods import month_label, month_start, parse_month, parse_term
from liushou_core.values.redact import redact_text
from liushou_core.workbooks.escaping import escaped_style

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
        from liushou_core.issues import empty_issues

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
            # a failing value may be an ID number (a duplicated one): masked, like every message (redact.py)
            f"核实名册 {path}{where} 有 {len(cases)} 处不符合格式，例如：" + redact_text("；".join(first))
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


def heading(
    title: str,
    township: str | None = None,
    reference_date: str | None = None,
    sections: AssistanceSections | None = None,
) -> Any:
    """A workbook's title as Markdown (shown by the notebook): place, title and reference date; with
    ``sections``, also the payroll month, the school term and the checking date the rules ran for."""
    from IPython.display import Markdown

    place = f"{township} " if township else ""
    facts = [f"认定基准日：{reference_date}"] if reference_date else []
    if sections is not None:
        facts += [
            f"高龄补贴发放月份：{month_label(sections.month)}",
            f"教育救助学期：{sections.term_label}",
            f"监护、走访与转介核查日：{sections.as_of.isoformat()}",
        ]
    when = "\n\n" + "　｜　".join(facts) if facts else ""
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


# ------------------------------------------------------------------------------------- assistance rules


@dataclass(frozen=True)
class AssistanceSections:
    """The rule outputs behind a 帮扶救助工作簿 (a township's, or the county's), computed once.

    Every table, chart and ledger sheet of the workbook is derived from these frames, so the notebook and its
    Excel ledger show the same numbers. ``people`` is the register the rules ran on.
    """

    place: str
    people: pd.DataFrame
    month: str  # YYYY-MM, the payroll month
    term: str  # the school term as given (2017秋季)
    term_label: str  # 2017年秋季学期
    term_start: dt.date
    as_of: dt.date
    scale: ScaleAt
    payroll: pd.DataFrame  # allowances.PayrollLine
    education: pd.DataFrame  # education.EducationLine
    gaps: pd.DataFrame  # guardianship.GuardianshipGap
    risk: pd.DataFrame  # visits.RiskAssessment
    visits: pd.DataFrame  # visits.VisitLine, the children to visit now
    referrals: pd.DataFrame  # referrals.ReferralLine
    params: ParameterSet

    @property
    def alerts(self) -> pd.DataFrame:
        """The 无人监护 hard alerts (紧急), one row per child."""
        return hard_alerts(self.gaps)


def _day(value: str | dt.date, what: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(f"{what}应为 YYYY-MM-DD 格式的日期，而不是“{value}”") from None


def assistance_sections(
    people: pd.DataFrame,
    *,
    payroll_month: str,
    school_term: str | dt.date,
    as_of: str | dt.date,
    place: str = "",
    params: ParameterSet | None = None,
) -> AssistanceSections:
    """Run the rules of the 帮扶救助工作簿 on a register (a township's or the county's).

    - the 高龄补贴 payroll of ``payroll_month`` (:func:`liushou_core.rules.allowances.payroll`);
    - the education-assistance list of ``school_term`` (:func:`liushou_core.rules.education.assistance_list`),
      (someone born after the term's first day is no pupil of that term and is not listed);
    - guardianship gaps, risk levels, the home visits due and the referrals, all on ``as_of``
      (:mod:`.guardianship`, :mod:`.visits`, :mod:`.referrals`).
    """
    params = params or load_parameters()
    on = _day(as_of, "核查日 as_of ")
    parse_month(payroll_month)
    term_label, term_start = parse_term(school_term)
    return AssistanceSections(
        place=place,
        people=people,
        month=payroll_month,
        term=str(school_term),
        term_label=term_label,
        term_start=term_start,
        as_of=on,
        scale=tiers(payroll_month, params),
        payroll=payroll(people, payroll_month, params),
        education=assistance_list(people, school_term, params),
        gaps=gaps(people, on, params),
        risk=risk_levels(people, on, params),
        visits=overdue_visits(people, on, params),
        referrals=referrals(people, on, params),
        params=params,
    )


def _place_order(people: pd.DataFrame, by: str) -> list[str]:
    return townships_of(people) if by == "township" else _village_order(people)


def _pivot(
    frame: pd.DataFrame,
    row: str,
    column: str,
    rows: Sequence[str],
    columns: Sequence[str],
    value: str | None = None,
) -> pd.DataFrame:
    """Counts (or sums of ``value``) per ``row`` × ``column`` value, every row and column given kept, in order."""
    if len(frame):
        grouped = frame.groupby([row, column], observed=True)
        cells = grouped.size() if value is None else grouped[value].sum()
        table = cells.unstack(fill_value=0)
    else:
        table = pd.DataFrame()
    table = table.reindex(index=list(rows), columns=list(columns), fill_value=0).fillna(0).astype("int64")
    table.index.name, table.columns.name = None, None
    return table


def _per_place(frame: pd.DataFrame, by: str, rows: Sequence[str], value: str | None = None) -> pd.Series:
    if len(frame) == 0:
        return pd.Series(0, index=list(rows), dtype="int64")
    grouped = frame.groupby(by)
    cells = grouped.size() if value is None else grouped[value].sum()
    return cells.reindex(list(rows), fill_value=0).astype("int64")


def _distinct_per_place(frame: pd.DataFrame, by: str, rows: Sequence[str]) -> pd.Series:
    if len(frame) == 0:
        return pd.Series(0, index=list(rows), dtype="int64")
    return frame.groupby(by)["id_number"].nunique().reindex(list(rows), fill_value=0).astype("int64")


def _finish(table: pd.DataFrame, by: str, total: str | None) -> pd.DataFrame:
    table.index = pd.Index([str(i) for i in table.index], name=label(by))
    return _with_total(table, total) if total else table.astype("int64")


def _labelled(frame: pd.DataFrame, columns: Sequence[str], **names: str) -> pd.DataFrame:
    """``columns`` of ``frame`` with Chinese headers (``names`` overrides a field's label)."""
    out = frame[list(columns)].reset_index(drop=True)
    return out.rename(columns={c: names.get(c) or label(c) for c in columns})


def _level_rank(levels: pd.Series) -> pd.Series:
    return levels.map({lv: i for i, lv in enumerate(LEVELS)})


# -- overview


def assistance_overview(s: AssistanceSections) -> pd.DataFrame:
    """What the workbook asks the township to act on, one line per list: 人数, 金额（元） for money, 说明."""
    children_with = s.gaps.groupby("severity")["id_number"].nunique()
    edu_ok = s.education[s.education["status"] == "符合"]
    rows: list[tuple[str, int, int | None, str]] = [
        ("高龄补贴", len(s.payroll), int(s.payroll["amount"].sum()), f"{month_label(s.month)}应发"),
        (
            "教育救助：符合",
            len(edu_ok),
            int(edu_ok["amount"].sum()),
            f"{s.term_label}；金额为资助标准合计（元/年）",
        ),
        (
            "教育救助：待核实",
            int((s.education["status"] == "待核实").sum()),
            None,
            "有关情况未采集，核实后再定",
        ),
        ("无人监护（紧急）", int(children_with.get("紧急", 0)), None, "请立即上门核实，落实监护"),
        (
            "监护问题需整改的儿童",
            int(children_with.get("需整改", 0)),
            None,
            "确认书未签订、受委托监护人不合适",
        ),
        ("监护信息待核实的儿童", int(children_with.get("待核实", 0)), None, "确认书或监护人身份证号未填写"),
        ("风险等级为“高”的儿童", int((s.risk["risk_level"] == "高").sum()), None, "分层分级"),
        ("需走访的儿童", len(s.visits), None, "逾期、无走访记录或走访日期有误"),
        ("转介线索涉及的人员", int(s.referrals["id_number"].nunique()), None, f"共 {len(s.referrals)} 人次"),
    ]
    return pd.DataFrame(
        {
            "人数": pd.array([n for _, n, _, _ in rows], dtype="int64"),
            "金额（元）": pd.array([m for _, _, m, _ in rows], dtype="Int64"),
            "说明": [note for _, _, _, note in rows],
        },
        index=pd.Index([name for name, _, _, _ in rows], name="项目"),
    )


# -- the payroll


def _payroll_table(s: AssistanceSections, by: str) -> pd.DataFrame:
    rows = _place_order(s.people, by)
    counts = _pivot(s.payroll, by, "tier", rows, s.scale.labels)
    amounts = _pivot(s.payroll, by, "tier", rows, s.scale.labels, value="amount")
    cols: dict[str, pd.Series] = {}
    for tier in s.scale.labels:  # three tiers
        cols[f"{tier}人数"] = counts[tier]
        cols[f"{tier}金额（元）"] = amounts[tier]
    cols["合计人数"] = counts.sum(axis=1)
    cols["合计金额（元）"] = amounts.sum(axis=1)
    return pd.DataFrame(cols, index=rows)


def payroll_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """The month's 高龄补贴 per village (code order) and tier: people and yuan, with a 合计 row."""
    return _finish(_payroll_table(s, "village"), "village", TOTAL if total else None)


def payroll_by_township(s: AssistanceSections, county: str, *, total: bool = True) -> pd.DataFrame:
    """The county's 高龄补贴 per township (code order) and tier, with the county's total row."""
    return _finish(_payroll_table(s, "township"), "township", county if total else None)


#: One colour per allowance tier, the same in every chart.
TIER_COLORS = ("#8172B3", "#DD8452", "#C44E52", "#937860")


def payroll_chart(s: AssistanceSections, *, by: str = "village") -> Figure:
    """Stacked bars of the month's 高龄补贴 (yuan) per village or township, one segment per tier."""
    from liushou_core.workbooks.plots import stacked_bars

    rows = _place_order(s.people, by)
    table = _pivot(s.payroll, by, "tier", rows, s.scale.labels, value="amount")
    colors = dict(zip(s.scale.labels, TIER_COLORS, strict=False))
    where = "各村（社区）" if by == "village" else "各镇（乡）"
    title = f"{s.place}{where}{month_label(s.month)}高龄补贴金额（按档次）"
    return stacked_bars(table, title=title, xlabel="金额（元）", colors=colors)


def payroll_roster(s: AssistanceSections) -> pd.DataFrame:
    """The 高龄补贴发放花名册 of the month: one row per person paid, in village order."""
    return _labelled(
        s.payroll, ["village", "group", "name", "sex", "id_number", "birth_date", "age", "tier", "amount"]
    )


# -- education assistance


def education_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """The term's education-assistance list per village: 符合 (and their annual standards), 待核实, 不符合."""
    rows = _village_order(s.people)
    edu = s.education
    status = _pivot(edu, "village", "status", rows, STATUSES)
    table = pd.DataFrame(
        {
            "符合（人）": status["符合"],
            "资助标准合计（元/年）": _per_place(edu[edu["status"] == "符合"], "village", rows, "amount"),
            "待核实（人）": status["待核实"],
            "不符合（人）": status["不符合"],
            "合计（人）": status.sum(axis=1),
        },
        index=rows,
    )
    return _finish(table, "village", TOTAL if total else None)


_EDU_WHO = [
    "village",
    "name",
    "sex",
    "id_number",
    "age",
    "household_economy",
    "health",
    "schooling",
    "boarding",
]


def education_eligible(s: AssistanceSections) -> pd.DataFrame:
    """The students who qualify this term: the basis, the annual standard, why, and the document."""
    ok = s.education[s.education["status"] == "符合"]
    # A citation ends with “（假设：…）” when the value is an assumption; those notes are printed once under
    # the section (section_note, assistance_footers) rather than on every row.
    ok = ok.assign(reference=ok["reference"].str.replace(r"（假设：.*）$", "", regex=True))
    return _labelled(ok, [*_EDU_WHO, "amount", "reason", "reference"], amount="资助标准（元/年）")


def education_to_verify(s: AssistanceSections) -> pd.DataFrame:
    """The 待核实 rows: a fact that decides eligibility or the amount was not collected."""
    pending = s.education[s.education["status"] == "待核实"]
    return _labelled(pending, [*_EDU_WHO, "basis", "reason"])


def education_not_eligible(s: AssistanceSections) -> pd.DataFrame:
    """Why the others do not qualify: one line per reason, with the number of people."""
    no = s.education[s.education["status"] == "不符合"]
    counts = no.groupby("reason").size().sort_values(ascending=False)
    return pd.DataFrame({"不符合的原因": counts.index.astype(str), "人数": counts.to_numpy(dtype="int64")})


# -- guardianship


def hard_alert_list(s: AssistanceSections) -> pd.DataFrame:
    """The children who may have no effective guardian (无人监护): who, where, and the facts recorded."""
    return _labelled(
        s.alerts,
        [
            "village",
            "name",
            "sex",
            "id_number",
            "age",
            "father_status",
            "mother_status",
            "guardian_name",
            "detail",
        ],
    )


def parents_not_recorded(s: AssistanceSections) -> int:
    """Left-behind children whose father's or mother's status is blank: 无人监护 cannot be judged for them."""
    kids = left_behind_children(s.people, s.as_of, s.params)
    return int((kids["father_status"].isna() | kids["mother_status"].isna()).sum())


def alert_banner(s: AssistanceSections) -> Any:
    """The front-page box of the 无人监护 hard alerts: red, with the count per village and the list of
    children, or green when there are none; either way, how many children could not be judged."""
    from html import escape

    from IPython.display import HTML

    alerts = s.alerts
    unknown = parents_not_recorded(s)
    caveat = (
        f"<p>另有 {unknown:,} 名留守儿童的父亲或母亲状况没有填写，无法判断是否有人监护，请补填。</p>"
        if unknown
        else ""
    )
    table = ""
    if len(alerts):
        per_village = alerts.groupby("village", sort=False).size()
        where = "、".join(f"{escape(str(v))} {n} 人" for v, n in per_village.items())
        body = (
            "<p style='font-size:1.3em;font-weight:bold;margin:0 0 .4em'>"
            f"紧急：{len(alerts)} 名不满16周岁的留守儿童可能无人监护</p><p>{where}。</p>"
            "<p>身边没有能照料的父母（父母都不在，或在家的一方无监护能力），又没有委托监护人。请村（社区）<b>立即上门核实</b>，落实委托监护或临时监护"
            "（国发〔2016〕13号：不得让不满十六周岁的儿童脱离监护单独居住生活）。</p>"
        )
        colors = "border:3px solid #C00000;background:#FDECEA;color:#600000"
        table = show(hard_alert_list(s)).to_html()
    else:
        body = (
            "<p style='font-size:1.15em;font-weight:bold;margin:0 0 .4em'>"
            f"核查日 {s.as_of.isoformat()}：未发现无人监护的留守儿童。</p>"
        )
        colors = "border:2px solid #2E7D32;background:#EDF7ED;color:#1B4D1E"
    box = f"<div style='{colors};padding:.8em 1em;margin:.5em 0 1em;border-radius:4px'>{body}{caveat}</div>"
    return HTML(box + table)


def gaps_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """Guardianship problems per village and kind (in severity order), and the children concerned."""
    rows = _village_order(s.people)
    labels = [name for name, _ in PROBLEMS.values()]
    table = _pivot(s.gaps, "village", "problem_label", rows, labels)
    table["涉及儿童（人）"] = _distinct_per_place(s.gaps, "village", rows)
    return _finish(table, "village", TOTAL if total else None)


def gaps_list(s: AssistanceSections) -> pd.DataFrame:
    """Every guardianship problem of every child (紧急, then 需整改, then 待核实), with what to do."""
    columns = ["severity", "problem_label", "village", "name", "sex", "id_number", "age", "father_status",
               "mother_status", "guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone",
               "agreement_signed", "detail"]  # fmt: skip
    return _labelled(s.gaps, columns)


# -- risk levels and home visits


def risk_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """Left-behind children per village and risk level (分层分级: 高, 中, 待评估, 低)."""
    rows = _village_order(s.people)
    table = _pivot(s.risk, "village", "risk_level", rows, LEVELS)
    table["儿童合计"] = table.sum(axis=1)
    return _finish(table, "village", TOTAL if total else None)


def visits_by_level(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """Per risk level: the visit interval, the children, and those to visit now by reason."""
    intervals = {lv: int(s.params.value(f"visits.interval_days.{LEVEL_KEYS[lv]}", s.as_of)) for lv in LEVELS}
    todo = _pivot(s.visits, "risk_level", "visit_status", LEVELS, VISIT_STATUSES[:-1])
    table = pd.DataFrame(
        {"走访周期（天）": pd.array([intervals[lv] for lv in LEVELS], dtype="Int64")}, index=LEVELS
    )
    table["儿童人数"] = _per_place(s.risk, "risk_level", LEVELS)
    for status in VISIT_STATUSES[:-1]:  # 逾期, 无走访记录, 日期有误
        table[status] = todo[status]
    table["需走访合计"] = todo.sum(axis=1)
    table.index.name = label("risk_level")
    if not total:
        return table
    sums = table.drop(columns="走访周期（天）").sum()
    whole = pd.DataFrame(
        [{"走访周期（天）": pd.NA, **sums.to_dict()}], index=pd.Index([TOTAL], name=table.index.name)
    )
    return pd.concat([table, whole.astype(table.dtypes.to_dict())])


def visits_list(s: AssistanceSections) -> pd.DataFrame:
    """The children to visit now: highest risk and longest overdue first, with the last visit and due date."""
    columns = ["risk_level", "visit_status", "days_overdue", "village", "name", "sex", "id_number", "age",
               "risk_reasons", "last_visit_date", "visitor", "interval_days", "due_date"]  # fmt: skip
    return _labelled(s.visits, columns)


def risk_list(s: AssistanceSections) -> pd.DataFrame:
    """Every left-behind child's risk level and the facts that set it (高 first, then by village)."""
    ordered = s.risk.assign(_r=_level_rank(s.risk["risk_level"])).sort_values(
        ["_r", "village_code", "id_number"]
    )
    columns = ["risk_level", "village", "name", "sex", "id_number", "age", "risk_reasons", "guardianship_grade",
               "health", "disability_grade", "schooling"]  # fmt: skip
    return _labelled(ordered, columns)


# -- referrals


def _programs(s: AssistanceSections) -> list[str]:
    # The 高龄补贴 is only checked against a list of recipients; without one it is never a referral.
    return [
        name
        for code, (name, _) in REFERRAL_PROGRAMS.items()
        if code != "old_age_allowance" or (s.referrals["program"] == code).any()
    ]


def referrals_by_village(s: AssistanceSections, *, total: bool = True) -> pd.DataFrame:
    """Referrals per village and program (人次), and the people concerned."""
    rows = _village_order(s.people)
    table = _pivot(s.referrals, "village", "program_label", rows, _programs(s))
    table["合计（人次）"] = table.sum(axis=1)
    table["涉及人数"] = _distinct_per_place(s.referrals, "village", rows)
    return _finish(table, "village", TOTAL if total else None)


def referrals_list(s: AssistanceSections) -> pd.DataFrame:
    """Who seems to qualify for what, why, what is recorded, and what to do."""
    # The documents are long and the same for every row of a program: they are cited under the section.
    columns = ["program_label", "village", "name", "sex", "id_number", "category", "age", "basis", "recorded",
               "action"]  # fmt: skip
    return _labelled(s.referrals, columns)


# -- the county


def assistance_by_township(s: AssistanceSections, county: str, *, total: bool = True) -> pd.DataFrame:
    """Per township (code order): education assistance, hard alerts, guardianship gaps, visits due and
    referrals, with the county's total row. Every count is a count of people except referrals (人次)."""
    rows = townships_of(s.people)
    edu = s.education
    table = pd.DataFrame(
        {
            "教育救助符合（人）": _per_place(edu[edu["status"] == "符合"], "township", rows),
            "教育救助待核实（人）": _per_place(edu[edu["status"] == "待核实"], "township", rows),
            "无人监护（人）": _distinct_per_place(s.alerts, "township", rows),
            "有监护问题的儿童（人）": _distinct_per_place(s.gaps, "township", rows),
            "需走访的儿童（人）": _per_place(s.visits, "township", rows),
            "转介线索（人次）": _per_place(s.referrals, "township", rows),
        },
        index=rows,
    )
    return _finish(table, "township", county if total else None)


# -- what each section applies


def _entries(s: AssistanceSections, names: Sequence[str], on: dt.date) -> list[DatedValue]:
    return [s.params.entry(n, on) for n in names]


def _section_entries(s: AssistanceSections, section: str) -> list[DatedValue]:
    if section == "payroll":
        first = month_start(s.month)
        return [*s.scale.references, *_entries(s, [START_RULE], first)]
    if section == "education":
        stages = sorted({k for pair in STAGE_AMOUNTS.values() for k in pair})
        names = [ELIGIBLE_HOUSEHOLDS, DISABLED_ELIGIBLE, *(f"education.annual_amount.{k}" for k in stages)]
        return _entries(s, names, s.term_start)
    if section in ("alerts", "guardianship"):
        names = ["definitions.child_age_limit", "guardianship.present_parent_statuses"]
        if section == "guardianship":
            names.append("guardianship.delegate_min_age")
        return _entries(s, names, s.as_of)
    if section == "visits":
        return _entries(s, [n for n in s.params.names("visits.")], s.as_of)
    if section == "referrals":
        return _entries(s, [*s.params.names("referrals."), "definitions.difficult_child_age_limit"], s.as_of)
    raise ValueError(f"unknown section {section!r}")


def references(s: AssistanceSections, section: str, *, articles: bool = True) -> list[str]:
    """The documents a section applies and, after them, the assumptions the bureau must confirm.

    Without ``articles`` a document is named by its number and title only (the notebook's short form; the
    ledgers cite the article too).
    """
    entries = _section_entries(s, section)

    def cite(ref: Reference) -> str:
        if articles:
            return str(ref)
        return ref.document + (f"《{ref.title.strip('《》')}》" if ref.title else "")

    documents = dict.fromkeys(cite(e.reference) for e in entries if e.reference)
    notes = dict.fromkeys(str(e.note) for e in entries if e.assumption and e.note)
    lines = [f"依据：{'；'.join(documents)}"] if documents else []
    lines += [f"待确认：{'；'.join(notes)}"] if notes else []
    return lines


def _values(s: AssistanceSections, name: str, on: dt.date) -> str:
    return "、".join(str(v) for v in s.params.value(name, on))


def section_note(s: AssistanceSections, section: str, *, by: str = "village") -> Any:
    """A section's opening: one or two sentences of what it shows and the rule it applies, then its
    documents and assumptions (from ``params/``). ``section``: payroll, education, guardianship, visits or
    referrals; ``by="township"`` for the county overview, whose tables are per township."""
    from IPython.display import Markdown

    on = s.as_of
    township_workbook = by == "village"
    if section == "payroll":
        standard = "、".join(
            f"{t} {a} 元/人/月" for t, a in zip(s.scale.labels, s.scale.amounts, strict=True)
        )
        rule = s.params.value(START_RULE, month_start(s.month))
        when = "年满当月起按新档发放" if rule == "same_month" else "年满次月起按新档发放，不补差"
        text = (
            f"{month_label(s.month)}应发放高龄补贴的人员，按{label(by)}和档次汇总"
            + ("，下附发放花名册。" if township_workbook else "。")
            + f"标准：{standard}；年龄按身份证出生日期计算周岁，{when}。"
        )
    elif section == "education":
        households = _values(s, ELIGIBLE_HOUSEHOLDS, s.term_start)
        disabled = "或本人残疾，" if s.params.value(DISABLED_ELIGIBLE, s.term_start) else ""
        text = (
            f"{s.term_label}教育救助：在校（学前、小学、初中、高中、中职）且家庭为{households}，{disabled}"
            "按学段和是否寄宿确定资助标准（元/生/年，每学期发放一半）。家庭经济状况、就学情况或是否寄宿没有填写的"
            f"列为“待核实”，与“不符合”分开；年龄按开学日（{s.term_start.isoformat()}）计算。"
        )
    elif section == "guardianship":
        limit = s.params.value("definitions.child_age_limit", on)
        text = (
            f"核查日 {on.isoformat()} 不满{limit}周岁的留守儿童的监护问题："
            + ("无人监护（紧急，见本工作簿开头）；" if township_workbook else "无人监护（紧急）；")
            + "未签订委托监护责任确认书、受委托监护人未成年、身份证号无效或是不在身边的父母本人（需整改）；"
            "确认书签订情况或受委托监护人身份证号没有填写（待核实）。"
        )
    elif section == "visits":

        def factors(level: str) -> str:
            keys = ("grades", "schooling") + (("disability_grades",) if level == "high" else ("health",))
            return "、".join(_values(s, f"visits.{level}_risk_{k}", on) for k in keys)

        intervals = "、".join(
            f"{lv} {s.params.value(f'visits.interval_days.{LEVEL_KEYS[lv]}', on)} 天" for lv in LEVELS
        )
        text = (
            f"分层分级：高（{factors('high')}，或无人监护）、中（{factors('medium')}，或委托监护有问题）、"
            "待评估（监护、健康或就学情况未采集）、低。"
            f"两次走访的最长间隔：{intervals}（县级设置）。核查日 {on.isoformat()} 已过应走访日期的为“逾期”，"
            "没有走访记录或走访日期在核查日之后的一并列出，风险高、逾期久的在前。"
        )
    elif section == "referrals":
        text = (
            f"登记的情况（核查日 {on.isoformat()}）符合某项救助保障条件、但没有享受记录的人员，请逐人核实后纳入"
            "民政救助保障范围。尚未提供享受名单的项目标为“未提供享受名单，请核实是否已享受”。"
        )
    else:
        raise ValueError(f"unknown section {section!r}")
    refs = "\n".join(f"> {line}  " for line in references(s, section, articles=False))
    return Markdown(f"{text}\n\n{refs}" if refs else text)


# ----------------------------------------------------------------------------------------------- display


#: Above this many rows a table is shown as plain HTML: a styled table of a township's register would
#: weigh megabytes in the notebook and its HTML copy.
PLAIN_TABLE_ROWS = 500
#: Text columns no longer than this (characters) are kept on one line in a table.
SHORT_TEXT = 20


def show(table: pd.DataFrame, *, index: bool = False) -> Styler | Any:
    """A table for the notebook: one header row, thousands separators, dates as YYYY-MM-DD, every row.

    With ``index`` the row labels (村、镇、项目…) become the first column; otherwise row numbers are hidden.
    An empty list is shown as “（无）”.
    """
    flat = table.reset_index() if index else table
    if len(flat) == 0:
        from IPython.display import Markdown

        return Markdown("（无）")
    dates = [c for c in flat.columns if pd.api.types.is_datetime64_any_dtype(flat[c])]
    if len(flat) > PLAIN_TABLE_ROWS:
        from IPython.display import HTML

        plain = flat.assign(**{str(c): flat[c].dt.strftime("%Y-%m-%d") for c in dates})
        return HTML(plain.to_html(index=False, na_rep="", border=0, classes="dataframe"))
    text = [c for c in flat.columns if not pd.api.types.is_numeric_dtype(flat[c])]
    # Names, villages and short codes stay on one line; only long texts (说明, 详情…) wrap.
    short = [
        c for c in text if c in dates or flat[c].astype("string").str.len().fillna(0).max() <= SHORT_TEXT
    ]
    style = escaped_style(flat, date_columns=dates)  # data is text, never markup (issue 13)
    style = style.set_properties(subset=text, **{"text-align": "left"})  # Chinese text reads from the left
    style = style.set_properties(subset=short, **{"white-space": "nowrap"})
    style = style.set_table_styles({c: [{"selector": "th", "props": "text-align: left"}] for c in text})
    return style.hide(axis="index")


def township_links(run_dir: Path | str, townships: Sequence[str]) -> Any:
    """Markdown table of links from the county overview (``RUN/county/``) to each township's workbooks.

    Links are relative, so the run folder can be copied or moved as a whole.
    """
    from IPython.display import Markdown

    from liushou_core.batch.run import NOTEBOOK_KINDS, township_dir

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
    from liushou_core.workbooks.plots import population_pyramid

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


def assistance_sheets(s: AssistanceSections) -> dict[str, pd.DataFrame]:
    """The sheets of a township's 帮扶救助工作簿 ledger, one per list, in the workbook's order (the 无人监护
    alerts first): the same frames the notebook shows, without their 合计 rows (the ledger adds its own)."""
    return {
        "概况": _reset(assistance_overview(s)),
        "无人监护（紧急）": hard_alert_list(s),
        "高龄补贴汇总": _reset(payroll_by_village(s, total=False)),
        "高龄补贴花名册": payroll_roster(s),
        "教育救助汇总": _reset(education_by_village(s, total=False)),
        "教育救助符合": education_eligible(s),
        "教育救助待核实": education_to_verify(s),
        "教育救助不符合原因": education_not_eligible(s),
        "监护问题汇总": _reset(gaps_by_village(s, total=False)),
        "监护问题清单": gaps_list(s),
        "分层分级汇总": _reset(risk_by_village(s, total=False)),
        "走访汇总": _reset(visits_by_level(s, total=False)),
        "需走访儿童": visits_list(s),
        "分层分级名单": risk_list(s),
        "转介汇总": _reset(referrals_by_village(s, total=False)),
        "转介清单": referrals_list(s),
    }


#: The section whose documents are printed under each assistance sheet.
_SHEET_SECTIONS = {
    "无人监护（紧急）": "alerts",
    "高龄补贴汇总": "payroll",
    "高龄补贴花名册": "payroll",
    "教育救助汇总": "education",
    "教育救助符合": "education",
    "教育救助待核实": "education",
    "教育救助不符合原因": "education",
    "监护问题汇总": "guardianship",
    "监护问题清单": "guardianship",
    "分层分级汇总": "visits",
    "走访汇总": "visits",
    "需走访儿童": "visits",
    "分层分级名单": "visits",
    "转介汇总": "referrals",
    "转介清单": "referrals",
}


def assistance_footers(s: AssistanceSections) -> dict[str, list[str]]:
    """The lines under each assistance sheet: the period or date it is for, then its documents."""
    when = {
        "payroll": f"发放月份：{month_label(s.month)}",
        "education": f"学期：{s.term_label}",
    }
    footers = {}
    for sheet, section in _SHEET_SECTIONS.items():
        footers[sheet] = [when.get(section, f"核查日：{s.as_of.isoformat()}"), *references(s, section)]
    footers["高龄补贴花名册"].append("制表人：　　　　审核人：　　　　制表日期：")
    return footers


def county_sheets(
    data: RunData, county: str, sections: AssistanceSections | None = None
) -> dict[str, pd.DataFrame]:
    """The sheets of the county overview's ledger (with ``sections``, the county's assistance by township)."""
    table = headline_by_township(data.people, county)
    sheets = {"分镇分类人数": _reset(table.iloc[:-1]), "数据核算": _reset(accounting(data))}
    if sections is not None:
        sheets["高龄补贴分镇汇总"] = _reset(payroll_by_township(sections, county, total=False))
        sheets["帮扶救助分镇汇总"] = _reset(assistance_by_township(sections, county, total=False))
    return sheets


#: Sheets whose rows are not additive (a 合计 row would mean nothing).
_NO_TOTAL = {"数据核算", "问题汇总", "表间核对", "概况", "教育救助不符合原因"}
#: What a row of a list counts, shown in its 合计/小计 labels; summary sheets (rows are villages, townships
#: or levels) have no count.
_ROW_UNITS = {
    "核实名册": "人",
    "待核实": "人",
    "高龄补贴花名册": "人",
    "教育救助符合": "人",
    "教育救助待核实": "人",
    "无人监护（紧急）": "人",
    "监护问题清单": "条",
    "需走访儿童": "人",
    "分层分级名单": "人",
    "转介清单": "人次",
}
#: Lists with a 小计 per village (the payroll is paid, and the assistance handed out, by village).
_SUBTOTAL_BY = {"高龄补贴花名册": label("village"), "教育救助符合": label("village")}
#: Integer columns that are not counts or money: never summed.
_NOT_ADDITIVE = {"source_row", "age", "interval_days", "days_overdue"}


def write_workbook_ledger(
    sheets: Mapping[str, pd.DataFrame],
    path: Path | str,
    *,
    title: str,
    footers: Mapping[str, Sequence[str]] | None = None,
) -> Path:
    """Write workbook sheets as one formatted ledger: a 合计 row under each count table or list, a 小计 per
    village under the payroll and education lists, yuan as ``#,##0``, IDs as text, ``footers`` under a sheet."""
    integer_columns = {
        str(c) for df in sheets.values() for c in df.columns if pd.api.types.is_integer_dtype(df[c])
    }
    sum_columns = sorted(integer_columns - {label(c) for c in _NOT_ADDITIVE} - {"行号"})
    money = sorted(c for c in integer_columns if "（元" in c)  # 金额（元）, 资助标准（元/年）…
    return write_ledger(
        path,
        sheets,
        titles={name: f"{title}：{name}" for name in sheets},
        subtotal_by={name: _SUBTOTAL_BY.get(name) for name in sheets},
        money_columns=money,
        sum_columns=sum_columns,
        text_columns=_TEXT_COLUMNS,
        total_row={name: name not in _NO_TOTAL for name in sheets},
        footers={name: list((footers or {}).get(name, ())) for name in sheets},
        row_unit={name: _ROW_UNITS.get(name) for name in sheets},
    )
