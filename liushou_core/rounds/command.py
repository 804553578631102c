"""``liushou compare OLD NEW --out DIR``: compare two cleaned rounds, write the outputs, print the summary."""

from __future__ import annotations

import sys
from pathlib import Path

from liushou_core.rounds.changes import (
    ENTRY_REASONS,
    EXIT_REASONS,
    Comparison,
)
from liushou_core.rounds.compare import compare_dirs
from liushou_core.rounds.files import LEDGER_FILE, REGISTER_FILE
from liushou_core.rounds.tables import headline


def format_summary(c: Comparison) -> str:
    """What ``liushou compare`` prints: the headline, entries and exits by reason, moves."""
    s = c.summary()
    labels = c.labels

    def part(counts: dict[str, int], order: tuple[str, ...]) -> str:
        return "，".join(f"{labels[k]} {counts[k]:,}" for k in order if counts.get(k))

    return "\n".join(
        [
            headline(c, "两轮比较"),
            f"新增 {s['entered']:,} 人：{part(s['entered_by_reason'], ENTRY_REASONS)}",
            f"退出 {s['left']:,} 人：{part(s['left_by_reason'], EXIT_REASONS)}",
            f"迁移：跨村 {s['moved']['village']:,} 人，跨乡镇 {s['moved']['township']:,} 人",
        ]
    )


def compare_command(
    old_dir: Path, new_dir: Path, out: Path, *, crosswalk_file: Path | None = None, vintage: int | None = None
) -> int:
    """The ``liushou compare`` command."""
    c = compare_dirs(old_dir, new_dir, out, crosswalk_file=crosswalk_file, vintage=vintage)
    print(format_summary(c))
    print(f"输出：{out}（{LEDGER_FILE}、{REGISTER_FILE}）")
    sys.stdout.flush()
    return 0


__all__ = ["compare_command", "format_summary"]
