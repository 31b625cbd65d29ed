"""Readings → the ranked interpretations of a question: an operation whose slots the grounded
items fill, over one or several documents; a follow-up is an edit of the conversation's last
interpretation. The operation is the one whose cue the question says *and* whose slots its
items fill (a share needs a part and a whole, a change a figure and its other year); a question
whose words ground nothing is not understood, one whose item this document does not list is
not disclosed — each says so, and neither is guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal

from ingest.model import Fact
from qa.cues import (
    asks_across,
    asks_text_of,
    compared_measure,
    direction_said,
    measure_said,
    operation_of,
    out_unit,
    scale_said,
    text_kind,
    top_said,
)
from qa.lexicon import says, table
from qa.normalise import Question
from qa.read import Phrase, Reading, items_said
from qa.scope import Scope
from qa.value import Interpretation, Item, Turn
from qa.vocabulary import Entry, Vocabulary, clean
from qa.wholes import aligned, is_below, part_of_other, whole_budget, whole_of


@dataclass(frozen=True)
class Context:
    """What interpreting a question needs besides its readings."""

    question: Question
    scope: Scope
    readings: dict[str, Reading]  # doc_id → the document's reading
    vocabularies: dict[str, Vocabulary]
    last: Turn | None = None  # the conversation's last answered turn
    history: tuple[Turn, ...] = ()


def item_of(phrase: Phrase, doc_id: str, k: int = 0) -> Item:
    e, column, name = phrase.candidates[k]
    s = phrase.span
    return Item(s.target, doc_id, e.id, e.name, e.code, e.table, column, s.score, s.how, name)


def interpret(ctx: Context) -> Interpretation:
    """The best interpretation; its `problem` says why it cannot be answered, when it cannot."""
    docs = ctx.scope.docs
    text = ctx.question.text
    first = ctx.readings[docs[0].doc_id] if docs[0].doc_id in ctx.readings else None
    asks_text = first is not None and asks_text_of(first, text)
    if len(docs) > 1 and (ctx.scope.several or asks_across(text)) and not asks_text and not _own_execution(ctx):
        return _across_documents(ctx)
    doc_id = _first_document(ctx).doc_id if asks_text or len(docs) > 1 else docs[0].doc_id
    r = ctx.readings[doc_id]
    voc = ctx.vocabularies[doc_id]
    words = {w.kind: w for w in r.words}
    unit = out_unit(r)
    measure = "上年" if ctx.scope.previous else measure_said(r)
    if asks_text:
        said = tuple(item_of(p, doc_id) for p in r.phrases)
        if not said and ctx.last is not None and len(text) <= 12:
            said = ctx.last.interpretation.items  # "为什么？": the last turn's item
        return Interpretation("text", said, (doc_id,), None, r.score, text_kind=text_kind(r, text), said=text)
    if r.narrower:
        return Interpretation("lookup", (), (doc_id,), unit, said=r.narrower, problem="narrower", detail=r.narrower)
    if r.foreign and not r.phrases:
        return Interpretation("lookup", (), (doc_id,), unit, said=r.foreign, problem="not_disclosed", detail=r.foreign)
    phrases = items_said(r.phrases)
    refs = "ref" in words
    if not phrases and "count" in words:
        counted = _counted(r, voc, words["count"].target)
        if counted is not None:
            return Interpretation("count", (counted,), (doc_id,), unit, 1.0, said=text)
        if r.leftover.strip():  # "检察院有几辆车" where no count of cars is stated
            return Interpretation("count", (), (doc_id,), unit, said=text, problem="not_disclosed",
                                  detail=r.leftover.replace(" ", "") + "的数量")
    if not phrases and "rank" in r.cues:  # "钱主要花在哪里": the largest parts of its spending
        return Interpretation("rank", (), (doc_id,), unit, 1.0, direction=direction_said(text, r), top=top_said(r),
                              said=text)
    if not phrases and ctx.last is not None:
        return _follow_up(ctx, r, unit, measure)
    if not phrases and not _nouns(r.leftover) and re.search(r"一共|总共|共计|全部|总额|总计|总支出", text) \
            and says("money", text):
        whole = whole_budget(voc, measure)  # "社工部2024年一共花了多少钱": its total spending
        if whole is not None:
            return Interpretation("lookup", (whole,), (doc_id,), unit, 1.0, said=text)
    if not phrases:
        return Interpretation("lookup", (), (doc_id,), unit, said=r.leftover, problem="not_understood",
                              detail=r.leftover or text)
    left_out = _left_out(r, phrases, voc)
    if left_out is not None:  # "三公经费一共多少？不算公务接待费": the whole without those parts
        return Interpretation("difference", left_out, (doc_id,), unit, r.score, said=text, left_out=True)
    columns = _columns_of_last(ctx, phrases, voc)
    if columns is not None:  # "基本支出还是项目支出" after an item: its own columns
        return Interpretation("lookup", columns, (doc_id,), unit, r.score, said=text)
    op = operation_of(r, text, len(phrases), refs or ctx.last is not None, voc.doc.kind, voc.doc.year)
    if op == "difference" and len(phrases) == 1:
        measure = compared_measure(text, r, voc.doc.year) or measure
    if op == "share":  # a container is the share's whole ("三公经费中公务接待费占多大比重")
        phrases = list(r.phrases)
    missing = _nouns(r.leftover)
    joined = re.search(r"[和与及、跟加+＋]|比|减", _outside(text, r))
    left = _content(r.leftover)
    if (op in ("sum", "difference", "compare") or r.cues & {"sum", "difference", "compare"}) and len(left) >= 2 \
            and len(items_said(r.phrases)) < 3 and joined and compared_measure(text, r, voc.doc.year) is None:
        missing = left
        return Interpretation(op, (), (doc_id,), unit, said=missing, problem="not_understood", detail=missing)
    if op == "share" and len(missing) >= 2 and len(r.phrases) < 2:
        return Interpretation(op, (), (doc_id,), unit, said=missing, problem="not_understood", detail=missing)
    if op == "lookup" and says("money", _outside(text, r)):
        phrases = [p for p in phrases if _has_money(p)] or phrases
        if not any(_has_money(p) for p in phrases):
            return Interpretation(op, (), (doc_id,), unit, said=phrases[0].span.target, problem="not_understood",
                                  detail=phrases[0].span.target + missing)
    items = [item_of(p, doc_id, _fitting(p, op if op != "lookup" or not says("money", _outside(text, r))
                                         else "money")) for p in phrases]
    items = _same_table(items, phrases, op, doc_id)
    if op == "per_unit" and all(_money_item(i, voc) for i in items):
        counted = _counted(r, voc, _counter(text))
        if counted is not None:
            items.append(counted)
    interp = Interpretation(op, tuple(items), (doc_id,), unit, r.score, measure=measure,
                            direction=direction_said(text, r), said=phrases[0].span.target, top=top_said(r),
                            scale=scale_said(r))
    if op in ("change", "growth") and voc.doc.kind == "预算" and any(
            w.kind == "measure" and w.target == "决算" for w in r.words):
        interp = interp.edit(measure="决算")  # "用2023年预算数和2022年预算执行数算": against the execution
    if op == "count":
        counts = [i for i in items if not _money_item(i, voc)]
        counter = words["count"].target if "count" in words else "项"
        if not counts and counter != "项":  # "有多少辆公务用车": the count the prose states for what the items name
            named = replace(r, leftover=" ".join(p.span.target for p in phrases) + " " + r.leftover)
            counted = _counted(named, voc, counter)
            counts = [counted] if counted is not None else []
        interp = interp.edit(items=tuple(counts or items))
    interp = _fill(interp, ctx, r, voc)
    if interp.op in ("sum", "difference", "compare"):  # "油费修车费": two words of one row count it once
        interp = interp.edit(items=tuple({(i.doc_id, i.entry, i.column): i for i in interp.items}.values()))
    if interp.op == "share" and len(interp.items) == 1:
        said_whole = next((w.target for w in r.words if w.kind == "whole"), None)  # "占总预算几成"
        whole = whole_budget(voc, measure, said_whole) if said_whole else whole_of(interp.items[0], voc)
        interp = interp.edit(items=(interp.items[0], whole)) if whole is not None else interp.edit(
            problem="no_whole", detail=interp.items[0].named)
    if interp.op in ("sum", "difference", "compare", "share"):
        interp = interp.edit(items=aligned(interp.items, voc))
    if interp.op == "share" and len(interp.items) == 2 and is_below(interp.items[1], interp.items[0], voc):
        interp = interp.edit(items=interp.items[::-1])  # a share is of a whole in what holds it, never the reverse
    if interp.op == "sum" and part_of_other(interp.items, voc):
        interp = interp.edit(problem="part_and_whole", detail=part_of_other(interp.items, voc))
    return _ambiguity(interp, phrases, doc_id, _outside(text, r))


def _left_out(r: Reading, phrases: list[Phrase], voc: Vocabulary) -> tuple[Item, ...] | None:
    """One whole said with parts of it left out: (whole, part …); None when the parts are not its."""
    if not r.excluded or len(phrases) != 1:
        return None
    doc_id = voc.doc.doc_id
    whole, parts = item_of(phrases[0], doc_id), [item_of(p, doc_id) for p in r.excluded]
    if all(part_of_other((whole, part), voc).startswith(whole.named + "已包含") for part in parts):
        return (whole, *aligned(tuple(parts), voc))
    return None


def _columns_of_last(ctx: Context, phrases: list[Phrase], voc: Vocabulary) -> tuple[Item, ...] | None:
    """A follow-up saying only columns ("基本支出还是项目支出", "其中财政拨款呢") that the last item's
    row prints: that row in those columns."""
    if ctx.last is None or len(ctx.last.interpretation.items) != 1 or not phrases:
        return None
    last = ctx.last.interpretation.items[0]
    if last.doc_id != voc.doc.doc_id or not all(p.candidates[0][0].total and p.span.how == "column" for p in phrases):
        return None
    row = voc.entry(last.entry)
    columns = [p.candidates[0][1] for p in phrases]
    if not all(row.column(c) is not None for c in columns):
        return None
    return tuple(replace(last, said=p.span.target, column=c) for p, c in zip(phrases, columns, strict=True))


def _own_execution(ctx: Context) -> bool:
    """"2024年预算比2023年预算执行数少了多少": the 2024 budget states 2023's execution itself."""
    first = _first_document(ctx)
    r = ctx.readings.get(first.doc_id)
    return first.kind == "预算" and r is not None and compared_measure(ctx.question.text, r, first.year) == "决算"


