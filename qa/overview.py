"""Answers over many rows or many documents: the largest parts of a row, how many parts,
and one figure compared or ranked across units. Each figure is cited; a gap is calculated."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ingest.model import Document, Fact
from qa import calc
from qa.calc import Operand
from qa.compose import label, parts_of, source, unexplained
from qa.match import match_prose, match_rows
from qa.reply import Reply
from qa.scope import unit_mentions
from qa.understand import Intent, understand

if TYPE_CHECKING:
    from qa.engine import Conversation, Engine

ACROSS = re.compile(r"哪个单位|哪家单位|哪个部门|哪家|各单位|各部门|所有单位|这些单位|几个单位|哪个更|哪个多|哪个少"
                    r"|谁多|谁少|谁的|对比|比较一下|排名|排序")


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
    """One figure in several documents, compared or ranked, each with its source."""
    q = re.sub(r"\s+", "", question)
    for m in unit_mentions(q):
        q = q.replace(m, "")
    intent = understand(ACROSS.sub("", re.sub(r"(20\d\d)年度?", "", q)))
    phrase = intent.subjects[0] if intent.subjects and intent.subjects[0] else ""
    phrase = re.sub(r"^(和|与|及|跟|的)+|(哪个|哪家)?最?(多|少|大|小|高|低)?$", "", phrase) or (
        conv.subjects or [""])[-1]
    found: list[tuple[Document, Fact]] = []
    for d in docs:
        tf, pf = engine.facts_of(d.doc_id)
        f = engine.find(phrase, tf, pf, intent.unit)
        if f is not None and f.unit in calc.MONEY_UNITS and not unexplained(phrase, f, d.unit):
            found.append((d, f))
    if not found:
        return Reply(question, f"所选的 {len(docs)} 份文件都没有披露「{phrase}」的数字。", "not_found")
    plain = re.sub(r"多少", "", q)
    low = bool(re.search(r"少|低|小", plain)) and not re.search(r"多|高|大", plain)
    found.sort(key=lambda x: calc.convert(x[1].value, x[1].unit, "元"), reverse=not low)
    conv.subjects.append(phrase)
    lines = "；".join(f"{i}. {d.unit}（{d.year}年{d.kind}）{calc.format_amount(f.value, f.unit)}"
                      for i, (d, f) in enumerate(found, start=1))
    missing = [d.unit for d in docs if d not in [x[0] for x in found]]
    note = f"（{'、'.join(missing)}的文件没有披露这一项）" if missing else ""
    cites = tuple(engine.cite(f) for _, f in found)
    if len(found) == 1:
        return Reply(question, f"{phrase}：{lines}。{note}", "answered", cites)
    (d1, f1), (d2, f2) = found[0], found[1]
    a = Operand(f"{d1.unit}{label(f1)}", f1.value, f1.unit, f1)
    b = Operand(f"{d2.unit}{label(f2)}", f2.value, f2.unit, f2)
    c = calc.difference(a, b, "万元") if not low else calc.difference(b, a, "万元")
    word = "最少" if low else "最多"
    text = (f"「{phrase}」{'从少到多' if low else '从多到少'}：{lines}。{note}{d1.unit}{word}，"
            f"与{d2.unit}相差{calc.format_amount(abs(c.result), c.unit)}（{c.expression}）。")
    return Reply(question, text, "answered", cites, c)
