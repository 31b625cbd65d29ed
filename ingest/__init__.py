"""Ingest: read → clean → tables → facts → chunks → store."""

from pathlib import Path

from ingest.errors import BudgetQAError, IngestError, NotADisclosure, StoreError, TableParseError, UnreadableDocument
from ingest.model import Chunk, Document, Fact, Finding, Table
from ingest.pipeline import FileResult, ingest_paths
from ingest.settings import Settings
from ingest.store import Store, VectorIndex


def open_store(settings: Settings, vectors: bool = True) -> Store:
    """The stores under the data dir; with vectors, the embedding model is loaded (offline)."""
    index: VectorIndex | None = None
    if vectors:
        from ingest.embedding import load_embedder
        from ingest.vectors import ChromaIndex

        embedder = load_embedder(settings.embedding_model or None, settings.model_cache)
        index = ChromaIndex(embedder, Path(settings.data_dir) / "chroma", settings.chroma_url)
    return Store(Path(settings.data_dir), index)


__all__ = ["BudgetQAError", "Chunk", "Document", "Fact", "FileResult", "Finding",
           "IngestError", "NotADisclosure", "Settings", "Store", "StoreError", "Table",
           "TableParseError", "UnreadableDocument", "VectorIndex", "ingest_paths", "open_store"]
