"""Watching the server: Prometheus metrics (`GET /metrics`, names prefixed `budgetqa_`), an
`X-Request-ID` on every response (a proxy's own is kept) that every log line carries, and
log lines as text or JSON (`serve --log-format json`).

Under `serve --workers N` each worker is a process of its own: prometheus-client's
multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by `serve` before the workers start) sums
what every worker counted. The instruments are made on first use, not at import, because
prometheus-client reads that variable when a metric is made. No client IP is logged."""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
import uuid
from functools import lru_cache
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID = contextvars.ContextVar("request_id", default="-")
GOOD_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"
access = logging.getLogger("budgetqa.access")


class Instruments:
    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("budgetqa_http_requests", "HTTP requests by route, method and status",
                                ["route", "method", "status"])
        self.latency = Histogram("budgetqa_http_request_duration_seconds", "HTTP request latency", ["route"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        self.replies = Counter("budgetqa_replies", "Chat replies by log status", ["status", "channel"])
        self.feedback = Counter("budgetqa_feedback", "Feedback received", ["rating"])
        self.jobs = Counter("budgetqa_ingest_jobs", "Upload ingest jobs by outcome", ["outcome"])
        self.reloads = Counter("budgetqa_engine_reloads", "Engines loaded over a changed store")
        self.log_dropped = Counter("budgetqa_question_log_dropped", "Log entries dropped (queue full)")
        mode = {"multiprocess_mode": "mostrecent"}
        self.documents = Gauge("budgetqa_documents", "Documents the engine answers from", **mode)  # type: ignore[arg-type]
        self.generation = Gauge("budgetqa_store_generation", "The store's write generation", **mode)  # type: ignore[arg-type]
        self.degraded = Gauge("budgetqa_degraded", "1 while the database is missing or replaced", **mode)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def instruments() -> Instruments:
    return Instruments()


def metrics_text() -> tuple[bytes, str]:
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    instruments()
    if os.environ.get(MULTIPROC):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class Observe:
    """ASGI middleware: the request id (in a context variable, so log lines of this request
    carry it), the response's X-Request-ID, one access line, and the request metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if GOOD_ID.match(given) else uuid.uuid4().hex
        token = REQUEST_ID.set(rid)
        started, status = time.perf_counter(), [500]

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            seconds = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            m = instruments()
            m.requests.labels(route, scope["method"], str(status[0])).inc()
            m.latency.labels(route).observe(seconds)
            access.info("%s %s %d %.1f ms", scope["method"], scope["path"], status[0], seconds * 1000)
            REQUEST_ID.reset(token)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"), "level": record.levelname,
                                "logger": record.name, "request_id": getattr(record, "request_id", "-"),
                                "message": record.getMessage()}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def log_config(fmt: str = "text", level: str = "INFO") -> dict[str, Any]:
    """uvicorn's log_config: every line with the request id; JSON lines with fmt="json"."""
    formatter: dict[str, Any] = {"()": "server.observe.JsonFormatter"} if fmt == "json" else \
        {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    return {"version": 1, "disable_existing_loggers": False,
            "filters": {"request_id": {"()": "server.observe.RequestIdFilter"}},
            "formatters": {"main": formatter}, "handlers": {"main": handler},
            "loggers": {"uvicorn": {"handlers": ["main"], "level": level, "propagate": False},
                        "uvicorn.error": {"level": level},
                        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
                        "budgetqa": {"handlers": ["main"], "level": level, "propagate": False}}}
