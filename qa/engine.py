"""qa.answer: scope → understand → find facts (or retrieve prose) → calculate → compose."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import jieba

from ingest.errors import QuestionError
from ingest.model import Document, Fact
from ingest.settings import Settings
from ingest.store import Store, VectorIndex
from qa import calc
from qa.arith import Arithmetic
from qa.calc import CalculationError, Operand
from qa.changes import last_year, stated_change
from qa.choose import Chooser
from qa.compose import (
    MEASURE_WORDS_RE,
    label,
    measure_asked,
    operand,
    source,
    strip_scope,
    unexplained,
)
from qa.extract import answering_passage
from qa.gazetteer import Gazetteer
from qa.link import Link, LinkIndex, clean, sound
from qa.llm import Polisher
from qa.match import lcs, match_prose, match_rows, norm, split_context
from qa.normalise import normalise
from qa.overview import ACROSS, compare_units, count_parts, rank_parts
from qa.reply import Citation, Reply
from qa.retrieve import HybridRetriever
from qa.scope import resolve_scope, slug_matches
from qa.shelf import DocumentShelf
from qa.understand import Intent, lookup_intent, understand

QUOTED = re.compile(r"[“\"「『]([^”\"」』]+)[”\"」』]")
MAX_QUESTION_CHARS = 500
HISTORY = 10  # turns a conversation remembers for follow-ups
DOCS_IN_MEMORY = 256  # documents whose facts and indexes stay loaded (about 0.5 MB each)
CLARIFY_LISTED = 12  # documents a clarifying question names in its text
MAX_CANDIDATES = 50  # and offers as choices


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
    from qa.choose import LLMChooser
    from qa.llm import LLMPolisher, chat_model_from_setting

    model = chat_model_from_setting(settings.llm)
    store = open_store(settings)
    if store.vectors is not None:
        from ingest.embedding import use_threads

        use_threads(settings.query_threads)
        store.vectors.search("预算", 1, None)  # the model's first pass is slow: not a citizen's wait
    engine = Engine(store, store.vectors) if model is None else \
        Engine(store, store.vectors, LLMPolisher(model), LLMChooser(model))
    engine.docs_in_memory = settings.docs_in_memory
    return engine


class Engine(Arithmetic, DocumentShelf):
    """Everything a question needs, loaded once: documents, facts, chunks, indexes."""

    def __init__(self, store: Store, vectors: VectorIndex | None = None,
                 polisher: Polisher | None = None, chooser: Chooser | None = None) -> None:
        self.store = store
        self.vectors = vectors
        self.polisher = polisher  # optional LLM rephrasing, figures guarded (qa.llm)
        self.chooser = chooser  # optional LLM choosing a row where the engine abstains (qa.choose)
        self.docs_in_memory = DOCS_IN_MEMORY
        self.read_lock = threading.RLock()  # the store's connection serves one reader at a time
        jieba.initialize()  # its dictionary loads once per process, at start rather than at a first question
        self._cache_lock = threading.Lock()
        self.reload()

    def reload(self) -> None:
        """What every question needs, read at start: the documents and the corpus's row and
        column names. A document's facts, link index and passages are read when a question is
        about it, and the most recently used stay in memory (`docs_in_memory`), so start and
        memory do not grow with the facts of a thousand documents."""
        with self.read_lock:
            self.documents = self.store.documents()
            row_names, columns = self.store.row_names(), self.store.column_names()
        self.by_id = {d.doc_id: d for d in self.documents}
        self.gazetteer = Gazetteer(self.documents)
        self.columns = set(columns)
        self._by_doc: OrderedDict[str, tuple[list[Fact], list[Fact]]] = OrderedDict()
        self._links: dict[str, LinkIndex] = {}
        self._retrievers: dict[str, HybridRetriever] = {}
        self._linked: dict[tuple[int, str, bool | None, int], list[Link]] = {}
        self._row_names = sorted({clean(n) for n in row_names})
        self._vocabulary = sound("|".join(self._row_names))

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
        scope = resolve_scope(question, self.documents, conv.doc_ids, self._is_vocabulary, self.gazetteer)
        if not scope.docs:
            return Reply(question, f"{scope.problem}，无法回答。", "not_found")
        if len(scope.docs) > 1 and (scope.several or ACROSS.search(question)):
            conv.doc_ids = [d.doc_id for d in scope.docs]
            return compare_units(self, question, list(scope.docs), conv)
        if len(scope.docs) > 1:
            names = tuple(d.title for d in scope.docs)
            listed = "；".join(names[:CLARIFY_LISTED]) + (
                f"等 {len(names)} 份文件。请说出单位名称和年度" if len(names) > CLARIFY_LISTED else "")
            return Reply(question, "您问的是哪一份文件？" + listed, "clarify", candidates=names[:MAX_CANDIDATES])
        doc = scope.docs[0]
        conv.doc_ids = [doc.doc_id]
        intent = understand(strip_scope(question, doc))
        reply = self._dispatch(question, intent, doc, conv)
        if self.polisher is not None and (reply.calculation is not None or any(c.table for c in reply.citations)):
            reply = self.polisher.polish(reply, self.known(reply))  # figures only; prose stays verbatim
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
        if intent.op == "share":
            said = [PRONOUN.sub(conv.subjects[-1], x) if conv.subjects else x for x in intent.subjects]
            shared = self._share_of(said, conv, bool(REFER.match(re.sub(r"\s+", "", question))))
            if shared is None:
                return Reply(question, "您想算哪一项占哪一项的比例？请说出两项，例如「人员经费占基本支出的比例」。",
                             "clarify")
            subjects = shared
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
            if intent.op == "difference" and intent.subjects == ("两者",):
                if len(conv.operands) < 2:
                    return Reply(question, "请先问两个数字，再问它们相差多少。", "clarify")
                big, small = sorted(conv.operands[-2:], key=lambda o: calc.convert(o.value, o.unit, "元"),
                                    reverse=True)
                return self.computed(question, calc.difference(big, small), doc, conv, intent)
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

    def _chosen(self, question: str, names: list[str], tf: list[Fact], pf: list[Fact]) -> tuple[str, Fact] | None:
        """The row the optional chooser (an LLM) says the question means, among the document's own
        names, found again like any phrase; None without a chooser or a grounded choice."""
        if self.chooser is None or not names:
            return None
        picked = self.chooser.choose(question, list(dict.fromkeys(names)))
        found = self.find(picked, tf, pf) if picked else None
        return (picked, found) if picked and found is not None else None

    @staticmethod
    def _share_of(said: list[str], conv: Conversation, within: bool) -> list[str] | None:
        """The part and the whole of a share: as said; the last answer when the part is
        "其中X" (`within`); or from the conversation where the part was asked as a part of the
        whole ("基本支出合计" → "其中人员经费呢" → "占多少"). A whole nobody said is not guessed."""
        part, whole = (list(said) + ["", ""])[:2]
        history = [s for s in conv.subjects if s]
        if part and not whole and within and history:
            return [part, history[-1]]
        if not part and history:
            part = history[-1]  # "占基本支出多少": the last answer's share
        if not whole:
            inner = re.match(r"(.+?)中(.+)$", part) or (
                re.match(rf"(.+?)中{re.escape(part)}$", history[-1]) if history and part else None)
            if inner:
                whole, part = inner.group(1), inner.group(2)
        return [part, whole] if part and whole else None

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
            chosen = self._chosen(question, [f.row for f in rivals], tf, pf)
            if chosen is None:
                return Reply(question, "您问的是哪一项？" + "；".join(names), "clarify", candidates=names)
            phrase, plain = chosen
        if plain is None and conv.subjects and conv.subjects[-1] not in phrase:
            # "换成元呢" / "年初预算呢": the last turn's subject, asked again another way
            again = self.find(conv.subjects[-1] + phrase, tf, pf, unit, question)
            if again is not None or want:
                phrase, plain = conv.subjects[-1] + phrase, again
        if want and plain is not None and MEASURE_WORDS_RE.sub("", clean(plain.row)) != clean(plain.row):
            want = ""  # "案件执行经费": the measure word is part of the row's name
        f = self._measured(phrase, want, tf, pf) if want else plain
        if f is None and not want:
            rows = [g.row for g in tf if not re.search(r"\d", g.row) and g.row not in ("合计", "总计")]
            known = list(dict.fromkeys(self._nearest(subjects, doc, 8) + rows))
            chosen = self._chosen(question, known[:80], tf, pf)
            if chosen is not None:
                phrase, f = chosen
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

    def _text(self, question: str, doc: Document) -> Reply:
        """The sentences of the best passages that answer the question, quoted."""
        asked = strip_scope(question, doc)
        retriever = self.retriever(doc.doc_id)
        hits = retriever.search(asked, k=6, doc_ids=[doc.doc_id], kind="prose")
        stated = self._stated_change(asked, doc)
        if stated:  # "为什么X比上年下降": the passage where the prose states X's change
            hits = [c for c in retriever.chunks if c.kind == "prose"
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
    def not_found(self, question: str, subjects: list[str], doc: Document) -> Reply:
        what = "、".join(s for s in subjects if s) or "这个问题"
        what = "您问的这一项" if re.search(r"\d", what) else what  # digits echoed would read as a figure
        near = self._nearest(subjects, doc)
        hint = f"文件披露的相近项目有：{'、'.join(near)}。" if near else ""
        return Reply(question, f"{doc.title}中没有找到「{what}」的数字，文件没有披露这一项。{hint}",
                     "not_found")

    def _nearest(self, subjects: list[str], doc: Document, count: int = 3) -> list[str]:
        """Up to `count` row names of the document that share the most with the question (no figures)."""
        tf, _ = self.facts_of(doc.doc_id)
        words = [split_context(s)[1] for s in subjects if s]
        scored = {f.row: max((lcs(norm(w), norm(f.row)), lcs(norm(w), norm(f.row), by_sound=False)) for w in words)
                  for f in tf} if words else {}
        best = sorted((n for n, k in scored.items() if k[0] >= 2 and n not in ("合计", "总计")
                       and not re.search(r"\d", n)),  # a name with digits would read as a figure
                      key=lambda n: scored[n], reverse=True)
        return best[:count]

    def cite(self, f: Fact) -> Citation:
        doc = self.by_id.get(f.doc_id)
        table = None if f.table == "正文" else f.table
        return Citation(f.doc_id, doc.title if doc else "", f.page, table, f.quote)


PRONOUN = re.compile(r"^(它|其|这项|该项|这一项|这个|此项)(?=占|的|比|是|有|$)")
REFER = re.compile(r"^(这里面|这其中|其中|里面|这中间|它的|其)")
