"""Run an interpretation on the documents' facts: `EXECUTE` maps each operation to a function of
(interpretation, library) → Result. Figures come only from facts and from qa.calc; a slot no
fact fills gives a Result with a problem, never a guess."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from ingest.model import MONEY_UNITS, Fact
from qa import calc
from qa.across import rank_documents
from qa.calc import Calculation, CalculationError, Operand
from qa.library import (
    CHANGE_COLUMNS,
    RATE_COLUMNS,
    Library,
    Result,
    entry_of,
    fact_of,
    item_label,
    label,
    measured,
    names_of,
    operand,
    prose_about,
    source,
)
from qa.passages import answer_passage
from qa.value import Interpretation, Item
from qa.vocabulary import TOTAL_ROWS, Entry, clean, reground


def _also(item: Item, f: Fact, lib: Library) -> tuple[tuple[str, Fact], ...]:
    """The same row, by name, in other tables of the document with another figure."""
    voc = lib.vocabulary(item.doc_id)
    e = voc.entry(item.entry)
    seen = {_in_yuan(f)}
    out = []
    for x in voc.entries:
        if x.prose or x.table == e.table or x.name != e.name or e.name in TOTAL_ROWS or (
                x.code and e.code and x.code != e.code):
            continue
        g = x.column(f.column) or x.main(lib.documents[item.doc_id].kind)
        if g.unit in MONEY_UNITS and f.unit in MONEY_UNITS and _in_yuan(g) not in seen \
                and ("决算" in g.column) == ("决算" in f.column):
            seen.add(_in_yuan(g))
            out.append((label(g), g))
    return tuple(out[:2])


def _in_yuan(f: Fact) -> Decimal:
    return calc.convert(f.value, f.unit, "元") if f.unit in MONEY_UNITS else f.value


def run(interp: Interpretation, lib: Library) -> Result:
    if interp.problem and interp.problem not in ("regrounded",):
        return Result("problem", interp, problem=interp.problem, detail=interp.detail)
    try:
        return EXECUTE[interp.op](interp, lib)
    except CalculationError as exc:
        return Result("problem", interp, problem="calculation", detail=str(exc))


# --- operations ----------------------------------------------------------------------------------

def lookup(interp: Interpretation, lib: Library) -> Result:
    if not interp.items:
        return Result("problem", interp, problem="not_understood", detail=interp.said)
    if interp.measure == "上年":
        return previous(interp, lib)
    out: list[tuple[str, Fact]] = []
    for item in interp.items:
        f = measured(item, interp.measure, lib)
        if f is None:
            return Result("problem", interp, problem="no_measure", detail=f"{item.row}的{interp.measure}数")
        out.append((item_label(item, f), f))
    if interp.scale:
        pct = Decimal(interp.scale)
        return Result("calculation", interp, tuple(out[:1]), calc.scale(operand(out[0][1]), pct))
    if len(out) == 1:
        f = out[0][1]
        if interp.unit and interp.unit != f.unit and f.unit in MONEY_UNITS:
            return Result("calculation", interp, tuple(out), calc.in_unit(operand(f), interp.unit),
                          also=_also(interp.items[0], f, lib))
        return Result("figure", interp, tuple(out), also=_also(interp.items[0], f, lib))
    return Result("figures", interp, tuple(out))


def previous(interp: Interpretation, lib: Library) -> Result:
    """Last year's figure: printed in a 上年 column, read from the unit's previous document, or this
    year's less the change the prose states."""
    item = interp.items[0]
    e = entry_of(item, lib)
    printed = next((f for f in e.facts if "上年" in f.column), None)
    if printed is not None:
        return Result("figure", interp, ((label(printed), printed),))
    prior = _prior(item, lib)
    if prior is not None:
        f = fact_of(prior, lib)
        return Result("figure", interp, ((label(f), f),))
    current = e.column(item.column) or e.facts[0]
    for delta in prose_about(names_of(item, lib), lib.vocabulary(item.doc_id), CHANGE_COLUMNS):
        if delta.unit in MONEY_UNITS and current.unit in MONEY_UNITS:
            sign = -1 if delta.column == "比上年减少" else 1  # "减少-2389.52": the column says which way
            d = Operand(f"{delta.row}{delta.column}", abs(delta.value) * sign, delta.unit, delta)
            now = operand(current)
            if delta.unit != current.unit:  # in the unit and precision the change is stated in
                c = calc.in_unit(now, delta.unit)
                now = Operand(f"{label(current)}（折合{delta.unit}）", c.result, c.unit, current)
            return Result("calculation", interp, ((label(current), current),), calc.previous_from_change(now, d))
    return Result("problem", interp, problem="no_previous", detail=f"{item.row}的上年数")


