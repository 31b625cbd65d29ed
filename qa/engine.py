"""qa.answer: scope → understand → find facts (or retrieve prose) → calculate → compose."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass, field, replace

from ingest.errors import QuestionError
from ingest.model import Document, Fact
from ingest.settings import Settings
from ingest.store import Store, VectorIndex
from qa import calc
from qa.calc import Calculation, CalculationError, Operand
from qa.changes import last_year, stated_change
from qa.compose import (
    MEASURE_WORDS_RE,
    label,
    measure_asked,
    measure_named,
    operand,
    source,
    stated_reply,
    strip_scope,
    unexplained,
)
from qa.extract import answering_passage
from qa.link import CJK, Link, LinkIndex, build_index, clean, sound
from qa.link import link as link_phrase
from qa.llm import Polisher, known_figures
from qa.match import Match, lcs, match_columns, match_prose, match_rows, norm, split_context
from qa.normalise import normalise
from qa.overview import ACROSS, compare_units, count_parts, rank_parts
from qa.reply import Citation, Reply
from qa.retrieve import HybridRetriever
from qa.scope import resolve_scope, slug_matches
from qa.understand import Intent, lookup_intent, understand

AMOUNT_MEASURES = ("金额", "数量", "价值", "比例")
QUOTED = re.compile(r"[“\"「『]([^”\"」』]+)[”\"」』]")
MONEY_WORDS = re.compile(r"钱|元|费|经费|资金|支出|收入|预算|决算|拨款|金额|花|开支")
MAX_QUESTION_CHARS = 500
HISTORY = 10  # turns a conversation remembers for follow-ups


@dataclass
class Conversation:
    doc_ids: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # the last turns' subject phrases
    operands: list[Operand] = field(default_factory=list)  # the last turns' figures
    row: str = ""  # the row that "这里面X呢" follow-ups ask other columns of
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


def _why(exc: CalculationError) -> str:
    """The calculator's reason, for a citizen."""
    text = str(exc)
    m = re.match(r"division by zero: (.+) is 0", text)
    if m:
        return f"作为分母的「{m.group(1)}」为0，比例或增幅没有意义。"
    if text.startswith("incompatible units"):
        return "两个数字的单位不同（例如金额与人数、百分比），不能这样相加减或相除。"
    return "这两个数字不能这样计算。"


def open_engine(settings: Settings) -> Engine:
    """The engine over the configured store, with the optional LLM if BUDGETQA_LLM names one."""
    from ingest import open_store
    from qa.llm import LLMPolisher, chat_model_from_setting

    model = chat_model_from_setting(settings.llm)
    store = open_store(settings)
    return Engine(store, store.vectors, LLMPolisher(model) if model is not None else None)


