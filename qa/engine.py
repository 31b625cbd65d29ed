"""qa.answer as a straight line: normalise → scope → link → read → interpret → execute → compose.
The engine holds what every question needs (documents, units, the corpus's row names) and the
documents in memory (qa.shelf); each stage is a function of the previous stage's value."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field, replace

import jieba

from ingest.errors import BudgetQAError, EmbeddingServiceError, QuestionError
from ingest.model import Document
from ingest.settings import Settings
from ingest.store import Store, VectorIndex
from qa.choose import Chooser
from qa.compose import compose
from qa.cues import asks_across
from qa.execute import run
from qa.interpret import Context, interpret
from qa.library import Library, Result, label, operand
from qa.link import link_meaning, link_rows, link_words
from qa.llm import Polisher, known_figures
from qa.normalise import Question, normalise
from qa.read import Reading, read
from qa.reply import Reply
from qa.scope import Scope, resolve
from qa.shelf import DOCS_IN_MEMORY, Shelf
from qa.sound import sound, stretches
from qa.units import Units, slug_matches
from qa.value import Interpretation, Item, Turn
from qa.vocabulary import PIECE_SOUNDS, Vocabulary, clean, yearless

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 500
HISTORY = 10  # turns a conversation remembers for follow-ups
CLARIFY_LISTED = 12  # documents a clarifying question names in its text
MAX_CANDIDATES = 50  # and offers as choices
PER_DOCUMENT = 20  # documents whose vocabularies a question across documents reads whole
SAME_UNIT_LISTED = 4  # a unit's documents answered side by side when the question names no year


@dataclass
class Conversation:
    doc_ids: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)  # the last answered turns, oldest first
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)


def open_engine(settings: Settings) -> Engine:
    """The engine over the configured store, with the optional LLM if BUDGETQA_LLM names one."""
    from ingest import open_store
    from qa.choose import LLMChooser
    from qa.llm import LLMPolisher, chat_model_from_setting

    model = chat_model_from_setting(settings.llm)
    store = open_store(settings)
    if store.vectors is not None:
        if not settings.embed_socket:  # the service sets its own threads; torch is not loaded here
            from ingest.embedding import use_threads

            use_threads(settings.query_threads)
        try:
            store.vectors.search("预算", 1, None)  # the model's first pass is slow: not a citizen's wait
        except EmbeddingServiceError as exc:  # figures are answered meanwhile
            log.warning("%s", exc)
    engine = Engine(store, store.vectors) if model is None else \
        Engine(store, store.vectors, LLMPolisher(model), LLMChooser(model))
    engine.docs_in_memory = settings.docs_in_memory
    return engine


class Engine:
    def __init__(self, store: Store, vectors: VectorIndex | None = None, polisher: Polisher | None = None,
                 chooser: Chooser | None = None, taught: list[tuple[str, str, str]] | None = None) -> None:
        self.store = store
        self.vectors = vectors
        self.polisher = polisher  # optional LLM rephrasing, figures guarded (qa.llm)
        self.chooser = chooser  # optional LLM choosing among grounded readings where the engine abstains
        self.taught_override = taught
        self.docs_in_memory = DOCS_IN_MEMORY
        self.read_lock = threading.RLock()
        jieba.initialize()  # its dictionary loads once per process, at start rather than at a first question
        self.reload()

    def reload(self) -> None:
        """What every question needs, read at start: the documents, their units and the corpus's
        row names. A document's facts and vocabulary are read when a question is about it."""
        with self.read_lock:
            self.documents = self.store.documents()
            row_names = self.store.dated_row_names()
            taught = self.taught_override if self.taught_override is not None else _taught(self.store)
        self.by_id = {d.doc_id: d for d in self.documents}
        self.units = Units(self.documents, [(s, m) for s, m, k in taught if k == "unit"])
        # a row printed with its own document's year (2024年机关运行经费) is that year's row, said
        # with the year as the document's; one printed with another year keeps it (2023年…改革成本资金)
        names = {yearless(clean(n)) for n, _ in row_names} | {
            clean(n) for n, year in row_names if not (year and clean(n).startswith(f"{year}年"))}
        self.corpus = frozenset(sound(n) for n in names if len(n) >= 4)
        self.corpus_text = "|".join(sorted(sound(n) for n in names))
        self.corpus_pieces = stretches({sound(n) for n in names}, 5, PIECE_SOUNDS[1])
        self.shelf = Shelf(self.store, self.vectors, self.by_id, [(s, m) for s, m, k in taught if k == "item"],
                           self.read_lock, self.docs_in_memory)
        self.library = Library(self.by_id, self.shelf.vocabulary, self.shelf.passages, self.shelf.prose,
                               self.shelf.rows)

    @property
    def docs_in_memory(self) -> int:
        return self._docs_in_memory

    @docs_in_memory.setter
    def docs_in_memory(self, n: int) -> None:
        self._docs_in_memory = n
        if hasattr(self, "shelf"):
            self.shelf.size = n

    def facts_of(self, doc_id: str) -> tuple[list, list]:
        facts = self.shelf.facts(doc_id)
        return [f for f in facts if f.table != "正文"], [f for f in facts if f.table == "正文"]

    def fact_count(self) -> int:
        with self.read_lock:
            return sum(self.store.fact_counts().values())

    def document_named(self, name: str) -> Document | None:
        """The document a caller names: its id, one of its files, or its short name."""
        if name in self.by_id:
            return self.by_id[name]
        by_file = [d for d in self.documents if name in self.store.files(d.doc_id)]
        fits = by_file or [d for d in self.documents if slug_matches(name, d)]
        return fits[0] if len(fits) == 1 else None

    def answer(self, question: str, conv: Conversation | None = None) -> Reply:
        conv = conv if conv is not None else Conversation()
        asked = question.strip()
        if not asked:
            raise QuestionError("问题不能为空")
        if len(asked) > MAX_QUESTION_CHARS:
            raise QuestionError(f"问题太长（{len(asked)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内")
        with conv.lock:  # two requests of one conversation take turns
            try:
                reply = self._answer(normalise(asked), conv)
            except BudgetQAError:  # the store's or the input's own errors say what happened
                raise
            except Exception:  # a defect in reading this question: said so, never a figure guessed
                log.exception("question not read: %r", asked)
                reply = Reply(asked, "抱歉，这个问题没能处理，请换一种说法。", "not_found", reason="not_understood")
        return replace(reply, question=asked)

    def _answer(self, q: Question, conv: Conversation) -> Reply:
        if not self.documents:
            return Reply(q.asked, "还没有收录任何预算公开文件，请先导入文件。", "not_found")
        scope = resolve(q, self.documents, conv.doc_ids, self.units, self.corpus_text)
        if not scope.docs:
            return Reply(q.asked, f"{scope.problem}，无法回答。", "not_found", reason="not_disclosed")
        docs = list(scope.docs)
        if len(docs) > 1 and not scope.several and not asks_across(q.text):
            if len({d.unit for d in docs}) == 1 and len(docs) <= SAME_UNIT_LISTED:
                return self._side_by_side(q, scope, conv)
            return self._which_document(q, docs)
        interp = self._interpret(q, scope, conv)
        result = run(interp, self.library)
        near = self._nearest(interp) if result.kind == "problem" else ()
        reply = compose(q.asked, result, self.by_id, self._headers(result), near)
        self._remember(conv, result, reply, scope.named)
        if self.polisher is not None and reply.status == "answered" and (
                reply.calculation is not None or any(c.table for c in reply.citations)):
            reply = self.polisher.polish(reply, self._known(reply))  # figures only; prose stays verbatim
        return reply

    def interpretation(self, question: str, conv: Conversation | None = None) -> Interpretation:
        """How the engine reads a question, without answering it (the value tests and logs look at):
        the documents' problem when none fits, the latest of a unit's documents when no year is said."""
        conv = conv if conv is not None else Conversation()
        q = normalise(question.strip())
        scope = resolve(q, self.documents, conv.doc_ids, self.units, self.corpus_text)
        if not scope.docs:
            return Interpretation("lookup", (), (), problem="no_document", detail=scope.problem)
        if len(scope.docs) > 1 and not scope.several and not asks_across(q.text):
            if len({d.unit for d in scope.docs}) > 1:
                return Interpretation("lookup", (), tuple(d.doc_id for d in scope.docs), problem="which_document")
            latest = max(scope.docs, key=lambda d: (d.year or 0, d.kind == "预算"))
            scope = replace(scope, docs=(latest,))
        return self._interpret(q, scope, conv)

    def _interpret(self, q: Question, scope: Scope, conv: Conversation) -> Interpretation:
        readings, vocabularies = self._read(q, scope)
        ctx = Context(q, scope, readings, vocabularies, conv.turns[-1] if conv.turns else None, tuple(conv.turns))
        return self._choose(q, interpret(ctx), ctx)

    def _read(self, q: Question, scope: Scope) -> tuple[dict[str, Reading], dict[str, Vocabulary]]:
        """Each document's reading of the question (over many documents, a few of them)."""
        docs = list(scope.docs)
        if len(docs) > PER_DOCUMENT:
            docs = sorted(docs, key=lambda d: (not self.shelf.in_memory(d.doc_id), d.title))[:PER_DOCUMENT]
        lexical = link_words(q)
        vocabularies = {d.doc_id: self.shelf.vocabulary(d.doc_id) for d in docs}
        readings = {}
        for d in docs:
            voc = vocabularies[d.doc_id]
            rows = link_rows(q, voc, self.corpus, self.corpus_pieces)
            r = read(q.text, voc, rows, lexical, scope.said, d.kind)
            pieces = [p for p in r.leftover.split() if len(p) >= 2] if len(docs) == 1 and not r.foreign else []
            try:
                labels = self.shelf.labels(d.doc_id) if pieces else None
                # words no lexical link explains: what the row names mean
                meant = link_meaning(q, voc, pieces, labels, self.shelf.embed) if labels is not None else []
            except EmbeddingServiceError as exc:  # a figure question does not wait for the model
                log.warning("meanings not linked: %s", exc)
                meant = []
            if meant:
                r = read(q.text, voc, rows + meant, lexical, scope.said, d.kind)
            readings[d.doc_id] = r
        return readings, vocabularies

    def _side_by_side(self, q: Question, scope: Scope, conv: Conversation) -> Reply:
        """A unit's documents when the question names no year: each answered, latest first (a text
        question from the latest that answers it); the one document asked when only one answers."""
        docs = sorted(scope.docs, key=lambda d: (d.year or 0, d.kind == "预算"), reverse=True)
        done: list[tuple[Document, Reply, Result]] = []
        for d in docs:
            result = run(self._interpret(q, replace(scope, docs=(d,)), conv), self.library)
            done.append((d, compose(q.asked, result, self.by_id, self._headers(result), ()), result))
        answered = [x for x in done if x[1].status == "answered"]
        if not answered:
            return done[0][1]
        d, first, found = answered[0]
        self._remember(conv, found, first)
        if found.interpretation.op == "text" or len(answered) == 1:
            return replace(first, answer=f"（您没有说年度，以下是{d.year}年{d.kind}）{first.answer}")
        text = "您没有说年度，各年的数字如下：" + "；".join(f"{x.year}年{x.kind}：{r.answer}" for x, r, _ in answered)
        return Reply(q.asked, text, "answered", tuple(c for _, r, _ in answered for c in r.citations),
                     interpretation=first.interpretation)

    def _which_document(self, q: Question, docs: list[Document]) -> Reply:
        names = tuple(d.title for d in docs)
        listed = "；".join(names[:CLARIFY_LISTED]) + (
            f"等 {len(names)} 份文件。请说出单位名称和年度" if len(names) > CLARIFY_LISTED else "")
        return Reply(q.asked, "您问的是哪一份文件？" + listed, "clarify", candidates=names[:MAX_CANDIDATES])

    def _choose(self, q: Question, interp: Interpretation, ctx: Context) -> Interpretation:
        """Where the engine abstains, the optional chooser may pick one of the document's own rows;
        the pick is grounded like any name."""
        if self.chooser is None or interp.problem not in ("ambiguous", "not_understood") or len(interp.docs) != 1:
            return interp
        voc = ctx.vocabularies.get(interp.docs[0])
        if voc is None:
            return interp
        names = [o.row for o in interp.options] or list(dict.fromkeys(
            self._nearest(interp, 8) + tuple(e.name for e in voc.entries if not e.prose)))[:80]
        picked = self.chooser.choose(q.asked, list(dict.fromkeys(names)))
        e = next((x for x in voc.entries if x.name == picked and not x.prose), None) if picked else None
        if e is None:
            return interp
        column = e.main(voc.doc.kind).column
        return Interpretation("lookup", (Item(picked or "", voc.doc.doc_id, e.id, e.name, e.code, e.table, column, 0.5,
                                              "chooser"),), interp.docs, interp.unit, 0.5)

    def _headers(self, result) -> dict[str, tuple[str, ...]]:  # type: ignore[no-untyped-def]
        out: dict[str, tuple[str, ...]] = {}
        for _, f in (*result.facts, *result.also):
            if f.doc_id in self.by_id:
                out.update(self.shelf.vocabulary(f.doc_id).headers)
        return out

    def _nearest(self, interp: Interpretation, count: int = 3) -> tuple[str, ...]:
        """Rows of the document that share the most with what was asked (no names with digits)."""
        if len(interp.docs) != 1 or not interp.said:
            return ()
        said = sound(interp.detail or interp.said)
        voc = self.shelf.vocabulary(interp.docs[0])
        scored: dict[str, int] = {}
        for e in voc.entries:
            if e.prose or e.name in ("合计", "总计") or any(ch.isdigit() for ch in e.name):
                continue
            k = _common(said, sound(e.name))
            if k >= 2:
                scored[e.name] = max(scored.get(e.name, 0), k)
        return tuple(sorted(scored, key=lambda n: (-scored[n], len(n)))[:count])

    def _remember(self, conv: Conversation, result: Result, reply: Reply, named: bool = False) -> None:
        interp = result.interpretation
        if reply.status != "answered" or not interp.items:
            if named and len(interp.docs) == 1:  # the unit and year said stay the conversation's
                conv.doc_ids = list(interp.docs)
            return
        conv.doc_ids = list(dict.fromkeys(i.doc_id for i in interp.items))
        figures = list(reply.calculation.operands) if reply.calculation is not None else [
            operand(f, name) for name, f in result.facts]
        conv.turns.append(Turn(interp, figures))
        del conv.turns[:-HISTORY]

    def _known(self, reply: Reply):  # type: ignore[no-untyped-def]
        docs = dict.fromkeys(c.doc_id for c in reply.citations)
        return known_figures(f for d in docs for f in self.shelf.facts(d))


def _taught(store: Store) -> list[tuple[str, str, str]]:
    read = getattr(store, "taught_words", None)
    return list(read()) if read is not None else []


def _common(a: str, b: str) -> int:
    """The longest common stretch of two strings."""
    best = 0
    for i in range(len(b)):
        for j in range(i + best + 1, len(b) + 1):
            if b[i:j] in a:
                best = j - i
            else:
                break
    return best


__all__ = ["Conversation", "Engine", "label", "open_engine"]
