"""The layout of a run folder: where each part of a ``liushou run`` lives. Every reader and writer asks here.

::

    RUN/clean/…                                   the cleaner's outputs (people.parquet, issues.parquet, …)
    RUN/townships/<township>/investigation.{ipynb,html,xlsx}   摸排工作簿
    RUN/townships/<township>/assistance.{ipynb,html,xlsx}      帮扶救助工作簿
    RUN/townships/<township>/changes.{…}          动态变化工作簿 (with ``previous:``)
    RUN/county/county.{ipynb,html,xlsx}           县级总览 (and county/changes.{…} with ``previous:``)
    RUN/changes/…                                 with ``previous:``: the change register (liushou compare)
    RUN/rules/…                                   each rule's table (parquet)
    RUN/tables/…                                  the workbooks' table store, computed once for the county
                                                  (see :mod:`liushou_core.workbooks.tablestore`)
    RUN/logs/<township>-<kind>.log                each notebook's kernel and worker output
    RUN/.work/…                                   the workers' task and outcome files while a run goes on
    RUN/manifest.json                             see :mod:`liushou_core.batch.manifest`

A cleaned round is either a run folder (its ``clean/``) or a ``liushou clean`` output folder (people.parquet
at its top): :func:`cleaned_folder` says which folder holds people.parquet.
"""

from __future__ import annotations

from pathlib import Path

from liushou_core.paths import safe_name

CLEAN_DIR = "clean"
TOWNSHIPS_DIR = "townships"
COUNTY_DIR = "county"
CHANGES_DIR = "changes"
RULES_DIR = "rules"
TABLES_DIR = "tables"
LOGS_DIR = "logs"
WORK_DIR = ".work"
MANIFEST_NAME = "manifest.json"
#: The verified register, the one file every cleaned round has.
PEOPLE_FILE = "people.parquet"

#: The township workbooks, in the order they run, with their Chinese titles.
NOTEBOOK_KINDS: dict[str, str] = {"investigation": "摸排工作簿", "assistance": "帮扶救助工作簿"}
COUNTY_KIND = "county"
COUNTY_TITLE = "县级总览"
#: The workbook of changes since the previous round (动态管理), per township and for the county; made when
#: the settings name a previous round (``previous:``), from the comparison written to ``RUN/changes``.
CHANGES_KIND = "changes"
CHANGES_TITLE = "动态变化工作簿"


def clean_dir(run_dir: Path | str) -> Path:
    """``RUN/clean``: where the cleaner writes people.parquet, issues.parquet and summary.json."""
    return Path(run_dir) / CLEAN_DIR


def township_dir(run_dir: Path | str, township: str) -> Path:
    """``RUN/townships/<safe township name>``."""
    return Path(run_dir) / TOWNSHIPS_DIR / safe_name(township)


def county_dir(run_dir: Path | str) -> Path:
    """``RUN/county``."""
    return Path(run_dir) / COUNTY_DIR


def changes_dir(run_dir: Path | str) -> Path:
    """``RUN/changes``: the comparison with the previous round."""
    return Path(run_dir) / CHANGES_DIR


def rules_dir(run_dir: Path | str) -> Path:
    """``RUN/rules``: each rule's table."""
    return Path(run_dir) / RULES_DIR


def tables_dir(run_dir: Path | str) -> Path:
    """``RUN/tables``: the workbooks' table store. For a ``liushou clean`` output folder, its ``tables``
    (which it never has: the workbooks then compute their tables themselves)."""
    return Path(run_dir) / TABLES_DIR


def logs_dir(run_dir: Path | str) -> Path:
    """``RUN/logs``: each notebook's log."""
    return Path(run_dir) / LOGS_DIR


def work_dir(run_dir: Path | str) -> Path:
    """``RUN/.work``: the workers' task and outcome files, removed when the run ends."""
    return Path(run_dir) / WORK_DIR


def manifest_path(run_dir: Path | str) -> Path:
    """``RUN/manifest.json``."""
    return Path(run_dir) / MANIFEST_NAME


def cleaned_folder(folder: Path | str) -> Path:
    """The folder of a cleaned round that holds people.parquet: ``folder`` itself (a ``liushou clean`` output),
    else its ``clean/`` (a run folder); ``folder`` when it has neither, so a message names what was given."""
    folder = Path(folder)
    if (folder / PEOPLE_FILE).exists() or not clean_dir(folder).is_dir():
        return folder
    return clean_dir(folder)


__all__ = [
    "CHANGES_DIR",
    "CHANGES_KIND",
    "CHANGES_TITLE",
    "CLEAN_DIR",
    "COUNTY_DIR",
    "COUNTY_KIND",
    "COUNTY_TITLE",
    "LOGS_DIR",
    "MANIFEST_NAME",
    "NOTEBOOK_KINDS",
    "PEOPLE_FILE",
    "RULES_DIR",
    "TABLES_DIR",
    "TOWNSHIPS_DIR",
    "WORK_DIR",
    "changes_dir",
    "clean_dir",
    "cleaned_folder",
    "county_dir",
    "logs_dir",
    "manifest_path",
    "rules_dir",
    "tables_dir",
    "township_dir",
    "work_dir",
]
