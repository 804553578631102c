"""The codebook of the return template: canonical headers, field names, aliases and value vocabularies.

The codebook is data (``params/codebook.yaml``), not code, so that the bureau can accept a new spelling of a
header or a value without a release. :func:`load_codebook` merges any extra files of the same shape.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from liushou_core.errors import ParameterError
from liushou_core.paths import params_dir

#: The fields of the return template, in template order (PRODUCT.md §4.1).
FIELDS: tuple[str, ...] = (
    "township", "village", "name", "sex", "id_number", "category_declared", "group", "birth_date",
    "father_status", "mother_status", "husband_status", "children_status", "months_away",
    "guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone",
    "agreement_signed", "agreement_date", "guardianship_grade", "household_economy", "health",
    "disability_grade", "schooling", "boarding", "phone", "last_visit_date", "visitor", "notes",
)  # fmt: skip
REQUIRED_FIELDS: tuple[str, ...] = ("township", "village", "name", "sex", "id_number", "category_declared")

_SPACES = re.compile(r"\s+")


def header_key(text: object) -> str:
    """The comparison key of a header or vocabulary value: NFKC (full-width → half-width), no spaces."""
    s = unicodedata.normalize("NFKC", str(text))
    return _SPACES.sub("", s)


@dataclass(frozen=True)
class Codebook:
    """Header aliases and value vocabularies, with their normalised lookup tables."""

    headers: dict[str, str]  # field → canonical Chinese header
    required: frozenset[str]
    alias_to_field: dict[str, str]  # header_key(alias) → field
    values: dict[str, dict[str, str]] = field(
        default_factory=dict
    )  # vocabulary → header_key(spelling) → value

    def field_for_header(self, header: object) -> str | None:
        """The field a header cell names, or None if the header is not in the codebook."""
        return self.alias_to_field.get(header_key(header))

    def vocabulary(self, name: str) -> dict[str, str]:
        """Spelling (as :func:`header_key`) → canonical value, for one vocabulary of the codebook."""
        return self.values[name]

    def canonical_values(self, name: str) -> list[str]:
        """The canonical values of a vocabulary, in codebook order."""
        return list(dict.fromkeys(self.values[name].values()))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ParameterError(f"无法读取码表 {path}：{exc}") from exc
    if not isinstance(data, dict):
        raise ParameterError(f"码表 {path} 应为 YAML 映射（fields: / values:）")
    return data


def load_codebook(extra: Iterable[Path] = ()) -> Codebook:
    """Load ``params/codebook.yaml`` and merge the aliases and spellings of any ``extra`` files."""
    return _load(tuple(Path(p) for p in extra))


@lru_cache(maxsize=8)
def _load(extra: tuple[Path, ...]) -> Codebook:
    headers: dict[str, str] = {}
    required: set[str] = set()
    alias_to_field: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for path in (params_dir() / "codebook.yaml", *extra):
        data = _read_yaml(path)
        unknown = set(data) - {"fields", "values"}
        if unknown:
            raise ParameterError(f"码表 {path} 有未知的键：{sorted(unknown)}")
        for name, spec in (data.get("fields") or {}).items():
            if name not in FIELDS:
                raise ParameterError(f"码表 {path}：未知字段 {name}（可用字段：{', '.join(FIELDS)}）")
            spec = spec or {}
            if "header" in spec:
                headers[name] = str(spec["header"])
            if spec.get("required"):
                required.add(name)
            for alias in [spec.get("header", headers.get(name, "")), *(spec.get("aliases") or []), name]:
                key = header_key(alias)
                if not key:
                    continue
                other = alias_to_field.get(key)
                if other is not None and other != name:
                    raise ParameterError(f"码表 {path}：表头别名“{alias}”同时指向 {other} 和 {name}")
                alias_to_field[key] = name
        for vocab, mapping in (data.get("values") or {}).items():
            table = values.setdefault(str(vocab), {})
            for canonical, spellings in (mapping or {}).items():
                for spelling in [canonical, *(spellings or [])]:
                    table[header_key(spelling)] = str(canonical)
    missing = [f for f in FIELDS if f not in headers]
    if missing:
        raise ParameterError(f"码表缺少字段的标准表头：{missing}")
    return Codebook(
        headers=headers, required=frozenset(required), alias_to_field=alias_to_field, values=values
    )
