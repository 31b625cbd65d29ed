"""The prose against the tables: a prose figure of a subject the tables have a row (or a
total column) for, in any money unit and rounded as the prose prints it; a sentence that
gives an item its neighbour's figures; a 收支 table's total stated in the prose; a
completion rate against the figures it completes, or stated for an item whose 年初预算 is
nil. Each problem quotes both places.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from ingest.hierarchy import TOTAL_LABELS
from ingest.model import MONEY_UNITS as MONEY
from ingest.model import Fact, Finding, places_of
from ingest.rates import Precision, fits, in_yuan, ratio_range, rounded
from ingest.schemas import classify_table

# subjects too general to be one figure: "预算安排 X万元" is said of every project
GENERIC = re.compile(r"^(预算安排|预算|金额|支出|收入|资金|涉及.*金额|其中|合计|小计|总计|安排|预算数)$")
COMPLETION = re.compile(r"完成(年初|全年)?预算(数)?的")
# the columns a total row's figure is the subject of: "人员经费 4,884.09 万元" is 合计 × 人员经费
SUBJECT_COLUMNS = ("人员经费", "公用经费", "基本支出", "项目支出")


def check_against_tables(doc_id: str, prose: list[Fact], tables: list[Fact]) -> list[Finding]:
    precision = Precision.of(prose + tables)
    return (_completion_against_zero(doc_id, prose, tables) + _completion(doc_id, prose, precision)
            + _against_named_rows(doc_id, prose, tables))


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
        if rate.unit != "%" or not COMPLETION.search(rate.column) or "全年" in rate.column:
            continue
        subject = next((f for f in reversed(prose[:i]) if f.quote == rate.quote and f.column == "决算数"), None)
        if subject is None:
            continue
        own = next((f for f in reversed(prose[:i]) if f.quote == rate.quote and f.row == subject.row
                    and f.column == "年初预算数"), None)
        budget = own or budgets.get(_item_key(subject.row))
        if budget is None or budget.value != 0:
            continue
        # nothing budgeted and nothing spent: the template's 0 % says nothing wrong, a note;
        # money spent against a nil budget given a rate is a slip
        nothing = subject.value == 0 and rate.value == 0
        out.append(Finding(
            doc_id, "prose", nothing,
            f"正文写「{subject.row}」完成预算的 {rate.value}%（{cite(rate)}），而其年初预算为 0"
            f"（{where(budget)}）：对零预算无完成率可言",
            rate.page, "正文", places_of(rate, budget), f"{subject.value} / 0：无完成率，写作 {rate.value}%"))
    return out


def _completion(doc_id: str, prose: list[Fact], precision: Precision) -> list[Finding]:
    """"年初预算为 A 万元，支出决算为 D 万元，完成年初预算的 X%": X against D / A."""
    out: list[Finding] = []
    for i, rate in enumerate(prose):
        m = COMPLETION.search(rate.column)
        if rate.unit != "%" or m is None:
            continue
        wanted = "全年预算数" if m.group(1) == "全年" else "年初预算数"
        done = next((f for f in reversed(prose[:i]) if f.quote == rate.quote and f.column == "决算数"), None)
        budget = next((f for f in reversed(prose[:i]) if f.quote == rate.quote and f.column == wanted), None)
        if done is None or budget is None or not budget.value or done.unit != budget.unit:
            continue
        if fits(rate.value, *ratio_range(done.value, precision.half(done), budget.value, precision.half(budget))):
            continue
        computed = rounded(done.value / budget.value * 100, 2)
        out.append(Finding(
            doc_id, "prose", False,
            f"正文写「{done.row}」完成{wanted[:4]}的 {rate.value}%（{cite(rate, str(rate.value))}），而按所述"
            f"{wanted[:4]} {budget.value}{budget.unit}、决算 {done.value}{done.unit} 计算应为 {computed}%",
            rate.page, "正文", places_of(rate),
            f"{done.value} / {budget.value} × 100 = {computed}%，写作 {rate.value}%"))
    return out


def _item_key(name: str) -> str:
    return re.sub(r"[“”\"（）()]|维护|支出|财政拨款", "", name)


def _as_printed(f: Fact, unit: str, places: int) -> Decimal | None:
    """A figure converted to another money unit and rounded as that unit prints it."""
    y = in_yuan(f)
    if y is None or unit not in MONEY:
        return None
    return (y / MONEY[unit]).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _subjects(tables: list[Fact]) -> dict[str, list[Fact]]:
    """The tables' money figures by the subject they state: a row's name, and a total row's
    figure under its column's name too (合计 × 人员经费 is the 人员经费)."""
    rows: dict[str, list[Fact]] = defaultdict(list)
    for f in tables:
        if f.unit not in MONEY:
            continue
        rows[_name_key(f.row)].append(f)
        if f.row in TOTAL_LABELS and f.column in SUBJECT_COLUMNS:
            rows[_name_key(f.column)].append(f)
    return rows


