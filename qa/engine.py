"""qa.answer: scope → understand → find facts (or retrieve prose) → calculate → compose."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.errors import QuestionError
from ingest.model import Document, Fact
from ingest.store import Store, VectorIndex
from qa import calc
from qa.calc import Calculation, CalculationError, Operand
from qa.match import match_columns, match_prose, match_rows
from qa.reply import Citation, Reply
from qa.retrieve import HybridRetriever
from qa.scope import resolve_scope
from qa.understand import Intent, understand

AMOUNT_MEASURES = ("金额", "数量", "价值", "比例")
MAX_QUESTION_CHARS = 500
HISTORY = 10  # turns a conversation remembers for follow-ups


@dataclass
class Conversation:
    doc_ids: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # the last turns' subject phrases
    operands: list[Operand] = field(default_factory=list)  # the last turns' figures


class Engine:
    """Everything a question needs, loaded once: documents, facts, chunks, indexes."""

    def __init__(self, store: Store, vectors: VectorIndex | None = None) -> None:
        self.store = store
        self.vectors = vectors
        self.reload()

    def reload(self) -> None:
        self.documents = self.store.documents()
        self.by_id = {d.doc_id: d for d in self.documents}
        facts = self.store.facts()
        self.table_facts = [f for f in facts if f.table != "正文"]
        self.prose_facts = [f for f in facts if f.table == "正文"]
        self._by_doc: dict[str, tuple[list[Fact], list[Fact]]] = {
            d.doc_id: ([f for f in self.table_facts if f.doc_id == d.doc_id],
                       [f for f in self.prose_facts if f.doc_id == d.doc_id])
            for d in self.documents}
        self.columns = {f.column for f in self.table_facts}
        self.retriever = HybridRetriever(self.store.chunks(), self.vectors)

    def answer(self, question: str, conv: Conversation | None = None) -> Reply:
        conv = conv if conv is not None else Conversation()
        question = question.strip()
        if not question:
            raise QuestionError("问题不能为空")
        if len(question) > MAX_QUESTION_CHARS:
            raise QuestionError(f"问题太长（{len(question)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内")
        if not self.documents:
            return Reply(question, "还没有收录任何预算公开文件，请先导入文件。", "not_found")
        scope = resolve_scope(question, self.documents, conv.doc_ids)
        if not scope.docs:
            return Reply(question, f"{scope.problem}，无法回答。", "not_found")
        if len(scope.docs) > 1:
            names = tuple(d.title for d in scope.docs)
            return Reply(question, "您问的是哪一份文件？" + "；".join(names), "clarify",
                         candidates=names)
        doc = scope.docs[0]
        conv.doc_ids = [doc.doc_id]
        intent = understand(_strip_scope(question, doc))
        reply = self._dispatch(question, intent, doc, conv)
        del conv.subjects[:-HISTORY], conv.operands[:-HISTORY]  # a long chat stays small
        return reply

    def _dispatch(self, question: str, intent: Intent, doc: Document, conv: Conversation) -> Reply:
        tf, pf = self._by_doc.get(doc.doc_id, ([], []))
        subjects = [s for s in intent.subjects if s] or conv.subjects[-1:]
        if intent.op == "text":
            return self._text(question, doc)
        try:
            if intent.op == "sum":
                found = [self._operand(s, tf, pf) for s in subjects if s not in ("两者", "二者")]
                ops = [o for o in found if o is not None]
                if len(found) < 2:
                    ops = conv.operands[-2:]
                elif len(ops) < len(found):
                    return self._not_found(question, subjects, doc)
                if len(ops) < 2:
                    return self._not_found(question, subjects, doc)
                return self._computed(question, calc.total(ops), doc, conv, intent)
            if intent.op in ("share", "per_unit", "difference"):
                return self._two(question, intent, subjects, tf, pf, doc, conv)
            if intent.op == "change":
                return self._change(question, intent, subjects or conv.subjects[-1:], pf, doc,
                                    conv)
            if intent.op == "previous":
                return self._previous(question, subjects, pf, doc, conv)
        except CalculationError as exc:
            return Reply(question, f"无法计算：{exc}", "not_found")
        return self._lookup(question, intent, subjects, tf, pf, doc, conv)

    # --- finding figures -------------------------------------------------------------
    def _find(self, phrase: str, tf: list[Fact], pf: list[Fact],
              unit: str | None = None) -> Fact | None:
        if unit in (None, "元", "万元", "亿元"):
            rows = match_rows(phrase, tf, self.columns) or match_columns(phrase, tf, self.columns)
            if rows:
                return rows[0].fact
        prose = match_prose(phrase, pf, AMOUNT_MEASURES, unit)
        if "价值" in phrase:
            prose = [p for p in prose if p[1].column == "价值"] or prose
        return prose[0][1] if prose else None

    def _operand(self, phrase: str, tf: list[Fact], pf: list[Fact]) -> Operand | None:
        f = self._find(phrase, tf, pf, "万元")
        return _operand(f) if f else None

    def _lookup(self, question: str, intent: Intent, subjects: list[str], tf: list[Fact],
                pf: list[Fact], doc: Document, conv: Conversation) -> Reply:
        phrase = subjects[0] if subjects else ""
        f = self._find(phrase, tf, pf, intent.unit)
        if f is None:
            return self._not_found(question, subjects, doc)
        conv.subjects.append(phrase)
        conv.operands.append(_operand(f))
        if intent.unit and intent.unit != f.unit and intent.unit in calc.MONEY_UNITS \
                and f.unit in calc.MONEY_UNITS:
            c = calc.in_unit(_operand(f), intent.unit)
            return self._computed(question, c, doc, conv, intent, record=False)
        label = _label(f)
        text = f"{label}为{calc.format_amount(f.value, f.unit)}。{_source(f)}"
        return Reply(question, text, "answered", (self._cite(f),))

    def _two(self, question: str, intent: Intent, subjects: list[str], tf: list[Fact],
             pf: list[Fact], doc: Document, conv: Conversation) -> Reply:
        first = subjects[0] if subjects else ""
        second = subjects[1] if len(subjects) > 1 and subjects[1] else (
            conv.subjects[-1] if conv.subjects else "")
        if intent.op == "share":
            stated = self._stated_share(first, second, tf, pf)
            if stated is not None:
                return stated_reply(question, stated, self._cite(stated))
        a = self._operand(first, tf, pf)
        unit = "人" if intent.op == "per_unit" else None
        fb = self._find(second, tf, pf, unit)
        b = _operand(fb) if fb else None
        if a is None or b is None:
            return self._not_found(question, [first, second], doc)
        if intent.op == "share":
            c = calc.share(a, b)
        elif intent.op == "per_unit":
            c = calc.per_unit(a, b)
        else:
            c = calc.difference(a, b) if intent.more else calc.difference(b, a)
        conv.subjects.append(first)
        return self._computed(question, c, doc, conv, intent)

    def _stated_share(self, part: str, whole: str, tf: list[Fact], pf: list[Fact]) -> Fact | None:
        """A share the prose states, used only where the stated base is the one asked for."""
        wf = self._find(whole, tf, pf) if whole else None
        for _, f in match_prose(part, pf, ("占比",))[:3]:
            amount = next((g for g in pf if g.quote == f.quote and g.row == f.row
                           and g.column == "金额"), None)
            if wf is None or amount is None:
                continue
            try:
                c = calc.share(_operand(amount), _operand(wf))
            except CalculationError:
                continue
            if c.result == f.value:
                return f
        return None

    def _change(self, question: str, intent: Intent, subjects: list[str], pf: list[Fact],
                doc: Document, conv: Conversation) -> Reply:
        phrase = subjects[0] if subjects else ""
        measures = ("增长率", "下降率") if intent.percent else ("比上年增加", "比上年减少")
        unit = "%" if intent.percent else None
        hits = match_prose(phrase, pf, measures, unit)
        if not intent.percent:
            hits = [h for h in hits if h[1].unit in calc.MONEY_UNITS] or hits
        if not hits:
            return self._not_found(question, subjects, doc)
        f = hits[0][1]
        conv.subjects.append(phrase)
        rate = next((g for g in pf if g.quote == f.quote and g.row == f.row
                     and g.column in ("增长率", "下降率")), None)
        extra = ""
        if rate is not None and not intent.percent:
            extra = f"，{rate.column[:2]}{calc.format_amount(rate.value, rate.unit)}"
        text = f"{f.row}{f.column}{calc.format_amount(f.value, f.unit)}{extra}。{_source(f)}"
        return Reply(question, text, "answered", (self._cite(f),))

    def _previous(self, question: str, subjects: list[str], pf: list[Fact], doc: Document,
                  conv: Conversation) -> Reply:
        phrase = subjects[0] if subjects else ""
        hits = match_prose(phrase, pf, ("比上年增加", "比上年减少"))
        hits = [h for h in hits if h[1].unit in calc.MONEY_UNITS]
        for _, delta in hits:
            current = next((g for g in pf if g.quote == delta.quote and g.row == delta.row
                            and g.column == "金额"), None)
            if current is None:
                continue
            sign = -1 if delta.column == "比上年减少" else 1
            d = Operand(f"{delta.row}{delta.column}", delta.value * sign, delta.unit, delta)
            c = calc.previous_from_change(_operand(current), d)
            conv.subjects.append(phrase)
            return self._computed(question, c, doc, conv, Intent("previous", (phrase,), None))
        return self._not_found(question, subjects, doc)

    def _text(self, question: str, doc: Document) -> Reply:
        hits = self.retriever.search(question, k=3, doc_ids=[doc.doc_id], kind="prose")
        if not hits:
            return Reply(question, "文件中没有找到能回答这个问题的内容。", "not_found")
        best = hits[0]
        cite = Citation(doc.doc_id, doc.title, best.page, None, best.text[:200])
        return Reply(question, f"{best.text}（{doc.title}，第{best.page}页）", "answered", (cite,))

    # --- replies -----------------------------------------------------------------------
    def _computed(self, question: str, c: Calculation, doc: Document, conv: Conversation,
                  intent: Intent, record: bool = True) -> Reply:
        result = calc.format_amount(c.result, c.unit)
        if intent.unit and c.unit in calc.MONEY_UNITS and intent.unit in calc.MONEY_UNITS \
                and intent.unit != c.unit:
            c = calc.in_unit(Operand("结果", c.result, c.unit), intent.unit)
            result = calc.format_amount(c.result, c.unit)
        parts = "；".join(f"{o.label} {calc.format_amount(o.value, o.unit)}" for o in c.operands)
        text = f"计算结果为{result}（{c.expression}）。依据：{parts}。"
        facts = tuple(o.citation for o in c.operands if isinstance(o.citation, Fact))
        if record:
            conv.operands.append(Operand("计算结果", c.result, c.unit))
        return Reply(question, text, "answered", tuple(self._cite(f) for f in facts), c)

    def _not_found(self, question: str, subjects: list[str], doc: Document) -> Reply:
        what = "、".join(s for s in subjects if s) or "这个问题"
        return Reply(question, f"{doc.title}中没有找到「{what}」的数字，文件没有披露这一项。",
                     "not_found")

    def _cite(self, f: Fact) -> Citation:
        doc = self.by_id.get(f.doc_id)
        table = None if f.table == "正文" else f.table
        return Citation(f.doc_id, doc.title if doc else "", f.page, table, f.quote)


def stated_reply(question: str, f: Fact, cite: Citation) -> Reply:
    text = f"{f.row}占比{calc.format_amount(f.value, f.unit)}（文件原文）。{_source(f)}"
    return Reply(question, text, "answered", (cite,))


def _operand(f: Fact) -> Operand:
    return Operand(_label(f), f.value, f.unit, f)


def _label(f: Fact) -> str:
    if f.table == "正文":
        return f.row if f.column in ("金额", "数量") else f"{f.row}{f.column}"
    row = f.row if f.row not in ("合计", "总计") else f"{f.table.split(' ', 1)[-1]}合计"
    return row if f.column in ("合计", "总计", "预算数", "金额") else f"{row}（{f.column}）"


def _source(f: Fact) -> str:
    where = "正文" if f.table == "正文" else f.table
    code = f"，科目{f.code}" if f.code else ""
    page = f"，第{f.page}页" if f.page else ""
    return f"（来源：{where}{code}{page}）"


def _strip_scope(question: str, doc: Document) -> str:
    q = re.sub(r"\s+", "", question)
    q = q.replace(doc.unit, "")
    return re.sub(r"(20\d\d)年度?", "", q) if doc.year and str(doc.year) in q else q
