"""A chat turn as the question log and the metrics see it: every turn of every channel
(web, api, v1) gets a message_id and one log entry, answered or not."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ingest.errors import QuestionError
from server.observe import instruments
from server.questionlog import Entry, log_status

if TYPE_CHECKING:
    from server.deps import Services


def answered_turn(services: Services, channel: str, question: str, cid: str,
                  answer: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`answer()`'s reply object with its message_id, logged; a refused question or an error
    is logged too, then raised as it was."""
    started, message_id = time.perf_counter(), services.questions.new_message_id()
    try:
        reply = answer()
    except QuestionError as exc:
        _log(services, message_id, channel, question, cid, started, "refused", str(exc))
        raise
    except Exception:
        _log(services, message_id, channel, question, cid, started, "error", "")
        raise
    _log(services, message_id, channel, question, reply.get("conversation_id") or cid, started,
         log_status(reply), reply.get("answer", ""), reply)
    return {**reply, "message_id": message_id}


def _log(services: Services, message_id: str, channel: str, question: str, cid: str, started: float,
         status: str, answer: str, reply: dict[str, Any] | None = None) -> None:
    docs = tuple(dict.fromkeys(c.get("doc_id", "") for c in (reply or {}).get("citations", [])))
    instruments().replies.labels(status, channel).inc()
    services.questions.record(Entry(message_id, time.time(), channel, question[:2000], status, answer,
                                    (reply or {}).get("interpretation"), docs,
                                    (time.perf_counter() - started) * 1000, cid))