def _against_named_rows(doc_id: str, prose: list[Fact], tables: list[Fact]) -> list[Finding]:
    """A prose amount of a subject the tables have figures for, equal to none of them in
    any unit (rounded as the prose prints it): a copy of the item before it when that is
    its figure, else a figure the tables contradict (unless some other table prints it).
    A one-cent gap is left to the audit's own slip check."""
    rows = _subjects(tables)
    out: list[Finding] = []
    for i, f in enumerate(prose):
        if f.column != "金额" or f.unit not in MONEY or not f.value or len(f.row) < 4 or GENERIC.match(f.row):
            continue
        exponent = f.value.as_tuple().exponent
        places = max(-exponent, 0) if isinstance(exponent, int) else 2
        cent = Decimal(1).scaleb(-places)
        named = rows.get(_name_key(f.row))
        pool = tables
        if not named:  # "财政拨款收入支出总计": the 总计 of the table that subject names
            named = pool = _total_of_named_table(f.row, tables)
            if not named:
                continue
        own = [(_as_printed(t, f.unit, places), t) for t in named]
        if any(v is not None and abs(v - f.value) <= cent for v, _ in own):
            continue
        near = min(named, key=lambda t: abs((_as_printed(t, f.unit, places) or Decimal(0)) - f.value))
        copied = _neighbour(prose, i)
        if copied is not None:
            out.append(Finding(
                doc_id, "prose", False,
                f"正文写「{f.row}」{f.value}{f.unit}（{cite(f)}），与上一项「{copied.row}」的金额相同"
                f"（{cite(copied)}），而{near.table}「{near.row}」{near.column} 为 {near.value}{near.unit}"
                f"（第{near.page}页）：疑为照抄上一项", f.page, "正文", places_of(f, copied, near),
                f"正文 {f.value}{f.unit} = 上一项 {copied.value}{copied.unit}；表中 {near.value}{near.unit}"))
            continue
        printed = [(_as_printed(t, f.unit, places), t) for t in pool if t.unit in MONEY]
        if any(v is not None and abs(v - f.value) <= cent for v, _ in printed):
            continue
        out.append(Finding(
            doc_id, "prose", False,
            f"正文写「{f.row}」{f.value}{f.unit}（{cite(f)}），与表格各数均不符；"
            f"{near.table}「{near.row}」{near.column} 为 {near.value}{near.unit}（第{near.page}页）",
            f.page, "正文", places_of(f, near),
            f"正文 {f.value}{f.unit}，表中 {near.value}{near.unit}"))
    return out


def _neighbour(prose: list[Fact], i: int) -> Fact | None:
    """The amount of the item stated just before, in the same section, if it is this one's."""
    here = prose[i]
    for f in reversed(prose[:i]):
        if f.section != here.section:
            return None
        if f.column == "金额" and f.row != here.row and f.quote != here.quote:
            return f if f.value == here.value and f.unit == here.unit else None
    return None


def _name_key(name: str) -> str:
    return re.sub(r"[“”\"（）()\s]|^[一二三四五六七八九十\d]+[、.．]", "", name)


def _total_of_named_table(subject: str, tables: list[Fact]) -> list[Fact]:
    m = re.search(r"(总计|合计)$", subject)
    tt = classify_table(subject[: m.start()] + "表") if m else None
    if m is None or tt is None or not tt.two_sided:  # only a 收支 table's total is a whole document's
        return []
    return [t for t in tables if t.table_type == tt.name and t.unit in MONEY and t.row.endswith(m.group(1))]
