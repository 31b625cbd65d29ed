"""Answers over many rows or many documents: the largest parts of a row, how many parts,
and one figure compared or ranked across units. Each figure is cited; a gap is calculated."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from ingest.model import Document, Fact
from qa import calc
from qa.calc import Operand
from qa.compose import label, parts_of, source, unexplained
from qa.match import match_prose, match_rows
from qa.reply import Listing, Reply
from qa.scope import places_said, unit_mentions
from qa.understand import Intent, said_number, understand

if TYPE_CHECKING:
    from qa.engine import Conversation, Engine

ACROSS = re.compile(r"哪个单位|哪家单位|哪个部门|哪家|各单位|各部门|所有单位|这些单位|几个单位|哪个更"
                    r"|哪个(多|少|高|低|大|小)|谁多|谁少|谁的|对比|比较一下|排名|排序|排行|排个名|排个序|排一下|前\s*[0-9一二三四五六七八九十]+\s*(名|个单位|家)"
                    r"|哪些单位|哪些部门|(最多|最少|最高|最低)的[0-9一二三四五六七八九十两]*(个|家)?(单位|部门)")


def rank_parts(engine: Engine, question: str, intent: Intent, subjects: list[str], tf: list[Fact], doc: Document,
          conv: Conversation) -> Reply:
    """The largest (or smallest) items under the row or table the question names."""
    phrase = subjects[0] if subjects else ""
    rows = match_rows(phrase, tf, engine.columns) or match_rows(phrase + "合计", tf, engine.columns) \
        if phrase else []
    if not rows:
        return engine.not_found(question, subjects, doc)
    parent = rows[0].fact
    items = parts_of(parent, tf)
    if not items:
        return engine.not_found(question, subjects, doc)
    n = min(int(intent.amount or 1), len(items))
    ranked = sorted(items, key=lambda f: f.value, reverse=intent.more)[:n]
    word = "最多" if intent.more else "最少"
    listed = "；".join(f"{i}. {label(f)} {calc.format_amount(f.value, f.unit)}"
                      for i, f in enumerate(ranked, start=1))
    conv.subjects.append(phrase)
    head = f"{label(parent)}下共 {len(items)} 项，{word}的" + (f"前{n}项" if n > 1 else "一项")
    return Reply(question, f"{head}：{listed}。{source(parent)}", "answered",
                 tuple(engine.cite(f) for f in ranked))


def count_parts(engine: Engine, question: str, intent: Intent, subjects: list[str], tf: list[Fact], pf: list[Fact],
           doc: Document, conv: Conversation) -> Reply:
    """How many: a count the prose states, else the rows under the row the question names."""
    phrase = subjects[0] if subjects else ""
    stated = match_prose(phrase, pf, ("数量",), intent.unit, strict=True)
    if stated:
        f = stated[0][1]
        return Reply(question, f"{f.row}为{calc.format_amount(f.value, f.unit)}。{source(f)}", "answered",
                     (engine.cite(f),))
    rows = match_rows(phrase, tf, engine.columns) if phrase else []
    items = parts_of(rows[0].fact, tf) if rows else []
    if not items:
        return engine.not_found(question, subjects, doc)
    parent = rows[0].fact
    conv.subjects.append(phrase)
    names = "、".join(f.row for f in items[:12]) + ("等" if len(items) > 12 else "")
    return Reply(question, f"{label(parent)}下列有 {len(items)} 项：{names}。{source(parent)}", "answered",
                 (engine.cite(parent),))


def compare_units(engine: Engine, question: str, docs: list[Document], conv: Conversation) -> Reply:
    """One figure in several documents, compared or ranked, each with its source: the first
    TOP (or as many as asked) in the text, every document in the reply's table."""
    q = re.sub(r"\s+", "", question)
    said = {q[h.start:h.end] for h in engine.gazetteer.named(q)}
    named_year = re.search(r"20\d\d年", q)
    q = re.sub(r"(20\d\d)年度?", "", q)  # the years chose the documents already
    places = {p for p in places_said(q) if any(p in d.unit for d in docs)}  # "普陀区这几个单位"
    for m in sorted(said | set(unit_mentions(q)) | places, key=len, reverse=True):
        q = q.replace(m, "")
    q = re.sub(r"^(这|那)?(几|些|各)个?(单位|部门)的?", "", q)
    intent = understand(ACROSS.sub("", re.sub(r"相比|相较|比较一下|比较|对比一下|对比|比一比|[，,。]", "", q)))
    phrase = intent.subjects[0] if intent.subjects and intent.subjects[0] else ""
    phrase = re.sub(r"^(和|与|及|跟|同|的)+|(哪个|哪家|谁)?(最|更)?(多|少|大|小|高|低)?的?"
                    r"(单位|部门|是哪些|有哪些|是谁|是哪个)*$", "", phrase) or (
        conv.subjects or [""])[-1]
    phrase = re.sub(r"^(前|后)[0-9一二三四五六七八九十]+(名|个|家)?的?", "", phrase) or phrase
    if not named_year:
        docs = _latest_of_each_unit(docs)
    found = _found_in(engine, phrase, intent.unit, docs)
    if not found:
        return Reply(question, f"所选的 {len(docs)} 份文件都没有披露「{phrase}」的数字。", "not_found")
    plain = re.sub(r"多少", "", q)
    low = bool(re.search(r"少|低|小", plain)) and not re.search(r"多|高|大", plain)
    found.sort(key=lambda x: (calc.convert(x[1].value, x[1].unit, "元"), x[0].unit), reverse=not low)
    conv.subjects.append(phrase)
    asked = re.search(r"前([一二三四五六七八九十两\d]+)|最(?:多|少|高|低|大|小)的([一二三四五六七八九十两\d]+)"
                      r"(?:个|项|名|位|家|单位)", q)
    top = max(1, min(said_number(asked.group(1) or asked.group(2)), MAX_LISTED)) if asked else TOP
    shown = found[:top]
    lines = "；".join(f"{i}. {d.unit}（{d.year}年{d.kind}）{_amount(f, found)}"
                      for i, (d, f) in enumerate(shown, start=1))
    missing = [d.unit for d in docs if d not in {x[0] for x in found}]
    absent = "没有披露这一项" if len(docs) <= PER_DOCUMENT else "中没有找到同名的一项"
    note = (f"（{'、'.join(missing)}的文件{absent}）" if len(missing) <= 5 else
            f"（另有 {len(missing)} 份文件{absent}）") if missing else ""
    cites = tuple(engine.cite(f) for _, f in shown)
    table = _listing(found, low)
    if len(found) == 1:
        return Reply(question, f"{phrase}：{lines}。{note}", "answered", cites)
    (d1, f1), (d2, f2) = found[0], found[1]
    a = Operand(f"{d1.unit}{label(f1)}", f1.value, f1.unit, f1)
    b = Operand(f"{d2.unit}{label(f2)}", f2.value, f2.unit, f2)
    c = calc.difference(a, b, "万元") if not low else calc.difference(b, a, "万元")
    word = "最少" if low else "最多"
    order = "从少到多" if low else "从多到少"
    head = f"「{phrase}」{order}" if len(found) <= top else \
        f"比较了 {len(found)} 份文件的「{phrase}」，{order}前 {top} 名"
    rest = f"全部 {len(found)} 份见表格。" if len(found) > top else ""
    text = (f"{head}：{lines}。{note}{d1.unit}{word}，"
            f"与{d2.unit}相差{calc.format_amount(abs(c.result), c.unit)}（{c.expression}）。{rest}")
    return Reply(question, text, "answered", cites, c, table=table if len(found) > top else None)


