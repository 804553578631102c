"""One notebook to execute: the unit the plan makes, an executor runs, and a worker process executes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Task:
    """One notebook to execute: where its template is, where its outputs go, with which parameters.

    Plain strings throughout: a task travels to its worker process (and to a Dask worker) as JSON.
    """

    key: str  # "<township>/<kind>" or "county"
    township: str | None
    kind: str
    title: str
    template: str
    out_ipynb: str
    out_html: str
    result: str  # where the worker writes its outcome (JSON)
    log: str
    parameters: dict[str, str]
    fingerprint: str
    timeout: int
    kernel_name: str

    @property
    def folder(self) -> Path:
        return Path(self.out_ipynb).parent

    @property
    def html_title(self) -> str:
        """The title of the notebook's HTML page: the township's name and the workbook's."""
        return f"{self.township} {self.title}" if self.township else self.title


__all__ = ["Task"]
