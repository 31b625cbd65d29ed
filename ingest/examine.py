"""The prose read as an examiner reads it: stated rates and shares recomputed from the
stated figures, one subject stated twice with two figures, a completion rate against a
zero budget, a stated total of listed items. Each problem quotes both places.

A rate printed with d decimals is right when the figures give it to within one unit of
its last decimal (the figures themselves are rounded); nothing is reported when the
figures needed are not stated, so a silent document raises no alarm.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from ingest.audit import in_yuan
from ingest.model import MONEY_UNITS as MONEY
from ingest.model import Fact, Finding
from ingest.schemas import classify_table

RISE, FALL = ("比上年增加",), ("比上年减少",)
RATE_UP, RATE_DOWN = ("增长率",), ("下降率",)
# subjects too general to be one figure: "预算安排 X万元" is said of every project
GENERIC = re.compile(r"^(预算安排|预算|金额|支出|收入|资金|涉及.*金额|其中|合计|小计|总计|安排|预算数)$")
ITEM = re.compile(r"^\s*([（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|[一二三四五六七八九十]+、)")
ITEMS_STATED = re.compile(r"项目\s*(\d+)\s*个[，,]?\s*涉及(?:预算)?(?:金额|资金)?(?:合计)?\s*([\d,]+(?:\.\d+)?)\s*万元"
                          r"|(\d+)\s*个项目[^。；]{0,20}?(?:涉及|合计|共计)[^。；\d]{0,12}([\d,]+(?:\.\d+)?)\s*万元")
PROJECT_ITEM = re.compile(r"^\s*[（(][一二三四五六七八九十\d]+[)）]\s*项目名称")
AGAINST_YEAR = re.compile(r"(?:与|同)(20\d\d)年度?(?:相比|同期)"
                          r"|(?:比|较)(20\d\d)年度?[^，。；]{0,6}?(?:增加|减少|增长|下降|持平)")
CHANGES = RISE + FALL + RATE_UP + RATE_DOWN
COMPLETION = re.compile(r"完成(年初)?预算(数)?的")


def examine_prose(doc_id: str, facts: list[Fact], year: int | None = None) -> list[Finding]:
    prose = [f for f in facts if f.table == "正文"]
    tables = [f for f in facts if f.table != "正文"]
    return (_growth(doc_id, prose) + _base_year(doc_id, prose, year) + _shares(doc_id, prose, tables)
            + _twice(doc_id, prose)
            + _completion_against_zero(doc_id, prose, tables) + _listed_items(doc_id, prose)
            + _against_named_rows(doc_id, prose, tables))


def _cite(f: Fact, around: str = "") -> str:
    """The page and the quoted sentence; a long sentence cut around the words that matter."""
    text = re.sub(r"\s+", "", f.quote)
    at = text.find(around) if around else -1
    if at > 20:
        return f"第{f.page}页「…{text[at - 20:at + len(around) + 30]}」"
    return f"第{f.page}页「{text[:70]}」"


def _fits(stated: Decimal, value: Decimal) -> bool:
    exponent = stated.as_tuple().exponent
    places = max(-exponent, 0) if isinstance(exponent, int) else 2
    unit = Decimal(1).scaleb(-places)
    return abs(value.quantize(unit, rounding=ROUND_HALF_UP) - stated) <= unit


def _before(prose: list[Fact], i: int, row: str, columns: tuple[str, ...]) -> Fact | None:
    """The nearest figure of this subject stated before (or in) the i-th fact's sentence,
    in the same section."""
    here = prose[i]
    for f in reversed(prose[:i + 1]):
        if f.section != here.section:
            break
        if f.row == row and f.column in columns:
            return f
    return None


def _growth(doc_id: str, prose: list[Fact]) -> list[Finding]:
    out: list[Finding] = []
    for i, rate in enumerate(prose):
        if rate.column not in RATE_UP + RATE_DOWN or rate.unit != "%" or rate.value == 0:
            continue
        change = _before(prose, i, rate.row, RISE if rate.column in RATE_UP else FALL)
        amount = _before(prose, i, rate.row, ("金额",))
        if change is None or amount is None or change.unit != amount.unit or amount.value == 0:
            continue
        base = amount.value - change.value if rate.column in RATE_UP else amount.value + change.value
        if base <= 0:
            continue
        computed = change.value / base * 100
        if _fits(rate.value, computed):
            continue
        wrong_base = _fits(rate.value, change.value / amount.value * 100)
        why = "，恰为变动额除以本年数：增幅应以上年数为基数" if wrong_base else ""
        out.append(Finding(
            doc_id, "prose", False,
            f"正文写「{rate.row}」{rate.column[:2]} {rate.value}%（{_cite(rate, str(rate.value))}），而按所述本年 "
            f"{amount.value}{amount.unit}（{_cite(amount)}）与变动 {change.value}{change.unit} 计算，"
            f"上年为 {base}{amount.unit}，{rate.column[:2]}应为 {computed.quantize(Decimal('0.01'))}%{why}",
            rate.page, "正文"))
    return out


def _base_year(doc_id: str, prose: list[Fact], year: int | None) -> list[Finding]:
    """A change stated against a year other than the one before the document's."""
    if year is None:
        return []
    out: list[Finding] = []
    seen: set[str] = set()
    for f in prose:
        if f.column not in CHANGES or f.quote in seen:
            continue
        m = AGAINST_YEAR.search(re.sub(r"\s+", "", f.quote))
        if m is None:
            continue
        base = int(m.group(1) or m.group(2))
        if base != year - 1:
            seen.add(f.quote)
            out.append(Finding(
                doc_id, "prose", False,
                f"正文「{f.row}」的增减以 {base} 年为基数（{_cite(f, m.group(0))}），而本文件是 {year} 年的，"
                f"上年应为 {year - 1} 年", f.page, "正文"))
    return out


