"""An OpenAI-compatible face (`/v1/chat/completions`, `/v1/models`) for chat front ends.

Stateless like the API it imitates: the client sends the whole conversation, so the
earlier user messages are replayed through a fresh conversation to restore the context
(the document, the subjects) before the last user message is answered.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ingest.errors import BudgetQAError, QuestionError
from qa.engine import HISTORY, MAX_QUESTION_CHARS, Conversation
from qa.reply import Reply
from server.chat import SSE_HEADERS, pieces, sse
from server.deps import RateLimited, ServicesDep, answered
from server.errors import errors
from server.schemas import TextRequest
from server.turns import answered_turn

MODEL = "budget-qa"
router = APIRouter(prefix="/v1", tags=["openai-compatible"])


class Message(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)
    role: str = Field(max_length=32)
    content: str | list[dict[str, Any]] | None = None


class CompletionRequest(TextRequest):
    model_config = ConfigDict(extra="allow", strict=True)  # temperature, max_tokens, … accepted, ignored
    model: str = Field(default=MODEL, max_length=100)
    messages: list[Message] = Field(min_length=1, max_length=200, json_schema_extra={
        "description": "the conversation; the last user message with text is the question",
        "contains": {"type": "object", "required": ["role", "content"], "properties": {
            "role": {"const": "user"},
            "content": {"type": "string", "minLength": 1, "maxLength": MAX_QUESTION_CHARS, "pattern": r"\S"}}}})
    stream: bool = False


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: str = "stop"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class Completion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage = Usage()
    budget_qa: dict[str, Any] = Field(description="the reply object: status, citations, calculation")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "budget-qa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


@router.get("/models")
def models() -> ModelList:
    return ModelList(data=[ModelCard(id=MODEL)])


@router.post("/chat/completions", dependencies=[RateLimited], response_model=Completion,
             responses={200: {"content": {"text/event-stream": {}}}, **errors(400, 413, 422, 429, 503)})
async def chat_completions(req: CompletionRequest, services: ServicesDep) -> Completion | StreamingResponse:
    """The last user message is the question; the answer text carries its sources."""
    users = [text for m in req.messages if m.role == "user" and (text := _text(m.content)).strip()]
    replies: list[Reply] = []

    def answer() -> dict[str, Any]:
        replies.append(_answer(users, services))
        return replies[0].to_json()

    body = await answered(services, lambda: answered_turn(services, "v1", users[-1] if users else "", "", answer))
    reply = replies[0]
    content = with_sources(reply)
    cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    if not req.stream:
        return Completion(id=cid, created=created, model=MODEL,
                          choices=[Choice(message=AssistantMessage(content=content))],
                          budget_qa=body)

    def chunks() -> Iterator[str]:
        def chunk(delta: dict[str, str], finish: str | None = None) -> str:
            return sse({"id": cid, "object": "chat.completion.chunk", "created": created,
                        "model": MODEL, "choices": [{"index": 0, "delta": delta,
                                                     "finish_reason": finish}]})
        yield chunk({"role": "assistant", "content": ""})
        for piece in pieces(content):
            yield chunk({"content": piece})
        yield chunk({}, "stop")
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream", headers=SSE_HEADERS)


def _answer(users: list[str], services: ServicesDep) -> Reply:
    if not users:
        raise QuestionError("没有用户问题：messages 里需要至少一条 role 为 user、有文字的消息")
    engine, conv = services.engine(), Conversation()
    for earlier in users[:-1][-HISTORY:]:
        try:
            engine.answer(earlier, conv)
        except BudgetQAError:
            continue  # an unusable earlier turn only loses its context
    return engine.answer(users[-1], conv)


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, list):
        return "".join(str(p.get("text", "")) for p in content if p.get("type") == "text")
    return content or ""


def with_sources(reply: Reply) -> str:
    if not reply.citations:
        return reply.answer
    lines = []
    for i, c in enumerate(dict.fromkeys(reply.citations), start=1):
        where = "，".join(x for x in (c.table, f"第{c.page}页" if c.page else None) if x)
        lines.append(f"{i}. {c.title}{'，' + where if where else ''}：「{c.quote}」")
    return reply.answer + "\n\n来源：\n" + "\n".join(lines)