def _amount(f: Fact, found: list[tuple[Document, Fact]]) -> str:
    """A figure in its document's unit, and also in the unit most of the others use."""
    common = Counter(g.unit for _, g in found).most_common(1)[0][0]
    shown = calc.format_amount(f.value, f.unit)
    if f.unit == common or common not in calc.MONEY_UNITS:
        return shown
    return f"{shown}（即{calc.convert(f.value, f.unit, common).normalize():f}{common}）"


TOP = 10  # entries a ranking states in its text; the reply's table holds them all
MAX_LISTED = 50
PER_DOCUMENT = 12  # up to this many documents are each searched like a single document


def _latest_of_each_unit(docs: list[Document]) -> list[Document]:
    """Units compared without a year: each unit's latest document (of the kind most documents
    are, when a unit published both that year)."""
    kinds = Counter(d.kind for d in docs)
    best: dict[str, Document] = {}
    for d in docs:
        old = best.get(d.unit)
        if old is None or ((d.year or 0), kinds[d.kind]) > ((old.year or 0), kinds[old.kind]):
            best[d.unit] = d
    return [d for d in docs if best[d.unit] is d]


def _found_in(engine: Engine, phrase: str, unit: str | None, docs: list[Document]) -> list[tuple[Document, Fact]]:
    """Each document's figure for the phrase. A few documents are each searched whole; over
    many, the rows a few of them link the phrase to (printed name, table type, column) are
    read for every document at once through the store's row index, so a ranking over a
    thousand documents reads one row each, not every document."""
    def searched(d: Document) -> Fact | None:
        tf, pf = engine.facts_of(d.doc_id)
        f = engine.find(phrase, tf, pf, unit)
        ok = f is not None and f.unit in calc.MONEY_UNITS and not unexplained(phrase, f, d.unit)
        return f if ok else None

    if len(docs) <= PER_DOCUMENT:
        return [(d, f) for d in docs if (f := searched(d)) is not None]
    samples = sorted(docs, key=lambda d: (not engine.in_memory(d.doc_id), d.title))[:PER_DOCUMENT]
    keys: dict[tuple[str, str, str, str | None], Fact] = {}
    agreed = 0
    for d in samples:
        f = searched(d)
        if f is not None and f.table != "正文":
            keys.setdefault((f.table_type, f.row, f.column, f.code), f)
            agreed += 1
        if agreed >= 3:
            break
    if not keys:  # stated in prose only, or named differently: every document searched whole
        return [(d, f) for d in docs if (f := searched(d)) is not None]
    wanted = {d.doc_id: d for d in docs}
    best: dict[str, Fact] = {}
    for f in engine.facts_in_rows(sorted({k[1] for k in keys}), list(wanted)):
        k = (f.table_type, f.row, f.column, f.code)
        if k in keys and (f.doc_id not in best or (f.page or 0) < (best[f.doc_id].page or 0)):
            best[f.doc_id] = f
    return [(wanted[i], f) for i, f in best.items()]


def _listing(found: list[tuple[Document, Fact]], low: bool) -> Listing:
    rows = tuple((str(i), d.unit, str(d.year or ""), d.kind, f"{f.value:.2f}", f.unit, label(f),
                  f.table, str(f.page or ""))
                 for i, (d, f) in enumerate(found, start=1))
    return Listing(("名次", "单位", "年度", "类别", "金额", "单位（金额）", "项目", "来源表", "页码"), rows)
