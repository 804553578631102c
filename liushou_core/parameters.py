"""Dated policy parameters (rules as data), in the OpenFisca/PolicyEngine shape.

Each file under a topic folder of ``params/`` (``params/definitions/child_age_limit.yaml`` …) that has a
top-level ``values``, ``brackets`` or unit key is one parameter, named by its dotted path without ``.yaml``
(``"definitions.child_age_limit"``). Files directly in ``params/`` (the codebook, the division aliases, the
survey settings), other YAML files in topic folders (run settings in ``params/runs/``) and folders whose
name starts with ``_`` or ``.`` are not parameters and are ignored.

A plain parameter::

    description: 留守儿童年龄上限（不满该周岁）
    unit: year
    values:
      2016-02-04:
        value: 16
        reference: {document: 国发〔2016〕13号, title: …, article: …, date: 2016-02-04, url: …}
      # or, for a value the bureau still has to confirm:
      #   value: 6
      #   assumption: true
      #   note: 待县民政局确认：…

A value is in force from its date until the next date of the same parameter; ``value: null`` ends it.
Every value carries a ``reference`` (the document that sets it), or ``assumption: true`` with a ``note``
saying what to confirm. A single-amount scale (``type: single_amount``, the 高龄补贴 tiers) has
``threshold_unit``, ``amount_unit`` and ``brackets``, each bracket a ``threshold`` and an ``amount`` with
values keyed by date in the same way. YAML anchors (``&ref`` / ``*ref``) may share one reference.

Loading is strict: unknown keys, duplicate or unordered dates, values that do not fit their unit, a missing
reference and thresholds that do not increase are :class:`~liushou_core.errors.ParameterError`, naming the
file and the key. Asking for a date before a parameter's first value is an error too, never a silent default.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from liushou_core.errors import ParameterError
from liushou_core.paths import params_dir

#: Units a parameter may declare, and the Python type its values must have.
UNITS: dict[str, str] = {
    "year": "int",  # 周岁, years
    "month": "int",
    "day": "int",
    "count": "int",
    "currency-CNY": "int",  # whole yuan
    "currency-CNY-per-month": "int",
    "currency-CNY-per-year": "int",
    "list": "list",  # a list of text values
    "bool": "bool",
    "text": "text",  # a code, optionally restricted by ``choices``
    "date": "date",
}

_PARAMETER_KEYS = {"description", "unit", "values", "choices", "documentation"}
_SCALE_KEYS = {"description", "type", "threshold_unit", "amount_unit", "brackets", "documentation"}
_ENTRY_KEYS = {"value", "reference", "assumption", "note"}
_REFERENCE_KEYS = {"document", "title", "article", "date", "url", "note"}
_BRACKET_KEYS = {"threshold", "amount", "label"}

Scalar = int | bool | str | dt.date | tuple[str, ...] | None


def _as_date(on: dt.date | str) -> dt.date:
    """A lookup date: a ``date``, a ``datetime``/``Timestamp`` (its date) or an ISO ``YYYY-MM-DD`` string."""
    if isinstance(on, dt.datetime):
        return on.date()
    if isinstance(on, dt.date):
        return on
    try:
        return dt.date.fromisoformat(str(on))
    except ValueError:
        raise ParameterError(f"日期应为 YYYY-MM-DD 格式，而不是“{on}”") from None


@dataclass(frozen=True)
class Reference:
    """The document that sets a value: 文号 (``document``), title, article, date and address."""

    document: str
    title: str | None = None
    article: str | None = None
    date: dt.date | None = None
    url: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        text = self.document
        if self.title:
            text += f"《{self.title.strip('《》')}》"
        if self.article:
            text += self.article
        return text


@dataclass(frozen=True)
class DatedValue:
    """One value of a parameter and the date from which it is in force."""

    start: dt.date
    value: Scalar
    reference: Reference | None
    assumption: bool = False
    note: str | None = None

    def citation(self) -> str:
        """The reference as one line for a ledger's 依据 column; an assumption says so."""
        text = str(self.reference) if self.reference else ""
        if self.assumption:
            text = f"{text}（假设：{self.note}）" if text else f"假设：{self.note}"
        return text


