"""The headline: how many left-behind children, women and elderly a township or the county has."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from liushou_core.ledger import label
from liushou_core.register import CATEGORIES
from liushou_core.workbooks.rundata import townships_of
from liushou_core.workbooks.tabulate import TOTAL


def headline(people: pd.DataFrame, name: str) -> pd.DataFrame:
    """One row: 合计 and the count of each category (the seed's headline: 20,898 = 6,049 + 1,604 + 13,245)."""
    counts = people["category"].value_counts().reindex(list(CATEGORIES), fill_value=0)
    row = {TOTAL: int(counts.sum()), **{c: int(counts[c]) for c in CATEGORIES}}
    return pd.DataFrame([row], index=pd.Index([name], name="地区"))


def headline_sentence(people: pd.DataFrame, place: str) -> Markdown:
    """The headline in words, as the county's reply states it."""
    h = headline(people, place).iloc[0]
    parts = "、".join(f"{c} {h[c]:,} 人" for c in CATEGORIES)
    return Markdown(f"**{place}核实农村“三留守”人员 {h[TOTAL]:,} 人**：{parts}。")


def headline_by_township(people: pd.DataFrame, county: str) -> pd.DataFrame:
    """Townships side by side (official code order): 合计 and each category, then the county's total row."""
    table = pd.crosstab(
        pd.Categorical(people["township"], categories=townships_of(people)),
        pd.Categorical(people["category"], categories=list(CATEGORIES)),
        dropna=False,
    )
    table.insert(0, TOTAL, table.sum(axis=1))
    table.index = pd.Index([str(i) for i in table.index], name=label("township"))
    table.columns = [str(c) for c in table.columns]
    total = pd.DataFrame([table.sum()], index=pd.Index([county], name=label("township")))
    return pd.concat([table, total]).astype("int64")