def _first_document(ctx: Context):  # type: ignore[no-untyped-def]
    """A text question over several documents is about the one whose year is said first (为什么2019年
    比2018年增加: 2019's), else the latest."""
    docs = [d for d in ctx.scope.docs if d.doc_id in ctx.readings]
    said = [d for y in ctx.scope.years for d in docs if d.year == y]
    return said[0] if said else max(docs, key=lambda d: d.year or 0)


STAFF_FIRST = ("在职", "实有", "编制")


def _nouns(text: str) -> str:
    """The nouns of words left over ("年终奖" in "津贴补贴加年终奖一共多少钱"), not their function words."""
    import jieba.posseg

    return "".join(w.word for piece in text.split() for w in jieba.posseg.cut(piece)
                   if len(w.word) >= 2 and (w.flag[:1] in ("n", "j") or w.flag in ("vn", "an")))


def _content(text: str) -> str:
    """The content words left over, nouns or verbs ("请人干活" in "差旅费与请人干活的钱之和"), without
    prepositions, conjunctions, pronouns, numerals or particles (比起, 之间, 两个)."""
    import jieba.posseg

    return "".join(w.word for piece in text.split() for w in jieba.posseg.cut(piece)
                   if len(w.word) >= 2 and w.flag[:1] not in ("p", "c", "u", "d", "r", "m", "q", "y", "f", "e", "x"))


