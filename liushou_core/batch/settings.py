"""A run's settings (``liushou run PARAMS.yaml``): one YAML file, checked in full before any kernel starts.

Keys (Chinese comments in ``params/runs/sample.yaml`` show a filled-in example)::

    county: 大英县                 # required
    reference_date: 2017-12-31     # required, 认定基准日 (YYYY-MM-DD)
    payroll_month: 2018-01         # required, 高龄补贴发放月份 (YYYY-MM)
    school_term: 2017秋季          # optional, 教育救助学期 (default: the term running in the payroll month)
    as_of: 2017-12-31              # optional, 走访与监护核查日 (default: the reference date; not before it)
    inputs: outputs/demo/sample    # required, a folder or file of returns, or a list of them
    output: outputs/demo/run       # required, the run folder (created if missing)
    previous: outputs/2017/run     # optional, the previous round's run folder (动态管理)
    decisions: returns/回收清单     # optional, the folder (or one file) where the townships' filled-in
                                   # 问题数据清单 are collected; never inside the output folder
    codebooks: [params/extra.yaml] # optional, extra header/value aliases
    params: params                 # optional, the county's own rules folder (default: LIUSHOU_PARAMS, else
                                   # the rules shipped with the package; ``liushou init`` makes a copy)
    jobs: 2                        # optional, parallel notebooks (default: the core count)
    timeout: 600                   # optional, seconds per notebook (default 600; see batch.GRACE_S)

``school_term`` is written ``2017秋季`` / ``2018春季`` (also ``2017年秋季学期``, ``2017秋``) or as the date a
term starts (``2018-09-01``); it is kept as ``2017秋季`` or the ISO date. Its default is the term running on
the first day of the payroll month (:func:`liushou_core.values.periods.term_of`: January 2018 → ``2017秋季``).
``as_of`` is the date on which guardianship, home visits and referrals are checked; the register describes
people at the reference date, so an earlier date is refused.

``timeout`` bounds each notebook: a cell running longer is stopped by papermill (the failing cell is
recorded), and a notebook still not done ``batch.GRACE_S`` seconds later (kernel start, HTML export) is
stopped by the runner.

Relative paths are taken from the folder the command is run in (the checkout, for ``make demo``). Every
problem is reported at once, each naming the file and the key, in Chinese; the exception is
:class:`~liushou_core.errors.ConfigError`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from liushou_core.errors import ConfigError
from liushou_core.runfolder import clean_dir
from liushou_core.values.periods import TERM_START, month_start, parse_term, term_of

REQUIRED_KEYS = ("county", "reference_date", "payroll_month", "inputs", "output")
OPTIONAL_KEYS = (
    "school_term",
    "as_of",
    "previous",
    "decisions",
    "codebooks",
    "params",
    "jobs",
    "timeout",
    "description",
)
DEFAULT_TIMEOUT_S = 600
MAX_TIMEOUT_S = 24 * 3600

#: How the checks report a problem: ``bad(key, message)``; all problems are collected, then raised together.
Report = Callable[[str, str], None]

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class RunConfig:
    """The validated settings of one run; paths are absolute."""

    source: Path
    county: str
    reference_date: date
    payroll_month: str  # YYYY-MM
    inputs: tuple[Path, ...]
    output: Path
    previous: Path | None = None
    decisions: Path | None = None
    codebooks: tuple[Path, ...] = ()
    params: Path | None = None  # None: LIUSHOU_PARAMS, else the package's rules
    jobs: int | None = None  # None: the core count
    timeout: int = DEFAULT_TIMEOUT_S
    description: str = ""
    school_term: str = ""  # "2017秋季" or a start date; empty: the term of the payroll month
    as_of: date | None = None  # None: the reference date

    @property
    def clean_dir(self) -> Path:
        """Where the cleaner writes people.parquet, issues.parquet and summary.json."""
        return clean_dir(self.output)

    def effective_jobs(self, override: int | None = None) -> int:
        """Parallel notebooks: the command-line value, else the file's, else the core count."""
        return max(1, override or self.jobs or os.cpu_count() or 1)

    @property
    def term(self) -> str:
        """The school term of the education-assistance list: the one given, else the payroll month's."""
        return self.school_term or default_school_term(self.payroll_month)

    @property
    def check_date(self) -> date:
        """The date guardianship, home visits and referrals are checked on: ``as_of``, else the reference date."""
        return self.as_of or self.reference_date

    def notebook_parameters(self) -> dict[str, str]:
        """The plain values every notebook receives (besides its township), as papermill parameters."""
        return {
            "county": self.county,
            "reference_date": self.reference_date.isoformat(),
            "payroll_month": self.payroll_month,
            "school_term": self.term,
            "as_of": self.check_date.isoformat(),
            "previous_run": str(self.previous) if self.previous else "",
        }

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON values (for the manifest)."""
        out: dict[str, Any] = {}
        for key, value in asdict(self).items():
            if isinstance(value, Path):
                out[key] = str(value)
            elif isinstance(value, tuple):
                out[key] = [str(v) for v in value]
            elif isinstance(value, date):
                out[key] = value.isoformat()
            else:
                out[key] = value
        return out


def load_run_config(path: Path, *, base: Path | None = None) -> RunConfig:
    """Read and check a run's YAML; relative paths are resolved against ``base`` (default: the cwd).

    Raises :class:`ConfigError` listing every problem (missing or unknown keys, bad dates, missing input
    folders, non-positive numbers), each as “运行参数文件 FILE，键 KEY：…”.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"找不到运行参数文件 {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"运行参数文件 {path} 不是有效的 YAML（UTF-8）：{exc}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"运行参数文件 {path} 应为“键: 值”的列表，例如 county: 大英县")
    return parse_run_config(data, source=path, base=base)


