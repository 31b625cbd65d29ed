"""The FastAPI app, built by create_app(settings): the web chat, the staff console and
the API behind them. Errors are mapped to HTTP codes here, in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ingest.settings import Settings
from qa.engine import Engine, open_engine
from server import chat, documents, openai_compat, operate
from server.deps import EngineDep, Services, ServicesDep
from server.errors import add_error_handlers
from server.observe import Observe, instruments, metrics_text
from server.schemas import Health
from server.settings import ServerSettings, server_settings

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 1024 * 1024  # any request but an upload
UPLOAD_OVERHEAD = 64 * 1024  # multipart boundaries and headers around the file
# The pages load only their own files; no inline script, nothing from elsewhere.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    config = server_settings(settings)
    services = Services(config, (lambda: engine) if engine is not None else lambda: _open_engine(config))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        services.close()  # the log written out; this process's unfinished jobs interrupted

    # Swagger UI and ReDoc from the files fastapi-offline ships: no CDN, no web fonts.
    app = FastAPIOffline(title="budget-qa", description="预算/决算公开问答：每个数字都有出处", lifespan=lifespan)
    app.state.services = services
    app.add_middleware(BodyLimit, upload_limit=config.max_upload_bytes + UPLOAD_OVERHEAD)
    app.add_middleware(Observe)  # outermost: every response gets its X-Request-ID, 413s too
    add_error_handlers(app)
    app.include_router(chat.router)
    app.include_router(documents.router)
    app.include_router(documents.jobs_router)
    app.include_router(openai_compat.router)
    app.include_router(operate.router)

    @app.get("/api/health", tags=["health"])
    def health(engine: EngineDep, services: ServicesDep) -> Health:
        """`degraded` (with the problem) while the database file is missing or replaced."""
        problem = services.problem()
        instruments().degraded.set(1 if problem else 0)
        return Health(status="degraded" if problem else "ok", documents=len(engine.documents),
                      facts=engine.fact_count(), problem=problem)

    @app.get("/metrics", tags=["health"], response_class=Response,
             responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}})
    def metrics(services: ServicesDep) -> Response:
        """Requests, latency, replies by status, feedback, ingest jobs, documents, generation, reloads."""
        services.engine()  # the gauges of this worker's engine are set
        body, content_type = metrics_text()
        return Response(body, media_type=content_type)

    @app.get("/", include_in_schema=False)
    def chat_page() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=PAGE_HEADERS)

    @app.get("/console", include_in_schema=False)
    def console_page() -> FileResponse:
        return FileResponse(STATIC / "console.html", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def app_from_environment() -> FastAPI:
    """The app a worker process builds for itself (`budget-qa serve --workers N`, or
    `uvicorn server.app:app_from_environment --factory`): settings from the BUDGETQA_*
    environment, its own engine; conversations, limits and jobs are in the database. The
    engine is loaded before the worker takes requests, so no citizen waits for a model."""
    return ready(create_app(ServerSettings()))


def ready(app: FastAPI) -> FastAPI:
    """The app with its engine loaded (model, documents), as a server starts it."""
    app.state.services.engine()
    return app


def _open_engine(settings: ServerSettings) -> Engine:
    return open_engine(settings)


class BodyLimit:
    """Refuses a request body over the limit before it is read: by its Content-Length,
    or, for a chunked body, as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, upload_limit: int) -> None:
        self.app, self.upload_limit = app, upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope["path"] == "/api/documents" else MAX_BODY
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            response = JSONResponse({"detail": f"请求太大：上限 {limit // 1024 // 1024 or 1} MB"},
                                    status_code=413)
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, f"请求太大：上限 {limit // 1024 // 1024 or 1} MB")
            return message

        await self.app(scope, counted, send)