def _outside(text: str, r: Reading) -> str:
    """The question without its items' own words."""
    out = list(text)
    for p in r.phrases:
        for i in range(p.span.start, p.span.end):
            out[i] = " "
    return "".join(out)


def _counter(text: str) -> str:
    """What a per-unit figure counts: the counter after 每 ("每辆车": 辆), people for 人均/每人/每个在职人员."""
    m = re.search(r"每([辆台个家名位人套项所])", text)
    if m and m.group(1) == "个" and re.match(r"(在职|工作)?(人员|人|职工|员工)", text[m.end():]):
        return "人"
    return "人" if not m or m.group(1) in "名位人" else m.group(1)


def _money_item(item: Item, voc: Vocabulary) -> bool:
    f = voc.entry(item.entry).column(item.column)
    return f is not None and f.unit in ("元", "万元", "亿元")


def _has_money(p: Phrase) -> bool:
    return any((f := e.column(c)) is not None and f.unit in ("元", "万元", "亿元") for e, c, _ in p.candidates)


def _same_table(items: list[Item], phrases: list[Phrase], op: str, doc_id: str) -> list[Item]:
    """Items of one calculation read from one table where they can be ("邮电费和公务接待费": both from
    the economic table, not 公务接待费 from the “三公” table)."""
    if op not in ("sum", "difference", "compare", "share") or len(items) < 2:
        return items
    tables = [i.table for i in items]
    out = list(items)
    for k, p in enumerate(phrases[:len(items)]):
        others = {t for j, t in enumerate(tables) if j != k}
        if items[k].table in others:
            continue
        for j, (e, _, _) in enumerate(p.candidates):
            if e.table in others and e.name == p.candidates[0][0].name:
                out[k] = item_of(p, doc_id, j)
                break
    return out


