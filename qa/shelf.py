"""The documents in memory: a document's facts, vocabulary and prose retriever are read from the
store when a question is about it, and the most recently used stay loaded, so start and memory
do not grow with the corpus."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ingest.model import Document, Fact
from ingest.store import Store, VectorIndex
from qa.retrieve import HybridRetriever
from qa.vocabulary import Vocabulary, build_vocabulary

DOCS_IN_MEMORY = 256  # documents whose facts and indexes stay loaded (about 0.5 MB each)


class Shelf:
    def __init__(self, store: Store, vectors: VectorIndex | None, documents: dict[str, Document],
                 taught: list[tuple[str, str]], read_lock: threading.RLock, size: int = DOCS_IN_MEMORY) -> None:
        self.store = store
        self.vectors = vectors
        self.documents = documents
        self.taught = taught  # (said, printed row name) pairs staff added
        self.read_lock = read_lock  # the store's connection serves one reader at a time
        self.size = size
        self._lock = threading.Lock()
        self._facts: OrderedDict[str, list[Fact]] = OrderedDict()
        self._vocabularies: dict[str, Vocabulary] = {}
        self._retrievers: dict[str, HybridRetriever] = {}
        self._labels: dict[str, tuple[list[int], object]] = {}

    def facts(self, doc_id: str) -> list[Fact]:
        with self._lock:
            if doc_id in self._facts:
                self._facts.move_to_end(doc_id)
                return self._facts[doc_id]
        if doc_id not in self.documents:
            return []
        with self.read_lock:
            facts = self.store.facts(doc_id)
        with self._lock:
            got = self._facts.setdefault(doc_id, facts)  # another thread may have read it meanwhile
            while len(self._facts) > self.size:
                gone, _ = self._facts.popitem(last=False)
                self._vocabularies.pop(gone, None)
                self._retrievers.pop(gone, None)
                self._labels.pop(gone, None)
        return got

    def vocabulary(self, doc_id: str) -> Vocabulary:
        facts = self.facts(doc_id)
        with self._lock:
            if doc_id in self._vocabularies:
                return self._vocabularies[doc_id]
        made = build_vocabulary(self.documents[doc_id], facts, self.taught)
        with self._lock:
            return self._vocabularies.setdefault(doc_id, made)

    def labels(self, doc_id: str) -> tuple[list[int], object] | None:
        """The document's row names as vectors of the bundled model (computed once per document), or
        None without a model."""
        embed = getattr(self.vectors, "embed_texts", None)
        if embed is None:
            return None
        with self._lock:
            if doc_id in self._labels:
                return self._labels[doc_id]
        import numpy as np

        voc = self.vocabulary(doc_id)
        first: dict[str, int] = {}
        for e in voc.entries:
            if not e.prose and e.name not in ("合计", "总计", "小计") and 2 <= len(e.name) <= 20 \
                    and not any(ch.isdigit() for ch in e.name):
                first.setdefault(e.name, e.id)
        names = list(first)
        matrix = np.asarray(embed(names), dtype=np.float32) if names else np.zeros((0, 1), dtype=np.float32)
        made = ([first[n] for n in names], matrix)
        with self._lock:
            return self._labels.setdefault(doc_id, made)

    def embed(self, text: str) -> list[float]:
        return self.vectors.embed_query(text)  # type: ignore[union-attr]

    def in_memory(self, doc_id: str) -> bool:
        return doc_id in self._facts

    def loaded(self) -> int:
        return len(self._facts)

    def retriever(self, doc_id: str) -> HybridRetriever:
        """BM25 over one document's prose passages (and its vectors), built at its first prose question."""
        self.facts(doc_id)  # the document is in memory, so its retriever is evicted with it
        with self._lock:
            if doc_id in self._retrievers:
                return self._retrievers[doc_id]
        with self.read_lock:
            chunks = [c for c in self.store.chunks(doc_id) if c.kind == "prose"]
        made = HybridRetriever(chunks, self.vectors)
        with self._lock:
            return self._retrievers.setdefault(doc_id, made)

    def passages(self, doc_id: str, query: str) -> list:
        return self.retriever(doc_id).search(query, k=6, doc_ids=[doc_id], kind="prose")

    def prose(self, doc_id: str) -> list:
        return self.retriever(doc_id).chunks

    def rows(self, rows: list[str], doc_ids: list[str]) -> list[Fact]:
        with self.read_lock:
            return self.store.facts_in_rows(rows, doc_ids)
