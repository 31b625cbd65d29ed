"""Where a table row sits: its name without numbering, and which rows add up to which."""

from __future__ import annotations

import re

from ingest.schemas import squash
from ingest.tables import RawRow

ORDINAL = re.compile(
    r"^(其中[:：]|[一二三四五六七八九十]+[、.．]|\d+[、.．](?!\d)|[（(][一二三四五六七八九十\d]+[)）])+"
)
TOTAL_LABELS = ("合计", "总计", "收入总计", "支出总计", "收支总计")


def row_name(label: str) -> str:
    """The name a row is asked by: without "其中：", "一、", "1." or "（小计）"."""
    name = ORDINAL.sub("", squash(label))
    return re.sub(r"[（(]小计[)）]$", "", name) or squash(label)


def sum_groups(rows: list[RawRow], tt_row_sums: tuple[tuple[str, tuple[str, ...]], ...]
            ) -> list[tuple[int, list[int]]]:
    """Which rows add up to which: 类 = Σ款, 款 = Σ项, 合计 = Σ top rows; named item sums."""
    groups: list[tuple[int, list[int]]] = []
    codes = {r.code: i for i, r in enumerate(rows) if r.code}
    children: dict[int, list[int]] = {}
    top: list[int] = []
    total = next((i for i, r in enumerate(rows) if row_name(r.label) in TOTAL_LABELS), None)
    names = {row_name(r.label): i for i, r in enumerate(rows)}
    for i, r in enumerate(rows):
        if i == total:
            continue
        parent = None
        if r.code:
            for cut in (5, 3):
                if len(r.code) > cut and r.code[:cut] in codes and codes[r.code[:cut]] != i:
                    parent = codes[r.code[:cut]]
                    break
        if parent is not None:
            children.setdefault(parent, []).append(i)
        else:
            top.append(i)
    groups.extend((p, c) for p, c in children.items())
    named = [(names[a], [names[b] for b in bs if b in names]) for a, bs in tt_row_sums if a in names]
    groups.extend((p, c) for p, c in named if c)
    if total is not None and not named and top:
        groups.append((total, top))
    return groups