MONEY_OPS = ("sum", "difference", "share", "change", "growth", "completion", "compare", "rank")


def _fitting(p: Phrase, op: str) -> int:
    """The candidate an operation can use: an amount of money for arithmetic on money, a count
    for a count."""
    for k, (e, column, _) in enumerate(p.candidates):
        f = e.column(column)
        unit = f.unit if f is not None else ""
        if op in MONEY_OPS and unit in ("元", "万元", "亿元") and column != "执行数":
            return k
        if op == "count" and unit not in ("元", "万元", "亿元", "%"):
            return k
        if op == "money" and unit in ("元", "万元", "亿元"):
            return k
        if op not in MONEY_OPS and op not in ("count", "money"):
            return 0
    return 0


def _counted(r: Reading, voc: Vocabulary, counter: str) -> Item | None:
    """"一共有多少辆车": the count the prose states in that counter, for the thing the question
    names (the largest: 车辆 127辆 over its part 一般公务用车)."""
    units = {"人": ("人", "名"), "名": ("人", "名")}.get(counter, (counter,))
    counts = [e for e in voc.entries if e.prose and e.facts[0].column == "数量"]
    noun = r.leftover.replace(" ", "")
    shared = {e.id: sum(ch in e.name for ch in set(noun)) for e in counts}
    named = [e for e in counts if noun and shared[e.id]]  # 几台车: the cars, in 辆
    if not named and not noun:
        named = [e for e in counts if e.facts[0].unit in units]
        if units[0] == "人":  # the staff a per-person figure divides by: those in post first
            named = next(([e for e in named if w in e.name] for w in STAFF_FIRST if any(w in e.name for e in named)),
                         named)
    if not named:
        return None
    e = max(named, key=lambda x: (shared[x.id], x.facts[0].value))
    return Item(noun or e.name, voc.doc.doc_id, e.id, e.name, e.code, e.table, e.facts[0].column, 0.5, "count")


def _fill(interp: Interpretation, ctx: Context, r: Reading, voc: Vocabulary) -> Interpretation:
    """Slots the question leaves to the conversation or to the document: a share's whole, a
    reference's items, the items of a comparison said with 它."""
    items = list(interp.items)
    last = ctx.last.interpretation if ctx.last is not None else None
    refs = [w for w in r.words if w.kind == "ref"]
    if interp.op == "share":
        items = _part_and_whole(ctx.question.text, r, items)
        if len(items) > 2:  # "买公车和养车的钱在三公经费中的占比": the parts added, then the whole
            return interp.edit(items=tuple(items), part_count=len(items) - 1)
        if len(items) == 1 and last is not None and last.items:
            text = ctx.question.text
            span = r.phrases[-1].span
            whole = re.search(r"(相对于|相较于|对于|相比|在|是|于|占)的?$", text[:span.start]) is not None \
                or re.match(r"(里|中|当中|之中|里面)", text[span.end:]) is not None or _whole_only(text, r)
            part = re.search(r"其中|里面的|这里面|这当中", text[:span.start]) is not None or not whole
            if not part and last.op == "sum":  # "占支出总计的百分之几": the sum is the part
                return interp.edit(items=(*last.items, items[0]), part_count=len(last.items))
            items = [items[0], last.items[0]] if part else [last.items[0], items[0]]
        return interp.edit(items=tuple(items[:2]))
    if interp.op in ("sum", "difference", "compare") and len(items) == 1 and last is not None and last.items:
        if refs or interp.op == "difference":
            return interp.edit(items=(last.items[0], items[0]))
    column_mode = last is not None and last.items and last.items[0].how == "column" and items[0].how == "column"
    if interp.op == "lookup" and len(items) == 1 and last is not None and (refs or column_mode) and last.items:
        within = _within(voc, last.items[0], items[0])
        if within is not None:
            return interp.edit(items=(within,))
    return interp