@dataclass(frozen=True)
class _Series:
    """Values keyed by start date (ascending); the value at a date is the last one that started on or before it."""

    name: str
    file: Path
    values: tuple[DatedValue, ...]

    def at(self, on: dt.date) -> DatedValue:
        chosen: DatedValue | None = None
        for v in self.values:
            if v.start <= on:
                chosen = v
        if chosen is None:
            first = self.values[0].start.isoformat()
            raise ParameterError(
                f"参数 {self.name}（{self.file}）在 {on.isoformat()} 尚未生效：最早的取值从 {first} 起"
            )
        if chosen.value is None:
            raise ParameterError(
                f"参数 {self.name}（{self.file}）自 {chosen.start.isoformat()} 起已停止执行，{on.isoformat()} 无取值"
            )
        return chosen

    def active(self, on: dt.date) -> bool:
        started = [v for v in self.values if v.start <= on]
        return bool(started) and started[-1].value is not None


@dataclass(frozen=True)
class Parameter:
    """A plain dated parameter (one YAML file)."""

    name: str
    file: Path
    description: str
    unit: str
    series: _Series
    choices: tuple[str, ...] | None = None
    documentation: str | None = None

    @property
    def values(self) -> tuple[DatedValue, ...]:
        return self.series.values

    @property
    def assumption(self) -> bool:
        """True when any dated value is an assumption the bureau has to confirm."""
        return any(v.assumption for v in self.values)

    def at(self, on: dt.date | str) -> DatedValue:
        return self.series.at(_as_date(on))


@dataclass(frozen=True)
class Bracket:
    """One bracket of a single-amount scale: from ``threshold`` (inclusive) the ``amount`` applies."""

    threshold: _Series
    amount: _Series
    label: str | None = None


