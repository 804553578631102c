"""Intake: read township returns as they really arrive (``docs/pipeline.md`` §"Intake conventions").

``.xlsx``/``.xlsm``/``.xls`` workbooks and ``.csv`` files (UTF-8, UTF-8 with BOM, GBK, GB18030) with title
rows, several sheets, blank/total/repeated-header/footer rows → one ``RawReturn`` row per input row, all
text, with its provenance; a files table; and the issues found on the way.
"""

from __future__ import annotations

from liushou_core.cleaning.intake.returns import IntakeResult, RawReturn, ReturnFile, read_returns

__all__ = ["IntakeResult", "RawReturn", "ReturnFile", "read_returns"]