def _part_and_whole(text: str, r: Reading, items: list[Item]) -> list[Item]:
    """Which item is the part: the one said right before 占 ("A占B", "B中A占多少"), unless it is
    said as where the share is taken ("A在B里占多少": B is the whole); the whole is said after 占,
    or before the part ("基本支出中，人员经费占比"). Without 占, "B中A的比例": B is the whole."""
    rows = [p.span for p in r.phrases]
    at = text.find("占")
    if rows != sorted(rows, key=lambda s: s.start):
        order = sorted(range(len(rows)), key=lambda k: rows[k].start)
        rows, items = [rows[k] for k in order], [items[k] for k in order]
    if at < 0:
        if len(rows) >= 2 and r.phrases[1].container is rows[0]:
            return [items[1], items[0]]
        return items
    containers = {id(p.container) for p in r.phrases if p.container is not None}
    before = [k for k, s in enumerate(rows) if s.end <= at]
    after = [k for k, s in enumerate(rows) if s.start > at and id(s) not in containers]
    if not before:
        return items
    last = before[-1]
    gap = text[rows[last].end:at]
    if len(before) >= 2 and re.search(r"[里中内]", gap):
        parts = [before[-2]]
        while parts[0] > before[0] and re.fullmatch(r"(的钱|的)?([和与及、跟加+＋]|以及)",
                                                    text[rows[parts[0] - 1].end:rows[parts[0]].start]):
            parts.insert(0, parts[0] - 1)  # "A和B…在C中": A and B are the part
        return [*(items[k] for k in parts), items[last]]
    whole = after[:1] or before[-2:-1]
    return [items[last], *(items[k] for k in whole)]


def _whole_only(text: str, r: Reading) -> bool:
    """"占基本支出多少": the one item said comes after 占, so it is the whole."""
    at = text.find("占")
    return at >= 0 and all(p.span.start > at for p in r.phrases)


def _within(voc: Vocabulary, last: Item, item: Item) -> Item | None:
    """"这里面项目支出有多少": the last row's figure in the column the item names, in the last row's
    table or another table printing the same row with that column."""
    if last.doc_id != voc.doc.doc_id:
        return None
    src = voc.entry(last.entry)
    column = clean(item.column if item.how == "column" else item.row)
    same = [e for e in voc.entries if not e.prose and e.name == src.name and (not src.code or e.code == src.code)
            and (not src.total or e.table == src.table)]
    same.sort(key=lambda e: e.id != src.id)
    for e in same:
        f = next((g for g in e.facts if clean(g.column) == column), None)
        if f is not None:
            return Item(item.said, last.doc_id, e.id, e.name, e.code, e.table, f.column, item.score, "column",
                        last.named)
    return None


