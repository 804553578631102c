"""--resume reuses a notebook only if its rules, codebook and code are unchanged, not just the version string."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from liushou_core.batch import fingerprint as fp
from liushou_core.paths import params_dir

TEMPLATE_TEXT = '{"cells": []}'


@pytest.fixture
def params_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "params"
    shutil.copytree(params_dir(), root)
    monkeypatch.setenv("LIUSHOU_PARAMS", str(root))
    return root


@pytest.fixture
def template(tmp_path: Path) -> Path:
    path = tmp_path / "t.ipynb"
    path.write_text(TEMPLATE_TEXT, encoding="utf-8")
    return path


def _notebook(template: Path) -> str:
    return fp.notebook_fingerprint("data", {"township": "蓬莱镇"}, template)


def test_an_unchanged_rules_folder_keeps_the_fingerprint(params_copy: Path, template: Path) -> None:
    assert _notebook(template) == _notebook(template)


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        pytest.param("allowances/old_age_monthly.yaml", "value: 25", "value: 30",
                     id="correcting an allowance amount changes the fingerprint"),
        pytest.param("codebook.yaml", "学前: [学前,", "学前: [学前, 学前班,",
                     id="adding a spelling to the codebook changes the fingerprint"),
        pytest.param("guardianship/present_parent_statuses.yaml", "value: [在家]", "value: [在家, 无监护能力]",
                     id="changing a guardianship parameter changes the fingerprint"),
    ],
)  # fmt: skip
def test_a_changed_rule_file_changes_the_fingerprint(
    params_copy: Path, template: Path, file: str, old: str, new: str
) -> None:
    before = _notebook(template)
    path = params_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    assert _notebook(template) != before


def test_a_run_file_does_not_change_the_rules_fingerprint(params_copy: Path) -> None:
    before = fp.params_fingerprint()
    (params_copy / "runs" / "another.yaml").write_text("county: 大英县\n", encoding="utf-8")
    assert fp.params_fingerprint() == before


def test_the_code_fingerprint_follows_the_files_not_the_version(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "rules").mkdir(parents=True)
    (package / "__init__.py").write_text('__version__ = "0.1.0"\n', encoding="utf-8")
    (package / "rules" / "allowances.py").write_text("AMOUNT = 25\n", encoding="utf-8")
    before = fp.tree_fingerprint(package, fp.CODE_SUFFIXES)
    (package / "rules" / "allowances.py").write_text("AMOUNT = 30\n", encoding="utf-8")
    changed = fp.tree_fingerprint(package, fp.CODE_SUFFIXES)
    assert changed != before
    (package / "rules" / "__pycache__").mkdir()
    (package / "rules" / "__pycache__" / "allowances.cpython-311.pyc").write_bytes(b"\0")
    assert fp.tree_fingerprint(package, fp.CODE_SUFFIXES) == changed  # compiled caches are not code


def test_changed_code_changes_every_notebook_and_cleaning_fingerprint(
    template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, clean_before = _notebook(template), fp.cleaning_dependencies()
    monkeypatch.setattr(fp, "code_fingerprint", lambda: "0" * 64)
    assert _notebook(template) != before and fp.cleaning_dependencies() != clean_before