def _named_whole(quote: str) -> str:
    m = re.search(r"占([^，。；、%]{2,20}?)的?(?:比[重例])?\d", re.sub(r"\s+", "", quote))
    return re.sub(r"[“”\"]", "", m.group(1)).removesuffix("的") if m else ""


def _shares(doc_id: str, prose: list[Fact], tables: list[Fact]) -> list[Finding]:
    """A stated share against the whole it names, or else against the whole that the other
    shares of its section share."""
    amounts = [f for f in prose + tables if in_yuan(f) and f.unit != "%"]
    out: list[Finding] = []
    shares = [(i, f) for i, f in enumerate(prose) if f.column == "占比" and f.unit == "%"]
    parts: dict[int, Fact] = {}
    for i, share in shares:
        part = next((f for f in reversed(prose[:i]) if f.quote == share.quote and f.row == share.row
                     and f.column == "金额"), None)
        if part is not None and part.value:
            parts[i] = part
    by_section: dict[str, list[int]] = defaultdict(list)
    for i, share in shares:
        if i in parts:
            by_section[share.section].append(i)
    for indexes in by_section.values():
        wholes: dict[Decimal, list[int]] = defaultdict(list)
        for i in indexes:
            part_yuan = in_yuan(parts[i])
            assert part_yuan is not None
            for whole in {y for f in amounts if (y := in_yuan(f)) and y >= part_yuan}:
                if _fits(prose[i].value, part_yuan / whole * 100):
                    wholes[whole].append(i)
        for i in indexes:
            share, part = prose[i], parts[i]
            if any(i in fitted for fitted in wholes.values()):
                continue
            named = _named_whole(share.quote)
            whole_fact = _whole_by_name(named, amounts) if named else None
            if whole_fact is None:
                common = max(wholes.items(), key=lambda kv: len(kv[1]), default=None)
                if common is None or len(common[1]) < 2:
                    continue
                same = [f for f in amounts if in_yuan(f) == common[0]]
                whole_fact = min(same, key=lambda f: (f.quote != share.quote, f.section != share.section))
            whole_yuan, part_yuan = in_yuan(whole_fact), in_yuan(part)
            assert whole_yuan is not None and part_yuan is not None
            computed = (part_yuan / whole_yuan * 100).quantize(Decimal("0.01"))
            out.append(Finding(
                doc_id, "prose", False,
                f"正文写「{share.row}」{part.value}{part.unit} 占 {share.value}%（{_cite(share, str(share.value))}），"
                f"而按 {whole_fact.row} {whole_fact.value}{whole_fact.unit}（{_where(whole_fact)}）"
                f"计算应为 {computed}%",
                share.page, "正文"))
    return out


