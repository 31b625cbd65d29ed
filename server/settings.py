"""The server's settings: the shared Settings plus what only the web layer needs."""

from __future__ import annotations

from pathlib import Path

from pydantic import PositiveInt, SecretStr

from ingest.settings import Settings


class ServerSettings(Settings):
    """BUDGETQA_ADMIN_TOKEN unlocks the staff routes; without it they are closed."""

    admin_token: SecretStr = SecretStr("")
    rate_limit_per_minute: int = 30  # chat requests per client IP; 0 turns the limit off
    answer_threads: PositiveInt = 4  # chat turns answered at once by a worker; the rest wait in order
    conversation_ttl: float = 3600.0  # seconds a conversation is kept after its last turn
    max_conversations: int = 1000
    max_upload_mb: int = 50
    log_questions: bool = True  # the question log (server.questionlog); 0 turns it off
    log_days: float = 90.0  # days a logged question and its feedback are kept
    # Gold sets (eval's JSON Lines) a taught wording must not change, besides those exported
    # from 问题: BUDGETQA_GOLD_SETS='["samples/gold.jsonl"]'.
    gold_sets: list[Path] = []
    question_similarity: float = 0.98  # cosine at which two wordings are one question on 问题

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024


def server_settings(settings: Settings) -> ServerSettings:
    """The server's view of settings made by an entry point that knows only Settings."""
    if isinstance(settings, ServerSettings):
        return settings
    return ServerSettings(**settings.model_dump())
