"""The chat API: one reply as JSON, or the same reply streamed as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import Iterator

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from ingest.errors import QuestionError
from server.charts import build_chart
from server.deps import RateLimited, Services, ServicesDep, answered
from server.errors import errors
from server.schemas import ChatRequest, ChatResponse
from server.turns import answered_turn

router = APIRouter(prefix="/api/chat", tags=["chat"], dependencies=[RateLimited],
                   responses=errors(400, 404, 413, 422, 429, 503))
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
STOPS = "，。；：！？,;\n"
PIECE_CHARS = 24


def channel(request: Request) -> str:
    """The chat page says it is the page; any other caller is the API."""
    return "web" if request.headers.get("x-budgetqa-channel") == "web" else "api"


def answer_chat(req: ChatRequest, services: Services, via: str = "api") -> ChatResponse:
    question = req.message.strip()
    engine = services.engine()
    if req.doc_id and req.doc_id not in engine.by_id:
        raise HTTPException(404, f"没有这份文件：{req.doc_id}")

    def answer() -> dict:  # type: ignore[type-arg]
        if not question:
            raise QuestionError("问题不能为空")
        # Loaded from the database and saved after the answer: any worker continues it.
        with services.conversations.turn(req.conversation_id) as (cid, conv):
            if req.doc_id:
                conv.doc_ids = [req.doc_id]
            reply = engine.answer(question, conv)
        doc_id = reply.citations[0].doc_id if reply.citations else None
        chart = build_chart(reply, engine.facts_of(doc_id)[0]) if doc_id else None
        return {**reply.to_json(), "conversation_id": cid, "chart": chart}

    return ChatResponse(**answered_turn(services, via, question, req.conversation_id or "", answer))


@router.post("")
async def chat(req: ChatRequest, services: ServicesDep, request: Request) -> ChatResponse:
    """Answer one turn; pass the returned `conversation_id` for follow-up questions, and its
    `message_id` to POST /api/feedback."""
    via = channel(request)
    return await answered(services, lambda: answer_chat(req, services, via))


@router.post("/stream", response_class=StreamingResponse,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "`delta` events with pieces of the answer text, "
                                             "then one `reply` event with the whole reply"}})
async def chat_stream(req: ChatRequest, services: ServicesDep, request: Request) -> StreamingResponse:
    """The reply as Server-Sent Events: `event: delta` `{"text"}` pieces, then
    `event: reply` carrying the full reply (citations, calculation, conversation_id)."""
    via = channel(request)
    # Answered before the stream starts, so its errors are reported as such.
    response = await answered(services, lambda: answer_chat(req, services, via))

    def events() -> Iterator[str]:
        for piece in pieces(response.answer):
            yield sse({"text": piece}, "delta")
        yield sse(response.model_dump(mode="json"), "reply")

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


def pieces(text: str) -> list[str]:
    """The text in short pieces that end at punctuation, never inside a number."""
    out, start = [], 0
    for i, ch in enumerate(text):
        nxt = text[i + 1] if i + 1 < len(text) else ""
        long = i + 1 - start >= PIECE_CHARS and not (_numeric(ch) and _numeric(nxt))
        if ch in STOPS or long:
            out.append(text[start:i + 1])
            start = i + 1
    if start < len(text):
        out.append(text[start:])
    return out


def _numeric(ch: str) -> bool:
    return ch.isdigit() or ch in ".,"


def sse(data: object, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False)}\n\n"
