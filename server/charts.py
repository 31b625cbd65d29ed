"""A bar chart for a reply whose figure is a breakdown: built from facts, never from text.

Two cases: the reply cites several facts of one table column (bars compare them), or
it cites one figure whose parts the same table lists (the rows under its subject code,
or the rows of a total) and the parts add up to it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from ingest.model import Fact
from ingest.schemas import TABLE_TYPES
from qa.reply import Reply
from server.schemas import Chart, ChartItem

MAX_BARS = 12
TOTAL_ROWS = ("合计", "总计")
MAIN_COLUMNS = ("合计", "总计", "预算数", "金额", "项目支出合计", "决算数")
SPENDING_TABLES = ("支出总表", "一般公共预算支出表", "一般公共预算基本支出表", "项目支出表")
ROW_SUMS = {tt.name: dict(tt.row_sums) for tt in TABLE_TYPES}


def build_chart(reply: Reply, facts: list[Fact]) -> Chart | None:
    """`facts`: the table facts of the reply's document."""
    if reply.status != "answered" or not facts:
        return None
    cited = _cited(reply, facts)
    groups: dict[tuple[str, str, str], list[Fact]] = defaultdict(list)
    for f in cited:
        if f not in groups[(f.table, f.column, f.unit)]:
            groups[(f.table, f.column, f.unit)].append(f)
    for group in groups.values():
        if len(group) >= 2:
            return _chart("、".join(f.row for f in group[:3]) + ("等" if len(group) > 3 else ""),
                          group[0], group)
    if len(cited) == 1:
        return _breakdown(cited[0], facts)
    return None


def _cited(reply: Reply, facts: list[Fact]) -> list[Fact]:
    if reply.calculation is not None:
        return [o.citation for o in reply.calculation.operands if isinstance(o.citation, Fact)
                and o.citation.table != "正文"]
    numbers = _numbers(reply.answer)
    out = []
    for c in reply.citations:
        same = [f for f in facts if f.table == c.table and f.quote == c.quote and f.page == c.page
                and f.value in numbers and f.value != 0]
        same.sort(key=lambda f: f.column not in MAIN_COLUMNS)
        if same:
            out.append(same[0])
    return out


def _numbers(text: str) -> set[Decimal]:
    out = set()
    for m in re.findall(r"\d[\d,]*(?:\.\d+)?", text):
        try:
            out.add(Decimal(m.replace(",", "")))
        except InvalidOperation:
            continue
    return out


def _breakdown(f: Fact, facts: list[Fact]) -> Chart | None:
    for top in _same_figure(f, facts):
        column = [g for g in facts if g.table == top.table and g.column == top.column
                  and g.unit == top.unit]
        parent, parts = top, _parts(top, column)
        while len(parts) == 1 and parent.code:  # a subject with one item: show that item's parts
            parent, parts = parts[0], _parts(parts[0], column)
        nonzero = [p for p in parts if p.value != 0]
        if len(nonzero) >= 2 and _adds_up(parent, parts):
            name = _name(top) if parent is top else f"{_name(top)}：{parent.row}"
            return _chart(f"{name}的构成", parent, nonzero)
    return None


def _same_figure(f: Fact, facts: list[Fact]) -> list[Fact]:
    """The cited fact, then the same figure (code, value, unit) in the document's other
    tables, the spending tables first."""
    others = [g for g in facts if g is not f and f.code and g.code == f.code
              and g.value == f.value and g.unit == f.unit]
    others.sort(key=lambda g: g.table_type not in SPENDING_TABLES)
    return [f, *others]


def _name(f: Fact) -> str:
    table = f.table.split(" ", 1)[-1]
    return f"{table}{f.row}" if f.row in TOTAL_ROWS else f.row


def _parts(parent: Fact, column: list[Fact]) -> list[Fact]:
    if parent.code:
        below = [g for g in column if g.code and g.code != parent.code
                 and g.code.startswith(parent.code)]
        if not below:
            return []
        level = min(len(g.code or "") for g in below)
        return _unique([g for g in below if len(g.code or "") == level])
    if parent.row in ROW_SUMS.get(parent.table_type, {}):
        names = ROW_SUMS[parent.table_type][parent.row]
        return _unique([g for g in column if g.row in names])
    if parent.row in TOTAL_ROWS:
        coded = [g for g in column if g.code]
        if coded:
            level = min(len(g.code or "") for g in coded)
            return _unique([g for g in coded if len(g.code or "") == level])
    return []


def _unique(parts: list[Fact]) -> list[Fact]:
    seen: dict[tuple[str | None, str], Fact] = {}
    for p in parts:
        seen.setdefault((p.code, p.row), p)
    return list(seen.values())


def _adds_up(parent: Fact, parts: list[Fact]) -> bool:
    # Each printed part is rounded to the cent, so the sum may be off by a cent per part.
    return abs(sum((p.value for p in parts), Decimal(0)) - parent.value) <= Decimal("0.01") * len(parts)


def _chart(subject: str, first: Fact, parts: list[Fact]) -> Chart:
    ordered = sorted(parts, key=lambda p: p.value, reverse=True)
    shown, rest = ordered[:MAX_BARS - 1], ordered[MAX_BARS - 1:]
    items = [ChartItem(label=p.row, value=str(p.value)) for p in shown]
    if len(rest) == 1:
        items.append(ChartItem(label=rest[0].row, value=str(rest[0].value)))
    elif rest:
        items.append(ChartItem(label=f"其他{len(rest)}项", value=str(sum(p.value for p in rest))))
    return Chart(title=subject, unit=first.unit, table=first.table, column=first.column,
                 page=first.page, items=items)
