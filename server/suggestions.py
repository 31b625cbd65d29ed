"""Suggested questions for one document, from generic templates over its own facts."""

from __future__ import annotations

from ingest.model import Fact

# Tables whose coded rows are the document's spending by function (类/款/项), best first.
SPENDING_TABLES = ("支出总表", "一般公共预算支出表", "财政拨款收支总表", "收支总表")


def suggest_questions(facts: list[Fact], limit: int = 6) -> list[str]:
    """Questions a citizen might ask first: the largest spending items, then the shares and
    the “三公” funds where the document has them."""
    table_facts = [f for f in facts if f.table != "正文" and f.value > 0]
    out: list[str] = []
    rows = _largest_items(table_facts)
    out += [f"{row}是多少？" for row in rows[:3]]
    types = {f.table_type for f in table_facts}
    columns = {f.column for f in table_facts}
    if "三公经费表" in types:
        out.append("“三公”经费是多少？")
    if {"人员经费", "公用经费"} <= columns:
        out.append("基本支出中人员经费占多少比例？")
    if "项目支出" in columns:
        out.append("项目支出是多少？")
    out += [f"{row}是多少？" for row in rows[3:]]
    return list(dict.fromkeys(out))[:limit]


def _largest_items(facts: list[Fact]) -> list[str]:
    """Row names of the largest 类 then 款 items of the first spending table found."""
    for table_type in SPENDING_TABLES:
        coded = [f for f in facts if f.table_type == table_type and f.code and len(f.code) in (3, 5)]
        if coded:
            coded.sort(key=lambda f: (len(f.code or ""), -f.value))
            return list(dict.fromkeys(f.row for f in coded if _plain(f.row)))
    return []


def _plain(row: str) -> bool:
    return 2 <= len(row) <= 20 and not row.startswith(("其他", "其中"))
