"""The prose against the tables: a prose figure of a subject the tables have a row for, in
any money unit and rounded as the prose prints it; a 收支 table's total stated in the prose;
a completion rate stated for an item whose 年初预算 is nil. Each problem quotes both places.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from ingest.audit import in_yuan
from ingest.model import MONEY_UNITS as MONEY
from ingest.model import Fact, Finding
from ingest.schemas import classify_table

# subjects too general to be one figure: "预算安排 X万元" is said of every project
GENERIC = re.compile(r"^(预算安排|预算|金额|支出|收入|资金|涉及.*金额|其中|合计|小计|总计|安排|预算数)$")
COMPLETION = re.compile(r"完成(年初)?预算(数)?的")


def check_against_tables(doc_id: str, prose: list[Fact], tables: list[Fact]) -> list[Finding]:
    return _completion_against_zero(doc_id, prose, tables) + _against_named_rows(doc_id, prose, tables)


def cite(f: Fact, around: str = "") -> str:
    """The page and the quoted sentence; a long sentence cut around the words that matter."""
    text = re.sub(r"\s+", "", f.quote)
    at = text.find(around) if around else -1
    if at > 20:
        return f"第{f.page}页「…{text[at - 20:at + len(around) + 30]}」"
    return f"第{f.page}页「{text[:70]}」"


def where(f: Fact) -> str:
    return cite(f) if f.table == "正文" else f"{f.table}，第{f.page}页"


def _completion_against_zero(doc_id: str, prose: list[Fact], tables: list[Fact]) -> list[Finding]:
    """"完成预算的X%" of an item whose 年初预算 is nil: a rate of nothing."""
    budgets: dict[str, Fact] = {}
    for f in tables:
        if f.column in ("预算数", "年初预算数") and f.unit != "%":
            budgets.setdefault(_item_key(f.row), f)
    out: list[Finding] = []
    for i, rate in enumerate(prose):
        if rate.unit != "%" or not COMPLETION.search(rate.row):
            continue
        subject = next((f for f in reversed(prose[:i]) if f.quote == rate.quote and f.column == "决算数"), None)
        if subject is None:
            continue
        own = next((f for f in reversed(prose[:i]) if f.quote == rate.quote and f.row == subject.row
                    and f.column == "年初预算数"), None)
        budget = own or budgets.get(_item_key(subject.row))
        if budget is None or budget.value != 0:
            continue
        out.append(Finding(
            doc_id, "prose", False,
            f"正文写「{subject.row}」完成预算的 {rate.value}%（{cite(rate)}），而其年初预算为 0"
            f"（{where(budget)}）：对零预算无完成率可言",
            rate.page, "正文"))
    return out


def _item_key(name: str) -> str:
    return re.sub(r"[“”\"（）()]|维护|支出|财政拨款", "", name)


def _as_printed(f: Fact, unit: str, places: int) -> Decimal | None:
    """A figure converted to another money unit and rounded as that unit prints it."""
    y = in_yuan(f)
    if y is None or unit not in MONEY:
        return None
    return (y / MONEY[unit]).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _against_named_rows(doc_id: str, prose: list[Fact], tables: list[Fact]) -> list[Finding]:
    """A prose amount of a subject the tables have a row for, equal to no table figure in any
    unit (rounded as the prose prints it): the prose and the table disagree. A one-cent gap
    is left to the audit's own slip check."""
    rows: dict[str, list[Fact]] = defaultdict(list)
    for f in tables:
        if f.unit in MONEY:
            rows[_name_key(f.row)].append(f)
    out: list[Finding] = []
    for f in prose:
        if f.column != "金额" or f.unit not in MONEY or not f.value or len(f.row) < 4 or GENERIC.match(f.row):
            continue
        exponent = f.value.as_tuple().exponent
        places = max(-exponent, 0) if isinstance(exponent, int) else 2
        named = rows.get(_name_key(f.row))
        pool = tables
        if not named:  # "财政拨款收入支出总计": the 总计 of the table that subject names
            named = pool = _total_of_named_table(f.row, tables)
            if not named:
                continue
        printed = [(_as_printed(t, f.unit, places), t) for t in pool if t.unit in MONEY]
        if any(v == f.value for v, _ in printed):
            continue
        cent = Decimal(1).scaleb(-places)
        if any(v is not None and abs(v - f.value) <= cent for v, _ in printed):
            continue
        near = min(named, key=lambda t: abs((_as_printed(t, f.unit, places) or Decimal(0)) - f.value))
        out.append(Finding(
            doc_id, "prose", False,
            f"正文写「{f.row}」{f.value}{f.unit}（{cite(f)}），与表格各数均不符；"
            f"{near.table}「{near.row}」{near.column} 为 {near.value}{near.unit}（第{near.page}页）",
            f.page, "正文"))
    return out


def _name_key(name: str) -> str:
    return re.sub(r"[“”\"（）()\s]|^[一二三四五六七八九十\d]+[、.．]", "", name)


def _total_of_named_table(subject: str, tables: list[Fact]) -> list[Fact]:
    m = re.search(r"(总计|合计)$", subject)
    tt = classify_table(subject[: m.start()] + "表") if m else None
    if m is None or tt is None or not tt.two_sided:  # only a 收支 table's total is a whole document's
        return []
    return [t for t in tables if t.table_type == tt.name and t.unit in MONEY and t.row.endswith(m.group(1))]