def parse_run_config(data: Mapping[str, Any], *, source: Path, base: Path | None = None) -> RunConfig:
    """Check a run's settings given as a mapping (see :func:`load_run_config`)."""
    root = Path(base) if base is not None else Path.cwd()
    problems: list[str] = []

    def bad(key: str, message: str) -> None:
        problems.append(f"键 {key}：{message}")

    for key in REQUIRED_KEYS:
        if data.get(key) in (None, ""):
            bad(key, "必须填写")
    for key in data:
        if key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            bad(str(key), "不认识的键（可用的键：" + "、".join(REQUIRED_KEYS + OPTIONAL_KEYS) + "）")

    county = str(data.get("county") or "").strip()
    reference_date = _date(data.get("reference_date"), "reference_date", bad)
    payroll_month = _month(data.get("payroll_month"), "payroll_month", bad)
    school_term = _term(data.get("school_term"), "school_term", bad)
    as_of = _date(data.get("as_of"), "as_of", bad)
    inputs = tuple(_paths(data.get("inputs"), "inputs", root, bad, must_exist=True))
    output = _path(data.get("output"), "output", root, bad)
    previous = _path(data.get("previous"), "previous", root, bad, must_exist=True, folder=True)
    decisions = _path(data.get("decisions"), "decisions", root, bad, must_exist=True)
    codebooks = tuple(_paths(data.get("codebooks"), "codebooks", root, bad, must_exist=True))
    params = _path(data.get("params"), "params", root, bad, must_exist=True, folder=True)
    if params is not None and not (params / "codebook.yaml").is_file():
        bad(
            "params",
            f"“{params}”不是规则文件夹（其中没有 codebook.yaml）；可用 liushou init 生成一份规则副本",
        )
    jobs = _int(data.get("jobs"), "jobs", bad, low=1, high=1024)
    timeout = _int(data.get("timeout"), "timeout", bad, low=1, high=MAX_TIMEOUT_S)

    if as_of is not None and reference_date is not None and as_of < reference_date:
        bad(
            "as_of",
            f"核查日 {as_of.isoformat()} 早于认定基准日 {reference_date.isoformat()}："
            "核实名册反映的是基准日的情况，核查日应为基准日或其后的日期",
        )
    if output is not None and output.exists() and not output.is_dir():
        bad("output", f"“{output}”已存在且不是文件夹")
    if output is not None and any(output == p or p.is_relative_to(output) for p in inputs):
        bad("output", "输出文件夹不能包含输入报表（输入从不修改）")
    if output is not None and decisions is not None and decisions.is_relative_to(output):
        bad(
            "decisions",
            "交回的问题数据清单不能放在输出文件夹内：每次运行都会重写输出文件夹，填好的清单会丢失",
        )

    if problems:
        raise ConfigError(f"运行参数文件 {source}：\n  " + "\n  ".join(problems))
    assert reference_date is not None and payroll_month is not None and output is not None
    return RunConfig(
        source=Path(source).resolve(),
        county=county,
        reference_date=reference_date,
        payroll_month=payroll_month,
        inputs=inputs,
        output=output,
        previous=previous,
        decisions=decisions,
        codebooks=codebooks,
        params=params,
        jobs=jobs,
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT_S,
        description=str(data.get("description") or ""),
        school_term=school_term or default_school_term(payroll_month),
        as_of=as_of or reference_date,
    )


