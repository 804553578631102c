"""Synthetic Chinese names: a surname table and given-name characters by generation and sex.

Only invented people are ever written (PRODUCT.md §3): a name is a surname drawn by its rough frequency in
rural Sichuan and one or two given-name characters typical of the person's birth cohort. No character of
the tables can form 合计/总计/小计 (the intake would take the row for a total row).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

# Surname → relative frequency (common in Suining; 蒲, 税, 敬, 鲜 are local).
_SURNAMES = {
    "王": 7, "李": 7, "张": 6, "刘": 5, "陈": 5, "杨": 4, "黄": 3, "赵": 2.5, "吴": 2, "周": 2, "何": 2.5,
    "罗": 2.5, "唐": 2.5, "蒋": 2, "邓": 2, "蒲": 2, "徐": 1.5, "胡": 1.5, "谢": 1.5, "曾": 1.5, "肖": 1.5,
    "余": 1.5, "孙": 1, "朱": 1, "高": 1, "林": 1, "郭": 1, "马": 1, "梁": 1, "宋": 1, "郑": 1, "曹": 1,
    "许": 1, "冯": 1, "彭": 1, "向": 1, "杜": 1, "袁": 1, "文": 1, "任": 1, "廖": 1, "魏": 1, "田": 1,
    "汪": 0.5, "侯": 0.5, "熊": 0.5, "伍": 0.5, "钟": 0.5, "雷": 0.5, "龚": 0.5, "贺": 0.5, "鲜": 0.5,
    "税": 0.3, "敬": 0.3, "苟": 0.3, "母": 0.2, "韩": 0.5, "邱": 0.5, "蔡": 0.5, "谭": 0.5, "夏": 0.5,
}  # fmt: skip
SURNAMES = np.array(list(_SURNAMES))
_SURNAME_P = np.array(list(_SURNAMES.values()), dtype=float) / sum(_SURNAMES.values())

# Given-name characters by cohort: (born before 1958, 1958–1999, 2000 on) × (男, 女).
_GIVEN = {
    ("old", "男"): "德明华国荣富贵成永清文光学云志忠和福海金发全林顺昌松树元春祥良兴仁义财友安",
    ("old", "女"): "秀英兰芳珍素淑玉桂翠琼凤群惠碧芬容华莲菊贞蓉香清会明琴仙兰书",
    ("mid", "男"): "勇军强伟平刚斌涛波建林华明杰峰辉亮鹏超俊东兵勇红春川江宇",
    ("mid", "女"): "丽红霞燕梅娟艳敏静琴莉萍英芳玲琳婷洁丹雪春秋群蓉利晓海",
    ("new", "男"): "子浩宇轩俊杰鑫睿博涛航泽晨阳文磊一诚锦梓思天家嘉明瑞铭皓宏志豪凯翔",
    ("new", "女"): "欣怡雨涵萱梓诗琪佳思语可馨婷悦玥芯彤瑶妍雪琳冉雅紫沁心梦晨",
}
# Share of one-character given names by cohort (common among the old, rarer among children).
_SINGLE = {"old": 0.35, "mid": 0.25, "new": 0.12}
_COHORTS = ("old", "mid", "new")


@lru_cache(maxsize=8)
def _name_table(cohort: str, sex: str) -> np.ndarray:
    """Every full name of one cohort and sex: surname × (one given character, then every pair of two).
    Names are then drawn by index, so a million names cost a take, not a million string joins."""
    chars = list(_GIVEN[(cohort, sex)])
    given = chars + [a + b for a in chars for b in chars]
    return np.array([s + g for s in SURNAMES for g in given], dtype=object)


def surname_codes(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` surnames (as positions in :data:`SURNAMES`) drawn by frequency."""
    return rng.choice(len(SURNAMES), size=n, p=_SURNAME_P)


def full_names(
    birth_year: np.ndarray, male: np.ndarray, rng: np.random.Generator, surname: np.ndarray | None = None
) -> np.ndarray:
    """Full names fitting each person's birth year and sex; ``surname`` (codes from :func:`surname_codes`)
    fixes the surname, e.g. a grandfather's."""
    n = len(birth_year)
    s = surname_codes(n, rng) if surname is None else surname
    cohort = np.where(birth_year < 1958, 0, np.where(birth_year < 2000, 1, 2))
    out = np.empty(n, dtype=object)
    for c, name in enumerate(_COHORTS):  # six cohort × sex tables
        for is_male, sex in ((True, "男"), (False, "女")):
            m = (cohort == c) & (np.asarray(male) == is_male)
            cnt = int(m.sum())
            if not cnt:
                continue
            k = len(_GIVEN[(name, sex)])
            width = k + k * k
            single = rng.random(cnt) < _SINGLE[name]
            given = np.where(single, rng.integers(0, k, cnt), k + rng.integers(0, k * k, cnt))
            out[m] = _name_table(name, sex)[s[m] * width + given]
    return out
