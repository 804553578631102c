"""The charts: one theme, a shipped CJK font, no missing glyphs."""

from __future__ import annotations

import io
import logging
import warnings

import matplotlib
import pandas as pd
import pytest
from matplotlib import font_manager

from liushou_core.workbooks import plots


def _people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sex": ["男", "女", "女", "男", "女", "男"],
            "age": [3, 9, 34, 67, 81, 101],
            "township_code": ["510923100"] * 3 + ["510923101"] * 3,
            "township": ["蓬莱镇"] * 3 + ["隆盛镇"] * 3,
            "village_code": ["510923100200", "510923100200", "510923100201"] + ["510923101200"] * 3,
            "village": ["红旗村委会", "红旗村委会", "梨子坝村委会"] + ["栏江村委会"] * 3,
            "category": ["留守儿童", "留守儿童", "留守妇女", "留守老人", "留守老人", "留守老人"],
        }
    )


def _render(fig: matplotlib.figure.Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font(s)" would fail here
        fig.savefig(buffer, format="png")
    return buffer.getvalue()


def test_the_cjk_font_ships_with_the_install() -> None:
    assert plots.font_path().is_file()
    assert plots.font_path().stat().st_size > 1_000_000


def test_the_theme_makes_the_shipped_font_the_default_family() -> None:
    plots.setup_theme()
    family = plots.font_family()
    resolved = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"]))
    assert resolved == str(plots.font_path())
    assert matplotlib.rcParams["font.sans-serif"][0] == family


def test_setting_the_theme_twice_is_harmless() -> None:
    plots.setup_theme()
    plots.setup_theme()
    assert matplotlib.rcParams["font.sans-serif"][0] == plots.font_family()


@pytest.mark.parametrize(
    "draw",
    [
        pytest.param(lambda p: plots.population_pyramid(p), id="population pyramid"),
        pytest.param(lambda p: plots.bar_by_village(p), id="bars by village"),
        pytest.param(lambda p: plots.bar_by_township(p), id="bars by township"),
        pytest.param(
            lambda p: plots.bar_counts(
                pd.Series({"身份证号校验码错误": 3, "重复登记": 1}), title="问题（按规则）"
            ),
            id="bars of counts",
        ),
    ],
)
def test_a_chart_with_chinese_labels_renders_without_missing_glyphs(draw, caplog) -> None:  # type: ignore[no-untyped-def]
    plots.setup_theme()
    fig = draw(_people())
    fig.suptitle("大英县（回马镇）：留守儿童、妇女、老人 −1 ‰ ２０１８年")
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        png = _render(fig)
    assert png.startswith(b"\x89PNG")
    assert not [r for r in caplog.records if "findfont" in r.getMessage() or "Glyph" in r.getMessage()]


def test_the_pyramid_draws_men_left_and_women_right_with_positive_tick_labels() -> None:
    plots.setup_theme()
    fig = plots.population_pyramid(_people())
    ax = fig.axes[0]
    widths = [patch.get_width() for patch in ax.patches]
    assert sum(w for w in widths if w < 0) == -3  # three men
    assert sum(w for w in widths if w > 0) == 3  # three women
    _render(fig)
    assert all(not label.get_text().startswith("-") for label in ax.get_xticklabels())


def test_age_bands_are_five_years_wide_and_open_at_one_hundred() -> None:
    bands = plots.age_bands(pd.Series([0, 4, 5, 99, 100, 117]))
    assert list(bands.astype(str)) == ["0–4岁", "0–4岁", "5–9岁", "95–99岁", "100岁及以上", "100岁及以上"]


def test_bars_by_village_keep_every_category_even_when_absent() -> None:
    plots.setup_theme()
    fig = plots.bar_by_village(_people()[lambda d: d["category"] == "留守老人"])
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["留守儿童", "留守妇女", "留守老人"]


def _bar_colours(fig: matplotlib.figure.Figure) -> dict[str, str]:
    from matplotlib.colors import to_hex

    ax = fig.axes[0]
    return {c.get_label(): to_hex(c.patches[0].get_facecolor()) for c in ax.containers}


def test_ordered_levels_are_drawn_red_amber_green_and_not_collected_grey() -> None:
    # 公安局's risk chart showed 高 in blue and 低 in red; 妇联's guardianship chart 差 in green.
    risk = pd.DataFrame({"高": [2], "中": [3], "待评估": [1], "低": [5]}, index=["红旗村委会"])
    grade = pd.DataFrame({"较好": [4], "一般": [2], "差": [1], "未采集": [3]}, index=["红旗村委会"])
    risk_colours = _bar_colours(plots.stacked_bars(risk, title="分层分级"))
    grade_colours = _bar_colours(plots.stacked_bars(grade, title="监护情况"))
    red, amber, green = "#c44e52", "#e1a23b", "#55a868"
    assert (risk_colours["高"], risk_colours["中"], risk_colours["低"]) == (red, amber, green)
    assert (grade_colours["差"], grade_colours["一般"], grade_colours["较好"]) == (red, amber, green)
    greys = {risk_colours["待评估"], grade_colours["未采集"]}
    assert all(len({c[1:3], c[3:5], c[5:7]}) == 1 for c in greys)  # equal R, G and B: a grey


def test_ordered_colours_leave_other_labels_to_the_caller() -> None:
    assert plots.ordered_colors(["高", "合计", "留守儿童"]) == {"高": plots.LEVEL_COLORS["高"]}
