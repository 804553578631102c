"""The county overview's own tables: the assistance sections per township, and links to every township's
workbooks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from liushou_core.workbooks.assistance import AssistanceSections
from liushou_core.workbooks.rundata import township_pages, townships_of, workbook_titles
from liushou_core.workbooks.tabulate import distinct_per_place, finish, per_place


def assistance_by_township(s: AssistanceSections, county: str, *, total: bool = True) -> pd.DataFrame:
    """Per township (code order): education assistance, hard alerts (无人监护), children whose guardianship
    needs fixing (需整改) and those whose facts were not collected (待核实), visits due and referrals, with
    the county's total row. Every count is a count of people except referrals (人次); a child with both a
    需整改 and a 待核实 problem is counted in both columns."""
    rows = townships_of(s.people)
    edu = s.education
    table = pd.DataFrame(
        {
            "教育救助符合（人）": per_place(edu[edu["status"] == "符合"], "township", rows),
            "教育救助待核实（人）": per_place(edu[edu["status"] == "待核实"], "township", rows),
            "无人监护（人）": distinct_per_place(s.alerts, "township", rows),
            # 需整改 apart from 待核实: a return without the delegate's ID column is not 900 children at risk
            "监护需整改的儿童（人）": distinct_per_place(
                s.gaps[s.gaps["severity"] == "需整改"], "township", rows
            ),
            "监护信息待核实的儿童（人）": distinct_per_place(
                s.gaps[s.gaps["severity"] == "待核实"], "township", rows
            ),
            "需走访的儿童（人）": per_place(s.visits, "township", rows),
            "转介线索（人次）": per_place(s.referrals, "township", rows),
        },
        index=rows,
    )
    return finish(table, "township", county if total else None)


def township_links(run_dir: Path | str, townships: Sequence[str]) -> Markdown:
    """Markdown table of links from the county overview (``RUN/county/``) to each township's workbooks.

    Links are relative, so the run folder can be copied or moved as a whole.
    """
    run_dir = Path(run_dir)
    titles = workbook_titles()
    header = "| 镇（乡） | " + " | ".join(titles) + " |"
    lines = [header, "|" + " --- |" * (len(titles) + 1)]
    for town in townships:
        cells = []
        for title, html in township_pages(run_dir, town).items():
            rel = Path("..") / html.relative_to(run_dir)
            cells.append(f"[{title}]({rel.as_posix()})" if html.exists() else "（未生成）")
        lines.append(f"| {town} | " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))
