"""Figures about last year: the change the prose states, and last year's figure, printed
in a 上年 column or derived as this year's less the stated change (through qa.calc)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ingest.model import Document, Fact
from qa import calc
from qa.calc import Operand
from qa.compose import label, operand, source
from qa.match import match_prose, match_rows
from qa.reply import Reply
from qa.understand import Intent

if TYPE_CHECKING:
    from qa.engine import Conversation, Engine


def stated_change(engine: Engine, question: str, intent: Intent, subjects: list[str], pf: list[Fact],
                  doc: Document, conv: Conversation) -> Reply:
    """The change on last year the prose states for the subject (amount, and rate beside it)."""
    phrase = subjects[0] if subjects else ""
    measures = ("增长率", "下降率") if intent.percent else ("比上年增加", "比上年减少")
    unit = "%" if intent.percent else None
    hits = match_prose(phrase, pf, measures, unit)
    if not intent.percent:
        hits = [h for h in hits if h[1].unit in calc.MONEY_UNITS] or hits
    if not hits:
        return engine.not_found(question, [f"{s}比上年的变化" for s in subjects if s] or subjects, doc)
    f = hits[0][1]
    conv.subjects.append(phrase)
    rate = next((g for g in pf if g.quote == f.quote and g.row == f.row
                 and g.column in ("增长率", "下降率")), None)
    extra = ""
    if rate is not None and not intent.percent:
        extra = f"，{rate.column[:2]}{calc.format_amount(rate.value, rate.unit)}"
    text = f"{f.row}{f.column}{calc.format_amount(f.value, f.unit)}{extra}。{source(f)}"
    return Reply(question, text, "answered", (engine.cite(f),))


def last_year(engine: Engine, question: str, subjects: list[str], pf: list[Fact], doc: Document,
              conv: Conversation) -> Reply:
    """Last year's figure: printed in a 上年 column, or this year's less the stated change."""
    phrase = subjects[0] if subjects else ""
    tf, _ = engine.facts_of(doc.doc_id)
    rows = [m for m in match_rows(phrase, tf, engine.columns) if "上年" in m.fact.column and not m.loose]
    if rows:  # a table that prints last year's figure beside this year's
        f = rows[0].fact
        conv.subjects.append(f.row)
        return Reply(question, f"{label(f)}为{calc.format_amount(f.value, f.unit)}。{source(f)}", "answered",
                     (engine.cite(f),))
    hits = match_prose(phrase, pf, ("比上年增加", "比上年减少"))
    hits = [h for h in hits if h[1].unit in calc.MONEY_UNITS]
    for _, delta in hits:
        current = next((g for g in pf if g.quote == delta.quote and g.row == delta.row
                        and g.column == "金额"), None)
        if current is None:
            continue
        sign = -1 if delta.column == "比上年减少" else 1
        d = Operand(f"{delta.row}{delta.column}", delta.value * sign, delta.unit, delta)
        c = calc.previous_from_change(operand(current), d)
        conv.subjects.append(phrase)
        return engine.computed(question, c, doc, conv, Intent("previous", (phrase,), None))
    return engine.not_found(question, subjects, doc)
