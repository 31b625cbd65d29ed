"""The engine's documents in memory: a document's facts and prose retriever are read from
the store when a question is about it, and the most recently used stay loaded, so start
and memory do not grow with the corpus."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ingest.model import Document, Fact
from ingest.store import Store, VectorIndex
from qa.link import LinkIndex
from qa.llm import Known, known_figures
from qa.reply import Reply
from qa.retrieve import HybridRetriever


class DocumentShelf:
    """Per-document state read on demand; the attributes are the engine's (Engine.reload)."""

    store: Store
    vectors: VectorIndex | None
    by_id: dict[str, Document]
    docs_in_memory: int
    read_lock: threading.RLock
    _cache_lock: threading.Lock
    _by_doc: OrderedDict[str, tuple[list[Fact], list[Fact]]]
    _links: dict[str, LinkIndex]
    _retrievers: dict[str, HybridRetriever]

    def facts_of(self, doc_id: str) -> tuple[list[Fact], list[Fact]]:
        """A document's table facts and prose facts, from memory or read from the store."""
        with self._cache_lock:
            if doc_id in self._by_doc:
                self._by_doc.move_to_end(doc_id)
                return self._by_doc[doc_id]
        if doc_id not in self.by_id:
            return [], []
        with self.read_lock:
            facts = self.store.facts(doc_id)
        got = ([f for f in facts if f.table != "正文"], [f for f in facts if f.table == "正文"])
        with self._cache_lock:
            got = self._by_doc.setdefault(doc_id, got)  # another thread may have read it meanwhile
            while len(self._by_doc) > self.docs_in_memory:
                gone, _ = self._by_doc.popitem(last=False)
                self._links.pop(gone, None)
                self._retrievers.pop(gone, None)
        return got

    def in_memory(self, doc_id: str) -> bool:
        return doc_id in self._by_doc

    def facts_in_rows(self, rows: list[str], doc_ids: list[str]) -> list[Fact]:
        with self.read_lock:
            return self.store.facts_in_rows(rows, doc_ids)

    def fact_count(self) -> int:
        with self.read_lock:
            return sum(self.store.fact_counts().values())

    def retriever(self, doc_id: str) -> HybridRetriever:
        """BM25 over one document's prose passages (and the shared vectors filtered to it), built
        when the document is first asked a prose question."""
        self.facts_of(doc_id)  # the document is in memory, so its retriever is evicted with it
        with self._cache_lock:
            if doc_id in self._retrievers:
                return self._retrievers[doc_id]
        with self.read_lock:
            chunks = [c for c in self.store.chunks(doc_id) if c.kind == "prose"]  # rows: the facts answer
        made = HybridRetriever(chunks, self.vectors)
        with self._cache_lock:
            return self._retrievers.setdefault(doc_id, made)

    def known(self, reply: Reply) -> Known:
        """The figures of the documents a reply cites (what the optional LLM may repeat)."""
        docs = dict.fromkeys(c.doc_id for c in reply.citations)
        return known_figures(f for d in docs for part in self.facts_of(d) for f in part)

