"""Chunk vectors in Chroma, through langchain-chroma with our own embedding function.

Chroma's default embedding function downloads a model, so one is always passed in;
telemetry is off.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.embeddings import Embeddings

from ingest.errors import StoreError
from ingest.model import Chunk

if TYPE_CHECKING:
    from langchain_chroma import Chroma

COLLECTION = "budgetqa_chunks"


class ChromaIndex:
    def __init__(self, embeddings: Embeddings, path: Path | None = None, url: str = "") -> None:
        self._embeddings, self._path, self._url = embeddings, path, url
        self._store = self._open(embeddings, path, url)

    @staticmethod
    def _open(embeddings: Embeddings, path: Path | None, url: str) -> Chroma:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        settings = ChromaSettings(anonymized_telemetry=False)
        try:
            if url:
                from urllib.parse import urlparse

                u = urlparse(url)
                client = chromadb.HttpClient(host=u.hostname or "localhost", port=u.port or 8000,
                                             ssl=u.scheme == "https", settings=settings)
            else:
                assert path is not None
                client = chromadb.PersistentClient(path=str(path), settings=settings)
        except Exception as exc:  # chromadb raises several unrelated types here
            raise StoreError(f"the vector store cannot be opened: {exc}") from exc
        return Chroma(collection_name=COLLECTION, embedding_function=embeddings,
                      client=client, collection_metadata={"hnsw:space": "cosine"})

    def reopen(self) -> None:
        """Load the index again from disk. An embedded Chroma keeps its search index in this
        process's memory and does not see what another process (the CLI) wrote; its client
        is cached per path, so the cached one is dropped first."""
        if self._url or self._path is None:
            return  # a Chroma server: every process sees the same index
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(self._path), None)
        self._store = self._open(self._embeddings, self._path, self._url)

    def upsert(self, chunks: list[Chunk]) -> None:
        if not chunks:
            return
        self._store.add_texts(
            texts=[c.text for c in chunks],
            metadatas=[{"doc_id": c.doc_id, "kind": c.kind} for c in chunks],
            ids=[c.chunk_id for c in chunks],
        )

    def delete(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            self._store.delete(ids=chunk_ids)

    def ids(self) -> set[str]:
        return set(self._store.get(include=[])["ids"])

    def vectors_of(self, doc_id: str) -> dict[str, list[float]]:
        """One document's chunk vectors as stored, by chunk id (a few dozen: a question about the
        document ranks them itself, in a fraction of a millisecond, whatever the index holds)."""
        from chromadb.errors import ChromaError

        try:
            got = self._store.get(where={"doc_id": doc_id}, include=["embeddings"])
        except (ChromaError, OSError, ValueError):
            return {}
        vectors = got.get("embeddings")
        if vectors is None:
            return {}
        return {cid: list(map(float, v)) for cid, v in zip(got["ids"], vectors, strict=True)}

    def embed_query(self, query: str) -> list[float]:
        return self._embeddings.embed_query(query)

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        """Texts embedded in batches, as passages are (questions grouped on the 问题 page)."""
        return self._embeddings.embed_documents(texts)

    def search(self, query: str, k: int, doc_ids: list[str] | None) -> list[tuple[str, float]]:
        where: dict | None = None  # type: ignore[type-arg]
        if doc_ids:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": doc_ids}}
        from chromadb.errors import ChromaError

        try:
            hits = self._store.similarity_search_with_score(query, k=k, filter=where)
        except ChromaError:
            # A stale in-memory index (another process rewrote it): load it again, once.
            self.reopen()
            try:
                hits = self._store.similarity_search_with_score(query, k=k, filter=where)
            except ChromaError:
                return []  # vectors are one signal of several: BM25 and the facts still answer
        except Exception:
            if not self._url:
                raise
            return []  # a Chroma server that does not answer (down, restarting): the same
        return [(d.id or "", float(score)) for d, score in hits]
