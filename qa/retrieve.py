"""Hybrid retrieval over chunks: BM25 on jieba tokens and Chroma vectors, merged by
reciprocal rank. Prose questions use it; so does any question no fact answers."""

from __future__ import annotations

import logging
import re

import jieba
import numpy as np
from rank_bm25 import BM25Okapi

from ingest.model import Chunk
from ingest.store import VectorIndex

jieba.setLogLevel(logging.WARNING)
RRF_K = 60
STOP = set("的 了 是 在 和 与 及 为 有 多少 什么 哪些 为什么 吗 呢 ？ ? ， 。 、 ： （ ） 年".split())


def tokens(text: str) -> list[str]:
    return [t for t in jieba.lcut(re.sub(r"\s+", "", text)) if t not in STOP]


class HybridRetriever:
    def __init__(self, chunks: list[Chunk], vectors: VectorIndex | None = None) -> None:
        self.chunks = chunks
        self.by_id = {c.chunk_id: c for c in chunks}
        self.bm25 = BM25Okapi([tokens(c.text) for c in chunks]) if chunks else None
        self.vectors = vectors
        self._own: dict[str, list[float]] | None = None  # the document's vectors, once read

    def _vector_hits(self, query: str, doc_ids: list[str] | None) -> list[tuple[str, float]]:
        """The nearest chunks by vector. Over one document, its own vectors (read from the index
        once) are ranked here by cosine: the cost is that document's size, not the corpus's."""
        assert self.vectors is not None
        read = getattr(self.vectors, "vectors_of", None)
        if read is None or doc_ids is None or len(doc_ids) != 1:
            return self.vectors.search(query, 20, doc_ids)
        if self._own is None:
            self._own = read(doc_ids[0])
        if not self._own:
            return self.vectors.search(query, 20, doc_ids)
        ids = list(self._own)
        q = np.asarray(self.vectors.embed_query(query), dtype=np.float32)  # type: ignore[attr-defined]
        m = np.asarray([self._own[i] for i in ids], dtype=np.float32)
        scores = m @ q / (np.linalg.norm(m, axis=1) * np.linalg.norm(q) + 1e-12)
        order = np.argsort(-scores)[:20]
        return [(ids[i], float(1 - scores[i])) for i in order]

    def search(self, query: str, k: int = 5, doc_ids: list[str] | None = None,
               kind: str | None = None) -> list[Chunk]:
        if not self.chunks or self.bm25 is None:
            return []
        allowed = [i for i, c in enumerate(self.chunks)
                   if (not doc_ids or c.doc_id in doc_ids) and (not kind or c.kind == kind)]
        scores = self.bm25.get_scores(tokens(query))
        lexical = sorted(allowed, key=lambda i: scores[i], reverse=True)[:20]
        ranks: dict[str, float] = {}
        for rank, i in enumerate(lexical):
            if scores[i] > 0:
                cid = self.chunks[i].chunk_id
                ranks[cid] = ranks.get(cid, 0) + 1 / (RRF_K + rank)
        if self.vectors is not None:
            for rank, (cid, _) in enumerate(self._vector_hits(query, doc_ids)):
                c = self.by_id.get(cid)
                if c and (not kind or c.kind == kind):
                    ranks[cid] = ranks.get(cid, 0) + 1 / (RRF_K + rank)
        best = sorted(ranks, key=lambda cid: ranks[cid], reverse=True)[:k]
        return [self.by_id[cid] for cid in best]