def _ambiguity(interp: Interpretation, phrases: list[Phrase], doc_id: str, around: str = "") -> Interpretation:
    """A lookup whose words name several rows with other figures equally well is not guessed: the
    rows are offered (one that is above the others by code is the one meant: 住房 → 住房保障支出),
    unless a word around the item says which ("买公务用车": the 购置 one)."""
    if interp.op != "lookup" or len(phrases) != 1:
        return interp
    p = phrases[0]
    options = _distinct(p)
    if len(options) <= 1:
        return interp
    senses = {m for _, printed in table("senses") for m in printed.split("|")}
    meant = {m for said, printed in table("senses") if said in around for m in printed.split("|")}
    named = [(e, c, {m for m in senses if m in e.name}) for e, c in options]
    sensed = [(e, c) for e, c, says_ in named if says_ & meant and says_ <= meant]  # 购置及运行费 says more
    if len(sensed) == 1:
        e, c = sensed[0]
        return interp.edit(items=(Item(p.span.target, doc_id, e.id, e.name, e.code, e.table, c, p.span.score,
                                       p.span.how),))
    top = options[0]
    codes = {e.code for e, _, _ in p.candidates if e.name == top[0].name and e.code}
    if p.span.how == "head" and codes and min(len(c) for c in codes) == 3:
        return interp  # 住房 said alone: the 类 住房保障支出, not a row of another classification
    if all(_above(top[0], e) or any(e.code and e.code.startswith(c) and e.code != c for c in codes)
           for e, _ in options[1:]):
        return interp
    if p.span.cover == 1 and all(e.name == top[0].name for e, _ in options):
        return interp  # the same row printed in several tables: the broadest, the others mentioned
    return interp.edit(problem="ambiguous", options=tuple(
        Item(p.span.target, doc_id, e.id, e.name, e.code, e.table, c, p.span.score, p.span.how)
        for e, c in options[:6]))


def _distinct(p: Phrase) -> list[tuple[Entry, str]]:
    """The candidates with figures of their own: one per distinct figure."""
    out: list[tuple[Entry, str]] = []
    seen: list[Fact] = []
    for e, c, _ in p.candidates:
        f = e.column(c)
        if f is None:
            continue
        if not any(_same_amount(f, g) for g in seen):
            seen.append(f)
            out.append((e, c))
    return out


YUAN = {"元": Decimal(1), "万元": Decimal(10000), "亿元": Decimal(100000000)}


def _same_amount(f: Fact, g: Fact) -> bool:
    """One amount printed twice, at the precision of the coarser printing (99750元 and 9.98万元)."""
    if (f.unit in YUAN) != (g.unit in YUAN):
        return False
    if f.unit not in YUAN:
        return f.value == g.value and f.unit == g.unit
    a, b = f.value * YUAN[f.unit], g.value * YUAN[g.unit]
    step = max(Decimal(1).scaleb(x.value.as_tuple().exponent) * YUAN[x.unit] for x in (f, g))  # type: ignore[arg-type]
    return abs(a - b) * 2 <= step


def _above(a: Entry, b: Entry) -> bool:
    return bool(a.code and b.code and b.code.startswith(a.code) and a.code != b.code) or (a.total and not b.total)


def _follow_up(ctx: Context, r: Reading, unit: str | None, measure: str | None) -> Interpretation:
    """A turn that names no item edits the last interpretation: its documents (那2023年呢), its
    unit (换成元), its measure (年初预算呢), or its operation over the last items (这两项加起来呢,
    差多少, 它比上年增加了多少, 完成率呢)."""
    assert ctx.last is not None
    last = ctx.last.interpretation
    text = ctx.question.text
    doc = ctx.scope.docs[0]
    docs = tuple(d.doc_id for d in ctx.scope.docs)
    cues = r.cues
    against = compared_measure(text, r, doc.year)
    rate = "rate" in cues
    op = None
    if against == "上年" or (against == "决算" and doc.kind == "预算") or ("change" in cues and "sum" not in cues):
        op = "growth" if rate else "change"
    elif "sum" in cues:
        op = "sum"
    elif "difference" in cues or "差" in text:
        op = "difference"
    elif "completion" in cues:
        op = "completion"
    elif "share" in cues:
        op = "share"
    elif rate and last.op in ("change", "growth"):
        op = "growth"
    elif "per_unit" in cues:
        op = "per_unit"
    moved = docs != last.docs and ctx.scope.named
    base = last
    if moved:  # "那2023年呢", "换成万里街道呢": the same items in the documents now named
        items = tuple(x for x in (_reground(i, ctx.vocabularies[d]) for d in docs if d in ctx.vocabularies
                                  for i in last.items[:1 if len(docs) > 1 else None]) if x is not None)
        if not items:
            return Interpretation(last.op, (), docs, unit, said=last.said, problem="not_disclosed",
                                  detail=last.items[0].named if last.items else last.said)
        base = last.edit(items=items, docs=docs, problem=None, options=())
        if len(docs) > 1 and op is None:
            op = "compare"
    if op in ("sum", "difference") and not moved:
        items = _last_items(ctx, 2)
        problem = None if len(items) >= 2 else "two_needed"
        own = ctx.vocabularies.get(items[0].doc_id) if items else None
        detail = part_of_other(items, own) if op == "sum" and own is not None else ""
        return Interpretation(op, items, tuple(dict.fromkeys(i.doc_id for i in items)), unit, 1.0,
                              direction=last.direction, said=text, problem="part_and_whole" if detail else problem,
                              detail=detail or text)
    if op is not None:
        return base.edit(op=op, unit=unit or last.unit, measure=measure, problem=None, options=())
    if moved or unit is not None or measure is not None:
        return base.edit(unit=unit or last.unit, measure=measure if measure else (
            last.measure if not moved else None), problem=None, options=())
    return Interpretation("lookup", (), docs, unit, said=r.leftover, problem="not_understood",
                          detail=r.leftover or text)


