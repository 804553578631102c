"""A township's return as cadres make it: a title row (merged) and a 填报单位 row above the header, one sheet
per village (imported by the cleaning tests)."""

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import openpyxl


def write_return_xlsx(
    path: Path, header: Sequence[str], sheets: Mapping[str, Sequence[Sequence[Any]]]
) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        ws.append(["大英县回马镇农村“三留守”人员摸排登记表"])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        ws.append(["填报单位：回马镇人民政府", None, None, "填报日期：2018年1月5日"])
        ws.append(list(header))
        for r in rows:
            ws.append(list(r))
    wb.save(path)
    return path
