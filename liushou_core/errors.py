"""The one exception family of liushou.

Every error a user can cause (a bad file, a bad parameter, a bad command) is a :class:`LiushouError`.
Its message names where the problem is (file, sheet, row, column) and what was expected, so the command
line can print it without a traceback.
"""

from __future__ import annotations


class LiushouError(Exception):
    """Raised when liushou cannot do what was asked because of its input; the message says how to fix it."""


class InputFileError(LiushouError):
    """Raised when a return (an input spreadsheet or CSV) cannot be read or has no usable table.

    ``file``, ``sheet``, ``row`` and ``column`` locate the problem as a person sees it in Excel
    (1-based row numbers, title rows counted).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.file = file
        self.sheet = sheet
        self.row = row
        self.column = column
        self.reason = message
        super().__init__(self._format())

    def _format(self) -> str:
        where = [f"文件 {self.file}"]
        if self.sheet:
            where.append(f"工作表 {self.sheet}")
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"列 {self.column}")
        return "，".join(where) + f"：{self.reason}"


class ParameterError(LiushouError):
    """Raised when a parameter file in params/ is malformed, has overlapping dates or a wrong unit."""


class ConfigError(LiushouError):
    """Raised when a run's settings (a params YAML, a command-line option) are invalid."""


class DecisionsError(LiushouError):
    """Raised when a decisions or corrections file cannot be read or does not have the expected columns."""
