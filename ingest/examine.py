"""The prose read as an examiner reads it: stated rates and shares recomputed from the
stated figures, a change against the wrong year, one subject stated twice with two figures, a
stated total of listed items (the prose against the tables is in ingest.crosscheck).
Each problem quotes both places.

A rate is right when the figures, each anywhere within its own rounding, give it
(ingest.rates); nothing is reported when the figures needed are not stated, so a silent
document raises no alarm.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal

from ingest.crosscheck import GENERIC, check_against_tables, cite, where
from ingest.forms import check_projects
from ingest.model import MONEY_UNITS as MONEY
from ingest.model import Fact, Finding, places_of
from ingest.rates import Precision, fits, growth_range, in_yuan, ratio_range, rounded
from ingest.years import prose_years

RISE, FALL = ("比上年增加",), ("比上年减少",)
RATE_UP, RATE_DOWN = ("增长率",), ("下降率",)
ITEM = re.compile(r"^\s*([（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|[一二三四五六七八九十]+、)")
ITEMS_STATED = re.compile(r"项目\s*(\d+)\s*个[，,]?\s*涉及(?:预算)?(?:金额|资金)?(?:合计)?\s*([\d,]+(?:\.\d+)?)\s*万元"
                          r"|(\d+)\s*个项目[^。；]{0,20}?(?:涉及|合计|共计)[^。；\d]{0,12}([\d,]+(?:\.\d+)?)\s*万元")
PROJECT_ITEM = re.compile(r"^\s*[（(][一二三四五六七八九十\d]+[)）]\s*项目名称")


def examine_prose(doc_id: str, facts: list[Fact], year: int | None = None) -> list[Finding]:
    prose = [f for f in facts if f.table == "正文"]
    tables = [f for f in facts if f.table != "正文"]
    precision = Precision.of(facts)
    return (_growth(doc_id, prose, precision) + prose_years(doc_id, prose, year)
            + _shares(doc_id, prose, tables, precision) + _twice(doc_id, prose) + _listed_items(doc_id, prose)
            + check_projects(doc_id, prose, tables)
            + check_against_tables(doc_id, prose, tables))


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


def _growth(doc_id: str, prose: list[Fact], precision: Precision) -> list[Finding]:
    out: list[Finding] = []
    for i, rate in enumerate(prose):
        if rate.column not in RATE_UP + RATE_DOWN or rate.unit != "%" or rate.value == 0:
            continue
        rise = rate.column in RATE_UP
        change = _before(prose, i, rate.row, RISE if rise else FALL)
        amount = _before(prose, i, rate.row, ("金额",))
        if change is None or amount is None or change.unit != amount.unit or amount.value == 0:
            continue
        base = amount.value - change.value if rise else amount.value + change.value
        if base <= 0:
            continue
        lo, hi = growth_range(amount.value, precision.half(amount), change.value, precision.half(change), rise)
        if fits(rate.value, lo, hi):
            continue
        computed = rounded(change.value / base * 100, 2)
        wrong_base = fits(rate.value, *ratio_range(change.value, precision.half(change), amount.value,
                                                   precision.half(amount)))
        why = "，恰为变动额除以本年数：增幅应以上年数为基数" if wrong_base else ""
        word = rate.column[:2]
        out.append(Finding(
            doc_id, "prose", False,
            f"正文写「{rate.row}」{word} {rate.value}%（{cite(rate, str(rate.value))}），而按所述本年 "
            f"{amount.value}{amount.unit}（{cite(amount)}）与变动 {change.value}{change.unit} 计算，"
            f"上年为 {base}{amount.unit}，{word}应为 {computed}%{why}",
            rate.page, "正文", places_of(rate, amount),
            f"{change.value} / ({amount.value} {'-' if rise else '+'} {change.value}) × 100 = {computed}%，"
            f"写作 {rate.value}%"))
    return out


def _named_whole(quote: str) -> str:
    m = re.search(r"占([^，。；、%]{2,20}?)的?(?:比[重例])?\d", re.sub(r"\s+", "", quote))
    return re.sub(r"[“”\"]", "", m.group(1)).removesuffix("的") if m else ""


def _shares(doc_id: str, prose: list[Fact], tables: list[Fact], precision: Precision) -> list[Finding]:
    """A stated share against the whole it names, or else against the whole that the other
    shares of its section share."""
    amounts = [f for f in prose + tables if in_yuan(f) and f.unit != "%"]
    wholes_of: dict[Decimal, Decimal] = {}  # every stated amount in 元 → the rounding it allows
    for f in amounts:
        y = in_yuan(f)
        assert y is not None
        wholes_of[y] = max(wholes_of.get(y, Decimal(0)), precision.half(f) * MONEY[f.unit])
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
            part_half = precision.half(parts[i]) * MONEY[parts[i].unit]
            for whole, whole_half in wholes_of.items():
                if whole >= part_yuan and fits(prose[i].value, *ratio_range(part_yuan, part_half, whole, whole_half)):
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
            computed = rounded(part_yuan / whole_yuan * 100, 2)
            out.append(Finding(
                doc_id, "prose", False,
                f"正文写「{share.row}」{part.value}{part.unit} 占 {share.value}%（{cite(share, str(share.value))}），"
                f"而按 {whole_fact.row} {whole_fact.value}{whole_fact.unit}（{where(whole_fact)}）"
                f"计算应为 {computed}%",
                share.page, "正文", places_of(share, whole_fact),
                f"{part.value}{part.unit} / {whole_fact.value}{whole_fact.unit} × 100 = {computed}%，"
                f"写作 {share.value}%"))
    return out


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
            f"正文同一部分两次说明「{row}」而金额不同：{a.value}{unit}（{cite(a)}）与 {b.value}{unit}（{cite(b)}）",
            b.page, "正文"))
    return out


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
                    f"正文说 {count} 个项目涉及 {total}万元（{cite(f)}），而所列 {count} 个项目合计 {listed}万元："
                    f"{where}", f.page, "正文"))
    return out