@dataclass(frozen=True)
class ScaleAt:
    """A scale as in force on one date: ascending thresholds, their amounts and tier labels."""

    name: str
    on: dt.date
    thresholds: tuple[int, ...]
    amounts: tuple[int, ...]
    labels: tuple[str, ...]
    references: tuple[DatedValue, ...]  # the amount entries, for citations

    def bracket_index(self, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Index of the bracket each value falls in (threshold inclusive), −1 below the first threshold."""
        arr = np.asarray(values)
        return np.searchsorted(np.asarray(self.thresholds), arr, side="right").astype(np.int64) - 1

    def calc(self, values: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """The amount for each value (0 below the first threshold), vectorised."""
        idx = self.bracket_index(values)
        table = np.asarray((0, *self.amounts), dtype=np.int64)
        return table[idx + 1]


@dataclass(frozen=True)
class Scale:
    """A single-amount scale (one YAML file with ``brackets``)."""

    name: str
    file: Path
    description: str
    threshold_unit: str
    amount_unit: str
    brackets: tuple[Bracket, ...]
    documentation: str | None = None

    @property
    def assumption(self) -> bool:
        return any(v.assumption for b in self.brackets for v in (*b.threshold.values, *b.amount.values))

    @property
    def values(self) -> tuple[DatedValue, ...]:
        """Every dated entry of the scale (thresholds and amounts), for listing assumptions."""
        return tuple(v for b in self.brackets for v in (*b.threshold.values, *b.amount.values))

    def at(self, on: dt.date | str) -> ScaleAt:
        day = _as_date(on)
        active = [b for b in self.brackets if b.threshold.active(day) and b.amount.active(day)]
        if not active:
            starts = sorted(v.start for b in self.brackets for v in b.threshold.values)
            first = starts[0].isoformat() if starts else "?"
            raise ParameterError(
                f"标准 {self.name}（{self.file}）在 {day.isoformat()} 尚未生效：最早从 {first} 起"
            )
        thresholds = tuple(int(b.threshold.at(day).value) for b in active)  # type: ignore[arg-type]
        amounts = tuple(int(b.amount.at(day).value) for b in active)  # type: ignore[arg-type]
        labels = tuple(
            b.label or _tier_label(thresholds, i, self.threshold_unit) for i, b in enumerate(active)
        )
        return ScaleAt(self.name, day, thresholds, amounts, labels, tuple(b.amount.at(day) for b in active))


def _tier_label(thresholds: Sequence[int], i: int, unit: str) -> str:
    """``80–89岁`` for a bracket closed by the next threshold, ``100岁及以上`` for the last one."""
    suffix = "岁" if unit == "year" else ""
    low = thresholds[i]
    if i + 1 < len(thresholds):
        return f"{low}–{thresholds[i + 1] - 1}{suffix}"
    return f"{low}{suffix}及以上"


# ---------------------------------------------------------------------------------------------- loading


class _StrictLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (plain YAML keeps the last one silently)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            line = key_node.start_mark.line + 1
            raise ParameterError(f"键“{key}”重复出现（第 {line} 行）")
        seen[key] = loader.construct_object(value_node, deep=deep)
    return seen


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Where:
    """File + key path for error messages."""

    def __init__(self, file: Path, key: str = "") -> None:
        self.file = file
        self.key = key

    def child(self, key: object) -> _Where:
        k = key.isoformat() if isinstance(key, dt.date) else str(key)
        return _Where(self.file, f"{self.key}.{k}" if self.key else k)

    def error(self, message: str) -> ParameterError:
        where = f"参数文件 {self.file}" + (f"，键 {self.key}" if self.key else "")
        return ParameterError(f"{where}：{message}")


def _check_keys(data: Mapping[str, Any], allowed: set[str], where: _Where) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise where.error(f"未知的键 {unknown}（可用：{sorted(allowed)}）")


def _text(data: Mapping[str, Any], key: str, where: _Where, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            raise where.child(key).error("缺少此项")
        return None
    if not isinstance(value, str | int | float | dt.date) or isinstance(value, bool):
        raise where.child(key).error(f"应为文字，而不是 {type(value).__name__}")
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _parse_reference(raw: Any, where: _Where) -> Reference:
    if isinstance(raw, str):
        return Reference(document=raw)
    if not isinstance(raw, Mapping):
        raise where.error(
            "出处（reference）应为映射：{document: 文号, title: …, article: …, date: …, url: …}"
        )
    _check_keys(raw, _REFERENCE_KEYS, where)
    date_raw = raw.get("date")
    date = _parse_date_key(date_raw, where.child("date")) if date_raw is not None else None
    return Reference(
        document=str(_text(raw, "document", where)),
        title=_text(raw, "title", where, required=False),
        article=_text(raw, "article", where, required=False),
        date=date,
        url=_text(raw, "url", where, required=False),
        note=_text(raw, "note", where, required=False),
    )


def _parse_date_key(raw: Any, where: _Where) -> dt.date:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise where.error(f"“{raw}”不是 YYYY-MM-DD 格式的日期") from None


def _check_value(value: Any, unit: str, choices: tuple[str, ...] | None, where: _Where) -> Scalar:
    if value is None:
        return None
    kind = UNITS[unit]
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.error(f"单位 {unit} 的取值应为整数，而不是“{value}”")
        if value < 0:
            raise where.error(f"单位 {unit} 的取值不能为负数（{value}）")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise where.error(f"单位 bool 的取值应为 true/false，而不是“{value}”")
        return value
    if kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise where.error(f"单位 list 的取值应为文字列表，而不是“{value}”")
        return tuple(value)
    if kind == "date":
        return _parse_date_key(value, where)
    # text
    if not isinstance(value, str):
        raise where.error(f"单位 text 的取值应为文字，而不是“{value}”")
    if choices is not None and value not in choices:
        raise where.error(f"取值“{value}”不在可选值 {list(choices)} 之中")
    return value


def _parse_values(raw: Any, unit: str, choices: tuple[str, ...] | None, name: str, where: _Where) -> _Series:
    if not isinstance(raw, Mapping) or not raw:
        raise where.error("应为按生效日期排列的取值映射（YYYY-MM-DD: {value: …, reference: …}）")
    entries: list[DatedValue] = []
    for key, entry in raw.items():
        w = where.child(key)
        start = _parse_date_key(key, w)
        if entries and start <= entries[-1].start:
            if start == entries[-1].start:
                raise w.error(f"生效日期 {start.isoformat()} 重复")
            raise w.error(
                f"生效日期应按先后排列：{start.isoformat()} 排在 {entries[-1].start.isoformat()} 之后"
            )
        if not isinstance(entry, Mapping):
            raise w.error("每个生效日期下应为 {value: …, reference: …} 映射")
        _check_keys(entry, _ENTRY_KEYS, w)
        if "value" not in entry:
            raise w.child("value").error("缺少取值（value）")
        value = _check_value(entry["value"], unit, choices, w.child("value"))
        assumption = entry.get("assumption", False)
        if not isinstance(assumption, bool):
            raise w.child("assumption").error("应为 true 或 false")
        note = _text(entry, "note", w, required=False)
        reference = (
            _parse_reference(entry["reference"], w.child("reference")) if "reference" in entry else None
        )
        if value is not None and reference is None and not assumption:
            raise w.error(
                "缺少出处（reference）；若取值尚无文件依据，写 assumption: true 并在 note 中说明待确认的内容"
            )
        if assumption and not note:
            raise w.child("note").error("假设取值（assumption: true）须在 note 中说明待确认的内容")
        entries.append(DatedValue(start, value, reference, assumption, note))
    return _Series(name, where.file, tuple(entries))


def _parse_unit(data: Mapping[str, Any], key: str, where: _Where) -> str:
    unit = data.get(key)
    if unit not in UNITS:
        raise where.child(key).error(f"单位“{unit}”无效（可用单位：{', '.join(UNITS)}）")
    return str(unit)


def _parse_parameter(name: str, data: Mapping[str, Any], where: _Where) -> Parameter:
    _check_keys(data, _PARAMETER_KEYS, where)
    description = str(_text(data, "description", where))
    unit = _parse_unit(data, "unit", where)
    choices: tuple[str, ...] | None = None
    if "choices" in data:
        raw = data["choices"]
        if unit != "text" or not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
            raise where.child("choices").error("choices 只用于单位 text，应为文字列表")
        choices = tuple(raw)
    if "values" not in data:
        raise where.child("values").error("缺少此项")
    series = _parse_values(data["values"], unit, choices, name, where.child("values"))
    documentation = _text(data, "documentation", where, required=False)
    return Parameter(name, where.file, description, unit, series, choices, documentation)


def _parse_scale(name: str, data: Mapping[str, Any], where: _Where) -> Scale:
    _check_keys(data, _SCALE_KEYS, where)
    description = str(_text(data, "description", where))
    if data.get("type", "single_amount") != "single_amount":
        raise where.child("type").error(f"只支持 single_amount 标准，而不是“{data.get('type')}”")
    threshold_unit = _parse_unit(data, "threshold_unit", where)
    amount_unit = _parse_unit(data, "amount_unit", where)
    for key, unit in (("threshold_unit", threshold_unit), ("amount_unit", amount_unit)):
        if UNITS[unit] != "int":
            raise where.child(key).error(f"分档标准的单位须为数值单位，而不是 {unit}")
    raw = data.get("brackets")
    if not isinstance(raw, list) or not raw:
        raise where.child("brackets").error("应为分档列表（每档含 threshold 和 amount）")
    brackets: list[Bracket] = []
    for i, item in enumerate(raw):
        w = where.child(f"brackets[{i}]")
        if not isinstance(item, Mapping):
            raise w.error("每档应为 {threshold: …, amount: …} 映射")
        _check_keys(item, _BRACKET_KEYS, w)
        for key in ("threshold", "amount"):
            if key not in item:
                raise w.child(key).error("缺少此项")
        threshold = _parse_values(item["threshold"], threshold_unit, None, name, w.child("threshold"))
        amount = _parse_values(item["amount"], amount_unit, None, name, w.child("amount"))
        label = _text(item, "label", w, required=False)
        brackets.append(Bracket(threshold, amount, label))
    scale = Scale(name, where.file, description, threshold_unit, amount_unit, tuple(brackets),
                  _text(data, "documentation", where, required=False))  # fmt: skip
    # Thresholds must increase on every date at which anything changes.
    for day in sorted({v.start for v in scale.values}):
        active = [b for b in scale.brackets if b.threshold.active(day) and b.amount.active(day)]
        ts = [int(b.threshold.at(day).value) for b in active]  # type: ignore[arg-type]
        if any(b <= a for a, b in zip(ts, ts[1:], strict=False)):
            raise where.child("brackets").error(f"{day.isoformat()} 起各档的起点 {ts} 未按从小到大排列")
    return scale


@dataclass(frozen=True)
class ParameterSet:
    """All parameters of a params/ folder, looked up by dotted name and date."""

    root: Path
    items: Mapping[str, Parameter | Scale]

    def __contains__(self, name: object) -> bool:
        return name in self.items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.items))

    def names(self, prefix: str = "") -> list[str]:
        """Parameter names, optionally only those under ``prefix`` (``"education."``)."""
        return sorted(n for n in self.items if n.startswith(prefix))

    def _get(self, name: str) -> Parameter | Scale:
        try:
            return self.items[name]
        except KeyError:
            near = [n for n in self.items if n.split(".")[0] == name.split(".")[0]]
            hint = f"（同一目录下有：{', '.join(sorted(near))}）" if near else ""
            raise ParameterError(f"{self.root} 中没有参数 {name}{hint}") from None

    def parameter(self, name: str) -> Parameter | Scale:
        """The parameter or scale object itself: description, unit, every dated value, assumption flags."""
        return self._get(name)

    def _plain(self, name: str) -> Parameter:
        p = self._get(name)
        if isinstance(p, Scale):
            raise ParameterError(f"参数 {name}（{p.file}）是分档标准，请用 scale() 查询")
        return p

    def entry(self, name: str, on: dt.date | str) -> DatedValue:
        """The dated entry (value, reference, assumption) of a plain parameter in force on ``on``."""
        return self._plain(name).at(on)

    def value(self, name: str, on: dt.date | str) -> Any:
        """The value of a plain parameter in force on ``on`` (a list parameter gives a tuple)."""
        return self.entry(name, on).value

    def reference(self, name: str, on: dt.date | str) -> Reference | None:
        """The document that sets the value in force on ``on`` (None for a bare assumption)."""
        return self.entry(name, on).reference

    def scale(self, name: str, on: dt.date | str) -> ScaleAt:
        """A single-amount scale as in force on ``on``."""
        p = self._get(name)
        if not isinstance(p, Scale):
            raise ParameterError(f"参数 {name}（{p.file}）不是分档标准，请用 value() 查询")
        return p.at(on)

    def assumptions(self) -> list[tuple[str, DatedValue]]:
        """Every dated value that is an assumption to confirm, as (parameter name, entry)."""
        return [(n, v) for n in sorted(self.items) for v in self.items[n].values if v.assumption]


def assumption_table(params: ParameterSet | None = None) -> list[dict[str, str]]:
    """Every value the bureau still has to confirm, one record per dated value: parameter name, description,
    effective date, value, what to confirm, and the source it was taken from (for a 待确认事项 sheet)."""
    ps = params or load_parameters()
    rows = []
    for name, entry in ps.assumptions():
        value = entry.value
        shown = "、".join(value) if isinstance(value, tuple) else "" if value is None else str(value)
        rows.append(
            {
                "parameter": name,
                "description": ps.parameter(name).description,
                "start": entry.start.isoformat(),
                "value": shown,
                "to_confirm": entry.note or "",
                "source": str(entry.reference) if entry.reference else "",
            }
        )
    return rows


def _load_file(path: Path, name: str) -> Parameter | Scale:
    where = _Where(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)  # noqa: S506 - safe subclass
    except ParameterError as exc:
        raise where.error(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise where.error(f"无法读取：文件应为 UTF-8 编码（{exc}）") from exc
    except ValueError as exc:  # an impossible date such as 2017-13-01 fails inside the YAML constructor
        raise where.error(f"无法读取：日期不存在或不是 YYYY-MM-DD 格式（{exc}）") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise where.error(f"无法读取：{exc}") from exc
    if not isinstance(data, Mapping):
        raise where.error("应为 YAML 映射（description / unit / values，或 brackets）")
    if "brackets" in data or any(k in data for k in ("threshold_unit", "amount_unit")):
        return _parse_scale(name, data, where)
    return _parse_parameter(name, data, where)


_MARKER_KEYS = ("values", "brackets", "unit", "threshold_unit", "amount_unit")


def _is_parameter_file(path: Path) -> bool:
    """A YAML file is a parameter when it has a top-level ``values``, ``brackets`` or unit key; other files
    in topic folders (run settings such as ``params/runs/*.yaml``, sharing profiles) are not. Checked on the
    raw text so that a broken parameter file still reaches the strict loader and its error message."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return True
    return any(re.search(rf"^{key}\s*:", text, re.MULTILINE) for key in _MARKER_KEYS)


def load_parameters(root: Path | None = None) -> ParameterSet:
    """Load and validate every parameter under the topic folders of ``root`` (default ``paths.params_dir()``).

    The result is cached per folder; call ``load_parameters.cache_clear()`` after editing files.
    """
    return _load_cached((Path(root) if root is not None else params_dir()).resolve())


@lru_cache(maxsize=8)
def _load_cached(root: Path) -> ParameterSet:
    if not root.is_dir():
        raise ParameterError(f"参数目录 {root} 不存在")
    items: dict[str, Parameter | Scale] = {}
    for path in sorted(root.glob("*/**/*.yaml")):
        rel = path.relative_to(root).with_suffix("")
        if any(part.startswith(("_", ".")) for part in rel.parts) or not _is_parameter_file(path):
            continue
        name = ".".join(rel.parts)
        items[name] = _load_file(path, name)
    return ParameterSet(root, items)


load_parameters.cache_clear = _load_cached.cache_clear  # type: ignore[attr-defined]
