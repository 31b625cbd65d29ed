"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ChatRequest(BaseModel):
    message: str = Field(min_length=1, max_length=500, description="the user's question")
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
