"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from qa.engine import MAX_QUESTION_CHARS


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="the user's question")
    conversation_id: str | None = Field(default=None, max_length=64)


class ChatResponse(BaseModel):
    question: str
    answer: str
    status: str
    citations: list[dict[str, Any]]
    calculation: dict[str, Any] | None
    candidates: list[str] = []
    conversation_id: str


class Health(BaseModel):
    status: str
    documents: int
    facts: int