def default_school_term(payroll_month: str) -> str:
    """The term running on the first day of the payroll month: ``2018-01`` → ``2017秋季``."""
    return term_of(month_start(payroll_month))


def _date(value: Any, key: str, bad: Report) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # YAML reads 2017-12-31 10:00 as a datetime: keep its day
        return value.date()
    if isinstance(value, date):  # YAML reads an unquoted 2017-12-31 as a date already
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        bad(key, f"应为 YYYY-MM-DD 格式的日期，而不是“{value}”")
        return None


def _month(value: Any, key: str, bad: Report) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):  # 2018-01-01 written for a month: keep its month
        return value.strftime("%Y-%m")
    text = str(value).strip()
    if not _MONTH.fullmatch(text):
        bad(key, f"应为 YYYY-MM 格式的月份，而不是“{value}”")
        return None
    return text


def _term(value: Any, key: str, bad: Report) -> str | None:
    """A school term as ``2017秋季``/``2018春季``, or the ISO date a term starts on."""
    if value is None or value == "":
        return None
    if isinstance(value, date):  # YAML reads an unquoted 2018-09-01 as a date already
        return parse_term(value)[1].isoformat()
    text = str(value).strip()
    try:
        label, start = parse_term(text)
    except ConfigError:
        bad(key, f"学期应写作“2017秋季”“2018春季”或开学日期 YYYY-MM-DD，而不是“{value}”")
        return None
    if label.endswith("起"):  # a start date
        return start.isoformat()
    return f"{start.year}{'春' if start.month == TERM_START['春'][0] else '秋'}季"


def _int(value: Any, key: str, bad: Report, *, low: int, high: int) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        bad(key, f"应为整数，而不是“{value}”")
        return None
    if not low <= value <= high:
        bad(key, f"应在 {low} 到 {high} 之间，而不是 {value}")
        return None
    return value


def _path(
    value: Any, key: str, root: Path, bad: Report, *, must_exist: bool = False, folder: bool = False
) -> Path | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str | os.PathLike):
        bad(key, f"应为一个路径，而不是“{value}”")
        return None
    path = Path(value).expanduser()
    path = (path if path.is_absolute() else root / path).resolve()
    if must_exist and not path.exists():
        bad(key, f"找不到“{path}”")
        return None
    if folder and not path.is_dir():
        bad(key, f"“{path}”应为文件夹")
        return None
    return path


def _paths(value: Any, key: str, root: Path, bad: Report, *, must_exist: bool) -> list[Path]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    found = [_path(v, key, root, bad, must_exist=must_exist) for v in items]
    return [p for p in found if p is not None]