class Engine:
    """Everything a question needs, loaded once: documents, facts, chunks, indexes."""

    def __init__(self, store: Store, vectors: VectorIndex | None = None,
                 polisher: Polisher | None = None) -> None:
        self.store = store
        self.vectors = vectors
        self.polisher = polisher  # optional LLM rephrasing, figures guarded (qa.llm)
        self.reload()

    def reload(self) -> None:
        self.documents = self.store.documents()
        self.by_id = {d.doc_id: d for d in self.documents}
        facts = self.store.facts()
        self._known = known_figures(facts)
        self.table_facts = [f for f in facts if f.table != "正文"]
        self.prose_facts = [f for f in facts if f.table == "正文"]
        self._by_doc: dict[str, tuple[list[Fact], list[Fact]]] = {
            d.doc_id: ([f for f in self.table_facts if f.doc_id == d.doc_id],
                       [f for f in self.prose_facts if f.doc_id == d.doc_id])
            for d in self.documents}
        self.columns = {f.column for f in self.table_facts}
        self.retriever = HybridRetriever(self.store.chunks(), self.vectors)
        self._links: dict[str, LinkIndex] = {}
        self._linked: dict[tuple[int, str, bool | None, int], list[Link]] = {}
        self._row_names = sorted({clean(f.row) for f in self.table_facts})
        self._vocabulary = sound("|".join(self._row_names))

    def _link(self, phrase: str, index: LinkIndex, unit_is_rate: bool | None = None,
              slack: int = 0) -> list[Link]:
        """qa.link.link over a document's own index, remembered: one question links the same
        phrase several times."""
        if self._links.get(index.doc_id) is not index:  # an index made for one call: not remembered
            return link_phrase(phrase, index, unit_is_rate, slack=slack)
        key = (id(index), phrase, unit_is_rate, slack)
        if key not in self._linked:
            if len(self._linked) > 5000:
                self._linked.clear()
            self._linked[key] = link_phrase(phrase, index, unit_is_rate, slack=slack)
        return self._linked[key]

    def _names_elsewhere(self, phrase: str, index: LinkIndex, best: Link) -> bool:
        """Whether the phrase says, whole, the name of a row that other documents have and this
        one does not (and that the row found does not contain): then it asks for that row."""
        said = sound(clean(phrase))
        mine = index.names()
        return any(len(n) >= max(3, best.matched) and n not in mine and sound(n) in said
                   and sound(n) not in sound(best.name) for n in self._row_names)

    def _is_vocabulary(self, words: str) -> bool:
        """Words that are part of a row's name in some document (not a unit's name)."""
        words = clean(words)
        return len(words) >= 3 and sound(words) in self._vocabulary

    def facts_of(self, doc_id: str) -> tuple[list[Fact], list[Fact]]:
        """A document's table facts and prose facts."""
        return self._by_doc.get(doc_id, ([], []))

    def document_named(self, name: str) -> Document | None:
        """The document a caller names: its id, one of its files, or its short name."""
        if name in self.by_id:
            return self.by_id[name]
        by_file = [d for d in self.documents if name in self.store.files(d.doc_id)]
        fits = by_file or [d for d in self.documents if slug_matches(name, d)]
        return fits[0] if len(fits) == 1 else None

    def answer(self, question: str, conv: Conversation | None = None) -> Reply:
        conv = conv if conv is not None else Conversation()
        with conv.lock:  # two requests of one conversation take turns
            return self._answer(question, conv)

    def _answer(self, question: str, conv: Conversation) -> Reply:
        asked = question.strip()
        if not asked:
            raise QuestionError("问题不能为空")
        if len(asked) > MAX_QUESTION_CHARS:
            raise QuestionError(f"问题太长（{len(asked)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内")
        return replace(self._answer_normal(normalise(asked), conv), question=asked)

    def _answer_normal(self, question: str, conv: Conversation) -> Reply:
        if not self.documents:
            return Reply(question, "还没有收录任何预算公开文件，请先导入文件。", "not_found")
        scope = resolve_scope(question, self.documents, conv.doc_ids, self._is_vocabulary)
        if not scope.docs:
            return Reply(question, f"{scope.problem}，无法回答。", "not_found")
        if len(scope.docs) > 1 and (scope.several or ACROSS.search(question)):
            conv.doc_ids = [d.doc_id for d in scope.docs]
            return compare_units(self, question, list(scope.docs), conv)
        if len(scope.docs) > 1:
            names = tuple(d.title for d in scope.docs)
            return Reply(question, "您问的是哪一份文件？" + "；".join(names), "clarify",
                         candidates=names)
        doc = scope.docs[0]
        conv.doc_ids = [doc.doc_id]
        intent = understand(strip_scope(question, doc))
        reply = self._dispatch(question, intent, doc, conv)
        if self.polisher is not None and (reply.calculation is not None or any(c.table for c in reply.citations)):
            reply = self.polisher.polish(reply, self._known)  # figures only; prose stays verbatim
        del conv.subjects[:-HISTORY], conv.operands[:-HISTORY]  # a long chat stays small
        return reply

    def _dispatch(self, question: str, intent: Intent, doc: Document, conv: Conversation) -> Reply:
        tf, pf = self.facts_of(doc.doc_id)
        subjects = [s for s in intent.subjects if s] or conv.subjects[-1:]
        if conv.subjects:  # "它占…": the subject of the last turn
            subjects = [PRONOUN.sub(conv.subjects[-1], s) for s in subjects]
        asked = re.sub(r"\s+", "", question)
        if intent.op == "lookup" and subjects and conv.subjects and self._only_column(subjects[0]) \
                and (REFER.match(asked) or (conv.row and asked.endswith(("呢？", "呢", "呢?")))):
            conv.row = conv.row or conv.subjects[-1]
            subjects = [conv.row + "中" + subjects[0]]  # "这里面项目支出有多少": the last row, this column
        elif intent.op != "lookup" or not subjects or not self._only_column(subjects[0]):
            conv.row = ""
        if intent.op == "share" and intent.subjects and not intent.subjects[0] and conv.subjects:
            subjects = [conv.subjects[-1], *intent.subjects[1:]]  # "占基本支出多少": the last answer's share
        if intent.op == "text":
            if len(question) < 12 and conv.subjects and not match_rows(question, tf, self.columns):
                return self._text(conv.subjects[-1] + question, doc)  # "为什么少了这么多？"
            return self._text(question, doc)
        if intent.op == "rank":
            return rank_parts(self, question, intent, subjects, tf, doc, conv)
        if intent.op == "count":
            return count_parts(self, question, intent, subjects, tf, pf, doc, conv)
        try:
            if intent.op == "whatif":
                f = self.find(subjects[0], tf, pf, "万元") if subjects else None
                if f is None or intent.amount is None:
                    return self.not_found(question, subjects, doc)
                conv.subjects.append(subjects[0])
                return self.computed(question, calc.scale(operand(f), intent.amount), doc, conv, intent)
            if intent.op == "sum" and self.find(lookup_intent(strip_scope(question, doc)).subjects[0], tf, pf):
                intent = lookup_intent(strip_scope(question, doc))  # "商品和服务支出一共多少": one row's name
                subjects = list(intent.subjects)
            elif intent.op == "sum":
                subjects = self._parts(subjects, tf, pf)
                found = [self.operand(s, tf, pf) for s in subjects if s not in ("两者", "二者")]
                ops = [o for o in found if o is not None]
                if len(found) < 2:
                    ops = conv.operands[-2:]
                elif len(ops) < len(found):
                    return self.not_found(question, subjects, doc)
                if len(ops) < 2:
                    return self.not_found(question, subjects, doc)
                return self.computed(question, calc.total(ops), doc, conv, intent)
            if intent.op in ("share", "per_unit", "difference", "compare"):
                return self._two(question, intent, subjects, tf, pf, doc, conv)
            if intent.op == "change":
                return stated_change(self, question, intent, subjects or conv.subjects[-1:], pf, doc, conv)
            if intent.op == "previous":
                prior = self._prior_document(doc)
                if prior is not None and subjects:  # "那上一年呢": the unit's document of the year before
                    conv.doc_ids = [prior.doc_id]
                    ptf, ppf = self.facts_of(prior.doc_id)
                    return self._lookup(question, lookup_intent(subjects[0]), subjects, ptf, ppf, prior, conv)
                return last_year(self, question, subjects, pf, doc, conv)
            if intent.op == "completion":
                return self._completion(question, intent, subjects, tf, pf, doc, conv)
        except CalculationError as exc:
            return Reply(question, f"无法计算：{_why(exc)}", "not_found")
        return self._lookup(question, intent, subjects, tf, pf, doc, conv)

    def _prior_document(self, doc: Document) -> Document | None:
        """The same unit's document of the year before, of the same kind, when it is ingested."""
        if doc.year is None:
            return None
        return next((d for d in self.documents if d.unit == doc.unit and d.year == doc.year - 1
                     and d.kind == doc.kind), None)

    def _parts(self, parts: list[str], tf: list[Fact], pf: list[Fact]) -> list[str]:
        """The items of a sum as the document names them: pieces split at 和/与/、 joined again
        where only the joined piece is a row's name ("商品和服务支出")."""
        out: list[str] = []
        for part in parts:
            if out and self.find(out[-1], tf, pf) is None and self.find(out[-1] + "和" + part, tf, pf) is not None:
                out[-1] = out[-1] + "和" + part
            else:
                out.append(part)
        return out

    def _only_column(self, phrase: str) -> bool:
        """"这里面项目支出有多少": a column of the row the conversation is on."""
        text = re.sub(r"(有|是|为|安排了?|预算)$", "", REFER.sub("", re.sub(r"\s+", "", phrase)))
        return text in self.columns and text not in ("合计", "总计", "金额")

    # --- finding figures -------------------------------------------------------------
    def find(self, phrase: str, tf: list[Fact], pf: list[Fact],
              unit: str | None = None, asked: str = "") -> Fact | None:
        f = self._find_any(phrase, tf, pf, unit)
        doc = self.by_id.get(f.doc_id) if f is not None else None
        if f is not None and doc is not None and doc.kind == "决算" and "预算" in f.column \
                and "预算" not in phrase + asked:
            final = [g for g in tf if g.table == f.table and g.row == f.row and g.code == f.code
                     and "决算" in g.column]  # a 决算 document is asked for what was spent
            return final[0] if final else f
        return f

    def _find_any(self, phrase: str, tf: list[Fact], pf: list[Fact],
                  unit: str | None = None) -> Fact | None:
        if unit in (None, "元", "万元", "亿元", "money", "%"):
            index = self._index(tf, pf)
            slack = 1 if len(CJK.findall(phrase)) >= 8 else 0
            links = self._link(phrase, index, unit_is_rate=unit == "%", slack=slack)
            if unit != "%":  # a money question is never answered with a count ("购置车辆0辆")
                money = [x for x in links if x.fact.unit in calc.MONEY_UNITS]
                counts = [x for x in links if x.cover == 1 and unit is None and not MONEY_WORDS.search(phrase)]
                links = money or counts
            if links and links[0].cover < 1 and self._names_elsewhere(phrase, index, links[0]):
                return None  # "其他收入": a row other documents have, not a short form of this one's 其他非税收入
            if links and self._rivals(phrase, tf, pf, unit):
                return None  # named as well as another row with another figure: no guess
            return links[0].fact if links else None
        return self._find_loose(phrase, tf, pf, unit)

    def _index(self, tf: list[Fact], pf: list[Fact]) -> LinkIndex:
        """The document's rows and prose subjects grouped for linking, built once per document."""
        doc_id = (tf or pf)[0].doc_id if (tf or pf) else ""
        mine = self._by_doc.get(doc_id)
        if mine is None or mine[0] is not tf or mine[1] is not pf:
            return build_index(tf, pf, AMOUNT_MEASURES)
        if doc_id not in self._links:
            self._links[doc_id] = build_index(tf, pf, AMOUNT_MEASURES)
        return self._links[doc_id]

    def _find_loose(self, phrase: str, tf: list[Fact], pf: list[Fact],
                    unit: str | None = None) -> Fact | None:
        rows: list[Match] = []
        if unit in (None, "元", "万元", "亿元", "money", "%"):
            rows = match_rows(phrase, tf, self.columns)
            if not rows or rows[0].loose:  # "基本支出中公用经费": a column of the total row
                rows = match_columns(phrase, tf, self.columns) or rows
            rows = [m for m in rows if (m.fact.unit == "%") == (unit == "%")]  # a rate asked, a rate given
        prose = match_prose(phrase, pf, AMOUNT_MEASURES, unit, strict=True)
        if "价值" in phrase:
            prose = [p for p in prose if p[1].column == "价值"] or prose
        if rows and not rows[0].loose and (not prose or rows[0].score >= int(prose[0][0])):
            return rows[0].fact  # a table row named as well as the prose names it wins
        if prose:
            return prose[0][1]
        if rows:
            return rows[0].fact
        loose = match_prose(phrase, pf, AMOUNT_MEASURES, unit)
        return loose[0][1] if loose else None

    def operand(self, phrase: str, tf: list[Fact], pf: list[Fact]) -> Operand | None:
        f = self.find(phrase, tf, pf, "万元")
        if f is not None:
            return operand(f)
        parts = self._siblings(phrase, tf, pf)
        if not parts:
            return None
        c = calc.total([operand(g) for g in parts])
        said = " + ".join(f"{g.row} {calc.format_amount(g.value, g.unit)}" for g in parts)
        return Operand(f"{phrase}（{said}）", c.result, c.unit, parts[0])

    def _siblings(self, phrase: str, tf: list[Fact], pf: list[Fact]) -> list[Fact]:
        """Rows of one table, side by side and under one parent, that the phrase names alike by
        their first and last words (上级转移支付: 上级一般公共预算安排转移支付, 上级政府性基金
        安排转移支付 …): the phrase names their category, whose figure is their sum."""
        rivals = [f for f in self._rivals(phrase, tf, pf, None) if f.table != "正文"]
        if len(rivals) < 2 or len({(f.table, f.column, f.unit) for f in rivals}) > 1:
            return []
        if len({(f.code or "")[:-2] for f in rivals}) > 1:
            return []
        names = [clean(f.row) for f in rivals]
        head = os.path.commonprefix(names)
        tail = os.path.commonprefix([n[::-1] for n in names])[::-1]
        said = sound(clean(phrase))
        if len(head) < 2 or len(tail) < 2 or sound(head[:2]) not in said or sound(tail[-2:]) not in said:
            return []
        table, column = rivals[0].table, rivals[0].column
        return [f for f in tf if f.table == table and f.column == column and f.unit in calc.MONEY_UNITS
                and clean(f.row).startswith(head) and clean(f.row).endswith(tail)
                and len(clean(f.row)) > len(head + tail)]

    def _lookup(self, question: str, intent: Intent, subjects: list[str], tf: list[Fact],
                pf: list[Fact], doc: Document, conv: Conversation) -> Reply:
        phrase = subjects[0] if subjects else ""
        unit = "%" if intent.percent and intent.unit is None else intent.unit  # "百分之多少": a stated rate
        want = measure_asked(strip_scope(question, doc))
        plain = self.find(phrase, tf, pf, unit, question)
        rivals = self._rivals(phrase, tf, pf, unit) if plain is None and not want else []
        parts = self._siblings(phrase, tf, pf) if rivals else []
        if parts:  # a category said by the first and last words of its rows: their sum, with the parts
            c = calc.total([operand(g) for g in parts])
            conv.subjects.append(phrase)
            conv.operands.append(Operand(phrase, c.result, c.unit))
            return self.computed(question, c, doc, conv, intent, record=False)
        if rivals:  # two rows named equally well, with different figures: ask, do not guess
            names = tuple(dict.fromkeys(label(f) for f in rivals))
            return Reply(question, "您问的是哪一项？" + "；".join(names), "clarify", candidates=names)
        if plain is None and conv.subjects and conv.subjects[-1] not in phrase:
            # "换成元呢" / "年初预算呢": the last turn's subject, asked again another way
            again = self.find(conv.subjects[-1] + phrase, tf, pf, unit, question)
            if again is not None or want:
                phrase, plain = conv.subjects[-1] + phrase, again
        if want and plain is not None and MEASURE_WORDS_RE.sub("", clean(plain.row)) != clean(plain.row):
            want = ""  # "案件执行经费": the measure word is part of the row's name
        f = self._measured(phrase, want, tf, pf) if want else plain
        if f is None:
            return self.not_found(question, subjects, doc)
        missing = unexplained(phrase, f, doc.unit) if want else ""  # a linked row explains every word
        if missing:
            return Reply(question, f"{doc.title}没有单列「{missing}」的数字。文件披露的最接近的一项是"
                         f"「{label(f)}」{source(f)}，但它并不是「{missing}」。", "not_found", (self.cite(f),))
        said = re.sub(r"的?(决算|预算|年初预算|调整预算|全年预算|执行)数?$", "", phrase)  # "预算数呢" asks it again
        conv.subjects.append(f.row if f.row not in ("合计", "总计") else said)  # what was found, for follow-ups
        conv.operands.append(operand(f))
        others = [] if want else self._stated_elsewhere(f, phrase, tf, pf)
        also = ("另：" + "；".join(f"{g.table.split(' ', 1)[-1]}中「{label(g)}」为"
                                  f"{calc.format_amount(g.value, g.unit)}{source(g)}" for g in others)
                + "。两处口径不同（例如是否含项目支出），请按需要选用。") if others else ""
        cites = tuple(self.cite(g) for g in [f, *others])  # the document states the row twice: both
        if intent.unit and intent.unit != f.unit and intent.unit in calc.MONEY_UNITS \
                and f.unit in calc.MONEY_UNITS:
            c = calc.in_unit(operand(f), intent.unit)
            exact = calc.convert(f.value, f.unit, intent.unit).normalize()
            shown = calc.format_amount(c.result, c.unit)
            if exact != c.result:  # 2.28万元 is 0.0228亿元, which two decimals would hide
                shown = f"{exact:f}{intent.unit}（保留两位小数为{shown}）"
            text = f"{label(f)}为{calc.format_amount(f.value, f.unit)}，折合{shown}（{c.expression}）。{source(f)}"
            return Reply(question, text + also, "answered", cites, c)
        text = f"{label(f)}为{calc.format_amount(f.value, f.unit)}。{source(f)}"
        return Reply(question, text + also, "answered", cites)

    def _rivals(self, phrase: str, tf: list[Fact], pf: list[Fact], unit: str | None) -> list[Fact]:
        """The rows the phrase names as well as the best, under other names, with other figures
        (上级转移支付: 上级一般公共预算安排转移支付, 上级政府性基金安排转移支付 …)."""
        if unit not in (None, "元", "万元", "亿元", "money"):
            return []
        slack = 1 if len(CJK.findall(phrase)) >= 8 else 0
        links = [x for x in self._link(phrase, self._index(tf, pf), unit_is_rate=False, slack=slack)
                 if x.fact.unit in calc.MONEY_UNITS]
        if len(links) < 2 or links[0].cover == 1:
            return []
        best = links[0]
        tied = [x for x in links if x.key[:4] == best.key[:4] and x.matched == best.matched and x.name != best.name]
        values = {calc.convert(x.fact.value, x.fact.unit, "元") for x in [best, *tied]}
        return [best.fact, *(x.fact for x in tied)] if tied and len(values) > 1 else []

    def _stated_elsewhere(self, f: Fact, phrase: str, tf: list[Fact], pf: list[Fact]) -> list[Fact]:
        """The same row, named the same way, in other tables of the document with another figure."""
        links = self._link(phrase, self._index(tf, pf), unit_is_rate=f.unit == "%",
                     slack=1 if len(CJK.findall(phrase)) >= 8 else 0)
        top = next((x for x in links if (x.fact.table, x.fact.row, x.fact.code) == (f.table, f.row, f.code)), None)
        if top is None or f.unit not in calc.MONEY_UNITS:
            return []
        seen = {calc.convert(f.value, f.unit, "元")}
        out: list[Fact] = []
        for x in links:
            g = x.fact
            if g.table in (f.table, "正文") or x.name != top.name or x.cover < 1 or x.column_fit != top.column_fit \
                    or g.unit not in calc.MONEY_UNITS or ("决算" in f.column) != ("决算" in g.column):
                continue
            value = calc.convert(g.value, g.unit, "元")
            if value not in seen:
                seen.add(value)
                out.append(g)
        return out[:2]

    def _measured(self, phrase: str, want: str, tf: list[Fact], pf: list[Fact]) -> Fact | None:
        """A figure of the measure the question names (年初预算数, 执行数 …), or none: the
        table's 决算数 is no answer to "年初预算是多少"."""
        subject = re.sub(r"的?(年初|调整|全年)$", "", MEASURE_WORDS_RE.sub("", phrase))
        stated = link_phrase(subject, build_index([], pf, (want,)), unit_is_rate=False)
        if stated:
            return stated[0].fact
        for x in self._link(subject, self._index(tf, pf), unit_is_rate=False):
            f = x.fact
            same = [g for g in tf if (g.table, g.row, g.code) == (f.table, f.row, f.code) and (
                want[:-1] in g.column  # a 决算 table's 预算数 is the 年初预算
                or (want == "年初预算数" and g.column == "预算数" and "决算" in g.table))]
            if same:
                return same[0]
        return None

    def _two(self, question: str, intent: Intent, subjects: list[str], tf: list[Fact],
             pf: list[Fact], doc: Document, conv: Conversation) -> Reply:
        first = subjects[0] if subjects else ""
        second = subjects[1] if len(subjects) > 1 and subjects[1] else (
            conv.subjects[-1] if conv.subjects else "")
        if intent.op == "share":
            stated = self._stated_share(first, second, tf, pf)
            if stated is not None:
                return stated_reply(question, stated, self.cite(stated))
        a = self.operand(first, tf, pf)
        measure = measure_named(second)
        if intent.op == "per_unit":
            fb = self._count(second, pf)
        elif measure:  # "…的支出决算比年初预算少多少": the same subject's other measure
            hits = match_prose(first, pf, (measure,))
            fb = hits[0][1] if hits else None
        else:
            fb = self.find(second, tf, pf)
        b = operand(fb) if fb else None
        if a is None or b is None:
            return self.not_found(question, [first, second], doc)
        if intent.op == "share":
            c = calc.share(a, b)
        elif intent.op == "per_unit":
            c = calc.per_unit(a, b)
        elif intent.op == "compare":
            named = [(a, first), (b, second)]
            named.sort(key=lambda x: calc.convert(x[0].value, x[0].unit, "元"), reverse=True)
            (big, big_name), (small, small_name) = named
            c = calc.difference(big, small)
            conv.subjects.append(first)
            reply = self.computed(question, c, doc, conv, intent)
            lead = (f"{big_name}（{calc.format_amount(big.value, big.unit)}）比{small_name}"
                    f"（{calc.format_amount(small.value, small.unit)}）多{calc.format_amount(c.result, c.unit)}，"
                    f"{big_name if intent.more else small_name}{'更多' if intent.more else '更少'}。")
            return replace(reply, answer=lead + reply.answer)
        else:
            c = calc.difference(a, b) if intent.more else calc.difference(b, a)
            if c.result < 0:  # "A比B多多少" when A is the smaller: say so before the arithmetic
                conv.subjects.append(first)
                reply = self.computed(question, c, doc, conv, intent)
                lead = f"{first}比{second}{'少' if intent.more else '多'}{calc.format_amount(-c.result, c.unit)}。"
                return replace(reply, answer=lead + reply.answer)
        conv.subjects.append(first)
        return self.computed(question, c, doc, conv, intent)

    def _count(self, counted: str, pf: list[Fact]) -> Fact | None:
        """The count a per-unit figure divides by: "辆车" is a count in 辆 of 车 (车辆), "人" the
        staff (在职人员); the prose states counts."""
        m = re.match(r"^(辆|台|个|名|位|人|套|家|所|项|户)(.*)$", counted)
        unit, noun = (m.group(1), m.group(2)) if m else ("", counted)
        unit = "人" if unit in ("名", "位") else unit
        if re.search(r"(人数|人员|人|名)$", noun):
            unit, noun = "人", re.sub(r"(人数|人员|人|名)$", "", noun)
        counts = [f for f in pf if f.unit not in calc.MONEY_UNITS and f.unit != "%" and (not unit or f.unit == unit)]
        if not counts:
            return None
        if unit == "人" and not noun or noun in ("在职人员", "人员", "职工"):
            noun = "在职"
        index = build_index([], counts, tuple({f.column for f in counts}))
        found = link_phrase(noun, index) if noun else []
        if found:
            return found[0].fact
        named = [f for f in counts if unit and noun and all(ch in f.row for ch in noun)]
        return max(named, key=lambda f: f.value) if named else None  # 车辆 127辆 over its part 一般公务用车

    def _completion(self, question: str, intent: Intent, subjects: list[str], tf: list[Fact],
                    pf: list[Fact], doc: Document, conv: Conversation) -> Reply:
        """How much of its budget a subject spent: 决算数 over 预算数 of the same row, or of the
        same subject in the prose."""
        phrase = subjects[0] if subjects else ""
        pair = self._final_and_budget(phrase, tf, pf)
        if pair is None:
            return self.not_found(question, [f"{phrase}的决算数和预算数" if phrase else ""], doc)
        final, budget = pair
        conv.subjects.append(phrase)
        c = calc.share(operand(final), operand(budget))
        reply = self.computed(question, c, doc, conv, intent)
        return replace(reply, answer=f"{phrase}预算完成率为{calc.format_amount(c.result, c.unit)}（决算数÷预算数）。"
                       + reply.answer)

    def _final_and_budget(self, phrase: str, tf: list[Fact], pf: list[Fact]) -> tuple[Fact, Fact] | None:
        links = self._link(phrase, self._index(tf, pf), unit_is_rate=False) if phrase else []
        for x in links[:5]:
            f = x.fact
            same = [g for g in (tf if f.table != "正文" else pf) if g.row == f.row and g.code == f.code
                    and g.table == f.table and (f.table != "正文" or g.quote == f.quote)
                    and g.unit in calc.MONEY_UNITS]
            final = next((g for g in same if "决算" in g.column), None)
            budget = next((g for w in ("全年预算", "调整预算", "年初预算", "预算")
                           for g in same if w in g.column and "决算" not in g.column), None)
            if final is not None and budget is not None:
                return final, budget
        for _, f in match_prose(phrase, pf, ("决算数",), strict=True)[:3]:
            budget = next((g for g in pf if g.row == f.row and g.column in ("全年预算数", "调整预算数", "年初预算数")
                           and g.unit in calc.MONEY_UNITS), None)
            if budget is not None:
                return f, budget
        return None

    def _stated_share(self, part: str, whole: str, tf: list[Fact], pf: list[Fact]) -> Fact | None:
        """A share the prose states, used only where the stated base is the one asked for."""
        wf = self.find(whole, tf, pf) if whole else None
        for _, f in match_prose(part, pf, ("占比",))[:3]:
            amount = next((g for g in pf if g.quote == f.quote and g.row == f.row
                           and g.column == "金额"), None)
            if wf is None or amount is None:
                continue
            try:
                c = calc.share(operand(amount), operand(wf))
            except CalculationError:
                continue
            if c.result == f.value:
                return f
        return None

    def _text(self, question: str, doc: Document) -> Reply:
        """The sentences of the best passages that answer the question, quoted."""
        asked = strip_scope(question, doc)
        hits = self.retriever.search(asked, k=6, doc_ids=[doc.doc_id], kind="prose")
        stated = self._stated_change(asked, doc)
        if stated:  # "为什么X比上年下降": the passage where the prose states X's change
            hits = [c for c in self.retriever.chunks if c.doc_id == doc.doc_id and c.kind == "prose"
                    and stated in norm(c.text)][:1] + hits
        if not hits:
            return Reply(question, "文件中没有找到能回答这个问题的内容。", "not_found")
        quote, chunk = answering_passage(asked, hits, stated)
        named = [q for q in QUOTED.findall(asked) if len(q) >= 3]
        if named and not any(sound(norm(q)) in sound(norm(chunk.text)) for q in named):
            # "“省委办公厅承办的会议费”是…": a passage that never names it does not answer
            return Reply(question, f"文件的文字说明中没有找到关于「{named[0]}」的内容。", "not_found")
        cite = Citation(doc.doc_id, doc.title, chunk.page, None, quote)
        return Reply(question, f"{quote}（{doc.title}，第{chunk.page}页）", "answered", (cite,))

    def _stated_change(self, asked: str, doc: Document) -> str:
        """For "why did X rise/fall", the start of the sentence that states X's change."""
        why = re.search(r"为什么|为何|原因", asked)
        if not (why and re.search(r"增加|减少|增长|下降|上升|降低|变化|少了|多了", asked)):
            return ""
        bare = re.sub(r"为什么|为何|的原因|原因", "", asked)
        subject = re.split(r"比上年|较上年|比去年|比\d{4}|同比|有所|大幅|少了|多了", bare)[0]
        _, pf = self.facts_of(doc.doc_id)
        hits = match_prose(subject, pf, ("比上年增加", "比上年减少", "增长率", "下降率"), strict=True)
        if not hits or hits[0][0] < 3:
            return ""
        f = hits[0][1]
        return norm(f.quote)[:24]

    # --- replies -----------------------------------------------------------------------
    def computed(self, question: str, c: Calculation, doc: Document, conv: Conversation,
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
        return Reply(question, text, "answered", tuple(self.cite(f) for f in facts), c)

    def not_found(self, question: str, subjects: list[str], doc: Document) -> Reply:
        what = "、".join(s for s in subjects if s) or "这个问题"
        what = "您问的这一项" if re.search(r"\d", what) else what  # digits echoed would read as a figure
        near = self._nearest(subjects, doc)
        hint = f"文件披露的相近项目有：{'、'.join(near)}。" if near else ""
        return Reply(question, f"{doc.title}中没有找到「{what}」的数字，文件没有披露这一项。{hint}",
                     "not_found")

    def _nearest(self, subjects: list[str], doc: Document) -> list[str]:
        """Up to three row names of the document that share the most with the question (no figures)."""
        tf, _ = self.facts_of(doc.doc_id)
        words = [split_context(s)[1] for s in subjects if s]
        scored = {f.row: max((lcs(norm(w), norm(f.row)), lcs(norm(w), norm(f.row), by_sound=False)) for w in words)
                  for f in tf} if words else {}
        best = sorted((n for n, k in scored.items() if k[0] >= 2 and n not in ("合计", "总计")
                       and not re.search(r"\d", n)),  # a name with digits would read as a figure
                      key=lambda n: scored[n], reverse=True)
        return best[:3]

    def cite(self, f: Fact) -> Citation:
        doc = self.by_id.get(f.doc_id)
        table = None if f.table == "正文" else f.table
        return Citation(f.doc_id, doc.title if doc else "", f.page, table, f.quote)


PRONOUN = re.compile(r"^(它|其|这项|该项|这一项|这个|此项)(?=占|的|比|是|有|$)")
REFER = re.compile(r"^(这里面|这其中|其中|里面|这中间|它的|其)")
