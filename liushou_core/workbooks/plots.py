"""One look for every chart: the seaborn theme, a CJK font that ships with the install, and the plot helpers.

The font is Noto Sans SC (SIL Open Font License 1.1) from the ``pylopdf-fonts-zh-cn`` wheel, a data-only
package: county machines need no system font and no network, and every chart renders the same everywhere.
:func:`setup_theme` registers it with matplotlib and makes it the default family, so Chinese labels never
come out as tofu boxes nor raise "Glyph missing" warnings.

The helpers return :class:`matplotlib.figure.Figure` objects built without pyplot, so a notebook shows each
chart exactly once (as the cell's value) and batch runs hold no global figure state.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from liushou_core.register import CATEGORIES

#: One colour per category, the same in every chart of every workbook.
CATEGORY_COLORS: dict[str, str] = {"留守儿童": "#4C72B0", "留守妇女": "#DD8452", "留守老人": "#55A868"}
SEX_COLORS: dict[str, str] = {"男": "#4C72B0", "女": "#C44E52"}

#: Ordered categories (risk level, guardianship grade) get ordered colours, so "worse" always reads as red:
#: 高/差 red, 中/一般 amber, 低/较好 green; 未采集 and 待评估 are greys, since they are no grade at all.
_RED, _AMBER, _GREEN, _GREY, _LIGHT_GREY = "#C44E52", "#E1A23B", "#55A868", "#9A9A9A", "#C8C8C8"
LEVEL_COLORS: dict[str, str] = {
    "高": _RED,
    "差": _RED,
    "中": _AMBER,
    "一般": _AMBER,
    "低": _GREEN,
    "较好": _GREEN,
    "待评估": _LIGHT_GREY,
    "未采集": _GREY,
}

#: Five-year age bands for the pyramid; the last band is open (100岁及以上).
PYRAMID_BAND_YEARS = 5
PYRAMID_TOP_AGE = 100


def font_path() -> Path:
    """The Noto Sans SC font file shipped by the ``pylopdf-fonts-zh-cn`` dependency."""
    import pylopdf_fonts_zh_cn

    return Path(pylopdf_fonts_zh_cn.sans_path())


@lru_cache(maxsize=1)
def font_family() -> str:
    """Register the shipped CJK font with matplotlib (once per process) and return its family name."""
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    return str(font_manager.FontProperties(fname=str(path)).get_name())


def setup_theme() -> None:
    """Set the one seaborn theme of liushou charts, with the shipped CJK font as the default family.

    Safe to call several times. Inside IPython it also turns on inline figures, so a returned
    :class:`~matplotlib.figure.Figure` is shown as a PNG (and embedded in the HTML export).
    """
    import seaborn as sns

    family = font_family()
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette=list(CATEGORY_COLORS.values()),
        font=family,
        rc={
            "font.sans-serif": [family, "DejaVu Sans"],
            # The ASCII hyphen is in every font; keeps negative ticks safe whatever the family.
            "axes.unicode_minus": False,
            "figure.dpi": 100,
            "savefig.dpi": 100,
        },
    )
    _enable_inline()


def _enable_inline() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipykernel
        return
    shell = get_ipython()
    if shell is not None and hasattr(shell, "kernel"):
        shell.run_line_magic("matplotlib", "inline")


def ordered_colors(labels: Iterable[object]) -> dict[str, str]:
    """The colour of each label that is a level of an ordered category (高/中/低, 较好/一般/差, 未采集…).

    Labels that are not levels are left out, so a caller can fill them from another palette; a chart whose
    segments are levels never borrows a categorical palette in which 高 could come out blue and 低 red.
    """
    return {str(x): LEVEL_COLORS[str(x)] for x in labels if str(x) in LEVEL_COLORS}


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def age_bands(age: pd.Series, *, step: int = PYRAMID_BAND_YEARS, top: int = PYRAMID_TOP_AGE) -> pd.Series:
    """Five-year bands of completed age (``0–4岁`` … ``95–99岁``, ``100岁及以上``), as an ordered categorical."""
    edges = [*range(0, top + 1, step), np.inf]
    labels = [f"{lo}–{lo + step - 1}岁" for lo in range(0, top, step)] + [f"{top}岁及以上"]
    return pd.cut(age.astype("float64"), bins=edges, right=False, labels=labels)


def population_pyramid(people: pd.DataFrame, *, title: str = "人口金字塔（按性别、年龄段）") -> Figure:
    """Men to the left, women to the right, one bar per five-year age band (completed years, 周岁).

    Bands with nobody in them are kept inside the observed range, so the shape is honest.
    """
    bands = age_bands(people["age"])
    counts = pd.crosstab(bands, people["sex"]).reindex(columns=["男", "女"], fill_value=0)
    if len(counts):
        present = counts.index[counts.sum(axis=1) > 0]
        all_bands = list(bands.cat.categories)
        lo, hi = all_bands.index(present[0]), all_bands.index(present[-1])
        counts = counts.reindex(all_bands[lo : hi + 1], fill_value=0)
    fig = _new_figure(7.5, max(3.0, 0.32 * len(counts) + 1.5))
    ax = fig.add_subplot()
    y = np.arange(len(counts))
    labels = [str(b) for b in counts.index]
    ax.barh(y, -counts["男"].to_numpy(), color=SEX_COLORS["男"], label="男")
    ax.barh(y, counts["女"].to_numpy(), color=SEX_COLORS["女"], label="女")
    ax.set_yticks(y, labels)
    limit = max(1, int(counts.to_numpy().max(initial=0)))
    ax.set_xlim(-limit * 1.1, limit * 1.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # people are counted in whole numbers
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{abs(v):g}"))
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("人数")
    ax.set_ylabel("年龄段")
    ax.set_title(title)
    fig.legend(loc="outside lower center", ncols=2, frameon=False)
    return fig


def stacked_bars(
    table: pd.DataFrame,
    *,
    title: str,
    xlabel: str = "人数",
    colors: dict[str, str] | None = None,
) -> Figure:
    """Horizontal stacked bars: one bar per row of ``table`` (e.g. a village), one segment per column.

    ``table`` holds counts only (no 合计 row or column); rows are drawn top to bottom in table order.
    """
    palette = {**ordered_colors(table.columns), **(colors or CATEGORY_COLORS)}
    fig = _new_figure(8.0, max(2.5, 0.34 * len(table) + 1.6))
    ax = fig.add_subplot()
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for column in table.columns:
        values = table[column].to_numpy(dtype="float64")
        ax.barh(y, values, left=left, label=str(column), color=palette.get(str(column)))
        left += values
    ax.set_yticks(y, [str(i) for i in table.index])
    ax.invert_yaxis()
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    if len(table.columns) > 1:
        fig.legend(loc="outside lower center", ncols=len(table.columns), frameon=False)
    return fig


def bar_by_village(people: pd.DataFrame, *, title: str = "各村（社区）三留守人员人数") -> Figure:
    """Stacked bars of people per village (official names, in code order), one segment per category."""
    ordered = people.sort_values("village_code")
    table = pd.crosstab(
        pd.Categorical(ordered["village"], categories=ordered["village"].drop_duplicates()),
        pd.Categorical(ordered["category"], categories=list(CATEGORIES)),
        dropna=False,
    )
    return stacked_bars(table, title=title)


def bar_by_township(people: pd.DataFrame, *, title: str = "各镇（乡）三留守人员人数") -> Figure:
    """Stacked bars of people per township (official names, in code order), one segment per category."""
    ordered = people.sort_values("township_code")
    table = pd.crosstab(
        pd.Categorical(ordered["township"], categories=ordered["township"].drop_duplicates()),
        pd.Categorical(ordered["category"], categories=list(CATEGORIES)),
        dropna=False,
    )
    return stacked_bars(table, title=title)


def bar_counts(counts: pd.Series, *, title: str, xlabel: str = "条数", color: str = "#8172B3") -> Figure:
    """Horizontal bars of a labelled count series (e.g. issues by rule), largest first."""
    ordered = counts.sort_values(ascending=False)
    return stacked_bars(ordered.to_frame(name=xlabel), title=title, xlabel=xlabel, colors={xlabel: color})