def _prior(item: Item, lib: Library) -> Item | None:
    """The same row in the unit's document of the year before (same kind), when it is loaded."""
    doc = lib.documents[item.doc_id]
    if doc.year is None:
        return None
    before = next((d for d in lib.documents.values() if d.unit == doc.unit and d.year == doc.year - 1
                   and d.kind == doc.kind), None)
    return regrounded(item, before.doc_id, lib) if before is not None else None


def regrounded(item: Item, doc_id: str, lib: Library) -> Item | None:
    """The row of another document that has the item's name (and code, when it has one)."""
    e = reground(entry_of(item, lib), lib.vocabulary(doc_id))
    if e is None:
        return None
    column = item.column if e.column(item.column) is not None else e.main(lib.documents[doc_id].kind).column
    return Item(item.said, doc_id, e.id, e.name, e.code, e.table, column, item.score, item.how)


def total(interp: Interpretation, lib: Library) -> Result:
    if len(interp.items) < 2:
        return lookup(interp, lib)
    ops = [operand(fact_of(i, lib), _who(i, interp, lib)) for i in interp.items]
    return _computed(interp, calc.total(ops, _common_unit(ops)))


def remainder(interp: Interpretation, lib: Library) -> Result:
    """The whole without the parts left out ("不算会议费", "除了…以外")."""
    whole, *parts = (operand(fact_of(i, lib), _who(i, interp, lib)) for i in interp.items)
    c = calc.remainder(whole, parts, _common_unit([whole, *parts]))
    left = "、".join(p.label for p in parts)
    return _computed(interp, c, f"{whole.label}扣除{left}后为{calc.format_amount(c.result, c.unit)}。")


def _who(item: Item, interp: Interpretation, lib: Library) -> str:
    """An operand's label: the row, and its document when the interpretation spans several."""
    f = fact_of(item, lib)
    if len(set(interp.docs)) > 1 or len({i.doc_id for i in interp.items}) > 1:
        d = lib.documents[item.doc_id]
        return f"{d.unit}{d.year or ''}年{item_label(item, f)}"
    return item_label(item, f)


def _common_unit(ops: list[Operand]) -> str:
    units = [o.unit for o in ops]
    money = [u for u in units if u in MONEY_UNITS]
    return min(money, key=lambda u: MONEY_UNITS[u]) if len(set(money)) > 1 else units[0]


def difference(interp: Interpretation, lib: Library) -> Result:
    if interp.left_out and len(interp.items) >= 2:
        return remainder(interp, lib)
    items = list(interp.items)
    if len(items) == 1 and interp.measure:  # "决算比年初预算少多少": two measures of one row
        a, b = fact_of(items[0], lib), measured(items[0], interp.measure, lib)
        if b is None or a is b:
            return Result("problem", interp, problem="no_measure", detail=f"{items[0].row}的{interp.measure}数")
        ops = [operand(a), operand(b)]
    elif len(items) < 2:
        return Result("problem", interp, problem="two_needed", detail=interp.said)
    else:
        ops = [operand(fact_of(i, lib), _who(i, interp, lib)) for i in items[:2]]
    if ops[0].citation is ops[1].citation:
        return Result("problem", interp, problem="same_figure", detail=ops[0].label)
    unit = _common_unit(ops)
    big, small = sorted(ops, key=lambda o: calc.convert(o.value, o.unit, "元") if o.unit in MONEY_UNITS else o.value,
                        reverse=True)
    c = calc.difference(big, small, unit)
    first = ops[0]
    word = "多" if first is big else "少"
    other = ops[1]
    lead = f"{first.label}比{other.label}{word}{calc.format_amount(c.result, c.unit)}。"
    return _computed(interp, c, lead)


def compare(interp: Interpretation, lib: Library) -> Result:
    result = difference(interp, lib)
    if result.calculation is None:
        return result
    big, small = result.calculation.operands  # the difference is taken big − small
    more = interp.direction != "less"
    c = result.calculation
    named = re.sub(r"[“”\"]", "", interp.said)
    said = f"「{named}」：" if len(set(interp.docs)) > 1 and named else ""
    lead = said + (f"{big.label}（{calc.format_amount(big.value, big.unit)}）比{small.label}"
            f"（{calc.format_amount(small.value, small.unit)}）多{calc.format_amount(c.result, c.unit)}，"
            f"{(big if more else small).label}{'更多' if more else '更少'}。")
    return Result(result.kind, interp, result.facts, c, lead=lead)


