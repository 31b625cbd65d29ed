"""Chunk vectors in Chroma, through langchain-chroma with our own embedding function.

Chroma's default embedding function downloads a model, so one is always passed in;
telemetry is off.
"""

from __future__ import annotations

from pathlib import Path

from langchain_core.embeddings import Embeddings

from ingest.errors import StoreError
from ingest.model import Chunk

COLLECTION = "budgetqa_chunks"


class ChromaIndex:
    def __init__(self, embeddings: Embeddings, path: Path | None = None, url: str = "") -> None:
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
        self._store = Chroma(collection_name=COLLECTION, embedding_function=embeddings,
                             client=client, collection_metadata={"hnsw:space": "cosine"})

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

    def search(self, query: str, k: int, doc_ids: list[str] | None) -> list[tuple[str, float]]:
        where: dict | None = None  # type: ignore[type-arg]
        if doc_ids:
            where = {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": doc_ids}}
        hits = self._store.similarity_search_with_score(query, k=k, filter=where)
        return [(d.id or "", float(score)) for d, score in hits]