def _where(f: Fact) -> str:
    return _cite(f) if f.table == "正文" else f"{f.table}，第{f.page}页"


def _whole_by_name(name: str, amounts: list[Fact]) -> Fact | None:
    key = re.sub(r"[“”\"（）()]", "", name)
    for f in amounts:
        if re.sub(r"[“”\"（）()]", "", f.row) == key:
            return f
    return None


def _twice(doc_id: str, prose: list[Fact]) -> list[Finding]:
    """One subject of one section stated with two different amounts."""
    groups: dict[tuple[str, str, str, str], list[Fact]] = defaultdict(list)
    for f in prose:
        if f.column == "金额" and len(f.row) >= 3 and not GENERIC.match(f.row) and f.unit != "%":
            groups[(f.section, f.row, f.column, f.unit)].append(f)
    out: list[Finding] = []
    for (_, row, _, unit), stated in groups.items():
        values = list(dict.fromkeys(f.value for f in stated))
        if len(values) != 2 or len(stated) > 3:
            continue  # three or more figures under one name are a list, not one subject
        a = next(f for f in stated if f.value == values[0])
        b = next(f for f in stated if f.value == values[1])
        if a.quote == b.quote or ITEM.match(a.quote) and ITEM.match(b.quote):
            continue  # two items of a list (（二）项目名称…, （三）…) may share a name
        out.append(Finding(
            doc_id, "prose", False,
            f"正文同一部分两次说明「{row}」而金额不同：{a.value}{unit}（{_cite(a)}）与 {b.value}{unit}（{_cite(b)}）",
            b.page, "正文"))
    return out


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
            f"正文写「{subject.row}」完成预算的 {rate.value}%（{_cite(rate)}），而其年初预算为 0"
            f"（{_where(budget)}）：对零预算无完成率可言",
            rate.page, "正文"))
    return out


def _item_key(name: str) -> str:
    return re.sub(r"[“”\"（）()]|维护|支出|财政拨款", "", name)


def _listed_items(doc_id: str, prose: list[Fact]) -> list[Finding]:
    """"当年财政拨款项目3个，涉及预算金额81.89万元" against the projects the document lists
    (（一）项目名称：… 预算安排规模 X 万元), when it lists exactly that many."""
    items: dict[str, Fact] = {}
    for f in prose:
        if PROJECT_ITEM.match(f.quote) and f.column == "金额" and f.unit == "万元":
            items.setdefault(f.quote, f)
    out: list[Finding] = []
    seen: set[tuple[int, Decimal]] = set()
    for f in prose:
        for m in ITEMS_STATED.finditer(re.sub(r"\s+", "", f.quote)):
            count, total = int(m.group(1) or m.group(3)), Decimal((m.group(2) or m.group(4)).replace(",", ""))
            if count == 0 or count != len(items) or (count, total) in seen:
                continue
            seen.add((count, total))
            listed = sum((i.value for i in items.values()), Decimal(0))
            if abs(listed - total) > Decimal("0.005") * count:
                where = "、".join(f"{i.value}万元（第{i.page}页）" for i in items.values())
                out.append(Finding(
                    doc_id, "prose", False,
                    f"正文说 {count} 个项目涉及 {total}万元（{_cite(f)}），而所列 {count} 个项目合计 {listed}万元："
                    f"{where}", f.page, "正文"))
    return out


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
            f"正文写「{f.row}」{f.value}{f.unit}（{_cite(f)}），与表格各数均不符；"
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