def share(interp: Interpretation, lib: Library) -> Result:
    items = list(interp.items)
    if not items:
        return Result("problem", interp, problem="two_needed", detail=interp.said)
    if interp.part_count > 1 and len(items) > interp.part_count:  # "这两块加起来…占支出总计的百分之几"
        parts = [operand(fact_of(i, lib), item_label(i, fact_of(i, lib))) for i in items[:interp.part_count]]
        summed = calc.total(parts, _common_unit(parts))
        base = operand(fact_of(items[interp.part_count], lib))
        c = calc.share(Operand("、".join(o.label for o in parts) + "合计", summed.result, summed.unit), base)
        expression = c.expression.replace(c.expression.split(" / ")[0], f"({summed.expression})", 1)
        return _computed(interp, Calculation(expression, c.result, c.unit, (*parts, base)))
    if len(items) < 2:
        return Result("problem", interp, problem="no_whole", detail=items[0].named)
    part, whole = items[0], items[1]
    pf, wf = fact_of(part, lib), fact_of(whole, lib)
    if pf is wf:
        return Result("problem", interp, problem="same_figure", detail=part.row)
    stated = _stated_share(part, wf, lib)
    if stated is not None:
        return Result("figure", interp.edit(items=(part, whole)), ((f"{stated.row}占比", stated),),
                      lead="文件原文：")
    c = calc.share(operand(pf, _who(part, interp, lib)), operand(wf, _who(whole, interp, lib)))
    return _computed(interp.edit(items=(part, whole)), c)


def _stated_share(part: Item, whole: Fact, lib: Library) -> Fact | None:
    """A share the prose states for the part, used only when it is the share of this whole."""
    voc = lib.vocabulary(part.doc_id)
    for f in prose_about(names_of(part, lib), voc, ("占比",))[:3]:
        amount = next((x.facts[0] for x in voc.entries if x.prose and x.facts[0].quote == f.quote
                       and x.facts[0].row == f.row and x.facts[0].column == "金额"), None)
        if amount is None:
            continue
        try:
            if calc.share(operand(amount), operand(whole)).result == f.value:
                return f
        except CalculationError:
            continue
    return None


def change(interp: Interpretation, lib: Library) -> Result:
    """The change on last year: stated in the prose, or computed from last year's figure (a 上年
    column, or the unit's document of the year before)."""
    if not interp.items:
        return Result("problem", interp, problem="not_understood", detail=interp.said)
    if len({i.doc_id for i in interp.items}) > 1:
        return _change_between(interp, lib)
    item = interp.items[0]
    e = entry_of(item, lib)
    voc = lib.vocabulary(item.doc_id)
    rate = interp.op == "growth"
    names = names_of(item, lib)
    against_execution = interp.measure == "决算" and lib.documents[item.doc_id].kind == "预算"
    if not against_execution:  # what the prose states of this very item, then of a subject holding it
        for exact in (True, False):
            stated = _stated_change(names, voc, rate, exact)
            if stated is not None:
                return Result("figure", interp, stated)
            if exact:
                before = _last_years_figure(item, e, lib)
                if before is not None:
                    break
        else:
            before = None
    else:  # "比2025年预算执行数多了多少": the rate the budget's prose states, or its execution
        stated = _stated_change(names, voc, True, True) if rate else None
        if stated is not None:
            return Result("figure", interp, stated)
        executed = [f for f in prose_about(names, voc, ("执行数",)) if f.unit in MONEY_UNITS]
        before = executed[0] if executed else None
    if before is None and lib.documents[item.doc_id].kind == "预算":  # the budget's own basis: last year's execution
        executed = [f for f in prose_about(names, voc, ("执行数",)) if f.unit in MONEY_UNITS]
        before = executed[0] if executed else None
    current = fact_of(item, lib)
    if before is None:
        return Result("problem", interp, problem="no_previous", detail=f"{item.row}比上年的变化")
    dated = re.compile(r"^(19|20)\d{2}年")  # a row printed with its year says it already
    then_label = label(before) if before.table == "正文" or dated.match(label(before)) else f"上年{label(before)}"
    now_label = label(current) if dated.match(label(current)) else f"{_year(item, lib)}{label(current)}"
    now, then = operand(current, now_label), operand(before, then_label)
    return _changed(interp, now, then, rate)