def _reground(item: Item, voc: Vocabulary) -> Item | None:
    """The item's row in another document: by the name that linked it, in a table of the same type
    where there is one (三公经费 → that document's “三公”经费 total)."""
    wanted = clean(item.named)
    names = [n for n in voc.names if n.text == wanted]
    if not names:
        return None
    old_type = item.table
    entries = [(voc.entry(n.entry), n) for n in names]
    entries.sort(key=lambda en: (en[0].prose, en[0].order, en[0].table != old_type))
    e, n = entries[0]
    column = n.column or (item.column if e.column(item.column) is not None else e.main(voc.doc.kind).column)
    return Item(item.said, voc.doc.doc_id, e.id, e.name, e.code, e.table, column, item.score, item.how, n.text)


def _last_items(ctx: Context, n: int) -> tuple[Item, ...]:
    """The items of the last turns, newest last, one per turn, `n` at most."""
    out: list[Item] = []
    for turn in reversed(ctx.history):
        said = turn.interpretation.items
        for item in said[:1] if turn.interpretation.op != "lookup" else said[-1:]:
            if item not in out:
                out.append(item)
        if len(out) >= n:
            break
    return tuple(reversed(out[:n]))


def _across_documents(ctx: Context) -> Interpretation:
    """One item in several documents: compared, ranked, differenced, summed or listed."""
    text = ctx.question.text
    said_years = ctx.scope.years
    docs = tuple(sorted(ctx.scope.docs, key=lambda d: said_years.index(d.year) if d.year in said_years
                        else len(said_years)))  # "2018年比2017年…": in the order said
    grounded: list[Item] = []
    said = ""
    for d in docs:
        r = ctx.readings.get(d.doc_id)
        said_here = items_said(r.phrases) if r is not None else []
        if not said_here:
            continue
        grounded.append(item_of(said_here[0], d.doc_id, _fitting(said_here[0], "rank")))
        said = said or said_here[0].span.target
    r0 = next(iter(ctx.readings.values()))
    cues = r0.cues
    if not grounded and ctx.last is not None and ctx.last.interpretation.items:
        said = ctx.last.interpretation.items[0].said
    if "rank" in cues or "top" in cues or asks_across(text) and "compare" not in cues and len(docs) > 2:
        op = "rank"
    elif "rate" in cues and "金额" not in text and ("change" in cues or "difference" in cues) and len(docs) == 2:
        op = "growth"  # "2019年比2018年增长了百分之几": the rate of the change between the two
    elif says("which", text):
        op = "compare" if len(docs) == 2 else "rank"
    elif "difference" in cues or "change" in cues:
        op = "difference" if len(docs) == 2 else "rank"
    elif "sum" in cues:
        op = "sum"
    elif "compare" in cues or asks_across(text):
        op = "compare" if len(docs) == 2 else "rank"
    else:
        op = "compare"
    return Interpretation(op, tuple(grounded), tuple(d.doc_id for d in docs), out_unit(r0), 1.0,
                          direction=direction_said(text, r0), top=top_said(r0), said=said,
                          problem=None if grounded or said else "not_understood", detail=r0.leftover)

