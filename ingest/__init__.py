"""Ingest: read → clean → tables → facts → chunks → store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ingest.errors import BudgetQAError, IngestError, NotADisclosure, StoreError, TableParseError, UnreadableDocument
from ingest.lock import write_lock
from ingest.model import OCR_CONFIRMED, OCR_UNCONFIRMED, Chunk, Document, Fact, Finding, Place, Table
from ingest.pipeline import FileResult, ingest_paths
from ingest.settings import Settings
from ingest.store import Store, VectorIndex

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings


def open_store(settings: Settings, vectors: bool = True,
               on_wait: Callable[[str], None] | None = None, embedder: Embeddings | None = None,
               reconcile: bool = True, load_when_needed: bool = False) -> Store:
    """The stores: under the data dir, or the PostgreSQL database and the Chroma server the
    settings name. With vectors, the embedding model is loaded (offline; or asked of the
    service on `settings.embed_socket`, ingest.embed_service) and Chroma is
    reconciled with the database (what a killed writer left undone), unless another
    process is writing right now, or `reconcile` is false (`budget-qa check` looks first).
    `on_wait` hears when a write has to wait for another; `embedder` replaces the
    configured model (tests); `load_when_needed` loads the model only when a text is first
    embedded (ingest: an unchanged file costs no model)."""
    index: VectorIndex | None = None
    if vectors:
        from ingest.embedding import LazyEmbedder, load_embedder
        from ingest.vectors import ChromaIndex

        if embedder is None and settings.embed_socket:  # a server's worker: the model is the service's
            from ingest.embed_service import RemoteEmbedder

            embedder = RemoteEmbedder(settings.embed_socket)
        elif embedder is None and load_when_needed:
            embedder = LazyEmbedder(settings.embedding_model or None, settings.model_cache)
        elif embedder is None:
            embedder = load_embedder(settings.embedding_model or None, settings.model_cache)
        index = ChromaIndex(embedder, Path(settings.data_dir) / "chroma", settings.chroma_url)
    data_dir = Path(settings.data_dir)
    lock = write_lock(data_dir, settings.database_url, settings.lock_timeout, on_wait)
    store = Store(data_dir, index, lock, settings.database_url)
    if index is not None and reconcile:
        try:
            with store.lock.hold(timeout=0):
                store.reconcile()
        except StoreError:
            pass  # a writer is at work: it replays its own outbox, the next open checks again
    return store


__all__ = ["OCR_CONFIRMED", "OCR_UNCONFIRMED", "BudgetQAError", "Chunk", "Document", "Fact", "FileResult",
           "Finding", "IngestError", "NotADisclosure", "Place", "Settings", "Store", "StoreError", "Table",
           "TableParseError", "UnreadableDocument", "VectorIndex", "ingest_paths", "open_store"]