def _change_between(interp: Interpretation, lib: Library) -> Result:
    """One item in two documents: the later year's figure against the earlier's ("2019年比2018年
    增长了百分之几"), or, of two units, the first said against the second ("A比B高百分之几")."""
    first, second = interp.items[:2]
    years = (lib.documents[first.doc_id].year or 0, lib.documents[second.doc_id].year or 0)
    if lib.documents[first.doc_id].unit == lib.documents[second.doc_id].unit and years[0] < years[1]:
        first, second = second, first
    now, then = (operand(fact_of(i, lib), _who(i, interp, lib)) for i in (first, second))
    if now.citation is then.citation:
        return Result("problem", interp, problem="same_figure", detail=now.label)
    return _changed(interp, now, then, interp.op == "growth")


def _changed(interp: Interpretation, now: Operand, then: Operand, rate: bool) -> Result:
    """The change from `then` to `now` (its rate when asked), said in words as well: a fall is
    stated as 下降 with its size, never only as a negative figure."""
    if not rate:
        return _computed(interp, calc.difference(now, then, _common_unit([now, then])))
    c = calc.change_size(now, then)
    moved = c.operands[-1]
    up = moved.label == "增加额"
    lead = (f"{now.label}比{then.label}{'增长' if up else '下降'}{calc.format_amount(c.result, c.unit)}"
            f"（{'增加' if up else '减少'}{calc.format_amount(moved.value, moved.unit)}）。")
    return _computed(interp, c, lead)


def _stated_change(names: tuple[str, ...], voc, rate: bool, exact: bool):  # type: ignore[no-untyped-def]
    """The change (or rate) the prose states for the item, with the rate (or change) beside it."""
    stated = prose_about(names, voc, RATE_COLUMNS if rate else CHANGE_COLUMNS, exact)
    stated = [f for f in stated if (f.unit == "%") == rate and (rate or f.unit in MONEY_UNITS)]
    if not stated:
        return None
    f = stated[0]
    beside = [g for g in prose_about(names, voc, CHANGE_COLUMNS if rate else RATE_COLUMNS, exact) if g.quote == f.quote]
    return ((f"{f.row}{f.column}", f), *((f"{g.row}{g.column}", g) for g in beside[:1]))


def _last_years_figure(item: Item, e: Entry, lib: Library) -> Fact | None:
    """Last year's figure of the row: a 上年 column of its table, or the unit's previous document."""
    printed = next((f for f in e.facts if "上年" in f.column), None)
    if printed is not None:
        return printed
    prior = _prior(item, lib)
    return fact_of(prior, lib) if prior is not None else None


def _year(item: Item, lib: Library) -> str:
    y = lib.documents[item.doc_id].year
    return f"{y}年" if y else ""


def completion(interp: Interpretation, lib: Library) -> Result:
    if not interp.items:
        return Result("problem", interp, problem="not_understood", detail=interp.said)
    item = interp.items[0]
    final = measured(item, "决算", lib)
    budget = measured(item, interp.measure if interp.measure not in (None, "决算", "上年") else "预算", lib)
    if budget is not None and budget.value == 0 and interp.measure in (None, "预算", "决算", "上年"):
        budget = measured(item, "全年预算", lib) or budget  # no budget at the year's start: the year's adjusted one
    if final is None or budget is None or final is budget:
        return Result("problem", interp, problem="no_measure", detail=f"{item.row}的决算数和预算数")
    c = calc.share(operand(final), operand(budget))
    return _computed(interp, c, f"{item.row}预算完成率为{calc.format_amount(c.result, c.unit)}（决算数÷预算数）。")


def per_unit(interp: Interpretation, lib: Library) -> Result:
    items = list(interp.items)
    money = [i for i in items if fact_of(i, lib).unit in MONEY_UNITS]
    counts = [i for i in items if fact_of(i, lib).unit not in MONEY_UNITS and fact_of(i, lib).unit != "%"]
    if not money:
        return Result("problem", interp, problem="two_needed", detail=interp.said)
    count = fact_of(counts[0], lib) if counts else _staff_count(money[0].doc_id, lib)
    if count is None:
        return Result("problem", interp, problem="no_count", detail="人数")
    c = calc.per_unit(operand(fact_of(money[0], lib)), operand(count))
    return _computed(interp, c)


def _staff_count(doc_id: str, lib: Library) -> Fact | None:
    """The head count a per-person figure divides by: the staff the prose states."""
    voc = lib.vocabulary(doc_id)
    people = [x.facts[0] for x in voc.entries if x.prose and x.facts[0].unit in ("人", "名")]
    for word in ("在职", "实有", "编制"):
        hit = next((f for f in people if word in f.row or word in f.quote[:40]), None)
        if hit is not None:
            return hit
    return people[0] if people else None


def count(interp: Interpretation, lib: Library) -> Result:
    """How many: a count the prose states for the thing, else the rows under the row named."""
    if not interp.items:
        return Result("problem", interp, problem="not_understood", detail=interp.said)
    item = interp.items[0]
    f = fact_of(item, lib)
    if f.unit not in MONEY_UNITS and f.unit != "%":  # every count asked ("车辆多少辆，设备几台")
        stated = [fact_of(i, lib) for i in interp.items]
        return Result("figure", interp, tuple((label(g), g) for g in stated if g.unit not in MONEY_UNITS))
    voc = lib.vocabulary(item.doc_id)
    parent = _table_named(item, voc) or entry_of(item, lib)
    children = voc.children(parent)
    if not children:
        return Result("problem", interp, problem="not_disclosed", detail=f"{item.named}的数量")
    names = "、".join(x.name for x in children[:12]) + ("等" if len(children) > 12 else "")
    f = parent.main(lib.documents[item.doc_id].kind)
    lead = f"{item.named}下列有 {len(children)} 项：{names}。"
    return Result("figure", interp, ((item_label(item, f), f),), lead=lead)


def _table_named(item: Item, voc) -> Entry | None:  # type: ignore[no-untyped-def]
    """The total of the table whose topic the item's name is ("基本支出有几项": the 基本支出 table's
    parts, not the 基本支出 column of the expenditure table)."""
    for n in voc.names:
        if n.how in ("topic", "type") and n.text == clean(item.named):
            return voc.entry(n.entry)
    return None


def rank(interp: Interpretation, lib: Library) -> Result:
    if len(interp.docs) > 1:
        return rank_documents(interp, lib)
    doc = lib.documents[interp.docs[0]]
    voc = lib.vocabulary(doc.doc_id)
    parent = entry_of(interp.items[0], lib) if interp.items else next(
        (x for x in voc.entries if x.total and x.table_type == "支出总表"), None)
    if parent is None:
        return Result("problem", interp, problem="not_understood", detail=interp.said)
    items = voc.children(parent)
    if not items:
        return Result("problem", interp, problem="no_parts", detail=parent.name)
    column = interp.items[0].column if interp.items else parent.main(doc.kind).column
    facts = [x.column(column) or x.main(doc.kind) for x in items]
    facts = [f for f in facts if f.unit in MONEY_UNITS]
    n = min(interp.top or (5 if not interp.items else 1), len(facts))
    ranked = sorted(facts, key=_in_yuan, reverse=interp.direction != "less")[:n]
    word = "最少" if interp.direction == "less" else "最多"
    name = interp.items[0].named if interp.items else "支出"
    listed = "；".join(f"{k}. {label(f)} {calc.format_amount(f.value, f.unit)}" for k, f in enumerate(ranked, 1))
    head = f"{name}下共 {len(facts)} 项，{word}的" + (f"前{n}项" if n > 1 else "一项") + f"：{listed}。"
    return Result("listing", interp, tuple((label(f), f) for f in ranked), lead=head + source(ranked[0]))


def text(interp: Interpretation, lib: Library) -> Result:
    return answer_passage(interp, lib)


def _computed(interp: Interpretation, c: Calculation, lead: str = "") -> Result:
    if interp.unit and c.unit in MONEY_UNITS and interp.unit in MONEY_UNITS and interp.unit != c.unit:
        converted = calc.in_unit(Operand("结果", c.result, c.unit), interp.unit)
        c = Calculation(c.expression, converted.result, converted.unit, c.operands)
        if lead:
            lead = ""
    facts = tuple((o.label, o.citation) for o in c.operands if isinstance(o.citation, Fact))
    return Result("calculation", interp, facts, c, lead=lead)


EXECUTE: dict[str, Callable[[Interpretation, Library], Result]] = {
    "lookup": lookup, "sum": total, "difference": difference, "compare": compare, "share": share,
    "change": change, "growth": change, "completion": completion, "per_unit": per_unit, "count": count,
    "rank": rank, "text": text,
}
